package zeek

import (
	"bytes"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/vigil-iomt/vigil/internal/event"
)

// roundTrip writes evs of kind in format f and reads them back.
func roundTrip(t *testing.T, kind event.Kind, f Format, evs []event.Event) ([]event.Event, []byte) {
	t.Helper()
	var buf bytes.Buffer
	w := NewWriter(&buf, kind, f)
	for i, ev := range evs {
		if err := w.Write(ev); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	out := bytes.Clone(buf.Bytes())
	// The name says nothing about the log type: TSV has #path, JSON _path.
	res := readAll(t, NewReader(&buf, "out", Options{}))
	if res.fatal != nil || len(res.bad) > 0 {
		t.Fatalf("read back: fatal %v, bad %v\n%s", res.fatal, res.bad, out)
	}
	var got []event.Event
	for _, r := range res.recs {
		if r.Path != kind.String() {
			t.Errorf("path %q, want %q", r.Path, kind)
		}
		got = append(got, r.Event)
	}
	return got, out
}

// awkward strings: markers, separators, escapes, bytes that are not UTF-8.
var awkward = []string{
	"-", "(empty)", "a\tb", "line\nbreak", `back\slash`, `\x41 is not A`, `\\x41`,
	"comma,separated", "\x00\x01\x7f", "caf\u00e9 \u2603", "bad \xff\xfe utf8", `"quoted"`, "#not a header",
	"trailing\\", " spaced ",
}

func TestWriterRoundTrip(t *testing.T) {
	kinds := []struct {
		kind event.Kind
		evs  []event.Event
	}{
		{event.KindConn, wantEvents["conn"]},
		{event.KindDHCP, append(append([]event.Event{}, wantEvents["dhcp"]...), wantEvents["dhcp-bro25"]...)},
		{event.KindDNS, wantEvents["dns"]},
		{event.KindSSL, wantEvents["ssl"]},
		{event.KindX509, wantEvents["x509"]},
		{event.KindSoftware, wantEvents["software"]},
		{event.KindKnownHost, wantEvents["known_hosts"]},
		{event.KindKnownService, wantEvents["known_services"]},
	}
	// Events full of awkward values, one per kind.
	t0 := ts(1709290000, 123456)
	for i, s := range awkward {
		kinds[0].evs = append(kinds[0].evs, &event.Conn{TS: t0, UID: s, Proto: s, Service: s, ConnState: s,
			OrigH: ip("::ffff:10.0.0.1"), RespH: ip("2001:db8::1"), OrigP: uint16(i), Duration: -time.Second,
			OrigBytes: 1 << 62, VLAN: 4094})
		kinds[1].evs = append(kinds[1].evs, &event.DHCP{TS: t0, HostName: s, Domain: s, ClientFQDN: s,
			MsgTypes: []string{s, s + "x", "y"}, ClientSoftware: s, ServerSoftware: s})
		kinds[2].evs = append(kinds[2].evs, &event.DNS{TS: t0, Query: s, QType: s, RCode: s,
			Answers: []string{s, "x" + s, s}, TTLs: []time.Duration{0, time.Microsecond, 48 * time.Hour}})
		kinds[3].evs = append(kinds[3].evs, &event.SSL{TS: t0, ServerName: s, Subject: s, Issuer: s,
			CertChain: []string{"a", s + "b"}, JA3: s, Version: s, Cipher: s, Curve: s, Established: true})
		kinds[4].evs = append(kinds[4].evs, &event.X509{TS: t0, ID: s, Serial: s, Subject: s, Issuer: s,
			SANDNS: []string{s + "z"}, SANIP: []netip.Addr{ip("10.1.1.1")}, Exponent: s, KeyAlg: s,
			NotBefore: ts(-86400, 500000), NotAfter: ts(253402300799, 999999)})
		kinds[5].evs = append(kinds[5].evs, &event.Software{TS: t0, Name: s, SoftwareType: s, UnparsedVersion: s, Version: s})
		kinds[7].evs = append(kinds[7].evs, &event.KnownService{TS: t0, Proto: s, Services: []string{s + "q", "r"}})
	}
	for _, v := range []string{"", "1", "1.2", "1.2.3", "1.2.3.4", "1.2.3.4.5", "1-beta", "1.2-", "-x", "01.2",
		"18446744073709551616.1", "8.0p1", "2.4.41-1ubuntu1"} {
		kinds[5].evs = append(kinds[5].evs, &event.Software{TS: t0, Version: v})
	}
	for _, k := range kinds {
		for _, f := range []Format{TSV, JSON} {
			t.Run(k.kind.String()+"/"+f.String(), func(t *testing.T) {
				got, out := roundTrip(t, k.kind, f, k.evs)
				if len(got) != len(k.evs) {
					t.Fatalf("got %d events, want %d\n%s", len(got), len(k.evs), out)
				}
				for i := range got {
					if d := diffEvents(got[i], k.evs[i]); d != "" {
						t.Errorf("event %d: %s", i, d)
					}
				}
			})
		}
	}
}

func TestWriterTSVHeader(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf, event.KindKnownHost, TSV)
	for _, ev := range []event.Event{
		&event.KnownHost{TS: ts(1709280060, 0), Host: ip("10.1.2.30")},
		&event.KnownHost{TS: ts(1709283600, 999999), Host: ip("2001:db8::10")},
	} {
		if err := w.Write(ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	want := "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tknown_hosts\n" +
		"#open\t2024-03-01-08-01-00\n#fields\tts\thost\n#types\ttime\taddr\n" +
		"1709280060.000000\t10.1.2.30\n1709283600.999999\t2001:db8::10\n#close\t2024-03-01-09-00-00\n"
	if got := buf.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	// Cut reads it like bro-cut would.
	var cut bytes.Buffer
	if err := Cut(&cut, strings.NewReader(want), []string{"host", "ts"}); err != nil {
		t.Fatal(err)
	}
	if got := cut.String(); got != "10.1.2.30\t1709280060.000000\n2001:db8::10\t1709283600.999999\n" {
		t.Errorf("cut: %q", got)
	}
}

func TestWriterFormats(t *testing.T) {
	ev := &event.Conn{TS: ts(1709280000, 15387), UID: "C1", OrigH: ip("10.0.0.1"), OrigP: 1, RespH: ip("10.0.0.2"),
		RespP: 104, Proto: "tcp", Service: "dicom", Duration: 1500 * time.Millisecond, OrigBytes: 3, ConnState: "SF"}
	tests := []struct {
		f    Format
		want string
	}{
		{JSON, `{"_path":"conn","ts":1709280000.015387,"uid":"C1","id.orig_h":"10.0.0.1","id.orig_p":1,"id.resp_h":"10.0.0.2","id.resp_p":104,"proto":"tcp","service":"dicom","duration":1.500000,"orig_bytes":3,"resp_bytes":0,"conn_state":"SF","missed_bytes":0,"orig_pkts":0,"resp_pkts":0}` + "\n"},
		{TSV, "1709280000.015387\tC1\t10.0.0.1\t1\t10.0.0.2\t104\ttcp\tdicom\t1.500000\t3\t0\tSF\t-\t-\t0\t-\t0\t-\t0\t-\t-\t-\t-\t-\n"},
	}
	for _, tc := range tests {
		var buf bytes.Buffer
		w := NewWriter(&buf, event.KindConn, tc.f)
		if err := w.Write(ev); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		lines := strings.SplitAfter(buf.String(), "\n")
		got := lines[0]
		if tc.f == TSV {
			got = lines[8]
		}
		if got != tc.want {
			t.Errorf("%v:\ngot  %q\nwant %q", tc.f, got, tc.want)
		}
	}
}

func TestWriterStringEscapes(t *testing.T) {
	tests := []struct {
		in, tsv, tsvSet, json string
	}{
		{"-", `\x2d`, `\x2d`, `"-"`},
		{"(empty)", `\x28empty)`, `\x28empty)`, `"(empty)"`},
		{"a\tb,c", `a\x09b,c`, `a\x09b\x2cc`, `"a\tb,c"`},
		{`\x41`, `\\x41`, `\\x41`, `"\\x5cx41"`},
		{"\x01\xff\u00e9", `\x01\xff` + "\u00e9", `\x01\xff` + "\u00e9", `"\\x01\\xff` + "\u00e9\""},
	}
	for _, tc := range tests {
		if got := string(appendTSVString(nil, tc.in, false)); got != tc.tsv {
			t.Errorf("TSV %q: got %q, want %q", tc.in, got, tc.tsv)
		}
		if got := string(appendTSVString(nil, tc.in, true)); got != tc.tsvSet {
			t.Errorf("TSV set element %q: got %q, want %q", tc.in, got, tc.tsvSet)
		}
		if got := string(appendJSONString(nil, tc.in)); got != tc.json {
			t.Errorf("JSON %q: got %q, want %q", tc.in, got, tc.json)
		}
	}
}

func TestWriterErrors(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf, event.KindDNS, TSV)
	if err := w.Write(&event.Conn{TS: ts(1, 0)}); err == nil {
		t.Error("wrong kind: no error")
	}
	if err := w.Write(nil); err == nil {
		t.Error("nil event: no error")
	}
	if err := w.Write(&event.DNS{}); err == nil {
		t.Error("no timestamp: no error")
	}
	if buf.Len() != 0 {
		t.Errorf("rejected events wrote %q", buf.String())
	}
	if err := w.Close(); err != nil || buf.Len() != 0 {
		t.Errorf("close without events: %v, wrote %q", err, buf.String())
	}
	if err := w.Write(&event.DNS{TS: ts(1, 0)}); !errors.Is(err, ErrWriterClosed) {
		t.Errorf("write after close: %v", err)
	}

	w = NewWriter(&buf, event.KindConn, JSON)
	if err := w.Write(&event.Conn{TS: ts(1, 0), OrigBytes: -1}); err == nil {
		t.Error("negative count: no error")
	}
	if err := w.Write(&event.Conn{TS: ts(1, 0), UID: "ok"}); err != nil {
		t.Errorf("a good event after a bad one: %v", err)
	}
	w.Close()
	if got := strings.Count(buf.String(), "\n"); got != 1 {
		t.Errorf("wrote %d lines, want 1: %q", got, buf.String())
	}

	if err := NewWriter(&buf, event.Kind(99), TSV).Write(&event.Conn{TS: ts(1, 0)}); err == nil {
		t.Error("unknown kind: no error")
	}
	if err := NewWriter(&buf, event.KindConn, Format(7)).Write(&event.Conn{TS: ts(1, 0)}); err == nil {
		t.Error("unknown format: no error")
	}
	fw := NewWriter(failWriter{}, event.KindConn, TSV)
	fw.Write(&event.Conn{TS: ts(1, 0)})
	if err := fw.Close(); err == nil {
		t.Error("failing writer: Close returned no error")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("full") }

func TestSplitVersion(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		num  [4]uint64
		addl string
	}{
		{"", 0, [4]uint64{}, ""},
		{"2.4.41", 3, [4]uint64{2, 4, 41}, ""},
		{"8.0-p1", 2, [4]uint64{8, 0}, "p1"},
		{"3.6.7.1-beta-2", 4, [4]uint64{3, 6, 7, 1}, "beta-2"},
		{"8.0p1", 0, [4]uint64{}, "8.0p1"},
		{"1.2.3.4.5", 0, [4]uint64{}, "1.2.3.4.5"},
		{"01", 0, [4]uint64{}, "01"},
		{"0", 1, [4]uint64{}, ""},
	}
	for _, tc := range tests {
		got := splitVersion(tc.in)
		if got.n != tc.n || got.num != tc.num || got.addl != tc.addl {
			t.Errorf("splitVersion(%q) = %+v, want %d %v %q", tc.in, got, tc.n, tc.num, tc.addl)
		}
	}
}
