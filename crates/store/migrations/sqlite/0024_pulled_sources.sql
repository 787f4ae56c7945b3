-- Sources pulled on schedule (issue #21): a coordinator registers the address of a file (a
-- regional hub's export, a partner network's), its format and how often; each run is kept
-- with its report and what it changed.
CREATE TABLE pulled_sources (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    url TEXT NOT NULL,
    format TEXT NOT NULL,
    every_hours BIGINT NOT NULL,
    skip_invalid BOOLEAN NOT NULL,
    owner_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    next_run_at TEXT NOT NULL,
    etag TEXT,
    last_modified TEXT
);

CREATE TABLE pull_runs (
    id TEXT PRIMARY KEY,
    source_id TEXT NOT NULL REFERENCES pulled_sources(id) ON DELETE CASCADE,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    outcome TEXT NOT NULL,
    created BIGINT NOT NULL DEFAULT 0,
    updated BIGINT NOT NULL DEFAULT 0,
    unchanged BIGINT NOT NULL DEFAULT 0,
    refused BIGINT NOT NULL DEFAULT 0,
    summary TEXT NOT NULL DEFAULT '',
    changes TEXT NOT NULL DEFAULT '',
    report TEXT NOT NULL DEFAULT ''
);

CREATE INDEX pull_runs_by_source ON pull_runs (source_id, started_at);
