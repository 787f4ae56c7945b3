//! Errors reported on places' pages.

use maillage_domain::reports::ReportInput;
use maillage_domain::vocab::{ReportCategory, Vocabulary};
use sqlx::Row;

use crate::{Result, Store, corrupt, new_id, now, on_pool};

/// A stored report.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorReport {
    pub id: String,
    pub place_id: String,
    pub category: ReportCategory,
    pub message: String,
    pub reporter_email: Option<String>,
    pub created_at: String,
    pub resolved_at: Option<String>,
    pub resolved_by: Option<String>,
    pub resolution: Option<String>,
}

fn decode<R: Row>(row: &R) -> Result<ErrorReport>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let category: String = row.try_get("category")?;
    Ok(ErrorReport {
        id: row.try_get("id")?,
        place_id: row.try_get("place_id")?,
        category: ReportCategory::from_slug(&category)
            .ok_or_else(|| corrupt(format!("catégorie de signalement « {category} »")))?,
        message: row.try_get("message")?,
        reporter_email: row.try_get("reporter_email")?,
        created_at: row.try_get("created_at")?,
        resolved_at: row.try_get("resolved_at")?,
        resolved_by: row.try_get("resolved_by")?,
        resolution: row.try_get("resolution")?,
    })
}

impl Store {
    /// Records a report on a place; returns its identifier.
    pub async fn create_report(&self, place_id: &str, input: &ReportInput) -> Result<String> {
        let id = new_id();
        let at = now();
        on_pool!(self, pool => {
            sqlx::query("INSERT INTO error_reports (id, place_id, category, message, reporter_email, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(&id)
                .bind(place_id)
                .bind(input.category.slug())
                .bind(&input.message)
                .bind(&input.reporter_email)
                .bind(&at)
                .execute(pool)
                .await?;
        });
        Ok(id)
    }

    /// Reports not yet resolved, oldest first.
    pub async fn open_reports(&self) -> Result<Vec<ErrorReport>> {
        on_pool!(self, pool => {
            let rows = sqlx::query("SELECT id, place_id, category, message, reporter_email, created_at, resolved_at, resolved_by, resolution FROM error_reports WHERE resolved_at IS NULL ORDER BY created_at, id")
                .fetch_all(pool)
                .await?;
            rows.iter().map(decode).collect()
        })
    }

    pub async fn report(&self, id: &str) -> Result<Option<ErrorReport>> {
        on_pool!(self, pool => {
            let row = sqlx::query("SELECT id, place_id, category, message, reporter_email, created_at, resolved_at, resolved_by, resolution FROM error_reports WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?;
            row.as_ref().map(decode).transpose()
        })
    }

    /// Marks a report resolved, with what was done. `false` if already resolved or unknown.
    pub async fn resolve_report(
        &self,
        id: &str,
        by: Option<&str>,
        resolution: &str,
    ) -> Result<bool> {
        let at = now();
        on_pool!(self, pool => {
            let done = sqlx::query("UPDATE error_reports SET resolved_at = $2, resolved_by = $3, resolution = $4 WHERE id = $1 AND resolved_at IS NULL")
                .bind(id)
                .bind(&at)
                .bind(by)
                .bind(resolution)
                .execute(pool)
                .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Erases the reporters' e-mail addresses of reports resolved before `resolved_before`
    /// (RFC 3339); returns how many were erased.
    pub async fn purge_report_emails(&self, resolved_before: &str) -> Result<u64> {
        on_pool!(self, pool => {
            let done = sqlx::query("UPDATE error_reports SET reporter_email = NULL WHERE reporter_email IS NOT NULL AND resolved_at IS NOT NULL AND resolved_at < $1")
                .bind(resolved_before)
                .execute(pool)
                .await?;
            Ok(done.rows_affected())
        })
    }
}
