package storetest

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-iomt/vigil/internal/asset"
	"github.com/vigil-iomt/vigil/internal/store"
)

// The suite's model of the contract: what a store must return for a
// device written whole (stored) and then sighted (sighted). Every
// comparison below is reflect.DeepEqual against it.

// stored returns d as a store returns it: its addresses sorted by IP in
// byte order, one per address (the last occurrence), times in UTC. Nil
// and empty address lists stay as they are.
func stored(d asset.Device) asset.Device {
	if d.IPs != nil {
		ips := []asset.IPAddress{}
		for _, a := range d.IPs {
			ips = upsertIP(ips, a)
		}
		d.IPs = ips
	}
	return d
}

// sighted returns d after the sighting s: LastSeen replaced, the listed
// addresses upserted, the others kept.
func sighted(d asset.Device, s store.Sighting) asset.Device {
	d.LastSeen = s.LastSeen.UTC()
	ips := slices.Clone(d.IPs)
	for _, a := range s.IPs {
		ips = upsertIP(ips, a)
	}
	d.IPs = ips
	return d
}

func upsertIP(ips []asset.IPAddress, a asset.IPAddress) []asset.IPAddress {
	a.FirstSeen, a.LastSeen = a.FirstSeen.UTC(), a.LastSeen.UTC()
	i, found := slices.BinarySearchFunc(ips, a.IP, func(x asset.IPAddress, ip string) int { return strings.Compare(x.IP, ip) })
	if found {
		ips[i] = a
		return ips
	}
	return slices.Insert(ips, i, a)
}

func device(t *testing.T, s store.Store, id string) asset.Device {
	t.Helper()
	d, err := s.Device(t.Context(), id)
	if err != nil {
		t.Fatalf("Device(%q): %v", id, err)
	}
	return d
}

// checkDevices checks want, sorted by ID, against both readers.
func checkDevices(t *testing.T, s store.Store, what string, want ...asset.Device) {
	t.Helper()
	want = slices.Clone(want)
	sortDevices(want)
	got, err := s.Devices(t.Context(), store.DeviceQuery{})
	if err != nil {
		t.Fatal(err)
	}
	equal(t, what+": Devices", got, want)
	for _, w := range want {
		equal(t, what+": Device("+w.ID+")", device(t, s, w.ID), w)
	}
}

// testSightings: a sighting moves LastSeen and the times of the addresses
// it lists, adds new ones, and leaves the rest of the device, and every
// other device, as it was.
func testSightings(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	d, other := fullDevice("dev-1", "infusion-pump"), fullDevice("dev-2", "ventilator")
	commit(t, s, &store.Batch{Devices: []asset.Device{d, other}})

	cet := time.FixedZone("CET", 3600)
	sg := store.Sighting{DeviceID: d.ID, LastSeen: t0.Add(5*time.Hour + 1).In(cet), IPs: []asset.IPAddress{
		{IP: "10.20.30.40", FirstSeen: t0, LastSeen: t0.Add(5*time.Hour + 1)},                           // seen again
		{IP: "10.20.30.5", FirstSeen: t0.Add(4*time.Hour + 3).In(cet), LastSeen: t0.Add(5 * time.Hour)}, // new
	}}
	commit(t, s, &store.Batch{Sightings: []store.Sighting{sg}})
	want := sighted(d, sg)
	if len(want.IPs) != 3 || want.IPs[1].IP != "10.20.30.5" {
		t.Fatalf("model: got IPs %+v, want the new address between the two others", want.IPs)
	}
	checkDevices(t, s, "after a sighting", want, other)

	// The same sighting again changes nothing.
	commit(t, s, &store.Batch{Sightings: []store.Sighting{sg}})
	checkDevices(t, s, "after the same sighting", want, other)

	// A sighting without addresses only moves LastSeen.
	bare := store.Sighting{DeviceID: d.ID, LastSeen: t0.Add(6 * time.Hour)}
	commit(t, s, &store.Batch{Sightings: []store.Sighting{bare}})
	want = sighted(want, bare)
	checkDevices(t, s, "after a sighting without addresses", want, other)
}

// testSightingsInOneBatch sights thousands of devices in one batch, some
// twice, in an order unlike the store's.
func testSightingsInOneBatch(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	fleet := Devices(3000)
	commit(t, s, &store.Batch{Devices: fleet})
	want := slices.Clone(fleet)
	var sightings []store.Sighting
	for i := len(fleet) - 1; i >= 0; i-- {
		if i%3 == 2 {
			continue // not seen
		}
		d := fleet[i]
		seen := d.LastSeen.Add(time.Minute)
		sg := store.Sighting{DeviceID: d.ID, LastSeen: seen,
			IPs: []asset.IPAddress{{IP: d.IPs[0].IP, FirstSeen: d.IPs[0].FirstSeen, LastSeen: seen}}}
		sightings = append(sightings, sg)
		want[i] = sighted(want[i], sg)
		if i%5 == 0 { // seen again later in the batch, at a new address
			again := store.Sighting{DeviceID: d.ID, LastSeen: seen.Add(time.Second),
				IPs: []asset.IPAddress{{IP: "192.168.0.1", FirstSeen: seen, LastSeen: seen.Add(time.Second)}}}
			sightings = append(sightings, again)
			want[i] = sighted(want[i], again)
		}
	}
	commit(t, s, &store.Batch{Sightings: sightings})
	got, err := s.Devices(t.Context(), store.DeviceQuery{})
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "Devices after many sightings", got, want)
}

// testSightingsLastWinsPerField: several sightings of one device in a
// batch merge field by field, the last word winning.
func testSightingsLastWinsPerField(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	d := fullDevice("dev-1", "patient-monitor")
	commit(t, s, &store.Batch{Devices: []asset.Device{d}})
	a := store.Sighting{DeviceID: d.ID, LastSeen: t0.Add(3 * time.Hour), IPs: []asset.IPAddress{
		{IP: "10.0.0.1", FirstSeen: t0, LastSeen: t0.Add(time.Hour)},
		{IP: "10.0.0.2", FirstSeen: t0, LastSeen: t0.Add(time.Hour)},
		{IP: "10.0.0.1", FirstSeen: t0, LastSeen: t0.Add(2 * time.Hour)}, // later in the same sighting
	}}
	b := store.Sighting{DeviceID: d.ID, LastSeen: t0.Add(2 * time.Hour), IPs: []asset.IPAddress{ // earlier time, later word
		{IP: "10.0.0.2", FirstSeen: t0.Add(time.Minute), LastSeen: t0.Add(90 * time.Minute)},
	}}
	commit(t, s, &store.Batch{Sightings: []store.Sighting{a, b}})
	want := sighted(sighted(d, a), b)
	if !want.LastSeen.Equal(b.LastSeen) {
		t.Fatalf("model: LastSeen %v, want the last sighting's %v", want.LastSeen, b.LastSeen)
	}
	checkDevices(t, s, "after two sightings in one batch", want)
}

// testSightingsAfterDevices: a batch that writes a device whole and sights
// it applies the sighting after the write.
func testSightingsAfterDevices(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	d := fullDevice("dev-new", "lab-analyzer") // not stored yet
	sg := store.Sighting{DeviceID: d.ID, LastSeen: t0.Add(time.Hour),
		IPs: []asset.IPAddress{{IP: "10.1.1.1", FirstSeen: t0, LastSeen: t0.Add(time.Hour)}}}
	commit(t, s, &store.Batch{Sightings: []store.Sighting{sg}, Devices: []asset.Device{d}})
	checkDevices(t, s, "after a write and a sighting in one batch", sighted(d, sg))
}

// testSightingUnknownDevice: sighting a device that does not exist fails
// the whole batch, whether it never existed or was deleted before.
func testSightingUnknownDevice(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	a, gone := fullDevice("dev-a", "ventilator"), fullDevice("dev-gone", "ventilator")
	commit(t, s, &store.Batch{Devices: []asset.Device{a, gone}})
	commit(t, s, &store.Batch{DeleteDevices: []string{gone.ID}})
	want := snapshot(t, s)
	for _, id := range []string{"dev-never", gone.ID, "DEV-A"} {
		t.Run(id, func(t *testing.T) {
			err := s.Commit(t.Context(), &store.Batch{
				Devices:     []asset.Device{fullDevice("dev-b", "nurse-call")},
				Sightings:   []store.Sighting{{DeviceID: a.ID, LastSeen: t0.Add(time.Hour)}, {DeviceID: id, LastSeen: t0}},
				Checkpoints: []store.Checkpoint{checkpoint("/log/conn.log", "aa", 1, t0)},
			})
			if !errors.Is(err, store.ErrInvalidBatch) {
				t.Fatalf("Commit with a sighting of %q: %v, want ErrInvalidBatch", id, err)
			}
			if !strings.Contains(err.Error(), id) {
				t.Errorf("Commit error %q does not name %q", err, id)
			}
			equal(t, "state after the failed commit", snapshot(t, s), want)
		})
	}
}

// testWholeWriteReplacesIPs: writing a device whole replaces the addresses
// sightings added.
func testWholeWriteReplacesIPs(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	d := fullDevice("dev-1", "infusion-pump")
	commit(t, s, &store.Batch{Devices: []asset.Device{d}})
	commit(t, s, &store.Batch{Sightings: []store.Sighting{{DeviceID: d.ID, LastSeen: t0.Add(time.Hour),
		IPs: []asset.IPAddress{{IP: "10.99.0.1", FirstSeen: t0, LastSeen: t0.Add(time.Hour)}}}}})

	v2 := fullDevice("dev-1", "infusion-pump")
	v2.Model = "v2"
	v2.IPs = []asset.IPAddress{{IP: "10.20.30.40", FirstSeen: t0.Add(time.Hour), LastSeen: t0.Add(2 * time.Hour)}}
	v2.LastSeen = t0.Add(2 * time.Hour)
	for _, tt := range []struct {
		name string
		ips  []asset.IPAddress
	}{
		{"other addresses", v2.IPs},
		{"no addresses (nil)", nil},
		{"no addresses (empty)", []asset.IPAddress{}},
		{"addresses again", fullDevice("dev-1", "").IPs},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v := v2
			v.IPs = tt.ips
			commit(t, s, &store.Batch{Devices: []asset.Device{v}})
			checkDevices(t, s, "after writing the device whole", v)
		})
	}
}

// testDeleteRemovesIPs: a deleted device leaves no address behind for a
// device later written under its ID.
func testDeleteRemovesIPs(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	d, keep := fullDevice("dev-1", "infusion-pump"), fullDevice("dev-2", "infusion-pump")
	commit(t, s, &store.Batch{Devices: []asset.Device{d, keep}})
	commit(t, s, &store.Batch{Sightings: []store.Sighting{{DeviceID: d.ID, LastSeen: t0.Add(time.Hour),
		IPs: []asset.IPAddress{{IP: "10.99.0.1", FirstSeen: t0, LastSeen: t0.Add(time.Hour)}}}}})
	commit(t, s, &store.Batch{DeleteDevices: []string{d.ID}})
	checkDevices(t, s, "after delete", keep)

	for _, again := range []asset.Device{
		{ID: d.ID, Key: "ip:10.0.0.7"},
		{ID: d.ID, Key: "ip:10.0.0.7", IPs: []asset.IPAddress{}},
	} {
		commit(t, s, &store.Batch{Devices: []asset.Device{again}})
		checkDevices(t, s, "device written again under a deleted ID", again, keep)
	}
}

// testIPOrder: addresses come back sorted by byte order, one per address.
func testIPOrder(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	at := func(h int) asset.IPAddress {
		return asset.IPAddress{FirstSeen: t0, LastSeen: t0.Add(time.Duration(h) * time.Hour)}
	}
	var ips []asset.IPAddress
	for i, ip := range []string{"fe80::1", "10.0.0.9", "10.0.0.10", "::1", "10.0.0.9", "a", "B", "ä", "10.0.0.1"} {
		a := at(i)
		a.IP = ip
		ips = append(ips, a)
	}
	d := asset.Device{ID: "dev-1", Key: "k", IPs: ips}
	commit(t, s, &store.Batch{Devices: []asset.Device{d}})
	sg := store.Sighting{DeviceID: d.ID, LastSeen: t0, IPs: []asset.IPAddress{{IP: "10.0.0.100", FirstSeen: t0, LastSeen: t0}}}
	commit(t, s, &store.Batch{Sightings: []store.Sighting{sg}})

	got := device(t, s, d.ID)
	var order []string
	for _, a := range got.IPs {
		order = append(order, a.IP)
	}
	equal(t, "address order", order, []string{"10.0.0.1", "10.0.0.10", "10.0.0.100", "10.0.0.9", "::1", "B", "a", "fe80::1", "ä"})
	if got.IPs[3].LastSeen != t0.Add(4*time.Hour) {
		t.Errorf("address listed twice: last seen %v, want the last occurrence's %v", got.IPs[3].LastSeen, t0.Add(4*time.Hour))
	}
	checkDevices(t, s, "device", sighted(stored(d), sg))
}

// testSightingsRoundTrip builds a device's addresses from sightings alone,
// over several batches, and reads back exactly the device the contract
// says.
func testSightingsRoundTrip(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	want := asset.Device{ID: "dev-rt", Key: "mac:00:1b:4f:00:00:99", Class: "infusion-pump", Criticality: asset.LifeSupporting,
		Hostnames: []string{"pump-9"}, FirstSeen: t0, LastSeen: t0}
	other := fullDevice("dev-other", "ventilator")
	commit(t, s, &store.Batch{Devices: []asset.Device{want, other}})
	est := time.FixedZone("EST", -5*3600)
	batches := [][]store.Sighting{
		{{DeviceID: want.ID, LastSeen: t0.Add(time.Hour), IPs: []asset.IPAddress{{IP: "10.0.0.5", FirstSeen: t0, LastSeen: t0.Add(time.Hour)}}}},
		{
			{DeviceID: want.ID, LastSeen: t0.Add(2 * time.Hour).In(est), IPs: []asset.IPAddress{{IP: "10.0.0.6", FirstSeen: t0.Add(2 * time.Hour).In(est), LastSeen: t0.Add(2 * time.Hour)}}},
			{DeviceID: other.ID, LastSeen: t0.Add(2 * time.Hour)},
			{DeviceID: want.ID, LastSeen: t0.Add(3*time.Hour + 7), IPs: []asset.IPAddress{{IP: "10.0.0.5", FirstSeen: t0, LastSeen: t0.Add(3*time.Hour + 7)}}},
		},
		{{DeviceID: want.ID, LastSeen: t0.Add(4 * time.Hour), IPs: []asset.IPAddress{
			{IP: "fe80::1", FirstSeen: t0.Add(4 * time.Hour), LastSeen: t0.Add(4 * time.Hour)},
			{IP: "10.0.0.10"}, // zero times are times too
		}}},
	}
	for i, b := range batches {
		commit(t, s, &store.Batch{Sightings: b})
		for _, sg := range b {
			if sg.DeviceID == want.ID {
				want = sighted(want, sg)
			} else {
				other = sighted(other, sg)
			}
		}
		checkDevices(t, s, "after batch "+string(rune('1'+i)), want, other)
	}
	if len(want.IPs) != 4 {
		t.Fatalf("model: %d addresses, want 4", len(want.IPs))
	}
}

// testFarTimesAndSightings: a device written with times no column holds
// keeps them exactly until a sighting replaces them.
func testFarTimesAndSightings(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	d := fullDevice("dev-far", "ventilator")
	d.LastSeen = time.Date(3000, 1, 2, 3, 4, 5, 6, time.UTC)
	d.IPs[0].FirstSeen = time.Date(1500, 1, 2, 3, 4, 5, 6, time.UTC)
	d.IPs[1].LastSeen = time.Date(2500, 1, 2, 3, 4, 5, 6, time.UTC)
	edge := fullDevice("dev-edge", "ventilator") // at the bounds: held exactly by the columns
	edge.LastSeen, edge.IPs[0].FirstSeen, edge.IPs[0].LastSeen = store.MaxTime, store.MinTime, store.MaxTime
	commit(t, s, &store.Batch{Devices: []asset.Device{d, edge}})
	checkDevices(t, s, "far times", d, edge)

	sg := store.Sighting{DeviceID: d.ID, LastSeen: t0, IPs: []asset.IPAddress{{IP: d.IPs[0].IP, FirstSeen: t0, LastSeen: t0}}}
	commit(t, s, &store.Batch{Sightings: []store.Sighting{sg}})
	d = sighted(d, sg)
	if !d.IPs[1].LastSeen.Equal(time.Date(2500, 1, 2, 3, 4, 5, 6, time.UTC)) {
		t.Fatal("model: the address not sighted lost its far time")
	}
	checkDevices(t, s, "far times after a sighting", d, edge)
}
