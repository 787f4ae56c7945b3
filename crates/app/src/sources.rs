//! Sources pulled on schedule (issue #21). A coordinator registers the address of a file that
//! another producer keeps up to date — a regional hub's export in the national standard, a
//! partner network's data·inclusion files — with how often to fetch it. The hourly round
//! fetches each due source (one instance of the network does; a conditional request when the
//! server gave an `ETag` or a date), imports it with the usual rules and the rights of the
//! coordinator who registered it (all or nothing, or the valid rows; provenance; the duplicates
//! it brings appear in the review of duplicates), keeps the run with its report, and tells the
//! coordinator what changed: places new, places changed (which fields), places the file no
//! longer has.

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use maillage_domain::policy::{Action, Actor, authorize};
use maillage_store::{NewSource, PullRun, PulledSource, RunEnd};

use crate::{App, AppError, allow, today};

/// How often a source may be fetched, in hours, and its words.
pub const FREQUENCIES: [(i64, &str); 4] = [
    (1, "toutes les heures"),
    (6, "toutes les six heures"),
    (24, "chaque jour"),
    (168, "chaque semaine"),
];

/// The formats a source may have.
pub const FORMATS: [(&str, &str); 2] = [
    (
        "standard",
        "Standard « Lieux de médiation numérique » (CSV, JSON ou GeoJSON, v0.1 ou v1)",
    ),
    (
        "data-inclusion",
        "data·inclusion v1 (l'adresse d'un dossier avec structures.json et services.json)",
    ),
];

/// The largest file fetched (the size of an import through the pages).
const MAX_BYTES: usize = crate::limits::IMPORT_BYTES;
/// Lines of changes kept per run.
const MAX_CHANGE_LINES: usize = 500;

/// An import's lines of changes, and the count of those it did not keep.
fn with_more(mut changes: Vec<String>, more: usize) -> Vec<String> {
    if more > 0 {
        changes.push(format!("… et {more} autre(s)"));
    }
    changes
}

/// The registration form, as sent by the page, the API or the command line.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct SourceForm {
    pub nom: String,
    pub adresse: String,
    pub format: String,
    /// Hours between two fetches: 1, 6, 24 or 168.
    pub frequence: String,
    /// « oui »: import the valid rows and report the others (else all or nothing).
    pub lignes_valides: String,
}

/// A source as its pages show it.
#[derive(Debug, Clone)]
pub struct SourceView {
    pub source: PulledSource,
    pub frequency: &'static str,
    pub format: &'static str,
    pub runs: Vec<PullRun>,
}

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl SourceForm {
    /// The source to register, or every problem, each naming its field.
    fn parse(&self, allow_private: bool) -> Result<(String, String, String, i64, bool), AppError> {
        let mut errors = Vec::new();
        let name = self.nom.trim();
        if name.chars().count() < 3 || name.chars().count() > 120 {
            errors.push(
                "nom : de 3 à 120 caractères (il devient la provenance des lieux importés)"
                    .to_string(),
            );
        }
        let url = self.adresse.trim();
        match reqwest::Url::parse(url) {
            Ok(u) if !matches!(u.scheme(), "http" | "https") => {
                errors.push("adresse : une adresse http:// ou https:// est attendue".into())
            }
            Ok(u) if !allow_private && crate::resources::private_literal(&u) => {
                errors.push("adresse : une adresse privée ou locale n'est pas moissonnée (voir donnees.sources_locales)".into())
            }
            Ok(_) if url.len() > 2_000 => errors.push("adresse : 2 000 caractères au plus".into()),
            Ok(_) => {}
            Err(_) => errors.push(format!("adresse : « {url} » n'est pas une adresse web")),
        }
        let format = self.format.trim();
        if !FORMATS.iter().any(|(f, _)| *f == format) {
            errors.push("format : « standard » ou « data-inclusion » est attendu".into());
        }
        let every = self
            .frequence
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|h| FREQUENCIES.iter().any(|(f, _)| f == h));
        if every.is_none() {
            errors.push("fréquence : 1, 6, 24 ou 168 heures".into());
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors.join(" ; ")));
        }
        Ok((
            name.to_string(),
            url.to_string(),
            format.to_string(),
            every.unwrap_or(24),
            matches!(self.lignes_valides.trim(), "oui" | "on" | "true"),
        ))
    }
}

/// What a fetch brought.
enum Fetched {
    NotModified,
    Files {
        /// One file (the standard), or structures then services (data·inclusion).
        bodies: Vec<Vec<u8>>,
        etag: Option<String>,
        last_modified: Option<String>,
    },
}

impl App {
    /// Whether sources may be on the local network (`donnees.sources_locales`: a hub hosted
    /// inside the collectivité); public addresses only otherwise.
    fn local_sources_allowed(&self) -> bool {
        self.private_links_checked
            || self
                .settings
                .flag("MAILLAGE_SOURCES_LOCALES")
                .unwrap_or(false)
    }

    /// Makes every source due now (`maillage sources moissonner --toutes`).
    pub async fn make_all_sources_due(&self, actor: Option<&Actor>) -> Result<usize, AppError> {
        allow(authorize(actor, &Action::ManageAccounts, today()))?;
        let now = stamp(Utc::now());
        let sources = self.store.sources().await?;
        for s in &sources {
            self.store.make_source_due(&s.id, &now).await?;
        }
        Ok(sources.len())
    }

    /// A source the caller may see: their own, or any for an administrator.
    async fn own_source(&self, actor: Option<&Actor>, id: &str) -> Result<PulledSource, AppError> {
        allow(authorize(actor, &Action::ImportPlaces, today()))?;
        let actor = actor.ok_or(AppError::SignInRequired)?;
        match self.store.source(id).await? {
            Some(s) if actor.administrator || s.owner_id == actor.user_id => Ok(s),
            _ => Err(AppError::NotFound),
        }
    }

    /// Registers a source, fetched at the next round (within the hour).
    pub async fn register_source(
        &self,
        actor: Option<&Actor>,
        form: &SourceForm,
    ) -> Result<String, AppError> {
        allow(authorize(actor, &Action::ImportPlaces, today()))?;
        let actor = actor.ok_or(AppError::SignInRequired)?;
        let (name, url, format, every_hours, skip_invalid) =
            form.parse(self.local_sources_allowed())?;
        Ok(self
            .store
            .create_source(
                &NewSource {
                    name,
                    url,
                    format,
                    every_hours,
                    skip_invalid,
                    owner_id: actor.user_id.clone(),
                },
                &stamp(Utc::now()),
            )
            .await?)
    }

    /// The caller's sources (every source for an administrator), each with its last run.
    pub async fn sources(&self, actor: Option<&Actor>) -> Result<Vec<SourceView>, AppError> {
        allow(authorize(actor, &Action::ImportPlaces, today()))?;
        let actor = actor.ok_or(AppError::SignInRequired)?;
        let mut out = Vec::new();
        for source in self.store.sources().await? {
            if actor.administrator || source.owner_id == actor.user_id {
                let runs = self.store.runs_of(&source.id, 1).await?;
                out.push(view(source, runs));
            }
        }
        Ok(out)
    }

    /// A source with its last runs.
    pub async fn source_view(
        &self,
        actor: Option<&Actor>,
        id: &str,
    ) -> Result<SourceView, AppError> {
        let source = self.own_source(actor, id).await?;
        let runs = self.store.runs_of(&source.id, 20).await?;
        Ok(view(source, runs))
    }

    /// Makes a source due now: the next round fetches it, or [`App::run_due_sources`] at once.
    pub async fn run_source_soon(&self, actor: Option<&Actor>, id: &str) -> Result<(), AppError> {
        let source = self.own_source(actor, id).await?;
        Ok(self
            .store
            .make_source_due(&source.id, &stamp(Utc::now()))
            .await?)
    }

    pub async fn delete_source(&self, actor: Option<&Actor>, id: &str) -> Result<(), AppError> {
        let source = self.own_source(actor, id).await?;
        self.store.delete_source(&source.id).await?;
        Ok(())
    }

    /// Fetches and imports every due source this instance claims; how many ran.
    pub async fn run_due_sources(&self, now: DateTime<Utc>) -> Result<usize, AppError> {
        let mut ran = 0;
        for source in self.store.sources().await? {
            if source.next_run_at > stamp(now) {
                continue;
            }
            let next = stamp(now + chrono::Duration::hours(source.every_hours));
            let Some(run) = self
                .store
                .claim_source(&source.id, &stamp(now), &next)
                .await?
            else {
                continue;
            };
            let end = self.pull(&source).await;
            self.metrics.pulled(&end.outcome);
            self.store
                .finish_run(&source.id, &run, &stamp(Utc::now().max(now)), &end)
                .await?;
            if matches!(end.outcome.as_str(), "importe" | "refuse" | "erreur") {
                self.tell_owner(&source, &end).await;
            }
            ran += 1;
        }
        Ok(ran)
    }

    /// One run: fetch, import with the owner's rights, say what changed.
    async fn pull(&self, source: &PulledSource) -> RunEnd {
        let failed = |summary: String| RunEnd {
            outcome: "erreur".into(),
            summary,
            ..RunEnd::default()
        };
        let actor = match self.store.actor(&source.owner_id).await {
            Ok(Some(a)) => a,
            Ok(None) => return failed("le compte qui a inscrit la source n'existe plus".into()),
            Err(e) => return failed(format!("compte illisible : {e}")),
        };
        if !authorize(Some(&actor), &Action::ImportPlaces, today()).is_allowed() {
            return failed(
                "le compte qui a inscrit la source ne peut plus importer de lieux".into(),
            );
        }
        let fetched = match self.fetch(source).await {
            Ok(f) => f,
            Err(reason) => return failed(reason),
        };
        let (bodies, etag, last_modified) = match fetched {
            Fetched::NotModified => {
                return RunEnd {
                    outcome: "inchange".into(),
                    summary: "fichier inchangé depuis la dernière fois (réponse 304 du serveur)"
                        .into(),
                    ..RunEnd::default()
                };
            }
            Fetched::Files {
                bodies,
                etag,
                last_modified,
            } => (bodies, etag, last_modified),
        };
        let progress = maillage_domain::progress::Silent;
        let mut bodies = bodies.into_iter();
        let result = match (source.format.as_str(), bodies.next(), bodies.next()) {
            ("data-inclusion", Some(structures), Some(services)) => {
                self.import_data_inclusion(
                    Some(&actor),
                    structures,
                    services,
                    Some(&source.name),
                    source.skip_invalid,
                    &progress,
                )
                .await
            }
            (_, Some(file), _) => {
                let name = source
                    .url
                    .rsplit('/')
                    .next()
                    .unwrap_or("source")
                    .to_string();
                self.import_file_watched(
                    Some(&actor),
                    file,
                    &name,
                    Some(&source.name),
                    source.skip_invalid,
                    &progress,
                )
                .await
            }
            _ => return failed("aucun fichier reçu".into()),
        };
        let result = match result {
            Ok(r) => r,
            Err(e) => return failed(format!("fichier illisible : {}", e.public_message())),
        };
        let report = result.report.to_text();
        let refused = result.report.invalid_count() as i64;
        let Some(outcome) = result.outcome else {
            return RunEnd {
                outcome: "refuse".into(),
                refused,
                summary: format!(
                    "rien n'a été importé : {refused} ligne(s) invalide(s) (tout ou rien ; cochez « importer les lignes valides » pour prendre les autres)"
                ),
                changes: with_more(result.changes, result.more_changes).join("\n"),
                report,
                etag,
                last_modified,
                ..RunEnd::default()
            };
        };
        // The places this source brought that its file no longer has: kept, and said.
        let in_file: std::collections::HashSet<&str> =
            result.source_ids.iter().map(|id| &**id).collect();
        let more = result.more_changes;
        let mut changes = result.changes;
        if let Ok(known) = self.store.places_from_source(&source.name).await {
            for (id, name, commune) in known {
                if !in_file.contains(id.as_str()) {
                    changes.push(format!(
                        "Absent du fichier : {name} ({commune}) — la fiche reste, à vérifier"
                    ));
                }
            }
        }
        let total = changes.len() + more;
        changes.truncate(MAX_CHANGE_LINES);
        if total > MAX_CHANGE_LINES {
            changes.push(format!("… et {} autre(s)", total - MAX_CHANGE_LINES));
        }
        RunEnd {
            outcome: if outcome.created + outcome.updated > 0 || refused > 0 {
                "importe".into()
            } else {
                "inchange".into()
            },
            created: outcome.created as i64,
            updated: outcome.updated as i64,
            unchanged: outcome.unchanged as i64,
            refused,
            summary: format!(
                "{} créé(s), {} modifié(s), {} inchangé(s), {refused} refusé(s)",
                outcome.created, outcome.updated, outcome.unchanged
            ),
            changes: changes.join("\n"),
            report,
            etag,
            last_modified,
        }
    }

    /// Fetches a source's file(s), conditionally when the server gave validators last time.
    async fn fetch(&self, source: &PulledSource) -> Result<Fetched, String> {
        let client = crate::resources::public_client(
            self.local_sources_allowed(),
            Duration::from_secs(120),
            "Maillage-moisson-des-sources/1.0",
        )
        .map_err(|e| e.to_string())?;
        let urls: Vec<String> = if source.format == "data-inclusion" {
            let base = source.url.trim_end_matches('/');
            vec![
                format!("{base}/structures.json"),
                format!("{base}/services.json"),
            ]
        } else {
            vec![source.url.clone()]
        };
        let mut bodies = Vec::new();
        let mut validators = (None, None);
        for (i, url) in urls.iter().enumerate() {
            let mut request = client.get(url);
            // The validators are the first file's (the standard's one file).
            if i == 0 && urls.len() == 1 {
                if let Some(tag) = &source.etag {
                    request = request.header(reqwest::header::IF_NONE_MATCH, tag);
                }
                if let Some(date) = &source.last_modified {
                    request = request.header(reqwest::header::IF_MODIFIED_SINCE, date);
                }
            }
            let mut response = request
                .send()
                .await
                .map_err(|e| format!("{url} injoignable : {}", reason(&e)))?;
            let status = response.status();
            if status == reqwest::StatusCode::NOT_MODIFIED {
                return Ok(Fetched::NotModified);
            }
            if !status.is_success() {
                return Err(format!("{url} : le serveur répond {status}"));
            }
            if i == 0 {
                let header = |name: reqwest::header::HeaderName| {
                    response
                        .headers()
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_string)
                };
                validators = (
                    header(reqwest::header::ETAG),
                    header(reqwest::header::LAST_MODIFIED),
                );
            }
            let mut body = Vec::new();
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|e| format!("{url} : lecture interrompue ({})", reason(&e)))?
            {
                body.extend_from_slice(&chunk);
                if body.len() > MAX_BYTES {
                    return Err(format!(
                        "{url} : fichier de plus de {} Mo",
                        MAX_BYTES / 1_000_000
                    ));
                }
            }
            bodies.push(body);
        }
        Ok(Fetched::Files {
            bodies,
            etag: validators.0,
            last_modified: validators.1,
        })
    }

    /// Tells the source's owner what a run did (when e-mail is set up).
    async fn tell_owner(&self, source: &PulledSource, end: &RunEnd) {
        let Ok(Some(user)) = self.store.user(&source.owner_id).await else {
            return;
        };
        let mut body = format!(
            "Bonjour,\n\nLa source « {} » a été moissonnée : {}.\n",
            source.name, end.summary
        );
        if !end.changes.is_empty() {
            body.push_str("\nCe qui change :\n");
            for line in end.changes.lines().take(30) {
                body.push_str(&format!("- {line}\n"));
            }
        }
        body.push_str(&format!(
            "\nLe rapport complet : {}/sources/{}\n",
            self.public_url, source.id
        ));
        let mail = crate::mail::Mail {
            to: user.email,
            subject: format!("Source « {} » : {}", source.name, end.summary),
            body,
        };
        if let Err(e) = self.mailer.send(&mail).await {
            tracing::warn!("moisson : courriel au coordinateur non parti ({e})");
        }
    }
}

fn view(source: PulledSource, runs: Vec<PullRun>) -> SourceView {
    SourceView {
        frequency: FREQUENCIES
            .iter()
            .find(|(h, _)| *h == source.every_hours)
            .map(|(_, w)| *w)
            .unwrap_or("chaque jour"),
        format: FORMATS
            .iter()
            .find(|(f, _)| *f == source.format)
            .map(|(_, w)| *w)
            .unwrap_or(""),
        source,
        runs,
    }
}

/// Why a request failed, without the address's query (it may hold a key).
fn reason(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "délai dépassé"
    } else if e.is_connect() {
        "connexion impossible"
    } else if e.is_redirect() {
        "redirection refusée"
    } else {
        "erreur réseau"
    }
}
