package store

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

func TestBatchValidateFindings(t *testing.T) {
	t0 := time.Date(2025, 3, 14, 9, 26, 53, 589793238, time.UTC)
	f := func(id string) FindingRecord {
		return FindingRecord{ID: id, DeviceID: "dev-1", Vulnerability: "CVE-1", Decision: "immediate", Doc: []byte{}}
	}
	tests := []struct {
		name string
		b    *Batch
		want []string // substrings of the error, one per problem; none: valid
	}{
		{"valid", &Batch{
			// Repeated IDs, bounds, the zero time, every decision; State,
			// History and Gone are ignored, so not checked.
			Findings: []FindingRecord{f("a"), f("a"),
				{ID: "b", DeviceID: "d", Vulnerability: "v", Decision: "out-of-cycle", CVSS: 10, EPSS: 1, Assessed: MinTime, Due: MaxTime, Doc: []byte("{}")},
				{ID: "c", DeviceID: "d", Vulnerability: "v", Decision: "scheduled", Doc: []byte{}, State: "\x00", Gone: MaxTime.Add(1),
					History: []PatchChange{{}}},
				{ID: "e", DeviceID: "d", Vulnerability: "v", Decision: "defer", Doc: []byte{0xff}}},
			FindingsGone: []FindingGone{{ID: "x", At: t0}, {ID: "x", At: MaxTime}, {ID: "y", At: MinTime}},
		}, nil},
		{"finding", &Batch{Findings: []FindingRecord{
			{Decision: "immediate", Doc: []byte{}},
			{ID: "a\x00", DeviceID: "\xff", Vulnerability: "v", Component: "c\x00", Decision: "Immediate", CVSS: math.NaN(), EPSS: 1.5,
				Assessed: MaxTime.Add(1)},
			{ID: "b", DeviceID: "d", Vulnerability: "v", Decision: "defer", CVSS: -1, EPSS: math.NaN(), Due: MinTime.Add(-1), Doc: []byte{}},
		}}, []string{"findings[0]: empty id, device id or vulnerability", `findings[1]: id "a\x00"`, `findings[1]: device id "\xff"`,
			`findings[1]: component "c\x00"`, `invalid decision "Immediate"`, "cvss NaN", "epss 1.5", `findings[1] "a\x00": assessed or due`,
			`findings[1] "a\x00": nil document`, "cvss -1", "epss NaN", `findings[2] "b": assessed or due`}},
		{"gone", &Batch{Findings: []FindingRecord{f("w")}, FindingsGone: []FindingGone{
			{At: t0}, {ID: "\xff", At: t0}, {ID: "w", At: t0}, {ID: "z"}, {ID: "z", At: MaxTime.Add(1)},
		}}, []string{"findings_gone[0]: empty id", "findings_gone[1]: id", `findings_gone[2]: finding "w" is also written`,
			`findings_gone[3] "z": time`, `findings_gone[4] "z": time`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.b.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidBatch) {
				t.Fatalf("Validate: %v, want ErrInvalidBatch", err)
			}
			msg := err.Error()
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error lacks %q:\n%s", w, msg)
				}
			}
			if got := strings.Count(msg, "\n") + 1; got != len(tt.want) {
				t.Errorf("error has %d problems, want %d:\n%s", got, len(tt.want), msg)
			}
		})
	}
}

func TestValidatePatchChange(t *testing.T) {
	ok := PatchChange{To: "deployed", By: "biomed"}
	if err := ValidatePatchChange(ok, time.Time{}); err != nil {
		t.Errorf("ValidatePatchChange(%+v): %v", ok, err)
	}
	if err := ValidatePatchChange(PatchChange{At: MaxTime, From: "\x00", To: "x", By: "y"}, MinTime); err != nil {
		t.Errorf("at the bounds, an unchecked From: %v", err)
	}
	for _, tt := range []struct {
		c   PatchChange
		due time.Time
	}{
		{PatchChange{By: "b"}, time.Time{}},
		{PatchChange{To: "deployed"}, time.Time{}},
		{PatchChange{To: "deployed\x00", By: "b"}, time.Time{}},
		{PatchChange{To: "deployed", By: "b", Note: "\xff"}, time.Time{}},
		{PatchChange{To: "deployed", By: "b", At: MinTime.Add(-1)}, time.Time{}},
		{ok, MaxTime.Add(1)},
	} {
		if err := ValidatePatchChange(tt.c, tt.due); !errors.Is(err, ErrInvalidBatch) {
			t.Errorf("ValidatePatchChange(%+v, %s): %v, want ErrInvalidBatch", tt.c, tt.due, err)
		}
	}
}

func TestDecisionRank(t *testing.T) {
	for d, want := range map[string]int{"immediate": 3, "out-of-cycle": 2, "scheduled": 1, "defer": 0, "": -1, "Immediate": -1} {
		if got := DecisionRank(d); got != want {
			t.Errorf("DecisionRank(%q) = %d, want %d", d, got, want)
		}
	}
}
