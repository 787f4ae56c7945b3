//! A person's requests about their data (issue #19): the structure's list with the deadlines
//! and the form to record one, a request's page with everything held about the person (the JSON
//! file to hand over, and the same readable on the page), and the answer — an erasure done
//! everywhere at once, an answer, or a refusal with its reason.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State as AxState};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use maillage_app::AppError;
use maillage_app::requests::{AnswerRequestForm, Person, RequestPage, RequestView};
use maillage_domain::Vocabulary;
use maillage_domain::requests::{RequestForm, RequestKind};

use super::{Chrome, render};
use crate::PageError;
use crate::State;
use crate::auth::Viewer;
use crate::kit::input::{Form, Query};

pub fn routes() -> Router<State> {
    Router::new()
        .route("/demandes", get(list).post(record))
        .route("/demandes/{id}", get(page).post(answer))
        .route("/demandes/{id}/export", get(export))
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
struct ListQuery {
    structure: String,
    fait: String,
}

#[derive(Template)]
#[template(path = "requests/list.html")]
struct ListPage {
    chrome: Chrome,
    switch: super::StructureSwitch,
    switch_path: &'static str,
    organisation_id: String,
    organisation_name: String,
    requests: Vec<RequestView>,
    persons: Vec<Person>,
    kinds: Vec<(String, String)>,
    form: RequestForm,
    errors: Vec<(String, String)>,
    message: Option<String>,
    today: String,
}

async fn list_page(
    state: &State,
    viewer: &Viewer,
    structure: &str,
    form: RequestForm,
    errors: Vec<(String, String)>,
    message: Option<String>,
) -> Result<ListPage, AppError> {
    let switch = super::StructureSwitch::of(state, viewer, structure).await?;
    let (org, requests, persons) = state
        .app
        .person_requests(viewer.actor.as_ref(), switch.wanted())
        .await?;
    Ok(ListPage {
        chrome: Chrome::new("demandes", viewer),
        switch,
        switch_path: "/demandes",
        organisation_id: org.id,
        organisation_name: org.name,
        requests,
        persons,
        kinds: RequestKind::ALL
            .iter()
            .map(|k| (k.slug().to_string(), k.label().to_string()))
            .collect(),
        form,
        errors,
        message,
        today: maillage_app::today().to_string(),
    })
}

async fn list(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    let message = match q.fait.as_str() {
        "enregistree" => Some(
            "La demande est enregistrée : elle doit recevoir sa réponse dans le mois.".to_string(),
        ),
        _ => None,
    };
    Ok(render(
        &list_page(
            &state,
            &viewer,
            &q.structure,
            RequestForm::default(),
            Vec::new(),
            message,
        )
        .await?,
    ))
}

/// The form, with the structure it is recorded for.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
struct RecordForm {
    structure: String,
    droit: String,
    personne: String,
    nom: String,
    contact: String,
    recue_le: String,
}

impl RecordForm {
    fn form(&self) -> RequestForm {
        RequestForm {
            kind: self.droit.clone(),
            person_id: self.personne.clone(),
            person_name: self.nom.clone(),
            contact: self.contact.clone(),
            received_on: self.recue_le.clone(),
        }
    }
}

async fn record(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Form(sent): Form<RecordForm>,
) -> Result<Response, PageError> {
    let form = sent.form();
    let structure = Some(sent.structure.as_str()).filter(|s| !s.is_empty());
    match state
        .app
        .record_person_request(viewer.actor.as_ref(), structure, &form)
        .await?
    {
        Ok(id) => Ok(Redirect::to(&format!("/demandes/{id}")).into_response()),
        Err(errors) => {
            let errors = errors
                .into_iter()
                .map(|(f, why)| (f.to_string(), why))
                .collect();
            let mut response =
                render(&list_page(&state, &viewer, &sent.structure, form, errors, None).await?);
            *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
    }
}

#[derive(Template)]
#[template(path = "requests/request.html")]
struct RequestPageT {
    chrome: Chrome,
    p: RequestPage,
    may_erase: bool,
    json: String,
    errors: Vec<(String, String)>,
}

fn request_page(viewer: &Viewer, p: RequestPage, errors: Vec<(String, String)>) -> RequestPageT {
    RequestPageT {
        chrome: Chrome::new("demandes", viewer),
        may_erase: p.view.is_open()
            && matches!(
                p.view.kind,
                Some(RequestKind::Erasure | RequestKind::Objection)
            ),
        json: serde_json::to_string_pretty(&p.found).unwrap_or_default(),
        p,
        errors,
    }
}

async fn page(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let p = state
        .app
        .person_request_page(viewer.actor.as_ref(), &id)
        .await?;
    Ok(render(&request_page(&viewer, p, Vec::new())))
}

async fn answer(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<AnswerRequestForm>,
) -> Result<Response, PageError> {
    match state
        .app
        .answer_person_request(viewer.actor.as_ref(), &id, &form)
        .await?
    {
        Ok(_) => Ok(Redirect::to(&format!("/demandes/{id}")).into_response()),
        Err(errors) => {
            let errors = errors
                .into_iter()
                .map(|(f, why)| (f.to_string(), why))
                .collect();
            let p = state
                .app
                .person_request_page(viewer.actor.as_ref(), &id)
                .await?;
            let mut response = render(&request_page(&viewer, p, errors));
            *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
    }
}

/// Everything held about the person, as the JSON file handed to them (access, portability).
async fn export(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let p = state
        .app
        .person_request_page(viewer.actor.as_ref(), &id)
        .await?;
    let json = serde_json::to_vec_pretty(&p.found)
        .map_err(|e| AppError::Operation(format!("export illisible : {e}")))?;
    Ok(crate::kit::download::attachment(
        json,
        "application/json",
        "donnees-de-la-personne.json",
    ))
}
