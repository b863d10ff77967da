package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-iomt/vigil/internal/assess"
	"github.com/vigil-iomt/vigil/internal/csaf"
	"github.com/vigil-iomt/vigil/internal/store"
	"github.com/vigil-iomt/vigil/internal/store/sqlite"
	"github.com/vigil-iomt/vigil/internal/vuln"
)

func TestVulnVEX(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "vigil.db")
	db := "sqlite:" + path
	if out, stderr, code := vigil(t, nil, "--db", db, "sbom", "import", "../../internal/vexdoc/testdata/pump-sbom.cdx.json",
		"--vendor", "Acme Medical Inc.", "--model", "Infusion Pump X", "--version", "2.1"); code != 0 {
		t.Fatalf("sbom import: exit %d: %s %s", code, out, stderr)
	}

	// Findings as an assessment stores them: two of the model version
	// (one suppressed by VEX), one of another version.
	at := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	mk := func(dev, version, id, ref string, vex *vuln.VEXState) store.FindingRecord {
		f := assess.Finding{ID: assess.FindingID(dev, id, ref), DeviceID: dev,
			Device: assess.DeviceInfo{Name: dev, Vendor: "Acme Medical", Model: "Infusion Pump X", Version: version},
			Match: vuln.Finding{Vulnerability: id, Source: vuln.SourceNVD, Method: vuln.MethodCPEConfig, Evidence: "cpe matches",
				Component: vuln.ComponentRef{Ref: ref, Name: ref, Version: "1"}, VEX: vex, Suppressed: vex != nil},
			FirstSeen: at}
		f.Decision.Outcome = "scheduled"
		doc, err := json.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		return store.FindingRecord{ID: f.ID, DeviceID: dev, Vulnerability: id, Component: ref, Decision: "scheduled",
			Suppressed: f.Match.Suppressed, Assessed: at, Doc: doc}
	}
	notAffected := &vuln.VEXState{Status: csaf.StatusNotAffected, Justification: csaf.ComponentNotPresent, JustificationRaw: csaf.ComponentNotPresent,
		Format: csaf.FormatOpenVEX, Source: "vendor-vex"}
	st, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = st.Commit(context.Background(), &store.Batch{Findings: []store.FindingRecord{
		mk("dev-1", "2.1", "CVE-2023-0001", "openssl", nil),
		mk("dev-1", "2.1", "CVE-2023-0002", "zlib", notAffected),
		mk("dev-9", "3.0", "CVE-2023-0009", "openssl", nil),
	}})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}

	file := filepath.Join(dir, "pump.csaf.json")
	_, stderr, code := vigil(t, nil, "--db", db, "vuln", "vex", "--vendor", "ACME Medical", "--model", "infusion pump x", "--version", "2.1",
		"--format", "csaf", "-o", file, "--author", "Example Hospital")
	if code != 0 || !strings.Contains(stderr, "from 2 findings (SBOM of 3 components)") {
		t.Fatalf("vuln vex --format csaf: exit %d: %s", code, stderr)
	}
	var got []string
	if _, err := csaf.ReadVEX(file, func(s csaf.Statement) error {
		got = append(got, s.Vulnerability+" "+s.Status+" "+s.Justification)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	if want := []string{"CVE-2023-0001 affected ", "CVE-2023-0002 not_affected component_not_present"}; !slices.Equal(got, want) {
		t.Errorf("CSAF statements %q, want %q", got, want)
	}

	out, stderr, code := vigil(t, nil, "--db", db, "vuln", "vex", "--vendor", "Acme Medical", "--model", "Infusion Pump X", "--version", "2.1")
	if code != 0 || !strings.Contains(out, `"specVersion": "1.6"`) || !strings.Contains(out, "CVE-2023-0002") || strings.Contains(out, "CVE-2023-0009") {
		t.Errorf("vuln vex (cyclonedx to stdout): exit %d, stderr %s\n%s", code, stderr, out)
	}

	if _, stderr, code := vigil(t, nil, "--db", db, "vuln", "vex", "--vendor", "Acme Medical", "--model", "Other", "--version", "1"); code == 0 ||
		!strings.Contains(stderr, "no findings") {
		t.Errorf("vuln vex of a model without findings: exit %d, stderr %s", code, stderr)
	}
}
