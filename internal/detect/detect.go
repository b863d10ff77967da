// Package detect turns what Vigil's detectors find into alerts a SOC can
// act on: it builds each alert's title, plain-language explanation,
// evidence, severity (raised one step for life-sustaining devices) and
// ATT&CK and D3FEND references, and de-duplicates occurrences by key into
// one alert with a count and first/last occurrence.
//
// An Engine is owned by one goroutine (the shard owner). It does no I/O:
// the caller loads the shard's existing alerts into it, raises
// occurrences, and commits what Flush returns with the batch that caused
// them, so that alerts are exactly-once like the rest of the state.
// It never changes an alert's triage status; that belongs to people.
package detect

import (
	"cmp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigil-iomt/vigil/internal/alert"
	"github.com/vigil-iomt/vigil/internal/asset"
)

// maxEventEvidence bounds the event records kept as evidence per alert:
// the first ones, which show how it started.
const maxEventEvidence = 8

// Device is what an alert says about the device it concerns.
type Device struct {
	ID          string
	Class       string // class identifier ("infusion_pump")
	ClassLabel  string // for people ("Infusion pump")
	Criticality asset.Criticality
	// Name is how people know it: hostname, else address.
	Name string
	Addr string
}

// describe returns "Infusion pump pump-3w (10.2.3.4)".
func (d Device) describe() string {
	label := d.ClassLabel
	if label == "" {
		label = "Device"
	}
	switch {
	case d.Name != "" && d.Addr != "" && d.Name != d.Addr:
		return label + " " + d.Name + " (" + d.Addr + ")"
	case d.Name != "":
		return label + " " + d.Name
	default:
		return label + " " + d.Addr
	}
}

// Describe returns how an alert names the device: "Infusion pump
// pump-3w (10.2.3.4)".
func (d Device) Describe() string { return d.describe() }

// Occurrence is one firing of a detector.
type Occurrence struct {
	// Key de-duplicates: occurrences with one key make one alert.
	Key      string
	Detector string
	Device   Device
	Severity alert.Severity // before the raise for life-sustaining devices
	// What completes the title after the device's description: "→
	// 203.0.113.7:443/tcp, an external address outside its baseline".
	What string
	// Explanation says what was found and why it matters; the device's
	// criticality is appended when the alert is built.
	Explanation string
	// Evidence of this occurrence: the event record(s) first, then the
	// baseline values or the rule it departed from.
	Evidence []alert.Evidence
	Attack   []string
	D3FEND   []string
	Time     time.Time
}

// entry is an alert with what is needed to describe it again when its
// device is better known (classified after the alert was first raised).
type entry struct {
	alert.Alert
	events      int  // event records in Evidence
	whole       bool // raised since the last Flush: write it whole
	device      Device
	base        alert.Severity
	what        string
	explanation string
}

// Engine de-duplicates occurrences into alerts.
type Engine struct {
	alerts  map[string]*entry // by de-duplication key
	changed map[string]struct{}
}

// New returns an Engine that continues the given alerts (those stored for
// the shard): an occurrence whose key one of them holds updates it.
func New(existing []alert.Alert) *Engine {
	e := &Engine{alerts: make(map[string]*entry, len(existing)), changed: map[string]struct{}{}}
	for _, a := range existing {
		a.History = nil // triage is the store's; the engine never writes it
		en := &entry{Alert: a}
		for _, ev := range a.Evidence {
			if ev.Kind == "event" {
				en.events++
			}
		}
		e.alerts[a.DedupKey] = en
	}
	return e
}

// Len returns the number of alerts the engine knows.
func (e *Engine) Len() int { return len(e.alerts) }

// Pending returns how many alerts changed since the last Flush.
func (e *Engine) Pending() int { return len(e.changed) }

// Raise records an occurrence.
func (e *Engine) Raise(o Occurrence) {
	ts := o.Time.UTC()
	en, ok := e.alerts[o.Key]
	if !ok {
		en = &entry{Alert: alert.Alert{
			ID: alert.IDForKey(o.Key), DedupKey: o.Key, Detector: storableText(o.Detector), DeviceID: o.Device.ID,
			Attack: slices.Clone(o.Attack), D3FEND: slices.Clone(o.D3FEND),
			FirstSeen: ts, LastSeen: ts, Status: alert.Open,
		}}
		e.alerts[o.Key] = en
		for _, ev := range o.Evidence {
			if ev.Kind != "event" {
				en.Evidence = append(en.Evidence, ev) // the baseline or rule of the first occurrence
			}
		}
	}
	if ts.Before(en.FirstSeen) {
		en.FirstSeen = ts
	}
	if ts.After(en.LastSeen) {
		en.LastSeen = ts
	}
	for _, ev := range o.Evidence {
		if ev.Kind == "event" && en.events < maxEventEvidence {
			en.Evidence = append(en.Evidence, ev)
			en.events++
		}
	}
	sortEvidence(en.Evidence)
	if en.what == "" {
		// The first occurrence describes the alert (for one loaded from
		// the store, the first since the restart).
		en.device, en.base, en.what, en.explanation = o.Device, o.Severity, o.What, o.Explanation
	}
	en.Count++
	en.whole = true
	e.changed[o.Key] = struct{}{}
}

// Repeat records one more occurrence of the alert with the given key when
// that occurrence would change nothing but the count and the times: the
// alert exists, was described since the engine started, and holds all
// the event evidence it keeps. It reports whether it did; when not, the
// caller builds the full occurrence and Raises it. Detectors that fire on
// every record of a persisting condition use it to skip building what
// would be thrown away.
func (e *Engine) Repeat(key string, at time.Time) bool {
	en, ok := e.alerts[key]
	if !ok || en.what == "" || en.events < maxEventEvidence {
		return false
	}
	ts := at.UTC()
	if ts.Before(en.FirstSeen) {
		en.FirstSeen = ts
	}
	if ts.After(en.LastSeen) {
		en.LastSeen = ts
	}
	en.Count++
	e.changed[key] = struct{}{}
	return true
}

// sortEvidence puts event records first, in time order, then the rest in
// the order they were given.
func sortEvidence(ev []alert.Evidence) {
	slices.SortStableFunc(ev, func(a, b alert.Evidence) int {
		ae, be := a.Kind == "event", b.Kind == "event"
		switch {
		case ae && be:
			return a.Time.Compare(b.Time)
		case ae:
			return -1
		case be:
			return 1
		}
		return 0
	})
}

// Lookup returns what is known now of a device, when it is known.
type Lookup func(deviceID string) (Device, bool)

// Counted is an alert that only occurred again since the last Flush: its
// count and first/last seen changed, nothing else.
type Counted struct {
	ID                  string
	Count               int64
	FirstSeen, LastSeen time.Time
}

// Flush returns the alerts changed since the last Flush, ordered by ID:
// whole, when an occurrence was raised (a new alert, new evidence), and
// only counted when every change since was a Repeat. The titles,
// explanations and severities of whole alerts describe the device as
// lookup knows it now (its class may have been found since the first
// occurrence); the address is the one of the first occurrence.
func (e *Engine) Flush(lookup Lookup) (whole []alert.Alert, counted []Counted) {
	for k := range e.changed {
		en := e.alerts[k]
		if !en.whole {
			counted = append(counted, Counted{ID: en.ID, Count: en.Count, FirstSeen: en.FirstSeen, LastSeen: en.LastSeen})
			continue
		}
		en.whole = false
		if en.what != "" {
			dev := en.device
			if now, ok := lookup(dev.ID); ok && dev.ID != "" {
				now.Addr = dev.Addr
				dev = now
			}
			en.Title = dev.describe() + " " + en.what
			en.Explanation = en.explanation
			if dev.Criticality != "" {
				en.Explanation += " The device is " + string(dev.Criticality) + "."
			}
			en.Severity = en.base
			if dev.Criticality == asset.LifeSustaining {
				en.Severity = en.base.Raise()
				en.Explanation += " Severity raised one step: the device is life-sustaining."
			}
		}
		a := en.Alert
		a.Evidence = slices.Clone(a.Evidence)
		whole = append(whole, a)
	}
	clear(e.changed)
	slices.SortFunc(whole, func(a, b alert.Alert) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(counted, func(a, b Counted) int { return cmp.Compare(a.ID, b.ID) })
	return whole, counted
}

// Key joins the parts of a de-duplication key. Parts come from input (a
// principal, a domain) and the store keeps keys as text, so bytes that are
// not UTF-8, and NULs, become U+FFFD: a garbled record must not make the
// batch that carries its alert unstorable.
func Key(parts ...string) string { return storableText(strings.Join(parts, "|")) }

// storableText returns s with each byte that is not UTF-8, and each NUL,
// replaced by U+FFFD.
func storableText(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == 0 {
			r = utf8.RuneError
		}
		b.WriteRune(r)
		i += n
	}
	return b.String()
}
