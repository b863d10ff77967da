package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/vigil-iomt/vigil/internal/alert"
	"github.com/vigil-iomt/vigil/internal/store"
)

// fullAlert returns an open alert with every field set, its ID derived
// from key, last seen at last (first seen an hour before).
func fullAlert(key, deviceID string, last time.Time) alert.Alert {
	return alert.Alert{
		ID:          alert.IDForKey(key),
		DedupKey:    key,
		Detector:    "new-talker",
		DeviceID:    deviceID,
		Severity:    alert.High,
		Title:       "Infusion pump talks to a new host: " + key,
		Explanation: "Never seen in 14 days of baseline — \"quoted\", <tags> & ünïcode.",
		Evidence: []alert.Evidence{
			{Kind: "event", Summary: "conn to 203.0.113.9:443", Time: last.Add(-time.Nanosecond),
				Source: "conn.log:1234", Fields: map[string]string{"proto": "tcp", "resp_p": "443"}},
			{Kind: "baseline", Summary: "no such peer in baseline"},
		},
		Attack:    []string{"T0883", "T1071"},
		D3FEND:    []string{"D3-NTA"},
		FirstSeen: last.Add(-time.Hour),
		LastSeen:  last,
		Count:     3,
		Status:    alert.Open,
		History: []alert.StatusChange{
			{At: last.Add(-time.Hour), To: alert.Open, By: "detector:new-talker", Note: "raised"},
		},
	}
}

// refired returns a with its occurrence fields changed as a detector
// firing again at last would change them, and its triage state cleared as
// a detector would send it.
func refired(a alert.Alert, last time.Time) alert.Alert {
	a.Count++
	a.LastSeen = last
	a.Severity = alert.Critical
	a.Title += " (again)"
	a.Evidence = append(a.Evidence[:len(a.Evidence):len(a.Evidence)], alert.Evidence{Kind: "rule", Summary: "again", Time: last})
	a.Status = alert.Open
	a.History = []alert.StatusChange{{At: last, To: alert.Open, By: "detector:again"}}
	return a
}

func getAlert(t *testing.T, s store.Store, id string) alert.Alert {
	t.Helper()
	a, err := s.Alert(t.Context(), id)
	if err != nil {
		t.Fatalf("Alert(%q): %v", id, err)
	}
	return a
}

func setStatus(t *testing.T, s store.Store, id string, c alert.StatusChange) {
	t.Helper()
	if err := s.SetAlertStatus(t.Context(), id, c); err != nil {
		t.Fatalf("SetAlertStatus(%q, %+v): %v", id, c, err)
	}
}

func testAlertRoundTrip(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	full := fullAlert("new-talker|dev-1|203.0.113.9", "dev-1", t0)
	local := full
	local.ID, local.DedupKey = alert.IDForKey("local"), "local"
	local.FirstSeen, local.LastSeen = t0.In(time.FixedZone("CET", 3600)), t0.In(time.FixedZone("CET", 3600))
	bare := alert.Alert{ID: "alr-bare", DedupKey: "bare", Severity: alert.Info, Status: alert.Suppressed, Count: 1}
	far := full
	far.ID, far.DedupKey = "alr-far", "far"
	far.FirstSeen, far.LastSeen = store.MinTime, store.MaxTime
	far.History = append(far.History, alert.StatusChange{At: store.MaxTime, From: alert.Open, To: alert.Resolved, By: "x"},
		alert.StatusChange{At: store.MinTime, From: alert.Resolved, To: alert.Acknowledged, By: "y"})
	commit(t, s, &store.Batch{Alerts: []alert.Alert{full, local, bare, far}})

	utc := local
	utc.FirstSeen, utc.LastSeen = local.FirstSeen.UTC(), local.LastSeen.UTC()
	farWant := far
	farWant.History = []alert.StatusChange{far.History[2], far.History[0], far.History[1]} // by time, then insertion
	for _, want := range []alert.Alert{full, utc, bare, farWant} {
		equal(t, "alert "+want.DedupKey, getAlert(t, s, want.ID), want)
	}
	got, err := s.Alerts(t.Context(), store.AlertQuery{})
	if err != nil {
		t.Fatal(err)
	}
	want := []alert.Alert{farWant, full, utc, bare} // last seen descending, then ID
	if want[1].ID > want[2].ID {
		want[1], want[2] = want[2], want[1]
	}
	equal(t, "alerts", got, want)
}

func testAlertRefireKeepsTriage(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	a := fullAlert("k", "dev-1", t0)
	commit(t, s, &store.Batch{Alerts: []alert.Alert{a}})
	ack := alert.StatusChange{At: t0.Add(time.Minute), To: alert.Acknowledged, By: "nurse", Note: "looking"}
	setStatus(t, s, a.ID, ack)

	again := refired(a, t0.Add(2*time.Hour))
	again.DeviceID, again.Detector = "dev-2", "other"
	commit(t, s, &store.Batch{Alerts: []alert.Alert{again}})
	want := again
	ack.From = alert.Open
	want.Status, want.History = alert.Acknowledged, []alert.StatusChange{a.History[0], ack}
	equal(t, "re-fired alert", getAlert(t, s, a.ID), want)

	// Re-firing with the same occurrence changes nothing either.
	commit(t, s, &store.Batch{Alerts: []alert.Alert{again}})
	equal(t, "alert re-committed", getAlert(t, s, a.ID), want)
}

func testAlertStatusHistory(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	a := fullAlert("k", "dev-1", t0)
	other := fullAlert("other", "dev-1", t0)
	commit(t, s, &store.Batch{Alerts: []alert.Alert{a, other}})
	changes := []alert.StatusChange{
		{At: t0.Add(3 * time.Minute), From: alert.Suppressed /* ignored */, To: alert.Acknowledged, By: "nurse"},
		{At: t0.Add(time.Minute), To: alert.Resolved, By: "engineer", Note: "patched"},            // earlier time: sorts first
		{At: t0.Add(time.Minute), To: alert.Open, By: "engineer", Note: "not fixed after all"},    // same time: after the one before
		{At: t0.Add(time.Minute), To: alert.Open, By: "engineer", Note: "same status is allowed"}, // a no-op change is still history
		{At: t0.Add(5 * time.Minute), To: alert.Suppressed, By: "policy:maintenance"},
	}
	for _, c := range changes {
		setStatus(t, s, a.ID, c)
	}
	from := []alert.Status{alert.Open, alert.Acknowledged, alert.Resolved, alert.Open, alert.Open}
	for i := range changes {
		changes[i].From = from[i]
	}
	want := a
	want.Status = alert.Suppressed
	want.History = []alert.StatusChange{a.History[0], changes[1], changes[2], changes[3], changes[0], changes[4]}
	equal(t, "alert after status changes", getAlert(t, s, a.ID), want)
	equal(t, "other alert", getAlert(t, s, other.ID), other)
}

func testAlertNotFound(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	commit(t, s, &store.Batch{Alerts: []alert.Alert{fullAlert("k", "dev-1", t0)}})
	want := snapshot(t, s)
	for _, id := range []string{"alr-unknown", "", "alr\x00", "\xff"} {
		if _, err := s.Alert(t.Context(), id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Alert(%q): %v, want ErrNotFound", id, err)
		}
		err := s.SetAlertStatus(t.Context(), id, alert.StatusChange{At: t0, To: alert.Resolved, By: "nurse"})
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("SetAlertStatus(%q): %v, want ErrNotFound", id, err)
		}
	}
	equal(t, "state after lookups of unknown alerts", snapshot(t, s), want)
}

func testAlertInvalidStatusChange(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	a := fullAlert("k", "dev-1", t0)
	commit(t, s, &store.Batch{Alerts: []alert.Alert{a}})
	want := snapshot(t, s)
	for name, c := range map[string]alert.StatusChange{
		"unknown status": {At: t0, To: "closed", By: "nurse"},
		"empty status":   {At: t0, By: "nurse"},
		"empty by":       {At: t0, To: alert.Resolved},
		"NUL in note":    {At: t0, To: alert.Resolved, By: "nurse", Note: "a\x00b"},
		"time too late":  {At: time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC), To: alert.Resolved, By: "nurse"},
	} {
		if err := s.SetAlertStatus(t.Context(), a.ID, c); !errors.Is(err, store.ErrInvalidBatch) {
			t.Errorf("SetAlertStatus with %s: %v, want ErrInvalidBatch", name, err)
		}
	}
	equal(t, "state after invalid status changes", snapshot(t, s), want)
}

func testAlertsQuery(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	// 12 alerts: devices d0..d2, detectors x and y, severities 1..5, last
	// seen hours apart, two pairs at the same time (ordered by ID).
	hours := []int{0, 1, 2, 2, 4, 5, 6, 7, 7, 9, 10, 11}
	var all []alert.Alert
	for i := range 12 {
		a := fullAlert(fmt.Sprintf("key-%02d", i), fmt.Sprintf("d%d", i%3), t0.Add(time.Duration(hours[i])*time.Hour))
		a.Detector = []string{"x", "y"}[i%2]
		a.Severity = alert.Severity(i%5 + 1)
		all = append(all, a)
	}
	commit(t, s, &store.Batch{Alerts: all})
	for i, id := range []string{all[1].ID, all[4].ID, all[7].ID} {
		setStatus(t, s, id, alert.StatusChange{At: t0, To: []alert.Status{alert.Acknowledged, alert.Resolved, alert.Acknowledged}[i], By: "nurse"})
	}
	var err error
	if all, err = s.Alerts(t.Context(), store.AlertQuery{}); err != nil {
		t.Fatal(err)
	}
	if len(all) != 12 {
		t.Fatalf("Alerts: %d alerts, want 12", len(all))
	}
	for i := 1; i < len(all); i++ {
		p, c := all[i-1], all[i]
		if p.LastSeen.Before(c.LastSeen) || (p.LastSeen.Equal(c.LastSeen) && p.ID >= c.ID) {
			t.Fatalf("Alerts not ordered by last seen descending then ID: %s@%s before %s@%s", p.ID, p.LastSeen, c.ID, c.LastSeen)
		}
	}
	filter := func(keep func(a alert.Alert) bool) []alert.Alert {
		out := []alert.Alert{}
		for _, a := range all {
			if keep(a) {
				out = append(out, a)
			}
		}
		return out
	}
	since, until := t0.Add(2*time.Hour), t0.Add(8*time.Hour)
	for _, tt := range []struct {
		name string
		q    store.AlertQuery
		want []alert.Alert
	}{
		{"device", store.AlertQuery{DeviceID: "d1"}, filter(func(a alert.Alert) bool { return a.DeviceID == "d1" })},
		{"detector", store.AlertQuery{Detector: "y"}, filter(func(a alert.Alert) bool { return a.Detector == "y" })},
		{"min severity", store.AlertQuery{MinSeverity: alert.High}, filter(func(a alert.Alert) bool { return a.Severity >= alert.High })},
		{"status", store.AlertQuery{Status: alert.Acknowledged}, filter(func(a alert.Alert) bool { return a.Status == alert.Acknowledged })},
		{"since", store.AlertQuery{Since: since}, filter(func(a alert.Alert) bool { return !a.LastSeen.Before(since) })},
		{"until", store.AlertQuery{Until: until}, filter(func(a alert.Alert) bool { return a.LastSeen.Before(until) })},
		{"since and until", store.AlertQuery{Since: since, Until: until}, filter(func(a alert.Alert) bool {
			return !a.LastSeen.Before(since) && a.LastSeen.Before(until)
		})},
		{"limit", store.AlertQuery{Limit: 5}, all[:5]},
		{"limit beyond", store.AlertQuery{Limit: 50}, all},
		{"all filters", store.AlertQuery{DeviceID: "d1", Detector: "y", MinSeverity: alert.Low, Status: alert.Acknowledged,
			Since: t0.Add(time.Hour), Until: t0.Add(11 * time.Hour), Limit: 1},
			filter(func(a alert.Alert) bool {
				return a.DeviceID == "d1" && a.Detector == "y" && a.Severity >= alert.Low && a.Status == alert.Acknowledged &&
					!a.LastSeen.Before(t0.Add(time.Hour)) && a.LastSeen.Before(t0.Add(11*time.Hour))
			})[:1]},
		{"nothing matches", store.AlertQuery{DeviceID: "d9"}, []alert.Alert{}},
		{"unstorable device", store.AlertQuery{DeviceID: "d\x00"}, []alert.Alert{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.want) == len(all) && tt.name != "limit beyond" || len(tt.want) == 0 && tt.name != "nothing matches" && tt.name != "unstorable device" {
				t.Fatalf("fixture does not exercise the filter: %d of %d alerts", len(tt.want), len(all))
			}
			got, err := s.Alerts(t.Context(), tt.q)
			if err != nil {
				t.Fatalf("Alerts(%+v): %v", tt.q, err)
			}
			equal(t, "alerts", got, tt.want)
		})
	}
	for name, q := range map[string]store.AlertQuery{"negative limit": {Limit: -1}, "invalid status": {Status: "closed"}} {
		if _, err := s.Alerts(t.Context(), q); err == nil {
			t.Errorf("Alerts with %s: nil error", name)
		}
	}
}

// testAlertConcurrentStatusChanges changes one alert's status from several
// goroutines: every change lands, each From is the status the change
// before it set.
func testAlertConcurrentStatusChanges(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	a := fullAlert("k", "dev-1", t0)
	commit(t, s, &store.Batch{Alerts: []alert.Alert{a}})
	const n = 8
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			to := []alert.Status{alert.Acknowledged, alert.Resolved, alert.Open, alert.Suppressed}[i%4]
			if err := s.SetAlertStatus(t.Context(), a.ID, alert.StatusChange{At: t0, To: to, By: fmt.Sprint("user-", i)}); err != nil {
				t.Errorf("SetAlertStatus: %v", err)
			}
		})
	}
	wg.Wait()
	got := getAlert(t, s, a.ID)
	if len(got.History) != n+1 {
		t.Fatalf("history has %d changes, want %d", len(got.History), n+1)
	}
	for i := 1; i < len(got.History); i++ {
		if got.History[i].From != got.History[i-1].To {
			t.Errorf("history[%d].From = %q, want %q (the status before it)", i, got.History[i].From, got.History[i-1].To)
		}
	}
	if last := got.History[n].To; got.Status != last {
		t.Errorf("status %q, want %q (the last change)", got.Status, last)
	}
}
