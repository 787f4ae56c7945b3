//! Indicators of activity — issue #7. Each indicator is defined once here: its identifier, its
//! French title, its definition (the text of `docs/INDICATORS.md`, generated from
//! [`markdown`]) and the code that computes it. Pages, XLSX and CSV exports, the API and the
//! CLI all read the same [`Statistics`].
//!
//! The figures are computed from a [`Cube`]: a compact, columnar projection of the activity
//! records kept in memory by the adapter and updated at each write, so that a dashboard over
//! millions of records is one pass over plain numbers (see ADR 0016). The cube holds no
//! personal data: persons are numbers, with their age bracket, gender, social status and
//! commune at most.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use crate::activity::{
    Activity, ActivityKind, AgeBracket, Autonomy, Equipment, Gender, ProcedureOutcome,
    ProcedureTheme, Profile, Redirection, SocialStatus, Venue,
};
use crate::diagnostic::Level;
use crate::referrals::ReferralStatus;
use crate::vocab::{MediationTheme, Vocabulary};

/// An indicator: what it counts, in words, once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Indicator {
    Records,
    Accompaniments,
    Persons,
    FollowedPersons,
    NewPersons,
    AnonymousPersons,
    Hours,
    WorkshopSessions,
    WorkshopParticipants,
    ParticipantsPerSession,
    Oriented,
    ByKind,
    ByMonth,
    Themes,
    ProcedureThemes,
    ProcedureNames,
    ProcedureOutcomes,
    Equipment,
    Durations,
    Venues,
    Places,
    Communes,
    Ages,
    Genders,
    SocialStatuses,
    Autonomy,
    Redirections,
    ReferralOutcomes,
    Helpers,
}

impl Indicator {
    /// Headline figures, in the order shown.
    pub const FIGURES: [Indicator; 11] = [
        Indicator::Records,
        Indicator::Accompaniments,
        Indicator::Persons,
        Indicator::FollowedPersons,
        Indicator::NewPersons,
        Indicator::AnonymousPersons,
        Indicator::Hours,
        Indicator::WorkshopSessions,
        Indicator::WorkshopParticipants,
        Indicator::ParticipantsPerSession,
        Indicator::Oriented,
    ];
    /// Tables, in the order shown.
    pub const TABLES: [Indicator; 18] = [
        Indicator::ByKind,
        Indicator::ByMonth,
        Indicator::Themes,
        Indicator::ProcedureThemes,
        Indicator::ProcedureNames,
        Indicator::ProcedureOutcomes,
        Indicator::Equipment,
        Indicator::Durations,
        Indicator::Venues,
        Indicator::Places,
        Indicator::Communes,
        Indicator::Ages,
        Indicator::Genders,
        Indicator::SocialStatuses,
        Indicator::Autonomy,
        Indicator::Redirections,
        Indicator::ReferralOutcomes,
        Indicator::Helpers,
    ];

    /// Stable identifier (API keys, XLSX sheet names, CSV column).
    pub fn id(self) -> &'static str {
        self.meta().0
    }
    /// French title.
    pub fn title(self) -> &'static str {
        self.meta().1
    }
    /// French definition: what is counted, and how.
    pub fn definition(self) -> &'static str {
        self.meta().2
    }

    fn meta(self) -> (&'static str, &'static str, &'static str) {
        use Indicator::*;
        match self {
            Records => (
                "activites",
                "Activités enregistrées",
                "Nombre de comptes rendus : un par accompagnement individuel, par aide à une démarche et par séance d'atelier collectif.",
            ),
            Accompaniments => (
                "accompagnements",
                "Accompagnements",
                "Comme l'outil national : une personne accompagnée une fois. Un accompagnement individuel ou une démarche compte 1 ; un atelier compte autant que de participants (suivis et anonymes).",
            ),
            Persons => (
                "personnes",
                "Personnes accompagnées",
                "Personnes suivies distinctes, plus chaque participation anonyme. Une personne suivie venue en atelier et en accompagnement individuel compte une fois ; une personne anonyme ne peut pas être reconnue d'une fois sur l'autre et compte à chaque venue.",
            ),
            FollowedPersons => (
                "personnes-suivies",
                "Personnes suivies",
                "Personnes suivies par la structure (avec leur accord) présentes dans au moins une activité de la période, comptées une fois.",
            ),
            NewPersons => (
                "nouvelles-personnes",
                "Nouvelles personnes suivies",
                "Personnes suivies dont la toute première activité enregistrée tombe dans la période.",
            ),
            AnonymousPersons => (
                "participations-anonymes",
                "Participations anonymes",
                "Personnes non suivies, comptées à chaque activité (une par accompagnement individuel ou démarche anonyme, le nombre de participants anonymes d'un atelier).",
            ),
            Hours => (
                "heures",
                "Heures d'accompagnement",
                "Somme des durées des activités, en heures (un atelier de 2 h compte 2 h, quel que soit le nombre de participants).",
            ),
            WorkshopSessions => (
                "seances-collectives",
                "Séances d'ateliers collectifs",
                "Nombre de comptes rendus d'ateliers collectifs.",
            ),
            WorkshopParticipants => (
                "participants-ateliers",
                "Participants aux ateliers",
                "Somme des participants (suivis et anonymes) des séances d'ateliers collectifs.",
            ),
            ParticipantsPerSession => (
                "participants-par-seance",
                "Participants par séance",
                "Participants aux ateliers divisés par le nombre de séances, arrondi au dixième.",
            ),
            Oriented => (
                "orientations",
                "Personnes orientées",
                "Activités à l'issue desquelles la personne a été orientée vers une autre structure (catégorie d'orientation renseignée, orientation envoyée depuis Maillage ou démarche « orientée »).",
            ),
            ByKind => (
                "types",
                "Activités par type",
                "Nombre d'activités par type : accompagnement individuel, atelier collectif, aide aux démarches administratives.",
            ),
            ByMonth => (
                "mois",
                "Activités par mois",
                "Nombre d'activités par mois de la période.",
            ),
            Themes => (
                "thematiques",
                "Thématiques",
                "Nombre d'activités par thématique de médiation numérique (vocabulaire national). Une activité peut avoir plusieurs thématiques : la somme dépasse le total.",
            ),
            ProcedureThemes => (
                "thematiques-demarches",
                "Domaines des démarches",
                "Nombre d'activités par domaine de démarche administrative (vocabulaire national). Plusieurs domaines possibles par activité.",
            ),
            ProcedureNames => (
                "demarches",
                "Démarches les plus accompagnées",
                "Les 15 noms de démarches les plus fréquents (casse et espaces ignorés), en nombre d'activités.",
            ),
            ProcedureOutcomes => (
                "finalisation",
                "Finalisation des démarches",
                "Aides aux démarches par degré de finalisation (finalisée, à finaliser seule, doit revenir, orientée).",
            ),
            Equipment => (
                "materiel",
                "Matériel utilisé",
                "Nombre d'activités par matériel utilisé. Plusieurs matériels possibles par activité.",
            ),
            Durations => (
                "durees",
                "Durées",
                "Nombre d'activités par tranche de durée : 30 min ou moins, de 31 min à 1 h, de 1 h 01 à 1 h 30, de 1 h 31 à 2 h, plus de 2 h.",
            ),
            Venues => (
                "lieux-types",
                "Où ont eu lieu les activités",
                "Nombre d'activités par type de lieu : lieu d'activité, domicile de la personne, à distance, autre lieu.",
            ),
            Places => (
                "lieux",
                "Lieux d'activité",
                "Les 20 lieux de l'annuaire où ont eu lieu le plus d'activités.",
            ),
            Communes => (
                "communes",
                "Communes de résidence",
                "Personnes (suivies comptées une fois, anonymes à chaque venue) par commune de résidence, les 20 premières ; « non renseignée » quand la commune n'est pas dite.",
            ),
            Ages => (
                "ages",
                "Tranches d'âge",
                "Personnes par tranche d'âge (suivies comptées une fois, participations anonymes à chaque venue) ; « non renseigné » quand l'âge n'est pas dit.",
            ),
            Genders => (
                "genres",
                "Genre",
                "Personnes par genre, comptées comme les tranches d'âge.",
            ),
            SocialStatuses => (
                "statuts",
                "Statut social",
                "Personnes par statut social, comptées comme les tranches d'âge.",
            ),
            Autonomy => (
                "autonomie",
                "Autonomie de la personne",
                "Accompagnements individuels et démarches par degré d'autonomie : fait à la place, fait avec, fait seule.",
            ),
            Redirections => (
                "orientations-categories",
                "Vers qui les personnes ont été orientées",
                "Activités orientées par catégorie de structure (vocabulaire national).",
            ),
            ReferralOutcomes => (
                "suites-orientations",
                "Suites des orientations envoyées",
                "Orientations envoyées depuis Maillage et liées à une activité, par statut actuel (prise en charge, déclinée, personne pas venue…).",
            ),
            Helpers => (
                "intervenants",
                "Activités par intervenant",
                "Nombre d'activités par personne qui les a enregistrées.",
            ),
        }
    }

    pub fn from_id(id: &str) -> Option<Self> {
        Self::FIGURES
            .into_iter()
            .chain(Self::TABLES)
            .find(|i| i.id() == id)
    }
}

/// The definitions as Markdown: `docs/INDICATORS.md` is this text (a test checks it).
pub fn markdown() -> String {
    let mut out = String::from(
        "# Indicateurs d'activité\n\n\
         Ce fichier est produit par `maillage indicateurs` à partir des définitions du code \
         (`crates/domain/src/indicators.rs`) ; les pages, les exports XLSX et CSV, l'API \
         (`/api/v1/statistiques`) et la commande `maillage stats` utilisent ces mêmes \
         définitions. Les filtres (période, type, thématique, lieu, commune, intervenant, \
         niveau, étiquette, structure) s'appliquent à tous.\n\n## Chiffres clés\n\n\
         | Identifiant | Indicateur | Définition |\n|---|---|---|\n",
    );
    for i in Indicator::FIGURES {
        out.push_str(&format!(
            "| `{}` | {} | {} |\n",
            i.id(),
            i.title(),
            i.definition()
        ));
    }
    out.push_str("\n## Tableaux\n\n| Identifiant | Tableau | Définition |\n|---|---|---|\n");
    for i in Indicator::TABLES {
        out.push_str(&format!(
            "| `{}` | {} | {} |\n",
            i.id(),
            i.title(),
            i.definition()
        ));
    }
    out.push_str(
        "\n## Impact (page « Impact »)\n\n\
         Questionnaire avant/après, progression mesurée par les diagnostics et typologie des \
         personnes (`crates/domain/src/impact.rs`).\n\n\
         | Identifiant | Tableau | Définition |\n|---|---|---|\n",
    );
    for (id, title, definition) in crate::impact::IMPACT_TABLES {
        out.push_str(&format!("| `{id}` | {title} | {definition} |\n"));
    }
    out.push_str(
        "\n## Offre du territoire (page « L'offre du territoire »)\n\n\
         Part des structures de la portée qui proposent chaque offre, d'après l'annuaire, \
         d'après l'activité enregistrée dans la période, et l'un ou l'autre \
         (`crates/domain/src/offer.rs`).\n\n\
         | Identifiant | Offre | Définition |\n|---|---|---|\n",
    );
    for o in crate::offer::Offer::ALL {
        out.push_str(&format!(
            "| `{}` | {} | {} |\n",
            o.slug(),
            o.label(),
            o.definition()
        ));
    }
    out
}

/// A headline figure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figure {
    pub indicator: Indicator,
    pub value: f64,
}

/// A table: rows of (key, label, value); `base` is what shares are computed against.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table {
    pub indicator: Indicator,
    pub base: u64,
    pub rows: Vec<Row>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    pub key: String,
    pub label: String,
    pub value: u64,
}

impl Table {
    /// Share of a row in the base, in percent with one decimal.
    pub fn share(&self, value: u64) -> f64 {
        if self.base == 0 {
            0.0
        } else {
            (value as f64 * 1000.0 / self.base as f64).round() / 10.0
        }
    }
}

/// Every indicator for a filter.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Statistics {
    pub figures: Vec<Figure>,
    pub tables: Vec<Table>,
}

/// What a structure's public link opens: its statistics, or its before/after survey form. Each
/// structure has at most one live link per purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SharePurpose {
    /// `/statistiques/publiques/{token}`: the aggregated statistics, no person's data.
    Statistics,
    /// `/enquete/{token}`: the survey a person fills in alone.
    Survey,
}

impl SharePurpose {
    /// The name stored beside the link.
    pub fn as_str(self) -> &'static str {
        match self {
            SharePurpose::Statistics => "statistiques",
            SharePurpose::Survey => "enquete",
        }
    }
}

/// Public statistics links: a cell counting fewer than this many is never shown alone.
pub const SMALL_CELL: u64 = 5;
/// Public statistics links: the period shown spans at least this many days.
pub const PUBLIC_MIN_DAYS: i64 = 28;

impl Statistics {
    /// What a public link shows (no account, anyone holding the link): no table of helpers or
    /// of procedures' names (free text written by helpers), and in every table the rows
    /// counting fewer than [`SMALL_CELL`] are grouped into one « Autres (moins de 5 chacun) »
    /// row — or left out when, together, they are still fewer than [`SMALL_CELL`] — so that no
    /// small group of people can be singled out.
    pub fn for_public(mut self) -> Statistics {
        self.tables
            .retain(|t| !matches!(t.indicator, Indicator::Helpers | Indicator::ProcedureNames));
        for t in &mut self.tables {
            let small: u64 = t
                .rows
                .iter()
                .filter(|r| r.value > 0 && r.value < SMALL_CELL)
                .map(|r| r.value)
                .sum();
            if small == 0 {
                continue;
            }
            t.rows.retain(|r| r.value == 0 || r.value >= SMALL_CELL);
            if small >= SMALL_CELL {
                t.rows.push(Row {
                    key: "autres".into(),
                    label: format!("Autres (moins de {SMALL_CELL} chacun)"),
                    value: small,
                });
            }
        }
        self
    }

    pub fn figure(&self, i: Indicator) -> f64 {
        self.figures
            .iter()
            .find(|f| f.indicator == i)
            .map(|f| f.value)
            .unwrap_or(0.0)
    }
    pub fn table(&self, i: Indicator) -> Option<&Table> {
        self.tables.iter().find(|t| t.indicator == i)
    }
    /// Names entities (places, communes, helpers) whose rows hold identifiers.
    pub fn relabel(&mut self, i: Indicator, mut name: impl FnMut(&str) -> Option<String>) {
        if let Some(t) = self.tables.iter_mut().find(|t| t.indicator == i) {
            for row in &mut t.rows {
                if let Some(n) = name(&row.key) {
                    row.label = n;
                }
            }
        }
    }
}

/// Filters shared by pages, exports, API and CLI. Empty lists mean « all ».
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub kinds: Vec<ActivityKind>,
    pub themes: Vec<MediationTheme>,
    pub places: Vec<String>,
    /// INSEE codes of the commune where the activity took place.
    pub communes: Vec<String>,
    /// Ids of helpers (users).
    pub helpers: Vec<String>,
    pub levels: Vec<Level>,
    pub tags: Vec<String>,
    /// Ids of organisations (also used to bound what a viewer may see).
    pub organisations: Vec<String>,
}

/// A filter parameter that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("filtre « {key} » : {reason}")]
pub struct FilterError {
    pub key: String,
    pub reason: String,
}

impl Filter {
    /// The filter of a public link: the period (at least [`PUBLIC_MIN_DAYS`] days, `today`
    /// closing an open period), the kinds and the themes; no place, commune, helper, level or
    /// tag, which could narrow the figures down to a few people.
    pub fn for_public(self, today: NaiveDate) -> Result<Filter, FilterError> {
        if let Some(from) = self.from {
            let to = self.to.unwrap_or(today);
            if (to - from).num_days() + 1 < PUBLIC_MIN_DAYS {
                return Err(FilterError {
                    key: "du".into(),
                    reason: format!(
                        "un lien public montre une période de {PUBLIC_MIN_DAYS} jours au moins"
                    ),
                });
            }
        }
        Ok(Filter {
            from: self.from,
            to: self.to,
            kinds: self.kinds,
            themes: self.themes,
            organisations: self.organisations,
            ..Filter::default()
        })
    }

    /// Reads filters from `key=value` pairs (query string, CLI flags): `du`, `au`, `type`,
    /// `thematique`, `lieu`, `commune`, `intervenant`, `niveau`, `etiquette`, `structure`;
    /// repeated keys add values. Unknown keys are ignored (pages carry other parameters).
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, FilterError> {
        let mut f = Filter::default();
        let err = |key: &str, reason: String| FilterError {
            key: key.to_string(),
            reason,
        };
        for (key, value) in pairs {
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            match key {
                "du" | "au" => {
                    let d = crate::activity::parse_date(value).ok_or_else(|| {
                        err(key, format!("« {value} » : date attendue (2026-01-31)"))
                    })?;
                    if key == "du" {
                        f.from = Some(d);
                    } else {
                        f.to = Some(d);
                    }
                }
                "type" => f.kinds.push(
                    ActivityKind::parse(value)
                        .ok_or_else(|| err(key, format!("« {value} » : type inconnu")))?,
                ),
                "thematique" => f.themes.push(
                    MediationTheme::parse(value)
                        .ok_or_else(|| err(key, format!("« {value} » : thématique inconnue")))?,
                ),
                "niveau" => f.levels.push(
                    Level::from_slug(value)
                        .or_else(|| Level::parse(value))
                        .ok_or_else(|| err(key, format!("« {value} » : niveau inconnu")))?,
                ),
                "lieu" => f.places.push(value.to_string()),
                "commune" => f.communes.push(value.to_string()),
                "intervenant" => f.helpers.push(value.to_string()),
                "etiquette" => f.tags.push(value.to_string()),
                "structure" => f.organisations.push(value.to_string()),
                _ => {}
            }
        }
        if let (Some(from), Some(to)) = (f.from, f.to)
            && from > to
        {
            return Err(err(
                "au",
                "la fin de la période précède son début".to_string(),
            ));
        }
        Ok(f)
    }

    /// The filter as `key=value` pairs, for links and exports.
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(d) = self.from {
            out.push(("du", d.to_string()));
        }
        if let Some(d) = self.to {
            out.push(("au", d.to_string()));
        }
        out.extend(self.kinds.iter().map(|k| ("type", k.slug().to_string())));
        out.extend(
            self.themes
                .iter()
                .map(|k| ("thematique", k.slug().to_string())),
        );
        out.extend(self.places.iter().map(|k| ("lieu", k.clone())));
        out.extend(self.communes.iter().map(|k| ("commune", k.clone())));
        out.extend(self.helpers.iter().map(|k| ("intervenant", k.clone())));
        out.extend(self.levels.iter().map(|k| ("niveau", k.slug().to_string())));
        out.extend(self.tags.iter().map(|k| ("etiquette", k.clone())));
        out.extend(self.organisations.iter().map(|k| ("structure", k.clone())));
        out
    }

    /// Whether an activity passes the filter (used to stream exports of records).
    pub fn accepts(&self, a: &Activity, organisation_id: &str, helper_id: Option<&str>) -> bool {
        let any = |list: &[String], v: Option<&str>| {
            list.is_empty() || v.is_some_and(|v| list.iter().any(|l| l == v))
        };
        self.from.is_none_or(|d| a.date >= d)
            && self.to.is_none_or(|d| a.date <= d)
            && (self.kinds.is_empty() || self.kinds.contains(&a.kind))
            && (self.themes.is_empty() || a.themes.iter().any(|t| self.themes.contains(t)))
            && any(&self.places, a.place_id.as_deref())
            && any(&self.communes, a.insee_code.as_deref())
            && any(&self.helpers, helper_id)
            && (self.levels.is_empty() || a.level.is_some_and(|l| self.levels.contains(&l)))
            && (self.tags.is_empty() || a.tags.iter().any(|t| self.tags.contains(t)))
            && any(&self.organisations, Some(organisation_id))
    }
}

/// Interned strings: 0 means « none ».
#[derive(Debug, Clone, Default)]
struct Dictionary {
    keys: Vec<String>,
    index: HashMap<String, u32>,
}

impl Dictionary {
    fn intern(&mut self, key: Option<&str>) -> u32 {
        let Some(key) = key.filter(|k| !k.is_empty()) else {
            return 0;
        };
        if let Some(&i) = self.index.get(key) {
            return i;
        }
        self.keys.push(key.to_string());
        let i = self.keys.len() as u32;
        self.index.insert(key.to_string(), i);
        i
    }
    fn get(&self, key: &str) -> Option<u32> {
        self.index.get(key).copied()
    }
    fn key(&self, i: u32) -> &str {
        i.checked_sub(1)
            .and_then(|i| self.keys.get(i as usize))
            .map(String::as_str)
            .unwrap_or("")
    }
    fn len(&self) -> usize {
        self.keys.len() + 1
    }
}

const NONE: u8 = u8::MAX;
/// Positions of the kinds in [`ActivityKind::ALL`].
const INDIVIDUAL: usize = 0;
const COLLECTIVE: u8 = 1;
const PROCEDURE: usize = 2;

fn index_of<V: Vocabulary>(v: Option<V>) -> u8 {
    v.and_then(|v| V::ALL.iter().position(|x| *x == v))
        .map(|i| i as u8)
        .unwrap_or(NONE)
}

fn mask<V: Vocabulary>(values: &[V]) -> u32 {
    values
        .iter()
        .filter_map(|v| V::ALL.iter().position(|x| x == v))
        .fold(0, |m, i| m | (1 << i))
}

/// One activity, as numbers.
#[derive(Debug, Clone, Copy)]
struct Fact {
    day: i32,
    month: u16,
    duration: u16,
    org: u32,
    helper: u32,
    place: u32,
    commune: u32,
    procedure: u32,
    referral: u32,
    themes: u32,
    procedures: u16,
    kind: u8,
    venue: u8,
    equipment: u8,
    autonomy: u8,
    outcome: u8,
    redirection: u8,
    level: u8,
    oriented: bool,
    live: bool,
    persons: (u32, u16),
    tags: (u32, u16),
    /// Index in `groups`, or `u32::MAX` when every participant is followed.
    group: u32,
}

/// Anonymous participants of one activity, as numbers.
#[derive(Debug, Clone, Copy, Default)]
struct GroupFact {
    total: u32,
    ages: [u32; 6],
    genders: [u32; 2],
    statuses: [u32; 4],
    commune: u32,
}

#[derive(Debug, Clone, Copy, Default)]
struct PersonFact {
    age: u8,
    gender: u8,
    status: u8,
    commune: u32,
    /// First day the person appears in any activity (`i32::MAX`: none).
    first_day: i32,
}

/// An activity with where it belongs, to put in the cube.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    /// A unique, stable number for the record (the adapter derives it from its id).
    pub key: u128,
    pub activity: &'a Activity,
    pub organisation_id: &'a str,
    pub helper_id: Option<&'a str>,
}

/// The activity records as columns of numbers (see the module's documentation).
#[derive(Debug, Clone, Default)]
pub struct Cube {
    keys: Vec<u128>,
    facts: Vec<Fact>,
    person_refs: Vec<u32>,
    tag_refs: Vec<u32>,
    groups: Vec<GroupFact>,
    persons: Vec<PersonFact>,
    person_ids: Dictionary,
    orgs: Dictionary,
    helpers: Dictionary,
    places: Dictionary,
    communes: Dictionary,
    procedures: Dictionary,
    tags: Dictionary,
    referrals: Dictionary,
    referral_status: Vec<u8>,
    live: usize,
}

impl Cube {
    /// Number of activities in the cube.
    pub fn len(&self) -> usize {
        self.live
    }
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Records what is known of a followed person (before or after their activities).
    pub fn set_person(&mut self, person_id: &str, profile: &Profile) {
        let i = self.person_ids.intern(Some(person_id)) as usize;
        let commune = self.communes.intern(profile.commune.as_deref());
        if self.persons.len() <= i {
            self.persons.resize(
                i + 1,
                PersonFact {
                    first_day: i32::MAX,
                    ..Default::default()
                },
            );
        }
        let p = &mut self.persons[i];
        p.age = index_of(profile.age);
        p.gender = index_of(profile.gender);
        p.status = index_of(profile.status);
        p.commune = commune;
    }

    fn person(&mut self, person_id: &str) -> u32 {
        let i = self.person_ids.intern(Some(person_id));
        if self.persons.len() <= i as usize {
            self.persons.resize(
                i as usize + 1,
                PersonFact {
                    age: NONE,
                    gender: NONE,
                    status: NONE,
                    commune: 0,
                    first_day: i32::MAX,
                },
            );
        }
        i
    }

    /// Records the current status of a referral of issue #6.
    pub fn set_referral_status(&mut self, referral_id: &str, status: ReferralStatus) {
        let i = self.referrals.intern(Some(referral_id)) as usize;
        if self.referral_status.len() <= i {
            self.referral_status.resize(i + 1, NONE);
        }
        self.referral_status[i] = index_of(Some(status));
    }

    /// Adds or replaces an activity.
    pub fn upsert(&mut self, entry: Entry<'_>) {
        let a = entry.activity;
        let persons_start = self.person_refs.len() as u32;
        for p in &a.persons {
            let i = self.person(p);
            self.person_refs.push(i);
            let day = a.date.num_days_from_ce();
            let first = &mut self.persons[i as usize].first_day;
            *first = (*first).min(day);
        }
        let tags_start = self.tag_refs.len() as u32;
        for t in &a.tags {
            let i = self.tags.intern(Some(t));
            self.tag_refs.push(i);
        }
        let group = if a.anonymous.total > 0 {
            let g = &a.anonymous;
            let mut fact = GroupFact {
                total: g.total,
                commune: self.communes.intern(g.commune.as_deref()),
                ..Default::default()
            };
            for (i, v) in AgeBracket::ALL.iter().enumerate() {
                fact.ages[i] = g.ages.get(*v);
            }
            for (i, v) in Gender::ALL.iter().enumerate() {
                fact.genders[i] = g.genders.get(*v);
            }
            for (i, v) in SocialStatus::ALL.iter().enumerate() {
                fact.statuses[i] = g.statuses.get(*v);
            }
            self.groups.push(fact);
            (self.groups.len() - 1) as u32
        } else {
            u32::MAX
        };
        let procedure_key = a
            .procedure_name
            .as_deref()
            .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "));
        let procedure = self.procedures.intern(procedure_key.as_deref());
        let fact = Fact {
            day: a.date.num_days_from_ce(),
            month: ((a.date.year() - 2000).max(0) * 12 + a.date.month0() as i32) as u16,
            duration: a.duration_minutes,
            org: self.orgs.intern(Some(entry.organisation_id)),
            helper: self.helpers.intern(entry.helper_id),
            place: self.places.intern(a.place_id.as_deref()),
            commune: self.communes.intern(a.insee_code.as_deref()),
            procedure,
            referral: self.referrals.intern(a.referral_id.as_deref()),
            themes: mask(&a.themes),
            procedures: mask(&a.procedure_themes) as u16,
            kind: index_of(Some(a.kind)),
            venue: index_of(Some(a.venue)),
            equipment: mask(&a.equipment) as u8,
            autonomy: index_of(a.autonomy),
            outcome: index_of(a.outcome),
            redirection: index_of(a.redirection),
            level: a.level.map(|l| l.number()).unwrap_or(0),
            oriented: a.oriented(),
            live: true,
            persons: (persons_start, a.persons.len() as u16),
            tags: (tags_start, a.tags.len() as u16),
            group,
        };
        match self.keys.binary_search(&entry.key) {
            Ok(i) => {
                if !self.facts[i].live {
                    self.live += 1;
                }
                self.facts[i] = fact;
            }
            Err(i) => {
                self.keys.insert(i, entry.key);
                self.facts.insert(i, fact);
                self.live += 1;
            }
        }
    }

    /// Removes an activity (kept as a tombstone until the cube is rebuilt).
    pub fn remove(&mut self, key: u128) {
        if let Ok(i) = self.keys.binary_search(&key)
            && self.facts[i].live
        {
            self.facts[i].live = false;
            self.live -= 1;
        }
    }

    fn compile(&self, f: &Filter) -> Option<Compiled> {
        // A value the cube never saw matches nothing: the filter selects no activity.
        fn set(dict: &Dictionary, values: &[String]) -> Option<Option<Vec<bool>>> {
            if values.is_empty() {
                return Some(None);
            }
            let mut allowed = vec![false; dict.len()];
            let mut any = false;
            for v in values {
                if let Some(i) = dict.get(v) {
                    allowed[i as usize] = true;
                    any = true;
                }
            }
            any.then_some(Some(allowed))
        }
        Some(Compiled {
            from: f.from.map(|d| d.num_days_from_ce()).unwrap_or(i32::MIN),
            to: f.to.map(|d| d.num_days_from_ce()).unwrap_or(i32::MAX),
            kinds: if f.kinds.is_empty() {
                u32::MAX
            } else {
                mask(&f.kinds)
            },
            themes: (!f.themes.is_empty()).then(|| mask(&f.themes)),
            levels: if f.levels.is_empty() {
                u32::MAX
            } else {
                f.levels.iter().fold(0, |m, l| m | (1 << l.number()))
            },
            orgs: set(&self.orgs, &f.organisations)?,
            helpers: set(&self.helpers, &f.helpers)?,
            places: set(&self.places, &f.places)?,
            communes: set(&self.communes, &f.communes)?,
            tags: set(&self.tags, &f.tags)?,
        })
    }

    /// Per structure, what its records that pass the filter show it practises: (procedures,
    /// collective workshops, orientations) counts.
    pub fn practice_by_organisation(&self, filter: &Filter) -> Vec<(String, [u64; 3])> {
        let Some(c) = self.compile(filter) else {
            return Vec::new();
        };
        let mut counts = vec![[0u64; 3]; self.orgs.len()];
        for f in &self.facts {
            if c.accepts(f, &self.tag_refs)
                && let Some(row) = counts.get_mut(f.org as usize)
            {
                if f.kind as usize == PROCEDURE {
                    row[0] += 1;
                }
                if f.kind == COLLECTIVE {
                    row[1] += 1;
                }
                if f.oriented {
                    row[2] += 1;
                }
            }
        }
        counts
            .into_iter()
            .enumerate()
            .filter(|(i, row)| *i > 0 && row.iter().any(|n| *n > 0))
            .map(|(i, row)| (self.orgs.key(i as u32).to_string(), row))
            .collect()
    }

    /// Every indicator for the activities that pass the filter.
    pub fn statistics(&self, filter: &Filter) -> Statistics {
        let Some(c) = self.compile(filter) else {
            return Accumulator::new(self).finish(self, filter);
        };
        let pass = |facts: &[Fact]| {
            let mut acc = Accumulator::new(self);
            for fact in facts {
                if c.accepts(fact, &self.tag_refs) {
                    acc.add(self, fact);
                }
            }
            acc
        };
        // One pass per core over large cubes (the counters are merged after).
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .min(8);
        let acc = if threads < 2 || self.facts.len() < 200_000 {
            pass(&self.facts)
        } else {
            let size = self.facts.len().div_ceil(threads);
            std::thread::scope(|scope| {
                let handles: Vec<_> = self
                    .facts
                    .chunks(size)
                    .map(|chunk| scope.spawn(move || pass(chunk)))
                    .collect();
                let mut total = Accumulator::new(self);
                for h in handles {
                    match h.join() {
                        Ok(part) => total.merge(part),
                        Err(panic) => std::panic::resume_unwind(panic),
                    }
                }
                total
            })
        };
        acc.finish(self, filter)
    }
}

struct Compiled {
    from: i32,
    to: i32,
    kinds: u32,
    themes: Option<u32>,
    levels: u32,
    orgs: Option<Vec<bool>>,
    helpers: Option<Vec<bool>>,
    places: Option<Vec<bool>>,
    communes: Option<Vec<bool>>,
    tags: Option<Vec<bool>>,
}

impl Compiled {
    #[inline]
    fn accepts(&self, f: &Fact, tag_refs: &[u32]) -> bool {
        let within = |set: &Option<Vec<bool>>, i: u32| {
            set.as_ref()
                .is_none_or(|s| s.get(i as usize).copied().unwrap_or(false))
        };
        f.live
            && f.day >= self.from
            && f.day <= self.to
            && self.kinds & (1u32 << f.kind) != 0
            && self.themes.is_none_or(|t| t & f.themes != 0)
            && self.levels & (1u32 << f.level) != 0
            && within(&self.orgs, f.org)
            && within(&self.helpers, f.helper)
            && within(&self.places, f.place)
            && within(&self.communes, f.commune)
            && (self.tags.is_none()
                || tag_refs
                    .get(f.tags.0 as usize..(f.tags.0 as usize + f.tags.1 as usize))
                    .is_some_and(|t| t.iter().any(|&t| within(&self.tags, t))))
    }
}

/// Counters filled in one pass.
struct Accumulator {
    records: u64,
    accompaniments: u64,
    anonymous: u64,
    minutes: u64,
    sessions: u64,
    participants: u64,
    oriented: u64,
    by_kind: [u64; 3],
    /// By month since January 2000.
    months: Vec<u64>,
    themes: [u64; 32],
    procedure_themes: [u64; 16],
    procedure_names: Vec<u64>,
    outcomes: [u64; 4],
    equipment: [u64; 8],
    durations: [u64; 5],
    venues: [u64; 4],
    places: Vec<u64>,
    autonomy: [u64; 3],
    redirections: [u64; 5],
    referrals: Vec<bool>,
    helpers: Vec<u64>,
    /// Followed persons met (bitset).
    seen: Vec<u64>,
    anon_ages: [u64; 6],
    anon_genders: [u64; 2],
    anon_statuses: [u64; 4],
    anon_communes: Vec<u64>,
}

impl Accumulator {
    fn new(cube: &Cube) -> Self {
        Self {
            records: 0,
            accompaniments: 0,
            anonymous: 0,
            minutes: 0,
            sessions: 0,
            participants: 0,
            oriented: 0,
            by_kind: [0; 3],
            months: vec![0; 12 * 200],
            themes: [0; 32],
            procedure_themes: [0; 16],
            procedure_names: vec![0; cube.procedures.len()],
            outcomes: [0; 4],
            equipment: [0; 8],
            durations: [0; 5],
            venues: [0; 4],
            places: vec![0; cube.places.len()],
            autonomy: [0; 3],
            redirections: [0; 5],
            referrals: vec![false; cube.referrals.len()],
            helpers: vec![0; cube.helpers.len()],
            seen: vec![0; cube.persons.len().div_ceil(64)],
            anon_ages: [0; 6],
            anon_genders: [0; 2],
            anon_statuses: [0; 4],
            anon_communes: vec![0; cube.communes.len()],
        }
    }

    /// Adds the counters of another pass over other facts.
    fn merge(&mut self, o: Accumulator) {
        fn add(a: &mut [u64], b: &[u64]) {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
        self.records += o.records;
        self.accompaniments += o.accompaniments;
        self.anonymous += o.anonymous;
        self.minutes += o.minutes;
        self.sessions += o.sessions;
        self.participants += o.participants;
        self.oriented += o.oriented;
        add(&mut self.by_kind, &o.by_kind);
        add(&mut self.months, &o.months);
        add(&mut self.themes, &o.themes);
        add(&mut self.procedure_themes, &o.procedure_themes);
        add(&mut self.procedure_names, &o.procedure_names);
        add(&mut self.outcomes, &o.outcomes);
        add(&mut self.equipment, &o.equipment);
        add(&mut self.durations, &o.durations);
        add(&mut self.venues, &o.venues);
        add(&mut self.places, &o.places);
        add(&mut self.autonomy, &o.autonomy);
        add(&mut self.redirections, &o.redirections);
        add(&mut self.helpers, &o.helpers);
        add(&mut self.anon_ages, &o.anon_ages);
        add(&mut self.anon_genders, &o.anon_genders);
        add(&mut self.anon_statuses, &o.anon_statuses);
        add(&mut self.anon_communes, &o.anon_communes);
        for (x, y) in self.referrals.iter_mut().zip(&o.referrals) {
            *x |= *y;
        }
        for (x, y) in self.seen.iter_mut().zip(&o.seen) {
            *x |= *y;
        }
    }

    #[inline]
    fn add(&mut self, cube: &Cube, f: &Fact) {
        self.records += 1;
        let group = cube.groups.get(f.group as usize);
        let anonymous = group.map(|g| u64::from(g.total)).unwrap_or(0);
        let people = u64::from(f.persons.1) + anonymous;
        self.accompaniments += people;
        self.anonymous += anonymous;
        self.minutes += u64::from(f.duration);
        if f.kind == COLLECTIVE {
            self.sessions += 1;
            self.participants += people;
        }
        if let Some(k) = self.by_kind.get_mut(f.kind as usize) {
            *k += 1;
        }
        if let Some(m) = self.months.get_mut(f.month as usize) {
            *m += 1;
        }
        bits(f.themes, &mut self.themes);
        bits(u32::from(f.procedures), &mut self.procedure_themes);
        bits(u32::from(f.equipment), &mut self.equipment);
        if f.procedure != 0 {
            bump(&mut self.procedure_names, f.procedure, 1);
        }
        count(&mut self.outcomes, f.outcome);
        count(&mut self.venues, f.venue);
        count(&mut self.autonomy, f.autonomy);
        count(&mut self.redirections, f.redirection);
        let bucket = match f.duration {
            0..=30 => 0,
            31..=60 => 1,
            61..=90 => 2,
            91..=120 => 3,
            _ => 4,
        };
        self.durations[bucket] += 1;
        if f.place != 0 {
            bump(&mut self.places, f.place, 1);
        }
        bump(&mut self.helpers, f.helper, 1);
        if f.oriented {
            self.oriented += 1;
        }
        if f.referral != 0
            && let Some(r) = self.referrals.get_mut(f.referral as usize)
        {
            *r = true;
        }
        let (start, len) = (f.persons.0 as usize, f.persons.1 as usize);
        if let Some(refs) = cube.person_refs.get(start..start + len) {
            for &p in refs {
                if let Some(w) = self.seen.get_mut(p as usize / 64) {
                    *w |= 1 << (p % 64);
                }
            }
        }
        if let Some(g) = group {
            add_all(&mut self.anon_ages, &g.ages);
            add_all(&mut self.anon_genders, &g.genders);
            add_all(&mut self.anon_statuses, &g.statuses);
            if g.commune != 0 {
                bump(&mut self.anon_communes, g.commune, u64::from(g.total));
            }
        }
    }

    fn finish(self, cube: &Cube, filter: &Filter) -> Statistics {
        // Followed persons met, once each, with their profile.
        let mut followed = 0u64;
        let mut new = 0u64;
        let mut ages = self.anon_ages;
        let mut genders = self.anon_genders;
        let mut statuses = self.anon_statuses;
        let mut communes = self.anon_communes;
        let from = filter
            .from
            .map(|d| d.num_days_from_ce())
            .unwrap_or(i32::MIN);
        for (w, word) in self.seen.iter().enumerate() {
            let mut word = *word;
            while word != 0 {
                let bit = word.trailing_zeros() as usize;
                word &= word - 1;
                let Some(p) = cube.persons.get(w * 64 + bit) else {
                    continue;
                };
                followed += 1;
                if p.first_day >= from {
                    new += 1;
                }
                count(&mut ages, p.age);
                count(&mut genders, p.gender);
                count(&mut statuses, p.status);
                if p.commune != 0 {
                    bump(&mut communes, p.commune, 1);
                }
            }
        }
        let persons = followed + self.anonymous;
        let per_session = if self.sessions == 0 {
            0.0
        } else {
            (self.participants as f64 * 10.0 / self.sessions as f64).round() / 10.0
        };
        let figures = vec![
            (Indicator::Records, self.records as f64),
            (Indicator::Accompaniments, self.accompaniments as f64),
            (Indicator::Persons, persons as f64),
            (Indicator::FollowedPersons, followed as f64),
            (Indicator::NewPersons, new as f64),
            (Indicator::AnonymousPersons, self.anonymous as f64),
            (Indicator::Hours, (self.minutes as f64 / 6.0).round() / 10.0),
            (Indicator::WorkshopSessions, self.sessions as f64),
            (Indicator::WorkshopParticipants, self.participants as f64),
            (Indicator::ParticipantsPerSession, per_session),
            (Indicator::Oriented, self.oriented as f64),
        ]
        .into_iter()
        .map(|(indicator, value)| Figure { indicator, value })
        .collect();

        let month_rows = self
            .months
            .iter()
            .enumerate()
            .filter(|(_, v)| **v > 0)
            .map(|(m, &v)| {
                let m = m as u16;
                let (year, month0) = (2000 + u32::from(m) / 12, u32::from(m) % 12);
                Row {
                    key: format!("{year}-{:02}", month0 + 1),
                    label: format!("{} {year}", crate::hours::month_name(month0)),
                    value: v,
                }
            })
            .collect();
        let mut referral_outcomes = [0u64; 16];
        let mut referral_total = 0;
        for (r, _) in self.referrals.iter().enumerate().filter(|(_, seen)| **seen) {
            referral_total += 1;
            count(
                &mut referral_outcomes,
                cube.referral_status.get(r).copied().unwrap_or(NONE),
            );
        }
        let persons_table = |indicator, counts: &[u64], labels: Vec<Row>| Table {
            indicator,
            base: persons,
            rows: with_unknown(labels, counts, persons),
        };
        let tables = vec![
            vocabulary_table::<ActivityKind>(Indicator::ByKind, &self.by_kind, self.records),
            Table {
                indicator: Indicator::ByMonth,
                base: self.records,
                rows: month_rows,
            },
            vocabulary_table::<MediationTheme>(Indicator::Themes, &self.themes, self.records),
            vocabulary_table::<ProcedureTheme>(
                Indicator::ProcedureThemes,
                &self.procedure_themes,
                self.by_kind[PROCEDURE],
            ),
            top_table(
                Indicator::ProcedureNames,
                self.procedure_names,
                &cube.procedures,
                15,
                self.by_kind[PROCEDURE],
            ),
            vocabulary_table::<ProcedureOutcome>(
                Indicator::ProcedureOutcomes,
                &self.outcomes,
                self.by_kind[PROCEDURE],
            ),
            vocabulary_table::<Equipment>(Indicator::Equipment, &self.equipment, self.records),
            Table {
                indicator: Indicator::Durations,
                base: self.records,
                rows: [
                    ("0-30", "30 min ou moins"),
                    ("31-60", "De 31 min à 1 h"),
                    ("61-90", "De 1 h 01 à 1 h 30"),
                    ("91-120", "De 1 h 31 à 2 h"),
                    ("121+", "Plus de 2 h"),
                ]
                .into_iter()
                .zip(self.durations)
                .map(|((key, label), value)| Row {
                    key: key.into(),
                    label: label.into(),
                    value,
                })
                .collect(),
            },
            vocabulary_table::<Venue>(Indicator::Venues, &self.venues, self.records),
            top_table(
                Indicator::Places,
                self.places,
                &cube.places,
                20,
                self.records,
            ),
            {
                let known: u64 = communes.iter().sum();
                let mut t = top_table(Indicator::Communes, communes, &cube.communes, 20, persons);
                t.rows.push(Row {
                    key: String::new(),
                    label: "Non renseignée".into(),
                    value: persons.saturating_sub(known),
                });
                t
            },
            persons_table(Indicator::Ages, &ages, labels::<AgeBracket>()),
            persons_table(Indicator::Genders, &genders, labels::<Gender>()),
            persons_table(
                Indicator::SocialStatuses,
                &statuses,
                labels::<SocialStatus>(),
            ),
            vocabulary_table::<Autonomy>(
                Indicator::Autonomy,
                &self.autonomy,
                self.by_kind[INDIVIDUAL] + self.by_kind[PROCEDURE],
            ),
            vocabulary_table::<Redirection>(
                Indicator::Redirections,
                &self.redirections,
                self.oriented,
            ),
            vocabulary_table::<ReferralStatus>(
                Indicator::ReferralOutcomes,
                &referral_outcomes,
                referral_total,
            ),
            top_table(
                Indicator::Helpers,
                self.helpers,
                &cube.helpers,
                50,
                self.records,
            ),
        ];
        Statistics { figures, tables }
    }
}

#[inline]
fn bits(mask: u32, counters: &mut [u64]) {
    let mut m = mask;
    while m != 0 {
        let i = m.trailing_zeros() as usize;
        m &= m - 1;
        if let Some(c) = counters.get_mut(i) {
            *c += 1;
        }
    }
}

#[inline]
fn count(counters: &mut [u64], index: u8) {
    if let Some(c) = counters.get_mut(index as usize) {
        *c += 1;
    }
}

fn add_all(counters: &mut [u64], values: &[u32]) {
    for (c, v) in counters.iter_mut().zip(values) {
        *c += u64::from(*v);
    }
}

fn labels<V: Vocabulary>() -> Vec<Row> {
    V::ALL
        .iter()
        .map(|v| Row {
            key: v.slug().into(),
            label: v.label().into(),
            value: 0,
        })
        .collect()
}

fn vocabulary_table<V: Vocabulary>(indicator: Indicator, counts: &[u64], base: u64) -> Table {
    let rows = labels::<V>()
        .into_iter()
        .zip(counts.iter().copied().chain(std::iter::repeat(0)))
        .map(|(row, value)| Row { value, ..row })
        .collect();
    Table {
        indicator,
        base,
        rows,
    }
}

fn with_unknown(rows: Vec<Row>, counts: &[u64], total: u64) -> Vec<Row> {
    let mut rows: Vec<Row> = rows
        .into_iter()
        .zip(counts.iter().copied())
        .map(|(row, value)| Row { value, ..row })
        .collect();
    let known: u64 = rows.iter().map(|r| r.value).sum();
    rows.push(Row {
        key: String::new(),
        label: "Non renseigné".into(),
        value: total.saturating_sub(known),
    });
    rows
}

#[inline]
fn bump(counters: &mut [u64], index: u32, by: u64) {
    if let Some(c) = counters.get_mut(index as usize) {
        *c += by;
    }
}

fn top_table(
    indicator: Indicator,
    counts: Vec<u64>,
    dict: &Dictionary,
    limit: usize,
    base: u64,
) -> Table {
    let mut rows: Vec<(u64, &str)> = counts
        .into_iter()
        .enumerate()
        .filter(|(_, v)| *v > 0)
        .map(|(k, v)| (v, dict.key(k as u32)))
        .collect();
    rows.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    rows.truncate(limit);
    Table {
        indicator,
        base,
        rows: rows
            .into_iter()
            .map(|(value, key)| Row {
                key: key.to_string(),
                label: if key.is_empty() {
                    "Non renseigné".to_string()
                } else {
                    key.to_string()
                },
                value,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activity::{ActivityForm, Counts};

    fn day(s: &str) -> NaiveDate {
        crate::activity::parse_date(s).unwrap_or_default()
    }

    fn individual(date: &str, person: Option<&str>) -> Activity {
        ActivityForm {
            kind: "individuel".into(),
            date: date.into(),
            duration: "45".into(),
            venue: "domicile".into(),
            themes: vec!["internet".into()],
            persons: person.into_iter().map(String::from).collect(),
            ages: if person.is_none() {
                vec!["70-plus".into()]
            } else {
                vec![]
            },
            autonomy: "avec".into(),
            ..Default::default()
        }
        .validate(day("2026-12-31"))
        .unwrap_or_else(|e| panic!("{e:?}"))
    }

    fn workshop(date: &str, persons: &[&str], anonymous: u32) -> Activity {
        ActivityForm {
            kind: "collectif".into(),
            date: date.into(),
            duration: "2h".into(),
            venue: "lieu-activite".into(),
            place_id: "mediatheque".into(),
            themes: vec!["securite".into()],
            title: "Arnaques".into(),
            level: "debutant".into(),
            persons: persons.iter().map(|p| p.to_string()).collect(),
            anonymous_total: anonymous.to_string(),
            genders: vec![format!("femme={}", anonymous.min(3))],
            ..Default::default()
        }
        .validate(day("2026-12-31"))
        .unwrap_or_else(|e| panic!("{e:?}"))
    }

    fn cube(activities: &[(Activity, &str)]) -> Cube {
        let mut c = Cube::default();
        c.set_person(
            "alice",
            &Profile {
                age: Some(AgeBracket::From60To69),
                gender: Some(Gender::Female),
                status: Some(SocialStatus::Retired),
                commune: Some("54395".into()),
            },
        );
        for (i, (a, org)) in activities.iter().enumerate() {
            c.upsert(Entry {
                key: i as u128,
                activity: a,
                organisation_id: org,
                helper_id: Some("helper-1"),
            });
        }
        c
    }

    #[test]
    fn a_followed_person_in_a_workshop_and_alone_counts_once() {
        let c = cube(&[
            (workshop("2026-03-02", &["alice"], 5), "org"),
            (individual("2026-03-09", Some("alice")), "org"),
            (individual("2026-03-10", None), "org"),
            (individual("2026-03-11", None), "org"),
        ]);
        let s = c.statistics(&Filter::default());
        assert_eq!(s.figure(Indicator::Records), 4.0);
        assert_eq!(s.figure(Indicator::Accompaniments), 6.0 + 1.0 + 2.0);
        assert_eq!(s.figure(Indicator::FollowedPersons), 1.0);
        assert_eq!(s.figure(Indicator::AnonymousPersons), 7.0);
        assert_eq!(s.figure(Indicator::Persons), 8.0);
        assert_eq!(s.figure(Indicator::WorkshopParticipants), 6.0);
        assert_eq!(s.figure(Indicator::ParticipantsPerSession), 6.0);
        assert_eq!(
            s.figure(Indicator::Hours),
            4.3,
            "4 h 15 rounded to the tenth"
        );
        let ages = s.table(Indicator::Ages).expect("ages");
        let row = |key: &str| ages.rows.iter().find(|r| r.key == key).map(|r| r.value);
        assert_eq!(row("60-69"), Some(1), "alice once");
        assert_eq!(row("70-plus"), Some(2));
        assert_eq!(
            row(""),
            Some(5),
            "the workshop's anonymous ages are not said"
        );
        let genders = s.table(Indicator::Genders).expect("genders");
        assert_eq!(genders.rows[0].value, 1 + 3);
        let communes = s.table(Indicator::Communes).expect("communes");
        assert_eq!(communes.rows[0].key, "54395");
        assert_eq!(communes.rows[0].value, 1);
    }

    #[test]
    fn new_persons_are_those_first_seen_in_the_period() {
        let c = cube(&[
            (individual("2025-12-01", Some("alice")), "org"),
            (individual("2026-02-01", Some("alice")), "org"),
            (individual("2026-02-01", Some("bob")), "org"),
        ]);
        let f = Filter {
            from: Some(day("2026-01-01")),
            ..Default::default()
        };
        let s = c.statistics(&f);
        assert_eq!(s.figure(Indicator::FollowedPersons), 2.0);
        assert_eq!(s.figure(Indicator::NewPersons), 1.0);
    }

    #[test]
    fn filters_apply_to_every_indicator() {
        let c = cube(&[
            (workshop("2026-03-02", &[], 4), "org-a"),
            (individual("2026-03-09", None), "org-b"),
            (individual("2026-04-09", None), "org-a"),
        ]);
        let only = |f: Filter| c.statistics(&f).figure(Indicator::Records);
        assert_eq!(only(Filter::default()), 3.0);
        assert_eq!(
            only(Filter {
                organisations: vec!["org-a".into()],
                ..Default::default()
            }),
            2.0
        );
        assert_eq!(
            only(Filter {
                organisations: vec!["unknown".into()],
                ..Default::default()
            }),
            0.0,
            "an unknown organisation selects nothing, never everything"
        );
        assert_eq!(
            only(Filter {
                kinds: vec![ActivityKind::Collective],
                ..Default::default()
            }),
            1.0
        );
        assert_eq!(
            only(Filter {
                themes: vec![MediationTheme::Internet],
                to: Some(day("2026-03-31")),
                ..Default::default()
            }),
            1.0
        );
        assert_eq!(
            only(Filter {
                levels: vec![Level::Beginner],
                ..Default::default()
            }),
            1.0
        );
        assert_eq!(
            only(Filter {
                places: vec!["mediatheque".into()],
                ..Default::default()
            }),
            1.0
        );
    }

    #[test]
    fn edits_and_deletions_show_at_once() {
        let mut c = cube(&[(individual("2026-03-09", None), "org")]);
        let mut a = individual("2026-03-09", None);
        a.kind = ActivityKind::Procedure;
        a.procedure_themes = vec![ProcedureTheme::Housing];
        a.procedure_name = Some("Demande  d'APL".into());
        c.upsert(Entry {
            key: 0,
            activity: &a,
            organisation_id: "org",
            helper_id: None,
        });
        let s = c.statistics(&Filter::default());
        assert_eq!(s.figure(Indicator::Records), 1.0);
        let names = s.table(Indicator::ProcedureNames).expect("names");
        assert_eq!(names.rows[0].key, "Demande d'APL");
        c.remove(0);
        assert_eq!(
            c.statistics(&Filter::default()).figure(Indicator::Records),
            0.0
        );
        assert!(c.is_empty());
    }

    #[test]
    fn referral_outcomes_follow_the_referral() {
        let mut a = individual("2026-03-09", None);
        a.referral_id = Some("r1".into());
        let mut c = cube(&[(a, "org")]);
        c.set_referral_status("r1", ReferralStatus::TakenInCharge);
        let s = c.statistics(&Filter::default());
        assert_eq!(s.figure(Indicator::Oriented), 1.0);
        let t = s.table(Indicator::ReferralOutcomes).expect("outcomes");
        let taken = t
            .rows
            .iter()
            .find(|r| r.key == "prise-en-charge")
            .map(|r| r.value);
        assert_eq!(taken, Some(1));
    }

    #[test]
    fn filters_read_from_pairs_and_back() {
        let f = Filter::from_pairs([
            ("du", "2026-01-01"),
            ("au", "31/12/2026"),
            ("type", "collectif"),
            ("thematique", "sante"),
            ("niveau", "debutant"),
            ("structure", "o1"),
            ("page", "2"),
        ])
        .expect("valid");
        assert_eq!(f.to, Some(day("2026-12-31")));
        let back: Vec<(&str, String)> = f.to_pairs();
        let again = Filter::from_pairs(back.iter().map(|(k, v)| (*k, v.as_str()))).expect("again");
        assert_eq!(again, f);
        let e = Filter::from_pairs([("du", "2026-02-01"), ("au", "2026-01-01")]);
        assert_eq!(e.map_err(|e| e.key), Err("au".to_string()));
        assert!(Filter::from_pairs([("type", "pique-nique")]).is_err());
    }

    #[test]
    fn every_indicator_has_an_id_a_title_and_a_definition() {
        let all: Vec<Indicator> = Indicator::FIGURES
            .into_iter()
            .chain(Indicator::TABLES)
            .collect();
        let mut ids: Vec<&str> = all.iter().map(|i| i.id()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), all.len(), "ids are unique");
        for i in all {
            assert_eq!(Indicator::from_id(i.id()), Some(i));
            assert!(i.definition().ends_with('.'), "{}", i.id());
            assert!(markdown().contains(i.definition()));
        }
        let s = Cube::default().statistics(&Filter::default());
        assert_eq!(s.tables.len(), Indicator::TABLES.len());
        for (t, i) in s.tables.iter().zip(Indicator::TABLES) {
            assert_eq!(t.indicator, i, "tables come in the documented order");
        }
    }

    #[test]
    fn a_large_cube_counted_in_parallel_gives_the_same_figures() {
        let mut c = Cube::default();
        let a = individual("2026-03-09", Some("alice"));
        let b = workshop("2026-04-02", &["bob"], 3);
        let mut d = individual("2026-05-02", None);
        d.referral_id = Some("r".into());
        for i in 0..250_000u128 {
            let x = match i % 3 {
                0 => &a,
                1 => &b,
                _ => &d,
            };
            c.upsert(Entry {
                key: i,
                activity: x,
                organisation_id: if i % 2 == 0 { "o1" } else { "o2" },
                helper_id: Some("h"),
            });
        }
        let s = c.statistics(&Filter::default());
        assert_eq!(s.figure(Indicator::Records), 250_000.0);
        assert_eq!(
            s.figure(Indicator::FollowedPersons),
            2.0,
            "alice and bob, once each"
        );
        assert_eq!(
            s.figure(Indicator::Accompaniments),
            (83_334 + 83_333 * 4 + 83_333) as f64
        );
        let t = s.table(Indicator::ReferralOutcomes).expect("suites");
        assert_eq!(t.base, 1, "one referral, however many records cite it");
    }

    #[test]
    fn the_documentation_is_the_code_s_definitions() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/INDICATORS.md");
        let doc = std::fs::read_to_string(path).unwrap_or_default();
        assert_eq!(
            doc,
            markdown(),
            "docs/INDICATORS.md is stale: run `maillage indicateurs > docs/INDICATORS.md`"
        );
    }

    #[test]
    fn shares_are_percentages_of_the_base() {
        let t = Table {
            indicator: Indicator::Themes,
            base: 3,
            rows: vec![],
        };
        assert_eq!(t.share(1), 33.3);
        assert_eq!(t.share(0), 0.0);
        let _ = Counts::<Gender>::default();
    }
}

#[cfg(test)]
mod public_links {
    use super::*;

    fn table(rows: &[(&str, u64)]) -> Table {
        Table {
            indicator: Indicator::Ages,
            base: rows.iter().map(|r| r.1).sum(),
            rows: rows
                .iter()
                .map(|(k, v)| Row {
                    key: (*k).into(),
                    label: (*k).into(),
                    value: *v,
                })
                .collect(),
        }
    }

    #[test]
    fn small_cells_are_grouped_or_left_out() {
        let stats = Statistics {
            figures: Vec::new(),
            tables: vec![
                table(&[("60-69", 12), ("70-plus", 3), ("18-24", 2), ("25-39", 1)]),
                Table {
                    indicator: Indicator::Genders,
                    ..table(&[("femme", 9), ("homme", 2)])
                },
                Table {
                    indicator: Indicator::Helpers,
                    ..table(&[("Camille", 40)])
                },
            ],
        }
        .for_public();
        assert_eq!(stats.tables.len(), 2, "no helpers' table");
        let ages: Vec<(&str, u64)> = stats.tables[0]
            .rows
            .iter()
            .map(|r| (r.key.as_str(), r.value))
            .collect();
        assert_eq!(ages, [("60-69", 12), ("autres", 6)]);
        let genders: Vec<u64> = stats.tables[1].rows.iter().map(|r| r.value).collect();
        assert_eq!(genders, [9], "a lone small cell is left out");
        for t in &stats.tables {
            assert!(t.rows.iter().all(|r| r.value == 0 || r.value >= SMALL_CELL));
        }
    }

    #[test]
    fn a_public_filter_keeps_a_long_period_and_no_narrowing() {
        let day = |d: u32| NaiveDate::from_ymd_opt(2026, 3, d).expect("date");
        let narrow = Filter {
            from: Some(day(10)),
            to: Some(day(10)),
            ..Filter::default()
        };
        assert!(narrow.for_public(day(31)).is_err());
        let month = Filter {
            from: Some(day(1)),
            to: Some(day(28)),
            places: vec!["lieu-1".into()],
            helpers: vec!["u1".into()],
            tags: vec!["x".into()],
            ..Filter::default()
        }
        .for_public(day(31))
        .expect("4 semaines");
        assert!(month.places.is_empty() && month.helpers.is_empty() && month.tags.is_empty());
        assert!(
            Filter {
                from: Some(day(20)),
                ..Filter::default()
            }
            .for_public(day(31))
            .is_err(),
            "from the 20th to today: 12 days"
        );
    }
}
