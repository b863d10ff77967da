// Package postgres is the shared store.Store backend: PostgreSQL through
// pgx (pgxpool), for several workers reading and writing one state.
//
// It owns the PostgreSQL schema (migrations/, applied with goose in Open
// with the data migrations of internal/migration, under a session advisory
// lock, so concurrent workers starting together migrate once) and the SQL. The store lives in the first schema of the
// connection's search_path, which a URL can set (…?search_path=vigil);
// Open does not create that schema. The package must not interpret what it
// stores, and must never log or return the connection URL, which may hold
// a password.
//
// Commit writes each table with multi-row statements: from unnest()ed
// array parameters for small batches, a chunk at a time, from a temporary
// table filled by one streaming COPY for large ones (see write.go and
// BenchmarkCommitMode, which also measures a pgx.Batch of single-row
// statements, slower at every scale). Advisories are compared with the
// stored ones by key, time and hash before their documents are sent, so
// that importing a feed again sends none (see software.go).
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/vigil-iomt/vigil/internal/asset"
	"github.com/vigil-iomt/vigil/internal/store"
	"github.com/vigil-iomt/vigil/internal/store/internal/codec"
	"github.com/vigil-iomt/vigil/internal/store/internal/migration"
)

//go:embed migrations/*.sql
var migrations embed.FS

// pgDialect is how the data migrations of internal/migration write here.
var pgDialect = migration.Dialect{Numbered: true, DocType: "json"}

// Options configures Open. The zero value is ready to use.
type Options struct {
	// Logger receives migration and commit logs; nil discards them.
	Logger *slog.Logger
	// MaxConns bounds the connection pool; 0 keeps the URL's pool_max_conns
	// or pgxpool's default, max(4, number of CPUs).
	MaxConns int32

	// mode overrides how Commit writes rows, for benchmarks only.
	mode commitMode
}

// Store is a PostgreSQL-backed store.Store. It is safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool
	log  *slog.Logger
	mode commitMode
}

var _ store.Store = (*Store)(nil)

// Open connects to the database at url (a postgres:// URL or a key=value
// DSN; a search_path parameter selects the schema, which must exist) and
// migrates that schema to the current version.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// Keep the URL, even redacted, out of the message: only the cause.
		if cause := errors.Unwrap(err); cause != nil {
			return nil, fmt.Errorf("postgres: open: parse connection URL: %w", cause)
		}
		return nil, errors.New("postgres: open: cannot parse the connection URL")
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	s := &Store{pool: pool, log: log, mode: opts.mode}
	if err := s.migrate(ctx, cfg); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	return s, nil
}

func (s *Store) migrate(ctx context.Context, cfg *pgxpool.Config) error {
	var schema *string
	if err := s.pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return err
	}
	if schema == nil {
		return errors.New("no schema of the search_path exists: create it first")
	}
	db := stdlib.OpenDB(*cfg.ConnConfig.Copy())
	defer db.Close()
	p, err := newMigrator(db, *schema, s.log)
	if err != nil {
		return err
	}
	res, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrate schema %q: %w", *schema, err)
	}
	for _, r := range res {
		s.log.Info("postgres: migration applied", "schema", *schema, "version", r.Source.Version, "duration", r.Duration)
	}
	return nil
}

// newMigrator returns the goose provider of the schema in db's schema
// (named schema): the SQL files of migrations/, and the data migrations of
// internal/migration, run under a session advisory lock.
func newMigrator(db *sql.DB, schema string, log *slog.Logger) (*goose.Provider, error) {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	// The advisory lock is database-wide: derive its ID from the schema so
	// that stores in different schemas migrate independently.
	h := fnv.New64a()
	h.Write([]byte("vigil-store-migrate:" + schema))
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(int64(h.Sum64())), lock.WithLockTimeout(1, 300))
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys,
		goose.WithSessionLocker(locker), goose.WithDisableGlobalRegistry(true),
		goose.WithGoMigrations(migration.DeviceIPs(pgDialect), migration.AlertOccurrences(pgDialect)), goose.WithSlog(log))
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return p, nil
}

// Close closes the pool, waiting for connections in use to be released.
// It is safe to call more than once.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Commit applies b in one transaction: deletions first (so that a device
// may take over the key of a device the same batch deletes; the devices'
// address rows and baselines go with them), then whole devices, encoded
// and written a chunk at a time, then baselines, then sightings, leases,
// checkpoints, alerts and alert sightings (their stored rows locked in ID
// order first, so that concurrent commits wait rather than deadlock, and
// the resolved ones read, so that those that occurred again are reopened
// after, see alerts.go), then SBOMs, advisories, KEV,
// EPSS and VEX (see software.go), then findings and findings gone (see
// findings.go), then rubric answers, with the records they replace
// appended to the history (see rubric.go), then detector states (see
// states.go). An invalid batch is rejected with store.ErrInvalidBatch
// before anything is written; a sighting of a device or an alert, or a
// finding gone, that does not exist fails with it too, and the
// transaction is rolled back. An empty or nil batch is a no-op.
func (s *Store) Commit(ctx context.Context, b *store.Batch) error {
	if _, err := s.commit(ctx, b); err != nil {
		return fmt.Errorf("postgres: commit: %w", err)
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
	start := time.Now()
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return counts, fmt.Errorf("begin: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }() // no-op after Commit

	if len(p.Deletes) > 0 {
		if _, err := tx.Exec(ctx, `DELETE FROM devices WHERE id = ANY($1::text[])`, p.Deletes); err != nil {
			return counts, fmt.Errorf("delete devices: %w", err)
		}
	}
	if len(p.DeleteBaselines) > 0 {
		if _, err := tx.Exec(ctx, `DELETE FROM baselines WHERE device_id = ANY($1::text[])`, p.DeleteBaselines); err != nil {
			return counts, fmt.Errorf("delete baselines: %w", err)
		}
	}
	w := s.mode.writer()
	if err := w.devices(ctx, tx, p); err != nil {
		return counts, err
	}
	if err := w.baselines(ctx, tx, p.Baselines); err != nil {
		return counts, err
	}
	if err := w.sightings(ctx, tx, p); err != nil {
		return counts, err
	}
	if err := w.leases(ctx, tx, p.Leases); err != nil {
		return counts, err
	}
	if err := writeCheckpoints(ctx, tx, p.Checkpoints); err != nil {
		return counts, err
	}
	occ := p.Occurrences()
	resolved, err := lockAlerts(ctx, tx, occ)
	if err != nil {
		return counts, fmt.Errorf("alerts: lock: %w", err)
	}
	if err := writeAlerts(ctx, tx, p.Alerts); err != nil {
		return counts, err
	}
	if err := writeAlertSightings(ctx, tx, p.AlertSightings); err != nil {
		return counts, err
	}
	if err := reopenAlerts(ctx, tx, occ, resolved); err != nil {
		return counts, fmt.Errorf("alerts: reopen: %w", err)
	}
	if counts, err = s.writeSoftware(ctx, tx, p); err != nil {
		return counts, err
	}
	if err := s.writeFindings(ctx, tx, p); err != nil {
		return counts, err
	}
	if err := writeRubric(ctx, tx, p.Rubric); err != nil {
		return counts, err
	}
	if err := writeStates(ctx, tx, p.States); err != nil {
		return counts, fmt.Errorf("states: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return counts, err
	}
	s.log.Debug("store commit", "devices", p.NumDevices(), "deleted", len(p.Deletes), "sightings", len(p.Sightings),
		"leases", len(p.Leases), "checkpoints", len(p.Checkpoints), "alerts", len(p.Alerts), "alert_sightings", len(p.AlertSightings), "baselines", len(p.Baselines),
		"deleted_baselines", len(p.DeleteBaselines), "sboms", len(p.SBOMs), "advisories", len(p.Advisories),
		"kev", len(p.KEV), "epss", len(p.EPSS), "vex", len(p.VEX), "findings", len(p.Findings),
		"findings_gone", len(p.FindingsGone), "rubric", len(p.Rubric), "states", len(p.States), "duration", time.Since(start))
	return counts, nil
}

// Device returns the device with the given ID, or store.ErrNotFound. One
// statement reads the device and its addresses, so both see one commit.
func (s *Store) Device(ctx context.Context, id string) (asset.Device, error) {
	if !codec.Storable(id) {
		return asset.Device{}, fmt.Errorf("postgres: device %q: %w", id, store.ErrNotFound)
	}
	rows, err := s.pool.Query(ctx, `SELECT d.last_seen_ns, d.doc, i.ip, i.first_seen_ns, i.last_seen_ns
		FROM devices d LEFT JOIN device_ips i ON i.device_id = d.id WHERE d.id = $1 ORDER BY i.ip`, id)
	if err != nil {
		return asset.Device{}, fmt.Errorf("postgres: device %q: %w", id, err)
	}
	defer rows.Close()
	var (
		found bool
		dev   = codec.StoredDevice{ID: id}
		ips   []codec.IP
	)
	for rows.Next() {
		var (
			doc         []byte
			ip          *string
			first, last *int64
		)
		if err := rows.Scan(&dev.LastSeen, &doc, &ip, &first, &last); err != nil {
			return asset.Device{}, fmt.Errorf("postgres: device %q: %w", id, err)
		}
		if !found {
			found, dev.Doc = true, doc
		}
		if ip != nil && first != nil && last != nil {
			ips = append(ips, codec.IP{DeviceID: id, IP: *ip, FirstSeen: *first, LastSeen: *last})
		}
	}
	if err := rows.Err(); err != nil {
		return asset.Device{}, fmt.Errorf("postgres: device %q: %w", id, err)
	}
	if !found {
		return asset.Device{}, fmt.Errorf("postgres: device %q: %w", id, store.ErrNotFound)
	}
	d, err := codec.DecodeDevice(dev, ips)
	if err != nil {
		return asset.Device{}, fmt.Errorf("postgres: device %q: decode: %w", id, err)
	}
	return d, nil
}

// Devices returns the devices matching q, ordered by ID, never nil. It
// reads the devices and their addresses with two queries in one
// repeatable-read transaction, so that both see the same commit.
func (s *Store) Devices(ctx context.Context, q store.DeviceQuery) ([]asset.Device, error) {
	if q.Limit < 0 {
		return nil, fmt.Errorf("postgres: devices: negative limit %d", q.Limit)
	}
	if !codec.Storable(q.Class) {
		return []asset.Device{}, nil
	}
	var conds []string
	args := []any{}
	if q.Class != "" {
		args = append(args, q.Class)
		conds = append(conds, fmt.Sprintf(`class = $%d`, len(args)))
	}
	if q.After != "" {
		if !codec.Storable(q.After) {
			return nil, fmt.Errorf("postgres: devices: after %q is not a storable ID", q.After)
		}
		args = append(args, q.After)
		conds = append(conds, fmt.Sprintf(`id > $%d`, len(args)))
	}
	where := ``
	if len(conds) > 0 {
		where = ` WHERE ` + strings.Join(conds, ` AND `)
	}
	where += ` ORDER BY id`
	if q.Limit > 0 {
		args = append(args, q.Limit)
		where += fmt.Sprintf(` LIMIT $%d`, len(args))
	}
	ipsQuery := `SELECT device_id, ip, first_seen_ns, last_seen_ns FROM device_ips ORDER BY device_id, ip`
	if len(args) > 0 {
		ipsQuery = `SELECT device_id, ip, first_seen_ns, last_seen_ns FROM device_ips
			WHERE device_id IN (SELECT id FROM devices` + where + `) ORDER BY device_id, ip`
	}
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("postgres: devices: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	rows, err := tx.Query(ctx, `SELECT id, last_seen_ns, doc FROM devices`+where, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: devices: %w", err)
	}
	devs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (codec.StoredDevice, error) {
		var d codec.StoredDevice
		err := row.Scan(&d.ID, &d.LastSeen, &d.Doc)
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: devices: %w", err)
	}
	rows, err = tx.Query(ctx, ipsQuery, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: devices: addresses: %w", err)
	}
	ips, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (codec.IP, error) {
		var r codec.IP
		err := row.Scan(&r.DeviceID, &r.IP, &r.FirstSeen, &r.LastSeen)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: devices: addresses: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("postgres: devices: %w", err)
	}
	out, err := codec.DecodeDevices(devs, ips)
	if err != nil {
		return nil, fmt.Errorf("postgres: devices: decode: %w", err)
	}
	return out, nil
}

// Leases returns every lease ordered by MAC, IP and start, never nil.
func (s *Store) Leases(ctx context.Context) ([]asset.Lease, error) {
	rows, err := s.pool.Query(ctx, `SELECT mac, ip, start_ns, end_ns FROM leases ORDER BY mac, ip, start_ns`)
	if err != nil {
		return nil, fmt.Errorf("postgres: leases: %w", err)
	}
	defer rows.Close()
	out := []asset.Lease{}
	for rows.Next() {
		var l codec.Lease
		if err := rows.Scan(&l.MAC, &l.IP, &l.Start, &l.End); err != nil {
			return nil, fmt.Errorf("postgres: leases: %w", err)
		}
		out = append(out, l.Lease())
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: leases: %w", err)
	}
	return out, nil
}

const checkpointCols = `source, head_hash, head_len, byte_offset, line, records, rejected, updated_ns`

// Checkpoint returns the checkpoint of source, or store.ErrNotFound.
func (s *Store) Checkpoint(ctx context.Context, source string) (store.Checkpoint, error) {
	if !codec.Storable(source) {
		return store.Checkpoint{}, fmt.Errorf("postgres: checkpoint %q: %w", source, store.ErrNotFound)
	}
	c, err := s.checkpoint(ctx, `SELECT `+checkpointCols+` FROM checkpoints WHERE source = $1`, source)
	if err != nil {
		return store.Checkpoint{}, fmt.Errorf("postgres: checkpoint %q: %w", source, err)
	}
	return c, nil
}

// CheckpointByHead returns the checkpoint with the given head hash and
// length, or store.ErrNotFound. When several match, the most recently
// updated wins (then the smallest source): that is the file a rotation
// renamed last.
func (s *Store) CheckpointByHead(ctx context.Context, headHash string, headLen int) (store.Checkpoint, error) {
	if !codec.Storable(headHash) {
		return store.Checkpoint{}, fmt.Errorf("postgres: checkpoint by head %.16q/%d: %w", headHash, headLen, store.ErrNotFound)
	}
	c, err := s.checkpoint(ctx, `SELECT `+checkpointCols+` FROM checkpoints
		WHERE head_hash = $1 AND head_len = $2 ORDER BY updated_ns DESC, source LIMIT 1`, headHash, headLen)
	if err != nil {
		return store.Checkpoint{}, fmt.Errorf("postgres: checkpoint by head %.16q/%d: %w", headHash, headLen, err)
	}
	return c, nil
}

func (s *Store) checkpoint(ctx context.Context, query string, args ...any) (store.Checkpoint, error) {
	var c codec.Checkpoint
	err := s.pool.QueryRow(ctx, query, args...).Scan(&c.Source, &c.HeadHash, &c.HeadLen,
		&c.Offset, &c.Line, &c.Records, &c.Rejected, &c.Updated)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Checkpoint{}, store.ErrNotFound
	}
	if err != nil {
		return store.Checkpoint{}, err
	}
	return c.Checkpoint(), nil
}

// Checkpoints returns every checkpoint ordered by source, never nil.
func (s *Store) Checkpoints(ctx context.Context) ([]store.Checkpoint, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+checkpointCols+` FROM checkpoints ORDER BY source`)
	if err != nil {
		return nil, fmt.Errorf("postgres: checkpoints: %w", err)
	}
	defer rows.Close()
	out := []store.Checkpoint{}
	for rows.Next() {
		var c codec.Checkpoint
		if err := rows.Scan(&c.Source, &c.HeadHash, &c.HeadLen, &c.Offset, &c.Line, &c.Records, &c.Rejected, &c.Updated); err != nil {
			return nil, fmt.Errorf("postgres: checkpoints: %w", err)
		}
		out = append(out, c.Checkpoint())
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: checkpoints: %w", err)
	}
	return out, nil
}
