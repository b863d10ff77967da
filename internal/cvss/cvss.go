// Package cvss parses, validates and scores Common Vulnerability Scoring
// System vectors: CVSS v3.0 and v3.1 (base, temporal and environmental
// scores, with the v3.1 Roundup of Appendix A) and CVSS v4.0 (the
// MacroVector lookup and interpolation of the FIRST reference calculator,
// reporting CVSS-B, -BT, -BE or -BTE according to the metrics set).
//
// It owns nothing but the vector and its arithmetic: it does no I/O, keeps
// no state, and knows nothing of devices, advisories or the medical-device
// rubric; those build on Vector.With. It must not panic on any input.
package cvss

import (
	"errors"
	"fmt"
	"strings"
)

// Version is a CVSS version as written in a vector's prefix.
type Version string

// The versions Parse accepts.
const (
	V30 Version = "3.0"
	V31 Version = "3.1"
	V40 Version = "4.0"
)

// ErrPrefix means the vector does not start with "CVSS:3.0/", "CVSS:3.1/"
// or "CVSS:4.0/".
var ErrPrefix = errors.New("missing or unsupported CVSS prefix")

// ErrSyntax means a field is empty or not of the form METRIC:VALUE.
var ErrSyntax = errors.New("malformed field")

// ErrUnknownMetric means a metric abbreviation the version does not define.
var ErrUnknownMetric = errors.New("unknown metric")

// ErrDuplicate means a metric appears more than once.
var ErrDuplicate = errors.New("duplicate metric")

// ErrValue means a value the metric does not allow.
var ErrValue = errors.New("invalid value")

// ErrMissing means a mandatory base metric is absent.
var ErrMissing = errors.New("missing mandatory metric")

// ParseError reports where a vector is wrong: the byte offset in the input
// of the offending field (the input's length for a missing metric), the
// metric it concerns when known, and the reason, one of the sentinel errors
// above.
type ParseError struct {
	Offset int
	Metric string
	Value  string
	Err    error
}

func (e *ParseError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "cvss: offset %d", e.Offset)
	if e.Metric != "" {
		fmt.Fprintf(&b, ": metric %q", e.Metric)
	}
	if e.Value != "" {
		fmt.Fprintf(&b, ": value %q", e.Value)
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	return b.String()
}

func (e *ParseError) Unwrap() error { return e.Err }

// Vector is a parsed, valid CVSS vector. It is immutable: With returns a
// modified copy. The zero Vector is not valid; obtain one from Parse.
type Vector struct {
	ver Version
	// vals[i] is 0 when metric i of the version's table is absent or Not
	// Defined (X), else 1 + the index of its value in the metric's list.
	vals [maxMetrics]uint8
}

func defsFor(v Version) ([]metricDef, map[string]int) {
	if v == V40 {
		return metrics4, index4
	}
	return metrics3, index3
}

// Parse parses a CVSS v3.0, v3.1 or v4.0 vector string such as
// "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N". It is strict: the prefix
// is required, every base metric must be present, no metric may repeat, and
// only the values the specification defines (case-sensitive) are accepted.
// Metrics may come in any order; String gives the canonical order. Errors
// are *ParseError (several joined with errors.Join when base metrics are
// missing) and match the sentinel errors with errors.Is.
func Parse(s string) (*Vector, error) {
	v := &Vector{}
	const lead = "CVSS:"
	if !strings.HasPrefix(s, lead) {
		return nil, &ParseError{Offset: 0, Err: ErrPrefix}
	}
	rest := s[len(lead):]
	slash := strings.IndexByte(rest, '/')
	if slash < 0 {
		return nil, &ParseError{Offset: len(lead), Value: rest, Err: ErrPrefix}
	}
	switch ver := Version(rest[:slash]); ver {
	case V30, V31, V40:
		v.ver = ver
	default:
		return nil, &ParseError{Offset: len(lead), Value: string(ver), Err: ErrPrefix}
	}
	defs, idx := defsFor(v.ver)
	off := len(lead) + slash + 1
	body := s[off:]
	var seen uint64
	for {
		field, after, more := strings.Cut(body, "/")
		name, value, ok := strings.Cut(field, ":")
		switch {
		case field == "":
			return nil, &ParseError{Offset: off, Err: ErrSyntax}
		case !ok:
			return nil, &ParseError{Offset: off, Value: field, Err: ErrSyntax}
		}
		i, known := idx[name]
		if !known {
			return nil, &ParseError{Offset: off, Metric: name, Err: ErrUnknownMetric}
		}
		if seen&(1<<i) != 0 {
			return nil, &ParseError{Offset: off, Metric: name, Err: ErrDuplicate}
		}
		seen |= 1 << i
		k := valueIndex(defs[i].values, value)
		if k < 0 {
			return nil, &ParseError{Offset: off + len(name) + 1, Metric: name, Value: value, Err: ErrValue}
		}
		if value != "X" { // Not Defined is kept as absent
			v.vals[i] = uint8(k + 1)
		}
		if !more {
			break
		}
		off += len(field) + 1
		body = after
	}
	var missing []error
	for i, d := range defs {
		if d.group == groupBase && v.vals[i] == 0 {
			missing = append(missing, &ParseError{Offset: len(s), Metric: d.name, Err: ErrMissing})
		}
	}
	if len(missing) > 0 {
		return nil, errors.Join(missing...)
	}
	return v, nil
}

func valueIndex(values []string, value string) int {
	for k, x := range values {
		if x == value {
			return k
		}
	}
	return -1
}

// Version reports the vector's CVSS version.
func (v *Vector) Version() Version { return v.ver }

// String returns the vector in canonical form: the prefix, then every
// metric that is set, in the order the specification lists them, leaving
// out metrics that are Not Defined (X), which mean the same as absent.
func (v *Vector) String() string {
	defs, _ := defsFor(v.ver)
	var b strings.Builder
	b.Grow(128)
	b.WriteString("CVSS:")
	b.WriteString(string(v.ver))
	for i, d := range defs {
		k := v.vals[i]
		if k == 0 || d.values[k-1] == "X" {
			continue
		}
		b.WriteByte('/')
		b.WriteString(d.name)
		b.WriteByte(':')
		b.WriteString(d.values[k-1])
	}
	return b.String()
}

// Metric returns the value of the named metric (its abbreviation, e.g.
// "AV", "MAV", "CR") and whether the vector's version defines that metric.
// An optional metric that is absent reports "X" (Not Defined).
func (v *Vector) Metric(name string) (string, bool) {
	defs, idx := defsFor(v.ver)
	i, ok := idx[name]
	if !ok {
		return "", false
	}
	return v.value(defs, i), true
}

func (v *Vector) value(defs []metricDef, i int) string {
	if k := v.vals[i]; k != 0 {
		return defs[i].values[k-1]
	}
	return "X"
}

// With returns a copy of v with metric set to value; v is unchanged.
// Setting an optional metric to "X" removes it. It fails, wrapping
// ErrUnknownMetric or ErrValue, when the version does not define the metric
// or the value (base metrics cannot be X).
func (v *Vector) With(metric, value string) (*Vector, error) {
	defs, idx := defsFor(v.ver)
	i, ok := idx[metric]
	if !ok {
		return nil, fmt.Errorf("cvss %s: %q: %w", v.ver, metric, ErrUnknownMetric)
	}
	k := valueIndex(defs[i].values, value)
	if k < 0 {
		return nil, fmt.Errorf("cvss %s: %s:%s: %w", v.ver, metric, value, ErrValue)
	}
	w := *v
	w.vals[i] = uint8(k + 1)
	if value == "X" {
		w.vals[i] = 0
	}
	return &w, nil
}

// set reports whether any metric of group g is set to something other
// than Not Defined.
func (v *Vector) set(g group) bool {
	defs, _ := defsFor(v.ver)
	for i, d := range defs {
		if d.group == g && v.vals[i] != 0 && d.values[v.vals[i]-1] != "X" {
			return true
		}
	}
	return false
}

// BaseScore returns the base score: for 3.x the specification's base
// equation; for 4.0 the CVSS-B score, computed from the base metrics alone
// (threat and environmental metrics ignored).
func (v *Vector) BaseScore() float64 {
	if v.ver == V40 {
		return v.score4(false, false)
	}
	return v.scores3().base
}

// TemporalScore returns the 3.x temporal score (equal to the base score
// when no temporal metric is set). For 4.0 it returns the CVSS-BT score:
// base and threat metrics, environmental ones ignored.
func (v *Vector) TemporalScore() float64 {
	if v.ver == V40 {
		return v.score4(true, false)
	}
	return v.scores3().temporal
}

// EnvironmentalScore returns the 3.x environmental score, computed whether
// or not environmental metrics are set (in 3.1 it can differ from the base
// score even then, because of the modified-impact equation). For 4.0 it
// returns the score from every metric set, as Score does.
func (v *Vector) EnvironmentalScore() float64 {
	if v.ver == V40 {
		return v.score4(true, true)
	}
	return v.scores3().environmental
}

// Score returns the score that describes the vector as written. For 3.x:
// the environmental score if any environmental metric is set, else the
// temporal score if any temporal metric is set, else the base score. For
// 4.0: the score from every metric set, which Nomenclature names.
func (v *Vector) Score() float64 {
	if v.ver == V40 {
		return v.score4(true, true)
	}
	s := v.scores3()
	switch {
	case v.set(groupEnvironmental):
		return s.environmental
	case v.set(groupTemporal):
		return s.temporal
	}
	return s.base
}

// Nomenclature names what Score measures, as the 4.0 specification asks
// scores to be labelled: "CVSS-B", "CVSS-BT", "CVSS-BE" or "CVSS-BTE". For
// 3.x it returns "Base", "Temporal" or "Environmental" on the same rule
// Score follows.
func (v *Vector) Nomenclature() string {
	t, e := v.set(groupTemporal), v.set(groupEnvironmental)
	if v.ver == V40 {
		n := "CVSS-B"
		if t {
			n += "T"
		}
		if e {
			n += "E"
		}
		return n
	}
	switch {
	case e:
		return "Environmental"
	case t:
		return "Temporal"
	}
	return "Base"
}

// Severity returns the qualitative severity rating of Score: "None" (0.0),
// "Low" (0.1-3.9), "Medium" (4.0-6.9), "High" (7.0-8.9) or "Critical"
// (9.0-10.0), the same scale in 3.x and 4.0.
func (v *Vector) Severity() string { return SeverityOf(v.Score()) }

// SeverityOf maps a score to its qualitative severity rating.
func SeverityOf(score float64) string {
	switch {
	case score <= 0:
		return "None"
	case score < 4.0:
		return "Low"
	case score < 7.0:
		return "Medium"
	case score < 9.0:
		return "High"
	}
	return "Critical"
}
