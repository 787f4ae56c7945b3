//! Digital fragility of communes (issue #20): indicators imported per commune (any subset of
//! the columns of the national digital fragility index, and context indicators), and a score
//! from 1 to 10 computed from them. The national index (Indice de Fragilité Numérique of La
//! Mednum, seed 000) is relative — a territory against the others, median 5 — but its own
//! normalisation is not public: Maillage's score is its own, documented here and in
//! docs/INDICATORS.md, and the raw indicators are always kept beside it.
//!
//! The score of a commune: for each scoring indicator it has, its decile among every commune
//! imported that has that indicator (1: the least fragile tenth, 10: the most), then the mean
//! of those deciles, to one decimal. A zone's score is the mean of its communes' scores
//! weighted by their population.

use std::collections::HashMap;

/// An indicator of a commune. Every value is a share of the population (or of the premises,
/// for coverage), in percent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Indicator {
    NoVeryHighSpeed,
    No4g,
    Aged65,
    LowDiploma,
    Poverty,
    OnePerson,
    SingleParent,
    Unemployment,
    Benefits,
}

impl Indicator {
    pub const ALL: [Indicator; 9] = [
        Indicator::NoVeryHighSpeed,
        Indicator::No4g,
        Indicator::Aged65,
        Indicator::LowDiploma,
        Indicator::Poverty,
        Indicator::OnePerson,
        Indicator::SingleParent,
        Indicator::Unemployment,
        Indicator::Benefits,
    ];

    /// The column of the file (and of the API, the CSV exports).
    pub fn column(self) -> &'static str {
        match self {
            Indicator::NoVeryHighSpeed => "non_couverture_thd",
            Indicator::No4g => "non_couverture_4g",
            Indicator::Aged65 => "part_65_ans_et_plus",
            Indicator::LowDiploma => "part_peu_ou_pas_diplomes",
            Indicator::Poverty => "taux_pauvrete",
            Indicator::OnePerson => "part_menages_une_personne",
            Indicator::SingleParent => "part_familles_monoparentales",
            Indicator::Unemployment => "taux_chomage",
            Indicator::Benefits => "part_allocataires_prestations",
        }
    }

    /// Other names a file may give the column (folded: lower case, no accents, `_`).
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Indicator::NoVeryHighSpeed => &["thd_non_couvert", "non_couverture_tres_haut_debit"],
            Indicator::No4g => &["4g_non_couvert", "non_couverture_mobile_4g"],
            Indicator::Aged65 => &[
                "part_65_ans_plus",
                "part_des_65_ans_et_plus",
                "plus_de_65_ans",
            ],
            Indicator::LowDiploma => &[
                "part_peu_diplomes",
                "peu_ou_pas_diplomes",
                "part_non_diplomes",
            ],
            Indicator::Poverty => &["pauvrete", "taux_de_pauvrete"],
            Indicator::OnePerson => &["menages_une_personne", "personnes_seules"],
            Indicator::SingleParent => &["familles_monoparentales"],
            Indicator::Unemployment => &["chomage", "taux_de_chomage"],
            Indicator::Benefits => &["allocataires", "part_allocataires", "prestations_sociales"],
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Indicator::NoVeryHighSpeed => "Locaux non couverts en très haut débit",
            Indicator::No4g => "Territoire non couvert en 4G",
            Indicator::Aged65 => "Personnes de 65 ans et plus",
            Indicator::LowDiploma => "Personnes peu ou pas diplômées",
            Indicator::Poverty => "Taux de pauvreté",
            Indicator::OnePerson => "Ménages d'une personne",
            Indicator::SingleParent => "Familles monoparentales",
            Indicator::Unemployment => "Taux de chômage",
            Indicator::Benefits => "Allocataires de prestations sociales",
        }
    }

    /// Whether the indicator enters the score (the index's own dimensions: access to networks,
    /// age, diplomas, poverty); the others are context, shown beside it.
    pub fn scores(self) -> bool {
        matches!(
            self,
            Indicator::NoVeryHighSpeed
                | Indicator::No4g
                | Indicator::Aged65
                | Indicator::LowDiploma
                | Indicator::Poverty
        )
    }

    /// The indicator a column of a file stands for (folded name or alias).
    pub fn of_column(folded: &str) -> Option<Indicator> {
        Indicator::ALL
            .into_iter()
            .find(|i| i.column() == folded || i.aliases().contains(&folded))
    }
}

/// The column of the population aged 15 and over (the base of the need estimates).
pub const POPULATION_15_PLUS: &str = "population_15_ans_et_plus";

/// What is known of a commune.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct CommuneIndicators {
    pub insee_code: String,
    /// Values in percent, by indicator (absent: not known).
    pub values: std::collections::BTreeMap<String, f64>,
    /// People aged 15 and over, when the file gives them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub population_15_plus: Option<u32>,
}

impl CommuneIndicators {
    pub fn get(&self, i: Indicator) -> Option<f64> {
        self.values.get(i.column()).copied()
    }
}

/// The deciles of each scoring indicator over the communes given, and each commune's score.
#[derive(Debug, Clone, Default)]
pub struct Scores {
    /// Score (1–10, one decimal) by INSEE code, for communes with at least one scoring
    /// indicator.
    pub by_commune: HashMap<String, f64>,
}

/// The decile (1–10) of each value among `values` (equal values share the lower decile).
fn deciles(values: &[f64]) -> Vec<u8> {
    let mut sorted: Vec<f64> = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    values
        .iter()
        .map(|v| {
            let below = sorted.partition_point(|x| x.total_cmp(v).is_lt());
            (below * 10 / n.max(1) + 1).min(10) as u8
        })
        .collect()
}

/// Every commune's score: the mean of its deciles over the scoring indicators it has.
pub fn scores(communes: &[CommuneIndicators]) -> Scores {
    let mut sums: HashMap<&str, (u32, u32)> = HashMap::new();
    for indicator in Indicator::ALL.into_iter().filter(|i| i.scores()) {
        let with: Vec<(&str, f64)> = communes
            .iter()
            .filter_map(|c| {
                c.get(indicator)
                    .filter(|v| v.is_finite())
                    .map(|v| (c.insee_code.as_str(), v))
            })
            .collect();
        let values: Vec<f64> = with.iter().map(|(_, v)| *v).collect();
        for ((code, _), d) in with.iter().zip(deciles(&values)) {
            let s = sums.entry(code).or_default();
            s.0 += u32::from(d);
            s.1 += 1;
        }
    }
    Scores {
        by_commune: sums
            .into_iter()
            .map(|(code, (sum, n))| {
                (
                    code.to_string(),
                    (f64::from(sum) * 10.0 / f64::from(n)).round() / 10.0,
                )
            })
            .collect(),
    }
}

/// The mean of scores weighted by population, one decimal (`None` without any score).
pub fn weighted_score(items: impl IntoIterator<Item = (f64, u32)>) -> Option<f64> {
    let (mut sum, mut weight) = (0.0, 0.0);
    for (score, population) in items {
        let w = f64::from(population.max(1));
        sum += score * w;
        weight += w;
    }
    (weight > 0.0).then(|| (sum / weight * 10.0).round() / 10.0)
}

/// The map's class of a score: five bands of two points.
pub fn band(score: f64) -> &'static str {
    match score {
        s if s < 3.0 => "fragilite-1",
        s if s < 5.0 => "fragilite-2",
        s if s < 7.0 => "fragilite-3",
        s if s < 9.0 => "fragilite-4",
        _ => "fragilite-5",
    }
}

/// The bands, in order: (class, label).
pub const BANDS: [(&str, &str); 5] = [
    ("fragilite-1", "de 1 à moins de 3"),
    ("fragilite-2", "de 3 à moins de 5"),
    ("fragilite-3", "de 5 à moins de 7"),
    ("fragilite-4", "de 7 à moins de 9"),
    ("fragilite-5", "de 9 à 10"),
];

/// A value of a file's cell: `12,5`, `12.5`, `12,5 %`; empty, `NA`, `ND`, `s` (statistical
/// secret) or `-` mean « not known ».
pub fn parse_percent(cell: &str) -> Result<Option<f64>, String> {
    let t = cell.trim().trim_end_matches('%').trim();
    if t.is_empty() || ["na", "nd", "s", "-", "n/a"].contains(&t.to_lowercase().as_str()) {
        return Ok(None);
    }
    let v: f64 = t
        .replace(['\u{a0}', '\u{202f}', ' '], "")
        .replace(',', ".")
        .parse()
        .map_err(|_| {
            format!(
                "« {} » n'est pas un nombre",
                cell.chars().take(40).collect::<String>()
            )
        })?;
    if !(0.0..=100.0).contains(&v) {
        return Err(format!("{v} n'est pas un pourcentage (de 0 à 100)"));
    }
    Ok(Some(v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn commune(code: &str, values: &[(Indicator, f64)]) -> CommuneIndicators {
        CommuneIndicators {
            insee_code: code.into(),
            values: values
                .iter()
                .map(|(i, v)| (i.column().to_string(), *v))
                .collect(),
            population_15_plus: None,
        }
    }

    #[test]
    fn deciles_rank_values_among_all() {
        let v: Vec<f64> = (1..=20).map(f64::from).collect();
        let d = deciles(&v);
        assert_eq!(d[0], 1);
        assert_eq!(d[1], 1);
        assert_eq!(d[2], 2);
        assert_eq!(d[19], 10);
        // Equal values share a decile.
        assert_eq!(deciles(&[5.0, 5.0, 5.0]), [1, 1, 1]);
        assert!(deciles(&[]).is_empty());
    }

    #[test]
    fn a_score_is_the_mean_of_deciles_of_the_scoring_indicators() {
        // Ten communes; « a » is the most fragile on poverty and age, « j » the least.
        let mut communes: Vec<CommuneIndicators> = (0..10)
            .map(|i| {
                commune(
                    &format!("5400{i}"),
                    &[
                        (Indicator::Poverty, f64::from(i)),
                        (Indicator::Aged65, f64::from(i) * 2.0),
                        // Context: never in the score.
                        (Indicator::Unemployment, 100.0 - f64::from(i)),
                    ],
                )
            })
            .collect();
        communes.push(commune("54999", &[(Indicator::OnePerson, 50.0)]));
        let s = scores(&communes);
        assert_eq!(s.by_commune["54009"], 10.0);
        assert_eq!(s.by_commune["54000"], 1.0);
        assert_eq!(s.by_commune["54004"], 5.0);
        assert!(
            !s.by_commune.contains_key("54999"),
            "contexte seulement : pas de score"
        );
        assert_eq!(weighted_score([(10.0, 100), (1.0, 300)]), Some(3.3));
        assert_eq!(weighted_score([]), None);
    }

    #[test]
    fn percents_as_spreadsheets_write_them() {
        assert_eq!(parse_percent("12,5"), Ok(Some(12.5)));
        assert_eq!(parse_percent(" 12.5 % "), Ok(Some(12.5)));
        assert_eq!(parse_percent("NA"), Ok(None));
        assert_eq!(parse_percent(""), Ok(None));
        assert!(parse_percent("101").is_err());
        assert!(
            parse_percent("douze")
                .expect_err("texte")
                .contains("n'est pas un nombre")
        );
        assert_eq!(
            Indicator::of_column("taux_de_pauvrete"),
            Some(Indicator::Poverty)
        );
        assert_eq!(Indicator::of_column("inconnue"), None);
    }

    proptest! {
        #[test]
        fn scores_stay_between_1_and_10(values in proptest::collection::vec((0.0f64..100.0, 0.0f64..100.0), 1..60)) {
            let communes: Vec<CommuneIndicators> = values
                .iter()
                .enumerate()
                .map(|(i, (a, b))| commune(&format!("{i:05}"), &[(Indicator::Poverty, *a), (Indicator::No4g, *b)]))
                .collect();
            let s = scores(&communes);
            prop_assert_eq!(s.by_commune.len(), communes.len());
            for v in s.by_commune.values() {
                prop_assert!((1.0..=10.0).contains(v));
            }
        }

        #[test]
        fn any_cell_is_read_or_refused_never_a_panic(cell in ".{0,30}") {
            if let Ok(Some(v)) = parse_percent(&cell) {
                prop_assert!((0.0..=100.0).contains(&v));
            }
        }
    }
}
