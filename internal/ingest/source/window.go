package source

import (
	"errors"
	"io"
)

// Window is the read buffer of a streaming parser (the Zeek and CloudTrail
// readers): Buf[R:W] holds the bytes read from the stream that the parser
// still needs, and Base is the stream offset of Buf[0]. Fill reads more,
// making room first, so that memory stays bounded by what the parser holds.
type Window struct {
	Buf  []byte
	R, W int
	Base int64
	// EOF is set once the stream has ended. Err holds a read error, or
	// io.ErrNoProgress after 100 reads in a row returned nothing.
	EOF bool
	Err error

	src     io.Reader
	step    int // the first size, and the growth beyond a Fill's limit
	empties int
}

// NewWindow returns a Window over src with a buffer of size bytes.
func NewWindow(src io.Reader, size int) Window {
	return Window{Buf: make([]byte, size), src: src, step: size}
}

// Fill reads once from the stream into Buf after W. First, when R > 0 and
// Buf is full or R is past its middle, it moves Buf[R:W] to the front
// (adjusting R, W and Base) and returns how far: a parser that keeps other
// positions in Buf moves them back by as much. When Buf is still full, it
// grows: it doubles up to limit (the most a parser means to hold, plus
// room), and beyond limit grows by the first size at a time.
func (w *Window) Fill(limit int) (shift int) {
	if w.R > 0 && (w.W == len(w.Buf) || w.R >= len(w.Buf)/2) {
		shift = w.R
		w.W = copy(w.Buf, w.Buf[w.R:w.W])
		w.Base += int64(shift)
		w.R = 0
	}
	if w.W == len(w.Buf) {
		size := min(2*len(w.Buf), limit)
		if size <= len(w.Buf) {
			size = len(w.Buf) + w.step
		}
		nb := make([]byte, size)
		copy(nb, w.Buf[:w.W])
		w.Buf = nb
	}
	n, err := w.src.Read(w.Buf[w.W:])
	if n < 0 || n > len(w.Buf)-w.W {
		w.Err = errors.New("invalid read count")
		return shift
	}
	w.W += n
	switch {
	case err == io.EOF:
		w.EOF = true
	case err != nil:
		w.Err = err
	case n == 0:
		w.empties++
		if w.empties > 100 {
			w.Err = io.ErrNoProgress
		}
	default:
		w.empties = 0
	}
	return shift
}
