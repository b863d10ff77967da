package attack

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkLoadEnterprise measures LoadATTACK on the published Enterprise
// bundle (STIX 2.0), held in memory so the disk is not measured. Bytes/s are
// uncompressed JSON bytes; records/s are STIX objects per second.
func BenchmarkLoadEnterprise(b *testing.B) {
	dir := datasets(b)
	gz, err := os.ReadFile(filepath.Join(dir, enterprisePath))
	if err != nil {
		b.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		b.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		b.Fatal(err)
	}
	objects := 0
	for _, n := range countTypes(b, filepath.Join(dir, enterprisePath)) {
		objects += n
	}
	for _, bc := range []struct {
		name string
		data []byte
	}{{"gzip", gz}, {"plain", plain}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(plain)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := LoadATTACK(bytes.NewReader(bc.data)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(objects)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
