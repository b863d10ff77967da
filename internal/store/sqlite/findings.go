package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vigil-iomt/vigil/internal/store"
	"github.com/vigil-iomt/vigil/internal/store/internal/codec"
)

const (
	findingCols = `id, device_id, vulnerability, component, decision, rank, suppressed, cvss, kev, epss, assessed_ns, doc,
		state, due_ns, gone_ns`
	// findingOrder is the order of Findings, which findings_order indexes.
	findingOrder       = ` ORDER BY rank DESC, device_id, vulnerability, component, id`
	findingHistoryCols = `finding_id, seq, at_ns, from_state, to_state, by_who, note`
)

var (
	// upsertFindings writes the assessment columns and keeps the patch
	// state of a stored finding: a new one gets state '' and, with a
	// stored one, gone_ns cleared to the zero time, the last parameter of
	// every row. A due date equal to it (the zero time) keeps the stored
	// one.
	upsertFindings = statement{
		head: `INSERT INTO findings (` + findingCols + `) VALUES `,
		row:  `(?,?,?,?,?,?,?,?,?,?,?,?,'',?,?)`,
		tail: ` ON CONFLICT (id) DO UPDATE SET device_id = excluded.device_id, vulnerability = excluded.vulnerability,
			component = excluded.component, decision = excluded.decision, rank = excluded.rank,
			suppressed = excluded.suppressed, cvss = excluded.cvss, kev = excluded.kev, epss = excluded.epss,
			assessed_ns = excluded.assessed_ns, doc = excluded.doc,
			due_ns = CASE WHEN excluded.due_ns = excluded.gone_ns THEN findings.due_ns ELSE excluded.due_ns END,
			gone_ns = excluded.gone_ns`,
		cols: 14,
	}
	// updateFindingsGone updates findings by primary key from a VALUES
	// list, as updateAlertSightings does alerts; the count of changed rows
	// tells whether every finding exists.
	updateFindingsGone = statement{
		head: `UPDATE findings SET gone_ns = v.column2 FROM (VALUES `,
		row:  `(?,?)`,
		tail: `) AS v WHERE findings.id = v.column1`,
		cols: 2,
	}
	insertFindingHistory = statement{
		head: `INSERT INTO finding_history (` + findingHistoryCols + `) VALUES `,
		row:  `(?,?,?,?,?,?,?)`,
		cols: 7,
	}
)

// findings upserts the plan's findings, then marks its findings gone,
// failing with store.ErrInvalidBatch if one does not exist.
func (w *writer) findings(ctx context.Context, p *codec.Plan) error {
	fs := p.Findings
	if err := w.exec(ctx, upsertFindings, len(fs), func(i int, a []any) []any {
		f := &fs[i]
		return append(a, f.ID, f.DeviceID, f.Vulnerability, f.Component, f.Decision, f.Rank, f.Suppressed, f.CVSS, f.KEV,
			f.EPSS, f.Assessed, f.Doc, f.Due, codec.ZeroTime)
	}, nil); err != nil {
		return fmt.Errorf("findings: %w", err)
	}
	gs := p.FindingsGone
	if err := w.exec(ctx, updateFindingsGone, len(gs), func(i int, a []any) []any {
		return append(a, gs[i].ID, gs[i].Gone)
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
			ids[i] = gs[lo+i].ID
		}
		unknown, err := w.absent(ctx, "findings", ids)
		if err != nil {
			return err
		}
		return codec.UnknownFindings(unknown)
	}); err != nil {
		return fmt.Errorf("findings gone: %w", err)
	}
	return nil
}

// Findings returns the findings matching q, with their histories, ordered
// by decision rank (highest first), device, vulnerability, component and
// ID, never nil. Findings and histories are read in one read transaction,
// so that both see the same commit.
func (s *Store) Findings(ctx context.Context, q store.FindingQuery) ([]store.FindingRecord, error) {
	if q.Limit < 0 {
		return nil, fmt.Errorf("sqlite: findings: negative limit %d", q.Limit)
	}
	var conds []string
	args := []any{}
	add := func(cond string, arg any) {
		conds = append(conds, cond)
		args = append(args, arg)
	}
	if q.Decision != "" {
		rank := store.DecisionRank(q.Decision)
		if rank < 0 {
			return nil, fmt.Errorf("sqlite: findings: invalid decision %q", q.Decision)
		}
		add(`rank = ?`, rank)
	}
	if q.DeviceID != "" {
		add(`device_id = ?`, q.DeviceID)
	}
	if q.Vulnerability != "" {
		add(`vulnerability = ?`, q.Vulnerability)
	}
	if q.State != "" {
		add(`state = ?`, q.State)
	}
	if !q.IncludeSuppressed {
		conds = append(conds, `suppressed = 0`)
	}
	if !q.IncludeGone {
		add(`gone_ns = ?`, codec.ZeroTime)
	}
	where := ``
	if len(conds) > 0 {
		where = ` WHERE ` + strings.Join(conds, ` AND `)
	}
	where += findingOrder
	if q.Limit > 0 {
		where += ` LIMIT ?`
		args = append(args, q.Limit)
	}
	out, err := s.readFindings(ctx, where, args)
	if err != nil {
		return nil, fmt.Errorf("sqlite: findings: %w", err)
	}
	return out, nil
}

// Finding returns the finding with the given ID, with its history, or
// store.ErrNotFound.
func (s *Store) Finding(ctx context.Context, id string) (store.FindingRecord, error) {
	out, err := s.readFindings(ctx, ` WHERE id = ?`, []any{id})
	if err != nil {
		return store.FindingRecord{}, fmt.Errorf("sqlite: finding %q: %w", id, err)
	}
	if len(out) == 0 {
		return store.FindingRecord{}, fmt.Errorf("sqlite: finding %q: %w", id, store.ErrNotFound)
	}
	return out[0], nil
}

// readFindings reads the findings that where selects, and their histories.
func (s *Store) readFindings(ctx context.Context, where string, args []any) ([]store.FindingRecord, error) {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer func() { _ = tx.Rollback() }()
	fs, err := scanAll(ctx, tx, `SELECT `+findingCols+` FROM findings`+where, args, func(rows *sql.Rows, f *codec.StoredFinding) error {
		return rows.Scan(&f.ID, &f.DeviceID, &f.Vulnerability, &f.Component, &f.Decision, &f.Rank, &f.Suppressed, &f.CVSS,
			&f.KEV, &f.EPSS, &f.Assessed, &f.Doc, &f.State, &f.Due, &f.Gone)
	})
	if err != nil {
		return nil, err
	}
	var history []codec.PatchRow
	if len(fs) > 0 {
		history, err = scanAll(ctx, tx, `SELECT `+findingHistoryCols+` FROM finding_history
			WHERE finding_id IN (SELECT id FROM findings`+where+`) ORDER BY finding_id, seq`, args,
			func(rows *sql.Rows, h *codec.PatchRow) error {
				return rows.Scan(&h.FindingID, &h.Seq, &h.At, &h.From, &h.To, &h.By, &h.Note)
			})
		if err != nil {
			return nil, fmt.Errorf("history: %w", err)
		}
	}
	return codec.DecodeFindings(fs, history), nil
}

// SetPatchState sets the patch state of the finding id (and its due date,
// when due is not zero) and appends change, its From filled with the
// state replaced, to its history, in one transaction on the writer
// connection.
func (s *Store) SetPatchState(ctx context.Context, id string, change store.PatchChange, due time.Time) error {
	if err := store.ValidatePatchChange(change, due); err != nil {
		return fmt.Errorf("sqlite: set finding %q patch state: %w", id, err)
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: set finding %q patch state: begin: %w", id, err)
	}
	defer func() { _ = tx.Rollback() }()
	var seq int64
	err = tx.QueryRowContext(ctx, `SELECT f.state, COALESCE((SELECT MAX(seq) + 1 FROM finding_history
		WHERE finding_id = f.id), 0) FROM findings f WHERE f.id = ?`, id).Scan(&change.From, &seq)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("sqlite: set finding %q patch state: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("sqlite: set finding %q patch state: %w", id, err)
	}
	h := codec.EncodePatchChange(id, seq, change)
	if due.IsZero() {
		_, err = tx.ExecContext(ctx, `UPDATE findings SET state = ? WHERE id = ?`, h.To, id)
	} else {
		_, err = tx.ExecContext(ctx, `UPDATE findings SET state = ?, due_ns = ? WHERE id = ?`, h.To, codec.Nanos(due), id)
	}
	if err != nil {
		return fmt.Errorf("sqlite: set finding %q patch state: %w", id, err)
	}
	if _, err := tx.ExecContext(ctx, insertFindingHistory.sql(1), h.FindingID, h.Seq, h.At, h.From, h.To, h.By, h.Note); err != nil {
		return fmt.Errorf("sqlite: set finding %q patch state: history: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: set finding %q patch state: %w", id, err)
	}
	return nil
}
