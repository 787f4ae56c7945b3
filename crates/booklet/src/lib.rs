//! The printed booklet of the directory for a zone, as a PDF: a cover, a contents page, the
//! summary table of places × forms of mediation with X marks and page numbers (the seed's
//! « sommaire récapitulatif »), the places grouped by category then by commune (address,
//! usual hours, contact, publics and conditions, limits, a QR code to the page online), and an
//! index of communes.
//!
//! The layout is a Typst template (`templates/booklet.typ`) compiled in process with embedded
//! fonts, so the output is the same on every machine and tagged for accessibility; this crate
//! prepares the data (grouping and wording are the domain's, [`maillage_domain::booklet`]).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use maillage_domain::booklet::{Category, SummaryColumn, category_of, usual_hours};
use maillage_domain::fields::phone_national;
use maillage_domain::hours::{HoursCheck, check_hours};
use maillage_domain::progress::{Interrupted, Progress};
use maillage_domain::{Place, Vocabulary};
use serde::Serialize;

pub mod report;

const TEMPLATE: &str = include_str!("../templates/booklet.typ");

/// Why no booklet was made.
#[derive(Debug, thiserror::Error)]
pub enum BookletError {
    #[error("aucun lieu dans cette zone : le livret serait vide")]
    Empty,
    #[error(transparent)]
    Interrupted(#[from] Interrupted),
    #[error("mise en page du livret : {0}")]
    Layout(String),
    #[error("écriture du PDF : {0}")]
    Pdf(String),
}

/// What to print.
#[derive(Clone)]
pub struct BookletRequest<'a> {
    /// « Où se faire aider avec le numérique ».
    pub title: String,
    /// The zone, in words: « Meurthe-et-Moselle (54) », « Métropole du Grand Nancy ».
    pub zone: String,
    /// Date of the edition (also the week the usual hours are read from).
    pub edition: NaiveDate,
    /// Address of the directory online; each QR code opens `{public_url}/lieux/{id}`.
    pub public_url: String,
    pub places: &'a [Place],
    /// Typology code → label (« BIB » → « Bibliothèque… »).
    pub typology_label: &'a (dyn Fn(&str) -> Option<String> + Sync),
}

/// Default title of a booklet.
pub const DEFAULT_TITLE: &str = "Où se faire aider avec le numérique";

#[derive(Serialize)]
struct Data {
    title: String,
    zone: String,
    date: String,
    url: String,
    count: usize,
    columns: Vec<Column>,
    categories: Vec<CategoryData>,
    index: Vec<IndexEntry>,
}

#[derive(Serialize)]
struct Column {
    label: &'static str,
    description: &'static str,
}

#[derive(Serialize)]
struct CategoryData {
    label: &'static str,
    communes: Vec<CommuneData>,
}

#[derive(Serialize)]
struct CommuneData {
    key: String,
    name: String,
    places: Vec<Entry>,
}

#[derive(Serialize)]
struct Entry {
    key: String,
    name: String,
    kind: String,
    address: String,
    hours: Vec<String>,
    phone: String,
    email: String,
    web: String,
    services: String,
    publics: String,
    access: String,
    fees: String,
    conditions: String,
    limits: String,
    marks: Vec<bool>,
    qr: String,
}

#[derive(Serialize)]
struct IndexEntry {
    name: String,
    keys: Vec<String>,
}

/// One summary row of the booklet, as printed (for tests and for the web page's preview).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryRow {
    pub category: Category,
    pub commune: String,
    pub place_id: String,
    pub name: String,
    pub marks: Vec<SummaryColumn>,
}

fn labels<V: Vocabulary>(values: &[V]) -> String {
    values
        .iter()
        .map(|v| v.label())
        .collect::<Vec<_>>()
        .join(", ")
}

/// French collation good enough for commune and place names: accents and case ignored.
fn sort_key(s: &str) -> String {
    maillage_domain::text::fold(s)
}

/// The places in the booklet's order: category, then commune, then name.
pub fn summary(places: &[Place]) -> Vec<SummaryRow> {
    let mut rows: Vec<SummaryRow> = places
        .iter()
        .map(|p| SummaryRow {
            category: category_of(p),
            commune: p.commune.clone(),
            place_id: p.id.clone(),
            name: p.name.clone(),
            marks: SummaryColumn::ALL
                .into_iter()
                .filter(|c| c.applies_to(p))
                .collect(),
        })
        .collect();
    rows.sort_by(|a, b| {
        a.category
            .cmp(&b.category)
            .then_with(|| sort_key(&a.commune).cmp(&sort_key(&b.commune)))
            .then_with(|| sort_key(&a.name).cmp(&sort_key(&b.name)))
    });
    rows
}

/// A QR code of `url` as SVG.
pub fn qr_svg(url: &str) -> Option<String> {
    let code = qrcode::QrCode::new(url.as_bytes()).ok()?;
    Some(
        code.render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(120, 120)
            .quiet_zone(false)
            .build(),
    )
}

fn entry(req: &BookletRequest<'_>, p: &Place) -> Entry {
    let link = format!("{}/lieux/{}", req.public_url.trim_end_matches('/'), p.id);
    let hours = p
        .opening_hours
        .as_deref()
        .filter(|_| p.opening_hours_valid)
        .map(check_hours)
        .and_then(|c| match c {
            HoursCheck::Valid(h) | HoursCheck::Repaired { hours: h, .. } => {
                Some(usual_hours(&h, req.edition))
            }
            _ => None,
        })
        .unwrap_or_default();
    let kind = p
        .typologies
        .iter()
        .filter_map(|t| (req.typology_label)(t))
        .collect::<Vec<_>>()
        .join(", ");
    let address = [
        Some(p.address.clone()),
        p.address_complement.clone(),
        Some(format!("{} {}", p.postcode, p.commune)),
    ]
    .into_iter()
    .flatten()
    .filter(|s| !s.trim().is_empty())
    .collect::<Vec<_>>()
    .join(", ");
    let conditions = [
        p.extras.access_conditions.clone(),
        p.extras.contribution.clone(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ; ");
    Entry {
        key: p.id.clone(),
        name: p.name.clone(),
        kind,
        address,
        hours,
        phone: p.phone.as_deref().map(phone_national).unwrap_or_default(),
        email: p.emails.join(", "),
        web: p.websites.first().cloned().unwrap_or_default(),
        services: labels(&p.services),
        publics: labels(&p.publics),
        access: labels(&p.access_modes),
        fees: labels(&p.fees),
        conditions,
        limits: p.extras.limits.clone().unwrap_or_default(),
        marks: SummaryColumn::ALL.iter().map(|c| c.applies_to(p)).collect(),
        qr: qr_svg(&link).unwrap_or_default(),
    }
}

/// Lays out a Typst template with its data (JSON in `sys.inputs.data`) and the embedded fonts,
/// then writes the PDF: the booklet's and the reports' one way to Typst. Returns the PDF and
/// its number of pages; `progress` hears the two stages.
#[cfg(feature = "typst")]
pub(crate) fn typeset(
    template: &str,
    json: String,
    progress: &dyn Progress,
) -> Result<(Vec<u8>, usize), BookletError> {
    use typst_as_lib::TypstEngine;
    use typst_layout::PagedDocument;
    progress.stage("Mise en page", None);
    let engine = TypstEngine::builder()
        .main_file(template)
        .fonts(typst_assets::fonts())
        .build();
    let mut inputs = typst::foundations::Dict::new();
    inputs.insert(
        "data".into(),
        typst::foundations::IntoValue::into_value(json),
    );
    let document = engine
        .compile_with_input::<_, PagedDocument>(inputs)
        .output
        .map_err(|e| BookletError::Layout(format!("{e:?}")))?;
    progress.check()?;
    progress.stage("Écriture du PDF", None);
    let pdf = typst_pdf::pdf(&document, &typst_pdf::PdfOptions::default())
        .map_err(|e| BookletError::Pdf(format!("{e:?}")))?;
    Ok((pdf, document.pages().len()))
}

/// Built without Typst (the fuzz targets' build, `default-features = false`: no reader of
/// outside input is in the layout, and Typst is a third of the crates to compile): every
/// booklet and report is refused with this reason. Never a production build.
#[cfg(not(feature = "typst"))]
pub(crate) fn typeset(
    _template: &str,
    _json: String,
    _progress: &dyn Progress,
) -> Result<(Vec<u8>, usize), BookletError> {
    Err(BookletError::Layout(
        "cette construction de Maillage ne met pas en page (sans Typst)".into(),
    ))
}

/// A booklet, ready to print.
#[derive(Debug, Clone)]
pub struct Booklet {
    pub pdf: Vec<u8>,
    pub pages: usize,
    pub places: usize,
}

/// Lays out the booklet and writes the PDF. Stages are reported to `progress`; between places
/// it may be interrupted, and then nothing is produced.
pub fn render_pdf(
    req: &BookletRequest<'_>,
    progress: &dyn Progress,
) -> Result<Booklet, BookletError> {
    if req.places.is_empty() {
        return Err(BookletError::Empty);
    }
    progress.stage("Préparation des fiches", Some(req.places.len() as u64));
    let by_id: BTreeMap<&str, &Place> = req.places.iter().map(|p| (p.id.as_str(), p)).collect();
    let mut categories: Vec<CategoryData> = Vec::new();
    let mut index: BTreeMap<String, IndexEntry> = BTreeMap::new();
    let mut commune_keys = 0usize;
    for row in summary(req.places) {
        progress.check()?;
        let Some(place) = by_id.get(row.place_id.as_str()) else {
            continue;
        };
        if categories
            .last()
            .is_none_or(|c| c.label != row.category.label())
        {
            categories.push(CategoryData {
                label: row.category.label(),
                communes: Vec::new(),
            });
        }
        let Some(category) = categories.last_mut() else {
            continue;
        };
        if category
            .communes
            .last()
            .is_none_or(|c| c.name != row.commune)
        {
            commune_keys += 1;
            let key = commune_keys.to_string();
            index
                .entry(sort_key(&row.commune))
                .or_insert_with(|| IndexEntry {
                    name: row.commune.clone(),
                    keys: Vec::new(),
                })
                .keys
                .push(key.clone());
            category.communes.push(CommuneData {
                key,
                name: row.commune.clone(),
                places: Vec::new(),
            });
        }
        if let Some(commune) = category.communes.last_mut() {
            commune.places.push(entry(req, place));
        }
        progress.advance(1);
    }
    let data = Data {
        title: req.title.clone(),
        zone: req.zone.clone(),
        date: req.edition.format("%d/%m/%Y").to_string(),
        url: req.public_url.clone(),
        count: req.places.len(),
        columns: SummaryColumn::ALL
            .iter()
            .map(|c| Column {
                label: c.label(),
                description: c.description(),
            })
            .collect(),
        categories,
        index: index.into_values().collect(),
    };
    let json = serde_json::to_string(&data).map_err(|e| BookletError::Layout(e.to_string()))?;
    progress.check()?;

    let (pdf, pages) = typeset(TEMPLATE, json, progress)?;
    Ok(Booklet {
        pdf,
        pages,
        places: req.places.len(),
    })
}
