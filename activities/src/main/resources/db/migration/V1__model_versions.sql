-- Model versions promoted by pipeline runs: the registry. Portable SQL: the same migration runs
-- on the embedded H2 database and on PostgreSQL. JSON documents are kept as text.
CREATE TABLE model_versions (
    name          VARCHAR(40)  NOT NULL,
    version       INTEGER      NOT NULL,
    model_id      VARCHAR(255) NOT NULL,
    provider      VARCHAR(100) NOT NULL,
    size          VARCHAR(20),
    metrics_json  TEXT         NOT NULL,
    spec_json     TEXT         NOT NULL,
    dataset_json  TEXT         NOT NULL,
    run_id        VARCHAR(255) NOT NULL,
    approved_by   VARCHAR(255) NOT NULL,
    promoted_at   BIGINT       NOT NULL,
    PRIMARY KEY (name, version),
    CONSTRAINT model_versions_one_per_run UNIQUE (name, run_id)
);
