//! The catalogue of common requests used by orientation: reference data, loaded once into a
//! new network from the field's requests, then edited by coordinators.

use maillage_domain::orientation::RequestEntry;
use sqlx::Row;

use crate::BeginWrite;
use crate::{Result, Store, corrupt, now, on_pool};

impl Store {
    /// Every entry of the catalogue, by title.
    pub async fn request_catalogue(&self) -> Result<Vec<RequestEntry>> {
        on_pool!(self, pool => {
            let rows = sqlx::query("SELECT id, data FROM request_catalogue ORDER BY title, id")
                .fetch_all(pool)
                .await?;
            rows.iter()
                .map(|row| {
                    let data: String = row.try_get("data")?;
                    let mut entry: RequestEntry = serde_json::from_str(&data).map_err(corrupt)?;
                    entry.id = row.try_get("id")?;
                    Ok(entry)
                })
                .collect()
        })
    }

    /// Creates or replaces an entry.
    pub async fn save_request_entry(&self, entry: &RequestEntry, by: Option<&str>) -> Result<()> {
        let data = serde_json::to_string(entry).map_err(corrupt)?;
        on_pool!(self, pool => {
            sqlx::query("INSERT INTO request_catalogue (id, title, data, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO UPDATE SET title = excluded.title, data = excluded.data, updated_at = excluded.updated_at, updated_by = excluded.updated_by")
                .bind(&entry.id)
                .bind(&entry.title)
                .bind(&data)
                .bind(now())
                .bind(by)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// Removes an entry; `false` when it did not exist.
    pub async fn delete_request_entry(&self, id: &str) -> Result<bool> {
        on_pool!(self, pool => {
            let done = sqlx::query("DELETE FROM request_catalogue WHERE id = $1")
                .bind(id)
                .execute(pool)
                .await?;
            Ok(done.rows_affected() > 0)
        })
    }

    /// Loads the initial catalogue once per network (a seed already loaded is not loaded again,
    /// so entries a coordinator deleted do not come back). Returns how many were added.
    pub async fn seed_request_catalogue(
        &self,
        seed: &str,
        entries: &[RequestEntry],
    ) -> Result<usize> {
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
            let mut added = 0;
            for e in entries {
                let data = serde_json::to_string(e).map_err(corrupt)?;
                let done = sqlx::query("INSERT INTO request_catalogue (id, title, data, updated_at) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING")
                    .bind(&e.id)
                    .bind(&e.title)
                    .bind(&data)
                    .bind(&at)
                    .execute(&mut *tx)
                    .await?;
                added += done.rows_affected() as usize;
            }
            tx.commit().await?;
            Ok(added)
        })
    }
}
