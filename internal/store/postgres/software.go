package postgres

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/vigil-iomt/vigil/internal/store"
	"github.com/vigil-iomt/vigil/internal/store/internal/codec"
)

const (
	sbomCols     = `vendor, model, version, id, format, spec_version, name, components, source, imported_ns`
	advisoryCols = `source, id, aliases, modified_ns, hash, doc`
	kevCols      = `cve, date_added_ns, due_date_ns, ransomware, doc`
	epssCols     = `cve, score, percentile, date_ns`
	vexCols      = `id, vulnerability, source, doc`

	// kevUpdates, epssUpdates and vexUpdates leave a row already holding
	// the given values as it is: importing a feed again writes nothing
	// (no dead tuple, no WAL).
	kevUpdates = ` ON CONFLICT (cve) DO UPDATE SET date_added_ns = excluded.date_added_ns, due_date_ns = excluded.due_date_ns,
		ransomware = excluded.ransomware, doc = excluded.doc
		WHERE (kev.date_added_ns, kev.due_date_ns, kev.ransomware, kev.doc)
			IS DISTINCT FROM (excluded.date_added_ns, excluded.due_date_ns, excluded.ransomware, excluded.doc)`
	// epssUpdates replaces a score only with one of the same day or later.
	epssUpdates = ` ON CONFLICT (cve) DO UPDATE SET score = excluded.score, percentile = excluded.percentile, date_ns = excluded.date_ns
		WHERE excluded.date_ns >= epss.date_ns
			AND (epss.score, epss.percentile, epss.date_ns) IS DISTINCT FROM (excluded.score, excluded.percentile, excluded.date_ns)`
	vexUpdates = ` ON CONFLICT (id) DO UPDATE SET vulnerability = excluded.vulnerability, source = excluded.source, doc = excluded.doc
		WHERE (vex.vulnerability, vex.source, vex.doc) IS DISTINCT FROM (excluded.vulnerability, excluded.source, excluded.doc)`
)

// chunkDocBytes bounds the documents the unnest path sends in one
// statement (a single larger document goes alone): pgx encodes a
// statement's arrays whole before sending them.
const chunkDocBytes = chunkBaselineBytes

// docChunks yields [lo, hi) ranges covering [0, n), each at most
// chunkRows rows and, unless one document exceeds it alone,
// chunkDocBytes of documents (size(i) is row i's).
func docChunks(n int, size func(i int) int) iter.Seq2[int, int] {
	return func(yield func(int, int) bool) {
		for lo := 0; lo < n; {
			hi, total := lo+1, size(lo)
			for hi < n && hi-lo < chunkRows && total+size(hi) <= chunkDocBytes {
				total += size(hi)
				hi++
			}
			if !yield(lo, hi) {
				return
			}
			lo = hi
		}
	}
}

// useCopy reports whether n rows of a software-risk table are written
// through COPY: by size in modeAuto, always in modeCopy. modeBatch writes
// these tables as modeUnnest does.
func (m commitMode) useCopy(n int) bool {
	return m == modeCopy || (m == modeAuto && n >= copyMin)
}

// writeSoftware writes the plan's software-risk records and returns what
// happened to its advisories.
func (s *Store) writeSoftware(ctx context.Context, tx pgx.Tx, p *codec.Plan) (store.ImportCounts, error) {
	if err := writeSBOMs(ctx, tx, p.SBOMs); err != nil {
		return store.ImportCounts{}, fmt.Errorf("sboms: %w", err)
	}
	counts, err := s.writeAdvisories(ctx, tx, p.Advisories)
	if err != nil {
		return store.ImportCounts{}, fmt.Errorf("advisories: %w", err)
	}
	if err := s.writeKEV(ctx, tx, p.KEV); err != nil {
		return store.ImportCounts{}, fmt.Errorf("kev: %w", err)
	}
	if err := s.writeEPSS(ctx, tx, p.EPSS); err != nil {
		return store.ImportCounts{}, fmt.Errorf("epss: %w", err)
	}
	if err := s.writeVEX(ctx, tx, p.VEX); err != nil {
		return store.ImportCounts{}, fmt.Errorf("vex: %w", err)
	}
	return counts, nil
}

// writeSBOMs deletes the stored SBOM of each model version the plan gives
// another ID, then inserts the plan's SBOMs where their model version has
// none left (an SBOM imported again is a true no-op): deleting all first
// lets a batch move IDs between model versions. A batch holds few SBOMs.
func writeSBOMs(ctx context.Context, tx pgx.Tx, rs []codec.SBOM) error {
	if len(rs) == 0 {
		return nil
	}
	var b pgx.Batch
	for _, r := range rs {
		b.Queue(`DELETE FROM sboms WHERE vendor = $1 AND model = $2 AND version = $3 AND id <> $4`, r.Vendor, r.Model, r.Version, r.ID)
	}
	for _, r := range rs {
		b.Queue(`INSERT INTO sboms (`+sbomCols+`, doc) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
			ON CONFLICT (vendor, model, version) DO NOTHING`,
			r.Vendor, r.Model, r.Version, r.ID, r.Format, r.SpecVersion, r.Name, r.Components, r.Source, r.Imported, codec.NonNil(r.Doc))
	}
	return tx.SendBatch(ctx, &b).Close()
}

// upsertAdvisories is the statement that writes the advisories of %[1]s
// (an unnest() or a temporary table, columns advisoryCols): it counts the
// stale and unchanged ones against the stored rows, writes the new and
// changed ones, inserts the alias rows of the new ones (the updated ones
// have stored alias rows, which a statement of its own replaces), and
// returns the counts and the keys of the updated.
const upsertAdvisories = `WITH input AS (SELECT * FROM %[1]s),
	old AS (SELECT count(*) FILTER (WHERE a.modified_ns > i.modified_ns) AS stale,
			count(*) FILTER (WHERE a.modified_ns = i.modified_ns AND a.hash = i.hash) AS unchanged
		FROM input i JOIN advisories a ON a.source = i.source AND a.id = i.id),
	up AS (INSERT INTO advisories (` + advisoryCols + `) SELECT ` + advisoryCols + ` FROM input ORDER BY source, id
		ON CONFLICT (source, id) DO UPDATE SET aliases = excluded.aliases, modified_ns = excluded.modified_ns,
			hash = excluded.hash, doc = excluded.doc
		WHERE excluded.modified_ns > advisories.modified_ns
			OR (excluded.modified_ns = advisories.modified_ns AND excluded.hash <> advisories.hash)
		RETURNING source, id, aliases, xmax = 0 AS inserted),
	ins AS (INSERT INTO advisory_aliases (source, id, alias)
		SELECT source, id, json_array_elements_text(aliases::json) FROM up WHERE inserted)
	SELECT (SELECT stale FROM old), (SELECT unchanged FROM old), count(*) FILTER (WHERE inserted),
		coalesce(array_agg(source) FILTER (WHERE NOT inserted), '{}'), coalesce(array_agg(id) FILTER (WHERE NOT inserted), '{}')
	FROM up`

// classifyAdvisories is the statement that compares a chunk of
// advisories, by key, modification time and hash, with the stored ones:
// it returns the (1-based) positions of those to write, and counts the
// stale and unchanged.
const classifyAdvisories = `SELECT coalesce(array_agg(t.ord) FILTER (WHERE a.source IS NULL OR t.modified_ns > a.modified_ns
		OR (t.modified_ns = a.modified_ns AND t.hash <> a.hash)), '{}'),
	count(*) FILTER (WHERE a.modified_ns > t.modified_ns),
	count(*) FILTER (WHERE a.modified_ns = t.modified_ns AND a.hash = t.hash)
	FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[]) WITH ORDINALITY AS t(source, id, modified_ns, hash, ord)
	LEFT JOIN advisories a ON a.source = t.source AND a.id = t.id`

// writeAdvisories writes the advisories that are new, newer, or of the
// same time with another hash, and replaces their alias rows. It first
// compares keys, times and hashes with the stored advisories, without
// documents, then sends the documents of those to write only: importing a
// feed again sends no document (BenchmarkImportAdvisories/unchanged).
func (s *Store) writeAdvisories(ctx context.Context, tx pgx.Tx, all []codec.Advisory) (store.ImportCounts, error) {
	var (
		counts store.ImportCounts
		as     []codec.Advisory // those to write
	)
	for lo, hi := range chunks(len(all), chunkRows) {
		n := hi - lo
		source, id, hash, modified := make([]string, n), make([]string, n), make([]string, n), make([]int64, n)
		for i, a := range all[lo:hi] {
			source[i], id[i], hash[i], modified[i] = a.Source, a.ID, a.Hash, a.Modified
		}
		var (
			write            []int64
			stale, unchanged int64
		)
		if err := tx.QueryRow(ctx, classifyAdvisories, source, id, modified, hash).Scan(&write, &stale, &unchanged); err != nil {
			return counts, err
		}
		slices.Sort(write)
		for _, ord := range write {
			as = append(as, all[lo+int(ord)-1])
		}
		counts.Stale += int(stale)
		counts.Unchanged += int(unchanged)
	}
	if len(as) == 0 {
		return counts, nil
	}
	// The upsert checks again, and counts what it leaves alone: another
	// transaction may have written the same advisories since.
	run := func(src string, args ...any) error {
		var (
			stale, unchanged, inserted int64
			source, id                 []string
		)
		if err := tx.QueryRow(ctx, fmt.Sprintf(upsertAdvisories, src), args...).Scan(&stale, &unchanged, &inserted, &source, &id); err != nil {
			return err
		}
		counts.Stale += int(stale)
		counts.Unchanged += int(unchanged)
		counts.New += int(inserted)
		counts.Updated += len(id)
		if len(id) == 0 {
			return nil
		}
		var b pgx.Batch
		b.Queue(`DELETE FROM advisory_aliases x USING unnest($1::text[], $2::text[]) AS k(source, id)
			WHERE x.source = k.source AND x.id = k.id`, source, id)
		b.Queue(`INSERT INTO advisory_aliases (source, id, alias)
			SELECT a.source, a.id, json_array_elements_text(a.aliases::json)
			FROM advisories a JOIN unnest($1::text[], $2::text[]) AS k(source, id) ON a.source = k.source AND a.id = k.id`, source, id)
		if err := tx.SendBatch(ctx, &b).Close(); err != nil {
			return fmt.Errorf("aliases: %w", err)
		}
		return nil
	}
	if s.mode.useCopy(len(as)) {
		if err := copyIn(ctx, tx, "advisories_in", "advisories", strings.Split(advisoryCols, ", "), len(as), func(i int) []any {
			a := &as[i]
			return []any{a.Source, a.ID, a.Aliases, a.Modified, a.Hash, codec.NonNil(a.Doc)}
		}); err != nil {
			return counts, err
		}
		return counts, run(`advisories_in`)
	}
	for lo, hi := range docChunks(len(as), func(i int) int { return len(as[i].Doc) }) {
		n := hi - lo
		source, id, aliases, hash, modified, doc := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]int64, n), make([][]byte, n)
		for i, a := range as[lo:hi] {
			source[i], id[i], aliases[i], hash[i], modified[i], doc[i] = a.Source, a.ID, a.Aliases, a.Hash, a.Modified, codec.NonNil(a.Doc)
		}
		if err := run(`unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::bytea[]) AS t(`+advisoryCols+`)`,
			source, id, aliases, modified, hash, doc); err != nil {
			return counts, err
		}
	}
	return counts, nil
}

func (s *Store) writeKEV(ctx context.Context, tx pgx.Tx, ks []codec.KEV) error {
	if len(ks) == 0 {
		return nil
	}
	if s.mode.useCopy(len(ks)) {
		if err := copyIn(ctx, tx, "kev_in", "kev", strings.Split(kevCols, ", "), len(ks), func(i int) []any {
			k := &ks[i]
			return []any{k.CVE, k.DateAdded, k.DueDate, k.Ransomware, codec.NonNil(k.Doc)}
		}); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO kev (`+kevCols+`) SELECT `+kevCols+` FROM kev_in ORDER BY cve`+kevUpdates)
		return err
	}
	for lo, hi := range docChunks(len(ks), func(i int) int { return len(ks[i].Doc) }) {
		n := hi - lo
		cve, added, due, ransomware, doc := make([]string, n), make([]int64, n), make([]int64, n), make([]bool, n), make([][]byte, n)
		for i, k := range ks[lo:hi] {
			cve[i], added[i], due[i], ransomware[i], doc[i] = k.CVE, k.DateAdded, k.DueDate, k.Ransomware, codec.NonNil(k.Doc)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO kev (`+kevCols+`)
			SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::boolean[], $5::bytea[])`+kevUpdates,
			cve, added, due, ransomware, doc); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) writeEPSS(ctx context.Context, tx pgx.Tx, es []codec.EPSS) error {
	if len(es) == 0 {
		return nil
	}
	if s.mode.useCopy(len(es)) {
		if err := copyIn(ctx, tx, "epss_in", "epss", strings.Split(epssCols, ", "), len(es), func(i int) []any {
			e := &es[i]
			return []any{e.CVE, e.Score, e.Percentile, e.Date}
		}); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO epss (`+epssCols+`) SELECT `+epssCols+` FROM epss_in ORDER BY cve`+epssUpdates)
		return err
	}
	for lo, hi := range chunks(len(es), chunkRows) {
		n := hi - lo
		cve, score, pct, date := make([]string, n), make([]float64, n), make([]float64, n), make([]int64, n)
		for i, e := range es[lo:hi] {
			cve[i], score[i], pct[i], date[i] = e.CVE, e.Score, e.Percentile, e.Date
		}
		if _, err := tx.Exec(ctx, `INSERT INTO epss (`+epssCols+`)
			SELECT * FROM unnest($1::text[], $2::float8[], $3::float8[], $4::bigint[])`+epssUpdates,
			cve, score, pct, date); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) writeVEX(ctx context.Context, tx pgx.Tx, vs []store.VEXRecord) error {
	if len(vs) == 0 {
		return nil
	}
	if s.mode.useCopy(len(vs)) {
		if err := copyIn(ctx, tx, "vex_in", "vex", strings.Split(vexCols, ", "), len(vs), func(i int) []any {
			v := &vs[i]
			return []any{v.ID, v.Vulnerability, v.Source, codec.NonNil(v.Doc)}
		}); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO vex (`+vexCols+`) SELECT `+vexCols+` FROM vex_in ORDER BY id`+vexUpdates)
		return err
	}
	for lo, hi := range docChunks(len(vs), func(i int) int { return len(vs[i].Doc) }) {
		n := hi - lo
		id, vuln, source, doc := make([]string, n), make([]string, n), make([]string, n), make([][]byte, n)
		for i, v := range vs[lo:hi] {
			id[i], vuln[i], source[i], doc[i] = v.ID, v.Vulnerability, v.Source, codec.NonNil(v.Doc)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO vex (`+vexCols+`)
			SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bytea[])`+vexUpdates,
			id, vuln, source, doc); err != nil {
			return err
		}
	}
	return nil
}

// ImportAdvisories upserts advisories in one transaction, as Commit does
// Batch.Advisories, and reports what it did with them.
func (s *Store) ImportAdvisories(ctx context.Context, advisories []store.AdvisoryRecord) (store.ImportCounts, error) {
	counts, err := s.commit(ctx, &store.Batch{Advisories: advisories})
	if err != nil {
		return store.ImportCounts{}, fmt.Errorf("postgres: import advisories: %w", err)
	}
	return counts, nil
}

// storable reports whether every s is storable text: a lookup by a key
// Batch.Validate would reject finds nothing rather than fails.
func storable(ss ...string) bool {
	for _, s := range ss {
		if !codec.Storable(s) {
			return false
		}
	}
	return true
}

// storableOnly returns the storable strings of ss.
func storableOnly(ss []string) []string {
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		if codec.Storable(s) {
			out = append(out, s)
		}
	}
	return out
}

// SBOMs returns the SBOMs matching q, without documents, ordered by
// vendor, model and version, never nil.
func (s *Store) SBOMs(ctx context.Context, q store.SBOMQuery) ([]store.SBOMRecord, error) {
	out := []store.SBOMRecord{}
	if !storable(q.Vendor, q.Model, q.Version) {
		return out, nil
	}
	var conds []string
	var args []any
	for _, f := range []struct{ col, v string }{{"vendor", q.Vendor}, {"model", q.Model}, {"version", q.Version}} {
		if f.v != "" {
			args = append(args, f.v)
			conds = append(conds, fmt.Sprintf(`%s = $%d`, f.col, len(args)))
		}
	}
	where := ``
	if len(conds) > 0 {
		where = ` WHERE ` + strings.Join(conds, ` AND `)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+sbomCols+` FROM sboms`+where+` ORDER BY vendor, model, version`, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: sboms: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r codec.SBOM
		if err := rows.Scan(&r.Vendor, &r.Model, &r.Version, &r.ID, &r.Format, &r.SpecVersion, &r.Name,
			&r.Components, &r.Source, &r.Imported); err != nil {
			return nil, fmt.Errorf("postgres: sboms: %w", err)
		}
		out = append(out, r.Record())
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: sboms: %w", err)
	}
	return out, nil
}

// SBOM returns the SBOM with the given ID, with its document, or
// store.ErrNotFound.
func (s *Store) SBOM(ctx context.Context, id string) (store.SBOMRecord, error) {
	if !codec.Storable(id) {
		return store.SBOMRecord{}, fmt.Errorf("postgres: sbom %q: %w", id, store.ErrNotFound)
	}
	var r codec.SBOM
	err := s.pool.QueryRow(ctx, `SELECT `+sbomCols+`, doc FROM sboms WHERE id = $1`, id).Scan(
		&r.Vendor, &r.Model, &r.Version, &r.ID, &r.Format, &r.SpecVersion, &r.Name, &r.Components, &r.Source, &r.Imported, &r.Doc)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.SBOMRecord{}, fmt.Errorf("postgres: sbom %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return store.SBOMRecord{}, fmt.Errorf("postgres: sbom %q: %w", id, err)
	}
	r.Doc = codec.NonNil(r.Doc)
	return r.Record(), nil
}

// stream runs query and calls scan for every row as it arrives, reading
// the rows of one statement, which sees one snapshot. fn runs while the
// statement holds a pool connection; stopping early reads and discards
// the rows left, which the server has already sent.
func (s *Store) stream(ctx context.Context, query string, args []any, scan func(pgx.Rows) error) error {
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// errStop marks an error returned by a caller's fn, which a walk returns
// as it is.
type errStop struct{ err error }

func (e errStop) Error() string { return e.err.Error() }

// unwrapStop returns the caller's error as it is, or err wrapped with
// what.
func unwrapStop(what string, err error) error {
	var stop errStop
	if errors.As(err, &stop) {
		return stop.err
	}
	if err != nil {
		return fmt.Errorf("postgres: %s: %w", what, err)
	}
	return nil
}

// Advisories calls fn for every advisory matching q, ordered by source
// and ID, streaming.
func (s *Store) Advisories(ctx context.Context, q store.AdvisoryQuery, fn func(store.AdvisoryRecord) error) error {
	if !codec.Storable(q.Source) {
		return nil
	}
	var conds []string
	var args []any
	if q.Source != "" {
		args = append(args, q.Source)
		conds = append(conds, `source = $1`)
	}
	if len(q.IDs) > 0 {
		ids := storableOnly(q.IDs)
		if len(ids) == 0 {
			return nil
		}
		args = append(args, ids)
		n := len(args)
		conds = append(conds, fmt.Sprintf(`(id = ANY($%[1]d::text[])
			OR (source, id) IN (SELECT source, id FROM advisory_aliases WHERE alias = ANY($%[1]d::text[])))`, n))
	}
	where := ``
	if len(conds) > 0 {
		where = ` WHERE ` + strings.Join(conds, ` AND `)
	}
	return unwrapStop("advisories", s.stream(ctx, `SELECT `+advisoryCols+` FROM advisories`+where+` ORDER BY source, id`, args,
		func(rows pgx.Rows) error {
			var a codec.Advisory
			if err := rows.Scan(&a.Source, &a.ID, &a.Aliases, &a.Modified, &a.Hash, &a.Doc); err != nil {
				return err
			}
			r, err := a.Record()
			if err != nil {
				return err
			}
			if err := fn(r); err != nil {
				return errStop{err}
			}
			return nil
		}))
}

// KEV calls fn for every KEV entry, ordered by CVE, streaming.
func (s *Store) KEV(ctx context.Context, fn func(store.KEVRecord) error) error {
	return unwrapStop("kev", s.stream(ctx, `SELECT `+kevCols+` FROM kev ORDER BY cve`, nil, func(rows pgx.Rows) error {
		var k codec.KEV
		if err := rows.Scan(&k.CVE, &k.DateAdded, &k.DueDate, &k.Ransomware, &k.Doc); err != nil {
			return err
		}
		if err := fn(k.Record()); err != nil {
			return errStop{err}
		}
		return nil
	}))
}

// EPSS returns the scores of cves (of every CVE when cves is empty), by
// CVE, never nil.
func (s *Store) EPSS(ctx context.Context, cves []string) (map[string]store.EPSSRecord, error) {
	out := map[string]store.EPSSRecord{}
	query, args := `SELECT `+epssCols+` FROM epss`, []any{}
	if len(cves) > 0 {
		ok := storableOnly(cves)
		if len(ok) == 0 {
			return out, nil
		}
		query += ` WHERE cve = ANY($1::text[])`
		args = append(args, ok)
	}
	if err := s.stream(ctx, query, args, func(rows pgx.Rows) error {
		var e codec.EPSS
		if err := rows.Scan(&e.CVE, &e.Score, &e.Percentile, &e.Date); err != nil {
			return err
		}
		out[e.CVE] = e.Record()
		return nil
	}); err != nil {
		return nil, fmt.Errorf("postgres: epss: %w", err)
	}
	return out, nil
}

// VEX calls fn for every statement about vulnerability (every statement
// when it is empty), ordered by source and ID, streaming.
func (s *Store) VEX(ctx context.Context, vulnerability string, fn func(store.VEXRecord) error) error {
	if !codec.Storable(vulnerability) {
		return nil
	}
	query, args := `SELECT `+vexCols+` FROM vex`, []any{}
	if vulnerability != "" {
		query += ` WHERE vulnerability = $1`
		args = append(args, vulnerability)
	}
	return unwrapStop("vex", s.stream(ctx, query+` ORDER BY source, id`, args, func(rows pgx.Rows) error {
		var v store.VEXRecord
		if err := rows.Scan(&v.ID, &v.Vulnerability, &v.Source, &v.Doc); err != nil {
			return err
		}
		v.Doc = codec.NonNil(v.Doc)
		if err := fn(v); err != nil {
			return errStop{err}
		}
		return nil
	}))
}
