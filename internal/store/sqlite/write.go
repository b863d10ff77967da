package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/vigil-iomt/vigil/internal/store/internal/codec"
)

// statement is a multi-row statement: head, then rows of cols placeholders
// separated by commas, then tail.
type statement struct {
	head, row, tail string
	cols            int
}

var (
	deleteDevices = statement{
		head: `DELETE FROM devices WHERE id IN (`, row: `?`, tail: `)`, cols: 1,
	}
	upsertDevices = statement{
		head: `INSERT INTO devices (id, device_key, class, criticality, vendor, first_seen_ns, last_seen_ns, doc) VALUES `,
		row:  `(?,?,?,?,?,?,?,?)`,
		tail: ` ON CONFLICT (id) DO UPDATE SET device_key = excluded.device_key, class = excluded.class,
			criticality = excluded.criticality, vendor = excluded.vendor, first_seen_ns = excluded.first_seen_ns,
			last_seen_ns = excluded.last_seen_ns, doc = excluded.doc`,
		cols: 8,
	}
	deleteDeviceIPs = statement{
		head: `DELETE FROM device_ips WHERE device_id IN (`, row: `?`, tail: `)`, cols: 1,
	}
	upsertDeviceIPs = statement{
		head: `INSERT INTO device_ips (device_id, ip, first_seen_ns, last_seen_ns) VALUES `,
		row:  `(?,?,?,?)`,
		// A row already holding the given times is left as it is.
		tail: ` ON CONFLICT (device_id, ip) DO UPDATE SET first_seen_ns = excluded.first_seen_ns,
			last_seen_ns = excluded.last_seen_ns
			WHERE first_seen_ns <> excluded.first_seen_ns OR last_seen_ns <> excluded.last_seen_ns`,
		cols: 4,
	}
	// updateLastSeen updates devices by primary key from a VALUES list
	// (the plan is a loop over the list with a lookup per row); the count
	// of changed rows tells whether every device exists.
	updateLastSeen = statement{
		head: `UPDATE devices SET last_seen_ns = v.column2 FROM (VALUES `,
		row:  `(?,?)`,
		tail: `) AS v WHERE devices.id = v.column1`,
		cols: 2,
	}
	upsertLeases = statement{
		head: `INSERT INTO leases (mac, ip, start_ns, end_ns) VALUES `,
		row:  `(?,?,?,?)`,
		tail: ` ON CONFLICT (mac, ip, start_ns) DO UPDATE SET end_ns = excluded.end_ns`,
		cols: 4,
	}
	upsertCheckpoints = statement{
		head: `INSERT INTO checkpoints (` + checkpointCols + `) VALUES `,
		row:  `(?,?,?,?,?,?,?,?)`,
		tail: ` ON CONFLICT (source) DO UPDATE SET head_hash = excluded.head_hash, head_len = excluded.head_len,
			byte_offset = excluded.byte_offset, line = excluded.line, records = excluded.records,
			rejected = excluded.rejected, updated_ns = excluded.updated_ns`,
		cols: 8,
	}
)

// maxRowsPerStatement bounds the rows of one multi-row statement; SQLite
// allows 32766 parameters. BenchmarkChunkRows found 16 to 1024 rows within
// noise of each other and one row per statement about 10% slower: the
// cost is in encoding documents and in the B-trees, not in statements.
var maxRowsPerStatement = 256

// chunkDevices is how many devices Commit encodes at a time: a commit
// holds at most three chunks of documents (see codec.Plan.DeviceChunks),
// about 2 MB with documents of ~700 bytes.
var chunkDevices = 1000

func (st statement) sql(rows int) string {
	var b strings.Builder
	b.Grow(len(st.head) + rows*(len(st.row)+1) + len(st.tail))
	b.WriteString(st.head)
	for i := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(st.row)
	}
	b.WriteString(st.tail)
	return b.String()
}

// writer writes multi-row statements in one transaction, preparing each
// full-size statement once.
type writer struct {
	tx    *sql.Tx
	stmts map[string]*sql.Stmt
	args  []any
}

func newWriter(tx *sql.Tx) *writer {
	return &writer{tx: tx, stmts: map[string]*sql.Stmt{}}
}

// close closes the prepared statements.
func (w *writer) close() {
	for _, st := range w.stmts {
		_ = st.Close()
	}
}

// exec writes n rows with st, as few statements as the chunk size allows.
// add appends row i's arguments; check, when not nil, is given the result
// of the statement that wrote rows [lo, hi).
func (w *writer) exec(ctx context.Context, st statement, n int, add func(i int, args []any) []any,
	check func(lo, hi int, res sql.Result) error) error {
	per := max(1, min(maxRowsPerStatement, 32766/st.cols))
	for lo := 0; lo < n; lo += per {
		hi := min(lo+per, n)
		w.args = w.args[:0]
		for i := lo; i < hi; i++ {
			w.args = add(i, w.args)
		}
		var (
			res sql.Result
			err error
		)
		if hi-lo == per {
			query := st.sql(per)
			full, ok := w.stmts[query]
			if !ok {
				if full, err = w.tx.PrepareContext(ctx, query); err != nil {
					return err
				}
				w.stmts[query] = full
			}
			res, err = full.ExecContext(ctx, w.args...)
		} else {
			res, err = w.tx.ExecContext(ctx, st.sql(hi-lo), w.args...)
		}
		if err != nil {
			return err
		}
		if check != nil {
			if err := check(lo, hi, res); err != nil {
				return err
			}
		}
	}
	clear(w.args) // let the documents go
	return nil
}

// devices writes the devices the plan writes whole, a chunk of documents at
// a time, and replaces their address rows.
func (w *writer) devices(ctx context.Context, p *codec.Plan) error {
	for c, err := range p.DeviceChunks(chunkDevices) {
		if err != nil {
			return err
		}
		if err := w.exec(ctx, upsertDevices, len(c.Devices), func(i int, a []any) []any {
			d := &c.Devices[i]
			return append(a, d.ID, d.Key, d.Class, d.Criticality, d.Vendor, d.FirstSeen, d.LastSeen, d.Doc)
		}, nil); err != nil {
			return err
		}
		if err := w.exec(ctx, deleteDeviceIPs, len(c.Devices), func(i int, a []any) []any {
			return append(a, c.Devices[i].ID)
		}, nil); err != nil {
			return fmt.Errorf("ips: %w", err)
		}
		if err := w.ips(ctx, c.IPs); err != nil {
			return err
		}
	}
	return nil
}

func (w *writer) ips(ctx context.Context, ips []codec.IP) error {
	if err := w.exec(ctx, upsertDeviceIPs, len(ips), func(i int, a []any) []any {
		r := &ips[i]
		return append(a, r.DeviceID, r.IP, r.FirstSeen, r.LastSeen)
	}, nil); err != nil {
		return fmt.Errorf("ips: %w", err)
	}
	return nil
}

// sightings updates the last-seen column of every sighted device, failing
// with store.ErrInvalidBatch if one does not exist, and upserts the
// sighted addresses.
func (w *writer) sightings(ctx context.Context, p *codec.Plan) error {
	ss := p.Sightings
	if err := w.exec(ctx, updateLastSeen, len(ss), func(i int, a []any) []any {
		return append(a, ss[i].ID, ss[i].LastSeen)
	}, func(lo, hi int, res sql.Result) error {
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if int(n) == hi-lo {
			return nil
		}
		return w.missing(ctx, ss[lo:hi])
	}); err != nil {
		return err
	}
	return w.ips(ctx, p.SightingIPs)
}

// missing returns the error naming the devices of ss that do not exist.
func (w *writer) missing(ctx context.Context, ss []codec.Sighting) error {
	ids := make([]string, len(ss))
	for i := range ss {
		ids[i] = ss[i].ID
	}
	unknown, err := w.absent(ctx, "devices", ids)
	if err != nil {
		return err
	}
	return codec.UnknownDevices(unknown)
}

// absent returns the IDs of ids that table does not hold, in their order.
func (w *writer) absent(ctx context.Context, table string, ids []string) ([]string, error) {
	args := make([]any, len(ids))
	for i := range ids {
		args[i] = ids[i]
	}
	rows, err := w.tx.QueryContext(ctx, `SELECT id FROM `+table+` WHERE id IN (?`+strings.Repeat(",?", len(ids)-1)+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	found := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		found[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var unknown []string
	for _, id := range ids {
		if !found[id] {
			unknown = append(unknown, id)
		}
	}
	return unknown, nil
}
