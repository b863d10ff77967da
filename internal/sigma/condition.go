package sigma

import (
	"fmt"
	"strconv"
	"strings"
)

// Cond is a node of a parsed condition.
type Cond interface{ String() string }

// CondAnd is L and R.
type CondAnd struct{ L, R Cond }

// CondOr is L or R.
type CondOr struct{ L, R Cond }

// CondNot is not X.
type CondNot struct{ X Cond }

// CondRef names one selection.
type CondRef struct {
	Name string
	Pos  int
}

// CondOf is `N of pattern`, `all of pattern`, `1 of them`, `all of them`.
// N is 0 for all; Pattern is "" for them.
type CondOf struct {
	N       int
	Pattern string
	Pos     int
}

func (c *CondAnd) String() string { return "(" + c.L.String() + " and " + c.R.String() + ")" }
func (c *CondOr) String() string  { return "(" + c.L.String() + " or " + c.R.String() + ")" }
func (c *CondNot) String() string { return "not " + c.X.String() }
func (c *CondRef) String() string { return c.Name }
func (c *CondOf) String() string {
	n, p := strconv.Itoa(c.N), c.Pattern
	if c.N == 0 {
		n = "all"
	}
	if p == "" {
		p = "them"
	}
	return n + " of " + p
}

type token struct {
	kind string // "(", ")", "and", "or", "not", "of", "them", "all", "num", "id", "|", "eof"
	text string
	pos  int // 1-based column
}

func lexCondition(s string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '|':
			return nil, &UnsupportedError{Feature: "condition aggregation (| count() ...); use a correlation rule"}
		case c == '(' || c == ')':
			toks = append(toks, token{kind: string(c), text: string(c), pos: i + 1})
			i++
		case isIdentByte(c):
			j := i
			for j < len(s) && isIdentByte(s[j]) {
				j++
			}
			w := s[i:j]
			kind := "id"
			switch strings.ToLower(w) {
			case "and", "or", "not", "of", "them", "all":
				kind = strings.ToLower(w)
			default:
				if _, err := strconv.Atoi(w); err == nil {
					kind = "num"
				}
			}
			toks = append(toks, token{kind: kind, text: w, pos: i + 1})
			i = j
		default:
			return nil, fmt.Errorf("%w: condition column %d: unexpected character %q", ErrSyntax, i+1, c)
		}
	}
	return append(toks, token{kind: "eof", pos: len(s) + 1}), nil
}

func isIdentByte(c byte) bool {
	return c == '_' || c == '*' || c == '?' || c == '-' || c == '.' || c >= '0' && c <= '9' ||
		c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

type condParser struct {
	toks  []token
	i     int
	depth int
}

// ParseCondition parses a condition string. Precedence: not > and > or.
// Errors give the 1-based column.
func ParseCondition(s string) (Cond, error) {
	toks, err := lexCondition(s)
	if err != nil {
		return nil, err
	}
	p := &condParser{toks: toks}
	c, err := p.or()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != "eof" {
		if t.kind == "|" {
			return nil, &UnsupportedError{Feature: "condition aggregation (| count() ...); use a correlation rule"}
		}
		return nil, p.errAt(t, "unexpected %q", t.text)
	}
	return c, nil
}

func (p *condParser) peek() token { return p.toks[p.i] }
func (p *condParser) next() token { t := p.toks[p.i]; p.i++; return t }

func (p *condParser) errAt(t token, format string, a ...any) error {
	return fmt.Errorf("%w: condition column %d: %s", ErrSyntax, t.pos, fmt.Sprintf(format, a...))
}

func (p *condParser) or() (Cond, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.peek().kind == "or" {
		p.next()
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		l = &CondOr{L: l, R: r}
	}
	return l, nil
}

func (p *condParser) and() (Cond, error) {
	l, err := p.not()
	if err != nil {
		return nil, err
	}
	for p.peek().kind == "and" {
		p.next()
		r, err := p.not()
		if err != nil {
			return nil, err
		}
		l = &CondAnd{L: l, R: r}
	}
	return l, nil
}

func (p *condParser) not() (Cond, error) {
	if p.peek().kind == "not" {
		p.next()
		p.depth++
		defer func() { p.depth-- }()
		if p.depth > 200 {
			return nil, p.errAt(p.peek(), "condition nested too deeply")
		}
		x, err := p.not()
		if err != nil {
			return nil, err
		}
		return &CondNot{X: x}, nil
	}
	return p.primary()
}

func (p *condParser) primary() (Cond, error) {
	t := p.next()
	switch t.kind {
	case "(":
		p.depth++
		defer func() { p.depth-- }()
		if p.depth > 200 {
			return nil, p.errAt(t, "condition nested too deeply")
		}
		c, err := p.or()
		if err != nil {
			return nil, err
		}
		if e := p.next(); e.kind != ")" {
			return nil, p.errAt(e, "want ')' to close '(' at column %d", t.pos)
		}
		return c, nil
	case "num", "all":
		n := 0
		if t.kind == "num" {
			n, _ = strconv.Atoi(t.text)
			if n < 1 {
				return nil, p.errAt(t, "count before 'of' must be at least 1")
			}
		}
		if o := p.next(); o.kind != "of" {
			return nil, p.errAt(o, "want 'of' after %q", t.text)
		}
		x := p.next()
		switch x.kind {
		case "them":
			return &CondOf{N: n, Pos: t.pos}, nil
		case "id":
			return &CondOf{N: n, Pattern: x.text, Pos: t.pos}, nil
		}
		return nil, p.errAt(x, "want a selection pattern or 'them' after 'of'")
	case "id":
		return &CondRef{Name: t.text, Pos: t.pos}, nil
	case "eof":
		return nil, p.errAt(t, "unexpected end of condition")
	case "|":
		return nil, &UnsupportedError{Feature: "condition aggregation (| count() ...); use a correlation rule"}
	}
	return nil, p.errAt(t, "unexpected %q", t.text)
}

// globMatch matches a selection name against a pattern with * and ?.
func globMatch(pat, s string) bool {
	if pat == "" {
		return s == ""
	}
	switch pat[0] {
	case '*':
		for i := 0; i <= len(s); i++ {
			if globMatch(pat[1:], s[i:]) {
				return true
			}
		}
		return false
	case '?':
		return s != "" && globMatch(pat[1:], s[1:])
	}
	return s != "" && s[0] == pat[0] && globMatch(pat[1:], s[1:])
}

// expandOf returns the sorted selection names an `of` node covers; `them`
// leaves out names starting with an underscore.
func expandOf(c *CondOf, names []string) []string {
	var out []string
	for _, n := range names {
		if c.Pattern == "" {
			if !strings.HasPrefix(n, "_") {
				out = append(out, n)
			}
		} else if globMatch(c.Pattern, n) {
			out = append(out, n)
		}
	}
	return out
}

func checkRefs(c Cond, names []string) error {
	switch c := c.(type) {
	case *CondAnd:
		if err := checkRefs(c.L, names); err != nil {
			return err
		}
		return checkRefs(c.R, names)
	case *CondOr:
		if err := checkRefs(c.L, names); err != nil {
			return err
		}
		return checkRefs(c.R, names)
	case *CondNot:
		return checkRefs(c.X, names)
	case *CondRef:
		if strings.ContainsAny(c.Name, "*?") {
			return fmt.Errorf("%w: condition column %d: wildcard %q outside '1 of'/'all of'", ErrSyntax, c.Pos, c.Name)
		}
		for _, n := range names {
			if n == c.Name {
				return nil
			}
		}
		return fmt.Errorf("%w: condition column %d: unknown selection %q", ErrSyntax, c.Pos, c.Name)
	case *CondOf:
		if len(expandOf(c, names)) == 0 {
			return fmt.Errorf("%w: condition column %d: %q matches no selection", ErrSyntax, c.Pos, c.String())
		}
	}
	return nil
}
