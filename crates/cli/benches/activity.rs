//! Activity statistics at network scale: 5 million records (a thousand structures, twenty
//! followed persons each, the demo's generator) in SQLite and, when
//! `MAILLAGE_TEST_POSTGRES_URL` is set, in PostgreSQL; then the dashboards the pages, the API
//! and the CLI compute (same service), with the filters people use.
//!
//! `cargo bench -p maillage --bench activity` — figures recorded in `docs/PERFORMANCE.md`.
//! `MAILLAGE_BENCH_ACTIVITIES` changes the volume (default 5,000,000). The generated bases are
//! kept (`target/bench-data/`, database `maillage_bench_activity`) and reused when they hold
//! the asked volume.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use chrono::NaiveDate;
use maillage_app::App;
use maillage_app::demo::{self, ActivityOrg};
use maillage_domain::indicators::Filter;
use maillage_domain::organisation::Organisation;
use maillage_domain::vocab::MediationTheme;
use maillage_referential::Referential;
use maillage_store::{NewActivity, NewPerson, Store};

const ROUNDS: usize = 20;
const ORGS: usize = 1_000;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn millis(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).unwrap_or_default()
}

/// Fills a base with `volume` records (unless it already holds them).
async fn fill(store: &Store, volume: usize) -> Result<()> {
    let have = store.count_activities().await? as usize;
    if have == volume {
        println!("  base déjà remplie : {have} comptes rendus");
        return Ok(());
    }
    anyhow::ensure!(have == 0, "base de banc non vide ({have}) : videz-la");
    let started = Instant::now();
    let mut orgs = Vec::with_capacity(ORGS);
    for i in 0..ORGS {
        let id = store
            .create_organisation(&Organisation {
                id: format!("bench-org-{i:04}"),
                name: format!("Structure {i}"),
                pivot: None,
                typologies: vec!["EPN".into()],
                departement: Some(format!("{:02}", 1 + i % 95)),
            })
            .await?;
        let mut persons = Vec::new();
        for p in 0..20 {
            persons.push(
                store
                    .create_person(&NewPerson {
                        organisation_id: &id,
                        pseudonym: &format!("P{p}"),
                        contact: None,
                        consent_by: None,
                        keep_until: "2099-01-01T00:00:00Z",
                    })
                    .await?,
            );
        }
        orgs.push(ActivityOrg {
            id,
            places: (0..3)
                .map(|p| {
                    (
                        format!("lieu-{i}-{p}"),
                        Some(format!("{:02}{:03}", 1 + i % 95, p + 1)),
                    )
                })
                .collect(),
            procedures_first: i % 7 == 0,
            volume: volume / ORGS,
            persons,
        });
    }
    // Generated and written a slice of structures at a time: memory holds one slice.
    let helpers: Vec<Option<String>> = (0..ORGS).map(|_| None).collect();
    let mut written = 0;
    for (n, slice) in orgs.chunks(50).enumerate() {
        let year = demo::activities(slice, today(), 7 + n as u64);
        for chunk in year.chunks(5_000) {
            let batch: Vec<NewActivity> = chunk
                .iter()
                .map(|d| NewActivity {
                    organisation_id: &slice[d.organisation].id,
                    helper_id: helpers[d.organisation].as_deref(),
                    activity: &d.activity,
                    notes: None,
                })
                .collect();
            store.insert_activities(&batch).await?;
            written += batch.len();
        }
        eprint!("\r  écrits : {written}");
    }
    eprintln!();
    println!(
        "  écriture de {written} comptes rendus : {:.0} s ({:.0} / s)",
        started.elapsed().as_secs_f64(),
        written as f64 / started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn measure(label: &str, url: &str, volume: usize, referential: Referential) -> Result<()> {
    println!("\n== {label} ==");
    let store = Store::connect(url).await.with_context(|| url.to_string())?;
    fill(&store, volume).await?;
    let app = App::for_writes(store, referential)?;
    let started = Instant::now();
    let cube = app.cube().await?;
    println!(
        "  chargement du cube ({} activités) : {:.1} s",
        cube.cube.len(),
        started.elapsed().as_secs_f64()
    );
    drop(cube);
    // The snapshot the hourly job writes, then an instance restarted over the same base.
    let started = Instant::now();
    let said = app.write_cube_snapshot().await?;
    println!(
        "  écriture de l'instantané : {:.1} s ({said})",
        started.elapsed().as_secs_f64()
    );
    let restarted = App::for_writes(
        Store::connect(url).await?,
        Referential::discover().context("référentiel")?,
    )?;
    let started = Instant::now();
    let cube = restarted.cube().await?;
    println!(
        "  redémarrage : cube de l'instantané et du journal ({} activités) : {:.1} s",
        cube.cube.len(),
        started.elapsed().as_secs_f64()
    );
    drop(cube);
    drop(restarted);
    let year = Filter {
        from: Some(today() - chrono::Days::new(365)),
        to: Some(today()),
        ..Filter::default()
    };
    let mix: Vec<(&str, Filter)> = vec![
        ("réseau, toute la période", Filter::default()),
        ("réseau, 12 mois", year.clone()),
        (
            "réseau, 12 mois, ateliers « sécurité »",
            Filter {
                themes: vec![MediationTheme::Safety],
                kinds: vec![maillage_domain::activity::ActivityKind::Collective],
                ..year.clone()
            },
        ),
        (
            "un département (11 structures), 12 mois",
            Filter {
                organisations: (0..ORGS)
                    .filter(|i| 1 + i % 95 == 54)
                    .map(|i| format!("bench-org-{i:04}"))
                    .collect(),
                ..year.clone()
            },
        ),
        (
            "une structure, un trimestre",
            Filter {
                organisations: vec!["bench-org-0042".into()],
                from: Some(today() - chrono::Days::new(91)),
                ..year.clone()
            },
        ),
    ];
    for (name, filter) in &mix {
        app.statistics_of(filter).await?; // warm-up
        let mut times = Vec::with_capacity(ROUNDS);
        let mut records = 0.0;
        for _ in 0..ROUNDS {
            let t = Instant::now();
            let s = app.statistics_of(filter).await?;
            times.push(t.elapsed());
            records = s.figure(maillage_domain::indicators::Indicator::Records);
        }
        times.sort();
        println!(
            "  {name:<42} {records:>9} activités  p50 {}  p99 {}",
            millis(percentile(&times, 50.0)),
            millis(percentile(&times, 99.0))
        );
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    let volume: usize = std::env::var("MAILLAGE_BENCH_ACTIVITIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5_000_000);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-data");
    std::fs::create_dir_all(&dir)?;
    let sqlite = format!(
        "sqlite://{}",
        dir.join(format!("activity-{volume}.sqlite")).display()
    );
    measure(
        "SQLite",
        &sqlite,
        volume,
        Referential::discover().context("référentiel (scripts/setup.sh)")?,
    )
    .await?;
    if let Ok(admin) = std::env::var("MAILLAGE_TEST_POSTGRES_URL") {
        let name = format!("maillage_bench_activity_{volume}");
        let pool = sqlx::PgPool::connect(&admin).await?;
        let exists: Option<(i32,)> = sqlx::query_as("SELECT 1 FROM pg_database WHERE datname = $1")
            .bind(&name)
            .fetch_optional(&pool)
            .await?;
        if exists.is_none() {
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&pool)
                .await?;
        }
        let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
        measure(
            "PostgreSQL",
            &format!("{base}/{name}"),
            volume,
            Referential::discover()?,
        )
        .await?;
    } else {
        println!(
            "\nPostgreSQL non mesuré : MAILLAGE_TEST_POSTGRES_URL absent (source scripts/lib/postgres.sh)"
        );
    }
    Ok(())
}
