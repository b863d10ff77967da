-- Alert documents move to a table of their own. SQLite stores a row's
-- columns together, so updating an alert's count and times (an alert
-- sighting) rewrote its document, with the pages holding it; with the
-- document apart, a sighting writes the narrow alerts row and its indexes
-- only (BenchmarkCommitAlerts: ~1.7x faster). PostgreSQL needs no such
-- table: TOAST keeps a large document out of the updated tuple. A rowid
-- table, not WITHOUT ROWID, since documents can be large.

-- +goose Up
CREATE TABLE alert_docs (
    alert_id TEXT NOT NULL PRIMARY KEY REFERENCES alerts (id) ON DELETE CASCADE,
    doc      TEXT NOT NULL -- JSON of the occurrence fields but count and times
) STRICT;

INSERT INTO alert_docs (alert_id, doc) SELECT id, doc FROM alerts;
ALTER TABLE alerts DROP COLUMN doc;

-- +goose Down
ALTER TABLE alerts ADD COLUMN doc TEXT NOT NULL DEFAULT '';
UPDATE alerts SET doc = (SELECT d.doc FROM alert_docs d WHERE d.alert_id = alerts.id);
DROP TABLE alert_docs;
