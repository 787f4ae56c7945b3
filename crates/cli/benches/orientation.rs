//! Orientation at national scale: the national demo directory (50,000 places over all French
//! communes) in SQLite, then requests of several kinds in communes of every size, with levels
//! and constraints, answered by the same service as the page, the API and the CLI (candidates
//! from the search index, places read from the base, rules of the domain).
//!
//! `cargo bench -p maillage --bench orientation` — figures recorded in `docs/PERFORMANCE.md`.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use chrono::NaiveDate;
use maillage_app::App;
use maillage_app::demo;
use maillage_app::orientation::OrientForm;
use maillage_referential::Referential;
use maillage_store::{ImportRecord, Store};

/// The server's allocator, so that the figures are those of `maillage serve`.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// How many times each request of the mix runs (after one warm-up pass).
const ROUNDS: usize = 50;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn millis(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn form(request: &str, near: &str, level: &str) -> OrientForm {
    OrientForm {
        demande: request.into(),
        pres_de: near.into(),
        niveau: level.into(),
        ..OrientForm::default()
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let referential = Referential::discover().context("référentiel (scripts/setup.sh)")?;
    let places = demo::generate(&referential, None, 50_000, 2026);
    let records: Vec<ImportRecord> = places
        .iter()
        .map(|d| ImportRecord {
            source_id: d.source_id.clone(),
            place: d.place.clone(),
        })
        .collect();
    let dir = std::env::temp_dir().join(format!("maillage-bench-orient-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let url = format!("sqlite://{}", dir.join("base.sqlite").display());
    let store = Store::connect(&url).await?;
    store
        .import_places("demo", "démonstration", &records, 0, "bench", None)
        .await?;
    let app = App::new(store, referential).await?;
    let catalogue = app.catalogue().await?;
    let day = NaiveDate::from_ymd_opt(2026, 11, 24).context("date")?;
    let mix = vec![
        (
            "CAF, Éloigné, Paris",
            form("compte-caf", "Paris", "eloigne"),
        ),
        (
            "Ameli, Débutant, gratuit, Lyon",
            OrientForm {
                gratuit: true,
                ..form("compte-ameli", "Lyon", "debutant")
            },
        ),
        (
            "France Travail, mots de la personne, mardi matin, Nancy",
            OrientForm {
                disponible: vec!["mardi-matin".into()],
                ..form("je dois m'inscrire à pôle emploi", "Nancy", "debutant")
            },
        ),
        (
            "smartphone, à pied, village de Lozère",
            OrientForm {
                deplacement: "a-pied".into(),
                ..form("smartphone", "Marvejols", "debutant")
            },
        ),
        (
            "titre de séjour, individuel, anglais, Marseille",
            OrientForm {
                format: "individuel".into(),
                langue: "anglais".into(),
                ..form("titre-sejour", "Marseille", "eloigne")
            },
        ),
        (
            "arnaque, Avancé, 30 km, Rennes",
            OrientForm {
                rayon_km: "30".into(),
                ..form("arnaque", "Rennes", "avance")
            },
        ),
    ];
    println!(
        "\n| demande | lieux examinés | proposés | p50 | p99 | max |\n|---|---:|---:|---:|---:|---:|"
    );
    let mut all = Vec::new();
    for (label, f) in mix {
        let q = f
            .to_query(&app, &catalogue)
            .map_err(|e| anyhow::anyhow!("{label}: {e:?}"))?;
        let warm = app.orient_on(None, &q, day).await?;
        let mut times = Vec::with_capacity(ROUNDS);
        for _ in 0..ROUNDS {
            let t = Instant::now();
            std::hint::black_box(app.orient_on(None, &q, day).await?);
            times.push(t.elapsed());
        }
        times.sort();
        println!(
            "| {label} | {} | {} | {} | {} | {} |",
            warm.considered,
            warm.places.len(),
            millis(percentile(&times, 50.0)),
            millis(percentile(&times, 99.0)),
            millis(times.last().copied().unwrap_or_default())
        );
        all.extend(times);
    }
    all.sort();
    println!(
        "| **mélange** | | | {} | {} | {} |",
        millis(percentile(&all, 50.0)),
        millis(percentile(&all, 99.0)),
        millis(all.last().copied().unwrap_or_default())
    );
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}
