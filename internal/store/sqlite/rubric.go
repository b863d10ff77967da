package sqlite

import (
	"context"
	"fmt"
	"strings"

	"github.com/vigil-iomt/vigil/internal/store"
	"github.com/vigil-iomt/vigil/internal/store/internal/codec"
)

const (
	rubricCols  = `vulnerability, vendor, model, answers, by_who, at_ns, note`
	rubricOrder = ` ORDER BY vulnerability, vendor, model`
)

var (
	// archiveRubric appends to rubric_history the stored records that the
	// rows given (a VALUES list of rubricCols) replace: those they differ
	// from. It runs before upsertRubric.
	archiveRubric = statement{
		head: `INSERT INTO rubric_history (vulnerability, vendor, model, seq, answers, by_who, at_ns, note)
			SELECT r.vulnerability, r.vendor, r.model,
				COALESCE((SELECT MAX(h.seq) + 1 FROM rubric_history h
					WHERE h.vulnerability = r.vulnerability AND h.vendor = r.vendor AND h.model = r.model), 0),
				r.answers, r.by_who, r.at_ns, r.note
			FROM (VALUES `,
		row: `(?,?,?,?,?,?,?)`,
		tail: `) AS v JOIN rubric r ON r.vulnerability = v.column1 AND r.vendor = v.column2 AND r.model = v.column3
			WHERE r.answers <> v.column4 OR r.by_who <> v.column5 OR r.at_ns <> v.column6 OR r.note <> v.column7`,
		cols: 7,
	}
	// upsertRubric leaves a row already holding the given values as it is.
	upsertRubric = statement{
		head: `INSERT INTO rubric (` + rubricCols + `) VALUES `,
		row:  `(?,?,?,?,?,?,?)`,
		tail: ` ON CONFLICT (vulnerability, vendor, model) DO UPDATE SET answers = excluded.answers,
			by_who = excluded.by_who, at_ns = excluded.at_ns, note = excluded.note
			WHERE answers <> excluded.answers OR by_who <> excluded.by_who OR at_ns <> excluded.at_ns
				OR note <> excluded.note`,
		cols: 7,
	}
)

// rubric appends the records the plan's rubric answers replace to their
// history, then upserts them.
func (w *writer) rubric(ctx context.Context, p *codec.Plan) error {
	rs := p.Rubric
	add := func(i int, a []any) []any {
		r := &rs[i]
		return append(a, r.Vulnerability, r.Vendor, r.Model, r.Answers, r.By, r.At, r.Note)
	}
	if err := w.exec(ctx, archiveRubric, len(rs), add, nil); err != nil {
		return fmt.Errorf("rubric history: %w", err)
	}
	if err := w.exec(ctx, upsertRubric, len(rs), add, nil); err != nil {
		return fmt.Errorf("rubric: %w", err)
	}
	return nil
}

// Rubric returns the answers in force for vulnerability on the device
// model, or store.ErrNotFound.
func (s *Store) Rubric(ctx context.Context, vulnerability, vendor, model string) (store.RubricRecord, error) {
	out, err := s.readRubric(ctx, `SELECT `+rubricCols+` FROM rubric WHERE vulnerability = ? AND vendor = ? AND model = ?`,
		vulnerability, vendor, model)
	if err != nil {
		return store.RubricRecord{}, fmt.Errorf("sqlite: rubric %q %q %q: %w", vulnerability, vendor, model, err)
	}
	if len(out) == 0 {
		return store.RubricRecord{}, fmt.Errorf("sqlite: rubric %q %q %q: %w", vulnerability, vendor, model, store.ErrNotFound)
	}
	return out[0], nil
}

// Rubrics returns the answers in force matching q, ordered by
// vulnerability, vendor and model, never nil.
func (s *Store) Rubrics(ctx context.Context, q store.RubricQuery) ([]store.RubricRecord, error) {
	var conds []string
	var args []any
	for _, f := range []struct{ col, v string }{{"vulnerability", q.Vulnerability}, {"vendor", q.Vendor}, {"model", q.Model}} {
		if f.v != "" {
			conds = append(conds, f.col+` = ?`)
			args = append(args, f.v)
		}
	}
	where := ``
	if len(conds) > 0 {
		where = ` WHERE ` + strings.Join(conds, ` AND `)
	}
	out, err := s.readRubric(ctx, `SELECT `+rubricCols+` FROM rubric`+where+rubricOrder, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: rubrics: %w", err)
	}
	return out, nil
}

// RubricHistory returns the records later writes replaced for
// vulnerability on the device model, oldest first, never nil.
func (s *Store) RubricHistory(ctx context.Context, vulnerability, vendor, model string) ([]store.RubricRecord, error) {
	out, err := s.readRubric(ctx, `SELECT `+rubricCols+` FROM rubric_history
		WHERE vulnerability = ? AND vendor = ? AND model = ? ORDER BY seq`, vulnerability, vendor, model)
	if err != nil {
		return nil, fmt.Errorf("sqlite: rubric history %q %q %q: %w", vulnerability, vendor, model, err)
	}
	return out, nil
}

// readRubric reads the rubric rows query selects (rubricCols), never nil.
func (s *Store) readRubric(ctx context.Context, query string, args ...any) ([]store.RubricRecord, error) {
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var rs []codec.Rubric
	for rows.Next() {
		var r codec.Rubric
		if err := rows.Scan(&r.Vulnerability, &r.Vendor, &r.Model, &r.Answers, &r.By, &r.At, &r.Note); err != nil {
			return nil, err
		}
		rs = append(rs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return codec.DecodeRubric(rs)
}
