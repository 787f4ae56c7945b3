//! Activity records (« comptes rendus d'activité ») — issue #7.
//!
//! A helper records what they did: an individual accompaniment, a collective workshop or an
//! administrative procedure assisted. The vocabularies are those of the national activity
//! reporting (themes, procedure themes, equipment, place types, autonomy, redirection,
//! age brackets, social statuses) so that figures compare with the national tool; the labels
//! of the national tool are accepted on import as aliases.
//!
//! The person is either anonymous (an age bracket, a gender, a social status and a commune,
//! each optional) or followed by the organisation with their consent (issue #4's persons). A
//! collective workshop counts its followed participants by name and the others as anonymous
//! counts with their demographics, one dimension at a time, as the national tool does.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::diagnostic::Level;
use crate::vocab::{MediationTheme, Vocabulary, vocabulary};

mod form;

pub use form::*;

vocabulary! {
    /// `type`: what kind of activity was recorded.
    ActivityKind, field = "type" {
        Individual = "individuel", "Accompagnement individuel", aliases = ["individuel"];
        Collective = "collectif", "Atelier collectif", aliases = ["collectif", "atelier"];
        Procedure = "demarche", "Aide aux démarches administratives", aliases = ["démarche", "demarche administrative"];
    }
}

vocabulary! {
    /// `lieu`: where the activity took place.
    Venue, field = "lieu" {
        Place = "lieu-activite", "Lieu d'activité", aliases = ["Lieu d’activité", "LieuActivite"];
        Home = "domicile", "Au domicile de la personne", aliases = ["Au domicile de l’usager", "Domicile"];
        Remote = "a-distance", "À distance", aliases = ["ADistance", "téléphone", "visio"];
        Elsewhere = "autre", "Autre lieu", aliases = ["Autre"];
    }
}

vocabulary! {
    /// `thematiques_demarche`: sub-themes of administrative procedures.
    ProcedureTheme, field = "thematiques_demarche" {
        Papers = "papiers", "Papiers - Élections Citoyenneté";
        Family = "famille", "Famille - Scolarité";
        SocialHealth = "social-sante", "Social - Santé";
        WorkTraining = "travail", "Travail - Formation";
        Housing = "logement", "Logement";
        Transport = "transports", "Transports - Mobilité";
        MoneyTaxes = "argent-impots", "Argent - Impôts";
        Justice = "justice", "Justice";
        Foreigners = "etrangers", "Étrangers - Europe";
        Leisure = "loisirs", "Loisirs - Sports Culture";
    }
}

vocabulary! {
    /// `materiel`: equipment used during the activity.
    Equipment, field = "materiel" {
        Computer = "ordinateur", "Ordinateur";
        Phone = "telephone", "Téléphone", aliases = ["smartphone"];
        Tablet = "tablette", "Tablette";
        Other = "autre", "Autre matériel";
        None = "aucun", "Pas de matériel";
    }
}

vocabulary! {
    /// `autonomie`: the degree of autonomy of the person during the activity.
    Autonomy, field = "autonomie" {
        DoneForThem = "a-la-place", "Fait à la place de la personne", aliases = ["L’usager a été entièrement accompagné", "EntierementAccompagne", "à la place"];
        DoneWith = "avec", "Fait avec la personne", aliases = ["L’usager a participé à l’accompagnement", "PartiellementAutonome", "avec"];
        DoneAlone = "seule", "Fait par la personne, seule", aliases = ["L’usager a été plutôt autonome", "Autonome", "seul"];
    }
}

vocabulary! {
    /// `finalisation`: whether the procedure was completed.
    ProcedureOutcome, field = "finalisation" {
        Completed = "finalisee", "Démarche finalisée", aliases = ["Finalisee", "oui"];
        FinishAlone = "a-finaliser-seule", "À finaliser par la personne, seule", aliases = ["AFinaliserEnAutonomie"];
        MustReturn = "doit-revenir", "La personne doit revenir", aliases = ["DoitRevenir"];
        Oriented = "orientee", "Orientée vers une autre structure", aliases = ["OrienteVersStructure"];
    }
}

vocabulary! {
    /// `orientation`: where the person was sent, in the categories of the national reporting.
    Redirection, field = "orientation" {
        Operator = "operateur", "Opérateur ou organisme en charge de la démarche", aliases = ["Opérateur ou organisme en charge de la démarche administrative", "OperateurOuOrganismeEnCharge"];
        ProcedureHelp = "aide-demarches", "Structure d'aide aux démarches (France Services…)", aliases = ["Structure d’aide aux démarches administratives (France Services…)", "AideAuxDemarchesAdministratives"];
        Administration = "administration", "Administration (collectivité, préfecture…)", aliases = ["Administration (collectivité locale, préfecture…)"];
        DigitalMediation = "mediation-numerique", "Structure de médiation numérique", aliases = ["MediationNumerique"];
        Other = "autre", "Autre structure", aliases = ["Autre"];
    }
}

vocabulary! {
    /// `tranche_age`: age brackets of the national reporting.
    AgeBracket, field = "tranche_age" {
        Minor = "mineur", "Moins de 18 ans", aliases = ["Mineur(e)", "Mineur", "-18"];
        From18To24 = "18-24", "18 - 24 ans", aliases = ["DixHuitVingtQuatre"];
        From25To39 = "25-39", "25 - 39 ans", aliases = ["VingtCinqTrenteNeuf"];
        From40To59 = "40-59", "40 - 59 ans", aliases = ["QuaranteCinquanteNeuf"];
        From60To69 = "60-69", "60 - 69 ans", aliases = ["SoixanteSoixanteNeuf"];
        From70 = "70-plus", "70 ans et plus", aliases = ["70 ans ou plus", "SoixanteDixPlus"];
    }
}

vocabulary! {
    /// `genre`.
    Gender, field = "genre" {
        Female = "femme", "Femme", aliases = ["Féminin", "F"];
        Male = "homme", "Homme", aliases = ["Masculin", "H", "M"];
    }
}

vocabulary! {
    /// `statut_social`: social statuses of the national reporting.
    SocialStatus, field = "statut_social" {
        Schooling = "scolarise", "Scolarisé(e)", aliases = ["Scolarisé", "étudiant"];
        Unemployed = "sans-emploi", "Sans emploi", aliases = ["demandeur d'emploi"];
        Employed = "en-emploi", "En emploi";
        Retired = "retraite", "Retraité(e)", aliases = ["Retraité"];
    }
}

impl Redirection {
    /// The category of a structure from its typologies (codes of the standard): where a
    /// referral sent from Maillage counts in the national categories.
    pub fn of_typologies(codes: &[String]) -> Redirection {
        let has = |list: &[&str]| codes.iter().any(|c| list.contains(&c.as_str()));
        if has(&["RFS", "MSAP", "PIMMS"]) {
            Redirection::ProcedureHelp
        } else if has(&[
            "CAF",
            "CPAM",
            "FT",
            "CFP",
            "CAP_EMPLOI",
            "LA_POSTE",
            "MSA",
            "CARSAT",
        ]) {
            Redirection::Operator
        } else if has(&[
            "MAIRIE", "PREF", "CD", "DEPT", "CCAS", "CIAS", "EPCI", "CC", "MDS", "CDAS",
        ]) {
            Redirection::Administration
        } else if has(&[
            "BIB",
            "EPN",
            "EPI",
            "ENM",
            "FABLAB",
            "TIERS_LIEUX",
            "FABRIQUE",
            "CS",
            "CSC",
            "ASSO",
        ]) {
            Redirection::DigitalMediation
        } else {
            Redirection::Other
        }
    }
}

impl AgeBracket {
    /// 60 years and over, the « séniors » of seed 003's typology.
    pub fn is_senior(self) -> bool {
        matches!(self, AgeBracket::From60To69 | AgeBracket::From70)
    }
}

/// A recorded activity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    pub kind: ActivityKind,
    pub date: NaiveDate,
    pub duration_minutes: u16,
    pub venue: Venue,
    /// The place of the directory, when `venue` is a place of activity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place_id: Option<String>,
    /// INSEE code of the commune where it took place (place's commune, home, elsewhere).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insee_code: Option<String>,
    #[serde(default)]
    pub themes: Vec<MediationTheme>,
    #[serde(default)]
    pub procedure_themes: Vec<ProcedureTheme>,
    /// The procedure's name (« Demande de RSA »).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub procedure_name: Option<String>,
    #[serde(default)]
    pub equipment: Vec<Equipment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autonomy: Option<Autonomy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<ProcedureOutcome>,
    /// Where the person was oriented, if they were.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirection: Option<Redirection>,
    /// The referral of issue #6 this orientation was sent as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referral_id: Option<String>,
    /// The mandate (issue #19) a procedure was done under. Kept in its own column by the
    /// store (erased with the mandate), not in the record's data.
    #[serde(skip)]
    pub mandate_id: Option<String>,
    /// Title of a collective workshop.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Level of the workshop, or of the person for an individual record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<Level>,
    /// The workshop session (issue #5) this record was made from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workshop: Option<WorkshopSession>,
    /// Followed persons (ids of the organisation's persons).
    #[serde(default)]
    pub persons: Vec<String>,
    /// Participants who are not followed.
    #[serde(default)]
    pub anonymous: Group,
    /// Free tags of the organisation (« conseiller numérique », « quartier prioritaire »…).
    #[serde(default)]
    pub tags: Vec<String>,
}

/// A session of a workshop of issue #5.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkshopSession {
    pub workshop_id: String,
    pub start: chrono::NaiveDateTime,
}

/// Counts of one dimension of the anonymous participants (`None`: not said).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts<V: Ord>(pub std::collections::BTreeMap<V, u32>);

impl<V: Ord> Default for Counts<V> {
    fn default() -> Self {
        Self(std::collections::BTreeMap::new())
    }
}

impl<V: Ord + Copy> Counts<V> {
    pub fn total(&self) -> u32 {
        self.0.values().sum()
    }
    pub fn get(&self, v: V) -> u32 {
        self.0.get(&v).copied().unwrap_or(0)
    }
    pub fn one(v: Option<V>) -> Self {
        Self(v.into_iter().map(|v| (v, 1)).collect())
    }
}

/// Anonymous participants: how many, and what is known of them, dimension by dimension.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Group {
    pub total: u32,
    #[serde(default)]
    pub ages: Counts<AgeBracket>,
    #[serde(default)]
    pub genders: Counts<Gender>,
    #[serde(default)]
    pub statuses: Counts<SocialStatus>,
    /// Commune of residence, for a single anonymous person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commune: Option<String>,
}

/// What is known of a followed person (stored with the person, each item optional).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Profile {
    pub age: Option<AgeBracket>,
    pub gender: Option<Gender>,
    pub status: Option<SocialStatus>,
    /// INSEE code of the commune of residence.
    pub commune: Option<String>,
}

impl Activity {
    /// « Accompagnements » as the national reporting counts them: one per person met — one
    /// for an individual record or a procedure, one per participant for a workshop.
    pub fn accompaniments(&self) -> u32 {
        self.persons.len() as u32 + self.anonymous.total
    }

    /// Whether the person was oriented somewhere.
    pub fn oriented(&self) -> bool {
        self.redirection.is_some()
            || self.referral_id.is_some()
            || self.outcome == Some(ProcedureOutcome::Oriented)
    }

    /// A short French summary for lists and timelines.
    pub fn summary(&self) -> String {
        let what = match (&self.title, &self.procedure_name) {
            (Some(t), _) => t.clone(),
            (None, Some(p)) => p.clone(),
            _ => self
                .themes
                .iter()
                .map(|t| t.label())
                .collect::<Vec<_>>()
                .join(", "),
        };
        format!("{} — {what}", self.kind.label())
    }
}

/// Duration typed by a helper: `45`, `1h30`, `1 h 30`, `1:30`, `90 min`.
pub fn parse_duration(input: &str) -> Option<u16> {
    let s: String = input
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let s = s.trim_end_matches("minutes").trim_end_matches("min");
    if s.is_empty() {
        return None;
    }
    if let Ok(m) = s.parse::<u16>() {
        return Some(m);
    }
    let (h, m) = s.split_once('h').or_else(|| s.split_once(':'))?;
    let h: u16 = h.parse().ok()?;
    let m: u16 = if m.is_empty() { 0 } else { m.parse().ok()? };
    if m >= 60 {
        return None;
    }
    h.checked_mul(60)?.checked_add(m)
}

/// « 1 h 30 », « 45 min ».
pub fn duration_phrase(minutes: u32) -> String {
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m:02}"),
    }
}

/// Longest activity accepted (a day of outreach).
pub const MAX_DURATION_MINUTES: u16 = 12 * 60;
/// Most participants in one workshop record.
pub const MAX_PARTICIPANTS: u32 = 500;

impl Activity {
    /// The form that gives this activity back (to edit or duplicate it).
    pub fn to_form(&self) -> ActivityForm {
        fn pairs<V: Vocabulary>(c: &Counts<V>, single: bool) -> Vec<String> {
            c.0.iter()
                .map(|(v, n)| {
                    if single {
                        v.slug().to_string()
                    } else {
                        format!("{}={n}", v.slug())
                    }
                })
                .collect()
        }
        let single = self.kind != ActivityKind::Collective;
        ActivityForm {
            kind: self.kind.slug().into(),
            date: self.date.to_string(),
            duration: self.duration_minutes.to_string(),
            venue: self.venue.slug().into(),
            place_id: self.place_id.clone().unwrap_or_default(),
            insee_code: self.insee_code.clone().unwrap_or_default(),
            themes: self.themes.iter().map(|t| t.slug().into()).collect(),
            procedure_themes: self
                .procedure_themes
                .iter()
                .map(|t| t.slug().into())
                .collect(),
            procedure_name: self.procedure_name.clone().unwrap_or_default(),
            equipment: self.equipment.iter().map(|t| t.slug().into()).collect(),
            autonomy: self.autonomy.map(|a| a.slug().into()).unwrap_or_default(),
            outcome: self.outcome.map(|a| a.slug().into()).unwrap_or_default(),
            redirection: self
                .redirection
                .map(|a| a.slug().into())
                .unwrap_or_default(),
            title: self.title.clone().unwrap_or_default(),
            level: self.level.map(|l| l.slug().into()).unwrap_or_default(),
            persons: self.persons.clone(),
            anonymous_total: if single {
                String::new()
            } else {
                self.anonymous.total.to_string()
            },
            ages: pairs(&self.anonymous.ages, single),
            genders: pairs(&self.anonymous.genders, single),
            statuses: pairs(&self.anonymous.statuses, single),
            residence: self.anonymous.commune.clone().unwrap_or_default(),
            tags: self.tags.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap_or_default()
    }

    fn individual() -> ActivityForm {
        ActivityForm {
            kind: "individuel".into(),
            date: "23/11/2026".into(),
            duration: "45".into(),
            venue: "lieu-activite".into(),
            place_id: "p1".into(),
            themes: vec!["materiel".into(), "Navigation sur internet".into()],
            equipment: vec!["telephone".into()],
            autonomy: "avec".into(),
            ages: vec!["60-69".into()],
            genders: vec!["femme".into()],
            residence: "54395".into(),
            ..Default::default()
        }
    }

    #[test]
    fn an_individual_accompaniment_with_an_anonymous_person() {
        let a = individual().validate(today()).expect("valid");
        assert_eq!(a.kind, ActivityKind::Individual);
        assert_eq!(
            a.themes,
            vec![MediationTheme::Equipment, MediationTheme::Internet]
        );
        assert_eq!(a.anonymous.total, 1);
        assert_eq!(a.anonymous.ages.get(AgeBracket::From60To69), 1);
        assert_eq!(a.anonymous.commune.as_deref(), Some("54395"));
        assert_eq!(a.accompaniments(), 1);
        assert!(!a.oriented());
    }

    #[test]
    fn a_followed_person_is_not_also_counted_anonymous() {
        let mut f = individual();
        f.persons = vec!["person-1".into()];
        f.ages.clear();
        f.genders.clear();
        let a = f.validate(today()).expect("valid");
        assert_eq!(a.anonymous.total, 0);
        assert_eq!(a.accompaniments(), 1);
        f.anonymous_total = "2".into();
        let errors = f.validate(today()).expect_err("two persons");
        assert_eq!(errors[0].0, "personnes");
    }

    #[test]
    fn a_workshop_counts_followed_and_anonymous_participants() {
        let f = ActivityForm {
            kind: "Atelier collectif".into(),
            date: "2026-11-20".into(),
            duration: "2h".into(),
            venue: "lieu-activite".into(),
            place_id: "p1".into(),
            themes: vec!["securite".into()],
            title: "Éviter les arnaques".into(),
            level: "debutant".into(),
            persons: vec!["a".into(), "b".into(), "a".into()],
            anonymous_total: "6".into(),
            ages: vec!["60-69=4".into(), "70-plus=1".into()],
            genders: vec!["femme=5".into()],
            ..Default::default()
        };
        let a = f.validate(today()).expect("valid");
        assert_eq!(a.duration_minutes, 120);
        assert_eq!(a.persons, vec!["a", "b"]);
        assert_eq!(a.accompaniments(), 8);
        assert_eq!(a.anonymous.ages.total(), 5);
        let mut too_many = f.clone();
        too_many.genders = vec!["femme=5".into(), "homme=2".into()];
        let errors = too_many.validate(today()).expect_err("7 > 6");
        assert_eq!(
            errors,
            vec![(
                "genre",
                "7 personnes réparties pour 6 participants anonymes".to_string()
            )]
        );
    }

    #[test]
    fn a_procedure_needs_its_domain_and_adds_the_procedures_theme() {
        let mut f = individual();
        f.kind = "demarche".into();
        f.themes.clear();
        let errors = f.validate(today()).expect_err("domain missing");
        assert_eq!(errors[0].0, "thematiques_demarche");
        f.procedure_themes = vec!["Social - Santé".into()];
        f.procedure_name = "Demande de complémentaire santé solidaire".into();
        f.outcome = "AFinaliserEnAutonomie".into();
        let a = f.validate(today()).expect("valid");
        assert_eq!(a.themes, vec![MediationTheme::OnlineProcedures]);
        assert_eq!(a.outcome, Some(ProcedureOutcome::FinishAlone));
    }

    #[test]
    fn errors_name_the_field_and_the_reason_in_french() {
        let f = ActivityForm {
            kind: "visite".into(),
            date: "2026-12-25".into(),
            duration: "3 jours".into(),
            venue: "lieu-activite".into(),
            themes: vec!["jardinage".into()],
            ..Default::default()
        };
        let errors = f.validate(today()).expect_err("invalid");
        let fields: Vec<&str> = errors.iter().map(|(f, _)| *f).collect();
        assert_eq!(
            fields,
            vec!["type", "date", "duree", "lieu_id", "thematiques"]
        );
        assert!(errors[0].1.contains("« visite »"));
        assert!(errors[1].1.contains("futur"));
    }

    #[test]
    fn national_labels_are_accepted() {
        assert_eq!(
            Autonomy::parse("L’usager a été plutôt autonome"),
            Some(Autonomy::DoneAlone)
        );
        assert_eq!(
            AgeBracket::parse("70 ans ou plus"),
            Some(AgeBracket::From70)
        );
        assert_eq!(Venue::parse("À distance"), Some(Venue::Remote));
        assert_eq!(
            Redirection::parse("Structure d’aide aux démarches administratives (France Services…)"),
            Some(Redirection::ProcedureHelp)
        );
        assert_eq!(
            MediationTheme::parse("Prévention en sécurité numérique"),
            Some(MediationTheme::Safety)
        );
    }

    #[test]
    fn the_form_gives_the_activity_back() {
        let a = individual().validate(today()).expect("valid");
        assert_eq!(a.to_form().validate(today()).expect("valid again"), a);
    }

    #[test]
    fn a_referral_counts_in_the_national_category_of_its_receiver() {
        let of = |c: &[&str]| {
            Redirection::of_typologies(&c.iter().map(|s| s.to_string()).collect::<Vec<_>>())
        };
        assert_eq!(of(&["RFS"]), Redirection::ProcedureHelp);
        assert_eq!(of(&["CAF"]), Redirection::Operator);
        assert_eq!(of(&["CCAS"]), Redirection::Administration);
        assert_eq!(of(&["BIB", "EPN"]), Redirection::DigitalMediation);
        assert_eq!(of(&["SPIP"]), Redirection::Other);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("45"), Some(45));
        assert_eq!(parse_duration("1h30"), Some(90));
        assert_eq!(parse_duration("1 h 30"), Some(90));
        assert_eq!(parse_duration("2h"), Some(120));
        assert_eq!(parse_duration("1:15"), Some(75));
        assert_eq!(parse_duration("90 min"), Some(90));
        assert_eq!(parse_duration("1h75"), None);
        assert_eq!(duration_phrase(90), "1 h 30");
        assert_eq!(duration_phrase(45), "45 min");
    }

    proptest! {
        #[test]
        fn any_text_is_a_record_or_named_errors(kind in ".{0,12}", date in ".{0,12}", duration in ".{0,8}", venue in ".{0,12}", theme in ".{0,20}", total in ".{0,5}", age in ".{0,10}") {
            let f = ActivityForm { kind, date, duration, venue, themes: vec![theme], anonymous_total: total, ages: vec![age], ..Default::default() };
            match f.validate(today()) {
                Ok(a) => {
                    prop_assert!(a.date <= today());
                    prop_assert!(a.duration_minutes >= 1 && a.duration_minutes <= MAX_DURATION_MINUTES);
                    prop_assert!(a.accompaniments() >= 1);
                }
                Err(errors) => {
                    prop_assert!(!errors.is_empty());
                    prop_assert!(errors.iter().all(|(f, m)| !f.is_empty() && !m.is_empty()));
                }
            }
        }

        #[test]
        fn durations_round_trip(minutes in 1u16..=720) {
            let phrase = duration_phrase(u32::from(minutes)).replace(' ', "").replace("min", "");
            prop_assert_eq!(parse_duration(&phrase), Some(minutes));
        }
    }
}
