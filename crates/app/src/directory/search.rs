//! Searching the directory and reading its places (pages, API, exports).

use std::collections::HashMap;

use maillage_domain::Place;
use maillage_domain::geo::GeoPoint;
use maillage_search::{Hit, Results, SearchQuery};
use maillage_store::StoredPlace;

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
        let results = self.search_uncounted(q).await;
        self.metrics.search(started.elapsed());
        results
    }

    async fn search_uncounted(&self, q: &SearchQuery) -> Result<Results, AppError> {
        let Some(text) = &q.text else {
            return self.run_search(q.clone()).await;
        };
        maillage_domain::text::check_query(text).map_err(AppError::TooLarge)?;
        let results = self.run_search(q.clone()).await?;
        if results.total > 0 || q.any_word {
            return Ok(results);
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
        let results = self.run_search(widened).await?;
        Ok(Results {
            widened: results.total > 0,
            ..results
        })
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

    async fn run_search(&self, q: SearchQuery) -> Result<Results, AppError> {
        let index = self.index();
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

    /// Search hits with their stored places, in the same order (a hit whose place was deleted
    /// meanwhile is left out once the deletion has reached the index): each place from the
    /// cache of recent places, else read back from the shelf of the index (the version the
    /// index holds now), else from the base in one round trip per 500.
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
            let index = self.index();
            let (missing, unpacked) = if missing.len() <= UNPACKED_INLINE {
                let unpacked = unpack(
                    &self.shelf,
                    index.shelved(missing.iter().map(String::as_str)),
                );
                (missing, unpacked)
            } else {
                // A long list (an export of the results, the map) is read off the async
                // threads, 500 places per look at the index.
                let shelf = self.shelf.clone();
                tokio::task::spawn_blocking(move || {
                    let unpacked = missing
                        .chunks(500)
                        .flat_map(|ids| {
                            unpack(&shelf, index.shelved(ids.iter().map(String::as_str)))
                        })
                        .collect::<Vec<_>>();
                    (missing, unpacked)
                })
                .await
                .map_err(|e| AppError::Invalid(format!("lecture des lieux interrompue : {e}")))?
            };
            let mut from_base = Vec::new();
            for (id, place) in missing.into_iter().zip(unpacked) {
                match place {
                    Some(place) => {
                        if self.search_cache {
                            self.recent_places.put(&place, generation);
                        }
                        stored.insert(id, place);
                    }
                    None => from_base.push(id),
                }
            }
            if !from_base.is_empty() {
                for place in self.store.places(&from_base).await? {
                    if self.search_cache {
                        self.recent_places.put(&place, generation);
                    }
                    stored.insert(place.place.id.clone(), place);
                }
            }
        }
        Ok(hits
            .iter()
            .filter_map(|h| stored.remove(&h.id).map(|s| (h, s)))
            .collect())
    }
}

/// Places of a page unpacked on the calling thread: about 5 µs each (zstd, then JSON).
const UNPACKED_INLINE: usize = 100;

/// The shelved places read back, in the same order; `None` for those to read from the base.
fn unpack(
    shelf: &crate::directory::shelf::Shelf,
    shelved: Vec<Option<Box<[u8]>>>,
) -> Vec<Option<StoredPlace>> {
    shelved
        .into_iter()
        .map(|bytes| bytes.and_then(|b| shelf.unpack(&b)))
        .collect()
}

impl App {
    /// A place if it (still) exists: for a name shown beside something else (a workshop).
    pub async fn find_place(&self, id: &str) -> Result<Option<StoredPlace>, AppError> {
        Ok(self.store.place(id).await?)
    }
}
