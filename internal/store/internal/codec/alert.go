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
	FirstSeen, LastSeen, Count       int64
	// Doc is the JSON of the alert's occurrence fields, see alertDoc.
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

// alertDoc is the stored document of an alert: its occurrence fields,
// those a detector re-firing replaces. Status and history are not in it.
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
	FirstSeen   time.Time        `json:"first_seen"`
	LastSeen    time.Time        `json:"last_seen"`
	Count       int64            `json:"count"`
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

// EncodeAlert returns the row of a, with its history rows numbered from 0.
func EncodeAlert(a *alert.Alert) (Alert, error) {
	doc, err := json.Marshal(alertDoc{
		DedupKey: a.DedupKey, Detector: a.Detector, DeviceID: a.DeviceID, Severity: a.Severity,
		Title: a.Title, Explanation: a.Explanation, Evidence: a.Evidence, Attack: a.Attack, D3FEND: a.D3FEND,
		FirstSeen: a.FirstSeen, LastSeen: a.LastSeen, Count: a.Count,
	})
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

// EncodeStatusChange returns the history row of change number seq of an alert.
func EncodeStatusChange(id string, seq int64, c alert.StatusChange) StatusRow {
	return StatusRow{AlertID: id, Seq: seq, At: Nanos(c.At), From: string(c.From), To: string(c.To), By: c.By, Note: c.Note}
}

// StoredAlert is an alerts row as read back.
type StoredAlert struct {
	ID     string
	Status string
	Doc    []byte
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
		FirstSeen: d.FirstSeen.UTC(), LastSeen: d.LastSeen.UTC(), Count: d.Count, Status: alert.Status(s.Status),
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
