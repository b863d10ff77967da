package vuln

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-iomt/vigil/internal/advisory"
	"github.com/vigil-iomt/vigil/internal/sbom"
)

func TestParseCPE(t *testing.T) {
	tests := []struct {
		in                             string
		part, vendor, product, version string
		wantErr                        bool
	}{
		{in: "cpe:2.3:a:wolfssl:wolfssl:4.8.1:*:*:*:*:*:*:*", part: "a", vendor: "wolfssl", product: "wolfssl", version: "4.8.1"},
		{in: "CPE:2.3:A:WolfSSL:WolfSSL:4.8.1:*:*:*:*:*:*:*", part: "a", vendor: "wolfssl", product: "wolfssl", version: "4.8.1"},
		// Escaped characters: colon, comma, slash, backslash itself.
		{in: `cpe:2.3:a:the_legion_of_the_bouncy_castle_inc.:bouncycastle:1.8.1:*:*:*:*:*:*:*`, part: "a", vendor: "the_legion_of_the_bouncy_castle_inc.", product: "bouncycastle", version: "1.8.1"},
		{in: `cpe:2.3:a:acme:foo\:bar:1.0\:beta:*:*:*:*:*:*:*`, part: "a", vendor: "acme", product: "foo:bar", version: "1.0:beta"},
		{in: `cpe:2.3:a:acme:c\+\+_lib:2\.0:*:*:*:*:*:*:*`, part: "a", vendor: "acme", product: "c++_lib", version: "2.0"},
		{in: `cpe:2.3:a:acme:back\\slash:1:*:*:*:*:*:*:*`, part: "a", vendor: "acme", product: `back\slash`, version: "1"},
		{in: "cpe:2.3:o:apple:macos:-:*:*:*:*:*:*:*", part: "o", vendor: "apple", product: "macos", version: "-"},
		{in: "cpe:2.3:h:qualcomm:atheros_qca9563:*:*:*:*:*:*:*:*", part: "h", vendor: "qualcomm", product: "atheros_qca9563", version: "*"},
		{in: "cpe:/a:wolfssl:wolfssl:4.8.1", part: "a", vendor: "wolfssl", product: "wolfssl", version: "4.8.1"},
		{in: "cpe:/a:acme:foo%3abar", part: "a", vendor: "acme", product: "foo:bar", version: "*"},
		{in: "cpe:2.3:a:wolfssl:wolfssl:4.8.1", wantErr: true},               // too few fields
		{in: "cpe:2.3:a:w:w:1:*:*:*:*:*:*:*:*", wantErr: true},               // too many
		{in: `cpe:2.3:a:wolfssl:wolfssl:4.8.1:*:*:*:*:*:*:\`, wantErr: true}, // trailing backslash
		{in: "cpe:2.3:x:wolfssl:wolfssl:4.8.1:*:*:*:*:*:*:*", wantErr: true}, // bad part
		{in: "cpe:2.3:a::wolfssl:4.8.1:*:*:*:*:*:*:*", wantErr: true},        // empty value
		{in: "pkg:github/wolfssl/wolfssl", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			c, err := ParseCPE(tt.in)
			if tt.wantErr {
				if !errors.Is(err, ErrBadCPE) {
					t.Fatalf("ParseCPE(%q) = %v, %v; want ErrBadCPE", tt.in, c, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := []string{show(c.Attrs[cpePart]), show(c.Attrs[cpeVendor]), show(c.Attrs[cpeProduct]), show(c.Attrs[cpeVersion])}
			want := []string{tt.part, tt.vendor, tt.product, tt.version}
			if !slices.Equal(got, want) {
				t.Errorf("ParseCPE(%q) = %q, want %q", tt.in, got, want)
			}
			// The formatted string written back reads the same.
			back, err := ParseCPE(c.String())
			if err != nil || back != c {
				t.Errorf("round trip %q → %q → %v, %v", tt.in, c.String(), back, err)
			}
		})
	}
}

func show(a Attr) string {
	switch {
	case a.Any:
		return "*"
	case a.NA:
		return "-"
	}
	return a.Value
}

func FuzzParseCPE(f *testing.F) {
	for _, s := range []string{"cpe:2.3:a:wolfssl:wolfssl:4.8.1:*:*:*:*:*:*:*", `cpe:2.3:a:acme:foo\:bar:1.0\:beta:*:*:*:*:*:*:*`,
		"cpe:/a:acme:foo%3abar", "cpe:2.3:o:apple:macos:-:*:*:*:*:*:*:*", `cpe:2.3:a:ac*me:fo?:1.*:*:*:*:*:*:*:*`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCPE(s)
		if err != nil {
			return
		}
		back, err := ParseCPE(c.String())
		if err != nil {
			t.Fatalf("%q parsed, but its formatted string %q does not: %v", s, c.String(), err)
		}
		if back.String() != c.String() {
			t.Fatalf("%q: %q then %q", s, c.String(), back.String())
		}
		k := &cpeCriteria{cpe: c, raw: s, vulnerable: true, endExcl: "5.5.0"}
		k.matches(&back, false)
	})
}

func TestCPECriteriaMatches(t *testing.T) {
	tests := []struct {
		name      string
		crit      advisory.CPEMatch
		candidate string
		platform  bool
		want      bool
	}{
		{"range end excluding, inside", advisory.CPEMatch{Criteria: "cpe:2.3:a:wolfssl:wolfssl:*:*:*:*:*:*:*:*", VersionEndExcluding: "5.5.0"}, "cpe:2.3:a:wolfssl:wolfssl:4.8.1:*:*:*:*:*:*:*", false, true},
		{"range end excluding, at the end", advisory.CPEMatch{Criteria: "cpe:2.3:a:wolfssl:wolfssl:*:*:*:*:*:*:*:*", VersionEndExcluding: "4.8.1"}, "cpe:2.3:a:wolfssl:wolfssl:4.8.1:*:*:*:*:*:*:*", false, false},
		{"range end including", advisory.CPEMatch{Criteria: "cpe:2.3:a:wolfssl:wolfssl:*:*:*:*:*:*:*:*", VersionEndIncluding: "4.8.1"}, "cpe:2.3:a:wolfssl:wolfssl:4.8.1:*:*:*:*:*:*:*", false, true},
		{"range start including", advisory.CPEMatch{Criteria: "cpe:2.3:a:wolfssl:wolfssl:*:*:*:*:*:*:*:*", VersionStartIncluding: "4.6.0", VersionEndExcluding: "4.8.0"}, "cpe:2.3:a:wolfssl:wolfssl:4.8.1:*:*:*:*:*:*:*", false, false},
		{"range start excluding", advisory.CPEMatch{Criteria: "cpe:2.3:a:wolfssl:wolfssl:*:*:*:*:*:*:*:*", VersionStartExcluding: "4.8.1"}, "cpe:2.3:a:wolfssl:wolfssl:4.8.1:*:*:*:*:*:*:*", false, false},
		{"exact version", advisory.CPEMatch{Criteria: "cpe:2.3:a:wolfssl:wolfssl:4.8.1:*:*:*:*:*:*:*"}, "cpe:2.3:a:wolfssl:wolfssl:4.8.1:*:*:*:*:*:*:*", false, true},
		{"other version", advisory.CPEMatch{Criteria: "cpe:2.3:a:wolfssl:wolfssl:4.8.0:*:*:*:*:*:*:*"}, "cpe:2.3:a:wolfssl:wolfssl:4.8.1:*:*:*:*:*:*:*", false, false},
		{"any version", advisory.CPEMatch{Criteria: "cpe:2.3:a:wolfssl:wolfssl:*:*:*:*:*:*:*:*"}, "cpe:2.3:a:wolfssl:wolfssl:4.8.1:*:*:*:*:*:*:*", false, true},
		{"unknown candidate version never matches a range", advisory.CPEMatch{Criteria: "cpe:2.3:h:qualcomm:atheros_qca9563:*:*:*:*:*:*:*:*", VersionEndExcluding: "2"}, "cpe:2.3:h:qualcomm:atheros_qca9563:*:*:*:*:*:*:*:*", false, false},
		{"other vendor", advisory.CPEMatch{Criteria: "cpe:2.3:a:other:wolfssl:*:*:*:*:*:*:*:*"}, "cpe:2.3:a:wolfssl:wolfssl:4.8.1:*:*:*:*:*:*:*", false, false},
		{"other part", advisory.CPEMatch{Criteria: "cpe:2.3:o:wolfssl:wolfssl:*:*:*:*:*:*:*:*"}, "cpe:2.3:a:wolfssl:wolfssl:4.8.1:*:*:*:*:*:*:*", false, false},
		{"update must match when named", advisory.CPEMatch{Criteria: "cpe:2.3:a:acme:app:5.0:beta1:*:*:*:*:*:*"}, "cpe:2.3:a:acme:app:5.0:*:*:*:*:*:*:*", false, false},
		{"target_sw the candidate does not state", advisory.CPEMatch{Criteria: "cpe:2.3:a:acme:app:*:*:*:*:*:node.js:*:*", VersionEndExcluding: "2"}, "cpe:2.3:a:acme:app:1.0:*:*:*:*:*:*:*", false, true},
		{"target_sw differs", advisory.CPEMatch{Criteria: "cpe:2.3:a:acme:app:*:*:*:*:*:node.js:*:*", VersionEndExcluding: "2"}, "cpe:2.3:a:acme:app:1.0:*:*:*:*:wordpress:*:*", false, false},
		{"platform NA version means any", advisory.CPEMatch{Criteria: "cpe:2.3:o:microsoft:windows:-:*:*:*:*:*:*:*"}, "cpe:2.3:o:microsoft:windows:10:*:*:*:*:*:*:*", true, true},
		{"vulnerable NA version needs NA", advisory.CPEMatch{Criteria: "cpe:2.3:h:acme:pump:-:*:*:*:*:*:*:*"}, "cpe:2.3:h:acme:pump:2:*:*:*:*:*:*:*", false, false},
		{"glob in criteria", advisory.CPEMatch{Criteria: "cpe:2.3:a:acme:app:1.*:*:*:*:*:*:*:*"}, "cpe:2.3:a:acme:app:1.4:*:*:*:*:*:*:*", false, true},
		{"escaped criteria", advisory.CPEMatch{Criteria: `cpe:2.3:a:acme:foo\:bar:*:*:*:*:*:*:*:*`, VersionEndExcluding: "2"}, "cpe:/a:acme:foo%3abar:1.0", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseCPE(tt.crit.Criteria)
			if err != nil {
				t.Fatal(err)
			}
			k := &cpeCriteria{cpe: c, raw: tt.crit.Criteria, vulnerable: !tt.platform,
				startIncl: tt.crit.VersionStartIncluding, startExcl: tt.crit.VersionStartExcluding,
				endIncl: tt.crit.VersionEndIncluding, endExcl: tt.crit.VersionEndExcluding}
			cand, err := ParseCPE(tt.candidate)
			if err != nil {
				t.Fatal(err)
			}
			if got := k.matches(&cand, tt.platform); got != tt.want {
				t.Errorf("%s matches %s = %v, want %v", k.describe(), tt.candidate, got, tt.want)
			}
		})
	}
}

// nvdAdvisory builds an NVD record with one configuration.
func nvdAdvisory(id string, cfg advisory.Config) *advisory.Advisory {
	return &advisory.Advisory{ID: id, Source: advisory.SourceNVD, Configurations: []advisory.Config{cfg}}
}

func vuln(criteria, endExcl string) advisory.CPEMatch {
	return advisory.CPEMatch{Criteria: criteria, Vulnerable: true, VersionEndExcluding: endExcl}
}

func platform(criteria string) advisory.CPEMatch {
	return advisory.CPEMatch{Criteria: criteria}
}

func doc(comps ...sbom.Component) *sbom.Document {
	return &sbom.Document{Format: sbom.FormatCycloneDX, Serial: "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79", Components: comps}
}

func TestNVDConfigurations(t *testing.T) {
	wolf := sbom.Component{Ref: "wolfssl", Name: "wolfSSL", Version: "4.8.1", CPEs: []string{"cpe:2.3:a:wolfssl:wolfssl:4.8.1:*:*:*:*:*:*:*"}}
	win := sbom.Component{Ref: "os", Name: "Windows 10 IoT", Type: "operating-system", CPEs: []string{"cpe:2.3:o:microsoft:windows_10:1809:*:*:*:*:*:*:*"}}
	winGeneric := sbom.Component{Ref: "os", Name: "Windows", Type: "operating-system", CPEs: []string{"cpe:2.3:o:microsoft:windows:10:*:*:*:*:*:*:*"}}
	zlib := sbom.Component{Ref: "zlib", Name: "zlib", Version: "1.2.11", CPEs: []string{"cpe:2.3:a:zlib:zlib:1.2.11:*:*:*:*:*:*:*"}}
	runningOn := advisory.Config{Operator: "AND", Nodes: []advisory.Node{
		{Operator: "OR", Matches: []advisory.CPEMatch{vuln("cpe:2.3:a:wolfssl:wolfssl:*:*:*:*:*:*:*:*", "5.5.0")}},
		{Operator: "OR", Matches: []advisory.CPEMatch{platform("cpe:2.3:o:apple:macos:-:*:*:*:*:*:*:*"), platform("cpe:2.3:o:microsoft:windows:-:*:*:*:*:*:*:*")}},
	}}
	tests := []struct {
		name      string
		cfg       advisory.Config
		product   Product
		comps     []sbom.Component
		want      []string // refs with a finding
		wantNote  bool
		wantInEvi string
	}{
		{name: "single OR node", cfg: advisory.Config{Nodes: []advisory.Node{{Operator: "OR", Matches: []advisory.CPEMatch{vuln("cpe:2.3:a:wolfssl:wolfssl:*:*:*:*:*:*:*:*", "5.5.0")}}}},
			comps: []sbom.Component{wolf, zlib}, want: []string{"wolfssl"}, wantInEvi: "(versionEndExcluding 5.5.0)"},
		{name: "running-on: platform absent, no finding", cfg: runningOn, comps: []sbom.Component{wolf, zlib}, wantNote: true},
		{name: "running-on: other Windows product is not the platform", cfg: runningOn, comps: []sbom.Component{wolf, win}, wantNote: true},
		{name: "running-on: platform in the SBOM", cfg: runningOn, comps: []sbom.Component{wolf, winGeneric}, want: []string{"wolfssl"}, wantInEvi: "running on cpe:2.3:o:microsoft:windows:-"},
		{name: "running-on: platform from the product", cfg: runningOn, comps: []sbom.Component{wolf},
			product: Product{Platforms: []string{"cpe:2.3:o:apple:macos:13.4:*:*:*:*:*:*:*"}}, want: []string{"wolfssl"}, wantInEvi: "the product's platforms"},
		{name: "platform alone is never vulnerable", cfg: runningOn, comps: []sbom.Component{winGeneric}},
		{name: "AND of two vulnerable nodes needs both", cfg: advisory.Config{Operator: "AND", Nodes: []advisory.Node{
			{Operator: "OR", Matches: []advisory.CPEMatch{vuln("cpe:2.3:a:wolfssl:wolfssl:*:*:*:*:*:*:*:*", "5.5.0")}},
			{Operator: "OR", Matches: []advisory.CPEMatch{vuln("cpe:2.3:a:zlib:zlib:*:*:*:*:*:*:*:*", "1.2.12")}},
		}}, comps: []sbom.Component{wolf, zlib}, want: []string{"wolfssl", "zlib"}},
		{name: "AND of two vulnerable nodes, one absent", cfg: advisory.Config{Operator: "AND", Nodes: []advisory.Node{
			{Operator: "OR", Matches: []advisory.CPEMatch{vuln("cpe:2.3:a:wolfssl:wolfssl:*:*:*:*:*:*:*:*", "5.5.0")}},
			{Operator: "OR", Matches: []advisory.CPEMatch{vuln("cpe:2.3:a:zlib:zlib:*:*:*:*:*:*:*:*", "1.2.12")}},
		}}, comps: []sbom.Component{wolf}, wantNote: true},
		{name: "negated node excludes", cfg: advisory.Config{Operator: "AND", Nodes: []advisory.Node{
			{Operator: "OR", Matches: []advisory.CPEMatch{vuln("cpe:2.3:a:wolfssl:wolfssl:*:*:*:*:*:*:*:*", "5.5.0")}},
			{Operator: "OR", Negate: true, Matches: []advisory.CPEMatch{platform("cpe:2.3:a:zlib:zlib:*:*:*:*:*:*:*:*")}},
		}}, comps: []sbom.Component{wolf, zlib}, wantNote: true},
		{name: "negated node absent", cfg: advisory.Config{Operator: "AND", Nodes: []advisory.Node{
			{Operator: "OR", Matches: []advisory.CPEMatch{vuln("cpe:2.3:a:wolfssl:wolfssl:*:*:*:*:*:*:*:*", "5.5.0")}},
			{Operator: "OR", Negate: true, Matches: []advisory.CPEMatch{platform("cpe:2.3:a:zlib:zlib:*:*:*:*:*:*:*:*")}},
		}}, comps: []sbom.Component{wolf}, want: []string{"wolfssl"}},
		{name: "AND node inside", cfg: advisory.Config{Nodes: []advisory.Node{{Operator: "AND", Matches: []advisory.CPEMatch{
			vuln("cpe:2.3:a:wolfssl:wolfssl:*:*:*:*:*:*:*:*", "5.5.0"), platform("cpe:2.3:a:zlib:zlib:*:*:*:*:*:*:*:*")}}}},
			comps: []sbom.Component{wolf, zlib}, want: []string{"wolfssl"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := NewMatcher(Options{})
			m.AddAdvisory(nvdAdvisory("CVE-2099-0001", tt.cfg))
			res := m.Match(tt.product, doc(tt.comps...))
			var got []string
			for _, f := range res.Findings {
				got = append(got, f.Component.Ref)
				if f.Method != MethodCPEConfig || f.Source != SourceNVD {
					t.Errorf("finding %+v: want method %s, source nvd", f, MethodCPEConfig)
				}
				if !strings.Contains(f.Evidence, tt.wantInEvi) {
					t.Errorf("evidence %q lacks %q", f.Evidence, tt.wantInEvi)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("findings for %v, want %v (notes %v)", got, tt.want, res.Notes)
			}
			hasNote := false
			for _, n := range res.Notes {
				if n.Vulnerability == "CVE-2099-0001" && strings.Contains(n.Message, "not satisfied") {
					hasNote = true
				}
			}
			if hasNote != tt.wantNote {
				t.Errorf("running-on note = %v, want %v: %v", hasNote, tt.wantNote, res.Notes)
			}
		})
	}
}

// A rejected NVD record is not matched.
func TestNVDRejected(t *testing.T) {
	m := NewMatcher(Options{})
	a := nvdAdvisory("CVE-2099-0002", advisory.Config{Nodes: []advisory.Node{{Operator: "OR", Matches: []advisory.CPEMatch{vuln("cpe:2.3:a:wolfssl:wolfssl:*:*:*:*:*:*:*:*", "5.5.0")}}}})
	a.Status = "Rejected"
	m.AddAdvisory(a)
	if got := m.MatchSBOM(Product{}, doc(sbom.Component{Ref: "w", CPEs: []string{"cpe:2.3:a:wolfssl:wolfssl:4.8.1:*:*:*:*:*:*:*"}})); len(got) != 0 {
		t.Errorf("rejected record matched: %+v", got)
	}
}

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		pat, s string
		want   bool
	}{
		{"1.*", "1.4", true},
		{"1.*", "2.4", false},
		{"*", "", true},
		{"?", "", false},
		{"a?c", "abc", true},
		{`a\*c`, "a*c", true},
		{`a\*c`, "abc", false},
		{"*b*d", "abcd", true},
		{"*b*d", "abce", false},
		{strings.Repeat("a*", 30) + "b", strings.Repeat("a", 5000), false}, // no exponential backtracking
	}
	for _, tt := range tests {
		if got := globMatch(tt.pat, tt.s); got != tt.want {
			t.Errorf("globMatch(%q, %.20q) = %v, want %v", tt.pat, tt.s, got, tt.want)
		}
	}
}
