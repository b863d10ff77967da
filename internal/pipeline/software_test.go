package pipeline

import (
	"bytes"
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigil-iomt/vigil/internal/asset"
	"github.com/vigil-iomt/vigil/internal/detect"
	"github.com/vigil-iomt/vigil/internal/event"
	"github.com/vigil-iomt/vigil/internal/ingest/zeek"
	"github.com/vigil-iomt/vigil/internal/store"
)

// writeSoftware writes a software.log of the given records.
func writeSoftware(t *testing.T, dir string, recs ...*event.Software) {
	t.Helper()
	var b bytes.Buffer
	w := zeek.NewWriter(&b, event.KindSoftware, zeek.TSV)
	for _, r := range recs {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "software.log"), b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestUnauthorizedUpdate: a device that starts reporting another version
// of its software raises unauthorized-update, unless a patch of the
// device is scheduled or deployed; a later sighting of the old version
// raises nothing more.
func TestUnauthorizedUpdate(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	pump, monitor := netip.MustParseAddr("10.20.1.5"), netip.MustParseAddr("10.20.1.6")
	sw := func(at time.Duration, host netip.Addr, version string) *event.Software {
		return &event.Software{TS: t0.Add(at), Host: host, SoftwareType: "HTTP::BROWSER", Name: "pumpfw", Version: version}
	}
	dir := t.TempDir()
	writeSoftware(t, dir,
		sw(0, pump, "2.1"), sw(0, monitor, "2.1"),
		sw(time.Hour, pump, "2.2"), sw(time.Hour, monitor, "2.2"),
		sw(2*time.Hour, pump, "2.1"))

	h := newHarness(t)
	h.batch, h.learning = DefaultBatchSize, time.Hour
	// The monitor's patch is approved (scheduled) before its software
	// changes.
	ctx := context.Background()
	monID := inventoryIDOf(t, monitor)
	err := h.store.Commit(ctx, &store.Batch{Findings: []store.FindingRecord{{ID: "fnd-2", DeviceID: monID,
		Vulnerability: "CVE-2024-0002", Decision: "scheduled", Assessed: t0, Doc: []byte(`{}`)}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.store.SetPatchState(ctx, "fnd-2", store.PatchChange{At: t0, To: "scheduled", By: "biomed"}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	h.ingest(dir)
	alerts, err := h.store.Alerts(ctx, store.AlertQuery{Detector: detect.DetectorUnauthorizedUpdate})
	if err != nil {
		t.Fatal(err)
	}
	if len(alerts) != 1 || alerts[0].DeviceID == monID || alerts[0].Count != 1 {
		t.Fatalf("unauthorized-update alerts: %+v; want one, on the pump only", alerts)
	}
	if want := "changed pumpfw from 2.1 to 2.2 with no approved patch"; !bytes.Contains([]byte(alerts[0].Title), []byte(want)) {
		t.Errorf("title %q, want it to say %q", alerts[0].Title, want)
	}
}

// inventoryIDOf is the ID the inventory gives a device known only by its
// internal address.
func inventoryIDOf(t *testing.T, a netip.Addr) string {
	t.Helper()
	return asset.IDForKey("ip:" + a.String())
}
