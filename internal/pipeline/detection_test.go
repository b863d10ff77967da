package pipeline

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-iomt/vigil/internal/alert"
	"github.com/vigil-iomt/vigil/internal/asset"
	"github.com/vigil-iomt/vigil/internal/detect"
	"github.com/vigil-iomt/vigil/internal/simulate"
	"github.com/vigil-iomt/vigil/internal/store"
)

// Detection quality on the simulated hospital's labelled attacks.
//
// An alert is a true positive when it concerns the attacking device and
// was first raised between the attack's first record and one hour after
// its last; any other alert is a false positive. An attack is detected
// when an alert of its scenario's primary detector (the one built to find
// it) matches it. Per scenario type, recall is detected attacks over
// attacks, and precision is the matched alerts of the primary detector
// over all of that detector's alerts, over every seed.
var primaryDetector = map[string]string{
	simulate.AttackExfiltration:        detect.DetectorVolumeSpike,
	simulate.AttackLateralMovement:     detect.DetectorNewPort,
	simulate.AttackC2Beaconing:         detect.DetectorBeaconing,
	simulate.AttackNewCloudDomain:      detect.DetectorNewDomain,
	simulate.AttackInternalScan:        detect.DetectorScan,
	simulate.AttackSpoofedUpdateServer: detect.DetectorNewDomain,
}

// The simulator keeps the first attackFree hours free of attacks; Vigil
// learns for a shorter period, because a device's learning starts when it
// is first seen and some devices stay silent for hours (a workstation at
// night).
// alsoExpected are detectors that must find an attack besides its
// primary one: the spoofed update's new firmware version, which no
// approved patch explains.
var alsoExpected = map[string][]string{
	simulate.AttackSpoofedUpdateServer: {detect.DetectorUnauthorizedUpdate},
}

const (
	qualityDevices    = 200
	qualityHours      = 96
	qualityAttackFree = 72 * time.Hour
	qualityLearning   = 60 * time.Hour
)

var qualitySeeds = []int64{1, 2, 3, 4, 5}

// simulateAndIngest runs the simulator and ingests its logs with the
// detectors on; it returns the truth, the alerts and the inventory.
func simulateAndIngest(t *testing.T, seed int64, attacks []string) (*simulate.Truth, []alert.Alert, map[string]asset.Device) {
	t.Helper()
	dir := t.TempDir()
	truth, err := simulate.Run(context.Background(), dir, simulate.Options{Seed: seed, Devices: qualityDevices,
		Hours: qualityHours, Learning: qualityAttackFree, Attacks: attacks})
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t)
	h.batch = DefaultBatchSize
	h.ouis = []string{ouiRegistry(t)}
	h.learning = qualityLearning
	if sum := h.ingest(filepath.Join(dir, simulate.LogDir)); sum.Rejected != 0 {
		t.Fatalf("rejected %d: %v", sum.Rejected, sum.Errors)
	}
	alerts, err := h.store.Alerts(context.Background(), store.AlertQuery{})
	if err != nil {
		t.Fatal(err)
	}
	return truth, alerts, h.devicesByKey()
}

// deviceOf finds the inventory device of an attack's device.
func deviceOf(devs map[string]asset.Device, a simulate.TruthAttack) string {
	if d, ok := devs["mac:"+strings.ToLower(a.MAC)]; ok {
		return d.ID
	}
	for _, ip := range a.IPs {
		if d, ok := devs["ip:"+ip]; ok {
			return d.ID
		}
	}
	return ""
}

func TestDetectionQuality(t *testing.T) {
	type tally struct{ attacks, detected, tp, fp int }
	byType := map[string]*tally{}
	for _, name := range simulate.AttackNames {
		byType[name] = &tally{}
	}
	var missed, falsePositives []string
	for _, seed := range qualitySeeds {
		truth, alerts, devs := simulateAndIngest(t, seed, []string{"all"})
		if len(truth.Attacks) != len(simulate.AttackNames) {
			t.Fatalf("seed %d: %d attacks in the truth, want %d", seed, len(truth.Attacks), len(simulate.AttackNames))
		}
		matched := map[string]bool{}
		for _, a := range truth.Attacks {
			dev := deviceOf(devs, a)
			ty := byType[a.Name]
			ty.attacks++
			found := false
			also := map[string]bool{}
			for _, al := range alerts {
				if al.DeviceID == "" || al.DeviceID != dev || al.FirstSeen.Before(a.Start) || al.FirstSeen.After(a.End.Add(time.Hour)) {
					continue
				}
				matched[al.ID] = true
				if al.Detector == primaryDetector[a.Name] {
					found = true
				}
				also[al.Detector] = true
			}
			for _, det := range alsoExpected[a.Name] {
				if !also[det] {
					missed = append(missed, fmt.Sprintf("seed %d %s on %s: no %s alert", seed, a.Name, a.DeviceID, det))
				}
			}
			if found {
				ty.detected++
			} else {
				missed = append(missed, fmt.Sprintf("seed %d %s on %s (%s)", seed, a.Name, a.DeviceID, a.Detail))
			}
		}
		for _, al := range alerts {
			for name, det := range primaryDetector {
				if al.Detector != det {
					continue
				}
				if matched[al.ID] {
					byType[name].tp++
				} else {
					byType[name].fp++
				}
			}
			if !matched[al.ID] {
				falsePositives = append(falsePositives, fmt.Sprintf("seed %d %s: %s", seed, al.Detector, al.Title))
			}
		}
	}
	for _, name := range simulate.AttackNames {
		ty := byType[name]
		recall := float64(ty.detected) / float64(ty.attacks)
		precision := 1.0
		if ty.tp+ty.fp > 0 {
			precision = float64(ty.tp) / float64(ty.tp+ty.fp)
		}
		t.Logf("%-22s recall %d/%d = %.2f  precision (%s) %d/%d = %.2f", name, ty.detected, ty.attacks, recall,
			primaryDetector[name], ty.tp, ty.tp+ty.fp, precision)
		if recall < 0.95 || precision < 0.95 {
			t.Errorf("%s: recall %.2f, precision %.2f; want both ≥ 0.95", name, recall, precision)
		}
	}
	if len(missed) > 0 {
		t.Errorf("missed attacks:\n  %s", strings.Join(missed, "\n  "))
	}
	t.Logf("alerts matching no attack, all detectors: %d", len(falsePositives))
	for _, fp := range falsePositives {
		t.Logf("  %s", fp)
	}
}

// TestBenignAlertRate runs the hospital without attacks: after the
// learning period, at most one alert per 100 device-days may be raised.
func TestBenignAlertRate(t *testing.T) {
	var alerts int
	var deviceDays float64
	var titles []string
	for _, seed := range qualitySeeds {
		truth, got, _ := simulateAndIngest(t, seed, nil)
		deviceDays += float64(len(truth.Devices)) * truth.End.Sub(truth.Start.Add(qualityLearning)).Hours() / 24
		alerts += len(got)
		for _, a := range got {
			titles = append(titles, fmt.Sprintf("seed %d %s: %s", seed, a.Detector, a.Title))
		}
	}
	rate := float64(alerts) / deviceDays * 100
	t.Logf("%d alerts over %.0f device-days after learning: %.2f per 100 device-days", alerts, deviceDays, rate)
	if rate > 1 {
		t.Errorf("benign alert rate %.2f per 100 device-days, want ≤ 1:\n  %s", rate, strings.Join(titles, "\n  "))
	}
}

// TestDetectionSurvivesRestart interrupts an ingest of the attacked
// hospital at several commits and resumes it in a fresh process state
// (inventory, baselines and alerts loaded from the store): the store must
// end up exactly as after one uninterrupted run, alerts included.
func TestDetectionSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	if _, err := simulate.Run(context.Background(), dir, simulate.Options{Seed: 9, Devices: 80, Hours: 30,
		Learning: 20 * time.Hour, Attacks: []string{"all"}}); err != nil {
		t.Fatal(err)
	}
	logs := filepath.Join(dir, simulate.LogDir)
	clean := newHarness(t)
	clean.batch, clean.learning = 20_000, 20*time.Hour
	clean.ingest(logs)
	want := clean.snapshot()
	if !strings.Contains(want, `"detector": "beaconing"`) {
		t.Fatal("the uninterrupted run raised no beaconing alert: the test would prove nothing")
	}

	h := newHarness(t)
	h.batch, h.learning = 20_000, 20*time.Hour
	runs := 0
	for stopAfter := 1; ; stopAfter++ {
		ctx, cancel := context.WithCancel(context.Background())
		h.ctx = ctx
		commits := 0
		sum := h.ingestWith(func() {
			if commits++; commits == stopAfter {
				cancel()
			}
		}, logs)
		cancel()
		runs++
		if ctx.Err() == nil || sum.Read == 0 {
			break
		}
	}
	if runs < 3 {
		t.Fatalf("only %d runs: the interruptions did not happen", runs)
	}
	if got := h.snapshot(); got != want {
		t.Errorf("after %d interrupted runs the store differs from an uninterrupted run's", runs)
	}
}
