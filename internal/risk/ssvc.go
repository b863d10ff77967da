// Package risk turns what Vigil knows about a vulnerable device into a
// decision a hospital can act on: SSVC deployer decisions (Exploitation,
// System Exposure, Automatable, Human Impact, each with the fact that
// produced it), adjustments of a CVSS vector by the MITRE/FDA rubric for
// medical devices, a roll-up per device or model, and the patch lifecycle
// with its SLAs and the ordered patch plan.
//
// It is pure logic: it does no I/O, keeps no state and reads no clock (the
// caller passes "now"). It must not know how findings are matched or
// stored (internal/vuln and the store own that), nor parse feeds.
package risk

import (
	"fmt"
	"strings"
	"time"

	"github.com/vigil-iomt/vigil/internal/asset"
	"github.com/vigil-iomt/vigil/internal/cvss"
)

// Exploitation is the SSVC Exploitation decision point (ssvc:E:1.1.0): the
// present state of exploitation of the vulnerability.
type Exploitation string

// Exploitation values.
const (
	ExploitNone   Exploitation = "none"
	ExploitPoC    Exploitation = "public-poc"
	ExploitActive Exploitation = "active"
)

// Exposure is the SSVC System Exposure decision point (ssvc:EXP:1.0.1):
// the accessible attack surface of the affected system.
type Exposure string

// Exposure values.
const (
	ExposureSmall      Exposure = "small"
	ExposureControlled Exposure = "controlled"
	ExposureOpen       Exposure = "open"
)

// Automatable is the SSVC Automatable decision point (ssvc:A:2.0.0): can
// an attacker reliably automate reconnaissance, weaponization, delivery
// and exploitation.
type Automatable string

// Automatable values.
const (
	AutomatableNo  Automatable = "no"
	AutomatableYes Automatable = "yes"
)

// HumanImpact is the SSVC Human Impact decision point (ssvc:HI:2.0.2): the
// combination of safety and mission impact.
type HumanImpact string

// Human Impact values.
const (
	ImpactLow      HumanImpact = "low"
	ImpactMedium   HumanImpact = "medium"
	ImpactHigh     HumanImpact = "high"
	ImpactVeryHigh HumanImpact = "very-high"
)

// Outcome is the deployer's patch application priority (ssvc:DSOI:1.0.0).
type Outcome string

// Outcomes, least urgent first.
const (
	Defer      Outcome = "defer"
	Scheduled  Outcome = "scheduled"
	OutOfCycle Outcome = "out-of-cycle"
	Immediate  Outcome = "immediate"
)

// Outcomes lists every outcome, most urgent first.
var Outcomes = []Outcome{Immediate, OutOfCycle, Scheduled, Defer}

// Rank orders outcomes: Immediate 3, Out-of-Cycle 2, Scheduled 1, Defer 0;
// anything else -1.
func (o Outcome) Rank() int {
	switch o {
	case Immediate:
		return 3
	case OutOfCycle:
		return 2
	case Scheduled:
		return 1
	case Defer:
		return 0
	}
	return -1
}

var (
	exploitIdx = map[Exploitation]int{ExploitNone: 0, ExploitPoC: 1, ExploitActive: 2}
	exposeIdx  = map[Exposure]int{ExposureSmall: 0, ExposureControlled: 1, ExposureOpen: 2}
	autoIdx    = map[Automatable]int{AutomatableNo: 0, AutomatableYes: 1}
	impactIdx  = map[HumanImpact]int{ImpactLow: 0, ImpactMedium: 1, ImpactHigh: 2, ImpactVeryHigh: 3}
)

// deployerTable is the SSVC "Deployer Patch Application Priority" decision
// table, version 1.0.0 (key DT_DP), as published by CERT/CC in the
// CERTCC/SSVC repository: data/csv/ssvc/deployer_patch_application_priority_1_0_0.csv
// and data/json/decision_tables/ssvc/deployer_patch_application_priority_1_0_0.json
// (documented at https://certcc.github.io/SSVC/howto/deployer_tree/). It
// is indexed [Exploitation][System Exposure][Automatable][Human Impact] in
// the order the CSV lists its rows (none, public PoC, active; small,
// controlled, open; no, yes; low, medium, high, very high), so row r of
// the CSV is deployerTable[r/24][r/8%3][r/4%2][r%4].
var deployerTable = [3][3][2][4]Outcome{
	{ // none
		{{Defer, Defer, Scheduled, Scheduled}, {Defer, Scheduled, Scheduled, Scheduled}},          // small
		{{Defer, Scheduled, Scheduled, Scheduled}, {Scheduled, Scheduled, Scheduled, Scheduled}},  // controlled
		{{Defer, Scheduled, Scheduled, Scheduled}, {Scheduled, Scheduled, Scheduled, OutOfCycle}}, // open
	},
	{ // public PoC
		{{Defer, Scheduled, Scheduled, Scheduled}, {Scheduled, Scheduled, Scheduled, Scheduled}},        // small
		{{Defer, Scheduled, Scheduled, Scheduled}, {Scheduled, Scheduled, Scheduled, OutOfCycle}},       // controlled
		{{Scheduled, Scheduled, Scheduled, OutOfCycle}, {Scheduled, Scheduled, OutOfCycle, OutOfCycle}}, // open
	},
	{ // active
		{{Scheduled, Scheduled, OutOfCycle, OutOfCycle}, {Scheduled, OutOfCycle, OutOfCycle, OutOfCycle}},  // small
		{{Scheduled, Scheduled, OutOfCycle, OutOfCycle}, {OutOfCycle, OutOfCycle, OutOfCycle, OutOfCycle}}, // controlled
		{{Scheduled, OutOfCycle, OutOfCycle, Immediate}, {OutOfCycle, OutOfCycle, Immediate, Immediate}},   // open
	},
}

// Lookup returns the published outcome for the four decision points, and
// false when any value is not one SSVC defines.
func Lookup(e Exploitation, x Exposure, a Automatable, h HumanImpact) (Outcome, bool) {
	ei, ok1 := exploitIdx[e]
	xi, ok2 := exposeIdx[x]
	ai, ok3 := autoIdx[a]
	hi, ok4 := impactIdx[h]
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return "", false
	}
	return deployerTable[ei][xi][ai][hi], true
}

// DefaultEPSSThreshold is the EPSS probability at or above which a CVE
// with no known public exploit counts as "public PoC". EPSS estimates the
// probability of exploitation activity in the next 30 days; 0.1 (one in
// ten) is far above the score of the typical CVE, and SSVC's "public PoC"
// also covers "a well-known method of exploitation", which is what a high
// EPSS score reflects. It is a proxy, not evidence; Decision says so.
const DefaultEPSSThreshold = 0.1

// Options tunes the derivations. The zero value uses the defaults.
type Options struct {
	// EPSSThreshold: see DefaultEPSSThreshold. Zero means the default; a
	// value above 1 disables the EPSS rule.
	EPSSThreshold float64
}

func (o Options) epssThreshold() float64 {
	if o.EPSSThreshold <= 0 {
		return DefaultEPSSThreshold
	}
	return o.EPSSThreshold
}

// ExploitFacts are what the feeds say about exploitation of one
// vulnerability.
type ExploitFacts struct {
	// KEV: the CVE is in CISA's Known Exploited Vulnerabilities catalog,
	// added on KEVDateAdded (zero when unknown).
	KEV          bool
	KEVDateAdded time.Time
	// CSAFExploitStatus holds the details of every CSAF threat of category
	// "exploit_status" from the advisories that name the vulnerability.
	CSAFExploitStatus []string
	// EPSS is the FIRST EPSS probability; HasEPSS says whether one is known.
	EPSS    float64
	HasEPSS bool
	// ExploitRefs are advisory references tagged "exploit" (URLs).
	ExploitRefs []string
}

// ExposureFacts are what Vigil observed about one device on the network.
type ExposureFacts struct {
	// ReachedFromInternet: an inbound-external alert exists for the device;
	// InboundAlert names it (e.g. its alert ID).
	ReachedFromInternet bool
	InboundAlert        string
	// TalksToInternet: the device was seen with external peers.
	TalksToInternet bool
	// PolicyJudged: a segmentation policy entry judges the device's
	// connections (its class or model has an allowlist); PolicyEnforced
	// says it is enforced rather than alert-only; PolicyZone names the zone
	// or entry; PolicyAllowsExternal says the entry allows any external
	// destination.
	PolicyJudged         bool
	PolicyEnforced       bool
	PolicyZone           string
	PolicyAllowsExternal bool
}

// Inputs are the facts about one finding (a vulnerability on a device)
// from which Decide derives the four decision points.
type Inputs struct {
	VulnID      string
	Exploit     ExploitFacts
	Exposure    ExposureFacts
	CVSS        *cvss.Vector // nil when no vector is known
	Criticality asset.Criticality
}

// Point is one decision point's value with the reason it was chosen.
type Point struct {
	Value string `json:"value"`
	Why   string `json:"why"`
}

// Decision is the outcome and every input that led to it.
type Decision struct {
	Outcome      Outcome `json:"outcome"`
	Exploitation Point   `json:"exploitation"`
	Exposure     Point   `json:"system_exposure"`
	Automatable  Point   `json:"automatable"`
	HumanImpact  Point   `json:"human_impact"`
	// Source names the decision table used.
	Source string `json:"source"`
}

// TableSource names the decision table Decide uses.
const TableSource = "CERT/CC SSVC Deployer Patch Application Priority DT_DP 1.0.0"

// Decide derives the four SSVC decision points from in and looks up the
// outcome in the published deployer table, with the default options.
func Decide(in Inputs) Decision { return Options{}.Decide(in) }

// Decide is Decide with these options.
func (o Options) Decide(in Inputs) Decision {
	e, ew := o.DeriveExploitation(in.Exploit)
	x, xw := DeriveExposure(in.Exposure)
	a, aw := DeriveAutomatable(in.CVSS)
	h, hw := DeriveHumanImpact(in.Criticality)
	out, _ := Lookup(e, x, a, h) // derived values are always valid
	return Decision{
		Outcome:      out,
		Exploitation: Point{string(e), ew},
		Exposure:     Point{string(x), xw},
		Automatable:  Point{string(a), aw},
		HumanImpact:  Point{string(h), hw},
		Source:       TableSource,
	}
}

// DeriveExploitation maps exploitation facts to the decision point:
// active when the CVE is in KEV or a CSAF exploit_status threat reports
// active exploitation; public PoC when an advisory reference is tagged
// "exploit" or EPSS ≥ the threshold; else none.
func (o Options) DeriveExploitation(f ExploitFacts) (Exploitation, string) {
	if f.KEV {
		if f.KEVDateAdded.IsZero() {
			return ExploitActive, "in CISA KEV"
		}
		return ExploitActive, "in CISA KEV since " + f.KEVDateAdded.UTC().Format("2006-01-02")
	}
	for _, d := range f.CSAFExploitStatus {
		if CSAFReportsActive(d) {
			return ExploitActive, fmt.Sprintf("CSAF exploit_status %q", d)
		}
	}
	if len(f.ExploitRefs) > 0 {
		return ExploitPoC, "advisory reference tagged exploit: " + f.ExploitRefs[0]
	}
	t := o.epssThreshold()
	if f.HasEPSS && f.EPSS >= t {
		return ExploitPoC, fmt.Sprintf("EPSS %s ≥ %s", fmtProb(f.EPSS), fmtProb(t))
	}
	if f.HasEPSS {
		return ExploitNone, fmt.Sprintf("not in KEV, no exploit reference, EPSS %s < %s", fmtProb(f.EPSS), fmtProb(t))
	}
	return ExploitNone, "not in KEV, no exploit reference, no EPSS score"
}

func fmtProb(p float64) string {
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.5f", p), "0"), ".")
}

// negations that, earlier in the same sentence, turn "exploited" into its
// opposite ("no known active exploitation", "not exploited").
var negations = []string{"no", "not", "none", "never", "without", "unknown", "neither", "nor"}

// CSAFReportsActive reports whether the details of a CSAF exploit_status
// threat say the vulnerability is exploited: a sentence that contains
// "active", "actively", "exploited" or "in the wild" and no negation
// before it in that sentence.
func CSAFReportsActive(details string) bool {
	for _, sent := range strings.FieldsFunc(strings.ToLower(details), func(r rune) bool { return r == '.' || r == ';' || r == '\n' }) {
		words := strings.FieldsFunc(sent, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r == '-')
		})
		for i, w := range words {
			hit := w == "active" || w == "actively" || w == "exploited" ||
				(w == "wild" && i >= 2 && words[i-1] == "the" && words[i-2] == "in")
			if !hit {
				continue
			}
			negated := false
			for _, p := range words[:i] {
				for _, n := range negations {
					if p == n {
						negated = true
					}
				}
			}
			if !negated {
				return true
			}
		}
	}
	return false
}

// DeriveExposure maps observed network facts to System Exposure:
//
//   - open: the device is reached from the internet (an inbound-external
//     alert), or it talks to the internet and no segmentation policy entry
//     judges it — nothing would notice or stop a connection.
//   - controlled: a policy entry judges the device (enforced or alert-only:
//     SSVC's "controlled" needs a mitigation that reliably detects or
//     interrupts the attack), or it only talks inside the hospital.
//   - small: the device is isolated — no external peers observed, and it
//     is in a policy zone whose rules allow no external destination.
//
// Reached-from-internet wins over any policy: an answered or attempted
// inbound connection from outside shows the policy does not keep the
// internet out.
func DeriveExposure(f ExposureFacts) (Exposure, string) {
	zone := f.PolicyZone
	if zone == "" {
		zone = "policy entry"
	}
	mode := "alert-only"
	if f.PolicyEnforced {
		mode = "enforced"
	}
	switch {
	case f.ReachedFromInternet:
		if f.InboundAlert != "" {
			return ExposureOpen, "inbound-external alert " + f.InboundAlert
		}
		return ExposureOpen, "reached from the internet"
	case f.TalksToInternet && !f.PolicyJudged:
		return ExposureOpen, "talks to the internet with no segmentation policy judging it"
	case f.TalksToInternet:
		return ExposureControlled, fmt.Sprintf("talks to the internet; judged by segmentation %s (%s)", zone, mode)
	case f.PolicyJudged && !f.PolicyAllowsExternal:
		return ExposureSmall, fmt.Sprintf("no external peers observed; %s (%s) allows no external destination", zone, mode)
	case f.PolicyJudged:
		return ExposureControlled, fmt.Sprintf("no external peers observed; judged by %s (%s)", zone, mode)
	}
	return ExposureControlled, "no external peers observed (talks only inside the hospital); no segmentation policy"
}

// DeriveAutomatable maps the CVSS vector to Automatable: yes when the
// vulnerability is reachable over the network with no special conditions,
// no privileges and no user — AV:N, AC:L (and AT:N in 4.0), PR:N, UI:N,
// the conditions under which SSVC's kill-chain steps 1-4 can be scripted
// against every reachable device; no otherwise, and no (with the reason)
// when no vector is known.
func DeriveAutomatable(v *cvss.Vector) (Automatable, string) {
	if v == nil {
		return AutomatableNo, "no CVSS vector: cannot show the attack is automatable"
	}
	want := [][2]string{{"AV", "N"}, {"AC", "L"}, {"PR", "N"}, {"UI", "N"}}
	if v.Version() == cvss.V40 {
		want = [][2]string{{"AV", "N"}, {"AC", "L"}, {"AT", "N"}, {"PR", "N"}, {"UI", "N"}}
	}
	var have, miss []string
	for _, m := range want {
		got, _ := v.Metric(m[0])
		if got == m[1] {
			have = append(have, m[0]+":"+got)
		} else {
			miss = append(miss, m[0]+":"+got)
		}
	}
	if len(miss) == 0 {
		return AutomatableYes, "CVSS " + strings.Join(have, "/")
	}
	return AutomatableNo, "CVSS " + strings.Join(miss, "/")
}

// DeriveHumanImpact maps the device's criticality to Human Impact. SSVC
// defines Human Impact from Safety Impact and Mission Impact; for a
// hospital the mission is patient care and the safety impact of a device
// follows from how directly it keeps a patient alive:
//
//   - life-sustaining (ventilator, infusion pump, dialysis): a compromise
//     can kill — Safety Impact catastrophic — very high;
//   - life-supporting: critical safety impact, care crippled — high;
//   - diagnostic: a wrong or missing diagnosis harms indirectly — medium;
//   - clinical-support, non-clinical: degraded workflow, negligible safety
//     impact — low;
//   - unknown: low, with the reason saying so, so that classifying the
//     device is the fix; Vigil raises criticality from class evidence, and
//     an override in the inventory puts an unclassified device right.
func DeriveHumanImpact(c asset.Criticality) (HumanImpact, string) {
	switch c {
	case asset.LifeSustaining:
		return ImpactVeryHigh, "criticality life-sustaining"
	case asset.LifeSupporting:
		return ImpactHigh, "criticality life-supporting"
	case asset.Diagnostic:
		return ImpactMedium, "criticality diagnostic"
	case asset.ClinicalSupport, asset.NonClinical:
		return ImpactLow, "criticality " + string(c)
	}
	return ImpactLow, "criticality unknown: classify the device to refine"
}
