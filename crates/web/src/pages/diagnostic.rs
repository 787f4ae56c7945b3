//! Diagnostic pages. **Alone** (no account): one question per screen, large choices with
//! pictograms, read-aloud where the browser can, stop and resume with a code, a result in plain
//! words printable on one page. **Guided** (a helper, member of a structure): the full
//! questionnaire on one page with observations, the level the helper may override, a followed
//! person with their consent or anonymous, re-tests compared side by side.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State as AxState};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maillage_app::StoredDiagnostic;
use maillage_domain::diagnostic::{
    Change, DomainLevel, LearningCapacity, Level, Questionnaire, SkillDomain,
};
use maillage_domain::french;

use serde::Deserialize;

use super::{Chrome, render};
use crate::State;
use crate::auth::Viewer;
use crate::kit::input::{self, Flags, Form, Query};
use maillage_app::AppError;
use maillage_app::diagnostic::{DiagnosticView, GuidedInput};

pub fn routes() -> Router<State> {
    Router::new()
        .route("/diagnostic", get(home))
        .route("/diagnostic/commencer", post(start))
        .route("/diagnostic/reprendre", post(resume))
        .route(
            "/diagnostic/seul/{code}/{n}",
            get(question_page).post(answer),
        )
        .route("/diagnostic/seul/{code}/resultat", get(alone_result))
        .route("/diagnostics", get(helper_list))
        .route("/diagnostics/nouveau", get(guided_form).post(guided_submit))
        .route("/diagnostics/{id}", get(guided_result))
        .route("/personnes/{id}", get(person_page))
        .route("/personnes/{id}/export", get(person_export))
        .route("/personnes/{id}/effacer", post(person_erase))
        .route(
            "/diagnostic/questionnaires",
            get(questionnaires_page).post(adapt_questionnaire),
        )
        .route("/static/lecture.js", get(read_aloud_script))
}

/// Inline pictograms (decorative: the text says everything).
pub fn pictogram(name: &str) -> &'static str {
    match name {
        "appareils" | "smartphone" | "tablette" => {
            r#"<svg class="picto" viewBox="0 0 48 48" aria-hidden="true" focusable="false"><rect x="14" y="4" width="20" height="40" rx="3" fill="none" stroke="currentColor" stroke-width="3"/><circle cx="24" cy="38" r="2"/></svg>"#
        }
        "ordinateur" | "portable" => {
            r#"<svg class="picto" viewBox="0 0 48 48" aria-hidden="true" focusable="false"><rect x="6" y="8" width="36" height="24" rx="2" fill="none" stroke="currentColor" stroke-width="3"/><path d="M2 38h44" stroke="currentColor" stroke-width="4"/></svg>"#
        }
        "main" => {
            r#"<svg class="picto" viewBox="0 0 48 48" aria-hidden="true" focusable="false"><path d="M18 26V8a3 3 0 0 1 6 0v14M24 22v-4a3 3 0 0 1 6 0v6M30 22a3 3 0 0 1 6 0v8c0 8-5 14-12 14s-12-6-14-10l-2-6a3 3 0 0 1 5-2l4 5" fill="none" stroke="currentColor" stroke-width="3" stroke-linecap="round"/></svg>"#
        }
        "globe" | "wifi" => {
            r#"<svg class="picto" viewBox="0 0 48 48" aria-hidden="true" focusable="false"><circle cx="24" cy="24" r="18" fill="none" stroke="currentColor" stroke-width="3"/><path d="M6 24h36M24 6c-8 10-8 26 0 36M24 6c8 10 8 26 0 36" fill="none" stroke="currentColor" stroke-width="3"/></svg>"#
        }
        "enveloppe" => {
            r#"<svg class="picto" viewBox="0 0 48 48" aria-hidden="true" focusable="false"><rect x="5" y="10" width="38" height="28" rx="2" fill="none" stroke="currentColor" stroke-width="3"/><path d="M5 12l19 15 19-15" fill="none" stroke="currentColor" stroke-width="3"/></svg>"#
        }
        "papiers" => {
            r#"<svg class="picto" viewBox="0 0 48 48" aria-hidden="true" focusable="false"><path d="M12 4h18l8 8v32H12z" fill="none" stroke="currentColor" stroke-width="3"/><path d="M18 22h14M18 29h14M18 36h10" stroke="currentColor" stroke-width="3"/></svg>"#
        }
        "livre" => {
            r#"<svg class="picto" viewBox="0 0 48 48" aria-hidden="true" focusable="false"><path d="M24 12c-5-4-12-4-18-2v28c6-2 13-2 18 2 5-4 12-4 18-2V10c-6-2-13-2-18 2zM24 12v28" fill="none" stroke="currentColor" stroke-width="3"/></svg>"#
        }
        "ampoule" => {
            r#"<svg class="picto" viewBox="0 0 48 48" aria-hidden="true" focusable="false"><path d="M24 4a13 13 0 0 0-7 24v6h14v-6A13 13 0 0 0 24 4zM18 40h12M20 45h8" fill="none" stroke="currentColor" stroke-width="3"/></svg>"#
        }
        "visage" => {
            r#"<svg class="picto" viewBox="0 0 48 48" aria-hidden="true" focusable="false"><circle cx="24" cy="24" r="19" fill="none" stroke="currentColor" stroke-width="3"/><circle cx="17" cy="20" r="2.5"/><circle cx="31" cy="20" r="2.5"/><path d="M15 30c5 6 13 6 18 0" fill="none" stroke="currentColor" stroke-width="3"/></svg>"#
        }
        _ => "",
    }
}

/// The alone pages run one script (read-aloud), served by Maillage; everything else is HTML.
fn with_read_aloud(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::HeaderName::from_static("x-robots-tag"),
        HeaderValue::from_static("noindex"),
    );
    r
}

async fn read_aloud_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/lecture.js"),
    )
        .into_response()
}

// ----- alone -----

#[derive(Template)]
#[template(path = "diagnostic_home.html")]
struct HomePage {
    chrome: Chrome,
    error: Option<String>,
    helper: bool,
    levels: Vec<(u8, &'static str, &'static str)>,
}

fn levels() -> Vec<(u8, &'static str, &'static str)> {
    Level::ALL
        .iter()
        .map(|l| (l.number(), l.label(), l.definition()))
        .collect()
}

async fn home(viewer: Viewer) -> Response {
    render(&HomePage {
        helper: viewer.actor().is_some_and(|a| !a.memberships.is_empty()),
        chrome: Chrome::new("diagnostic", &viewer),
        error: None,
        levels: levels(),
    })
}

/// The questionnaire asked for (`court` or `complet`; the other when unknown, as each page
/// says) and, to resume a test alone, its code.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Asked {
    questionnaire: String,
    code: String,
    /// The questionnaires page: the one shown, and the version just saved.
    id: String,
    version: String,
}

async fn start(
    AxState(state): AxState<State>,
    Form(asked): Form<Asked>,
) -> Result<Response, PageError> {
    let q = match asked.questionnaire.as_str() {
        "complet" => "complet",
        _ => "court",
    };
    let (_, code) = state.app.start_alone(q).await?;
    Ok(Redirect::to(&format!("/diagnostic/seul/{code}/1")).into_response())
}

async fn resume(
    AxState(state): AxState<State>,
    viewer: Viewer,
    client: crate::auth::Client,
    Form(asked): Form<Asked>,
) -> Result<Response, PageError> {
    let code = maillage_app::diagnostic::normalise_code(&asked.code);
    match state.app.draft(client.key(), &code).await {
        Ok((draft, q)) => {
            let next =
                if draft.diagnostic_id.is_some() || draft.position as usize >= q.questions.len() {
                    format!("/diagnostic/seul/{code}/resultat")
                } else {
                    format!("/diagnostic/seul/{code}/{}", draft.position + 1)
                };
            Ok(Redirect::to(&next).into_response())
        }
        Err(AppError::Invalid(m)) => {
            let mut r = render(&HomePage {
                helper: viewer.actor().is_some_and(|a| !a.memberships.is_empty()),
                chrome: Chrome::new("diagnostic", &viewer),
                error: Some(m),
                levels: levels(),
            });
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}

struct ChoiceView {
    id: String,
    label: String,
    checked: bool,
}

#[derive(Template)]
#[template(path = "diagnostic_question.html")]
struct QuestionPage {
    chrome: Chrome,
    code: String,
    n: usize,
    total: usize,
    text: String,
    help: Option<String>,
    pictogram: &'static str,
    multiple: bool,
    choices: Vec<ChoiceView>,
    error: Option<String>,
}

async fn question_page(
    AxState(state): AxState<State>,
    viewer: Viewer,
    client: crate::auth::Client,
    Path((code, n)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let n = question_number(&n)?;
    let (draft, q) = state.app.draft(client.key(), &code).await?;
    question_response(&viewer, &code, n, &q, &draft.answers, None)
}

/// The question number of a URL; anything else is a page that does not exist.
fn question_number(n: &str) -> Result<usize, AppError> {
    n.parse::<usize>()
        .ok()
        .filter(|n| *n >= 1)
        .ok_or(AppError::NotFound)
}

fn question_response(
    viewer: &Viewer,
    code: &str,
    n: usize,
    q: &Questionnaire,
    answers: &maillage_domain::diagnostic::Answers,
    error: Option<String>,
) -> Result<Response, PageError> {
    let question = n
        .checked_sub(1)
        .and_then(|i| q.questions.get(i))
        .ok_or(AppError::NotFound)?;
    let chosen = answers.get(&question.id);
    let failed = error.is_some();
    let mut r = render(&QuestionPage {
        chrome: Chrome::new("diagnostic", viewer),
        code: code.to_string(),
        n,
        total: q.questions.len(),
        text: question.text.clone(),
        help: question.help.clone(),
        pictogram: pictogram(question.pictogram.as_deref().unwrap_or_default()),
        multiple: question.kind
            == maillage_domain::diagnostic::questionnaire::QuestionKind::Multiple,
        choices: question
            .choices
            .iter()
            .map(|c| ChoiceView {
                id: c.id.clone(),
                label: c.label.clone(),
                checked: chosen.is_some_and(|v| v.contains(&c.id)),
            })
            .collect(),
        error,
    });
    if failed {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(with_read_aloud(r))
}

/// One question of a test alone: the choices ticked, and the button pressed (`passer`,
/// `precedent`, `arreter`, or none to go on).
#[derive(Deserialize, Default)]
#[serde(default)]
struct Step {
    action: String,
    #[serde(rename = "choix")]
    choices: Vec<String>,
}

async fn answer(
    AxState(state): AxState<State>,
    viewer: Viewer,
    client: crate::auth::Client,
    Path((code, n)): Path<(String, String)>,
    Form(step): Form<Step>,
) -> Result<Response, PageError> {
    let n = question_number(&n)?;
    let action = step.action;
    if action == "arreter" {
        return Ok(
            Redirect::to(&format!("/diagnostic/seul/{code}/resultat?pause=1")).into_response(),
        );
    }
    let chosen: Vec<String> = if action == "passer" {
        Vec::new()
    } else {
        step.choices
    };
    if action == "precedent" {
        return Ok(Redirect::to(&format!(
            "/diagnostic/seul/{code}/{}",
            n.saturating_sub(1).max(1)
        ))
        .into_response());
    }
    let position = u32::try_from(n.saturating_sub(1)).map_err(|_| AppError::NotFound)?;
    match state
        .app
        .answer_alone(client.key(), &code, position, chosen)
        .await
    {
        Ok(next) => {
            let (_, q) = state.app.draft(client.key(), &code).await?;
            let to = if next as usize >= q.questions.len() {
                format!("/diagnostic/seul/{code}/resultat")
            } else {
                format!("/diagnostic/seul/{code}/{}", next + 1)
            };
            Ok(Redirect::to(&to).into_response())
        }
        Err(AppError::Invalid(m)) => {
            let (draft, q) = state.app.draft(client.key(), &code).await?;
            question_response(&viewer, &code, n, &q, &draft.answers, Some(m))
        }
        Err(e) => Err(e.into()),
    }
}

// ----- results -----

struct DomainRow {
    label: &'static str,
    level: &'static str,
    good: bool,
}

#[derive(Template)]
#[template(path = "diagnostic_result.html")]
struct ResultPage {
    chrome: Chrome,
    /// Paused test: show the code, not the result.
    paused: Option<String>,
    alone: bool,
    level_number: u8,
    level: &'static str,
    definition: &'static str,
    next_step: &'static str,
    need: &'static str,
    equipment: &'static str,
    french_classes: bool,
    can_do: Vec<String>,
    to_learn: Vec<&'static str>,
    domains: Vec<DomainRow>,
    overall: Option<&'static str>,
    search_link: String,
    retest_on: Option<String>,
    date: String,
    questionnaire: String,
    /// Helper's view.
    person: Option<(String, String)>,
    observations: Vec<String>,
    override_reason: Option<(String, String)>,
    rules: Vec<String>,
    changes: Vec<Change>,
    id: String,
    code: String,
}

/// Orientation with what the diagnostic found: the level, the equipment, and the commune when
/// it was noted (the helper or the person then says the request).
fn orient_link(a: &maillage_domain::diagnostic::Assessment, commune: Option<&str>) -> String {
    use maillage_domain::diagnostic::Equipment;
    let equipment = match a.equipment {
        Equipment::None => "aucun",
        Equipment::SmartphoneOnly => "smartphone",
        Equipment::Computer => "ordinateur",
    };
    let mut link = format!("/orienter?niveau={}&equipement={equipment}", a.level.slug());
    if let Some(c) = commune.filter(|c| !c.trim().is_empty()) {
        link.push_str("&commune=");
        link.push_str(&form_urlencoded::byte_serialize(c.as_bytes()).collect::<String>());
    }
    link
}

fn result_page(viewer: &Viewer, view: &DiagnosticView, alone: bool, code: &str) -> ResultPage {
    let d: &StoredDiagnostic = &view.diagnostic;
    let a = &d.assessment;
    ResultPage {
        chrome: Chrome::new(if alone { "diagnostic" } else { "diagnostics" }, viewer),
        paused: None,
        alone,
        level_number: a.level.number(),
        level: a.level.label(),
        definition: a.level.definition(),
        next_step: a.level.next_step(),
        need: a.need.label(),
        equipment: a.equipment.label(),
        french_classes: a.french_classes,
        can_do: a.can_do.clone(),
        to_learn: a.to_learn.iter().map(|d| d.label()).collect(),
        domains: SkillDomain::ALL
            .iter()
            .filter_map(|dom| {
                a.domains.get(dom).map(|l| DomainRow {
                    label: dom.label(),
                    level: l.label(),
                    good: *l >= DomainLevel::Basic,
                })
            })
            .collect(),
        overall: a.overall.map(|o| o.label()),
        search_link: orient_link(a, d.commune.as_deref()),
        retest_on: d
            .retest_on
            .as_deref()
            .and_then(|s| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
            .map(french::date),
        date: d.created_at.get(..10).unwrap_or_default().to_string(),
        questionnaire: format!("{} v{}", a.questionnaire, a.version),
        person: view
            .person
            .as_ref()
            .map(|p| (p.id.clone(), p.pseudonym.clone())),
        observations: d
            .observations
            .as_deref()
            .map(|o| o.lines().map(str::to_string).collect())
            .unwrap_or_default(),
        override_reason: a.computed_level.map(|c| {
            (
                c.label().to_string(),
                a.override_reason.clone().unwrap_or_default(),
            )
        }),
        rules: a.rules.clone(),
        changes: view.changes.clone(),
        id: d.id.clone(),
        code: code.to_string(),
    }
}

async fn alone_result(
    AxState(state): AxState<State>,
    viewer: Viewer,
    client: crate::auth::Client,
    Path(code): Path<String>,
    Query(flags): Query<Flags>,
) -> Result<Response, PageError> {
    if flags.pause {
        // Stopped: the code to come back, nothing computed yet.
        state.app.draft(client.key(), &code).await?;
        let mut page = empty_result(&viewer);
        page.paused = Some(code.clone());
        page.code = code;
        return Ok(with_read_aloud(render(&page)));
    }
    let view = state.app.diagnostic_of_draft(client.key(), &code).await?;
    Ok(with_read_aloud(render(&result_page(
        &viewer, &view, true, &code,
    ))))
}

fn empty_result(viewer: &Viewer) -> ResultPage {
    ResultPage {
        chrome: Chrome::new("diagnostic", viewer),
        paused: None,
        alone: true,
        level_number: 0,
        level: "",
        definition: "",
        next_step: "",
        need: "",
        equipment: "",
        french_classes: false,
        can_do: Vec::new(),
        to_learn: Vec::new(),
        domains: Vec::new(),
        overall: None,
        search_link: String::new(),
        retest_on: None,
        date: String::new(),
        questionnaire: String::new(),
        person: None,
        observations: Vec::new(),
        override_reason: None,
        rules: Vec::new(),
        changes: Vec::new(),
        id: String::new(),
        code: String::new(),
    }
}

async fn guided_result(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let view = state.app.diagnostic_for(viewer.actor(), &id).await?;
    let mut r = render(&result_page(&viewer, &view, false, ""));
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

// ----- guided -----

struct DiagnosticRow {
    id: String,
    date: String,
    level: &'static str,
    person: Option<String>,
    mode: &'static str,
}

struct OrgBlock {
    name: String,
    diagnostics: Vec<DiagnosticRow>,
    persons: Vec<(String, String)>,
    stats: maillage_domain::diagnostic::DiagnosticStats,
    levels: Vec<(&'static str, usize)>,
}

#[derive(Template)]
#[template(path = "diagnostics.html")]
struct ListPage {
    chrome: Chrome,
    orgs: Vec<OrgBlock>,
    erased: bool,
}

async fn helper_list(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Query(flags): Query<Flags>,
) -> Result<Response, PageError> {
    let orgs = state.app.diagnostics_of_helper(viewer.actor()).await?;
    let orgs = orgs
        .into_iter()
        .map(|(name, diagnostics, persons)| {
            let pseudonyms: std::collections::HashMap<String, String> = persons
                .iter()
                .map(|p| (p.id.clone(), p.pseudonym.clone()))
                .collect();
            let by_id: std::collections::HashMap<&str, &StoredDiagnostic> =
                diagnostics.iter().map(|d| (d.id.as_str(), d)).collect();
            let stats =
                maillage_domain::diagnostic::DiagnosticStats::of(diagnostics.iter().map(|d| {
                    (
                        &d.assessment,
                        d.mode == "seul",
                        d.previous_id
                            .as_deref()
                            .and_then(|p| by_id.get(p))
                            .map(|p| &p.assessment),
                    )
                }));
            OrgBlock {
                levels: Level::ALL
                    .iter()
                    .zip(stats.by_level)
                    .map(|(l, n)| (l.label(), n))
                    .collect(),
                stats,
                name,
                diagnostics: diagnostics
                    .iter()
                    .map(|d| DiagnosticRow {
                        id: d.id.clone(),
                        date: d.created_at.get(..10).unwrap_or_default().to_string(),
                        level: d.assessment.level.label(),
                        person: d
                            .person_id
                            .as_ref()
                            .and_then(|p| pseudonyms.get(p).cloned()),
                        mode: if d.mode == "seul" {
                            "seul"
                        } else {
                            "accompagné"
                        },
                    })
                    .collect(),
                persons: persons.into_iter().map(|p| (p.id, p.pseudonym)).collect(),
            }
        })
        .collect();
    Ok(render(&ListPage {
        chrome: Chrome::new("diagnostics", &viewer),
        orgs,
        erased: flags.erased,
    }))
}

struct QuestionView {
    id: String,
    text: String,
    help: Option<String>,
    multiple: bool,
    choices: Vec<ChoiceView>,
}

struct Section {
    title: String,
    questions: Vec<QuestionView>,
}

#[derive(Template)]
#[template(path = "diagnostic_form.html")]
struct GuidedForm {
    chrome: Chrome,
    questionnaire: String,
    sections: Vec<Section>,
    organisations: Vec<(String, String, bool)>,
    persons: Vec<(String, String, bool)>,
    previous: String,
    observations: Vec<(&'static str, bool)>,
    notes: String,
    learning: Vec<(&'static str, &'static str, bool)>,
    levels: Vec<(&'static str, String, bool)>,
    override_reason: String,
    /// No level chosen by the helper: keep the computed one.
    keep_computed: bool,
    pseudonym: String,
    contact: String,
    consent: bool,
    commune: String,
    ages: Vec<(&'static str, &'static str, bool)>,
    error: Option<String>,
}

/// Age brackets of the national activity reporting (anonymous demographics).
const AGE_BRACKETS: [(&str, &str); 5] = [
    ("moins_25", "Moins de 25 ans"),
    ("25_34", "De 25 à 34 ans"),
    ("35_54", "De 35 à 54 ans"),
    ("55_64", "De 55 à 64 ans"),
    ("65_plus", "65 ans et plus"),
];

/// Common observations of the seed (`000_…`): how the person approaches the questions.
const OBSERVATIONS: [&str; 8] = [
    "A su allumer l'appareil",
    "Utilise la souris avec difficulté",
    "Utilise l'écran tactile avec difficulté",
    "A besoin de lire à voix haute",
    "A besoin qu'on lui lise les questions",
    "Ne voit pas bien l'écran",
    "Se décourage vite",
    "Est curieux, pose des questions",
];

#[allow(clippy::too_many_arguments)]
async fn guided_form_page(
    state: &State,
    viewer: &Viewer,
    questionnaire: &str,
    guided: &Guided,
    error: Option<String>,
) -> Result<Response, PageError> {
    let actor = viewer.actor().ok_or(AppError::SignInRequired)?;
    let q = state.app.questionnaire(questionnaire, None).await?;
    let fields = &guided.fields;
    let mut sections: Vec<Section> = Vec::new();
    for question in &q.questions {
        let answered = guided.answers.get(&question.id);
        let view = QuestionView {
            id: question.id.clone(),
            text: question.text.clone(),
            help: question.help.clone(),
            multiple: question.kind
                == maillage_domain::diagnostic::questionnaire::QuestionKind::Multiple,
            choices: question
                .choices
                .iter()
                .map(|c| ChoiceView {
                    id: c.id.clone(),
                    label: c.label.clone(),
                    checked: answered.is_some_and(|a| a.contains(&c.id)),
                })
                .collect(),
        };
        let title = if question.section.is_empty() {
            "Questions".to_string()
        } else {
            question.section.clone()
        };
        match sections.last_mut() {
            Some(s) if s.title == title => s.questions.push(view),
            _ => sections.push(Section {
                title,
                questions: vec![view],
            }),
        }
    }
    let chosen_org = &fields.organisation;
    let mut organisations = Vec::new();
    let mut persons = Vec::new();
    let chosen_person = &fields.person;
    for m in actor
        .memberships
        .iter()
        .filter(|m| m.in_force(maillage_app::today()))
    {
        let name = state
            .app
            .organisation(&m.organisation_id)
            .await?
            .map(|o| o.name)
            .unwrap_or_else(|| m.organisation_id.clone());
        organisations.push((
            m.organisation_id.clone(),
            name.clone(),
            *chosen_org == m.organisation_id,
        ));
        for p in state
            .app
            .persons_of(Some(actor), &m.organisation_id)
            .await?
        {
            let selected = *chosen_person == p.id;
            persons.push((p.id, format!("{} ({name})", p.pseudonym), selected));
        }
    }
    if organisations.is_empty() {
        return Err(AppError::Forbidden(
            "un diagnostic accompagné se fait au nom d'une structure dont vous êtes membre",
        )
        .into());
    }
    let failed = error.is_some();
    let chosen_level = fields.level.as_str();
    let chosen_learning = fields.learning.as_str();
    let mut r = render(&GuidedForm {
        chrome: Chrome::new("diagnostics", viewer),
        questionnaire: q.id.clone(),
        sections,
        organisations,
        persons,
        previous: fields.previous.clone(),
        observations: OBSERVATIONS
            .iter()
            .map(|o| (*o, fields.observations.iter().any(|v| v == o)))
            .collect(),
        notes: fields.notes.clone(),
        learning: [
            ("rapide", LearningCapacity::Quick.label()),
            ("progressive", LearningCapacity::Steady.label()),
            ("lente", LearningCapacity::Slow.label()),
        ]
        .into_iter()
        .map(|(k, l)| (k, l, chosen_learning == k))
        .collect(),
        levels: Level::ALL
            .iter()
            .map(|l| {
                (
                    l.slug(),
                    format!("{} {} — {}", l.number(), l.label(), l.definition()),
                    chosen_level == l.slug(),
                )
            })
            .collect(),
        override_reason: fields.reason.clone(),
        keep_computed: Level::from_slug(chosen_level).is_none(),
        pseudonym: fields.pseudonym.clone(),
        contact: fields.contact.clone(),
        consent: fields.consent,
        commune: fields.commune.clone(),
        ages: AGE_BRACKETS
            .iter()
            .map(|(k, l)| (*k, *l, fields.age_bracket == *k))
            .collect(),
        error,
    });
    if failed {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

async fn guided_form(
    AxState(state): AxState<State>,
    viewer: Viewer,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let guided = Guided::read(&query.unwrap_or_default().into_bytes())?;
    let q = match guided.fields.questionnaire.as_str() {
        "court" => "court",
        _ => "complet",
    };
    guided_form_page(&state, &viewer, q, &guided, None).await
}

/// The guided diagnostic form: its fields, and the answers (`q_<question>` keys).
struct Guided {
    fields: GuidedFields,
    answers: maillage_domain::diagnostic::Answers,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct GuidedFields {
    questionnaire: String,
    #[serde(rename = "observation")]
    observations: Vec<String>,
    notes: String,
    #[serde(rename = "apprentissage")]
    learning: String,
    /// A level chosen over the computed one, and why.
    #[serde(rename = "niveau")]
    level: String,
    #[serde(rename = "raison")]
    reason: String,
    #[serde(rename = "structure")]
    organisation: String,
    #[serde(rename = "personne")]
    person: String,
    #[serde(rename = "pseudonyme")]
    pseudonym: String,
    contact: String,
    #[serde(rename = "accord")]
    consent: bool,
    #[serde(rename = "precedent")]
    previous: String,
    #[serde(rename = "tranche_age")]
    age_bracket: String,
    commune: String,
}

impl Guided {
    /// From a form body or a query string (a link that starts a re-test says the person and
    /// the previous diagnostic).
    fn read(raw: &[u8]) -> Result<Self, AppError> {
        let every: std::collections::BTreeMap<String, Vec<String>> = input::form(raw)?;
        Ok(Guided {
            fields: input::form(raw)?,
            answers: every
                .into_iter()
                .filter_map(|(k, v)| k.strip_prefix("q_").map(|q| (q.to_string(), v)))
                .filter(|(_, v)| !v.is_empty())
                .collect(),
        })
    }
}

async fn guided_submit(
    AxState(state): AxState<State>,
    viewer: Viewer,
    body: Bytes,
) -> Result<Response, PageError> {
    let guided = Guided::read(&body)?;
    let f = &guided.fields;
    let questionnaire = match f.questionnaire.as_str() {
        "court" => "court",
        _ => "complet",
    }
    .to_string();
    let mut observations = f.observations.clone();
    if !f.notes.is_empty() {
        observations.push(f.notes.clone());
    }
    let learning = match f.learning.as_str() {
        "rapide" => Some(LearningCapacity::Quick),
        "progressive" => Some(LearningCapacity::Steady),
        "lente" => Some(LearningCapacity::Slow),
        _ => None,
    };
    let level_override = Level::from_slug(&f.level).map(|l| (l, f.reason.clone()));
    let person_id = Some(f.person.clone()).filter(|p| !p.is_empty());
    let input = GuidedInput {
        questionnaire: questionnaire.clone(),
        answers: guided.answers.clone(),
        organisation_id: f.organisation.clone(),
        new_person: (person_id.is_none() && !f.pseudonym.is_empty())
            .then(|| (f.pseudonym.clone(), Some(f.contact.clone()))),
        person_id,
        consent: f.consent,
        previous_id: Some(f.previous.clone()).filter(|p| !p.is_empty()),
        observations,
        learning,
        level_override,
        age_bracket: Some(f.age_bracket.clone())
            .filter(|a| AGE_BRACKETS.iter().any(|(k, _)| k == a)),
        commune: Some(f.commune.chars().take(80).collect::<String>()).filter(|c| !c.is_empty()),
    };
    match state.app.record_guided(viewer.actor(), input).await {
        Ok(id) => Ok(Redirect::to(&format!("/diagnostics/{id}")).into_response()),
        Err(AppError::Invalid(m)) => {
            guided_form_page(&state, &viewer, &questionnaire, &guided, Some(m)).await
        }
        Err(e) => Err(e.into()),
    }
}

// ----- followed persons -----

#[derive(Template)]
#[template(path = "person.html")]
struct PersonPage {
    chrome: Chrome,
    id: String,
    pseudonym: String,
    contact: Option<String>,
    consent_at: String,
    keep_until: String,
    diagnostics: Vec<DiagnosticRow>,
    last_id: Option<String>,
    changes: Vec<Change>,
    /// Orientation with the latest diagnostic's level and equipment.
    orient: Option<String>,
    /// Records, diagnostics and referrals, oldest first (issue #7).
    timeline: Vec<maillage_app::activity::TimelineItem>,
    /// Age bracket, gender, status, commune: (slug or code, choices).
    profile: maillage_domain::activity::Profile,
    ages: Vec<(String, String)>,
    genders: Vec<(String, String)>,
    statuses: Vec<(String, String)>,
    profile_saved: bool,
}

use crate::PageError;
use maillage_domain::Vocabulary as _;

impl PersonPage {
    fn is_age(&self, v: &str) -> bool {
        self.profile.age.map(|a| a.slug()) == Some(v)
    }
    fn is_gender(&self, v: &str) -> bool {
        self.profile.gender.map(|a| a.slug()) == Some(v)
    }
    fn is_status(&self, v: &str) -> bool {
        self.profile.status.map(|a| a.slug()) == Some(v)
    }
}

fn choices<V: maillage_domain::Vocabulary>() -> Vec<(String, String)> {
    V::ALL
        .iter()
        .map(|v| (v.slug().to_string(), v.label().to_string()))
        .collect()
}

async fn person_page(
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

async fn person_export(
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

async fn person_erase(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Redirect, PageError> {
    state.app.erase_person(viewer.actor(), &id).await?;
    Ok(Redirect::to("/diagnostics?efface=1"))
}

// ----- questionnaires (coordinators) -----

struct EditQuestion {
    id: String,
    section: String,
    text: String,
    choices: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "questionnaires.html")]
struct QuestionnairesPage {
    chrome: Chrome,
    versions: Vec<(String, u32, String)>,
    id: String,
    version: u32,
    questions: Vec<EditQuestion>,
    new_questions: String,
    error: Option<String>,
    saved: Option<String>,
}

/// A form's texts by field name (the questionnaire editor's fields are named after the
/// questions).
type Texts = std::collections::BTreeMap<String, String>;

async fn questionnaires_response(
    state: &State,
    viewer: &Viewer,
    id: &str,
    posted: &Texts,
    error: Option<String>,
    saved: Option<String>,
) -> Result<Response, PageError> {
    maillage_app::allow(maillage_domain::policy::authorize(
        viewer.actor(),
        &maillage_domain::policy::Action::EditQuestionnaires,
        maillage_app::today(),
    ))?;
    let all = state.app.questionnaires().await?;
    let q = state.app.questionnaire(id, None).await?;
    let value = |name: String, current: &str| {
        posted
            .get(&name)
            .cloned()
            .unwrap_or_else(|| current.to_string())
    };
    let failed = error.is_some();
    let mut r = render(&QuestionnairesPage {
        chrome: Chrome::new("diagnostic", viewer),
        versions: all
            .iter()
            .map(|q| (q.id.clone(), q.version, q.title.clone()))
            .collect(),
        id: q.id.clone(),
        version: q.version,
        questions: q
            .questions
            .iter()
            .map(|question| EditQuestion {
                id: question.id.clone(),
                section: question.section.clone(),
                text: value(format!("texte_{}", question.id), &question.text),
                choices: question
                    .choices
                    .iter()
                    .map(|c| {
                        (
                            c.id.clone(),
                            value(format!("choix_{}__{}", question.id, c.id), &c.label),
                        )
                    })
                    .collect(),
            })
            .collect(),
        new_questions: posted.get("nouvelles").cloned().unwrap_or_default(),
        error,
        saved,
    });
    if failed {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

async fn questionnaires_page(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Query(asked): Query<Asked>,
) -> Result<Response, PageError> {
    let id = match asked.id.as_str() {
        "complet" => "complet",
        _ => "court",
    };
    let saved = Some(asked.version).filter(|v| !v.is_empty());
    questionnaires_response(&state, &viewer, id, &Default::default(), None, saved).await
}

async fn adapt_questionnaire(
    AxState(state): AxState<State>,
    viewer: Viewer,
    body: Bytes,
) -> Result<Response, PageError> {
    // Texts keyed by field: `texte_<question>`, `choix_<question>__<choice>`, `nouvelles`.
    let posted: Texts = input::form(&body)?;
    let text = |key: &str| posted.get(key).cloned().unwrap_or_default();
    let id = match text("id").as_str() {
        "complet" => "complet",
        _ => "court",
    };
    let current = state.app.questionnaire(id, None).await?;
    let mut edit = maillage_app::diagnostic::QuestionnaireEdit::default();
    for question in &current.questions {
        let t = text(&format!("texte_{}", question.id));
        if !t.is_empty() && t != question.text {
            edit.texts.insert(question.id.clone(), t);
        }
        for c in &question.choices {
            if let Some(l) = posted.get(&format!("choix_{}__{}", question.id, c.id))
                && l != &c.label
            {
                edit.labels
                    .insert((question.id.clone(), c.id.clone()), l.clone());
            }
        }
    }
    edit.new_questions = Some(text("nouvelles")).filter(|t| !t.is_empty());
    match state
        .app
        .adapt_questionnaire(viewer.actor(), id, &edit)
        .await
    {
        Ok(v) => Ok(
            Redirect::to(&format!("/diagnostic/questionnaires?id={id}&version={v}"))
                .into_response(),
        ),
        Err(AppError::Invalid(m)) => {
            questionnaires_response(&state, &viewer, id, &posted, Some(m), None).await
        }
        Err(e) => Err(e.into()),
    }
}
