-- The addresses a device held, moved out of its document so that a
-- sighting (a known device seen again) updates a row instead of rewriting
-- the document. Migration 3 (Go, internal/migration) moves the addresses
-- of stored devices here; devices.last_seen_ns becomes the source of truth
-- for LastSeen. ip sorts in BINARY (byte) order, as Go sorts strings.

-- +goose Up
CREATE TABLE device_ips (
    device_id     TEXT    NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    ip            TEXT    NOT NULL,
    first_seen_ns INTEGER NOT NULL,
    last_seen_ns  INTEGER NOT NULL,
    PRIMARY KEY (device_id, ip)
) STRICT, WITHOUT ROWID;

-- +goose Down
DROP TABLE device_ips;
