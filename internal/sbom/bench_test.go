package sbom

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkParse parses real SBOMs from memory, named by component count:
// the medical-device SBOM (55 components, the largest medical one) and the
// 840-component juice-shop BOM the acceptance criterion names (< 200 ms).
func BenchmarkParse(b *testing.B) {
	data := datasets(b)
	cases := []struct{ name, file string }{
		{"medical/55-components-json", medicalSBOM},
		{"juice-shop/840-components-json", "cyclonedx-bom-examples/SBOM/juice-shop/v11.1.2/bom.json.gz"},
		{"juice-shop/840-components-xml", "cyclonedx-bom-examples/SBOM/juice-shop/v11.1.2/bom.xml.gz"},
	}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			raw := readPlain(b, filepath.Join(data, bc.file))
			doc, _, err := Parse(bytes.NewReader(raw), bc.file)
			if err != nil {
				b.Fatal(err)
			}
			n := len(doc.Components)
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := Parse(bytes.NewReader(raw), bc.file); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "components/s")
		})
	}
}

// readPlain reads a file, decompressing gzip, so the benchmark measures
// parsing and not inflation.
func readPlain(b *testing.B, path string) []byte {
	b.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	if len(raw) > 2 && raw[0] == 0x1f && raw[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			b.Fatal(err)
		}
		if raw, err = io.ReadAll(zr); err != nil {
			b.Fatal(err)
		}
	}
	return raw
}
