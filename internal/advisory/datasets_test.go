package advisory

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// datasets returns the folder of shared public data, or skips.
func datasets(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("VIGIL_DATASETS")
	if dir == "" {
		t.Skip("VIGIL_DATASETS not set: skipping the test on real public data (set it to ../shared/data)")
	}
	return filepath.Clean(dir) // "a/../b" would not compare equal to the walked paths
}

// notFeeds are files in the feed folders that are not feed documents and
// are not given to a reader.
var notFeeds = map[string]string{
	"osv/LICENSE": "vunnel's license text",
	"nvd-cve-json-2.0/vunnel-fixtures/LICENSE": "vunnel's license text",
	"cisa-kev/LICENSE":                         "CISA's license text",
	"epss/LICENSE":                             "vunnel's license text",
}

// expectedRejections are feed files the readers must reject, with the
// reason (a substring of the error) and the records still read from them.
var expectedRejections = map[string]struct {
	reason string
	read   int
}{
	// The JSON schema of the catalog, not a catalog.
	"cisa-kev/known_exploited_vulnerabilities_schema.json": {"not a KEV catalog: no vulnerabilities array", 0},
	// vunnel's negative fixture: the column header is not cve,epss,percentile.
	"epss/epss/test-fixtures/invalid-header.csv": {`invalid-header.csv:2: header "invalid,header,format"`, 0},
	// vunnel's negative fixture: the comment line has no score_date; the rows still read.
	"epss/epss/test-fixtures/missing-date.csv": {"missing-date.csv:1: comment line has no score_date", 5},
}

func TestDatasets(t *testing.T) {
	data := datasets(t)
	read := map[string]int{}    // feed → records read
	var osvIDs, nvdIDs []string // in reading order
	var cve12248, cve22377 *Advisory
	var gitKEV KEV
	var epss0005 EPSS
	var example1Meta EPSSMeta
	knownRansomware := 0
	for _, feed := range []string{"osv", "nvd-cve-json-2.0", "cisa-kev", "epss"} {
		err := filepath.WalkDir(filepath.Join(data, feed), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel := filepath.ToSlash(strings.TrimPrefix(path, data+string(filepath.Separator)))
			if _, ok := notFeeds[rel]; ok {
				return nil
			}
			n := 0
			var rerr error
			switch feed {
			case "osv":
				rerr = ReadOSV(path, func(a *Advisory) error { n++; osvIDs = append(osvIDs, a.ID); return nil })
			case "nvd-cve-json-2.0":
				rerr = ReadNVD(path, func(a *Advisory) error {
					n++
					nvdIDs = append(nvdIDs, a.ID)
					switch a.ID {
					case "CVE-2024-12248":
						cve12248 = a
					case "CVE-2022-22377":
						cve22377 = a
					}
					return nil
				})
			case "cisa-kev":
				rerr = ReadKEV(path, func(k KEV) error {
					n++
					if k.KnownRansomware && strings.HasSuffix(path, ".json") {
						knownRansomware++
					}
					if k.CVE == "CVE-2025-48384" && strings.HasSuffix(path, ".csv") {
						gitKEV = k
					}
					return nil
				})
			case "epss":
				var meta EPSSMeta
				meta, rerr = ReadEPSS(path, func(e EPSS) error {
					n++
					if e.CVE == "CVE-1999-0005" && strings.HasSuffix(path, "example-1.csv") {
						epss0005 = e
					}
					return nil
				})
				if strings.HasSuffix(path, "example-1.csv") {
					example1Meta = meta
				}
			}
			if want, ok := expectedRejections[rel]; ok {
				if rerr == nil || !strings.Contains(rerr.Error(), want.reason) {
					t.Errorf("%s: error %v, want one containing %q", rel, rerr, want.reason)
				}
				if n != want.read {
					t.Errorf("%s: read %d records, want %d", rel, n, want.read)
				}
			} else if rerr != nil {
				t.Errorf("%s: %v", rel, rerr)
			}
			read[rel] = n
			read[feed] += n
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for rel := range expectedRejections {
		if _, ok := read[rel]; !ok {
			t.Errorf("expected rejection %s: file not found", rel)
		}
	}

	// Counts computed independently, with a raw JSON or CSV walk.
	wantOSV := rawOSVIDs(t, filepath.Join(data, "osv"))
	if !slices.Equal(osvIDs, wantOSV) || len(osvIDs) != 9 {
		t.Errorf("osv ids %v, want %v", osvIDs, wantOSV)
	}
	wantNVD := rawNVDIDs(t, filepath.Join(data, "nvd-cve-json-2.0"))
	if !slices.Equal(nvdIDs, wantNVD) || len(nvdIDs) != 39 {
		t.Errorf("nvd: read %d ids, want %d (%v)", len(nvdIDs), len(wantNVD), wantNVD)
	}
	kevJSON, kevKnown := rawKEV(t, filepath.Join(data, "cisa-kev/known_exploited_vulnerabilities.json"))
	if got := read["cisa-kev/known_exploited_vulnerabilities.json"]; got != kevJSON || got != 1404 {
		t.Errorf("kev json: read %d, raw count %d", got, kevJSON)
	}
	if knownRansomware != kevKnown || knownRansomware != 293 {
		t.Errorf("kev known ransomware: %d, raw count %d", knownRansomware, kevKnown)
	}
	if got, want := read["cisa-kev/known_exploited_vulnerabilities.csv"], csvRows(t, filepath.Join(data, "cisa-kev/known_exploited_vulnerabilities.csv"))-1; got != want || got != 1404 {
		t.Errorf("kev csv: read %d, raw count %d", got, want)
	}
	if got, want := read["epss/epss/test-fixtures/example-1.csv"], dataLines(t, filepath.Join(data, "epss/epss/test-fixtures/example-1.csv"))-1; got != want || got != 5 {
		t.Errorf("epss: read %d, raw count %d", got, want)
	}

	// A few exact values.
	if cve12248 == nil {
		t.Fatal("CVE-2024-12248 not read")
	}
	wantSev := []Score{{
		Type:      "CVSS_V4",
		Vector:    "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:X/CR:X/IR:X/AR:X/MAV:X/MAC:X/MAT:X/MPR:X/MUI:X/MVC:X/MVI:X/MVA:X/MSC:X/MSI:X/MSA:X/S:X/AU:X/R:X/V:X/RE:X/U:X",
		BaseScore: 9.3,
		Source:    "ics-cert@hq.dhs.gov",
	}}
	if !reflect.DeepEqual(cve12248.Severity, wantSev) || !slices.Equal(cve12248.CWEs, []string{"CWE-787"}) || cve12248.Status != "Received" || len(cve12248.Configurations) != 0 {
		t.Errorf("CVE-2024-12248: %+v", cve12248)
	}
	if cve22377 == nil {
		t.Fatal("CVE-2022-22377 not read")
	}
	wantConf := []Config{{Operator: "AND", Nodes: []Node{
		{Operator: "OR", Matches: []CPEMatch{{Criteria: "cpe:2.3:a:ibm:security_verify_privilege_on-premises:*:*:*:*:*:*:*:*", Vulnerable: true, VersionEndExcluding: "11.5", MatchCriteriaID: "CEE9CBED-455C-4B83-A735-76EE4C7E331A"}}},
		{Operator: "OR", Matches: []CPEMatch{
			{Criteria: "cpe:2.3:o:apple:macos:-:*:*:*:*:*:*:*", MatchCriteriaID: "387021A0-AF36-463C-A605-32EA7DAC172E"},
			{Criteria: "cpe:2.3:o:microsoft:windows:-:*:*:*:*:*:*:*", MatchCriteriaID: "A2572D17-1DE6-457B-99CC-64AFD54487EA"},
		}},
	}}}
	if !reflect.DeepEqual(cve22377.Configurations, wantConf) {
		t.Errorf("CVE-2022-22377 configurations:\n got %+v\nwant %+v", cve22377.Configurations, wantConf)
	}
	if len(cve22377.Severity) != 2 || cve22377.Severity[0].Vector != "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:H/I:N/A:N" || !cve22377.Severity[0].Primary {
		t.Errorf("CVE-2022-22377 severity %+v", cve22377.Severity)
	}
	wantKEV := KEV{
		CVE: "CVE-2025-48384", VendorProject: "Git", Product: "Git", Name: "Git Link Following Vulnerability",
		DateAdded: mustTime("2025-08-25T00:00:00Z"), DueDate: mustTime("2025-09-15T00:00:00Z"),
		CWEs: []string{"CWE-59", "CWE-436"},
	}
	gitKEV.Description, gitKEV.RequiredAction, gitKEV.Notes = "", "", ""
	if !reflect.DeepEqual(gitKEV, wantKEV) {
		t.Errorf("KEV CVE-2025-48384:\n got %+v\nwant %+v", gitKEV, wantKEV)
	}
	if w := (EPSS{CVE: "CVE-1999-0005", Score: 0.91963, Percentile: 0.99214}); epss0005 != w {
		t.Errorf("EPSS %+v, want %+v", epss0005, w)
	}
	if example1Meta.ModelVersion != "v2023.03.01" || !example1Meta.ScoreDate.Equal(mustTime("2025-02-20T00:00:00Z")) {
		t.Errorf("EPSS meta %+v", example1Meta)
	}
}

// rawOSVIDs lists the "id" of every .json file under dir, in walk order.
func rawOSVIDs(t *testing.T, dir string) []string {
	var ids []string
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		var rec map[string]any
		if err := json.Unmarshal(mustRead(t, path), &rec); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, rec["id"].(string))
		return nil
	})
	return ids
}

// rawNVDIDs lists the CVE IDs of every .json file under dir: the
// vulnerabilities of an API page, or a single record's id.
func rawNVDIDs(t *testing.T, dir string) []string {
	var ids []string
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		var doc map[string]any
		if err := json.Unmarshal(mustRead(t, path), &doc); err != nil {
			t.Fatal(err)
		}
		if vulns, ok := doc["vulnerabilities"].([]any); ok {
			for _, v := range vulns {
				ids = append(ids, v.(map[string]any)["cve"].(map[string]any)["id"].(string))
			}
		} else {
			ids = append(ids, doc["id"].(string))
		}
		return nil
	})
	return ids
}

// rawKEV returns the catalog's entry count (checked against its "count")
// and how many are known to be used by ransomware.
func rawKEV(t *testing.T, path string) (n, known int) {
	var cat struct {
		Count           int              `json:"count"`
		Vulnerabilities []map[string]any `json:"vulnerabilities"`
	}
	if err := json.Unmarshal(mustRead(t, path), &cat); err != nil {
		t.Fatal(err)
	}
	if cat.Count != len(cat.Vulnerabilities) {
		t.Errorf("catalog count %d, entries %d", cat.Count, len(cat.Vulnerabilities))
	}
	for _, v := range cat.Vulnerabilities {
		if v["knownRansomwareCampaignUse"] == "Known" {
			known++
		}
	}
	return len(cat.Vulnerabilities), known
}

func csvRows(t *testing.T, path string) int {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return len(rows)
}

// dataLines counts non-empty lines that are not comments.
func dataLines(t *testing.T, path string) int {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := sc.Text(); line != "" && !strings.HasPrefix(line, "#") {
			n++
		}
	}
	return n
}

func mustRead(t *testing.T, path string) []byte {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
