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

mod assess;
mod catalogue;
mod gap;
mod situation;

pub use assess::*;
pub use catalogue::*;
pub use gap::*;
pub use situation::*;

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

    /// A place nearby, open to all, free, with individual help and workshops, offering exactly
    /// these kinds of help.
    fn offering(services: &[Service], forms: &[MediationForm]) -> Place {
        let mut p = france_services();
        p.national_programmes.clear();
        p.services = services.to_vec();
        p.extras.mediation_forms = forms.to_vec();
        p.support_modes = vec![SupportMode::Individual, SupportMode::Workshop];
        p
    }

    /// Every request of the catalogue, reviewed against its purpose (issue #10): a place giving
    /// its own help fits; a place giving only a neighbouring kind of help never does and does
    /// not count as giving the help; a request given with equipment on site proposes only
    /// places that have some.
    #[test]
    fn every_request_proposes_only_places_that_give_its_help() {
        let s = Situation::default();
        for entry in initial_catalogue().unwrap_or_default() {
            let with_equipment = |mut p: Place| {
                if entry.on_site_equipment {
                    p.extras
                        .mediation_forms
                        .push(MediationForm::SelfServiceComputers);
                }
                p
            };
            for own in &entry.services {
                let a = assess(
                    &entry,
                    &s,
                    &with_equipment(offering(&[*own], &[])),
                    Some(500.0),
                    today(),
                );
                assert!(a.fits(), "{} with {own:?}: {:?}", entry.id, a.failed);
            }
            for own in &entry.mediation_forms {
                let a = assess(
                    &entry,
                    &s,
                    &with_equipment(offering(&[], &[*own])),
                    Some(500.0),
                    today(),
                );
                assert!(a.fits(), "{} with {own:?}: {:?}", entry.id, a.failed);
            }
            assert!(
                !entry.neighbour_services.is_empty() || !entry.neighbour_forms.is_empty() || {
                    // Requests without neighbouring help: none is close enough to be said.
                    [
                        "compte-ameli",
                        "compte-caf",
                        "compte-impots",
                        "titre-sejour",
                        "carte-grise",
                        "rdv-prefecture",
                        "inscription-france-travail",
                        "logement-social",
                        "smartphone",
                        "mon-espace-sante",
                        "retraite",
                        "franceconnect",
                        "rsa-prime",
                        "cheque-energie",
                    ]
                    .contains(&entry.id.as_str())
                },
                "{} says what may help instead",
                entry.id
            );
            for n in Neighbour::of(&entry) {
                let place = match n {
                    Neighbour::Service(x) => offering(&[x], &[]),
                    Neighbour::Form(f) => offering(&[], &[f]),
                };
                let a = assess(&entry, &s, &place, Some(500.0), today());
                assert!(!a.fits(), "{}: {n:?} is not its help", entry.id);
                assert!(!a.gives_the_help(), "{}: {n:?}", entry.id);
                assert!(n.given_by(&place));
                let neighbour = n.as_request(&entry);
                assert!(assess(&neighbour, &s, &place, Some(500.0), today()).fits());
                assert!(!n.phrase().is_empty());
            }
            assert!(!help_phrase(&entry).is_empty(), "{}", entry.id);
        }

        // Purposes read from the titles: each request's own help is the one a field worker
        // would name.
        let own = |id: &str| catalogue_entry(id).services;
        assert_eq!(own("materiel-solidaire"), [Service::SolidarityEquipment]);
        assert_eq!(own("espace-scolaire"), [Service::Parenting]);
        assert_eq!(own("vie-privee-enfants"), [Service::Parenting]);
        assert_eq!(own("cv-lettre"), [Service::ProfessionalIntegration]);
        assert_eq!(own("arnaque"), [Service::SafeUse]);
        for printing in ["imprimer-document", "acces-internet"] {
            assert!(catalogue_entry(printing).on_site_equipment, "{printing}");
        }
        for e in initial_catalogue().unwrap_or_default() {
            if e.procedure {
                assert!(
                    e.services.contains(&Service::AdministrativeProcedures),
                    "{}",
                    e.id
                );
            }
        }
    }

    #[test]
    fn a_request_given_with_equipment_leaves_out_places_without_any() {
        // A coordinator adds « démarches » to printing: a place helping with procedures but
        // without a computer is still not proposed for printing.
        let mut printing = catalogue_entry("imprimer-document");
        printing.services.push(Service::AdministrativeProcedures);
        let s = Situation::default();
        let desk = offering(&[Service::AdministrativeProcedures], &[]);
        let a = assess(&printing, &s, &desk, Some(500.0), today());
        assert_eq!(
            a.failed.iter().map(|f| f.0).collect::<Vec<_>>(),
            [Constraint::Equipment]
        );
        assert!(!a.gives_the_help());
        let mut equipped = desk.clone();
        equipped
            .extras
            .mediation_forms
            .push(MediationForm::MediatedComputers);
        let a = assess(&printing, &s, &equipped, Some(500.0), today());
        assert!(a.fits());
        assert!(
            a.reasons
                .iter()
                .any(|r| r == "Ordinateurs à disposition sur place")
        );
    }

    #[test]
    fn what_is_missing_is_said_in_plain_words() {
        let equipment = catalogue_entry("materiel-solidaire");
        let s = Situation::default();
        let access = offering(&[Service::InternetAccess], &[]);
        let shop = offering(&[Service::SolidarityEquipment], &[]);
        let near = assess(&equipment, &s, &shop, Some(2_000.0), today());
        let far = assess(&equipment, &s, &shop, Some(40_000.0), today());
        let wrong = assess(&equipment, &s, &access, Some(500.0), today());
        assert_eq!(gap([(&near, Some(2_000.0))], 10.0), None);
        assert_eq!(
            gap([(&wrong, Some(500.0)), (&far, Some(40_000.0))], 10.0),
            Some(Gap::Reach)
        );
        assert_eq!(gap([(&wrong, Some(500.0))], 10.0), Some(Gap::Directory));
        assert_eq!(gap(std::iter::empty(), 10.0), Some(Gap::Directory));
        assert_eq!(
            gap_sentence(&equipment, Gap::Reach, 10.0, "Nancy (54)"),
            "Aucun lieu ne propose de matériel informatique à prix solidaire à moins de 10 km de Nancy (54)."
        );
        assert_eq!(
            Neighbour::of(&equipment)[0].phrase(),
            "donnent accès à un ordinateur et à internet"
        );
        let school = catalogue_entry("espace-scolaire");
        assert_eq!(
            gap_sentence(&school, Gap::Directory, 10.0, "Nancy (54)"),
            "Aucun lieu de l'annuaire ne propose d'aide à la parentalité et à l'éducation avec le numérique."
        );
        let jobs = catalogue_entry("inscription-france-travail");
        assert!(help_phrase(&jobs).contains(" ni "));
    }

    #[test]
    fn a_neighbouring_help_cannot_be_the_help_itself() {
        let form = RequestForm {
            title: "Obtenir un ordinateur".into(),
            services: vec!["materiel-solidaire".into()],
            neighbour_services: vec!["materiel-solidaire".into(), "acces-internet".into()],
            ..RequestForm::default()
        };
        let errors = form.validate("x", |_| true).err().unwrap_or_default();
        assert!(
            errors.iter().any(|(f, _)| *f == "voisins_services"),
            "{errors:?}"
        );
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
        // « Gratuit | Payant » (issue #10): free for some services, never said free without it.
        let mut mixed = fs.clone();
        mixed.fees = vec![Fee::Free, Fee::Paid];
        let said = assess(&entry, &free_only, &mixed, Some(500.0), today());
        assert!(said.failed.is_empty());
        assert!(
            !said.reasons.iter().any(|r| r == "Gratuit"),
            "{:?}",
            said.reasons
        );
        assert_eq!(said.reasons[0], "Gratuit pour une partie des services");
        assert!(
            said.caveats.iter().any(|c| c.contains("payants")),
            "{:?}",
            said.caveats
        );
        let only_free = assess(&entry, &free_only, &fs, Some(500.0), today());
        assert!(only_free.score > said.score);

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
        // A limit on something else is not the person's concern here (it stays on the
        // place's page).
        let taxes = catalogue_entry("compte-impots");
        let a = assess(&taxes, &base, &limited, Some(500.0), today());
        assert!(a.fits());
        assert!(
            !a.caveats.iter().any(|c| c.contains("logement")),
            "{:?}",
            a.caveats
        );
    }

    #[test]
    fn places_reserved_to_some_publics_are_flagged_or_left_out() {
        let entry = catalogue_entry("compte-caf");
        let mut mission = france_services();
        mission.typologies = vec!["ML".into()];
        // The person's publics not said: the helper is asked, the place is not proposed as if
        // anyone could enter (issue #10: a place for 16–25-year-olds shown without the age).
        let unknown = Situation::default();
        let a = assess(&entry, &unknown, &mission, Some(500.0), today());
        assert_eq!(
            a.failed.iter().map(|f| f.0).collect::<Vec<_>>(),
            [Constraint::PublicUnasked]
        );
        assert_eq!(publics_to_ask(&mission), [Public::Youth, Public::Students]);
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
    fn the_first_place_says_why_it_is_first() {
        assert_eq!(
            lead_reason(Some(800.0), Some(800.0)),
            "En tête : le plus proche des lieux qui conviennent."
        );
        assert_eq!(
            lead_reason(Some(1_900.0), Some(1_200.0)),
            "En tête : parmi les lieux à moins de 2 km, celui qui convient le mieux."
        );
        assert_eq!(ring(Some(900.0)), 0);
        assert_eq!(ring(Some(2_100.0)), 2);
        assert_eq!(ring(Some(90_000.0)), RINGS_KM.len());
        assert_eq!(ring(None), RINGS_KM.len() + 1);
        // A place nearby with individual help stays before a distant one with workshops and
        // every kind of help, whatever the reach.
        let entry = catalogue_entry("smartphone");
        let s = Situation {
            level: Some(Level::Intermediate),
            radius_km: Some(30.0),
            ..Situation::default()
        };
        let near = offering(&[Service::EverydayTools], &[]);
        let mut far = offering(
            &[Service::EverydayTools],
            &[MediationForm::SkillsWorkshops, MediationForm::MutualAid],
        );
        far.national_programmes = vec![NationalProgramme::FranceServices];
        let mut ranked = vec![
            (
                "far",
                assess(&entry, &s, &far, Some(24_000.0), today()),
                Some(24_000.0),
            ),
            (
                "near",
                assess(&entry, &s, &near, Some(900.0), today()),
                Some(900.0),
            ),
        ];
        assert!(ranked[0].1.score > ranked[1].1.score);
        rank(&mut ranked);
        assert_eq!(ranked[0].0, "near");
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
        /// Widening the reach (issue #10) never reorders the places already within it, and the
        /// fitting places come ring by ring of distance: the nearest fitting place is never
        /// behind a place of a farther ring, whatever workshops or services that one lists.
        #[test]
        fn widening_the_reach_keeps_the_order_and_the_nearest_first(
            places in proptest::collection::vec((arb_place(), 0.0f64..40_000.0), 1..12),
            s in arb_situation(),
            entry in proptest::sample::select(initial_catalogue().unwrap_or_default()),
            wider in 1.0f64..4.0,
        ) {
            let r = s.radius_km();
            let ranked = |radius: f64| {
                let sit = Situation { radius_km: Some(radius), ..s.clone() };
                let mut v: Vec<(usize, Assessment, Option<f64>)> = places
                    .iter()
                    .enumerate()
                    .map(|(i, (p, d))| (i, assess(&entry, &sit, p, Some(*d), today()), Some(*d)))
                    .collect();
                rank(&mut v);
                v
            };
            let narrow = ranked(r);
            let wide = ranked(r * wider);
            let kept: Vec<usize> = narrow.iter().filter(|x| x.1.fits()).map(|x| x.0).collect();
            let again: Vec<usize> = wide
                .iter()
                .filter(|x| x.1.fits() && kept.contains(&x.0))
                .map(|x| x.0)
                .collect();
            prop_assert_eq!(kept, again);
            let fitting: Vec<&(usize, Assessment, Option<f64>)> =
                wide.iter().filter(|x| x.1.fits()).collect();
            for pair in fitting.windows(2) {
                prop_assert!(ring(pair[0].2) <= ring(pair[1].2));
            }
            if let Some(first) = fitting.first() {
                let nearest = fitting
                    .iter()
                    .filter_map(|x| x.2)
                    .fold(f64::MAX, f64::min);
                prop_assert_eq!(ring(first.2), ring(Some(nearest)));
            }
        }

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
                if entry.on_site_equipment {
                    prop_assert!(equipped(&place));
                }
                prop_assert!(a.gives_the_help());
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
