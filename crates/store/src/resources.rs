//! The resource library: resources with their moderation status, their file (kept in its own
//! table, read only when downloaded), the state of their link as the checker last saw it, and
//! the initial content loaded once into a new network.

use maillage_domain::resources::{LinkHealth, Resource, ResourceStatus};
use sqlx::Row;

use crate::BeginWrite;
use crate::{Result, Store, corrupt, new_id, now, on_pool};

/// A file attached to a resource, as described in lists (its content is read apart).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInfo {
    pub name: String,
    pub mime: String,
    pub size: u64,
}

/// A file to store with a resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFile {
    pub name: String,
    pub mime: String,
    pub content: Vec<u8>,
}

/// What happens to the file of a resource being edited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileChange {
    Keep,
    Replace(NewFile),
    Remove,
}

/// A resource with its place in the library.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredResource {
    pub resource: Resource,
    pub status: ResourceStatus,
    /// The structure that proposed it (`None` for the initial content).
    pub organisation_id: Option<String>,
    pub proposed_by: Option<String>,
    pub refusal_reason: Option<String>,
    pub file: Option<FileInfo>,
    pub link: LinkHealth,
    pub created_at: String,
    pub updated_at: String,
    pub published_at: Option<String>,
}

macro_rules! resource_select {
    ($tail:literal) => {
        concat!(
            "SELECT id, status, organisation_id, proposed_by, data, refusal_reason, file_name, file_mime, file_size, ",
            "link_checked_at, link_failures, link_error, created_at, updated_at, published_at FROM resources ",
            $tail
        )
    };
}

fn decode<R: Row>(row: &R) -> Result<StoredResource>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<i64>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let data: String = row.try_get("data")?;
    let mut resource: Resource = serde_json::from_str(&data).map_err(corrupt)?;
    resource.id = row.try_get("id")?;
    let status: String = row.try_get("status")?;
    let file_name: Option<String> = row.try_get("file_name")?;
    let file_mime: Option<String> = row.try_get("file_mime")?;
    let file_size: Option<i64> = row.try_get("file_size")?;
    let failures: i64 = row.try_get("link_failures")?;
    Ok(StoredResource {
        resource,
        status: ResourceStatus::from_slug(&status)
            .ok_or_else(|| corrupt(format!("état de ressource « {status} »")))?,
        organisation_id: row.try_get("organisation_id")?,
        proposed_by: row.try_get("proposed_by")?,
        refusal_reason: row.try_get("refusal_reason")?,
        file: match (file_name, file_mime) {
            (Some(name), Some(mime)) => Some(FileInfo {
                name,
                mime,
                size: u64::try_from(file_size.unwrap_or(0)).unwrap_or(0),
            }),
            _ => None,
        },
        link: LinkHealth {
            checked_at: row.try_get("link_checked_at")?,
            failures: u32::try_from(failures).unwrap_or(0),
            last_error: row.try_get("link_error")?,
        },
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        published_at: row.try_get("published_at")?,
    })
}

/// Who proposes a resource.
#[derive(Debug, Clone, Copy, Default)]
pub struct Proposer<'a> {
    pub organisation_id: Option<&'a str>,
    pub user_id: Option<&'a str>,
}

impl Store {
    /// Records a resource with its file, in one transaction; returns its id.
    pub async fn create_resource(
        &self,
        r: &Resource,
        status: ResourceStatus,
        by: Proposer<'_>,
        file: Option<&NewFile>,
    ) -> Result<String> {
        let id = new_id();
        let data = serde_json::to_string(r).map_err(corrupt)?;
        let at = now();
        let published_at = (status == ResourceStatus::Published).then(|| at.clone());
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("INSERT INTO resources (id, title, status, url, organisation_id, proposed_by, data, file_name, file_mime, file_size, created_at, updated_at, published_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12)")
                .bind(&id)
                .bind(&r.title)
                .bind(status.slug())
                .bind(&r.url)
                .bind(by.organisation_id)
                .bind(by.user_id)
                .bind(&data)
                .bind(file.map(|f| f.name.as_str()))
                .bind(file.map(|f| f.mime.as_str()))
                .bind(file.map(|f| i64::try_from(f.content.len()).unwrap_or(i64::MAX)))
                .bind(&at)
                .bind(&published_at)
                .execute(&mut *tx)
                .await?;
            if let Some(f) = file {
                sqlx::query("INSERT INTO resource_files (resource_id, content) VALUES ($1, $2)")
                    .bind(&id)
                    .bind(&f.content)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        });
        Ok(id)
    }

    /// Replaces a resource's description and, as asked, its file. A changed link is checked
    /// afresh. Returns whether the resource exists.
    pub async fn update_resource(&self, r: &Resource, file: &FileChange) -> Result<bool> {
        let data = serde_json::to_string(r).map_err(corrupt)?;
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query("UPDATE resources SET title = $2, data = $3, updated_at = $4, link_checked_at = CASE WHEN url IS NOT DISTINCT FROM $5 THEN link_checked_at ELSE NULL END, link_failures = CASE WHEN url IS NOT DISTINCT FROM $5 THEN link_failures ELSE 0 END, link_error = CASE WHEN url IS NOT DISTINCT FROM $5 THEN link_error ELSE NULL END, url = $5 WHERE id = $1")
                .bind(&r.id)
                .bind(&r.title)
                .bind(&data)
                .bind(now())
                .bind(&r.url)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() != 1 {
                return Ok(false);
            }
            match file {
                FileChange::Keep => {}
                FileChange::Remove => {
                    sqlx::query("DELETE FROM resource_files WHERE resource_id = $1").bind(&r.id).execute(&mut *tx).await?;
                    sqlx::query("UPDATE resources SET file_name = NULL, file_mime = NULL, file_size = NULL WHERE id = $1").bind(&r.id).execute(&mut *tx).await?;
                }
                FileChange::Replace(f) => {
                    sqlx::query("DELETE FROM resource_files WHERE resource_id = $1").bind(&r.id).execute(&mut *tx).await?;
                    sqlx::query("INSERT INTO resource_files (resource_id, content) VALUES ($1, $2)").bind(&r.id).bind(&f.content).execute(&mut *tx).await?;
                    sqlx::query("UPDATE resources SET file_name = $2, file_mime = $3, file_size = $4 WHERE id = $1")
                        .bind(&r.id)
                        .bind(&f.name)
                        .bind(&f.mime)
                        .bind(i64::try_from(f.content.len()).unwrap_or(i64::MAX))
                        .execute(&mut *tx)
                        .await?;
                }
            }
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Publishes or refuses (with the reason the proposer reads). Returns whether it exists.
    pub async fn set_resource_status(
        &self,
        id: &str,
        status: ResourceStatus,
        reason: Option<&str>,
    ) -> Result<bool> {
        let at = now();
        on_pool!(self, pool => {
            let done = sqlx::query("UPDATE resources SET status = $2, refusal_reason = $3, updated_at = $4, published_at = CASE WHEN $2 = 'publiee' THEN COALESCE(published_at, $4) ELSE published_at END WHERE id = $1")
                .bind(id)
                .bind(status.slug())
                .bind(reason)
                .bind(&at)
                .execute(pool)
                .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    pub async fn delete_resource(&self, id: &str) -> Result<bool> {
        on_pool!(self, pool => {
            let done = sqlx::query("DELETE FROM resources WHERE id = $1").bind(id).execute(pool).await?;
            Ok(done.rows_affected() == 1)
        })
    }

    pub async fn resource(&self, id: &str) -> Result<Option<StoredResource>> {
        on_pool!(self, pool => {
            let row = sqlx::query(resource_select!("WHERE id = $1")).bind(id).fetch_optional(pool).await?;
            row.as_ref().map(decode).transpose()
        })
    }

    /// Every resource (of one status, when given), newest first.
    pub async fn resources(&self, status: Option<ResourceStatus>) -> Result<Vec<StoredResource>> {
        on_pool!(self, pool => {
            let rows = sqlx::query(resource_select!(
                "WHERE ($1 IS NULL OR status = $1) ORDER BY created_at DESC, id"
            ))
                .bind(status.map(|s| s.slug()))
                .fetch_all(pool)
                .await?;
            rows.iter().map(decode).collect()
        })
    }

    /// The file of a resource: name, type and content.
    pub async fn resource_file(&self, id: &str) -> Result<Option<(FileInfo, Vec<u8>)>> {
        on_pool!(self, pool => {
            let row = sqlx::query("SELECT r.file_name, r.file_mime, r.file_size, f.content FROM resources r JOIN resource_files f ON f.resource_id = r.id WHERE r.id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?;
            let Some(row) = row else { return Ok(None) };
            let name: Option<String> = row.try_get("file_name")?;
            let mime: Option<String> = row.try_get("file_mime")?;
            let size: Option<i64> = row.try_get("file_size")?;
            let content: Vec<u8> = row.try_get("content")?;
            Ok(match (name, mime) {
                (Some(name), Some(mime)) => Some((
                    FileInfo { name, mime, size: u64::try_from(size.unwrap_or(0)).unwrap_or(0) },
                    content,
                )),
                _ => None,
            })
        })
    }

    /// Records what the link checker saw.
    pub async fn record_link_health(&self, id: &str, health: &LinkHealth) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query("UPDATE resources SET link_checked_at = $2, link_failures = $3, link_error = $4 WHERE id = $1")
                .bind(id)
                .bind(&health.checked_at)
                .bind(i64::from(health.failures))
                .bind(&health.last_error)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Loads reference resources into a new network, once: nothing happens when this seed was
    /// already loaded (even if its resources were deleted since). Returns how many were added.
    pub async fn seed_resources(&self, seed: &str, resources: &[Resource]) -> Result<usize> {
        let at = now();
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query("INSERT INTO network_seeds (name, loaded_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
                .bind(seed)
                .bind(&at)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                return Ok(0);
            }
            for r in resources {
                let data = serde_json::to_string(r).map_err(corrupt)?;
                sqlx::query("INSERT INTO resources (id, title, status, url, data, seed_key, created_at, updated_at, published_at) VALUES ($1, $2, 'publiee', $3, $4, $5, $6, $6, $6) ON CONFLICT (seed_key) DO NOTHING")
                    .bind(new_id())
                    .bind(&r.title)
                    .bind(&r.url)
                    .bind(&data)
                    .bind(format!("{seed}/{}", r.id))
                    .bind(&at)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(resources.len())
        })
    }
}
