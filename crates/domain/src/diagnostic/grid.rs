//! The network's shared grid (seed `001_…`, « les différents niveaux »): five levels with their
//! definitions, three characteristics beside the level, and the need profile of the field.

use serde::{Deserialize, Serialize};

/// The five levels of the shared grid.
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
pub enum Level {
    #[serde(rename = "eloigne")]
    Distant = 1,
    #[serde(rename = "debutant")]
    Beginner = 2,
    #[serde(rename = "intermediaire")]
    Intermediate = 3,
    #[serde(rename = "avance")]
    Advanced = 4,
    #[serde(rename = "autonome")]
    Autonomous = 5,
}

impl Level {
    pub const ALL: [Level; 5] = [
        Level::Distant,
        Level::Beginner,
        Level::Intermediate,
        Level::Advanced,
        Level::Autonomous,
    ];

    pub fn number(self) -> u8 {
        self as u8
    }

    /// Stored and serialised form (`eloigne`, `debutant`…).
    pub fn slug(self) -> &'static str {
        match self {
            Level::Distant => "eloigne",
            Level::Beginner => "debutant",
            Level::Intermediate => "intermediaire",
            Level::Advanced => "avance",
            Level::Autonomous => "autonome",
        }
    }

    pub fn from_slug(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.slug() == s)
    }

    /// Reads a level as people and scripts write it: slug, label with or without accents, its
    /// English name, or its number (1 to 5).
    pub fn parse(input: &str) -> Option<Self> {
        let key = crate::text::fold(input);
        Self::ALL.into_iter().find(|l| {
            let english = match l {
                Level::Distant => "distant",
                Level::Beginner => "beginner",
                Level::Intermediate => "intermediate",
                Level::Advanced => "advanced",
                Level::Autonomous => "autonomous",
            };
            key == l.slug()
                || key == crate::text::fold(l.label())
                || key == english
                || key == l.number().to_string()
        })
    }

    pub fn label(self) -> &'static str {
        match self {
            Level::Distant => "Éloigné",
            Level::Beginner => "Débutant",
            Level::Intermediate => "Intermédiaire",
            Level::Advanced => "Avancé",
            Level::Autonomous => "Autonome",
        }
    }

    /// The grid's definition, shown wherever a level is chosen or displayed.
    pub fn definition(self) -> &'static str {
        match self {
            Level::Distant => {
                "n'a jamais utilisé d'ordinateur, a peur du numérique ou n'en voit pas l'utilité, n'a pas d'équipement. A besoin de tout apprendre, ne peut pas faire seul : il faut faire à sa place ou l'orienter vers une structure compétente."
            }
            Level::Beginner => {
                "a un appareil à soi mais ne sait pas encore s'en servir. A besoin d'apprendre à le manipuler et à s'y repérer."
            }
            Level::Intermediate => {
                "sait se servir de son appareil, mais pas de toutes ses fonctions. A besoin d'apprendre les bases d'internet, des courriels, des logiciels et des applications."
            }
            Level::Advanced => {
                "sait utiliser les bases d'internet et des logiciels. A besoin de compétences en sécurité en ligne, en protection des données, pour des démarches ou des logiciels plus complexes."
            }
            Level::Autonomous => "n'a plus besoin d'un aidant numérique.",
        }
    }

    /// The level said to the person who took the test alone, in the second person (issue #10).
    pub fn definition_for_you(self) -> &'static str {
        match self {
            Level::Distant => {
                "Vous n'avez pas encore l'habitude des ordinateurs ni des smartphones, et ce n'est pas grave : on peut faire les choses avec vous."
            }
            Level::Beginner => {
                "Vous avez un appareil, mais vous ne savez pas encore bien vous en servir : on peut vous apprendre, pas à pas."
            }
            Level::Intermediate => {
                "Vous savez vous servir de votre appareil. Il vous reste à apprendre les bases d'internet et des courriels."
            }
            Level::Advanced => {
                "Vous connaissez les bases d'internet. Vous pouvez apprendre à vous protéger en ligne et à faire des démarches plus compliquées."
            }
            Level::Autonomous => "Vous vous débrouillez seul avec le numérique.",
        }
    }

    /// What this level calls for, in the person's words (result page).
    pub fn next_step(self) -> &'static str {
        match self {
            Level::Distant => {
                "Un aidant peut faire vos démarches avec vous ou à votre place, en toute sécurité (Aidants Connect, France Services). Si vous le souhaitez, vous pourrez ensuite découvrir un appareil, pas à pas."
            }
            Level::Beginner => {
                "Apprendre à manipuler votre appareil : l'allumer, toucher l'écran, ouvrir une application. Un accompagnement individuel, puis des ateliers pour débutants."
            }
            Level::Intermediate => {
                "Apprendre les bases d'internet et des courriels : chercher une information, envoyer un message avec une pièce jointe, créer un compte. Des ateliers en petit groupe."
            }
            Level::Advanced => {
                "Aller plus loin : se protéger des arnaques, protéger ses données, réussir des démarches plus complexes. Des ateliers thématiques ou une aide ponctuelle."
            }
            Level::Autonomous => {
                "Vous vous débrouillez seul. Des ressources en ligne peuvent vous servir au besoin, et vous pouvez aider vos proches."
            }
        }
    }
}

/// Equipment characteristic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = diagnostic::Equipment)]
#[serde(rename_all = "snake_case")]
pub enum Equipment {
    /// No device of one's own.
    #[serde(rename = "aucun")]
    None,
    /// A smartphone (or tablet), no computer.
    #[serde(rename = "smartphone_seulement")]
    SmartphoneOnly,
    /// A computer (with or without a smartphone).
    #[serde(rename = "ordinateur")]
    Computer,
}

impl Equipment {
    pub fn label(self) -> &'static str {
        match self {
            Equipment::None => "Pas d'équipement personnel",
            Equipment::SmartphoneOnly => "Smartphone ou tablette seulement",
            Equipment::Computer => "Ordinateur",
        }
    }
}

/// Learning capacity: how many sessions a step is likely to take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LearningCapacity {
    /// A step in one or two sessions.
    #[serde(rename = "rapide")]
    Quick,
    /// A step in a few sessions.
    #[serde(rename = "progressive")]
    Steady,
    /// A step takes many sessions, with repetition.
    #[serde(rename = "lente")]
    Slow,
}

impl LearningCapacity {
    pub fn label(self) -> &'static str {
        match self {
            LearningCapacity::Quick => "Apprend vite (une ou deux séances par étape)",
            LearningCapacity::Steady => "Apprend pas à pas (quelques séances par étape)",
            LearningCapacity::Slow => "A besoin de temps et de répétition (de nombreuses séances)",
        }
    }
}

/// French level (reading and writing).
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
pub enum FrenchLevel {
    #[serde(rename = "difficile")]
    Hard,
    #[serde(rename = "un_peu_difficile")]
    SomewhatHard,
    #[serde(rename = "a_l_aise")]
    Comfortable,
}

impl FrenchLevel {
    pub fn label(self) -> &'static str {
        match self {
            FrenchLevel::Hard => "Lire et écrire le français est très difficile",
            FrenchLevel::SomewhatHard => "Lire et écrire le français est un peu difficile",
            FrenchLevel::Comfortable => "À l'aise en français",
        }
    }
}

/// The field's need profile (seeds `001_…`, `004_…`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NeedProfile {
    /// Must be helped to do procedures (done with or for them).
    #[serde(rename = "assistance")]
    Assistance,
    /// Needs and wants to learn key skills.
    #[serde(rename = "formation")]
    Training,
    /// A one-off help on a service.
    #[serde(rename = "coup_de_pouce")]
    Boost,
    #[serde(rename = "autonome")]
    Autonomous,
}

impl NeedProfile {
    pub fn label(self) -> &'static str {
        match self {
            NeedProfile::Assistance => "Assistance : être aidé pour faire ses démarches",
            NeedProfile::Training => "Formation : apprendre les compétences clés",
            NeedProfile::Boost => "Coup de pouce : une aide ponctuelle sur un service",
            NeedProfile::Autonomous => "Autonome",
        }
    }
}
