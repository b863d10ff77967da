package vuln

import (
	"testing"
	"time"

	"github.com/vigil-iomt/vigil/internal/advisory"
	"github.com/vigil-iomt/vigil/internal/csaf"
	"github.com/vigil-iomt/vigil/internal/sbom"
)

func simpleWolfConfig() advisory.Config {
	return advisory.Config{Nodes: []advisory.Node{{Operator: "OR", Matches: []advisory.CPEMatch{vuln("cpe:2.3:a:wolfssl:wolfssl:*:*:*:*:*:*:*:*", "5.5.0")}}}}
}

func wolfComponent() sbom.Component {
	return sbom.Component{Ref: "wolfssl", Name: "wolfSSL", Version: "4.8.1", PURL: "pkg:github/wolfssl/wolfssl@4.8.1",
		CPEs: []string{"cpe:2.3:a:wolfssl:wolfssl:4.8.1:*:*:*:*:*:*:*"}}
}

var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func stmt(vuln, status string, ts time.Time, refs ...csaf.ProductRef) csaf.Statement {
	return csaf.Statement{Vulnerability: vuln, Status: status, Products: refs, Timestamp: ts, Format: csaf.FormatOpenVEX,
		Source: "vex-" + status, Justification: csaf.VulnerableCodeNotInExecutePath, JustificationRaw: csaf.VulnerableCodeNotInExecutePath}
}

func TestVEX(t *testing.T) {
	d := doc(wolfComponent(), sbom.Component{Ref: "zlib", Name: "zlib", Version: "1.2.11", PURL: "pkg:generic/zlib@1.2.11", CPEs: []string{"cpe:2.3:a:zlib:zlib:1.2.11:*:*:*:*:*:*:*"}})
	device := Product{Vendor: "Acme Medical", Model: "Infusion Pump X", Version: "2.0"}
	tests := []struct {
		name       string
		stmts      []csaf.Statement
		wantStatus map[string]string // component ref → VEX status ("" none)
		wantSupp   map[string]bool
		wantScope  string // of wolfssl
	}{
		{name: "purl with version", stmts: []csaf.Statement{stmt("CVE-2099-0001", "not_affected", t0, csaf.ProductRef{PURL: "pkg:github/wolfssl/wolfssl@4.8.1"})},
			wantStatus: map[string]string{"wolfssl": "not_affected"}, wantSupp: map[string]bool{"wolfssl": true}, wantScope: "purl+version"},
		{name: "purl of another version does not apply", stmts: []csaf.Statement{stmt("CVE-2099-0001", "not_affected", t0, csaf.ProductRef{PURL: "pkg:github/wolfssl/wolfssl@5.0.0"})},
			wantStatus: map[string]string{}},
		{name: "purl without version applies to every version", stmts: []csaf.Statement{stmt("CVE-2099-0001", "fixed", t0, csaf.ProductRef{PURL: "pkg:github/wolfssl/wolfssl"})},
			wantStatus: map[string]string{"wolfssl": "fixed"}, wantSupp: map[string]bool{"wolfssl": true}, wantScope: "purl"},
		{name: "by alias", stmts: []csaf.Statement{{Vulnerability: "GHSA-xxxx-0001", Aliases: []string{"cve-2099-0001"}, Status: "not_affected", Products: []csaf.ProductRef{{PURL: "pkg:github/wolfssl/wolfssl"}}}},
			wantStatus: map[string]string{"wolfssl": "not_affected"}, wantSupp: map[string]bool{"wolfssl": true}, wantScope: "purl"},
		{name: "other vulnerability", stmts: []csaf.Statement{stmt("CVE-2099-0002", "not_affected", t0, csaf.ProductRef{PURL: "pkg:github/wolfssl/wolfssl"})},
			wantStatus: map[string]string{}},
		{name: "cpe", stmts: []csaf.Statement{stmt("CVE-2099-0001", "not_affected", t0, csaf.ProductRef{CPE: "cpe:2.3:a:wolfssl:wolfssl:4.8.1:*:*:*:*:*:*:*"})},
			wantStatus: map[string]string{"wolfssl": "not_affected"}, wantSupp: map[string]bool{"wolfssl": true}, wantScope: "cpe+version"},
		{name: "bom-ref in the same SBOM", stmts: []csaf.Statement{{Vulnerability: "CVE-2099-0001", Status: "not_affected", Format: csaf.FormatCycloneDX,
			Source: "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79", Products: []csaf.ProductRef{{ID: "wolfssl"}}}},
			wantStatus: map[string]string{"wolfssl": "not_affected"}, wantSupp: map[string]bool{"wolfssl": true}, wantScope: "bom-ref"},
		{name: "bom-ref of another SBOM", stmts: []csaf.Statement{{Vulnerability: "CVE-2099-0001", Status: "not_affected", Format: csaf.FormatCycloneDX,
			Source: "urn:uuid:00000000-0000-0000-0000-000000000000", Products: []csaf.ProductRef{{ID: "wolfssl"}}}},
			wantStatus: map[string]string{}},
		{name: "BOM-Link", stmts: []csaf.Statement{{Vulnerability: "CVE-2099-0001", Status: "not_affected",
			Products: []csaf.ProductRef{{ID: "urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#wolfssl"}}}},
			wantStatus: map[string]string{"wolfssl": "not_affected"}, wantSupp: map[string]bool{"wolfssl": true}, wantScope: "bom-ref"},
		{name: "device by name and version applies to every component", stmts: []csaf.Statement{stmt("CVE-2099-0001", "not_affected", t0, csaf.ProductRef{Name: "Infusion Pump X", Version: "2.0"})},
			wantStatus: map[string]string{"wolfssl": "not_affected", "zlib": "not_affected"}, wantSupp: map[string]bool{"wolfssl": true, "zlib": true}, wantScope: "product+version"},
		{name: "device, other version", stmts: []csaf.Statement{stmt("CVE-2099-0001", "not_affected", t0, csaf.ProductRef{Name: "Infusion Pump X", Version: "3.0"})},
			wantStatus: map[string]string{}},
		{name: "subcomponent of this device", stmts: []csaf.Statement{stmt("CVE-2099-0001", "not_affected", t0,
			csaf.ProductRef{Name: "Acme Infusion Pump X", Subcomponents: []csaf.ProductRef{{PURL: "pkg:github/wolfssl/wolfssl"}}})},
			wantStatus: map[string]string{"wolfssl": "not_affected"}, wantSupp: map[string]bool{"wolfssl": true}, wantScope: "purl"},
		{name: "subcomponent of another product", stmts: []csaf.Statement{stmt("CVE-2099-0001", "not_affected", t0,
			csaf.ProductRef{Name: "Ventilator Y", Subcomponents: []csaf.ProductRef{{PURL: "pkg:github/wolfssl/wolfssl"}}})},
			wantStatus: map[string]string{}},
		{name: "affected annotates without suppressing", stmts: []csaf.Statement{stmt("CVE-2099-0001", "affected", t0, csaf.ProductRef{PURL: "pkg:github/wolfssl/wolfssl"})},
			wantStatus: map[string]string{"wolfssl": "affected"}, wantSupp: map[string]bool{}, wantScope: "purl"},
		{name: "under investigation annotates", stmts: []csaf.Statement{stmt("CVE-2099-0001", "under_investigation", t0, csaf.ProductRef{PURL: "pkg:github/wolfssl/wolfssl"})},
			wantStatus: map[string]string{"wolfssl": "under_investigation"}, wantSupp: map[string]bool{}, wantScope: "purl"},
		{name: "more specific wins over later general", stmts: []csaf.Statement{
			stmt("CVE-2099-0001", "not_affected", t0, csaf.ProductRef{PURL: "pkg:github/wolfssl/wolfssl@4.8.1"}),
			stmt("CVE-2099-0001", "affected", t0.Add(time.Hour), csaf.ProductRef{PURL: "pkg:github/wolfssl/wolfssl"})},
			wantStatus: map[string]string{"wolfssl": "not_affected"}, wantSupp: map[string]bool{"wolfssl": true}, wantScope: "purl+version"},
		{name: "component statement wins over device statement", stmts: []csaf.Statement{
			stmt("CVE-2099-0001", "affected", t0, csaf.ProductRef{PURL: "pkg:github/wolfssl/wolfssl"}),
			stmt("CVE-2099-0001", "not_affected", t0.Add(time.Hour), csaf.ProductRef{Name: "Infusion Pump X", Version: "2.0"})},
			wantStatus: map[string]string{"wolfssl": "affected", "zlib": "not_affected"}, wantSupp: map[string]bool{"zlib": true}, wantScope: "purl"},
		{name: "later wins among equals", stmts: []csaf.Statement{
			stmt("CVE-2099-0001", "under_investigation", t0.Add(time.Hour), csaf.ProductRef{PURL: "pkg:github/wolfssl/wolfssl"}),
			stmt("CVE-2099-0001", "not_affected", t0.Add(2*time.Hour), csaf.ProductRef{PURL: "pkg:github/wolfssl/wolfssl"}),
			stmt("CVE-2099-0001", "affected", t0, csaf.ProductRef{PURL: "pkg:github/wolfssl/wolfssl"})},
			wantStatus: map[string]string{"wolfssl": "not_affected"}, wantSupp: map[string]bool{"wolfssl": true}, wantScope: "purl"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := NewMatcher(Options{})
			m.AddAdvisory(nvdAdvisory("CVE-2099-0001", advisory.Config{Nodes: []advisory.Node{{Operator: "OR", Matches: []advisory.CPEMatch{
				vuln("cpe:2.3:a:wolfssl:wolfssl:*:*:*:*:*:*:*:*", "5.5.0"), vuln("cpe:2.3:a:zlib:zlib:*:*:*:*:*:*:*:*", "1.2.12")}}}}))
			for _, s := range tt.stmts {
				m.AddVEX(s)
			}
			fs := m.MatchSBOM(device, d)
			if len(fs) != 2 {
				t.Fatalf("got %d findings, want 2 (VEX keeps suppressed findings): %+v", len(fs), fs)
			}
			for _, f := range fs {
				status := ""
				if f.VEX != nil {
					status = f.VEX.Status
				}
				if status != tt.wantStatus[f.Component.Ref] {
					t.Errorf("%s: VEX status %q, want %q (%+v)", f.Component.Ref, status, tt.wantStatus[f.Component.Ref], f.VEX)
				}
				if f.Suppressed != tt.wantSupp[f.Component.Ref] {
					t.Errorf("%s: suppressed %v, want %v", f.Component.Ref, f.Suppressed, tt.wantSupp[f.Component.Ref])
				}
				if f.Component.Ref == "wolfssl" && f.VEX != nil && f.VEX.Scope != tt.wantScope {
					t.Errorf("scope %q, want %q", f.VEX.Scope, tt.wantScope)
				}
				if f.VEX != nil && f.VEX.Status == "not_affected" && f.VEX.Format == csaf.FormatOpenVEX && f.VEX.Justification != csaf.VulnerableCodeNotInExecutePath {
					t.Errorf("justification %q not kept", f.VEX.Justification)
				}
			}
		})
	}
}
