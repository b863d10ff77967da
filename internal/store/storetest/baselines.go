package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-iomt/vigil/internal/asset"
	"github.com/vigil-iomt/vigil/internal/store"
)

// baseline returns a baseline of n bytes for the device id: every byte
// value occurs, NUL and bytes that are not UTF-8 included, and the bytes
// depend on id, so that documents of different devices differ. n = 0
// gives an empty, non-nil document.
func baseline(id string, n int) store.BaselineDoc {
	var seed uint64
	for _, c := range []byte(id) {
		seed = seed*31 + uint64(c)
	}
	r := rand.New(rand.NewPCG(seed, uint64(n)))
	doc := make([]byte, n)
	for i := range doc {
		if i < 256 {
			doc[i] = byte(i)
		} else {
			doc[i] = byte(r.Uint32())
		}
	}
	return store.BaselineDoc{DeviceID: id, Doc: doc}
}

// baselines returns every stored baseline, walked with Store.Baselines,
// never nil.
func baselines(t *testing.T, s store.Store) []store.BaselineDoc {
	t.Helper()
	out := []store.BaselineDoc{}
	if err := s.Baselines(t.Context(), func(b store.BaselineDoc) error {
		out = append(out, b)
		return nil
	}); err != nil {
		t.Fatalf("Baselines: %v", err)
	}
	return out
}

// sameBaselines fails t unless got and want hold the same device IDs and
// documents, byte for byte, non-nil, in the same order; it shows sizes and
// the first difference rather than whole documents.
func sameBaselines(t *testing.T, what string, got, want []store.BaselineDoc) {
	t.Helper()
	ids := func(bs []store.BaselineDoc) []string {
		out := make([]string, len(bs))
		for i, b := range bs {
			out[i] = fmt.Sprintf("%s (%d bytes)", b.DeviceID, len(b.Doc))
		}
		return out
	}
	if len(got) != len(want) {
		t.Errorf("%s: got %d baselines %q, want %d %q", what, len(got), ids(got), len(want), ids(want))
		return
	}
	for i := range got {
		sameBaseline(t, fmt.Sprintf("%s[%d]", what, i), got[i], want[i])
	}
}

func sameBaseline(t *testing.T, what string, got, want store.BaselineDoc) {
	t.Helper()
	switch {
	case got.DeviceID != want.DeviceID:
		t.Errorf("%s: device %q, want %q", what, got.DeviceID, want.DeviceID)
	case got.Doc == nil:
		t.Errorf("%s %q: nil document, want %d bytes", what, got.DeviceID, len(want.Doc))
	case !bytes.Equal(got.Doc, want.Doc):
		i := 0
		for i < len(got.Doc) && i < len(want.Doc) && got.Doc[i] == want.Doc[i] {
			i++
		}
		t.Errorf("%s %q: document of %d bytes differs at byte %d from the %d bytes written",
			what, got.DeviceID, len(got.Doc), i, len(want.Doc))
	}
}

func getBaseline(t *testing.T, s store.Store, id string) store.BaselineDoc {
	t.Helper()
	b, err := s.Baseline(t.Context(), id)
	if err != nil {
		t.Fatalf("Baseline(%q): %v", id, err)
	}
	return b
}

func wantNoBaseline(t *testing.T, s store.Store, id string) {
	t.Helper()
	if b, err := s.Baseline(t.Context(), id); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Baseline(%q): %d bytes, error %v; want ErrNotFound", id, len(b.Doc), err)
	}
}

func testBaselineRoundTrip(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	// A baseline committed with its device, one without any device, an
	// empty document, one that is not text, and a Unicode ID.
	dev := fullDevice("dev-1", "infusion-pump")
	in := []store.BaselineDoc{
		baseline("dev-1", 4096),
		baseline("dev-no-device", 300),
		{DeviceID: "dev-empty", Doc: []byte{}},
		{DeviceID: "dev-json", Doc: []byte(`{"peers":["10.0.0.1"],"nul":"\u0000"}`)},
		baseline("dév-ü-輸液", 1),
	}
	commit(t, s, &store.Batch{Devices: []asset.Device{dev}, Baselines: in})
	for _, want := range in {
		sameBaseline(t, "Baseline", getBaseline(t, s, want.DeviceID), want)
	}
	want := slices.Clone(in)
	slices.SortFunc(want, func(a, b store.BaselineDoc) int { return strings.Compare(a.DeviceID, b.DeviceID) })
	sameBaselines(t, "Baselines", baselines(t, s), want)
	// The device is untouched by its baseline, and the reverse.
	if got, err := s.Device(t.Context(), "dev-1"); err != nil {
		t.Errorf("Device: %v", err)
	} else {
		equal(t, "device committed with its baseline", got, dev)
	}
	if _, err := s.Device(t.Context(), "dev-no-device"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Device of a baseline without device: %v, want ErrNotFound", err)
	}
}

func testBaselineEmptyDoc(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	commit(t, s, &store.Batch{Baselines: []store.BaselineDoc{{DeviceID: "dev-1", Doc: []byte{}}}})
	got := getBaseline(t, s, "dev-1")
	if got.Doc == nil || len(got.Doc) != 0 {
		t.Errorf("Baseline of an empty document: %#v, want an empty non-nil document", got.Doc)
	}
	// Replacing a document by an empty one, and the reverse.
	commit(t, s, &store.Batch{Baselines: []store.BaselineDoc{baseline("dev-2", 10)}})
	commit(t, s, &store.Batch{Baselines: []store.BaselineDoc{{DeviceID: "dev-2", Doc: []byte{}}, baseline("dev-1", 10)}})
	sameBaselines(t, "Baselines", baselines(t, s), []store.BaselineDoc{baseline("dev-1", 10), {DeviceID: "dev-2", Doc: []byte{}}})
}

func testBaselineReplace(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	commit(t, s, &store.Batch{Baselines: []store.BaselineDoc{baseline("dev-1", 5000), baseline("dev-2", 10)}})
	// A shorter document must leave nothing of the longer one behind.
	v2 := store.BaselineDoc{DeviceID: "dev-1", Doc: []byte("v2")}
	commit(t, s, &store.Batch{Baselines: []store.BaselineDoc{v2}})
	sameBaselines(t, "Baselines after replace", baselines(t, s), []store.BaselineDoc{v2, baseline("dev-2", 10)})
	// The caller may reuse its buffer once Commit returned.
	buf := []byte("v3")
	commit(t, s, &store.Batch{Baselines: []store.BaselineDoc{{DeviceID: "dev-1", Doc: buf}}})
	copy(buf, "xx")
	sameBaseline(t, "Baseline after the caller reused its buffer", getBaseline(t, s, "dev-1"),
		store.BaselineDoc{DeviceID: "dev-1", Doc: []byte("v3")})
}

func testBaselineLastWins(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	first, second, third := baseline("dev-1", 100), baseline("dev-1", 200), store.BaselineDoc{DeviceID: "dev-1", Doc: []byte("third")}
	other := baseline("dev-0", 50)
	commit(t, s, &store.Batch{Baselines: []store.BaselineDoc{first, other, second, third}})
	sameBaselines(t, "Baselines", baselines(t, s), []store.BaselineDoc{other, third})
	// Also when the last occurrence sorts before the others.
	commit(t, s, &store.Batch{Baselines: []store.BaselineDoc{
		{DeviceID: "dev-1", Doc: []byte("b")}, {DeviceID: "dev-0", Doc: []byte("z")}, {DeviceID: "dev-1", Doc: []byte("a")},
	}})
	sameBaselines(t, "Baselines", baselines(t, s), []store.BaselineDoc{
		{DeviceID: "dev-0", Doc: []byte("z")}, {DeviceID: "dev-1", Doc: []byte("a")},
	})
}

func testBaselineDelete(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	a, b, c := baseline("dev-a", 10), baseline("dev-b", 20), baseline("dev-c", 30)
	commit(t, s, &store.Batch{Baselines: []store.BaselineDoc{a, b, c}})
	// A batch of deletions only; a missing ID is not an error, a repeated
	// one is harmless.
	commit(t, s, &store.Batch{DeleteBaselines: []string{"dev-a", "dev-unknown", "dev-c", "dev-a"}})
	sameBaselines(t, "Baselines after delete", baselines(t, s), []store.BaselineDoc{b})
	wantNoBaseline(t, s, "dev-a")
	wantNoBaseline(t, s, "dev-c")
	// Deleting a baseline leaves the device alone.
	dev := fullDevice("dev-b", "ventilator")
	commit(t, s, &store.Batch{Devices: []asset.Device{dev}})
	commit(t, s, &store.Batch{DeleteBaselines: []string{"dev-b"}})
	wantNoBaseline(t, s, "dev-b")
	if _, err := s.Device(t.Context(), "dev-b"); err != nil {
		t.Errorf("Device after deleting its baseline: %v", err)
	}
	// A deleted baseline can be written again.
	commit(t, s, &store.Batch{Baselines: []store.BaselineDoc{a}})
	sameBaseline(t, "re-added baseline", getBaseline(t, s, "dev-a"), a)
}

func testBaselineDeleteDevice(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	d1, d2 := fullDevice("dev-1", "ventilator"), fullDevice("dev-2", "ventilator")
	b1, b2 := baseline("dev-1", 100), baseline("dev-2", 100)
	orphan := baseline("dev-orphan", 100)
	commit(t, s, &store.Batch{Devices: []asset.Device{d1, d2}, Baselines: []store.BaselineDoc{b1, b2, orphan}})
	// Deleting a device deletes its baseline, and only its.
	commit(t, s, &store.Batch{DeleteDevices: []string{"dev-1"}})
	wantNoBaseline(t, s, "dev-1")
	sameBaselines(t, "Baselines after deleting a device", baselines(t, s), []store.BaselineDoc{b2, orphan})
	// The deletion names a device ID: a baseline without device goes too.
	commit(t, s, &store.Batch{DeleteDevices: []string{"dev-orphan"}})
	sameBaselines(t, "Baselines after deleting the ID of a baseline without device", baselines(t, s), []store.BaselineDoc{b2})
	// A merge: the batch deletes one device, writes another and its
	// baseline.
	merged := asset.Device{ID: "dev-3", Key: d2.Key, Class: "ventilator"}
	b3 := baseline("dev-3", 500)
	commit(t, s, &store.Batch{DeleteDevices: []string{"dev-2"}, Devices: []asset.Device{merged}, Baselines: []store.BaselineDoc{b3}})
	sameBaselines(t, "Baselines after a merge", baselines(t, s), []store.BaselineDoc{b3})
	// A device deleted while the batch deletes baselines as well.
	commit(t, s, &store.Batch{Baselines: []store.BaselineDoc{b1}})
	commit(t, s, &store.Batch{DeleteDevices: []string{"dev-3"}, DeleteBaselines: []string{"dev-1"}})
	sameBaselines(t, "Baselines after deleting both ways", baselines(t, s), []store.BaselineDoc{})
}

// testBaselineRollback commits batches that fail after, or before, their
// baselines would be written: the stored baselines stay as they were.
func testBaselineRollback(t *testing.T, open func(t *testing.T) store.Store) {
	stored := fullDevice("dev-stored", "ventilator")
	seed := &store.Batch{
		Devices:   []asset.Device{stored},
		Baselines: []store.BaselineDoc{baseline("dev-stored", 1000), baseline("dev-gone", 10), baseline("dev-kept", 10)},
	}
	// changes replaces, adds and deletes baselines, by both kinds of
	// deletion.
	changes := func() *store.Batch {
		return &store.Batch{
			Devices:         []asset.Device{fullDevice("dev-new", "ventilator")},
			DeleteDevices:   []string{"dev-gone"},
			Baselines:       []store.BaselineDoc{{DeviceID: "dev-stored", Doc: []byte("replaced")}, baseline("dev-new", 1<<20), baseline("dev-other", 0)},
			DeleteBaselines: []string{"dev-kept"},
		}
	}
	tests := []struct {
		name        string
		defect      func(b *store.Batch)
		wantInvalid bool
	}{
		{"invalid baseline", func(b *store.Batch) {
			b.Baselines = append(b.Baselines, store.BaselineDoc{DeviceID: "dev-x"})
		}, true},
		{"invalid device", func(b *store.Batch) { b.Devices = append(b.Devices, asset.Device{ID: "dev-x"}) }, true},
		// Valid, refused by the database after the baselines were written.
		{"sighting of a device that does not exist", func(b *store.Batch) {
			b.Sightings = append(b.Sightings, store.Sighting{DeviceID: "zzz-unknown", LastSeen: t0})
		}, true},
		{"dedup key of another stored alert", func(b *store.Batch) {
			a := fullAlert("key", "", t0)
			other := fullAlert("key", "", t0)
			other.ID = "alr-other"
			b.Alerts = append(b.Alerts, a, other)
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			commit(t, s, seed)
			want := baselines(t, s)
			b := changes()
			tt.defect(b)
			err := s.Commit(t.Context(), b)
			if err == nil {
				t.Fatal("Commit succeeded, want an error")
			}
			if got := errors.Is(err, store.ErrInvalidBatch); got != tt.wantInvalid {
				t.Errorf("Commit error %q: errors.Is(ErrInvalidBatch) = %v, want %v", err, got, tt.wantInvalid)
			}
			sameBaselines(t, "Baselines after failed commit", baselines(t, s), want)
			commit(t, s, changes())
			got := baselines(t, s)
			if len(got) != 3 || got[0].DeviceID != "dev-new" || got[1].DeviceID != "dev-other" || string(got[2].Doc) != "replaced" {
				t.Errorf("Baselines after the batch without defect: %d baselines, want dev-new, dev-other, dev-stored replaced", len(got))
			}
		})
	}
}

// testBaselinesOrder checks that the walk visits baselines by device ID in
// byte order, whatever order they were committed in, across batches.
func testBaselinesOrder(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ids := []string{"dev-b", "dev-B", "dev-a", "dev-_", "dev-Z", "dev-ä", "dev-10", "dev-9", "dev-a-1", "dev-a1", "dev- ", "dev-ﬀ"}
	for _, d := range Devices(1200) { // more than one statement or chunk
		ids = append(ids, d.ID)
	}
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	var all []store.BaselineDoc
	for _, id := range ids {
		all = append(all, baseline(id, len(id)))
	}
	commit(t, s, &store.Batch{Baselines: all[:len(all)/2]})
	commit(t, s, &store.Batch{Baselines: all[len(all)/2:]})
	slices.SortFunc(all, func(a, b store.BaselineDoc) int { return strings.Compare(a.DeviceID, b.DeviceID) })
	sameBaselines(t, "Baselines", baselines(t, s), all)
}

func testBaselinesStop(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	var in []store.BaselineDoc
	for i := range 10 {
		in = append(in, baseline(fmt.Sprintf("dev-%02d", i), 64<<10))
	}
	commit(t, s, &store.Batch{Baselines: in})
	errStop := errors.New("stop here")
	// Stopping many times over must release what the walk holds: a walk
	// that leaked its connection would exhaust the pool and hang.
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	for round := range 20 {
		var seen []string
		err := s.Baselines(ctx, func(b store.BaselineDoc) error {
			seen = append(seen, b.DeviceID)
			if len(seen) == 3 {
				return fmt.Errorf("round %d: %w", round, errStop)
			}
			return nil
		})
		if !errors.Is(err, errStop) {
			t.Fatalf("Baselines with fn failing: error %v, want fn's error", err)
		}
		equal(t, "devices seen before fn failed", seen, []string{"dev-00", "dev-01", "dev-02"})
	}
	// The store is still usable.
	commit(t, s, &store.Batch{DeleteBaselines: []string{"dev-00"}})
	if got := baselines(t, s); len(got) != 9 {
		t.Errorf("Baselines after stopped walks: %d baselines, want 9", len(got))
	}
	canceled, cancelNow := context.WithCancel(t.Context())
	cancelNow()
	calls := 0
	if err := s.Baselines(canceled, func(store.BaselineDoc) error { calls++; return nil }); err == nil {
		t.Errorf("Baselines with a canceled context: nil error after %d calls, want an error", calls)
	}
}

func testBaselineNotFound(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	commit(t, s, &store.Batch{
		Devices:   []asset.Device{fullDevice("dev-device-only", "ventilator")},
		Baselines: []store.BaselineDoc{baseline("dev-1", 10), baseline("dev-deleted", 10)},
	})
	commit(t, s, &store.Batch{DeleteBaselines: []string{"dev-deleted"}})
	for _, id := range []string{"dev-2", "", "DEV-1", "dev-1 ", "dev-device-only", "dev-deleted", "dev-1\x00", "dev-\xff"} {
		wantNoBaseline(t, s, id)
	}
}

func testBaselineLarge(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	// Three 2 MB documents and small ones around them, in one batch: more
	// than one statement's worth of bytes.
	in := []store.BaselineDoc{
		baseline("dev-a", 10), baseline("dev-b", 2<<20), baseline("dev-c", 2<<20+1),
		baseline("dev-d", 0), baseline("dev-e", 2<<20-1), baseline("dev-f", 10),
	}
	commit(t, s, &store.Batch{Baselines: in})
	for _, want := range in {
		sameBaseline(t, "Baseline", getBaseline(t, s, want.DeviceID), want)
	}
	sameBaselines(t, "Baselines", baselines(t, s), in)
	// Replaced by other large documents.
	v2 := baseline("dev-b", 3<<20)
	v2.Doc[len(v2.Doc)-1] ^= 0xff
	commit(t, s, &store.Batch{Baselines: []store.BaselineDoc{v2}})
	sameBaseline(t, "replaced large Baseline", getBaseline(t, s, "dev-b"), v2)
}
