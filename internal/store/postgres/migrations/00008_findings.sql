-- Findings: one row per assessed finding (advisory × component × device),
-- the columns its queries filter and sort on plus doc, the caller's JSON
-- of the whole finding (bytea, stored byte for byte). rank orders the SSVC
-- decision (immediate 3, out-of-cycle 2, scheduled 1, defer 0); state and
-- due_ns are the patch state, changed with its history (and due_ns by an
-- assessment giving one); gone_ns is the zero time (min bigint) while the
-- finding is produced. Text keys use COLLATE "C" (byte order, as Go
-- sorts); times are bigint Unix nanoseconds.

-- +goose Up
CREATE TABLE findings (
    id            text COLLATE "C" NOT NULL PRIMARY KEY,
    device_id     text COLLATE "C" NOT NULL,
    vulnerability text COLLATE "C" NOT NULL,
    component     text COLLATE "C" NOT NULL, -- '' for a device-level finding
    decision      text     NOT NULL,
    rank          smallint NOT NULL,
    suppressed    boolean  NOT NULL,
    cvss          double precision NOT NULL,
    kev           boolean  NOT NULL,
    epss          double precision NOT NULL,
    assessed_ns   bigint   NOT NULL,
    doc           bytea    NOT NULL,
    state         text COLLATE "C" NOT NULL, -- '' until first set
    due_ns        bigint   NOT NULL,
    gone_ns       bigint   NOT NULL
) WITH (fillfactor = 80); -- room for HOT updates: every assessment rewrites its findings

-- The order of Findings, and each filter followed by it.
CREATE INDEX findings_order ON findings (rank DESC, device_id, vulnerability, component, id);
CREATE INDEX findings_device ON findings (device_id, rank DESC, vulnerability, component, id);
CREATE INDEX findings_vulnerability ON findings (vulnerability, rank DESC, device_id, component, id);
CREATE INDEX findings_state ON findings (state, rank DESC, device_id, vulnerability, component, id);

CREATE TABLE finding_history (
    finding_id text COLLATE "C" NOT NULL REFERENCES findings (id) ON DELETE CASCADE,
    seq        bigint NOT NULL, -- order the changes were made in, from 0
    at_ns      bigint NOT NULL,
    from_state text   NOT NULL,
    to_state   text   NOT NULL,
    by_who     text   NOT NULL,
    note       text   NOT NULL,
    PRIMARY KEY (finding_id, seq)
);

-- +goose Down
DROP TABLE finding_history;
DROP TABLE findings;
