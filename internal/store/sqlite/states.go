package sqlite

import (
	"context"
	"fmt"

	"github.com/vigil-iomt/vigil/internal/store"
	"github.com/vigil-iomt/vigil/internal/store/internal/codec"
)

// upsertState writes one detector state (see upsertEach).
const upsertState = `INSERT INTO detector_states (name, doc) VALUES (?, ?)
	ON CONFLICT (name) DO UPDATE SET doc = excluded.doc`

// states upserts the plan's detector states.
func (w *writer) states(ctx context.Context, p *codec.Plan) error {
	return w.upsertEach(ctx, upsertState, "state", len(p.States), func(i int) (string, []byte) {
		return p.States[i].Name, p.States[i].Doc
	})
}

// State returns the detector state stored under name, or
// store.ErrNotFound.
func (s *Store) State(ctx context.Context, name string) (store.StateDoc, error) {
	doc, err := s.document(ctx, `SELECT doc FROM detector_states WHERE name = ?`, name)
	if err != nil {
		return store.StateDoc{}, fmt.Errorf("sqlite: state %q: %w", name, err)
	}
	return store.StateDoc{Name: name, Doc: doc}, nil
}
