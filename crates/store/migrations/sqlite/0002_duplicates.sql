-- Deduplication decisions (issue #3): pairs marked "not a duplicate", merges with the records
-- they replaced (to undo them), and the provenance of merged records (so that a later import
-- of the same source record finds the place it was merged into).
CREATE TABLE duplicate_decisions (
    a_id TEXT NOT NULL,
    b_id TEXT NOT NULL,
    decision TEXT NOT NULL,
    decided_by TEXT,
    decided_at TEXT NOT NULL,
    PRIMARY KEY (a_id, b_id)
);

CREATE TABLE merges (
    id TEXT PRIMARY KEY,
    kept_id TEXT NOT NULL,
    merged_at TEXT NOT NULL,
    merged_by TEXT,
    -- JSON array of the places rows as they were before the merge.
    records TEXT NOT NULL,
    undone_at TEXT,
    undone_by TEXT
);
CREATE INDEX merges_kept ON merges(kept_id);

CREATE TABLE place_aliases (
    source TEXT NOT NULL,
    source_id TEXT NOT NULL,
    place_id TEXT NOT NULL,
    merge_id TEXT NOT NULL REFERENCES merges(id) ON DELETE CASCADE,
    PRIMARY KEY (source, source_id)
);
