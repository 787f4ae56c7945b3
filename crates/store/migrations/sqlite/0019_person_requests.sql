-- Issue #19: a person's requests about their data (access, rectification, erasure,
-- portability, objection), answered within one month; the name and contact given go as soon
-- as an erasure is done, the record of what was done stays until keep_until.
CREATE TABLE person_requests (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    person_id TEXT REFERENCES persons(id) ON DELETE SET NULL,
    person_name TEXT,
    contact TEXT,
    received_on TEXT NOT NULL,
    due_on TEXT NOT NULL,
    status TEXT NOT NULL,
    answer TEXT,
    recorded_by TEXT,
    handled_by TEXT,
    answered_at TEXT,
    keep_until TEXT
);
CREATE INDEX person_requests_organisation ON person_requests(organisation_id, status);
