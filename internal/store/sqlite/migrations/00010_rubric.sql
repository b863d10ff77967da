-- Rubric answers: the medical-device CVSS rubric answered for one
-- vulnerability on one device model (vendor, model, compared exactly as
-- the caller gives them). rubric holds the answers in force, one row per
-- key; rubric_history the records later writes replaced, seq numbering
-- them from 0 in the order they were replaced. answers is a JSON object
-- (keys sorted) of question ID to answer. Text sorts in BINARY (byte)
-- order, as Go sorts strings; times are int64 Unix nanoseconds.

-- +goose Up
CREATE TABLE rubric (
    vulnerability TEXT    NOT NULL,
    vendor        TEXT    NOT NULL,
    model         TEXT    NOT NULL,
    answers       TEXT    NOT NULL,
    by_who        TEXT    NOT NULL,
    at_ns         INTEGER NOT NULL,
    note          TEXT    NOT NULL,
    PRIMARY KEY (vulnerability, vendor, model)
) STRICT, WITHOUT ROWID;

-- Rubrics filtered by device model (the primary key serves the rest).
CREATE INDEX rubric_model ON rubric (vendor, model, vulnerability);

CREATE TABLE rubric_history (
    vulnerability TEXT    NOT NULL,
    vendor        TEXT    NOT NULL,
    model         TEXT    NOT NULL,
    seq           INTEGER NOT NULL, -- order the records were replaced in, from 0
    answers       TEXT    NOT NULL,
    by_who        TEXT    NOT NULL,
    at_ns         INTEGER NOT NULL,
    note          TEXT    NOT NULL,
    PRIMARY KEY (vulnerability, vendor, model, seq)
) STRICT, WITHOUT ROWID;

-- +goose Down
DROP TABLE rubric_history;
DROP TABLE rubric;
