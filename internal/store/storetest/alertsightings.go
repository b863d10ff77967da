package storetest

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/vigil-iomt/vigil/internal/alert"
	"github.com/vigil-iomt/vigil/internal/asset"
	"github.com/vigil-iomt/vigil/internal/store"
)

// alertSighted returns a as reading it back after s should give it.
func alertSighted(a alert.Alert, s store.AlertSighting) alert.Alert {
	a.Count, a.FirstSeen, a.LastSeen = s.Count, s.FirstSeen.UTC(), s.LastSeen.UTC()
	return a
}

// testAlertSighting sights a triaged alert: its count and times change,
// and nothing else, neither its occurrence fields nor its triage; a later
// whole write sets the count and times again.
func testAlertSighting(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	a := fullAlert("k", "dev-1", t0)
	other := fullAlert("other", "dev-1", t0)
	commit(t, s, &store.Batch{Alerts: []alert.Alert{a, other}})
	ack := alert.StatusChange{At: t0.Add(time.Minute), To: alert.Acknowledged, By: "nurse", Note: "looking"}
	setStatus(t, s, a.ID, ack)
	ack.From = alert.Open
	triaged := a
	triaged.Status, triaged.History = alert.Acknowledged, []alert.StatusChange{a.History[0], ack}

	sg := store.AlertSighting{ID: a.ID, Count: 250, FirstSeen: t0.Add(-2 * time.Hour), LastSeen: t0.Add(3*time.Hour + 1)}
	commit(t, s, &store.Batch{AlertSightings: []store.AlertSighting{sg}})
	want := alertSighted(triaged, sg)
	equal(t, "sighted alert", getAlert(t, s, a.ID), want)
	equal(t, "alert not sighted", getAlert(t, s, other.ID), other)

	// The same sighting again changes nothing.
	commit(t, s, &store.Batch{AlertSightings: []store.AlertSighting{sg}})
	equal(t, "alert sighted twice", getAlert(t, s, a.ID), want)

	// A whole write replaces the count and times a sighting set, and keeps
	// the triage.
	again := refired(a, t0.Add(4*time.Hour))
	again.Count = 7
	commit(t, s, &store.Batch{Alerts: []alert.Alert{again}})
	want = again
	want.Status, want.History = triaged.Status, triaged.History
	equal(t, "alert written whole after a sighting", getAlert(t, s, a.ID), want)
}

// testAlertSightingWithInsert sights alerts in the batch that inserts or
// replaces them: the sighting applies after the write.
func testAlertSightingWithInsert(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	stored := fullAlert("stored", "dev-1", t0)
	commit(t, s, &store.Batch{Alerts: []alert.Alert{stored}})
	fresh := fullAlert("fresh", "dev-2", t0)
	again := refired(stored, t0.Add(time.Hour))
	sgs := []store.AlertSighting{
		{ID: fresh.ID, Count: 9, FirstSeen: t0.Add(-time.Hour), LastSeen: t0.Add(time.Hour)},
		{ID: stored.ID, Count: 2, FirstSeen: t0, LastSeen: t0.Add(time.Minute)},
	}
	commit(t, s, &store.Batch{AlertSightings: sgs, Alerts: []alert.Alert{fresh, again}})
	equal(t, "alert inserted and sighted", getAlert(t, s, fresh.ID), alertSighted(fresh, sgs[0]))
	want := alertSighted(again, sgs[1])
	want.History = stored.History // a stored alert keeps its triage
	equal(t, "alert replaced and sighted", getAlert(t, s, stored.ID), want)
}

// testAlertSightingUnknown sights an alert that does not exist among many
// that do, in a batch that writes everything else: nothing of it lands.
func testAlertSightingUnknown(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	var as []alert.Alert
	for i := range 600 { // more than one statement's rows
		as = append(as, fullAlert(fmt.Sprintf("k-%03d", i), "dev-1", t0))
	}
	commit(t, s, &store.Batch{Alerts: as, Devices: []asset.Device{fullDevice("dev-1", "infusion-pump")}})
	want := snapshot(t, s)
	var sgs []store.AlertSighting
	for _, a := range as {
		sgs = append(sgs, store.AlertSighting{ID: a.ID, Count: 100, FirstSeen: t0, LastSeen: t0.Add(time.Hour)})
	}
	for name, unknown := range map[string][]store.AlertSighting{
		"last":  append(sgs, store.AlertSighting{ID: "alr-unknown", Count: 1}),
		"first": append([]store.AlertSighting{{ID: "alr-unknown", Count: 1}}, sgs...),
		"alone": {{ID: "alr-unknown", Count: 1}},
	} {
		err := s.Commit(t.Context(), &store.Batch{
			Alerts:         []alert.Alert{fullAlert("new", "dev-1", t0)},
			AlertSightings: unknown,
			Sightings:      []store.Sighting{{DeviceID: "dev-1", LastSeen: t0.Add(time.Hour)}},
			Checkpoints:    []store.Checkpoint{{Source: "/var/log/zeek/conn.log", Offset: 1}},
		})
		if !errors.Is(err, store.ErrInvalidBatch) {
			t.Errorf("Commit with an unknown alert sighted %s: %v, want ErrInvalidBatch", name, err)
		} else if !strings.Contains(err.Error(), "alr-unknown") {
			t.Errorf("Commit with an unknown alert sighted %s: %v does not name it", name, err)
		}
		equal(t, "state after a sighting of an unknown alert "+name, snapshot(t, s), want)
	}
}

// testAlertSightingsLastWins sights one alert several times in a batch:
// the last sighting wins whole, even with a lower count and earlier times.
func testAlertSightingsLastWins(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	a, b := fullAlert("a", "dev-1", t0), fullAlert("b", "dev-1", t0)
	commit(t, s, &store.Batch{Alerts: []alert.Alert{a, b}})
	sgs := []store.AlertSighting{
		{ID: a.ID, Count: 50, FirstSeen: t0.Add(-time.Hour), LastSeen: t0.Add(5 * time.Hour)},
		{ID: b.ID, Count: 4, FirstSeen: t0, LastSeen: t0.Add(time.Hour)},
		{ID: a.ID, Count: 5, FirstSeen: t0.Add(-3 * time.Hour), LastSeen: t0.Add(2 * time.Hour)},
	}
	commit(t, s, &store.Batch{AlertSightings: sgs})
	equal(t, "alert sighted twice in a batch", getAlert(t, s, a.ID), alertSighted(a, sgs[2]))
	equal(t, "alert sighted once", getAlert(t, s, b.ID), alertSighted(b, sgs[1]))
}

// testAlertSightingsQuery moves alerts in time with sightings: the
// filters on last seen and the order see where they moved.
func testAlertSightingsQuery(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	var as []alert.Alert
	for i := range 4 { // last seen at t0, t0+1h, t0+2h, t0+3h
		as = append(as, fullAlert(fmt.Sprintf("k-%d", i), fmt.Sprintf("d%d", i%2), t0.Add(time.Duration(i)*time.Hour)))
	}
	commit(t, s, &store.Batch{Alerts: as})
	sgs := []store.AlertSighting{
		{ID: as[0].ID, Count: 8, FirstSeen: as[0].FirstSeen, LastSeen: t0.Add(5 * time.Hour)}, // oldest becomes latest
		{ID: as[3].ID, Count: 8, FirstSeen: t0, LastSeen: t0.Add(90 * time.Minute)},           // an earlier last seen is taken as given
	}
	commit(t, s, &store.Batch{AlertSightings: sgs})
	a0, a1, a2, a3 := alertSighted(as[0], sgs[0]), as[1], as[2], alertSighted(as[3], sgs[1])
	for _, tt := range []struct {
		name string
		q    store.AlertQuery
		want []alert.Alert
	}{
		{"all", store.AlertQuery{}, []alert.Alert{a0, a2, a3, a1}},
		{"limit", store.AlertQuery{Limit: 1}, []alert.Alert{a0}},
		{"since", store.AlertQuery{Since: t0.Add(4 * time.Hour)}, []alert.Alert{a0}},
		{"until", store.AlertQuery{Until: t0.Add(90 * time.Minute)}, []alert.Alert{a1}},
		{"since and until", store.AlertQuery{Since: t0.Add(90 * time.Minute), Until: t0.Add(5 * time.Hour)}, []alert.Alert{a2, a3}},
		{"until, exclusive", store.AlertQuery{Until: t0.Add(5 * time.Hour)}, []alert.Alert{a2, a3, a1}},
		{"device", store.AlertQuery{DeviceID: "d1", Since: t0.Add(time.Hour)}, []alert.Alert{a3, a1}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Alerts(t.Context(), tt.q)
			if err != nil {
				t.Fatalf("Alerts(%+v): %v", tt.q, err)
			}
			equal(t, "alerts", got, tt.want)
		})
	}
}

// testAlertSightingRoundTrip sights alerts with times in other zones, at
// the bounds and zero, and extreme counts: they read back exactly, in
// UTC, and survive reopening the store.
func testAlertSightingRoundTrip(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	cet := time.FixedZone("CET", 3600)
	sgs := []store.AlertSighting{
		{Count: 1, FirstSeen: t0.In(cet).Add(1), LastSeen: t0.In(cet).Add(time.Hour + 7)},
		{Count: math.MaxInt64, FirstSeen: store.MinTime, LastSeen: store.MaxTime},
		{Count: 2},                            // both times zero
		{Count: 3, LastSeen: t0.Add(-999999)}, // first seen zero
		{Count: 4, FirstSeen: t0, LastSeen: t0},
	}
	var as []alert.Alert
	for i := range sgs {
		a := fullAlert(fmt.Sprintf("k-%d", i), "dev-1", t0.Add(time.Duration(i)))
		sgs[i].ID = a.ID
		as = append(as, a)
	}
	commit(t, s, &store.Batch{Alerts: as})
	commit(t, s, &store.Batch{AlertSightings: sgs})
	check := func(what string, s store.Store) {
		for i := range as {
			got := getAlert(t, s, as[i].ID)
			equal(t, fmt.Sprintf("%s: alert %d", what, i), got, alertSighted(as[i], sgs[i]))
			if got.FirstSeen.Location() != time.UTC || got.LastSeen.Location() != time.UTC {
				t.Errorf("%s: alert %d: times in %s and %s, want UTC", what, i, got.FirstSeen.Location(), got.LastSeen.Location())
			}
		}
	}
	check("after sightings", s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	check("after reopening", open(t))
}

// testAlertSightingInvalid commits sightings Validate rejects: nothing of
// their batch is written.
func testAlertSightingInvalid(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	a := fullAlert("k", "dev-1", t0)
	commit(t, s, &store.Batch{Alerts: []alert.Alert{a}})
	want := snapshot(t, s)
	for name, sg := range map[string]store.AlertSighting{
		"empty id":             {Count: 1},
		"NUL in id":            {ID: "alr\x00", Count: 1},
		"zero count":           {ID: a.ID},
		"negative count":       {ID: a.ID, Count: -1},
		"last before first":    {ID: a.ID, Count: 1, FirstSeen: t0, LastSeen: t0.Add(-1)},
		"first seen too early": {ID: a.ID, Count: 1, FirstSeen: store.MinTime.Add(-1), LastSeen: t0},
		"last seen too late":   {ID: a.ID, Count: 1, FirstSeen: t0, LastSeen: store.MaxTime.Add(1)},
	} {
		err := s.Commit(t.Context(), &store.Batch{
			Alerts:         []alert.Alert{fullAlert("new", "dev-1", t0)},
			AlertSightings: []store.AlertSighting{{ID: a.ID, Count: 9, FirstSeen: t0, LastSeen: t0}, sg},
		})
		if !errors.Is(err, store.ErrInvalidBatch) {
			t.Errorf("Commit with a sighting with %s: %v, want ErrInvalidBatch", name, err)
		}
	}
	equal(t, "state after invalid alert sightings", snapshot(t, s), want)
}
