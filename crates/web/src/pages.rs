//! HTML pages. Every page works without JavaScript; forms post back and show their errors inline.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Multipart, Path, State as AxState};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{Datelike, Utc};
use maillage_app::NewUser;
use maillage_domain::french;
use maillage_domain::hours::{HoursCheck, check_hours, monday_of, timezone_of_departement};
use maillage_domain::place::Place;
use maillage_domain::policy::{Action, Membership, TerritoryUnit, authorize};
use maillage_domain::vocab::{
    AccessMode, Fee, InterventionDomain, MediationForm, Mobility, NationalProgramme, Public,
    Service, SpecificSupport, SupportMode, Vocabulary,
};
use maillage_standard::ExportFormat;

use crate::auth::{self, Viewer};
use crate::kit::input::{self, Form, Query, Raw};
use crate::{AppError, ErrorKind, PageError, State};
use maillage_app::directory::{Choice, Group, PlaceQuery, PlaceSearch};
use maillage_app::{allow, location_of, today};

mod account;
mod activity;
mod booklet;
mod campaigns;
mod diagnostic;
mod duplicates;
mod impact;
mod jobs;
mod map;
pub(crate) mod orientation;
mod quality;
mod referrals;
mod reports;
pub(crate) mod resources;
mod slip;
mod watch;
pub(crate) mod workshops;

/// What the layout needs on every page.
pub struct Chrome {
    pub nav: &'static str,
    pub viewer_name: Option<String>,
    pub viewer_admin: bool,
    /// Coordinators (and administrators) see the review of duplicates.
    pub viewer_coordinator: bool,
}

impl Chrome {
    fn new(nav: &'static str, viewer: &Viewer) -> Self {
        Chrome {
            nav,
            viewer_name: viewer.user.as_ref().map(|u| u.display_name.clone()),
            viewer_admin: viewer.actor.as_ref().is_some_and(|a| a.administrator),
            viewer_coordinator: viewer
                .actor
                .as_ref()
                .is_some_and(|a| a.administrator || a.is_coordinator()),
        }
    }
}

fn render(t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!("gabarit : {e}");
            (StatusCode::INTERNAL_SERVER_ERROR, "Erreur d'affichage").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    chrome: Chrome,
    heading: String,
    paragraphs: Vec<String>,
}

/// A page with a heading and a message, in the viewer's chrome.
pub(crate) fn message_page_for(viewer: &Viewer, heading: &str, message: &str) -> Response {
    render(&MessagePage {
        chrome: Chrome::new("", viewer),
        heading: heading.into(),
        paragraphs: vec![message.to_string()],
    })
}

/// A page with a heading and a message (errors, information).
pub fn message_page(status: StatusCode, message: &str) -> Response {
    let heading = match status {
        StatusCode::NOT_FOUND => "Page introuvable",
        StatusCode::UNAUTHORIZED => "Connexion nécessaire",
        StatusCode::FORBIDDEN => "Accès refusé",
        StatusCode::GONE => "Lien plus valable",
        s if s.is_client_error() => "Demande incorrecte",
        s if s.is_server_error() => "Erreur",
        _ => "Information",
    };
    let mut response = render(&MessagePage {
        chrome: Chrome {
            nav: "",
            viewer_name: None,
            viewer_admin: false,
            viewer_coordinator: false,
        },
        heading: heading.into(),
        paragraphs: vec![message.to_string()],
    });
    *response.status_mut() = status;
    response
}

pub fn routes() -> Router<State> {
    Router::new()
        .route("/", get(search))
        .route("/lieux/nouveau", get(new_place_form).post(create_place))
        .route("/lieux/{id}", get(place_page))
        .route(
            "/lieux/{id}/modifier",
            get(edit_place_form).post(update_place),
        )
        .route("/lieux/{id}/supprimer", post(delete_place))
        .route("/lieux/{id}/confirmer", post(confirm_place))
        .route("/connexion", get(login_form).post(login))
        .route("/deconnexion", post(logout))
        .route(
            "/import",
            get(import_page)
                .post(import_upload)
                .layer(axum::extract::DefaultBodyLimit::max(
                    maillage_app::limits::IMPORT_BYTES,
                )),
        )
        .route("/export", get(export))
        .route("/admin", get(admin_page))
        .route("/admin/comptes", post(admin_create_user))
        .route("/admin/structures", post(admin_create_organisation))
        .merge(account::routes())
        .merge(activity::routes())
        .merge(impact::routes())
        .merge(booklet::routes())
        .merge(campaigns::routes())
        .merge(diagnostic::routes())
        .merge(jobs::routes())
        .merge(duplicates::routes())
        .merge(quality::routes())
        .merge(reports::routes())
        .merge(slip::routes())
        .merge(map::routes())
        .merge(workshops::routes())
        .merge(resources::routes())
        .merge(watch::routes())
        .merge(orientation::routes())
        .merge(referrals::routes())
        .route("/static/maillage.css", get(stylesheet))
        .route("/accessibilite", get(accessibility))
        .route("/donnees-personnelles", get(privacy))
        .fallback(not_found)
}

async fn not_found() -> Response {
    message_page(
        StatusCode::NOT_FOUND,
        "Cette adresse ne correspond à aucune page de Maillage.",
    )
}

async fn stylesheet() -> Response {
    (
        [
            (
                CONTENT_TYPE,
                HeaderValue::from_static("text/css; charset=utf-8"),
            ),
            (
                axum::http::header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        include_str!("../static/maillage.css"),
    )
        .into_response()
}

async fn accessibility(viewer: Viewer) -> Response {
    render(&MessagePage {
        chrome: Chrome::new("", &viewer),
        heading: "Accessibilité".into(),
        paragraphs: vec![
            "Maillage vise la conformité au RGAA 4.1 (WCAG 2.1 niveau AA). Chaque page est vérifiée automatiquement avec axe-core et au clavier à chaque modification du code.".into(),
            "Toutes les fonctions essentielles marchent sans JavaScript, sur un écran de 320 pixels de large, et s'impriment.".into(),
            "Un problème d'accès ? Signalez-le à la coordination de votre réseau : nous répondons sous 15 jours.".into(),
        ],
    })
}

async fn privacy(viewer: Viewer) -> Response {
    render(&MessagePage {
        chrome: Chrome::new("", &viewer),
        heading: "Données personnelles".into(),
        paragraphs: vec![
            "L'annuaire décrit des lieux et des structures, pas des personnes. Les seules données personnelles sont celles des comptes des membres du réseau (nom, adresse électronique) et, facultativement, le nom du référent d'un lieu, visible des seuls membres connectés.".into(),
            "Les mots de passe ne sont jamais conservés : seule une empreinte (argon2) l'est. Une session n'est conservée que par l'empreinte de son jeton ; elle expire après 10 heures et les sessions expirées sont purgées chaque heure. Depuis « Mon compte », vous changez votre mot de passe et fermez vos sessions sur tous vos appareils ; le lien « mot de passe oublié » vaut une heure et une seule fois. Aucune donnée personnelle ni aucun texte écrit par d'autres n'est écrit dans les journaux.".into(),
            "Quand vous signalez une erreur sur une fiche, vous pouvez laisser votre adresse électronique pour être prévenu de la correction : elle ne sert qu'à cela, n'est visible de personne, et est effacée automatiquement 30 jours après le traitement du signalement.".into(),
            "Pour les campagnes de mise à jour, Maillage écrit à l'adresse du référent d'un lieu (à défaut, à l'adresse publique du lieu). Le lien envoyé est personnel ; seule son empreinte est conservée. L'adresse utilisée est effacée 30 jours après la clôture de la campagne.".into(),
            "Un diagnostic numérique est anonyme par défaut : au plus une tranche d'âge. Passé seul, sans compte, il se reprend avec un code dont seule l'empreinte est conservée ; les réponses en cours sont effacées après 30 jours. Une personne n'est suivie par une structure qu'avec son accord (un prénom ou un pseudonyme, un contact si elle le souhaite) ; seuls les membres de cette structure y ont accès, et ses données sont effacées 2 ans après son dernier passage, ou à sa demande. Elle peut aussi demander à les recevoir (export).".into(),
            "Pour s'inscrire à un atelier, un prénom ou un pseudonyme suffit ; le contact (téléphone ou courriel) est facultatif et sert à confirmer, rappeler ou prévenir d'une place libérée. Les inscriptions sont effacées 90 jours après l'atelier.".into(),
            "La veille par courriel utilise l'adresse de votre compte (elle n'est pas recopiée) et la liste des plateformes que vous suivez ; le désabonnement efface l'abonnement. Maillage note quelles nouvelles vous ont été envoyées pour ne pas les renvoyer, et l'oublie après 90 jours.".into(),
            "Pour orienter une personne, ce que l'aidant indique (demande, niveau, commune, disponibilités, besoins) sert à chercher les lieux et n'est enregistré nulle part. La fiche pour la personne peut lui être envoyée par courriel si elle le souhaite : l'adresse sert à cet envoi et n'est pas conservée.".into(),
            "Une orientation transmise à une structure partenaire ne part qu'avec l'accord de la personne (oral, confirmé par l'aidant, ou donné par elle-même avec un lien). Seuls un prénom ou un pseudonyme, le contact qu'elle choisit, sa demande, son niveau et une courte note sont transmis, visibles des seules deux structures. Si elle retire son accord, ce qui a été transmis est effacé des deux côtés ; sinon ses données le sont 12 mois après la fin de son parcours, ou 12 mois après le dernier changement d'un parcours resté ouvert. Les coordinateurs ne voient que des chiffres agrégés.".into(),
            "Les notes d'un compte rendu d'activité ne sont lues que par leur auteur, y compris dans l'export des données d'une personne. Quand une personne suivie est effacée, les notes et les textes libres des comptes rendus qui la concernaient seule le sont aussi ; les chiffres restent, sans elle. Un lien public vers les statistiques d'une structure ne montre qu'une période d'au moins quatre semaines et regroupe tout effectif de moins de cinq personnes.".into(),
            "Une ressource proposée garde le nom de la structure et du compte qui l'ont proposée, pour la relecture. Le vérificateur de liens n'envoie aux sites que l'adresse de la page, sans aucune donnée de personne.".into(),
            "Pour consulter, exporter ou effacer vos données, adressez-vous à l'administrateur de votre réseau.".into(),
        ],
    })
}

// ----- search -----

struct ResultRow {
    id: String,
    name: String,
    address: String,
    postcode: String,
    commune: String,
    distance: Option<String>,
    open: Option<bool>,
    open_when: &'static str,
    services: String,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    chrome: Chrome,
    p: PlaceSearch,
    total: usize,
    pages: usize,
    results: Vec<ResultRow>,
    typologies: Vec<(String, String)>,
    exports: Vec<(&'static str, &'static str)>,
}

pub fn format_distance(m: f64) -> String {
    if m < 1000.0 {
        format!("{} m", (m / 10.0).round() * 10.0)
    } else {
        format!("{:.1} km", m / 1000.0).replace('.', ",")
    }
}

pub(crate) fn vocab_labels<V: Vocabulary>(values: &[V]) -> String {
    values
        .iter()
        .map(|v| v.label())
        .collect::<Vec<_>>()
        .join(" · ")
}

async fn search(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Query(asked): Query<PlaceQuery>,
) -> Result<Response, PageError> {
    let p = state.app.place_search(&asked);
    let results = state.app.search(&p.query).await?;
    let mut rows = Vec::new();
    for (hit, stored) in state.app.places_of_hits(&results.hits).await? {
        let place = stored.place;
        rows.push(ResultRow {
            id: place.id.clone(),
            name: place.name.clone(),
            address: place.address.clone(),
            postcode: place.postcode.clone(),
            commune: place.commune.clone(),
            distance: hit.distance_m.map(format_distance),
            open: hit.open,
            open_when: if p.open_now {
                "maintenant"
            } else {
                "à l'heure demandée"
            },
            services: vocab_labels(&place.services),
        });
    }
    let pages = results.total.div_ceil(20).max(1);
    Ok(render(&SearchPage {
        chrome: Chrome::new("recherche", &viewer),
        total: results.total,
        pages,
        results: rows,
        typologies: state
            .app
            .typologies
            .iter()
            .map(|(c, l)| (c.to_string(), l.to_string()))
            .collect(),
        exports: ExportFormat::ALL
            .iter()
            .map(|f| (f.slug(), f.label()))
            .collect(),
        p,
    }))
}

// ----- place page -----

#[derive(Template)]
#[template(path = "place.html")]
struct PlacePage {
    chrome: Chrome,
    place: Place,
    phone: Option<String>,
    open_now: Option<bool>,
    week: Vec<(bool, String, String)>,
    week_label: String,
    offer: Vec<(&'static str, String)>,
    map_link: Option<String>,
    updated: String,
    /// Freshness of the page ("à jour", "ancienne : à vérifier"…) and its completeness.
    freshness: &'static str,
    stale: bool,
    completeness: maillage_domain::freshness::Completeness,
    can_edit: bool,
    signed_in: bool,
    organisation: Option<String>,
    source: Option<String>,
}

/// The place's local date, whether it is open now, and its weekly hours table (day is today,
/// day label, French text).
type Week = Vec<(bool, String, String)>;

fn weekly_hours(place: &Place) -> (chrono::NaiveDate, Option<bool>, Week) {
    let tz = timezone_of_departement(place.departement().as_deref().unwrap_or("75"));
    let local_today = Utc::now().with_timezone(&tz).date_naive();
    let (open_now, week) = match place
        .opening_hours
        .as_deref()
        .filter(|_| place.opening_hours_valid)
        .map(check_hours)
    {
        Some(HoursCheck::Valid(h)) | Some(HoursCheck::Repaired { hours: h, .. }) => {
            let week = h
                .week(monday_of(local_today))
                .into_iter()
                .map(|d| {
                    let mut text = if d.unknown {
                        "horaires non précisés".to_string()
                    } else if d.ranges.is_empty() {
                        "fermé".to_string()
                    } else {
                        d.ranges.join(", ")
                    };
                    if d.public_holiday {
                        text.push_str(" (jour férié)");
                    }
                    if let Some(c) = d.comment {
                        text.push_str(&format!(" — {c}"));
                    }
                    (
                        d.date == local_today,
                        format!("{} {}", d.day_name, d.date.day()),
                        text,
                    )
                })
                .collect();
            (h.is_open_now(Utc::now(), tz), week)
        }
        _ => (None, Vec::new()),
    };
    (local_today, open_now, week)
}

async fn place_page(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let stored = state.app.place(&id).await?;
    let place = stored.place;
    let (local_today, open_now, week) = weekly_hours(&place);
    let mut offer: Vec<(&'static str, String)> = Vec::new();
    let mut add = |label: &'static str, text: String| {
        if !text.is_empty() {
            offer.push((label, text));
        }
    };
    add("Services", vocab_labels(&place.services));
    add(
        "Formes de médiation",
        vocab_labels(&place.extras.mediation_forms),
    );
    add(
        "Domaines d'intervention",
        vocab_labels(&place.extras.intervention_domains),
    );
    add("Publics", vocab_labels(&place.publics));
    add(
        "Prises en charge spécifiques",
        vocab_labels(&place.specific_support),
    );
    add("Frais", vocab_labels(&place.fees));
    add(
        "Contribution demandée",
        place.extras.contribution.clone().unwrap_or_default(),
    );
    add("Modalités d'accès", vocab_labels(&place.access_modes));
    add("Accompagnement", vocab_labels(&place.support_modes));
    add(
        "Conditions d'accès",
        place.extras.access_conditions.clone().unwrap_or_default(),
    );
    add("Limites", place.extras.limits.clone().unwrap_or_default());
    add(
        "Dispositifs nationaux",
        vocab_labels(&place.national_programmes),
    );
    add("Formations et labels", vocab_labels(&place.training_labels));
    add(
        "Autres labels",
        place.other_labels.clone().unwrap_or_default(),
    );
    add("Itinérance", vocab_labels(&place.mobility));
    add(
        "Type de structure",
        place
            .typologies
            .iter()
            .map(|t| state.app.typologies.label(t).unwrap_or(t).to_string())
            .collect::<Vec<_>>()
            .join(" · "),
    );
    let can_edit = authorize(
        viewer.actor(),
        &Action::UpdatePlace(location_of(&place, stored.organisation_id.as_deref())),
        today(),
    )
    .is_allowed();
    let organisation = match &stored.organisation_id {
        Some(o) if maillage_app::sees_helpers_part(viewer.actor()) => {
            state.app.organisation(o).await?.map(|o| o.name)
        }
        _ => None,
    };
    Ok(render(&PlacePage {
        chrome: Chrome::new("", &viewer),
        phone: place
            .phone
            .as_deref()
            .map(maillage_domain::fields::phone_national),
        open_now,
        week,
        week_label: french::date(monday_of(local_today)),
        offer,
        map_link: place.location.map(|l| {
            format!(
                "https://www.openstreetmap.org/?mlat={:.5}&mlon={:.5}#map=17/{:.5}/{:.5}",
                l.lat, l.lon, l.lat, l.lon
            )
        }),
        updated: french::date(place.updated_on),
        freshness: maillage_domain::freshness::freshness(place.updated_on, local_today).label(),
        stale: maillage_domain::freshness::freshness(place.updated_on, local_today)
            == maillage_domain::freshness::Freshness::Stale,
        completeness: maillage_domain::freshness::completeness(&place),
        can_edit,
        signed_in: maillage_app::sees_helpers_part(viewer.actor()),
        organisation,
        source: stored
            .source
            .filter(|_| maillage_app::sees_helpers_part(viewer.actor())),
        place,
    }))
}

// ----- sign-in -----

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    error: Option<String>,
    email: String,
}

async fn login_form(viewer: Viewer) -> Response {
    render(&LoginPage {
        chrome: Chrome::new("connexion", &viewer),
        error: None,
        email: String::new(),
    })
}

/// The sign-in form (the password as typed).
#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct SignIn {
    email: String,
    password: Raw,
}

async fn login(
    AxState(state): AxState<State>,
    client: auth::Client,
    Form(signing_in): Form<SignIn>,
) -> Result<Response, PageError> {
    let email = signing_in.email.to_lowercase();
    let password = signing_in.password.0;
    let account = format!("compte:{email}");
    let viewer = Viewer::default();
    let wait = state.limits.login.wait(client.key(), &account);
    if !wait.is_zero() {
        let mut r = render(&LoginPage {
            chrome: Chrome::new("connexion", &viewer),
            error: Some(format!(
                "Trop de tentatives de connexion. Attendez {} avant de réessayer.",
                french::duration(wait)
            )),
            email,
        });
        *r.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        if let Ok(v) = HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
            r.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
        }
        return Ok(r);
    }
    match state.app.sign_in(&email, &password).await? {
        Some(user) => {
            state.limits.login.succeeded(client.key(), &account);
            let cookie = auth::open_session(&state, &user.id).await?;
            let mut r = Redirect::to("/").into_response();
            r.headers_mut().insert(SET_COOKIE, cookie);
            Ok(r)
        }
        None => {
            state.limits.login.failed(client.key(), &account);
            let mut r = render(&LoginPage {
                chrome: Chrome::new("connexion", &viewer),
                error: Some("Adresse électronique ou mot de passe incorrect.".into()),
                email,
            });
            *r.status_mut() = StatusCode::UNAUTHORIZED;
            Ok(r)
        }
    }
}

async fn logout(AxState(state): AxState<State>, viewer: Viewer) -> Result<Response, PageError> {
    if let Some(id) = &viewer.session_id {
        state.app.sign_out(id).await?;
    }
    let (name, value) = auth::clear_cookie(&state);
    let mut r = Redirect::to("/").into_response();
    r.headers_mut().insert(name, value);
    Ok(r)
}

// ----- create / edit -----

struct FormField {
    name: &'static str,
    label: &'static str,
    value: String,
    required: bool,
    multiline: bool,
    hint: Option<&'static str>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "place_form.html")]
struct PlaceForm {
    chrome: Chrome,
    creating: bool,
    /// Through a campaign's personal link.
    by_link: bool,
    id: String,
    heading: String,
    action: String,
    cancel: String,
    errors: Vec<(String, String)>,
    fields: Vec<FormField>,
    groups: Vec<Group>,
    organisations: Vec<(String, String)>,
    organisation: String,
    step_free: bool,
}

/// Text fields of the form: (form name = standard field, label, required, multiline, hint).
const TEXT_FIELDS: &[(&str, &str, bool, bool, Option<&str>)] = &[
    ("nom", "Nom du lieu", true, false, None),
    ("adresse", "Adresse", true, false, Some("Numéro et voie.")),
    (
        "complement_adresse",
        "Complément d'adresse",
        false,
        false,
        None,
    ),
    ("code_postal", "Code postal", true, false, None),
    ("commune", "Commune", true, false, None),
    (
        "telephone",
        "Téléphone",
        false,
        false,
        Some("Un numéro ; il sera enregistré au format international."),
    ),
    (
        "courriels",
        "Courriel",
        false,
        false,
        Some("Plusieurs adresses : séparez-les par « | »."),
    ),
    ("site_web", "Site web", false, false, None),
    (
        "horaires",
        "Horaires (format OpenStreetMap)",
        false,
        false,
        Some("Exemple : Mo-Fr 09:00-12:00,14:00-17:00; Sa 09:00-12:00; PH off"),
    ),
    (
        "presentation_resume",
        "Présentation courte",
        false,
        true,
        Some("280 caractères au plus."),
    ),
    (
        "presentation_detail",
        "Présentation détaillée",
        false,
        true,
        None,
    ),
    (
        "typologie",
        "Type de structure (codes)",
        false,
        false,
        Some("Codes du référentiel, séparés par « | » : BIB, CCAS, CS, ASSO…"),
    ),
    (
        "prise_rdv",
        "Lien de prise de rendez-vous",
        false,
        false,
        None,
    ),
    ("fiche_acces_libre", "Fiche Accès libre", false, false, None),
    (
        "limites",
        "Limites de l'intervention",
        false,
        true,
        Some("Ce que la structure ne fait pas (ex. : « n'intervient pas sur le budget »)."),
    ),
    (
        "conditions",
        "Conditions d'accès (texte libre)",
        false,
        true,
        None,
    ),
    (
        "contribution",
        "Contribution demandée",
        false,
        false,
        Some("Ex. : « adhésion 5 € / an »."),
    ),
];

fn choice_group<V: Vocabulary>(key: &'static str, legend: &'static str, selected: &[V]) -> Group {
    Group {
        key,
        legend,
        choices: V::ALL
            .iter()
            .map(|v| Choice {
                slug: v.slug(),
                label: v.label(),
                checked: selected.contains(v),
            })
            .collect(),
    }
}

fn slugs<V: Vocabulary>(values: &[String]) -> Vec<V> {
    values.iter().filter_map(|v| V::from_slug(v)).collect()
}

/// The place form as posted (or as shown): the standard's text fields by their names ([`TEXT_FIELDS`]),
/// the vocabularies' slugs, step-free access and the structure.
#[derive(Debug, Clone, Default)]
pub(crate) struct PlaceInput {
    /// Text fields of [`TEXT_FIELDS`], by name.
    pub(crate) texts: std::collections::BTreeMap<String, String>,
    pub(crate) lists: PlaceLists,
}

/// The place form's boxes and its structure.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub(crate) struct PlaceLists {
    service: Vec<String>,
    public: Vec<String>,
    prise_en_charge: Vec<String>,
    frais: Vec<String>,
    acces: Vec<String>,
    accompagnement: Vec<String>,
    dispositif: Vec<String>,
    itinerance: Vec<String>,
    forme: Vec<String>,
    domaine: Vec<String>,
    plain_pied: bool,
    pub(crate) organisation: String,
}

impl PlaceInput {
    /// From a form body: the texts of [`TEXT_FIELDS`] only.
    pub(crate) fn read(body: &[u8]) -> Result<Self, AppError> {
        let mut texts: std::collections::BTreeMap<String, String> = input::form(body)?;
        texts.retain(|k, _| TEXT_FIELDS.iter().any(|(name, ..)| name == k));
        Ok(PlaceInput {
            texts,
            lists: input::form(body)?,
        })
    }

    fn text(&self, name: &str) -> String {
        self.texts.get(name).cloned().unwrap_or_default()
    }

    fn given(&self, name: &str) -> Option<String> {
        Some(self.text(name)).filter(|s| !s.is_empty())
    }
}

fn join_labels<V: Vocabulary>(values: &[V]) -> Option<String> {
    (!values.is_empty()).then(|| {
        values
            .iter()
            .map(|v| v.label())
            .collect::<Vec<_>>()
            .join("|")
    })
}

/// The place's current values, in the form's shape.
pub(crate) fn form_values(place: &Place, organisation: Option<String>) -> PlaceInput {
    let raw = place.to_raw();
    let mut texts: std::collections::BTreeMap<String, String> = TEXT_FIELDS
        .iter()
        .filter_map(|(name, ..)| raw.get(name).map(|v| (name.to_string(), v.to_string())))
        .collect();
    for (k, v) in [
        ("limites", &place.extras.limits),
        ("conditions", &place.extras.access_conditions),
        ("contribution", &place.extras.contribution),
    ] {
        if let Some(v) = v {
            texts.insert(k.into(), v.clone());
        }
    }
    fn slugs_of<V: Vocabulary>(values: &[V]) -> Vec<String> {
        values.iter().map(|v| v.slug().to_string()).collect()
    }
    PlaceInput {
        texts,
        lists: PlaceLists {
            service: slugs_of(&place.services),
            public: slugs_of(&place.publics),
            prise_en_charge: slugs_of(&place.specific_support),
            frais: slugs_of(&place.fees),
            acces: slugs_of(&place.access_modes),
            accompagnement: slugs_of(&place.support_modes),
            dispositif: slugs_of(&place.national_programmes),
            itinerance: slugs_of(&place.mobility),
            forme: slugs_of(&place.extras.mediation_forms),
            domaine: slugs_of(&place.extras.intervention_domains),
            plain_pied: place.extras.step_free_access == Some(true),
            organisation: organisation.unwrap_or_default(),
        },
    }
}

/// Validates the form through the standard's rules; the place keeps what the form does not
/// carry (coordinates, labels, referent) from `base`.
pub(crate) fn place_from_form(
    state: &State,
    form: &PlaceInput,
    base: Option<&Place>,
    id: &str,
) -> (Option<Place>, Vec<(String, String)>) {
    let mut raw = base.map(Place::to_raw).unwrap_or_default();
    for (name, ..) in TEXT_FIELDS {
        raw.set(name, form.text(name));
    }
    let l = &form.lists;
    raw.services = join_labels(&slugs::<Service>(&l.service));
    raw.publics_specifiquement_adresses = join_labels(&slugs::<Public>(&l.public));
    raw.prise_en_charge_specifique = join_labels(&slugs::<SpecificSupport>(&l.prise_en_charge));
    raw.frais_a_charge = join_labels(&slugs::<Fee>(&l.frais));
    raw.modalites_acces = join_labels(&slugs::<AccessMode>(&l.acces));
    raw.modalites_accompagnement = join_labels(&slugs::<SupportMode>(&l.accompagnement));
    raw.dispositif_programmes_nationaux = join_labels(&slugs::<NationalProgramme>(&l.dispositif));
    raw.itinerance = join_labels(&slugs::<Mobility>(&l.itinerance));
    raw.date_maj = Some(today().to_string());
    if raw.pivot.is_none() {
        raw.pivot = Some(maillage_domain::fields::UNKNOWN_PIVOT.into());
    }
    let (place, validation) = raw.validate(id, &state.app.validation_context());
    let errors: Vec<(String, String)> = validation
        .errors
        .iter()
        .map(|e| {
            let label = TEXT_FIELDS
                .iter()
                .find(|(n, ..)| *n == e.field)
                .map(|(_, l, ..)| *l)
                .unwrap_or(e.field.as_str());
            (e.field.clone(), format!("{label} : {}", e.reason))
        })
        .collect();
    let place = place.map(|mut p| {
        p.extras = base.map(|b| b.extras.clone()).unwrap_or_default();
        p.extras.mediation_forms = slugs::<MediationForm>(&l.forme);
        p.extras.intervention_domains = slugs::<InterventionDomain>(&l.domaine);
        p.extras.limits = form.given("limites");
        p.extras.access_conditions = form.given("conditions");
        p.extras.contribution = form.given("contribution");
        p.extras.step_free_access = Some(l.plain_pied);
        p
    });
    (place, errors)
}

/// Who fills the place form: a signed-in user creating or editing, or a referent through a
/// campaign's personal link (no account: no choice of structure, no deletion).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FormMode<'a> {
    Create,
    Edit,
    Link(&'a str),
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn form_page(
    state: &State,
    viewer: &Viewer,
    mode: FormMode<'_>,
    id: &str,
    heading: &str,
    form: &PlaceInput,
    errors: Vec<(String, String)>,
) -> Result<Response, PageError> {
    let organisation = form.lists.organisation.clone();
    let l = &form.lists;
    let fields = TEXT_FIELDS
        .iter()
        .map(|(name, label, required, multiline, hint)| FormField {
            name,
            label,
            value: form.text(name),
            required: *required,
            multiline: *multiline,
            hint: *hint,
            error: errors
                .iter()
                .find(|(f, _)| f == name)
                .map(|(_, m)| m.clone()),
        })
        .collect();
    let groups = vec![
        choice_group(
            "service",
            "Services (standard)",
            &slugs::<Service>(&l.service),
        ),
        choice_group(
            "forme",
            "Formes de médiation",
            &slugs::<MediationForm>(&l.forme),
        ),
        choice_group(
            "domaine",
            "Domaines d'intervention",
            &slugs::<InterventionDomain>(&l.domaine),
        ),
        choice_group(
            "public",
            "Publics spécifiquement adressés",
            &slugs::<Public>(&l.public),
        ),
        choice_group(
            "prise_en_charge",
            "Prises en charge spécifiques",
            &slugs::<SpecificSupport>(&l.prise_en_charge),
        ),
        choice_group("frais", "Frais à charge", &slugs::<Fee>(&l.frais)),
        choice_group("acces", "Modalités d'accès", &slugs::<AccessMode>(&l.acces)),
        choice_group(
            "accompagnement",
            "Modalités d'accompagnement",
            &slugs::<SupportMode>(&l.accompagnement),
        ),
        choice_group(
            "dispositif",
            "Dispositifs nationaux",
            &slugs::<NationalProgramme>(&l.dispositif),
        ),
        choice_group(
            "itinerance",
            "Itinérance",
            &slugs::<Mobility>(&l.itinerance),
        ),
    ];
    // A helper picks among their organisations; coordinators and administrators among all.
    let organisations = if matches!(mode, FormMode::Link(_)) {
        Vec::new()
    } else {
        let actor = viewer.actor();
        state
            .app
            .organisations()
            .await?
            .into_iter()
            .filter(|o| {
                actor.is_some_and(|a| {
                    a.administrator
                        || a.is_coordinator()
                        || a.memberships
                            .iter()
                            .any(|m| m.organisation_id == o.id && m.in_force(today()))
                })
            })
            .map(|o| (o.id, o.name))
            .collect()
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let (action, cancel) = match mode {
        FormMode::Create => ("/lieux/nouveau".to_string(), "/".to_string()),
        FormMode::Edit => (format!("/lieux/{id}/modifier"), format!("/lieux/{id}")),
        FormMode::Link(token) => (
            format!("/mise-a-jour/{token}/corriger"),
            format!("/mise-a-jour/{token}"),
        ),
    };
    let mut r = render(&PlaceForm {
        chrome: Chrome::new(
            if mode == FormMode::Create {
                "nouveau"
            } else {
                ""
            },
            viewer,
        ),
        creating: mode == FormMode::Create,
        by_link: matches!(mode, FormMode::Link(_)),
        id: id.to_string(),
        heading: heading.to_string(),
        action,
        cancel,
        errors,
        fields,
        groups,
        organisations,
        organisation,
        step_free: l.plain_pied,
    });
    *r.status_mut() = status;
    Ok(r)
}

fn require_signed_in(viewer: &Viewer) -> Result<(), AppError> {
    if viewer.signed_in() {
        Ok(())
    } else {
        Err(AppError::SignInRequired)
    }
}

async fn new_place_form(
    AxState(state): AxState<State>,
    viewer: Viewer,
) -> Result<Response, PageError> {
    require_signed_in(&viewer)?;
    let org = viewer
        .actor()
        .and_then(|a| a.memberships.iter().find(|m| m.in_force(today())))
        .map(|m| m.organisation_id.clone())
        .unwrap_or_default();
    let mut form = PlaceInput::default();
    form.lists.organisation = org;
    form_page(&state, &viewer, FormMode::Create, "", "", &form, Vec::new()).await
}

async fn create_place(
    AxState(state): AxState<State>,
    viewer: Viewer,
    body: Bytes,
) -> Result<Response, PageError> {
    require_signed_in(&viewer)?;
    let form = PlaceInput::read(&body)?;
    let organisation = form.lists.organisation.clone();
    let (place, errors) = place_from_form(&state, &form, None, "");
    match place {
        Some(place) => {
            let id = state
                .app
                .create_place(
                    viewer.actor(),
                    place,
                    Some(organisation.as_str()).filter(|o| !o.is_empty()),
                )
                .await?;
            Ok(Redirect::to(&format!("/lieux/{id}")).into_response())
        }
        None => form_page(&state, &viewer, FormMode::Create, "", "", &form, errors).await,
    }
}

async fn edit_place_form(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    require_signed_in(&viewer)?;
    let stored = state.app.place(&id).await?;
    allow(authorize(
        viewer.actor(),
        &Action::UpdatePlace(location_of(
            &stored.place,
            stored.organisation_id.as_deref(),
        )),
        today(),
    ))?;
    let form = form_values(&stored.place, stored.organisation_id.clone());
    form_page(
        &state,
        &viewer,
        FormMode::Edit,
        &id,
        &stored.place.name,
        &form,
        Vec::new(),
    )
    .await
}

async fn update_place(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    require_signed_in(&viewer)?;
    let stored = state.app.place(&id).await?;
    let form = PlaceInput::read(&body)?;
    let organisation = form.lists.organisation.clone();
    let (place, errors) = place_from_form(&state, &form, Some(&stored.place), &id);
    match place {
        Some(place) => {
            state
                .app
                .update_place(
                    viewer.actor(),
                    place,
                    Some(organisation.as_str()).filter(|o| !o.is_empty()),
                )
                .await?;
            Ok(Redirect::to(&format!("/lieux/{id}")).into_response())
        }
        None => {
            form_page(
                &state,
                &viewer,
                FormMode::Edit,
                &id,
                &stored.place.name,
                &form,
                errors,
            )
            .await
        }
    }
}

async fn confirm_place(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    require_signed_in(&viewer)?;
    state.app.confirm_place(viewer.actor(), &id).await?;
    Ok(Redirect::to(&format!("/lieux/{id}")).into_response())
}

async fn delete_place(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    require_signed_in(&viewer)?;
    state.app.delete_place(viewer.actor(), &id).await?;
    Ok(Redirect::to("/").into_response())
}

// ----- import -----

struct ReportView {
    file_name: String,
    written: bool,
    headline: String,
    summary: String,
    notes: Vec<String>,
    errors: Vec<(String, String, String, String)>,
    warnings: Vec<(String, String, String, String)>,
}

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    chrome: Chrome,
    report: Option<ReportView>,
    history: Vec<maillage_app::ImportSummary>,
}

async fn import_page(
    AxState(state): AxState<State>,
    viewer: Viewer,
) -> Result<Response, PageError> {
    allow(authorize(viewer.actor(), &Action::ImportPlaces, today()))?;
    Ok(render(&ImportPage {
        chrome: Chrome::new("import", &viewer),
        report: None,
        history: state.app.import_history(viewer.actor(), 20).await?,
    }))
}

fn rows(report: &maillage_standard::Report, errors: bool) -> Vec<(String, String, String, String)> {
    report
        .records
        .iter()
        .flat_map(|r| {
            let list = if errors { &r.errors } else { &r.warnings };
            list.iter().map(move |i| {
                (
                    r.position.to_string(),
                    i.field.clone(),
                    i.value.clone(),
                    i.reason.clone(),
                )
            })
        })
        .take(2000)
        .collect()
}

/// The import form beside its file: the source's name, `partiel` to import the valid lines
/// when others are not, `action=verifier` to check only.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ImportForm {
    source: String,
    #[serde(rename = "partiel")]
    partial: bool,
    action: String,
}

async fn import_upload(
    AxState(state): AxState<State>,
    viewer: Viewer,
    multipart: Multipart,
) -> Result<Response, PageError> {
    allow(authorize(viewer.actor(), &Action::ImportPlaces, today()))?;
    let form = crate::upload::read_form(multipart, maillage_app::limits::IMPORT_BYTES).await?;
    let asked: ImportForm = form.typed()?;
    let source = asked.source;
    let partial = asked.partial;
    let check_only = asked.action == "verifier";
    let (file_name, bytes) = match form.file {
        Some(file) if file.name.is_empty() => ("fichier".to_string(), file.content),
        Some(file) => (file.name, file.content),
        None => ("fichier".to_string(), Vec::new()),
    };
    // The work runs as a job: the page follows its progress and may interrupt it.
    let app = state.app.clone();
    let actor = viewer.actor().cloned();
    let chrome = Chrome::new("import", &viewer);
    let owner = viewer.user.as_ref().map(|u| u.id.clone());
    let title = if check_only {
        format!("Vérification de « {file_name} »")
    } else {
        format!("Import de « {file_name} »")
    };
    let slot = maillage_app::jobs::Slot::User(owner.clone().unwrap_or_default());
    let job = state
        .app
        .jobs
        .start(title, owner, slot, None, move |job| async move {
            let progress: &dyn maillage_domain::progress::Progress = job.as_ref();
            match import_work(
                &app,
                actor.as_ref(),
                chrome,
                &bytes,
                file_name,
                &source,
                partial,
                check_only,
                progress,
            )
            .await
            {
                _ if progress.interrupted() => maillage_app::jobs::Outcome::Interrupted,
                Ok((html, status)) => maillage_app::jobs::Outcome::Page {
                    html: std::sync::Arc::new(html),
                    status,
                },
                Err(e) => maillage_app::jobs::Outcome::Failed(e.public_message()),
            }
        })?;
    Ok(Redirect::to(&format!("/taches/{}", job.id)).into_response())
}

/// Checks or imports a file and renders the report page (status code beside it).
#[allow(clippy::too_many_arguments)]
async fn import_work(
    app: &crate::App,
    actor: Option<&maillage_domain::policy::Actor>,
    chrome: Chrome,
    bytes: &[u8],
    file_name: String,
    source: &str,
    partial: bool,
    check_only: bool,
    progress: &dyn maillage_domain::progress::Progress,
) -> Result<(String, u16), AppError> {
    let (report, outcome, error) = if check_only {
        (
            Some(
                maillage_standard::check_watched(bytes, &app.validation_context(), progress)
                    .map_err(AppError::from),
            ),
            None,
            None,
        )
    } else {
        match app
            .import_file_watched(
                actor,
                bytes,
                &file_name,
                Some(source).filter(|s| !s.is_empty()),
                partial,
                progress,
            )
            .await
        {
            Ok(r) => (Some(Ok(r.report)), r.outcome, None),
            Err(AppError::Standard(e)) => (Some(Err(AppError::Standard(e))), None, None),
            Err(AppError::Invalid(m)) => (None, None, Some(m)),
            Err(e) => return Err(e),
        }
    };
    let view = match (report, error) {
        (_, Some(message)) => ReportView {
            file_name: file_name.clone(),
            written: false,
            headline: message,
            summary: String::new(),
            notes: Vec::new(),
            errors: Vec::new(),
            warnings: Vec::new(),
        },
        (Some(Err(e)), None) => ReportView {
            file_name: file_name.clone(),
            written: false,
            headline: e.to_string(),
            summary: "Rien n'a été importé.".into(),
            notes: Vec::new(),
            errors: Vec::new(),
            warnings: Vec::new(),
        },
        (Some(Ok(report)), None) => {
            let headline = match (&outcome, check_only) {
                (_, true) if report.invalid_count() == 0 => {
                    "Vérification : le fichier est valide, il peut être importé.".to_string()
                }
                (_, true) => format!(
                    "Vérification : {} ligne(s) à corriger avant l'import.",
                    report.invalid_count()
                ),
                (Some(o), false) => format!(
                    "Import terminé : {} créé(s), {} mis à jour, {} inchangé(s), {} refusé(s).",
                    o.created,
                    o.updated,
                    o.unchanged,
                    report.invalid_count()
                ),
                (None, false) => format!(
                    "Rien n'a été importé : {} ligne(s) invalide(s). Corrigez-les, ou cochez « importer seulement les lignes valides ».",
                    report.invalid_count()
                ),
            };
            ReportView {
                file_name: file_name.clone(),
                written: outcome.is_some() || (check_only && report.invalid_count() == 0),
                headline,
                summary: format!(
                    "Fichier {} du standard {} : {} enregistrement(s), {} valide(s), {} refusé(s).",
                    report.format,
                    report.version,
                    report.records.len(),
                    report.valid_count(),
                    report.invalid_count()
                ),
                notes: report.notes.clone(),
                errors: rows(&report, true),
                warnings: rows(&report, false),
            }
        }
        (None, None) => ReportView {
            file_name,
            written: false,
            headline: "Aucun fichier reçu.".into(),
            summary: String::new(),
            notes: Vec::new(),
            errors: Vec::new(),
            warnings: Vec::new(),
        },
    };
    let status = if view.written {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = ImportPage {
        chrome,
        report: Some(view),
        history: app.import_history(actor, 20).await?,
    };
    let html = page
        .render()
        .map_err(|e| AppError::Invalid(format!("page du rapport : {e}")))?;
    Ok((html, status.as_u16()))
}

// ----- export -----

/// The export's format (`csv` by default, `json`, `geojson`).
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct ExportAsked {
    pub format: String,
}

pub async fn export_response(
    state: &State,
    viewer: &Viewer,
    asked: &PlaceQuery,
    format: &ExportAsked,
) -> Result<Response, AppError> {
    allow(authorize(viewer.actor(), &Action::ExportDirectory, today()))?;
    let format: ExportFormat = Some(format.format.as_str())
        .filter(|f| !f.is_empty())
        .unwrap_or("csv")
        .parse()
        .map_err(AppError::Invalid)?;
    let parsed = state.app.place_search(asked);
    if !parsed.errors.is_empty() {
        return Err(AppError::Invalid(parsed.errors.join(" ; ")));
    }
    let places = state.app.places_of(&parsed.query).await?;
    let bytes = maillage_standard::export::to_bytes(&places, format)?;
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(format.media_type()));
    if let Ok(v) =
        HeaderValue::from_str(&format!("attachment; filename=\"{}\"", format.file_name()))
    {
        headers.insert(CONTENT_DISPOSITION, v);
    }
    Ok((headers, bytes).into_response())
}

async fn export(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Query(asked): Query<PlaceQuery>,
    Query(format): Query<ExportAsked>,
) -> Result<Response, PageError> {
    export_response(&state, &viewer, &asked, &format)
        .await
        .map_err(PageError)
}

// ----- administration -----

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    chrome: Chrome,
    message: Option<String>,
    error: Option<String>,
    users: Vec<(String, String, String, String)>,
    organisations: Vec<(String, String)>,
}

async fn admin_view(
    state: &State,
    viewer: &Viewer,
    message: Option<String>,
    error: Option<String>,
) -> Result<Response, PageError> {
    let (accounts, orgs) = state.app.accounts(viewer.actor()).await?;
    let mut users = Vec::new();
    for maillage_app::accounts::Account { user: u, actor } in accounts {
        let scope = actor
            .territory
            .iter()
            .map(|t| t.code().to_string())
            .chain(actor.memberships.iter().map(|m| {
                orgs.iter()
                    .find(|o| o.id == m.organisation_id)
                    .map(|o| o.name.clone())
                    .unwrap_or_else(|| m.organisation_id.clone())
            }))
            .collect::<Vec<_>>()
            .join(", ");
        users.push((
            u.display_name,
            u.email,
            actor.role_label().to_string(),
            scope,
        ));
    }
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut r = render(&AdminPage {
        chrome: Chrome::new("admin", viewer),
        message,
        error,
        users,
        organisations: orgs.into_iter().map(|o| (o.id, o.name)).collect(),
    });
    *r.status_mut() = status;
    Ok(r)
}

async fn admin_page(AxState(state): AxState<State>, viewer: Viewer) -> Result<Response, PageError> {
    admin_view(&state, &viewer, None, None).await
}

/// The administration's account form: `role` is `aidant` (member of `structure`),
/// `coordinateur` (of `territoire`: départements or INSEE codes) or `admin`.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct AccountForm {
    email: String,
    name: String,
    password: Raw,
    role: String,
    #[serde(rename = "territoire")]
    territory: String,
    #[serde(rename = "structure")]
    organisation: String,
}

async fn admin_create_user(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Form(asked): Form<AccountForm>,
) -> Result<Response, PageError> {
    allow(authorize(viewer.actor(), &Action::ManageAccounts, today()))?;
    let role = asked.role.as_str();
    let mut territory = Vec::new();
    for code in asked
        .territory
        .split([' ', ',', ';'])
        .filter(|s| !s.is_empty())
    {
        match TerritoryUnit::parse(code) {
            Some(t) => territory.push(t),
            None => {
                return admin_view(
                    &state,
                    &viewer,
                    None,
                    Some(format!(
                        "territoire « {code} » : département (54, 2A, 971) ou code INSEE attendu"
                    )),
                )
                .await;
            }
        }
    }
    if role == "coordinateur" && territory.is_empty() {
        return admin_view(
            &state,
            &viewer,
            None,
            Some("un coordinateur a besoin d'un territoire".into()),
        )
        .await;
    }
    let structure = asked.organisation.clone();
    let memberships = if role == "aidant" && !structure.is_empty() {
        vec![Membership {
            organisation_id: structure,
            since: today(),
            until: None,
        }]
    } else {
        Vec::new()
    };
    let new = NewUser {
        email: asked.email.clone(),
        display_name: asked.name.clone(),
        password: asked.password.0.clone(),
        administrator: role == "admin",
        territory: if role == "coordinateur" {
            territory
        } else {
            Vec::new()
        },
        memberships,
    };
    match state.app.create_account(viewer.actor(), &new).await {
        Ok(_) => {
            admin_view(
                &state,
                &viewer,
                Some(format!("Compte créé pour {}.", new.email.trim())),
                None,
            )
            .await
        }
        Err(e) if e.kind() == ErrorKind::Conflict || e.kind() == ErrorKind::Invalid => {
            admin_view(&state, &viewer, None, Some(e.to_string())).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The answer to the structure form: the administration page for administrators; a page of its
/// own for a coordinator of the territory (the same rule as the API: `ManageOrganisation`).
async fn organisation_answer(
    state: &State,
    viewer: &Viewer,
    message: Option<String>,
    error: Option<String>,
) -> Result<Response, PageError> {
    if authorize(viewer.actor(), &Action::ManageAccounts, today()).is_allowed() {
        return admin_view(state, viewer, message, error).await;
    }
    Ok(match error {
        Some(error) => {
            let mut r = message_page_for(viewer, "Structure non créée", &error);
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            r
        }
        None => message_page_for(viewer, "Structure créée", &message.unwrap_or_default()),
    })
}

async fn admin_create_organisation(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Form(input): Form<maillage_app::organisations::NewOrganisation>,
) -> Result<Response, PageError> {
    match state.app.create_organisation(viewer.actor(), &input).await {
        Ok(Ok(org)) => {
            let message = format!("Structure « {} » créée.", org.name);
            organisation_answer(&state, &viewer, Some(message), None).await
        }
        Ok(Err(errors)) => {
            let msg = errors
                .into_iter()
                .map(|(f, r)| format!("{f} : {r}"))
                .collect::<Vec<_>>()
                .join(" ; ");
            organisation_answer(&state, &viewer, None, Some(msg)).await
        }
        Err(e) if e.kind() == ErrorKind::Conflict => {
            organisation_answer(&state, &viewer, None, Some(e.to_string())).await
        }
        Err(e) => Err(e.into()),
    }
}
