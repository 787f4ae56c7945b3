//! Search in the directory: an in-process index, the same whatever the database
//! (see `docs/adr/0004-search-index.md`).
//!
//! Full text runs on a tantivy index in RAM (French stop words, Snowball stemming, accent and
//! case folding, typo tolerance by fuzzy terms). Filters and distances run on a compact
//! in-memory table of the places (bit masks for the closed vocabularies), so a filtered search
//! over the national directory costs a few microseconds per place.

use std::collections::HashMap;

use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use maillage_domain::Place;
use maillage_domain::geo::GeoPoint;
use maillage_domain::hours::{Hours, HoursCheck, check_hours, timezone_of_departement};
use maillage_domain::vocab::{
    AccessMode, Fee, MediationForm, Mobility, NationalProgramme, Public, Service, SpecificSupport,
    SupportMode, Vocabulary,
};
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::query::{BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, TermQuery};
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
}

/// Per place: what filters and ranking read.
struct Entry {
    id: String,
    location: Option<GeoPoint>,
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
    insee_code: Option<String>,
    epci: Option<String>,
    departement: Option<String>,
    step_free: bool,
    organisation_id: Option<String>,
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
}

const ANALYZER: &str = "fr_maillage";

fn french_analyzer() -> TextAnalyzer {
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

fn labels<V: Vocabulary>(values: &[V]) -> String {
    values
        .iter()
        .map(|v| v.label())
        .collect::<Vec<_>>()
        .join(" ")
}

impl SearchIndex {
    /// Builds the index of these places.
    pub fn build<'a>(
        places: impl IntoIterator<Item = (&'a Place, PlaceContext)>,
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
        let mut writer = index.writer::<TantivyDocument>(50_000_000)?;
        let mut entries = Vec::new();
        let mut by_id = HashMap::new();
        for (place, ctx) in places {
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
                Some(raw) => match check_hours(raw) {
                    HoursCheck::Valid(h) | HoursCheck::Repaired { hours: h, .. } => Some(h),
                    HoursCheck::Invalid { .. } => None,
                },
                None => None,
            };
            let departement = place.departement();
            by_id.insert(place.id.clone(), n);
            entries.push(Entry {
                id: place.id.clone(),
                location: place.location,
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
                insee_code: place.insee_code.clone(),
                epci: ctx.epci,
                tz: timezone_of_departement(departement.as_deref().unwrap_or("75")),
                departement,
                step_free: place.extras.step_free_access == Some(true),
                organisation_id: ctx.organisation_id,
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
        })
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn contains(&self, id: &str) -> bool {
        self.by_id.contains_key(id)
    }

    /// The tokens of a text as the index sees them (lower case, stemmed, folded).
    fn tokens(&self, text: &str) -> Vec<String> {
        let mut analyzer = self
            .index
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

    /// Every word must match (exactly after stemming, or with a small typo); names weigh more.
    fn text_query(&self, text: &str) -> Option<Box<dyn Query>> {
        let tokens = self.tokens(text);
        if tokens.is_empty() {
            return None;
        }
        let mut musts: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let searcher = self.reader.searcher();
        for token in tokens {
            let known = [self.name, self.body].iter().any(|field| {
                searcher
                    .doc_freq(&Term::from_field_text(*field, &token))
                    .is_ok_and(|n| n > 0)
            });
            let mut shoulds: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            for (field, boost) in [(self.name, 3.0), (self.body, 1.0)] {
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
                // Typo tolerance for words the directory does not contain: a word found as
                // typed needs no neighbours, and skipping them keeps frequent words fast.
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
            musts.push((Occur::Must, Box::new(BooleanQuery::new(shoulds))));
        }
        Some(Box::new(BooleanQuery::new(musts)))
    }

    fn matches(&self, e: &Entry, q: &SearchQuery, masks: &[u64; 9]) -> bool {
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
            && q.insee_code
                .as_ref()
                .is_none_or(|c| e.insee_code.as_ref() == Some(c))
            && q.epci.as_ref().is_none_or(|c| e.epci.as_ref() == Some(c))
            && q.departement
                .as_ref()
                .is_none_or(|c| e.departement.as_ref() == Some(c))
            && q.organisation_id
                .as_ref()
                .is_none_or(|c| e.organisation_id.as_ref() == Some(c))
            && (!q.step_free || e.step_free)
    }

    /// Is the entry open at the asked time? One evaluation of its opening hours is reused for
    /// every instant of the span it covers, so "open now" over the national directory costs one
    /// atomic read per place most of the time.
    fn open_at(e: &Entry, local: NaiveDateTime) -> Option<bool> {
        let hours = e.hours.as_ref()?;
        let Some(minute) = minutes_since_epoch(local) else {
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

    /// Every document matching the text, with its score, by entry number.
    fn text_candidates(&self, query: &dyn Query) -> Result<Vec<(u32, f32)>, SearchError> {
        let searcher = self.reader.searcher();
        Ok(searcher.search(query, &AllScored)?)
    }

    /// Runs a search: filters, then ranking by relevance and distance.
    pub fn search(&self, q: &SearchQuery) -> Result<Results, SearchError> {
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
        let text_query = q.text.as_deref().and_then(|t| self.text_query(t));
        let by_text = text_query.is_some();
        let candidates: Vec<(u32, f32)> = match &text_query {
            None => (0..self.entries.len() as u32).map(|i| (i, 0.0)).collect(),
            Some(query) => self.text_candidates(query.as_ref())?,
        };
        let area = q.near.map(|c| Area::new(c, q.radius_km.map(|r| r * 1000.0)));
        let mut local_times = LocalTimes::default();
        let mut found: Vec<Found> = Vec::new();
        for (i, score) in candidates {
            let Some(e) = self.entries.get(i as usize) else {
                continue;
            };
            if !self.matches(e, q, &masks) {
                continue;
            }
            let distance_m = match (&area, e.location) {
                (Some(area), Some(p)) => match area.distance_m(p) {
                    Some(d) => Some(d),
                    None => continue,
                },
                // A radius excludes places without coordinates: their distance is unknown.
                (Some(area), None) if area.radius_m.is_some() => continue,
                _ => None,
            };
            let open = match q.open {
                None => None,
                Some(filter) => {
                    let local = match filter {
                        OpenFilter::Now(now) => local_times.of(now, e.tz),
                        OpenFilter::At(local) => local,
                    };
                    match Self::open_at(e, local) {
                        Some(true) => Some(true),
                        _ => continue,
                    }
                }
            };
            let key = rank_key(score, distance_m, by_text, area.is_some());
            found.push(Found {
                entry: i,
                score,
                distance_m,
                open,
                key,
            });
        }
        let total = found.len();
        let limit = if q.limit == 0 { 20 } else { q.limit };
        let wanted = q.offset.saturating_add(limit).min(total);
        if by_text || area.is_some() {
            // Best first, ties by id; only the asked page needs to be fully ordered.
            let order = |a: &Found, b: &Found| {
                b.key
                    .total_cmp(&a.key)
                    .then_with(|| self.id_of(a).cmp(self.id_of(b)))
            };
            if wanted > 0 && wanted < total {
                found.select_nth_unstable_by(wanted - 1, order);
                found.truncate(wanted);
            }
            found.sort_unstable_by(order);
        }
        let hits = found
            .iter()
            .skip(q.offset)
            .take(limit)
            .map(|f| Hit {
                id: self.id_of(f).to_string(),
                score: f.score,
                distance_m: f.distance_m,
                open: f.open,
            })
            .collect();
        Ok(Results { total, hits })
    }

    fn id_of(&self, f: &Found) -> &str {
        self.entries
            .get(f.entry as usize)
            .map(|e| e.id.as_str())
            .unwrap_or_default()
    }
}

/// A place that passed the filters, before paging.
struct Found {
    entry: u32,
    score: f32,
    distance_m: Option<f64>,
    open: Option<bool>,
    key: f64,
}

/// The centre of a search and its radius, with a bounding box that rules most places out
/// before any trigonometry.
struct Area {
    centre: GeoPoint,
    radius_m: Option<f64>,
    lat_span: f64,
    lon_span: f64,
}

impl Area {
    const METRES_PER_DEGREE: f64 = 111_195.0;

    fn new(centre: GeoPoint, radius_m: Option<f64>) -> Self {
        let (lat_span, lon_span) = match radius_m {
            Some(r) => {
                let lat_span = r / Self::METRES_PER_DEGREE;
                // The box widens towards the pole: use the latitude nearest to it.
                let lat = (centre.lat.abs() + lat_span).min(89.0);
                (lat_span, lat_span / lat.to_radians().cos())
            }
            None => (f64::INFINITY, f64::INFINITY),
        };
        Area {
            centre,
            radius_m,
            lat_span,
            lon_span,
        }
    }

    /// The distance to the centre, or `None` when the place is outside the radius.
    fn distance_m(&self, p: GeoPoint) -> Option<f64> {
        if (p.lat - self.centre.lat).abs() > self.lat_span
            || (p.lon - self.centre.lon).abs() > self.lon_span
        {
            return None;
        }
        let d = self.centre.distance_m(p);
        match self.radius_m {
            Some(r) if d > r => None,
            _ => Some(d),
        }
    }
}

/// Local "now" per time zone, computed once per search (metropolitan France and the overseas
/// départements use a handful of zones).
#[derive(Default)]
struct LocalTimes(Vec<(chrono_tz::Tz, NaiveDateTime)>);

impl LocalTimes {
    fn of(&mut self, now: DateTime<Utc>, tz: chrono_tz::Tz) -> NaiveDateTime {
        if let Some((_, local)) = self.0.iter().find(|(z, _)| *z == tz) {
            return *local;
        }
        let local = now.with_timezone(&tz).naive_local();
        self.0.push((tz, local));
        local
    }
}

/// Local date-times are cached as minutes since 2000-01-01 (opening hours have minute
/// precision).
const EPOCH: NaiveDateTime = match NaiveDate::from_ymd_opt(2000, 1, 1) {
    Some(d) => d.and_time(NaiveTime::MIN),
    None => NaiveDateTime::MIN,
};

fn minutes_since_epoch(t: NaiveDateTime) -> Option<u32> {
    let minutes = (t - EPOCH).num_minutes();
    u32::try_from(minutes).ok().filter(|m| *m < SpanCache::MAX)
}

/// The last evaluated span of an entry's opening state: `[start, end)` in minutes and the state,
/// packed in one atomic word so that concurrent searches share it without locks.
#[derive(Default)]
struct SpanCache(AtomicU64);

impl SpanCache {
    const MAX: u32 = (1 << 31) - 1;

    fn lookup(&self, minute: u32) -> Option<Option<bool>> {
        let word = self.0.load(AtomicOrdering::Relaxed);
        let start = (word >> 33) as u32;
        let end = ((word >> 2) & u64::from(Self::MAX)) as u32;
        if start <= minute && minute < end {
            Some(match word & 0b11 {
                2 => Some(true),
                1 => Some(false),
                _ => None,
            })
        } else {
            None
        }
    }

    fn store(&self, start: u32, end: u32, state: Option<bool>) {
        let state = match state {
            Some(true) => 2,
            Some(false) => 1,
            None => 0,
        };
        let word = (u64::from(start & Self::MAX) << 33)
            | (u64::from(end & Self::MAX) << 2)
            | state;
        self.0.store(word, AtomicOrdering::Relaxed);
    }
}

/// Collects every matching document with its score (no top-k heap: filters come after).
struct AllScored;

struct AllScoredSegment {
    ords: tantivy::columnar::Column<u64>,
    out: Vec<(u32, f32)>,
}

impl Collector for AllScored {
    type Fruit = Vec<(u32, f32)>;
    type Child = AllScoredSegment;

    fn for_segment(
        &self,
        _segment_local_id: tantivy::SegmentOrdinal,
        segment: &tantivy::SegmentReader,
    ) -> tantivy::Result<AllScoredSegment> {
        Ok(AllScoredSegment {
            ords: segment.fast_fields().u64("ord")?,
            out: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, fruits: Vec<Vec<(u32, f32)>>) -> tantivy::Result<Vec<(u32, f32)>> {
        Ok(fruits.into_iter().flatten().collect())
    }
}

impl SegmentCollector for AllScoredSegment {
    type Fruit = Vec<(u32, f32)>;

    fn collect(&mut self, doc: tantivy::DocId, score: tantivy::Score) {
        if let Some(ord) = self.ords.first(doc).and_then(|o| u32::try_from(o).ok()) {
            self.out.push((ord, score));
        }
    }

    fn harvest(self) -> Vec<(u32, f32)> {
        self.out
    }
}

/// Relevance and distance together: the text score is divided by a factor growing with the
/// distance (×2 at 10 km; a place without coordinates counts as 1,000 km away); without text,
/// nearest first; without either, directory order.
fn rank_key(score: f32, distance_m: Option<f64>, by_text: bool, by_distance: bool) -> f64 {
    let d_km = distance_m.map_or(1_000_000.0, |d| d / 1000.0);
    match (by_text, by_distance) {
        (true, true) => f64::from(score) / (1.0 + d_km / 10.0),
        (true, false) => f64::from(score),
        (false, true) => -d_km,
        (false, false) => 0.0,
    }
}
