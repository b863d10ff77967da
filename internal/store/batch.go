package store

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigil-iomt/vigil/internal/alert"
)

// ErrInvalidBatch is returned (wrapped) by Commit when a batch is rejected
// and nothing of it is written: retrying the same batch cannot succeed.
// Most problems are found by Validate before the transaction starts; a
// sighting of a device or an alert, or a finding gone, that does not
// exist, and a document that cannot be encoded, are found while writing,
// and the transaction is rolled back.
var ErrInvalidBatch = errors.New("invalid batch")

// MinTime and MaxTime bound the non-zero times a backend stores exactly
// (Unix nanoseconds in an int64). Lease and checkpoint times outside
// [MinTime, MaxTime] are rejected by Validate; the zero time is allowed.
var (
	MinTime = time.Unix(0, math.MinInt64+1).UTC()
	MaxTime = time.Unix(0, math.MaxInt64).UTC()
)

// Validate reports every problem that makes b unstorable, joined, each
// with its position, all wrapping ErrInvalidBatch. A nil batch is valid.
//
// Identities (IDs, keys, device and sighting IPs, lease MAC and IP,
// sources) must be non-empty; strings stored in columns (those, and class,
// criticality, vendor, head hash) must be valid UTF-8 without NUL bytes,
// which PostgreSQL cannot store in text; lease and checkpoint times must be
// zero or within [MinTime, MaxTime]; sighting times must be zero or
// strictly between MinTime and MaxTime (a device seen at a time a column
// cannot hold exactly must be written whole, in Devices, which keep any
// time exactly); counters must not be negative; an ID may not be both
// written and deleted, nor sighted and deleted, in one batch.
//
// An alert must have an ID and a DedupKey, a severity from alert.Info to
// alert.Critical, a valid status, a Count of at least 1, FirstSeen and
// LastSeen within [MinTime, MaxTime] (or zero) with LastSeen not before
// FirstSeen, storable detector and device ID, and a history whose changes
// each pass ValidateStatusChange and have an empty or valid From. An alert
// sighting must have a storable ID, a Count of at least 1, and FirstSeen
// and LastSeen within [MinTime, MaxTime] (or zero) with LastSeen not
// before FirstSeen, as the alert it updates must.
//
// A baseline must have a storable device ID and a non-nil document (an
// empty one is valid), and may not be written by a batch that deletes it,
// with DeleteBaselines or DeleteDevices; device IDs in DeleteBaselines
// must be non-empty and storable.
//
// Software-risk records (see validateSoftware) must have their keys
// (SBOM ID, vendor, model and version; advisory source and ID; CVEs; VEX
// ID and vulnerability) non-empty, every text field storable, times zero or within
// [MinTime, MaxTime], non-nil documents, an advisory Hash and non-empty
// aliases, a non-negative SBOM component count, and EPSS scores and
// percentiles in [0, 1] (not NaN); two SBOMs of different model versions
// may not share an ID.
//
// A finding must have a non-empty ID, device ID and vulnerability, those
// and its component storable, a decision DecisionRank knows, a CVSS in
// [0, 10] and an EPSS in [0, 1] (not NaN), Assessed and Due zero or
// within [MinTime, MaxTime], and a non-nil document; its State, History
// and Gone are not checked, since Commit ignores them. A finding gone must
// have a storable ID that the batch does not also write in Findings, and
// a non-zero At within [MinTime, MaxTime].
//
// Rubric answers must have a non-empty vulnerability, vendor, model and
// By, those and Note valid UTF-8 without NUL, at least one answer, every
// question ID and answer non-empty and valid UTF-8 without NUL, and a
// non-zero At within [MinTime, MaxTime].
//
// A detector state must have a non-empty name, valid UTF-8 without NUL,
// and a non-nil document (an empty one is valid).
//
// Repeated IDs (devices, alerts, alert sightings, baselines, deletions,
// software-risk keys, findings, findings gone, rubric keys, state names),
// leases, sources, or IPs of one device are valid: the last occurrence
// wins.
func (b *Batch) Validate() error {
	if b == nil {
		return nil
	}
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalidBatch}, args...)...))
	}
	written := make(map[string]bool, len(b.Devices))
	for i := range b.Devices {
		d := &b.Devices[i]
		if d.ID == "" {
			bad("devices[%d]: empty id", i)
		}
		if d.Key == "" {
			bad("devices[%d] %q: empty key", i, d.ID)
		}
		for _, f := range []struct{ name, v string }{
			{"id", d.ID}, {"key", d.Key}, {"class", d.Class},
			{"criticality", string(d.Criticality)}, {"vendor", d.Vendor},
		} {
			if !validText(f.v) {
				bad("devices[%d]: %s %q is not valid UTF-8 without NUL", i, f.name, f.v)
			}
		}
		for j, ip := range d.IPs {
			if ip.IP == "" || !validText(ip.IP) {
				bad("devices[%d] %q: ips[%d]: ip %q is empty or not valid UTF-8 without NUL", i, d.ID, j, ip.IP)
			}
		}
		written[d.ID] = true
	}
	deleted := make(map[string]bool, len(b.DeleteDevices))
	for i, id := range b.DeleteDevices {
		switch {
		case id == "":
			bad("delete_devices[%d]: empty id", i)
		case !validText(id):
			bad("delete_devices[%d]: id %q is not valid UTF-8 without NUL", i, id)
		case written[id]:
			bad("delete_devices[%d]: device %q is also written by the batch", i, id)
		}
		deleted[id] = true
	}
	for i := range b.Sightings {
		s := &b.Sightings[i]
		switch {
		case s.DeviceID == "":
			bad("sightings[%d]: empty device id", i)
		case !validText(s.DeviceID):
			bad("sightings[%d]: device id %q is not valid UTF-8 without NUL", i, s.DeviceID)
		case deleted[s.DeviceID]:
			bad("sightings[%d]: device %q is deleted by the batch", i, s.DeviceID)
		}
		if !timeStrictlyInRange(s.LastSeen) {
			bad("sightings[%d] %q: last seen %s out of range", i, s.DeviceID, s.LastSeen)
		}
		for j, ip := range s.IPs {
			if ip.IP == "" || !validText(ip.IP) {
				bad("sightings[%d] %q: ips[%d]: ip %q is empty or not valid UTF-8 without NUL", i, s.DeviceID, j, ip.IP)
			}
			if !timeStrictlyInRange(ip.FirstSeen) || !timeStrictlyInRange(ip.LastSeen) {
				bad("sightings[%d] %q: ips[%d] %q: first or last seen out of range", i, s.DeviceID, j, ip.IP)
			}
		}
	}
	for i, l := range b.Leases {
		if l.MAC == "" || l.IP == "" {
			bad("leases[%d]: empty mac or ip (%q, %q)", i, l.MAC, l.IP)
		}
		if !validText(l.MAC) || !validText(l.IP) {
			bad("leases[%d]: mac %q or ip %q is not valid UTF-8 without NUL", i, l.MAC, l.IP)
		}
		if !timeInRange(l.Start) {
			bad("leases[%d]: start %s out of range", i, l.Start)
		}
		if !timeInRange(l.End) {
			bad("leases[%d]: end %s out of range", i, l.End)
		}
	}
	for i, c := range b.Checkpoints {
		if c.Source == "" {
			bad("checkpoints[%d]: empty source", i)
		}
		if !validText(c.Source) || !validText(c.HeadHash) {
			bad("checkpoints[%d]: source %q or head hash is not valid UTF-8 without NUL", i, c.Source)
		}
		if c.HeadLen < 0 || c.Offset < 0 || c.Line < 0 || c.Records < 0 || c.Rejected < 0 {
			bad("checkpoints[%d] %q: negative head length, offset, line or count", i, c.Source)
		}
		if !timeInRange(c.Updated) {
			bad("checkpoints[%d] %q: updated %s out of range", i, c.Source, c.Updated)
		}
	}
	for i := range b.Alerts {
		a := &b.Alerts[i]
		if a.ID == "" || a.DedupKey == "" {
			bad("alerts[%d]: empty id or dedup key (%q, %q)", i, a.ID, a.DedupKey)
		}
		for _, f := range []struct{ name, v string }{
			{"id", a.ID}, {"dedup key", a.DedupKey}, {"detector", a.Detector}, {"device id", a.DeviceID},
		} {
			if !validText(f.v) {
				bad("alerts[%d]: %s %q is not valid UTF-8 without NUL", i, f.name, f.v)
			}
		}
		if a.Severity < alert.Info || a.Severity > alert.Critical {
			bad("alerts[%d] %q: invalid severity %d", i, a.ID, uint8(a.Severity))
		}
		if !a.Status.Valid() {
			bad("alerts[%d] %q: invalid status %q", i, a.ID, a.Status)
		}
		if a.Count < 1 {
			bad("alerts[%d] %q: count %d, want at least 1", i, a.ID, a.Count)
		}
		if !timeInRange(a.FirstSeen) || !timeInRange(a.LastSeen) {
			bad("alerts[%d] %q: first or last seen out of range", i, a.ID)
		} else if a.LastSeen.Before(a.FirstSeen) {
			bad("alerts[%d] %q: last seen %s before first seen %s", i, a.ID, a.LastSeen, a.FirstSeen)
		}
		for j, c := range a.History {
			if err := ValidateStatusChange(c); err != nil {
				errs = append(errs, fmt.Errorf("alerts[%d] %q: history[%d]: %w", i, a.ID, j, err))
			}
			if c.From != "" && !c.From.Valid() {
				bad("alerts[%d] %q: history[%d]: invalid from status %q", i, a.ID, j, c.From)
			}
		}
	}
	for i := range b.AlertSightings {
		s := &b.AlertSightings[i]
		switch {
		case s.ID == "":
			bad("alert_sightings[%d]: empty id", i)
		case !validText(s.ID):
			bad("alert_sightings[%d]: id %q is not valid UTF-8 without NUL", i, s.ID)
		}
		if s.Count < 1 {
			bad("alert_sightings[%d] %q: count %d, want at least 1", i, s.ID, s.Count)
		}
		if !timeInRange(s.FirstSeen) || !timeInRange(s.LastSeen) {
			bad("alert_sightings[%d] %q: first or last seen out of range", i, s.ID)
		} else if s.LastSeen.Before(s.FirstSeen) {
			bad("alert_sightings[%d] %q: last seen %s before first seen %s", i, s.ID, s.LastSeen, s.FirstSeen)
		}
	}
	baselines := make(map[string]bool, len(b.Baselines))
	for i := range b.Baselines {
		d := &b.Baselines[i]
		switch {
		case d.DeviceID == "":
			bad("baselines[%d]: empty device id", i)
		case !validText(d.DeviceID):
			bad("baselines[%d]: device id %q is not valid UTF-8 without NUL", i, d.DeviceID)
		case deleted[d.DeviceID]:
			bad("baselines[%d]: device %q is deleted by the batch", i, d.DeviceID)
		}
		if d.Doc == nil {
			bad("baselines[%d] %q: nil document", i, d.DeviceID)
		}
		baselines[d.DeviceID] = true
	}
	for i, id := range b.DeleteBaselines {
		switch {
		case id == "":
			bad("delete_baselines[%d]: empty device id", i)
		case !validText(id):
			bad("delete_baselines[%d]: device id %q is not valid UTF-8 without NUL", i, id)
		case baselines[id]:
			bad("delete_baselines[%d]: baseline of %q is also written by the batch", i, id)
		}
	}
	b.validateSoftware(bad)
	b.validateFindings(bad)
	b.validateRubric(bad)
	for i := range b.States {
		d := &b.States[i]
		switch {
		case d.Name == "":
			bad("states[%d]: empty name", i)
		case !validText(d.Name):
			bad("states[%d]: name %q is not valid UTF-8 without NUL", i, d.Name)
		}
		if d.Doc == nil {
			bad("states[%d] %q: nil document", i, d.Name)
		}
	}
	return errors.Join(errs...)
}

// ValidateStatusChange reports why c cannot be stored as a status change
// (see Store.SetAlertStatus), wrapping ErrInvalidBatch: To must be a valid
// status, By non-empty, By and Note valid UTF-8 without NUL, At zero or
// within [MinTime, MaxTime]. From is not checked: SetAlertStatus fills it.
func ValidateStatusChange(c alert.StatusChange) error {
	var errs []error
	if !c.To.Valid() {
		errs = append(errs, fmt.Errorf("%w: status change: invalid status %q", ErrInvalidBatch, c.To))
	}
	if c.By == "" {
		errs = append(errs, fmt.Errorf("%w: status change: empty by", ErrInvalidBatch))
	}
	if !validText(c.By) || !validText(c.Note) {
		errs = append(errs, fmt.Errorf("%w: status change: by %q or note is not valid UTF-8 without NUL", ErrInvalidBatch, c.By))
	}
	if !timeInRange(c.At) {
		errs = append(errs, fmt.Errorf("%w: status change: time %s out of range", ErrInvalidBatch, c.At))
	}
	return errors.Join(errs...)
}

func validText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

func timeInRange(t time.Time) bool {
	return t.IsZero() || (!t.Before(MinTime) && !t.After(MaxTime))
}

// timeStrictlyInRange is timeInRange without the bounds, which stand in the
// columns for the times beyond them.
func timeStrictlyInRange(t time.Time) bool {
	return t.IsZero() || (t.After(MinTime) && t.Before(MaxTime))
}
