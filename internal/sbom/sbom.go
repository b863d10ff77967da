// Package sbom reads software bills of materials — CycloneDX 1.2–1.6 (JSON
// and XML) and SPDX 2.2/2.3 (JSON and tag-value) — into one normalized
// model: the described product, a flat list of components with their
// identifiers (purl, CPE, hashes), nesting, the dependency graph and the
// FDA-expected lifecycle fields.
//
// It only parses: it does not store, match vulnerabilities or fetch anything,
// and it never panics on bad input. Non-fatal problems are returned as
// warnings with their position; a document that cannot be read is an error
// that names the file and the position ("bom.json:12:7: reason").
package sbom

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"time"
)

// Formats and encodings reported in Document.
const (
	FormatCycloneDX = "cyclonedx"
	FormatSPDX      = "spdx"

	EncodingJSON     = "json"
	EncodingXML      = "xml"
	EncodingTagValue = "tag-value"
)

// MaxSize is the largest document (after gzip decompression) Parse reads.
const MaxSize = 256 << 20

// ErrUnknownFormat means the content is not a CycloneDX or SPDX document.
var ErrUnknownFormat = errors.New("not a CycloneDX or SPDX document")

// ErrUnsupported means the format is recognised but its version or encoding
// is not read (SPDX 3.0 JSON-LD, SPDX RDF/XML, CycloneDX before 1.0).
var ErrUnsupported = errors.New("unsupported SBOM version or encoding")

// ErrInvalid means the document is recognised but malformed.
var ErrInvalid = errors.New("invalid SBOM")

// ErrTooLarge means the document is larger than MaxSize.
var ErrTooLarge = errors.New("SBOM larger than the size limit")

// Document is one SBOM in the normalized model.
type Document struct {
	Format      string // FormatCycloneDX or FormatSPDX
	SpecVersion string // "1.4", "2.3", ...
	Encoding    string // EncodingJSON, EncodingXML or EncodingTagValue
	Serial      string // CycloneDX serialNumber / SPDX documentNamespace

	// The described product: CycloneDX metadata.component, SPDX the package
	// the document DESCRIBES (the first one when it describes several).
	Name, Version, Supplier string
	// Product is the full described component; its Ref is "" when the
	// document names no product. For SPDX the described package is also in
	// Components; CycloneDX metadata.component is only here (its nested
	// components are in Components with Parent set to Product.Ref).
	Product Component

	Created    time.Time
	Components []Component
	// Dependencies maps a ref to the refs it depends on. For CycloneDX an
	// entry with an empty list is kept: the document says "no dependencies".
	Dependencies map[string][]string
}

// Component is one piece of software or hardware in the SBOM.
type Component struct {
	Ref    string // bom-ref / SPDXID; synthesised ("ref:<path>") when absent or duplicated
	Parent string // ref of the enclosing component; "" at top level
	Type   string // library, firmware, operating-system, application, device, ...

	Name, Group, Version string

	PURL    string // normalized purl (packageurl-go canonical form)
	RawPURL string // the purl as written, when it does not parse
	CPEs    []string

	Supplier string
	Hashes   map[string]string // "SHA-256" → lower-case hex
	Licenses []string

	// Lifecycle fields (see docs/formats.md "SBOMs" for the mapping).
	SupportLevel string    // e.g. "Actively maintained"
	EndOfSupport time.Time // zero when absent or not a date
	// EndOfSupportText is the end-of-support value as written, also when it
	// is not a date ("Open source", "Until hardware support ends").
	EndOfSupportText string
}

// Warning is a non-fatal problem: the document was read, but something in
// it was ignored or repaired.
type Warning struct {
	Pointer string // JSON pointer, XML path, or "line N" for tag-value
	Message string
}

func (w Warning) String() string { return w.Pointer + ": " + w.Message }

// ParseError is a document that cannot be read. Its Error text is
// "name:line:col: reason" (or "name: reason" when the position is unknown).
type ParseError struct {
	Name    string
	Line    int    // 1-based; 0 when unknown
	Column  int    // 1-based byte column; 0 when unknown
	Offset  int64  // byte offset into the (decompressed) content; -1 when unknown
	Pointer string // JSON pointer of the value at fault, when known
	Err     error
}

func (e *ParseError) Error() string {
	pos := ""
	switch {
	case e.Line > 0 && e.Column > 0:
		pos = fmt.Sprintf(":%d:%d", e.Line, e.Column)
	case e.Line > 0:
		pos = fmt.Sprintf(":%d", e.Line)
	}
	extra := ""
	if e.Pointer != "" {
		extra = " (at " + e.Pointer + ")"
	}
	return fmt.Sprintf("%s%s: %v%s", e.Name, pos, e.Err, extra)
}

func (e *ParseError) Unwrap() error { return e.Err }

// ParseFile reads the SBOM at path; gzip content is detected by its magic
// bytes, not the name.
func ParseFile(path string) (*Document, []Warning, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	return Parse(f, path)
}

// Parse reads one SBOM from r; name is used in errors. The format and
// encoding are detected from the content: a JSON object with bomFormat or
// spdxVersion, an XML document in a CycloneDX namespace, or SPDX tag-value
// ("SPDXVersion:"). gzip content is decompressed first.
func Parse(r io.Reader, name string) (doc *Document, warns []Warning, err error) {
	br := bufio.NewReader(r)
	var src io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, &ParseError{Name: name, Offset: -1, Err: fmt.Errorf("gzip: %w", err)}
		}
		defer zr.Close()
		src = zr
	}
	data, err := io.ReadAll(io.LimitReader(src, MaxSize+1))
	if err != nil {
		return nil, nil, &ParseError{Name: name, Offset: int64(len(data)), Err: fmt.Errorf("read: %w", err)}
	}
	if len(data) > MaxSize {
		return nil, nil, &ParseError{Name: name, Offset: MaxSize, Err: ErrTooLarge}
	}
	return parseBytes(data, name)
}

// parseBytes detects the format and hands over to the format's reader. A
// panic in a third-party decoder is turned into an error here so that none
// crosses the package boundary.
func parseBytes(data []byte, name string) (doc *Document, warns []Warning, err error) {
	defer func() {
		if p := recover(); p != nil {
			doc, warns = nil, nil
			err = &ParseError{Name: name, Offset: -1, Err: fmt.Errorf("%w: decoder failed: %v", ErrInvalid, p)}
		}
	}()
	body := bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	var p parser
	switch {
	case len(trimmed) == 0:
		return nil, nil, &ParseError{Name: name, Offset: -1, Err: fmt.Errorf("%w: empty", ErrUnknownFormat)}
	case trimmed[0] == '{':
		p = &jsonParser{name: name, data: body}
	case trimmed[0] == '<':
		p = &xmlParser{name: name, data: body}
	case isTagValue(trimmed):
		p = &tagValueParser{name: name, data: body}
	default:
		return nil, nil, &ParseError{Name: name, Offset: -1, Err: ErrUnknownFormat}
	}
	doc, err = p.parse()
	if err != nil {
		return nil, nil, err
	}
	warns = p.warnings()
	finish(doc, &warns)
	return doc, warns, nil
}

type parser interface {
	parse() (*Document, error)
	warnings() []Warning
}

// isTagValue reports whether an "SPDXVersion:" tag starts a line in the
// first 64 KiB (comments and blank lines may precede it).
func isTagValue(b []byte) bool {
	if len(b) > 64<<10 {
		b = b[:64<<10]
	}
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		if bytes.HasPrefix(bytes.TrimLeft(line, " \t"), []byte("SPDXVersion:")) {
			return true
		}
	}
	return false
}

// finish applies the checks common to every format: unique refs and
// dependency refs that exist.
func finish(doc *Document, warns *[]Warning) {
	known := make(map[string]bool, len(doc.Components)+1)
	if doc.Product.Ref != "" {
		known[doc.Product.Ref] = true
	}
	for _, c := range doc.Components {
		known[c.Ref] = true
	}
	refs := make([]string, 0, len(doc.Dependencies))
	for ref := range doc.Dependencies {
		refs = append(refs, ref)
	}
	sort.Strings(refs)
	for _, ref := range refs {
		deps := doc.Dependencies[ref]
		if !known[ref] {
			*warns = append(*warns, Warning{Pointer: "dependencies", Message: fmt.Sprintf("dependency entry for unknown ref %q", ref)})
		}
		for _, d := range deps {
			if !known[d] {
				*warns = append(*warns, Warning{Pointer: "dependencies", Message: fmt.Sprintf("%q depends on unknown ref %q", ref, d)})
			}
		}
	}
}
