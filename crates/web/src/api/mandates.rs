//! Mandates of the caller's structure (issue #19): list, record, read, act under one, revoke.
//! The same services and rules as the pages: habilitated members record and act, members read
//! and revoke, another structure's mandate is « introuvable ».

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State as AxState};
use axum::http::StatusCode;
use maillage_app::mandates::{ActForm, MandateIndicators, MandateView, RevokeForm};
use maillage_domain::mandates::MandateForm;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{ApiError, ApiQuery, ApiResult, Detail, ErrorBody};
use crate::State;
use crate::auth::Viewer;

/// The structure whose mandates are asked, when the member belongs to several.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct DeskQuery {
    /// Identifier of the structure (the member's only one when absent).
    structure: String,
}

/// The mandates of a structure.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ListeMandats)]
pub struct MandateList {
    structure: String,
    total: usize,
    mandats: Vec<MandateView>,
    /// The structure's indicators over the last twelve months (definitions in
    /// docs/INDICATORS.md, section « Mandats »).
    indicateurs: MandateIndicators,
}

/// A mandate just recorded, with the person's link (given once).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = MandatEnregistre)]
pub struct Recorded {
    id: String,
    /// The address the person opens to see and stop their mandates: given once, stored as
    /// its hash.
    lien_personnel: Option<String>,
}

/// An act recorded.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ActeEnregistre)]
pub struct ActRecorded {
    id: String,
    /// Something like a password or a personal number was masked before saving.
    masque: bool,
}

/// The mandates of the member's structure, newest first.
#[utoipa::path(
    get, path = "/mandats", tag = "mandats",
    summary = "Les mandats de la structure du membre connecté",
    params(DeskQuery),
    security(("session" = [])),
    responses(
        (status = 200, description = "Les mandats", body = MandateList),
        (status = 401, description = "Connexion nécessaire", body = ErrorBody),
        (status = 403, description = "Réservé aux membres de la structure", body = ErrorBody),
        (status = 404, description = "Structure inconnue", body = ErrorBody),
        (status = 422, description = "Membre de plusieurs structures : laquelle ?", body = ErrorBody),
    ),
)]
pub async fn list_mandates(
    AxState(state): AxState<State>,
    viewer: Viewer,
    ApiQuery(q): ApiQuery<DeskQuery>,
) -> ApiResult<Json<MandateList>> {
    let desk = state
        .app
        .mandate_desk(
            viewer.actor.as_ref(),
            Some(q.structure.as_str()).filter(|s| !s.is_empty()),
        )
        .await?;
    Ok(Json(MandateList {
        indicateurs: desk.indicators(),
        structure: desk.organisation.id,
        total: desk.mandates.len(),
        mandats: desk.mandates,
    }))
}

/// Records a mandate (a habilitated member, with the person).
#[utoipa::path(
    post, path = "/mandats", tag = "mandats",
    summary = "Enregistrer un mandat avec la personne (aidant habilité)",
    request_body(content = MandateForm, content_type = "application/json"),
    security(("session" = [])),
    responses(
        (status = 201, description = "Le mandat enregistré et le lien personnel", body = Recorded),
        (status = 401, description = "Connexion nécessaire", body = ErrorBody),
        (status = 403, description = "Aidant non habilité, ou d'une autre structure", body = ErrorBody),
        (status = 404, description = "Personne ou mandat renouvelé inconnu", body = ErrorBody),
        (status = 422, description = "Champs à corriger, chacun nommé", body = ErrorBody),
    ),
)]
pub async fn record_mandate(
    AxState(state): AxState<State>,
    viewer: Viewer,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Recorded>)> {
    let form: MandateForm = super::json_body(
        &body,
        "{\"nom\", \"contact\", \"demarches\", \"duree\", \"accord\", \"texte_lu\", \"structure\"}",
    )?;
    // The same key as the page's (`cle`): a body sent twice records one mandate.
    let key = Some(form.form_key.as_str()).filter(|k| !k.is_empty() && k.len() <= 64);
    match state
        .app
        .record_mandate(viewer.actor.as_ref(), &form, key)
        .await?
    {
        Ok(r) => {
            let base = state.app.public_url.trim_end_matches('/');
            Ok((
                StatusCode::CREATED,
                Json(Recorded {
                    id: r.mandate_id,
                    lien_personnel: r.link_token.map(|t| format!("{base}/mon-mandat/{t}")),
                }),
            ))
        }
        Err(errors) => Err(form_errors(errors)),
    }
}

/// A mandate of the member's structure.
#[utoipa::path(
    get, path = "/mandats/{id}", tag = "mandats",
    summary = "Un mandat : démarches, durée, accord, texte signé, empreinte, état",
    params(("id" = String, Path, description = "Identifiant du mandat")),
    security(("session" = [])),
    responses(
        (status = 200, description = "Le mandat", body = MandateView),
        (status = 401, description = "Connexion nécessaire", body = ErrorBody),
        (status = 404, description = "Mandat inconnu (ou d'une autre structure)", body = ErrorBody),
    ),
)]
pub async fn get_mandate(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> ApiResult<Json<MandateView>> {
    Ok(Json(
        state.app.mandate_view(viewer.actor.as_ref(), &id).await?,
    ))
}

/// Records an act done under a mandate.
#[utoipa::path(
    post, path = "/mandats/{id}/actes", tag = "mandats",
    summary = "Noter une démarche faite pour la personne (refusée si le mandat ne le permet pas, avec la raison)",
    params(("id" = String, Path, description = "Identifiant du mandat")),
    request_body(content = ActForm, content_type = "application/json"),
    security(("session" = [])),
    responses(
        (status = 201, description = "L'acte noté", body = ActRecorded),
        (status = 401, description = "Connexion nécessaire", body = ErrorBody),
        (status = 403, description = "Aidant non habilité", body = ErrorBody),
        (status = 404, description = "Mandat inconnu (ou d'une autre structure)", body = ErrorBody),
        (status = 422, description = "Usage refusé (révoqué, terminé, démarche non couverte) ou champs à corriger", body = ErrorBody),
    ),
)]
pub async fn record_act(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<ActRecorded>)> {
    let form: ActForm = super::json_body(&body, "{\"demarche\", \"maniere\", \"quoi\"}")?;
    match state
        .app
        .record_act(viewer.actor.as_ref(), &id, &form)
        .await?
    {
        Ok((id, masque, _)) => Ok((StatusCode::CREATED, Json(ActRecorded { id, masque }))),
        Err(errors) => Err(form_errors(errors)),
    }
}

/// Revokes a mandate (any member of the structure, at the person's request or its own).
#[utoipa::path(
    post, path = "/mandats/{id}/revocation", tag = "mandats",
    summary = "Arrêter un mandat (à la demande de la personne, ou de la structure)",
    params(("id" = String, Path, description = "Identifiant du mandat")),
    request_body(content = RevokeForm, content_type = "application/json"),
    security(("session" = [])),
    responses(
        (status = 200, description = "Le mandat révoqué", body = MandateView),
        (status = 401, description = "Connexion nécessaire", body = ErrorBody),
        (status = 404, description = "Mandat inconnu (ou d'une autre structure)", body = ErrorBody),
        (status = 422, description = "Corps illisible", body = ErrorBody),
    ),
)]
pub async fn revoke_mandate(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<MandateView>> {
    let form: RevokeForm = if body.is_empty() {
        RevokeForm::default()
    } else {
        super::json_body(&body, "{\"par\"}")?
    };
    state
        .app
        .revoke_mandate(viewer.actor.as_ref(), &id, &form)
        .await?;
    Ok(Json(
        state.app.mandate_view(viewer.actor.as_ref(), &id).await?,
    ))
}

/// A form's errors, each with its field.
fn form_errors(errors: Vec<(&'static str, String)>) -> ApiError {
    ApiError::invalid(
        format!("{} champ(s) à corriger", errors.len()),
        errors
            .into_iter()
            .map(|(field, why)| Detail::field(field, why))
            .collect(),
    )
}
