-- Software-risk reference data: SBOMs, advisories (with an alias lookup
-- table), CISA KEV, FIRST EPSS and VEX statements, each an opaque
-- document (BLOB, stored byte for byte) plus the key columns its lookups
-- use. Rowid tables, not WITHOUT ROWID, where documents can be large.
-- Text sorts in BINARY (byte) order, as Go sorts strings; times are int64
-- Unix nanoseconds.

-- +goose Up
CREATE TABLE sboms (
    vendor       TEXT    NOT NULL,
    model        TEXT    NOT NULL,
    version      TEXT    NOT NULL,
    id           TEXT    NOT NULL UNIQUE, -- hex SHA-256 of the imported file
    format       TEXT    NOT NULL,
    spec_version TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    components   INTEGER NOT NULL,
    source       TEXT    NOT NULL,
    imported_ns  INTEGER NOT NULL,
    doc          BLOB    NOT NULL,
    PRIMARY KEY (vendor, model, version)
) STRICT;

CREATE TABLE advisories (
    source      TEXT    NOT NULL,
    id          TEXT    NOT NULL,
    aliases     TEXT    NOT NULL, -- JSON array, sorted, each once
    modified_ns INTEGER NOT NULL,
    hash        TEXT    NOT NULL, -- hex SHA-256 of doc
    doc         BLOB    NOT NULL,
    PRIMARY KEY (source, id)
) STRICT;

CREATE INDEX advisories_id ON advisories (id);

-- One row per alias of an advisory, derived from advisories.aliases, so
-- that an advisory is found by any of them.
CREATE TABLE advisory_aliases (
    source TEXT NOT NULL,
    id     TEXT NOT NULL,
    alias  TEXT NOT NULL,
    PRIMARY KEY (source, id, alias),
    FOREIGN KEY (source, id) REFERENCES advisories (source, id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

CREATE INDEX advisory_aliases_alias ON advisory_aliases (alias);

CREATE TABLE kev (
    cve           TEXT    NOT NULL PRIMARY KEY,
    date_added_ns INTEGER NOT NULL,
    due_date_ns   INTEGER NOT NULL,
    ransomware    INTEGER NOT NULL, -- 0 or 1
    doc           BLOB    NOT NULL
) STRICT;

CREATE TABLE epss (
    cve        TEXT    NOT NULL PRIMARY KEY,
    score      REAL    NOT NULL,
    percentile REAL    NOT NULL,
    date_ns    INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE vex (
    id            TEXT NOT NULL PRIMARY KEY, -- hash of the statement
    vulnerability TEXT NOT NULL,
    source        TEXT NOT NULL,
    doc           BLOB NOT NULL
) STRICT;

CREATE INDEX vex_vulnerability ON vex (vulnerability, source, id);

-- +goose Down
DROP TABLE vex;
DROP TABLE epss;
DROP TABLE kev;
DROP TABLE advisory_aliases;
DROP TABLE advisories;
DROP TABLE sboms;
