//! JSON API `/api/v1`: the same services and the same authorisation as the pages (session
//! cookie), one module per capability.
//!
//! Each handler states its contract with `#[utoipa::path]` and answers with typed bodies; the
//! router and the OpenAPI document served at `/api/v1/openapi.json` are built from the same
//! list ([`router`]), so a route cannot exist without its description, and the snapshot test
//! (`tests/openapi.rs`) shows every change of the contract in review.

use std::sync::LazyLock;

use axum::extract::FromRequestParts;
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{IntoParams, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::kit::input;
use crate::{AppError, State};

mod activity;
mod diagnostic;
mod directory;
mod import;
mod mandates;
mod organisations;
mod orientation;
mod quality;
mod referrals;
mod requests;
mod resources;
mod surveys;
mod territory;
mod watch;
mod workshops;

/// An error as the API gives it: `{"erreur": "...", "details": [...]}`, with the status of its
/// kind (401, 403, 404, 409, 410, 413, 422, 429).
pub struct ApiError(AppError, Vec<Detail>);

impl ApiError {
    /// An invalid request with the reason of each refused part.
    pub fn invalid(message: impl Into<String>, details: Vec<Detail>) -> Self {
        ApiError(AppError::Invalid(message.into()), details)
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError(e, Vec::new())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = crate::status_of(self.0.kind());
        let body = ErrorBody {
            erreur: self.0.public_message(),
            details: self.1,
        };
        (status, Json(body)).into_response()
    }
}

/// The body of every error.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Erreur)]
pub struct ErrorBody {
    /// What went wrong, in French.
    pub erreur: String,
    /// Each refused field or line, when there are several.
    pub details: Vec<Detail>,
}

/// One refused part of a request: its field (or its line), the value and the reason.
#[derive(Debug, Default, Serialize, ToSchema)]
#[schema(as = DetailErreur)]
pub struct Detail {
    /// Line or record of an imported file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub champ: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valeur: Option<String>,
    pub raison: String,
}

impl Detail {
    pub fn field(champ: impl Into<String>, raison: impl Into<String>) -> Self {
        Detail {
            champ: Some(champ.into()),
            raison: raison.into(),
            ..Detail::default()
        }
    }

    pub fn reason(raison: impl Into<String>) -> Self {
        Detail {
            raison: raison.into(),
            ..Detail::default()
        }
    }
}

type ApiResult<T> = Result<T, ApiError>;

/// An API call's query string, read into `T` by the same reader as the pages'
/// ([`crate::kit::input::query`]), refused with a JSON error.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        Ok(ApiQuery(input::query(parts.uri.query())?))
    }
}

/// The statistics' query of an API call (no default period, unlike the pages').
pub struct ApiStats(pub maillage_app::activity::StatsQuery);

impl<S: Send + Sync> FromRequestParts<S> for ApiStats {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        Ok(ApiStats(input::stats(parts.uri.query())?))
    }
}

/// A page of API results.
#[derive(Debug, Clone, Copy, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct Paging {
    /// Results per page: 20 by default, 1 to 500.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<usize>,
    /// Results skipped, from 0.
    offset: Option<usize>,
}

impl Paging {
    fn limit(self) -> usize {
        self.limit.unwrap_or(20).clamp(1, 500)
    }

    fn offset(self) -> usize {
        self.offset.unwrap_or(0)
    }
}

/// The document's frame: title, server, the session cookie.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Maillage — API",
        version = "1.0.0",
        description = "Annuaire des lieux de médiation numérique au format du standard national \
            v1.0.2, diagnostic, ateliers, ressourcerie, veille, orientation, orientations \
            transmises et statistiques. Lecture ouverte là où la page l'est ; le reste avec la \
            session d'un compte (cookie maillage_session), mêmes règles d'autorisation que les \
            pages. Erreurs : {\"erreur\", \"details\"} avec un message en français."
    ),
    servers((url = "/api/v1")),
    modifiers(&SessionCookie),
    tags(
        (name = "annuaire", description = "Lieux, structures, import, export, qualité"),
        (name = "diagnostic", description = "Questionnaires et calcul du niveau"),
        (name = "ateliers", description = "Agenda et inscriptions"),
        (name = "ressources", description = "Ressourcerie et veille"),
        (name = "orientation", description = "Orienter et transmettre"),
        (name = "donnees-personnelles", description = "Demandes des personnes sur leurs données (RGPD)"),
        (name = "mandats", description = "Mandats : faire à la place d'une personne, avec son accord écrit"),
        (name = "activite", description = "Indicateurs et statistiques"),
        (name = "territoire", description = "Le territoire : couverture de l'offre, zones blanches"),
    )
)]
struct Frame;

/// The session cookie, as a security scheme.
struct SessionCookie;

impl utoipa::Modify for SessionCookie {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            SESSION,
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::auth::COOKIE_NAME,
                "Session d'un compte, ouverte par la page de connexion.",
            ))),
        );
    }
}

/// Name of the security scheme of the session cookie.
const SESSION: &str = "session";

/// Every route of the API with its contract.
pub fn router() -> OpenApiRouter<State> {
    let (schemas, paths, import) = routes!(import::import);
    let import = import.layer(axum::extract::DefaultBodyLimit::max(
        maillage_app::limits::IMPORT_BYTES,
    ));
    let (indicator_schemas, indicator_paths, indicators) = routes!(territory::import_indicators);
    let indicators = indicators.layer(axum::extract::DefaultBodyLimit::max(
        maillage_app::limits::INDICATORS_IMPORT_BYTES,
    ));
    OpenApiRouter::with_openapi(Frame::openapi())
        .routes(routes!(directory::list_places, directory::create_place))
        .routes(routes!(
            directory::get_place,
            directory::update_place,
            directory::delete_place
        ))
        .routes(routes!(directory::export))
        .routes((schemas, paths, import))
        .routes(routes!(quality::quality))
        .routes(routes!(territory::territory))
        .routes((indicator_schemas, indicator_paths, indicators))
        .routes(routes!(surveys::survey))
        .routes(routes!(surveys::enter_answer))
        .routes(routes!(
            organisations::list_organisations,
            organisations::create_organisation
        ))
        .routes(routes!(organisations::get_organisation))
        .routes(routes!(diagnostic::score))
        .routes(routes!(diagnostic::questionnaire))
        .routes(routes!(workshops::list_workshops))
        .routes(routes!(workshops::get_workshop))
        .routes(routes!(workshops::register))
        .routes(routes!(resources::list_resources))
        .routes(routes!(resources::get_resource))
        .routes(routes!(watch::list_news))
        .routes(routes!(watch::get_news))
        .routes(routes!(orientation::orientation))
        .routes(routes!(orientation::list_requests))
        .routes(routes!(referrals::list_referrals))
        .routes(routes!(referrals::get_referral, referrals::answer_referral))
        .routes(routes!(mandates::list_mandates, mandates::record_mandate))
        .routes(routes!(mandates::get_mandate))
        .routes(routes!(mandates::record_act))
        .routes(routes!(mandates::revoke_mandate))
        .routes(routes!(requests::list_requests, requests::record_request))
        .routes(routes!(requests::get_request))
        .routes(routes!(activity::statistics))
        .routes(routes!(activity::indicators))
}

/// The OpenAPI document, built once from [`router`].
pub fn document() -> &'static str {
    static DOCUMENT: LazyLock<String> = LazyLock::new(|| {
        let (_, openapi) = router().split_for_parts();
        openapi
            .to_pretty_json()
            .unwrap_or_else(|e| format!("{{\"erreur\": \"{e}\"}}"))
    });
    &DOCUMENT
}

/// The routes, and the document at `/openapi.json`.
pub fn routes() -> Router<State> {
    let (router, _) = router().split_for_parts();
    router.route("/openapi.json", get(openapi))
}

async fn openapi() -> Response {
    ([(CONTENT_TYPE, "application/json")], document()).into_response()
}

/// A JSON body read from bytes, with a French message naming what is expected.
fn json_body<T: serde::de::DeserializeOwned>(body: &[u8], expected: &str) -> ApiResult<T> {
    serde_json::from_slice(body).map_err(|e| {
        ApiError::invalid(
            format!("corps JSON illisible ({expected}) : {e}"),
            Vec::new(),
        )
    })
}
