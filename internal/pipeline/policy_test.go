package pipeline

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-iomt/vigil/internal/detect"
	"github.com/vigil-iomt/vigil/internal/policy"
	"github.com/vigil-iomt/vigil/internal/simulate"
	"github.com/vigil-iomt/vigil/internal/store"
)

// TestLearnedPolicyFlagsTheAttacks is segmentation end to end: a policy
// learned (vigil policy learn) from one simulated hospital's baselines,
// with the zones the simulator writes, is enforced while another
// hospital of the same make-up (another seed) is ingested with all six
// attacks. Every attack must break the policy on its device, and the
// benign flows the policy did not foresee are counted.
func TestLearnedPolicyFlagsTheAttacks(t *testing.T) {
	ctx := context.Background()
	learnDir := t.TempDir()
	if _, err := simulate.Run(ctx, learnDir, simulate.Options{Seed: 11, Devices: 200, Hours: 48}); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t)
	h.batch, h.learning = DefaultBatchSize, 24*time.Hour
	h.ouis = []string{ouiRegistry(t)}
	h.ingest(filepath.Join(learnDir, simulate.LogDir))
	obs, err := LoadObserved(ctx, h.store)
	if err != nil {
		t.Fatal(err)
	}
	zones, err := policy.Load(filepath.Join(learnDir, simulate.ZonesFile))
	if err != nil {
		t.Fatal(err)
	}
	prop, err := policy.Learn(obs.Flows, policy.LearnOptions{Zones: zones.Zones, MinDevices: 2, MinFraction: 0.2})
	if err != nil {
		t.Fatal(err)
	}
	learned, err := policy.Parse(prop.YAML, "learned.yaml")
	if err != nil {
		t.Fatalf("the proposal does not parse: %v", err)
	}

	dir := t.TempDir()
	truth, err := simulate.Run(ctx, dir, simulate.Options{Seed: 12, Devices: 200, Hours: 48,
		Learning: 36 * time.Hour, Attacks: []string{"all"}})
	if err != nil {
		t.Fatal(err)
	}
	e := newHarness(t)
	e.batch, e.learning, e.policy = DefaultBatchSize, 24*time.Hour, learned
	e.ouis = []string{ouiRegistry(t)}
	e.ingest(filepath.Join(dir, simulate.LogDir))
	alerts, err := e.store.Alerts(ctx, store.AlertQuery{Detector: detect.DetectorPolicy})
	if err != nil {
		t.Fatal(err)
	}
	devs := e.devicesByKey()
	attacked := map[string]bool{}
	for _, a := range truth.Attacks {
		dev := deviceOf(devs, a)
		attacked[dev] = true
		found := false
		for _, al := range alerts {
			if al.DeviceID == dev && !al.LastSeen.Before(a.Start) && !al.FirstSeen.After(a.End.Add(time.Hour)) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s on %s (%s): no policy violation", a.Name, a.DeviceID, a.Detail)
		}
	}
	var benign []string
	for _, al := range alerts {
		if !attacked[al.DeviceID] {
			benign = append(benign, al.Title)
		}
	}
	// The policy was learned on another hospital: what its devices did
	// not do there (a central station talking to monitors in zones where
	// the other hospital had none, one biomed workstation's maintenance
	// sessions) is a violation here. 18.2 per 100 device-days when this
	// was written; the bound guards against regressions.
	deviceDays := float64(len(truth.Devices)) * truth.End.Sub(truth.Start).Hours() / 24
	rate := float64(len(benign)) / deviceDays * 100
	t.Logf("%d policy-violation alerts, %d on devices not attacked (%.1f per 100 device-days)", len(alerts), len(benign), rate)
	if rate > 20 {
		t.Errorf("%.1f violations per 100 device-days on devices not attacked, want ≤ 20:\n  %s", rate, strings.Join(benign, "\n  "))
	}
}
