package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/vigil-iomt/vigil/internal/detect"
	"github.com/vigil-iomt/vigil/internal/inventory"
	"github.com/vigil-iomt/vigil/internal/sigma"
	"github.com/vigil-iomt/vigil/internal/store"
)

// TestCloudTrailExactlyOnce ingests the Stratus Red Team detonations with
// the SigmaHQ CloudTrail rules: alerts are raised and committed with each
// file's position; a second run reads nothing and changes no alert.
func TestCloudTrailExactlyOnce(t *testing.T) {
	ds := os.Getenv("VIGIL_DATASETS")
	if ds == "" {
		t.Skip("VIGIL_DATASETS is not set: the public datasets (../shared/data) are needed")
	}
	rules, err := sigma.LoadPaths([]string{filepath.Join(ds, "sigmahq-cloudtrail-rules")})
	if err != nil {
		t.Fatal(err)
	}
	engine, err := sigma.Compile(rules, sigma.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t)
	ctx := context.Background()
	run := func() (*Summary, []int64) {
		t.Helper()
		existing, err := h.store.Alerts(ctx, store.AlertQuery{})
		if err != nil {
			t.Fatal(err)
		}
		ing, err := New(Options{Store: h.store, Inventory: emptyTestInventory(t), BatchSize: 10})
		if err != nil {
			t.Fatal(err)
		}
		sum, err := ing.CloudTrail(ctx, []string{filepath.Join(ds, "cloudtrail-stratus-red-team")},
			CloudTrailOptions{Rules: detect.NewSigmaRules(engine, rules), Alerts: detect.New(existing)})
		if err != nil {
			t.Fatal(err)
		}
		alerts, err := h.store.Alerts(ctx, store.AlertQuery{})
		if err != nil {
			t.Fatal(err)
		}
		var counts []int64
		for _, a := range alerts {
			counts = append(counts, a.Count)
		}
		return sum, counts
	}
	first, counts := run()
	if first.Accepted != 142 || first.Rejected != 0 || len(counts) == 0 {
		t.Fatalf("first run: %d accepted, %d rejected, %d alerts; want 142, 0 and some", first.Accepted, first.Rejected, len(counts))
	}
	second, again := run()
	if second.Read != 0 || len(again) != len(counts) {
		t.Fatalf("second run read %d events, %d alerts (was %d)", second.Read, len(again), len(counts))
	}
	for i := range counts {
		if again[i] != counts[i] {
			t.Errorf("alert %d count %d after re-ingest, was %d", i, again[i], counts[i])
		}
	}
	a, err := h.store.Alerts(ctx, store.AlertQuery{Limit: 1})
	if err != nil || len(a) != 1 || len(a[0].Evidence) == 0 || a[0].Evidence[0].Source == "" || len(a[0].D3FEND) == 0 {
		t.Errorf("an alert: %+v (%v); want evidence with its source and a D3FEND mapping", a, err)
	}
}

func emptyTestInventory(t *testing.T) *inventory.Inventory {
	t.Helper()
	inv, err := inventory.New(inventory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return inv
}
