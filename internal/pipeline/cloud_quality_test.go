package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-iomt/vigil/internal/alert"
	"github.com/vigil-iomt/vigil/internal/detect"
	"github.com/vigil-iomt/vigil/internal/sigma"
	"github.com/vigil-iomt/vigil/internal/simulate"
	"github.com/vigil-iomt/vigil/internal/store"
	"github.com/vigil-iomt/vigil/rules"
)

// sigmaHQAssumeRoleMisuse is SigmaHQ's "AWS STS AssumeRole Misuse": it
// matches every call made with an assumed role, so it fires on any normal
// account (its false positives say so).
const sigmaHQAssumeRoleMisuse = "905d389b-b853-46d0-9d3d-dea0d3a3cd49"

// cloudAlerts simulates the fleet cloud for a week, ingests its trail with
// Vigil's rules (and SigmaHQ's, with VIGIL_DATASETS set) and returns the
// alerts, the truth and the IDs of Vigil's rules.
func cloudAlerts(t *testing.T, seed int64, attack bool) ([]alert.Alert, *simulate.CloudTruth, map[string]string) {
	t.Helper()
	dir := t.TempDir()
	truth, err := simulate.CloudRun(t.Context(), dir, simulate.CloudOptions{Seed: seed, Hours: 168, Attack: attack})
	if err != nil {
		t.Fatal(err)
	}
	vigil, err := sigma.LoadFS(rules.FS, ".")
	if err != nil {
		t.Fatal(err)
	}
	titles := map[string]string{}
	for _, r := range vigil {
		titles[r.ID] = r.Title
	}
	all := vigil
	if ds := os.Getenv("VIGIL_DATASETS"); ds != "" {
		hq, err := sigma.LoadPaths([]string{filepath.Join(ds, "sigmahq-cloudtrail-rules")})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, hq...)
	}
	engine, err := sigma.Compile(all, sigma.Options{Placeholders: truth.Placeholders})
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t)
	ing, err := New(Options{Store: h.store, Inventory: emptyTestInventory(t)})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := ing.CloudTrail(context.Background(), []string{filepath.Join(dir, simulate.CloudDir)},
		CloudTrailOptions{Rules: detect.NewSigmaRules(engine, all), Alerts: detect.New(nil)})
	if err != nil || sum.Rejected != 0 || sum.Accepted != int64(truth.Events) || len(sum.Files) != 168 {
		t.Fatalf("ingest: %d files, %d accepted, %d rejected (%v); want 168, %d, 0", len(sum.Files), sum.Accepted, sum.Rejected, err, truth.Events)
	}
	alerts, err := h.store.Alerts(context.Background(), store.AlertQuery{})
	if err != nil {
		t.Fatal(err)
	}
	return alerts, truth, titles
}

// TestCloudQuality is the cloud's quality gate on the simulated device
// maker's account, three seeds of a week each: a benign week raises no
// alert from Vigil's rules (and, from SigmaHQ's, only AssumeRole Misuse,
// which fires on every assumed role); the cloud takeover raises exactly
// the Vigil alerts its steps imply, all on the leaked key, and covers the
// ATT&CK technique of every step.
func TestCloudQuality(t *testing.T) {
	wantAttack := []string{
		"AWS Audit Logging Stopped, Deleted or Reduced",
		"AWS Burst of Denied API Calls by One Principal",
		"AWS CloudTrail Event Selectors Reduce Logging",
		"AWS Fleet Management Call From an Unknown Network",
		"AWS Fleet Service Called With Root or IAM User Credentials",
		"AWS IAM Policy Change on a Fleet Role or Policy",
		"AWS IoT Job Created for the Whole Fleet",
		"AWS S3 Burst of Object Reads From a PHI Bucket",
	}
	for _, seed := range []int64{1, 2, 3} {
		t.Run("benign", func(t *testing.T) {
			alerts, _, titles := cloudAlerts(t, seed, false)
			for _, a := range alerts {
				id := strings.TrimPrefix(a.Detector, "sigma:")
				if _, ok := titles[id]; ok || id != sigmaHQAssumeRoleMisuse {
					t.Errorf("seed %d: benign week raised %s", seed, a.Title)
				}
			}
		})
		t.Run("attack", func(t *testing.T) {
			alerts, truth, titles := cloudAlerts(t, seed, true)
			var got []string
			techniques := map[string]bool{}
			for _, a := range alerts {
				title, vigil := titles[strings.TrimPrefix(a.Detector, "sigma:")]
				if !vigil {
					continue
				}
				got = append(got, title)
				if !strings.Contains(a.DedupKey, truth.Attack.Principal) {
					t.Errorf("seed %d: %s is not on the leaked key (%s)", seed, a.Title, a.DedupKey)
				}
				for _, id := range a.Attack {
					techniques[id] = true
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, wantAttack) {
				t.Errorf("seed %d: Vigil alerts\n got %q\nwant %q", seed, got, wantAttack)
			}
			for _, s := range truth.Attack.Steps {
				if !techniques[s.Technique] {
					t.Errorf("seed %d: step %q (%s) raised no alert with its technique", seed, s.Name, s.Technique)
				}
			}
		})
	}
}
