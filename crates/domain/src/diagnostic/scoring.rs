//! From answers to an assessment: the five skill domains scored as INSEE and Eurostat do
//! (none / basic / above basic by the number of activities performed), the overall indicator,
//! then the level of the shared grid, the characteristics and the need profile. Every rule is
//! here, numbered as in `docs/DIAGNOSTIC.md`, and each assessment says which ones applied.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::grid::{Equipment, FrenchLevel, LearningCapacity, Level, NeedProfile};
use super::questionnaire::{
    Access, Answers, Device, Mastery, ProcedureAutonomy, Questionnaire, Signal, SkillDomain,
};

/// Level of one skill domain.
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
pub enum DomainLevel {
    #[serde(rename = "aucune")]
    None,
    #[serde(rename = "basique")]
    Basic,
    #[serde(rename = "plus_que_basique")]
    AboveBasic,
}

impl DomainLevel {
    pub fn label(self) -> &'static str {
        match self {
            DomainLevel::None => "à apprendre",
            DomainLevel::Basic => "les bases",
            DomainLevel::AboveBasic => "à l'aise",
        }
    }
}

/// Thresholds of DSI 2.0: information and communication are basic from one activity and above
/// basic from two; software, safety and problem solving are basic with one or two activities,
/// above basic from three.
pub fn domain_level(domain: SkillDomain, activities: usize) -> DomainLevel {
    let above = match domain {
        SkillDomain::Information | SkillDomain::Communication => 2,
        SkillDomain::Software | SkillDomain::Safety | SkillDomain::ProblemSolving => 3,
    };
    if activities >= above {
        DomainLevel::AboveBasic
    } else if activities >= 1 {
        DomainLevel::Basic
    } else {
        DomainLevel::None
    }
}

/// Eurostat's overall digital skills (`I_DSK2_*`), from the five domains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OverallSkills {
    /// Has not used the internet: not assessed (counted in INSEE's « illectronisme »).
    #[serde(rename = "non_evalue")]
    NotAssessed,
    /// At most one domain at basic.
    #[serde(rename = "aucune")]
    NoSkills,
    #[serde(rename = "limitees")]
    Limited,
    #[serde(rename = "etroites")]
    Narrow,
    #[serde(rename = "faibles")]
    Low,
    #[serde(rename = "basiques")]
    Basic,
    #[serde(rename = "plus_que_basiques")]
    AboveBasic,
}

impl OverallSkills {
    pub fn of(uses_internet: bool, domains: &BTreeMap<SkillDomain, DomainLevel>) -> Self {
        if !uses_internet {
            return OverallSkills::NotAssessed;
        }
        let at_basic = domains
            .values()
            .filter(|l| **l >= DomainLevel::Basic)
            .count();
        let all_above =
            domains.len() == 5 && domains.values().all(|l| *l == DomainLevel::AboveBasic);
        match at_basic {
            _ if all_above => OverallSkills::AboveBasic,
            5 => OverallSkills::Basic,
            4 => OverallSkills::Low,
            3 => OverallSkills::Narrow,
            2 => OverallSkills::Limited,
            _ => OverallSkills::NoSkills,
        }
    }

    /// INSEE's « illectronisme »: no internet use, or no basic skills.
    pub fn illiteracy(self) -> bool {
        matches!(self, OverallSkills::NotAssessed | OverallSkills::NoSkills)
    }

    /// INSEE's « capacités numériques faibles »: lacking one to three domains.
    pub fn weak(self) -> bool {
        matches!(
            self,
            OverallSkills::Low | OverallSkills::Narrow | OverallSkills::Limited
        )
    }

    pub fn label(self) -> &'static str {
        match self {
            OverallSkills::NotAssessed => "non évaluées (pas d'usage d'internet)",
            OverallSkills::NoSkills => "aucune compétence de base",
            OverallSkills::Limited => "limitées (2 domaines sur 5)",
            OverallSkills::Narrow => "étroites (3 domaines sur 5)",
            OverallSkills::Low => "faibles (4 domaines sur 5)",
            OverallSkills::Basic => "de base dans les 5 domaines",
            OverallSkills::AboveBasic => "plus que basiques dans les 5 domaines",
        }
    }
}

/// What the answers say, gathered from their signals.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    pub uses_internet: Option<bool>,
    pub activities: BTreeMap<SkillDomain, BTreeSet<String>>,
    pub access: BTreeMap<Device, Access>,
    pub mastery: BTreeMap<Device, Mastery>,
    pub home_connection: Option<bool>,
    pub procedures: Option<ProcedureAutonomy>,
    pub french: Option<FrenchLevel>,
    pub learning: Option<LearningCapacity>,
    pub wants_to_learn: Option<bool>,
    pub ease: Option<u8>,
    pub barriers: BTreeSet<String>,
    pub wishes: BTreeSet<String>,
    pub sites_used: BTreeSet<String>,
    pub sites_avoided: BTreeSet<String>,
}

impl Facts {
    pub fn gather<'a>(signals: impl IntoIterator<Item = &'a Signal>) -> Self {
        let mut f = Facts::default();
        for s in signals {
            match s {
                Signal::UsesInternet { uses } => {
                    f.uses_internet = Some(f.uses_internet.unwrap_or(false) || *uses)
                }
                Signal::Activity { domain, activity } => {
                    f.activities
                        .entry(*domain)
                        .or_default()
                        .insert(activity.clone());
                }
                Signal::DeviceAccess { device, access } => {
                    // The best access wins (owns > borrowed > public place > none).
                    let rank = |a: &Access| match a {
                        Access::Owns => 3,
                        Access::Borrowed => 2,
                        Access::PublicPlace => 1,
                        Access::None => 0,
                    };
                    let e = f.access.entry(*device).or_insert(*access);
                    if rank(access) > rank(e) {
                        *e = *access;
                    }
                }
                Signal::DeviceMastery { device, mastery } => {
                    let e = f.mastery.entry(*device).or_insert(*mastery);
                    *e = (*e).max(*mastery);
                }
                Signal::HomeConnection { has } => f.home_connection = Some(*has),
                Signal::Procedures { autonomy } => {
                    f.procedures = Some(f.procedures.map_or(*autonomy, |p| p.max(*autonomy)))
                }
                Signal::French { level } => f.french = Some(*level),
                Signal::Learning { capacity } => f.learning = Some(*capacity),
                Signal::WantsToLearn { wants } => f.wants_to_learn = Some(*wants),
                Signal::Ease { score } => f.ease = Some((*score).min(3)),
                Signal::Barrier { barrier } => {
                    f.barriers.insert(barrier.clone());
                }
                Signal::Wish { wish } => {
                    f.wishes.insert(wish.clone());
                }
                Signal::Site { site, uses } => {
                    if *uses {
                        f.sites_used.insert(site.clone());
                    } else {
                        f.sites_avoided.insert(site.clone());
                    }
                }
                Signal::Profile { .. } => {}
            }
        }
        f
    }

    fn screen_devices() -> [Device; 4] {
        [
            Device::Computer,
            Device::Laptop,
            Device::Smartphone,
            Device::Tablet,
        ]
    }

    /// Owns a computer, a laptop, a smartphone or a tablet.
    pub fn equipped(&self) -> bool {
        Self::screen_devices()
            .iter()
            .any(|d| self.access.get(d) == Some(&Access::Owns))
    }

    /// Can use a screen device: says so, or performs online activities.
    pub fn uses_a_device(&self) -> bool {
        Self::screen_devices()
            .iter()
            .any(|d| self.mastery.get(d).is_some_and(|m| *m >= Mastery::Average))
            || self.activities.values().any(|a| !a.is_empty())
            || self.uses_internet == Some(true)
    }

    pub fn equipment(&self) -> Equipment {
        let owns = |d: Device| self.access.get(&d) == Some(&Access::Owns);
        if owns(Device::Computer) || owns(Device::Laptop) {
            Equipment::Computer
        } else if owns(Device::Smartphone) || owns(Device::Tablet) {
            Equipment::SmartphoneOnly
        } else {
            Equipment::None
        }
    }
}

/// The outcome of a diagnostic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Assessment {
    pub questionnaire: String,
    pub version: u32,
    pub level: Level,
    /// The computed level, when a helper overrode it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub computed_level: Option<Level>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub override_reason: Option<String>,
    /// Domains the questionnaire covers, with their level.
    pub domains: BTreeMap<SkillDomain, DomainLevel>,
    /// Eurostat's overall skills, when the questionnaire covers the five domains.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overall: Option<OverallSkills>,
    /// INSEE's « illectronisme » (computed like `overall`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub illiteracy: Option<bool>,
    pub equipment: Equipment,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub home_connection: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub learning: Option<LearningCapacity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub french: Option<FrenchLevel>,
    pub need: NeedProfile,
    /// Also orient to French classes (FLE).
    pub french_classes: bool,
    /// No device of one's own: also orient to solidarity equipment and free access (rule E1).
    #[serde(default)]
    pub solidarity_equipment: bool,
    /// The person's own sense of ease, 0 to 3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ease: Option<u8>,
    /// Activities the person already does, in plain words.
    pub can_do: Vec<String>,
    /// Domains to learn next, in order.
    pub to_learn: Vec<SkillDomain>,
    /// Rules applied, numbered as in docs/DIAGNOSTIC.md.
    pub rules: Vec<String>,
    /// The evidence for each step of the grid the level rests on (rule N).
    #[serde(default, rename = "paliers")]
    pub steps: Vec<super::steps::StepEvidence>,
}

/// Plain words for the activities of the shipped questionnaires.
pub fn activity_label(id: &str) -> String {
    match id {
        "recherche" => "chercher une information sur internet",
        "recherche_emploi" => "chercher une offre d'emploi ou une formation",
        "verifier_information" => "vérifier qu'une information est fiable",
        "courriel" => "envoyer et recevoir des courriels",
        "piece_jointe" => "joindre un document à un courriel",
        "plusieurs_destinataires" => "écrire à plusieurs personnes à la fois",
        "transferer" => "transférer un courriel",
        "reseaux_sociaux" => "utiliser les réseaux sociaux ou une messagerie",
        "appel_video" => "faire un appel vidéo",
        "traitement_texte" => "écrire un texte avec un logiciel",
        "tableur" => "utiliser un tableur",
        "enregistrer_fichier" => "enregistrer un document à un endroit précis",
        "cle_usb" => "utiliser une clé USB",
        "recuperer_piece_jointe" => "récupérer un document reçu",
        "cv" => "créer un CV et le mettre en ligne",
        "lettre" => "écrire et envoyer une lettre de motivation",
        "photo" => "prendre, retoucher ou envoyer des photos",
        "arnaque" => "reconnaître un message d'arnaque",
        "mots_de_passe" => "gérer ses mots de passe",
        "vie_privee" => "limiter ce que les sites savent de soi",
        "achat" => "acheter ou payer en ligne",
        "demarches" => "faire ses démarches administratives en ligne",
        "banque" => "consulter sa banque en ligne",
        "installer_application" => "installer une application",
        "candidature" => "répondre à une offre d'emploi en ligne",
        "reglages" => "changer les réglages de son appareil",
        other => return other.replace('_', " "),
    }
    .to_string()
}

/// Scores answers to a questionnaire.
pub fn assess(questionnaire: &Questionnaire, answers: &Answers) -> Assessment {
    let facts = Facts::gather(questionnaire.signals(answers));
    let covered: BTreeSet<SkillDomain> = questionnaire
        .questions
        .iter()
        .flat_map(|q| q.choices.iter())
        .flat_map(|c| c.signals.iter())
        .filter_map(|s| match s {
            Signal::Activity { domain, .. } => Some(*domain),
            _ => None,
        })
        .collect();
    let domains: BTreeMap<SkillDomain, DomainLevel> = covered
        .iter()
        .map(|d| {
            let n = facts.activities.get(d).map_or(0, BTreeSet::len);
            (*d, domain_level(*d, n))
        })
        .collect();
    let uses_internet = facts.uses_internet.unwrap_or(false)
        || facts
            .activities
            .iter()
            .any(|(d, a)| *d != SkillDomain::Software && !a.is_empty());
    let overall = (covered.len() == 5).then(|| OverallSkills::of(uses_internet, &domains));
    let mut rules = Vec::new();
    let at = |d: SkillDomain| domains.get(&d).copied().unwrap_or(DomainLevel::None);

    // Level (rule N): the steps reached on convergent evidence, one question for one step.
    let steps = super::steps::steps(questionnaire, answers);
    let level = super::steps::level_of(&steps);
    for (i, step) in steps.iter().enumerate() {
        rules.push(format!(
            "N{} « {} » : {} ({} pour, {} contre, {} sans réponse)",
            i + 1,
            step.step.label(),
            if step.reached {
                "atteint"
            } else {
                "pas atteint"
            },
            step.for_,
            step.against,
            step.blank
        ));
    }
    rules.push(format!(
        "N : {} palier(s) sur 4 → {}",
        steps.iter().filter(|s| s.reached).count(),
        level.label()
    ));

    // Need profile (rules P1 to P4).
    let need = match level {
        Level::Distant => {
            rules.push("P1 : Éloigné → assistance (faire avec ou à sa place)".into());
            NeedProfile::Assistance
        }
        Level::Beginner | Level::Intermediate if facts.wants_to_learn == Some(false) => {
            rules.push("P2 : ne souhaite pas apprendre → assistance".into());
            NeedProfile::Assistance
        }
        Level::Beginner | Level::Intermediate => {
            rules.push("P2 : Débutant ou Intermédiaire → formation".into());
            NeedProfile::Training
        }
        Level::Advanced if facts.wants_to_learn == Some(true) => {
            rules.push("P3 : Avancé qui souhaite apprendre → formation".into());
            NeedProfile::Training
        }
        Level::Advanced => {
            rules.push("P3 : Avancé → coup de pouce".into());
            NeedProfile::Boost
        }
        Level::Autonomous => {
            rules.push("P4 : Autonome → autonome".into());
            NeedProfile::Autonomous
        }
    };
    // French (rules F1 and F2).
    let french_classes = matches!(
        facts.french,
        Some(FrenchLevel::Hard) | Some(FrenchLevel::SomewhatHard)
    );
    if french_classes {
        rules.push(
            "F1 : le français écrit est difficile → orienter aussi vers des cours de FLE".into(),
        );
    }
    // Skilled in another language, a person who cannot read French does not do French
    // procedures alone: a one-off boost would leave them stuck.
    let need = if facts.french == Some(FrenchLevel::Hard)
        && (matches!(need, NeedProfile::Boost | NeedProfile::Autonomous)
            || (need == NeedProfile::Training && level == Level::Advanced))
        && facts
            .procedures
            .is_none_or(|p| p < ProcedureAutonomy::Alone)
    {
        rules.push(
            "F2 : à l'aise avec le numérique mais pas avec le français écrit, démarches pas seul → assistance pour les démarches, avec des cours de FLE"
                .into(),
        );
        NeedProfile::Assistance
    } else {
        need
    };
    // Equipment (rule E1).
    let solidarity_equipment = facts.equipment() == Equipment::None;
    if solidarity_equipment {
        rules.push(
            "E1 : aucun appareil à soi → orienter aussi vers du matériel à prix solidaire et un accès libre"
                .into(),
        );
    }
    let can_do = facts
        .activities
        .values()
        .flatten()
        .map(|a| activity_label(a))
        .collect();
    // Domains to learn next: the grid's order of needs (internet and mail first, then
    // software, procedures, safety).
    let order = [
        SkillDomain::Information,
        SkillDomain::Communication,
        SkillDomain::Software,
        SkillDomain::ProblemSolving,
        SkillDomain::Safety,
    ];
    let to_learn = order
        .into_iter()
        .filter(|d| covered.contains(d) && at(*d) < DomainLevel::AboveBasic)
        .collect();
    Assessment {
        questionnaire: questionnaire.id.clone(),
        version: questionnaire.version,
        level,
        computed_level: None,
        override_reason: None,
        domains,
        illiteracy: overall.map(OverallSkills::illiteracy),
        overall,
        equipment: facts.equipment(),
        home_connection: facts.home_connection,
        learning: facts.learning,
        french: facts.french,
        need,
        french_classes,
        solidarity_equipment,
        ease: facts.ease,
        can_do,
        to_learn,
        rules,
        steps,
    }
}

impl Assessment {
    /// A helper sets the level, with a reason; the computed one is kept beside it.
    pub fn override_level(&mut self, level: Level, reason: &str) -> Result<(), String> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err("dites pourquoi vous changez le niveau calculé".into());
        }
        if reason.chars().count() > 500 {
            return Err("la raison tient en 500 caractères au plus".into());
        }
        if level != self.level || self.computed_level.is_some() {
            self.computed_level.get_or_insert(self.level);
            self.level = level;
            self.override_reason = Some(reason.to_string());
        }
        Ok(())
    }
}
