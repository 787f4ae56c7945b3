-- Directory foundation: organisations, places, accounts, sessions, imports.
-- Dates are ISO-8601 text on both backends (one SQL text serves SQLite and PostgreSQL).
CREATE TABLE organisations (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    pivot TEXT UNIQUE,
    typologies TEXT NOT NULL DEFAULT '',
    departement TEXT,
    created_at TEXT NOT NULL
);

CREATE TABLE places (
    id TEXT PRIMARY KEY,
    organisation_id TEXT REFERENCES organisations(id) ON DELETE SET NULL,
    source TEXT,
    source_id TEXT,
    name TEXT NOT NULL,
    insee_code TEXT,
    departement TEXT,
    updated_on TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at TEXT NOT NULL,
    modified_at TEXT NOT NULL,
    modified_by TEXT
);
CREATE UNIQUE INDEX places_provenance ON places(source, source_id);
CREATE INDEX places_departement ON places(departement);
CREATE INDEX places_organisation ON places(organisation_id);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    is_admin BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TEXT NOT NULL
);

CREATE TABLE coordinator_territories (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    unit TEXT NOT NULL,
    PRIMARY KEY (user_id, unit)
);

CREATE TABLE memberships (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    organisation_id TEXT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    since TEXT NOT NULL,
    until TEXT,
    PRIMARY KEY (user_id, organisation_id, since)
);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_expiry ON sessions(expires_at);

CREATE TABLE imports (
    id TEXT PRIMARY KEY,
    at TEXT NOT NULL,
    user_id TEXT,
    source TEXT NOT NULL,
    file_name TEXT NOT NULL,
    created BIGINT NOT NULL,
    updated BIGINT NOT NULL,
    unchanged BIGINT NOT NULL,
    rejected BIGINT NOT NULL,
    report TEXT NOT NULL
);
