//! The map of search results: the same filters as the list, the places as markers in clusters,
//! and the list beside it — which is also what remains when the map cannot load. Front-end
//! libraries come from npm (Leaflet, Leaflet.markercluster), served from `node_modules`.

use std::path::PathBuf;
use std::sync::OnceLock;

use askama::Template;
use axum::Router;
use axum::extract::{Path, State as AxState};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::{Chrome, render};
use crate::PageError;
use crate::State;
use crate::auth::Viewer;
use crate::kit::input::Query;
use maillage_app::directory::PlaceQuery;

pub fn routes() -> Router<State> {
    Router::new()
        .route("/carte", get(map))
        .route("/static/carte.js", get(crate::assets::map_script))
        .route("/static/vendor/{file}", get(vendor))
}

/// Most places drawn on one map.
const MAX_MARKERS: usize = 5_000;

struct Row {
    id: String,
    name: String,
    address: String,
    commune: String,
}

#[derive(Template)]
#[template(path = "directory/map.html")]
struct MapPage {
    chrome: Chrome,
    total: usize,
    rows: Vec<Row>,
    without_position: usize,
    /// JSON of the markers, safe inside a `<script type="application/json">` element.
    data: String,
    tiles: String,
    query_string: String,
    errors: Vec<String>,
    truncated: bool,
    /// Signed-in viewers may lay a territory's layer under the places.
    may_layer: bool,
    layer: LayerAsked,
    layers: Vec<(&'static str, &'static str)>,
    /// The layer's communes as GeoJSON (safe inside its `<script>` element), its legend, or
    /// why it is not drawn.
    layer_data: String,
    layer_title: String,
    legend: Vec<crate::pages::territory::LegendRow>,
    layer_error: Option<String>,
}

/// A territory's layer under the places (issue #20): what it colours and where, as on the
/// territory's page.
#[derive(serde::Deserialize, Default, Clone)]
#[serde(default)]
struct LayerAsked {
    /// `acces`, `fragilite`, `besoins` (empty: no layer).
    couche: String,
    zone: String,
    portee: String,
    aide: String,
}

/// JSON that cannot close its `<script>` element nor start markup.
fn script_safe_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value)
        .unwrap_or_else(|_| "[]".into())
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// A place on the map, as the map's script reads it.
#[derive(serde::Serialize)]
struct Marker<'a> {
    id: &'a str,
    nom: &'a str,
    adresse: String,
    lat: f64,
    lon: f64,
}

async fn map(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Query(asked): Query<PlaceQuery>,
    Query(layer): Query<LayerAsked>,
) -> Result<Response, PageError> {
    let may_layer = state.app.may(
        viewer.actor(),
        &maillage_domain::policy::Action::ViewTerritory,
    );
    let (mut layer_data, mut layer_title, mut legend, mut layer_error) =
        (String::new(), String::new(), Vec::new(), None);
    if may_layer && !layer.couche.is_empty() && !layer.zone.trim().is_empty() {
        let q = maillage_app::territory::TerritoryQuery {
            zone: layer.zone.clone(),
            reach: layer.portee.clone(),
            help: layer.aide.clone(),
            layer: layer.couche.clone(),
        };
        match state.app.territory_layer(viewer.actor(), &q).await {
            Ok((t, json)) => {
                legend = crate::pages::territory::legend_of(t.layer, &t.map, &t.view);
                layer_title = format!("{} — {}", t.layer.label(), t.view.zone);
                layer_data = script_safe_json(&json);
            }
            Err(e)
                if matches!(
                    e.kind(),
                    maillage_app::ErrorKind::Invalid | maillage_app::ErrorKind::TooLarge
                ) =>
            {
                layer_error = Some(e.to_string())
            }
            Err(e) => return Err(e.into()),
        }
    }
    let mut p = state.app.place_search(&asked);
    p.query.offset = 0;
    p.query.limit = MAX_MARKERS;
    let results = state.app.search_places(&p.query).await?;
    let found = results.places;
    let mut markers = Vec::new();
    let mut rows = Vec::new();
    let mut without_position = 0;
    for (_, stored) in &found {
        let place = &stored.place;
        match place.location {
            Some(l) => markers.push(Marker {
                id: &place.id,
                nom: &place.name,
                adresse: format!("{}, {} {}", place.address, place.postcode, place.commune),
                lat: l.lat,
                lon: l.lon,
            }),
            None => without_position += 1,
        }
        rows.push(Row {
            id: place.id.clone(),
            name: place.name.clone(),
            address: place.address.clone(),
            commune: format!("{} {}", place.postcode, place.commune),
        });
    }
    let tiles = state.config.tiles_url.clone().unwrap_or_default();
    let mut response = render(&MapPage {
        chrome: Chrome::new("recherche", &viewer),
        total: results.total,
        truncated: results.total > rows.len(),
        rows,
        without_position,
        data: script_safe_json(&markers),
        tiles: tiles.clone(),
        query_string: p.query_string,
        errors: p.errors,
        may_layer,
        layers: maillage_app::territory::Layer::ALL
            .into_iter()
            .map(|l| (l.slug(), l.label()))
            .collect(),
        layer,
        layer_data,
        layer_title,
        legend,
        layer_error,
    });
    // This page alone runs scripts (its own and the map library), and shows tiles.
    let tile_origin = tile_origin(&tiles);
    let csp = format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:{tile_origin}; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    );
    if let Ok(v) = HeaderValue::from_str(&csp) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, v);
    }
    Ok(response)
}

/// ` https://host` of a tile URL template (empty when none or unreadable).
fn tile_origin(tiles: &str) -> String {
    let Some((scheme, rest)) = tiles.split_once("://") else {
        return String::new();
    };
    let host: String = rest
        .chars()
        .take_while(|c| *c != '/')
        .map(|c| if c == '{' || c == '}' { '*' } else { c })
        .collect();
    if (scheme == "https" || scheme == "http")
        && !host.is_empty()
        && !host.contains(['\'', ';', ' '])
    {
        // A `{s}` subdomain template becomes a wildcard.
        let host = host.replace("*s*", "*");
        format!(" {scheme}://{host}")
    } else {
        String::new()
    }
}

/// The files of the map libraries (name, place in `node_modules`, media type, contents),
/// built into the binary from the npm packages installed by the set-up (`build.rs`).
mod vendored {
    include!(concat!(env!("OUT_DIR"), "/vendor.rs"));
}
use vendored::VENDOR;

/// `node_modules` found upwards from the working directory (or `MAILLAGE_ASSETS`).
fn node_modules() -> Option<&'static PathBuf> {
    static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    DIR.get_or_init(|| {
        if let Ok(dir) = std::env::var("MAILLAGE_ASSETS") {
            return Some(PathBuf::from(dir));
        }
        let start = std::env::current_dir().ok()?;
        start
            .ancestors()
            .map(|d| d.join("node_modules"))
            .find(|d| d.join("leaflet/dist/leaflet.js").exists())
    })
    .as_ref()
}

async fn vendor(Path(file): Path<String>) -> Response {
    let Some((_, path, mime, embedded)) = VENDOR.iter().find(|(name, ..)| *name == file) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let bytes = match embedded {
        Some(bytes) => bytes.to_vec(),
        // A build made before `npm ci`: the packages found on disk.
        None => match node_modules() {
            Some(dir) => match tokio::fs::read(dir.join(path)).await {
                Ok(bytes) => bytes,
                Err(_) => return StatusCode::NOT_FOUND.into_response(),
            },
            None => return StatusCode::NOT_FOUND.into_response(),
        },
    };
    (
        [
            (header::CONTENT_TYPE, *mime),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        bytes,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_cannot_close_its_script_element() {
        let v = serde_json::json!({"nom": "</script><script>alert(1)</script> & co"});
        let s = script_safe_json(&v);
        assert!(!s.contains('<') && !s.contains('>') && !s.contains('&'));
        let back: serde_json::Value = serde_json::from_str(&s).expect("JSON");
        assert_eq!(back, v);
    }

    #[test]
    fn tile_origins_for_the_policy() {
        assert_eq!(
            tile_origin(crate::DEFAULT_TILES_URL),
            " https://tile.openstreetmap.org"
        );
        assert_eq!(
            tile_origin("https://{s}.tile.example.fr/{z}/{x}/{y}.png"),
            " https://*.tile.example.fr"
        );
        assert_eq!(tile_origin(""), "");
        assert_eq!(tile_origin("javascript:alert(1)"), "");
        assert_eq!(tile_origin("https://a.fr;script-src *"), "");
    }
}
