//! Network surveys (issue #20, seed `002_…`): the partners' needs questionnaire (annexe 3:
//! equipment needed and to give, wifi, fields of intervention, step-free access, a referent,
//! the institutional sites they want training on, ranked) and the public's uses questionnaire
//! (annexe 2: equipment and skills, e-mail, office and internet tasks, sites used, training
//! wished, what going paperless changes, profile).
//!
//! Each questionnaire is declared once as data ([`Questionnaire`]); the same declaration draws
//! the form (personal link, paper typed in), parses what comes back ([`parse_answers`], shared
//! by page, API and command line), counts the answers ([`tally`]), proposes the changes an
//! answer makes to the place's directory entry ([`place_changes`]) and pairs equipment needed
//! with equipment given ([`match_equipment`]). Pure: no I/O.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::geo::GeoPoint;
use crate::place::{Place, Referent};
use crate::vocab::{InterventionDomain, Service, Vocabulary};

/// The two questionnaires of seed 002.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SurveyKind {
    /// Annexe 3: one answer per place, by its referent.
    Partners,
    /// Annexe 2: anonymous answers of the people a place welcomes, as many as come.
    Public,
}

impl SurveyKind {
    pub const ALL: [SurveyKind; 2] = [SurveyKind::Partners, SurveyKind::Public];

    pub fn slug(self) -> &'static str {
        match self {
            SurveyKind::Partners => "partenaires",
            SurveyKind::Public => "usages",
        }
    }

    pub fn from_slug(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.slug() == s)
    }

    pub fn label(self) -> &'static str {
        self.questionnaire().title
    }

    pub fn questionnaire(self) -> &'static Questionnaire {
        match self {
            SurveyKind::Partners => &PARTNERS,
            SurveyKind::Public => &PUBLIC,
        }
    }

    /// A partner answers once for its place (a new answer replaces the previous one); the
    /// public's link collects as many anonymous answers as people fill in.
    pub fn one_answer_per_place(self) -> bool {
        self == SurveyKind::Partners
    }
}

/// One possible answer: its identifier in forms and files, and its French label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Choice {
    pub slug: &'static str,
    pub label: &'static str,
}

const fn c(slug: &'static str, label: &'static str) -> Choice {
    Choice { slug, label }
}

/// What kind of answer a question takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuestionKind {
    YesNo,
    /// One choice.
    Single(&'static [Choice]),
    /// Any number of choices.
    Multiple(&'static [Choice]),
    /// One choice (a column) per line.
    Grid {
        rows: &'static [Choice],
        columns: &'static [Choice],
    },
    /// The items numbered by priority (1 the most important); unnumbered items are not wanted.
    Ranking(&'static [Choice]),
    /// Free text, at most this many characters.
    Text(usize),
    /// A person to contact: name, role, e-mail, phone (personal data, see the register).
    Contact,
}

/// A question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Question {
    /// Identifier (ASCII); form fields are named `q.<id>` (`q.<id>.<line>` in grids and
    /// rankings, `q.<id>.nom` … in contacts).
    pub id: &'static str,
    pub label: &'static str,
    pub help: Option<&'static str>,
    pub kind: QuestionKind,
}

const fn q(id: &'static str, label: &'static str, kind: QuestionKind) -> Question {
    Question {
        id,
        label,
        help: None,
        kind,
    }
}

const fn qh(
    id: &'static str,
    label: &'static str,
    help: &'static str,
    kind: QuestionKind,
) -> Question {
    Question {
        id,
        label,
        help: Some(help),
        kind,
    }
}

/// A part of a questionnaire, under its heading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Section {
    pub title: &'static str,
    pub questions: &'static [Question],
}

/// A questionnaire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Questionnaire {
    pub kind: SurveyKind,
    pub title: &'static str,
    /// What the person reads first.
    pub intro: &'static str,
    pub sections: &'static [Section],
}

impl Questionnaire {
    pub fn questions(&self) -> impl Iterator<Item = &'static Question> + '_ {
        self.sections.iter().flat_map(|s| s.questions.iter())
    }

    pub fn question(&self, id: &str) -> Option<&'static Question> {
        self.questions().find(|q| q.id == id)
    }
}

/// Longest free text in an answer.
pub const TEXT_MAX: usize = 500;

// ----- the partners' questionnaire (annexe 3) -----

/// Equipment a partner needs or can give.
pub const EQUIPMENT: &[Choice] = &[
    c("ordinateur", "Ordinateur (fixe ou portable)"),
    c("tablette", "Tablette"),
    c("smartphone", "Smartphone"),
    c("imprimante", "Imprimante"),
    c("scanner", "Scanner"),
    c("ecran", "Écran"),
    c("peripheriques", "Clavier, souris, casque, webcam"),
    c("connexion", "Box, clé ou forfait internet"),
    c("autre", "Autre matériel"),
];

/// The fields of intervention, as the directory's « domaines d'intervention » (the same slugs
/// and labels: an answer updates the place's entry).
pub const DOMAINS: &[Choice] = &[
    c("emploi", "Emploi"),
    c("formation", "Formation"),
    c("logement", "Logement"),
    c("famille", "Famille"),
    c("sante", "Santé"),
    c("droit-des-etrangers", "Droit des étrangers"),
    c("surendettement", "Surendettement et budget"),
    c("retraite", "Retraite"),
    c("scolarite", "Scolarité"),
    c("impots", "Impôts"),
    c("prestations-sociales", "Prestations sociales"),
    c("mobilite", "Mobilité et transports"),
    c("handicap", "Handicap"),
    c("justice", "Accès au droit et justice"),
];

/// Institutional sites a partner may want training on.
pub const SITES: &[Choice] = &[
    c("france-travail", "France Travail (ex-Pôle emploi)"),
    c("caf", "CAF"),
    c("ameli", "Ameli (Assurance maladie)"),
    c("ants", "ANTS (permis de conduire, carte grise, titres)"),
    c("retraite", "CARSAT et Info Retraite"),
    c("impots", "impots.gouv.fr"),
    c("cpa", "Compte personnel d'activité et de formation"),
    c("mairie", "Site de la mairie"),
    c("logement", "Demande de logement social"),
    c(
        "prefecture",
        "Préfecture : rendez-vous et titres des étrangers",
    ),
    c("casier", "Casier judiciaire (demande en ligne)"),
];

pub const PARTNERS: Questionnaire = Questionnaire {
    kind: SurveyKind::Partners,
    title: "Besoins des partenaires",
    intro: "Ce questionnaire aide le réseau à savoir qui fait quoi, quel matériel manque ou peut \
            être donné, et sur quels sites vos équipes veulent être formées. Vos réponses sur le \
            wifi, l'accès de plain-pied, vos domaines d'intervention et votre référent peuvent \
            mettre à jour la fiche de votre lieu dans l'annuaire : rien ne change sans votre \
            confirmation.",
    sections: &[
        Section {
            title: "Matériel",
            questions: &[
                qh(
                    "materiel_besoin",
                    "Avez-vous des besoins en matériel ? Si oui, lequel ?",
                    "Ne cochez rien si vous n'avez besoin de rien.",
                    QuestionKind::Multiple(EQUIPMENT),
                ),
                q(
                    "materiel_besoin_detail",
                    "Précisez vos besoins (nombre, usage)",
                    QuestionKind::Text(TEXT_MAX),
                ),
                qh(
                    "materiel_don",
                    "Avez-vous du matériel à donner ? Si oui, lequel ?",
                    "Le réseau met en relation ceux qui donnent et ceux qui manquent, au plus près.",
                    QuestionKind::Multiple(EQUIPMENT),
                ),
                q(
                    "materiel_don_detail",
                    "Précisez le matériel à donner (nombre, état)",
                    QuestionKind::Text(TEXT_MAX),
                ),
            ],
        },
        Section {
            title: "Vos locaux et votre activité",
            questions: &[
                q(
                    "wifi",
                    "Donnez-vous accès à du wifi dans vos locaux ?",
                    QuestionKind::YesNo,
                ),
                q(
                    "plain_pied",
                    "Vos locaux sont-ils accessibles aux personnes à mobilité réduite ?",
                    QuestionKind::YesNo,
                ),
                qh(
                    "domaines",
                    "Quels sont vos champs d'intervention ?",
                    "Pour alimenter le « qui fait quoi » de l'annuaire.",
                    QuestionKind::Multiple(DOMAINS),
                ),
                qh(
                    "referent",
                    "Une personne référente sur l'inclusion numérique dans votre structure",
                    "Ses coordonnées ne sont visibles que des aidants et des coordinateurs du réseau.",
                    QuestionKind::Contact,
                ),
            ],
        },
        Section {
            title: "Formation aux sites institutionnels",
            questions: &[
                qh(
                    "sites_formation",
                    "Sur quels sites institutionnels une formation vous semble-t-elle nécessaire ?",
                    "Numérotez par ordre de priorité (1 étant le plus important) ; laissez vides les sites qui ne vous intéressent pas.",
                    QuestionKind::Ranking(SITES),
                ),
                q(
                    "sites_formation_autre",
                    "Autre site : lequel ?",
                    QuestionKind::Text(TEXT_MAX),
                ),
            ],
        },
    ],
};

// ----- the public's uses questionnaire (annexe 2) -----

const DEVICES: &[Choice] = &[
    c("ordinateur", "Ordinateur"),
    c("smartphone", "Smartphone"),
    c("tablette", "Tablette"),
    c("imprimante", "Imprimante"),
    c("scanner", "Scanner"),
];
const MASTERY: &[Choice] = &[
    c("ne-sait-pas", "Je ne sais pas m'en servir"),
    c("moyen", "Moyen"),
    c("bon", "Bon"),
];
const FREQUENCY: &[Choice] = &[
    c("jamais", "Jamais"),
    c("rarement", "Rarement"),
    c("semaine", "Une fois par semaine"),
    c("jour", "Tous les jours"),
];
const PURPOSE: &[Choice] = &[
    c("aucun", "Aucun usage"),
    c("loisirs", "Pour mes loisirs"),
    c("travail", "Pour travailler"),
    c("emploi", "Pour chercher un emploi"),
    c("demarches", "Pour mes démarches administratives"),
];
const YES_NO: &[Choice] = &[c("oui", "Oui"), c("non", "Non")];
const MAIL_SKILLS: &[Choice] = &[
    c("joindre", "Joindre un document à un courriel"),
    c("recuperer", "Récupérer un document reçu"),
    c("plusieurs", "Écrire à plusieurs destinataires à la fois"),
    c("transferer", "Transférer un courriel"),
];
const TASK: &[Choice] = &[
    c("pas-besoin", "Je n'en ai pas besoin"),
    c("ne-sait-pas", "Je ne sais pas le faire"),
    c("sait-sans-faire", "Je sais le faire mais je ne le fais pas"),
    c("fait", "Je le fais"),
];
const OFFICE: &[Choice] = &[
    c("texte", "Traitement de texte (Word…)"),
    c("tableur", "Tableur (Excel…)"),
    c("enregistrer", "Enregistrer un document à un endroit précis"),
    c("cle-usb", "Utiliser une clé USB"),
];
const INTERNET: &[Choice] = &[
    c("recherche", "Faire une recherche d'information"),
    c("achat", "Acheter ou payer"),
    c("demarches", "Faire mes démarches administratives"),
];
const PUBLIC_SITES: &[Choice] = &[
    c("france-travail", "France Travail (ex-Pôle emploi)"),
    c("caf", "CAF"),
    c("ameli", "CPAM (Ameli)"),
    c("impots", "Impôts"),
    c("mairie", "Mairie (cantine, papiers)"),
    c("prefecture", "Préfecture"),
    c("reseaux", "Réseaux sociaux (Facebook, Instagram…)"),
    c("reseaux-pro", "Réseaux sociaux professionnels (LinkedIn…)"),
    c("banque", "Banque"),
    c("logement", "Dossier de logement"),
];
const SITE_USE: &[Choice] = &[
    c("pas-besoin", "Je n'en ai pas besoin"),
    c("ne-sait-pas", "Je ne sais pas m'en servir"),
    c("sert", "Je m'en sers"),
    c("se-deplace", "Je ne m'en sers pas : je préfère me déplacer"),
];
const JOB_TASKS: &[Choice] = &[
    c("offre", "Chercher une offre d'emploi"),
    c("formation", "Chercher une formation"),
    c("repondre", "Répondre à une offre en ligne"),
    c("cv", "Créer un CV et le mettre en ligne"),
    c("lettre", "Écrire et envoyer une lettre de motivation"),
    c("outils", "Utiliser les outils en ligne de France Travail"),
];
const WANTS_TRAINING: &[Choice] = &[
    c("oui", "Oui"),
    c("non", "Non"),
    c("deja", "Je suis déjà en formation"),
];
const WHY_NOT: &[Choice] = &[
    c("equipement", "Je n'ai pas d'équipement, donc c'est inutile"),
    c("contact", "Je préfère le contact humain"),
    c("motivation", "Je n'ai pas assez de motivation"),
    c("temps", "Cela prend trop de temps"),
    c("peur", "J'ai peur de ne pas réussir"),
    c(
        "offre",
        "On ne me propose pas de formation qui me convienne",
    ),
];
const THEMES: &[Choice] = &[
    c("materiel", "Utiliser le matériel (imprimer, scanner…)"),
    c("bureautique", "Bureautique (Word, Excel, fichiers…)"),
    c("internet", "Internet (recherches, courriel…)"),
    c("emploi", "Recherche d'emploi (annonces, CV, lettre…)"),
    c(
        "demarches",
        "Démarches administratives (France Travail, CPAM, CAF, impôts…)",
    ),
];
const HOW_MUCH: &[Choice] = &[
    c("pas-du-tout", "Pas du tout"),
    c("un-peu", "Un peu"),
    c("beaucoup", "Beaucoup"),
    c("enormement", "Énormément"),
];
const PAPERLESS: &[Choice] = &[
    c("emploi", "La recherche d'emploi (annonces, réseaux…)"),
    c(
        "demarches",
        "Les démarches administratives (CAF, France Travail…)",
    ),
];
const PROBLEMS: &[Choice] = &[
    c("relations", "Elle supprime les relations humaines directes"),
    c("budget", "Elle coûte trop cher (matériel, abonnements)"),
    c("complique", "C'est trop compliqué"),
    c("temps", "Cela prend trop de temps"),
    c("motivation", "Cela me décourage"),
    c("aide", "Il manque une aide personnalisée"),
    c(
        "fiabilite",
        "J'ai peur que les informations ne soient pas fiables",
    ),
    c(
        "donnees",
        "Je ne sais pas ce que deviennent mes informations personnelles",
    ),
    c("physique", "Je ne peux pas physiquement utiliser l'outil"),
];
const HELPS: &[Choice] = &[
    c("temps", "Cela me fait gagner du temps"),
    c("deplacement", "Cela m'évite de me déplacer"),
    c("information", "J'ai des informations claires et fiables"),
    c("lien", "Je garde le lien avec mes proches"),
    c("rapidite", "J'ai une information très rapidement"),
];
const SITUATION: &[Choice] = &[
    c("demandeur", "Demandeur ou demandeuse d'emploi"),
    c("temps-partiel", "Salarié·e à temps partiel"),
    c("temps-complet", "Salarié·e à temps complet"),
    c("retraite", "Retraité·e"),
    c("etudiant", "Étudiant·e"),
    c("foyer", "Personne au foyer"),
    c("autre", "Autre situation"),
];
const AGE: &[Choice] = &[
    c("moins-25", "Moins de 25 ans"),
    c("25-35", "De 25 à 35 ans"),
    c("35-55", "De 35 à 55 ans"),
    c("plus-55", "Plus de 55 ans"),
];

pub const PUBLIC: Questionnaire = Questionnaire {
    kind: SurveyKind::Public,
    title: "Vos usages du numérique",
    intro: "Ce questionnaire est anonyme : ni votre nom ni votre contact ne sont demandés. Il aide \
            les lieux d'accompagnement de votre territoire à proposer l'aide dont vous avez \
            besoin. Répondez seulement aux questions que vous voulez.",
    sections: &[
        Section {
            title: "Votre matériel",
            questions: &[
                q(
                    "maitrise",
                    "Quel est votre niveau de maîtrise de ces équipements ?",
                    QuestionKind::Grid {
                        rows: DEVICES,
                        columns: MASTERY,
                    },
                ),
                q(
                    "frequence",
                    "À quelle fréquence les utilisez-vous ?",
                    QuestionKind::Grid {
                        rows: DEVICES,
                        columns: FREQUENCY,
                    },
                ),
                q(
                    "usage",
                    "Pour quoi les utilisez-vous surtout ?",
                    QuestionKind::Grid {
                        rows: DEVICES,
                        columns: PURPOSE,
                    },
                ),
            ],
        },
        Section {
            title: "Vos courriels",
            questions: &[
                q(
                    "courriel",
                    "Avez-vous une adresse électronique ?",
                    QuestionKind::YesNo,
                ),
                q(
                    "courriel_frequence",
                    "Si oui, à quelle fréquence l'utilisez-vous ?",
                    QuestionKind::Single(FREQUENCY),
                ),
                q(
                    "courriel_appareils",
                    "Sur quels appareils savez-vous lire vos courriels ?",
                    QuestionKind::Multiple(&[
                        c("ordinateur", "Ordinateur"),
                        c("smartphone", "Smartphone"),
                        c("tablette", "Tablette"),
                    ]),
                ),
                q(
                    "courriel_savoirs",
                    "Savez-vous… ?",
                    QuestionKind::Grid {
                        rows: MAIL_SKILLS,
                        columns: YES_NO,
                    },
                ),
            ],
        },
        Section {
            title: "Ce que vous faites en ligne",
            questions: &[
                q(
                    "bureautique",
                    "La bureautique",
                    QuestionKind::Grid {
                        rows: OFFICE,
                        columns: TASK,
                    },
                ),
                q(
                    "internet",
                    "Internet",
                    QuestionKind::Grid {
                        rows: INTERNET,
                        columns: TASK,
                    },
                ),
                q(
                    "sites",
                    "De quels sites vous servez-vous ?",
                    QuestionKind::Grid {
                        rows: PUBLIC_SITES,
                        columns: SITE_USE,
                    },
                ),
                q(
                    "emploi",
                    "Pour votre recherche d'emploi",
                    QuestionKind::Grid {
                        rows: JOB_TASKS,
                        columns: TASK,
                    },
                ),
            ],
        },
        Section {
            title: "L'accompagnement dont vous avez besoin",
            questions: &[
                q(
                    "formation",
                    "Si vous ne savez pas faire certaines choses, souhaitez-vous suivre une formation ?",
                    QuestionKind::Single(WANTS_TRAINING),
                ),
                q(
                    "formation_non",
                    "Si non, pourquoi ?",
                    QuestionKind::Multiple(WHY_NOT),
                ),
                q(
                    "themes",
                    "Si oui, quels thèmes souhaitez-vous aborder ?",
                    QuestionKind::Multiple(THEMES),
                ),
                q(
                    "formation_appareils",
                    "Sur quels équipements souhaitez-vous être formé·e ?",
                    QuestionKind::Multiple(DEVICES),
                ),
                q(
                    "besoin_autre",
                    "Autre chose que vous voudriez apprendre ?",
                    QuestionKind::Text(TEXT_MAX),
                ),
            ],
        },
        Section {
            title: "Les démarches en ligne et vous",
            questions: &[
                q(
                    "difficulte",
                    "Le passage au tout-en-ligne vous pose-t-il problème pour… ?",
                    QuestionKind::Grid {
                        rows: PAPERLESS,
                        columns: HOW_MUCH,
                    },
                ),
                q(
                    "problemes",
                    "En quoi le tout-en-ligne peut-il vous poser problème ?",
                    QuestionKind::Multiple(PROBLEMS),
                ),
                q(
                    "aides",
                    "En quoi peut-il vous aider ?",
                    QuestionKind::Multiple(HELPS),
                ),
                q(
                    "isolement",
                    "Le tout-en-ligne vous donne-t-il un sentiment d'isolement ?",
                    QuestionKind::Single(HOW_MUCH),
                ),
            ],
        },
        Section {
            title: "Vous",
            questions: &[
                q("situation", "Vous êtes", QuestionKind::Single(SITUATION)),
                q("age", "Votre âge", QuestionKind::Single(AGE)),
            ],
        },
    ],
};

// ----- answers -----

/// One question's answer, as stored (JSON, French tags).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Answer {
    #[serde(rename = "oui_non")]
    YesNo(bool),
    #[serde(rename = "choix")]
    Single(String),
    /// In the questionnaire's order.
    #[serde(rename = "choix_multiples")]
    Multiple(Vec<String>),
    /// Line → column.
    #[serde(rename = "grille")]
    Grid(BTreeMap<String, String>),
    /// The items wanted, the most important first.
    #[serde(rename = "classement")]
    Ranking(Vec<String>),
    #[serde(rename = "texte")]
    Text(String),
    #[serde(rename = "contact")]
    Contact(Referent),
}

/// A whole answer: question → answer; a question left blank is absent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Answers(pub BTreeMap<String, Answer>);

impl Answers {
    pub fn get(&self, id: &str) -> Option<&Answer> {
        self.0.get(id)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The choices of a multiple-choice question (empty when not answered).
    pub fn choices(&self, id: &str) -> &[String] {
        match self.0.get(id) {
            Some(Answer::Multiple(v)) => v,
            _ => &[],
        }
    }

    pub fn yes_no(&self, id: &str) -> Option<bool> {
        match self.0.get(id) {
            Some(Answer::YesNo(b)) => Some(*b),
            _ => None,
        }
    }

    pub fn text(&self, id: &str) -> Option<&str> {
        match self.0.get(id) {
            Some(Answer::Text(t)) => Some(t),
            _ => None,
        }
    }

    /// The answer without its personal data and free texts (what stays once their delay is
    /// over: the choices, anonymous).
    pub fn without_personal_data(&self) -> Answers {
        Answers(
            self.0
                .iter()
                .filter(|(_, a)| !matches!(a, Answer::Text(_) | Answer::Contact(_)))
                .map(|(k, a)| (k.clone(), a.clone()))
                .collect(),
        )
    }
}

/// Why a field of an answer was refused: the question's label and the reason, in French.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    /// The form field (`q.wifi`, `q.sites_formation.caf`).
    pub field: String,
    /// The question (and line) as the person read it.
    pub question: String,
    pub reason: String,
}

impl std::fmt::Display for FieldProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "« {} » : {}", self.question, self.reason)
    }
}

/// At most this many fields in one answer (the public's questionnaire has about 120).
pub const MAX_FIELDS: usize = 400;
/// At most this many characters in one field's value.
pub const MAX_VALUE: usize = 2_000;

fn choice<'a>(choices: &'a [Choice], slug: &str) -> Option<&'a Choice> {
    choices.iter().find(|c| c.slug == slug)
}

/// A free text as kept: line breaks stay, every other control character (`\r` included)
/// becomes a space, the ends trimmed.
fn clean_text(raw: &str) -> String {
    raw.chars()
        .map(|c| if c.is_control() && c != '\n' { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

/// Reads an answer from form fields (`q.<id>`, repeated for multiple choices; `q.<id>.<line>`
/// in grids and rankings; `q.<id>.nom|fonction|courriel|telephone` in contacts). Fields that do
/// not start with `q.` (the form's token, its buttons) are not the answer's. Every problem is
/// reported, each naming its question; an empty field is a question left blank.
pub fn parse_answers(
    questionnaire: &Questionnaire,
    fields: &[(String, String)],
) -> Result<Answers, Vec<FieldProblem>> {
    let mut problems = Vec::new();
    let fields: Vec<&(String, String)> =
        fields.iter().filter(|(k, _)| k.starts_with("q.")).collect();
    if fields.len() > MAX_FIELDS {
        return Err(vec![FieldProblem {
            field: String::new(),
            question: questionnaire.title.into(),
            reason: format!("{} champs : {MAX_FIELDS} au plus", fields.len()),
        }]);
    }
    // Field → values, in order.
    let mut by_question: BTreeMap<&str, Vec<Field<'_>>> = BTreeMap::new();
    for (key, value) in &fields {
        let rest = &key[2..];
        let (id, sub) = match rest.split_once('.') {
            Some((id, sub)) => (id, Some(sub)),
            None => (rest, None),
        };
        let Some(question) = questionnaire.question(id) else {
            problems.push(FieldProblem {
                field: key.clone(),
                question: key.clone(),
                reason: "cette question n'est pas dans le questionnaire".into(),
            });
            continue;
        };
        if value.chars().count() > MAX_VALUE {
            problems.push(FieldProblem {
                field: key.clone(),
                question: question.label.into(),
                reason: format!("{MAX_VALUE} caractères au plus"),
            });
            continue;
        }
        by_question
            .entry(question.id)
            .or_default()
            .push((sub, key.as_str(), value.as_str()));
    }
    let mut answers = BTreeMap::new();
    for (id, values) in by_question {
        let Some(question) = questionnaire.question(id) else {
            continue;
        };
        match parse_one(question, &values) {
            Ok(Some(answer)) => {
                answers.insert(id.to_string(), answer);
            }
            Ok(None) => {}
            Err(mut p) => problems.append(&mut p),
        }
    }
    if problems.is_empty() {
        Ok(Answers(answers))
    } else {
        Err(problems)
    }
}

/// One field of an answer: the part after the question's identifier (a grid's line, a
/// contact's part), the field's name, its value.
type Field<'a> = (Option<&'a str>, &'a str, &'a str);

fn problem(field: &str, question: impl Into<String>, reason: impl Into<String>) -> FieldProblem {
    FieldProblem {
        field: field.into(),
        question: question.into(),
        reason: reason.into(),
    }
}

/// One question's fields → its answer (`None`: left blank).
fn parse_one(
    question: &Question,
    values: &[Field<'_>],
) -> Result<Option<Answer>, Vec<FieldProblem>> {
    let label = question.label;
    let mut problems = Vec::new();
    // Questions of one field refuse sub-fields, and the other way round.
    let wants_sub = matches!(
        question.kind,
        QuestionKind::Grid { .. } | QuestionKind::Ranking(_) | QuestionKind::Contact
    );
    for (sub, key, _) in values {
        if sub.is_some() != wants_sub {
            problems.push(problem(key, label, "champ inattendu pour cette question"));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let non_empty: Vec<&Field<'_>> = values
        .iter()
        .filter(|(_, _, v)| !v.trim().is_empty())
        .collect();
    let single = |key: &str| -> Result<Option<&str>, Vec<FieldProblem>> {
        match non_empty.as_slice() {
            [] => Ok(None),
            [(_, _, v)] => Ok(Some(v.trim())),
            _ => Err(vec![problem(key, label, "une seule réponse possible")]),
        }
    };
    let first_key = values.first().map(|(_, k, _)| *k).unwrap_or("");
    let answer = match question.kind {
        QuestionKind::YesNo => match single(first_key)? {
            None => None,
            Some("oui") => Some(Answer::YesNo(true)),
            Some("non") => Some(Answer::YesNo(false)),
            Some(other) => {
                return Err(vec![problem(
                    first_key,
                    label,
                    format!("« {other} » : répondez « oui » ou « non »"),
                )]);
            }
        },
        QuestionKind::Single(choices) => match single(first_key)? {
            None => None,
            Some(v) => match choice(choices, v) {
                Some(c) => Some(Answer::Single(c.slug.into())),
                None => {
                    return Err(vec![problem(
                        first_key,
                        label,
                        format!("« {v} » n'est pas une des réponses proposées"),
                    )]);
                }
            },
        },
        QuestionKind::Multiple(choices) => {
            let mut picked = Vec::new();
            for (_, key, v) in &non_empty {
                if choice(choices, v.trim()).is_some() {
                    picked.push(v.trim());
                } else {
                    problems.push(problem(
                        key,
                        label,
                        format!("« {} » n'est pas une des réponses proposées", v.trim()),
                    ));
                }
            }
            let in_order: Vec<String> = choices
                .iter()
                .filter(|c| picked.contains(&c.slug))
                .map(|c| c.slug.to_string())
                .collect();
            (!in_order.is_empty()).then_some(Answer::Multiple(in_order))
        }
        QuestionKind::Grid { rows, columns } => {
            let mut grid = BTreeMap::new();
            for (sub, key, v) in &non_empty {
                let line = sub.unwrap_or("");
                let Some(row) = choice(rows, line) else {
                    problems.push(problem(key, label, format!("pas de ligne « {line} »")));
                    continue;
                };
                let what = format!("{label} — {}", row.label);
                match choice(columns, v.trim()) {
                    Some(col) => {
                        if grid
                            .insert(row.slug.to_string(), col.slug.to_string())
                            .is_some()
                        {
                            problems.push(problem(key, what, "une seule réponse par ligne"));
                        }
                    }
                    None => problems.push(problem(
                        key,
                        what,
                        format!("« {} » n'est pas une des réponses proposées", v.trim()),
                    )),
                }
            }
            (!grid.is_empty()).then_some(Answer::Grid(grid))
        }
        QuestionKind::Ranking(items) => {
            let mut ranked: Vec<(u32, &'static str)> = Vec::new();
            for (sub, key, v) in &non_empty {
                let line = sub.unwrap_or("");
                let Some(item) = choice(items, line) else {
                    problems.push(problem(key, label, format!("pas de ligne « {line} »")));
                    continue;
                };
                let what = format!("{label} — {}", item.label);
                match v.trim().parse::<u32>() {
                    Ok(r) if (1..=items.len() as u32).contains(&r) => {
                        if let Some((_, other)) = ranked.iter().find(|(x, _)| *x == r) {
                            let other = choice(items, other).map(|c| c.label).unwrap_or("");
                            problems.push(problem(
                                key,
                                what,
                                format!("le rang {r} est déjà donné à « {other} »"),
                            ));
                        } else if ranked.iter().any(|(_, s)| *s == item.slug) {
                            problems.push(problem(key, what, "un seul rang par ligne"));
                        } else {
                            ranked.push((r, item.slug));
                        }
                    }
                    _ => problems.push(problem(
                        key,
                        what,
                        format!(
                            "« {} » : un rang de 1 à {} (1 le plus important), ou rien",
                            v.trim(),
                            items.len()
                        ),
                    )),
                }
            }
            ranked.sort_unstable();
            (!ranked.is_empty())
                .then(|| Answer::Ranking(ranked.into_iter().map(|(_, s)| s.to_string()).collect()))
        }
        QuestionKind::Text(max) => match single(first_key)? {
            None => None,
            Some(v) => {
                let t = clean_text(v);
                if t.chars().count() > max {
                    return Err(vec![problem(
                        first_key,
                        label,
                        format!("{max} caractères au plus"),
                    )]);
                }
                (!t.is_empty()).then_some(Answer::Text(t))
            }
        },
        QuestionKind::Contact => {
            let mut contact = Referent::default();
            for (sub, key, v) in &non_empty {
                let v = clean_text(v);
                match *sub {
                    Some("nom") if v.chars().count() <= 120 => contact.name = v,
                    Some("fonction") if v.chars().count() <= 120 => contact.role = Some(v),
                    Some("nom") | Some("fonction") => {
                        problems.push(problem(key, label, "120 caractères au plus"))
                    }
                    Some("courriel") => match crate::fields::email(&v) {
                        Ok(e) => contact.email = Some(e),
                        Err(why) => problems.push(problem(key, format!("{label} — courriel"), why)),
                    },
                    Some("telephone") => match crate::fields::phone_e164(&v) {
                        Ok(p) => contact.phone = Some(p.value),
                        Err(why) => {
                            problems.push(problem(key, format!("{label} — téléphone"), why))
                        }
                    },
                    _ => problems.push(problem(key, label, "champ inattendu pour cette question")),
                }
            }
            let any = non_empty.iter().any(|(sub, _, _)| *sub != Some("nom"));
            if contact.name.is_empty() && any {
                problems.push(problem(
                    &format!("q.{}.nom", question.id),
                    format!("{label} — nom"),
                    "le nom de la personne référente est demandé avec ses coordonnées",
                ));
            }
            (!contact.name.is_empty()).then_some(Answer::Contact(contact))
        }
    };
    if problems.is_empty() {
        Ok(answer)
    } else {
        Err(problems)
    }
}

/// The form fields that give back an answer (the inverse of [`parse_answers`]): to fill a form
/// again, and for the property test.
pub fn answer_fields(questionnaire: &Questionnaire, answers: &Answers) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for question in questionnaire.questions() {
        let Some(answer) = answers.get(question.id) else {
            continue;
        };
        let id = question.id;
        match answer {
            Answer::YesNo(b) => {
                out.push((format!("q.{id}"), if *b { "oui" } else { "non" }.into()))
            }
            Answer::Single(s) | Answer::Text(s) => out.push((format!("q.{id}"), s.clone())),
            Answer::Multiple(v) => out.extend(v.iter().map(|s| (format!("q.{id}"), s.clone()))),
            Answer::Grid(g) => out.extend(
                g.iter()
                    .map(|(r, col)| (format!("q.{id}.{r}"), col.clone())),
            ),
            Answer::Ranking(v) => out.extend(
                v.iter()
                    .enumerate()
                    .map(|(i, s)| (format!("q.{id}.{s}"), (i + 1).to_string())),
            ),
            Answer::Contact(r) => {
                out.push((format!("q.{id}.nom"), r.name.clone()));
                if let Some(v) = &r.role {
                    out.push((format!("q.{id}.fonction"), v.clone()));
                }
                if let Some(v) = &r.email {
                    out.push((format!("q.{id}.courriel"), v.clone()));
                }
                if let Some(v) = &r.phone {
                    out.push((
                        format!("q.{id}.telephone"),
                        crate::fields::phone_national(v),
                    ));
                }
            }
        }
    }
    out
}

// ----- results -----

/// One bar: a choice (or a grid's cell), how many answers gave it, and the share of those who
/// answered the question (percent, one decimal).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = EnqueteDecompte)]
pub struct Count {
    #[serde(rename = "code")]
    pub slug: String,
    #[serde(rename = "libelle")]
    pub label: String,
    #[serde(rename = "nombre")]
    pub count: usize,
    /// Percent of the answers to the question (one decimal).
    #[serde(rename = "part")]
    pub share: f64,
}

/// A grid's line.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = EnqueteLigne)]
pub struct GridLine {
    #[serde(rename = "code")]
    pub slug: String,
    #[serde(rename = "libelle")]
    pub label: String,
    #[serde(rename = "reponses")]
    pub answered: usize,
    #[serde(rename = "cases")]
    pub cells: Vec<Count>,
}

/// A ranked item: times it was numbered, its mean rank, its points (each answer gives
/// `items + 1 − rank`: with 11 sites, 11 points for a 1, 1 for an 11).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = EnqueteClasse)]
pub struct RankedItem {
    #[serde(rename = "code")]
    pub slug: String,
    #[serde(rename = "libelle")]
    pub label: String,
    #[serde(rename = "cite_par")]
    pub cited: usize,
    #[serde(rename = "en_premier")]
    pub first: usize,
    #[serde(rename = "rang_moyen")]
    pub mean_rank: Option<f64>,
    pub points: usize,
}

/// The counts of one question.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(tag = "type")]
#[schema(as = EnqueteResultat)]
pub enum Tally {
    /// Yes/no, one choice, several choices (shares can add up to more than 100).
    #[serde(rename = "choix")]
    Choices {
        #[serde(rename = "reponses")]
        counts: Vec<Count>,
    },
    #[serde(rename = "grille")]
    Grid {
        #[serde(rename = "colonnes")]
        columns: Vec<String>,
        #[serde(rename = "lignes")]
        lines: Vec<GridLine>,
    },
    /// Ranked by points.
    #[serde(rename = "classement")]
    Ranking {
        #[serde(rename = "elements")]
        items: Vec<RankedItem>,
    },
    /// Free texts and contacts are counted, never shown among the results.
    #[serde(rename = "compte")]
    Given,
}

/// One question's results.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = EnqueteQuestion)]
pub struct QuestionResult {
    pub id: String,
    #[serde(rename = "libelle")]
    pub label: String,
    /// Answers that answered this question.
    #[serde(rename = "reponses")]
    pub answered: usize,
    #[serde(rename = "resultat")]
    pub tally: Tally,
}

/// One section's results.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = EnqueteSection)]
pub struct SectionResult {
    #[serde(rename = "titre")]
    pub title: String,
    pub questions: Vec<QuestionResult>,
}

fn share(count: usize, of: usize) -> f64 {
    if of == 0 {
        0.0
    } else {
        (count as f64 * 1000.0 / of as f64).round() / 10.0
    }
}

fn counts(choices: &[Choice], counted: &BTreeMap<&str, usize>, of: usize) -> Vec<Count> {
    choices
        .iter()
        .map(|c| {
            let n = counted.get(c.slug).copied().unwrap_or(0);
            Count {
                slug: c.slug.into(),
                label: c.label.into(),
                count: n,
                share: share(n, of),
            }
        })
        .collect()
}

/// Counts every answer, question by question, in the questionnaire's order. Answers that do
/// not follow the declaration (a choice removed since) are left out of that question.
pub fn tally(questionnaire: &Questionnaire, answers: &[&Answers]) -> Vec<SectionResult> {
    questionnaire
        .sections
        .iter()
        .map(|section| SectionResult {
            title: section.title.into(),
            questions: section
                .questions
                .iter()
                .map(|question| tally_question(question, answers))
                .collect(),
        })
        .collect()
}

fn tally_question(question: &Question, answers: &[&Answers]) -> QuestionResult {
    let given: Vec<&Answer> = answers.iter().filter_map(|a| a.get(question.id)).collect();
    let answered = given.len();
    let tally = match question.kind {
        QuestionKind::YesNo => {
            let mut n: BTreeMap<&str, usize> = BTreeMap::new();
            for a in &given {
                if let Answer::YesNo(b) = a {
                    *n.entry(if *b { "oui" } else { "non" }).or_default() += 1;
                }
            }
            Tally::Choices {
                counts: counts(YES_NO, &n, answered),
            }
        }
        QuestionKind::Single(choices) | QuestionKind::Multiple(choices) => {
            let mut n: BTreeMap<&str, usize> = BTreeMap::new();
            for a in &given {
                match a {
                    Answer::Single(s) => *n.entry(s.as_str()).or_default() += 1,
                    Answer::Multiple(v) => {
                        for s in v {
                            *n.entry(s.as_str()).or_default() += 1;
                        }
                    }
                    _ => {}
                }
            }
            Tally::Choices {
                counts: counts(choices, &n, answered),
            }
        }
        QuestionKind::Grid { rows, columns } => {
            let lines = rows
                .iter()
                .map(|row| {
                    let mut n: BTreeMap<&str, usize> = BTreeMap::new();
                    let mut line_answered = 0;
                    for a in &given {
                        if let Answer::Grid(g) = a
                            && let Some(col) = g.get(row.slug)
                        {
                            line_answered += 1;
                            *n.entry(col.as_str()).or_default() += 1;
                        }
                    }
                    GridLine {
                        slug: row.slug.into(),
                        label: row.label.into(),
                        answered: line_answered,
                        cells: counts(columns, &n, line_answered),
                    }
                })
                .collect();
            Tally::Grid {
                columns: columns.iter().map(|c| c.label.to_string()).collect(),
                lines,
            }
        }
        QuestionKind::Ranking(items) => {
            let total = items.len();
            let mut ranked: Vec<RankedItem> = items
                .iter()
                .map(|item| {
                    let ranks: Vec<usize> = given
                        .iter()
                        .filter_map(|a| match a {
                            Answer::Ranking(v) => {
                                v.iter().position(|s| s == item.slug).map(|p| p + 1)
                            }
                            _ => None,
                        })
                        .collect();
                    let cited = ranks.len();
                    RankedItem {
                        slug: item.slug.into(),
                        label: item.label.into(),
                        cited,
                        first: ranks.iter().filter(|r| **r == 1).count(),
                        mean_rank: (cited > 0).then(|| {
                            (ranks.iter().sum::<usize>() as f64 * 10.0 / cited as f64).round()
                                / 10.0
                        }),
                        points: ranks.iter().map(|r| total + 1 - r.min(&total)).sum(),
                    }
                })
                .collect();
            // Most points first; then most often first; then the questionnaire's order.
            ranked.sort_by(|a, b| b.points.cmp(&a.points).then(b.first.cmp(&a.first)));
            Tally::Ranking { items: ranked }
        }
        QuestionKind::Text(_) | QuestionKind::Contact => Tally::Given,
    };
    QuestionResult {
        id: question.id.into(),
        label: question.label.into(),
        answered,
        tally,
    }
}

// ----- what an answer changes on the place's entry -----

/// One field of a place's entry an answer would change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = ChangementDeFiche)]
pub struct PlaceChange {
    /// The field, as the place's page names it.
    #[serde(rename = "champ")]
    pub field: String,
    #[serde(rename = "avant")]
    pub before: String,
    #[serde(rename = "apres")]
    pub after: String,
}

fn yes_no_label(v: Option<bool>) -> String {
    match v {
        Some(true) => "oui".into(),
        Some(false) => "non".into(),
        None => "non renseigné".into(),
    }
}

fn domains_label(v: &[InterventionDomain]) -> String {
    if v.is_empty() {
        "aucun".into()
    } else {
        v.iter().map(|d| d.label()).collect::<Vec<_>>().join(", ")
    }
}

fn referent_label(r: Option<&Referent>) -> String {
    match r {
        None => "aucun".into(),
        Some(r) => {
            let mut parts = vec![r.name.clone()];
            parts.extend(r.role.clone());
            parts.extend(r.email.clone());
            parts.extend(r.phone.as_deref().map(crate::fields::phone_national));
            parts.join(" · ")
        }
    }
}

/// The place as the partner's answer describes it: wifi given (→ the service « Accès internet
/// et matériel informatique », added, never removed: a place may lend computers without wifi),
/// step-free access, fields of intervention (replaced when answered), referent (replaced when
/// given). Questions left blank change nothing.
pub fn apply_answers(place: &Place, answers: &Answers) -> Place {
    let mut out = place.clone();
    if answers.yes_no("wifi") == Some(true) && !out.services.contains(&Service::InternetAccess) {
        out.services.push(Service::InternetAccess);
        out.services.sort_unstable();
    }
    if let Some(v) = answers.yes_no("plain_pied") {
        out.extras.step_free_access = Some(v);
    }
    let domains: Vec<InterventionDomain> = answers
        .choices("domaines")
        .iter()
        .filter_map(|s| InterventionDomain::from_slug(s))
        .collect();
    if !domains.is_empty() {
        out.extras.intervention_domains = domains;
    }
    if let Some(Answer::Contact(r)) = answers.get("referent") {
        out.extras.referent = Some(r.clone());
    }
    out
}

/// What [`apply_answers`] would change, field by field (empty: the entry already says it).
pub fn place_changes(place: &Place, answers: &Answers) -> Vec<PlaceChange> {
    let after = apply_answers(place, answers);
    let mut changes = Vec::new();
    let has_internet = |p: &Place| p.services.contains(&Service::InternetAccess);
    if has_internet(place) != has_internet(&after) {
        changes.push(PlaceChange {
            field: format!("Services : {}", Service::InternetAccess.label()),
            before: "non proposé".into(),
            after: "proposé (wifi dans les locaux)".into(),
        });
    }
    if place.extras.step_free_access != after.extras.step_free_access {
        changes.push(PlaceChange {
            field: "Accès de plain-pied".into(),
            before: yes_no_label(place.extras.step_free_access),
            after: yes_no_label(after.extras.step_free_access),
        });
    }
    if place.extras.intervention_domains != after.extras.intervention_domains {
        changes.push(PlaceChange {
            field: "Domaines d'intervention".into(),
            before: domains_label(&place.extras.intervention_domains),
            after: domains_label(&after.extras.intervention_domains),
        });
    }
    if place.extras.referent != after.extras.referent {
        changes.push(PlaceChange {
            field: "Référent".into(),
            before: referent_label(place.extras.referent.as_ref()),
            after: referent_label(after.extras.referent.as_ref()),
        });
    }
    changes
}

// ----- equipment: needed against given -----

/// A partner's answer seen by the exchange: its place, where it is, what it needs and gives.
#[derive(Debug, Clone, PartialEq)]
pub struct Partner {
    pub answer_id: String,
    pub place_id: String,
    pub place_name: String,
    pub commune: String,
    pub location: Option<GeoPoint>,
    pub needs: Vec<String>,
    pub gives: Vec<String>,
}

impl Partner {
    pub fn from_answers(answer_id: &str, place: &Place, answers: &Answers) -> Partner {
        Partner {
            answer_id: answer_id.into(),
            place_id: place.id.clone(),
            place_name: place.name.clone(),
            commune: place.commune.clone(),
            location: place.location,
            needs: answers.choices("materiel_besoin").to_vec(),
            gives: answers.choices("materiel_don").to_vec(),
        }
    }
}

/// A possible exchange: who needs, who gives, what, how far apart.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct EquipmentMatch {
    pub equipment: String,
    pub equipment_label: String,
    pub need_answer: String,
    pub need_place: String,
    pub need_place_name: String,
    pub offer_answer: String,
    pub offer_place: String,
    pub offer_place_name: String,
    /// Straight-line kilometres (one decimal), when both places are located.
    pub km: Option<f64>,
}

/// How many givers are proposed for each need (the nearest).
pub const MATCHES_PER_NEED: usize = 3;

/// For each need of each partner, the nearest partners (other places) that give the same kind
/// of equipment, [`MATCHES_PER_NEED`] at most, nearest first (unlocated places last); the whole
/// list ordered by equipment, then distance.
pub fn match_equipment(partners: &[Partner]) -> Vec<EquipmentMatch> {
    let mut out = Vec::new();
    for need in partners {
        for kind in &need.needs {
            let mut offers: Vec<(&Partner, Option<f64>)> = partners
                .iter()
                .filter(|p| p.place_id != need.place_id && p.gives.contains(kind))
                .map(|p| {
                    let km = match (need.location, p.location) {
                        (Some(a), Some(b)) => Some((a.distance_m(b) / 100.0).round() / 10.0),
                        _ => None,
                    };
                    (p, km)
                })
                .collect();
            offers.sort_by(|a, b| {
                let key = |x: Option<f64>| x.unwrap_or(f64::INFINITY);
                key(a.1)
                    .total_cmp(&key(b.1))
                    .then(a.0.place_name.cmp(&b.0.place_name))
            });
            for (offer, km) in offers.into_iter().take(MATCHES_PER_NEED) {
                out.push(EquipmentMatch {
                    equipment: kind.clone(),
                    equipment_label: choice(EQUIPMENT, kind)
                        .map(|c| c.label)
                        .unwrap_or(kind)
                        .to_string(),
                    need_answer: need.answer_id.clone(),
                    need_place: need.place_id.clone(),
                    need_place_name: need.place_name.clone(),
                    offer_answer: offer.answer_id.clone(),
                    offer_place: offer.place_id.clone(),
                    offer_place_name: offer.place_name.clone(),
                    km,
                });
            }
        }
    }
    let rank = |slug: &str| {
        EQUIPMENT
            .iter()
            .position(|c| c.slug == slug)
            .unwrap_or(usize::MAX)
    };
    out.sort_by(|a, b| {
        rank(&a.equipment)
            .cmp(&rank(&b.equipment))
            .then(
                a.km.unwrap_or(f64::INFINITY)
                    .total_cmp(&b.km.unwrap_or(f64::INFINITY)),
            )
            .then(a.need_place_name.cmp(&b.need_place_name))
    });
    out
}

/// Where an exchange of equipment the coordinator follows stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub enum ExchangeStatus {
    /// The coordinator put the two partners in touch.
    #[serde(rename = "proposé")]
    Proposed,
    /// The equipment changed hands.
    #[serde(rename = "fait")]
    Done,
    /// It did not happen.
    #[serde(rename = "abandonné")]
    Dropped,
}

impl ExchangeStatus {
    pub const ALL: [ExchangeStatus; 3] = [
        ExchangeStatus::Proposed,
        ExchangeStatus::Done,
        ExchangeStatus::Dropped,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            ExchangeStatus::Proposed => "propose",
            ExchangeStatus::Done => "fait",
            ExchangeStatus::Dropped => "abandonne",
        }
    }

    pub fn from_slug(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.slug() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            ExchangeStatus::Proposed => "Mise en relation faite",
            ExchangeStatus::Done => "Matériel donné",
            ExchangeStatus::Dropped => "Abandonné",
        }
    }
}

/// The survey's figures, named as in `docs/INDICATORS.md` (section « Territoire »).
pub const INDICATORS: [(&str, &str, &str); 3] = [
    (
        "enquete-part-des-reponses",
        "Part des réponses (enquêtes du réseau)",
        "Pour chaque réponse proposée : nombre de questionnaires qui l'ont cochée, divisé par le \
         nombre de questionnaires qui ont répondu à la question (en pourcentage à une décimale ; \
         à choix multiples, les parts peuvent dépasser 100 % ensemble). Dans une grille, par \
         ligne. Les textes libres et les coordonnées ne sont que comptés.",
    ),
    (
        "enquete-classement-sites",
        "Classement des sites pour la formation",
        "Chaque partenaire numérote les sites par priorité (1 le plus important). Un site reçoit \
         (nombre de sites + 1 − rang) points par réponse : 11 points pour un rang 1 parmi 11 \
         sites. Classés par points, puis par nombre de rangs 1 ; avec le rang moyen et le \
         nombre de partenaires qui l'ont cité.",
    ),
    (
        "enquete-materiel",
        "Matériel demandé et donné",
        "Nombre de partenaires qui ont besoin de chaque type de matériel, et nombre qui peuvent \
         en donner. Chaque besoin est rapproché des trois partenaires les plus proches (à vol \
         d'oiseau, entre les lieux) qui donnent le même type ; le coordinateur suit les \
         échanges qu'il propose (mise en relation, matériel donné, abandonné).",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_domains_are_the_directory_s() {
        assert_eq!(DOMAINS.len(), InterventionDomain::ALL.len());
        for (c, d) in DOMAINS.iter().zip(InterventionDomain::ALL) {
            assert_eq!((c.slug, c.label), (d.slug(), d.label()));
        }
    }

    #[test]
    fn identifiers_are_unique_and_plain() {
        for kind in SurveyKind::ALL {
            let qn = kind.questionnaire();
            assert_eq!(qn.kind, kind);
            let mut ids: Vec<&str> = qn.questions().map(|q| q.id).collect();
            let n = ids.len();
            ids.sort_unstable();
            ids.dedup();
            assert_eq!(ids.len(), n, "{kind:?}");
            for q in qn.questions() {
                assert!(
                    q.id.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                    "{}",
                    q.id
                );
                let lists: Vec<&[Choice]> = match q.kind {
                    QuestionKind::Single(c)
                    | QuestionKind::Multiple(c)
                    | QuestionKind::Ranking(c) => vec![c],
                    QuestionKind::Grid { rows, columns } => vec![rows, columns],
                    _ => vec![],
                };
                for list in lists {
                    let mut slugs: Vec<&str> = list.iter().map(|c| c.slug).collect();
                    let n = slugs.len();
                    slugs.sort_unstable();
                    slugs.dedup();
                    assert_eq!(slugs.len(), n, "{}", q.id);
                    assert!(list.iter().all(|c| !c.slug.contains('.')));
                }
            }
        }
    }

    #[test]
    fn a_paper_answer_is_read_and_each_problem_named() {
        let a = parse_answers(
            &PARTNERS,
            &pairs(&[
                ("csrf", "x"),
                ("q.materiel_besoin", "ordinateur"),
                ("q.materiel_besoin", "imprimante"),
                ("q.wifi", "oui"),
                ("q.plain_pied", ""),
                ("q.sites_formation.caf", "2"),
                ("q.sites_formation.ameli", "1"),
                ("q.sites_formation.ants", ""),
                ("q.referent.nom", "Awa Diallo"),
                ("q.referent.telephone", "03 83 00 00 00"),
            ]),
        )
        .expect("valide");
        assert_eq!(a.choices("materiel_besoin"), ["ordinateur", "imprimante"]);
        assert_eq!(a.yes_no("wifi"), Some(true));
        assert_eq!(a.get("plain_pied"), None);
        assert_eq!(
            a.get("sites_formation"),
            Some(&Answer::Ranking(vec!["ameli".into(), "caf".into()]))
        );
        let Some(Answer::Contact(r)) = a.get("referent") else {
            panic!("contact")
        };
        assert_eq!(r.phone.as_deref(), Some("+33383000000"));

        let problems = parse_answers(
            &PARTNERS,
            &pairs(&[
                ("q.wifi", "peut-être"),
                ("q.sites_formation.caf", "1"),
                ("q.sites_formation.ameli", "1"),
                ("q.sites_formation.mars", "3"),
                ("q.referent.courriel", "pas une adresse"),
                ("q.inconnue", "x"),
            ]),
        )
        .expect_err("refusé");
        let text: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        assert!(
            text.iter()
                .any(|t| t.contains("répondez « oui » ou « non »")),
            "{text:?}"
        );
        assert!(
            text.iter()
                .any(|t| t.contains("le rang 1 est déjà donné à « CAF »")),
            "{text:?}"
        );
        assert!(
            text.iter().any(|t| t.contains("pas de ligne « mars »")),
            "{text:?}"
        );
        assert!(text.iter().any(|t| t.contains("courriel")), "{text:?}");
        assert!(
            text.iter()
                .any(|t| t.contains("le nom de la personne référente")),
            "{text:?}"
        );
        assert!(
            text.iter().any(|t| t.contains("pas dans le questionnaire")),
            "{text:?}"
        );
    }

    fn answers_of(qn: &'static Questionnaire) -> impl Strategy<Value = Answers> {
        let per_question: Vec<BoxedStrategy<Option<(String, Answer)>>> = qn
            .questions()
            .map(|q| {
                let id = q.id.to_string();
                let strategy: BoxedStrategy<Answer> = match q.kind {
                    QuestionKind::YesNo => any::<bool>().prop_map(Answer::YesNo).boxed(),
                    QuestionKind::Single(c) => (0..c.len())
                        .prop_map(move |i| Answer::Single(c[i].slug.into()))
                        .boxed(),
                    QuestionKind::Multiple(c) => {
                        proptest::sample::subsequence(c.to_vec(), 1..=c.len())
                            .prop_map(|v| {
                                Answer::Multiple(v.iter().map(|c| c.slug.to_string()).collect())
                            })
                            .boxed()
                    }
                    QuestionKind::Grid { rows, columns } => proptest::collection::btree_map(
                        (0..rows.len()).prop_map(move |i| rows[i].slug.to_string()),
                        (0..columns.len()).prop_map(move |i| columns[i].slug.to_string()),
                        1..=rows.len(),
                    )
                    .prop_map(Answer::Grid)
                    .boxed(),
                    QuestionKind::Ranking(c) => {
                        proptest::sample::subsequence(c.to_vec(), 1..=c.len())
                            .prop_shuffle()
                            .prop_map(|v| {
                                Answer::Ranking(v.iter().map(|c| c.slug.to_string()).collect())
                            })
                            .boxed()
                    }
                    QuestionKind::Text(_) => "[a-zA-Zéà ,.'\n-]{0,80}[a-z]"
                        .prop_map(|s| Answer::Text(clean_text(&s)))
                        .boxed(),
                    QuestionKind::Contact => ("[A-Z][a-z]{1,12} [A-Z][a-z]{1,12}", any::<bool>())
                        .prop_map(|(name, with_mail)| {
                            Answer::Contact(Referent {
                                name,
                                role: None,
                                email: with_mail.then(|| "referent@exemple.fr".to_string()),
                                phone: Some("+33383000000".into()),
                            })
                        })
                        .boxed(),
                };
                proptest::option::of(strategy.prop_map(move |a| (id.clone(), a))).boxed()
            })
            .collect();
        per_question.prop_map(|v| Answers(v.into_iter().flatten().collect()))
    }

    proptest! {
        #[test]
        fn the_fields_of_an_answer_read_back_to_it(a in answers_of(&PUBLIC), b in answers_of(&PARTNERS)) {
            for (qn, answers) in [(&PUBLIC, &a), (&PARTNERS, &b)] {
                let fields = answer_fields(qn, answers);
                prop_assert_eq!(&parse_answers(qn, &fields).expect("relu"), answers);
            }
        }

        #[test]
        fn any_fields_are_read_or_refused_without_panic(fields in proptest::collection::vec(("q\\.[a-z_]{1,20}(\\.[a-z-]{1,12})?", ".{0,30}"), 0..40)) {
            let _ = parse_answers(&PARTNERS, &fields);
            let _ = parse_answers(&PUBLIC, &fields);
        }

        #[test]
        fn counts_never_exceed_the_answers(list in proptest::collection::vec(answers_of(&PUBLIC), 0..20)) {
            let refs: Vec<&Answers> = list.iter().collect();
            for section in tally(&PUBLIC, &refs) {
                for q in section.questions {
                    prop_assert!(q.answered <= list.len());
                    match q.tally {
                        Tally::Choices { counts } => for c in counts {
                            prop_assert!(c.count <= q.answered);
                            prop_assert!((0.0..=100.0).contains(&c.share));
                        },
                        Tally::Grid { lines, .. } => for l in lines {
                            prop_assert!(l.answered <= q.answered);
                            prop_assert_eq!(l.cells.iter().map(|c| c.count).sum::<usize>(), l.answered);
                        },
                        Tally::Ranking { .. } | Tally::Given => {}
                    }
                }
            }
        }
    }

    #[test]
    fn the_ranking_gives_points_by_rank() {
        let one = |v: &[&str]| {
            let mut m = BTreeMap::new();
            m.insert(
                "sites_formation".to_string(),
                Answer::Ranking(v.iter().map(|s| s.to_string()).collect()),
            );
            Answers(m)
        };
        let answers = [
            one(&["caf", "ameli"]),
            one(&["ameli"]),
            one(&["impots", "caf"]),
        ];
        let refs: Vec<&Answers> = answers.iter().collect();
        let results = tally(&PARTNERS, &refs);
        let q = results
            .iter()
            .flat_map(|s| &s.questions)
            .find(|q| q.id == "sites_formation")
            .expect("question");
        let Tally::Ranking { items } = &q.tally else {
            panic!("classement")
        };
        // ameli: 10 + 11 = 21; caf: 11 + 10 = 21 (one first each; questionnaire order keeps caf
        // first); impots: 11.
        let top: Vec<(&str, usize, usize)> = items
            .iter()
            .take(3)
            .map(|i| (i.slug.as_str(), i.points, i.cited))
            .collect();
        assert_eq!(top, [("caf", 21, 2), ("ameli", 21, 2), ("impots", 11, 1)]);
        assert_eq!(items[0].mean_rank, Some(1.5));
        assert_eq!(q.answered, 3);
    }

    fn place(id: &str, lat: f64, lon: f64) -> Place {
        let mut p = Place::new(
            id,
            format!("Lieu {id}"),
            "1 rue A",
            "54000",
            "Nancy",
            chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("date"),
        );
        p.location = Some(GeoPoint { lat, lon });
        p
    }

    #[test]
    fn an_answer_proposes_changes_to_the_place_and_applies_them() {
        let p = place("a", 48.69, 6.18);
        let answers = parse_answers(
            &PARTNERS,
            &pairs(&[
                ("q.wifi", "oui"),
                ("q.plain_pied", "non"),
                ("q.domaines", "emploi"),
                ("q.domaines", "sante"),
                ("q.referent.nom", "Awa Diallo"),
                ("q.referent.courriel", "awa@exemple.fr"),
            ]),
        )
        .expect("valide");
        let changes = place_changes(&p, &answers);
        let fields: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "Services : Accès internet et matériel informatique",
                "Accès de plain-pied",
                "Domaines d'intervention",
                "Référent"
            ]
        );
        let after = apply_answers(&p, &answers);
        assert!(after.services.contains(&Service::InternetAccess));
        assert_eq!(after.extras.step_free_access, Some(false));
        assert_eq!(
            after.extras.intervention_domains,
            [InterventionDomain::Employment, InterventionDomain::Health]
        );
        // Applied, nothing is left to change; « no wifi » never removes the service.
        assert!(place_changes(&after, &answers).is_empty());
        let no_wifi = parse_answers(&PARTNERS, &pairs(&[("q.wifi", "non")])).expect("valide");
        assert!(place_changes(&after, &no_wifi).is_empty());
    }

    #[test]
    fn a_need_meets_the_nearest_givers() {
        let partner = |id: &str, lat: f64, needs: &[&str], gives: &[&str]| Partner {
            answer_id: format!("r-{id}"),
            place_id: id.into(),
            place_name: format!("Lieu {id}"),
            commune: "Nancy".into(),
            location: Some(GeoPoint { lat, lon: 6.18 }),
            needs: needs.iter().map(|s| s.to_string()).collect(),
            gives: gives.iter().map(|s| s.to_string()).collect(),
        };
        let partners = [
            partner("a", 48.69, &["ordinateur"], &["imprimante"]),
            partner("b", 48.80, &[], &["ordinateur"]),
            partner("c", 48.70, &[], &["ordinateur", "imprimante"]),
            partner("d", 49.50, &["imprimante"], &[]),
            partner("e", 48.60, &[], &["ordinateur"]),
            partner("f", 48.00, &[], &["ordinateur"]),
        ];
        let m = match_equipment(&partners);
        let computers: Vec<(&str, &str, Option<f64>)> = m
            .iter()
            .filter(|m| m.equipment == "ordinateur")
            .map(|m| (m.need_place.as_str(), m.offer_place.as_str(), m.km))
            .collect();
        // The three nearest givers, nearest first: c (1.1 km), e (10 km), b (12.2 km).
        assert_eq!(
            computers.iter().map(|c| c.1).collect::<Vec<_>>(),
            ["c", "e", "b"]
        );
        assert_eq!(computers[0].2, Some(1.1));
        // The printer: d needs one, a and c give; never one's own.
        let printers: Vec<&str> = m
            .iter()
            .filter(|m| m.equipment == "imprimante")
            .map(|m| m.offer_place.as_str())
            .collect();
        assert_eq!(printers, ["c", "a"]);
        assert!(m.iter().all(|m| m.need_place != m.offer_place));
    }

    #[test]
    fn personal_data_can_be_dropped_from_an_answer() {
        let a = parse_answers(
            &PARTNERS,
            &pairs(&[
                ("q.wifi", "oui"),
                ("q.materiel_besoin_detail", "deux postes"),
                ("q.referent.nom", "Awa Diallo"),
            ]),
        )
        .expect("valide");
        let kept = a.without_personal_data();
        assert_eq!(kept.yes_no("wifi"), Some(true));
        assert_eq!(kept.0.len(), 1);
    }
}
