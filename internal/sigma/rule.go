// Package sigma is Vigil's own Sigma engine: it parses Sigma detection and
// correlation rules, compiles them into a matcher that works on raw JSON
// events (CloudTrail records), and correlates matches in event time.
//
// It owns rule semantics only. It must not read files, ingest events or store
// alerts: callers pass rule bytes and event bytes in and receive matches.
// A rule that uses a feature the engine does not implement is rejected with
// an error wrapping ErrUnsupported that names the rule and the feature; it is
// never silently passed.
package sigma

import (
	"errors"
	"fmt"
	"time"
)

// ErrUnsupported is wrapped by every error about a Sigma feature the engine
// does not implement. The error text names the rule and the feature.
var ErrUnsupported = errors.New("unsupported Sigma feature")

// ErrSyntax is wrapped by every error about a malformed rule or condition.
var ErrSyntax = errors.New("invalid Sigma rule")

// UnsupportedError reports a rule that uses a feature the engine lacks.
type UnsupportedError struct {
	Pos     string // "file:line"
	Rule    string // rule title or id
	Feature string
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("%s: rule %q: unsupported feature: %s", e.Pos, e.Rule, e.Feature)
}

// Unwrap lets errors.Is(err, ErrUnsupported) succeed.
func (e *UnsupportedError) Unwrap() error { return ErrUnsupported }

// Rule is one parsed Sigma document: a detection rule or a correlation rule.
type Rule struct {
	File           string
	Line           int
	Title          string
	ID             string
	Name           string
	Status         string
	Description    string
	Level          string
	Tags           []string
	Logsource      Logsource
	Detection      *Detection   // nil for correlation rules
	Correlation    *Correlation // nil for detection rules
	Fields         []string
	FalsePositives []string
}

// Logsource is the rule's log source.
type Logsource struct {
	Product  string
	Service  string
	Category string
}

// Detection is the detection section: named selections and the condition.
type Detection struct {
	Selections map[string]*Selection
	// Conditions holds the condition strings; several are OR-ed.
	Conditions []string
	// Cond is the parsed condition, the OR of Conditions.
	Cond Cond
}

// Selection is a named search identifier. It matches when any of its
// alternatives matches; an alternative matches when all its field
// conditions match (a map is one alternative, a list of maps several).
type Selection struct {
	Name string
	Line int
	Alts [][]*FieldCond
}

// FieldCond is one `field|mod|mod: values` entry. Field is empty for a
// keyword search. Values are OR-ed unless the modifier `all` is present.
type FieldCond struct {
	Field     string
	Modifiers []string
	Values    []Value
	Line      int
}

// ValueKind tells how a YAML scalar was written.
type ValueKind int

// Value kinds.
const (
	KindString ValueKind = iota
	KindNumber
	KindBool
	KindNull
)

// Value is one YAML scalar of a detection.
type Value struct {
	Kind ValueKind
	S    string // the text as written (numbers and booleans included)
}

// CorrelationType names a Sigma correlation type.
type CorrelationType string

// Supported correlation types.
const (
	EventCount      CorrelationType = "event_count"
	ValueCount      CorrelationType = "value_count"
	Temporal        CorrelationType = "temporal"
	TemporalOrdered CorrelationType = "temporal_ordered"
)

// Correlation is the correlation section of a correlation rule.
type Correlation struct {
	Type     CorrelationType
	Rules    []string // ids or names of the referenced rules
	GroupBy  []string
	Timespan time.Duration
	Field    string // value_count only
	// Condition: Op is one of gte, gt, lte, lt, eq, range (the last uses
	// N and Max); empty for temporal rules without a condition.
	Op  string
	N   float64
	Max float64
}
