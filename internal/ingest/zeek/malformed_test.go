package zeek

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-iomt/vigil/internal/ingest/source"
)

const connHeader = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n" +
	"#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\n" +
	"#types\ttime\tstring\taddr\tport\taddr\tport\tenum\n" // 7 lines

func connLine(fields ...string) string { return strings.Join(fields, "\t") + "\n" }

var good = connLine("1709280000.000001", "Cgood", "10.0.0.1", "1234", "10.0.0.2", "104", "tcp")

type wantErr struct {
	line int64
	is   error  // errors.Is target
	msg  string // the whole Error() text, when set
}

func TestReaderMalformed(t *testing.T) {
	tests := []struct {
		name      string
		file      string
		input     string
		wantLines []int64 // lines of the records that come out
		wantErrs  []wantErr
	}{
		{
			name: "wrong field count",
			file: "conn.log",
			input: connHeader + good +
				connLine("1709280000.1", "C1", "10.0.0.1", "1", "10.0.0.2", "2") + // 6
				good +
				connLine("1709280000.1", "C1", "10.0.0.1", "1", "10.0.0.2", "2", "tcp", "x", "y") + // 9
				good,
			wantLines: []int64{8, 10, 12},
			wantErrs: []wantErr{
				{line: 9, is: ErrFieldCount, msg: "conn.log:9: wrong field count: 6, want 7"},
				{line: 11, is: ErrFieldCount, msg: "conn.log:11: wrong field count: 9, want 7"},
			},
		},
		{
			name: "bad and missing timestamps",
			file: "conn.log",
			input: connHeader +
				connLine("abc", "C1", "10.0.0.1", "1", "10.0.0.2", "2", "tcp") +
				connLine("-", "C1", "10.0.0.1", "1", "10.0.0.2", "2", "tcp") +
				connLine("1709280000.1.2", "C1", "10.0.0.1", "1", "10.0.0.2", "2", "tcp") +
				connLine("1e999", "C1", "10.0.0.1", "1", "10.0.0.2", "2", "tcp") +
				good,
			wantLines: []int64{12},
			wantErrs: []wantErr{
				{line: 8, is: ErrBadValue, msg: `conn.log:8: ts: bad time "abc"`},
				{line: 9, is: ErrMissingTS},
				{line: 10, is: ErrBadValue},
				{line: 11, is: ErrBadValue},
			},
		},
		{
			name: "bad addresses and ports",
			file: "conn.log",
			input: connHeader +
				connLine("1", "C1", "10.0.0.256", "1", "10.0.0.2", "2", "tcp") +
				connLine("1", "C1", "10.0.0", "1", "10.0.0.2", "2", "tcp") +
				connLine("1", "C1", "10.0.0.1", "1", "fe80::1%eth0", "2", "tcp") +
				connLine("1", "C1", "10.0.0.1", "70000", "10.0.0.2", "2", "tcp") +
				connLine("1", "C1", "10.0.0.1", "1", "10.0.0.2", "-5", "tcp") +
				connLine("1", "C1", "010.0.0.1", "1", "10.0.0.2", "2", "tcp") +
				good,
			wantLines: []int64{14},
			wantErrs: []wantErr{
				{line: 8, is: ErrBadValue, msg: `conn.log:8: id.orig_h: bad address "10.0.0.256"`},
				{line: 9, is: ErrBadValue},
				{line: 10, is: ErrBadValue, msg: `conn.log:10: id.resp_h: bad address "fe80::1%eth0"`},
				{line: 11, is: ErrBadValue, msg: `conn.log:11: id.orig_p: bad port "70000"`},
				{line: 12, is: ErrBadValue},
				{line: 13, is: ErrBadValue},
			},
		},
		{
			name: "binary garbage",
			file: "conn.log",
			input: connHeader + good + "\x00\x01\x02\xff\xfe\t\x1f\x8b\x08\n" + "\xff\xd8\xff\xe0garbage\n" + good +
				"\x89PNG\r\n\x1a\n" + good,
			wantLines: []int64{8, 11, 14},
			wantErrs: []wantErr{
				{line: 9, is: ErrFieldCount},
				{line: 10, is: ErrFieldCount},
				{line: 12, is: ErrFieldCount},
				{line: 13, is: ErrFieldCount},
			},
		},
		{
			name:      "truncated last line that does not parse",
			file:      "conn.log",
			input:     connHeader + good + "1709280000.5\tCtrunc\t10.0.",
			wantLines: []int64{8},
			wantErrs:  []wantErr{{line: 9, is: ErrFieldCount}},
		},
		{
			name:      "last line without newline that parses",
			file:      "conn.log",
			input:     connHeader + good + strings.TrimSuffix(good, "\n"),
			wantLines: []int64{8, 9},
		},
		{
			name:      "record before #fields",
			file:      "conn.log",
			input:     "#separator \\x09\n#path\tconn\n" + good + "#fields\tts\n#types\ttime\n1\n",
			wantLines: []int64{6},
			wantErrs:  []wantErr{{line: 3, is: ErrNoHeader}},
		},
		{
			name:      "unusable separator",
			file:      "conn.log",
			input:     "#separator \\x09\\x09\n#fields\tts\n1\n" + connHeader + good,
			wantLines: []int64{11},
			wantErrs:  []wantErr{{line: 1, is: ErrBadHeader}, {line: 2, is: ErrBadHeader}, {line: 3, is: ErrNoHeader}},
		},
		{
			name: "unmodeled log: ts validated when present",
			file: "weird.log",
			input: "#separator \\x09\n#path\tweird\n#fields\tts\tname\n#types\ttime\tstring\n" +
				"1.5\tx\nsoon\ty\n-\tz\n1\ta\tb\n",
			wantLines: []int64{5, 7},
			wantErrs:  []wantErr{{line: 6, is: ErrBadValue}, {line: 8, is: ErrFieldCount}},
		},
		{
			name:      "unmodeled log without ts",
			file:      "loaded_scripts.log",
			input:     "#separator \\x09\n#path\tloaded_scripts\n#fields\tname\n#types\tstring\n/a.zeek\n  /b.zeek\n",
			wantLines: []int64{5, 6},
		},
		{
			name:      "garbage before the format is known",
			file:      "conn.log",
			input:     "\x00\x01garbage\n\n" + connHeader + good,
			wantLines: []int64{10},
			wantErrs:  []wantErr{{line: 1, is: ErrFormat}},
		},
		{
			name: "json",
			file: "conn.json",
			input: `{"ts":1,"uid":"C1","id.orig_h":"10.0.0.1"}` + "\n" +
				`{"ts":1,"uid":"C1","id.orig_h":"10.0.0.1"` + "\n" + // unterminated
				`[1,2]` + "\n" +
				`{"ts":true,"uid":"C1"}` + "\n" +
				`{"uid":"C1"}` + "\n" +
				`{"ts":1,"id.orig_h":"10.0.0.300"}` + "\n" +
				`{"ts":1,"id.orig_p":65536}` + "\n" +
				`{"ts":1,"id.orig_p":"80"}` + "\n" + // a port as a string is accepted
				"\x00\x01\x02\xff\n" +
				`{"ts":"2018-03-24T17:15:20.600843Z","orig_bytes":-1}` + "\n" +
				`{"ts":"2018-02-31T17:15:20Z"}` + "\n" +
				`{"ts":1} trailing` + "\n" +
				`{"ts":1,"uid":"last"}`,
			wantLines: []int64{1, 8, 13},
			wantErrs: []wantErr{
				{line: 2, is: ErrBadJSON},
				{line: 3, is: ErrBadJSON},
				{line: 4, is: ErrBadValue, msg: `conn.json:4: ts: bad time "true"`},
				{line: 5, is: ErrMissingTS},
				{line: 6, is: ErrBadValue},
				{line: 7, is: ErrBadValue},
				{line: 9, is: ErrBadJSON},
				{line: 10, is: ErrBadValue},
				{line: 11, is: ErrBadValue},
				{line: 12, is: ErrBadJSON},
			},
		},
		{
			name:      "json truncated last line",
			file:      "conn.json",
			input:     `{"ts":1,"uid":"C1"}` + "\n" + `{"ts":2,"uid":"C`,
			wantLines: []int64{1},
			wantErrs:  []wantErr{{line: 2, is: ErrBadJSON}},
		},
		{
			name:      "json unmodeled: ts validated",
			file:      "notice.json",
			input:     `{"ts":1,"note":"x"}` + "\n" + `{"ts":"x"}` + "\n" + `{"note":"no ts"}` + "\n",
			wantLines: []int64{1, 3},
			wantErrs:  []wantErr{{line: 2, is: ErrBadValue}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := readAll(t, NewReader(strings.NewReader(tc.input), tc.file, Options{}))
			if res.fatal != nil {
				t.Fatalf("fatal: %v", res.fatal)
			}
			checkPositions(t, []byte(tc.input), tc.file, res.recs, res.bad)
			var gotLines []int64
			for _, r := range res.recs {
				gotLines = append(gotLines, r.Pos.Line)
			}
			if !equalLines(gotLines, tc.wantLines) {
				t.Errorf("records at lines %v, want %v", gotLines, tc.wantLines)
			}
			if len(res.bad) != len(tc.wantErrs) {
				t.Fatalf("got %d errors %v, want %d", len(res.bad), res.bad, len(tc.wantErrs))
			}
			for i, w := range tc.wantErrs {
				got := res.bad[i]
				if got.Pos.Line != w.line || !errors.Is(got, w.is) {
					t.Errorf("error %d: %v (line %d), want line %d, %v", i, got, got.Pos.Line, w.line, w.is)
				}
				if w.msg != "" && got.Error() != w.msg {
					t.Errorf("error %d: %q, want %q", i, got.Error(), w.msg)
				}
			}
		})
	}
}

func equalLines(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func gzipBytes(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestReaderCorruptGzip reads damaged gzip files through Open: the records
// before the damage come out, then a ReadError that carries the position
// reached.
func TestReaderCorruptGzip(t *testing.T) {
	plain := genConnLog(t, 5000, TSV)
	gz := gzipBytes(t, plain)
	full := readAll(t, NewReader(bytes.NewReader(plain), "conn.log", Options{}))
	if full.fatal != nil || len(full.bad) > 0 || len(full.recs) != 5000 {
		t.Fatalf("clean read: %v %v %d", full.fatal, full.bad, len(full.recs))
	}
	flip := func(at int) []byte {
		b := bytes.Clone(gz)
		for i := at; i < at+16 && i < len(b); i++ {
			b[i] ^= 0x5a
		}
		return b
	}
	tests := []struct {
		name      string
		data      []byte
		wantAny   []error // the ReadError wraps one of these
		wantFirst bool    // the error comes before any record
	}{
		{"truncated in the middle", gz[:len(gz)/2], []error{io.ErrUnexpectedEOF}, false},
		{"truncated trailer", gz[:len(gz)-4], []error{io.ErrUnexpectedEOF}, false},
		{"flipped bytes", flip(len(gz) / 2), []error{gzip.ErrChecksum, io.ErrUnexpectedEOF, new(flate.CorruptInputError)}, false},
		{"flipped checksum", flip(len(gz) - 8), []error{gzip.ErrChecksum}, false},
		{"bad header", append([]byte{0x1f, 0x8b, 0x09}, gz[3:]...), []error{gzip.ErrHeader}, true},
		{"magic only", []byte{0x1f, 0x8b}, []error{io.ErrUnexpectedEOF}, true},
	}
	dir := t.TempDir()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// The extension says nothing: gzip is detected by its magic.
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".log")
			if err := os.WriteFile(path, tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			f, err := source.Open(path)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer f.Close()
			r := NewReader(f, "conn.log.gz", Options{})
			res := readAll(t, r)
			var re *ReadError
			if !errors.As(res.fatal, &re) {
				t.Fatalf("got %v, want a *ReadError", res.fatal)
			}
			matched := false
			for _, w := range tc.wantAny {
				var ce *flate.CorruptInputError
				if errors.Is(re, w) || (errors.As(w, &ce) && errors.As(re, &ce)) {
					matched = true
				}
			}
			if !matched {
				t.Errorf("error %v, want one of %v", re, tc.wantAny)
			}
			if re.Pos.File != "conn.log.gz" || re.Pos.Line != r.Line()+1 || re.Pos.Offset != r.Offset() {
				t.Errorf("error position %+v, want line %d offset %d", re.Pos, r.Line()+1, r.Offset())
			}
			if !strings.Contains(re.Error(), "conn.log.gz:") {
				t.Errorf("message %q does not name the file", re.Error())
			}
			if tc.wantFirst && (len(res.recs) > 0 || re.Pos.Line != 1) {
				t.Errorf("%d records before the error at %v", len(res.recs), re.Pos)
			}
			// Whatever came out before the damage is exactly the start of
			// the file (gzip's checksum is checked only at the end, so
			// flipped bytes may yield RecordErrors first).
			if len(res.bad) == 0 {
				for i, rec := range res.recs {
					if d := diffEvents(rec.Event, full.recs[i].Event); d != "" || rec.Pos.Line != full.recs[i].Pos.Line || rec.Pos.Offset != full.recs[i].Pos.Offset {
						t.Fatalf("record %d differs from the clean read: %s", i, d)
					}
				}
			}
			// The error is sticky.
			if _, err := r.Next(); err != res.fatal {
				t.Errorf("next call: %v, want the same error", err)
			}
		})
	}

	// A gzip stream of several members (concatenated .gz files) reads as one.
	two := append(gzipBytes(t, plain[:len(plain)/2]), gzipBytes(t, plain[len(plain)/2:])...)
	path := filepath.Join(dir, "two.gz")
	if err := os.WriteFile(path, two, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := source.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res := readAll(t, NewReader(f, "conn.log", Options{}))
	// The members split a line in two; the stream joins it back.
	if res.fatal != nil || len(res.bad) != 0 || len(res.recs) != 5000 {
		t.Errorf("multi-member gzip: fatal %v, %d bad, %d records", res.fatal, len(res.bad), len(res.recs))
	}
}

// failingReader returns data, then err.
type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func TestReaderReadError(t *testing.T) {
	boom := errors.New("disk on fire")
	input := connHeader + good + good + "1709280000.5\tCpart"
	r := NewReader(&failingReader{data: []byte(input), err: boom}, "conn.log", Options{})
	res := readAll(t, r)
	var re *ReadError
	if !errors.As(res.fatal, &re) || !errors.Is(res.fatal, boom) {
		t.Fatalf("got %v", res.fatal)
	}
	off := len(connHeader) + 2*len(good)
	if len(res.recs) != 2 || re.Pos.Line != 10 || re.Pos.Offset != int64(off) {
		t.Errorf("%d records, error at %+v", len(res.recs), re.Pos)
	}
	if want := fmt.Sprintf("conn.log:10 (offset %d): disk on fire", off); re.Error() != want {
		t.Errorf("%q, want %q", re.Error(), want)
	}
}
