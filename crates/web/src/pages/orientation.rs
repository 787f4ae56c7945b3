//! Orientation pages: the form (the request in the person's words or from the catalogue, what
//! is known of the person) and its answer on the same page (a GET form: no JavaScript, the
//! answer can be bookmarked, nothing about the person is stored); the catalogue of requests,
//! edited by coordinators.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State as AxState};
use axum::response::{Redirect, Response};
use axum::routing::{get, post};
use maillage_domain::Vocabulary;
use maillage_domain::diagnostic::Level;
use maillage_domain::orientation::{
    DayPart, FormatWish, RequestEntry, RequestForm, Slot, Travel, WEEKDAYS, distance_phrase,
};
use maillage_domain::policy::Action;
use maillage_domain::vocab::{
    InterventionDomain, MediationForm, MediationTheme, NationalProgramme, Public, Service,
    SpecificSupport,
};
use maillage_domain::watch::Platform;

use super::{Chrome, render};
use crate::PageError;
use crate::State;
use crate::auth::Viewer;
use crate::kit::input::{Done, Form, Query};
use maillage_app::orientation::{OrientForm, Orientation, Proposal};
use maillage_app::{AppError, today};

pub fn routes() -> Router<State> {
    Router::new()
        .route("/orienter", get(orient))
        .route("/orienter/demandes", get(catalogue))
        .route(
            "/orienter/demandes/nouvelle",
            get(new_entry_form).post(create_entry),
        )
        .route(
            "/orienter/demandes/{id}/modifier",
            get(edit_entry_form).post(update_entry),
        )
        .route("/orienter/demandes/{id}/supprimer", post(delete_entry))
}

/// What the orientation page takes beside the form: the commune a diagnostic sends, and the
/// journey the answer continues.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Arrival {
    commune: String,
    #[serde(rename = "parcours")]
    journey: String,
}

/// One place of the answer, ready to show.
struct Shown {
    id: String,
    name: String,
    address: String,
    phone: Option<String>,
    reasons: Vec<String>,
    caveats: Vec<String>,
    unmet: Vec<String>,
    on_maillage: bool,
    /// A referral can be sent (the structure is on Maillage or has an address).
    can_refer: bool,
    /// Other records of the same place: (identifier, name).
    same_place: Vec<(String, String)>,
}

fn shown(p: &Proposal) -> Shown {
    let place = &p.place;
    Shown {
        id: place.id.clone(),
        name: place.name.clone(),
        address: format!("{}, {} {}", place.address, place.postcode, place.commune),
        phone: place
            .phone
            .as_deref()
            .map(maillage_domain::fields::phone_national),
        reasons: p.assessment.reasons.clone(),
        caveats: p.assessment.caveats.clone(),
        unmet: p
            .assessment
            .failed
            .iter()
            .map(|(_, why)| why.clone())
            .collect(),
        on_maillage: p.organisation_id.is_some(),
        can_refer: p.organisation_id.is_some() || !place.emails.is_empty(),
        same_place: p.same_place.clone(),
    }
}

struct ShownWorkshop {
    id: String,
    title: String,
    where_: String,
    reasons: Vec<String>,
    caveats: Vec<String>,
}

struct Answer {
    request_id: String,
    request_title: String,
    partners: Vec<String>,
    bring: Vec<String>,
    questions: Vec<String>,
    alternatives: Vec<(String, String)>,
    guidance: Option<&'static str>,
    /// What is missing, said first.
    missing: Option<String>,
    /// How the places are ranked, and why the first is first.
    ranking: Option<String>,
    /// Publics to ask about: (slug, label in words).
    ask_publics: Vec<(&'static str, String)>,
    /// Neighbouring help: (what these places do, the places).
    neighbours: Vec<(String, Vec<Shown>)>,
    near_label: String,
    radius: String,
    considered: usize,
    places: Vec<Shown>,
    beyond: Vec<Shown>,
    remote: Vec<Shown>,
    own: Option<Shown>,
    workshops: Vec<ShownWorkshop>,
    resources: Vec<(String, String)>,
    news: Vec<(String, String, String)>,
}

fn answer(o: &Orientation, near_label: &str) -> Answer {
    Answer {
        request_id: o.entry.id.clone(),
        request_title: o.entry.title.clone(),
        partners: o.entry.partners.clone(),
        bring: o.entry.bring.clone(),
        questions: o.entry.questions.clone(),
        alternatives: o
            .alternatives
            .iter()
            .map(|e| (e.id.clone(), e.title.clone()))
            .collect(),
        guidance: o.level_guidance,
        missing: o.gap_sentence.clone(),
        ranking: o.ranking.clone(),
        ask_publics: o
            .ask_publics
            .iter()
            .map(|p| (p.slug(), p.label().to_lowercase()))
            .collect(),
        neighbours: o
            .neighbours
            .iter()
            .map(|g| (g.phrase.clone(), g.places.iter().map(shown).collect()))
            .collect(),
        near_label: near_label.to_string(),
        radius: format!("{}", o.radius_km).replace('.', ","),
        considered: o.considered,
        places: o.places.iter().map(shown).collect(),
        beyond: o.beyond.iter().map(shown).collect(),
        remote: o.remote.iter().map(shown).collect(),
        own: o.own.as_ref().map(shown),
        workshops: o
            .workshops
            .iter()
            .map(|w| ShownWorkshop {
                id: w.hit.stored.workshop.id.clone(),
                title: w.hit.stored.workshop.title.clone(),
                where_: match (&w.hit.place_name, w.hit.distance_m) {
                    (Some(p), Some(d)) => format!("{p}, {}", distance_phrase(d)),
                    (Some(p), None) => p.clone(),
                    (None, _) => w.hit.stored.workshop.commune.clone(),
                },
                reasons: w.assessment.reasons.clone(),
                caveats: w.assessment.caveats.clone(),
            })
            .collect(),
        resources: o
            .resources
            .iter()
            .map(|r| (r.resource.id.clone(), r.resource.title.clone()))
            .collect(),
        news: o
            .news
            .iter()
            .map(|n| (n.id.clone(), n.title.clone(), n.what_to_say.clone()))
            .collect(),
    }
}

type Choice = (String, String, bool);

fn choices<V: Vocabulary>(picked: &[String]) -> Vec<Choice> {
    V::ALL
        .iter()
        .map(|v| {
            (
                v.slug().to_string(),
                v.label().to_string(),
                picked.iter().any(|p| p == v.slug()),
            )
        })
        .collect()
}

#[derive(Template)]
#[template(path = "orientation/orientation.html")]
struct OrientPage {
    chrome: Chrome,
    form: OrientForm,
    requests: Vec<Choice>,
    levels: Vec<(String, String, String, bool)>,
    equipment: Vec<Choice>,
    travel: Vec<Choice>,
    formats: Vec<Choice>,
    supports: Vec<Choice>,
    publics: Vec<Choice>,
    /// Days of the week, each with its parts: (slug, label, checked).
    week: Vec<(String, Vec<Choice>)>,
    errors: Vec<(String, String)>,
    answer: Option<Answer>,
    can_edit_catalogue: bool,
    /// The query string of the answer shown.
    query: String,
    /// The viewer belongs to a structure: they may send referrals.
    can_refer: bool,
    /// The person's constraints in words, carried to the referral form.
    constraints: String,
    /// The journey a received referral belongs to (orienting onward continues it).
    journey: String,
}

/// The person's constraints in words (« libre le mardi matin ; sans équipement »).
fn constraints_text(form: &OrientForm) -> String {
    let mut parts: Vec<String> = form
        .disponible
        .iter()
        .filter_map(|s| Slot::parse(s))
        .map(|s| format!("libre {}", s.label()))
        .collect();
    if let Some(e) = maillage_app::orientation::parse_equipment(&form.equipement) {
        parts.push(e.label().to_lowercase());
    }
    if !form.langue.trim().is_empty() {
        parts.push(format!("langue : {}", form.langue.trim()));
    }
    for s in &form.prise_en_charge {
        if let Some(s) = SpecificSupport::from_slug(s) {
            parts.push(s.label().to_lowercase());
        }
    }
    if form.urgent {
        parts.push("urgent".into());
    }
    parts.join(" ; ")
}

async fn orient(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Query(mut form): Query<OrientForm>,
    Query(arrival): Query<Arrival>,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Result<Response, PageError> {
    // The query as asked, for links that add one answer to it (« public=jeunes »).
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form_urlencoded::parse(raw.unwrap_or_default().as_bytes()))
        .finish();
    let asked = !form.pres_de.is_empty() || !form.texte.is_empty();
    // Coming from a diagnostic: the commune fills the field, the helper then says the request.
    if form.pres_de.is_empty() {
        form.pres_de = arrival.commune;
    }
    let catalogue = state.app.catalogue().await?;
    let mut errors = Vec::new();
    let mut shown_answer = None;
    if asked {
        match form.to_query(&state.app, &catalogue) {
            Ok(q) => match state.app.orient(viewer.actor.as_ref(), &q).await {
                Ok(o) => shown_answer = Some(answer(&o, &q.near_label)),
                Err(AppError::Invalid(why)) => errors.push(("demande".to_string(), why)),
                Err(e) => return Err(e.into()),
            },
            Err(list) => {
                errors = list
                    .into_iter()
                    .map(|(f, why)| (f.to_string(), why))
                    .collect()
            }
        }
    }
    let requests = catalogue
        .entries
        .iter()
        .map(|e| (e.id.clone(), e.title.clone(), form.demande == e.id))
        .collect();
    let levels = Level::ALL
        .iter()
        .map(|l| {
            (
                l.slug().to_string(),
                l.label().to_string(),
                l.definition().to_string(),
                Level::parse(&form.niveau) == Some(*l),
            )
        })
        .collect();
    let equipment = [
        ("aucun", "Aucun appareil"),
        ("smartphone", "Un smartphone ou une tablette seulement"),
        ("ordinateur", "Un ordinateur"),
    ]
    .iter()
    .map(|(slug, label)| {
        (
            slug.to_string(),
            label.to_string(),
            maillage_app::orientation::parse_equipment(&form.equipement)
                == maillage_app::orientation::parse_equipment(slug),
        )
    })
    .map(|(s, l, c)| (s, l, c && !form.equipement.is_empty()))
    .collect();
    let week = WEEKDAYS
        .iter()
        .take(6)
        .map(|d| {
            let day = maillage_domain::hours::day_name(*d);
            let parts = DayPart::ALL
                .iter()
                .map(|p| {
                    let slot = Slot { day: *d, part: *p };
                    (
                        slot.slug(),
                        p.label().to_string(),
                        form.disponible.contains(&slot.slug()),
                    )
                })
                .collect();
            (day.to_string(), parts)
        })
        .collect();
    Ok(render(&OrientPage {
        chrome: Chrome::new("orienter", &viewer),
        requests,
        levels,
        equipment,
        travel: choices::<Travel>(std::slice::from_ref(&form.deplacement)),
        formats: choices::<FormatWish>(std::slice::from_ref(&form.format)),
        supports: SpecificSupport::ALL
            .iter()
            .filter(|s| {
                !matches!(
                    s,
                    SpecificSupport::English | SpecificSupport::OtherLanguages
                )
            })
            .map(|s| {
                (
                    s.slug().to_string(),
                    s.label().to_string(),
                    form.prise_en_charge.iter().any(|p| p == s.slug()),
                )
            })
            .collect(),
        publics: choices::<Public>(&form.public),
        week,
        errors,
        answer: shown_answer,
        can_edit_catalogue: state.app.may(viewer.actor.as_ref(), &Action::EditCatalogue),
        can_refer: viewer
            .actor
            .as_ref()
            .is_some_and(|a| a.memberships.iter().any(|m| m.in_force(today()))),
        constraints: constraints_text(&form),
        journey: arrival.journey,
        query,
        form,
    }))
}

#[derive(Template)]
#[template(path = "orientation/catalogue.html")]
struct CataloguePage {
    chrome: Chrome,
    entries: Vec<RequestEntry>,
    can_edit: bool,
    message: Option<String>,
}

async fn catalogue(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Query(done): Query<Done>,
) -> Result<Response, PageError> {
    let message = match done.fait.as_str() {
        "enregistree" => Some("La demande est enregistrée.".to_string()),
        "supprimee" => Some("La demande est supprimée du catalogue.".to_string()),
        _ => None,
    };
    Ok(render(&CataloguePage {
        chrome: Chrome::new("orienter", &viewer),
        entries: state.app.catalogue().await?.entries.clone(),
        can_edit: state.app.may(viewer.actor.as_ref(), &Action::EditCatalogue),
        message,
    }))
}

#[derive(Template)]
#[template(path = "orientation/catalogue_form.html")]
struct EntryFormPage {
    chrome: Chrome,
    id: Option<String>,
    form: RequestForm,
    services: Vec<Choice>,
    forms: Vec<Choice>,
    neighbour_services: Vec<Choice>,
    neighbour_forms: Vec<Choice>,
    domains: Vec<Choice>,
    themes: Vec<Choice>,
    programmes: Vec<Choice>,
    platforms: Vec<Choice>,
    errors: Vec<(String, String)>,
}

fn entry_page(
    viewer: &Viewer,
    id: Option<String>,
    form: RequestForm,
    errors: Vec<(&'static str, String)>,
) -> Response {
    render(&EntryFormPage {
        chrome: Chrome::new("orienter", viewer),
        id,
        services: choices::<Service>(&form.services),
        forms: choices::<MediationForm>(&form.mediation_forms),
        neighbour_services: choices::<Service>(&form.neighbour_services),
        neighbour_forms: choices::<MediationForm>(&form.neighbour_forms),
        domains: choices::<InterventionDomain>(&form.domains),
        themes: choices::<MediationTheme>(&form.themes),
        programmes: choices::<NationalProgramme>(&form.programmes),
        platforms: choices::<Platform>(&form.platforms),
        errors: errors
            .into_iter()
            .map(|(f, why)| (f.to_string(), why))
            .collect(),
        form,
    })
}

fn require_editor(state: &State, viewer: &Viewer) -> Result<(), AppError> {
    state.app.check(viewer.actor(), &Action::EditCatalogue)
}

async fn new_entry_form(
    AxState(state): AxState<State>,
    viewer: Viewer,
) -> Result<Response, PageError> {
    require_editor(&state, &viewer)?;
    Ok(entry_page(
        &viewer,
        None,
        RequestForm::default(),
        Vec::new(),
    ))
}

async fn edit_entry_form(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    require_editor(&state, &viewer)?;
    let catalogue = state.app.catalogue().await?;
    let entry = catalogue.entry(&id).ok_or(AppError::NotFound)?;
    Ok(entry_page(
        &viewer,
        Some(id.clone()),
        RequestForm::of(entry),
        Vec::new(),
    ))
}

async fn save(
    state: &State,
    viewer: &Viewer,
    id: Option<String>,
    form: RequestForm,
) -> Result<Response, PageError> {
    match state
        .app
        .save_catalogue_entry(viewer.actor.as_ref(), id.as_deref(), &form)
        .await?
    {
        Ok(_) => Ok(axum::response::IntoResponse::into_response(Redirect::to(
            "/orienter/demandes?fait=enregistree",
        ))),
        Err(errors) => {
            let mut page = entry_page(viewer, id, form, errors);
            *page.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(page)
        }
    }
}

async fn create_entry(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Form(form): Form<RequestForm>,
) -> Result<Response, PageError> {
    save(&state, &viewer, None, form).await
}

async fn update_entry(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<RequestForm>,
) -> Result<Response, PageError> {
    save(&state, &viewer, Some(id), form).await
}

async fn delete_entry(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Redirect, PageError> {
    state
        .app
        .delete_catalogue_entry(viewer.actor.as_ref(), &id)
        .await?;
    Ok(Redirect::to("/orienter/demandes?fait=supprimee"))
}
