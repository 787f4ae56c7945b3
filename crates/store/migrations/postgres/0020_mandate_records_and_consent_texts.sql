-- Issue #19: an activity record of a démarche names the mandate it was done under (an opaque
-- id, set to NULL when the mandate is erased with its person or at the end of its keeping).
ALTER TABLE activities ADD COLUMN mandate_id TEXT;
CREATE INDEX activities_mandate ON activities(mandate_id);
-- Where consent is the legal basis, the version of the text the person agreed to
-- (maillage_domain::consent; NULL for consents given before texts were versioned).
ALTER TABLE persons ADD COLUMN consent_version BIGINT;
ALTER TABLE registrations ADD COLUMN consent_version BIGINT;
ALTER TABLE referrals ADD COLUMN consent_version BIGINT;
