//! The catalogue of common requests used by orientation: reference data, loaded once into a
//! new network from the field's requests, then edited by coordinators.

use chrono::NaiveDate;
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
    /// so entries a coordinator deleted do not come back). A network that loaded one of the
    /// `earlier` versions gets this version on the entries no coordinator edited (saved without
    /// an author), and no new entry. Returns how many were added or corrected.
    pub async fn seed_request_catalogue(
        &self,
        seed: &str,
        earlier: &[&str],
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
            let mut upgrade = false;
            for name in earlier {
                let found: Option<String> =
                    sqlx::query_scalar("SELECT name FROM network_seeds WHERE name = $1")
                        .bind(*name)
                        .fetch_optional(&mut *tx)
                        .await?;
                upgrade |= found.is_some();
            }
            let mut changed = 0;
            for e in entries {
                let data = serde_json::to_string(e).map_err(corrupt)?;
                let sql = if upgrade {
                    "UPDATE request_catalogue SET title = $2, data = $3, updated_at = $4 WHERE id = $1 AND updated_by IS NULL"
                } else {
                    "INSERT INTO request_catalogue (id, title, data, updated_at) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING"
                };
                let done = sqlx::query(sql)
                    .bind(&e.id)
                    .bind(&e.title)
                    .bind(&data)
                    .bind(&at)
                    .execute(&mut *tx)
                    .await?;
                changed += done.rows_affected() as usize;
            }
            tx.commit().await?;
            Ok(changed)
        })
    }

    /// Counts a request orientation found no place for, on a day, where the person lives or
    /// can go (`anywhere`: missing from the whole directory, not only within reach).
    pub async fn record_unmet_request(&self, unmet: &UnmetRequest) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query("INSERT INTO unmet_requests (day, request_id, insee_code, anywhere, radius_km, asked) VALUES ($1, $2, $3, $4, $5, 1) ON CONFLICT (day, request_id, insee_code) DO UPDATE SET asked = unmet_requests.asked + 1, anywhere = CASE WHEN excluded.anywhere > unmet_requests.anywhere THEN excluded.anywhere ELSE unmet_requests.anywhere END, radius_km = CASE WHEN excluded.radius_km > unmet_requests.radius_km THEN excluded.radius_km ELSE unmet_requests.radius_km END")
                .bind(unmet.day.to_string())
                .bind(&unmet.request_id)
                .bind(&unmet.insee_code)
                .bind(i64::from(unmet.anywhere))
                .bind(unmet.radius_km)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// The requests found without a place from a day on, by day, request and commune.
    pub async fn unmet_requests(&self, from: NaiveDate) -> Result<Vec<UnmetRequest>> {
        on_pool!(self, pool => {
            let rows = sqlx::query("SELECT day, request_id, insee_code, anywhere, radius_km, asked FROM unmet_requests WHERE day >= $1 ORDER BY day, request_id, insee_code")
                .bind(from.to_string())
                .fetch_all(pool)
                .await?;
            rows.iter()
                .map(|row| {
                    let day: String = row.try_get("day")?;
                    let anywhere: i64 = row.try_get("anywhere")?;
                    let asked: i64 = row.try_get("asked")?;
                    Ok(UnmetRequest {
                        day: day.parse().map_err(corrupt)?,
                        request_id: row.try_get("request_id")?,
                        insee_code: row.try_get("insee_code")?,
                        anywhere: anywhere != 0,
                        radius_km: row.try_get("radius_km")?,
                        asked: u32::try_from(asked).unwrap_or(u32::MAX),
                    })
                })
                .collect()
        })
    }
}

/// A request orientation found no place for (issue #10, for the territory of #12).
#[derive(Debug, Clone, PartialEq)]
pub struct UnmetRequest {
    pub day: NaiveDate,
    pub request_id: String,
    /// The commune where the person lives or can go.
    pub insee_code: String,
    /// Missing from the whole directory, not only within reach.
    pub anywhere: bool,
    /// The widest reach asked that day, in kilometres.
    pub radius_km: f64,
    /// Times it was asked that day (repeated answers included).
    pub asked: u32,
}
