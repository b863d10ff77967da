package sqlite

import (
	"context"
	"database/sql"
	"strings"
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

// execChunks writes n rows with st, as few statements as the chunk size
// allows; the full-chunk statement is prepared once. add appends row i's
// arguments.
func execChunks(ctx context.Context, tx *sql.Tx, st statement, n int, add func(i int, args []any) []any) error {
	if n == 0 {
		return nil
	}
	per := max(1, min(maxRowsPerStatement, 32766/st.cols))
	args := make([]any, 0, min(n, per)*st.cols)
	var full *sql.Stmt
	if n >= per {
		var err error
		if full, err = tx.PrepareContext(ctx, st.sql(per)); err != nil {
			return err
		}
		defer full.Close()
	}
	for lo := 0; lo < n; lo += per {
		hi := min(lo+per, n)
		args = args[:0]
		for i := lo; i < hi; i++ {
			args = add(i, args)
		}
		var err error
		if hi-lo == per {
			_, err = full.ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, st.sql(hi-lo), args...)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
