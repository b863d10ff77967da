package sqlite

import (
	"bytes"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-iomt/vigil/internal/store"
	"github.com/vigil-iomt/vigil/internal/store/storetest"
)

// paths gives each test its own database file, the same one every time the
// test opens a store, so that the suite can reopen it.
var paths sync.Map // *testing.T -> string

func openTest(t *testing.T) store.Store {
	t.Helper()
	p, ok := paths.Load(t)
	if !ok {
		p, _ = paths.LoadOrStore(t, filepath.Join(t.TempDir(), "state", "vigil.db"))
		t.Cleanup(func() { paths.Delete(t) })
	}
	s, err := Open(t.Context(), p.(string), Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, openTest)
}

// TestOpenSettings checks the connection settings the package promises:
// WAL, synchronous=FULL and foreign keys on the writer, a read-only read
// pool, the schema migrated, parent directories created, and a path with
// URI metacharacters taken literally.
func TestOpenSettings(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a dir?x=1&y%20", "nested", "vigil.db")
	s, err := Open(t.Context(), path, Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database file not at the literal path: %v", err)
	}
	ctx := t.Context()
	tests := []struct {
		db     *sql.DB
		pragma string
		want   string
	}{
		{s.w, "journal_mode", "wal"},
		{s.w, "synchronous", "2"}, // FULL
		{s.w, "foreign_keys", "1"},
		{s.w, "busy_timeout", "10000"},
		{s.w, "cache_size", defaultPageCache},
		{s.r, "query_only", "1"},
		{s.r, "foreign_keys", "1"},
		{s.r, "busy_timeout", "10000"},
	}
	for _, tt := range tests {
		var got string
		if err := tt.db.QueryRowContext(ctx, "PRAGMA "+tt.pragma).Scan(&got); err != nil {
			t.Fatalf("PRAGMA %s: %v", tt.pragma, err)
		}
		if got != tt.want {
			t.Errorf("PRAGMA %s: got %q, want %q", tt.pragma, got, tt.want)
		}
	}
	if _, err := s.r.ExecContext(ctx, `DELETE FROM devices`); err == nil {
		t.Error("the read pool accepted a write")
	}
	var version int
	if err := s.r.QueryRowContext(ctx, `SELECT max(version_id) FROM goose_db_version`).Scan(&version); err != nil {
		t.Fatal(err)
	}
	if got, want := version, 11; got != want {
		t.Errorf("schema version: got %d, want %d", got, want)
	}
}

func TestOpenErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, []byte("not a directory"), 0o600); err != nil {
		t.Fatal(err)
	}
	notDB := filepath.Join(t.TempDir(), "garbage.db")
	if err := os.WriteFile(notDB, bytes.Repeat([]byte("garbage!"), 1024), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ name, path string }{
		{"empty path", ""},
		{"parent is a file", filepath.Join(file, "vigil.db")},
		{"not a database", notDB},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Open(t.Context(), tt.path, Options{})
			if err == nil {
				s.Close()
				t.Fatalf("Open(%q) succeeded, want an error", tt.path)
			}
			if !strings.HasPrefix(err.Error(), "sqlite: open") {
				t.Errorf("error %q lacks context", err)
			}
		})
	}
}

func TestCloseTwice(t *testing.T) {
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "vigil.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := s.Close(); err != nil {
			t.Errorf("Close #%d: %v", i+1, err)
		}
	}
	if _, err := s.Devices(t.Context(), store.DeviceQuery{}); err == nil {
		t.Error("Devices on a closed store succeeded")
	}
}

// TestPageCacheScopedToSoftwareRisk: an advisory import leaves the writer
// with the default page cache it had before (the large one is for the
// import's own transaction).
func TestPageCacheScopedToSoftwareRisk(t *testing.T) {
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "vigil.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	doc := []byte(`{"id":"GHSA-1"}`)
	if _, err := s.ImportAdvisories(t.Context(), []store.AdvisoryRecord{{Source: "osv", ID: "GHSA-1",
		Modified: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Hash: store.DocHash(doc), Doc: doc}}); err != nil {
		t.Fatal(err)
	}
	var got string
	if err := s.w.QueryRowContext(t.Context(), "PRAGMA cache_size").Scan(&got); err != nil || got != defaultPageCache {
		t.Errorf("writer page cache after an import: %q (%v), want %s", got, err, defaultPageCache)
	}
}
