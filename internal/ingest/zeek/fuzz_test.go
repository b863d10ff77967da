package zeek

import (
	"bytes"
	"errors"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/vigil-iomt/vigil/internal/event"
)

// addFixtureSeeds adds the fixtures with the given extension as seeds (the
// corpus files under testdata/fuzz hold more).
func addFixtureSeeds(f *testing.F, ext string) {
	files, err := filepath.Glob(filepath.Join("testdata", "*"+ext))
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, pathFromName(file), false)
	}
}

// checkReader reads data and checks what must hold for any input: no
// panic, no fatal error from an in-memory stream, positions that advance
// and point into the data, Offset and Line at the end equal to the
// stream's, events of the right kind, and resuming half-way gives the rest.
func checkReader(t *testing.T, data []byte, path string, smallLines bool) {
	newReader := func(opts Options) *Reader {
		opts.Path = path
		r := NewReader(bytes.NewReader(data), "fuzz.log", opts)
		if smallLines {
			r.maxLine = 64
		}
		return r
	}
	r := newReader(Options{})
	var items []item
	lastLine, lastOff := int64(0), int64(-1)
	for n := 0; ; n++ {
		if n > len(data)+2 {
			t.Fatalf("more items than lines")
		}
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		var re *RecordError
		if err != nil && !errors.As(err, &re) {
			t.Fatalf("fatal error on an in-memory stream: %v", err)
		}
		if rec.Pos.File != "fuzz.log" || rec.Pos.Line <= lastLine || rec.Pos.Offset <= lastOff ||
			rec.Pos.Offset >= int64(len(data)) || (re != nil && re.Pos != rec.Pos) {
			t.Fatalf("bad position %+v after line %d offset %d (error %v)", rec.Pos, lastLine, lastOff, err)
		}
		lastLine, lastOff = rec.Pos.Line, rec.Pos.Offset
		if rec.Event != nil {
			sch := schemas[rec.Path]
			if sch == nil || sch.kind != rec.Event.Kind() {
				t.Fatalf("event %v for path %q", rec.Event.Kind(), rec.Path)
			}
			if rec.Event.Time().IsZero() && re == nil {
				t.Fatalf("event without a time")
			}
			rec.Event = copyEvent(rec.Event)
		}
		it := item{rec: rec}
		if re != nil {
			it.err = re.Error()
		}
		items = append(items, it)
	}
	lines := int64(bytes.Count(data, []byte{'\n'}))
	if len(data) > 0 && data[len(data)-1] != '\n' {
		lines++
	}
	if r.Offset() != int64(len(data)) || r.Line() != lines {
		t.Fatalf("at EOF: Offset %d Line %d, want %d %d", r.Offset(), r.Line(), len(data), lines)
	}
	// Resume after half of the items.
	k := len(items) / 2
	r = newReader(Options{})
	for i := 0; i < k; i++ {
		r.Next()
	}
	r2 := newReader(Options{StartOffset: r.Offset(), StartLine: r.Line()})
	var rest []item
	for {
		rec, err := r2.Next()
		if err == io.EOF {
			break
		}
		var re *RecordError
		if err != nil && !errors.As(err, &re) {
			t.Fatalf("resume at %d/%d: %v", r.Offset(), r.Line(), err)
		}
		if rec.Event != nil {
			rec.Event = copyEvent(rec.Event)
		}
		it := item{rec: rec}
		if re != nil {
			it.err = re.Error()
		}
		rest = append(rest, it)
	}
	equalItems(t, rest, items[k:])
}

func FuzzTSVReader(f *testing.F) {
	addFixtureSeeds(f, ".log")
	f.Add([]byte(connHeader+good+good), "conn", true)
	f.Add([]byte("#separator \\x2c\n#fields,ts,host\n#types,time,addr\n1,::ffff:1.2.3.4\n"), "known_hosts", false)
	f.Fuzz(checkReader)
}

func FuzzJSONReader(f *testing.F) {
	addFixtureSeeds(f, ".json")
	f.Add([]byte(`{"_path":"dns","ts":"2018-03-24T17:15:20.600843Z","answers":["a\\x00b"],"TTLs":[1e3]}`+"\n"), "", false)
	f.Add([]byte(`{"id":{"orig_h":"fe80::1","orig_p":1},"ts":1.5}`+"\n"), "conn", true)
	f.Fuzz(checkReader)
}

// FuzzParseAddr compares the byte parser with net/netip.
func FuzzParseAddr(f *testing.F) {
	for _, s := range []string{"10.0.0.1", "::", "::ffff:1.2.3.4", "fe80::1%eth0", "2001:db8::1", "1.2.3", "01.2.3.4",
		"1:2:3:4:5:6:7:8", "1::2::3", "::1.2.3.4", "1.2.3.4.5", "12345::", "ffff::ffff:256.1.1.1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseAddr([]byte(s))
		want, err := netip.ParseAddr(s)
		if err == nil && want.Zone() != "" {
			err = errors.New("zone") // Zeek addresses have none: refused
		}
		if ok != (err == nil) || (ok && got != want.Unmap()) {
			t.Fatalf("parseAddr(%q) = %v %v, netip: %v %v", s, got, ok, want, err)
		}
	})
}

// FuzzCut checks that Cut never fails on its own and does not depend on
// how the input is split into reads.
func FuzzCut(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.log")
	for _, file := range files {
		data, _ := os.ReadFile(file)
		f.Add(data, "ts uid id.orig_h")
	}
	f.Fuzz(func(t *testing.T, data []byte, fields string) {
		var a, b bytes.Buffer
		errA := Cut(&a, bytes.NewReader(data), strings.Fields(fields))
		errB := Cut(&b, iotest.OneByteReader(bytes.NewReader(data)), strings.Fields(fields))
		if !bytes.Equal(a.Bytes(), b.Bytes()) || (errA == nil) != (errB == nil) {
			t.Fatalf("whole %q %v, byte by byte %q %v", a.Bytes(), errA, b.Bytes(), errB)
		}
		if errA != nil && !errors.Is(errA, ErrCutMissingTypes) && !errors.Is(errA, ErrCutMissingFields) {
			t.Fatalf("error %v", errA)
		}
	})
}

// FuzzStringRoundTrip writes any string through both formats' escaping
// and reads it back.
func FuzzStringRoundTrip(f *testing.F) {
	for _, s := range awkward {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ev := &event.DNS{TS: ts(1, 0), Query: s, Answers: []string{s, "x"}, QType: s}
		for _, format := range []Format{TSV, JSON} {
			var buf bytes.Buffer
			w := NewWriter(&buf, event.KindDNS, format)
			if err := w.Write(ev); err != nil {
				t.Fatal(err)
			}
			w.Close()
			rec, err := NewReader(&buf, "dns.log", Options{}).Next()
			if err != nil {
				t.Fatalf("%v: %v\n%q", format, err, buf.String())
			}
			if d := diffEvents(rec.Event, ev); d != "" {
				t.Fatalf("%v: %s", format, d)
			}
		}
	})
}

// TestParseTime covers the timestamp forms.
func TestParseTime(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"1521911720.865716", ts(1521911720, 865716), true},
		{"1521911720", ts(1521911720, 0), true},
		{"1521911720.8", ts(1521911720, 800000), true},
		{"1521911720.123456789123", time.Unix(1521911720, 123456789).UTC(), true},
		{"0.000001", ts(0, 1), true},
		{"-1.5", time.Unix(-2, 500000000).UTC(), true},
		{"1.5e9", ts(1500000000, 0), true},
		{"2018-03-24T17:15:20.600843Z", ts(1521911720, 600843), true},
		{"2018-03-24T17:15:20Z", ts(1521911720, 0), true},
		{"2018-03-24T19:15:20.5+02:00", ts(1521911720, 500000), true},
		{"", time.Time{}, false},
		{".", time.Time{}, false},
		{"1.2.3", time.Time{}, false},
		{"NaN", time.Time{}, false},
		{"1e400", time.Time{}, false},
		{"12345678901234567890", time.Time{}, false},
		{"2018-13-24T17:15:20Z", time.Time{}, false},
		{"2018-03-24T17:15:20.Z", time.Time{}, false},
	}
	for _, tc := range tests {
		got, ok := parseTime([]byte(tc.in))
		if ok != tc.ok || !got.Equal(tc.want) {
			t.Errorf("parseTime(%q) = %v %v, want %v %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestParseInterval(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"0.136721", 136721 * time.Microsecond, true},
		{"86400.000000", 24 * time.Hour, true},
		{"-0.5", -500 * time.Millisecond, true},
		{"0.0008699893951416016", 869989 * time.Nanosecond, true},
		{"9.5367431640625e-7", 954 * time.Nanosecond, true},
		{"9223372036.0", 0, false},
		{"-", 0, false},
	}
	for _, tc := range tests {
		got, ok := parseInterval([]byte(tc.in))
		if ok != tc.ok || got != tc.want {
			t.Errorf("parseInterval(%q) = %v %v, want %v %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
