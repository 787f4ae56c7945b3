//! The demo's sessions: workshops over the next weeks and a year of activity records.

use chrono::NaiveDate;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use maillage_domain::vocab::Vocabulary;

use super::places::DemoPlace;

/// Workshops of the demo territory: several levels and themes over the next weeks, most of
/// them run by `organisation`'s places (the demo helper's structure), one small group nearly
/// full so that the waiting list shows.
pub fn workshops(
    places: &[DemoPlace],
    organisation: &str,
    today: NaiveDate,
) -> Vec<maillage_domain::workshops::Workshop> {
    use maillage_domain::diagnostic::Level;
    use maillage_domain::workshops::WorkshopForm;
    let own: Vec<&DemoPlace> = places
        .iter()
        .filter(|p| p.organisation == organisation)
        .collect();
    let others: Vec<&DemoPlace> = places
        .iter()
        .filter(|p| p.organisation != organisation)
        .collect();
    /// Title, summary, themes, level required, level reached, seats, free.
    type Template<'a> = (
        &'a str,
        &'a str,
        &'a [&'a str],
        Level,
        Option<Level>,
        &'a str,
        bool,
    );
    let templates: [Template; 11] = [
        (
            "Café numérique : vos questions sur votre appareil",
            "On vient avec son téléphone ou ses questions, on repart avec une réponse. Sans inscription préalable nécessaire.",
            &["materiel"],
            Level::Distant,
            Some(Level::Beginner),
            "",
            true,
        ),
        (
            "Premiers pas sur smartphone",
            "Allumer, déverrouiller, appeler, envoyer un message, prendre une photo.",
            &["materiel"],
            Level::Beginner,
            Some(Level::Intermediate),
            "6",
            true,
        ),
        (
            "Atelier smartphone en petit groupe",
            "Deux personnes, un médiateur : on avance à votre rythme.",
            &["materiel"],
            Level::Beginner,
            Some(Level::Intermediate),
            "2",
            true,
        ),
        (
            "Découvrir l'ordinateur : souris, clavier, fenêtres",
            "Se repérer sur un ordinateur et ne plus en avoir peur.",
            &["materiel", "bureautique"],
            Level::Beginner,
            Some(Level::Intermediate),
            "8",
            true,
        ),
        (
            "Créer et utiliser son adresse e-mail",
            "Créer une adresse, lire, écrire, joindre un document.",
            &["courriel"],
            Level::Intermediate,
            Some(Level::Advanced),
            "8",
            true,
        ),
        (
            "Naviguer sur internet en confiance",
            "Chercher une information, reconnaître un site fiable.",
            &["internet"],
            Level::Intermediate,
            Some(Level::Advanced),
            "10",
            true,
        ),
        (
            "Accompagner ses enfants sur les écrans",
            "Contrôle parental, temps d'écran, réseaux sociaux : en parler en famille.",
            &["parentalite"],
            Level::Intermediate,
            None,
            "12",
            true,
        ),
        (
            "Mes démarches en ligne : Ameli, CAF, impots.gouv",
            "Créer ses comptes, FranceConnect, déposer un document.",
            &["demarches"],
            Level::Advanced,
            Some(Level::Autonomous),
            "8",
            true,
        ),
        (
            "Reconnaître les arnaques en ligne",
            "Faux colis, fausse banque, faux remboursement : les repérer et réagir.",
            &["securite"],
            Level::Advanced,
            None,
            "12",
            true,
        ),
        (
            "Découvrir l'intelligence artificielle",
            "Ce que sont les IA génératives, à quoi elles servent, leurs limites.",
            &["ia", "culture-numerique"],
            Level::Advanced,
            None,
            "15",
            false,
        ),
        (
            "Parcours emploi : CV et candidature en ligne",
            "Trois séances : écrire son CV, créer son espace France Travail, répondre à une offre.",
            &["insertion-pro"],
            Level::Intermediate,
            Some(Level::Advanced),
            "8",
            true,
        ),
    ];
    let mut out = Vec::new();
    for (i, (title, summary, themes, required, reached, capacity, free)) in
        templates.iter().enumerate()
    {
        let place = if i % 3 == 2 && !others.is_empty() {
            others[(i * 7) % others.len()]
        } else if !own.is_empty() {
            own[i % own.len()]
        } else {
            continue;
        };
        let day = |offset: u64| today + chrono::Days::new(offset);
        let hours = if i % 2 == 0 {
            "14:00-16:00"
        } else {
            "09:30-11:30"
        };
        let sessions = if title.starts_with("Parcours") {
            (0..3)
                .map(|k| format!("{} {hours}", day(3 + 7 * k + i as u64)))
                .collect::<Vec<_>>()
                .join("\n")
        } else {
            format!("{} {hours}", day(2 + 3 * i as u64))
        };
        let form = WorkshopForm {
            title: (*title).into(),
            summary: (*summary).into(),
            themes: themes.iter().map(|t| t.to_string()).collect(),
            level_required: required.slug().into(),
            level_reached: reached.map(|l| l.slug().to_string()).unwrap_or_default(),
            format: "collectif".into(),
            commune: place.place.commune.clone(),
            sessions,
            series: title.starts_with("Parcours"),
            capacity: (*capacity).into(),
            free: *free,
            price: if *free {
                String::new()
            } else {
                "2 € la séance".into()
            },
            aptic: !*free,
            bring: if themes.contains(&"materiel") {
                "Votre smartphone, chargé".into()
            } else if themes.contains(&"demarches") {
                "Vos identifiants si vous en avez, une pièce d'identité".into()
            } else {
                String::new()
            },
            equipment_provided: "Ordinateurs et tablettes du lieu".into(),
            registration: "libre".into(),
            contact: place.place.phone.clone().unwrap_or_default(),
            ..Default::default()
        };
        if let Ok(mut w) = form.validate("") {
            w.place_id = Some(place.source_id.clone());
            w.organisation_id = Some(place.organisation.clone());
            w.insee_code = place.place.insee_code.clone();
            out.push(w);
        }
    }
    out
}

// ----- a year of activity (issue #7) -----

/// A structure of the demo as the activity generator sees it.
pub struct ActivityOrg {
    pub id: String,
    /// Its places: (id, INSEE code).
    pub places: Vec<(String, Option<String>)>,
    /// A France Services does mostly procedures.
    pub procedures_first: bool,
    /// Records in the year.
    pub volume: usize,
    /// Its followed persons (ids).
    pub persons: Vec<String>,
}

/// A generated record and its structure.
pub struct DemoActivity {
    pub organisation: usize,
    pub activity: maillage_domain::activity::Activity,
}

fn weighted<T: Copy>(rng: &mut StdRng, items: &[(T, u32)]) -> T {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut n = rng.random_range(0..total.max(1));
    for (v, w) in items {
        if n < *w {
            return *v;
        }
        n -= w;
    }
    items[0].0
}

/// A profile drawn as the public of digital mediation is (seed 003: three in four over 60,
/// seven in ten women, seven in ten retired).
pub fn demo_profile(rng: &mut StdRng, commune: Option<&str>) -> maillage_domain::activity::Profile {
    use maillage_domain::activity::{AgeBracket as A, Gender as G, Profile, SocialStatus as S};
    let age = weighted(
        rng,
        &[
            (Some(A::From70), 38),
            (Some(A::From60To69), 32),
            (Some(A::From40To59), 12),
            (Some(A::From25To39), 7),
            (Some(A::From18To24), 5),
            (Some(A::Minor), 1),
            (None, 5),
        ],
    );
    let senior = age.is_some_and(A::is_senior);
    Profile {
        age,
        gender: weighted(
            rng,
            &[(Some(G::Female), 70), (Some(G::Male), 27), (None, 3)],
        ),
        status: if senior {
            weighted(
                rng,
                &[(Some(S::Retired), 90), (Some(S::Employed), 4), (None, 6)],
            )
        } else {
            weighted(
                rng,
                &[
                    (Some(S::Unemployed), 40),
                    (Some(S::Employed), 30),
                    (Some(S::Schooling), 15),
                    (None, 15),
                ],
            )
        },
        commune: commune
            .filter(|_| rng.random_bool(0.75))
            .map(str::to_string),
    }
}

const PROCEDURES: [(&str, &str); 16] = [
    ("social-sante", "Carte Vitale et compte Ameli"),
    ("social-sante", "Complémentaire santé solidaire"),
    ("social-sante", "Demande de RSA"),
    ("famille", "Prime d'activité (CAF)"),
    ("famille", "Inscription scolaire et cantine"),
    ("argent-impots", "Déclaration de revenus"),
    ("argent-impots", "Espace particulier impots.gouv.fr"),
    ("papiers", "Carte d'identité et passeport (ANTS)"),
    ("papiers", "Identité numérique La Poste"),
    ("travail", "Inscription à France Travail"),
    ("travail", "Demande de retraite en ligne"),
    ("logement", "Aide au logement (CAF)"),
    ("logement", "Demande de logement social"),
    ("transports", "Carte grise (ANTS)"),
    ("etrangers", "Titre de séjour (ANEF)"),
    ("justice", "Extrait de casier judiciaire"),
];

const WORKSHOPS: [(&str, &str, &str); 8] = [
    ("Premiers pas avec la tablette", "materiel", "eloigne"),
    ("Bien utiliser son smartphone", "materiel", "debutant"),
    ("Naviguer et chercher sur internet", "internet", "debutant"),
    ("Créer et gérer sa boîte mail", "courriel", "debutant"),
    ("Éviter les arnaques en ligne", "securite", "intermediaire"),
    (
        "Ameli, Doctolib : ma santé en ligne",
        "sante",
        "intermediaire",
    ),
    (
        "Garder le lien : visio et messageries",
        "reseaux-sociaux",
        "debutant",
    ),
    ("Retoucher et partager ses photos", "creer", "avance"),
];

/// A year of activity of the network until `today`, reproducible from `seed`: individual
/// accompaniments, workshops and procedures with the vocabularies and the proportions the
/// field reports (seed 003), followed persons coming back.
pub fn activities(orgs: &[ActivityOrg], today: NaiveDate, seed: u64) -> Vec<DemoActivity> {
    use maillage_domain::activity::{
        Activity, ActivityKind as K, Autonomy, Counts, Equipment as E, Group, ProcedureOutcome,
        ProcedureTheme, Redirection, Venue,
    };
    use maillage_domain::diagnostic::Level;
    use maillage_domain::vocab::MediationTheme as T;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut out = Vec::new();
    for (oi, org) in orgs.iter().enumerate() {
        for _ in 0..org.volume {
            let mut date = today - chrono::Days::new(rng.random_range(0..365));
            use chrono::Datelike;
            while date.weekday().number_from_monday() > 5 {
                date = date - chrono::Days::new(1);
            }
            let kind = if org.procedures_first {
                weighted(
                    &mut rng,
                    &[(K::Procedure, 60), (K::Individual, 30), (K::Collective, 10)],
                )
            } else {
                weighted(
                    &mut rng,
                    &[(K::Individual, 58), (K::Collective, 17), (K::Procedure, 25)],
                )
            };
            let (place_id, place_insee) = org
                .places
                .get(rng.random_range(0..org.places.len().max(1)))
                .cloned()
                .unwrap_or((String::new(), None));
            let venue = if place_id.is_empty() {
                Venue::Elsewhere
            } else if kind == K::Collective {
                weighted(&mut rng, &[(Venue::Place, 92), (Venue::Elsewhere, 8)])
            } else {
                weighted(
                    &mut rng,
                    &[
                        (Venue::Place, 80),
                        (Venue::Remote, 11),
                        (Venue::Home, 5),
                        (Venue::Elsewhere, 4),
                    ],
                )
            };
            let mut a = Activity {
                kind,
                date,
                duration_minutes: 45,
                venue,
                place_id: (venue == Venue::Place).then(|| place_id.clone()),
                insee_code: place_insee.clone(),
                themes: Vec::new(),
                procedure_themes: Vec::new(),
                procedure_name: None,
                equipment: Vec::new(),
                autonomy: None,
                outcome: None,
                redirection: None,
                referral_id: None,
                mandate_id: None,
                title: None,
                level: None,
                workshop: None,
                persons: Vec::new(),
                anonymous: Group::default(),
                tags: Vec::new(),
            };
            match kind {
                K::Collective => {
                    let (title, theme, level) = WORKSHOPS[rng.random_range(0..WORKSHOPS.len())];
                    a.title = Some(title.to_string());
                    a.themes = T::from_slug(theme).into_iter().collect();
                    a.level = Level::from_slug(level);
                    a.duration_minutes = weighted(&mut rng, &[(90, 40), (120, 60)]);
                    a.equipment = vec![weighted(
                        &mut rng,
                        &[(E::Tablet, 40), (E::Phone, 35), (E::Computer, 25)],
                    )];
                    let followed = rng.random_range(0..=3usize).min(org.persons.len());
                    for _ in 0..followed {
                        let p = org.persons[rng.random_range(0..org.persons.len())].clone();
                        if !a.persons.contains(&p) {
                            a.persons.push(p);
                        }
                    }
                    a.persons.sort();
                    let total = rng.random_range(3..=10u32);
                    let mut ages = std::collections::BTreeMap::new();
                    let mut genders = std::collections::BTreeMap::new();
                    let mut statuses = std::collections::BTreeMap::new();
                    for _ in 0..total {
                        let p = demo_profile(&mut rng, None);
                        if let Some(v) = p.age {
                            *ages.entry(v).or_insert(0) += 1;
                        }
                        if let Some(v) = p.gender {
                            *genders.entry(v).or_insert(0) += 1;
                        }
                        if let Some(v) = p.status {
                            *statuses.entry(v).or_insert(0) += 1;
                        }
                    }
                    a.anonymous = Group {
                        total,
                        ages: Counts(ages),
                        genders: Counts(genders),
                        statuses: Counts(statuses),
                        commune: None,
                    };
                }
                K::Individual | K::Procedure => {
                    if !org.persons.is_empty() && rng.random_bool(0.3) {
                        a.persons =
                            vec![org.persons[rng.random_range(0..org.persons.len())].clone()];
                    } else {
                        let p = demo_profile(&mut rng, place_insee.as_deref());
                        a.anonymous = Group {
                            total: 1,
                            ages: Counts::one(p.age),
                            genders: Counts::one(p.gender),
                            statuses: Counts::one(p.status),
                            commune: p.commune,
                        };
                    }
                    a.equipment = vec![weighted(
                        &mut rng,
                        &[
                            (E::Phone, 45),
                            (E::Computer, 40),
                            (E::Tablet, 10),
                            (E::None, 5),
                        ],
                    )];
                    a.autonomy = Some(weighted(
                        &mut rng,
                        &[
                            (Autonomy::DoneForThem, 35),
                            (Autonomy::DoneWith, 45),
                            (Autonomy::DoneAlone, 20),
                        ],
                    ));
                    if kind == K::Procedure {
                        let (theme, name) = PROCEDURES[rng.random_range(0..PROCEDURES.len())];
                        a.procedure_themes = ProcedureTheme::from_slug(theme).into_iter().collect();
                        a.procedure_name = Some(name.to_string());
                        a.themes = vec![T::OnlineProcedures];
                        a.duration_minutes =
                            weighted(&mut rng, &[(15, 15), (30, 40), (45, 30), (60, 15)]);
                        a.outcome = Some(weighted(
                            &mut rng,
                            &[
                                (ProcedureOutcome::Completed, 60),
                                (ProcedureOutcome::FinishAlone, 15),
                                (ProcedureOutcome::MustReturn, 15),
                                (ProcedureOutcome::Oriented, 10),
                            ],
                        ));
                    } else {
                        let pool = [
                            (T::Equipment, 30),
                            (T::Internet, 30),
                            (T::Email, 20),
                            (T::OnlineProcedures, 20),
                            (T::Health, 10),
                            (T::BankingShopping, 8),
                            (T::Safety, 8),
                            (T::SocialMedia, 6),
                            (T::Office, 5),
                            (T::Employment, 5),
                            (T::Parenting, 2),
                            (T::Creating, 2),
                        ];
                        for _ in 0..rng.random_range(1..=2) {
                            let t = weighted(&mut rng, &pool);
                            if !a.themes.contains(&t) {
                                a.themes.push(t);
                            }
                        }
                        a.themes.sort();
                        a.duration_minutes =
                            weighted(&mut rng, &[(30, 25), (45, 35), (60, 30), (90, 10)]);
                        a.level = weighted(
                            &mut rng,
                            &[
                                (None, 40),
                                (Some(Level::Distant), 10),
                                (Some(Level::Beginner), 25),
                                (Some(Level::Intermediate), 18),
                                (Some(Level::Advanced), 7),
                            ],
                        );
                    }
                    if a.outcome == Some(ProcedureOutcome::Oriented) || rng.random_bool(0.06) {
                        a.redirection = Some(weighted(
                            &mut rng,
                            &[
                                (Redirection::Operator, 35),
                                (Redirection::ProcedureHelp, 25),
                                (Redirection::Administration, 15),
                                (Redirection::DigitalMediation, 20),
                                (Redirection::Other, 5),
                            ],
                        ));
                    }
                }
            }
            if venue == Venue::Elsewhere && a.insee_code.is_none() {
                a.insee_code = place_insee;
            }
            if rng.random_bool(0.2) {
                a.tags.push("conseiller numérique".into());
            }
            if rng.random_bool(0.1) {
                a.tags.push("quartier prioritaire".into());
            }
            out.push(DemoActivity {
                organisation: oi,
                activity: a,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_year_of_activity_is_valid_and_reproducible() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap_or_default();
        let orgs = vec![
            ActivityOrg {
                id: "mediatheque".into(),
                places: vec![("p1".into(), Some("54395".into()))],
                procedures_first: false,
                volume: 400,
                persons: vec!["a".into(), "b".into(), "c".into()],
            },
            ActivityOrg {
                id: "france-services".into(),
                places: vec![("p2".into(), Some("54547".into()))],
                procedures_first: true,
                volume: 300,
                persons: vec![],
            },
        ];
        let year = activities(&orgs, today, 7);
        assert_eq!(year.len(), 700);
        for d in &year {
            // What the generator makes, the form would accept as it is.
            let again = d.activity.to_form().validate(today);
            assert_eq!(again.as_ref().ok(), Some(&d.activity), "{again:?}");
            assert!(today - d.activity.date < chrono::Duration::days(366));
        }
        let again = activities(&orgs, today, 7);
        assert!(
            year.iter()
                .zip(&again)
                .all(|(a, b)| a.activity == b.activity)
        );
        let procedures = year[400..]
            .iter()
            .filter(|d| d.activity.kind == maillage_domain::activity::ActivityKind::Procedure)
            .count();
        assert!(
            procedures > 150,
            "a France Services does mostly procedures: {procedures}"
        );
        let seniors = year
            .iter()
            .filter(|d| d.activity.anonymous.total == 1)
            .filter(|d| d.activity.anonymous.ages.0.keys().any(|a| a.is_senior()))
            .count() as f64
            / year
                .iter()
                .filter(|d| d.activity.anonymous.total == 1)
                .count() as f64;
        assert!((0.6..0.8).contains(&seniors), "seniors {seniors}");
    }
}
