package codec

import (
	"cmp"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/vigil-iomt/vigil/internal/store"
)

// Rubric is one row of the rubric table, and of rubric_history without
// its seq. Answers is the JSON object of the answers, its keys sorted (as
// encoding/json writes a map), so that equal answers encode equally and a
// write of the answers in force is found to change nothing.
type Rubric struct {
	Vulnerability, Vendor, Model string
	Answers, By                  string
	At                           int64
	Note                         string
}

// planRubric encodes the batch's rubric answers, the last occurrence of
// each key, sorted by (vulnerability, vendor, model).
func (p *Plan) planRubric() {
	b := p.b
	if len(b.Rubric) == 0 {
		return
	}
	p.Rubric = make([]Rubric, len(b.Rubric))
	for i := range b.Rubric {
		r := &b.Rubric[i]
		p.Rubric[i] = Rubric{Vulnerability: r.Vulnerability, Vendor: r.Vendor, Model: r.Model,
			Answers: EncodeAnswers(r.Answers), By: r.By, At: Nanos(r.At), Note: r.Note}
	}
	p.Rubric = lastByKey(p.Rubric, func(a, b Rubric) int {
		return cmp.Or(strings.Compare(a.Vulnerability, b.Vulnerability), strings.Compare(a.Vendor, b.Vendor),
			strings.Compare(a.Model, b.Model))
	})
}

// EncodeAnswers returns the answers column of answers: a JSON object,
// its keys sorted.
func EncodeAnswers(answers map[string]string) string {
	if answers == nil {
		answers = map[string]string{}
	}
	out, _ := json.Marshal(answers) // strings always encode
	return string(out)
}

// Record decodes a rubric row read back, its time in UTC; its Answers are
// never nil.
func (r Rubric) Record() (store.RubricRecord, error) {
	answers := map[string]string{}
	if err := json.Unmarshal([]byte(r.Answers), &answers); err != nil {
		return store.RubricRecord{}, fmt.Errorf("rubric %q %q %q: answers: %w", r.Vulnerability, r.Vendor, r.Model, err)
	}
	if answers == nil { // the column held null
		answers = map[string]string{}
	}
	return store.RubricRecord{Vulnerability: r.Vulnerability, Vendor: r.Vendor, Model: r.Model, Answers: answers,
		By: r.By, At: Time(r.At), Note: r.Note}, nil
}

// DecodeRubric decodes rubric rows; it never returns nil.
func DecodeRubric(rs []Rubric) ([]store.RubricRecord, error) {
	out := make([]store.RubricRecord, len(rs))
	for i, r := range rs {
		var err error
		if out[i], err = r.Record(); err != nil {
			return nil, err
		}
	}
	return out, nil
}
