package sigma

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
)

type vmKind uint8

const (
	vmStr vmKind = iota
	vmNull
	vmRe
	vmCIDR
	vmNum
	vmFieldref
)

// valMatcher is one compiled value of a field condition.
type valMatcher struct {
	kind   vmKind
	pat    strPattern
	re     *regexp.Regexp
	reLit  string // a literal every match of re contains (case-sensitive)
	prefix netip.Prefix
	op     string // gt gte lt lte
	num    float64
	ref    []string // fieldref path
	refMod string   // "", contains, startswith, endswith
	cased  bool
}

// fieldMatcher is a compiled FieldCond.
type fieldMatcher struct {
	id      int // index of the per-event memo; equal conditions share it
	field   string
	path    []string // nil for keywords
	keyword bool
	all     bool
	exists  int8 // 0 none, 1 exists: true, -1 exists: false
	vals    []valMatcher
}

// strPattern is a glob compiled into pieces split at '*'. A pattern with '?'
// uses a regular expression instead. Pieces are lowercased unless cased.
type strPattern struct {
	cased  bool
	pieces []string
	re     *regexp.Regexp
}

type globTok struct {
	lit  string
	star bool
	q    bool
}

// parseGlob splits a plain Sigma value into literals and wildcards:
// * and ? are wildcards, \* \? \\ are literal, any other backslash is kept.
func parseGlob(s string) []globTok {
	var toks []globTok
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			toks = append(toks, globTok{lit: b.String()})
			b.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\':
			if i+1 < len(s) && (s[i+1] == '*' || s[i+1] == '?' || s[i+1] == '\\') {
				b.WriteByte(s[i+1])
				i++
			} else {
				b.WriteByte('\\')
			}
		case '*':
			flush()
			toks = append(toks, globTok{star: true})
		case '?':
			flush()
			toks = append(toks, globTok{q: true})
		default:
			b.WriteByte(c)
		}
	}
	flush()
	return toks
}

func newStrPattern(toks []globTok, cased bool) strPattern {
	p := strPattern{cased: cased}
	low := func(s string) string {
		if cased {
			return s
		}
		return strings.ToLower(s)
	}
	hasQ := false
	for _, t := range toks {
		hasQ = hasQ || t.q
	}
	if hasQ {
		var b strings.Builder
		b.WriteString(`(?s)^`)
		for _, t := range toks {
			switch {
			case t.star:
				b.WriteString(`.*`)
			case t.q:
				b.WriteString(`.`)
			default:
				b.WriteString(regexp.QuoteMeta(low(t.lit)))
			}
		}
		b.WriteString(`$`)
		p.re = regexp.MustCompile(b.String())
		return p
	}
	cur := ""
	for _, t := range toks {
		if t.star {
			p.pieces = append(p.pieces, cur)
			cur = ""
		} else {
			cur += low(t.lit)
		}
	}
	p.pieces = append(p.pieces, cur)
	return p
}

// exact reports the literal when the pattern has no wildcard.
func (p *strPattern) exact() (string, bool) {
	if p.re == nil && len(p.pieces) == 1 {
		return p.pieces[0], true
	}
	return "", false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func (p *strPattern) match(s string) bool {
	fold := !p.cased
	if fold && !isASCII(s) {
		s, fold = strings.ToLower(s), false
	}
	if p.re != nil {
		if fold {
			s = strings.ToLower(s)
		}
		return p.re.MatchString(s)
	}
	n := len(p.pieces)
	if n == 1 {
		if fold {
			return len(s) == len(p.pieces[0]) && equalFoldLower(s, p.pieces[0])
		}
		return s == p.pieces[0]
	}
	first, last := p.pieces[0], p.pieces[n-1]
	if len(s) < len(first)+len(last) {
		return false
	}
	if fold {
		if !equalFoldLower(s[:len(first)], first) || !equalFoldLower(s[len(s)-len(last):], last) {
			return false
		}
	} else if !strings.HasPrefix(s, first) || !strings.HasSuffix(s, last) {
		return false
	}
	mid := s[len(first) : len(s)-len(last)]
	for _, piece := range p.pieces[1 : n-1] {
		var i int
		if fold {
			i = indexFoldLower(mid, piece)
		} else {
			i = strings.Index(mid, piece)
		}
		if i < 0 {
			return false
		}
		mid = mid[i+len(piece):]
	}
	return true
}

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// equalFoldLower compares ASCII s with an already lowercased l of equal length.
func equalFoldLower(s, l string) bool {
	for i := 0; i < len(l); i++ {
		if lowerASCII(s[i]) != l[i] {
			return false
		}
	}
	return true
}

// indexFoldLower finds lowercased l in ASCII s, ignoring case.
func indexFoldLower(s, l string) int {
	if l == "" {
		return 0
	}
	c0 := l[0]
	for i := 0; i+len(l) <= len(s); i++ {
		if lowerASCII(s[i]) == c0 && equalFoldLower(s[i:i+len(l)], l) {
			return i
		}
	}
	return -1
}

func hasMod(mods []string, m string) bool { return slices.Contains(mods, m) }

// compileFieldCond compiles one field condition. With check set, missing
// expand placeholders are not an error (Parse validates without options).
func compileFieldCond(fc *FieldCond, placeholders map[string][]string, check bool) (*fieldMatcher, error) {
	fm := &fieldMatcher{field: fc.Field}
	if fc.Field == "" {
		fm.keyword = true
	} else {
		fm.path = strings.Split(fc.Field, ".")
	}
	mods := fc.Modifiers
	fm.all = hasMod(mods, "all")
	cased := hasMod(mods, "cased")
	count := 0
	for _, m := range []string{"re", "cidr", "exists", "fieldref", "gt", "gte", "lt", "lte"} {
		if hasMod(mods, m) {
			count++
		}
	}
	if count > 1 {
		return nil, errors.New("re, cidr, exists, fieldref and gt/gte/lt/lte cannot be combined")
	}
	for _, m := range []string{"i", "m", "s"} {
		if hasMod(mods, m) && !hasMod(mods, "re") {
			return nil, fmt.Errorf("modifier |%s needs |re", m)
		}
	}
	encoding := hasMod(mods, "base64") || hasMod(mods, "base64offset")
	if hasMod(mods, "base64") && hasMod(mods, "base64offset") {
		return nil, errors.New("base64 and base64offset cannot be combined")
	}
	pos := 0
	for _, m := range []string{"contains", "startswith", "endswith"} {
		if hasMod(mods, m) {
			pos++
		}
	}
	if pos > 1 {
		return nil, errors.New("contains, startswith and endswith cannot be combined")
	}
	if hasMod(mods, "exists") {
		if len(fc.Values) != 1 || fc.Values[0].Kind != KindBool {
			return nil, errors.New("exists needs one boolean value")
		}
		fm.exists = -1
		if fc.Values[0].S == "true" {
			fm.exists = 1
		}
		return fm, nil
	}
	values := fc.Values
	if hasMod(mods, "expand") {
		values = nil
		for _, v := range fc.Values {
			exp, err := expand(v.S, placeholders, check)
			if err != nil {
				return nil, err
			}
			for _, s := range exp {
				values = append(values, Value{Kind: KindString, S: s})
			}
		}
	}
	for _, v := range values {
		if v.Kind == KindNull {
			if len(mods) > 0 && !(len(mods) == 1 && mods[0] == "all") {
				return nil, errors.New("null value with modifiers")
			}
			fm.vals = append(fm.vals, valMatcher{kind: vmNull})
			continue
		}
		switch {
		case hasMod(mods, "re"):
			flags := ""
			for _, f := range []string{"i", "m", "s"} {
				if hasMod(mods, f) {
					flags += f
				}
			}
			expr := v.S
			if flags != "" {
				expr = "(?" + flags + ")" + expr
			}
			re, err := regexp.Compile(expr)
			if err != nil {
				return nil, fmt.Errorf("bad regular expression: %v", err)
			}
			fm.vals = append(fm.vals, valMatcher{kind: vmRe, re: re, reLit: requiredLiteral(expr)})
		case hasMod(mods, "cidr"):
			pfx, err := netip.ParsePrefix(v.S)
			if err != nil {
				return nil, fmt.Errorf("bad CIDR: %v", err)
			}
			fm.vals = append(fm.vals, valMatcher{kind: vmCIDR, prefix: pfx.Masked()})
		case hasMod(mods, "gt"), hasMod(mods, "gte"), hasMod(mods, "lt"), hasMod(mods, "lte"):
			n, err := strconv.ParseFloat(v.S, 64)
			if err != nil {
				return nil, fmt.Errorf("numeric comparison needs a number, got %q", v.S)
			}
			op := "gt"
			for _, o := range []string{"gte", "lt", "lte"} {
				if hasMod(mods, o) {
					op = o
				}
			}
			fm.vals = append(fm.vals, valMatcher{kind: vmNum, op: op, num: n})
		case hasMod(mods, "fieldref"):
			vm := valMatcher{kind: vmFieldref, ref: strings.Split(v.S, "."), cased: cased}
			for _, m := range []string{"contains", "startswith", "endswith"} {
				if hasMod(mods, m) {
					vm.refMod = m
				}
			}
			fm.vals = append(fm.vals, vm)
		default:
			variants := []string{v.S}
			if hasMod(mods, "windash") {
				variants = windash(v.S)
			}
			for _, m := range mods {
				switch m {
				case "utf16le", "wide":
					variants = mapStrings(variants, func(s string) []string { return []string{encodeUTF16(s, false, false)} })
				case "utf16be":
					variants = mapStrings(variants, func(s string) []string { return []string{encodeUTF16(s, true, false)} })
				case "utf16":
					variants = mapStrings(variants, func(s string) []string { return []string{encodeUTF16(s, false, true)} })
				case "base64":
					variants = mapStrings(variants, func(s string) []string { return []string{base64.StdEncoding.EncodeToString([]byte(s))} })
				case "base64offset":
					variants = mapStrings(variants, base64Offsets)
				}
			}
			for _, s := range variants {
				var toks []globTok
				if encoding || hasMod(mods, "utf16le") || hasMod(mods, "utf16be") || hasMod(mods, "utf16") || hasMod(mods, "wide") {
					toks = []globTok{{lit: s}}
				} else {
					toks = parseGlob(s)
				}
				if hasMod(mods, "contains") || hasMod(mods, "endswith") {
					toks = append([]globTok{{star: true}}, toks...)
				}
				if hasMod(mods, "contains") || hasMod(mods, "startswith") {
					toks = append(toks, globTok{star: true})
				}
				fm.vals = append(fm.vals, valMatcher{kind: vmStr, pat: newStrPattern(toks, cased)})
			}
		}
	}
	if fm.keyword {
		for i := range fm.vals {
			if fm.vals[i].kind == vmStr {
				p := &fm.vals[i].pat
				if p.re == nil {
					if p.pieces[0] != "" {
						p.pieces = append([]string{""}, p.pieces...)
					}
					if p.pieces[len(p.pieces)-1] != "" || len(p.pieces) == 1 {
						p.pieces = append(p.pieces, "")
					}
				}
			}
		}
	}
	return fm, nil
}

func mapStrings(in []string, f func(string) []string) []string {
	var out []string
	for _, s := range in {
		out = append(out, f(s)...)
	}
	return out
}

var placeholderRE = regexp.MustCompile(`%[A-Za-z0-9_.-]+%`)

func expand(s string, ph map[string][]string, check bool) ([]string, error) {
	m := placeholderRE.FindStringIndex(s)
	if m == nil {
		return []string{s}, nil
	}
	name := s[m[0]+1 : m[1]-1]
	vals, ok := ph[name]
	if !ok {
		if check {
			return []string{s}, nil
		}
		return nil, &UnsupportedError{Feature: "expand placeholder %" + name + "% has no value in Options.Placeholders"}
	}
	var out []string
	for _, v := range vals {
		rest, err := expand(s[m[1]:], ph, check)
		if err != nil {
			return nil, err
		}
		for _, r := range rest {
			out = append(out, s[:m[0]]+v+r)
		}
	}
	return out, nil
}

var dashes = []string{"-", "/", "\u2013", "\u2014", "\u2015"}

// windash returns the value with every dash or slash that starts a word
// (start of value or after a space) replaced by each of -, /, en, em and
// horizontal bar dashes.
func windash(s string) []string {
	out := []string{s}
	seen := map[string]bool{s: true}
	for _, d := range dashes {
		var b strings.Builder
		for i := 0; i < len(s); i++ {
			if (s[i] == '-' || s[i] == '/') && (i == 0 || s[i-1] == ' ') {
				b.WriteString(d)
			} else {
				b.WriteByte(s[i])
			}
		}
		if v := b.String(); !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

func encodeUTF16(s string, bigEndian, bom bool) string {
	units := utf16.Encode([]rune(s))
	var b []byte
	if bom {
		b = append(b, 0xff, 0xfe)
	}
	for _, u := range units {
		if bigEndian {
			b = append(b, byte(u>>8), byte(u))
		} else {
			b = append(b, byte(u), byte(u>>8))
		}
	}
	return string(b)
}

// base64Offsets returns the three encodings of s at byte offsets 0, 1 and 2
// of a longer base64 string, trimmed of the characters that depend on the
// neighbouring bytes (the Sigma base64offset algorithm).
func base64Offsets(s string) []string {
	start := []int{0, 2, 3}
	end := []int{0, 3, 2}
	out := make([]string, 0, 3)
	for i := 0; i < 3; i++ {
		enc := base64.StdEncoding.EncodeToString(append(make([]byte, i), s...))
		e := end[(len(s)+i)%3]
		if e > len(enc)-start[i] {
			e = len(enc) - start[i]
		}
		out = append(out, enc[start[i]:len(enc)-e])
	}
	return out
}

// requiredLiteral returns the longest case-sensitive literal that every
// match of the expression contains, or "" when there is none. The engine
// checks it with strings.Contains before running the expression.
func requiredLiteral(expr string) string {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return ""
	}
	re = re.Simplify()
	best := ""
	consider := func(r *syntax.Regexp) {
		if r.Op == syntax.OpLiteral && r.Flags&syntax.FoldCase == 0 && len(string(r.Rune)) > len(best) {
			best = string(r.Rune)
		}
	}
	switch re.Op {
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			consider(sub)
		}
	case syntax.OpCapture:
		if len(re.Sub) == 1 && re.Sub[0].Op == syntax.OpConcat {
			for _, sub := range re.Sub[0].Sub {
				consider(sub)
			}
		} else if len(re.Sub) == 1 {
			consider(re.Sub[0])
		}
	default:
		consider(re)
	}
	return best
}
