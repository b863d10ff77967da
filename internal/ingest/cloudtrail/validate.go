package cloudtrail

import (
	"encoding/binary"
	"fmt"
	"math/bits"
)

// The validating scan: one pass that both finds where an event ends and
// checks that it is valid JSON (RFC 8259), so that fastjson's parser —
// fast, but lenient by itself — is only ever given valid input. Before it,
// a bracket scan found the extent and fastjson's validator read the event
// a second time.

// validState is what the validating scan expects next.
type validState uint8

const (
	vValue        validState = iota // a value
	vValueOrClose                   // after '[': a value or ']'
	vKey                            // after ',' in an object: a key
	vKeyOrClose                     // after '{': a key or '}'
	vColon                          // after a key
	vCommaOrClose                   // after a value: ',' or the container's close
	vString                         // inside a string
	vNumber                         // inside a number
	vLiteral                        // inside true, false or null
)

// numState is where a number stands in the JSON number grammar.
type numState uint8

const (
	nMinus    numState = iota // after '-': a digit
	nZero                     // after a leading 0: '.', 'e' or the end
	nInt                      // in the integer digits
	nDot                      // after '.': a digit
	nFrac                     // in the fraction digits
	nExp                      // after 'e': a sign or a digit
	nExpSign                  // after the exponent's sign: a digit
	nExpDigit                 // in the exponent digits
)

// scanValid moves r.p past the object or array whose opening byte is at
// r.p, checking its syntax as it goes. It cuts the value where scan would
// cut it, valid or not: bad, when not nil, says what is wrong and where.
// The result and multiline are as for scan; with lines set, a newline
// anywhere in the value ends it as broken.
func (r *Reader) scanValid(lines bool) (multiline bool, res scanResult, bad error) {
	start := r.win.Base + int64(r.win.R)
	stack := r.stack[:0]
	defer func() { r.stack = stack[:0] }()
	st := vValue
	var (
		isKey bool     // the string being read is an object key
		esc   bool     // after a backslash in a string
		hex   int      // hex digits of a \u escape still to come
		num   numState // inside a number
		lit   string   // the rest of a literal
	)
	for {
		buf := r.win.Buf[:r.win.W]
		p := r.p
	scan:
		for p < len(buf) {
			if st == vString {
				if hex > 0 {
					if !isHexDigit(buf[p]) {
						bad = r.badAt(start, p, "bad \\u escape: %q is not a hex digit", buf[p])
						break scan
					}
					hex--
					p++
					continue
				}
				if esc {
					switch buf[p] {
					case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
					case 'u':
						hex = 4
					default:
						bad = r.badAt(start, p, "bad escape \\%c", buf[p])
					}
					if bad != nil {
						break scan
					}
					esc = false
					p++
					continue
				}
				p += plainRun(buf[p:])
				if p == len(buf) {
					break scan
				}
				switch c := buf[p]; c {
				case '"':
					if isKey {
						st = vColon
					} else {
						st = vCommaOrClose
					}
				case '\\':
					esc = true
				default:
					if c == '\n' && lines {
						r.p = p + 1
						return multiline, scanBrokenLine, nil
					}
					bad = r.badAt(start, p, "control character 0x%02X in a string", c)
				}
				if bad != nil {
					break scan
				}
				p++
				continue
			}
			c := buf[p]
			switch st {
			case vNumber:
				next, ok := numStep(num, c)
				if ok {
					num = next
					p++
					continue
				}
				if num == nMinus || num == nDot || num == nExp || num == nExpSign {
					bad = r.badAt(start, p, "unfinished number before %q", c)
					break scan
				}
				st = vCommaOrClose // c is read again in that state
				continue
			case vLiteral:
				if c != lit[0] {
					bad = r.badAt(start, p, "unexpected %q in a literal", c)
					break scan
				}
				lit = lit[1:]
				if lit == "" {
					st = vCommaOrClose
				}
				p++
				continue
			}
			switch c {
			case ' ', '\t', '\r':
				p++
				continue
			case '\n':
				if lines {
					r.p = p + 1
					return multiline, scanBrokenLine, nil
				}
				multiline = true
				p++
				continue
			}
			switch st {
			case vValue, vValueOrClose:
				switch {
				case c == ']' && st == vValueOrClose:
					stack = stack[:len(stack)-1]
					st = vCommaOrClose
				case c == '{':
					stack = append(stack, '{')
					st = vKeyOrClose
				case c == '[':
					stack = append(stack, '[')
					st = vValueOrClose
				case c == '"':
					st, isKey = vString, false
				case c == '-':
					st, num = vNumber, nMinus
				case c == '0':
					st, num = vNumber, nZero
				case c >= '1' && c <= '9':
					st, num = vNumber, nInt
				case c == 't':
					st, lit = vLiteral, "rue"
				case c == 'f':
					st, lit = vLiteral, "alse"
				case c == 'n':
					st, lit = vLiteral, "ull"
				default:
					bad = r.badAt(start, p, "unexpected %q where a value should start", c)
				}
			case vKey, vKeyOrClose:
				switch {
				case c == '}' && st == vKeyOrClose:
					stack = stack[:len(stack)-1]
					st = vCommaOrClose
				case c == '"':
					st, isKey = vString, true
				default:
					bad = r.badAt(start, p, "unexpected %q where a key should start", c)
				}
			case vColon:
				if c == ':' {
					st = vValue
				} else {
					bad = r.badAt(start, p, "unexpected %q after a key, want ':'", c)
				}
			case vCommaOrClose:
				top := stack[len(stack)-1]
				switch {
				case c == ',' && top == '{':
					st = vKey
				case c == ',':
					st = vValue
				case c == '}' && top == '{', c == ']' && top == '[':
					stack = stack[:len(stack)-1]
				default:
					bad = r.badAt(start, p, "unexpected %q after a value, want ',' or %q", c, closer(top))
				}
			}
			if bad != nil {
				break scan
			}
			p++
			if len(stack) == 0 {
				r.p = p
				return multiline, r.sizeCheck(start, false), nil
			}
		}
		r.p = p
		if bad != nil || r.win.Base+int64(r.p)-start > int64(r.max) {
			// Invalid or too large: the bracket scan finds the end.
			inStr := st == vString
			m, res := r.scanFrom(len(stack), inStr, inStr && esc, lines, bad == nil)
			return multiline || m, res, bad
		}
		if r.win.EOF || r.win.Err != nil {
			return multiline, scanEOF, nil
		}
		r.p -= r.win.Fill(r.max + 2*initialBufSize)
	}
}

// badAt describes a syntax error at buffer position p of the event that
// starts at stream offset start.
func (r *Reader) badAt(start int64, p int, format string, args ...any) error {
	return fmt.Errorf("byte %d of the event: %s", r.win.Base+int64(p)-start, fmt.Sprintf(format, args...))
}

func closer(open byte) byte {
	if open == '{' {
		return '}'
	}
	return ']'
}

func isHexDigit(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// numStep advances the number grammar by c; false when c does not belong
// to the number (it ends there, or is an error if the state is unfinished).
func numStep(s numState, c byte) (numState, bool) {
	digit := c >= '0' && c <= '9'
	switch s {
	case nMinus:
		if c == '0' {
			return nZero, true
		}
		if digit {
			return nInt, true
		}
	case nZero, nInt:
		switch {
		case digit && s == nInt:
			return nInt, true
		case c == '.':
			return nDot, true
		case c == 'e' || c == 'E':
			return nExp, true
		}
	case nDot, nFrac:
		switch {
		case digit:
			return nFrac, true
		case c == 'e' || c == 'E':
			if s == nFrac {
				return nExp, true
			}
		}
	case nExp:
		if c == '+' || c == '-' {
			return nExpSign, true
		}
		if digit {
			return nExpDigit, true
		}
	case nExpSign, nExpDigit:
		if digit {
			return nExpDigit, true
		}
	}
	return s, false
}

const (
	ones   = 0x0101010101010101
	highs  = 0x8080808080808080
	quotes = '"' * ones
	backs  = '\\' * ones
	spaces = 0x20 * ones
)

// plainRun returns the length of b's leading run of bytes that need no
// attention inside a string: no '"', no '\\', no control character. It
// looks at eight bytes at a time: in each of the three tests the lowest
// flagged byte is a true match (a borrow only runs upwards from one).
func plainRun(b []byte) int {
	i := 0
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		q, s := x^quotes, x^backs
		m := ((q - ones) &^ q) | ((s - ones) &^ s) | ((x - spaces) &^ x)
		if m &= highs; m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for ; i < len(b); i++ {
		if c := b[i]; c == '"' || c == '\\' || c < 0x20 {
			return i
		}
	}
	return i
}
