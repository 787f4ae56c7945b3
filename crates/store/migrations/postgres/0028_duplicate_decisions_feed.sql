-- Decisions that two places are different join the change feed (issue #22): every instance
-- keeps them in memory to show duplicates once on its pages of results, and reads them again
-- when a line says they changed. The key names the pair (« a_id|b_id »).
CREATE FUNCTION maillage_decision_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO changes(topic, key) VALUES ('doublons', OLD.a_id || '|' || OLD.b_id);
    ELSE
        INSERT INTO changes(topic, key) VALUES ('doublons', NEW.a_id || '|' || NEW.b_id);
    END IF;
    PERFORM pg_notify('maillage_changes', 'doublons');
    RETURN NULL;
END
$$;

CREATE TRIGGER duplicate_decisions_changed AFTER INSERT OR UPDATE OR DELETE ON duplicate_decisions
    FOR EACH ROW EXECUTE FUNCTION maillage_decision_changed();
