package sigma_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/vigil-iomt/vigil/internal/detect"
	"github.com/vigil-iomt/vigil/internal/ingest/cloudtrail"
	"github.com/vigil-iomt/vigil/internal/ingest/source"
	"github.com/vigil-iomt/vigil/internal/inventory"
	"github.com/vigil-iomt/vigil/internal/pipeline"
	"github.com/vigil-iomt/vigil/internal/sigma"
	"github.com/vigil-iomt/vigil/internal/store/sqlite"
)

// BenchmarkEndToEnd measures cloud monitoring end to end: a gzip CloudTrail
// delivery file (the Stratus Red Team events, repeated with fresh event IDs
// to 100,000) read, judged by the SigmaHQ CloudTrail rules (57, and the set
// replicated to 570 with changed values) and turned into alerts committed
// to SQLite with the file's checkpoint. One core (-cpu 1), records/s.
//
//	VIGIL_DATASETS=../shared/data go test -run '^$' -bench EndToEnd -benchtime 3x -cpu 1 ./internal/sigma/
func BenchmarkEndToEnd(b *testing.B) {
	ds := os.Getenv("VIGIL_DATASETS")
	if ds == "" {
		b.Skip("VIGIL_DATASETS is not set: the public datasets (../shared/data) are needed")
	}
	base, err := sigma.LoadPaths([]string{filepath.Join(ds, "sigmahq-cloudtrail-rules")})
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	const events = 100_000
	file := writeDelivery(b, filepath.Join(ds, "cloudtrail-stratus-red-team"), filepath.Join(dir, "trail.json.gz"), events)
	for _, copies := range []int{1, 10} {
		rules := sigma.Replicate(base, copies)
		b.Run(fmt.Sprintf("rules=%d", len(rules)), func(b *testing.B) {
			engine, err := sigma.Compile(rules, sigma.Options{})
			if err != nil {
				b.Fatal(err)
			}
			run := 0
			for b.Loop() {
				run++
				st, err := sqlite.Open(context.Background(), filepath.Join(dir, fmt.Sprintf("v%d-%d.db", copies, run)), sqlite.Options{})
				if err != nil {
					b.Fatal(err)
				}
				inv, _ := inventory.New(inventory.Options{})
				ing, err := pipeline.New(pipeline.Options{Store: st, Inventory: inv})
				if err != nil {
					b.Fatal(err)
				}
				sum, err := ing.CloudTrail(context.Background(), []string{file},
					pipeline.CloudTrailOptions{Rules: detect.NewSigmaRules(engine, rules), Alerts: detect.New(nil)})
				if err != nil || sum.Accepted != events {
					b.Fatalf("accepted %d of %d: %v", sum.Accepted, events, err)
				}
				st.Close()
			}
			b.ReportMetric(float64(events)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// writeDelivery writes a gzip {"Records":[...]} file of n events, cycling
// through the events of the folder with fresh event IDs.
func writeDelivery(b *testing.B, from, to string, n int) string {
	b.Helper()
	files, err := cloudtrail.Expand([]string{from})
	if err != nil {
		b.Fatal(err)
	}
	var evs []map[string]any
	for _, f := range files {
		src, err := source.Open(f)
		if err != nil {
			b.Fatal(err)
		}
		r := cloudtrail.NewReader(src, f, cloudtrail.Options{})
		for {
			ev, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			var m map[string]any
			if err := json.Unmarshal(ev.Raw, &m); err != nil {
				b.Fatal(err)
			}
			evs = append(evs, m)
		}
		src.Close()
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	io.WriteString(zw, `{"Records":[`)
	for i := range n {
		m := evs[i%len(evs)]
		m["eventID"] = fmt.Sprintf("bench-%08d", i)
		raw, err := json.Marshal(m)
		if err != nil {
			b.Fatal(err)
		}
		if i > 0 {
			io.WriteString(zw, ",")
		}
		zw.Write(raw)
	}
	io.WriteString(zw, "]}")
	if err := zw.Close(); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(to, buf.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	return to
}
