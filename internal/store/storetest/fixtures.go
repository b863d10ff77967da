package storetest

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/vigil-iomt/vigil/internal/alert"
	"github.com/vigil-iomt/vigil/internal/asset"
	"github.com/vigil-iomt/vigil/internal/store"
)

// t0 is the suite's fixed clock: nanoseconds set, so that a backend that
// rounds to microseconds fails.
var t0 = time.Date(2025, 3, 14, 9, 26, 53, 589793238, time.UTC)

// classes are the device classes the generated fleets are spread over.
var classes = []string{
	"infusion-pump", "patient-monitor", "ventilator", "imaging-ct",
	"imaging-mri", "lab-analyzer", "nurse-call", "workstation",
}

// fullDevice returns a device with every field set.
func fullDevice(id, class string) asset.Device {
	return asset.Device{
		ID:  id,
		Key: "key:" + id,
		MACs: []string{
			"00:1b:4f:12:34:56", "00:1b:4f:12:34:57",
		},
		IPs: []asset.IPAddress{
			{IP: "10.20.30.40", FirstSeen: t0, LastSeen: t0.Add(90*time.Minute + 7)},
			{IP: "fe80::21b:4fff:fe12:3456", FirstSeen: t0.Add(-time.Hour), LastSeen: t0.Add(1)},
		},
		Hostnames: []string{
			"icu-pump-07", "монитор-реанимация-3", "輸液ポンプ-2F", "pompe-à-perfusion", "😷-ward",
			// Hostile input: a NUL byte sent in a DHCP hostname must be stored
			// as given, not make the batch fail.
			"evil\x00host", `quote"back\slash<tag>&`,
		},
		Vendor:          "Baxter Healthcare Corporation",
		Manufacturer:    "Baxter",
		Model:           "Sigma Spectrum 8015",
		Firmware:        "8.01.01",
		DHCPVendorClass: "MSFT 5.0",
		Class:           class,
		ClassConfidence: 0.9371,
		ClassEvidence: []asset.Evidence{
			{Rule: "oui-infusion", Signal: "oui", Value: "00:1b:4f", Confidence: 0.6},
			{Rule: "hl7-prt", Signal: "hl7.prt16", Value: "(01)00085412345678", Confidence: 0.95},
		},
		Criticality:         asset.LifeSupporting,
		CriticalityOverride: asset.LifeSustaining,
		Software: []asset.Software{
			{Type: "firmware", Name: "spectrum", Version: "8.01.01", FirstSeen: t0, LastSeen: t0.Add(time.Nanosecond)},
			{Name: "openssl", FirstSeen: t0.Add(-48 * time.Hour), LastSeen: t0},
		},
		Services: []asset.Service{
			{Port: 443, Proto: "tcp", Name: "https"},
			{Port: 2575, Proto: "tcp", Name: "hl7"},
			{Port: 65535, Proto: "udp"},
		},
		Clients:    []asset.Service{{Port: 104, Proto: "tcp", Name: "dicom"}},
		DNSNames:   []string{"pumps.hospital.example", "ntp.hospital.example"},
		TLSServers: []string{"updates.baxter.example"},
		FirstSeen:  t0.Add(-72 * time.Hour),
		LastSeen:   t0.Add(123456789),
	}
}

// Devices returns n distinct, realistic devices spread over a few classes,
// ordered by ID; the same n always gives the same devices. For
// benchmarks and load tests.
func Devices(n int) []asset.Device {
	out := make([]asset.Device, n)
	for i := range out {
		mac := fmt.Sprintf("02:00:%02x:%02x:%02x:%02x", byte(i>>24), byte(i>>16), byte(i>>8), byte(i))
		key := "mac:" + mac
		seen := t0.Add(time.Duration(i) * time.Second)
		out[i] = asset.Device{
			ID:   asset.IDForKey(key),
			Key:  key,
			MACs: []string{mac},
			IPs: []asset.IPAddress{{
				IP: fmt.Sprintf("10.%d.%d.%d", byte(i>>16), byte(i>>8), byte(i)), FirstSeen: seen, LastSeen: seen.Add(time.Hour),
			}},
			Hostnames:       []string{fmt.Sprintf("dev-%06d.ward.hospital.example", i)},
			Vendor:          "Philips Medical Systems",
			Model:           "IntelliVue MX450",
			Firmware:        "M.00.03",
			Class:           classes[i%len(classes)],
			ClassConfidence: 0.8,
			ClassEvidence:   []asset.Evidence{{Rule: "oui", Signal: "oui", Value: "00:09:fb", Confidence: 0.8}},
			Criticality:     asset.Diagnostic,
			Software: []asset.Software{
				{Type: "os", Name: "VxWorks", Version: "6.9", FirstSeen: seen, LastSeen: seen.Add(time.Hour)},
			},
			Services:  []asset.Service{{Port: 24105, Proto: "udp", Name: "philips-data-export"}, {Port: 443, Proto: "tcp", Name: "https"}},
			DNSNames:  []string{"pool.ntp.org"},
			FirstSeen: seen,
			LastSeen:  seen.Add(time.Hour),
		}
	}
	sortDevices(out)
	return out
}

// LegacyDevices returns devices for testing migrations of stored data: a
// fleet spanning several pages of a migration, and devices with every
// field set, with times beyond what a column holds, and without addresses;
// sorted by ID.
func LegacyDevices() []asset.Device {
	out := Devices(2500)
	far := fullDevice("dev-far", "ventilator")
	far.LastSeen = time.Date(3000, 1, 2, 3, 4, 5, 6, time.UTC)
	far.IPs[1].FirstSeen = time.Date(1500, 1, 2, 3, 4, 5, 6, time.UTC)
	out = append(out, fullDevice("dev-full", "infusion-pump"), far,
		asset.Device{ID: "dev-no-ips", Key: "ip:10.0.0.1"},
		asset.Device{ID: "dev-empty-ips", Key: "ip:10.0.0.2", IPs: []asset.IPAddress{}})
	sortDevices(out)
	return out
}

// Leases returns n distinct leases.
func Leases(n int) []asset.Lease {
	out := make([]asset.Lease, n)
	for i := range out {
		start := t0.Add(time.Duration(i) * time.Minute)
		out[i] = asset.Lease{
			MAC:   fmt.Sprintf("02:00:%02x:%02x:%02x:%02x", byte(i>>24), byte(i>>16), byte(i>>8), byte(i)),
			IP:    fmt.Sprintf("10.%d.%d.%d", byte(i>>16), byte(i>>8), byte(i)),
			Start: start, End: start.Add(24 * time.Hour),
		}
	}
	return out
}

func checkpoint(source, hash string, headLen int, updated time.Time) store.Checkpoint {
	return store.Checkpoint{
		Source: source, HeadHash: hash, HeadLen: headLen,
		Offset: 1 << 33, Line: 4_000_000_123, Records: 3_999_000, Rejected: 17, Updated: updated,
	}
}

// LegacyAlerts returns alerts for testing migration 6, which moved an
// alert's count and times out of its document: a set spanning several
// pages of a migration, with every field set, times at the bounds and
// zero; sorted by ID, without histories, every time in UTC.
func LegacyAlerts() []alert.Alert {
	var as []alert.Alert
	for i := range 1500 {
		a := fullAlert(fmt.Sprintf("legacy-%04d", i), fmt.Sprintf("dev-%d", i%7), t0.Add(time.Duration(i)*time.Second+time.Duration(i)))
		a.Count = int64(i + 1)
		a.History = nil
		as = append(as, a)
	}
	far := fullAlert("far", "dev-1", store.MaxTime)
	far.FirstSeen, far.Count, far.History = store.MinTime, math.MaxInt64, nil
	zero := alert.Alert{DedupKey: "zero", Severity: alert.Info, Status: alert.Resolved, Count: 1}
	zero.ID = alert.IDForKey(zero.DedupKey)
	as = append(as, far, zero)
	slices.SortFunc(as, func(a, b alert.Alert) int { return strings.Compare(a.ID, b.ID) })
	return as
}

// LegacyAlertDoc returns the document of a as schema versions 4 and 5
// stored it, with its count and times.
func LegacyAlertDoc(a alert.Alert) string {
	doc, err := json.Marshal(struct {
		DedupKey    string           `json:"dedup_key"`
		Detector    string           `json:"detector"`
		DeviceID    string           `json:"device_id,omitempty"`
		Severity    alert.Severity   `json:"severity"`
		Title       string           `json:"title"`
		Explanation string           `json:"explanation"`
		Evidence    []alert.Evidence `json:"evidence"`
		Attack      []string         `json:"attack"`
		D3FEND      []string         `json:"d3fend"`
		FirstSeen   time.Time        `json:"first_seen"`
		LastSeen    time.Time        `json:"last_seen"`
		Count       int64            `json:"count"`
	}{a.DedupKey, a.Detector, a.DeviceID, a.Severity, a.Title, a.Explanation, a.Evidence, a.Attack, a.D3FEND,
		a.FirstSeen, a.LastSeen, a.Count})
	if err != nil {
		panic(err) // a fixture's alert always encodes
	}
	return string(doc)
}
