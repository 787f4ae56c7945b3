//! Questionnaires adapted by coordinators (a new version, the old ones kept).

use super::*;

pub(super) struct EditQuestion {
    pub(super) id: String,
    pub(super) section: String,
    pub(super) text: String,
    pub(super) choices: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "diagnostic/questionnaires.html")]
pub(super) struct QuestionnairesPage {
    pub(super) chrome: Chrome,
    pub(super) versions: Vec<(String, u32, String)>,
    pub(super) id: String,
    pub(super) version: u32,
    pub(super) questions: Vec<EditQuestion>,
    pub(super) new_questions: String,
    pub(super) error: Option<String>,
    pub(super) saved: Option<String>,
}

/// A form's texts by field name (the questionnaire editor's fields are named after the
/// questions).
pub(super) type Texts = std::collections::BTreeMap<String, String>;

pub(super) async fn questionnaires_response(
    state: &State,
    viewer: &Viewer,
    id: &str,
    posted: &Texts,
    error: Option<String>,
    saved: Option<String>,
) -> Result<Response, PageError> {
    state.app.check(
        viewer.actor(),
        &maillage_domain::policy::Action::EditQuestionnaires,
    )?;
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

pub(super) async fn questionnaires_page(
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

pub(super) async fn adapt_questionnaire(
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
