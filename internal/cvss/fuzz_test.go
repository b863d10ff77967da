package cvss

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics and that whatever it accepts
// round-trips: String parses back to the same vector, String is stable,
// and every score is within [0, 10].
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "redhat_vectors_*"))
	for _, name := range files {
		fh, err := os.Open(name)
		if err != nil {
			f.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		for i := 0; sc.Scan() && i < 20; i++ {
			vec, _, _ := strings.Cut(sc.Text(), " - ")
			f.Add(vec)
		}
		fh.Close()
	}
	for _, s := range []string{
		"", "CVSS:", "CVSS:3.1/", "CVSS:3.1//", "CVSS:4.0/AV:N/AV:N",
		"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N/MSI:S/MSA:S/E:U/CR:L/IR:L/AR:L",
		"CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H/MS:U/MPR:H/E:U/RL:O/RC:U",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Parse(s)
		if err != nil {
			if v != nil {
				t.Fatalf("Parse(%q) returned a vector and an error", s)
			}
			_ = err.Error()
			return
		}
		str := v.String()
		w, err := Parse(str)
		if err != nil {
			t.Fatalf("Parse(%q) ok, but its String %q fails: %v", s, str, err)
		}
		if *w != *v || w.String() != str {
			t.Fatalf("round trip of %q: %q != %q", s, w.String(), str)
		}
		for _, sc := range []float64{v.BaseScore(), v.TemporalScore(), v.EnvironmentalScore(), v.Score()} {
			if !(sc >= 0 && sc <= 10) {
				t.Fatalf("%q: score %v out of range", s, sc)
			}
		}
		if v.Severity() != SeverityOf(v.Score()) {
			t.Fatalf("%q: severity mismatch", s)
		}
	})
}
