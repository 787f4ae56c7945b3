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
use tantivy::query::{
    BooleanQuery, BoostQuery, EnableScoring, FuzzyTermQuery, Occur, Query, TermQuery,
};
use tantivy::schema::{
    FAST, Field, IndexRecordOption, STORED, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    StopWordFilter, TextAnalyzer,
};
use tantivy::{Index, IndexReader, TantivyDocument, Term};

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
    /// Relevance of the text (0 without text).
    pub score: f32,
    pub distance_m: Option<f64>,
    /// Whether the place is open at the asked time (when hours are known and valid).
    pub open: Option<bool>,
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
    tz: chrono_tz::Tz,
    open_span: SpanCache,
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

/// The searchable directory.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    name: Field,
    body: Field,
    entries: Vec<Entry>,
    by_id: HashMap<String, usize>,
    keys: Keys,
    /// Recent searches (none when turned off, e.g. to measure searches themselves).
    cache: Option<std::sync::Mutex<LruCache<String, Results>>>,
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
    fn add(&mut self, value: Option<&str>, entry: usize) -> u32 {
        let Some(value) = value else {
            return NO_KEY;
        };
        let next = self.postings.len() as u32;
        let id = *self.ids.entry(value.to_string()).or_insert(next);
        if id == next {
            self.postings.push(Vec::new());
        }
        if let Some(list) = self.postings.get_mut(id as usize) {
            list.push(entry as u32);
        }
        id
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

/// The query of a typed text: every word must match one of the fields (exactly after
/// stemming, or with a small typo for words the index does not contain), each field weighing
/// its boost. Shared by every index of Maillage, so that all searches read French alike.
pub(crate) fn every_word_query(
    index: &Index,
    reader: &IndexReader,
    fields: &[(Field, f32)],
    text: &str,
) -> Option<Box<dyn Query>> {
    words_query(index, reader, fields, text, Occur::Must)
}

/// The same words, each one optional: documents sharing more words with the text rank first
/// (a request typed in a person's own words, « je dois m'inscrire à pôle emploi »).
pub(crate) fn any_word_query(
    index: &Index,
    reader: &IndexReader,
    fields: &[(Field, f32)],
    text: &str,
) -> Option<Box<dyn Query>> {
    words_query(index, reader, fields, text, Occur::Should)
}

fn words_query(
    index: &Index,
    reader: &IndexReader,
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
    let searcher = reader.searcher();
    for token in tokens {
        let known = fields.iter().any(|(field, _)| {
            searcher
                .doc_freq(&Term::from_field_text(*field, &token))
                .is_ok_and(|n| n > 0)
        });
        let mut shoulds: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for &(field, boost) in fields {
            let term = Term::from_field_text(field, &token);
            shoulds.push((
                Occur::Should,
                Box::new(BoostQuery::new(
                    Box::new(TermQuery::new(term.clone(), IndexRecordOption::WithFreqs)),
                    boost,
                )),
            ));
            let distance = match token.chars().count() {
                0..=3 => 0,
                4..=7 => 1,
                _ => 2,
            };
            // Typo tolerance for words the index does not contain: a word found as typed
            // needs no neighbours, and skipping them keeps frequent words fast.
            if distance > 0 && !known {
                shoulds.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(
                        Box::new(FuzzyTermQuery::new(term, distance, true)),
                        boost * 0.3,
                    )),
                ));
            }
        }
        musts.push((each_word, Box::new(BooleanQuery::new(shoulds))));
    }
    Some(Box::new(BooleanQuery::new(musts)))
}

fn labels<V: Vocabulary>(values: &[V]) -> String {
    values
        .iter()
        .map(|v| v.label())
        .collect::<Vec<_>>()
        .join(" ")
}

impl SearchIndex {
    /// Builds the index of these places (borrowed or owned: a caller may stream them, each
    /// place is dropped once indexed).
    pub fn build<P: Borrow<Place>>(
        places: impl IntoIterator<Item = (P, PlaceContext)>,
    ) -> Result<Self, SearchError> {
        let mut sb = Schema::builder();
        let text = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(ANALYZER)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        );
        let name = sb.add_text_field("name", text.clone());
        let body = sb.add_text_field("body", text);
        let ord = sb.add_u64_field("ord", FAST | STORED);
        let index = Index::create_in_ram(sb.build());
        index.tokenizers().register(ANALYZER, french_analyzer());
        // One indexing thread with a small arena: the national directory fits in a few segments
        // and the build does not inflate the server's memory.
        let mut writer = index.writer_with_num_threads::<TantivyDocument>(1, 20_000_000)?;
        let mut entries = Vec::new();
        let mut by_id = HashMap::new();
        let mut keys = Keys::default();
        let mut hours_by_text: HashMap<String, Option<Hours>> = HashMap::new();
        for (place, ctx) in places {
            let place: &Place = place.borrow();
            let n = entries.len();
            let mut doc = TantivyDocument::default();
            doc.add_text(name, &place.name);
            let body_text = [
                place.commune.as_str(),
                place.summary.as_deref().unwrap_or_default(),
                place.description.as_deref().unwrap_or_default(),
                &labels(&place.services),
                &labels(&place.extras.mediation_forms),
                &labels(&place.extras.intervention_domains),
                place.parent_structure.as_deref().unwrap_or_default(),
            ]
            .join("\n");
            doc.add_text(body, &body_text);
            doc.add_u64(ord, n as u64);
            writer.add_document(doc)?;
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
            let departement = place.departement();
            by_id.insert(place.id.clone(), n);
            entries.push(Entry {
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
                insee_code: keys.insee_code.add(place.insee_code.as_deref(), n),
                epci: keys.epci.add(ctx.epci.as_deref(), n),
                tz: timezone_of_departement(departement.as_deref().unwrap_or("75")),
                departement: keys.departement.add(departement.as_deref(), n),
                organisation: keys.organisation.add(ctx.organisation_id.as_deref(), n),
                step_free: place.extras.step_free_access == Some(true),
                hours,
                open_span: SpanCache::default(),
            });
        }
        writer.commit()?;
        let reader = index.reader()?;
        Ok(SearchIndex {
            index,
            reader,
            name,
            body,
            entries,
            by_id,
            keys,
            cache: Some(std::sync::Mutex::new(LruCache::new(
                NonZeroUsize::new(CACHE_ENTRIES).unwrap_or(NonZeroUsize::MIN),
            ))),
        })
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Every located place as the territory's coverage needs it (position, commune, kinds of
    /// help: [`maillage_domain::territory::kinds_of`]), read from memory.
    pub fn offer_sites(&self) -> Vec<maillage_domain::territory::OfferSite> {
        let mut codes = vec![""; self.keys.insee_code.postings.len()];
        for (code, &id) in &self.keys.insee_code.ids {
            if let Some(slot) = codes.get_mut(id as usize) {
                *slot = code.as_str();
            }
        }
        self.entries
            .iter()
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
        self.entries.is_empty()
    }

    pub fn contains(&self, id: &str) -> bool {
        self.by_id.contains_key(id)
    }

    /// Every word must match (exactly after stemming, or with a small typo), or any of them
    /// when the search is widened; names weigh more.
    fn text_query(&self, text: &str, any_word: bool) -> Option<Box<dyn Query>> {
        let fields = [(self.name, 3.0), (self.body, 1.0)];
        if any_word {
            any_word_query(&self.index, &self.reader, &fields, text)
        } else {
            every_word_query(&self.index, &self.reader, &fields, text)
        }
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

    /// Is the entry open at the asked time? One evaluation of its opening hours is reused for
    /// every instant of the span it covers, so "open now" over the national directory costs one
    /// atomic read per place most of the time.
    fn open_at(e: &Entry, local: NaiveDateTime, minute: Option<u32>) -> Option<bool> {
        let hours = e.hours.as_ref()?;
        let Some(minute) = minute else {
            return hours.is_open_at(local);
        };
        if let Some(state) = e.open_span.lookup(minute) {
            return state;
        }
        let at_minute = EPOCH + Duration::minutes(i64::from(minute));
        let (state, until) = hours.state_span(at_minute, Duration::days(8));
        if let Some(end) = minutes_since_epoch(until) {
            e.open_span.store(minute, end, state);
        }
        state
    }

    /// Calls `visit` with every document matching the text and its score, by entry number,
    /// without collecting them first.
    fn for_each_text_match(
        &self,
        query: &dyn Query,
        visit: &mut dyn FnMut(u32, f32),
    ) -> Result<(), SearchError> {
        let searcher = self.reader.searcher();
        let weight = query.weight(EnableScoring::enabled_from_searcher(&searcher))?;
        for segment in searcher.segment_readers() {
            let ords = segment.fast_fields().u64("ord")?;
            weight.for_each(segment, &mut |doc, score| {
                if let Some(ord) = ords.first(doc).and_then(|o| u32::try_from(o).ok()) {
                    visit(ord, score);
                }
            })?;
        }
        Ok(())
    }

    /// Runs a search, answering from the cache of recent searches when the same one (same
    /// filters, same page, same minute for "open now") was just made on this index. The cache
    /// lives and dies with the index, so a rebuilt directory never serves stale results.
    pub fn search(&self, q: &SearchQuery) -> Result<Results, SearchError> {
        let (Some(cache), Some(key)) = (&self.cache, cache_key(q)) else {
            return self.search_uncached(q);
        };
        let lock = || match cache.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(hit) = lock().get(&key) {
            return Ok(hit.clone());
        }
        let results = self.search_uncached(q)?;
        lock().put(key, results.clone());
        Ok(results)
    }

    /// The same index without the cache of recent searches.
    pub fn without_cache(mut self) -> Self {
        self.cache = None;
        self
    }

    /// Runs a search: filters, then ranking by relevance and distance.
    pub fn search_uncached(&self, q: &SearchQuery) -> Result<Results, SearchError> {
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
        let Some(keyed) = self.keys.asked(q) else {
            // A commune, EPCI, département or organisation without any place.
            return Ok(Results::default());
        };
        let text_query = q
            .text
            .as_deref()
            .and_then(|t| self.text_query(t, q.any_word));
        let by_text = text_query.is_some();
        let area = q
            .near
            .map(|c| Area::new(c, q.radius_km.map(|r| r * 1000.0)));
        let mut local_times = LocalTimes::default();
        let at_minute = match q.open {
            Some(OpenFilter::At(local)) => minutes_since_epoch(local),
            _ => None,
        };
        let ranking = by_text || area.is_some();
        let limit = if q.limit == 0 { 20 } else { q.limit };
        let wanted_cap = q.offset.saturating_add(limit);
        let mut total = 0;
        let mut best = Best::new(wanted_cap);
        let mut visit = |i: u32, score: f32| {
            let Some(e) = self.entries.get(i as usize) else {
                return;
            };
            if !self.matches(e, q, &masks, &keyed) {
                return;
            }
            // Opening state first: one atomic read that rules out most places at night.
            let open = match q.open {
                None => None,
                Some(filter) => {
                    let (local, minute) = match filter {
                        OpenFilter::Now(now) => local_times.of(now, e.tz),
                        OpenFilter::At(local) => (local, at_minute),
                    };
                    match Self::open_at(e, local, minute) {
                        Some(true) => Some(true),
                        _ => return,
                    }
                }
            };
            let distance_m = match (&area, e.location) {
                (Some(area), Some(p)) => match area.distance_m(p, e.cos_lat) {
                    Some(d) => Some(d),
                    None => return,
                },
                // A radius excludes places without coordinates: their distance is unknown.
                (Some(area), None) if area.radius_m.is_some() => return,
                _ => None,
            };
            total += 1;
            if !ranking && best.is_full() {
                // Directory order: the page is already complete, only the count goes on.
                return;
            }
            best.offer(Found {
                entry: i,
                score,
                distance_m,
                open,
                key: rank_key(score, distance_m, by_text, area.is_some(), q.any_word),
            });
        };
        match (&text_query, self.keys.narrowest(&keyed)) {
            (Some(query), _) => self.for_each_text_match(query.as_ref(), &mut visit)?,
            (None, Some(list)) => list.iter().for_each(|i| visit(*i, 0.0)),
            (None, None) => (0..self.entries.len() as u32).for_each(|i| visit(i, 0.0)),
        }
        let found = best.into_sorted();
        let hits = found
            .iter()
            .skip(q.offset)
            .take(limit)
            .map(|f| {
                let entry = self.entries.get(f.entry as usize);
                // Shown distances are exact (ranking may have used the fast approximation).
                let distance_m = match (&area, entry.and_then(|e| e.location)) {
                    (Some(area), Some(p)) => Some(area.centre.distance_m(p)),
                    _ => f.distance_m,
                };
                Hit {
                    id: entry.map(|e| e.id.clone()).unwrap_or_default(),
                    score: f.score,
                    distance_m,
                    open: f.open,
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
