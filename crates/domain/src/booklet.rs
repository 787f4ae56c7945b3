//! What the printed booklet of a zone says, independent of how it is drawn: the categories
//! places are grouped by (kinds of structure, as the field's paper directories do), and the
//! columns of the summary table (the seed's « sommaire récapitulatif »: forms of mediation,
//! grouped so that the table fits a page). The PDF itself is drawn by `maillage-booklet`.

use crate::Place;
use crate::duplicates::{inferred_typologies, normalize_name};
use crate::vocab::{MediationForm, Service, SupportMode};

/// Kinds of structure, in the booklet's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Category {
    PublicServices,
    MunicipalSocial,
    Libraries,
    SocialCentres,
    ThirdPlaces,
    Employment,
    Associations,
    Other,
}

impl Category {
    pub const ALL: [Category; 8] = [
        Category::PublicServices,
        Category::MunicipalSocial,
        Category::Libraries,
        Category::SocialCentres,
        Category::ThirdPlaces,
        Category::Employment,
        Category::Associations,
        Category::Other,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Category::PublicServices => "France Services et accueils des services publics",
            Category::MunicipalSocial => "Mairies, CCAS et services sociaux",
            Category::Libraries => "Bibliothèques et médiathèques",
            Category::SocialCentres => "Centres sociaux, maisons de quartier, MJC",
            Category::ThirdPlaces => "Tiers-lieux, fab labs, espaces publics numériques",
            Category::Employment => "Emploi, insertion et formation",
            Category::Associations => "Associations",
            Category::Other => "Autres lieux",
        }
    }

    /// Typology codes of the standard that belong to this category.
    fn typologies(self) -> &'static [&'static str] {
        match self {
            Category::PublicServices => &[
                "MSAP", "PIMMS", "PREF", "CAF", "CPAM", "MSA", "LA_POSTE", "CD", "DEPT", "REG",
                "MDPH", "CARSAT", "SPIP", "PJJ", "DEETS", "PAD",
            ],
            Category::MunicipalSocial => &[
                "MUNI",
                "CCAS",
                "CIAS",
                "CDAS",
                "MDS",
                "CMS",
                "ASE",
                "UDAF",
                "CHRS",
                "CHU",
                "CADA",
                "HUDA",
                "CPH",
                "EPCI",
                "CC",
                "MDH",
                "PREVENTION",
                "PENSION",
                "RS_FJT",
            ],
            Category::Libraries => &["BIB", "RELAIS_LECTURE"],
            Category::SocialCentres => &["CS", "CSC", "EVS", "MQ", "MJC", "PIJ_BIJ"],
            Category::ThirdPlaces => &["TIERS_LIEUX", "FABLAB", "FABRIQUE", "EPN", "RESSOURCERIE"],
            Category::Employment => &[
                "FT",
                "ML",
                "MDE",
                "MDEF",
                "CAP_EMPLOI",
                "PLIE",
                "AFPA",
                "E2C",
                "EPIDE",
                "ACI",
                "ACIPHC",
                "AI",
                "EI",
                "EITI",
                "ETTI",
                "EATT",
                "EA",
                "ESAT",
                "GEIQ",
                "OF",
                "CFP",
                "CITMET",
                "DIPLP",
            ],
            Category::Associations => &["ASSO", "ASSO_CHOMEUR", "CIDFF", "OACAS", "ESS"],
            Category::Other => &[],
        }
    }
}

/// The category of a place: its first declared typology that belongs to one (in the booklet's
/// order), else the typologies its name designates (« Médiathèque de… »), else "other".
pub fn category_of(place: &Place) -> Category {
    let of = |codes: &[&str]| {
        Category::ALL
            .into_iter()
            .find(|c| codes.iter().any(|t| c.typologies().contains(t)))
    };
    let declared: Vec<&str> = place.typologies.iter().map(String::as_str).collect();
    of(&declared)
        .or_else(|| of(&inferred_typologies(&normalize_name(&place.name))))
        .unwrap_or(Category::Other)
}

/// Columns of the summary table: forms of mediation grouped, each also recognised from the
/// standard's services and support modes (most imported places declare those, not forms).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SummaryColumn {
    FreeAccess,
    IndividualSupport,
    Rights,
    Workshops,
    Employment,
    Equipment,
    ThirdPlace,
    Mobile,
}

impl SummaryColumn {
    pub const ALL: [SummaryColumn; 8] = [
        SummaryColumn::FreeAccess,
        SummaryColumn::IndividualSupport,
        SummaryColumn::Rights,
        SummaryColumn::Workshops,
        SummaryColumn::Employment,
        SummaryColumn::Equipment,
        SummaryColumn::ThirdPlace,
        SummaryColumn::Mobile,
    ];

    /// Heading of the column (short: the table must fit a page).
    pub fn label(self) -> &'static str {
        match self {
            SummaryColumn::FreeAccess => "Accès libre",
            SummaryColumn::IndividualSupport => "Accompa\u{00AD}gnement individuel",
            SummaryColumn::Rights => "Accès aux droits",
            SummaryColumn::Workshops => "Ateliers collectifs",
            SummaryColumn::Employment => "Insertion, formation pro",
            SummaryColumn::Equipment => "Matériel solidaire, réparation",
            SummaryColumn::ThirdPlace => "Fab lab, tiers-lieu",
            SummaryColumn::Mobile => "Itinérant",
        }
    }

    /// What the column means, for the legend.
    pub fn description(self) -> &'static str {
        match self {
            SummaryColumn::FreeAccess => "ordinateurs en libre-service, wi-fi gratuit",
            SummaryColumn::IndividualSupport => {
                "entretien individuel, ordinateurs avec un médiateur"
            }
            SummaryColumn::Rights => "aide aux démarches administratives en ligne",
            SummaryColumn::Workshops => "ateliers pour apprendre le numérique",
            SummaryColumn::Employment => "insertion professionnelle, formation professionnalisante",
            SummaryColumn::Equipment => "matériel à prix solidaire, réparation",
            SummaryColumn::ThirdPlace => "fab lab, espace de co-working",
            SummaryColumn::Mobile => "dispositif mobile, aller-vers",
        }
    }

    fn forms(self) -> &'static [MediationForm] {
        use MediationForm::*;
        match self {
            SummaryColumn::FreeAccess => &[SelfServiceComputers, FreeWifi, MobileEquipment],
            SummaryColumn::IndividualSupport => &[MediatedComputers, MediationInterview],
            SummaryColumn::Rights => &[SimpleRights, InDepthRights, Emergency],
            SummaryColumn::Workshops => &[
                SkillsWorkshops,
                RiskAwareness,
                ParentingYouth,
                MediaInformation,
                MutualAid,
            ],
            SummaryColumn::Employment => &[ProfessionalTraining],
            SummaryColumn::Equipment => &[Repair],
            SummaryColumn::ThirdPlace => &[Fablab, Coworking],
            SummaryColumn::Mobile => &[MobileOutreach],
        }
    }

    /// Whether the place offers what the column says.
    pub fn applies_to(self, place: &Place) -> bool {
        if place
            .extras
            .mediation_forms
            .iter()
            .any(|f| self.forms().contains(f))
        {
            return true;
        }
        let service = |s: Service| place.services.contains(&s);
        let support = |s: SupportMode| place.support_modes.contains(&s);
        match self {
            SummaryColumn::FreeAccess => {
                service(Service::InternetAccess) || support(SupportMode::Autonomous)
            }
            SummaryColumn::IndividualSupport => support(SupportMode::Individual),
            SummaryColumn::Rights => service(Service::AdministrativeProcedures),
            SummaryColumn::Workshops => support(SupportMode::Workshop),
            SummaryColumn::Employment => service(Service::ProfessionalIntegration),
            SummaryColumn::Equipment => service(Service::SolidarityEquipment),
            SummaryColumn::ThirdPlace => false,
            SummaryColumn::Mobile => !place.mobility.is_empty(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(name: &str) -> Place {
        Place::new(
            "1",
            name,
            "1 rue A",
            "54000",
            "Nancy",
            chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("date"),
        )
    }

    #[test]
    fn category_from_declared_typology_then_from_the_name() {
        let mut p = place("Espace Jean Jaurès");
        assert_eq!(category_of(&p), Category::Other);
        p.typologies = vec!["Autre".into(), "CS".into()];
        assert_eq!(category_of(&p), Category::SocialCentres);
        // The booklet's order decides between two categories.
        p.typologies = vec!["CS".into(), "MSAP".into()];
        assert_eq!(category_of(&p), Category::PublicServices);
        assert_eq!(
            category_of(&place("Médiathèque de Nancy")),
            Category::Libraries
        );
        assert_eq!(
            category_of(&place("Mairie de Toul")),
            Category::MunicipalSocial
        );
    }

    #[test]
    fn columns_from_forms_or_from_services() {
        let mut p = place("Médiathèque");
        assert!(SummaryColumn::ALL.iter().all(|c| !c.applies_to(&p)));
        p.services = vec![Service::AdministrativeProcedures];
        p.extras.mediation_forms = vec![MediationForm::Fablab];
        p.support_modes = vec![SupportMode::Workshop];
        let marked: Vec<SummaryColumn> = SummaryColumn::ALL
            .into_iter()
            .filter(|c| c.applies_to(&p))
            .collect();
        assert_eq!(
            marked,
            [
                SummaryColumn::Rights,
                SummaryColumn::Workshops,
                SummaryColumn::ThirdPlace
            ]
        );
    }

    #[test]
    fn every_form_of_mediation_has_a_column() {
        use crate::Vocabulary;
        for form in MediationForm::ALL {
            assert!(
                SummaryColumn::ALL.iter().any(|c| c.forms().contains(form)),
                "{form:?}"
            );
        }
    }
}

/// Usual opening hours for a printed page, valid for months: the first week from `from` without
/// a public holiday, consecutive days with the same hours merged (« du lundi au vendredi :
/// 9 h – 12 h »); closed days left out. Empty when nothing is known.
pub fn usual_hours(hours: &crate::hours::Hours, from: chrono::NaiveDate) -> Vec<String> {
    let mut monday = crate::hours::monday_of(from);
    let mut week = hours.week(monday);
    for _ in 0..8 {
        if !week.iter().any(|d| d.public_holiday) {
            break;
        }
        monday += chrono::Duration::days(7);
        week = hours.week(monday);
    }
    let text = |d: &crate::hours::DayHours| {
        let mut t = if d.unknown {
            "horaires à confirmer".to_string()
        } else {
            d.ranges.join(", ")
        };
        if let Some(c) = &d.comment {
            t.push_str(&format!(" ({c})"));
        }
        t
    };
    let mut lines: Vec<String> = Vec::new();
    let mut i = 0;
    while i < week.len() {
        let day = &week[i];
        if day.ranges.is_empty() && !day.unknown {
            i += 1;
            continue;
        }
        let t = text(day);
        let mut j = i;
        while j + 1 < week.len() && text(&week[j + 1]) == t && !week[j + 1].ranges.is_empty() {
            j += 1;
        }
        let days = match j - i {
            0 => capitalise(day.day_name),
            1 => format!("{} et {}", capitalise(day.day_name), week[j].day_name),
            _ => format!("Du {} au {}", day.day_name, week[j].day_name),
        };
        lines.push(format!("{days} : {t}"));
        i = j + 1;
    }
    lines
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod hours_tests {
    use super::*;
    use crate::hours::{HoursCheck, check_hours};

    #[test]
    fn usual_hours_merge_days_and_skip_holiday_weeks() {
        let HoursCheck::Valid(h) =
            check_hours("Mo-Fr 09:00-12:00,14:00-17:00; Sa 09:00-12:00; PH off")
        else {
            panic!("horaires valides");
        };
        // The week of 11 November 2026 (a public holiday) is skipped.
        let from = chrono::NaiveDate::from_ymd_opt(2026, 11, 10).expect("date");
        assert_eq!(
            usual_hours(&h, from),
            [
                "Du lundi au vendredi : 9 h – 12 h, 14 h – 17 h",
                "Samedi : 9 h – 12 h"
            ]
        );
        let HoursCheck::Valid(h) = check_hours("Tu,We 14:00-18:00") else {
            panic!("horaires valides");
        };
        assert_eq!(usual_hours(&h, from), ["Mardi et mercredi : 14 h – 18 h"]);
    }
}
