package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/vigil-iomt/vigil/internal/store"
)

// writeStates upserts the plan's detector states, one statement each:
// there are few (one per detector), and a document can be large, so each
// is sent alone rather than gathered into arrays.
func writeStates(ctx context.Context, tx pgx.Tx, states []store.StateDoc) error {
	for i := range states {
		d := &states[i]
		if _, err := tx.Exec(ctx, `INSERT INTO detector_states (name, doc) VALUES ($1, $2)
			ON CONFLICT (name) DO UPDATE SET doc = excluded.doc`, d.Name, d.Doc); err != nil {
			return fmt.Errorf("state %q: %w", d.Name, err)
		}
	}
	return nil
}

// State returns the detector state stored under name, or
// store.ErrNotFound.
func (s *Store) State(ctx context.Context, name string) (store.StateDoc, error) {
	doc, err := s.document(ctx, `SELECT doc FROM detector_states WHERE name = $1`, name)
	if err != nil {
		return store.StateDoc{}, fmt.Errorf("postgres: state %q: %w", name, err)
	}
	return store.StateDoc{Name: name, Doc: doc}, nil
}
