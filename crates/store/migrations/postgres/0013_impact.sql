-- Before/after surveys (issue #7): answered alone through the structure's link, or typed in
-- from paper by a helper. Anonymous: the answers, an optional age bracket and their own words.
CREATE TABLE impact_surveys (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    answered_at TEXT NOT NULL,
    mode TEXT NOT NULL,
    answers TEXT NOT NULL
);
CREATE INDEX impact_surveys_organisation ON impact_surveys(organisation_id, answered_at);
