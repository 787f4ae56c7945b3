//! Several instances over one database (issue #22): what one instance writes, the other finds
//! through the change feed — a new place, a renamed one, a merge, a deletion — without any call
//! between them; the periodic jobs run once whichever instances run the round. On SQLite and,
//! when `MAILLAGE_TEST_POSTGRES_URL` is set, on PostgreSQL (woken by its notifications), where
//! the instances also share the limits (login back-off, e-mail) and the long work of pages.

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use maillage_domain::Place;
use maillage_domain::geo::GeoPoint;
use maillage_domain::policy::Actor;
use maillage_referential::Referential;
use maillage_search::SearchQuery;
use maillage_store::Store;
use maillage_web::App;

fn operator() -> Actor {
    Actor {
        user_id: "exploitant".into(),
        administrator: true,
        territory: Vec::new(),
        memberships: Vec::new(),
    }
}

fn place(name: &str, insee: &str, postcode: &str, commune: &str, at: (f64, f64)) -> Place {
    let mut p = Place::new(
        "",
        name,
        "1 place de la République",
        postcode,
        commune,
        NaiveDate::from_ymd_opt(2026, 11, 2).unwrap_or_default(),
    );
    p.insee_code = Some(insee.into());
    p.location = Some(GeoPoint::new(at.0, at.1));
    p
}

/// The ids of the places the instance finds for these words.
async fn found(app: &App, words: &str) -> Vec<String> {
    app.search(&SearchQuery {
        text: Some(words.into()),
        limit: 50,
        ..SearchQuery::default()
    })
    .await
    .expect("recherche")
    .hits
    .into_iter()
    .map(|h| h.id)
    .collect()
}

/// How the instance shows the places it finds for these words on a page of results: the
/// number of records each shown place stands for (duplicates shown once).
async fn shown(app: &App, words: &str) -> Vec<usize> {
    let found = app
        .search_listed(&SearchQuery {
            text: Some(words.into()),
            limit: 20,
            ..SearchQuery::default()
        })
        .await
        .expect("recherche");
    app.shown_once(found.places, |(_, place)| place.candidate())
        .await
        .expect("regroupement")
        .iter()
        .map(|(_, same)| 1 + same.len())
        .collect()
}

/// Waits until `check` holds on the reading instance (its background reader running), at most
/// ten seconds; returns how long it took, for the log.
async fn until<F, Fut>(what: &str, check: F) -> Duration
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(10) {
        if check().await {
            return started.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{what} : pas vu par l'autre instance en dix secondes");
}

async fn two_instances_see_each_other(url: &str, backend: &str) {
    let referential = Referential::discover().expect("référentiel (scripts/setup.sh)");
    let writer = App::new(Store::connect(url).await.expect("base"), referential)
        .await
        .expect("instance A");
    let referential = Referential::discover().expect("référentiel");
    let reader = App::new(Store::connect(url).await.expect("base"), referential)
        .await
        .expect("instance B");
    let follower = tokio::spawn(reader.clone().follow_changes());
    let me = operator();

    // A new place written on A is found on B.
    let nancy = writer
        .create_place(
            Some(&me),
            place(
                "Médiathèque des Trois Maisons",
                "54395",
                "54000",
                "Nancy",
                (48.70, 6.17),
            ),
            None,
        )
        .await
        .expect("création");
    let toul = writer
        .create_place(
            Some(&me),
            place(
                "Médiathèque de Toul",
                "54528",
                "54200",
                "Toul",
                (48.68, 5.89),
            ),
            None,
        )
        .await
        .expect("création");
    let seen = until("lieu créé", || async {
        found(&reader, "trois maisons").await == [nancy.clone()]
    })
    .await;
    eprintln!("{backend} : lieu créé sur A trouvé sur B après {seen:?}");

    // Renamed on A: B finds the new name, no longer the old one.
    let mut renamed = writer.place(&nancy).await.expect("lieu").place;
    renamed.name = "Espace numérique du Haut-du-Lièvre".into();
    writer
        .update_place(Some(&me), renamed, None)
        .await
        .expect("modification");
    until("lieu renommé", || async {
        found(&reader, "haut du lievre").await == [nancy.clone()]
            && found(&reader, "trois maisons").await.is_empty()
    })
    .await;

    // One place listed twice is shown once on both; marked as two different places on A, it
    // is shown twice on A at once and on B through the feed (B kept the decisions in memory).
    let mut twice = Vec::new();
    for _ in 0..2 {
        let p = place(
            "Maison France Services de Lunéville",
            "54329",
            "54300",
            "Lunéville",
            (48.59, 6.50),
        );
        twice.push(
            writer
                .create_place(Some(&me), p, None)
                .await
                .expect("création"),
        );
    }
    until("lieu publié deux fois", || async {
        shown(&reader, "luneville").await == [2]
    })
    .await;
    assert_eq!(shown(&writer, "luneville").await, [2]);
    writer
        .mark_not_duplicate(Some(&me), &twice[0], &twice[1])
        .await
        .expect("décision");
    assert_eq!(shown(&writer, "luneville").await, [1, 1]);
    let seen = until("lieux différents", || async {
        shown(&reader, "luneville").await == [1, 1]
    })
    .await;
    eprintln!("{backend} : décision « lieux différents » prise sur A suivie sur B après {seen:?}");
    for id in &twice {
        writer
            .delete_place(Some(&me), id)
            .await
            .expect("suppression");
    }

    // Merged on A: the absorbed place disappears from both.
    writer
        .merge_duplicates(Some(&me), &[nancy.clone(), toul.clone()], &nancy)
        .await
        .expect("fusion");
    assert!(!writer.index().contains(&toul));
    until("fusion", || async {
        !reader.index().contains(&toul) && found(&reader, "toul").await.is_empty()
    })
    .await;

    // Deleted on A: gone from B.
    writer
        .delete_place(Some(&me), &nancy)
        .await
        .expect("suppression");
    until("suppression", || async { reader.index().is_empty() }).await;

    // Both instances run the hourly round at the same moment: each job runs once.
    let now = chrono::Utc::now();
    tokio::join!(writer.run_hourly(now, false), reader.run_hourly(now, false));
    let runs = |app: &App| -> u64 {
        app.metrics_text()
            .lines()
            .filter(|l| l.starts_with("maillage_taches_total{"))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
            .sum()
    };
    let jobs = maillage_app::schedule::Job::ALL.len() as u64 - 1; // the link checker is off
    assert_eq!(
        runs(&writer) + runs(&reader),
        jobs,
        "{backend} : chaque tâche une fois"
    );
    follower.abort();
    if backend == "PostgreSQL" {
        limits_and_work_are_shared(&writer, &reader).await;
    } else {
        // One SQLite base serves one instance: its counters stay its own.
        for i in 0..12 {
            writer
                .limits
                .login
                .failed("ip:203.0.113.9", &format!("compte{i}@exemple.fr"))
                .await;
        }
        assert_eq!(
            reader
                .limits
                .login
                .wait("ip:203.0.113.9", "autre@exemple.fr")
                .await,
            Duration::ZERO
        );
    }
}

/// A client slowed down or limited on one instance is on the other; work started on one is
/// followed, interrupted and downloaded from the other.
async fn limits_and_work_are_shared(a: &App, b: &App) {
    let client = "ip:203.0.113.9";
    for i in 0..12 {
        a.limits
            .login
            .failed(client, &format!("compte{i}@exemple.fr"))
            .await;
    }
    let wait = b.limits.login.wait(client, "autre@exemple.fr").await;
    assert!(wait > Duration::ZERO, "le ralentissement vaut sur B");
    assert_eq!(
        b.limits
            .login
            .wait("ip:198.51.100.1", "autre@exemple.fr")
            .await,
        Duration::ZERO,
        "un autre appareil n'est pas ralenti"
    );
    for _ in 0..5 {
        assert!(a.limits.mail_allowed(client, "Personne@Exemple.fr").await);
    }
    assert!(
        !b.limits
            .mail_allowed("ip:198.51.100.1", "personne@exemple.fr")
            .await,
        "cinq courriels par destinataire et par heure, toutes instances comprises"
    );

    let (done, finish) = tokio::sync::oneshot::channel::<()>();
    let id = a
        .jobs
        .start(
            "Livret : Toul".into(),
            None,
            maillage_app::jobs::Slot::Anonymous(client.into()),
            Some("livret|toul".into()),
            |job| async move {
                maillage_domain::progress::Progress::stage(job.as_ref(), "Pages", Some(10));
                maillage_domain::progress::Progress::advance(job.as_ref(), 3);
                let _ = finish.await;
                maillage_app::jobs::Outcome::File {
                    name: "livret-toul.pdf".into(),
                    content_type: "application/pdf".into(),
                    bytes: std::sync::Arc::new(b"%PDF-1.7 livret".to_vec()),
                    summary: "3 lieux".into(),
                }
            },
        )
        .await
        .expect("travail lancé sur A");
    let seen = until("l'avancement d'un travail", || async {
        b.jobs
            .follow(&id, None, Duration::ZERO)
            .await
            .ok()
            .flatten()
            .is_some_and(|v| v.snapshot.done == 3)
    })
    .await;
    eprintln!("PostgreSQL : avancement d'un travail de A vu de B après {seen:?}");
    let again = b
        .jobs
        .start(
            "Livret : Toul".into(),
            None,
            maillage_app::jobs::Slot::Anonymous("ip:198.51.100.1".into()),
            Some("livret|toul".into()),
            |_| async { maillage_app::jobs::Outcome::Interrupted },
        )
        .await
        .expect("la même demande");
    assert_eq!(again, id, "la même demande sur B rejoint le travail de A");
    let _ = done.send(());
    let end = b
        .jobs
        .follow(&id, None, Duration::from_secs(10))
        .await
        .expect("suivi")
        .expect("vu de B");
    assert!(
        matches!(&end.snapshot.outcome, Some(maillage_app::jobs::Outcome::File { bytes, .. }) if bytes.starts_with(b"%PDF")),
        "{:?}",
        end.snapshot.outcome
    );
}

#[tokio::test]
async fn two_instances_on_one_sqlite_base() {
    let dir = tempfile::tempdir().expect("dossier");
    let url = format!("sqlite://{}", dir.path().join("partagee.sqlite").display());
    two_instances_see_each_other(&url, "SQLite").await;
}

#[tokio::test]
async fn two_instances_on_one_postgresql_base() {
    let Ok(admin) = std::env::var("MAILLAGE_TEST_POSTGRES_URL") else {
        assert!(
            std::env::var("MAILLAGE_REQUIRE_POSTGRES").is_err(),
            "MAILLAGE_TEST_POSTGRES_URL manque"
        );
        eprintln!("PostgreSQL non testé : MAILLAGE_TEST_POSTGRES_URL absent");
        return;
    };
    let name = format!("maillage_instances_{}", uuid::Uuid::new_v4().simple());
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    let pool = sqlx::PgPool::connect(&admin).await.expect("PostgreSQL");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&pool)
        .await
        .expect("base");
    two_instances_see_each_other(&format!("{base}/{name}"), "PostgreSQL").await;
    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE {name} WITH (FORCE)"
    )))
    .execute(&pool)
    .await;
}
