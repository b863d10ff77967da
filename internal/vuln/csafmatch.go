package vuln

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/vigil-iomt/vigil/internal/csaf"
)

// csafEntry is one product × vulnerability × status of a CSAF advisory.
type csafEntry struct {
	docID, vuln string
	aliases     []string
	status      csaf.Status
	product     csaf.Product
	names       [][]string // normalized name token lists to compare with the model
	models      []string   // normalized model numbers and SKUs
	version     string     // product_version, trimmed
	rng         *VersionRange
	rngErr      error
	fixedIn     []string
	affected    bool // a known affected status; the others are indexed only to rank name matches
}

// affectedStatuses make findings; the others become VEX-like statements.
var affectedStatuses = []csaf.Status{csaf.KnownAffected, csaf.FirstAffected, csaf.LastAffected}

var otherStatuses = map[csaf.Status]string{
	csaf.Fixed:              csaf.StatusFixed,
	csaf.FirstFixed:         csaf.StatusFixed,
	csaf.KnownNotAffected:   csaf.StatusNotAffected,
	csaf.UnderInvestigation: csaf.StatusUnderInvestigation,
}

// vendorSuffixes are legal-form words dropped from vendor names.
var vendorSuffixes = map[string]bool{"inc": true, "incorporated": true, "corp": true, "corporation": true,
	"co": true, "company": true, "ltd": true, "limited": true, "llc": true, "gmbh": true, "ag": true,
	"sa": true, "plc": true, "se": true, "bv": true, "nv": true, "kg": true, "oy": true, "ab": true,
	"as": true, "srl": true, "spa": true, "pty": true, "lp": true, "the": true, "kk": true, "and": true}

// tokens lower-cases s and splits it at every character that is not a
// letter or digit: "Merlin@home" → [merlin home].
func tokens(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// NormalizeVendor returns the comparison keys of a vendor name: lower case,
// punctuation dropped, legal-form words ("Inc.", "Corporation", "GmbH", …)
// removed. A comma-separated list ("ENEA, Green Hills Software, and Wind
// River") also gives one key per listed vendor; the keys only select the
// candidate products, the model must still match.
func NormalizeVendor(s string) []string {
	var out []string
	add := func(part string) {
		var keep []string
		for _, t := range tokens(part) {
			if !vendorSuffixes[t] {
				keep = append(keep, t)
			}
		}
		if k := strings.Join(keep, " "); k != "" && !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	add(s)
	if strings.Contains(s, ",") {
		for _, part := range strings.Split(strings.ReplaceAll(s, ", and ", ", "), ",") {
			add(part)
		}
	}
	return out
}

// AddCSAF indexes a CSAF advisory's products by vendor. Products in a known
// affected status (known_affected, first_affected, last_affected) give
// findings; fixed, first_fixed, known_not_affected and under_investigation
// products become VEX statements for the device.
func (m *Matcher) AddCSAF(a *csaf.Advisory) {
	if a == nil {
		return
	}
	for _, v := range a.Vulnerabilities {
		id := v.CVE
		aliases := slices.Clone(v.IDs)
		if id == "" && len(aliases) > 0 {
			id, aliases = aliases[0], aliases[1:]
		}
		if id == "" {
			id = a.ID
		}
		fixed := map[string][]string{} // product name → fixed versions
		for _, st := range []csaf.Status{csaf.Fixed, csaf.FirstFixed} {
			for _, pid := range v.Products[st] {
				p := a.Products[pid]
				if p.Version != "" {
					name := strings.Join(tokens(cmp.Or(p.ProductName, p.Name)), " ")
					fixed[name] = appendUnique(fixed[name], p.Version)
				}
			}
		}
		for st, ids := range v.Products {
			vexStatus, other := otherStatuses[st]
			if !other && !slices.Contains(affectedStatuses, st) {
				continue
			}
			for _, pid := range ids {
				p, ok := a.Products[pid]
				if !ok {
					continue
				}
				e := newCSAFEntry(a, p, st, id, aliases)
				e.fixedIn = fixed[strings.Join(tokens(cmp.Or(p.ProductName, p.Name)), " ")]
				e.affected = !other
				for _, k := range e.vendorIndex() {
					m.csaf[k] = append(m.csaf[k], e)
				}
				if other {
					m.addVEXRule(&vexRule{vuln: id, aliases: aliases, entry: e,
						state: VEXState{Status: vexStatus, Justification: flag(v, pid), JustificationRaw: flag(v, pid),
							Format: csaf.FormatCSAF, Source: a.ID, Timestamp: a.Current, Scope: "csaf-product-status"}})
				}
			}
		}
	}
}

func flag(v csaf.Vulnerability, pid string) string {
	for _, f := range v.Flags {
		if slices.Contains(f.ProductIDs, pid) {
			return f.Label
		}
	}
	return ""
}

func newCSAFEntry(a *csaf.Advisory, p csaf.Product, st csaf.Status, id string, aliases []string) *csafEntry {
	// A relationship product (component installed on a platform) is
	// matched by its platform, the device.
	if p.Relationship != "" && p.Platform != "" {
		if plat, ok := a.Products[p.Platform]; ok {
			q := plat
			q.ID, q.Name = p.ID, p.Name
			p = q
		}
	}
	e := &csafEntry{docID: a.ID, vuln: id, aliases: aliases, status: st, product: p,
		version: strings.TrimSpace(p.Version)}
	for _, n := range []string{p.ProductName, joinNonEmpty(" ", p.Family, p.ProductName)} {
		if n != "" {
			e.addNameOf(tokens(n), p.Vendor)
		}
	}
	if p.ProductName == "" {
		e.addName(tokens(p.Name))
	}
	for _, mn := range slices.Concat(p.ModelNumbers, p.SKUs) {
		if k := strings.Join(tokens(mn), " "); k != "" {
			e.models = append(e.models, k)
		}
	}
	if p.VersionRange != "" {
		r, err := ParseVersionRange(p.VersionRange)
		if err != nil {
			e.rngErr = err
		} else {
			e.rng = &r
		}
	}
	return e
}

// addNameOf adds a product name and, when it starts with words of the
// vendor's name ("Medtronic CareLink 2090" under vendor Medtronic), the name
// without them ("CareLink 2090").
func (e *csafEntry) addNameOf(t []string, vendor string) {
	e.addName(t)
	vt := map[string]bool{}
	for _, w := range tokens(vendor) {
		vt[w] = true
	}
	i := 0
	for i < len(t)-1 && vt[t[i]] {
		i++
	}
	e.addName(t[i:])
}

func (e *csafEntry) addName(t []string) {
	if len(t) == 0 {
		return
	}
	for _, n := range e.names {
		if slices.Equal(n, t) {
			return
		}
	}
	e.names = append(e.names, t)
}

func (e *csafEntry) vendors() []string {
	if e.product.Vendor == "" {
		return []string{""}
	}
	return NormalizeVendor(e.product.Vendor)
}

// vendorIndex returns the index keys of the product's vendor: the first
// word of each normalized vendor name.
func (e *csafEntry) vendorIndex() []string {
	var out []string
	for _, k := range e.vendors() {
		first, _, _ := strings.Cut(k, " ")
		if !slices.Contains(out, first) {
			out = append(out, first)
		}
	}
	return out
}

// vendorMatches reports whether the device vendor key names the product's
// vendor: equal, or one a whole-word prefix of the other ("philips" and
// "philips healthcare", "innokas" and "innokas yhtymä"). A product without
// a vendor matches any device vendor.
func (e *csafEntry) vendorMatches(device string) bool {
	for _, k := range e.vendors() {
		if k == "" || k == device || strings.HasPrefix(k, device+" ") || strings.HasPrefix(device, k+" ") {
			return true
		}
	}
	return false
}

func joinNonEmpty(sep string, ss ...string) string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return strings.Join(out, sep)
}

// containsRun reports whether needle occurs as a contiguous run in hay.
func containsRun(hay, needle []string) bool {
	if len(needle) == 0 || len(needle) > len(hay) {
		return false
	}
	for i := 0; i+len(needle) <= len(hay); i++ {
		if slices.Equal(hay[i:i+len(needle)], needle) {
			return true
		}
	}
	return false
}

// Model match qualities, best last.
const (
	qualityNone = iota
	qualityContained
	qualityName
	qualityModelNumber
)

// modelQuality decides whether the device model is this product: a model
// number or SKU equal to the model (helpers first), else a product name
// equal to the model, else a product name found as a whole-word run inside
// the model ("Merlin@home" in "Merlin@home Transmitter EX1150"). A model
// found inside a longer product name is not a match ("CareLink" is not
// "CareLink 2090 Programmer").
func (e *csafEntry) modelQuality(model string) (string, int) {
	mt := tokens(model)
	if len(mt) == 0 {
		return "", qualityNone
	}
	mk := strings.Join(mt, " ")
	for _, mn := range e.models {
		if mn == mk {
			return "model number " + mn, qualityModelNumber
		}
	}
	for _, n := range e.names {
		if slices.Equal(n, mt) {
			return fmt.Sprintf("name %q", strings.Join(n, " ")), qualityName
		}
	}
	for _, n := range e.names {
		if containsRun(mt, n) {
			return fmt.Sprintf("name %q within model %q", strings.Join(n, " "), model), qualityContained
		}
	}
	return "", qualityNone
}

// versionVerdict is how a device version relates to a product's version.
type versionVerdict int

const (
	versionOut versionVerdict = iota
	versionIn
	versionUnknown // the range is free text, or the device has no version
)

// matchVersion compares the device version with the product version or
// range; the string says how, for the evidence.
func (e *csafEntry) matchVersion(v string) (versionVerdict, string) {
	v = strings.TrimSpace(v)
	switch {
	case e.version != "":
		if v == "" {
			return versionUnknown, fmt.Sprintf("the device version is unknown and the product version is %q", e.version)
		}
		if strings.EqualFold(strings.Join(strings.Fields(v), " "), strings.Join(strings.Fields(e.version), " ")) {
			return versionIn, fmt.Sprintf("version %s = product_version %s", v, e.version)
		}
		r, err := ParseVersionRange(e.version)
		switch {
		case err != nil:
			return versionOut, ""
		case e.status == csaf.FirstAffected && len(r.Alternatives) == 1 && len(r.Alternatives[0]) == 1 && r.Alternatives[0][0].Op == "=":
			if compareGeneric(v, e.version) >= 0 {
				return versionIn, fmt.Sprintf("version %s >= first_affected %s", v, e.version)
			}
			return versionOut, ""
		case e.status == csaf.LastAffected && len(r.Alternatives) == 1 && len(r.Alternatives[0]) == 1 && r.Alternatives[0][0].Op == "=":
			if compareGeneric(v, e.version) <= 0 {
				return versionIn, fmt.Sprintf("version %s <= last_affected %s", v, e.version)
			}
			return versionOut, ""
		case r.Contains(v):
			return versionIn, fmt.Sprintf("version %s matches product_version %s", v, e.version)
		}
		return versionOut, ""
	case e.rng != nil:
		if e.rng.All {
			return versionIn, fmt.Sprintf("product_version_range %q: all versions", e.product.VersionRange)
		}
		if v == "" {
			return versionUnknown, fmt.Sprintf("the device version is unknown and the range is %q", e.product.VersionRange)
		}
		if e.rng.Contains(v) {
			s := fmt.Sprintf("version %s in product_version_range %q", v, e.product.VersionRange)
			if e.rng.Note != "" {
				s += " (condition " + e.rng.Note + " not checked)"
			}
			return versionIn, s
		}
		return versionOut, ""
	case e.rngErr != nil:
		return versionUnknown, fmt.Sprintf("product_version_range %q cannot be compared", e.product.VersionRange)
	default:
		return versionIn, "the advisory names the product without a version"
	}
}

// matchCSAF matches the device against the CSAF products of its vendor.
func (m *Matcher) matchCSAF(p Product, r *Result) {
	if p.Model == "" {
		return
	}
	// Candidates: the products of the device's vendor (and those without a
	// vendor). A product name found inside the model is dropped when the
	// vendor's advisories also name the model exactly ("Pump" is not "Pump
	// Lite" when "Pump Lite" is a product of its own).
	type cand struct {
		e   *csafEntry
		how string
		q   int
	}
	var cands []cand
	best := qualityNone
	seen := map[*csafEntry]bool{}
	for _, vk := range append(NormalizeVendor(p.Vendor), "") {
		first, _, _ := strings.Cut(vk, " ")
		for _, e := range m.csaf[first] {
			if seen[e] || !e.vendorMatches(vk) {
				continue
			}
			seen[e] = true
			how, q := e.modelQuality(p.Model)
			if q == qualityNone {
				continue
			}
			best = max(best, q)
			if e.affected {
				cands = append(cands, cand{e, how, q})
			}
		}
	}
	for _, c := range cands {
		e, how := c.e, c.how
		if c.q == qualityContained && best > qualityContained {
			r.Notes = append(r.Notes, Note{Vulnerability: e.vuln, Message: fmt.Sprintf("%s %s: CSAF product %s %q of %s matches only by %s while another product of the vendor has this exact name; not reported",
				p.Vendor, p.Model, e.product.ID, e.product.Name, e.docID, how)})
			continue
		}
		verdict, why := e.matchVersion(p.Version)
		method := MethodCSAFProduct
		switch verdict {
		case versionOut:
			continue
		case versionUnknown:
			if m.opts.StrictCSAFVersions || p.Version == "" {
				r.Notes = append(r.Notes, Note{Vulnerability: e.vuln,
					Message: fmt.Sprintf("%s %s matches CSAF product %s %q of %s by %s, but %s; not reported", p.Vendor, p.Model, e.product.ID, e.product.Name, e.docID, how, why)})
				continue
			}
			method = MethodCSAFProductUnverified
		}
		f := Finding{
			Vulnerability: e.vuln,
			Aliases:       e.aliases,
			Source:        SourceCSAF,
			Component:     ComponentRef{Name: strings.TrimSpace(p.Vendor + " " + p.Model), Version: p.Version},
			Method:        method,
			Evidence: fmt.Sprintf("device %s %s %s matches CSAF product %s %q (%s) of %s by vendor %q, %s, %s",
				p.Vendor, p.Model, p.Version, e.product.ID, e.product.Name, e.status, e.docID, e.product.Vendor, how, why),
			FixedIn: e.fixedIn,
		}
		r.Findings = append(r.Findings, f)
	}
}

// matchesDevice tells whether a CSAF product (as a VEX scope) is the device.
func (e *csafEntry) matchesDevice(p Product) bool {
	ok := e.vendors()[0] == ""
	for _, vk := range NormalizeVendor(p.Vendor) {
		if e.vendorMatches(vk) {
			ok = true
		}
	}
	if !ok {
		return false
	}
	// A statement that suppresses needs the exact name or a model number.
	if _, q := e.modelQuality(p.Model); q < qualityName {
		return false
	}
	verdict, _ := e.matchVersion(p.Version)
	return verdict == versionIn
}
