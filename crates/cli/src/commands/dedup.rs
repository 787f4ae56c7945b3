//! `maillage dedup lieux`: the probable duplicates of the directory (the ecosystem's shared
//! rule), with their scores and vetoes.

use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::Subcommand;
use maillage_domain::duplicates::DedupSettings;

use super::{Global, emit};
use crate::progress::TerminalProgress;

#[derive(Subcommand)]
pub enum DedupWhat {
    Lieux {
        /// Compare aussi les lieux d'une même source entre eux.
        #[arg(long)]
        source_internal: bool,
        /// Score minimal des paires proposées (0 à 100 ; par défaut le seuil de revue, 70).
        #[arg(long)]
        threshold: Option<f64>,
        /// Sortie JSON : liste de paires {"a", "b", "score", "scores", "vetoes"}.
        #[arg(long)]
        json: bool,
        /// Montre aussi les paires écartées par un veto, avec leurs raisons.
        #[arg(long)]
        with_vetoed: bool,
    },
}

pub async fn run(global: &Global, what: &DedupWhat) -> Result<ExitCode> {
    let DedupWhat::Lieux {
        source_internal,
        threshold,
        json,
        with_vetoed,
    } = what;
    let defaults = DedupSettings::default();
    let threshold = threshold.unwrap_or(defaults.review);
    if !(0.0..=100.0).contains(&threshold) {
        bail!("--threshold {threshold} : un score entre 0 et 100 est attendu");
    }
    let settings = DedupSettings {
        review: threshold,
        same_source: *source_internal,
        ..defaults
    };
    let app = global.app_for_writes().await?;
    let watch = TerminalProgress::start();
    let pairs = app.duplicate_pairs_watched(&settings, watch.clone()).await;
    watch.finish();
    let pairs: Vec<_> = pairs?
        .into_iter()
        .filter(|p| *with_vetoed || !p.comparison.is_vetoed())
        .collect();
    if *json {
        let out: Vec<Pair<'_>> = pairs
            .iter()
            .map(|p| Pair {
                a: Side::of(&p.a),
                b: Side::of(&p.b),
                score: (p.comparison.score * 10.0).round() / 10.0,
                scores: &p.comparison.scores,
                vetoes: &p.comparison.vetoes,
                certain: p.comparison.score >= settings.certain,
            })
            .collect();
        emit(&serde_json::to_string_pretty(&out)?)?;
    } else {
        let proposed = pairs.iter().filter(|p| !p.comparison.is_vetoed()).count();
        let certain = pairs
            .iter()
            .filter(|p| !p.comparison.is_vetoed() && p.comparison.score >= settings.certain)
            .count();
        let mut text = format!(
            "{proposed} doublon(s) probable(s) : {certain} quasi certain(s) (score ≥ {}), {} à revoir.",
            settings.certain,
            proposed - certain
        );
        if proposed < pairs.len() {
            text.push_str(&format!(
                "\n{} paire(s) écartée(s) par un veto.",
                pairs.len() - proposed
            ));
        }
        for p in &pairs {
            let s = &p.comparison.scores;
            let vetoes: Vec<&str> = p.comparison.vetoes.iter().map(|v| v.label()).collect();
            text.push_str(&format!(
                "\n{:5.1}  {} ({}) ⇄ {} ({}) — nom {:.0}, adresse {}, distance {}{}",
                p.comparison.score,
                p.a.place.name,
                p.a.place.commune,
                p.b.place.name,
                p.b.place.commune,
                s.name,
                s.address.map_or("—".to_string(), |v| format!("{v:.0}")),
                s.distance_m
                    .map_or("—".to_string(), |d| format!("{d:.0} m")),
                if vetoes.is_empty() {
                    String::new()
                } else {
                    format!(" — écartée : {}", vetoes.join(", "))
                },
            ));
        }
        emit(&text)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// A pair of probable duplicates as `--json` gives it.
#[derive(serde::Serialize)]
struct Pair<'a> {
    a: Side<'a>,
    b: Side<'a>,
    /// Overall score, one decimal.
    score: f64,
    scores: &'a maillage_domain::duplicates::Scores,
    vetoes: &'a [maillage_domain::duplicates::Veto],
    /// At or above the threshold of near certainty.
    certain: bool,
}

/// One place of a pair, with its provenance.
#[derive(serde::Serialize)]
struct Side<'a> {
    id: &'a str,
    source_id: Option<&'a str>,
    nom: &'a str,
    adresse: &'a str,
    commune: &'a str,
    source: Option<&'a str>,
}

impl<'a> Side<'a> {
    fn of(s: &'a maillage_app::StoredPlace) -> Self {
        Side {
            id: &s.place.id,
            source_id: s.source_id.as_deref(),
            nom: &s.place.name,
            adresse: &s.place.address,
            commune: &s.place.commune,
            source: s.place.source.as_deref().or(s.source.as_deref()),
        }
    }
}
