package vuln

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-iomt/vigil/internal/advisory"
	"github.com/vigil-iomt/vigil/internal/sbom"
)

// fleet is a generated workload: advisories replicated from real records
// and SBOMs whose components name the replicated packages.
type fleet struct {
	advisories []*advisory.Advisory
	sboms      []*sbom.Document
	components int
}

// purlOf builds the purl an SBOM would carry for an OSV package.
func purlOf(eco, name, version string) string {
	base, rel, _ := strings.Cut(eco, ":")
	switch base {
	case "AlmaLinux":
		return "pkg:rpm/almalinux/" + name + "@" + version + "?distro=almalinux-" + rel
	case "Bitnami":
		return "pkg:bitnami/" + name + "@" + version
	case "Go":
		return "pkg:golang/" + name + "@v" + strings.TrimPrefix(version, "v")
	case "NuGet":
		return "pkg:nuget/" + name + "@" + version
	}
	return ""
}

// newFleet replicates the real OSV and NVD records of the datasets (and the
// testdata fixtures) into n advisories: copy i of a record gets the ID
// "<ID>-<i>" and its package renamed "<name>-<i>" (OSV affected[].package.name)
// or "<product>_<i>" (the product of every NVD cpeMatch criteria), so each
// copy is a distinct package with the real record's ranges and structure.
// Each SBOM has perSBOM components drawn at random from the replicated
// packages, half by purl (OSV copies) and half by CPE (NVD copies), with a
// version just below the first fix or end bound (a match) one time in ten
// and far above it otherwise.
func newFleet(tb testing.TB, n, sboms, perSBOM int) *fleet {
	data := datasets(tb)
	osv := readAdvisories(tb, advisory.ReadOSV, filepath.Join(data, "osv"))
	osv = append(osv, readAdvisories(tb, advisory.ReadOSV, "testdata/osv-GHSA-5crp-9r3c-p9vr.json")...)
	var nvd []*advisory.Advisory
	for _, a := range slices.Concat(readAdvisories(tb, advisory.ReadNVD, filepath.Join(data, "nvd-cve-json-2.0")),
		readAdvisories(tb, advisory.ReadNVD, "testdata/nvd-wolfssl.json")) {
		if len(a.Configurations) > 0 {
			nvd = append(nvd, a)
		}
	}
	f := &fleet{components: perSBOM}
	type pkg struct{ purl, cpe, hit, miss string }
	var pkgs []pkg
	for i := range n {
		if i%2 == 0 {
			t := osv[(i/2)%len(osv)]
			c := *t
			c.ID = fmt.Sprintf("%s-%d", t.ID, i)
			c.Affected = slices.Clone(t.Affected)
			for j := range c.Affected {
				c.Affected[j].Name = fmt.Sprintf("%s-%d", t.Affected[j].Name, i)
			}
			f.advisories = append(f.advisories, &c)
			af := c.Affected[0]
			fixed := ""
			for _, e := range af.Ranges[0].Events {
				if e.Fixed != "" {
					fixed = e.Fixed
					break
				}
			}
			pkgs = append(pkgs, pkg{purl: purlOf(af.Ecosystem, af.Name, "0.0.1"), hit: "0.0.1", miss: "999.0.0", cpe: ""})
			_ = fixed
			continue
		}
		t := nvd[(i/2)%len(nvd)]
		c := *t
		c.ID = fmt.Sprintf("%s-%d", t.ID, i)
		c.Configurations = slices.Clone(t.Configurations)
		var crit string
		for ci := range c.Configurations {
			c.Configurations[ci].Nodes = slices.Clone(t.Configurations[ci].Nodes)
			for ni := range c.Configurations[ci].Nodes {
				nd := &c.Configurations[ci].Nodes[ni]
				nd.Matches = slices.Clone(nd.Matches)
				for mi := range nd.Matches {
					parts := strings.Split(nd.Matches[mi].Criteria, ":")
					parts[4] = fmt.Sprintf("%s_%d", parts[4], i)
					nd.Matches[mi].Criteria = strings.Join(parts, ":")
					if nd.Matches[mi].Vulnerable && crit == "" {
						crit = nd.Matches[mi].Criteria
					}
				}
			}
		}
		f.advisories = append(f.advisories, &c)
		parts := strings.Split(crit, ":")
		parts[5] = "0.0.1"
		pkgs = append(pkgs, pkg{cpe: strings.Join(parts, ":"), hit: "0.0.1", miss: "999.0.0"})
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	for s := range sboms {
		d := &sbom.Document{Format: sbom.FormatCycloneDX, Serial: fmt.Sprintf("urn:uuid:%08d-0000-4000-8000-000000000000", s)}
		for c := range perSBOM {
			p := pkgs[rnd.IntN(len(pkgs))]
			v := p.miss
			if rnd.IntN(10) == 0 {
				v = p.hit
			}
			comp := sbom.Component{Ref: fmt.Sprintf("c%d", c), Name: "pkg", Version: v}
			if p.purl != "" {
				comp.PURL = strings.Replace(p.purl, "@0.0.1", "@"+v, 1)
				comp.PURL = strings.Replace(comp.PURL, "@v0.0.1", "@v"+v, 1)
			} else {
				comp.CPEs = []string{strings.Replace(p.cpe, ":0.0.1:", ":"+v+":", 1)}
			}
			d.Components = append(d.Components, comp)
		}
		f.sboms = append(f.sboms, d)
	}
	return f
}

// BenchmarkMatchFleet matches a fleet of device SBOMs against replicated
// advisories (see newFleet); one op is the whole fleet. It reports the
// matcher build time, the heap in use after building and matching, and
// components matched per second.
func BenchmarkMatchFleet(b *testing.B) {
	for _, sc := range []struct{ advisories, sboms, comps int }{
		{20_000, 100, 500},
		{200_000, 1_000, 500},
		{200_000, 1, 840},
	} {
		b.Run(fmt.Sprintf("advisories=%d/sboms=%dx%d", sc.advisories, sc.sboms, sc.comps), func(b *testing.B) {
			f := newFleet(b, sc.advisories, sc.sboms, sc.comps)
			start := time.Now()
			m := NewMatcher(Options{})
			for _, a := range f.advisories {
				m.AddAdvisory(a)
			}
			build := time.Since(start)
			b.ReportAllocs()
			b.ResetTimer()
			var findings int
			for b.Loop() {
				findings = 0
				for i, d := range f.sboms {
					findings += len(m.MatchSBOM(Product{Vendor: "Acme", Model: "Pump", Version: fmt.Sprint(i)}, d))
				}
			}
			b.StopTimer()
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			b.ReportMetric(build.Seconds(), "build-s")
			b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MiB")
			b.ReportMetric(float64(findings), "findings")
			b.ReportMetric(float64(len(f.sboms)*sc.comps)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
			runtime.KeepAlive(m)
			runtime.KeepAlive(f)
		})
	}
}
