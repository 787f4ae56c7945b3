-- What the instances of one base share besides the data (issue #22): the counters of the limits
-- (login back-off, e-mail and heavy work per client, resume codes, survey answers) and the long
-- work started from pages (imports, booklets), so that a client cannot get around a limit by
-- reaching another instance, and any instance shows the progress of work running on another.
-- Keys are SHA-256 digests, never an address or an e-mail address in clear; every row is gone
-- within a day (counters) or an hour after the work ended (work). Times are milliseconds since
-- 1970 (UTC).
CREATE TABLE limit_hits (
    counter TEXT NOT NULL,
    key TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX limit_hits_key ON limit_hits(counter, key, at);
CREATE INDEX limit_hits_at ON limit_hits(counter, at);

CREATE TABLE limit_failures (
    counter TEXT NOT NULL,
    key TEXT NOT NULL,
    failures BIGINT NOT NULL,
    last BIGINT NOT NULL,
    PRIMARY KEY (counter, key)
);

CREATE TABLE running_work (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    owner TEXT,
    slot_kind TEXT NOT NULL,
    slot_key TEXT NOT NULL,
    share_key TEXT,
    stage TEXT NOT NULL,
    done BIGINT NOT NULL DEFAULT 0,
    total BIGINT,
    started_at BIGINT NOT NULL,
    beat_at BIGINT NOT NULL,
    stop_requested BIGINT NOT NULL DEFAULT 0,
    outcome TEXT,
    outcome_name TEXT,
    outcome_type TEXT,
    outcome_text TEXT,
    outcome_status BIGINT,
    outcome_bytes BYTEA,
    finished_at BIGINT
);
CREATE INDEX running_work_share ON running_work(share_key);
