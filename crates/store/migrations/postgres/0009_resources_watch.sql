-- Resource library (issue #5). A resource is its validated JSON with the columns needed to
-- filter, moderate and check its link beside it. Files live in their own table, read only
-- when downloaded.
CREATE TABLE resources (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    status TEXT NOT NULL,
    url TEXT,
    organisation_id TEXT REFERENCES organisations(id) ON DELETE SET NULL,
    proposed_by TEXT REFERENCES users(id) ON DELETE SET NULL,
    data TEXT NOT NULL,
    refusal_reason TEXT,
    file_name TEXT,
    file_mime TEXT,
    file_size BIGINT,
    link_checked_at TEXT,
    link_failures BIGINT NOT NULL DEFAULT 0,
    link_error TEXT,
    seed_key TEXT UNIQUE,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    published_at TEXT
);
CREATE INDEX resources_status ON resources(status);
CREATE TABLE resource_files (
    resource_id TEXT PRIMARY KEY REFERENCES resources(id) ON DELETE CASCADE,
    content BYTEA NOT NULL
);
-- Reference content loaded once into a new network (so that content a coordinator deleted
-- does not come back at the next start).
CREATE TABLE network_seeds (
    name TEXT PRIMARY KEY,
    loaded_at TEXT NOT NULL
);
-- Watch on public platforms (issue #5): news items, helpers' subscriptions, and which item was
-- sent to whom (each item reaches a subscriber once, urgent or in a digest).
CREATE TABLE news_items (
    id TEXT PRIMARY KEY,
    published_at TEXT NOT NULL,
    urgent BOOLEAN NOT NULL,
    platforms TEXT NOT NULL,
    data TEXT NOT NULL,
    author_id TEXT REFERENCES users(id) ON DELETE SET NULL
);
CREATE INDEX news_items_published ON news_items(published_at);
CREATE TABLE watch_subscriptions (
    user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    platforms TEXT NOT NULL,
    frequency TEXT NOT NULL,
    urgent_at_once BOOLEAN NOT NULL,
    next_digest_at TEXT,
    created_at TEXT NOT NULL
);
CREATE TABLE watch_deliveries (
    item_id TEXT NOT NULL REFERENCES news_items(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    sent_at TEXT NOT NULL,
    PRIMARY KEY (item_id, user_id)
);
