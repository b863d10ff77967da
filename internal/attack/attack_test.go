package attack

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func loadFile(t testing.TB, path string, load func(io.Reader) (*Catalog, error)) *Catalog {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, err := load(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return c
}

func TestLoadATTACKEnterpriseSTIX20(t *testing.T) {
	c := loadFile(t, "testdata/enterprise-stix20.json", LoadATTACK)
	tests := []struct {
		id   string
		want Technique
	}{
		{"T1071", Technique{ID: "T1071", Name: "Application Layer Protocol", Matrix: Enterprise,
			Tactics: []string{"command-and-control"}}},
		{"T1071.001", Technique{ID: "T1071.001", Name: "Web Protocols", Matrix: Enterprise,
			Tactics: []string{"command-and-control"}, SubtechniqueOf: "T1071", Mitigations: []string{"M1031"}}},
		{"T1043", Technique{ID: "T1043", Name: "Commonly Used Port", Deprecated: true}},
		{"T1999", Technique{ID: "T1999", Name: "Deprecated One", Matrix: Enterprise,
			Tactics: []string{"discovery"}, Deprecated: true}},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			got, ok := c.Technique(tt.id)
			if !ok {
				t.Fatalf("Technique(%q) not found", tt.id)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Technique(%q) = %+v, want %+v", tt.id, got, tt.want)
			}
		})
	}
	if got := len(c.Techniques()); got != 4 {
		t.Errorf("len(Techniques()) = %d, want 4", got)
	}
	if got, want := c.Tactics(), []Tactic{{ID: "TA0011", Name: "Command and Control", Shortname: "command-and-control"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("Tactics() = %+v, want %+v", got, want)
	}
	if got, want := c.Mitigations(), []Mitigation{{ID: "M1031", Name: "Network Intrusion Prevention", Matrix: Enterprise}}; !reflect.DeepEqual(got, want) {
		t.Errorf("Mitigations() = %+v, want %+v", got, want)
	}
	// Skipped: the attack-pattern without a MITRE ID, the old T-ID
	// course-of-action, its mitigates relationship and the mitigates
	// relationship to an undefined technique.
	if got := c.Skipped(); got != 4 {
		t.Errorf("Skipped() = %d, want 4", got)
	}
}

func TestLoadATTACKICSSTIX21(t *testing.T) {
	c := loadFile(t, "testdata/ics-stix21.json", LoadATTACK)
	want := Technique{ID: "T0886", Name: "Remote Services", Matrix: ICS,
		Tactics: []string{"initial-access", "lateral-movement"}, Mitigations: []string{"M0800"}}
	if got, _ := c.Technique("T0886"); !reflect.DeepEqual(got, want) {
		t.Errorf("Technique(T0886) = %+v, want %+v", got, want)
	}
	// Matrix from the kill chain when x_mitre_domains is absent, and the
	// mitre-ics-attack source name.
	if got, _ := c.Technique("T0869"); got.Matrix != ICS || got.Name != "Standard Application Layer Protocol" {
		t.Errorf("Technique(T0869) = %+v, want ICS Standard Application Layer Protocol", got)
	}
	wantAsset := Asset{ID: "A0001", Name: "Workstation", Techniques: []string{"T0869", "T0886"}}
	if got, ok := c.Asset("A0001"); !ok || !reflect.DeepEqual(got, wantAsset) {
		t.Errorf("Asset(A0001) = %+v, %v, want %+v", got, ok, wantAsset)
	}
	if got, ok := c.Tactic("TA0108"); !ok || got.Matrix != ICS || got.Shortname != "initial-access" {
		t.Errorf("Tactic(TA0108) = %+v, %v", got, ok)
	}
	if got, ok := c.Mitigation("M0800"); !ok || got.Name != "Authorization Enforcement" {
		t.Errorf("Mitigation(M0800) = %+v, %v", got, ok)
	}
}

func TestLoadATTACKGzip(t *testing.T) {
	plain, err := os.ReadFile("testdata/enterprise-stix20.json")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(plain)
	zw.Close()
	want, err := LoadATTACK(bytes.NewReader(plain))
	if err != nil {
		t.Fatal(err)
	}
	got, err := LoadATTACK(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Techniques(), want.Techniques()) {
		t.Errorf("gzip load differs from plain load:\n%+v\n%+v", got.Techniques(), want.Techniques())
	}
}

func TestLoadATTACKErrors(t *testing.T) {
	tests := []struct {
		name, in   string
		notBundle  bool
		wantSubstr string
	}{
		{"empty", "", true, "EOF"},
		{"array", `[]`, true, ""},
		{"not a bundle", `{"type":"indicator","objects":[]}`, true, `"indicator"`},
		{"no objects", `{"type":"bundle","id":"bundle--1"}`, true, ""},
		{"no type", `{"objects":[]}`, true, ""},
		{"objects not array", `{"type":"bundle","objects":{}}`, false, "objects"},
		{"bad object", `{"type":"bundle","objects":[{"type":1}]}`, false, "object 0"},
		{"bad second object", `{"type":"bundle","objects":[{"type":"malware"},{"type":"attack-pattern","name":[]}]}`, false, "object 1"},
		{"truncated", `{"type":"bundle","objects":[{"type":"attack-pattern"`, false, "object 0"},
		{"unterminated bundle", `{"type":"bundle","objects":[]`, false, "EOF"},
		{"bad gzip", "\x1f\x8b\x00garbage", false, "gzip"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadATTACK(strings.NewReader(tt.in))
			if err == nil {
				t.Fatal("LoadATTACK succeeded, want error")
			}
			if got := errors.Is(err, ErrNotBundle); got != tt.notBundle {
				t.Errorf("errors.Is(%v, ErrNotBundle) = %v, want %v", err, got, tt.notBundle)
			}
			if !strings.Contains(err.Error(), tt.wantSubstr) {
				t.Errorf("error %q does not mention %q", err, tt.wantSubstr)
			}
		})
	}
}

func TestLoadD3FEND(t *testing.T) {
	c := loadFile(t, "testdata/d3fend.ttl", LoadD3FEND)
	want := []Countermeasure{
		{ID: "D3-DNSTA", Name: "DNS Traffic Analysis", Parent: "D3-NTA", Class: "DNSTrafficAnalysis"},
		{ID: "D3-NTA", Name: "Network Traffic Analysis", Class: "NetworkTrafficAnalysis"},
		{ID: "D3-PHR", Name: "Per Host Ratio", Parent: "D3-DNSTA", Class: "Per-Host.Ratio"},
		{ID: "D3A-AC", Name: "Actor-Critic", Class: "Actor-Critic"},
	}
	if got := c.Countermeasures(); !reflect.DeepEqual(got, want) {
		t.Errorf("Countermeasures() =\n%+v\nwant\n%+v", got, want)
	}
	if got := c.Skipped(); got != 1 {
		t.Errorf("Skipped() = %d, want 1 (the second D3A-AC)", got)
	}
}

func TestTurtleLiterals(t *testing.T) {
	src, err := os.ReadFile("testdata/d3fend.ttl")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]term{}
	err = parseTurtle(src, func(s, p, o term) {
		if o.kind == termLiteral {
			got[strings.TrimPrefix(p.value, d3fNS)] = append(got[strings.TrimPrefix(p.value, d3fNS)], o)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	xsd := "http://www.w3.org/2001/XMLSchema#"
	want := map[string][]term{
		"kb-article": {{kind: termLiteral, value: "## How it works\nA \"quoted\" word; a period. And a \"\"double\"\" quote.\n"}},
		"definition": {{kind: termLiteral, value: "Analyzing \"intercepted\" traffic\tto detect unauthorized activity.é"}},
		"created":    {{kind: termLiteral, value: "2020-08-05T00:00:00", datatype: xsd + "dateTime"}},
		"http://www.w3.org/2004/02/skos/core#altLabel": {
			{kind: termLiteral, value: "DNS Monitoring"},
			{kind: termLiteral, value: "triple 'single' quoted"},
		},
		"order":        {{kind: termLiteral, value: "3", datatype: xsd + "integer"}},
		"weight":       {{kind: termLiteral, value: "-1.5e3", datatype: xsd + "double"}},
		"experimental": {{kind: termLiteral, value: "false", datatype: xsd + "boolean"}},
	}
	for k, w := range want {
		if !reflect.DeepEqual(got[k], w) {
			t.Errorf("%s literals = %+v, want %+v", k, got[k], w)
		}
	}
	if labels := got["http://www.w3.org/2000/01/rdf-schema#label"]; len(labels) != 7 || labels[0].lang != "en" {
		t.Errorf("labels = %+v, want 7 with the first @en", labels)
	}
}

func TestTurtleErrors(t *testing.T) {
	tests := []struct {
		name, in string
		line     int
	}{
		{"undeclared prefix", "@prefix : <http://x#> .\n\nfoo:a :b :c .", 3},
		{"unterminated string", "@prefix : <http://x#> .\n:a :b \"abc .\n", 2},
		{"newline in short string", "@prefix : <http://x#> .\n:a :b \"ab\nc\" .", 2},
		{"unterminated long string", "@prefix : <http://x#> .\n:a :b \"\"\"abc\n\n", 2},
		{"bad escape", "@prefix : <http://x#> .\n:a :b \"a\\qb\" .", 2},
		{"missing dot", "@prefix : <http://x#> .\n:a :b :c\n:d :e :f .", 3},
		{"unclosed bracket", "@prefix : <http://x#> .\n:a :b [ :c :d .", 2},
		{"unterminated collection", "@prefix : <http://x#> .\n:a :b ( :c :d", 2},
		{"literal subject", "\"x\" <http://p> <http://o> .", 1},
		{"unterminated IRI", "<http://a> <http://p> <http://o", 1},
		{"prefix without IRI", "@prefix : http://x .", 1},
		{"bad unicode", "<http://a> <http://p> \"\\u00zz\" .", 1},
		{"missing object", "@prefix : <http://x#> .\n:a :b .", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadD3FEND(strings.NewReader(tt.in))
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("LoadD3FEND error = %v, want ErrSyntax", err)
			}
			if want := "line " + strconv.Itoa(tt.line) + ":"; !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not name %q", err, want)
			}
		})
	}
}

func TestBuiltinCatalog(t *testing.T) {
	c := Builtin()
	if got, ok := c.Technique("T1071.004"); !ok || got.Name != "DNS" || got.SubtechniqueOf != "T1071" {
		t.Errorf("Technique(T1071.004) = %+v, %v", got, ok)
	}
	if got, ok := c.Countermeasure("D3-DNSTA"); !ok || got.Name != "DNS Traffic Analysis" {
		t.Errorf("Countermeasure(D3-DNSTA) = %+v, %v", got, ok)
	}
	got := c.Unknown([]string{"T1071", "T9999", "D3-NTA", "D3-NOPE", "T9999", ""})
	if want := []string{"T9999", "D3-NOPE", ""}; !reflect.DeepEqual(got, want) {
		t.Errorf("Unknown = %q, want %q", got, want)
	}
	// Technique returns a copy: changing it does not change the catalog.
	tq, _ := c.Technique("T1078")
	tq.Tactics[0] = "changed"
	if again, _ := Builtin().Technique("T1078"); again.Tactics[0] != "defense-evasion" {
		t.Errorf("Technique result aliases the built-in table")
	}
	if again, _ := c.Technique("T1078"); again.Tactics[0] != "defense-evasion" {
		t.Errorf("Technique result aliases the catalog")
	}
}

func TestMerge(t *testing.T) {
	c := Builtin()
	loaded := loadFile(t, "testdata/ics-stix21.json", LoadATTACK)
	loaded.Merge(loadFile(t, "testdata/d3fend.ttl", LoadD3FEND))
	loaded.techniques["T0886"] = Technique{ID: "T0886", Name: "Remote Services (renamed)", Matrix: ICS}
	c.Merge(loaded)
	if got, _ := c.Technique("T0886"); got.Name != "Remote Services (renamed)" {
		t.Errorf("after Merge, T0886 name = %q, want the loaded name", got.Name)
	}
	if got, _ := c.Countermeasure("D3-DNSTA"); got.Parent != "D3-NTA" {
		t.Errorf("after Merge, D3-DNSTA parent = %q, want D3-NTA from the loaded ontology", got.Parent)
	}
	if _, ok := c.Technique("T1041"); !ok {
		t.Error("after Merge, built-in T1041 is gone")
	}
	if _, ok := c.Asset("A0001"); !ok {
		t.Error("after Merge, asset A0001 is missing")
	}
	if got := c.Unknown([]string{"A0001", "M0800", "TA0108", "D3-PHR"}); len(got) != 0 {
		t.Errorf("Unknown after Merge = %q, want none", got)
	}
}

// datasets returns $VIGIL_DATASETS or skips the test.
func datasets(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("VIGIL_DATASETS")
	if dir == "" {
		t.Skip("VIGIL_DATASETS is not set; skipping tests against MITRE's published ATT&CK and D3FEND files")
	}
	return dir
}

var (
	enterprisePath = filepath.Join("mitre-attack", "enterprise-attack-v18-stix20-reassembled.json.gz")
	icsPath        = filepath.Join("mitre-attack", "ics-attack-18.1.json.gz")
	d3fendPath     = filepath.Join("mitre-d3fend", "src", "ontology", "d3fend-protege.ttl")
)

// countTypes counts a bundle's objects by type with a plain json decode,
// independently of LoadATTACK.
func countTypes(t testing.TB, path string) map[string]int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var b struct {
		Objects []struct {
			Type string `json:"type"`
		} `json:"objects"`
	}
	if err := json.NewDecoder(zr).Decode(&b); err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, o := range b.Objects {
		n[o.Type]++
	}
	return n
}

func TestPublishedData(t *testing.T) {
	dir := datasets(t)
	ent := loadFile(t, filepath.Join(dir, enterprisePath), LoadATTACK)
	ics := loadFile(t, filepath.Join(dir, icsPath), LoadATTACK)
	d3f := loadFile(t, filepath.Join(dir, d3fendPath), LoadD3FEND)

	t.Run("counts", func(t *testing.T) {
		for _, b := range []struct {
			path string
			c    *Catalog
		}{{enterprisePath, ent}, {icsPath, ics}} {
			n := countTypes(t, filepath.Join(dir, b.path))
			if got, want := len(b.c.Techniques()), n["attack-pattern"]; got != want {
				t.Errorf("%s: %d techniques, want %d attack-pattern objects", b.path, got, want)
			}
			if got, want := len(b.c.Tactics()), n["x-mitre-tactic"]; got != want {
				t.Errorf("%s: %d tactics, want %d x-mitre-tactic objects", b.path, got, want)
			}
			if got, want := len(b.c.Assets()), n["x-mitre-asset"]; got != want {
				t.Errorf("%s: %d assets, want %d x-mitre-asset objects", b.path, got, want)
			}
			t.Logf("%s: %d techniques, %d tactics, %d mitigations, %d assets, %d skipped",
				b.path, len(b.c.Techniques()), len(b.c.Tactics()), len(b.c.Mitigations()), len(b.c.Assets()), b.c.Skipped())
		}
		src, err := os.ReadFile(filepath.Join(dir, d3fendPath))
		if err != nil {
			t.Fatal(err)
		}
		ids := map[string]bool{}
		for _, m := range regexp.MustCompile(`:d3fend-id "([^"]+)"`).FindAllSubmatch(src, -1) {
			ids[string(m[1])] = true
		}
		if got, want := len(d3f.Countermeasures()), len(ids); got != want || want < 100 {
			t.Errorf("%d countermeasures, want %d distinct :d3fend-id literals", got, want)
		}
		t.Logf("%s: %d countermeasures, %d duplicate IDs skipped", d3fendPath, len(d3f.Countermeasures()), d3f.Skipped())
	})

	t.Run("subtechniques resolve to their parent", func(t *testing.T) {
		subs := 0
		for _, tq := range ent.Techniques() {
			if tq.SubtechniqueOf == "" {
				continue
			}
			subs++
			parent, ok := ent.Technique(tq.SubtechniqueOf)
			if !ok || parent.SubtechniqueOf != "" || !strings.HasPrefix(tq.ID, parent.ID+".") {
				t.Errorf("%s: parent %q = %+v, %v", tq.ID, tq.SubtechniqueOf, parent, ok)
			}
		}
		if subs < 400 {
			t.Errorf("%d sub-techniques, want at least 400", subs)
		}
	})

	t.Run("matrices", func(t *testing.T) {
		for _, tq := range ics.Techniques() {
			if tq.Matrix != ICS {
				t.Errorf("ICS bundle technique %s has matrix %q", tq.ID, tq.Matrix)
			}
		}
		for _, tq := range ent.Techniques() {
			if !tq.Deprecated && tq.Matrix != Enterprise {
				t.Errorf("Enterprise bundle technique %s has matrix %q", tq.ID, tq.Matrix)
			}
		}
	})

	t.Run("ICS assets", func(t *testing.T) {
		a, ok := ics.Asset("A0001")
		if !ok || a.Name != "Workstation" || len(a.Techniques) == 0 {
			t.Fatalf("Asset(A0001) = %+v, %v", a, ok)
		}
		for _, as := range ics.Assets() {
			for _, id := range as.Techniques {
				if _, ok := ics.Technique(id); !ok {
					t.Errorf("asset %s targeted by unknown technique %s", as.ID, id)
				}
			}
		}
	})

	t.Run("built-in table known and named as published", func(t *testing.T) {
		loaded := newCatalog()
		loaded.Merge(ent)
		loaded.Merge(ics)
		loaded.Merge(d3f)
		b := Builtin()
		var ids []string
		for _, tq := range b.Techniques() {
			ids = append(ids, tq.ID)
		}
		for _, m := range b.Countermeasures() {
			ids = append(ids, m.ID)
		}
		if unknown := loaded.Unknown(ids); len(unknown) > 0 {
			t.Fatalf("built-in IDs unknown to the published data: %q", unknown)
		}
		for _, want := range b.Techniques() {
			got, _ := loaded.Technique(want.ID)
			if got.Deprecated {
				t.Errorf("%s is deprecated or revoked in the published data", want.ID)
			}
			// Built-in entries carry no mitigations; compare the rest.
			got.Mitigations = nil
			if !reflect.DeepEqual(got, want) {
				t.Errorf("built-in %+v\npublished %+v", want, got)
			}
		}
		for _, want := range b.Countermeasures() {
			if got, _ := loaded.Countermeasure(want.ID); got != want {
				t.Errorf("built-in %+v\npublished %+v", want, got)
			}
		}
		t.Logf("built-in table: %d techniques, %d countermeasures, all known", len(b.Techniques()), len(b.Countermeasures()))
	})
}
