//! The network's surveys (issue #20): a survey's results over the caller's territory, and a
//! paper answer typed in — the same service and the same parser as the pages.

use std::collections::BTreeMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State as AxState};
use axum::http::StatusCode;
use chrono::Utc;
use maillage_app::surveys::EquipmentCount;
use maillage_domain::surveys::{PlaceChange, SectionResult};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ApiError, ApiResult, Detail, ErrorBody};
use crate::State;
use crate::auth::Viewer;

/// A survey and its results over the caller's territory.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Enquete)]
pub struct SurveyView {
    pub id: String,
    /// `partenaires` (besoins des partenaires) or `usages` (usages du public).
    pub questionnaire: &'static str,
    pub titre: String,
    pub perimetre: String,
    /// The last day answers are taken (`AAAA-MM-JJ`).
    pub cloture: String,
    pub ouverte: bool,
    /// Places asked, of the caller's territory.
    pub lieux: usize,
    pub lieux_ayant_repondu: usize,
    pub reponses: usize,
    /// Answers whose changes to their place's entry wait for the structure.
    pub fiches_a_confirmer: usize,
    pub resultats: Vec<SectionResult>,
    /// Partners' surveys: equipment needed and given.
    pub materiel: Vec<EquipmentCount>,
}

/// A survey's results over the places of the caller's territory (coordinators).
#[utoipa::path(
    get, path = "/enquetes/{id}", tag = "territoire",
    summary = "Résultats d'une enquête du réseau (coordinateurs) : chaque question comptée, sites classés, matériel demandé et donné",
    params(("id" = String, Path, description = "Identifiant de l'enquête")),
    security(("session" = [])),
    responses(
        (status = 200, description = "L'enquête et ses résultats", body = SurveyView),
        (status = 401, description = "Connexion nécessaire", body = ErrorBody),
        (status = 403, description = "Réservé aux coordinateurs", body = ErrorBody),
        (status = 404, description = "Enquête inconnue, ou sans lieu du territoire de l'appelant", body = ErrorBody),
    ),
)]
pub async fn survey(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> ApiResult<Json<SurveyView>> {
    let d = state.app.survey_dashboard(viewer.actor(), &id).await?;
    let s = d.summary.survey;
    Ok(Json(SurveyView {
        id: s.id,
        questionnaire: s.kind.slug(),
        titre: s.title,
        perimetre: s.scope,
        cloture: s.closes_on,
        ouverte: d.summary.open,
        lieux: d.summary.places,
        lieux_ayant_repondu: d.rows.iter().filter(|r| r.answers > 0).count(),
        reponses: d.summary.answers,
        fiches_a_confirmer: d.pending_changes,
        resultats: d.results,
        materiel: d.equipment,
    }))
}

/// One value of an answer: a text, or the choices of a multiple-choice question.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
#[schema(as = ValeurDeReponse)]
pub enum Value {
    One(String),
    Many(Vec<String>),
}

/// A paper answer: the place that answered, and the form's fields (`q.<question>`,
/// `q.<question>.<ligne>`), as the questionnaire's page names them.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = ReponsePapier, example = json!({
    "lieu": "identifiant-du-lieu",
    "reponses": {"q.wifi": "oui", "q.materiel_besoin": ["ordinateur", "imprimante"], "q.sites_formation.caf": "1"}
}))]
pub struct PaperAnswer {
    pub lieu: String,
    pub reponses: BTreeMap<String, Value>,
}

/// An answer recorded.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ReponseEnregistree)]
pub struct Recorded {
    pub id: String,
    /// What it would change on the place's entry, waiting for the place's structure.
    pub changements: Vec<PlaceChange>,
}

/// Types a paper answer in, for a place the survey asked: its structure's members or its
/// territory's coordinators. Refused as a whole with each problem named.
#[utoipa::path(
    post, path = "/enquetes/{id}/reponses", tag = "territoire",
    summary = "Saisir une réponse papier à une enquête du réseau, pour un lieu interrogé (sa structure, ses coordinateurs)",
    params(("id" = String, Path, description = "Identifiant de l'enquête")),
    request_body(content = PaperAnswer, content_type = "application/json"),
    security(("session" = [])),
    responses(
        (status = 201, description = "Réponse enregistrée", body = Recorded),
        (status = 401, description = "Connexion nécessaire", body = ErrorBody),
        (status = 403, description = "Lieu que l'enquête n'interroge pas, ou pas pour l'appelant", body = ErrorBody),
        (status = 404, description = "Enquête inconnue, ou sans lieu pour l'appelant", body = ErrorBody),
        (status = 422, description = "Réponse refusée : chaque question fautive avec sa raison (rien n'est enregistré), ou enquête close", body = ErrorBody),
    ),
)]
pub async fn enter_answer(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Recorded>)> {
    let a: PaperAnswer = super::json_body(&body, "{\"lieu\", \"reponses\"}")?;
    let fields: Vec<(String, String)> = a
        .reponses
        .into_iter()
        .flat_map(|(k, v)| match v {
            Value::One(s) => vec![(k, s)],
            Value::Many(list) => list.into_iter().map(|s| (k.clone(), s)).collect(),
        })
        .collect();
    match state
        .app
        .enter_survey_answer(viewer.actor(), &id, &a.lieu, &fields, Utc::now())
        .await?
    {
        Ok(r) => Ok((
            StatusCode::CREATED,
            Json(Recorded {
                id: r.answer_id,
                changements: r.changes,
            }),
        )),
        Err(problems) => Err(ApiError::invalid(
            format!(
                "{} réponse(s) à corriger : rien n'est enregistré",
                problems.len()
            ),
            problems
                .into_iter()
                .map(|p| Detail::field(p.field, format!("{} : {}", p.question, p.reason)))
                .collect(),
        )),
    }
}
