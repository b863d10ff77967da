package codec

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

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
		devices = append(devices, asset.Device{ID: string(rune('a' + i%26)), Key: "k", Model: string(rune('A' + i))})
	}
	r, err := Prepare(&store.Batch{
		Devices:       devices,
		DeleteDevices: []string{"del-2", "del-1", "del-2"},
		Leases:        []asset.Lease{{MAC: "m", IP: "i", Start: t0, End: t0}, {MAC: "m", IP: "i", Start: t0}, {MAC: "a", IP: "i", Start: t0}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(r.Devices), 26; got != want {
		t.Fatalf("devices: got %d, want %d", got, want)
	}
	last := map[string]asset.Device{}
	for _, d := range devices {
		last[d.ID] = d
	}
	for i, d := range r.Devices {
		want := last[string(rune('a'+i))] // sorted by ID, the last occurrence of each
		got, err := DecodeDevice([]byte(d.Doc))
		if err != nil {
			t.Fatal(err)
		}
		if d.ID != want.ID || !reflect.DeepEqual(got, want) {
			t.Errorf("devices[%d]: got %s %+v, want %+v", i, d.ID, got, want)
		}
	}
	if got, want := r.Deletes, []string{"del-1", "del-2"}; !reflect.DeepEqual(got, want) {
		t.Errorf("deletes: got %q, want %q", got, want)
	}
	wantLeases := []Lease{{MAC: "a", IP: "i", Start: t0.UnixNano(), End: ZeroTime}, {MAC: "m", IP: "i", Start: t0.UnixNano(), End: ZeroTime}}
	if !reflect.DeepEqual(r.Leases, wantLeases) {
		t.Errorf("leases: got %+v, want %+v", r.Leases, wantLeases)
	}

	// An unencodable device is reported by position, as an invalid batch.
	devices[700].ClassConfidence = math.Inf(1)
	if _, err := Prepare(&store.Batch{Devices: devices}); !errors.Is(err, store.ErrInvalidBatch) {
		t.Errorf("Prepare with +Inf: %v, want ErrInvalidBatch", err)
	} else if want := "devices[700]"; !strings.Contains(err.Error(), want) {
		t.Errorf("Prepare with +Inf: %q does not name %s", err, want)
	}
}
