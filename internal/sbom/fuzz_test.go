package sbom

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds arbitrary bytes to Parse, seeded with every fixture:
// Parse must return a document or an error, never panic, and a document
// must have unique component refs.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*")
	for _, p := range files {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("SPDXVersion: SPDX-2.3\nPackageName: a\nSPDXID: SPDXRef-a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, _, err := Parse(bytes.NewReader(data), "fuzz")
		if err != nil {
			if doc != nil {
				t.Fatal("document and error")
			}
			return
		}
		seen := map[string]bool{}
		for _, c := range doc.Components {
			if seen[c.Ref] {
				t.Fatalf("duplicate ref %q", c.Ref)
			}
			seen[c.Ref] = true
		}
	})
}
