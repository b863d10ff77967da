package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/vigil-iomt/vigil/internal/store"
	"github.com/vigil-iomt/vigil/internal/store/internal/codec"
)

const (
	rubricCols  = `vulnerability, vendor, model, answers, by_who, at_ns, note`
	rubricOrder = ` ORDER BY vulnerability, vendor, model`
	// rubricIn is the rows of a chunk of rubric answers, from arrays $1…$7.
	rubricIn = `unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[])
		AS v(vulnerability, vendor, model, answers, by_who, at_ns, note)`
	// rubricDiffers is true for a stored row r the given row v replaces.
	rubricDiffers = `(r.answers, r.by_who, r.at_ns, r.note) IS DISTINCT FROM (v.answers, v.by_who, v.at_ns, v.note)`
)

// writeRubric writes the plan's rubric answers, a chunk of rows at a time:
// it inserts the new keys, then locks the stored rows of the others (in
// key order, as every commit does, so that concurrent commits do not
// deadlock), appends those the chunk replaces to the history and updates
// them. Inserting first makes a commit racing another's first answers to
// a key wait for it, then find its row and archive it, rather than
// overwrite it unrecorded; the lock makes two commits replacing one record
// apply one after the other, each archiving what it replaced.
func writeRubric(ctx context.Context, tx pgx.Tx, rs []codec.Rubric) error {
	for lo, hi := range chunks(len(rs), chunkRows) {
		n := hi - lo
		vuln, vendor, model, answers, by, note := make([]string, n), make([]string, n), make([]string, n),
			make([]string, n), make([]string, n), make([]string, n)
		at := make([]int64, n)
		for i, r := range rs[lo:hi] {
			vuln[i], vendor[i], model[i], answers[i], by[i], at[i], note[i] = r.Vulnerability, r.Vendor, r.Model, r.Answers, r.By, r.At, r.Note
		}
		args := []any{vuln, vendor, model, answers, by, at, note}
		var b pgx.Batch
		b.Queue(`INSERT INTO rubric (`+rubricCols+`) SELECT `+rubricCols+` FROM `+rubricIn+
			` ON CONFLICT (vulnerability, vendor, model) DO NOTHING`, args...)
		b.Queue(`SELECT FROM rubric r JOIN `+rubricIn+` USING (vulnerability, vendor, model)
			ORDER BY r.vulnerability, r.vendor, r.model FOR UPDATE OF r`, args...)
		b.Queue(`INSERT INTO rubric_history (vulnerability, vendor, model, seq, answers, by_who, at_ns, note)
			SELECT r.vulnerability, r.vendor, r.model,
				COALESCE((SELECT MAX(h.seq) + 1 FROM rubric_history h
					WHERE h.vulnerability = r.vulnerability AND h.vendor = r.vendor AND h.model = r.model), 0),
				r.answers, r.by_who, r.at_ns, r.note
			FROM rubric r JOIN `+rubricIn+` USING (vulnerability, vendor, model) WHERE `+rubricDiffers, args...)
		b.Queue(`UPDATE rubric r SET answers = v.answers, by_who = v.by_who, at_ns = v.at_ns, note = v.note
			FROM `+rubricIn+` WHERE r.vulnerability = v.vulnerability AND r.vendor = v.vendor AND r.model = v.model
			AND `+rubricDiffers, args...)
		if err := tx.SendBatch(ctx, &b).Close(); err != nil {
			return fmt.Errorf("rubric: %w", err)
		}
	}
	return nil
}

// Rubric returns the answers in force for vulnerability on the device
// model, or store.ErrNotFound.
func (s *Store) Rubric(ctx context.Context, vulnerability, vendor, model string) (store.RubricRecord, error) {
	var out []store.RubricRecord
	if storable(vulnerability, vendor, model) {
		var err error
		out, err = s.readRubric(ctx, `SELECT `+rubricCols+` FROM rubric WHERE vulnerability = $1 AND vendor = $2 AND model = $3`,
			vulnerability, vendor, model)
		if err != nil {
			return store.RubricRecord{}, fmt.Errorf("postgres: rubric %q %q %q: %w", vulnerability, vendor, model, err)
		}
	}
	if len(out) == 0 {
		return store.RubricRecord{}, fmt.Errorf("postgres: rubric %q %q %q: %w", vulnerability, vendor, model, store.ErrNotFound)
	}
	return out[0], nil
}

// Rubrics returns the answers in force matching q, ordered by
// vulnerability, vendor and model, never nil.
func (s *Store) Rubrics(ctx context.Context, q store.RubricQuery) ([]store.RubricRecord, error) {
	if !storable(q.Vulnerability, q.Vendor, q.Model) {
		return []store.RubricRecord{}, nil // no stored record has them
	}
	var conds []string
	var args []any
	for _, f := range []struct{ col, v string }{{"vulnerability", q.Vulnerability}, {"vendor", q.Vendor}, {"model", q.Model}} {
		if f.v != "" {
			args = append(args, f.v)
			conds = append(conds, fmt.Sprintf(`%s = $%d`, f.col, len(args)))
		}
	}
	where := ``
	if len(conds) > 0 {
		where = ` WHERE ` + strings.Join(conds, ` AND `)
	}
	out, err := s.readRubric(ctx, `SELECT `+rubricCols+` FROM rubric`+where+rubricOrder, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: rubrics: %w", err)
	}
	return out, nil
}

// RubricHistory returns the records later writes replaced for
// vulnerability on the device model, oldest first, never nil.
func (s *Store) RubricHistory(ctx context.Context, vulnerability, vendor, model string) ([]store.RubricRecord, error) {
	if !storable(vulnerability, vendor, model) {
		return []store.RubricRecord{}, nil
	}
	out, err := s.readRubric(ctx, `SELECT `+rubricCols+` FROM rubric_history
		WHERE vulnerability = $1 AND vendor = $2 AND model = $3 ORDER BY seq`, vulnerability, vendor, model)
	if err != nil {
		return nil, fmt.Errorf("postgres: rubric history %q %q %q: %w", vulnerability, vendor, model, err)
	}
	return out, nil
}

// readRubric reads the rubric rows query selects (rubricCols), never nil.
func (s *Store) readRubric(ctx context.Context, query string, args ...any) ([]store.RubricRecord, error) {
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	rs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (codec.Rubric, error) {
		var r codec.Rubric
		err := row.Scan(&r.Vulnerability, &r.Vendor, &r.Model, &r.Answers, &r.By, &r.At, &r.Note)
		return r, err
	})
	if err != nil {
		return nil, err
	}
	return codec.DecodeRubric(rs)
}
