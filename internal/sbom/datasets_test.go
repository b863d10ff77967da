package sbom

import (
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"
)

// datasets returns the folder of shared public data, or skips.
func datasets(tb testing.TB) string {
	tb.Helper()
	dir := os.Getenv("VIGIL_DATASETS")
	if dir == "" {
		tb.Skip("VIGIL_DATASETS not set: skipping the test on real public data (set it to ../shared/data)")
	}
	return dir
}

// sbomDatasets are the folders of $VIGIL_DATASETS walked by TestDatasets.
var sbomDatasets = []string{"medical-device-sbom", "cyclonedx-bom-examples", "spdx-examples"}

const spdx3 = "SPDX 3.0 JSON-LD: a different model (tools-golang reads SPDX 2.1–2.3 only); its SPDX 2.x twin in the same example parses"

// rejected lists every file of the SBOM datasets that Parse must reject,
// with the reason and the sentinel error. Every other file must parse.
var rejected = map[string]struct {
	reason string
	err    error
}{
	"medical-device-sbom/LICENSE":                          {"not an SBOM: the MIT license text", ErrUnknownFormat},
	"medical-device-sbom/README.md":                        {"not an SBOM: the repository README", ErrUnknownFormat},
	"cyclonedx-bom-examples/LICENSE":                       {"not an SBOM: the CC0 license text", ErrUnknownFormat},
	"cyclonedx-bom-examples/SBOM/laravel-7.12.0/README.md": {"not an SBOM: notes on the laravel example", ErrUnknownFormat},

	"spdx-examples/software/example1/spdx3.0/example1.json":                           {spdx3, ErrUnsupported},
	"spdx-examples/software/example3/spdx3.0/example3-bin.json":                       {spdx3, ErrUnsupported},
	"spdx-examples/software/example3/spdx3.0/example3-src.json":                       {spdx3, ErrUnsupported},
	"spdx-examples/software/example4/spdx3.0/example4-bin.json":                       {spdx3, ErrUnsupported},
	"spdx-examples/software/example4/spdx3.0/example4-src.json":                       {spdx3, ErrUnsupported},
	"spdx-examples/software/example5/spdx3.0/example5-bin.json":                       {spdx3, ErrUnsupported},
	"spdx-examples/software/example5/spdx3.0/example5-src.json":                       {spdx3, ErrUnsupported},
	"spdx-examples/software/example6/spdx3.0/example6-bin.json":                       {spdx3, ErrUnsupported},
	"spdx-examples/software/example6/spdx3.0/example6-lib.json":                       {spdx3, ErrUnsupported},
	"spdx-examples/software/example6/spdx3.0/example6-src.json":                       {spdx3, ErrUnsupported},
	"spdx-examples/software/example7/spdx3.0/example7-bin.spdx3.json":                 {spdx3, ErrUnsupported},
	"spdx-examples/software/example7/spdx3.0/example7-go-module.spdx3.json":           {spdx3, ErrUnsupported},
	"spdx-examples/software/example7/spdx3.0/example7-golang.spdx3.json":              {spdx3, ErrUnsupported},
	"spdx-examples/software/example7/spdx3.0/example7-third-party-modules.spdx3.json": {spdx3, ErrUnsupported},
	"spdx-examples/software/example8/spdx3.0/examplemaven-0.0.1.spdx3.json":           {spdx3, ErrUnsupported},
	"spdx-examples/software/example9/spdx3.0/appbomination.spdx3.json":                {spdx3, ErrUnsupported},
	"spdx-examples/software/example10/spdx3.0/hello-source.spdx3.json":                {spdx3, ErrUnsupported},
	"spdx-examples/software/example11/spdx3.0/sbom.spdx3.json":                        {spdx3, ErrUnsupported},
	"spdx-examples/software/example12/spdx3.0/hello-dist.spdx3.json":                  {spdx3, ErrUnsupported},
	"spdx-examples/software/example12/spdx3.0/hello-src.spdx3.json":                   {spdx3, ErrUnsupported},
}

// TestDatasets parses every file of the SBOM datasets: each parses, or is
// in rejected with the right sentinel. A file added to the data without a
// decision here fails the test.
func TestDatasets(t *testing.T) {
	data := datasets(t)
	seen := map[string]bool{}
	var parsed int
	for _, set := range sbomDatasets {
		root := filepath.Join(data, set)
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(data, path)
			rel = filepath.ToSlash(rel)
			seen[rel] = true
			doc, _, err := ParseFile(path)
			want, reject := rejected[rel]
			switch {
			case reject && err == nil:
				t.Errorf("%s: parsed (%s %s, %d components), but is listed as rejected: %s", rel, doc.Format, doc.SpecVersion, len(doc.Components), want.reason)
			case reject && !errors.Is(err, want.err):
				t.Errorf("%s: error %v, want %v (%s)", rel, err, want.err, want.reason)
			case !reject && err != nil:
				t.Errorf("%s: %v", rel, err)
			case !reject:
				parsed++
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for rel := range rejected {
		if !seen[rel] {
			t.Errorf("%s: listed as rejected but not in the data", rel)
		}
	}
	if parsed < 80 {
		t.Errorf("only %d files parsed", parsed)
	}
	t.Logf("%d files parsed, %d rejected as listed", parsed, len(rejected))
}

const medicalSBOM = "medical-device-sbom/sboms/case-study/narrow.sbom.json"

// rawComponent is read from the medical-device SBOM with encoding/json
// alone, to check Parse against an independent reading.
type rawComponent struct {
	Ref        string                          `json:"bom-ref"`
	Type       string                          `json:"type"`
	Name       string                          `json:"name"`
	Version    string                          `json:"version"`
	CPE        string                          `json:"cpe"`
	PURL       string                          `json:"purl"`
	Publisher  string                          `json:"publisher"`
	Hashes     []struct{ Alg, Content string } `json:"hashes"`
	Properties []struct{ Name, Value string }  `json:"properties"`
	Components []rawComponent                  `json:"components"`
}

func flattenRaw(cs []rawComponent) []rawComponent {
	var out []rawComponent
	for _, c := range cs {
		out = append(out, c)
		out = append(out, flattenRaw(c.Components)...)
	}
	return out
}

func TestMedicalDeviceSBOM(t *testing.T) {
	path := filepath.Join(datasets(t), medicalSBOM)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var in struct {
		SpecVersion  string `json:"specVersion"`
		Serial       string `json:"serialNumber"`
		Components   []rawComponent
		Dependencies []struct {
			Ref       string   `json:"ref"`
			DependsOn []string `json:"dependsOn"`
		}
	}
	if err := json.Unmarshal(raw, &in); err != nil {
		t.Fatal(err)
	}
	flat := flattenRaw(in.Components)

	doc, warns, err := ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(warns) != 0 {
		t.Errorf("warnings: %v", warns)
	}
	// Exact figures, stated once: a change in the data or the parser shows.
	if got, want := len(doc.Components), 55; got != want {
		t.Errorf("%d components, want %d", got, want)
	}
	if got, want := len(flat), 55; got != want {
		t.Errorf("raw walk found %d components, want %d", got, want)
	}
	if got, want := len(doc.Dependencies), 56; got != want {
		t.Errorf("%d dependency entries, want %d", got, want)
	}
	if doc.Format != FormatCycloneDX || doc.SpecVersion != "1.4" || doc.Serial != in.Serial || doc.Name != "REDACTED" {
		t.Errorf("header %s %s %q %q", doc.Format, doc.SpecVersion, doc.Serial, doc.Name)
	}

	// Every component against the raw reading.
	byRef := map[string]Component{}
	for _, c := range doc.Components {
		byRef[c.Ref] = c
	}
	levels := map[string]int{}
	for _, r := range flat {
		c, ok := byRef[r.Ref]
		if !ok {
			t.Errorf("component %s (%s) missing", r.Ref, r.Name)
			continue
		}
		props := map[string]string{}
		for _, p := range r.Properties {
			props[p.Name] = p.Value
		}
		var cpes []string
		if r.CPE != "" {
			cpes = []string{r.CPE}
		}
		want := Component{Ref: r.Ref, Type: r.Type, Name: r.Name, Version: r.Version, CPEs: cpes, Supplier: r.Publisher,
			SupportLevel: props["Level of Support"], EndOfSupportText: props["End-of-Support"]}
		got := c
		got.PURL, got.Licenses = "", nil
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", r.Name, got, want)
		}
		if c.PURL == "" || c.RawPURL != "" {
			t.Errorf("%s: purl %q did not parse", r.Name, r.PURL)
		}
		if len(r.Hashes) != len(c.Hashes) {
			t.Errorf("%s: %d hashes, want %d", r.Name, len(c.Hashes), len(r.Hashes))
		}
		levels[c.SupportLevel]++
	}
	if want := map[string]int{"Actively maintained": 45, "Inactive": 7, "Deprecated": 2, "Unknown": 1}; !reflect.DeepEqual(levels, want) {
		t.Errorf("support levels %v, want %v", levels, want)
	}

	// A few exact fields.
	wolf := byRef["BomRef.6730320963532548.7863229239413411"]
	if wolf.Name != "WolfSSL" || wolf.Version != "4.8.1" || wolf.Type != "firmware" ||
		wolf.PURL != "pkg:github/wolfssl/wolfssl" ||
		!reflect.DeepEqual(wolf.CPEs, []string{"cpe:2.3:a:wolfssl:wolfssl:4.8.1:*:*:*:*:*:*:*"}) ||
		wolf.SupportLevel != "Actively maintained" || wolf.EndOfSupportText != "Open source" || !wolf.EndOfSupport.IsZero() ||
		!reflect.DeepEqual(wolf.Licenses, []string{"GPLv3/Commercial"}) {
		t.Errorf("WolfSSL = %+v", wolf)
	}
	fv := byRef["BomRef.8121031131672664.10190141536960595"]
	if fv.Name != "FluentValidationNA" || fv.PURL != "pkg:nuget/FluentValidationNA@1.2.16" ||
		fv.SupportLevel != "Deprecated" || fv.EndOfSupportText != "No longer supported" {
		t.Errorf("FluentValidationNA = %+v", fv)
	}
	qca := doc.Components[0]
	if qca.Type != "device" || qca.PURL != "pkg:generic/qualcomm_atheros_qca9563" ||
		qca.CPEs[0] != "cpe:2.3:h:qualcomm:atheros_qca9563:*:*:*:*:*:*:*:*" || qca.EndOfSupportText != "Until hardware support ends" {
		t.Errorf("first component = %+v", qca)
	}
	for _, d := range in.Dependencies {
		if got, ok := doc.Dependencies[d.Ref]; !ok || len(got) != len(d.DependsOn) {
			t.Errorf("dependencies of %s = %v, want %v", d.Ref, got, d.DependsOn)
		}
	}
}

// TestJuiceShop checks hashes on real data (the medical SBOM carries none)
// and that the JSON and XML renderings of the 840-component BOM agree.
func TestJuiceShop(t *testing.T) {
	dir := filepath.Join(datasets(t), "cyclonedx-bom-examples/SBOM/juice-shop/v11.1.2")
	f, err := os.Open(filepath.Join(dir, "bom.json.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	var in struct{ Components []rawComponent }
	if err := json.Unmarshal(raw, &in); err != nil {
		t.Fatal(err)
	}
	dj, _, err := ParseFile(filepath.Join(dir, "bom.json.gz"))
	if err != nil {
		t.Fatal(err)
	}
	dx, _, err := ParseFile(filepath.Join(dir, "bom.xml.gz"))
	if err != nil {
		t.Fatal(err)
	}
	if len(dj.Components) != 840 || len(dx.Components) != 840 || len(in.Components) != 840 {
		t.Fatalf("components: json %d, xml %d, raw %d; want 840", len(dj.Components), len(dx.Components), len(in.Components))
	}
	for i, r := range in.Components {
		c := dj.Components[i]
		if len(r.Hashes) != 1 || c.Hashes["SHA-1"] != r.Hashes[0].Content || c.Ref != r.Ref {
			t.Fatalf("component %d %s: hashes %v, raw %v", i, r.Name, c.Hashes, r.Hashes)
		}
	}
	if c := dj.Components[0]; c.PURL != "pkg:npm/body-parser@1.19.0" || c.Hashes["SHA-1"] != "96b2709e57c9c4e09a6fd66a8fd979844f69f08a" {
		t.Errorf("body-parser = %+v", c)
	}
	sortC := func(cs []Component) []Component {
		cs = append([]Component(nil), cs...)
		sort.Slice(cs, func(i, j int) bool { return cs[i].Ref < cs[j].Ref })
		return cs
	}
	if !reflect.DeepEqual(sortC(dj.Components), sortC(dx.Components)) {
		t.Error("juice-shop JSON and XML components differ")
	}
}

// TestCrossVersion reads the laravel BOM written in CycloneDX 1.2, 1.3 and
// 1.4, JSON and XML: the same 62 components and graph each time.
func TestCrossVersion(t *testing.T) {
	dir := filepath.Join(datasets(t), "cyclonedx-bom-examples/SBOM/laravel-7.12.0")
	var first *Document
	for _, name := range []string{"bom.1.2.json", "bom.1.2.xml", "bom.1.3.json", "bom.1.3.xml", "bom.1.4.json", "bom.1.4.xml"} {
		doc, _, err := ParseFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if len(doc.Components) != 62 || len(doc.Dependencies) != 63 {
			t.Errorf("%s: %d components, %d dependency entries; want 62, 63", name, len(doc.Components), len(doc.Dependencies))
		}
		if first == nil {
			first = doc
			continue
		}
		for i := range doc.Components {
			a, b := first.Components[i], doc.Components[i]
			if a.Ref != b.Ref || a.PURL != b.PURL || a.Version != b.Version || !reflect.DeepEqual(a.Hashes, b.Hashes) {
				t.Errorf("%s component %d: %+v, 1.2 JSON has %+v", name, i, b, a)
				break
			}
		}
		if !reflect.DeepEqual(doc.Dependencies, first.Dependencies) {
			t.Errorf("%s: dependency graph differs from 1.2 JSON", name)
		}
	}
}
