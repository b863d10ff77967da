package risk

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/vigil-iomt/vigil/internal/asset"
)

func TestRollUp(t *testing.T) {
	findings := []FindingRisk{
		{Outcome: Scheduled, CVSS: 7.5, HasCVSS: true, EPSS: 0.02},
		{Outcome: OutOfCycle, CVSS: 6.1, HasCVSS: true, KEV: true, EPSS: 0.6},
		{Outcome: Defer},
		{Outcome: Scheduled, CVSS: 8.8, HasCVSS: true, EPSS: 0.1},
		// Suppressed by VEX: worst and highest of all, and must not count.
		{Outcome: Immediate, CVSS: 9.8, HasCVSS: true, KEV: true, EPSS: 0.97, Suppressed: true},
	}
	got := RollUp(findings)
	want := DeviceRisk{
		Worst:      OutOfCycle,
		Counts:     map[Outcome]int{Immediate: 0, OutOfCycle: 1, Scheduled: 2, Defer: 1},
		Findings:   4,
		Suppressed: 1,
		MaxCVSS:    8.8,
		MaxEPSS:    0.6,
		KEV:        1,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}

	empty := RollUp(nil)
	if empty.Worst != "" || empty.Findings != 0 || len(empty.Counts) != 4 || empty.Counts[Defer] != 0 {
		t.Errorf("empty roll-up: %+v", empty)
	}
	allDefer := RollUp([]FindingRisk{{Outcome: Defer}})
	if allDefer.Worst != Defer {
		t.Errorf("a device with only deferred findings: worst %q, want defer", allDefer.Worst)
	}
}

func TestTransition(t *testing.T) {
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		cur, next State
		changed   bool
		want      error
	}{
		{StateAvailable, StateValidated, false, nil},
		{StateValidated, StateScheduled, false, nil},
		{StateScheduled, StateDeployed, false, nil},
		{StateDeployed, StateVerified, true, nil},
		{StateDeployed, StateVerified, false, ErrVersionUnchanged},
		{StateDeployed, StateScheduled, false, nil}, // rolled back
		{StateAvailable, StateNotApplicable, false, nil},
		{StateDeployed, StateNotApplicable, false, nil},
		{StateAvailable, StateScheduled, false, ErrOrder}, // skips validation
		{StateAvailable, StateDeployed, false, ErrOrder},
		{StateAvailable, StateVerified, true, ErrOrder},
		{StateScheduled, StateVerified, true, ErrOrder},
		{StateValidated, StateAvailable, false, ErrOrder},
		{StateAvailable, StateAvailable, false, ErrOrder},
		{StateVerified, StateNotApplicable, false, ErrOrder}, // closed is final
		{StateNotApplicable, StateAvailable, false, ErrOrder},
		{"patched", StateVerified, true, ErrState},
		{StateDeployed, "done", true, ErrState},
	}
	for _, tt := range tests {
		err := Transition(tt.cur, tt.next, at, "biomed", tt.changed)
		if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
			t.Errorf("%s → %s (changed=%v): got %v, want %v", tt.cur, tt.next, tt.changed, err, tt.want)
		}
	}
	if err := Transition(StateAvailable, StateValidated, time.Time{}, "biomed", false); !errors.Is(err, ErrWho) {
		t.Errorf("no time: got %v, want ErrWho", err)
	}
	if err := Transition(StateAvailable, StateValidated, at, " ", false); !errors.Is(err, ErrWho) {
		t.Errorf("no author: got %v, want ErrWho", err)
	}
}

func TestSLA(t *testing.T) {
	opened := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		o    Outcome
		want time.Time
		ok   bool
	}{
		{Immediate, opened.Add(48 * time.Hour), true},
		{OutOfCycle, opened.AddDate(0, 0, 14), true},
		{Scheduled, opened.AddDate(0, 0, 90), true},
		{Defer, time.Time{}, false},
		{"bogus", time.Time{}, false},
	} {
		got, ok := DefaultSLA.Due(tt.o, opened)
		if !got.Equal(tt.want) || ok != tt.ok {
			t.Errorf("%s: got %v %v, want %v %v", tt.o, got, ok, tt.want, tt.ok)
		}
	}
	if _, ok := DefaultSLA.Due(Immediate, time.Time{}); ok {
		t.Error("no opening time must give no deadline")
	}
	if err := DefaultSLA.Validate(); err != nil {
		t.Errorf("default SLA invalid: %v", err)
	}
	for name, s := range map[string]SLA{
		"negative":                  {Immediate: -time.Hour},
		"immediate longer":          {Immediate: 30 * 24 * time.Hour, OutOfCycle: 14 * 24 * time.Hour, Scheduled: 90 * 24 * time.Hour},
		"immediate none, others do": {OutOfCycle: 14 * 24 * time.Hour},
	} {
		if err := s.Validate(); !errors.Is(err, ErrSLA) {
			t.Errorf("%s: got %v, want ErrSLA", name, err)
		}
	}
	custom := SLA{Immediate: 24 * time.Hour, OutOfCycle: 7 * 24 * time.Hour}
	if err := custom.Validate(); err != nil {
		t.Errorf("custom SLA with no scheduled deadline: %v", err)
	}
}

func TestOverdue(t *testing.T) {
	opened := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	it := PlanItem{ID: "f1", Outcome: Immediate, State: StateScheduled, Opened: opened}
	it.SetDue(DefaultSLA)
	due := opened.Add(48 * time.Hour)
	if !it.Due.Equal(due) {
		t.Fatalf("due %v, want %v", it.Due, due)
	}
	for _, tt := range []struct {
		name  string
		state State
		now   time.Time
		want  bool
	}{
		{"before", StateScheduled, due.Add(-time.Second), false},
		{"at the deadline", StateScheduled, due, false},
		{"just after", StateScheduled, due.Add(time.Second), true},
		{"deployed but not verified", StateDeployed, due.Add(time.Hour), true},
		{"verified", StateVerified, due.Add(time.Hour), false},
		{"not applicable", StateNotApplicable, due.Add(time.Hour), false},
	} {
		it.State = tt.state
		if got := it.Overdue(tt.now); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
	deferred := PlanItem{Outcome: Defer, State: StateAvailable, Opened: opened}
	deferred.SetDue(DefaultSLA)
	if deferred.Overdue(opened.AddDate(10, 0, 0)) {
		t.Error("a deferred finding is never overdue")
	}
}

func TestPlanOrder(t *testing.T) {
	items := []PlanItem{
		{ID: "z-defer", Outcome: Defer, Criticality: asset.LifeSustaining, Exposure: ExposureOpen, EPSS: 0.9, CVSS: 10, State: StateAvailable},
		{ID: "b-sched-diag", Outcome: Scheduled, Criticality: asset.Diagnostic, Exposure: ExposureOpen, State: StateAvailable},
		{ID: "a-sched-life-small", Outcome: Scheduled, Criticality: asset.LifeSustaining, Exposure: ExposureSmall, EPSS: 0.9, State: StateValidated},
		{ID: "c-sched-life-open-lowepss", Outcome: Scheduled, Criticality: asset.LifeSustaining, Exposure: ExposureOpen, EPSS: 0.01, CVSS: 9.8, State: StateAvailable},
		{ID: "d-sched-life-open-hiepss-lowcvss", Outcome: Scheduled, Criticality: asset.LifeSustaining, Exposure: ExposureOpen, EPSS: 0.2, CVSS: 5.0, State: StateAvailable},
		{ID: "e-sched-life-open-hiepss-hicvss", Outcome: Scheduled, Criticality: asset.LifeSustaining, Exposure: ExposureOpen, EPSS: 0.2, CVSS: 7.0, State: StateAvailable},
		{ID: "f-tie", Outcome: Scheduled, Criticality: asset.LifeSustaining, Exposure: ExposureOpen, EPSS: 0.2, CVSS: 7.0, State: StateAvailable},
		{ID: "y-immediate-nonclinical", Outcome: Immediate, Criticality: asset.NonClinical, Exposure: ExposureSmall, State: StateAvailable},
		{ID: "x-ooc-unknown", Outcome: OutOfCycle, Criticality: asset.CriticalityUnknown, State: StateDeployed},
		{ID: "w-ooc-support", Outcome: OutOfCycle, Criticality: asset.ClinicalSupport, State: StateAvailable},
		{ID: "done", Outcome: Immediate, Criticality: asset.LifeSustaining, State: StateVerified},
		{ID: "na", Outcome: Immediate, Criticality: asset.LifeSustaining, State: StateNotApplicable},
	}
	want := []string{
		"y-immediate-nonclinical",
		"w-ooc-support",
		"x-ooc-unknown",
		"e-sched-life-open-hiepss-hicvss",
		"f-tie",
		"d-sched-life-open-hiepss-lowcvss",
		"c-sched-life-open-lowepss",
		"a-sched-life-small",
		"b-sched-diag",
		"z-defer",
	}
	orig := append([]PlanItem(nil), items...)
	for _, in := range [][]PlanItem{items, reversed(items)} {
		var got []string
		for _, it := range Plan(in) {
			got = append(got, it.ID)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("plan:\n got %v\nwant %v", got, want)
		}
	}
	if !reflect.DeepEqual(items, orig) {
		t.Error("Plan modified its input")
	}
}

func reversed(s []PlanItem) []PlanItem {
	r := make([]PlanItem, len(s))
	for i, x := range s {
		r[len(s)-1-i] = x
	}
	return r
}
