package postgres

import (
	"encoding/json"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/vigil-iomt/vigil/internal/alert"
	"github.com/vigil-iomt/vigil/internal/asset"
	"github.com/vigil-iomt/vigil/internal/store"
	"github.com/vigil-iomt/vigil/internal/store/internal/codec"
	"github.com/vigil-iomt/vigil/internal/store/storetest"
)

// TestMigrateFromVersion1 opens a schema written at version 1, when a
// device's document held its addresses and LastSeen: every device reads
// back as it was written, and migrating back down gives the whole
// documents back.
func TestMigrateFromVersion1(t *testing.T) {
	ctx := t.Context()
	schema := tempSchema(t)
	url := withSearchPath(t, dsn(t), schema)
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	db := stdlib.OpenDB(*cfg)
	defer db.Close()
	p, err := newMigrator(db, schema, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 1); err != nil {
		t.Fatal(err)
	}
	devices := storetest.LegacyDevices()
	legacy := map[string]string{}
	addresses := 0
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	for _, d := range devices {
		doc, err := json.Marshal(&d)
		if err != nil {
			t.Fatal(err)
		}
		legacy[d.ID] = string(doc)
		addresses += len(d.IPs)
		if _, err := tx.ExecContext(ctx, `INSERT INTO devices (id, device_key, class, criticality, vendor, first_seen_ns, last_seen_ns, doc)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8::json)`, d.ID, d.Key, d.Class, string(d.Criticality), d.Vendor,
			codec.Nanos(d.FirstSeen), codec.Nanos(d.LastSeen), string(doc)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}

	s, err := Open(ctx, url, Options{})
	if err != nil {
		t.Fatalf("Open of a version 1 schema: %v", err)
	}
	defer s.Close()
	got, err := s.Devices(ctx, store.DeviceQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, devices) {
		for i := range got {
			if i < len(devices) && !reflect.DeepEqual(got[i], devices[i]) {
				t.Fatalf("device %d after migration:\n got %+v\nwant %+v", i, got[i], devices[i])
			}
		}
		t.Fatalf("after migration: got %d devices, want %d", len(got), len(devices))
	}
	var rows int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM device_ips`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != addresses {
		t.Errorf("address rows: got %d, want %d", rows, addresses)
	}
	var doc string
	if err := s.pool.QueryRow(ctx, `SELECT doc FROM devices WHERE id = $1`, devices[0].ID).Scan(&doc); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"ips":[]`, `"last_seen":"0001-01-01T00:00:00Z"`} {
		if !strings.Contains(doc, want) {
			t.Errorf("document after migration %s lacks %s: the columns hold it", doc, want)
		}
	}
	if err := s.Commit(ctx, &store.Batch{Sightings: []store.Sighting{{DeviceID: devices[0].ID, LastSeen: devices[0].LastSeen}}}); err != nil {
		t.Errorf("sighting after migration: %v", err)
	}
	s.Close()

	if _, err := p.DownTo(ctx, 1); err != nil {
		t.Fatalf("migrate down: %v", err)
	}
	for id, want := range legacy {
		var doc string
		if err := db.QueryRowContext(ctx, `SELECT doc FROM devices WHERE id = $1`, id).Scan(&doc); err != nil {
			t.Fatal(err)
		}
		if doc != want {
			t.Fatalf("document of %s after migrating down:\n got %s\nwant %s", id, doc, want)
		}
	}
}

// TestMigrateAlertsFromVersion5 opens a schema written at version 5, when
// an alert's document held its count and times: every alert reads back as
// it was written, its document no longer holds them, it takes sightings,
// and migrating back down gives the documents back, with the sighted
// values.
func TestMigrateAlertsFromVersion5(t *testing.T) {
	ctx := t.Context()
	schema := tempSchema(t)
	url := withSearchPath(t, dsn(t), schema)
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	db := stdlib.OpenDB(*cfg)
	defer db.Close()
	p, err := newMigrator(db, schema, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 5); err != nil {
		t.Fatal(err)
	}
	alerts := storetest.LegacyAlerts()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	for _, a := range alerts {
		if _, err := tx.ExecContext(ctx, `INSERT INTO alerts (id, dedup_key, detector, device_id, severity, status,
			first_seen_ns, last_seen_ns, count, doc) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::json)`, a.ID, a.DedupKey,
			a.Detector, a.DeviceID, int64(a.Severity), string(a.Status), codec.Nanos(a.FirstSeen), codec.Nanos(a.LastSeen), a.Count,
			storetest.LegacyAlertDoc(a)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}

	s, err := Open(ctx, url, Options{})
	if err != nil {
		t.Fatalf("Open of a version 5 schema: %v", err)
	}
	defer s.Close()
	got, err := s.Alerts(ctx, store.AlertQuery{})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]alert.Alert{}
	for _, a := range got {
		byID[a.ID] = a
	}
	if len(got) != len(alerts) {
		t.Fatalf("after migration: got %d alerts, want %d", len(got), len(alerts))
	}
	for _, a := range alerts {
		if !reflect.DeepEqual(byID[a.ID], a) {
			t.Fatalf("alert %s after migration:\n got %+v\nwant %+v", a.ID, byID[a.ID], a)
		}
	}
	var doc string
	if err := s.pool.QueryRow(ctx, `SELECT doc::text FROM alerts WHERE id = $1`, alerts[0].ID).Scan(&doc); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"count"`, `"first_seen"`, `"last_seen"`} {
		if strings.Contains(doc, key) {
			t.Errorf("document after migration %s holds %s: the columns hold it", doc, key)
		}
	}
	i := slices.IndexFunc(alerts, func(a alert.Alert) bool { return strings.HasPrefix(a.DedupKey, "legacy-") })
	sg := store.AlertSighting{ID: alerts[i].ID, Count: 99, FirstSeen: alerts[i].FirstSeen.Add(-time.Minute), LastSeen: alerts[i].LastSeen.Add(time.Hour)}
	if err := s.Commit(ctx, &store.Batch{AlertSightings: []store.AlertSighting{sg}}); err != nil {
		t.Errorf("alert sighting after migration: %v", err)
	}
	alerts[i].Count, alerts[i].FirstSeen, alerts[i].LastSeen = sg.Count, sg.FirstSeen, sg.LastSeen
	s.Close()

	if _, err := p.DownTo(ctx, 5); err != nil {
		t.Fatalf("migrate down: %v", err)
	}
	for _, a := range alerts {
		var doc string
		if err := db.QueryRowContext(ctx, `SELECT doc FROM alerts WHERE id = $1`, a.ID).Scan(&doc); err != nil {
			t.Fatal(err)
		}
		if want := storetest.LegacyAlertDoc(a); doc != want {
			t.Fatalf("document of %s after migrating down:\n got %s\nwant %s", a.ID, doc, want)
		}
	}
}

// TestDeleteLeavesNoAddresses checks what the Store interface cannot see:
// deleting devices deletes their address rows.
func TestDeleteLeavesNoAddresses(t *testing.T) {
	ctx := t.Context()
	s := openTest(t, Options{})
	devices := storetest.Devices(600)
	if err := s.Commit(ctx, &store.Batch{Devices: devices}); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, d := range devices[1:] {
		ids = append(ids, d.ID)
	}
	if err := s.Commit(ctx, &store.Batch{DeleteDevices: ids, Sightings: []store.Sighting{{DeviceID: devices[0].ID,
		IPs: []asset.IPAddress{{IP: "10.9.9.9"}}}}}); err != nil {
		t.Fatal(err)
	}
	var rows int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM device_ips`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if want := len(devices[0].IPs) + 1; rows != want {
		t.Errorf("address rows after deleting all devices but one: got %d, want %d", rows, want)
	}
}
