//! The coordinator's page of the directory's quality: indicators and the pages to check first.

use askama::Template;
use axum::Router;
use axum::extract::State as AxState;
use axum::response::Response;
use axum::routing::get;

use super::{Chrome, render};
use crate::PageError;
use crate::State;
use crate::auth::Viewer;

pub fn routes() -> Router<State> {
    Router::new().route("/qualite", get(quality))
}

struct Row {
    id: String,
    name: String,
    commune: String,
    updated_on: String,
    freshness: &'static str,
    stale: bool,
    completeness: u8,
    missing: String,
    invalid_hours: bool,
}

#[derive(Template)]
#[template(path = "directory/quality.html")]
struct QualityPage {
    chrome: Chrome,
    summary: maillage_domain::freshness::QualitySummary,
    rows: Vec<Row>,
    total_to_check: usize,
    /// (id, name, commune) of places whose referent never answered a campaign.
    never_answered: Vec<(String, String, String)>,
}

async fn quality(AxState(state): AxState<State>, viewer: Viewer) -> Result<Response, PageError> {
    let report = state.app.quality_report(viewer.actor()).await?;
    let rows = report
        .to_check
        .iter()
        .take(200)
        .map(|q| Row {
            id: q.place.place.id.clone(),
            name: q.place.place.name.clone(),
            commune: q.place.place.commune.clone(),
            updated_on: q.place.place.updated_on.format("%d/%m/%Y").to_string(),
            freshness: q.freshness.label(),
            stale: q.freshness == maillage_domain::freshness::Freshness::Stale,
            completeness: q.completeness.score,
            missing: q.completeness.missing.join(", "),
            invalid_hours: q.invalid_hours,
        })
        .collect();
    Ok(render(&QualityPage {
        chrome: Chrome::new("qualite", &viewer),
        summary: report.summary,
        total_to_check: report.to_check.len(),
        never_answered: report
            .never_answered
            .iter()
            .map(|p| {
                (
                    p.place.id.clone(),
                    p.place.name.clone(),
                    p.place.commune.clone(),
                )
            })
            .collect(),
        rows,
    }))
}
