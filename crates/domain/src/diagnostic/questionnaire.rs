//! Questionnaires are versioned reference data: wording and questions may change, past results
//! keep the version that produced them. Each choice carries **signals** — what answering it
//! tells about the person (an activity of a skill domain, a device owned or mastered, the
//! French level…) — and scoring reads signals only, never wording: a coordinator can reword a
//! question or add one with existing signals without changing how answers are scored.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use super::grid::{FrenchLevel, LearningCapacity};

/// The five skill domains of INSEE's and Eurostat's digital skills indicator (DSI 2.0).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum SkillDomain {
    /// Recherche d'information (information and data literacy).
    #[serde(rename = "information")]
    Information,
    /// Communication en ligne (communication and collaboration).
    #[serde(rename = "communication")]
    Communication,
    /// Utilisation de logiciels (digital content creation).
    #[serde(rename = "logiciels")]
    Software,
    /// Protection de la vie privée (safety).
    #[serde(rename = "securite")]
    Safety,
    /// Résolution de problèmes en ligne (problem solving).
    #[serde(rename = "resolution")]
    ProblemSolving,
}

impl SkillDomain {
    pub const ALL: [SkillDomain; 5] = [
        SkillDomain::Information,
        SkillDomain::Communication,
        SkillDomain::Software,
        SkillDomain::Safety,
        SkillDomain::ProblemSolving,
    ];

    pub fn label(self) -> &'static str {
        match self {
            SkillDomain::Information => "Chercher une information",
            SkillDomain::Communication => "Communiquer en ligne",
            SkillDomain::Software => "Utiliser des logiciels et des fichiers",
            SkillDomain::Safety => "Se protéger en ligne",
            SkillDomain::ProblemSolving => "Faire ses démarches et achats en ligne",
        }
    }
}

/// Devices of the questionnaire.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Device {
    #[serde(rename = "ordinateur")]
    Computer,
    #[serde(rename = "portable")]
    Laptop,
    Smartphone,
    #[serde(rename = "tablette")]
    Tablet,
    #[serde(rename = "cle_usb")]
    UsbKey,
    #[serde(rename = "imprimante")]
    Printer,
    Scanner,
}

/// How a person gets to a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    #[serde(rename = "proprietaire")]
    Owns,
    #[serde(rename = "prete")]
    Borrowed,
    #[serde(rename = "lieu_public")]
    PublicPlace,
    #[serde(rename = "aucun")]
    None,
}

/// Mastery of a device, as the person says it.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Mastery {
    #[serde(rename = "ne_sait_pas")]
    None,
    #[serde(rename = "moyen")]
    Average,
    #[serde(rename = "bon")]
    Good,
}

/// How online procedures get done.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ProcedureAutonomy {
    /// Never done (nobody does them online).
    #[serde(rename = "jamais")]
    Never,
    /// Someone does them in the person's place.
    #[serde(rename = "a_sa_place")]
    DoneForThem,
    /// With help.
    #[serde(rename = "avec_aide")]
    WithHelp,
    #[serde(rename = "seul")]
    Alone,
}

/// What choosing an option tells about the person.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "signal", rename_all = "snake_case")]
pub enum Signal {
    /// Uses the internet (at all, recently).
    #[serde(rename = "internet")]
    UsesInternet { uses: bool },
    /// Has performed an activity of a skill domain (activities are counted per domain).
    #[serde(rename = "activite")]
    Activity {
        domain: SkillDomain,
        activity: String,
    },
    #[serde(rename = "acces")]
    DeviceAccess { device: Device, access: Access },
    #[serde(rename = "maitrise")]
    DeviceMastery { device: Device, mastery: Mastery },
    /// Internet connection at home.
    #[serde(rename = "connexion")]
    HomeConnection { has: bool },
    #[serde(rename = "demarches")]
    Procedures { autonomy: ProcedureAutonomy },
    #[serde(rename = "francais")]
    French { level: FrenchLevel },
    #[serde(rename = "apprentissage")]
    Learning { capacity: LearningCapacity },
    #[serde(rename = "envie_apprendre")]
    WantsToLearn { wants: bool },
    /// The person's own sense of ease with digital, 0 (not at all) to 3 (very).
    #[serde(rename = "aisance")]
    Ease { score: u8 },
    /// What stops them or what dematerialisation does to them (kept for statistics).
    #[serde(rename = "frein")]
    Barrier { barrier: String },
    /// A public site the person uses, or avoids.
    #[serde(rename = "site")]
    Site { site: String, uses: bool },
    /// A theme or device the person would like to learn.
    #[serde(rename = "souhait")]
    Wish { wish: String },
    /// Light profile (status, age bracket): statistics only.
    #[serde(rename = "profil")]
    Profile { key: String, value: String },
}

/// A choice of a question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Choice {
    pub id: String,
    pub label: String,
    #[serde(default)]
    pub signals: Vec<Signal>,
}

/// One answer or several.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    #[serde(rename = "une")]
    Single,
    #[serde(rename = "plusieurs")]
    Multiple,
}

/// A question, in plain French.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Question {
    pub id: String,
    /// Section heading in the full questionnaire.
    #[serde(default)]
    pub section: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// A pictogram name (`ordinateur`, `courriel`…) drawn beside the question when alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pictogram: Option<String>,
    pub kind: QuestionKind,
    pub choices: Vec<Choice>,
}

/// A questionnaire, as reference data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Questionnaire {
    /// `court` (very short test) or `complet`.
    pub id: String,
    pub version: u32,
    pub title: String,
    pub questions: Vec<Question>,
}

/// Answers: question id → chosen choice ids. Every answer is optional.
pub type Answers = BTreeMap<String, Vec<String>>;

/// Why a questionnaire or answers were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuestionnaireError {
    #[error("questionnaire illisible : {0}")]
    Unreadable(String),
    #[error("questionnaire « {id} » v{version} : {reason}")]
    Invalid {
        id: String,
        version: u32,
        reason: String,
    },
    #[error("réponse à « {question} » : {reason}")]
    Answer { question: String, reason: String },
}

impl Questionnaire {
    /// Parses and checks a questionnaire (ids unique, choices present).
    pub fn from_json(text: &str) -> Result<Self, QuestionnaireError> {
        let q: Questionnaire = serde_json::from_str(text)
            .map_err(|e| QuestionnaireError::Unreadable(e.to_string()))?;
        q.check()?;
        Ok(q)
    }

    fn check(&self) -> Result<(), QuestionnaireError> {
        let invalid = |reason: String| QuestionnaireError::Invalid {
            id: self.id.clone(),
            version: self.version,
            reason,
        };
        let mut ids = HashSet::new();
        for q in &self.questions {
            if !ids.insert(q.id.as_str()) {
                return Err(invalid(format!("question « {} » en double", q.id)));
            }
            if q.choices.is_empty() {
                return Err(invalid(format!("question « {} » sans choix", q.id)));
            }
            let mut choices = HashSet::new();
            for c in &q.choices {
                if !choices.insert(c.id.as_str()) {
                    return Err(invalid(format!(
                        "choix « {} » en double dans « {} »",
                        c.id, q.id
                    )));
                }
            }
        }
        Ok(())
    }

    pub fn question(&self, id: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.id == id)
    }

    /// Checks answers against the questionnaire: known questions and choices, one choice for a
    /// single-answer question. Unanswered questions are fine.
    pub fn check_answers(&self, answers: &Answers) -> Result<(), QuestionnaireError> {
        for (qid, chosen) in answers {
            let question = self
                .question(qid)
                .ok_or_else(|| QuestionnaireError::Answer {
                    question: qid.clone(),
                    reason: format!(
                        "cette question n'existe pas dans « {} » v{}",
                        self.id, self.version
                    ),
                })?;
            if question.kind == QuestionKind::Single && chosen.len() > 1 {
                return Err(QuestionnaireError::Answer {
                    question: qid.clone(),
                    reason: "une seule réponse possible".into(),
                });
            }
            for c in chosen {
                if !question.choices.iter().any(|x| &x.id == c) {
                    return Err(QuestionnaireError::Answer {
                        question: qid.clone(),
                        reason: format!("choix « {c} » inconnu"),
                    });
                }
            }
        }
        Ok(())
    }

    /// The signals of the chosen answers.
    pub fn signals<'a>(&'a self, answers: &'a Answers) -> impl Iterator<Item = &'a Signal> + 'a {
        answers.iter().flat_map(move |(qid, chosen)| {
            self.question(qid).into_iter().flat_map(move |q| {
                q.choices
                    .iter()
                    .filter(move |c| chosen.contains(&c.id))
                    .flat_map(|c| c.signals.iter())
            })
        })
    }
}

/// The questionnaires shipped with Maillage (version 1), as reference data.
pub fn builtin() -> Vec<Questionnaire> {
    [
        include_str!("../../data/diagnostic-court-v1.json"),
        include_str!("../../data/diagnostic-complet-v1.json"),
    ]
    .into_iter()
    .filter_map(|t| Questionnaire::from_json(t).ok())
    .collect()
}

/// A file of answers (CLI, API): the questionnaire and version they answer, and for each
/// question a choice id or a list of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AnswerSheet {
    pub questionnaire: String,
    #[serde(default = "first_version")]
    pub version: u32,
    pub answers: BTreeMap<String, OneOrMany>,
}

fn first_version() -> u32 {
    1
}

/// `"oui"` or `["smartphone", "ordinateur"]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl AnswerSheet {
    pub fn from_json(text: &str) -> Result<Self, QuestionnaireError> {
        serde_json::from_str(text).map_err(|e| QuestionnaireError::Answer {
            question: "(fichier)".into(),
            reason: format!("fichier de réponses illisible : {e}"),
        })
    }

    pub fn answers(&self) -> Answers {
        self.answers
            .iter()
            .map(|(k, v)| {
                let chosen = match v {
                    OneOrMany::One(s) => vec![s.clone()],
                    OneOrMany::Many(v) => v.clone(),
                };
                (k.clone(), chosen)
            })
            .filter(|(_, v)| !v.is_empty())
            .collect()
    }
}
