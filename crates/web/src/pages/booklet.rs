//! The booklet page: choose a zone (communes, intercommunalities, départements, by name or
//! code), get the PDF through the job page.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::State as AxState;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use super::{Chrome, render};
use crate::PageError;
use crate::State;
use crate::auth::Viewer;
use maillage_app::AppError;
use maillage_app::booklet::BookletForm;
use maillage_app::jobs::Outcome;

use crate::kit::input::{Form, Query};

pub fn routes() -> Router<State> {
    Router::new().route("/livret", get(form).post(start))
}

#[derive(Template)]
#[template(path = "directory/booklet.html")]
struct BookletPage {
    chrome: Chrome,
    zone: String,
    title: String,
    error: Option<String>,
    default_title: &'static str,
}

async fn form(viewer: Viewer, Query(asked): Query<BookletForm>) -> Response {
    render(&BookletPage {
        chrome: Chrome::new("livret", &viewer),
        zone: asked.zone,
        title: String::new(),
        error: None,
        default_title: maillage_booklet::DEFAULT_TITLE,
    })
}

async fn start(
    AxState(state): AxState<State>,
    viewer: Viewer,
    client: crate::auth::Client,
    Form(form): Form<BookletForm>,
) -> Result<Response, PageError> {
    let zone_input = form.zone;
    let title: String = form.title.chars().take(120).collect();
    let refused = |status: StatusCode, message: String| {
        let mut r = render(&BookletPage {
            chrome: Chrome::new("livret", &viewer),
            zone: zone_input
                .chars()
                .take(maillage_app::booklet::MAX_ZONE_INPUT)
                .collect(),
            title: title.clone(),
            error: Some(message),
            default_title: maillage_booklet::DEFAULT_TITLE,
        });
        *r.status_mut() = status;
        r
    };
    let plan = match state.app.plan_zone_input(&zone_input).await {
        Ok((plan, false)) => {
            return Ok(refused(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("aucun lieu de l'annuaire dans « {} »", plan.label),
            ));
        }
        Ok((plan, true)) => plan,
        Err(e @ (AppError::Invalid(_) | AppError::TooLarge(_))) => {
            return Ok(refused(crate::status_of(e.kind()), e.to_string()));
        }
        Err(e) => return Err(e.into()),
    };
    // Whose slot: the signed-in user's, or the anonymous client's (a pool of its own, and a
    // few booklets an hour per client).
    let slot = match &viewer.user {
        Some(u) => maillage_app::jobs::Slot::User(u.id.clone()),
        None => maillage_app::jobs::Slot::Anonymous(client.key().to_string()),
    };
    let key = format!("livret|{}|{}", plan.key, title.trim());
    let app = state.app.clone();
    let cover_title = title.clone();
    let file_name = format!(
        "livret-{}.pdf",
        maillage_domain::text::fold(&plan.label)
            .split_whitespace()
            .take(6)
            .collect::<Vec<_>>()
            .join("-")
    );
    let limits = state.limits.clone();
    let anonymous = viewer.user.is_none();
    let job = state
        .app
        .jobs
        .start_admitted(
            format!("Livret : {}", plan.label),
            None,
            slot,
            Some(key),
            move |job| async move {
                let progress: Arc<dyn maillage_domain::progress::Progress + Send> = job.clone();
                let zone = match app.zone_places(&plan).await {
                    Ok(zone) => zone,
                    Err(e) => return Outcome::Failed(e.public_message()),
                };
                match app.booklet_pdf(zone, Some(&cover_title), progress).await {
                    Ok(b) => Outcome::File {
                        name: file_name,
                        content_type: "application/pdf".into(),
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
            // Counted only when a new booklet is really started (a shared one costs nothing).
            async move { !anonymous || limits.heavy_per_client.try_acquire(&[client.key()]).await },
        )
        .await;
    match job {
        Ok(id) => Ok(Redirect::to(&format!("/taches/{id}")).into_response()),
        Err(e @ (AppError::Invalid(_) | AppError::TooMany(_))) => {
            Ok(refused(crate::status_of(e.kind()), e.to_string()))
        }
        Err(e) => Err(e.into()),
    }
}
