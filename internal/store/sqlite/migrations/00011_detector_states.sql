-- Detector states: one opaque document per name (the Sigma correlator's
-- open windows), owned and encoded by the package that keeps it, committed
-- with the checkpoint of the input that produced it. A rowid table, not
-- WITHOUT ROWID, since documents can be large.

-- +goose Up
CREATE TABLE detector_states (
    name TEXT NOT NULL PRIMARY KEY,
    doc  BLOB NOT NULL
) STRICT;

-- +goose Down
DROP TABLE detector_states;
