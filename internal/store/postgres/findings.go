package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/vigil-iomt/vigil/internal/store"
	"github.com/vigil-iomt/vigil/internal/store/internal/codec"
)

const (
	findingCols = `id, device_id, vulnerability, component, decision, rank, suppressed, cvss, kev, epss, assessed_ns, doc, state, due_ns, gone_ns`
	// findingUpdates writes the assessment columns and keeps the patch
	// state of a stored finding: gone_ns is cleared to the zero time, which
	// every written row carries, and a due date equal to it (the zero
	// time) keeps the stored one.
	findingUpdates = ` ON CONFLICT (id) DO UPDATE SET device_id = excluded.device_id, vulnerability = excluded.vulnerability,
		component = excluded.component, decision = excluded.decision, rank = excluded.rank,
		suppressed = excluded.suppressed, cvss = excluded.cvss, kev = excluded.kev, epss = excluded.epss,
		assessed_ns = excluded.assessed_ns, doc = excluded.doc,
		due_ns = CASE WHEN excluded.due_ns = excluded.gone_ns THEN findings.due_ns ELSE excluded.due_ns END,
		gone_ns = excluded.gone_ns`
	// findingOrder is the order of Findings, which findings_order indexes.
	findingOrder       = ` ORDER BY rank DESC, device_id, vulnerability, component, id`
	findingHistoryCols = `finding_id, seq, at_ns, from_state, to_state, by_who, note`
)

// writeFindings upserts the plan's findings, from unnest() for few and
// through COPY for many (as the software-risk tables), then marks its
// findings gone, failing with store.ErrInvalidBatch if one does not exist.
func (s *Store) writeFindings(ctx context.Context, tx pgx.Tx, p *codec.Plan) error {
	fs := p.Findings
	if len(fs) > 0 && s.mode.useCopy(len(fs)) {
		if err := copyIn(ctx, tx, "findings_in", "findings", strings.Split(findingCols, ", "), len(fs), func(i int) []any {
			f := &fs[i]
			return []any{f.ID, f.DeviceID, f.Vulnerability, f.Component, f.Decision, f.Rank, f.Suppressed, f.CVSS, f.KEV, f.EPSS,
				f.Assessed, f.Doc, "", f.Due, codec.ZeroTime}
		}); err != nil {
			return fmt.Errorf("findings: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO findings (`+findingCols+`) SELECT `+findingCols+` FROM findings_in ORDER BY id`+findingUpdates); err != nil {
			return fmt.Errorf("findings: %w", err)
		}
	} else {
		for lo, hi := range docChunks(len(fs), func(i int) int { return len(fs[i].Doc) }) {
			n := hi - lo
			id, device, vuln, component, decision := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
			rank, assessed, due := make([]int64, n), make([]int64, n), make([]int64, n)
			suppressed, kev := make([]bool, n), make([]bool, n)
			cvss, epss, doc := make([]float64, n), make([]float64, n), make([][]byte, n)
			for i, f := range fs[lo:hi] {
				id[i], device[i], vuln[i], component[i], decision[i] = f.ID, f.DeviceID, f.Vulnerability, f.Component, f.Decision
				rank[i], assessed[i], due[i], suppressed[i], kev[i] = f.Rank, f.Assessed, f.Due, f.Suppressed, f.KEV
				cvss[i], epss[i], doc[i] = f.CVSS, f.EPSS, f.Doc
			}
			if _, err := tx.Exec(ctx, `INSERT INTO findings (`+findingCols+`)
				SELECT id, device_id, vulnerability, component, decision, rank, suppressed, cvss, kev, epss, assessed_ns, doc, '', due_ns, $14
				FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::smallint[], $7::boolean[], $8::float8[],
					$9::boolean[], $10::float8[], $11::bigint[], $12::bytea[], $13::bigint[])
					AS t(id, device_id, vulnerability, component, decision, rank, suppressed, cvss, kev, epss, assessed_ns, doc, due_ns)`+
				findingUpdates, id, device, vuln, component, decision, rank, suppressed, cvss, kev, epss, assessed, doc, due, codec.ZeroTime); err != nil {
				return fmt.Errorf("findings: %w", err)
			}
		}
	}
	gs := p.FindingsGone
	for lo, hi := range chunks(len(gs), chunkRows) {
		n := hi - lo
		id, gone := make([]string, n), make([]int64, n)
		for i, g := range gs[lo:hi] {
			id[i], gone[i] = g.ID, g.Gone
		}
		tag, err := tx.Exec(ctx, `UPDATE findings f SET gone_ns = g.gone_ns
			FROM unnest($1::text[], $2::bigint[]) AS g(id, gone_ns) WHERE f.id = g.id`, id, gone)
		if err != nil {
			return fmt.Errorf("findings gone: %w", err)
		}
		if int(tag.RowsAffected()) == n {
			continue
		}
		return missing(ctx, tx, "findings gone", codec.UnknownFindings, `SELECT g.id FROM unnest($1::text[]) AS g(id)
			WHERE NOT EXISTS (SELECT FROM findings f WHERE f.id = g.id) ORDER BY g.id`, id)
	}
	return nil
}

// Findings returns the findings matching q, with their histories, ordered
// by decision rank (highest first), device, vulnerability, component and
// ID, never nil. Findings and histories are read in one repeatable-read
// transaction, so that both see the same commit.
func (s *Store) Findings(ctx context.Context, q store.FindingQuery) ([]store.FindingRecord, error) {
	if q.Limit < 0 {
		return nil, fmt.Errorf("postgres: findings: negative limit %d", q.Limit)
	}
	rank := store.DecisionRank(q.Decision)
	if q.Decision != "" && rank < 0 {
		return nil, fmt.Errorf("postgres: findings: invalid decision %q", q.Decision)
	}
	if !storable(q.DeviceID, q.Vulnerability, q.State) {
		return []store.FindingRecord{}, nil // no stored finding has them
	}
	var conds []string
	args := []any{}
	add := func(cond string, arg any) {
		args = append(args, arg)
		conds = append(conds, fmt.Sprintf(cond, len(args)))
	}
	if q.Decision != "" {
		add(`rank = $%d`, rank)
	}
	if q.DeviceID != "" {
		add(`device_id = $%d`, q.DeviceID)
	}
	if q.Vulnerability != "" {
		add(`vulnerability = $%d`, q.Vulnerability)
	}
	if q.State != "" {
		add(`state = $%d`, q.State)
	}
	if !q.IncludeSuppressed {
		conds = append(conds, `NOT suppressed`)
	}
	if !q.IncludeGone {
		add(`gone_ns = $%d`, codec.ZeroTime)
	}
	where := ``
	if len(conds) > 0 {
		where = ` WHERE ` + strings.Join(conds, ` AND `)
	}
	where += findingOrder
	if q.Limit > 0 {
		args = append(args, q.Limit)
		where += fmt.Sprintf(` LIMIT $%d`, len(args))
	}
	out, err := s.readFindings(ctx, where, args)
	if err != nil {
		return nil, fmt.Errorf("postgres: findings: %w", err)
	}
	return out, nil
}

// Finding returns the finding with the given ID, with its history, or
// store.ErrNotFound.
func (s *Store) Finding(ctx context.Context, id string) (store.FindingRecord, error) {
	if !codec.Storable(id) {
		return store.FindingRecord{}, fmt.Errorf("postgres: finding %q: %w", id, store.ErrNotFound)
	}
	out, err := s.readFindings(ctx, ` WHERE id = $1`, []any{id})
	if err != nil {
		return store.FindingRecord{}, fmt.Errorf("postgres: finding %q: %w", id, err)
	}
	if len(out) == 0 {
		return store.FindingRecord{}, fmt.Errorf("postgres: finding %q: %w", id, store.ErrNotFound)
	}
	return out[0], nil
}

// readFindings reads the findings that where selects, and their histories.
func (s *Store) readFindings(ctx context.Context, where string, args []any) ([]store.FindingRecord, error) {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, err
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	rows, err := tx.Query(ctx, `SELECT `+findingCols+` FROM findings`+where, args...)
	if err != nil {
		return nil, err
	}
	fs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (codec.StoredFinding, error) {
		var f codec.StoredFinding
		err := row.Scan(&f.ID, &f.DeviceID, &f.Vulnerability, &f.Component, &f.Decision, &f.Rank, &f.Suppressed, &f.CVSS,
			&f.KEV, &f.EPSS, &f.Assessed, &f.Doc, &f.State, &f.Due, &f.Gone)
		return f, err
	})
	if err != nil {
		return nil, err
	}
	var history []codec.PatchRow
	if len(fs) > 0 {
		rows, err = tx.Query(ctx, `SELECT `+findingHistoryCols+` FROM finding_history
			WHERE finding_id IN (SELECT id FROM findings`+where+`) ORDER BY finding_id, seq`, args...)
		if err != nil {
			return nil, fmt.Errorf("history: %w", err)
		}
		history, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (codec.PatchRow, error) {
			var h codec.PatchRow
			err := row.Scan(&h.FindingID, &h.Seq, &h.At, &h.From, &h.To, &h.By, &h.Note)
			return h, err
		})
		if err != nil {
			return nil, fmt.Errorf("history: %w", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, err
	}
	return codec.DecodeFindings(fs, history), nil
}

// SetPatchState sets the patch state of the finding id (and its due date,
// when due is not zero) and appends change, its From filled with the
// state replaced, to its history, in one transaction that locks the
// finding's row, so that concurrent changes of one finding apply one
// after the other.
func (s *Store) SetPatchState(ctx context.Context, id string, change store.PatchChange, due time.Time) error {
	if err := store.ValidatePatchChange(change, due); err != nil {
		return fmt.Errorf("postgres: set finding %q patch state: %w", id, err)
	}
	if !codec.Storable(id) {
		return fmt.Errorf("postgres: set finding %q patch state: %w", id, store.ErrNotFound)
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: set finding %q patch state: begin: %w", id, err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	err = tx.QueryRow(ctx, `SELECT state FROM findings WHERE id = $1 FOR UPDATE`, id).Scan(&change.From)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("postgres: set finding %q patch state: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("postgres: set finding %q patch state: %w", id, err)
	}
	var seq int64
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(seq) + 1, 0) FROM finding_history WHERE finding_id = $1`, id).Scan(&seq); err != nil {
		return fmt.Errorf("postgres: set finding %q patch state: history: %w", id, err)
	}
	h := codec.EncodePatchChange(id, seq, change)
	var b pgx.Batch
	if due.IsZero() {
		b.Queue(`UPDATE findings SET state = $1 WHERE id = $2`, h.To, id)
	} else {
		b.Queue(`UPDATE findings SET state = $1, due_ns = $2 WHERE id = $3`, h.To, codec.Nanos(due), id)
	}
	b.Queue(`INSERT INTO finding_history (`+findingHistoryCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		h.FindingID, h.Seq, h.At, h.From, h.To, h.By, h.Note)
	if err := tx.SendBatch(ctx, &b).Close(); err != nil {
		return fmt.Errorf("postgres: set finding %q patch state: %w", id, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: set finding %q patch state: %w", id, err)
	}
	return nil
}
