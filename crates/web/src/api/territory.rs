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

/// An import of communes' indicators through the API: where the figures come from, and
/// whether valid rows are imported when others are not.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct IndicatorsAsked {
    /// Where the figures come from (« Indice de fragilité numérique 2024, La Mednum »), shown
    /// beside the score.
    source: String,
    /// `true`: import the valid rows even when others are refused.
    skip_invalid: bool,
}

/// Why nothing was imported: the report of the cells refused, or the reason the file could not
/// be read at all.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[serde(untagged)]
#[schema(as = ImportIndicateursRefuse)]
pub enum IndicatorsRefused {
    Report(maillage_app::territory::fragility::IndicatorsReport),
    /// Answered by [`super::ApiError`], which has this shape.
    #[allow(dead_code)]
    Unreadable(ErrorBody),
}

/// Imports communes' indicators (coordinators): all or nothing unless `skip_invalid=true`.
#[utoipa::path(
    post, path = "/territoire/indicateurs", tag = "territoire",
    summary = "Importer les indicateurs des communes (fragilité numérique, population de 15 ans et plus) : CSV, une ligne par code INSEE",
    description = "Colonnes : code_insee et tout ou partie de non_couverture_thd, non_couverture_4g, part_65_ans_et_plus, part_peu_ou_pas_diplomes, taux_pauvrete, part_menages_une_personne, part_familles_monoparentales, taux_chomage, part_allocataires_prestations (en %), population_15_ans_et_plus. Tout ou rien par défaut.",
    params(IndicatorsAsked),
    request_body(content = String, content_type = "text/csv",
        description = "Le fichier (CSV, « , » ou « ; », UTF-8)"),
    security(("session" = [])),
    responses(
        (status = 200, description = "Importé, avec le rapport", body = maillage_app::territory::fragility::IndicatorsReport),
        (status = 401, description = "Connexion nécessaire", body = ErrorBody),
        (status = 403, description = "Réservé aux coordinateurs", body = ErrorBody),
        (status = 413, description = "Fichier trop gros", body = ErrorBody),
        (status = 422, description = "Rien n'a été importé : le rapport liste chaque case à corriger (ligne, colonne, valeur, raison), ou le fichier est illisible, ou la source manque",
            body = IndicatorsRefused),
    ),
)]
pub async fn import_indicators(
    AxState(state): AxState<State>,
    viewer: Viewer,
    ApiQuery(asked): ApiQuery<IndicatorsAsked>,
    body: axum::body::Body,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    // Who may import is known before the file is read.
    state.app.check(
        viewer.actor(),
        &maillage_domain::policy::Action::ImportIndicators,
    )?;
    let limit = maillage_app::limits::INDICATORS_IMPORT_BYTES;
    let body = axum::body::to_bytes(body, limit).await.map_err(|_| {
        maillage_app::AppError::TooLarge(format!("fichier trop gros : {} Mio au plus", limit >> 20))
    })?;
    let report = state
        .app
        .import_indicators(
            viewer.actor(),
            body.to_vec(),
            "indicateurs.csv",
            &asked.source,
            asked.skip_invalid,
        )
        .await?;
    Ok(if report.imported > 0 || report.errors.is_empty() {
        Json(report).into_response()
    } else {
        (
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            Json(IndicatorsRefused::Report(report)),
        )
            .into_response()
    })
}
