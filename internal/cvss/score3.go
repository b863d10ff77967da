package cvss

import "math"

// Weights of the CVSS v3.1 specification, section 7.4 (Table 16); v3.0
// uses the same ones. Indexed like the value lists of metrics3.
var (
	w3AV = []float64{0.85, 0.62, 0.55, 0.2}  // N A L P
	w3AC = []float64{0.77, 0.44}             // L H
	w3PR = []float64{0.85, 0.62, 0.27}       // N L H, scope unchanged
	w3PC = []float64{0.85, 0.68, 0.5}        // N L H, scope changed
	w3UI = []float64{0.85, 0.62}             // N R
	w3CI = []float64{0.56, 0.22, 0}          // H L N
	w3E  = []float64{1, 1, 0.97, 0.94, 0.91} // X H F P U
	w3RL = []float64{1, 1, 0.97, 0.96, 0.95} // X U W T O
	w3RC = []float64{1, 1, 0.96, 0.92}       // X C R U
	w3RQ = []float64{1, 1.5, 1, 0.5}         // X H M L
)

type scores3 struct{ base, temporal, environmental float64 }

// roundup31 is the Roundup function of CVSS v3.1 Appendix A: the smallest
// number, to one decimal place, equal to or higher than its input, computed
// so that floating-point noise (4.000000000000001) does not round up.
func roundup31(x float64) float64 {
	i := int64(math.Round(x * 100000))
	if i%10000 == 0 {
		return float64(i) / 100000.0
	}
	return (math.Floor(float64(i)/10000) + 1) / 10.0
}

// idx returns the 0-based value index of metric i (0 for an absent
// optional metric, which is "X" in every optional value list).
func (v *Vector) idx(i int) int {
	if v.vals[i] == 0 {
		return 0
	}
	return int(v.vals[i]) - 1
}

// mod returns the value index, in the base metric's list, that modified
// metric mi gives base metric bi: the modified value when set, else the
// base value. Modified lists are the base list with "X" in front.
func (v *Vector) mod(mi, bi int) int {
	if k := v.idx(mi); k != 0 {
		return k - 1
	}
	return v.idx(bi)
}

// scores3 computes the CVSS v3.0 / v3.1 equations (v3.1 specification,
// section 7): base, temporal and environmental. v3.0 differs only in the
// modified impact under a changed modified scope (section 8.3 of v3.0).
// Both use the Appendix A Roundup.
func (v *Vector) scores3() scores3 {
	var s scores3
	changed := v.idx(m3S) == 1
	pr := w3PR
	if changed {
		pr = w3PC
	}
	iss := 1 - (1-w3CI[v.idx(m3C)])*(1-w3CI[v.idx(m3I)])*(1-w3CI[v.idx(m3A)])
	var impact float64
	if changed {
		impact = 7.52*(iss-0.029) - 3.25*math.Pow(iss-0.02, 15)
	} else {
		impact = 6.42 * iss
	}
	expl := 8.22 * w3AV[v.idx(m3AV)] * w3AC[v.idx(m3AC)] * pr[v.idx(m3PR)] * w3UI[v.idx(m3UI)]
	switch {
	case impact <= 0:
		s.base = 0
	case changed:
		s.base = roundup31(math.Min(1.08*(impact+expl), 10))
	default:
		s.base = roundup31(math.Min(impact+expl, 10))
	}
	e, rl, rc := w3E[v.idx(m3E)], w3RL[v.idx(m3RL)], w3RC[v.idx(m3RC)]
	s.temporal = roundup31(s.base * e * rl * rc)

	mchanged := changed
	if k := v.idx(m3MS); k != 0 {
		mchanged = k == 2
	}
	mpr := w3PR
	if mchanged {
		mpr = w3PC
	}
	miss := math.Min(1-
		(1-w3CI[v.mod(m3MC, m3C)]*w3RQ[v.idx(m3CR)])*
			(1-w3CI[v.mod(m3MI, m3I)]*w3RQ[v.idx(m3IR)])*
			(1-w3CI[v.mod(m3MA, m3A)]*w3RQ[v.idx(m3AR)]), 0.915)
	var mimpact float64
	switch {
	case !mchanged:
		mimpact = 6.42 * miss
	case v.ver == V30:
		mimpact = 7.52*(miss-0.029) - 3.25*math.Pow(miss-0.02, 15)
	default:
		mimpact = 7.52*(miss-0.029) - 3.25*math.Pow(miss*0.9731-0.02, 13)
	}
	mexpl := 8.22 * w3AV[v.mod(m3MAV, m3AV)] * w3AC[v.mod(m3MAC, m3AC)] *
		mpr[v.mod(m3MPR, m3PR)] * w3UI[v.mod(m3MUI, m3UI)]
	switch {
	case mimpact <= 0:
		s.environmental = 0
	case mchanged:
		s.environmental = roundup31(roundup31(math.Min(1.08*(mimpact+mexpl), 10)) * e * rl * rc)
	default:
		s.environmental = roundup31(roundup31(math.Min(mimpact+mexpl, 10)) * e * rl * rc)
	}
	return s
}
