package csaf

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func readAll(t *testing.T, path string) ([]*Advisory, Report) {
	t.Helper()
	var advs []*Advisory
	rep, err := ReadCSAF(path, func(a *Advisory) error {
		advs = append(advs, a)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return advs, rep
}

func date(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestReadCSAFAdvisory(t *testing.T) {
	advs, rep := readAll(t, "testdata/advisory/acme-2024-001.json")
	if rep.Read != 1 || rep.Accepted != 1 || len(rep.Rejected) != 0 || len(advs) != 1 {
		t.Fatalf("report %+v, %d advisories", rep, len(advs))
	}
	a := advs[0]
	head := [][2]string{
		{a.ID, "ACME-2024-001"}, {a.Title, "Acme PumpX infusion pump: hard-coded credentials"},
		{a.Publisher, "Acme Medical"}, {a.Category, "csaf_security_advisory"}, {a.Version, "2"}, {a.TLP, "WHITE"},
		{a.Path, "testdata/advisory/acme-2024-001.json"},
	}
	for _, h := range head {
		if h[0] != h[1] {
			t.Errorf("got %q, want %q", h[0], h[1])
		}
	}
	if !a.Initial.Equal(date("2024-03-05T06:00:00Z")) || !a.Current.Equal(date("2024-04-10T06:00:00Z")) {
		t.Errorf("dates %v %v", a.Initial, a.Current)
	}
	wantProducts := map[string]Product{
		"CSAFPID-0001": {ID: "CSAFPID-0001", Name: "Acme PumpX 3000 firmware < 4.2.1", Vendor: "Acme Medical",
			Family: "Infusion systems", ProductName: "PumpX 3000", VersionRange: "vers:generic/<4.2.1",
			ModelNumbers: []string{"PX-3000", "PX-3000B"}, SKUs: []string{"800-3000-01"}},
		"CSAFPID-0002": {ID: "CSAFPID-0002", Name: "Acme PumpX 3000 firmware 4.2.1", Vendor: "Acme Medical",
			Family: "Infusion systems", ProductName: "PumpX 3000", Version: "4.2.1",
			ModelNumbers: []string{"PX-3000", "PX-3000B"},
			Hashes:       map[string]string{"sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}},
		"CSAFPID-0003": {ID: "CSAFPID-0003", Name: "Acme Infusion Gateway 2.0", Vendor: "Acme Medical",
			ProductName: "Infusion Gateway", Version: "2.0",
			CPE:   "cpe:2.3:a:acme_medical:infusion_gateway:2.0:*:*:*:*:*:*:*",
			PURLs: []string{"pkg:generic/acme/infusion-gateway@2.0"}, SerialNumbers: []string{"GW*"}},
		"CSAFPID-0100": {ID: "CSAFPID-0100", Name: "Windows 10 Enterprise LTSC 2019",
			CPE: "cpe:2.3:o:microsoft:windows_10_1809:-:*:*:*:enterprise_ltsc:*:*:*"},
		"CSAFPID-0004": {ID: "CSAFPID-0004", Name: "Acme Infusion Gateway 2.0 installed on Windows 10 Enterprise LTSC 2019",
			Relationship: "installed_on", Component: "CSAFPID-0003", Platform: "CSAFPID-0100",
			ComponentName: "Acme Infusion Gateway 2.0", PlatformName: "Windows 10 Enterprise LTSC 2019"},
	}
	if !reflect.DeepEqual(a.Products, wantProducts) {
		for id, p := range a.Products {
			if !reflect.DeepEqual(p, wantProducts[id]) {
				t.Errorf("product %s:\n got %+v\nwant %+v", id, p, wantProducts[id])
			}
		}
		if len(a.Products) != len(wantProducts) {
			t.Errorf("%d products, want %d", len(a.Products), len(wantProducts))
		}
	}
	if got, want := a.Groups, map[string][]string{"CSAFGID-0001": {"CSAFPID-0001", "CSAFPID-0004"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("groups %v, want %v", got, want)
	}
	wantVuln := Vulnerability{
		CVE: "CVE-2024-99001", IDs: []string{"ACME-PSIRT-77"}, Title: "Hard-coded credentials",
		CWE: "CWE-798", CWEName: "Use of Hard-coded Credentials",
		Scores: []Score{{Version: "3.1", Vector: "CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", Base: 8.8,
			Severity: "HIGH", Products: []string{"CSAFPID-0001", "CSAFPID-0004"}}},
		Products: map[Status][]string{KnownAffected: {"CSAFPID-0001", "CSAFPID-0004"}, Fixed: {"CSAFPID-0002"}},
		Remediations: []Remediation{
			{Category: "vendor_fix", Details: "Update the pump firmware to 4.2.1.",
				URL:        "https://acme-medical.example/psirt/ACME-2024-001",
				ProductIDs: []string{"CSAFPID-0001", "CSAFPID-0004"}, Date: date("2024-04-10T06:00:00Z")},
			{Category: "mitigation", Details: "Block TCP port 2323 between the clinical VLAN and the pumps.",
				ProductIDs: []string{"CSAFPID-0001"}},
		},
		Threats: []Threat{
			{Category: "impact", Details: "Therapy could be changed remotely.", ProductIDs: []string{"CSAFPID-0001"}},
			{Category: "exploit_status", Details: "No known public exploit.", ProductIDs: []string{"CSAFPID-0001", "CSAFPID-0004"}},
		},
		Description: "The pump's service interface accepts a hard-coded password.",
	}
	if len(a.Vulnerabilities) != 1 {
		t.Fatalf("%d vulnerabilities", len(a.Vulnerabilities))
	}
	if got := a.Vulnerabilities[0]; !reflect.DeepEqual(got, wantVuln) {
		t.Errorf("vulnerability:\n got %+v\nwant %+v", got, wantVuln)
	}
}

func TestReadCSAFRejectsBrokenDocuments(t *testing.T) {
	advs, rep := readAll(t, "testdata/broken")
	if len(advs) != 0 || rep.Read != 3 || rep.Accepted != 0 {
		t.Fatalf("report %+v", rep)
	}
	want := map[string]struct{ pointer, reason string }{
		"bad-status.json": {"/document/tracking/status", "value must be one of 'draft', 'final', 'interim'"},
		"bad-vector.json": {"/vulnerabilities/0/scores/0/cvss_v3/vectorString", "does not match pattern"},
		"truncated.json":  {"", "invalid JSON"},
	}
	for _, r := range rep.Rejected {
		w, ok := want[filepath.Base(r.Path)]
		if !ok {
			t.Errorf("unexpected rejection %v", r)
			continue
		}
		if r.Pointer != w.pointer || !strings.Contains(r.Reason, w.reason) {
			t.Errorf("%s: got %q %q, want %q containing %q", r.Path, r.Pointer, r.Reason, w.pointer, w.reason)
		}
		if w.pointer != "" && !errors.Is(r.Err, ErrSchema) {
			t.Errorf("%s: error %v is not ErrSchema", r.Path, r.Err)
		}
		delete(want, filepath.Base(r.Path))
	}
	if len(want) != 0 {
		t.Errorf("not rejected: %v", want)
	}
}

func TestReadCSAFProviderMetadataAndFeed(t *testing.T) {
	type rej struct {
		path string
		err  error
	}
	tests := []struct {
		name     string
		path     string
		accepted []string // advisory IDs
		rejected []rej    // path suffix, sentinel (nil: any)
	}{
		{"provider metadata", "testdata/feed/provider-metadata.json", []string{"ACME-2024-010"}, []rej{
			{"docs/acme-2024-011.json", ErrHash},
			{"white-feed.json#/feed/entry/2", ErrRemote},
			{"white-feed.json#/feed/entry/3", os.ErrNotExist},
			{"provider-metadata.json#/distributions/0/rolie/feeds/1", ErrRemote},
		}},
		{"ROLIE feed", "testdata/feed/white-feed.json", []string{"ACME-2024-010"}, []rej{
			{"docs/acme-2024-011.json", ErrHash},
			{"white-feed.json#/feed/entry/2", ErrRemote},
			{"white-feed.json#/feed/entry/3", os.ErrNotExist},
		}},
		// In a folder walk the index files are skipped, the documents read.
		{"folder", "testdata/feed", []string{"ACME-2024-010"}, []rej{{"docs/acme-2024-011.json", ErrHash}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			advs, rep := readAll(t, tt.path)
			var ids []string
			for _, a := range advs {
				ids = append(ids, a.ID)
			}
			if !reflect.DeepEqual(ids, tt.accepted) {
				t.Errorf("accepted %v, want %v", ids, tt.accepted)
			}
			if rep.Read != len(tt.accepted)+len(tt.rejected) || rep.Accepted != len(tt.accepted) {
				t.Errorf("report read %d accepted %d", rep.Read, rep.Accepted)
			}
			if len(rep.Rejected) != len(tt.rejected) {
				t.Fatalf("rejected %v, want %v", rep.Rejected, tt.rejected)
			}
			for i, w := range tt.rejected {
				got := rep.Rejected[i]
				if !strings.HasSuffix(filepath.ToSlash(got.Path), w.path) || !errors.Is(got.Err, w.err) {
					t.Errorf("rejection %d: %v, want %s (%v)", i, got, w.path, w.err)
				}
			}
		})
	}
}

func TestSidecarHashes(t *testing.T) {
	data, err := os.ReadFile("testdata/feed/docs/acme-2024-010.json")
	if err != nil {
		t.Fatal(err)
	}
	good512, _ := os.ReadFile("testdata/feed/docs/acme-2024-010.json.sha512")
	good256, _ := os.ReadFile("testdata/feed/docs/acme-2024-010.json.sha256")
	tests := []struct {
		name   string
		sha512 string // "" = no sidecar
		sha256 string
		doc    string // "" = the original
		ok     bool
	}{
		{"no sidecars", "", "", "", true},
		{"good sha512 and sha256", string(good512), string(good256), "", true},
		{"bare upper-case hex", strings.ToUpper(strings.Fields(string(good512))[0]), "", "", true},
		{"document changed", string(good512), "", strings.Replace(string(data), "Good feed", "Evil feed", 1), false},
		{"bad sha256 only", string(good512), strings.Repeat("0", 64), "", false},
		{"empty sidecar", " \n", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "doc.json")
			doc := tt.doc
			if doc == "" {
				doc = string(data)
			}
			os.WriteFile(p, []byte(doc), 0o644)
			if tt.sha512 != "" {
				os.WriteFile(p+".sha512", []byte(tt.sha512), 0o644)
			}
			if tt.sha256 != "" {
				os.WriteFile(p+".sha256", []byte(tt.sha256), 0o644)
			}
			_, rep := readAll(t, p)
			if got := rep.Accepted == 1; got != tt.ok {
				t.Fatalf("accepted %v, want %v (%v)", got, tt.ok, rep.Rejected)
			}
			if !tt.ok && !errors.Is(rep.Rejected[0].Err, ErrHash) {
				t.Errorf("rejection %v is not ErrHash", rep.Rejected[0])
			}
		})
	}
}

func TestCallbackErrorStopsTheRead(t *testing.T) {
	stop := errors.New("stop")
	n := 0
	_, err := ReadCSAF("testdata", func(*Advisory) error {
		n++
		return stop
	})
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("err %v after %d calls, want stop after 1", err, n)
	}
	if _, err := ReadCSAF("testdata/does-not-exist", func(*Advisory) error { return nil }); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing path: %v", err)
	}
}

func TestLocalURLs(t *testing.T) {
	tests := []struct {
		ref, want string
		remote    bool
	}{
		{"docs/a.json", "feeds/docs/a.json", false},
		{"./2024/a%20b.json", "feeds/2024/a b.json", false},
		{"../other/a.json", "other/a.json", false},
		{"https://example.com/a.json", "", true},
		{"file:///etc/passwd", "", true},
		{"/etc/passwd", "", true},
		{"//example.com/a.json", "", true},
	}
	for _, tt := range tests {
		got, err := local("feeds/feed.json", tt.ref)
		if tt.remote {
			if !errors.Is(err, ErrRemote) {
				t.Errorf("%s: %q, %v; want ErrRemote", tt.ref, got, err)
			}
			continue
		}
		if err != nil || got != filepath.FromSlash(tt.want) {
			t.Errorf("%s: %q, %v; want %q", tt.ref, got, err, tt.want)
		}
	}
}

func TestComparePointers(t *testing.T) {
	tests := []struct {
		a, b string
		less bool
	}{
		{"/a/2", "/a/10", true},
		{"/a/10", "/a/2", false},
		{"/a", "/a/0", true},
		{"/document", "/vulnerabilities", true},
	}
	for _, tt := range tests {
		if got := comparePointers(tt.a, tt.b) < 0; got != tt.less {
			t.Errorf("%s < %s = %v, want %v", tt.a, tt.b, got, tt.less)
		}
	}
}

func TestDuplicateProductIDIsMerged(t *testing.T) {
	data, err := os.ReadFile("testdata/advisory/acme-2024-001.json")
	if err != nil {
		t.Fatal(err)
	}
	// A second definition of CSAFPID-0001 adds a CPE and a model number.
	doc := strings.Replace(string(data), `"full_product_names": [`, `"full_product_names": [
	  {"name": "PumpX again", "product_id": "CSAFPID-0001", "product_identification_helper": {
	    "cpe": "cpe:2.3:h:acme_medical:pumpx_3000:-:*:*:*:*:*:*:*", "model_numbers": ["PX-3000", "PX-3000C"]}},`, 1)
	adv, _, err := parseCSAF([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	p := adv.Products["CSAFPID-0001"]
	if p.Name != "Acme PumpX 3000 firmware < 4.2.1" || p.CPE != "cpe:2.3:h:acme_medical:pumpx_3000:-:*:*:*:*:*:*:*" ||
		!reflect.DeepEqual(p.ModelNumbers, []string{"PX-3000", "PX-3000B", "PX-3000C"}) || p.VersionRange != "vers:generic/<4.2.1" {
		t.Errorf("merged product %+v", p)
	}
}

func TestProviderDirectoryDistribution(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile("testdata/feed/docs/acme-2024-010.json")
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(dir, "white", "2024"), 0o755)
	os.MkdirAll(filepath.Join(dir, "white", ".git"), 0o755)
	os.WriteFile(filepath.Join(dir, "white", "2024", "acme-2024-010.json"), good, 0o644)
	os.WriteFile(filepath.Join(dir, "white", ".git", "junk.json"), []byte("{"), 0o644) // hidden: skipped
	os.WriteFile(filepath.Join(dir, "white", "2024", "notes.txt"), []byte("x"), 0o644) // not .json: skipped
	pm := `{"canonical_url": "https://acme-medical.example/.well-known/csaf/provider-metadata.json", "metadata_version": "2.0",
	  "distributions": [{"directory_url": "white"}, {"directory_url": "https://acme-medical.example/csaf/green/"}, {"directory_url": "missing/"}]}`
	os.WriteFile(filepath.Join(dir, "provider-metadata.json"), []byte(pm), 0o644)
	advs, rep := readAll(t, filepath.Join(dir, "provider-metadata.json"))
	if len(advs) != 1 || advs[0].ID != "ACME-2024-010" || rep.Accepted != 1 || len(rep.Rejected) != 2 {
		t.Fatalf("%d advisories, report %+v", len(advs), rep)
	}
	if r := rep.Rejected[0]; !errors.Is(r.Err, ErrRemote) || !strings.HasSuffix(r.Path, "#/distributions/1/directory_url") {
		t.Errorf("rejection %v", r)
	}
	if r := rep.Rejected[1]; !errors.Is(r.Err, os.ErrNotExist) || !strings.Contains(r.String(), "#/distributions/2/directory_url: ") {
		t.Errorf("rejection %v", r)
	}
}
