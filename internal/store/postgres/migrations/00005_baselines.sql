-- Per-device behavioural baselines: one opaque document per device, owned
-- and encoded by the package that learns it, stored byte for byte. No
-- foreign key to devices: a baseline may be stored before, or without, its
-- device; Commit deletes the baseline of a device it deletes. device_id
-- uses COLLATE "C": baselines read back in byte order, as Go sorts.

-- +goose Up
CREATE TABLE baselines (
    device_id text COLLATE "C" NOT NULL PRIMARY KEY,
    doc       bytea NOT NULL
);

-- +goose Down
DROP TABLE baselines;
