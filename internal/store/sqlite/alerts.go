package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vigil-iomt/vigil/internal/alert"
	"github.com/vigil-iomt/vigil/internal/store"
	"github.com/vigil-iomt/vigil/internal/store/internal/codec"
)

const (
	alertCols = `id, dedup_key, detector, device_id, severity, status, first_seen_ns, last_seen_ns, count`
	// upsertAlert keeps the status of a stored alert: triage is not the
	// detector's to change.
	upsertAlert = `INSERT INTO alerts (` + alertCols + `) VALUES (?,?,?,?,?,?,?,?,?)
		ON CONFLICT (id) DO UPDATE SET dedup_key = excluded.dedup_key, detector = excluded.detector,
			device_id = excluded.device_id, severity = excluded.severity, first_seen_ns = excluded.first_seen_ns,
			last_seen_ns = excluded.last_seen_ns, count = excluded.count`
	historyCols = `alert_id, seq, at_ns, from_status, to_status, by_who, note`
)

var (
	// upsertAlertDocs writes alerts' documents, in a table of their own
	// (see migrations/00007_alert_docs.sql).
	upsertAlertDocs = statement{
		head: `INSERT INTO alert_docs (alert_id, doc) VALUES `,
		row:  `(?,?)`,
		tail: ` ON CONFLICT (alert_id) DO UPDATE SET doc = excluded.doc`,
		cols: 2,
	}
	insertHistory = statement{
		head: `INSERT INTO alert_status_history (` + historyCols + `) VALUES `,
		row:  `(?,?,?,?,?,?,?)`,
		cols: 7,
	}
	// updateAlertSightings updates alerts by primary key from a VALUES
	// list, as updateLastSeen does devices; the count of changed rows
	// tells whether every alert exists.
	updateAlertSightings = statement{
		head: `UPDATE alerts SET count = v.column2, first_seen_ns = v.column3, last_seen_ns = v.column4 FROM (VALUES `,
		row:  `(?,?,?,?)`,
		tail: `) AS v WHERE alerts.id = v.column1`,
		cols: 4,
	}
)

// alerts upserts the plan's alerts, writing the history of those that are
// new. Commits are serialised on the writer connection, so whether an
// alert exists cannot change between the lookup and the upsert.
func (w *writer) alerts(ctx context.Context, p *codec.Plan) error {
	if len(p.Alerts) == 0 {
		return nil
	}
	exists, err := w.tx.PrepareContext(ctx, `SELECT EXISTS (SELECT 1 FROM alerts WHERE id = ?)`)
	if err != nil {
		return err
	}
	defer exists.Close()
	upsert, err := w.tx.PrepareContext(ctx, upsertAlert)
	if err != nil {
		return err
	}
	defer upsert.Close()
	var history []codec.StatusRow
	for i := range p.Alerts {
		a := &p.Alerts[i]
		var found bool
		if err := exists.QueryRowContext(ctx, a.ID).Scan(&found); err != nil {
			return err
		}
		if _, err := upsert.ExecContext(ctx, a.ID, a.DedupKey, a.Detector, a.DeviceID, a.Severity, a.Status,
			a.FirstSeen, a.LastSeen, a.Count); err != nil {
			return fmt.Errorf("alert %q: %w", a.ID, err)
		}
		if !found {
			history = append(history, a.History...)
		}
	}
	if err := w.exec(ctx, upsertAlertDocs, len(p.Alerts), func(i int, args []any) []any {
		return append(args, p.Alerts[i].ID, p.Alerts[i].Doc)
	}, nil); err != nil {
		return fmt.Errorf("documents: %w", err)
	}
	if err := w.exec(ctx, insertHistory, len(history), func(i int, args []any) []any {
		h := &history[i]
		return append(args, h.AlertID, h.Seq, h.At, h.From, h.To, h.By, h.Note)
	}, nil); err != nil {
		return fmt.Errorf("history: %w", err)
	}
	return nil
}

// alertSightings updates the count and time columns of every sighted
// alert, leaving its document alone, failing with store.ErrInvalidBatch if
// one does not exist.
func (w *writer) alertSightings(ctx context.Context, p *codec.Plan) error {
	ss := p.AlertSightings
	return w.exec(ctx, updateAlertSightings, len(ss), func(i int, a []any) []any {
		s := &ss[i]
		return append(a, s.ID, s.Count, s.FirstSeen, s.LastSeen)
	}, func(lo, hi int, res sql.Result) error {
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if int(n) == hi-lo {
			return nil
		}
		ids := make([]string, hi-lo)
		for i := range ids {
			ids[i] = ss[lo+i].ID
		}
		unknown, err := w.absent(ctx, "alerts", ids)
		if err != nil {
			return err
		}
		return codec.UnknownAlerts(unknown)
	})
}

// Alert returns the alert with the given ID, with its history, or
// store.ErrNotFound.
func (s *Store) Alert(ctx context.Context, id string) (alert.Alert, error) {
	out, err := s.readAlerts(ctx, ` WHERE id = ?`, []any{id})
	if err != nil {
		return alert.Alert{}, fmt.Errorf("sqlite: alert %q: %w", id, err)
	}
	if len(out) == 0 {
		return alert.Alert{}, fmt.Errorf("sqlite: alert %q: %w", id, store.ErrNotFound)
	}
	return out[0], nil
}

// Alerts returns the alerts matching q, with their histories, ordered by
// LastSeen descending then ID, never nil. Alerts and histories are read in
// one read transaction, so that both see the same commit.
func (s *Store) Alerts(ctx context.Context, q store.AlertQuery) ([]alert.Alert, error) {
	where, args, err := alertWhere(q)
	if err != nil {
		return nil, fmt.Errorf("sqlite: alerts: %w", err)
	}
	out, err := s.readAlerts(ctx, where, args)
	if err != nil {
		return nil, fmt.Errorf("sqlite: alerts: %w", err)
	}
	return out, nil
}

// alertWhere returns the WHERE, ORDER BY and LIMIT clauses of q.
func alertWhere(q store.AlertQuery) (string, []any, error) {
	if q.Limit < 0 {
		return "", nil, fmt.Errorf("negative limit %d", q.Limit)
	}
	if q.Status != "" && !q.Status.Valid() {
		return "", nil, fmt.Errorf("invalid status %q", q.Status)
	}
	var conds []string
	args := []any{}
	add := func(cond string, arg any) {
		conds = append(conds, cond)
		args = append(args, arg)
	}
	if q.DeviceID != "" {
		add(`device_id = ?`, q.DeviceID)
	}
	if q.Detector != "" {
		add(`detector = ?`, q.Detector)
	}
	if q.MinSeverity != 0 {
		add(`severity >= ?`, int64(q.MinSeverity))
	}
	if q.Status != "" {
		add(`status = ?`, string(q.Status))
	}
	if !q.Since.IsZero() {
		add(`last_seen_ns >= ?`, codec.Nanos(q.Since))
	}
	if !q.Until.IsZero() {
		add(`last_seen_ns < ?`, codec.Nanos(q.Until))
	}
	where := ``
	if len(conds) > 0 {
		where = ` WHERE ` + strings.Join(conds, ` AND `)
	}
	where += ` ORDER BY last_seen_ns DESC, id`
	if q.Limit > 0 {
		where += ` LIMIT ?`
		args = append(args, q.Limit)
	}
	return where, args, nil
}

// readAlerts reads the alerts that where selects, and their histories.
func (s *Store) readAlerts(ctx context.Context, where string, args []any) ([]alert.Alert, error) {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer func() { _ = tx.Rollback() }()
	as, err := scanAll(ctx, tx, `SELECT id, status, count, first_seen_ns, last_seen_ns, doc
		FROM alerts JOIN alert_docs ON alert_id = id`+where, args,
		func(rows *sql.Rows, a *codec.StoredAlert) error {
			return rows.Scan(&a.ID, &a.Status, &a.Count, &a.FirstSeen, &a.LastSeen, &a.Doc)
		})
	if err != nil {
		return nil, err
	}
	var history []codec.StatusRow
	if len(as) > 0 {
		history, err = scanAll(ctx, tx, `SELECT `+historyCols+` FROM alert_status_history
			WHERE alert_id IN (SELECT id FROM alerts`+where+`) ORDER BY alert_id, at_ns, seq`, args,
			func(rows *sql.Rows, h *codec.StatusRow) error {
				return rows.Scan(&h.AlertID, &h.Seq, &h.At, &h.From, &h.To, &h.By, &h.Note)
			})
		if err != nil {
			return nil, fmt.Errorf("history: %w", err)
		}
	}
	return codec.DecodeAlerts(as, history)
}

// SetAlertStatus sets the status of the alert id and appends change, its
// From filled with the status replaced, to its history, in one
// transaction on the writer connection.
func (s *Store) SetAlertStatus(ctx context.Context, id string, change alert.StatusChange) error {
	if err := store.ValidateStatusChange(change); err != nil {
		return fmt.Errorf("sqlite: set alert %q status: %w", id, err)
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: set alert %q status: begin: %w", id, err)
	}
	defer func() { _ = tx.Rollback() }()
	if err := setStatus(ctx, tx, id, change); err != nil {
		return fmt.Errorf("sqlite: set alert %q status: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: set alert %q status: %w", id, err)
	}
	return nil
}

// setStatus sets the status of the alert id to change.To and appends
// change, its From set to the status it replaces, to the alert's history
// as its next change, in tx. It fails with store.ErrNotFound when the
// alert does not exist. The caller validates change; that tx is on the
// writer connection makes the read and the writes one step.
func setStatus(ctx context.Context, tx *sql.Tx, id string, change alert.StatusChange) error {
	var (
		from string
		seq  int64
	)
	err := tx.QueryRowContext(ctx, `SELECT a.status, COALESCE((SELECT MAX(seq) + 1 FROM alert_status_history
		WHERE alert_id = a.id), 0) FROM alerts a WHERE a.id = ?`, id).Scan(&from, &seq)
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	if err != nil {
		return err
	}
	change.From = alert.Status(from)
	h := codec.EncodeStatusChange(id, seq, change)
	if _, err := tx.ExecContext(ctx, `UPDATE alerts SET status = ? WHERE id = ?`, h.To, id); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, insertHistory.sql(1), h.AlertID, h.Seq, h.At, h.From, h.To, h.By, h.Note); err != nil {
		return fmt.Errorf("history: %w", err)
	}
	return nil
}

// maxResolvedIDs bounds the IDs of one query of resolvedAlerts.
const maxResolvedIDs = 500

// resolvedAlerts returns the stored count of each alert of occ stored
// with status resolved, by ID, a chunk of IDs per query. It runs before
// the batch's alerts are written: what it reads is what the batch finds.
func (w *writer) resolvedAlerts(ctx context.Context, occ []codec.Occurrence) (map[string]int64, error) {
	if len(occ) == 0 {
		return nil, nil
	}
	resolved := map[string]int64{}
	for lo := 0; lo < len(occ); lo += maxResolvedIDs {
		hi := min(lo+maxResolvedIDs, len(occ))
		args := make([]any, 0, hi-lo+1)
		args = append(args, string(alert.Resolved))
		for _, o := range occ[lo:hi] {
			args = append(args, o.ID)
		}
		rows, err := scanAll(ctx, w.tx, `SELECT id, count FROM alerts WHERE status = ? AND id IN (?`+
			strings.Repeat(",?", hi-lo-1)+`)`, args, func(rows *sql.Rows, r *codec.Occurrence) error {
			return rows.Scan(&r.ID, &r.Count)
		})
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			resolved[r.ID] = r.Count
		}
	}
	return resolved, nil
}

// reopen reopens the resolved alerts that occurred again (see
// codec.Reopens), after the batch's alerts and sightings are written.
func (w *writer) reopen(ctx context.Context, occ []codec.Occurrence, resolved map[string]int64) error {
	for _, r := range codec.Reopens(occ, resolved, time.Now().UTC()) {
		if err := setStatus(ctx, w.tx, r.ID, r.Change); err != nil {
			return fmt.Errorf("alert %q: %w", r.ID, err)
		}
	}
	return nil
}
