package pipeline

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-iomt/vigil/fingerprints"
	"github.com/vigil-iomt/vigil/internal/event"
	"github.com/vigil-iomt/vigil/internal/fingerprint"
	"github.com/vigil-iomt/vigil/internal/ingest/zeek"
	"github.com/vigil-iomt/vigil/internal/inventory"
	"github.com/vigil-iomt/vigil/internal/policy"
	"github.com/vigil-iomt/vigil/internal/simulate"
	"github.com/vigil-iomt/vigil/internal/store/sqlite"
)

// writeConnLog writes n conn records among the given number of internal
// devices, in time order. Like medical devices, each device keeps to its
// own few peers and ports (a server, a second service, its vendor cloud),
// so that once learned its traffic is judged and found normal; one record
// in 2,000 goes somewhere new, so the detectors fire now and then.
func writeConnLog(tb testing.TB, path string, n, devices int) {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	w := zeek.NewWriter(bw, event.KindConn, zeek.TSV)
	rng := rand.New(rand.NewPCG(1, 2))
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	ports := []uint16{443, 2575, 104, 80, 11112, 8443}
	states := []string{"SF", "SF", "SF", "SF", "S1", "RSTO"}
	for i := range n {
		d := rng.IntN(devices)
		c := &event.Conn{
			TS:        start.Add(time.Duration(i) * 10 * time.Millisecond),
			UID:       fmt.Sprintf("C%016x", rng.Uint64()),
			OrigH:     netip.AddrFrom4([4]byte{10, byte(20 + d>>16), byte(d >> 8), byte(d)}),
			OrigP:     uint16(32768 + rng.IntN(28000)),
			RespH:     netip.AddrFrom4([4]byte{10, 1, 0, byte(d % 50)}),
			RespP:     ports[d%len(ports)],
			Proto:     "tcp",
			Duration:  time.Duration(rng.IntN(5000)) * time.Millisecond,
			OrigBytes: int64(rng.IntN(20000)),
			RespBytes: int64(rng.IntN(20000)),
			ConnState: states[rng.IntN(len(states))],
			OrigPkts:  int64(1 + rng.IntN(100)),
			RespPkts:  int64(1 + rng.IntN(100)),
		}
		switch r := rng.IntN(2000); {
		case r == 0:
			c.RespH = netip.AddrFrom4([4]byte{198, 51, 100, byte(rng.IntN(256))})
		case r < 500:
			c.RespH = netip.AddrFrom4([4]byte{203, 0, 113, byte(d % 256)})
			c.RespP = 443
		case r < 1000:
			c.RespP = ports[(d+1)%len(ports)]
		}
		if err := w.Write(c); err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	if err := bw.Flush(); err != nil {
		tb.Fatal(err)
	}
	f.Close()
}

// BenchmarkIngestConn measures the whole network pipeline — parse,
// inventory, classification, baselines, policy, detectors, SQLite commit
// with checkpoints — on a conn.log.
func BenchmarkIngestConn(b *testing.B) {
	for _, sc := range []struct{ records, devices int }{{500_000, 1_000}, {1_000_000, 10_000}} {
		b.Run(fmt.Sprintf("records=%d/devices=%d", sc.records, sc.devices), func(b *testing.B) {
			dir := b.TempDir()
			log := filepath.Join(dir, "conn.log")
			writeConnLog(b, log, sc.records, sc.devices)
			st, _ := os.Stat(log)
			b.SetBytes(st.Size())
			// Records are 10 ms apart: learn for the first third.
			benchIngest(b, dir, log, sc.records, time.Duration(sc.records)*10*time.Millisecond/3, benchPolicy(b))
		})
	}
}

// BenchmarkIngestSimulated ingests a whole simulated hospital day — every
// log type, DHCP churn, classification, baselines (learning all day) —
// the closest to a real sensor's output.
func BenchmarkIngestSimulated(b *testing.B) {
	for _, devices := range []int{200, 2000} {
		b.Run(fmt.Sprintf("devices=%d/hours=24", devices), func(b *testing.B) {
			dir := b.TempDir()
			truth, err := simulate.Run(context.Background(), dir, simulate.Options{Seed: 1, Devices: devices, Hours: 24})
			if err != nil {
				b.Fatal(err)
			}
			records := 0
			for _, n := range truth.Records {
				records += n
			}
			benchIngest(b, dir, filepath.Join(dir, simulate.LogDir), records, 24*time.Hour, nil)
		})
	}
}

// benchIngest ingests path into a fresh SQLite database in dir per
// iteration, with the whole network analysis on — baselines learning for
// the given span of event time and judging after, the segmentation policy
// when given, the detectors — and reports records/s.
func benchIngest(b *testing.B, dir, path string, records int, learning time.Duration, pol *policy.Policy) {
	corpus, err := fingerprint.Load(fingerprints.FS)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	run := 0
	for b.Loop() {
		run++
		db, err := sqlite.Open(context.Background(), filepath.Join(dir, fmt.Sprintf("v%d.db", run)), sqlite.Options{})
		if err != nil {
			b.Fatal(err)
		}
		inv, _ := inventory.New(inventory.Options{Classifier: corpus})
		an, err := LoadAnalysis(context.Background(), db, inv, AnalysisOptions{Learning: learning, Policy: pol})
		if err != nil {
			b.Fatal(err)
		}
		ing, _ := New(Options{Store: db, Inventory: inv, Analysis: an})
		sum, err := ing.Zeek(context.Background(), []string{path})
		if err != nil || sum.Accepted != int64(records) {
			b.Fatalf("accepted %d of %d, err %v", sum.Accepted, records, err)
		}
		db.Close()
	}
	b.ReportMetric(float64(records)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// benchPolicy allows every class its servers and its vendor cloud, the
// way a fitted policy allows a fleet's usual flows.
func benchPolicy(b *testing.B) *policy.Policy {
	var y strings.Builder
	y.WriteString("name: bench\nzones:\n  - {name: servers, cidrs: [10.1.0.0/24]}\nclasses:\n")
	for _, c := range fingerprint.Classes() {
		fmt.Fprintf(&y, "  - class: %s\n    allow:\n      - {to: {zones: [servers]}, proto: tcp}\n      - {to: {cidrs: [203.0.113.0/24]}, proto: tcp, ports: [443]}\n", c.Name)
	}
	p, err := policy.Parse([]byte(y.String()), "bench.yaml")
	if err != nil {
		b.Fatal(err)
	}
	return p
}
