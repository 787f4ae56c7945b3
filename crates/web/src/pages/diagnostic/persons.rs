//! A followed person's page: timeline, export, erasure.

use super::*;

#[derive(Template)]
#[template(path = "diagnostic/person.html")]
pub(super) struct PersonPage {
    pub(super) chrome: Chrome,
    pub(super) id: String,
    pub(super) pseudonym: String,
    pub(super) contact: Option<String>,
    pub(super) consent_at: String,
    pub(super) keep_until: String,
    pub(super) diagnostics: Vec<DiagnosticRow>,
    pub(super) last_id: Option<String>,
    pub(super) changes: Vec<Change>,
    /// Orientation with the latest diagnostic's level and equipment.
    pub(super) orient: Option<String>,
    /// Records, diagnostics and referrals, oldest first (issue #7).
    pub(super) timeline: Vec<maillage_app::activity::TimelineItem>,
    /// Age bracket, gender, status, commune: (slug or code, choices).
    pub(super) profile: maillage_domain::activity::Profile,
    pub(super) ages: Vec<(String, String)>,
    pub(super) genders: Vec<(String, String)>,
    pub(super) statuses: Vec<(String, String)>,
    pub(super) profile_saved: bool,
}

use crate::PageError;
use maillage_domain::Vocabulary as _;

impl PersonPage {
    pub(super) fn is_age(&self, v: &str) -> bool {
        self.profile.age.map(|a| a.slug()) == Some(v)
    }
    pub(super) fn is_gender(&self, v: &str) -> bool {
        self.profile.gender.map(|a| a.slug()) == Some(v)
    }
    pub(super) fn is_status(&self, v: &str) -> bool {
        self.profile.status.map(|a| a.slug()) == Some(v)
    }
}

pub(super) fn choices<V: maillage_domain::Vocabulary>() -> Vec<(String, String)> {
    V::ALL
        .iter()
        .map(|v| (v.slug().to_string(), v.label().to_string()))
        .collect()
}

pub(super) async fn person_page(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(flags): Query<Flags>,
) -> Result<Response, PageError> {
    let (person, diagnostics) = state.app.person_timeline(viewer.actor(), &id).await?;
    let timeline = state
        .app
        .person_activity_timeline(viewer.actor(), &id)
        .await?;
    let profile = state.app.person_profile(viewer.actor(), &person).await?;
    let profile_saved = flags.profile;
    // First and latest, side by side: the progress since the beginning.
    let changes = match (diagnostics.first(), diagnostics.last()) {
        (Some(first), Some(last)) if first.id != last.id => {
            maillage_domain::diagnostic::compare(&first.assessment, &last.assessment)
        }
        _ => Vec::new(),
    };
    let mut r = render(&PersonPage {
        chrome: Chrome::new("diagnostics", &viewer),
        id: person.id,
        pseudonym: person.pseudonym,
        contact: person.contact,
        consent_at: person.consent_at.get(..10).unwrap_or_default().to_string(),
        keep_until: person.keep_until.get(..10).unwrap_or_default().to_string(),
        last_id: diagnostics.last().map(|d| d.id.clone()),
        orient: diagnostics
            .last()
            .map(|d| orient_link(&d.assessment, d.commune.as_deref())),
        diagnostics: diagnostics
            .iter()
            .map(|d| DiagnosticRow {
                id: d.id.clone(),
                date: d.created_at.get(..10).unwrap_or_default().to_string(),
                level: d.assessment.level.label(),
                person: None,
                mode: if d.mode == "seul" {
                    "seul"
                } else {
                    "accompagné"
                },
            })
            .collect(),
        changes,
        timeline,
        profile,
        ages: choices::<maillage_domain::activity::AgeBracket>(),
        genders: choices::<maillage_domain::activity::Gender>(),
        statuses: choices::<maillage_domain::activity::SocialStatus>(),
        profile_saved,
    });
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

pub(super) async fn person_export(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let data = state.app.person_export(viewer.actor(), &id).await?;
    let mut r = axum::Json(data).into_response();
    r.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"donnees-personne.json\""),
    );
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

pub(super) async fn person_erase(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Redirect, PageError> {
    state.app.erase_person(viewer.actor(), &id).await?;
    Ok(Redirect::to("/diagnostics?efface=1"))
}

// ----- questionnaires (coordinators) -----
