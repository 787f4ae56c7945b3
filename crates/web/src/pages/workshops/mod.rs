//! Workshop pages: the calendar with its filters, a workshop's page saying who it is for and
//! taking registrations, cancellation by the link received, the organiser's list with
//! attendance, CSV and a printable sheet, publishing, iCalendar feeds and the printable monthly
//! programme.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State as AxState};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{Datelike, NaiveDate};
use maillage_domain::Vocabulary;
use maillage_domain::diagnostic::Level;
use maillage_domain::french;
use maillage_domain::vocab::{MediationTheme, RegistrationMode, WorkshopFormat};
use maillage_domain::workshops::{RegistrationStatus, WorkshopForm};

use super::{Chrome, render};
use crate::PageError;
use crate::State;
use crate::auth::Viewer;
use crate::kit::input::{self, Flags, Form, Query};
use maillage_app::workshops::{
    ReadFilter, WorkshopFilter, WorkshopHit, WorkshopQuery, sessions_text,
};
use maillage_app::{AppError, today};

mod organiser;
mod publish;

use organiser::*;
use publish::*;

pub fn routes() -> Router<State> {
    Router::new()
        .route("/ateliers", get(list))
        .route("/ateliers.ics", get(ics_all))
        .route("/ateliers/programme", get(programme))
        .route("/ateliers/nouveau", get(new_form).post(create))
        .route("/ateliers/{id}", get(detail).post(register))
        .route(
            "/ateliers/{id}/inscrits",
            get(organiser_list).post(attendance),
        )
        .route("/ateliers/{id}/inscrits.csv", get(organiser_csv))
        .route(
            "/ateliers/inscriptions/{id}/annuler",
            post(organiser_cancel),
        )
        .route(
            "/ateliers/annulation/{token}",
            get(cancel_page).post(cancel_confirm),
        )
        .route("/structures/{id}/ateliers.ics", get(ics_organisation))
        .route("/lieux/{id}/ateliers.ics", get(ics_place))
}

struct Row {
    id: String,
    title: String,
    when: String,
    place: String,
    level: &'static str,
    who_for: String,
    seats: String,
    full: bool,
    distance: Option<String>,
    themes: String,
    free: bool,
}

fn rows(hits: &[WorkshopHit]) -> Vec<Row> {
    hits.iter()
        .map(|h| {
            let w = &h.stored.workshop;
            Row {
                id: w.id.clone(),
                title: w.title.clone(),
                when: w
                    .sessions
                    .first()
                    .map(|s| {
                        format!(
                            "{} de {} à {}{}",
                            french::date(s.start.date()),
                            s.start.format("%H:%M"),
                            s.end.format("%H:%M"),
                            if w.sessions.len() > 1 {
                                format!(" (+ {} séance(s))", w.sessions.len() - 1)
                            } else {
                                String::new()
                            }
                        )
                    })
                    .unwrap_or_default(),
                place: match (&h.place_name, &w.location) {
                    (Some(p), _) => format!("{p}, {}", w.commune),
                    (None, Some(l)) => format!("{l}, {}", w.commune),
                    _ => w.commune.clone(),
                },
                level: w.level_required.label(),
                who_for: w.who_for_short().to_string(),
                seats: match h.seats_left {
                    Some(0) => "complet : liste d'attente".into(),
                    Some(n) => format!("{n} place(s) libre(s)"),
                    None => "places sans limite".into(),
                },
                full: h.seats_left == Some(0),
                distance: h.distance_m.map(crate::pages::format_distance),
                themes: w.themes_label(),
                free: w.free,
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "workshops/workshops.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<Row>,
    errors: Vec<String>,
    themes: Vec<(&'static str, &'static str, bool)>,
    /// A theme is ticked: the box of more criteria opens.
    themes_checked: bool,
    levels: Vec<(&'static str, &'static str, bool)>,
    near: String,
    near_label: String,
    radius: String,
    from: String,
    to: String,
    free: bool,
    seats: bool,
    can_publish: bool,
}

async fn list(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Query(asked): Query<WorkshopQuery>,
) -> Result<Response, PageError> {
    let ReadFilter {
        filter: f,
        errors,
        near_label,
    } = state.app.workshop_filter(&asked);
    let hits = if errors.is_empty() {
        state.app.find_workshops(&f).await?
    } else {
        Vec::new()
    };
    let chosen_level = asked.level;
    let mut r = render(&ListPage {
        chrome: Chrome::new("ateliers", &viewer),
        rows: rows(&hits),
        themes: MediationTheme::ALL
            .iter()
            .map(|t| (t.slug(), t.label(), f.themes.contains(t)))
            .collect(),
        levels: Level::ALL
            .iter()
            .map(|l| (l.slug(), l.label(), chosen_level == l.slug()))
            .collect(),
        near: asked.near,
        near_label,
        radius: asked.radius,
        from: asked.from,
        to: asked.to,
        themes_checked: !f.themes.is_empty(),
        free: f.free_only,
        seats: f.seats_only,
        can_publish: viewer
            .actor()
            .is_some_and(|a| a.is_coordinator() || !a.memberships.is_empty()),
        errors,
    });
    r.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("cookie"));
    Ok(r)
}

#[derive(Template)]
#[template(path = "workshops/workshop.html")]
struct DetailPage {
    chrome: Chrome,
    id: String,
    title: String,
    summary: String,
    who_for: String,
    themes: String,
    format: &'static str,
    sessions: Vec<String>,
    series: bool,
    place: String,
    place_id: Option<String>,
    seats: String,
    full: bool,
    cost: String,
    facts: Vec<(&'static str, String)>,
    referral_only: bool,
    can_register: bool,
    can_manage: bool,
    pseudonym: String,
    contact: String,
    error: Option<String>,
    /// Just registered: (status label, cancellation link when the person has no e-mail).
    done: Option<(String, Option<String>)>,
    past: bool,
}

async fn detail_page(
    state: &State,
    viewer: &Viewer,
    id: &str,
    typed: &Registrant,
    error: Option<String>,
    done: Option<(String, Option<String>)>,
) -> Result<Response, PageError> {
    let stored = state.app.workshop(id).await?;
    let w = &stored.workshop;
    let place_name = match &w.place_id {
        Some(p) => state.app.find_place(p).await?.map(|p| p.place.name),
        None => None,
    };
    let seats = maillage_domain::workshops::seats_left(w.capacity, stored.registered);
    let can_manage = state.app.may_manage_workshop(viewer.actor(), w);
    let past = w.sessions.iter().all(|s| s.start.date() < today());
    let facts = [
        ("À apporter", w.bring.clone()),
        ("Matériel fourni", w.equipment_provided.clone()),
        ("Langues", w.language_support.clone()),
        ("Accessibilité", w.accessibility.clone()),
        ("Contact", w.contact.clone()),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| (k, v)))
    .collect();
    let failed = error.is_some();
    let mut r = render(&DetailPage {
        chrome: Chrome::new("ateliers", viewer),
        id: w.id.clone(),
        title: w.title.clone(),
        summary: w.summary.clone(),
        who_for: w.who_for(),
        themes: w.themes_label(),
        format: w.format.label(),
        sessions: sessions_text(w).lines().map(str::to_string).collect(),
        series: w.series && w.sessions.len() > 1,
        place: match (&place_name, &w.location) {
            (Some(p), _) => format!("{p}, {}", w.commune),
            (None, Some(l)) => format!("{l}, {}", w.commune),
            _ => w.commune.clone(),
        },
        place_id: w.place_id.clone(),
        seats: match seats {
            Some(0) => format!(
                "Complet ({} personne(s) en liste d'attente)",
                stored.waiting
            ),
            Some(n) => format!("{n} place(s) libre(s) sur {}", w.capacity.unwrap_or(n)),
            None => "Places sans limite".into(),
        },
        full: seats == Some(0),
        cost: if w.free {
            "Gratuit".into()
        } else {
            format!(
                "{}{}",
                w.price.clone().unwrap_or_default(),
                if w.aptic {
                    " — chèques APTIC acceptés"
                } else {
                    ""
                }
            )
        },
        facts,
        referral_only: w.registration == RegistrationMode::ReferralOnly,
        can_register: !past && (w.registration == RegistrationMode::Open || viewer.signed_in()),
        can_manage,
        pseudonym: typed.pseudonym.clone(),
        contact: typed.contact.clone(),
        error,
        done,
        past,
    });
    if failed {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

async fn detail(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    detail_page(&state, &viewer, &id, &Registrant::default(), None, None).await
}

/// Who registers for a workshop: a first name or pseudonym, and a contact.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Registrant {
    #[serde(rename = "prenom")]
    pseudonym: String,
    contact: String,
}

async fn register(
    AxState(state): AxState<State>,
    viewer: Viewer,
    client: crate::auth::Client,
    Path(id): Path<String>,
    Form(typed): Form<Registrant>,
) -> Result<Response, PageError> {
    match state
        .app
        .register_person(
            viewer.actor(),
            client.key(),
            &id,
            &typed.pseudonym,
            &typed.contact,
        )
        .await
    {
        Ok((r, token)) => {
            let status = match r.status {
                RegistrationStatus::Registered => "Inscription confirmée".to_string(),
                _ => "L'atelier est complet : inscription sur la liste d'attente".to_string(),
            };
            // Without an e-mail, the cancellation link is shown once, to keep.
            let link = (!r.contact.as_deref().is_some_and(|c| c.contains('@')))
                .then(|| format!("/ateliers/annulation/{token}"));
            let empty = Registrant::default();
            detail_page(&state, &viewer, &id, &empty, None, Some((status, link))).await
        }
        Err(AppError::Invalid(m)) => detail_page(&state, &viewer, &id, &typed, Some(m), None).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "workshops/workshop_cancel.html")]
struct CancelPage {
    chrome: Chrome,
    token: String,
    title: String,
    when: String,
    pseudonym: String,
    done: bool,
    already: bool,
}

async fn cancel_page(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let r = state.app.registration_by_link(&token).await?;
    let w = state.app.workshop(&r.workshop_id).await?.workshop;
    let mut page = render(&CancelPage {
        chrome: Chrome::new("ateliers", &viewer),
        title: w.title.clone(),
        when: sessions_text(&w),
        pseudonym: r.pseudonym,
        done: false,
        already: r.status == RegistrationStatus::Cancelled,
        token,
    });
    page.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(page)
}

async fn cancel_confirm(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let r = state.app.cancel_by_token(&token).await?;
    let w = state.app.workshop(&r.workshop_id).await?.workshop;
    Ok(render(&CancelPage {
        chrome: Chrome::new("ateliers", &viewer),
        title: w.title.clone(),
        when: sessions_text(&w),
        pseudonym: r.pseudonym,
        done: true,
        already: false,
        token,
    }))
}
