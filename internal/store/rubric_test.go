package store

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestBatchValidateRubric(t *testing.T) {
	t0 := time.Date(2025, 3, 14, 9, 26, 53, 589793238, time.UTC)
	r := func(vuln string) RubricRecord {
		return RubricRecord{Vulnerability: vuln, Vendor: "Acme", Model: "Pump 3000", Answers: map[string]string{"q1": "yes"}, By: "biomed", At: t0}
	}
	tests := []struct {
		name string
		b    *Batch
		want []string // substrings of the error, one per problem; none: valid
	}{
		{"valid", &Batch{Rubric: []RubricRecord{r("CVE-1"), r("CVE-1"), // a repeated key: the last wins
			{Vulnerability: "v", Vendor: "ü", Model: "m", Answers: map[string]string{"q": "a", "ß": "Ω"}, By: "b", At: MinTime, Note: "n"},
			{Vulnerability: "v", Vendor: "x", Model: "m", Answers: map[string]string{"q": "a"}, By: "b", At: MaxTime}}}, nil},
		{"key and by", &Batch{Rubric: []RubricRecord{
			{Answers: map[string]string{"q": "a"}, At: t0},
			{Vulnerability: "v\x00", Vendor: "\xff", Model: "m", By: "b\x00", Note: "\xff", Answers: map[string]string{"q": "a"}, At: t0},
		}}, []string{"rubric[0]: empty vulnerability, vendor, model or by", `rubric[1]: vulnerability "v\x00"`,
			`rubric[1]: vendor "\xff"`, `rubric[1]: by "b\x00"`, `rubric[1]: note "\xff"`}},
		{"answers", &Batch{Rubric: []RubricRecord{
			{Vulnerability: "v", Vendor: "a", Model: "m", By: "b", At: t0},
			{Vulnerability: "v", Vendor: "b", Model: "m", By: "b", At: t0, Answers: map[string]string{}},
			{Vulnerability: "v", Vendor: "c", Model: "m", By: "b", At: t0, Answers: map[string]string{"": "a"}},
			{Vulnerability: "v", Vendor: "d", Model: "m", By: "b", At: t0, Answers: map[string]string{"q": ""}},
			{Vulnerability: "v", Vendor: "e", Model: "m", By: "b", At: t0, Answers: map[string]string{"q\x00": "a"}},
			{Vulnerability: "v", Vendor: "f", Model: "m", By: "b", At: t0, Answers: map[string]string{"q": "\xff"}},
		}}, []string{`rubric[0] "v" "a" "m": no answers`, `rubric[1] "v" "b" "m": no answers`, `rubric[2] "v" "c" "m": answer ""`,
			`rubric[3] "v" "d" "m": answer "q" = ""`, `rubric[4] "v" "e" "m": answer "q\x00"`, `rubric[5] "v" "f" "m": answer "q" = "\xff"`}},
		{"time", &Batch{Rubric: []RubricRecord{
			{Vulnerability: "v", Vendor: "a", Model: "m", By: "b", Answers: map[string]string{"q": "a"}},
			{Vulnerability: "v", Vendor: "b", Model: "m", By: "b", Answers: map[string]string{"q": "a"}, At: MaxTime.Add(1)},
			{Vulnerability: "v", Vendor: "c", Model: "m", By: "b", Answers: map[string]string{"q": "a"}, At: MinTime.Add(-1)},
		}}, []string{`rubric[0] "v" "a" "m": time`, `rubric[1] "v" "b" "m": time`, `rubric[2] "v" "c" "m": time`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.b.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidBatch) {
				t.Fatalf("Validate: %v, want ErrInvalidBatch", err)
			}
			msg := err.Error()
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error lacks %q:\n%s", w, msg)
				}
			}
			if got := strings.Count(msg, "\n") + 1; got != len(tt.want) {
				t.Errorf("error has %d problems, want %d:\n%s", got, len(tt.want), msg)
			}
		})
	}
}
