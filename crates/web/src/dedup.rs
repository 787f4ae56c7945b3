//! Deduplication service: the likely duplicates of the directory, by the domain's rule
//! ([`maillage_domain::dedup`]), with the stored places they concern.

use maillage_domain::dedup::{Candidate, Comparison, DedupSettings, find_pairs};
use maillage_store::StoredPlace;

use crate::app::{App, AppError};

/// A pair of stored places and how they compare.
#[derive(Debug, Clone)]
pub struct DuplicatePair {
    pub a: StoredPlace,
    pub b: StoredPlace,
    pub comparison: Comparison,
}

/// The source a record is compared by: the standard's `source` field, else the import's.
fn source_of(s: &StoredPlace) -> Option<&str> {
    s.place
        .source
        .as_deref()
        .filter(|v| !v.trim().is_empty())
        .or(s.source.as_deref())
}

impl App {
    /// Pairs of places scoring at least the review threshold, best first (vetoed pairs
    /// included, with their vetoes).
    pub async fn duplicate_pairs(
        &self,
        settings: &DedupSettings,
    ) -> Result<Vec<DuplicatePair>, AppError> {
        let places = self.store.all_places().await?;
        let settings = *settings;
        let (places, pairs) = tokio::task::spawn_blocking(move || {
            let candidates: Vec<Candidate<'_>> = places
                .iter()
                .map(|s| Candidate {
                    id: &s.place.id,
                    source: source_of(s),
                    name: &s.place.name,
                    address: &s.place.address,
                    commune: &s.place.commune,
                    postcode: &s.place.postcode,
                    insee_code: s.place.insee_code.as_deref(),
                    location: s.place.location,
                    typologies: &s.place.typologies,
                })
                .collect();
            let pairs = find_pairs(&candidates, &settings);
            (places, pairs)
        })
        .await
        .map_err(|e| AppError::Invalid(format!("recherche des doublons interrompue : {e}")))?;
        Ok(pairs
            .into_iter()
            .filter_map(|p| {
                Some(DuplicatePair {
                    a: places.get(p.a)?.clone(),
                    b: places.get(p.b)?.clone(),
                    comparison: p.comparison,
                })
            })
            .collect())
    }
}
