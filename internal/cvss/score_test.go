package cvss

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// refVector is one line of a reference file: a vector and its expected
// scores, (base, temporal, environmental) for 3.x, (score) for 4.0.
type refVector struct {
	line   int
	vector string
	want   []float64
}

func readRef(t *testing.T, name string) []refVector {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []refVector
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		vec, scores, ok := strings.Cut(sc.Text(), " - ")
		if !ok {
			t.Fatalf("%s:%d: no ' - '", name, n)
		}
		r := refVector{line: n, vector: vec}
		for _, f := range strings.Split(strings.Trim(scores, "()"), ",") {
			if f = strings.TrimSpace(f); f == "" {
				continue
			}
			x, err := strconv.ParseFloat(f, 64)
			if err != nil {
				t.Fatalf("%s:%d: %v", name, n, err)
			}
			r.want = append(r.want, x)
		}
		out = append(out, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("%s: no vectors", name)
	}
	return out
}

// TestReferenceVectors is the differential test against the Red Hat CVSS
// library's test data (testdata/SOURCES.md).
func TestReferenceVectors(t *testing.T) {
	for _, file := range []string{
		"redhat_vectors_cvsslib3", "redhat_vectors_calculator3", "redhat_vectors_simple31",
		"redhat_vectors_simple4", "redhat_vectors_security4", "redhat_vectors_threat4",
	} {
		t.Run(file, func(t *testing.T) {
			for _, r := range readRef(t, file) {
				v, err := Parse(r.vector)
				if err != nil {
					t.Errorf("%s:%d: %v", file, r.line, err)
					continue
				}
				var got []float64
				if v.Version() == V40 {
					got = []float64{v.Score()}
				} else {
					got = []float64{v.BaseScore(), v.TemporalScore(), v.EnvironmentalScore()}
				}
				if fmt.Sprint(got) != fmt.Sprint(r.want) {
					t.Errorf("%s:%d: %s: got %v, want %v", file, r.line, r.vector, got, r.want)
				}
			}
		})
	}
}

// TestSpecExamples31 checks vectors of the CVSS v3.1 "Examples" document
// (identical base vectors and scores to the v3.0 one), as listed in
// testdata/redhat_vectors_cvsslib3.
func TestSpecExamples31(t *testing.T) {
	tests := []struct {
		cve, vector string
		want        float64
		severity    string
	}{
		{"CVE-2013-1937", "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1, "Medium"},
		{"CVE-2013-0375", "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N", 6.4, "Medium"},
		{"CVE-2014-3566", "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N", 3.1, "Low"},
		{"CVE-2012-1516", "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H", 9.9, "Critical"},
		{"CVE-2009-0783", "CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:U/C:L/I:L/A:L", 4.2, "Medium"},
		{"CVE-2012-0384", "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 8.8, "High"},
		{"CVE-2015-1098", "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", 7.8, "High"},
		{"CVE-2014-0160", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 7.5, "High"},
		{"CVE-2014-6271", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, "Critical"},
		{"CVE-2008-1447", "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:C/C:N/I:H/A:N", 6.8, "Medium"},
		{"CVE-2014-2005", "CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 6.8, "Medium"},
		{"CVE-2010-0467", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:L/I:N/A:N", 5.8, "Medium"},
		{"CVE-2012-1342", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:N/I:L/A:N", 5.8, "Medium"},
		{"CVE-2013-6014", "CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:C/C:H/I:N/A:H", 9.3, "Critical"},
		{"", "CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N", 5.4, "Medium"},
		{"", "CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 8.8, "High"},
		{"", "CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N", 4.6, "Medium"},
		{"", "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:N", 7.4, "High"},
		{"", "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H", 9.6, "Critical"},
		{"no impact", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0, "None"},
	}
	for _, tt := range tests {
		t.Run(tt.cve+tt.vector, func(t *testing.T) {
			v, err := Parse(tt.vector)
			if err != nil {
				t.Fatal(err)
			}
			if got := v.BaseScore(); got != tt.want {
				t.Errorf("BaseScore() = %v, want %v", got, tt.want)
			}
			if got := v.Score(); got != tt.want {
				t.Errorf("Score() = %v, want %v", got, tt.want)
			}
			if got := v.Severity(); got != tt.severity {
				t.Errorf("Severity() = %s, want %s", got, tt.severity)
			}
		})
	}
}

// TestScore3 covers what Score reports and the 3.0/3.1 difference in the
// environmental equation.
func TestScore3(t *testing.T) {
	tests := []struct {
		vector                 string
		base, temp, env, score float64
		nomenclature           string
	}{
		// Same vector, 3.0 vs 3.1 modified impact under changed scope.
		{"CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H", 9.6, 9.6, 9.6, 9.6, "Base"},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H", 9.6, 9.6, 9.7, 9.6, "Base"},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H/CR:X", 9.6, 9.6, 9.7, 9.6, "Base"},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H/CR:M", 9.6, 9.6, 9.7, 9.7, "Environmental"},
		// Temporal: 9.8 x 0.94 x 0.95 x 0.96 = 8.40... -> 8.5.
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/RC:R", 9.8, 8.5, 8.5, 8.5, "Temporal"},
		// The 3.0 examples with environmental metrics, scored as 3.1 (no
		// changed modified scope, so the same numbers as 3.0).
		{"CVSS:3.1/AV:L/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N/MAV:A/MAC:L/MPR:N/MUI:N/MS:U/MC:L/MI:N/MA:N", 4.6, 4.6, 4.3, 4.3, "Environmental"},
		{"CVSS:3.1/AV:L/AC:L/PR:H/UI:R/S:U/C:H/I:N/A:H/MPR:N", 5.8, 5.8, 7.1, 7.1, "Environmental"},
		{"CVSS:3.1/AV:L/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N/MAV:A/MAC:L/MPR:N/MUI:N/MS:U/MC:N/MI:N/MA:N", 4.6, 4.6, 0, 0, "Environmental"},
	}
	for _, tt := range tests {
		t.Run(tt.vector, func(t *testing.T) {
			v, err := Parse(tt.vector)
			if err != nil {
				t.Fatal(err)
			}
			got := []float64{v.BaseScore(), v.TemporalScore(), v.EnvironmentalScore(), v.Score()}
			want := []float64{tt.base, tt.temp, tt.env, tt.score}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("base, temporal, environmental, score = %v, want %v", got, want)
			}
			if n := v.Nomenclature(); n != tt.nomenclature {
				t.Errorf("Nomenclature() = %s, want %s", n, tt.nomenclature)
			}
		})
	}
}

// TestRoundup31 checks the float-safe Roundup of CVSS v3.1 Appendix A.
func TestRoundup31(t *testing.T) {
	tests := []struct{ in, want float64 }{
		{4.0, 4.0},
		{4.02, 4.1},
		{4.000001, 4.0},          // within 1e-5 of 4.0: float noise, not a real excess
		{4.000000000000001, 4.0}, // the case Appendix A was written for
		{4.00001, 4.1},
		{4.1, 4.1},
		{0.1 + 0.2, 0.3}, // 0.30000000000000004: noise, not an excess
		{0, 0},
		{9.999999, 10},
		{10, 10},
		{7.51, 7.6},
	}
	for _, tt := range tests {
		if got := roundup31(tt.in); got != tt.want {
			t.Errorf("roundup31(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestRound4(t *testing.T) {
	tests := []struct{ in, want float64 }{
		{5.6499999999999995, 5.7}, // one ULP below the tie, as the reference notes
		{8.6 - 7.15, 1.5},         // 1.4499999999999993
		{5.64, 5.6},
		{5.65, 5.7},
		{0.04, 0.0},
		{9.95, 10},
	}
	for _, tt := range tests {
		if got := round4(tt.in); got != tt.want {
			t.Errorf("round4(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// TestScore4 covers the v4.0 examples: the specification's
// (AV:N/.../VC:H/VI:H/VA:H/SC:N/SI:N/SA:N = 9.3) and the Red Hat library's
// tests (tests/test_cvss4.py), including the nomenclature of each score.
func TestScore4(t *testing.T) {
	tests := []struct {
		vector       string
		base, score  float64
		nomenclature string
		severity     string
	}{
		{"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 9.3, 9.3, "CVSS-B", "Critical"},
		{"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N", 8.7, 8.7, "CVSS-B", "High"},
		{"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N/AR:L", 8.7, 7.9, "CVSS-BE", "High"},
		{"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N/MSI:H", 0, 7.7, "CVSS-BE", "High"},
		{"CVSS:4.0/AV:A/AC:H/AT:P/PR:L/UI:P/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N", 0, 0, "CVSS-B", "None"},
		{"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:L/SC:L/SI:L/SA:L", 6.9, 6.9, "CVSS-B", "Medium"},
		{"CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/E:U", 7.3, 4.1, "CVSS-BT", "Medium"},
		{"CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/E:X/S:P/AU:Y/U:Red", 7.3, 7.3, "CVSS-B", "High"},
	}
	for _, tt := range tests {
		t.Run(tt.vector, func(t *testing.T) {
			v, err := Parse(tt.vector)
			if err != nil {
				t.Fatal(err)
			}
			if got := v.BaseScore(); got != tt.base {
				t.Errorf("BaseScore() = %v, want %v", got, tt.base)
			}
			if got := v.Score(); got != tt.score {
				t.Errorf("Score() = %v, want %v", got, tt.score)
			}
			if got := v.Nomenclature(); got != tt.nomenclature {
				t.Errorf("Nomenclature() = %s, want %s", got, tt.nomenclature)
			}
			if got := v.Severity(); got != tt.severity {
				t.Errorf("Severity() = %s, want %s", got, tt.severity)
			}
		})
	}
}

// TestSeverity4 is test_severity of the Red Hat library's tests/test_cvss4.py:
// full vectors with every group, the expected severity of their score.
func TestSeverity4(t *testing.T) {
	tests := []struct{ vector, want string }{
		{"CVSS:4.0/AV:L/AC:H/AT:P/PR:N/UI:P/VC:H/VI:N/VA:N/SC:N/SI:N/AU:N/SA:N/S:P/R:A/V:D/RE:L/U:Red/MAV:L/MAC:L/MAT:N/MPR:L/MUI:A/MVC:L/MVI:N/MVA:H/MSC:H/MSI:L/MSA:N/CR:H/IR:L/AR:L/E:P", "Low"},
		{"CVSS:4.0/AV:L/AC:L/AT:P/PR:L/UI:P/VC:N/VI:L/VA:L/SC:H/SI:N/AU:Y/SA:N/S:N/R:I/V:C/RE:M/U:Amber/MAV:L/MAC:H/MAT:P/MPR:N/MUI:P/MVC:L/MVI:N/MVA:H/MSC:H/MSI:H/MSA:S/CR:M/IR:M/AR:M/E:A", "High"},
		{"CVSS:4.0/AV:N/AC:H/AT:P/PR:H/UI:A/VC:L/VI:N/VA:N/SC:L/SI:N/AU:Y/SA:L/S:P/R:U/V:D/RE:M/U:Red/MAV:N/MAC:H/MAT:P/MPR:H/MUI:P/MVC:L/MVI:H/MVA:L/MSC:N/MSI:H/MSA:H/CR:L/IR:H/AR:M/E:U", "Low"},
		{"CVSS:4.0/AV:A/AC:H/AT:N/PR:N/UI:A/VC:L/VI:L/VA:N/SC:N/SI:H/AU:N/SA:L/S:P/R:U/V:D/RE:H/U:Clear/MAV:A/MAC:L/MAT:N/MPR:N/MUI:P/MVC:N/MVI:L/MVA:L/MSC:H/MSI:N/MSA:L/CR:M/IR:M/AR:L/E:U", "Low"},
		{"CVSS:4.0/AV:L/AC:L/AT:P/PR:L/UI:A/VC:H/VI:H/VA:N/SC:H/SI:N/AU:Y/SA:N/S:N/R:I/V:C/RE:L/U:Green/MAV:L/MAC:L/MAT:N/MPR:H/MUI:P/MVC:L/MVI:L/MVA:N/MSC:H/MSI:H/MSA:S/CR:H/IR:H/AR:H/E:P", "Medium"},
		{"CVSS:4.0/AV:N/AC:L/AT:N/PR:H/UI:N/VC:L/VI:L/VA:H/SC:H/SI:L/AU:Y/SA:H/S:N/R:U/V:C/RE:M/U:Amber/MAV:L/MAC:H/MAT:N/MPR:H/MUI:N/MVC:N/MVI:L/MVA:N/MSC:L/MSI:S/MSA:H/CR:H/IR:M/AR:M/E:A", "Medium"},
		{"CVSS:4.0/AV:A/AC:H/AT:P/PR:N/UI:P/VC:N/VI:L/VA:N/SC:H/SI:H/AU:N/SA:N/S:N/R:A/V:C/RE:M/U:Green/MAV:L/MAC:L/MAT:P/MPR:L/MUI:A/MVC:N/MVI:L/MVA:H/MSC:L/MSI:N/MSA:S/CR:L/IR:L/AR:M/E:P", "Low"},
		{"CVSS:4.0/AV:A/AC:H/AT:N/PR:H/UI:A/VC:H/VI:N/VA:H/SC:L/SI:N/AU:N/SA:H/S:P/R:I/V:D/RE:M/U:Red/MAV:N/MAC:L/MAT:N/MPR:N/MUI:N/MVC:H/MVI:H/MVA:H/MSC:H/MSI:S/MSA:S/CR:H/IR:H/AR:H/E:U", "Critical"},
		{"CVSS:4.0/AV:N/AC:H/AT:N/PR:H/UI:P/VC:L/VI:N/VA:H/SC:L/SI:N/AU:Y/SA:H/S:P/R:I/V:D/RE:H/U:Green/MAV:A/MAC:L/MAT:N/MPR:N/MUI:A/MVC:L/MVI:H/MVA:H/MSC:N/MSI:H/MSA:L/CR:L/IR:H/AR:L/E:U", "Medium"},
		{"CVSS:4.0/AV:L/AC:H/AT:N/PR:N/UI:N/VC:L/VI:N/VA:H/SC:L/SI:H/AU:N/SA:H/S:P/R:U/V:C/RE:H/U:Red/MAV:L/MAC:L/MAT:P/MPR:L/MUI:P/MVC:N/MVI:N/MVA:N/MSC:N/MSI:N/MSA:N/CR:H/IR:H/AR:H/E:P", "None"},
	}
	for i, tt := range tests {
		v, err := Parse(tt.vector)
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		if got := v.Severity(); got != tt.want {
			t.Errorf("%d: Severity() = %s (score %v), want %s", i, got, v.Score(), tt.want)
		}
		if v.Nomenclature() != "CVSS-BTE" {
			t.Errorf("%d: Nomenclature() = %s", i, v.Nomenclature())
		}
	}
}

// TestLookup4Data checks the copied 4.0 data for what a transcription
// slip would break: 270 MacroVectors, every one reachable level present,
// scores in (0, 10], max vectors parsed, and no next-lower MacroVector
// scoring above its parent (where the FIRST JavaScript, which only skips
// missing neighbours, and the Python port, which also skips negative gaps,
// would disagree).
func TestLookup4Data(t *testing.T) {
	if len(lookup4) != 270 {
		t.Fatalf("lookup4 has %d entries, want 270", len(lookup4))
	}
	for k, s := range lookup4 {
		if len(k) != 6 || s <= 0 || s > 10 {
			t.Errorf("bad entry %q: %v", k, s)
		}
	}
	n := 0
	for a := range 3 {
		for b := range 2 {
			for c := range 3 {
				for d := range 3 {
					for e := range 3 {
						for f := range 2 {
							eq := [6]int{a, b, c, d, e, f}
							s := macro4(eq)
							if c == 2 && f == 0 {
								if !math.IsNaN(s) {
									t.Errorf("%v exists but cannot occur", eq)
								}
								continue
							}
							n++
							if math.IsNaN(s) {
								t.Errorf("%v missing", eq)
								continue
							}
							for i := range 6 {
								next := eq
								next[i]++
								if l := macro4(next); l > s {
									t.Errorf("%v (%v) -> %v (%v): lower MacroVector scores higher", eq, s, next, l)
								}
							}
						}
					}
				}
			}
		}
	}
	if n != 270 {
		t.Errorf("%d reachable MacroVectors, want 270", n)
	}
}

// TestAllBase4 scores every one of the 104,976 v4.0 base vectors: each
// parses, round-trips in canonical form, and scores within [0, 10], with
// Score equal to BaseScore when only base metrics are set.
func TestAllBase4(t *testing.T) {
	if testing.Short() {
		t.Skip("exhaustive")
	}
	defs := metrics4[:m4SA+1]
	var idx [m4SA + 1]int
	count := 0
	for {
		var b strings.Builder
		b.WriteString("CVSS:4.0")
		for i, d := range defs {
			b.WriteString("/" + d.name + ":" + d.values[idx[i]])
		}
		s := b.String()
		v, err := Parse(s)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if v.String() != s {
			t.Fatalf("String() = %s, want %s", v, s)
		}
		if sc := v.Score(); sc < 0 || sc > 10 || sc != v.BaseScore() {
			t.Fatalf("%s: score %v base %v", s, sc, v.BaseScore())
		}
		count++
		i := len(idx) - 1
		for ; i >= 0; i-- {
			idx[i]++
			if idx[i] < len(defs[i].values) {
				break
			}
			idx[i] = 0
		}
		if i < 0 {
			break
		}
	}
	if count != 104976 {
		t.Errorf("scored %d vectors, want 104976", count)
	}
}
