package oui

import (
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"testing"
)

// syntheticRegistry builds a registry of the size of IEEE's (≈36k MA-L,
// 5k MA-M, 10k MA-S prefixes) from a fixed seed.
func syntheticRegistry(nMAL, nMAM, nMAS int) *Registry {
	rng := rand.New(rand.NewPCG(1, 2))
	b := newBuilder()
	orgs := make([]string, 2000)
	for i := range orgs {
		orgs[i] = "Vendor " + string(rune('A'+i%26)) + string(rune('a'+i/26%26)) + " Inc."
	}
	for range nMAL {
		b.add(bitsMAL, rng.Uint64N(1<<24)&^(0x03<<16), orgs[rng.IntN(len(orgs))])
	}
	for range nMAM {
		b.add(bitsMAM, rng.Uint64N(1<<28)&^(0x03<<20), orgs[rng.IntN(len(orgs))])
	}
	for range nMAS {
		b.add(bitsMAS, rng.Uint64N(1<<36)&^(0x03<<28), orgs[rng.IntN(len(orgs))])
	}
	return b.reg
}

func BenchmarkLookup(b *testing.B) {
	for _, sc := range []struct {
		name          string
		mal, mam, mas int
	}{{"prefixes=1k", 800, 100, 100}, {"prefixes=50k", 36000, 5000, 10000}} {
		b.Run(sc.name, func(b *testing.B) {
			r := syntheticRegistry(sc.mal, sc.mam, sc.mas)
			rng := rand.New(rand.NewPCG(3, 4))
			macs := make([]net.HardwareAddr, 4096)
			for i := range macs {
				v := rng.Uint64()
				macs[i] = net.HardwareAddr{byte(v>>40) &^ 0x03, byte(v >> 32), byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
			}
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				r.Lookup(macs[n%len(macs)])
				n++
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "lookups/s")
		})
	}
}

// BenchmarkLoad measures loading the real registry: IEEE's four CSV files
// and Wireshark's manuf, all gzip-compressed (needs VIGIL_DATASETS).
func BenchmarkLoad(b *testing.B) {
	dir := os.Getenv("VIGIL_DATASETS")
	if dir == "" {
		b.Skip("VIGIL_DATASETS is not set")
	}
	base := filepath.Join(dir, "oui-manuf")
	paths := []string{filepath.Join(base, "ieee-data"), filepath.Join(base, "wireshark", "manuf.gz")}
	b.ReportAllocs()
	entries := 0
	for b.Loop() {
		r, err := Load(paths...)
		if err != nil {
			b.Fatal(err)
		}
		entries = r.Len()
	}
	b.ReportMetric(float64(entries)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
