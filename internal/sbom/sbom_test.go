package sbom

import (
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func date(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// find returns the component with ref, or fails.
func find(t *testing.T, doc *Document, ref string) Component {
	t.Helper()
	for _, c := range doc.Components {
		if c.Ref == ref {
			return c
		}
	}
	t.Fatalf("no component %q; have %v", ref, refs(doc))
	return Component{}
}

func refs(doc *Document) []string {
	var out []string
	for _, c := range doc.Components {
		out = append(out, c.Ref)
	}
	return out
}

func messages(ws []Warning) []string {
	var out []string
	for _, w := range ws {
		out = append(out, w.String())
	}
	return out
}

func TestParseFixtures(t *testing.T) {
	tests := []struct {
		file string
		// document header
		format, spec, enc, serial string
		name, version, supplier   string
		created                   time.Time
		refs                      []string
		deps                      map[string][]string
		// one component checked field by field
		want Component
		// warnings, as "pointer: message"
		warns []string
	}{
		{
			file: "cdx-1.2.xml", format: FormatCycloneDX, spec: "1.2", enc: EncodingXML,
			serial: "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
			name:   "Infusion Pump", version: "4.2.0", supplier: "Acme Medical",
			created: date("2021-03-04T10:20:30Z"),
			refs:    []string{"pkg:generic/freertos@10.4.3", "lwip", "ref:/bom/components/component[2]"},
			deps: map[string][]string{
				"infusion-pump":               {"pkg:generic/freertos@10.4.3"},
				"pkg:generic/freertos@10.4.3": {"lwip"},
			},
			want: Component{
				Ref: "pkg:generic/freertos@10.4.3", Type: "operating-system", Name: "FreeRTOS", Version: "10.4.3",
				PURL: "pkg:generic/freertos@10.4.3", CPEs: []string{"cpe:2.3:o:amazon:freertos:10.4.3:*:*:*:*:*:*:*"},
				Supplier: "Amazon", Licenses: []string{"MIT"},
				Hashes: map[string]string{"SHA-256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
			},
		},
		{
			file: "cdx-1.4-nested.json", format: FormatCycloneDX, spec: "1.4", enc: EncodingJSON,
			serial: "urn:uuid:1b671687-395b-41f5-a30f-a58921a69b79",
			name:   "Patient Monitor", version: "7.1", supplier: "Example Health",
			created: date("2023-05-06T07:08:09+02:00"),
			refs:    []string{"fw", "wolfssl", "ref:/components/0/components/0/components/0", "ref:/components/1"},
			deps: map[string][]string{
				"monitor": {"fw"},
				"fw":      {"wolfssl", "ghost"},
				"wolfssl": {},
			},
			want: Component{
				Ref: "wolfssl", Parent: "fw", Type: "library", Name: "WolfSSL", Version: "4.8.1",
				PURL: "pkg:github/wolfssl/wolfssl@v4.8.1", CPEs: []string{"cpe:2.3:a:wolfssl:wolfssl:4.8.1:*:*:*:*:*:*:*"},
				Hashes:       map[string]string{"SHA-1": "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3"},
				SupportLevel: "Inactive", EndOfSupportText: "No longer supported",
			},
			warns: []string{
				`/components/1: duplicate bom-ref "fw" replaced by "ref:/components/1"`,
				`/components/1/purl: invalid purl "not a purl": purl scheme is not "pkg": "not a purl"`,
				`dependencies: "fw" depends on unknown ref "ghost"`,
			},
		},
		{
			file: "cdx-1.6.json", format: FormatCycloneDX, spec: "1.6", enc: EncodingJSON,
			serial: "urn:uuid:6b671687-395b-41f5-a30f-a58921a69b79",
			name:   "CT Scanner Console", version: "2024.2", supplier: "Contoso Imaging",
			created: date("2024-11-12T13:14:15Z"),
			refs:    []string{"os", "pkg:npm/%40angular/core@17.0.1"},
			deps: map[string][]string{
				"ct": {"os", "pkg:npm/%40angular/core@17.0.1"},
				"os": {},
			},
			want: Component{
				Ref: "os", Type: "operating-system", Name: "Windows 10 IoT Enterprise LTSC", Version: "21H2",
				CPEs:     []string{"cpe:2.3:o:microsoft:windows_10_21h2:-:*:*:*:*:*:x64:*"},
				Supplier: "Microsoft", Licenses: []string{"Microsoft EULA"},
				SupportLevel: "Vendor supported", EndOfSupport: date("2032-01-13T00:00:00Z"), EndOfSupportText: "2032-01-13",
			},
			warns: []string{`/components/1/hashes/1: SHA-256 hash "xyz" is not hex`},
		},
		{
			file: "spdx-2.2.spdx", format: FormatSPDX, spec: "2.2", enc: EncodingTagValue,
			serial: "https://example.com/spdx/ventilator-fw-3.0-5b4a",
			name:   "ventilator-firmware", version: "3.0.1", supplier: "Example Respiratory",
			created: date("2022-08-09T10:11:12Z"),
			refs:    []string{"SPDXRef-fw", "SPDXRef-zlib"},
			deps:    map[string][]string{"SPDXRef-fw": {"SPDXRef-zlib"}},
			want: Component{
				Ref: "SPDXRef-zlib", Parent: "SPDXRef-fw", Name: "zlib", Version: "1.2.11",
				PURL: "pkg:generic/zlib@1.2.11", CPEs: []string{"cpe:2.3:a:zlib:zlib:1.2.11:*:*:*:*:*:*:*"},
				Hashes:   map[string]string{"SHA-1": "85dec2d1b2f1a6e1a5e3f3e7e0f1c8b9a4d5e6f7"},
				Licenses: []string{"Zlib"},
			},
		},
		{
			file: "spdx-2.3.json", format: FormatSPDX, spec: "2.3", enc: EncodingJSON,
			serial: "https://example.com/spdx/glucose-meter-app-2.3-9f1c",
			name:   "glucose-app", version: "5.4", supplier: "Example Diabetes Care",
			created: date("2024-02-03T04:05:06Z"),
			refs:    []string{"SPDXRef-app", "SPDXRef-jackson", "SPDXRef-jackson-core", "SPDXRef-ui"},
			deps: map[string][]string{
				"SPDXRef-app":     {"SPDXRef-jackson"},
				"SPDXRef-jackson": {"SPDXRef-jackson-core"},
			},
			want: Component{
				Ref: "SPDXRef-jackson", Type: "library", Name: "jackson-databind", Version: "2.13.0",
				PURL:     "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.13.0",
				CPEs:     []string{"cpe:2.3:a:fasterxml:jackson-databind:2.13.0:*:*:*:*:*:*:*", "cpe:/a:fasterxml:jackson-databind:2.13.0"},
				Supplier: "FasterXML", Licenses: []string{"Apache-2.0"},
				Hashes:       map[string]string{"SHA-256": "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"},
				SupportLevel: "Community", EndOfSupport: date("2026-12-01T00:00:00Z"), EndOfSupportText: "2026-12",
			},
			warns: []string{`/relationships/4: SPDXRef-app DEPENDS_ON SPDXRef-missing: not a package of this document`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			doc, warns, err := ParseFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			gotHead := []any{doc.Format, doc.SpecVersion, doc.Encoding, doc.Serial, doc.Name, doc.Version, doc.Supplier}
			wantHead := []any{tt.format, tt.spec, tt.enc, tt.serial, tt.name, tt.version, tt.supplier}
			if !reflect.DeepEqual(gotHead, wantHead) {
				t.Errorf("header = %q, want %q", gotHead, wantHead)
			}
			if !doc.Created.Equal(tt.created) {
				t.Errorf("Created = %v, want %v", doc.Created, tt.created)
			}
			if got := refs(doc); !reflect.DeepEqual(got, tt.refs) {
				t.Errorf("refs = %q, want %q", got, tt.refs)
			}
			if !reflect.DeepEqual(doc.Dependencies, tt.deps) {
				t.Errorf("Dependencies = %v, want %v", doc.Dependencies, tt.deps)
			}
			got := find(t, doc, tt.want.Ref)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("component %s:\n got %+v\nwant %+v", tt.want.Ref, got, tt.want)
			}
			if got := messages(warns); !reflect.DeepEqual(got, tt.warns) {
				t.Errorf("warnings:\n got %q\nwant %q", got, tt.warns)
			}
		})
	}
}

// TestProductAndLifecycle checks the described product and the lifecycle
// mapping on the parts TestParseFixtures does not look at.
func TestProductAndLifecycle(t *testing.T) {
	doc, _, err := ParseFile("testdata/spdx-2.2.spdx")
	if err != nil {
		t.Fatal(err)
	}
	p := doc.Product
	if p.Ref != "SPDXRef-fw" || p.PURL != "pkg:generic/example/ventilator-firmware@3.0.1" ||
		p.SupportLevel != "Actively maintained" || !p.EndOfSupport.Equal(date("2031-06-30T00:00:00Z")) ||
		p.Hashes["SHA-256"] != "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae" {
		t.Errorf("tag-value product (from DESCRIBES, comment lifecycle) = %+v", p)
	}

	doc, _, err = ParseFile("testdata/spdx-2.3.json")
	if err != nil {
		t.Fatal(err)
	}
	if p := doc.Product; p.Ref != "SPDXRef-app" || p.Type != "application" || !p.EndOfSupport.Equal(date("2029-03-31T00:00:00Z")) {
		t.Errorf("SPDX 2.3 product (documentDescribes, validUntilDate) = %+v", p)
	}
	if ui := find(t, doc, "SPDXRef-ui"); ui.Parent != "SPDXRef-app" {
		t.Errorf("CONTAINS: ui.Parent = %q, want SPDXRef-app", ui.Parent)
	}
	if _, ok := doc.Dependencies["SPDXRef-ui"]; ok {
		t.Errorf("DEV_DEPENDENCY_OF must not enter the dependency graph: %v", doc.Dependencies)
	}

	doc, _, err = ParseFile("testdata/cdx-1.4-nested.json")
	if err != nil {
		t.Fatal(err)
	}
	fw := find(t, doc, "fw")
	if fw.SupportLevel != "Actively maintained" || !fw.EndOfSupport.Equal(date("2030-12-31T00:00:00Z")) || fw.Parent != "" {
		t.Errorf("fw = %+v", fw)
	}
	bad := find(t, doc, "ref:/components/1")
	if bad.PURL != "" || bad.RawPURL != "not a purl" {
		t.Errorf("invalid purl: PURL=%q RawPURL=%q", bad.PURL, bad.RawPURL)
	}
	if p := doc.Product; p.Ref != "monitor" || p.Type != "device" {
		t.Errorf("product = %+v", p)
	}
}

func TestLifecycleKey(t *testing.T) {
	tests := []struct{ name, want string }{
		{"Level of Support", "support"},
		{"support level", "support"},
		{"fda:support-level", "support"},
		{"End-of-Support", "eos"},
		{"EOS", "eos"},
		{"end of life", "eos"},
		{"acme:eol-date", "eos"},
		{"Support", ""},
		{"cdx:npm:package:path", ""},
	}
	for _, tt := range tests {
		if got := lifecycleKey(tt.name); got != tt.want {
			t.Errorf("lifecycleKey(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		file     string
		sentinel error
		// want is the exact error text, relative to testdata.
		want string
	}{
		{"broken-syntax.json", ErrInvalid,
			`broken-syntax.json:5:37: invalid SBOM: invalid character '}' looking for beginning of object key string (at /components/0/name)`},
		{"broken-type.json", ErrInvalid,
			`broken-type.json:6:50: invalid SBOM: json: cannot unmarshal number into Go struct field Component.components.version of type string (at /components/1/version)`},
		{"broken.xml", ErrInvalid,
			`broken.xml:6: invalid SBOM: XML syntax error on line 6: element <component> closed by </componen>`},
		{"broken.spdx", ErrInvalid,
			`broken.spdx:5: invalid SBOM: no colon in tag-value line "this line has no colon"`},
		{"unsupported-version.json", ErrUnsupported,
			`unsupported-version.json:3:3: unsupported SBOM version or encoding: CycloneDX specVersion is not 1.0–1.7 (at /specVersion)`},
		{"spdx-3.json", ErrUnsupported,
			`spdx-3.json: unsupported SBOM version or encoding: SPDX 3 JSON-LD (only SPDX 2.2/2.3 are read)`},
		{"not-sbom.json", ErrUnknownFormat,
			`not-sbom.json: not a CycloneDX or SPDX document: JSON without bomFormat or spdxVersion`},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			doc, _, err := Parse(bytes.NewReader(data), tt.file)
			if err == nil {
				t.Fatalf("parsed %+v, want an error", doc)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("error:\n got %s\nwant %s", got, tt.want)
			}
			if !errors.Is(err, tt.sentinel) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.sentinel)
			}
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Name != tt.file {
				t.Errorf("not a *ParseError naming the file: %#v", err)
			}
		})
	}
}

// TestTagValueErrorLine checks that errors found by tools-golang after the
// line check still name the line they are about.
func TestTagValueErrorLine(t *testing.T) {
	head := "SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\nSPDXID: SPDXRef-DOCUMENT\nDocumentName: d\n" +
		"DocumentNamespace: https://example.com/d\nCreator: Tool: x\nCreated: 2024-01-01T00:00:00Z\n\n" +
		"PackageName: p\nSPDXID: SPDXRef-p\n"
	tests := []struct{ extra, want string }{
		{"PackageSupplier: nobody\n", "t.spdx:11: invalid SBOM: invalid subvalue format for nobody (no colon found)"},
		{"PackageChecksum: SHA1 abc\n", "t.spdx:11: invalid SBOM: invalid subvalue format for SHA1 abc (no colon found)"},
		{"Relationship: SPDXRef-p\n", "t.spdx:11: invalid SBOM: invalid relationship format for SPDXRef-p"},
		{"SPDXID: bad-id\n", "t.spdx: invalid SBOM: missing SPDXRef- prefix for element identifier"},
	}
	for _, tt := range tests {
		_, _, err := Parse(strings.NewReader(head+tt.extra), "t.spdx")
		if err == nil || err.Error() != tt.want {
			t.Errorf("%q:\n got %v\nwant %s", tt.extra, err, tt.want)
		}
	}
}

func TestParseDetection(t *testing.T) {
	tests := []struct {
		name, in string
		want     error
	}{
		{"empty", "", ErrUnknownFormat},
		{"blank", " \n\t", ErrUnknownFormat},
		{"text", "hello world\n", ErrUnknownFormat},
		{"json array", "[1, 2]", ErrUnknownFormat},
		{"truncated json", `{"bomFormat": "CycloneDX", "specVersion": "1.4", "components": [`, ErrInvalid},
		{"other bomFormat", `{"bomFormat": "Other", "specVersion": "1.4"}`, ErrUnknownFormat},
		{"cdx without specVersion", `{"bomFormat": "CycloneDX"}`, ErrInvalid},
		{"spdx 3 in spdxVersion", `{"spdxVersion": "SPDX-3.0"}`, ErrUnsupported},
		{"other xml", `<?xml version="1.0"?><project xmlns="http://maven.apache.org/POM/4.0.0"/>`, ErrUnknownFormat},
		{"cdx 0.9 namespace", `<bom xmlns="http://cyclonedx.org/schema/bom/0.9"/>`, ErrUnsupported},
		{"spdx rdf", `<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:spdx="http://spdx.org/rdf/terms#"/>`, ErrUnsupported},
		{"broken xml", `<bom`, ErrInvalid},
		{"tag-value 3.0", "SPDXVersion: SPDX-3.0\n", ErrUnsupported},
		{"tag-value open text", "SPDXVersion: SPDX-2.3\nDocumentComment: <text>never closed\n", ErrInvalid},
		{"gzip garbage", "\x1f\x8b\x08\x00garbage", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, _, err := Parse(strings.NewReader(tt.in), "in")
			if err == nil {
				t.Fatalf("parsed %+v, want an error", doc)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("error %v, want %v", err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "in") {
				t.Errorf("error %q does not name the input", err)
			}
		})
	}
}

// TestGzip reads a gzipped fixture through ParseFile: gzip is recognised
// by its magic bytes, whatever the name.
func TestGzip(t *testing.T) {
	data, err := os.ReadFile("testdata/cdx-1.6.json")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(data)
	zw.Close()
	path := filepath.Join(t.TempDir(), "bom.json") // no .gz on purpose
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	doc, _, err := ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(doc.Components), 2; got != want || doc.Name != "CT Scanner Console" {
		t.Errorf("gzip: %d components, name %q; want %d, CT Scanner Console", got, doc.Name, want)
	}
	// A truncated gzip stream is an error, not a short document.
	if _, _, err := Parse(bytes.NewReader(buf.Bytes()[:buf.Len()/2]), "cut.json.gz"); err == nil || !strings.HasPrefix(err.Error(), "cut.json.gz") {
		t.Errorf("truncated gzip: err = %v", err)
	}
}

// TestJSONXMLParity reads the same hand-written BOM in both encodings.
func TestJSONXMLParity(t *testing.T) {
	x := `<?xml version="1.0"?>
<bom xmlns="http://cyclonedx.org/schema/bom/1.5" version="1">
  <components>
    <component type="firmware" bom-ref="a">
      <name>A</name><version>1</version>
      <hashes><hash alg="MD5">D41D8CD98F00B204E9800998ECF8427E</hash></hashes>
      <purl>pkg:generic/a@1</purl>
      <properties><property name="EOS">2027-05-01</property></properties>
    </component>
  </components>
</bom>`
	j := `{"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": [
  {"type": "firmware", "bom-ref": "a", "name": "A", "version": "1",
   "hashes": [{"alg": "MD5", "content": "D41D8CD98F00B204E9800998ECF8427E"}],
   "purl": "pkg:generic/a@1",
   "properties": [{"name": "EOS", "value": "2027-05-01"}]}]}`
	dx, _, err := Parse(strings.NewReader(x), "x")
	if err != nil {
		t.Fatal(err)
	}
	dj, _, err := Parse(strings.NewReader(j), "j")
	if err != nil {
		t.Fatal(err)
	}
	if dx.SpecVersion != "1.5" || dx.Encoding != EncodingXML || dj.Encoding != EncodingJSON {
		t.Errorf("xml %s/%s json %s", dx.SpecVersion, dx.Encoding, dj.Encoding)
	}
	if !reflect.DeepEqual(dx.Components, dj.Components) {
		t.Errorf("XML and JSON differ:\n xml %+v\njson %+v", dx.Components, dj.Components)
	}
	if c := dx.Components[0]; !c.EndOfSupport.Equal(date("2027-05-01T00:00:00Z")) || c.Hashes["MD5"] != "d41d8cd98f00b204e9800998ecf8427e" {
		t.Errorf("component %+v", c)
	}
}

func TestPointerAt(t *testing.T) {
	data := []byte(`{"a": [1, {"b/c": true, "d": [null, "x"]}], "e": {}}`)
	tests := []struct {
		sub  string
		want string
	}{
		{`1,`, "/a/0"},
		{`true`, "/a/1/b~1c"},
		{`"x"`, "/a/1/d/1"},
		{`{}}`, "/e"},
	}
	for _, tt := range tests {
		off := int64(bytes.Index(data, []byte(tt.sub)) + len(tt.sub) - 1)
		if got := pointerAt(data, off); got != tt.want {
			t.Errorf("pointerAt(%q) = %q, want %q", tt.sub, got, tt.want)
		}
	}
}
