//! Every instance sees every write (issue #22): the change feed of the store
//! ([`maillage_store::Change`]) read after each write of this instance and, in the background,
//! whenever another connection commits one. Changed places are read again and applied to the
//! search index in one batch ([`SearchIndex::apply`]); the caches of pages, of the published
//! files, of the catalogue of requests, of the library and of the pairs of places marked as
//! different follow.

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;
use std::time::Duration;

use maillage_domain::CommuneLookup;
use maillage_search::{IndexChange, PlaceContext, SearchIndex};
use maillage_store::{FeedMark, StoredPlace};

use crate::{App, AppError};

/// Lines read at once.
const PAGE: u32 = 10_000;

/// A batch bigger than this share of the directory is applied by a full build instead.
const REBUILD_SHARE: usize = 4;

/// How long the background reader waits for a notification before it looks anyway.
pub const LOOK_EVERY: Duration = Duration::from_secs(1);

/// Where this instance stands in the feed.
#[derive(Default)]
pub(crate) struct Feed {
    state: tokio::sync::Mutex<FeedState>,
}

#[derive(Default)]
struct FeedState {
    /// The last settled line applied.
    mark: FeedMark,
    /// Lines applied before they were settled (PostgreSQL), not to be applied twice.
    early: HashSet<i64>,
}

/// What one look at the feed did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CaughtUp {
    /// Lines read and applied.
    pub lines: usize,
    /// Places read again and applied to the index.
    pub places: usize,
    /// Whether the index was rebuilt whole instead.
    pub rebuilt: bool,
}

impl App {
    /// Applies every change committed since the last look, by this instance or another: the
    /// places written are read again and the index updated in place; the catalogue of requests
    /// and the library are read again on their next use. Does nothing in a process that does
    /// not search (a command-line import).
    pub async fn catch_up(&self) -> Result<CaughtUp, AppError> {
        if !self.index_after_writes {
            return Ok(CaughtUp::default());
        }
        let mut feed = self.feed.state.lock().await;
        let mut done = CaughtUp::default();
        loop {
            let lines = self.store.changes_after(feed.mark, PAGE).await?;
            if lines.is_empty() {
                break;
            }
            let full_page = lines.len() == PAGE as usize;
            let mut places = BTreeSet::new();
            let (mut catalogue, mut library, mut vetoes) = (false, false, false);
            for line in &lines {
                if feed.early.contains(&line.mark.seq) {
                    continue;
                }
                match line.topic.as_str() {
                    "lieu" => {
                        places.insert(line.key.clone());
                    }
                    "catalogue" => catalogue = true,
                    "ressources" => library = true,
                    "doublons" => vetoes = true,
                    _ => {}
                }
            }
            done.lines += lines.len();
            if !places.is_empty() {
                done.places += places.len();
                let index = self.index();
                if places.len() > (index.len() / REBUILD_SHARE).max(2_000) {
                    let mark = self.store.changes_mark().await?;
                    self.rebuild_index().await?;
                    feed.mark = feed.mark.max(mark);
                    done.rebuilt = true;
                } else {
                    self.apply_places(&index, places.into_iter().collect())
                        .await?;
                }
            }
            if catalogue {
                *self.catalogue_cache() = None;
            }
            if library {
                *self.library_cache() = None;
            }
            if vetoes {
                self.vetoes.forget();
            }
            // The mark moves past settled lines only; the others are remembered as applied.
            let mut settled = true;
            for line in &lines {
                settled &= line.settled;
                if settled {
                    feed.mark = feed.mark.max(line.mark);
                    feed.early.remove(&line.mark.seq);
                } else {
                    feed.early.insert(line.mark.seq);
                }
            }
            // Unsettled lines are read again by the next look, which moves on once they settle.
            if !full_page || !settled {
                break;
            }
        }
        if done.places > 0 {
            self.metrics.feed(done.places, done.rebuilt);
        }
        drop(feed);
        // Slots of replaced places accumulate: a full build gives their memory back.
        let index = self.index();
        if index.removed_slots() > index.len().max(10_000) {
            self.reindex().await?;
        }
        Ok(done)
    }

    /// Reads these places again and applies them to the index, off the async threads.
    async fn apply_places(
        &self,
        index: &Arc<SearchIndex>,
        ids: Vec<String>,
    ) -> Result<(), AppError> {
        let mut found: Vec<StoredPlace> = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            found.extend(self.store.places(chunk).await?);
        }
        let present: HashSet<&str> = found.iter().map(|s| s.place.id.as_str()).collect();
        let removed: Vec<String> = ids
            .iter()
            .filter(|id| !present.contains(id.as_str()))
            .cloned()
            .collect();
        let referential = self.referential.clone();
        let shelf = self.shelf.clone();
        let index = index.clone();
        // Packed for the shelf and applied off the async threads (an import's batch may hold
        // thousands of places).
        tokio::task::spawn_blocking(move || {
            shelf.learn(&found);
            let mut packer = shelf.packer();
            let changes: Vec<IndexChange<maillage_domain::Place>> = found
                .into_iter()
                .map(|s| {
                    let context = PlaceContext {
                        epci: s
                            .place
                            .insee_code
                            .as_deref()
                            .and_then(|c| referential.by_code(c))
                            .and_then(|c| c.epci.clone()),
                        shelf: packer.pack(&s),
                        organisation_id: s.organisation_id,
                    };
                    IndexChange::Upsert(s.place, context)
                })
                .chain(removed.into_iter().map(IndexChange::Remove))
                .collect();
            index.apply(changes)
        })
        .await
        .map_err(|e| AppError::Invalid(format!("mise à jour de l'index interrompue : {e}")))??;
        self.recent_places.invalidate();
        Ok(())
    }

    /// Rebuilds the index whole and starts reading the feed after the last line it holds
    /// (start-up and repair).
    pub async fn reindex(&self) -> Result<(), AppError> {
        let mut feed = self.feed.state.lock().await;
        let mark = self.store.changes_mark().await?;
        self.rebuild_index().await?;
        feed.mark = mark;
        feed.early.clear();
        Ok(())
    }

    /// Reads the feed whenever a change is notified, and at least every [`LOOK_EVERY`], until
    /// the process ends: how the writes of other instances (and of command-line imports on
    /// the same base) reach this one's index and caches.
    pub async fn follow_changes(self) {
        let mut listener = match self.store.change_listener().await {
            Ok(listener) => listener,
            Err(e) => {
                tracing::warn!(
                    "fil des modifications : écoute impossible ({e}), lecture chaque seconde"
                );
                maillage_store::ChangeListener::polling()
            }
        };
        loop {
            listener.wait(LOOK_EVERY).await;
            if let Err(e) = self.catch_up().await {
                tracing::warn!("fil des modifications : {e}");
            }
        }
    }
}
