//! Activity pages: the list of the structure's records, the recording form (one screen on a
//! phone: the essentials first, details folded), a record with its edit form, duplicate and
//! delete, the import of past records with its per-cell report, the dashboards (helper,
//! structure, territory) with the same filters everywhere, their charts (SVG drawn here, each
//! with its data table), the printable report, XLSX/CSV downloads and the public share link.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Multipart, Path, RawQuery, State as AxState};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maillage_domain::Vocabulary;
use maillage_domain::activity::{
    ActivityForm, ActivityKind, AgeBracket, Autonomy, Equipment, Gender, ProcedureOutcome,
    ProcedureTheme, Redirection, SocialStatus, Venue, duration_phrase,
};
use maillage_domain::diagnostic::Level;
use maillage_domain::french;
use maillage_domain::indicators::SharePurpose;
use maillage_domain::indicators::{Filter, Indicator, Statistics, Table};
use maillage_domain::vocab::MediationTheme;

use super::{Chrome, render};
use crate::PageError;
use crate::State;
use crate::auth::Viewer;
use crate::kit::input::{self, Form, Query, Stats};
use maillage_app::activity::StatsQuery;
use maillage_app::activity::{ImportReport, RecordInput, Scope};
use maillage_app::{AppError, today};
use serde::Deserialize;

pub fn routes() -> Router<State> {
    Router::new()
        .route("/activites", get(list))
        .route("/activites/nouvelle", get(new_form).post(create))
        .route(
            "/activites/import",
            get(import_page)
                .post(import_upload)
                .layer(axum::extract::DefaultBodyLimit::max(
                    maillage_app::limits::ACTIVITY_IMPORT_BYTES,
                )),
        )
        .route("/activites/modele.xlsx", get(template_xlsx))
        .route("/activites/modele.csv", get(template_csv))
        .route("/activites/export.csv", get(export_csv))
        .route("/activites/{id}", get(detail).post(update))
        .route("/activites/{id}/supprimer", post(delete))
        .route("/personnes/{id}/profil", post(profile))
        .route("/statistiques", get(dashboard))
        .route("/statistiques/rapport", get(report))
        .route("/statistiques/export.xlsx", get(stats_xlsx))
        .route("/statistiques/export.csv", get(stats_csv))
        .route("/statistiques/partage", post(share))
        .route("/statistiques/publiques/{token}", get(public_stats))
        .route("/indicateurs", get(indicators))
}

struct IndicatorRow {
    id: &'static str,
    title: &'static str,
    definition: &'static str,
}

#[derive(Template)]
#[template(path = "indicators.html")]
struct IndicatorsPage {
    chrome: Chrome,
    figures: Vec<IndicatorRow>,
    tables: Vec<IndicatorRow>,
}

/// The definitions of the indicators (the same text as `docs/INDICATORS.md`).
async fn indicators(viewer: Viewer) -> Response {
    let row = |i: Indicator| IndicatorRow {
        id: i.id(),
        title: i.title(),
        definition: i.definition(),
    };
    render(&IndicatorsPage {
        chrome: Chrome::new("statistiques", &viewer),
        figures: Indicator::FIGURES.into_iter().map(row).collect(),
        tables: Indicator::TABLES.into_iter().map(row).collect(),
    })
}

type Choice = (String, String);

fn vocab<V: Vocabulary>() -> Vec<Choice> {
    V::ALL
        .iter()
        .map(|v| (v.slug().to_string(), v.label().to_string()))
        .collect()
}

fn levels() -> Vec<Choice> {
    Level::ALL
        .iter()
        .map(|l| (l.slug().to_string(), l.label().to_string()))
        .collect()
}

/// The record form as posted (names are the template's columns), and its context: the
/// structure, the person, the notes, where the record comes from.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Posted {
    #[serde(rename = "type")]
    kind: String,
    date: String,
    #[serde(rename = "duree")]
    duration: String,
    #[serde(rename = "lieu")]
    venue: String,
    #[serde(rename = "lieu_id")]
    place_id: String,
    commune: String,
    #[serde(rename = "thematiques")]
    themes: Vec<String>,
    #[serde(rename = "thematiques_demarche")]
    procedure_themes: Vec<String>,
    #[serde(rename = "demarche")]
    procedure_name: String,
    #[serde(rename = "materiel")]
    equipment: Vec<String>,
    #[serde(rename = "autonomie")]
    autonomy: String,
    #[serde(rename = "finalisation")]
    outcome: String,
    #[serde(rename = "orientation")]
    redirection: String,
    #[serde(rename = "titre")]
    title: String,
    #[serde(rename = "niveau")]
    level: String,
    /// A workshop's followed persons.
    #[serde(rename = "personnes")]
    persons: Vec<String>,
    /// One person's record: a followed person's id, `anonyme` or `nouvelle`.
    #[serde(rename = "personne")]
    person: String,
    #[serde(rename = "participants")]
    anonymous_total: String,
    #[serde(rename = "tranche_age")]
    ages: Vec<String>,
    #[serde(rename = "genre")]
    genders: Vec<String>,
    #[serde(rename = "statut_social")]
    statuses: Vec<String>,
    #[serde(rename = "commune_residence")]
    residence: String,
    #[serde(rename = "etiquettes")]
    tags: String,
    #[serde(rename = "structure")]
    organisation: String,
    notes: String,
    /// A new followed person's first name, and their consent (`accord=oui`).
    #[serde(rename = "prenom")]
    new_person: String,
    #[serde(rename = "accord")]
    consent: bool,
    /// The workshop session (`id|2026-12-03T14:00`) and the referral the record comes from.
    #[serde(rename = "seance")]
    session: String,
    #[serde(rename = "orientation_id")]
    referral: String,
    /// `encore`: record another one next.
    #[serde(rename = "suite")]
    next: String,
    /// A new record's origin: a record to duplicate, a workshop session, a place referred to.
    #[serde(rename = "depuis")]
    duplicate_of: String,
    #[serde(rename = "atelier")]
    workshop: String,
    #[serde(rename = "vers")]
    referred_to: String,
}

/// Texts by field name: a workshop's demographics come as one number per value
/// (`age-60-69=4`).
type Texts = std::collections::BTreeMap<String, String>;

impl Posted {
    /// From a form body or a query string.
    fn read(raw: &[u8]) -> Result<(Posted, Texts), AppError> {
        Ok((input::form(raw)?, input::form(raw)?))
    }

    fn form(&self, texts: &Texts) -> ActivityForm {
        let collective = ActivityKind::parse(&self.kind) == Some(ActivityKind::Collective);
        let counts = |prefix: &str, single: &[String]| -> Vec<String> {
            if collective {
                texts
                    .iter()
                    .filter_map(|(k, n)| {
                        let value = k.strip_prefix(prefix)?;
                        (!n.is_empty() && n != "0").then(|| format!("{value}={n}"))
                    })
                    .collect()
            } else {
                single.to_vec()
            }
        };
        let person = self.person.as_str();
        ActivityForm {
            kind: self.kind.clone(),
            date: self.date.clone(),
            duration: self.duration.clone(),
            venue: self.venue.clone(),
            place_id: self.place_id.clone(),
            insee_code: self.commune.clone(),
            themes: self.themes.clone(),
            procedure_themes: self.procedure_themes.clone(),
            procedure_name: self.procedure_name.clone(),
            equipment: self.equipment.clone(),
            autonomy: self.autonomy.clone(),
            outcome: self.outcome.clone(),
            redirection: self.redirection.clone(),
            title: self.title.clone(),
            level: self.level.clone(),
            persons: if collective {
                self.persons.clone()
            } else if !person.is_empty() && person != "anonyme" && person != "nouvelle" {
                vec![person.to_string()]
            } else {
                Vec::new()
            },
            anonymous_total: self.anonymous_total.clone(),
            ages: counts("age-", &self.ages),
            genders: counts("genre-", &self.genders),
            statuses: counts("statut-", &self.statuses),
            residence: self.residence.clone(),
            tags: self
                .tags
                .split([',', ';'])
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
                .collect(),
        }
    }
}

/// The list's query: my records only, the page, what was just done.
#[derive(Deserialize, Default)]
#[serde(default)]
struct ListQuery {
    #[serde(rename = "moi")]
    mine_only: bool,
    page: Option<u32>,
    fait: String,
}

/// A followed person's profile.
#[derive(Deserialize, Default)]
#[serde(default)]
struct ProfileForm {
    tranche_age: String,
    genre: String,
    statut_social: String,
    commune_residence: String,
}

// ----- the list -----

struct ListRow {
    id: String,
    date: String,
    summary: String,
    duration: String,
    people: u32,
    mine: bool,
}

#[derive(Template)]
#[template(path = "activities.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<ListRow>,
    mine_only: bool,
    page: u32,
    message: Option<String>,
}

async fn list(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Query(asked): Query<ListQuery>,
) -> Result<Response, PageError> {
    let mine_only = asked.mine_only;
    let page: u32 = asked.page.unwrap_or(0);
    let me = viewer.user.as_ref().map(|u| u.id.clone());
    let list = state
        .app
        .recent_activities(viewer.actor(), mine_only, page)
        .await?;
    let rows = list
        .iter()
        .map(|a| ListRow {
            id: a.id.clone(),
            date: french::date(a.activity.date),
            summary: a.activity.summary(),
            duration: duration_phrase(u32::from(a.activity.duration_minutes)),
            people: a.activity.accompaniments(),
            mine: a.helper_id == me,
        })
        .collect();
    let message = match asked.fait.as_str() {
        "enregistree" => {
            Some("Activité enregistrée : elle compte déjà dans les statistiques.".into())
        }
        "supprimee" => Some("Activité supprimée.".into()),
        "modifiee" => Some("Activité modifiée.".into()),
        _ => None,
    };
    Ok(render(&ListPage {
        chrome: Chrome::new("activites", &viewer),
        rows,
        mine_only,
        page,
        message,
    }))
}

// ----- the form -----

#[derive(Template)]
#[template(path = "activity_form.html")]
struct FormPage {
    chrome: Chrome,
    heading: String,
    action: String,
    /// Record being edited (delete and duplicate buttons).
    editing: Option<String>,
    form: ActivityForm,
    notes: String,
    notes_visible: bool,
    organisation: String,
    organisations: Vec<Choice>,
    places: Vec<Choice>,
    persons: Vec<Choice>,
    person: String,
    new_person: String,
    consent: bool,
    errors: Vec<(String, String)>,
    kinds: Vec<Choice>,
    venues: Vec<Choice>,
    themes: Vec<Choice>,
    procedure_themes: Vec<Choice>,
    equipment: Vec<Choice>,
    autonomy: Vec<Choice>,
    outcomes: Vec<Choice>,
    redirections: Vec<Choice>,
    ages: Vec<Choice>,
    genders: Vec<Choice>,
    statuses: Vec<Choice>,
    levels: Vec<Choice>,
    /// Hidden: the workshop session and the referral the record comes from.
    session: String,
    referral: String,
    /// Counts of a workshop's demographics, by `prefix-value`.
    counts: Vec<(String, String)>,
}

/// Themes shown unfolded on the form (the most frequent in the field, seed 003).
const COMMON_THEMES: [&str; 8] = [
    "materiel",
    "internet",
    "courriel",
    "demarches",
    "sante",
    "banque-achats",
    "securite",
    "reseaux-sociaux",
];

impl FormPage {
    fn is_kind(&self, k: &str) -> bool {
        self.form.kind == k
    }
    fn has(&self, list: &[String], v: &str) -> bool {
        list.iter().any(|x| x == v)
    }
    fn count(&self, prefix: &str, value: &str) -> String {
        self.counts
            .iter()
            .find(|(k, _)| k.strip_prefix(prefix) == Some(value))
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }
    /// The themes most recorded, shown first; the others are folded.
    fn is_common(&self, slug: &str) -> bool {
        COMMON_THEMES.contains(&slug)
    }
    fn other_checked(&self) -> bool {
        self.form
            .themes
            .iter()
            .any(|t| !COMMON_THEMES.contains(&t.as_str()))
    }
    fn first(&self, list: &[String]) -> String {
        list.first().cloned().unwrap_or_default()
    }
}

struct FormContext {
    heading: String,
    action: String,
    editing: Option<String>,
    organisation: String,
    person: String,
    new_person: String,
    consent: bool,
    notes: String,
    notes_visible: bool,
    session: String,
    referral: String,
}

async fn form_page(
    state: &State,
    viewer: &Viewer,
    form: ActivityForm,
    ctx: FormContext,
    errors: Vec<(String, String)>,
) -> Result<Response, PageError> {
    let orgs = state.app.recording_organisations(viewer.actor()).await?;
    if orgs.is_empty() {
        return Ok(super::message_page_for(
            viewer,
            "Enregistrer une activité",
            "Votre compte n'est membre d'aucune structure : demandez à un administrateur de vous y rattacher.",
        ));
    }
    let organisation = if orgs.iter().any(|o| o.id == ctx.organisation) {
        ctx.organisation.clone()
    } else {
        orgs[0].id.clone()
    };
    let places: Vec<Choice> = state
        .app
        .places_of(&maillage_search::SearchQuery {
            organisation_id: Some(organisation.clone()),
            ..Default::default()
        })
        .await?
        .into_iter()
        .map(|p| (p.id, format!("{} ({})", p.name, p.commune)))
        .collect();
    let persons: Vec<Choice> = state
        .app
        .persons_of(viewer.actor(), &organisation)
        .await?
        .into_iter()
        .map(|p| (p.id, p.pseudonym))
        .collect();
    let collective = form.kind == "collectif";
    let mut counts = Vec::new();
    if collective {
        for (prefix, list) in [
            ("age-", &form.ages),
            ("genre-", &form.genders),
            ("statut-", &form.statuses),
        ] {
            for item in list {
                if let Some((v, n)) = item.rsplit_once('=') {
                    counts.push((format!("{prefix}{v}"), n.to_string()));
                }
            }
        }
    }
    let mut page = FormPage {
        chrome: Chrome::new("activites", viewer),
        heading: ctx.heading,
        action: ctx.action,
        editing: ctx.editing,
        form,
        notes: ctx.notes,
        notes_visible: ctx.notes_visible,
        organisation,
        organisations: orgs.into_iter().map(|o| (o.id, o.name)).collect(),
        places,
        persons,
        person: ctx.person,
        new_person: ctx.new_person,
        consent: ctx.consent,
        errors,
        kinds: vocab::<ActivityKind>(),
        venues: vocab::<Venue>(),
        themes: vocab::<MediationTheme>(),
        procedure_themes: vocab::<ProcedureTheme>(),
        equipment: vocab::<Equipment>(),
        autonomy: vocab::<Autonomy>(),
        outcomes: vocab::<ProcedureOutcome>(),
        redirections: vocab::<Redirection>(),
        ages: vocab::<AgeBracket>(),
        genders: vocab::<Gender>(),
        statuses: vocab::<SocialStatus>(),
        levels: levels(),
        session: ctx.session,
        referral: ctx.referral,
        counts,
    };
    // Canonical slugs in the form, whatever spelling came in.
    page.form.kind = ActivityKind::parse(&page.form.kind)
        .map(|k| k.slug().to_string())
        .unwrap_or(page.form.kind);
    let status = if page.errors.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut r = render(&page);
    *r.status_mut() = status;
    Ok(r)
}

async fn new_form(
    AxState(state): AxState<State>,
    viewer: Viewer,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    if !viewer.signed_in() {
        return Err(AppError::SignInRequired.into());
    }
    let (asked, _) = Posted::read(query.unwrap_or_default().as_bytes())?;
    let kind = ActivityKind::parse(&asked.kind)
        .unwrap_or(ActivityKind::Individual)
        .slug()
        .to_string();
    let mut organisation = asked.organisation.clone();
    let mut session = String::new();
    let mut heading = match kind.as_str() {
        "collectif" => "Enregistrer un atelier collectif",
        "demarche" => "Enregistrer une aide aux démarches",
        _ => "Enregistrer un accompagnement",
    }
    .to_string();
    let mut form = ActivityForm {
        kind,
        date: today().to_string(),
        duration: "45".into(),
        venue: "lieu-activite".into(),
        ..Default::default()
    };
    // Duplicate: the record's content, today.
    let from = &asked.duplicate_of;
    if !from.is_empty() {
        let a = state.app.activity_for(viewer.actor(), from).await?;
        form = a.activity.to_form();
        form.date = today().to_string();
        form.persons.clear();
        organisation = a.organisation_id;
        heading = "Dupliquer une activité".into();
    }
    // From a held workshop session: attendance and the workshop's details prefilled.
    let workshop = &asked.workshop;
    if !workshop.is_empty() {
        let start = chrono::NaiveDateTime::parse_from_str(&asked.session, "%Y-%m-%dT%H:%M")
            .map_err(|_| AppError::Invalid("séance : date attendue (2026-12-03T14:00)".into()))?;
        if let Some(id) = state
            .app
            .activity_of_session(viewer.actor(), workshop, start)
            .await?
        {
            return Ok(Redirect::to(&format!("/activites/{id}")).into_response());
        }
        let (org, f) = state
            .app
            .form_of_session(viewer.actor(), workshop, start)
            .await?;
        form = f;
        organisation = org;
        session = format!("{workshop}|{}", start.format("%Y-%m-%dT%H:%M"));
        heading = "Compte rendu de la séance".into();
    }
    // From a referral sent: the national category of the structure it went to.
    let to_place = &asked.referred_to;
    if !to_place.is_empty()
        && let Ok(p) = state.app.place(to_place).await
    {
        form.redirection =
            maillage_domain::activity::Redirection::of_typologies(&p.place.typologies)
                .slug()
                .to_string();
    }
    let person = asked.person.clone();
    form_page(
        &state,
        &viewer,
        form,
        FormContext {
            heading,
            action: "/activites/nouvelle".into(),
            editing: None,
            organisation,
            person: if person.is_empty() {
                "anonyme".into()
            } else {
                person
            },
            new_person: String::new(),
            consent: false,
            notes: String::new(),
            notes_visible: true,
            session,
            referral: asked.referral.clone(),
        },
        Vec::new(),
    )
    .await
}

fn session_of(value: &str) -> Option<maillage_domain::activity::WorkshopSession> {
    let (id, start) = value.split_once('|')?;
    Some(maillage_domain::activity::WorkshopSession {
        workshop_id: id.to_string(),
        start: chrono::NaiveDateTime::parse_from_str(start, "%Y-%m-%dT%H:%M").ok()?,
    })
}

async fn create(
    AxState(state): AxState<State>,
    viewer: Viewer,
    body: Bytes,
) -> Result<Response, PageError> {
    let (posted, texts) = Posted::read(&body)?;
    let form = posted.form(&texts);
    let input = RecordInput {
        organisation_id: posted.organisation.clone(),
        form: form.clone(),
        notes: posted.notes.clone(),
        new_person: (posted.person == "nouvelle")
            .then(|| (posted.new_person.clone(), posted.consent)),
        session: session_of(&posted.session),
        referral_id: Some(posted.referral.clone()).filter(|r| !r.is_empty()),
    };
    match state.app.record_activity(viewer.actor(), &input).await? {
        Ok(_) => {
            let next = if posted.next == "encore" {
                format!(
                    "/activites/nouvelle?type={}&structure={}",
                    form.kind, input.organisation_id
                )
            } else {
                "/activites?fait=enregistree".to_string()
            };
            Ok(Redirect::to(&next).into_response())
        }
        Err(errors) => {
            form_page(
                &state,
                &viewer,
                form,
                FormContext {
                    heading: "Enregistrer une activité".into(),
                    action: "/activites/nouvelle".into(),
                    editing: None,
                    organisation: input.organisation_id,
                    person: posted.person,
                    new_person: posted.new_person,
                    consent: posted.consent,
                    notes: input.notes,
                    notes_visible: true,
                    session: posted.session,
                    referral: posted.referral,
                },
                errors
                    .into_iter()
                    .map(|(f, m)| (f.to_string(), m))
                    .collect(),
            )
            .await
        }
    }
}

async fn detail(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let a = state.app.activity_for(viewer.actor(), &id).await?;
    let author = viewer.user.as_ref().map(|u| u.id.clone()) == a.helper_id;
    let form = a.activity.to_form();
    let person = match (a.activity.kind, a.activity.persons.first()) {
        (ActivityKind::Collective, _) | (_, None) => "anonyme".to_string(),
        (_, Some(p)) => p.clone(),
    };
    form_page(
        &state,
        &viewer,
        form,
        FormContext {
            heading: format!("Activité du {}", french::date(a.activity.date)),
            action: format!("/activites/{id}"),
            editing: Some(id.clone()),
            organisation: a.organisation_id,
            person,
            new_person: String::new(),
            consent: false,
            notes: a.notes.unwrap_or_default(),
            notes_visible: author,
            session: String::new(),
            referral: String::new(),
        },
        Vec::new(),
    )
    .await
}

async fn update(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    let (posted, texts) = Posted::read(&body)?;
    let form = posted.form(&texts);
    let notes = posted.notes.clone();
    match state
        .app
        .update_activity(viewer.actor(), &id, &form, &notes)
        .await?
    {
        Ok(()) => Ok(Redirect::to("/activites?fait=modifiee").into_response()),
        Err(errors) => {
            form_page(
                &state,
                &viewer,
                form,
                FormContext {
                    heading: "Modifier l'activité".into(),
                    action: format!("/activites/{id}"),
                    editing: Some(id.clone()),
                    organisation: posted.organisation,
                    person: posted.person,
                    new_person: String::new(),
                    consent: false,
                    notes,
                    notes_visible: true,
                    session: String::new(),
                    referral: String::new(),
                },
                errors
                    .into_iter()
                    .map(|(f, m)| (f.to_string(), m))
                    .collect(),
            )
            .await
        }
    }
}

async fn delete(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    state.app.delete_activity(viewer.actor(), &id).await?;
    Ok(Redirect::to("/activites?fait=supprimee").into_response())
}

async fn profile(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(p): Form<ProfileForm>,
) -> Result<Response, PageError> {
    state
        .app
        .set_profile(
            viewer.actor(),
            &id,
            &p.tranche_age,
            &p.genre,
            &p.statut_social,
            &p.commune_residence,
        )
        .await?;
    Ok(Redirect::to(&format!("/personnes/{id}?profil=1")).into_response())
}

// ----- import -----

#[derive(Template)]
#[template(path = "activity_import.html")]
struct ImportPage {
    chrome: Chrome,
    organisations: Vec<Choice>,
    report: Option<ImportReport>,
    file_name: String,
    error: Option<String>,
}

async fn import_page(
    AxState(state): AxState<State>,
    viewer: Viewer,
) -> Result<Response, PageError> {
    let orgs = state.app.recording_organisations(viewer.actor()).await?;
    Ok(render(&ImportPage {
        chrome: Chrome::new("activites", &viewer),
        organisations: orgs.into_iter().map(|o| (o.id, o.name)).collect(),
        report: None,
        file_name: String::new(),
        error: None,
    }))
}

async fn import_upload(
    AxState(state): AxState<State>,
    viewer: Viewer,
    multipart: Multipart,
) -> Result<Response, PageError> {
    // Who may import is known before the file is read.
    if state
        .app
        .recording_organisations(viewer.actor())
        .await?
        .is_empty()
    {
        return Err(AppError::Forbidden("réservé aux membres d'une structure").into());
    }
    let form =
        crate::upload::read_form(multipart, maillage_app::limits::ACTIVITY_IMPORT_BYTES).await?;
    let asked: ImportAsked = form.typed()?;
    let organisation = asked.structure;
    let valid_only = asked.partial;
    let (file_name, bytes) = match form.file {
        Some(file) if file.name.is_empty() => ("fichier".to_string(), file.content),
        Some(file) => (file.name, file.content),
        None => ("fichier".to_string(), Vec::new()),
    };
    let orgs = state.app.recording_organisations(viewer.actor()).await?;
    let (report, error) = match state
        .app
        .import_activities(
            viewer.actor(),
            &organisation,
            &bytes,
            &file_name,
            valid_only,
        )
        .await
    {
        Ok(r) => (Some(r), None),
        Err(AppError::Invalid(m)) => (None, Some(m)),
        Err(e) => return Err(e.into()),
    };
    let refused = error.is_some()
        || report
            .as_ref()
            .is_some_and(|r| r.written == 0 && r.rows > 0);
    let mut r = render(&ImportPage {
        chrome: Chrome::new("activites", &viewer),
        organisations: orgs.into_iter().map(|o| (o.id, o.name)).collect(),
        report,
        file_name,
        error,
    });
    if refused {
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

fn download(bytes: Vec<u8>, content_type: &'static str, name: &str) -> Response {
    let mut r = bytes.into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The activity import form beside its file: the structure, and `partiel=oui` to import the
/// valid lines when others are not.
#[derive(Deserialize, Default)]
#[serde(default)]
struct ImportAsked {
    structure: String,
    #[serde(rename = "partiel")]
    partial: bool,
}

/// The structure a page is for.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct ForStructure {
    pub(crate) structure: String,
}

async fn template_xlsx(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Query(asked): Query<ForStructure>,
) -> Result<Response, PageError> {
    let orgs = state.app.recording_organisations(viewer.actor()).await?;
    let org = asked.structure;
    let org = orgs
        .iter()
        .find(|o| o.id == org)
        .or(orgs.first())
        .map(|o| o.id.clone())
        .unwrap_or_default();
    let places: Vec<(String, String)> = state
        .app
        .places_of(&maillage_search::SearchQuery {
            organisation_id: Some(org),
            ..Default::default()
        })
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect();
    Ok(download(
        maillage_app::activity::template_xlsx(&places)?,
        XLSX,
        "modele-activites.xlsx",
    ))
}

async fn template_csv() -> Response {
    download(
        maillage_app::activity::template_csv(),
        "text/csv; charset=utf-8",
        "modele-activites.csv",
    )
}

async fn export_csv(
    AxState(state): AxState<State>,
    viewer: Viewer,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    // Every record the filter keeps (no default period for an export).
    let StatsQuery { scope, filter, .. } = input::stats(query.as_deref())?;
    let filter = state
        .app
        .records_filter(viewer.actor(), &scope, filter)
        .await?;
    // Streamed: a page of records at a time goes to the client.
    let body = axum::body::Body::from_stream(state.app.activities_csv_stream(filter));
    let mut r = body.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    r.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"activites.csv\""),
    );
    Ok(r)
}

// ----- statistics -----

/// One bar of a chart and its row of the table.
struct Bar {
    label: String,
    value: String,
    share: String,
}

/// A table of the dashboard: its chart and its data.
struct Panel {
    id: &'static str,
    title: &'static str,
    definition: &'static str,
    svg: String,
    bars: Vec<Bar>,
    empty: bool,
}

pub(crate) fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A horizontal bar chart (SVG) of a table: the chart is an image described by its title; the
/// table that follows it carries the data for screen readers and print.
pub fn bar_chart(t: &Table) -> String {
    let rows: Vec<(String, u64)> = t.rows.iter().map(|r| (r.label.clone(), r.value)).collect();
    bars_svg(t.indicator.id(), t.indicator.title(), &rows)
}

/// Horizontal bars (SVG) for labelled counts; zero rows are left out of the drawing.
pub fn bars_svg(id: &str, title: &str, rows: &[(String, u64)]) -> String {
    let rows: Vec<_> = rows.iter().filter(|(_, v)| *v > 0).collect();
    let max = rows.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    let (width, bar_h, gap, label_w) = (640.0, 22.0, 8.0, 250.0);
    let height = rows.len() as f64 * (bar_h + gap) + gap;
    let mut svg = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-labelledby=\"g-{id}\" preserveAspectRatio=\"xMinYMin meet\"><title id=\"g-{id}\">{title} : graphique, données dans le tableau qui suit</title>",
        id = escape(id),
        title = escape(title)
    );
    for (i, (label, value)) in rows.iter().enumerate() {
        let y = gap + i as f64 * (bar_h + gap);
        let w = ((width - label_w - 70.0) * *value as f64 / max as f64).max(2.0);
        let label: String = label.chars().take(38).collect();
        svg.push_str(&format!(
            "<text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\" class=\"chart-label\">{label}</text><rect x=\"{label_w}\" y=\"{y}\" width=\"{w:.1}\" height=\"{bar_h}\" class=\"chart-bar\"/><text x=\"{vx:.1}\" y=\"{ty}\" class=\"chart-value\">{value}</text>",
            lx = label_w - 8.0,
            ty = y + bar_h * 0.72,
            label = escape(&label),
            vx = label_w + w + 6.0,
            value = french::number(*value as f64),
        ));
    }
    svg.push_str("</svg>");
    svg
}

/// Activities by month as columns (SVG).
pub fn column_chart(t: &Table) -> String {
    let n = t.rows.len().max(1) as f64;
    let max = t.rows.iter().map(|r| r.value).max().unwrap_or(0).max(1);
    let (width, height, base) = (640.0, 220.0, 190.0);
    let col = width / n;
    let mut svg = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-labelledby=\"g-{id}\"><title id=\"g-{id}\">{title} : graphique, données dans le tableau qui suit</title>",
        id = t.indicator.id(),
        title = escape(t.indicator.title())
    );
    for (i, r) in t.rows.iter().enumerate() {
        let h = 160.0 * r.value as f64 / max as f64;
        let x = i as f64 * col;
        svg.push_str(&format!(
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\" class=\"chart-bar\"/><text x=\"{:.1}\" y=\"{height}\" text-anchor=\"middle\" class=\"chart-label\">{}</text>",
            x + col * 0.15,
            base - h,
            col * 0.7,
            x + col / 2.0,
            escape(r.key.get(5..).unwrap_or(&r.key)),
        ));
    }
    svg.push_str("</svg>");
    svg
}

fn panels(stats: &Statistics) -> Vec<Panel> {
    stats
        .tables
        .iter()
        .map(|t| Panel {
            id: t.indicator.id(),
            title: t.indicator.title(),
            definition: t.indicator.definition(),
            svg: if t.indicator == Indicator::ByMonth {
                column_chart(t)
            } else {
                bar_chart(t)
            },
            bars: t
                .rows
                .iter()
                .map(|r| Bar {
                    label: r.label.clone(),
                    value: french::number(r.value as f64),
                    share: format!("{} %", french::number(t.share(r.value))),
                })
                .collect(),
            empty: t.rows.iter().all(|r| r.value == 0),
        })
        .collect()
}

struct FigureView {
    id: &'static str,
    title: &'static str,
    definition: &'static str,
    value: String,
}

fn figures(stats: &Statistics) -> Vec<FigureView> {
    stats
        .figures
        .iter()
        .map(|f| FigureView {
            id: f.indicator.id(),
            title: f.indicator.title(),
            definition: f.indicator.definition(),
            value: french::number(f.value),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "statistics.html")]
struct StatsPage {
    chrome: Chrome,
    heading: String,
    /// « du 1er janvier 2026 au 31 décembre 2026 · Atelier collectif ».
    described: String,
    figures: Vec<FigureView>,
    panels: Vec<Panel>,
    /// The query string of the current filters, for downloads and the report.
    query: String,
    /// Filter form (absent on the printed report and the public page).
    controls: Option<Controls>,
    printable: bool,
    share: Option<ShareBox>,
    generated: String,
}

struct Controls {
    scope: String,
    scopes: Vec<Choice>,
    from: String,
    to: String,
    kinds: Vec<(String, String, bool)>,
    themes: Vec<(String, String, bool)>,
    levels: Vec<(String, String, bool)>,
    communes: String,
    tags: String,
    places: Vec<(String, String, bool)>,
    helpers: Vec<(String, String, bool)>,
    /// The records themselves may be exported (members of every structure in scope).
    records_export: bool,
}

struct ShareBox {
    organisation: String,
    organisation_name: String,
    shared: bool,
}

pub(crate) fn describe(filter: &Filter) -> String {
    let mut parts = Vec::new();
    match (filter.from, filter.to) {
        (Some(f), Some(t)) => parts.push(format!("du {} au {}", french::date(f), french::date(t))),
        (Some(f), None) => parts.push(format!("depuis le {}", french::date(f))),
        (None, Some(t)) => parts.push(format!("jusqu'au {}", french::date(t))),
        (None, None) => parts.push("toute la période".into()),
    }
    if !filter.kinds.is_empty() {
        parts.push(
            filter
                .kinds
                .iter()
                .map(|k| k.label())
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
    if !filter.themes.is_empty() {
        parts.push(
            filter
                .themes
                .iter()
                .map(|k| k.label())
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
    if !filter.levels.is_empty() {
        parts.push(format!(
            "niveau {}",
            filter
                .levels
                .iter()
                .map(|k| k.label())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if !filter.communes.is_empty() {
        parts.push(format!("commune(s) {}", filter.communes.join(", ")));
    }
    if !filter.tags.is_empty() {
        parts.push(format!("étiquette(s) {}", filter.tags.join(", ")));
    }
    parts.join(" · ")
}

fn query_of(scope: &Scope, filter: &Filter) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    s.append_pair("portee", scope.slug());
    for (k, v) in filter.to_pairs() {
        if k != "structure" {
            s.append_pair(k, &v);
        }
    }
    s.finish()
}

async fn stats_for(
    state: &State,
    viewer: &Viewer,
    StatsQuery { scope, filter, .. }: StatsQuery,
) -> Result<(Scope, Filter, Statistics, String), AppError> {
    let heading = match &scope {
        Scope::Mine => "Mes statistiques".to_string(),
        Scope::Organisation(id) => format!(
            "Statistiques de {}",
            state
                .app
                .organisation(id)
                .await?
                .map(|o| o.name)
                .unwrap_or_default()
        ),
        Scope::Territory => "Statistiques du territoire".to_string(),
    };
    let stats = state
        .app
        .statistics(viewer.actor(), &scope, filter.clone())
        .await?;
    Ok((scope, filter, stats, heading))
}

async fn dashboard(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Stats(asked): Stats,
) -> Result<Response, PageError> {
    let (scope, filter, stats, heading) = stats_for(&state, &viewer, asked).await?;
    let actor = viewer.actor().ok_or(AppError::SignInRequired)?;
    let visible = state.app.visible_organisations(Some(actor)).await?;
    let mut scopes = vec![
        ("moi".to_string(), "Mes activités".to_string()),
        (
            "territoire".to_string(),
            if actor.administrator {
                "Tout le réseau".to_string()
            } else {
                "Mes structures et mon territoire".to_string()
            },
        ),
    ];
    scopes.extend(visible.iter().map(|o| (o.id.clone(), o.name.clone())));
    let picked = |list: Vec<Choice>, chosen: &[String]| -> Vec<(String, String, bool)> {
        list.into_iter()
            .map(|(k, l)| {
                let on = chosen.contains(&k);
                (k, l, on)
            })
            .collect()
    };
    let places_table = stats.table(Indicator::Places);
    let helpers_table = stats.table(Indicator::Helpers);
    let entity = |t: Option<&Table>| -> Vec<Choice> {
        t.map(|t| {
            t.rows
                .iter()
                .filter(|r| !r.key.is_empty())
                .map(|r| (r.key.clone(), r.label.clone()))
                .collect()
        })
        .unwrap_or_default()
    };
    let share = match &scope {
        Scope::Organisation(id) if actor.member_of(id, today()) => Some(ShareBox {
            organisation: id.clone(),
            organisation_name: visible
                .iter()
                .find(|o| &o.id == id)
                .map(|o| o.name.clone())
                .unwrap_or_default(),
            shared: state
                .app
                .has_share_link(Some(actor), id, SharePurpose::Statistics)
                .await?,
        }),
        _ => None,
    };
    let records_export = state
        .app
        .records_filter(viewer.actor(), &scope, filter.clone())
        .await
        .is_ok();
    let controls = Controls {
        records_export,
        scope: scope.slug().to_string(),
        scopes,
        from: filter.from.map(|d| d.to_string()).unwrap_or_default(),
        to: filter.to.map(|d| d.to_string()).unwrap_or_default(),
        kinds: picked(
            vocab::<ActivityKind>(),
            &filter
                .kinds
                .iter()
                .map(|k| k.slug().to_string())
                .collect::<Vec<_>>(),
        ),
        themes: picked(
            vocab::<MediationTheme>(),
            &filter
                .themes
                .iter()
                .map(|k| k.slug().to_string())
                .collect::<Vec<_>>(),
        ),
        levels: picked(
            levels(),
            &filter
                .levels
                .iter()
                .map(|k| k.slug().to_string())
                .collect::<Vec<_>>(),
        ),
        communes: filter.communes.join(", "),
        tags: filter.tags.join(", "),
        places: picked(entity(places_table), &filter.places),
        helpers: picked(entity(helpers_table), &filter.helpers),
    };
    Ok(render(&StatsPage {
        chrome: Chrome::new("statistiques", &viewer),
        heading,
        described: describe(&filter),
        figures: figures(&stats),
        panels: panels(&stats),
        query: query_of(&scope, &filter),
        controls: Some(controls),
        printable: false,
        share,
        generated: french::date(today()),
    }))
}

async fn report(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Stats(asked): Stats,
) -> Result<Response, PageError> {
    let (scope, filter, stats, heading) = stats_for(&state, &viewer, asked).await?;
    Ok(render(&StatsPage {
        chrome: Chrome::new("statistiques", &viewer),
        heading: format!(
            "Rapport d'activité — {}",
            heading.trim_start_matches("Statistiques ")
        ),
        described: describe(&filter),
        figures: figures(&stats),
        panels: panels(&stats),
        query: query_of(&scope, &filter),
        controls: None,
        printable: true,
        share: None,
        generated: french::date(today()),
    }))
}

async fn stats_xlsx(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Stats(asked): Stats,
) -> Result<Response, PageError> {
    let (_, filter, stats, heading) = stats_for(&state, &viewer, asked).await?;
    let bytes = maillage_app::activity::statistics_xlsx(
        &stats,
        &format!("{heading} — {}", describe(&filter)),
    )?;
    Ok(download(bytes, XLSX, "statistiques.xlsx"))
}

async fn stats_csv(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Stats(asked): Stats,
) -> Result<Response, PageError> {
    let (_, _, stats, _) = stats_for(&state, &viewer, asked).await?;
    Ok(download(
        maillage_app::activity::statistics_csv(&stats)?,
        "text/csv; charset=utf-8",
        "statistiques.csv",
    ))
}

async fn share(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Form(form): Form<maillage_app::activity::ShareForm>,
) -> Result<Response, PageError> {
    let Some(token) = state
        .app
        .apply_share(viewer.actor(), &form, SharePurpose::Statistics)
        .await?
    else {
        let back = form_urlencoded::Serializer::new(String::from("/statistiques?"))
            .append_pair("portee", &form.organisation)
            .finish();
        return Ok(Redirect::to(&back).into_response());
    };
    let link = format!("{}/statistiques/publiques/{token}", state.app.public_url);
    Ok(super::message_page_for(
        &viewer,
        "Lien public des statistiques",
        &format!(
            "Voici le lien à partager (il ne sera plus affiché) : {link} — il montre les chiffres agrégés de la structure, jamais les données d'une personne ni les noms des intervenants. Un nouveau lien remplace le précédent ; vous pouvez le retirer depuis la page des statistiques."
        ),
    ))
}

async fn public_stats(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(token): Path<String>,
    Stats(asked): Stats,
) -> Result<Response, PageError> {
    // The link's structure only: a scope in the query changes nothing.
    let filter = asked.filter;
    let (org, stats) = state.app.shared_statistics(&token, filter.clone()).await?;
    let mut r = render(&StatsPage {
        chrome: Chrome::new("", &viewer),
        heading: format!("Activité de {}", org.name),
        described: describe(&filter),
        figures: figures(&stats),
        panels: panels(&stats),
        query: String::new(),
        controls: None,
        printable: false,
        share: None,
        generated: french::date(today()),
    });
    r.headers_mut().insert(
        header::HeaderName::from_static("x-robots-tag"),
        HeaderValue::from_static("noindex"),
    );
    Ok(r)
}
