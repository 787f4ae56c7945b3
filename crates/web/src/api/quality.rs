//! Quality of the directory of the caller's territory.

use axum::Json;
use axum::extract::State as AxState;
use maillage_domain::freshness::{Freshness, QualitySummary};
use serde::Serialize;
use utoipa::ToSchema;

use super::{ApiResult, ErrorBody};
use crate::State;
use crate::auth::Viewer;

/// The indicators and the pages to check: the same as the quality page.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Qualite)]
pub struct QualityView {
    indicateurs: QualitySummary,
    a_verifier: Vec<ToCheck>,
    /// Places whose referent never answered an update campaign.
    referents_sans_reponse: Vec<PlaceLink>,
}

/// A page to check.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = FicheAVerifier)]
pub struct ToCheck {
    id: String,
    nom: String,
    commune: String,
    date_maj: String,
    fraicheur: Freshness,
    /// Completeness, 0 to 100.
    completude: u8,
    /// Fields missing.
    manque: Vec<&'static str>,
    horaires_illisibles: bool,
}

/// A place named.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = LieuCite)]
pub struct PlaceLink {
    id: String,
    nom: String,
    commune: String,
}

/// Quality of the directory of the caller's territory (coordinators).
#[utoipa::path(
    get, path = "/qualite", tag = "annuaire",
    summary = "Qualité de l'annuaire du territoire de l'appelant (coordinateur) : fraîcheur, complétude, fiches à vérifier",
    security(("session" = [])),
    responses(
        (status = 200, description = "Indicateurs et fiches à vérifier", body = QualityView),
        (status = 401, description = "Connexion nécessaire", body = ErrorBody),
        (status = 403, description = "Réservé aux coordinateurs", body = ErrorBody),
    ),
)]
pub async fn quality(
    AxState(state): AxState<State>,
    viewer: Viewer,
) -> ApiResult<Json<QualityView>> {
    let report = state.app.quality_report(viewer.actor()).await?;
    Ok(Json(QualityView {
        indicateurs: report.summary,
        a_verifier: report
            .to_check
            .iter()
            .map(|q| ToCheck {
                id: q.place.place.id.clone(),
                nom: q.place.place.name.clone(),
                commune: q.place.place.commune.clone(),
                date_maj: q.place.place.updated_on.to_string(),
                fraicheur: q.freshness,
                completude: q.completeness.score,
                manque: q.completeness.missing.clone(),
                horaires_illisibles: q.invalid_hours,
            })
            .collect(),
        referents_sans_reponse: report
            .never_answered
            .iter()
            .map(|p| PlaceLink {
                id: p.place.id.clone(),
                nom: p.place.name.clone(),
                commune: p.place.commune.clone(),
            })
            .collect(),
    }))
}
