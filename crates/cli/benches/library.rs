//! Search in the resource library: the time to build its French text index and the latency of
//! typical queries, on a library of 4,900 resources (the field's sheets, each 100 times with
//! variations — far above what a network holds).
//!
//! `cargo bench -p maillage --bench library` — figures recorded in `docs/PERFORMANCE.md`.

use std::time::{Duration, Instant};

use anyhow::Result;
use maillage_search::{TextDocument, TextIndex};

const ROUNDS: usize = 500;

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

fn main() -> Result<()> {
    let sheets = maillage_domain::resources::initial_content()?;
    let docs: Vec<TextDocument> = (0..100)
        .flat_map(|n| {
            sheets.iter().map(move |r| TextDocument {
                id: format!("{}-{n}", r.id),
                title: format!("{} (variante {n})", r.title),
                body: r.searchable_text(),
            })
        })
        .collect();
    let count = docs.len();
    let started = Instant::now();
    let index = TextIndex::build(docs)?;
    println!(
        "index de {count} ressources construit en {:.0} ms",
        started.elapsed().as_secs_f64() * 1e3
    );
    println!("\n| requête | résultats | p50 | p99 | max |\n|---|---:|---:|---:|---:|");
    let mut all = Vec::new();
    for q in [
        "mots de passe",
        "clavier",
        "clavié",
        "parentalité écrans enfants",
        "intelligence artificielle",
        "démarches administratives en ligne",
    ] {
        let found = index.search(q)?.len();
        let mut times = Vec::with_capacity(ROUNDS);
        for _ in 0..ROUNDS {
            let t = Instant::now();
            std::hint::black_box(index.search(q)?);
            times.push(t.elapsed());
        }
        times.sort();
        println!(
            "| {q} | {found} | {} | {} | {} |",
            micros(percentile(&times, 50.0)),
            micros(percentile(&times, 99.0)),
            micros(percentile(&times, 100.0))
        );
        all.extend(times);
    }
    all.sort();
    println!(
        "| **mélange** | | {} | {} | {} |",
        micros(percentile(&all, 50.0)),
        micros(percentile(&all, 99.0)),
        micros(percentile(&all, 100.0))
    );
    Ok(())
}
