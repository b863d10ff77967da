// Package migration holds the data migrations the SQL backends share, as
// goose Go migrations: schema changes live in each backend's migrations/
// SQL files, and a migration that must rewrite stored values with the
// codec lives here, written once for both dialects.
//
// It talks to the database only through the transaction goose hands a
// migration, and must not know of any schema version but its own.
package migration

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/pressly/goose/v3"

	"github.com/vigil-iomt/vigil/internal/store/internal/codec"
)

// Dialect is how a backend's SQL differs from SQLite's.
type Dialect struct {
	// Numbered placeholders ($1, $2…) instead of ?.
	Numbered bool
	// DocType, when set, is cast to on writing a document ("json").
	DocType string
}

func (d Dialect) sql(query string) string {
	if d.DocType != "" {
		query = strings.ReplaceAll(query, "?doc", "?::"+d.DocType)
	} else {
		query = strings.ReplaceAll(query, "?doc", "?")
	}
	if !d.Numbered {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// pageSize is how many devices or alerts a migration rewrites at a time.
const pageSize = 1000

// DeviceIPs returns migration 3: moves every device's addresses from its
// document into the device_ips table that migration 2 creates, and its
// LastSeen out of the document (its last_seen_ns column already holds it);
// down puts them back.
func DeviceIPs(d Dialect) *goose.Migration {
	return goose.NewGoMigration(3,
		&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error { return split(ctx, tx, d) }},
		&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error { return join(ctx, tx, d) }},
	)
}

// page returns up to pageSize devices with an ID after after, by ID.
func page(ctx context.Context, tx *sql.Tx, d Dialect, after string) ([]codec.StoredDevice, error) {
	rows, err := tx.QueryContext(ctx, d.sql(`SELECT id, last_seen_ns, doc FROM devices WHERE id > ? ORDER BY id LIMIT ?`), after, pageSize)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []codec.StoredDevice
	for rows.Next() {
		var s codec.StoredDevice
		if err := rows.Scan(&s.ID, &s.LastSeen, &s.Doc); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func split(ctx context.Context, tx *sql.Tx, d Dialect) error {
	upd, err := tx.PrepareContext(ctx, d.sql(`UPDATE devices SET doc = ?doc WHERE id = ?`))
	if err != nil {
		return fmt.Errorf("move addresses out of documents: %w", err)
	}
	defer upd.Close()
	ins, err := tx.PrepareContext(ctx, d.sql(`INSERT INTO device_ips (device_id, ip, first_seen_ns, last_seen_ns) VALUES (?, ?, ?, ?)`))
	if err != nil {
		return fmt.Errorf("move addresses out of documents: %w", err)
	}
	defer ins.Close()
	for after := ""; ; {
		devs, err := page(ctx, tx, d, after)
		if err != nil {
			return fmt.Errorf("move addresses out of documents: %w", err)
		}
		if len(devs) == 0 {
			return nil
		}
		for _, dev := range devs {
			doc, ips, err := codec.SplitLegacyDoc(dev.ID, dev.Doc)
			if err != nil {
				return fmt.Errorf("move addresses out of document of device %q: %w", dev.ID, err)
			}
			if _, err := upd.ExecContext(ctx, doc, dev.ID); err != nil {
				return fmt.Errorf("move addresses out of document of device %q: %w", dev.ID, err)
			}
			for _, r := range ips {
				if _, err := ins.ExecContext(ctx, r.DeviceID, r.IP, r.FirstSeen, r.LastSeen); err != nil {
					return fmt.Errorf("move addresses out of document of device %q: %w", dev.ID, err)
				}
			}
		}
		after = devs[len(devs)-1].ID
	}
}

func join(ctx context.Context, tx *sql.Tx, d Dialect) error {
	upd, err := tx.PrepareContext(ctx, d.sql(`UPDATE devices SET doc = ?doc WHERE id = ?`))
	if err != nil {
		return fmt.Errorf("move addresses into documents: %w", err)
	}
	defer upd.Close()
	for after := ""; ; {
		devs, err := page(ctx, tx, d, after)
		if err != nil {
			return fmt.Errorf("move addresses into documents: %w", err)
		}
		if len(devs) == 0 {
			return nil
		}
		last := devs[len(devs)-1].ID
		ips, err := pageIPs(ctx, tx, d, after, last)
		if err != nil {
			return fmt.Errorf("move addresses into documents: %w", err)
		}
		for _, dev := range devs {
			var mine []codec.IP
			for len(ips) > 0 && ips[0].DeviceID < dev.ID {
				ips = ips[1:]
			}
			for len(ips) > 0 && ips[0].DeviceID == dev.ID {
				mine, ips = append(mine, ips[0]), ips[1:]
			}
			doc, err := codec.JoinLegacyDoc(dev, mine)
			if err != nil {
				return fmt.Errorf("move addresses into document of device %q: %w", dev.ID, err)
			}
			if _, err := upd.ExecContext(ctx, doc, dev.ID); err != nil {
				return fmt.Errorf("move addresses into document of device %q: %w", dev.ID, err)
			}
		}
		after = last
	}
}

// pageIPs returns the address rows of the devices with an ID in (after, last].
func pageIPs(ctx context.Context, tx *sql.Tx, d Dialect, after, last string) ([]codec.IP, error) {
	rows, err := tx.QueryContext(ctx, d.sql(`SELECT device_id, ip, first_seen_ns, last_seen_ns FROM device_ips
		WHERE device_id > ? AND device_id <= ? ORDER BY device_id, ip`), after, last)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []codec.IP
	for rows.Next() {
		var r codec.IP
		if err := rows.Scan(&r.DeviceID, &r.IP, &r.FirstSeen, &r.LastSeen); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// AlertOccurrences returns migration 6: moves every alert's Count,
// FirstSeen and LastSeen out of its document, which its count,
// first_seen_ns and last_seen_ns columns already hold, so that an alert
// sighting updates the columns alone; down puts them back from the columns.
func AlertOccurrences(d Dialect) *goose.Migration {
	return goose.NewGoMigration(6,
		&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
			return rewriteAlerts(ctx, tx, d, "move counts and times out of alert documents", func(a codec.StoredAlert) (string, error) {
				return codec.SplitLegacyAlertDoc(a.Doc)
			})
		}},
		&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
			return rewriteAlerts(ctx, tx, d, "move counts and times into alert documents", codec.JoinLegacyAlertDoc)
		}},
	)
}

// rewriteAlerts replaces the document of every alert with what doc returns
// for it, a page of alerts at a time; what says what it does, for errors.
func rewriteAlerts(ctx context.Context, tx *sql.Tx, d Dialect, what string, doc func(codec.StoredAlert) (string, error)) error {
	upd, err := tx.PrepareContext(ctx, d.sql(`UPDATE alerts SET doc = ?doc WHERE id = ?`))
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer upd.Close()
	for after := ""; ; {
		as, err := alertPage(ctx, tx, d, after)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if len(as) == 0 {
			return nil
		}
		for _, a := range as {
			out, err := doc(a)
			if err != nil {
				return fmt.Errorf("%s: alert %q: %w", what, a.ID, err)
			}
			if _, err := upd.ExecContext(ctx, out, a.ID); err != nil {
				return fmt.Errorf("%s: alert %q: %w", what, a.ID, err)
			}
		}
		after = as[len(as)-1].ID
	}
}

// alertPage returns up to pageSize alerts with an ID after after, by ID.
func alertPage(ctx context.Context, tx *sql.Tx, d Dialect, after string) ([]codec.StoredAlert, error) {
	rows, err := tx.QueryContext(ctx, d.sql(`SELECT id, count, first_seen_ns, last_seen_ns, doc FROM alerts
		WHERE id > ? ORDER BY id LIMIT ?`), after, pageSize)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []codec.StoredAlert
	for rows.Next() {
		var a codec.StoredAlert
		if err := rows.Scan(&a.ID, &a.Count, &a.FirstSeen, &a.LastSeen, &a.Doc); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}
