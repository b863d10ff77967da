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
	long := bytes.Repeat([]byte("0123456789"), 1000)
	write(t, filepath.Join(dir, "long"), long)
	write(t, filepath.Join(dir, "long.gz"), gz(long))
	write(t, filepath.Join(dir, "short"), []byte("abc"))
	head := func(name string) ([]byte, []byte) {
		f, err := Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		h, err := f.Head()
		if err != nil {
			t.Fatal(err)
		}
		h = bytes.Clone(h)
		all, err := io.ReadAll(f)
		if err != nil {
			t.Fatal(err)
		}
		return h, all
	}
	h1, all1 := head("long")
	if len(h1) != HeadSize || !bytes.Equal(all1, long) {
		t.Fatalf("head %d bytes, then %d bytes read; want %d and the whole file again", len(h1), len(all1), HeadSize)
	}
	h2, all2 := head("long.gz")
	if HashHead(h1, len(h1)) != HashHead(h2, len(h2)) || !bytes.Equal(all2, long) {
		t.Error("a file and its gzip copy differ in head or content")
	}
	if h3, all3 := head("short"); string(h3) != "abc" || string(all3) != "abc" {
		t.Errorf("short head %q, content %q", h3, all3)
	}
	bad := filepath.Join(dir, "bad.gz")
	write(t, bad, []byte{0x1f, 0x8b, 0x09})
	f, err := Open(bad)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Head(); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("bad gzip header: head error %v, want one naming the file", err)
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
