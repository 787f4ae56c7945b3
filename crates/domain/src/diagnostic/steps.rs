//! The level from convergent evidence (rule N, issue #10): the grid's four steps — a device,
//! using it, the basics of internet and e-mail, beyond the basics — each reached on the answers
//! of its own questions only, and the level is 1 plus the number of steps reached.
//!
//! Each question gives evidence to one step at most (the step of its choices' signals), so a
//! change of one answer can reach or lose one step at most: **the level moves by one step at
//! most**, whatever the other answers (property test over the shipped questionnaires). A
//! question left blank is neither for nor against; a step without any answer is not reached,
//! and [`blanks_that_matter`] names the blank questions whose answer could change the level.

use serde::{Deserialize, Serialize};

use super::grid::Level;
use super::questionnaire::{
    Access, Answers, Device, Mastery, ProcedureAutonomy, Question, Questionnaire, Signal,
    SkillDomain,
};

/// One step of the grid.
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
pub enum Step {
    /// Has a device of one's own or lent (the grid's « équipée »): above Éloigné.
    #[serde(rename = "appareil")]
    Device,
    /// Uses a device (average or good mastery, or at ease): above Débutant.
    #[serde(rename = "usage")]
    Use,
    /// The basics of internet and e-mail: above Intermédiaire.
    #[serde(rename = "bases")]
    Basics,
    /// Beyond the basics — software, safety, problem solving, procedures alone: Autonome.
    #[serde(rename = "au_dela")]
    Beyond,
}

impl Step {
    pub const ALL: [Step; 4] = [Step::Device, Step::Use, Step::Basics, Step::Beyond];

    pub fn label(self) -> &'static str {
        match self {
            Step::Device => "est équipée d'un appareil",
            Step::Use => "se sert d'un appareil",
            Step::Basics => "les bases d'internet et des courriels",
            Step::Beyond => "au-delà des bases : logiciels, sécurité, démarches seul",
        }
    }

    /// What must agree for the step to be reached, in words (shown with the result).
    pub fn rule(self) -> &'static str {
        match self {
            Step::Device => {
                "au moins une réponse : un appareil à soi ou prêté (un appareil dans un lieu public ne compte ni pour ni contre)"
            }
            Step::Use => {
                "au moins une réponse : sait se servir d'un appareil (moyennement ou bien), ou se dit à l'aise"
            }
            Step::Basics => {
                "deux réponses pour qui se rejoignent : une recherche d'information et un usage du courriel (une messagerie ou la visio ne remplacent pas le courriel)"
            }
            Step::Beyond => {
                "au moins trois réponses pour (toutes si le questionnaire en pose moins) et plus de pour que de contre, plus de pour que de contre en sécurité quand elle est demandée, et les démarches faites seul quand la question est posée"
            }
        }
    }
}

/// What an answer says for a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Evidence {
    For,
    Against,
    Neither,
}

fn screen(device: Device) -> bool {
    matches!(
        device,
        Device::Computer | Device::Laptop | Device::Smartphone | Device::Tablet
    )
}

/// The step a signal tells about, and whether for or against it (`None`: not about the level).
fn step_of(signal: &Signal) -> Option<(Step, Evidence)> {
    use Evidence::*;
    Some(match signal {
        // Equipped: a device of one's own or lent; a device in a public place (a library, a
        // care home's tablet) says neither.
        Signal::DeviceAccess { device, access } if screen(*device) => (
            Step::Device,
            match access {
                Access::Owns | Access::Borrowed => For,
                Access::PublicPlace => Neither,
                Access::None => Against,
            },
        ),
        Signal::DeviceMastery { device, mastery } if screen(*device) => (
            Step::Use,
            if *mastery == Mastery::None {
                Against
            } else {
                For
            },
        ),
        Signal::Ease { score } => (
            Step::Use,
            match score {
                0 => Against,
                1 => Neither,
                _ => For,
            },
        ),
        Signal::UsesInternet { uses } => (Step::Basics, if *uses { For } else { Against }),
        Signal::Activity { domain, .. } => match domain {
            SkillDomain::Information | SkillDomain::Communication => (Step::Basics, For),
            _ => (Step::Beyond, For),
        },
        Signal::Procedures { autonomy } => (
            Step::Beyond,
            if *autonomy == ProcedureAutonomy::Alone {
                For
            } else {
                Against
            },
        ),
        _ => return None,
    })
}

/// The step a question gives evidence to: the first step its choices' signals tell about.
pub fn step_of_question(question: &Question) -> Option<Step> {
    question
        .choices
        .iter()
        .flat_map(|c| c.signals.iter())
        .find_map(step_of)
        .map(|(step, _)| step)
}

/// The activities of e-mail: the grid's « bases des mails » (a messaging application or a
/// video call are online communication, not e-mail).
const MAIL_ACTIVITIES: [&str; 4] = [
    "courriel",
    "piece_jointe",
    "plusieurs_destinataires",
    "transferer",
];

/// A choice that says neither for nor against (« Je n'en ai pas besoin »).
const NEUTRAL_CHOICE: &str = "pas_besoin";

/// The evidence gathered for one step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StepEvidence {
    pub step: Step,
    /// Questions of the questionnaire that tell about this step.
    pub questions: usize,
    /// Answers for, against, and questions left blank.
    #[serde(rename = "pour")]
    pub for_: usize,
    #[serde(rename = "contre")]
    pub against: usize,
    #[serde(rename = "sans_reponse")]
    pub blank: usize,
    #[serde(rename = "atteint")]
    pub reached: bool,
}

/// Counts per domain of the step « beyond the basics » and of the basics' two parts.
#[derive(Default)]
struct Tally {
    for_: usize,
    against: usize,
    blank: usize,
    questions: usize,
    information: usize,
    mail: usize,
    /// (for, against) per domain of « beyond » (safety must lean for).
    domains: std::collections::BTreeMap<SkillDomain, (usize, usize)>,
    procedures_not_alone: bool,
}

/// The evidence for each step, from the answers.
pub fn steps(questionnaire: &Questionnaire, answers: &Answers) -> Vec<StepEvidence> {
    let mut tallies: std::collections::BTreeMap<Step, Tally> =
        Step::ALL.iter().map(|s| (*s, Tally::default())).collect();
    for question in &questionnaire.questions {
        let Some(step) = step_of_question(question) else {
            continue;
        };
        let Some(t) = tallies.get_mut(&step) else {
            continue;
        };
        t.questions += 1;
        let chosen: Vec<_> = answers
            .get(&question.id)
            .map(|ids| {
                question
                    .choices
                    .iter()
                    .filter(|c| ids.contains(&c.id))
                    .collect()
            })
            .unwrap_or_default();
        if chosen.is_empty() {
            t.blank += 1;
            continue;
        }
        let said: Vec<(Step, Evidence, &Signal)> = chosen
            .iter()
            .flat_map(|c| c.signals.iter())
            .filter_map(|s| step_of(s).map(|(st, e)| (st, e, s)))
            .filter(|(st, _, _)| *st == step)
            .collect();
        let evidence = if said.iter().any(|(_, e, _)| *e == Evidence::For) {
            Evidence::For
        } else if said.iter().any(|(_, e, _)| *e == Evidence::Against) {
            Evidence::Against
        } else if said.iter().any(|(_, e, _)| *e == Evidence::Neither)
            || chosen.iter().all(|c| c.id == NEUTRAL_CHOICE)
        {
            Evidence::Neither
        } else {
            // Answered without what shows the step (« Non », « Je ne sais pas le faire »).
            Evidence::Against
        };
        // The domain the question measures: its activities', or procedures.
        let domain = question
            .choices
            .iter()
            .flat_map(|c| c.signals.iter())
            .find_map(|s| match s {
                Signal::Activity { domain, .. } => Some(*domain),
                _ => None,
            });
        let procedures = question
            .choices
            .iter()
            .flat_map(|c| c.signals.iter())
            .any(|s| matches!(s, Signal::Procedures { .. }));
        match evidence {
            Evidence::For => {
                t.for_ += 1;
                if domain == Some(SkillDomain::Information) {
                    t.information += 1;
                }
                let mail = said.iter().any(|(_, e, s)| {
                    *e == Evidence::For
                        && matches!(s, Signal::Activity { activity, .. } if MAIL_ACTIVITIES.contains(&activity.as_str()))
                });
                if mail {
                    t.mail += 1;
                }
            }
            Evidence::Against => {
                t.against += 1;
                if procedures {
                    t.procedures_not_alone = true;
                }
            }
            Evidence::Neither => {}
        }
        if step == Step::Beyond
            && let Some(d) = domain
            && evidence != Evidence::Neither
        {
            let e = t.domains.entry(d).or_default();
            if evidence == Evidence::For {
                e.0 += 1;
            } else {
                e.1 += 1;
            }
        }
    }
    Step::ALL
        .iter()
        .filter_map(|step| {
            let t = tallies.get(step)?;
            let reached = match step {
                Step::Device | Step::Use => t.for_ >= 1,
                Step::Basics => t.information >= 1 && t.mail >= 1,
                Step::Beyond => {
                    t.for_ >= t.questions.min(3)
                        && t.for_ > t.against
                        && t.domains
                            .get(&SkillDomain::Safety)
                            .is_none_or(|(f, a)| f > a)
                        && !t.procedures_not_alone
                }
            };
            Some(StepEvidence {
                step: *step,
                questions: t.questions,
                for_: t.for_,
                against: t.against,
                blank: t.blank,
                reached: reached && t.questions > 0,
            })
        })
        .collect()
}

/// The level: 1 plus the number of steps reached.
pub fn level_of(steps: &[StepEvidence]) -> Level {
    match steps.iter().filter(|s| s.reached).count() {
        0 => Level::Distant,
        1 => Level::Beginner,
        2 => Level::Intermediate,
        3 => Level::Advanced,
        _ => Level::Autonomous,
    }
}

/// The blank questions whose answer could change the level (each choice tried, or for a
/// question of several answers each choice alone), in the questionnaire's order.
pub fn blanks_that_matter<'q>(
    questionnaire: &'q Questionnaire,
    answers: &Answers,
) -> Vec<&'q Question> {
    let level = level_of(&steps(questionnaire, answers));
    questionnaire
        .questions
        .iter()
        .filter(|q| step_of_question(q).is_some())
        .filter(|q| answers.get(&q.id).is_none_or(Vec::is_empty))
        .filter(|q| {
            q.choices.iter().any(|c| {
                let mut tried = answers.clone();
                tried.insert(q.id.clone(), vec![c.id.clone()]);
                level_of(&steps(questionnaire, &tried)) != level
            })
        })
        .collect()
}
