package zeek

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-iomt/vigil/internal/ingest/source"
)

// item is one result of Next: a record or a record error.
type item struct {
	rec Record
	err string
}

// readItems reads up to max items (all when max < 0).
func readItems(t *testing.T, r *Reader, max int) []item {
	t.Helper()
	var out []item
	for max < 0 || len(out) < max {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		var re *RecordError
		switch {
		case errors.As(err, &re):
			out = append(out, item{rec: rec, err: re.Error()})
		case err != nil:
			t.Fatalf("after %d items: %v", len(out), err)
		default:
			if rec.Event != nil {
				rec.Event = copyEvent(rec.Event)
			}
			out = append(out, item{rec: rec})
		}
	}
	return out
}

func equalItems(t *testing.T, got, want []item) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d items, want %d", len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.err != w.err || g.rec.Pos != w.rec.Pos || g.rec.Path != w.rec.Path {
			t.Fatalf("item %d: got %+v %q, want %+v %q", i, g.rec.Pos, g.err, w.rec.Pos, w.err)
		}
		if g.rec.Event != nil || w.rec.Event != nil {
			if d := diffEvents(g.rec.Event, w.rec.Event); d != "" {
				t.Fatalf("item %d: %s", i, d)
			}
		}
	}
}

// resumeInput builds a TSV log of three header blocks (the second one with
// other columns in another order), with a bad record and blank lines.
func resumeInput(t *testing.T) []byte {
	conn, err := os.ReadFile("testdata/conn.log") // two blocks
	if err != nil {
		t.Fatal(err)
	}
	dns, err := os.ReadFile("testdata/dns.log")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	b.Write(conn)
	b.WriteString("\n1709280099.000000\tCbad\tnot-an-address\t1\t2\t3\ttcp\t-\t-\t-\t-\t-\t-\t-\t-\n\n")
	b.Write(dns)
	return b.Bytes()
}

func TestReaderResume(t *testing.T) {
	tsv := resumeInput(t)
	jsonConn, err := os.ReadFile("testdata/conn.json")
	if err != nil {
		t.Fatal(err)
	}
	jsonDNS, err := os.ReadFile("testdata/dns.json")
	if err != nil {
		t.Fatal(err)
	}
	jsonData := append(append(bytes.Clone(jsonConn), "{broken\n"...), jsonDNS...)
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		data []byte
		gz   bool
	}{
		{"tsv", tsv, false},
		{"tsv gzip", tsv, true},
		{"json", jsonData, false},
		{"json gzip", jsonData, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_"))
			data := tc.data
			if tc.gz {
				data = gzipBytes(t, data)
			}
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			open := func(opts Options) (*Reader, func()) {
				f, err := source.Open(path)
				if err != nil {
					t.Fatal(err)
				}
				return NewReader(f, "mixed.log", opts), func() { f.Close() }
			}
			r, done := open(Options{})
			all := readItems(t, r, -1)
			done()
			if len(all) < 8 {
				t.Fatalf("only %d items", len(all))
			}
			for k := 0; k <= len(all); k++ {
				r, done := open(Options{})
				readItems(t, r, k)
				off, line := r.Offset(), r.Line()
				done()
				r2, done2 := open(Options{StartOffset: off, StartLine: line})
				rest := readItems(t, r2, -1)
				done2()
				equalItems(t, rest, all[k:])
				// Resuming at the end of a resumed read finds nothing more.
				if k == len(all) && len(rest) != 0 {
					t.Errorf("resume at the end: %d items", len(rest))
				}
			}
		})
	}
}

// TestReaderResumeMidRecord: an offset inside a record skips that record.
func TestReaderResumeMidRecord(t *testing.T) {
	data, err := os.ReadFile("testdata/conn.log")
	if err != nil {
		t.Fatal(err)
	}
	all := readItems(t, NewReader(bytes.NewReader(data), "conn.log", Options{}), -1)
	mid := all[1].rec.Pos.Offset + 3
	rest := readItems(t, NewReader(bytes.NewReader(data), "conn.log", Options{StartOffset: mid}), -1)
	equalItems(t, rest, all[2:])
}

func TestReaderResumeMismatch(t *testing.T) {
	data, err := os.ReadFile("testdata/conn.log")
	if err != nil {
		t.Fatal(err)
	}
	r := NewReader(bytes.NewReader(data), "conn.log", Options{})
	readItems(t, r, 2)
	off, line := r.Offset(), r.Line()
	tests := []struct {
		name string
		opts Options
	}{
		{"line count differs", Options{StartOffset: off, StartLine: line + 1}},
		{"stream shorter", Options{StartOffset: int64(len(data)) + 10, StartLine: 3}},
		{"end, line count differs", Options{StartOffset: int64(len(data)), StartLine: 5}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewReader(bytes.NewReader(data), "conn.log", tc.opts).Next()
			var re *ReadError
			if !errors.Is(err, ErrResumeMismatch) || !errors.As(err, &re) {
				t.Errorf("got %v, want ErrResumeMismatch", err)
			}
		})
	}
	// A good resume point passes the check.
	if _, err := NewReader(bytes.NewReader(data), "conn.log", Options{StartOffset: off, StartLine: line}).Next(); err != nil {
		t.Errorf("good resume: %v", err)
	}
}

func TestOpenPlainAndGzip(t *testing.T) {
	data, err := os.ReadFile("testdata/dns.log")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(data)
	zw.Close()
	for name, content := range map[string][]byte{
		"plain.log.gz": data,        // a name that lies: plain
		"dns.log":      gz.Bytes(),  // gzip without .gz
		"empty.log":    {},          // nothing
		"one.log":      []byte("#"), // shorter than the magic
	} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, content, 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := source.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(f)
		f.Close()
		want := content
		if name == "dns.log" {
			want = data
		}
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: %v, %d bytes, want %d", name, err, len(got), len(want))
		}
	}
	if _, err := source.Open(filepath.Join(dir, "missing")); err == nil {
		t.Error("Open of a missing file: no error")
	}
}
