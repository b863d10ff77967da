package zeek

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/vigil-iomt/vigil/internal/event"
)

// Format is a Zeek log format.
type Format int

// The formats a Writer writes.
const (
	// TSV is Zeek's default ASCII format: header block, tab-separated records.
	TSV Format = iota
	// JSON is one JSON object per line, as Zeek writes with LogAscii::use_json
	// (epoch timestamps), plus a "_path" key.
	JSON
)

// Writer writes events of one kind as a Zeek log. It writes the standard
// Zeek 6 columns of the log type (plus orig_l2_addr, resp_l2_addr and vlan
// for conn, client_software and server_software for dhcp, subject and
// issuer and ja3/ja3s for ssl, as the policy scripts and packages add them);
// columns the event does not carry are unset ("-", omitted in JSON).
// Times and intervals are written with microsecond precision, as Zeek
// does. The output is buffered: call Close. A Writer is not safe for
// concurrent use.
type Writer struct {
	dst    io.Writer
	kind   event.Kind
	format Format
	cols   []wcol
	path   string
	e      enc

	started bool
	closed  bool
	last    time.Time
	err     error
}

// ErrWriterClosed is returned by Write after Close.
var ErrWriterClosed = errors.New("zeek: write after close")

const writerFlushSize = 64 << 10

// NewWriter returns a Writer of kind events to w in format f.
func NewWriter(w io.Writer, kind event.Kind, f Format) *Writer {
	wr := &Writer{dst: w, kind: kind, format: f, cols: writerCols[kind], path: kind.String()}
	wr.e.json = f == JSON
	if wr.cols == nil {
		wr.err = fmt.Errorf("zeek: no Zeek log for event kind %v", kind)
	} else if f != TSV && f != JSON {
		wr.err = fmt.Errorf("zeek: unknown format %d", f)
	}
	return wr
}

// Write writes one event; ev.Kind() must be the Writer's kind and ev must
// have a timestamp. For TSV the header block is written before the first
// record.
func (w *Writer) Write(ev event.Event) error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return ErrWriterClosed
	}
	if ev == nil || ev.Kind() != w.kind {
		return fmt.Errorf("zeek: %s writer: wrong event kind %v", w.path, kindOf(ev))
	}
	ts := ev.Time()
	if ts.IsZero() {
		return fmt.Errorf("zeek: %s writer: event has no timestamp", w.path)
	}
	if !w.started {
		w.started = true
		if w.format == TSV {
			w.header(ts)
		}
	}
	e := &w.e
	mark := len(e.b)
	e.n, e.err = 0, nil
	if e.json {
		e.b = append(e.b, `{"_path":`...)
		e.b = appendJSONString(e.b, w.path)
		e.n = 1
	}
	for i := range w.cols {
		e.name = w.cols[i].name
		w.cols[i].put(e, ev)
	}
	if e.json {
		e.b = append(e.b, '}')
	}
	e.b = append(e.b, '\n')
	if e.err != nil {
		e.b = e.b[:mark]
		return fmt.Errorf("zeek: %s writer: %w", w.path, e.err)
	}
	w.last = ts
	if len(e.b) >= writerFlushSize {
		return w.flush()
	}
	return nil
}

func kindOf(ev event.Event) string {
	if ev == nil {
		return "nil"
	}
	return ev.Kind().String()
}

// Close writes the TSV #close line (with the last event's time) and flushes.
// It does not close the underlying writer. A Writer that wrote no event
// writes nothing.
func (w *Writer) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	if w.err != nil {
		return w.err
	}
	if w.started && w.format == TSV {
		w.e.b = append(w.e.b, "#close\t"...)
		w.e.b = w.last.UTC().AppendFormat(w.e.b, zeekHeaderTime)
		w.e.b = append(w.e.b, '\n')
	}
	return w.flush()
}

func (w *Writer) flush() error {
	if len(w.e.b) == 0 {
		return nil
	}
	_, err := w.dst.Write(w.e.b)
	w.e.b = w.e.b[:0]
	if err != nil {
		w.err = err
	}
	return err
}

// zeekHeaderTime is the layout of #open and #close.
const zeekHeaderTime = "2006-01-02-15-04-05"

func (w *Writer) header(first time.Time) {
	b := w.e.b
	b = append(b, "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\t"...)
	b = append(b, w.path...)
	b = append(b, "\n#open\t"...)
	b = first.UTC().AppendFormat(b, zeekHeaderTime)
	b = append(b, "\n#fields"...)
	for _, c := range w.cols {
		b = append(b, '\t')
		b = append(b, c.name...)
	}
	b = append(b, "\n#types"...)
	for _, c := range w.cols {
		b = append(b, '\t')
		b = append(b, c.typ...)
	}
	w.e.b = append(b, '\n')
}

// enc encodes the fields of one record.
type enc struct {
	b    []byte
	json bool
	n    int    // fields written so far in the record
	name string // the column being written
	err  error
}

// key starts a field: the separator, and for JSON the key.
func (e *enc) key() {
	if e.json {
		if e.n > 0 {
			e.b = append(e.b, ',')
		}
		e.b = append(e.b, '"')
		e.b = append(e.b, e.name...)
		e.b = append(e.b, '"', ':')
	} else if e.n > 0 {
		e.b = append(e.b, '\t')
	}
	e.n++
}

// unset writes an unset field: "-" in TSV, nothing in JSON.
func (e *enc) unset() {
	if !e.json {
		e.key()
		e.b = append(e.b, '-')
	}
}

// emptyList writes an empty set or vector: "(empty)" in TSV, [] in JSON.
func (e *enc) emptyList() {
	e.key()
	if e.json {
		e.b = append(e.b, '[', ']')
	} else {
		e.b = append(e.b, "(empty)"...)
	}
}

func (e *enc) time(t time.Time) {
	if t.IsZero() {
		e.unset()
		return
	}
	e.key()
	e.b = appendTime(e.b, t)
}

// appendTime writes t as epoch seconds with six decimals, rounded to the
// microsecond like Zeek's %.6f.
func appendTime(b []byte, t time.Time) []byte {
	t = t.Round(time.Microsecond)
	sec, us := t.Unix(), int64(t.Nanosecond()/1000)
	if sec < 0 && us > 0 {
		b = append(b, '-')
		sec, us = -sec-1, 1e6-us
	}
	b = strconv.AppendInt(b, sec, 10)
	b = append(b, '.')
	return appendPadded(b, us)
}

// appendDuration writes d in seconds with six decimals.
func appendDuration(b []byte, d time.Duration) []byte {
	us := d.Round(time.Microsecond).Microseconds()
	if us < 0 {
		b = append(b, '-')
		us = -us
	}
	b = strconv.AppendInt(b, us/1e6, 10)
	b = append(b, '.')
	return appendPadded(b, us%1e6)
}

func appendPadded(b []byte, frac int64) []byte {
	var tmp [6]byte
	for i := 5; i >= 0; i-- {
		tmp[i] = byte('0' + frac%10)
		frac /= 10
	}
	return append(b, tmp[:]...)
}

// interval writes d; zero is unset when zeroUnset.
func (e *enc) interval(d time.Duration, zeroUnset bool) {
	if d == 0 && zeroUnset {
		e.unset()
		return
	}
	e.key()
	e.b = appendDuration(e.b, d)
}

func (e *enc) count(n int64, zeroUnset bool) {
	if n == 0 && zeroUnset {
		e.unset()
		return
	}
	if n < 0 && e.err == nil {
		e.err = fmt.Errorf("%s: negative count %d", e.name, n)
	}
	e.key()
	e.b = strconv.AppendInt(e.b, n, 10)
}

func (e *enc) port(p uint16, zeroUnset bool) {
	if p == 0 && zeroUnset {
		e.unset()
		return
	}
	e.key()
	e.b = strconv.AppendUint(e.b, uint64(p), 10)
}

func (e *enc) addr(a netip.Addr) {
	if !a.IsValid() {
		e.unset()
		return
	}
	e.key()
	if e.json {
		e.b = append(e.b, '"')
	}
	e.b = a.Unmap().AppendTo(e.b)
	if e.json {
		e.b = append(e.b, '"')
	}
}

func (e *enc) mac(hw net.HardwareAddr) {
	if len(hw) == 0 {
		e.unset()
		return
	}
	e.str(hw.String())
}

func (e *enc) boolean(v bool) {
	e.key()
	switch {
	case e.json && v:
		e.b = append(e.b, "true"...)
	case e.json:
		e.b = append(e.b, "false"...)
	case v:
		e.b = append(e.b, 'T')
	default:
		e.b = append(e.b, 'F')
	}
}

// str writes a string; the empty string is unset.
func (e *enc) str(s string) {
	if s == "" {
		e.unset()
		return
	}
	e.key()
	if e.json {
		e.b = appendJSONString(e.b, s)
	} else {
		e.b = appendTSVString(e.b, s, false)
	}
}

// strs writes a set or vector of strings; empty is "(empty)" when
// emptyIsEmpty, unset otherwise.
func (e *enc) strs(ss []string, emptyIsEmpty bool) {
	if len(ss) == 0 {
		if emptyIsEmpty {
			e.emptyList()
		} else {
			e.unset()
		}
		return
	}
	e.key()
	if e.json {
		e.b = append(e.b, '[')
		for i, s := range ss {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			e.b = appendJSONString(e.b, s)
		}
		e.b = append(e.b, ']')
		return
	}
	for i, s := range ss {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.b = appendTSVString(e.b, s, true)
	}
}

func (e *enc) intervals(ds []time.Duration) {
	if len(ds) == 0 {
		e.unset()
		return
	}
	e.key()
	if e.json {
		e.b = append(e.b, '[')
	}
	for i, d := range ds {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.b = appendDuration(e.b, d)
	}
	if e.json {
		e.b = append(e.b, ']')
	}
}

func (e *enc) addrs(as []netip.Addr) {
	if len(as) == 0 {
		e.unset()
		return
	}
	e.key()
	if e.json {
		e.b = append(e.b, '[')
	}
	for i, a := range as {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		if e.json {
			e.b = append(e.b, '"')
		}
		if a.IsValid() {
			e.b = a.Unmap().AppendTo(e.b)
		} else if !e.json {
			e.b = append(e.b, '-')
		}
		if e.json {
			e.b = append(e.b, '"')
		}
	}
	if e.json {
		e.b = append(e.b, ']')
	}
}

const hexDigits = "0123456789abcdef"

func appendHexEscape(b []byte, c byte) []byte {
	return append(b, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
}

// appendTSVString escapes s as Zeek's ASCII writer does: backslash as \\,
// control characters, DEL and bytes that are not UTF-8 as \xNN, the set
// separator inside sets, and the first byte of a value that would read as
// the unset or empty marker.
func appendTSVString(b []byte, s string, inSet bool) []byte {
	if s == "-" || s == "(empty)" {
		b = appendHexEscape(b, s[0])
		s = s[1:]
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\':
			b = append(b, '\\', '\\')
		case c < 0x20 || c == 0x7f || (inSet && c == ','):
			b = appendHexEscape(b, c)
		case c < utf8.RuneSelf:
			b = append(b, c)
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = appendHexEscape(b, c)
			} else {
				b = append(b, s[i:i+size]...)
			}
			i += size
			continue
		}
		i++
	}
	return b
}

// appendJSONString quotes s as Zeek's JSON writer does: JSON escapes for
// quote, backslash, \n, \r and \t; "\\xNN" for other control characters
// and for bytes that are not UTF-8. A backslash that the reader would take
// for the start of such an escape is itself written as "\\x5c".
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"':
			b = append(b, '\\', '"')
		case c == '\\':
			if len(s) >= i+4 && s[i+1] == 'x' && isHex(s[i+2]) && isHex(s[i+3]) {
				b = append(b, `\\x5c`...)
			} else {
				b = append(b, '\\', '\\')
			}
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c < 0x20 || c == 0x7f:
			b = append(b, '\\', '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
		case c < utf8.RuneSelf:
			b = append(b, c)
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, '\\', '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
			} else {
				b = append(b, s[i:i+size]...)
			}
			i += size
			continue
		}
		i++
	}
	return append(b, '"')
}

// wcol is one column a Writer writes.
type wcol struct {
	name, typ string
	put       func(e *enc, ev event.Event)
}

// col builds a wcol whose put receives the concrete event type.
func col[T any](name, typ string, put func(e *enc, ev *T)) wcol {
	return wcol{name: name, typ: typ, put: func(e *enc, ev event.Event) {
		if t, ok := any(ev).(*T); ok {
			put(e, t)
		}
	}}
}

// unsetCol is a standard column the event does not carry.
func unsetCol(name, typ string) wcol {
	return wcol{name: name, typ: typ, put: func(e *enc, _ event.Event) { e.unset() }}
}

var writerCols = map[event.Kind][]wcol{
	event.KindConn: {
		col("ts", "time", func(e *enc, c *event.Conn) { e.time(c.TS) }),
		col("uid", "string", func(e *enc, c *event.Conn) { e.str(c.UID) }),
		col("id.orig_h", "addr", func(e *enc, c *event.Conn) { e.addr(c.OrigH) }),
		col("id.orig_p", "port", func(e *enc, c *event.Conn) { e.port(c.OrigP, false) }),
		col("id.resp_h", "addr", func(e *enc, c *event.Conn) { e.addr(c.RespH) }),
		col("id.resp_p", "port", func(e *enc, c *event.Conn) { e.port(c.RespP, false) }),
		col("proto", "enum", func(e *enc, c *event.Conn) { e.str(c.Proto) }),
		col("service", "string", func(e *enc, c *event.Conn) { e.str(c.Service) }),
		col("duration", "interval", func(e *enc, c *event.Conn) { e.interval(c.Duration, true) }),
		col("orig_bytes", "count", func(e *enc, c *event.Conn) { e.count(c.OrigBytes, false) }),
		col("resp_bytes", "count", func(e *enc, c *event.Conn) { e.count(c.RespBytes, false) }),
		col("conn_state", "string", func(e *enc, c *event.Conn) { e.str(c.ConnState) }),
		unsetCol("local_orig", "bool"),
		unsetCol("local_resp", "bool"),
		col("missed_bytes", "count", func(e *enc, c *event.Conn) { e.count(0, false) }),
		unsetCol("history", "string"),
		col("orig_pkts", "count", func(e *enc, c *event.Conn) { e.count(c.OrigPkts, false) }),
		unsetCol("orig_ip_bytes", "count"),
		col("resp_pkts", "count", func(e *enc, c *event.Conn) { e.count(c.RespPkts, false) }),
		unsetCol("resp_ip_bytes", "count"),
		unsetCol("tunnel_parents", "set[string]"),
		col("orig_l2_addr", "string", func(e *enc, c *event.Conn) { e.mac(c.OrigL2) }),
		col("resp_l2_addr", "string", func(e *enc, c *event.Conn) { e.mac(c.RespL2) }),
		col("vlan", "int", func(e *enc, c *event.Conn) { e.count(int64(c.VLAN), true) }),
	},
	event.KindDHCP: {
		col("ts", "time", func(e *enc, d *event.DHCP) { e.time(d.TS) }),
		unsetCol("uids", "set[string]"),
		col("client_addr", "addr", func(e *enc, d *event.DHCP) { e.addr(d.ClientAddr) }),
		col("server_addr", "addr", func(e *enc, d *event.DHCP) { e.addr(d.ServerAddr) }),
		col("mac", "string", func(e *enc, d *event.DHCP) { e.mac(d.MAC) }),
		col("host_name", "string", func(e *enc, d *event.DHCP) { e.str(d.HostName) }),
		col("client_fqdn", "string", func(e *enc, d *event.DHCP) { e.str(d.ClientFQDN) }),
		col("domain", "string", func(e *enc, d *event.DHCP) { e.str(d.Domain) }),
		col("requested_addr", "addr", func(e *enc, d *event.DHCP) { e.addr(d.RequestedAddr) }),
		col("assigned_addr", "addr", func(e *enc, d *event.DHCP) { e.addr(d.AssignedAddr) }),
		col("lease_time", "interval", func(e *enc, d *event.DHCP) { e.interval(d.LeaseTime, true) }),
		unsetCol("client_message", "string"),
		unsetCol("server_message", "string"),
		col("msg_types", "vector[string]", func(e *enc, d *event.DHCP) { e.strs(d.MsgTypes, true) }),
		unsetCol("duration", "interval"),
		col("client_software", "string", func(e *enc, d *event.DHCP) { e.str(d.ClientSoftware) }),
		col("server_software", "string", func(e *enc, d *event.DHCP) { e.str(d.ServerSoftware) }),
	},
	event.KindDNS: {
		col("ts", "time", func(e *enc, d *event.DNS) { e.time(d.TS) }),
		col("uid", "string", func(e *enc, d *event.DNS) { e.str(d.UID) }),
		col("id.orig_h", "addr", func(e *enc, d *event.DNS) { e.addr(d.OrigH) }),
		unsetCol("id.orig_p", "port"),
		col("id.resp_h", "addr", func(e *enc, d *event.DNS) { e.addr(d.RespH) }),
		col("id.resp_p", "port", func(e *enc, d *event.DNS) { e.port(d.RespP, false) }),
		col("proto", "enum", func(e *enc, d *event.DNS) { e.str(d.Proto) }),
		unsetCol("trans_id", "count"),
		unsetCol("rtt", "interval"),
		col("query", "string", func(e *enc, d *event.DNS) { e.str(d.Query) }),
		unsetCol("qclass", "count"),
		unsetCol("qclass_name", "string"),
		unsetCol("qtype", "count"),
		col("qtype_name", "string", func(e *enc, d *event.DNS) { e.str(d.QType) }),
		unsetCol("rcode", "count"),
		col("rcode_name", "string", func(e *enc, d *event.DNS) { e.str(d.RCode) }),
		unsetCol("AA", "bool"),
		unsetCol("TC", "bool"),
		unsetCol("RD", "bool"),
		unsetCol("RA", "bool"),
		unsetCol("Z", "count"),
		col("answers", "vector[string]", func(e *enc, d *event.DNS) { e.strs(d.Answers, false) }),
		col("TTLs", "vector[interval]", func(e *enc, d *event.DNS) { e.intervals(d.TTLs) }),
		unsetCol("rejected", "bool"),
	},
	event.KindSSL: {
		col("ts", "time", func(e *enc, s *event.SSL) { e.time(s.TS) }),
		col("uid", "string", func(e *enc, s *event.SSL) { e.str(s.UID) }),
		col("id.orig_h", "addr", func(e *enc, s *event.SSL) { e.addr(s.OrigH) }),
		col("id.orig_p", "port", func(e *enc, s *event.SSL) { e.port(s.OrigP, false) }),
		col("id.resp_h", "addr", func(e *enc, s *event.SSL) { e.addr(s.RespH) }),
		col("id.resp_p", "port", func(e *enc, s *event.SSL) { e.port(s.RespP, false) }),
		col("version", "string", func(e *enc, s *event.SSL) { e.str(s.Version) }),
		col("cipher", "string", func(e *enc, s *event.SSL) { e.str(s.Cipher) }),
		col("curve", "string", func(e *enc, s *event.SSL) { e.str(s.Curve) }),
		col("server_name", "string", func(e *enc, s *event.SSL) { e.str(s.ServerName) }),
		unsetCol("resumed", "bool"),
		unsetCol("last_alert", "string"),
		unsetCol("next_protocol", "string"),
		col("established", "bool", func(e *enc, s *event.SSL) { e.boolean(s.Established) }),
		unsetCol("ssl_history", "string"),
		col("cert_chain_fps", "vector[string]", func(e *enc, s *event.SSL) { e.strs(s.CertChain, true) }),
		unsetCol("client_cert_chain_fps", "vector[string]"),
		col("subject", "string", func(e *enc, s *event.SSL) { e.str(s.Subject) }),
		col("issuer", "string", func(e *enc, s *event.SSL) { e.str(s.Issuer) }),
		unsetCol("sni_matches_cert", "bool"),
		unsetCol("validation_status", "string"),
		col("ja3", "string", func(e *enc, s *event.SSL) { e.str(s.JA3) }),
		col("ja3s", "string", func(e *enc, s *event.SSL) { e.str(s.JA3S) }),
	},
	event.KindX509: {
		col("ts", "time", func(e *enc, x *event.X509) { e.time(x.TS) }),
		col("fingerprint", "string", func(e *enc, x *event.X509) { e.str(x.ID) }),
		col("certificate.version", "count", func(e *enc, x *event.X509) { e.count(int64(x.Version), true) }),
		col("certificate.serial", "string", func(e *enc, x *event.X509) { e.str(x.Serial) }),
		col("certificate.subject", "string", func(e *enc, x *event.X509) { e.str(x.Subject) }),
		col("certificate.issuer", "string", func(e *enc, x *event.X509) { e.str(x.Issuer) }),
		col("certificate.not_valid_before", "time", func(e *enc, x *event.X509) { e.time(x.NotBefore) }),
		col("certificate.not_valid_after", "time", func(e *enc, x *event.X509) { e.time(x.NotAfter) }),
		col("certificate.key_alg", "string", func(e *enc, x *event.X509) { e.str(x.KeyAlg) }),
		col("certificate.sig_alg", "string", func(e *enc, x *event.X509) { e.str(x.SigAlg) }),
		col("certificate.key_type", "string", func(e *enc, x *event.X509) { e.str(x.KeyType) }),
		col("certificate.key_length", "count", func(e *enc, x *event.X509) { e.count(int64(x.KeyLength), true) }),
		col("certificate.exponent", "string", func(e *enc, x *event.X509) { e.str(x.Exponent) }),
		col("certificate.curve", "string", func(e *enc, x *event.X509) { e.str(x.Curve) }),
		col("san.dns", "vector[string]", func(e *enc, x *event.X509) { e.strs(x.SANDNS, false) }),
		unsetCol("san.uri", "vector[string]"),
		unsetCol("san.email", "vector[string]"),
		col("san.ip", "vector[addr]", func(e *enc, x *event.X509) { e.addrs(x.SANIP) }),
		col("basic_constraints.ca", "bool", func(e *enc, x *event.X509) {
			if x.HasBasicCA {
				e.boolean(x.BasicCA)
			} else {
				e.unset()
			}
		}),
		unsetCol("basic_constraints.path_len", "count"),
		col("host_cert", "bool", func(e *enc, x *event.X509) { e.boolean(x.HostCert) }),
		col("client_cert", "bool", func(e *enc, x *event.X509) { e.boolean(x.ClientCert) }),
	},
	event.KindSoftware: {
		col("ts", "time", func(e *enc, s *event.Software) { e.time(s.TS) }),
		col("host", "addr", func(e *enc, s *event.Software) { e.addr(s.Host) }),
		col("host_p", "port", func(e *enc, s *event.Software) { e.port(s.HostP, true) }),
		col("software_type", "enum", func(e *enc, s *event.Software) { e.str(s.SoftwareType) }),
		col("name", "string", func(e *enc, s *event.Software) { e.str(s.Name) }),
		col("version.major", "count", func(e *enc, s *event.Software) { e.versionPart(s.Version, 0) }),
		col("version.minor", "count", func(e *enc, s *event.Software) { e.versionPart(s.Version, 1) }),
		col("version.minor2", "count", func(e *enc, s *event.Software) { e.versionPart(s.Version, 2) }),
		col("version.minor3", "count", func(e *enc, s *event.Software) { e.versionPart(s.Version, 3) }),
		col("version.addl", "string", func(e *enc, s *event.Software) { e.str(splitVersion(s.Version).addl) }),
		col("unparsed_version", "string", func(e *enc, s *event.Software) { e.str(s.UnparsedVersion) }),
	},
	event.KindKnownHost: {
		col("ts", "time", func(e *enc, h *event.KnownHost) { e.time(h.TS) }),
		col("host", "addr", func(e *enc, h *event.KnownHost) { e.addr(h.Host) }),
	},
	event.KindKnownService: {
		col("ts", "time", func(e *enc, s *event.KnownService) { e.time(s.TS) }),
		col("host", "addr", func(e *enc, s *event.KnownService) { e.addr(s.Host) }),
		col("port_num", "port", func(e *enc, s *event.KnownService) { e.port(s.Port, false) }),
		col("port_proto", "enum", func(e *enc, s *event.KnownService) { e.str(s.Proto) }),
		col("service", "set[string]", func(e *enc, s *event.KnownService) { e.strs(s.Services, true) }),
	},
}

// splitVersionResult is a Software.Version split into Zeek's columns.
type splitVersionResult struct {
	num  [4]uint64
	n    int // numeric components set
	addl string
}

// splitVersion inverts the Reader's join: "1.2.3-beta" is major 1, minor 2,
// minor2 3, addl "beta". A string not of that form is all addl, which the
// Reader joins back unchanged.
func splitVersion(v string) splitVersionResult {
	var res splitVersionResult
	rest := v
	for res.n < 4 {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 || i > 19 || (i > 1 && rest[0] == '0') {
			return splitVersionResult{addl: v}
		}
		n, _ := strconv.ParseUint(rest[:i], 10, 64)
		res.num[res.n] = n
		res.n++
		rest = rest[i:]
		if rest == "" {
			return res
		}
		if rest[0] == '-' {
			if len(rest) == 1 {
				return splitVersionResult{addl: v}
			}
			res.addl = rest[1:]
			return res
		}
		if rest[0] != '.' || res.n == 4 {
			return splitVersionResult{addl: v}
		}
		rest = rest[1:]
	}
	return splitVersionResult{addl: v}
}

func (e *enc) versionPart(v string, i int) {
	sv := splitVersion(v)
	if i >= sv.n {
		e.unset()
		return
	}
	e.key()
	e.b = strconv.AppendUint(e.b, sv.num[i], 10)
}

// String returns "TSV" or "JSON".
func (f Format) String() string {
	switch f {
	case TSV:
		return "TSV"
	case JSON:
		return "JSON"
	}
	return "Format(" + strconv.Itoa(int(f)) + ")"
}
