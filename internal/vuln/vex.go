package vuln

import (
	"slices"
	"strings"

	"github.com/package-url/packageurl-go"
	"github.com/vigil-iomt/vigil/internal/csaf"
	"github.com/vigil-iomt/vigil/internal/sbom"
)

// Specificity of a VEX statement's product reference: a more specific
// statement wins over a more general one; a later timestamp wins among
// equals, then the statement added last.
const (
	specDeviceName    = 1 // a device by product name only
	specDevice        = 2 // a device by name and version, model number, or CSAF product status
	specComponentName = 3 // a component by purl without version, or CPE without version
	specComponent     = 4 // a component by purl with version, CPE with version, or bom-ref
	specComponentQual = 5 // a component by purl with version and qualifiers
)

// vexRule is one VEX statement (or CSAF product status) in matchable form.
type vexRule struct {
	vuln    string
	aliases []string
	refs    []vexRef
	entry   *csafEntry // CSAF product-status rules: the product they name
	state   VEXState
	order   int
}

type vexRef struct {
	ref  csaf.ProductRef
	purl *packageurl.PackageURL
	cpe  *cpeCriteria
	subs []vexRef
}

// AddVEX adds a VEX statement (OpenVEX, CycloneDX VEX or CSAF VEX, as read by
// package csaf).
func (m *Matcher) AddVEX(s csaf.Statement) {
	r := &vexRule{vuln: s.Vulnerability, aliases: s.Aliases, state: VEXState{
		Status: s.Status, Justification: s.Justification, JustificationRaw: s.JustificationRaw,
		Impact: s.Impact, Action: s.Action, Format: s.Format, Source: s.Source, Timestamp: s.Timestamp}}
	for _, p := range s.Products {
		r.refs = append(r.refs, compileRef(p))
	}
	m.addVEXRule(r)
}

func compileRef(p csaf.ProductRef) vexRef {
	r := vexRef{ref: p}
	if p.PURL != "" {
		if u, err := packageurl.FromString(p.PURL); err == nil {
			r.purl = &u
		}
	}
	if p.CPE != "" {
		if c, err := ParseCPE(p.CPE); err == nil {
			r.cpe = &cpeCriteria{cpe: c, raw: p.CPE, vulnerable: true}
		}
	}
	for _, s := range p.Subcomponents {
		r.subs = append(r.subs, compileRef(s))
	}
	return r
}

func (m *Matcher) addVEXRule(r *vexRule) {
	m.nvex++
	r.order = m.nvex
	for _, id := range append([]string{r.vuln}, r.aliases...) {
		if id == "" {
			continue
		}
		k := strings.ToUpper(id)
		if !slices.Contains(m.vex[k], r) {
			m.vex[k] = append(m.vex[k], r)
		}
	}
}

// applyVEX finds the statements about f's vulnerability (by ID or alias)
// whose product references match f's component or the device, and applies
// the most specific one (latest among equals).
func (m *Matcher) applyVEX(f *Finding, p Product, doc *sbom.Document) {
	if len(m.vex) == 0 {
		return
	}
	var comp *sbom.Component
	if doc != nil && f.Source != SourceCSAF {
		for i := range doc.Components {
			if doc.Components[i].Ref == f.Component.Ref {
				comp = &doc.Components[i]
				break
			}
		}
	}
	var best *vexRule
	bestSpec, bestScope := 0, ""
	seen := map[*vexRule]bool{}
	for _, id := range append([]string{f.Vulnerability}, f.Aliases...) {
		for _, r := range m.vex[strings.ToUpper(id)] {
			if seen[r] {
				continue
			}
			seen[r] = true
			spec, scope := r.specificity(comp, p, doc)
			if spec == 0 {
				continue
			}
			if best == nil || spec > bestSpec ||
				spec == bestSpec && (r.state.Timestamp.After(best.state.Timestamp) ||
					r.state.Timestamp.Equal(best.state.Timestamp) && r.order > best.order) {
				best, bestSpec, bestScope = r, spec, scope
			}
		}
	}
	if best == nil {
		return
	}
	st := best.state
	if st.Scope == "" {
		st.Scope = bestScope
	}
	f.VEX = &st
	f.Suppressed = st.Status == csaf.StatusNotAffected || st.Status == csaf.StatusFixed
}

// specificity returns how specifically the rule names the component (or,
// for device-level statements, the device), 0 when it does not apply.
func (r *vexRule) specificity(comp *sbom.Component, p Product, doc *sbom.Document) (int, string) {
	if r.entry != nil {
		if r.entry.matchesDevice(p) {
			if r.entry.version != "" || r.entry.rng != nil {
				return specDevice, "csaf-product-status"
			}
			return specDeviceName, "csaf-product-status"
		}
		return 0, ""
	}
	best, scope := 0, ""
	for i := range r.refs {
		ref := &r.refs[i]
		var s int
		var sc string
		if len(ref.subs) > 0 {
			// A statement about subcomponents of a product: the product must
			// be this device (or its SBOM), the subcomponent this component.
			if d, _ := ref.deviceSpec(p, doc); d == 0 && !ref.isDocProduct(doc) {
				continue
			}
			for j := range ref.subs {
				if cs, csc := ref.subs[j].componentSpec(comp, doc, r.state.Source); cs > s {
					s, sc = cs, csc
				}
			}
		} else {
			s, sc = ref.componentSpec(comp, doc, r.state.Source)
			if s == 0 {
				s, sc = ref.deviceSpec(p, doc)
			}
		}
		if s > best {
			best, scope = s, sc
		}
	}
	return best, scope
}

// componentSpec matches a reference against an SBOM component: purl by the
// purl specification's rule, CPE as an NVD criteria would, or bom-ref
// within the same SBOM (the statement's source is the SBOM's serial number,
// or the reference is a BOM-Link to it).
func (ref *vexRef) componentSpec(c *sbom.Component, doc *sbom.Document, source string) (int, string) {
	if c == nil {
		return 0, ""
	}
	if ref.purl != nil && c.PURL != "" {
		if cu, err := packageurl.FromString(c.PURL); err == nil && purlMatches(*ref.purl, cu) {
			switch {
			case ref.purl.Version != "" && len(ref.purl.Qualifiers) > 0:
				return specComponentQual, "purl+version+qualifiers"
			case ref.purl.Version != "":
				return specComponent, "purl+version"
			default:
				return specComponentName, "purl"
			}
		}
	}
	if ref.cpe != nil {
		for _, raw := range c.CPEs {
			cc, err := ParseCPE(raw)
			if err == nil && ref.cpe.matches(&cc, false) {
				if v := ref.cpe.cpe.Attrs[cpeVersion]; !v.Any {
					return specComponent, "cpe+version"
				}
				return specComponentName, "cpe"
			}
		}
	}
	if ref.ref.ID != "" && doc != nil && doc.Serial != "" {
		id := ref.ref.ID
		if rest, ok := strings.CutPrefix(id, "urn:cdx:"); ok {
			serial, bomRef, ok := strings.Cut(rest, "#")
			serial, _, _ = strings.Cut(serial, "/")
			if ok && strings.EqualFold("urn:uuid:"+serial, doc.Serial) && bomRef == c.Ref {
				return specComponent, "bom-ref"
			}
		} else if id == c.Ref && source == doc.Serial {
			return specComponent, "bom-ref"
		}
	}
	return 0, ""
}

// deviceSpec matches a reference against the device: model number or SKU,
// or product name (as CSAF product names are matched) with its version or
// version range when given.
func (ref *vexRef) deviceSpec(p Product, doc *sbom.Document) (int, string) {
	if p.Model == "" {
		return 0, ""
	}
	mk := strings.Join(tokens(p.Model), " ")
	for _, mn := range slices.Concat(ref.ref.ModelNumbers, ref.ref.SKUs) {
		if strings.Join(tokens(mn), " ") == mk {
			return specDevice, "product-model-number"
		}
	}
	if ref.ref.Name == "" {
		return 0, ""
	}
	e := &csafEntry{product: csaf.Product{Name: ref.ref.Name, VersionRange: ref.ref.VersionRange}, version: strings.TrimSpace(ref.ref.Version)}
	e.addNameOf(tokens(ref.ref.Name), p.Vendor)
	if ref.ref.VersionRange != "" {
		if r, err := ParseVersionRange(ref.ref.VersionRange); err == nil {
			e.rng = &r
		} else {
			return 0, ""
		}
	}
	if _, q := e.modelQuality(p.Model); q < qualityName {
		return 0, "" // a statement that may suppress needs the exact name
	}
	if e.version == "" && e.rng == nil {
		return specDeviceName, "product"
	}
	if verdict, _ := e.matchVersion(p.Version); verdict == versionIn {
		return specDevice, "product+version"
	}
	return 0, ""
}

// isDocProduct reports whether the reference names the SBOM's own product
// by purl or CPE.
func (ref *vexRef) isDocProduct(doc *sbom.Document) bool {
	if doc == nil {
		return false
	}
	if ref.purl != nil && doc.Product.PURL != "" {
		if u, err := packageurl.FromString(doc.Product.PURL); err == nil && purlMatches(*ref.purl, u) {
			return true
		}
	}
	if ref.cpe != nil {
		for _, raw := range doc.Product.CPEs {
			if c, err := ParseCPE(raw); err == nil && ref.cpe.matches(&c, false) {
				return true
			}
		}
	}
	return false
}
