package csaf

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The normalized VEX statuses (OpenVEX's names).
const (
	StatusNotAffected        = "not_affected"
	StatusAffected           = "affected"
	StatusFixed              = "fixed"
	StatusUnderInvestigation = "under_investigation"
)

// The normalized VEX justifications (OpenVEX's names, which are also the CSAF
// flag labels).
const (
	ComponentNotPresent                         = "component_not_present"
	VulnerableCodeNotPresent                    = "vulnerable_code_not_present"
	VulnerableCodeNotInExecutePath              = "vulnerable_code_not_in_execute_path"
	VulnerableCodeCannotBeControlledByAdversary = "vulnerable_code_cannot_be_controlled_by_adversary"
	InlineMitigationsAlreadyExist               = "inline_mitigations_already_exist"
)

// The VEX formats a Statement comes from.
const (
	FormatOpenVEX   = "openvex"
	FormatCycloneDX = "cyclonedx"
	FormatCSAF      = "csaf"
)

// ProductRef is what a VEX statement is about, as precisely as the document
// says it.
type ProductRef struct {
	ID           string // CSAF product ID, OpenVEX @id, or CycloneDX bom-ref
	Name         string
	Version      string
	VersionRange string // CycloneDX affects[].versions[].range, CSAF product_version_range
	PURL         string
	CPE          string
	ModelNumbers []string
	SKUs         []string
	Hashes       map[string]string
	// Subcomponents are the components of the product the statement is
	// about (OpenVEX subcomponents; the component of a CSAF relationship).
	Subcomponents []ProductRef
}

// Statement is one VEX statement, normalized.
type Statement struct {
	Vulnerability string   // CVE or other ID (OpenVEX name, CycloneDX id, CSAF cve or first id)
	Aliases       []string // other IDs for it
	Products      []ProductRef
	Status        string // StatusNotAffected, StatusAffected, StatusFixed, StatusUnderInvestigation
	// Justification is the normalized justification (ComponentNotPresent, …);
	// JustificationRaw is what the document said (a CycloneDX justification,
	// a CSAF flag label).
	Justification, JustificationRaw string
	Impact, Action                  string   // impact statement, action statement
	Response                        []string // CycloneDX analysis.response
	Format                          string   // FormatOpenVEX, FormatCycloneDX, FormatCSAF
	Source                          string   // document ID (OpenVEX @id, CycloneDX serialNumber, CSAF tracking id), else the path
	Path                            string
	Timestamp                       time.Time
}

// ReadVEX reads VEX statements from path (a file, a folder tree, a
// provider-metadata.json or a ROLIE feed, as ReadCSAF), detecting per file
// OpenVEX, CycloneDX VEX (JSON: a BOM whose vulnerabilities carry an
// analysis) and CSAF VEX (the csaf_vex profile), and calls fn with each
// statement. A document that is none of them, or has no statement, is
// rejected; an error from fn stops the read and is returned.
func ReadVEX(path string, fn func(Statement) error) (Report, error) {
	w := newWalker(func(p string, data []byte) (*Rejection, error) {
		stmts, rej := parseVEX(p, data)
		if rej != nil {
			return rej, nil
		}
		for _, s := range stmts {
			if err := fn(s); err != nil {
				return nil, fmt.Errorf("%s: %w", p, err)
			}
		}
		return nil, nil
	})
	return w.run(path)
}

type vexProbe struct {
	Context    json.RawMessage `json:"@context"`
	Statements json.RawMessage `json:"statements"`
	BOMFormat  string          `json:"bomFormat"`
	Document   *struct {
		CSAFVersion string `json:"csaf_version"`
	} `json:"document"`
}

// parseVEX detects the format of one document and returns its statements.
func parseVEX(path string, data []byte) ([]Statement, *Rejection) {
	var p vexProbe
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, &Rejection{Path: path, Reason: jsonError(data, err)}
	}
	var (
		stmts []Statement
		rej   *Rejection
	)
	switch {
	case p.Context != nil && bytes.Contains(p.Context, []byte("openvex")), p.Context != nil && p.Statements != nil:
		stmts, rej = parseOpenVEX(path, data)
	case p.BOMFormat == "CycloneDX":
		stmts, rej = parseCycloneDX(path, data)
	case p.Document != nil && p.Document.CSAFVersion != "":
		stmts, rej = parseCSAFVEX(path, data)
	default:
		return nil, &Rejection{Path: path, Reason: "not a VEX document: neither OpenVEX (@context), CycloneDX (bomFormat) nor CSAF (document.csaf_version)"}
	}
	if rej == nil && len(stmts) == 0 {
		return nil, &Rejection{Path: path, Reason: "no VEX statement in the document"}
	}
	return stmts, rej
}

// OpenVEX (v0.0.1 and v0.2.0: products and vulnerabilities as strings or
// objects).

type openVEXDoc struct {
	ID         string `json:"@id"`
	Author     string `json:"author"`
	Timestamp  string `json:"timestamp"`
	Statements []struct {
		Vulnerability   ovVuln      `json:"vulnerability"`
		Products        []ovProduct `json:"products"`
		Subcomponents   []ovProduct `json:"subcomponents"` // v0.0.1
		Status          string      `json:"status"`
		Justification   string      `json:"justification"`
		ImpactStatement string      `json:"impact_statement"`
		ActionStatement string      `json:"action_statement"`
		Timestamp       string      `json:"timestamp"`
		LastUpdated     string      `json:"last_updated"`
	} `json:"statements"`
}

type ovVuln struct {
	ID      string   `json:"@id"`
	Name    string   `json:"name"`
	Aliases []string `json:"aliases"`
}

func (v *ovVuln) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		v.Name = s
		return nil
	}
	type plain ovVuln
	return json.Unmarshal(b, (*plain)(v))
}

type ovProduct struct {
	ID          string `json:"@id"`
	Identifiers struct {
		PURL  string `json:"purl"`
		CPE23 string `json:"cpe23"`
		CPE22 string `json:"cpe22"`
	} `json:"identifiers"`
	Hashes        map[string]string `json:"hashes"`
	Subcomponents []ovProduct       `json:"subcomponents"`
}

func (p *ovProduct) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		p.ID = s
		return nil
	}
	type plain ovProduct
	return json.Unmarshal(b, (*plain)(p))
}

func (p ovProduct) ref() ProductRef {
	r := ProductRef{ID: p.ID, PURL: p.Identifiers.PURL, CPE: p.Identifiers.CPE23, Hashes: p.Hashes}
	if r.CPE == "" {
		r.CPE = p.Identifiers.CPE22
	}
	if r.PURL == "" && strings.HasPrefix(p.ID, "pkg:") {
		r.PURL = p.ID
	}
	for _, s := range p.Subcomponents {
		r.Subcomponents = append(r.Subcomponents, s.ref())
	}
	return r
}

var openVEXStatuses = []string{StatusNotAffected, StatusAffected, StatusFixed, StatusUnderInvestigation}

func parseOpenVEX(path string, data []byte) ([]Statement, *Rejection) {
	var d openVEXDoc
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, &Rejection{Path: path, Reason: "OpenVEX: " + jsonError(data, err)}
	}
	source := cmp.Or(d.ID, path)
	var out []Statement
	for i, st := range d.Statements {
		where := fmt.Sprintf("/statements/%d", i)
		if !slices.Contains(openVEXStatuses, st.Status) {
			return nil, &Rejection{Path: path, Pointer: where + "/status", Reason: fmt.Sprintf("OpenVEX: unknown status %q", st.Status)}
		}
		s := Statement{
			Vulnerability:    cmp.Or(st.Vulnerability.Name, st.Vulnerability.ID),
			Aliases:          st.Vulnerability.Aliases,
			Status:           st.Status,
			Justification:    st.Justification,
			JustificationRaw: st.Justification,
			Impact:           st.ImpactStatement,
			Action:           st.ActionStatement,
			Format:           FormatOpenVEX,
			Source:           source,
			Path:             path,
			Timestamp:        firstTime(st.LastUpdated, st.Timestamp, d.Timestamp),
		}
		if s.Vulnerability == "" {
			return nil, &Rejection{Path: path, Pointer: where + "/vulnerability", Reason: "OpenVEX: statement names no vulnerability"}
		}
		for _, p := range st.Products {
			r := p.ref()
			for _, sc := range st.Subcomponents {
				r.Subcomponents = append(r.Subcomponents, sc.ref())
			}
			s.Products = append(s.Products, r)
		}
		out = append(out, s)
	}
	return out, nil
}

// CycloneDX VEX.

type cdxComponent struct {
	BOMRef     string         `json:"bom-ref"`
	Name       string         `json:"name"`
	Group      string         `json:"group"`
	Version    string         `json:"version"`
	PURL       string         `json:"purl"`
	CPE        string         `json:"cpe"`
	Components []cdxComponent `json:"components"`
	Hashes     []struct {
		Alg     string `json:"alg"`
		Content string `json:"content"`
	} `json:"hashes"`
}

type cdxDoc struct {
	SerialNumber string `json:"serialNumber"`
	Metadata     struct {
		Timestamp string        `json:"timestamp"`
		Component *cdxComponent `json:"component"`
	} `json:"metadata"`
	Components      []cdxComponent `json:"components"`
	Vulnerabilities []struct {
		BOMRef     string `json:"bom-ref"`
		ID         string `json:"id"`
		References []struct {
			ID string `json:"id"`
		} `json:"references"`
		Published string `json:"published"`
		Updated   string `json:"updated"`
		Analysis  *struct {
			State         string   `json:"state"`
			Justification string   `json:"justification"`
			Response      []string `json:"response"`
			Detail        string   `json:"detail"`
			FirstIssued   string   `json:"firstIssued"`
			LastUpdated   string   `json:"lastUpdated"`
		} `json:"analysis"`
		Affects []struct {
			Ref      string `json:"ref"`
			Versions []struct {
				Version string `json:"version"`
				Range   string `json:"range"`
				Status  string `json:"status"`
			} `json:"versions"`
		} `json:"affects"`
	} `json:"vulnerabilities"`
}

var cdxStates = map[string]string{
	"resolved":               StatusFixed,
	"resolved_with_pedigree": StatusFixed,
	"exploitable":            StatusAffected,
	"in_triage":              StatusUnderInvestigation,
	"false_positive":         StatusNotAffected,
	"not_affected":           StatusNotAffected,
}

// cdxJustifications maps CycloneDX analysis justifications to the VEX ones,
// as the CycloneDX and CISA VEX guidance pair them.
var cdxJustifications = map[string]string{
	"code_not_present":                VulnerableCodeNotPresent,
	"code_not_reachable":              VulnerableCodeNotInExecutePath,
	"requires_configuration":          VulnerableCodeCannotBeControlledByAdversary,
	"requires_dependency":             ComponentNotPresent,
	"requires_environment":            VulnerableCodeCannotBeControlledByAdversary,
	"protected_by_compiler":           InlineMitigationsAlreadyExist,
	"protected_at_runtime":            InlineMitigationsAlreadyExist,
	"protected_at_perimeter":          InlineMitigationsAlreadyExist,
	"protected_by_mitigating_control": InlineMitigationsAlreadyExist,
}

// parseCycloneDX reads the vulnerabilities that carry an analysis; one
// without (a vulnerability disclosure, not an exploitability statement) is
// not a VEX statement and is skipped.
func parseCycloneDX(path string, data []byte) ([]Statement, *Rejection) {
	var d cdxDoc
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, &Rejection{Path: path, Reason: "CycloneDX: " + jsonError(data, err)}
	}
	if len(d.Vulnerabilities) == 0 {
		return nil, &Rejection{Path: path, Reason: "CycloneDX BOM without vulnerabilities: not VEX"}
	}
	refs := map[string]cdxComponent{}
	var index func([]cdxComponent)
	index = func(cs []cdxComponent) {
		for _, c := range cs {
			if c.BOMRef != "" {
				refs[c.BOMRef] = c
			}
			index(c.Components)
		}
	}
	if d.Metadata.Component != nil {
		index([]cdxComponent{*d.Metadata.Component})
	}
	index(d.Components)
	source := cmp.Or(d.SerialNumber, path)
	var out []Statement
	for i, v := range d.Vulnerabilities {
		a := v.Analysis
		if a == nil || a.State == "" {
			continue
		}
		status, ok := cdxStates[a.State]
		if !ok {
			return nil, &Rejection{Path: path, Pointer: fmt.Sprintf("/vulnerabilities/%d/analysis/state", i), Reason: fmt.Sprintf("CycloneDX: unknown analysis state %q", a.State)}
		}
		s := Statement{
			Vulnerability:    v.ID,
			Status:           status,
			JustificationRaw: a.Justification,
			Justification:    cdxJustifications[a.Justification],
			Response:         a.Response,
			Format:           FormatCycloneDX,
			Source:           source,
			Path:             path,
			Timestamp:        firstTime(a.LastUpdated, a.FirstIssued, v.Updated, v.Published, d.Metadata.Timestamp),
		}
		for _, r := range v.References {
			s.Aliases = append(s.Aliases, r.ID)
		}
		if status == StatusNotAffected {
			s.Impact = a.Detail
		} else {
			s.Action = strings.Join(a.Response, ", ")
			if a.Detail != "" && s.Action != "" {
				s.Action += ": " + a.Detail
			} else if a.Detail != "" {
				s.Action = a.Detail
			}
		}
		for _, af := range v.Affects {
			base := ProductRef{ID: af.Ref}
			ref := af.Ref
			if i := strings.LastIndex(ref, "#"); i >= 0 && strings.HasPrefix(ref, "urn:cdx:") {
				ref = ref[i+1:] // a BOM-Link: the bom-ref after the fragment
			}
			if c, ok := refs[ref]; ok {
				base.Name, base.Version, base.PURL, base.CPE = c.Name, c.Version, c.PURL, c.CPE
				if c.Group != "" {
					base.Name = c.Group + "/" + c.Name
				}
				for _, h := range c.Hashes {
					if base.Hashes == nil {
						base.Hashes = map[string]string{}
					}
					base.Hashes[h.Alg] = h.Content
				}
			}
			if len(af.Versions) == 0 {
				s.Products = append(s.Products, base)
				continue
			}
			for _, ver := range af.Versions {
				r := base
				if ver.Version != "" {
					r.Version = ver.Version
				}
				r.VersionRange = ver.Range
				s.Products = append(s.Products, r)
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// CSAF VEX.

// csafVEXStatuses maps the CSAF product statuses to VEX statuses
// ("recommended" is not a VEX status and gives no statement).
var csafVEXStatuses = map[Status]string{
	KnownNotAffected:   StatusNotAffected,
	KnownAffected:      StatusAffected,
	FirstAffected:      StatusAffected,
	LastAffected:       StatusAffected,
	Fixed:              StatusFixed,
	FirstFixed:         StatusFixed,
	UnderInvestigation: StatusUnderInvestigation,
}

// parseCSAFVEX gives one statement per vulnerability × product in a VEX
// status, with the product's flag as justification, its impact threat as
// impact statement and its remediations as action statement.
func parseCSAFVEX(path string, data []byte) ([]Statement, *Rejection) {
	adv, pointer, err := parseCSAF(data)
	if err != nil {
		return nil, &Rejection{Path: path, Pointer: pointer, Reason: err.Error(), Err: err}
	}
	if adv.Category != "csaf_vex" {
		return nil, &Rejection{Path: path, Pointer: "/document/category",
			Reason: fmt.Sprintf("CSAF category %q is not the csaf_vex profile (read it as an advisory)", adv.Category)}
	}
	return adv.Statements(path), nil
}

// Statements turns a CSAF document's product statuses into VEX statements:
// one per vulnerability × product in a VEX status, with the product's flag as
// justification, its "impact" threats as impact statement and its
// remediations as action statement.
func (adv *Advisory) Statements(path string) []Statement {
	var out []Statement
	order := []Status{KnownNotAffected, KnownAffected, FirstAffected, LastAffected, Fixed, FirstFixed, UnderInvestigation}
	for _, v := range adv.Vulnerabilities {
		name := v.CVE
		aliases := v.IDs
		if name == "" && len(v.IDs) > 0 {
			name, aliases = v.IDs[0], v.IDs[1:]
		}
		for _, st := range order {
			for _, pid := range v.Products[st] {
				s := Statement{
					Vulnerability: name,
					Aliases:       aliases,
					Products:      []ProductRef{adv.ref(pid)},
					Status:        csafVEXStatuses[st],
					Format:        FormatCSAF,
					Source:        cmp.Or(adv.ID, path),
					Path:          path,
					Timestamp:     adv.Current,
				}
				for _, f := range v.Flags {
					if slices.Contains(f.ProductIDs, pid) {
						s.JustificationRaw, s.Justification = f.Label, f.Label
						break
					}
				}
				var impact, action []string
				for _, t := range v.Threats {
					if t.Category == "impact" && slices.Contains(t.ProductIDs, pid) {
						impact = append(impact, t.Details)
					}
				}
				for _, r := range v.Remediations {
					if slices.Contains(r.ProductIDs, pid) {
						action = append(action, cmp.Or(r.Details, r.Category))
					}
				}
				s.Impact = strings.Join(impact, "\n")
				if s.Status != StatusNotAffected {
					s.Action = strings.Join(action, "\n")
				}
				out = append(out, s)
			}
		}
	}
	return out
}

// ref describes a CSAF product for a statement; a product defined by a
// relationship gets its component as subcomponent.
func (adv *Advisory) ref(id string) ProductRef {
	p, ok := adv.Products[id]
	if !ok {
		return ProductRef{ID: id}
	}
	r := ProductRef{ID: id, Name: p.Name, Version: p.Version, VersionRange: p.VersionRange,
		CPE: p.CPE, ModelNumbers: p.ModelNumbers, SKUs: p.SKUs, Hashes: p.Hashes}
	if len(p.PURLs) > 0 {
		r.PURL = p.PURLs[0]
	}
	if p.Relationship != "" && p.Component != "" && p.Component != id {
		c := adv.Products[p.Component]
		sub := ProductRef{ID: p.Component, Name: c.Name, Version: c.Version, VersionRange: c.VersionRange,
			CPE: c.CPE, ModelNumbers: c.ModelNumbers, SKUs: c.SKUs, Hashes: c.Hashes}
		if len(c.PURLs) > 0 {
			sub.PURL = c.PURLs[0]
		}
		r.Subcomponents = []ProductRef{sub}
	}
	return r
}

func firstTime(ss ...string) time.Time {
	for _, s := range ss {
		if t := parseTime(s); !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}
