package vuln

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// CPE attribute indexes, in CPE 2.3 formatted-string order.
const (
	cpePart = iota
	cpeVendor
	cpeProduct
	cpeVersion
	cpeUpdate
	cpeEdition
	cpeLanguage
	cpeSWEdition
	cpeTargetSW
	cpeTargetHW
	cpeOther
	cpeAttrs
)

// Attr is one CPE attribute value: ANY ("*"), NA ("-") or a value.
type Attr struct {
	Any, NA bool
	// Value is the unescaped, lower-cased value; Glob is set when it
	// carries unescaped wildcards (then Pattern holds the escaped form).
	Value   string
	Glob    bool
	Pattern string
}

// CPE is a parsed CPE name (a well-formed name of the CPE 2.3 naming
// specification).
type CPE struct {
	Attrs [cpeAttrs]Attr
}

// ErrBadCPE means a string is not a CPE 2.3 formatted string or CPE 2.2 URI.
var ErrBadCPE = errors.New("not a CPE name")

// ParseCPE reads a CPE 2.3 formatted string ("cpe:2.3:a:vendor:product:…",
// 13 colon-separated fields, "\" escaping any character) or a CPE 2.2 URI
// ("cpe:/a:vendor:product:version", percent-encoded). Values are unescaped
// and lower-cased; missing trailing URI fields are ANY.
func ParseCPE(s string) (CPE, error) {
	var c CPE
	switch {
	case len(s) >= 8 && strings.EqualFold(s[:8], "cpe:2.3:"):
		fields, err := splitFS(s[8:])
		if err != nil {
			return CPE{}, fmt.Errorf("%w: %q: %v", ErrBadCPE, s, err)
		}
		if len(fields) != cpeAttrs {
			return CPE{}, fmt.Errorf("%w: %q: %d fields after cpe:2.3, want 11", ErrBadCPE, s, len(fields))
		}
		for i, f := range fields {
			a, err := fsAttr(f)
			if err != nil {
				return CPE{}, fmt.Errorf("%w: %q: field %d: %v", ErrBadCPE, s, i+3, err)
			}
			c.Attrs[i] = a
		}
	case len(s) >= 5 && strings.EqualFold(s[:5], "cpe:/"):
		fields := strings.Split(s[5:], ":")
		if len(fields) > 7 {
			return CPE{}, fmt.Errorf("%w: %q: too many URI fields", ErrBadCPE, s)
		}
		for i := range c.Attrs {
			c.Attrs[i] = Attr{Any: true}
		}
		for i, f := range fields {
			switch f {
			case "":
				continue
			case "-":
				c.Attrs[i] = Attr{NA: true}
				continue
			}
			v, err := url.PathUnescape(f)
			if err != nil {
				return CPE{}, fmt.Errorf("%w: %q: %v", ErrBadCPE, s, err)
			}
			c.Attrs[i] = Attr{Value: strings.ToLower(v)}
		}
	default:
		return CPE{}, fmt.Errorf("%w: %q: no cpe:2.3: or cpe:/ prefix", ErrBadCPE, s)
	}
	if p := c.Attrs[cpePart]; !p.Any && (p.NA || len(p.Value) != 1 || !strings.Contains("aoh", p.Value)) {
		return CPE{}, fmt.Errorf("%w: %q: part must be a, o or h", ErrBadCPE, s)
	}
	return c, nil
}

// splitFS splits a formatted string body at unescaped colons.
func splitFS(s string) ([]string, error) {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 >= len(s) {
				return nil, errors.New("trailing backslash")
			}
			i++
		case ':':
			out = append(out, s[start:i])
			start = i + 1
			if len(out) > cpeAttrs {
				return nil, errors.New("too many fields")
			}
		}
	}
	return append(out, s[start:]), nil
}

// fsAttr reads one formatted-string attribute.
func fsAttr(f string) (Attr, error) {
	switch f {
	case "*":
		return Attr{Any: true}, nil
	case "-":
		return Attr{NA: true}, nil
	case "":
		return Attr{}, errors.New("empty value")
	}
	var b strings.Builder
	a := Attr{}
	for i := 0; i < len(f); i++ {
		ch := f[i]
		switch {
		case ch == '\\':
			i++ // splitFS guarantees a following byte
			b.WriteByte(f[i])
		case ch == '*' || ch == '?':
			a.Glob = true
			b.WriteByte(ch)
		default:
			b.WriteByte(ch)
		}
	}
	a.Value = strings.ToLower(b.String())
	if a.Glob {
		a.Pattern = strings.ToLower(f)
	}
	return a, nil
}

// String writes the CPE as a formatted string (escaping what needs it).
func (c CPE) String() string {
	var b strings.Builder
	b.WriteString("cpe:2.3")
	for _, a := range c.Attrs {
		b.WriteByte(':')
		switch {
		case a.Any:
			b.WriteByte('*')
		case a.NA:
			b.WriteByte('-')
		case a.Glob:
			b.WriteString(a.Pattern)
		default:
			for i := 0; i < len(a.Value); i++ {
				ch := a.Value[i]
				if !(isDigit(ch) || isLetter(ch) || ch == '_' || ch == '.' || ch == '-' || ch >= 0x80) {
					b.WriteByte('\\')
				}
				b.WriteByte(ch)
			}
		}
	}
	return b.String()
}

// key is the index key "vendor:product", "" when either is not a plain value.
func (c CPE) key() string {
	v, p := c.Attrs[cpeVendor], c.Attrs[cpeProduct]
	if v.Any || v.NA || v.Glob || p.Any || p.NA || p.Glob {
		return ""
	}
	return v.Value + ":" + p.Value
}

// valueMatch compares a criteria attribute with a concrete candidate value.
func valueMatch(crit, cand Attr) bool {
	if cand.Any || cand.NA {
		return false
	}
	if crit.Glob {
		return globMatch(crit.Pattern, cand.Value)
	}
	return crit.Value == cand.Value
}

// globMatch matches an escaped CPE pattern ("*" any run, "?" one char,
// "\x" literal x) against an unescaped value, in linear time per star (the
// usual two-pointer wildcard algorithm, no recursion).
func globMatch(pat, s string) bool {
	p, i := 0, 0
	starP, starI := -1, 0
	for i < len(s) {
		if p < len(pat) {
			switch c := pat[p]; {
			case c == '*':
				starP, starI = p, i
				p++
				continue
			case c == '?':
				p++
				i++
				continue
			case c == '\\' && p+1 < len(pat) && pat[p+1] == s[i]:
				p += 2
				i++
				continue
			case c != '\\' && c == s[i]:
				p++
				i++
				continue
			}
		}
		if starP < 0 {
			return false
		}
		starI++
		p, i = starP+1, starI
	}
	for p < len(pat) && pat[p] == '*' {
		p++
	}
	return p == len(pat)
}

// cpeCriteria is an NVD cpeMatch, parsed.
type cpeCriteria struct {
	cpe                  CPE
	startIncl, startExcl string
	endIncl, endExcl     string
	vulnerable           bool
	raw                  string
}

func (k *cpeCriteria) hasRange() bool {
	return k.startIncl != "" || k.startExcl != "" || k.endIncl != "" || k.endExcl != ""
}

// matches reports whether the candidate CPE c falls under the criteria.
// Part, vendor and product must be equal (ANY in the criteria matches
// anything). The version must be inside the versionStart/End bounds when
// there are any, else equal to the criteria version; a candidate whose
// version is ANY (unknown) never matches a criteria that names a version or
// range. The update must be equal when the criteria names one. The other
// attributes match when the criteria is ANY or NA, or the candidate does
// not say (ANY), or they are equal. platform relaxes NA in the criteria
// version to "any version": NVD writes running-on platforms as
// "cpe:2.3:o:microsoft:windows:-:…" and means Windows in any version.
func (k *cpeCriteria) matches(c *CPE, platform bool) bool {
	for _, i := range []int{cpePart, cpeVendor, cpeProduct} {
		if a := k.cpe.Attrs[i]; !a.Any && !(a.NA && c.Attrs[i].NA) && !valueMatch(a, c.Attrs[i]) {
			return false
		}
	}
	cv := c.Attrs[cpeVersion]
	kv := k.cpe.Attrs[cpeVersion]
	switch {
	case k.hasRange():
		if cv.Any || cv.NA || cv.Value == "" {
			return false
		}
		if !kv.Any && !kv.NA && compareGeneric(cv.Value, kv.Value) != 0 {
			return false
		}
		if k.startIncl != "" && compareGeneric(cv.Value, k.startIncl) < 0 ||
			k.startExcl != "" && compareGeneric(cv.Value, k.startExcl) <= 0 ||
			k.endIncl != "" && compareGeneric(cv.Value, k.endIncl) > 0 ||
			k.endExcl != "" && compareGeneric(cv.Value, k.endExcl) >= 0 {
			return false
		}
	case kv.Any:
	case kv.NA:
		if !platform && !cv.NA && !cv.Any {
			return false
		}
	default:
		if cv.Any || cv.NA {
			return false
		}
		if kv.Glob {
			if !globMatch(kv.Pattern, cv.Value) {
				return false
			}
		} else if compareGeneric(cv.Value, kv.Value) != 0 {
			return false
		}
	}
	if u := k.cpe.Attrs[cpeUpdate]; !u.Any && !u.NA && !valueMatch(u, c.Attrs[cpeUpdate]) {
		return false
	}
	for i := cpeEdition; i < cpeAttrs; i++ {
		a, b := k.cpe.Attrs[i], c.Attrs[i]
		if a.Any || a.NA || b.Any {
			continue
		}
		if !valueMatch(a, b) {
			return false
		}
	}
	return true
}

// describe writes the criteria with its bounds: "cpe:2.3:a:wolfssl:wolfssl:*:… (versionEndExcluding 5.5.0)".
func (k *cpeCriteria) describe() string {
	var b []string
	for _, x := range [][2]string{{"versionStartIncluding", k.startIncl}, {"versionStartExcluding", k.startExcl},
		{"versionEndIncluding", k.endIncl}, {"versionEndExcluding", k.endExcl}} {
		if x[1] != "" {
			b = append(b, x[0]+" "+x[1])
		}
	}
	if len(b) == 0 {
		return k.raw
	}
	return k.raw + " (" + strings.Join(b, ", ") + ")"
}
