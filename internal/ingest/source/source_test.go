package source

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func write(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func gz(data []byte) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write(data)
	w.Close()
	return b.Bytes()
}

func TestOpenDetectsGzipByContent(t *testing.T) {
	dir := t.TempDir()
	content := []byte(strings.Repeat("#fields\tts\n1.0\n", 1000))
	for _, tt := range []struct {
		name       string
		data       []byte
		compressed bool
	}{
		{"plain.log", content, false},
		{"compressed-without-suffix.log", gz(content), true},
		{"plain-with-gz-suffix.log.gz", content, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, tt.name)
			write(t, path, tt.data)
			f, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			got, err := io.ReadAll(f)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, content) || f.Compressed != tt.compressed {
				t.Errorf("read %d bytes compressed=%v, want %d bytes compressed=%v", len(got), f.Compressed, len(content), tt.compressed)
			}
			if f.RawRead() != int64(len(tt.data)) {
				t.Errorf("RawRead %d, want %d", f.RawRead(), len(tt.data))
			}
		})
	}
}

func TestCorruptGzipFailsOnRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.log.gz")
	data := gz([]byte(strings.Repeat("some line of text\n", 5000)))
	write(t, path, data[:len(data)/2])
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := io.ReadAll(f); err == nil {
		t.Error("reading a truncated gzip gave no error")
	}
}

func TestHeadAndHash(t *testing.T) {
	dir := t.TempDir()
	long := bytes.Repeat([]byte("x"), 10000)
	write(t, filepath.Join(dir, "long"), long)
	write(t, filepath.Join(dir, "long.gz"), gz(long))
	write(t, filepath.Join(dir, "short"), []byte("abc"))
	h1, err := Head(filepath.Join(dir, "long"))
	if err != nil || len(h1) != HeadSize {
		t.Fatalf("head %d bytes, %v", len(h1), err)
	}
	h2, _ := Head(filepath.Join(dir, "long.gz"))
	if HashHead(h1, len(h1)) != HashHead(h2, len(h2)) {
		t.Error("a file and its gzip copy hash differently")
	}
	h3, _ := Head(filepath.Join(dir, "short"))
	if string(h3) != "abc" {
		t.Errorf("short head %q", h3)
	}
	if _, err := Head(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing file: no error")
	}
}

func TestExpand(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"b/conn.log", "a/dns.log.gz", "a/README.md", ".hidden/x.log", "a/.y.log", "z.log"} {
		write(t, filepath.Join(dir, p), []byte("x"))
	}
	keep := func(name string) bool { return strings.Contains(name, ".log") }
	got, err := Expand([]string{dir, filepath.Join(dir, "z.log"), filepath.Join(dir, "a", "README.md")}, keep)
	if err != nil {
		t.Fatal(err)
	}
	var rel []string
	for _, p := range got {
		r, _ := filepath.Rel(dir, p)
		rel = append(rel, r)
	}
	want := []string{"a/README.md", "a/dns.log.gz", "b/conn.log", "z.log"}
	if !slices.Equal(rel, want) {
		t.Errorf("Expand = %v, want %v (named files kept, hidden skipped, sorted, no duplicates)", rel, want)
	}
	if _, err := Expand([]string{filepath.Join(dir, "nope")}, keep); err == nil {
		t.Error("missing path: no error")
	}
}
