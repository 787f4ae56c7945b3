//! Pages of the review of duplicates (coordinators): the queue, merges, "not a duplicate",
//! the history of merges with undo.

use askama::Template;
use axum::Router;
use axum::extract::State as AxState;
use axum::response::{Redirect, Response};
use axum::routing::{get, post};
use maillage_domain::Vocabulary;
use maillage_domain::duplicates::DedupSettings;

use super::{Chrome, render};
use crate::PageError;
use crate::State;
use crate::auth::Viewer;
use crate::kit::input::{Form, Query};
use maillage_app::duplicates::DuplicatePair;

pub fn routes() -> Router<State> {
    Router::new()
        .route("/doublons", get(queue))
        .route("/doublons/fusion", post(merge))
        .route("/doublons/pas-doublon", post(not_duplicate))
        .route("/doublons/annuler", post(undo))
}

/// One side of a pair, as shown.
struct Side {
    id: String,
    name: String,
    address: String,
    commune: String,
    source: String,
    updated_on: String,
    services: String,
    phone: String,
}

struct PairView {
    a: Side,
    b: Side,
    score: String,
    certain: bool,
    name: String,
    address: String,
    distance: String,
    vetoes: Vec<&'static str>,
    /// Two sources at one address: raised to review whatever the names.
    same_address: bool,
}

struct MergeView {
    id: String,
    kept_id: String,
    at: String,
    names: String,
    undone: bool,
}

#[derive(Template)]
#[template(path = "directory/duplicates.html")]
struct QueuePage {
    chrome: Chrome,
    message: Option<&'static str>,
    pairs: Vec<PairView>,
    vetoed: Vec<PairView>,
    merges: Vec<MergeView>,
    certain: f64,
    review: f64,
    /// Records of the same source compared too.
    same_source: bool,
}

fn side(s: &maillage_app::StoredPlace) -> Side {
    let p = &s.place;
    Side {
        id: p.id.clone(),
        name: p.name.clone(),
        address: p.address.clone(),
        commune: format!("{} {}", p.postcode, p.commune),
        source: p
            .source
            .clone()
            .or_else(|| s.source.clone())
            .unwrap_or_else(|| "—".into()),
        updated_on: p.updated_on.format("%d/%m/%Y").to_string(),
        services: p
            .services
            .iter()
            .map(|v| v.label())
            .collect::<Vec<_>>()
            .join(", "),
        phone: p
            .phone
            .as_deref()
            .map(maillage_domain::fields::phone_national)
            .unwrap_or_default(),
    }
}

fn view(pair: &DuplicatePair, settings: &DedupSettings) -> PairView {
    let c = &pair.comparison;
    PairView {
        a: side(&pair.a),
        b: side(&pair.b),
        score: format!("{:.0}", c.score),
        certain: c.score >= settings.certain,
        name: format!("{:.0}", c.scores.name),
        address: c
            .scores
            .address
            .map_or("non comparable (adresse absente)".into(), |v| {
                format!("{v:.0}")
            }),
        distance: match (c.scores.distance, c.scores.distance_m) {
            (Some(score), Some(m)) if m < 1000.0 => format!("{score:.0} (à {m:.0} m)"),
            (Some(score), Some(m)) => format!("{score:.0} (à {:.1} km)", m / 1000.0),
            _ => "non comparable (coordonnées absentes)".into(),
        },
        vetoes: c.vetoes.iter().map(|v| v.label()).collect(),
        same_address: c.scores.same_address,
    }
}

async fn queue(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Query(shown): Query<QueueQuery>,
) -> Result<Response, PageError> {
    // Records of one source are compared with each other only when asked (the shared rule).
    let same_source = shown.same_source;
    let settings = DedupSettings {
        same_source,
        ..DedupSettings::default()
    };
    let q = state.app.review_queue(viewer.actor(), &settings).await?;
    let merges = state
        .app
        .merge_history(viewer.actor())
        .await?
        .into_iter()
        .map(|m| MergeView {
            id: m.id,
            kept_id: m.kept_id,
            at: m
                .merged_at
                .replace('T', " à ")
                .trim_end_matches('Z')
                .to_string(),
            names: m.names.join(" + "),
            undone: m.undone_at.is_some(),
        })
        .collect();
    let message = match shown.done.as_str() {
        "fusion" => Some("Fusion faite. Elle peut être annulée depuis l'historique."),
        "distincts" => Some("C'est noté : ces deux lieux ne seront plus proposés."),
        "annulation" => Some("Fusion annulée : les lieux sont revenus comme avant."),
        _ => None,
    };
    Ok(render(&QueuePage {
        chrome: Chrome::new("doublons", &viewer),
        message,
        pairs: q
            .pairs
            .iter()
            .take(100)
            .map(|p| view(p, &q.settings))
            .collect(),
        vetoed: q
            .vetoed
            .iter()
            .take(50)
            .map(|p| view(p, &q.settings))
            .collect(),
        merges,
        certain: q.settings.certain,
        review: q.settings.review,
        same_source,
    }))
}

/// The queue's query: what was just done, and whether records of one source are compared.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct QueueQuery {
    #[serde(rename = "fait")]
    done: String,
    #[serde(rename = "meme_source")]
    same_source: bool,
}

/// A decision on a pair (`a`, `b`, the record kept), or on a merge to undo (`fusion`); the
/// queue's comparison setting comes back with it.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Decision {
    a: String,
    b: String,
    #[serde(rename = "garder")]
    keep: String,
    #[serde(rename = "fusion")]
    merge: String,
    #[serde(rename = "meme_source")]
    same_source: bool,
}

/// Back to the queue, with what was done and the same comparison setting.
fn back_to_queue(decision: &Decision, done: &str) -> Redirect {
    let same_source = if decision.same_source {
        "&meme_source=1"
    } else {
        ""
    };
    Redirect::to(&format!("/doublons?fait={done}{same_source}"))
}

async fn merge(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Form(d): Form<Decision>,
) -> Result<Redirect, PageError> {
    state
        .app
        .merge_duplicates(viewer.actor(), &[d.a.clone(), d.b.clone()], &d.keep)
        .await?;
    Ok(back_to_queue(&d, "fusion"))
}

async fn not_duplicate(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Form(d): Form<Decision>,
) -> Result<Redirect, PageError> {
    state
        .app
        .mark_not_duplicate(viewer.actor(), &d.a, &d.b)
        .await?;
    Ok(back_to_queue(&d, "distincts"))
}

async fn undo(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Form(d): Form<Decision>,
) -> Result<Redirect, PageError> {
    state.app.undo_merge(viewer.actor(), &d.merge).await?;
    Ok(back_to_queue(&d, "annulation"))
}
