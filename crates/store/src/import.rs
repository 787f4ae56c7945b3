//! Imports of places: one transaction that receives the file's valid records chunk by chunk,
//! as they are checked, so that a big file is never held whole.

use std::collections::{HashMap, HashSet};

use futures_util::TryStreamExt;
use maillage_domain::Place;
use sqlx::Row;

use crate::BeginWrite;
use crate::directory::place_json;
use crate::{ImportOutcome, ImportRecord, ImportRef, Result, Store, corrupt, new_id, now, on_pool};

/// Rows written per multi-row INSERT (12 parameters × 400 rows stays under both backends'
/// limits): one statement per batch instead of one per place.
const INSERT_BATCH: usize = 400;

/// Places updated per statement (`UPDATE … FROM (VALUES …)`, 6 parameters a row): one round
/// trip to the database per batch instead of one per place.
const UPDATE_BATCH: usize = 400;

/// Identifiers asked per `IN (…)` when reading the places a chunk would update.
const READ_BATCH: usize = 500;

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

/// A known place's new content waiting for its batch.
struct ChangedRow {
    id: String,
    name: String,
    insee_code: Option<String>,
    departement: Option<String>,
    updated_on: String,
    data: String,
}

/// The import's transaction, on either engine.
enum Tx {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// `on_tx!(self.tx, conn => body)`: the body once per engine, `conn` the transaction's
/// connection.
macro_rules! on_tx {
    ($tx:expr, $conn:ident => $body:expr) => {
        match $tx {
            Tx::Sqlite(tx) => {
                let $conn = &mut **tx;
                $body
            }
            Tx::Postgres(tx) => {
                let $conn = &mut **tx;
                $body
            }
        }
    };
}

/// An import under way: its records are written as they come ([`ImportSession::write`]), in
/// one transaction that [`ImportSession::finish`] commits. Dropped unfinished — an error, an
/// interruption, a file refused whole —, it writes nothing.
///
/// A record is matched to a place by provenance (source, producer id), or by Maillage id
/// (re-import of Maillage's own export). A newer `date_maj` updates the place; the same or an
/// older one never overwrites it (the same date may hide edits or a merge made in Maillage
/// since; and as the date is part of a place's content, content identical to the stored one
/// has the same date and changes nothing). Places with a known pivot are attached to the
/// organisation of that pivot (created when new). Records merged into another place live on
/// in it: a later import leaves them there.
pub struct ImportSession {
    tx: Tx,
    source: String,
    by: Option<String>,
    at: String,
    outcome: ImportOutcome,
    pending: Vec<NewRow>,
    changed: Vec<ChangedRow>,
    /// The ids in `changed`: a place changed twice waits for the first change's batch.
    changed_ids: HashSet<String>,
    /// Every place's date of update by id (what matching and the date rule need: never every
    /// place's data).
    updated: HashMap<String, Option<chrono::NaiveDate>>,
    /// This source's places by producer id.
    by_provenance: HashMap<String, String>,
    /// Organisations by pivot.
    orgs: HashMap<String, String>,
    merged_away: HashSet<String>,
}

impl Store {
    /// Imports valid records in one transaction (see [`ImportSession`] for the rules).
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

    /// [`Store::import_places`], reporting each record to `progress`; when it asks to stop,
    /// the transaction is rolled back and nothing is written ([`crate::StoreError::Interrupted`]).
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
        let mut session = self.begin_import(source, by).await?;
        progress.stage("Écriture dans l'annuaire", Some(records.len() as u64));
        session.write(records, progress).await?;
        session.finish(file_name, rejected, report).await
    }

    /// Begins an import into `source`: takes the write lock (SQLite) and reads what matching
    /// needs — every place's id and date of update, this source's producer ids, the
    /// organisations' pivots.
    pub async fn begin_import(&self, source: &str, by: Option<&str>) -> Result<ImportSession> {
        let merged_away = self.aliased_source_ids(source).await?;
        let tx = match self {
            Store::Sqlite(pool) => Tx::Sqlite(pool.begin_write().await?),
            Store::Postgres(pool) => Tx::Postgres(pool.begin_write().await?),
        };
        let mut session = ImportSession {
            tx,
            source: source.to_string(),
            by: by.map(str::to_string),
            at: now(),
            outcome: ImportOutcome::default(),
            pending: Vec::with_capacity(INSERT_BATCH),
            changed: Vec::with_capacity(UPDATE_BATCH),
            changed_ids: HashSet::new(),
            updated: HashMap::new(),
            by_provenance: HashMap::new(),
            orgs: HashMap::new(),
            merged_away,
        };
        session.read_matching().await?;
        Ok(session)
    }
}

impl Store {
    /// The existing place each record of an import into `source` would update, with its
    /// organisation, found as [`ImportSession::targets`] finds it (by provenance in this
    /// source, else by Maillage's id) but without a transaction: for a file refused whole,
    /// whose import holds no write lock while the rest of it is checked for its report.
    pub async fn import_targets(
        &self,
        source: &str,
        source_ids: &[&str],
    ) -> Result<HashMap<String, (Place, Option<String>)>> {
        let mut by_provenance = HashMap::new();
        let mut by_id = HashMap::new();
        for batch in source_ids.chunks(READ_BATCH) {
            let wanted: HashSet<&str> = batch.iter().copied().collect();
            let rows = on_pool!(self, pool => {
                let mut query = sqlx::QueryBuilder::new(
                    "SELECT id, organisation_id, source, source_id, data FROM places WHERE (source = ",
                );
                query.push_bind(source).push(" AND source_id IN (");
                let mut list = query.separated(", ");
                for sid in batch {
                    list.push_bind(*sid);
                }
                query.push(")) OR id IN (");
                let mut list = query.separated(", ");
                for sid in batch {
                    list.push_bind(*sid);
                }
                query.push(")");
                query
                    .build()
                    .fetch_all(pool)
                    .await?
                    .into_iter()
                    .map(|row| {
                        let id: String = row.try_get("id")?;
                        let org: Option<String> = row.try_get("organisation_id")?;
                        let src: Option<String> = row.try_get("source")?;
                        let sid: Option<String> = row.try_get("source_id")?;
                        let data: String = row.try_get("data")?;
                        Ok((id, org, src, sid, data))
                    })
                    .collect::<Result<Vec<_>>>()?
            });
            for (id, org, src, sid, data) in rows {
                let place: Place = serde_json::from_str(&data).map_err(corrupt)?;
                if src.as_deref() == Some(source)
                    && let Some(sid) = sid.filter(|s| wanted.contains(s.as_str()))
                {
                    by_provenance.insert(sid, (place.clone(), org.clone()));
                }
                if wanted.contains(id.as_str()) {
                    by_id.insert(id, (place, org));
                }
            }
        }
        let mut out = HashMap::new();
        for sid in source_ids {
            if let Some(t) = by_provenance.remove(*sid).or_else(|| by_id.remove(*sid)) {
                out.insert(sid.to_string(), t);
            }
        }
        Ok(out)
    }
}

impl ImportSession {
    /// The source the records are written under.
    pub fn source(&self) -> &str {
        &self.source
    }

    async fn read_matching(&mut self) -> Result<()> {
        let Self {
            tx,
            source,
            updated,
            by_provenance,
            orgs,
            ..
        } = self;
        on_tx!(tx, conn => {
            {
                let mut rows = sqlx::query("SELECT id, source, source_id, updated_on FROM places")
                    .fetch(&mut *conn);
                while let Some(row) = rows.try_next().await? {
                    let id: String = row.try_get("id")?;
                    let src: Option<String> = row.try_get("source")?;
                    let sid: Option<String> = row.try_get("source_id")?;
                    let on: String = row.try_get("updated_on")?;
                    if src.as_deref() == Some(source.as_str()) && let Some(sid) = sid {
                        by_provenance.insert(sid, id.clone());
                    }
                    updated.insert(id, on.parse().ok());
                }
            }
            for row in sqlx::query("SELECT id, pivot FROM organisations WHERE pivot IS NOT NULL")
                .fetch_all(&mut *conn)
                .await?
            {
                orgs.insert(row.try_get("pivot")?, row.try_get("id")?);
            }
        });
        Ok(())
    }

    /// The place a record with this producer id would update: by provenance, else by id.
    fn matched<'a>(&'a self, source_id: &'a str) -> Option<&'a str> {
        self.by_provenance
            .get(source_id)
            .map(String::as_str)
            .or_else(|| self.updated.contains_key(source_id).then_some(source_id))
    }

    /// The existing place each of these records would update, with its organisation — found
    /// as [`ImportSession::write`] finds it, in the import's own transaction (the places
    /// written by its earlier chunks included). Lets the caller check the right to update each
    /// one before writing it.
    pub async fn targets(
        &mut self,
        source_ids: &[&str],
    ) -> Result<HashMap<String, (Place, Option<String>)>> {
        let mut wanted: HashMap<String, Vec<&str>> = HashMap::new();
        for sid in source_ids {
            if self.merged_away.contains(*sid) {
                continue;
            }
            if let Some(id) = self.matched(sid) {
                wanted.entry(id.to_string()).or_default().push(sid);
            }
        }
        let mut out = HashMap::new();
        if wanted.is_empty() {
            return Ok(out);
        }
        self.flush().await?;
        let ids: Vec<&String> = wanted.keys().collect();
        for batch in ids.chunks(READ_BATCH) {
            let rows = on_tx!(&mut self.tx, conn => {
                let mut query = sqlx::QueryBuilder::new(
                    "SELECT id, organisation_id, data FROM places WHERE id IN (",
                );
                let mut list = query.separated(", ");
                for id in batch {
                    list.push_bind(id.as_str());
                }
                query.push(")");
                query
                    .build()
                    .fetch_all(&mut *conn)
                    .await?
                    .into_iter()
                    .map(|row| {
                        let id: String = row.try_get("id")?;
                        let org: Option<String> = row.try_get("organisation_id")?;
                        let data: String = row.try_get("data")?;
                        Ok((id, org, data))
                    })
                    .collect::<Result<Vec<_>>>()?
            });
            for (id, org, data) in rows {
                let place: Place = serde_json::from_str(&data).map_err(corrupt)?;
                for sid in wanted.get(&id).into_iter().flatten() {
                    out.insert(sid.to_string(), (place.clone(), org.clone()));
                }
            }
        }
        Ok(out)
    }

    /// Writes these records, advancing `progress` by one step each; when it asks to stop, the
    /// session ends without writing anything ([`crate::StoreError::Interrupted`]).
    pub async fn write(
        &mut self,
        records: &[ImportRef<'_>],
        progress: &dyn maillage_domain::progress::Progress,
    ) -> Result<()> {
        for rec in records {
            // Dropping the transaction rolls everything back.
            progress.check()?;
            progress.advance(1);
            self.write_one(rec).await?;
        }
        Ok(())
    }

    async fn write_one(&mut self, rec: &ImportRef<'_>) -> Result<()> {
        if self.merged_away.contains(rec.source_id) {
            self.outcome.unchanged += 1;
            return Ok(());
        }
        let mut place = rec.place.clone();
        match self.matched(rec.source_id).map(str::to_string) {
            Some(id) => {
                // (The place may be one of this import's, still waiting for its batch: the
                // batches of new places are written before those of changes.)
                let old_on = match self.updated.get(&id).copied().flatten() {
                    Some(on) => on,
                    // A date the column does not give: the place's own.
                    None => {
                        self.flush().await?;
                        let data: String = on_tx!(&mut self.tx, conn => {
                            sqlx::query_scalar("SELECT data FROM places WHERE id = $1")
                                .bind(&id)
                                .fetch_one(&mut *conn)
                                .await?
                        });
                        serde_json::from_str::<Place>(&data)
                            .map_err(corrupt)?
                            .updated_on
                    }
                };
                // Only a newer `date_maj` updates.
                if place.updated_on <= old_on {
                    self.outcome.unchanged += 1;
                    return Ok(());
                }
                place.id = id;
                if self.changed_ids.contains(&place.id) {
                    self.flush().await?;
                }
                self.changed_ids.insert(place.id.clone());
                self.changed.push(ChangedRow {
                    data: place_json(&place)?,
                    departement: place.departement(),
                    updated_on: place.updated_on.to_string(),
                    id: place.id.clone(),
                    name: place.name,
                    insee_code: place.insee_code,
                });
                if self.changed.len() >= UPDATE_BATCH {
                    self.flush().await?;
                }
                self.updated
                    .insert(place.id.clone(), Some(place.updated_on));
                self.outcome.updated += 1;
            }
            None => {
                place.id = if self.updated.contains_key(rec.source_id) || rec.source_id.len() > 120
                {
                    new_id()
                } else {
                    rec.source_id.to_string()
                };
                self.updated
                    .insert(place.id.clone(), Some(place.updated_on));
                let organisation_id = if place.pivot_is_unknown() || place.pivot.is_empty() {
                    None
                } else if let Some(id) = self.orgs.get(&place.pivot) {
                    Some(id.clone())
                } else {
                    let id = new_id();
                    let at = &self.at;
                    on_tx!(&mut self.tx, conn => {
                        sqlx::query(
                            "INSERT INTO organisations (id, name, pivot, typologies, departement, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
                        )
                        .bind(&id)
                        .bind(place.parent_structure.as_deref().unwrap_or(&place.name))
                        .bind(&place.pivot)
                        .bind(place.typologies.join("|"))
                        .bind(place.departement())
                        .bind(at)
                        .execute(&mut *conn)
                        .await?;
                    });
                    self.orgs.insert(place.pivot.clone(), id.clone());
                    Some(id)
                };
                let data = place_json(&place)?;
                self.by_provenance
                    .insert(rec.source_id.to_string(), place.id.clone());
                self.pending.push(NewRow {
                    departement: place.departement(),
                    updated_on: place.updated_on.to_string(),
                    id: place.id,
                    organisation_id,
                    source_id: rec.source_id.to_string(),
                    name: place.name,
                    insee_code: place.insee_code,
                    data,
                });
                if self.pending.len() >= INSERT_BATCH {
                    self.flush().await?;
                }
                self.outcome.created += 1;
            }
        }
        Ok(())
    }

    /// Writes the new places waiting for their batch, in one multi-row INSERT, then the known
    /// places' changes, in one multi-row UPDATE (a place may be created then changed by the
    /// same import).
    async fn flush(&mut self) -> Result<()> {
        let (source, at, by) = (&self.source, &self.at, self.by.as_deref());
        if !self.pending.is_empty() {
            let pending = &mut self.pending;
            on_tx!(&mut self.tx, conn => {
                let mut insert = sqlx::QueryBuilder::new(
                    "INSERT INTO places (id, organisation_id, source, source_id, name, insee_code, departement, updated_on, data, created_at, modified_at, modified_by) ",
                );
                insert.push_values(pending.drain(..), |mut row, new: NewRow| {
                    row.push_bind(new.id)
                        .push_bind(new.organisation_id)
                        .push_bind(source)
                        .push_bind(new.source_id)
                        .push_bind(new.name)
                        .push_bind(new.insee_code)
                        .push_bind(new.departement)
                        .push_bind(new.updated_on)
                        .push_bind(new.data)
                        .push_bind(at)
                        .push_bind(at)
                        .push_bind(by);
                });
                insert.build().execute(&mut *conn).await?;
            });
        }
        if !self.changed.is_empty() {
            let changed = &mut self.changed;
            // Both engines name a VALUES list's columns column1, column2…
            on_tx!(&mut self.tx, conn => {
                let mut update = sqlx::QueryBuilder::new("UPDATE places SET name = v.column2, insee_code = v.column3, departement = v.column4, updated_on = v.column5, data = v.column6, modified_at = ");
                update.push_bind(at).push(", modified_by = ").push_bind(by).push(" FROM (");
                update.push_values(changed.drain(..), |mut row, new: ChangedRow| {
                    row.push_bind(new.id)
                        .push_bind(new.name)
                        .push_bind(new.insee_code)
                        .push_bind(new.departement)
                        .push_bind(new.updated_on)
                        .push_bind(new.data);
                });
                update.push(") AS v WHERE places.id = v.column1");
                update.build().execute(&mut *conn).await?;
            });
            self.changed_ids.clear();
        }
        Ok(())
    }

    /// Records the import in the history with its report, and commits: what it did.
    pub async fn finish(
        mut self,
        file_name: &str,
        rejected: usize,
        report: &str,
    ) -> Result<ImportOutcome> {
        self.flush().await?;
        let outcome = std::mem::take(&mut self.outcome);
        macro_rules! commit {
            ($tx:expr) => {{
                let mut tx = $tx;
                sqlx::query(
                    "INSERT INTO imports (id, at, user_id, source, file_name, created, updated, unchanged, rejected, report) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                    .bind(new_id())
                    .bind(&self.at)
                    .bind(self.by.as_deref())
                    .bind(&self.source)
                    .bind(file_name)
                    .bind(outcome.created as i64)
                    .bind(outcome.updated as i64)
                    .bind(outcome.unchanged as i64)
                    .bind(rejected as i64)
                    .bind(report)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
            }};
        }
        match self.tx {
            Tx::Sqlite(tx) => commit!(tx),
            Tx::Postgres(tx) => commit!(tx),
        }
        Ok(outcome)
    }
}
