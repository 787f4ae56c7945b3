//! What the operator relies on: backups and the periodic jobs.

use super::*;

/// Backup and restore (issue #8): a SQLite base copied while it serves holds every table as it
/// was; a file that is not a sound base of Maillage is refused before it replaces anything.
#[tokio::test]
async fn a_sqlite_backup_holds_every_table_and_a_bad_file_is_refused() {
    let dir = tempfile::tempdir().expect("dossier");
    let url = format!("sqlite://{}", dir.path().join("base.sqlite").display());
    let store = Store::connect(&url).await.expect("base");
    let org = store
        .create_organisation(&Organisation {
            id: String::new(),
            name: "Médiathèque".into(),
            pivot: None,
            typologies: vec![],
            departement: Some("69".into()),
        })
        .await
        .expect("structure");
    for i in 0..20 {
        store
            .create_place(
                place("", &format!("Lieu {i}"), "00000000000000", "2024-02-02"),
                Some(&org),
                None,
            )
            .await
            .expect("lieu");
    }
    store
        .create_user(&NewUser {
            email: "aidant@example.org".into(),
            display_name: "Camille".into(),
            password: "un mot de passe long".into(),
            administrator: false,
            territory: vec![],
            memberships: vec![],
        })
        .await
        .expect("compte");
    let backup = dir.path().join("sauvegarde.sqlite");
    // Writers go on while the copy is taken.
    let writer = {
        let store = store.clone();
        let org = org.clone();
        tokio::spawn(async move {
            for i in 0..20 {
                let _ = store
                    .create_place(
                        place("", &format!("Pendant {i}"), "00000000000000", "2024-02-02"),
                        Some(&org),
                        None,
                    )
                    .await;
            }
        })
    };
    store.backup_sqlite(&backup).await.expect("sauvegarde");
    writer.await.expect("écritures");
    assert!(Store::check_sqlite_backup(&backup).await.expect("vérifiée") > 10);
    let copy = Store::connect(&format!("sqlite://{}", backup.display()))
        .await
        .expect("copie");
    let copied = copy.digest().await.expect("empreinte");
    let places = copied
        .iter()
        .find(|t| t.table == "places")
        .expect("table des lieux");
    assert!((20..=40).contains(&places.rows), "{}", places.rows);
    assert!(copied.iter().any(|t| t.table == "users" && t.rows == 1));
    // Once the writers are done, a second backup equals the base table by table.
    let again = dir.path().join("sauvegarde-2.sqlite");
    store.backup_sqlite(&again).await.expect("sauvegarde");
    let second = Store::connect(&format!("sqlite://{}", again.display()))
        .await
        .expect("copie");
    assert_eq!(
        second.digest().await.expect("empreinte"),
        store.digest().await.expect("empreinte")
    );
    // Not a base of Maillage: refused.
    let junk = dir.path().join("pas-une-base.sqlite");
    std::fs::write(&junk, b"ceci n'est pas une base").expect("fichier");
    assert!(Store::check_sqlite_backup(&junk).await.is_err());
    let empty = dir.path().join("autre.sqlite");
    let other = sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=rwc", empty.display()))
        .await
        .expect("autre base");
    sqlx::query("CREATE TABLE x (y INTEGER)")
        .execute(&other)
        .await
        .expect("table");
    other.close().await;
    assert!(Store::check_sqlite_backup(&empty).await.is_err());
}

#[tokio::test]
async fn a_periodic_job_runs_once_per_period_whichever_instance_claims_it() {
    for store in backends().await {
        let other_instance = store.clone();
        let at = "2026-12-04T05:00:00Z";
        let period_start = "2026-12-04T04:05:00Z";
        assert!(
            store
                .claim_job("purge-sessions", at, period_start)
                .await
                .expect("réclamation")
        );
        // The other instance, in the same period: nothing to do.
        assert!(
            !other_instance
                .claim_job(
                    "purge-sessions",
                    "2026-12-04T05:00:03Z",
                    "2026-12-04T04:05:03Z"
                )
                .await
                .expect("seconde réclamation")
        );
        let runs = store.job_runs().await.expect("exécutions");
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].finished_at, None);
        store
            .finish_job(
                "purge-sessions",
                "2026-12-04T05:00:01Z",
                true,
                "3 session(s)",
            )
            .await
            .expect("fin");
        let runs = store.job_runs().await.expect("exécutions");
        assert_eq!(runs[0].ok, Some(true));
        assert_eq!(runs[0].summary.as_deref(), Some("3 session(s)"));
        // The next hour: claimed again, the last outcome cleared until it ends.
        assert!(
            other_instance
                .claim_job(
                    "purge-sessions",
                    "2026-12-04T06:00:00Z",
                    "2026-12-04T05:05:00Z"
                )
                .await
                .expect("heure suivante")
        );
        let runs = store.job_runs().await.expect("exécutions");
        assert_eq!(runs[0].claimed_at, "2026-12-04T06:00:00Z");
        assert_eq!(runs[0].ok, None);
    }
}
