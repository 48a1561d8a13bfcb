-- What serves each model, and every change to it. Portable SQL, as in V1-V4.

-- One row per model that has been promoted since rollouts exist: the version serving its traffic,
-- and a canary serving canary_share of it while a rollout runs. A model without a row is served by
-- its highest version (as before this table).
CREATE TABLE model_deployments (
    name            VARCHAR(40)      NOT NULL PRIMARY KEY,
    stable_version  INTEGER          NOT NULL,
    canary_version  INTEGER,
    canary_share    DOUBLE PRECISION NOT NULL,
    rollout_key     VARCHAR(300),
    updated_at      BIGINT           NOT NULL
);

-- The audit of every change to what serves, and of every slow eval: who, when, why, the figures.
-- step_key makes a retried step write its row once (a rollout's execution and step; a CLI
-- rollback's own id).
CREATE TABLE deployment_audit (
    step_key      VARCHAR(300)  NOT NULL PRIMARY KEY,
    model_name    VARCHAR(40)   NOT NULL,
    at            BIGINT        NOT NULL,
    action        VARCHAR(40)   NOT NULL,
    from_version  INTEGER,
    to_version    INTEGER,
    canary_share  DOUBLE PRECISION,
    actor         VARCHAR(255)  NOT NULL,
    reason        TEXT,
    figures       TEXT
);
CREATE INDEX deployment_audit_by_model ON deployment_audit (model_name, at);
