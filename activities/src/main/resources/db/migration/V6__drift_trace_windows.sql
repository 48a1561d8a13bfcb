-- The windows of gateway traces that drift checks with drift.source traces took: one row per check
-- (check_key = workflow id / run id), so that a retried check gets the same window and the same
-- batch file, and the next check of the model starts where the last one ended (MAX(until_ms)).
-- Two checks of a model starting from the same point at once: one of them is refused by the unique
-- constraint and looks again. Portable SQL, as in V1-V4.
CREATE TABLE drift_trace_windows (
    check_key      VARCHAR(512)  NOT NULL PRIMARY KEY,
    model_name     VARCHAR(40)   NOT NULL,
    from_ms        BIGINT        NOT NULL,
    until_ms       BIGINT        NOT NULL,
    traces         INTEGER       NOT NULL,
    labeled        INTEGER       NOT NULL,
    path           VARCHAR(1024),
    summary        VARCHAR(2000) NOT NULL,
    taken_at       BIGINT        NOT NULL,
    CONSTRAINT drift_trace_windows_one_start UNIQUE (model_name, from_ms)
);
