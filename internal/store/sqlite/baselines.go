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

// upsertBaseline writes one baseline (see upsertEach).
const upsertBaseline = `INSERT INTO baselines (device_id, doc) VALUES (?, ?)
	ON CONFLICT (device_id) DO UPDATE SET doc = excluded.doc`

// baselines upserts the plan's baselines.
func (w *writer) baselines(ctx context.Context, p *codec.Plan) error {
	return w.upsertEach(ctx, upsertBaseline, "baseline", len(p.Baselines), func(i int) (string, []byte) {
		return p.Baselines[i].DeviceID, p.Baselines[i].Doc
	})
}

// upsertEach runs query, an upsert of one opaque document by key, for
// each of n rows: documents can be large, so each is bound alone, by one
// statement prepared for the transaction, rather than many to a
// statement. what names the rows in errors.
func (w *writer) upsertEach(ctx context.Context, query, what string, n int, row func(i int) (key string, doc []byte)) error {
	if n == 0 {
		return nil
	}
	upsert, err := w.tx.PrepareContext(ctx, query)
	if err != nil {
		return err
	}
	defer upsert.Close()
	for i := range n {
		key, doc := row(i)
		if _, err := upsert.ExecContext(ctx, key, doc); err != nil {
			return fmt.Errorf("%s %q: %w", what, key, err)
		}
	}
	return nil
}

// Baseline returns the baseline of the device deviceID, or
// store.ErrNotFound.
func (s *Store) Baseline(ctx context.Context, deviceID string) (store.BaselineDoc, error) {
	doc, err := s.document(ctx, `SELECT doc FROM baselines WHERE device_id = ?`, deviceID)
	if err != nil {
		return store.BaselineDoc{}, fmt.Errorf("sqlite: baseline %q: %w", deviceID, err)
	}
	return store.BaselineDoc{DeviceID: deviceID, Doc: doc}, nil
}

// document reads the opaque document that query selects by key: a
// missing row is store.ErrNotFound, a stored empty document a non-nil
// empty slice.
func (s *Store) document(ctx context.Context, query, key string) ([]byte, error) {
	var doc []byte
	err := s.r.QueryRowContext(ctx, query, key).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if doc == nil {
		doc = []byte{}
	}
	return doc, nil
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
