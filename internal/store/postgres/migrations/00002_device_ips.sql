-- The addresses a device held, moved out of its document so that a
-- sighting (a known device seen again) updates a row instead of rewriting
-- the document. Migration 3 (Go, internal/migration) moves the addresses
-- of stored devices here; devices.last_seen_ns becomes the source of truth
-- for LastSeen. ip uses COLLATE "C": addresses read back in byte order.

-- +goose Up
CREATE TABLE device_ips (
    device_id     text COLLATE "C" NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    ip            text COLLATE "C" NOT NULL,
    first_seen_ns bigint NOT NULL,
    last_seen_ns  bigint NOT NULL,
    PRIMARY KEY (device_id, ip)
) WITH (fillfactor = 70); -- room for HOT updates: sightings rewrite the times

-- +goose Down
DROP TABLE device_ips;
