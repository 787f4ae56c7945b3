//! Workshops: the calendar and registrations.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State as AxState};
use axum::http::StatusCode;
use maillage_app::workshops::WorkshopQuery;
use maillage_domain::Vocabulary;
use maillage_domain::workshops::Workshop;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ApiError, ApiQuery, ApiResult, ErrorBody};
use crate::State;
use crate::auth::{Client, Viewer};

/// A workshop as the API gives it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Atelier)]
pub struct WorkshopView {
    id: String,
    titre: String,
    resume: String,
    /// Who it is for, in plain words.
    pour_qui: String,
    thematiques: Vec<&'static str>,
    niveau_requis: &'static str,
    niveau_atteint: Option<&'static str>,
    format: &'static str,
    lieu_id: Option<String>,
    /// Where it happens when not in a place of the directory.
    lieu_hors_les_murs: Option<String>,
    commune: String,
    code_insee: Option<String>,
    seances: Vec<SessionView>,
    /// A series: one registration for every session.
    parcours: bool,
    places: Option<u32>,
    places_libres: Option<u32>,
    gratuit: bool,
    tarif: Option<String>,
    aptic: bool,
    a_apporter: Option<String>,
    materiel_fourni: Option<String>,
    langues: Option<String>,
    accessibilite: Option<String>,
    inscription: &'static str,
    contact: Option<String>,
    /// Distance to the point searched, in metres.
    distance_m: Option<f64>,
    /// The workshop's page.
    lien: String,
}

/// A session, local time of the place.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Seance)]
pub struct SessionView {
    /// `2026-12-03T14:00`.
    debut: String,
    fin: String,
}

impl WorkshopView {
    fn of(
        public_url: &str,
        w: &Workshop,
        seats_left: Option<u32>,
        distance_m: Option<f64>,
    ) -> Self {
        WorkshopView {
            id: w.id.clone(),
            titre: w.title.clone(),
            resume: w.summary.clone(),
            pour_qui: w.who_for(),
            thematiques: w.themes.iter().map(|t| t.slug()).collect(),
            niveau_requis: w.level_required.slug(),
            niveau_atteint: w.level_reached.map(|l| l.slug()),
            format: w.format.slug(),
            lieu_id: w.place_id.clone(),
            lieu_hors_les_murs: w.location.clone(),
            commune: w.commune.clone(),
            code_insee: w.insee_code.clone(),
            seances: w
                .sessions
                .iter()
                .map(|s| SessionView {
                    debut: s.start.format("%Y-%m-%dT%H:%M").to_string(),
                    fin: s.end.format("%Y-%m-%dT%H:%M").to_string(),
                })
                .collect(),
            parcours: w.series,
            places: w.capacity,
            places_libres: seats_left,
            gratuit: w.free,
            tarif: w.price.clone(),
            aptic: w.aptic,
            a_apporter: w.bring.clone(),
            materiel_fourni: w.equipment_provided.clone(),
            langues: w.language_support.clone(),
            accessibilite: w.accessibility.clone(),
            inscription: w.registration.slug(),
            contact: w.contact.clone(),
            distance_m: distance_m.map(f64::round),
            lien: format!("{public_url}/ateliers/{}", w.id),
        }
    }
}

/// Upcoming workshops.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ListeAteliers)]
pub struct WorkshopList {
    total: usize,
    ateliers: Vec<WorkshopView>,
}

/// Upcoming workshops, with the filters of the calendar page.
#[utoipa::path(
    get, path = "/ateliers", tag = "ateliers",
    summary = "Ateliers à venir, avec les filtres de la page",
    params(WorkshopQuery),
    responses(
        (status = 200, description = "Les ateliers, les plus proches d'abord", body = WorkshopList),
        (status = 422, description = "Filtre invalide, raison en français", body = ErrorBody),
    ),
)]
pub async fn list_workshops(
    AxState(state): AxState<State>,
    ApiQuery(asked): ApiQuery<WorkshopQuery>,
) -> ApiResult<Json<WorkshopList>> {
    let read = state.app.workshop_filter(&asked);
    if !read.errors.is_empty() {
        return Err(ApiError::invalid(read.errors.join(" ; "), Vec::new()));
    }
    let hits = state.app.find_workshops(&read.filter).await?;
    let ateliers: Vec<WorkshopView> = hits
        .iter()
        .map(|h| {
            WorkshopView::of(
                &state.app.public_url,
                &h.stored.workshop,
                h.seats_left,
                h.distance_m,
            )
        })
        .collect();
    Ok(Json(WorkshopList {
        total: ateliers.len(),
        ateliers,
    }))
}

/// One workshop.
#[utoipa::path(
    get, path = "/ateliers/{id}", tag = "ateliers",
    summary = "Un atelier",
    params(("id" = String, Path, description = "Identifiant de l'atelier")),
    responses(
        (status = 200, description = "L'atelier", body = WorkshopView),
        (status = 404, description = "Atelier inconnu", body = ErrorBody),
    ),
)]
pub async fn get_workshop(
    AxState(state): AxState<State>,
    Path(id): Path<String>,
) -> ApiResult<Json<WorkshopView>> {
    let stored = state.app.workshop(&id).await?;
    let seats = maillage_domain::workshops::seats_left(stored.workshop.capacity, stored.registered);
    Ok(Json(WorkshopView::of(
        &state.app.public_url,
        &stored.workshop,
        seats,
        None,
    )))
}

/// A person to register.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = Inscription)]
pub struct RegistrationBody {
    /// First name or nickname.
    prenom: String,
    /// Telephone or e-mail, optional (to be told of a change).
    #[serde(default)]
    contact: String,
}

/// A registration made.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = InscriptionFaite)]
pub struct Registered {
    id: String,
    /// `inscrit`, or `en_attente` when the workshop is full.
    etat: &'static str,
    /// The link to give the person, to cancel.
    lien_annulation: String,
}

/// Registers a person; the waiting list when it is full.
#[utoipa::path(
    post, path = "/ateliers/{id}/inscriptions", tag = "ateliers",
    summary = "Inscrit une personne (prénom ou pseudonyme, contact facultatif) ; liste d'attente quand c'est complet",
    params(("id" = String, Path, description = "Identifiant de l'atelier")),
    request_body(content = RegistrationBody, content_type = "application/json"),
    responses(
        (status = 201, description = "Inscrite, ou en liste d'attente", body = Registered),
        (status = 404, description = "Atelier inconnu", body = ErrorBody),
        (status = 422, description = "Inscription impossible, raison en français", body = ErrorBody),
        (status = 429, description = "Trop d'inscriptions depuis ce poste", body = ErrorBody),
    ),
)]
pub async fn register(
    AxState(state): AxState<State>,
    viewer: Viewer,
    client: Client,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Registered>)> {
    let body: RegistrationBody = super::json_body(&body, "{\"prenom\", \"contact\"}")?;
    let (r, token) = state
        .app
        .register_person(
            viewer.actor(),
            client.key(),
            &id,
            &body.prenom,
            &body.contact,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(Registered {
            id: r.id,
            etat: r.status.slug(),
            lien_annulation: format!("{}/ateliers/annulation/{token}", state.app.public_url),
        }),
    ))
}
