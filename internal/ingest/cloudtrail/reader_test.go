package cloudtrail

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-iomt/vigil/internal/ingest/source"
)

// slot is one result of Next: an event, or a bad event's RecordError.
type slot struct {
	ev  Event
	err error
}

// readFile reads a file through source.Open (so gzip is decompressed as in
// production) and returns the decompressed content too.
func readFile(t *testing.T, path string, opts Options) (slots []slot, content []byte, fatal error) {
	t.Helper()
	f, err := source.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var buf bytes.Buffer
	slots, fatal = readAll(t, io.TeeReader(f, &buf), path, opts)
	return slots, buf.Bytes(), fatal
}

// readAll reads r to the end; fatal is the error that ended it (nil at
// io.EOF).
func readAll(t testing.TB, r io.Reader, name string, opts Options) ([]slot, error) {
	t.Helper()
	rd := NewReader(r, name, opts)
	var out []slot
	for i := 0; ; i++ {
		if i > 1_000_000 {
			t.Fatal("no end")
		}
		ev, err := rd.Next()
		if err == io.EOF {
			return out, nil
		}
		var re *RecordError
		if err != nil && !errors.As(err, &re) {
			if _, err2 := rd.Next(); err2 != err {
				t.Errorf("fatal error not sticky: %v then %v", err, err2)
			}
			return out, err
		}
		ev.Value, ev.Raw = nil, bytes.Clone(ev.Raw) // the reader's, valid only until the next event
		out = append(out, slot{ev, err})
	}
}

// checkRaw asserts that every slot's Raw is the exact bytes of content at
// its offset, and that offsets and indexes increase.
func checkRaw(t testing.TB, slots []slot, content []byte) {
	t.Helper()
	last := int64(-1)
	for i, s := range slots {
		p := s.ev.Pos
		if p.Offset <= last {
			t.Errorf("slot %d: offset %d after %d", i, p.Offset, last)
		}
		last = p.Offset
		if s.ev.Raw == nil {
			continue
		}
		if end := p.Offset + int64(len(s.ev.Raw)); end > int64(len(content)) || !bytes.Equal(content[p.Offset:end], s.ev.Raw) {
			t.Errorf("slot %d: Raw is not the file's bytes at offset %d", i, p.Offset)
		}
	}
}

type wantEvent struct {
	id, source, name, region, account string
	time                              time.Time
}

var fixtureEvents = []wantEvent{
	{"00000000-0000-0000-0000-000000000001", "s3.amazonaws.com", "GetObject", "eu-west-1", "123456789012", time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)},
	{"00000000-0000-0000-0000-000000000002", "s3.amazonaws.com", "PutObject", "eu-west-1", "123456789012", time.Date(2024, 5, 1, 10, 0, 1, 123e6, time.UTC)},
	{"00000000-0000-0000-0000-000000000003", "s3.amazonaws.com", "ListBuckets", "us-east-1", "123456789012", time.Date(2024, 5, 1, 8, 0, 2, 0, time.UTC)},
}

func TestShapes(t *testing.T) {
	for _, name := range []string{"records.json", "records.json.gz", "array.json", "events.ndjson"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("testdata", name)
			slots, content, fatal := readFile(t, path, Options{})
			if fatal != nil {
				t.Fatal(fatal)
			}
			if got, want := len(slots), len(fixtureEvents); got != want {
				t.Fatalf("got %d events, want %d", got, want)
			}
			checkRaw(t, slots, content)
			for i, s := range slots {
				if s.err != nil {
					t.Fatalf("event %d: %v", i, s.err)
				}
				w := fixtureEvents[i]
				got := wantEvent{s.ev.ID, s.ev.Source, s.ev.Name, s.ev.Region, s.ev.AccountID, s.ev.Time.UTC()}
				if got != w {
					t.Errorf("event %d: got %+v, want %+v", i, got, w)
				}
				if s.ev.Pos.File != path || s.ev.Pos.Index != int64(i) {
					t.Errorf("event %d: position %+v", i, s.ev.Pos)
				}
				var m map[string]any
				if err := json.Unmarshal(s.ev.Raw, &m); err != nil || m["eventID"] != w.id {
					t.Errorf("event %d: Raw does not hold the event: %v", i, err)
				}
			}
		})
	}
}

func TestBadEvents(t *testing.T) {
	tests := []struct {
		file string
		want []error // nil for a good event
	}{
		{"bad.json", []error{nil, ErrMissingField, ErrNotObject, ErrBadTime, ErrBadJSON, ErrMissingField, ErrNotObject, nil}},
		{"bad.ndjson", []error{nil, ErrBadJSON, ErrBrokenLine, ErrMissingField, ErrBrokenLine, nil}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", tt.file)
			slots, content, fatal := readFile(t, path, Options{})
			if fatal != nil {
				t.Fatal(fatal)
			}
			checkRaw(t, slots, content)
			if len(slots) != len(tt.want) {
				t.Fatalf("got %d slots, want %d: %v", len(slots), len(tt.want), slots)
			}
			for i, s := range slots {
				if tt.want[i] == nil {
					if s.err != nil {
						t.Errorf("slot %d: %v", i, s.err)
					}
					continue
				}
				if !errors.Is(s.err, tt.want[i]) {
					t.Errorf("slot %d: got %v, want %v", i, s.err, tt.want[i])
					continue
				}
				var re *RecordError
				if !errors.As(s.err, &re) || re.Pos != s.ev.Pos {
					t.Errorf("slot %d: not a RecordError with the event's position: %v", i, s.err)
				}
				// The message names the file and offset.
				if msg := s.err.Error(); !strings.HasPrefix(msg, path+"@") || !strings.Contains(msg, "@"+itoa(s.ev.Pos.Offset)+" ") {
					t.Errorf("slot %d: message %q does not name file and offset", i, msg)
				}
			}
			if got, want := slots[len(slots)-1].ev.Name, "ListBuckets"; got != want {
				t.Errorf("last event %q, want %q", got, want)
			}
		})
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestTruncated(t *testing.T) {
	for _, name := range []string{"truncated.json", "truncated.json.gz"} {
		t.Run(name, func(t *testing.T) {
			f, err := source.Open(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			r := NewReader(f, name, Options{})
			n := 0
			var lastEnd int64
			for {
				ev, err := r.Next()
				if err == nil {
					n++
					lastEnd = ev.Pos.Offset + int64(len(ev.Raw))
					continue
				}
				var re *ReadError
				if !errors.As(err, &re) || !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Fatalf("got %v, want a ReadError wrapping io.ErrUnexpectedEOF", err)
				}
				if !strings.HasPrefix(err.Error(), name+"@") {
					t.Errorf("message %q does not name the file", err)
				}
				break
			}
			if n == 0 {
				t.Error("no events before the truncation")
			}
			if r.Offset() != lastEnd || r.Index() != int64(n) {
				t.Errorf("checkpoint %d/%d, want %d/%d", r.Offset(), r.Index(), lastEnd, n)
			}
		})
	}
}

func TestEdgeCases(t *testing.T) {
	const e = `{"eventTime":"2024-05-01T10:00:00Z","eventName":"X","eventID":"a"}`
	tests := []struct {
		name  string
		in    string
		good  int
		bad   []error
		fatal error
	}{
		{"empty", "", 0, nil, nil},
		{"spaces", " \n\t\r\n", 0, nil, nil},
		{"empty records", `{"Records":[]}`, 0, nil, nil},
		{"empty array", `[ ]`, 0, nil, nil},
		{"bom", "\xef\xbb\xbf" + `{"Records":[` + e + `]}`, 1, nil, nil},
		{"spaced wrapper", "{ \n \"Records\" :\n [\n" + e + " , " + e + "\n]\n}\n", 2, nil, nil},
		{"wrapper with more keys", `{"Records":[` + e + `],"x":{"y":"]}"}}`, 1, nil, nil},
		{"two wrappers", `{"Records":[` + e + `]}` + "\n" + `{"Records":[` + e + `]}`, 2, nil, nil},
		{"two arrays", `[` + e + `][` + e + `]`, 2, nil, nil},
		{"concatenated objects", e + e + " " + e, 3, nil, nil},
		{"pretty objects", "{\n \"eventTime\": \"2024-05-01T10:00:00Z\",\n \"eventName\": \"X\"\n}\n{\n \"eventTime\": \"2024-05-01T10:00:00Z\",\n \"eventName\": \"Y\"\n}\n", 2, nil, nil},
		{"ndjson crlf", e + "\r\n" + e + "\r\n", 2, nil, nil},
		{"trailing comma", `[` + e + `,]`, 1, nil, nil},
		{"not a wrapper", `{"Recordz":[` + e + `]}`, 0, []error{ErrMissingField}, nil},
		{"wrapper not an array", `{"Records":{}}`, 0, []error{ErrMissingField}, nil},
		{"digest file", `{"awsAccountId":"1","digestStartTime":"2024-05-01T10:00:00Z","logFiles":[]}`, 0, []error{ErrMissingField}, nil},
		{"escaped strings", `[{"eventTime":"2024-05-01T10:00:00Z","eventName":"a\"]}\\","x":"\\\\"}]`, 1, nil, nil},
		{"empty eventName", `[{"eventTime":"2024-05-01T10:00:00Z","eventName":""}]`, 0, []error{ErrMissingField}, nil},
		{"garbage after array", `[` + e + "]x\n" + e, 2, []error{ErrBadJSON}, nil},
		{"scalars", `[1, "s", null, true]`, 0, []error{ErrNotObject, ErrNotObject, ErrNotObject, ErrNotObject}, nil},
		{"missing comma", `[` + e + e + `]`, 1, nil, ErrSyntax},
		{"unclosed array", `[` + e, 1, nil, ErrTruncated},
		{"unclosed wrapper", `{"Records":[` + e + `]`, 1, nil, ErrTruncated},
		{"unclosed object", `[` + e[:20], 0, nil, ErrTruncated},
		{"unclosed top object", e[:20], 0, nil, ErrTruncated},
		{"broken last line", e + "\n" + e[:20], 1, nil, ErrTruncated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			slots, fatal := readAll(t, strings.NewReader(tt.in), "in", Options{})
			checkRaw(t, slots, []byte(tt.in))
			good := 0
			var bad []error
			for _, s := range slots {
				if s.err == nil {
					good++
				} else {
					bad = append(bad, s.err)
				}
			}
			if good != tt.good {
				t.Errorf("got %d good events, want %d", good, tt.good)
			}
			if len(bad) != len(tt.bad) {
				t.Errorf("got bad events %v, want %v", bad, tt.bad)
			} else {
				for i := range bad {
					if !errors.Is(bad[i], tt.bad[i]) {
						t.Errorf("bad event %d: got %v, want %v", i, bad[i], tt.bad[i])
					}
				}
			}
			if (fatal == nil) != (tt.fatal == nil) || (fatal != nil && !errors.Is(fatal, tt.fatal)) {
				t.Errorf("fatal: got %v, want %v", fatal, tt.fatal)
			}
		})
	}
}

func TestTooLarge(t *testing.T) {
	big := `{"eventTime":"2024-05-01T10:00:00Z","eventName":"Big","pad":"` + strings.Repeat("x", 300<<10) + `"}`
	e := `{"eventTime":"2024-05-01T10:00:00Z","eventName":"X"}`
	for _, in := range []string{"[" + e + "," + big + "," + e + "]", e + "\n" + big + "\n" + e + "\n"} {
		r := NewReader(strings.NewReader(in), "in", Options{})
		r.max = 100 << 10
		var got []string
		for {
			ev, err := r.Next()
			if err == io.EOF {
				break
			}
			switch {
			case err == nil:
				got = append(got, ev.Name)
			case errors.Is(err, ErrTooLarge):
				got = append(got, "too large")
			default:
				t.Fatal(err)
			}
		}
		if want := "X,too large,X"; strings.Join(got, ",") != want {
			t.Errorf("got %v, want %s", got, want)
		}
		if len(r.win.Buf) > 2*r.max {
			t.Errorf("buffer grew to %d bytes for a %d-byte limit", len(r.win.Buf), r.max)
		}
	}
}

func TestExpand(t *testing.T) {
	got, err := Expand([]string{"testdata/s3", "testdata/records.json", "testdata/s3/AWSLogs/123456789012/CloudTrail-Digest/eu-west-1/2024/05/01/123456789012_CloudTrail-Digest_eu-west-1_trail_eu-west-1_20240501T110000Z.json.gz"})
	if err != nil {
		t.Fatal(err)
	}
	base := "testdata/s3/AWSLogs/123456789012/CloudTrail/"
	want := []string{
		"testdata/records.json",
		base + "eu-west-1/2024/05/01/123456789012_CloudTrail_eu-west-1_20240501T1005Z_AbCdEfeu.json.gz",
		base + "eu-west-1/2024/05/02/123456789012_CloudTrail_eu-west-1_20240502T1005Z_AbCdEfeu.json.gz",
		base + "us-east-1/2024/05/01/123456789012_CloudTrail_us-east-1_20240501T1005Z_AbCdEfus.json.gz",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Every file of the tree reads, in delivery order.
	var names []string
	for _, f := range got[1:] {
		slots, _, fatal := readFile(t, f, Options{})
		if fatal != nil {
			t.Fatal(fatal)
		}
		for _, s := range slots {
			names = append(names, s.ev.Name)
		}
	}
	if got, want := strings.Join(names, ","), "GetObject,PutObject,ListBuckets"; got != want {
		t.Errorf("events %s, want %s", got, want)
	}
	if _, err := Expand([]string{"testdata/nonexistent"}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing path: got %v", err)
	}
}

// TestPrincipalAndValue: the reader takes who made the call and from where,
// and hands over the parsed event.
func TestPrincipalAndValue(t *testing.T) {
	for _, tc := range []struct{ ident, want string }{
		{`{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/r/s","principalId":"AROA:s"}`, "arn:aws:sts::1:assumed-role/r/s"},
		{`{"type":"AWSService","principalId":"AIDA"}`, "AIDA"},
		{`{"type":"Root"}`, "Root"},
	} {
		raw := `{"eventTime":"2024-08-01T13:00:00Z","eventName":"GetObject","sourceIPAddress":"198.51.100.7","userIdentity":` + tc.ident + `}`
		ev, err := NewReader(strings.NewReader(raw), "e.json", Options{}).Next()
		if err != nil {
			t.Fatal(err)
		}
		if ev.Principal != tc.want || ev.SourceIP != "198.51.100.7" || ev.Value == nil || string(ev.Value.GetStringBytes("eventName")) != "GetObject" {
			t.Errorf("%s: principal %q, source %q, value %v", tc.ident, ev.Principal, ev.SourceIP, ev.Value)
		}
	}
}
