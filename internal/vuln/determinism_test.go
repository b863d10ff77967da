package vuln

import (
	"reflect"
	"testing"

	"github.com/vigil-iomt/vigil/internal/advisory"
	"github.com/vigil-iomt/vigil/internal/sbom"
)

// The findings do not depend on the order advisories were added in.
func TestDeterministicOrder(t *testing.T) {
	advs := []*advisory.Advisory{
		nvdAdvisory("CVE-2099-0003", simpleWolfConfig()),
		osvAdvisory("GHSA-0001", "PyPI", "django", []advisory.Range{rng("ECOSYSTEM", "i=0", "f=4.0")}),
		nvdAdvisory("CVE-2099-0001", simpleWolfConfig()),
		osvAdvisory("GHSA-0002", "PyPI", "django", []advisory.Range{rng("ECOSYSTEM", "i=3.0")}),
	}
	d := doc(sbom.Component{Ref: "b", PURL: "pkg:pypi/django@3.2.1"}, wolfComponent())
	var runs [][]Finding
	for _, order := range [][]int{{0, 1, 2, 3}, {3, 2, 1, 0}, {2, 0, 3, 1}} {
		m := NewMatcher(Options{})
		for _, i := range order {
			m.AddAdvisory(advs[i])
		}
		runs = append(runs, m.MatchSBOM(Product{}, d))
	}
	var got []string
	for _, f := range runs[0] {
		got = append(got, f.Component.Ref+" "+f.Vulnerability)
	}
	want := []string{"b GHSA-0001", "b GHSA-0002", "wolfssl CVE-2099-0001", "wolfssl CVE-2099-0003"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("order %q, want %q", got, want)
	}
	for _, r := range runs[1:] {
		if !reflect.DeepEqual(r, runs[0]) {
			t.Errorf("findings depend on the order advisories were added in:\n%+v\n%+v", r, runs[0])
		}
	}
}
