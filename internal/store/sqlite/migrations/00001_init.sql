-- Vigil store schema, SQLite dialect. Times are int64 Unix nanoseconds
-- (UTC); the zero time.Time is stored as -9223372036854775808.

-- +goose Up
CREATE TABLE devices (
    id            TEXT    NOT NULL PRIMARY KEY,
    device_key    TEXT    NOT NULL UNIQUE,
    class         TEXT    NOT NULL,
    criticality   TEXT    NOT NULL,
    vendor        TEXT    NOT NULL,
    first_seen_ns INTEGER NOT NULL,
    last_seen_ns  INTEGER NOT NULL,
    doc           TEXT    NOT NULL -- JSON of the whole asset.Device
) STRICT;

CREATE INDEX devices_class_id ON devices (class, id);

CREATE TABLE leases (
    mac      TEXT    NOT NULL,
    ip       TEXT    NOT NULL,
    start_ns INTEGER NOT NULL,
    end_ns   INTEGER NOT NULL,
    PRIMARY KEY (mac, ip, start_ns)
) STRICT, WITHOUT ROWID;

CREATE TABLE checkpoints (
    source      TEXT    NOT NULL PRIMARY KEY,
    head_hash   TEXT    NOT NULL,
    head_len    INTEGER NOT NULL,
    byte_offset INTEGER NOT NULL,
    line        INTEGER NOT NULL,
    records     INTEGER NOT NULL,
    rejected    INTEGER NOT NULL,
    updated_ns  INTEGER NOT NULL
) STRICT;

CREATE INDEX checkpoints_head ON checkpoints (head_hash, head_len);

-- +goose Down
DROP TABLE checkpoints;
DROP TABLE leases;
DROP TABLE devices;
