// Package cloudtrail reads AWS CloudTrail logs: a streaming Reader that
// cuts each event out of a CloudTrail file ({"Records":[...]} as AWS
// delivers it, a bare JSON array, or one event per line) with its exact
// bytes, its position and a few header fields, in constant memory; and
// Expand, which lists the log files of folder trees in the S3 delivery
// layout.
//
// It owns the CloudTrail file shapes and nothing else: it does not open or
// decompress files (source.Open does), keep checkpoints, count or log
// rejected events, or interpret events; callers do. It never panics on bad
// input: a bad event is a *RecordError and the stream goes on.
package cloudtrail

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/valyala/fastjson"

	"github.com/vigil-iomt/vigil/internal/ingest/source"
)

// Position locates an event in its source.
type Position struct {
	File string
	// Offset is the byte offset of the event's first byte in the
	// decompressed stream.
	Offset int64
	// Index is the 0-based index of the event within the file; every
	// event counts, including bad ones.
	Index int64
}

func (p Position) String() string {
	return fmt.Sprintf("%s@%d (event %d)", p.File, p.Offset, p.Index)
}

// Event is one CloudTrail event.
type Event struct {
	// Raw is the event's JSON exactly as in the file. Like Value, it
	// belongs to the Reader and is valid only until the next call to
	// Next: a caller that keeps it copies it.
	Raw       []byte
	Time      time.Time // eventTime
	ID        string    // eventID
	Source    string    // eventSource
	Name      string    // eventName
	Region    string    // awsRegion
	AccountID string    // recipientAccountId, else userIdentity.accountId
	// Principal is userIdentity.arn, else principalId, else type;
	// SourceIP is sourceIPAddress.
	Principal, SourceIP string
	Pos                 Position
	// Value is the event parsed, for a consumer that would parse it again
	// (the rule engine). It belongs to the Reader and is valid only until
	// the next call to Next.
	Value *fastjson.Value
}

// Options tune a Reader.
type Options struct {
	// StartOffset: events that begin before this decompressed byte offset
	// are skipped (scanned, not returned). StartIndex is the event count
	// at StartOffset. Pass the values of Offset and Index from an earlier
	// Reader over the same stream.
	//
	// The Reader still reads the stream from its first byte; it uses
	// StartIndex only as a check: when the event count at StartOffset
	// differs, or the stream ends before StartOffset, Next returns an error
	// wrapping ErrResumeMismatch (the file was replaced or truncated).
	// StartIndex 0 disables the check.
	StartOffset int64
	StartIndex  int64
}

// RecordError is an event that could not be used. The stream goes on:
// call Next again for the next event.
type RecordError struct {
	Pos Position
	Err error
}

func (e *RecordError) Error() string { return e.Pos.String() + ": " + e.Err.Error() }

func (e *RecordError) Unwrap() error { return e.Err }

// ReadError is a fatal error for the stream (a read error, a corrupt or
// truncated gzip stream, truncated or structurally broken JSON): Next
// keeps returning it. Pos is where reading stopped: the offset of the event
// (or of the byte) being read and the index it would have had.
type ReadError struct {
	Pos Position
	Err error
}

func (e *ReadError) Error() string { return e.Pos.String() + ": " + e.Err.Error() }

func (e *ReadError) Unwrap() error { return e.Err }

// Errors a RecordError or ReadError wraps; check them with errors.Is.
var (
	// ErrBadJSON: an event is not valid JSON (its extent is known, so the
	// stream goes on).
	ErrBadJSON = errors.New("invalid JSON")
	// ErrNotObject: an event is valid JSON but not an object.
	ErrNotObject = errors.New("event is not a JSON object")
	// ErrMissingField: an event lacks eventTime or eventName (or one of
	// them is not a non-empty string).
	ErrMissingField = errors.New("missing field")
	// ErrBadTime: eventTime is not an RFC 3339 time.
	ErrBadTime = errors.New("bad eventTime")
	// ErrTooLarge: an event is longer than MaxEventSize; it is skipped.
	ErrTooLarge = errors.New("event too large")
	// ErrBrokenLine: in a file of one event per line, a line ends inside
	// an event; reading goes on at the next line.
	ErrBrokenLine = errors.New("line ends inside an event")
	// ErrSyntax (fatal): the file's structure is not JSON, e.g. something
	// other than ',' or ']' between the events of an array.
	ErrSyntax = errors.New("JSON syntax error")
	// ErrTruncated (fatal): the stream ends inside an event or an array.
	// It wraps io.ErrUnexpectedEOF.
	ErrTruncated = fmt.Errorf("truncated JSON: %w", io.ErrUnexpectedEOF)
	// ErrResumeMismatch (fatal): the stream does not match
	// Options.StartOffset and StartIndex.
	ErrResumeMismatch = errors.New("stream does not match the resume point")
)

// MaxEventSize is the longest event the Reader accepts; a longer one is a
// RecordError wrapping ErrTooLarge and is skipped without being buffered.
// (AWS caps a CloudTrail event at 256 KiB.)
const MaxEventSize = 16 << 20

const initialBufSize = 64 << 10

// wrapperLookahead bounds how far the Reader looks into a top-level object
// for its "Records" key.
const wrapperLookahead = 4 << 10

type state uint8

const (
	stTop        state = iota // between top-level values
	stArrayFirst              // after '[': a value or ']'
	stArrayNext               // after a value: ',' or ']'
	stArrayValue              // after ',': a value (or ']', leniently)
	stWrapperEnd              // after the Records array: the rest of the wrapper object
)

// Reader reads CloudTrail events from a decompressed stream. The shape is
// detected from the content: a top-level '[' is an array of events; a
// top-level object whose first key is "Records" holding an array is AWS's
// delivery wrapper; any other top-level object is an event (one per line,
// or concatenated). Shapes may follow each other in one stream.
//
// The Reader cuts each event's bytes with a scan that checks the JSON
// syntax as it goes (validate.go; a bracket scan finds the end of an
// invalid or oversized event), then parses them with fastjson to check the
// event and take its header fields; memory stays bounded by the largest
// event, whatever the file size. A Reader is not safe for concurrent use.
type Reader struct {
	name string
	opts Options
	max  int

	// win.Buf[win.R:win.W] is held; p is the scan position in win.Buf.
	win source.Window
	p   int

	st       state
	wrapper  bool // the current array is a Records wrapper
	lineMode bool // top-level events are one per line
	topSeen  bool // lineMode has been decided

	index   int64 // events returned or skipped
	off     int64 // stream offset just past the last event
	resumed bool  // the StartOffset check is done
	err     error // sticky fatal error

	jp    fastjson.Parser
	stack []byte // scanValid's open containers
}

// NewReader returns a Reader of r (decompressed content, e.g. a
// source.File); name is the file name used in positions and errors.
func NewReader(r io.Reader, name string, opts Options) *Reader {
	return &Reader{win: source.NewWindow(r, initialBufSize), name: name, opts: opts, max: MaxEventSize}
}

// Offset returns the decompressed offset just past the last event Next
// returned (as an Event or a *RecordError); at the end of the stream, the
// stream's length. It is the resume point: pass it as Options.StartOffset.
func (r *Reader) Offset() int64 { return r.off }

// Index returns the number of events before Offset (good and bad): pass
// it as Options.StartIndex.
func (r *Reader) Index() int64 { return r.index }

// Next returns the next event, or io.EOF at the end of the stream. A bad
// event returns a *RecordError together with an Event carrying its Pos (and
// Raw when its extent is known): count it and call Next again. Any other
// error is a *ReadError, fatal for the stream.
func (r *Reader) Next() (Event, error) {
	if r.err != nil {
		return Event{}, r.err
	}
	for {
		c, ok := r.skipSpace()
		if !ok {
			if r.win.Err != nil {
				return r.fatal(r.here(), r.win.Err)
			}
			if r.st != stTop {
				return r.fatal(r.here(), ErrTruncated)
			}
			return r.atEOF()
		}
		switch r.st {
		case stTop:
			switch c {
			case '[':
				r.p++
				r.st, r.wrapper = stArrayFirst, false
				continue
			case '{':
				if n := r.wrapperPrefix(); n > 0 {
					r.p += n
					r.st, r.wrapper = stArrayFirst, true
					continue
				}
				ev, err := r.value(true)
				if err == errSkip {
					continue
				}
				return ev, err
			default:
				ev, err := r.garbageLine()
				if err == errSkip {
					continue
				}
				return ev, err
			}
		case stArrayFirst, stArrayValue:
			if c == ']' {
				r.p++
				r.closeArray()
				continue
			}
			if c == ',' || c == '}' || c == ':' {
				return r.fatal(r.here(), fmt.Errorf("%w: %q where an event should start", ErrSyntax, c))
			}
			ev, err := r.value(false)
			if err == errSkip {
				continue
			}
			return ev, err
		case stArrayNext:
			switch c {
			case ',':
				r.p++
				r.st = stArrayValue
				continue
			case ']':
				r.p++
				r.closeArray()
				continue
			}
			return r.fatal(r.here(), fmt.Errorf("%w: %q between events, want ',' or ']'", ErrSyntax, c))
		case stWrapperEnd:
			// The rest of the wrapper object: more keys, then '}'.
			r.win.R = r.p
			_, res := r.scanFrom(1, false, false, false, true)
			if res == scanEOF {
				if r.win.Err != nil {
					return r.fatal(r.here(), r.win.Err)
				}
				return r.fatal(r.here(), ErrTruncated)
			}
			r.win.R = r.p
			r.st = stTop
		}
	}
}

func (r *Reader) closeArray() {
	if r.wrapper {
		r.st = stWrapperEnd
	} else {
		r.st = stTop
	}
	r.wrapper = false
}

// here is the position of the scan point, for fatal errors.
func (r *Reader) here() Position {
	return Position{File: r.name, Offset: r.win.Base + int64(r.p), Index: r.index}
}

func (r *Reader) fatal(pos Position, err error) (Event, error) {
	r.err = &ReadError{Pos: pos, Err: err}
	return Event{}, r.err
}

// atEOF finishes a stream that ended cleanly.
func (r *Reader) atEOF() (Event, error) {
	end := r.win.Base + int64(r.p)
	if r.opts.StartOffset > end {
		return r.fatal(r.here(), fmt.Errorf("%w: stream ends at offset %d, before %d", ErrResumeMismatch, end, r.opts.StartOffset))
	}
	if !r.resumed && r.opts.StartOffset > 0 && r.opts.StartIndex > 0 && r.index != r.opts.StartIndex {
		return r.fatal(r.here(), fmt.Errorf("%w: %d events before offset %d, want %d", ErrResumeMismatch, r.index, r.opts.StartOffset, r.opts.StartIndex))
	}
	r.resumed = true
	r.off = end
	r.win.R = r.p
	return Event{}, io.EOF
}

// begin accounts for an event starting at start; it reports whether the
// event is to be skipped (before Options.StartOffset), or returns a fatal
// error.
func (r *Reader) begin(start int64) (skip bool, err error) {
	if start < r.opts.StartOffset {
		return true, nil
	}
	if !r.resumed {
		r.resumed = true
		if r.opts.StartOffset > 0 && r.opts.StartIndex > 0 && r.index != r.opts.StartIndex {
			_, err := r.fatal(Position{File: r.name, Offset: start, Index: r.index},
				fmt.Errorf("%w: %d events before offset %d, want %d", ErrResumeMismatch, r.index, r.opts.StartOffset, r.opts.StartIndex))
			return false, err
		}
	}
	return false, nil
}

// value reads the event whose first byte is at r.p. top says it is a
// top-level value (one event per line or concatenated).
func (r *Reader) value(top bool) (Event, error) {
	r.win.R = r.p
	start := r.win.Base + int64(r.p)
	lines := top && r.lineMode
	c := r.win.Buf[r.p]
	var res scanResult
	var multiline bool
	var bad error // the syntax error of a value scanValid read
	validated := false
	switch c {
	case '{', '[':
		multiline, res, bad = r.scanValid(lines)
		validated = true
	case '"':
		r.p++
		multiline, res = r.scan(0, true, lines)
	default:
		res = r.scanScalar()
	}
	if !top {
		r.st = stArrayNext
	} else if !r.topSeen && res == scanOK {
		r.topSeen, r.lineMode = true, !multiline
	}
	switch res {
	case scanEOF:
		if r.win.Err != nil {
			return r.fatal(Position{File: r.name, Offset: start, Index: r.index}, r.win.Err)
		}
		return r.fatal(Position{File: r.name, Offset: start, Index: r.index}, ErrTruncated)
	case scanBrokenLine:
		return r.record(start, ErrBrokenLine)
	case scanTooLarge:
		return r.record(start, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, r.max))
	}
	raw := r.win.Buf[r.win.R:r.p]
	skip, err := r.begin(start)
	if err != nil {
		return Event{}, err
	}
	if skip {
		r.index++
		r.off = r.win.Base + int64(r.p)
		r.win.R = r.p
		return Event{}, errSkip
	}
	ev, perr := r.parse(raw, validated, bad)
	ev.Pos = Position{File: r.name, Offset: start, Index: r.index}
	r.index++
	r.off = r.win.Base + int64(r.p)
	r.win.R = r.p
	if perr != nil {
		return ev, &RecordError{Pos: ev.Pos, Err: perr}
	}
	return ev, nil
}

// record returns a RecordError for a bad event at start whose bytes up to
// r.p are consumed (or skips it when resuming).
func (r *Reader) record(start int64, err error) (Event, error) {
	skip, ferr := r.begin(start)
	if ferr != nil {
		return Event{}, ferr
	}
	pos := Position{File: r.name, Offset: start, Index: r.index}
	r.index++
	r.off = r.win.Base + int64(r.p)
	r.win.R = r.p
	if skip {
		return Event{}, errSkip
	}
	return Event{Pos: pos}, &RecordError{Pos: pos, Err: err}
}

// garbageLine consumes a top-level line that does not start a JSON object
// or array, up to and including its newline, as one bad event.
func (r *Reader) garbageLine() (Event, error) {
	r.win.R = r.p
	start := r.win.Base + int64(r.p)
	c := r.win.Buf[r.p]
	for {
		if i := bytes.IndexByte(r.win.Buf[r.p:r.win.W], '\n'); i >= 0 {
			r.p += i + 1
			break
		}
		r.p = r.win.W
		if r.win.EOF || r.win.Err != nil {
			break
		}
		r.win.R = r.p // never buffer a garbage line
		r.p -= r.win.Fill(r.max + 2*initialBufSize)
	}
	return r.record(start, fmt.Errorf("%w: line starts with %q, want '{' or '['", ErrBadJSON, c))
}

// skipSpace moves r.p to the next non-space byte and returns it; false at
// the end of the stream (or at a read error). A UTF-8 byte order mark at
// the start of the stream is skipped too.
func (r *Reader) skipSpace() (byte, bool) {
	for {
		for r.p < r.win.W {
			switch c := r.win.Buf[r.p]; c {
			case ' ', '\t', '\n', '\r':
				r.p++
			case 0xEF:
				if r.win.Base+int64(r.p) != 0 {
					return c, true
				}
				if r.win.W-r.p < 3 && !r.win.EOF && r.win.Err == nil {
					goto more
				}
				if r.win.W-r.p >= 3 && r.win.Buf[r.p+1] == 0xBB && r.win.Buf[r.p+2] == 0xBF {
					r.p += 3
					continue
				}
				return c, true
			default:
				return c, true
			}
		}
	more:
		if r.win.EOF || r.win.Err != nil {
			return 0, false
		}
		r.win.R = r.p
		r.p -= r.win.Fill(r.max + 2*initialBufSize)
	}
}

// wrapperPrefix reports, for a top-level object at r.p, the length of
// `{"Records":[` (with any spaces) when the object is a Records wrapper,
// else 0.
func (r *Reader) wrapperPrefix() int {
	r.win.R = r.p
	for r.win.W-r.p < wrapperLookahead && !r.win.EOF && r.win.Err == nil {
		r.p -= r.win.Fill(r.max + 2*initialBufSize)
	}
	b := r.win.Buf[r.p:r.win.W]
	i := 1
	ws := func() {
		for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
			i++
		}
	}
	ws()
	const key = `"Records"`
	if len(b)-i < len(key) || string(b[i:i+len(key)]) != key {
		return 0
	}
	i += len(key)
	ws()
	if i >= len(b) || b[i] != ':' {
		return 0
	}
	i++
	ws()
	if i >= len(b) || b[i] != '[' {
		return 0
	}
	return i + 1
}

type scanResult uint8

const (
	scanOK         scanResult = iota
	scanEOF                   // the stream ended (or failed) inside the value
	scanBrokenLine            // line mode: a newline inside the value; consumed through it
	scanTooLarge              // the value exceeds max; consumed entirely
)

// scan moves r.p past the end of a JSON value whose opening is already
// consumed: depth open brackets, inside a string or not. It tracks only
// strings and brackets; the value's validity is checked later. With lines
// set, a newline inside the value ends it as broken. Bytes from r.win.R are
// kept in buf unless the value exceeds max (or discard is set), in which
// case they are dropped as the scan goes. multiline reports a newline
// outside strings.
func (r *Reader) scan(depth int, inStr, lines bool) (multiline bool, res scanResult) {
	return r.scanFrom(depth, inStr, false, lines, false)
}

// scanFrom is scan continued from within a value: esc says the byte at
// r.p is escaped (it follows a backslash in a string). With discard set
// the value's bytes are dropped as the scan goes, and it is too large.
func (r *Reader) scanFrom(depth int, inStr, esc, lines, discard bool) (multiline bool, res scanResult) {
	start := r.win.Base + int64(r.win.R)
	for {
		buf := r.win.Buf[:r.win.W]
		p := r.p
		// Inside strings the scan jumps with IndexByte from one '"' or '\\'
		// (or, with lines, '\n') to the next; the next position of each is
		// remembered while it lies ahead, so the scan stays linear.
		// Control characters and bad escapes are left to the validator.
		qpos, bpos, npos := -1, -1, -1
		next := func(c byte, pos int) int {
			if pos >= p {
				return pos
			}
			if i := bytes.IndexByte(buf[p:], c); i >= 0 {
				return p + i
			}
			return len(buf)
		}
		for p < len(buf) {
			if inStr {
				if esc {
					esc = false
					p++
					continue
				}
				qpos, bpos = next('"', qpos), next('\\', bpos)
				stop := min(qpos, bpos)
				if lines {
					npos = next('\n', npos)
					stop = min(stop, npos)
				}
				p = stop
				if p == len(buf) {
					break
				}
				switch buf[p] {
				case '"':
					inStr = false
					p++
					if depth == 0 {
						r.p = p
						return multiline, r.sizeCheck(start, discard)
					}
				case '\\':
					esc = true
					p++
				default: // '\n' with lines
					r.p = p + 1
					return multiline, scanBrokenLine
				}
				continue
			}
			switch buf[p] {
			case '"':
				inStr = true
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					r.p = p + 1
					return multiline, r.sizeCheck(start, discard)
				}
			case '\n':
				if lines {
					r.p = p + 1
					return multiline, scanBrokenLine
				}
				multiline = true
			}
			p++
		}
		r.p = p
		if r.win.EOF || r.win.Err != nil {
			return multiline, scanEOF
		}
		if !discard && r.win.Base+int64(r.p)-start > int64(r.max) {
			discard = true
		}
		if discard {
			r.win.R = r.p
		}
		r.p -= r.win.Fill(r.max + 2*initialBufSize)
	}
}

func (r *Reader) sizeCheck(start int64, discard bool) scanResult {
	if discard || r.win.Base+int64(r.p)-start > int64(r.max) {
		return scanTooLarge
	}
	return scanOK
}

// scanScalar moves r.p past a number, literal or garbage token: up to the
// next space, ',', ']' or '}'.
func (r *Reader) scanScalar() scanResult {
	start := r.win.Base + int64(r.win.R)
	large := false
	r.p++ // the first byte is part of the token, whatever it is
	for {
		for r.p < r.win.W {
			switch r.win.Buf[r.p] {
			case ' ', '\t', '\n', '\r', ',', ']', '}':
				return r.sizeCheck(start, large)
			}
			r.p++
		}
		if r.win.EOF || r.win.Err != nil {
			if r.win.Err == nil {
				return r.sizeCheck(start, large)
			}
			return scanEOF
		}
		if r.win.Base+int64(r.p)-start > int64(r.max) {
			large = true
		}
		if large {
			r.win.R = r.p
		}
		r.p -= r.win.Fill(r.max + 2*initialBufSize)
	}
}

// parse checks an event's bytes and takes its header fields. validated
// says scanValid has checked the syntax (bad is what it found wrong).
func (r *Reader) parse(raw []byte, validated bool, bad error) (Event, error) {
	ev := Event{Raw: raw}
	if bad != nil {
		return ev, fmt.Errorf("%w: %w", ErrBadJSON, bad)
	}
	// fastjson's parser is lenient (it keeps "\0" as is and takes "." for
	// a number): it is given only valid JSON.
	var err error
	if !validated {
		err = fastjson.ValidateBytes(raw)
	}
	var v *fastjson.Value
	if err == nil {
		v, err = r.jp.ParseBytes(raw)
	}
	if err != nil {
		msg := err.Error()
		if i := strings.Index(msg, "; unparsed tail"); i >= 0 {
			msg = msg[:i]
		}
		return ev, fmt.Errorf("%w: %s", ErrBadJSON, msg)
	}
	o, err := v.Object()
	if err != nil {
		return ev, fmt.Errorf("%w: %s", ErrNotObject, v.Type())
	}
	var tb, id, src, name, region, acct, uacct, who, ip []byte
	var badType string
	o.Visit(func(k []byte, v *fastjson.Value) {
		var dst *[]byte
		switch string(k) {
		case "sourceIPAddress":
			dst = &ip
		case "eventTime":
			dst = &tb
		case "eventID":
			dst = &id
		case "eventSource":
			dst = &src
		case "eventName":
			dst = &name
		case "awsRegion":
			dst = &region
		case "recipientAccountId":
			dst = &acct
		case "userIdentity":
			if s := v.GetStringBytes("accountId"); s != nil {
				uacct = s
			}
			for _, f := range []string{"arn", "principalId", "type"} {
				if s := v.GetStringBytes(f); len(s) > 0 {
					who = s
					break
				}
			}
			return
		default:
			return
		}
		s, err := v.StringBytes()
		if err != nil {
			if string(k) == "eventTime" || string(k) == "eventName" {
				badType = string(k)
			}
			return
		}
		*dst = s
	})
	if badType != "" {
		return ev, fmt.Errorf("%w: %s is not a string", ErrMissingField, badType)
	}
	if len(tb) == 0 {
		return ev, fmt.Errorf("%w: eventTime", ErrMissingField)
	}
	if len(name) == 0 {
		return ev, fmt.Errorf("%w: eventName", ErrMissingField)
	}
	t, err := time.Parse(time.RFC3339Nano, string(tb))
	if err != nil {
		return ev, fmt.Errorf("%w: %q", ErrBadTime, truncate(tb, 40))
	}
	ev.Time = t
	if acct == nil {
		acct = uacct
	}
	// One string holds all the header fields.
	all := string(concat(id, src, name, region, acct, who, ip))
	n := 0
	cut := func(b []byte) string {
		s := all[n : n+len(b)]
		n += len(b)
		return s
	}
	ev.ID, ev.Source, ev.Name, ev.Region, ev.AccountID = cut(id), cut(src), cut(name), cut(region), cut(acct)
	ev.Principal, ev.SourceIP = cut(who), cut(ip)
	ev.Value = v
	return ev, nil
}

func concat(parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	out := make([]byte, 0, n)
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}

// errSkip is an internal signal: an event before Options.StartOffset was
// skipped.
var errSkip = errors.New("skipped")
