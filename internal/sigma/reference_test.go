package sigma

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/netip"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"
)

// This file holds a deliberately simple reference evaluator, written apart
// from the engine: it decodes each event into encoding/json maps and walks
// the parsed rule, turning every plain value into a regular expression.

func refDecode(t testing.TB, raw []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var ev map[string]any
	if err := dec.Decode(&ev); err != nil {
		t.Fatalf("reference decode: %v", err)
	}
	return ev
}

func refLeaves(v any, path []string) []any {
	if arr, ok := v.([]any); ok {
		var out []any
		for _, x := range arr {
			out = append(out, refLeaves(x, path)...)
		}
		return out
	}
	if len(path) == 0 {
		return []any{v}
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	c, ok := m[path[0]]
	if !ok {
		return nil
	}
	return refLeaves(c, path[1:])
}

func refString(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	case bool:
		return strconv.FormatBool(v), true
	case map[string]any:
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(v)
		return strings.TrimSuffix(b.String(), "\n"), true
	}
	return "", false
}

// refGlob turns a Sigma plain value into an anchored regular expression.
func refGlob(s string, cased bool) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("(?s)^")
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s) && strings.IndexByte(`*?\`, s[i+1]) >= 0:
			lit := string(s[i+1])
			if !cased {
				lit = strings.ToLower(lit)
			}
			b.WriteString(regexp.QuoteMeta(lit))
			i++
		case c == '*':
			b.WriteString(".*")
		case c == '?':
			b.WriteString(".")
		default:
			j := i
			for j < len(s) && s[j] != '*' && s[j] != '?' && s[j] != '\\' {
				j++
			}
			if j == i {
				j = i + 1
			}
			lit := s[i:j]
			if !cased {
				lit = strings.ToLower(lit)
			}
			b.WriteString(regexp.QuoteMeta(lit))
			i = j - 1
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

type refEval struct {
	ev   map[string]any
	opts Options
	err  error
}

func (r *refEval) cond(d *Detection, c Cond) bool {
	switch c := c.(type) {
	case *CondAnd:
		return r.cond(d, c.L) && r.cond(d, c.R)
	case *CondOr:
		return r.cond(d, c.L) || r.cond(d, c.R)
	case *CondNot:
		return !r.cond(d, c.X)
	case *CondRef:
		return r.selection(d.Selections[c.Name])
	case *CondOf:
		n := 0
		total := 0
		for name, s := range d.Selections {
			if c.Pattern == "" && strings.HasPrefix(name, "_") {
				continue
			}
			if ok, _ := path.Match(c.Pattern, name); c.Pattern != "" && !ok {
				continue
			}
			total++
			if r.selection(s) {
				n++
			}
		}
		if c.N == 0 {
			return n == total
		}
		return n >= c.N
	}
	panic(fmt.Sprintf("reference: condition %T", c))
}

func (r *refEval) selection(s *Selection) bool {
	for _, alt := range s.Alts {
		ok := true
		for _, fc := range alt {
			if !r.field(fc) {
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

func (r *refEval) field(fc *FieldCond) bool {
	mods := fc.Modifiers
	has := func(m string) bool { return slices.Contains(mods, m) }
	if fc.Field == "" {
		var all []string
		var walk func(v any)
		walk = func(v any) {
			switch v := v.(type) {
			case map[string]any:
				for _, x := range v {
					walk(x)
				}
			case []any:
				for _, x := range v {
					walk(x)
				}
			default:
				if s, ok := refString(v); ok {
					all = append(all, strings.ToLower(s))
				}
			}
		}
		walk(r.ev)
		for _, v := range fc.Values {
			re := refGlob("*"+v.S+"*", false)
			for _, s := range all {
				if re.MatchString(s) {
					return true
				}
			}
		}
		return false
	}
	leaves := refLeaves(r.ev, strings.Split(fc.Field, "."))
	if has("exists") {
		return (len(leaves) > 0) == (fc.Values[0].S == "true")
	}
	var values []string
	var nulls int
	for _, v := range fc.Values {
		if v.Kind == KindNull {
			nulls++
			continue
		}
		if has("expand") {
			for name, subs := range r.opts.Placeholders {
				if strings.Contains(v.S, "%"+name+"%") {
					for _, s := range subs {
						values = append(values, strings.ReplaceAll(v.S, "%"+name+"%", s))
					}
				}
			}
			continue
		}
		values = append(values, v.S)
	}
	one := func(val string) bool {
		for _, l := range leaves {
			if r.leaf(fc, has, val, l) {
				return true
			}
		}
		return false
	}
	isNull := func() bool {
		if len(leaves) == 0 {
			return true
		}
		return slices.Contains(leaves, nil)
	}
	if has("all") {
		for range nulls {
			if !isNull() {
				return false
			}
		}
		for _, v := range values {
			if !one(v) {
				return false
			}
		}
		return true
	}
	if nulls > 0 && isNull() {
		return true
	}
	for _, v := range values {
		if one(v) {
			return true
		}
	}
	return false
}

func (r *refEval) leaf(fc *FieldCond, has func(string) bool, val string, l any) bool {
	s, ok := refString(l)
	if !ok {
		return false
	}
	cased := has("cased")
	switch {
	case has("re"):
		flags := ""
		for _, f := range []string{"i", "m", "s"} {
			if has(f) {
				flags += f
			}
		}
		if flags != "" {
			val = "(?" + flags + ")" + val
		}
		return regexp.MustCompile(val).MatchString(s)
	case has("cidr"):
		p, err := netip.ParsePrefix(val)
		a, err2 := netip.ParseAddr(s)
		return err == nil && err2 == nil && p.Contains(a)
	case has("gt"), has("gte"), has("lt"), has("lte"):
		x, err := strconv.ParseFloat(s, 64)
		y, _ := strconv.ParseFloat(val, 64)
		if err != nil {
			return false
		}
		return has("gt") && x > y || has("gte") && x >= y || has("lt") && x < y || has("lte") && x <= y
	case has("fieldref"):
		for _, o := range refLeaves(r.ev, strings.Split(val, ".")) {
			os, ok := refString(o)
			if !ok {
				continue
			}
			a, b := s, os
			if !cased {
				a, b = strings.ToLower(a), strings.ToLower(b)
			}
			if has("contains") && strings.Contains(a, b) || has("startswith") && strings.HasPrefix(a, b) ||
				has("endswith") && strings.HasSuffix(a, b) || a == b {
				return true
			}
		}
		return false
	case has("base64offset"), has("windash"), has("utf16"), has("utf16be"):
		r.err = fmt.Errorf("reference evaluator lacks %v", fc.Modifiers)
		return false
	}
	pattern := val
	if has("wide") || has("utf16le") {
		var b []byte
		for _, u := range utf16.Encode([]rune(val)) {
			b = append(b, byte(u), byte(u>>8))
		}
		pattern = string(b)
	}
	if has("base64") {
		pattern = base64.StdEncoding.EncodeToString([]byte(pattern))
	}
	if pattern != val {
		pattern = strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`).Replace(pattern)
	}
	if has("contains") || has("endswith") {
		pattern = "*" + pattern
	}
	if has("contains") || has("startswith") {
		pattern += "*"
	}
	if !cased {
		s = strings.ToLower(s)
	}
	return refGlob(pattern, cased).MatchString(s)
}

// compareWithReference checks the engine's matches for one event against
// the reference evaluator, for every rule the engine compiled.
func compareWithReference(t *testing.T, e *Engine, rules []*Rule, raw []byte, label string) {
	t.Helper()
	got := map[*Rule]bool{}
	for _, m := range e.Match(raw) {
		got[m.Rule] = true
	}
	ev := refDecode(t, raw)
	for _, r := range rules {
		if r.Detection == nil || slices.Contains(e.Skipped(), r) {
			continue
		}
		re := &refEval{ev: ev, opts: e.opts}
		want := re.cond(r.Detection, r.Detection.Cond)
		if re.err != nil {
			continue
		}
		if got[r] != want {
			t.Errorf("%s: rule %s (%s) on event %s: engine %v, reference %v", label, r.ID, r.Title, ev["eventID"], got[r], want)
		}
	}
}
