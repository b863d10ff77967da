package advisory

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// addSeeds adds every .json file of the folders as a fuzz seed.
func addSeeds(f *testing.F, dirs ...string) {
	for _, dir := range dirs {
		files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
}

// fuzzRead runs read twice over data and checks what a caller relies on:
// no panic, good records valid, every rejection located in the document,
// and the same result both times.
func fuzzRead(t *testing.T, data []byte, read func(*report, func(*Advisory) error) error, check func(*Advisory) bool) {
	once := func() ([]*Advisory, []string) {
		var rep report
		var got []*Advisory
		if err := read(&rep, func(a *Advisory) error { got = append(got, a); return nil }); err != nil {
			t.Fatalf("a read of bytes returned a fatal error: %v", err)
		}
		var errs []string
		for _, e := range rep.rejected {
			if e.Path != "fuzz.json" || (e.Pointer != "" && !strings.HasPrefix(e.Pointer, "/")) {
				t.Fatalf("badly located rejection %+v", e)
			}
			errs = append(errs, e.Error())
		}
		for _, a := range got {
			if !check(a) {
				t.Fatalf("accepted an invalid record %+v", a)
			}
		}
		return got, errs
	}
	got1, errs1 := once()
	got2, errs2 := once()
	if !reflect.DeepEqual(got1, got2) || !reflect.DeepEqual(errs1, errs2) {
		t.Fatal("two reads of the same bytes differ")
	}
}

func FuzzOSV(f *testing.F) {
	addSeeds(f, "testdata/osv", "testdata/osv-broken")
	f.Add([]byte(`[{"id":"X","modified":"2024-01-01T00:00:00Z"},{"id":1}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzRead(t, data, func(rep *report, fn func(*Advisory) error) error {
			return readOSVStream("fuzz.json", bytes.NewReader(data), rep, fn)
		}, func(a *Advisory) bool {
			if a.ID == "" || a.Source != SourceOSV || a.Modified.IsZero() {
				return false
			}
			for _, aff := range a.Affected {
				for _, r := range aff.Ranges {
					for _, e := range r.Events {
						n := 0
						for _, v := range []string{e.Introduced, e.Fixed, e.LastAffected, e.Limit} {
							if v != "" {
								n++
							}
						}
						// An event may state "" as its one value; never two.
						if n > 1 {
							return false
						}
					}
				}
			}
			return true
		})
	})
}

func FuzzNVD(f *testing.F) {
	addSeeds(f, "testdata/nvd", "testdata/nvd-broken")
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzRead(t, data, func(rep *report, fn func(*Advisory) error) error {
			return readNVDStream("fuzz.json", bytes.NewReader(data), rep, fn)
		}, func(a *Advisory) bool {
			if !isCVE(a.ID) || a.Source != SourceNVD || a.Published.IsZero() {
				return false
			}
			for _, c := range a.Configurations {
				for _, n := range c.Nodes {
					if (n.Operator != "AND" && n.Operator != "OR") || len(n.Matches) == 0 {
						return false
					}
					for _, m := range n.Matches {
						if checkCPE(m.Criteria) != nil {
							return false
						}
					}
				}
			}
			return true
		})
	})
}
