//! Upgrades (issue #21): a base left at an earlier schema, with data, is brought to the current
//! one at start-up and keeps its data; a base migrated by a newer program is refused with the
//! reason; `migration_status` says what the next start would apply — on both backends.

use maillage_store::{ImportRecord, Store, StoreError};

/// Empty, unmigrated bases: a SQLite file, and a PostgreSQL database when the test has one.
async fn fresh_urls(dir: &std::path::Path) -> Vec<String> {
    let mut urls = vec![format!(
        "sqlite://{}",
        dir.join("ancienne.sqlite").display()
    )];
    if let Ok(admin_url) = std::env::var("MAILLAGE_TEST_POSTGRES_URL") {
        let name = format!("maillage_test_{}", uuid::Uuid::new_v4().simple());
        let admin = sqlx::PgPool::connect(&admin_url).await.expect("PostgreSQL");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&admin)
            .await
            .expect("base de test");
        let base = admin_url
            .rsplit_once('/')
            .map(|(b, _)| b)
            .unwrap_or(&admin_url);
        urls.push(format!("{base}/{name}"));
    }
    urls
}

/// Applies this program's migrations up to `version` only.
async fn migrate_to(store: &Store, version: i64) {
    match store {
        Store::Sqlite(pool) => {
            sqlx::migrate!("./migrations/sqlite")
                .run_to(version, pool)
                .await
        }
        Store::Postgres(pool) => {
            sqlx::migrate!("./migrations/postgres")
                .run_to(version, pool)
                .await
        }
    }
    .expect("migrations jusqu'à la version donnée");
}

#[tokio::test]
async fn a_base_at_an_earlier_schema_is_upgraded_at_start_and_keeps_its_places() {
    let dir = tempfile::tempdir().expect("dossier");
    for url in fresh_urls(dir.path()).await {
        let fresh = Store::open(&url, true).await.expect("ouverture");
        let status = fresh.migration_status().await.expect("état");
        assert!(status.applied.is_empty());
        let all: Vec<i64> = status.pending.iter().map(|m| m.version).collect();
        assert!(all.len() > 20, "{all:?}");
        // The schema just before the last migration (the previous release of the schema).
        let previous = all[all.len() - 2];
        migrate_to(&fresh, previous).await;
        let records = vec![ImportRecord {
            source_id: "ancien-1".into(),
            place: super::place(
                "ancien-1",
                "Médiathèque d'avant",
                "00000000000000",
                "2024-03-01",
            ),
        }];
        fresh
            .import_places("avant", "avant.csv", &records, 0, "", None)
            .await
            .expect("lieu écrit au schéma précédent");
        let status = fresh.migration_status().await.expect("état");
        assert_eq!(
            status.pending.len(),
            1,
            "{}",
            url.split(':').next().unwrap_or_default()
        );
        assert_eq!(status.pending[0].version, *all.last().expect("dernière"));
        assert!(
            !status.pending[0].changes.is_empty(),
            "{:?}",
            status.pending[0]
        );
        fresh.close().await;

        // Start-up: the last migration applied, the place still there.
        let upgraded = Store::connect(&url)
            .await
            .expect("mise à jour au démarrage");
        let status = upgraded.migration_status().await.expect("état");
        assert!(status.pending.is_empty() && status.unknown.is_empty());
        assert_eq!(status.applied.len(), all.len());
        assert_eq!(upgraded.count_places().await.expect("compte"), 1);
        let place = upgraded
            .place("ancien-1")
            .await
            .expect("lecture")
            .expect("présent");
        assert_eq!(place.place.name, "Médiathèque d'avant");

        // A newer program's migration in the base: refused, saying why, and nothing changed.
        match &upgraded {
            Store::Sqlite(pool) => sqlx::query("INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (99991231000000, 'future', TRUE, x'00', 0)").execute(pool).await.map(|_| ()),
            Store::Postgres(pool) => sqlx::query("INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (99991231000000, 'future', TRUE, '\\x00', 0)").execute(pool).await.map(|_| ()),
        }
        .expect("migration future simulée");
        upgraded.close().await;
        match Store::connect(&url).await {
            Err(e @ StoreError::NewerDatabase { .. }) => {
                let text = e.to_string();
                assert!(text.contains("version plus récente de Maillage"), "{text}");
                assert!(text.contains("99991231000000"), "{text}");
            }
            Err(other) => panic!("autre erreur : {other}"),
            Ok(_) => panic!("base plus récente acceptée"),
        }
    }
}
