package codec

import (
	"fmt"
	"strings"

	"github.com/vigil-iomt/vigil/internal/store"
)

// Finding is one row of the findings table, as Commit writes it: the
// assessment columns. Rank is store.DecisionRank of Decision, the column
// Findings sorts on. Due is ZeroTime when the record carries none, and
// the stored due date is then kept.
type Finding struct {
	ID, DeviceID, Vulnerability, Component, Decision string
	Rank                                             int64
	Suppressed, KEV                                  bool
	CVSS, EPSS                                       float64
	Assessed, Due                                    int64
	Doc                                              []byte
}

// FindingGone is the update a finding gone makes to its finding's row.
type FindingGone struct {
	ID   string
	Gone int64
}

// PatchRow is one row of the finding_history table.
type PatchRow struct {
	FindingID    string
	Seq          int64 // the order the changes were made in, from 0
	At           int64
	From, To, By string
	Note         string
}

// planFindings encodes the batch's findings and findings gone, the last
// occurrence of each ID, sorted by ID.
func (p *Plan) planFindings() {
	b := p.b
	if len(b.Findings) > 0 {
		p.Findings = make([]Finding, len(b.Findings))
		for i := range b.Findings {
			f := &b.Findings[i]
			p.Findings[i] = Finding{ID: f.ID, DeviceID: f.DeviceID, Vulnerability: f.Vulnerability, Component: f.Component,
				Decision: f.Decision, Rank: int64(store.DecisionRank(f.Decision)), Suppressed: f.Suppressed, KEV: f.KEV,
				CVSS: f.CVSS, EPSS: f.EPSS, Assessed: Nanos(f.Assessed), Due: Nanos(f.Due), Doc: NonNil(f.Doc)}
		}
		p.Findings = lastByKey(p.Findings, func(a, b Finding) int { return strings.Compare(a.ID, b.ID) })
	}
	if len(b.FindingsGone) > 0 {
		p.FindingsGone = make([]FindingGone, len(b.FindingsGone))
		for i, g := range b.FindingsGone {
			p.FindingsGone[i] = FindingGone{ID: g.ID, Gone: Nanos(g.At)}
		}
		p.FindingsGone = lastByKey(p.FindingsGone, func(a, b FindingGone) int { return strings.Compare(a.ID, b.ID) })
	}
}

// UnknownFindings is the error of findings gone of the findings ids, which
// do not exist: it wraps store.ErrInvalidBatch and names a few of them.
func UnknownFindings(ids []string) error {
	if len(ids) == 0 {
		return fmt.Errorf("%w: fewer findings marked gone than given", store.ErrInvalidBatch)
	}
	return fmt.Errorf("%w: findings marked gone do not exist: %s", store.ErrInvalidBatch, few(ids))
}

// EncodePatchChange returns the history row of change number seq of a
// finding.
func EncodePatchChange(id string, seq int64, c store.PatchChange) PatchRow {
	return PatchRow{FindingID: id, Seq: seq, At: Nanos(c.At), From: c.From, To: c.To, By: c.By, Note: c.Note}
}

// StoredFinding is a findings row as read back: the assessment columns
// and the patch state.
type StoredFinding struct {
	Finding
	State string
	Gone  int64
}

// DecodeFindings decodes stored findings, with every time in UTC, and
// gives each its history rows, taken from history, which is sorted by
// finding ID then seq (rows of findings not in fs are skipped). It never
// returns nil; a finding without history has a nil History.
func DecodeFindings(fs []StoredFinding, history []PatchRow) []store.FindingRecord {
	byID := make(map[string][]store.PatchChange)
	for _, h := range history {
		byID[h.FindingID] = append(byID[h.FindingID], store.PatchChange{At: Time(h.At), From: h.From, To: h.To, By: h.By, Note: h.Note})
	}
	out := make([]store.FindingRecord, len(fs))
	for i := range fs {
		f := &fs[i]
		out[i] = store.FindingRecord{ID: f.ID, DeviceID: f.DeviceID, Vulnerability: f.Vulnerability, Component: f.Component,
			Decision: f.Decision, Suppressed: f.Suppressed, CVSS: f.CVSS, KEV: f.KEV, EPSS: f.EPSS,
			Assessed: Time(f.Assessed), Doc: NonNil(f.Doc), State: f.State, Due: Time(f.Due),
			History: byID[f.ID], Gone: Time(f.Gone)}
	}
	return out
}
