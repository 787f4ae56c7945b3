-- The statistics cube's snapshot (issue #22): an instance restarted over millions of activity
-- records reads it, then the changes logged since `seq` (table activity_changes), instead of
-- every record. Written every hour by one instance when records changed; one row. A derived
-- copy: emptied with the base, never copied by a transfer; an erased person leaves it at the
-- next writing.
CREATE TABLE cube_snapshot (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    format BIGINT NOT NULL,
    taken_at TEXT NOT NULL,
    records BIGINT NOT NULL,
    bytes BYTEA NOT NULL
);
