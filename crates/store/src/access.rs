//! The access log (issue #19): who opened which followed person, diagnostic or mandate, purged
//! after its delay; and each structure's referent for personal data, who reads it.

use sqlx::Row;

use crate::{BeginWrite, Result, Store, new_id, now, on_pool};

/// One line of the access log, with the member's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessLine {
    pub at: String,
    pub user_id: Option<String>,
    pub user_name: Option<String>,
    /// `personne`, `diagnostic` or `mandat`.
    pub kind: String,
    pub object_id: String,
}

/// Most lines a page of the access log shows.
pub const ACCESS_PAGE: i64 = 500;

impl Store {
    /// Notes that a member opened an object of a structure.
    pub async fn log_access(
        &self,
        organisation_id: &str,
        user_id: &str,
        kind: &str,
        object_id: &str,
    ) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query("INSERT INTO access_log (id, at, organisation_id, user_id, kind, object_id) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(new_id())
                .bind(now())
                .bind(organisation_id)
                .bind(user_id)
                .bind(kind)
                .bind(object_id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// The newest lines of a structure's access log.
    pub async fn access_log_of(&self, organisation_id: &str) -> Result<Vec<AccessLine>> {
        on_pool!(self, pool => {
            let rows = sqlx::query("SELECT a.at, a.user_id, u.display_name, a.kind, a.object_id FROM access_log a LEFT JOIN users u ON u.id = a.user_id WHERE a.organisation_id = $1 ORDER BY a.at DESC, a.id DESC LIMIT $2")
                .bind(organisation_id)
                .bind(ACCESS_PAGE)
                .fetch_all(pool)
                .await?;
            rows.iter()
                .map(|r| {
                    Ok(AccessLine {
                        at: r.try_get(0)?,
                        user_id: r.try_get(1)?,
                        user_name: r.try_get(2)?,
                        kind: r.try_get(3)?,
                        object_id: r.try_get(4)?,
                    })
                })
                .collect()
        })
    }

    /// Forgets the lines older than `before`.
    pub async fn purge_access_log(&self, before: &str) -> Result<u64> {
        on_pool!(self, pool => {
            let done = sqlx::query("DELETE FROM access_log WHERE at < $1").bind(before).execute(pool).await?;
            Ok(done.rows_affected())
        })
    }

    /// Names the referent for personal data of a structure (replacing the previous one).
    pub async fn set_data_referent(
        &self,
        organisation_id: &str,
        user_id: &str,
        by: &str,
    ) -> Result<()> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("DELETE FROM data_referents WHERE organisation_id = $1")
                .bind(organisation_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO data_referents (organisation_id, user_id, since, appointed_by) VALUES ($1, $2, $3, $4)")
                .bind(organisation_id)
                .bind(user_id)
                .bind(now())
                .bind(by)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// The account of a structure's referent for personal data, if one is named.
    pub async fn data_referent(&self, organisation_id: &str) -> Result<Option<String>> {
        on_pool!(self, pool => {
            let row = sqlx::query("SELECT user_id FROM data_referents WHERE organisation_id = $1")
                .bind(organisation_id)
                .fetch_optional(pool)
                .await?;
            row.map(|r| r.try_get::<String, _>(0)).transpose().map_err(Into::into)
        })
    }
}
