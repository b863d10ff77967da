package sbom

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// jsonError turns an encoding/json error into a ParseError with the
// line, column and JSON pointer of the fault when the error carries an
// offset (SyntaxError, UnmarshalTypeError).
func jsonError(name string, data []byte, err error) *ParseError {
	pe := &ParseError{Name: name, Offset: -1, Err: err}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		pe.Offset = max(syn.Offset-1, 0) // the offending byte, not the one after it
	case errors.As(err, &typ):
		pe.Offset = typ.Offset
	}
	pe.Err = fmt.Errorf("%w: %w", ErrInvalid, err)
	if pe.Offset >= 0 {
		pe.Line, pe.Column = lineCol(data, pe.Offset)
		pe.Pointer = pointerAt(data, pe.Offset)
	}
	return pe
}

// lineCol converts a byte offset into a 1-based line and column.
func lineCol(data []byte, off int64) (line, col int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	if off < 0 {
		off = 0
	}
	head := data[:off]
	line = bytes.Count(head, []byte{'\n'}) + 1
	col = int(off) - (bytes.LastIndexByte(head, '\n') + 1) + 1
	return line, col
}

// pointerAt returns the JSON pointer of the value being read at byte offset
// off: the last member or element that started at or before off. It is a
// best effort for error messages and stops at the first syntax error.
func pointerAt(data []byte, off int64) string {
	type frame struct {
		array bool
		index int
		key   string
		inKey bool // the next string token is a member name
	}
	var stack []frame
	// value marks that a value (scalar or container) starts in the top frame.
	value := func() {
		if n := len(stack); n > 0 {
			top := &stack[n-1]
			if top.array {
				top.index++
			} else {
				top.inKey = true
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	for dec.InputOffset() < off {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				if n := len(stack); n > 0 && stack[n-1].array {
					stack[n-1].index++
				}
				stack = append(stack, frame{inKey: true})
			case '[':
				if n := len(stack); n > 0 && stack[n-1].array {
					stack[n-1].index++
				}
				stack = append(stack, frame{array: true, index: -1})
			default:
				stack = stack[:len(stack)-1]
				if n := len(stack); n > 0 && !stack[n-1].array {
					stack[n-1].inKey = true
				}
			}
		case string:
			if n := len(stack); n > 0 && !stack[n-1].array && stack[n-1].inKey {
				stack[n-1].key = t
				stack[n-1].inKey = false
				continue
			}
			value()
		default:
			value()
		}
	}
	var b strings.Builder
	for _, f := range stack {
		switch {
		case f.array && f.index >= 0:
			b.WriteString("/" + strconv.Itoa(f.index))
		case !f.array && f.key != "":
			b.WriteString("/" + escapePointer(f.key))
		}
	}
	if b.Len() == 0 {
		return "/"
	}
	return b.String()
}

func escapePointer(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

// keyOffset returns the offset of the first `"key"` member name in data, or
// -1: used to place errors a custom unmarshaler reports without a position.
func keyOffset(data []byte, key string) int64 {
	i := bytes.Index(data, []byte(`"`+key+`"`))
	return int64(i)
}
