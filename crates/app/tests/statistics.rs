//! The statistics cube's snapshot (issue #22): an instance started over a base that has one
//! reads it and the changes logged since, and answers what a load of every record answers; a
//! damaged snapshot, or one of another format, is set aside for the records. On SQLite and,
//! when `MAILLAGE_TEST_POSTGRES_URL` is set, on PostgreSQL.

use chrono::NaiveDate;
use maillage_app::App;
use maillage_app::demo::{self, ActivityOrg};
use maillage_domain::indicators::Filter;
use maillage_domain::organisation::Organisation;
use maillage_referential::Referential;
use maillage_store::{NewActivity, NewPerson, Store};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).unwrap_or_default()
}

/// Three structures, a year of their records (the demo's generator); the records' ids.
async fn fill(store: &Store, seed: u64, first: usize) -> Vec<String> {
    let mut orgs = Vec::new();
    for i in first..first + 3 {
        let id = store
            .create_organisation(&Organisation {
                id: format!("org-{i}"),
                name: format!("Structure {i}"),
                pivot: None,
                typologies: vec!["EPN".into()],
                departement: Some("54".into()),
            })
            .await
            .expect("structure");
        let mut persons = Vec::new();
        for p in 0..4 {
            persons.push(
                store
                    .create_person(&NewPerson {
                        organisation_id: &id,
                        pseudonym: &format!("P{p}"),
                        contact: None,
                        consent_by: None,
                        keep_until: "2099-01-01T00:00:00Z",
                    })
                    .await
                    .expect("personne"),
            );
        }
        orgs.push(ActivityOrg {
            id,
            places: vec![(format!("lieu-{i}"), Some("54395".into()))],
            procedures_first: i == 0,
            volume: 120,
            persons,
        });
    }
    let year = demo::activities(&orgs, today(), seed);
    let batch: Vec<NewActivity> = year
        .iter()
        .map(|d| NewActivity {
            organisation_id: &orgs[d.organisation].id,
            helper_id: None,
            activity: &d.activity,
            notes: None,
        })
        .collect();
    store
        .insert_activities(&batch)
        .await
        .expect("comptes rendus")
}

async fn instance(url: &str) -> App {
    let referential = Referential::parse("").expect("référentiel vide");
    App::for_writes(Store::connect(url).await.expect("base"), referential).expect("instance")
}

/// Runs SQL behind the program's back (a damaged snapshot, a record removed unlogged).
async fn raw(store: &Store, sql: &str, bind: Option<&str>) {
    match store {
        Store::Sqlite(pool) => {
            let q = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()));
            let q = match bind {
                Some(b) => q.bind(b.to_string()),
                None => q,
            };
            q.execute(pool).await.expect("sql");
        }
        Store::Postgres(pool) => {
            let q = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()));
            let q = match bind {
                Some(b) => q.bind(b.to_string()),
                None => q,
            };
            q.execute(pool).await.expect("sql");
        }
    }
}

async fn restarted_instances_read_the_snapshot(url: &str) {
    let store = Store::connect(url).await.expect("base");
    let ids = fill(&store, 11, 0).await;
    let first = instance(url).await;
    let said = first.write_cube_snapshot().await.expect("instantané");
    assert!(
        said.starts_with(&format!(
            "instantané de {} compte(s) rendu(s) écrit",
            ids.len()
        )),
        "{said}"
    );
    assert_eq!(
        first.write_cube_snapshot().await.expect("instantané"),
        "instantané à jour",
        "rien n'a changé : rien n'est réécrit"
    );
    // Changes after the snapshot, through the store (logged): a deletion, a new structure's year.
    assert!(store.delete_activity(&ids[0]).await.expect("effacé"));
    let more = fill(&store, 12, 3).await;

    // A new instance answers from the snapshot and the log what a load of every record answers.
    let restarted = instance(url).await;
    let full = restarted.load_cube().await.expect("tout relu");
    let cube = restarted.cube().await.expect("cube");
    assert_eq!(cube.cube.len(), ids.len() - 1 + more.len());
    let filters = [
        Filter::default(),
        Filter {
            from: Some(today() - chrono::Days::new(90)),
            ..Filter::default()
        },
        Filter {
            organisations: vec!["org-1".into(), "org-4".into()],
            ..Filter::default()
        },
    ];
    for f in &filters {
        assert_eq!(cube.cube.statistics(f), full.statistics(f), "{f:?}");
    }
    drop(cube);

    // It did read the snapshot: a record removed behind the program's back (nothing logged) is
    // still counted by the snapshot, not by a load of the records.
    restarted.write_cube_snapshot().await.expect("instantané");
    raw(
        &store,
        "DELETE FROM activities WHERE id = $1",
        Some(&ids[1]),
    )
    .await;
    let from_snapshot = instance(url).await;
    let n = from_snapshot.cube().await.expect("cube").cube.len();
    assert_eq!(n, ids.len() - 1 + more.len(), "lu de l'instantané");
    assert_eq!(from_snapshot.load_cube().await.expect("relu").len(), n - 1);

    // Damaged, or of another format: set aside, every record read.
    raw(
        &store,
        "UPDATE cube_snapshot SET bytes = substr(bytes, 1, 100) WHERE id = 1",
        None,
    )
    .await;
    let damaged = instance(url).await;
    assert_eq!(damaged.cube().await.expect("cube").cube.len(), n - 1);
    damaged.write_cube_snapshot().await.expect("réécrit");
    raw(
        &store,
        "UPDATE cube_snapshot SET format = 0 WHERE id = 1",
        None,
    )
    .await;
    let outdated = instance(url).await;
    assert_eq!(outdated.cube().await.expect("cube").cube.len(), n - 1);
}

#[tokio::test]
async fn on_sqlite() {
    let dir = tempfile::tempdir().expect("dossier");
    let url = format!("sqlite://{}", dir.path().join("stats.sqlite").display());
    restarted_instances_read_the_snapshot(&url).await;
}

#[tokio::test]
async fn on_postgresql() {
    let Ok(admin) = std::env::var("MAILLAGE_TEST_POSTGRES_URL") else {
        assert!(
            std::env::var("MAILLAGE_REQUIRE_POSTGRES").is_err(),
            "MAILLAGE_TEST_POSTGRES_URL manque"
        );
        eprintln!("PostgreSQL non testé : MAILLAGE_TEST_POSTGRES_URL absent");
        return;
    };
    let name = format!("maillage_cube_{}", uuid::Uuid::new_v4().simple());
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    let pool = sqlx::PgPool::connect(&admin).await.expect("PostgreSQL");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&pool)
        .await
        .expect("base");
    restarted_instances_read_the_snapshot(&format!("{base}/{name}")).await;
    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE {name} WITH (FORCE)"
    )))
    .execute(&pool)
    .await;
}
