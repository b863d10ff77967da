package storetest

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-iomt/vigil/internal/alert"
	"github.com/vigil-iomt/vigil/internal/store"
)

// reopenNote is the note of the history entry of a resolved alert
// reopened by a commit that brought more occurrences of it, the last at
// last.
func reopenNote(more int64, last time.Time) string {
	return fmt.Sprintf("occurred again: %d more occurrence(s), the last at %s", more, last.UTC().Format(time.RFC3339))
}

// resolve resolves the alert a, stored as fullAlert makes it, and
// returns it as the store should then hold it.
func resolve(t *testing.T, s store.Store, a alert.Alert, at time.Time) alert.Alert {
	t.Helper()
	c := alert.StatusChange{At: at, To: alert.Resolved, By: "engineer", Note: "patched"}
	setStatus(t, s, a.ID, c)
	c.From = a.Status
	a.Status = alert.Resolved
	a.History = append(a.History[:len(a.History):len(a.History)], c)
	return a
}

// commitTimed commits b and returns the times just before and after.
func commitTimed(t *testing.T, s store.Store, b *store.Batch) (before, after time.Time) {
	t.Helper()
	before = time.Now()
	commit(t, s, b)
	return before, time.Now()
}

// checkReopened checks that got, read back after a commit that ran
// within [before, after], is want reopened: status open, and its history
// want's followed by one entry by "vigil" from resolved to open, with
// note, at a time within [before, after]. It returns that entry.
func checkReopened(t *testing.T, got, want alert.Alert, note string, before, after time.Time) alert.StatusChange {
	t.Helper()
	if len(got.History) != len(want.History)+1 {
		equal(t, "reopened alert", got, want)
		t.Fatalf("history has %d entries, want %d (one more)", len(got.History), len(want.History)+1)
	}
	e := got.History[len(got.History)-1]
	if e.From != alert.Resolved || e.To != alert.Open || e.By != "vigil" {
		t.Errorf("reopen entry %+v: want from resolved to open by vigil", e)
	}
	if e.Note != note {
		t.Errorf("reopen entry note %q, want %q", e.Note, note)
	}
	if e.At.Location() != time.UTC {
		t.Errorf("reopen entry at %s: want UTC", e.At)
	}
	if e.At.Before(before.Add(-time.Microsecond)) || e.At.After(after.Add(time.Microsecond)) {
		t.Errorf("reopen entry at %s, want within [%s, %s] (the commit)", e.At, before.UTC(), after.UTC())
	}
	want.Status = alert.Open
	want.History = append(want.History[:len(want.History):len(want.History)], e)
	equal(t, "reopened alert", got, want)
	return e
}

// testReopenByAlert resolves an alert, then commits it whole with a
// higher count: it is reopened, its history continuing after the
// resolution, and a later status change follows the reopening.
func testReopenByAlert(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	a := fullAlert("k", "dev-1", t0)
	commit(t, s, &store.Batch{Alerts: []alert.Alert{a}})
	resolved := resolve(t, s, a, t0.Add(time.Minute))

	again := refired(a, t0.Add(2*time.Hour+1))
	again.Count = a.Count + 4
	before, after := commitTimed(t, s, &store.Batch{Alerts: []alert.Alert{again}})
	if !strings.Contains(reopenNote(4, again.LastSeen), "4 more") ||
		!strings.Contains(reopenNote(4, again.LastSeen), "2025-03-14T11:26:53Z") {
		t.Fatalf("reopenNote does not say what it should: %q", reopenNote(4, again.LastSeen))
	}
	want := again
	want.History = resolved.History
	e := checkReopened(t, getAlert(t, s, a.ID), want, reopenNote(4, again.LastSeen), before, after)

	// A change made at the very time of the reopening sorts after it: the
	// reopening took the next place in the history.
	ack := alert.StatusChange{At: e.At, To: alert.Acknowledged, By: "nurse"}
	setStatus(t, s, a.ID, ack)
	got := getAlert(t, s, a.ID)
	if n := len(got.History); n != len(want.History)+2 || got.History[n-2] != e || got.History[n-1].By != "nurse" ||
		got.History[n-1].From != alert.Open || got.Status != alert.Acknowledged {
		t.Errorf("history after a change at the reopening's time: %+v, want the reopening then the change", got.History)
	}

	// Reopened alerts persist.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	equal(t, "reopened alert after reopening the store", getAlert(t, open(t), a.ID), got)
}

// testReopenBySighting resolves an alert, then sights it with a higher
// count: it is reopened, the note counting from the stored count.
func testReopenBySighting(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	a := fullAlert("k", "dev-1", t0)
	other := fullAlert("other", "dev-1", t0)
	commit(t, s, &store.Batch{Alerts: []alert.Alert{a, other}})
	resolved := resolve(t, s, a, t0.Add(time.Minute))
	otherResolved := resolve(t, s, other, t0.Add(time.Minute))

	cet := time.FixedZone("CET", 3600)
	sg := store.AlertSighting{ID: a.ID, Count: 250, FirstSeen: t0.Add(-2 * time.Hour), LastSeen: t0.Add(3*time.Hour + 1).In(cet)}
	before, after := commitTimed(t, s, &store.Batch{AlertSightings: []store.AlertSighting{sg}})
	checkReopened(t, getAlert(t, s, a.ID), alertSighted(resolved, sg), reopenNote(247, sg.LastSeen), before, after)
	equal(t, "resolved alert not sighted", getAlert(t, s, other.ID), otherResolved)
}

// testReopenFinalCount writes and sights resolved alerts in one batch:
// the sighting applies last, so its count decides, and its last seen is
// the one the note gives.
func testReopenFinalCount(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	up, down := fullAlert("up", "dev-1", t0), fullAlert("down", "dev-1", t0)
	commit(t, s, &store.Batch{Alerts: []alert.Alert{up, down}})
	upResolved := resolve(t, s, up, t0.Add(time.Minute))
	downResolved := resolve(t, s, down, t0.Add(time.Minute))

	// up: written with a lower count, sighted with a higher one.
	upAgain := refired(up, t0.Add(time.Hour))
	upAgain.Count = 1
	upSg := store.AlertSighting{ID: up.ID, Count: 10, FirstSeen: t0, LastSeen: t0.Add(5 * time.Hour)}
	// down: written with a higher count, sighted with the stored one.
	downAgain := refired(down, t0.Add(time.Hour))
	downAgain.Count = 100
	downSg := store.AlertSighting{ID: down.ID, Count: down.Count, FirstSeen: t0, LastSeen: t0.Add(6 * time.Hour)}

	before, after := commitTimed(t, s, &store.Batch{
		AlertSightings: []store.AlertSighting{downSg, upSg},
		Alerts:         []alert.Alert{downAgain, upAgain},
	})
	want := alertSighted(upAgain, upSg)
	want.History = upResolved.History
	checkReopened(t, getAlert(t, s, up.ID), want, reopenNote(10-up.Count, upSg.LastSeen), before, after)
	want = alertSighted(downAgain, downSg)
	want.Status, want.History = alert.Resolved, downResolved.History
	equal(t, "resolved alert whose final count did not grow", getAlert(t, s, down.ID), want)
}

// testReopenNotWithoutGrowth commits resolved alerts again with the same
// count (a re-description) and a lower one: they stay resolved.
func testReopenNotWithoutGrowth(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	a, b := fullAlert("a", "dev-1", t0), fullAlert("b", "dev-1", t0)
	commit(t, s, &store.Batch{Alerts: []alert.Alert{a, b}})
	aResolved := resolve(t, s, a, t0.Add(time.Minute))
	bResolved := resolve(t, s, b, t0.Add(time.Minute))

	described := refired(a, t0.Add(time.Hour))
	described.Count = a.Count
	lower := store.AlertSighting{ID: b.ID, Count: 1, FirstSeen: t0, LastSeen: t0.Add(time.Hour)}
	// The stored count is now the lower one: the same again is no more.
	same := store.AlertSighting{ID: b.ID, Count: lower.Count, FirstSeen: t0, LastSeen: t0.Add(2 * time.Hour)}
	commit(t, s, &store.Batch{Alerts: []alert.Alert{described}, AlertSightings: []store.AlertSighting{lower}})
	commit(t, s, &store.Batch{AlertSightings: []store.AlertSighting{same}})

	want := described
	want.Status, want.History = alert.Resolved, aResolved.History
	equal(t, "resolved alert re-described", getAlert(t, s, a.ID), want)
	equal(t, "resolved alert sighted without more occurrences", getAlert(t, s, b.ID), alertSighted(bResolved, same))
}

// testReopenOnlyResolved commits more occurrences of acknowledged,
// suppressed and open alerts: a commit never changes their status.
func testReopenOnlyResolved(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ack, sup, opn := fullAlert("ack", "dev-1", t0), fullAlert("sup", "dev-1", t0), fullAlert("open", "dev-1", t0)
	commit(t, s, &store.Batch{Alerts: []alert.Alert{ack, sup, opn}})
	history := map[string][]alert.StatusChange{opn.ID: opn.History}
	for _, c := range []struct {
		a  alert.Alert
		to alert.Status
	}{{ack, alert.Acknowledged}, {sup, alert.Suppressed}} {
		// Resolved once, then set to its status: it is not resolved now.
		r := resolve(t, s, c.a, t0.Add(time.Minute))
		ch := alert.StatusChange{At: t0.Add(2 * time.Minute), To: c.to, By: "nurse"}
		setStatus(t, s, c.a.ID, ch)
		ch.From = alert.Resolved
		history[c.a.ID] = append(r.History, ch)
	}
	status := map[string]alert.Status{ack.ID: alert.Acknowledged, sup.ID: alert.Suppressed, opn.ID: alert.Open}

	var whole []alert.Alert
	var sgs []store.AlertSighting
	for _, a := range []alert.Alert{ack, sup, opn} {
		again := refired(a, t0.Add(time.Hour))
		again.Count = 50
		whole = append(whole, again)
		sgs = append(sgs, store.AlertSighting{ID: a.ID, Count: 60, FirstSeen: t0, LastSeen: t0.Add(2 * time.Hour)})
	}
	commit(t, s, &store.Batch{Alerts: whole})
	for _, again := range whole {
		want := again
		want.Status, want.History = status[again.ID], history[again.ID]
		equal(t, "alert "+again.DedupKey+" written whole with more occurrences", getAlert(t, s, again.ID), want)
	}
	commit(t, s, &store.Batch{AlertSightings: sgs})
	for i, again := range whole {
		want := alertSighted(again, sgs[i])
		want.Status, want.History = status[again.ID], history[again.ID]
		equal(t, "alert "+again.DedupKey+" sighted with more occurrences", getAlert(t, s, again.ID), want)
	}
}

// testReopenFailedBatch commits more occurrences of a resolved alert in
// batches that fail: nothing is reopened.
func testReopenFailedBatch(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	a := fullAlert("k", "dev-1", t0)
	commit(t, s, &store.Batch{Alerts: []alert.Alert{a}})
	resolve(t, s, a, t0.Add(time.Minute))
	want := snapshot(t, s)

	again := refired(a, t0.Add(time.Hour))
	again.Count = 40
	for name, b := range map[string]*store.Batch{
		"sighting of an unknown alert": {
			Alerts:         []alert.Alert{again},
			AlertSightings: []store.AlertSighting{{ID: "alr-unknown", Count: 1}},
		},
		"sighting of an unknown alert after the reopening one": {
			AlertSightings: []store.AlertSighting{
				{ID: a.ID, Count: 50, FirstSeen: t0, LastSeen: t0.Add(time.Hour)},
				{ID: "alr-zzz-unknown", Count: 1},
			},
		},
		"invalid sighting": {
			Alerts:         []alert.Alert{again},
			AlertSightings: []store.AlertSighting{{ID: a.ID, Count: 0}},
		},
		"state without a name": {
			Alerts: []alert.Alert{again},
			States: []store.StateDoc{{Doc: []byte("x")}},
		},
	} {
		if err := s.Commit(t.Context(), b); !errors.Is(err, store.ErrInvalidBatch) {
			t.Errorf("Commit with a %s: %v, want ErrInvalidBatch", name, err)
		}
		equal(t, "state after a failed batch with a "+name, snapshot(t, s), want)
	}
}

// testReopenOnce reopens a resolved alert, then commits more occurrences
// of it again: it is open, so nothing more is added; resolved again and
// seen again, it is reopened again.
func testReopenOnce(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	a := fullAlert("k", "dev-1", t0)
	commit(t, s, &store.Batch{Alerts: []alert.Alert{a}})
	resolved := resolve(t, s, a, t0.Add(time.Minute))

	sg1 := store.AlertSighting{ID: a.ID, Count: 5, FirstSeen: t0, LastSeen: t0.Add(time.Hour)}
	before, after := commitTimed(t, s, &store.Batch{AlertSightings: []store.AlertSighting{sg1}})
	reopened := getAlert(t, s, a.ID)
	e1 := checkReopened(t, reopened, alertSighted(resolved, sg1), reopenNote(2, sg1.LastSeen), before, after)

	// Open now: more occurrences, by a sighting or a whole write, add no
	// entry.
	sg2 := store.AlertSighting{ID: a.ID, Count: 9, FirstSeen: t0, LastSeen: t0.Add(2 * time.Hour)}
	commit(t, s, &store.Batch{AlertSightings: []store.AlertSighting{sg2}})
	again := refired(a, t0.Add(3*time.Hour))
	again.Count = 12
	commit(t, s, &store.Batch{Alerts: []alert.Alert{again}})
	want := again
	want.Status, want.History = alert.Open, reopened.History
	equal(t, "reopened alert seen again", getAlert(t, s, a.ID), want)

	// Resolved again, then seen again: reopened again.
	resolvedAgain := resolve(t, s, want, e1.At.Add(time.Nanosecond)) // after the reopening, as history sorts
	sg3 := store.AlertSighting{ID: a.ID, Count: 20, FirstSeen: t0, LastSeen: t0.Add(5 * time.Hour)}
	before, after = commitTimed(t, s, &store.Batch{AlertSightings: []store.AlertSighting{sg3}})
	got := getAlert(t, s, a.ID)
	e2 := checkReopened(t, got, alertSighted(resolvedAgain, sg3), reopenNote(8, sg3.LastSeen), before, after)
	var reopens []alert.StatusChange
	for _, h := range got.History {
		if h.By == "vigil" {
			reopens = append(reopens, h)
		}
	}
	equal(t, "reopen entries", reopens, []alert.StatusChange{e1, e2})
}

// testReopenConcurrent commits more occurrences of a resolved alert from
// several goroutines while others change its status: the alert is
// reopened once per resolution it is found in, and its history stays a
// chain, each change from the status the one before set.
func testReopenConcurrent(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	a := fullAlert("k", "dev-1", t0)
	other := fullAlert("other", "dev-1", t0)
	commit(t, s, &store.Batch{Alerts: []alert.Alert{a, other}})
	resolve(t, s, a, t0.Add(time.Minute))
	resolve(t, s, other, t0.Add(time.Minute))

	// Commits only: exactly one reopening.
	const n = 8
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			b := &store.Batch{AlertSightings: []store.AlertSighting{
				{ID: a.ID, Count: int64(10 + i), FirstSeen: t0, LastSeen: t0.Add(time.Hour)},
				{ID: other.ID, Count: int64(10 + i), FirstSeen: t0, LastSeen: t0.Add(time.Hour)},
			}}
			if err := s.Commit(t.Context(), b); err != nil {
				t.Errorf("Commit: %v", err)
			}
		})
	}
	wg.Wait()
	for _, id := range []string{a.ID, other.ID} {
		got := getAlert(t, s, id)
		reopens := 0
		for _, h := range got.History {
			if h.By == "vigil" {
				reopens++
			}
		}
		if reopens != 1 || got.Status != alert.Open {
			t.Errorf("alert %s after concurrent commits: status %s, %d reopenings, want open and 1", id, got.Status, reopens)
		}
	}

	// Commits and status changes together.
	for i := range n {
		wg.Go(func() {
			if i%2 == 0 {
				if err := s.SetAlertStatus(t.Context(), a.ID, alert.StatusChange{At: t0.Add(time.Hour), To: alert.Resolved, By: fmt.Sprint("user-", i)}); err != nil {
					t.Errorf("SetAlertStatus: %v", err)
				}
				return
			}
			b := &store.Batch{AlertSightings: []store.AlertSighting{{ID: a.ID, Count: int64(100 + i), FirstSeen: t0, LastSeen: t0.Add(time.Hour)}}}
			if err := s.Commit(t.Context(), b); err != nil {
				t.Errorf("Commit: %v", err)
			}
		})
	}
	wg.Wait()
	got := getAlert(t, s, a.ID)
	// The history is ordered by time, not by the order the changes were
	// made in, so only its counts can be checked: the changes by people
	// (the raising, the first resolution, n/2 more), and at least one
	// reopening, at most one per resolution.
	var people, reopens, resolutions int
	for _, h := range got.History {
		switch {
		case h.By == "vigil":
			reopens++
			if h.From != alert.Resolved || h.To != alert.Open {
				t.Errorf("reopen entry %+v: want from resolved to open", h)
			}
		default:
			people++
			if h.To == alert.Resolved {
				resolutions++
			}
		}
	}
	if people != 2+n/2 || resolutions != 1+n/2 {
		t.Errorf("history has %d changes by people, %d resolutions, want %d and %d", people, resolutions, 2+n/2, 1+n/2)
	}
	if reopens < 1 || reopens > 1+n/2 {
		t.Errorf("history has %d reopenings, want 1 to %d", reopens, 1+n/2)
	}
	if got.Status != alert.Open && got.Status != alert.Resolved {
		t.Errorf("status %s, want open or resolved", got.Status)
	}
}

// testReopenMany sights many alerts in one batch, more than one
// statement's worth, a few of them resolved: exactly those are reopened.
func testReopenMany(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	var as []alert.Alert
	for i := range 1200 {
		as = append(as, fullAlert(fmt.Sprintf("k-%04d", i), "dev-1", t0))
	}
	commit(t, s, &store.Batch{Alerts: as})
	resolvedAt := map[string]bool{}
	for _, i := range []int{0, 499, 500, 777, 1199} {
		resolve(t, s, as[i], t0.Add(time.Minute))
		resolvedAt[as[i].ID] = true
	}
	var sgs []store.AlertSighting
	for _, a := range as {
		sgs = append(sgs, store.AlertSighting{ID: a.ID, Count: a.Count + 1, FirstSeen: t0, LastSeen: t0.Add(time.Hour)})
	}
	commit(t, s, &store.Batch{AlertSightings: sgs[:600], Alerts: []alert.Alert{refired(as[1199], t0.Add(time.Hour))}})
	commit(t, s, &store.Batch{AlertSightings: sgs[600:]})
	got, err := s.Alerts(t.Context(), store.AlertQuery{})
	if err != nil {
		t.Fatal(err)
	}
	reopened := 0
	for _, a := range got {
		if resolvedAt[a.ID] {
			if n := len(a.History); n != 3 || a.History[n-1].By != "vigil" {
				t.Errorf("alert %s: history %+v, want it reopened", a.ID, a.History)
			}
			reopened++
		} else if len(a.History) != 1 {
			t.Errorf("alert %s: history %+v, want only its raising", a.ID, a.History)
		}
		if a.Status != alert.Open {
			t.Errorf("alert %s: status %s, want open", a.ID, a.Status)
		}
	}
	if reopened != len(resolvedAt) {
		t.Errorf("%d alerts reopened, want %d", reopened, len(resolvedAt))
	}
}
