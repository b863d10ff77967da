package assess

import (
	"testing"
	"time"

	"github.com/vigil-iomt/vigil/internal/asset"
	"github.com/vigil-iomt/vigil/internal/risk"
	"github.com/vigil-iomt/vigil/internal/store"
	"github.com/vigil-iomt/vigil/internal/vuln"
)

func TestVersionChanged(t *testing.T) {
	f := Finding{Device: DeviceInfo{Version: "2.1"}, FirstSeen: t0,
		Match: vuln.Finding{Component: vuln.ComponentRef{Name: "wolfSSL", Version: "4.8.1"}}}
	sw := func(version string, last time.Time) asset.Device {
		return asset.Device{Firmware: "2.1", Software: []asset.Software{{Name: "wolfssl", Version: version, LastSeen: last}}}
	}
	for _, tc := range []struct {
		name string
		d    asset.Device
		want bool
	}{
		{"nothing changed", sw("4.8.1", t0.Add(time.Hour)), false},
		{"new component version seen after the finding", sw("5.5.0", t0.Add(time.Hour)), true},
		{"other version seen only before the finding", sw("5.5.0", t0.Add(-time.Hour)), false},
		{"firmware changed", asset.Device{Firmware: "2.2"}, true},
		{"firmware unknown", asset.Device{}, false},
	} {
		if got := VersionChanged(tc.d, f); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestRollUp(t *testing.T) {
	doc := func(model string) []byte {
		return []byte(`{"device":{"Vendor":"Acme","Model":"` + model + `","Version":"1"}}`)
	}
	recs := []store.FindingRecord{
		{ID: "a", DeviceID: "d1", Decision: "scheduled", CVSS: 5, Doc: doc("P")},
		{ID: "b", DeviceID: "d1", Decision: "immediate", CVSS: 9.8, KEV: true, EPSS: 0.7, Doc: doc("P")},
		{ID: "c", DeviceID: "d2", Decision: "immediate", CVSS: 10, Suppressed: true, Doc: doc("P")},
		{ID: "d", DeviceID: "d3", Decision: "defer", Doc: doc("Q")},
	}
	byDevice, err := RollUp(recs, false)
	if err != nil {
		t.Fatal(err)
	}
	if r := byDevice["d1"]; r.Worst != risk.Immediate || r.Findings != 2 || r.KEV != 1 || r.MaxCVSS != 9.8 || r.MaxEPSS != 0.7 {
		t.Errorf("d1: %+v", r)
	}
	if r := byDevice["d2"]; r.Worst != "" || r.Suppressed != 1 || r.Findings != 0 {
		t.Errorf("d2 (only a suppressed finding): %+v", r)
	}
	byModel, err := RollUp(recs, true)
	if err != nil {
		t.Fatal(err)
	}
	if r := byModel["Acme P 1"]; r.Worst != risk.Immediate || r.Findings != 2 || r.Suppressed != 1 {
		t.Errorf("model P: %+v", r)
	}
	if r := byModel["Acme Q 1"]; r.Worst != risk.Defer {
		t.Errorf("model Q: %+v", r)
	}
}
