//! JSON API `/api/v1`, same services and same authorisation as the pages (session cookie).
//! Documented by the OpenAPI document served at `/api/v1/openapi.json`.

use axum::body::Bytes;
use axum::extract::{Path, State as AxState};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use maillage_domain::organisation::Organisation;
use maillage_domain::place::{DirectoryExtras, Place, RawPlace};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::Viewer;
use crate::kit::input::{ApiQuery, ApiStats};
use crate::{AppError, State};
use maillage_app::directory::PlaceQuery;
use maillage_app::today;

/// Errors as JSON: `{"erreur": "...", "details": [...]}`.
pub struct ApiError(AppError, Vec<Value>);

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError(e, Vec::new())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = crate::status_of(self.0.kind());
        (
            status,
            Json(json!({"erreur": self.0.public_message(), "details": self.1})),
        )
            .into_response()
    }
}

type ApiResult = Result<Response, ApiError>;

pub fn routes() -> Router<State> {
    Router::new()
        .route("/lieux", get(list_places).post(create_place))
        .route(
            "/lieux/{id}",
            get(get_place).put(update_place).delete(delete_place),
        )
        .route(
            "/structures",
            get(list_organisations).post(create_organisation),
        )
        .route("/structures/{id}", get(get_organisation))
        .route("/qualite", get(quality))
        .route("/diagnostic/score", axum::routing::post(diagnostic_score))
        .route(
            "/diagnostic/questionnaires/{id}",
            get(diagnostic_questionnaire),
        )
        .route(
            "/import",
            axum::routing::post(import).layer(axum::extract::DefaultBodyLimit::max(
                maillage_app::limits::IMPORT_BYTES,
            )),
        )
        .route("/ateliers", get(list_workshops))
        .route("/ateliers/{id}", get(get_workshop))
        .route(
            "/ateliers/{id}/inscriptions",
            axum::routing::post(register_to_workshop),
        )
        .route("/ressources", get(list_resources))
        .route("/ressources/{id}", get(get_resource))
        .route("/orientation", get(orientation))
        .route("/demandes", get(list_requests))
        .route("/orientations", get(list_referrals))
        .route(
            "/orientations/{id}",
            get(get_referral).post(answer_referral),
        )
        .route("/statistiques", get(statistics))
        .route("/indicateurs", get(indicators))
        .route("/veille", get(list_news))
        .route("/veille/{id}", get(get_news))
        .route("/export", get(export))
        .route("/openapi.json", get(openapi))
}

/// A place as the API shows it: the standard's fields plus Maillage's extras.
/// A place as the API shows it: the standard's fields in the standard's order (strings, as in
/// its JSON form), then Maillage's additions; serialized directly, without an intermediate tree.
struct PlaceDoc<'a> {
    raw: maillage_domain::RawPlace,
    place: &'a Place,
    organisation_id: Option<&'a str>,
    /// Distance and opening state, for search results.
    hit: Option<&'a maillage_search::Hit>,
    /// The caller may see the helpers' part (the referent): [`maillage_app::sees_helpers_part`].
    helpers: bool,
}

impl serde::Serialize for PlaceDoc<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        for f in maillage_domain::STANDARD_FIELDS {
            if let Some(v) = self.raw.get(f) {
                map.serialize_entry(f, v)?;
            }
        }
        map.serialize_entry("horaires_valides", &self.place.opening_hours_valid)?;
        map.serialize_entry("structure_id", &self.organisation_id)?;
        if self.helpers || self.place.extras.referent.is_none() {
            map.serialize_entry("complements", &self.place.extras)?;
        } else {
            let public = maillage_domain::place::DirectoryExtras {
                referent: None,
                ..self.place.extras.clone()
            };
            map.serialize_entry("complements", &public)?;
        }
        if let Some(hit) = self.hit {
            map.serialize_entry("distance_m", &hit.distance_m.map(f64::round))?;
            map.serialize_entry("ouvert", &hit.open)?;
        }
        map.end()
    }
}

fn place_doc<'a>(
    place: &'a Place,
    organisation_id: Option<&'a str>,
    hit: Option<&'a maillage_search::Hit>,
    helpers: bool,
) -> PlaceDoc<'a> {
    PlaceDoc {
        raw: place.to_raw(),
        place,
        organisation_id,
        hit,
        helpers,
    }
}

fn place_json(place: &Place, organisation_id: Option<&str>, viewer: &Viewer) -> Value {
    serde_json::to_value(place_doc(
        place,
        organisation_id,
        None,
        maillage_app::sees_helpers_part(viewer.actor()),
    ))
    .unwrap_or(Value::Null)
}

/// A page of API results: `limit` (20 by default, 500 at most) from `offset`.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Paging {
    limit: Option<usize>,
    offset: Option<usize>,
}

async fn list_places(
    AxState(state): AxState<State>,
    viewer: Viewer,
    ApiQuery(asked): ApiQuery<PlaceQuery>,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult {
    let mut parsed = state.app.place_search(&asked);
    if !parsed.errors.is_empty() {
        let details = parsed.errors.iter().map(|e| json!(e)).collect();
        return Err(ApiError(
            AppError::Invalid("filtres invalides".into()),
            details,
        ));
    }
    let limit = paging.limit.unwrap_or(20).clamp(1, 500);
    let offset = paging.offset.unwrap_or(0);
    parsed.query.limit = limit;
    parsed.query.offset = offset;
    let results = state.app.search(&parsed.query).await?;
    let found = state.app.places_of_hits(&results.hits).await?;
    let helpers = maillage_app::sees_helpers_part(viewer.actor());
    let items: Vec<PlaceDoc<'_>> = found
        .iter()
        .map(|(hit, stored)| {
            place_doc(
                &stored.place,
                stored.organisation_id.as_deref(),
                Some(hit),
                helpers,
            )
        })
        .collect();
    Ok(Json(ListBody {
        total: results.total,
        limit,
        offset,
        lieux: items,
    })
    .into_response())
}

/// A page of search results.
#[derive(serde::Serialize)]
struct ListBody<'a> {
    total: usize,
    limit: usize,
    offset: usize,
    lieux: Vec<PlaceDoc<'a>>,
}

async fn get_place(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> ApiResult {
    let stored = state.app.place(&id).await?;
    Ok(Json(place_json(
        &stored.place,
        stored.organisation_id.as_deref(),
        &viewer,
    ))
    .into_response())
}

/// Body of create/update: the standard's fields (strings), plus optional extras.
#[derive(Deserialize)]
struct PlaceBody {
    #[serde(flatten)]
    fields: serde_json::Map<String, Value>,
}

fn validate_body(
    state: &State,
    body: &Bytes,
    id: &str,
) -> Result<(Place, Option<String>), ApiError> {
    let parsed: PlaceBody = serde_json::from_slice(body).map_err(|e| {
        ApiError(
            AppError::Invalid(format!("JSON illisible : {e}")),
            Vec::new(),
        )
    })?;
    let mut raw = RawPlace::default();
    let mut organisation = None;
    let mut extras = DirectoryExtras::default();
    let mut refused = Vec::new();
    for (k, v) in &parsed.fields {
        let accepted = match (k.as_str(), v) {
            ("structure_id", Value::String(s)) => {
                organisation = Some(s.clone());
                true
            }
            ("structure_id", Value::Null) => true,
            ("complements", v) => {
                extras = serde_json::from_value(v.clone()).map_err(|e| {
                    ApiError(
                        AppError::Invalid(format!("champ « complements » : {e}")),
                        Vec::new(),
                    )
                })?;
                true
            }
            // Read-only fields a client may send back unchanged after a GET.
            ("horaires_valides" | "distance_m" | "ouvert", _) => true,
            (_, Value::String(s)) => raw.set(k, s.clone()),
            (_, Value::Array(items)) if items.iter().all(Value::is_string) => {
                let joined = items
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join("|");
                raw.set(k, joined)
            }
            (_, Value::Number(n)) => raw.set(k, n.to_string()),
            (_, Value::Null) => maillage_domain::STANDARD_FIELDS.contains(&k.as_str()),
            _ => false,
        };
        if !accepted {
            refused.push(json!({
                "champ": k,
                "raison": if maillage_domain::STANDARD_FIELDS.contains(&k.as_str()) {
                    "type de valeur non accepté (texte, nombre ou liste de textes attendu)"
                } else {
                    "champ inconnu du standard et de Maillage"
                },
            }));
        }
    }
    if !refused.is_empty() {
        return Err(ApiError(AppError::Invalid("lieu invalide".into()), refused));
    }
    if raw.date_maj.is_none() {
        raw.date_maj = Some(today().to_string());
    }
    if raw.pivot.is_none() {
        raw.pivot = Some(maillage_domain::fields::UNKNOWN_PIVOT.into());
    }
    let (place, validation) = raw.validate(id, &state.app.validation_context());
    match place {
        Some(mut p) => {
            p.extras = extras;
            Ok((p, organisation))
        }
        None => Err(ApiError(
            AppError::Invalid("lieu invalide".into()),
            validation
                .errors
                .iter()
                .map(|e| json!({"champ": e.field, "valeur": e.value, "raison": e.reason}))
                .collect(),
        )),
    }
}

async fn create_place(AxState(state): AxState<State>, viewer: Viewer, body: Bytes) -> ApiResult {
    if !viewer.signed_in() {
        return Err(AppError::SignInRequired.into());
    }
    let (place, organisation) = validate_body(&state, &body, "")?;
    let id = state
        .app
        .create_place(viewer.actor(), place, organisation.as_deref())
        .await?;
    let stored = state.app.place(&id).await?;
    Ok((
        StatusCode::CREATED,
        Json(place_json(
            &stored.place,
            stored.organisation_id.as_deref(),
            &viewer,
        )),
    )
        .into_response())
}

async fn update_place(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    if !viewer.signed_in() {
        return Err(AppError::SignInRequired.into());
    }
    let current = state.app.place(&id).await?;
    let (place, organisation) = validate_body(&state, &body, &id)?;
    let organisation = organisation.or(current.organisation_id);
    state
        .app
        .update_place(viewer.actor(), place, organisation.as_deref())
        .await?;
    let stored = state.app.place(&id).await?;
    Ok(Json(place_json(
        &stored.place,
        stored.organisation_id.as_deref(),
        &viewer,
    ))
    .into_response())
}

async fn delete_place(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> ApiResult {
    state.app.delete_place(viewer.actor(), &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn org_json(o: &Organisation) -> Value {
    json!({"id": o.id, "nom": o.name, "pivot": o.pivot, "typologie": o.typologies.join("|"), "departement": o.departement})
}

async fn list_organisations(AxState(state): AxState<State>) -> ApiResult {
    let orgs = state.app.organisations().await?;
    Ok(Json(
        json!({"total": orgs.len(), "structures": orgs.iter().map(org_json).collect::<Vec<_>>()}),
    )
    .into_response())
}

/// Scores an answer sheet `{"questionnaire", "version", "answers"}`: the same result as the
/// page and `maillage diagnostic score` (level in `level`).
async fn diagnostic_score(AxState(state): AxState<State>, body: axum::body::Bytes) -> ApiResult {
    let text = std::str::from_utf8(&body)
        .map_err(|_| AppError::Invalid("le corps doit être du JSON en UTF-8".into()))?;
    let sheet = maillage_domain::diagnostic::AnswerSheet::from_json(text)
        .map_err(|e| AppError::Invalid(e.to_string()))?;
    let assessment = state.app.score_sheet(&sheet).await?;
    Ok(Json(assessment).into_response())
}

/// A questionnaire in force (latest version), as reference data.
async fn diagnostic_questionnaire(
    AxState(state): AxState<State>,
    Path(id): Path<String>,
) -> ApiResult {
    Ok(Json(state.app.questionnaire(&id, None).await?).into_response())
}

fn workshop_json(
    app: &crate::App,
    w: &maillage_domain::workshops::Workshop,
    seats_left: Option<u32>,
    distance_m: Option<f64>,
) -> Value {
    use maillage_domain::Vocabulary;
    json!({
        "id": w.id,
        "titre": w.title,
        "resume": w.summary,
        "pour_qui": w.who_for(),
        "thematiques": w.themes.iter().map(|t| t.slug()).collect::<Vec<_>>(),
        "niveau_requis": w.level_required.slug(),
        "niveau_atteint": w.level_reached.map(|l| l.slug()),
        "format": w.format.slug(),
        "lieu_id": w.place_id,
        "lieu_hors_les_murs": w.location,
        "commune": w.commune,
        "code_insee": w.insee_code,
        "seances": w.sessions.iter().map(|s| json!({
            "debut": s.start.format("%Y-%m-%dT%H:%M").to_string(),
            "fin": s.end.format("%Y-%m-%dT%H:%M").to_string(),
        })).collect::<Vec<_>>(),
        "parcours": w.series,
        "places": w.capacity,
        "places_libres": seats_left,
        "gratuit": w.free,
        "tarif": w.price,
        "aptic": w.aptic,
        "a_apporter": w.bring,
        "materiel_fourni": w.equipment_provided,
        "langues": w.language_support,
        "accessibilite": w.accessibility,
        "inscription": w.registration.slug(),
        "contact": w.contact,
        "distance_m": distance_m.map(|d| d.round()),
        "lien": format!("{}/ateliers/{}", app.public_url, w.id),
    })
}

/// Upcoming workshops, with the filters of the page (`niveau`, `thematique`, `pres_de`,
/// `rayon`, `du`, `au`, `gratuit`, `places`).
async fn list_workshops(
    AxState(state): AxState<State>,
    ApiQuery(asked): ApiQuery<maillage_app::workshops::WorkshopQuery>,
) -> ApiResult {
    let read = state.app.workshop_filter(&asked);
    if !read.errors.is_empty() {
        return Err(ApiError(
            AppError::Invalid(read.errors.join(" ; ")),
            Vec::new(),
        ));
    }
    let hits = state.app.find_workshops(&read.filter).await?;
    let items: Vec<Value> = hits
        .iter()
        .map(|h| workshop_json(&state.app, &h.stored.workshop, h.seats_left, h.distance_m))
        .collect();
    Ok(Json(json!({"total": items.len(), "ateliers": items})).into_response())
}

async fn get_workshop(AxState(state): AxState<State>, Path(id): Path<String>) -> ApiResult {
    let stored = state.app.workshop(&id).await?;
    let seats = maillage_domain::workshops::seats_left(stored.workshop.capacity, stored.registered);
    Ok(Json(workshop_json(&state.app, &stored.workshop, seats, None)).into_response())
}

/// Published resources of the library, with the filters of the page (`q`, `thematique`,
/// `pratique`, `niveau`, `public`, `type`); with words, the most relevant first.
async fn list_resources(
    AxState(state): AxState<State>,
    viewer: Viewer,
    ApiQuery(asked): ApiQuery<maillage_app::resources::ResourceQuery>,
) -> ApiResult {
    let filter = maillage_app::resources::ResourceFilter {
        shelf: maillage_app::resources::Shelf::Published,
        ..asked.filter()
    };
    let found = state.app.find_resources(viewer.actor(), &filter).await?;
    let items: Vec<Value> = found
        .iter()
        .map(|s| maillage_app::resources::resource_json(&state.app.public_url, s))
        .collect();
    Ok(Json(json!({"total": items.len(), "ressources": items})).into_response())
}

async fn get_resource(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> ApiResult {
    let s = state.app.resource(viewer.actor(), &id).await?;
    Ok(Json(maillage_app::resources::resource_json(
        &state.app.public_url,
        &s,
    ))
    .into_response())
}

/// Orientation: the same form as the page (`demande` or `texte`, `pres_de`, `niveau`,
/// `gratuit=oui`, `rayon_km`, `equipement`, `langue`, `disponible`…), the same answer as the CLI.
async fn orientation(
    AxState(state): AxState<State>,
    viewer: Viewer,
    ApiQuery(form): ApiQuery<maillage_app::orientation::OrientForm>,
) -> ApiResult {
    let catalogue = state.app.catalogue().await?;
    let q = form.to_query(&state.app, &catalogue).map_err(|errors| {
        ApiError(
            AppError::Invalid(format!("{} paramètre(s) à corriger", errors.len())),
            errors
                .into_iter()
                .map(|(field, why)| json!({"champ": field, "raison": why}))
                .collect(),
        )
    })?;
    let o = state.app.orient(viewer.actor.as_ref(), &q).await?;
    Ok(Json(maillage_app::orientation::orientation_json(
        &o,
        &state.app.public_url,
    ))
    .into_response())
}

fn referral_json(r: &maillage_app::StoredReferral) -> Value {
    use maillage_domain::Vocabulary;
    json!({
        "id": r.id,
        "parcours": r.journey_id,
        "statut": r.status.slug(),
        "statut_libelle": r.status.label(),
        "prenom": r.person_label,
        "contact": r.contact,
        "de_structure": r.from_organisation_id,
        "vers_structure": r.to_organisation_id,
        "vers_lieu": r.to_place_id,
        "vers": r.to_name,
        "demande": r.request_id,
        "intitule": r.request_title,
        "niveau": r.shared.level,
        "contraintes": r.shared.constraints,
        "note": r.shared.note,
        "motif_refus": r.decline_reason.map(|d| d.slug()),
        "partenaire_suggere": r.better_partner,
        "issue": r.outcome.map(|o| o.slug()),
        "envoyee_le": r.sent_at,
        "creee_le": r.created_at,
        "close_le": r.closed_at,
    })
}

/// Referrals sent or received by the signed-in member's structures.
async fn list_referrals(AxState(state): AxState<State>, viewer: Viewer) -> ApiResult {
    let items: Vec<Value> = state
        .app
        .my_referrals(viewer.actor.as_ref())
        .await?
        .iter()
        .map(|(r, received)| {
            let mut v = referral_json(r);
            v["sens"] = json!(if *received { "recue" } else { "envoyee" });
            v
        })
        .collect();
    Ok(Json(json!({"total": items.len(), "orientations": items})).into_response())
}

/// A referral with its history and the person's journey.
async fn get_referral(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> ApiResult {
    use maillage_domain::Vocabulary;
    let v = state.app.referral_view(viewer.actor.as_ref(), &id).await?;
    let mut body = referral_json(&v.referral);
    body["historique"] = json!(
        v.events
            .iter()
            .map(|e| json!({"le": e.at, "statut": e.status.slug(), "par": e.actor}))
            .collect::<Vec<_>>()
    );
    body["parcours_etapes"] = json!(v.journey.iter().map(|j| json!({"id": j.id, "vers": j.to_name, "statut": j.status.slug(), "le": j.created_at})).collect::<Vec<_>>());
    Ok(Json(body).into_response())
}

/// Answers a referral as a member of the receiving structure (or withdraws it as the sender).
async fn answer_referral(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let a: maillage_app::referrals::AnswerForm = serde_json::from_slice(&body).map_err(|e| {
        ApiError(
            AppError::Invalid(format!("corps JSON illisible : {e}")),
            Vec::new(),
        )
    })?;
    let r = state
        .app
        .answer_referral(viewer.actor.as_ref(), &id, a.event()?, Some(&a.partner))
        .await?;
    Ok(Json(referral_json(&r)).into_response())
}

/// The catalogue of requests.
async fn list_requests(AxState(state): AxState<State>) -> ApiResult {
    let catalogue = state.app.catalogue().await?;
    Ok(
        Json(json!({"total": catalogue.entries.len(), "demandes": catalogue.entries}))
            .into_response(),
    )
}

/// News of the watch, newest first (`plateforme`, `demarche`).
async fn list_news(
    AxState(state): AxState<State>,
    ApiQuery(asked): ApiQuery<maillage_app::watch::NewsQuery>,
) -> ApiResult {
    let items: Vec<Value> = state
        .app
        .news(asked.platform()?, Some(&asked.procedure))
        .await?
        .iter()
        .map(|i| maillage_app::watch::news_json(&state.app.public_url, i))
        .collect();
    Ok(Json(json!({"total": items.len(), "nouvelles": items})).into_response())
}

async fn get_news(AxState(state): AxState<State>, Path(id): Path<String>) -> ApiResult {
    let item = state.app.news_item(&id).await?;
    Ok(Json(maillage_app::watch::news_json(&state.app.public_url, &item)).into_response())
}

#[derive(Deserialize)]
struct RegistrationBody {
    prenom: String,
    #[serde(default)]
    contact: String,
}

/// Registers a person: `{"prenom", "contact"}` → the state (`inscrit` or `en_attente`) and
/// the cancellation link to give the person.
async fn register_to_workshop(
    AxState(state): AxState<State>,
    viewer: Viewer,
    client: crate::auth::Client,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult {
    let body: RegistrationBody = serde_json::from_slice(&body).map_err(|e| {
        ApiError(
            AppError::Invalid(format!(
                "corps JSON attendu {{\"prenom\", \"contact\"}} : {e}"
            )),
            Vec::new(),
        )
    })?;
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
        axum::http::StatusCode::CREATED,
        Json(json!({
            "id": r.id,
            "etat": r.status.slug(),
            "lien_annulation": format!("{}/ateliers/annulation/{token}", state.app.public_url),
        })),
    )
        .into_response())
}

/// Quality of the directory of the caller's territory: the same indicators as the page.
async fn quality(AxState(state): AxState<State>, viewer: Viewer) -> ApiResult {
    let report = state.app.quality_report(viewer.actor()).await?;
    let to_check: Vec<Value> = report
        .to_check
        .iter()
        .map(|q| {
            json!({
                "id": q.place.place.id,
                "nom": q.place.place.name,
                "commune": q.place.place.commune,
                "date_maj": q.place.place.updated_on.to_string(),
                "fraicheur": q.freshness,
                "completude": q.completeness.score,
                "manque": q.completeness.missing,
                "horaires_illisibles": q.invalid_hours,
            })
        })
        .collect();
    let never_answered: Vec<Value> = report
        .never_answered
        .iter()
        .map(|p| json!({"id": p.place.id, "nom": p.place.name, "commune": p.place.commune}))
        .collect();
    Ok(Json(json!({
        "indicateurs": report.summary,
        "a_verifier": to_check,
        "referents_sans_reponse": never_answered,
    }))
    .into_response())
}

async fn get_organisation(AxState(state): AxState<State>, Path(id): Path<String>) -> ApiResult {
    let org = state
        .app
        .organisation(&id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Json(org_json(&org)).into_response())
}

async fn create_organisation(
    AxState(state): AxState<State>,
    viewer: Viewer,
    body: Bytes,
) -> ApiResult {
    let input: maillage_app::organisations::NewOrganisation = serde_json::from_slice(&body)
        .map_err(|e| {
            ApiError(
                AppError::Invalid(format!("JSON illisible : {e}")),
                Vec::new(),
            )
        })?;
    let org = state
        .app
        .create_organisation(viewer.actor(), &input)
        .await?
        .map_err(|errors| {
            ApiError(
                AppError::Invalid("structure invalide".into()),
                errors
                    .into_iter()
                    .map(|(f, r)| json!({"champ": f, "raison": r}))
                    .collect(),
            )
        })?;
    Ok((StatusCode::CREATED, Json(org_json(&org))).into_response())
}

/// An import through the API: the source's name, and whether valid lines are imported when
/// others are not (`skip_invalid=true`).
#[derive(Deserialize, Default)]
#[serde(default)]
struct ImportAsked {
    source: String,
    skip_invalid: bool,
}

async fn import(
    AxState(state): AxState<State>,
    viewer: Viewer,
    ApiQuery(asked): ApiQuery<ImportAsked>,
    body: axum::body::Body,
) -> ApiResult {
    // Who may import is known before the file is read.
    maillage_app::allow(maillage_domain::policy::authorize(
        viewer.actor(),
        &maillage_domain::policy::Action::ImportPlaces,
        maillage_app::today(),
    ))?;
    let body = axum::body::to_bytes(body, maillage_app::limits::IMPORT_BYTES)
        .await
        .map_err(|_| {
            AppError::TooLarge(format!(
                "fichier trop gros : {} Mio au plus",
                maillage_app::limits::IMPORT_BYTES >> 20
            ))
        })?;
    let source = Some(asked.source.as_str()).filter(|s| !s.is_empty());
    let result = state
        .app
        .import_file(
            viewer.actor(),
            &body,
            source.unwrap_or("api"),
            source,
            asked.skip_invalid,
        )
        .await?;
    let errors: Vec<Value> = result
        .report
        .records
        .iter()
        .flat_map(|r| {
            r.errors.iter().map(move |e| {
                json!({"position": r.position.to_string(), "champ": e.field, "valeur": e.value, "raison": e.reason})
            })
        })
        .collect();
    let body = json!({
        "format": result.report.format.to_string(),
        "version": result.report.version.to_string(),
        "enregistrements": result.report.records.len(),
        "valides": result.report.valid_count(),
        "refuses": result.report.invalid_count(),
        "importe": result.outcome.is_some(),
        "crees": result.outcome.as_ref().map(|o| o.created),
        "mis_a_jour": result.outcome.as_ref().map(|o| o.updated),
        "inchanges": result.outcome.as_ref().map(|o| o.unchanged),
        "erreurs": errors,
    });
    let status = if result.outcome.is_some() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, Json(body)).into_response())
}

async fn export(
    AxState(state): AxState<State>,
    viewer: Viewer,
    ApiQuery(asked): ApiQuery<PlaceQuery>,
    ApiQuery(format): ApiQuery<crate::pages::ExportAsked>,
) -> ApiResult {
    Ok(crate::pages::export_response(&state, &viewer, &asked, &format).await?)
}

/// Every indicator for a scope (`portee`: `moi`, `territoire` or a structure's id) and the
/// shared filters; the same computation as the pages and the exports.
async fn statistics(
    AxState(state): AxState<State>,
    viewer: Viewer,
    ApiStats(asked): ApiStats,
) -> ApiResult {
    let maillage_app::activity::StatsQuery { scope, filter, .. } = asked;
    let stats = state
        .app
        .statistics(viewer.actor.as_ref(), &scope, filter.clone())
        .await?;
    Ok(Json(maillage_app::activity::statistics_json(&stats, &filter)).into_response())
}

/// The definitions of the indicators.
async fn indicators() -> Response {
    use maillage_domain::indicators::Indicator;
    let list: Vec<Value> = Indicator::FIGURES
        .into_iter()
        .map(|i| (i, "chiffre"))
        .chain(Indicator::TABLES.into_iter().map(|i| (i, "tableau")))
        .map(|(i, kind)| {
            json!({"id": i.id(), "titre": i.title(), "definition": i.definition(), "nature": kind})
        })
        .collect();
    Json(json!({ "indicateurs": list })).into_response()
}

async fn openapi() -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        include_str!("../static/openapi.json"),
    )
        .into_response()
}
