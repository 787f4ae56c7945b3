//! Orientation (seed `002_…`, « les passerelles entre les structures »): from a request as the
//! person says it, and what is known of the person, to the places that fit, each with the
//! reasons it fits and the reasons it may not.
//!
//! The catalogue of requests is reference data ([`RequestEntry`]), loaded from the field's
//! common requests and edited by coordinators. The rules are pure functions of a place, a
//! request and a [`Situation`]: **hard constraints** (the request's kind of help, free of
//! charge when asked, within reach, open when the person is free, accepting the public, the
//! kind of help the person's level calls for, language and specific needs, individual or group)
//! decide whether a place is proposed; everything else ranks and explains. Every reason is read
//! from the place's own data, so it is true of the place.

use chrono::{Datelike, Duration, NaiveDate, NaiveTime, Weekday};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::Place;
use crate::diagnostic::{Equipment, Level};
use crate::hours::{HoursCheck, check_hours, day_name};
use crate::vocab::{
    AccessMode, Fee, InterventionDomain, MediationForm, MediationTheme, Mobility,
    NationalProgramme, Public, Service, SpecificSupport, SupportMode, Vocabulary,
};
use crate::watch::Platform;

/// Name of the initial catalogue in the table of loaded seeds.
pub const INITIAL_CATALOGUE: &str = "demandes-du-terrain-v1";

/// One common request of the catalogue, in the person's words, with what answers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestEntry {
    /// Stable identifier (kebab case).
    pub id: String,
    /// The request as the person says it (« Créer son compte Ameli »).
    #[serde(rename = "intitule")]
    pub title: String,
    /// Other words people use for it, for the text engine.
    #[serde(rename = "mots", default)]
    pub words: String,
    /// Services of the standard that answer it (a place offers at least one).
    #[serde(default)]
    pub services: Vec<Service>,
    /// Forms of mediation that answer it (seed `002_…`).
    #[serde(rename = "formes_mediation", default)]
    pub mediation_forms: Vec<MediationForm>,
    /// Domains of intervention behind it (housing, employment…).
    #[serde(rename = "domaines", default)]
    pub domains: Vec<InterventionDomain>,
    /// Themes of workshops and resources that help with it.
    #[serde(rename = "thematiques", default)]
    pub themes: Vec<MediationTheme>,
    /// Typology codes of the partners usually competent (CAF, CCAS, ML…).
    #[serde(default)]
    pub typologies: Vec<String>,
    /// National programmes usually competent (France Services, Aidants Connect…).
    #[serde(rename = "dispositifs", default)]
    pub programmes: Vec<NationalProgramme>,
    /// The partners usually competent, in words (shown to the helper).
    #[serde(rename = "partenaires", default)]
    pub partners: Vec<String>,
    /// What the person should bring.
    #[serde(rename = "apporter", default)]
    pub bring: Vec<String>,
    /// Questions that uncover hidden needs.
    #[serde(default)]
    pub questions: Vec<String>,
    /// Public platforms concerned (news items of the watch are shown beside the request).
    #[serde(rename = "plateformes", default)]
    pub platforms: Vec<Platform>,
    /// An administrative procedure: doing it in the person's place may be needed, with a
    /// legal frame (Aidants Connect, France Services).
    #[serde(rename = "demarche", default)]
    pub procedure: bool,
}

impl RequestEntry {
    /// Text given to the search engine.
    pub fn searchable_text(&self) -> String {
        let mut text = format!("{} {}", self.words, self.partners.join(" "));
        for s in &self.services {
            text.push(' ');
            text.push_str(s.label());
        }
        text
    }
}

/// The field's common requests (seed `002_…` and the list), loaded into a new network.
pub fn initial_catalogue() -> Result<Vec<RequestEntry>, serde_json::Error> {
    serde_json::from_str(include_str!("../data/demandes-initiales.json"))
}

/// The catalogue entry form, as a coordinator types it (lists one item per line), with the
/// form's names.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RequestForm {
    #[serde(rename = "intitule")]
    pub title: String,
    #[serde(rename = "mots")]
    pub words: String,
    pub services: Vec<String>,
    #[serde(rename = "formes_mediation")]
    pub mediation_forms: Vec<String>,
    #[serde(rename = "domaines")]
    pub domains: Vec<String>,
    #[serde(rename = "thematiques")]
    pub themes: Vec<String>,
    pub typologies: String,
    #[serde(rename = "dispositifs")]
    pub programmes: Vec<String>,
    #[serde(rename = "partenaires")]
    pub partners: String,
    #[serde(rename = "apporter")]
    pub bring: String,
    pub questions: String,
    #[serde(rename = "plateformes")]
    pub platforms: Vec<String>,
    #[serde(rename = "demarche")]
    pub procedure: bool,
}

fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

fn slugs<V: Vocabulary>(
    raw: &[String],
    field: &'static str,
    errors: &mut Vec<(&'static str, String)>,
) -> Vec<V> {
    let mut out = Vec::new();
    for s in raw {
        match V::from_slug(s) {
            Some(v) if !out.contains(&v) => out.push(v),
            Some(_) => {}
            None => errors.push((field, format!("valeur inconnue « {s} »"))),
        }
    }
    out
}

impl RequestForm {
    /// The form of an existing entry.
    pub fn of(e: &RequestEntry) -> Self {
        fn s<V: Vocabulary>(v: &[V]) -> Vec<String> {
            v.iter().map(|x| x.slug().to_string()).collect()
        }
        RequestForm {
            title: e.title.clone(),
            words: e.words.clone(),
            services: s(&e.services),
            mediation_forms: s(&e.mediation_forms),
            domains: s(&e.domains),
            themes: s(&e.themes),
            typologies: e.typologies.join(" "),
            programmes: s(&e.programmes),
            partners: e.partners.join("\n"),
            bring: e.bring.join("\n"),
            questions: e.questions.join("\n"),
            platforms: s(&e.platforms),
            procedure: e.procedure,
        }
    }

    /// Checks the form; errors as (field, French reason).
    pub fn validate(
        &self,
        id: &str,
        known_typology: impl Fn(&str) -> bool,
    ) -> Result<RequestEntry, Vec<(&'static str, String)>> {
        let mut errors = Vec::new();
        let title = self.title.trim().to_string();
        if title.chars().count() < 5 || title.chars().count() > 150 {
            errors.push((
                "intitule",
                "de 5 à 150 caractères, dans les mots de la personne".to_string(),
            ));
        }
        let services = slugs::<Service>(&self.services, "services", &mut errors);
        let mediation_forms =
            slugs::<MediationForm>(&self.mediation_forms, "formes_mediation", &mut errors);
        if services.is_empty() && mediation_forms.is_empty() {
            errors.push((
                "services",
                "cochez au moins un service ou une forme de médiation qui répond à la demande"
                    .to_string(),
            ));
        }
        let mut typologies = Vec::new();
        for code in self
            .typologies
            .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
            .filter(|c| !c.is_empty())
        {
            if known_typology(code) {
                if !typologies.iter().any(|t| t == code) {
                    typologies.push(code.to_string());
                }
            } else {
                errors.push((
                    "typologies",
                    format!("« {code} » n'est pas un code de typologie du standard"),
                ));
            }
        }
        let entry = RequestEntry {
            id: id.to_string(),
            title,
            words: self.words.trim().to_string(),
            services,
            mediation_forms,
            domains: slugs(&self.domains, "domaines", &mut errors),
            themes: slugs(&self.themes, "thematiques", &mut errors),
            typologies,
            programmes: slugs(&self.programmes, "dispositifs", &mut errors),
            partners: lines(&self.partners),
            bring: lines(&self.bring),
            questions: lines(&self.questions),
            platforms: slugs(&self.platforms, "plateformes", &mut errors),
            procedure: self.procedure,
        };
        for (field, list) in [
            ("partenaires", &entry.partners),
            ("apporter", &entry.bring),
            ("questions", &entry.questions),
        ] {
            if list.len() > 20 || list.iter().any(|l| l.chars().count() > 300) {
                errors.push((field, "20 lignes de 300 caractères au plus".to_string()));
            }
        }
        if errors.is_empty() {
            Ok(entry)
        } else {
            Err(errors)
        }
    }
}

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

    fn phrase(self) -> &'static str {
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Constraint {
    /// Does not offer the kind of help the request needs.
    Request,
    /// Does not receive the public.
    Public,
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

    fn fail(&mut self, c: Constraint, why: impl Into<String>) {
        self.failed.push((c, why.into()));
    }
}

/// « à 800 m », « à 2,3 km », « à 14 km ».
pub fn distance_phrase(m: f64) -> String {
    if m < 1_000.0 {
        format!("à {} m", ((m / 50.0).round() * 50.0).max(50.0) as u32)
    } else if m < 10_000.0 {
        format!("à {} km", format!("{:.1}", m / 1_000.0).replace('.', ","))
    } else {
        format!("à {} km", (m / 1_000.0).round() as u32)
    }
}

fn has<V: PartialEq>(list: &[V], v: &V) -> bool {
    list.contains(v)
}

/// Folded words of four letters or more.
fn significant_words(text: &str) -> Vec<String> {
    crate::text::fold(text)
        .split(' ')
        .filter(|w| w.chars().count() >= 4)
        .map(str::to_string)
        .collect()
}

/// Words too common in requests and limits to mean a match.
const COMMON: [&str; 12] = [
    "pour",
    "avec",
    "dans",
    "sans",
    "faire",
    "compte",
    "demande",
    "aide",
    "aides",
    "numerique",
    "ligne",
    "personnes",
];

/// The place's stated limit that concerns this request, if any: one of its significant words
/// is a word of the request's title or of its domains (« n'intervient pas sur le logement »).
fn limit_hit(limits: &str, entry: &RequestEntry) -> bool {
    let said = significant_words(limits);
    let mut asked = significant_words(&entry.title);
    for d in &entry.domains {
        asked.extend(significant_words(d.label()));
    }
    asked
        .iter()
        .filter(|w| !COMMON.contains(&w.as_str()))
        .any(|w| said.contains(w))
}

/// Typologies of structures that receive one public only (missions locales, youth
/// information: young people).
const YOUTH_ONLY: [&str; 2] = ["ML", "PIJ_BIJ"];

/// A place that receives some publics only.
#[derive(Debug, Clone, PartialEq)]
pub enum Reservation {
    /// Only these publics (a youth-only structure, or listed publics said to be the only ones).
    Publics(Vec<Public>),
    /// A condition stated in words only (« uniquement sur orientation du CCAS »).
    Stated(String),
}

/// Whether the place receives only some publics: a youth-only structure (missions locales,
/// youth information), or conditions saying so (« uniquement », « réservé »…).
pub fn reservation(place: &Place) -> Option<Reservation> {
    if place
        .typologies
        .iter()
        .any(|t| YOUTH_ONLY.contains(&t.as_str()))
    {
        return Some(Reservation::Publics(vec![Public::Youth, Public::Students]));
    }
    let stated = [&place.extras.limits, &place.extras.access_conditions]
        .into_iter()
        .flatten()
        .find(|text| {
            let folded = crate::text::fold(text);
            ["uniquement", "reserve", "seulement", "exclusivement"]
                .iter()
                .any(|w| folded.split(' ').any(|x| x.starts_with(w)))
        })?;
    Some(if place.publics.is_empty() {
        Reservation::Stated(stated.trim().to_string())
    } else {
        Reservation::Publics(place.publics.clone())
    })
}

/// The moments of the person's week when the place is open at least an hour, over the next
/// two weeks from `today` (`None`: hours missing or unreadable).
pub fn open_slots(place: &Place, slots: &[Slot], today: NaiveDate) -> Option<Vec<Slot>> {
    let raw = place.opening_hours.as_deref()?;
    if !place.opening_hours_valid {
        return None;
    }
    let hours = match check_hours(raw) {
        HoursCheck::Valid(h) | HoursCheck::Repaired { hours: h, .. } => h,
        HoursCheck::Invalid { .. } => return None,
    };
    let mut open = Vec::new();
    for slot in slots {
        let (start, end) = slot.part.window();
        let found = (0..14).any(|offset| {
            let Some(date) = today.checked_add_signed(Duration::days(offset)) else {
                return false;
            };
            date.weekday() == slot.day
                && hours.open_minutes_between(date.and_time(start), date.and_time(end)) >= 60
        });
        if found {
            open.push(*slot);
        }
    }
    Some(open)
}

/// Assesses a place for a request and a person. `distance_m` is from where the person lives or
/// can go (`None` when no position is known for the place); `today` starts the two weeks in
/// which opening hours are read.
pub fn assess(
    entry: &RequestEntry,
    s: &Situation,
    place: &Place,
    distance_m: Option<f64>,
    today: NaiveDate,
) -> Assessment {
    let mut a = Assessment::default();
    let support = &place.support_modes;
    let forms = &place.extras.mediation_forms;
    let programmes = &place.national_programmes;

    // The request's kind of help.
    let services: Vec<&Service> = entry
        .services
        .iter()
        .filter(|x| has(&place.services, x))
        .collect();
    let matched_forms: Vec<&MediationForm> = entry
        .mediation_forms
        .iter()
        .filter(|x| has(forms, x))
        .collect();
    if services.is_empty() && matched_forms.is_empty() {
        if !entry.services.is_empty() || !entry.mediation_forms.is_empty() {
            let asked: Vec<&str> = entry.services.iter().map(|x| x.label()).collect();
            a.fail(
                Constraint::Request,
                format!(
                    "ne propose pas ce type d'aide ({})",
                    if asked.is_empty() {
                        "formes de médiation de la demande".to_string()
                    } else {
                        asked.join(", ").to_lowercase()
                    }
                ),
            );
        }
    } else {
        a.score += 3.0 + services.len().min(2) as f64 + matched_forms.len().min(2) as f64;
        if let Some(first) = services.first() {
            a.reasons.push(first.label().to_string());
        } else if let Some(first) = matched_forms.first() {
            a.reasons.push(first.label().to_string());
        }
    }

    // Competent partner for this request.
    let typologies: Vec<&String> = entry
        .typologies
        .iter()
        .filter(|t| place.typologies.contains(t))
        .collect();
    let partner_programmes: Vec<&NationalProgramme> = entry
        .programmes
        .iter()
        .filter(|p| has(programmes, p) && **p != NationalProgramme::AidantsConnect)
        .collect();
    if let Some(p) = partner_programmes.first() {
        a.score += 3.0;
        a.reasons.push(p.label().to_string());
    } else if !typologies.is_empty() {
        a.score += 2.0;
    }
    let domains: Vec<&InterventionDomain> = entry
        .domains
        .iter()
        .filter(|d| has(&place.extras.intervention_domains, d))
        .collect();
    if !domains.is_empty() {
        a.score += 1.0;
        a.reasons.push(format!(
            "Connaît aussi : {}",
            domains
                .iter()
                .map(|d| d.label().to_lowercase())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }

    // Receiving the public.
    if has(&place.access_modes, &AccessMode::NoPublic) {
        a.fail(Constraint::Public, "n'accueille pas de public");
    }
    let shared: Vec<&Public> = s
        .publics
        .iter()
        .filter(|p| has(&place.publics, p))
        .collect();
    match reservation(place) {
        Some(Reservation::Publics(publics)) => {
            let label = publics
                .iter()
                .map(|p| p.label().to_lowercase())
                .collect::<Vec<_>>()
                .join(", ");
            if s.publics.is_empty() {
                a.score -= 3.0;
                a.caveats.push(format!(
                    "Réservé à certains publics ({label}) : vérifier que la personne en fait partie"
                ));
            } else if s.publics.iter().any(|p| publics.contains(p)) {
                a.score += 1.0;
                a.reasons.push(format!("Pour : {label}"));
            } else {
                a.fail(Constraint::Public, format!("réservé à : {label}"));
            }
        }
        Some(Reservation::Stated(text)) => {
            a.score -= 3.0;
            a.caveats.push(format!(
                "Réservé à certains publics : « {text} » — vérifier que la personne en fait partie"
            ));
        }
        None => {
            if let Some(p) = shared.first() {
                a.score += 1.0;
                a.reasons
                    .push(format!("Pour : {}", p.label().to_lowercase()));
            }
        }
    }

    // Fees.
    let free = has(&place.fees, &Fee::Free);
    if free {
        a.score += 1.0;
        a.reasons.insert(0, "Gratuit".to_string());
    } else if s.free_only {
        let why = if has(&place.fees, &Fee::FreeUnderCondition) {
            "gratuit seulement sous condition"
        } else if has(&place.fees, &Fee::Paid) {
            "payant"
        } else {
            "gratuité non indiquée"
        };
        a.fail(Constraint::Free, why);
    } else if has(&place.fees, &Fee::FreeUnderCondition) {
        a.caveats.push("Gratuit sous condition".to_string());
    } else if has(&place.fees, &Fee::Paid) {
        a.caveats.push(match &place.extras.contribution {
            Some(c) => format!("Payant : {c}"),
            None => "Payant".to_string(),
        });
    }

    // Hours.
    if !s.slots.is_empty() {
        match open_slots(place, &s.slots, today) {
            None => a.fail(
                Constraint::Hours,
                "horaires non renseignés : impossible de savoir s'il est ouvert quand la personne est libre",
            ),
            Some(open) if open.is_empty() => a.fail(
                Constraint::Hours,
                format!(
                    "fermé aux moments où la personne est libre ({})",
                    s.slots
                        .iter()
                        .map(|x| x.label())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
            Some(open) => {
                a.score += 1.0;
                let said: Vec<String> = open.iter().take(3).map(|x| x.label()).collect();
                a.reasons.push(format!("Ouvert {}", said.join(", ")));
                a.open_slots = open;
            }
        }
    } else if place.opening_hours.is_none() || !place.opening_hours_valid {
        a.caveats
            .push("Horaires non renseignés : appeler avant d'y aller".to_string());
    }

    // The kind of help the level calls for.
    let individual = has(support, &SupportMode::Individual)
        || has(forms, &MediationForm::MediationInterview)
        || has(forms, &MediationForm::SimpleRights)
        || has(forms, &MediationForm::InDepthRights);
    let workshop =
        has(support, &SupportMode::Workshop) || has(forms, &MediationForm::SkillsWorkshops);
    let remote = has(support, &SupportMode::Remote);
    let self_service = has(support, &SupportMode::Autonomous)
        || has(forms, &MediationForm::SelfServiceComputers)
        || has(forms, &MediationForm::MediatedComputers);
    let aidants_connect = has(programmes, &NationalProgramme::AidantsConnect);
    let france_services = has(programmes, &NationalProgramme::FranceServices);
    let unknown_modes = support.is_empty() && forms.is_empty();
    if let Some(level) = s.level {
        match level {
            Level::Distant => {
                if individual || aidants_connect || france_services {
                    a.score += 2.0;
                    if aidants_connect && entry.procedure {
                        a.score += 3.0;
                        a.reasons
                            .push("Aidants Connect pour faire à votre place".to_string());
                    }
                    if individual {
                        a.reasons.push(
                            "Accompagnement individuel, adapté aux personnes qui débutent tout juste"
                                .to_string(),
                        );
                    }
                } else if unknown_modes {
                    a.fail(
                        Constraint::LevelUnverified,
                        "formes d'accompagnement non renseignées : vérifier qu'un accompagnement individuel est possible",
                    );
                } else {
                    a.fail(
                        Constraint::Level,
                        "pas d'accompagnement individuel, nécessaire pour une personne éloignée du numérique",
                    );
                }
            }
            Level::Beginner => {
                if individual {
                    a.score += 2.0;
                    a.reasons
                        .push("Accompagnement individuel, adapté aux débutants".to_string());
                } else if workshop {
                    a.score += 1.0;
                    a.reasons
                        .push("Ateliers collectifs, pour apprendre pas à pas".to_string());
                } else if unknown_modes {
                    a.fail(
                        Constraint::LevelUnverified,
                        "formes d'accompagnement non renseignées : vérifier le type d'aide proposé",
                    );
                } else {
                    a.fail(
                        Constraint::Level,
                        "ni accompagnement individuel ni atelier, nécessaires pour un débutant",
                    );
                }
            }
            Level::Intermediate => {
                if workshop {
                    a.score += 2.0;
                    a.reasons
                        .push("Ateliers collectifs pour progresser".to_string());
                } else if individual {
                    a.score += 1.0;
                    a.reasons.push("Accompagnement individuel".to_string());
                } else if unknown_modes {
                    a.fail(
                        Constraint::LevelUnverified,
                        "formes d'accompagnement non renseignées : vérifier le type d'aide proposé",
                    );
                } else {
                    a.fail(
                        Constraint::Level,
                        "ni atelier ni accompagnement, nécessaires pour progresser",
                    );
                }
            }
            Level::Advanced => {
                let specialised = [
                    MediationForm::RiskAwareness,
                    MediationForm::MediaInformation,
                    MediationForm::ProfessionalTraining,
                    MediationForm::InDepthRights,
                    MediationForm::Fablab,
                ]
                .iter()
                .find(|f| has(forms, f));
                if let Some(f) = specialised {
                    a.score += 2.0;
                    a.reasons.push(format!("Aide spécialisée : {}", f.label()));
                } else if workshop || individual || remote {
                    a.score += 1.0;
                    a.reasons.push(if workshop {
                        "Ateliers thématiques".to_string()
                    } else if individual {
                        "Aide ponctuelle individuelle".to_string()
                    } else {
                        "Aide à distance".to_string()
                    });
                } else if unknown_modes {
                    a.fail(
                        Constraint::LevelUnverified,
                        "formes d'accompagnement non renseignées : vérifier le type d'aide proposé",
                    );
                } else {
                    a.fail(
                        Constraint::Level,
                        "aucune aide thématique ou ponctuelle indiquée",
                    );
                }
            }
            Level::Autonomous => {
                if self_service {
                    a.score += 2.0;
                    a.reasons
                        .push("En libre accès, avec de l'aide au besoin".to_string());
                } else if unknown_modes {
                    a.caveats
                        .push("Formes d'accompagnement non renseignées".to_string());
                }
            }
        }
    } else if aidants_connect && entry.procedure {
        a.score += 1.0;
        a.reasons
            .push("Aidants Connect pour faire à votre place".to_string());
    }

    // Individual or group, as the person prefers.
    match s.format {
        Some(FormatWish::Individual) if !individual => {
            a.fail(Constraint::Format, "pas d'accompagnement individuel")
        }
        Some(FormatWish::Group) if !workshop && !has(forms, &MediationForm::MutualAid) => {
            a.fail(Constraint::Format, "pas d'atelier en groupe")
        }
        _ => {}
    }

    // Language and specific needs.
    if let Some(language) = &s.language
        && let Some(needed) = language.support()
    {
        if has(&place.specific_support, &needed) {
            a.score += 1.0;
            a.reasons
                .push(format!("Accompagnement en {}", language.label()));
        } else {
            a.fail(
                Constraint::Language,
                format!("pas d'accompagnement en {} indiqué", language.label()),
            );
        }
    }
    for need in &s.supports {
        let step_free = *need == SpecificSupport::MotorDisability
            && place.extras.step_free_access == Some(true);
        if has(&place.specific_support, need) || step_free {
            a.score += 1.0;
            a.reasons.push(if step_free {
                "Accessible en fauteuil".to_string()
            } else {
                format!("Prise en charge : {}", need.label().to_lowercase())
            });
        } else {
            a.fail(
                Constraint::Support,
                format!("prise en charge « {} » non indiquée", need.label()),
            );
        }
    }

    // Reach.
    let radius = s.radius_km();
    match distance_m {
        Some(d) if d <= radius * 1_000.0 => {
            a.reasons.push(distance_phrase(d));
            a.score -= 4.0 * d / (radius * 1_000.0).max(1.0);
        }
        Some(d) => {
            a.fail(
                Constraint::Reach,
                format!(
                    "{}, au-delà de {} km",
                    distance_phrase(d),
                    format!("{radius}").replace('.', ",")
                ),
            );
            a.score -= 4.0 * d / (radius * 1_000.0).max(1.0);
        }
        None => a.fail(Constraint::Reach, "position du lieu inconnue"),
    }
    if has(&place.mobility, &Mobility::Mobile) {
        a.caveats
            .push("Itinérant : vérifier le jour et le lieu de passage".to_string());
    }
    if remote {
        a.reasons
            .push("Aide à distance possible (téléphone ou visio)".to_string());
    }

    // Equipment, urgency, access.
    if s.equipment == Some(Equipment::None) {
        if self_service || has(&place.services, &Service::InternetAccess) {
            a.score += 1.0;
            a.reasons
                .push("Ordinateurs à disposition sur place".to_string());
        } else {
            a.caveats.push(
                "Pas d'ordinateur à disposition indiqué, et la personne n'a pas d'équipement"
                    .to_string(),
            );
        }
    }
    let walk_in = has(&place.access_modes, &AccessMode::WalkIn);
    if walk_in {
        a.reasons.push("Sans rendez-vous".to_string());
        if s.urgent {
            a.score += 2.0;
        }
    } else if has(&place.access_modes, &AccessMode::OnlineBooking)
        || has(&place.access_modes, &AccessMode::Phone)
    {
        a.caveats.push("Sur rendez-vous".to_string());
    }
    if (s.urgent || s.deadline.is_some()) && has(forms, &MediationForm::Emergency) {
        a.score += 2.0;
        a.reasons
            .push("Sait gérer les situations d'urgence".to_string());
    }
    if let Some(limits) = &place.extras.limits {
        if limit_hit(limits, entry) {
            a.fail(
                Constraint::Limit,
                format!("limite indiquée par le lieu : « {} »", limits.trim()),
            );
        } else if !matches!(reservation(place), Some(Reservation::Stated(ref t)) if t == limits.trim())
        {
            a.caveats
                .push(format!("Ce lieu précise : « {} »", limits.trim()));
        }
    }
    if (today - place.updated_on).num_days() > 365 {
        a.score -= 1.0;
        a.caveats
            .push("Informations mises à jour il y a plus d'un an".to_string());
    }
    a
}

/// « mardi 1 décembre à 14 h ».
pub fn session_phrase(start: chrono::NaiveDateTime) -> String {
    use chrono::Timelike;
    let month = crate::hours::month_name(start.month0());
    let time = match start.minute() {
        0 => format!("{} h", start.hour()),
        m => format!("{} h {m:02}", start.hour()),
    };
    format!(
        "{} {} {month} à {time}",
        day_name(start.weekday()),
        start.day()
    )
}

/// Assesses a workshop for a request and a person, with the same hard constraints as a place:
/// a theme of the request, the person's level, free when asked, within reach (remote
/// workshops are everywhere), a session when the person is free, a group format unless the
/// person prefers individual help, the person's language.
pub fn assess_workshop(
    entry: &RequestEntry,
    s: &Situation,
    w: &crate::workshops::Workshop,
    distance_m: Option<f64>,
    seats_left: Option<u32>,
    today: NaiveDate,
) -> Assessment {
    use crate::vocab::WorkshopFormat;
    let mut a = Assessment::default();
    let themes: Vec<&MediationTheme> = entry
        .themes
        .iter()
        .filter(|t| w.themes.contains(t))
        .collect();
    match themes.first() {
        Some(t) => {
            a.score += 3.0;
            a.reasons.push(format!("Atelier « {} »", t.label()));
        }
        None => a.fail(Constraint::Request, "aucun thème de la demande"),
    }
    match s.level {
        Some(level) if !w.fits(level) => a.fail(
            Constraint::Level,
            format!(
                "niveau requis {}, niveau de la personne {}",
                w.level_required.label(),
                level.label()
            ),
        ),
        Some(level) => {
            a.score += 2.0;
            a.reasons.push(if w.level_required == Level::Distant {
                "Ouvert à tous, même sans jamais avoir touché un appareil".to_string()
            } else {
                format!(
                    "Niveau {} demandé : adapté au niveau {}",
                    w.level_required.label(),
                    level.label()
                )
            });
        }
        None => a
            .reasons
            .push(format!("Niveau requis : {}", w.level_required.label())),
    }
    if w.free {
        a.reasons.insert(0, "Gratuit".to_string());
    } else if s.free_only {
        a.fail(Constraint::Free, "payant");
    } else {
        a.caveats.push(match &w.price {
            Some(p) => format!("Payant : {p}"),
            None => "Payant".to_string(),
        });
    }
    if w.aptic {
        a.reasons.push("Chèques APTIC acceptés".to_string());
    }
    let upcoming: Vec<&crate::workshops::Session> = w
        .sessions
        .iter()
        .filter(|x| x.start.date() >= today)
        .collect();
    let in_slots: Vec<&&crate::workshops::Session> = upcoming
        .iter()
        .filter(|x| {
            s.slots.is_empty()
                || s.slots.iter().any(|slot| {
                    let (from, to) = slot.part.window();
                    x.start.weekday() == slot.day && x.start.time() >= from && x.start.time() < to
                })
        })
        .collect();
    match in_slots.first() {
        Some(first) => {
            a.reasons
                .push(format!("Le {}", session_phrase(first.start)));
            a.score += 1.0;
        }
        None if upcoming.is_empty() => a.fail(Constraint::Hours, "aucune séance à venir"),
        None => a.fail(
            Constraint::Hours,
            "aucune séance quand la personne est libre",
        ),
    }
    if w.format == WorkshopFormat::Remote {
        a.reasons.push("À distance".to_string());
    } else {
        let radius = s.radius_km();
        match distance_m {
            Some(d) if d <= radius * 1_000.0 => {
                a.reasons.push(distance_phrase(d));
                a.score -= 4.0 * d / (radius * 1_000.0).max(1.0);
            }
            Some(d) => a.fail(
                Constraint::Reach,
                format!("{}, trop loin", distance_phrase(d)),
            ),
            None => a.fail(Constraint::Reach, "lieu de l'atelier inconnu"),
        }
    }
    if s.format == Some(FormatWish::Individual) && w.format != WorkshopFormat::IndividualInGroup {
        a.fail(
            Constraint::Format,
            "atelier collectif, la personne préfère être seule avec un aidant",
        );
    }
    if let Some(language) = &s.language
        && language.support().is_some()
    {
        let said = w
            .language_support
            .as_deref()
            .map(crate::text::fold)
            .unwrap_or_default();
        if said.contains(&crate::text::fold(&language.label())) {
            a.reasons
                .push(format!("Accompagnement en {}", language.label()));
        } else {
            a.fail(
                Constraint::Language,
                format!("pas d'accompagnement en {} indiqué", language.label()),
            );
        }
    }
    match seats_left {
        Some(0) => a
            .caveats
            .push("Complet : inscription en liste d'attente".to_string()),
        Some(n) => a.reasons.push(if n == 1 {
            "1 place libre".to_string()
        } else {
            format!("{n} places libres")
        }),
        None => {}
    }
    if w.registration == crate::vocab::RegistrationMode::ReferralOnly {
        a.caveats
            .push("Sur orientation d'un aidant seulement".to_string());
    }
    a
}

/// Orders assessments: fitting places first, then by score, then by distance.
pub fn rank<T>(items: &mut [(T, Assessment, Option<f64>)]) {
    items.sort_by(|a, b| {
        b.1.fits()
            .cmp(&a.1.fits())
            .then(b.1.score.total_cmp(&a.1.score))
            .then(a.2.unwrap_or(f64::MAX).total_cmp(&b.2.unwrap_or(f64::MAX)))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    /// Monday 23 November 2026.
    fn today() -> NaiveDate {
        day("2026-11-23")
    }

    fn catalogue_entry(id: &str) -> RequestEntry {
        initial_catalogue()
            .unwrap_or_default()
            .into_iter()
            .find(|e| e.id == id)
            .unwrap_or_else(|| panic!("{id} is in the catalogue"))
    }

    /// A France Services with Aidants Connect, free, individual help, open weekday mornings.
    fn france_services() -> Place {
        let mut p = Place::new(
            "fs",
            "France Services de Nancy",
            "1 place Carnot",
            "54000",
            "Nancy",
            day("2026-10-01"),
        );
        p.services = vec![Service::AdministrativeProcedures];
        p.fees = vec![Fee::Free];
        p.support_modes = vec![SupportMode::Individual];
        p.national_programmes = vec![
            NationalProgramme::FranceServices,
            NationalProgramme::AidantsConnect,
        ];
        p.access_modes = vec![AccessMode::WalkIn];
        p.opening_hours = Some("Mo-Fr 09:00-12:00".to_string());
        p
    }

    fn tuesday_morning() -> Slot {
        Slot {
            day: Weekday::Tue,
            part: DayPart::Morning,
        }
    }

    #[test]
    fn the_initial_catalogue_holds_the_field_requests() {
        let catalogue = initial_catalogue().unwrap_or_default();
        assert!(catalogue.len() >= 25, "{} requests", catalogue.len());
        let mut ids: Vec<&str> = catalogue.iter().map(|e| e.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), catalogue.len(), "identifiers are unique");
        let typologies = crate::typology::Typologies::standard();
        for e in &catalogue {
            assert!(
                !e.services.is_empty() || !e.mediation_forms.is_empty(),
                "{} says what answers it",
                e.id
            );
            assert!(
                !e.questions.is_empty(),
                "{} has hidden-need questions",
                e.id
            );
            for t in &e.typologies {
                assert!(typologies.label(t).is_some(), "{}: typology {t}", e.id);
            }
            // An entry survives its own form unchanged.
            let back = RequestForm::of(e).validate(&e.id, |t| typologies.label(t).is_some());
            assert_eq!(back.as_ref(), Ok(e), "{}", e.id);
        }
        for asked in [
            "imprimer-document",
            "compte-ameli",
            "compte-caf",
            "compte-impots",
            "titre-sejour",
            "carte-grise",
            "cv-lettre",
            "inscription-france-travail",
            "logement-social",
            "rdv-prefecture",
            "espace-scolaire",
            "materiel-solidaire",
            "smartphone",
            "arnaque",
        ] {
            assert!(ids.contains(&asked), "{asked}");
        }
    }

    #[test]
    fn the_form_names_each_bad_field() {
        let form = RequestForm {
            title: "x".into(),
            services: vec!["inconnu".into()],
            typologies: "CAF ZZZ".into(),
            ..RequestForm::default()
        };
        let errors = form.validate("x", |t| t == "CAF").err().unwrap_or_default();
        let fields: Vec<&str> = errors.iter().map(|(f, _)| *f).collect();
        assert!(fields.contains(&"intitule"));
        assert!(fields.contains(&"services"));
        assert!(fields.contains(&"typologies"));
        assert!(errors.iter().any(|(_, m)| m.contains("ZZZ")));
    }

    #[test]
    fn a_fitting_place_says_why_in_plain_french() {
        let entry = catalogue_entry("compte-caf");
        let s = Situation {
            level: Some(Level::Distant),
            free_only: true,
            slots: vec![tuesday_morning()],
            ..Situation::default()
        };
        let a = assess(&entry, &s, &france_services(), Some(2_300.0), today());
        assert!(a.fits(), "{:?}", a.failed);
        for said in [
            "Gratuit",
            "Ouvert le mardi matin",
            "Aidants Connect pour faire à votre place",
            "France Services",
            "Sans rendez-vous",
            "à 2,3 km",
        ] {
            assert!(
                a.reasons.iter().any(|r| r == said),
                "{said} in {:?}",
                a.reasons
            );
        }
        assert!(
            a.reasons
                .iter()
                .any(|r| r.starts_with("Accompagnement individuel"))
        );
    }

    #[test]
    fn each_hard_constraint_is_enforced_with_its_reason() {
        let entry = catalogue_entry("compte-caf");
        let base = Situation {
            level: Some(Level::Beginner),
            ..Situation::default()
        };
        let failed = |s: &Situation, p: &Place, d: Option<f64>| {
            assess(&entry, s, p, d, today())
                .failed
                .into_iter()
                .map(|(c, _)| c)
                .collect::<Vec<_>>()
        };
        let fs = france_services();
        assert!(failed(&base, &fs, Some(500.0)).is_empty());

        let mut paid = fs.clone();
        paid.fees = vec![Fee::Paid];
        let free_only = Situation {
            free_only: true,
            ..base.clone()
        };
        assert_eq!(failed(&free_only, &paid, Some(500.0)), [Constraint::Free]);
        assert!(failed(&base, &paid, Some(500.0)).is_empty());

        let evening = Situation {
            slots: vec![Slot {
                day: Weekday::Wed,
                part: DayPart::Evening,
            }],
            ..base.clone()
        };
        assert_eq!(failed(&evening, &fs, Some(500.0)), [Constraint::Hours]);
        let mut no_hours = fs.clone();
        no_hours.opening_hours = None;
        let morning = Situation {
            slots: vec![tuesday_morning()],
            ..base.clone()
        };
        assert_eq!(
            failed(&morning, &no_hours, Some(500.0)),
            [Constraint::Hours]
        );

        assert_eq!(failed(&base, &fs, Some(12_000.0)), [Constraint::Reach]);
        assert_eq!(failed(&base, &fs, None), [Constraint::Reach]);
        let walking = Situation {
            travel: Some(Travel::Walk),
            ..base.clone()
        };
        assert_eq!(failed(&walking, &fs, Some(3_000.0)), [Constraint::Reach]);

        let mut closed_doors = fs.clone();
        closed_doors.access_modes = vec![AccessMode::NoPublic];
        assert_eq!(
            failed(&base, &closed_doors, Some(500.0)),
            [Constraint::Public]
        );

        let mut workshops_only = fs.clone();
        workshops_only.support_modes = vec![SupportMode::Workshop];
        workshops_only.national_programmes.clear();
        let distant = Situation {
            level: Some(Level::Distant),
            ..base.clone()
        };
        assert_eq!(
            failed(&distant, &workshops_only, Some(500.0)),
            [Constraint::Level]
        );
        assert!(failed(&base, &workshops_only, Some(500.0)).is_empty());

        let english = Situation {
            language: LanguageNeed::parse("en"),
            ..base.clone()
        };
        assert_eq!(failed(&english, &fs, Some(500.0)), [Constraint::Language]);
        let mut speaks = fs.clone();
        speaks.specific_support = vec![SpecificSupport::English];
        assert!(failed(&english, &speaks, Some(500.0)).is_empty());

        let deaf = Situation {
            supports: vec![SpecificSupport::Deafness],
            ..base.clone()
        };
        assert_eq!(failed(&deaf, &fs, Some(500.0)), [Constraint::Support]);

        let group = Situation {
            format: Some(FormatWish::Group),
            ..base.clone()
        };
        assert_eq!(failed(&group, &fs, Some(500.0)), [Constraint::Format]);

        let mut library = fs.clone();
        library.services = vec![Service::Leisure];
        library.extras.mediation_forms.clear();
        assert_eq!(failed(&base, &library, Some(500.0)), [Constraint::Request]);

        let mut limited = fs.clone();
        limited.extras.limits = Some("N'intervient pas sur le logement".into());
        let housing = catalogue_entry("logement-social");
        assert!(
            assess(&housing, &base, &limited, Some(500.0), today())
                .failed
                .iter()
                .any(|(c, _)| *c == Constraint::Limit)
        );
        // A limit on something else is only shown.
        let taxes = catalogue_entry("compte-impots");
        let a = assess(&taxes, &base, &limited, Some(500.0), today());
        assert!(a.fits());
        assert!(a.caveats.iter().any(|c| c.contains("logement")));
    }

    #[test]
    fn places_reserved_to_some_publics_are_flagged_or_left_out() {
        let entry = catalogue_entry("compte-caf");
        let mut mission = france_services();
        mission.typologies = vec!["ML".into()];
        let unknown = Situation::default();
        let a = assess(&entry, &unknown, &mission, Some(500.0), today());
        assert!(a.fits());
        assert!(a.caveats.iter().any(|c| c.starts_with("Réservé")));
        let senior = Situation {
            publics: vec![Public::Seniors],
            ..Situation::default()
        };
        let a = assess(&entry, &senior, &mission, Some(500.0), today());
        assert_eq!(a.failed.first().map(|f| f.0), Some(Constraint::Public));
        let young = Situation {
            publics: vec![Public::Youth],
            ..Situation::default()
        };
        assert!(assess(&entry, &young, &mission, Some(500.0), today()).fits());

        let mut stated = france_services();
        stated.extras.limits = Some("Uniquement pour les 16-25 ans".into());
        let a = assess(&entry, &unknown, &stated, Some(500.0), today());
        assert!(a.caveats.iter().any(|c| c.contains("16-25")));
        // Ranked below an open place.
        let open = assess(&entry, &unknown, &france_services(), Some(500.0), today());
        assert!(open.score > a.score);
    }

    #[test]
    fn reach_and_hours_may_be_relaxed_for_options_beyond_the_limits() {
        let entry = catalogue_entry("compte-caf");
        let s = Situation::default();
        let far = assess(&entry, &s, &france_services(), Some(40_000.0), today());
        assert!(far.fits_beyond_limits());
        let mut paid = france_services();
        paid.fees = vec![Fee::Paid];
        let s = Situation {
            free_only: true,
            ..s
        };
        assert!(!assess(&entry, &s, &paid, Some(40_000.0), today()).fits_beyond_limits());
    }

    #[test]
    fn distances_read_as_people_say_them() {
        assert_eq!(distance_phrase(180.0), "à 200 m");
        assert_eq!(distance_phrase(2_340.0), "à 2,3 km");
        assert_eq!(distance_phrase(14_400.0), "à 14 km");
    }

    #[test]
    fn slots_and_languages_parse() {
        let slot = tuesday_morning();
        assert_eq!(slot.slug(), "mardi-matin");
        assert_eq!(Slot::parse("mardi-matin"), Some(slot));
        assert_eq!(
            Slot::parse("samedi-apres-midi"),
            Some(Slot {
                day: Weekday::Sat,
                part: DayPart::Afternoon
            })
        );
        assert_eq!(Slot::parse("mardi"), None);
        assert_eq!(Slot::parse("lundi-nuit"), None);
        assert_eq!(LanguageNeed::parse("Français"), Some(LanguageNeed::French));
        assert_eq!(LanguageNeed::parse("anglais"), Some(LanguageNeed::English));
        assert_eq!(
            LanguageNeed::parse("arabe").and_then(|l| l.support()),
            Some(SpecificSupport::OtherLanguages)
        );
        assert_eq!(LanguageNeed::parse("  "), None);
    }

    fn arb_place() -> impl Strategy<Value = Place> {
        (
            proptest::sample::subsequence(Service::ALL.to_vec(), 0..3),
            proptest::sample::subsequence(Fee::ALL.to_vec(), 0..2),
            proptest::sample::subsequence(SupportMode::ALL.to_vec(), 0..3),
            proptest::sample::subsequence(AccessMode::ALL.to_vec(), 0..3),
            proptest::sample::subsequence(NationalProgramme::ALL.to_vec(), 0..2),
            proptest::sample::subsequence(SpecificSupport::ALL.to_vec(), 0..2),
            proptest::option::of(proptest::sample::select(vec![
                "Mo-Fr 09:00-12:00",
                "Tu,Th 14:00-18:00",
                "Sa 10:00-12:00",
                "Mo-Fr 09:00-12:00,13:30-17:00; PH off",
                "n'importe quoi",
            ])),
        )
            .prop_map(
                |(services, fees, support, access, programmes, specific, hours)| {
                    let mut p = france_services();
                    p.services = services;
                    p.fees = fees;
                    p.support_modes = support;
                    p.access_modes = access;
                    p.national_programmes = programmes;
                    p.specific_support = specific;
                    p.opening_hours_valid = hours.is_some_and(|h| !h.starts_with('n'));
                    p.opening_hours = hours.map(str::to_string);
                    p
                },
            )
    }

    fn arb_situation() -> impl Strategy<Value = Situation> {
        (
            proptest::option::of(proptest::sample::select(Level::ALL.to_vec())),
            any::<bool>(),
            proptest::option::of(1.0f64..30.0),
            proptest::sample::subsequence(
                vec![
                    tuesday_morning(),
                    Slot {
                        day: Weekday::Sat,
                        part: DayPart::Morning,
                    },
                    Slot {
                        day: Weekday::Thu,
                        part: DayPart::Afternoon,
                    },
                ],
                0..3,
            ),
            proptest::option::of(proptest::sample::select(FormatWish::ALL.to_vec())),
            proptest::option::of(proptest::sample::select(vec!["fr", "en", "arabe"])),
        )
            .prop_map(
                |(level, free_only, radius_km, slots, format, language)| Situation {
                    level,
                    free_only,
                    radius_km,
                    slots,
                    format,
                    language: language.and_then(LanguageNeed::parse),
                    ..Situation::default()
                },
            )
    }

    proptest! {
        /// Whatever the place and the person, a place proposed as fitting satisfies every hard
        /// constraint, read from its own data.
        #[test]
        fn a_fitting_place_meets_every_hard_constraint(
            place in arb_place(),
            s in arb_situation(),
            distance in proptest::option::of(0.0f64..50_000.0),
            entry in proptest::sample::select(initial_catalogue().unwrap_or_default()),
        ) {
            let a = assess(&entry, &s, &place, distance, today());
            prop_assert_eq!(a.fits(), a.failed.is_empty());
            if a.fits() {
                prop_assert!(!place.access_modes.contains(&AccessMode::NoPublic));
                if s.free_only {
                    prop_assert!(place.fees.contains(&Fee::Free));
                }
                let d = distance.unwrap_or(f64::MAX);
                prop_assert!(d <= s.radius_km() * 1_000.0);
                if !s.slots.is_empty() {
                    prop_assert!(!a.open_slots.is_empty());
                    prop_assert!(a.open_slots.iter().all(|x| s.slots.contains(x)));
                }
                prop_assert!(
                    entry.services.iter().any(|x| place.services.contains(x))
                        || entry.mediation_forms.iter().any(|x| place.extras.mediation_forms.contains(x))
                );
                if let Some(need) = s.language.as_ref().and_then(LanguageNeed::support) {
                    prop_assert!(place.specific_support.contains(&need));
                }
                if s.level == Some(Level::Distant) {
                    prop_assert!(
                        place.support_modes.contains(&SupportMode::Individual)
                            || place.national_programmes.contains(&NationalProgramme::AidantsConnect)
                            || place.national_programmes.contains(&NationalProgramme::FranceServices)
                    );
                }
            }
            // Reasons are true of the place.
            prop_assert_eq!(a.reasons.iter().any(|r| r == "Gratuit"), place.fees.contains(&Fee::Free));
            prop_assert_eq!(
                a.reasons.iter().any(|r| r == "Sans rendez-vous"),
                place.access_modes.contains(&AccessMode::WalkIn)
            );
            if a.reasons.iter().any(|r| r.starts_with("Aidants Connect")) {
                prop_assert!(place.national_programmes.contains(&NationalProgramme::AidantsConnect));
            }
        }
    }
}
