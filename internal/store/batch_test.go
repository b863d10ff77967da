package store

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vigil-iomt/vigil/internal/asset"
)

func TestBatchValidate(t *testing.T) {
	t0 := time.Date(2025, 3, 14, 9, 26, 53, 589793238, time.UTC)
	tests := []struct {
		name string
		b    *Batch
		want []string // substrings of the error, one per problem; none: valid
	}{
		{"nil", nil, nil},
		{"empty", &Batch{}, nil},
		{"valid", &Batch{
			Devices: []asset.Device{{ID: "dev-1", Key: "mac:1", Hostnames: []string{"evil\x00"}}, {ID: "dev-1", Key: "mac:1",
				IPs: []asset.IPAddress{{IP: "10.0.0.1", LastSeen: time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)}, {IP: "10.0.0.1"}}}},
			DeleteDevices: []string{"dev-2", "dev-2"},
			Sightings: []Sighting{
				{DeviceID: "dev-1", LastSeen: MaxTime.Add(-1), IPs: []asset.IPAddress{{IP: "10.0.0.1", FirstSeen: MinTime.Add(1)}}},
				{DeviceID: "dev-1"}, {DeviceID: "dev-3"},
			},
			Leases:      []asset.Lease{{MAC: "m", IP: "i", Start: t0}},
			Checkpoints: []Checkpoint{{Source: "/log/a", Updated: MaxTime}, {Source: "/log/b", Updated: MinTime}},
			// Repeated, empty, binary, without a device; deletions of others.
			Baselines: []BaselineDoc{{DeviceID: "dev-1", Doc: []byte{}}, {DeviceID: "dev-1", Doc: []byte{0, 0xff}},
				{DeviceID: "dev-9", Doc: []byte("x")}},
			DeleteBaselines: []string{"dev-3", "dev-3"},
			// Repeated, empty, binary.
			States: []StateDoc{{Name: "sigma", Doc: []byte{}}, {Name: "sigma", Doc: []byte{0, 0xff}}, {Name: "other", Doc: []byte("x")}},
			// Repeated, at the bounds, with zero times.
			AlertSightings: []AlertSighting{{ID: "alr-1", Count: 1}, {ID: "alr-1", Count: 2, FirstSeen: MinTime, LastSeen: MaxTime},
				{ID: "alr-2", Count: 1, LastSeen: t0}, {ID: "alr-3", Count: 1, FirstSeen: t0, LastSeen: t0}},
		}, nil},
		{"alert sighting", &Batch{AlertSightings: []AlertSighting{
			{Count: 1}, {ID: "a\x00", Count: 1}, {ID: "b"}, {ID: "c", Count: -1},
			{ID: "d", Count: 1, FirstSeen: t0, LastSeen: t0.Add(-1)},
			{ID: "e", Count: 1, FirstSeen: MinTime.Add(-1)}, {ID: "f", Count: 1, LastSeen: MaxTime.Add(1)},
		}}, []string{"alert_sightings[0]: empty id", "alert_sightings[1]: id", `alert_sightings[2] "b": count 0`,
			`alert_sightings[3] "c": count -1`, `alert_sightings[4] "d": last seen`, `alert_sightings[5] "e": first or last seen out of range`,
			`alert_sightings[6] "f": first or last seen out of range`}},
		{"baseline", &Batch{Baselines: []BaselineDoc{{Doc: []byte("x")}, {DeviceID: "d"}, {DeviceID: "\xff", Doc: []byte{}}}},
			[]string{"baselines[0]: empty device id", `baselines[1] "d": nil document`, "baselines[2]: device id"}},
		{"state", &Batch{States: []StateDoc{{Doc: []byte("x")}, {Name: "s"}, {Name: "\xff", Doc: []byte{}}, {Name: "a\x00", Doc: []byte{}}}},
			[]string{"states[0]: empty name", `states[1] "s": nil document`, "states[2]: name", "states[3]: name"}},
		{"baseline written and deleted", &Batch{DeleteDevices: []string{"d"}, Baselines: []BaselineDoc{{DeviceID: "d", Doc: []byte{}},
			{DeviceID: "e", Doc: []byte{}}}, DeleteBaselines: []string{"e", "", "a\x00"}},
			[]string{`baselines[0]: device "d" is deleted`, `delete_baselines[0]: baseline of "e" is also written`,
				"delete_baselines[1]: empty device id", "delete_baselines[2]: device id"}},
		{"device identity", &Batch{Devices: []asset.Device{{Key: "k"}, {ID: "d"}}},
			[]string{"devices[0]: empty id", `devices[1] "d": empty key`}},
		{"device columns", &Batch{Devices: []asset.Device{{ID: "d", Key: "k", Class: "a\x00", Vendor: "\xff"}}},
			[]string{"devices[0]: class", "devices[0]: vendor"}},
		{"written and deleted", &Batch{Devices: []asset.Device{{ID: "d", Key: "k"}}, DeleteDevices: []string{"x", "d", ""}},
			[]string{`delete_devices[1]: device "d" is also written`, "delete_devices[2]: empty id"}},
		{"device ips", &Batch{Devices: []asset.Device{{ID: "d", Key: "k", IPs: []asset.IPAddress{{IP: ""}, {IP: "a\x00"}}}}},
			[]string{`devices[0] "d": ips[0]`, `devices[0] "d": ips[1]`}},
		{"sighting identity", &Batch{Sightings: []Sighting{{}, {DeviceID: "\xff"}, {DeviceID: "d", IPs: []asset.IPAddress{{}}}}},
			[]string{"sightings[0]: empty device id", "sightings[1]: device id", `sightings[2] "d": ips[0]`}},
		{"sighted and deleted", &Batch{DeleteDevices: []string{"d"}, Sightings: []Sighting{{DeviceID: "d"}}},
			[]string{`sightings[0]: device "d" is deleted`}},
		{"sighting times", &Batch{Sightings: []Sighting{
			{DeviceID: "d", LastSeen: MaxTime},
			{DeviceID: "e", LastSeen: t0, IPs: []asset.IPAddress{{IP: "i", FirstSeen: MinTime}}},
			{DeviceID: "f", LastSeen: t0, IPs: []asset.IPAddress{{IP: "i", LastSeen: time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC)}}},
		}}, []string{`sightings[0] "d": last seen`, `sightings[1] "e": ips[0] "i"`, `sightings[2] "f": ips[0] "i"`}},
		{"lease", &Batch{Leases: []asset.Lease{{IP: "i"}, {MAC: "m", IP: "i", End: MaxTime.Add(1)}}},
			[]string{"leases[0]: empty mac", "leases[1]: end"}},
		{"checkpoint", &Batch{Checkpoints: []Checkpoint{{}, {Source: "s", Rejected: -1}, {Source: "t", Updated: MinTime.Add(-1)}}},
			[]string{"checkpoints[0]: empty source", `checkpoints[1] "s": negative`, `checkpoints[2] "t": updated`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.b.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidBatch) {
				t.Fatalf("Validate: %v, want ErrInvalidBatch", err)
			}
			got := strings.Split(err.Error(), "\n")
			if len(got) != len(tt.want) {
				t.Fatalf("Validate: got %d problems %q, want %d", len(got), got, len(tt.want))
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("problem %d: got %q, want it to contain %q", i, got[i], w)
				}
			}
		})
	}
}

func TestBatchEmpty(t *testing.T) {
	for _, tt := range []struct {
		name string
		b    Batch
		want bool
	}{
		{"zero", Batch{}, true},
		{"empty slices", Batch{Baselines: []BaselineDoc{}, DeleteBaselines: []string{}, Rubric: []RubricRecord{}, States: []StateDoc{}}, true},
		{"rubric", Batch{Rubric: []RubricRecord{{Vulnerability: "v"}}}, false},
		{"baselines", Batch{Baselines: []BaselineDoc{{DeviceID: "d", Doc: []byte{}}}}, false},
		{"baseline deletions", Batch{DeleteBaselines: []string{"d"}}, false},
		{"states", Batch{States: []StateDoc{{Name: "s", Doc: []byte{}}}}, false},
		{"alert sightings", Batch{AlertSightings: []AlertSighting{{ID: "a", Count: 1}}}, false},
	} {
		if got := tt.b.Empty(); got != tt.want {
			t.Errorf("%s: Empty() = %v, want %v", tt.name, got, tt.want)
		}
	}
}
