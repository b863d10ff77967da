-- Software-risk reference data: SBOMs, advisories (with an alias lookup
-- table), CISA KEV, FIRST EPSS and VEX statements, each an opaque
-- document (bytea, stored byte for byte) plus the key columns its lookups
-- use. Text keys use COLLATE "C" (byte order, as Go sorts); times are
-- bigint Unix nanoseconds.

-- +goose Up
CREATE TABLE sboms (
    vendor       text COLLATE "C" NOT NULL,
    model        text COLLATE "C" NOT NULL,
    version      text COLLATE "C" NOT NULL,
    id           text COLLATE "C" NOT NULL UNIQUE, -- hex SHA-256 of the imported file
    format       text   NOT NULL,
    spec_version text   NOT NULL,
    name         text   NOT NULL,
    components   bigint NOT NULL,
    source       text   NOT NULL,
    imported_ns  bigint NOT NULL,
    doc          bytea  NOT NULL,
    PRIMARY KEY (vendor, model, version)
);

CREATE TABLE advisories (
    source      text COLLATE "C" NOT NULL,
    id          text COLLATE "C" NOT NULL,
    aliases     text   NOT NULL, -- JSON array, sorted, each once
    modified_ns bigint NOT NULL,
    hash        text   NOT NULL, -- hex SHA-256 of doc
    doc         bytea  NOT NULL,
    PRIMARY KEY (source, id)
);

CREATE INDEX advisories_id ON advisories (id);

-- One row per alias of an advisory, derived from advisories.aliases, so
-- that an advisory is found by any of them.
CREATE TABLE advisory_aliases (
    source text COLLATE "C" NOT NULL,
    id     text COLLATE "C" NOT NULL,
    alias  text COLLATE "C" NOT NULL,
    PRIMARY KEY (source, id, alias),
    FOREIGN KEY (source, id) REFERENCES advisories (source, id) ON DELETE CASCADE
);

CREATE INDEX advisory_aliases_alias ON advisory_aliases (alias);

CREATE TABLE kev (
    cve           text COLLATE "C" NOT NULL PRIMARY KEY,
    date_added_ns bigint  NOT NULL,
    due_date_ns   bigint  NOT NULL,
    ransomware    boolean NOT NULL,
    doc           bytea   NOT NULL
);

CREATE TABLE epss (
    cve        text COLLATE "C" NOT NULL PRIMARY KEY,
    score      double precision NOT NULL,
    percentile double precision NOT NULL,
    date_ns    bigint NOT NULL
) WITH (fillfactor = 70); -- room for HOT updates: daily scores rewrite every row

CREATE TABLE vex (
    id            text COLLATE "C" NOT NULL PRIMARY KEY, -- hash of the statement
    vulnerability text COLLATE "C" NOT NULL,
    source        text COLLATE "C" NOT NULL,
    doc           bytea NOT NULL
);

CREATE INDEX vex_vulnerability ON vex (vulnerability, source, id);

-- +goose Down
DROP TABLE vex;
DROP TABLE epss;
DROP TABLE kev;
DROP TABLE advisory_aliases;
DROP TABLE advisories;
DROP TABLE sboms;
