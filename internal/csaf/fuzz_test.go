package csaf

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzCSAF feeds arbitrary bytes to the CSAF and VEX parsers: they may
// reject, never panic, and an accepted document is fully normalized.
func FuzzCSAF(f *testing.F) {
	files, _ := filepath.Glob("testdata/*/*.json")
	more, _ := filepath.Glob("testdata/feed/docs/*.json")
	for _, p := range append(files, more...) {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"@context": "https://openvex.dev/ns", "statements": [{"vulnerability": "CVE-1", "products": ["a"], "status": "fixed"}]}`))
	f.Add([]byte(`{"bomFormat": "CycloneDX", "vulnerabilities": [{"id": "x", "analysis": {"state": "in_triage"}, "affects": [{"ref": "urn:cdx:a/1#b"}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		adv, pointer, err := parseCSAF(data)
		switch {
		case err == nil && adv == nil:
			t.Fatal("no error and no advisory")
		case err != nil && adv != nil:
			t.Fatal("an error and an advisory")
		case err == nil && pointer != "":
			t.Fatalf("pointer %q without an error", pointer)
		}
		if adv != nil {
			for _, s := range adv.Statements("fuzz.json") {
				if s.Status == "" || len(s.Products) != 1 {
					t.Fatalf("bad statement %+v", s)
				}
			}
		}
		stmts, rej := parseVEX("fuzz.json", data)
		if rej == nil && len(stmts) == 0 {
			t.Fatal("no rejection and no statement")
		}
		if rej != nil && stmts != nil {
			t.Fatal("a rejection and statements")
		}
		_ = classify(data)
	})
}
