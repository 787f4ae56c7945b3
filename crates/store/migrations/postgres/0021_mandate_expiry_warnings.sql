-- Issue #19: a mandate about to end is announced once, by e-mail, to the person (when they gave
-- an e-mail address) and to the structure's habilitated helpers.
ALTER TABLE mandates ADD COLUMN expiry_warned_at TEXT;
