package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/vigil-iomt/vigil/internal/store"
	"github.com/vigil-iomt/vigil/internal/store/storetest"
)

// envDSN names the variable holding the DSN of a PostgreSQL database the
// tests may create schemas in, e.g.
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const envDSN = "VIGIL_TEST_POSTGRES"

func dsn(tb testing.TB) string {
	tb.Helper()
	v := os.Getenv(envDSN)
	if v == "" {
		tb.Skipf("PostgreSQL tests skipped: set %s to a DSN, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable", envDSN)
	}
	return v
}

// withSearchPath returns dsn with search_path set to schema, in URL or
// key=value form.
func withSearchPath(tb testing.TB, dsn, schema string) string {
	tb.Helper()
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return dsn + " search_path=" + schema
	}
	u, err := url.Parse(dsn)
	if err != nil {
		tb.Fatalf("%s: %v", envDSN, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// tempSchema creates a schema of its own for tb, dropped when tb ends, so
// that tests, and CI runs sharing a database, do not see each other, and
// returns its name.
func tempSchema(tb testing.TB) string {
	tb.Helper()
	admin := dsn(tb)
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "vigil_test_" + hex.EncodeToString(b[:])
	conn, err := pgx.Connect(tb.Context(), admin)
	if err != nil {
		tb.Fatalf("connect to %s: %v", envDSN, err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(tb.Context(), "CREATE SCHEMA "+schema); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return schema
}

// schemas gives each test its own schema, the same every time the test
// opens a store, so that the suite can reopen it.
var schemas sync.Map // testing.TB -> DSN

func openTest(tb testing.TB, opts Options) *Store {
	tb.Helper()
	d, ok := schemas.Load(tb)
	if !ok {
		d, _ = schemas.LoadOrStore(tb, withSearchPath(tb, dsn(tb), tempSchema(tb)))
		tb.Cleanup(func() { schemas.Delete(tb) })
	}
	s, err := Open(tb.Context(), d.(string), opts)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	dsn(t)
	// Every way of writing passes the suite, not only the default.
	for _, mode := range []commitMode{modeAuto, modeUnnest, modeCopy, modeBatch} {
		t.Run(mode.String(), func(t *testing.T) {
			if mode != modeAuto && testing.Short() {
				t.Skip("forced commit mode skipped with -short")
			}
			storetest.Run(t, func(t *testing.T) store.Store { return openTest(t, Options{mode: mode}) })
		})
	}
}

func TestOpenMissingSchema(t *testing.T) {
	_, err := Open(t.Context(), withSearchPath(t, dsn(t), "vigil_test_does_not_exist"), Options{})
	if err == nil || !strings.Contains(err.Error(), "schema") {
		t.Errorf("Open with a missing search_path schema: error %v, want one about the schema", err)
	}
}

func TestOpenErrorHidesPassword(t *testing.T) {
	for _, url := range []string{
		"postgres://vigil:s3cretpw@127.0.0.1:99999/db",                               // bad port: parse error
		"postgres://vigil:s3cretpw@127.0.0.1:1/db?sslmode=disable&connect_timeout=1", // nothing listens
		"postgres://vigil:s3cretpw@[::1/db",                                          // not a URL
		"host=127.0.0.1 password=s3cretpw port=x",                                    // bad key=value DSN
	} {
		_, err := Open(t.Context(), url, Options{})
		if err == nil {
			t.Errorf("Open(%s) succeeded, want an error", url)
			continue
		}
		t.Logf("Open: %v", err)
		if strings.Contains(err.Error(), "s3cretpw") {
			t.Errorf("Open error %q shows the password", err)
		}
	}
}

// TestConcurrentOpen starts several workers on one new schema at once: the
// migration lock lets one migrate and the others find it done.
func TestConcurrentOpen(t *testing.T) {
	d := withSearchPath(t, dsn(t), tempSchema(t))
	var wg sync.WaitGroup
	stores := make([]*Store, 4)
	for i := range stores {
		wg.Go(func() {
			s, err := Open(t.Context(), d, Options{})
			if err != nil {
				t.Errorf("Open %d: %v", i, err)
				return
			}
			stores[i] = s
		})
	}
	wg.Wait()
	for _, s := range stores {
		if s != nil {
			defer s.Close()
		}
	}
	if t.Failed() {
		return
	}
	var applied int
	if err := stores[0].pool.QueryRow(t.Context(), `SELECT count(*) FROM goose_db_version WHERE version_id > 0`).Scan(&applied); err != nil {
		t.Fatal(err)
	}
	if got, want := applied, 10; got != want {
		t.Errorf("migrations recorded: got %d, want %d", got, want)
	}
}

// TestKeyValueDSN opens a store with a key=value DSN naming the schema.
func TestKeyValueDSN(t *testing.T) {
	u, err := url.Parse(dsn(t))
	if err != nil || u.Scheme == "" {
		t.Skipf("%s is not a URL", envDSN)
	}
	kv := "host=" + u.Hostname() + " port=" + u.Port() + " dbname=" + strings.TrimPrefix(u.Path, "/") +
		" user=" + u.User.Username()
	if mode := u.Query().Get("sslmode"); mode != "" {
		kv += " sslmode=" + mode
	}
	if pw, ok := u.User.Password(); ok {
		kv += " password=" + pw
	}
	schema := tempSchema(t)
	s, err := Open(t.Context(), withSearchPath(t, kv, schema), Options{})
	if err != nil {
		t.Fatalf("Open(key=value DSN): %v", err)
	}
	defer s.Close()
	var got string
	if err := s.pool.QueryRow(t.Context(), `SELECT current_schema()`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != schema {
		t.Errorf("current_schema: got %q, want %q", got, schema)
	}
}
