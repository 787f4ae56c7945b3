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
/// The texts a person agrees to, as the templates show them (`maillage_domain::consent`).
pub(crate) mod consent {
    use maillage_domain::consent::{Notice, Purpose};

    pub(crate) fn followed() -> Notice {
        Purpose::FollowedPerson.current()
    }
    pub(crate) fn registration() -> Notice {
        Purpose::Registration.current()
    }
    pub(crate) fn referral() -> Notice {
        Purpose::Referral.current()
    }
}
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
mod requests;
pub(crate) mod resources;
mod slip;
mod sources;
mod surveys;
mod territory;
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

/// The structures a signed-in member switches between on a page that works for one structure
/// at a time (mandates, requests about data): (id, name), and the one shown — the one asked, or
/// the first of several, so that a member of several structures lands on a page, not an error.
pub(crate) struct StructureSwitch {
    pub(crate) organisations: Vec<(String, String)>,
    pub(crate) current: String,
}

impl StructureSwitch {
    pub(crate) async fn of(
        state: &State,
        viewer: &Viewer,
        asked: &str,
    ) -> Result<Self, maillage_app::AppError> {
        let organisations: Vec<(String, String)> = match viewer.actor.as_ref() {
            None => Vec::new(),
            Some(actor) => state
                .app
                .recording_organisations(Some(actor))
                .await?
                .into_iter()
                .map(|o| (o.id, o.name))
                .collect(),
        };
        let current = match organisations.as_slice() {
            [first, _, ..] if asked.is_empty() => first.0.clone(),
            _ => asked.to_string(),
        };
        Ok(Self {
            organisations,
            current,
        })
    }

    /// The structure to ask the service for (`None`: the member's only one).
    pub(crate) fn wanted(&self) -> Option<&str> {
        Some(self.current.as_str()).filter(|c| !c.is_empty())
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

/// Pages opened by a personal link (campaigns, surveys) are never cached nor indexed.
fn private(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    h.insert(
        axum::http::header::HeaderName::from_static("x-robots-tag"),
        axum::http::HeaderValue::from_static("noindex"),
    );
    r
}

/// The day of a stored instant (RFC 3339), in the local time zone: « 04/12/2026 ».
fn date_of(stamp: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(stamp)
        .map(|d| {
            d.with_timezone(&chrono::Local)
                .format("%d/%m/%Y")
                .to_string()
        })
        .unwrap_or_default()
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
        .route("/donnees", get(publication_page))
        .route("/donnees/lieux.csv", get(published_csv))
        .route("/donnees/lieux.json", get(published_json))
        .route(
            "/donnees/data-inclusion/structures.json",
            get(published_structures),
        )
        .route(
            "/donnees/data-inclusion/services.json",
            get(published_services),
        )
        .route("/admin", get(admin_page))
        .route("/admin/courriels", get(admin_mail_preview))
        .route("/admin/registre", get(admin::register_page))
        .route("/admin/registre.md", get(admin::register_markdown))
        .route("/admin/comptes", post(admin_create_user))
        .route("/admin/structures", post(admin_create_organisation))
        .merge(accounts::routes())
        .merge(activity::routes())
        .merge(impact::routes())
        .merge(booklet::routes())
        .merge(campaigns::routes())
        .merge(sources::routes())
        .merge(diagnostic::routes())
        .merge(jobs::routes())
        .merge(duplicates::routes())
        .merge(quality::routes())
        .merge(territory::routes())
        .merge(surveys::routes())
        .merge(reports::routes())
        .merge(slip::routes())
        .merge(directory::map::routes())
        .merge(workshops::routes())
        .merge(resources::routes())
        .merge(watch::routes())
        .merge(orientation::routes())
        .merge(referrals::routes())
        .merge(mandates::routes())
        .merge(requests::routes())
        .route("/static/maillage.css", get(crate::assets::stylesheet))
        .route("/static/{version}/{file}", get(crate::assets::versioned))
        .route("/accessibilite", get(accessibility))
        .route("/donnees-personnelles", get(privacy))
        .route("/sante", get(liveness))
        .route("/pret", get(readiness))
        .route("/metrics", get(metrics))
        .fallback(not_found)
}

/// `/sante`: the process answers (for a supervisor: restart it when this fails).
async fn liveness() -> Response {
    ([(axum::http::header::CACHE_CONTROL, "no-store")], "ok\n").into_response()
}

/// `/metrics`: the figures for Prometheus. With `metriques.jeton` set, to whoever sends it
/// (`Authorization: Bearer …`); without, to the machine itself only (127.0.0.1, the proxy's
/// header read as for the rate limits; a request a proxy forwards is never « the machine »).
/// Counts and durations only, never a person.
async fn metrics(
    AxState(state): AxState<State>,
    client: crate::auth::Client,
    headers: axum::http::HeaderMap,
) -> Response {
    let token = state
        .app
        .setting("MAILLAGE_METRICS_TOKEN")
        .filter(|t| !t.trim().is_empty());
    let allowed = match token {
        Some(token) => headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|sent| {
                use sha2::Digest;
                // Digests compared: the time taken does not tell how much of the token matched.
                sha2::Sha256::digest(sent.trim().as_bytes())
                    == sha2::Sha256::digest(token.trim().as_bytes())
            }),
        // The machine itself — and not a proxy on it passing someone else's request: a request
        // that names a client in a forwarding header is refused unless that header is the
        // trusted one (then `client` is that client).
        None => {
            let forwarded = ["forwarded", "x-forwarded-for", "x-real-ip"]
                .iter()
                .any(|name| {
                    headers.contains_key(*name)
                        && state
                            .config
                            .client_ip_header
                            .as_ref()
                            .is_none_or(|trusted| trusted.as_str() != *name)
                });
            client.key().starts_with("ip:127.") && !forwarded
        }
    };
    if !allowed {
        return (
            StatusCode::FORBIDDEN,
            "Réservé à la supervision : depuis la machine elle-même, ou avec le jeton de metriques.jeton.\n",
        )
            .into_response();
    }
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            ),
            (axum::http::header::CACHE_CONTROL, "no-store"),
        ],
        state.app.metrics_text(),
    )
        .into_response()
}

/// `/pret`: the instance can serve — its database answers and its search index is loaded
/// (for a load balancer: send it requests only then). 503 otherwise, with the reason.
async fn readiness(AxState(state): AxState<State>) -> Response {
    let r = state.app.readiness().await;
    let status = if r.pret {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        axum::Json(r),
    )
        .into_response()
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
    /// Every version of the texts agreed to: (what for, version, text).
    notices: Vec<(&'static str, u32, &'static str)>,
}

async fn privacy(AxState(state): AxState<State>, viewer: Viewer) -> Response {
    let r = state.app.retention();
    // Written from the register of processing (maillage_domain::register), as the
    // administrators' register is.
    let paragraphs: Vec<String> = state
        .app
        .processings()
        .into_iter()
        .map(|p| p.public)
        .collect();
    render(&PrivacyPage {
        chrome: Chrome::new("", &viewer),
        retention: admin::retention_rows(r),
        paragraphs,
        notices: maillage_domain::consent::NOTICES
            .iter()
            .map(|n| (n.purpose.label(), n.version, n.text))
            .collect(),
    })
}

// ----- search -----
