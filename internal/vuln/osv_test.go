package vuln

import (
	"slices"
	"strings"
	"testing"

	"github.com/package-url/packageurl-go"
	"github.com/vigil-iomt/vigil/internal/advisory"
	"github.com/vigil-iomt/vigil/internal/sbom"
)

func TestResolvePURL(t *testing.T) {
	tests := []struct {
		purl                        string
		eco, name, release, version string
		skip                        bool
	}{
		{purl: "pkg:pypi/Django@3.2.1", eco: "PyPI", name: "django", version: "3.2.1"}, // packageurl-go lower-cases pypi names,
		{purl: "pkg:npm/%40angular/core@12.0.0", eco: "npm", name: "@angular/core", version: "12.0.0"},
		{purl: "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", eco: "Maven", name: "org.apache.logging.log4j:log4j-core", version: "2.14.1"},
		{purl: "pkg:golang/golang.org/x/image@v0.9.0", eco: "Go", name: "golang.org/x/image", version: "v0.9.0"},
		{purl: "pkg:deb/debian/openssl@3.0.11-1~deb12u1?distro=debian-12", eco: "Debian", name: "openssl", release: "12", version: "3.0.11-1~deb12u1"},
		{purl: "pkg:deb/debian/openssl@1.1.1n-0+deb11u5?distro=bullseye", eco: "Debian", name: "openssl", release: "11", version: "1.1.1n-0+deb11u5"},
		{purl: "pkg:rpm/almalinux/python3-requests@2.20.0-2.el8?distro=almalinux-8.8", eco: "AlmaLinux", name: "python3-requests", release: "8", version: "2.20.0-2.el8"},
		{purl: "pkg:rpm/redhat/mariadb@10.3.28-1.module?epoch=3&distro=el8", eco: "Red Hat", name: "mariadb", release: "8", version: "3:10.3.28-1.module"},
		{purl: "pkg:apk/alpine/busybox@1.36.1-r2?distro=alpine-3.18.4", eco: "Alpine", name: "busybox", release: "v3.18", version: "1.36.1-r2"},
		{purl: "pkg:gem/rails@6.1.0", eco: "RubyGems", name: "rails", version: "6.1.0"},
		{purl: "pkg:nuget/Newtonsoft.Json@9.0.1", eco: "NuGet", name: "Newtonsoft.Json", version: "9.0.1"},
		{purl: "pkg:cargo/smallvec@1.6.0", eco: "crates.io", name: "smallvec", version: "1.6.0"},
		{purl: "pkg:composer/symfony/http-kernel@5.0.0", eco: "Packagist", name: "symfony/http-kernel", version: "5.0.0"},
		{purl: "pkg:bitnami/consul@1.9.5", eco: "Bitnami", name: "consul", version: "1.9.5"},
		{purl: "pkg:github/wolfssl/wolfssl", skip: true},
		{purl: "pkg:generic/fatfs@0.13c", skip: true},
		{purl: "pkg:rpm/fedora/curl@8.0", skip: true},
	}
	for _, tt := range tests {
		t.Run(tt.purl, func(t *testing.T) {
			p, err := packageurl.FromString(tt.purl)
			if err != nil {
				t.Fatal(err)
			}
			got, why := resolvePURL(p)
			if tt.skip {
				if why == "" {
					t.Errorf("resolvePURL(%s) = %+v, want no ecosystem", tt.purl, got)
				}
				return
			}
			want := purlPackage{ecosystem: tt.eco, name: tt.name, release: tt.release, version: tt.version}
			if got != want || why != "" {
				t.Errorf("resolvePURL(%s) = %+v %q, want %+v", tt.purl, got, why, want)
			}
		})
	}
}

func osvAdvisory(id, eco, name string, ranges []advisory.Range, versions ...string) *advisory.Advisory {
	return &advisory.Advisory{ID: id, Source: advisory.SourceOSV, Aliases: []string{"CVE-2099-" + id[len(id)-4:]},
		Affected: []advisory.Affected{{Ecosystem: eco, Name: name, Ranges: ranges, Versions: versions}}}
}

func rng(typ string, evs ...string) advisory.Range {
	r := advisory.Range{Type: typ}
	for _, e := range evs {
		k, v, _ := strings.Cut(e, "=")
		switch k {
		case "i":
			r.Events = append(r.Events, advisory.Event{Introduced: v})
		case "f":
			r.Events = append(r.Events, advisory.Event{Fixed: v})
		case "l":
			r.Events = append(r.Events, advisory.Event{LastAffected: v})
		case "x":
			r.Events = append(r.Events, advisory.Event{Limit: v})
		}
	}
	return r
}

func TestOSVRanges(t *testing.T) {
	consul := []advisory.Range{rng("SEMVER", "i=0", "f=1.8.15", "i=1.9.0", "f=1.9.9", "i=1.10.0", "f=1.10.2")}
	tests := []struct {
		name       string
		adv        *advisory.Advisory
		purl       string
		wantMethod string // "" = no finding
		wantEvi    string
		wantFixed  []string
	}{
		{"pypi ecosystem range", osvAdvisory("GHSA-0001", "PyPI", "django", []advisory.Range{rng("ECOSYSTEM", "i=3.0", "f=3.2.5")}),
			"pkg:pypi/Django@3.2.1", MethodPURLRange, "pkg:pypi/Django@3.2.1 in ecosystem range [3.0, 3.2.5) of GHSA-0001", []string{"3.2.5"}},
		{"pypi at the fix", osvAdvisory("GHSA-0002", "PyPI", "django", []advisory.Range{rng("ECOSYSTEM", "i=3.0", "f=3.2.5")}),
			"pkg:pypi/django@3.2.5", "", "", nil},
		{"pypi pre-release ordering (PEP 440)", osvAdvisory("GHSA-0003", "PyPI", "django", []advisory.Range{rng("ECOSYSTEM", "i=0", "f=4.0rc1")}),
			"pkg:pypi/django@4.0b1", MethodPURLRange, "[0, 4.0rc1)", []string{"4.0rc1"}},
		{"pypi name normalization", osvAdvisory("GHSA-0004", "PyPI", "zope.interface", []advisory.Range{rng("ECOSYSTEM", "i=0", "f=5.0")}),
			"pkg:pypi/Zope_Interface@4.7", MethodPURLRange, "", []string{"5.0"}},
		{"multiple ranges: second interval", osvAdvisory("BIT-0005", "Bitnami", "consul", consul), "pkg:bitnami/consul@1.9.5", MethodPURLRange, "[1.9.0, 1.9.9)", []string{"1.9.9"}},
		{"multiple ranges: between intervals", osvAdvisory("BIT-0006", "Bitnami", "consul", consul), "pkg:bitnami/consul@1.9.10", "", "", nil},
		{"multiple ranges: third interval", osvAdvisory("BIT-0007", "Bitnami", "consul", consul), "pkg:bitnami/consul@1.10.1", MethodPURLRange, "[1.10.0, 1.10.2)", []string{"1.10.2"}},
		{"last_affected includes", osvAdvisory("GHSA-0008", "npm", "lodash", []advisory.Range{rng("SEMVER", "i=1.0.0", "l=4.17.20")}),
			"pkg:npm/lodash@4.17.20", MethodPURLRange, "[1.0.0, 4.17.20]", nil},
		{"last_affected excludes above", osvAdvisory("GHSA-0009", "npm", "lodash", []advisory.Range{rng("SEMVER", "i=1.0.0", "l=4.17.20")}),
			"pkg:npm/lodash@4.17.21", "", "", nil},
		{"introduced only", osvAdvisory("GHSA-0010", "npm", "left-pad", []advisory.Range{rng("SEMVER", "i=1.0.0")}),
			"pkg:npm/left-pad@1.3.0", MethodPURLRange, "[1.0.0, ∞)", nil},
		{"below introduced", osvAdvisory("GHSA-0011", "npm", "left-pad", []advisory.Range{rng("SEMVER", "i=1.0.0")}),
			"pkg:npm/left-pad@0.9.0", "", "", nil},
		{"limit", osvAdvisory("GHSA-0012", "npm", "left-pad", []advisory.Range{rng("SEMVER", "i=0", "x=2.0.0")}),
			"pkg:npm/left-pad@2.1.0", "", "", nil},
		{"events out of order", osvAdvisory("GHSA-0013", "Go", "golang.org/x/image", []advisory.Range{rng("SEMVER", "f=0.10.0", "i=0")}),
			"pkg:golang/golang.org/x/image@v0.9.0", MethodPURLRange, "[0, 0.10.0)", []string{"0.10.0"}},
		{"maven ordering", osvAdvisory("GHSA-0014", "Maven", "org.apache.logging.log4j:log4j-core", []advisory.Range{rng("ECOSYSTEM", "i=2.0-beta9", "f=2.15.0")}),
			"pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", MethodPURLRange, "[2.0-beta9, 2.15.0)", []string{"2.15.0"}},
		{"debian ordering with distro", osvAdvisory("DSA-0015", "Debian:12", "openssl", []advisory.Range{rng("ECOSYSTEM", "i=0", "f=3.0.11-1~deb12u2")}),
			"pkg:deb/debian/openssl@3.0.11-1~deb12u1?distro=debian-12", MethodPURLRange, "[0, 3.0.11-1~deb12u2)", []string{"3.0.11-1~deb12u2"}},
		{"debian other release", osvAdvisory("DSA-0016", "Debian:11", "openssl", []advisory.Range{rng("ECOSYSTEM", "i=0", "f=1.1.1w-0+deb11u1")}),
			"pkg:deb/debian/openssl@1.1.1n-0+deb11u5?distro=debian-12", "", "", nil},
		{"debian without distro: every release", osvAdvisory("DSA-0017", "Debian:11", "openssl", []advisory.Range{rng("ECOSYSTEM", "i=0", "f=1.1.1w-0+deb11u1")}),
			"pkg:deb/debian/openssl@1.1.1n-0+deb11u5", MethodPURLRange, "every Debian release is considered", []string{"1.1.1w-0+deb11u1"}},
		{"rpm epoch", osvAdvisory("ALSA-0018", "AlmaLinux:8", "mariadb", []advisory.Range{rng("ECOSYSTEM", "i=0", "f=3:10.3.39-1.module_el8.8.0+3609+204d4ab0")}),
			"pkg:rpm/almalinux/mariadb@10.3.28-1.module_el8.3.0+2177+7adc332a?epoch=3&distro=almalinux-8", MethodPURLRange, "", []string{"3:10.3.39-1.module_el8.8.0+3609+204d4ab0"}},
		{"exact versions list", osvAdvisory("GHSA-0019", "NuGet", "Newtonsoft.Json", nil, "9.0.1", "10.0.1"),
			"pkg:nuget/newtonsoft.json@9.0.1", MethodPURLExact, "version 9.0.1 listed as affected", nil},
		{"GIT range ignored", osvAdvisory("OSV-0020", "PyPI", "pillow", []advisory.Range{{Type: "GIT", Repo: "https://github.com/python-pillow/Pillow", Events: []advisory.Event{{Introduced: "0"}, {Fixed: "abc123"}}}}),
			"pkg:pypi/pillow@8.0.0", "", "", nil},
		{"GIT range, version listed", osvAdvisory("OSV-0021", "PyPI", "pillow", []advisory.Range{{Type: "GIT", Events: []advisory.Event{{Introduced: "0"}, {Fixed: "abc123"}}}}, "8.0.0"),
			"pkg:pypi/pillow@8.0.0", MethodPURLExact, "", []string{"abc123"}},
		{"other package", osvAdvisory("GHSA-0022", "PyPI", "flask", []advisory.Range{rng("ECOSYSTEM", "i=0")}),
			"pkg:pypi/django@3.2.1", "", "", nil},
		{"other ecosystem, same name", osvAdvisory("GHSA-0023", "npm", "django", []advisory.Range{rng("SEMVER", "i=0")}),
			"pkg:pypi/django@3.2.1", "", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := NewMatcher(Options{})
			m.AddAdvisory(tt.adv)
			fs := m.MatchSBOM(Product{}, doc(sbom.Component{Ref: "c", PURL: tt.purl}))
			if tt.wantMethod == "" {
				if len(fs) != 0 {
					t.Fatalf("want no finding, got %+v", fs)
				}
				return
			}
			if len(fs) != 1 {
				t.Fatalf("got %d findings, want 1: %+v", len(fs), fs)
			}
			f := fs[0]
			if f.Method != tt.wantMethod || f.Source != SourceOSV || f.Vulnerability != tt.adv.ID || !slices.Equal(f.Aliases, tt.adv.Aliases) {
				t.Errorf("finding %+v: want method %s for %s", f, tt.wantMethod, tt.adv.ID)
			}
			if !strings.Contains(f.Evidence, tt.wantEvi) {
				t.Errorf("evidence %q lacks %q", f.Evidence, tt.wantEvi)
			}
			if !slices.Equal(f.FixedIn, tt.wantFixed) {
				t.Errorf("FixedIn = %q, want %q", f.FixedIn, tt.wantFixed)
			}
		})
	}
}

// Components with a purl type OSV does not cover are noted, not matched.
func TestOSVUnmappedPURL(t *testing.T) {
	m := NewMatcher(Options{})
	res := m.Match(Product{}, doc(sbom.Component{Ref: "w", PURL: "pkg:github/wolfssl/wolfssl"}, sbom.Component{Ref: "x", RawPURL: "not a purl"}))
	if len(res.Findings) != 0 {
		t.Fatalf("findings %+v", res.Findings)
	}
	var msgs []string
	for _, n := range res.Notes {
		msgs = append(msgs, n.Component+": "+n.Message)
	}
	want := []string{`w: purl type "github" has no OSV ecosystem: OSV not matched`, `x: purl "not a purl" does not parse: OSV not matched`}
	if !slices.Equal(msgs, want) {
		t.Errorf("notes %q, want %q", msgs, want)
	}
}

func TestPURLMatches(t *testing.T) {
	tests := []struct {
		pattern, candidate string
		want               bool
	}{
		{"pkg:pypi/urllib3", "pkg:pypi/urllib3@1.26.16", true},
		{"pkg:pypi/urllib3@1.26.16", "pkg:pypi/urllib3@1.26.16", true},
		{"pkg:pypi/urllib3@1.26.16", "pkg:pypi/urllib3@1.26.17", false},
		{"pkg:pypi/URLLib3@1.26.16", "pkg:pypi/urllib3@1.26.16", true},
		{"pkg:maven/org.a/b@1?type=jar", "pkg:maven/org.a/b@1", false},
		{"pkg:maven/org.a/b@1", "pkg:maven/org.a/b@1?type=jar", true},
		{"pkg:maven/org.a/b@1?type=jar", "pkg:maven/org.a/b@1?classifier=x&type=jar", true},
		{"pkg:maven/org.a/B@1", "pkg:maven/org.a/b@1", false}, // maven names are case-sensitive
		{"pkg:npm/a@1", "pkg:pypi/a@1", false},
	}
	for _, tt := range tests {
		t.Run(tt.pattern+" ~ "+tt.candidate, func(t *testing.T) {
			p, _ := packageurl.FromString(tt.pattern)
			c, _ := packageurl.FromString(tt.candidate)
			if got := purlMatches(p, c); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
