//! Sources pulled on schedule (issue #21), against a local web server that serves successive
//! versions of a real file (the PACA hub's places): the first version imported, the same file
//! not fetched again (304), the second version's changes reported — new places, changed
//! fields, places the file no longer has — and a source hidden from other coordinators.

use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use maillage_domain::policy::TerritoryUnit;
use maillage_referential::Referential;
use maillage_store::{NewUser, Store};
use maillage_web::App;

/// The file served, and how many times it was sent whole.
#[derive(Clone, Default)]
struct Served {
    body: Arc<Mutex<(Vec<u8>, String)>>,
    sent: Arc<Mutex<usize>>,
}

async fn serve_file(
    axum::extract::State(s): axum::extract::State<Served>,
    headers: HeaderMap,
) -> Response {
    let (body, etag) = s.body.lock().map(|g| g.clone()).unwrap_or_default();
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(etag.as_str())
    {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    if let Ok(mut n) = s.sent.lock() {
        *n += 1;
    }
    ([(header::ETAG, etag)], body).into_response()
}

fn paca() -> Vec<serde_json::Value> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/dedup-paca/paca-646-after-dedup-v0.1.json");
    serde_json::from_slice(&std::fs::read(path).expect("fichier PACA (../shared)")).expect("json")
}

#[tokio::test]
async fn a_source_is_pulled_on_schedule_and_its_new_version_reported() {
    let all = paca();
    // Version 1: the first 100 places. Version 2: the third to the 110th, the third renamed.
    let v1: Vec<_> = all[..100].to_vec();
    let mut v2: Vec<_> = all[2..110].to_vec();
    v2[0]["nom"] = serde_json::json!("Espace numérique renommé");
    v2[0]["date_maj"] = serde_json::json!("2026-11-30");
    // Another place of the Bouches-du-Rhône renamed without a newer date: not taken, said so.
    let other = (1..98)
        .find(|&i| {
            v2[i]["code_postal"]
                .as_str()
                .is_some_and(|c| c.starts_with("13"))
        })
        .expect("un autre lieu des Bouches-du-Rhône");
    v2[other]["nom"] = serde_json::json!("Nom changé sans date");
    let served = Served::default();
    *served.body.lock().expect("verrou") =
        (serde_json::to_vec(&v1).expect("json"), "\"v1\"".into());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("port");
    let port = listener.local_addr().expect("adresse").port();
    let server = axum::Router::new()
        .route("/hub/lieux.json", axum::routing::get(serve_file))
        .with_state(served.clone());
    tokio::spawn(async move { axum::serve(listener, server).await });

    let store = Store::connect("sqlite::memory:").await.expect("base");
    let mut ids = Vec::new();
    // The first coordinator has PACA but Vaucluse (84), the second Vaucluse only.
    for (email, territory) in [
        ("coord13@test.fr", vec!["04", "05", "06", "13", "83"]),
        ("coord84@test.fr", vec!["84"]),
    ] {
        ids.push(
            store
                .create_user(&NewUser {
                    email: email.into(),
                    display_name: email.into(),
                    password: "un mot de passe de test".into(),
                    administrator: false,
                    territory: territory
                        .into_iter()
                        .map(|d| TerritoryUnit::Departement(d.into()))
                        .collect(),
                    memberships: vec![],
                })
                .await
                .expect("compte"),
        );
    }
    let coord13 = store.actor(&ids[0]).await.expect("lu").expect("acteur");
    let coord84 = store.actor(&ids[1]).await.expect("lu").expect("acteur");
    let referential = Referential::discover().expect("référentiel");
    let app = App::new(store, referential)
        .await
        .expect("app")
        .checking_private_links();

    // A bad form names its fields.
    let bad = maillage_app::sources::SourceForm {
        nom: "x".into(),
        adresse: "ftp://exemple.fr/lieux.csv".into(),
        format: "tableur".into(),
        frequence: "2".into(),
        lignes_valides: String::new(),
    };
    let err = app
        .register_source(Some(&coord13), &bad)
        .await
        .expect_err("refusé")
        .to_string();
    for field in ["nom :", "adresse :", "format :", "fréquence :"] {
        assert!(err.contains(field), "{err}");
    }

    let id = app
        .register_source(
            Some(&coord13),
            &maillage_app::sources::SourceForm {
                nom: "Hub PACA".into(),
                adresse: format!("http://127.0.0.1:{port}/hub/lieux.json"),
                format: "standard".into(),
                frequence: "24".into(),
                lignes_valides: "oui".into(),
            },
        )
        .await
        .expect("source inscrite");
    // Another coordinator does not see it.
    assert!(app.source_view(Some(&coord84), &id).await.is_err());
    assert!(app.sources(Some(&coord84)).await.expect("liste").is_empty());

    let t0: DateTime<Utc> = Utc::now() + chrono::Duration::minutes(1);
    let at = |hours: i64| t0 + chrono::Duration::hours(hours);
    assert_eq!(app.run_due_sources(t0).await.expect("moisson"), 1);
    let first = app
        .source_view(Some(&coord13), &id)
        .await
        .expect("vue")
        .runs[0]
        .clone();
    assert_eq!(first.outcome, "importe", "{first:?}");
    assert!(first.created > 50, "{first:?}");
    assert!(
        first
            .changes
            .lines()
            .all(|l| l.starts_with("Nouveau : ") || l.starts_with("…"))
    );
    // Places outside the coordinator's territory (Vaucluse) are refused by the same rule as an
    // import through the pages.
    assert!(
        first.refused > 0 && first.report.contains("hors de votre territoire"),
        "{first:?}"
    );
    // Not due within the day.
    assert_eq!(app.run_due_sources(at(1)).await.expect("moisson"), 0);
    // Due the next day: the file has not changed, the server says so.
    assert_eq!(app.run_due_sources(at(24)).await.expect("moisson"), 1);
    let same = app
        .source_view(Some(&coord13), &id)
        .await
        .expect("vue")
        .runs[0]
        .clone();
    assert_eq!(same.outcome, "inchange", "{same:?}");
    assert_eq!(*served.sent.lock().expect("verrou"), 1);

    // The second version.
    *served.body.lock().expect("verrou") =
        (serde_json::to_vec(&v2).expect("json"), "\"v2\"".into());
    assert_eq!(app.run_due_sources(at(48)).await.expect("moisson"), 1);
    let second = app.source_view(Some(&coord13), &id).await.expect("vue");
    assert_eq!(second.runs.len(), 3);
    let run = &second.runs[0];
    assert_eq!(run.outcome, "importe", "{run:?}");
    assert!(
        run.changes.contains("Modifié : Espace numérique renommé"),
        "{}",
        run.changes
    );
    assert!(run.changes.contains("— nom, date_maj"), "{}", run.changes);
    assert!(run.changes.contains("Non repris : "), "{}", run.changes);
    assert!(
        run.changes.lines().any(|l| l.starts_with("Nouveau : ")),
        "{}",
        run.changes
    );
    assert!(
        run.changes
            .lines()
            .any(|l| l.starts_with("Absent du fichier : ")),
        "{}",
        run.changes
    );
    assert!(run.updated >= 1 && run.created >= 1, "{run:?}");
    // The places carry the source's name as provenance, and are found.
    let found = app
        .search(&maillage_search::SearchQuery {
            text: Some("Espace numérique renommé".into()),
            ..Default::default()
        })
        .await
        .expect("recherche");
    assert!(found.total >= 1);
}
