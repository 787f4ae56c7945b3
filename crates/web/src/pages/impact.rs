//! Impact pages: the before/after survey (the structure's link for people answering alone, a
//! printable paper version, typing in paper answers), the impact page (survey, progression,
//! typology) and the territory's offer inventory, with the statistics' scopes and periods.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State as AxState};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maillage_domain::Vocabulary;
use maillage_domain::activity::AgeBracket;
use maillage_domain::french;
use maillage_domain::impact::{Change, Ease, NewAbility, ProgressDomain, Progressed, SurveyForm};
use maillage_domain::indicators::SharePurpose;

use super::activity::{ForStructure, describe};
use super::{Chrome, render};
use crate::PageError;
use crate::State;
use crate::auth::Viewer;
use crate::kit::charts::bars_svg;
use crate::kit::input::{self, Form, Stats};
use maillage_app::activity::{Scope, ShareForm, StatsQuery};
use maillage_app::{AppError, today};

pub fn routes() -> Router<State> {
    Router::new()
        .route("/impact", get(impact))
        .route("/impact/enquete", get(survey_admin))
        .route("/impact/enquete/lien", post(survey_link))
        .route("/impact/enquete/saisie", get(typed_form).post(typed_answer))
        .route("/enquete/papier", get(paper))
        .route("/enquete/{token}", get(public_form).post(public_answer))
        .route("/territoire/offre", get(offer))
}

type Choice = (String, String);

fn vocab<V: Vocabulary>() -> Vec<Choice> {
    V::ALL
        .iter()
        .map(|v| (v.slug().to_string(), v.label().to_string()))
        .collect()
}

#[derive(Template)]
#[template(path = "activity/survey_form.html")]
struct SurveyPage {
    chrome: Chrome,
    organisation: String,
    action: String,
    /// Typed in by a helper (choice of structure) rather than answered alone.
    typed: bool,
    organisations: Vec<Choice>,
    paper: bool,
    form: SurveyForm,
    errors: Vec<(String, String)>,
    ease: Vec<Choice>,
    progressed: Vec<Choice>,
    abilities: Vec<Choice>,
    domains: Vec<Choice>,
    changes: Vec<Choice>,
    ages: Vec<Choice>,
    thanks: bool,
}

impl SurveyPage {
    fn new(chrome: Chrome, organisation: String, action: String) -> Self {
        SurveyPage {
            chrome,
            organisation,
            action,
            typed: false,
            organisations: Vec::new(),
            paper: false,
            form: SurveyForm::default(),
            errors: Vec::new(),
            ease: vocab::<Ease>(),
            progressed: vocab::<Progressed>(),
            abilities: vocab::<NewAbility>(),
            domains: vocab::<ProgressDomain>(),
            changes: vocab::<Change>(),
            ages: vocab::<AgeBracket>(),
            thanks: false,
        }
    }
    fn has(&self, list: &[String], v: &str) -> bool {
        list.iter().any(|x| x == v)
    }
}

async fn public_form(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let name = state.app.survey_organisation(&token).await?;
    Ok(render(&SurveyPage::new(
        Chrome::new("", &viewer),
        name,
        format!("/enquete/{token}"),
    )))
}

async fn public_answer(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(token): Path<String>,
    Form(form): Form<SurveyForm>,
) -> Result<Response, PageError> {
    let name = state.app.survey_organisation(&token).await?;
    let mut page = SurveyPage::new(Chrome::new("", &viewer), name, format!("/enquete/{token}"));
    match state.app.answer_survey(&token, &form).await? {
        Ok(()) => page.thanks = true,
        Err(errors) => {
            page.form = form;
            page.errors = errors
                .into_iter()
                .map(|(f, m)| (f.to_string(), m))
                .collect();
        }
    }
    let status = if page.errors.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut r = render(&page);
    *r.status_mut() = status;
    Ok(r)
}

async fn paper(viewer: Viewer) -> Response {
    let mut page = SurveyPage::new(Chrome::new("", &viewer), String::new(), String::new());
    page.paper = true;
    render(&page)
}

async fn typed_form(AxState(state): AxState<State>, viewer: Viewer) -> Result<Response, PageError> {
    let orgs = state.app.recording_organisations(viewer.actor()).await?;
    let mut page = SurveyPage::new(
        Chrome::new("impact", &viewer),
        String::new(),
        "/impact/enquete/saisie".into(),
    );
    page.typed = true;
    page.organisations = orgs.into_iter().map(|o| (o.id, o.name)).collect();
    Ok(render(&page))
}

async fn typed_answer(
    AxState(state): AxState<State>,
    viewer: Viewer,
    body: Bytes,
) -> Result<Response, PageError> {
    let form: SurveyForm = input::form(&body)?;
    let org = input::form::<ForStructure>(&body)?.structure;
    let orgs = state.app.recording_organisations(viewer.actor()).await?;
    let mut page = SurveyPage::new(
        Chrome::new("impact", &viewer),
        String::new(),
        "/impact/enquete/saisie".into(),
    );
    page.typed = true;
    page.organisations = orgs.into_iter().map(|o| (o.id, o.name)).collect();
    match state.app.record_survey(viewer.actor(), &org, &form).await? {
        Ok(()) => page.thanks = true,
        Err(errors) => {
            page.form = form;
            page.errors = errors
                .into_iter()
                .map(|(f, m)| (f.to_string(), m))
                .collect();
        }
    }
    Ok(render(&page))
}

#[derive(Template)]
#[template(path = "activity/survey_admin.html")]
struct AdminPage {
    chrome: Chrome,
    organisations: Vec<(String, String, bool)>,
    link: Option<String>,
}

async fn survey_admin(
    AxState(state): AxState<State>,
    viewer: Viewer,
) -> Result<Response, PageError> {
    let orgs = state.app.recording_organisations(viewer.actor()).await?;
    let mut list = Vec::new();
    for o in orgs {
        let live = state
            .app
            .has_share_link(viewer.actor(), &o.id, SharePurpose::Survey)
            .await?;
        list.push((o.id, o.name, live));
    }
    Ok(render(&AdminPage {
        chrome: Chrome::new("impact", &viewer),
        organisations: list,
        link: None,
    }))
}

async fn survey_link(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Form(form): Form<ShareForm>,
) -> Result<Response, PageError> {
    let Some(token) = state
        .app
        .apply_share(viewer.actor(), &form, SharePurpose::Survey)
        .await?
    else {
        return Ok(Redirect::to("/impact/enquete").into_response());
    };
    let orgs = state.app.recording_organisations(viewer.actor()).await?;
    let mut list = Vec::new();
    for o in orgs {
        let live = state
            .app
            .has_share_link(viewer.actor(), &o.id, SharePurpose::Survey)
            .await?;
        list.push((o.id, o.name, live));
    }
    Ok(render(&AdminPage {
        chrome: Chrome::new("impact", &viewer),
        organisations: list,
        link: Some(format!("{}/enquete/{token}", state.app.public_url)),
    }))
}

struct TableView {
    id: &'static str,
    title: &'static str,
    definition: &'static str,
    svg: String,
    rows: Vec<(String, String, String)>,
    empty: bool,
}

#[derive(Template)]
#[template(path = "activity/impact.html")]
struct ImpactPage {
    chrome: Chrome,
    described: String,
    answers: usize,
    tables: Vec<TableView>,
    scope: String,
    scopes: Vec<Choice>,
    from: String,
    to: String,
    generated: String,
}

async fn scopes(state: &State, viewer: &Viewer) -> Result<Vec<Choice>, AppError> {
    let mut scopes = vec![(
        "territoire".to_string(),
        "Mes structures et mon territoire".to_string(),
    )];
    scopes.extend(
        state
            .app
            .visible_organisations(viewer.actor())
            .await?
            .into_iter()
            .map(|o| (o.id, o.name)),
    );
    Ok(scopes)
}

async fn impact(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Stats(StatsQuery { scope, filter, .. }): Stats,
) -> Result<Response, PageError> {
    let scope = if scope == Scope::Mine {
        Scope::Territory
    } else {
        scope
    };
    let impact = state
        .app
        .impact(viewer.actor(), &scope, filter.clone())
        .await?;
    let tables = impact
        .tables
        .iter()
        .map(|t| TableView {
            id: t.id,
            title: t.title,
            definition: t.definition,
            svg: bars_svg(
                t.id,
                t.title,
                &t.rows
                    .iter()
                    .map(|r| (r.label.clone(), r.value))
                    .collect::<Vec<_>>(),
            ),
            rows: t
                .rows
                .iter()
                .map(|r| {
                    (
                        r.label.clone(),
                        french::number(r.value as f64),
                        if t.id == "progression-effort" {
                            String::new()
                        } else {
                            format!("{} %", french::number(r.share))
                        },
                    )
                })
                .collect(),
            empty: t.rows.iter().all(|r| r.value == 0),
        })
        .collect();
    Ok(render(&ImpactPage {
        chrome: Chrome::new("impact", &viewer),
        described: describe(&filter),
        answers: impact.answers,
        tables,
        scope: scope.slug().to_string(),
        scopes: scopes(&state, &viewer).await?,
        from: filter.from.map(|d| d.to_string()).unwrap_or_default(),
        to: filter.to.map(|d| d.to_string()).unwrap_or_default(),
        generated: french::date(today()),
    }))
}

#[derive(Template)]
#[template(path = "orientation/offer.html")]
struct OfferPage {
    chrome: Chrome,
    described: String,
    organisations: u64,
    rows: Vec<(String, String, String, String, String, String)>,
    svg: String,
    scope: String,
    scopes: Vec<Choice>,
    from: String,
    to: String,
}

async fn offer(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Stats(StatsQuery { scope, filter, .. }): Stats,
) -> Result<Response, PageError> {
    let scope = if scope == Scope::Mine {
        Scope::Territory
    } else {
        scope
    };
    let inv = state
        .app
        .offer_inventory(viewer.actor(), &scope, filter.clone())
        .await?;
    let svg = bars_svg(
        "offre",
        "Part des structures qui proposent chaque offre (annuaire ou activité)",
        &inv.rows
            .iter()
            .map(|r| (r.offer.label().to_string(), r.either))
            .collect::<Vec<_>>(),
    );
    Ok(render(&OfferPage {
        chrome: Chrome::new("impact", &viewer),
        described: describe(&filter),
        organisations: inv.organisations,
        rows: inv
            .rows
            .iter()
            .map(|r| {
                (
                    r.offer.label().to_string(),
                    r.offer.definition().to_string(),
                    format!("{} ({} %)", r.declared, french::number(r.declared_share)),
                    format!("{} ({} %)", r.practised, french::number(r.practised_share)),
                    format!("{} ({} %)", r.either, french::number(r.either_share)),
                    r.offer.slug().to_string(),
                )
            })
            .collect(),
        svg,
        scope: scope.slug().to_string(),
        scopes: scopes(&state, &viewer).await?,
        from: filter.from.map(|d| d.to_string()).unwrap_or_default(),
        to: filter.to.map(|d| d.to_string()).unwrap_or_default(),
    }))
}
