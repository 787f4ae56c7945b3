//! A test taken alone: start, resume with a code, one question a page.

use super::*;

#[derive(Template)]
#[template(path = "diagnostic/diagnostic_home.html")]
pub(super) struct HomePage {
    pub(super) chrome: Chrome,
    pub(super) error: Option<String>,
    pub(super) helper: bool,
    pub(super) levels: Vec<(u8, &'static str, &'static str)>,
}

pub(super) fn levels() -> Vec<(u8, &'static str, &'static str)> {
    Level::ALL
        .iter()
        .map(|l| (l.number(), l.label(), l.definition()))
        .collect()
}

pub(super) async fn home(viewer: Viewer) -> Response {
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
pub(super) struct Asked {
    pub(super) questionnaire: String,
    pub(super) code: String,
    /// The questionnaires page: the one shown, and the version just saved.
    pub(super) id: String,
    pub(super) version: String,
}

pub(super) async fn start(
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

pub(super) async fn resume(
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

pub(super) struct ChoiceView {
    pub(super) id: String,
    pub(super) label: String,
    pub(super) checked: bool,
}

#[derive(Template)]
#[template(path = "diagnostic/diagnostic_question.html")]
pub(super) struct QuestionPage {
    pub(super) chrome: Chrome,
    pub(super) code: String,
    pub(super) n: usize,
    pub(super) total: usize,
    pub(super) text: String,
    pub(super) help: Option<String>,
    pub(super) pictogram: &'static str,
    pub(super) multiple: bool,
    pub(super) choices: Vec<ChoiceView>,
    pub(super) error: Option<String>,
}

pub(super) async fn question_page(
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
pub(super) fn question_number(n: &str) -> Result<usize, AppError> {
    n.parse::<usize>()
        .ok()
        .filter(|n| *n >= 1)
        .ok_or(AppError::NotFound)
}

pub(super) fn question_response(
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
pub(super) struct Step {
    pub(super) action: String,
    #[serde(rename = "choix")]
    pub(super) choices: Vec<String>,
}

pub(super) async fn answer(
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
