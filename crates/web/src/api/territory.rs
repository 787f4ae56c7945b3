//! The territory (issue #20): the coverage of the offer in a zone, as the page shows it.

use axum::Json;
use axum::extract::State as AxState;
use maillage_app::territory::{TerritoryQuery, TerritoryView};

use super::{ApiQuery, ApiResult, ErrorBody};
use crate::State;
use crate::auth::Viewer;

/// The coverage of the offer in a zone: for each kind of help, the communes where a place
/// offers it, within the reach, only further, nowhere; the people out of reach; every commune
/// and the « zones blanches » for the kind asked.
#[utoipa::path(
    get, path = "/territoire", tag = "territoire",
    summary = "Couverture de l'offre d'une zone (commune, intercommunalité, département, région, France ou liste) : communes et habitants à portée de chaque aide, zones blanches",
    params(TerritoryQuery),
    security(("session" = [])),
    responses(
        (status = 200, description = "La couverture de la zone", body = TerritoryView),
        (status = 401, description = "Connexion nécessaire", body = ErrorBody),
        (status = 413, description = "Zone de plus de 30 éléments, ou texte trop long", body = ErrorBody),
        (status = 422, description = "Zone, portée ou aide inconnue ou invalide (le message nomme le champ)", body = ErrorBody),
    ),
)]
pub async fn territory(
    AxState(state): AxState<State>,
    viewer: Viewer,
    ApiQuery(asked): ApiQuery<TerritoryQuery>,
) -> ApiResult<Json<TerritoryView>> {
    Ok(Json(state.app.territory(viewer.actor(), &asked).await?))
}
