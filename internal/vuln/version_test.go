package vuln

import (
	"errors"
	"testing"
)

func TestCompareGeneric(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"4.8.1", "5.5.0", -1},
		{"5.5.0", "5.5.0", 0},
		{"1.0", "1.0.0", 0},
		{"1.10", "1.9", 1},
		{"1.0.2k", "1.0.2", 1},  // OpenSSL letter release
		{"5.0rc1", "5.0", -1},   // pre-release
		{"5.0-beta", "5.0", -1}, // pre-release after a separator
		{"v2.1", "2.1", 0},
		{"r0.13", "0.13", 0},
		{"C.00.04", "C.00.05", -1},
		{"C.00.04", "B.12", 1},
		{"012U000040", "012U000039", 1},
		{"2.4A", "2.4B", -1},
		{"10.0.19041", "10.0.9", 1},
		{"1.0.0.0", "1", 0},
		{"0001", "1", 0},
		{"99999999999999999999.1", "99999999999999999998.9", 1},
	}
	for _, tt := range tests {
		t.Run(tt.a+" vs "+tt.b, func(t *testing.T) {
			if got := compareGeneric(tt.a, tt.b); got != tt.want {
				t.Errorf("compareGeneric(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
			}
			if got := compareGeneric(tt.b, tt.a); got != -tt.want {
				t.Errorf("compareGeneric(%q, %q) = %d, want %d (antisymmetry)", tt.b, tt.a, got, -tt.want)
			}
		})
	}
}

func TestParseVersionRange(t *testing.T) {
	tests := []struct {
		in      string
		in1     []string // versions inside
		out     []string // versions outside
		wantErr bool
	}{
		// Forms found in CISA's ICSMA CSAF files.
		{in: "vers:all/*", in1: []string{"0", "99.9"}},
		{in: "< 8.2.2", in1: []string{"8.2.1", "7"}, out: []string{"8.2.2", "8.3"}},
		{in: "<8.2.2", in1: []string{"8.2.1"}, out: []string{"8.2.2"}},
		{in: "<= 2.3.6", in1: []string{"2.3.6", "2.3"}, out: []string{"2.3.7"}},
		{in: "<=3.0.0.0", in1: []string{"3.0"}, out: []string{"3.0.0.1"}},
		{in: ">= 1.3.4 | < 1.5.3", in1: []string{"1.3.4", "1.5.2"}, out: []string{"1.3.3", "1.5.3"}},
		{in: ">= 4.4 | <= 4.12", in1: []string{"4.10"}, out: []string{"4.13", "4.3"}},
		{in: "<= 12.2.x.x", in1: []string{"12.2.9.9", "12.1"}, out: []string{"12.3", "13"}},
		{in: "< 3.x", in1: []string{"2.9"}, out: []string{"3.1"}},
		{in: "<= C.00.04", in1: []string{"C.00.04", "C.00.01"}, out: []string{"C.00.05"}},
		{in: "< 012U000040", in1: []string{"012U000039"}, out: []string{"012U000040"}},
		{in: "v6.x (with Wireless Battery Modules v9 | v11)", in1: []string{"6.2", "v6.0"}, out: []string{"7.0", "5.9"}},
		{in: "<= 1.54 (integrated into GE MobileLink)", in1: []string{"1.54"}, out: []string{"1.55"}},
		{in: "All versions", in1: []string{"1"}},
		{in: "prior to 4.5", in1: []string{"4.4"}, out: []string{"4.5"}},
		{in: "3.2 and earlier", in1: []string{"3.2"}, out: []string{"3.3"}},
		{in: "vers:generic/>=1.0|<2.0|>=3.0|<4.0", in1: []string{"1.5", "3.0"}, out: []string{"2.0", "2.5", "4.0"}},
		{in: "MMT-1715 | MMT-1754 | MMT-1755", in1: []string{"MMT-1754", "mmt-1715"}, out: []string{"MMT-1756", "MMT-1716"}},
		{in: "vers:semver/1.2.3", in1: []string{"1.2.3"}, out: []string{"1.2.4"}},
		{in: "vers:generic/>=1.0|!=1.5|<2.0", in1: []string{"1.4"}, out: []string{"1.5", "2.0"}},
		// Free text that is not a version comparison.
		{in: "distributed  < april 1, 2018", wantErr: true},
		{in: "< august 28", wantErr: true},
		{in: "<=N", wantErr: true},
		{in: "<= U61 |<= L81", wantErr: true},
		{in: "A10 < A11", wantErr: true},
		{in: "vers:", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			r, err := ParseVersionRange(tt.in)
			if tt.wantErr {
				if !errors.Is(err, ErrUnreadableRange) {
					t.Fatalf("ParseVersionRange(%q) = %v, %v; want ErrUnreadableRange", tt.in, r, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseVersionRange(%q): %v", tt.in, err)
			}
			for _, v := range tt.in1 {
				if !r.Contains(v) {
					t.Errorf("%q (%s) does not contain %q", tt.in, r, v)
				}
			}
			for _, v := range tt.out {
				if r.Contains(v) {
					t.Errorf("%q (%s) contains %q", tt.in, r, v)
				}
			}
		})
	}
}

func FuzzParseVersionRange(f *testing.F) {
	for _, s := range []string{"vers:all/*", "< 8.2.2", ">= 1.3.4 | < 1.5.3", "<= 12.2.x.x", "v6.x (with a | b)",
		"vers:generic/>=1.0|<2.0|>=3.0|<4.0", "prior to 4.5", "vers:npm/!=1.0.0|>=2", "3.2 and earlier"} {
		f.Add(s, "1.2.3")
	}
	f.Fuzz(func(t *testing.T, rng, v string) {
		r, err := ParseVersionRange(rng)
		if err != nil {
			return
		}
		r.Contains(v) // must not panic
		_ = r.String()
		if compareGeneric(v, v) != 0 {
			t.Fatalf("compareGeneric(%q, itself) != 0", v)
		}
	})
}
