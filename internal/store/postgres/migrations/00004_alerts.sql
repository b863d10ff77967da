-- Alerts. A row holds the columns the queries filter on and doc, the JSON
-- of the occurrence fields (what a detector re-firing replaces); status is
-- triage state, changed only with its history. severity is 1 (info) to 5
-- (critical). Text keys use COLLATE "C" (byte order, as Go sorts); doc is
-- json, not jsonb, which rejects \u0000.

-- +goose Up
CREATE TABLE alerts (
    id            text COLLATE "C" NOT NULL PRIMARY KEY,
    dedup_key     text COLLATE "C" NOT NULL UNIQUE,
    detector      text COLLATE "C" NOT NULL,
    device_id     text COLLATE "C" NOT NULL,
    severity      smallint NOT NULL,
    status        text COLLATE "C" NOT NULL,
    first_seen_ns bigint   NOT NULL,
    last_seen_ns  bigint   NOT NULL,
    count         bigint   NOT NULL,
    doc           json     NOT NULL -- JSON of the occurrence fields
) WITH (fillfactor = 70); -- room for HOT updates: re-firing rewrites occurrences

CREATE INDEX alerts_last_seen ON alerts (last_seen_ns DESC, id);
CREATE INDEX alerts_device ON alerts (device_id, last_seen_ns DESC, id);
CREATE INDEX alerts_status ON alerts (status, last_seen_ns DESC, id);

CREATE TABLE alert_status_history (
    alert_id    text COLLATE "C" NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    seq         bigint NOT NULL, -- order the changes were made in, from 0
    at_ns       bigint NOT NULL,
    from_status text   NOT NULL,
    to_status   text   NOT NULL,
    by_who      text   NOT NULL,
    note        text   NOT NULL,
    PRIMARY KEY (alert_id, seq)
);

-- +goose Down
DROP TABLE alert_status_history;
DROP TABLE alerts;
