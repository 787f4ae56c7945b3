-- Diagnostics (issue #4). Anonymous by default (an age bracket and a commune at most); a
-- followed person is recorded only with their consent, by the organisation that follows them,
-- with a first name or pseudonym and a contact they choose, until a bounded date.
CREATE TABLE persons (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    pseudonym TEXT NOT NULL,
    contact TEXT,
    consent_at TEXT NOT NULL,
    consent_by TEXT,
    created_at TEXT NOT NULL,
    keep_until TEXT NOT NULL
);
CREATE INDEX persons_organisation ON persons(organisation_id);
CREATE TABLE diagnostics (
    id TEXT PRIMARY KEY,
    person_id TEXT REFERENCES persons(id) ON DELETE CASCADE,
    previous_id TEXT REFERENCES diagnostics(id) ON DELETE SET NULL,
    organisation_id TEXT REFERENCES organisations(id) ON DELETE SET NULL,
    helper_id TEXT,
    mode TEXT NOT NULL,
    questionnaire TEXT NOT NULL,
    version INTEGER NOT NULL,
    answers TEXT NOT NULL,
    assessment TEXT NOT NULL,
    level TEXT NOT NULL,
    observations TEXT,
    age_bracket TEXT,
    commune TEXT,
    created_at TEXT NOT NULL,
    retest_on TEXT
);
CREATE INDEX diagnostics_person ON diagnostics(person_id);
CREATE INDEX diagnostics_organisation ON diagnostics(organisation_id);
-- A test taken alone, stopped and resumed with a code (stored as its hash), without account.
CREATE TABLE diagnostic_drafts (
    id TEXT PRIMARY KEY,
    code_hash TEXT NOT NULL UNIQUE,
    questionnaire TEXT NOT NULL,
    version INTEGER NOT NULL,
    answers TEXT NOT NULL,
    position INTEGER NOT NULL,
    diagnostic_id TEXT REFERENCES diagnostics(id) ON DELETE SET NULL,
    updated_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
