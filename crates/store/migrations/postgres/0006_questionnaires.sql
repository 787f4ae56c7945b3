-- Questionnaire versions adapted by a network coordinator (issue #4). Shipped versions live in
-- the code; a stored version never changes once written, so past results keep their meaning.
CREATE TABLE questionnaires (
    id TEXT NOT NULL,
    version BIGINT NOT NULL,
    content TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT,
    PRIMARY KEY (id, version)
);
