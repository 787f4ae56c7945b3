//! Diagnostics, followed persons (with consent) and drafts of tests taken alone.

use maillage_domain::consent::Purpose;
use maillage_domain::diagnostic::{Answers, Assessment};
use rand::Rng;
use sqlx::Row;

use crate::BeginWrite;
use crate::campaigns::token_hash;
use crate::{Result, Store, corrupt, new_id, now, on_pool};

/// A person followed by an organisation, with their consent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub id: String,
    pub organisation_id: String,
    /// A first name or a pseudonym.
    pub pseudonym: String,
    /// A contact the person chose (phone or e-mail), if any.
    pub contact: Option<String>,
    pub consent_at: String,
    pub consent_by: Option<String>,
    /// The version of the text agreed to (`maillage_domain::consent`), when it was recorded.
    pub consent_version: Option<u32>,
    pub created_at: String,
    /// Erased after this date unless followed again.
    pub keep_until: String,
}

/// What is needed to record a followed person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPerson<'a> {
    pub organisation_id: &'a str,
    pub pseudonym: &'a str,
    pub contact: Option<&'a str>,
    pub consent_by: Option<&'a str>,
    pub keep_until: &'a str,
}

/// A diagnostic to record.
#[derive(Debug, Clone)]
pub struct NewDiagnostic<'a> {
    pub person_id: Option<&'a str>,
    pub previous_id: Option<&'a str>,
    pub organisation_id: Option<&'a str>,
    pub helper_id: Option<&'a str>,
    /// `accompagne` or `seul`.
    pub mode: &'a str,
    pub answers: &'a Answers,
    pub assessment: &'a Assessment,
    pub observations: Option<&'a str>,
    pub age_bracket: Option<&'a str>,
    pub commune: Option<&'a str>,
    pub retest_on: Option<&'a str>,
}

/// A recorded diagnostic.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredDiagnostic {
    pub id: String,
    pub person_id: Option<String>,
    pub previous_id: Option<String>,
    pub organisation_id: Option<String>,
    pub helper_id: Option<String>,
    pub mode: String,
    pub answers: Answers,
    pub assessment: Assessment,
    pub observations: Option<String>,
    pub age_bracket: Option<String>,
    pub commune: Option<String>,
    pub created_at: String,
    pub retest_on: Option<String>,
}

/// A test taken alone, in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub id: String,
    pub questionnaire: String,
    pub version: u32,
    pub answers: Answers,
    pub position: u32,
    pub diagnostic_id: Option<String>,
    pub expires_at: String,
}

/// A resume code people can copy: 8 characters without look-alikes, as `K7M2-QX9P`.
fn new_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    let chars: String = (0..8)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    format!("{}-{}", &chars[..4], &chars[4..])
}

/// A code typed by a person: case, spaces and dashes ignored.
pub fn normalise_code(code: &str) -> String {
    let c: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if c.len() == 8 {
        format!("{}-{}", &c[..4], &c[4..])
    } else {
        c
    }
}

fn decode_diagnostic<R: Row>(row: &R) -> Result<StoredDiagnostic>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let answers: String = row.try_get("answers")?;
    let assessment: String = row.try_get("assessment")?;
    Ok(StoredDiagnostic {
        id: row.try_get("id")?,
        person_id: row.try_get("person_id")?,
        previous_id: row.try_get("previous_id")?,
        organisation_id: row.try_get("organisation_id")?,
        helper_id: row.try_get("helper_id")?,
        mode: row.try_get("mode")?,
        answers: serde_json::from_str(&answers).map_err(corrupt)?,
        assessment: serde_json::from_str(&assessment).map_err(corrupt)?,
        observations: row.try_get("observations")?,
        age_bracket: row.try_get("age_bracket")?,
        commune: row.try_get("commune")?,
        created_at: row.try_get("created_at")?,
        retest_on: row.try_get("retest_on")?,
    })
}

fn decode_person<R: Row>(row: &R) -> Result<Person>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<i64>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    Ok(Person {
        id: row.try_get("id")?,
        organisation_id: row.try_get("organisation_id")?,
        pseudonym: row.try_get("pseudonym")?,
        contact: row.try_get("contact")?,
        consent_at: row.try_get("consent_at")?,
        consent_by: row.try_get("consent_by")?,
        consent_version: row
            .try_get::<Option<i64>, _>("consent_version")?
            .map(u32::try_from)
            .transpose()
            .map_err(corrupt)?,
        created_at: row.try_get("created_at")?,
        keep_until: row.try_get("keep_until")?,
    })
}

fn decode_draft<R: Row>(row: &R) -> Result<Draft>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let answers: String = row.try_get("answers")?;
    let version: i64 = row.try_get("version")?;
    let position: i64 = row.try_get("position")?;
    Ok(Draft {
        id: row.try_get("id")?,
        questionnaire: row.try_get("questionnaire")?,
        version: u32::try_from(version).map_err(corrupt)?,
        answers: serde_json::from_str(&answers).map_err(corrupt)?,
        position: u32::try_from(position).map_err(corrupt)?,
        diagnostic_id: row.try_get("diagnostic_id")?,
        expires_at: row.try_get("expires_at")?,
    })
}

macro_rules! diagnostic_select {
    ($tail:literal) => {
        concat!(
            "SELECT id, person_id, previous_id, organisation_id, helper_id, mode, answers, assessment, observations, age_bracket, commune, created_at, retest_on FROM diagnostics ",
            $tail
        )
    };
}

impl Store {
    /// Records a diagnostic; returns its id.
    pub async fn create_diagnostic(&self, d: &NewDiagnostic<'_>) -> Result<String> {
        let id = new_id();
        let answers = serde_json::to_string(d.answers).map_err(corrupt)?;
        let assessment = serde_json::to_string(d.assessment).map_err(corrupt)?;
        on_pool!(self, pool => {
            sqlx::query("INSERT INTO diagnostics (id, person_id, previous_id, organisation_id, helper_id, mode, questionnaire, version, answers, assessment, level, observations, age_bracket, commune, created_at, retest_on) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)")
                .bind(&id)
                .bind(d.person_id)
                .bind(d.previous_id)
                .bind(d.organisation_id)
                .bind(d.helper_id)
                .bind(d.mode)
                .bind(&d.assessment.questionnaire)
                .bind(i64::from(d.assessment.version))
                .bind(&answers)
                .bind(&assessment)
                .bind(d.assessment.level.slug())
                .bind(d.observations)
                .bind(d.age_bracket)
                .bind(d.commune)
                .bind(now())
                .bind(d.retest_on)
                .execute(pool)
                .await?;
        });
        Ok(id)
    }

    pub async fn diagnostic(&self, id: &str) -> Result<Option<StoredDiagnostic>> {
        on_pool!(self, pool => {
            let row = sqlx::query(diagnostic_select!("WHERE id = $1"))
                .bind(id)
                .fetch_optional(pool)
                .await?;
            row.as_ref().map(decode_diagnostic).transpose()
        })
    }

    /// Diagnostics made by an organisation's helpers, newest first.
    pub async fn diagnostics_of_organisation(
        &self,
        organisation_id: &str,
        limit: i64,
    ) -> Result<Vec<StoredDiagnostic>> {
        on_pool!(self, pool => {
            let rows = sqlx::query(diagnostic_select!("WHERE organisation_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2"))
                .bind(organisation_id)
                .bind(limit)
                .fetch_all(pool)
                .await?;
            rows.iter().map(decode_diagnostic).collect()
        })
    }

    /// Dates a diagnostic in the past (`created_at`, RFC 3339): past records brought in, and
    /// the demo's year.
    pub async fn set_diagnostic_date(&self, id: &str, created_at: &str) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query("UPDATE diagnostics SET created_at = $2 WHERE id = $1")
                .bind(id)
                .bind(created_at)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// A followed person's diagnostics, oldest first.
    pub async fn diagnostics_of_person(&self, person_id: &str) -> Result<Vec<StoredDiagnostic>> {
        on_pool!(self, pool => {
            let rows = sqlx::query(diagnostic_select!("WHERE person_id = $1 ORDER BY created_at, id"))
                .bind(person_id)
                .fetch_all(pool)
                .await?;
            rows.iter().map(decode_diagnostic).collect()
        })
    }

    pub async fn create_person(&self, p: &NewPerson<'_>) -> Result<String> {
        let id = new_id();
        let at = now();
        on_pool!(self, pool => {
            // The text agreed to is the one the forms show today.
            sqlx::query("INSERT INTO persons (id, organisation_id, pseudonym, contact, consent_at, consent_by, created_at, keep_until, consent_version) VALUES ($1, $2, $3, $4, $5, $6, $5, $7, $8)")
                .bind(&id)
                .bind(p.organisation_id)
                .bind(p.pseudonym)
                .bind(p.contact)
                .bind(&at)
                .bind(p.consent_by)
                .bind(p.keep_until)
                .bind(i64::from(Purpose::FollowedPerson.current().version))
                .execute(pool)
                .await?;
        });
        Ok(id)
    }

    pub async fn person(&self, id: &str) -> Result<Option<Person>> {
        on_pool!(self, pool => {
            let row = sqlx::query("SELECT id, organisation_id, pseudonym, contact, consent_at, consent_by, consent_version, created_at, keep_until FROM persons WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?;
            row.as_ref().map(decode_person).transpose()
        })
    }

    /// Persons an organisation follows, by pseudonym.
    pub async fn persons_of(&self, organisation_id: &str) -> Result<Vec<Person>> {
        on_pool!(self, pool => {
            let rows = sqlx::query("SELECT id, organisation_id, pseudonym, contact, consent_at, consent_by, consent_version, created_at, keep_until FROM persons WHERE organisation_id = $1 ORDER BY pseudonym, id")
                .bind(organisation_id)
                .fetch_all(pool)
                .await?;
            rows.iter().map(decode_person).collect()
        })
    }

    /// Keeps a followed person longer (a new diagnostic, a new consent).
    pub async fn extend_person(&self, id: &str, keep_until: &str) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query("UPDATE persons SET keep_until = $2 WHERE id = $1 AND keep_until < $2")
                .bind(id)
                .bind(keep_until)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Erases a person and everything recorded about them (their diagnostics).
    pub async fn delete_person(&self, id: &str) -> Result<bool> {
        self.anonymise_in_activities(&[id.to_string()]).await?;
        // Their mandates go with them (cascade); the journal keeps its lines, without identity.
        self.journal_erasure_of(id).await?;
        on_pool!(self, pool => {
            let done = sqlx::query("DELETE FROM persons WHERE id = $1").bind(id).execute(pool).await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Erases persons kept past their date (with their diagnostics) and expired drafts.
    pub async fn purge_diagnostics(&self, now: &str) -> Result<u64> {
        let leaving = self.persons_past(now).await?;
        self.anonymise_in_activities(&leaving).await?;
        for id in &leaving {
            self.journal_erasure_of(id).await?;
        }
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query("DELETE FROM persons WHERE keep_until < $1")
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM diagnostic_drafts WHERE expires_at < $1")
                .bind(now)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(done.rows_affected())
        })
    }

    /// Starts a test taken alone; returns the draft and the resume code (stored as a hash).
    pub async fn create_draft(
        &self,
        questionnaire: &str,
        version: u32,
        expires_at: &str,
    ) -> Result<(Draft, String)> {
        let id = new_id();
        let code = new_code();
        on_pool!(self, pool => {
            sqlx::query("INSERT INTO diagnostic_drafts (id, code_hash, questionnaire, version, answers, position, updated_at, expires_at) VALUES ($1, $2, $3, $4, '{}', 0, $5, $6)")
                .bind(&id)
                .bind(token_hash(&code))
                .bind(questionnaire)
                .bind(i64::from(version))
                .bind(now())
                .bind(expires_at)
                .execute(pool)
                .await?;
        });
        Ok((
            Draft {
                id,
                questionnaire: questionnaire.to_string(),
                version,
                answers: Answers::new(),
                position: 0,
                diagnostic_id: None,
                expires_at: expires_at.to_string(),
            },
            code,
        ))
    }

    /// The draft of a resume code, if it exists and has not expired at `now`.
    pub async fn draft_by_code(&self, code: &str, now: &str) -> Result<Option<Draft>> {
        let hash = token_hash(&normalise_code(code));
        on_pool!(self, pool => {
            let row = sqlx::query("SELECT id, questionnaire, version, answers, position, diagnostic_id, expires_at FROM diagnostic_drafts WHERE code_hash = $1 AND expires_at >= $2")
                .bind(&hash)
                .bind(now)
                .fetch_optional(pool)
                .await?;
            row.as_ref().map(decode_draft).transpose()
        })
    }

    /// Saves the answers so far and where the person is.
    pub async fn save_draft(&self, id: &str, answers: &Answers, position: u32) -> Result<()> {
        let answers = serde_json::to_string(answers).map_err(corrupt)?;
        on_pool!(self, pool => {
            sqlx::query("UPDATE diagnostic_drafts SET answers = $2, position = $3, updated_at = $4 WHERE id = $1")
                .bind(id)
                .bind(&answers)
                .bind(i64::from(position))
                .bind(now())
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// The draft's result was recorded.
    pub async fn finish_draft(&self, id: &str, diagnostic_id: &str) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query("UPDATE diagnostic_drafts SET diagnostic_id = $2, updated_at = $3 WHERE id = $1")
                .bind(id)
                .bind(diagnostic_id)
                .bind(now())
                .execute(pool)
                .await?;
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_easy_to_copy() {
        let c = new_code();
        assert_eq!(c.len(), 9);
        assert!(!c.contains(['0', 'O', '1', 'I', 'L']));
        assert_eq!(normalise_code(&c.to_lowercase().replace('-', " ")), c);
    }
}

/// A stored questionnaire version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredQuestionnaire {
    pub id: String,
    pub version: u32,
    /// The questionnaire as JSON (reference data).
    pub content: String,
    pub created_at: String,
    pub created_by: Option<String>,
}

impl Store {
    /// Versions of questionnaires adapted by coordinators, oldest first.
    pub async fn stored_questionnaires(&self) -> Result<Vec<StoredQuestionnaire>> {
        on_pool!(self, pool => {
            let rows = sqlx::query("SELECT id, version, content, created_at, created_by FROM questionnaires ORDER BY id, version")
                .fetch_all(pool)
                .await?;
            rows.iter()
                .map(|row| {
                    let version: i64 = row.try_get("version")?;
                    Ok(StoredQuestionnaire {
                        id: row.try_get("id")?,
                        version: u32::try_from(version).map_err(corrupt)?,
                        content: row.try_get("content")?,
                        created_at: row.try_get("created_at")?,
                        created_by: row.try_get("created_by")?,
                    })
                })
                .collect()
        })
    }

    /// Writes a new version; refused (`Conflict`) when that version exists.
    pub async fn save_questionnaire(
        &self,
        id: &str,
        version: u32,
        content: &str,
        by: Option<&str>,
    ) -> Result<()> {
        let exists = self
            .stored_questionnaires()
            .await?
            .iter()
            .any(|q| q.id == id && q.version == version);
        if exists {
            return Err(crate::StoreError::Conflict(format!(
                "la version {version} du questionnaire « {id} » existe déjà"
            )));
        }
        on_pool!(self, pool => {
            sqlx::query("INSERT INTO questionnaires (id, version, content, created_at, created_by) VALUES ($1, $2, $3, $4, $5)")
                .bind(id)
                .bind(i64::from(version))
                .bind(content)
                .bind(now())
                .bind(by)
                .execute(pool)
                .await?;
        });
        Ok(())
    }
}
