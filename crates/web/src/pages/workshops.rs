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
                who_for: w.who_for(),
                seats: match h.seats_left {
                    Some(0) => "complet : liste d'attente".into(),
                    Some(n) => format!("{n} place(s) libre(s)"),
                    None => "places sans limite".into(),
                },
                full: h.seats_left == Some(0),
                distance: h.distance_m.map(super::format_distance),
                themes: w.themes_label(),
                free: w.free,
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "workshops.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<Row>,
    errors: Vec<String>,
    themes: Vec<(&'static str, &'static str, bool)>,
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
#[template(path = "workshop.html")]
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
#[template(path = "workshop_cancel.html")]
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

struct RegRow {
    id: String,
    pseudonym: String,
    contact: String,
    status: &'static str,
    registered: bool,
    attended: Option<bool>,
}

#[derive(Template)]
#[template(path = "workshop_list.html")]
struct OrganiserPage {
    chrome: Chrome,
    id: String,
    title: String,
    sessions: Vec<String>,
    place: String,
    rows: Vec<RegRow>,
    registered: usize,
    waiting: usize,
    saved: bool,
    /// Sessions already held: (label, value for the record's link).
    held: Vec<(String, String)>,
}

async fn organiser_list(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(flags): Query<Flags>,
) -> Result<Response, PageError> {
    let (stored, list) = state
        .app
        .workshop_registrations(viewer.actor(), &id)
        .await?;
    let w = &stored.workshop;
    let rows: Vec<RegRow> = list
        .iter()
        .filter(|r| r.status != RegistrationStatus::Cancelled)
        .map(|r| RegRow {
            id: r.id.clone(),
            pseudonym: r.pseudonym.clone(),
            contact: r.contact.clone().unwrap_or_default(),
            status: r.status.label(),
            registered: r.status == RegistrationStatus::Registered,
            attended: r.attended,
        })
        .collect();
    let mut page = render(&OrganiserPage {
        chrome: Chrome::new("ateliers", &viewer),
        id: w.id.clone(),
        title: w.title.clone(),
        sessions: sessions_text(w).lines().map(str::to_string).collect(),
        place: w.location.clone().unwrap_or_else(|| w.commune.clone()),
        registered: rows.iter().filter(|r| r.registered).count(),
        waiting: rows.iter().filter(|r| !r.registered).count(),
        rows,
        saved: flags.saved,
        held: w
            .sessions
            .iter()
            .filter(|s| s.start.date() <= maillage_app::today())
            .map(|s| {
                (
                    maillage_domain::orientation::session_phrase(s.start),
                    s.start.format("%Y-%m-%dT%H:%M").to_string(),
                )
            })
            .collect(),
    });
    page.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(page)
}

/// The registrations ticked present.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Attendance {
    present: Vec<String>,
}

async fn attendance(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(attendance): Form<Attendance>,
) -> Result<Redirect, PageError> {
    state
        .app
        .take_attendance(viewer.actor(), &id, &attendance.present)
        .await?;
    Ok(Redirect::to(&format!(
        "/ateliers/{id}/inscrits?enregistre=1"
    )))
}

async fn organiser_cancel(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Redirect, PageError> {
    let workshop = state.app.cancel_registration(viewer.actor(), &id).await?;
    Ok(Redirect::to(&format!("/ateliers/{workshop}/inscrits")))
}

async fn organiser_csv(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (_, list) = state
        .app
        .workshop_registrations(viewer.actor(), &id)
        .await?;
    let write = || -> Result<Vec<u8>, csv::Error> {
        let mut w = csv::WriterBuilder::new()
            .delimiter(b';')
            .from_writer(vec![0xEF, 0xBB, 0xBF]);
        w.write_record([
            "prenom_ou_pseudonyme",
            "contact",
            "etat",
            "present",
            "inscrit_le",
        ])?;
        for r in &list {
            w.write_record(maillage_domain::spreadsheet::row([
                r.pseudonym.as_str(),
                r.contact.as_deref().unwrap_or(""),
                r.status.label(),
                match r.attended {
                    Some(true) => "oui",
                    Some(false) => "non",
                    None => "",
                },
                r.created_at.get(..10).unwrap_or_default(),
            ]))?;
        }
        w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
    };
    let bytes = write().map_err(|e| AppError::Invalid(format!("export CSV : {e}")))?;
    let mut r = bytes.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"inscrits.csv\""),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

fn ics_response(body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        body,
    )
        .into_response()
}

async fn ics_all(AxState(state): AxState<State>) -> Result<Response, PageError> {
    Ok(ics_response(
        state
            .app
            .workshops_ics(&WorkshopFilter::default(), "Ateliers du réseau")
            .await?,
    ))
}

async fn ics_organisation(
    AxState(state): AxState<State>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let org = state
        .app
        .organisation(&id)
        .await?
        .ok_or(AppError::NotFound)?;
    let f = WorkshopFilter {
        organisation_id: Some(id),
        ..Default::default()
    };
    Ok(ics_response(
        state
            .app
            .workshops_ics(&f, &format!("Ateliers — {}", org.name))
            .await?,
    ))
}

async fn ics_place(
    AxState(state): AxState<State>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let place = state.app.place(&id).await?;
    let f = WorkshopFilter {
        place_id: Some(id),
        ..Default::default()
    };
    Ok(ics_response(
        state
            .app
            .workshops_ics(&f, &format!("Ateliers — {}", place.place.name))
            .await?,
    ))
}

struct Day {
    label: String,
    items: Vec<(String, String, String, &'static str)>,
}

#[derive(Template)]
#[template(path = "workshop_programme.html")]
struct ProgrammePage {
    chrome: Chrome,
    month: String,
    previous: String,
    next: String,
    scope: String,
    query: String,
    days: Vec<Day>,
}

/// The printable programme: a month (`2026-12`), of a structure or a place.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ProgrammeQuery {
    #[serde(rename = "mois")]
    month: String,
    #[serde(rename = "structure")]
    organisation: String,
    #[serde(rename = "lieu")]
    place: String,
}

/// The structure and the place of a workshop (or of a programme).
#[derive(serde::Deserialize, Default, Clone)]
#[serde(default)]
struct Placement {
    #[serde(rename = "structure")]
    organisation: String,
    #[serde(rename = "lieu")]
    place: String,
}

async fn programme(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Query(asked): Query<ProgrammeQuery>,
) -> Result<Response, PageError> {
    let today = today();
    let first = NaiveDate::parse_from_str(&format!("{}-01", asked.month), "%Y-%m-%d")
        .unwrap_or_else(|_| today.with_day(1).unwrap_or(today));
    let next = first
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(first);
    let previous = first
        .checked_sub_months(chrono::Months::new(1))
        .unwrap_or(first);
    let mut f = WorkshopFilter {
        from: Some(first),
        to: next.pred_opt(),
        ..Default::default()
    };
    let mut scope = "tout le réseau".to_string();
    let structure = asked.organisation;
    let lieu = asked.place;
    if !structure.is_empty() {
        if let Some(o) = state.app.organisation(&structure).await? {
            scope = o.name;
        }
        f.organisation_id = Some(structure.clone());
    }
    if !lieu.is_empty() {
        scope = state.app.place(&lieu).await?.place.name;
        f.place_id = Some(lieu.clone());
    }
    let mut by_day: std::collections::BTreeMap<
        NaiveDate,
        Vec<(String, String, String, &'static str)>,
    > = Default::default();
    for hit in state.app.find_workshops(&f).await? {
        let w = &hit.stored.workshop;
        for s in w
            .sessions
            .iter()
            .filter(|s| s.start.date() >= first && s.start.date() < next)
        {
            by_day.entry(s.start.date()).or_default().push((
                format!("{}–{}", s.start.format("%H:%M"), s.end.format("%H:%M")),
                w.title.clone(),
                hit.place_name
                    .clone()
                    .map(|p| format!("{p}, {}", w.commune))
                    .unwrap_or_else(|| w.commune.clone()),
                w.level_required.label(),
            ));
        }
    }
    let month_label = {
        let d = french::date(first);
        // « 1er décembre 2026 » → « décembre 2026 »
        d.split_once(' ').map(|(_, m)| m.to_string()).unwrap_or(d)
    };
    let keep: Vec<String> = [("structure", &structure), ("lieu", &lieu)]
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("&{k}={v}"))
        .collect();
    Ok(render(&ProgrammePage {
        chrome: Chrome::new("ateliers", &viewer),
        month: month_label,
        previous: previous.format("%Y-%m").to_string(),
        next: next.format("%Y-%m").to_string(),
        scope,
        query: keep.concat(),
        days: by_day
            .into_iter()
            .map(|(d, mut items)| {
                items.sort();
                Day {
                    label: french::date(d),
                    items,
                }
            })
            .collect(),
    }))
}

#[derive(Template)]
#[template(path = "workshop_form.html")]
struct FormPage {
    chrome: Chrome,
    errors: Vec<(&'static str, String)>,
    form: WorkshopForm,
    placement: Placement,
    themes: Vec<(&'static str, &'static str, bool)>,
    levels: Vec<(&'static str, String)>,
    formats: Vec<(&'static str, &'static str)>,
    modes: Vec<(&'static str, &'static str)>,
    organisations: Vec<(String, String)>,
}

impl FormPage {
    fn error_of(&self, key: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
    }
}

async fn form_page(
    state: &State,
    viewer: &Viewer,
    (form, placement): (WorkshopForm, Placement),
    errors: Vec<(&'static str, String)>,
) -> Result<Response, PageError> {
    let actor = viewer.actor().ok_or(AppError::SignInRequired)?;
    let mut organisations = Vec::new();
    for o in state.app.organisations().await? {
        if actor.administrator || actor.is_coordinator() || actor.member_of(&o.id, today()) {
            organisations.push((o.id, o.name));
        }
    }
    let failed = !errors.is_empty();
    let chosen = &form.themes;
    let mut r = render(&FormPage {
        chrome: Chrome::new("ateliers", viewer),
        themes: MediationTheme::ALL
            .iter()
            .map(|t| (t.slug(), t.label(), chosen.iter().any(|c| c == t.slug())))
            .collect(),
        levels: Level::ALL
            .iter()
            .map(|l| (l.slug(), format!("{} — {}", l.label(), l.definition())))
            .collect(),
        formats: WorkshopFormat::ALL
            .iter()
            .map(|f| (f.slug(), f.label()))
            .collect(),
        modes: RegistrationMode::ALL
            .iter()
            .map(|m| (m.slug(), m.label()))
            .collect(),
        organisations,
        errors,
        form,
        placement,
    });
    if failed {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

async fn new_form(AxState(state): AxState<State>, viewer: Viewer) -> Result<Response, PageError> {
    form_page(
        &state,
        &viewer,
        (
            WorkshopForm {
                free: true,
                ..Default::default()
            },
            Placement::default(),
        ),
        Vec::new(),
    )
    .await
}

async fn create(
    AxState(state): AxState<State>,
    viewer: Viewer,
    body: Bytes,
) -> Result<Response, PageError> {
    let form: WorkshopForm = input::form(&body)?;
    let placement: Placement = input::form(&body)?;
    match form.validate("") {
        Ok(mut w) => {
            w.organisation_id = Some(placement.organisation.clone()).filter(|s| !s.is_empty());
            w.place_id = Some(placement.place.clone()).filter(|s| !s.is_empty());
            match state.app.publish_workshop(viewer.actor(), w).await {
                Ok(id) => Ok(Redirect::to(&format!("/ateliers/{id}")).into_response()),
                Err(AppError::Invalid(m)) => {
                    form_page(&state, &viewer, (form, placement), vec![("commune", m)]).await
                }
                Err(e) => Err(e.into()),
            }
        }
        Err(errors) => form_page(&state, &viewer, (form, placement), errors).await,
    }
}
