-- Issue #9: the periodic jobs of the servers. One row per job: when an instance claimed its
-- last run (RFC 3339, UTC), when that run finished, whether it went well and what it did (counts,
-- never personal data). A run is claimed by one instance only per period, so that several
-- instances of one network do the hourly work once.
CREATE TABLE scheduled_jobs (
    job TEXT PRIMARY KEY,
    claimed_at TEXT NOT NULL,
    finished_at TEXT,
    ok BIGINT,
    summary TEXT
);
