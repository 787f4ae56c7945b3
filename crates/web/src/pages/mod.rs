//! HTML pages. Every page works without JavaScript; forms post back and show their errors inline.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Multipart, Path, State as AxState};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{Datelike, Utc};
use maillage_app::NewUser;
use maillage_domain::french;
use maillage_domain::hours::{HoursCheck, check_hours, monday_of, timezone_of_departement};
use maillage_domain::place::Place;
use maillage_domain::policy::{Action, Membership, TerritoryUnit};
use maillage_domain::vocab::{
    AccessMode, Fee, InterventionDomain, MediationForm, Mobility, NationalProgramme, Public,
    Service, SpecificSupport, SupportMode, Vocabulary,
};
use maillage_standard::ExportFormat;

use crate::auth::{self, Viewer};
use crate::kit::input::{self, Form, Query, Raw};
use crate::{AppError, ErrorKind, PageError, State};
use maillage_app::directory::{Choice, Group, PlaceQuery, PlaceSearch};
use maillage_app::{location_of, today};

mod admin;
mod directory;
mod sign_in;

use admin::*;
pub use directory::*;
use sign_in::*;

mod accounts;
mod activity;
mod booklet;
mod campaigns;
mod diagnostic;
mod duplicates;
mod impact;
mod jobs;
mod mandates;
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
    /// The address of a static file, with its version (long cache).
    pub fn asset(&self, name: &str) -> String {
        crate::assets::url(name)
    }

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
        .route("/admin/courriels", get(admin_mail_preview))
        .route("/admin/comptes", post(admin_create_user))
        .route("/admin/structures", post(admin_create_organisation))
        .merge(accounts::routes())
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
        .merge(directory::map::routes())
        .merge(workshops::routes())
        .merge(resources::routes())
        .merge(watch::routes())
        .merge(orientation::routes())
        .merge(referrals::routes())
        .merge(mandates::routes())
        .route("/static/maillage.css", get(crate::assets::stylesheet))
        .route("/static/{version}/{file}", get(crate::assets::versioned))
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

/// The privacy page: the delays in force, then what each capability keeps and why.
#[derive(Template)]
#[template(path = "privacy.html")]
struct PrivacyPage {
    chrome: Chrome,
    retention: Vec<admin::RetentionRow>,
    paragraphs: Vec<String>,
}

async fn privacy(AxState(state): AxState<State>, viewer: Viewer) -> Response {
    use maillage_domain::retention::Kept;
    let r = state.app.retention();
    let d = |k: Kept| r.phrase(k);
    render(&PrivacyPage {
        chrome: Chrome::new("", &viewer),
        retention: admin::retention_rows(r),
        paragraphs: vec![
            "L'annuaire décrit des lieux et des structures, pas des personnes. Les seules données personnelles sont celles des comptes des membres du réseau (nom, adresse électronique) et, facultativement, le nom du référent d'un lieu, visible des seuls membres connectés.".into(),
            format!("Les mots de passe ne sont jamais conservés : seule une empreinte (argon2) l'est. Une session n'est conservée que par l'empreinte de son jeton ; elle expire après {} et les sessions expirées sont purgées chaque heure. Depuis « Mon compte », vous changez votre mot de passe et fermez vos sessions sur tous vos appareils ; le lien « mot de passe oublié » vaut une heure et une seule fois. Aucune donnée personnelle ni aucun texte écrit par d'autres n'est écrit dans les journaux.", d(Kept::Sessions)),
            format!("Quand vous signalez une erreur sur une fiche, vous pouvez laisser votre adresse électronique pour être prévenu de la correction : elle ne sert qu'à cela, n'est visible de personne, et est effacée automatiquement {} après le traitement du signalement.", d(Kept::ReportEmails)),
            format!("Pour les campagnes de mise à jour, Maillage écrit à l'adresse du référent d'un lieu (à défaut, à l'adresse publique du lieu). Le lien envoyé est personnel ; seule son empreinte est conservée. L'adresse utilisée est effacée {} après la clôture de la campagne.", d(Kept::CampaignEmails)),
            format!("Un diagnostic numérique est anonyme par défaut : au plus une tranche d'âge. Passé seul, sans compte, il se reprend avec un code dont seule l'empreinte est conservée ; les réponses en cours sont effacées après {}. Une personne n'est suivie par une structure qu'avec son accord (un prénom ou un pseudonyme, un contact si elle le souhaite) ; seuls les membres de cette structure y ont accès, et ses données sont effacées {} après son dernier passage, ou à sa demande. Elle peut aussi demander à les recevoir (export).", d(Kept::TestDrafts), d(Kept::FollowedPersons)),
            format!("Pour s'inscrire à un atelier, un prénom ou un pseudonyme suffit ; le contact (téléphone ou courriel) est facultatif et sert à confirmer, rappeler ou prévenir d'une place libérée. Les inscriptions sont effacées {} après l'atelier.", d(Kept::Registrations)),
            format!("La veille par courriel utilise l'adresse de votre compte (elle n'est pas recopiée) et la liste des plateformes que vous suivez ; le désabonnement efface l'abonnement. Maillage note quelles nouvelles vous ont été envoyées pour ne pas les renvoyer, et l'oublie après {}.", d(Kept::WatchDeliveries)),
            "Pour orienter une personne, ce que l'aidant indique (demande, niveau, commune, disponibilités, besoins) sert à chercher les lieux et n'est enregistré nulle part. La fiche pour la personne peut lui être envoyée par courriel si elle le souhaite : l'adresse sert à cet envoi et n'est pas conservée.".into(),
            format!("Une orientation transmise à une structure partenaire ne part qu'avec l'accord de la personne (oral, confirmé par l'aidant, ou donné par elle-même avec un lien). Seuls un prénom ou un pseudonyme, le contact qu'elle choisit, sa demande, son niveau et une courte note sont transmis, visibles des seules deux structures. Si elle retire son accord, ce qui a été transmis est effacé des deux côtés ; sinon ses données le sont {d} après la fin de son parcours, ou {d} après le dernier changement d'un parcours resté ouvert. Les coordinateurs ne voient que des chiffres agrégés.", d = d(Kept::Referrals)),
            "Les notes d'un compte rendu d'activité ne sont lues que par leur auteur, y compris dans l'export des données d'une personne. Quand une personne suivie est effacée, les notes et les textes libres des comptes rendus qui la concernaient seule le sont aussi ; les chiffres restent, sans elle. Un lien public vers les statistiques d'une structure ne montre qu'une période d'au moins quatre semaines et regroupe tout effectif de moins de cinq personnes.".into(),
            "Une ressource proposée garde le nom de la structure et du compte qui l'ont proposée, pour la relecture. Le vérificateur de liens n'envoie aux sites que l'adresse de la page, sans aucune donnée de personne.".into(),
            format!("Quand une personne confie à une structure des démarches à faire à sa place, un mandat écrit le dit : son nom et le contact qu'elle choisit, les démarches couvertes, la durée, comment elle a donné son accord et le texte qu'elle a lu. Seuls les aidants habilités de cette structure l'utilisent ; chaque démarche faite pour elle est notée (quoi, quand, par qui). Avec son lien personnel, elle voit cette liste et peut arrêter le mandat à tout moment, seule. Aucun mot de passe n'est gardé. Le mandat et ce qui a été fait sont effacés {} après sa fin ; le journal qui prouve ce qui s'est passé reste, sans son nom.", d(Kept::Mandates)),
            "Pour consulter, exporter ou effacer vos données, adressez-vous à l'administrateur de votre réseau.".into(),
        ],
    })
}

// ----- search -----
