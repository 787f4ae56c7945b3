-- The session a registered person was last reminded of (issue #5: reminders before sessions).
ALTER TABLE registrations ADD COLUMN reminded_for TEXT;
