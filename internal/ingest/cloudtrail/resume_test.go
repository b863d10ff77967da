package cloudtrail

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/vigil-iomt/vigil/internal/ingest/source"
)

// decompressed returns a fixture's decompressed content.
func decompressed(t testing.TB, path string) []byte {
	t.Helper()
	f, err := source.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) { // a truncated gzip yields what it has
		t.Fatal(err)
	}
	return b
}

// checkResume reads data whole, then for every k reads k events, resumes a
// new Reader from the checkpoint and checks that the two parts are the
// whole, each event exactly once.
func checkResume(t testing.TB, data []byte) {
	t.Helper()
	whole, wholeFatal := readAll(t, bytes.NewReader(data), "f", Options{})
	for k := 0; k <= len(whole); k++ {
		r := NewReader(bytes.NewReader(data), "f", Options{})
		var got []slot
		for range k {
			ev, err := r.Next()
			ev.Value, ev.Raw = nil, bytes.Clone(ev.Raw)
			got = append(got, slot{ev, err})
		}
		rest, fatal := readAll(t, bytes.NewReader(data), "f", Options{StartOffset: r.Offset(), StartIndex: r.Index()})
		got = append(got, rest...)
		if !reflect.DeepEqual(got, whole) {
			t.Fatalf("resume after %d events (offset %d, index %d): got %d events, want %d", k, r.Offset(), r.Index(), len(got), len(whole))
		}
		if (fatal == nil) != (wholeFatal == nil) {
			t.Fatalf("resume after %d events: fatal %v, want %v", k, fatal, wholeFatal)
		}
	}
}

func TestResume(t *testing.T) {
	files, err := filepath.Glob("testdata/*.*")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			checkResume(t, decompressed(t, f))
		})
	}
	t.Run("generated", func(t *testing.T) {
		var buf bytes.Buffer
		g := newGenerator(1)
		buf.WriteString(`{"Records":[`)
		for i := range 2000 {
			if i > 0 {
				buf.WriteByte(',')
			}
			buf.Write(g.next())
		}
		buf.WriteString(`]}`)
		data := buf.Bytes()
		whole, _ := readAll(t, bytes.NewReader(data), "f", Options{})
		if len(whole) != 2000 {
			t.Fatalf("got %d events, want 2000", len(whole))
		}
		// Read half, resume, get the rest exactly once.
		r := NewReader(bytes.NewReader(data), "f", Options{})
		for range 1000 {
			if _, err := r.Next(); err != nil {
				t.Fatal(err)
			}
		}
		rest, fatal := readAll(t, bytes.NewReader(data), "f", Options{StartOffset: r.Offset(), StartIndex: r.Index()})
		if fatal != nil || !reflect.DeepEqual(rest, whole[1000:]) {
			t.Fatalf("resumed read differs from the second half (%d events, %v)", len(rest), fatal)
		}
		if rest[0].ev.Pos.Index != 1000 {
			t.Errorf("first resumed index %d, want 1000", rest[0].ev.Pos.Index)
		}
	})
}

func TestResumeMismatch(t *testing.T) {
	data, err := os.ReadFile("testdata/array.json")
	if err != nil {
		t.Fatal(err)
	}
	r := NewReader(bytes.NewReader(data), "f", Options{})
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		opts Options
	}{
		{"wrong index", Options{StartOffset: r.Offset(), StartIndex: r.Index() + 1}},
		{"past the end", Options{StartOffset: int64(len(data)) + 1}},
		{"wrong index at the end", Options{StartOffset: int64(len(data)), StartIndex: 7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, fatal := readAll(t, bytes.NewReader(data), "f", tt.opts)
			if !errors.Is(fatal, ErrResumeMismatch) {
				t.Errorf("got %v, want ErrResumeMismatch", fatal)
			}
		})
	}
	// A checkpoint at the end reads nothing more.
	full := NewReader(bytes.NewReader(data), "f", Options{})
	for {
		if _, err := full.Next(); err == io.EOF {
			break
		}
	}
	rest, fatal := readAll(t, bytes.NewReader(data), "f", Options{StartOffset: full.Offset(), StartIndex: full.Index()})
	if len(rest) != 0 || fatal != nil {
		t.Errorf("resume at the end: %d events, %v", len(rest), fatal)
	}
}
