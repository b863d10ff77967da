package zeek

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestSmoke(t *testing.T) {
	files, _ := filepath.Glob("/work/shared/data/zeek-*/*/*")
	f2, _ := filepath.Glob("/work/shared/data/zeek-*/*/*/*")
	f3, _ := filepath.Glob("/work/shared/data/zeek-maccdc2012-00016/*.log")
	files = append(append(files, f2...), f3...)
	for _, p := range files {
		if filepath.Ext(p) == ".md" || filepath.Ext(p) == ".cff" || filepath.Base(p) == "LICENSE" || filepath.Ext(p) == ".config" {
			continue
		}
		if st, _ := os.Stat(p); st.IsDir() {
			continue
		}
		f, err := Open(p)
		if err != nil {
			t.Fatal(err)
		}
		r := NewReader(f, p, Options{})
		n, bad, ev := 0, 0, 0
		for {
			rec, err := r.Next()
			if err == io.EOF {
				break
			}
			var re *RecordError
			if errors.As(err, &re) {
				if bad < 3 {
					t.Errorf("%v", err)
				}
				bad++
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			n++
			if rec.Event != nil {
				ev++
			}
		}
		f.Close()
		t.Logf("%s: %d records (%d events), %d bad", p, n, ev, bad)
	}
}
