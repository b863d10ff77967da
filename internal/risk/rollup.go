package risk

// FindingRisk is what the roll-up needs of one finding.
type FindingRisk struct {
	Outcome Outcome
	// CVSS is the finding's score after rubric adjustment (the base score
	// when none was made); HasCVSS says whether a vector is known.
	CVSS    float64
	HasCVSS bool
	KEV     bool
	EPSS    float64
	// Suppressed findings (VEX not_affected, accepted risk) are left out.
	Suppressed bool
}

// DeviceRisk summarizes the findings of one device, or of every device of
// one model.
type DeviceRisk struct {
	// Worst is the most urgent outcome; empty when no finding counts.
	Worst Outcome `json:"worst,omitempty"`
	// Counts per outcome.
	Counts map[Outcome]int `json:"counts"`
	// Findings counted and Suppressed left out.
	Findings   int `json:"findings"`
	Suppressed int `json:"suppressed"`
	// MaxCVSS is the highest adjusted score among findings with a vector.
	MaxCVSS float64 `json:"max_cvss"`
	// MaxEPSS is the highest EPSS probability.
	MaxEPSS float64 `json:"max_epss"`
	KEV     int     `json:"kev"`
}

// RollUp summarizes findings; suppressed findings count only in
// Suppressed. Findings with an outcome Rank does not know count in Counts
// under that outcome but never make Worst.
func RollUp(findings []FindingRisk) DeviceRisk {
	r := DeviceRisk{Counts: make(map[Outcome]int, len(Outcomes))}
	for _, o := range Outcomes {
		r.Counts[o] = 0
	}
	for _, f := range findings {
		if f.Suppressed {
			r.Suppressed++
			continue
		}
		r.Findings++
		r.Counts[f.Outcome]++
		if f.Outcome.Rank() > r.Worst.Rank() {
			r.Worst = f.Outcome
		}
		if f.HasCVSS && f.CVSS > r.MaxCVSS {
			r.MaxCVSS = f.CVSS
		}
		if f.EPSS > r.MaxEPSS {
			r.MaxEPSS = f.EPSS
		}
		if f.KEV {
			r.KEV++
		}
	}
	return r
}
