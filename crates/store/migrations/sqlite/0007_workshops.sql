-- Workshops (issue #5). A registration holds the minimum: a first name or pseudonym and a
-- contact the person chose (or none); it is erased 90 days after the workshop's last session.
CREATE TABLE workshops (
    id TEXT PRIMARY KEY,
    organisation_id TEXT REFERENCES organisations(id) ON DELETE CASCADE,
    place_id TEXT REFERENCES places(id) ON DELETE SET NULL,
    title TEXT NOT NULL,
    insee_code TEXT,
    level_required TEXT NOT NULL,
    first_day TEXT NOT NULL,
    last_day TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT
);
CREATE INDEX workshops_first_day ON workshops(first_day);
CREATE INDEX workshops_organisation ON workshops(organisation_id);
CREATE TABLE registrations (
    id TEXT PRIMARY KEY,
    workshop_id TEXT NOT NULL REFERENCES workshops(id) ON DELETE CASCADE,
    pseudonym TEXT NOT NULL,
    contact TEXT,
    status TEXT NOT NULL,
    position INTEGER NOT NULL,
    registered_by TEXT,
    cancel_hash TEXT UNIQUE,
    attended TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX registrations_workshop ON registrations(workshop_id);
