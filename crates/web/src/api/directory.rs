//! The directory: places in the standard's words, searched, read, written and exported.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State as AxState};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maillage_app::directory::{ExportAsked, PlaceQuery, PublishedPlace};
use maillage_app::today;
use maillage_domain::place::{DirectoryExtras, Place, RawPlace, STANDARD_FIELDS};
use serde::Serialize;
use serde_json::Value;
use utoipa::openapi::schema::{Schema, SchemaType, Type};
use utoipa::openapi::{ObjectBuilder, Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

use super::{ApiError, ApiQuery, ApiResult, Detail, ErrorBody, Paging};
use crate::auth::Viewer;
use crate::{AppError, State};

/// A place as the API shows it ([`PublishedPlace`]: the standard's fields in the standard's
/// order, then Maillage's additions), with its schema.
#[derive(Debug, Clone, Serialize)]
#[serde(transparent)]
pub struct PlaceDoc(PublishedPlace);

impl PlaceDoc {
    /// The place; its referent only for callers who may see the helpers' part
    /// ([`maillage_app::sees_helpers_part`]).
    pub fn of(
        place: &Place,
        organisation_id: Option<&str>,
        hit: Option<&maillage_search::Hit>,
        viewer: &Viewer,
    ) -> Self {
        PlaceDoc(PublishedPlace::of(
            place,
            organisation_id,
            hit,
            maillage_app::sees_helpers_part(viewer.actor()),
        ))
    }
}

/// Fields of the standard always present on a validated place.
const ALWAYS_THERE: [&str; 7] = [
    "id",
    "pivot",
    "nom",
    "commune",
    "code_postal",
    "adresse",
    "date_maj",
];

fn nullable(kind: Type) -> ObjectBuilder {
    ObjectBuilder::new().schema_type(SchemaType::from_iter([kind, Type::Null]))
}

impl PartialSchema for PlaceDoc {
    fn schema() -> RefOr<Schema> {
        let mut object = ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some(
                "Un lieu : les champs du standard « Lieux de médiation numérique » (textes, listes \
             séparées par « | »), puis les ajouts de Maillage.",
            ));
        for field in STANDARD_FIELDS {
            object = object.property(field, ObjectBuilder::new().schema_type(Type::String));
        }
        for field in ALWAYS_THERE {
            object = object.required(field);
        }
        object
            .property(
                "horaires_valides",
                ObjectBuilder::new()
                    .schema_type(Type::Boolean)
                    .description(Some("Les horaires se lisent au format OSM.")),
            )
            .required("horaires_valides")
            .property(
                "structure_id",
                nullable(Type::String).description(Some("La structure qui tient le lieu.")),
            )
            .property(
                "complements",
                Ref::from_schema_name(DirectoryExtras::name()),
            )
            .property(
                "distance_m",
                nullable(Type::Number)
                    .description(Some("Distance au point cherché, en mètres (recherche).")),
            )
            .property(
                "ouvert",
                nullable(Type::Boolean).description(Some("Ouvert au moment demandé (recherche).")),
            )
            .into()
    }
}

/// The directory exported as the standard's JSON: an array of places, each an object of the
/// standard's fields (texts, numbers for coordinates). Only the shape is promised here: the
/// standard's own schema describes the fields.
pub struct ExportedJson;

impl PartialSchema for ExportedJson {
    fn schema() -> RefOr<Schema> {
        utoipa::openapi::schema::ArrayBuilder::new()
            .items(ObjectBuilder::new().schema_type(Type::Object))
            .description(Some(
                "Les lieux au format JSON du standard « Lieux de médiation numérique ».",
            ))
            .into()
    }
}

impl ToSchema for ExportedJson {
    fn name() -> std::borrow::Cow<'static, str> {
        "ExportJson".into()
    }
}

/// The directory exported as GeoJSON: a `FeatureCollection` object.
pub struct ExportedGeoJson;

impl PartialSchema for ExportedGeoJson {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some("Une FeatureCollection GeoJSON, un point par lieu."))
            .into()
    }
}

impl ToSchema for ExportedGeoJson {
    fn name() -> std::borrow::Cow<'static, str> {
        "ExportGeoJson".into()
    }
}

impl ToSchema for PlaceDoc {
    fn name() -> std::borrow::Cow<'static, str> {
        "Lieu".into()
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((DirectoryExtras::name().into(), DirectoryExtras::schema()));
        DirectoryExtras::schemas(schemas);
    }
}

/// A page of search results.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ListeLieux)]
pub struct PlacePage {
    /// Places found in all.
    total: usize,
    /// No place held every word of `q`: these answer some of them, or the request they name.
    elargie: bool,
    limit: usize,
    offset: usize,
    lieux: Vec<PlaceDoc>,
}

/// Searches the directory with the filters of the search page, by relevance and distance.
#[utoipa::path(
    get, path = "/lieux", tag = "annuaire",
    summary = "Chercher et lister les lieux",
    params(PlaceQuery, Paging),
    responses(
        (status = 200, description = "Résultats classés par pertinence et distance", body = PlacePage),
        (status = 422, description = "Filtre invalide", body = ErrorBody),
    ),
)]
pub async fn list_places(
    AxState(state): AxState<State>,
    viewer: Viewer,
    ApiQuery(asked): ApiQuery<PlaceQuery>,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<Response> {
    let mut parsed = state.app.place_search(&asked);
    if !parsed.errors.is_empty() {
        let details = parsed.errors.iter().map(Detail::reason).collect();
        return Err(ApiError::invalid("filtres invalides", details));
    }
    parsed.query.limit = paging.limit();
    parsed.query.offset = paging.offset();
    if !maillage_app::sees_helpers_part(viewer.actor()) {
        // The places' JSON as the shelf keeps it for callers without the helpers' part.
        let found = state.app.search_published(&parsed.query).await?;
        let page = PlacePage {
            total: found.total,
            elargie: found.widened,
            limit: parsed.query.limit,
            offset: parsed.query.offset,
            lieux: Vec::new(),
        };
        return Ok(json_response(page.with_places(&found.places)?));
    }
    let results = state.app.search_places(&parsed.query).await?;
    let lieux = results
        .places
        .iter()
        .map(|(hit, stored)| {
            PlaceDoc::of(
                &stored.place,
                stored.organisation_id.as_deref(),
                Some(hit),
                &viewer,
            )
        })
        .collect();
    let page = PlacePage {
        total: results.total,
        elargie: results.widened,
        limit: parsed.query.limit,
        offset: parsed.query.offset,
        lieux,
    };
    Ok(Json(page).into_response())
}

impl PlacePage {
    /// The JSON of this page (whose `lieux` are empty) with these places, each already
    /// written: the JSON [`PlacePage`] writes with them.
    fn with_places(&self, places: &[Vec<u8>]) -> ApiResult<Vec<u8>> {
        let mut json = serde_json::to_vec(self).map_err(|e| {
            ApiError::from(AppError::Operation(format!("écriture de la page : {e}")))
        })?;
        // `…,"lieux":[]}`: the places go between the brackets.
        if !json.ends_with(b"[]}") {
            return Err(AppError::Operation("page de lieux mal formée".into()).into());
        }
        json.truncate(json.len() - 2);
        json.reserve(places.iter().map(|p| p.len() + 1).sum::<usize>() + 2);
        for (i, place) in places.iter().enumerate() {
            if i > 0 {
                json.push(b',');
            }
            json.extend_from_slice(place);
        }
        json.extend_from_slice(b"]}");
        Ok(json)
    }
}

/// A JSON answer of these bytes.
fn json_response(body: Vec<u8>) -> Response {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

/// One place.
#[utoipa::path(
    get, path = "/lieux/{id}", tag = "annuaire",
    summary = "Un lieu",
    params(("id" = String, Path, description = "Identifiant du lieu")),
    responses(
        (status = 200, description = "Le lieu", body = PlaceDoc),
        (status = 404, description = "Lieu inconnu", body = ErrorBody),
    ),
)]
pub async fn get_place(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> ApiResult<Json<PlaceDoc>> {
    Ok(Json(stored_place(&state, &id, &viewer).await?))
}

/// A place as stored now, as the caller may see it.
async fn stored_place(state: &State, id: &str, viewer: &Viewer) -> ApiResult<PlaceDoc> {
    let stored = state.app.place(id).await?;
    Ok(PlaceDoc::of(
        &stored.place,
        stored.organisation_id.as_deref(),
        None,
        viewer,
    ))
}

/// Reads a place sent as JSON: the standard's fields (text, number or list of texts), the
/// structure (`structure_id`) and the additions (`complements`); the read-only fields of a
/// place read before may be sent back unchanged.
fn read_place(state: &State, body: &Bytes, id: &str) -> ApiResult<(Place, Option<String>)> {
    let fields: serde_json::Map<String, Value> = super::json_body(body, "un objet lieu")?;
    let mut raw = RawPlace::default();
    let mut organisation = None;
    let mut extras = DirectoryExtras::default();
    let mut refused = Vec::new();
    for (k, v) in &fields {
        let accepted = match (k.as_str(), v) {
            ("structure_id", Value::String(s)) => {
                organisation = Some(s.clone());
                true
            }
            ("structure_id", Value::Null) => true,
            ("complements", v) => {
                extras = serde_json::from_value(v.clone()).map_err(|e| {
                    ApiError::invalid(format!("champ « complements » : {e}"), Vec::new())
                })?;
                true
            }
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
            (_, Value::Null) => STANDARD_FIELDS.contains(&k.as_str()),
            _ => false,
        };
        if !accepted {
            let reason = if STANDARD_FIELDS.contains(&k.as_str()) {
                "type de valeur non accepté (texte, nombre ou liste de textes attendu)"
            } else {
                "champ inconnu du standard et de Maillage"
            };
            refused.push(Detail::field(k, reason));
        }
    }
    if !refused.is_empty() {
        return Err(ApiError::invalid("lieu invalide", refused));
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
        None => Err(ApiError::invalid(
            "lieu invalide",
            validation
                .errors
                .iter()
                .map(|e| Detail {
                    champ: Some(e.field.to_string()),
                    valeur: Some(e.value.clone()),
                    ..Detail::reason(e.reason.clone())
                })
                .collect(),
        )),
    }
}

/// Creates a place (its structure's members, the territory's coordinators).
#[utoipa::path(
    post, path = "/lieux", tag = "annuaire",
    summary = "Créer un lieu",
    request_body(content = PlaceDoc, content_type = "application/json"),
    security(("session" = [])),
    responses(
        (status = 201, description = "Lieu créé", body = PlaceDoc),
        (status = 401, description = "Connexion nécessaire", body = ErrorBody),
        (status = 403, description = "Hors de vos droits", body = ErrorBody),
        (status = 422, description = "Lieu invalide : chaque champ refusé et sa raison", body = ErrorBody),
    ),
)]
pub async fn create_place(
    AxState(state): AxState<State>,
    viewer: Viewer,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<PlaceDoc>)> {
    if !viewer.signed_in() {
        return Err(AppError::SignInRequired.into());
    }
    let (place, organisation) = read_place(&state, &body, "")?;
    let id = state
        .app
        .create_place(viewer.actor(), place, organisation.as_deref())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(stored_place(&state, &id, &viewer).await?),
    ))
}

/// Replaces a place.
#[utoipa::path(
    put, path = "/lieux/{id}", tag = "annuaire",
    summary = "Remplacer un lieu",
    params(("id" = String, Path, description = "Identifiant du lieu")),
    request_body(content = PlaceDoc, content_type = "application/json"),
    security(("session" = [])),
    responses(
        (status = 200, description = "Lieu modifié", body = PlaceDoc),
        (status = 401, description = "Connexion nécessaire", body = ErrorBody),
        (status = 403, description = "Hors de vos droits", body = ErrorBody),
        (status = 404, description = "Lieu inconnu", body = ErrorBody),
        (status = 422, description = "Lieu invalide", body = ErrorBody),
    ),
)]
pub async fn update_place(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<PlaceDoc>> {
    if !viewer.signed_in() {
        return Err(AppError::SignInRequired.into());
    }
    let current = state.app.place(&id).await?;
    let (place, organisation) = read_place(&state, &body, &id)?;
    let organisation = organisation.or(current.organisation_id);
    state
        .app
        .update_place(viewer.actor(), place, organisation.as_deref())
        .await?;
    Ok(Json(stored_place(&state, &id, &viewer).await?))
}

/// Deletes a place.
#[utoipa::path(
    delete, path = "/lieux/{id}", tag = "annuaire",
    summary = "Supprimer un lieu",
    params(("id" = String, Path, description = "Identifiant du lieu")),
    security(("session" = [])),
    responses(
        (status = 204, description = "Supprimé"),
        (status = 401, description = "Connexion nécessaire", body = ErrorBody),
        (status = 403, description = "Hors de vos droits", body = ErrorBody),
        (status = 404, description = "Lieu inconnu", body = ErrorBody),
    ),
)]
pub async fn delete_place(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    state.app.delete_place(viewer.actor(), &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Exports the directory, whole or filtered, in one of the standard's formats.
#[utoipa::path(
    get, path = "/export", tag = "annuaire",
    summary = "Exporter l'annuaire (tout ou filtré)",
    params(PlaceQuery, ExportAsked),
    responses(
        (status = 200, description = "Le fichier, au format du standard",
            content(
                (String = "text/csv"),
                (ExportedJson = "application/json"),
                (ExportedGeoJson = "application/geo+json"),
                (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            )),
        (status = 422, description = "Filtre ou format invalide", body = ErrorBody),
    ),
)]
pub async fn export(
    AxState(state): AxState<State>,
    viewer: Viewer,
    ApiQuery(asked): ApiQuery<PlaceQuery>,
    ApiQuery(format): ApiQuery<ExportAsked>,
) -> ApiResult<Response> {
    let file = state
        .app
        .export_directory(viewer.actor(), &asked, &format)
        .await?;
    Ok(crate::kit::download::export(file))
}
