package cvss

import (
	"math"
	"strings"
)

// The CVSS v4.0 score is computed as the FIRST reference calculator does
// (github.com/FIRSTdotorg/cvss-v4-calculator, cvss_score.js, function
// cvss_score, and its Python port RedHatProductSecurity/cvss, cvss4.py,
// compute_base_score): find the vector's MacroVector and its expert score,
// then subtract the mean, over the equivalence sets, of how far the vector
// lies below the MacroVector's highest-severity vector, scaled by the score
// gap to the next lower MacroVector. The arithmetic below keeps the
// reference's float64 operations and their order so results agree to the
// last bit before rounding.

// n4 is the number of metrics the 4.0 scoring reads: AV..SA, E, CR, IR, AR.
const n4 = m4AR + 1

// levels4 gives each value's severity level (0 is the most severe), as the
// *_levels tables of cvss_score.js. E has none: EQ5 distance is always 0.
var levels4 = [n4]map[string]float64{
	m4AV: {"N": 0.0, "A": 0.1, "L": 0.2, "P": 0.3},
	m4AC: {"L": 0.0, "H": 0.1},
	m4AT: {"N": 0.0, "P": 0.1},
	m4PR: {"N": 0.0, "L": 0.1, "H": 0.2},
	m4UI: {"N": 0.0, "P": 0.1, "A": 0.2},
	m4VC: {"H": 0.0, "L": 0.1, "N": 0.2},
	m4VI: {"H": 0.0, "L": 0.1, "N": 0.2},
	m4VA: {"H": 0.0, "L": 0.1, "N": 0.2},
	m4SC: {"H": 0.1, "L": 0.2, "N": 0.3},
	m4SI: {"S": 0.0, "H": 0.1, "L": 0.2, "N": 0.3},
	m4SA: {"S": 0.0, "H": 0.1, "L": 0.2, "N": 0.3},
	m4CR: {"H": 0.0, "M": 0.1, "L": 0.2},
	m4IR: {"H": 0.0, "M": 0.1, "L": 0.2},
	m4AR: {"H": 0.0, "M": 0.1, "L": 0.2},
}

// table4[eq1][eq2][eq3][eq4][eq5][eq6] is lookup4 as an array; NaN marks a
// MacroVector that does not exist.
var table4 = func() (t [3][2][3][3][3][2]float64) {
	for a := range t {
		for b := range t[a] {
			for c := range t[a][b] {
				for d := range t[a][b][c] {
					for e := range t[a][b][c][d] {
						for f := range t[a][b][c][d][e] {
							t[a][b][c][d][e][f] = math.NaN()
						}
					}
				}
			}
		}
	}
	for k, s := range lookup4 {
		d := func(i int) int { return int(k[i] - '0') }
		t[d(0)][d(1)][d(2)][d(3)][d(4)][d(5)] = s
	}
	return t
}()

// macro4 returns the score of a MacroVector, NaN when it does not exist
// (an EQ level past the last).
func macro4(eq [6]int) float64 {
	lim := [6]int{3, 2, 3, 3, 3, 2}
	for i, e := range eq {
		if e < 0 || e >= lim[i] {
			return math.NaN()
		}
	}
	return table4[eq[0]][eq[1]][eq[2]][eq[3]][eq[4]][eq[5]]
}

// partial is one parsed highest-severity partial vector: metric index and
// value pairs.
type partial []struct {
	i int
	v string
}

func parsePartials(ss []string) []partial {
	out := make([]partial, 0, len(ss))
	for _, s := range ss {
		var p partial
		for _, f := range strings.Split(strings.TrimSuffix(s, "/"), "/") {
			name, val, _ := strings.Cut(f, ":")
			i, ok := index4[name]
			if !ok || i >= n4 {
				panic("cvss: bad max_composed entry " + s) // static data, checked by tests
			}
			p = append(p, struct {
				i int
				v string
			}{i, val})
		}
		out = append(out, p)
	}
	return out
}

var maxes4 = func() (m struct {
	eq1, eq2, eq4 [3][]partial
	eq3           [3][2][]partial
}) {
	for i := range 3 {
		m.eq1[i] = parsePartials(maxComposed4.eq1[i])
		m.eq2[i] = parsePartials(maxComposed4.eq2[i])
		m.eq4[i] = parsePartials(maxComposed4.eq4[i])
		for j := range 2 {
			m.eq3[i][j] = parsePartials(maxComposed4.eq3[i][j])
		}
	}
	return m
}()

// eff4 returns the values the 4.0 scoring uses (function m of the
// reference): modified base metrics override base ones when env is true,
// E defaults to A (Attacked) and CR/IR/AR to H when not defined or not
// taken into account.
func (v *Vector) eff4(threat, env bool) [n4]string {
	var e [n4]string
	for i := m4AV; i <= m4SA; i++ {
		e[i] = v.value(metrics4, i)
		if env {
			if mv := v.value(metrics4, m4MAV+i); mv != "X" {
				e[i] = mv
			}
		}
	}
	e[m4E] = "A"
	if threat {
		if x := v.value(metrics4, m4E); x != "X" {
			e[m4E] = x
		}
	}
	for _, i := range []int{m4CR, m4IR, m4AR} {
		e[i] = "H"
		if env {
			if x := v.value(metrics4, i); x != "X" {
				e[i] = x
			}
		}
	}
	return e
}

// macroVector4 computes the six equivalence-set levels (function
// macroVector of the reference; v4.0 specification, Table 24-29).
func macroVector4(e *[n4]string) [6]int {
	var eq [6]int
	av, pr, ui := e[m4AV], e[m4PR], e[m4UI]
	switch {
	case av == "N" && pr == "N" && ui == "N":
		eq[0] = 0
	case (av == "N" || pr == "N" || ui == "N") && av != "P":
		eq[0] = 1
	default:
		eq[0] = 2
	}
	if !(e[m4AC] == "L" && e[m4AT] == "N") {
		eq[1] = 1
	}
	vc, vi, va := e[m4VC], e[m4VI], e[m4VA]
	switch {
	case vc == "H" && vi == "H":
		eq[2] = 0
	case vc == "H" || vi == "H" || va == "H":
		eq[2] = 1
	default:
		eq[2] = 2
	}
	switch {
	case e[m4SI] == "S" || e[m4SA] == "S": // MSI:S or MSA:S
		eq[3] = 0
	case e[m4SC] == "H" || e[m4SI] == "H" || e[m4SA] == "H":
		eq[3] = 1
	default:
		eq[3] = 2
	}
	switch e[m4E] {
	case "A":
		eq[4] = 0
	case "P":
		eq[4] = 1
	default: // U
		eq[4] = 2
	}
	if !((e[m4CR] == "H" && vc == "H") || (e[m4IR] == "H" && vi == "H") || (e[m4AR] == "H" && va == "H")) {
		eq[5] = 1
	}
	return eq
}

// score4 returns the 4.0 score using the threat and/or environmental
// metrics as asked.
func (v *Vector) score4(threat, env bool) float64 {
	e := v.eff4(threat, env)
	return score4(&e)
}

func score4(e *[n4]string) float64 {
	// No impact on any system: 0.0.
	if e[m4VC] == "N" && e[m4VI] == "N" && e[m4VA] == "N" &&
		e[m4SC] == "N" && e[m4SI] == "N" && e[m4SA] == "N" {
		return 0
	}
	eq := macroVector4(e)
	value := macro4(eq)
	eq1, eq2, eq3, eq4, eq5, eq6 := eq[0], eq[1], eq[2], eq[3], eq[4], eq[5]

	// 1a. Score of the next lower MacroVector in each EQ (NaN: none).
	lower := func(d1, d2, d3, d4, d5, d6 int) float64 {
		return macro4([6]int{eq1 + d1, eq2 + d2, eq3 + d3, eq4 + d4, eq5 + d5, eq6 + d6})
	}
	scoreEQ1 := lower(1, 0, 0, 0, 0, 0)
	scoreEQ2 := lower(0, 1, 0, 0, 0, 0)
	var scoreEQ3EQ6 float64
	switch {
	case eq3 == 1 && eq6 == 1, eq3 == 0 && eq6 == 1:
		scoreEQ3EQ6 = lower(0, 0, 1, 0, 0, 0)
	case eq3 == 1 && eq6 == 0:
		scoreEQ3EQ6 = lower(0, 0, 0, 0, 0, 1)
	case eq3 == 0 && eq6 == 0:
		// Two ways down; take the higher score.
		left, right := lower(0, 0, 0, 0, 0, 1), lower(0, 0, 1, 0, 0, 0)
		if left > right {
			scoreEQ3EQ6 = left
		} else {
			scoreEQ3EQ6 = right
		}
	default: // 21 -> 32 does not exist
		scoreEQ3EQ6 = lower(0, 0, 1, 0, 0, 1)
	}
	scoreEQ4 := lower(0, 0, 0, 1, 0, 0)
	scoreEQ5 := lower(0, 0, 0, 0, 1, 0)

	// 1b. Severity distance from the first highest-severity vector of the
	// MacroVector that the vector does not exceed in any metric.
	var d [n4]float64
	var mx [n4]string
	found := false
	for _, p1 := range maxes4.eq1[eq1] {
		for _, p2 := range maxes4.eq2[eq2] {
			for _, p3 := range maxes4.eq3[eq3][eq6] {
				for _, p4 := range maxes4.eq4[eq4] {
					for range maxComposed4.eq5[eq5] { // E carries no distance
						if found {
							continue
						}
						for _, p := range [...]partial{p1, p2, p3, p4} {
							for _, kv := range p {
								mx[kv.i] = kv.v
							}
						}
						neg := false
						for i := range n4 {
							if i == m4E {
								continue
							}
							d[i] = levels4[i][e[i]] - levels4[i][mx[i]]
							if d[i] < 0 {
								neg = true
							}
						}
						found = !neg
					}
				}
			}
		}
	}
	distEQ1 := d[m4AV] + d[m4PR] + d[m4UI]
	distEQ2 := d[m4AC] + d[m4AT]
	distEQ3EQ6 := d[m4VC] + d[m4VI] + d[m4VA] + d[m4CR] + d[m4IR] + d[m4AR]
	distEQ4 := d[m4SC] + d[m4SI] + d[m4SA]

	const step = 0.1
	availEQ1 := value - scoreEQ1
	availEQ2 := value - scoreEQ2
	availEQ3EQ6 := value - scoreEQ3EQ6
	availEQ4 := value - scoreEQ4
	availEQ5 := value - scoreEQ5

	maxSevEQ1 := maxSeverity4.eq1[eq1] * step
	maxSevEQ2 := maxSeverity4.eq2[eq2] * step
	maxSevEQ3EQ6 := maxSeverity4.eq3eq6[eq3][eq6] * step
	maxSevEQ4 := maxSeverity4.eq4[eq4] * step

	// 1c-d. Proportion of the distance times the available score gap.
	n := 0
	var nEQ1, nEQ2, nEQ3EQ6, nEQ4, nEQ5 float64
	if !math.IsNaN(availEQ1) {
		n++
		nEQ1 = availEQ1 * (distEQ1 / maxSevEQ1)
	}
	if !math.IsNaN(availEQ2) {
		n++
		nEQ2 = availEQ2 * (distEQ2 / maxSevEQ2)
	}
	if !math.IsNaN(availEQ3EQ6) {
		n++
		nEQ3EQ6 = availEQ3EQ6 * (distEQ3EQ6 / maxSevEQ3EQ6)
	}
	if !math.IsNaN(availEQ4) {
		n++
		nEQ4 = availEQ4 * (distEQ4 / maxSevEQ4)
	}
	if !math.IsNaN(availEQ5) {
		n++ // the EQ5 proportion is always 0
	}

	// 2-3. Subtract the mean distance, clamp and round.
	mean := 0.0
	if n > 0 {
		mean = (nEQ1 + nEQ2 + nEQ3EQ6 + nEQ4 + nEQ5) / float64(n)
	}
	value -= mean
	value = math.Max(0, math.Min(10, value))
	return round4(value)
}

// round4 rounds half up to one decimal place after lifting the value by
// 1e-6, as the reference does (Math.round((value + EPSILON) * 10) / 10), so
// that interpolation noise just below a tie (5.6499999999999995 for 5.65)
// rounds the way exact arithmetic would.
func round4(x float64) float64 {
	return math.Floor((x+1e-6)*10+0.5) / 10
}
