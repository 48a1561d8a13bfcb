-- The production batch files that scheduled drift checks took from a batch folder: a file (by its
-- content) is checked once per model, by the check named in check_key (workflow id / run id), so
-- that a retried check takes the same files and the next check only the ones that arrived since.
CREATE TABLE drift_batch_files (
    model_name  VARCHAR(40)   NOT NULL,
    sha256      CHAR(64)      NOT NULL,
    path        VARCHAR(1024) NOT NULL,
    check_key   VARCHAR(512)  NOT NULL,
    taken_at    BIGINT        NOT NULL,
    PRIMARY KEY (model_name, sha256)
);
CREATE INDEX drift_batch_files_by_check ON drift_batch_files (check_key);
