package advisory

import (
	"errors"
	"strings"
	"testing"
)

// TestBrokenStreams feeds each reader's stream function small documents and
// checks how many records get through and what is reported.
func TestBrokenStreams(t *testing.T) {
	const rec = `{"id":"GO-1","modified":"2024-01-01T00:00:00Z"}`
	const cve = `{"cve":{"id":"CVE-2099-0001","published":"2099-01-01T00:00:00.000","lastModified":"2099-01-01T00:00:00.000"}}`
	const kevRow = `{"cveID":"CVE-2099-0001","vendorProject":"A","product":"B","vulnerabilityName":"C","dateAdded":"2099-01-01","dueDate":"2099-01-22"}`
	for _, tc := range []struct {
		name, kind, in string
		read           int
		rejected       []string
	}{
		{"osv empty", "osv", "", 0, []string{"f: neither an OSV record nor an array"}},
		{"osv scalar", "osv", ` "x"`, 0, []string{"f: neither an OSV record"}},
		{"osv bom", "osv", "\ufeff" + rec, 1, nil},
		{"osv array trailing", "osv", "[" + rec + "] {}", 1, []string{"f: data after the end of the document"}},
		{"osv array broken", "osv", "[" + rec + ", {\"id\": }]", 1, []string{"f: /1: invalid character '}'"}},
		{"osv array unclosed", "osv", "[" + rec, 1, []string{"f: EOF"}},
		{"osv event none", "osv", `{"id":"X","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"Go","name":"x"},"ranges":[{"type":"SEMVER","events":[{"fixd":"1"}]}]}]}`, 0, []string{"f: /affected/0/ranges/0/events/0: an event needs exactly one"}},
		{"osv no events", "osv", `{"id":"X","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"Go","name":"x"},"ranges":[{"type":"SEMVER"}]}]}`, 0, []string{"f: /affected/0/ranges/0/events: range without events"}},
		{"osv git no repo", "osv", `{"id":"X","modified":"2024-01-01T00:00:00Z","affected":[{"ranges":[{"type":"GIT","events":[{"introduced":"0"}]}]}]}`, 0, []string{"f: /affected/0/ranges/0/repo: GIT range without repo"}},
		{"osv empty affected", "osv", `{"id":"X","modified":"2024-01-01T00:00:00Z","affected":[{}]}`, 0, []string{"f: /affected/0: affected entry names no package"}},
		{"osv no ecosystem", "osv", `{"id":"X","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"name":"x"}}]}`, 0, []string{"f: /affected/0/package/ecosystem: missing ecosystem"}},
		{"osv no name", "osv", `{"id":"X","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"Go"}}]}`, 0, []string{"f: /affected/0/package/name: missing package name"}},
		{"osv severity", "osv", `{"id":"X","modified":"2024-01-01T00:00:00Z","severity":[{"type":"CVSS_V3"}]}`, 0, []string{"f: /severity/0/score: missing severity score"}},
		{"osv severity type", "osv", `{"id":"X","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"Go","name":"x"},"severity":[{"score":"x"}]}]}`, 0, []string{"f: /affected/0/severity/0/type: missing severity type"}},
		{"osv no modified", "osv", `{"id":"X"}`, 0, []string{"f: /modified: missing modified time"}},
		{"osv free-form database_specific", "osv", `{"id":"X","modified":"2024-01-01T00:00:00Z","database_specific":{"cwe_ids":"CWE-1"}}`, 1, nil},
		{"nvd array", "nvd", "[" + cve + "]", 0, []string{"f: not an NVD CVE API 2.0 document"}},
		{"nvd vulnerabilities object", "nvd", `{"vulnerabilities":{}}`, 0, []string{"f: /vulnerabilities: an array is expected"}},
		{"nvd format", "nvd", `{"format":"CSAF","vulnerabilities":[` + cve + `]}`, 0, []string{"f: /format: format \"CSAF\" is not NVD_CVE"}},
		{"nvd trailing", "nvd", `{"vulnerabilities":[` + cve + `]} x`, 1, []string{"f: data after the end of the document"}},
		{"nvd unclosed array", "nvd", `{"vulnerabilities":[` + cve, 1, []string{"f: /vulnerabilities: EOF"}},
		{"nvd broken member", "nvd", `{"resultsPerPage": tru, "vulnerabilities":[]}`, 0, []string{"f: /resultsPerPage: invalid character"}},
		{"nvd unclosed object", "nvd", `{"vulnerabilities":[]`, 0, []string{"f: EOF"}},
		{"nvd bare bad id", "nvd", `{"id":"GHSA-1"}`, 0, []string{`f: /id: bad CVE id "GHSA-1"`}},
		{"nvd bad modified", "nvd", `{"id":"CVE-2099-0001","published":"2099-01-01T00:00:00.000","lastModified":"x"}`, 0, []string{`f: /lastModified: bad timestamp "x"`}},
		{"nvd cve not object", "nvd", `{"cve":[]}`, 0, []string{"f: /cve: array where an object is expected"}},
		{"nvd config operator", "nvd", `{"id":"CVE-2099-0001","published":"2099-01-01T00:00:00.000","lastModified":"2099-01-01T00:00:00.000","configurations":[{"operator":"NAND","nodes":[]}]}`, 0, []string{`f: /configurations/0/operator: operator "NAND"`}},
		{"nvd config no nodes", "nvd", `{"id":"CVE-2099-0001","published":"2099-01-01T00:00:00.000","lastModified":"2099-01-01T00:00:00.000","configurations":[{"nodes":[]}]}`, 0, []string{`f: /configurations/0/nodes: configuration without nodes`}},
		{"nvd node no matches", "nvd", `{"id":"CVE-2099-0001","published":"2099-01-01T00:00:00.000","lastModified":"2099-01-01T00:00:00.000","configurations":[{"nodes":[{"operator":"OR"}]}]}`, 0, []string{`f: /configurations/0/nodes/0/cpeMatch: node without cpeMatch`}},
		{"nvd match no vulnerable", "nvd", `{"id":"CVE-2099-0001","published":"2099-01-01T00:00:00.000","lastModified":"2099-01-01T00:00:00.000","configurations":[{"nodes":[{"operator":"OR","cpeMatch":[{"criteria":"cpe:2.3:a:b:c:1:*:*:*:*:*:*:*"}]}]}]}`, 0, []string{`f: /configurations/0/nodes/0/cpeMatch/0/vulnerable: missing`}},
		{"nvd score range", "nvd", `{"id":"CVE-2099-0001","published":"2099-01-01T00:00:00.000","lastModified":"2099-01-01T00:00:00.000","metrics":{"cvssMetricV2":[{"cvssData":{"vectorString":"AV:N","baseScore":11}}]}}`, 0, []string{`f: /metrics/cvssMetricV2/0/cvssData/baseScore: missing or out of 0–10`}},
		{"kev json not catalog", "kev", `{"title":"x"}`, 0, []string{"f: not a KEV catalog"}},
		{"kev json not array", "kev", `{"vulnerabilities":{}}`, 0, []string{"f: /vulnerabilities: an array is expected"}},
		{"kev json type", "kev", `{"vulnerabilities":[{"cveID":1},` + kevRow + `]}`, 1, []string{"f: /vulnerabilities/0/cveID: number where a string is expected"}},
		{"kev json due", "kev", `{"vulnerabilities":[{"cveID":"CVE-2099-0001","dateAdded":"2099-01-01","dueDate":""}]}`, 0, []string{`f: /vulnerabilities/0/dueDate: bad date ""`}},
		{"kev json broken", "kev", `{"vulnerabilities":[` + kevRow + `,{"cveID":]}`, 1, []string{"f: /vulnerabilities/1: invalid character"}},
		{"kev json broken member", "kev", `{"count": x}`, 0, []string{"f: /count: invalid character"}},
		{"kev json unclosed", "kev", `{"vulnerabilities":[` + kevRow, 1, []string{"f: /vulnerabilities: EOF"}},
		{"kev csv empty", "kev", ``, 0, []string{"f:1: no CSV header: EOF"}},
		{"kev csv other", "kev", "cve,epss\n", 0, []string{"f:1: not a KEV CSV: no cveID column"}},
		{"kev csv quote", "kev", "cveID,vendorProject,product,vulnerabilityName,dateAdded,dueDate\nCVE-2099-0001,A,\"B\"x,C,2099-01-01,2099-01-22\nCVE-2099-0002,A,B,C,2099-01-01,2099-01-22\n", 1, []string{`f:2: extraneous or missing " in quoted-field`}},
		{"epss empty", "epss", ``, 0, []string{"f:1: no CSV header: EOF"}},
		{"epss comment only", "epss", "#model_version:v1,score_date:2099-01-01T00:00:00+0000", 0, []string{"f:2: no CSV header: EOF"}},
		{"epss bad date", "epss", "#model_version:v1,score_date:tomorrow\ncve,epss,percentile\nCVE-2099-0001,0.1,0.2\n", 1, []string{`f:1: bad score_date "tomorrow"`}},
		{"epss no model", "epss", "#score_date:2099-01-01\ncve,epss,percentile\n", 0, []string{"f:1: comment line has no model_version"}},
		{"epss rows", "epss", "cve,epss,percentile\nCVE-2099-0001,0.1\nX,0.1,0.2\nCVE-2099-0002,0.1,2\n\"CVE\"x,1,1\nCVE-2099-0003,0.1,0.2\n", 1, []string{"f:2: 2 fields, want 3", `f:3: bad CVE id "X"`, `f:4: percentile: "2" is not`, `f:5: extraneous or missing "`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var rep report
			n := 0
			var err error
			r := strings.NewReader(tc.in)
			switch tc.kind {
			case "osv":
				err = readOSVStream("f", r, &rep, func(*Advisory) error { n++; return nil })
			case "nvd":
				err = readNVDStream("f", r, &rep, func(*Advisory) error { n++; return nil })
			case "kev":
				err = readKEVStream("f", r, &rep, func(KEV) error { n++; return nil })
			case "epss":
				_, err = readEPSSStream("f", r, &rep, func(EPSS) error { n++; return nil })
			}
			if err != nil {
				t.Fatalf("fatal error %v", err)
			}
			if n != tc.read {
				t.Errorf("read %d, want %d", n, tc.read)
			}
			wantRejections(t, rejections(t, "", rep.result(nil)), tc.rejected)
		})
	}
}

func TestCallbackErrorStopsEveryReader(t *testing.T) {
	stop := errors.New("stop")
	calls := 0
	fnA := func(*Advisory) error { calls++; return stop }
	for name, read := range map[string]func() error{
		"osv": func() error { return ReadOSV("testdata/osv/withdrawn-array.json", fnA) },
		"nvd": func() error { return ReadNVD("testdata/nvd/page.json", fnA) },
		"kev": func() error { return ReadKEV("testdata/kev/kev.json", func(KEV) error { calls++; return stop }) },
		"csv": func() error { return ReadKEV("testdata/kev/kev.csv", func(KEV) error { calls++; return stop }) },
		"epss": func() error {
			_, err := ReadEPSS("testdata/epss/epss.csv", func(EPSS) error { calls++; return stop })
			return err
		},
	} {
		calls = 0
		if err := read(); !errors.Is(err, stop) || calls != 1 {
			t.Errorf("%s: %d calls, error %v", name, calls, err)
		}
	}
	// Rejections met before the stop are returned with it.
	err := ReadNVD("testdata/nvd-broken/a-page.json", func(a *Advisory) error {
		if a.ID == "CVE-2099-0306" {
			return stop
		}
		return nil
	})
	var rej *Rejected
	if !errors.Is(err, stop) || !errors.As(err, &rej) || len(rej.Errors) != 5 {
		t.Errorf("stop after rejections: %v", err)
	}
	for _, path := range []string{"testdata/none.json"} {
		if err := ReadKEV(path, func(KEV) error { return nil }); err == nil {
			t.Error("ReadKEV of a missing file")
		}
		if _, err := ReadEPSS(path, func(EPSS) error { return nil }); err == nil {
			t.Error("ReadEPSS of a missing file")
		}
	}
}

func TestRejectedError(t *testing.T) {
	one := &Rejected{Errors: []*ParseError{{Path: "a.json", Pointer: "/id", Err: errors.New("bad")}}}
	if got, want := one.Error(), "1 rejected: a.json: /id: bad"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	two := &Rejected{Errors: []*ParseError{{Path: "a.csv", Line: 3, Err: errors.New("bad")}, {Path: "b.json", Err: errors.New("worse")}}}
	if got, want := two.Error(), "2 rejected, first: a.csv:3: bad"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := two.Errors[1].Error(); got != "b.json: worse" {
		t.Errorf("whole-document error %q", got)
	}
	if !errors.Is(two, ErrMalformed) || errors.Unwrap(two.Errors[0]).Error() != "bad" {
		t.Error("unwrap chain broken")
	}
	if (&Rejected{}).Error() != "nothing rejected" {
		t.Error("empty Rejected")
	}
}
