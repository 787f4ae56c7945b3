-- Issue #10: the requests orientation found no place for. One row per day, request of the
-- catalogue and commune where the person lives or can go: whether the help was missing within
-- reach or from the whole directory, the widest reach asked that day, and how many times it was
-- asked (repeated answers of one day included). No person, no helper: the territory's needs.
CREATE TABLE unmet_requests (
    day TEXT NOT NULL,
    request_id TEXT NOT NULL,
    insee_code TEXT NOT NULL,
    anywhere BIGINT NOT NULL,
    radius_km DOUBLE PRECISION NOT NULL,
    asked BIGINT NOT NULL,
    PRIMARY KEY (day, request_id, insee_code)
);
