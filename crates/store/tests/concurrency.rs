//! Writes at the same time on a SQLite file, as a server does with several requests: none may
//! fail because another committed between its first read and its first write (SQLite's
//! `SQLITE_BUSY_SNAPSHOT`, « database is locked », code 517, which no busy timeout waits out).
//! Found by the API fuzzing (`scripts/api-fuzz.sh`): two imports at once, one answered 500.

use maillage_domain::place::Place;
use maillage_store::{ImportRecord, Store};

fn record(source: usize, n: usize, round: usize) -> ImportRecord {
    let mut place = Place::new(
        "",
        format!("Lieu {n} de la source {source}"),
        "1 place de la Comédie",
        "69001",
        "Lyon",
        chrono::NaiveDate::from_ymd_opt(2024, 1, 1 + round as u32).expect("date"),
    );
    place.insee_code = Some("69381".into());
    ImportRecord {
        source_id: format!("{source}-{n}"),
        place,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn imports_at_the_same_time_all_land_on_a_sqlite_file() {
    let dir = tempfile::tempdir().expect("dossier");
    let url = format!("sqlite://{}", dir.path().join("base.sqlite").display());
    let store = Store::connect(&url).await.expect("SQLite");
    for round in 0..5 {
        let mut writers = Vec::new();
        for source in 0..8 {
            let store = store.clone();
            writers.push(tokio::spawn(async move {
                let records: Vec<ImportRecord> =
                    (0..20).map(|n| record(source, n, round)).collect();
                store
                    .import_places(
                        &format!("source-{source}"),
                        "f.csv",
                        &records,
                        0,
                        "ok",
                        None,
                    )
                    .await
            }));
        }
        for writer in writers {
            let outcome = writer.await.expect("tâche");
            assert!(outcome.is_ok(), "tour {round} : {outcome:?}");
        }
    }
    assert_eq!(store.count_places().await.expect("compte"), 8 * 20);
}
