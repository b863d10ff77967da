-- Detector states: one opaque document per name (the Sigma correlator's
-- open windows), owned and encoded by the package that keeps it, stored
-- byte for byte, committed with the checkpoint of the input that produced
-- it. name uses COLLATE "C", byte order, as Go sorts.

-- +goose Up
CREATE TABLE detector_states (
    name text COLLATE "C" NOT NULL PRIMARY KEY,
    doc  bytea NOT NULL
);

-- +goose Down
DROP TABLE detector_states;
