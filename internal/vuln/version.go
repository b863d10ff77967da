package vuln

import (
	"errors"
	"fmt"
	"strings"
)

// compareGeneric orders versions that follow no declared scheme (CPE
// versions, device firmware): the strings are split into runs of digits and
// runs of letters, other characters only separate; digit runs compare as
// numbers, letter runs case-insensitively. When one version runs out of
// segments, missing numeric segments count as 0 ("1.0" = "1.0.0"), and a
// trailing letter segment counts as a pre-release when it is one of alpha,
// beta, rc, pre, preview, dev, snapshot, a, b (e.g. "5.0rc1" < "5.0") and as
// a later release otherwise ("1.0.2k" > "1.0.2", OpenSSL style). A leading
// "v" or "r" before a digit is ignored ("v2.1" = "2.1", "r0.13" = "0.13").
func compareGeneric(a, b string) int {
	return compareSegments(segments(a), segments(b))
}

// wildcardBase returns "12.2" for "12.2.x.x" or "12.2.*".
func wildcardBase(v string) (string, bool) {
	base := v
	for {
		l := strings.ToLower(base)
		if strings.HasSuffix(l, ".x") || strings.HasSuffix(l, ".*") {
			base = base[:len(base)-2]
			continue
		}
		break
	}
	return base, base != v && base != ""
}

func compareSegments(sa, sb []segment) int {
	for i := 0; i < len(sa) || i < len(sb); i++ {
		switch {
		case i >= len(sa):
			return -tail(sb[i:])
		case i >= len(sb):
			return tail(sa[i:])
		}
		x, y := sa[i], sb[i]
		switch {
		case x.num && y.num:
			if c := compareDigits(x.s, y.s); c != 0 {
				return c
			}
		case !x.num && !y.num:
			if c := strings.Compare(strings.ToLower(x.s), strings.ToLower(y.s)); c != 0 {
				return c
			}
		case x.num: // number vs letters: a pre-release word sorts below any number
			if isPre(y.s) {
				return 1
			}
			return -1
		default:
			if isPre(x.s) {
				return -1
			}
			return 1
		}
	}
	return 0
}

// tail is the sign of the extra segments rest of one version over the other.
func tail(rest []segment) int {
	for _, s := range rest {
		if s.num {
			if strings.TrimLeft(s.s, "0") != "" {
				return 1
			}
			continue
		}
		if isPre(s.s) {
			return -1
		}
		return 1
	}
	return 0
}

var preWords = map[string]bool{"alpha": true, "beta": true, "rc": true, "pre": true, "preview": true,
	"dev": true, "snapshot": true, "a": true, "b": true, "cr": true, "m": true}

func isPre(s string) bool { return preWords[strings.ToLower(s)] }

type segment struct {
	s   string
	num bool
}

func segments(v string) []segment {
	v = strings.TrimSpace(v)
	if len(v) > 1 && (v[0] == 'v' || v[0] == 'V' || v[0] == 'r' || v[0] == 'R') && v[1] >= '0' && v[1] <= '9' {
		v = v[1:]
	}
	var out []segment
	for i := 0; i < len(v); {
		c := v[i]
		j := i
		switch {
		case isDigit(c):
			for j < len(v) && isDigit(v[j]) {
				j++
			}
			out = append(out, segment{v[i:j], true})
		case isLetter(c):
			for j < len(v) && isLetter(v[j]) {
				j++
			}
			out = append(out, segment{v[i:j], false})
		default:
			j++
		}
		i = j
	}
	return out
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// compareDigits compares two digit strings as numbers of any length.
func compareDigits(a, b string) int {
	a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		if len(a) < len(b) {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}

// A VersionRange is a product_version_range as CSAF documents write it: the
// vers syntax ("vers:generic/>=1.2|<2.0", "vers:all/*") or the free text of
// CISA's ICSMA advisories ("< 8.2.2", "<= 2.3.6", ">= 4.4 | <= 4.12",
// "All versions", "prior to 4.5", "v6.x (with …)"). Constraints are
// ANDed; a vers range of several intervals is a list of Alternatives.
type VersionRange struct {
	All bool // every version
	// Alternatives are ORed; each is a list of ANDed constraints.
	Alternatives [][]Constraint
	// Note is text the range carried that was not used for comparison
	// (a parenthesized qualification such as "(with Wireless Battery
	// Modules …)"), kept for the evidence.
	Note string
}

// A Constraint is one comparison: Op is "<", "<=", ">", ">=", "=", "!=" or
// "=x" (a wildcard version such as "6.x": equal on its leading segments).
type Constraint struct {
	Op, Version string
}

// ErrUnreadableRange means a version range is free text with no comparison
// that can be evaluated (a date, a distribution period, a placeholder).
var ErrUnreadableRange = errors.New("version range cannot be read")

// ParseVersionRange reads a CSAF product_version_range.
func ParseVersionRange(s string) (VersionRange, error) {
	raw := strings.TrimSpace(s)
	if raw == "" {
		return VersionRange{}, fmt.Errorf("%w: empty", ErrUnreadableRange)
	}
	if rest, ok := strings.CutPrefix(raw, "vers:"); ok {
		return parseVers(rest)
	}
	var r VersionRange
	text := raw
	if i := strings.IndexByte(text, '('); i > 0 {
		r.Note = strings.TrimSpace(text[i:])
		text = strings.TrimSpace(text[:i])
	}
	lower := strings.ToLower(text)
	switch lower {
	case "all", "all versions", "*", "any", "all/*":
		r.All = true
		return r, nil
	}
	for _, p := range []string{"versions prior to ", "versions before ", "prior to ", "before ", "earlier than "} {
		if len(text) > len(p) && strings.EqualFold(text[:len(p)], p) {
			text = "<" + strings.TrimSpace(text[len(p):])
			break
		}
	}
	for _, p := range []string{" and earlier", " and prior", " and older", " and below"} {
		if len(text) > len(p) && strings.EqualFold(text[len(text)-len(p):], p) {
			text = "<=" + strings.TrimSpace(text[:len(text)-len(p)])
			break
		}
	}
	// The free text uses "|" as vers does: "MMT-1715 | MMT-1754" lists
	// versions, ">= 4.4 | <= 4.12" is one interval.
	vr, err := parseVers("free/" + text)
	if err != nil {
		return VersionRange{}, fmt.Errorf("%w: %q", ErrUnreadableRange, raw)
	}
	if err := checkAlternatives(vr.Alternatives); err != nil {
		return VersionRange{}, fmt.Errorf("%w: %q: %v", ErrUnreadableRange, raw, err)
	}
	r.Alternatives = vr.Alternatives
	return r, nil
}

// parseVers reads the part of a vers URI after "vers:": "<scheme>/<constraints>".
// vers constraints are sorted; a list of them is a set of intervals:
// ">=1|<2|>=3|<4" is [1,2) ∪ [3,4).
func parseVers(s string) (VersionRange, error) {
	scheme, cons, ok := strings.Cut(s, "/")
	if !ok || scheme == "" {
		return VersionRange{}, fmt.Errorf("%w: vers without scheme: %q", ErrUnreadableRange, "vers:"+s)
	}
	cons = strings.TrimSpace(cons)
	if cons == "*" {
		return VersionRange{All: true}, nil
	}
	var r VersionRange
	var cur []Constraint
	for _, part := range strings.Split(cons, "|") {
		c, err := parseConstraint(part)
		if err != nil {
			return VersionRange{}, fmt.Errorf("%w: %q: %v", ErrUnreadableRange, "vers:"+s, err)
		}
		switch c.Op {
		case "=", "!=", "=x":
			if c.Op == "!=" {
				cur = append(cur, c) // an exclusion narrows the current interval
				continue
			}
			r.Alternatives = append(r.Alternatives, []Constraint{c})
		case ">", ">=":
			if len(cur) > 0 && !isExclusionOnly(cur) {
				r.Alternatives = append(r.Alternatives, cur)
				cur = nil
			}
			cur = append(cur, c)
		default: // "<", "<=" closes the interval
			cur = append(cur, c)
			r.Alternatives = append(r.Alternatives, cur)
			cur = nil
		}
	}
	if len(cur) > 0 {
		r.Alternatives = append(r.Alternatives, cur)
	}
	if len(r.Alternatives) == 0 {
		return VersionRange{}, fmt.Errorf("%w: vers without constraints", ErrUnreadableRange)
	}
	return r, nil
}

func isExclusionOnly(cs []Constraint) bool {
	for _, c := range cs {
		if c.Op != "!=" {
			return false
		}
	}
	return true
}

// parseConstraint reads "<= 2.3.6", ">=BT02", "6.x", "=1.0", "1.0".
func parseConstraint(s string) (Constraint, error) {
	s = strings.TrimSpace(s)
	op := "="
	for _, o := range []string{"<=", ">=", "!=", "<", ">", "="} {
		if rest, ok := strings.CutPrefix(s, o); ok {
			op, s = o, strings.TrimSpace(rest)
			break
		}
	}
	if s == "" {
		return Constraint{}, errors.New("comparison without a version")
	}
	if strings.ContainsAny(s, " \t,") {
		return Constraint{}, fmt.Errorf("%q is not a version", s)
	}
	if !strings.ContainsAny(s, "0123456789") {
		return Constraint{}, fmt.Errorf("%q has no digit", s)
	}
	if op == "=" {
		l := strings.ToLower(s)
		if base, ok := strings.CutSuffix(l, ".x"); ok && base != "" {
			return Constraint{Op: "=x", Version: s[:len(base)]}, nil
		}
	}
	return Constraint{Op: op, Version: s}, nil
}

// checkAlternatives rejects lists of open-ended bounds: "<= U61 |<= L81"
// says "up to U61 on one product line, up to L81 on the other", which a
// single version comparison cannot tell apart.
func checkAlternatives(alts [][]Constraint) error {
	open := 0
	for _, alt := range alts {
		var lo, hi bool
		for _, c := range alt {
			switch c.Op {
			case "<", "<=":
				hi = true
			case ">", ">=":
				lo = true
			}
		}
		if lo != hi {
			open++
		}
	}
	if open > 1 {
		return errors.New("several open-ended bounds")
	}
	return nil
}

// Contains reports whether version v is in the range, comparing with
// compareGeneric.
func (r VersionRange) Contains(v string) bool {
	if r.All {
		return true
	}
	for _, alt := range r.Alternatives {
		ok := true
		for _, c := range alt {
			if !c.holds(v) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func (c Constraint) holds(v string) bool {
	if c.Op == "=x" {
		pv, pc := segments(v), segments(c.Version)
		if len(pv) < len(pc) {
			return false
		}
		for i := range pc {
			if compareGeneric(pv[i].s, pc[i].s) != 0 {
				return false
			}
		}
		return true
	}
	var d int
	if base, ok := wildcardBase(c.Version); ok {
		// "<= 12.2.x.x": compare only as many leading segments as the base has.
		pv, pb := segments(v), segments(base)
		if len(pv) > len(pb) {
			pv = pv[:len(pb)]
		}
		d = compareSegments(pv, pb)
	} else {
		d = compareGeneric(v, c.Version)
	}
	switch c.Op {
	case "<":
		return d < 0
	case "<=":
		return d <= 0
	case ">":
		return d > 0
	case ">=":
		return d >= 0
	case "!=":
		return d != 0
	default:
		return d == 0
	}
}

// String writes the range back in vers-like notation.
func (r VersionRange) String() string {
	if r.All {
		return "all versions"
	}
	var alts []string
	for _, alt := range r.Alternatives {
		var cs []string
		for _, c := range alt {
			if c.Op == "=x" {
				cs = append(cs, c.Version+".x")
			} else {
				cs = append(cs, c.Op+c.Version)
			}
		}
		alts = append(alts, strings.Join(cs, "|"))
	}
	return strings.Join(alts, " or ")
}
