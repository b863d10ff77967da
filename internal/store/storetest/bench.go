package storetest

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/vigil-iomt/vigil/internal/asset"
	"github.com/vigil-iomt/vigil/internal/store"
)

// scales are the batch sizes benchmarks run at, named as sub-benchmarks.
var scales = []struct {
	name string
	n    int
}{{"10", 10}, {"1k", 1_000}, {"10k", 10_000}}

// docBytes is the JSON size of ds, for b.SetBytes.
func docBytes(ds []asset.Device) int64 {
	var n int64
	for i := range ds {
		doc, _ := json.Marshal(&ds[i])
		n += int64(len(doc))
	}
	return n
}

func report(b *testing.B, n int, unit string) {
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), unit+"/s")
}

// BenchCommitDevices measures Commit of a batch of devices at each scale:
// "insert" into a store that does not hold them, "upsert" replacing devices
// it holds (the steady state of ingestion). open is called once per
// sub-benchmark.
func BenchCommitDevices(b *testing.B, open func(b *testing.B) store.Store) {
	for _, sc := range scales {
		devices := Devices(sc.n)
		ids := make([]string, len(devices))
		for i, d := range devices {
			ids[i] = d.ID
		}
		b.Run("insert-"+sc.name, func(b *testing.B) {
			s := open(b)
			b.SetBytes(docBytes(devices))
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				if err := s.Commit(b.Context(), &store.Batch{DeleteDevices: ids}); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if err := s.Commit(b.Context(), &store.Batch{Devices: devices}); err != nil {
					b.Fatal(err)
				}
			}
			report(b, sc.n, "devices")
		})
		b.Run("upsert-"+sc.name, func(b *testing.B) {
			s := open(b)
			if err := s.Commit(b.Context(), &store.Batch{Devices: devices}); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(docBytes(devices))
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				for j := range devices {
					devices[j].LastSeen = t0.Add(time.Duration(i) * time.Second)
				}
				if err := s.Commit(b.Context(), &store.Batch{Devices: devices}); err != nil {
					b.Fatal(err)
				}
			}
			report(b, sc.n, "devices")
		})
	}
}

// BenchCommitLeases measures Commit of a batch of new leases at each scale.
func BenchCommitLeases(b *testing.B, open func(b *testing.B) store.Store) {
	for _, sc := range scales {
		b.Run(sc.name, func(b *testing.B) {
			s := open(b)
			leases := Leases(sc.n)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				for j := range leases { // a new start each round: inserts, not updates
					leases[j].Start = t0.Add(time.Duration(i)*time.Hour + time.Duration(j))
				}
				if err := s.Commit(b.Context(), &store.Batch{Leases: leases}); err != nil {
					b.Fatal(err)
				}
			}
			report(b, sc.n, "leases")
		})
	}
}

// BenchReadDevices measures Devices returning a whole fleet, and Device
// reading one device by ID out of it.
func BenchReadDevices(b *testing.B, open func(b *testing.B) store.Store) {
	for _, sc := range scales {
		devices := Devices(sc.n)
		b.Run("all-"+sc.name, func(b *testing.B) {
			s := open(b)
			if err := s.Commit(b.Context(), &store.Batch{Devices: devices}); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(docBytes(devices))
			b.ReportAllocs()
			for b.Loop() {
				got, err := s.Devices(b.Context(), store.DeviceQuery{})
				if err != nil || len(got) != sc.n {
					b.Fatalf("Devices: %d devices, %v", len(got), err)
				}
			}
			report(b, sc.n, "devices")
		})
		b.Run(fmt.Sprintf("one-of-%s", sc.name), func(b *testing.B) {
			s := open(b)
			if err := s.Commit(b.Context(), &store.Batch{Devices: devices}); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				if _, err := s.Device(b.Context(), devices[i%len(devices)].ID); err != nil {
					b.Fatal(err)
				}
			}
			report(b, 1, "devices")
		})
	}
}
