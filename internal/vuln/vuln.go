// Package vuln matches software bills of materials and devices against
// vulnerability advisories and applies VEX statements: OSV affected ranges by
// purl, NVD CPE configurations (with "running on" platforms), and CSAF
// product trees against a device model and firmware version. Every Finding
// says how it matched (Method) and why, in words (Evidence).
//
// It owns matching only: it reads nothing from disk or the network, stores
// nothing and scores nothing. A Matcher is built once from advisories and is
// indexed, so matching one SBOM looks up each component instead of scanning
// every advisory. Matching methods are safe for concurrent use once every
// Add* call has returned.
package vuln

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/vigil-iomt/vigil/internal/advisory"
	"github.com/vigil-iomt/vigil/internal/sbom"
)

// Sources of a Finding.
const (
	SourceOSV  = "osv"
	SourceNVD  = "nvd"
	SourceCSAF = "csaf"
)

// Methods of a Finding: how it matched.
const (
	// MethodPURLRange: the component's purl maps to the OSV ecosystem and
	// package, and its version is inside an ECOSYSTEM or SEMVER range.
	MethodPURLRange = "purl-ecosystem-range"
	// MethodPURLExact: the version is listed in the OSV record's versions.
	MethodPURLExact = "purl-exact-version"
	// MethodCPEConfig: a component CPE satisfies a vulnerable cpeMatch of an
	// NVD configuration and the whole configuration (AND, running-on,
	// negations) holds for the SBOM.
	MethodCPEConfig = "cpe-configuration"
	// MethodCSAFProduct: the device's vendor and model equal a CSAF product
	// (by model number, SKU, CPE or purl helper, or by normalized name) and
	// its version is the product version or inside the product version range.
	MethodCSAFProduct = "csaf-product"
	// MethodCSAFProductUnverified: vendor and model match but the advisory's
	// version range is free text this package cannot read ("< august 28");
	// reported for review unless Options.StrictCSAFVersions is set.
	MethodCSAFProductUnverified = "csaf-product-unverified-version"
)

// ComponentRef names the component a finding is about: an SBOM component,
// or the device itself for a CSAF product match (Ref is then "").
type ComponentRef struct {
	Ref, Name, Version string
	PURL               string
	CPE                string // the CPE that matched (CPE matches), else the component's first
}

// VEXState is the VEX statement that applies to a finding.
type VEXState struct {
	Status           string // csaf.StatusNotAffected, StatusAffected, StatusFixed, StatusUnderInvestigation
	Justification    string // normalized (csaf.ComponentNotPresent, …)
	JustificationRaw string // as the document wrote it
	Impact, Action   string
	Format           string // openvex, cyclonedx, csaf
	Source           string // the VEX document (or CSAF advisory) ID
	Timestamp        time.Time
	// Scope says what the statement matched: "purl+version", "purl",
	// "cpe", "bom-ref", "product", "csaf-product-status".
	Scope string
}

// Finding is one vulnerability affecting one component of one product
// (device model + firmware version).
type Finding struct {
	Vulnerability string   // the advisory ID
	Aliases       []string // CVEs and other IDs of the same vulnerability
	Source        string   // SourceOSV, SourceNVD, SourceCSAF
	Component     ComponentRef
	Method        string // Method* constant
	Evidence      string // how it matched, in words
	FixedIn       []string
	// VEX is the statement that applies, nil when none. A not_affected or
	// fixed statement suppresses the finding (Suppressed), which is kept
	// with the reason.
	VEX        *VEXState
	Suppressed bool
}

// Product is a device model and firmware version, as the inventory or the
// asset register say.
type Product struct {
	Vendor, Model, Version string
	// Platforms are CPE names of the platform the device software runs on
	// when known outside its SBOM (operating system, hardware); they satisfy
	// the non-vulnerable "running on" nodes of NVD configurations.
	Platforms []string
}

// Note is something the matcher could not decide and did not report as a
// finding: a component without a matchable identifier, an NVD application
// match whose running-on platform is absent, a CSAF product whose version
// cannot be compared.
type Note struct {
	Component     string // component ref, or "" for the device
	Vulnerability string // "" when not about one vulnerability
	Message       string
}

// Result is what Match returns: the findings and the notes.
type Result struct {
	Findings []Finding
	Notes    []Note
}

// Options configure a Matcher.
type Options struct {
	// StrictCSAFVersions drops CSAF products whose version range is free
	// text that cannot be compared (a Note is kept instead). By default they
	// are reported with MethodCSAFProductUnverified: a device of a named
	// affected product is worth a look even when the range is "< august 28".
	StrictCSAFVersions bool
}

// Matcher matches SBOMs and devices against the advisories added to it.
type Matcher struct {
	opts Options

	osv    map[string][]osvEntry // osvKey(ecosystem base, name) → affected entries
	cpe    map[string][]int      // "vendor:product" of a vulnerable cpeMatch → index into nvd
	cpeAny []int                 // configs whose vulnerable criteria have ANY vendor or product
	nvd    []*nvdRecord
	csaf   map[string][]*csafEntry // normalized vendor → products
	vex    map[string][]*vexRule   // vulnerability ID (and aliases) → rules
	nvex   int
}

// NewMatcher returns an empty Matcher.
func NewMatcher(opts Options) *Matcher {
	return &Matcher{
		opts: opts,
		osv:  map[string][]osvEntry{},
		cpe:  map[string][]int{},
		csaf: map[string][]*csafEntry{},
		vex:  map[string][]*vexRule{},
	}
}

// AddAdvisory indexes an OSV or NVD advisory. Withdrawn (OSV) and rejected
// (NVD) records are ignored.
func (m *Matcher) AddAdvisory(a *advisory.Advisory) {
	if a == nil || !a.Withdrawn.IsZero() || a.Status == "Rejected" {
		return
	}
	switch a.Source {
	case advisory.SourceOSV:
		m.addOSV(a)
	case advisory.SourceNVD:
		m.addNVD(a)
	}
}

// MatchSBOM returns the findings for the components of doc, installed in
// product p, with VEX applied, in a deterministic order (component ref,
// vulnerability, source, method).
func (m *Matcher) MatchSBOM(p Product, doc *sbom.Document) []Finding {
	return m.Match(p, doc).Findings
}

// MatchProduct returns the CSAF findings for a device model and version
// (no SBOM needed), with VEX applied.
func (m *Matcher) MatchProduct(p Product) []Finding {
	return m.Match(p, nil).Findings
}

// Match matches the device p and, when doc is not nil, the components of
// its SBOM: OSV and NVD findings for the components, CSAF findings for the
// device. VEX is applied to all of them.
func (m *Matcher) Match(p Product, doc *sbom.Document) Result {
	var r Result
	if doc != nil {
		env := newEnvironment(p, doc)
		for i := range doc.Components {
			c := &doc.Components[i]
			m.matchOSV(c, &r)
			m.matchCPE(c, env, &r)
		}
	}
	m.matchCSAF(p, &r)
	r.Findings = dedupe(r.Findings)
	for i := range r.Findings {
		m.applyVEX(&r.Findings[i], p, doc)
	}
	sortFindings(r.Findings)
	slices.SortStableFunc(r.Notes, func(a, b Note) int {
		return cmp.Or(cmp.Compare(a.Component, b.Component), cmp.Compare(a.Vulnerability, b.Vulnerability), cmp.Compare(a.Message, b.Message))
	})
	r.Notes = slices.Compact(r.Notes)
	return r
}

func sortFindings(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		return cmp.Or(
			cmp.Compare(a.Component.Ref, b.Component.Ref),
			cmp.Compare(a.Component.Name, b.Component.Name),
			cmp.Compare(a.Vulnerability, b.Vulnerability),
			cmp.Compare(a.Source, b.Source),
			cmp.Compare(a.Method, b.Method),
			cmp.Compare(a.Evidence, b.Evidence))
	})
}

// dedupe keeps one finding per component × vulnerability × source × method
// (an advisory listing the same package twice, a CSAF device matching two
// products of the same vulnerability): the first, with the fixed versions
// of all and the evidence of the others appended ("; also …").
func dedupe(fs []Finding) []Finding {
	type key struct{ ref, name, vuln, src, method string }
	seen := map[key]int{}
	out := fs[:0]
	for _, f := range fs {
		k := key{f.Component.Ref, f.Component.Name, f.Vulnerability, f.Source, f.Method}
		if i, ok := seen[k]; ok {
			out[i].FixedIn = appendUnique(out[i].FixedIn, f.FixedIn...)
			if f.Evidence != out[i].Evidence && !strings.Contains(out[i].Evidence, f.Evidence) {
				out[i].Evidence += "; also " + f.Evidence
			}
			continue
		}
		seen[k] = len(out)
		out = append(out, f)
	}
	return out
}

func appendUnique(dst []string, vs ...string) []string {
	for _, v := range vs {
		if v != "" && !slices.Contains(dst, v) {
			dst = append(dst, v)
		}
	}
	return dst
}

func componentRef(c *sbom.Component) ComponentRef {
	r := ComponentRef{Ref: c.Ref, Name: c.Name, Version: c.Version, PURL: cmp.Or(c.PURL, c.RawPURL)}
	if c.Group != "" {
		r.Name = c.Group + "/" + c.Name
	}
	if len(c.CPEs) > 0 {
		r.CPE = c.CPEs[0]
	}
	return r
}

// lowerASCII lower-cases s without allocating when it is already lower case.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}
