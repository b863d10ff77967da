package vexdoc

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/vigil-iomt/vigil/internal/csaf"
	"github.com/vigil-iomt/vigil/internal/cvss"
)

// modelID is the CSAF product ID of the model version.
const modelID = "MODEL"

// The CSAF 2.0 JSON, only the parts written, in the schema's key order.

type csafDoc struct {
	Document        csafDocument    `json:"document"`
	ProductTree     csafProductTree `json:"product_tree"`
	Vulnerabilities []csafVuln      `json:"vulnerabilities"`
}

type csafDocument struct {
	Category    string        `json:"category"`
	CSAFVersion string        `json:"csaf_version"`
	Notes       []csafNote    `json:"notes,omitempty"`
	Publisher   csafPublisher `json:"publisher"`
	Title       string        `json:"title"`
	Tracking    csafTracking  `json:"tracking"`
}

type csafNote struct {
	Category string `json:"category"`
	Text     string `json:"text"`
	Title    string `json:"title,omitempty"`
}

type csafPublisher struct {
	Category  string `json:"category"`
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
}

type csafTracking struct {
	CurrentReleaseDate string         `json:"current_release_date"`
	Generator          csafGenerator  `json:"generator"`
	ID                 string         `json:"id"`
	InitialReleaseDate string         `json:"initial_release_date"`
	RevisionHistory    []csafRevision `json:"revision_history"`
	Status             string         `json:"status"`
	Version            string         `json:"version"`
}

type csafGenerator struct {
	Date   string `json:"date"`
	Engine struct {
		Name string `json:"name"`
	} `json:"engine"`
}

type csafRevision struct {
	Date    string `json:"date"`
	Number  string `json:"number"`
	Summary string `json:"summary"`
}

type csafProductTree struct {
	Branches         []csafBranch       `json:"branches,omitempty"`
	FullProductNames []csafProduct      `json:"full_product_names,omitempty"`
	Relationships    []csafRelationship `json:"relationships,omitempty"`
}

type csafBranch struct {
	Branches []csafBranch `json:"branches,omitempty"`
	Category string       `json:"category"`
	Name     string       `json:"name"`
	Product  *csafProduct `json:"product,omitempty"`
}

type csafProduct struct {
	Name      string      `json:"name"`
	ProductID string      `json:"product_id"`
	Helper    *csafHelper `json:"product_identification_helper,omitempty"`
}

type csafHelper struct {
	CPE  string `json:"cpe,omitempty"`
	PURL string `json:"purl,omitempty"`
}

type csafRelationship struct {
	Category                  string      `json:"category"`
	FullProductName           csafProduct `json:"full_product_name"`
	ProductReference          string      `json:"product_reference"`
	RelatesToProductReference string      `json:"relates_to_product_reference"`
}

type csafVuln struct {
	CVE           string            `json:"cve,omitempty"`
	Flags         []csafFlag        `json:"flags,omitempty"`
	IDs           []csafID          `json:"ids,omitempty"`
	Notes         []csafNote        `json:"notes"`
	ProductStatus csafProductStatus `json:"product_status"`
	Remediations  []csafRemediation `json:"remediations,omitempty"`
	Scores        []csafScore       `json:"scores,omitempty"`
	Threats       []csafThreat      `json:"threats,omitempty"`
}

type csafFlag struct {
	Label      string   `json:"label"`
	ProductIDs []string `json:"product_ids"`
}

type csafID struct {
	SystemName string `json:"system_name"`
	Text       string `json:"text"`
}

type csafProductStatus struct {
	Fixed              []string `json:"fixed,omitempty"`
	KnownAffected      []string `json:"known_affected,omitempty"`
	KnownNotAffected   []string `json:"known_not_affected,omitempty"`
	UnderInvestigation []string `json:"under_investigation,omitempty"`
}

type csafRemediation struct {
	Category   string   `json:"category"`
	Details    string   `json:"details"`
	ProductIDs []string `json:"product_ids"`
}

type csafScore struct {
	CVSSv3   csafCVSS `json:"cvss_v3"`
	Products []string `json:"products"`
}

type csafCVSS struct {
	BaseScore    float64 `json:"baseScore"`
	BaseSeverity string  `json:"baseSeverity"`
	VectorString string  `json:"vectorString"`
	Version      string  `json:"version"`
}

type csafThreat struct {
	Category   string   `json:"category"`
	Details    string   `json:"details"`
	ProductIDs []string `json:"product_ids"`
}

// csafLabels are the CSAF flag labels (the VEX justifications).
var csafLabels = []string{csaf.ComponentNotPresent, csaf.VulnerableCodeNotPresent, csaf.VulnerableCodeNotInExecutePath,
	csaf.VulnerableCodeCannotBeControlledByAdversary, csaf.InlineMitigationsAlreadyExist}

// CSAF writes the assessment as a CSAF 2.0 document in the VEX profile
// (csaf_vex): the model as vendor → product_name → product_version
// branches, each SBOM component that findings name as a product and a
// default_component_of relationship to the model, and per vulnerability the
// product status of those products with flags, impact threats,
// remediations and CVSS 3.x scores (docs/vex-output.md). The document is
// checked against the CSAF 2.0 JSON schema before it is returned.
func CSAF(in Input) ([]byte, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	now := in.now()
	ts := now.Format(time.RFC3339)
	stmts := statements(&in)
	m := in.Model
	doc := csafDoc{Document: csafDocument{
		Category: "csaf_vex", CSAFVersion: "2.0",
		Notes: []csafNote{{Category: "summary", Title: "Vigil assessment",
			Text: fmt.Sprintf("VEX statements of Vigil's current vulnerability assessment of %s: per vulnerability and component, whether the devices of this model and firmware version are affected, with the match evidence and the SSVC decision.", m)}},
		Publisher: csafPublisher{Category: "user", Name: in.author(), Namespace: Namespace},
		Title:     "Vigil VEX: " + m.String(),
		Tracking: csafTracking{CurrentReleaseDate: ts, ID: trackingID(m, now), InitialReleaseDate: ts,
			RevisionHistory: []csafRevision{{Date: ts, Number: "1", Summary: "Written from the current assessment."}},
			Status:          "final", Version: "1"},
	}}
	doc.Document.Tracking.Generator.Date = ts
	doc.Document.Tracking.Generator.Engine.Name = Engine

	vendor, model, version := strings.TrimSpace(m.Vendor), strings.TrimSpace(m.Model), strings.TrimSpace(m.Version)
	doc.ProductTree.Branches = []csafBranch{{Category: "vendor", Name: vendor, Branches: []csafBranch{{
		Category: "product_name", Name: model, Branches: []csafBranch{{
			Category: "product_version", Name: version, Product: &csafProduct{Name: m.String(), ProductID: modelID}}}}}}}

	// productOf gives the product a statement is about, defining it once.
	defined := map[string]bool{}
	productOf := func(s *statement) string {
		if s.device() {
			return modelID
		}
		cid := componentID(s.comp.Ref)
		rid := cid + ":" + modelID
		if defined[cid] {
			return rid
		}
		defined[cid] = true
		name := strings.TrimSpace(s.name(m) + " " + s.version())
		p := csafProduct{Name: cmp.Or(name, s.comp.Ref), ProductID: cid}
		h := csafHelper{PURL: s.purl(), CPE: s.cpe()}
		if !validPURL(h.PURL) {
			h.PURL = ""
		}
		if !csafCPE.MatchString(h.CPE) {
			h.CPE = ""
		}
		if h != (csafHelper{}) {
			p.Helper = &h
		}
		doc.ProductTree.FullProductNames = append(doc.ProductTree.FullProductNames, p)
		doc.ProductTree.Relationships = append(doc.ProductTree.Relationships, csafRelationship{
			Category:         "default_component_of",
			FullProductName:  csafProduct{Name: p.Name + " in " + m.String(), ProductID: rid},
			ProductReference: cid, RelatesToProductReference: modelID})
		return rid
	}

	for i := 0; i < len(stmts); {
		j := i
		for j < len(stmts) && stmts[j].vuln == stmts[i].vuln {
			j++
		}
		doc.Vulnerabilities = append(doc.Vulnerabilities, csafVulnerability(stmts[i:j], productOf, m))
		i = j
	}
	slices.SortFunc(doc.ProductTree.FullProductNames, func(a, b csafProduct) int { return strings.Compare(a.ProductID, b.ProductID) })
	slices.SortFunc(doc.ProductTree.Relationships, func(a, b csafRelationship) int {
		return strings.Compare(a.FullProductName.ProductID, b.FullProductName.ProductID)
	})

	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("encode CSAF: %w", err)
	}
	if err := csaf.ValidateDocument(buf.Bytes()); err != nil {
		return nil, fmt.Errorf("CSAF VEX of %s: %w", m, err)
	}
	return buf.Bytes(), nil
}

// csafVulnerability writes the statements about one vulnerability.
func csafVulnerability(stmts []*statement, productOf func(*statement) string, m Model) csafVuln {
	var v csafVuln
	id := stmts[0].vuln
	var others []string
	for _, s := range stmts {
		for _, x := range s.ids {
			if !slices.Contains(others, x) {
				others = append(others, x)
			}
		}
	}
	slices.Sort(others)
	if cveRE.MatchString(id) {
		v.CVE = id
	} else {
		v.IDs = append(v.IDs, csafID{SystemName: systemOf(id), Text: id})
	}
	for _, x := range others {
		if x != v.CVE {
			v.IDs = append(v.IDs, csafID{SystemName: systemOf(x), Text: x})
		}
	}
	flags := map[string][]string{}
	threats := map[string][]string{}
	type remKey struct{ category, details string }
	rems := map[remKey][]string{}
	scores := map[string][]string{}
	var notes []string
	for _, s := range stmts {
		pid := productOf(s)
		notes = append(notes, strings.TrimSpace(s.name(m)+" "+s.version())+": "+s.detail())
		switch s.status {
		case csaf.StatusAffected:
			v.ProductStatus.KnownAffected = append(v.ProductStatus.KnownAffected, pid)
			k := remKey{"none_available", "No fixed version is known to Vigil."}
			if len(s.fixedIn) > 0 {
				k = remKey{"vendor_fix", "Update to a fixed version: " + strings.Join(s.fixedIn, ", ") + "."}
			}
			rems[k] = append(rems[k], pid)
		case csaf.StatusNotAffected:
			v.ProductStatus.KnownNotAffected = append(v.ProductStatus.KnownNotAffected, pid)
			if slices.Contains(csafLabels, s.just) {
				flags[s.just] = append(flags[s.just], pid)
			}
			impact := s.impact
			if impact == "" {
				impact = "Not affected according to " + cmp.Or(s.vexFrom, "Vigil's assessment")
				if s.justRaw != "" {
					impact += " (" + s.justRaw + ")"
				}
				impact += "."
			}
			threats[impact] = append(threats[impact], pid)
		case csaf.StatusFixed:
			v.ProductStatus.Fixed = append(v.ProductStatus.Fixed, pid)
		default:
			v.ProductStatus.UnderInvestigation = append(v.ProductStatus.UnderInvestigation, pid)
		}
		if strings.HasPrefix(s.vector, "CVSS:3.") {
			scores[s.vector] = append(scores[s.vector], pid)
		}
	}
	v.Notes = []csafNote{{Category: "details", Title: "Vigil assessment", Text: strings.Join(notes, "\n")}}
	for _, l := range sortedKeys(flags) {
		v.Flags = append(v.Flags, csafFlag{Label: l, ProductIDs: sorted(flags[l])})
	}
	for _, d := range sortedKeys(threats) {
		v.Threats = append(v.Threats, csafThreat{Category: "impact", Details: d, ProductIDs: sorted(threats[d])})
	}
	keys := make([]remKey, 0, len(rems))
	for k := range rems {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b remKey) int {
		return cmp.Or(cmp.Compare(a.category, b.category), cmp.Compare(a.details, b.details))
	})
	for _, k := range keys {
		v.Remediations = append(v.Remediations, csafRemediation{Category: k.category, Details: k.details, ProductIDs: sorted(rems[k])})
	}
	for _, vec := range sortedKeys(scores) {
		p, err := cvss.Parse(vec)
		if err != nil || (p.Version() != cvss.V30 && p.Version() != cvss.V31) {
			continue
		}
		base := p.BaseScore()
		v.Scores = append(v.Scores, csafScore{Products: sorted(scores[vec]), CVSSv3: csafCVSS{BaseScore: base,
			BaseSeverity: strings.ToUpper(cvss.SeverityOf(base)), VectorString: p.String(), Version: string(p.Version())}})
	}
	ps := &v.ProductStatus
	for _, l := range []*[]string{&ps.Fixed, &ps.KnownAffected, &ps.KnownNotAffected, &ps.UnderInvestigation} {
		*l = sorted(*l)
	}
	return v
}

func sortedKeys(m map[string][]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func sorted(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}

// componentID derives a component's CSAF product ID from its bom-ref.
func componentID(ref string) string {
	sum := sha256.Sum256([]byte(ref))
	return "CMP-" + hex.EncodeToString(sum[:6])
}

var slugRE = regexp.MustCompile(`[^a-z0-9]+`)

// trackingID derives the document ID from the model and the time.
func trackingID(m Model, now time.Time) string {
	slug := strings.Trim(slugRE.ReplaceAllString(strings.ToLower(m.Vendor+"-"+m.Model+"-"+m.Version), "-"), "-")
	return "vigil-vex-" + slug + "-" + now.Format("20060102T150405Z")
}

// systemOf names the numbering system of a vulnerability ID.
func systemOf(id string) string {
	up := strings.ToUpper(id)
	switch {
	case cveRE.MatchString(up):
		return "CVE"
	case strings.HasPrefix(up, "GHSA-"):
		return "GitHub Security Advisory"
	case strings.HasPrefix(up, "ICSMA-"), strings.HasPrefix(up, "ICSA-"):
		return "CISA ICS Advisory"
	}
	if i := strings.IndexByte(id, '-'); i > 0 {
		return "OSV " + id[:i] // PYSEC-, GO-, RUSTSEC-, DSA-, …
	}
	return "other"
}

var purlRE = regexp.MustCompile(`^pkg:[A-Za-z.\-+][A-Za-z0-9.\-+]*/.+`)

// validPURL says whether the CSAF schema accepts p as a purl helper.
func validPURL(p string) bool {
	if len(p) < 7 || !purlRE.MatchString(p) {
		return false
	}
	u, err := url.Parse(p)
	return err == nil && u.Scheme != ""
}

// csafCPE is the CSAF 2.0 schema's pattern for the cpe helper.
var csafCPE = regexp.MustCompile(`^(cpe:2\.3:[aho\*\-](:(((\?*|\*?)([a-zA-Z0-9\-\._]|(\\[\\\*\?!"#\$%&'\(\)\+,/:;<=>@\[\]\^` + "`" +
	`\{\|\}~]))+(\?*|\*?))|[\*\-])){5}(:(([a-zA-Z]{2,3}(-([a-zA-Z]{2}|[0-9]{3}))?)|[\*\-]))(:(((\?*|\*?)([a-zA-Z0-9\-\._]|(\\[\\\*\?!"#\$%&'\(\)\+,/:;<=>@\[\]\^` +
	"`" + `\{\|\}~]))+(\?*|\*?))|[\*\-])){4})|([c][pP][eE]:/[AHOaho]?(:[A-Za-z0-9\._\-~%]*){0,6})$`)
