-- Issue #8 (trust). Sessions are kept by the hash of their token, never the token itself: the
-- sessions opened before are dropped (their holders sign in again).
DELETE FROM sessions;
CREATE INDEX sessions_user ON sessions(data);

-- Password resets by e-mail link: the hash of the link's token, for one account, until a date
-- (Unix seconds); used once.
CREATE TABLE password_resets (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    expires_at BIGINT NOT NULL
);
CREATE INDEX password_resets_user ON password_resets(user_id);
