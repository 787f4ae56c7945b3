//! Before/after surveys and what progression needs from records (issue #7).

use maillage_domain::impact::SurveyAnswer;
use sqlx::Row;

use crate::{Result, Store, corrupt, new_id, now, on_pool};

fn placeholders(from: usize, n: usize) -> String {
    (0..n)
        .map(|i| format!("${}", from + i))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Store {
    /// Records an answer (`seul`: by the person through the link; `saisi`: typed from paper).
    pub async fn insert_survey(
        &self,
        organisation_id: &str,
        mode: &str,
        answer: &SurveyAnswer,
    ) -> Result<String> {
        let id = new_id();
        let answers = serde_json::to_string(answer).map_err(corrupt)?;
        on_pool!(self, pool => {
            sqlx::query("INSERT INTO impact_surveys (id, organisation_id, answered_at, mode, answers) VALUES ($1, $2, $3, $4, $5)")
                .bind(&id)
                .bind(organisation_id)
                .bind(now())
                .bind(mode)
                .bind(&answers)
                .execute(pool)
                .await?;
        });
        Ok(id)
    }

    /// Answers of structures between two days (inclusive, `YYYY-MM-DD`).
    pub async fn surveys_of(
        &self,
        organisation_ids: &[String],
        from: &str,
        to: &str,
    ) -> Result<Vec<SurveyAnswer>> {
        if organisation_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT answers FROM impact_surveys WHERE answered_at >= $1 AND answered_at < $2 AND organisation_id IN ({})",
            placeholders(3, organisation_ids.len())
        );
        let to_exclusive = format!("{to}~");
        on_pool!(self, pool => {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone())).bind(from).bind(&to_exclusive);
            for o in organisation_ids {
                q = q.bind(o);
            }
            let rows = q.fetch_all(pool).await?;
            rows.iter()
                .map(|r| {
                    let a: String = r.try_get("answers")?;
                    serde_json::from_str(&a).map_err(corrupt)
                })
                .collect()
        })
    }

    /// (person, day, kind) of every record with a followed person of these structures.
    pub async fn person_activity_days(
        &self,
        organisation_ids: &[String],
    ) -> Result<Vec<(String, String, String)>> {
        if organisation_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT p.person_id, a.day, a.kind FROM activity_persons p JOIN activities a ON a.id = p.activity_id WHERE a.organisation_id IN ({}) ORDER BY p.person_id, a.day",
            placeholders(1, organisation_ids.len())
        );
        on_pool!(self, pool => {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
            for o in organisation_ids {
                q = q.bind(o);
            }
            let rows = q.fetch_all(pool).await?;
            rows.iter()
                .map(|r| Ok((r.try_get("person_id")?, r.try_get("day")?, r.try_get("kind")?)))
                .collect()
        })
    }

    /// Structures that recorded at least one diagnostic between two days.
    pub async fn organisations_with_diagnostics(
        &self,
        from: &str,
        to: &str,
    ) -> Result<Vec<String>> {
        on_pool!(self, pool => {
            let rows = sqlx::query("SELECT DISTINCT organisation_id FROM diagnostics WHERE organisation_id IS NOT NULL AND created_at >= $1 AND created_at < $2")
                .bind(from)
                .bind(format!("{to}~"))
                .fetch_all(pool)
                .await?;
            rows.iter().map(|r| Ok(r.try_get("organisation_id")?)).collect()
        })
    }

    /// Structures that sent at least one referral between two days.
    pub async fn organisations_with_referrals(&self, from: &str, to: &str) -> Result<Vec<String>> {
        on_pool!(self, pool => {
            let rows = sqlx::query("SELECT DISTINCT from_organisation_id FROM referrals WHERE from_organisation_id IS NOT NULL AND created_at >= $1 AND created_at < $2")
                .bind(from)
                .bind(format!("{to}~"))
                .fetch_all(pool)
                .await?;
            rows.iter().map(|r| Ok(r.try_get("from_organisation_id")?)).collect()
        })
    }
}
