// Package sqlite is the embedded store.Store backend: one SQLite file,
// written through modernc.org/sqlite (pure Go, driver "sqlite").
//
// It owns the SQLite schema (migrations/, applied with goose in Open with
// the data migrations of internal/migration), the connection settings and
// the SQL. Writes go through a single writer
// connection, so commits are serialised; reads use a separate pool and, in
// WAL mode, never wait for a commit. The file is meant for one process: it
// must not be shared by several writers on different machines (use the
// postgres backend for that), and the package must not interpret what it
// stores.
//
// Durability: the writer runs with synchronous=FULL, so a commit that
// returned survives power loss, not only a killed process (NORMAL may lose
// the last commits on power loss, and with them the checkpoints that make
// ingestion exactly-once). BenchmarkSynchronous measured the cost on a
// 2-core VM with an ext4 disk: none visible at 1k and 10k devices per
// commit, about 0.3 ms per commit at 10 devices (one fsync of the WAL per
// commit, which a slower disk makes dearer).
//
// A commit of software-risk records or findings raises the writer's page
// cache to 64 MiB for its duration (PRAGMA cache_size; the default is
// 2 MiB): an import of 200k advisories works on far more pages than the
// default holds, and would read them again from the WAL and the file.
// BenchmarkImportAdvisories at 200k, 2-core VM: a first import ran 3.3x
// faster (9.2k to 31k advisories/s), importing it again 6x faster (30k to
// 186k advisories/s). Ingestion batches keep the default: they gain
// nothing from it, and pure-Go SQLite holds the cache on the Go heap
// (about 130 MB more peak RSS for a 100k-device fleet when it was
// always on).
package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/vigil-iomt/vigil/internal/asset"
	"github.com/vigil-iomt/vigil/internal/store"
	"github.com/vigil-iomt/vigil/internal/store/internal/codec"
	"github.com/vigil-iomt/vigil/internal/store/internal/migration"
)

// The writer's page cache sizes (PRAGMA cache_size, negative: KiB): SQLite's
// default, and the one of commits of software-risk records and findings
// (see the package doc).
const (
	defaultPageCache = "-2000"
	largePageCache   = "-65536"
)

//go:embed migrations/*.sql
var migrations embed.FS

// busyTimeout is how long a connection waits for a lock held by another
// process before failing with SQLITE_BUSY.
const busyTimeout = 10 * time.Second

// Options configures Open. The zero value is ready to use.
type Options struct {
	// Logger receives migration and commit logs; nil discards them.
	Logger *slog.Logger
	// ReadConns bounds the read pool; 0 means max(4, GOMAXPROCS).
	ReadConns int

	// synchronous overrides PRAGMA synchronous for benchmarks only.
	synchronous string
}

// Store is a SQLite-backed store.Store. It is safe for concurrent use.
type Store struct {
	w   *sql.DB // one connection: every Commit is serialised through it
	r   *sql.DB // read-only pool
	log *slog.Logger

	closeOnce sync.Once
	closeErr  error
}

var _ store.Store = (*Store)(nil)

// Open opens (creating it and its parent directories if needed) the SQLite
// database at path and migrates it to the current schema.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if path == "" {
		return nil, errors.New("sqlite: open: empty path")
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o750); err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	syncMode := opts.synchronous
	if syncMode == "" {
		syncMode = "FULL"
	}
	w, err := sql.Open("sqlite", dsn(abs, "_txlock=immediate",
		"_pragma=journal_mode(WAL)", "_pragma=synchronous("+syncMode+")", "_pragma=foreign_keys(1)"))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	s := &Store{w: w, log: log}
	if err := s.init(ctx, abs, opts); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return s, nil
}

func (s *Store) init(ctx context.Context, abs string, opts Options) error {
	var mode string
	if err := s.w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return err
	}
	if !strings.EqualFold(mode, "wal") {
		// WAL needs shared memory; some network file systems lack it.
		s.log.Warn("sqlite: WAL mode unavailable, readers will wait for commits", "journal_mode", mode)
	}
	if err := migrate(ctx, s.w, s.log); err != nil {
		return err
	}
	n := opts.ReadConns
	if n <= 0 {
		n = max(4, runtime.GOMAXPROCS(0))
	}
	r, err := sql.Open("sqlite", dsn(abs, "_pragma=foreign_keys(1)", "_pragma=query_only(1)"))
	if err != nil {
		return err
	}
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	r.SetConnMaxIdleTime(0)
	s.r = r
	return r.PingContext(ctx)
}

// dsn builds a file: URI for path (escaped, so that '?' or '%' in a
// directory name cannot turn into parameters) with the busy timeout and
// the given parameters.
func dsn(path string, params ...string) string {
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(path)}
	params = append([]string{fmt.Sprintf("_pragma=busy_timeout(%d)", busyTimeout.Milliseconds())}, params...)
	return u.String() + "?" + strings.Join(params, "&")
}

// newMigrator returns the goose provider of the schema: the SQL files of
// migrations/, and the data migrations of internal/migration.
func newMigrator(db *sql.DB, log *slog.Logger) (*goose.Provider, error) {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, fsys, goose.WithDisableGlobalRegistry(true),
		goose.WithGoMigrations(migration.DeviceIPs(migration.Dialect{}), migration.AlertOccurrences(migration.Dialect{})),
		goose.WithSlog(log))
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return p, nil
}

func migrate(ctx context.Context, db *sql.DB, log *slog.Logger) error {
	p, err := newMigrator(db, log)
	if err != nil {
		return err
	}
	res, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, r := range res {
		log.Info("sqlite: migration applied", "version", r.Source.Version, "duration", r.Duration)
	}
	return nil
}

// Close closes both pools. It is safe to call more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		var errs []error
		if s.r != nil {
			errs = append(errs, s.r.Close())
		}
		if s.w != nil {
			// Refresh the query planner's statistics cheaply, as SQLite
			// recommends on closing a long-lived connection.
			_, err := s.w.Exec("PRAGMA optimize")
			errs = append(errs, err, s.w.Close())
		}
		if err := errors.Join(errs...); err != nil {
			s.closeErr = fmt.Errorf("sqlite: close: %w", err)
		}
	})
	return s.closeErr
}

// Commit applies b in one IMMEDIATE transaction on the writer connection:
// deletions first (so that a device may take over the key of a device the
// same batch deletes; the devices' address rows and baselines go with
// them), then whole devices, encoded and written a chunk at a time, then
// baselines, one row per statement, then sightings, leases, checkpoints,
// alerts and alert sightings (the stored status and count of their alerts
// read first, so that the resolved ones that occurred again are reopened
// after, see alerts.go), then SBOMs, advisories, KEV, EPSS and VEX
// (see software.go), then findings and findings gone (see findings.go),
// then rubric answers, after their replaced records are appended to the
// history (see rubric.go), then detector states (see states.go).
// An invalid batch is rejected with store.ErrInvalidBatch before anything
// is written; a sighting of a device or an alert, or a finding gone, that
// does not exist fails with it too, and the transaction is rolled back. An empty or nil batch is a no-op.
func (s *Store) Commit(ctx context.Context, b *store.Batch) error {
	if _, err := s.commit(ctx, b); err != nil {
		return fmt.Errorf("sqlite: commit: %w", err)
	}
	return nil
}

// commit is Commit, returning what it did with the batch's advisories.
func (s *Store) commit(ctx context.Context, b *store.Batch) (counts store.ImportCounts, err error) {
	if b == nil || b.Empty() {
		return counts, nil
	}
	p, err := codec.Prepare(b)
	if err != nil {
		return counts, err
	}
	if p.HasSoftwareRisk() {
		if _, err := s.w.ExecContext(ctx, `PRAGMA cache_size = `+largePageCache); err != nil {
			return counts, fmt.Errorf("page cache: %w", err)
		}
		defer s.w.ExecContext(context.WithoutCancel(ctx), `PRAGMA cache_size = `+defaultPageCache)
	}
	start := time.Now()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return counts, fmt.Errorf("begin: %w", err)
	}
	defer func() { _ = tx.Rollback() }() // no-op after Commit
	w := newWriter(tx)
	defer w.close()

	if err := w.exec(ctx, deleteDevices, len(p.Deletes), func(i int, a []any) []any {
		return append(a, p.Deletes[i])
	}, nil); err != nil {
		return counts, fmt.Errorf("delete devices: %w", err)
	}
	if err := w.exec(ctx, deleteBaselines, len(p.DeleteBaselines), func(i int, a []any) []any {
		return append(a, p.DeleteBaselines[i])
	}, nil); err != nil {
		return counts, fmt.Errorf("delete baselines: %w", err)
	}
	if err := w.devices(ctx, p); err != nil {
		return counts, fmt.Errorf("devices: %w", err)
	}
	if err := w.baselines(ctx, p); err != nil {
		return counts, fmt.Errorf("baselines: %w", err)
	}
	if err := w.sightings(ctx, p); err != nil {
		return counts, fmt.Errorf("sightings: %w", err)
	}
	if err := w.exec(ctx, upsertLeases, len(p.Leases), func(i int, a []any) []any {
		l := &p.Leases[i]
		return append(a, l.MAC, l.IP, l.Start, l.End)
	}, nil); err != nil {
		return counts, fmt.Errorf("leases: %w", err)
	}
	if err := w.exec(ctx, upsertCheckpoints, len(p.Checkpoints), func(i int, a []any) []any {
		c := &p.Checkpoints[i]
		return append(a, c.Source, c.HeadHash, c.HeadLen, c.Offset, c.Line, c.Records, c.Rejected, c.Updated)
	}, nil); err != nil {
		return counts, fmt.Errorf("checkpoints: %w", err)
	}
	occ := p.Occurrences()
	resolved, err := w.resolvedAlerts(ctx, occ)
	if err != nil {
		return counts, fmt.Errorf("alerts: resolved: %w", err)
	}
	if err := w.alerts(ctx, p); err != nil {
		return counts, fmt.Errorf("alerts: %w", err)
	}
	if err := w.alertSightings(ctx, p); err != nil {
		return counts, fmt.Errorf("alert sightings: %w", err)
	}
	if err := w.reopen(ctx, occ, resolved); err != nil {
		return counts, fmt.Errorf("alerts: reopen: %w", err)
	}
	if counts, err = w.software(ctx, p); err != nil {
		return counts, err
	}
	if err := w.findings(ctx, p); err != nil {
		return counts, err
	}
	if err := w.rubric(ctx, p); err != nil {
		return counts, err
	}
	if err := w.states(ctx, p); err != nil {
		return counts, fmt.Errorf("states: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return counts, err
	}
	s.log.Debug("store commit", "devices", p.NumDevices(), "deleted", len(p.Deletes), "sightings", len(p.Sightings),
		"leases", len(p.Leases), "checkpoints", len(p.Checkpoints), "alerts", len(p.Alerts), "alert_sightings", len(p.AlertSightings), "baselines", len(p.Baselines),
		"deleted_baselines", len(p.DeleteBaselines), "sboms", len(p.SBOMs), "advisories", len(p.Advisories),
		"kev", len(p.KEV), "epss", len(p.EPSS), "vex", len(p.VEX), "findings", len(p.Findings),
		"findings_gone", len(p.FindingsGone), "rubric", len(p.Rubric), "states", len(p.States), "duration", time.Since(start))
	return counts, nil
}

// Device returns the device with the given ID, or store.ErrNotFound.
func (s *Store) Device(ctx context.Context, id string) (asset.Device, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT d.last_seen_ns, d.doc, i.ip, i.first_seen_ns, i.last_seen_ns
		FROM devices d LEFT JOIN device_ips i ON i.device_id = d.id WHERE d.id = ? ORDER BY i.ip`, id)
	if err != nil {
		return asset.Device{}, fmt.Errorf("sqlite: device %q: %w", id, err)
	}
	defer rows.Close()
	var (
		found bool
		dev   = codec.StoredDevice{ID: id}
		ips   []codec.IP
	)
	for rows.Next() {
		var (
			doc         sql.RawBytes
			ip          sql.NullString
			first, last sql.NullInt64
		)
		if err := rows.Scan(&dev.LastSeen, &doc, &ip, &first, &last); err != nil {
			return asset.Device{}, fmt.Errorf("sqlite: device %q: %w", id, err)
		}
		if !found {
			found, dev.Doc = true, bytes.Clone(doc)
		}
		if ip.Valid {
			ips = append(ips, codec.IP{DeviceID: id, IP: ip.String, FirstSeen: first.Int64, LastSeen: last.Int64})
		}
	}
	if err := rows.Err(); err != nil {
		return asset.Device{}, fmt.Errorf("sqlite: device %q: %w", id, err)
	}
	if !found {
		return asset.Device{}, fmt.Errorf("sqlite: device %q: %w", id, store.ErrNotFound)
	}
	d, err := codec.DecodeDevice(dev, ips)
	if err != nil {
		return asset.Device{}, fmt.Errorf("sqlite: device %q: decode: %w", id, err)
	}
	return d, nil
}

// Devices returns the devices matching q, ordered by ID, never nil. It
// reads the devices and their addresses with two queries in one read
// transaction, so that both see the same commit.
func (s *Store) Devices(ctx context.Context, q store.DeviceQuery) ([]asset.Device, error) {
	if q.Limit < 0 {
		return nil, fmt.Errorf("sqlite: devices: negative limit %d", q.Limit)
	}
	var conds []string
	args := []any{}
	if q.Class != "" {
		conds = append(conds, `class = ?`)
		args = append(args, q.Class)
	}
	if q.After != "" {
		conds = append(conds, `id > ?`)
		args = append(args, q.After)
	}
	where := ``
	if len(conds) > 0 {
		where = ` WHERE ` + strings.Join(conds, ` AND `)
	}
	where += ` ORDER BY id`
	if q.Limit > 0 {
		where += ` LIMIT ?`
		args = append(args, q.Limit)
	}
	ipsQuery := `SELECT device_id, ip, first_seen_ns, last_seen_ns FROM device_ips ORDER BY device_id, ip`
	if len(args) > 0 {
		ipsQuery = `SELECT device_id, ip, first_seen_ns, last_seen_ns FROM device_ips
			WHERE device_id IN (SELECT id FROM devices` + where + `) ORDER BY device_id, ip`
	}
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("sqlite: devices: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	devs, err := scanAll(ctx, tx, `SELECT id, last_seen_ns, doc FROM devices`+where, args, func(rows *sql.Rows, d *codec.StoredDevice) error {
		return rows.Scan(&d.ID, &d.LastSeen, &d.Doc)
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: devices: %w", err)
	}
	ips, err := scanAll(ctx, tx, ipsQuery, args, func(rows *sql.Rows, r *codec.IP) error {
		return rows.Scan(&r.DeviceID, &r.IP, &r.FirstSeen, &r.LastSeen)
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: devices: addresses: %w", err)
	}
	out, err := codec.DecodeDevices(devs, ips)
	if err != nil {
		return nil, fmt.Errorf("sqlite: devices: decode: %w", err)
	}
	return out, nil
}

// scanAll runs query and scans every row into a T.
func scanAll[T any](ctx context.Context, tx *sql.Tx, query string, args []any, scan func(*sql.Rows, *T) error) ([]T, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		out = append(out, *new(T))
		if err := scan(rows, &out[len(out)-1]); err != nil {
			return nil, err
		}
	}
	return out, rows.Err()
}

// Leases returns every lease ordered by MAC, IP and start, never nil.
func (s *Store) Leases(ctx context.Context) ([]asset.Lease, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT mac, ip, start_ns, end_ns FROM leases ORDER BY mac, ip, start_ns`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: leases: %w", err)
	}
	defer rows.Close()
	out := []asset.Lease{}
	for rows.Next() {
		var l codec.Lease
		if err := rows.Scan(&l.MAC, &l.IP, &l.Start, &l.End); err != nil {
			return nil, fmt.Errorf("sqlite: leases: %w", err)
		}
		out = append(out, l.Lease())
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: leases: %w", err)
	}
	return out, nil
}

const checkpointCols = `source, head_hash, head_len, byte_offset, line, records, rejected, updated_ns`

// Checkpoint returns the checkpoint of source, or store.ErrNotFound.
func (s *Store) Checkpoint(ctx context.Context, source string) (store.Checkpoint, error) {
	c, err := s.checkpoint(ctx, `SELECT `+checkpointCols+` FROM checkpoints WHERE source = ?`, source)
	if err != nil {
		return store.Checkpoint{}, fmt.Errorf("sqlite: checkpoint %q: %w", source, err)
	}
	return c, nil
}

// CheckpointByHead returns the checkpoint with the given head hash and
// length, or store.ErrNotFound. When several match, the most recently
// updated wins (then the smallest source): that is the file a rotation
// renamed last.
func (s *Store) CheckpointByHead(ctx context.Context, headHash string, headLen int) (store.Checkpoint, error) {
	c, err := s.checkpoint(ctx, `SELECT `+checkpointCols+` FROM checkpoints
		WHERE head_hash = ? AND head_len = ? ORDER BY updated_ns DESC, source LIMIT 1`, headHash, headLen)
	if err != nil {
		return store.Checkpoint{}, fmt.Errorf("sqlite: checkpoint by head %.16q/%d: %w", headHash, headLen, err)
	}
	return c, nil
}

func (s *Store) checkpoint(ctx context.Context, query string, args ...any) (store.Checkpoint, error) {
	var c codec.Checkpoint
	err := s.r.QueryRowContext(ctx, query, args...).Scan(&c.Source, &c.HeadHash, &c.HeadLen,
		&c.Offset, &c.Line, &c.Records, &c.Rejected, &c.Updated)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Checkpoint{}, store.ErrNotFound
	}
	if err != nil {
		return store.Checkpoint{}, err
	}
	return c.Checkpoint(), nil
}

// Checkpoints returns every checkpoint ordered by source, never nil.
func (s *Store) Checkpoints(ctx context.Context) ([]store.Checkpoint, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+checkpointCols+` FROM checkpoints ORDER BY source`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: checkpoints: %w", err)
	}
	defer rows.Close()
	out := []store.Checkpoint{}
	for rows.Next() {
		var c codec.Checkpoint
		if err := rows.Scan(&c.Source, &c.HeadHash, &c.HeadLen, &c.Offset, &c.Line, &c.Records, &c.Rejected, &c.Updated); err != nil {
			return nil, fmt.Errorf("sqlite: checkpoints: %w", err)
		}
		out = append(out, c.Checkpoint())
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: checkpoints: %w", err)
	}
	return out, nil
}
