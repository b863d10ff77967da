package advisory

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// rejections returns the rejected entries of err as "path: pointer: msg"
// strings with dir trimmed from paths, and fails on any other error.
func rejections(t *testing.T, dir string, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var rej *Rejected
	if !errors.As(err, &rej) {
		t.Fatalf("not a *Rejected: %v", err)
	}
	if !errors.Is(err, ErrMalformed) {
		t.Errorf("errors.Is(err, ErrMalformed) = false for %v", err)
	}
	var out []string
	for _, e := range rej.Errors {
		e2 := *e
		e2.Path = strings.TrimPrefix(filepath.ToSlash(e.Path), filepath.ToSlash(dir)+"/")
		out = append(out, e2.Error())
	}
	return out
}

// wantRejections checks got against want, each want entry a prefix of the
// matching got entry (the message tail is free).
func wantRejections(t *testing.T, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("rejections:\n got %q\nwant %q", got, want)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("rejection %d:\n got %q\nwant prefix %q", i, got[i], want[i])
		}
	}
}

func readAllOSV(t *testing.T, path string) ([]*Advisory, error) {
	t.Helper()
	var got []*Advisory
	err := ReadOSV(path, func(a *Advisory) error { got = append(got, a); return nil })
	return got, err
}

func readAllNVD(t *testing.T, path string) ([]*Advisory, error) {
	t.Helper()
	var got []*Advisory
	err := ReadNVD(path, func(a *Advisory) error { got = append(got, a); return nil })
	return got, err
}

func ids(advs []*Advisory) []string {
	var out []string
	for _, a := range advs {
		out = append(out, a.ID)
	}
	return out
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestReadOSVRecord(t *testing.T) {
	got, err := readAllOSV(t, "testdata/osv/GHSA-vigil-0001.json")
	if err != nil {
		t.Fatal(err)
	}
	want := []*Advisory{{
		ID:        "GHSA-vigi-l000-0001",
		Aliases:   []string{"CVE-2024-0001", "PYSEC-2024-7"},
		Related:   []string{"CVE-2023-9999"},
		Source:    SourceOSV,
		Summary:   "Heap overflow in the infusion pump protocol parser",
		Details:   "A crafted frame overflows a buffer.",
		Published: mustTime("2024-05-01T09:30:00.5Z"),
		Modified:  mustTime("2024-06-01T10:00:00Z"),
		Severity: []Score{
			{Type: "CVSS_V3", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"},
			{Type: "CVSS_V4", Vector: "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"},
		},
		CWEs:       []string{"CWE-122", "CWE-787"},
		References: []string{"https://example.org/advisory/1", "https://example.org/fix/1"},
		Affected: []Affected{
			{
				Ecosystem: "PyPI", Name: "pumpproto", PURL: "pkg:pypi/pumpproto",
				Ranges: []Range{{Type: "ECOSYSTEM", Events: []Event{
					{Introduced: "0"}, {Fixed: "1.4.2"}, {Introduced: "2.0"}, {LastAffected: "2.1.7"},
				}}},
				Versions: []string{"1.4.0", "1.4.1", "2.0", "2.1.7"},
			},
			{
				Ecosystem: "Go", Name: "example.org/pumpproto",
				Ranges: []Range{
					{Type: "SEMVER", Events: []Event{{Introduced: "1.0.0"}, {Fixed: "1.4.2"}}},
					{Type: "GIT", Repo: "https://example.org/pumpproto.git", Events: []Event{{Introduced: "0"}, {Limit: "abc123"}}},
				},
				Severity: []Score{{Type: "CVSS_V3", Vector: "CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}},
			},
		},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got[0], want[0])
	}
}

func TestReadOSVFolderArrayAndWithdrawn(t *testing.T) {
	got, err := readAllOSV(t, "testdata/osv")
	if err != nil {
		t.Fatal(err)
	}
	if g, w := ids(got), []string{"GHSA-vigi-l000-0001", "GO-2099-0001", "ALSA-2099:0002"}; !slices.Equal(g, w) {
		t.Fatalf("ids %v, want %v", g, w)
	}
	if g, w := got[1].Withdrawn, mustTime("2099-01-03T00:00:00Z"); !g.Equal(w) {
		t.Errorf("withdrawn %v, want %v", g, w)
	}
	if !got[2].Withdrawn.IsZero() || len(got[2].Aliases) != 0 {
		t.Errorf("ALSA: withdrawn %v aliases %v", got[2].Withdrawn, got[2].Aliases)
	}
	if g, w := got[2].Related, []string{"CVE-2099-0002", "CVE-2099-0003"}; !slices.Equal(g, w) {
		t.Errorf("related %v, want %v", g, w)
	}
}

func TestReadOSVRejectsAndContinues(t *testing.T) {
	dir := "testdata/osv-broken"
	got, err := readAllOSV(t, dir)
	if g, w := ids(got), []string{"GO-2099-1000", "GO-2099-1002", "GO-2099-1004", "GO-2099-1009"}; !slices.Equal(g, w) {
		t.Errorf("imported %v, want %v", g, w)
	}
	wantRejections(t, rejections(t, dir, err), []string{
		"b-summary-number.json: /summary: number where a string is expected",
		"c-two-keys-event.json: /1/affected/0/ranges/0/events/1: an event needs exactly one",
		"d-truncated.json: /affected/0/package/ecosystem: unexpected end of JSON input",
		`e-bad-range-type.json: /affected/0/ranges/1/type: unknown range type "RPM"`,
		"f-no-id.json: /id: missing record id",
		`g-bad-time.json: /modified: bad timestamp "yesterday"`,
		"h-aliases-not-array.json: /aliases: string where an array is expected",
	})
}

func TestReadOSVZip(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	// Written out of order: the reader sorts entries by name.
	for _, name := range []string{"osv/withdrawn-array.json", "osv-broken/b-summary-number.json", "osv/GHSA-vigil-0001.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		w, _ := zw.Create(filepath.Base(name))
		w.Write(data)
	}
	w, _ := zw.Create("README.md")
	w.Write([]byte("not read"))
	zw.Close()
	path := filepath.Join(t.TempDir(), "all.zip")
	os.WriteFile(path, buf.Bytes(), 0o644)

	got, err := readAllOSV(t, path)
	if g, w := ids(got), []string{"GHSA-vigi-l000-0001", "GO-2099-0001", "ALSA-2099:0002"}; !slices.Equal(g, w) {
		t.Errorf("ids %v, want %v", g, w)
	}
	wantRejections(t, rejections(t, filepath.Dir(path), err), []string{"all.zip!b-summary-number.json: /summary: "})

	// A damaged archive is rejected as a whole; the folder's other files still read.
	os.WriteFile(path, buf.Bytes()[:buf.Len()/2], 0o644)
	os.WriteFile(filepath.Join(filepath.Dir(path), "z.json"), []byte(`{"id":"GO-2099-9","modified":"2099-01-01T00:00:00Z"}`), 0o644)
	got, err = readAllOSV(t, filepath.Dir(path))
	if g, w := ids(got), []string{"GO-2099-9"}; !slices.Equal(g, w) {
		t.Errorf("ids %v, want %v", g, w)
	}
	wantRejections(t, rejections(t, filepath.Dir(path), err), []string{"all.zip: zip: not a valid zip file"})
}

func TestReadOSVGzipAndDeterminism(t *testing.T) {
	data, _ := os.ReadFile("testdata/osv/GHSA-vigil-0001.json")
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(data)
	zw.Close()
	path := filepath.Join(t.TempDir(), "GHSA-vigil-0001.json.gz")
	os.WriteFile(path, buf.Bytes(), 0o644)
	gz, err := readAllOSV(t, path)
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := readAllOSV(t, "testdata/osv/GHSA-vigil-0001.json")
	if !reflect.DeepEqual(gz, plain) {
		t.Error("gzip and plain differ")
	}
	again, _ := readAllOSV(t, "testdata/osv/GHSA-vigil-0001.json")
	if !reflect.DeepEqual(again, plain) {
		t.Error("two reads differ")
	}
}

func TestReadOSVCallbackErrorStops(t *testing.T) {
	stop := errors.New("stop")
	n := 0
	err := ReadOSV("testdata/osv-broken", func(*Advisory) error { n++; return stop })
	if n != 1 || !errors.Is(err, stop) {
		t.Errorf("n=%d err=%v: want one call and the callback's error", n, err)
	}
	var rej *Rejected
	if errors.As(err, &rej) {
		t.Errorf("rejections before the stop should not be there (first good file comes first): %v", rej)
	}
	if err := ReadOSV("testdata/no-such-dir", func(*Advisory) error { return nil }); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing path: %v", err)
	}
}

func TestReadNVDPage(t *testing.T) {
	got, err := readAllNVD(t, "testdata/nvd/page.json")
	wantRejections(t, rejections(t, "testdata/nvd", err), []string{
		"page.json: /vulnerabilities/1/cve/metrics/cvssMetricV31/0/cvssData/baseScore: string where a number is expected",
	})
	if g, w := ids(got), []string{"CVE-2099-0101", "CVE-2099-0103"}; !slices.Equal(g, w) {
		t.Fatalf("ids %v, want %v", g, w)
	}
	want := &Advisory{
		ID:        "CVE-2099-0101",
		Source:    SourceNVD,
		Status:    "Analyzed",
		Details:   "An out-of-bounds write in the patient monitor firmware allows remote code execution.",
		Published: mustTime("2099-01-10T12:15:10.123Z"),
		Modified:  mustTime("2099-02-01T08:00:00Z"),
		Severity: []Score{
			{Type: "CVSS_V4", Vector: "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", BaseScore: 9.3, Source: "ics-cert@hq.dhs.gov"},
			{Type: "CVSS_V3", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", BaseScore: 9.8, Source: "nvd@nist.gov", Primary: true},
		},
		CWEs:       []string{"CWE-787", "CWE-120"},
		References: []string{"https://www.cisa.gov/news-events/ics-medical-advisories/icsma-99-010-01"},
		Configurations: []Config{
			{Operator: "AND", Nodes: []Node{
				{Operator: "OR", Matches: []CPEMatch{
					{Criteria: "cpe:2.3:o:contec:cms8000_firmware:*:*:*:*:*:*:*:*", Vulnerable: true, VersionStartIncluding: "2.0.0", VersionEndExcluding: "2.0.8", MatchCriteriaID: "11111111-1111-1111-1111-111111111111"},
					{Criteria: "cpe:2.3:o:contec:cms8000_firmware:3.0:*:*:*:*:*:*:*", Vulnerable: true, MatchCriteriaID: "22222222-2222-2222-2222-222222222222"},
				}},
				// The running-on platform: kept, not vulnerable.
				{Operator: "OR", Matches: []CPEMatch{
					{Criteria: "cpe:2.3:h:contec:cms8000:-:*:*:*:*:*:*:*", Vulnerable: false, MatchCriteriaID: "33333333-3333-3333-3333-333333333333"},
				}},
			}},
			{Operator: "", Nodes: []Node{
				{Operator: "OR", Matches: []CPEMatch{
					{Criteria: `cpe:2.3:a:contec:central\:station:*:*:*:*:*:*:*:*`, Vulnerable: true, VersionEndIncluding: "1.9", MatchCriteriaID: "44444444-4444-4444-4444-444444444444"},
				}},
			}},
		},
	}
	if !reflect.DeepEqual(got[0], want) {
		t.Errorf("got  %+v\nwant %+v", got[0], want)
	}
	rejected := got[1]
	if g, w := rejected.Withdrawn, mustTime("2099-03-01T00:00:00Z"); !g.Equal(w) || rejected.Status != "Rejected" {
		t.Errorf("rejected CVE: withdrawn %v status %q", g, rejected.Status)
	}
	wantSev := []Score{
		{Type: "CVSS_V3", Vector: "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", BaseScore: 9.8, Source: "nvd@nist.gov", Primary: true},
		{Type: "CVSS_V2", Vector: "AV:N/AC:L/Au:N/C:P/I:P/A:P", BaseScore: 7.5, Source: "nvd@nist.gov", Primary: true},
	}
	if !reflect.DeepEqual(rejected.Severity, wantSev) {
		t.Errorf("v3.0/v2 severity %+v, want %+v", rejected.Severity, wantSev)
	}
	if !slices.Equal(rejected.CWEs, []string{"NVD-CWE-noinfo"}) {
		t.Errorf("cwes %v", rejected.CWEs)
	}
}

func TestReadNVDSingleRecordAndFolder(t *testing.T) {
	got, err := readAllNVD(t, "testdata/nvd/CVE-2099-0200.json")
	if err != nil {
		t.Fatal(err)
	}
	want := []Score{{Type: "CVSS_V4", Vector: "CVSS:4.0/AV:A/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", BaseScore: 8.7, Source: "ics-cert@hq.dhs.gov"}}
	if len(got) != 1 || got[0].ID != "CVE-2099-0200" || !reflect.DeepEqual(got[0].Severity, want) || got[0].Status != "Received" {
		t.Fatalf("got %+v", got)
	}
	all, _ := readAllNVD(t, "testdata/nvd")
	if g, w := ids(all), []string{"CVE-2099-0200", "CVE-2099-0101", "CVE-2099-0103"}; !slices.Equal(g, w) {
		t.Errorf("folder ids %v, want %v", g, w)
	}
}

func TestReadNVDRejectsAndContinues(t *testing.T) {
	dir := "testdata/nvd-broken"
	got, err := readAllNVD(t, dir)
	if g, w := ids(got), []string{"CVE-2099-0301", "CVE-2099-0306", "CVE-2099-0401", "CVE-2099-0501"}; !slices.Equal(g, w) {
		t.Errorf("imported %v, want %v", g, w)
	}
	wantRejections(t, rejections(t, dir, err), []string{
		`a-page.json: /vulnerabilities/1/cve/configurations/0/nodes/0/cpeMatch/0/criteria: "cpe:2.3:o:acme:pump" has 3 components`,
		`a-page.json: /vulnerabilities/2/cve/configurations/0/nodes/0/operator: operator "XOR" is not AND or OR`,
		"a-page.json: /vulnerabilities/3/cve: missing cve object",
		`a-page.json: /vulnerabilities/4/cve/metrics/cvssMetricV31/0/cvssData/vectorString: vector "AV:N/AC:L" does not start with "CVSS:3.1/"`,
		`a-page.json: /vulnerabilities/5/cve/published: bad timestamp "2099-13-01T00:00:00.000"`,
		"b-truncated.json: /vulnerabilities/1: invalid character",
		"c-nvd11.json: /CVE_Items: an NVD 1.1 data feed",
		"d-not-nvd.json: neither a CVE API 2.0 response",
	})
}

func TestReadKEV(t *testing.T) {
	first := KEV{
		CVE:             "CVE-2099-0101",
		VendorProject:   "Contec",
		Product:         "CMS8000",
		Name:            "Contec CMS8000 Out-of-Bounds Write Vulnerability",
		Description:     "Contec CMS8000 contains an out-of-bounds write.",
		DateAdded:       mustTime("2099-01-14T00:00:00Z"),
		DueDate:         mustTime("2099-02-04T00:00:00Z"),
		KnownRansomware: true,
		RequiredAction:  "Apply mitigations per vendor instructions or discontinue use of the product if mitigations are unavailable.",
		Notes:           "https://www.cisa.gov/news-events/ics-medical-advisories/icsma-99-010-01",
		CWEs:            []string{"CWE-787", "CWE-120"},
	}
	for _, tc := range []struct {
		file     string
		rejected []string
	}{
		{"kev.json", []string{`kev.json: /vulnerabilities/1/dateAdded: bad date "2099-01-32"`}},
		{"kev.csv", []string{
			`kev.csv:3: knownRansomwareCampaignUse: "Maybe" is not Known or Unknown`,
			`kev.csv:4: cveID: bad CVE id "NOT-A-CVE"`,
			"kev.csv:5: 5 fields, want 11",
		}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			var got []KEV
			err := ReadKEV(filepath.Join("testdata/kev", tc.file), func(k KEV) error { got = append(got, k); return nil })
			wantRejections(t, rejections(t, "testdata/kev", err), tc.rejected)
			if len(got) != 2 {
				t.Fatalf("read %d entries, want 2", len(got))
			}
			if !reflect.DeepEqual(got[0], first) {
				t.Errorf("got  %+v\nwant %+v", got[0], first)
			}
			if got[1].CVE != "CVE-2099-0103" || got[1].KnownRansomware || !slices.Equal(got[1].CWEs, []string{"CWE-798"}) {
				t.Errorf("second entry %+v", got[1])
			}
		})
	}
}

func TestReadEPSS(t *testing.T) {
	var got []EPSS
	meta, err := ReadEPSS("testdata/epss/epss.csv", func(e EPSS) error { got = append(got, e); return nil })
	wantRejections(t, rejections(t, "testdata/epss", err), []string{
		`epss.csv:4: epss: "not-a-number" is not a number in 0–1`,
		`epss.csv:6: epss: "1.5" is not a number in 0–1`,
	})
	if w := (EPSSMeta{ModelVersion: "v2025.03.14", ScoreDate: mustTime("2099-01-15T00:00:00Z")}); meta != w {
		t.Errorf("meta %+v, want %+v", meta, w)
	}
	want := []EPSS{{"CVE-2099-0101", 0.9421, 0.9995}, {"CVE-2099-0103", 0.00043, 0.09291}, {"CVE-2099-0105", 0.01328, 0.85996}}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}

	// gzip, detected by content.
	data, _ := os.ReadFile("testdata/epss/epss.csv")
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(data)
	zw.Close()
	path := filepath.Join(t.TempDir(), "epss_scores-2099-01-15.csv.gz")
	os.WriteFile(path, buf.Bytes(), 0o644)
	var gz []EPSS
	gzMeta, _ := ReadEPSS(path, func(e EPSS) error { gz = append(gz, e); return nil })
	if !slices.Equal(gz, got) || gzMeta != meta {
		t.Errorf("gzip read %v %v", gz, gzMeta)
	}
}

func TestReadEPSSHeaders(t *testing.T) {
	var got []EPSS
	meta, err := ReadEPSS("testdata/epss/no-comment-v1.csv", func(e EPSS) error { got = append(got, e); return nil })
	if err != nil || meta != (EPSSMeta{}) || !slices.Equal(got, []EPSS{{CVE: "CVE-2099-0101", Score: 0.5}}) {
		t.Errorf("v1 file: %v %v %v", got, meta, err)
	}
	got = nil
	_, err = ReadEPSS("testdata/epss/bad-header.csv", func(e EPSS) error { got = append(got, e); return nil })
	wantRejections(t, rejections(t, "testdata/epss", err), []string{`bad-header.csv:2: header "cve_id,score": want cve,epss[,percentile]`})
	if len(got) != 0 {
		t.Errorf("rows read under an unknown header: %v", got)
	}
}

func TestCheckCPE(t *testing.T) {
	for _, tc := range []struct {
		cpe string
		ok  bool
	}{
		{"cpe:2.3:a:vendor:product:1.0:*:*:*:*:*:*:*", true},
		{`cpe:2.3:a:vendor:pro\:duct:1.0:*:*:*:*:*:*:*`, true},
		{"cpe:2.3:x:vendor:product:1.0:*:*:*:*:*:*:*", false},
		{"cpe:/a:vendor:product:1.0", false},
		{"cpe:2.3:a:vendor:product:1.0:*:*:*:*:*:*", false},
		{"cpe:2.3:", false},
	} {
		if err := checkCPE(tc.cpe); (err == nil) != tc.ok {
			t.Errorf("checkCPE(%q) = %v, want ok=%v", tc.cpe, err, tc.ok)
		}
	}
}

func TestPointerAt(t *testing.T) {
	data := []byte(`{"a":[1,{"b~/":"x"}],"c":{"d":true}}`)
	for _, tc := range []struct {
		off  int64
		want string
	}{
		{6, "/a/0"},
		{17, "/a/1/b~0~1"},
		{34, "/c/d"},
		{36, ""},
		{1000, ""},
	} {
		if got := pointerAt(data, tc.off); got != tc.want {
			t.Errorf("pointerAt(%d) = %q, want %q", tc.off, got, tc.want)
		}
	}
}
