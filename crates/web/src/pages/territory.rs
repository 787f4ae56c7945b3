//! The territory's page (issue #20): a zone chosen by its codes or names, the coverage of the
//! offer for each kind of help with its definitions, the map of the communes drawn as SVG
//! with its table beside, the « zones blanches », and the communes' table as CSV.

use askama::Template;
use axum::Router;
use axum::extract::State as AxState;
use axum::response::Response;
use axum::routing::get;
use maillage_app::ErrorKind;
use maillage_app::territory::map::Choropleth;
use maillage_app::territory::{Layer, NEEDS_BANDS, TerritoryQuery, TerritoryView, communes_csv};
use maillage_domain::territory::{Access, DEFAULT_REACH_KM, KINDS, kind_label, kind_slug};

use super::{Chrome, render};
use crate::PageError;
use crate::State;
use crate::auth::Viewer;
use crate::kit::input::Query;

pub fn routes() -> Router<State> {
    Router::new()
        .route("/territoire", get(page))
        .route("/territoire/communes.csv", get(csv))
        .route("/territoire/diagnostic.pdf", get(diagnosis))
        .route(
            "/territoire/indicateurs",
            get(indicators_page).post(indicators_upload).layer(
                axum::extract::DefaultBodyLimit::max(
                    maillage_app::limits::INDICATORS_IMPORT_BYTES + 64 * 1024,
                ),
            ),
        )
}

/// Communes listed one by one on the page at most; beyond, the CSV has them all.
const TABLE_ROWS: usize = 500;
/// « Zones blanches » listed on the page at most.
const WHITE_ROWS: usize = 100;

/// A class of the map's legend, with its table row.
pub(super) struct LegendRow {
    pub(super) slug: &'static str,
    pub(super) label: &'static str,
    pub(super) communes: usize,
    pub(super) population: u64,
}

#[derive(Template)]
#[template(path = "territory/territory.html")]
struct TerritoryPage {
    chrome: Chrome,
    zone: String,
    reach: String,
    /// (slug, label, chosen) of every kind of help.
    helps: Vec<(&'static str, &'static str, bool)>,
    error: Option<String>,
    view: Option<TerritoryView>,
    map: Choropleth,
    legend: Vec<LegendRow>,
    /// The question's query string (links to the CSV and to the other kinds of help).
    query: String,
    /// The same without its kind of help (links that choose one).
    query_without_help: String,
    /// The same without its layer (links that choose one).
    query_without_layer: String,
    table_rows: usize,
    white_rows: usize,
    /// The origins' bars (SVG), when there are enough people to show shares.
    origins_chart: String,
    /// (slug, label, chosen) of every layer of the map.
    layers: Vec<(&'static str, &'static str, bool)>,
    layer: &'static str,
    layer_label: &'static str,
    /// Coordinators import indicators.
    may_import: bool,
    /// The network's surveys of the zone (coordinators).
    surveys: Vec<SurveyBlock>,
}

/// A survey's results in the zone, as the page shows them.
struct SurveyBlock {
    id: String,
    title: String,
    kind: &'static str,
    answers: usize,
    places: usize,
    closes: String,
    equipment_chart: String,
    equipment: Vec<maillage_app::surveys::EquipmentCount>,
    results: Vec<super::surveys::ResultSection>,
}

impl TerritoryPage {
    fn number(&self, n: impl Figure) -> String {
        maillage_domain::french::number(n.value())
    }

    fn decimal(&self, v: impl Figure) -> String {
        maillage_domain::french::number(v.value())
    }

    fn percent(&self, v: impl Figure) -> String {
        format!("{} %", maillage_domain::french::number(v.value()))
    }
}

/// A number as the template hands it over: askama passes fields by value, loop variables'
/// fields and matched values by reference.
trait Figure {
    fn value(self) -> f64;
}

impl Figure for u64 {
    fn value(self) -> f64 {
        self as f64
    }
}

impl Figure for f64 {
    fn value(self) -> f64 {
        self
    }
}

impl<T: Figure + Copy> Figure for &T {
    fn value(self) -> f64 {
        (*self).value()
    }
}

/// The legend of a layer other than access: each band and the communes drawn in it.
fn bands_legend(
    bands: &[(&'static str, &'static str)],
    map: &Choropleth,
    view: &TerritoryView,
) -> Vec<LegendRow> {
    let population: std::collections::HashMap<&str, u32> = view
        .communes
        .iter()
        .map(|c| (c.code_insee.as_str(), c.population))
        .collect();
    bands
        .iter()
        .chain(&[("sans-donnee", "sans donnée")])
        .map(|&(slug, label)| {
            let of_class = map.communes.iter().filter(|c| c.class == slug);
            LegendRow {
                slug,
                label,
                communes: of_class.clone().count(),
                population: of_class
                    .map(|c| u64::from(population.get(c.insee_code.as_str()).copied().unwrap_or(0)))
                    .sum(),
            }
        })
        .collect()
}

/// The legend of a layer's map, class by class with its communes and people (the page's and
/// the interactive map's).
pub(super) fn legend_of(layer: Layer, map: &Choropleth, view: &TerritoryView) -> Vec<LegendRow> {
    match layer {
        Layer::Access => legend(view),
        Layer::Fragility => bands_legend(&maillage_domain::fragility::BANDS, map, view),
        Layer::Needs => bands_legend(&NEEDS_BANDS, map, view),
    }
}

fn legend(view: &TerritoryView) -> Vec<LegendRow> {
    [
        Access::InCommune,
        Access::WithinReach(0.0),
        Access::Further(0.0),
        Access::Nowhere,
    ]
    .into_iter()
    .map(|a| {
        let of_class = view.communes.iter().filter(|c| c.access == a.slug());
        LegendRow {
            slug: a.slug(),
            label: a.label(),
            communes: of_class.clone().count(),
            population: of_class.map(|c| u64::from(c.population)).sum(),
        }
    })
    .collect()
}

async fn page(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Query(asked): Query<TerritoryQuery>,
) -> Result<Response, PageError> {
    // The chooser is for accounts, as the figures are.
    state.app.check(
        viewer.actor(),
        &maillage_domain::policy::Action::ViewTerritory,
    )?;
    let (view, map, layer, error) = if asked.zone.trim().is_empty() {
        (None, Choropleth::default(), Layer::Access, None)
    } else {
        match state.app.territory_page(viewer.actor(), &asked).await {
            Ok(t) => (Some(t.view), t.map, t.layer, None),
            Err(e) if matches!(e.kind(), ErrorKind::Invalid | ErrorKind::TooLarge) => (
                None,
                Choropleth::default(),
                Layer::Access,
                Some(e.to_string()),
            ),
            Err(e) => return Err(e.into()),
        }
    };
    let legend = match &view {
        None => Vec::new(),
        Some(v) => legend_of(layer, &map, v),
    };
    let chosen = view.as_ref().map_or("", |v| v.help);
    let origins_chart = view
        .as_ref()
        .filter(|v| v.origins.enough())
        .map(|v| {
            crate::kit::charts::bars_svg(
                "provenance",
                "D'où viennent les personnes aidées",
                &[
                    ("Leur commune".to_string(), v.origins.own),
                    ("Une commune voisine".to_string(), v.origins.neighbouring),
                    ("Plus loin".to_string(), v.origins.further),
                ],
            )
        })
        .unwrap_or_default();
    let surveys = view
        .as_ref()
        .and_then(|v| v.surveys.as_ref())
        .map(|all| {
            all.iter()
                .map(|z| SurveyBlock {
                    id: z.id.clone(),
                    title: z.title.clone(),
                    kind: maillage_domain::surveys::SurveyKind::from_slug(&z.questionnaire)
                        .map_or("", |k| k.label()),
                    answers: z.answers,
                    places: z.places,
                    closes: chrono::NaiveDate::parse_from_str(&z.closes_on, "%Y-%m-%d")
                        .map(maillage_domain::french::date)
                        .unwrap_or_default(),
                    equipment_chart: if z.equipment.iter().any(|e| e.needed_by + e.given_by > 0) {
                        super::surveys::equipment_chart(&z.id, &z.equipment)
                    } else {
                        String::new()
                    },
                    equipment: z.equipment.clone(),
                    results: super::surveys::results_view(&z.id, &z.results),
                })
                .collect()
        })
        .unwrap_or_default();
    let without_help = TerritoryQuery {
        help: String::new(),
        ..asked.clone()
    };
    let invalid = error.is_some();
    let mut response = render(&TerritoryPage {
        chrome: Chrome::new("territoire", &viewer),
        zone: asked.zone.clone(),
        reach: if asked.reach.trim().is_empty() {
            (DEFAULT_REACH_KM as u32).to_string()
        } else {
            asked.reach.clone()
        },
        helps: (0..KINDS)
            .map(|k| {
                (
                    kind_slug(k),
                    kind_label(k),
                    kind_slug(k) == chosen || (chosen.is_empty() && k == 0),
                )
            })
            .collect(),
        error,
        legend,
        layers: Layer::ALL
            .into_iter()
            .map(|l| (l.slug(), l.label(), l == layer))
            .collect(),
        layer: layer.slug(),
        layer_label: layer.label(),
        may_import: state.app.may(
            viewer.actor(),
            &maillage_domain::policy::Action::ImportIndicators,
        ),
        view,
        map,
        query: asked.to_query_string(),
        query_without_help: without_help.to_query_string(),
        query_without_layer: TerritoryQuery {
            layer: String::new(),
            ..asked.clone()
        }
        .to_query_string(),
        table_rows: TABLE_ROWS,
        white_rows: WHITE_ROWS,
        origins_chart,
        surveys,
    });
    if invalid {
        *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

/// The territorial diagnosis as a PDF: heavy work, ten an hour per account and address.
async fn diagnosis(
    AxState(state): AxState<State>,
    viewer: Viewer,
    client: crate::auth::Client,
    Query(asked): Query<TerritoryQuery>,
) -> Result<Response, PageError> {
    state.app.check(
        viewer.actor(),
        &maillage_domain::policy::Action::ViewTerritory,
    )?;
    let who = viewer.actor().map_or("", |a| a.user_id.as_str());
    if !state
        .app
        .limits
        .heavy_per_client
        .try_acquire(&[client.key(), &format!("compte:{who}")])
        .await
    {
        return Err(maillage_app::AppError::TooMany(
            "dix diagnostics par heure au plus : réessayez plus tard".into(),
        )
        .into());
    }
    let d = state
        .app
        .territory_diagnosis(viewer.actor(), &asked)
        .await?;
    Ok(crate::kit::download::attachment(
        d.pdf,
        "application/pdf",
        &format!("diagnostic-territorial-{}.pdf", d.codes.join("-")),
    ))
}

/// Every commune of the zone with how its people reach the help asked, as CSV.
async fn csv(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Query(asked): Query<TerritoryQuery>,
) -> Result<Response, PageError> {
    let view = state.app.territory(viewer.actor(), &asked).await?;
    let bytes = communes_csv(&view)?;
    Ok(crate::kit::download::attachment(
        bytes,
        "text/csv; charset=utf-8",
        &format!("territoire-{}.csv", view.codes.join("-")),
    ))
}

#[derive(Template)]
#[template(path = "territory/indicators.html")]
struct IndicatorsPage {
    chrome: Chrome,
    report: Option<maillage_app::territory::fragility::IndicatorsReport>,
    file_name: String,
    source: String,
    error: Option<String>,
    columns: Vec<(&'static str, &'static str, bool)>,
    population_column: &'static str,
}

impl IndicatorsPage {
    /// The form, before any file.
    fn new(viewer: &Viewer) -> Self {
        IndicatorsPage {
            chrome: Chrome::new("territoire", viewer),
            report: None,
            file_name: String::new(),
            source: String::new(),
            error: None,
            columns: maillage_domain::fragility::Indicator::ALL
                .into_iter()
                .map(|i| (i.column(), i.label(), i.scores()))
                .collect(),
            population_column: maillage_domain::fragility::POPULATION_15_PLUS,
        }
    }
}

/// The import form of communes' indicators (coordinators).
async fn indicators_page(
    AxState(state): AxState<State>,
    viewer: Viewer,
) -> Result<Response, PageError> {
    state.app.check(
        viewer.actor(),
        &maillage_domain::policy::Action::ImportIndicators,
    )?;
    Ok(render(&IndicatorsPage::new(&viewer)))
}

/// The form beside the file: where the figures come from, and `partiel=oui` to import the
/// valid rows when others are not.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct IndicatorsAsked {
    source: String,
    #[serde(rename = "partiel")]
    partial: bool,
}

async fn indicators_upload(
    AxState(state): AxState<State>,
    viewer: Viewer,
    multipart: axum::extract::Multipart,
) -> Result<Response, PageError> {
    state.app.check(
        viewer.actor(),
        &maillage_domain::policy::Action::ImportIndicators,
    )?;
    let form =
        crate::upload::read_form(multipart, maillage_app::limits::INDICATORS_IMPORT_BYTES).await?;
    let asked: IndicatorsAsked = form.typed()?;
    let (file_name, bytes) = match form.file {
        Some(file) if file.name.is_empty() => ("fichier".to_string(), file.content),
        Some(file) => (file.name, file.content),
        None => ("fichier".to_string(), Vec::new()),
    };
    let (report, error) = match state
        .app
        .import_indicators(
            viewer.actor(),
            bytes,
            &file_name,
            &asked.source,
            asked.partial,
        )
        .await
    {
        Ok(r) => (Some(r), None),
        Err(maillage_app::AppError::Invalid(m)) => (None, Some(m)),
        Err(e) => return Err(e.into()),
    };
    let refused = error.is_some() || report.as_ref().is_some_and(|r| r.imported == 0);
    let mut response = render(&IndicatorsPage {
        report,
        file_name,
        source: asked.source,
        error,
        ..IndicatorsPage::new(&viewer)
    });
    if refused {
        *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    /// The page's style sheet and the PDF's drawings give each class the same colour.
    #[test]
    fn the_style_sheet_has_the_colours_of_the_pdf() {
        let css = include_str!("../../static/maillage.css");
        for (class, fill) in maillage_app::territory::map::FILLS {
            assert!(
                css.contains(&format!(".{class} {{ fill: {fill}; background: {fill}; }}")),
                "classe {class} : {fill} absent de maillage.css"
            );
        }
    }
}
