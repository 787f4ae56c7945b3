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
use maillage_app::territory::{TerritoryQuery, TerritoryView, communes_csv};
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
}

/// Communes listed one by one on the page at most; beyond, the CSV has them all.
const TABLE_ROWS: usize = 500;
/// « Zones blanches » listed on the page at most.
const WHITE_ROWS: usize = 100;

/// A class of the map's legend, with its table row.
struct LegendRow {
    slug: &'static str,
    label: &'static str,
    communes: usize,
    population: u64,
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
    table_rows: usize,
    white_rows: usize,
    /// The origins' bars (SVG), when there are enough people to show shares.
    origins_chart: String,
}

impl TerritoryPage {
    fn number(&self, n: impl Figure) -> String {
        maillage_domain::french::number(n.value())
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
    let (view, map, error) = if asked.zone.trim().is_empty() {
        (None, Choropleth::default(), None)
    } else {
        match state.app.territory_page(viewer.actor(), &asked).await {
            Ok(t) => (Some(t.view), t.map, None),
            Err(e) if matches!(e.kind(), ErrorKind::Invalid | ErrorKind::TooLarge) => {
                (None, Choropleth::default(), Some(e.to_string()))
            }
            Err(e) => return Err(e.into()),
        }
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
        legend: view.as_ref().map(legend).unwrap_or_default(),
        view,
        map,
        query: asked.to_query_string(),
        query_without_help: without_help.to_query_string(),
        table_rows: TABLE_ROWS,
        white_rows: WHITE_ROWS,
        origins_chart,
    });
    if invalid {
        *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
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
