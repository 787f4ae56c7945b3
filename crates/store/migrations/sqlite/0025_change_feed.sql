-- The change feed (issue #22): every write of a place, of the catalogue of requests or of the
-- resource library leaves a line, written by the database itself in the writing transaction,
-- so that no path of the program can forget it. Each instance reads the lines after the last it
-- applied and updates its search index and caches: on one SQLite base, writes made by another
-- process (a command-line import) reach the server too.
CREATE TABLE changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    topic TEXT NOT NULL,
    key TEXT NOT NULL,
    at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX changes_at ON changes(at);

CREATE TRIGGER places_inserted AFTER INSERT ON places BEGIN
    INSERT INTO changes(topic, key) VALUES ('lieu', NEW.id);
END;
CREATE TRIGGER places_updated AFTER UPDATE ON places BEGIN
    INSERT INTO changes(topic, key) SELECT 'lieu', OLD.id WHERE OLD.id <> NEW.id;
    INSERT INTO changes(topic, key) VALUES ('lieu', NEW.id);
END;
CREATE TRIGGER places_deleted AFTER DELETE ON places BEGIN
    INSERT INTO changes(topic, key) VALUES ('lieu', OLD.id);
END;

CREATE TRIGGER request_catalogue_inserted AFTER INSERT ON request_catalogue BEGIN
    INSERT INTO changes(topic, key) VALUES ('catalogue', NEW.id);
END;
CREATE TRIGGER request_catalogue_updated AFTER UPDATE ON request_catalogue BEGIN
    INSERT INTO changes(topic, key) VALUES ('catalogue', NEW.id);
END;
CREATE TRIGGER request_catalogue_deleted AFTER DELETE ON request_catalogue BEGIN
    INSERT INTO changes(topic, key) VALUES ('catalogue', OLD.id);
END;

CREATE TRIGGER resources_inserted AFTER INSERT ON resources BEGIN
    INSERT INTO changes(topic, key) VALUES ('ressources', NEW.id);
END;
CREATE TRIGGER resources_updated AFTER UPDATE ON resources BEGIN
    INSERT INTO changes(topic, key) VALUES ('ressources', NEW.id);
END;
CREATE TRIGGER resources_deleted AFTER DELETE ON resources BEGIN
    INSERT INTO changes(topic, key) VALUES ('ressources', OLD.id);
END;
