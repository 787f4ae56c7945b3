//! The application services shared by the pages, the API and the CLI: one way to import, search,
//! export and edit, each asking the policy first.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use chrono::NaiveDate;
use maillage_domain::Place;
use maillage_domain::geo::GeoPoint;
use maillage_domain::place::ValidationContext;
use maillage_domain::policy::{Action, Actor, Decision, Location, authorize};
use maillage_domain::typology::Typologies;
use maillage_referential::Referential;
use maillage_search::{Hit, PlaceContext, Results, SearchIndex, SearchQuery};
use maillage_standard::{Report, StandardError};
use maillage_store::{ImportOutcome, ImportRecord, Store, StoreError, StoredPlace};

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
    /// A campaign's personal link that may not be used (any more).
    #[error("{0}")]
    LinkRefused(maillage_domain::campaigns::LinkRefusal),
}

impl AppError {
    /// The HTTP status of this error, for pages and API alike.
    pub fn status(&self) -> axum::http::StatusCode {
        use axum::http::StatusCode;
        match self {
            AppError::SignInRequired => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound
            | AppError::LinkRefused(maillage_domain::campaigns::LinkRefusal::Unknown) => {
                StatusCode::NOT_FOUND
            }
            AppError::LinkRefused(_) => StatusCode::GONE,
            AppError::Invalid(_) | AppError::Standard(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::TooMany(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Store(StoreError::Conflict(_)) => StatusCode::CONFLICT,
            AppError::Store(_) | AppError::Search(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The message users see: internal details stay in the log (which never holds personal
    /// data: store and index errors carry none).
    pub fn public_message(&self) -> String {
        if self.status().is_server_error() {
            tracing::error!("erreur interne : {self}");
            "Une erreur interne est survenue. Réessayez dans un instant.".to_string()
        } else {
            self.to_string()
        }
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

/// What an import did, or why nothing was written.
#[derive(Debug)]
pub struct ImportResult {
    pub report: Report,
    /// `None` when nothing was written (invalid rows without `skip_invalid`).
    pub outcome: Option<ImportOutcome>,
}

/// Shared state: the store, the referentials and the current search index.
#[derive(Clone)]
pub struct App {
    pub store: Store,
    pub referential: Arc<Referential>,
    pub typologies: Arc<Typologies>,
    index: Arc<RwLock<Arc<SearchIndex>>>,
    index_after_writes: bool,
    search_cache: bool,
    recent_places: Arc<RecentPlaces>,
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
    /// The statistics cube of activity records (issue #7).
    pub(crate) stats: crate::activity::StatsCube,
    /// Rate limits of the server (e-mail, resume codes, login, heavy work).
    pub limits: Arc<crate::limits::Limits>,
    /// The dead-link checker also asks private and local addresses (tests against a local web
    /// server only; see [`App::checking_private_links`]).
    pub(crate) private_links_checked: bool,
}

/// Places recently shown in results, decoded, so that popular pages of results do not go back
/// to the database. Every write starts a new generation: older entries are never served, even
/// one put by a request that read the database just before the write.
struct RecentPlaces {
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

pub fn location_of(place: &Place, organisation_id: Option<&str>) -> Location {
    Location {
        organisation_id: organisation_id.map(str::to_string),
        insee_code: place.insee_code.clone(),
        departement: place.departement(),
    }
}

impl App {
    /// Builds the state and the search index from the store.
    pub async fn new(store: Store, referential: Referential) -> Result<Self, AppError> {
        Self::with_search_cache(store, referential, true).await
    }

    /// Same, choosing whether the index keeps a cache of recent searches (on in production;
    /// off to measure the searches themselves).
    pub async fn with_search_cache(
        store: Store,
        referential: Referential,
        search_cache: bool,
    ) -> Result<Self, AppError> {
        let app = App {
            index_after_writes: true,
            search_cache,
            ..Self::for_writes(store, referential)?
        };
        app.reindex().await?;
        Ok(app)
    }

    /// The state for a one-shot write (a command-line import): no search index is built, before
    /// or after, since nothing will search in this process.
    pub fn for_writes(store: Store, referential: Referential) -> Result<Self, AppError> {
        Ok(App {
            store,
            referential: Arc::new(referential),
            typologies: Arc::new(Typologies::standard()),
            index: Arc::new(RwLock::new(Arc::new(SearchIndex::build(
                std::iter::empty::<(Place, PlaceContext)>(),
            )?))),
            index_after_writes: false,
            search_cache: false,
            recent_places: Arc::new(RecentPlaces::default()),
            jobs: Arc::default(),
            mailer: crate::mail::Mailer::Disabled,
            public_url: "http://127.0.0.1:8080".into(),
            library: Arc::default(),
            catalogue: Arc::default(),
            stats: Default::default(),
            limits: Arc::default(),
            private_links_checked: false,
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

    /// Sends e-mail through this mailer, with links to this address.
    /// Lets the dead-link checker ask private and local addresses: for tests against a web
    /// server on this machine only — in production a published link never makes the server
    /// probe its own network.
    pub fn checking_private_links(mut self) -> Self {
        self.private_links_checked = true;
        self
    }

    pub fn with_mail(mut self, mailer: crate::mail::Mailer, public_url: &str) -> Self {
        self.mailer = mailer;
        self.public_url = public_url.trim_end_matches('/').to_string();
        self
    }

    /// Rebuilds the index after a write, when this process searches.
    pub(crate) async fn refresh_index(&self) -> Result<(), AppError> {
        if self.index_after_writes {
            self.reindex().await?;
        }
        Ok(())
    }

    /// Rebuilds the search index from the store (after writes; a national directory takes
    /// about a second, see docs/PERFORMANCE.md). Places are read in batches and indexed as they
    /// arrive, so memory holds the index and one batch, never the whole directory twice.
    pub async fn reindex(&self) -> Result<(), AppError> {
        const BATCH: u32 = 1_000;
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<StoredPlace>>(2);
        let referential = self.referential.clone();
        let builder = tokio::task::spawn_blocking(move || {
            use maillage_domain::CommuneLookup;
            let places = std::iter::from_fn(move || rx.blocking_recv()).flatten();
            SearchIndex::build(places.map(|s| {
                let epci = s
                    .place
                    .insee_code
                    .as_deref()
                    .and_then(|c| referential.by_code(c))
                    .and_then(|c| c.epci.clone());
                let context = PlaceContext {
                    epci,
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
        match self.index.write() {
            Ok(mut guard) => *guard = Arc::new(index),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(index),
        }
        self.recent_places.invalidate();
        Ok(())
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
        let mut report =
            maillage_standard::check_watched(bytes, &self.validation_context(), progress)?;
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
        if report.invalid_count() > 0 && !skip_invalid {
            return Ok(ImportResult {
                report,
                outcome: None,
            });
        }
        let records: Vec<ImportRecord> = report
            .valid()
            .filter_map(|r| {
                r.place.as_ref().map(|place| ImportRecord {
                    source_id: r.source_id.clone(),
                    place: place.clone(),
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
        progress.stage("Mise à jour de l'index de recherche", None);
        self.refresh_index().await?;
        Ok(ImportResult {
            report,
            outcome: Some(outcome),
        })
    }

    /// Searches the directory, off the async threads (a search is CPU work). A typed text over
    /// the limits is refused ([`maillage_domain::text::check_query`]).
    pub async fn search(&self, q: &SearchQuery) -> Result<Results, AppError> {
        if let Some(text) = &q.text {
            maillage_domain::text::check_query(text).map_err(AppError::TooLarge)?;
        }
        let index = self.index();
        let q = q.clone();
        tokio::task::spawn_blocking(move || index.search(&q))
            .await
            .map_err(|e| AppError::Invalid(format!("recherche interrompue : {e}")))?
            .map_err(AppError::from)
    }

    /// Resolves "near" input: a commune name or INSEE code, or "lat,lon".
    pub fn resolve_near(&self, input: &str) -> Result<(GeoPoint, String), AppError> {
        if let Some(p) = GeoPoint::parse(input) {
            return Ok((p, input.trim().to_string()));
        }
        let commune = self.referential.find_by_name(input, None).ok_or_else(|| {
            AppError::Invalid(format!(
                "commune « {} » introuvable dans le référentiel officiel",
                input.trim()
            ))
        })?;
        let (centre, _) = self
            .referential
            .centre_of(&commune.insee_code)
            .ok_or_else(|| {
                AppError::Invalid(format!("position de « {} » inconnue", commune.name))
            })?;
        Ok((
            centre,
            format!("{} ({})", commune.name, commune.departement),
        ))
    }

    pub async fn place(&self, id: &str) -> Result<StoredPlace, AppError> {
        self.store.place(id).await?.ok_or(AppError::NotFound)
    }

    /// Places of a search, in result order, for exports.
    pub async fn places_of(&self, q: &SearchQuery) -> Result<Vec<Place>, AppError> {
        let mut all_q = q.clone();
        all_q.offset = 0;
        all_q.limit = usize::MAX;
        let results = self.search(&all_q).await?;
        Ok(self
            .places_of_hits(&results.hits)
            .await?
            .into_iter()
            .map(|(_, s)| s.place)
            .collect())
    }

    /// Search hits with their stored places, in the same order, in one round trip per 500
    /// (a hit whose place was deleted meanwhile is left out).
    pub async fn places_of_hits<'h>(
        &self,
        hits: &'h [Hit],
    ) -> Result<Vec<(&'h Hit, StoredPlace)>, AppError> {
        let generation = self.recent_places.generation();
        let mut stored: HashMap<String, StoredPlace> = HashMap::with_capacity(hits.len());
        let mut missing = Vec::new();
        for hit in hits {
            match self.recent_places.get(&hit.id, generation) {
                Some(place) => {
                    stored.insert(hit.id.clone(), place);
                }
                None => missing.push(hit.id.clone()),
            }
        }
        if !missing.is_empty() {
            for place in self.store.places(&missing).await? {
                if self.search_cache {
                    self.recent_places.put(&place, generation);
                }
                stored.insert(place.place.id.clone(), place);
            }
        }
        Ok(hits
            .iter()
            .filter_map(|h| stored.remove(&h.id).map(|s| (h, s)))
            .collect())
    }

    /// Creates a place after the policy allowed it.
    pub async fn create_place(
        &self,
        actor: Option<&Actor>,
        place: Place,
        organisation_id: Option<&str>,
    ) -> Result<String, AppError> {
        allow(authorize(
            actor,
            &Action::CreatePlace(location_of(&place, organisation_id)),
            today(),
        ))?;
        let id = self
            .store
            .create_place(place, organisation_id, actor.map(|a| a.user_id.as_str()))
            .await?;
        self.refresh_index().await?;
        Ok(id)
    }

    /// Updates a place; both its current and its new location must be allowed.
    pub async fn update_place(
        &self,
        actor: Option<&Actor>,
        place: Place,
        organisation_id: Option<&str>,
    ) -> Result<(), AppError> {
        let current = self.place(&place.id).await?;
        allow(authorize(
            actor,
            &Action::UpdatePlace(location_of(
                &current.place,
                current.organisation_id.as_deref(),
            )),
            today(),
        ))?;
        allow(authorize(
            actor,
            &Action::UpdatePlace(location_of(&place, organisation_id)),
            today(),
        ))?;
        self.store
            .update_place(&place, organisation_id, actor.map(|a| a.user_id.as_str()))
            .await?;
        self.refresh_index().await?;
        // Whoever may edit the page answers the campaigns that asked about it.
        let unchanged = Place {
            updated_on: place.updated_on,
            ..current.place.clone()
        } == place;
        let status = if unchanged {
            maillage_domain::campaigns::RequestStatus::Confirmed
        } else {
            maillage_domain::campaigns::RequestStatus::Corrected
        };
        self.answer_campaigns_of_place(&place.id, status).await?;
        Ok(())
    }

    /// "Nothing has changed": who may edit the place confirms it, which refreshes `date_maj`.
    pub async fn confirm_place(&self, actor: Option<&Actor>, id: &str) -> Result<(), AppError> {
        let current = self.place(id).await?;
        let mut place = current.place;
        place.updated_on = today();
        self.update_place(actor, place, current.organisation_id.as_deref())
            .await
    }

    pub async fn delete_place(&self, actor: Option<&Actor>, id: &str) -> Result<(), AppError> {
        let current = self.place(id).await?;
        allow(authorize(
            actor,
            &Action::DeletePlace(location_of(
                &current.place,
                current.organisation_id.as_deref(),
            )),
            today(),
        ))?;
        self.store.delete_place(id).await?;
        self.refresh_index().await?;
        Ok(())
    }
}
