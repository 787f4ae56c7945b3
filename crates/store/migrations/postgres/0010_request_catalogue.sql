-- Catalogue of common requests for orientation (issue #6): reference data a coordinator edits.
-- Each entry is its validated JSON; the title is beside it for ordering.
CREATE TABLE request_catalogue (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    data TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT REFERENCES users(id) ON DELETE SET NULL
);
