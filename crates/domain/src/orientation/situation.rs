//! The person's situation as orientation reads it, and what an assessment says of a place.

use super::*;

crate::vocab::vocabulary! {
    /// How the person can travel, which sets the default reach.
    Travel, field = "deplacement" {
        Walk = "a-pied", "À pied";
        Transit = "transports", "En transports en commun";
        Car = "voiture", "En voiture";
    }
}

impl Travel {
    /// Default reach, in kilometres, when the helper does not give one.
    pub fn default_radius_km(self) -> f64 {
        match self {
            Travel::Walk => 2.0,
            Travel::Transit => 10.0,
            Travel::Car => 25.0,
        }
    }
}

/// Reach when neither a radius nor a way of travelling is given.
pub const DEFAULT_RADIUS_KM: f64 = 10.0;

crate::vocab::vocabulary! {
    /// A part of the day when the person is free.
    DayPart, field = "moment" {
        Morning = "matin", "Matin";
        Afternoon = "apres-midi", "Après-midi";
        Evening = "soir", "Soir (après 18 h)";
    }
}

impl DayPart {
    /// The local times this part covers.
    pub fn window(self) -> (NaiveTime, NaiveTime) {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN);
        match self {
            DayPart::Morning => (t(8, 0), t(12, 30)),
            DayPart::Afternoon => (t(13, 0), t(18, 0)),
            DayPart::Evening => (t(18, 0), t(21, 0)),
        }
    }

    pub(super) fn phrase(self) -> &'static str {
        match self {
            DayPart::Morning => "matin",
            DayPart::Afternoon => "après-midi",
            DayPart::Evening => "soir",
        }
    }
}

/// A moment of the week when the person is free.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Slot {
    pub day: Weekday,
    pub part: DayPart,
}

impl Slot {
    /// Form and URL value: `mardi-matin`.
    pub fn slug(self) -> String {
        format!("{}-{}", day_name(self.day), self.part.slug())
    }

    pub fn parse(s: &str) -> Option<Self> {
        let (day, part) = s.split_once('-')?;
        let day = WEEKDAYS.into_iter().find(|d| day_name(*d) == day)?;
        Some(Slot {
            day,
            part: DayPart::from_slug(part)?,
        })
    }

    /// « le mardi matin ».
    pub fn label(self) -> String {
        format!("le {} {}", day_name(self.day), self.part.phrase())
    }
}

pub const WEEKDAYS: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

crate::vocab::vocabulary! {
    /// Individual help or group, as the person prefers.
    FormatWish, field = "format_souhaite" {
        Either = "indifferent", "Peu importe";
        Individual = "individuel", "Seul avec un aidant";
        Group = "collectif", "En petit groupe";
    }
}

/// The language in which the person needs help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LanguageNeed {
    French,
    English,
    /// Another language, as the helper named it.
    Other(String),
}

impl LanguageNeed {
    /// Reads what a helper or a script typed: `fr`, `français`, `en`, `anglais`, `arabe`…
    pub fn parse(input: &str) -> Option<Self> {
        let key = crate::text::fold(input);
        match key.as_str() {
            "" => None,
            "fr" | "fra" | "francais" | "french" => Some(LanguageNeed::French),
            "en" | "eng" | "anglais" | "english" => Some(LanguageNeed::English),
            _ => Some(LanguageNeed::Other(input.trim().to_string())),
        }
    }

    /// The specific support a place must offer for it.
    pub fn support(&self) -> Option<SpecificSupport> {
        match self {
            LanguageNeed::French => None,
            LanguageNeed::English => Some(SpecificSupport::English),
            LanguageNeed::Other(_) => Some(SpecificSupport::OtherLanguages),
        }
    }

    pub fn label(&self) -> String {
        match self {
            LanguageNeed::French => "français".to_string(),
            LanguageNeed::English => "anglais".to_string(),
            LanguageNeed::Other(l) => l.clone(),
        }
    }
}

/// What the helper knows of the person (nothing is required but where they can go).
#[derive(Debug, Clone, Default)]
pub struct Situation {
    pub level: Option<Level>,
    pub equipment: Option<Equipment>,
    pub language: Option<LanguageNeed>,
    /// Disabilities and needs the place must support (deafness, reading…).
    pub supports: Vec<SpecificSupport>,
    pub travel: Option<Travel>,
    /// Explicit reach; otherwise the way of travelling's default.
    pub radius_km: Option<f64>,
    /// When the person is free (none: any time).
    pub slots: Vec<Slot>,
    pub free_only: bool,
    pub format: Option<FormatWish>,
    pub urgent: bool,
    /// A date before which it must be done.
    pub deadline: Option<NaiveDate>,
    /// Publics the person belongs to (young, senior…), when the helper says: places reserved
    /// to other publics are then left out.
    pub publics: Vec<Public>,
}

impl Situation {
    pub fn radius_km(&self) -> f64 {
        self.radius_km
            .or_else(|| self.travel.map(Travel::default_radius_km))
            .unwrap_or(DEFAULT_RADIUS_KM)
    }
}

/// What the level calls for (the rule, shown above the proposals).
pub fn guidance(level: Level) -> &'static str {
    match level {
        Level::Distant => {
            "Assistance : une personne éloignée du numérique a besoin qu'on fasse avec elle, ou à sa place avec un cadre légal (Aidants Connect, France Services), et parfois d'un équipement."
        }
        Level::Beginner => {
            "Un accompagnement individuel d'abord, puis des ateliers pour débutants."
        }
        Level::Intermediate => "Des ateliers en petit groupe, ou une aide individuelle ponctuelle.",
        Level::Advanced => "Une aide thématique ou spécialisée, ou un atelier sur le sujet.",
        Level::Autonomous => {
            "La personne peut le faire seule : des ressources, et un lieu en libre accès au besoin."
        }
    }
}

/// A hard constraint a place may fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Constraint {
    /// Does not offer the kind of help the request needs.
    Request,
    /// The request's help needs equipment on site (a computer, a printer) and the place says
    /// it has none.
    Equipment,
    /// Does not receive the public.
    Public,
    /// Receives some publics only (young people…) and the person's publics were not said: the
    /// helper is asked rather than shown a place the person may not enter.
    PublicUnasked,
    /// Not free of charge when that was asked.
    Free,
    /// Beyond reach, or position unknown.
    Reach,
    /// Closed when the person is free, or hours unknown.
    Hours,
    /// Not the kind of help the level calls for.
    Level,
    /// The place does not say how it helps (its forms of support are not filled in): the kind
    /// of help the level calls for cannot be checked.
    LevelUnverified,
    /// Not in the person's language.
    Language,
    /// Does not support a disability or need of the person.
    Support,
    /// Not individual / group as the person prefers.
    Format,
    /// A limit the place stated in the directory.
    Limit,
}

impl Constraint {
    /// Constraints the nearest options beyond the limits may miss.
    pub fn is_relaxable(self) -> bool {
        matches!(
            self,
            Constraint::Reach | Constraint::Hours | Constraint::LevelUnverified
        )
    }
}

/// Why a place fits or not, and how well.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Assessment {
    /// Constraints not met, each with its reason in French.
    pub failed: Vec<(Constraint, String)>,
    /// Why it fits, in plain French, most useful first.
    pub reasons: Vec<String>,
    /// What may not fit or should be checked.
    pub caveats: Vec<String>,
    pub score: f64,
    /// Moments of the person's week when the place is open.
    #[serde(skip)]
    pub open_slots: Vec<Slot>,
}

impl Assessment {
    pub fn fits(&self) -> bool {
        self.failed.is_empty()
    }

    /// Fails only on constraints that may be relaxed (reach, hours).
    pub fn fits_beyond_limits(&self) -> bool {
        !self.failed.is_empty() && self.failed.iter().all(|(c, _)| c.is_relaxable())
    }

    pub(super) fn fail(&mut self, c: Constraint, why: impl Into<String>) {
        self.failed.push((c, why.into()));
    }
}
