//! Deduplication decisions: "not a duplicate" marks, merges kept with the records they replaced
//! (so that they can be undone), and the provenance of merged records.

use std::collections::HashSet;

use maillage_domain::Place;
use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::BeginWrite;
use crate::{Result, Store, StoreError, corrupt, new_id, now, on_pool};

/// A row of `places` as it was before a merge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct PlaceRow {
    id: String,
    organisation_id: Option<String>,
    source: Option<String>,
    source_id: Option<String>,
    name: String,
    insee_code: Option<String>,
    departement: Option<String>,
    updated_on: String,
    data: String,
    created_at: String,
    modified_at: String,
    modified_by: Option<String>,
}

fn decode_row<R: Row>(row: &R) -> Result<PlaceRow>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    Ok(PlaceRow {
        id: row.try_get("id")?,
        organisation_id: row.try_get("organisation_id")?,
        source: row.try_get("source")?,
        source_id: row.try_get("source_id")?,
        name: row.try_get("name")?,
        insee_code: row.try_get("insee_code")?,
        departement: row.try_get("departement")?,
        updated_on: row.try_get("updated_on")?,
        data: row.try_get("data")?,
        created_at: row.try_get("created_at")?,
        modified_at: row.try_get("modified_at")?,
        modified_by: row.try_get("modified_by")?,
    })
}

/// A merge, for the history.
#[derive(Debug, Clone, PartialEq)]
pub struct MergeSummary {
    pub id: String,
    pub kept_id: String,
    pub merged_at: String,
    pub merged_by: Option<String>,
    /// Names of the merged records (the kept one first), as they were.
    pub names: Vec<String>,
    pub undone_at: Option<String>,
}

fn ordered(a: &str, b: &str) -> (String, String) {
    if a <= b {
        (a.to_string(), b.to_string())
    } else {
        (b.to_string(), a.to_string())
    }
}

/// The columns of `places`, as a literal for `concat!` (SQL text stays static).
macro_rules! row_columns {
    () => {
        "id, organisation_id, source, source_id, name, insee_code, departement, updated_on, data, created_at, modified_at, modified_by"
    };
}

impl Store {
    /// Remembers that two places are not the same (they will not be proposed again).
    pub async fn mark_not_duplicate(&self, a: &str, b: &str, by: Option<&str>) -> Result<()> {
        let (a, b) = ordered(a, b);
        let at = now();
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO duplicate_decisions (a_id, b_id, decision, decided_by, decided_at) VALUES ($1, $2, 'not_duplicate', $3, $4)
                 ON CONFLICT (a_id, b_id) DO UPDATE SET decision = excluded.decision, decided_by = excluded.decided_by, decided_at = excluded.decided_at",
            )
            .bind(&a)
            .bind(&b)
            .bind(by)
            .bind(&at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Pairs marked "not a duplicate" (identifiers in order).
    pub async fn not_duplicates(&self) -> Result<HashSet<(String, String)>> {
        on_pool!(self, pool => {
            let rows = sqlx::query("SELECT a_id, b_id FROM duplicate_decisions WHERE decision = 'not_duplicate'")
                .fetch_all(pool)
                .await?;
            rows.iter()
                .map(|r| Ok((r.try_get("a_id")?, r.try_get("b_id")?)))
                .collect()
        })
    }

    /// Merges a group into `kept` (its identifier is one of `group`): the kept place takes the
    /// merged values, the others are removed, every row is kept in the merge record, and their
    /// provenance now leads to the kept place. One transaction. Returns the merge's identifier.
    pub async fn merge_places(
        &self,
        kept: &Place,
        group: &[String],
        by: Option<&str>,
    ) -> Result<String> {
        let distinct: HashSet<&String> = group.iter().collect();
        if !group.contains(&kept.id) || distinct.len() < 2 || distinct.len() != group.len() {
            return Err(StoreError::Conflict(
                "une fusion réunit au moins deux lieux différents, dont celui qui est gardé".into(),
            ));
        }
        let merge_id = new_id();
        let at = now();
        let data = serde_json::to_string(kept).map_err(corrupt)?;
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let mut rows = Vec::with_capacity(group.len());
            for id in group {
                let row = sqlx::query(concat!("SELECT ", row_columns!(), " FROM places WHERE id = $1"))
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or_else(|| StoreError::Conflict(format!("lieu « {id} » introuvable : déjà fusionné ou supprimé ?")))?;
                rows.push(decode_row(&row)?);
            }
            // The kept row first in the record.
            rows.sort_by_key(|r| r.id != kept.id);
            let records = serde_json::to_string(&rows).map_err(corrupt)?;
            sqlx::query("INSERT INTO merges (id, kept_id, merged_at, merged_by, records) VALUES ($1, $2, $3, $4, $5)")
                .bind(&merge_id)
                .bind(&kept.id)
                .bind(&at)
                .bind(by)
                .bind(&records)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE places SET name = $2, insee_code = $3, departement = $4, updated_on = $5, data = $6, modified_at = $7, modified_by = $8 WHERE id = $1")
                .bind(&kept.id)
                .bind(&kept.name)
                .bind(&kept.insee_code)
                .bind(kept.departement())
                .bind(kept.updated_on.to_string())
                .bind(&data)
                .bind(&at)
                .bind(by)
                .execute(&mut *tx)
                .await?;
            for row in rows.iter().filter(|r| r.id != kept.id) {
                // Reports on a merged-away record now concern the kept place (not lost).
                sqlx::query("UPDATE error_reports SET place_id = $2 WHERE place_id = $1")
                    .bind(&row.id)
                    .bind(&kept.id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM places WHERE id = $1")
                    .bind(&row.id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("UPDATE place_aliases SET place_id = $2 WHERE place_id = $1")
                    .bind(&row.id)
                    .bind(&kept.id)
                    .execute(&mut *tx)
                    .await?;
                if let (Some(source), Some(source_id)) = (&row.source, &row.source_id) {
                    sqlx::query(
                        "INSERT INTO place_aliases (source, source_id, place_id, merge_id) VALUES ($1, $2, $3, $4)
                         ON CONFLICT (source, source_id) DO UPDATE SET place_id = excluded.place_id, merge_id = excluded.merge_id",
                    )
                    .bind(source)
                    .bind(source_id)
                    .bind(&kept.id)
                    .bind(&merge_id)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            tx.commit().await?;
        });
        Ok(merge_id)
    }

    /// Undoes a merge: every place comes back as it was before it (edits made to the kept place
    /// since are lost, the history keeps both). Refused while a later merge of the same place is
    /// in force. `false` when there is no such merge in force.
    pub async fn undo_merge(&self, merge_id: &str, by: Option<&str>) -> Result<bool> {
        let at = now();
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let Some(merge) = sqlx::query("SELECT kept_id, merged_at, records FROM merges WHERE id = $1 AND undone_at IS NULL")
                .bind(merge_id)
                .fetch_optional(&mut *tx)
                .await?
            else {
                return Ok(false);
            };
            let kept_id: String = merge.try_get("kept_id")?;
            let merged_at: String = merge.try_get("merged_at")?;
            let later: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM merges WHERE kept_id = $1 AND undone_at IS NULL AND id <> $2 AND merged_at >= $3",
            )
            .bind(&kept_id)
            .bind(merge_id)
            .bind(&merged_at)
            .fetch_one(&mut *tx)
            .await?;
            if later > 0 {
                return Err(StoreError::Conflict(
                    "une fusion plus récente de ce lieu est en vigueur : annulez-la d'abord".into(),
                ));
            }
            let records: String = merge.try_get("records")?;
            let rows: Vec<PlaceRow> = serde_json::from_str(&records).map_err(corrupt)?;
            sqlx::query("DELETE FROM place_aliases WHERE merge_id = $1")
                .bind(merge_id)
                .execute(&mut *tx)
                .await?;
            // Upserts, not delete + insert: what hangs on the kept place (reports) stays.
            for row in &rows {
                sqlx::query(concat!(
                    "INSERT INTO places (",
                    row_columns!(),
                    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                     ON CONFLICT (id) DO UPDATE SET organisation_id = excluded.organisation_id, source = excluded.source,
                     source_id = excluded.source_id, name = excluded.name, insee_code = excluded.insee_code,
                     departement = excluded.departement, updated_on = excluded.updated_on, data = excluded.data,
                     created_at = excluded.created_at, modified_at = excluded.modified_at, modified_by = excluded.modified_by"
                ))
                .bind(&row.id)
                .bind(&row.organisation_id)
                .bind(&row.source)
                .bind(&row.source_id)
                .bind(&row.name)
                .bind(&row.insee_code)
                .bind(&row.departement)
                .bind(&row.updated_on)
                .bind(&row.data)
                .bind(&row.created_at)
                .bind(&row.modified_at)
                .bind(&row.modified_by)
                .execute(&mut *tx)
                .await?;
            }
            sqlx::query("UPDATE merges SET undone_at = $2, undone_by = $3 WHERE id = $1")
                .bind(merge_id)
                .bind(&at)
                .bind(by)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        Ok(true)
    }

    /// Merges, newest first.
    pub async fn merges(&self, limit: i64) -> Result<Vec<MergeSummary>> {
        on_pool!(self, pool => {
            let rows = sqlx::query("SELECT id, kept_id, merged_at, merged_by, records, undone_at FROM merges ORDER BY merged_at DESC, id DESC LIMIT $1")
                .bind(limit)
                .fetch_all(pool)
                .await?;
            rows.iter()
                .map(|r| {
                    let records: String = r.try_get("records")?;
                    let rows: Vec<PlaceRow> = serde_json::from_str(&records).map_err(corrupt)?;
                    Ok(MergeSummary {
                        id: r.try_get("id")?,
                        kept_id: r.try_get("kept_id")?,
                        merged_at: r.try_get("merged_at")?,
                        merged_by: r.try_get("merged_by")?,
                        names: rows.into_iter().map(|row| row.name).collect(),
                        undone_at: r.try_get("undone_at")?,
                    })
                })
                .collect()
        })
    }

    /// Source identifiers of one source that were merged into another place.
    pub(crate) async fn aliased_source_ids(&self, source: &str) -> Result<HashSet<String>> {
        on_pool!(self, pool => {
            let rows = sqlx::query("SELECT source_id FROM place_aliases WHERE source = $1")
                .bind(source)
                .fetch_all(pool)
                .await?;
            rows.iter().map(|r| Ok(r.try_get("source_id")?)).collect()
        })
    }
}
