//! Sources pulled on schedule (issue #21): their registration, the claim of a due run (one
//! instance runs it), and the history of runs with their reports.

use sqlx::Row;

use crate::{BeginWrite, Result, Store, new_id, on_pool};

/// A registered source.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PulledSource {
    pub id: String,
    pub name: String,
    pub url: String,
    /// `standard` or `data-inclusion`.
    pub format: String,
    pub every_hours: i64,
    pub skip_invalid: bool,
    pub owner_id: String,
    pub created_at: String,
    pub next_run_at: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// A new source.
#[derive(Debug, Clone)]
pub struct NewSource {
    pub name: String,
    pub url: String,
    pub format: String,
    pub every_hours: i64,
    pub skip_invalid: bool,
    pub owner_id: String,
}

/// One run of a source.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PullRun {
    pub id: String,
    pub source_id: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    /// `en-cours`, `importe`, `inchange`, `refuse` or `erreur`.
    pub outcome: String,
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub refused: i64,
    pub summary: String,
    pub changes: String,
    pub report: String,
}

/// How a run ended.
#[derive(Debug, Clone, Default)]
pub struct RunEnd {
    pub outcome: String,
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub refused: i64,
    pub summary: String,
    pub changes: String,
    pub report: String,
    /// The validators the server gave with the file, for the next conditional request.
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// Runs kept per source (the oldest go).
const RUNS_KEPT: i64 = 50;

const SOURCE_COLUMNS: &str = "id, name, url, format, every_hours, skip_invalid, owner_id, created_at, next_run_at, etag, last_modified";

impl Store {
    /// Registers a source, due at once.
    pub async fn create_source(&self, new: &NewSource, now: &str) -> Result<String> {
        let id = new_id();
        on_pool!(self, pool => {
            sqlx::query("INSERT INTO pulled_sources (id, name, url, format, every_hours, skip_invalid, owner_id, created_at, next_run_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)")
                .bind(&id)
                .bind(&new.name)
                .bind(&new.url)
                .bind(&new.format)
                .bind(new.every_hours)
                .bind(new.skip_invalid)
                .bind(&new.owner_id)
                .bind(now)
                .execute(pool)
                .await?;
        });
        Ok(id)
    }

    /// Every source, by name.
    pub async fn sources(&self) -> Result<Vec<PulledSource>> {
        let sql = format!("SELECT {SOURCE_COLUMNS} FROM pulled_sources ORDER BY name, id");
        Ok(on_pool!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await?))
    }

    pub async fn source(&self, id: &str) -> Result<Option<PulledSource>> {
        let sql = format!("SELECT {SOURCE_COLUMNS} FROM pulled_sources WHERE id = $1");
        Ok(
            on_pool!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await?),
        )
    }

    pub async fn delete_source(&self, id: &str) -> Result<bool> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("DELETE FROM pull_runs WHERE source_id = $1").bind(id).execute(&mut *tx).await?;
            let n = sqlx::query("DELETE FROM pulled_sources WHERE id = $1").bind(id).execute(&mut *tx).await?.rows_affected();
            tx.commit().await?;
            Ok(n > 0)
        })
    }

    /// Claims a due source for one run: its next run is put off to `next` in the same
    /// statement, so that two instances never run it both; the run is opened. `None` when
    /// another instance took it (or it is not due).
    pub async fn claim_source(&self, id: &str, now: &str, next: &str) -> Result<Option<String>> {
        let run = new_id();
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let n = sqlx::query("UPDATE pulled_sources SET next_run_at = $1 WHERE id = $2 AND next_run_at <= $3")
                .bind(next)
                .bind(id)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n == 0 {
                return Ok(None);
            }
            sqlx::query("INSERT INTO pull_runs (id, source_id, started_at, outcome) VALUES ($1, $2, $3, 'en-cours')")
                .bind(&run)
                .bind(id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(Some(run))
        })
    }

    /// Makes a source due now (« lancer maintenant »).
    pub async fn make_source_due(&self, id: &str, now: &str) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query("UPDATE pulled_sources SET next_run_at = $1 WHERE id = $2").bind(now).bind(id).execute(pool).await?;
        });
        Ok(())
    }

    /// Closes a run with its outcome; keeps the server's validators for the next request, and
    /// the source's last runs only.
    pub async fn finish_run(
        &self,
        source_id: &str,
        run: &str,
        now: &str,
        end: &RunEnd,
    ) -> Result<()> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("UPDATE pull_runs SET finished_at = $1, outcome = $2, created = $3, updated = $4, unchanged = $5, refused = $6, summary = $7, changes = $8, report = $9 WHERE id = $10")
                .bind(now)
                .bind(&end.outcome)
                .bind(end.created)
                .bind(end.updated)
                .bind(end.unchanged)
                .bind(end.refused)
                .bind(&end.summary)
                .bind(&end.changes)
                .bind(&end.report)
                .bind(run)
                .execute(&mut *tx)
                .await?;
            if end.etag.is_some() || end.last_modified.is_some() {
                sqlx::query("UPDATE pulled_sources SET etag = $1, last_modified = $2 WHERE id = $3")
                    .bind(&end.etag)
                    .bind(&end.last_modified)
                    .bind(source_id)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query("DELETE FROM pull_runs WHERE source_id = $1 AND id NOT IN (SELECT id FROM pull_runs WHERE source_id = $1 ORDER BY started_at DESC, id DESC LIMIT $2)")
                .bind(source_id)
                .bind(RUNS_KEPT)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// A source's runs, the latest first.
    pub async fn runs_of(&self, source_id: &str, limit: i64) -> Result<Vec<PullRun>> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as("SELECT id, source_id, started_at, finished_at, outcome, created, updated, unchanged, refused, summary, changes, report FROM pull_runs WHERE source_id = $1 ORDER BY started_at DESC, id DESC LIMIT $2")
                .bind(source_id)
                .bind(limit)
                .fetch_all(pool)
                .await?
        }))
    }

    /// The places a source brought, by their identifier in it, with their names (to say which
    /// of them a new version of its file no longer has).
    pub async fn places_from_source(&self, source: &str) -> Result<Vec<(String, String, String)>> {
        on_pool!(self, pool => {
            let rows = sqlx::query("SELECT source_id, data FROM places WHERE source = $1 ORDER BY source_id")
                .bind(source)
                .fetch_all(pool)
                .await?;
            let mut out = Vec::new();
            for row in rows {
                let source_id: Option<String> = row.try_get("source_id")?;
                let data: String = row.try_get("data")?;
                let place: maillage_domain::Place = serde_json::from_str(&data).map_err(crate::corrupt)?;
                if let Some(id) = source_id {
                    out.push((id, place.name, place.commune));
                }
            }
            Ok(out)
        })
    }
}
