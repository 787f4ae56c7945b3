-- Referrals (issue #6). A journey is a person's path across organisations; its referrals are
-- the hand-offs. The person's data (a first name or pseudonym, the contact they chose) live on
-- the journey, what was shared on each referral; both are erased when consent is withdrawn or
-- when the retention delay after the journey closed has passed (statuses and dates stay, for
-- the network's flows).
CREATE TABLE journeys (
    id TEXT PRIMARY KEY,
    organisation_id TEXT REFERENCES organisations(id) ON DELETE SET NULL,
    person_label TEXT,
    contact TEXT,
    created_at TEXT NOT NULL,
    closed_at TEXT,
    anonymised_at TEXT
);
CREATE TABLE referrals (
    id TEXT PRIMARY KEY,
    journey_id TEXT NOT NULL REFERENCES journeys(id) ON DELETE CASCADE,
    from_organisation_id TEXT REFERENCES organisations(id) ON DELETE SET NULL,
    from_user_id TEXT REFERENCES users(id) ON DELETE SET NULL,
    to_organisation_id TEXT REFERENCES organisations(id) ON DELETE SET NULL,
    to_place_id TEXT,
    to_name TEXT NOT NULL,
    to_email TEXT,
    request_id TEXT,
    request_title TEXT NOT NULL,
    shared TEXT NOT NULL,
    consent TEXT NOT NULL,
    consent_at TEXT,
    status TEXT NOT NULL,
    decline_reason TEXT,
    better_partner TEXT,
    outcome TEXT,
    link_hash TEXT UNIQUE,
    link_purpose TEXT,
    link_expires_at TEXT,
    sent_at TEXT,
    last_message_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    closed_at TEXT
);
CREATE INDEX referrals_to ON referrals(to_organisation_id);
CREATE INDEX referrals_from ON referrals(from_organisation_id);
CREATE INDEX referrals_journey ON referrals(journey_id);
CREATE INDEX referrals_status ON referrals(status);
CREATE TABLE referral_events (
    id TEXT PRIMARY KEY,
    referral_id TEXT NOT NULL REFERENCES referrals(id) ON DELETE CASCADE,
    at TEXT NOT NULL,
    status TEXT NOT NULL,
    actor TEXT NOT NULL,
    detail TEXT
);
CREATE INDEX referral_events_referral ON referral_events(referral_id);
