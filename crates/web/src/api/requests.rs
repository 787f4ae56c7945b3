//! A person's requests about their data (issue #19), for the members of the structure that
//! received them: list with deadlines, record one, read one with what is held about the person.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State as AxState};
use axum::http::StatusCode;
use maillage_app::requests::{RequestExport, RequestView};
use maillage_domain::requests::RequestForm;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{ApiError, ApiQuery, ApiResult, Detail, ErrorBody};
use crate::State;
use crate::auth::Viewer;

/// The structure whose requests are asked, when the member belongs to several.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct RequestsQuery {
    /// Identifier of the structure (the member's only one when absent).
    structure: String,
}

/// A request.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = DemandeDroits)]
pub struct RequestItem {
    id: String,
    /// `acces`, `rectification`, `effacement`, `portabilite` or `opposition`.
    droit: String,
    /// `ouverte`, `traitee` or `refusee`.
    etat: String,
    recue_le: String,
    repondre_avant_le: String,
    /// Days left to answer (negative: late), while open.
    jours_restants: Option<i64>,
    nom: Option<String>,
    contact: Option<String>,
    personne: Option<String>,
    reponse: Option<String>,
}

impl RequestItem {
    fn of(v: &RequestView) -> Self {
        let r = &v.request;
        RequestItem {
            id: r.id.clone(),
            droit: r.kind.clone(),
            etat: r.status.clone(),
            recue_le: r.received_on.clone(),
            repondre_avant_le: r.due_on.clone(),
            jours_restants: v.days_left,
            nom: r.person_name.clone(),
            contact: r.contact.clone(),
            personne: r.person_id.clone(),
            reponse: r.answer.clone(),
        }
    }
}

/// The requests of a structure.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ListeDemandesDroits)]
pub struct RequestList {
    structure: String,
    total: usize,
    demandes: Vec<RequestItem>,
}

/// A request recorded.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = DemandeEnregistree)]
pub struct Recorded {
    id: String,
}

/// A request with what the structure holds about the person (free-form JSON: the file handed
/// to the person).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = DemandeDetaillee)]
pub struct RequestDetail {
    demande: RequestItem,
    #[schema(value_type = Object)]
    donnees: RequestExport,
}

/// The requests of the member's structure: open first, soonest due.
#[utoipa::path(
    get, path = "/droits", tag = "donnees-personnelles",
    summary = "Les demandes des personnes sur leurs données (accès, effacement…), avec leur échéance d'un mois",
    params(RequestsQuery),
    security(("session" = [])),
    responses(
        (status = 200, description = "Les demandes", body = RequestList),
        (status = 401, description = "Connexion nécessaire", body = ErrorBody),
        (status = 403, description = "Réservé aux membres de la structure", body = ErrorBody),
        (status = 404, description = "Structure inconnue", body = ErrorBody),
        (status = 422, description = "Membre de plusieurs structures : laquelle ?", body = ErrorBody),
    ),
)]
pub async fn list_requests(
    AxState(state): AxState<State>,
    viewer: Viewer,
    ApiQuery(q): ApiQuery<RequestsQuery>,
) -> ApiResult<Json<RequestList>> {
    let (org, list, _) = state
        .app
        .person_requests(
            viewer.actor.as_ref(),
            Some(q.structure.as_str()).filter(|s| !s.is_empty()),
        )
        .await?;
    Ok(Json(RequestList {
        structure: org.id,
        total: list.len(),
        demandes: list.iter().map(RequestItem::of).collect(),
    }))
}

/// Records a request received by the member's structure.
#[utoipa::path(
    post, path = "/droits", tag = "donnees-personnelles",
    summary = "Noter une demande reçue (à traiter dans le mois)",
    params(RequestsQuery),
    request_body(content = RequestForm, content_type = "application/json"),
    security(("session" = [])),
    responses(
        (status = 201, description = "La demande notée", body = Recorded),
        (status = 401, description = "Connexion nécessaire", body = ErrorBody),
        (status = 403, description = "Réservé aux membres de la structure", body = ErrorBody),
        (status = 404, description = "Personne suivie inconnue", body = ErrorBody),
        (status = 422, description = "Champs à corriger, chacun nommé", body = ErrorBody),
    ),
)]
pub async fn record_request(
    AxState(state): AxState<State>,
    viewer: Viewer,
    ApiQuery(q): ApiQuery<RequestsQuery>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Recorded>)> {
    let form: RequestForm = super::json_body(
        &body,
        "{\"droit\", \"personne\", \"nom\", \"contact\", \"recue_le\"}",
    )?;
    match state
        .app
        .record_person_request(
            viewer.actor.as_ref(),
            Some(q.structure.as_str()).filter(|s| !s.is_empty()),
            &form,
        )
        .await?
    {
        Ok(id) => Ok((StatusCode::CREATED, Json(Recorded { id }))),
        Err(errors) => Err(ApiError::invalid(
            format!("{} champ(s) à corriger", errors.len()),
            errors
                .into_iter()
                .map(|(f, why)| Detail::field(f, why))
                .collect(),
        )),
    }
}

/// A request with everything the structure holds about the person.
#[utoipa::path(
    get, path = "/droits/{id}", tag = "donnees-personnelles",
    summary = "Une demande et ce que la structure garde sur la personne",
    params(("id" = String, Path, description = "Identifiant de la demande")),
    security(("session" = [])),
    responses(
        (status = 200, description = "La demande", body = RequestDetail),
        (status = 401, description = "Connexion nécessaire", body = ErrorBody),
        (status = 404, description = "Demande inconnue (ou d'une autre structure)", body = ErrorBody),
    ),
)]
pub async fn get_request(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> ApiResult<Json<RequestDetail>> {
    let p = state
        .app
        .person_request_page(viewer.actor.as_ref(), &id)
        .await?;
    Ok(Json(RequestDetail {
        demande: RequestItem::of(&p.view),
        donnees: p.found,
    }))
}
