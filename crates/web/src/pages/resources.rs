//! Resource library pages: search by words, theme, level, audience and type; a resource's page
//! (link, outline, file); the proposal form with a file; the coordinators' queue (publish,
//! refuse with a reason) and the list of dead links.

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State as AxState};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maillage_app::StoredResource;
use maillage_domain::Vocabulary;
use maillage_domain::diagnostic::Level;
use maillage_domain::french;
use maillage_domain::policy::Action;
use maillage_domain::resources::{
    ACCEPTED_TYPES, Audience, LICENCES, MAX_FILE_BYTES, PracticeTopic, ResourceForm, ResourceKind,
    ResourceStatus,
};
use maillage_domain::vocab::MediationTheme;

use super::{Chrome, render};
use crate::PageError;
use crate::State;
use crate::auth::Viewer;
use crate::kit::input::{self, Done, Form, Query};
use maillage_app::resources::{Refused, ResourceFilter, ResourceQuery, Shelf};
use maillage_app::{AppError, today};

/// The body limit of the resource form: a file of 10 MiB and the form around it.
const FORM_LIMIT: usize = MAX_FILE_BYTES + 1024 * 1024;

pub fn routes() -> Router<State> {
    Router::new()
        .route("/ressources", get(list))
        .route("/ressources/nouvelle", get(new_form).post(create))
        .route("/ressources/{id}", get(detail))
        .route("/ressources/{id}/modifier", get(edit_form).post(update))
        .route("/ressources/{id}/fichier", get(download))
        .route("/ressources/{id}/publier", post(publish))
        .route("/ressources/{id}/refuser", post(refuse))
        .route("/ressources/{id}/supprimer", post(delete))
        .layer(DefaultBodyLimit::max(FORM_LIMIT))
}

struct Row {
    id: String,
    title: String,
    summary: String,
    kind: &'static str,
    themes: String,
    levels: String,
    audiences: String,
    language: String,
    has_file: bool,
    external: Option<String>,
    dead: Option<String>,
    refusal: Option<String>,
}

fn row(s: &StoredResource) -> Row {
    let r = &s.resource;
    Row {
        id: r.id.clone(),
        title: r.title.clone(),
        summary: r.summary.clone(),
        kind: r.kind.label(),
        themes: r.themes_label(),
        levels: r.levels_label(),
        audiences: super::vocab_labels(&r.audiences),
        language: if r.language == "fr" {
            String::new()
        } else {
            format!("en {}", language_name(&r.language))
        },
        has_file: s.file.is_some(),
        external: r.url.clone(),
        dead: s
            .link
            .is_dead()
            .then(|| s.link.last_error.clone().unwrap_or_default()),
        refusal: s.refusal_reason.clone(),
    }
}

fn language_name(code: &str) -> String {
    match code {
        "fr" => "français",
        "en" => "anglais",
        "ar" => "arabe",
        "es" => "espagnol",
        "de" => "allemand",
        "it" => "italien",
        "pt" => "portugais",
        "uk" => "ukrainien",
        "ru" => "russe",
        "tr" => "turc",
        "zh" => "chinois",
        other => other,
    }
    .to_string()
}

#[derive(Template)]
#[template(path = "resources/resources.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<Row>,
    /// Resources found, over every page.
    total: usize,
    /// Pages of [`PER_PAGE`] (1-based), and the query without the page, for the pager.
    page: usize,
    pages: usize,
    query_string: String,
    q: String,
    themes: Vec<(&'static str, &'static str, bool)>,
    practice: Vec<(&'static str, &'static str, bool)>,
    levels: Vec<(&'static str, &'static str, bool)>,
    audiences: Vec<(&'static str, &'static str, bool)>,
    kinds: Vec<(&'static str, &'static str, bool)>,
    shelf: &'static str,
    /// The theme boxes stay open when one is ticked.
    themes_open: bool,
    shelf_title: &'static str,
    can_propose: bool,
    can_publish: bool,
    proposed_count: usize,
    message: Option<String>,
}

/// Resources per page of the list (issue #10: 49 on one 15,000 px page before).
const PER_PAGE: usize = 20;

/// `?page=` of the list.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
struct Paging {
    page: String,
}

async fn list(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Query(asked): Query<ResourceQuery>,
    Query(done): Query<Done>,
    Query(paging): Query<Paging>,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Result<Response, PageError> {
    let f = asked.filter();
    let mut found = state.app.find_resources(viewer.actor(), &f).await?;
    if !viewer.signed_in() && f.audience.is_none() {
        // The public reads what is written for the people it helps first; the helpers' own
        // resources follow.
        found.sort_by_key(|r| !r.resource.audiences.contains(&Audience::Public));
    }
    let total = found.len();
    let pages = total.div_ceil(PER_PAGE).max(1);
    let page = paging.page.parse::<usize>().unwrap_or(1).clamp(1, pages);
    let query_string = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(
            form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
                .filter(|(k, _)| k != "page" && k != "fait"),
        )
        .finish();
    let shown: Vec<_> = found
        .iter()
        .skip((page - 1) * PER_PAGE)
        .take(PER_PAGE)
        .collect();
    let can_publish = state.app.may(viewer.actor(), &Action::PublishResources);
    let proposed_count = if viewer.signed_in() {
        state
            .app
            .find_resources(
                viewer.actor(),
                &ResourceFilter {
                    shelf: Shelf::Proposed,
                    ..Default::default()
                },
            )
            .await?
            .len()
    } else {
        0
    };
    let in_list = |list: &[String], slug: &str| list.iter().any(|v| v == slug);
    let mut r = render(&ListPage {
        chrome: Chrome::new("ressources", &viewer),
        rows: shown.into_iter().map(row).collect(),
        total,
        page,
        pages,
        query_string,
        themes: MediationTheme::ALL
            .iter()
            .map(|t| (t.slug(), t.label(), in_list(&asked.themes, t.slug())))
            .collect(),
        practice: PracticeTopic::ALL
            .iter()
            .map(|t| (t.slug(), t.label(), in_list(&asked.practice, t.slug())))
            .collect(),
        levels: Level::ALL
            .iter()
            .map(|l| (l.slug(), l.label(), asked.level == l.slug()))
            .collect(),
        audiences: Audience::ALL
            .iter()
            .map(|a| (a.slug(), a.label(), asked.public == a.slug()))
            .collect(),
        kinds: ResourceKind::ALL
            .iter()
            .map(|k| (k.slug(), k.label(), asked.kind == k.slug()))
            .collect(),
        q: asked.q,
        shelf: f.shelf.slug(),
        themes_open: !f.themes.is_empty() || !f.practice.is_empty(),
        shelf_title: match f.shelf {
            Shelf::Published => "Ressources",
            Shelf::Proposed => "Propositions en attente",
            Shelf::Refused => "Propositions refusées",
            Shelf::DeadLinks => "Liens qui ne répondent plus",
        },
        can_propose: state.app.may(viewer.actor(), &Action::ProposeResource),
        can_publish,
        proposed_count,
        message: match done.fait.as_str() {
            "proposee" => {
                Some("Merci : votre proposition attend la relecture d'un coordinateur.".into())
            }
            "publiee" => Some("La ressource est publiée.".into()),
            "refusee" => Some(
                "La proposition est refusée ; la structure qui l'a faite voit la raison.".into(),
            ),
            "supprimee" => Some("La ressource est supprimée.".into()),
            _ => None,
        },
    });
    r.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("cookie"));
    Ok(r)
}

#[derive(Template)]
#[template(path = "resources/resource.html")]
struct DetailPage {
    chrome: Chrome,
    id: String,
    title: String,
    summary: String,
    status: ResourceStatus,
    status_label: &'static str,
    refusal: Option<String>,
    url: Option<String>,
    body: Vec<String>,
    file: Option<(String, String)>,
    facts: Vec<(&'static str, String)>,
    dead: Option<String>,
    can_edit: bool,
    can_publish: bool,
}

async fn detail(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let s = state.app.resource(viewer.actor(), &id).await?;
    let r = &s.resource;
    let facts = vec![
        ("Type", r.kind.label().to_string()),
        ("Thématiques", r.themes_label()),
        ("Niveaux", r.levels_label()),
        ("Pour", super::vocab_labels(&r.audiences)),
        ("Langue", language_name(&r.language)),
        ("Auteur", r.author.clone()),
        ("Licence", r.licence.clone()),
    ]
    .into_iter()
    .chain(r.date.map(|d| ("Date", french::date(d))))
    .collect();
    let mut response = render(&DetailPage {
        chrome: Chrome::new("ressources", &viewer),
        id: r.id.clone(),
        title: r.title.clone(),
        summary: r.summary.clone(),
        status: s.status,
        status_label: s.status.label(),
        refusal: s.refusal_reason.clone(),
        url: r.url.clone(),
        body: r
            .body
            .as_deref()
            .unwrap_or_default()
            .split("\n\n")
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty())
            .collect(),
        file: s.file.as_ref().map(|f| {
            let kind = ACCEPTED_TYPES
                .iter()
                .find(|t| t.mime == f.mime)
                .map_or("fichier", |t| t.label);
            (
                f.name.clone(),
                format!("{kind}, {} Kio", f.size.div_ceil(1024)),
            )
        }),
        facts,
        dead: s
            .link
            .is_dead()
            .then(|| s.link.last_error.clone().unwrap_or_default()),
        can_edit: state.app.may_edit_resource(viewer.actor(), &s),
        can_publish: state.app.may(viewer.actor(), &Action::PublishResources),
    });
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("cookie"));
    Ok(response)
}

async fn download(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (info, content) = state.app.resource_file(viewer.actor(), &id).await?;
    // PDF and images open in the browser; documents are downloaded. The name was made safe
    // when stored.
    let inline = info.mime == "application/pdf" || info.mime.starts_with("image/");
    let disposition = format!(
        "{}; filename=\"{}\"",
        if inline { "inline" } else { "attachment" },
        info.name
    );
    let mut r = content.into_response();
    let headers = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&info.mime) {
        headers.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    // A stored file never runs anything in the site's name.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    Ok(r)
}

#[derive(Template)]
#[template(path = "resources/resource_form.html")]
struct FormPage {
    chrome: Chrome,
    action: String,
    heading: &'static str,
    errors: Vec<(&'static str, String)>,
    form: ResourceForm,
    /// The structure proposing it.
    organisation: String,
    themes: Vec<(&'static str, &'static str)>,
    practice: Vec<(&'static str, &'static str)>,
    levels: Vec<(&'static str, String)>,
    audiences: Vec<(&'static str, &'static str)>,
    kinds: Vec<(&'static str, &'static str)>,
    licences: Vec<&'static str>,
    organisations: Vec<(String, String)>,
    current_file: Option<String>,
    publishes: bool,
}

impl FormPage {
    fn has(&self, list: &[String], value: &str) -> bool {
        list.iter().any(|v| v == value)
    }
    fn error_of(&self, key: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// What the resource form carries beside the resource: the structure proposing it, and
/// whether the current file is removed.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Proposal {
    structure: String,
    #[serde(rename = "retirer_fichier")]
    remove_file: bool,
}

/// The resource form of a multipart body.
fn form_of(fields: &[(String, String)]) -> Result<(ResourceForm, Proposal), AppError> {
    Ok((input::fields(fields)?, input::fields(fields)?))
}

async fn form_page(
    state: &State,
    viewer: &Viewer,
    editing: Option<&StoredResource>,
    (form, organisation): (ResourceForm, String),
    errors: Vec<(&'static str, String)>,
) -> Result<Response, PageError> {
    let actor = viewer.actor().ok_or(AppError::SignInRequired)?;
    let mut organisations = Vec::new();
    for o in state.app.organisations().await? {
        if actor.member_of(&o.id, today()) {
            organisations.push((o.id, o.name));
        }
    }
    let failed = !errors.is_empty();
    let mut r = render(&FormPage {
        chrome: Chrome::new("ressources", viewer),
        action: match editing {
            Some(s) => format!("/ressources/{}/modifier", s.resource.id),
            None => "/ressources/nouvelle".into(),
        },
        heading: if editing.is_some() {
            "Modifier la ressource"
        } else {
            "Proposer une ressource"
        },
        errors,
        form,
        organisation,
        themes: MediationTheme::ALL
            .iter()
            .map(|t| (t.slug(), t.label()))
            .collect(),
        practice: PracticeTopic::ALL
            .iter()
            .map(|t| (t.slug(), t.label()))
            .collect(),
        levels: Level::ALL
            .iter()
            .map(|l| (l.slug(), format!("{} — {}", l.label(), l.definition())))
            .collect(),
        audiences: Audience::ALL
            .iter()
            .map(|a| (a.slug(), a.label()))
            .collect(),
        kinds: ResourceKind::ALL
            .iter()
            .map(|k| (k.slug(), k.label()))
            .collect(),
        licences: LICENCES.to_vec(),
        organisations: if editing.is_some() {
            Vec::new()
        } else {
            organisations
        },
        current_file: editing.and_then(|s| s.file.as_ref().map(|f| f.name.clone())),
        publishes: state.app.may(Some(actor), &Action::PublishResources),
    });
    if failed {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

async fn new_form(AxState(state): AxState<State>, viewer: Viewer) -> Result<Response, PageError> {
    state.app.check(viewer.actor(), &Action::ProposeResource)?;
    let form = ResourceForm {
        language: "fr".into(),
        audiences: vec!["aidants".into()],
        ..Default::default()
    };
    form_page(&state, &viewer, None, (form, String::new()), Vec::new()).await
}

async fn create(
    AxState(state): AxState<State>,
    viewer: Viewer,
    multipart: Multipart,
) -> Result<Response, PageError> {
    // Who may propose is known before the file is read.
    state.app.check(viewer.actor(), &Action::ProposeResource)?;
    let crate::upload::UploadForm {
        fields,
        file: upload,
    } = crate::upload::read_form(multipart, FORM_LIMIT).await?;
    let (form, proposal) = form_of(&fields)?;
    let organisation = proposal.structure;
    match state
        .app
        .propose_resource(
            viewer.actor(),
            &form,
            Some(organisation.as_str()),
            upload.as_ref(),
        )
        .await
    {
        Ok((id, ResourceStatus::Published)) => {
            Ok(Redirect::to(&format!("/ressources/{id}")).into_response())
        }
        Ok(_) => Ok(Redirect::to("/ressources?etat=proposees&fait=proposee").into_response()),
        Err(Refused::Form(errors)) => {
            form_page(&state, &viewer, None, (form, organisation), errors).await
        }
        Err(Refused::App(e)) => Err(e.into()),
    }
}

async fn edit_form(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let s = state.app.resource(viewer.actor(), &id).await?;
    if !state.app.may_edit_resource(viewer.actor(), &s) {
        return Err(
            AppError::Forbidden("cette ressource a été proposée par une autre structure").into(),
        );
    }
    let form = ResourceForm::of(&s.resource);
    form_page(&state, &viewer, Some(&s), (form, String::new()), Vec::new()).await
}

async fn update(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
    multipart: Multipart,
) -> Result<Response, PageError> {
    // Who may edit is known before the file is read.
    let existing = state.app.resource(viewer.actor(), &id).await?;
    if !state.app.may_edit_resource(viewer.actor(), &existing) {
        return Err(
            AppError::Forbidden("cette ressource a été proposée par une autre structure").into(),
        );
    }
    let crate::upload::UploadForm {
        fields,
        file: upload,
    } = crate::upload::read_form(multipart, FORM_LIMIT).await?;
    let (form, proposal) = form_of(&fields)?;
    match state
        .app
        .edit_resource(
            viewer.actor(),
            &id,
            &form,
            upload.as_ref(),
            proposal.remove_file,
        )
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/ressources/{id}")).into_response()),
        Err(Refused::Form(errors)) => {
            let s = state.app.resource(viewer.actor(), &id).await?;
            form_page(&state, &viewer, Some(&s), (form, String::new()), errors).await
        }
        Err(Refused::App(e)) => Err(e.into()),
    }
}

async fn publish(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    state.app.publish_resource(viewer.actor(), &id).await?;
    Ok(Redirect::to("/ressources?etat=proposees&fait=publiee").into_response())
}

/// Why a proposal is refused (the proposing structure sees it).
#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Refusal {
    #[serde(rename = "raison")]
    reason: String,
}

async fn refuse(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(refusal): Form<Refusal>,
) -> Result<Response, PageError> {
    state
        .app
        .refuse_resource(viewer.actor(), &id, &refusal.reason)
        .await?;
    Ok(Redirect::to("/ressources?etat=proposees&fait=refusee").into_response())
}

async fn delete(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    state.app.delete_resource(viewer.actor(), &id).await?;
    Ok(Redirect::to("/ressources?fait=supprimee").into_response())
}
