//! Diagnostics: the questionnaires in force, scoring of answers (the domain's rules), and the
//! records kept of them. Pages, API and CLI score through here, so they agree.

use chrono::{Duration, SecondsFormat, Utc};
use maillage_domain::diagnostic::{
    AnswerSheet, Answers, Assessment, Change, Level, Questionnaire, assess, builtin, compare,
};
use maillage_domain::policy::{Action, Actor, authorize};
use maillage_domain::retention::Kept;
/// Resume codes as typed (spaces, dashes, lower case) made comparable.
pub use maillage_store::normalise_code;
use maillage_store::{Draft, NewDiagnostic, NewPerson, Person, StoredDiagnostic};

use crate::{App, AppError, allow, today};

/// Followed persons and their diagnostics: the members of the structure that follows them.
fn may_handle_persons(actor: Option<&Actor>, organisation_id: &str) -> Result<(), AppError> {
    allow(authorize(
        actor,
        &Action::HandlePersons {
            organisation_id: organisation_id.to_string(),
        },
        today(),
    ))
}

impl App {
    /// Every questionnaire version: shipped ones and those coordinators adapted.
    pub async fn questionnaires(&self) -> Result<Vec<Questionnaire>, AppError> {
        let mut all = builtin();
        for stored in self.store.stored_questionnaires().await? {
            match Questionnaire::from_json(&stored.content) {
                Ok(q) => all.push(q),
                Err(e) => tracing::error!(
                    "questionnaire enregistré « {} » v{} illisible : {e}",
                    stored.id,
                    stored.version
                ),
            }
        }
        all.sort_by(|a, b| a.id.cmp(&b.id).then(a.version.cmp(&b.version)));
        Ok(all)
    }

    /// A questionnaire by id and version (`None`: the latest).
    pub async fn questionnaire(
        &self,
        id: &str,
        version: Option<u32>,
    ) -> Result<Questionnaire, AppError> {
        self.questionnaires()
            .await?
            .into_iter()
            .filter(|q| q.id == id && version.is_none_or(|v| v == q.version))
            .max_by_key(|q| q.version)
            .ok_or_else(|| {
                AppError::Invalid(format!(
                    "questionnaire « {id} »{} inconnu (court, complet)",
                    version.map(|v| format!(" v{v}")).unwrap_or_default()
                ))
            })
    }

    /// A coordinator adapts a questionnaire: the latest version reworded and, optionally, new
    /// questions (JSON, with existing signals), saved as the next version. Past results keep
    /// theirs.
    pub async fn adapt_questionnaire(
        &self,
        actor: Option<&Actor>,
        id: &str,
        edit: &QuestionnaireEdit,
    ) -> Result<u32, AppError> {
        allow(authorize(actor, &Action::EditQuestionnaires, today()))?;
        let mut q = self.questionnaire(id, None).await?;
        let before = q.clone();
        for question in &mut q.questions {
            if let Some(t) = edit.texts.get(&question.id).map(|t| t.trim()) {
                if t.is_empty() {
                    return Err(AppError::Invalid(format!(
                        "question « {} » : le texte ne peut pas être vide",
                        question.id
                    )));
                }
                question.text = t.to_string();
            }
            for choice in &mut question.choices {
                if let Some(l) = edit
                    .labels
                    .get(&(question.id.clone(), choice.id.clone()))
                    .map(|l| l.trim())
                {
                    if l.is_empty() {
                        return Err(AppError::Invalid(format!(
                            "question « {} », choix « {} » : le libellé ne peut pas être vide",
                            question.id, choice.id
                        )));
                    }
                    choice.label = l.to_string();
                }
            }
        }
        if let Some(text) = edit
            .new_questions
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            let added: Vec<maillage_domain::diagnostic::questionnaire::Question> =
                serde_json::from_str(text)
                    .or_else(|_| serde_json::from_str(text).map(|one| vec![one]))
                    .map_err(|e| {
                        AppError::Invalid(format!(
                            "nouvelles questions : JSON illisible ({e}) ; voir docs/DIAGNOSTIC.md pour la forme d'une question et ses signaux"
                        ))
                    })?;
            q.questions.extend(added);
        }
        if q == before {
            return Err(AppError::Invalid(
                "rien n'a changé : aucune nouvelle version".into(),
            ));
        }
        q.version = before.version + 1;
        let json =
            serde_json::to_string_pretty(&q).map_err(|e| AppError::Invalid(e.to_string()))?;
        // The same checks as shipped questionnaires (unique ids, choices present).
        Questionnaire::from_json(&json).map_err(|e| AppError::Invalid(e.to_string()))?;
        self.store
            .save_questionnaire(&q.id, q.version, &json, actor.map(|a| a.user_id.as_str()))
            .await?;
        Ok(q.version)
    }

    /// Scores answers, after checking them against their questionnaire.
    pub fn score_answers(
        &self,
        questionnaire: &Questionnaire,
        answers: &Answers,
    ) -> Result<Assessment, AppError> {
        questionnaire
            .check_answers(answers)
            .map_err(|e| AppError::Invalid(e.to_string()))?;
        Ok(assess(questionnaire, answers))
    }

    /// Scores an answer sheet (API, CLI).
    pub async fn score_sheet(&self, sheet: &AnswerSheet) -> Result<Assessment, AppError> {
        let q = self
            .questionnaire(&sheet.questionnaire, Some(sheet.version))
            .await?;
        self.score_answers(&q, &sheet.answers())
    }
}

/// When to come back for a re-test.
pub const RETEST_AFTER_DAYS: i64 = 90;

fn stamp(at: chrono::DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A coordinator's changes to a questionnaire.
#[derive(Debug, Clone, Default)]
pub struct QuestionnaireEdit {
    /// Question id → new text.
    pub texts: std::collections::HashMap<String, String>,
    /// (question id, choice id) → new label.
    pub labels: std::collections::HashMap<(String, String), String>,
    /// New questions as JSON (one or a list), with existing signals.
    pub new_questions: Option<String>,
}

/// A guided diagnostic, as the helper fills it.
#[derive(Debug, Clone, Default)]
pub struct GuidedInput {
    pub questionnaire: String,
    pub answers: Answers,
    pub organisation_id: String,
    /// An existing followed person, or a new one (pseudonym, contact) with consent.
    pub person_id: Option<String>,
    pub new_person: Option<(String, Option<String>)>,
    pub consent: bool,
    /// A re-test of this diagnostic.
    pub previous_id: Option<String>,
    pub observations: Vec<String>,
    pub learning: Option<maillage_domain::diagnostic::LearningCapacity>,
    pub level_override: Option<(Level, String)>,
    pub age_bracket: Option<String>,
    pub commune: Option<String>,
}

/// A diagnostic with what is needed to show it.
#[derive(Debug, Clone)]
pub struct DiagnosticView {
    pub diagnostic: StoredDiagnostic,
    pub person: Option<Person>,
    pub previous: Option<StoredDiagnostic>,
    pub changes: Vec<Change>,
    /// Questions left blank whose answer could change the level (their text), for the helper.
    pub blanks_that_matter: Vec<String>,
}

impl App {
    /// Starts a test taken alone: a draft and its resume code.
    pub async fn start_alone(&self, questionnaire: &str) -> Result<(Draft, String), AppError> {
        let q = self.questionnaire(questionnaire, None).await?;
        Ok(self
            .store
            .create_draft(
                &q.id,
                q.version,
                &stamp(Utc::now() + self.retention.duration(Kept::TestDrafts)),
            )
            .await?)
    }

    /// The draft of a resume code.
    ///
    /// Codes are guessed at most a few times: after [`crate::limits::Limits::resume_codes`]
    /// unknown codes from a client, its tries wait (`client`: see `maillage_web::auth::Client`).
    pub async fn draft(
        &self,
        client: &str,
        code: &str,
    ) -> Result<(Draft, Questionnaire), AppError> {
        if self.limits.resume_codes.exhausted(client).await {
            return Err(AppError::TooMany(
                "trop de codes inconnus essayés depuis votre connexion : réessayez dans un quart d'heure".into(),
            ));
        }
        let draft = match self.store.draft_by_code(code, &stamp(Utc::now())).await? {
            Some(d) => d,
            None => {
                self.limits.resume_codes.try_acquire(&[client]).await;
                return Err(AppError::Invalid(
                    "code inconnu ou expiré (un test se reprend pendant 30 jours) : recommencez un test".into(),
                ));
            }
        };
        let q = self
            .questionnaire(&draft.questionnaire, Some(draft.version))
            .await?;
        Ok((draft, q))
    }

    /// Records the answer to question `position` (empty: skipped) and returns the next
    /// position.
    pub async fn answer_alone(
        &self,
        client: &str,
        code: &str,
        position: u32,
        chosen: Vec<String>,
    ) -> Result<u32, AppError> {
        let (mut draft, q) = self.draft(client, code).await?;
        let question = q
            .questions
            .get(position as usize)
            .ok_or(AppError::NotFound)?;
        if chosen.is_empty() {
            draft.answers.remove(&question.id);
        } else {
            draft.answers.insert(question.id.clone(), chosen);
        }
        q.check_answers(&draft.answers)
            .map_err(|e| AppError::Invalid(e.to_string()))?;
        let next = position + 1;
        self.store
            .save_draft(&draft.id, &draft.answers, next.max(draft.position))
            .await?;
        Ok(next)
    }

    /// The result of a test taken alone, recorded once (anonymous).
    pub async fn finish_alone(&self, client: &str, code: &str) -> Result<String, AppError> {
        let (draft, q) = self.draft(client, code).await?;
        if let Some(id) = draft.diagnostic_id {
            return Ok(id);
        }
        let assessment = self.score_answers(&q, &draft.answers)?;
        let retest = (assessment.level != Level::Autonomous)
            .then(|| (today() + Duration::days(RETEST_AFTER_DAYS)).to_string());
        let id = self
            .store
            .create_diagnostic(&NewDiagnostic {
                person_id: None,
                previous_id: None,
                organisation_id: None,
                helper_id: None,
                mode: "seul",
                answers: &draft.answers,
                assessment: &assessment,
                observations: None,
                age_bracket: profile_value(&q, &draft.answers, "age").as_deref(),
                commune: None,
                retest_on: retest.as_deref(),
            })
            .await?;
        self.store.finish_draft(&draft.id, &id).await?;
        Ok(id)
    }

    /// Records a guided diagnostic for one of the helper's organisations.
    pub async fn record_guided(
        &self,
        actor: Option<&Actor>,
        input: GuidedInput,
    ) -> Result<String, AppError> {
        may_handle_persons(actor, &input.organisation_id)?;
        let q = self.questionnaire(&input.questionnaire, None).await?;
        let mut assessment = self.score_answers(&q, &input.answers)?;
        if let Some(l) = input.learning {
            assessment.learning = Some(l);
        }
        if let Some((level, reason)) = &input.level_override {
            assessment
                .override_level(*level, reason)
                .map_err(|e| AppError::Invalid(format!("niveau choisi : {e}")))?;
        }
        let keep_until = stamp(Utc::now() + self.retention.duration(Kept::FollowedPersons));
        let person_id = match (&input.person_id, &input.new_person) {
            (Some(id), _) => {
                let person = self.person_of(actor, id).await?;
                self.store.extend_person(&person.id, &keep_until).await?;
                Some(person.id)
            }
            (None, Some((pseudonym, contact))) => {
                if !input.consent {
                    return Err(AppError::Invalid(
                        "suivi de la personne : son accord est nécessaire (cochez la case après le lui avoir demandé), sinon le diagnostic reste anonyme".into(),
                    ));
                }
                let pseudonym = pseudonym.trim();
                if pseudonym.is_empty() || pseudonym.chars().count() > 60 {
                    return Err(AppError::Invalid(
                        "prénom ou pseudonyme : de 1 à 60 caractères".into(),
                    ));
                }
                let contact = contact.as_deref().map(str::trim).filter(|c| !c.is_empty());
                if contact.is_some_and(|c| c.chars().count() > 120) {
                    return Err(AppError::Invalid("contact : 120 caractères au plus".into()));
                }
                Some(
                    self.store
                        .create_person(&NewPerson {
                            organisation_id: &input.organisation_id,
                            pseudonym,
                            contact,
                            consent_by: actor.map(|a| a.user_id.as_str()),
                            keep_until: &keep_until,
                        })
                        .await?,
                )
            }
            (None, None) => None,
        };
        let previous_id = match &input.previous_id {
            Some(id) => {
                let previous = self.diagnostic_for(actor, id).await?;
                if previous.diagnostic.person_id != person_id {
                    return Err(AppError::Invalid(
                        "un nouveau passage se rattache au diagnostic de la même personne".into(),
                    ));
                }
                Some(previous.diagnostic.id)
            }
            None => None,
        };
        let observations = input
            .observations
            .iter()
            .map(|o| o.trim())
            .filter(|o| !o.is_empty())
            .collect::<Vec<_>>()
            .join("\n");
        // Nothing that looks like a password or a personal number is kept (issue #11).
        let observations = maillage_domain::sensitive::mask(&observations).text;
        if observations.chars().count() > 4_000 {
            return Err(AppError::Invalid(
                "observations : 4 000 caractères au plus".into(),
            ));
        }
        let retest = (assessment.level != Level::Autonomous)
            .then(|| (today() + Duration::days(RETEST_AFTER_DAYS)).to_string());
        let age = input
            .age_bracket
            .clone()
            .or_else(|| profile_value(&q, &input.answers, "age"));
        Ok(self
            .store
            .create_diagnostic(&NewDiagnostic {
                person_id: person_id.as_deref(),
                previous_id: previous_id.as_deref(),
                organisation_id: Some(&input.organisation_id),
                helper_id: actor.map(|a| a.user_id.as_str()),
                mode: "accompagne",
                answers: &input.answers,
                assessment: &assessment,
                observations: Some(observations.as_str()).filter(|o| !o.is_empty()),
                age_bracket: age.as_deref(),
                commune: input.commune.as_deref().filter(|c| !c.is_empty()),
                retest_on: retest.as_deref(),
            })
            .await?)
    }

    async fn person_of(&self, actor: Option<&Actor>, id: &str) -> Result<Person, AppError> {
        let person = self.store.person(id).await?.ok_or(AppError::NotFound)?;
        may_handle_persons(actor, &person.organisation_id)?;
        Ok(person)
    }

    /// A diagnostic with its person and the comparison with the previous one. Anonymous
    /// diagnostics taken alone are read through their resume code instead
    /// ([`App::diagnostic_of_draft`]).
    pub async fn diagnostic_for(
        &self,
        actor: Option<&Actor>,
        id: &str,
    ) -> Result<DiagnosticView, AppError> {
        let diagnostic = self.store.diagnostic(id).await?.ok_or(AppError::NotFound)?;
        let organisation_id = diagnostic
            .organisation_id
            .clone()
            .ok_or(AppError::NotFound)?;
        may_handle_persons(actor, &organisation_id)?;
        self.note_access(actor, &organisation_id, "diagnostic", &diagnostic.id)
            .await?;
        self.view_of(diagnostic).await
    }

    async fn view_of(&self, diagnostic: StoredDiagnostic) -> Result<DiagnosticView, AppError> {
        let person = match &diagnostic.person_id {
            Some(p) => self.store.person(p).await?,
            None => None,
        };
        let previous = match &diagnostic.previous_id {
            Some(p) => self.store.diagnostic(p).await?,
            None => None,
        };
        let changes = previous
            .as_ref()
            .map(|p| compare(&p.assessment, &diagnostic.assessment))
            .unwrap_or_default();
        let a = &diagnostic.assessment;
        let blanks_that_matter = match self.questionnaire(&a.questionnaire, Some(a.version)).await {
            Ok(q) => maillage_domain::diagnostic::blanks_that_matter(&q, &diagnostic.answers)
                .into_iter()
                .map(|question| question.text.clone())
                .collect(),
            // A questionnaire no longer known: nothing to suggest.
            Err(AppError::NotFound) | Err(AppError::Invalid(_)) => Vec::new(),
            Err(e) => return Err(e),
        };
        Ok(DiagnosticView {
            diagnostic,
            person,
            previous,
            changes,
            blanks_that_matter,
        })
    }

    /// The result of a test taken alone, by its resume code.
    pub async fn diagnostic_of_draft(
        &self,
        client: &str,
        code: &str,
    ) -> Result<DiagnosticView, AppError> {
        let id = self.finish_alone(client, code).await?;
        let d = self
            .store
            .diagnostic(&id)
            .await?
            .ok_or(AppError::NotFound)?;
        self.view_of(d).await
    }

    /// Diagnostics and followed persons of the helper's organisations.
    pub async fn diagnostics_of_helper(
        &self,
        actor: Option<&Actor>,
    ) -> Result<Vec<(String, Vec<StoredDiagnostic>, Vec<Person>)>, AppError> {
        let actor = actor.ok_or(AppError::SignInRequired)?;
        let mut out = Vec::new();
        for m in actor.memberships.iter().filter(|m| m.in_force(today())) {
            let org = self
                .store
                .organisation(&m.organisation_id)
                .await?
                .map(|o| o.name)
                .unwrap_or_else(|| m.organisation_id.clone());
            out.push((
                org,
                self.store
                    .diagnostics_of_organisation(&m.organisation_id, 100)
                    .await?,
                self.store.persons_of(&m.organisation_id).await?,
            ));
        }
        Ok(out)
    }

    /// A followed person and their diagnostics, oldest first.
    pub async fn person_timeline(
        &self,
        actor: Option<&Actor>,
        id: &str,
    ) -> Result<(Person, Vec<StoredDiagnostic>), AppError> {
        let person = self.person_of(actor, id).await?;
        self.note_access(actor, &person.organisation_id, "personne", &person.id)
            .await?;
        let diagnostics = self.store.diagnostics_of_person(&person.id).await?;
        Ok((person, diagnostics))
    }

    /// Everything recorded about a person, as JSON (their right of access and portability).
    pub async fn person_export(
        &self,
        actor: Option<&Actor>,
        id: &str,
    ) -> Result<PersonExport, AppError> {
        let (person, diagnostics) = self.person_timeline(actor, id).await?;
        let activities = self.store.activities_of_person(&person.id).await?;
        let profile = self.store.person_profile(&person.id).await?;
        // A record's private notes belong to their author: the export holds the caller's own.
        let day = crate::today();
        let own_notes = |a: &maillage_store::StoredActivity| {
            authorize(
                actor,
                &Action::ReadActivityNotes {
                    author_id: a.helper_id.clone(),
                },
                day,
            )
            .is_allowed()
            .then(|| a.notes.clone())
            .flatten()
        };
        Ok(PersonExport {
            profil: profile,
            activites: activities
                .iter()
                .map(|a| RecordExport {
                    date: a.activity.date,
                    notes: own_notes(a),
                    activite: a.activity.clone(),
                })
                .collect(),
            personne: PersonDetails {
                prenom_ou_pseudonyme: person.pseudonym,
                contact: person.contact,
                accord_donne_le: person.consent_at,
                texte_accepte: AcceptedText::of(
                    maillage_domain::consent::Purpose::FollowedPerson,
                    person.consent_version,
                ),
                conserve_jusqu_au: person.keep_until,
            },
            diagnostics: diagnostics
                .into_iter()
                .map(|d| DiagnosticExport {
                    date: d.created_at,
                    mode: d.mode,
                    reponses: d.answers,
                    resultat: d.assessment,
                    observations: d.observations,
                })
                .collect(),
        })
    }

    /// Erases a person and their diagnostics (their right to erasure).
    pub async fn erase_person(&self, actor: Option<&Actor>, id: &str) -> Result<(), AppError> {
        let person = self.person_of(actor, id).await?;
        self.store.delete_person(&person.id).await?;
        Ok(())
    }
}

/// A light-profile answer (`age`, `situation`), when given.
fn profile_value(q: &Questionnaire, answers: &Answers, key: &str) -> Option<String> {
    q.signals(answers).find_map(|s| match s {
        maillage_domain::diagnostic::Signal::Profile { key: k, value } if k == key => {
            Some(value.clone())
        }
        _ => None,
    })
}

impl App {
    /// The persons followed by a structure, for one of its members.
    pub async fn persons_of(
        &self,
        actor: Option<&Actor>,
        organisation_id: &str,
    ) -> Result<Vec<Person>, AppError> {
        may_handle_persons(actor, organisation_id)?;
        Ok(self.store.persons_of(organisation_id).await?)
    }

    /// The profile (age bracket, gender, social status, commune) of a followed person, for the
    /// members of the structure that follows them.
    pub async fn person_profile(
        &self,
        actor: Option<&Actor>,
        person: &Person,
    ) -> Result<maillage_domain::activity::Profile, AppError> {
        may_handle_persons(actor, &person.organisation_id)?;
        Ok(self.store.person_profile(&person.id).await?)
    }
}

/// Everything recorded about a person (their right of access and portability), as the JSON
/// file handed to them.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PersonExport {
    pub profil: maillage_domain::activity::Profile,
    pub activites: Vec<RecordExport>,
    pub personne: PersonDetails,
    pub diagnostics: Vec<DiagnosticExport>,
}

/// An activity record of the person, with the caller's own notes only.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RecordExport {
    pub date: chrono::NaiveDate,
    pub activite: maillage_domain::activity::Activity,
    pub notes: Option<String>,
}

/// The person as recorded.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PersonDetails {
    pub prenom_ou_pseudonyme: String,
    pub contact: Option<String>,
    pub accord_donne_le: String,
    /// The text agreed to, with its version (`maillage_domain::consent`), when it was recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub texte_accepte: Option<AcceptedText>,
    pub conserve_jusqu_au: String,
}

/// A text a person agreed to, as it was shown.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AcceptedText {
    pub version: u32,
    pub texte: &'static str,
}

impl AcceptedText {
    pub fn of(purpose: maillage_domain::consent::Purpose, version: Option<u32>) -> Option<Self> {
        let n = purpose.version(version?)?;
        Some(Self {
            version: n.version,
            texte: n.text,
        })
    }
}

/// A diagnostic of the person.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DiagnosticExport {
    pub date: String,
    pub mode: String,
    pub reponses: maillage_domain::diagnostic::Answers,
    pub resultat: maillage_domain::diagnostic::Assessment,
    pub observations: Option<String>,
}
