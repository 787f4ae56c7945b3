//! Pages of the sources pulled on schedule (issue #21): the list and the form that registers
//! one (those who import places: coordinators, administrators), a source with its runs — what
//! each changed, its report —, « fetch now » and « remove ».

use askama::Template;
use axum::Router;
use axum::extract::{Path, State as AxState};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maillage_app::AppError;
use maillage_app::sources::{FORMATS, FREQUENCIES, SourceForm, SourceView};

use super::{Chrome, date_of, render};
use crate::PageError;
use crate::State;
use crate::auth::Viewer;
use crate::kit::input::Form;

pub fn routes() -> Router<State> {
    Router::new()
        .route("/sources", get(list).post(register))
        .route("/sources/{id}", get(detail))
        .route("/sources/{id}/lancer", post(run_now))
        .route("/sources/{id}/supprimer", post(remove))
}

/// A source's line in the list.
struct Row {
    id: String,
    name: String,
    url: String,
    format: &'static str,
    frequency: &'static str,
    last: String,
}

/// A run as the page shows it.
struct RunRow {
    started: String,
    outcome: &'static str,
    summary: String,
    changes: Vec<String>,
    report: String,
}

fn outcome_words(outcome: &str) -> &'static str {
    match outcome {
        "importe" => "importé",
        "inchange" => "rien de changé",
        "refuse" => "refusé (tout ou rien)",
        "erreur" => "échec",
        _ => "en cours",
    }
}

fn last_run(view: &SourceView) -> String {
    view.runs
        .first()
        .map(|r| {
            format!(
                "{} : {} — {}",
                date_of(&r.started_at),
                outcome_words(&r.outcome),
                r.summary
            )
        })
        .unwrap_or_else(|| "pas encore moissonnée (au plus tard dans l'heure)".into())
}

#[derive(Template)]
#[template(path = "directory/sources.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<Row>,
    form: SourceForm,
    error: Option<String>,
    formats: Vec<(&'static str, &'static str)>,
    frequencies: Vec<(String, &'static str)>,
}

async fn list_page(
    state: &State,
    viewer: &Viewer,
    form: SourceForm,
    error: Option<String>,
) -> Result<Response, PageError> {
    let rows = state
        .app
        .sources(viewer.actor())
        .await?
        .iter()
        .map(|v| Row {
            id: v.source.id.clone(),
            name: v.source.name.clone(),
            url: v.source.url.clone(),
            format: v.format,
            frequency: v.frequency,
            last: last_run(v),
        })
        .collect();
    let form = SourceForm {
        format: if form.format.is_empty() {
            "standard".into()
        } else {
            form.format
        },
        frequence: if form.frequence.is_empty() {
            "24".into()
        } else {
            form.frequence
        },
        ..form
    };
    let mut r = render(&ListPage {
        chrome: Chrome::new("import", viewer),
        rows,
        form,
        error: error.clone(),
        formats: FORMATS.to_vec(),
        frequencies: FREQUENCIES
            .iter()
            .map(|(h, w)| (h.to_string(), *w))
            .collect(),
    });
    if error.is_some() {
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

async fn list(AxState(state): AxState<State>, viewer: Viewer) -> Result<Response, PageError> {
    list_page(&state, &viewer, SourceForm::default(), None).await
}

async fn register(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Form(form): Form<SourceForm>,
) -> Result<Response, PageError> {
    match state.app.register_source(viewer.actor(), &form).await {
        Ok(id) => Ok(Redirect::to(&format!("/sources/{id}")).into_response()),
        Err(AppError::Invalid(reason)) => list_page(&state, &viewer, form, Some(reason)).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "directory/source.html")]
struct DetailPage {
    chrome: Chrome,
    id: String,
    name: String,
    url: String,
    format: &'static str,
    frequency: &'static str,
    skip_invalid: bool,
    next: String,
    runs: Vec<RunRow>,
    notice: Option<&'static str>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Done {
    fait: String,
}

async fn detail(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
    crate::kit::input::Query(done): crate::kit::input::Query<Done>,
) -> Result<Response, PageError> {
    let v = state.app.source_view(viewer.actor(), &id).await?;
    let runs = v
        .runs
        .iter()
        .map(|r| RunRow {
            started: chrono::DateTime::parse_from_rfc3339(&r.started_at)
                .map(|d| {
                    d.with_timezone(&chrono::Local)
                        .format("%d/%m/%Y à %H:%M")
                        .to_string()
                })
                .unwrap_or_default(),
            outcome: outcome_words(&r.outcome),
            summary: r.summary.clone(),
            changes: r.changes.lines().map(str::to_string).collect(),
            report: r.report.clone(),
        })
        .collect();
    Ok(render(&DetailPage {
        chrome: Chrome::new("import", &viewer),
        id: v.source.id.clone(),
        name: v.source.name.clone(),
        url: v.source.url.clone(),
        format: v.format,
        frequency: v.frequency,
        skip_invalid: v.source.skip_invalid,
        next: chrono::DateTime::parse_from_rfc3339(&v.source.next_run_at)
            .map(|d| {
                d.with_timezone(&chrono::Local)
                    .format("%d/%m/%Y à %H:%M")
                    .to_string()
            })
            .unwrap_or_default(),
        runs,
        notice: (done.fait == "lancee")
            .then_some("Moisson lancée : rechargez la page dans un instant pour voir son rapport."),
    }))
}

/// Fetches the source now, in the background; the page shows the run when it ends.
async fn run_now(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Redirect, PageError> {
    state.app.run_source_soon(viewer.actor(), &id).await?;
    let app = state.app.clone();
    tokio::spawn(async move {
        if let Err(e) = app.run_due_sources(chrono::Utc::now()).await {
            tracing::warn!("moisson lancée à la main : {e}");
        }
    });
    Ok(Redirect::to(&format!("/sources/{id}?fait=lancee")))
}

async fn remove(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Redirect, PageError> {
    state.app.delete_source(viewer.actor(), &id).await?;
    Ok(Redirect::to("/sources"))
}
