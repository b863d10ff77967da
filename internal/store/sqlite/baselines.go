package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/vigil-iomt/vigil/internal/store"
	"github.com/vigil-iomt/vigil/internal/store/internal/codec"
)

var deleteBaselines = statement{
	head: `DELETE FROM baselines WHERE device_id IN (`, row: `?`, tail: `)`, cols: 1,
}

// upsertBaseline writes one baseline: documents can be large, so each is
// bound alone, by one statement prepared for the transaction, rather than
// many to a statement.
const upsertBaseline = `INSERT INTO baselines (device_id, doc) VALUES (?, ?)
	ON CONFLICT (device_id) DO UPDATE SET doc = excluded.doc`

// baselines upserts the plan's baselines.
func (w *writer) baselines(ctx context.Context, p *codec.Plan) error {
	if len(p.Baselines) == 0 {
		return nil
	}
	upsert, err := w.tx.PrepareContext(ctx, upsertBaseline)
	if err != nil {
		return err
	}
	defer upsert.Close()
	for i := range p.Baselines {
		b := &p.Baselines[i]
		if _, err := upsert.ExecContext(ctx, b.DeviceID, b.Doc); err != nil {
			return fmt.Errorf("baseline %q: %w", b.DeviceID, err)
		}
	}
	return nil
}

// Baseline returns the baseline of the device deviceID, or
// store.ErrNotFound.
func (s *Store) Baseline(ctx context.Context, deviceID string) (store.BaselineDoc, error) {
	b := store.BaselineDoc{DeviceID: deviceID}
	err := s.r.QueryRowContext(ctx, `SELECT doc FROM baselines WHERE device_id = ?`, deviceID).Scan(&b.Doc)
	if errors.Is(err, sql.ErrNoRows) {
		return store.BaselineDoc{}, fmt.Errorf("sqlite: baseline %q: %w", deviceID, store.ErrNotFound)
	}
	if err != nil {
		return store.BaselineDoc{}, fmt.Errorf("sqlite: baseline %q: %w", deviceID, err)
	}
	if b.Doc == nil {
		b.Doc = []byte{}
	}
	return b, nil
}

// Baselines calls fn for every baseline, ordered by device ID, reading
// them one row at a time from one statement, which sees one snapshot. fn
// runs while the statement holds a read connection.
func (s *Store) Baselines(ctx context.Context, fn func(store.BaselineDoc) error) error {
	rows, err := s.r.QueryContext(ctx, `SELECT device_id, doc FROM baselines ORDER BY device_id`)
	if err != nil {
		return fmt.Errorf("sqlite: baselines: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var b store.BaselineDoc
		if err := rows.Scan(&b.DeviceID, &b.Doc); err != nil { // copies the document: fn may keep it
			return fmt.Errorf("sqlite: baselines: %w", err)
		}
		if b.Doc == nil {
			b.Doc = []byte{}
		}
		if err := fn(b); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: baselines: %w", err)
	}
	return nil
}
