-- The change feed (issue #22): every write of a place, of the catalogue of requests or of the
-- resource library leaves a line, written by the database itself in the writing transaction,
-- and wakes the other instances (NOTIFY, sent at commit). The lines are the source of truth: an
-- instance that missed a notification catches up from the last line it applied. Each line
-- carries its transaction's id, so that a reader takes lines in an order no later commit can
-- slip before (lines of transactions older than every running one).
CREATE TABLE changes (
    seq BIGSERIAL PRIMARY KEY,
    txid XID8 NOT NULL DEFAULT pg_current_xact_id(),
    topic TEXT NOT NULL,
    key TEXT NOT NULL,
    at TEXT NOT NULL DEFAULT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
);
CREATE INDEX changes_order ON changes(txid, seq);
CREATE INDEX changes_at ON changes(at);

CREATE FUNCTION maillage_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO changes(topic, key) VALUES (TG_ARGV[0], OLD.id);
    ELSE
        IF TG_OP = 'UPDATE' AND OLD.id <> NEW.id THEN
            INSERT INTO changes(topic, key) VALUES (TG_ARGV[0], OLD.id);
        END IF;
        INSERT INTO changes(topic, key) VALUES (TG_ARGV[0], NEW.id);
    END IF;
    PERFORM pg_notify('maillage_changes', TG_ARGV[0]);
    RETURN NULL;
END
$$;

CREATE TRIGGER places_changed AFTER INSERT OR UPDATE OR DELETE ON places
    FOR EACH ROW EXECUTE FUNCTION maillage_changed('lieu');
CREATE TRIGGER request_catalogue_changed AFTER INSERT OR UPDATE OR DELETE ON request_catalogue
    FOR EACH ROW EXECUTE FUNCTION maillage_changed('catalogue');
CREATE TRIGGER resources_changed AFTER INSERT OR UPDATE OR DELETE ON resources
    FOR EACH ROW EXECUTE FUNCTION maillage_changed('ressources');
