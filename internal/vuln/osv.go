package vuln

import (
	"fmt"
	"slices"
	"strings"

	"github.com/google/osv-scalibr/semantic"
	"github.com/package-url/packageurl-go"
	"github.com/vigil-iomt/vigil/internal/advisory"
	"github.com/vigil-iomt/vigil/internal/sbom"
)

// osvEntry is one affected[] entry of an OSV record.
type osvEntry struct {
	adv     *advisory.Advisory
	aff     int    // index into adv.Affected
	release string // the ecosystem suffix: "12" of "Debian:12", "" when none
}

// purlEcosystems maps purl types to OSV ecosystems (types whose OSV
// ecosystem depends on the namespace are handled in ecosystemOf).
var purlEcosystems = map[string]string{
	"pypi":     "PyPI",
	"npm":      "npm",
	"maven":    "Maven",
	"golang":   "Go",
	"gem":      "RubyGems",
	"nuget":    "NuGet",
	"cargo":    "crates.io",
	"composer": "Packagist",
	"hex":      "Hex",
	"pub":      "Pub",
	"swift":    "SwiftURL",
	"bitnami":  "Bitnami",
	"cran":     "CRAN",
	"hackage":  "Hackage",
	"conan":    "ConanCenter",
}

// namespaceEcosystems maps deb, rpm and apk namespaces to OSV ecosystems.
var namespaceEcosystems = map[string]string{
	"deb/debian":      "Debian",
	"deb/ubuntu":      "Ubuntu",
	"rpm/almalinux":   "AlmaLinux",
	"rpm/redhat":      "Red Hat",
	"rpm/rocky":       "Rocky Linux",
	"rpm/rocky-linux": "Rocky Linux",
	"rpm/opensuse":    "openSUSE",
	"rpm/suse":        "SUSE",
	"rpm/openeuler":   "openEuler",
	"rpm/mageia":      "Mageia",
	"apk/alpine":      "Alpine",
	"apk/wolfi":       "Wolfi",
	"apk/chainguard":  "Chainguard",
}

var debianCodenames = map[string]string{"stretch": "9", "buster": "10", "bullseye": "11", "bookworm": "12", "trixie": "13", "forky": "14"}

// purlPackage is a purl resolved to an OSV package.
type purlPackage struct {
	ecosystem string // base ecosystem ("Debian")
	name      string // OSV package name ("org.apache:commons", "@scope/pkg")
	release   string // distribution release from the distro qualifier, "" when unknown
	version   string // version in the ecosystem's syntax (rpm epoch prefixed)
}

// resolvePURL maps a parsed purl to its OSV ecosystem and name. It returns
// a reason when the purl type has no OSV ecosystem.
func resolvePURL(p packageurl.PackageURL) (purlPackage, string) {
	typ := lowerASCII(p.Type)
	q := p.Qualifiers.Map()
	pp := purlPackage{name: p.Name, version: p.Version}
	switch typ {
	case "deb", "rpm", "apk":
		eco, ok := namespaceEcosystems[typ+"/"+lowerASCII(p.Namespace)]
		if !ok {
			return pp, fmt.Sprintf("purl type %s with namespace %q has no OSV ecosystem", typ, p.Namespace)
		}
		pp.ecosystem = eco
		pp.release = distroRelease(eco, q["distro"])
		if e := q["epoch"]; typ == "rpm" && e != "" && e != "0" && !strings.Contains(pp.version, ":") {
			pp.version = e + ":" + pp.version
		}
		return pp, ""
	}
	eco, ok := purlEcosystems[typ]
	if !ok {
		return pp, fmt.Sprintf("purl type %q has no OSV ecosystem", p.Type)
	}
	pp.ecosystem = eco
	switch typ {
	case "maven":
		if p.Namespace != "" {
			pp.name = p.Namespace + ":" + p.Name
		}
	case "golang", "npm", "composer", "swift":
		if p.Namespace != "" {
			pp.name = p.Namespace + "/" + p.Name
		}
	}
	return pp, ""
}

// distroRelease turns a purl distro qualifier into the OSV ecosystem
// suffix: "debian-12" and "bookworm" → "12", "almalinux-8" and "el8" → "8",
// "alpine-3.18.4" → "v3.18", "ubuntu-22.04" → "22.04".
func distroRelease(eco, distro string) string {
	d := lowerASCII(strings.TrimSpace(distro))
	if d == "" {
		return ""
	}
	if r, ok := debianCodenames[d]; ok && eco == "Debian" {
		return r
	}
	if i := strings.LastIndexByte(d, '-'); i >= 0 {
		d = d[i+1:]
	}
	d = strings.TrimPrefix(d, "el")
	switch eco {
	case "Alpine":
		parts := strings.Split(strings.TrimPrefix(d, "v"), ".")
		if len(parts) >= 2 {
			return "v" + parts[0] + "." + parts[1]
		}
	case "AlmaLinux", "Rocky Linux", "Red Hat", "Debian":
		d, _, _ = strings.Cut(d, ".")
	}
	return d
}

// osvKey is the index key of an ecosystem package. PyPI names are
// normalized per PEP 503; every name is compared case-insensitively.
func osvKey(ecosystem, name string) string {
	base, _, _ := strings.Cut(ecosystem, ":")
	name = lowerASCII(name)
	if base == "PyPI" {
		name = strings.NewReplacer("_", "-", ".", "-").Replace(name)
		for strings.Contains(name, "--") {
			name = strings.ReplaceAll(name, "--", "-")
		}
	}
	return base + "\x00" + name
}

func (m *Matcher) addOSV(a *advisory.Advisory) {
	for i, af := range a.Affected {
		if af.Ecosystem == "" || af.Name == "" {
			continue
		}
		_, rel, _ := strings.Cut(af.Ecosystem, ":")
		k := osvKey(af.Ecosystem, af.Name)
		m.osv[k] = append(m.osv[k], osvEntry{adv: a, aff: i, release: rel})
	}
}

// releaseMatches reports whether an OSV ecosystem suffix fits the
// component's distribution release ("" on the component side: unknown,
// every release is considered).
func releaseMatches(entry, comp string) bool {
	if comp == "" || entry == "" {
		return true
	}
	return entry == comp || strings.HasPrefix(entry, comp+":") || strings.Contains(":"+entry+":", ":"+comp+":")
}

func (m *Matcher) matchOSV(c *sbom.Component, r *Result) {
	if c.PURL == "" {
		if c.RawPURL != "" {
			r.Notes = append(r.Notes, Note{Component: c.Ref, Message: fmt.Sprintf("purl %q does not parse: OSV not matched", c.RawPURL)})
		}
		return
	}
	p, err := packageurl.FromString(c.PURL)
	if err != nil {
		r.Notes = append(r.Notes, Note{Component: c.Ref, Message: fmt.Sprintf("purl %q: %v: OSV not matched", c.PURL, err)})
		return
	}
	pp, why := resolvePURL(p)
	if why != "" {
		r.Notes = append(r.Notes, Note{Component: c.Ref, Message: why + ": OSV not matched"})
		return
	}
	if pp.version == "" {
		pp.version = c.Version
	}
	if pp.version == "" {
		r.Notes = append(r.Notes, Note{Component: c.Ref, Message: "no version: OSV not matched"})
		return
	}
	for _, e := range m.osv[osvKey(pp.ecosystem, pp.name)] {
		if !releaseMatches(e.release, pp.release) {
			continue
		}
		af := &e.adv.Affected[e.aff]
		f, ok := matchAffected(af, pp, c.PURL)
		if !ok {
			continue
		}
		f.Vulnerability, f.Aliases, f.Source = e.adv.ID, e.adv.Aliases, SourceOSV
		f.Evidence += " of " + e.adv.ID + " (" + af.Ecosystem + "/" + af.Name + ")"
		if pp.release == "" && e.release != "" {
			f.Evidence += "; the purl has no distro qualifier, so every " + pp.ecosystem + " release is considered"
		}
		f.Component = componentRef(c)
		r.Findings = append(r.Findings, f)
	}
}

// matchAffected decides whether version pp.version is affected by af: any
// SEMVER or ECOSYSTEM range containing it, else the versions list. GIT
// ranges are not evaluated (a version string says nothing about commits).
func matchAffected(af *advisory.Affected, pp purlPackage, purl string) (Finding, bool) {
	for _, rg := range af.Ranges {
		var parse func(string) (semantic.Version, error)
		switch rg.Type {
		case "SEMVER":
			parse = func(s string) (semantic.Version, error) { return semantic.ParseSemverVersion(s), nil }
		case "ECOSYSTEM":
			eco := af.Ecosystem
			parse = func(s string) (semantic.Version, error) { return semantic.Parse(s, eco) }
		default:
			continue
		}
		lo, hi, fixed, ok := inRange(rg.Events, pp.version, parse)
		if !ok {
			continue
		}
		return Finding{
			Method:   MethodPURLRange,
			Evidence: fmt.Sprintf("%s in %s range %s%s", purl, strings.ToLower(rg.Type), lo, hi),
			FixedIn:  fixed,
		}, true
	}
	for _, v := range af.Versions {
		if v == pp.version || sameVersion(v, pp.version, af.Ecosystem) {
			f := Finding{Method: MethodPURLExact, Evidence: fmt.Sprintf("%s: version %s listed as affected", purl, pp.version)}
			f.FixedIn = fixedEvents(af)
			return f, true
		}
	}
	return Finding{}, false
}

func sameVersion(a, b, eco string) bool {
	va, err := semantic.Parse(a, eco)
	if err != nil {
		return false
	}
	c, err := va.CompareStr(b)
	return err == nil && c == 0
}

func fixedEvents(af *advisory.Affected) []string {
	var out []string
	for _, rg := range af.Ranges {
		for _, e := range rg.Events {
			out = appendUnique(out, e.Fixed)
		}
	}
	return out
}

type event struct {
	kind string // "introduced", "fixed", "last_affected", "limit"
	ver  string
	v    semantic.Version // nil for introduced "0"
}

// inRange evaluates one OSV range for version v per the OSV schema: events
// sorted by version ("0" first), an introduced event at or below v opens the
// range, a fixed or limit event at or below v closes it, a last_affected
// event below v closes it. It returns the interval that contains v, in
// words ("[1.0, " and "2.0)"), and the fix that closes it.
func inRange(events []advisory.Event, v string, parse func(string) (semantic.Version, error)) (lo, hi string, fixed []string, ok bool) {
	cv, err := parse(v)
	if err != nil || cv == nil {
		return "", "", nil, false
	}
	evs := make([]event, 0, len(events))
	for _, e := range events {
		var ev event
		switch {
		case e.Introduced != "":
			ev = event{kind: "introduced", ver: e.Introduced}
		case e.Fixed != "":
			ev = event{kind: "fixed", ver: e.Fixed}
		case e.LastAffected != "":
			ev = event{kind: "last_affected", ver: e.LastAffected}
		case e.Limit != "":
			ev = event{kind: "limit", ver: e.Limit}
		default:
			continue
		}
		if !(ev.kind == "introduced" && ev.ver == "0") && !(ev.kind == "limit" && ev.ver == "*") {
			pv, err := parse(ev.ver)
			if err != nil || pv == nil {
				continue // an event we cannot order is ignored
			}
			ev.v = pv
		}
		evs = append(evs, ev)
	}
	slices.SortStableFunc(evs, func(a, b event) int {
		switch {
		case a.v == nil && b.v == nil:
			return 0
		case a.v == nil:
			if a.kind == "limit" {
				return 1
			}
			return -1
		case b.v == nil:
			if b.kind == "limit" {
				return -1
			}
			return 1
		}
		c, err := a.v.Compare(b.v)
		if err != nil {
			return 0
		}
		return c
	})
	// vs compares v with an event's version: <0, 0, >0.
	vs := func(e event) int {
		if e.v == nil {
			if e.kind == "limit" {
				return -1
			}
			return 1
		}
		c, err := cv.Compare(e.v)
		if err != nil {
			return -2
		}
		return c
	}
	affected := false
	for _, e := range evs {
		c := vs(e)
		if c == -2 {
			continue
		}
		switch e.kind {
		case "introduced":
			if c >= 0 {
				affected, lo, hi, fixed = true, "["+e.ver+", ", "∞)", nil
			}
		case "fixed", "limit":
			if c >= 0 {
				affected = false
			} else if affected && hi == "∞)" {
				hi = e.ver + ")"
				if e.kind == "fixed" {
					fixed = []string{e.ver}
				}
			}
		case "last_affected":
			if c > 0 {
				affected = false
			} else if affected && hi == "∞)" {
				hi = e.ver + "]"
			}
		}
	}
	if !affected {
		return "", "", nil, false
	}
	return lo, hi, fixed, true
}

// purlMatches applies the purl specification's matching rule: type,
// namespace and name must be equal; a version or qualifier in the pattern
// must be equal in the candidate; absent ones match anything.
func purlMatches(pattern, candidate packageurl.PackageURL) bool {
	if lowerASCII(pattern.Type) != lowerASCII(candidate.Type) {
		return false
	}
	ns, cns, n, cn := pattern.Namespace, candidate.Namespace, pattern.Name, candidate.Name
	if caseInsensitivePURL(pattern.Type) {
		ns, cns, n, cn = lowerASCII(ns), lowerASCII(cns), lowerASCII(n), lowerASCII(cn)
	}
	if lowerASCII(pattern.Type) == "pypi" {
		n, cn = osvKey("PyPI", n), osvKey("PyPI", cn)
	}
	if ns != cns || n != cn {
		return false
	}
	if pattern.Version != "" && pattern.Version != candidate.Version {
		return false
	}
	cq := candidate.Qualifiers.Map()
	for _, q := range pattern.Qualifiers {
		if cq[q.Key] != q.Value {
			return false
		}
	}
	return pattern.Subpath == "" || pattern.Subpath == candidate.Subpath
}

// caseInsensitivePURL lists the purl types whose names the specification
// says are case-insensitive.
func caseInsensitivePURL(typ string) bool {
	switch lowerASCII(typ) {
	case "bitbucket", "github", "golang", "hex", "npm", "pypi", "nuget", "composer", "deb", "apk":
		return true
	}
	return false
}
