// Package store persists Vigil's state — the device inventory, IP↔MAC
// leases, per-source ingest checkpoints, alerts, per-device behavioural
// baselines, software-risk reference data (SBOMs, advisories, KEV, EPSS,
// VEX), assessed vulnerability findings with their patch lifecycle, the
// medical-device CVSS rubric answers with their history, and the state of
// stream detectors that outlives a run —
// behind one interface with two backends: SQLite (embedded,
// the default) and PostgreSQL (shared state for several workers).
//
// Writes happen only through Commit, which applies a whole Batch in one
// transaction: the state a batch of input produced and the checkpoint that
// says how far that input was read land together or not at all. That is
// what makes ingestion exactly-once in effect. Commit guarantees:
//
//   - Atomicity: a batch lands whole or not at all. A batch Validate
//     rejects, and one that fails inside the database (a sighting of a
//     device that does not exist, a key held by another device, a canceled
//     context), leaves the store as it was.
//   - Order: deletions (devices, with their baselines, then baselines),
//     then whole devices, then baselines, then sightings, then leases,
//     checkpoints, alerts and alert sightings (then the reopening of
//     resolved alerts that occurred again), then SBOMs, advisories (with
//     their aliases), KEV, EPSS and VEX records, then findings, findings
//     gone and rubric answers, then detector states last; within a batch
//     the last occurrence of a key wins.
//   - Bounded memory: backends encode device documents in chunks while they
//     write, so a commit holds O(chunk) documents, not O(batch); baseline
//     documents, which the caller encoded, are sent a bounded number of
//     bytes (or one document) at a time, not copied whole.
//   - Exact round trips: every time comes back to the nanosecond, in UTC;
//     a device comes back as written, its IPs sorted by address (byte
//     order) with one entry per address.
//
// A device is stored as a document plus the columns a sighting updates:
// when it was last seen and the addresses it held, with when it held
// them. A Sighting updates only those, which is what makes the common case
// of ingestion, a known device talking again, cheap.
//
// An alert is stored as a document of its occurrence fields (what a
// detector says: severity, title, evidence…) plus columns: those its
// queries filter on, those an alert sighting updates (its count, first and
// last seen, which are not in the document), and its triage state, a
// status column and a history table. Commit upserts alerts by ID,
// replacing the occurrence fields of a stored alert but keeping its status
// and history, which SetAlertStatus changes: triage belongs to people, and
// a detector re-firing must not undo it. An AlertSighting updates only the
// count and times, which is what makes a detector re-firing without new
// evidence cheap. The one change of triage a commit makes is reopening:
// an alert stored as resolved whose count the batch raises (by a whole
// write or a sighting) occurred again, so the commit sets it open and
// appends that change, by "vigil", to its history, in the same
// transaction. Acknowledged, suppressed and open alerts are never
// changed by a commit.
//
// A baseline is an opaque document, owned and encoded by the package that
// learns it: the store keeps it by device ID, byte for byte, and never
// looks inside. It does not require its device to exist (a baseline may be
// committed before, with, or without its device), but deleting a device
// deletes its baseline in the same transaction. Baselines reads them back
// one at a time, so that a fleet's baselines never need to fit in memory
// together.
//
// Software-risk reference data — SBOMs, advisories, KEV entries, EPSS
// scores and VEX statements, produced by the parsers of internal/sbom,
// internal/advisory, internal/csaf — is stored, like baselines, as opaque
// documents (kept byte for byte) plus the key columns its lookups use.
// Re-importing a feed is idempotent and incremental: each kind is upserted
// by its key only when the new record is newer or different (see Batch),
// so importing the same data again writes nothing, and ImportAdvisories
// reports what an import of advisories changed. An advisory's aliases are
// kept in a lookup table, so that Advisories finds it by any of them.
//
// A finding (advisory × component × device, with its risk decision) is
// stored, like an alert, as columns its queries filter and sort on plus
// the caller's document (kept byte for byte), and its patch state, a state
// column and a history table. Commit upserts findings by ID, replacing
// what the assessment says but keeping the patch state and history, which
// only SetPatchState changes: a re-assessment must not undo a deployment.
// A finding an assessment no longer produces is marked gone
// (Batch.FindingsGone), never deleted, so that its history survives, and
// comes back when an assessment produces it again. The store does not
// check the order of patch states (internal/risk.Transition does).
//
// Rubric answers (the medical-device CVSS rubric, per vulnerability ×
// device model) are stored as key columns plus the answers, who gave them,
// when and why. Commit upserts them by key and appends the record each
// write replaces to a history, so that the answers in force (Rubric,
// Rubrics) and how they came to be (RubricHistory) are both kept; writing
// the answers in force again changes nothing.
//
// A detector state (StateDoc: the Sigma correlator's open windows, say) is,
// like a baseline, an opaque document owned and encoded by the package that
// keeps it, stored by name, byte for byte. Committed in the same batch as
// the checkpoint of the input that produced it, it lands with it or not at
// all, so that a restarted run resumes both from the same point.
//
// The package must not know how state is derived; it stores what it is given.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/vigil-iomt/vigil/internal/alert"
	"github.com/vigil-iomt/vigil/internal/asset"
)

// ErrNotFound is returned when a requested object does not exist.
var ErrNotFound = errors.New("not found")

// Store is the persistence interface every backend implements.
type Store interface {
	// Commit applies a batch atomically (see the package documentation for
	// what it guarantees). An invalid batch fails with an error wrapping
	// ErrInvalidBatch; a nil or empty batch is a no-op.
	Commit(ctx context.Context, b *Batch) error

	// Device returns one device by ID, or ErrNotFound.
	Device(ctx context.Context, id string) (asset.Device, error)
	// Devices returns the devices matching q, ordered by ID.
	Devices(ctx context.Context, q DeviceQuery) ([]asset.Device, error)
	// Leases returns every stored lease, ordered by MAC, IP, start.
	Leases(ctx context.Context) ([]asset.Lease, error)

	// Checkpoint returns the checkpoint of a source by its path, or ErrNotFound.
	Checkpoint(ctx context.Context, source string) (Checkpoint, error)
	// CheckpointByHead returns a checkpoint whose head hash and length equal
	// the given ones (a file renamed or compressed by rotation), or ErrNotFound.
	CheckpointByHead(ctx context.Context, headHash string, headLen int) (Checkpoint, error)
	// Checkpoints returns every checkpoint, ordered by source.
	Checkpoints(ctx context.Context) ([]Checkpoint, error)

	// Alert returns one alert by ID, with its status history, or
	// ErrNotFound.
	Alert(ctx context.Context, id string) (alert.Alert, error)
	// Alerts returns the alerts matching q, with their status histories,
	// ordered by LastSeen, latest first, then by ID. A history is ordered
	// by time, then by the order its changes were made.
	Alerts(ctx context.Context, q AlertQuery) ([]alert.Alert, error)
	// SetAlertStatus atomically sets the status of the alert id to
	// change.To and appends change to its history, with change.From set to
	// the status it replaces (the caller's From is ignored). It fails with
	// ErrNotFound for an unknown ID, and with an error wrapping
	// ErrInvalidBatch, changing nothing, when change.To is not a valid
	// status, change.By is empty, or a field cannot be stored (text that is
	// not valid UTF-8 without NUL, a non-zero time outside [MinTime,
	// MaxTime]).
	SetAlertStatus(ctx context.Context, id string, change alert.StatusChange) error

	// Baselines calls fn for every stored baseline, ordered by device ID,
	// streaming: it holds one document at a time, never all of them. The
	// walk reads one snapshot of the store; fn owns the document it is
	// given. An error from fn stops the walk and is returned as it is.
	Baselines(ctx context.Context, fn func(BaselineDoc) error) error
	// Baseline returns one device's baseline, or ErrNotFound.
	Baseline(ctx context.Context, deviceID string) (BaselineDoc, error)

	// State returns the detector state stored under name, or ErrNotFound.
	// A stored empty document reads back as a non-nil empty Doc.
	State(ctx context.Context, name string) (StateDoc, error)

	// ImportAdvisories upserts advisories as Batch.Advisories does, in one
	// transaction of its own, and reports how many were new, updated,
	// unchanged and stale. Invalid input fails with an error wrapping
	// ErrInvalidBatch and writes nothing; nil or empty input is a no-op.
	ImportAdvisories(ctx context.Context, advisories []AdvisoryRecord) (ImportCounts, error)

	// SBOMs returns the SBOMs matching q, without their documents (Doc is
	// nil), ordered by vendor, model and version, never nil.
	SBOMs(ctx context.Context, q SBOMQuery) ([]SBOMRecord, error)
	// SBOM returns one SBOM by ID, with its document, or ErrNotFound.
	SBOM(ctx context.Context, id string) (SBOMRecord, error)
	// Advisories calls fn for every advisory matching q, ordered by source
	// then ID, streaming as Baselines does: it holds one document at a
	// time, the walk reads one snapshot, fn owns the record it is given,
	// and an error from fn stops the walk and is returned as it is.
	Advisories(ctx context.Context, q AdvisoryQuery, fn func(AdvisoryRecord) error) error
	// KEV calls fn for every KEV entry, ordered by CVE, streaming as
	// Advisories does.
	KEV(ctx context.Context, fn func(KEVRecord) error) error
	// EPSS returns the stored scores of the given CVEs, by CVE; a CVE
	// without a score is absent from the map. Nil or empty cves returns
	// every stored score. The map is never nil.
	EPSS(ctx context.Context, cves []string) (map[string]EPSSRecord, error)
	// VEX calls fn for every VEX statement about vulnerability (every
	// statement when it is empty), ordered by source then ID, streaming
	// as Advisories does.
	VEX(ctx context.Context, vulnerability string, fn func(VEXRecord) error) error

	// Findings returns the findings matching q, with their patch
	// histories, ordered by decision rank (immediate first, see
	// DecisionRank), then device ID, vulnerability, component and ID;
	// never nil. An invalid Decision or a negative Limit is an error.
	Findings(ctx context.Context, q FindingQuery) ([]FindingRecord, error)
	// Finding returns one finding by ID, with its patch history, or
	// ErrNotFound. Suppressed and gone findings are returned too.
	Finding(ctx context.Context, id string) (FindingRecord, error)
	// SetPatchState atomically sets the patch state of the finding id to
	// change.To and appends change to its history, with change.From set
	// to the state it replaces (the caller's From is ignored), and sets
	// its Due to due when due is not zero. It fails with ErrNotFound for
	// an unknown ID, and with an error wrapping ErrInvalidBatch, changing
	// nothing, when ValidatePatchChange rejects change or due. The order
	// of states is the caller's to check.
	SetPatchState(ctx context.Context, id string, change PatchChange, due time.Time) error

	// Rubric returns the rubric answers in force for vulnerability on the
	// device model (vendor, model), compared exactly, or ErrNotFound.
	Rubric(ctx context.Context, vulnerability, vendor, model string) (RubricRecord, error)
	// Rubrics returns the rubric answers in force matching q, ordered by
	// vulnerability, vendor and model (byte order); never nil.
	Rubrics(ctx context.Context, q RubricQuery) ([]RubricRecord, error)
	// RubricHistory returns the earlier answer sets of vulnerability on
	// the device model, those later writes replaced, oldest first; never
	// nil (empty when the answers were never replaced, or never given).
	// The answers in force are not part of it: Rubric returns them.
	RubricHistory(ctx context.Context, vulnerability, vendor, model string) ([]RubricRecord, error)

	Close() error
}

// Batch is a set of changes applied in one transaction.
type Batch struct {
	// Devices are inserted or replaced whole, by ID: the device's stored
	// addresses become exactly its IPs.
	Devices []asset.Device
	// DeleteDevices are IDs of devices removed (merged into another), with
	// their addresses.
	DeleteDevices []string
	// Sightings record that devices were seen again without rewriting the
	// rest of them: LastSeen, and the first/last seen of the addresses they
	// held. They apply after Devices and DeleteDevices. Each must name a
	// device that exists once those are applied, or Commit fails with
	// ErrInvalidBatch and writes nothing. Several sightings of one device
	// merge field by field, the last word winning: LastSeen is the last
	// sighting's, and each address's times are those of the last sighting
	// that lists it.
	Sightings []Sighting
	// Leases are inserted or replaced by (MAC, IP, Start).
	Leases []asset.Lease
	// Checkpoints are inserted or replaced by Source.
	Checkpoints []Checkpoint
	// Alerts are upserted by ID. A new alert is stored with its Status and
	// History; a stored one gets its occurrence fields (everything but
	// Status and History) replaced and keeps its status and history, which
	// SetAlertStatus changes, except for reopening: a stored alert whose
	// status is resolved and whose final Count in the batch (its
	// sighting's, when AlertSightings names it too) is greater than the
	// stored one is set open, and its history gets a change from resolved
	// to open, By "vigil", At the time of the commit, whose Note says how
	// many more occurrences there were and the last one's time (the
	// batch's LastSeen of it). Open, acknowledged and suppressed alerts,
	// and resolved ones whose count does not grow, keep their status. Two
	// alerts may not share a DedupKey: an alert whose key another stored
	// alert holds fails the commit.
	Alerts []alert.Alert
	// AlertSightings record more occurrences of stored alerts without
	// rewriting them: their Count, FirstSeen and LastSeen. They apply
	// after Alerts. Each must name an alert that exists once those are
	// applied, or Commit fails with ErrInvalidBatch and writes nothing. Of
	// several sightings of one alert, the last wins whole. A sighting
	// raising the count of a resolved alert reopens it, as Alerts says.
	AlertSightings []AlertSighting
	// Baselines are inserted or replaced by DeviceID, after Devices. The
	// device need not exist, but a baseline may not be written by a batch
	// that deletes it, with DeleteBaselines or DeleteDevices.
	Baselines []BaselineDoc
	// DeleteBaselines are device IDs whose baseline is removed; an ID
	// without a baseline is not an error. DeleteDevices removes the
	// baselines of the devices it deletes as well.
	DeleteBaselines []string

	// SBOMs are upserted by (Vendor, Model, Version): a model version has
	// one SBOM, and a new import replaces the previous one, ID included.
	// A record whose ID is the one stored for its model version is a true
	// no-op (Imported and the rest are kept): importing a file again
	// changes nothing. IDs are unique: a record whose ID another model
	// version holds fails the commit (not with ErrInvalidBatch: the
	// conflict is with stored state).
	SBOMs []SBOMRecord
	// Advisories are upserted by (Source, ID), only when the stored one is
	// modified earlier, or at the same time with a different Hash; an
	// advisory with an earlier Modified than the stored one never replaces
	// it. A written advisory's aliases replace its stored ones. Commit
	// does not say what it wrote; Store.ImportAdvisories does.
	Advisories []AdvisoryRecord
	// KEV entries are upserted by CVE; an entry equal to the stored one is
	// a no-op.
	KEV []KEVRecord
	// EPSS scores are upserted by CVE, only when their Date is the stored
	// one's or later: an older score never replaces a newer one.
	EPSS []EPSSRecord
	// VEX statements are upserted by ID; a statement equal to the stored
	// one is a no-op.
	VEX []VEXRecord

	// Findings are upserted by ID, after the software-risk records. A new
	// finding is stored with an empty State, no History and a zero Gone;
	// a stored one gets its assessment fields (everything but State, Due,
	// History and Gone) replaced, its Gone cleared (it is produced again),
	// and keeps its State and History, which only SetPatchState changes.
	// Due is replaced when the record's is not zero, else kept. The
	// records' State, History and Gone are ignored.
	Findings []FindingRecord
	// FindingsGone mark stored findings as no longer produced, after
	// Findings: each one's Gone becomes At; the finding and its history
	// are kept. Each must name a finding that exists, or Commit fails with
	// ErrInvalidBatch and writes nothing; an ID may not be both in
	// Findings and in FindingsGone. Of several marks of one finding, the
	// last wins.
	FindingsGone []FindingGone

	// Rubric answers are upserted by (Vulnerability, Vendor, Model), after
	// FindingsGone. A write that replaces a stored record appends that
	// record to the key's history (see Store.RubricHistory); a record
	// equal to the stored one (same answers, By, At and Note) is a no-op,
	// so committing a batch again adds no history. Of several records of
	// one key in a batch, the last is written and the others are not kept.
	Rubric []RubricRecord

	// States are detector states, inserted or replaced by Name, after
	// Rubric: of several states with one name, the last wins. A state with
	// an empty Name fails the commit with ErrInvalidBatch.
	States []StateDoc
}

// StateDoc is the state of a stream detector that outlives one run (the
// Sigma correlator's open windows): one opaque document per name, owned
// and encoded by the package that keeps it.
type StateDoc struct {
	Name string
	// Doc is stored and returned byte for byte; it may be empty, not nil.
	Doc []byte
}

// BaselineDoc is the encoded behavioural baseline of one device. The store
// keeps it as an opaque document.
type BaselineDoc struct {
	DeviceID string
	// Doc is stored and returned byte for byte. It may be empty, not nil:
	// a stored baseline reads back with a non-nil Doc.
	Doc []byte
}

// Sighting updates when a device was last seen and the addresses it held.
// Applying a sighting whose values are already stored changes nothing.
type Sighting struct {
	DeviceID string
	LastSeen time.Time
	// IPs are upserted by (device, IP); addresses not listed are kept.
	IPs []asset.IPAddress
}

// AlertSighting records more occurrences of a stored alert without
// rewriting it: its count and first/last seen. The alert's other fields,
// its status and its history are left as they are, but for a resolved
// alert whose count it raises, which is reopened (see Batch.Alerts);
// applying a sighting whose values are already stored changes nothing.
type AlertSighting struct {
	ID string
	// Count is the alert's new total count, not an increment.
	Count int64
	// FirstSeen and LastSeen are the alert's new first and last seen
	// (event time).
	FirstSeen time.Time
	LastSeen  time.Time
}

// Empty reports whether the batch holds no change.
func (b *Batch) Empty() bool {
	return len(b.Devices) == 0 && len(b.DeleteDevices) == 0 && len(b.Sightings) == 0 &&
		len(b.Leases) == 0 && len(b.Checkpoints) == 0 && len(b.Alerts) == 0 &&
		len(b.AlertSightings) == 0 && len(b.Baselines) == 0 && len(b.DeleteBaselines) == 0 &&
		len(b.SBOMs) == 0 && len(b.Advisories) == 0 && len(b.KEV) == 0 && len(b.EPSS) == 0 && len(b.VEX) == 0 &&
		len(b.Findings) == 0 && len(b.FindingsGone) == 0 && len(b.Rubric) == 0 && len(b.States) == 0
}

// DeviceQuery filters Devices. Zero values do not filter.
type DeviceQuery struct {
	Class string
	// After keeps only devices whose ID sorts after it: with Limit, it
	// pages through the inventory (pass the last ID of the previous page).
	After string
	Limit int
}

// AlertQuery filters Alerts. Zero values do not filter.
type AlertQuery struct {
	DeviceID string
	Detector string
	// MinSeverity keeps alerts at least this severe.
	MinSeverity alert.Severity
	Status      alert.Status
	// Since and Until keep alerts whose LastSeen lies in [Since, Until);
	// a zero bound leaves that side open.
	Since, Until time.Time
	Limit        int
}

// Checkpoint records how far a source has been read.
type Checkpoint struct {
	// Source is the path the file was read from.
	Source string
	// HeadHash is the hex SHA-256 of the first HeadLen bytes of the
	// decompressed content; it tells a grown file from a replaced one.
	HeadHash string
	HeadLen  int
	// Offset is the decompressed byte offset up to which every record has
	// been applied.
	Offset int64
	// Line is the number of lines consumed up to Offset.
	Line int64
	// Records and Rejected count what was accepted and rejected so far.
	Records  int64
	Rejected int64
	Updated  time.Time
}
