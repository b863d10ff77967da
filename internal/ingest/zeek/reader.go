// Package zeek reads and writes Zeek logs: a streaming Reader that turns
// Zeek TSV ("ASCII") and JSON logs into Vigil's normalized events with exact
// source positions and resumable offsets, a Writer that produces logs Zeek
// tools accept, and Cut, a zeek-cut work-alike.
//
// It owns the Zeek log formats and nothing else: it does not open folders,
// keep checkpoints, count or log rejected records, or interpret events;
// callers do. It never panics on bad input: a bad record is a *RecordError
// and the stream goes on.
package zeek

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/valyala/fastjson"

	"github.com/vigil-iomt/vigil/internal/event"
	"github.com/vigil-iomt/vigil/internal/ingest/source"
)

// Options tune a Reader.
type Options struct {
	// Path is the log type ("conn", "dhcp", ...) when the caller knows it;
	// otherwise the reader takes it from the TSV #path header, the JSON
	// "_path" field, or the file name (base name up to the first '.', e.g.
	// "conn.log", "conn.04:00:00-05:00:00.log.gz", "dns.json.gz",
	// "conn.log.labeled").
	Path string
	// StartOffset: records that begin before this decompressed byte offset
	// are skipped (but TSV header lines before it ARE processed, so that
	// resuming mid-file knows the columns). StartLine is the line count at
	// StartOffset. Pass the values of Offset and Line from an earlier Reader
	// over the same stream.
	//
	// The Reader still reads the stream from its first byte; it counts lines
	// itself and uses StartLine only as a check: when the line count at
	// StartOffset differs, or the stream ends before StartOffset, Next
	// returns an error wrapping ErrResumeMismatch (the file was replaced or
	// truncated). StartLine 0 disables the check.
	StartOffset int64
	StartLine   int64
	// HoldIncomplete makes a last line without its newline count as not yet
	// written: Next returns io.EOF before it, Offset stays at its start and
	// HeldBack reports it. Set it when reading a log that may still be
	// growing, so that a checkpoint never lands inside a half-written line.
	HoldIncomplete bool
}

// Record is one log record.
type Record struct {
	Path string         // log type
	Pos  event.Position // file, 1-based line, decompressed byte offset of the record's first byte
	// Event is the normalized event, nil for log types Vigil does not model
	// (weird, notice, http, ...): those are still parsed and validated
	// (field count, ts) and returned.
	//
	// The Event (the struct it points to) is reused by the next call to
	// Next: copy the struct (a shallow copy is enough) to keep it. Strings,
	// slices and MAC addresses inside it are never reused and stay valid.
	//
	// Software.Version joins the version columns: the set numeric
	// components (major, minor, minor2, minor3) joined with '.', then
	// "-" and version.addl when set; addl alone when no numeric component
	// is set ("2.4.1", "7.5", "8.0-p1", "beta"). This is Zeek's
	// software_fmt_version except that Zeek prints "0" for an unset major.
	//
	// Unset and empty values are zero values (nil for slices). A set or
	// vector of strings holding only the empty string is empty too, as in
	// Zeek's TSV. Strings have Zeek's escapes decoded: \xNN and \\ in TSV,
	// \xNN (Zeek's escape for bytes that are not UTF-8) in JSON strings.
	Event event.Event
}

// RecordError is a record that could not be parsed. The stream goes on:
// call Next again for the next record.
type RecordError struct {
	Pos event.Position
	Err error
}

func (e *RecordError) Error() string { return e.Pos.String() + ": " + e.Err.Error() }

func (e *RecordError) Unwrap() error { return e.Err }

// ReadError is a fatal error for the stream (a read error, a corrupt or
// truncated gzip stream): Next keeps returning it. Pos is where reading
// stopped: the line being read and the offset of its first byte.
type ReadError struct {
	Pos event.Position
	Err error
}

func (e *ReadError) Error() string {
	return fmt.Sprintf("%s (offset %d): %v", e.Pos, e.Pos.Offset, e.Err)
}

func (e *ReadError) Unwrap() error { return e.Err }

// Errors a RecordError or ReadError wraps; check them with errors.Is.
var (
	// ErrFieldCount: a TSV record has more or fewer fields than #fields names.
	ErrFieldCount = errors.New("wrong field count")
	// ErrBadValue: a field does not parse as its type (time, address, port, ...).
	ErrBadValue = errors.New("bad value")
	// ErrMissingTS: a record of a modeled log type has no ts.
	ErrMissingTS = errors.New("missing ts")
	// ErrLineTooLong: a line is longer than MaxLineSize; the reader resumes
	// at the next newline.
	ErrLineTooLong = errors.New("line too long")
	// ErrNoHeader: a TSV record comes before any #fields header (or after a
	// header the reader could not use).
	ErrNoHeader = errors.New("record without a #fields header")
	// ErrBadHeader: a TSV header line the reader cannot use.
	ErrBadHeader = errors.New("bad header")
	// ErrBadJSON: a JSON line is not a valid JSON object.
	ErrBadJSON = errors.New("invalid JSON")
	// ErrFormat: a line before the format is known is neither a TSV
	// header ('#') nor a JSON object ('{').
	ErrFormat = errors.New("neither a Zeek TSV header nor a JSON object")
	// ErrResumeMismatch: the stream does not match Options.StartOffset and
	// StartLine.
	ErrResumeMismatch = errors.New("stream does not match the resume point")
)

// MaxLineSize is the longest line the Reader accepts; a longer line is a
// RecordError wrapping ErrLineTooLong.
const MaxLineSize = 16 << 20

const initialBufSize = 64 << 10

type format uint8

const (
	formatUnknown format = iota
	formatTSV
	formatJSON
)

// Reader reads Zeek TSV or JSON logs, detected from the stream's first
// non-blank byte ('#' TSV, '{' JSON; until then a line that is neither is a
// RecordError wrapping ErrFormat). A Reader is not safe for concurrent use.
//
// TSV columns are mapped by name from each header block's #fields (a new
// #separator or #fields starts a new mapping, so concatenated logs read
// fine); unknown columns are ignored, missing ones leave zero values.
// Sets and vectors are split on the block's #set_separator only for columns
// whose #types entry is set[...] or vector[...] (or when #types is absent).
// JSON keys are the same dotted names; nested objects are flattened with
// dots.
//
// In the steady state a record costs one allocation (a single string
// holding all its strings that are not interned; protocol names, states,
// types and the like are interned in a bounded map) plus one per slice and
// MAC address it carries; the Event struct itself is reused.
type Reader struct {
	name        string
	opts        Options
	defaultPath string
	maxLine     int

	// The line buffer: win.Buf[win.R:win.W] is unread.
	win     source.Window
	scanned int // bytes at win.Buf[win.R:] known to hold no '\n'

	line    int64 // lines consumed
	off     int64 // stream offset just past the consumed lines
	resumed bool  // the StartOffset check is done

	format format
	err    error // sticky fatal error

	// TSV
	hdr     tsvHeader
	tsvPath string
	tsvSch  *schema
	targets []target
	colList []bool
	mapped  []mappedCol // columns with a target
	offs    []int       // separator offsets of the current line
	tsCol   int
	vals    [][]byte

	v value // the field being set

	// JSON
	jp    fastjson.Parser
	jb    *jsonBinding
	jbind map[string]*jsonBinding
	jerr  error

	// the current record
	kind         event.Kind
	hasTS        bool
	ver          version
	conn         event.Conn
	dhcp         event.DHCP
	dns          event.DNS
	ssl          event.SSL
	x509         event.X509
	software     event.Software
	knownHost    event.KnownHost
	knownService event.KnownService

	arena    []byte
	refs     []strRef
	interned map[string]string
	icache   [256]string
	sbuf     []byte
	nbuf     []byte
	scratch  []byte
	ebuf     []value
	heldBack bool // an incomplete last line was held back (HoldIncomplete)
}

// tsvHeader is the state of the current TSV header block.
type tsvHeader struct {
	sep    byte
	setSep []byte
	empty  string
	unset  string
	empty0 byte // first bytes of empty and unset, 0 when they are ""
	unset0 byte
	// nullFirst: the markers are not Zeek's, so they may parse as values:
	// check for them before parsing.
	nullFirst bool
	path      string
	fields    []string
	types     []string
	bound     bool // cols reflect fields, types and path
	bad       bool // the block's #separator was unusable
}

func defaultHeader() tsvHeader {
	return tsvHeader{sep: '\t', setSep: []byte{','}, empty: "(empty)", unset: "-", empty0: '(', unset0: '-'}
}

// NewReader returns a Reader of r; name is the file name used in positions
// and errors (and, when Options.Path is empty and the log says nothing, to
// find the log type).
func NewReader(r io.Reader, name string, opts Options) *Reader {
	return &Reader{
		win:         source.NewWindow(r, initialBufSize),
		name:        name,
		opts:        opts,
		defaultPath: pathFromName(name),
		maxLine:     MaxLineSize,
		hdr:         defaultHeader(),
		tsCol:       -1,
		interned:    make(map[string]string),
	}
}

// pathFromName returns the log type a file name implies: its base name up
// to the first '.'.
func pathFromName(name string) string {
	base := filepath.Base(name)
	if base == "." || base == "/" || base == "-" {
		return ""
	}
	if i := strings.IndexByte(base, '.'); i >= 0 {
		base = base[:i]
	}
	return base
}

// Offset returns the decompressed offset just past the last record Next
// returned (as a Record or a *RecordError) and the lines before it; at the
// end of the stream, the stream's length. It is the resume point: pass it
// as Options.StartOffset.
func (r *Reader) Offset() int64 { return r.off }

// HeldBack reports whether the stream ended in a line without its newline
// that was held back (see Options.HoldIncomplete).
func (r *Reader) HeldBack() bool { return r.heldBack }

// Line returns the number of lines consumed, the line count at Offset: pass
// it as Options.StartLine.
func (r *Reader) Line() int64 { return r.line }

// errLong is readLine's signal for a line over maxLine.
var errLong = errors.New("long line")

// Next returns the next record, or io.EOF at the end of the stream. A bad
// record returns a *RecordError together with a Record carrying its Path and
// Pos: count it and call Next again. Any other error is a *ReadError, fatal
// for the stream.
func (r *Reader) Next() (Record, error) {
	if r.err != nil {
		return Record{}, r.err
	}
	for {
		line, start, err := r.readLine()
		if err == errLong {
			if start < r.opts.StartOffset {
				continue
			}
			pos := event.Position{File: r.name, Line: r.line, Offset: start}
			return Record{Path: r.pathGuess(), Pos: pos}, &RecordError{Pos: pos,
				Err: fmt.Errorf("%w: more than %d bytes", ErrLineTooLong, r.maxLine)}
		}
		if err != nil {
			return r.lineError(start, err)
		}
		pos := event.Position{File: r.name, Line: r.line, Offset: start}
		if !r.resumed && r.opts.StartOffset > 0 && start >= r.opts.StartOffset {
			r.resumed = true
			if start == r.opts.StartOffset && r.opts.StartLine > 0 && r.line-1 != r.opts.StartLine {
				return r.fatal(pos, fmt.Errorf("%w: line count at offset %d is %d, want %d",
					ErrResumeMismatch, start, r.line-1, r.opts.StartLine))
			}
		}
		skip := start < r.opts.StartOffset
		if isBlank(line) {
			continue
		}
		if r.format == formatUnknown {
			switch firstNonBlank(line) {
			case '#':
				r.format = formatTSV
			case '{':
				r.format = formatJSON
			default:
				if skip {
					continue
				}
				return Record{Path: r.pathGuess(), Pos: pos}, &RecordError{Pos: pos, Err: ErrFormat}
			}
		}
		if r.format == formatTSV {
			if n := len(line); line[n-1] == '\r' {
				line = line[:n-1]
			}
			if line[0] == '#' {
				if err := r.header(line); err != nil && !skip {
					return Record{Path: r.pathGuess(), Pos: pos}, &RecordError{Pos: pos, Err: err}
				}
				continue
			}
			if skip {
				continue
			}
			return r.parseTSV(line, pos)
		}
		if skip {
			continue
		}
		return r.parseJSON(line, pos)
	}
}

// lineError turns a readLine error into Next's result.
func (r *Reader) lineError(start int64, err error) (Record, error) {
	if err == io.EOF {
		if r.opts.StartOffset > r.off {
			return r.fatal(event.Position{File: r.name, Line: r.line, Offset: r.off},
				fmt.Errorf("%w: stream ends at offset %d, before %d", ErrResumeMismatch, r.off, r.opts.StartOffset))
		}
		if !r.resumed && r.opts.StartOffset > 0 && r.opts.StartOffset == r.off && r.opts.StartLine > 0 && r.line != r.opts.StartLine {
			return r.fatal(event.Position{File: r.name, Line: r.line, Offset: r.off},
				fmt.Errorf("%w: line count at offset %d is %d, want %d", ErrResumeMismatch, r.off, r.line, r.opts.StartLine))
		}
		return Record{}, io.EOF
	}
	return r.fatal(event.Position{File: r.name, Line: r.line + 1, Offset: start}, err)
}

func (r *Reader) fatal(pos event.Position, err error) (Record, error) {
	r.err = &ReadError{Pos: pos, Err: err}
	return Record{}, r.err
}

// pathGuess is the log type to report with a record that did not parse.
func (r *Reader) pathGuess() string {
	if r.opts.Path != "" {
		return r.opts.Path
	}
	if r.format == formatTSV && r.hdr.path != "" {
		return r.hdr.path
	}
	return r.defaultPath
}

func isBlank(line []byte) bool {
	for _, c := range line {
		if c != ' ' && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}

func firstNonBlank(line []byte) byte {
	for _, c := range line {
		if c != ' ' && c != '\t' && c != '\r' {
			return c
		}
	}
	return 0
}

// readLine returns the next line without its '\n' and the stream offset of
// its first byte; the line is valid until the next call. A final line
// without '\n' is returned as a line. At the end it returns io.EOF; for a
// line over maxLine it consumes the line and returns errLong; a read error
// is returned as is, with the offset of the partial line it interrupted.
func (r *Reader) readLine() (line []byte, start int64, err error) {
	for {
		if i := bytes.IndexByte(r.win.Buf[r.win.R+r.scanned:r.win.W], '\n'); i >= 0 {
			end := r.win.R + r.scanned + i
			line = r.win.Buf[r.win.R:end]
			start = r.win.Base + int64(r.win.R)
			r.win.R = end + 1
			r.scanned = 0
			r.line++
			r.off = r.win.Base + int64(r.win.R)
			if len(line) > r.maxLine {
				return nil, start, errLong
			}
			return line, start, nil
		}
		r.scanned = r.win.W - r.win.R
		start = r.win.Base + int64(r.win.R)
		if r.scanned > r.maxLine {
			return nil, start, r.skipLine()
		}
		if r.win.Err != nil {
			return nil, start, r.win.Err
		}
		if r.win.EOF {
			if r.win.R == r.win.W {
				return nil, start, io.EOF
			}
			if r.opts.HoldIncomplete && !isBlank(r.win.Buf[r.win.R:r.win.W]) {
				r.heldBack = true
				return nil, start, io.EOF
			}
			line = r.win.Buf[r.win.R:r.win.W]
			r.win.R, r.scanned = r.win.W, 0
			r.line++
			r.off = r.win.Base + int64(r.win.R)
			if len(line) > r.maxLine {
				return nil, start, errLong
			}
			return line, start, nil
		}
		r.win.Fill(r.maxLine + initialBufSize)
	}
}

// skipLine discards the rest of an over-long line. It returns errLong, or
// the read error that interrupted the line.
func (r *Reader) skipLine() error {
	for {
		r.win.R, r.scanned = r.win.W, 0
		if r.win.Err != nil {
			return r.win.Err
		}
		if r.win.EOF {
			break
		}
		r.win.Fill(r.maxLine + initialBufSize)
		if i := bytes.IndexByte(r.win.Buf[r.win.R:r.win.W], '\n'); i >= 0 {
			r.win.R += i + 1
			break
		}
	}
	r.line++
	r.off = r.win.Base + int64(r.win.R)
	return errLong
}
