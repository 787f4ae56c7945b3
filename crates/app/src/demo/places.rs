//! The demo territory: a realistic generated network on real communes of the official
//! referential (Meurthe-et-Moselle by default, where the field's seed documents come from), or
//! the whole of France for benchmarks. Names, streets and phone numbers are invented (phone
//! numbers in the range ARCEP reserves for fiction); communes, postcodes and positions are real.

use chrono::NaiveDate;
use maillage_domain::CommuneRef;
use maillage_domain::geo::GeoPoint;
use maillage_domain::place::{Place, RawPlace, ValidationContext};
use maillage_domain::vocab::{
    AccessMode, Fee, InterventionDomain, MediationForm, Public, SpecificSupport, SupportMode,
    Vocabulary,
};
use maillage_referential::Referential;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Kinds of structures of a territorial network, with their typology code and what they offer.
struct Kind {
    typology: &'static str,
    name: &'static str,
    weight: u32,
    services: &'static [&'static str],
    programmes: &'static [&'static str],
    forms: &'static [&'static str],
    domains: &'static [&'static str],
    limits: &'static [&'static str],
}

const KINDS: &[Kind] = &[
    Kind {
        typology: "BIB",
        name: "Médiathèque",
        weight: 18,
        services: &[
            "Maîtrise des outils numériques du quotidien",
            "Accès internet et matériel informatique",
            "Compréhension du monde numérique",
            "Loisirs et créations numériques",
        ],
        programmes: &["Conseillers numériques"],
        forms: &[
            "ordinateurs-avec-mediateur",
            "wifi",
            "ateliers-competences",
            "medias-information",
        ],
        domains: &["scolarite"],
        limits: &[
            "n'accompagne pas les démarches administratives",
            "pas d'aide sur les comptes bancaires",
        ],
    },
    Kind {
        typology: "CCAS",
        name: "CCAS",
        weight: 12,
        services: &[
            "Aide aux démarches administratives",
            "Accès internet et matériel informatique",
        ],
        programmes: &["Aidants Connect"],
        forms: &["droits-simples", "droits-approfondis", "urgence"],
        domains: &[
            "logement",
            "famille",
            "sante",
            "surendettement",
            "retraite",
            "prestations-sociales",
        ],
        limits: &[
            "uniquement pour les habitants de la commune",
            "n'intervient pas sur le budget",
        ],
    },
    Kind {
        typology: "RFS",
        name: "France Services",
        weight: 10,
        services: &[
            "Aide aux démarches administratives",
            "Accès internet et matériel informatique",
            "Maîtrise des outils numériques du quotidien",
        ],
        programmes: &[
            "France Services",
            "Aidants Connect",
            "Conseillers numériques",
        ],
        forms: &[
            "droits-simples",
            "droits-approfondis",
            "ordinateurs-avec-mediateur",
        ],
        domains: &[
            "emploi",
            "logement",
            "famille",
            "sante",
            "retraite",
            "droit-des-etrangers",
        ],
        limits: &["pas de démarches fiscales complexes sans rendez-vous"],
    },
    Kind {
        typology: "CS",
        name: "Centre social",
        weight: 14,
        services: &[
            "Maîtrise des outils numériques du quotidien",
            "Parentalité et éducation avec le numérique",
            "Aide aux démarches administratives",
        ],
        programmes: &["Conseillers numériques"],
        forms: &[
            "ateliers-competences",
            "parentalite-jeunesse",
            "entretien-mediation",
            "entraide",
        ],
        domains: &["famille", "scolarite", "logement"],
        limits: &["adhésion au centre social demandée"],
    },
    Kind {
        typology: "ASSO",
        name: "Association",
        weight: 16,
        services: &[
            "Maîtrise des outils numériques du quotidien",
            "Acquisition de matériel informatique à prix solidaire",
            "Insertion professionnelle via le numérique",
        ],
        programmes: &[],
        forms: &[
            "reparation",
            "ateliers-competences",
            "entraide",
            "equipements-mobiles",
        ],
        domains: &["emploi", "formation"],
        limits: &["ne fait pas les démarches à la place des personnes"],
    },
    Kind {
        typology: "ML",
        name: "Mission locale",
        weight: 5,
        services: &[
            "Insertion professionnelle via le numérique",
            "Aide aux démarches administratives",
        ],
        programmes: &[],
        forms: &["entretien-mediation", "formation-pro"],
        domains: &["emploi", "formation", "logement"],
        limits: &["uniquement pour les 16-25 ans"],
    },
    Kind {
        typology: "TIERS_LIEUX",
        name: "Tiers-lieu numérique",
        weight: 6,
        services: &[
            "Loisirs et créations numériques",
            "Compréhension du monde numérique",
            "Accès internet et matériel informatique",
        ],
        programmes: &[],
        forms: &["fablab", "coworking", "ordinateurs-libre-service", "wifi"],
        domains: &["formation"],
        limits: &[],
    },
    Kind {
        typology: "EPN",
        name: "Espace public numérique de la mairie",
        weight: 10,
        services: &[
            "Accès internet et matériel informatique",
            "Maîtrise des outils numériques du quotidien",
            "Aide aux démarches administratives",
        ],
        programmes: &["Conseillers numériques"],
        forms: &[
            "ordinateurs-avec-mediateur",
            "ateliers-competences",
            "aller-vers",
        ],
        domains: &[],
        limits: &["accompagnement sur rendez-vous uniquement"],
    },
];

const STREETS: &[&str] = &[
    "rue de la République",
    "place de la Mairie",
    "rue Victor Hugo",
    "avenue Jean Jaurès",
    "rue Pasteur",
    "rue du Général de Gaulle",
    "place du Marché",
    "rue des Écoles",
    "rue de la Gare",
    "avenue de la Libération",
    "rue Jules Ferry",
    "rue Saint-Nicolas",
    "rue des Jardins",
    "place Stanislas",
    "rue du Moulin",
];

const HOURS: &[&str] = &[
    "Mo-Fr 09:00-12:00,14:00-17:00",
    "Tu-Sa 10:00-12:30,14:00-18:00; PH off",
    "Mo,We,Fr 09:00-12:00",
    "Mo-Th 08:30-12:00,13:30-17:00; Fr 08:30-12:00",
    "Tu,Th 14:00-18:00; Sa 09:30-12:30",
    "We 14:00-17:00; Sa 10:00-12:00",
    "Mo-Fr 09:00-17:00; PH off",
];

const FIRST_NAMES: &[&str] = &[
    "Camille", "Nadia", "Julien", "Sophie", "Karim", "Élodie", "Thomas", "Fatou", "Luc", "Inès",
];

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn subset<'a>(rng: &mut StdRng, items: &'a [&'a str], min: usize) -> Vec<&'a str> {
    let mut out: Vec<&str> = items
        .iter()
        .copied()
        .filter(|_| rng.random_bool(0.6))
        .collect();
    for item in items.iter().take(min) {
        if !out.contains(item) {
            out.push(item);
        }
    }
    out
}

fn slug(s: &str) -> String {
    maillage_domain::text::fold(s)
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

/// A generated place, valid by construction (it goes through the standard's validation).
pub struct DemoPlace {
    pub source_id: String,
    pub place: Place,
    /// Key of the organisation that runs it.
    pub organisation: String,
}

fn choose_kind(rng: &mut StdRng) -> &'static Kind {
    let total: u32 = KINDS.iter().map(|k| k.weight).sum();
    let mut n = rng.random_range(0..total);
    for k in KINDS {
        if n < k.weight {
            return k;
        }
        n -= k.weight;
    }
    &KINDS[0]
}

/// Communes drawn with probability growing with population (big towns get several places).
fn draw_communes<'a>(
    rng: &mut StdRng,
    communes: &[&'a CommuneRef],
    count: usize,
) -> Vec<&'a CommuneRef> {
    let weights: Vec<f64> = communes
        .iter()
        .map(|c| f64::from(c.population.max(50)).sqrt())
        .collect();
    let total: f64 = weights.iter().sum();
    (0..count)
        .filter_map(|_| {
            let mut x = rng.random_range(0.0..total);
            for (c, w) in communes.iter().zip(&weights) {
                if x < *w {
                    return Some(*c);
                }
                x -= w;
            }
            communes.last().copied()
        })
        .collect()
}

fn draw_communes_national<'a>(
    rng: &mut StdRng,
    communes: &[&'a CommuneRef],
    count: usize,
) -> Vec<&'a CommuneRef> {
    // Cumulative weights and binary search: fast for 35,000 communes × 50,000 draws.
    let mut cumulative = Vec::with_capacity(communes.len());
    let mut total = 0.0;
    for c in communes {
        total += f64::from(c.population.max(50)).sqrt();
        cumulative.push(total);
    }
    (0..count)
        .filter_map(|_| {
            let x = rng.random_range(0.0..total);
            let i = cumulative.partition_point(|w| *w <= x);
            communes
                .get(i.min(communes.len().saturating_sub(1)))
                .copied()
        })
        .collect()
}

/// Generates places on real communes: one département (`Some("54")`) or all of France.
pub fn generate(
    referential: &Referential,
    departement: Option<&str>,
    count: usize,
    seed: u64,
) -> Vec<DemoPlace> {
    let mut rng = StdRng::seed_from_u64(seed);
    let typologies = maillage_domain::typology::Typologies::standard();
    let ctx = ValidationContext {
        communes: referential,
        typologies: &typologies,
        list_separator: '|',
    };
    let communes: Vec<&CommuneRef> = match departement {
        Some(d) => referential.communes_of_departement(d),
        None => {
            let mut all: Vec<&CommuneRef> = referential.communes().collect();
            all.sort_by(|a, b| a.insee_code.cmp(&b.insee_code));
            all
        }
    };
    let drawn = match departement {
        Some(_) => draw_communes(&mut rng, &communes, count),
        None => draw_communes_national(&mut rng, &communes, count),
    };
    let mut out = Vec::with_capacity(count);
    for (n, commune) in drawn.into_iter().enumerate() {
        let kind = choose_kind(&mut rng);
        let Some(postcode) = commune.postcodes.first() else {
            continue;
        };
        let name = if kind.typology == "ASSO" {
            let what = pick(
                &mut rng,
                &[
                    "Numérique pour tous",
                    "Les Clés du numérique",
                    "Connect'Entraide",
                    "Ordi Solidaire",
                    "Le Lien numérique",
                ],
            );
            format!("{what} — {}", commune.name)
        } else {
            format!(
                "{} {}",
                kind.name,
                maillage_domain::french::of(&commune.name)
            )
        };
        let centre = referential
            .centre_of(&commune.insee_code)
            .map(|(p, _)| p)
            .unwrap_or(GeoPoint::new(48.69, 6.18));
        // Within about a kilometre of the commune's centre.
        let location = GeoPoint::new(
            centre.lat + rng.random_range(-0.008..0.008),
            centre.lon + rng.random_range(-0.011..0.011),
        );
        let mut raw = RawPlace {
            id: Some(format!("demo-{n:05}")),
            pivot: Some("00000000000000".into()),
            nom: Some(name.clone()),
            commune: Some(commune.name.clone()),
            code_postal: Some(postcode.clone()),
            adresse: Some(format!(
                "{} {}",
                rng.random_range(1..80),
                pick(&mut rng, STREETS)
            )),
            latitude: Some(format!("{:.6}", location.lat)),
            longitude: Some(format!("{:.6}", location.lon)),
            typologie: Some(kind.typology.into()),
            telephone: Some(format!(
                "03 53 01 {:02} {:02}",
                rng.random_range(0..100),
                rng.random_range(0..100)
            )),
            // A label of a domain name has at most 63 characters.
            courriels: Some(format!(
                "contact@{}.example.org",
                slug(&name)
                    .chars()
                    .take(63)
                    .collect::<String>()
                    .trim_end_matches('-')
            )),
            horaires: Some((*pick(&mut rng, HOURS)).into()),
            presentation_resume: Some(format!(
                "{} accueille les habitants de {} et des environs pour les aider avec le numérique.",
                name, commune.name
            )),
            source: Some("Maillage (démonstration)".into()),
            date_maj: Some(
                NaiveDate::from_ymd_opt(2026, rng.random_range(1..=10), rng.random_range(1..=28))
                    .unwrap_or_default()
                    .to_string(),
            ),
            services: Some(subset(&mut rng, kind.services, 1).join("|")),
            ..RawPlace::default()
        };
        if rng.random_bool(0.3) {
            raw.publics_specifiquement_adresses =
                Some(pick(&mut rng, Public::ALL).label().to_string());
        }
        if rng.random_bool(0.2) {
            raw.prise_en_charge_specifique =
                Some(pick(&mut rng, SpecificSupport::ALL).label().to_string());
        }
        raw.frais_a_charge = Some(
            if kind.typology == "ASSO" && rng.random_bool(0.5) {
                Fee::ALL[2]
            } else {
                Fee::ALL[0]
            }
            .label()
            .to_string(),
        );
        if !kind.programmes.is_empty() {
            raw.dispositif_programmes_nationaux =
                Some(subset(&mut rng, kind.programmes, 0).join("|")).filter(|s| !s.is_empty());
        }
        raw.modalites_acces = Some(
            AccessMode::ALL
                .iter()
                .filter(|_| rng.random_bool(0.5))
                .map(|m| m.label())
                .collect::<Vec<_>>()
                .join("|"),
        )
        .filter(|s| !s.is_empty());
        raw.modalites_accompagnement = Some(
            SupportMode::ALL
                .iter()
                .filter(|_| rng.random_bool(0.5))
                .map(|m| m.label())
                .collect::<Vec<_>>()
                .join("|"),
        )
        .filter(|s| !s.is_empty());
        // Generated values are valid by construction; the test below checks every place passes.
        let (Some(mut place), _) = raw.validate(&format!("demo-{n:05}"), &ctx) else {
            continue;
        };
        place.extras.mediation_forms = kind
            .forms
            .iter()
            .filter_map(|s| MediationForm::from_slug(s))
            .collect();
        place.extras.intervention_domains = kind
            .domains
            .iter()
            .filter_map(|s| InterventionDomain::from_slug(s))
            .collect();
        place.extras.limits =
            (!kind.limits.is_empty()).then(|| (*pick(&mut rng, kind.limits)).to_string());
        place.extras.step_free_access = Some(rng.random_bool(0.7));
        if kind.typology == "CS" || kind.typology == "ASSO" {
            place.extras.contribution =
                Some(format!("adhésion {} € / an", rng.random_range(2..=15)));
        }
        place.extras.referent = Some(maillage_domain::place::Referent {
            name: format!("{} (référent numérique)", pick(&mut rng, FIRST_NAMES)),
            role: Some("médiateur numérique".into()),
            email: None,
            phone: None,
        });
        // Town-run places belong to the town; others to their own structure.
        let organisation = match kind.typology {
            "CCAS" | "EPN" | "BIB" | "MUNI" => format!("ville-{}", commune.insee_code),
            _ => format!("{}-{}", slug(kind.name), commune.insee_code),
        };
        out.push(DemoPlace {
            source_id: format!("demo-{n:05}"),
            place,
            organisation,
        });
    }
    out
}

/// The same places as a regional hub republishes them: upper-case names, abbreviated street
/// types, positions a few metres away, another source and identifiers — what the review of
/// duplicates is for. Every `step`-th place, at most `count`.
pub fn republished_by_hub(places: &[DemoPlace], step: usize, count: usize) -> Vec<DemoPlace> {
    let abbreviate = |address: &str| {
        address
            .replace("avenue", "av.")
            .replace("Avenue", "Av.")
            .replace("boulevard", "bd")
            .replace("Boulevard", "Bd")
            .replace("place", "pl.")
            .replace("Place", "Pl.")
    };
    places
        .iter()
        .step_by(step.max(1))
        .take(count)
        .map(|d| {
            let mut place = d.place.clone();
            place.name = place.name.to_uppercase();
            place.address = abbreviate(&place.address);
            place.location = place
                .location
                .map(|p| GeoPoint::new(p.lat + 0.0002, p.lon - 0.0001));
            place.source = Some("Hub régional (démonstration)".into());
            place.extras = Default::default();
            DemoPlace {
                source_id: format!("hub-{}", d.source_id),
                place,
                organisation: d.organisation.clone(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_places_are_valid_real_and_reproducible() {
        let Ok(r) = Referential::discover() else {
            assert!(
                std::env::var("MAILLAGE_REQUIRE_REFERENTIAL").is_err(),
                "référentiel absent"
            );
            return;
        };
        let a = generate(&r, Some("54"), 150, 7);
        let b = generate(&r, Some("54"), 150, 7);
        assert_eq!(a.len(), 150);
        assert!(a.iter().zip(&b).all(|(x, y)| x.place == y.place));
        for p in &a {
            assert_eq!(p.place.departement().as_deref(), Some("54"));
            assert!(p.place.insee_code.is_some());
            assert!(!p.place.services.is_empty());
            assert!(p.place.opening_hours_valid);
        }
        // The hub's copies are found as duplicates of the originals, and only those.
        let hub = republished_by_hub(&a, 30, 5);
        assert_eq!(hub.len(), 5);
        let all: Vec<&DemoPlace> = a.iter().chain(&hub).collect();
        let candidates: Vec<maillage_domain::duplicates::Candidate<'_>> = all
            .iter()
            .map(|d| maillage_domain::duplicates::Candidate {
                id: &d.source_id,
                ..maillage_domain::duplicates::Candidate::of(&d.place, d.place.source.as_deref())
            })
            .collect();
        let pairs: Vec<_> =
            maillage_domain::duplicates::find_pairs(&candidates, &Default::default())
                .into_iter()
                .filter(|p| !p.comparison.is_vetoed())
                .collect();
        assert_eq!(pairs.len(), 5, "{pairs:?}");
        for p in pairs {
            let (x, y) = (candidates[p.a].id, candidates[p.b].id);
            assert!(
                x == format!("hub-{y}") || y == format!("hub-{x}"),
                "{x} / {y}"
            );
        }
        let orgs: std::collections::HashSet<_> = a.iter().map(|p| &p.organisation).collect();
        assert!(
            orgs.len() < a.len(),
            "certaines structures ont plusieurs lieux"
        );
    }
}
