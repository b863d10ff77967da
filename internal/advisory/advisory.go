// Package advisory reads vulnerability feeds — OSV, the NVD CVE API 2.0,
// the CISA Known Exploited Vulnerabilities catalog and FIRST EPSS — into one
// normalized model, streaming record by record.
//
// It owns parsing and validation only: it keeps what each feed states (CVSS
// vectors as given, NVD configurations node by node, OSV ranges event by
// event) and does not score, match, deduplicate or store anything. A bad
// document or record is reported with its file and JSON pointer or CSV line
// and skipped; the rest of the feed is still read. It never fetches anything
// from the network.
package advisory

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Sources of an Advisory.
const (
	SourceOSV = "osv"
	SourceNVD = "nvd"
)

// Advisory is one vulnerability record as a feed states it.
type Advisory struct {
	ID      string   // "GHSA-…", "CVE-2024-1234", "GO-2023-…", "ALSA-…"
	Aliases []string // other IDs of the same vulnerability, CVE IDs first, then in feed order; never ID itself
	// Related lists IDs the record names as related but not the same
	// vulnerability (OSV "related"; AlmaLinux puts the CVEs an erratum fixes here).
	Related []string
	Source  string // SourceOSV or SourceNVD
	// Status is NVD's vulnStatus ("Analyzed", "Awaiting Analysis", "Rejected", …); empty for OSV.
	Status    string
	Summary   string // OSV summary; NVD gives none
	Details   string // OSV details; NVD's English description
	Published time.Time
	Modified  time.Time
	// Withdrawn is OSV "withdrawn"; for NVD, the lastModified time of a
	// record whose vulnStatus is "Rejected". Zero when the record stands.
	Withdrawn  time.Time
	Severity   []Score  // record-level scores in feed order (NVD: v4.0, v3.1, v3.0, v2)
	CWEs       []string // "CWE-787"; NVD's "NVD-CWE-noinfo"/"NVD-CWE-Other" kept as given
	References []string // URLs, first occurrence order
	// CPEs are CPE 2.3 names an OSV record lists in database_specific.cpes (Bitnami).
	CPEs           []string
	Affected       []Affected // OSV affected[]
	Configurations []Config   // NVD configurations, structure kept exactly
}

// Score is one severity statement.
type Score struct {
	Type      string  // "CVSS_V2", "CVSS_V3", "CVSS_V4", or an OSV type as given ("Ubuntu")
	Vector    string  // "CVSS:3.1/AV:N/…" as given (OSV "score")
	BaseScore float64 // when the feed gives one (NVD), else 0
	Source    string  // who scored ("nvd@nist.gov"); empty for OSV
	Primary   bool    // NVD "type": "Primary" (as opposed to "Secondary")
}

// Affected is one OSV affected[] entry.
type Affected struct {
	Ecosystem string // "Go", "PyPI", "AlmaLinux:9", …
	Name      string
	PURL      string // as given, empty when absent
	Ranges    []Range
	Versions  []string // explicit affected versions
	Severity  []Score  // per-package severity (OSV affected[].severity)
}

// Range is one OSV range: events in feed order.
type Range struct {
	Type   string // "SEMVER", "ECOSYSTEM" or "GIT"
	Repo   string // GIT ranges: the repository URL
	Events []Event
}

// Event is one OSV range event; exactly one field is set.
type Event struct {
	Introduced   string
	Fixed        string
	LastAffected string
	Limit        string
}

// Config is one NVD configuration: nodes joined by Operator.
type Config struct {
	Operator string // "AND", "OR", or "" when NVD omits it (a single node)
	Negate   bool
	Nodes    []Node
}

// Node is one NVD configuration node. In an AND configuration, a node whose
// matches are all non-vulnerable names the platform the vulnerable product
// runs on ("running on/with"); it never makes that platform vulnerable.
type Node struct {
	Operator string // "AND" or "OR"
	Negate   bool
	Matches  []CPEMatch
}

// CPEMatch is one NVD cpeMatch entry.
type CPEMatch struct {
	Criteria              string // CPE 2.3 formatted string
	Vulnerable            bool
	VersionStartIncluding string
	VersionStartExcluding string
	VersionEndIncluding   string
	VersionEndExcluding   string
	MatchCriteriaID       string
}

// KEV is one entry of the CISA Known Exploited Vulnerabilities catalog.
type KEV struct {
	CVE             string
	VendorProject   string
	Product         string
	Name            string // vulnerabilityName
	Description     string // shortDescription
	DateAdded       time.Time
	DueDate         time.Time
	KnownRansomware bool // knownRansomwareCampaignUse == "Known"
	RequiredAction  string
	Notes           string
	CWEs            []string
}

// EPSS is one row of a FIRST EPSS scores file.
type EPSS struct {
	CVE        string
	Score      float64 // probability of exploitation in the next 30 days, 0–1
	Percentile float64 // 0–1; 0 when the file has no percentile column
}

// EPSSMeta is what the leading comment line of an EPSS file states.
type EPSSMeta struct {
	ModelVersion string    // "v2023.03.01"
	ScoreDate    time.Time // the day the scores are for
}

// ErrMalformed is matched (errors.Is) by every *ParseError: a document or
// record that is not what its format says.
var ErrMalformed = errors.New("malformed")

// ParseError is one rejected document or record.
type ParseError struct {
	Path    string // file; a zip entry is "feed.zip!entry.json"
	Pointer string // JSON pointer (RFC 6901) of the bad value, "" for the whole document or for CSV
	Line    int    // CSV line (1-based), 0 for JSON
	Err     error
}

func (e *ParseError) Error() string {
	switch {
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %v", e.Path, e.Line, e.Err)
	case e.Pointer != "":
		return fmt.Sprintf("%s: %s: %v", e.Path, e.Pointer, e.Err)
	default:
		return fmt.Sprintf("%s: %v", e.Path, e.Err)
	}
}

func (e *ParseError) Unwrap() error { return e.Err }

// Is reports ErrMalformed for every ParseError.
func (e *ParseError) Is(target error) bool { return target == ErrMalformed }

// Rejected is returned (possibly joined with a fatal error) when a reader
// skipped bad documents or records: every good one was still passed to the
// callback. Get it with errors.As.
type Rejected struct {
	Errors []*ParseError // in reading order
}

func (r *Rejected) Error() string {
	switch len(r.Errors) {
	case 0:
		return "nothing rejected"
	case 1:
		return "1 rejected: " + r.Errors[0].Error()
	default:
		return fmt.Sprintf("%d rejected, first: %v", len(r.Errors), r.Errors[0])
	}
}

// Unwrap returns every ParseError, so errors.Is(err, ErrMalformed) holds.
func (r *Rejected) Unwrap() []error {
	errs := make([]error, len(r.Errors))
	for i, e := range r.Errors {
		errs[i] = e
	}
	return errs
}

// report collects the rejections of one read.
type report struct{ rejected []*ParseError }

func (r *report) add(e *ParseError) { r.rejected = append(r.rejected, e) }

func (r *report) addJSON(path, ptr string, err error) {
	r.add(&ParseError{Path: path, Pointer: ptr, Err: err})
}

// result combines the rejections with a fatal error, if any.
func (r *report) result(fatal error) error {
	var rej error
	if len(r.rejected) > 0 {
		rej = &Rejected{Errors: r.rejected}
	}
	switch {
	case fatal == nil:
		return rej
	case rej == nil:
		return fatal
	default:
		return errors.Join(fatal, rej)
	}
}

// callbackError marks an error returned by the caller's callback: it stops
// the read and is returned as is.
type callbackError struct{ err error }

func (e callbackError) Error() string { return e.err.Error() }
func (e callbackError) Unwrap() error { return e.err }

// unwrapCallback turns a callbackError back into the caller's own error.
func unwrapCallback(err error) error {
	var cb callbackError
	if errors.As(err, &cb) {
		return cb.err
	}
	return err
}

// openFile opens path, transparently gunzipping it when it starts with the
// gzip magic bytes.
func openFile(path string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	r, err := maybeGzip(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return struct {
		io.Reader
		io.Closer
	}{r, f}, nil
}

// maybeGzip returns a reader of r's content, gunzipped when r starts with
// the gzip magic bytes.
func maybeGzip(r io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic, _ := br.Peek(2)
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		return gzip.NewReader(br)
	}
	return br, nil
}

// walkFiles calls fn for path itself when it is a file, or for every file
// under it (lexical order, hidden entries skipped) whose name keep accepts.
func walkFiles(path string, keep func(name string) bool, fn func(string) error) error {
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !info.IsDir() {
		return fn(path)
	}
	return filepath.WalkDir(path, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if p != path && strings.HasPrefix(name, ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() || !d.Type().IsRegular() || !keep(name) {
			return nil
		}
		return fn(p)
	})
}

// hasSuffixFold reports whether name ends in one of the suffixes, ignoring case.
func hasSuffixFold(name string, suffixes ...string) bool {
	lower := strings.ToLower(name)
	for _, s := range suffixes {
		if strings.HasSuffix(lower, s) {
			return true
		}
	}
	return false
}

// pointer builds a JSON pointer from path segments (strings or ints).
func pointer(base string, segs ...any) string {
	var b strings.Builder
	b.WriteString(base)
	for _, s := range segs {
		b.WriteByte('/')
		switch v := s.(type) {
		case int:
			b.WriteString(strconv.Itoa(v))
		case string:
			b.WriteString(escapePointer(v))
		}
	}
	return b.String()
}

func escapePointer(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// fieldError is a validation error at a pointer relative to the document.
type fieldError struct {
	ptr string
	err error
}

func (e *fieldError) Error() string { return e.ptr + ": " + e.err.Error() }

func errAt(ptr string, format string, args ...any) error {
	return &fieldError{ptr: ptr, err: fmt.Errorf(format, args...)}
}

// unmarshal decodes data into v; a failure is a *fieldError whose pointer
// locates the offending value in data.
func unmarshal(data []byte, v any) error {
	err := json.Unmarshal(data, v)
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		msg := fmt.Errorf("%s where %s is expected", te.Value, typeName(te))
		return &fieldError{ptr: pointerAt(data, te.Offset), err: msg}
	case errors.As(err, &se):
		return &fieldError{ptr: pointerAt(data, se.Offset), err: err}
	default:
		return &fieldError{err: err}
	}
}

func typeName(te *json.UnmarshalTypeError) string {
	if te.Type == nil {
		return "another type"
	}
	switch te.Type.Kind().String() {
	case "slice", "array":
		return "an array"
	case "struct", "map":
		return "an object"
	case "float64", "float32", "int", "int64":
		return "a number"
	default:
		return "a " + te.Type.Kind().String()
	}
}

// pointerAt returns the JSON pointer of the innermost value of data that
// spans byte offset off (encoding/json reports offsets just past the value
// it rejects). It re-tokenizes data, which only happens on error.
func pointerAt(data []byte, off int64) string {
	dec := json.NewDecoder(bytes.NewReader(data))
	type frame struct {
		object bool
		key    string
		index  int
		inKey  bool // object: the next string token is a key
	}
	var stack []frame
	ptr := func(withCurrent bool) string {
		var b strings.Builder
		for i, f := range stack {
			if !withCurrent && i == len(stack)-1 {
				break
			}
			b.WriteByte('/')
			if f.object {
				b.WriteString(escapePointer(f.key))
			} else {
				b.WriteString(strconv.Itoa(f.index))
			}
		}
		return b.String()
	}
	// advance marks that a value was consumed in the current container.
	advance := func() {
		if n := len(stack); n > 0 {
			if stack[n-1].object {
				stack[n-1].inKey = true
			} else {
				stack[n-1].index++
			}
		}
	}
	last := ""
	for {
		before := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return last
		}
		if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].inKey {
			if k, ok := tok.(string); ok {
				stack[n-1].key = k
				stack[n-1].inKey = false
				continue
			}
		}
		// tok is a value (scalar or container start/end) in the current container.
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				cur := ptr(true)
				if before >= off {
					return cur
				}
				last = cur
				stack = append(stack, frame{object: t == '{', inKey: t == '{'})
			default:
				whole := ptr(false)
				stack = stack[:len(stack)-1]
				if dec.InputOffset() >= off {
					return whole
				}
				last = whole
				advance()
			}
		default:
			cur := ptr(true)
			if dec.InputOffset() >= off {
				return cur
			}
			last = cur
			advance()
		}
	}
}

// parseTime reads the timestamps the feeds use: RFC 3339 (OSV) and NVD's
// zone-less "2006-01-02T15:04:05.000", taken as UTC.
func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05.999999999Z0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("bad timestamp %q", s)
}

// appendUnique appends the non-empty values of vs not already in dst.
func appendUnique(dst []string, vs ...string) []string {
	for _, v := range vs {
		if v == "" || slices.Contains(dst, v) {
			continue
		}
		dst = append(dst, v)
	}
	return dst
}

// isCVE reports whether id looks like "CVE-2024-1234".
func isCVE(id string) bool {
	rest, ok := strings.CutPrefix(id, "CVE-")
	if !ok || len(rest) < 9 || rest[4] != '-' {
		return false
	}
	for i, c := range []byte(rest) {
		if i != 4 && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}
