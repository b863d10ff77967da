package zeek

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vigil-iomt/vigil/internal/event"
)

// ts returns the UTC time of sec seconds and usec microseconds.
func ts(sec, usec int64) time.Time { return time.Unix(sec, usec*1000).UTC() }

func ip(s string) netip.Addr { return netip.MustParseAddr(s).Unmap() }

func mac(s string) net.HardwareAddr {
	hw, err := net.ParseMAC(s)
	if err != nil {
		panic(err)
	}
	return hw
}

// copyEvent copies the struct behind ev, which the Reader reuses.
func copyEvent(ev event.Event) event.Event {
	switch e := ev.(type) {
	case *event.Conn:
		c := *e
		return &c
	case *event.DHCP:
		c := *e
		return &c
	case *event.DNS:
		c := *e
		return &c
	case *event.SSL:
		c := *e
		return &c
	case *event.X509:
		c := *e
		return &c
	case *event.Software:
		c := *e
		return &c
	case *event.KnownHost:
		c := *e
		return &c
	case *event.KnownService:
		c := *e
		return &c
	}
	return ev
}

// result is everything a Reader returned for a stream.
type result struct {
	recs  []Record // events copied
	bad   []*RecordError
	fatal error
}

func readAll(t testing.TB, r *Reader) result {
	t.Helper()
	var res result
	for i := 0; ; i++ {
		if i > 10_000_000 {
			t.Fatal("reader does not stop")
		}
		rec, err := r.Next()
		if err == io.EOF {
			return res
		}
		var re *RecordError
		if errors.As(err, &re) {
			if rec.Pos != re.Pos {
				t.Errorf("record position %v, error position %v", rec.Pos, re.Pos)
			}
			res.bad = append(res.bad, re)
			continue
		}
		if err != nil {
			res.fatal = err
			return res
		}
		if rec.Event != nil {
			rec.Event = copyEvent(rec.Event)
		}
		res.recs = append(res.recs, rec)
	}
}

// checkPositions checks that every position points at the first byte of
// its line in data.
func checkPositions(t *testing.T, data []byte, name string, recs []Record, bad []*RecordError) {
	t.Helper()
	lineStart := []int64{0, 0} // 1-based
	for i, c := range data {
		if c == '\n' {
			lineStart = append(lineStart, int64(i+1))
		}
	}
	check := func(p event.Position) {
		if p.File != name {
			t.Errorf("position %v: file %q, want %q", p, p.File, name)
		}
		if p.Line < 1 || p.Line >= int64(len(lineStart)) || lineStart[p.Line] != p.Offset {
			t.Errorf("position %v offset %d is not the start of line %d", p, p.Offset, p.Line)
		}
	}
	for _, r := range recs {
		check(r.Pos)
	}
	for _, e := range bad {
		check(e.Pos)
	}
}

var wantEvents = map[string][]event.Event{
	"conn": {
		&event.Conn{TS: ts(1709280000, 15387), UID: "CmwxOCebILpb6HYwtf",
			OrigH: ip("10.1.110.13"), OrigP: 42015, RespH: ip("10.0.1.6"), RespP: 104,
			Proto: "tcp", Service: "dicom", Duration: 2959086 * time.Microsecond,
			OrigBytes: 67326, RespBytes: 502080, ConnState: "SF", OrigPkts: 20, RespPkts: 25,
			OrigL2: mac("00:0c:29:f5:b2:55"), RespL2: mac("bc:ae:c5:9e:f3:b6"), VLAN: 20},
		&event.Conn{TS: ts(1709280001, 500000), UID: "C4J4Th3PJpwUYZZ6gc",
			OrigH: ip("fe80::20c:29ff:fef5:b255"), OrigP: 5353, RespH: ip("ff02::fb"), RespP: 5353,
			Proto: "udp", Service: "dns", ConnState: "S0", OrigPkts: 1},
		&event.Conn{TS: ts(1709280001, 750000), UID: `CEsc\aped`,
			OrigH: ip("192.168.1.20"), OrigP: 49152, RespH: ip("2001:db8::1"), RespP: 443,
			Proto: "tcp", Service: "http,ssl", Duration: 100 * time.Microsecond,
			ConnState: "RSTO", OrigPkts: 1},
		&event.Conn{TS: ts(1331901000, 1), UID: "CKx1wE2Oo0zXnSaG7c",
			OrigH: ip("192.168.202.79"), OrigP: 50465, RespH: ip("192.168.229.251"), RespP: 80,
			Proto: "tcp", Duration: 1218*time.Second + time.Microsecond,
			OrigBytes: 16, ConnState: "SH", OrigPkts: 3, RespPkts: 1},
	},
	"dhcp": {
		&event.DHCP{TS: ts(1709280010, 100000), ClientAddr: ip("10.1.2.30"), ServerAddr: ip("10.1.0.1"),
			MAC: mac("00:1b:63:84:45:e6"), HostName: "infusion-pump-07", ClientFQDN: "pump07.icu.example.org",
			Domain: "icu.example.org", RequestedAddr: ip("10.1.2.30"), AssignedAddr: ip("10.1.2.30"),
			LeaseTime: 86400 * time.Second, MsgTypes: []string{"DISCOVER", "OFFER", "REQUEST", "ACK"},
			ClientSoftware: "udhcp 1.30.1"},
		&event.DHCP{TS: ts(1709280011, 0), MAC: mac("00:26:9e:83:a2:30"), HostName: "Pump\u00e9\tICU"},
	},
	"dhcp-bro25": {
		&event.DHCP{TS: ts(1332008692, 40000), ClientAddr: ip("192.168.202.140"), ServerAddr: ip("192.168.202.1"),
			MAC: mac("aa:00:04:00:0a:04"), AssignedAddr: ip("192.168.202.140"), LeaseTime: 86400 * time.Second},
	},
	"dns": {
		&event.DNS{TS: ts(1709280020, 100), UID: "CqKst53mF3det3eDV9", OrigH: ip("10.1.2.30"),
			RespH: ip("10.0.0.53"), RespP: 53, Proto: "udp", Query: "pacs.example.org", QType: "A",
			RCode: "NOERROR", Answers: []string{"pacs01.example.org", "10.0.5.20"},
			TTLs: []time.Duration{300 * time.Second, 60 * time.Second}},
		&event.DNS{TS: ts(1709280021, 0), UID: "C3Eg5r3ffPjb8Ptzbk", OrigH: ip("118.193.64.106"),
			RespH: ip("10.0.0.53"), RespP: 5353, Proto: "udp", QType: "query-0"},
		&event.DNS{TS: ts(1709280022, 250000), UID: "CnXoiddNVrGDC5v08", OrigH: ip("2001:db8::10"),
			RespH: ip("2001:db8::53"), RespP: 53, Proto: "tcp", Query: "_spf.example.org", QType: "TXT",
			RCode: "NOERROR", Answers: []string{"v=spf1 a,b -all", "TXT\tx"},
			TTLs: []time.Duration{time.Hour, time.Hour}},
	},
	"ssl": {
		&event.SSL{TS: ts(1709280030, 615923), UID: "CmC9kY1X0u9nP78KZc", OrigH: ip("10.1.2.30"), OrigP: 39611,
			RespH: ip("10.0.7.200"), RespP: 443, Version: "TLSv12", Cipher: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
			Curve: "secp256r1", ServerName: "emr.example.org", Established: true,
			CertChain: []string{"b2dafbcdbc75210672f137f27ce882ccb799887631655d4f11191d5a678e44fe",
				"8d59ed09ff71bfe26607f9b6b77506f2718346d2417f964cb2f720ece09ed406"},
			JA3: "771b4ae4f6ed0a6b6ef1df5d23f9b1a9", JA3S: "f4febc55ea12b31ae17cfb7e614afda8"},
		&event.SSL{TS: ts(1709280031, 0), UID: "CRjZDp2IQrTOJVYkj8", OrigH: ip("10.1.2.31"), OrigP: 45999,
			RespH: ip("10.0.7.201"), RespP: 8443},
		&event.SSL{TS: ts(1655109197, 788103), UID: "CKLUI72wPcom220303", OrigH: ip("147.32.83.165"), OrigP: 56894,
			RespH: ip("17.142.171.5"), RespP: 443, Version: "TLSv12", Cipher: "TLS_RSA_WITH_AES_128_GCM_SHA256",
			ServerName: "gsp64-ssl.ls.apple.com", Established: true,
			CertChain: []string{"F1EgPF2Jtfs8b55Ga", "FXrEFYIEcoDqnzgM"},
			Subject:   "C=US,ST=California,O=Apple Inc.,CN=*.ls.apple.com",
			Issuer:    `O=VMware\, Inc,CN=Apple Public Server RSA CA 12 - G1`},
	},
	"x509": {
		&event.X509{TS: ts(1709280040, 624556), ID: "b2dafbcdbc75210672f137f27ce882ccb799887631655d4f11191d5a678e44fe",
			Version: 3, Serial: "CC57FE54011E",
			Subject:   `unstructuredName=1315656901\,564d,CN=localhost.localdomain,O=VMware\, Inc,L=K\C3\B6ln,C=US`,
			Issuer:    "O=VMware Installer",
			NotBefore: ts(1315656902, 0), NotAfter: ts(1678536902, 0),
			KeyAlg: "rsaEncryption", SigAlg: "sha256WithRSAEncryption", KeyType: "rsa", KeyLength: 2048,
			Exponent: "65537", SANDNS: []string{"localhost.localdomain", "pacs.example.org"},
			SANIP:   []netip.Addr{ip("10.0.5.20"), ip("2001:db8::5")},
			BasicCA: false, HasBasicCA: true, HostCert: true},
		&event.X509{TS: ts(1709280041, 0), ID: "8d59ed09ff71bfe26607f9b6b77506f2718346d2417f964cb2f720ece09ed406",
			Version: 3, Serial: "01", Subject: "CN=Hospital Root CA", Issuer: "CN=Hospital Root CA",
			NotBefore: ts(1600000000, 0), NotAfter: ts(2547000000, 0),
			KeyAlg: "id-ecPublicKey", SigAlg: "ecdsa-with-SHA384", KeyType: "ecdsa", KeyLength: 384,
			Curve: "secp384r1", BasicCA: true, HasBasicCA: true, HostCert: true},
		&event.X509{TS: ts(1709280042, 0), ID: "Fw2yQj1FMdsZhvJhq8", Version: 1, Serial: "B332F0DC69658DFA",
			Subject: "CN=localhost", Issuer: "CN=localhost", NotBefore: ts(1239833082, 0), NotAfter: ts(1555193082, 0),
			KeyAlg: "rsaEncryption", SigAlg: "sha1WithRSAEncryption", KeyType: "rsa", KeyLength: 1024,
			Exponent: "65537", ClientCert: true},
	},
	"software": {
		&event.Software{TS: ts(1709280050, 0), Host: ip("10.0.7.22"), HostP: 22, SoftwareType: "SSH::SERVER",
			Name: "OpenSSH", Version: "8.0-p1", UnparsedVersion: "SSH-2.0-OpenSSH_8.0p1 Debian-4"},
		&event.Software{TS: ts(1709280051, 0), Host: ip("10.0.7.200"), HostP: 443, SoftwareType: "HTTP::SERVER",
			Name: "Apache", Version: "2.4.41", UnparsedVersion: "Apache/2.4.41 (Ubuntu)"},
		&event.Software{TS: ts(1709280052, 0), Host: ip("10.1.2.30"), SoftwareType: "HTTP::BROWSER",
			Name: "MSIE", Version: "8.0", UnparsedVersion: "Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 5.1; Trident/4.0)"},
		&event.Software{TS: ts(1709280053, 0), Host: ip("fd00::30"), SoftwareType: "HTTP::BROWSER",
			Name: ") {", Version: `; } >_[$($())] { echo "x"; }`, UnparsedVersion: "() { _; }"},
		&event.Software{TS: ts(1709280054, 0), Host: ip("10.1.2.31"), HostP: 104, SoftwareType: "DICOM::SERVER",
			Name: "dcmqrscp", Version: "3.6.7.1-beta", UnparsedVersion: "dcmqrscp v3.6.7.1-beta"},
	},
	"known_hosts": {
		&event.KnownHost{TS: ts(1709280060, 0), Host: ip("10.1.2.30")},
		&event.KnownHost{TS: ts(1709280061, 0), Host: ip("2001:db8::10")},
	},
	"known_services": {
		&event.KnownService{TS: ts(1709280070, 0), Host: ip("10.0.7.200"), Port: 443, Proto: "tcp", Services: []string{"HTTP", "SSL"}},
		&event.KnownService{TS: ts(1709280071, 0), Host: ip("10.1.2.31"), Port: 104, Proto: "tcp"},
		&event.KnownService{TS: ts(1709280072, 0), Host: ip("10.0.0.53"), Port: 53, Proto: "udp", Services: []string{"DNS"}},
	},
}

// diffEvents describes how got differs from want, field by field.
func diffEvents(got, want event.Event) string {
	if reflect.DeepEqual(got, want) {
		return ""
	}
	gv, wv := reflect.ValueOf(got), reflect.ValueOf(want)
	if gv.Type() != wv.Type() {
		return fmt.Sprintf("got %T, want %T", got, want)
	}
	gv, wv = gv.Elem(), wv.Elem()
	var b strings.Builder
	for i := 0; i < gv.NumField(); i++ {
		g, w := gv.Field(i).Interface(), wv.Field(i).Interface()
		if !reflect.DeepEqual(g, w) {
			fmt.Fprintf(&b, "%s: got %#v, want %#v; ", gv.Type().Field(i).Name, g, w)
		}
	}
	return b.String()
}

func TestReaderFixtures(t *testing.T) {
	tests := []struct {
		file      string
		wantPath  string
		want      string // key of wantEvents
		wantLines []int64
	}{
		{"conn.log", "conn", "conn", []int64{9, 10, 11, 22}},
		{"conn.json", "conn", "conn", []int64{1, 2, 3, 5}},
		{"dhcp.log", "dhcp", "dhcp", []int64{9, 10}},
		{"dhcp.json", "dhcp", "dhcp", []int64{1, 2}},
		{"dhcp-bro25.log", "dhcp", "dhcp-bro25", []int64{9}},
		{"dns.log", "dns", "dns", []int64{9, 10, 11}},
		{"dns.json", "dns", "dns", []int64{1, 2, 3}},
		{"ssl.log", "ssl", "ssl", []int64{9, 10, 20}},
		{"ssl.json", "ssl", "ssl", []int64{1, 2, 3}},
		{"x509.log", "x509", "x509", []int64{9, 10, 11}},
		{"x509.json", "x509", "x509", []int64{1, 2, 3}},
		{"software.log", "software", "software", []int64{9, 10, 11, 12, 13}},
		{"software.json", "software", "software", []int64{1, 2, 3, 4, 5}},
		{"known_hosts.log", "known_hosts", "known_hosts", []int64{9, 10}},
		{"known_hosts.json", "known_hosts", "known_hosts", []int64{1, 2}},
		{"known_services.log", "known_services", "known_services", []int64{9, 10, 11}},
		{"known_services.json", "known_services", "known_services", []int64{1, 2, 3}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			res := readAll(t, NewReader(bytes.NewReader(data), tc.file, Options{}))
			if res.fatal != nil || len(res.bad) > 0 {
				t.Fatalf("errors: fatal %v, records %v", res.fatal, res.bad)
			}
			checkPositions(t, data, tc.file, res.recs, res.bad)
			want := wantEvents[tc.want]
			if len(res.recs) != len(want) {
				t.Fatalf("got %d records, want %d", len(res.recs), len(want))
			}
			for i, rec := range res.recs {
				if rec.Path != tc.wantPath {
					t.Errorf("record %d: path %q, want %q", i, rec.Path, tc.wantPath)
				}
				if rec.Pos.Line != tc.wantLines[i] {
					t.Errorf("record %d: line %d, want %d", i, rec.Pos.Line, tc.wantLines[i])
				}
				if d := diffEvents(rec.Event, want[i]); d != "" {
					t.Errorf("record %d (line %d): %s", i, rec.Pos.Line, d)
				}
			}
		})
	}
}

// TestReaderEventReuse checks the documented contract: the struct is
// reused, what it points to is not.
func TestReaderEventReuse(t *testing.T) {
	data, err := os.ReadFile("testdata/dns.json")
	if err != nil {
		t.Fatal(err)
	}
	r := NewReader(bytes.NewReader(data), "dns.json", Options{})
	rec1, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	first := *rec1.Event.(*event.DNS) // shallow copy
	for {
		if _, err := r.Next(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if d := diffEvents(&first, wantEvents["dns"][0]); d != "" {
		t.Errorf("first event after reading on: %s", d)
	}
}

// TestReaderPath checks where the log type comes from.
func TestReaderPath(t *testing.T) {
	tsv := "#separator \\x09\n#fields\tts\thost\n#types\ttime\taddr\n1.0\t10.0.0.1\n"
	tsvWithPath := "#separator \\x09\n#path\tknown_hosts\n#fields\tts\thost\n#types\ttime\taddr\n1.0\t10.0.0.1\n"
	tests := []struct {
		name, input, file, optPath, wantPath string
		wantEvent                            bool
	}{
		{"file name", tsv, "known_hosts.log", "", "known_hosts", true},
		{"rotated file name", tsv, "known_hosts.04:00:00-05:00:00.log.gz", "", "known_hosts", true},
		{"labeled", tsv, "/var/log/known_hosts.log.labeled", "", "known_hosts", true},
		{"header wins over name", tsvWithPath, "x.log", "", "known_hosts", true},
		{"option wins", tsvWithPath, "x.log", "weird", "weird", false},
		{"unmodeled", tsv, "files.log", "", "files", false},
		{"json _path", `{"_path":"known_hosts","ts":1,"host":"10.0.0.1"}` + "\n", "stream", "", "known_hosts", true},
		{"json name", `{"ts":1,"host":"10.0.0.1"}` + "\n", "known_hosts.json.gz", "", "known_hosts", true},
		{"json option wins", `{"_path":"dns","ts":1,"host":"10.0.0.1"}` + "\n", "x", "known_hosts", "known_hosts", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := readAll(t, NewReader(strings.NewReader(tc.input), tc.file, Options{Path: tc.optPath}))
			if res.fatal != nil || len(res.bad) > 0 || len(res.recs) != 1 {
				t.Fatalf("fatal %v, bad %v, %d records", res.fatal, res.bad, len(res.recs))
			}
			got := res.recs[0]
			if got.Path != tc.wantPath || (got.Event != nil) != tc.wantEvent {
				t.Errorf("path %q event %v, want %q %v", got.Path, got.Event != nil, tc.wantPath, tc.wantEvent)
			}
		})
	}
}

// TestReaderMixedPaths reads a file concatenated from two different logs,
// and a JSON stream with several log types.
func TestReaderMixedPaths(t *testing.T) {
	conn, _ := os.ReadFile("testdata/conn.log")
	dns, _ := os.ReadFile("testdata/dns.log")
	res := readAll(t, NewReader(bytes.NewReader(append(append([]byte{}, conn...), dns...)), "all.log", Options{}))
	if res.fatal != nil || len(res.bad) > 0 {
		t.Fatalf("fatal %v, bad %v", res.fatal, res.bad)
	}
	var got []string
	for _, r := range res.recs {
		got = append(got, r.Path)
	}
	if want := "conn conn conn conn dns dns dns"; strings.Join(got, " ") != want {
		t.Errorf("paths %q, want %q", strings.Join(got, " "), want)
	}
	if d := diffEvents(res.recs[6].Event, wantEvents["dns"][2]); d != "" {
		t.Error(d)
	}

	jc, _ := os.ReadFile("testdata/conn.json")
	jd, _ := os.ReadFile("testdata/dns.json")
	res = readAll(t, NewReader(bytes.NewReader(append(append([]byte{}, jd...), jc...)), "stream", Options{}))
	if res.fatal != nil || len(res.bad) > 0 || len(res.recs) != 7 {
		t.Fatalf("fatal %v, bad %v, %d records", res.fatal, res.bad, len(res.recs))
	}
	if d := diffEvents(res.recs[3].Event, wantEvents["conn"][0]); d != "" {
		t.Error(d)
	}
}

// TestReaderTSVHeaders covers header variations: another separator and
// markers, a missing #types line, blank and CRLF lines.
func TestReaderTSVHeaders(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  []event.Event
	}{
		{"comma separator and own markers",
			"#separator \\x2c\n#set_separator,|\n#empty_field,EMPTY\n#unset_field,NONE\n#path,known_services\n" +
				"#fields,ts,host,port_num,port_proto,service\n#types,time,addr,port,enum,set[string]\n" +
				"1.5,10.0.0.1,80,tcp,HTTP|X\\x2cY\n2,NONE,NONE,NONE,EMPTY\n3,10.0.0.2,-,-,-\n",
			[]event.Event{
				&event.KnownService{TS: ts(1, 500000), Host: ip("10.0.0.1"), Port: 80, Proto: "tcp", Services: []string{"HTTP", "X,Y"}},
				&event.KnownService{TS: ts(2, 0)},
				nil, // "-" is not this log's unset marker: a bad port
			}},
		{"no #types: containers split",
			"#separator \\x09\n#path\tknown_services\n#fields\tts\thost\tport_num\tport_proto\tservice\n" +
				"1\t10.0.0.1\t80\ttcp\tHTTP,SSL\n",
			[]event.Event{&event.KnownService{TS: ts(1, 0), Host: ip("10.0.0.1"), Port: 80, Proto: "tcp", Services: []string{"HTTP", "SSL"}}}},
		{"CRLF and blank lines",
			"#separator \\x09\r\n\r\n#path\tknown_hosts\r\n#fields\tts\thost\r\n#types\ttime\taddr\r\n \t \r\n1\t10.0.0.1\r\n\n",
			[]event.Event{&event.KnownHost{TS: ts(1, 0), Host: ip("10.0.0.1")}}},
		{"empty unset marker",
			"#separator \\x09\n#unset_field\t\n#path\tknown_services\n#fields\tts\thost\tport_num\tservice\n" +
				"#types\ttime\taddr\tport\tset[string]\n1\t\t\t\n",
			[]event.Event{&event.KnownService{TS: ts(1, 0)}}},
		{"string type column holding a list",
			"#separator \\x09\n#path\tknown_services\n#fields\tts\tservice\n#types\ttime\tstring\n1\tA,B\n",
			[]event.Event{&event.KnownService{TS: ts(1, 0), Services: []string{"A,B"}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewReader(strings.NewReader(tc.input), "t.log", Options{})
			for i, want := range tc.want {
				rec, err := r.Next()
				if want == nil {
					var re *RecordError
					if !errors.As(err, &re) {
						t.Errorf("record %d: got %v, want a RecordError", i, err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("record %d: %v", i, err)
				}
				if d := diffEvents(rec.Event, want); d != "" {
					t.Errorf("record %d: %s", i, d)
				}
			}
			if _, err := r.Next(); err != io.EOF {
				t.Errorf("after the records: %v, want EOF", err)
			}
		})
	}
}

// TestReaderLongLines checks lines past bufio's default and past the cap.
func TestReaderLongLines(t *testing.T) {
	long := strings.Repeat("a", 200_000)
	input := "#separator \\x09\n#path\tdns\n#fields\tts\tquery\n#types\ttime\tstring\n" +
		"1\t" + long + "\n" +
		"2\t" + strings.Repeat("b", 5000) + "\n" + // over the cap of 4096 below
		"3\tok\n" +
		"4\t" + strings.Repeat("c", 5000) // over the cap, at EOF without newline
	r := NewReader(strings.NewReader(input), "dns.log", Options{})
	r.maxLine = 4096
	rec, err := r.Next()
	var re *RecordError
	if !errors.As(err, &re) || !errors.Is(err, ErrLineTooLong) || re.Pos.Line != 5 {
		t.Fatalf("200 kB line over a 4 kB cap: got %v", err)
	}
	if rec.Path != "dns" {
		t.Errorf("path %q", rec.Path)
	}
	if _, err := r.Next(); !errors.Is(err, ErrLineTooLong) {
		t.Fatalf("line 6: got %v, want too long", err)
	}
	rec, err = r.Next()
	if err != nil || rec.Event.(*event.DNS).Query != "ok" || rec.Pos.Line != 7 {
		t.Fatalf("line 7: %v %+v", err, rec)
	}
	if _, err := r.Next(); !errors.Is(err, ErrLineTooLong) {
		t.Fatalf("line 8: got %v, want too long", err)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("got %v, want EOF", err)
	}
	if r.Offset() != int64(len(input)) || r.Line() != 8 {
		t.Errorf("Offset %d Line %d, want %d 8", r.Offset(), r.Line(), len(input))
	}

	// With the default cap the 200 kB line is fine.
	r = NewReader(strings.NewReader(input), "dns.log", Options{})
	rec, err = r.Next()
	if err != nil || rec.Event.(*event.DNS).Query != long {
		t.Fatalf("default cap: %v", err)
	}
}
