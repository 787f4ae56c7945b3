//! The guided diagnostic a helper fills with the person.

use super::*;

pub(super) struct QuestionView {
    pub(super) id: String,
    pub(super) text: String,
    pub(super) help: Option<String>,
    pub(super) multiple: bool,
    pub(super) choices: Vec<ChoiceView>,
}

pub(super) struct Section {
    pub(super) title: String,
    pub(super) questions: Vec<QuestionView>,
}

#[derive(Template)]
#[template(path = "diagnostic/diagnostic_form.html")]
pub(super) struct GuidedForm {
    pub(super) chrome: Chrome,
    pub(super) questionnaire: String,
    pub(super) sections: Vec<Section>,
    pub(super) organisations: Vec<(String, String, bool)>,
    pub(super) persons: Vec<(String, String, bool)>,
    pub(super) previous: String,
    pub(super) observations: Vec<(&'static str, bool)>,
    pub(super) notes: String,
    pub(super) learning: Vec<(&'static str, &'static str, bool)>,
    pub(super) levels: Vec<(&'static str, String, bool)>,
    pub(super) override_reason: String,
    /// No level chosen by the helper: keep the computed one.
    pub(super) keep_computed: bool,
    pub(super) pseudonym: String,
    pub(super) contact: String,
    pub(super) consent: bool,
    pub(super) commune: String,
    pub(super) ages: Vec<(&'static str, &'static str, bool)>,
    pub(super) error: Option<String>,
}

/// Age brackets of the national activity reporting (anonymous demographics).
pub(super) const AGE_BRACKETS: [(&str, &str); 5] = [
    ("moins_25", "Moins de 25 ans"),
    ("25_34", "De 25 à 34 ans"),
    ("35_54", "De 35 à 54 ans"),
    ("55_64", "De 55 à 64 ans"),
    ("65_plus", "65 ans et plus"),
];

/// Common observations of the seed (`000_…`): how the person approaches the questions.
pub(super) const OBSERVATIONS: [&str; 8] = [
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
pub(super) async fn guided_form_page(
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

pub(super) async fn guided_form(
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
pub(super) struct Guided {
    pub(super) fields: GuidedFields,
    pub(super) answers: maillage_domain::diagnostic::Answers,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct GuidedFields {
    pub(super) questionnaire: String,
    #[serde(rename = "observation")]
    pub(super) observations: Vec<String>,
    pub(super) notes: String,
    #[serde(rename = "apprentissage")]
    pub(super) learning: String,
    /// A level chosen over the computed one, and why.
    #[serde(rename = "niveau")]
    pub(super) level: String,
    #[serde(rename = "raison")]
    pub(super) reason: String,
    #[serde(rename = "structure")]
    pub(super) organisation: String,
    #[serde(rename = "personne")]
    pub(super) person: String,
    #[serde(rename = "pseudonyme")]
    pub(super) pseudonym: String,
    pub(super) contact: String,
    #[serde(rename = "accord")]
    pub(super) consent: bool,
    #[serde(rename = "precedent")]
    pub(super) previous: String,
    #[serde(rename = "tranche_age")]
    pub(super) age_bracket: String,
    pub(super) commune: String,
}

impl Guided {
    /// From a form body or a query string (a link that starts a re-test says the person and
    /// the previous diagnostic).
    pub(super) fn read(raw: &[u8]) -> Result<Self, AppError> {
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

pub(super) async fn guided_submit(
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
