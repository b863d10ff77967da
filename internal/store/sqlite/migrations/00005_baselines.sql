-- Per-device behavioural baselines: one opaque document per device, owned
-- and encoded by the package that learns it. No foreign key to devices: a
-- baseline may be stored before, or without, its device; Commit deletes
-- the baseline of a device it deletes. A rowid table, not WITHOUT ROWID,
-- since documents can be large. device_id sorts in BINARY (byte) order, as
-- Go sorts strings.

-- +goose Up
CREATE TABLE baselines (
    device_id TEXT NOT NULL PRIMARY KEY,
    doc       BLOB NOT NULL
) STRICT;

-- +goose Down
DROP TABLE baselines;
