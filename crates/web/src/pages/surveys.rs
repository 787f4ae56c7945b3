//! Pages of the network's surveys (issue #20, seed 002): the list and the form that starts one
//! (coordinators), with the changes waiting for the caller's structure; a survey's dashboard
//! (places asked, results with their charts and tables); the paper answers typed in; the
//! exchanges of equipment; and the questionnaire opened by a personal link (no account), phone
//! first, without JavaScript.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State as AxState};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::Utc;
use maillage_app::AppError;
use maillage_app::surveys::{EquipmentCount, SurveyForm};
use maillage_domain::french;
use maillage_domain::surveys::{
    FieldProblem, PlaceChange, QuestionKind, Questionnaire, SectionResult, SurveyKind, Tally,
    answer_fields,
};

use super::{Chrome, date_of, private, render};
use crate::PageError;
use crate::State;
use crate::auth::Viewer;
use crate::kit::charts::{bars_svg, paired_bars_svg};
use crate::kit::input::{Form, Query};

pub fn routes() -> Router<State> {
    Router::new()
        .route("/territoire/enquetes", get(list).post(start))
        .route("/territoire/enquetes/{id}", get(dashboard))
        .route("/territoire/enquetes/{id}/clore", post(close))
        .route("/territoire/enquetes/{id}/lien", post(renew_link))
        .route(
            "/territoire/enquetes/{id}/saisie",
            get(entry_form).post(entry_save),
        )
        .route(
            "/territoire/enquetes/{id}/echanges",
            get(exchanges).post(propose),
        )
        .route(
            "/territoire/enquetes/{id}/echanges/{exchange}",
            post(exchange_status),
        )
        .route(
            "/territoire/enquetes/reponses/{id}/fiche",
            post(decide_changes),
        )
        .route("/questionnaire/{token}", get(link_form).post(link_answer))
        .route("/questionnaire/{token}/fiche", post(link_decide))
}

fn day_of(iso: &str) -> String {
    chrono::NaiveDate::parse_from_str(iso, "%Y-%m-%d")
        .map(french::date)
        .unwrap_or_else(|_| iso.to_string())
}

fn unprocessable(mut r: Response) -> Response {
    *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    r
}

// ----- the questionnaire as a form -----

/// One choice of a question, as the form shows it.
pub(crate) struct ChoiceView {
    slug: &'static str,
    label: &'static str,
    checked: bool,
}

/// A grid's line, or a ranking's item: its choices (grid) or its rank (ranking).
pub(crate) struct LineView {
    slug: &'static str,
    label: &'static str,
    choices: Vec<ChoiceView>,
    rank: String,
    /// « Sans réponse » checked (grid).
    blank: bool,
}

/// A question, as the form shows it.
pub(crate) struct QuestionView {
    id: &'static str,
    label: &'static str,
    help: Option<&'static str>,
    /// `oui_non`, `choix`, `multiple`, `grille`, `classement`, `texte`, `contact`.
    kind: &'static str,
    choices: Vec<ChoiceView>,
    /// « Sans réponse » checked (one choice, yes/no).
    blank: bool,
    lines: Vec<LineView>,
    /// Ranks offered: 1 to the number of items.
    ranks: Vec<usize>,
    text: String,
    max: usize,
    contact: [String; 4],
    error: Option<String>,
}

pub(crate) struct SectionView {
    title: &'static str,
    questions: Vec<QuestionView>,
}

fn value_of<'a>(fields: &'a [(String, String)], key: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, v)| k == key && !v.trim().is_empty())
        .map(|(_, v)| v.trim())
}

/// The questionnaire filled with `fields` (an answer given back, or what was just sent), each
/// question with its problem if any.
pub(crate) fn questionnaire_view(
    q: &Questionnaire,
    fields: &[(String, String)],
    problems: &[FieldProblem],
) -> Vec<SectionView> {
    q.sections
        .iter()
        .map(|s| SectionView {
            title: s.title,
            questions: s
                .questions
                .iter()
                .map(|question| {
                    let id = question.id;
                    let key = format!("q.{id}");
                    let prefix = format!("q.{id}.");
                    let error = {
                        let own: Vec<String> = problems
                            .iter()
                            .filter(|p| p.field == key || p.field.starts_with(&prefix))
                            .map(|p| p.to_string())
                            .collect();
                        (!own.is_empty()).then(|| own.join(" ; "))
                    };
                    let single = value_of(fields, &key);
                    let many: Vec<&str> = fields
                        .iter()
                        .filter(|(k, _)| *k == key)
                        .map(|(_, v)| v.trim())
                        .collect();
                    let choices_of = |list: &'static [maillage_domain::surveys::Choice],
                                      multiple: bool| {
                        list.iter()
                            .map(|c| ChoiceView {
                                slug: c.slug,
                                label: c.label,
                                checked: if multiple {
                                    many.contains(&c.slug)
                                } else {
                                    single == Some(c.slug)
                                },
                            })
                            .collect::<Vec<_>>()
                    };
                    let mut view = QuestionView {
                        id,
                        label: question.label,
                        help: question.help,
                        kind: "",
                        choices: Vec::new(),
                        blank: single.is_none(),
                        lines: Vec::new(),
                        ranks: Vec::new(),
                        text: String::new(),
                        max: 0,
                        contact: Default::default(),
                        error,
                    };
                    match question.kind {
                        QuestionKind::YesNo => {
                            view.kind = "oui_non";
                            view.choices = vec![
                                ChoiceView {
                                    slug: "oui",
                                    label: "Oui",
                                    checked: single == Some("oui"),
                                },
                                ChoiceView {
                                    slug: "non",
                                    label: "Non",
                                    checked: single == Some("non"),
                                },
                            ];
                        }
                        QuestionKind::Single(list) => {
                            view.kind = "choix";
                            view.choices = choices_of(list, false);
                        }
                        QuestionKind::Multiple(list) => {
                            view.kind = "multiple";
                            view.choices = choices_of(list, true);
                        }
                        QuestionKind::Grid { rows, columns } => {
                            view.kind = "grille";
                            view.lines = rows
                                .iter()
                                .map(|r| {
                                    let chosen = value_of(fields, &format!("q.{id}.{}", r.slug));
                                    LineView {
                                        slug: r.slug,
                                        label: r.label,
                                        choices: columns
                                            .iter()
                                            .map(|c| ChoiceView {
                                                slug: c.slug,
                                                label: c.label,
                                                checked: chosen == Some(c.slug),
                                            })
                                            .collect(),
                                        rank: String::new(),
                                        blank: chosen.is_none(),
                                    }
                                })
                                .collect();
                        }
                        QuestionKind::Ranking(items) => {
                            view.kind = "classement";
                            view.ranks = (1..=items.len()).collect();
                            view.lines = items
                                .iter()
                                .map(|r| LineView {
                                    slug: r.slug,
                                    label: r.label,
                                    choices: Vec::new(),
                                    rank: value_of(fields, &format!("q.{id}.{}", r.slug))
                                        .unwrap_or("")
                                        .to_string(),
                                    blank: false,
                                })
                                .collect();
                        }
                        QuestionKind::Text(max) => {
                            view.kind = "texte";
                            view.max = max;
                            view.text = single.unwrap_or("").to_string();
                        }
                        QuestionKind::Contact => {
                            view.kind = "contact";
                            view.contact =
                                ["nom", "fonction", "courriel", "telephone"].map(|part| {
                                    value_of(fields, &format!("q.{id}.{part}"))
                                        .unwrap_or("")
                                        .to_string()
                                });
                        }
                    }
                    view
                })
                .collect(),
        })
        .collect()
}

/// The error summary's lines: (anchor of the question, problem).
fn problem_links(problems: &[FieldProblem]) -> Vec<(String, String)> {
    problems
        .iter()
        .map(|p| {
            let id = p
                .field
                .strip_prefix("q.")
                .and_then(|rest| rest.split('.').next())
                .unwrap_or("");
            (format!("question-{id}"), p.to_string())
        })
        .collect()
}

/// Every field of a form body, in order (questionnaires repeat keys).
fn pairs(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.replace("\r\n", "\n")))
        .collect()
}

// ----- results -----

/// A question's results, ready to show: its chart (SVG), its table.
pub(crate) struct ResultView {
    pub(crate) id: String,
    pub(crate) label: String,
    pub(crate) answered: usize,
    /// `choix`, `grille`, `classement`, `donne`.
    pub(crate) kind: &'static str,
    pub(crate) chart: String,
    /// (label, count, share) of choices; (label, cited, firsts, mean rank, points) of
    /// rankings are in `ranked`.
    pub(crate) rows: Vec<(String, usize, String)>,
    pub(crate) columns: Vec<String>,
    pub(crate) lines: Vec<(String, usize, Vec<String>)>,
    pub(crate) ranked: Vec<(String, usize, usize, String, usize)>,
}

pub(crate) struct ResultSection {
    pub(crate) title: String,
    pub(crate) questions: Vec<ResultView>,
}

fn percent(v: f64) -> String {
    format!("{} %", french::number(v))
}

pub(crate) fn results_view(survey_id: &str, sections: &[SectionResult]) -> Vec<ResultSection> {
    sections
        .iter()
        .map(|s| ResultSection {
            title: s.title.clone(),
            questions: s
                .questions
                .iter()
                .map(|q| {
                    let chart_id = format!("{}-{}", &survey_id[..survey_id.len().min(8)], q.id);
                    let mut v = ResultView {
                        id: q.id.clone(),
                        label: q.label.clone(),
                        answered: q.answered,
                        kind: "donne",
                        chart: String::new(),
                        rows: Vec::new(),
                        columns: Vec::new(),
                        lines: Vec::new(),
                        ranked: Vec::new(),
                    };
                    match &q.tally {
                        Tally::Choices { counts } => {
                            v.kind = "choix";
                            let bars: Vec<(String, u64)> = counts
                                .iter()
                                .map(|c| (c.label.clone(), c.count as u64))
                                .collect();
                            if q.answered > 0 {
                                v.chart = bars_svg(&chart_id, &q.label, &bars);
                            }
                            v.rows = counts
                                .iter()
                                .map(|c| (c.label.clone(), c.count, percent(c.share)))
                                .collect();
                        }
                        Tally::Grid { columns, lines } => {
                            v.kind = "grille";
                            v.columns = columns.clone();
                            v.lines = lines
                                .iter()
                                .map(|l| {
                                    (
                                        l.label.clone(),
                                        l.answered,
                                        l.cells
                                            .iter()
                                            .map(|c| format!("{} ({})", c.count, percent(c.share)))
                                            .collect(),
                                    )
                                })
                                .collect();
                        }
                        Tally::Ranking { items } => {
                            v.kind = "classement";
                            let bars: Vec<(String, u64)> = items
                                .iter()
                                .map(|i| (i.label.clone(), i.points as u64))
                                .collect();
                            if q.answered > 0 {
                                v.chart =
                                    bars_svg(&chart_id, &format!("{} (points)", q.label), &bars);
                            }
                            v.ranked = items
                                .iter()
                                .map(|i| {
                                    (
                                        i.label.clone(),
                                        i.cited,
                                        i.first,
                                        i.mean_rank.map(french::number).unwrap_or_default(),
                                        i.points,
                                    )
                                })
                                .collect();
                        }
                        Tally::Given => {}
                    }
                    v
                })
                .collect(),
        })
        .collect()
}

pub(crate) fn equipment_chart(survey_id: &str, counts: &[EquipmentCount]) -> String {
    let rows: Vec<(String, u64, u64)> = counts
        .iter()
        .map(|c| (c.label.clone(), c.needed_by as u64, c.given_by as u64))
        .collect();
    paired_bars_svg(
        &format!("materiel-{}", &survey_id[..survey_id.len().min(8)]),
        "Matériel demandé et donné par les partenaires",
        ("demandé", "donné"),
        &rows,
    )
}

// ----- the list -----

struct SurveyRow {
    id: String,
    title: String,
    kind: &'static str,
    scope: String,
    closes: String,
    open: bool,
    places: usize,
    answers: usize,
}

struct PendingView {
    answer_id: String,
    survey: String,
    place_id: String,
    place: String,
    commune: String,
    received: String,
    changes: Vec<PlaceChange>,
}

#[derive(Template)]
#[template(path = "territory/surveys.html")]
struct ListPage {
    chrome: Chrome,
    coordinator: bool,
    rows: Vec<SurveyRow>,
    pending: Vec<PendingView>,
    mail_enabled: bool,
    error: Option<String>,
    notice: Option<String>,
    form: SurveyForm,
    kinds: Vec<(&'static str, &'static str)>,
    default_close: String,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Done {
    fait: String,
}

async fn list_page(
    state: &State,
    viewer: &Viewer,
    error: Option<String>,
    notice: Option<String>,
    form: SurveyForm,
) -> Result<Response, PageError> {
    let coordinator = state
        .app
        .check(viewer.actor(), &maillage_domain::policy::Action::RunSurvey)
        .is_ok();
    let rows = state
        .app
        .surveys_for(viewer.actor())
        .await?
        .into_iter()
        .map(|s| SurveyRow {
            id: s.survey.id,
            title: s.survey.title,
            kind: s.survey.kind.label(),
            scope: s.survey.scope,
            closes: day_of(&s.survey.closes_on),
            open: s.open,
            places: s.places,
            answers: s.answers,
        })
        .collect();
    let pending = state
        .app
        .pending_survey_changes(viewer.actor())
        .await?
        .into_iter()
        .map(|p| PendingView {
            answer_id: p.answer.id,
            survey: p.survey.title,
            place_id: p.place.place.id.clone(),
            place: p.place.place.name.clone(),
            commune: p.place.place.commune.clone(),
            received: date_of(&p.answer.updated_at),
            changes: p.changes,
        })
        .collect();
    let failed = error.is_some();
    let r = render(&ListPage {
        chrome: Chrome::new("territoire", viewer),
        coordinator,
        rows,
        pending,
        mail_enabled: state.app.mailer.is_enabled(),
        error,
        notice,
        form,
        kinds: SurveyKind::ALL
            .iter()
            .map(|k| (k.slug(), k.label()))
            .collect(),
        default_close: (maillage_app::today() + chrono::Days::new(30))
            .format("%Y-%m-%d")
            .to_string(),
    });
    Ok(if failed { unprocessable(r) } else { r })
}

async fn list(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Query(done): Query<Done>,
) -> Result<Response, PageError> {
    let notice = match done.fait.as_str() {
        "confirme" => Some("La fiche du lieu est mise à jour.".to_string()),
        "ecarte" => Some("Les changements sont écartés ; la fiche reste telle quelle.".to_string()),
        _ => None,
    };
    list_page(&state, &viewer, None, notice, SurveyForm::default()).await
}

async fn start(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Form(form): Form<SurveyForm>,
) -> Result<Response, PageError> {
    match state
        .app
        .start_survey(viewer.actor(), &form, Utc::now())
        .await
    {
        Ok(id) => Ok(Redirect::to(&format!("/territoire/enquetes/{id}")).into_response()),
        Err(AppError::Invalid(reason)) => {
            list_page(&state, &viewer, Some(reason), None, form).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The structure's decision on what an answer changes: `decision=confirmer|ecarter`.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Decision {
    decision: String,
}

impl Decision {
    fn accept(&self) -> Result<bool, AppError> {
        match self.decision.as_str() {
            "confirmer" => Ok(true),
            "ecarter" => Ok(false),
            _ => Err(AppError::Invalid(
                "décision : « confirmer » ou « ecarter »".into(),
            )),
        }
    }
}

async fn decide_changes(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(d): Form<Decision>,
) -> Result<Redirect, PageError> {
    let accept = d.accept()?;
    state
        .app
        .decide_survey_changes(viewer.actor(), &id, accept, Utc::now())
        .await?;
    Ok(Redirect::to(if accept {
        "/territoire/enquetes?fait=confirme"
    } else {
        "/territoire/enquetes?fait=ecarte"
    }))
}

// ----- a survey's dashboard -----

struct PlaceRow {
    invitation: String,
    place_id: String,
    name: String,
    commune: String,
    answers: usize,
    answered: String,
    sent: String,
    problem: String,
    has_link: bool,
}

#[derive(Template)]
#[template(path = "territory/survey.html")]
struct DashboardPage {
    chrome: Chrome,
    id: String,
    title: String,
    kind: &'static str,
    partners: bool,
    scope: String,
    created: String,
    closes: String,
    open: bool,
    places: usize,
    answers: usize,
    answered_places: usize,
    pending_changes: usize,
    rows: Vec<PlaceRow>,
    results: Vec<ResultSection>,
    equipment: Vec<EquipmentCount>,
    equipment_chart: String,
    notice: Option<String>,
    /// A link just made: (place, address), shown once.
    new_link: Option<(String, String)>,
}

async fn dashboard_page(
    state: &State,
    viewer: &Viewer,
    id: &str,
    notice: Option<String>,
    // A link just made: (its invitation, its address).
    made: Option<(&str, String)>,
) -> Result<Response, PageError> {
    let d = state.app.survey_dashboard(viewer.actor(), id).await?;
    let new_link = made.map(|(invitation, url)| {
        let place = d
            .rows
            .iter()
            .find(|r| r.invitation.id == invitation)
            .map(|r| r.place.place.name.clone())
            .unwrap_or_default();
        (place, url)
    });
    let s = &d.summary.survey;
    let answered_places = d.rows.iter().filter(|r| r.answers > 0).count();
    Ok(render(&DashboardPage {
        chrome: Chrome::new("territoire", viewer),
        id: s.id.clone(),
        title: s.title.clone(),
        kind: s.kind.label(),
        partners: s.kind == SurveyKind::Partners,
        scope: s.scope.clone(),
        created: date_of(&s.created_at),
        closes: day_of(&s.closes_on),
        open: d.summary.open,
        places: d.summary.places,
        answers: d.summary.answers,
        answered_places,
        pending_changes: d.pending_changes,
        rows: d
            .rows
            .iter()
            .map(|r| PlaceRow {
                invitation: r.invitation.id.clone(),
                place_id: r.place.place.id.clone(),
                name: r.place.place.name.clone(),
                commune: r.place.place.commune.clone(),
                answers: r.answers,
                answered: r.answered_at.as_deref().map(date_of).unwrap_or_default(),
                sent: r
                    .invitation
                    .sent_at
                    .as_deref()
                    .map(date_of)
                    .unwrap_or_default(),
                problem: match (&r.invitation.detail, &r.invitation.email) {
                    (Some(d), _) => d.clone(),
                    (None, None) if !r.invitation.has_link => "sans adresse".into(),
                    _ => String::new(),
                },
                has_link: r.invitation.has_link,
            })
            .collect(),
        results: results_view(&s.id, &d.results),
        equipment_chart: if d.equipment.iter().any(|e| e.needed_by + e.given_by > 0) {
            equipment_chart(&s.id, &d.equipment)
        } else {
            String::new()
        },
        equipment: d.equipment,
        notice,
        new_link,
    }))
}

async fn dashboard(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> Result<Response, PageError> {
    let notice = match done.fait.as_str() {
        "close" => Some("Enquête close : ses liens ne reçoivent plus de réponse.".to_string()),
        "saisie" => Some("Réponse enregistrée.".to_string()),
        _ => None,
    };
    dashboard_page(&state, &viewer, &id, notice, None).await
}

async fn close(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Redirect, PageError> {
    state.app.close_survey(viewer.actor(), &id).await?;
    Ok(Redirect::to(&format!(
        "/territoire/enquetes/{id}?fait=close"
    )))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct LinkAsked {
    invitation: String,
}

/// A new personal link for a place, shown once on the dashboard (to print or hand over).
async fn renew_link(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(asked): Form<LinkAsked>,
) -> Result<Response, PageError> {
    let token = state
        .app
        .renew_survey_link(viewer.actor(), &id, &asked.invitation)
        .await?;
    let url = format!("{}/questionnaire/{token}", state.app.public_url);
    let r = dashboard_page(&state, &viewer, &id, None, Some((&asked.invitation, url))).await?;
    Ok(private(r))
}

// ----- paper answers -----

#[derive(Template)]
#[template(path = "territory/survey_entry.html")]
struct EntryPage {
    chrome: Chrome,
    id: String,
    title: String,
    kind: &'static str,
    intro: &'static str,
    places: Vec<(String, String, bool)>,
    sections: Vec<SectionView>,
    problems: Vec<(String, String)>,
    saved: Option<(String, Vec<PlaceChange>)>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct EntryAsked {
    lieu: String,
    fait: String,
}

async fn entry_page(
    state: &State,
    viewer: &Viewer,
    id: &str,
    place: &str,
    fields: &[(String, String)],
    problems: &[FieldProblem],
    saved: Option<(String, Vec<PlaceChange>)>,
) -> Result<Response, PageError> {
    let (survey, places) = state.app.survey_entry_places(viewer.actor(), id).await?;
    let q = survey.kind.questionnaire();
    let r = render(&EntryPage {
        chrome: Chrome::new("territoire", viewer),
        id: survey.id.clone(),
        title: survey.title.clone(),
        kind: survey.kind.label(),
        intro: q.intro,
        places: places
            .iter()
            .map(|p| {
                (
                    p.place.id.clone(),
                    format!("{} ({})", p.place.name, p.place.commune),
                    p.place.id == place,
                )
            })
            .collect(),
        sections: questionnaire_view(q, fields, problems),
        problems: problem_links(problems),
        saved,
    });
    Ok(if problems.is_empty() {
        r
    } else {
        unprocessable(r)
    })
}

async fn entry_form(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(asked): Query<EntryAsked>,
) -> Result<Response, PageError> {
    entry_page(&state, &viewer, &id, &asked.lieu, &[], &[], None).await
}

async fn entry_save(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    let fields = pairs(&body);
    let place = value_of(&fields, "lieu").unwrap_or("").to_string();
    match state
        .app
        .enter_survey_answer(viewer.actor(), &id, &place, &fields, Utc::now())
        .await?
    {
        Ok(receipt) => {
            let name = state
                .app
                .place(&place)
                .await
                .map(|p| p.place.name)
                .unwrap_or_default();
            // A fresh form for the next paper answer, the receipt above it.
            entry_page(
                &state,
                &viewer,
                &id,
                &place,
                &[],
                &[],
                Some((name, receipt.changes)),
            )
            .await
        }
        Err(problems) => entry_page(&state, &viewer, &id, &place, &fields, &problems, None).await,
    }
}

// ----- exchanges of equipment -----

struct ProposalView {
    equipment: String,
    equipment_label: String,
    need_answer: String,
    need_place: String,
    offer_answer: String,
    offer_place: String,
    km: String,
}

struct FollowedView {
    id: String,
    equipment: String,
    need_place: String,
    offer_place: String,
    km: String,
    status_slug: &'static str,
    since: String,
}

#[derive(Template)]
#[template(path = "territory/survey_exchanges.html")]
struct ExchangesPage {
    chrome: Chrome,
    id: String,
    title: String,
    proposals: Vec<ProposalView>,
    followed: Vec<FollowedView>,
    statuses: Vec<(&'static str, &'static str)>,
}

fn km(v: Option<f64>) -> String {
    v.map(|k| format!("{} km", french::number(k)))
        .unwrap_or_else(|| "distance inconnue".into())
}

async fn exchanges(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let board = state.app.survey_exchanges(viewer.actor(), &id).await?;
    Ok(render(&ExchangesPage {
        chrome: Chrome::new("territoire", &viewer),
        id: board.survey.id.clone(),
        title: board.survey.title.clone(),
        proposals: board
            .proposals
            .iter()
            .map(|m| ProposalView {
                equipment: m.equipment.clone(),
                equipment_label: m.equipment_label.clone(),
                need_answer: m.need_answer.clone(),
                need_place: m.need_place_name.clone(),
                offer_answer: m.offer_answer.clone(),
                offer_place: m.offer_place_name.clone(),
                km: km(m.km),
            })
            .collect(),
        followed: board
            .followed
            .iter()
            .map(|f| FollowedView {
                id: f.exchange.id.clone(),
                equipment: f.equipment_label.clone(),
                need_place: f.need_place.clone(),
                offer_place: f.offer_place.clone(),
                km: km(f.km),
                status_slug: f.exchange.status.slug(),
                since: date_of(&f.exchange.updated_at),
            })
            .collect(),
        statuses: maillage_domain::surveys::ExchangeStatus::ALL
            .iter()
            .map(|s| (s.slug(), s.label()))
            .collect(),
    }))
}

/// An exchange proposed by the answers, to follow: the need's answer, the giver's, the
/// equipment (all checked against the survey's proposals).
#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Proposal {
    besoin: String,
    don: String,
    materiel: String,
}

async fn propose(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(p): Form<Proposal>,
) -> Result<Redirect, PageError> {
    state
        .app
        .propose_exchange(viewer.actor(), &id, &p.besoin, &p.don, &p.materiel)
        .await?;
    Ok(Redirect::to(&format!(
        "/territoire/enquetes/{id}/echanges#suivis"
    )))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct StatusAsked {
    etat: String,
}

async fn exchange_status(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path((id, exchange)): Path<(String, String)>,
    Form(s): Form<StatusAsked>,
) -> Result<Redirect, PageError> {
    state
        .app
        .set_exchange_status(viewer.actor(), &id, &exchange, &s.etat)
        .await?;
    Ok(Redirect::to(&format!(
        "/territoire/enquetes/{id}/echanges#suivis"
    )))
}

// ----- the personal link -----

#[derive(Template)]
#[template(path = "territory/survey_link.html")]
struct LinkPage {
    chrome: Chrome,
    token: String,
    title: String,
    questionnaire: &'static str,
    intro: &'static str,
    partners: bool,
    place: String,
    commune: String,
    closes: String,
    answered_before: Option<String>,
    sections: Vec<SectionView>,
    problems: Vec<(String, String)>,
    /// What the place's answer changes on its entry, waiting for confirmation.
    pending: Vec<PlaceChange>,
    /// Just answered: the thanks (then `pending` to confirm, partners).
    thanks: bool,
}

async fn link_page(
    state: &State,
    viewer: &Viewer,
    token: &str,
    fields: Option<&[(String, String)]>,
    problems: &[FieldProblem],
    thanks: bool,
) -> Result<Response, PageError> {
    let view = state.app.open_survey_link(token).await?;
    let q = view.survey.kind.questionnaire();
    // A partner's previous answer fills the form again, to change it.
    let previous = view
        .previous
        .as_ref()
        .map(|a| answer_fields(q, &a.answers))
        .unwrap_or_default();
    let shown: &[(String, String)] = match fields {
        Some(f) => f,
        None if view.survey.kind == SurveyKind::Partners => &previous,
        None => &[],
    };
    let r = render(&LinkPage {
        chrome: Chrome::new("", viewer),
        token: token.to_string(),
        title: view.survey.title.clone(),
        questionnaire: q.title,
        intro: q.intro,
        partners: view.survey.kind == SurveyKind::Partners,
        place: view.place.place.name.clone(),
        commune: view.place.place.commune.clone(),
        closes: day_of(&view.survey.closes_on),
        answered_before: view.previous.as_ref().map(|a| date_of(&a.updated_at)),
        sections: if thanks && view.survey.kind == SurveyKind::Partners {
            Vec::new()
        } else {
            questionnaire_view(q, if thanks { &[] } else { shown }, problems)
        },
        problems: problem_links(problems),
        pending: view.pending,
        thanks,
    });
    Ok(private(if problems.is_empty() {
        r
    } else {
        unprocessable(r)
    }))
}

async fn link_form(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    link_page(&state, &viewer, &token, None, &[], false).await
}

async fn link_answer(
    AxState(state): AxState<State>,
    viewer: Viewer,
    client: crate::auth::Client,
    Path(token): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    // Anonymous answers are bounded per client and per link: a link handed to the public
    // cannot be used to fill the database.
    let limits = &state.app.limits;
    let link_key: String = token.chars().take(64).collect();
    if !limits.survey_per_client.try_acquire(&[client.key()]).await
        || !limits.survey_per_link.try_acquire(&[&link_key]).await
    {
        return Err(AppError::TooMany(
            "trop de réponses envoyées par ce lien en peu de temps : réessayez dans une heure"
                .into(),
        )
        .into());
    }
    let fields = pairs(&body);
    match state
        .app
        .answer_survey_by_link(&token, &fields, Utc::now())
        .await?
    {
        Ok(_) => link_page(&state, &viewer, &token, None, &[], true).await,
        Err(problems) => link_page(&state, &viewer, &token, Some(&fields), &problems, false).await,
    }
}

async fn link_decide(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(token): Path<String>,
    Form(d): Form<Decision>,
) -> Result<Response, PageError> {
    let accept = d.accept()?;
    let place_id = state
        .app
        .decide_survey_changes_by_link(&token, accept, Utc::now())
        .await?;
    Ok(private(render(&DecidedPage {
        chrome: Chrome::new("", &viewer),
        place_id,
        accepted: accept,
    })))
}

#[derive(Template)]
#[template(path = "territory/survey_decided.html")]
struct DecidedPage {
    chrome: Chrome,
    place_id: String,
    accepted: bool,
}
