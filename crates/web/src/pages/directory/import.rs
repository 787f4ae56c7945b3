//! Import of a directory file (checked, then run as a job the page follows) and export.

use super::*;
use maillage_app::directory::ExportAsked;

pub(in crate::pages) struct ReportView {
    pub(in crate::pages) file_name: String,
    pub(in crate::pages) written: bool,
    pub(in crate::pages) headline: String,
    pub(in crate::pages) summary: String,
    pub(in crate::pages) notes: Vec<String>,
    pub(in crate::pages) errors: Vec<(String, String, String, String)>,
    pub(in crate::pages) warnings: Vec<(String, String, String, String)>,
}

#[derive(Template)]
#[template(path = "directory/import.html")]
pub(in crate::pages) struct ImportPage {
    pub(in crate::pages) chrome: Chrome,
    pub(in crate::pages) report: Option<ReportView>,
    pub(in crate::pages) history: Vec<maillage_app::ImportSummary>,
}

pub(in crate::pages) async fn import_page(
    AxState(state): AxState<State>,
    viewer: Viewer,
) -> Result<Response, PageError> {
    state.app.check(viewer.actor(), &Action::ImportPlaces)?;
    Ok(render(&ImportPage {
        chrome: Chrome::new("import", &viewer),
        report: None,
        history: state.app.import_history(viewer.actor(), 20).await?,
    }))
}

pub(in crate::pages) fn rows(
    report: &maillage_standard::Tally,
    errors: bool,
) -> Vec<(String, String, String, String)> {
    report
        .flagged
        .iter()
        .flat_map(|r| {
            let list = if errors { &r.errors } else { &r.warnings };
            list.iter().map(move |i| {
                (
                    r.position.to_string(),
                    i.field.clone(),
                    i.value.clone(),
                    i.reason.clone(),
                )
            })
        })
        .take(2000)
        .collect()
}

/// The import form beside its file: the source's name, `partiel` to import the valid lines
/// when others are not, `action=verifier` to check only.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(in crate::pages) struct ImportForm {
    pub(in crate::pages) source: String,
    #[serde(rename = "partiel")]
    pub(in crate::pages) partial: bool,
    pub(in crate::pages) action: String,
}

pub(in crate::pages) async fn import_upload(
    AxState(state): AxState<State>,
    viewer: Viewer,
    multipart: Multipart,
) -> Result<Response, PageError> {
    state.app.check(viewer.actor(), &Action::ImportPlaces)?;
    let form = crate::upload::read_form(multipart, maillage_app::limits::IMPORT_BYTES).await?;
    let asked: ImportForm = form.typed()?;
    let source = asked.source;
    let partial = asked.partial;
    let check_only = asked.action == "verifier";
    let (file_name, bytes) = match form.file {
        Some(file) if file.name.is_empty() => ("fichier".to_string(), file.content),
        Some(file) => (file.name, file.content),
        None => ("fichier".to_string(), Vec::new()),
    };
    // The work runs as a job: the page follows its progress and may interrupt it.
    let app = state.app.clone();
    let actor = viewer.actor().cloned();
    let chrome = Chrome::new("import", &viewer);
    let owner = viewer.user.as_ref().map(|u| u.id.clone());
    let title = if check_only {
        format!("Vérification de « {file_name} »")
    } else {
        format!("Import de « {file_name} »")
    };
    let slot = maillage_app::jobs::Slot::User(owner.clone().unwrap_or_default());
    let job = state
        .app
        .jobs
        .start(title, owner, slot, None, move |job| async move {
            let progress: &dyn maillage_domain::progress::Progress = job.as_ref();
            match import_work(
                &app,
                actor.as_ref(),
                chrome,
                bytes,
                file_name,
                &source,
                partial,
                check_only,
                progress,
            )
            .await
            {
                _ if progress.interrupted() => maillage_app::jobs::Outcome::Interrupted,
                Ok((html, status)) => maillage_app::jobs::Outcome::Page {
                    html: std::sync::Arc::new(html),
                    status,
                },
                Err(e) => maillage_app::jobs::Outcome::Failed(e.public_message()),
            }
        })
        .await?;
    Ok(Redirect::to(&format!("/taches/{job}")).into_response())
}

/// Checks or imports a file and renders the report page (status code beside it).
#[allow(clippy::too_many_arguments)]
pub(in crate::pages) async fn import_work(
    app: &crate::App,
    actor: Option<&maillage_domain::policy::Actor>,
    chrome: Chrome,
    bytes: Vec<u8>,
    file_name: String,
    source: &str,
    partial: bool,
    check_only: bool,
    progress: &dyn maillage_domain::progress::Progress,
) -> Result<(String, u16), AppError> {
    let (report, outcome, error) = if check_only {
        (Some(app.check_file(bytes, progress).await), None, None)
    } else {
        match app
            .import_file_watched(
                actor,
                bytes,
                &file_name,
                Some(source).filter(|s| !s.is_empty()),
                partial,
                progress,
            )
            .await
        {
            Ok(r) => (Some(Ok(r.report)), r.outcome, None),
            Err(AppError::Standard(e)) => (Some(Err(AppError::Standard(e))), None, None),
            Err(AppError::Invalid(m)) => (None, None, Some(m)),
            Err(e) => return Err(e),
        }
    };
    let view = match (report, error) {
        (_, Some(message)) => ReportView {
            file_name: file_name.clone(),
            written: false,
            headline: message,
            summary: String::new(),
            notes: Vec::new(),
            errors: Vec::new(),
            warnings: Vec::new(),
        },
        (Some(Err(e)), None) => ReportView {
            file_name: file_name.clone(),
            written: false,
            headline: e.to_string(),
            summary: "Rien n'a été importé.".into(),
            notes: Vec::new(),
            errors: Vec::new(),
            warnings: Vec::new(),
        },
        (Some(Ok(report)), None) => {
            let headline = match (&outcome, check_only) {
                (_, true) if report.invalid_count() == 0 => {
                    "Vérification : le fichier est valide, il peut être importé.".to_string()
                }
                (_, true) => format!(
                    "Vérification : {} ligne(s) à corriger avant l'import.",
                    report.invalid_count()
                ),
                (Some(o), false) => format!(
                    "Import terminé : {} créé(s), {} mis à jour, {} inchangé(s), {} refusé(s).",
                    o.created,
                    o.updated,
                    o.unchanged,
                    report.invalid_count()
                ),
                (None, false) => format!(
                    "Rien n'a été importé : {} ligne(s) invalide(s). Corrigez-les, ou cochez « importer seulement les lignes valides ».",
                    report.invalid_count()
                ),
            };
            ReportView {
                file_name: file_name.clone(),
                written: outcome.is_some() || (check_only && report.invalid_count() == 0),
                headline,
                summary: format!(
                    "Fichier {} du standard {} : {} enregistrement(s), {} valide(s), {} refusé(s).",
                    report.format,
                    report.version,
                    report.records,
                    report.valid_count(),
                    report.invalid_count()
                ),
                notes: report.notes.clone(),
                errors: rows(&report, true),
                warnings: rows(&report, false),
            }
        }
        (None, None) => ReportView {
            file_name,
            written: false,
            headline: "Aucun fichier reçu.".into(),
            summary: String::new(),
            notes: Vec::new(),
            errors: Vec::new(),
            warnings: Vec::new(),
        },
    };
    let status = if view.written {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = ImportPage {
        chrome,
        report: Some(view),
        history: app.import_history(actor, 20).await?,
    };
    let html = page
        .render()
        .map_err(|e| AppError::Invalid(format!("page du rapport : {e}")))?;
    Ok((html, status.as_u16()))
}

// ----- export -----

pub(in crate::pages) async fn export(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Query(asked): Query<PlaceQuery>,
    Query(format): Query<ExportAsked>,
) -> Result<Response, PageError> {
    let file = state
        .app
        .export_directory(viewer.actor(), &asked, &format)
        .await?;
    Ok(crate::kit::download::export(file))
}

// ----- administration -----
