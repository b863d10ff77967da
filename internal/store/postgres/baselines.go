package postgres

import (
	"context"
	"errors"
	"fmt"
	"iter"

	"github.com/jackc/pgx/v5"

	"github.com/vigil-iomt/vigil/internal/store"
	"github.com/vigil-iomt/vigil/internal/store/internal/codec"
)

const (
	baselineCols    = `device_id, doc`
	baselineUpdates = ` ON CONFLICT (device_id) DO UPDATE SET doc = excluded.doc`
)

// chunkBaselineBytes bounds the documents modeUnnest sends in one
// statement (a single larger document goes alone): pgx encodes a
// statement's arrays whole before sending them.
const chunkBaselineBytes = 4 << 20

// baselineChunks yields [lo, hi) ranges covering bs, each at most
// chunkRows baselines and, unless one document exceeds it alone,
// chunkBaselineBytes of documents.
func baselineChunks(bs []store.BaselineDoc) iter.Seq2[int, int] {
	return func(yield func(int, int) bool) {
		for lo := 0; lo < len(bs); {
			hi, size := lo+1, len(bs[lo].Doc)
			for hi < len(bs) && hi-lo < chunkRows && size+len(bs[hi].Doc) <= chunkBaselineBytes {
				size += len(bs[hi].Doc)
				hi++
			}
			if !yield(lo, hi) {
				return
			}
			lo = hi
		}
	}
}

func (unnestWriter) baselines(ctx context.Context, tx pgx.Tx, bs []store.BaselineDoc) error {
	for lo, hi := range baselineChunks(bs) {
		id, doc := make([]string, hi-lo), make([][]byte, hi-lo)
		for i, b := range bs[lo:hi] {
			id[i], doc[i] = b.DeviceID, b.Doc
		}
		if _, err := tx.Exec(ctx, `INSERT INTO baselines (`+baselineCols+`)
			SELECT * FROM unnest($1::text[], $2::bytea[])`+baselineUpdates, id, doc); err != nil {
			return fmt.Errorf("baselines: %w", err)
		}
	}
	return nil
}

func (batchWriter) baselines(ctx context.Context, tx pgx.Tx, bs []store.BaselineDoc) error {
	for lo, hi := range baselineChunks(bs) {
		var b pgx.Batch
		for _, d := range bs[lo:hi] {
			b.Queue(`INSERT INTO baselines (`+baselineCols+`) VALUES ($1, $2)`+baselineUpdates, d.DeviceID, d.Doc)
		}
		if err := tx.SendBatch(ctx, &b).Close(); err != nil {
			return fmt.Errorf("baselines: %w", err)
		}
	}
	return nil
}

// baselines streams the documents into a temporary table with one COPY,
// then upserts from it.
func (copyWriter) baselines(ctx context.Context, tx pgx.Tx, bs []store.BaselineDoc) error {
	if len(bs) == 0 {
		return nil
	}
	if err := copyIn(ctx, tx, "baselines_in", "baselines", []string{"device_id", "doc"}, len(bs), func(i int) []any {
		return []any{bs[i].DeviceID, bs[i].Doc}
	}); err != nil {
		return fmt.Errorf("baselines: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO baselines (`+baselineCols+`) SELECT `+baselineCols+` FROM baselines_in`+baselineUpdates); err != nil {
		return fmt.Errorf("baselines: %w", err)
	}
	return nil
}

// Baseline returns the baseline of the device deviceID, or
// store.ErrNotFound.
func (s *Store) Baseline(ctx context.Context, deviceID string) (store.BaselineDoc, error) {
	doc, err := s.document(ctx, `SELECT doc FROM baselines WHERE device_id = $1`, deviceID)
	if err != nil {
		return store.BaselineDoc{}, fmt.Errorf("postgres: baseline %q: %w", deviceID, err)
	}
	return store.BaselineDoc{DeviceID: deviceID, Doc: doc}, nil
}

// document reads the opaque document that query selects by key: a
// missing row, or a key PostgreSQL cannot hold, is store.ErrNotFound; a
// stored empty document is a non-nil empty slice.
func (s *Store) document(ctx context.Context, query, key string) ([]byte, error) {
	if !codec.Storable(key) {
		return nil, store.ErrNotFound
	}
	var doc []byte
	err := s.pool.QueryRow(ctx, query, key).Scan(&doc)
	if errors.Is(err, pgx.ErrNoRows) {
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
// the rows of one statement, which sees one snapshot, as they arrive. fn
// runs while the statement holds a pool connection. Stopping early reads
// and discards the rows left, which the server has already sent.
func (s *Store) Baselines(ctx context.Context, fn func(store.BaselineDoc) error) error {
	rows, err := s.pool.Query(ctx, `SELECT device_id, doc FROM baselines ORDER BY device_id`)
	if err != nil {
		return fmt.Errorf("postgres: baselines: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var b store.BaselineDoc
		if err := rows.Scan(&b.DeviceID, &b.Doc); err != nil { // copies the document: fn may keep it
			return fmt.Errorf("postgres: baselines: %w", err)
		}
		if b.Doc == nil {
			b.Doc = []byte{}
		}
		if err := fn(b); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("postgres: baselines: %w", err)
	}
	return nil
}
