package sbom

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spdx/tools-golang/spdx"
	"github.com/spdx/tools-golang/spdx/v2/common"

	spdxjson "github.com/spdx/tools-golang/json"
	spdxtv "github.com/spdx/tools-golang/tagvalue"
)

// spdxVersions are the SPDX versions read (tools-golang converts 2.1 and 2.2
// to its 2.3 model).
var spdxVersions = map[string]bool{"SPDX-2.1": true, "SPDX-2.2": true, "SPDX-2.3": true}

func parseSPDXJSON(name string, data []byte, warns *[]Warning) (*Document, error) {
	var probe struct {
		SPDXVersion any `json:"spdxVersion"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, jsonError(name, data, err)
	}
	version, _ := probe.SPDXVersion.(string)
	if !spdxVersions[version] {
		off := keyOffset(data, "spdxVersion")
		line, col := lineCol(data, off)
		return nil, &ParseError{Name: name, Offset: off, Line: line, Column: col, Pointer: "/spdxVersion",
			Err: fmt.Errorf("%w: spdxVersion %v (only SPDX-2.1 to SPDX-2.3 are read)", ErrUnsupported, probe.SPDXVersion)}
	}
	sd, err := spdxjson.Read(bytes.NewReader(data))
	if err != nil {
		return nil, jsonError(name, data, err)
	}
	c := spdxConv{enc: EncodingJSON, warns: warns}
	return c.convert(sd, version), nil
}

// tagValueParser reads SPDX tag-value documents.
type tagValueParser struct {
	name  string
	data  []byte
	warns []Warning
	lines map[string]int // SPDXID → line where it is declared
	rels  []int          // line of each Relationship tag, in order
}

func (p *tagValueParser) warnings() []Warning { return p.warns }

func (p *tagValueParser) parse() (*Document, error) {
	version, err := p.scan()
	if err != nil {
		return nil, err
	}
	if !spdxVersions[version] {
		return nil, &ParseError{Name: p.name, Line: p.lines["SPDXVersion"], Offset: -1,
			Err: fmt.Errorf("%w: SPDXVersion %q (only SPDX-2.1 to SPDX-2.3 are read)", ErrUnsupported, version)}
	}
	sd, err := spdxtv.Read(bytes.NewReader(p.data))
	if err != nil {
		return nil, &ParseError{Name: p.name, Line: p.lineOf(err), Offset: -1, Err: fmt.Errorf("%w: %w", ErrInvalid, err)}
	}
	c := spdxConv{enc: EncodingTagValue, warns: &p.warns, lines: p.lines, rels: p.rels}
	return c.convert(sd, version), nil
}

// scan checks the line syntax the way tools-golang reads it, but keeps line
// numbers for errors, and records where each SPDXID is declared.
func (p *tagValueParser) scan() (version string, err error) {
	p.lines = map[string]int{}
	textStart := 0 // line of an open <text>, 0 when none
	for i, line := range strings.Split(string(p.data), "\n") {
		n := i + 1
		if textStart > 0 {
			if strings.Contains(line, "</text>") {
				textStart = 0
			}
			continue
		}
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		tag, value, ok := strings.Cut(t, ":")
		if !ok {
			return "", &ParseError{Name: p.name, Line: n, Offset: -1, Err: fmt.Errorf("%w: no colon in tag-value line %q", ErrInvalid, truncate(t, 60))}
		}
		tag, value = strings.TrimSpace(tag), strings.TrimSpace(value)
		if before, after, ok := strings.Cut(value, "<text>"); ok && before == "" {
			if !strings.Contains(after, "</text>") {
				textStart = n
			}
			continue
		}
		switch tag {
		case "SPDXVersion":
			if version == "" {
				version = value
				p.lines["SPDXVersion"] = n
			}
		case "Relationship":
			p.rels = append(p.rels, n)
		case "SPDXID":
			if _, dup := p.lines[value]; !dup {
				p.lines[value] = n
			}
		}
	}
	if textStart > 0 {
		return "", &ParseError{Name: p.name, Line: textStart, Offset: -1, Err: fmt.Errorf("%w: <text> not closed", ErrInvalid)}
	}
	return version, nil
}

// quotedValue finds the value a tools-golang error is about: quoted, or
// after "for" ("invalid subvalue format for nobody (no colon found)").
var quotedValue = regexp.MustCompile(`['"]([^'"]{2,})['"]|format for (.+?)(?: \(|$)`)

// lineOf guesses the line a tools-golang error is about from the value it
// names: the first line whose value is that text, else the first line
// containing it; 0 when it names nothing found in the document.
func (p *tagValueParser) lineOf(err error) int {
	m := quotedValue.FindStringSubmatch(err.Error())
	if m == nil {
		return 0
	}
	want := m[1] + m[2]
	msg := strings.ToLower(err.Error())
	lines := strings.Split(string(p.data), "\n")
	first := 0
	for i, line := range lines {
		tag, v, ok := strings.Cut(line, ":")
		if !ok || strings.TrimSpace(v) != want {
			continue
		}
		if strings.Contains(msg, strings.ToLower(strings.TrimSpace(tag))) {
			return i + 1 // the value under the tag the message names
		}
		if first == 0 {
			first = i + 1
		}
	}
	if first > 0 {
		return first
	}
	for i, line := range lines {
		if strings.Contains(line, want) {
			return i + 1
		}
	}
	return 0
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// spdxConv converts a tools-golang document into the model.
type spdxConv struct {
	enc   string
	warns *[]Warning
	lines map[string]int
	rels  []int
	doc   *Document
}

func (c *spdxConv) warn(ptr, format string, args ...any) {
	*c.warns = append(*c.warns, Warning{Pointer: ptr, Message: fmt.Sprintf(format, args...)})
}

// pkgPath is the position of the i-th package: a JSON pointer or the
// tag-value line of its SPDXID.
func (c *spdxConv) pkgPath(i int, ref string) string {
	if c.enc == EncodingTagValue {
		if n := c.lines[ref]; n > 0 {
			return "line " + strconv.Itoa(n)
		}
		return "package " + ref
	}
	return "/packages/" + strconv.Itoa(i)
}

func (c *spdxConv) convert(sd *spdx.Document, version string) *Document {
	c.doc = &Document{
		Format:       FormatSPDX,
		SpecVersion:  strings.TrimPrefix(version, "SPDX-"),
		Encoding:     c.enc,
		Serial:       sd.DocumentNamespace,
		Dependencies: map[string][]string{},
	}
	if sd.CreationInfo != nil && sd.CreationInfo.Created != "" {
		t, err := time.Parse(time.RFC3339, sd.CreationInfo.Created)
		if err != nil {
			c.warn(c.docPath("/creationInfo/created", "Created"), "created %q is not RFC 3339", sd.CreationInfo.Created)
		}
		c.doc.Created = t
	}

	// Annotations on packages (tag-value puts them on the document).
	notes := map[string][]string{}
	for _, a := range sd.Annotations {
		if a != nil {
			ref := common.RenderDocElementID(a.AnnotationSPDXIdentifier)
			notes[ref] = append(notes[ref], a.AnnotationComment)
		}
	}

	index := map[string]int{} // ref → index in Components
	files := map[string]bool{}
	for _, f := range sd.Files {
		if f != nil {
			files[common.RenderElementID(f.FileSPDXIdentifier)] = true
		}
	}
	for _, p := range sd.Packages {
		if p != nil {
			for _, f := range p.Files {
				if f != nil {
					files[common.RenderElementID(f.FileSPDXIdentifier)] = true
				}
			}
		}
	}
	for i, p := range sd.Packages {
		if p == nil {
			continue
		}
		comp := c.pkg(i, p, notes)
		if _, dup := index[comp.Ref]; dup {
			path := c.pkgPath(i, comp.Ref)
			c.warn(path, "duplicate SPDXID %q replaced by %q", comp.Ref, "ref:/packages/"+strconv.Itoa(i))
			comp.Ref = "ref:/packages/" + strconv.Itoa(i)
		}
		for {
			if _, taken := index[comp.Ref]; !taken {
				break
			}
			comp.Ref += "'"
		}
		index[comp.Ref] = len(c.doc.Components)
		c.doc.Components = append(c.doc.Components, comp)
	}

	docRef := common.RenderElementID(sd.SPDXIdentifier)
	if sd.SPDXIdentifier == "" {
		docRef = "SPDXRef-DOCUMENT"
	}
	deps := map[string]map[string]bool{}
	addDep := func(from, to string) {
		if deps[from] == nil {
			deps[from] = map[string]bool{}
		}
		deps[from][to] = true
	}
	product := ""
	for i, r := range sd.Relationships {
		if r == nil {
			continue
		}
		a, b := common.RenderDocElementID(r.RefA), common.RenderDocElementID(r.RefB)
		ptr := c.relPath(i)
		rel := strings.ToUpper(strings.ReplaceAll(r.Relationship, "-", "_"))
		switch rel {
		case "DESCRIBED_BY", "CONTAINED_BY", "DEPENDENCY_OF", "RUNTIME_DEPENDENCY_OF",
			"OPTIONAL_DEPENDENCY_OF", "PROVIDED_DEPENDENCY_OF":
			a, b = b, a
		}
		switch rel {
		case "DESCRIBES", "DESCRIBED_BY":
			if a != docRef {
				continue
			}
			if _, ok := index[b]; ok && product == "" {
				product = b
			}
			continue
		case "CONTAINS", "CONTAINED_BY", "DEPENDS_ON", "DEPENDENCY_OF", "RUNTIME_DEPENDENCY_OF",
			"OPTIONAL_DEPENDENCY_OF", "PROVIDED_DEPENDENCY_OF", "STATIC_LINK", "DYNAMIC_LINK":
		default:
			continue
		}
		if b == "NONE" || b == "NOASSERTION" || files[a] || files[b] {
			continue
		}
		_, okA := index[a]
		_, okB := index[b]
		if !okA || !okB {
			c.warn(ptr, "%s %s %s: not a package of this document", a, rel, b)
			continue
		}
		if a == b {
			continue
		}
		if rel == "CONTAINS" || rel == "CONTAINED_BY" {
			child := &c.doc.Components[index[b]]
			switch {
			case child.Parent == "":
				child.Parent = a
			case child.Parent != a:
				c.warn(ptr, "%s is contained in both %s and %s: kept the first", b, child.Parent, a)
			}
			continue
		}
		addDep(a, b)
	}
	for from, set := range deps {
		list := make([]string, 0, len(set))
		for to := range set {
			list = append(list, to)
		}
		sort.Strings(list)
		c.doc.Dependencies[from] = list
	}
	if product != "" {
		c.doc.Product = c.doc.Components[index[product]]
		c.doc.Name, c.doc.Version, c.doc.Supplier = c.doc.Product.Name, c.doc.Product.Version, c.doc.Product.Supplier
	}
	return c.doc
}

func (c *spdxConv) docPath(jsonPtr, tag string) string {
	if c.enc == EncodingTagValue {
		return tag
	}
	return jsonPtr
}

func (c *spdxConv) relPath(i int) string {
	if c.enc == EncodingTagValue {
		if i < len(c.rels) {
			return "line " + strconv.Itoa(c.rels[i])
		}
		return "relationship " + strconv.Itoa(i+1)
	}
	return "/relationships/" + strconv.Itoa(i)
}

func (c *spdxConv) pkg(i int, p *spdx.Package, notes map[string][]string) Component {
	ref := common.RenderElementID(p.PackageSPDXIdentifier)
	if p.PackageSPDXIdentifier == "" {
		ref = "ref:/packages/" + strconv.Itoa(i)
	}
	path := c.pkgPath(i, ref)
	out := Component{
		Ref:     ref,
		Type:    strings.ToLower(strings.ReplaceAll(p.PrimaryPackagePurpose, "_", "-")),
		Name:    p.PackageName,
		Version: p.PackageVersion,
	}
	if p.PackageSupplier != nil && !noAssertion(p.PackageSupplier.Supplier) {
		out.Supplier = p.PackageSupplier.Supplier
	}
	for j, h := range p.PackageChecksums {
		addHash(&out, string(h.Algorithm), h.Value, c.sub(path, "checksums", j), c.warns)
	}
	for _, l := range []string{p.PackageLicenseConcluded, p.PackageLicenseDeclared} {
		if !noAssertion(l) {
			out.Licenses = appendUnique(out.Licenses, strings.TrimSpace(l))
		}
	}
	for j, r := range p.PackageExternalReferences {
		if r == nil {
			continue
		}
		ptr := c.sub(path, "externalRefs", j)
		switch strings.ToLower(r.RefType) {
		case "purl":
			purl, raw := normalizePURL(r.Locator, ptr+c.field("/referenceLocator"), c.warns)
			switch {
			case out.PURL == "" && out.RawPURL == "":
				out.PURL, out.RawPURL = purl, raw
			case purl != out.PURL || raw != out.RawPURL:
				c.warn(ptr, "second purl %q ignored", r.Locator)
			}
		case "cpe22type", "cpe23type":
			if cpe := strings.TrimSpace(r.Locator); cpe != "" {
				out.CPEs = appendUnique(out.CPEs, cpe)
			}
		}
	}
	if p.ValidUntilDate != "" {
		setLifecycle(&out, "end of support", p.ValidUntilDate, path+c.field("/validUntilDate"), c.warns)
	}
	setLifecycleText(&out, p.PackageComment, path+c.field("/comment"), c.warns)
	for j, a := range p.Annotations {
		setLifecycleText(&out, a.AnnotationComment, c.sub(path, "annotations", j), c.warns)
	}
	for _, n := range notes[ref] {
		setLifecycleText(&out, n, path, c.warns)
	}
	return out
}

// sub is the position of the j-th member of a package list (JSON only; a
// tag-value position stays the package's line).
func (c *spdxConv) sub(path, list string, j int) string {
	if c.enc == EncodingTagValue {
		return path
	}
	return path + "/" + list + "/" + strconv.Itoa(j)
}

func (c *spdxConv) field(f string) string {
	if c.enc == EncodingTagValue {
		return ""
	}
	return f
}

func noAssertion(s string) bool {
	s = strings.TrimSpace(s)
	return s == "" || s == "NOASSERTION" || s == "NONE"
}
