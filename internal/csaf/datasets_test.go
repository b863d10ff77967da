package csaf

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
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
	return dir
}

// rawJSONFiles decodes every .json file under dir into a generic value.
func rawJSONFiles(t *testing.T, dir string) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var v map[string]any
		if err := json.Unmarshal(data, &v); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		out[p] = v
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

func obj(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// rawCSAFCounts counts the way a reader of the specification would, straight
// from the JSON: documents, vulnerabilities, distinct product IDs defined in
// the product tree, product status entries, scores and remediations.
type rawCSAFCounts struct {
	Docs, Vulns, Products, StatusEntries, Scores, Remediations, Flags int
}

func countRawCSAF(docs map[string]map[string]any) rawCSAFCounts {
	var c rawCSAFCounts
	for _, d := range docs {
		if d["document"] == nil {
			continue
		}
		c.Docs++
		ids := map[string]bool{}
		var branches func([]any)
		branches = func(bs []any) {
			for _, b := range bs {
				if p := obj(obj(b)["product"]); p != nil {
					ids[p["product_id"].(string)] = true
				}
				branches(list(obj(b)["branches"]))
			}
		}
		pt := obj(d["product_tree"])
		branches(list(pt["branches"]))
		for _, f := range list(pt["full_product_names"]) {
			ids[obj(f)["product_id"].(string)] = true
		}
		for _, r := range list(pt["relationships"]) {
			ids[obj(obj(r)["full_product_name"])["product_id"].(string)] = true
		}
		c.Products += len(ids)
		for _, v := range list(d["vulnerabilities"]) {
			c.Vulns++
			for _, l := range obj(obj(v)["product_status"]) {
				seen := map[any]bool{}
				for _, id := range list(l) {
					if !seen[id] {
						seen[id] = true
						c.StatusEntries++
					}
				}
			}
			for _, s := range list(obj(v)["scores"]) {
				for _, k := range []string{"cvss_v2", "cvss_v3"} {
					if obj(s)[k] != nil {
						c.Scores++
					}
				}
			}
			c.Remediations += len(list(obj(v)["remediations"]))
			c.Flags += len(list(obj(v)["flags"]))
		}
	}
	return c
}

func countAdvisories(advs []*Advisory) rawCSAFCounts {
	var c rawCSAFCounts
	for _, a := range advs {
		c.Docs++
		c.Products += len(a.Products)
		for _, v := range a.Vulnerabilities {
			c.Vulns++
			for _, ids := range v.Products {
				c.StatusEntries += len(ids)
			}
			c.Scores += len(v.Scores)
			c.Remediations += len(v.Remediations)
			c.Flags += len(v.Flags)
		}
	}
	return c
}

func TestDatasets(t *testing.T) {
	data := datasets(t)

	// Every CSAF document of both CISA folders is valid CSAF 2.0 and matches
	// its .sha512 sidecar (the ICSMA folder has one per document): no
	// expected rejections.
	for _, dir := range []string{"cisa-csaf-icsma", "cisa-csaf-icsa-sample"} {
		t.Run(dir, func(t *testing.T) {
			root := filepath.Join(data, dir)
			advs, rep := readAll(t, root)
			if len(rep.Rejected) != 0 {
				t.Errorf("rejected: %v", rep.Rejected)
			}
			want := countRawCSAF(rawJSONFiles(t, root))
			if got := countAdvisories(advs); got != want {
				t.Errorf("counts\n got %+v\nwant %+v", got, want)
			}
			if rep.Read != want.Docs || rep.Accepted != want.Docs {
				t.Errorf("report read %d accepted %d, want %d", rep.Read, rep.Accepted, want.Docs)
			}
			// The numbers SOURCES.md gives for the snapshot.
			sources := map[string][2]int{"cisa-csaf-icsma": {124, 382}, "cisa-csaf-icsa-sample": {60, 184}}[dir]
			if want.Docs != sources[0] || want.Vulns != sources[1] {
				t.Errorf("raw walk found %d documents, %d vulnerabilities; SOURCES.md says %d, %d", want.Docs, want.Vulns, sources[0], sources[1])
			}
			t.Logf("%+v", want)
		})
	}

	t.Run("ICSMA-17-009-01A", func(t *testing.T) {
		advs, _ := readAll(t, filepath.Join(data, "cisa-csaf-icsma/2017/icsma-17-009-01a.json"))
		if len(advs) != 1 {
			t.Fatalf("%d advisories", len(advs))
		}
		a := advs[0]
		if a.ID != "ICSMA-17-009-01A" || a.Publisher != "CISA" || a.Category != "csaf_security_advisory" || a.TLP != "WHITE" {
			t.Errorf("header %q %q %q %q", a.ID, a.Publisher, a.Category, a.TLP)
		}
		product := func(id, name, productName string) Product {
			// ICSMA advisories carry no product_identification_helper: the
			// model (EX1100, EX1150) is only in the names.
			return Product{ID: id, Name: name, Vendor: "St. Jude Medical", ProductName: productName, VersionRange: "< 8.2.2"}
		}
		want := map[string]Product{
			"CSAFPID-0001": product("CSAFPID-0001", "Inductive models EX1100: versions prior to Version 8.2.2", "Inductive models EX1100"),
			"CSAFPID-0002": product("CSAFPID-0002", "Inductive models EX1100 with MerlinOnDemand capability: versions prior to Version 8.2.2",
				"Inductive models EX1100 with MerlinOnDemand capability"),
			"CSAFPID-0003": product("CSAFPID-0003", "RF models EX1150: versions prior to Version 8.2.2", "RF models EX1150"),
		}
		if !reflect.DeepEqual(a.Products, want) {
			t.Errorf("products\n got %+v\nwant %+v", a.Products, want)
		}
		if len(a.Vulnerabilities) != 1 {
			t.Fatalf("%d vulnerabilities", len(a.Vulnerabilities))
		}
		v := a.Vulnerabilities[0]
		all := []string{"CSAFPID-0001", "CSAFPID-0002", "CSAFPID-0003"}
		if v.CVE != "CVE-2017-5149" || v.CWE != "CWE-300" {
			t.Errorf("cve %q cwe %q", v.CVE, v.CWE)
		}
		if want := []Score{{Version: "3.0", Vector: "CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:C/C:L/I:H/A:H", Base: 8.9, Severity: "HIGH", Products: all}}; !reflect.DeepEqual(v.Scores, want) {
			t.Errorf("scores %+v", v.Scores)
		}
		if !reflect.DeepEqual(v.Products, map[Status][]string{KnownAffected: all}) {
			t.Errorf("status %v", v.Products)
		}
		if len(v.Remediations) != 1 || v.Remediations[0].Category != "mitigation" || !reflect.DeepEqual(v.Remediations[0].ProductIDs, all) {
			t.Errorf("remediations %+v", v.Remediations)
		}
	})

	t.Run("model numbers ICSA-23-047-02", func(t *testing.T) {
		advs, _ := readAll(t, filepath.Join(data, "cisa-csaf-icsa-sample/2023/icsa-23-047-02.json"))
		if len(advs) != 1 {
			t.Fatalf("%d advisories", len(advs))
		}
		p := advs[0].Products["CSAFPID-0001"]
		if p.Name != "SCALANCE X200-4P IRT (6GK5200-4AH00-2BA3)" || !reflect.DeepEqual(p.ModelNumbers, []string{"6GK5200-4AH00-2BA3"}) {
			t.Errorf("product %+v", p)
		}
	})

	// The OT ROLIE feed lists remote URLs only: each entry is reported,
	// none fetched.
	t.Run("ROLIE feed", func(t *testing.T) {
		path := filepath.Join(data, "cisa-csaf-icsma/cisa-csaf-ot-feed-tlp-white.json")
		raw := rawJSONFiles(t, filepath.Dir(path))[path]
		entries := len(list(obj(raw["feed"])["entry"]))
		advs, rep := readAll(t, path)
		if entries != 2379 || len(advs) != 0 || rep.Read != entries || len(rep.Rejected) != entries {
			t.Fatalf("%d entries, %d advisories, report read %d rejected %d", entries, len(advs), rep.Read, len(rep.Rejected))
		}
		for _, r := range rep.Rejected {
			if !errors.Is(r.Err, ErrRemote) {
				t.Fatalf("rejection %v is not ErrRemote", r)
			}
		}
	})

	// VEX: every file reads, or is named here with the reason.
	vexTests := []struct {
		dir      string
		rejected map[string]string // file (relative to dir) → reason substring
	}{
		{"openvex", map[string]string{
			// Chainguard's index of its OpenVEX files, not a VEX document.
			"chainguard_libraries/test-fixtures/input/openvex/all.json": "not a VEX document",
		}},
		{"cyclonedx-bom-examples/VEX", map[string]string{
			// The SBOMs the VEX use cases refer to: no vulnerabilities.
			"bom.json":                         "without vulnerabilities",
			"CISA-Use-Cases/Case-7/bom-1.json": "without vulnerabilities",
			"CISA-Use-Cases/Case-7/bom-2.json": "without vulnerabilities",
			"CISA-Use-Cases/Case-8/bom-1.json": "without vulnerabilities",
			"CISA-Use-Cases/Case-8/bom-2.json": "without vulnerabilities",
			"Use-Cases/Case-6/bom-1.json":      "without vulnerabilities",
			"Use-Cases/Case-6/bom-2.json":      "without vulnerabilities",
			"Use-Cases/Case-6/bom-3.json":      "without vulnerabilities",
			"Use-Cases/Case-9/bom-1.json":      "without vulnerabilities",
			"Use-Cases/Case-9/bom-2.json":      "without vulnerabilities",
			"Use-Cases/Case-9/bom-3.json":      "without vulnerabilities",
			"Use-Cases/Case-13/bom-1.json":     "without vulnerabilities",
			"Use-Cases/Case-13/bom-2.json":     "without vulnerabilities",
			"Use-Cases/Case-13/bom-3.json":     "without vulnerabilities",
		}},
	}
	for _, tt := range vexTests {
		t.Run(tt.dir, func(t *testing.T) {
			root := filepath.Join(data, tt.dir)
			stmts, rep := readVEX(t, root)
			raw := rawJSONFiles(t, root)
			// Independent count: OpenVEX statements; CycloneDX vulnerabilities
			// with an analysis state.
			want := map[string]int{}
			for _, d := range raw {
				for _, s := range list(d["statements"]) {
					want[obj(s)["status"].(string)]++
				}
				for _, v := range list(d["vulnerabilities"]) {
					if st, ok := obj(obj(v)["analysis"])["state"].(string); ok {
						want[map[string]string{"resolved": "fixed", "resolved_with_pedigree": "fixed", "exploitable": "affected",
							"in_triage": "under_investigation", "false_positive": "not_affected", "not_affected": "not_affected"}[st]]++
					}
				}
			}
			got := map[string]int{}
			for _, s := range stmts {
				got[s.Status]++
				if s.Vulnerability == "" || s.Format == "" {
					t.Errorf("statement without vulnerability or format: %+v", s)
				}
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("statements by status\n got %v\nwant %v", got, want)
			}
			if rep.Read != len(raw) || rep.Accepted != len(raw)-len(tt.rejected) {
				t.Errorf("report read %d accepted %d; %d files, %d expected rejections", rep.Read, rep.Accepted, len(raw), len(tt.rejected))
			}
			for _, r := range rep.Rejected {
				rel, _ := filepath.Rel(root, r.Path)
				if reason, ok := tt.rejected[filepath.ToSlash(rel)]; !ok || !strings.Contains(r.Reason, reason) {
					t.Errorf("unexpected rejection %v", r)
				}
			}
			if len(rep.Rejected) != len(tt.rejected) {
				t.Errorf("%d rejections, want %d", len(rep.Rejected), len(tt.rejected))
			}
		})
	}
}
