-- Rubric answers: the medical-device CVSS rubric answered for one
-- vulnerability on one device model (vendor, model, compared exactly as
-- the caller gives them). rubric holds the answers in force, one row per
-- key; rubric_history the records later writes replaced, seq numbering
-- them from 0 in the order they were replaced. answers is a JSON object
-- (keys sorted) of question ID to answer, kept as text: the store compares
-- it, never queries inside it. Text keys use COLLATE "C" (byte order, as
-- Go sorts); times are bigint Unix nanoseconds.

-- +goose Up
CREATE TABLE rubric (
    vulnerability text COLLATE "C" NOT NULL,
    vendor        text COLLATE "C" NOT NULL,
    model         text COLLATE "C" NOT NULL,
    answers       text   NOT NULL,
    by_who        text   NOT NULL,
    at_ns         bigint NOT NULL,
    note          text   NOT NULL,
    PRIMARY KEY (vulnerability, vendor, model)
);

-- Rubrics filtered by device model (the primary key serves the rest).
CREATE INDEX rubric_model ON rubric (vendor, model, vulnerability);

CREATE TABLE rubric_history (
    vulnerability text COLLATE "C" NOT NULL,
    vendor        text COLLATE "C" NOT NULL,
    model         text COLLATE "C" NOT NULL,
    seq           bigint NOT NULL, -- order the records were replaced in, from 0
    answers       text   NOT NULL,
    by_who        text   NOT NULL,
    at_ns         bigint NOT NULL,
    note          text   NOT NULL,
    PRIMARY KEY (vulnerability, vendor, model, seq)
);

-- +goose Down
DROP TABLE rubric_history;
DROP TABLE rubric;
