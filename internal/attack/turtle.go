package attack

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ErrSyntax is wrapped by the errors of the Turtle reader; the message names
// the line.
var ErrSyntax = errors.New("turtle syntax error")

// This file is a reader for the subset of Turtle (RDF 1.1) that MITRE's
// D3FEND ontology uses. It supports:
//
//   - @prefix/@base and SPARQL-style PREFIX/BASE directives;
//   - statements "subject predicate object" with ";" predicate lists, ","
//     object lists and a closing ".";
//   - IRIs <...> (with \u escapes, relative IRIs joined naively to the base),
//     prefixed names (with \-escapes in local names), the keyword "a";
//   - string literals in '...', "...", '''...''' and """...""" with the
//     Turtle escapes, followed by an @lang tag or a ^^datatype;
//   - numbers and booleans;
//   - blank nodes _:x, blank-node property lists [ ... ] (their triples are
//     emitted with a generated _:bN subject) and collections ( ... ) (parsed;
//     their rdf:first/rdf:rest triples are not emitted);
//   - # comments.
//
// It does not check the full character classes of the grammar, and it reads
// the whole document into memory (the D3FEND ontology is a few megabytes).

type termKind uint8

const (
	termIRI termKind = iota
	termBlank
	termLiteral
)

type term struct {
	kind     termKind
	value    string // the full IRI, the blank node label or the lexical form
	lang     string
	datatype string
}

type turtleParser struct {
	src      []byte
	pos      int
	base     string
	prefixes map[string]string
	blanks   int
	emit     func(s, p, o term)
}

// parseTurtle parses src and calls emit for each triple in document order.
func parseTurtle(src []byte, emit func(s, p, o term)) error {
	p := &turtleParser{src: src, prefixes: map[string]string{}, emit: emit}
	for {
		p.skipSpace()
		if p.pos >= len(p.src) {
			return nil
		}
		if err := p.statement(); err != nil {
			return err
		}
	}
}

// errorf returns an ErrSyntax error naming the line of the current position.
func (p *turtleParser) errorf(format string, args ...any) error {
	line := 1 + bytes.Count(p.src[:min(p.pos, len(p.src))], []byte{'\n'})
	return fmt.Errorf("%w: line %d: %s", ErrSyntax, line, fmt.Sprintf(format, args...))
}

func (p *turtleParser) skipSpace() {
	for p.pos < len(p.src) {
		switch c := p.src[p.pos]; c {
		case ' ', '\t', '\r', '\n':
			p.pos++
		case '#':
			for p.pos < len(p.src) && p.src[p.pos] != '\n' {
				p.pos++
			}
		default:
			return
		}
	}
}

func (p *turtleParser) peek() byte {
	if p.pos < len(p.src) {
		return p.src[p.pos]
	}
	return 0
}

func (p *turtleParser) expect(c byte) error {
	p.skipSpace()
	if p.peek() != c {
		return p.errorf("want %q, got %s", c, p.near())
	}
	p.pos++
	return nil
}

// near describes the input at the current position for error messages.
func (p *turtleParser) near() string {
	if p.pos >= len(p.src) {
		return "end of input"
	}
	end := min(p.pos+20, len(p.src))
	if i := bytes.IndexByte(p.src[p.pos:end], '\n'); i >= 0 {
		end = p.pos + i
	}
	return strconv.Quote(string(p.src[p.pos:end]))
}

func (p *turtleParser) hasKeyword(kw string, caseFold bool) bool {
	end := p.pos + len(kw)
	if end > len(p.src) {
		return false
	}
	w := string(p.src[p.pos:end])
	if !(w == kw || caseFold && strings.EqualFold(w, kw)) {
		return false
	}
	return end == len(p.src) || !isNameChar(p.src[end]) && p.src[end] != ':'
}

func (p *turtleParser) statement() error {
	switch {
	case p.hasKeyword("@prefix", false), p.hasKeyword("PREFIX", true):
		sparql := p.peek() != '@'
		p.pos += len("@prefix")
		if sparql {
			p.pos-- // "PREFIX" is one byte shorter than "@prefix"
		}
		p.skipSpace()
		start := p.pos
		for p.pos < len(p.src) && p.src[p.pos] != ':' && isNameChar(p.src[p.pos]) {
			p.pos++
		}
		name := string(p.src[start:p.pos])
		if err := p.expect(':'); err != nil {
			return err
		}
		p.skipSpace()
		iri, err := p.iriRef()
		if err != nil {
			return err
		}
		p.prefixes[name] = iri
		if !sparql {
			return p.expect('.')
		}
		return nil
	case p.hasKeyword("@base", false), p.hasKeyword("BASE", true):
		sparql := p.peek() != '@'
		p.pos += len("BASE")
		if !sparql {
			p.pos++
		}
		p.skipSpace()
		iri, err := p.iriRef()
		if err != nil {
			return err
		}
		p.base = iri
		if !sparql {
			return p.expect('.')
		}
		return nil
	}
	var subj term
	var err error
	if p.peek() == '[' {
		// A blank-node property list may stand alone as a statement.
		if subj, err = p.blankPropertyList(); err != nil {
			return err
		}
		p.skipSpace()
		if p.peek() == '.' {
			p.pos++
			return nil
		}
	} else if subj, err = p.subject(); err != nil {
		return err
	}
	if err := p.predicateObjectList(subj); err != nil {
		return err
	}
	return p.expect('.')
}

func (p *turtleParser) subject() (term, error) {
	p.skipSpace()
	switch p.peek() {
	case '(':
		return p.collection()
	case '"', '\'':
		return term{}, p.errorf("a literal cannot be a subject")
	}
	return p.iriOrBlank()
}

func (p *turtleParser) predicateObjectList(subj term) error {
	for {
		p.skipSpace()
		var pred term
		if p.hasKeyword("a", false) {
			p.pos++
			pred = term{kind: termIRI, value: "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"}
		} else {
			var err error
			if pred, err = p.iriOrBlank(); err != nil {
				return err
			}
			if pred.kind != termIRI {
				return p.errorf("predicate must be an IRI")
			}
		}
		for {
			obj, err := p.object()
			if err != nil {
				return err
			}
			p.emit(subj, pred, obj)
			p.skipSpace()
			if p.peek() != ',' {
				break
			}
			p.pos++
		}
		// One or more ";", optionally followed by another predicate.
		if p.peek() != ';' {
			return nil
		}
		for p.peek() == ';' {
			p.pos++
			p.skipSpace()
		}
		if c := p.peek(); c == '.' || c == ']' || c == 0 {
			return nil
		}
	}
}

func (p *turtleParser) object() (term, error) {
	p.skipSpace()
	switch c := p.peek(); {
	case c == '"' || c == '\'':
		return p.literal()
	case c == '[':
		return p.blankPropertyList()
	case c == '(':
		return p.collection()
	case c == '+' || c == '-' || c == '.' || c >= '0' && c <= '9':
		return p.number()
	case p.hasKeyword("true", false) || p.hasKeyword("false", false):
		v := "true"
		if c == 'f' {
			v = "false"
		}
		p.pos += len(v)
		return term{kind: termLiteral, value: v, datatype: "http://www.w3.org/2001/XMLSchema#boolean"}, nil
	}
	return p.iriOrBlank()
}

func (p *turtleParser) newBlank() term {
	p.blanks++
	return term{kind: termBlank, value: "_:b" + strconv.Itoa(p.blanks)}
}

func (p *turtleParser) blankPropertyList() (term, error) {
	p.pos++ // '['
	b := p.newBlank()
	p.skipSpace()
	if p.peek() == ']' {
		p.pos++
		return b, nil
	}
	if err := p.predicateObjectList(b); err != nil {
		return term{}, err
	}
	return b, p.expect(']')
}

func (p *turtleParser) collection() (term, error) {
	p.pos++ // '('
	for {
		p.skipSpace()
		switch p.peek() {
		case ')':
			p.pos++
			return p.newBlank(), nil
		case 0:
			return term{}, p.errorf("unterminated collection")
		}
		if _, err := p.object(); err != nil {
			return term{}, err
		}
	}
}

func (p *turtleParser) number() (term, error) {
	start := p.pos
	if c := p.peek(); c == '+' || c == '-' {
		p.pos++
	}
	dt := "integer"
	digits := 0
	for ; p.pos < len(p.src); p.pos++ {
		c := p.src[p.pos]
		switch {
		case c >= '0' && c <= '9':
			digits++
			continue
		case c == '.' && dt == "integer" && p.pos+1 < len(p.src) && p.src[p.pos+1] >= '0' && p.src[p.pos+1] <= '9':
			dt = "decimal"
			continue
		case (c == 'e' || c == 'E') && digits > 0:
			dt = "double"
			if p.pos+1 < len(p.src) && (p.src[p.pos+1] == '+' || p.src[p.pos+1] == '-') {
				p.pos++
			}
			continue
		}
		break
	}
	if digits == 0 {
		p.pos = start
		return term{}, p.errorf("bad number %s", p.near())
	}
	return term{kind: termLiteral, value: string(p.src[start:p.pos]), datatype: "http://www.w3.org/2001/XMLSchema#" + dt}, nil
}

// iriOrBlank reads an IRI reference, a prefixed name or a blank node label.
func (p *turtleParser) iriOrBlank() (term, error) {
	p.skipSpace()
	if p.peek() == '<' {
		iri, err := p.iriRef()
		return term{kind: termIRI, value: iri}, err
	}
	if p.peek() == '_' && p.pos+1 < len(p.src) && p.src[p.pos+1] == ':' {
		p.pos += 2
		local := p.localName()
		if local == "" {
			return term{}, p.errorf("empty blank node label")
		}
		return term{kind: termBlank, value: "_:" + local}, nil
	}
	start := p.pos
	for p.pos < len(p.src) && p.src[p.pos] != ':' && isNameChar(p.src[p.pos]) {
		p.pos++
	}
	if p.peek() != ':' {
		p.pos = start
		return term{}, p.errorf("want IRI or prefixed name, got %s", p.near())
	}
	prefix := string(p.src[start:p.pos])
	ns, ok := p.prefixes[prefix]
	if !ok {
		p.pos = start
		return term{}, p.errorf("undeclared prefix %q", prefix)
	}
	p.pos++ // ':'
	return term{kind: termIRI, value: ns + p.localName()}, nil
}

// localName reads the local part of a prefixed name, which may contain '.'
// but not end with it, and may hold \-escaped punctuation.
func (p *turtleParser) localName() string {
	var b strings.Builder
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch {
		case c == '\\' && p.pos+1 < len(p.src):
			b.WriteByte(p.src[p.pos+1])
			p.pos += 2
			continue
		case c == '.':
			if p.pos+1 < len(p.src) && (isNameChar(p.src[p.pos+1]) || p.src[p.pos+1] == ':') {
				b.WriteByte(c)
				p.pos++
				continue
			}
			return b.String()
		case isNameChar(c) || c == ':' || c == '%':
			b.WriteByte(c)
			p.pos++
			continue
		}
		return b.String()
	}
	return b.String()
}

func isNameChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '_' || c == '-' || c >= 0x80
}

func (p *turtleParser) iriRef() (string, error) {
	if p.peek() != '<' {
		return "", p.errorf("want <IRI>, got %s", p.near())
	}
	p.pos++
	var b strings.Builder
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch c {
		case '>':
			p.pos++
			iri := b.String()
			if p.base != "" && !strings.Contains(iri, ":") {
				iri = p.base + iri
			}
			return iri, nil
		case '\\':
			r, err := p.unicodeEscape()
			if err != nil {
				return "", err
			}
			b.WriteRune(r)
			continue
		case '\n', '<', '"', ' ':
			return "", p.errorf("bad character %q in IRI", c)
		}
		b.WriteByte(c)
		p.pos++
	}
	return "", p.errorf("unterminated IRI")
}

// unicodeEscape reads \uXXXX or \UXXXXXXXX at the current position.
func (p *turtleParser) unicodeEscape() (rune, error) {
	n := 0
	switch {
	case p.pos+1 < len(p.src) && p.src[p.pos+1] == 'u':
		n = 4
	case p.pos+1 < len(p.src) && p.src[p.pos+1] == 'U':
		n = 8
	default:
		return 0, p.errorf("bad escape %s", p.near())
	}
	if p.pos+2+n > len(p.src) {
		return 0, p.errorf("short unicode escape")
	}
	v, err := strconv.ParseUint(string(p.src[p.pos+2:p.pos+2+n]), 16, 32)
	if err != nil || !utf8.ValidRune(rune(v)) {
		return 0, p.errorf("bad unicode escape %s", p.near())
	}
	p.pos += 2 + n
	return rune(v), nil
}

func (p *turtleParser) literal() (term, error) {
	q := p.src[p.pos]
	long := p.pos+2 < len(p.src) && p.src[p.pos+1] == q && p.src[p.pos+2] == q
	if long {
		p.pos += 3
	} else {
		p.pos++
	}
	start := p.pos
	var b strings.Builder
	for {
		if p.pos >= len(p.src) {
			p.pos = start
			return term{}, p.errorf("unterminated string")
		}
		c := p.src[p.pos]
		if c == q {
			if !long {
				p.pos++
				break
			}
			if p.pos+2 < len(p.src) && p.src[p.pos+1] == q && p.src[p.pos+2] == q {
				p.pos += 3
				// """a"""" ends with a quote inside the string.
				for p.peek() == q {
					b.WriteByte(q)
					p.pos++
				}
				break
			}
		}
		if !long && (c == '\n' || c == '\r') {
			return term{}, p.errorf("newline in string")
		}
		if c == '\\' {
			if p.pos+1 >= len(p.src) {
				return term{}, p.errorf("unterminated escape")
			}
			e := p.src[p.pos+1]
			if e == 'u' || e == 'U' {
				r, err := p.unicodeEscape()
				if err != nil {
					return term{}, err
				}
				b.WriteRune(r)
				continue
			}
			var out byte
			switch e {
			case 't':
				out = '\t'
			case 'b':
				out = '\b'
			case 'n':
				out = '\n'
			case 'r':
				out = '\r'
			case 'f':
				out = '\f'
			case '"', '\'', '\\':
				out = e
			default:
				return term{}, p.errorf("bad escape \\%c", e)
			}
			b.WriteByte(out)
			p.pos += 2
			continue
		}
		b.WriteByte(c)
		p.pos++
	}
	t := term{kind: termLiteral, value: b.String()}
	switch {
	case p.peek() == '@':
		p.pos++
		s := p.pos
		for p.pos < len(p.src) && (isNameChar(p.src[p.pos])) {
			p.pos++
		}
		if p.pos == s {
			return term{}, p.errorf("empty language tag")
		}
		t.lang = string(p.src[s:p.pos])
	case p.peek() == '^' && p.pos+1 < len(p.src) && p.src[p.pos+1] == '^':
		p.pos += 2
		dt, err := p.iriOrBlank()
		if err != nil {
			return term{}, err
		}
		if dt.kind != termIRI {
			return term{}, p.errorf("datatype must be an IRI")
		}
		t.datatype = dt.value
	}
	return t, nil
}
