package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/vigil-iomt/vigil/internal/store"
)

// rubricRecord returns the rubric answers of vuln on the device model
// (vendor, model), given by biomed at t0.
func rubricRecord(vuln, vendor, model string) store.RubricRecord {
	return store.RubricRecord{Vulnerability: vuln, Vendor: vendor, Model: model,
		Answers: map[string]string{"AV.network": "no", "AV.adjacent": "yes", "C.phi": "limited", "S.changed": "unknown"},
		By:      "biomed:alice", At: t0, Note: "clinical engineering review"}
}

func getRubric(t *testing.T, s store.Store, vuln, vendor, model string) store.RubricRecord {
	t.Helper()
	r, err := s.Rubric(t.Context(), vuln, vendor, model)
	if err != nil {
		t.Fatalf("Rubric(%q, %q, %q): %v", vuln, vendor, model, err)
	}
	return r
}

func rubrics(t *testing.T, s store.Store, q store.RubricQuery) []store.RubricRecord {
	t.Helper()
	out, err := s.Rubrics(t.Context(), q)
	if err != nil {
		t.Fatalf("Rubrics(%+v): %v", q, err)
	}
	if out == nil {
		t.Fatalf("Rubrics(%+v): nil, want a non-nil slice", q)
	}
	return out
}

func rubricHistory(t *testing.T, s store.Store, vuln, vendor, model string) []store.RubricRecord {
	t.Helper()
	out, err := s.RubricHistory(t.Context(), vuln, vendor, model)
	if err != nil {
		t.Fatalf("RubricHistory(%q, %q, %q): %v", vuln, vendor, model, err)
	}
	if out == nil {
		t.Fatalf("RubricHistory(%q, %q, %q): nil, want a non-nil slice", vuln, vendor, model)
	}
	return out
}

func rubricKeys(rs []store.RubricRecord) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Vulnerability + "|" + r.Vendor + "|" + r.Model
	}
	return out
}

func testRubricEmpty(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	equal(t, "rubrics of an empty store", rubrics(t, s, store.RubricQuery{}), []store.RubricRecord{})
	equal(t, "history of an empty store", rubricHistory(t, s, "CVE-1", "Acme", "Pump"), []store.RubricRecord{})
	if _, err := s.Rubric(t.Context(), "CVE-1", "Acme", "Pump"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Rubric of an empty store: %v, want ErrNotFound", err)
	}
}

func testRubricRoundTrip(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	full := rubricRecord("CVE-2024-0001", "Acme Medical", "InfusePro 3000")
	// Answers with non-ASCII text, JSON-special characters, long values.
	odd := rubricRecord("ICSMA-24-001-01", "Bäxter", "Sigma \"Spectrum\"")
	odd.Answers = map[string]string{"Q<1>": `a "quoted" \ answer`, "ß": "Ω ✓", "long": string(slices.Repeat([]byte("x"), 5000))}
	odd.Note = ""
	odd.At = t0.In(time.FixedZone("CET", 3600)) // comes back in UTC
	farPast := rubricRecord("CVE-2024-0002", "Acme Medical", "InfusePro 3000")
	farPast.At, farPast.Answers = store.MinTime, map[string]string{"one": "answer"}
	farFuture := rubricRecord("CVE-2024-0002", "Acme Medical", "InfusePro 4000")
	farFuture.At = store.MaxTime
	commit(t, s, &store.Batch{Rubric: []store.RubricRecord{odd, farFuture, full, farPast}})

	utc := odd
	utc.At = odd.At.UTC()
	for _, want := range []store.RubricRecord{full, utc, farPast, farFuture} {
		got := getRubric(t, s, want.Vulnerability, want.Vendor, want.Model)
		equal(t, "rubric "+want.Vulnerability+" "+want.Model, got, want)
		if got.At.Location() != time.UTC {
			t.Errorf("rubric %s: time in %s, want UTC", want.Vulnerability, got.At.Location())
		}
	}
	// Vendor and model are compared exactly: the caller normalizes.
	for _, k := range [][3]string{
		{"CVE-2024-0001", "acme medical", "InfusePro 3000"},
		{"CVE-2024-0001", "Acme Medical", "InfusePro 3000 "},
		{"cve-2024-0001", "Acme Medical", "InfusePro 3000"},
		{"CVE-2024-0001", "Acme Medical\xff", "InfusePro 3000"}, // not storable: not found, not an error
	} {
		if _, err := s.Rubric(t.Context(), k[0], k[1], k[2]); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Rubric(%q, %q, %q): %v, want ErrNotFound", k[0], k[1], k[2], err)
		}
	}
	// Ordered by vulnerability, vendor, model.
	equal(t, "rubrics", rubrics(t, s, store.RubricQuery{}), []store.RubricRecord{full, farPast, farFuture, utc})
	equal(t, "history of records written once", rubricHistory(t, s, full.Vulnerability, full.Vendor, full.Model), []store.RubricRecord{})
}

func testRubricUpsertHistory(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	const vuln, vendor, model = "CVE-2024-0001", "Acme Medical", "InfusePro 3000"
	first := rubricRecord(vuln, vendor, model)
	other := rubricRecord(vuln, vendor, "InfusePro 4000") // another model: its own history
	commit(t, s, &store.Batch{Rubric: []store.RubricRecord{first, other}})

	second := first
	second.Answers = map[string]string{"AV.network": "yes", "AV.adjacent": "yes", "C.phi": "high"} // one answer fewer
	second.By, second.At, second.Note = "biomed:bob", t0.Add(time.Hour), "the pump talks to the EHR"
	commit(t, s, &store.Batch{Rubric: []store.RubricRecord{second}})
	equal(t, "answers in force after the second write", getRubric(t, s, vuln, vendor, model), second)
	equal(t, "history after the second write", rubricHistory(t, s, vuln, vendor, model), []store.RubricRecord{first})

	// Writing the answers in force again is a no-op: no history.
	commit(t, s, &store.Batch{Rubric: []store.RubricRecord{second}})
	equal(t, "history after the same write", rubricHistory(t, s, vuln, vendor, model), []store.RubricRecord{first})

	// Only the time differs: a new answer set, the old one archived.
	third := second
	third.At = t0.Add(2 * time.Hour)
	// Two records of the key in one batch: the last is written, the
	// other not kept.
	skipped := rubricRecord(vuln, vendor, model)
	skipped.By = "never"
	commit(t, s, &store.Batch{Rubric: []store.RubricRecord{skipped, third}})
	equal(t, "answers in force after the third write", getRubric(t, s, vuln, vendor, model), third)

	// An answer changes back: history keeps every replaced set, oldest first.
	fourth := first
	fourth.At = t0.Add(3 * time.Hour)
	commit(t, s, &store.Batch{Rubric: []store.RubricRecord{fourth}})
	equal(t, "answers in force after the fourth write", getRubric(t, s, vuln, vendor, model), fourth)
	equal(t, "history", rubricHistory(t, s, vuln, vendor, model), []store.RubricRecord{first, second, third})
	equal(t, "other model", getRubric(t, s, vuln, vendor, other.Model), other)
	equal(t, "other model's history", rubricHistory(t, s, vuln, vendor, other.Model), []store.RubricRecord{})
	equal(t, "rubrics", rubrics(t, s, store.RubricQuery{}), []store.RubricRecord{fourth, other})
}

func testRubricsQuery(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	var all []store.RubricRecord
	for _, v := range []string{"CVE-2024-0002", "CVE-2024-0001", "GHSA-xxxx"} {
		for _, vm := range [][2]string{{"acme", "pump"}, {"Acme", "pump"}, {"Acme", "Pump"}, {"Zeta", "pump"}} {
			all = append(all, rubricRecord(v, vm[0], vm[1]))
		}
	}
	commit(t, s, &store.Batch{Rubric: all})
	// Byte order: upper case before lower case.
	byKey := func(q store.RubricQuery) []string { return rubricKeys(rubrics(t, s, q)) }
	tests := []struct {
		q    store.RubricQuery
		want []string
	}{
		{store.RubricQuery{}, []string{
			"CVE-2024-0001|Acme|Pump", "CVE-2024-0001|Acme|pump", "CVE-2024-0001|Zeta|pump", "CVE-2024-0001|acme|pump",
			"CVE-2024-0002|Acme|Pump", "CVE-2024-0002|Acme|pump", "CVE-2024-0002|Zeta|pump", "CVE-2024-0002|acme|pump",
			"GHSA-xxxx|Acme|Pump", "GHSA-xxxx|Acme|pump", "GHSA-xxxx|Zeta|pump", "GHSA-xxxx|acme|pump"}},
		{store.RubricQuery{Vulnerability: "CVE-2024-0002"}, []string{
			"CVE-2024-0002|Acme|Pump", "CVE-2024-0002|Acme|pump", "CVE-2024-0002|Zeta|pump", "CVE-2024-0002|acme|pump"}},
		{store.RubricQuery{Vendor: "Acme"}, []string{
			"CVE-2024-0001|Acme|Pump", "CVE-2024-0001|Acme|pump", "CVE-2024-0002|Acme|Pump", "CVE-2024-0002|Acme|pump",
			"GHSA-xxxx|Acme|Pump", "GHSA-xxxx|Acme|pump"}},
		{store.RubricQuery{Model: "pump"}, []string{
			"CVE-2024-0001|Acme|pump", "CVE-2024-0001|Zeta|pump", "CVE-2024-0001|acme|pump",
			"CVE-2024-0002|Acme|pump", "CVE-2024-0002|Zeta|pump", "CVE-2024-0002|acme|pump",
			"GHSA-xxxx|Acme|pump", "GHSA-xxxx|Zeta|pump", "GHSA-xxxx|acme|pump"}},
		{store.RubricQuery{Vendor: "Acme", Model: "Pump"}, []string{"CVE-2024-0001|Acme|Pump", "CVE-2024-0002|Acme|Pump", "GHSA-xxxx|Acme|Pump"}},
		{store.RubricQuery{Vulnerability: "GHSA-xxxx", Vendor: "acme", Model: "pump"}, []string{"GHSA-xxxx|acme|pump"}},
		{store.RubricQuery{Vulnerability: "CVE-2024-0003"}, []string{}},
		{store.RubricQuery{Vendor: "ACME"}, []string{}},
		{store.RubricQuery{Model: "pump\x00"}, []string{}}, // not storable: no match, not an error
		{store.RubricQuery{Vendor: "\xff"}, []string{}},
	}
	for _, tt := range tests {
		equal(t, fmt.Sprintf("Rubrics(%+v)", tt.q), byKey(tt.q), tt.want)
	}
	if got := rubricHistory(t, s, "CVE-2024-0001", "\xff", "pump"); len(got) != 0 {
		t.Errorf("history of an unstorable key: %d records, want none", len(got))
	}
}

func testRubricConcurrent(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			r := rubricRecord("CVE-2024-0001", "Acme", "Pump")
			r.By, r.At = fmt.Sprintf("user-%d", i), t0.Add(time.Duration(i)*time.Minute)
			errs[i] = s.Commit(t.Context(), &store.Batch{Rubric: []store.RubricRecord{r}})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("commit %d: %v", i, err)
		}
	}
	// Every write but the last is in the history, once.
	all := append(rubricHistory(t, s, "CVE-2024-0001", "Acme", "Pump"), getRubric(t, s, "CVE-2024-0001", "Acme", "Pump"))
	var by []string
	for _, r := range all {
		by = append(by, r.By)
	}
	slices.Sort(by)
	want := make([]string, n)
	for i := range want {
		want[i] = fmt.Sprintf("user-%d", i)
	}
	equal(t, "writers in history and in force", by, want)
}

func testRubricInvalidBatch(t *testing.T, open func(t *testing.T) store.Store) {
	bad := []struct {
		name   string
		defect func(b *store.Batch)
	}{
		{"without vulnerability", func(b *store.Batch) { b.Rubric[1].Vulnerability = "" }},
		{"without vendor", func(b *store.Batch) { b.Rubric[1].Vendor = "" }},
		{"without model", func(b *store.Batch) { b.Rubric[1].Model = "" }},
		{"without by", func(b *store.Batch) { b.Rubric[1].By = "" }},
		{"model with NUL", func(b *store.Batch) { b.Rubric[1].Model = "p\x00" }},
		{"note not UTF-8", func(b *store.Batch) { b.Rubric[1].Note = "\xff" }},
		{"no answers", func(b *store.Batch) { b.Rubric[1].Answers = nil }},
		{"empty question", func(b *store.Batch) { b.Rubric[1].Answers[""] = "yes" }},
		{"empty answer", func(b *store.Batch) { b.Rubric[1].Answers["q"] = "" }},
		{"answer with NUL", func(b *store.Batch) { b.Rubric[1].Answers["q"] = "a\x00" }},
		{"zero time", func(b *store.Batch) { b.Rubric[1].At = time.Time{} }},
		{"time out of range", func(b *store.Batch) { b.Rubric[1].At = store.MaxTime.Add(1) }},
		{"invalid device", func(b *store.Batch) { b.Sightings = []store.Sighting{{DeviceID: "dev-unknown"}} }}, // another table, found by the database
		{"unknown finding gone", func(b *store.Batch) { b.FindingsGone = []store.FindingGone{{ID: "fnd-unknown", At: t0}} }},
	}
	s := open(t)
	a := rubricRecord("CVE-2024-0001", "Acme", "Pump")
	commit(t, s, &store.Batch{Rubric: []store.RubricRecord{a}})
	type rubricState struct{ InForce, History []store.RubricRecord }
	snap := func() rubricState {
		return rubricState{rubrics(t, s, store.RubricQuery{}), rubricHistory(t, s, a.Vulnerability, a.Vendor, a.Model)}
	}
	want := snap()
	changes := func() *store.Batch {
		a2, b := a, rubricRecord("CVE-2024-0002", "Acme", "Pump")
		a2.Answers, a2.By, a2.At = map[string]string{"q": "changed"}, "bob", t0.Add(time.Hour)
		return &store.Batch{Rubric: []store.RubricRecord{a2, b}}
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			b := changes()
			tt.defect(b)
			if err := s.Commit(t.Context(), b); !errors.Is(err, store.ErrInvalidBatch) {
				t.Errorf("Commit: error %v, want ErrInvalidBatch", err)
			}
			equal(t, "rubric after the rejected batch", snap(), want)
		})
	}
	t.Run("canceled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if err := s.Commit(ctx, changes()); err == nil {
			t.Error("Commit with a canceled context succeeded")
		}
		equal(t, "rubric after the canceled batch", snap(), want)
	})
	// The same changes, valid, land.
	commit(t, s, changes())
	got := snap()
	if len(got.InForce) != 2 || len(got.History) != 1 {
		t.Errorf("after the valid batch: %d records in force, %d in history; want 2, 1", len(got.InForce), len(got.History))
	}
}
