-- Issue #19: who opened which followed person, diagnostic or mandate (kept a bounded time,
-- MAILLAGE_CONSERVATION_JOURNAL_CONSULTATIONS), and the member of a structure who reads it,
-- its referent for personal data (one per structure, named by a coordinator).
CREATE TABLE access_log (
    id TEXT PRIMARY KEY,
    at TEXT NOT NULL,
    organisation_id TEXT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    user_id TEXT,
    kind TEXT NOT NULL,
    object_id TEXT NOT NULL
);
CREATE INDEX access_log_organisation ON access_log(organisation_id, at);
CREATE TABLE data_referents (
    organisation_id TEXT PRIMARY KEY REFERENCES organisations(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    since TEXT NOT NULL,
    appointed_by TEXT
);
