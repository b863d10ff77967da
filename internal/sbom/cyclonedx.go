package sbom

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
)

const cdxNamespacePrefix = "http://cyclonedx.org/schema/bom/"

// jsonParser reads JSON documents: CycloneDX, SPDX 2.x, and recognises
// SPDX 3.0 JSON-LD to reject it clearly.
type jsonParser struct {
	name  string
	data  []byte
	warns []Warning
}

func (p *jsonParser) warnings() []Warning { return p.warns }

func (p *jsonParser) parse() (*Document, error) {
	switch {
	case bytes.Contains(p.data, []byte(`"bomFormat"`)):
		return p.cyclonedx()
	case bytes.Contains(p.data, []byte(`"spdxVersion"`)):
		return parseSPDXJSON(p.name, p.data, &p.warns)
	case bytes.Contains(p.data, []byte(`"@context"`)) && bytes.Contains(p.data, []byte("spdx.org/rdf/3")):
		return nil, &ParseError{Name: p.name, Offset: -1, Err: fmt.Errorf("%w: SPDX 3 JSON-LD (only SPDX 2.2/2.3 are read)", ErrUnsupported)}
	}
	if !json.Valid(p.data) {
		var v any
		return nil, jsonError(p.name, p.data, json.Unmarshal(p.data, &v))
	}
	return nil, &ParseError{Name: p.name, Offset: -1, Err: fmt.Errorf("%w: JSON without bomFormat or spdxVersion", ErrUnknownFormat)}
}

func (p *jsonParser) cyclonedx() (*Document, error) {
	var bom cdx.BOM
	if err := json.Unmarshal(p.data, &bom); err != nil {
		if errors.Is(err, cdx.ErrInvalidSpecVersion) {
			off := keyOffset(p.data, "specVersion")
			line, col := lineCol(p.data, off)
			return nil, &ParseError{Name: p.name, Offset: off, Line: line, Column: col, Pointer: "/specVersion",
				Err: fmt.Errorf("%w: CycloneDX specVersion is not 1.0–1.7", ErrUnsupported)}
		}
		return nil, jsonError(p.name, p.data, err)
	}
	if bom.BOMFormat != "CycloneDX" {
		off := keyOffset(p.data, "bomFormat")
		line, col := lineCol(p.data, off)
		return nil, &ParseError{Name: p.name, Offset: off, Line: line, Column: col, Pointer: "/bomFormat",
			Err: fmt.Errorf("%w: bomFormat is %q, want \"CycloneDX\"", ErrUnknownFormat, bom.BOMFormat)}
	}
	if bom.SpecVersion == 0 {
		return nil, &ParseError{Name: p.name, Offset: -1, Pointer: "/specVersion", Err: fmt.Errorf("%w: CycloneDX specVersion missing", ErrInvalid)}
	}
	c := cdxConv{enc: EncodingJSON, warns: &p.warns}
	return c.convert(&bom, bom.SpecVersion.String()), nil
}

// xmlParser reads CycloneDX XML and recognises SPDX RDF/XML to reject it.
type xmlParser struct {
	name  string
	data  []byte
	warns []Warning
}

func (p *xmlParser) warnings() []Warning { return p.warns }

func (p *xmlParser) parse() (*Document, error) {
	root, err := p.root()
	if err != nil {
		return nil, err
	}
	switch {
	case root.Local == "bom" && strings.HasPrefix(root.Space, cdxNamespacePrefix):
	case root.Local == "RDF" && bytes.Contains(p.data, []byte("spdx.org/rdf")):
		return nil, &ParseError{Name: p.name, Offset: -1, Err: fmt.Errorf("%w: SPDX RDF/XML (use JSON or tag-value)", ErrUnsupported)}
	default:
		return nil, &ParseError{Name: p.name, Offset: -1, Err: fmt.Errorf("%w: XML root <%s xmlns=%q>", ErrUnknownFormat, root.Local, root.Space)}
	}
	version := strings.TrimPrefix(root.Space, cdxNamespacePrefix)
	if _, ok := cdxVersions[version]; !ok {
		return nil, &ParseError{Name: p.name, Line: 1, Offset: -1, Err: fmt.Errorf("%w: CycloneDX namespace %q", ErrUnsupported, root.Space)}
	}
	var bom cdx.BOM
	dec := xml.NewDecoder(bytes.NewReader(p.data))
	if err := dec.Decode(&bom); err != nil {
		line, col := dec.InputPos()
		var syn *xml.SyntaxError
		if errors.As(err, &syn) {
			line, col = syn.Line, 0
		}
		return nil, &ParseError{Name: p.name, Line: line, Column: col, Offset: dec.InputOffset(), Err: fmt.Errorf("%w: %w", ErrInvalid, err)}
	}
	c := cdxConv{enc: EncodingXML, warns: &p.warns}
	return c.convert(&bom, version), nil
}

// root returns the name of the first element.
func (p *xmlParser) root() (xml.Name, error) {
	dec := xml.NewDecoder(bytes.NewReader(p.data))
	for {
		tok, err := dec.Token()
		if err != nil {
			if err == io.EOF {
				err = errors.New("no root element")
			}
			line, col := dec.InputPos()
			return xml.Name{}, &ParseError{Name: p.name, Line: line, Column: col, Offset: dec.InputOffset(), Err: fmt.Errorf("%w: %w", ErrInvalid, err)}
		}
		if se, ok := tok.(xml.StartElement); ok {
			return se.Name, nil
		}
	}
}

var cdxVersions = map[string]bool{"1.0": true, "1.1": true, "1.2": true, "1.3": true, "1.4": true, "1.5": true, "1.6": true, "1.7": true}

// cdxConv converts a decoded CycloneDX BOM into the model.
type cdxConv struct {
	enc   string
	warns *[]Warning
	doc   *Document
	seen  map[string]bool
}

func (c *cdxConv) warn(ptr, format string, args ...any) {
	*c.warns = append(*c.warns, Warning{Pointer: ptr, Message: fmt.Sprintf(format, args...)})
}

// path returns the position of the idx-th member of a list under parent, in
// the document's own notation: "/components/3" for JSON,
// "/bom/components/component[4]" for XML.
func (c *cdxConv) path(parent, list string, idx int) string {
	if c.enc == EncodingXML {
		elem := strings.TrimSuffix(list, "s")
		if list == "dependencies" {
			elem = "dependency"
		}
		return fmt.Sprintf("%s/%s/%s[%d]", parent, list, elem, idx+1)
	}
	return parent + "/" + list + "/" + strconv.Itoa(idx)
}

func (c *cdxConv) root() string {
	if c.enc == EncodingXML {
		return "/bom"
	}
	return ""
}

func (c *cdxConv) convert(bom *cdx.BOM, version string) *Document {
	c.doc = &Document{
		Format:       FormatCycloneDX,
		SpecVersion:  version,
		Encoding:     c.enc,
		Serial:       bom.SerialNumber,
		Dependencies: map[string][]string{},
	}
	c.seen = map[string]bool{}
	if v := c.doc.SpecVersion; v < "1.2" || v > "1.6" {
		c.warn(c.root(), "CycloneDX %s is outside the tested range 1.2–1.6", v)
	}
	root := c.root()
	if md := bom.Metadata; md != nil {
		mdPath := root + "/metadata"
		if md.Timestamp != "" {
			t, err := time.Parse(time.RFC3339, md.Timestamp)
			if err != nil {
				c.warn(mdPath+"/timestamp", "timestamp %q is not RFC 3339", md.Timestamp)
			}
			c.doc.Created = t
		}
		if md.Component != nil {
			p := mdPath + "/component"
			c.doc.Product = c.component(md.Component, "", p)
			if md.Component.Components != nil {
				c.components(*md.Component.Components, c.doc.Product.Ref, p)
			}
		}
		if c.doc.Product.Supplier == "" {
			c.doc.Product.Supplier = firstEntity(md.Supplier, md.Manufacturer, md.Manufacture)
		}
		c.doc.Name, c.doc.Version, c.doc.Supplier = c.doc.Product.Name, c.doc.Product.Version, c.doc.Product.Supplier
	}
	if bom.Components != nil {
		c.components(*bom.Components, "", root)
	}
	if bom.Dependencies != nil {
		for i, d := range *bom.Dependencies {
			if d.Ref == "" {
				c.warn(c.path(root, "dependencies", i), "dependency without ref ignored")
				continue
			}
			deps := c.doc.Dependencies[d.Ref]
			if deps == nil {
				deps = []string{}
			}
			if d.Dependencies != nil {
				deps = append(deps, *d.Dependencies...)
			}
			c.doc.Dependencies[d.Ref] = deps
		}
	}
	return c.doc
}

// components appends list (flattened, depth first) with the given parent.
func (c *cdxConv) components(list []cdx.Component, parent, parentPath string) {
	for i := range list {
		p := c.path(parentPath, "components", i)
		comp := c.component(&list[i], parent, p)
		c.doc.Components = append(c.doc.Components, comp)
		if list[i].Components != nil {
			c.components(*list[i].Components, comp.Ref, p)
		}
	}
}

func (c *cdxConv) component(in *cdx.Component, parent, path string) Component {
	out := Component{
		Ref:     in.BOMRef,
		Parent:  parent,
		Type:    string(in.Type),
		Name:    in.Name,
		Group:   in.Group,
		Version: in.Version,
	}
	switch {
	case out.Ref == "":
		out.Ref = "ref:" + path
	case c.seen[out.Ref]:
		c.warn(path, "duplicate bom-ref %q replaced by %q", out.Ref, "ref:"+path)
		out.Ref = "ref:" + path
	}
	for c.seen[out.Ref] { // a synthetic ref that a real one already took
		out.Ref += "'"
	}
	c.seen[out.Ref] = true
	if in.Name == "" {
		c.warn(path, "component without name")
	}
	out.PURL, out.RawPURL = normalizePURL(in.PackageURL, path+"/purl", c.warns)
	if cpe := strings.TrimSpace(in.CPE); cpe != "" {
		out.CPEs = []string{cpe}
	}
	out.Supplier = firstEntity(in.Supplier, in.Manufacturer)
	if out.Supplier == "" {
		out.Supplier = in.Publisher
	}
	if in.Hashes != nil {
		for j, h := range *in.Hashes {
			addHash(&out, string(h.Algorithm), h.Value, c.path(path, "hashes", j), c.warns)
		}
	}
	if in.Licenses != nil {
		for _, l := range *in.Licenses {
			switch {
			case l.Expression != "":
				out.Licenses = appendUnique(out.Licenses, l.Expression)
			case l.License != nil && l.License.ID != "":
				out.Licenses = appendUnique(out.Licenses, l.License.ID)
			case l.License != nil && l.License.Name != "":
				out.Licenses = appendUnique(out.Licenses, l.License.Name)
			}
		}
	}
	if in.Properties != nil {
		for j, prop := range *in.Properties {
			setLifecycle(&out, prop.Name, prop.Value, c.path(path, "properties", j), c.warns)
		}
	}
	return out
}

func firstEntity(es ...*cdx.OrganizationalEntity) string {
	for _, e := range es {
		if e != nil && strings.TrimSpace(e.Name) != "" {
			return strings.TrimSpace(e.Name)
		}
	}
	return ""
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}
