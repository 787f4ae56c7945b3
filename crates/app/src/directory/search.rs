//! Searching the directory and reading its places (pages, API, exports).

use std::collections::HashMap;

use maillage_domain::Place;
use maillage_domain::geo::GeoPoint;
use maillage_search::{Hit, Results, SearchQuery};
use maillage_store::StoredPlace;

use super::listed::ListedPlace;
use super::published::{PublishedPlace, with_hit};
use crate::{App, AppError};

impl App {
    /// Searches the directory, off the async threads (a search is CPU work). A typed text over
    /// the limits is refused ([`maillage_domain::text::check_query`]).
    ///
    /// Words are read as people type them: when no place holds every word (« démarches CAF »,
    /// « imprimer »), the search is widened — each word optional, the words of the requests of
    /// the orientation catalogue they name added, and only the places offering the services
    /// those requests need (« CAF » is a request for help with administrative procedures) —
    /// and says so (`Results::widened`).
    pub async fn search(&self, q: &SearchQuery) -> Result<Results, AppError> {
        let started = std::time::Instant::now();
        let results = self.search_uncounted(q, NoPlaces).await;
        self.metrics.search(started.elapsed());
        Ok(results?.0)
    }

    /// [`App::search`] with the places of the page, in result order (a hit whose place was
    /// deleted meanwhile is left out): read from the index's shelf in the same visit off the
    /// async threads as the search itself (one hand-over for a page, not one per step), those
    /// the shelf cannot give then read from the base. The searches' duration counts that
    /// reading from the shelf, not the base's.
    pub async fn search_places(&self, q: &SearchQuery) -> Result<FoundPlaces, AppError> {
        let started = std::time::Instant::now();
        let searched = self.search_uncounted(q, self.held_places()).await;
        self.metrics.search(started.elapsed());
        let (results, held) = searched?;
        let places = self
            .with_stored(&results.hits, held)
            .await?
            .into_iter()
            .map(|(hit, stored)| (hit.clone(), stored))
            .collect();
        Ok(FoundPlaces {
            total: results.total,
            widened: results.widened,
            places,
        })
    }

    /// [`App::search_places`] for a caller who does not see the helpers' part
    /// ([`crate::sees_helpers_part`]): each place of the page as the API publishes it, its JSON
    /// with its distance and opening ([`PublishedPlace`] with its hit), copied from the index's
    /// shelf where it was written when the place was indexed (those the shelf cannot give are
    /// read from the base and written).
    pub async fn search_published(&self, q: &SearchQuery) -> Result<FoundPublished, AppError> {
        let reader = PublishedPlaces {
            shelf: self.shelf.clone(),
        };
        let (total, widened, found) = self
            .search_read(q, reader, |stored| {
                serde_json::to_vec(&PublishedPlace::of(
                    &stored.place,
                    stored.organisation_id.as_deref(),
                    None,
                    false,
                ))
                .ok()
            })
            .await?;
        Ok(FoundPublished {
            total,
            widened,
            places: found
                .into_iter()
                .filter_map(|(hit, json)| with_hit(json, &hit))
                .collect(),
        })
    }

    /// [`App::search_places`] with what a list of results shows of each place
    /// ([`ListedPlace`]: the search page's cards), read from the index's shelf without the
    /// rest of the place (those the shelf cannot give read from the base).
    pub async fn search_listed(&self, q: &SearchQuery) -> Result<FoundListed, AppError> {
        let reader = ListedPlaces {
            shelf: self.shelf.clone(),
        };
        let (total, widened, places) = self
            .search_read(q, reader, |stored| Some(ListedPlace::of(stored)))
            .await?;
        Ok(FoundListed {
            total,
            widened,
            places,
        })
    }

    /// The search (its duration counted) with its page's places as `reader` gives them, those
    /// it cannot give read from the base and made by `from_base`: the total, whether the search
    /// was widened, and each hit with its place in result order (a hit whose place is gone
    /// left out).
    async fn search_read<R: PageReader>(
        &self,
        q: &SearchQuery,
        reader: R,
        from_base: impl Fn(&StoredPlace) -> Option<R::Place>,
    ) -> Result<(usize, bool, Vec<(Hit, R::Place)>), AppError> {
        let started = std::time::Instant::now();
        let searched = self.search_uncounted(q, reader).await;
        self.metrics.search(started.elapsed());
        let (results, held) = searched?;
        let mut read = self.not_held(&results.hits, &held).await?;
        let mut held = held.into_iter();
        let places = results
            .hits
            .into_iter()
            .filter_map(|hit| {
                let place = held
                    .next()
                    .flatten()
                    .or_else(|| from_base(&read.remove(&hit.id)?))?;
                Some((hit, place))
            })
            .collect();
        Ok((results.total, results.widened, places))
    }

    /// The search, then what `reader` holds of the page's places (`None` for those to read
    /// from the base).
    async fn search_uncounted<R: PageReader>(
        &self,
        q: &SearchQuery,
        held: R,
    ) -> Result<(Results, Vec<Option<R::Place>>), AppError> {
        let Some(text) = &q.text else {
            return self.run_search(q.clone(), held).await;
        };
        maillage_domain::text::check_query(text).map_err(AppError::TooLarge)?;
        let (results, places) = self.run_search(q.clone(), held.clone()).await?;
        if results.total > 0 || q.any_word {
            return Ok((results, places));
        }
        let (words, services) = self.words_of_requests(text).await?;
        // The places that give the help the named requests need (when the search did not ask
        // for services already), ranked by the words they share: not every place sharing one
        // common word of a long label (issue #10: « démarches CAF » found every place).
        let widened = SearchQuery {
            text: Some(words),
            any_word: true,
            services: if q.services.is_empty() {
                services
            } else {
                q.services.clone()
            },
            ..q.clone()
        };
        let (results, places) = self.run_search(widened, held).await?;
        Ok((
            Results {
                widened: results.total > 0,
                ..results
            },
            places,
        ))
    }

    /// The typed words, then what the catalogue's requests they name ask for: their title and
    /// the labels of the services and forms of mediation that answer them; and those services.
    async fn words_of_requests(
        &self,
        text: &str,
    ) -> Result<(String, Vec<maillage_domain::vocab::Service>), AppError> {
        use maillage_domain::Vocabulary;
        let catalogue = self.catalogue().await?;
        let mut words = vec![text.to_string()];
        let mut services = Vec::new();
        for entry in catalogue.matching(text)?.into_iter().take(2) {
            words.push(entry.title.clone());
            words.extend(entry.services.iter().map(|s| s.label().to_string()));
            words.extend(entry.mediation_forms.iter().map(|f| f.label().to_string()));
            for s in &entry.services {
                if !services.contains(s) {
                    services.push(*s);
                }
            }
        }
        Ok((words.join(" "), services))
    }

    async fn run_search<R: PageReader>(
        &self,
        q: SearchQuery,
        held: R,
    ) -> Result<(Results, Vec<Option<R::Place>>), AppError> {
        let index = self.index();
        on_search_threads(move || {
            let results = index.search(&q)?;
            let places = held.read(&index, &results.hits);
            Ok::<_, maillage_search::SearchError>((results, places))
        })
        .await?
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

    /// Search hits with their stored places, in the same order (a hit whose place was deleted
    /// meanwhile is left out once the deletion has reached the index): each place from the
    /// cache of recent places, else read back from the shelf of the index (the version the
    /// index holds now), else from the base in one round trip per 500.
    pub async fn places_of_hits<'h>(
        &self,
        hits: &'h [Hit],
    ) -> Result<Vec<(&'h Hit, StoredPlace)>, AppError> {
        let held = self.held_places();
        let index = self.index();
        let places = if hits.len() <= UNPACKED_INLINE {
            held.read(&index, hits)
        } else {
            // A long list (an export of the results, the map) is read off the async threads.
            let owned = hits.to_vec();
            tokio::task::spawn_blocking(move || held.read(&index, &owned))
                .await
                .map_err(|e| AppError::Invalid(format!("lecture des lieux interrompue : {e}")))?
        };
        self.with_stored(hits, places).await
    }

    /// What the caches and the index hold of places, as of now.
    fn held_places(&self) -> HeldPlaces {
        HeldPlaces {
            shelf: self.shelf.clone(),
            recent: self
                .search_cache
                .then(|| (self.recent_places.clone(), self.recent_places.generation())),
        }
    }

    /// The places of the hits `held` does not give (`None`, or past its end), read from the
    /// base in one round trip, by id (a place deleted meanwhile is not there).
    async fn not_held<T>(
        &self,
        hits: &[Hit],
        held: &[Option<T>],
    ) -> Result<HashMap<String, StoredPlace>, AppError> {
        let ids: Vec<String> = hits
            .iter()
            .zip(
                held.iter()
                    .map(Option::is_some)
                    .chain(std::iter::repeat(false)),
            )
            .filter(|(_, held)| !held)
            .map(|(hit, _)| hit.id.clone())
            .collect();
        let mut read = HashMap::with_capacity(ids.len());
        if !ids.is_empty() {
            for place in self.store.places(&ids).await? {
                read.insert(place.place.id.clone(), place);
            }
        }
        Ok(read)
    }

    /// The hits with their places: those `held` gives, the others read from the base.
    async fn with_stored<'h>(
        &self,
        hits: &'h [Hit],
        held: Vec<Option<StoredPlace>>,
    ) -> Result<Vec<(&'h Hit, StoredPlace)>, AppError> {
        let generation = self.recent_places.generation();
        let mut read = self.not_held(hits, &held).await?;
        if self.search_cache {
            for place in read.values() {
                self.recent_places.put(place, generation);
            }
        }
        let mut held = held.into_iter();
        Ok(hits
            .iter()
            .filter_map(|hit| {
                held.next()
                    .flatten()
                    .or_else(|| read.remove(&hit.id))
                    .map(|place| (hit, place))
            })
            .collect())
    }
}

/// The threads of searches: as many as the machine has cores, apart from the blocking pool
/// (`None` if the system refused them: then the blocking pool serves).
static SEARCH_THREADS: std::sync::OnceLock<Option<rayon::ThreadPool>> = std::sync::OnceLock::new();

/// Runs a search off the async threads, on the threads of searches (issue #22). Under load
/// the searches wait in the pool's queue and its threads take them one after the other, where
/// the blocking pool woke one of its threads for each (up to one per request in flight) and
/// put it back to sleep: two thread switches and some five system calls a request, a fifth of
/// a search page's time on two cores. A search that panics is an error, not the end of the
/// process.
async fn on_search_threads<R: Send + 'static>(
    work: impl FnOnce() -> R + Send + 'static,
) -> Result<R, AppError> {
    let pool = SEARCH_THREADS.get_or_init(|| {
        let threads = std::thread::available_parallelism().map_or(2, usize::from);
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("recherche-{i}"))
            .panic_handler(|_| tracing::error!("une recherche s'est interrompue"))
            .build()
            .ok()
    });
    let interrupted =
        |e: &dyn std::fmt::Display| AppError::Invalid(format!("recherche interrompue : {e}"));
    match pool {
        Some(pool) => {
            let (tx, rx) = tokio::sync::oneshot::channel();
            pool.spawn(move || {
                let _ = tx.send(work());
            });
            rx.await.map_err(|e| interrupted(&e))
        }
        None => tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| interrupted(&e)),
    }
}

/// A page of results with its places ([`App::search_places`]).
#[derive(Debug, Clone, Default)]
pub struct FoundPlaces {
    /// Places found in all.
    pub total: usize,
    /// No place held every word: these share some of them (`Results::widened`).
    pub widened: bool,
    /// The page's hits with their places, in result order.
    pub places: Vec<(Hit, StoredPlace)>,
}

/// The places of a page of results found with the JSON the API publishes of each
/// ([`App::search_published`]).
#[derive(Debug, Clone, Default)]
pub struct FoundPublished {
    /// Places found in all.
    pub total: usize,
    /// No place held every word: these share some of them (`Results::widened`).
    pub widened: bool,
    /// The page's places in result order, each the JSON of [`PublishedPlace`] with its hit.
    pub places: Vec<Vec<u8>>,
}

/// A page of results with what a list shows of its places ([`App::search_listed`]).
#[derive(Debug, Clone, Default)]
pub struct FoundListed {
    /// Places found in all.
    pub total: usize,
    /// No place held every word: these share some of them (`Results::widened`).
    pub widened: bool,
    /// The page's hits with their places, in result order.
    pub places: Vec<(Hit, ListedPlace)>,
}

/// What a search reads of its page's places off the async threads, with the search itself.
trait PageReader: Clone + Send + 'static {
    type Place: Send + 'static;

    /// The hits' places, in the same order (`None` for those to read from the base; an empty
    /// list when nothing is read).
    fn read(&self, index: &maillage_search::SearchIndex, hits: &[Hit]) -> Vec<Option<Self::Place>>;
}

/// Nothing: a search whose caller reads the places itself, if at all.
#[derive(Clone)]
struct NoPlaces;

impl PageReader for NoPlaces {
    type Place = ();

    fn read(&self, _: &maillage_search::SearchIndex, _: &[Hit]) -> Vec<Option<()>> {
        Vec::new()
    }
}

/// The JSON the API publishes of each place, from the index's shelf.
#[derive(Clone)]
struct PublishedPlaces {
    shelf: std::sync::Arc<crate::directory::shelf::Shelf>,
}

impl PageReader for PublishedPlaces {
    type Place = Vec<u8>;

    fn read(&self, index: &maillage_search::SearchIndex, hits: &[Hit]) -> Vec<Option<Vec<u8>>> {
        index
            .shelved_for(hits)
            .into_iter()
            .map(|bytes| bytes.and_then(|b| self.shelf.unpack_published(&b)))
            .collect()
    }
}

/// What a list of results shows of each place, from the index's shelf.
#[derive(Clone)]
struct ListedPlaces {
    shelf: std::sync::Arc<crate::directory::shelf::Shelf>,
}

impl PageReader for ListedPlaces {
    type Place = ListedPlace;

    fn read(&self, index: &maillage_search::SearchIndex, hits: &[Hit]) -> Vec<Option<ListedPlace>> {
        index
            .shelved_for(hits)
            .into_iter()
            .map(|bytes| bytes.and_then(|b| self.shelf.unpack_listed(&b)))
            .collect()
    }
}

impl PageReader for HeldPlaces {
    type Place = StoredPlace;

    fn read(&self, index: &maillage_search::SearchIndex, hits: &[Hit]) -> Vec<Option<StoredPlace>> {
        HeldPlaces::read(self, index, hits)
    }
}

/// Places of a page unpacked on the calling thread: about 5 µs each (zstd, then JSON).
const UNPACKED_INLINE: usize = 100;

/// What is read of places without the base: the cache of recent places (when answers are kept)
/// and the shelf of the index.
#[derive(Clone)]
struct HeldPlaces {
    shelf: std::sync::Arc<crate::directory::shelf::Shelf>,
    /// The cache of recent places, and its generation when the reading began.
    recent: Option<(std::sync::Arc<crate::RecentPlaces>, u64)>,
}

impl HeldPlaces {
    /// The hits' places, in the same order: from the cache of recent places, else from the
    /// index's shelf, 500 places per look; `None` for those to read from the base.
    fn read(&self, index: &maillage_search::SearchIndex, hits: &[Hit]) -> Vec<Option<StoredPlace>> {
        let mut places: Vec<Option<StoredPlace>> = match &self.recent {
            Some((recent, generation)) => hits
                .iter()
                .map(|h| recent.get(&h.id, *generation))
                .collect(),
            None => vec![None; hits.len()],
        };
        let missing: Vec<usize> = (0..hits.len())
            .filter(|i| places.get(*i).is_some_and(Option::is_none))
            .collect();
        for chunk in missing.chunks(500) {
            let held = chunk.iter().filter_map(|i| hits.get(*i));
            for (i, bytes) in chunk.iter().zip(index.shelved_for(held)) {
                let place = bytes.and_then(|b| self.shelf.unpack(&b));
                if let (Some(place), Some((recent, generation))) = (&place, &self.recent) {
                    recent.put(place, *generation);
                }
                if let Some(slot) = places.get_mut(*i) {
                    *slot = place;
                }
            }
        }
        places
    }
}

impl App {
    /// A place if it (still) exists: for a name shown beside something else (a workshop).
    pub async fn find_place(&self, id: &str) -> Result<Option<StoredPlace>, AppError> {
        Ok(self.store.place(id).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The threads of searches answer, and a search that panics is an error for its request
    /// while the threads go on answering the next ones.
    #[tokio::test]
    async fn a_search_that_panics_is_an_error_and_the_threads_go_on() {
        assert_eq!(on_search_threads(|| 6 * 7).await.ok(), Some(42));
        let panicked = on_search_threads(|| -> usize { panic!("recherche cassée") }).await;
        assert!(panicked.is_err());
        let answers =
            futures_util::future::join_all((0..64).map(|i| on_search_threads(move || i * 2)))
                .await
                .into_iter()
                .map(Result::ok)
                .collect::<Vec<_>>();
        assert_eq!(answers, (0..64).map(|i| Some(i * 2)).collect::<Vec<_>>());
    }
}
