package codec

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-iomt/vigil/internal/alert"
	"github.com/vigil-iomt/vigil/internal/asset"
	"github.com/vigil-iomt/vigil/internal/store"
)

func TestTimeRoundTrip(t *testing.T) {
	cet := time.FixedZone("CET", 3600)
	for _, tt := range []struct {
		name string
		in   time.Time
		want time.Time
		n    int64
	}{
		{"zero", time.Time{}, time.Time{}, ZeroTime},
		{"epoch", time.Unix(0, 0), time.Unix(0, 0).UTC(), 0},
		{"nanoseconds in another zone", time.Date(2025, 3, 14, 10, 26, 53, 589793238, cet),
			time.Date(2025, 3, 14, 9, 26, 53, 589793238, time.UTC), 1741944413589793238},
		{"before 1970", time.Unix(-1, 1), time.Unix(-1, 1).UTC(), -999999999},
		{"min", store.MinTime, store.MinTime, math.MinInt64 + 1},
		{"max", store.MaxTime, store.MaxTime, math.MaxInt64},
		{"below min saturates", time.Date(1500, 1, 1, 0, 0, 0, 0, time.UTC), store.MinTime, math.MinInt64 + 1},
		{"above max saturates", time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), store.MaxTime, math.MaxInt64},
	} {
		t.Run(tt.name, func(t *testing.T) {
			n := Nanos(tt.in)
			if n != tt.n {
				t.Errorf("Nanos: got %d, want %d", n, tt.n)
			}
			if got := Time(n); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Time(Nanos): got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPrepare(t *testing.T) {
	t0 := time.Date(2025, 3, 14, 9, 26, 53, 589793238, time.UTC)
	var devices []asset.Device
	for i := range 2 * parallelMin { // encoded in parallel
		devices = append(devices, asset.Device{ID: string(rune('a' + i%26)), Key: "k", Model: string(rune('A' + i)),
			IPs: []asset.IPAddress{{IP: "10.0.0.2", LastSeen: t0}, {IP: "10.0.0.1"}, {IP: "10.0.0.2", FirstSeen: t0}}}) // unsorted, repeated
	}
	p, err := Prepare(&store.Batch{
		Devices:       devices,
		DeleteDevices: []string{"del-2", "del-1", "del-2"},
		Leases:        []asset.Lease{{MAC: "m", IP: "i", Start: t0, End: t0}, {MAC: "m", IP: "i", Start: t0}, {MAC: "a", IP: "i", Start: t0}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.NumDevices(), 26; got != want {
		t.Fatalf("devices: got %d, want %d", got, want)
	}
	last := map[string]asset.Device{}
	for _, d := range devices {
		last[d.ID] = d
	}
	var rows []Device
	var ips []IP
	for c, err := range p.DeviceChunks(10) {
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, c.Devices...)
		ips = append(ips, c.IPs...)
	}
	if !reflect.DeepEqual(ips, p.DeviceIPs) {
		t.Errorf("chunks' addresses: got %+v, want the plan's %+v", ips, p.DeviceIPs)
	}
	for i, d := range rows {
		want := last[string(rune('a'+i))] // sorted by ID, the last occurrence of each
		want.IPs = []asset.IPAddress{{IP: "10.0.0.1"}, {IP: "10.0.0.2", FirstSeen: t0}}
		got, err := DecodeDevice(StoredDevice{ID: d.ID, LastSeen: d.LastSeen, Doc: []byte(d.Doc)}, ips[2*i:2*i+2])
		if err != nil {
			t.Fatal(err)
		}
		if d.ID != want.ID || !reflect.DeepEqual(got, want) {
			t.Errorf("devices[%d]: got %s %+v, want %+v", i, d.ID, got, want)
		}
	}
	if got, want := p.Deletes, []string{"del-1", "del-2"}; !reflect.DeepEqual(got, want) {
		t.Errorf("deletes: got %q, want %q", got, want)
	}
	wantLeases := []Lease{{MAC: "a", IP: "i", Start: t0.UnixNano(), End: ZeroTime}, {MAC: "m", IP: "i", Start: t0.UnixNano(), End: ZeroTime}}
	if !reflect.DeepEqual(p.Leases, wantLeases) {
		t.Errorf("leases: got %+v, want %+v", p.Leases, wantLeases)
	}

	// An unencodable device is reported by position, as an invalid batch,
	// when its chunk is encoded.
	bad := len(devices) - 1 // the last occurrence of its ID: written
	devices[bad].ClassConfidence = math.Inf(1)
	p, err = Prepare(&store.Batch{Devices: devices})
	if err != nil {
		t.Fatalf("Prepare with +Inf: %v, want the error from encoding", err)
	}
	var chunks int
	for _, err = range p.DeviceChunks(5) {
		if err != nil {
			break
		}
		chunks++
	}
	if !errors.Is(err, store.ErrInvalidBatch) {
		t.Errorf("encoding +Inf: %v, want ErrInvalidBatch", err)
	} else if want := fmt.Sprintf("devices[%d]", bad); !strings.Contains(err.Error(), want) {
		t.Errorf("encoding +Inf: %q does not name %s", err, want)
	}
	if want := strings.IndexRune("abcdefghijklmnopqrstuvwxyz", rune(devices[bad].ID[0])) / 5; chunks != want {
		t.Errorf("encoding +Inf: %d chunks before the error, want %d", chunks, want)
	}
}

func TestPrepareSightings(t *testing.T) {
	t0 := time.Date(2025, 3, 14, 9, 26, 53, 589793238, time.UTC)
	at := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
	p, err := Prepare(&store.Batch{Sightings: []store.Sighting{
		{DeviceID: "b", LastSeen: at(1), IPs: []asset.IPAddress{{IP: "10.0.0.9", LastSeen: at(1)}, {IP: "10.0.0.10", LastSeen: at(1)}}},
		{DeviceID: "a", LastSeen: at(5)},
		{DeviceID: "b", LastSeen: at(0), IPs: []asset.IPAddress{{IP: "10.0.0.9", LastSeen: at(2)}}}, // last word, earlier time
		{DeviceID: "c", LastSeen: time.Time{}, IPs: []asset.IPAddress{{IP: "x", FirstSeen: at(3)}, {IP: "x", FirstSeen: at(4)}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	wantSightings := []Sighting{{"a", at(5).UnixNano()}, {"b", at(0).UnixNano()}, {"c", ZeroTime}}
	if !reflect.DeepEqual(p.Sightings, wantSightings) {
		t.Errorf("sightings: got %+v, want %+v", p.Sightings, wantSightings)
	}
	wantIPs := []IP{
		{"b", "10.0.0.10", ZeroTime, at(1).UnixNano()},
		{"b", "10.0.0.9", ZeroTime, at(2).UnixNano()},
		{"c", "x", at(4).UnixNano(), ZeroTime},
	}
	if !reflect.DeepEqual(p.SightingIPs, wantIPs) {
		t.Errorf("sighting addresses: got %+v, want %+v", p.SightingIPs, wantIPs)
	}
}

// TestDeviceChunksBounded checks that the encoder never runs more than two
// chunks ahead of the writer, and stops when the writer does.
func TestDeviceChunksBounded(t *testing.T) {
	devices := make([]asset.Device, 10_000)
	for i := range devices {
		devices[i] = asset.Device{ID: fmt.Sprintf("dev-%05d", i), Key: "k"}
	}
	p, err := Prepare(&store.Batch{Devices: devices})
	if err != nil {
		t.Fatal(err)
	}
	const size = 100
	var encoded atomic.Int64
	p.encoded = &encoded
	consumed := 0
	for c, err := range p.DeviceChunks(size) {
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond) // a slow writer
		if ahead := encoded.Load() - int64(consumed); ahead > 3*size {
			t.Fatalf("after %d devices written, %d encoded: more than three chunks exist", consumed, encoded.Load())
		}
		consumed += len(c.Devices)
		if consumed == 30*size {
			break
		}
	}
	time.Sleep(10 * time.Millisecond)
	if n := encoded.Load(); n > 33*size {
		t.Errorf("the writer stopped after 30 chunks, the encoder went on to %d devices", n)
	}
}

func TestDocRoundTrip(t *testing.T) {
	t0 := time.Date(2025, 3, 14, 9, 26, 53, 589793238, time.UTC)
	far, ancient := time.Date(3000, 1, 1, 0, 0, 0, 1, time.UTC), time.Date(1500, 1, 1, 0, 0, 0, 1, time.UTC)
	tests := []struct {
		name string
		d    asset.Device
	}{
		{"no addresses", asset.Device{ID: "d", Key: "k", LastSeen: t0}},
		{"empty addresses", asset.Device{ID: "d", Key: "k", IPs: []asset.IPAddress{}}},
		{"addresses", asset.Device{ID: "d", Key: "k", LastSeen: t0, IPs: []asset.IPAddress{{IP: "a", FirstSeen: t0, LastSeen: t0}, {IP: "b"}}}},
		{"far times", asset.Device{ID: "d", Key: "k", LastSeen: far,
			IPs: []asset.IPAddress{{IP: "a", FirstSeen: ancient, LastSeen: t0}, {IP: "b", FirstSeen: t0, LastSeen: t0}, {IP: "c", LastSeen: far}}}},
		{"bounds", asset.Device{ID: "d", Key: "k", LastSeen: store.MaxTime, IPs: []asset.IPAddress{{IP: "a", FirstSeen: store.MinTime}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := EncodeDoc(&tt.d)
			if err != nil {
				t.Fatal(err)
			}
			var inDoc asset.Device
			if err := json.Unmarshal([]byte(doc), &inDoc); err != nil {
				t.Fatal(err)
			}
			for _, a := range inDoc.IPs {
				if exact(a.FirstSeen) && exact(a.LastSeen) {
					t.Errorf("document keeps address %q, which its row holds exactly", a.IP)
				}
			}
			if !inDoc.LastSeen.IsZero() && exact(tt.d.LastSeen) {
				t.Errorf("document keeps LastSeen %v, which its column holds exactly", inDoc.LastSeen)
			}
			var ips []IP
			for _, a := range tt.d.IPs {
				ips = append(ips, IP{DeviceID: "d", IP: a.IP, FirstSeen: Nanos(a.FirstSeen), LastSeen: Nanos(a.LastSeen)})
			}
			got, err := DecodeDevice(StoredDevice{ID: "d", LastSeen: Nanos(tt.d.LastSeen), Doc: []byte(doc)}, ips)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.d) {
				t.Errorf("round trip: got %+v, want %+v", got, tt.d)
			}

			// A sighting moves the columns: they win over the document.
			for i := range ips {
				ips[i].FirstSeen, ips[i].LastSeen = t0.UnixNano()+1, t0.UnixNano()+2
			}
			got, err = DecodeDevice(StoredDevice{ID: "d", LastSeen: t0.UnixNano() + 3, Doc: []byte(doc)}, ips)
			if err != nil {
				t.Fatal(err)
			}
			if !got.LastSeen.Equal(t0.Add(3)) {
				t.Errorf("after a sighting: LastSeen %v, want %v", got.LastSeen, t0.Add(3))
			}
			for _, a := range got.IPs {
				if !a.FirstSeen.Equal(t0.Add(1)) || !a.LastSeen.Equal(t0.Add(2)) {
					t.Errorf("after a sighting: address %+v, want the row's times", a)
				}
			}
		})
	}
}

func TestLegacyDoc(t *testing.T) {
	t0 := time.Date(2025, 3, 14, 9, 26, 53, 589793238, time.UTC)
	d := asset.Device{ID: "d", Key: "k", Model: "m", LastSeen: t0, FirstSeen: time.Date(1500, 1, 1, 0, 0, 0, 1, time.UTC),
		IPs: []asset.IPAddress{{IP: "b", FirstSeen: t0}, {IP: "a", LastSeen: time.Date(3000, 1, 1, 0, 0, 0, 1, time.UTC)}}}
	legacy, err := json.Marshal(&d)
	if err != nil {
		t.Fatal(err)
	}
	doc, ips, err := SplitLegacyDoc(d.ID, legacy)
	if err != nil {
		t.Fatal(err)
	}
	if len(ips) != 2 || ips[0].IP != "a" || ips[1].IP != "b" {
		t.Fatalf("address rows: got %+v, want a and b", ips)
	}
	full, err := JoinLegacyDoc(StoredDevice{ID: d.ID, LastSeen: Nanos(d.LastSeen), Doc: []byte(doc)}, ips)
	if err != nil {
		t.Fatal(err)
	}
	var got asset.Device
	if err := json.Unmarshal([]byte(full), &got); err != nil {
		t.Fatal(err)
	}
	d.IPs[0], d.IPs[1] = d.IPs[1], d.IPs[0]
	if !reflect.DeepEqual(got, d) {
		t.Errorf("split then joined: got %+v, want %+v", got, d)
	}
	if _, _, err := SplitLegacyDoc("x", []byte("{")); err == nil {
		t.Error("SplitLegacyDoc of a broken document succeeded")
	}
}

func TestLegacyAlertDoc(t *testing.T) {
	t0 := time.Date(2025, 3, 14, 9, 26, 53, 589793238, time.UTC)
	a := alert.Alert{ID: "alr-1", DedupKey: "k", Detector: "d", DeviceID: "dev", Severity: alert.High, Title: "t",
		Evidence: []alert.Evidence{{Kind: "event", Summary: "s", Time: t0, Fields: map[string]string{"a": "b"}}},
		Attack:   []string{"T0883"}, FirstSeen: t0, LastSeen: t0.Add(time.Hour + 1), Count: 42, Status: alert.Acknowledged}
	row, err := EncodeAlert(&a)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"count"`, `"first_seen"`, `"last_seen"`} {
		if strings.Contains(row.Doc, key) {
			t.Errorf("document %s holds %s, which its column holds", row.Doc, key)
		}
	}
	stored := StoredAlert{ID: a.ID, Status: row.Status, Count: row.Count, FirstSeen: row.FirstSeen, LastSeen: row.LastSeen, Doc: []byte(row.Doc)}
	legacy, err := JoinLegacyAlertDoc(stored)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"count":42`, `"first_seen":"2025-03-14T09:26:53.589793238Z"`, `"last_seen":"2025-03-14T10:26:53.589793239Z"`} {
		if !strings.Contains(legacy, key) {
			t.Errorf("legacy document %s lacks %s", legacy, key)
		}
	}
	doc, err := SplitLegacyAlertDoc([]byte(legacy))
	if err != nil {
		t.Fatal(err)
	}
	if doc != row.Doc {
		t.Errorf("joined then split:\n got %s\nwant %s", doc, row.Doc)
	}
	// A sighting moves the columns: they win over a document that still
	// holds a count and times.
	stored.Doc, stored.Count, stored.LastSeen = []byte(legacy), 43, Nanos(t0.Add(2*time.Hour))
	got, err := DecodeAlert(stored, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := a
	want.Count, want.LastSeen = 43, t0.Add(2*time.Hour)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("decoded: got %+v, want %+v", got, want)
	}
	if _, err := SplitLegacyAlertDoc([]byte("{")); err == nil {
		t.Error("SplitLegacyAlertDoc of a broken document succeeded")
	}
}

func TestOccurrencesAndReopens(t *testing.T) {
	t0 := time.Date(2025, 3, 14, 9, 26, 53, 589793238, time.UTC)
	a := func(id string, count int64, last time.Time) alert.Alert {
		return alert.Alert{ID: id, DedupKey: id, Severity: alert.Low, Status: alert.Open, Count: count, FirstSeen: t0, LastSeen: last}
	}
	b := &store.Batch{
		Alerts: []alert.Alert{a("b", 5, t0), a("a", 9, t0), a("d", 2, t0.Add(time.Hour)), a("b", 6, t0.Add(time.Minute))},
		AlertSightings: []store.AlertSighting{
			{ID: "b", Count: 3, FirstSeen: t0, LastSeen: t0.Add(2 * time.Hour)},
			{ID: "c", Count: 7, FirstSeen: t0, LastSeen: t0.Add(3 * time.Hour)},
			{ID: "e", Count: 1, FirstSeen: t0, LastSeen: t0},
		},
	}
	p, err := Prepare(b)
	if err != nil {
		t.Fatal(err)
	}
	occ := p.Occurrences()
	want := []Occurrence{
		{ID: "a", Count: 9, LastSeen: Nanos(t0)},
		{ID: "b", Count: 3, LastSeen: Nanos(t0.Add(2 * time.Hour))}, // the sighting applies last
		{ID: "c", Count: 7, LastSeen: Nanos(t0.Add(3 * time.Hour))},
		{ID: "d", Count: 2, LastSeen: Nanos(t0.Add(time.Hour))},
		{ID: "e", Count: 1, LastSeen: Nanos(t0)},
	}
	if !reflect.DeepEqual(occ, want) {
		t.Fatalf("Occurrences:\n got %+v\nwant %+v", occ, want)
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	got := Reopens(occ, map[string]int64{"a": 8, "b": 3, "c": 2, "e": 1, "x": 0}, at)
	wantR := []Reopen{
		{ID: "a", Change: alert.StatusChange{At: at, From: alert.Resolved, To: alert.Open, By: "vigil",
			Note: "occurred again: 1 more occurrence(s), the last at 2025-03-14T09:26:53Z"}},
		{ID: "c", Change: alert.StatusChange{At: at, From: alert.Resolved, To: alert.Open, By: "vigil",
			Note: "occurred again: 5 more occurrence(s), the last at 2025-03-14T12:26:53Z"}},
	}
	if !reflect.DeepEqual(got, wantR) {
		t.Errorf("Reopens:\n got %+v\nwant %+v", got, wantR)
	}
	if got := Reopens(occ, nil, at); got != nil {
		t.Errorf("Reopens without resolved alerts: %+v, want nil", got)
	}
}
