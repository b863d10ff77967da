package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/vigil-iomt/vigil/internal/store"
	"github.com/vigil-iomt/vigil/internal/store/internal/codec"
)

// upsertState writes one detector state, bound alone, as baselines are:
// documents can be large.
const upsertState = `INSERT INTO detector_states (name, doc) VALUES (?, ?)
	ON CONFLICT (name) DO UPDATE SET doc = excluded.doc`

// states upserts the plan's detector states.
func (w *writer) states(ctx context.Context, p *codec.Plan) error {
	if len(p.States) == 0 {
		return nil
	}
	upsert, err := w.tx.PrepareContext(ctx, upsertState)
	if err != nil {
		return err
	}
	defer upsert.Close()
	for i := range p.States {
		d := &p.States[i]
		if _, err := upsert.ExecContext(ctx, d.Name, d.Doc); err != nil {
			return fmt.Errorf("state %q: %w", d.Name, err)
		}
	}
	return nil
}

// State returns the detector state stored under name, or
// store.ErrNotFound.
func (s *Store) State(ctx context.Context, name string) (store.StateDoc, error) {
	d := store.StateDoc{Name: name}
	err := s.r.QueryRowContext(ctx, `SELECT doc FROM detector_states WHERE name = ?`, name).Scan(&d.Doc)
	if errors.Is(err, sql.ErrNoRows) {
		return store.StateDoc{}, fmt.Errorf("sqlite: state %q: %w", name, store.ErrNotFound)
	}
	if err != nil {
		return store.StateDoc{}, fmt.Errorf("sqlite: state %q: %w", name, err)
	}
	if d.Doc == nil {
		d.Doc = []byte{}
	}
	return d, nil
}
