-- The production gateway's records. Portable SQL, as in V1-V3: the same migration runs on H2 and
-- PostgreSQL; times are epoch milliseconds, JSON documents are kept as text.

-- One row per call the gateway forwarded to a provider. input (the request's messages as JSON) and
-- output (the answer's text) are written redacted only: the unredacted text is never stored.
CREATE TABLE traces (
    id                 VARCHAR(64)      NOT NULL PRIMARY KEY,
    created_at         BIGINT           NOT NULL,
    model_name         VARCHAR(40)      NOT NULL,
    model_version      INTEGER          NOT NULL,
    provider_model     VARCHAR(512)     NOT NULL,
    input              TEXT             NOT NULL,
    output             TEXT,
    latency_ms         DOUBLE PRECISION NOT NULL,
    prompt_tokens      BIGINT,
    completion_tokens  BIGINT,
    cost               DOUBLE PRECISION,
    status             VARCHAR(40)      NOT NULL
);
CREATE INDEX traces_by_model ON traces (model_name, model_version, created_at);

-- Feedback on traces, one row per event: a client that sends the same event again (a retry) finds
-- it by event_id. value_text holds a correction's text (redacted) or a side-by-side pick's trace id.
CREATE TABLE feedback (
    event_id    VARCHAR(200) NOT NULL PRIMARY KEY,
    trace_id    VARCHAR(64)  NOT NULL,
    kind        VARCHAR(20)  NOT NULL,
    value_text  TEXT,
    created_at  BIGINT       NOT NULL
);
CREATE INDEX feedback_by_trace ON feedback (trace_id);

-- The gateway's API tokens: only the SHA-256 of a token is kept, never the token itself.
CREATE TABLE api_tokens (
    id            VARCHAR(40)  NOT NULL PRIMARY KEY,
    name          VARCHAR(100) NOT NULL,
    token_sha256  CHAR(64)     NOT NULL,
    created_at    BIGINT       NOT NULL,
    revoked_at    BIGINT,
    CONSTRAINT api_tokens_one_per_hash UNIQUE (token_sha256)
);
