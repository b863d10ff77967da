package feeds

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-iomt/vigil/internal/store"
	"github.com/vigil-iomt/vigil/internal/store/sqlite"
)

func datasets(t *testing.T) string {
	t.Helper()
	ds := os.Getenv("VIGIL_DATASETS")
	if ds == "" {
		t.Skip("VIGIL_DATASETS is not set: the public datasets (../shared/data) are needed")
	}
	return ds
}

func newStore(t *testing.T) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "vigil.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestImportSoftwareDatasets imports every kind of software-risk feed of
// the datasets, twice: the first import stores them all, the second
// changes nothing, and the store finds an advisory by its alias.
func TestImportSoftwareDatasets(t *testing.T) {
	ds := datasets(t)
	ctx := context.Background()
	st := newStore(t)
	for _, tc := range []struct {
		kind, path     string
		read, rejected int
	}{
		{OSV, "osv", 9, 0},
		{NVD, "nvd-cve-json-2.0", 39, 0},
		{CSAF, "cisa-csaf-icsma", 124, 0},
		{VEX, "openvex", 3, 1}, // all.json is an index of files, not a VEX document
		{KEV, "cisa-kev/known_exploited_vulnerabilities.json", 1404, 0},
		{EPSS, "epss/epss/test-fixtures/example-1.csv", 5, 0},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			path := filepath.Join(ds, tc.path)
			first, err := ImportSoftware(ctx, st, tc.kind, path)
			if err != nil {
				t.Fatal(err)
			}
			if first.Read != tc.read || len(first.Rejected) != tc.rejected {
				t.Fatalf("read %d, rejected %v; want %d and %d", first.Read, first.Rejected, tc.read, tc.rejected)
			}
			again, err := ImportSoftware(ctx, st, tc.kind, path)
			if err != nil {
				t.Fatal(err)
			}
			switch tc.kind {
			case OSV, NVD, CSAF:
				if first.New != tc.read || again.New != 0 || again.Updated != 0 || again.Unchanged != tc.read {
					t.Errorf("first %+v, again %+v: want all new, then all unchanged", first.ImportCounts, again.ImportCounts)
				}
			default:
				if first.Stored != tc.read {
					t.Errorf("stored %d, want %d", first.Stored, tc.read)
				}
			}
		})
	}
	var kev int
	if err := st.KEV(ctx, func(store.KEVRecord) error { kev++; return nil }); err != nil || kev != 1404 {
		t.Errorf("KEV entries stored: %d (%v), want 1404", kev, err)
	}
	// A CSAF advisory is found by the CVE it names.
	var ids []string
	err := st.Advisories(ctx, store.AdvisoryQuery{Source: CSAF, IDs: []string{"CVE-2017-5149"}}, func(a store.AdvisoryRecord) error {
		ids = append(ids, a.ID)
		return nil
	})
	if err != nil || len(ids) == 0 || !strings.HasPrefix(ids[0], "ICSMA-17-009-01") {
		t.Errorf("CSAF advisories for CVE-2017-5149: %v (%v)", ids, err)
	}
}

// TestImportSoftwareKeepsTheGood: a feed with a malformed record imports
// the others and names the bad one with its position.
func TestImportSoftwareKeepsTheGood(t *testing.T) {
	dir := t.TempDir()
	good := `{"id":"GHSA-aaaa-bbbb-cccc","modified":"2024-01-02T00:00:00Z","aliases":["CVE-2024-0001"],"affected":[{"package":{"ecosystem":"PyPI","name":"x"},"versions":["1.0"]}]}`
	bad := `{"id":"GHSA-dddd-eeee-ffff","modified":"yesterday"}`
	for name, body := range map[string]string{"a.json": good, "b.json": bad} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	st := newStore(t)
	rep, err := ImportSoftware(context.Background(), st, OSV, dir)
	if err != nil {
		t.Fatal(err)
	}
	if rep.New != 1 || len(rep.Rejected) != 1 || !strings.Contains(rep.Rejected[0], "b.json") || !strings.Contains(rep.Rejected[0], "/modified") {
		t.Errorf("report %+v", rep)
	}
}

func TestImportSBOM(t *testing.T) {
	ds := datasets(t)
	ctx := context.Background()
	st := newStore(t)
	path := filepath.Join(ds, "medical-device-sbom/sboms/case-study/narrow.sbom.json")
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	to := SBOMImport{Vendor: "Acme", Model: "Infuse 3", Version: "1.0"}
	rec, _, err := ImportSBOM(ctx, st, path, to, now)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Components != 55 || rec.Format != "cyclonedx" || rec.SpecVersion != "1.4" || len(rec.ID) != 64 {
		t.Errorf("record %+v", rec)
	}
	if _, _, err := ImportSBOM(ctx, st, path, to, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	got, err := st.SBOMs(ctx, store.SBOMQuery{})
	if err != nil || len(got) != 1 || !got[0].Imported.Equal(now) {
		t.Errorf("after importing the same file twice: %+v (%v); want one SBOM imported at %s", got, err, now)
	}
	if _, _, err := ImportSBOM(ctx, st, path, SBOMImport{Vendor: "Acme"}, now); err == nil {
		t.Error("an SBOM without model and version was imported")
	}
	if _, _, err := ImportSBOM(ctx, st, filepath.Join(ds, "medical-device-sbom/README.md"), SBOMImport{Vendor: "A", Model: "B", Version: "C"}, now); err == nil {
		t.Error("a README was imported as an SBOM")
	}
}
