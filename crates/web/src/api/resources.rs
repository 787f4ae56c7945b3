//! The resource library.

use axum::Json;
use axum::extract::{Path, State as AxState};
use maillage_app::resources::{ResourceFilter, ResourceQuery, ResourceView, Shelf};
use serde::Serialize;
use utoipa::ToSchema;

use super::{ApiQuery, ApiResult, ErrorBody};
use crate::State;
use crate::auth::Viewer;

/// Published resources.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ListeRessources)]
pub struct ResourceList {
    total: usize,
    ressources: Vec<ResourceView>,
}

/// Published resources, with the filters of the library page.
#[utoipa::path(
    get, path = "/ressources", tag = "ressources",
    summary = "Ressources publiées de la ressourcerie (les plus pertinentes d'abord quand des mots sont donnés)",
    params(ResourceQuery),
    responses((status = 200, description = "Les ressources", body = ResourceList)),
)]
pub async fn list_resources(
    AxState(state): AxState<State>,
    viewer: Viewer,
    ApiQuery(asked): ApiQuery<ResourceQuery>,
) -> ApiResult<Json<ResourceList>> {
    let filter = ResourceFilter {
        shelf: Shelf::Published,
        ..asked.filter()
    };
    let found = state.app.find_resources(viewer.actor(), &filter).await?;
    let ressources: Vec<ResourceView> = found
        .iter()
        .map(|s| ResourceView::of(&state.app.public_url, s))
        .collect();
    Ok(Json(ResourceList {
        total: ressources.len(),
        ressources,
    }))
}

/// One resource: published, or proposed by the caller's structure.
#[utoipa::path(
    get, path = "/ressources/{id}", tag = "ressources",
    summary = "Une ressource (publiée, ou proposée par votre structure)",
    params(("id" = String, Path, description = "Identifiant de la ressource")),
    responses(
        (status = 200, description = "La ressource", body = ResourceView),
        (status = 404, description = "Inconnue ou non visible", body = ErrorBody),
    ),
)]
pub async fn get_resource(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> ApiResult<Json<ResourceView>> {
    let s = state.app.resource(viewer.actor(), &id).await?;
    Ok(Json(ResourceView::of(&state.app.public_url, &s)))
}
