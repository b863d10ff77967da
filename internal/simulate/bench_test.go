package simulate

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkRun measures whole simulations, logs written to disk included.
// records/s counts the records of every log.
func BenchmarkRun(b *testing.B) {
	for _, bc := range []struct {
		name string
		opts Options
	}{
		{"devices=200/hours=24", Options{Seed: 1, Devices: 200, Hours: 24}},
		{"devices=2000/hours=2", Options{Seed: 1, Devices: 2000, Hours: 2}},
		{"conn=1M", Options{Seed: 1, Devices: 500, Hours: 12, ConnRecords: 1_000_000}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			dir := b.TempDir()
			b.ReportAllocs()
			records, runs := 0, 0
			for b.Loop() {
				tr, err := Run(context.Background(), dir, bc.opts)
				if err != nil {
					b.Fatal(err)
				}
				for _, n := range tr.Records {
					records += n
				}
				runs++
			}
			var size int64
			for _, l := range LogFiles {
				if st, err := os.Stat(filepath.Join(dir, LogDir, l.File)); err == nil {
					size += st.Size()
				}
			}
			b.SetBytes(size)
			b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
			b.ReportMetric(float64(records)/float64(runs), "records/op")
		})
	}
}
