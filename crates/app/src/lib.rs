//! The application services of Maillage, one module per capability, shared by the pages, the API
//! and the CLI: each service asks the policy, then the store. No HTTP here: errors say what went
//! wrong ([`ErrorKind`]), the web crate says it in HTTP.

pub mod access;
pub mod accounts;
pub mod activity;
pub mod backups;
pub mod booklet;
pub mod campaigns;
pub mod database;
pub mod demo;
pub mod diagnostic;
pub mod directory;
pub mod duplicates;
pub mod feed;
pub mod impact;
pub mod jobs;
pub mod limits;
pub mod mail;
pub mod mandates;
pub mod metrics;
pub mod operations;
pub mod organisations;
pub mod orientation;
pub mod quality;
pub mod referrals;
pub mod register;
pub mod reports;
pub mod requests;
pub mod resources;
pub mod retention;
pub mod schedule;
pub mod settings;
pub mod sources;
pub mod surveys;
pub mod territory;
pub mod watch;
pub mod workshops;
pub mod zone;

use std::sync::{Arc, Mutex, RwLock};

use chrono::NaiveDate;
use maillage_domain::Place;
use maillage_domain::place::ValidationContext;
use maillage_domain::policy::{Action, Actor, Decision, Location, authorize};
use maillage_domain::typology::Typologies;
use maillage_referential::Referential;
use maillage_search::{PlaceContext, SearchIndex};
use maillage_standard::{StandardError, Tally};
use maillage_store::{ImportOutcome, Store, StoreError};

use crate::database::Database;

/// The records the services return, as the store reads them: the web crate shows them without
/// reaching the store.
pub use maillage_store::{
    ImportSummary, JobRun, NewUser, Person, ReferralEvent, StoredDiagnostic, StoredPlace,
    StoredReferral, StoredResource, User,
};

/// Errors of the services, each with a French message for users.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Standard(#[from] StandardError),
    #[error(transparent)]
    Search(#[from] maillage_search::SearchError),
    #[error("connectez-vous pour continuer")]
    SignInRequired,
    #[error("action non autorisée : {0}")]
    Forbidden(&'static str),
    #[error("introuvable")]
    NotFound,
    #[error("{0}")]
    Invalid(String),
    /// Too much asked at once: a body, a number of words or zones over the limit.
    #[error("{0}")]
    TooLarge(String),
    /// Over a rate limit: try again later.
    #[error("{0}")]
    TooMany(String),
    /// An operator's command that could not be carried out (a backup, a restore): the
    /// message says what and why.
    #[error("{0}")]
    Operation(String),
    /// A campaign's personal link that may not be used (any more).
    #[error("{0}")]
    LinkRefused(maillage_domain::campaigns::LinkRefusal),
}

/// What kind of failure an error is: the web crate answers each with its HTTP status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// Sign in first.
    SignInRequired,
    /// Signed in, but not allowed.
    Forbidden,
    /// Nothing there (or nothing the caller may know of).
    NotFound,
    /// Was there, is no more (a used or expired link).
    Gone,
    /// The input is wrong; the message says why.
    Invalid,
    /// Too much asked at once.
    TooLarge,
    /// Over a rate limit.
    TooMany,
    /// Someone else changed it first.
    Conflict,
    /// Our fault: the store, the index.
    Internal,
}

impl AppError {
    /// The kind of this error, for pages, API and CLI alike.
    pub fn kind(&self) -> ErrorKind {
        match self {
            AppError::SignInRequired => ErrorKind::SignInRequired,
            AppError::Forbidden(_) => ErrorKind::Forbidden,
            AppError::NotFound
            | AppError::LinkRefused(maillage_domain::campaigns::LinkRefusal::Unknown) => {
                ErrorKind::NotFound
            }
            AppError::LinkRefused(_) => ErrorKind::Gone,
            AppError::Invalid(_) | AppError::Standard(_) => ErrorKind::Invalid,
            AppError::TooLarge(_) => ErrorKind::TooLarge,
            AppError::TooMany(_) => ErrorKind::TooMany,
            AppError::Store(StoreError::Conflict(_)) => ErrorKind::Conflict,
            AppError::Store(_) | AppError::Search(_) | AppError::Operation(_) => {
                ErrorKind::Internal
            }
        }
    }

    /// The message users see: internal details stay in the log (which never holds personal
    /// data: store and index errors carry none).
    pub fn public_message(&self) -> String {
        if self.kind() == ErrorKind::Internal {
            tracing::error!("erreur interne : {self}");
            "Une erreur interne est survenue. Réessayez dans un instant.".to_string()
        } else {
            self.to_string()
        }
    }
}

impl App {
    /// Whether the caller may do `action` now: what a page offers (a button, a form). The
    /// service that does it asks the policy again.
    pub fn may(&self, actor: Option<&Actor>, action: &Action) -> bool {
        authorize(actor, action, today()).is_allowed()
    }

    /// The caller may do `action` now, or the reason why not (a page that opens a form only
    /// for those who may send it).
    pub fn check(&self, actor: Option<&Actor>, action: &Action) -> Result<(), AppError> {
        allow(authorize(actor, action, today()))
    }
}

/// The policy's answer as a result.
pub fn allow(decision: Decision) -> Result<(), AppError> {
    match decision {
        Decision::Allow => Ok(()),
        Decision::SignInRequired => Err(AppError::SignInRequired),
        Decision::Deny(reason) => Err(AppError::Forbidden(reason)),
    }
}

/// A file sent with a form (an import, a resource's file).
#[derive(Debug, Clone)]
pub struct Upload {
    pub name: String,
    pub content: Vec<u8>,
}

/// What an import did, or why nothing was written.
#[derive(Debug)]
pub struct ImportResult {
    /// The file's report: its counts and the records with something to say. Its places are
    /// not kept (a file of 50,000 rows is written as it is checked, never held whole).
    pub report: Tally,
    /// `None` when nothing was written (invalid rows without `skip_invalid`).
    pub outcome: Option<ImportOutcome>,
    /// What the valid rows change, one line each in French: the places new to the directory,
    /// and for each place already known the fields that differ — the first thousand: an
    /// import of thousands of new places is not listed whole.
    pub changes: Vec<String>,
    /// How many more changes there are than the lines kept.
    pub more_changes: usize,
    /// Every record's producer identifier, in file order (a source's places that its file
    /// no longer has are told apart by them).
    pub source_ids: Vec<Box<str>>,
}

/// Shared state: the store, the referentials and the current search index.
#[derive(Clone)]
pub struct App {
    pub(crate) store: Store,
    pub referential: Arc<Referential>,
    pub typologies: Arc<Typologies>,
    index: Arc<RwLock<Arc<SearchIndex>>>,
    index_after_writes: bool,
    search_cache: bool,
    recent_places: Arc<RecentPlaces>,
    /// The dictionary of the places shelved with the index (pages of results read from
    /// memory, see [`crate::directory::shelf`]).
    shelf: Arc<crate::directory::shelf::Shelf>,
    /// Long work started from pages (imports, booklets).
    pub jobs: Arc<crate::jobs::Jobs>,
    /// Where e-mail goes (disabled unless configured).
    pub mailer: crate::mail::Mailer,
    /// Address of the site in links sent by e-mail (`MAILLAGE_PUBLIC_URL`).
    pub public_url: String,
    /// Text index of the resource library, built on first search after a write.
    library: Arc<Mutex<Option<Arc<maillage_search::TextIndex>>>>,
    /// The catalogue of requests with its text index, built on first use after a write.
    catalogue: Arc<Mutex<Option<Arc<crate::orientation::Catalogue>>>>,
    /// The pairs of places marked as different, kept while the feed says nothing of them.
    vetoes: Arc<crate::duplicates::Vetoes>,
    /// The statistics cube of activity records (issue #7).
    pub(crate) stats: crate::activity::StatsCube,
    /// Rate limits of the server (e-mail, resume codes, login, heavy work).
    pub limits: Arc<crate::limits::Limits>,
    /// The dead-link checker also asks private and local addresses (tests against a local web
    /// server only; see [`App::checking_private_links`]).
    pub(crate) private_links_checked: bool,
    /// How long each personal datum is kept (`MAILLAGE_CONSERVATION_*`, see [`retention`]).
    pub(crate) retention: maillage_domain::retention::Retention,
    /// The communes' contours, town halls and populations (the territory), read on first use.
    contours: Arc<tokio::sync::OnceCell<Arc<maillage_referential::contours::Contours>>>,
    /// The communes' indicators and their scores, read on first use after each import.
    fragility: Arc<tokio::sync::RwLock<Option<Arc<crate::territory::fragility::FragilityTable>>>>,
    /// The directory's published files, for its current state.
    publication: Arc<crate::directory::PublicationCache>,
    /// The producer's name in data·inclusion files (`source`; `MAILLAGE_PRODUCTEUR`).
    pub(crate) producer: String,
    /// The configuration file's values (the environment overrides each).
    settings: Arc<crate::settings::Settings>,
    /// A newer file of the communes' contours than the one built in, when given.
    contours_file: Option<std::path::PathBuf>,
    /// Backups on schedule (`sauvegardes.dossier`), when asked.
    pub(crate) backups: Option<Arc<crate::backups::BackupPlan>>,
    /// The figures for Prometheus (`/metrics`).
    pub(crate) metrics: Arc<crate::metrics::Metrics>,
    /// Where this instance stands in the change feed.
    feed: Arc<crate::feed::Feed>,
}

/// Places recently shown in results, decoded, so that popular pages of results do not go back
/// to the database. Every write starts a new generation: older entries are never served, even
/// one put by a request that read the database just before the write.
pub(crate) struct RecentPlaces {
    generation: std::sync::atomic::AtomicU64,
    places: Mutex<lru::LruCache<String, (u64, StoredPlace)>>,
}

impl Default for RecentPlaces {
    fn default() -> Self {
        RecentPlaces {
            generation: std::sync::atomic::AtomicU64::new(0),
            places: Mutex::new(lru::LruCache::new(
                std::num::NonZeroUsize::new(2_048).unwrap_or(std::num::NonZeroUsize::MIN),
            )),
        }
    }
}

impl RecentPlaces {
    fn generation(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::Acquire)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, lru::LruCache<String, (u64, StoredPlace)>> {
        match self.places.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    fn get(&self, id: &str, generation: u64) -> Option<StoredPlace> {
        self.lock()
            .get(id)
            .filter(|(g, _)| *g == generation)
            .map(|(_, place)| place.clone())
    }

    fn put(&self, place: &StoredPlace, generation: u64) {
        if generation == self.generation() {
            self.lock()
                .put(place.place.id.clone(), (generation, place.clone()));
        }
    }

    fn invalidate(&self) {
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        self.lock().clear();
    }
}

/// Whether the caller sees the helpers' part of a place (its referent, structure and
/// provenance): one rule for the page, the API and the exports.
pub fn sees_helpers_part(actor: Option<&Actor>) -> bool {
    authorize(actor, &Action::ReadHelpersPart, today()).is_allowed()
}

pub fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

/// A coordinator's territory in words, for what they start over it (a campaign, a survey):
/// its codes, or « tout l'annuaire » for an administrator.
pub(crate) fn territory_words(actor: Option<&Actor>) -> String {
    actor
        .map(|a| {
            if a.territory.is_empty() {
                "tout l'annuaire".to_string()
            } else {
                a.territory
                    .iter()
                    .map(|t| t.code().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        })
        .unwrap_or_default()
}

pub fn location_of(place: &Place, organisation_id: Option<&str>) -> Location {
    Location {
        organisation_id: organisation_id.map(str::to_string),
        insee_code: place.insee_code.clone(),
        departement: place.departement(),
    }
}

impl App {
    /// Builds the state and the search index from the store.
    pub async fn new(
        database: impl Into<Database>,
        referential: Referential,
    ) -> Result<Self, AppError> {
        Self::with_search_cache(database, referential, true).await
    }

    /// Same, choosing whether the index keeps a cache of recent searches (on in production;
    /// off to measure the searches themselves).
    pub async fn with_search_cache(
        database: impl Into<Database>,
        referential: Referential,
        search_cache: bool,
    ) -> Result<Self, AppError> {
        let app = App {
            index_after_writes: true,
            search_cache,
            ..Self::for_writes(database, referential)?
        };
        app.reindex().await?;
        Ok(app)
    }

    /// The state for a one-shot write (a command-line import): no search index is built, before
    /// or after, since nothing will search in this process.
    pub fn for_writes(
        database: impl Into<Database>,
        referential: Referential,
    ) -> Result<Self, AppError> {
        let store = database.into().store;
        Ok(App {
            jobs: Arc::new(crate::jobs::Jobs::for_store(&store)),
            limits: Arc::new(crate::limits::Limits::for_store(&store)),
            store,
            referential: Arc::new(referential),
            typologies: Arc::new(Typologies::standard()),
            index: Arc::new(RwLock::new(Arc::new(SearchIndex::build(
                std::iter::empty::<(Place, PlaceContext)>(),
            )?))),
            index_after_writes: false,
            search_cache: false,
            recent_places: Arc::new(RecentPlaces::default()),
            shelf: Arc::default(),
            mailer: crate::mail::Mailer::Disabled,
            public_url: "http://127.0.0.1:8080".into(),
            library: Arc::default(),
            catalogue: Arc::default(),
            vetoes: Arc::default(),
            stats: Default::default(),
            contours: Arc::default(),
            fragility: Arc::default(),
            private_links_checked: false,
            retention: Default::default(),
            publication: Arc::default(),
            producer: "maillage".into(),
            settings: Arc::default(),
            contours_file: None,
            backups: None,
            metrics: Arc::default(),
            feed: Arc::default(),
        })
    }

    /// The cached index of the library (emptied on each write to it).
    pub(crate) fn library_cache(
        &self,
    ) -> std::sync::MutexGuard<'_, Option<Arc<maillage_search::TextIndex>>> {
        match self.library.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// The cached catalogue of requests (emptied on each write to it).
    pub(crate) fn catalogue_cache(
        &self,
    ) -> std::sync::MutexGuard<'_, Option<Arc<crate::orientation::Catalogue>>> {
        match self.catalogue.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Lets the dead-link checker ask private and local addresses: for tests against a web
    /// server on this machine only — in production a published link never makes the server
    /// probe its own network.
    pub fn checking_private_links(mut self) -> Self {
        self.private_links_checked = true;
        self
    }

    /// The same referentials and settings over another, empty store, with empty indexes and
    /// caches: a throwaway copy (fuzzing gives each input its own database).
    pub fn with_empty_store(self, store: Store) -> Result<Self, AppError> {
        Ok(App {
            jobs: Arc::new(crate::jobs::Jobs::for_store(&store)),
            limits: Arc::new(crate::limits::Limits::for_store(&store)),
            store,
            index: Arc::new(RwLock::new(Arc::new(SearchIndex::build(
                std::iter::empty::<(Place, PlaceContext)>(),
            )?))),
            recent_places: Arc::default(),
            shelf: Arc::default(),
            library: Arc::default(),
            catalogue: Arc::default(),
            vetoes: Arc::default(),
            stats: Default::default(),
            publication: Arc::default(),
            feed: Arc::default(),
            ..self
        })
    }

    /// Names the producer of the data·inclusion files (their `source`, such as
    /// « maillage-54 »); blank names are ignored.
    pub fn with_producer(mut self, name: &str) -> Self {
        if !name.trim().is_empty() {
            self.producer = name.trim().to_string();
        }
        self
    }

    /// Keeps personal data for these delays.
    pub fn with_retention(mut self, retention: maillage_domain::retention::Retention) -> Self {
        self.retention = retention;
        self
    }

    /// The keeping delays in force.
    pub fn retention(&self) -> &maillage_domain::retention::Retention {
        &self.retention
    }

    /// Reads its settings from this configuration (the environment still overriding each).
    pub fn with_settings(mut self, settings: crate::settings::Settings) -> Self {
        if let Some(name) = settings.get("MAILLAGE_PRODUCTEUR") {
            self = self.with_producer(&name);
        }
        self.settings = Arc::new(settings);
        self
    }

    /// Reads the communes' contours from this file instead of those built in (`None`: built in).
    pub fn with_contours_file(mut self, file: Option<std::path::PathBuf>) -> Self {
        self.contours_file = file;
        self
    }

    /// A setting's effective value: its environment variable, else the configuration file's.
    pub fn setting(&self, variable: &str) -> Option<String> {
        self.settings.get(variable)
    }

    /// The site's public address, for the links it writes (e-mail, published files).
    pub fn with_public_url(mut self, public_url: &str) -> Self {
        self.public_url = public_url.trim_end_matches('/').to_string();
        self
    }

    /// Sends e-mail through this mailer, with links to this address.
    pub fn with_mail(mut self, mailer: crate::mail::Mailer, public_url: &str) -> Self {
        self.mailer = mailer;
        self.public_url = public_url.trim_end_matches('/').to_string();
        self
    }

    /// Brings the index and caches up to date after a write, when this process searches: the
    /// changes the write left in the feed are applied in place ([`App::catch_up`]).
    pub(crate) async fn refresh_index(&self) -> Result<(), AppError> {
        self.catch_up().await?;
        Ok(())
    }

    /// Builds the search index from the store (start-up and repair; a national directory takes
    /// about a second, see docs/PERFORMANCE.md). Places are read in batches and indexed as they
    /// arrive, so memory holds the index and one batch, never the whole directory twice.
    async fn rebuild_index(&self) -> Result<(), AppError> {
        const BATCH: u32 = 1_000;
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<StoredPlace>>(2);
        let referential = self.referential.clone();
        let shelf = self.shelf.clone();
        let builder = tokio::task::spawn_blocking(move || {
            use maillage_domain::CommuneLookup;
            // The first batch teaches the shelf its dictionary (once per process).
            let first = rx.blocking_recv().unwrap_or_default();
            shelf.learn(&first);
            let mut packer = shelf.packer();
            let places = std::iter::once(first)
                .chain(std::iter::from_fn(move || rx.blocking_recv()))
                .flatten();
            SearchIndex::build(places.map(|s| {
                let epci = s
                    .place
                    .insee_code
                    .as_deref()
                    .and_then(|c| referential.by_code(c))
                    .and_then(|c| c.epci.clone());
                let context = PlaceContext {
                    epci,
                    shelf: packer.pack(&s),
                    organisation_id: s.organisation_id,
                };
                (s.place, context)
            }))
        });
        let mut after = String::new();
        let read = loop {
            let batch = match self.store.places_after(&after, BATCH).await {
                Ok(batch) => batch,
                Err(e) => break Err(e),
            };
            let Some(last) = batch.last() else {
                break Ok(());
            };
            after = last.place.id.clone();
            if tx.send(batch).await.is_err() {
                break Ok(());
            }
        };
        drop(tx);
        let index = builder.await.map_err(|e| {
            AppError::Invalid(format!("construction de l'index interrompue : {e}"))
        })??;
        // A failed read leaves the current index in place.
        read?;
        let index = if self.search_cache {
            index
        } else {
            index.without_cache()
        };
        tracing::info!(
            "index de recherche : {} lieu(x), fiches rangées avec l'index : {} Ko",
            index.len(),
            index.shelf_bytes() / 1024
        );
        match self.index.write() {
            Ok(mut guard) => *guard = Arc::new(index),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(index),
        }
        self.recent_places.invalidate();
        Ok(())
    }

    /// The state of the directory as searches see it: a new number after every batch of
    /// changes applied to the index (written on this instance or read from the change feed) and
    /// after every rebuild. An answer kept under one number is never served under another.
    pub fn directory_version(&self) -> u64 {
        self.recent_places.generation()
    }

    /// Whether this process applies the change feed after its writes (and, serving, in the
    /// background): then what it keeps in memory follows the base.
    pub(crate) fn follows_changes(&self) -> bool {
        self.index_after_writes
    }

    /// Whether this instance keeps recent answers (production) or redoes every search (to
    /// measure the searches themselves: `serve --no-search-cache`).
    pub fn keeps_answers(&self) -> bool {
        self.search_cache
    }

    pub fn index(&self) -> Arc<SearchIndex> {
        match self.index.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub fn validation_context(&self) -> ValidationContext<'_> {
        ValidationContext {
            communes: self.referential.as_ref(),
            typologies: self.typologies.as_ref(),
            list_separator: '|',
        }
    }
}
