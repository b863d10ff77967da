package store

import (
	"errors"
	"fmt"
	"time"
)

// FindingRecord is one assessed finding: what the matcher and the risk
// decision say now, and where its patch stands.
//
// Its assessment fields (everything but State, Due, History and Gone) are
// written by Commit, which replaces them whole on every re-assessment.
// Its patch state (State, History) belongs to people: only SetPatchState
// changes it, and a re-assessment never resets it.
type FindingRecord struct {
	// ID is the finding's key, stable across assessments: the caller
	// derives it from device, vulnerability and component.
	ID       string
	DeviceID string
	// Vulnerability is the advisory ID (CVE, GHSA, ICSMA…).
	Vulnerability string
	// Component is the SBOM component ref, "" for a device-level (CSAF
	// product) finding.
	Component string
	// Decision is the SSVC outcome (internal/risk.Outcomes): immediate,
	// out-of-cycle, scheduled or defer. Findings orders by it, most urgent
	// first (see DecisionRank).
	Decision string
	// Suppressed is whether a VEX statement says the device is not
	// affected, or fixed. Findings leaves suppressed findings out unless
	// asked for them.
	Suppressed bool
	// CVSS is the score used, in [0, 10] (0 when none).
	CVSS float64
	KEV  bool
	// EPSS is the exploitation probability, in [0, 1].
	EPSS float64
	// Assessed is when the assessment that produced the finding ran (wall
	// clock).
	Assessed time.Time
	// Doc is the whole assessed finding (JSON written by the caller),
	// stored and returned byte for byte. It may be empty, not nil.
	Doc []byte

	// State is the patch state: "" until SetPatchState first sets it,
	// then one of available, validated, scheduled, deployed, verified,
	// not-applicable (internal/risk.States). Read-only on Commit: a new
	// finding is stored with "", a stored one keeps its state.
	State string
	// Due is the SLA due date. Commit replaces it when the record carries
	// a non-zero Due (the assessment computes it from the decision's SLA)
	// and keeps the stored one otherwise; SetPatchState sets it too.
	Due time.Time
	// History is the finding's patch state changes, in the order they
	// were made. Read-only on Commit: only SetPatchState appends to it.
	History []PatchChange
	// Gone is zero while assessments still produce the finding, and when
	// one no longer did (see Batch.FindingsGone). Read-only on Commit,
	// which clears it: a finding upserted again is produced again.
	Gone time.Time
}

// PatchChange is one change of a finding's patch state.
type PatchChange struct {
	// At is when the change was made; zero is allowed.
	At time.Time
	// From is the state replaced; SetPatchState fills it from the stored
	// state, ignoring the caller's.
	From string
	// To is the new state; By who made the change (a person or a
	// policy), Note why.
	To, By, Note string
}

// FindingGone marks a stored finding as no longer produced by an
// assessment: its Gone becomes At. The finding, its patch state and its
// history are kept, and a later upsert of the same ID revives it.
type FindingGone struct {
	ID string
	At time.Time
}

// FindingQuery filters Findings. Zero values do not filter; by default
// suppressed findings and gone ones are left out.
type FindingQuery struct {
	DeviceID string
	// Decision keeps the findings of one SSVC outcome; it must be one
	// DecisionRank knows.
	Decision      string
	Vulnerability string
	// State keeps the findings in one patch state ("" does not filter:
	// findings whose state was never set cannot be selected alone).
	State string
	// IncludeSuppressed keeps the findings a VEX statement suppresses;
	// IncludeGone keeps those no longer produced.
	IncludeSuppressed, IncludeGone bool
	Limit                          int
}

// DecisionRank returns the rank of an SSVC outcome, the order of Findings
// (highest first): immediate 3, out-of-cycle 2, scheduled 1, defer 0 (as
// internal/risk.Rank, which the store does not import), and -1 for
// anything else, which a finding may not carry.
func DecisionRank(decision string) int {
	switch decision {
	case "immediate":
		return 3
	case "out-of-cycle":
		return 2
	case "scheduled":
		return 1
	case "defer":
		return 0
	}
	return -1
}

// ValidatePatchChange reports why SetPatchState cannot store c with the
// due date due, wrapping ErrInvalidBatch: To and By must be non-empty, To,
// By and Note valid UTF-8 without NUL, At and due zero or within
// [MinTime, MaxTime]. From is not checked: SetPatchState fills it. The
// order of states is the caller's to check (internal/risk.Transition):
// the store only stores.
func ValidatePatchChange(c PatchChange, due time.Time) error {
	var errs []error
	if c.To == "" || c.By == "" {
		errs = append(errs, fmt.Errorf("%w: patch change: empty to or by (%q, %q)", ErrInvalidBatch, c.To, c.By))
	}
	if !validText(c.To) || !validText(c.By) || !validText(c.Note) {
		errs = append(errs, fmt.Errorf("%w: patch change: to %q, by %q or note is not valid UTF-8 without NUL", ErrInvalidBatch, c.To, c.By))
	}
	if !timeInRange(c.At) {
		errs = append(errs, fmt.Errorf("%w: patch change: time %s out of range", ErrInvalidBatch, c.At))
	}
	if !timeInRange(due) {
		errs = append(errs, fmt.Errorf("%w: patch change: due %s out of range", ErrInvalidBatch, due))
	}
	return errors.Join(errs...)
}

// validateFindings reports, with bad, the problems of the batch's
// findings and findings gone (see Batch.Validate).
func (b *Batch) validateFindings(bad func(format string, args ...any)) {
	written := make(map[string]bool, len(b.Findings))
	for i := range b.Findings {
		f := &b.Findings[i]
		if f.ID == "" || f.DeviceID == "" || f.Vulnerability == "" {
			bad("findings[%d]: empty id, device id or vulnerability (%q, %q, %q)", i, f.ID, f.DeviceID, f.Vulnerability)
		}
		for _, c := range []struct{ name, v string }{
			{"id", f.ID}, {"device id", f.DeviceID}, {"vulnerability", f.Vulnerability}, {"component", f.Component},
		} {
			if !validText(c.v) {
				bad("findings[%d]: %s %q is not valid UTF-8 without NUL", i, c.name, c.v)
			}
		}
		if DecisionRank(f.Decision) < 0 {
			bad("findings[%d] %q: invalid decision %q", i, f.ID, f.Decision)
		}
		if !(f.CVSS >= 0 && f.CVSS <= 10) { // false for NaN
			bad("findings[%d] %q: cvss %v outside [0, 10]", i, f.ID, f.CVSS)
		}
		if !(f.EPSS >= 0 && f.EPSS <= 1) {
			bad("findings[%d] %q: epss %v outside [0, 1]", i, f.ID, f.EPSS)
		}
		if !timeInRange(f.Assessed) || !timeInRange(f.Due) {
			bad("findings[%d] %q: assessed or due out of range", i, f.ID)
		}
		if f.Doc == nil {
			bad("findings[%d] %q: nil document", i, f.ID)
		}
		written[f.ID] = true
	}
	for i, g := range b.FindingsGone {
		switch {
		case g.ID == "":
			bad("findings_gone[%d]: empty id", i)
		case !validText(g.ID):
			bad("findings_gone[%d]: id %q is not valid UTF-8 without NUL", i, g.ID)
		case written[g.ID]:
			bad("findings_gone[%d]: finding %q is also written by the batch", i, g.ID)
		}
		if g.At.IsZero() || !timeInRange(g.At) {
			bad("findings_gone[%d] %q: time %s is zero or out of range", i, g.ID, g.At)
		}
	}
}
