//! Orientation: the catalogue of requests and the answer to one.

use axum::Json;
use axum::extract::State as AxState;
use maillage_app::orientation::{OrientForm, OrientationView};
use maillage_domain::orientation::RequestEntry;
use serde::Serialize;
use utoipa::ToSchema;

use super::{ApiError, ApiQuery, ApiResult, Detail, ErrorBody};
use crate::State;
use crate::auth::Viewer;

/// Orients: the same form as the page, the same answer as the CLI.
#[utoipa::path(
    get, path = "/orientation", tag = "orientation",
    summary = "Orienter : les lieux, ateliers, ressources et nouvelles qui répondent à une demande, classés, chacun avec ses raisons",
    params(OrientForm),
    responses(
        (status = 200, description = "La réponse", body = OrientationView),
        (status = 422, description = "Paramètres à corriger : chaque champ et sa raison", body = ErrorBody),
    ),
)]
pub async fn orientation(
    AxState(state): AxState<State>,
    viewer: Viewer,
    ApiQuery(form): ApiQuery<OrientForm>,
) -> ApiResult<Json<OrientationView>> {
    let catalogue = state.app.catalogue().await?;
    let q = form.to_query(&state.app, &catalogue).map_err(|errors| {
        ApiError::invalid(
            format!("{} paramètre(s) à corriger", errors.len()),
            errors
                .into_iter()
                .map(|(field, why)| Detail::field(field, why))
                .collect(),
        )
    })?;
    let o = state.app.orient(viewer.actor.as_ref(), &q).await?;
    Ok(Json(OrientationView::of(&o, &state.app.public_url)))
}

/// The catalogue of requests.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Catalogue)]
pub struct RequestList {
    total: usize,
    demandes: Vec<RequestEntry>,
}

/// The catalogue of common requests used to orient.
#[utoipa::path(
    get, path = "/demandes", tag = "orientation",
    summary = "Catalogue des demandes courantes utilisé pour orienter",
    responses((status = 200, description = "Les demandes", body = RequestList)),
)]
pub async fn list_requests(AxState(state): AxState<State>) -> ApiResult<Json<RequestList>> {
    let catalogue = state.app.catalogue().await?;
    Ok(Json(RequestList {
        total: catalogue.entries.len(),
        demandes: catalogue.entries.clone(),
    }))
}
