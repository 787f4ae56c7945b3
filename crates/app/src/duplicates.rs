//! Deduplication service: the likely duplicates of the directory, by the domain's rule
//! ([`maillage_domain::dedup`]), with the stored places they concern.

use maillage_domain::duplicates::{
    Candidate, Comparison, DedupSettings, find_pairs_watched, shown_once,
};
use maillage_domain::policy::{Action, Actor, authorize};
use maillage_domain::progress::{Progress, Silent};
use maillage_store::{MergeSummary, StoredPlace};

use crate::{App, AppError, allow, location_of, today};

/// Places of a page grouped on the calling thread: a page of results has 20, some 190 pairs
/// compared in tens of microseconds — less than a hand-over to the blocking pool and back.
const GROUPED_INLINE: usize = 50;

/// The pairs marked as different (`a_id`, `b_id`), as the base holds them.
pub(crate) type Different = std::collections::HashSet<(String, String)>;

/// The pairs marked as different, kept in memory by a process that follows the change feed
/// (issue #22): each page of results groups its duplicates without reading every decision from
/// the base. Forgotten when the feed says a decision changed (topic `doublons`, migration
/// 0028); a reading started before that is not kept.
#[derive(Default)]
pub(crate) struct Vetoes {
    state: std::sync::Mutex<(u64, Option<std::sync::Arc<Different>>)>,
}

impl Vetoes {
    fn lock(&self) -> std::sync::MutexGuard<'_, (u64, Option<std::sync::Arc<Different>>)> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The version of the decisions, and what is kept of them.
    fn kept(&self) -> (u64, Option<std::sync::Arc<Different>>) {
        let state = self.lock();
        (state.0, state.1.clone())
    }

    /// Keeps decisions read under `version`, unless they changed meanwhile.
    fn keep(&self, version: u64, read: std::sync::Arc<Different>) {
        let mut state = self.lock();
        if state.0 == version {
            state.1 = Some(read);
        }
    }

    /// A decision changed: read them again on next use.
    pub(crate) fn forget(&self) {
        let mut state = self.lock();
        state.0 += 1;
        state.1 = None;
    }
}

/// A pair of stored places and how they compare.
#[derive(Debug, Clone)]
pub struct DuplicatePair {
    pub a: StoredPlace,
    pub b: StoredPlace,
    pub comparison: Comparison,
}

/// The source a record is compared by: the standard's `source` field, else the import's.
pub fn source_of(s: &StoredPlace) -> Option<&str> {
    s.place
        .source
        .as_deref()
        .filter(|v| !v.trim().is_empty())
        .or(s.source.as_deref())
}

impl App {
    /// A ranked list with quasi-certain duplicates between sources shown once (issue #10): the
    /// first of each group stays where it ranks, with the records it stands for. Pairs a
    /// coordinator marked as different stay apart. `view` gives what the rule reads of each item
    /// ([`Candidate`]: its place and source).
    /// A page's places are compared on the calling thread, longer lists off the async threads.
    pub async fn shown_once<T: Send + 'static>(
        &self,
        ranked: Vec<T>,
        view: fn(&T) -> Candidate<'_>,
    ) -> Result<Vec<(T, Vec<T>)>, AppError> {
        if ranked.len() < 2 {
            return Ok(ranked.into_iter().map(|t| (t, Vec::new())).collect());
        }
        let different = self.different_places().await?;
        let group = move |ranked: Vec<T>| {
            let groups = {
                let candidates: Vec<Candidate<'_>> = ranked
                    .iter()
                    .map(|item| {
                        let candidate = view(item);
                        Candidate {
                            source: candidate.source.filter(|v| !v.trim().is_empty()),
                            ..candidate
                        }
                    })
                    .collect();
                shown_once(&candidates, &DedupSettings::default(), |a, b| {
                    different.contains(&(a.to_string(), b.to_string()))
                })
            };
            let mut slots: Vec<Option<T>> = ranked.into_iter().map(Some).collect();
            let mut out = Vec::with_capacity(groups.len());
            for (keep, others) in groups {
                let same: Vec<T> = others
                    .iter()
                    .filter_map(|i| slots.get_mut(*i).and_then(Option::take))
                    .collect();
                if let Some(item) = slots.get_mut(keep).and_then(Option::take) {
                    out.push((item, same));
                }
            }
            out
        };
        if ranked.len() <= GROUPED_INLINE {
            return Ok(group(ranked));
        }
        tokio::task::spawn_blocking(move || group(ranked))
            .await
            .map_err(|e| AppError::Invalid(format!("comparaison interrompue : {e}")))
    }

    /// The pairs marked as different: kept in memory by a process that follows the change
    /// feed (the server), read from the base by one that does not (a command).
    pub(crate) async fn different_places(&self) -> Result<std::sync::Arc<Different>, AppError> {
        if !self.follows_changes() {
            return Ok(std::sync::Arc::new(self.store.not_duplicates().await?));
        }
        let (version, kept) = self.vetoes.kept();
        if let Some(kept) = kept {
            return Ok(kept);
        }
        let read = std::sync::Arc::new(self.store.not_duplicates().await?);
        self.vetoes.keep(version, read.clone());
        Ok(read)
    }

    /// Pairs of places scoring at least the review threshold, best first (vetoed pairs
    /// included, with their vetoes).
    pub async fn duplicate_pairs(
        &self,
        settings: &DedupSettings,
    ) -> Result<Vec<DuplicatePair>, AppError> {
        self.duplicate_pairs_watched(settings, std::sync::Arc::new(Silent))
            .await
    }

    /// [`App::duplicate_pairs`] reporting to `progress`, which may interrupt the run (it
    /// writes nothing).
    pub async fn duplicate_pairs_watched(
        &self,
        settings: &DedupSettings,
        progress: std::sync::Arc<dyn Progress + Send>,
    ) -> Result<Vec<DuplicatePair>, AppError> {
        progress.stage("Lecture de l'annuaire", None);
        let places = self.store.all_places().await?;
        let settings = *settings;
        let (places, pairs) = tokio::task::spawn_blocking(move || {
            let candidates: Vec<Candidate<'_>> = places
                .iter()
                .map(|s| Candidate::of(&s.place, source_of(s)))
                .collect();
            let pairs = find_pairs_watched(&candidates, &settings, progress.as_ref());
            (places, pairs)
        })
        .await
        .map_err(|e| AppError::Invalid(format!("recherche des doublons interrompue : {e}")))?;
        let pairs = pairs.map_err(|e| AppError::Invalid(e.to_string()))?;
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

fn resolve_decision(
    actor: Option<&Actor>,
    place: &StoredPlace,
) -> maillage_domain::policy::Decision {
    authorize(
        actor,
        &Action::ResolveDuplicate(location_of(&place.place, place.organisation_id.as_deref())),
        today(),
    )
}

/// What the review queue shows a coordinator.
#[derive(Debug, Clone, Default)]
pub struct ReviewQueue {
    /// Pairs to decide, best first (not vetoed, not marked "not a duplicate").
    pub pairs: Vec<DuplicatePair>,
    /// Pairs ruled out by a veto although they look alike, with their reasons.
    pub vetoed: Vec<DuplicatePair>,
    pub settings: DedupSettings,
}

impl App {
    fn may_resolve(&self, actor: Option<&Actor>, place: &StoredPlace) -> bool {
        resolve_decision(actor, place).is_allowed()
    }

    /// The review queue of the actor's territory.
    pub async fn review_queue(
        &self,
        actor: Option<&Actor>,
        settings: &DedupSettings,
    ) -> Result<ReviewQueue, AppError> {
        allow(authorize(actor, &Action::ReviewDuplicates, today()))?;
        let decided = self.store.not_duplicates().await?;
        let mut queue = ReviewQueue {
            settings: *settings,
            ..ReviewQueue::default()
        };
        for pair in self.duplicate_pairs(settings).await? {
            let key = if pair.a.place.id <= pair.b.place.id {
                (pair.a.place.id.clone(), pair.b.place.id.clone())
            } else {
                (pair.b.place.id.clone(), pair.a.place.id.clone())
            };
            if decided.contains(&key)
                || !self.may_resolve(actor, &pair.a)
                || !self.may_resolve(actor, &pair.b)
            {
                continue;
            }
            if pair.comparison.is_vetoed() {
                queue.vetoed.push(pair);
            } else {
                queue.pairs.push(pair);
            }
        }
        Ok(queue)
    }

    /// Merges places into `keep` (one of `ids`): values by the domain's rule, every record kept
    /// for undo, provenance preserved. Returns the merge's identifier.
    pub async fn merge_duplicates(
        &self,
        actor: Option<&Actor>,
        ids: &[String],
        keep: &str,
    ) -> Result<String, AppError> {
        let mut group = Vec::with_capacity(ids.len());
        for id in ids {
            let place = self.place(id).await?;
            allow(resolve_decision(actor, &place))?;
            group.push(place);
        }
        if !ids.iter().any(|id| id == keep) || group.len() < 2 {
            return Err(AppError::Invalid(
                "choisissez au moins deux lieux et celui qui est gardé".into(),
            ));
        }
        let places: Vec<_> = group.iter().map(|s| s.place.clone()).collect();
        let mut merged = maillage_domain::duplicates::merge(&places)
            .ok_or_else(|| AppError::Invalid("rien à fusionner".into()))?;
        merged.id = keep.to_string();
        let by = actor.map(|a| a.user_id.as_str());
        let merge_id = self.store.merge_places(&merged, ids, by).await?;
        self.refresh_index().await?;
        Ok(merge_id)
    }

    /// Remembers that two places are different.
    pub async fn mark_not_duplicate(
        &self,
        actor: Option<&Actor>,
        a: &str,
        b: &str,
    ) -> Result<(), AppError> {
        for id in [a, b] {
            let place = self.place(id).await?;
            allow(resolve_decision(actor, &place))?;
        }
        let by = actor.map(|a| a.user_id.as_str());
        self.store.mark_not_duplicate(a, b, by).await?;
        // The feed's line forgets the decisions kept in memory, here and on other instances.
        self.refresh_index().await
    }

    /// Past merges the actor may see (all for an administrator, else those of places in their
    /// territory).
    pub async fn merge_history(
        &self,
        actor: Option<&Actor>,
    ) -> Result<Vec<MergeSummary>, AppError> {
        allow(authorize(actor, &Action::ReviewDuplicates, today()))?;
        let mut out = Vec::new();
        for m in self.store.merges(100).await? {
            let visible = match self.store.place(&m.kept_id).await? {
                Some(place) => self.may_resolve(actor, &place),
                None => actor.is_some_and(|a| a.administrator),
            };
            if visible {
                out.push(m);
            }
        }
        Ok(out)
    }

    /// Undoes a merge of a place of the actor's territory.
    pub async fn undo_merge(&self, actor: Option<&Actor>, merge_id: &str) -> Result<(), AppError> {
        let merge = self
            .merge_history(actor)
            .await?
            .into_iter()
            .find(|m| m.id == merge_id)
            .ok_or(AppError::NotFound)?;
        let by = actor.map(|a| a.user_id.as_str());
        if !self.store.undo_merge(&merge.id, by).await? {
            return Err(AppError::Invalid("cette fusion est déjà annulée".into()));
        }
        self.refresh_index().await?;
        Ok(())
    }
}
