-- Findings: one row per assessed finding (advisory × component × device),
-- the columns its queries filter and sort on plus doc, the caller's JSON
-- of the whole finding (BLOB, stored byte for byte). rank orders the SSVC
-- decision (immediate 3, out-of-cycle 2, scheduled 1, defer 0); state and
-- due_ns are the patch state, changed with its history (and due_ns by an
-- assessment giving one); gone_ns is the zero time (min int64) while the
-- finding is produced. A rowid table, not WITHOUT ROWID: documents can be
-- large. Text sorts in BINARY (byte) order, as Go sorts strings; times
-- are int64 Unix nanoseconds.

-- +goose Up
CREATE TABLE findings (
    id            TEXT    NOT NULL PRIMARY KEY,
    device_id     TEXT    NOT NULL,
    vulnerability TEXT    NOT NULL,
    component     TEXT    NOT NULL, -- '' for a device-level finding
    decision      TEXT    NOT NULL,
    rank          INTEGER NOT NULL,
    suppressed    INTEGER NOT NULL, -- 0 or 1
    cvss          REAL    NOT NULL,
    kev           INTEGER NOT NULL, -- 0 or 1
    epss          REAL    NOT NULL,
    assessed_ns   INTEGER NOT NULL,
    doc           BLOB    NOT NULL,
    state         TEXT    NOT NULL, -- '' until first set
    due_ns        INTEGER NOT NULL,
    gone_ns       INTEGER NOT NULL
) STRICT;

-- The order of Findings, and each filter followed by it.
CREATE INDEX findings_order ON findings (rank DESC, device_id, vulnerability, component, id);
CREATE INDEX findings_device ON findings (device_id, rank DESC, vulnerability, component, id);
CREATE INDEX findings_vulnerability ON findings (vulnerability, rank DESC, device_id, component, id);
CREATE INDEX findings_state ON findings (state, rank DESC, device_id, vulnerability, component, id);

CREATE TABLE finding_history (
    finding_id TEXT    NOT NULL REFERENCES findings (id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL, -- order the changes were made in, from 0
    at_ns      INTEGER NOT NULL,
    from_state TEXT    NOT NULL,
    to_state   TEXT    NOT NULL,
    by_who     TEXT    NOT NULL,
    note       TEXT    NOT NULL,
    PRIMARY KEY (finding_id, seq)
) STRICT, WITHOUT ROWID;

-- +goose Down
DROP TABLE finding_history;
DROP TABLE findings;
