//! Import of past records from the template, the templates, and the export of records.

use super::*;

#[derive(Template)]
#[template(path = "activity/activity_import.html")]
pub(super) struct ImportPage {
    pub(super) chrome: Chrome,
    pub(super) organisations: Vec<Choice>,
    pub(super) report: Option<ImportReport>,
    pub(super) file_name: String,
    pub(super) error: Option<String>,
}

pub(super) async fn import_page(
    AxState(state): AxState<State>,
    viewer: Viewer,
) -> Result<Response, PageError> {
    let orgs = state.app.recording_organisations(viewer.actor()).await?;
    Ok(render(&ImportPage {
        chrome: Chrome::new("activites", &viewer),
        organisations: orgs.into_iter().map(|o| (o.id, o.name)).collect(),
        report: None,
        file_name: String::new(),
        error: None,
    }))
}

pub(super) async fn import_upload(
    AxState(state): AxState<State>,
    viewer: Viewer,
    multipart: Multipart,
) -> Result<Response, PageError> {
    // Who may import is known before the file is read.
    if state
        .app
        .recording_organisations(viewer.actor())
        .await?
        .is_empty()
    {
        return Err(AppError::Forbidden("réservé aux membres d'une structure").into());
    }
    let form =
        crate::upload::read_form(multipart, maillage_app::limits::ACTIVITY_IMPORT_BYTES).await?;
    let asked: ImportAsked = form.typed()?;
    let organisation = asked.structure;
    let valid_only = asked.partial;
    let (file_name, bytes) = match form.file {
        Some(file) if file.name.is_empty() => ("fichier".to_string(), file.content),
        Some(file) => (file.name, file.content),
        None => ("fichier".to_string(), Vec::new()),
    };
    let orgs = state.app.recording_organisations(viewer.actor()).await?;
    let (report, error) = match state
        .app
        .import_activities(
            viewer.actor(),
            &organisation,
            &bytes,
            &file_name,
            valid_only,
        )
        .await
    {
        Ok(r) => (Some(r), None),
        Err(AppError::Invalid(m)) => (None, Some(m)),
        Err(e) => return Err(e.into()),
    };
    let refused = error.is_some()
        || report
            .as_ref()
            .is_some_and(|r| r.written == 0 && r.rows > 0);
    let mut r = render(&ImportPage {
        chrome: Chrome::new("activites", &viewer),
        organisations: orgs.into_iter().map(|o| (o.id, o.name)).collect(),
        report,
        file_name,
        error,
    });
    if refused {
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

pub(super) use crate::kit::download::attachment as download;

pub(super) const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The activity import form beside its file: the structure, and `partiel=oui` to import the
/// valid lines when others are not.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct ImportAsked {
    pub(super) structure: String,
    #[serde(rename = "partiel")]
    pub(super) partial: bool,
}

/// The structure a page is for.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct ForStructure {
    pub(crate) structure: String,
}

pub(super) async fn template_xlsx(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Query(asked): Query<ForStructure>,
) -> Result<Response, PageError> {
    let orgs = state.app.recording_organisations(viewer.actor()).await?;
    let org = asked.structure;
    let org = orgs
        .iter()
        .find(|o| o.id == org)
        .or(orgs.first())
        .map(|o| o.id.clone())
        .unwrap_or_default();
    let places: Vec<(String, String)> = state
        .app
        .places_of(&maillage_search::SearchQuery {
            organisation_id: Some(org),
            ..Default::default()
        })
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect();
    Ok(download(
        maillage_standard::activity::template_xlsx(&places)
            .map_err(maillage_app::AppError::from)?,
        XLSX,
        "modele-activites.xlsx",
    ))
}

pub(super) async fn template_csv() -> Response {
    download(
        maillage_standard::activity::template_csv(),
        "text/csv; charset=utf-8",
        "modele-activites.csv",
    )
}

pub(super) async fn export_csv(
    AxState(state): AxState<State>,
    viewer: Viewer,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    // Every record the filter keeps (no default period for an export).
    let StatsQuery { scope, filter, .. } = input::stats(query.as_deref())?;
    let filter = state
        .app
        .records_filter(viewer.actor(), &scope, filter)
        .await?;
    // Streamed: a page of records at a time goes to the client.
    let body = axum::body::Body::from_stream(state.app.activities_csv_stream(filter));
    let mut r = body.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    r.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"activites.csv\""),
    );
    Ok(r)
}

// ----- statistics -----
