//! The page that follows long work: stage, count and elapsed time, a button to interrupt, then
//! the result (a file to download, or the page the work produced). No script: the page waits a
//! few seconds for the work to end before answering, and offers to look again.

use std::time::Duration;

use askama::Template;
use axum::Router;
use axum::extract::{Path, State as AxState};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use super::{Chrome, render};
use crate::PageError;
use crate::State;
use crate::auth::Viewer;
use maillage_app::AppError;
use maillage_app::jobs::Outcome;

/// How long a page waits for the work to end before showing its progress.
const WAIT: Duration = Duration::from_secs(4);

pub fn routes() -> Router<State> {
    Router::new()
        .route("/taches/{id}", get(job_page))
        .route("/taches/{id}/interrompre", post(interrupt))
        .route("/taches/{id}/fichier", get(download))
}

#[derive(Template)]
#[template(path = "job.html")]
struct JobPage {
    chrome: Chrome,
    id: String,
    title: String,
    stage: String,
    done: u64,
    total: Option<u64>,
    percent: u64,
    elapsed: u64,
    /// Finished: (heading, message, download link).
    finished: Option<(String, String, Option<String>)>,
    failed: bool,
}

fn viewer_id(viewer: &Viewer) -> Option<&str> {
    viewer.user.as_ref().map(|u| u.id.as_str())
}

async fn job_page(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let view = state
        .app
        .jobs
        .follow(&id, viewer_id(&viewer), WAIT)
        .await?
        .ok_or(AppError::NotFound)?;
    let s = view.snapshot;
    let (finished, failed) = match &s.outcome {
        None => (None, false),
        Some(Outcome::Page { html, status }) => {
            let mut r = Html(html.as_str().to_string()).into_response();
            *r.status_mut() = StatusCode::from_u16(*status).unwrap_or(StatusCode::OK);
            return Ok(r);
        }
        Some(Outcome::File { summary, .. }) => (
            Some((
                "C'est prêt".to_string(),
                summary.clone(),
                Some(format!("/taches/{id}/fichier")),
            )),
            false,
        ),
        Some(Outcome::Failed(reason)) => (Some(("Échec".to_string(), reason.clone(), None)), true),
        Some(Outcome::Interrupted) => (
            Some((
                "Interrompu".to_string(),
                "Le travail a été interrompu à votre demande : rien n'a été enregistré."
                    .to_string(),
                None,
            )),
            false,
        ),
    };
    let percent = match s.total {
        Some(t) if t > 0 => (s.done.min(t) * 100) / t,
        _ => 0,
    };
    let mut r = render(&JobPage {
        chrome: Chrome::new("", &viewer),
        id,
        title: view.title,
        stage: s.stage,
        done: s.done,
        total: s.total,
        percent,
        elapsed: s.elapsed.as_secs(),
        finished,
        failed,
    });
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if failed {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

async fn interrupt(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Redirect, PageError> {
    if !state.app.jobs.interrupt(&id, viewer_id(&viewer)).await? {
        return Err(AppError::NotFound.into());
    }
    Ok(Redirect::to(&format!("/taches/{id}")))
}

async fn download(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let view = state
        .app
        .jobs
        .follow(&id, viewer_id(&viewer), Duration::ZERO)
        .await?
        .ok_or(AppError::NotFound)?;
    match view.snapshot.outcome {
        Some(Outcome::File {
            name,
            content_type,
            bytes,
            ..
        }) => {
            let mut r = bytes.as_ref().clone().into_response();
            let h = r.headers_mut();
            if let Ok(v) = HeaderValue::from_str(&content_type) {
                h.insert(header::CONTENT_TYPE, v);
            }
            if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
                h.insert(header::CONTENT_DISPOSITION, v);
            }
            Ok(r)
        }
        _ => Err(AppError::NotFound.into()),
    }
}
