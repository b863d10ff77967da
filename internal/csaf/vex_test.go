package csaf

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func readVEX(t *testing.T, path string) ([]Statement, Report) {
	t.Helper()
	var out []Statement
	rep, err := ReadVEX(path, func(s Statement) error {
		out = append(out, s)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out, rep
}

func TestReadVEX(t *testing.T) {
	tests := []struct {
		file string
		want []Statement
	}{
		{"acme-vex-2024-002.json", []Statement{
			{Vulnerability: "CVE-2024-99002", Status: StatusNotAffected,
				Justification: VulnerableCodeNotInExecutePath, JustificationRaw: "vulnerable_code_not_in_execute_path",
				Impact: "The pump never parses X.400 addresses.",
				Products: []ProductRef{{ID: "PX-421:OSSL-307", Name: "OpenSSL 3.0.7 as a component of PumpX 3000 4.2.1",
					Subcomponents: []ProductRef{{ID: "OSSL-307", Name: "OpenSSL 3.0.7", Version: "3.0.7", PURL: "pkg:generic/openssl@3.0.7"}}}},
				Format: FormatCSAF, Source: "ACME-VEX-2024-002", Timestamp: date("2024-04-10T06:00:00Z")},
			{Vulnerability: "CVE-2024-99002", Status: StatusAffected, Action: "Update to PumpX 3000 4.2.1.",
				Products: []ProductRef{{ID: "PX-410:OSSL-307", Name: "OpenSSL 3.0.7 as a component of PumpX 3000 4.1.0",
					Subcomponents: []ProductRef{{ID: "OSSL-307", Name: "OpenSSL 3.0.7", Version: "3.0.7", PURL: "pkg:generic/openssl@3.0.7"}}}},
				Format: FormatCSAF, Source: "ACME-VEX-2024-002", Timestamp: date("2024-04-10T06:00:00Z")},
		}},
		{"cyclonedx-vex.json", []Statement{
			{Vulnerability: "CVE-2021-44228", Aliases: []string{"GHSA-jfh8-c2jp-5v3q"}, Status: StatusNotAffected,
				Justification: VulnerableCodeNotInExecutePath, JustificationRaw: "code_not_reachable",
				Impact: "JNDI lookups are disabled in the pump build.", Response: []string{"will_not_fix"},
				Products: []ProductRef{{ID: "urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#log4j",
					Name: "org.apache.logging.log4j/log4j-core", Version: "2.14.1",
					PURL: "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"}},
				Format: FormatCycloneDX, Source: "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79", Timestamp: date("2024-06-02T00:00:00Z")},
			{Vulnerability: "CVE-2024-99005", Status: StatusAffected, Action: "update: Install firmware 4.3.", Response: []string{"update"},
				Products: []ProductRef{{ID: "pumpx", Name: "PumpX 3000", Version: "4.2.1", VersionRange: "vers:generic/<4.3"}},
				Format:   FormatCycloneDX, Source: "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79", Timestamp: date("2024-06-01T00:00:00Z")},
			// CVE-2024-99006 has no analysis: a disclosure, not a VEX statement.
		}},
		{"openvex.json", []Statement{
			{Vulnerability: "CVE-2024-99003", Aliases: []string{"GHSA-aaaa-bbbb-cccc"}, Status: StatusNotAffected,
				Justification: VulnerableCodeNotPresent, JustificationRaw: "vulnerable_code_not_present",
				Impact: "The inflate path is not compiled in.",
				Products: []ProductRef{{ID: "pkg:generic/acme/pumpx@4.2.1", PURL: "pkg:generic/acme/pumpx@4.2.1",
					Subcomponents: []ProductRef{{ID: "pkg:generic/zlib@1.2.11", PURL: "pkg:generic/zlib@1.2.11"}}}},
				Format: FormatOpenVEX, Source: "https://acme-medical.example/vex/ov-1", Timestamp: date("2024-05-01T10:00:00Z")},
			{Vulnerability: "CVE-2024-99004", Status: StatusAffected, Action: "Upgrade the gateway to 2.1.",
				Products: []ProductRef{{ID: "urn:acme:gateway", CPE: "cpe:2.3:a:acme_medical:infusion_gateway:2.0:*:*:*:*:*:*:*"}},
				Format:   FormatOpenVEX, Source: "https://acme-medical.example/vex/ov-1", Timestamp: date("2024-05-02T10:00:00Z")},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata/vex", tt.file)
			got, rep := readVEX(t, path)
			if rep.Read != 1 || rep.Accepted != 1 {
				t.Fatalf("report %+v", rep)
			}
			for i := range tt.want {
				tt.want[i].Path = path
			}
			if len(got) != len(tt.want) {
				t.Fatalf("%d statements, want %d: %+v", len(got), len(tt.want), got)
			}
			for i := range got {
				if !reflect.DeepEqual(got[i], tt.want[i]) {
					t.Errorf("statement %d:\n got %+v\nwant %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestReadVEXRejects(t *testing.T) {
	advisory, err := os.ReadFile("testdata/advisory/acme-2024-001.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, doc, pointer, reason string
	}{
		{"CSAF advisory is not VEX", string(advisory), "/document/category", `"csaf_security_advisory" is not the csaf_vex profile`},
		{"unknown JSON", `{"entries": []}`, "", "not a VEX document"},
		{"not JSON", `{"statements": [`, "", "invalid JSON"},
		{"BOM without vulnerabilities", `{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": []}`, "", "without vulnerabilities"},
		{"CycloneDX unknown state", `{"bomFormat": "CycloneDX", "vulnerabilities": [{"id": "CVE-1", "analysis": {"state": "maybe"}}]}`,
			"/vulnerabilities/0/analysis/state", `unknown analysis state "maybe"`},
		{"CycloneDX without analysis", `{"bomFormat": "CycloneDX", "vulnerabilities": [{"id": "CVE-1"}]}`, "", "no VEX statement"},
		{"OpenVEX unknown status", `{"@context": "https://openvex.dev/ns/v0.2.0", "statements": [{"vulnerability": {"name": "CVE-1"}, "status": "safe"}]}`,
			"/statements/0/status", `unknown status "safe"`},
		{"OpenVEX no vulnerability", `{"@context": "https://openvex.dev/ns/v0.2.0", "statements": [{"status": "fixed"}]}`,
			"/statements/0/vulnerability", "names no vulnerability"},
		{"CSAF VEX schema error", strings.Replace(string(advisory), `"csaf_version": "2.0"`, `"csaf_version": "2.1"`, 1),
			"/document/csaf_version", "value must be"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "doc.json")
			os.WriteFile(p, []byte(tt.doc), 0o644)
			got, rep := readVEX(t, p)
			if len(got) != 0 || rep.Read != 1 || len(rep.Rejected) != 1 {
				t.Fatalf("statements %v, report %+v", got, rep)
			}
			r := rep.Rejected[0]
			if r.Pointer != tt.pointer || !strings.Contains(r.Reason, tt.reason) {
				t.Errorf("got %q %q, want %q containing %q", r.Pointer, r.Reason, tt.pointer, tt.reason)
			}
		})
	}
}

// OpenVEX v0.0.1 wrote vulnerabilities, products and subcomponents as strings.
func TestOpenVEXOldStringForm(t *testing.T) {
	doc := `{"@context": "https://openvex.dev/ns", "@id": "x", "timestamp": "2023-01-08T18:02:03Z",
	  "statements": [{"vulnerability": "CVE-2023-1234", "products": ["pkg:oci/pump-ui@sha256:abc"],
	    "subcomponents": ["pkg:golang/golang.org/x/net@v0.4.0"], "status": "not_affected",
	    "justification": "vulnerable_code_not_in_execute_path"}]}`
	p := filepath.Join(t.TempDir(), "old.json")
	os.WriteFile(p, []byte(doc), 0o644)
	got, _ := readVEX(t, p)
	want := []Statement{{Vulnerability: "CVE-2023-1234", Status: StatusNotAffected,
		Justification: VulnerableCodeNotInExecutePath, JustificationRaw: VulnerableCodeNotInExecutePath,
		Products: []ProductRef{{ID: "pkg:oci/pump-ui@sha256:abc", PURL: "pkg:oci/pump-ui@sha256:abc",
			Subcomponents: []ProductRef{{ID: "pkg:golang/golang.org/x/net@v0.4.0", PURL: "pkg:golang/golang.org/x/net@v0.4.0"}}}},
		Format: FormatOpenVEX, Source: "x", Path: p, Timestamp: date("2023-01-08T18:02:03Z")}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("\n got %+v\nwant %+v", got, want)
	}
}

func TestCycloneDXJustifications(t *testing.T) {
	for raw, want := range map[string]string{
		"code_not_present": VulnerableCodeNotPresent, "code_not_reachable": VulnerableCodeNotInExecutePath,
		"requires_configuration": VulnerableCodeCannotBeControlledByAdversary, "requires_dependency": ComponentNotPresent,
		"requires_environment": VulnerableCodeCannotBeControlledByAdversary, "protected_by_compiler": InlineMitigationsAlreadyExist,
		"protected_at_runtime": InlineMitigationsAlreadyExist, "protected_at_perimeter": InlineMitigationsAlreadyExist,
		"protected_by_mitigating_control": InlineMitigationsAlreadyExist,
	} {
		doc := `{"bomFormat": "CycloneDX", "vulnerabilities": [{"id": "CVE-1", "analysis": {"state": "not_affected", "justification": "` + raw + `"}}]}`
		stmts, rej := parseVEX("x.json", []byte(doc))
		if rej != nil || len(stmts) != 1 || stmts[0].Justification != want || stmts[0].JustificationRaw != raw {
			t.Errorf("%s: %+v %v, want %s", raw, stmts, rej, want)
		}
	}
}

func TestReadVEXCallbackError(t *testing.T) {
	stop := errors.New("stop")
	_, err := ReadVEX("testdata/vex", func(Statement) error { return stop })
	if !errors.Is(err, stop) {
		t.Errorf("err %v, want stop", err)
	}
}
