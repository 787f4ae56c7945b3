//! Diagnostic: the questionnaires in force and the scoring of an answer sheet.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State as AxState};
use maillage_domain::diagnostic::{AnswerSheet, Assessment, Questionnaire};

use super::{ApiResult, ErrorBody};
use crate::{AppError, State};

/// Scores an answer sheet: the same result as the page and `maillage diagnostic score`.
#[utoipa::path(
    post, path = "/diagnostic/score", tag = "diagnostic",
    summary = "Calcule le résultat d'un diagnostic (mêmes règles que la page et la CLI, docs/DIAGNOSTIC.md)",
    request_body(content = AnswerSheet, content_type = "application/json"),
    responses(
        (status = 200, description = "Le résultat : niveau, besoin, domaines, équipement, règles appliquées", body = Assessment),
        (status = 422, description = "Question ou choix inconnu, avec la raison", body = ErrorBody),
    ),
)]
pub async fn score(AxState(state): AxState<State>, body: Bytes) -> ApiResult<Json<Assessment>> {
    let text = std::str::from_utf8(&body)
        .map_err(|_| AppError::Invalid("le corps doit être du JSON en UTF-8".into()))?;
    let sheet = AnswerSheet::from_json(text).map_err(|e| AppError::Invalid(e.to_string()))?;
    Ok(Json(state.app.score_sheet(&sheet).await?))
}

/// A questionnaire in force (latest version), as reference data.
#[utoipa::path(
    get, path = "/diagnostic/questionnaires/{id}", tag = "diagnostic",
    summary = "Questionnaire en vigueur (court ou complet), dernière version",
    params(("id" = String, Path, description = "`court` ou `complet`")),
    responses(
        (status = 200, description = "Le questionnaire : questions, choix et leurs signaux", body = Questionnaire),
        (status = 404, description = "Questionnaire inconnu", body = ErrorBody),
        (status = 422, description = "Questionnaire inconnu", body = ErrorBody),
    ),
)]
pub async fn questionnaire(
    AxState(state): AxState<State>,
    Path(id): Path<String>,
) -> ApiResult<Json<Questionnaire>> {
    Ok(Json(state.app.questionnaire(&id, None).await?))
}
