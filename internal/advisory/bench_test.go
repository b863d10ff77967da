package advisory

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// nvdPage writes an API 2.0 page of n records, copies of the first
// record of testdata/nvd/page.json (CVSS 3.1 and 4.0, an AND configuration)
// under distinct IDs, and returns its path and size.
func nvdPage(b *testing.B, n int) (string, int64) {
	var page struct {
		Vulnerabilities []json.RawMessage `json:"vulnerabilities"`
	}
	if err := json.Unmarshal(mustReadB(b, "testdata/nvd/page.json"), &page); err != nil {
		b.Fatal(err)
	}
	var item map[string]map[string]any
	json.Unmarshal(page.Vulnerabilities[0], &item)
	path := filepath.Join(b.TempDir(), "page.json")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	fmt.Fprintf(f, `{"resultsPerPage":%d,"startIndex":0,"totalResults":%d,"format":"NVD_CVE","version":"2.0","vulnerabilities":[`, n, n)
	for i := range n {
		item["cve"]["id"] = fmt.Sprintf("CVE-2099-%05d", i)
		rec, _ := json.Marshal(item)
		if i > 0 {
			f.WriteString(",")
		}
		f.Write(rec)
	}
	f.WriteString("]}")
	f.Close()
	info, _ := os.Stat(path)
	return path, info.Size()
}

func mustReadB(b *testing.B, path string) []byte {
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	return data
}

func BenchmarkReadNVD(b *testing.B) {
	for _, n := range []int{1_000, 10_000} {
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) {
			path, size := nvdPage(b, n)
			b.SetBytes(size)
			b.ReportAllocs()
			records := 0
			for b.Loop() {
				err := ReadNVD(path, func(*Advisory) error { records++; return nil })
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
