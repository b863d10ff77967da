package zeek

import (
	"bytes"
	"errors"
	"io"
)

// Errors Cut returns for header blocks zeek-cut refuses (it stops there too).
var (
	ErrCutMissingTypes  = errors.New("bad log header (missing #types line)")
	ErrCutMissingFields = errors.New("bad log header (missing #fields line)")
)

// Cut copies the named columns of every record of the Zeek TSV log src to
// dst, separated by the log's separator, one record per line: zeek-cut (or
// bro-cut) without options. With no fields it prints every column. Header
// lines are not printed.
//
// The output is byte-identical to bro-cut's (zeek-aux), including its
// corner cases: a column missing from #fields prints as an empty string; a
// record with fewer fields than the last selected column is skipped; a
// record before any #fields prints as an empty line; a line is cut at a NUL
// byte; the last byte of a final line without '\n' is dropped. Like
// bro-cut it stops with an error when #fields is not followed by #types, or
// #types not preceded by #fields.
func Cut(dst io.Writer, src io.Reader, fields []string) error {
	c := cutter{ifs: '\t', fields: fields}
	return c.run(dst, src)
}

type cutter struct {
	fields   []string
	ifs      byte
	out      []int // column index per output column, -1 when missing
	idxRange int   // fields a record must have: max(out)+1
	tmp      [][]byte
	prevFlds bool // the previous line was #fields
}

const cutBufSize = 1 << 20

// nextNUL returns the index of the first NUL in buf[from:to], or -1.
func nextNUL(buf []byte, from, to int) int {
	if k := bytes.IndexByte(buf[from:to], 0); k >= 0 {
		return from + k
	}
	return -1
}

func (c *cutter) run(dst io.Writer, src io.Reader) error {
	buf := make([]byte, cutBufSize)
	out := make([]byte, 0, 128<<10)
	r, w := 0, 0
	eof := false
	nul := -1 // index of the first NUL in buf[r:w], or -1
	flush := func() error {
		if len(out) == 0 {
			return nil
		}
		_, err := dst.Write(out)
		out = out[:0]
		return err
	}
	for {
		// Process every complete line in buf[r:w].
		for r < w {
			var line []byte
			next := w
			if i := bytes.IndexByte(buf[r:w], '\n'); i >= 0 {
				line, next = buf[r:r+i], r+i+1 // getline's line minus the '\n'
			} else if eof {
				line = buf[r : w-1] // bro-cut drops the last byte, whatever it is
			} else {
				break
			}
			if nul >= 0 && nul < next {
				if nul < r+len(line) {
					line = line[:nul-r] // C strings end at NUL
				}
				nul = nextNUL(buf, next, w)
			}
			r = next
			var err error
			if out, err = c.line(out, line); err != nil {
				if ferr := flush(); ferr != nil {
					return ferr
				}
				return err
			}
			if len(out) >= 64<<10 {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		if eof {
			return flush()
		}
		// Make room and read more.
		if r > 0 {
			n := copy(buf, buf[r:w])
			if nul >= 0 {
				nul -= r
			}
			r, w = 0, n
		}
		if w == len(buf) {
			nb := make([]byte, 2*len(buf))
			copy(nb, buf[:w])
			buf = nb
		}
		n, err := src.Read(buf[w:])
		if n > 0 && nul < 0 {
			nul = nextNUL(buf, w, w+n)
		}
		w += n
		if err == io.EOF {
			eof = true
		} else if err != nil {
			if ferr := flush(); ferr != nil {
				return ferr
			}
			return err
		}
	}
}

// line handles one line as bro-cut's main loop does.
func (c *cutter) line(out, line []byte) ([]byte, error) {
	if c.prevFlds && !bytes.HasPrefix(line, []byte("#types")) {
		return out, ErrCutMissingTypes
	}
	if len(line) == 0 || line[0] != '#' {
		return c.record(out, line), nil
	}
	switch {
	case bytes.HasPrefix(line, []byte("#separator ")):
		c.ifs = parseSep(line[len("#separator "):])
	case bytes.HasPrefix(line, []byte("#fields")):
		c.prevFlds = true
		var rest []byte
		if len(line) > len("#fields") {
			rest = line[len("#fields")+1:]
		}
		c.findOutput(rest)
	case bytes.HasPrefix(line, []byte("#types")):
		if !c.prevFlds {
			return out, ErrCutMissingFields
		}
		c.prevFlds = false
	}
	return out, nil
}

// parseSep reads the separator as bro-cut does: "\x" and strtol(..., 16)
// truncated to a byte, else the first character.
func parseSep(s []byte) byte {
	if len(s) >= 2 && s[0] == '\\' && s[1] == 'x' {
		return strtolHex(s[2:])
	}
	if len(s) == 0 {
		return 0
	}
	return s[0]
}

// strtolHex is C's (char)strtol(s, NULL, 16).
func strtolHex(s []byte) byte {
	i := 0
	for i < len(s) && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r')) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	if i+2 < len(s) && s[i] == '0' && (s[i+1]|0x20) == 'x' && isHex(s[i+2]) {
		i += 2
	}
	const max = 1<<63 - 1
	var v uint64
	overflow := false
	for ; i < len(s) && isHex(s[i]); i++ {
		if v > (max-uint64(unhex(s[i])))/16 {
			overflow = true
			continue
		}
		v = v*16 + uint64(unhex(s[i]))
	}
	switch {
	case overflow && neg:
		return 0 // LONG_MIN
	case overflow:
		return 0xff // LONG_MAX
	case neg:
		return byte(-int64(v))
	}
	return byte(v)
}

// findOutput maps the requested columns to indexes in a #fields line.
func (c *cutter) findOutput(line []byte) {
	c.tmp = c.tmp[:0]
	s := line
	for {
		i := bytes.IndexByte(s, c.ifs)
		if i < 0 || c.ifs == 0 {
			c.tmp = append(c.tmp, s)
			break
		}
		c.tmp = append(c.tmp, s[:i])
		s = s[i+1:]
	}
	c.out = c.out[:0]
	if len(c.fields) == 0 {
		for i := range c.tmp {
			c.out = append(c.out, i)
		}
		c.idxRange = len(c.tmp)
		return
	}
	maxIdx := 0
	for _, name := range c.fields {
		idx := -1
		for i, f := range c.tmp {
			if string(f) == name {
				idx = i
				break
			}
		}
		c.out = append(c.out, idx)
		maxIdx = max(maxIdx, idx)
	}
	c.idxRange = maxIdx + 1
}

// record prints the selected fields of a data line.
func (c *cutter) record(out, line []byte) []byte {
	tmp := c.tmp[:0]
	s := line
	more := true // strsep's pointer is not yet NULL
	for i := 0; i < c.idxRange; i++ {
		if !more {
			return out // bro-cut: "skipping log line (not enough fields)"
		}
		j := -1
		if c.ifs != 0 {
			j = bytes.IndexByte(s, c.ifs)
		}
		if j < 0 {
			tmp = append(tmp, s)
			more = false
			continue
		}
		tmp = append(tmp, s[:j])
		s = s[j+1:]
	}
	c.tmp = tmp
	for k, idx := range c.out {
		if k > 0 {
			out = append(out, c.ifs)
		}
		if idx >= 0 {
			out = append(out, tmp[idx]...)
		}
	}
	return append(out, '\n')
}
