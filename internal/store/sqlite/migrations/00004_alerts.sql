-- Alerts. A row holds the columns the queries filter on and doc, the JSON
-- of the occurrence fields (what a detector re-firing replaces); status is
-- triage state, changed only with its history. severity is 1 (info) to 5
-- (critical). Text sorts in BINARY (byte) order, as Go sorts strings.

-- +goose Up
CREATE TABLE alerts (
    id            TEXT    NOT NULL PRIMARY KEY,
    dedup_key     TEXT    NOT NULL UNIQUE,
    detector      TEXT    NOT NULL,
    device_id     TEXT    NOT NULL,
    severity      INTEGER NOT NULL,
    status        TEXT    NOT NULL,
    first_seen_ns INTEGER NOT NULL,
    last_seen_ns  INTEGER NOT NULL,
    count         INTEGER NOT NULL,
    doc           TEXT    NOT NULL -- JSON of the occurrence fields
) STRICT;

CREATE INDEX alerts_last_seen ON alerts (last_seen_ns DESC, id);
CREATE INDEX alerts_device ON alerts (device_id, last_seen_ns DESC, id);
CREATE INDEX alerts_status ON alerts (status, last_seen_ns DESC, id);

CREATE TABLE alert_status_history (
    alert_id    TEXT    NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL, -- order the changes were made in, from 0
    at_ns       INTEGER NOT NULL,
    from_status TEXT    NOT NULL,
    to_status   TEXT    NOT NULL,
    by_who      TEXT    NOT NULL,
    note        TEXT    NOT NULL,
    PRIMARY KEY (alert_id, seq)
) STRICT, WITHOUT ROWID;

-- +goose Down
DROP TABLE alert_status_history;
DROP TABLE alerts;
