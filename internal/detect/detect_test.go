package detect

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/vigil-iomt/vigil/internal/alert"
	"github.com/vigil-iomt/vigil/internal/asset"
)

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

var pump = Device{ID: "dev-1", Class: "infusion_pump", ClassLabel: "Infusion pump", Criticality: asset.LifeSupporting,
	Name: "pump-3w", Addr: "10.2.3.4"}

// occ returns an occurrence of key at ts with one event record and one
// baseline record as evidence.
func occ(key string, ts time.Time) Occurrence {
	return Occurrence{Key: key, Detector: "new-port", Device: pump, Severity: alert.Medium,
		What: "→ 10.9.9.9:8443/tcp, a destination port it never used", Explanation: "Something new.",
		Evidence: []alert.Evidence{
			{Kind: "event", Summary: "conn at " + ts.Format(time.TimeOnly), Time: ts, Source: "conn.log:1"},
			{Kind: "baseline", Summary: "learned ports at " + ts.Format(time.TimeOnly), Time: ts},
		},
		Attack: []string{"T1571"}, D3FEND: []string{"D3-NTCD"}, Time: ts}
}

func noLookup(string) (Device, bool) { return Device{}, false }

func eventTimes(ev []alert.Evidence) []time.Time {
	var out []time.Time
	for _, e := range ev {
		if e.Kind == "event" {
			out = append(out, e.Time)
		}
	}
	return out
}

func TestRaiseDeduplicates(t *testing.T) {
	e := New(nil)
	key := Key("new-port", "dev-1", "tcp/8443")
	zone := time.FixedZone("CET", 3600)
	times := []time.Time{t0.Add(time.Hour), t0.In(zone), t0.Add(3 * time.Hour), t0.Add(30 * time.Minute)}
	for _, ts := range times {
		e.Raise(occ(key, ts))
	}
	if got, want := e.Len(), 1; got != want {
		t.Fatalf("alerts = %d, want %d", got, want)
	}
	if got, want := e.Pending(), 1; got != want {
		t.Errorf("pending = %d, want %d", got, want)
	}
	out := wholeOf(e.Flush(noLookup))
	if len(out) != 1 {
		t.Fatalf("flushed %d alerts, want 1", len(out))
	}
	a := out[0]
	if got, want := a.ID, alert.IDForKey(key); got != want {
		t.Errorf("ID = %q, want %q", got, want)
	}
	if a.DedupKey != key || a.Detector != "new-port" || a.DeviceID != "dev-1" {
		t.Errorf("key, detector, device = %q, %q, %q", a.DedupKey, a.Detector, a.DeviceID)
	}
	if got, want := a.Count, int64(len(times)); got != want {
		t.Errorf("count = %d, want %d", got, want)
	}
	if !a.FirstSeen.Equal(t0) || a.FirstSeen.Location() != time.UTC {
		t.Errorf("first seen = %s, want %s in UTC", a.FirstSeen, t0)
	}
	if !a.LastSeen.Equal(t0.Add(3 * time.Hour)) {
		t.Errorf("last seen = %s, want %s", a.LastSeen, t0.Add(3*time.Hour))
	}
	if a.Status != alert.Open {
		t.Errorf("status = %q, want %q", a.Status, alert.Open)
	}
	if a.History != nil {
		t.Errorf("history = %v, want nil", a.History)
	}
	// Events first, in time order; then the baseline of the first
	// occurrence only.
	want := []time.Time{t0, t0.Add(30 * time.Minute), t0.Add(time.Hour), t0.Add(3 * time.Hour)}
	if got := eventTimes(a.Evidence); !slices.EqualFunc(got, want, time.Time.Equal) {
		t.Errorf("event evidence times = %v, want %v", got, want)
	}
	if got := len(a.Evidence); got != len(want)+1 {
		t.Fatalf("evidence = %d records, want %d events and 1 baseline", got, len(want))
	}
	if last := a.Evidence[len(a.Evidence)-1]; last.Kind != "baseline" || !last.Time.Equal(t0.Add(time.Hour)) {
		t.Errorf("last evidence = %+v, want the first occurrence's baseline", last)
	}
	if again := wholeOf(e.Flush(noLookup)); len(again) != 0 {
		t.Errorf("second Flush returned %d alerts, want 0", len(again))
	}
}

func TestEventEvidenceCapped(t *testing.T) {
	e := New(nil)
	key := Key("scan", "dev-1")
	// Twelve occurrences, the later ones earlier in time.
	for i := range 12 {
		e.Raise(occ(key, t0.Add(time.Duration(12-i)*time.Minute)))
	}
	a := wholeOf(e.Flush(noLookup))[0]
	got := eventTimes(a.Evidence)
	if len(got) != maxEventEvidence {
		t.Fatalf("event evidence = %d, want %d", len(got), maxEventEvidence)
	}
	if !slices.IsSortedFunc(got, time.Time.Compare) {
		t.Errorf("event evidence not in time order: %v", got)
	}
	// The first eight raised are kept: minutes 12 down to 5.
	if !got[0].Equal(t0.Add(5*time.Minute)) || !got[7].Equal(t0.Add(12*time.Minute)) {
		t.Errorf("kept events %s … %s, want minutes 5 … 12", got[0], got[7])
	}
	if kinds := a.Evidence[len(a.Evidence)-1].Kind; kinds != "baseline" || len(a.Evidence) != maxEventEvidence+1 {
		t.Errorf("evidence = %d records ending with %q, want %d events and the baseline", len(a.Evidence), kinds, maxEventEvidence)
	}
	if a.Count != 12 {
		t.Errorf("count = %d, want 12", a.Count)
	}
}

func TestFirstOccurrenceEvidenceCappedAndSorted(t *testing.T) {
	o := occ(Key("policy", "dev-1"), t0)
	o.Evidence = []alert.Evidence{{Kind: "rule", Summary: "rule"}}
	for i := range 10 {
		o.Evidence = append(o.Evidence, alert.Evidence{Kind: "event", Time: t0.Add(time.Duration(10-i) * time.Second)})
	}
	e := New(nil)
	e.Raise(o)
	a := wholeOf(e.Flush(noLookup))[0]
	if got := eventTimes(a.Evidence); len(got) != maxEventEvidence || !slices.IsSortedFunc(got, time.Time.Compare) {
		t.Errorf("event evidence of the first occurrence = %v, want %d in time order", got, maxEventEvidence)
	}
	if a.Evidence[0].Kind != "event" {
		t.Errorf("first evidence is a %q, want an event", a.Evidence[0].Kind)
	}
}

func TestFlushOnlyChangedSortedByID(t *testing.T) {
	e := New(nil)
	var keys []string
	for i := range 20 {
		keys = append(keys, Key("new-external-peer", "dev-1", fmt.Sprintf("203.0.113.%d", i)))
		e.Raise(occ(keys[i], t0))
	}
	first := wholeOf(e.Flush(noLookup))
	if len(first) != 20 {
		t.Fatalf("flushed %d, want 20", len(first))
	}
	if !slices.IsSortedFunc(first, func(a, b alert.Alert) int { return strings.Compare(a.ID, b.ID) }) {
		t.Error("Flush not ordered by ID")
	}
	e.Raise(occ(keys[3], t0.Add(time.Hour)))
	e.Raise(occ(keys[11], t0.Add(time.Hour)))
	e.Raise(occ(keys[3], t0.Add(2*time.Hour)))
	got := wholeOf(e.Flush(noLookup))
	want := []string{alert.IDForKey(keys[3]), alert.IDForKey(keys[11])}
	slices.Sort(want)
	var ids []string
	for _, a := range got {
		ids = append(ids, a.ID)
	}
	if !slices.Equal(ids, want) {
		t.Errorf("second flush IDs = %v, want %v", ids, want)
	}
	if got := wholeOf(e.Flush(noLookup)); len(got) != 0 {
		t.Errorf("third flush = %d alerts, want 0", len(got))
	}
}

func TestFlushedAlertsAreCopies(t *testing.T) {
	e := New(nil)
	key := Key("scan", "dev-1")
	e.Raise(occ(key, t0))
	a := wholeOf(e.Flush(noLookup))[0]
	a.Evidence[0].Summary = "changed by the caller"
	e.Raise(occ(key, t0.Add(time.Minute)))
	b := wholeOf(e.Flush(noLookup))[0]
	if b.Evidence[0].Summary == "changed by the caller" {
		t.Error("the caller's change to flushed evidence reached the engine")
	}
}

func TestContinuesLoadedAlerts(t *testing.T) {
	key := Key("new-port", "dev-1", "tcp/8443")
	other := Key("scan", "dev-2")
	stored := []alert.Alert{
		{ID: alert.IDForKey(key), DedupKey: key, Detector: "new-port", DeviceID: "dev-1", Severity: alert.Medium,
			Title: "old title", FirstSeen: t0.Add(-48 * time.Hour), LastSeen: t0.Add(-24 * time.Hour), Count: 5,
			Status: alert.Acknowledged, Evidence: []alert.Evidence{{Kind: "event", Time: t0.Add(-48 * time.Hour)}, {Kind: "baseline"}},
			History: []alert.StatusChange{{At: t0.Add(-30 * time.Hour), From: alert.Open, To: alert.Acknowledged, By: "nurse.it"}}},
		{ID: alert.IDForKey(other), DedupKey: other, Detector: "scan", DeviceID: "dev-2", Count: 1, Status: alert.Open,
			History: []alert.StatusChange{{By: "x"}}},
	}
	e := New(stored)
	if e.Len() != 2 || e.Pending() != 0 {
		t.Fatalf("len, pending = %d, %d, want 2, 0", e.Len(), e.Pending())
	}
	if stored[0].History == nil {
		t.Error("New cleared the caller's History")
	}
	if got := wholeOf(e.Flush(noLookup)); len(got) != 0 {
		t.Fatalf("flush without occurrences = %d alerts, want 0", len(got))
	}
	e.Raise(occ(key, t0))
	got := wholeOf(e.Flush(noLookup))
	if len(got) != 1 {
		t.Fatalf("flushed %d alerts, want 1", len(got))
	}
	a := got[0]
	if a.Count != 6 {
		t.Errorf("count = %d, want 6", a.Count)
	}
	if !a.FirstSeen.Equal(t0.Add(-48*time.Hour)) || !a.LastSeen.Equal(t0) {
		t.Errorf("first, last = %s, %s, want %s, %s", a.FirstSeen, a.LastSeen, t0.Add(-48*time.Hour), t0)
	}
	if a.Status != alert.Acknowledged {
		t.Errorf("status = %q, want the stored %q", a.Status, alert.Acknowledged)
	}
	if a.History != nil {
		t.Errorf("history = %v, want nil (the store's to keep)", a.History)
	}
	if got := eventTimes(a.Evidence); len(got) != 2 || !got[0].Equal(t0.Add(-48*time.Hour)) {
		t.Errorf("event evidence = %v, want the stored event then the new one", got)
	}
	if !strings.HasPrefix(a.Title, "Infusion pump pump-3w (10.2.3.4) ") {
		t.Errorf("title = %q, want it described again", a.Title)
	}
}

func TestFlushDescribesDevice(t *testing.T) {
	key := Key("new-port", "dev-1", "tcp/8443")
	unclassified := Device{ID: "dev-1", Criticality: asset.CriticalityUnknown, Addr: "10.2.3.4", Name: "10.2.3.4"}
	tests := []struct {
		name       string
		first      Device
		base       alert.Severity
		lookup     Lookup
		wantTitle  string
		wantSev    alert.Severity
		wantRaised bool
		wantCrit   string
	}{
		{name: "unknown to lookup", first: unclassified, base: alert.Medium, lookup: noLookup,
			wantTitle: "Device 10.2.3.4 → ", wantSev: alert.Medium, wantCrit: "unknown"},
		{name: "classified since", first: unclassified, base: alert.Medium,
			lookup: func(id string) (Device, bool) {
				if id != "dev-1" {
					return Device{}, false
				}
				return Device{ID: id, ClassLabel: "Infusion pump", Name: "pump-3w", Addr: "10.99.99.99", Criticality: asset.LifeSupporting}, true
			},
			wantTitle: "Infusion pump pump-3w (10.2.3.4) → ", wantSev: alert.Medium, wantCrit: "life-supporting"},
		{name: "life-sustaining raised", first: unclassified, base: alert.Medium,
			lookup: func(id string) (Device, bool) {
				return Device{ID: id, ClassLabel: "Ventilator", Name: "vent-7", Criticality: asset.LifeSustaining}, true
			},
			wantTitle: "Ventilator vent-7 (10.2.3.4) → ", wantSev: alert.High, wantRaised: true, wantCrit: "life-sustaining"},
		{name: "life-sustaining capped at critical", first: unclassified, base: alert.Critical,
			lookup: func(id string) (Device, bool) {
				return Device{ID: id, ClassLabel: "Ventilator", Criticality: asset.LifeSustaining}, true
			},
			wantTitle: "Ventilator 10.2.3.4 → ", wantSev: alert.Critical, wantRaised: true, wantCrit: "life-sustaining"},
		{name: "life-sustaining at first, no lookup", first: Device{ID: "dev-1", ClassLabel: "Ventilator", Addr: "10.2.3.4",
			Criticality: asset.LifeSustaining}, base: alert.High, lookup: noLookup,
			wantTitle: "Ventilator 10.2.3.4 → ", wantSev: alert.Critical, wantRaised: true, wantCrit: "life-sustaining"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := New(nil)
			o := occ(key, t0)
			o.Device, o.Severity = tt.first, tt.base
			e.Raise(o)
			// A later occurrence from another address does not change
			// the address the alert shows.
			o2 := occ(key, t0.Add(time.Hour))
			o2.Device.Addr, o2.Device.Criticality = "10.2.3.99", asset.NonClinical
			e.Raise(o2)
			a := wholeOf(e.Flush(tt.lookup))[0]
			if !strings.HasPrefix(a.Title, tt.wantTitle) || !strings.HasSuffix(a.Title, o.What) {
				t.Errorf("title = %q, want %q + %q", a.Title, tt.wantTitle, o.What)
			}
			if a.Severity != tt.wantSev {
				t.Errorf("severity = %s, want %s", a.Severity, tt.wantSev)
			}
			if !strings.HasPrefix(a.Explanation, o.Explanation) || !strings.Contains(a.Explanation, "The device is "+tt.wantCrit+".") {
				t.Errorf("explanation = %q, want it to start with the occurrence's and name the criticality %s", a.Explanation, tt.wantCrit)
			}
			if got := strings.Contains(a.Explanation, "Severity raised one step"); got != tt.wantRaised {
				t.Errorf("explanation says raised = %v, want %v: %q", got, tt.wantRaised, a.Explanation)
			}
		})
	}
}

func TestFlushUsesLookupAtFlushTime(t *testing.T) {
	key := Key("scan", "dev-1")
	e := New(nil)
	e.Raise(occ(key, t0))
	label := "Workstation"
	crit := asset.NonClinical
	lookup := func(id string) (Device, bool) {
		return Device{ID: id, ClassLabel: label, Name: "host-1", Criticality: crit}, true
	}
	if a := wholeOf(e.Flush(lookup))[0]; !strings.HasPrefix(a.Title, "Workstation host-1 (10.2.3.4)") || a.Severity != alert.Medium {
		t.Fatalf("title, severity = %q, %s", a.Title, a.Severity)
	}
	label, crit = "Infusion pump", asset.LifeSustaining
	e.Raise(occ(key, t0.Add(time.Minute)))
	a := wholeOf(e.Flush(lookup))[0]
	if !strings.HasPrefix(a.Title, "Infusion pump host-1 (10.2.3.4)") || a.Severity != alert.High {
		t.Errorf("title, severity = %q, %s, want the device as known at the second flush, raised", a.Title, a.Severity)
	}
}

func TestDescribe(t *testing.T) {
	for _, tt := range []struct {
		d    Device
		want string
	}{
		{Device{ClassLabel: "Infusion pump", Name: "pump-3w", Addr: "10.2.3.4"}, "Infusion pump pump-3w (10.2.3.4)"},
		{Device{ClassLabel: "Infusion pump", Name: "10.2.3.4", Addr: "10.2.3.4"}, "Infusion pump 10.2.3.4"},
		{Device{ClassLabel: "Infusion pump", Name: "pump-3w"}, "Infusion pump pump-3w"},
		{Device{Addr: "10.2.3.4"}, "Device 10.2.3.4"},
	} {
		if got := tt.d.Describe(); got != tt.want {
			t.Errorf("Describe(%+v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

// wholeOf keeps the whole alerts of a Flush.
func wholeOf(whole []alert.Alert, _ []Counted) []alert.Alert { return whole }

// TestRepeatIsCounted: once an alert holds all its evidence, further
// occurrences through Repeat are flushed as counts only; a Raise makes it
// whole again.
func TestRepeatIsCounted(t *testing.T) {
	e := New(nil)
	t1 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	raise := func(at time.Time) {
		e.Raise(Occurrence{Key: "k", Detector: "d", What: "did it", Time: at,
			Evidence: []alert.Evidence{{Kind: "event", Summary: at.String(), Time: at}}})
	}
	if e.Repeat("k", t1) {
		t.Fatal("Repeat of an unknown key succeeded")
	}
	for i := range maxEventEvidence {
		raise(t1.Add(time.Duration(i) * time.Minute))
	}
	if whole, counted := e.Flush(noLookup); len(whole) != 1 || len(counted) != 0 {
		t.Fatalf("after raises: %d whole, %d counted; want 1, 0", len(whole), len(counted))
	}
	if !e.Repeat("k", t1.Add(time.Hour)) || !e.Repeat("k", t1.Add(-time.Hour)) {
		t.Fatal("Repeat of a full alert refused")
	}
	whole, counted := e.Flush(noLookup)
	want := Counted{ID: alert.IDForKey("k"), Count: maxEventEvidence + 2, FirstSeen: t1.Add(-time.Hour), LastSeen: t1.Add(time.Hour)}
	if len(whole) != 0 || len(counted) != 1 || counted[0] != want {
		t.Fatalf("after repeats: whole %v, counted %+v; want none and %+v", whole, counted, want)
	}
	raise(t1.Add(2 * time.Hour))
	if whole, counted := e.Flush(noLookup); len(whole) != 1 || len(counted) != 0 || whole[0].Count != maxEventEvidence+3 {
		t.Fatalf("after a raise: %d whole, %d counted", len(whole), len(counted))
	}
}

// TestKeyIsStorableText: keys come from input; bytes that are not UTF-8,
// and NULs, become U+FFFD so that the store accepts the alert.
func TestKeyIsStorableText(t *testing.T) {
	for _, c := range []struct {
		parts []string
		want  string
	}{
		{[]string{"sigma", "r1", "acct", "arn:aws:iam::1:user/a"}, "sigma|r1|acct|arn:aws:iam::1:user/a"},
		{[]string{"d", "a\x00b"}, "d|a\uFFFDb"},
		{[]string{"d", "\xff\xfeé"}, "d|\uFFFD\uFFFDé"},
	} {
		if got := Key(c.parts...); got != c.want || !utf8.ValidString(got) {
			t.Errorf("Key(%q) = %q, want %q", c.parts, got, c.want)
		}
	}
}
