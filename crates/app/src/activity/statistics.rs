//! The statistics of activity records: the cube kept up to date with the store, the scopes
//! a viewer may see, the indicators, and their exports (CSV, XLSX, JSON).

use super::*;
use std::collections::BTreeMap;

impl App {
    // ----- the cube -----

    /// Brings the cube up to date with the store (everything on first use, then the log of
    /// changes) and returns it for reading.
    pub async fn cube(&self) -> Result<tokio::sync::OwnedRwLockReadGuard<CubeState>, AppError> {
        let (loaded, seq) = {
            let s = self.stats.0.read().await;
            (s.loaded, s.seq)
        };
        if !loaded {
            let mut s = self.stats.0.clone().write_owned().await;
            if !s.loaded {
                // From the snapshot and the changes logged since (checked below like any
                // instance's), or from every record.
                match self.read_cube_snapshot().await {
                    Some((cube, seq)) => {
                        s.cube = cube;
                        s.seq = seq;
                    }
                    None => {
                        let seq = self.store.last_activity_change().await?;
                        s.cube = self.load_cube().await?;
                        s.seq = seq;
                    }
                }
                s.loaded = true;
            }
            drop(s);
            return Box::pin(self.cube()).await;
        }
        let changes = self
            .store
            .activity_changes_since(seq.saturating_sub(OVERLAP))
            .await?;
        // Changes this instance never saw were purged (it stayed idle more than a day): the
        // log cannot bring it up to date, the store can.
        if changes.first().is_some_and(|(n, _, _)| *n > seq + 1)
            && self.store.first_activity_change().await? > seq + 1
        {
            let mut s = self.stats.0.clone().write_owned().await;
            let last = self.store.last_activity_change().await?;
            s.cube = self.load_cube().await?;
            s.seq = last;
            return Ok(s.downgrade());
        }
        if changes.iter().any(|(n, _, _)| *n > seq) {
            let mut s = self.stats.0.clone().write_owned().await;
            for (n, kind, id) in &changes {
                self.apply_change(&mut s.cube, kind, id).await?;
                s.seq = s.seq.max(*n);
            }
            return Ok(s.downgrade());
        }
        Ok(self.stats.0.clone().read_owned().await)
    }

    async fn apply_change(&self, cube: &mut Cube, kind: &str, id: &str) -> Result<(), AppError> {
        match kind {
            "activite" => match self.store.activity(id).await? {
                Some(a) => cube.upsert(Entry {
                    key: key_of(&a.id),
                    activity: &a.activity,
                    organisation_id: &a.organisation_id,
                    helper_id: a.helper_id.as_deref(),
                }),
                None => cube.remove(key_of(id)),
            },
            "personne" => {
                let profile = self.store.person_profile(id).await?;
                cube.set_person(id, &profile);
            }
            "orientation" => {
                if let Some(status) = self
                    .store
                    .referral_status(id)
                    .await?
                    .as_deref()
                    .and_then(ReferralStatus::from_slug)
                {
                    cube.set_referral_status(id, status);
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The cube of the stored snapshot and the change it is as of, when one can be read (of
    /// this program's format, undamaged); decompressed and checked off the async threads.
    async fn read_cube_snapshot(&self) -> Option<(Cube, i64)> {
        let (seq, format, bytes) = match self.store.cube_snapshot().await {
            Ok(Some(snapshot)) => snapshot,
            Ok(None) => return None,
            Err(e) => {
                tracing::warn!("instantané des statistiques illisible dans la base : {e}");
                return None;
            }
        };
        if format != maillage_domain::indicators::SNAPSHOT_FORMAT {
            tracing::info!("instantané des statistiques d'un autre format ({format}) : ignoré");
            return None;
        }
        let read = tokio::task::spawn_blocking(move || {
            let raw = zstd::decode_all(bytes.as_slice()).map_err(|e| e.to_string())?;
            Cube::from_snapshot(&raw).map_err(|e| e.to_string())
        })
        .await;
        match read {
            Ok(Ok(cube)) => Some((cube, seq)),
            Ok(Err(e)) => {
                tracing::warn!("instantané des statistiques refusé, comptes rendus relus : {e}");
                None
            }
            Err(e) => {
                tracing::error!("lecture de l'instantané des statistiques arrêtée : {e}");
                None
            }
        }
    }

    /// Writes the cube's snapshot when records changed since the last one (the hourly job):
    /// what it did, in French. The cube is brought up to date first (loaded if this instance
    /// had not), then encoded and compressed off the async threads.
    pub async fn write_cube_snapshot(&self) -> Result<String, AppError> {
        let last = self.store.last_activity_change().await?;
        let stored = self.store.cube_snapshot_mark().await?;
        let format = maillage_domain::indicators::SNAPSHOT_FORMAT;
        if stored == Some((last, format)) {
            return Ok("instantané à jour".into());
        }
        if stored.is_none() && self.store.count_activities().await? == 0 {
            return Ok("aucun compte rendu".into());
        }
        let cube = self.cube().await?;
        let (seq, records) = (cube.seq, cube.cube.len() as u64);
        let bytes = tokio::task::spawn_blocking(move || {
            let mut encoder = zstd::Encoder::new(Vec::new(), 3)?;
            cube.cube.write_snapshot(&mut encoder)?;
            encoder.finish()
        })
        .await
        .map_err(|e| AppError::Operation(format!("instantané des statistiques : {e}")))?
        .map_err(|e| AppError::Operation(format!("instantané des statistiques : {e}")))?;
        self.store
            .save_cube_snapshot(seq, format, records, &bytes)
            .await?;
        Ok(format!(
            "instantané de {records} compte(s) rendu(s) écrit ({} Ko)",
            bytes.len().div_ceil(1024)
        ))
    }

    /// Builds the cube from every record, page by page.
    pub async fn load_cube(&self) -> Result<Cube, AppError> {
        let mut cube = Cube::default();
        for (id, profile) in self.store.person_profiles().await? {
            cube.set_person(&id, &profile);
        }
        for (id, status) in self.store.linked_referral_statuses().await? {
            if let Some(s) = ReferralStatus::from_slug(&status) {
                cube.set_referral_status(&id, s);
            }
        }
        let mut after: Option<String> = None;
        loop {
            let page = self.store.activities_page(after.as_deref(), PAGE).await?;
            let Some(last) = page.last() else { break };
            after = Some(last.id.clone());
            for a in &page {
                cube.upsert(Entry {
                    key: key_of(&a.id),
                    activity: &a.activity,
                    organisation_id: &a.organisation_id,
                    helper_id: a.helper_id.as_deref(),
                });
            }
        }
        Ok(cube)
    }

    // ----- who sees what -----

    /// The structures whose statistics the viewer may see.
    pub async fn visible_organisations(
        &self,
        actor: Option<&Actor>,
    ) -> Result<Vec<Organisation>, AppError> {
        let day = today();
        Ok(self
            .store
            .organisations()
            .await?
            .into_iter()
            .filter(|o| {
                authorize(actor, &Action::ViewStatistics(location_of_org(o)), day).is_allowed()
            })
            .collect())
    }

    /// The structures the viewer records for (member today).
    pub async fn recording_organisations(
        &self,
        actor: Option<&Actor>,
    ) -> Result<Vec<Organisation>, AppError> {
        let Some(actor) = actor else {
            return Err(AppError::SignInRequired);
        };
        let day = today();
        Ok(self
            .store
            .organisations()
            .await?
            .into_iter()
            .filter(|o| actor.member_of(&o.id, day))
            .collect())
    }

    /// Narrows a filter to what the viewer may see in a scope.
    /// The filter of an export of records, one line each (not aggregates): the scope's
    /// structures must all be the actor's own — records stay within the structure that made
    /// them, coordinators and administrators included unless members (they have the
    /// statistics and their exports).
    pub async fn records_filter(
        &self,
        actor: Option<&Actor>,
        scope: &Scope,
        filter: Filter,
    ) -> Result<Filter, AppError> {
        let filter = self.scoped_filter(actor, scope, filter).await?;
        let day = today();
        for org in filter
            .organisations
            .iter()
            .filter(|o| !o.starts_with('\u{0}'))
        {
            allow(authorize(
                actor,
                &Action::RecordActivity {
                    organisation_id: org.clone(),
                },
                day,
            ))
            .map_err(|_| {
                AppError::Forbidden(
                    "l'export ligne à ligne des comptes rendus est réservé aux membres de la structure : les statistiques et leurs exports donnent les chiffres",
                )
            })?;
        }
        Ok(filter)
    }

    pub async fn scoped_filter(
        &self,
        actor: Option<&Actor>,
        scope: &Scope,
        mut filter: Filter,
    ) -> Result<Filter, AppError> {
        let Some(actor) = actor else {
            return Err(AppError::SignInRequired);
        };
        match scope {
            Scope::Mine => {
                filter.helpers = vec![actor.user_id.clone()];
                filter.organisations = self
                    .recording_organisations(Some(actor))
                    .await?
                    .into_iter()
                    .map(|o| o.id)
                    .collect();
                // Records of structures the helper left stay theirs.
                if filter.organisations.is_empty() {
                    filter.organisations = vec![String::from("\u{0}aucune")];
                }
            }
            Scope::Organisation(id) => {
                let o = self
                    .store
                    .organisation(id)
                    .await?
                    .ok_or(AppError::NotFound)?;
                allow(authorize(
                    Some(actor),
                    &Action::ViewStatistics(location_of_org(&o)),
                    today(),
                ))?;
                filter.organisations = vec![o.id];
            }
            Scope::Territory => {
                let visible: HashSet<String> = self
                    .visible_organisations(Some(actor))
                    .await?
                    .into_iter()
                    .map(|o| o.id)
                    .collect();
                if visible.is_empty() {
                    return Err(AppError::Forbidden(
                        "aucune structure dont vous pouvez voir les statistiques",
                    ));
                }
                filter.organisations = if filter.organisations.is_empty() {
                    visible.into_iter().collect()
                } else {
                    filter
                        .organisations
                        .into_iter()
                        .filter(|o| visible.contains(o))
                        .collect()
                };
                filter.organisations.sort();
                if filter.organisations.is_empty() {
                    filter.organisations = vec![String::from("\u{0}aucune")];
                }
            }
        }
        Ok(filter)
    }

    // ----- statistics -----

    /// Every indicator for a scope and filter, with places, communes and helpers named.
    pub async fn statistics(
        &self,
        actor: Option<&Actor>,
        scope: &Scope,
        filter: Filter,
    ) -> Result<Statistics, AppError> {
        let filter = self.scoped_filter(actor, scope, filter).await?;
        self.statistics_of(&filter).await
    }

    /// Statistics for a filter already bounded (share links, CLI).
    pub async fn statistics_of(&self, filter: &Filter) -> Result<Statistics, AppError> {
        let guard = self.cube().await?;
        let f = filter.clone();
        let mut stats = tokio::task::spawn_blocking(move || guard.cube.statistics(&f))
            .await
            .map_err(|e| AppError::Invalid(format!("calcul interrompu : {e}")))?;
        self.name_entities(&mut stats).await?;
        Ok(stats)
    }

    async fn name_entities(&self, stats: &mut Statistics) -> Result<(), AppError> {
        let ids = |i: Indicator, s: &Statistics| -> Vec<String> {
            s.table(i)
                .map(|t| {
                    t.rows
                        .iter()
                        .filter(|r| !r.key.is_empty())
                        .map(|r| r.key.clone())
                        .collect()
                })
                .unwrap_or_default()
        };
        let places: HashMap<String, String> = self
            .store
            .places(&ids(Indicator::Places, stats))
            .await?
            .into_iter()
            .map(|p| (p.place.id, p.place.name))
            .collect();
        stats.relabel(Indicator::Places, |k| places.get(k).cloned());
        let mut helpers = HashMap::new();
        for id in ids(Indicator::Helpers, stats) {
            if let Some(u) = self.store.user(&id).await? {
                helpers.insert(id, u.display_name);
            }
        }
        stats.relabel(Indicator::Helpers, |k| {
            Some(
                helpers
                    .get(k)
                    .cloned()
                    .unwrap_or_else(|| "Compte supprimé ou import".to_string()),
            )
        });
        let referential = self.referential.clone();
        stats.relabel(Indicator::Communes, |k| {
            referential
                .by_code(k)
                .map(|c| format!("{} ({})", c.name, c.departement))
        });
        Ok(())
    }
}

// ----- exports of statistics -----

/// The statistics as CSV: one line per figure and per table row (`indicateur`, `cle`,
/// `libelle`, `valeur`, `part`).
pub fn statistics_csv(stats: &Statistics) -> Result<Vec<u8>, AppError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let err = |e: csv::Error| AppError::Invalid(format!("écriture du CSV : {e}"));
    w.write_record([
        "indicateur",
        "titre",
        "cle",
        "libelle",
        "valeur",
        "part_pourcent",
    ])
    .map_err(err)?;
    for f in &stats.figures {
        w.write_record([
            f.indicator.id(),
            f.indicator.title(),
            "",
            "",
            &f.value.to_string(),
            "",
        ])
        .map_err(err)?;
    }
    for t in &stats.tables {
        for r in &t.rows {
            w.write_record([
                t.indicator.id(),
                t.indicator.title(),
                &maillage_domain::spreadsheet::cell(&r.key),
                &maillage_domain::spreadsheet::cell(&r.label),
                &r.value.to_string(),
                &t.share(r.value).to_string(),
            ])
            .map_err(err)?;
        }
    }
    w.into_inner()
        .map_err(|e| AppError::Invalid(format!("écriture du CSV : {e}")))
}

/// The statistics as XLSX: a sheet of figures (with the filters and definitions), then one
/// sheet per table.
pub fn statistics_xlsx(stats: &Statistics, heading: &str) -> Result<Vec<u8>, AppError> {
    use rust_xlsxwriter::{Format, Workbook};
    let err = |e: rust_xlsxwriter::XlsxError| AppError::Invalid(format!("écriture du XLSX : {e}"));
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let sheet = book.add_worksheet();
    sheet.set_name("chiffres-cles").map_err(err)?;
    sheet.write_with_format(0, 0, heading, &bold).map_err(err)?;
    for (c, h) in ["Identifiant", "Indicateur", "Valeur", "Définition"]
        .iter()
        .enumerate()
    {
        sheet
            .write_with_format(2, c as u16, *h, &bold)
            .map_err(err)?;
    }
    for (i, f) in stats.figures.iter().enumerate() {
        let row = 3 + i as u32;
        sheet.write(row, 0, f.indicator.id()).map_err(err)?;
        sheet.write(row, 1, f.indicator.title()).map_err(err)?;
        sheet.write(row, 2, f.value).map_err(err)?;
        sheet.write(row, 3, f.indicator.definition()).map_err(err)?;
    }
    sheet.set_column_width(1, 32).map_err(err)?;
    sheet.set_column_width(3, 80).map_err(err)?;
    for t in &stats.tables {
        let sheet = book.add_worksheet();
        // Sheet names: 31 characters at most.
        let name: String = t.indicator.id().chars().take(31).collect();
        sheet.set_name(&name).map_err(err)?;
        sheet
            .write_with_format(0, 0, t.indicator.title(), &bold)
            .map_err(err)?;
        sheet.write(1, 0, t.indicator.definition()).map_err(err)?;
        for (c, h) in ["Clé", "Libellé", "Valeur", "Part (%)"].iter().enumerate() {
            sheet
                .write_with_format(3, c as u16, *h, &bold)
                .map_err(err)?;
        }
        for (i, r) in t.rows.iter().enumerate() {
            let row = 4 + i as u32;
            sheet
                .write(row, 0, maillage_domain::spreadsheet::cell(&r.key).as_ref())
                .map_err(err)?;
            sheet
                .write(
                    row,
                    1,
                    maillage_domain::spreadsheet::cell(&r.label).as_ref(),
                )
                .map_err(err)?;
            sheet.write(row, 2, r.value as f64).map_err(err)?;
            sheet.write(row, 3, t.share(r.value)).map_err(err)?;
        }
        sheet.set_column_width(1, 48).map_err(err)?;
    }
    book.save_to_buffer().map_err(err)
}

/// The statistics as the API and the CLI give them: the filters applied, figures by id, tables
/// by id with rows and shares.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[schema(as = Statistiques)]
pub struct StatisticsView {
    /// The filters applied, by name (the structure aside).
    pub filtres: BTreeMap<String, Vec<String>>,
    /// Figures by indicator id.
    pub chiffres: BTreeMap<String, f64>,
    /// Tables by indicator id.
    pub tableaux: BTreeMap<String, TableView>,
}

/// One table of the statistics.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[schema(as = Tableau)]
pub struct TableView {
    pub titre: &'static str,
    pub definition: &'static str,
    /// What shares are computed against.
    pub base: u64,
    pub lignes: Vec<RowView>,
}

/// One row of a table.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[schema(as = LigneTableau)]
pub struct RowView {
    pub cle: String,
    pub libelle: String,
    pub valeur: u64,
    /// Share of the base, in percent with one decimal.
    pub part: f64,
}

impl StatisticsView {
    pub fn of(stats: &Statistics, filter: &Filter) -> Self {
        let mut filtres: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (k, v) in filter.to_pairs() {
            if k != "structure" {
                filtres.entry(k.to_string()).or_default().push(v);
            }
        }
        StatisticsView {
            filtres,
            chiffres: stats
                .figures
                .iter()
                .map(|f| (f.indicator.id().to_string(), f.value))
                .collect(),
            tableaux: stats
                .tables
                .iter()
                .map(|t| {
                    let table = TableView {
                        titre: t.indicator.title(),
                        definition: t.indicator.definition(),
                        base: t.base,
                        lignes: t
                            .rows
                            .iter()
                            .map(|r| RowView {
                                cle: r.key.clone(),
                                libelle: r.label.clone(),
                                valeur: r.value,
                                part: t.share(r.value),
                            })
                            .collect(),
                    };
                    (t.indicator.id().to_string(), table)
                })
                .collect(),
        }
    }
}
