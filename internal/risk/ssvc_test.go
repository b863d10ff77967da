package risk

import (
	"strings"
	"testing"
	"time"

	"github.com/vigil-iomt/vigil/internal/asset"
	"github.com/vigil-iomt/vigil/internal/cvss"
)

// publishedDeployer is CERT/CC's deployer_patch_application_priority_1_0_0
// table (CERTCC/SSVC data/csv/ssvc/), one row per line in the CSV's order:
// exploitation, exposure, automatable, human impact, outcome.
const publishedDeployer = `
none,small,no,low,defer
none,small,no,medium,defer
none,small,no,high,scheduled
none,small,no,very high,scheduled
none,small,yes,low,defer
none,small,yes,medium,scheduled
none,small,yes,high,scheduled
none,small,yes,very high,scheduled
none,controlled,no,low,defer
none,controlled,no,medium,scheduled
none,controlled,no,high,scheduled
none,controlled,no,very high,scheduled
none,controlled,yes,low,scheduled
none,controlled,yes,medium,scheduled
none,controlled,yes,high,scheduled
none,controlled,yes,very high,scheduled
none,open,no,low,defer
none,open,no,medium,scheduled
none,open,no,high,scheduled
none,open,no,very high,scheduled
none,open,yes,low,scheduled
none,open,yes,medium,scheduled
none,open,yes,high,scheduled
none,open,yes,very high,out-of-cycle
public poc,small,no,low,defer
public poc,small,no,medium,scheduled
public poc,small,no,high,scheduled
public poc,small,no,very high,scheduled
public poc,small,yes,low,scheduled
public poc,small,yes,medium,scheduled
public poc,small,yes,high,scheduled
public poc,small,yes,very high,scheduled
public poc,controlled,no,low,defer
public poc,controlled,no,medium,scheduled
public poc,controlled,no,high,scheduled
public poc,controlled,no,very high,scheduled
public poc,controlled,yes,low,scheduled
public poc,controlled,yes,medium,scheduled
public poc,controlled,yes,high,scheduled
public poc,controlled,yes,very high,out-of-cycle
public poc,open,no,low,scheduled
public poc,open,no,medium,scheduled
public poc,open,no,high,scheduled
public poc,open,no,very high,out-of-cycle
public poc,open,yes,low,scheduled
public poc,open,yes,medium,scheduled
public poc,open,yes,high,out-of-cycle
public poc,open,yes,very high,out-of-cycle
active,small,no,low,scheduled
active,small,no,medium,scheduled
active,small,no,high,out-of-cycle
active,small,no,very high,out-of-cycle
active,small,yes,low,scheduled
active,small,yes,medium,out-of-cycle
active,small,yes,high,out-of-cycle
active,small,yes,very high,out-of-cycle
active,controlled,no,low,scheduled
active,controlled,no,medium,scheduled
active,controlled,no,high,out-of-cycle
active,controlled,no,very high,out-of-cycle
active,controlled,yes,low,out-of-cycle
active,controlled,yes,medium,out-of-cycle
active,controlled,yes,high,out-of-cycle
active,controlled,yes,very high,out-of-cycle
active,open,no,low,scheduled
active,open,no,medium,out-of-cycle
active,open,no,high,out-of-cycle
active,open,no,very high,immediate
active,open,yes,low,out-of-cycle
active,open,yes,medium,out-of-cycle
active,open,yes,high,immediate
active,open,yes,very high,immediate
`

func TestLookupMatchesPublishedTable(t *testing.T) {
	rows := strings.Split(strings.TrimSpace(publishedDeployer), "\n")
	if len(rows) != 72 {
		t.Fatalf("published table has %d rows, want 72", len(rows))
	}
	seen := map[[4]string]bool{}
	for i, row := range rows {
		f := strings.Split(row, ",")
		e := Exploitation(strings.ReplaceAll(f[0], " poc", "-poc"))
		h := HumanImpact(strings.ReplaceAll(f[3], " ", "-"))
		key := [4]string{string(e), f[1], f[2], string(h)}
		t.Run(strings.Join(key[:], "/"), func(t *testing.T) {
			if seen[key] {
				t.Fatalf("row %d duplicates a combination", i)
			}
			seen[key] = true
			got, ok := Lookup(e, Exposure(f[1]), Automatable(f[2]), h)
			if !ok {
				t.Fatalf("row %d: Lookup rejected a published combination", i)
			}
			if want := Outcome(f[4]); got != want {
				t.Errorf("row %d: got %s, want %s", i, got, want)
			}
		})
	}
	if len(seen) != 72 {
		t.Errorf("covered %d combinations, want all 72", len(seen))
	}
}

func TestLookupRejectsUnknownValues(t *testing.T) {
	for _, c := range []struct {
		e Exploitation
		x Exposure
		a Automatable
		h HumanImpact
	}{
		{"poc", ExposureOpen, AutomatableYes, ImpactHigh},
		{ExploitActive, "internet", AutomatableYes, ImpactHigh},
		{ExploitActive, ExposureOpen, "maybe", ImpactHigh},
		{ExploitActive, ExposureOpen, AutomatableYes, "very high"},
	} {
		if got, ok := Lookup(c.e, c.x, c.a, c.h); ok {
			t.Errorf("Lookup(%v) = %s, want rejection", c, got)
		}
	}
}

func day(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestDeriveExploitation(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options
		f       ExploitFacts
		want    Exploitation
		wantWhy string
	}{
		{"kev with date", Options{}, ExploitFacts{KEV: true, KEVDateAdded: day("2024-05-01"), EPSS: 0.01, HasEPSS: true}, ExploitActive, "in CISA KEV since 2024-05-01"},
		{"kev without date", Options{}, ExploitFacts{KEV: true}, ExploitActive, "in CISA KEV"},
		{"csaf exploited", Options{}, ExploitFacts{CSAFExploitStatus: []string{"Exploited in the wild."}}, ExploitActive, `CSAF exploit_status "Exploited in the wild."`},
		{"csaf active", Options{}, ExploitFacts{CSAFExploitStatus: []string{"Active"}}, ExploitActive, `CSAF exploit_status "Active"`},
		{"csaf negated", Options{}, ExploitFacts{CSAFExploitStatus: []string{"No known active exploitation; not exploited."}}, ExploitNone, "not in KEV, no exploit reference, no EPSS score"},
		{"exploit reference", Options{}, ExploitFacts{ExploitRefs: []string{"https://www.exploit-db.com/exploits/1"}, EPSS: 0.001, HasEPSS: true}, ExploitPoC, "advisory reference tagged exploit: https://www.exploit-db.com/exploits/1"},
		{"epss above", Options{}, ExploitFacts{EPSS: 0.43, HasEPSS: true}, ExploitPoC, "EPSS 0.43 ≥ 0.1"},
		{"epss at threshold", Options{}, ExploitFacts{EPSS: 0.1, HasEPSS: true}, ExploitPoC, "EPSS 0.1 ≥ 0.1"},
		{"epss below", Options{}, ExploitFacts{EPSS: 0.09999, HasEPSS: true}, ExploitNone, "not in KEV, no exploit reference, EPSS 0.09999 < 0.1"},
		{"epss unknown", Options{}, ExploitFacts{}, ExploitNone, "not in KEV, no exploit reference, no EPSS score"},
		{"custom threshold", Options{EPSSThreshold: 0.5}, ExploitFacts{EPSS: 0.43, HasEPSS: true}, ExploitNone, "not in KEV, no exploit reference, EPSS 0.43 < 0.5"},
		{"epss rule disabled", Options{EPSSThreshold: 2}, ExploitFacts{EPSS: 1, HasEPSS: true}, ExploitNone, "not in KEV, no exploit reference, EPSS 1 < 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, why := tt.opts.DeriveExploitation(tt.f)
			if got != tt.want || why != tt.wantWhy {
				t.Errorf("got %s (%s), want %s (%s)", got, why, tt.want, tt.wantWhy)
			}
		})
	}
}

func TestCSAFReportsActive(t *testing.T) {
	tests := map[string]bool{
		"Exploited": true,
		"active":    true,
		"Actively exploited by ransomware groups.": true,
		"Reported in the wild":                     true,
		"none":                                     false,
		"No known public exploits.":                false,
		"not exploited":                            false,
		"Exploitation status unknown; proof of concept":    false,
		"Not exploited. Update: now exploited in the wild": true,
		"":                 false,
		"interactive only": false,
	}
	for in, want := range tests {
		if got := CSAFReportsActive(in); got != want {
			t.Errorf("CSAFReportsActive(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestDeriveExposure(t *testing.T) {
	tests := []struct {
		name    string
		f       ExposureFacts
		want    Exposure
		wantWhy string
	}{
		{"inbound alert beats policy", ExposureFacts{ReachedFromInternet: true, InboundAlert: "alr-42", PolicyJudged: true, PolicyEnforced: true}, ExposureOpen, "inbound-external alert alr-42"},
		{"inbound without id", ExposureFacts{ReachedFromInternet: true}, ExposureOpen, "reached from the internet"},
		{"talks out unjudged", ExposureFacts{TalksToInternet: true}, ExposureOpen, "talks to the internet with no segmentation policy judging it"},
		{"talks out judged alert-only", ExposureFacts{TalksToInternet: true, PolicyJudged: true, PolicyZone: "icu-pumps"}, ExposureControlled, "talks to the internet; judged by segmentation icu-pumps (alert-only)"},
		{"talks out judged enforced", ExposureFacts{TalksToInternet: true, PolicyJudged: true, PolicyEnforced: true, PolicyZone: "imaging"}, ExposureControlled, "talks to the internet; judged by segmentation imaging (enforced)"},
		{"isolated zone", ExposureFacts{PolicyJudged: true, PolicyEnforced: true, PolicyZone: "dialysis"}, ExposureSmall, "no external peers observed; dialysis (enforced) allows no external destination"},
		{"internal, zone allows external", ExposureFacts{PolicyJudged: true, PolicyAllowsExternal: true}, ExposureControlled, "no external peers observed; judged by policy entry (alert-only)"},
		{"internal, no policy", ExposureFacts{}, ExposureControlled, "no external peers observed (talks only inside the hospital); no segmentation policy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, why := DeriveExposure(tt.f)
			if got != tt.want || why != tt.wantWhy {
				t.Errorf("got %s (%s), want %s (%s)", got, why, tt.want, tt.wantWhy)
			}
		})
	}
}

func mustParse(t *testing.T, s string) *cvss.Vector {
	t.Helper()
	v, err := cvss.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestDeriveAutomatable(t *testing.T) {
	tests := []struct {
		vec     string
		want    Automatable
		wantWhy string
	}{
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", AutomatableYes, "CVSS AV:N/AC:L/PR:N/UI:N"},
		{"CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:C/C:L/I:N/A:N", AutomatableYes, "CVSS AV:N/AC:L/PR:N/UI:N"},
		{"CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H", AutomatableNo, "CVSS AC:H"},
		{"CVSS:3.1/AV:A/AC:L/PR:L/UI:R/S:U/C:H/I:H/A:H", AutomatableNo, "CVSS AV:A/PR:L/UI:R"},
		{"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", AutomatableYes, "CVSS AV:N/AC:L/AT:N/PR:N/UI:N"},
		{"CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", AutomatableNo, "CVSS AT:P"},
		{"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:P/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", AutomatableNo, "CVSS UI:P"},
	}
	for _, tt := range tests {
		t.Run(tt.vec, func(t *testing.T) {
			got, why := DeriveAutomatable(mustParse(t, tt.vec))
			if got != tt.want || why != tt.wantWhy {
				t.Errorf("got %s (%s), want %s (%s)", got, why, tt.want, tt.wantWhy)
			}
		})
	}
	if got, why := DeriveAutomatable(nil); got != AutomatableNo || !strings.Contains(why, "no CVSS vector") {
		t.Errorf("nil vector: got %s (%s), want no with the reason", got, why)
	}
}

func TestDeriveHumanImpact(t *testing.T) {
	want := map[asset.Criticality]HumanImpact{
		asset.LifeSustaining:     ImpactVeryHigh,
		asset.LifeSupporting:     ImpactHigh,
		asset.Diagnostic:         ImpactMedium,
		asset.ClinicalSupport:    ImpactLow,
		asset.NonClinical:        ImpactLow,
		asset.CriticalityUnknown: ImpactLow,
		"":                       ImpactLow,
	}
	for c, w := range want {
		got, why := DeriveHumanImpact(c)
		if got != w {
			t.Errorf("%q: got %s, want %s", c, got, w)
		}
		if !strings.HasPrefix(why, "criticality ") {
			t.Errorf("%q: reason %q does not name the criticality", c, why)
		}
	}
	for _, c := range asset.Criticalities {
		if _, ok := want[c]; !ok {
			t.Errorf("criticality %q not covered", c)
		}
	}
}

func TestDecide(t *testing.T) {
	rce := "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
	tests := []struct {
		name string
		in   Inputs
		want Decision
	}{
		{
			name: "kev, internet-facing ventilator",
			in: Inputs{
				Exploit:     ExploitFacts{KEV: true, KEVDateAdded: day("2024-05-01")},
				Exposure:    ExposureFacts{ReachedFromInternet: true, InboundAlert: "alr-7"},
				CVSS:        mustParse(t, rce),
				Criticality: asset.LifeSustaining,
			},
			want: Decision{
				Outcome:      Immediate,
				Exploitation: Point{"active", "in CISA KEV since 2024-05-01"},
				Exposure:     Point{"open", "inbound-external alert alr-7"},
				Automatable:  Point{"yes", "CVSS AV:N/AC:L/PR:N/UI:N"},
				HumanImpact:  Point{"very-high", "criticality life-sustaining"},
				Source:       TableSource,
			},
		},
		{
			name: "same device in an isolated zone, no exploitation",
			in: Inputs{
				Exploit:     ExploitFacts{EPSS: 0.02, HasEPSS: true},
				Exposure:    ExposureFacts{PolicyJudged: true, PolicyEnforced: true, PolicyZone: "vent"},
				CVSS:        mustParse(t, rce),
				Criticality: asset.LifeSustaining,
			},
			want: Decision{
				Outcome:      Scheduled,
				Exploitation: Point{"none", "not in KEV, no exploit reference, EPSS 0.02 < 0.1"},
				Exposure:     Point{"small", "no external peers observed; vent (enforced) allows no external destination"},
				Automatable:  Point{"yes", "CVSS AV:N/AC:L/PR:N/UI:N"},
				HumanImpact:  Point{"very-high", "criticality life-sustaining"},
				Source:       TableSource,
			},
		},
		{
			name: "printer-class device, nothing known",
			in:   Inputs{Criticality: asset.NonClinical},
			want: Decision{
				Outcome:      Defer,
				Exploitation: Point{"none", "not in KEV, no exploit reference, no EPSS score"},
				Exposure:     Point{"controlled", "no external peers observed (talks only inside the hospital); no segmentation policy"},
				Automatable:  Point{"no", "no CVSS vector: cannot show the attack is automatable"},
				HumanImpact:  Point{"low", "criticality non-clinical"},
				Source:       TableSource,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Decide(tt.in); got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// KEV and EPSS change decisions: the same finding moves up as the feeds
// learn more about it.
func TestFeedsChangeDecision(t *testing.T) {
	in := Inputs{
		Exposure:    ExposureFacts{TalksToInternet: true},
		CVSS:        mustParse(t, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
		Criticality: asset.LifeSupporting,
	}
	steps := []struct {
		f    ExploitFacts
		want Outcome
	}{
		{ExploitFacts{EPSS: 0.01, HasEPSS: true}, Scheduled},
		{ExploitFacts{EPSS: 0.30, HasEPSS: true}, OutOfCycle},
		{ExploitFacts{EPSS: 0.30, HasEPSS: true, KEV: true}, Immediate},
	}
	for _, s := range steps {
		in.Exploit = s.f
		if got := Decide(in).Outcome; got != s.want {
			t.Errorf("%+v: got %s, want %s", s.f, got, s.want)
		}
	}
}

func TestOutcomeRank(t *testing.T) {
	for i, o := range Outcomes {
		if got, want := o.Rank(), len(Outcomes)-1-i; got != want {
			t.Errorf("%s.Rank() = %d, want %d", o, got, want)
		}
	}
	if Outcome("bogus").Rank() != -1 {
		t.Error("unknown outcome must rank below defer")
	}
}
