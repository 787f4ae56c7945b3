//! Structures of the network.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State as AxState};
use axum::http::StatusCode;
use maillage_app::organisations::NewOrganisation;
use maillage_domain::organisation::Organisation;
use serde::Serialize;
use utoipa::ToSchema;

use super::{ApiError, ApiResult, Detail, ErrorBody};
use crate::auth::Viewer;
use crate::{AppError, State};

/// A structure.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Structure)]
pub struct OrganisationView {
    id: String,
    nom: String,
    /// SIRET.
    pivot: Option<String>,
    /// Typology codes joined by `|`.
    typologie: String,
    departement: Option<String>,
}

impl OrganisationView {
    fn of(o: &Organisation) -> Self {
        OrganisationView {
            id: o.id.clone(),
            nom: o.name.clone(),
            pivot: o.pivot.clone(),
            typologie: o.typologies.join("|"),
            departement: o.departement.clone(),
        }
    }
}

/// Every structure.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ListeStructures)]
pub struct OrganisationList {
    total: usize,
    structures: Vec<OrganisationView>,
}

/// Lists the structures of the network.
#[utoipa::path(
    get, path = "/structures", tag = "annuaire",
    summary = "Lister les structures",
    responses((status = 200, description = "Les structures", body = OrganisationList)),
)]
pub async fn list_organisations(
    AxState(state): AxState<State>,
) -> ApiResult<Json<OrganisationList>> {
    let structures: Vec<OrganisationView> = state
        .app
        .organisations()
        .await?
        .iter()
        .map(OrganisationView::of)
        .collect();
    Ok(Json(OrganisationList {
        total: structures.len(),
        structures,
    }))
}

/// One structure.
#[utoipa::path(
    get, path = "/structures/{id}", tag = "annuaire",
    summary = "Une structure",
    params(("id" = String, Path, description = "Identifiant de la structure")),
    responses(
        (status = 200, description = "La structure", body = OrganisationView),
        (status = 404, description = "Structure inconnue", body = ErrorBody),
    ),
)]
pub async fn get_organisation(
    AxState(state): AxState<State>,
    Path(id): Path<String>,
) -> ApiResult<Json<OrganisationView>> {
    let org = state
        .app
        .organisation(&id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Json(OrganisationView::of(&org)))
}

/// Creates a structure: the same rule as the administration page.
#[utoipa::path(
    post, path = "/structures", tag = "annuaire",
    summary = "Créer une structure",
    request_body(content = NewOrganisation, content_type = "application/json"),
    security(("session" = [])),
    responses(
        (status = 201, description = "Créée", body = OrganisationView),
        (status = 401, description = "Connexion nécessaire", body = ErrorBody),
        (status = 403, description = "Hors de vos droits", body = ErrorBody),
        (status = 409, description = "Une structure a déjà ce SIRET", body = ErrorBody),
        (status = 422, description = "Structure invalide : chaque champ et sa raison", body = ErrorBody),
    ),
)]
pub async fn create_organisation(
    AxState(state): AxState<State>,
    viewer: Viewer,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<OrganisationView>)> {
    let input: NewOrganisation = super::json_body(&body, "{\"nom\", \"pivot\", \"departement\"}")?;
    let org = state
        .app
        .create_organisation(viewer.actor(), &input)
        .await?
        .map_err(|errors| {
            ApiError::invalid(
                "structure invalide",
                errors
                    .into_iter()
                    .map(|(f, r)| Detail::field(f, r))
                    .collect(),
            )
        })?;
    Ok((StatusCode::CREATED, Json(OrganisationView::of(&org))))
}
