package zeek

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"os"
)

// Open opens a log file for a Reader, gunzipping it transparently when it
// starts with the gzip magic bytes (whatever its name). Errors of a corrupt
// or truncated gzip stream, including a bad gzip header, surface from Read,
// so that the Reader reports them with the position reached.
func Open(path string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(f, 64<<10)
	magic, _ := br.Peek(2)
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		return &gzipFile{f: f, br: br}, nil
	}
	return &plainFile{f: f, br: br}, nil
}

type plainFile struct {
	f  *os.File
	br *bufio.Reader
}

func (p *plainFile) Read(b []byte) (int, error) { return p.br.Read(b) }
func (p *plainFile) Close() error               { return p.f.Close() }

type gzipFile struct {
	f   *os.File
	br  *bufio.Reader
	zr  *gzip.Reader
	err error
}

func (g *gzipFile) Read(b []byte) (int, error) {
	if g.zr == nil {
		if g.err != nil {
			return 0, g.err
		}
		zr, err := gzip.NewReader(g.br)
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			g.err = fmt.Errorf("gzip header: %w", err)
			return 0, g.err
		}
		g.zr = zr
	}
	return g.zr.Read(b)
}

func (g *gzipFile) Close() error { return g.f.Close() }
