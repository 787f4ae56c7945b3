//! The periodic jobs' runs: claimed by one instance per period, then their outcome recorded.
//! Times are RFC 3339 texts in UTC (`2026-12-04T05:00:00Z`), which compare as they sort.

use sqlx::Row;

use crate::{Result, Store, on_pool};

/// The last run of a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRun {
    pub job: String,
    pub claimed_at: String,
    /// `None` while it runs (or if the instance stopped during it).
    pub finished_at: Option<String>,
    pub ok: Option<bool>,
    /// What it did, in French: counts, never personal data.
    pub summary: Option<String>,
}

impl Store {
    /// Claims the run of `job` at `now` unless one was claimed after `not_since`: true for the
    /// one caller that gets it, whichever instance of the network it runs in.
    pub async fn claim_job(&self, job: &str, now: &str, not_since: &str) -> Result<bool> {
        on_pool!(self, pool => {
            let row = sqlx::query(
                "INSERT INTO scheduled_jobs (job, claimed_at) VALUES ($1, $2)
                 ON CONFLICT (job) DO UPDATE
                 SET claimed_at = excluded.claimed_at, finished_at = NULL, ok = NULL, summary = NULL
                 WHERE scheduled_jobs.claimed_at < $3
                 RETURNING job",
            )
            .bind(job)
            .bind(now)
            .bind(not_since)
            .fetch_optional(pool)
            .await?;
            Ok(row.is_some())
        })
    }

    /// Records how a claimed run ended.
    pub async fn finish_job(&self, job: &str, at: &str, ok: bool, summary: &str) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query(
                "UPDATE scheduled_jobs SET finished_at = $2, ok = $3, summary = $4 WHERE job = $1",
            )
            .bind(job)
            .bind(at)
            .bind(i64::from(ok))
            .bind(summary)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The last run of every job that ran at least once.
    pub async fn job_runs(&self) -> Result<Vec<JobRun>> {
        on_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT job, claimed_at, finished_at, ok, summary FROM scheduled_jobs ORDER BY job",
            )
            .fetch_all(pool)
            .await?;
            rows.into_iter()
                .map(|r| {
                    Ok(JobRun {
                        job: r.try_get("job")?,
                        claimed_at: r.try_get("claimed_at")?,
                        finished_at: r.try_get("finished_at")?,
                        ok: r.try_get::<Option<i64>, _>("ok")?.map(|v| v != 0),
                        summary: r.try_get("summary")?,
                    })
                })
                .collect()
        })
    }
}
