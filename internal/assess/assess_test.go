package assess

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigil-iomt/vigil/internal/asset"
	"github.com/vigil-iomt/vigil/internal/feeds"
	"github.com/vigil-iomt/vigil/internal/risk"
	"github.com/vigil-iomt/vigil/internal/store"
	"github.com/vigil-iomt/vigil/internal/store/sqlite"
)

var t0 = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

func device(id, vendor, model, version string, crit asset.Criticality) asset.Device {
	return asset.Device{ID: id, Key: "ip:" + id, Class: "infusion_pump", Criticality: crit,
		Manufacturer: vendor, Model: model, Firmware: version, FirstSeen: t0, LastSeen: t0,
		Hostnames: []string{id + "-host"}}
}

// TestAssessFleet: an SBOM and NVD records make findings on the devices
// of the model version; a CSAF advisory makes a device-level finding;
// KEV raises the decision; re-assessing keeps IDs, first-assessed times,
// due dates and patch states; a device that moved to another firmware
// version leaves its findings gone, with their history.
func TestAssessFleet(t *testing.T) {
	ds := os.Getenv("VIGIL_DATASETS")
	if ds == "" {
		t.Skip("VIGIL_DATASETS is not set: the public datasets (../shared/data) are needed")
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "vigil.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, _, err := feeds.ImportSBOM(ctx, st, filepath.Join(ds, "medical-device-sbom/sboms/case-study/narrow.sbom.json"),
		feeds.SBOMImport{Vendor: "Acme Medical", Model: "Infuse 3", Version: "2.1"}, t0); err != nil {
		t.Fatal(err)
	}
	for _, in := range []struct{ kind, path string }{
		{feeds.NVD, "../vuln/testdata/nvd-wolfssl.json"},
		{feeds.CSAF, filepath.Join(ds, "cisa-csaf-icsma/2017/icsma-17-009-01a.json")},
	} {
		if _, err := feeds.ImportSoftware(ctx, st, in.kind, in.path); err != nil {
			t.Fatal(err)
		}
	}
	// CVE-2022-42905 is in KEV for this test (it is not in CISA's
	// catalog), and CVE-2022-25638 has an EPSS above the threshold.
	if err := st.Commit(ctx, &store.Batch{
		KEV:  []store.KEVRecord{{CVE: "CVE-2022-42905", DateAdded: t0.Add(-48 * time.Hour), Doc: []byte(`{}`)}},
		EPSS: []store.EPSSRecord{{CVE: "CVE-2022-25638", Score: 0.42, Percentile: 0.97, Date: t0}},
		Devices: []asset.Device{
			device("dev-pump1", "ACME Medical, Inc.", "infuse 3", "2.1", asset.LifeSustaining),
			device("dev-pump2", "Acme Medical", "Infuse 3", "2.1", asset.NonClinical),
			device("dev-merlin", "St. Jude Medical", "Inductive models EX1100", "8.2.1", asset.LifeSustaining),
			device("dev-unknown", "", "", "", asset.CriticalityUnknown),
		}}); err != nil {
		t.Fatal(err)
	}
	now := t0
	run := func() *Summary {
		t.Helper()
		sum, err := Run(ctx, st, Options{Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		return sum
	}
	sum := run()
	if sum.Devices != 3 || sum.Unassessed != 1 || sum.Products != 2 || sum.SBOMs != 1 {
		t.Errorf("summary %+v", sum)
	}
	all, err := st.Findings(ctx, store.FindingQuery{IncludeSuppressed: true})
	if err != nil {
		t.Fatal(err)
	}
	byDevice := map[string][]store.FindingRecord{}
	for _, f := range all {
		byDevice[f.DeviceID] = append(byDevice[f.DeviceID], f)
	}
	// The SBOM's wolfSSL 4.8.1 has six of the fixture's CVEs, and its
	// Newtonsoft.Json no OSV record here: six findings on each pump.
	if len(byDevice["dev-pump1"]) != 6 || len(byDevice["dev-pump2"]) != 6 {
		t.Fatalf("findings per pump: %d and %d, want 6 each", len(byDevice["dev-pump1"]), len(byDevice["dev-pump2"]))
	}
	if len(byDevice["dev-merlin"]) != 1 || byDevice["dev-merlin"][0].Vulnerability != "CVE-2017-5149" {
		t.Fatalf("%d Merlin@home findings, want CVE-2017-5149 of ICSMA-17-009-01A", len(byDevice["dev-merlin"]))
	}
	decision := func(dev, vuln string) store.FindingRecord {
		for _, f := range byDevice[dev] {
			if f.Vulnerability == vuln {
				return f
			}
		}
		t.Fatalf("no %s on %s", vuln, dev)
		return store.FindingRecord{}
	}
	// KEV makes exploitation active; the pumps talk only inside the
	// hospital (controlled) and the fixture has no CVSS (not automatable).
	// The life-sustaining pump's impact is very high: the published table
	// says out-of-cycle; the same flaw on a non-clinical device (low
	// impact) is scheduled.
	k1, k2 := decision("dev-pump1", "CVE-2022-42905"), decision("dev-pump2", "CVE-2022-42905")
	if !k1.KEV || k1.Decision != string(risk.OutOfCycle) || k2.Decision != string(risk.Scheduled) {
		t.Errorf("KEV finding decisions: life-sustaining %s (kev %v), non-clinical %s; want out-of-cycle and scheduled", k1.Decision, k1.KEV, k2.Decision)
	}
	// EPSS ≥ 0.1 makes exploitation a public proof of concept.
	e1 := decision("dev-pump1", "CVE-2022-25638")
	var ef Finding
	if err := json.Unmarshal(e1.Doc, &ef); err != nil || e1.EPSS != 0.42 || ef.Decision.Exploitation.Value != string(risk.ExploitPoC) {
		t.Errorf("EPSS finding: epss %v, exploitation %+v (%v)", e1.EPSS, ef.Decision.Exploitation, err)
	}
	var f Finding
	if err := json.Unmarshal(k1.Doc, &f); err != nil || f.Match.Method == "" || f.Decision.Exploitation.Value != string(risk.ExploitActive) ||
		f.Decision.HumanImpact.Value != string(risk.ImpactVeryHigh) || k1.Due.IsZero() {
		t.Errorf("finding document %+v (%v), due %v", f, err, k1.Due)
	}

	// Re-assessing an hour later changes nothing people rely on.
	if err := st.SetPatchState(ctx, k1.ID, store.PatchChange{At: now, To: string(risk.StateValidated), By: "biomed"}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	now = t0.Add(time.Hour)
	if sum := run(); sum.Findings != 13 || sum.Gone != 0 {
		t.Errorf("second assessment %+v", sum)
	}
	again, err := st.Finding(ctx, k1.ID)
	if err != nil {
		t.Fatal(err)
	}
	var f2 Finding
	if err := json.Unmarshal(again.Doc, &f2); err != nil || !f2.FirstSeen.Equal(t0) || !again.Due.Equal(k1.Due) || again.State != string(risk.StateValidated) {
		t.Errorf("after re-assessment: first %v due %v state %q; want %v, %v, validated", f2.FirstSeen, again.Due, again.State, t0, k1.Due)
	}

	// The first pump moves to firmware 2.2, which has no SBOM: its
	// findings are gone, kept with their history.
	moved := device("dev-pump1", "ACME Medical, Inc.", "infuse 3", "2.2", asset.LifeSustaining)
	if err := st.Commit(ctx, &store.Batch{Devices: []asset.Device{moved}}); err != nil {
		t.Fatal(err)
	}
	if sum := run(); sum.Gone != 6 {
		t.Errorf("after the update: %d gone, want 6", sum.Gone)
	}
	gone, err := st.Finding(ctx, k1.ID)
	if err != nil || gone.Gone.IsZero() || len(gone.History) != 1 {
		t.Errorf("gone finding %+v (%v)", gone, err)
	}
}

// TestRubricAdjustsTheVector: rubric answers for a vulnerability on a
// model replace the advisory's vector in the decision, and the finding
// says what changed and who answered.
func TestRubricAdjustsTheVector(t *testing.T) {
	ds := os.Getenv("VIGIL_DATASETS")
	if ds == "" {
		t.Skip("VIGIL_DATASETS is not set: the public datasets (../shared/data) are needed")
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "vigil.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := feeds.ImportSoftware(ctx, st, feeds.CSAF, filepath.Join(ds, "cisa-csaf-icsma/2017/icsma-17-009-01a.json")); err != nil {
		t.Fatal(err)
	}
	merlin := device("dev-merlin", "St. Jude Medical", "Inductive models EX1100", "8.2.1", asset.LifeSustaining)
	// The home monitor is reached over a short-range radio, not IP: the
	// rubric's AV flow gives Local (XAVN yes → XAVT no → XAVW yes → XAVR yes).
	answers := store.RubricRecord{Vulnerability: "CVE-2017-5149", Vendor: "St. Jude Medical", Model: "Inductive models EX1100",
		Answers: map[string]string{"XAVN": "yes", "XAVT": "no", "XAVW": "yes", "XAVR": "yes"}, By: "biomed-lead", At: t0}
	if err := st.Commit(ctx, &store.Batch{Devices: []asset.Device{merlin}, Rubric: []store.RubricRecord{answers}}); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(ctx, st, Options{Now: func() time.Time { return t0 }}); err != nil {
		t.Fatal(err)
	}
	recs, err := st.Findings(ctx, store.FindingQuery{DeviceID: "dev-merlin"})
	if err != nil || len(recs) != 1 {
		t.Fatalf("findings %v (%v)", recs, err)
	}
	var f Finding
	if err := json.Unmarshal(recs[0].Doc, &f); err != nil {
		t.Fatal(err)
	}
	if f.CVSSBase != "CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:C/C:L/I:H/A:H" || f.CVSS != "CVSS:3.0/AV:L/AC:H/PR:N/UI:N/S:C/C:L/I:H/A:H" ||
		f.Rubric == nil || f.Rubric.By != "biomed-lead" || recs[0].CVSS >= 8.9 {
		t.Errorf("vector %s (base %s), score %.1f, rubric %+v", f.CVSS, f.CVSSBase, recs[0].CVSS, f.Rubric)
	}
}
