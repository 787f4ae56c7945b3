//! Communes' indicators of digital fragility (issue #20): imported from a file by a
//! coordinator (all or nothing, or the valid rows when asked), kept with their source, scored
//! from 1 to 10 ([`maillage_domain::fragility`]) once per import, read by the territory.

use std::collections::HashMap;
use std::sync::Arc;

use maillage_domain::CommuneLookup;
use maillage_domain::fragility::{CommuneIndicators, Indicator, Scores, scores};
use maillage_domain::policy::{Action, Actor};
use maillage_standard::fragility::read_indicators;
use maillage_store::StoredIndicators;

use crate::{App, AppError};

/// Characters of a source's name, at most.
const MAX_SOURCE: usize = 120;

/// What an import did, or why it did nothing.
#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
#[schema(as = ImportIndicateurs)]
pub struct IndicatorsReport {
    /// Communes written (0 when the file was refused).
    #[serde(rename = "communes_importees")]
    pub imported: usize,
    /// Communes of the file.
    #[serde(rename = "communes_lues")]
    pub read: usize,
    /// The indicators the file gives (their columns).
    #[serde(rename = "indicateurs")]
    pub indicators: Vec<&'static str>,
    #[serde(rename = "population_15_ans_et_plus")]
    pub has_population: bool,
    /// Notes about the file (columns not used, codes repaired).
    #[serde(rename = "remarques")]
    pub notes: Vec<String>,
    /// Each problem: line, column, value, reason.
    #[serde(rename = "erreurs")]
    pub errors: Vec<CellProblem>,
}

/// A problem of one cell of the file.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[schema(as = ErreurIndicateur)]
pub struct CellProblem {
    #[serde(rename = "ligne")]
    pub line: usize,
    #[serde(rename = "colonne")]
    pub column: String,
    #[serde(rename = "valeur")]
    pub value: String,
    #[serde(rename = "raison")]
    pub reason: String,
}

impl std::fmt::Display for CellProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ligne {}, colonne « {} » : {}",
            self.line, self.column, self.reason
        )
    }
}

/// The indicators of every commune known, and their scores: a row of numbers per commune
/// (the whole country's indicators as read from the store, one map of names per commune, held
/// 34 MB; these rows hold about 5).
#[derive(Debug, Default)]
pub struct FragilityTable {
    by_commune: HashMap<Box<str>, Known>,
    /// (source, communes) of what is loaded.
    pub sources: Vec<(String, usize)>,
}

/// What is known of a commune.
#[derive(Debug)]
struct Known {
    /// The values in the order of [`Indicator::ALL`]; NaN when not known (an imported value is
    /// always a number).
    values: [f64; Indicator::ALL.len()],
    population_15_plus: Option<u32>,
    score: Option<f64>,
}

impl FragilityTable {
    fn of(rows: Vec<StoredIndicators>) -> Self {
        let mut sources: HashMap<String, usize> = HashMap::new();
        for r in &rows {
            *sources.entry(r.source.clone()).or_default() += 1;
        }
        let mut sources: Vec<(String, usize)> = sources.into_iter().collect();
        sources.sort();
        let list: Vec<CommuneIndicators> = rows.into_iter().map(|r| r.indicators).collect();
        let Scores { by_commune: scores } = scores(&list);
        let by_commune = list
            .into_iter()
            .map(|c| {
                let known = Known {
                    values: Indicator::ALL.map(|i| c.get(i).unwrap_or(f64::NAN)),
                    population_15_plus: c.population_15_plus,
                    score: scores.get(&c.insee_code).copied(),
                };
                (c.insee_code.into_boxed_str(), known)
            })
            .collect();
        FragilityTable {
            by_commune,
            sources,
        }
    }

    pub fn score(&self, insee_code: &str) -> Option<f64> {
        self.by_commune.get(insee_code).and_then(|k| k.score)
    }

    pub fn value(&self, insee_code: &str, indicator: Indicator) -> Option<f64> {
        let column = Indicator::ALL.iter().position(|i| *i == indicator)?;
        self.by_commune
            .get(insee_code)
            .and_then(|k| k.values.get(column).copied())
            .filter(|v| !v.is_nan())
    }

    pub fn population_15_plus(&self, insee_code: &str) -> Option<u32> {
        self.by_commune
            .get(insee_code)
            .and_then(|k| k.population_15_plus)
    }
}

impl App {
    /// The communes' indicators, loaded once after each import (scores computed off the async
    /// threads).
    pub async fn fragility_table(&self) -> Result<Arc<FragilityTable>, AppError> {
        if let Some(t) = self.fragility.read().await.clone() {
            return Ok(t);
        }
        let mut slot = self.fragility.write().await;
        if let Some(t) = slot.clone() {
            return Ok(t);
        }
        let rows = self.store.commune_indicators().await?;
        let table = tokio::task::spawn_blocking(move || Arc::new(FragilityTable::of(rows)))
            .await
            .map_err(|e| AppError::Invalid(format!("calcul interrompu : {e}")))?;
        *slot = Some(table.clone());
        Ok(table)
    }

    /// Imports a file of communes' indicators: every commune a current one of the official
    /// referential, every value a percentage; nothing written when something is wrong, unless
    /// `skip_invalid` (then the valid rows are).
    pub async fn import_indicators(
        &self,
        actor: Option<&Actor>,
        bytes: Vec<u8>,
        file_name: &str,
        source: &str,
        skip_invalid: bool,
    ) -> Result<IndicatorsReport, AppError> {
        self.check(actor, &Action::ImportIndicators)?;
        self.import_indicators_unchecked(bytes, file_name, source, skip_invalid)
            .await
    }

    /// The import itself, for the operator's demo (its policy asked by the caller).
    pub(crate) async fn import_indicators_unchecked(
        &self,
        bytes: Vec<u8>,
        file_name: &str,
        source: &str,
        skip_invalid: bool,
    ) -> Result<IndicatorsReport, AppError> {
        let source: String = source.trim().chars().take(MAX_SOURCE).collect();
        if source.is_empty() {
            return Err(AppError::Invalid(
                "source : dites d'où viennent les chiffres (« Indice de fragilité numérique 2024 »)"
                    .into(),
            ));
        }
        let referential = self.referential.clone();
        let name = file_name.to_string();
        let (report, communes) = tokio::task::spawn_blocking(move || {
            let file = read_indicators(&bytes, &name).map_err(|e| AppError::Invalid(e.0))?;
            let mut errors: Vec<CellProblem> = file
                .errors
                .into_iter()
                .map(|e| CellProblem {
                    line: e.line,
                    column: e.column,
                    value: e.value,
                    reason: e.reason,
                })
                .collect();
            let mut lines: std::collections::BTreeSet<usize> =
                errors.iter().map(|e| e.line).collect();
            lines.extend(file.communes.iter().map(|(line, _)| *line));
            let mut communes = Vec::new();
            for (line, c) in file.communes {
                if referential.by_code(&c.insee_code).is_none() {
                    errors.push(CellProblem {
                        line,
                        column: "code_insee".into(),
                        value: c.insee_code.clone(),
                        reason: format!(
                            "{} n'est pas une commune du référentiel officiel en vigueur (commune fusionnée ?)",
                            c.insee_code
                        ),
                    });
                } else {
                    communes.push((line, c));
                }
            }
            errors.sort_by_key(|e| e.line);
            // A row with a wrong value is left out with the others' errors (never half read).
            let wrong: std::collections::HashSet<usize> = errors.iter().map(|e| e.line).collect();
            let communes: Vec<CommuneIndicators> = communes
                .into_iter()
                .filter(|(line, _)| !wrong.contains(line))
                .map(|(_, c)| c)
                .collect();
            let report = IndicatorsReport {
                imported: 0,
                read: lines.len(),
                indicators: file.indicators.iter().map(|i| i.column()).collect(),
                has_population: file.has_population,
                notes: file.notes,
                errors,
            };
            Ok::<_, AppError>((report, communes))
        })
        .await
        .map_err(|e| AppError::Invalid(format!("lecture interrompue : {e}")))??;
        let mut report = report;
        if !report.errors.is_empty() && !skip_invalid {
            return Ok(report);
        }
        report.imported = self
            .store
            .import_commune_indicators(&communes, &source)
            .await?;
        *self.fragility.write().await = None;
        Ok(report)
    }
}

/// An indicator over the zone.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[schema(as = IndicateurZone)]
pub struct IndicatorSummary {
    #[serde(rename = "colonne")]
    pub column: &'static str,
    #[serde(rename = "libelle")]
    pub label: &'static str,
    /// Whether it enters the score (else: context).
    #[serde(rename = "dans_l_indice")]
    pub scores: bool,
    /// Mean of the zone's communes that have it, weighted by their population (percent, one
    /// decimal).
    #[serde(rename = "moyenne")]
    pub mean: Option<f64>,
    /// Communes of the zone that have it.
    pub communes: usize,
}

/// A commune and its score.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[schema(as = CommuneFragile)]
pub struct FragileCommune {
    pub code_insee: String,
    #[serde(rename = "nom")]
    pub name: String,
    pub population: u32,
    #[serde(rename = "indice")]
    pub score: f64,
}

/// The zone's digital fragility, from the imported indicators.
#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
#[schema(as = Fragilite)]
pub struct FragilityView {
    /// The zone's score (1–10): its communes' scores weighted by population.
    #[serde(rename = "indice")]
    pub score: Option<f64>,
    #[serde(rename = "communes_avec_indice")]
    pub communes_scored: usize,
    /// Where the indicators came from (« source (N communes) »).
    pub sources: Vec<String>,
    #[serde(rename = "indicateurs")]
    pub indicators: Vec<IndicatorSummary>,
    /// The most fragile communes of the zone, first.
    #[serde(rename = "plus_fragiles")]
    pub most_fragile: Vec<FragileCommune>,
}

/// Communes listed among the most fragile, at most.
pub const MOST_FRAGILE: usize = 20;

/// The zone's fragility: `communes` are (INSEE code, name, population).
pub fn fragility_view(communes: &[(&str, &str, u32)], table: &FragilityTable) -> FragilityView {
    let scored: Vec<(&str, &str, u32, f64)> = communes
        .iter()
        .filter_map(|&(code, name, pop)| table.score(code).map(|s| (code, name, pop, s)))
        .collect();
    let indicators = Indicator::ALL
        .into_iter()
        .map(|i| {
            let with: Vec<(f64, u32)> = communes
                .iter()
                .filter_map(|&(code, _, pop)| table.value(code, i).map(|v| (v, pop)))
                .collect();
            IndicatorSummary {
                column: i.column(),
                label: i.label(),
                scores: i.scores(),
                mean: maillage_domain::fragility::weighted_score(with.iter().copied()),
                communes: with.len(),
            }
        })
        .filter(|s| s.communes > 0)
        .collect();
    let mut most: Vec<FragileCommune> = scored
        .iter()
        .map(|&(code, name, population, score)| FragileCommune {
            code_insee: code.to_string(),
            name: name.to_string(),
            population,
            score,
        })
        .collect();
    most.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(b.population.cmp(&a.population))
            .then(a.code_insee.cmp(&b.code_insee))
    });
    most.truncate(MOST_FRAGILE);
    FragilityView {
        score: maillage_domain::fragility::weighted_score(
            scored.iter().map(|&(_, _, pop, s)| (s, pop)),
        ),
        communes_scored: scored.len(),
        sources: table
            .sources
            .iter()
            .map(|(s, n)| format!("{s} ({n} communes)"))
            .collect(),
        indicators,
        most_fragile: most,
    }
}

/// The source of the demo's sample, said wherever its figures show.
pub const SAMPLE_SOURCE: &str =
    "Exemple fictif de la démonstration : chiffres inventés, pas ceux de l'indice national";

/// The demo's sample: plausible but invented indicators for every current commune (small
/// communes less covered and older, towns poorer), drawn from each INSEE code so that the
/// same code always gets the same figures. Written as the file a coordinator would import.
pub fn demo_sample_csv(referential: &maillage_referential::Referential) -> String {
    let mut communes: Vec<_> = referential.communes().collect();
    communes.sort_by(|a, b| a.insee_code.cmp(&b.insee_code));
    let mut out = String::from("code_insee;");
    out.push_str(
        &Indicator::ALL
            .iter()
            .map(|i| i.column())
            .collect::<Vec<_>>()
            .join(";"),
    );
    out.push_str(";population_15_ans_et_plus\n");
    for c in communes {
        // FNV-1a of the code: a few independent draws in [-1, 1].
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in c.insee_code.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        let mut draw = || {
            h = h
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((h >> 33) as f64 / (1u64 << 31) as f64) * 2.0 - 1.0
        };
        let rural = 1.0 / (1.0 + f64::from(c.population) / 2_000.0);
        let urban = 1.0 - rural;
        let values = [
            5.0 + 60.0 * rural + 15.0 * draw(),
            1.0 + 25.0 * rural * rural + 6.0 * draw(),
            16.0 + 12.0 * rural + 7.0 * draw(),
            20.0 + 10.0 * rural + 8.0 * draw(),
            9.0 + 8.0 * urban + 5.0 * draw(),
            26.0 + 16.0 * urban + 6.0 * draw(),
            8.0 + 8.0 * urban + 3.0 * draw(),
            6.0 + 6.0 * urban + 3.0 * draw(),
            14.0 + 10.0 * urban + 6.0 * draw(),
        ];
        out.push_str(&c.insee_code);
        for v in values {
            out.push_str(&format!(";{:.1}", v.clamp(0.0, 100.0)).replace('.', ","));
        }
        let aged_15 = (f64::from(c.population) * (0.82 + 0.03 * draw())).round();
        out.push_str(&format!(";{aged_15}\n"));
    }
    out
}
