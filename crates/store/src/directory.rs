//! Places, organisations and imports.

use maillage_domain::Place;
use maillage_domain::organisation::Organisation;
use sqlx::Row;

use crate::BeginWrite;
use crate::{Result, Store, StoreError, corrupt, new_id, now, on_pool};

/// A place with what the database knows beside the standard (serialised as such when the
/// application shelves it with the search index).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StoredPlace {
    pub place: Place,
    pub organisation_id: Option<String>,
    /// Provenance: the import source and the producer's identifier.
    pub source: Option<String>,
    pub source_id: Option<String>,
    pub modified_at: String,
}

/// One valid record to import.
#[derive(Debug, Clone)]
pub struct ImportRecord {
    pub source_id: String,
    pub place: Place,
}

/// One valid record to import, borrowed from the caller's report (nothing copied).
#[derive(Debug, Clone, Copy)]
pub struct ImportRef<'a> {
    pub source_id: &'a str,
    pub place: &'a Place,
}

impl ImportRecord {
    pub fn as_import(&self) -> ImportRef<'_> {
        ImportRef {
            source_id: &self.source_id,
            place: &self.place,
        }
    }
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportOutcome {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// A past import, for the import history page.
#[derive(Debug, Clone)]
pub struct ImportSummary {
    pub id: String,
    pub at: String,
    pub source: String,
    pub file_name: String,
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub rejected: i64,
    pub report: String,
}

/// The one statement that rewrites a place's content and structure, on a pool or inside a
/// transaction (`&mut *tx`): `write_place!(executor, place, organisation_id, data, at, by)`.
macro_rules! write_place {
    ($executor:expr, $place:expr, $organisation:expr, $data:expr, $at:expr, $by:expr) => {
        sqlx::query("UPDATE places SET organisation_id = $2, name = $3, insee_code = $4, departement = $5, updated_on = $6, data = $7, modified_at = $8, modified_by = $9 WHERE id = $1")
            .bind(&$place.id)
            .bind($organisation)
            .bind(&$place.name)
            .bind(&$place.insee_code)
            .bind($place.departement())
            .bind($place.updated_on.to_string())
            .bind($data)
            .bind($at)
            .bind($by)
            .execute($executor)
    };
}
pub(crate) use write_place;

pub(crate) fn place_json(place: &Place) -> Result<String> {
    serde_json::to_string(place).map_err(corrupt)
}

fn decode_place<R: Row>(row: &R) -> Result<StoredPlace>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let data: String = row.try_get("data")?;
    let place: Place = serde_json::from_str(&data).map_err(corrupt)?;
    Ok(StoredPlace {
        place,
        organisation_id: row.try_get("organisation_id")?,
        source: row.try_get("source")?,
        source_id: row.try_get("source_id")?,
        modified_at: row.try_get("modified_at")?,
    })
}

fn decode_org<R: Row>(row: &R) -> Result<Organisation>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let typologies: String = row.try_get("typologies")?;
    Ok(Organisation {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        pivot: row.try_get("pivot")?,
        typologies: typologies
            .split('|')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        departement: row.try_get("departement")?,
    })
}

impl Store {
    /// Every place (to build the search index and for exports).
    pub async fn all_places(&self) -> Result<Vec<StoredPlace>> {
        on_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT id, organisation_id, source, source_id, data, modified_at FROM places ORDER BY id",
            )
            .fetch_all(pool)
            .await?;
            rows.iter().map(decode_place).collect()
        })
    }

    /// The next `limit` places after the identifier `after` (`""` to start), in identifier
    /// order: reads the whole directory in bounded batches.
    pub async fn places_after(&self, after: &str, limit: u32) -> Result<Vec<StoredPlace>> {
        on_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT id, organisation_id, source, source_id, data, modified_at FROM places WHERE id > $1 ORDER BY id LIMIT $2",
            )
            .bind(after)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?;
            rows.iter().map(decode_place).collect()
        })
    }

    pub async fn count_places(&self) -> Result<i64> {
        on_pool!(self, pool => {
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM places").fetch_one(pool).await?;
            Ok(n)
        })
    }

    pub async fn place(&self, id: &str) -> Result<Option<StoredPlace>> {
        on_pool!(self, pool => {
            let row = sqlx::query(
                "SELECT id, organisation_id, source, source_id, data, modified_at FROM places WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(pool)
            .await?;
            row.as_ref().map(decode_place).transpose()
        })
    }

    /// Several places in one round trip, in the order of `ids` (unknown ones left out): the
    /// page of a search.
    pub async fn places(&self, ids: &[String]) -> Result<Vec<StoredPlace>> {
        let mut found: std::collections::HashMap<String, StoredPlace> =
            std::collections::HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            on_pool!(self, pool => {
                let mut query = sqlx::QueryBuilder::new(
                    "SELECT id, organisation_id, source, source_id, data, modified_at FROM places WHERE id IN (",
                );
                let mut list = query.separated(", ");
                for id in chunk {
                    list.push_bind(id);
                }
                list.push_unseparated(")");
                for row in query.build().fetch_all(pool).await? {
                    let place = decode_place(&row)?;
                    found.insert(place.place.id.clone(), place);
                }
            });
        }
        Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
    }

    /// Creates a place typed in Maillage; returns its identifier.
    pub async fn create_place(
        &self,
        mut place: Place,
        organisation_id: Option<&str>,
        by: Option<&str>,
    ) -> Result<String> {
        if place.id.is_empty() {
            place.id = new_id();
        }
        let data = place_json(&place)?;
        let at = now();
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO places (id, organisation_id, source, source_id, name, insee_code, departement, updated_on, data, created_at, modified_at, modified_by)
                 VALUES ($1, $2, NULL, NULL, $3, $4, $5, $6, $7, $8, $8, $9)",
            )
            .bind(&place.id)
            .bind(organisation_id)
            .bind(&place.name)
            .bind(&place.insee_code)
            .bind(place.departement())
            .bind(place.updated_on.to_string())
            .bind(&data)
            .bind(&at)
            .bind(by)
            .execute(pool)
            .await?;
        });
        Ok(place.id)
    }

    /// Replaces a place's content (and organisation). Returns false when it does not exist.
    pub async fn update_place(
        &self,
        place: &Place,
        organisation_id: Option<&str>,
        by: Option<&str>,
    ) -> Result<bool> {
        let data = place_json(place)?;
        let at = now();
        on_pool!(self, pool => {
            let done = write_place!(pool, place, organisation_id, &data, &at, by).await?;
            Ok(done.rows_affected() == 1)
        })
    }

    pub async fn delete_place(&self, id: &str) -> Result<bool> {
        on_pool!(self, pool => {
            let done = sqlx::query("DELETE FROM places WHERE id = $1").bind(id).execute(pool).await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Past imports, newest first.
    pub async fn imports(&self, limit: i64) -> Result<Vec<ImportSummary>> {
        on_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT id, at, source, file_name, created, updated, unchanged, rejected, report FROM imports ORDER BY at DESC, id DESC LIMIT $1",
            )
            .bind(limit)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(ImportSummary {
                        id: r.try_get("id")?,
                        at: r.try_get("at")?,
                        source: r.try_get("source")?,
                        file_name: r.try_get("file_name")?,
                        created: r.try_get("created")?,
                        updated: r.try_get("updated")?,
                        unchanged: r.try_get("unchanged")?,
                        rejected: r.try_get("rejected")?,
                        report: r.try_get("report")?,
                    })
                })
                .collect()
        })
    }

    // ----- organisations -----

    pub async fn organisations(&self) -> Result<Vec<Organisation>> {
        on_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT id, name, pivot, typologies, departement FROM organisations ORDER BY name, id",
            )
            .fetch_all(pool)
            .await?;
            rows.iter().map(decode_org).collect()
        })
    }

    pub async fn organisation(&self, id: &str) -> Result<Option<Organisation>> {
        on_pool!(self, pool => {
            let row = sqlx::query(
                "SELECT id, name, pivot, typologies, departement FROM organisations WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(pool)
            .await?;
            row.as_ref().map(decode_org).transpose()
        })
    }

    pub async fn organisation_by_pivot(&self, pivot: &str) -> Result<Option<Organisation>> {
        on_pool!(self, pool => {
            let row = sqlx::query(
                "SELECT id, name, pivot, typologies, departement FROM organisations WHERE pivot = $1",
            )
            .bind(pivot)
            .fetch_optional(pool)
            .await?;
            row.as_ref().map(decode_org).transpose()
        })
    }

    /// Creates an organisation; its pivot, when known, must be unique.
    pub async fn create_organisation(&self, org: &Organisation) -> Result<String> {
        let id = if org.id.is_empty() {
            new_id()
        } else {
            org.id.clone()
        };
        if let Some(pivot) = &org.pivot
            && let Some(o) = self.organisation_by_pivot(pivot).await?
        {
            return Err(StoreError::Conflict(format!(
                "le SIRET/RNA {pivot} est déjà celui de « {} »",
                o.name
            )));
        }
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO organisations (id, name, pivot, typologies, departement, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&id)
            .bind(&org.name)
            .bind(&org.pivot)
            .bind(org.typologies.join("|"))
            .bind(&org.departement)
            .bind(now())
            .execute(pool)
            .await?;
        });
        Ok(id)
    }

    pub async fn update_organisation(&self, org: &Organisation) -> Result<bool> {
        on_pool!(self, pool => {
            let done = sqlx::query(
                "UPDATE organisations SET name = $2, pivot = $3, typologies = $4, departement = $5 WHERE id = $1",
            )
            .bind(&org.id)
            .bind(&org.name)
            .bind(&org.pivot)
            .bind(org.typologies.join("|"))
            .bind(&org.departement)
            .execute(pool)
            .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    pub async fn delete_organisation(&self, id: &str) -> Result<bool> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("UPDATE places SET organisation_id = NULL WHERE organisation_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let done = sqlx::query("DELETE FROM organisations WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(done.rows_affected() == 1)
        })
    }
}
