package storetest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/vigil-iomt/vigil/internal/store"
)

// finding returns the finding of vuln in component of device, decided
// decision, with a JSON document, assessed at t0 and due as the decision's
// default SLA says.
func finding(device, vuln, component, decision string) store.FindingRecord {
	id := store.DocHash([]byte(device + "\x00" + vuln + "\x00" + component))[:24]
	due := map[string]time.Time{"immediate": t0.AddDate(0, 0, 2), "out-of-cycle": t0.AddDate(0, 0, 14),
		"scheduled": t0.AddDate(0, 0, 90)}[decision]
	doc := fmt.Appendf(nil, `{"device_id":%q,"vulnerability":%q,"component":%q,"decision":%q,"reasons":["exploitation: active"]}`,
		device, vuln, component, decision)
	return store.FindingRecord{ID: "fnd-" + id, DeviceID: device, Vulnerability: vuln, Component: component,
		Decision: decision, CVSS: 9.8, KEV: decision == "immediate", EPSS: 0.97123, Assessed: t0, Doc: doc, Due: due}
}

// produced is f as Commit stores it: with no patch state of its own.
func produced(f store.FindingRecord) store.FindingRecord {
	f.State, f.History, f.Gone = "", nil, time.Time{}
	return f
}

func getFinding(t *testing.T, s store.Store, id string) store.FindingRecord {
	t.Helper()
	f, err := s.Finding(t.Context(), id)
	if err != nil {
		t.Fatalf("Finding(%q): %v", id, err)
	}
	return f
}

func findings(t *testing.T, s store.Store, q store.FindingQuery) []store.FindingRecord {
	t.Helper()
	out, err := s.Findings(t.Context(), q)
	if err != nil {
		t.Fatalf("Findings(%+v): %v", q, err)
	}
	if out == nil {
		t.Fatalf("Findings(%+v): nil, want a non-nil slice", q)
	}
	return out
}

// allFindings is every stored finding, suppressed and gone included.
func allFindings(t *testing.T, s store.Store) []store.FindingRecord {
	t.Helper()
	return findings(t, s, store.FindingQuery{IncludeSuppressed: true, IncludeGone: true})
}

func setPatch(t *testing.T, s store.Store, id string, c store.PatchChange, due time.Time) {
	t.Helper()
	if err := s.SetPatchState(t.Context(), id, c, due); err != nil {
		t.Fatalf("SetPatchState(%q, %+v): %v", id, c, err)
	}
}

func findingIDs(fs []store.FindingRecord) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.ID
	}
	return out
}

func testFindingRoundTrip(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	full := finding("dev-1", "CVE-2024-0001", "pkg:generic/openssl@1.1.1k", "immediate")
	device := finding("dev-1", "ICSMA-24-001-01", "", "defer") // a CSAF product finding: no component
	device.CVSS, device.EPSS, device.Due = 0, 0, time.Time{}
	device.Doc = []byte{}
	far := finding("dev-2", "GHSA-aaaa-bbbb-cccc", "pkg:npm/x@1", "scheduled")
	far.Assessed, far.Due = store.MinTime, store.MaxTime
	far.CVSS, far.EPSS = 10, 1
	far.Suppressed = true
	far.Doc = []byte("\x00\xff not JSON") // stored byte for byte
	local := finding("dev-3", "CVE-2024-0002", "pkg:pypi/y@2", "out-of-cycle")
	local.Assessed, local.Due = t0.In(time.FixedZone("CET", 3600)), local.Due.In(time.FixedZone("CET", 3600))
	local.CVSS, local.EPSS = 7.123456789012345, 0.000123456789
	// State, History and Gone are read-only on Commit: ignored.
	ignored := finding("dev-4", "CVE-2024-0003", "c", "scheduled")
	ignored.State, ignored.Gone = "deployed", t0
	ignored.History = []store.PatchChange{{At: t0, To: "deployed", By: "x"}}
	commit(t, s, &store.Batch{Findings: []store.FindingRecord{full, device, far, local, ignored}})

	utc := local
	utc.Assessed, utc.Due = local.Assessed.UTC(), local.Due.UTC()
	for _, want := range []store.FindingRecord{full, device, far, utc, produced(ignored)} {
		equal(t, "finding "+want.Vulnerability, getFinding(t, s, want.ID), want)
	}
	if got := getFinding(t, s, device.ID); got.Doc == nil {
		t.Error("an empty document read back nil")
	}
	equal(t, "findings", allFindings(t, s), []store.FindingRecord{full, utc, far, produced(ignored), device}) // by decision rank
}

func testFindingUpsertKeepsPatchState(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	f := finding("dev-1", "CVE-2024-0001", "openssl", "immediate")
	commit(t, s, &store.Batch{Findings: []store.FindingRecord{f}})
	changes := []store.PatchChange{
		{At: t0.Add(time.Hour), To: "available", By: "feed:vendor", Note: "fix in 2.4.1"},
		{At: t0.Add(2 * time.Hour), To: "validated", By: "biomed"},
	}
	for _, c := range changes {
		setPatch(t, s, f.ID, c, time.Time{})
	}
	changes[1].From = "available"

	// The re-assessment says something else: a VEX statement, a lower
	// decision, new scores, a new document; the patch state stays.
	again := f
	again.Decision, again.Suppressed, again.CVSS, again.KEV, again.EPSS = "scheduled", true, 5.5, false, 0.01
	again.Assessed, again.Doc, again.Due = t0.Add(24*time.Hour), []byte(`{"again":true}`), t0.AddDate(0, 0, 91)
	again.State, again.History = "verified", nil // ignored
	commit(t, s, &store.Batch{Findings: []store.FindingRecord{again}})
	want := again
	want.State, want.History = "validated", changes
	equal(t, "re-assessed finding", getFinding(t, s, f.ID), want)

	// The same re-assessment again changes nothing.
	commit(t, s, &store.Batch{Findings: []store.FindingRecord{again}})
	equal(t, "finding re-committed", getFinding(t, s, f.ID), want)
}

func testFindingDue(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	f := finding("dev-1", "CVE-2024-0001", "openssl", "immediate")
	none := finding("dev-1", "CVE-2024-0002", "openssl", "defer") // Defer has no SLA
	commit(t, s, &store.Batch{Findings: []store.FindingRecord{f, none}})
	due := func(id string) time.Time { return getFinding(t, s, id).Due }
	if got := due(f.ID); !got.Equal(f.Due) {
		t.Errorf("new finding due %s, want %s", got, f.Due)
	}
	if got := due(none.ID); !got.IsZero() {
		t.Errorf("new finding without a due date: due %s, want zero", got)
	}

	steps := []struct {
		name string
		do   func()
		want time.Time
	}{
		{"re-assessed without a due date: kept", func() {
			g := f
			g.Due = time.Time{}
			commit(t, s, &store.Batch{Findings: []store.FindingRecord{g}})
		}, f.Due},
		{"re-assessed with one: replaced", func() {
			g := f
			g.Due = t0.AddDate(0, 0, 14)
			commit(t, s, &store.Batch{Findings: []store.FindingRecord{g}})
		}, t0.AddDate(0, 0, 14)},
		{"patch state with a due date: set", func() {
			setPatch(t, s, f.ID, store.PatchChange{At: t0, To: "scheduled", By: "biomed"}, t0.AddDate(0, 1, 0))
		}, t0.AddDate(0, 1, 0)},
		{"patch state without one: kept", func() {
			setPatch(t, s, f.ID, store.PatchChange{At: t0, To: "deployed", By: "biomed"}, time.Time{})
		}, t0.AddDate(0, 1, 0)},
		{"re-assessed without a due date after a patch state: kept", func() {
			g := f
			g.Due = time.Time{}
			commit(t, s, &store.Batch{Findings: []store.FindingRecord{g}})
		}, t0.AddDate(0, 1, 0)},
		{"far due date", func() {
			setPatch(t, s, f.ID, store.PatchChange{At: t0, To: "deployed", By: "biomed"}, store.MaxTime)
		}, store.MaxTime},
	}
	for _, st := range steps {
		st.do()
		if got := due(f.ID); !got.Equal(st.want) || got.Location() != time.UTC {
			t.Errorf("%s: due %s, want %s in UTC", st.name, got, st.want)
		}
	}
	if got := getFinding(t, s, f.ID); got.State != "deployed" || len(got.History) != 3 {
		t.Errorf("after the due date steps: state %q, %d changes; want deployed, 3", got.State, len(got.History))
	}
}

func testFindingsGone(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	a := finding("dev-1", "CVE-2024-0001", "openssl", "immediate")
	b := finding("dev-1", "CVE-2024-0002", "zlib", "scheduled")
	c := finding("dev-2", "CVE-2024-0001", "openssl", "out-of-cycle")
	commit(t, s, &store.Batch{Findings: []store.FindingRecord{a, b, c}})
	ch := store.PatchChange{At: t0.Add(time.Hour), To: "available", By: "feed"}
	setPatch(t, s, a.ID, ch, time.Time{})

	// a is gone (marked twice: the last wins), and c with it.
	goneAt := t0.Add(48 * time.Hour)
	commit(t, s, &store.Batch{Findings: []store.FindingRecord{b},
		FindingsGone: []store.FindingGone{{ID: a.ID, At: t0.Add(24 * time.Hour)}, {ID: c.ID, At: goneAt}, {ID: a.ID, At: goneAt}}})
	wantA := a
	wantA.State, wantA.History, wantA.Gone = "available", []store.PatchChange{ch}, goneAt
	wantC := c
	wantC.Gone = goneAt
	equal(t, "gone finding", getFinding(t, s, a.ID), wantA)
	equal(t, "findings produced", findingIDs(findings(t, s, store.FindingQuery{})), []string{b.ID})
	equal(t, "findings with the gone", findings(t, s, store.FindingQuery{IncludeGone: true}), []store.FindingRecord{wantA, wantC, b})

	// A gone finding keeps taking patch states.
	ch2 := store.PatchChange{At: t0.Add(72 * time.Hour), From: "x", To: "not-applicable", By: "biomed", Note: "device retired"}
	setPatch(t, s, c.ID, ch2, time.Time{})
	ch2.From = ""
	wantC.State, wantC.History = "not-applicable", []store.PatchChange{ch2}
	equal(t, "gone finding after a patch state", getFinding(t, s, c.ID), wantC)

	// An unknown ID fails the whole batch.
	before := allFindings(t, s)
	err := s.Commit(t.Context(), &store.Batch{Findings: []store.FindingRecord{finding("dev-9", "CVE-9", "x", "defer")},
		FindingsGone: []store.FindingGone{{ID: b.ID, At: goneAt}, {ID: "fnd-unknown", At: goneAt}}})
	if !errors.Is(err, store.ErrInvalidBatch) {
		t.Errorf("Commit with an unknown finding gone: error %v, want ErrInvalidBatch", err)
	}
	equal(t, "findings after the failed batch", allFindings(t, s), before)

	// Produced again, a is revived with its patch state.
	again := a
	again.Assessed, again.Due = t0.Add(96*time.Hour), time.Time{}
	commit(t, s, &store.Batch{Findings: []store.FindingRecord{again}})
	wantA.Assessed, wantA.Gone = again.Assessed, time.Time{}
	equal(t, "revived finding", getFinding(t, s, a.ID), wantA)
	equal(t, "findings produced after the revival", findingIDs(findings(t, s, store.FindingQuery{})), []string{a.ID, b.ID})
}

func testFindingsQuery(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	// Inserted out of order; IDs that sort against the order of the
	// columns, to tell the sort keys apart.
	fs := []store.FindingRecord{
		finding("dev-2", "CVE-2024-0001", "b", "defer"),
		finding("dev-1", "CVE-2024-0002", "a", "scheduled"),
		finding("dev-2", "CVE-2024-0001", "a", "immediate"),
		finding("dev-1", "CVE-2024-0003", "", "immediate"),
		finding("dev-1", "CVE-2024-0001", "z", "immediate"),
		finding("dev-3", "CVE-2024-0001", "a", "out-of-cycle"),
		finding("dev-1", "CVE-2024-0001", "a", "scheduled"),
		finding("Dev-9", "CVE-2024-0001", "a", "scheduled"), // byte order: upper case first
		finding("dev-1", "CVE-2024-0003", "a", "immediate"),
	}
	fs[0].ID, fs[1].ID, fs[2].ID = "fnd-z", "fnd-y", "fnd-x"
	fs[3].ID, fs[8].ID = "fnd-b", "fnd-a" // the component sorts them, not the ID
	suppressed := finding("dev-1", "CVE-2024-0009", "a", "immediate")
	suppressed.Suppressed = true
	gone := finding("dev-1", "CVE-2024-0008", "a", "immediate")
	commit(t, s, &store.Batch{Findings: append(slices.Clone(fs), suppressed, gone)})
	commit(t, s, &store.Batch{FindingsGone: []store.FindingGone{{ID: gone.ID, At: t0}}})
	setPatch(t, s, fs[2].ID, store.PatchChange{At: t0, To: "scheduled", By: "biomed"}, time.Time{})
	setPatch(t, s, fs[6].ID, store.PatchChange{At: t0, To: "scheduled", By: "biomed"}, time.Time{})
	setPatch(t, s, gone.ID, store.PatchChange{At: t0, To: "scheduled", By: "biomed"}, time.Time{})

	order := []store.FindingRecord{fs[4], fs[3], fs[8], fs[2], fs[5], fs[7], fs[6], fs[1], fs[0]}
	ids := func(fs ...store.FindingRecord) []string { return findingIDs(fs) }
	tests := []struct {
		name string
		q    store.FindingQuery
		want []string
	}{
		{"all produced, by decision rank, device, vulnerability, component", store.FindingQuery{}, ids(order...)},
		{"limit", store.FindingQuery{Limit: 3}, ids(order[:3]...)},
		{"device", store.FindingQuery{DeviceID: "dev-1"}, ids(fs[4], fs[3], fs[8], fs[6], fs[1])},
		{"decision", store.FindingQuery{Decision: "scheduled"}, ids(fs[7], fs[6], fs[1])},
		{"vulnerability", store.FindingQuery{Vulnerability: "CVE-2024-0001"}, ids(fs[4], fs[2], fs[5], fs[7], fs[6], fs[0])},
		{"state", store.FindingQuery{State: "scheduled"}, ids(fs[2], fs[6])},
		{"state, gone included", store.FindingQuery{State: "scheduled", IncludeGone: true}, ids(gone, fs[2], fs[6])},
		{"suppressed included", store.FindingQuery{DeviceID: "dev-1", Decision: "immediate", IncludeSuppressed: true},
			ids(fs[4], fs[3], fs[8], suppressed)},
		{"everything", store.FindingQuery{DeviceID: "dev-1", Decision: "immediate", IncludeSuppressed: true, IncludeGone: true},
			ids(fs[4], fs[3], fs[8], gone, suppressed)},
		{"all filters", store.FindingQuery{DeviceID: "dev-1", Decision: "scheduled", Vulnerability: "CVE-2024-0001", State: "scheduled"},
			ids(fs[6])},
		{"no match", store.FindingQuery{DeviceID: "dev-1", Decision: "defer"}, []string{}},
		{"unknown state", store.FindingQuery{State: "Scheduled"}, []string{}},
		{"unstorable device", store.FindingQuery{DeviceID: "dev\x00"}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			equal(t, "findings", findingIDs(findings(t, s, tt.q)), tt.want)
		})
	}
	// Listed findings carry their histories.
	got := findings(t, s, store.FindingQuery{State: "scheduled"})
	if len(got) != 2 || len(got[0].History) != 1 || len(got[1].History) != 1 || got[0].History[0].To != "scheduled" {
		t.Errorf("findings in state scheduled: histories not read with them: %+v", got)
	}
	for _, q := range []store.FindingQuery{{Decision: "Immediate"}, {Decision: "none"}, {Limit: -1}} {
		if _, err := s.Findings(t.Context(), q); err == nil {
			t.Errorf("Findings(%+v) succeeded, want an error", q)
		}
	}
}

func testPatchStateHistory(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	f := finding("dev-1", "CVE-2024-0001", "openssl", "immediate")
	other := finding("dev-1", "CVE-2024-0002", "zlib", "immediate")
	commit(t, s, &store.Batch{Findings: []store.FindingRecord{f, other}})
	changes := []store.PatchChange{
		{At: t0.Add(3 * time.Hour), From: "verified" /* ignored */, To: "available", By: "feed:vendor"},
		{At: t0.Add(time.Hour), To: "validated", By: "biomed", Note: "tested on a bench pump"}, // earlier time: stays in the order made
		{At: t0.Add(time.Hour), To: "validated", By: "biomed", Note: "same state again"},       // a no-op change is still history
		{To: "scheduled", By: "policy:window"},                                                 // no time
		{At: store.MaxTime, To: "deployed", By: "biomed"},
		{At: store.MinTime, To: "verified", By: "biomed", Note: "version 2.4.1 reported"},
	}
	for _, c := range changes {
		setPatch(t, s, f.ID, c, time.Time{})
	}
	from := []string{"", "available", "validated", "validated", "scheduled", "deployed"}
	for i := range changes {
		changes[i].From = from[i]
	}
	want := f
	want.State, want.History = "verified", changes
	equal(t, "finding after its changes", getFinding(t, s, f.ID), want)
	equal(t, "other finding", getFinding(t, s, other.ID), other)
	// Survives a re-assessment, and reads back the same from Findings.
	commit(t, s, &store.Batch{Findings: []store.FindingRecord{f}})
	equal(t, "findings", findings(t, s, store.FindingQuery{}), []store.FindingRecord{want, other})
}

func testPatchStateInvalid(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	f := finding("dev-1", "CVE-2024-0001", "openssl", "immediate")
	commit(t, s, &store.Batch{Findings: []store.FindingRecord{f}})
	setPatch(t, s, f.ID, store.PatchChange{At: t0, To: "available", By: "feed"}, time.Time{})
	want := getFinding(t, s, f.ID)

	ok := store.PatchChange{At: t0, To: "validated", By: "biomed"}
	if err := s.SetPatchState(t.Context(), "fnd-unknown", ok, time.Time{}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetPatchState of an unknown finding: error %v, want ErrNotFound", err)
	}
	if err := s.SetPatchState(t.Context(), "fnd-\x00", ok, time.Time{}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetPatchState of an unstorable ID: error %v, want ErrNotFound", err)
	}
	if _, err := s.Finding(t.Context(), "fnd-unknown"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Finding(unknown): error %v, want ErrNotFound", err)
	}
	if _, err := s.Finding(t.Context(), "\xff"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Finding(unstorable): error %v, want ErrNotFound", err)
	}
	bad := []struct {
		name string
		c    store.PatchChange
		due  time.Time
	}{
		{"empty to", store.PatchChange{At: t0, By: "biomed"}, time.Time{}},
		{"empty by", store.PatchChange{At: t0, To: "validated"}, time.Time{}},
		{"to with NUL", store.PatchChange{At: t0, To: "validated\x00", By: "biomed"}, time.Time{}},
		{"note not UTF-8", store.PatchChange{At: t0, To: "validated", By: "biomed", Note: "\xff"}, time.Time{}},
		{"time out of range", store.PatchChange{At: store.MaxTime.Add(1), To: "validated", By: "biomed"}, time.Time{}},
		{"due out of range", ok, store.MinTime.Add(-1)},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.SetPatchState(t.Context(), f.ID, tt.c, tt.due); !errors.Is(err, store.ErrInvalidBatch) {
				t.Errorf("SetPatchState: error %v, want ErrInvalidBatch", err)
			}
			equal(t, "finding after the rejected change", getFinding(t, s, f.ID), want)
		})
	}
	t.Run("canceled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if err := s.SetPatchState(ctx, f.ID, ok, t0); err == nil {
			t.Error("SetPatchState with a canceled context succeeded")
		}
		equal(t, "finding after the canceled change", getFinding(t, s, f.ID), want)
	})
}

// testPatchStateConcurrent changes one finding's patch state from several
// goroutines: every change lands, each From is the state the change before
// it set.
func testPatchStateConcurrent(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	f := finding("dev-1", "CVE-2024-0001", "openssl", "immediate")
	commit(t, s, &store.Batch{Findings: []store.FindingRecord{f}})
	const n = 8
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			to := []string{"available", "validated", "scheduled", "deployed"}[i%4]
			if err := s.SetPatchState(t.Context(), f.ID, store.PatchChange{At: t0, To: to, By: fmt.Sprint("user-", i)},
				t0.Add(time.Duration(i)*time.Hour)); err != nil {
				t.Errorf("SetPatchState: %v", err)
			}
		})
	}
	wg.Wait()
	got := getFinding(t, s, f.ID)
	if len(got.History) != n {
		t.Fatalf("history has %d changes, want %d", len(got.History), n)
	}
	if got.History[0].From != "" {
		t.Errorf("history[0].From = %q, want empty (no state before it)", got.History[0].From)
	}
	for i := 1; i < n; i++ {
		if got.History[i].From != got.History[i-1].To {
			t.Errorf("history[%d].From = %q, want %q (the state before it)", i, got.History[i].From, got.History[i-1].To)
		}
	}
	if last := got.History[n-1]; got.State != last.To || got.Due.Sub(t0)%time.Hour != 0 {
		t.Errorf("state %q due %s, want %q (the last change)", got.State, got.Due, last.To)
	}
}

// testFindingsInvalidBatch commits batches Validate rejects, or the
// database refuses, each with valid changes besides the defect: none
// changes anything.
func testFindingsInvalidBatch(t *testing.T, open func(t *testing.T) store.Store) {
	bad := []struct {
		name   string
		defect func(b *store.Batch)
	}{
		{"finding without id", func(b *store.Batch) { b.Findings[0].ID = "" }},
		{"finding without device", func(b *store.Batch) { b.Findings[0].DeviceID = "" }},
		{"finding without vulnerability", func(b *store.Batch) { b.Findings[0].Vulnerability = "" }},
		{"finding component with NUL", func(b *store.Batch) { b.Findings[0].Component = "a\x00" }},
		{"finding id not UTF-8", func(b *store.Batch) { b.Findings[0].ID = "\xff" }},
		{"finding unknown decision", func(b *store.Batch) { b.Findings[0].Decision = "Immediate" }},
		{"finding without decision", func(b *store.Batch) { b.Findings[0].Decision = "" }},
		{"finding cvss above 10", func(b *store.Batch) { b.Findings[0].CVSS = 10.1 }},
		{"finding cvss NaN", func(b *store.Batch) { b.Findings[0].CVSS = math.NaN() }},
		{"finding epss negative", func(b *store.Batch) { b.Findings[0].EPSS = -0.1 }},
		{"finding assessed out of range", func(b *store.Batch) { b.Findings[0].Assessed = store.MaxTime.Add(1) }},
		{"finding due out of range", func(b *store.Batch) { b.Findings[0].Due = store.MinTime.Add(-1) }},
		{"finding nil document", func(b *store.Batch) { b.Findings[0].Doc = nil }},
		{"gone without id", func(b *store.Batch) { b.FindingsGone[0].ID = "" }},
		{"gone at zero", func(b *store.Batch) { b.FindingsGone[0].At = time.Time{} }},
		{"gone out of range", func(b *store.Batch) { b.FindingsGone[0].At = store.MaxTime.Add(1) }},
		{"gone and written", func(b *store.Batch) { b.FindingsGone[0].ID = b.Findings[0].ID }},
		{"gone unknown", func(b *store.Batch) { b.FindingsGone[0].ID = "fnd-unknown" }},                        // found by the database
		{"invalid device", func(b *store.Batch) { b.Sightings = []store.Sighting{{DeviceID: "dev-unknown"}} }}, // another table
	}
	s := open(t)
	a := finding("dev-1", "CVE-2024-0001", "openssl", "immediate")
	b := finding("dev-1", "CVE-2024-0002", "zlib", "scheduled")
	c := finding("dev-2", "CVE-2024-0001", "openssl", "out-of-cycle")
	commit(t, s, &store.Batch{Findings: []store.FindingRecord{a, b, c}})
	setPatch(t, s, a.ID, store.PatchChange{At: t0, To: "available", By: "feed"}, time.Time{})
	want := allFindings(t, s)
	changes := func() *store.Batch {
		a2, d := a, finding("dev-3", "CVE-2024-0003", "x", "defer")
		a2.Decision, a2.Assessed, a2.Due = "defer", t0.Add(time.Hour), t0.AddDate(1, 0, 0)
		return &store.Batch{Findings: []store.FindingRecord{a2, d}, FindingsGone: []store.FindingGone{{ID: b.ID, At: t0}, {ID: c.ID, At: t0}}}
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			b := changes()
			tt.defect(b)
			if err := s.Commit(t.Context(), b); !errors.Is(err, store.ErrInvalidBatch) {
				t.Errorf("Commit: error %v, want ErrInvalidBatch", err)
			}
			equal(t, "findings after the rejected batch", allFindings(t, s), want)
		})
	}
	t.Run("canceled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if err := s.Commit(ctx, changes()); err == nil {
			t.Error("Commit with a canceled context succeeded")
		}
		equal(t, "findings after the canceled batch", allFindings(t, s), want)
	})
	// The same changes, valid, land.
	commit(t, s, changes())
	if got := findings(t, s, store.FindingQuery{}); len(got) != 2 {
		t.Errorf("after the valid batch: %d findings produced, want 2", len(got))
	}
}

func testFindingsEmpty(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	equal(t, "findings of an empty store", findings(t, s, store.FindingQuery{IncludeGone: true, IncludeSuppressed: true}), []store.FindingRecord{})
	if _, err := s.Finding(t.Context(), "fnd-1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Finding in an empty store: error %v, want ErrNotFound", err)
	}
	if (&store.Batch{FindingsGone: []store.FindingGone{{ID: "x", At: t0}}}).Empty() || (&store.Batch{Findings: make([]store.FindingRecord, 1)}).Empty() {
		t.Error("a batch of findings or findings gone is Empty")
	}
}
