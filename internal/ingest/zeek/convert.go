package zeek

import (
	"bytes"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/valyala/fastjson"
)

// value is one field of a record, from either format.
type value struct {
	raw  []byte          // TSV: the field as written, escapes intact
	jv   *fastjson.Value // JSON: the value; nil for TSV
	list bool            // TSV: the column is a set or vector (split on the set separator)
}

type timeValue struct {
	t   time.Time
	set bool
}

// valueError reports a value that does not parse as its column's type.
type valueError struct {
	what string
	raw  string
}

func (e *valueError) Error() string {
	return "bad " + e.what + " " + strconv.Quote(e.raw)
}

func (e *valueError) Is(target error) bool { return target == ErrBadValue }

// maxQuoted bounds how much of a bad value an error message repeats.
const maxQuoted = 64

func (r *Reader) bad(what string, v *value) error {
	var b []byte
	if v.jv != nil {
		b = v.jv.MarshalTo(nil)
	} else {
		b = v.raw
	}
	s := string(b)
	if len(s) > maxQuoted {
		s = s[:maxQuoted] + "..."
	}
	return &valueError{what: what, raw: s}
}

// isNull reports whether v is unset or empty: TSV's unset and empty
// markers, or JSON null.
func (r *Reader) isNull(v *value) bool {
	if v.jv != nil {
		return v.jv.Type() == fastjson.TypeNull
	}
	return r.hdr.isNull(v.raw)
}

func (h *tsvHeader) isNull(raw []byte) bool {
	if len(raw) == 0 {
		return h.unset == "" || h.empty == ""
	}
	if raw[0] != h.unset0 && raw[0] != h.empty0 {
		return false
	}
	return string(raw) == h.unset || string(raw) == h.empty
}

// fast reports whether a TSV value may be parsed before checking for the
// unset and empty markers: true with Zeek's markers, which parse as no
// type.
func (r *Reader) fast(v *value) bool {
	return v.jv == nil && !r.hdr.nullFirst
}

// scalar returns the text of a scalar for numeric and address parsing:
// the raw TSV field, or a JSON number's literal, or a JSON string's bytes.
func (r *Reader) scalar(v *value) ([]byte, bool) {
	if v.jv == nil {
		return v.raw, true
	}
	switch v.jv.Type() {
	case fastjson.TypeNumber:
		r.nbuf = v.jv.MarshalTo(r.nbuf[:0])
		return r.nbuf, true
	case fastjson.TypeString:
		b, _ := v.jv.StringBytes()
		return b, true
	}
	return nil, false
}

// bytesVal returns the decoded bytes of a string value; valid until the
// next call.
func (r *Reader) bytesVal(v *value) ([]byte, error) {
	if v.jv == nil {
		if bytes.IndexByte(v.raw, '\\') < 0 {
			return v.raw, nil
		}
		r.sbuf = appendUnescapeTSV(r.sbuf[:0], v.raw)
		return r.sbuf, nil
	}
	switch v.jv.Type() {
	case fastjson.TypeString:
		b, _ := v.jv.StringBytes()
		if bytes.IndexByte(b, '\\') < 0 {
			return b, nil
		}
		r.sbuf = appendUnescapeJSON(r.sbuf[:0], b)
		return r.sbuf, nil
	case fastjson.TypeNumber, fastjson.TypeTrue, fastjson.TypeFalse:
		r.sbuf = v.jv.MarshalTo(r.sbuf[:0])
		return r.sbuf, nil
	}
	return nil, r.bad("string", v)
}

// str stores a string value into *dst through the record's string arena
// (one allocation per record for all of its strings).
func (r *Reader) str(v *value, dst *string) error {
	if r.isNull(v) {
		*dst = ""
		return nil
	}
	a := len(r.arena)
	if v.jv == nil {
		r.arena = appendUnescapeTSV(r.arena, v.raw)
	} else {
		b, err := r.bytesVal(v)
		if err != nil {
			return err
		}
		r.arena = append(r.arena, b...)
	}
	r.refs = append(r.refs, strRef{dst: dst, a: a, b: len(r.arena)})
	return nil
}

// istr stores a string from a small set (protocol names, states, types)
// through the intern map, falling back to the arena when the map is full.
func (r *Reader) istr(v *value, dst *string) error {
	if r.isNull(v) {
		*dst = ""
		return nil
	}
	b, err := r.bytesVal(v)
	if err != nil {
		return err
	}
	if s, ok := r.lookupIntern(b); ok {
		*dst = s
		return nil
	}
	a := len(r.arena)
	r.arena = append(r.arena, b...)
	r.refs = append(r.refs, strRef{dst: dst, a: a, b: len(r.arena)})
	return nil
}

func (r *Reader) time(v *value) (timeValue, error) {
	if r.fast(v) {
		if t, ok := parseTime(v.raw); ok {
			return timeValue{t: t, set: true}, nil
		}
	}
	if r.isNull(v) {
		return timeValue{}, nil
	}
	b, ok := r.scalar(v)
	if ok {
		var t time.Time
		if t, ok = parseTime(b); ok {
			return timeValue{t: t, set: true}, nil
		}
	}
	return timeValue{}, r.bad("time", v)
}

func (r *Reader) interval(v *value) (time.Duration, error) {
	if r.fast(v) {
		if d, ok := parseInterval(v.raw); ok {
			return d, nil
		}
	}
	if r.isNull(v) {
		return 0, nil
	}
	if b, ok := r.scalar(v); ok {
		if d, ok := parseInterval(b); ok {
			return d, nil
		}
	}
	return 0, r.bad("interval", v)
}

func (r *Reader) addr(v *value) (netip.Addr, error) {
	if r.fast(v) {
		if a, ok := parseAddr(v.raw); ok {
			return a, nil
		}
	}
	if r.isNull(v) {
		return netip.Addr{}, nil
	}
	if b, ok := r.scalar(v); ok {
		if a, ok := parseAddr(b); ok {
			return a, nil
		}
	}
	return netip.Addr{}, r.bad("address", v)
}

func (r *Reader) port(v *value) (uint16, error) {
	if r.fast(v) {
		if n, ok := parseUint(v.raw); ok && n <= 65535 {
			return uint16(n), nil
		}
	}
	if r.isNull(v) {
		return 0, nil
	}
	if b, ok := r.scalar(v); ok {
		if n, ok := parseUint(b); ok && n <= 65535 {
			return uint16(n), nil
		}
	}
	return 0, r.bad("port", v)
}

func (r *Reader) count(v *value) (uint64, error) {
	if r.fast(v) {
		if n, ok := parseUint(v.raw); ok {
			return n, nil
		}
	}
	if r.isNull(v) {
		return 0, nil
	}
	if b, ok := r.scalar(v); ok {
		if n, ok := parseUint(b); ok {
			return n, nil
		}
	}
	return 0, r.bad("count", v)
}

// count63 reads a count into an int64 field.
func (r *Reader) count63(v *value) (int64, error) {
	n, err := r.count(v)
	if err == nil && n > 1<<63-1 {
		return 0, r.bad("count", v)
	}
	return int64(n), err
}

func (r *Reader) intVal(v *value) (int64, error) {
	if r.fast(v) {
		if n, ok := parseInt(v.raw); ok {
			return n, nil
		}
	}
	if r.isNull(v) {
		return 0, nil
	}
	if b, ok := r.scalar(v); ok {
		if n, ok := parseInt(b); ok {
			return n, nil
		}
	}
	return 0, r.bad("int", v)
}

// boolVal returns the value and whether it was set.
func (r *Reader) boolVal(v *value) (val, set bool, err error) {
	if r.isNull(v) {
		return false, false, nil
	}
	if v.jv != nil {
		switch v.jv.Type() {
		case fastjson.TypeTrue:
			return true, true, nil
		case fastjson.TypeFalse:
			return false, true, nil
		}
		return false, false, r.bad("bool", v)
	}
	if len(v.raw) == 1 {
		switch v.raw[0] {
		case 'T':
			return true, true, nil
		case 'F':
			return false, true, nil
		}
	}
	return false, false, r.bad("bool", v)
}

func (r *Reader) mac(v *value) (net.HardwareAddr, error) {
	if r.fast(v) {
		if hw, ok := parseMACFast(v.raw); ok {
			return hw, nil
		}
	}
	if r.isNull(v) {
		return nil, nil
	}
	if b, ok := r.scalar(v); ok {
		if hw, ok := parseMAC(b); ok {
			return hw, nil
		}
	}
	return nil, r.bad("MAC address", v)
}

// elems splits a set or vector into its elements (in r.ebuf, valid until
// the next call). Unset and empty containers have no elements; a scalar
// where a container is expected is a one-element container.
func (r *Reader) elems(v *value) []value {
	r.ebuf = r.ebuf[:0]
	if r.isNull(v) {
		return nil
	}
	if v.jv != nil {
		if v.jv.Type() != fastjson.TypeArray {
			return append(r.ebuf, *v)
		}
		a, _ := v.jv.Array()
		for _, e := range a {
			r.ebuf = append(r.ebuf, value{jv: e})
		}
		return r.ebuf
	}
	s := v.raw
	sep := r.hdr.setSep
	if !v.list || len(sep) == 0 {
		return append(r.ebuf, value{raw: s})
	}
	for {
		i := bytes.Index(s, sep)
		if i < 0 {
			r.ebuf = append(r.ebuf, value{raw: s})
			return r.ebuf
		}
		r.ebuf = append(r.ebuf, value{raw: s[:i]})
		s = s[i+len(sep):]
	}
}

// strs reads a set or vector of strings. One holding only the empty string
// is empty: Zeek's TSV writes both as "(empty)" (and JSON as [""] and []),
// so only this reading gives the same events from both formats.
func (r *Reader) strs(v *value, intern bool) ([]string, error) {
	es := r.elems(v)
	if len(es) == 0 {
		return nil, nil
	}
	if len(es) == 1 && es[0].jv != nil && es[0].jv.Type() == fastjson.TypeString {
		if b, _ := es[0].jv.StringBytes(); len(b) == 0 {
			return nil, nil
		}
	}
	out := make([]string, len(es))
	for i := range es {
		var err error
		if intern {
			err = r.istr(&es[i], &out[i])
		} else {
			err = r.str(&es[i], &out[i])
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (r *Reader) intervals(v *value) ([]time.Duration, error) {
	es := r.elems(v)
	if len(es) == 0 {
		return nil, nil
	}
	out := make([]time.Duration, len(es))
	for i := range es {
		var err error
		if out[i], err = r.interval(&es[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (r *Reader) addrs(v *value) ([]netip.Addr, error) {
	es := r.elems(v)
	if len(es) == 0 {
		return nil, nil
	}
	out := make([]netip.Addr, len(es))
	for i := range es {
		var err error
		if out[i], err = r.addr(&es[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// strRef is a string field waiting for the record's arena to become a
// string.
type strRef struct {
	dst  *string
	a, b int
}

const (
	maxInterned  = 4096
	maxInternLen = 64
	// maxArenaKeep is the arena capacity kept between records; a larger
	// one (after a huge record) is dropped.
	maxArenaKeep = 1 << 20
)

// finishStrings turns the arena into one string and points every pending
// field at its part.
func (r *Reader) finishStrings() {
	if len(r.refs) > 0 {
		s := string(r.arena)
		for _, ref := range r.refs {
			*ref.dst = s[ref.a:ref.b]
		}
	}
	r.abortStrings()
}

func (r *Reader) abortStrings() {
	clear(r.refs)
	r.refs = r.refs[:0]
	r.arena = r.arena[:0]
	if cap(r.arena) > maxArenaKeep {
		r.arena = nil
	}
}

// lookupIntern returns the interned string equal to b, adding it when the
// intern map has room. A small direct-mapped cache in front of the map
// saves hashing the common values.
func (r *Reader) lookupIntern(b []byte) (string, bool) {
	if len(b) == 0 || len(b) > maxInternLen {
		return "", false
	}
	h := (uint(len(b))*131 + uint(b[0])*31 + uint(b[len(b)/2])*7 + uint(b[len(b)-1])) % uint(len(r.icache))
	if s := r.icache[h]; s == string(b) {
		return s, true
	}
	s, ok := r.interned[string(b)]
	if !ok {
		if len(r.interned) >= maxInterned {
			return "", false
		}
		s = string(b)
		r.interned[s] = s
	}
	r.icache[h] = s
	return s, true
}

// internBytes returns b as a string, shared with earlier equal strings while
// the intern map has room.
func (r *Reader) internBytes(b []byte) string {
	if s, ok := r.lookupIntern(b); ok {
		return s
	}
	return string(b)
}
