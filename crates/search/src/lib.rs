//! Search in the directory: an in-process index, the same whatever the database
//! (see `docs/adr/0004-search-index.md`).
//!
//! Full text runs on a tantivy index in RAM (French stop words, Snowball stemming, accent and
//! case folding, typo tolerance by fuzzy terms). Filters and distances run on a compact
//! in-memory table of the places (bit masks for the closed vocabularies), so a filtered search
//! over the national directory costs a few microseconds per place.

mod rank;

use rank::*;

mod text;

pub use text::{TextDocument, TextIndex};

use std::borrow::Borrow;
use std::collections::HashMap;
use std::num::NonZeroUsize;

use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use lru::LruCache;
use maillage_domain::Place;
use maillage_domain::geo::GeoPoint;
use maillage_domain::hours::{Hours, HoursCheck, check_hours, timezone_of_departement};
use maillage_domain::vocab::{
    AccessMode, Fee, MediationForm, Mobility, NationalProgramme, Public, Service, SpecificSupport,
    SupportMode, Vocabulary,
};
use std::sync::{Arc, Mutex, RwLock};
use tantivy::DocSet;
use tantivy::index::SegmentId;
use tantivy::query::{
    Bm25StatisticsProvider, BooleanQuery, BoostQuery, EnableScoring, FuzzyTermQuery, Occur, Query,
    TermQuery,
};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    StopWordFilter, TextAnalyzer,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, TantivyDocument, Term};

/// Errors of the index (internal: the index is rebuilt from the store).
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("index de recherche : {0}")]
    Index(#[from] tantivy::TantivyError),
}

/// What the index needs to know about a place beyond the place itself.
#[derive(Debug, Clone, Default)]
pub struct PlaceContext {
    /// SIREN of the EPCI (intercommunality) of the place's commune.
    pub epci: Option<String>,
    pub organisation_id: Option<String>,
    /// Bytes the caller keeps with the place, opaque to the index, given back by
    /// [`SearchIndex::shelved`] as long as this version of the place is in the index: the
    /// application shelves each place's stored form there, compressed, so that a page of
    /// results is answered without reading the places back from the database.
    pub shelf: Option<Box<[u8]>>,
}

/// "Open now" or open at a local date and time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OpenFilter {
    Now(DateTime<Utc>),
    At(NaiveDateTime),
}

/// A search, as built from a form, the API or the CLI (each filter validated before).
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    pub text: Option<String>,
    /// Each word of `text` optional: places sharing more words rank first (a search widened
    /// when every word together finds nothing).
    pub any_word: bool,
    /// Centre of the distance ranking and of the radius.
    pub near: Option<GeoPoint>,
    pub radius_km: Option<f64>,
    pub services: Vec<Service>,
    pub publics: Vec<Public>,
    pub specific_support: Vec<SpecificSupport>,
    pub fees: Vec<Fee>,
    pub access_modes: Vec<AccessMode>,
    pub support_modes: Vec<SupportMode>,
    pub national_programmes: Vec<NationalProgramme>,
    pub mobility: Vec<Mobility>,
    pub mediation_forms: Vec<MediationForm>,
    pub typologies: Vec<String>,
    pub open: Option<OpenFilter>,
    pub insee_code: Option<String>,
    pub epci: Option<String>,
    pub departement: Option<String>,
    pub step_free: bool,
    pub organisation_id: Option<String>,
    pub offset: usize,
    pub limit: usize,
}

/// One result.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub id: String,
    /// Relevance of the text, when the ranking reads it: `None` without text, and for words
    /// near a place ranked by distance alone (the words then only say which places match, and
    /// are not scored).
    pub score: Option<f32>,
    pub distance_m: Option<f64>,
    /// Whether the place is open at the asked time (when hours are known and valid).
    pub open: Option<bool>,
    /// Where the index held the place when it answered ([`SearchIndex::shelved_for`]).
    pub held: Held,
}

/// The entry of a hit's place in the index that answered: what was shelved with it is then
/// read without looking the place up by its identifier (a binary search over the directory's
/// identifiers, two cache misses a step: some 4 % of a search's time without the caches). A
/// hint only: checked against the hit's identifier when read, and not part of what a hit says
/// — two hits are equal whatever entries held them (an index rebuilt numbers them anew).
#[derive(Debug, Clone, Copy, Default)]
pub struct Held(Option<u32>);

impl PartialEq for Held {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// A page of results with the total count.
#[derive(Debug, Clone, Default)]
pub struct Results {
    pub total: usize,
    pub hits: Vec<Hit>,
    /// No place held every word: these share some of them, or the help the words ask for.
    pub widened: bool,
}

/// Per place: what filters and ranking read.
struct Entry {
    id: String,
    location: Option<GeoPoint>,
    /// Cosine of the latitude, for the fast distance approximation.
    cos_lat: f64,
    services: u64,
    publics: u64,
    specific_support: u64,
    fees: u64,
    access_modes: u64,
    support_modes: u64,
    national_programmes: u64,
    mobility: u64,
    mediation_forms: u64,
    typologies: Vec<String>,
    /// Territory and organisation, as numbers of the [`Keys`] of the index.
    insee_code: u32,
    epci: u32,
    departement: u32,
    organisation: u32,
    step_free: bool,
    hours: Option<Hours>,
    /// Lengths of the name and the body as the text index records them (its field norms):
    /// the average lengths of relevance are sums over the live places.
    name_norm: u32,
    body_norm: u32,
    /// Where its [`PlaceContext::shelf`] is kept.
    shelf: Option<Shelved>,
}

/// Where the bytes shelved with a place are: `len` bytes from `start` in chunk `chunk` of
/// [`State::shelf`]. Each batch of changes copies the bytes of its places into chunks of its
/// own (of [`SHELF_CHUNK_BYTES`] at most, filled one after the other), so that the
/// directory's thousands of small, long-lived byte strings are a few allocations rather than
/// scattered among the short-lived ones of the build.
#[derive(Debug, Clone, Copy)]
struct Shelved {
    chunk: u32,
    start: u32,
    len: u32,
}

/// Chunks of shelved bytes are filled up to this size.
const SHELF_CHUNK_BYTES: usize = 1 << 20;

/// The chunks of shelved bytes, each with the number of live places whose bytes it holds: a
/// chunk is freed when its last place changes or goes; the bytes of the others, replaced, stay
/// until the next full build (like their slots).
#[derive(Default)]
struct ShelfChunks {
    chunks: Vec<Box<[u8]>>,
    live: Vec<u32>,
}

impl ShelfChunks {
    fn get(&self, at: Shelved) -> Option<&[u8]> {
        let start = at.start as usize;
        self.chunks
            .get(at.chunk as usize)?
            .get(start..start + at.len as usize)
    }

    /// Appends `bytes` to the batch's chunks (`first` is the index the first of them will
    /// have), and says where they are.
    fn append(first: u32, chunks: &mut Vec<Vec<u8>>, bytes: &[u8]) -> Option<Shelved> {
        // A chunk grows as a vector does (a batch of one edit holds its bytes, not 1 MB) up to
        // the chunk size; bytes longer than that are a chunk of their own.
        let full = |c: &Vec<u8>| !c.is_empty() && c.len() + bytes.len() > SHELF_CHUNK_BYTES;
        if chunks.last().is_none_or(full) {
            chunks.push(Vec::new());
        }
        let index = first.checked_add(u32::try_from(chunks.len() - 1).ok()?)?;
        let chunk = chunks.last_mut()?;
        let at = Shelved {
            chunk: index,
            start: u32::try_from(chunk.len()).ok()?,
            len: u32::try_from(bytes.len()).ok()?,
        };
        chunk.extend_from_slice(bytes);
        Some(at)
    }

    fn release(&mut self, at: Shelved) {
        if let Some(live) = self.live.get_mut(at.chunk as usize) {
            *live = live.saturating_sub(1);
            if *live == 0
                && let Some(chunk) = self.chunks.get_mut(at.chunk as usize)
            {
                *chunk = Box::default();
            }
        }
    }
}

/// Where a place is: read for every place a text matches in a search near a place, from a plain
/// array beside the entries (whose other fields such a search does not need).
#[derive(Debug, Clone, Copy, Default)]
struct Spot {
    location: Option<GeoPoint>,
    cos_lat: f64,
}

/// What « open now » and « open at » read of a place before its entry, from a plain array
/// beside the entries: its time zone and the last evaluated span of its opening state (for a
/// place without valid hours, « unknown » for ever), so that the places closed at the asked
/// time are ruled out without reading their entry.
#[derive(Default)]
struct Opening {
    tz: chrono_tz::Tz,
    span: SpanCache,
}

impl Opening {
    /// The opening of an entry of a place of this département (Paris time when unknown).
    fn of(entry: &Entry, departement: Option<&str>) -> Opening {
        let span = SpanCache::default();
        if entry.hours.is_none() {
            span.store(0, SpanCache::MAX, None);
        }
        Opening {
            tz: timezone_of_departement(departement.unwrap_or("75")),
            span,
        }
    }
}

fn mask<V: Vocabulary>(values: &[V]) -> u64 {
    values.iter().fold(0u64, |m, v| {
        let i = V::ALL.iter().position(|x| x == v).unwrap_or(63);
        m | (1u64 << i.min(63))
    })
}

/// Any of the asked values (a place matches when it offers at least one).
fn any_of(entry_mask: u64, asked: u64) -> bool {
    asked == 0 || entry_mask & asked != 0
}

/// A change of the directory for the index: a place added or changed, or a place gone.
#[derive(Debug, Clone)]
pub enum IndexChange<P> {
    Upsert(P, PlaceContext),
    Remove(String),
}

impl<P: Borrow<Place>> IndexChange<P> {
    fn id(&self) -> &str {
        match self {
            IndexChange::Upsert(place, _) => &place.borrow().id,
            IndexChange::Remove(id) => id,
        }
    }
}

/// What a batch of changes did to the index.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Applied {
    /// Places added or replaced.
    pub upserted: usize,
    /// Places taken out (replaced ones included).
    pub removed: usize,
}

/// The searchable directory. Built whole at start-up (and for repair); then each write applies
/// its changes in place ([`SearchIndex::apply`]): the changed places' documents are deleted and
/// added again in the text index, their entries replaced, in one short exclusive section.
/// Results are exactly those of an index rebuilt from the same places: relevance reads its
/// statistics from the live places only, and ties fall in directory order (by id).
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    name: Field,
    body: Field,
    /// Name and body together, document numbers only: where the words of a search that does
    /// not read relevance are matched (ADR 0031).
    words: Field,
    ord: Field,
    writer: Mutex<IndexWriter<TantivyDocument>>,
    state: RwLock<State>,
    /// Recent searches (none when turned off, e.g. to measure searches themselves).
    cache: Option<Mutex<LruCache<String, Results>>>,
    /// Whether a search of one word skips the places that cannot enter the page (block-max
    /// WAND); turned off only to compare with the visit of every place (tests, benchmarks).
    prune: bool,
}

/// The opening a search asks of its places, if any.
struct OpenCheck {
    filter: Option<OpenFilter>,
    /// The minute asked by « open at », since [`EPOCH`].
    at_minute: Option<u32>,
    /// The places open now ([`SearchIndex::open_now`]), for « open now ».
    now: Option<Arc<OpenNow>>,
    local_times: LocalTimes,
}

impl OpenCheck {
    /// Whether any place of the territory asked (else of the directory) is open as asked: the
    /// first open one ends the look (most places are open in the day), every one is looked at
    /// when none is; « open now » in the whole directory reads its bits 64 places at a time.
    fn admits_any(&mut self, state: &State, territory: Option<&[u32]>) -> bool {
        match (territory, &self.now) {
            (None, Some(now)) => now.by_slot.iter().any(|&word| word != 0),
            (None, None) => state.order.iter().any(|&slot| self.admits(state, slot)),
            (Some(slots), _) => slots.iter().any(|&slot| self.admits(state, slot)),
        }
    }

    /// Whether the place of a live slot is open as asked (any place when nothing is asked).
    fn admits(&mut self, state: &State, slot: u32) -> bool {
        if let Some(now) = &self.now {
            return has_bit(&now.by_slot, slot);
        }
        self.filter.is_none_or(|filter| {
            SearchIndex::open_at(state, slot, filter, self.at_minute, &mut self.local_times)
                == Some(true)
        })
    }
}

/// The live places open at one minute of « now » ([`SearchIndex::open_now`]), one bit each.
struct OpenNow {
    /// By slot.
    by_slot: Box<[u64]>,
    /// By document, for each segment of the batch (in the order of [`State::segments`]): a
    /// search asking nothing else of the places counts a word's postings against them.
    by_doc: Vec<Box<[u64]>>,
}

/// Whether bit `i` is set (bits past the end are not).
fn has_bit(bits: &[u64], i: u32) -> bool {
    bits.get(i as usize / 64)
        .is_some_and(|word| word & (1 << (i % 64)) != 0)
}

/// What a search asks of the places beyond their words ([`SearchIndex::best_for_one_word`]).
struct Filter<'f> {
    /// Whether the place of a live slot passes the filters.
    admits: &'f mut dyn FnMut(u32) -> bool,
    /// When the filter is « open now » and nothing else: the documents it admits, by segment
    /// ([`OpenNow::by_doc`]), read instead of `admits`.
    by_doc: Option<&'f [Box<[u64]>]>,
    /// What the page says of the opening of the places it admits: open (`Some(true)`) when the
    /// filter asks it, else nothing.
    open: Option<bool>,
}

/// Rank of a slot no longer in the directory.
const DEAD: u32 = u32::MAX;

/// Up to how many of the places holding a word a filter may admit in a segment for them to be
/// scored one by one ([`SearchIndex::best_for_one_word`]), when they are also at most a
/// quarter of the places holding it.
const FEW_ADMITTED: usize = 4_096;

/// The slot of a document without one (never written by this index).
const NO_SLOT: u32 = u32::MAX;

/// The slot of every document of a segment, by document number.
type SegmentSlots = (SegmentId, Arc<[u32]>);

/// The slot of every document of each segment of `searcher`, the segments already read in
/// `before` (segments never change once written) taken from there.
fn doc_slots(
    searcher: &Searcher,
    before: &[SegmentSlots],
) -> Result<Vec<SegmentSlots>, SearchError> {
    searcher
        .segment_readers()
        .iter()
        .map(|segment| {
            let id = segment.segment_id();
            if let Some((_, slots)) = before.iter().find(|(known, _)| *known == id) {
                return Ok((id, slots.clone()));
            }
            let ords = segment.fast_fields().u64("ord")?;
            let slots: Arc<[u32]> = (0..segment.max_doc())
                .map(|doc| {
                    ords.first(doc)
                        .and_then(|o| u32::try_from(o).ok())
                        .unwrap_or(NO_SLOT)
                })
                .collect();
            Ok((id, slots))
        })
        .collect()
}

/// What searches read, replaced as a whole by each batch of changes.
struct State {
    /// The text index as of the last batch.
    searcher: Searcher,
    /// The slot of each document, by segment of `searcher` (in its order): read for every
    /// document a text matches, so a plain array rather than the stored column.
    doc_slots: Vec<SegmentSlots>,
    /// Number of the batch: cached searches of an earlier one are never served.
    generation: u64,
    /// Entries by slot (the `ord` of their text document); `None` once removed or replaced.
    slots: Vec<Option<Entry>>,
    /// The position of each slot's entry, as it was added (read only for live slots).
    spots: Vec<Spot>,
    /// The opening of each slot's entry (read before the entry by « open now » and « open at »).
    openings: Vec<Opening>,
    /// Live slots in directory order (by id).
    order: Vec<u32>,
    /// Position of each slot in `order` ([`DEAD`] for removed slots).
    rank: Vec<u32>,
    keys: Keys,
    /// Located live places by square, for searches within a radius.
    grid: Grid,
    /// Live places, and the sum of their name and body lengths.
    live: u64,
    name_tokens: u64,
    body_tokens: u64,
    /// Document frequencies counted without removed documents, per term, for this batch.
    doc_freqs: Mutex<HashMap<Term, u64>>,
    /// The live slots open at one minute of « now » ([`SearchIndex::open_now`]), for this batch.
    open_now: Mutex<Option<(i64, Arc<OpenNow>)>>,
    /// The bytes shelved with the places ([`PlaceContext::shelf`]).
    shelf: ShelfChunks,
}

/// Terms whose live document frequency is remembered at most (the words of searches).
const DOC_FREQ_MEMO: usize = 4_096;

/// The slot of a document of a segment, unless it was deleted or has none.
fn live_slot(segment: &tantivy::SegmentReader, slots: &[u32], doc: tantivy::DocId) -> Option<u32> {
    if segment.alive_bitset().is_some_and(|a| a.is_deleted(doc)) {
        return None;
    }
    slots
        .get(doc as usize)
        .copied()
        .filter(|&slot| slot != NO_SLOT)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl State {
    fn entry(&self, slot: u32) -> Option<&Entry> {
        self.slots.get(slot as usize).and_then(Option::as_ref)
    }

    /// The slot of a live place, found in directory order.
    fn slot_of(&self, id: &str) -> Option<u32> {
        self.order
            .binary_search_by(|s| self.entry(*s).map_or("", |e| e.id.as_str()).cmp(id))
            .ok()
            .and_then(|i| self.order.get(i).copied())
    }

    /// The bytes shelved with this entry's place, copied.
    fn shelved(&self, entry: Option<&Entry>) -> Option<Box<[u8]>> {
        entry
            .and_then(|entry| entry.shelf)
            .and_then(|at| self.shelf.get(at))
            .map(Box::from)
    }

    fn rank_of(&self, slot: u32) -> u32 {
        self.rank.get(slot as usize).copied().unwrap_or(DEAD)
    }

    /// Each segment of the text index, with the slot of each of its documents.
    fn segments(&self) -> impl Iterator<Item = (&tantivy::SegmentReader, &[u32])> {
        self.searcher
            .segment_readers()
            .iter()
            .zip(&self.doc_slots)
            .map(|(segment, (_, slots))| (segment, &slots[..]))
    }

    fn spot(&self, slot: u32) -> Spot {
        self.spots.get(slot as usize).copied().unwrap_or_default()
    }

    /// How many live places contain the term: the text index's own count where nothing was
    /// removed, else its postings counted without removed documents (remembered per batch).
    fn doc_freq(&self, term: &Term) -> u64 {
        let segments = self.searcher.segment_readers();
        if !segments.iter().any(|s| s.has_deletes()) {
            return self.searcher.doc_freq(term).unwrap_or(0);
        }
        if let Some(n) = lock(&self.doc_freqs).get(term) {
            return *n;
        }
        let mut n = 0u64;
        for segment in segments {
            let Ok(inverted) = segment.inverted_index(term.field()) else {
                continue;
            };
            n += match segment.alive_bitset() {
                None => u64::from(inverted.doc_freq(term).unwrap_or(0)),
                Some(alive) => match inverted.read_postings(term, IndexRecordOption::Basic) {
                    Ok(Some(mut postings)) => u64::from(postings.count(alive)),
                    _ => 0,
                },
            };
        }
        let mut memo = lock(&self.doc_freqs);
        if memo.len() >= DOC_FREQ_MEMO {
            memo.clear();
        }
        memo.insert(term.clone(), n);
        n
    }
}

/// Relevance statistics of the live places (see [`State::doc_freq`]).
struct LiveStatistics<'a> {
    state: &'a State,
    name: Field,
}

impl Bm25StatisticsProvider for LiveStatistics<'_> {
    fn total_num_tokens(&self, field: Field) -> tantivy::Result<u64> {
        Ok(if field == self.name {
            self.state.name_tokens
        } else {
            self.state.body_tokens
        })
    }

    fn total_num_docs(&self) -> tantivy::Result<u64> {
        Ok(self.state.live.max(1))
    }

    fn doc_freq(&self, term: &Term) -> tantivy::Result<u64> {
        Ok(self.state.doc_freq(term))
    }
}

/// Entry number meaning "no value" in a [`KeyIndex`].
const NO_KEY: u32 = u32::MAX;

/// Values of one territorial key (INSEE code, EPCI…) numbered, with the entries of each:
/// filters compare numbers, and a search restricted to a commune only visits its places.
#[derive(Default)]
struct KeyIndex {
    ids: HashMap<String, u32>,
    postings: Vec<Vec<u32>>,
}

impl KeyIndex {
    /// The number of a value (new values numbered in turn).
    fn id_of(&mut self, value: Option<&str>) -> u32 {
        let Some(value) = value else {
            return NO_KEY;
        };
        let next = self.postings.len() as u32;
        let id = *self.ids.entry(value.to_string()).or_insert(next);
        if id == next {
            self.postings.push(Vec::new());
        }
        id
    }

    fn add(&mut self, id: u32, slot: u32, touched: &mut Vec<u32>) {
        if let Some(list) = self.postings.get_mut(id as usize) {
            list.push(slot);
            touched.push(id);
        }
    }

    /// Drops removed slots from the touched lists and puts them back in directory order.
    fn tidy(&mut self, touched: &mut Vec<u32>, rank: &[u32]) {
        touched.sort_unstable();
        touched.dedup();
        for id in touched.drain(..) {
            if let Some(list) = self.postings.get_mut(id as usize) {
                let rank_of = |s: &u32| rank.get(*s as usize).copied().unwrap_or(DEAD);
                list.retain(|s| rank_of(s) != DEAD);
                list.sort_unstable_by_key(rank_of);
            }
        }
    }

    /// `Ok(None)` when not asked; `Err(())` when asked but absent from the directory.
    fn asked(&self, value: Option<&String>) -> Result<Option<u32>, ()> {
        match value {
            None => Ok(None),
            Some(v) => self.ids.get(v).copied().map(Some).ok_or(()),
        }
    }

    fn postings(&self, id: Option<u32>) -> Option<&[u32]> {
        id.and_then(|i| self.postings.get(i as usize))
            .map(Vec::as_slice)
    }
}

#[derive(Default)]
struct Keys {
    insee_code: KeyIndex,
    epci: KeyIndex,
    departement: KeyIndex,
    organisation: KeyIndex,
}

/// The keyed filters of a search, as numbers.
struct Asked {
    insee_code: Option<u32>,
    epci: Option<u32>,
    departement: Option<u32>,
    organisation: Option<u32>,
}

impl Keys {
    fn asked(&self, q: &SearchQuery) -> Option<Asked> {
        Some(Asked {
            insee_code: self.insee_code.asked(q.insee_code.as_ref()).ok()?,
            epci: self.epci.asked(q.epci.as_ref()).ok()?,
            departement: self.departement.asked(q.departement.as_ref()).ok()?,
            organisation: self.organisation.asked(q.organisation_id.as_ref()).ok()?,
        })
    }

    /// The shortest list of entries among the asked keys (every result is in it).
    fn narrowest(&self, asked: &Asked) -> Option<&[u32]> {
        [
            self.insee_code.postings(asked.insee_code),
            self.epci.postings(asked.epci),
            self.departement.postings(asked.departement),
            self.organisation.postings(asked.organisation),
        ]
        .into_iter()
        .flatten()
        .min_by_key(|list| list.len())
    }
}

pub(crate) const ANALYZER: &str = "fr_maillage";

pub(crate) fn french_analyzer() -> TextAnalyzer {
    let builder = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser);
    match StopWordFilter::new(Language::French) {
        Some(stop) => builder
            .filter(stop)
            .filter(Stemmer::new(Language::French))
            .filter(AsciiFoldingFilter)
            .build(),
        None => builder
            .filter(Stemmer::new(Language::French))
            .filter(AsciiFoldingFilter)
            .build(),
    }
}

/// The tokens of a text as an index sees them (lower case, stemmed, folded).
fn tokens(index: &Index, text: &str) -> Vec<String> {
    let mut analyzer = index
        .tokenizers()
        .get(ANALYZER)
        .unwrap_or_else(french_analyzer);
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

/// Whether a search asks something of a place beyond its words and its position: its
/// services and other vocabularies, types, territory, organisation, access or opening.
fn filters_entries(q: &SearchQuery) -> bool {
    q.open.is_some() || reads_entries(q)
}

/// Whether a search asks something of a place's entry beyond its words, its position and its
/// opening (read apart from the entries, `State::spots` and `State::openings`): its services
/// and other vocabularies, types, territory, organisation or access. Every field is named, so
/// that a new filter cannot be forgotten by the shortcuts this allows.
fn reads_entries(q: &SearchQuery) -> bool {
    let SearchQuery {
        text: _,
        any_word: _,
        // The position is read apart from the entries (`State::spots`).
        near: _,
        radius_km: _,
        services,
        publics,
        specific_support,
        fees,
        access_modes,
        support_modes,
        national_programmes,
        mobility,
        mediation_forms,
        typologies,
        open: _,
        insee_code,
        epci,
        departement,
        step_free,
        organisation_id,
        offset: _,
        limit: _,
    } = q;
    !(services.is_empty()
        && publics.is_empty()
        && specific_support.is_empty()
        && fees.is_empty()
        && access_modes.is_empty()
        && support_modes.is_empty()
        && national_programmes.is_empty()
        && mobility.is_empty()
        && mediation_forms.is_empty()
        && typologies.is_empty()
        && insee_code.is_none()
        && epci.is_none()
        && departement.is_none()
        && !step_free
        && organisation_id.is_none())
}

/// The query of a typed text: every word must match one of the fields (exactly after
/// stemming, or with a small typo for words the index does not contain), each field weighing
/// its boost. Shared by every index of Maillage, so that all searches read French alike.
pub(crate) fn every_word_query(
    index: &Index,
    doc_freq: &dyn Fn(&Term) -> u64,
    fields: &[(Field, f32)],
    text: &str,
) -> Option<Box<dyn Query>> {
    words_query(index, doc_freq, fields, text, Occur::Must)
}

/// The same words, each one optional: documents sharing more words with the text rank first
/// (a request typed in a person's own words, « je dois m'inscrire à pôle emploi »).
pub(crate) fn any_word_query(
    index: &Index,
    doc_freq: &dyn Fn(&Term) -> u64,
    fields: &[(Field, f32)],
    text: &str,
) -> Option<Box<dyn Query>> {
    words_query(index, doc_freq, fields, text, Occur::Should)
}

fn words_query(
    index: &Index,
    doc_freq: &dyn Fn(&Term) -> u64,
    fields: &[(Field, f32)],
    text: &str,
    each_word: Occur,
) -> Option<Box<dyn Query>> {
    let mut tokens = tokens(index, text);
    if tokens.is_empty() {
        return None;
    }
    // Callers refuse longer texts with a message (`maillage_domain::text::check_query`); the
    // index never does more than this whatever it is given.
    tokens.truncate(maillage_domain::text::MAX_QUERY_WORDS);
    let mut musts: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for token in tokens {
        let (shoulds, _) = word_clauses(doc_freq, fields, &token);
        musts.push((each_word, Box::new(BooleanQuery::new(shoulds))));
    }
    Some(Box::new(BooleanQuery::new(musts)))
}

/// The query of a text of one word found as typed: its terms in each field, nothing else —
/// a union of terms, which tantivy scores by block-max WAND. Scores are those of
/// [`every_word_query`] and [`any_word_query`] (a query of one clause scores as its clause).
/// Returned with the word, as analysed.
fn one_word_query(
    index: &Index,
    doc_freq: &dyn Fn(&Term) -> u64,
    fields: &[(Field, f32)],
    text: &str,
) -> Option<(Box<dyn Query>, String)> {
    let mut tokens = tokens(index, text);
    let token = match tokens.pop() {
        Some(token) if tokens.is_empty() => token,
        _ => return None,
    };
    match word_clauses(doc_freq, fields, &token) {
        (shoulds, false) => Some((Box::new(BooleanQuery::new(shoulds)), token)),
        (_, true) => None,
    }
}

/// The query of a search's text, and whether it was made to be scored
/// ([`SearchIndex::text_query`]).
struct TextQuery {
    query: Box<dyn Query>,
    scored: bool,
}

/// Clauses of a boolean query.
type Clauses = Vec<(Occur, Box<dyn Query>)>;

/// The clauses of one word: its term in each field, with its neighbours within a small typo
/// when the index does not contain it (and whether it has them).
fn word_clauses(
    doc_freq: &dyn Fn(&Term) -> u64,
    fields: &[(Field, f32)],
    token: &str,
) -> (Clauses, bool) {
    let known = fields
        .iter()
        .any(|(field, _)| doc_freq(&Term::from_field_text(*field, token)) > 0);
    let distance = match token.chars().count() {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    };
    // Typo tolerance for words the index does not contain: a word found as typed needs no
    // neighbours, and skipping them keeps frequent words fast.
    let fuzzy = distance > 0 && !known;
    let mut shoulds: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for &(field, boost) in fields {
        let term = Term::from_field_text(field, token);
        shoulds.push((
            Occur::Should,
            Box::new(BoostQuery::new(
                Box::new(TermQuery::new(term.clone(), IndexRecordOption::WithFreqs)),
                boost,
            )),
        ));
        if fuzzy {
            shoulds.push((
                Occur::Should,
                Box::new(BoostQuery::new(
                    Box::new(FuzzyTermQuery::new(term, distance, true)),
                    boost * 0.3,
                )),
            ));
        }
    }
    (shoulds, fuzzy)
}

fn labels<V: Vocabulary>(values: &[V]) -> String {
    values
        .iter()
        .map(|v| v.label())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The key values of a new entry, numbered when the batch is applied.
struct PendingKeys {
    insee_code: Option<String>,
    epci: Option<String>,
    departement: Option<String>,
    organisation: Option<String>,
}

/// The body of a place's text document: what a search reads besides its name.
fn body_text(place: &Place) -> String {
    [
        place.commune.as_str(),
        place.summary.as_deref().unwrap_or_default(),
        place.description.as_deref().unwrap_or_default(),
        &labels(&place.services),
        &labels(&place.extras.mediation_forms),
        &labels(&place.extras.intervention_domains),
        place.parent_structure.as_deref().unwrap_or_default(),
    ]
    .join("\n")
}

/// The entry of a place (keys and lengths filled in when its batch is applied).
fn entry_of(place: &Place, hours_by_text: &mut HashMap<String, Option<Hours>>) -> Entry {
    let hours = match place
        .opening_hours
        .as_deref()
        .filter(|_| place.opening_hours_valid)
    {
        // Places often share their hours: parse each text once and share it.
        Some(raw) => hours_by_text
            .entry(raw.to_string())
            .or_insert_with(|| match check_hours(raw) {
                HoursCheck::Valid(h) | HoursCheck::Repaired { hours: h, .. } => Some(h),
                HoursCheck::Invalid { .. } => None,
            })
            .clone(),
        None => None,
    };
    Entry {
        id: place.id.clone(),
        location: place.location,
        cos_lat: place.location.map_or(1.0, |p| p.lat.to_radians().cos()),
        services: mask(&place.services),
        publics: mask(&place.publics),
        specific_support: mask(&place.specific_support),
        fees: mask(&place.fees),
        access_modes: mask(&place.access_modes),
        support_modes: mask(&place.support_modes),
        national_programmes: mask(&place.national_programmes),
        mobility: mask(&place.mobility),
        mediation_forms: mask(&place.extras.mediation_forms),
        typologies: place.typologies.clone(),
        insee_code: NO_KEY,
        epci: NO_KEY,
        departement: NO_KEY,
        organisation: NO_KEY,
        step_free: place.extras.step_free_access == Some(true),
        hours,
        name_norm: 0,
        body_norm: 0,
        shelf: None,
    }
}

impl SearchIndex {
    /// Builds the index of these places (borrowed or owned: a caller may stream them, each
    /// place is dropped once indexed).
    pub fn build<P: Borrow<Place>>(
        places: impl IntoIterator<Item = (P, PlaceContext)>,
    ) -> Result<Self, SearchError> {
        let index = Self::empty()?;
        index.apply(
            places
                .into_iter()
                .map(|(place, context)| IndexChange::Upsert(place, context)),
        )?;
        Ok(index)
    }

    /// An index without any place.
    pub fn empty() -> Result<Self, SearchError> {
        let mut sb = Schema::builder();
        let text = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(ANALYZER)
                // Frequencies for relevance; no positions: no search asks for words in a row.
                .set_index_option(IndexRecordOption::WithFreqs),
        );
        let name = sb.add_text_field("name", text.clone());
        let body = sb.add_text_field("body", text);
        let words = sb.add_text_field(
            "words",
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(ANALYZER)
                    .set_index_option(IndexRecordOption::Basic)
                    .set_fieldnorms(false),
            ),
        );
        // The slot of the place's entry: read while scoring, and the term by which a changed
        // place's document is deleted.
        let ord = sb.add_u64_field("ord", FAST | INDEXED);
        let index = Index::create_in_ram(sb.build());
        index.tokenizers().register(ANALYZER, french_analyzer());
        // One indexing thread with a small arena: the national directory fits in a few segments
        // and the build does not inflate the server's memory.
        let writer = index.writer_with_num_threads::<TantivyDocument>(1, 20_000_000)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let searcher = reader.searcher();
        Ok(SearchIndex {
            index,
            reader,
            name,
            body,
            words,
            ord,
            writer: Mutex::new(writer),
            state: RwLock::new(State {
                doc_slots: doc_slots(&searcher, &[])?,
                searcher,
                generation: 0,
                slots: Vec::new(),
                spots: Vec::new(),
                openings: Vec::new(),
                order: Vec::new(),
                rank: Vec::new(),
                keys: Keys::default(),
                grid: Grid::default(),
                live: 0,
                name_tokens: 0,
                body_tokens: 0,
                doc_freqs: Mutex::default(),
                open_now: Mutex::default(),
                shelf: ShelfChunks::default(),
            }),
            cache: Some(Mutex::new(LruCache::new(
                NonZeroUsize::new(CACHE_ENTRIES).unwrap_or(NonZeroUsize::MIN),
            ))),
            prune: true,
        })
    }

    fn state(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// What was shelved with each of these places ([`PlaceContext::shelf`]), in the same
    /// order, copied under one look at the index: `None` for a place the index does not hold
    /// (any more) or that was given nothing to shelve. The bytes are those given with the
    /// version of the place the index holds now.
    pub fn shelved<'i>(&self, ids: impl IntoIterator<Item = &'i str>) -> Vec<Option<Box<[u8]>>> {
        let state = self.state();
        ids.into_iter()
            .map(|id| state.shelved(state.slot_of(id).and_then(|slot| state.entry(slot))))
            .collect()
    }

    /// [`SearchIndex::shelved`] for the places of these hits: each read from the entry that
    /// held it when the search answered ([`Hit::held`]) while that entry is still the place's
    /// version in the index, else looked up by its identifier.
    pub fn shelved_for<'h>(
        &self,
        hits: impl IntoIterator<Item = &'h Hit>,
    ) -> Vec<Option<Box<[u8]>>> {
        let state = self.state();
        hits.into_iter()
            .map(|hit| {
                let held = hit
                    .held
                    .0
                    .and_then(|slot| state.entry(slot))
                    .filter(|entry| entry.id == hit.id);
                state.shelved(held.or_else(|| state.slot_of(&hit.id).and_then(|s| state.entry(s))))
            })
            .collect()
    }

    /// Applies a batch of changes: each place added or replaced, each removed id taken out
    /// (a place changed twice in the batch counts once, as last given). Searches go on during
    /// the batch and see it whole once it is applied; batches run one at a time.
    pub fn apply<P: Borrow<Place>>(
        &self,
        changes: impl IntoIterator<Item = IndexChange<P>>,
    ) -> Result<Applied, SearchError> {
        let mut writer = lock(&self.writer);
        let base = self.state().slots.len() as u32;
        let mut fresh: Vec<Option<(Entry, PendingKeys)>> = Vec::new();
        let mut fresh_slots: HashMap<String, u32> = HashMap::new();
        let mut gone: std::collections::HashSet<u32> = std::collections::HashSet::new();
        let mut hours_by_text: HashMap<String, Option<Hours>> = HashMap::new();
        let mut applied = Applied::default();
        // The chunks of shelved bytes of this batch (batches run one at a time).
        let shelf_first = u32::try_from(self.state().shelf.chunks.len()).unwrap_or(u32::MAX);
        let mut shelf_chunks: Vec<Vec<u8>> = Vec::new();
        for change in changes {
            let id = change.id();
            // The slot holding this place now, added earlier in the batch or in the index.
            let current = match fresh_slots.remove(id) {
                Some(slot) => {
                    if let Some(f) = fresh.get_mut((slot - base) as usize) {
                        *f = None;
                    }
                    Some(slot)
                }
                None => self.state().slot_of(id).filter(|s| gone.insert(*s)),
            };
            if let Some(slot) = current {
                writer.delete_term(Term::from_field_u64(self.ord, u64::from(slot)));
                applied.removed += 1;
            }
            let IndexChange::Upsert(place, context) = change else {
                continue;
            };
            let place: &Place = place.borrow();
            let slot = base + fresh.len() as u32;
            let mut doc = TantivyDocument::default();
            let body = body_text(place);
            // The analyzer splits words at any other character than a letter or a digit: no
            // word of `words` spans the name and the body.
            doc.add_text(self.words, format!("{}\n{body}", place.name));
            doc.add_text(self.name, &place.name);
            doc.add_text(self.body, body);
            doc.add_u64(self.ord, u64::from(slot));
            writer.add_document(doc)?;
            let keys = PendingKeys {
                insee_code: place.insee_code.clone(),
                epci: context.epci,
                departement: place.departement(),
                organisation: context.organisation_id,
            };
            let mut entry = entry_of(place, &mut hours_by_text);
            if let Some(bytes) = context.shelf {
                // Copied into the batch's chunks at once: the caller's bytes are freed here.
                entry.shelf = ShelfChunks::append(shelf_first, &mut shelf_chunks, &bytes);
            }
            fresh.push(Some((entry, keys)));
            fresh_slots.insert(place.id.clone(), slot);
            applied.upserted += 1;
        }
        if applied == Applied::default() {
            return Ok(applied);
        }
        writer.commit()?;
        self.reader.reload()?;
        let searcher = self.reader.searcher();
        // The recorded lengths of the new documents.
        for segment in searcher.segment_readers() {
            let ords = segment.fast_fields().u64("ord")?;
            let names = segment.get_fieldnorms_reader(self.name)?;
            let bodies = segment.get_fieldnorms_reader(self.body)?;
            for doc in segment.doc_ids_alive() {
                let Some(slot) = ords.first(doc).and_then(|o| u32::try_from(o).ok()) else {
                    continue;
                };
                if let Some(Some((entry, _))) = slot
                    .checked_sub(base)
                    .and_then(|i| fresh.get_mut(i as usize))
                {
                    entry.name_norm = names.fieldnorm(doc);
                    entry.body_norm = bodies.fieldnorm(doc);
                }
            }
        }
        // Everything that can fail is done before the state is changed: a failed batch leaves
        // the state as it was.
        let known_slots = self.state().doc_slots.clone();
        let new_slots = doc_slots(&searcher, &known_slots)?;
        let mut state = self
            .state
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let state = &mut *state;
        let mut touched: [Vec<u32>; 4] = Default::default();
        let mut touched_cells = Vec::new();
        for slot in &gone {
            if let Some(entry) = state.slots.get_mut(*slot as usize).and_then(Option::take) {
                if let Some(at) = entry.shelf {
                    state.shelf.release(at);
                }
                Grid::touch(entry.location, &mut touched_cells);
                state.live -= 1;
                state.name_tokens -= u64::from(entry.name_norm);
                state.body_tokens -= u64::from(entry.body_norm);
                for (list, id) in touched.iter_mut().zip([
                    entry.insee_code,
                    entry.epci,
                    entry.departement,
                    entry.organisation,
                ]) {
                    if id != NO_KEY {
                        list.push(id);
                    }
                }
            }
            if let Some(rank) = state.rank.get_mut(*slot as usize) {
                *rank = DEAD;
            }
        }
        let mut live = vec![0u32; shelf_chunks.len()];
        for at in fresh.iter().flatten().filter_map(|(entry, _)| entry.shelf) {
            if let Some(n) = at
                .chunk
                .checked_sub(shelf_first)
                .and_then(|i| live.get_mut(i as usize))
            {
                *n += 1;
            }
        }
        // A chunk whose places were all replaced or removed in their own batch goes at once.
        state
            .shelf
            .chunks
            .extend(shelf_chunks.into_iter().zip(&live).map(|(chunk, &n)| {
                if n == 0 {
                    Box::default()
                } else {
                    chunk.into_boxed_slice()
                }
            }));
        state.shelf.live.extend(live);
        let mut added: Vec<u32> = Vec::with_capacity(fresh.len());
        for (i, item) in fresh.into_iter().enumerate() {
            let slot = base + i as u32;
            let Some((mut entry, pending)) = item else {
                state.slots.push(None);
                state.spots.push(Spot::default());
                state.openings.push(Opening::default());
                continue;
            };
            let keys = &mut state.keys;
            entry.insee_code = keys.insee_code.id_of(pending.insee_code.as_deref());
            entry.epci = keys.epci.id_of(pending.epci.as_deref());
            entry.departement = keys.departement.id_of(pending.departement.as_deref());
            entry.organisation = keys.organisation.id_of(pending.organisation.as_deref());
            let [insee, epci, departement, organisation] = &mut touched;
            keys.insee_code.add(entry.insee_code, slot, insee);
            keys.epci.add(entry.epci, slot, epci);
            keys.departement.add(entry.departement, slot, departement);
            keys.organisation
                .add(entry.organisation, slot, organisation);
            state.live += 1;
            state.name_tokens += u64::from(entry.name_norm);
            state.body_tokens += u64::from(entry.body_norm);
            state.grid.add(entry.location, slot, &mut touched_cells);
            state.spots.push(Spot {
                location: entry.location,
                cos_lat: entry.cos_lat,
            });
            state
                .openings
                .push(Opening::of(&entry, pending.departement.as_deref()));
            state.slots.push(Some(entry));
            added.push(slot);
        }
        // Directory order: the live slots kept, the new ones merged in by id.
        {
            let slots = &state.slots;
            let id = |s: &u32| {
                slots
                    .get(*s as usize)
                    .and_then(Option::as_ref)
                    .map(|e| e.id.as_str())
            };
            added.sort_unstable_by(|a, b| id(a).cmp(&id(b)));
            let kept: Vec<u32> = state
                .order
                .iter()
                .copied()
                .filter(|s| !gone.contains(s))
                .collect();
            let mut order = Vec::with_capacity(kept.len() + added.len());
            let (mut k, mut a) = (kept.into_iter().peekable(), added.into_iter().peekable());
            loop {
                let next = match (k.peek(), a.peek()) {
                    (Some(x), Some(y)) if id(x) <= id(y) => k.next(),
                    (Some(_), Some(_)) | (None, Some(_)) => a.next(),
                    (Some(_), None) => k.next(),
                    (None, None) => break,
                };
                order.extend(next);
            }
            state.order = order;
        }
        state.rank.resize(state.slots.len(), DEAD);
        for (position, slot) in state.order.iter().enumerate() {
            if let Some(rank) = state.rank.get_mut(*slot as usize) {
                *rank = position as u32;
            }
        }
        let [insee, epci, departement, organisation] = &mut touched;
        state.keys.insee_code.tidy(insee, &state.rank);
        state.keys.epci.tidy(epci, &state.rank);
        state.keys.departement.tidy(departement, &state.rank);
        state.keys.organisation.tidy(organisation, &state.rank);
        state.grid.tidy(&mut touched_cells, &state.rank);
        debug_assert!(
            state.spots.len() == state.slots.len() && state.openings.len() == state.slots.len(),
            "positions and openings are kept slot by slot"
        );
        state.doc_slots = new_slots;
        state.searcher = searcher;
        state.generation += 1;
        lock(&state.doc_freqs).clear();
        *lock(&state.open_now) = None;
        if let Some(cache) = &self.cache {
            lock(cache).clear();
        }
        Ok(applied)
    }

    /// Slots held by removed or replaced places, kept until the next full build: when they
    /// outnumber the live places, rebuilding gives the memory back.
    pub fn removed_slots(&self) -> usize {
        let state = self.state();
        state.slots.len() - state.live as usize
    }

    pub fn len(&self) -> usize {
        self.state().live as usize
    }

    /// Bytes held for what was shelved with the places ([`PlaceContext::shelf`]), replaced
    /// places' included until their chunk goes or the next full build.
    pub fn shelf_bytes(&self) -> usize {
        self.state().shelf.chunks.iter().map(|c| c.len()).sum()
    }

    /// The number of batches applied: what was computed from the index at one number stays
    /// true until the next.
    pub fn generation(&self) -> u64 {
        self.state().generation
    }

    /// Every located place as the territory's coverage needs it (position, commune, kinds of
    /// help: [`maillage_domain::territory::kinds_of`]), read from memory.
    pub fn offer_sites(&self) -> Vec<maillage_domain::territory::OfferSite> {
        let state = self.state();
        let mut codes = vec![""; state.keys.insee_code.postings.len()];
        for (code, &id) in &state.keys.insee_code.ids {
            if let Some(slot) = codes.get_mut(id as usize) {
                *slot = code.as_str();
            }
        }
        state
            .order
            .iter()
            .filter_map(|s| state.entry(*s))
            .filter_map(|e| {
                Some(maillage_domain::territory::OfferSite {
                    at: e.location?,
                    insee_code: codes
                        .get(e.insee_code as usize)
                        .filter(|c| !c.is_empty())
                        .map(|c| c.to_string()),
                    kinds: maillage_domain::territory::kinds_of_service_bits(e.services),
                })
            })
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn contains(&self, id: &str) -> bool {
        self.state().slot_of(id).is_some()
    }

    /// The query of a text: every word must match (exactly after stemming, or with a small
    /// typo), or any of them when the search is widened. Scored, in names and bodies (names
    /// weighing more), when the ranking reads relevance; else matched in each place's words
    /// (name and body together), which finds the same places — a word is in the words exactly
    /// when it is in the name or the body — with one list of postings a word instead of a
    /// union of two (ADR 0031).
    fn text_query(
        &self,
        state: &State,
        text: &str,
        any_word: bool,
        scored: bool,
    ) -> Option<TextQuery> {
        let doc_freq = |t: &Term| state.doc_freq(t);
        let (scored_fields, words) = (self.fields(), [(self.words, 1.0)]);
        let fields: &[(Field, f32)] = if scored { &scored_fields } else { &words };
        let query = if any_word {
            any_word_query(&self.index, &doc_freq, fields, text)
        } else {
            every_word_query(&self.index, &doc_freq, fields, text)
        }?;
        Some(TextQuery { query, scored })
    }

    /// The fields a text is searched in, with their weights: names weigh more. Two fields:
    /// block-max WAND sums a word's two term scores in another order than the union of the
    /// full visit, which gives the same `f32` only for two terms (`a + b == b + a`).
    fn fields(&self) -> [(Field, f32); 2] {
        [(self.name, 3.0), (self.body, 1.0)]
    }

    /// Puts the best places for one word into `best` and returns how many places hold it (and
    /// pass the filter, when there is one). Only the places that may still enter the page are
    /// scored (block-max WAND: blocks of postings whose best possible score is below the
    /// page's last are skipped, the threshold kept just below that score so that ties still
    /// fall in directory order, and lowered by each segment's [`Self::block_slack`]); the
    /// total is counted from the word's postings in the words field (the places holding it in
    /// their name or body, ADR 0031): the count a segment keeps for a term, unless places were
    /// removed from it. With a filter, those postings are visited unscored first, each place
    /// checked once: the total, and the documents the scoring may offer to the page; when the
    /// filter admits few of the places holding the word, only those are scored, one by one.
    fn best_for_one_word(
        &self,
        state: &State,
        (query, token): (&dyn Query, &str),
        any_word: bool,
        mut filter: Option<Filter<'_>>,
        best: &mut Best,
    ) -> Result<usize, SearchError> {
        let scoring = self.scoring_weight(state, query)?;
        let counting = TermQuery::new(
            Term::from_field_text(self.words, token),
            IndexRecordOption::Basic,
        )
        .weight(EnableScoring::disabled_from_searcher(&state.searcher))?;
        let open = filter.as_ref().and_then(|f| f.open);
        let mut total = 0usize;
        // The scoring of each of the word's fields, made when first needed.
        let mut by_field: Option<Vec<Box<dyn tantivy::query::Weight>>> = None;
        // The first admitted documents of a segment holding the word, while they are few: each
        // document holding it is written just past the last kept, and kept by counting it when
        // the filter admits it.
        let mut first = filter
            .is_some()
            .then(|| Box::new([0 as tantivy::DocId; FEW_ADMITTED + 1]));
        for (i, (segment, slots)) in state.segments().enumerate() {
            // The documents of this segment the filter admits, one bit each, and how many of
            // them hold the word.
            let by_doc = filter.as_ref().and_then(|f| f.by_doc?.get(i));
            let mut holding = 0usize;
            let mut kept = 0usize;
            let mut keep = |doc: tantivy::DocId, admitted: bool| {
                if let Some(first) = &mut first {
                    first[kept.min(FEW_ADMITTED)] = doc;
                }
                kept += usize::from(admitted);
            };
            let admitted = match (&mut filter, by_doc) {
                (None, _) => {
                    total += counting.count(segment)? as usize;
                    None
                }
                (Some(_), Some(bits)) => {
                    // Without a branch on each place (« open now » in the day admits about half
                    // of them, in no order a processor would guess).
                    counting.for_each_no_score(segment, &mut |docs| {
                        holding += docs.len();
                        for &doc in docs {
                            keep(doc, has_bit(bits, doc));
                        }
                    })?;
                    Some(std::borrow::Cow::Borrowed(&bits[..]))
                }
                (Some(filter), None) => {
                    let mut bits = vec![0u64; (segment.max_doc() as usize).div_ceil(64)];
                    counting.for_each_no_score(segment, &mut |docs| {
                        holding += docs.len();
                        for &doc in docs {
                            let admitted = live_slot(segment, slots, doc)
                                .is_some_and(|slot| (filter.admits)(slot));
                            if let (true, Some(word)) = (admitted, bits.get_mut(doc as usize / 64))
                            {
                                *word |= 1 << (doc % 64);
                            }
                            keep(doc, admitted);
                        }
                    })?;
                    Some(std::borrow::Cow::Owned(bits))
                }
            };
            total += kept;
            let chosen = first
                .as_deref()
                .and_then(|first| first.get(..kept))
                .unwrap_or_default();
            let offer = |best: &mut Best, doc: tantivy::DocId, score: f32| {
                if let Some(slot) = live_slot(segment, slots, doc) {
                    let rank = state.rank_of(slot);
                    if rank != DEAD {
                        best.offer(Found {
                            open,
                            ..Found::by_words(slot, rank, score, any_word)
                        });
                    }
                }
            };
            // A filter that admits few of the places holding the word (« open now » at night,
            // a rare service): those are scored one by one, the others' postings skipped,
            // where block-max WAND would score every place holding the word until the page
            // is full, which it may never be. Each field's postings are sought on their own (a
            // union of terms would score the window of 4,096 documents around each place), and
            // a place's score is the sum of its fields' scores, as block-max WAND and the
            // union add them.
            if admitted.is_some() && kept <= FEW_ADMITTED && kept * 4 <= holding {
                if by_field.is_none() {
                    by_field = Some(self.clause_weights(state, query)?);
                }
                let mut scorers = by_field
                    .iter()
                    .flatten()
                    .map(|weight| weight.scorer(segment, 1.0))
                    .collect::<Result<Vec<_>, _>>()?;
                for &doc in chosen {
                    let mut score = None;
                    for scorer in &mut scorers {
                        if scorer.doc() < doc {
                            scorer.seek(doc);
                        }
                        if scorer.doc() == doc {
                            score = Some(score.unwrap_or(0.0) + scorer.score());
                        }
                    }
                    if let Some(score) = score {
                        offer(best, doc, score);
                    }
                }
                continue;
            }
            let offered =
                |doc: tantivy::DocId| admitted.as_ref().is_none_or(|bits| has_bit(bits, doc));
            let slack = self.block_slack(state, segment);
            // Scores are positive: a threshold not above zero lets every place through.
            let lowered = |t: f32| {
                if t > 0.0 {
                    (f64::from(t) / slack) as f32
                } else {
                    f32::MIN
                }
            };
            scoring.for_each_pruning(
                lowered(best.score_threshold()),
                segment,
                &mut |doc, score| {
                    if offered(doc) {
                        offer(best, doc, score);
                    }
                    lowered(best.score_threshold())
                },
            )?;
        }
        Ok(total)
    }

    /// How much higher than tantivy's recorded best of a block of postings a score of this
    /// segment may be. tantivy records, for each block, the (length, frequency) of its best
    /// place as scored with the segment's average length *when it was written*; searches
    /// score with the average of the live places ([`LiveStatistics`]). With averages `a` and
    /// `b`, BM25's frequency factor of any place changes by a ratio between `min(1, b/a)` and
    /// `max(1, b/a)`, so a place may score up to `max(a/b, b/a)` times the recorded best:
    /// dividing the threshold by that (the larger of the two fields, with a margin for the
    /// rounding of `f32` scores) keeps every skipped block below the page's last place.
    fn block_slack(&self, state: &State, segment: &tantivy::SegmentReader) -> f64 {
        let live = state.live.max(1) as f64;
        let written = f64::from(segment.max_doc().max(1));
        [
            (self.name, state.name_tokens),
            (self.body, state.body_tokens),
        ]
        .into_iter()
        .map(|(field, live_tokens)| {
            let tokens = segment
                .inverted_index(field)
                .map_or(0, |i| i.total_num_tokens());
            let (then, now) = (tokens as f64 / written, live_tokens as f64 / live);
            if then > 0.0 && now > 0.0 {
                (then / now).max(now / then)
            } else {
                f64::INFINITY
            }
        })
        .fold(1.0, f64::max)
            * (1.0 + 1e-3)
    }

    fn matches(&self, e: &Entry, q: &SearchQuery, masks: &[u64; 9], keyed: &Asked) -> bool {
        any_of(e.services, masks[0])
            && any_of(e.publics, masks[1])
            && any_of(e.specific_support, masks[2])
            && any_of(e.fees, masks[3])
            && any_of(e.access_modes, masks[4])
            && any_of(e.support_modes, masks[5])
            && any_of(e.national_programmes, masks[6])
            && any_of(e.mobility, masks[7])
            && any_of(e.mediation_forms, masks[8])
            && (q.typologies.is_empty() || e.typologies.iter().any(|t| q.typologies.contains(t)))
            && keyed.insee_code.is_none_or(|k| e.insee_code == k)
            && keyed.epci.is_none_or(|k| e.epci == k)
            && keyed.departement.is_none_or(|k| e.departement == k)
            && keyed.organisation.is_none_or(|k| e.organisation == k)
            && (!q.step_free || e.step_free)
    }

    /// Is the place of a slot open at the asked time? One evaluation of its opening hours is
    /// reused for every instant of the span it covers, kept beside the entries
    /// ([`State::openings`]): "open now" over the national directory costs one atomic read per
    /// place most of the time, and reads a place's entry only when the asked minute is outside
    /// its cached span.
    fn open_at(
        state: &State,
        slot: u32,
        filter: OpenFilter,
        at_minute: Option<u32>,
        local_times: &mut LocalTimes,
    ) -> Option<bool> {
        let opening = state.openings.get(slot as usize)?;
        let (local, minute) = match filter {
            OpenFilter::Now(now) => local_times.of(now, opening.tz),
            OpenFilter::At(local) => (local, at_minute),
        };
        if let Some(known) = minute.and_then(|m| opening.span.lookup(m)) {
            return known;
        }
        let hours = state.entry(slot)?.hours.as_ref()?;
        let Some(minute) = minute else {
            return hours.is_open_at(local);
        };
        let at_minute = EPOCH + Duration::minutes(i64::from(minute));
        let (open, until) = hours.state_span(at_minute, Duration::days(8));
        if let Some(end) = minutes_since_epoch(until) {
            opening.span.store(minute, end, open);
        }
        open
    }

    /// The live slots open at the minute of `now`, one bit each: made by the first search of
    /// the minute that asks what is open now (one evaluation per place, most of them one atomic
    /// read of its span), read by the others of the minute with the same batch of the index —
    /// one bit a place where each search evaluated the opening of every place its words or
    /// its territory matched (« atelier, open now »: 31,612 places). « Open now » reads the
    /// clock to the minute: the bits are exactly what evaluating each place would say.
    fn open_now(state: &State, now: DateTime<Utc>) -> Arc<OpenNow> {
        let minute = now.timestamp().div_euclid(60);
        let mut kept = lock(&state.open_now);
        if let Some((at, bits)) = &*kept
            && *at == minute
        {
            return bits.clone();
        }
        let now = DateTime::from_timestamp(minute * 60, 0).unwrap_or(now);
        let mut local_times = LocalTimes::default();
        let mut bits = vec![0u64; state.slots.len().div_ceil(64)];
        for &slot in &state.order {
            let open = Self::open_at(state, slot, OpenFilter::Now(now), None, &mut local_times)
                == Some(true);
            if let (true, Some(word)) = (open, bits.get_mut(slot as usize / 64)) {
                *word |= 1 << (slot % 64);
            }
        }
        let by_doc = state
            .segments()
            .map(|(segment, slots)| {
                let mut by_doc = vec![0u64; (segment.max_doc() as usize).div_ceil(64)];
                for doc in 0..segment.max_doc() {
                    let open = live_slot(segment, slots, doc).is_some_and(|s| has_bit(&bits, s));
                    if let (true, Some(word)) = (open, by_doc.get_mut(doc as usize / 64)) {
                        *word |= 1 << (doc % 64);
                    }
                }
                by_doc.into_boxed_slice()
            })
            .collect();
        let open_now = Arc::new(OpenNow {
            by_slot: bits.into_boxed_slice(),
            by_doc,
        });
        *kept = Some((minute, open_now.clone()));
        open_now
    }

    /// The weight of a text query, scored with the relevance statistics of the live places.
    fn scoring_weight(
        &self,
        state: &State,
        query: &dyn Query,
    ) -> Result<Box<dyn tantivy::query::Weight>, SearchError> {
        let statistics = LiveStatistics {
            state,
            name: self.name,
        };
        Ok(
            query.weight(EnableScoring::enabled_from_statistics_provider(
                &statistics,
                &state.searcher,
            ))?,
        )
    }

    /// The scoring of each clause of a union of terms (a word's terms in each field), as the
    /// union's own scoring makes them; a query of one term is its own clause.
    fn clause_weights(
        &self,
        state: &State,
        query: &dyn Query,
    ) -> Result<Vec<Box<dyn tantivy::query::Weight>>, SearchError> {
        match query.downcast_ref::<BooleanQuery>() {
            Some(union) => union
                .clauses()
                .iter()
                .map(|(_, clause)| self.scoring_weight(state, clause.as_ref()))
                .collect(),
            None => Ok(vec![self.scoring_weight(state, query)?]),
        }
    }

    /// Calls `visit` with every live document matching the text, by slot, unscored: tantivy's
    /// unions and intersections without BM25, for searches whose ranking reads no relevance.
    fn for_each_text_doc(
        &self,
        state: &State,
        query: &dyn Query,
        visit: &mut dyn FnMut(u32),
    ) -> Result<(), SearchError> {
        let weight = query.weight(EnableScoring::disabled_from_searcher(&state.searcher))?;
        for (segment, slots) in state.segments() {
            weight.for_each_no_score(segment, &mut |docs| {
                docs.iter()
                    .filter_map(|&doc| live_slot(segment, slots, doc))
                    .for_each(&mut *visit)
            })?;
        }
        Ok(())
    }

    /// Calls `visit` with every live document matching the text and its score, by slot,
    /// without collecting them first.
    fn for_each_text_match(
        &self,
        state: &State,
        query: &dyn Query,
        visit: &mut dyn FnMut(u32, f32),
    ) -> Result<(), SearchError> {
        let weight = self.scoring_weight(state, query)?;
        for (segment, slots) in state.segments() {
            weight.for_each(segment, &mut |doc, score| {
                if let Some(slot) = live_slot(segment, slots, doc) {
                    visit(slot, score);
                }
            })?;
        }
        Ok(())
    }

    /// Runs a search, answering from the cache of recent searches when the same one (same
    /// filters, same page, same minute for "open now") was just made on this state of the
    /// index: a batch of changes makes every earlier answer unreachable.
    pub fn search(&self, q: &SearchQuery) -> Result<Results, SearchError> {
        let state = self.state();
        let (Some(cache), Some(key)) = (&self.cache, cache_key(q)) else {
            return self.search_in(&state, q);
        };
        let key = format!("{}:{key}", state.generation);
        if let Some(hit) = lock(cache).get(&key) {
            return Ok(hit.clone());
        }
        let results = self.search_in(&state, q)?;
        lock(cache).put(key, results.clone());
        Ok(results)
    }

    /// The same index without the cache of recent searches.
    pub fn without_cache(mut self) -> Self {
        self.cache = None;
        self
    }

    /// The same index visiting every place a text matches, scoring each: what block-max WAND
    /// must find (tests compare the two; benchmarks measure what it spares).
    pub fn visiting_every_match(mut self) -> Self {
        self.prune = false;
        self
    }

    /// Runs a search: filters, then ranking by relevance and distance.
    pub fn search_uncached(&self, q: &SearchQuery) -> Result<Results, SearchError> {
        self.search_in(&self.state(), q)
    }

    fn search_in(&self, state: &State, q: &SearchQuery) -> Result<Results, SearchError> {
        let masks = [
            mask(&q.services),
            mask(&q.publics),
            mask(&q.specific_support),
            mask(&q.fees),
            mask(&q.access_modes),
            mask(&q.support_modes),
            mask(&q.national_programmes),
            mask(&q.mobility),
            mask(&q.mediation_forms),
        ];
        let Some(keyed) = state.keys.asked(q) else {
            // A commune, EPCI, département or organisation without any place.
            return Ok(Results::default());
        };
        let filtered = filters_entries(q);
        let entries_read = reads_entries(q);
        // Nothing asked but words, if any: no filter, no place, no opening.
        let no_filter = !filtered && q.near.is_none();
        // One word found as typed, not near a place: block-max WAND (`best_for_one_word`), the
        // filters checked first for every place holding the word (unscored).
        let one_word = match &q.text {
            Some(text) if q.near.is_none() && self.prune => {
                let doc_freq = |t: &Term| state.doc_freq(t);
                one_word_query(&self.index, &doc_freq, &self.fields(), text)
            }
            _ => None,
        };
        // Whether the text's relevance orders the results (not when the distance alone does).
        let reads_score = rank_reads_score(q.near.is_some(), q.any_word);
        let text_query = match (&q.text, &one_word) {
            (Some(text), None) => self.text_query(state, text, q.any_word, reads_score),
            _ => None,
        };
        let by_text = one_word.is_some() || text_query.is_some();
        // Only words asked: nothing to read of a place but its directory rank.
        let words_alone = by_text && no_filter;
        let area = q
            .near
            .map(|c| Area::new(c, q.radius_km.map(|r| r * 1000.0)));
        // Words near a place, nothing else asked: a matching place's rank and position only.
        let words_near = by_text && !filtered && area.is_some();
        // A place's distance, or `None` when it is outside the area asked.
        let distance_of = |location: Option<GeoPoint>, cos_lat: f64| match (&area, location) {
            (Some(area), Some(p)) => area.distance_m(p, cos_lat).map(Some),
            // A radius excludes places without coordinates: their distance is unknown.
            (Some(area), None) if area.radius_m.is_some() => None,
            _ => Some(None),
        };
        let mut opening = OpenCheck {
            filter: q.open,
            at_minute: match q.open {
                Some(OpenFilter::At(local)) => minutes_since_epoch(local),
                _ => None,
            },
            now: match q.open {
                Some(OpenFilter::Now(now)) => Some(Self::open_now(state, now)),
                _ => None,
            },
            local_times: LocalTimes::default(),
        };
        // Words asked at an hour when no place of the territory asked (else of the directory)
        // is open (a Sunday, the night): nothing can be found, and the places holding the
        // words are not visited — nor, by the service, those of the words a widened search
        // adds (issue #10), which scored every place they match to keep none.
        let narrowest = state.keys.narrowest(&keyed);
        if by_text && q.open.is_some() && !opening.admits_any(state, narrowest) {
            return Ok(Results::default());
        }
        let ranking = by_text || area.is_some();
        let scored = by_text && reads_score;
        let limit = if q.limit == 0 { 20 } else { q.limit };
        let wanted_cap = q.offset.saturating_add(limit);
        let mut total = 0;
        let mut best = Best::new(wanted_cap);
        if let Some((query, token)) = &one_word {
            // « Open now » and nothing else: the places open now, by document.
            let open_now = opening.now.clone().filter(|_| !entries_read);
            let mut admits = |slot: u32| {
                if !opening.admits(state, slot) {
                    return false;
                }
                !entries_read
                    || state
                        .entry(slot)
                        .is_some_and(|e| self.matches(e, q, &masks, &keyed))
            };
            let filter = filtered.then_some(Filter {
                admits: &mut admits,
                by_doc: open_now.as_deref().map(|n| &n.by_doc[..]),
                open: q.open.map(|_| true),
            });
            total = self.best_for_one_word(
                state,
                (query.as_ref(), token),
                q.any_word,
                filter,
                &mut best,
            )?;
        } else {
            let mut visit = |slot: u32, score: f32| {
                if words_alone {
                    let rank = state.rank_of(slot);
                    if rank != DEAD {
                        total += 1;
                        best.offer(Found::by_words(slot, rank, score, q.any_word));
                    }
                    return;
                }
                if words_near {
                    let rank = state.rank_of(slot);
                    if rank == DEAD {
                        return;
                    }
                    let spot = state.spot(slot);
                    let Some(distance_m) = distance_of(spot.location, spot.cos_lat) else {
                        return;
                    };
                    total += 1;
                    best.offer(Found {
                        entry: slot,
                        rank,
                        score,
                        distance_m,
                        open: None,
                        key: rank_key(score, distance_m, true, true, q.any_word),
                    });
                    return;
                }
                // Opening state first, before the entry is read: one bit (« open now ») or one
                // atomic read (« open at ») that rules out most places at night.
                if !opening.admits(state, slot) {
                    return;
                }
                let open = q.open.map(|_| true);
                // The entry only when a filter asks something of it: a place's entry is some
                // 260 bytes, one cache miss each, where « atelier, open now » keeps thousands of
                // places read from the opening and the position alone.
                if entries_read {
                    let Some(e) = state.entry(slot) else {
                        return;
                    };
                    if !self.matches(e, q, &masks, &keyed) {
                        return;
                    }
                } else if state.rank_of(slot) == DEAD {
                    return;
                }
                let spot = if area.is_some() {
                    state.spot(slot)
                } else {
                    Spot::default()
                };
                let Some(distance_m) = distance_of(spot.location, spot.cos_lat) else {
                    return;
                };
                total += 1;
                if !ranking && best.is_full() {
                    // Directory order: the page is already complete, only the count goes on.
                    return;
                }
                best.offer(Found {
                    entry: slot,
                    rank: state.rank_of(slot),
                    score,
                    distance_m,
                    open,
                    key: rank_key(score, distance_m, by_text, area.is_some(), q.any_word),
                });
            };
            // Without text, the fewest places that can match: those of the narrowest territory
            // asked, or of the squares around the centre within a radius (the order of visits does
            // not change the results: ties fall in directory order).
            let near = match (&text_query, &area) {
                (None, Some(area)) => state.grid.within(area),
                _ => None,
            };
            match (&text_query, narrowest, near) {
                // Scored only when made over the scored fields (`words` has no frequencies).
                (Some(t), _, _) if t.scored => {
                    self.for_each_text_match(state, t.query.as_ref(), &mut visit)?
                }
                (Some(t), _, _) => {
                    self.for_each_text_doc(state, t.query.as_ref(), &mut |slot| visit(slot, 0.0))?
                }
                (None, Some(list), Some(near)) if near.len() < list.len() => {
                    near.iter().for_each(|i| visit(*i, 0.0))
                }
                (None, Some(list), _) => list.iter().for_each(|i| visit(*i, 0.0)),
                (None, None, Some(near)) => near.iter().for_each(|i| visit(*i, 0.0)),
                // Nothing asked: the page is the directory's, and every place counts.
                (None, None, None) if no_filter => {
                    state
                        .order
                        .iter()
                        .take(wanted_cap)
                        .for_each(|i| visit(*i, 0.0));
                    total = state.order.len();
                }
                (None, None, None) => state.order.iter().for_each(|i| visit(*i, 0.0)),
            }
        }
        let found = best.into_sorted();
        let hits = found
            .iter()
            .skip(q.offset)
            .take(limit)
            .map(|f| {
                let entry = state.entry(f.entry);
                // Shown distances are exact (ranking may have used the fast approximation).
                let distance_m = match (&area, entry.and_then(|e| e.location)) {
                    (Some(area), Some(p)) => Some(area.centre.distance_m(p)),
                    _ => f.distance_m,
                };
                Hit {
                    id: entry.map(|e| e.id.clone()).unwrap_or_default(),
                    score: scored.then_some(f.score),
                    distance_m,
                    open: f.open,
                    held: Held(entry.map(|_| f.entry)),
                }
            })
            .collect();
        Ok(Results {
            total,
            hits,
            widened: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upsert(id: &str, shelf: &[u8]) -> IndexChange<Place> {
        let place = Place::new(
            id,
            format!("Lieu {id}"),
            "1 rue Stanislas",
            "54000",
            "Nancy",
            chrono::NaiveDate::from_ymd_opt(2026, 11, 2).unwrap_or_default(),
        );
        let context = PlaceContext {
            shelf: Some(shelf.into()),
            ..PlaceContext::default()
        };
        IndexChange::Upsert(place, context)
    }

    fn bytes(b: &[u8]) -> Option<Box<[u8]>> {
        Some(Box::from(b))
    }

    /// A hit's shelved bytes are those of the place's version the index holds when they are
    /// read: from the entry that answered while it is that version, else by the identifier
    /// (replaced since), none once the place is gone — the same as reading by identifier.
    #[test]
    fn the_bytes_of_a_hit_are_those_of_its_place_now() -> Result<(), SearchError> {
        let index = SearchIndex::empty()?;
        index.apply([upsert("a", b"a1"), upsert("b", b"b1"), upsert("c", b"c1")])?;
        let hits = index.search_uncached(&SearchQuery::default())?.hits;
        let ids = || hits.iter().map(|h| h.id.as_str());
        assert_eq!(ids().collect::<Vec<_>>(), ["a", "b", "c"]);
        assert!(hits.iter().all(|h| h.held.0.is_some()));
        assert_eq!(
            index.shelved_for(&hits),
            vec![bytes(b"a1"), bytes(b"b1"), bytes(b"c1")]
        );
        index.apply([upsert("b", b"b2"), IndexChange::Remove("c".into())])?;
        assert_eq!(
            index.shelved_for(&hits),
            vec![bytes(b"a1"), bytes(b"b2"), None]
        );
        assert_eq!(index.shelved_for(&hits), index.shelved(ids()));
        // An entry that now holds another place is not read for this one.
        let mut moved = hits[0].clone();
        moved.id = "b".into();
        assert_eq!(index.shelved_for([&moved]), vec![bytes(b"b2")]);
        Ok(())
    }

    #[test]
    fn a_chunk_of_shelved_bytes_goes_with_its_last_place() -> Result<(), SearchError> {
        let index = SearchIndex::empty()?;
        index.apply([upsert("a", b"a1"), upsert("b", b"b1")])?;
        index.apply([upsert("a", b"a2")])?;
        assert_eq!(index.shelved(["a", "b"]), vec![bytes(b"a2"), bytes(b"b1")]);
        {
            let state = index.state();
            assert_eq!(state.shelf.live, vec![1, 1]);
            assert_eq!(&*state.shelf.chunks[0], b"a1b1", "a1 stays until b goes");
        }
        index.apply([upsert("b", b"b2"), IndexChange::Remove("a".into())])?;
        {
            let state = index.state();
            assert_eq!(state.shelf.live, vec![0, 0, 1]);
            assert!(state.shelf.chunks[0].is_empty() && state.shelf.chunks[1].is_empty());
        }
        assert_eq!(
            index.shelved(["a", "b", "c"]),
            vec![None, bytes(b"b2"), None]
        );
        // Added and removed in the same batch, replaced in the same batch: only the last
        // version of `d` is live, and a chunk holding no live place is freed at once.
        index.apply([upsert("c", b"c1"), IndexChange::Remove("c".into())])?;
        index.apply([upsert("d", b"d1"), upsert("d", b"d2")])?;
        {
            let state = index.state();
            assert_eq!(state.shelf.live, vec![0, 0, 1, 0, 1]);
            assert!(state.shelf.chunks[3].is_empty());
            assert_eq!(&*state.shelf.chunks[4], b"d1d2");
            // Each chunk's count is the number of live entries whose bytes it holds.
            for (c, n) in state.shelf.live.iter().enumerate() {
                let holding = state
                    .slots
                    .iter()
                    .flatten()
                    .filter(|e| e.shelf.is_some_and(|at| at.chunk as usize == c))
                    .count();
                assert_eq!(*n as usize, holding, "morceau {c}");
            }
        }
        assert_eq!(index.shelved(["c", "d"]), vec![None, bytes(b"d2")]);
        Ok(())
    }
}
