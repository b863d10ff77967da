package postgres

import (
	"encoding/json"
	"log/slog"
	"reflect"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

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
