// Package source opens input files for the ingest formats: it
// decompresses gzip transparently (detected by its magic bytes, not by the
// file name), counts the raw bytes read for progress reporting, identifies
// a file by a hash of its first decompressed bytes, and expands folders
// into the files they hold.
//
// It knows nothing of any log format; the per-format packages parse.
package source

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/klauspost/compress/gzip"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
)

// HeadSize is how many leading decompressed bytes identify a file.
const HeadSize = 4096

// File is an opened input: Read yields decompressed content.
type File struct {
	Path string
	// Size is the size of the file on disk (compressed size for gzip).
	Size int64
	// Compressed reports whether the content is gzip.
	Compressed bool

	raw     *os.File
	counter *countingReader
	r       io.Reader
	gz      *gzipStream
	replay  []byte // head bytes read by Head, served again by Read
}

type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// Open opens path for reading. Errors of a corrupt or truncated gzip
// stream, including a bad header, surface from Read.
func Open(path string) (*File, error) {
	raw, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := raw.Stat()
	if err != nil {
		raw.Close()
		return nil, err
	}
	if st.IsDir() {
		raw.Close()
		return nil, fmt.Errorf("%s: is a directory", path)
	}
	f := &File{Path: path, Size: st.Size(), raw: raw, counter: &countingReader{r: raw}}
	br := bufio.NewReaderSize(f.counter, 64<<10)
	magic, _ := br.Peek(2)
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		f.gz, f.Compressed = &gzipStream{br: br}, true
		f.r = f.gz
	} else {
		f.r = br
	}
	return f, nil
}

// gzipStream decompresses lazily, so that even an unreadable gzip header
// is an error of Read, which readers report with the position reached.
type gzipStream struct {
	br  *bufio.Reader
	zr  *gzip.Reader
	err error
}

func (g *gzipStream) Read(p []byte) (int, error) {
	if g.zr == nil {
		if g.err != nil {
			return 0, g.err
		}
		zr, err := gzip.NewReader(g.br)
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			g.err = fmt.Errorf("gzip header: %w", err)
			return 0, g.err
		}
		zr.Multistream(true)
		g.zr = zr
	}
	return g.zr.Read(p)
}

// Read reads decompressed content.
func (f *File) Read(p []byte) (int, error) {
	if len(f.replay) > 0 {
		n := copy(p, f.replay)
		f.replay = f.replay[n:]
		return n, nil
	}
	return f.r.Read(p)
}

// RawRead returns how many bytes of the file on disk have been read.
func (f *File) RawRead() int64 { return f.counter.n.Load() }

// Close closes the file.
func (f *File) Close() error {
	if f.gz != nil && f.gz.zr != nil {
		f.gz.zr.Close()
	}
	return f.raw.Close()
}

// Head returns up to HeadSize leading decompressed bytes of the file,
// which identify it. It must be called before Read; Read then returns these
// bytes again, so the file is opened and decompressed only once. A stream
// that breaks within its first bytes still has a head if some came out.
func (f *File) Head() ([]byte, error) {
	buf := make([]byte, HeadSize)
	n, err := io.ReadFull(f.r, buf)
	// ReadFull returns io.EOF or io.ErrUnexpectedEOF itself, unwrapped, for
	// a file shorter than the head; a wrapped one comes from the stream (a
	// truncated gzip header) and is a real error.
	short := err == io.EOF || err == io.ErrUnexpectedEOF
	if err != nil && !short && n == 0 {
		return nil, fmt.Errorf("%s: %w", f.Path, err)
	}
	f.replay = buf[:n]
	return f.replay, nil
}

// HashHead returns the hex SHA-256 of the first n bytes of head
// (n ≤ len(head)).
func HashHead(head []byte, n int) string {
	sum := sha256.Sum256(head[:n])
	return hex.EncodeToString(sum[:])
}

// Expand turns the given paths into a sorted list of files: a file stands
// for itself; a folder stands for every file under it that keep accepts
// (by base name). Hidden files and folders are skipped.
func Expand(paths []string, keep func(name string) bool) ([]string, error) {
	var out []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			name := d.Name()
			if path != p && len(name) > 0 && name[0] == '.' {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.Type().IsRegular() && keep(name) {
				out = append(out, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}
