package feeds

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestImportRejectsWhatDoesNotLoad(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(t.TempDir(), "enterprise-attack.json")
	os.WriteFile(bad, []byte(`{"type": "bundle", "objects": [`), 0o644)
	if _, err := Import(dir, ATTACK, bad); err == nil {
		t.Fatal("a truncated bundle was imported")
	}
	if files, _ := filepath.Glob(filepath.Join(dir, ATTACK, "*")); len(files) != 0 {
		t.Errorf("a rejected feed left files: %v", files)
	}
	if _, err := Import(dir, "kev", bad); !errors.Is(err, ErrUnknownKind) {
		t.Errorf("unknown kind: %v", err)
	}
	cat, err := Catalog(filepath.Join(dir, "missing"))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := cat.Technique("T1041"); !ok {
		t.Error("without feeds the built-in table is missing")
	}
}

func TestImportReportsMissingIDs(t *testing.T) {
	// The fixture ICS bundle holds T0886 and T0869 only.
	imp, err := Import(t.TempDir(), ATTACK, "../attack/testdata/ics-stix21.json")
	if err != nil {
		t.Fatal(err)
	}
	has := map[string]bool{}
	for _, id := range imp.Missing {
		has[id] = true
	}
	if has["T0886"] || has["T0869"] || !has["T0846"] || has["T1041"] {
		t.Errorf("missing %v: want the built-in ICS techniques the file lacks, and no Enterprise ones", imp.Missing)
	}
}

func TestImportPublishedFiles(t *testing.T) {
	data := os.Getenv("VIGIL_DATASETS")
	if data == "" {
		t.Skip("VIGIL_DATASETS not set: skipping the import of MITRE's published files")
	}
	dir := t.TempDir()
	ics, err := Import(dir, ATTACK, filepath.Join(data, "mitre-attack/ics-attack-18.1.json.gz"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ics.Catalog.Techniques()) != 95 || len(ics.SHA256) != 64 || len(ics.Missing) != 0 {
		t.Errorf("ICS import: %d techniques, sha %q, missing %v", len(ics.Catalog.Techniques()), ics.SHA256, ics.Missing)
	}
	if _, err := Import(dir, D3FEND, filepath.Join(data, "mitre-d3fend/src/ontology/d3fend-protege.ttl")); err != nil {
		t.Fatal(err)
	}
	cat, err := Catalog(dir)
	if err != nil {
		t.Fatal(err)
	}
	asset, ok := cat.Asset("A0001")
	if !ok || asset.Name == "" {
		t.Errorf("ICS asset A0001 not loaded from the imported bundle: %+v", asset)
	}
	if cm, ok := cat.Countermeasure("D3-NTA"); !ok || cm.Name != "Network Traffic Analysis" {
		t.Errorf("D3-NTA = %+v", cm)
	}
	if n := len(cat.Countermeasures()); n < 400 {
		t.Errorf("%d countermeasures after importing D3FEND, want the ontology's", n)
	}
}
