package risk

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vigil-iomt/vigil/internal/asset"
)

// State is where the remediation of one finding on one device stands.
type State string

// Lifecycle states, in order, and the exit.
const (
	StateAvailable     State = "available"      // a fix exists (vendor patch or update)
	StateValidated     State = "validated"      // tested or approved for this model (vendor or biomed)
	StateScheduled     State = "scheduled"      // a maintenance window is booked
	StateDeployed      State = "deployed"       // someone says it is installed
	StateVerified      State = "verified"       // Vigil observed the software version change
	StateNotApplicable State = "not-applicable" // closed without patching (not affected, device retired, risk accepted)
)

// States lists the states in lifecycle order, the exit last.
var States = []State{StateAvailable, StateValidated, StateScheduled, StateDeployed, StateVerified, StateNotApplicable}

// Closed reports whether no more work is expected: verified or not
// applicable.
func (s State) Closed() bool { return s == StateVerified || s == StateNotApplicable }

func (s State) index() int { return slices.Index(States, s) }

// ErrState means a state that is not one of States.
var ErrState = errors.New("unknown patch state")

// ErrOrder means a transition the lifecycle does not allow.
var ErrOrder = errors.New("transition not allowed")

// ErrVersionUnchanged means deployed → verified was asked while the
// observed software version did not change.
var ErrVersionUnchanged = errors.New("observed software version did not change")

// ErrWho means a transition with no time or no author.
var ErrWho = errors.New("transition needs a time and an author")

// Transition checks that a finding may move from cur to next at at, by
// by. The lifecycle moves one step forward at a time — available →
// validated → scheduled → deployed → verified — except that any open
// state may exit to not-applicable, and a deployment may go back to
// scheduled (rolled back or failed). Deployed → verified needs the
// observed software version to have changed since the patch was
// scheduled: the caller passes versionChanged from software.log or
// telemetry; someone's word that a patch is installed is Deployed, never
// Verified. Closed states are final.
func Transition(cur, next State, at time.Time, by string, versionChanged bool) error {
	ci, ni := cur.index(), next.index()
	switch {
	case ci < 0:
		return fmt.Errorf("patch %q: %w", cur, ErrState)
	case ni < 0:
		return fmt.Errorf("patch %q: %w", next, ErrState)
	case at.IsZero() || strings.TrimSpace(by) == "":
		return fmt.Errorf("patch %s → %s: %w", cur, next, ErrWho)
	case cur.Closed():
		return fmt.Errorf("patch %s → %s: %s is final: %w", cur, next, cur, ErrOrder)
	case next == StateNotApplicable:
		return nil
	case cur == StateDeployed && next == StateScheduled:
		return nil
	case ni != ci+1:
		return fmt.Errorf("patch %s → %s: %w", cur, next, ErrOrder)
	case next == StateVerified && !versionChanged:
		return fmt.Errorf("patch %s → %s: %w", cur, next, ErrVersionUnchanged)
	}
	return nil
}

// SLA is the time allowed, per decision, from when a finding is opened to
// when its remediation is closed (verified or not applicable). Zero means
// no deadline.
type SLA struct {
	Immediate  time.Duration `yaml:"immediate" json:"immediate"`
	OutOfCycle time.Duration `yaml:"out_of_cycle" json:"out_of_cycle"`
	Scheduled  time.Duration `yaml:"scheduled" json:"scheduled"`
	Defer      time.Duration `yaml:"defer" json:"defer"`
}

// DefaultSLA: Immediate 2 days, Out-of-Cycle 14 days, Scheduled 90 days,
// Defer none. docs/risk.md gives the reasons: Immediate leaves the time
// to get a vendor-approved fix onto a device that can only be taken out
// of patient use between cases; Out-of-Cycle matches the two weeks CISA's
// BOD 22-01 gives federal agencies for known-exploited vulnerabilities;
// Scheduled is one quarterly maintenance cycle; Defer is revisited when a
// decision input changes, not on a clock.
var DefaultSLA = SLA{
	Immediate:  2 * 24 * time.Hour,
	OutOfCycle: 14 * 24 * time.Hour,
	Scheduled:  90 * 24 * time.Hour,
}

// ErrSLA means a negative SLA or one less urgent decision with a shorter
// deadline than a more urgent one.
var ErrSLA = errors.New("invalid SLA")

// Validate checks the durations are not negative and that a more urgent
// decision never gets more time than a less urgent one (zero, "none",
// counts as the longest).
func (s SLA) Validate() error {
	seq := []struct {
		name string
		d    time.Duration
	}{{"immediate", s.Immediate}, {"out_of_cycle", s.OutOfCycle}, {"scheduled", s.Scheduled}, {"defer", s.Defer}}
	var errs []error
	for _, x := range seq {
		if x.d < 0 {
			errs = append(errs, fmt.Errorf("sla %s %v: %w", x.name, x.d, ErrSLA))
		}
	}
	for i := 1; i < len(seq); i++ {
		a, b := seq[i-1], seq[i]
		if a.d == 0 && b.d > 0 {
			errs = append(errs, fmt.Errorf("sla %s has no deadline but %s has %v: %w", a.name, b.name, b.d, ErrSLA))
		} else if b.d > 0 && a.d > b.d {
			errs = append(errs, fmt.Errorf("sla %s %v is longer than %s %v: %w", a.name, a.d, b.name, b.d, ErrSLA))
		}
	}
	return errors.Join(errs...)
}

// For returns the time allowed for an outcome, zero for none.
func (s SLA) For(o Outcome) time.Duration {
	switch o {
	case Immediate:
		return s.Immediate
	case OutOfCycle:
		return s.OutOfCycle
	case Scheduled:
		return s.Scheduled
	case Defer:
		return s.Defer
	}
	return 0
}

// Due returns when a finding opened at opened with outcome o must be
// closed, and false when o has no deadline.
func (s SLA) Due(o Outcome, opened time.Time) (time.Time, bool) {
	d := s.For(o)
	if d <= 0 || opened.IsZero() {
		return time.Time{}, false
	}
	return opened.Add(d), true
}

// PlanItem is one piece of patch work: a finding on a device.
type PlanItem struct {
	ID          string            `json:"id"`
	DeviceID    string            `json:"device_id"`
	VulnID      string            `json:"vuln_id"`
	Outcome     Outcome           `json:"decision"`
	Criticality asset.Criticality `json:"criticality"`
	Exposure    Exposure          `json:"exposure"`
	EPSS        float64           `json:"epss"`
	CVSS        float64           `json:"cvss"`
	State       State             `json:"state"`
	// Opened is when the finding was first seen on the device; the SLA
	// runs from then, so a decision that escalates later is due sooner.
	Opened time.Time `json:"opened"`
	// Due is Opened plus the SLA of Outcome; zero for no deadline. Set it
	// with SetDue.
	Due time.Time `json:"due,omitempty"`
}

// SetDue sets Due from the SLA.
func (p *PlanItem) SetDue(s SLA) {
	p.Due, _ = s.Due(p.Outcome, p.Opened)
}

// Overdue reports whether the item is still open after its deadline: Due
// is set, now is after it, and the state is not closed. The clock stops
// at verified, not deployed: until the version change is observed, the
// device still runs the vulnerable software as far as anyone can show.
func (p PlanItem) Overdue(now time.Time) bool {
	return !p.Due.IsZero() && now.After(p.Due) && !p.State.Closed()
}

func critRank(c asset.Criticality) int {
	if i := slices.Index(asset.Criticalities, c); i >= 0 {
		return i
	}
	return len(asset.Criticalities)
}

func exposureRank(x Exposure) int {
	switch x {
	case ExposureOpen:
		return 0
	case ExposureControlled:
		return 1
	case ExposureSmall:
		return 2
	}
	return 3
}

// Plan returns the open items (closed ones dropped) in the order the work
// should be done: decision (Immediate first), then device criticality
// (life-sustaining first, unknown last), then exposure (open first), then
// EPSS, then CVSS (highest first), then ID. The order is total, so the
// plan is the same for the same items in any order. items is not
// modified.
func Plan(items []PlanItem) []PlanItem {
	out := make([]PlanItem, 0, len(items))
	for _, it := range items {
		if !it.State.Closed() {
			out = append(out, it)
		}
	}
	slices.SortFunc(out, comparePlan)
	return out
}

func comparePlan(a, b PlanItem) int {
	if c := b.Outcome.Rank() - a.Outcome.Rank(); c != 0 {
		return c
	}
	if c := critRank(a.Criticality) - critRank(b.Criticality); c != 0 {
		return c
	}
	if c := exposureRank(a.Exposure) - exposureRank(b.Exposure); c != 0 {
		return c
	}
	if a.EPSS != b.EPSS {
		if a.EPSS > b.EPSS {
			return -1
		}
		return 1
	}
	if a.CVSS != b.CVSS {
		if a.CVSS > b.CVSS {
			return -1
		}
		return 1
	}
	return strings.Compare(a.ID, b.ID)
}
