//! Pages of error reports: the form on a place (anyone), the list to resolve (members and
//! coordinators).

use askama::Template;
use axum::Router;
use axum::extract::{Path, State as AxState};
use axum::response::{Redirect, Response};
use axum::routing::{get, post};
use maillage_domain::vocab::{ReportCategory, Vocabulary};

use super::{Chrome, render};
use crate::PageError;
use crate::State;
use crate::auth::Viewer;
use crate::kit::input::{Form, Query};
use maillage_app::reports::{ReportForm, ReportRefused, Resolution};

/// `?envoye=1` after a report was sent; `?fait=1` after one was resolved.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Notice {
    envoye: bool,
    fait: bool,
}

pub fn routes() -> Router<State> {
    Router::new()
        .route("/lieux/{id}/signaler", get(form).post(submit))
        .route("/signalements", get(list))
        .route("/signalements/{id}/traiter", post(resolve))
}

#[derive(Template)]
#[template(path = "directory/report_form.html")]
struct FormPage {
    chrome: Chrome,
    place_id: String,
    place_name: String,
    categories: Vec<(&'static str, &'static str, bool)>,
    message: String,
    email: String,
    errors: Vec<(&'static str, String)>,
    sent: bool,
}

impl FormPage {
    fn error_of(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, r)| r.as_str())
    }
}

fn categories(chosen: &str) -> Vec<(&'static str, &'static str, bool)> {
    ReportCategory::ALL
        .iter()
        .map(|c| (c.slug(), c.label(), c.slug() == chosen))
        .collect()
}

async fn form(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(notice): Query<Notice>,
) -> Result<Response, PageError> {
    let place = state.app.place(&id).await?;
    Ok(render(&FormPage {
        chrome: Chrome::new("", &viewer),
        place_id: place.place.id,
        place_name: place.place.name,
        categories: categories(""),
        message: String::new(),
        email: String::new(),
        errors: Vec::new(),
        sent: notice.envoye,
    }))
}

async fn submit(
    AxState(state): AxState<State>,
    viewer: Viewer,
    client: crate::auth::Client,
    Path(id): Path<String>,
    Form(form): Form<ReportForm>,
) -> Result<Response, PageError> {
    let ReportForm {
        category,
        message,
        email,
    } = form;
    match state
        .app
        .report_error(client.key(), &id, &category, &message, &email)
        .await
    {
        Ok(_) => Ok(axum::response::IntoResponse::into_response(Redirect::to(
            &format!("/lieux/{id}/signaler?envoye=1"),
        ))),
        Err(ReportRefused::App(e)) => Err(e.into()),
        Err(ReportRefused::Invalid(errors)) => {
            let place = state.app.place(&id).await?;
            let mut response = render(&FormPage {
                chrome: Chrome::new("", &viewer),
                place_id: place.place.id,
                place_name: place.place.name,
                categories: categories(&category),
                message,
                email,
                errors,
                sent: false,
            });
            *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
    }
}

struct ReportRow {
    id: String,
    place_id: String,
    place_name: String,
    commune: String,
    category: &'static str,
    message: String,
    created: String,
    wants_answer: bool,
}

#[derive(Template)]
#[template(path = "directory/reports.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<ReportRow>,
    done: bool,
}

async fn list(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Query(notice): Query<Notice>,
) -> Result<Response, PageError> {
    let rows = state
        .app
        .open_reports_for(viewer.actor())
        .await?
        .into_iter()
        .map(|(r, p)| ReportRow {
            id: r.id,
            place_id: p.place.id,
            place_name: p.place.name,
            commune: p.place.commune,
            category: r.category.label(),
            message: r.message,
            created: r.created_at.get(..10).unwrap_or_default().to_string(),
            wants_answer: r.reporter_email.is_some(),
        })
        .collect();
    Ok(render(&ListPage {
        chrome: Chrome::new("signalements", &viewer),
        rows,
        done: notice.fait,
    }))
}

async fn resolve(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(resolution): Form<Resolution>,
) -> Result<Redirect, PageError> {
    state
        .app
        .resolve_report(viewer.actor(), &id, &resolution.outcome)
        .await?;
    Ok(Redirect::to("/signalements?fait=1"))
}
