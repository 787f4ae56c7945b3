//! Import of a file of the standard through the API.

use axum::Json;
use axum::extract::State as AxState;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{ApiQuery, ApiResult, Detail, ErrorBody};
use crate::auth::Viewer;
use crate::{AppError, State};

/// An import through the API: the source's name, and whether valid lines are imported when
/// others are not.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct ImportAsked {
    /// Name of the source (kept with each place); `api` when absent.
    source: String,
    /// `true`: import the valid lines even when others are refused.
    skip_invalid: bool,
}

/// What an import did, line by line.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = RapportImport)]
pub struct ImportReport {
    /// Format recognised (`csv`, `json`, `geojson`).
    format: String,
    /// Version of the standard recognised.
    version: String,
    enregistrements: usize,
    valides: usize,
    refuses: usize,
    /// Whether the directory was changed.
    importe: bool,
    crees: Option<usize>,
    mis_a_jour: Option<usize>,
    inchanges: Option<usize>,
    /// Each refused field: position, field, value, reason.
    erreurs: Vec<Detail>,
}

/// Why nothing was imported: the report of the lines refused, or the reason the file could
/// not be read at all.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
#[schema(as = ImportRefuse)]
pub enum ImportRefused {
    Report(ImportReport),
    /// Answered by [`super::ApiError`], which has this shape.
    #[allow(dead_code)]
    Unreadable(super::ErrorBody),
}

/// Imports a file of the standard: all or nothing unless `skip_invalid=true`.
#[utoipa::path(
    post, path = "/import", tag = "annuaire",
    summary = "Importer un fichier du standard (CSV, JSON, GeoJSON ; v0.1 ou v1)",
    description = "Tout ou rien par défaut ; skip_invalid=true importe les lignes valides.",
    params(ImportAsked),
    request_body(content = String, content_type = "text/csv",
        description = "Le fichier (CSV, JSON ou GeoJSON du standard)"),
    security(("session" = [])),
    responses(
        (status = 200, description = "Importé, avec le rapport", body = ImportReport),
        (status = 401, description = "Connexion nécessaire", body = ErrorBody),
        (status = 403, description = "Hors de vos droits", body = ErrorBody),
        (status = 413, description = "Fichier trop gros", body = ErrorBody),
        (status = 422, description = "Rien n'a été importé : le rapport liste chaque erreur (position, champ, valeur, raison), ou le fichier est illisible",
            body = ImportRefused),
    ),
)]
pub async fn import(
    AxState(state): AxState<State>,
    viewer: Viewer,
    ApiQuery(asked): ApiQuery<ImportAsked>,
    body: axum::body::Body,
) -> ApiResult<Response> {
    // Who may import is known before the file is read.
    state.app.check(
        viewer.actor(),
        &maillage_domain::policy::Action::ImportPlaces,
    )?;
    let body = axum::body::to_bytes(body, maillage_app::limits::IMPORT_BYTES)
        .await
        .map_err(|_| {
            AppError::TooLarge(format!(
                "fichier trop gros : {} Mio au plus",
                maillage_app::limits::IMPORT_BYTES >> 20
            ))
        })?;
    let source = Some(asked.source.as_str()).filter(|s| !s.is_empty());
    let result = state
        .app
        .import_file(
            viewer.actor(),
            body,
            source.unwrap_or("api"),
            source,
            asked.skip_invalid,
        )
        .await?;
    let report = &result.report;
    let erreurs = report
        .flagged
        .iter()
        .flat_map(|r| {
            r.errors.iter().map(move |e| Detail {
                position: Some(r.position.to_string()),
                champ: Some(e.field.to_string()),
                valeur: Some(e.value.clone()),
                raison: e.reason.clone(),
            })
        })
        .collect();
    let outcome = result.outcome.as_ref();
    let body = ImportReport {
        format: report.format.to_string(),
        version: report.version.to_string(),
        enregistrements: report.records,
        valides: report.valid_count(),
        refuses: report.invalid_count(),
        importe: outcome.is_some(),
        crees: outcome.map(|o| o.created),
        mis_a_jour: outcome.map(|o| o.updated),
        inchanges: outcome.map(|o| o.unchanged),
        erreurs,
    };
    Ok(if outcome.is_some() {
        Json(body).into_response()
    } else {
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(ImportRefused::Report(body)),
        )
            .into_response()
    })
}
