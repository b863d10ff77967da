package codec

import (
	"reflect"
	"testing"
	"time"

	"github.com/vigil-iomt/vigil/internal/store"
)

func TestPlanRubric(t *testing.T) {
	at := time.Date(2025, 3, 14, 9, 26, 53, 589793238, time.UTC)
	r := func(vuln, vendor, by string, answers map[string]string) store.RubricRecord {
		return store.RubricRecord{Vulnerability: vuln, Vendor: vendor, Model: "m", Answers: answers, By: by, At: at}
	}
	p, err := Prepare(&store.Batch{Rubric: []store.RubricRecord{
		r("v2", "a", "first", map[string]string{"q": "a"}),
		r("v1", "b", "x", map[string]string{"z": "1", "a": "2", "m": "3"}),
		r("v1", "B", "x", map[string]string{"q": "a"}),
		r("v2", "a", "last", map[string]string{"q": "b"}),
	}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, row := range p.Rubric {
		got = append(got, row.Vulnerability+"|"+row.Vendor+"|"+row.By+"|"+row.Answers)
	}
	want := []string{`v1|B|x|{"q":"a"}`, `v1|b|x|{"a":"2","m":"3","z":"1"}`, `v2|a|last|{"q":"b"}`} // byte order, keys sorted, last wins
	if !reflect.DeepEqual(got, want) {
		t.Errorf("planned rubric rows:\n got %q\nwant %q", got, want)
	}
	rec, err := p.Rubric[1].Record()
	if err != nil {
		t.Fatal(err)
	}
	if wantRec := r("v1", "b", "x", map[string]string{"z": "1", "a": "2", "m": "3"}); !reflect.DeepEqual(rec, wantRec) {
		t.Errorf("Record: got %+v, want %+v", rec, wantRec)
	}
	for _, col := range []string{"null", "{}"} {
		if rec, err := (Rubric{Answers: col, At: ZeroTime}).Record(); err != nil || rec.Answers == nil {
			t.Errorf("Record of answers %s: %+v, %v; want a non-nil map", col, rec.Answers, err)
		}
	}
	if _, err := (Rubric{Answers: "[1]"}).Record(); err == nil {
		t.Error("Record of answers that are not an object succeeded")
	}
}
