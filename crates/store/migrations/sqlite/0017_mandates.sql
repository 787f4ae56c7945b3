-- Mandates (issue #19). A mandate binds a followed person and a structure: the démarches it
-- covers, for how long, how the person agreed, the text they read (versioned, kept as signed)
-- and its fingerprint. Only habilitated helpers record and use mandates; each act done on the
-- person's behalf is kept with the mandate. Everything about the person goes with the person
-- (ON DELETE CASCADE from persons); the journal stays.
CREATE TABLE habilitations (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    trained_on TEXT NOT NULL,
    granted_by TEXT,
    granted_at TEXT NOT NULL,
    last_used_at TEXT,
    withdrawn_at TEXT,
    withdrawn_by TEXT
);
CREATE INDEX habilitations_member ON habilitations(organisation_id, user_id);
-- The démarches a structure offers mandates for (none recorded: all of them).
CREATE TABLE mandate_offers (
    organisation_id TEXT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    demarche TEXT NOT NULL,
    PRIMARY KEY (organisation_id, demarche)
);
CREATE TABLE mandates (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    person_id TEXT NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
    person_name TEXT NOT NULL,
    contact TEXT,
    helper_id TEXT,
    consent_mode TEXT NOT NULL,
    consented_at TEXT,
    duration TEXT NOT NULL,
    starts_on TEXT NOT NULL,
    last_day TEXT NOT NULL,
    text_version BIGINT NOT NULL,
    text TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    revoked_at TEXT,
    revoked_by TEXT,
    renewed_from TEXT,
    form_key TEXT UNIQUE,
    created_at TEXT NOT NULL,
    keep_until TEXT NOT NULL
);
CREATE INDEX mandates_organisation ON mandates(organisation_id);
CREATE INDEX mandates_person ON mandates(person_id);
CREATE TABLE mandate_demarches (
    mandate_id TEXT NOT NULL REFERENCES mandates(id) ON DELETE CASCADE,
    demarche TEXT NOT NULL,
    -- Set when a newer mandate of the person takes this démarche over.
    replaced_at TEXT,
    PRIMARY KEY (mandate_id, demarche)
);
CREATE TABLE mandate_acts (
    id TEXT PRIMARY KEY,
    mandate_id TEXT NOT NULL REFERENCES mandates(id) ON DELETE CASCADE,
    demarche TEXT NOT NULL,
    manner TEXT NOT NULL,
    what TEXT NOT NULL,
    helper_id TEXT,
    at TEXT NOT NULL,
    journal_seq BIGINT NOT NULL
);
CREATE INDEX mandate_acts_mandate ON mandate_acts(mandate_id);
-- A person's own link to their mandates (stored as its hash; the single-use consent of a
-- mandate recorded « par lien » is given through it).
CREATE TABLE person_links (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX person_links_person ON person_links(person_id);
-- The journal: append-only and hash-chained (maillage_domain::mandates::line_hash). No identity
-- of the person: an opaque mandate id and the digest of what was done.
CREATE TABLE mandate_journal (
    seq BIGINT PRIMARY KEY,
    at TEXT NOT NULL,
    event TEXT NOT NULL,
    organisation_id TEXT NOT NULL,
    mandate_id TEXT,
    actor_id TEXT,
    demarche TEXT,
    detail_digest TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE
);
CREATE INDEX mandate_journal_mandate ON mandate_journal(mandate_id);
CREATE TRIGGER mandate_journal_no_update BEFORE UPDATE ON mandate_journal
BEGIN
    SELECT RAISE(ABORT, 'le journal des mandats est en ajout seul : aucune ligne ne se modifie');
END;
CREATE TRIGGER mandate_journal_no_delete BEFORE DELETE ON mandate_journal
BEGIN
    SELECT RAISE(ABORT, 'le journal des mandats est en ajout seul : aucune ligne ne s''efface');
END;
