//! The open data for harvesters (issue #21) through the real router: the national standard
//! and data·inclusion at stable addresses, with `ETag`/`Last-Modified`, `304` for a collector
//! whose copy is current, and new contents as soon as the directory changes.

use crate::common::get_with_headers as get;
use axum::http::{StatusCode, header};
use maillage_domain::policy::Actor;
use maillage_referential::Referential;
use maillage_store::Store;
use maillage_web::{App, Config, router};

fn operator() -> Actor {
    Actor {
        user_id: "test".into(),
        administrator: true,
        territory: Vec::new(),
        memberships: Vec::new(),
    }
}

fn example() -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/standard/exemple-valide.csv");
    std::fs::read(path).expect("exemple officiel (../shared)")
}

#[tokio::test]
async fn harvesters_get_both_schemas_and_304_until_the_directory_changes() {
    let store = Store::connect("sqlite::memory:").await.expect("base");
    let referential = Referential::discover().expect("référentiel (scripts/setup.sh)");
    let app = App::new(store, referential)
        .await
        .expect("app")
        .with_public_url("https://annuaire.exemple.fr");
    let imported = app
        .import_file(
            Some(&operator()),
            example(),
            "exemple.csv",
            Some("exemple"),
            false,
        )
        .await
        .expect("import");
    let places = imported.outcome.expect("importé").created;
    assert!(places > 0);
    let web = router(app.clone(), Config::default());

    let (status, headers, first) = get(&web, "/donnees/lieux.csv", &[]).await;
    assert_eq!(status, StatusCode::OK);
    let first = String::from_utf8_lossy(&first).to_string();
    assert!(first.contains("Anonymal"));
    let etag = headers[header::ETAG].to_str().expect("etag").to_string();
    let last_modified = headers[header::LAST_MODIFIED]
        .to_str()
        .expect("date")
        .to_string();
    assert!(etag.starts_with("W/\""), "{etag}");
    assert!(last_modified.ends_with(" GMT"), "{last_modified}");
    assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");

    // A collector whose copy is current gets 304 and no body, by tag or by date.
    let (status, headers, body) = get(
        &web,
        "/donnees/lieux.csv",
        &[(header::IF_NONE_MATCH, &etag)],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert!(body.is_empty());
    assert_eq!(headers[header::ETAG].to_str().ok(), Some(etag.as_str()));
    let (status, ..) = get(
        &web,
        "/donnees/lieux.csv",
        &[(header::IF_MODIFIED_SINCE, &last_modified)],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    // Another tag, or an older date: the file.
    let (status, ..) = get(
        &web,
        "/donnees/lieux.csv",
        &[(header::IF_NONE_MATCH, "\"autre\"")],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, ..) = get(
        &web,
        "/donnees/lieux.csv",
        &[(header::IF_MODIFIED_SINCE, "Mon, 01 Jan 2024 00:00:00 GMT")],
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    // data·inclusion: one structure per place, every service belongs to one of them.
    let (status, _, structures) = get(&web, "/donnees/data-inclusion/structures.json", &[]).await;
    assert_eq!(status, StatusCode::OK);
    let structures: Vec<serde_json::Value> = serde_json::from_slice(&structures).expect("json");
    assert_eq!(structures.len(), places);
    let (_, _, services) = get(&web, "/donnees/data-inclusion/services.json", &[]).await;
    let services: Vec<serde_json::Value> = serde_json::from_slice(&services).expect("json");
    assert!(!services.is_empty());
    for s in &services {
        assert!(structures.iter().any(|st| st["id"] == s["structure_id"]));
        assert!(
            s["lien_source"]
                .as_str()
                .is_some_and(|l| l.starts_with("https://annuaire.exemple.fr/lieux/"))
        );
    }
    let (_, _, json) = get(&web, "/donnees/lieux.json", &[]).await;
    assert_eq!(
        serde_json::from_slice::<Vec<serde_json::Value>>(&json)
            .expect("json")
            .len(),
        places
    );

    // The page says where everything is.
    let (status, _, page) = get(&web, "/donnees", &[]).await;
    assert_eq!(status, StatusCode::OK);
    let page = String::from_utf8_lossy(&page);
    assert!(page.contains("https://annuaire.exemple.fr/donnees/data-inclusion/services.json"));

    // A change to the directory: the old tag no longer matches, the new file has the change.
    let id = structures[0]["id"].as_str().expect("id").to_string();
    assert!(first.contains(&format!("\n{id},")));
    app.delete_place(Some(&operator()), &id)
        .await
        .expect("suppression");
    let (status, headers, body) = get(
        &web,
        "/donnees/lieux.csv",
        &[(header::IF_NONE_MATCH, &etag)],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(headers[header::ETAG].to_str().ok(), Some(etag.as_str()));
    assert!(!String::from_utf8_lossy(&body).contains(&format!("\n{id},")));
}

#[tokio::test]
async fn supervisors_ask_liveness_and_readiness() {
    let store = Store::connect("sqlite::memory:").await.expect("base");
    let referential = Referential::discover().expect("référentiel");
    let app = App::new(store, referential).await.expect("app");
    app.import_file(Some(&operator()), example(), "exemple.csv", None, false)
        .await
        .expect("import");
    let web = router(app, Config::default());
    let (status, _, body) = get(&web, "/sante", &[]).await;
    assert_eq!(
        (status, body.as_slice()),
        (StatusCode::OK, b"ok\n".as_slice())
    );
    let (status, headers, body) = get(&web, "/pret", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    let ready: serde_json::Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(ready["pret"], true);
    assert_eq!(ready["base"], "ok");
    assert_eq!(ready["moteur"], "SQLite");
    assert!(ready["lieux_indexes"].as_u64().is_some_and(|n| n > 0));
    assert_eq!(
        ready["lieux_indexes"].as_i64(),
        ready["lieux_en_base"].as_i64()
    );
}

#[tokio::test]
async fn prometheus_reads_counts_and_durations_with_its_token_only() {
    let store = Store::connect("sqlite::memory:").await.expect("base");
    let referential = Referential::discover().expect("référentiel");
    let settings =
        maillage_app::settings::Settings::parse("[metriques]\njeton = \"jeton-de-supervision\"\n");
    let app = App::new(store, referential)
        .await
        .expect("app")
        .with_settings(settings);
    app.import_file(Some(&operator()), example(), "exemple.csv", None, false)
        .await
        .expect("import");
    let web = router(app, Config::default());
    let (status, _, _) = get(&web, "/?q=Anonymal", &[]).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = get(&web, "/lieux/inconnu", &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Without the token, or with another: refused.
    let (status, ..) = get(&web, "/metrics", &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, ..) = get(&web, "/metrics", &[(header::AUTHORIZATION, "Bearer autre")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, headers, body) = get(
        &web,
        "/metrics",
        &[(header::AUTHORIZATION, "Bearer jeton-de-supervision")],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .is_ok_and(|t| t.starts_with("text/plain"))
    );
    let text = String::from_utf8(body).expect("texte");
    for expected in [
        "maillage_http_requetes_total{route=\"/\",methode=\"GET\",statut=\"2xx\"} 1",
        "maillage_http_requetes_total{route=\"/lieux/{id}\",methode=\"GET\",statut=\"4xx\"} 1",
        "maillage_http_duree_secondes_count{route=\"/\"} 1",
        "maillage_recherches_total 1",
        "maillage_import_lignes_total{issue=\"cree\"} 1",
        "maillage_lieux_indexes 1",
    ] {
        assert!(text.contains(expected), "{expected} absent :\n{text}");
    }
    // Routes by their pattern: never an id nor a searched text.
    assert!(
        !text.contains("inconnu") && !text.contains("Anonymal"),
        "{text}"
    );
}

#[tokio::test]
async fn a_collector_that_accepts_gzip_gets_the_file_compressed_once() {
    use std::io::Read;
    let store = Store::connect("sqlite::memory:").await.expect("base");
    let app = App::new(store, Referential::discover().expect("référentiel"))
        .await
        .expect("app");
    app.import_file(Some(&operator()), example(), "exemple.csv", None, false)
        .await
        .expect("import");
    let web = router(app, Config::default());
    let (_, plain_headers, plain) = get(&web, "/donnees/lieux.json", &[]).await;
    assert!(plain_headers.get(header::CONTENT_ENCODING).is_none());
    let (status, headers, compressed) = get(
        &web,
        "/donnees/lieux.json",
        &[(header::ACCEPT_ENCODING, "gzip, deflate, br")],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_ENCODING], "gzip");
    assert_eq!(headers[header::VARY], "Accept-Encoding");
    assert_eq!(headers[header::ETAG], plain_headers[header::ETAG]);
    let mut inflated = Vec::new();
    flate2::read::GzDecoder::new(compressed.as_slice())
        .read_to_end(&mut inflated)
        .expect("gzip lisible");
    assert_eq!(inflated, plain);
    let (_, refused, _) = get(
        &web,
        "/donnees/lieux.json",
        &[(header::ACCEPT_ENCODING, "gzip;q=0")],
    )
    .await;
    assert!(refused.get(header::CONTENT_ENCODING).is_none());
}
