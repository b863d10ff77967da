package vexdoc

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/vigil-iomt/vigil/internal/csaf"
	"github.com/vigil-iomt/vigil/internal/cvss"
	"github.com/vigil-iomt/vigil/internal/vuln"
)

// cdxStates maps VEX statuses to CycloneDX analysis states.
var cdxStates = map[string]cdx.ImpactAnalysisState{
	csaf.StatusAffected:           cdx.IASExploitable,
	csaf.StatusNotAffected:        cdx.IASNotAffected,
	csaf.StatusFixed:              cdx.IASResolved,
	csaf.StatusUnderInvestigation: cdx.IASInTriage,
}

// cdxJustifications maps the VEX justifications to the CycloneDX ones that
// internal/csaf reads back as the same justification.
var cdxJustifications = map[string]cdx.ImpactAnalysisJustification{
	csaf.ComponentNotPresent:                         cdx.IAJRequiresDependency,
	csaf.VulnerableCodeNotPresent:                    cdx.IAJCodeNotPresent,
	csaf.VulnerableCodeNotInExecutePath:              cdx.IAJCodeNotReachable,
	csaf.VulnerableCodeCannotBeControlledByAdversary: cdx.IAJRequiresEnvironment,
	csaf.InlineMitigationsAlreadyExist:               cdx.IAJProtectedByMitigatingControl,
}

var cdxJustificationValues = []cdx.ImpactAnalysisJustification{cdx.IAJCodeNotPresent, cdx.IAJCodeNotReachable,
	cdx.IAJRequiresConfiguration, cdx.IAJRequiresDependency, cdx.IAJRequiresEnvironment, cdx.IAJProtectedByCompiler,
	cdx.IAJProtectedAtRuntime, cdx.IAJProtectedAtPerimeter, cdx.IAJProtectedByMitigatingControl}

var cdxTypes = []cdx.ComponentType{cdx.ComponentTypeApplication, cdx.ComponentTypeContainer, cdx.ComponentTypeCryptographicAsset,
	cdx.ComponentTypeData, cdx.ComponentTypeDevice, cdx.ComponentTypeDeviceDriver, cdx.ComponentTypeFile, cdx.ComponentTypeFirmware,
	cdx.ComponentTypeFramework, cdx.ComponentTypeLibrary, cdx.ComponentTypeMachineLearningModel, cdx.ComponentTypeOS,
	cdx.ComponentTypePlatform}

// CycloneDX writes the assessment as a CycloneDX 1.6 JSON BOM:
// metadata.component is the model, components the SBOM components that
// findings name, and vulnerabilities one entry per vulnerability ×
// component with its analysis (docs/vex-output.md).
func CycloneDX(in Input) ([]byte, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	now := in.now()
	stmts := statements(&in)

	compRefs := map[string]bool{}
	var comps []cdx.Component
	for _, s := range stmts {
		if s.device() || compRefs[s.comp.Ref] {
			continue
		}
		compRefs[s.comp.Ref] = true
		comps = append(comps, cdxComponent(s))
	}
	slices.SortFunc(comps, func(a, b cdx.Component) int { return strings.Compare(a.BOMRef, b.BOMRef) })
	modelRef := "vigil:model"
	for compRefs[modelRef] {
		modelRef += "#model"
	}

	vulns := make([]cdx.Vulnerability, 0, len(stmts))
	for _, s := range stmts {
		vulns = append(vulns, cdxVulnerability(s, modelRef, in.Model, now))
	}
	bom := cdx.NewBOM()
	bom.Version = 1
	bom.Metadata = &cdx.Metadata{
		Timestamp: now.Format(time.RFC3339),
		Tools: &cdx.ToolsChoice{Components: &[]cdx.Component{{Type: cdx.ComponentTypeApplication, Name: Engine,
			Description: "Vigil vulnerability assessment"}}},
		Authors: &[]cdx.OrganizationalContact{{Name: in.author()}},
		Component: &cdx.Component{BOMRef: modelRef, Type: cdx.ComponentTypeDevice, Name: strings.TrimSpace(in.Model.Model),
			Version: strings.TrimSpace(in.Model.Version), Manufacturer: &cdx.OrganizationalEntity{Name: strings.TrimSpace(in.Model.Vendor)},
			Supplier: &cdx.OrganizationalEntity{Name: strings.TrimSpace(in.Model.Vendor)}},
	}
	if len(comps) > 0 {
		bom.Components = &comps
	}
	bom.Vulnerabilities = &vulns

	// The serial number is derived from the content (without it), so the
	// same assessment gives the same document.
	unsigned, err := encodeCDX(bom)
	if err != nil {
		return nil, err
	}
	bom.SerialNumber = serialOf(unsigned)
	return encodeCDX(bom)
}

func encodeCDX(bom *cdx.BOM) ([]byte, error) {
	var buf bytes.Buffer
	enc := cdx.NewBOMEncoder(&buf, cdx.BOMFileFormatJSON)
	enc.SetPretty(true)
	enc.SetEscapeHTML(false)
	if err := enc.EncodeVersion(bom, cdx.SpecVersion1_6); err != nil {
		return nil, fmt.Errorf("encode CycloneDX: %w", err)
	}
	return buf.Bytes(), nil
}

// serialOf makes a version-5-shaped UUID URN from the SHA-256 of data.
func serialOf(data []byte) string {
	sum := sha256.Sum256(data)
	u := sum[:16]
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	h := hex.EncodeToString(u)
	return "urn:uuid:" + h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func cdxComponent(s *statement) cdx.Component {
	c := cdx.Component{BOMRef: s.comp.Ref, Type: cdx.ComponentTypeLibrary, Name: s.comp.Name, Version: s.version(),
		PackageURL: s.purl(), CPE: s.cpe()}
	if sc := s.sbomC; sc != nil {
		c.Name, c.Group = sc.Name, sc.Group
		if t := cdx.ComponentType(sc.Type); slices.Contains(cdxTypes, t) {
			c.Type = t
		}
		if sc.Supplier != "" {
			c.Supplier = &cdx.OrganizationalEntity{Name: sc.Supplier}
		}
	}
	if strings.TrimSpace(c.Name) == "" {
		c.Name = s.comp.Ref
	}
	return c
}

func cdxVulnerability(s *statement, modelRef string, m Model, now time.Time) cdx.Vulnerability {
	v := cdx.Vulnerability{BOMRef: "vigil:vex:" + s.vuln + ":" + s.comp.Ref, ID: s.vuln, Source: sourceOf(s.source, s.advisor)}
	if s.device() {
		v.BOMRef = "vigil:vex:" + s.vuln + ":" + modelRef
	}
	if len(s.ids) > 0 {
		refs := make([]cdx.VulnerabilityReference, 0, len(s.ids))
		for _, id := range s.ids {
			refs = append(refs, cdx.VulnerabilityReference{ID: id, Source: referenceSource(id)})
		}
		v.References = &refs
	}
	if r, ok := rating(s); ok {
		v.Ratings = &[]cdx.VulnerabilityRating{r}
	}
	a := &cdx.VulnerabilityAnalysis{State: cdxStates[s.status], Detail: s.detail(), LastUpdated: now.Format(time.RFC3339)}
	if !s.first.IsZero() {
		a.FirstIssued = s.first.Truncate(time.Second).Format(time.RFC3339)
	}
	if s.status == csaf.StatusNotAffected {
		a.Justification = cdxJustification(s.just, s.justRaw)
	}
	if s.status == csaf.StatusAffected {
		if len(s.fixedIn) > 0 {
			a.Response = &[]cdx.ImpactAnalysisResponse{cdx.IARUpdate}
			v.Recommendation = "Update to a fixed version: " + strings.Join(s.fixedIn, ", ") + "."
		} else {
			v.Recommendation = "No fixed version is known to Vigil."
		}
	}
	v.Analysis = a
	ref, version := s.comp.Ref, s.version()
	if s.device() {
		ref, version = modelRef, strings.TrimSpace(m.Version)
	}
	af := cdx.Affects{Ref: ref}
	if version != "" {
		status := cdx.VulnerabilityStatusUnknown
		switch s.status {
		case csaf.StatusAffected:
			status = cdx.VulnerabilityStatusAffected
		case csaf.StatusNotAffected, csaf.StatusFixed:
			status = cdx.VulnerabilityStatusNotAffected
		}
		af.Range = &[]cdx.AffectedVersions{{Version: version, Status: status}}
	}
	v.Affects = &[]cdx.Affects{af}
	return v
}

// cdxJustification keeps a CycloneDX justification as written, else maps
// the VEX one; "" when there is none.
func cdxJustification(just, raw string) cdx.ImpactAnalysisJustification {
	if j := cdx.ImpactAnalysisJustification(raw); slices.Contains(cdxJustificationValues, j) {
		return j
	}
	return cdxJustifications[just]
}

func rating(s *statement) (cdx.VulnerabilityRating, bool) {
	if s.vector == "" {
		return cdx.VulnerabilityRating{}, false
	}
	r := cdx.VulnerabilityRating{Vector: s.vector, Method: cdx.ScoringMethodOther}
	if v, err := cvss.Parse(s.vector); err == nil {
		switch v.Version() {
		case cvss.V30:
			r.Method = cdx.ScoringMethodCVSSv3
		case cvss.V31:
			r.Method = cdx.ScoringMethodCVSSv31
		case cvss.V40:
			r.Method = cdx.ScoringMethodCVSSv4
		}
		score := v.Score()
		r.Score = &score
		r.Severity = cdx.Severity(strings.ToLower(cvss.SeverityOf(score)))
	}
	if s.vecFrom != "" {
		r.Source = &cdx.Source{Name: s.vecFrom}
	}
	return r, true
}

// sourceOf names where a vulnerability record is published.
func sourceOf(source, id string) *cdx.Source {
	switch source {
	case vuln.SourceNVD:
		return &cdx.Source{Name: "NVD", URL: "https://nvd.nist.gov/vuln/detail/" + id}
	case vuln.SourceOSV:
		return &cdx.Source{Name: "OSV", URL: "https://osv.dev/vulnerability/" + id}
	case vuln.SourceCSAF:
		s := &cdx.Source{Name: "CSAF " + id}
		if up := strings.ToUpper(id); strings.HasPrefix(up, "ICSMA-") || strings.HasPrefix(up, "ICSA-") {
			s.URL = referenceSource(id).URL
		}
		return s
	}
	return referenceSource(id)
}

// referenceSource guesses the publisher of an ID from its form.
func referenceSource(id string) *cdx.Source {
	up := strings.ToUpper(id)
	switch {
	case cveRE.MatchString(up):
		return &cdx.Source{Name: "NVD", URL: "https://nvd.nist.gov/vuln/detail/" + up}
	case strings.HasPrefix(up, "GHSA-"):
		return &cdx.Source{Name: "GitHub", URL: "https://github.com/advisories/" + id}
	case strings.HasPrefix(up, "ICSMA-"):
		return &cdx.Source{Name: "CISA", URL: "https://www.cisa.gov/news-events/ics-medical-advisories/" + strings.ToLower(id)}
	case strings.HasPrefix(up, "ICSA-"):
		return &cdx.Source{Name: "CISA", URL: "https://www.cisa.gov/news-events/ics-advisories/" + strings.ToLower(id)}
	}
	return &cdx.Source{Name: "OSV", URL: "https://osv.dev/vulnerability/" + id}
}
