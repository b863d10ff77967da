package pipeline

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigil-iomt/vigil/fingerprints"
	"github.com/vigil-iomt/vigil/internal/event"
	"github.com/vigil-iomt/vigil/internal/fingerprint"
	"github.com/vigil-iomt/vigil/internal/ingest/zeek"
	"github.com/vigil-iomt/vigil/internal/inventory"
	"github.com/vigil-iomt/vigil/internal/simulate"
	"github.com/vigil-iomt/vigil/internal/store/sqlite"
)

// writeConnLog writes n conn records among the given number of internal
// devices, talking to servers and to the internet, in time order.
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
	ports := []uint16{443, 2575, 104, 53, 80, 11112, 8443}
	states := []string{"SF", "SF", "SF", "S0", "REJ", "RSTO"}
	for i := range n {
		d := rng.IntN(devices)
		c := &event.Conn{
			TS:        start.Add(time.Duration(i) * 10 * time.Millisecond),
			UID:       fmt.Sprintf("C%016x", rng.Uint64()),
			OrigH:     netip.AddrFrom4([4]byte{10, byte(20 + d>>16), byte(d >> 8), byte(d)}),
			OrigP:     uint16(32768 + rng.IntN(28000)),
			RespH:     netip.AddrFrom4([4]byte{10, 1, 0, byte(rng.IntN(50))}),
			RespP:     ports[rng.IntN(len(ports))],
			Proto:     "tcp",
			Duration:  time.Duration(rng.IntN(5000)) * time.Millisecond,
			OrigBytes: int64(rng.IntN(100000)),
			RespBytes: int64(rng.IntN(100000)),
			ConnState: states[rng.IntN(len(states))],
			OrigPkts:  int64(1 + rng.IntN(100)),
			RespPkts:  int64(rng.IntN(100)),
		}
		if rng.IntN(4) == 0 {
			c.RespH = netip.AddrFrom4([4]byte{203, 0, 113, byte(rng.IntN(256))})
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

// BenchmarkIngestConn measures whole ingestion — parse, inventory,
// classification, SQLite commit with checkpoints — of a conn.log.
func BenchmarkIngestConn(b *testing.B) {
	for _, sc := range []struct{ records, devices int }{{200_000, 1_000}, {200_000, 20_000}} {
		b.Run(fmt.Sprintf("records=%d/devices=%d", sc.records, sc.devices), func(b *testing.B) {
			dir := b.TempDir()
			log := filepath.Join(dir, "conn.log")
			writeConnLog(b, log, sc.records, sc.devices)
			st, _ := os.Stat(log)
			b.SetBytes(st.Size())
			benchIngest(b, dir, log, sc.records)
		})
	}
}

// BenchmarkIngestSimulated ingests a whole simulated hospital day — every
// log type, DHCP churn, classification — the closest to a real sensor's
// output.
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
			benchIngest(b, dir, filepath.Join(dir, simulate.LogDir), records)
		})
	}
}

// benchIngest ingests path into a fresh SQLite database in dir per
// iteration and reports records/s.
func benchIngest(b *testing.B, dir, path string, records int) {
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
		ing, _ := New(Options{Store: db, Inventory: inv})
		sum, err := ing.Zeek(context.Background(), []string{path})
		if err != nil || sum.Accepted != int64(records) {
			b.Fatalf("accepted %d of %d, err %v", sum.Accepted, records, err)
		}
		db.Close()
	}
	b.ReportMetric(float64(records)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
