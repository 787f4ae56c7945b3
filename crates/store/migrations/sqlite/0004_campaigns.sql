-- Update campaigns (issue #3). A request asks one place's referent to confirm or correct the
-- page; links are stored as SHA-256 hashes only (the token itself is in the e-mail alone).
-- The address written to is erased 30 days after the campaign is closed (purge on schedule).
CREATE TABLE campaigns (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    scope TEXT NOT NULL,
    created_by TEXT,
    created_at TEXT NOT NULL,
    closed_at TEXT
);
CREATE TABLE campaign_requests (
    id TEXT PRIMARY KEY,
    campaign_id TEXT NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    place_id TEXT NOT NULL REFERENCES places(id) ON DELETE CASCADE,
    email TEXT,
    status TEXT NOT NULL,
    first_sent_at TEXT NOT NULL,
    last_sent_at TEXT NOT NULL,
    reminders INTEGER NOT NULL DEFAULT 0,
    answered_at TEXT,
    detail TEXT
);
CREATE INDEX campaign_requests_campaign ON campaign_requests(campaign_id);
CREATE INDEX campaign_requests_place ON campaign_requests(place_id);
CREATE TABLE campaign_links (
    token_hash TEXT PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES campaign_requests(id) ON DELETE CASCADE,
    expires_at TEXT NOT NULL
);
CREATE INDEX campaign_links_request ON campaign_links(request_id);
