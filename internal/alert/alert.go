// Package alert defines Vigil's alert model: what was detected, on which
// device, how severe, why (evidence), which ATT&CK techniques and D3FEND
// countermeasures it maps to, its de-duplication key with count and
// first/last occurrence, and its triage status with history.
//
// It owns plain data types and their small pure helpers. It detects
// nothing and stores nothing: detectors build alerts, the store keeps them.
package alert

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// Severity orders how urgently an alert needs a human.
type Severity uint8

// Severities, least to most urgent.
const (
	Info Severity = iota + 1
	Low
	Medium
	High
	Critical
)

var severityNames = [...]string{Info: "info", Low: "low", Medium: "medium", High: "high", Critical: "critical"}

func (s Severity) String() string {
	if s >= Info && s <= Critical {
		return severityNames[s]
	}
	return fmt.Sprintf("severity(%d)", uint8(s))
}

// ParseSeverity parses a severity name.
func ParseSeverity(name string) (Severity, error) {
	for s := Info; s <= Critical; s++ {
		if severityNames[s] == name {
			return s, nil
		}
	}
	return 0, fmt.Errorf("severity %q: want info, low, medium, high or critical", name)
}

// MarshalText writes the severity's name.
func (s Severity) MarshalText() ([]byte, error) {
	if s < Info || s > Critical {
		return nil, fmt.Errorf("invalid severity %d", uint8(s))
	}
	return []byte(s.String()), nil
}

// UnmarshalText reads a severity's name.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Raise returns the next severity up, capped at Critical: alerts on
// life-sustaining devices are raised one step.
func (s Severity) Raise() Severity {
	if s >= Critical {
		return Critical
	}
	return s + 1
}

// Status is where an alert stands in triage.
type Status string

// Statuses.
const (
	Open         Status = "open"
	Acknowledged Status = "acknowledged"
	Resolved     Status = "resolved"
	Suppressed   Status = "suppressed"
)

// Valid reports whether s is one of the defined statuses.
func (s Status) Valid() bool {
	switch s {
	case Open, Acknowledged, Resolved, Suppressed:
		return true
	}
	return false
}

// Alert is one detection, de-duplicated: repeated occurrences with the
// same DedupKey raise Count and move LastSeen instead of making new alerts.
type Alert struct {
	ID          string     `json:"id"`
	DedupKey    string     `json:"dedup_key"`
	Detector    string     `json:"detector"`
	DeviceID    string     `json:"device_id,omitempty"`
	Severity    Severity   `json:"severity"`
	Title       string     `json:"title"`
	Explanation string     `json:"explanation"`
	Evidence    []Evidence `json:"evidence"`
	// Attack lists ATT&CK technique IDs (Enterprise T…, ICS T0…).
	Attack []string `json:"attack"`
	// D3FEND lists D3FEND countermeasure IDs (D3-…).
	D3FEND []string `json:"d3fend"`
	// FirstSeen and LastSeen are the event times of the first and latest
	// occurrence; Count is how many occurrences there were.
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	Count     int64     `json:"count"`
	// Status and History are triage state, changed by people (or by a
	// policy), never by a detector re-firing, with one exception: a
	// resolved alert that occurs again (its count grows) is reopened by
	// the store, with a history entry by "vigil".
	Status  Status         `json:"status"`
	History []StatusChange `json:"history"`
}

// Evidence is one reason behind an alert.
type Evidence struct {
	// Kind is "event", "baseline", "rule" or "policy".
	Kind    string `json:"kind"`
	Summary string `json:"summary"`
	// Time is the event time the evidence refers to, when it has one.
	Time time.Time `json:"time,omitzero"`
	// Source locates a record: "conn.log:1234".
	Source string            `json:"source,omitempty"`
	Fields map[string]string `json:"fields,omitempty"`
}

// StatusChange is one step in an alert's triage history.
type StatusChange struct {
	At   time.Time `json:"at"`
	From Status    `json:"from"`
	To   Status    `json:"to"`
	By   string    `json:"by"`
	Note string    `json:"note,omitempty"`
}

// IDForKey derives an alert's stable ID from its de-duplication key.
func IDForKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "alr-" + hex.EncodeToString(sum[:6])
}
