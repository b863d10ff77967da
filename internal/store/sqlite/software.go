package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/vigil-iomt/vigil/internal/store"
	"github.com/vigil-iomt/vigil/internal/store/internal/codec"
)

const (
	sbomCols = `vendor, model, version, id, format, spec_version, name, components, source, imported_ns`
	// insertSBOM leaves a stored SBOM of the same model version alone:
	// writer.sboms has deleted it first unless it has the same ID, and an
	// SBOM imported again is a true no-op.
	insertSBOM = `INSERT INTO sboms (` + sbomCols + `, doc) VALUES (?,?,?,?,?,?,?,?,?,?,?)
		ON CONFLICT (vendor, model, version) DO NOTHING`
	deleteReplacedSBOM = `DELETE FROM sboms WHERE vendor = ? AND model = ? AND version = ? AND id <> ?`

	advisoryCols   = `source, id, aliases, modified_ns, hash, doc`
	upsertAdvisory = `INSERT INTO advisories (` + advisoryCols + `) VALUES (?,?,?,?,?,?)
		ON CONFLICT (source, id) DO UPDATE SET aliases = excluded.aliases, modified_ns = excluded.modified_ns,
			hash = excluded.hash, doc = excluded.doc`
	// insertAliases derives an advisory's alias rows from its aliases
	// column, a JSON array.
	insertAliases = `INSERT INTO advisory_aliases (source, id, alias) SELECT ?, ?, value FROM json_each(?)`
)

var (
	// upsertKEV, upsertEPSS and upsertVEX leave a row already holding the
	// given values as it is: importing a feed again writes nothing.
	upsertKEV = statement{
		head: `INSERT INTO kev (cve, date_added_ns, due_date_ns, ransomware, doc) VALUES `,
		row:  `(?,?,?,?,?)`,
		tail: ` ON CONFLICT (cve) DO UPDATE SET date_added_ns = excluded.date_added_ns, due_date_ns = excluded.due_date_ns,
			ransomware = excluded.ransomware, doc = excluded.doc
			WHERE (date_added_ns, due_date_ns, ransomware, doc) IS NOT (excluded.date_added_ns, excluded.due_date_ns, excluded.ransomware, excluded.doc)`,
		cols: 5,
	}
	// upsertEPSS replaces a score only with one of the same day or later.
	upsertEPSS = statement{
		head: `INSERT INTO epss (cve, score, percentile, date_ns) VALUES `,
		row:  `(?,?,?,?)`,
		tail: ` ON CONFLICT (cve) DO UPDATE SET score = excluded.score, percentile = excluded.percentile, date_ns = excluded.date_ns
			WHERE excluded.date_ns >= epss.date_ns
				AND (score, percentile, date_ns) IS NOT (excluded.score, excluded.percentile, excluded.date_ns)`,
		cols: 4,
	}
	upsertVEX = statement{
		head: `INSERT INTO vex (id, vulnerability, source, doc) VALUES `,
		row:  `(?,?,?,?)`,
		tail: ` ON CONFLICT (id) DO UPDATE SET vulnerability = excluded.vulnerability, source = excluded.source, doc = excluded.doc
			WHERE (vulnerability, source, doc) IS NOT (excluded.vulnerability, excluded.source, excluded.doc)`,
		cols: 4,
	}
)

// software writes the plan's software-risk records and returns what
// happened to its advisories.
func (w *writer) software(ctx context.Context, p *codec.Plan) (store.ImportCounts, error) {
	if err := w.sboms(ctx, p.SBOMs); err != nil {
		return store.ImportCounts{}, fmt.Errorf("sboms: %w", err)
	}
	counts, err := w.advisories(ctx, p.Advisories)
	if err != nil {
		return store.ImportCounts{}, fmt.Errorf("advisories: %w", err)
	}
	if err := w.exec(ctx, upsertKEV, len(p.KEV), func(i int, a []any) []any {
		k := &p.KEV[i]
		return append(a, k.CVE, k.DateAdded, k.DueDate, k.Ransomware, codec.NonNil(k.Doc))
	}, nil); err != nil {
		return store.ImportCounts{}, fmt.Errorf("kev: %w", err)
	}
	if err := w.exec(ctx, upsertEPSS, len(p.EPSS), func(i int, a []any) []any {
		e := &p.EPSS[i]
		return append(a, e.CVE, e.Score, e.Percentile, e.Date)
	}, nil); err != nil {
		return store.ImportCounts{}, fmt.Errorf("epss: %w", err)
	}
	if err := w.exec(ctx, upsertVEX, len(p.VEX), func(i int, a []any) []any {
		v := &p.VEX[i]
		return append(a, v.ID, v.Vulnerability, v.Source, codec.NonNil(v.Doc))
	}, nil); err != nil {
		return store.ImportCounts{}, fmt.Errorf("vex: %w", err)
	}
	return counts, nil
}

// sboms deletes the stored SBOM of each model version the plan gives
// another ID, then inserts the plan's SBOMs where their model version has
// none left: deleting all first lets a batch move IDs between model
// versions.
func (w *writer) sboms(ctx context.Context, rs []codec.SBOM) error {
	if len(rs) == 0 {
		return nil
	}
	del, err := w.tx.PrepareContext(ctx, deleteReplacedSBOM)
	if err != nil {
		return err
	}
	defer del.Close()
	for i := range rs {
		r := &rs[i]
		if _, err := del.ExecContext(ctx, r.Vendor, r.Model, r.Version, r.ID); err != nil {
			return fmt.Errorf("sbom %q: %w", r.ID, err)
		}
	}
	ins, err := w.tx.PrepareContext(ctx, insertSBOM)
	if err != nil {
		return err
	}
	defer ins.Close()
	for i := range rs {
		r := &rs[i]
		if _, err := ins.ExecContext(ctx, r.Vendor, r.Model, r.Version, r.ID, r.Format, r.SpecVersion, r.Name,
			r.Components, r.Source, r.Imported, codec.NonNil(r.Doc)); err != nil {
			return fmt.Errorf("sbom %q: %w", r.ID, err)
		}
	}
	return nil
}

// advisories writes each advisory that is new, newer, or of the same time
// with another hash, and replaces its alias rows. Commits are serialised
// on the writer connection, so the stored row cannot change between the
// lookup and the write.
func (w *writer) advisories(ctx context.Context, as []codec.Advisory) (store.ImportCounts, error) {
	var counts store.ImportCounts
	if len(as) == 0 {
		return counts, nil
	}
	var stmts [4]*sql.Stmt
	for i, q := range []string{
		`SELECT modified_ns, hash FROM advisories WHERE source = ? AND id = ?`,
		upsertAdvisory,
		`DELETE FROM advisory_aliases WHERE source = ? AND id = ?`,
		insertAliases,
	} {
		st, err := w.tx.PrepareContext(ctx, q)
		if err != nil {
			return counts, err
		}
		defer st.Close()
		stmts[i] = st
	}
	lookup, upsert, delAliases, insAliases := stmts[0], stmts[1], stmts[2], stmts[3]
	for i := range as {
		a := &as[i]
		var (
			modified int64
			hash     string
		)
		err := lookup.QueryRowContext(ctx, a.Source, a.ID).Scan(&modified, &hash)
		found := err == nil
		switch {
		case errors.Is(err, sql.ErrNoRows):
			counts.New++
		case err != nil:
			return counts, fmt.Errorf("%q/%q: %w", a.Source, a.ID, err)
		case a.Modified < modified:
			counts.Stale++
			continue
		case a.Modified == modified && a.Hash == hash:
			counts.Unchanged++
			continue
		default:
			counts.Updated++
		}
		if _, err := upsert.ExecContext(ctx, a.Source, a.ID, a.Aliases, a.Modified, a.Hash, codec.NonNil(a.Doc)); err != nil {
			return counts, fmt.Errorf("%q/%q: %w", a.Source, a.ID, err)
		}
		if found {
			if _, err := delAliases.ExecContext(ctx, a.Source, a.ID); err != nil {
				return counts, fmt.Errorf("%q/%q: aliases: %w", a.Source, a.ID, err)
			}
		}
		if a.Aliases != "[]" {
			if _, err := insAliases.ExecContext(ctx, a.Source, a.ID, a.Aliases); err != nil {
				return counts, fmt.Errorf("%q/%q: aliases: %w", a.Source, a.ID, err)
			}
		}
	}
	return counts, nil
}

// ImportAdvisories upserts advisories in one transaction, as Commit does
// Batch.Advisories, and reports what it did with them.
func (s *Store) ImportAdvisories(ctx context.Context, advisories []store.AdvisoryRecord) (store.ImportCounts, error) {
	counts, err := s.commit(ctx, &store.Batch{Advisories: advisories})
	if err != nil {
		return store.ImportCounts{}, fmt.Errorf("sqlite: import advisories: %w", err)
	}
	return counts, nil
}

// SBOMs returns the SBOMs matching q, without documents, ordered by
// vendor, model and version, never nil.
func (s *Store) SBOMs(ctx context.Context, q store.SBOMQuery) ([]store.SBOMRecord, error) {
	var conds []string
	var args []any
	for _, f := range []struct{ col, v string }{{"vendor", q.Vendor}, {"model", q.Model}, {"version", q.Version}} {
		if f.v != "" {
			conds = append(conds, f.col+` = ?`)
			args = append(args, f.v)
		}
	}
	where := ``
	if len(conds) > 0 {
		where = ` WHERE ` + strings.Join(conds, ` AND `)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+sbomCols+` FROM sboms`+where+` ORDER BY vendor, model, version`, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: sboms: %w", err)
	}
	defer rows.Close()
	out := []store.SBOMRecord{}
	for rows.Next() {
		var r codec.SBOM
		if err := rows.Scan(&r.Vendor, &r.Model, &r.Version, &r.ID, &r.Format, &r.SpecVersion, &r.Name,
			&r.Components, &r.Source, &r.Imported); err != nil {
			return nil, fmt.Errorf("sqlite: sboms: %w", err)
		}
		out = append(out, r.Record())
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: sboms: %w", err)
	}
	return out, nil
}

// SBOM returns the SBOM with the given ID, with its document, or
// store.ErrNotFound.
func (s *Store) SBOM(ctx context.Context, id string) (store.SBOMRecord, error) {
	var r codec.SBOM
	err := s.r.QueryRowContext(ctx, `SELECT `+sbomCols+`, doc FROM sboms WHERE id = ?`, id).Scan(
		&r.Vendor, &r.Model, &r.Version, &r.ID, &r.Format, &r.SpecVersion, &r.Name, &r.Components, &r.Source, &r.Imported, &r.Doc)
	if errors.Is(err, sql.ErrNoRows) {
		return store.SBOMRecord{}, fmt.Errorf("sqlite: sbom %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return store.SBOMRecord{}, fmt.Errorf("sqlite: sbom %q: %w", id, err)
	}
	r.Doc = codec.NonNil(r.Doc)
	return r.Record(), nil
}

// jsonArray encodes the storable strings of ss (see codec.Storable) as a
// JSON array, the parameter json_each reads: a list of any length binds
// as one parameter. Others are left out: JSON would turn invalid UTF-8
// into U+FFFD, which a stored key may hold, and no stored key holds them.
func jsonArray(ss []string) string {
	ok := make([]string, 0, len(ss))
	for _, s := range ss {
		if codec.Storable(s) {
			ok = append(ok, s)
		}
	}
	b, _ := json.Marshal(ok) // strings always encode
	return string(b)
}

// Advisories calls fn for every advisory matching q, ordered by source
// and ID, reading them one row at a time from one statement, which sees
// one snapshot. fn runs while the statement holds a read connection.
func (s *Store) Advisories(ctx context.Context, q store.AdvisoryQuery, fn func(store.AdvisoryRecord) error) error {
	var conds []string
	var args []any
	if q.Source != "" {
		conds = append(conds, `source = ?`)
		args = append(args, q.Source)
	}
	if len(q.IDs) > 0 {
		ids := jsonArray(q.IDs)
		conds = append(conds, `(id IN (SELECT value FROM json_each(?))
			OR (source, id) IN (SELECT source, id FROM advisory_aliases WHERE alias IN (SELECT value FROM json_each(?))))`)
		args = append(args, ids, ids)
	}
	where := ``
	if len(conds) > 0 {
		where = ` WHERE ` + strings.Join(conds, ` AND `)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+advisoryCols+` FROM advisories`+where+` ORDER BY source, id`, args...)
	if err != nil {
		return fmt.Errorf("sqlite: advisories: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a codec.Advisory
		if err := rows.Scan(&a.Source, &a.ID, &a.Aliases, &a.Modified, &a.Hash, &a.Doc); err != nil {
			return fmt.Errorf("sqlite: advisories: %w", err)
		}
		r, err := a.Record()
		if err != nil {
			return fmt.Errorf("sqlite: advisories: %w", err)
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: advisories: %w", err)
	}
	return nil
}

// KEV calls fn for every KEV entry, ordered by CVE, streaming as
// Advisories does.
func (s *Store) KEV(ctx context.Context, fn func(store.KEVRecord) error) error {
	rows, err := s.r.QueryContext(ctx, `SELECT cve, date_added_ns, due_date_ns, ransomware, doc FROM kev ORDER BY cve`)
	if err != nil {
		return fmt.Errorf("sqlite: kev: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k codec.KEV
		if err := rows.Scan(&k.CVE, &k.DateAdded, &k.DueDate, &k.Ransomware, &k.Doc); err != nil {
			return fmt.Errorf("sqlite: kev: %w", err)
		}
		if err := fn(k.Record()); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: kev: %w", err)
	}
	return nil
}

// EPSS returns the scores of cves (of every CVE when cves is empty), by
// CVE, never nil.
func (s *Store) EPSS(ctx context.Context, cves []string) (map[string]store.EPSSRecord, error) {
	query, args := `SELECT cve, score, percentile, date_ns FROM epss`, []any{}
	if len(cves) > 0 {
		query += ` WHERE cve IN (SELECT value FROM json_each(?))`
		args = append(args, jsonArray(cves))
	}
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: epss: %w", err)
	}
	defer rows.Close()
	out := map[string]store.EPSSRecord{}
	for rows.Next() {
		var e codec.EPSS
		if err := rows.Scan(&e.CVE, &e.Score, &e.Percentile, &e.Date); err != nil {
			return nil, fmt.Errorf("sqlite: epss: %w", err)
		}
		out[e.CVE] = e.Record()
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: epss: %w", err)
	}
	return out, nil
}

// VEX calls fn for every statement about vulnerability (every statement
// when it is empty), ordered by source and ID, streaming as Advisories
// does.
func (s *Store) VEX(ctx context.Context, vulnerability string, fn func(store.VEXRecord) error) error {
	query, args := `SELECT id, vulnerability, source, doc FROM vex`, []any{}
	if vulnerability != "" {
		query += ` WHERE vulnerability = ?`
		args = append(args, vulnerability)
	}
	rows, err := s.r.QueryContext(ctx, query+` ORDER BY source, id`, args...)
	if err != nil {
		return fmt.Errorf("sqlite: vex: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var v store.VEXRecord
		if err := rows.Scan(&v.ID, &v.Vulnerability, &v.Source, &v.Doc); err != nil {
			return fmt.Errorf("sqlite: vex: %w", err)
		}
		v.Doc = codec.NonNil(v.Doc)
		if err := fn(v); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: vex: %w", err)
	}
	return nil
}
