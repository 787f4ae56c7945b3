//! Pages of update campaigns: the coordinator's list, start form and dashboard; the referent's
//! page opened by their personal link (no account), to confirm or correct their place.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State as AxState};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::Utc;
use maillage_domain::campaigns::{CampaignTally, RequestStatus};
use maillage_domain::french;

use super::{
    Chrome, FormMode, PlaceInput, date_of, form_page, form_values, place_from_form, private, render,
};
use crate::PageError;
use crate::State;
use crate::auth::Viewer;
use maillage_app::AppError;
use maillage_app::campaigns::CampaignForm;

use crate::kit::input::{Form, Query};

pub fn routes() -> Router<State> {
    Router::new()
        .route("/campagnes", get(list).post(start))
        .route("/campagnes/{id}", get(dashboard))
        .route("/campagnes/{id}/relancer", post(remind))
        .route("/campagnes/{id}/clore", post(close))
        .route("/campagnes/demandes/{id}/echec", post(bounce))
        .route("/mise-a-jour/{token}", get(link_page))
        .route("/mise-a-jour/{token}/confirmer", post(link_confirm))
        .route(
            "/mise-a-jour/{token}/corriger",
            get(link_form).post(link_correct),
        )
}

struct CampaignRow {
    id: String,
    title: String,
    scope: String,
    created: String,
    closed: bool,
    tally: CampaignTally,
    rate: u8,
}

#[derive(Template)]
#[template(path = "directory/campaigns.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<CampaignRow>,
    mail_enabled: bool,
    error: Option<String>,
    title: String,
}

async fn list_page(
    state: &State,
    viewer: &Viewer,
    error: Option<String>,
    title: String,
) -> Result<Response, PageError> {
    let rows = state
        .app
        .campaigns_for(viewer.actor())
        .await?
        .into_iter()
        .map(|c| CampaignRow {
            id: c.campaign.id,
            title: c.campaign.title,
            scope: c.campaign.scope,
            created: date_of(&c.campaign.created_at),
            closed: c.campaign.closed_at.is_some(),
            rate: c.tally.answer_rate(),
            tally: c.tally,
        })
        .collect();
    let failed = error.is_some();
    let mut r = render(&ListPage {
        chrome: Chrome::new("campagnes", viewer),
        rows,
        mail_enabled: state.app.mailer.is_enabled(),
        error,
        title,
    });
    if failed {
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

async fn list(AxState(state): AxState<State>, viewer: Viewer) -> Result<Response, PageError> {
    list_page(&state, &viewer, None, String::new()).await
}

async fn start(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Form(form): Form<CampaignForm>,
) -> Result<Response, PageError> {
    match state
        .app
        .start_campaign(viewer.actor(), &form.title, form.scope(), Utc::now())
        .await
    {
        Ok(id) => Ok(Redirect::to(&format!("/campagnes/{id}")).into_response()),
        Err(AppError::Invalid(reason)) => {
            list_page(&state, &viewer, Some(reason), form.title).await
        }
        Err(e) => Err(e.into()),
    }
}

struct RequestRow {
    id: String,
    place_id: String,
    place_name: String,
    commune: String,
    status: &'static str,
    pending: bool,
    problem: bool,
    reminders: u32,
    last_sent: String,
    answered: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "directory/campaign.html")]
struct DashboardPage {
    chrome: Chrome,
    id: String,
    title: String,
    scope: String,
    created: String,
    closed: bool,
    tally: CampaignTally,
    rate: u8,
    rows: Vec<RequestRow>,
    filter: String,
    filters: Vec<(&'static str, &'static str, usize)>,
    notice: Option<String>,
    remind_after_days: i64,
    max_reminders: u32,
}

/// The dashboard's query: the status shown, and what was just done (`n` reminders sent).
#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct DashboardQuery {
    etat: String,
    fait: String,
    n: Option<usize>,
}

async fn dashboard(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(shown): Query<DashboardQuery>,
) -> Result<Response, PageError> {
    let d = state.app.campaign_dashboard(viewer.actor(), &id).await?;
    let filter = shown.etat;
    let wanted = RequestStatus::from_slug(&filter);
    let notice = match shown.fait.as_str() {
        "relances" => Some(format!("{} rappel(s) envoyé(s).", shown.n.unwrap_or(0))),
        "echec" => Some("Demande marquée « courriel en échec ».".to_string()),
        "close" => Some("Campagne close : les liens ne fonctionnent plus.".to_string()),
        _ => None,
    };
    let settings = state.app.campaign_settings();
    let mut rows: Vec<RequestRow> = d
        .rows
        .iter()
        .filter(|(r, _)| wanted.is_none_or(|w| r.status == w))
        .map(|(r, p)| RequestRow {
            id: r.id.clone(),
            place_id: p.place.id.clone(),
            place_name: p.place.name.clone(),
            commune: p.place.commune.clone(),
            status: r.status.label(),
            pending: r.status == RequestStatus::Pending,
            problem: matches!(r.status, RequestStatus::Bounced | RequestStatus::NoAddress),
            reminders: r.reminders,
            last_sent: date_of(&r.last_sent_at),
            answered: r.answered_at.as_deref().map(date_of).unwrap_or_default(),
            detail: r.detail.clone().unwrap_or_default(),
        })
        .collect();
    // Problems first (to call), then pending, then answered.
    rows.sort_by_key(|r| (!r.problem, !r.pending, r.place_name.clone()));
    let t = d.tally;
    Ok(render(&DashboardPage {
        chrome: Chrome::new("campagnes", &viewer),
        id: d.campaign.id,
        title: d.campaign.title,
        scope: d.campaign.scope,
        created: date_of(&d.campaign.created_at),
        closed: d.campaign.closed_at.is_some(),
        rate: t.answer_rate(),
        tally: t,
        rows,
        filters: vec![
            ("", "Toutes", t.total),
            (RequestStatus::Pending.slug(), "En attente", t.pending),
            (RequestStatus::Confirmed.slug(), "Confirmées", t.confirmed),
            (RequestStatus::Corrected.slug(), "Corrigées", t.corrected),
            (
                RequestStatus::Bounced.slug(),
                "Courriel en échec",
                t.bounced,
            ),
            (
                RequestStatus::NoAddress.slug(),
                "Sans adresse",
                t.no_address,
            ),
        ],
        filter,
        notice,
        remind_after_days: settings.remind_after_days,
        max_reminders: settings.max_reminders,
    }))
}

async fn remind(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Redirect, PageError> {
    // Only who sees the campaign may trigger the (global, idempotent) sending of due reminders.
    state.app.campaign_dashboard(viewer.actor(), &id).await?;
    let n = state.app.send_campaign_reminders(Utc::now()).await?;
    Ok(Redirect::to(&format!(
        "/campagnes/{id}?fait=relances&n={n}"
    )))
}

async fn close(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Redirect, PageError> {
    state
        .app
        .close_campaign(viewer.actor(), &id, Utc::now())
        .await?;
    Ok(Redirect::to(&format!("/campagnes/{id}?fait=close")))
}

async fn bounce(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Redirect, PageError> {
    let campaign = state.app.mark_campaign_bounce(viewer.actor(), &id).await?;
    Ok(Redirect::to(&format!("/campagnes/{campaign}?fait=echec")))
}

#[derive(Template)]
#[template(path = "directory/campaign_link.html")]
struct LinkPage {
    chrome: Chrome,
    token: String,
    campaign: String,
    name: String,
    address: String,
    commune: String,
    updated_on: String,
    phone: String,
    emails: String,
    hours: String,
    services: String,
    expires: String,
}

async fn link_page(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let view = state.app.open_campaign_link(&token, Utc::now()).await?;
    let p = &view.place.place;
    Ok(private(render(&LinkPage {
        chrome: Chrome::new("", &viewer),
        campaign: view.campaign_title.clone(),
        name: p.name.clone(),
        address: [Some(p.address.as_str()), p.address_complement.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", "),
        commune: format!("{} {}", p.postcode, p.commune),
        updated_on: french::date(p.updated_on),
        phone: p.phone.clone().unwrap_or_default(),
        emails: p.emails.join(", "),
        hours: p.opening_hours.clone().unwrap_or_default(),
        services: super::vocab_labels(&p.services),
        expires: view
            .expires_at
            .with_timezone(&chrono::Local)
            .format("%d/%m/%Y")
            .to_string(),
        token,
    })))
}

#[derive(Template)]
#[template(path = "directory/campaign_thanks.html")]
struct ThanksPage {
    chrome: Chrome,
    place_id: String,
    corrected: bool,
}

async fn link_confirm(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let place_id = state.app.confirm_by_link(&token, Utc::now()).await?;
    Ok(private(render(&ThanksPage {
        chrome: Chrome::new("", &viewer),
        place_id,
        corrected: false,
    })))
}

async fn link_form(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let view = state.app.open_campaign_link(&token, Utc::now()).await?;
    // Through a link, no structure is chosen.
    let form = form_values(&view.place.place, None);
    let r = form_page(
        &state,
        &viewer,
        FormMode::Link(&token),
        &view.place.place.id,
        &view.place.place.name,
        &form,
        Vec::new(),
    )
    .await?;
    Ok(private(r))
}

async fn link_correct(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(token): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    let view = state.app.open_campaign_link(&token, Utc::now()).await?;
    let mut form = PlaceInput::read(&body)?;
    form.lists.organisation.clear();
    let id = view.place.place.id.clone();
    let (place, errors) = place_from_form(&state, &form, Some(&view.place.place), &id);
    match place {
        Some(place) => {
            let place_id = state.app.correct_by_link(&token, place, Utc::now()).await?;
            Ok(private(render(&ThanksPage {
                chrome: Chrome::new("", &viewer),
                place_id,
                corrected: true,
            })))
        }
        None => {
            let r = form_page(
                &state,
                &viewer,
                FormMode::Link(&token),
                &id,
                &view.place.place.name,
                &form,
                errors,
            )
            .await?;
            Ok(private(r))
        }
    }
}
