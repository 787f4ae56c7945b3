//! Referrals sent and received by the caller's structures.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State as AxState};
use maillage_app::StoredReferral;
use maillage_app::referrals::AnswerForm;
use maillage_domain::Vocabulary;
use serde::Serialize;
use utoipa::ToSchema;

use super::{ApiResult, ErrorBody};
use crate::State;
use crate::auth::Viewer;

/// A referral.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Orientation_transmise)]
pub struct ReferralView {
    id: String,
    /// The person's journey (every hand-off).
    parcours: String,
    statut: &'static str,
    statut_libelle: &'static str,
    /// The person's first name or nickname.
    prenom: Option<String>,
    contact: Option<String>,
    de_structure: Option<String>,
    vers_structure: Option<String>,
    vers_lieu: Option<String>,
    /// The receiving place or partner, in words.
    vers: String,
    demande: Option<String>,
    intitule: String,
    /// The person's level (slug), when shared.
    niveau: Option<String>,
    contraintes: Option<String>,
    note: Option<String>,
    motif_refus: Option<&'static str>,
    partenaire_suggere: Option<String>,
    issue: Option<&'static str>,
    envoyee_le: Option<String>,
    creee_le: String,
    close_le: Option<String>,
    /// `envoyee` or `recue`, in lists.
    #[serde(skip_serializing_if = "Option::is_none")]
    sens: Option<&'static str>,
    /// Its history, when one referral is asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    historique: Option<Vec<HistoryEntry>>,
    /// The person's journey, when one referral is asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    parcours_etapes: Option<Vec<JourneyStep>>,
}

/// A change of status.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = EtapeHistorique)]
pub struct HistoryEntry {
    le: String,
    statut: &'static str,
    par: String,
}

/// A hand-off of the person's journey.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = EtapeParcours)]
pub struct JourneyStep {
    id: String,
    vers: String,
    statut: &'static str,
    le: String,
}

impl ReferralView {
    fn of(r: &StoredReferral) -> Self {
        ReferralView {
            id: r.id.clone(),
            parcours: r.journey_id.clone(),
            statut: r.status.slug(),
            statut_libelle: r.status.label(),
            prenom: r.person_label.clone(),
            contact: r.contact.clone(),
            de_structure: r.from_organisation_id.clone(),
            vers_structure: r.to_organisation_id.clone(),
            vers_lieu: r.to_place_id.clone(),
            vers: r.to_name.clone(),
            demande: r.request_id.clone(),
            intitule: r.request_title.clone(),
            niveau: r.shared.level.clone(),
            contraintes: r.shared.constraints.clone(),
            note: r.shared.note.clone(),
            motif_refus: r.decline_reason.map(|d| d.slug()),
            partenaire_suggere: r.better_partner.clone(),
            issue: r.outcome.map(|o| o.slug()),
            envoyee_le: r.sent_at.clone(),
            creee_le: r.created_at.clone(),
            close_le: r.closed_at.clone(),
            sens: None,
            historique: None,
            parcours_etapes: None,
        }
    }
}

/// Referrals of the caller's structures.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ListeOrientations)]
pub struct ReferralList {
    total: usize,
    orientations: Vec<ReferralView>,
}

/// Referrals sent or received by the signed-in member's structures.
#[utoipa::path(
    get, path = "/orientations", tag = "orientation",
    summary = "Orientations transmises envoyées et reçues par les structures du membre connecté",
    security(("session" = [])),
    responses(
        (status = 200, description = "Les orientations", body = ReferralList),
        (status = 401, description = "Connexion nécessaire", body = ErrorBody),
        (status = 403, description = "Hors de vos droits", body = ErrorBody),
    ),
)]
pub async fn list_referrals(
    AxState(state): AxState<State>,
    viewer: Viewer,
) -> ApiResult<Json<ReferralList>> {
    let orientations: Vec<ReferralView> = state
        .app
        .my_referrals(viewer.actor.as_ref())
        .await?
        .iter()
        .map(|(r, received)| ReferralView {
            sens: Some(if *received { "recue" } else { "envoyee" }),
            ..ReferralView::of(r)
        })
        .collect();
    Ok(Json(ReferralList {
        total: orientations.len(),
        orientations,
    }))
}

/// A referral with its history and the person's journey.
#[utoipa::path(
    get, path = "/orientations/{id}", tag = "orientation",
    summary = "Une orientation, son historique et le parcours de la personne (membres des deux structures)",
    params(("id" = String, Path, description = "Identifiant de l'orientation")),
    security(("session" = [])),
    responses(
        (status = 200, description = "L'orientation", body = ReferralView),
        (status = 401, description = "Connexion nécessaire", body = ErrorBody),
        (status = 403, description = "Réservé aux structures concernées", body = ErrorBody),
        (status = 404, description = "Orientation inconnue", body = ErrorBody),
    ),
)]
pub async fn get_referral(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> ApiResult<Json<ReferralView>> {
    let v = state.app.referral_view(viewer.actor.as_ref(), &id).await?;
    Ok(Json(ReferralView {
        historique: Some(
            v.events
                .iter()
                .map(|e| HistoryEntry {
                    le: e.at.clone(),
                    statut: e.status.slug(),
                    par: e.actor.clone(),
                })
                .collect(),
        ),
        parcours_etapes: Some(
            v.journey
                .iter()
                .map(|j| JourneyStep {
                    id: j.id.clone(),
                    vers: j.to_name.clone(),
                    statut: j.status.slug(),
                    le: j.created_at.clone(),
                })
                .collect(),
        ),
        ..ReferralView::of(&v.referral)
    }))
}

/// Answers a referral as a member of the receiving structure (or withdraws it as the sender).
#[utoipa::path(
    post, path = "/orientations/{id}", tag = "orientation",
    summary = "Répondre : prendre en charge, décliner (motif, partenaire), absente, clôturer (issue), retirer l'accord",
    params(("id" = String, Path, description = "Identifiant de l'orientation")),
    request_body(content = AnswerForm, content_type = "application/json"),
    security(("session" = [])),
    responses(
        (status = 200, description = "L'orientation après la réponse", body = ReferralView),
        (status = 401, description = "Connexion nécessaire", body = ErrorBody),
        (status = 403, description = "Réservé aux structures concernées", body = ErrorBody),
        (status = 404, description = "Orientation inconnue", body = ErrorBody),
        (status = 422, description = "Réponse impossible dans ce statut, ou motif manquant", body = ErrorBody),
    ),
)]
pub async fn answer_referral(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<ReferralView>> {
    let a: AnswerForm =
        super::json_body(&body, "{\"action\", \"motif\", \"issue\", \"partenaire\"}")?;
    let r = state
        .app
        .answer_referral(viewer.actor.as_ref(), &id, a.event()?, Some(&a.partner))
        .await?;
    Ok(Json(ReferralView::of(&r)))
}
