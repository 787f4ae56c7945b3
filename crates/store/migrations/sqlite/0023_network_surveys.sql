-- Network surveys (issue #20, seed 002 annexes 2 and 3). A survey asks the places of a zone,
-- each through a personal link (stored as its SHA-256 hash only) sent to the place's referent,
-- or answered on paper and typed in. Answers are JSON (maillage_domain::surveys::Answers); a
-- partner's place answers once per survey (`place_key`, NULL for the public's anonymous
-- answers), and what it would change on the place's entry waits for the structure
-- (`place_update`). The addresses, the referents given and the free texts are erased 30 days
-- after the survey is closed (`purged_at`); the choices, anonymous, stay for the results.
CREATE TABLE surveys (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    scope TEXT NOT NULL,
    created_by TEXT,
    created_at TEXT NOT NULL,
    closes_on TEXT NOT NULL,
    closed_at TEXT,
    purged_at TEXT
);
CREATE TABLE survey_invitations (
    id TEXT PRIMARY KEY,
    survey_id TEXT NOT NULL REFERENCES surveys(id) ON DELETE CASCADE,
    place_id TEXT NOT NULL REFERENCES places(id) ON DELETE CASCADE,
    email TEXT,
    token_hash TEXT UNIQUE,
    sent_at TEXT,
    detail TEXT,
    UNIQUE (survey_id, place_id)
);
CREATE TABLE survey_answers (
    id TEXT PRIMARY KEY,
    survey_id TEXT NOT NULL REFERENCES surveys(id) ON DELETE CASCADE,
    place_id TEXT NOT NULL REFERENCES places(id) ON DELETE CASCADE,
    place_key TEXT UNIQUE,
    source TEXT NOT NULL,
    answers TEXT NOT NULL,
    entered_by TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    place_update TEXT NOT NULL
);
CREATE INDEX survey_answers_survey ON survey_answers(survey_id);
CREATE INDEX survey_answers_place ON survey_answers(place_id);
CREATE TABLE survey_exchanges (
    id TEXT PRIMARY KEY,
    survey_id TEXT NOT NULL REFERENCES surveys(id) ON DELETE CASCADE,
    equipment TEXT NOT NULL,
    need_answer_id TEXT NOT NULL REFERENCES survey_answers(id) ON DELETE CASCADE,
    offer_answer_id TEXT NOT NULL REFERENCES survey_answers(id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    created_by TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (need_answer_id, offer_answer_id, equipment)
);
CREATE INDEX survey_exchanges_survey ON survey_exchanges(survey_id);
