//! Importing files of places in the national standard: each chunk of records checked off the
//! async threads, then written as it comes in one transaction — a big file is never held whole —,
//! all or nothing, each row's right to create or update asked of the policy.

use bytes::Bytes;
use maillage_domain::policy::{Action, Actor, Decision, authorize};
use maillage_domain::progress::{Progress, Silent};
use maillage_domain::{FieldIssue, Place};
use maillage_standard::check::RecordReport;
use maillage_standard::{Format, StandardError, Tally, Version};
use maillage_store::{ImportRef, ImportSession};
use tokio::sync::mpsc;

use crate::{App, AppError, ImportResult, allow, location_of, today};

/// Records checked, sent and written at a time: a few chunks are alive at once (one checked,
/// one waiting, one written), so they are smaller than a check's own (about 120 MB at the
/// peak of a 50,000-row import instead of 140 with chunks of 2,048).
const CHUNK: usize = 512;

/// A file to check or import, owned so that it can be read off the async threads.
#[derive(Clone)]
enum Input {
    Standard(Bytes),
    DataInclusion { structures: Bytes, services: Bytes },
}

/// What the checking thread tells the async side, in file order.
enum Event {
    Stage(String, Option<u64>),
    Advance(u64),
    Opened {
        format: Format,
        version: Version,
        notes: Vec<String>,
    },
    Records(Vec<RecordReport>),
}

/// The checking thread's progress, relayed to the caller's through the channel; the check
/// stops when the async side is gone (an error, an interruption).
struct Relay(mpsc::Sender<Event>);

impl Progress for Relay {
    fn stage(&self, label: &str, steps: Option<u64>) {
        let _ = self.0.blocking_send(Event::Stage(label.to_string(), steps));
    }
    fn advance(&self, steps: u64) {
        let _ = self.0.blocking_send(Event::Advance(steps));
    }
    fn interrupted(&self) -> bool {
        self.0.is_closed()
    }
}

/// How an import's pass ended.
enum Pass {
    Done(ImportResult),
    /// No source was named and the valid rows turned out not to give the same one: the
    /// provisional source's writes are rolled back, and the file is imported again under
    /// its name.
    SourcesDiffer,
}

impl App {
    /// Validates a file without writing anything: its counts and the records with something
    /// to say.
    pub async fn check_file(
        &self,
        bytes: impl Into<Bytes>,
        progress: &dyn Progress,
    ) -> Result<Tally, AppError> {
        let mut checking = self.spawn_check(Input::Standard(bytes.into()));
        while let Some((chunk, tally)) = checking.next(progress).await? {
            chunk.into_iter().for_each(|r| tally.add(r));
        }
        checking.end().await
    }

    /// Imports a file: all-or-nothing unless `skip_invalid`; re-importing changes nothing.
    pub async fn import_file(
        &self,
        actor: Option<&Actor>,
        bytes: impl Into<Bytes>,
        file_name: &str,
        source: Option<&str>,
        skip_invalid: bool,
    ) -> Result<ImportResult, AppError> {
        self.import_file_watched(actor, bytes, file_name, source, skip_invalid, &Silent)
            .await
    }

    /// [`App::import_file`] reporting its stages to `progress`, which may interrupt it:
    /// then nothing is written (the store's transaction is rolled back).
    pub async fn import_file_watched(
        &self,
        actor: Option<&Actor>,
        bytes: impl Into<Bytes>,
        file_name: &str,
        source: Option<&str>,
        skip_invalid: bool,
        progress: &dyn Progress,
    ) -> Result<ImportResult, AppError> {
        allow(authorize(actor, &Action::ImportPlaces, today()))?;
        let input = Input::Standard(bytes.into());
        self.import(actor, input, file_name, source, skip_invalid, progress)
            .await
    }

    /// Imports files of data·inclusion v1 (`structures.json` and `services.json`): their
    /// structures that offer digital help become places, through the same checks, rights,
    /// report and provenance as a file of the standard. The provenance is `source`, else the
    /// producer every structure names, else « data·inclusion ».
    pub async fn import_data_inclusion(
        &self,
        actor: Option<&Actor>,
        structures: impl Into<Bytes>,
        services: impl Into<Bytes>,
        source: Option<&str>,
        skip_invalid: bool,
        progress: &dyn Progress,
    ) -> Result<ImportResult, AppError> {
        allow(authorize(actor, &Action::ImportPlaces, today()))?;
        let input = Input::DataInclusion {
            structures: structures.into(),
            services: services.into(),
        };
        self.import(
            actor,
            input,
            "data·inclusion",
            source,
            skip_invalid,
            progress,
        )
        .await
    }

    /// Checks a file on a blocking thread (every core through the check's own pool): its
    /// records come back by chunks, with the progress, through a channel of one — the check
    /// never runs far ahead of whoever consumes them.
    fn spawn_check(&self, input: Input) -> Checking {
        let (tx, rx) = mpsc::channel(1);
        let referential = self.referential.clone();
        let typologies = self.typologies.clone();
        let checker = tokio::task::spawn_blocking(move || {
            let relay = Relay(tx);
            let ctx = maillage_domain::place::ValidationContext {
                communes: referential.as_ref(),
                typologies: typologies.as_ref(),
                list_separator: '|',
            };
            let source = match &input {
                Input::Standard(bytes) => {
                    relay.stage("Lecture du fichier", None);
                    maillage_standard::read::open(bytes)?
                }
                Input::DataInclusion {
                    structures,
                    services,
                } => {
                    relay.stage("Lecture des fichiers data·inclusion", None);
                    maillage_standard::data_inclusion::read(structures, services)?.into()
                }
            };
            let opened = Event::Opened {
                format: source.format,
                version: source.version,
                notes: source.notes.clone(),
            };
            if relay.0.blocking_send(opened).is_err() {
                return Ok(());
            }
            let mut chunk = Vec::with_capacity(CHUNK);
            maillage_standard::check_in_chunks(
                source,
                &ctx,
                &relay,
                CHUNK,
                |r| r,
                |r| {
                    chunk.push(r);
                    if chunk.len() == CHUNK {
                        let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK));
                        let _ = relay.0.blocking_send(Event::Records(full));
                    }
                },
            )?;
            if !chunk.is_empty() {
                let _ = relay.0.blocking_send(Event::Records(chunk));
            }
            Ok(())
        });
        Checking {
            checker,
            events: rx,
            tally: None,
        }
    }

    async fn import(
        &self,
        actor: Option<&Actor>,
        input: Input,
        file_name: &str,
        source: Option<&str>,
        skip_invalid: bool,
        progress: &dyn Progress,
    ) -> Result<ImportResult, AppError> {
        let mut named = source.map(str::to_string);
        loop {
            let pass = self.import_pass(
                actor,
                input.clone(),
                file_name,
                named.as_deref(),
                skip_invalid,
                progress,
            );
            match pass.await? {
                Pass::Done(result) => return Ok(result),
                Pass::SourcesDiffer => named = Some(file_name.to_string()),
            }
        }
    }

    /// Checks the file and writes its valid records chunk by chunk, each asked of the policy.
    async fn import_pass(
        &self,
        actor: Option<&Actor>,
        input: Input,
        file_name: &str,
        named: Option<&str>,
        skip_invalid: bool,
        progress: &dyn Progress,
    ) -> Result<Pass, AppError> {
        let by = actor.map(|a| a.user_id.as_str());
        let mut checking = self.spawn_check(input);
        let mut source_ids = Vec::new();
        let mut changes = Changes::default();
        // The source the rows are recorded under: named, else the one every valid row gives,
        // else the file's name. Without a name, the first valid row's is taken, and the file
        // imported again under its name if another row gives another one.
        let mut given: Option<Option<String>> = None;
        let mut session: Option<ImportSession> = None;
        while let Some((mut chunk, tally)) = checking.next(progress).await? {
            source_ids.extend(chunk.iter().map(|r| Box::<str>::from(r.source_id.as_str())));
            if named.is_none() {
                for place in chunk.iter().filter_map(|r| r.place.as_ref()) {
                    match &given {
                        None => given = Some(place.source.clone()),
                        Some(Some(first)) if place.source.as_ref() != Some(first) => {
                            return Ok(Pass::SourcesDiffer);
                        }
                        Some(_) => {}
                    }
                }
            }
            if !chunk.iter().any(|r| r.place.is_some()) {
                chunk.into_iter().for_each(|r| tally.add(r));
                continue;
            }
            let ids: Vec<&str> = chunk
                .iter()
                .filter(|r| r.place.is_some())
                .map(|r| r.source_id.as_str())
                .collect();
            // A file refused whole is still checked to its end, for its report, but holds no
            // write lock: its session, if any, is gone (rolled back), its targets read outside.
            let targets = match &mut session {
                _ if refused(tally.invalid_count(), skip_invalid) => {
                    let source = chosen_source(named, &given, file_name);
                    self.store.import_targets(&source, &ids).await?
                }
                Some(session) => session.targets(&ids).await?,
                None => {
                    let source = chosen_source(named, &given, file_name);
                    let begun = session.insert(self.store.begin_import(&source, by).await?);
                    begun.targets(&ids).await?
                }
            };
            refuse_what_is_not_theirs(actor, &mut chunk, &targets);
            changes.add(&chunk, &targets);
            let invalid =
                tally.invalid_count() + chunk.iter().filter(|r| r.place.is_none()).count();
            match session.as_mut() {
                Some(_) if refused(invalid, skip_invalid) => session = None,
                Some(session) => {
                    let valid: Vec<ImportRef<'_>> = chunk
                        .iter()
                        .filter_map(|r| {
                            r.place.as_ref().map(|place| ImportRef {
                                source_id: &r.source_id,
                                place,
                            })
                        })
                        .collect();
                    session.write(&valid, &Silent).await?;
                }
                None => {}
            }
            chunk.into_iter().for_each(|r| tally.add(r));
        }
        let report = checking.end().await?;
        let invalid = report.invalid_count();
        let (changes, more_changes) = (changes.lines, changes.more);
        if refused(invalid, skip_invalid) {
            // Nothing is written: the session's transaction, if any, is rolled back.
            return Ok(Pass::Done(ImportResult {
                report,
                outcome: None,
                changes,
                more_changes,
                source_ids,
            }));
        }
        let session = match session {
            Some(session) => session,
            None => {
                let source = chosen_source(named, &given, file_name);
                self.store.begin_import(&source, by).await?
            }
        };
        // Asked to stop while the last chunk was written: still nothing is written.
        progress.check().map_err(StandardError::from)?;
        progress.stage("Enregistrement de l'import", None);
        let outcome = session
            .finish(file_name, invalid, &report.to_text())
            .await?;
        self.metrics
            .imported(outcome.created, outcome.updated, outcome.unchanged, invalid);
        progress.stage("Mise à jour de l'index de recherche", None);
        self.refresh_index().await?;
        Ok(Pass::Done(ImportResult {
            report,
            outcome: Some(outcome),
            changes,
            more_changes,
            source_ids,
        }))
    }
}

/// Whether an import is refused whole: invalid rows, and not « valid rows only ».
fn refused(invalid: usize, skip_invalid: bool) -> bool {
    invalid > 0 && !skip_invalid
}

/// Named, else the one the valid rows give, else the file's name.
fn chosen_source(named: Option<&str>, given: &Option<Option<String>>, file_name: &str) -> String {
    named
        .map(str::to_string)
        .or_else(|| given.clone().flatten())
        .unwrap_or_else(|| file_name.to_string())
}

/// The checking thread as the async side reads it: its progress relayed, the file's head
/// turned into the report's tally, its records by chunks.
struct Checking {
    checker: tokio::task::JoinHandle<Result<(), StandardError>>,
    events: mpsc::Receiver<Event>,
    tally: Option<Tally>,
}

impl Checking {
    /// The next chunk of records, with the tally they are to be counted in, or `None` once the
    /// file is checked; the progress relayed on the way, an interruption heard.
    async fn next(
        &mut self,
        progress: &dyn Progress,
    ) -> Result<Option<(Vec<RecordReport>, &mut Tally)>, AppError> {
        loop {
            match self.events.recv().await {
                None => return Ok(None),
                Some(Event::Stage(label, steps)) => progress.stage(&label, steps),
                Some(Event::Advance(steps)) => progress.advance(steps),
                Some(Event::Opened {
                    format,
                    version,
                    notes,
                }) => self.tally = Some(Tally::new(format, version, notes)),
                Some(Event::Records(chunk)) => {
                    progress.check().map_err(StandardError::from)?;
                    let tally = self.tally.as_mut().ok_or_else(unread)?;
                    return Ok(Some((chunk, tally)));
                }
            }
        }
    }

    /// The report's tally once every chunk was read, or the error the check met.
    async fn end(self) -> Result<Tally, AppError> {
        self.checker.await.map_err(|e| {
            AppError::Operation(format!("vérification du fichier interrompue : {e}"))
        })??;
        self.tally.ok_or_else(unread)
    }
}

fn unread() -> AppError {
    AppError::Operation("vérification du fichier interrompue avant sa lecture".into())
}

/// Each row is checked against the importer's rights: the place it would update (found by
/// provenance or id, wherever it is) must be theirs to update, and so must its new location;
/// a refused row becomes an error of the report, with its reason.
fn refuse_what_is_not_theirs(
    actor: Option<&Actor>,
    chunk: &mut [RecordReport],
    targets: &std::collections::HashMap<String, (Place, Option<String>)>,
) {
    let day = today();
    for r in chunk {
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
            r.errors.push(FieldIssue {
                field: "id".into(),
                value: r.source_id.clone(),
                reason,
            });
            r.place = None;
        }
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

/// Lines of changes kept by an import: a file of 50,000 new places is not listed whole.
const CHANGE_LINES: usize = 1_000;

/// What the valid rows of a file change: a line per place new to the directory, and per
/// known place whose fields of the standard differ (named) — updated when the file's date of
/// update is newer, else not taken (the store's rule), and said so. The first
/// [`CHANGE_LINES`] are kept, the others counted.
#[derive(Default)]
struct Changes {
    lines: Vec<String>,
    more: usize,
}

impl Changes {
    fn add(
        &mut self,
        chunk: &[RecordReport],
        targets: &std::collections::HashMap<String, (Place, Option<String>)>,
    ) {
        for line in changes_of(chunk, targets) {
            if self.lines.len() < CHANGE_LINES {
                self.lines.push(line);
            } else {
                self.more += 1;
            }
        }
    }
}

fn changes_of(
    chunk: &[RecordReport],
    targets: &std::collections::HashMap<String, (Place, Option<String>)>,
) -> Vec<String> {
    let mut lines = Vec::new();
    for r in chunk {
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
