//! Search in the directory: an in-process index, the same whatever the database
//! (see `docs/adr/0004-search-index.md`).
//!
//! Full text runs on a tantivy index in RAM (French stop words, Snowball stemming, accent and
//! case folding, typo tolerance by fuzzy terms). Filters and distances run on a compact
//! in-memory table of the places (bit masks for the closed vocabularies), so a filtered search
//! over the national directory costs a few microseconds per place.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use maillage_domain::Place;
use maillage_domain::geo::GeoPoint;
use maillage_domain::hours::{Hours, HoursCheck, check_hours, timezone_of_departement};
use maillage_domain::vocab::{
    AccessMode, Fee, MediationForm, Mobility, NationalProgramme, Public, Service, SpecificSupport,
    SupportMode, Vocabulary,
};
use tantivy::collector::TopDocs;
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
        for token in tokens {
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
                if distance > 0 {
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

    fn open_at(e: &Entry, filter: OpenFilter) -> Option<bool> {
        let hours = e.hours.as_ref()?;
        match filter {
            OpenFilter::Now(now) => hours.is_open_now(now, e.tz),
            OpenFilter::At(local) => hours.is_open_at(local),
        }
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
        // Candidates with their text score.
        let candidates: Vec<(usize, f32)> = match q.text.as_deref().and_then(|t| self.text_query(t))
        {
            None => (0..self.entries.len()).map(|i| (i, 0.0)).collect(),
            Some(query) => {
                let searcher = self.reader.searcher();
                let limit = self.entries.len().max(1);
                let top = searcher.search(&query, &TopDocs::with_limit(limit).order_by_score())?;
                let mut out = Vec::with_capacity(top.len());
                let mut columns = HashMap::new();
                for (score, addr) in top {
                    let column = match columns.entry(addr.segment_ord) {
                        std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
                        std::collections::hash_map::Entry::Vacant(v) => v.insert(
                            searcher
                                .segment_reader(addr.segment_ord)
                                .fast_fields()
                                .u64("ord")?,
                        ),
                    };
                    if let Some(ord) = column.first(addr.doc_id) {
                        out.push((ord as usize, score));
                    }
                }
                out
            }
        };
        let radius_m = q.radius_km.map(|r| r * 1000.0);
        let mut hits: Vec<Hit> = Vec::new();
        for (i, score) in candidates {
            let Some(e) = self.entries.get(i) else {
                continue;
            };
            if !self.matches(e, q, &masks) {
                continue;
            }
            let distance_m = match (q.near, e.location) {
                (Some(c), Some(p)) => Some(c.distance_m(p)),
                _ => None,
            };
            if let Some(r) = radius_m {
                // A radius excludes places without coordinates: their distance is unknown.
                if distance_m.is_none_or(|d| d > r) {
                    continue;
                }
            }
            let open = q.open.and_then(|f| Self::open_at(e, f));
            if q.open.is_some() && open != Some(true) {
                continue;
            }
            hits.push(Hit {
                id: e.id.clone(),
                score,
                distance_m,
                open,
            });
        }
        rank(&mut hits, q.near.is_some(), q.text.is_some());
        let total = hits.len();
        let limit = if q.limit == 0 { 20 } else { q.limit };
        let hits = hits.into_iter().skip(q.offset).take(limit).collect();
        Ok(Results { total, hits })
    }
}

/// Relevance and distance together: the text score is divided by a factor growing with the
/// distance (×2 at 10 km); without text, nearest first; without either, stable by id order.
fn rank(hits: &mut [Hit], by_distance: bool, by_text: bool) {
    let key = |h: &Hit| -> f64 {
        let d_km = h.distance_m.map(|d| d / 1000.0);
        match (by_text, by_distance) {
            (true, true) => f64::from(h.score) / (1.0 + d_km.unwrap_or(1_000.0) / 10.0),
            (true, false) => f64::from(h.score),
            (false, true) => -d_km.unwrap_or(f64::MAX / 2.0),
            (false, false) => 0.0,
        }
    };
    if by_text || by_distance {
        hits.sort_by(|a, b| key(b).total_cmp(&key(a)).then_with(|| a.id.cmp(&b.id)));
    }
}
