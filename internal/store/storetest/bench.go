package storetest

import (
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/vigil-iomt/vigil/internal/alert"
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

// BenchCommitSightings measures the steady state of ingesting a busy
// fleet: 60k devices out of 100k stored ones are seen again, each at the
// address it held. "60k" commits them as Sightings; "whole-60k" rewrites
// the same devices whole, as ingestion did before sightings, for
// comparison. Both report devices/s and the peak growth of the live heap
// during the commits (MB-peak-heap), which chunked encoding bounds. open is
// called once per sub-benchmark; storing the fleet takes a few seconds.
func BenchCommitSightings(b *testing.B, open func(b *testing.B) store.Store) {
	const fleetSize, seen = 100_000, 60_000
	fleet := Devices(fleetSize)
	var sub []asset.Device // every device i with i%5 < 3, in fleet order
	for i := range fleet {
		if i%5 < 3 {
			sub = append(sub, fleet[i])
		}
	}
	sub = sub[:seen]
	seed := func(b *testing.B) store.Store {
		s := open(b)
		for lo := 0; lo < len(fleet); lo += 10_000 {
			if err := s.Commit(b.Context(), &store.Batch{Devices: fleet[lo:min(lo+10_000, len(fleet))]}); err != nil {
				b.Fatal(err)
			}
		}
		return s
	}
	b.Run("60k", func(b *testing.B) {
		s := seed(b)
		sightings := make([]store.Sighting, len(sub))
		for i, d := range sub {
			sightings[i] = store.Sighting{DeviceID: d.ID, IPs: []asset.IPAddress{d.IPs[0]}}
		}
		b.ReportAllocs()
		peak := heapPeak()
		i := 0
		for b.Loop() {
			i++
			for j := range sightings {
				seen := sub[j].LastSeen.Add(time.Duration(i) * time.Second)
				sightings[j].LastSeen, sightings[j].IPs[0].LastSeen = seen, seen
			}
			if err := s.Commit(b.Context(), &store.Batch{Sightings: sightings}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(peak(), "MB-peak-heap")
		report(b, seen, "devices")
	})
	b.Run("whole-60k", func(b *testing.B) {
		s := seed(b)
		devices := make([]asset.Device, len(sub))
		for j, d := range sub {
			devices[j] = d
			devices[j].IPs = []asset.IPAddress{d.IPs[0]}
		}
		b.ReportAllocs()
		peak := heapPeak()
		i := 0
		for b.Loop() {
			i++
			for j := range devices {
				seen := sub[j].LastSeen.Add(time.Duration(i) * time.Second)
				devices[j].LastSeen, devices[j].IPs[0].LastSeen = seen, seen
			}
			if err := s.Commit(b.Context(), &store.Batch{Devices: devices}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(peak(), "MB-peak-heap")
		report(b, seen, "devices")
	})
}

// heapPeak samples the live heap (as the last garbage collection found it)
// every millisecond from now until the returned function is called, which
// returns its peak growth in MB: what a commit keeps reachable, without
// the garbage a collection has yet to free.
func heapPeak() func() float64 {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	read := func() uint64 {
		metrics.Read(sample)
		return sample[0].Value.Uint64()
	}
	base, peak := read(), uint64(0)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				peak = max(peak, read())
			}
		}
	})
	return func() float64 {
		close(done)
		wg.Wait()
		return float64(max(peak, base)-base) / (1 << 20)
	}
}

// stormAlerts returns n alerts as an alert storm raises them: one per
// flow violating a segmentation policy, each with 8 evidence records (the
// most a detector keeps).
func stormAlerts(n int) []alert.Alert {
	as := make([]alert.Alert, n)
	for i := range as {
		key := fmt.Sprintf("segmentation|dev-%06d|10.%d.%d.%d:443", i, i>>16&255, i>>8&255, i&255)
		a := alert.Alert{
			ID: alert.IDForKey(key), DedupKey: key, Detector: "segmentation", DeviceID: fmt.Sprintf("dev-%06d", i),
			Severity: alert.High, Title: "Flow crosses zones the policy separates: " + key,
			Explanation: "The policy allows no flow from zone clinical to zone guest on tcp/443.",
			Attack:      []string{"T0886"}, D3FEND: []string{"D3-NTA", "D3-NI"},
			FirstSeen: t0, LastSeen: t0, Count: 1, Status: alert.Open,
			History: []alert.StatusChange{{At: t0, To: alert.Open, By: "detector:segmentation"}},
		}
		for j := range 8 {
			a.Evidence = append(a.Evidence, alert.Evidence{Kind: "event", Summary: fmt.Sprintf("conn to 10.%d.%d.%d:443", j, i>>8&255, i&255),
				Time: t0.Add(time.Duration(j) * time.Second), Source: fmt.Sprintf("conn.log:%d", i*8+j),
				Fields: map[string]string{"proto": "tcp", "resp_p": "443", "uid": fmt.Sprintf("C%08x%02d", i, j)}})
		}
		as[i] = a
	}
	return as
}

// BenchCommitAlerts measures the steady state of an alert storm: 10k
// stored alerts, with 8 evidence records each, occur again. "sightings-10k"
// commits the new counts and times as AlertSightings; "whole-10k" rewrites
// the same alerts whole, as detectors did before alert sightings, for
// comparison. open is called once per sub-benchmark.
func BenchCommitAlerts(b *testing.B, open func(b *testing.B) store.Store) {
	const n = 10_000
	seed := func(b *testing.B) (store.Store, []alert.Alert) {
		s := open(b)
		as := stormAlerts(n)
		if err := s.Commit(b.Context(), &store.Batch{Alerts: as}); err != nil {
			b.Fatal(err)
		}
		return s, as
	}
	b.Run("whole-10k", func(b *testing.B) {
		s, as := seed(b)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			i++
			for j := range as {
				as[j].Count, as[j].LastSeen = int64(i+1), t0.Add(time.Duration(i)*time.Second)
			}
			if err := s.Commit(b.Context(), &store.Batch{Alerts: as}); err != nil {
				b.Fatal(err)
			}
		}
		report(b, n, "alerts")
	})
	b.Run("sightings-10k", func(b *testing.B) {
		s, as := seed(b)
		sightings := make([]store.AlertSighting, len(as))
		for j, a := range as {
			sightings[j] = store.AlertSighting{ID: a.ID, FirstSeen: a.FirstSeen}
		}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			i++
			for j := range sightings {
				sightings[j].Count, sightings[j].LastSeen = int64(i+1), t0.Add(time.Duration(i)*time.Second)
			}
			if err := s.Commit(b.Context(), &store.Batch{AlertSightings: sightings}); err != nil {
				b.Fatal(err)
			}
		}
		report(b, n, "alerts")
	})
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
// reading one device by ID out of it, up to a fleet of 100k devices.
func BenchReadDevices(b *testing.B, open func(b *testing.B) store.Store) {
	for _, sc := range append(scales, struct {
		name string
		n    int
	}{"100k", 100_000}) {
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
