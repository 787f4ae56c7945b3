-- Activity records (issue #7). A record is kept as its JSON form (without the followed persons
-- and without the private notes) with the columns needed to select and order it. Followed
-- persons are linked through `activity_persons`; when a person is erased, their activities keep
-- them as an anonymous participant (with the age bracket, gender and status at most), so the
-- figures do not change.
ALTER TABLE persons ADD COLUMN age_bracket TEXT;
ALTER TABLE persons ADD COLUMN gender TEXT;
ALTER TABLE persons ADD COLUMN social_status TEXT;
ALTER TABLE persons ADD COLUMN insee_code TEXT;
CREATE TABLE activities (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    helper_id TEXT REFERENCES users(id) ON DELETE SET NULL,
    kind TEXT NOT NULL,
    day TEXT NOT NULL,
    data TEXT NOT NULL,
    notes TEXT,
    workshop_id TEXT REFERENCES workshops(id) ON DELETE SET NULL,
    session_start TEXT,
    referral_id TEXT REFERENCES referrals(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX activities_organisation_day ON activities(organisation_id, day);
CREATE INDEX activities_helper ON activities(helper_id);
CREATE UNIQUE INDEX activities_session ON activities(workshop_id, session_start);
CREATE TABLE activity_persons (
    activity_id TEXT NOT NULL REFERENCES activities(id) ON DELETE CASCADE,
    person_id TEXT NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
    PRIMARY KEY (activity_id, person_id)
);
CREATE INDEX activity_persons_person ON activity_persons(person_id);
-- Links given out by an organisation: public statistics, the before/after survey.
CREATE TABLE share_links (
    token_hash TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    purpose TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX share_links_organisation ON share_links(organisation_id, purpose);
-- What changed, in order, so that each running instance brings its statistics cube up to date
-- (`activite`: a record; `personne`: a followed person's profile; `orientation`: a referral's
-- status). Entries older than a day are purged: an instance started later loads everything.
CREATE TABLE activity_changes (
    seq BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL,
    ref_id TEXT NOT NULL,
    at TEXT NOT NULL
);
