//! Importing files of places in the national standard: checked first, written all or nothing,
//! each row's right to create or update asked of the policy.

use maillage_domain::policy::{Action, Actor, Decision, authorize};
use maillage_standard::Report;
use maillage_store::ImportRef;

use crate::{App, AppError, ImportResult, allow, location_of, today};

impl App {
    /// Validates a file without writing anything.
    pub fn check_file(&self, bytes: &[u8]) -> Result<Report, AppError> {
        Ok(maillage_standard::check(bytes, &self.validation_context())?)
    }

    /// Imports a file: all-or-nothing unless `skip_invalid`; re-importing changes nothing.
    pub async fn import_file(
        &self,
        actor: Option<&Actor>,
        bytes: &[u8],
        file_name: &str,
        source: Option<&str>,
        skip_invalid: bool,
    ) -> Result<ImportResult, AppError> {
        self.import_file_watched(
            actor,
            bytes,
            file_name,
            source,
            skip_invalid,
            &maillage_domain::progress::Silent,
        )
        .await
    }

    /// [`App::import_file`] reporting its stages to `progress`, which may interrupt it:
    /// then nothing is written (the store's transaction is rolled back).
    pub async fn import_file_watched(
        &self,
        actor: Option<&Actor>,
        bytes: &[u8],
        file_name: &str,
        source: Option<&str>,
        skip_invalid: bool,
        progress: &dyn maillage_domain::progress::Progress,
    ) -> Result<ImportResult, AppError> {
        allow(authorize(actor, &Action::ImportPlaces, today()))?;
        let report = maillage_standard::check_watched(bytes, &self.validation_context(), progress)?;
        self.import_checked(actor, report, file_name, source, skip_invalid, progress)
            .await
    }

    /// Imports files of data·inclusion v1 (`structures.json` and `services.json`): their
    /// structures that offer digital help become places, through the same checks, rights,
    /// report and provenance as a file of the standard. The provenance is `source`, else the
    /// producer every structure names, else « data·inclusion ».
    #[allow(clippy::too_many_arguments)]
    pub async fn import_data_inclusion(
        &self,
        actor: Option<&Actor>,
        structures: &[u8],
        services: &[u8],
        source: Option<&str>,
        skip_invalid: bool,
        progress: &dyn maillage_domain::progress::Progress,
    ) -> Result<ImportResult, AppError> {
        allow(authorize(actor, &Action::ImportPlaces, today()))?;
        progress.stage("Lecture des fichiers data·inclusion", None);
        let file = maillage_standard::data_inclusion::read(structures, services)?;
        let report = maillage_standard::check_read(file, &self.validation_context(), progress)?;
        self.import_checked(
            actor,
            report,
            "data·inclusion",
            source,
            skip_invalid,
            progress,
        )
        .await
    }

    /// Writes the valid records of a checked file, each asked of the policy.
    async fn import_checked(
        &self,
        actor: Option<&Actor>,
        mut report: Report,
        file_name: &str,
        source: Option<&str>,
        skip_invalid: bool,
        progress: &dyn maillage_domain::progress::Progress,
    ) -> Result<ImportResult, AppError> {
        // Each row is checked against the importer's rights: the place it would update (found
        // by provenance or id, wherever it is) must be theirs to update, and so must its new
        // location; a refused row becomes an error of the report, with its reason.
        // The source the rows are recorded under: named, else the one every row gives, else the
        // file's name.
        let source = source
            .map(str::to_string)
            .or_else(|| {
                let mut given = report
                    .valid()
                    .filter_map(|r| r.place.as_ref())
                    .map(|p| &p.source);
                let first = given.next()?.clone();
                given.all(|s| *s == first).then_some(first).flatten()
            })
            .unwrap_or_else(|| file_name.to_string());
        let ids: Vec<String> = report.valid().map(|r| r.source_id.clone()).collect();
        progress.stage("Recherche des lieux déjà connus", None);
        let targets = self.store.import_targets(&source, &ids).await?;
        let day = today();
        for r in report.records.iter_mut() {
            let Some(place) = &r.place else { continue };
            let refusal = match targets.get(&r.source_id) {
                Some((old, org)) => {
                    let existing = authorize(
                        actor,
                        &Action::UpdatePlace(location_of(old, org.as_deref())),
                        day,
                    );
                    let moved = authorize(
                        actor,
                        &Action::UpdatePlace(location_of(place, org.as_deref())),
                        day,
                    );
                    match (existing, moved) {
                        (Decision::Allow, Decision::Allow) => None,
                        (Decision::Allow, _) => Some(format!(
                            "le lieu « {} » serait déplacé hors de votre territoire",
                            old.name
                        )),
                        _ => Some(format!(
                            "met à jour le lieu existant « {} » ({}), qui n'est ni à une de vos structures ni dans votre territoire",
                            old.name, old.commune
                        )),
                    }
                }
                None => (!authorize(actor, &Action::CreatePlace(location_of(place, None)), day)
                    .is_allowed())
                .then(|| format!("lieu hors de votre territoire ({})", place.commune)),
            };
            if let Some(reason) = refusal {
                r.errors.push(maillage_domain::place::FieldIssue {
                    field: "id".into(),
                    value: r.source_id.clone(),
                    reason,
                });
                r.place = None;
            }
        }
        let changes = changes_of(&report, &targets);
        if report.invalid_count() > 0 && !skip_invalid {
            return Ok(ImportResult {
                report,
                outcome: None,
                changes,
            });
        }
        // The places are lent to the store, not copied.
        let records: Vec<ImportRef<'_>> = report
            .valid()
            .filter_map(|r| {
                r.place.as_ref().map(|place| ImportRef {
                    source_id: &r.source_id,
                    place,
                })
            })
            .collect();
        let text = report.to_text();
        let outcome = self
            .store
            .import_places_watched(
                &source,
                file_name,
                &records,
                report.invalid_count(),
                &text,
                actor.map(|a| a.user_id.as_str()),
                progress,
            )
            .await?;
        self.metrics.imported(
            outcome.created,
            outcome.updated,
            outcome.unchanged,
            report.invalid_count(),
        );
        progress.stage("Mise à jour de l'index de recherche", None);
        self.refresh_index().await?;
        Ok(ImportResult {
            report,
            outcome: Some(outcome),
            changes,
        })
    }
}

impl App {
    /// The latest imports, newest first, for who may import.
    pub async fn import_history(
        &self,
        actor: Option<&Actor>,
        limit: i64,
    ) -> Result<Vec<maillage_store::ImportSummary>, AppError> {
        allow(authorize(actor, &Action::ImportPlaces, today()))?;
        Ok(self.store.imports(limit).await?)
    }
}

/// What the valid rows of a report change: a line per place new to the directory, and per
/// known place whose fields of the standard differ (named) — updated when the file's date of
/// update is newer, else not taken (the store's rule), and said so.
fn changes_of(
    report: &Report,
    targets: &std::collections::HashMap<String, (maillage_domain::Place, Option<String>)>,
) -> Vec<String> {
    let mut lines = Vec::new();
    for r in report.valid() {
        let Some(new) = &r.place else { continue };
        match targets.get(&r.source_id) {
            None => lines.push(format!("Nouveau : {} ({})", new.name, new.commune)),
            Some((old, _)) => {
                let before = maillage_standard::export::record(old);
                let after = maillage_standard::export::record(new);
                let fields: Vec<&str> = maillage_domain::STANDARD_FIELDS
                    .iter()
                    .zip(before.iter().zip(after.iter()))
                    .filter(|(_, (a, b))| a != b)
                    .map(|(f, _)| *f)
                    .collect();
                if fields.is_empty() {
                    continue;
                }
                // The store's rule: only a newer `date_maj` updates a place.
                if new.updated_on > old.updated_on {
                    lines.push(format!(
                        "Modifié : {} ({}) — {}",
                        new.name,
                        new.commune,
                        fields.join(", ")
                    ));
                } else {
                    lines.push(format!(
                        "Non repris : {} ({}) — {} diffère(nt), mais la date de mise à jour du fichier n'est pas plus récente que celle de l'annuaire",
                        old.name,
                        old.commune,
                        fields.join(", ")
                    ));
                }
            }
        }
    }
    lines
}
