//! The booklet page: choose a zone (communes, intercommunalities, départements, by name or
//! code), get the PDF through the job page.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State as AxState};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use super::{Chrome, field, form_pairs, render};
use crate::State;
use crate::app::AppError;
use crate::auth::Viewer;
use crate::jobs::Outcome;

pub fn routes() -> Router<State> {
    Router::new().route("/livret", get(form).post(start))
}

#[derive(Template)]
#[template(path = "booklet.html")]
struct BookletPage {
    chrome: Chrome,
    zone: String,
    title: String,
    error: Option<String>,
    default_title: &'static str,
}

async fn form(viewer: Viewer, RawQuery(query): RawQuery) -> Response {
    let pairs: Vec<(String, String)> = crate::filters::pairs(query.as_deref());
    render(&BookletPage {
        chrome: Chrome::new("livret", &viewer),
        zone: field(&pairs, "zone"),
        title: String::new(),
        error: None,
        default_title: maillage_booklet::DEFAULT_TITLE,
    })
}

async fn start(
    AxState(state): AxState<State>,
    viewer: Viewer,
    body: Bytes,
) -> Result<Response, AppError> {
    let pairs = form_pairs(&body);
    let (zone_input, title) = (field(&pairs, "zone"), field(&pairs, "titre"));
    let refused = |message: String| {
        let mut r = render(&BookletPage {
            chrome: Chrome::new("livret", &viewer),
            zone: zone_input.clone(),
            title: title.clone(),
            error: Some(message),
            default_title: maillage_booklet::DEFAULT_TITLE,
        });
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        r
    };
    let zone = match state.app.resolve_zone_input(&zone_input) {
        Ok(codes) => match state.app.booklet_zone(&codes).await {
            Ok(zone) if zone.places.is_empty() => {
                return Ok(refused(format!(
                    "aucun lieu de l'annuaire dans « {} »",
                    zone.label
                )));
            }
            Ok(zone) => zone,
            Err(AppError::Invalid(m)) => return Ok(refused(m)),
            Err(e) => return Err(e),
        },
        Err(AppError::Invalid(m)) => return Ok(refused(m)),
        Err(e) => return Err(e),
    };
    let app = state.app.clone();
    let cover_title = title.clone();
    let file_name = format!(
        "livret-{}.pdf",
        maillage_domain::text::fold(&zone.label)
            .split_whitespace()
            .take(6)
            .collect::<Vec<_>>()
            .join("-")
    );
    let job = state.app.jobs.start(
        format!("Livret : {}", zone.label),
        None,
        move |job| async move {
            let progress: Arc<dyn maillage_domain::progress::Progress + Send> = job.clone();
            match app.booklet_pdf(zone, Some(&cover_title), progress).await {
                Ok(b) => Outcome::File {
                    name: file_name,
                    content_type: "application/pdf",
                    summary: format!(
                        "Le livret compte {} lieu(x) sur {} pages (PDF, {} Ko).",
                        b.places,
                        b.pages,
                        b.pdf.len().div_ceil(1024)
                    ),
                    bytes: Arc::new(b.pdf),
                },
                Err(_) if maillage_domain::progress::Progress::interrupted(job.as_ref()) => {
                    Outcome::Interrupted
                }
                Err(e) => Outcome::Failed(e.public_message()),
            }
        },
    );
    match job {
        Ok(job) => Ok(Redirect::to(&format!("/taches/{}", job.id)).into_response()),
        Err(AppError::Invalid(m)) => Ok(refused(m)),
        Err(e) => Err(e),
    }
}
