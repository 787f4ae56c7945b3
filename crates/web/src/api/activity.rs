//! Activity: the indicators and their definitions.

use axum::Json;
use axum::extract::State as AxState;
use maillage_app::activity::{StatisticsView, StatsQuery};
use maillage_domain::indicators::Indicator;
use serde::Serialize;
use utoipa::ToSchema;

use super::{ApiResult, ApiStats, ErrorBody};
use crate::State;
use crate::auth::Viewer;

/// Every indicator for a scope and the shared filters: the same computation as the pages and
/// the exports.
#[utoipa::path(
    get, path = "/statistiques", tag = "activite",
    summary = "Indicateurs d'activité (mêmes définitions que les pages et les exports)",
    description = "Chiffres clés et tableaux pour une portée et des filtres. Réservé aux comptes \
        connectés : ses structures, son territoire (coordinateurs), tout le réseau (administrateurs).",
    params(
        ("portee" = Option<String>, Query, description = "`moi`, `territoire` ou l'identifiant d'une structure"),
        ("du" = Option<String>, Query, description = "Premier jour (AAAA-MM-JJ)"),
        ("au" = Option<String>, Query, description = "Dernier jour (AAAA-MM-JJ)"),
        ("tout" = Option<bool>, Query, description = "Toutes les dates"),
        ("type" = Option<Vec<String>>, Query, description = "Type d'accompagnement"),
        ("thematique" = Option<Vec<String>>, Query, description = "Thématique"),
        ("lieu" = Option<Vec<String>>, Query, description = "Lieu"),
        ("commune" = Option<Vec<String>>, Query, description = "Commune"),
        ("intervenant" = Option<Vec<String>>, Query, description = "Intervenant"),
        ("niveau" = Option<Vec<String>>, Query, description = "Niveau"),
        ("etiquette" = Option<Vec<String>>, Query, description = "Étiquette"),
        ("structure" = Option<Vec<String>>, Query, description = "Structure"),
    ),
    security(("session" = [])),
    responses(
        (status = 200, description = "Chiffres (identifiant → valeur), tableaux (identifiant → titre, définition, base, lignes) et filtres appliqués", body = StatisticsView),
        (status = 401, description = "Connexion nécessaire", body = ErrorBody),
        (status = 403, description = "Structure hors de vos droits", body = ErrorBody),
        (status = 404, description = "Structure inconnue", body = ErrorBody),
        (status = 422, description = "Filtre illisible", body = ErrorBody),
    ),
)]
pub async fn statistics(
    AxState(state): AxState<State>,
    viewer: Viewer,
    ApiStats(asked): ApiStats,
) -> ApiResult<Json<StatisticsView>> {
    let StatsQuery { scope, filter, .. } = asked;
    let stats = state
        .app
        .statistics(viewer.actor.as_ref(), &scope, filter.clone())
        .await?;
    Ok(Json(StatisticsView::of(&stats, &filter)))
}

/// The definition of an indicator.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Indicateur)]
pub struct IndicatorView {
    id: &'static str,
    titre: &'static str,
    definition: &'static str,
    /// `chiffre` or `tableau`.
    nature: &'static str,
}

/// The definitions.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ListeIndicateurs)]
pub struct IndicatorList {
    indicateurs: Vec<IndicatorView>,
}

/// The definition of each indicator.
#[utoipa::path(
    get, path = "/indicateurs", tag = "activite",
    summary = "Définition de chaque indicateur",
    responses((status = 200, description = "Les indicateurs : chiffres et tableaux", body = IndicatorList)),
)]
pub async fn indicators() -> Json<IndicatorList> {
    let indicateurs = Indicator::FIGURES
        .into_iter()
        .map(|i| (i, "chiffre"))
        .chain(Indicator::TABLES.into_iter().map(|i| (i, "tableau")))
        .map(|(i, nature)| IndicatorView {
            id: i.id(),
            titre: i.title(),
            definition: i.definition(),
            nature,
        })
        .collect();
    Json(IndicatorList { indicateurs })
}
