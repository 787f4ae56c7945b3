//! In-process search latency on the national-scale demo directory (50,000 places over all
//! French communes), and the time to build the index.
//!
//! `cargo bench -p maillage --bench search` — prints a table of latency percentiles per kind of
//! query and for the whole mix, then the time to apply writes in place (one place, a batch of
//! 1,000) and the mix again over the changed index. Figures are recorded in
//! `docs/PERFORMANCE.md`.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use chrono::{NaiveDate, Utc};
use maillage_app::demo;
use maillage_domain::geo::GeoPoint;
use maillage_domain::vocab::{Fee, Service};
use maillage_referential::Referential;
use maillage_search::{IndexChange, OpenFilter, PlaceContext, SearchIndex, SearchQuery};

/// How many times each query of the mix runs (after one warm-up pass).
const ROUNDS: usize = 200;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn micros(d: Duration) -> String {
    format!("{:.0} µs", d.as_secs_f64() * 1e6)
}

fn query_mix(referential: &Referential) -> Result<Vec<(&'static str, SearchQuery)>> {
    let centre = |name: &str| -> Result<GeoPoint> {
        let commune = referential
            .find_by_name(name, None)
            .with_context(|| format!("commune {name} absente du référentiel"))?;
        let (point, _) = referential
            .centre_of(&commune.insee_code)
            .with_context(|| format!("pas de position pour {name}"))?;
        Ok(point)
    };
    let lyon = centre("Lyon")?;
    let nancy = centre("Nancy")?;
    let tuesday_morning = NaiveDate::from_ymd_opt(2026, 11, 24)
        .and_then(|d| d.and_hms_opt(10, 0, 0))
        .context("date")?;
    let text = |t: &str| SearchQuery {
        text: Some(t.to_string()),
        ..SearchQuery::default()
    };
    Ok(vec![
        ("tout, page 1", SearchQuery::default()),
        ("texte courant « médiathèque »", text("médiathèque")),
        ("texte très fréquent « numérique »", text("numérique")),
        (
            "texte avec faute « mediatheque nanci »",
            text("mediatheque nanci"),
        ),
        ("texte « france services »", text("france services")),
        (
            "texte « france services » près de Nancy",
            SearchQuery {
                text: Some("france services".to_string()),
                near: Some(nancy),
                ..SearchQuery::default()
            },
        ),
        (
            "près de Lyon, 20 km",
            SearchQuery {
                near: Some(lyon),
                radius_km: Some(20.0),
                ..SearchQuery::default()
            },
        ),
        (
            "près de Nancy + démarches + gratuit",
            SearchQuery {
                near: Some(nancy),
                radius_km: Some(30.0),
                services: vec![Service::AdministrativeProcedures],
                fees: vec![Fee::Free],
                ..SearchQuery::default()
            },
        ),
        (
            "ouvert maintenant, toute la France",
            SearchQuery {
                open: Some(OpenFilter::Now(Utc::now())),
                ..SearchQuery::default()
            },
        ),
        (
            "texte « atelier », ouvert maintenant",
            SearchQuery {
                text: Some("atelier".to_string()),
                open: Some(OpenFilter::Now(Utc::now())),
                ..SearchQuery::default()
            },
        ),
        (
            "ouvert mardi 10 h, département 54",
            SearchQuery {
                open: Some(OpenFilter::At(tuesday_morning)),
                departement: Some("54".to_string()),
                ..SearchQuery::default()
            },
        ),
        (
            "texte + près de + ouvert maintenant",
            SearchQuery {
                text: Some("atelier".to_string()),
                near: Some(lyon),
                open: Some(OpenFilter::Now(Utc::now())),
                ..SearchQuery::default()
            },
        ),
        (
            "commune exacte (Nancy)",
            SearchQuery {
                insee_code: Some("54395".to_string()),
                ..SearchQuery::default()
            },
        ),
    ])
}

fn main() -> Result<()> {
    let referential = Referential::discover().context(
        "référentiel des communes introuvable : lancer d'abord scripts/setup.sh (ou npm run referential)",
    )?;
    let started = Instant::now();
    let places = demo::generate(&referential, None, 50_000, 2026);
    println!(
        "{} lieux générés en {:.1} s",
        places.len(),
        started.elapsed().as_secs_f64()
    );

    let started = Instant::now();
    let index = SearchIndex::build(places.iter().map(|d| (&d.place, PlaceContext::default())))?;
    println!(
        "index construit en {:.2} s ({} lieux)",
        started.elapsed().as_secs_f64(),
        index.len()
    );

    // `MAILLAGE_BENCH_ONLY=texte` runs only the queries whose label contains that text (for
    // profiling one kind of query).
    let only = std::env::var("MAILLAGE_BENCH_ONLY").unwrap_or_default();
    let mix: Vec<_> = query_mix(&referential)?
        .into_iter()
        .filter(|(label, _)| label.contains(only.as_str()))
        .collect();
    let rounds = if only.is_empty() { ROUNDS } else { ROUNDS * 20 };
    println!();
    println!("| requête | résultats | p50 | p99 | max |\n|---|---:|---:|---:|---:|");
    let all = run_mix(&index, &mix, rounds, true)?;
    print_mix("mélange", &all);

    // Writes applied in place (issue #22): one place at a time, then a batch, and the same mix
    // once the index holds replaced documents.
    println!();
    println!("| écriture appliquée à l'index | p50 | p99 | max |\n|---|---:|---:|---:|");
    let mut times = Vec::with_capacity(100);
    for i in 0..100 {
        let Some(d) = places.get(i * 487 % places.len()) else {
            continue;
        };
        let mut place = d.place.clone();
        place.name = format!("{} (modifié {i})", place.name);
        let t = Instant::now();
        index.apply([IndexChange::Upsert(place, PlaceContext::default())])?;
        times.push(t.elapsed());
    }
    times.sort();
    println!(
        "| un lieu modifié (100 fois) | {} | {} | {} |",
        micros(percentile(&times, 50.0)),
        micros(percentile(&times, 99.0)),
        micros(percentile(&times, 100.0)),
    );
    let batch: Vec<_> = places
        .iter()
        .step_by(50)
        .take(1_000)
        .map(|d| {
            let mut place = d.place.clone();
            place.summary = Some("Permanence numérique le samedi".into());
            IndexChange::Upsert(place, PlaceContext::default())
        })
        .collect();
    let t = Instant::now();
    index.apply(batch)?;
    let took = t.elapsed();
    println!("| un lot de 1 000 lieux modifiés | {} | | |", micros(took));
    let after = run_mix(&index, &mix, rounds, false)?;
    print_mix("mélange après 1 100 écritures en place", &after);
    Ok(())
}

fn print_mix(label: &str, all: &[Duration]) {
    println!(
        "| **{label} ({} requêtes)** | | {} | {} | {} |",
        all.len(),
        micros(percentile(all, 50.0)),
        micros(percentile(all, 99.0)),
        micros(percentile(all, 100.0)),
    );
}

/// Runs each query of the mix `rounds` times (after one warm-up), printing a row per query if
/// asked; returns every duration, sorted.
fn run_mix(
    index: &SearchIndex,
    mix: &[(&'static str, SearchQuery)],
    rounds: usize,
    rows: bool,
) -> Result<Vec<Duration>> {
    let mut all = Vec::with_capacity(mix.len() * rounds);
    for (label, query) in mix {
        let warm = index.search_uncached(query)?;
        let mut times = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            let t = Instant::now();
            let results = index.search_uncached(query)?;
            times.push(t.elapsed());
            std::hint::black_box(results);
        }
        times.sort();
        if rows {
            println!(
                "| {label} | {} | {} | {} | {} |",
                warm.total,
                micros(percentile(&times, 50.0)),
                micros(percentile(&times, 99.0)),
                micros(percentile(&times, 100.0)),
            );
        }
        all.extend(times);
    }
    all.sort();
    Ok(all)
}
