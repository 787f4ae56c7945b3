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

mod accumulate;
mod cube;
mod filter;
mod snapshot;
mod statistics;

use accumulate::*;
pub use cube::*;
pub use filter::*;
pub use snapshot::{SNAPSHOT_FORMAT, SnapshotError};
pub use statistics::*;

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
    out.push_str(
        "\n## Mandats (page « Mandats »)\n\n\
         Démarches faites au nom d'une personne sous un mandat de la structure, avec elle ou à \
         sa place (`crates/domain/src/mandates.rs`).\n\n\
         | Identifiant | Indicateur | Définition |\n|---|---|---|\n",
    );
    for (id, title, definition) in crate::mandates::INDICATORS {
        out.push_str(&format!("| `{id}` | {title} | {definition} |\n"));
    }
    out.push_str(
        "\n## Territoire (page « Territoire »)\n\n\
         Couverture de l'offre d'une zone, commune par commune, pour toute aide et pour chaque \
         service du standard, d'après l'annuaire et les populations de l'INSEE \
         (`crates/domain/src/territory.rs`). La portée de 10 km par défaut est environ un \
         quart d'heure en voiture ou une heure en car en zone rurale. Les enquêtes du réseau \
         (questionnaires des partenaires et du public du kit des réseaux, \
         `crates/domain/src/surveys.rs`) sont comptées sur les réponses des lieux.\n\n\
         | Identifiant | Indicateur | Définition |\n|---|---|---|\n",
    );
    for (id, title, definition) in crate::territory::INDICATORS
        .iter()
        .chain(crate::surveys::INDICATORS.iter())
    {
        out.push_str(&format!("| `{id}` | {title} | {definition} |\n"));
    }
    out
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
    fn origins_pair_where_people_were_met_with_where_they_live() {
        // Alice (Nancy) met in Nancy; an anonymous person of Laxou met in Nancy; one who did not
        // say; a workshop of 4 without a commune (left out of the pairs: no single residence).
        let mut in_nancy = individual("2026-03-02", Some("alice"));
        in_nancy.insee_code = Some("54395".into());
        let mut from_laxou = individual("2026-03-03", None);
        from_laxou.insee_code = Some("54395".into());
        from_laxou.anonymous.commune = Some("54304".into());
        let mut unsaid = individual("2026-03-04", None);
        unsaid.insee_code = Some("54395".into());
        let mut group = workshop("2026-03-05", &[], 4);
        group.insee_code = Some("54395".into());
        let nowhere = individual("2026-03-06", None);
        let c = cube(&[
            (in_nancy, "org-1"),
            (from_laxou, "org-1"),
            (unsaid, "org-1"),
            (group, "org-1"),
            (nowhere, "org-1"),
        ]);
        let all = c.origins(&Filter::default());
        assert_eq!(
            all,
            [
                ("54395".to_string(), None, 5),
                ("54395".to_string(), Some("54304".to_string()), 1),
                ("54395".to_string(), Some("54395".to_string()), 1),
            ]
        );
        // The filter applies: another commune matches nothing.
        let elsewhere = Filter {
            communes: vec!["13055".into()],
            ..Filter::default()
        };
        assert!(c.origins(&elsewhere).is_empty());
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

    /// A cube with every kind of column filled: followed persons, anonymous groups, tags,
    /// referrals, a removed record and a record replaced.
    fn busy_cube() -> Cube {
        let mut tagged = individual("2026-03-09", Some("alice"));
        tagged.tags = vec!["france-services".into()];
        tagged.referral_id = Some("orientation-1".into());
        tagged.insee_code = Some("54395".into());
        let mut c = cube(&[
            (workshop("2026-03-02", &["alice", "bob"], 5), "org-1"),
            (tagged, "org-2"),
            (individual("2026-04-10", None), "org-2"),
            (individual("2026-05-11", Some("bob")), "org-1"),
        ]);
        c.set_referral_status("orientation-1", ReferralStatus::TakenInCharge);
        c.remove(2);
        c.upsert(Entry {
            key: 3,
            activity: &workshop("2026-06-01", &["carole"], 2),
            organisation_id: "org-3",
            helper_id: None,
        });
        c
    }

    #[test]
    fn a_cube_read_back_from_its_snapshot_answers_the_same() {
        let c = busy_cube();
        let bytes = c.to_snapshot();
        let back = Cube::from_snapshot(&bytes).expect("relu");
        assert_eq!(back.len(), c.len());
        let filters = [
            Filter::default(),
            Filter {
                organisations: vec!["org-1".into()],
                ..Filter::default()
            },
            Filter {
                from: Some(day("2026-04-01")),
                tags: vec!["france-services".into()],
                ..Filter::default()
            },
            Filter {
                communes: vec!["54395".into()],
                ..Filter::default()
            },
        ];
        for f in &filters {
            assert_eq!(back.statistics(f), c.statistics(f), "{f:?}");
            assert_eq!(back.origins(f), c.origins(f));
        }
        // The cube read back keeps living: a new record and a new person land as in the original.
        let (mut a, mut b) = (c, back);
        for cube in [&mut a, &mut b] {
            cube.upsert(Entry {
                key: 9,
                activity: &individual("2026-07-01", Some("dora")),
                organisation_id: "org-4",
                helper_id: Some("helper-2"),
            });
        }
        assert_eq!(
            b.statistics(&Filter::default()),
            a.statistics(&Filter::default())
        );
        assert_eq!(b.to_snapshot(), a.to_snapshot());
    }

    #[test]
    fn a_snapshot_of_another_format_or_damaged_is_refused() {
        let bytes = busy_cube().to_snapshot();
        let mut other = bytes.clone();
        other[0] = other[0].wrapping_add(1);
        assert!(matches!(
            Cube::from_snapshot(&other),
            Err(SnapshotError::Format { .. })
        ));
        assert!(Cube::from_snapshot(&bytes[..bytes.len() / 2]).is_err());
        assert!(Cube::from_snapshot(&[]).is_err());
    }

    proptest::proptest! {
        /// Whatever bytes a snapshot holds, reading it answers a cube or an error, and a cube it
        /// answers computes its statistics without panicking.
        #[test]
        fn damaged_snapshots_never_panic(at in 4usize..2_000, value: u8, cut in 4usize..2_000) {
            let mut bytes = busy_cube().to_snapshot();
            let at = at % bytes.len();
            bytes[at] = value;
            bytes.truncate(cut.max(at + 1));
            if let Ok(c) = Cube::from_snapshot(&bytes) {
                let _ = c.statistics(&Filter::default());
                let _ = c.origins(&Filter::default());
            }
        }
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
