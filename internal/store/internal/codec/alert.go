package codec

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/vigil-iomt/vigil/internal/alert"
	"github.com/vigil-iomt/vigil/internal/store"
)

// Alert is one row of the alerts table, with the rows of its status
// history when the alert is new.
type Alert struct {
	ID, DedupKey, Detector, DeviceID string
	Severity                         int64
	Status                           string
	// FirstSeen, LastSeen and Count are the columns an alert sighting
	// updates; the document does not hold them. Batch.Validate keeps the
	// times within [store.MinTime, store.MaxTime], where Nanos is exact.
	FirstSeen, LastSeen, Count int64
	// Doc is the JSON of the alert's other occurrence fields, see alertDoc.
	Doc string
	// History holds the rows written when the alert is inserted, not when
	// it exists already: its history then stays as it is.
	History []StatusRow
}

// StatusRow is one row of the alert_status_history table.
type StatusRow struct {
	AlertID      string
	Seq          int64
	At           int64
	From, To, By string
	Note         string
}

// AlertSighting is the update an alert sighting makes to its alert's row.
type AlertSighting struct {
	ID                         string
	Count, FirstSeen, LastSeen int64
}

// alertDoc is the stored document of an alert: its occurrence fields,
// those a detector re-firing replaces, but for the count and the first and
// last seen, which are columns (migration 6 moved them out). Status and
// history are not in it either.
type alertDoc struct {
	DedupKey    string           `json:"dedup_key"`
	Detector    string           `json:"detector"`
	DeviceID    string           `json:"device_id,omitempty"`
	Severity    alert.Severity   `json:"severity"`
	Title       string           `json:"title"`
	Explanation string           `json:"explanation"`
	Evidence    []alert.Evidence `json:"evidence"`
	Attack      []string         `json:"attack"`
	D3FEND      []string         `json:"d3fend"`
}

// legacyAlertDoc is the document of an alert before migration 6, which
// held its count and first and last seen.
type legacyAlertDoc struct {
	alertDoc
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	Count     int64     `json:"count"`
}

// planAlerts encodes the batch's alerts, the last occurrence of each ID,
// sorted by ID. An alert that cannot be encoded fails with an error
// wrapping store.ErrInvalidBatch.
func (p *Plan) planAlerts() error {
	as := p.b.Alerts
	if len(as) == 0 {
		return nil
	}
	order := make([]int, len(as))
	for i := range order {
		order[i] = i
	}
	order = lastByKey(order, func(i, j int) int { return strings.Compare(as[i].ID, as[j].ID) })
	p.Alerts = make([]Alert, 0, len(order))
	for _, i := range order {
		a, err := EncodeAlert(&as[i])
		if err != nil {
			return fmt.Errorf("%w: alerts[%d] %q: encode: %w", store.ErrInvalidBatch, i, as[i].ID, err)
		}
		p.Alerts = append(p.Alerts, a)
	}
	return nil
}

// planAlertSightings keeps the last sighting of each alert, sorted by ID.
func (p *Plan) planAlertSightings() {
	ss := p.b.AlertSightings
	if len(ss) == 0 {
		return
	}
	p.AlertSightings = make([]AlertSighting, len(ss))
	for i := range ss {
		s := &ss[i]
		p.AlertSightings[i] = AlertSighting{ID: s.ID, Count: s.Count, FirstSeen: Nanos(s.FirstSeen), LastSeen: Nanos(s.LastSeen)}
	}
	p.AlertSightings = lastByKey(p.AlertSightings, func(a, b AlertSighting) int { return strings.Compare(a.ID, b.ID) })
}

// UnknownAlerts is the error of sightings of the alerts ids, which do not
// exist: it wraps store.ErrInvalidBatch and names a few of them.
func UnknownAlerts(ids []string) error {
	if len(ids) == 0 {
		return fmt.Errorf("%w: fewer alerts updated than sighted", store.ErrInvalidBatch)
	}
	return fmt.Errorf("%w: sighted alerts do not exist: %s", store.ErrInvalidBatch, few(ids))
}

// EncodeAlert returns the row of a, with its history rows numbered from 0.
func EncodeAlert(a *alert.Alert) (Alert, error) {
	doc, err := json.Marshal(newAlertDoc(a))
	if err != nil {
		return Alert{}, err
	}
	row := Alert{
		ID: a.ID, DedupKey: a.DedupKey, Detector: a.Detector, DeviceID: a.DeviceID,
		Severity: int64(a.Severity), Status: string(a.Status),
		FirstSeen: Nanos(a.FirstSeen), LastSeen: Nanos(a.LastSeen), Count: a.Count, Doc: string(doc),
	}
	for i, c := range a.History {
		row.History = append(row.History, EncodeStatusChange(a.ID, int64(i), c))
	}
	return row, nil
}

func newAlertDoc(a *alert.Alert) alertDoc {
	return alertDoc{
		DedupKey: a.DedupKey, Detector: a.Detector, DeviceID: a.DeviceID, Severity: a.Severity,
		Title: a.Title, Explanation: a.Explanation, Evidence: a.Evidence, Attack: a.Attack, D3FEND: a.D3FEND,
	}
}

// EncodeStatusChange returns the history row of change number seq of an alert.
func EncodeStatusChange(id string, seq int64, c alert.StatusChange) StatusRow {
	return StatusRow{AlertID: id, Seq: seq, At: Nanos(c.At), From: string(c.From), To: string(c.To), By: c.By, Note: c.Note}
}

// StoredAlert is an alerts row as read back.
type StoredAlert struct {
	ID                         string
	Status                     string
	Count, FirstSeen, LastSeen int64
	Doc                        []byte
}

// DecodeAlert decodes a stored alert, with every time in UTC, and gives it
// its history rows (nil when it has none), in order.
func DecodeAlert(s StoredAlert, history []StatusRow) (alert.Alert, error) {
	var d alertDoc
	if err := json.Unmarshal(s.Doc, &d); err != nil {
		return alert.Alert{}, fmt.Errorf("alert %q: %w", s.ID, err)
	}
	a := alert.Alert{
		ID: s.ID, DedupKey: d.DedupKey, Detector: d.Detector, DeviceID: d.DeviceID, Severity: d.Severity,
		Title: d.Title, Explanation: d.Explanation, Evidence: d.Evidence, Attack: d.Attack, D3FEND: d.D3FEND,
		FirstSeen: Time(s.FirstSeen), LastSeen: Time(s.LastSeen), Count: s.Count, Status: alert.Status(s.Status),
	}
	for i := range a.Evidence {
		a.Evidence[i].Time = a.Evidence[i].Time.UTC()
	}
	for _, h := range history {
		a.History = append(a.History, alert.StatusChange{
			At: Time(h.At), From: alert.Status(h.From), To: alert.Status(h.To), By: h.By, Note: h.Note,
		})
	}
	return a, nil
}

// DecodeAlerts decodes stored alerts and gives each its history rows,
// taken from history, which is grouped by alert ID (rows of alerts not in
// as are skipped). It never returns nil.
func DecodeAlerts(as []StoredAlert, history []StatusRow) ([]alert.Alert, error) {
	byID := make(map[string][]StatusRow)
	for _, h := range history {
		byID[h.AlertID] = append(byID[h.AlertID], h)
	}
	out := make([]alert.Alert, len(as))
	for i := range as {
		a, err := DecodeAlert(as[i], byID[as[i].ID])
		if err != nil {
			return nil, err
		}
		out[i] = a
	}
	return out, nil
}

// SplitLegacyAlertDoc converts a document written before migration 6,
// which held the alert's count and first and last seen, into the document
// stored now. The alert's columns already hold those.
func SplitLegacyAlertDoc(doc []byte) (string, error) {
	var d legacyAlertDoc
	if err := json.Unmarshal(doc, &d); err != nil {
		return "", err
	}
	out, err := json.Marshal(d.alertDoc)
	if err != nil {
		return "", err
	}
	return string(out), nil
}

// JoinLegacyAlertDoc is the inverse of SplitLegacyAlertDoc: the document
// of the alert s as written before migration 6, its count and times taken
// from its columns.
func JoinLegacyAlertDoc(s StoredAlert) (string, error) {
	var d legacyAlertDoc
	if err := json.Unmarshal(s.Doc, &d.alertDoc); err != nil {
		return "", err
	}
	d.FirstSeen, d.LastSeen, d.Count = Time(s.FirstSeen), Time(s.LastSeen), s.Count
	out, err := json.Marshal(d)
	if err != nil {
		return "", err
	}
	return string(out), nil
}

// ReopenedBy is who the history says reopened a resolved alert that
// occurred again: the store itself.
const ReopenedBy = "vigil"

// Occurrence is the count and last seen an alert has once a batch is
// applied: its whole write's, or its sighting's, which applies after.
type Occurrence struct {
	ID              string
	Count, LastSeen int64
}

// Occurrences returns the final count and last seen of every alert the
// plan writes whole or sights, sorted by ID: of an alert both written and
// sighted, the sighting's, which applies last.
func (p *Plan) Occurrences() []Occurrence {
	as, ss := p.Alerts, p.AlertSightings
	out := make([]Occurrence, 0, len(as)+len(ss))
	i, j := 0, 0
	for i < len(as) || j < len(ss) {
		switch {
		case j == len(ss) || i < len(as) && as[i].ID < ss[j].ID:
			out = append(out, Occurrence{ID: as[i].ID, Count: as[i].Count, LastSeen: as[i].LastSeen})
			i++
		default:
			if i < len(as) && as[i].ID == ss[j].ID {
				i++ // the sighting applies after the whole write
			}
			out = append(out, Occurrence{ID: ss[j].ID, Count: ss[j].Count, LastSeen: ss[j].LastSeen})
			j++
		}
	}
	return out
}

// Reopen is a resolved alert a commit reopens, with the status change to
// record.
type Reopen struct {
	ID     string
	Change alert.StatusChange
}

// Reopens returns the alerts of occ (see Plan.Occurrences) to reopen,
// sorted by ID, given resolved, the stored count of each of them stored
// with status resolved before the batch is applied: those whose final
// count is greater than the stored one. Each change goes from resolved
// to open, by ReopenedBy, at at, with a note saying how many more
// occurrences there were and when the last was.
func Reopens(occ []Occurrence, resolved map[string]int64, at time.Time) []Reopen {
	if len(resolved) == 0 {
		return nil
	}
	var out []Reopen
	for _, o := range occ {
		stored, ok := resolved[o.ID]
		if !ok || o.Count <= stored {
			continue
		}
		out = append(out, Reopen{ID: o.ID, Change: alert.StatusChange{
			At: at, From: alert.Resolved, To: alert.Open, By: ReopenedBy,
			Note: fmt.Sprintf("occurred again: %d more occurrence(s), the last at %s",
				o.Count-stored, Time(o.LastSeen).UTC().Format(time.RFC3339)),
		}})
	}
	return out
}
