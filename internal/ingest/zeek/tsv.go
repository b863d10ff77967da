package zeek

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
	"strconv"
	"strings"

	"github.com/vigil-iomt/vigil/internal/event"
)

// header processes one TSV header line ('#...'). A #separator line starts a
// new block; a #fields line replaces the columns. Unknown header lines are
// comments.
func (r *Reader) header(line []byte) error {
	h := &r.hdr
	if bytes.HasPrefix(line, []byte("#separator ")) {
		*h = defaultHeader()
		sep := appendUnescapeTSV(nil, line[len("#separator "):])
		if len(sep) != 1 || sep[0] == '\n' {
			h.bad = true
			return fmt.Errorf("%w: unsupported #separator %s", ErrBadHeader, quote(line[len("#separator "):]))
		}
		h.sep = sep[0]
		return nil
	}
	key, val := line, []byte(nil)
	if i := bytes.IndexByte(line, h.sep); i >= 0 {
		key, val = line[:i], line[i+1:]
	}
	switch string(key) {
	case "#set_separator":
		h.setSep = appendUnescapeTSV(nil, val)
	case "#empty_field":
		h.empty = string(appendUnescapeTSV(nil, val))
		h.empty0 = firstByte(h.empty)
		h.nullFirst = h.empty != "(empty)" || h.unset != "-"
	case "#unset_field":
		h.unset = string(appendUnescapeTSV(nil, val))
		h.unset0 = firstByte(h.unset)
		h.nullFirst = h.empty != "(empty)" || h.unset != "-"
	case "#path":
		h.path = r.internBytes(appendUnescapeTSV(r.sbuf[:0], val))
		h.bound = false
	case "#fields":
		h.fields = r.splitHeader(val, h.fields[:0])
		h.types = h.types[:0]
		h.bound = false
		if h.bad {
			h.fields = nil
			return fmt.Errorf("%w: #fields after an unusable #separator", ErrBadHeader)
		}
	case "#types":
		h.types = r.splitHeader(val, h.types[:0])
		h.bound = false
	}
	return nil
}

// splitHeader splits a #fields or #types value on the separator.
func (r *Reader) splitHeader(val []byte, dst []string) []string {
	// Fresh strings: the slices may have been handed out with h.fields.
	dst = dst[:0:0]
	for {
		i := bytes.IndexByte(val, r.hdr.sep)
		if i < 0 {
			return append(dst, r.internBytes(appendUnescapeTSV(r.sbuf[:0], val)))
		}
		dst = append(dst, r.internBytes(appendUnescapeTSV(r.sbuf[:0], val[:i])))
		val = val[i+1:]
	}
}

// bind maps the current block's columns to event fields.
func (r *Reader) bind() {
	h := &r.hdr
	path := r.opts.Path
	if path == "" {
		path = h.path
	}
	if path == "" {
		path = r.defaultPath
	}
	r.tsvPath = path
	r.tsvSch = schemas[path]
	r.targets = r.targets[:0]
	r.colList = r.colList[:0]
	r.mapped = r.mapped[:0]
	r.tsCol = -1
	typed := len(h.types) == len(h.fields)
	for i, name := range h.fields {
		var t target
		if r.tsvSch != nil {
			if mk := r.tsvSch.cols[name]; mk != nil {
				t = mk(r)
			}
		}
		list := true
		if typed {
			ty := h.types[i]
			list = strings.HasPrefix(ty, "set[") || strings.HasPrefix(ty, "vector[") || strings.HasPrefix(ty, "table[")
		}
		if name == "ts" && r.tsCol < 0 && (!typed || h.types[i] == "time") {
			r.tsCol = i
		}
		r.targets = append(r.targets, t)
		r.colList = append(r.colList, list)
	}
	for i := range r.targets {
		if r.targets[i].op != opNone {
			r.mapped = append(r.mapped, mappedCol{t: &r.targets[i], col: i})
		}
	}
	h.bound = true
}

// parseTSV parses one TSV record.
func (r *Reader) parseTSV(line []byte, pos event.Position) (Record, error) {
	h := &r.hdr
	if !h.bound {
		r.bind()
	}
	rec := Record{Path: r.tsvPath, Pos: pos}
	want := len(h.fields)
	if want == 0 {
		return rec, &RecordError{Pos: pos, Err: ErrNoHeader}
	}
	sch := r.tsvSch
	if sch == nil {
		vals, got := splitTSV(r.vals[:0], line, h.sep, want)
		r.vals = vals
		if got != want {
			return rec, fieldCountError(pos, got, want)
		}
		if r.tsCol >= 0 {
			r.v = value{raw: vals[r.tsCol]}
			if _, err := r.time(&r.v); err != nil {
				return rec, fieldError(pos, "ts", err)
			}
		}
		return rec, nil
	}
	ev := r.startEvent(sch.kind)
	got, errCol, err := r.setTSV(line)
	if got != want {
		r.abortStrings()
		return rec, fieldCountError(pos, got, want)
	}
	if err != nil {
		r.abortStrings()
		return rec, fieldError(pos, h.fields[errCol], err)
	}
	if !r.hasTS {
		r.abortStrings()
		return rec, &RecordError{Pos: pos, Err: ErrMissingTS}
	}
	r.finishEvent()
	r.finishStrings()
	rec.Event = ev
	return rec, nil
}

// mappedCol is a column with a target.
type mappedCol struct {
	t   *target
	col int
}

func fieldCountError(pos event.Position, got, want int) *RecordError {
	return &RecordError{Pos: pos, Err: fmt.Errorf("%w: %d, want %d", ErrFieldCount, got, want)}
}

const (
	lo7  = 0x7f7f7f7f7f7f7f7f
	ones = 0x0101010101010101
)

// sepMask returns 0x80 in each byte of the little-endian word x that equals
// the byte repeated in rep, and 0 elsewhere (exact: no false positives).
func sepMask(x, rep uint64) uint64 {
	x ^= rep
	return ^(((x & lo7) + lo7) | x | lo7)
}

// setTSV finds the separators of line, eight bytes at a time, then sets
// the mapped columns: the common values are parsed in line, anything else
// (unset and empty markers other than Zeek's, escapes, errors) through set.
// It returns the number of fields, and the first field error with its
// column.
func (r *Reader) setTSV(line []byte) (n, errCol int, err error) {
	want := len(r.targets)
	sep := r.hdr.sep
	// offs[c] is the offset before field c, offs[c+1] the one after it.
	offs := append(r.offs[:0], -1)
	rep := uint64(sep) * ones
	i := 0
scan:
	for ; i+8 <= len(line); i += 8 {
		for m := sepMask(binary.LittleEndian.Uint64(line[i:]), rep); m != 0; m &= m - 1 {
			offs = append(offs, i+bits.TrailingZeros64(m)>>3)
			if len(offs) > want {
				break scan
			}
		}
	}
	if len(offs) <= want {
		for ; i < len(line); i++ {
			if line[i] == sep {
				offs = append(offs, i)
				if len(offs) > want {
					break
				}
			}
		}
	}
	r.offs = offs
	if len(offs) > want {
		// Too many fields: count them only to report it.
		last := offs[len(offs)-1] + 1
		return want + 1 + bytes.Count(line[last:], []byte{sep}), 0, nil
	}
	if len(offs) != want {
		return len(offs), 0, nil
	}
	offs = append(offs, len(line))
	r.offs = offs
	fast := !r.hdr.nullFirst
	plain := bytes.IndexByte(line, '\\') < 0
	for _, mc := range r.mapped {
		t, c := mc.t, mc.col
		raw := line[offs[c]+1 : offs[c+1]]
		if fast {
			// Zeek's markers, "-" unset and "(empty)" empty, leave the
			// zeroed field as it is.
			if len(raw) == 1 && raw[0] == '-' || len(raw) == 7 && string(raw) == "(empty)" {
				continue
			}
			switch t.op {
			case opTS:
				if tm, ok := parseEpoch(raw); ok {
					*t.t = tm
					r.hasTS = true
					continue
				}
			case opAddr:
				if a, ok := parseAddr(raw); ok {
					*t.a = a
					continue
				}
			case opPort:
				if n, ok := parseUint(raw); ok && n <= 65535 {
					*t.p = uint16(n)
					continue
				}
			case opCount:
				if n, ok := parseUint(raw); ok && n <= 1<<63-1 {
					*t.i64 = int64(n)
					continue
				}
			case opInterval:
				if d, ok := parseInterval(raw); ok {
					*t.d = d
					continue
				}
			case opIStr:
				if plain {
					if s, ok := r.lookupIntern(raw); ok {
						*t.s = s
						continue
					}
				}
			case opStr:
				if plain {
					a := len(r.arena)
					r.arena = append(r.arena, raw...)
					r.refs = append(r.refs, strRef{dst: t.s, a: a, b: len(r.arena)})
					continue
				}
			}
		}
		r.v = value{raw: raw, list: r.colList[c]}
		if err = r.set(t, &r.v); err != nil {
			return want, c, err
		}
	}
	return want, 0, nil
}

// splitTSV splits line on sep into dst. It stops after want fields and
// returns the total field count (counting the rest only when there are too
// many).
func splitTSV(dst [][]byte, line []byte, sep byte, want int) ([][]byte, int) {
	start, i := 0, 0
	rep := uint64(sep) * ones
	for ; i+8 <= len(line); i += 8 {
		for m := sepMask(binary.LittleEndian.Uint64(line[i:]), rep); m != 0; m &= m - 1 {
			j := i + bits.TrailingZeros64(m)>>3
			dst = append(dst, line[start:j])
			start = j + 1
			if len(dst) == want {
				return dst, want + 1 + bytes.Count(line[start:], []byte{sep})
			}
		}
	}
	for ; i < len(line); i++ {
		if line[i] == sep {
			dst = append(dst, line[start:i])
			start = i + 1
			if len(dst) == want {
				return dst, want + 1 + bytes.Count(line[start:], []byte{sep})
			}
		}
	}
	dst = append(dst, line[start:])
	return dst, len(dst)
}

func firstByte(s string) byte {
	if s == "" {
		return 0
	}
	return s[0]
}

func fieldError(pos event.Position, name string, err error) *RecordError {
	return &RecordError{Pos: pos, Err: fmt.Errorf("%s: %w", name, err)}
}

func quote(b []byte) string {
	s := string(b)
	if len(s) > maxQuoted {
		s = s[:maxQuoted] + "..."
	}
	return strconv.Quote(s)
}
