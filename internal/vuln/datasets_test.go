package vuln

import (
	"cmp"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/vigil-iomt/vigil/internal/advisory"
	"github.com/vigil-iomt/vigil/internal/csaf"
	"github.com/vigil-iomt/vigil/internal/sbom"
)

// datasets returns the folder of shared public data, or skips.
func datasets(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("VIGIL_DATASETS")
	if dir == "" {
		t.Skip("VIGIL_DATASETS not set: skipping the test on real public data (set it to ../shared/data)")
	}
	return dir
}

// readAdvisories reads OSV or NVD records; records the reader rejects are
// tolerated (the advisory package's own tests pin them), other errors fail.
func readAdvisories(t testing.TB, read func(string, func(*advisory.Advisory) error) error, path string) []*advisory.Advisory {
	t.Helper()
	var out []*advisory.Advisory
	err := read(path, func(a *advisory.Advisory) error { out = append(out, a); return nil })
	var rej *advisory.Rejected
	if err != nil && !errors.As(err, &rej) {
		t.Fatalf("%s: %v", path, err)
	}
	return out
}

// numeric parses "4.8.1" into [4 8 1] for the independent range check.
func numeric(t *testing.T, v string) []int {
	t.Helper()
	var out []int
	for _, s := range strings.Split(v, ".") {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("version %q is not numeric", v)
		}
		out = append(out, n)
	}
	return out
}

// TestMedicalDeviceSBOM matches the medical-device SBOM of the datasets
// against every NVD and OSV record of the datasets, then against wolfSSL and
// Newtonsoft.Json records in testdata.
func TestMedicalDeviceSBOM(t *testing.T) {
	data := datasets(t)
	doc, _, err := sbom.ParseFile(filepath.Join(data, "medical-device-sbom/sboms/case-study/narrow.sbom.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Components) != 55 {
		t.Fatalf("%d components, want 55", len(doc.Components))
	}
	device := Product{Vendor: "REDACTED", Model: "REDACTED", Version: "1"}
	nvd := readAdvisories(t, advisory.ReadNVD, filepath.Join(data, "nvd-cve-json-2.0"))
	osv := readAdvisories(t, advisory.ReadOSV, filepath.Join(data, "osv"))
	if len(nvd) < 30 || len(osv) != 9 {
		t.Fatalf("read %d NVD and %d OSV records", len(nvd), len(osv))
	}
	m := NewMatcher(Options{})
	for _, a := range slices.Concat(nvd, osv) {
		m.AddAdvisory(a)
	}

	t.Run("dataset records", func(t *testing.T) {
		// Independent check: no vulnerable NVD criteria names a
		// vendor:product of the SBOM's CPEs, and no OSV package is a NuGet
		// package (the only OSV-mappable purl type in the SBOM).
		sbomVP := map[string]bool{}
		for _, c := range doc.Components {
			for _, cpe := range c.CPEs {
				f := strings.Split(cpe, ":")
				sbomVP[f[3]+":"+f[4]] = true
			}
		}
		for _, a := range nvd {
			for _, cfg := range a.Configurations {
				for _, n := range cfg.Nodes {
					for _, cm := range n.Matches {
						f := strings.Split(cm.Criteria, ":")
						if sbomVP[f[3]+":"+f[4]] {
							t.Fatalf("%s names %s: the expected findings below are wrong", a.ID, cm.Criteria)
						}
					}
				}
			}
		}
		for _, a := range osv {
			for _, af := range a.Affected {
				if af.Ecosystem == "NuGet" {
					t.Fatalf("%s is about NuGet %s: the expected findings below are wrong", a.ID, af.Name)
				}
			}
		}
		res := m.Match(device, doc)
		if len(res.Findings) != 0 {
			t.Errorf("findings %+v, want none: no dataset record concerns a component of the SBOM", res.Findings)
		}
		// The six components with github or generic purls are noted as not
		// matchable against OSV.
		var noted []string
		for _, n := range res.Notes {
			if strings.Contains(n.Message, "has no OSV ecosystem") {
				noted = append(noted, n.Component)
			}
		}
		if len(noted) != 6 || !slices.Contains(noted, "BomRef.6730320963532548.7863229239413411") {
			t.Errorf("OSV notes for %q, want the 6 github/generic components including WolfSSL", noted)
		}
	})

	// Records about the SBOM's components, written for this test (see
	// testdata/README.md).
	fixtures := readAdvisories(t, advisory.ReadNVD, "testdata/nvd-wolfssl.json")
	ghsa := readAdvisories(t, advisory.ReadOSV, "testdata/osv-GHSA-5crp-9r3c-p9vr.json")
	if len(fixtures) != 9 || len(ghsa) != 1 {
		t.Fatalf("read %d NVD and %d OSV fixtures", len(fixtures), len(ghsa))
	}
	for _, a := range slices.Concat(fixtures, ghsa) {
		m.AddAdvisory(a)
	}
	const wolfRef = "BomRef.6730320963532548.7863229239413411"
	const jsonRef = "BomRef.8705914649556505.18593095724711484"

	// Independent check of which wolfSSL records cover 4.8.1: integer tuples.
	v481 := numeric(t, "4.8.1")
	var wantWolf []string
	for _, a := range fixtures {
		if len(a.Configurations[0].Nodes) != 1 {
			continue // the running-on record, checked below
		}
		cm := a.Configurations[0].Nodes[0].Matches[0]
		in := true
		if cm.VersionStartIncluding != "" && slices.Compare(v481, numeric(t, cm.VersionStartIncluding)) < 0 {
			in = false
		}
		if cm.VersionEndExcluding != "" && slices.Compare(v481, numeric(t, cm.VersionEndExcluding)) >= 0 {
			in = false
		}
		if cm.VersionEndIncluding != "" && slices.Compare(v481, numeric(t, cm.VersionEndIncluding)) > 0 {
			in = false
		}
		if in {
			wantWolf = append(wantWolf, a.ID)
		}
	}
	want := []string{"CVE-2021-44718", "CVE-2022-25638", "CVE-2022-38152", "CVE-2022-39173", "CVE-2022-42905", "CVE-2023-3724"}
	if !slices.Equal(wantWolf, want) {
		t.Fatalf("independent check: %q, hand-computed: %q", wantWolf, want)
	}

	t.Run("fixtures", func(t *testing.T) {
		res := m.Match(device, doc)
		var got []string
		for _, f := range res.Findings {
			got = append(got, f.Component.Ref+" "+f.Vulnerability+" "+f.Source+" "+f.Method)
		}
		var exp []string
		for _, id := range want {
			exp = append(exp, wolfRef+" "+id+" nvd cpe-configuration")
		}
		exp = append(exp, jsonRef+" GHSA-5crp-9r3c-p9vr osv purl-ecosystem-range")
		slices.Sort(exp)
		if !slices.Equal(got, exp) {
			t.Errorf("findings\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(exp, "\n"))
		}
		for _, f := range res.Findings {
			switch f.Vulnerability {
			case "CVE-2022-38152":
				wantEvi := "cpe:2.3:a:wolfssl:wolfssl:4.8.1:*:*:*:*:*:*:* matches cpe:2.3:a:wolfssl:wolfssl:*:*:*:*:*:*:*:* (versionEndExcluding 5.5.0) of CVE-2022-38152"
				if f.Evidence != wantEvi || !slices.Equal(f.FixedIn, []string{"5.5.0"}) {
					t.Errorf("evidence %q fixed %q, want %q", f.Evidence, f.FixedIn, wantEvi)
				}
			case "GHSA-5crp-9r3c-p9vr":
				if !slices.Equal(f.Aliases, []string{"CVE-2024-21907"}) || !slices.Equal(f.FixedIn, []string{"13.0.1"}) ||
					!strings.Contains(f.Evidence, "pkg:nuget/Newtonsoft.Json@9.0.1 in ecosystem range [0, 13.0.1)") {
					t.Errorf("%+v", f)
				}
			}
		}
		// The running-on record: wolfSSL matches, but the SBOM names no
		// Windows or macOS, so it is a note, not a finding.
		found := false
		for _, n := range res.Notes {
			if n.Vulnerability == "CVE-2099-22377" && n.Component == wolfRef && strings.Contains(n.Message, "needs cpe:2.3:o:apple:macos:-:*:*:*:*:*:*:* or cpe:2.3:o:microsoft:windows:-:*:*:*:*:*:*:*") {
				found = true
			}
		}
		if !found {
			t.Errorf("no running-on note for CVE-2099-22377: %v", res.Notes)
		}
		// With the platform known, it is a finding.
		withWin := device
		withWin.Platforms = []string{"cpe:2.3:o:microsoft:windows:10:*:*:*:*:*:*:*"}
		n := 0
		for _, f := range m.MatchSBOM(withWin, doc) {
			if f.Vulnerability == "CVE-2099-22377" {
				n++
				if !strings.Contains(f.Evidence, "running on cpe:2.3:o:microsoft:windows:-") {
					t.Errorf("evidence %q", f.Evidence)
				}
			}
		}
		if n != 1 {
			t.Errorf("%d findings for CVE-2099-22377 on Windows, want 1", n)
		}
	})
}

// TestRunningOnCVE202222377 uses the real NVD record: IBM Security Verify
// Privilege On-Premises before 11.5 AND running on macOS or Windows.
func TestRunningOnCVE202222377(t *testing.T) {
	data := datasets(t)
	var rec *advisory.Advisory
	for _, a := range readAdvisories(t, advisory.ReadNVD, filepath.Join(data, "nvd-cve-json-2.0")) {
		if a.ID == "CVE-2022-22377" {
			rec = a
		}
	}
	if rec == nil || len(rec.Configurations) != 1 || rec.Configurations[0].Operator != "AND" {
		t.Fatalf("CVE-2022-22377 not found or not an AND configuration: %+v", rec)
	}
	ibm := sbom.Component{Ref: "vp", Name: "Verify Privilege", Version: "11.4", CPEs: []string{"cpe:2.3:a:ibm:security_verify_privilege_on-premises:11.4:*:*:*:*:*:*:*"}}
	ibmFixed := ibm
	ibmFixed.Version, ibmFixed.CPEs = "11.5", []string{"cpe:2.3:a:ibm:security_verify_privilege_on-premises:11.5:*:*:*:*:*:*:*"}
	linux := sbom.Component{Ref: "os", Name: "Linux", CPEs: []string{"cpe:2.3:o:linux:linux_kernel:5.10:*:*:*:*:*:*:*"}}
	windows := sbom.Component{Ref: "os", Name: "Windows", CPEs: []string{"cpe:2.3:o:microsoft:windows:-:*:*:*:*:*:*:*"}}
	macos := sbom.Component{Ref: "os", Name: "macOS", CPEs: []string{"cpe:2.3:o:apple:macos:13.4:*:*:*:*:*:*:*"}}
	tests := []struct {
		name  string
		comps []sbom.Component
		want  bool
	}{
		{"application alone: not reported (the scanners' false positive)", []sbom.Component{ibm}, false},
		{"application on Linux: not reported", []sbom.Component{ibm, linux}, false},
		{"application on Windows", []sbom.Component{ibm, windows}, true},
		{"application on macOS", []sbom.Component{ibm, macos}, true},
		{"fixed application on Windows", []sbom.Component{ibmFixed, windows}, false},
		{"Windows alone", []sbom.Component{windows}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := NewMatcher(Options{})
			m.AddAdvisory(rec)
			fs := m.MatchSBOM(Product{}, doc(tt.comps...))
			if got := len(fs) == 1 && fs[0].Component.Ref == "vp"; got != tt.want || len(fs) > 1 {
				t.Errorf("findings %+v, want a finding for the application: %v", fs, tt.want)
			}
		})
	}
}

// readICSMA reads every CISA ICSMA CSAF advisory of the datasets.
func readICSMA(t testing.TB) []*csaf.Advisory {
	t.Helper()
	data := datasets(t)
	var advs []*csaf.Advisory
	_, err := csaf.ReadCSAF(filepath.Join(data, "cisa-csaf-icsma"), func(a *csaf.Advisory) error {
		advs = append(advs, a)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(advs) < 100 {
		t.Fatalf("read %d ICSMA advisories", len(advs))
	}
	return advs
}

// bump changes the last (or, down, the last non-zero) digit run of v by
// one; ok is false when there is none to change.
func bump(v string, up bool) (string, bool) {
	end := -1
	for i := len(v) - 1; i >= 0; i-- {
		if isDigit(v[i]) && (up || v[i] != '0' || (i > 0 && isDigit(v[i-1]))) {
			if !up {
				// the digit run must be > 0 as a number
				j := i
				for j >= 0 && isDigit(v[j]) {
					j--
				}
				if strings.Trim(v[j+1:i+1], "0") == "" {
					i = j
					continue
				}
			}
			end = i
			break
		}
	}
	if end < 0 {
		return "", false
	}
	start := end
	for start > 0 && isDigit(v[start-1]) {
		start--
	}
	n, err := strconv.ParseUint(v[start:end+1], 10, 64)
	if err != nil {
		return "", false
	}
	if up {
		n++
	} else {
		n--
	}
	s := strconv.FormatUint(n, 10)
	if w := end + 1 - start; len(s) < w {
		s = strings.Repeat("0", w-len(s)) + s // keep zero padding: 012U000040 → 012U000039
	}
	return v[:start] + s + v[end+1:], true
}

// TestICSMA matches every known_affected product of every ICSMA advisory
// with a device built from its own product tree: a version inside its
// version (range) must match, one just outside must not.
func TestICSMA(t *testing.T) {
	advs := readICSMA(t)
	m := NewMatcher(Options{})
	strict := NewMatcher(Options{StrictCSAFVersions: true})
	for _, a := range advs {
		m.AddCSAF(a)
		strict.AddCSAF(a)
	}
	cites := func(fs []Finding, a *csaf.Advisory, pid, vuln string) *Finding {
		for i, f := range fs {
			if f.Vulnerability == vuln && strings.Contains(f.Evidence, "CSAF product "+pid+" ") && strings.Contains(f.Evidence, " of "+a.ID+" ") {
				return &fs[i]
			}
		}
		return nil
	}
	var products, inside, outside, unverified, exact, unsampled int
	for _, a := range advs {
		for _, v := range a.Vulnerabilities {
			vuln := cmp.Or(v.CVE, a.ID)
			if v.CVE == "" && len(v.IDs) > 0 {
				vuln = v.IDs[0]
			}
			for _, pid := range v.Products[csaf.KnownAffected] {
				p, ok := a.Products[pid]
				if !ok {
					continue
				}
				products++
				dev := Product{Vendor: p.Vendor, Model: cmp.Or(p.ProductName, p.Name)}
				var in, out string
				switch {
				case p.Version != "":
					exact++
					in = p.Version
					if r, err := ParseVersionRange(p.Version); err == nil && len(r.Alternatives) == 1 && len(r.Alternatives[0]) == 1 && r.Alternatives[0][0].Op == "=" {
						out, _ = bump(p.Version, true)
					}
				case p.VersionRange != "":
					r, err := ParseVersionRange(p.VersionRange)
					if err != nil {
						unverified++
						dev.Version = "unknown"
						f := cites(m.MatchProduct(dev), a, pid, vuln)
						if f == nil || f.Method != MethodCSAFProductUnverified {
							t.Errorf("%s %s %q range %q: want an unverified finding, got %+v", a.ID, pid, p.Name, p.VersionRange, f)
						}
						if cites(strict.MatchProduct(dev), a, pid, vuln) != nil {
							t.Errorf("%s %s: strict matcher reported an unreadable range", a.ID, pid)
						}
						continue
					}
					if r.All {
						in = "1.0"
						break
					}
					in, out = sampleVersions(r.Alternatives[0])
				default:
					in = "1.0"
				}
				if in == "" {
					unsampled++
				} else {
					dev.Version = in
					f := cites(m.MatchProduct(dev), a, pid, vuln)
					if f == nil {
						t.Errorf("%s %s %q (version %q, range %q): device version %q not matched", a.ID, pid, p.Name, p.Version, p.VersionRange, in)
					} else if f.Method != MethodCSAFProduct || f.Source != SourceCSAF {
						t.Errorf("%s %s: %+v", a.ID, pid, f)
					} else {
						inside++
					}
				}
				if out != "" {
					dev.Version = out
					if f := cites(m.MatchProduct(dev), a, pid, vuln); f != nil {
						t.Errorf("%s %s %q (version %q, range %q): version %q just outside matched: %s", a.ID, pid, p.Name, p.Version, p.VersionRange, out, f.Evidence)
					} else {
						outside++
					}
				}
			}
		}
	}
	t.Logf("%d known_affected products × vulnerabilities: %d matched inside (%d by product_version), %d rejected just outside, %d free-text ranges reported as unverified, %d not sampled",
		products, inside, exact, outside, unverified, unsampled)
	if products < 1400 || inside+unverified+unsampled != products || unsampled > 10 || outside < 500 {
		t.Errorf("not every product checked: %d products, %d inside, %d unverified, %d not sampled, %d outside", products, inside, unverified, unsampled, outside)
	}
}

// sampleVersions picks a version inside and one just outside an interval
// from its bounds alone: "<= X" → X and X+1; "< X" → X-1 and X; ">= X" →
// X and X-1; "6.x" → 6.1 and 7.
func sampleVersions(alt []Constraint) (in, out string) {
	var lo, hi *Constraint
	for i := range alt {
		switch alt[i].Op {
		case "<", "<=":
			hi = &alt[i]
		case ">", ">=":
			lo = &alt[i]
		case "=":
			u, _ := bump(alt[i].Version, true)
			return alt[i].Version, u
		case "=x":
			u, _ := bump(alt[i].Version, true)
			return alt[i].Version + ".1", u
		}
	}
	if hi != nil {
		if hi.Op == "<=" {
			in = hi.Version
			out, _ = bump(hi.Version, true)
		} else {
			in, _ = bump(hi.Version, false)
			out = hi.Version
		}
		if lo != nil && in != "" && compareGeneric(in, lo.Version) < 0 {
			in = "" // the interval is too narrow to sample this way
		}
		return in, out
	}
	if lo != nil {
		if lo.Op == ">=" {
			in = lo.Version
			out, _ = bump(lo.Version, false)
		} else {
			in, _ = bump(lo.Version, true)
			out = lo.Version
		}
	}
	return in, out
}

// TestICSMAInventory matches a synthetic inventory of devices named like
// the advisories' products (other spellings of the vendor, longer model
// names) and devices that must not match.
func TestICSMAInventory(t *testing.T) {
	m := NewMatcher(Options{})
	for _, a := range readICSMA(t) {
		m.AddCSAF(a)
	}
	tests := []struct {
		device  Product
		want    []string // vulnerabilities that must be found
		notWant []string // vulnerabilities that must not
		evi     string
	}{
		{device: Product{Vendor: "St. Jude Medical, Inc.", Model: "RF models EX1150", Version: "8.2.1"}, want: []string{"CVE-2017-5149"}},
		{device: Product{Vendor: "ST JUDE MEDICAL", Model: "rf models ex1150", Version: "8.2.2"}, notWant: []string{"CVE-2017-5149"}},
		{device: Product{Vendor: "Medtronic plc", Model: "CareLink 2090 Programmer", Version: "24.3"}, want: []string{"CVE-2018-18984"}, evi: "all versions"},
		{device: Product{Vendor: "Medtronic", Model: "CareLink", Version: "1.0"}, notWant: []string{"CVE-2018-18984"}},
		{device: Product{Vendor: "Innokas", Model: "VC150", Version: "1.7.14"}, want: []string{"CVE-2020-27260", "CVE-2020-27262"}},
		{device: Product{Vendor: "Innokas", Model: "VC150", Version: "1.7.15"}, notWant: []string{"CVE-2020-27260", "CVE-2020-27262"}},
		{device: Product{Vendor: "Philips Healthcare", Model: "IntelliBridge EC 40 Hub", Version: "C.00.04"}, want: []string{"CVE-2021-32993", "CVE-2021-33017"}},
		{device: Product{Vendor: "Philips", Model: "IntelliBridge EC 40 Hub", Version: "C.00.05"}, notWant: []string{"CVE-2021-32993", "CVE-2021-33017"}},
		{device: Product{Vendor: "Baxter", Model: "Sigma Spectrum LVP", Version: "6.02"}, want: []string{"CVE-2020-12040"}, evi: "not checked"},
		{device: Product{Vendor: "Medtronic", Model: "MiniMed 630G", Version: "MMT-1754"}, want: []string{"CVE-2022-32537"}},
		{device: Product{Vendor: "Medtronic", Model: "MiniMed 630G", Version: "MMT-1799"}, notWant: []string{"CVE-2022-32537"}},
		{device: Product{Vendor: "Wind River", Model: "VxWorks", Version: "6.5"}, want: []string{"CVE-2019-12256"}},
		{device: Product{Vendor: "Acme Medical", Model: "RF models EX1150", Version: "8.2.1"}, notWant: []string{"CVE-2017-5149"}},
	}
	for _, tt := range tests {
		t.Run(tt.device.Vendor+" "+tt.device.Model+" "+tt.device.Version, func(t *testing.T) {
			fs := m.MatchProduct(tt.device)
			got := map[string]*Finding{}
			for i := range fs {
				got[fs[i].Vulnerability] = &fs[i]
			}
			for _, v := range tt.want {
				f := got[v]
				if f == nil {
					t.Errorf("%s not found; findings: %v", v, keys(got))
					continue
				}
				if !strings.Contains(f.Evidence, tt.evi) {
					t.Errorf("%s evidence %q lacks %q", v, f.Evidence, tt.evi)
				}
			}
			for _, v := range tt.notWant {
				if f := got[v]; f != nil {
					t.Errorf("%s found: %s", v, f.Evidence)
				}
			}
		})
	}
}

func keys(m map[string]*Finding) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestOpenVEXDataset applies the Chainguard OpenVEX statements of the
// datasets to findings for the packages they name and checks they suppress
// exactly the package versions they state, by CGA ID or by alias.
func TestOpenVEXDataset(t *testing.T) {
	data := datasets(t)
	var stmts []csaf.Statement
	if _, err := csaf.ReadVEX(filepath.Join(data, "openvex"), func(s csaf.Statement) error {
		stmts = append(stmts, s)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(stmts) != 3 {
		t.Fatalf("%d statements, want 3", len(stmts))
	}
	m := NewMatcher(Options{})
	for _, s := range stmts {
		m.AddVEX(s)
	}
	// OSV records as GitHub publishes them for these vulnerabilities (the
	// upstream ranges; the -cgr builds are Chainguard's patched rebuilds).
	m.AddAdvisory(osvRecord("GHSA-6hrg-qmvc-2xh8", "CVE-2022-21797", "PyPI", "joblib", "1.2.0"))
	m.AddAdvisory(osvRecord("GHSA-g4mx-q9vg-27p4", "CVE-2023-45803", "PyPI", "urllib3", "1.26.18"))
	m.AddAdvisory(osvRecord("GHSA-mf92-479x-3373", "CVE-2026-22732", "Maven", "org.springframework.security:spring-security-web", "5.8.17"))
	d := doc(
		sbom.Component{Ref: "joblib-cgr", PURL: "pkg:pypi/joblib@1.0.0%2Bcgr.1"},
		sbom.Component{Ref: "joblib", PURL: "pkg:pypi/joblib@1.0.0"},
		sbom.Component{Ref: "urllib3-cgr0", PURL: "pkg:pypi/urllib3@1.26.16%2Bcgr.0"},
		sbom.Component{Ref: "urllib3-cgr1", PURL: "pkg:pypi/urllib3@1.26.16%2Bcgr.1"},
		sbom.Component{Ref: "urllib3-cgr2", PURL: "pkg:pypi/urllib3@1.26.16%2Bcgr.2"},
		sbom.Component{Ref: "urllib3", PURL: "pkg:pypi/urllib3@1.26.16"},
		sbom.Component{Ref: "spring-cgr", PURL: "pkg:maven/org.springframework.security/spring-security-web@5.8.16-0.cgr.1"},
		sbom.Component{Ref: "spring", PURL: "pkg:maven/org.springframework.security/spring-security-web@5.8.16"},
	)
	fs := m.MatchSBOM(Product{}, d)
	wantSuppressed := map[string]string{"joblib-cgr": "CGA-48gh-376r-gw73", "urllib3-cgr0": "CGA-7qjw-ggh3-pp9f",
		"urllib3-cgr1": "CGA-7qjw-ggh3-pp9f", "spring-cgr": "CGA-3mj7-wxw9-qjx2"}
	if len(fs) != 8 {
		t.Fatalf("%d findings, want one per component: %+v", len(fs), fs)
	}
	for _, f := range fs {
		cga, want := wantSuppressed[f.Component.Ref]
		if f.Suppressed != want {
			t.Errorf("%s %s: suppressed %v, want %v (%+v)", f.Component.Ref, f.Vulnerability, f.Suppressed, want, f.VEX)
		}
		if want && (f.VEX.Status != csaf.StatusFixed || f.VEX.Format != csaf.FormatOpenVEX || f.VEX.Scope != "purl+version" || !strings.HasPrefix(f.VEX.Source, "https://openvex.dev/docs/public/vex-")) {
			t.Errorf("%s: VEX %+v (statement %s)", f.Component.Ref, f.VEX, cga)
		}
		if !want && f.VEX != nil {
			t.Errorf("%s: VEX %+v applied to a version the statement does not name", f.Component.Ref, f.VEX)
		}
	}
}

func osvRecord(id, cve, eco, name, fixed string) *advisory.Advisory {
	return &advisory.Advisory{ID: id, Aliases: []string{cve}, Source: advisory.SourceOSV,
		Affected: []advisory.Affected{{Ecosystem: eco, Name: name, Ranges: []advisory.Range{rng("ECOSYSTEM", "i=0", "f="+fixed)}}}}
}
