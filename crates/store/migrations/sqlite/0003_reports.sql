-- Errors reported on places' pages (issue #3). The reporter's e-mail is optional, kept only to
-- tell them of the correction, and erased 30 days after resolution (purge on schedule).
CREATE TABLE error_reports (
    id TEXT PRIMARY KEY,
    place_id TEXT NOT NULL REFERENCES places(id) ON DELETE CASCADE,
    category TEXT NOT NULL,
    message TEXT NOT NULL,
    reporter_email TEXT,
    created_at TEXT NOT NULL,
    resolved_at TEXT,
    resolved_by TEXT,
    resolution TEXT
);
CREATE INDEX error_reports_place ON error_reports(place_id);
CREATE INDEX error_reports_open ON error_reports(resolved_at);
