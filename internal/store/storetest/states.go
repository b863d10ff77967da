package storetest

import (
	"bytes"
	"errors"
	"testing"

	"github.com/vigil-iomt/vigil/internal/alert"
	"github.com/vigil-iomt/vigil/internal/asset"
	"github.com/vigil-iomt/vigil/internal/store"
)

// stateDoc returns a detector state of n bytes named name, with every byte
// value (NUL and bytes that are not UTF-8 included), as baseline does.
func stateDoc(name string, n int) store.StateDoc {
	return store.StateDoc{Name: name, Doc: baseline(name, n).Doc}
}

// sameState fails t unless got is want, byte for byte, with a non-nil
// document.
func sameState(t *testing.T, what string, got, want store.StateDoc) {
	t.Helper()
	switch {
	case got.Name != want.Name:
		t.Errorf("%s: name %q, want %q", what, got.Name, want.Name)
	case got.Doc == nil:
		t.Errorf("%s %q: nil document, want %d bytes", what, got.Name, len(want.Doc))
	case !bytes.Equal(got.Doc, want.Doc):
		i := 0
		for i < len(got.Doc) && i < len(want.Doc) && got.Doc[i] == want.Doc[i] {
			i++
		}
		t.Errorf("%s %q: document of %d bytes differs at byte %d from the %d bytes written",
			what, got.Name, len(got.Doc), i, len(want.Doc))
	}
}

func getState(t *testing.T, s store.Store, name string) store.StateDoc {
	t.Helper()
	d, err := s.State(t.Context(), name)
	if err != nil {
		t.Fatalf("State(%q): %v", name, err)
	}
	return d
}

func wantNoState(t *testing.T, s store.Store, name string) {
	t.Helper()
	if d, err := s.State(t.Context(), name); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("State(%q): %d bytes, error %v; want ErrNotFound", name, len(d.Doc), err)
	}
}

// testStateRoundTrip checks that states come back byte for byte, by name,
// committed with a checkpoint, and after the store is reopened.
func testStateRoundTrip(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	in := []store.StateDoc{
		stateDoc("sigma", 1<<20),
		{Name: "json", Doc: []byte(`{"windows":[{"rule":"r1","n":3}],"nul":"\u0000"}`)},
		stateDoc("état-ü-輸液", 1),
		{Name: "empty", Doc: []byte{}},
	}
	cp := checkpoint("/log/cloudtrail.json.gz", "ab", 512, t0)
	commit(t, s, &store.Batch{Checkpoints: []store.Checkpoint{cp}, States: in})
	for _, want := range in {
		sameState(t, "State", getState(t, s, want.Name), want)
	}
	if got, err := s.Checkpoint(t.Context(), cp.Source); err != nil {
		t.Errorf("Checkpoint committed with the states: %v", err)
	} else {
		equal(t, "checkpoint committed with the states", got, cp)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	s = open(t)
	for _, want := range in {
		sameState(t, "State after reopening", getState(t, s, want.Name), want)
	}
}

func testStateNotFound(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	wantNoState(t, s, "sigma")
	commit(t, s, &store.Batch{States: []store.StateDoc{stateDoc("sigma", 10)}})
	// Names no batch can store are simply not found, on every backend.
	for _, name := range []string{"other", "", "Sigma", "sigma ", "sigma\x00", "sigma\xff"} {
		wantNoState(t, s, name)
	}
	// A state is not a baseline, and the reverse.
	wantNoBaseline(t, s, "sigma")
	commit(t, s, &store.Batch{Baselines: []store.BaselineDoc{baseline("dev-1", 10)}})
	wantNoState(t, s, "dev-1")
}

// testStateReplace checks that a commit replaces a state whole, by name,
// and leaves the others as they are.
func testStateReplace(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	commit(t, s, &store.Batch{States: []store.StateDoc{stateDoc("sigma", 5000), stateDoc("other", 100)}})
	for _, next := range []store.StateDoc{
		{Name: "sigma", Doc: []byte("short")},
		stateDoc("sigma", 70_000),
		{Name: "sigma", Doc: []byte{}},
		{Name: "sigma", Doc: []byte("again")},
	} {
		commit(t, s, &store.Batch{States: []store.StateDoc{next}})
		sameState(t, "State after replace", getState(t, s, "sigma"), next)
	}
	sameState(t, "State not replaced", getState(t, s, "other"), stateDoc("other", 100))
}

// testStateLastWins checks that of several states with one name in a
// batch, the last is written, whatever the order of the names.
func testStateLastWins(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	commit(t, s, &store.Batch{States: []store.StateDoc{
		{Name: "b", Doc: []byte("b1")},
		{Name: "a", Doc: []byte("a1")},
		{Name: "b", Doc: []byte("b2")},
		{Name: "c", Doc: []byte("c1")},
		{Name: "a", Doc: []byte("a2")},
		{Name: "b", Doc: []byte{}},
	}})
	sameState(t, "a", getState(t, s, "a"), store.StateDoc{Name: "a", Doc: []byte("a2")})
	sameState(t, "b", getState(t, s, "b"), store.StateDoc{Name: "b", Doc: []byte{}})
	sameState(t, "c", getState(t, s, "c"), store.StateDoc{Name: "c", Doc: []byte("c1")})
}

func testStateEmptyDoc(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	commit(t, s, &store.Batch{States: []store.StateDoc{{Name: "sigma", Doc: []byte{}}}})
	got := getState(t, s, "sigma")
	if got.Doc == nil || len(got.Doc) != 0 {
		t.Errorf("State of an empty document: %#v, want a non-nil empty document", got.Doc)
	}
}

// testStateInvalid checks that a batch with an invalid state is rejected
// with ErrInvalidBatch and writes nothing, its valid states included.
func testStateInvalid(t *testing.T, open func(t *testing.T) store.Store) {
	for _, tt := range []struct {
		name string
		bad  store.StateDoc
	}{
		{"empty name", store.StateDoc{Doc: []byte("x")}},
		{"nil document", store.StateDoc{Name: "nil"}},
		{"name with NUL", store.StateDoc{Name: "a\x00", Doc: []byte{}}},
		{"name not UTF-8", store.StateDoc{Name: "a\xff", Doc: []byte{}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			commit(t, s, &store.Batch{States: []store.StateDoc{{Name: "sigma", Doc: []byte("stored")}}})
			err := s.Commit(t.Context(), &store.Batch{
				Checkpoints: []store.Checkpoint{checkpoint("/log/ct.json", "ab", 1, t0)},
				States:      []store.StateDoc{{Name: "sigma", Doc: []byte("new")}, {Name: "other", Doc: []byte("x")}, tt.bad},
			})
			if !errors.Is(err, store.ErrInvalidBatch) {
				t.Fatalf("Commit: %v, want ErrInvalidBatch", err)
			}
			sameState(t, "State after the rejected batch", getState(t, s, "sigma"), store.StateDoc{Name: "sigma", Doc: []byte("stored")})
			wantNoState(t, s, "other")
			if _, err := s.Checkpoint(t.Context(), "/log/ct.json"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("Checkpoint of the rejected batch: %v, want ErrNotFound", err)
			}
		})
	}
}

// testStateRollback checks that a batch failing for another of its parts,
// before or inside the database, writes none of its states, nor its
// checkpoint: a state lands with its checkpoint or not at all.
func testStateRollback(t *testing.T, open func(t *testing.T) store.Store) {
	seed := &store.Batch{
		Checkpoints: []store.Checkpoint{checkpoint("/log/ct.json", "ab", 1, t0)},
		States:      []store.StateDoc{stateDoc("sigma", 1000), stateDoc("kept", 10)},
		Alerts:      []alert.Alert{fullAlert("key", "", t0)},
	}
	changes := func() *store.Batch {
		return &store.Batch{
			Checkpoints: []store.Checkpoint{checkpoint("/log/ct.json", "ab", 1, t0.Add(1))},
			States:      []store.StateDoc{{Name: "sigma", Doc: []byte("replaced")}, stateDoc("new", 1<<16)},
		}
	}
	tests := []struct {
		name        string
		defect      func(b *store.Batch)
		wantInvalid bool
	}{
		{"invalid device", func(b *store.Batch) { b.Devices = append(b.Devices, asset.Device{ID: "dev-x"}) }, true},
		{"invalid checkpoint", func(b *store.Batch) { b.Checkpoints = append(b.Checkpoints, store.Checkpoint{}) }, true},
		// Valid, refused by the database.
		{"sighting of a device that does not exist", func(b *store.Batch) {
			b.Sightings = append(b.Sightings, store.Sighting{DeviceID: "zzz-unknown", LastSeen: t0})
		}, true},
		{"sighting of an alert that does not exist", func(b *store.Batch) {
			b.AlertSightings = append(b.AlertSightings, store.AlertSighting{ID: "alr-unknown", Count: 2})
		}, true},
		{"dedup key of another stored alert", func(b *store.Batch) {
			other := fullAlert("key", "", t0)
			other.ID = "alr-other"
			b.Alerts = append(b.Alerts, other)
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			commit(t, s, seed)
			b := changes()
			tt.defect(b)
			err := s.Commit(t.Context(), b)
			if err == nil {
				t.Fatal("Commit succeeded, want an error")
			}
			if got := errors.Is(err, store.ErrInvalidBatch); got != tt.wantInvalid {
				t.Errorf("Commit error %q: errors.Is(ErrInvalidBatch) = %v, want %v", err, got, tt.wantInvalid)
			}
			sameState(t, "State after failed commit", getState(t, s, "sigma"), seed.States[0])
			sameState(t, "State after failed commit", getState(t, s, "kept"), seed.States[1])
			wantNoState(t, s, "new")
			if got, err := s.Checkpoint(t.Context(), "/log/ct.json"); err != nil {
				t.Errorf("Checkpoint after failed commit: %v", err)
			} else {
				equal(t, "checkpoint after failed commit", got, seed.Checkpoints[0])
			}
			// The batch without its defect lands whole.
			commit(t, s, changes())
			sameState(t, "State after the batch without defect", getState(t, s, "sigma"), changes().States[0])
			sameState(t, "State after the batch without defect", getState(t, s, "new"), changes().States[1])
			sameState(t, "State after the batch without defect", getState(t, s, "kept"), seed.States[1])
		})
	}
}
