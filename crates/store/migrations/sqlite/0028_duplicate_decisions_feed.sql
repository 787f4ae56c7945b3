-- Decisions that two places are different join the change feed (issue #22): every instance
-- keeps them in memory to show duplicates once on its pages of results, and reads them again
-- when a line says they changed. The key names the pair (« a_id|b_id »).
CREATE TRIGGER duplicate_decisions_inserted AFTER INSERT ON duplicate_decisions BEGIN
    INSERT INTO changes(topic, key) VALUES ('doublons', NEW.a_id || '|' || NEW.b_id);
END;
CREATE TRIGGER duplicate_decisions_updated AFTER UPDATE ON duplicate_decisions BEGIN
    INSERT INTO changes(topic, key) VALUES ('doublons', NEW.a_id || '|' || NEW.b_id);
END;
CREATE TRIGGER duplicate_decisions_deleted AFTER DELETE ON duplicate_decisions BEGIN
    INSERT INTO changes(topic, key) VALUES ('doublons', OLD.a_id || '|' || OLD.b_id);
END;
