package risk

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

// The rubric is well formed: IDs unique, every Next names a question of
// the same metric, every terminal value is a valid CVSS 3.1 value of the
// metric, every question is reachable from its metric's root, and every
// flow ends.
func TestRubricWellFormed(t *testing.T) {
	base := mustParse(t, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
	reached := map[string]bool{}
	var visit func(id string, depth int)
	visit = func(id string, depth int) {
		if depth > len(Rubric) {
			t.Fatalf("flow through %s does not end", id)
		}
		reached[id] = true
		q := questionByID[id]
		for _, o := range q.Options {
			if o.Next != "" {
				if n, ok := questionByID[o.Next]; !ok || n.Metric != q.Metric {
					t.Errorf("%s=%s leads to %q, not a %s question", id, o.Answer, o.Next, q.Metric)
					continue
				}
				visit(o.Next, depth+1)
			} else if _, err := base.With(q.Metric, o.Value); err != nil {
				t.Errorf("%s=%s gives %s:%s: %v", id, o.Answer, q.Metric, o.Value, err)
			}
		}
	}
	if len(questionByID) != len(Rubric) {
		t.Errorf("duplicate question IDs")
	}
	for _, r := range roots {
		for _, id := range r.ids {
			if questionByID[id] == nil || questionByID[id].Metric != r.metric {
				t.Fatalf("root %s is not a %s question", id, r.metric)
			}
			visit(id, 0)
		}
	}
	for _, q := range Rubric {
		// XAVPA is recorded but not on a path: AV is P either way.
		if !reached[q.ID] && q.ID != "XAVPA" {
			t.Errorf("question %s is unreachable", q.ID)
		}
	}
}

func answers(kv ...string) Answers {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return Answers{VulnID: "CVE-2099-0001", Vendor: "Acme", Model: "Pump 9", Answers: m, By: "biomed@example.org", At: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func TestAdjustWorkedExamples(t *testing.T) {
	nvd := "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" // 9.8
	tests := []struct {
		name      string
		base      string
		ans       Answers
		want      string
		wantScore float64
		changes   []Change
	}{
		{
			// A flaw in an infusion pump's proprietary radio stack: NVD
			// scores it as a network attack; the rubric says the radio is
			// not IP and reaches further than 10 ft, so Adjacent.
			name: "pump radio: network becomes adjacent",
			base: nvd,
			ans: answers("XAVN", "yes", "XAVT", "no", "XAVW", "yes", "XAVR", "no",
				"XACL", "yes", "XPRL", "no", "XUI", "no", "XS", "no",
				"XCP", "no", "XCD", "no", "XCT", "yes",
				"XIT", "yes", "XAT", "yes"),
			want:      "CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
			wantScore: 8.8,
			changes: []Change{
				{Metric: "AV", From: "N", To: "A", Path: "XAVN=yes → XAVT=no → XAVW=yes → XAVR=no", Reason: "rubric answers"},
				{Metric: "AC", From: "L", To: "L", Path: "XACL=yes", Reason: "rubric confirms the base value"},
				{Metric: "PR", From: "N", To: "N", Path: "XPRL=no", Reason: "rubric confirms the base value"},
				{Metric: "UI", From: "N", To: "N", Path: "XUI=no", Reason: "rubric confirms the base value"},
				{Metric: "S", From: "U", To: "U", Path: "XS=no", Reason: "rubric confirms the base value"},
				{Metric: "C", From: "H", To: "H", Path: "XCP=no; XCD=no; XCT=yes", Reason: "rubric confirms the base value"},
				{Metric: "I", From: "H", To: "H", Path: "XIT=yes", Reason: "rubric confirms the base value"},
				{Metric: "A", From: "H", To: "H", Path: "XAT=yes", Reason: "rubric confirms the base value"},
			},
		},
		{
			// A service-port flaw that needs a cable on the device's body.
			name:      "service port: physical",
			base:      nvd,
			ans:       answers("XAVN", "no", "XAVP", "yes", "XAVPA", "no"),
			want:      "CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
			wantScore: 6.8,
			changes:   []Change{{Metric: "AV", From: "N", To: "P", Path: "XAVN=no → XAVP=yes", Reason: "rubric answers"}},
		},
		{
			// A monitor leaks the current patient's demographics only:
			// PHI readable but not at breach scale, nothing else.
			name: "few patients' PHI: confidentiality low",
			base: nvd,
			ans: answers("XCP", "yes", "XCPM", "no", "XCD", "no", "XCT", "no", "XCW", "no", "XCS", "no", "XCO", "no",
				"XIP", "no", "XID", "no", "XIT", "no", "XIW", "no", "XIS", "no", "XIO", "no"),
			want:      "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:H",
			wantScore: 8.2,
			changes: []Change{
				{Metric: "C", From: "H", To: "L", Path: "XCP=yes → XCPM=no; XCD=no; XCT=no; XCW=no; XCS=no; XCO=no", Reason: "rubric answers"},
				{Metric: "I", From: "H", To: "N", Path: "XIP=no; XID=no; XIT=no; XIW=no; XIS=no; XIO=no", Reason: "rubric answers"},
			},
		},
		{
			// Multi-role device, exploit needs an authenticated
			// administrator and a clinician's action; it reaches the
			// central station (scope changed).
			name:      "admin-only, user action, scope change",
			base:      nvd,
			ans:       answers("XPRL", "yes", "XPRZ", "yes", "XPRS", "yes", "XUI", "yes", "XS", "yes", "XACL", "no"),
			want:      "CVSS:3.1/AV:N/AC:H/PR:H/UI:R/S:C/C:H/I:H/A:H",
			wantScore: 7.6,
			changes: []Change{
				{Metric: "AC", From: "L", To: "H", Path: "XACL=no", Reason: "rubric answers"},
				{Metric: "PR", From: "N", To: "H", Path: "XPRL=yes → XPRZ=yes → XPRS=yes", Reason: "rubric answers"},
				{Metric: "UI", From: "N", To: "R", Path: "XUI=yes", Reason: "rubric answers"},
				{Metric: "S", From: "U", To: "C", Path: "XS=yes", Reason: "rubric answers"},
			},
		},
		{
			name:      "unanswered follow-up leaves the metric",
			base:      nvd,
			ans:       answers("XAVN", "yes", "XPRL", "yes"),
			want:      nvd,
			wantScore: 9.8,
			changes: []Change{
				{Metric: "AV", From: "N", To: "N", Path: "XAVN=yes", Skipped: true, Reason: "unanswered: XAVT"},
				{Metric: "PR", From: "N", To: "N", Path: "XPRL=yes", Skipped: true, Reason: "unanswered: XPRZ"},
			},
		},
		{
			// Therapy data can be altered: High whatever the unanswered
			// categories would say. Availability has a Low-at-most answer
			// and a missing category, so it waits.
			name:      "one high category settles the metric",
			base:      "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:L/A:N",
			ans:       answers("XIT", "yes", "XAP", "no"),
			want:      "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N",
			wantScore: 7.5,
			changes: []Change{
				{Metric: "I", From: "L", To: "H", Path: "XIT=yes", Reason: "rubric answers"},
				{Metric: "A", From: "N", To: "N", Path: "XAP=no", Reason: "rubric confirms the base value"},
			},
		},
		{
			name:      "unknown takes the worst case",
			base:      "CVSS:3.1/AV:L/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N",
			ans:       answers("XAVN", "unknown", "XCD", "unknown"),
			want:      "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
			wantScore: 7.5,
			changes: []Change{
				{Metric: "AV", From: "L", To: "N", Path: "XAVN=unknown", Reason: "rubric answers"},
				{Metric: "C", From: "N", To: "H", Path: "XCD=unknown", Reason: "rubric answers"},
			},
		},
		{
			name:      "cvss 4.0: AV applied, impacts skipped",
			base:      "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
			ans:       answers("XAVN", "yes", "XAVT", "no", "XAVW", "no", "XUI", "yes", "XIT", "yes"),
			want:      "CVSS:4.0/AV:A/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
			wantScore: 8.7,
			changes: []Change{
				{Metric: "AV", From: "N", To: "A", Path: "XAVN=yes → XAVT=no → XAVW=no", Reason: "rubric answers"},
				{Metric: "UI", From: "N", To: "N", Path: "XUI=yes", Skipped: true, Reason: "rubric UI=R is a CVSS v3 metric; CVSS 4.0 defines it differently"},
				{Metric: "I", From: "", To: "", Path: "XIT=yes", Skipped: true, Reason: "rubric I=H is a CVSS v3 metric; CVSS 4.0 defines it differently"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := mustParse(t, tt.base)
			got, changes, err := Adjust(base, tt.ans)
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != tt.want {
				t.Errorf("vector: got %s, want %s", got, tt.want)
			}
			if got.BaseScore() != tt.wantScore {
				t.Errorf("score: got %.1f, want %.1f", got.BaseScore(), tt.wantScore)
			}
			if !reflect.DeepEqual(changes, tt.changes) {
				t.Errorf("changes:\n got %+v\nwant %+v", changes, tt.changes)
			}
			if base.String() != tt.base {
				t.Errorf("base vector modified: %s", base)
			}
		})
	}
}

func TestAdjustRejects(t *testing.T) {
	base := mustParse(t, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
	if _, _, err := Adjust(nil, answers()); !errors.Is(err, ErrNoVector) {
		t.Errorf("nil base: got %v, want ErrNoVector", err)
	}
	_, _, err := Adjust(base, answers("XZZZ", "yes", "XAVW", "unknown", "XACL", "Yes"))
	for _, want := range []error{ErrUnknownQuestion, ErrAnswer} {
		if !errors.Is(err, want) {
			t.Errorf("got %v, want it to match %v", err, want)
		}
	}
	if got, want := err.Error(), "rubric XACL: \"Yes\": answer not allowed\nrubric XAVW: \"unknown\": answer not allowed\nrubric \"XZZZ\": unknown rubric question"; got != want {
		t.Errorf("error text:\n got %q\nwant %q", got, want)
	}
	// No answers: nothing changes, nothing listed.
	got, changes, err := Adjust(base, answers())
	if err != nil || got.String() != base.String() || len(changes) != 0 {
		t.Errorf("empty answers: got %s, %v, %v", got, changes, err)
	}
}
