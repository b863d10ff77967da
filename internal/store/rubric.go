package store

import "time"

// RubricRecord is the answers to the medical-device CVSS rubric (MITRE's
// rubric for applying CVSS to medical devices) for one vulnerability on
// one device model: who answered, when and why. Commit upserts it by
// (Vulnerability, Vendor, Model) and keeps the record it replaces in a
// history (see Batch.Rubric), so that both the answers in force and how
// they came to be are kept.
type RubricRecord struct {
	// Vulnerability, Vendor and Model are the key. Vendor and Model are
	// compared exactly as given: the caller normalizes them.
	Vulnerability, Vendor, Model string
	// Answers maps a rubric question ID to its answer. It is stored and
	// returned whole; it may not be empty, nor hold an empty question or
	// answer.
	Answers map[string]string
	// By is who answered (a person or a policy), At when.
	By string
	At time.Time
	// Note is why, or anything else the answerer wants kept.
	Note string
}

// RubricQuery filters Rubrics. Zero values do not filter.
type RubricQuery struct {
	Vulnerability, Vendor, Model string
}

// validateRubric reports, with bad, the problems of the batch's rubric
// answers (see Batch.Validate).
func (b *Batch) validateRubric(bad func(format string, args ...any)) {
	for i := range b.Rubric {
		r := &b.Rubric[i]
		if r.Vulnerability == "" || r.Vendor == "" || r.Model == "" || r.By == "" {
			bad("rubric[%d]: empty vulnerability, vendor, model or by (%q, %q, %q, %q)", i, r.Vulnerability, r.Vendor, r.Model, r.By)
		}
		for _, c := range []struct{ name, v string }{
			{"vulnerability", r.Vulnerability}, {"vendor", r.Vendor}, {"model", r.Model}, {"by", r.By}, {"note", r.Note},
		} {
			if !validText(c.v) {
				bad("rubric[%d]: %s %q is not valid UTF-8 without NUL", i, c.name, c.v)
			}
		}
		if len(r.Answers) == 0 {
			bad("rubric[%d] %q %q %q: no answers", i, r.Vulnerability, r.Vendor, r.Model)
		}
		for q, a := range r.Answers {
			if q == "" || a == "" || !validText(q) || !validText(a) {
				bad("rubric[%d] %q %q %q: answer %q = %q is empty or not valid UTF-8 without NUL", i, r.Vulnerability, r.Vendor, r.Model, q, a)
			}
		}
		if r.At.IsZero() || !timeInRange(r.At) {
			bad("rubric[%d] %q %q %q: time %s is zero or out of range", i, r.Vulnerability, r.Vendor, r.Model, r.At)
		}
	}
}
