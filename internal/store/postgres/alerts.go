package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/vigil-iomt/vigil/internal/alert"
	"github.com/vigil-iomt/vigil/internal/store"
	"github.com/vigil-iomt/vigil/internal/store/internal/codec"
)

const (
	alertCols = `id, dedup_key, detector, device_id, severity, status, first_seen_ns, last_seen_ns, count, doc`
	// alertUpdates keeps the status of a stored alert: triage is not the
	// detector's to change.
	alertUpdates = ` ON CONFLICT (id) DO UPDATE SET dedup_key = excluded.dedup_key, detector = excluded.detector,
		device_id = excluded.device_id, severity = excluded.severity, first_seen_ns = excluded.first_seen_ns,
		last_seen_ns = excluded.last_seen_ns, count = excluded.count, doc = excluded.doc`
	historyCols = `alert_id, seq, at_ns, from_status, to_status, by_who, note`
)

// writeAlerts upserts alerts with one statement (a batch has few), then
// writes the history of those it inserted: xmax = 0 tells an inserted row
// from an updated one, so that of two commits racing to insert an alert,
// the second updates it and leaves its history alone.
func writeAlerts(ctx context.Context, tx pgx.Tx, as []codec.Alert) error {
	n := len(as)
	if n == 0 {
		return nil
	}
	id, key, detector, device, status, doc := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	severity, first, last, count := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
	for i, a := range as {
		id[i], key[i], detector[i], device[i], status[i], doc[i] = a.ID, a.DedupKey, a.Detector, a.DeviceID, a.Status, a.Doc
		severity[i], first[i], last[i], count[i] = a.Severity, a.FirstSeen, a.LastSeen, a.Count
	}
	rows, err := tx.Query(ctx, `INSERT INTO alerts (`+alertCols+`)
		SELECT id, dedup_key, detector, device_id, severity, status, first_seen_ns, last_seen_ns, count, doc::json
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::smallint[], $6::text[], $7::bigint[], $8::bigint[], $9::bigint[], $10::text[])
			AS t(`+alertCols+`)`+alertUpdates+` RETURNING id, xmax = 0`,
		id, key, detector, device, severity, status, first, last, count, doc)
	if err != nil {
		return fmt.Errorf("alerts: %w", err)
	}
	inserted := map[string]bool{}
	var (
		rid string
		ins bool
	)
	if _, err := pgx.ForEachRow(rows, []any{&rid, &ins}, func() error {
		inserted[rid] = ins
		return nil
	}); err != nil {
		return fmt.Errorf("alerts: %w", err)
	}
	var (
		hID, hFrom, hTo, hBy, hNote []string
		hSeq, hAt                   []int64
	)
	for _, a := range as {
		if !inserted[a.ID] {
			continue
		}
		for _, h := range a.History {
			hID, hFrom, hTo, hBy, hNote = append(hID, h.AlertID), append(hFrom, h.From), append(hTo, h.To), append(hBy, h.By), append(hNote, h.Note)
			hSeq, hAt = append(hSeq, h.Seq), append(hAt, h.At)
		}
	}
	if len(hID) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, `INSERT INTO alert_status_history (`+historyCols+`)
		SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[])`,
		hID, hSeq, hAt, hFrom, hTo, hBy, hNote); err != nil {
		return fmt.Errorf("alerts: history: %w", err)
	}
	return nil
}

// writeAlertSightings updates the count and time columns of the sighted
// alerts, a chunk of rows per statement, failing with
// store.ErrInvalidBatch if one does not exist.
func writeAlertSightings(ctx context.Context, tx pgx.Tx, ss []codec.AlertSighting) error {
	for lo, hi := range chunks(len(ss), chunkRows) {
		n := hi - lo
		id, count, first, last := make([]string, n), make([]int64, n), make([]int64, n), make([]int64, n)
		for i, s := range ss[lo:hi] {
			id[i], count[i], first[i], last[i] = s.ID, s.Count, s.FirstSeen, s.LastSeen
		}
		tag, err := tx.Exec(ctx, `UPDATE alerts a SET count = s.count, first_seen_ns = s.first_seen_ns, last_seen_ns = s.last_seen_ns
			FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[]) AS s(id, count, first_seen_ns, last_seen_ns)
			WHERE a.id = s.id`, id, count, first, last)
		if err != nil {
			return fmt.Errorf("alert sightings: %w", err)
		}
		if int(tag.RowsAffected()) == n {
			continue
		}
		return missing(ctx, tx, "alert sightings", codec.UnknownAlerts, `SELECT s.id FROM unnest($1::text[]) AS s(id)
			WHERE NOT EXISTS (SELECT FROM alerts a WHERE a.id = s.id) ORDER BY s.id`, id)
	}
	return nil
}

// Alert returns the alert with the given ID, with its history, or
// store.ErrNotFound.
func (s *Store) Alert(ctx context.Context, id string) (alert.Alert, error) {
	if !codec.Storable(id) {
		return alert.Alert{}, fmt.Errorf("postgres: alert %q: %w", id, store.ErrNotFound)
	}
	out, err := s.readAlerts(ctx, ` WHERE id = $1`, []any{id})
	if err != nil {
		return alert.Alert{}, fmt.Errorf("postgres: alert %q: %w", id, err)
	}
	if len(out) == 0 {
		return alert.Alert{}, fmt.Errorf("postgres: alert %q: %w", id, store.ErrNotFound)
	}
	return out[0], nil
}

// Alerts returns the alerts matching q, with their histories, ordered by
// LastSeen descending then ID, never nil. Alerts and histories are read in
// one repeatable-read transaction, so that both see the same commit.
func (s *Store) Alerts(ctx context.Context, q store.AlertQuery) ([]alert.Alert, error) {
	if q.Limit < 0 {
		return nil, fmt.Errorf("postgres: alerts: negative limit %d", q.Limit)
	}
	if q.Status != "" && !q.Status.Valid() {
		return nil, fmt.Errorf("postgres: alerts: invalid status %q", q.Status)
	}
	if !codec.Storable(q.DeviceID) || !codec.Storable(q.Detector) {
		return []alert.Alert{}, nil // no stored alert has them
	}
	var conds []string
	args := []any{}
	add := func(cond string, arg any) {
		args = append(args, arg)
		conds = append(conds, fmt.Sprintf(cond, len(args)))
	}
	if q.DeviceID != "" {
		add(`device_id = $%d`, q.DeviceID)
	}
	if q.Detector != "" {
		add(`detector = $%d`, q.Detector)
	}
	if q.MinSeverity != 0 {
		add(`severity >= $%d`, int64(q.MinSeverity))
	}
	if q.Status != "" {
		add(`status = $%d`, string(q.Status))
	}
	if !q.Since.IsZero() {
		add(`last_seen_ns >= $%d`, codec.Nanos(q.Since))
	}
	if !q.Until.IsZero() {
		add(`last_seen_ns < $%d`, codec.Nanos(q.Until))
	}
	where := ``
	if len(conds) > 0 {
		where = ` WHERE ` + strings.Join(conds, ` AND `)
	}
	where += ` ORDER BY last_seen_ns DESC, id`
	if q.Limit > 0 {
		args = append(args, q.Limit)
		where += fmt.Sprintf(` LIMIT $%d`, len(args))
	}
	out, err := s.readAlerts(ctx, where, args)
	if err != nil {
		return nil, fmt.Errorf("postgres: alerts: %w", err)
	}
	return out, nil
}

// readAlerts reads the alerts that where selects, and their histories.
func (s *Store) readAlerts(ctx context.Context, where string, args []any) ([]alert.Alert, error) {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, err
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	rows, err := tx.Query(ctx, `SELECT id, status, count, first_seen_ns, last_seen_ns, doc FROM alerts`+where, args...)
	if err != nil {
		return nil, err
	}
	as, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (codec.StoredAlert, error) {
		var a codec.StoredAlert
		err := row.Scan(&a.ID, &a.Status, &a.Count, &a.FirstSeen, &a.LastSeen, &a.Doc)
		return a, err
	})
	if err != nil {
		return nil, err
	}
	var history []codec.StatusRow
	if len(as) > 0 {
		rows, err = tx.Query(ctx, `SELECT `+historyCols+` FROM alert_status_history
			WHERE alert_id IN (SELECT id FROM alerts`+where+`) ORDER BY alert_id, at_ns, seq`, args...)
		if err != nil {
			return nil, fmt.Errorf("history: %w", err)
		}
		history, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (codec.StatusRow, error) {
			var h codec.StatusRow
			err := row.Scan(&h.AlertID, &h.Seq, &h.At, &h.From, &h.To, &h.By, &h.Note)
			return h, err
		})
		if err != nil {
			return nil, fmt.Errorf("history: %w", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, err
	}
	return codec.DecodeAlerts(as, history)
}

// SetAlertStatus sets the status of the alert id and appends change, its
// From filled with the status replaced, to its history, in one
// transaction that locks the alert's row, so that concurrent changes of
// one alert apply one after the other.
func (s *Store) SetAlertStatus(ctx context.Context, id string, change alert.StatusChange) error {
	if err := store.ValidateStatusChange(change); err != nil {
		return fmt.Errorf("postgres: set alert %q status: %w", id, err)
	}
	if !codec.Storable(id) {
		return fmt.Errorf("postgres: set alert %q status: %w", id, store.ErrNotFound)
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: set alert %q status: begin: %w", id, err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if err := setStatus(ctx, tx, id, change); err != nil {
		return fmt.Errorf("postgres: set alert %q status: %w", id, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: set alert %q status: %w", id, err)
	}
	return nil
}

// setStatus sets the status of the alert id to change.To and appends
// change, its From set to the status it replaces, to the alert's history
// as its next change, in tx, locking the alert's row first (a no-op when
// tx holds it already). It fails with store.ErrNotFound when the alert
// does not exist. The caller validates change.
func setStatus(ctx context.Context, tx pgx.Tx, id string, change alert.StatusChange) error {
	var from string
	err := tx.QueryRow(ctx, `SELECT status FROM alerts WHERE id = $1 FOR UPDATE`, id).Scan(&from)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ErrNotFound
	}
	if err != nil {
		return err
	}
	var seq int64
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(seq) + 1, 0) FROM alert_status_history WHERE alert_id = $1`, id).Scan(&seq); err != nil {
		return fmt.Errorf("history: %w", err)
	}
	change.From = alert.Status(from)
	h := codec.EncodeStatusChange(id, seq, change)
	var b pgx.Batch
	b.Queue(`UPDATE alerts SET status = $1 WHERE id = $2`, h.To, id)
	b.Queue(`INSERT INTO alert_status_history (`+historyCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		h.AlertID, h.Seq, h.At, h.From, h.To, h.By, h.Note)
	return tx.SendBatch(ctx, &b).Close()
}

// lockAlerts locks the stored rows of the batch's alerts, in ID order,
// before anything is written, and returns the stored count of those
// whose status is resolved. Every row the commit then updates is one it
// holds, and rows are only ever locked in ID order (the writes that
// follow are sorted too), so concurrent commits wait for each other
// instead of deadlocking; a concurrent SetAlertStatus waits too, then
// finds the alerts as the commit left them (reopened, say).
func lockAlerts(ctx context.Context, tx pgx.Tx, occ []codec.Occurrence) (map[string]int64, error) {
	if len(occ) == 0 {
		return nil, nil
	}
	ids := make([]string, len(occ))
	for i, o := range occ {
		ids[i] = o.ID
	}
	rows, err := tx.Query(ctx, `SELECT id, status, count FROM alerts WHERE id = ANY($1::text[])
		ORDER BY id FOR UPDATE`, ids)
	if err != nil {
		return nil, err
	}
	resolved := map[string]int64{}
	var (
		id, status string
		count      int64
	)
	if _, err := pgx.ForEachRow(rows, []any{&id, &status, &count}, func() error {
		if status == string(alert.Resolved) {
			resolved[id] = count
		}
		return nil
	}); err != nil {
		return nil, err
	}
	return resolved, nil
}

// reopenAlerts reopens the resolved alerts that occurred again (see
// codec.Reopens), after the batch's alerts and sightings are written.
func reopenAlerts(ctx context.Context, tx pgx.Tx, occ []codec.Occurrence, resolved map[string]int64) error {
	for _, r := range codec.Reopens(occ, resolved, time.Now().UTC()) {
		if err := setStatus(ctx, tx, r.ID, r.Change); err != nil {
			return fmt.Errorf("alert %q: %w", r.ID, err)
		}
	}
	return nil
}
