package cvss

import (
	"errors"
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	const base31 = "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N"
	tests := []struct {
		name   string
		in     string
		want   error
		offset int
		metric string
	}{
		{"empty", "", ErrPrefix, 0, ""},
		{"lower-case prefix", strings.ToLower(base31), ErrPrefix, 0, ""},
		{"no prefix", "AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", ErrPrefix, 0, ""},
		{"v2", "CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P", ErrPrefix, 5, ""},
		{"version only", "CVSS:3.1", ErrPrefix, 5, ""},
		{"prefix only", "CVSS:3.1/", ErrSyntax, 9, ""},
		{"trailing slash", base31 + "/", ErrSyntax, len(base31) + 1, ""},
		{"empty field", "CVSS:3.1/AV:N//AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", ErrSyntax, 14, ""},
		{"no colon", "CVSS:3.1/AVN/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", ErrSyntax, 9, ""},
		{"missing A", "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L", ErrMissing, 40, "A"},
		{"missing scope", "CVSS:3.0/AV:N/AC:L/PR:N/UI:R/C:L/I:L/A:N", ErrMissing, 40, "S"},
		{"duplicate", "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N/AC:H", ErrDuplicate, 45, "AC"},
		{"duplicate with X", "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N/E:X/E:X", ErrDuplicate, 49, "E"},
		{"bad value", "CVSS:3.1/AV:Q/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", ErrValue, 12, "AV"},
		{"base cannot be X", "CVSS:3.1/AV:N/AC:X/PR:N/UI:R/S:C/C:L/I:L/A:N", ErrValue, 17, "AC"},
		{"lower-case value", "CVSS:3.1/AV:n/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", ErrValue, 12, "AV"},
		{"value with colon", "CVSS:3.1/AV:N:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", ErrValue, 12, "AV"},
		{"unknown metric", base31 + "/JJ:H", ErrUnknownMetric, len(base31) + 1, "JJ"},
		{"4.0 metric in 3.1", base31 + "/AT:N", ErrUnknownMetric, len(base31) + 1, "AT"},
		{"3.x metric in 4.0", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/RL:O", ErrUnknownMetric, 64, "RL"},
		{"4.0 SI:S is MSI only", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:S/SA:N", ErrValue, 57, "SI"},
		{"4.0 missing AT", "CVSS:4.0/AV:N/AC:L/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", ErrMissing, 58, "AT"},
		{"4.0 bad U", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/U:red", ErrValue, 66, "U"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse(%q) = %v, want error", tt.in, v)
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Parse(%q) error = %v, want %v", tt.in, err, tt.want)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *ParseError", err)
			}
			if pe.Offset != tt.offset || pe.Metric != tt.metric {
				t.Errorf("got offset %d metric %q, want offset %d metric %q (%v)", pe.Offset, pe.Metric, tt.offset, tt.metric, err)
			}
			if tt.metric != "" && !strings.Contains(err.Error(), `"`+tt.metric+`"`) {
				t.Errorf("message %q does not name metric %s", err, tt.metric)
			}
		})
	}
}

func TestParseReportsEveryMissingMetric(t *testing.T) {
	_, err := Parse("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N")
	var got []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var pe *ParseError
		if errors.As(e, &pe) && errors.Is(e, ErrMissing) {
			got = append(got, pe.Metric)
		}
	}
	if want := "VC VI VA SC SI SA"; strings.Join(got, " ") != want {
		t.Errorf("missing = %v, want %s", got, want)
	}
}

func TestStringCanonical(t *testing.T) {
	tests := []struct{ in, want string }{
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N"},
		{"CVSS:3.0/S:U/AV:N/AC:L/PR:H/UI:N/C:L/I:L/A:N/E:F/RL:X", "CVSS:3.0/AV:N/AC:L/PR:H/UI:N/S:U/C:L/I:L/A:N/E:F"},
		{"CVSS:3.1/MA:H/CR:L/A:N/I:L/C:L/S:C/UI:R/PR:N/AC:L/AV:N/RC:R", "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N/RC:R/CR:L/MA:H"},
		{
			"CVSS:4.0/U:Amber/E:P/SA:N/SI:N/SC:N/VA:H/VI:H/VC:H/UI:N/PR:N/AT:N/AC:L/AV:N/MSI:S/CR:X",
			"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:P/MSI:S/U:Amber",
		},
	}
	for _, tt := range tests {
		v, err := Parse(tt.in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.in, err)
		}
		if got := v.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
		w, err := Parse(v.String())
		if err != nil || *w != *v {
			t.Errorf("round trip of %q: %v, %v", v, w, err)
		}
	}
}

func TestMetricAndVersion(t *testing.T) {
	v, err := Parse("CVSS:3.1/AV:A/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N/E:X/CR:H")
	if err != nil {
		t.Fatal(err)
	}
	if v.Version() != V31 {
		t.Errorf("Version() = %q", v.Version())
	}
	tests := []struct {
		name, want string
		ok         bool
	}{
		{"AV", "A", true}, {"CR", "H", true}, {"E", "X", true}, {"MAV", "X", true},
		{"AT", "", false}, {"av", "", false},
	}
	for _, tt := range tests {
		if got, ok := v.Metric(tt.name); got != tt.want || ok != tt.ok {
			t.Errorf("Metric(%q) = %q, %v; want %q, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

func TestWith(t *testing.T) {
	v, err := Parse("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N")
	if err != nil {
		t.Fatal(err)
	}
	w, err := v.With("CR", "H")
	if err != nil {
		t.Fatal(err)
	}
	w, err = w.With("MC", "H")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := w.String(), "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N/CR:H/MC:H"; got != want {
		t.Errorf("With: %q, want %q", got, want)
	}
	if got := v.String(); got != "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N" {
		t.Errorf("With changed the original: %q", got)
	}
	if v.Score() != 6.1 || w.Score() <= v.Score() || w.Nomenclature() != "Environmental" {
		t.Errorf("scores: original %v, modified %v (%s)", v.Score(), w.Score(), w.Nomenclature())
	}
	back, err := w.With("MC", "X")
	if err != nil {
		t.Fatal(err)
	}
	if got := back.String(); got != "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N/CR:H" {
		t.Errorf("With X: %q", got)
	}
	for _, bad := range [][2]string{{"AV", "X"}, {"ZZ", "H"}, {"AT", "N"}, {"CR", "Q"}} {
		if _, err := v.With(bad[0], bad[1]); !errors.Is(err, ErrUnknownMetric) && !errors.Is(err, ErrValue) {
			t.Errorf("With(%s, %s) error = %v", bad[0], bad[1], err)
		}
	}
	v4, _ := Parse("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N")
	w4, err := v4.With("MSA", "S")
	if err != nil {
		t.Fatal(err)
	}
	if w4.Nomenclature() != "CVSS-BE" || w4.Score() != 10 || w4.BaseScore() != 9.3 {
		t.Errorf("4.0 With MSA:S: %s %v base %v", w4.Nomenclature(), w4.Score(), w4.BaseScore())
	}
}

func TestSeverityOf(t *testing.T) {
	tests := []struct {
		score float64
		want  string
	}{
		{0, "None"}, {0.1, "Low"}, {3.9, "Low"}, {4.0, "Medium"}, {6.9, "Medium"},
		{7.0, "High"}, {8.9, "High"}, {9.0, "Critical"}, {10, "Critical"},
	}
	for _, tt := range tests {
		if got := SeverityOf(tt.score); got != tt.want {
			t.Errorf("SeverityOf(%v) = %s, want %s", tt.score, got, tt.want)
		}
	}
}
