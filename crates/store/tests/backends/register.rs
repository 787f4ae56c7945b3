//! The register of processing (issue #19) against the real schema: every table of the
//! migrations is declared — in a processing, or as holding nothing personal — on both
//! databases, and every declared table exists.

use maillage_domain::register::{declared_tables, is_declared};

use super::*;

#[tokio::test]
async fn every_table_is_declared_in_the_register() {
    for store in backends().await {
        let tables: Vec<String> = match &store {
            Store::Sqlite(pool) => sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
            )
            .fetch_all(pool)
            .await
            .expect("tables"),
            Store::Postgres(pool) => sqlx::query_scalar(
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1",
            )
            .fetch_all(pool)
            .await
            .expect("tables"),
        };
        let undeclared: Vec<&String> = tables.iter().filter(|t| !is_declared(t)).collect();
        assert!(
            undeclared.is_empty(),
            "{} : tables absentes du registre des traitements (maillage_domain::register) : {undeclared:?}",
            store.backend()
        );
        for t in declared_tables() {
            assert!(
                tables.iter().any(|x| x == t),
                "{} : la table déclarée {t} n'existe pas",
                store.backend()
            );
        }
    }
}

#[tokio::test]
async fn the_access_log_is_kept_then_forgotten() {
    for store in backends().await {
        let org = store
            .create_organisation(&Organisation {
                id: String::new(),
                name: "Centre social".into(),
                pivot: None,
                typologies: vec![],
                departement: None,
            })
            .await
            .expect("structure");
        let user = store
            .create_user(&NewUser {
                email: "referente@example.org".into(),
                display_name: "Régine".into(),
                password: "un mot de passe long".into(),
                administrator: false,
                territory: vec![],
                memberships: vec![],
            })
            .await
            .expect("compte");
        store
            .log_access(&org, &user, "personne", "p1")
            .await
            .expect("noté");
        store
            .log_access(&org, &user, "mandat", "m1")
            .await
            .expect("noté");
        let lines = store.access_log_of(&org).await.expect("journal");
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].user_name.as_deref(), Some("Régine"));
        assert_eq!(store.data_referent(&org).await.expect("lu"), None);
        store
            .set_data_referent(&org, &user, "coordination")
            .await
            .expect("nommée");
        store
            .set_data_referent(&org, &user, "coordination")
            .await
            .expect("renommée");
        assert_eq!(
            store.data_referent(&org).await.expect("lu"),
            Some(user.clone())
        );
        assert_eq!(
            store
                .purge_access_log("2000-01-01T00:00:00Z")
                .await
                .expect("purge"),
            0
        );
        assert_eq!(
            store
                .purge_access_log("2999-01-01T00:00:00Z")
                .await
                .expect("purge"),
            2
        );
        assert!(store.access_log_of(&org).await.expect("journal").is_empty());
    }
}
