//! Places, organisations and imports.

use std::collections::{HashMap, HashSet};

use futures_util::TryStreamExt;
use maillage_domain::Place;
use maillage_domain::organisation::Organisation;
use sqlx::Row;

use crate::BeginWrite;
use crate::{Result, Store, StoreError, corrupt, new_id, now, on_pool};

/// A place with what the database knows beside the standard.
#[derive(Debug, Clone, PartialEq)]
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

    /// Imports valid records in one transaction. A record is matched to a place by provenance
    /// (source, producer id), or by Maillage id (re-import of Maillage's own export). A newer
    /// or equally recent `date_maj` with different content updates the place; identical content
    /// changes nothing; an older one never overwrites. Places with a known pivot are attached
    /// to the organisation of that pivot (created when new).
    pub async fn import_places(
        &self,
        source: &str,
        file_name: &str,
        records: &[ImportRecord],
        rejected: usize,
        report: &str,
        by: Option<&str>,
    ) -> Result<ImportOutcome> {
        let records: Vec<ImportRef<'_>> = records.iter().map(ImportRecord::as_import).collect();
        self.import_places_watched(
            source,
            file_name,
            &records,
            rejected,
            report,
            by,
            &maillage_domain::progress::Silent,
        )
        .await
    }

    /// The existing place each record of an import into `source` would update, with its
    /// organisation — found as the import finds it: by provenance in this source, else by
    /// Maillage's id. Lets the caller check the right to update each one before writing.
    pub async fn import_targets(
        &self,
        source: &str,
        source_ids: &[String],
    ) -> Result<HashMap<String, (Place, Option<String>)>> {
        let wanted: HashSet<&str> = source_ids.iter().map(String::as_str).collect();
        let mut by_provenance = HashMap::new();
        let mut by_id = HashMap::new();
        on_pool!(self, pool => {
            // The import itself reads every place the same way; rows are read as a stream and
            // only the wanted ones decoded.
            let mut rows = sqlx::query("SELECT id, organisation_id, source, source_id, data FROM places")
                .fetch(pool);
            while let Some(row) = rows.try_next().await? {
                let id: String = row.try_get("id")?;
                let src: Option<String> = row.try_get("source")?;
                let sid: Option<String> = row.try_get("source_id")?;
                let by_source = src.as_deref() == Some(source)
                    && sid.as_deref().is_some_and(|s| wanted.contains(s));
                let by_own_id = wanted.contains(id.as_str());
                if !by_source && !by_own_id {
                    continue;
                }
                let data: String = row.try_get("data")?;
                let org: Option<String> = row.try_get("organisation_id")?;
                let place: Place = serde_json::from_str(&data).map_err(corrupt)?;
                match (by_source.then_some(sid).flatten(), by_own_id) {
                    (Some(sid), true) => {
                        by_provenance.insert(sid, (place.clone(), org.clone()));
                        by_id.insert(id, (place, org));
                    }
                    (Some(sid), false) => {
                        by_provenance.insert(sid, (place, org));
                    }
                    (None, _) => {
                        by_id.insert(id, (place, org));
                    }
                }
            }
        });
        // Each target moved to the answer, not copied (a producer id is asked once).
        let mut out = HashMap::new();
        for sid in source_ids {
            if let Some(t) = by_provenance.remove(sid).or_else(|| by_id.remove(sid)) {
                out.insert(sid.clone(), t);
            }
        }
        Ok(out)
    }

    /// [`Store::import_places`], reporting each record to `progress`; when it asks to stop,
    /// the transaction is rolled back and nothing is written ([`StoreError::Interrupted`]).
    #[allow(clippy::too_many_arguments)]
    pub async fn import_places_watched(
        &self,
        source: &str,
        file_name: &str,
        records: &[ImportRef<'_>],
        rejected: usize,
        report: &str,
        by: Option<&str>,
        progress: &dyn maillage_domain::progress::Progress,
    ) -> Result<ImportOutcome> {
        let at = now();
        let mut outcome = ImportOutcome::default();
        let mut pending: Vec<NewRow> = Vec::with_capacity(INSERT_BATCH);
        // Records merged into another place live on in it: a later import leaves them there.
        let merged_away = self.aliased_source_ids(source).await?;
        // New places are written by multi-row INSERTs (12 parameters × 400 rows stays under
        // both backends' limits): one statement per batch instead of one per place.
        macro_rules! flush_new_places {
            ($tx:ident, $pending:ident) => {
                if !$pending.is_empty() {
                    let mut insert = sqlx::QueryBuilder::new(
                        "INSERT INTO places (id, organisation_id, source, source_id, name, insee_code, departement, updated_on, data, created_at, modified_at, modified_by) ",
                    );
                    insert.push_values($pending.drain(..), |mut row, new: NewRow| {
                        row.push_bind(new.id)
                            .push_bind(new.organisation_id)
                            .push_bind(source)
                            .push_bind(new.source_id)
                            .push_bind(new.name)
                            .push_bind(new.insee_code)
                            .push_bind(new.departement)
                            .push_bind(new.updated_on)
                            .push_bind(new.data)
                            .push_bind(&at)
                            .push_bind(&at)
                            .push_bind(by);
                    });
                    insert.build().execute(&mut *$tx).await?;
                }
            };
        }
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            // Every place's date of update by id, and this source's places by producer id:
            // what matching and the date rule need, read as a stream (never every place's data).
            let mut updated: HashMap<String, Option<chrono::NaiveDate>> = HashMap::new();
            let mut by_provenance: HashMap<String, String> = HashMap::new();
            {
                let mut rows = sqlx::query("SELECT id, source, source_id, updated_on FROM places")
                    .fetch(&mut *tx);
                while let Some(row) = rows.try_next().await? {
                    let id: String = row.try_get("id")?;
                    let src: Option<String> = row.try_get("source")?;
                    let sid: Option<String> = row.try_get("source_id")?;
                    let on: String = row.try_get("updated_on")?;
                    if src.as_deref() == Some(source) && let Some(sid) = sid {
                        by_provenance.insert(sid, id.clone());
                    }
                    updated.insert(id, on.parse().ok());
                }
            }
            let mut orgs: HashMap<String, String> = HashMap::new();
            for row in sqlx::query("SELECT id, pivot FROM organisations WHERE pivot IS NOT NULL")
                .fetch_all(&mut *tx)
                .await?
            {
                orgs.insert(row.try_get("pivot")?, row.try_get("id")?);
            }
            progress.stage("Écriture dans l'annuaire", Some(records.len() as u64));
            for rec in records {
                // Dropping the transaction rolls everything back.
                progress.check()?;
                progress.advance(1);
                if merged_away.contains(rec.source_id) {
                    outcome.unchanged += 1;
                    continue;
                }
                let existing = by_provenance
                    .get(rec.source_id)
                    .cloned()
                    .or_else(|| updated.contains_key(rec.source_id).then(|| rec.source_id.to_string()));
                let mut place = rec.place.clone();
                match existing {
                    Some(id) => {
                        // The place may be one of this import's, still waiting for its batch.
                        flush_new_places!(tx, pending);
                        let old_on = match updated.get(&id).copied().flatten() {
                            Some(on) => on,
                            // A date the column does not give: the place's own.
                            None => {
                                let data: String = sqlx::query_scalar("SELECT data FROM places WHERE id = $1")
                                    .bind(&id)
                                    .fetch_one(&mut *tx)
                                    .await?;
                                serde_json::from_str::<Place>(&data).map_err(corrupt)?.updated_on
                            }
                        };
                        // Only a newer `date_maj` updates: the same date may hide edits or a merge
                        // made in Maillage since. (The date is part of the content: content
                        // identical to the stored one has the same date, and changes nothing.)
                        if place.updated_on <= old_on {
                            outcome.unchanged += 1;
                            continue;
                        }
                        place.id = id;
                        let data = place_json(&place)?;
                        sqlx::query(
                            "UPDATE places SET name = $2, insee_code = $3, departement = $4, updated_on = $5, data = $6, modified_at = $7, modified_by = $8 WHERE id = $1",
                        )
                        .bind(&place.id)
                        .bind(&place.name)
                        .bind(&place.insee_code)
                        .bind(place.departement())
                        .bind(place.updated_on.to_string())
                        .bind(&data)
                        .bind(&at)
                        .bind(by)
                        .execute(&mut *tx)
                        .await?;
                        updated.insert(place.id.clone(), Some(place.updated_on));
                        outcome.updated += 1;
                    }
                    None => {
                        place.id = if updated.contains_key(rec.source_id) || rec.source_id.len() > 120 {
                            new_id()
                        } else {
                            rec.source_id.to_string()
                        };
                        updated.insert(place.id.clone(), Some(place.updated_on));
                        let organisation_id = if place.pivot_is_unknown() || place.pivot.is_empty() {
                            None
                        } else if let Some(id) = orgs.get(&place.pivot) {
                            Some(id.clone())
                        } else {
                            let id = new_id();
                            sqlx::query(
                                "INSERT INTO organisations (id, name, pivot, typologies, departement, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
                            )
                            .bind(&id)
                            .bind(place.parent_structure.as_deref().unwrap_or(&place.name))
                            .bind(&place.pivot)
                            .bind(place.typologies.join("|"))
                            .bind(place.departement())
                            .bind(&at)
                            .execute(&mut *tx)
                            .await?;
                            orgs.insert(place.pivot.clone(), id.clone());
                            Some(id)
                        };
                        let data = place_json(&place)?;
                        by_provenance.insert(rec.source_id.to_string(), place.id.clone());
                        pending.push(NewRow {
                            departement: place.departement(),
                            updated_on: place.updated_on.to_string(),
                            id: place.id,
                            organisation_id,
                            source_id: rec.source_id.to_string(),
                            name: place.name,
                            insee_code: place.insee_code,
                            data,
                        });
                        if pending.len() >= INSERT_BATCH {
                            flush_new_places!(tx, pending);
                        }
                        outcome.created += 1;
                    }
                }
            }
            flush_new_places!(tx, pending);
            sqlx::query(
                "INSERT INTO imports (id, at, user_id, source, file_name, created, updated, unchanged, rejected, report) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(new_id())
            .bind(&at)
            .bind(by)
            .bind(source)
            .bind(file_name)
            .bind(outcome.created as i64)
            .bind(outcome.updated as i64)
            .bind(outcome.unchanged as i64)
            .bind(rejected as i64)
            .bind(report)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        Ok(outcome)
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

/// Rows written per multi-row INSERT during an import.
const INSERT_BATCH: usize = 400;

/// A new place waiting for its batch.
struct NewRow {
    id: String,
    organisation_id: Option<String>,
    source_id: String,
    name: String,
    insee_code: Option<String>,
    departement: Option<String>,
    updated_on: String,
    data: String,
}
