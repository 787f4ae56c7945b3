//! The resource library: proposals and publication, search by words, theme and level, files
//! checked by their content, the initial content, and the dead-link checker against a local web
//! server (never the internet).

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use chrono::{Duration, Utc};
use maillage_app::resources::{Refused, ResourceFilter, Shelf};
use maillage_app::{App, Upload};
use maillage_domain::diagnostic::Level;
use maillage_domain::policy::{Actor, Membership, TerritoryUnit};
use maillage_domain::resources::{ResourceForm, ResourceStatus};
use maillage_domain::vocab::MediationTheme;
use maillage_referential::Referential;
use maillage_store::Store;

fn member() -> Actor {
    Actor {
        user_id: "membre".into(),
        memberships: vec![Membership {
            organisation_id: "org-1".into(),
            since: chrono::NaiveDate::from_ymd_opt(2025, 1, 1).expect("date"),
            until: None,
        }],
        ..Default::default()
    }
}

fn coordinator() -> Actor {
    Actor {
        user_id: "coord".into(),
        territory: vec![TerritoryUnit::Departement("54".into())],
        ..Default::default()
    }
}

async fn app() -> App {
    let store = Store::connect("sqlite::memory:").await.expect("base");
    for (id, name) in [("org-1", "Médiathèque"), ("org-2", "Centre social")] {
        store
            .create_organisation(&maillage_domain::organisation::Organisation {
                id: id.into(),
                name: name.into(),
                pivot: None,
                typologies: vec![],
                departement: Some("54".into()),
            })
            .await
            .expect("structure");
    }
    // The accounts behind the actors (proposals keep who made them).
    if let Store::Sqlite(pool) = &store {
        for id in ["membre", "coord"] {
            sqlx::query("INSERT INTO users (id, email, display_name, password_hash, is_admin, created_at) VALUES ($1, $2, $1, 'x', FALSE, '2026-01-01T00:00:00Z')")
                .bind(id)
                .bind(format!("{id}@test.fr"))
                .execute(pool)
                .await
                .expect("compte");
        }
    }
    App::for_writes(
        store,
        Referential::discover().expect("référentiel (scripts/setup.sh)"),
    )
    .expect("app")
}

fn form(title: &str, url: &str, theme: &str, levels: &[&str]) -> ResourceForm {
    ResourceForm {
        title: title.into(),
        summary: "Un déroulé testé avec un groupe de débutants.".into(),
        kind: "deroule".into(),
        url: url.into(),
        themes: vec![theme.into()],
        levels: levels.iter().map(|l| l.to_string()).collect(),
        audiences: vec!["aidants".into()],
        author: "Médiathèque de Toul".into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn members_propose_coordinators_publish_and_everyone_searches() {
    let app = app().await;
    let (id, status) = app
        .propose_resource(
            Some(&member()),
            &form(
                "Découvrir la tablette",
                "https://exemple.fr/tablette",
                "materiel",
                &["eloigne", "debutant"],
            ),
            None,
            None,
        )
        .await
        .map_err(|_| "refusée")
        .expect("proposée");
    assert_eq!(status, ResourceStatus::Proposed);
    // Not public yet: the queue shows it to its structure and to coordinators only.
    let published = ResourceFilter::default();
    assert!(
        app.find_resources(None, &published)
            .await
            .expect("liste")
            .is_empty()
    );
    assert!(app.resource(None, &id).await.is_err());
    let queue = ResourceFilter {
        shelf: Shelf::Proposed,
        ..Default::default()
    };
    assert_eq!(
        app.find_resources(Some(&member()), &queue)
            .await
            .expect("file")
            .len(),
        1
    );
    assert_eq!(
        app.find_resources(Some(&coordinator()), &queue)
            .await
            .expect("file")
            .len(),
        1
    );
    assert!(
        app.find_resources(None, &queue)
            .await
            .expect("file")
            .is_empty()
    );
    assert!(
        app.publish_resource(Some(&member()), &id).await.is_err(),
        "un membre ne publie pas"
    );
    app.publish_resource(Some(&coordinator()), &id)
        .await
        .expect("publiée");

    // A coordinator's proposal is published at once.
    let (other, status) = app
        .propose_resource(
            Some(&coordinator()),
            &form(
                "Repérer une arnaque",
                "https://exemple.fr/arnaques",
                "securite",
                &["intermediaire"],
            ),
            None,
            None,
        )
        .await
        .map_err(|_| "refusée")
        .expect("publiée");
    assert_eq!(status, ResourceStatus::Published);

    let titles = |found: Vec<maillage_store::StoredResource>| -> Vec<String> {
        found.into_iter().map(|s| s.resource.title).collect()
    };
    let by_text = ResourceFilter {
        text: Some("tablettes".into()),
        ..Default::default()
    };
    assert_eq!(
        titles(app.find_resources(None, &by_text).await.expect("mots")),
        ["Découvrir la tablette"]
    );
    let by_theme = ResourceFilter {
        themes: vec![MediationTheme::Safety],
        ..Default::default()
    };
    assert_eq!(
        titles(app.find_resources(None, &by_theme).await.expect("thème")),
        ["Repérer une arnaque"]
    );
    let by_level = ResourceFilter {
        level: Some(Level::Beginner),
        ..Default::default()
    };
    assert_eq!(
        titles(app.find_resources(None, &by_level).await.expect("niveau")),
        ["Découvrir la tablette"]
    );

    // Refused with a reason; edited by its structure, it goes back to the queue.
    app.refuse_resource(Some(&coordinator()), &other, "doublon")
        .await
        .expect("refus");
    let refused = app
        .resource(Some(&coordinator()), &other)
        .await
        .expect("lue");
    assert_eq!(refused.refusal_reason.as_deref(), Some("doublon"));
    assert!(
        app.refuse_resource(Some(&coordinator()), &id, " ")
            .await
            .is_err(),
        "raison exigée"
    );
    assert!(
        app.delete_resource(Some(&member()), &id).await.is_err(),
        "publiée : coordinateurs seulement"
    );
    app.delete_resource(Some(&coordinator()), &id)
        .await
        .expect("retirée");
    assert!(
        app.find_resources(None, &by_text)
            .await
            .expect("mots")
            .is_empty()
    );
}

#[tokio::test]
async fn files_are_checked_by_their_content() {
    let app = app().await;
    let pdf = Upload {
        name: "Fiche été.pdf".into(),
        content: b"%PDF-1.7\n1 0 obj\n".to_vec(),
    };
    let (id, _) = app
        .propose_resource(
            Some(&member()),
            &form("Fiche imprimable", "", "materiel", &[]),
            None,
            Some(&pdf),
        )
        .await
        .map_err(|_| "refusée")
        .expect("avec fichier");
    let (info, content) = app
        .resource_file(Some(&member()), &id)
        .await
        .expect("fichier");
    assert_eq!(
        (info.name.as_str(), info.mime.as_str()),
        ("Fiche-ete.pdf", "application/pdf")
    );
    assert_eq!(content, pdf.content);
    assert!(
        app.resource_file(None, &id).await.is_err(),
        "pas encore publiée"
    );

    let refused = |r: Result<(String, ResourceStatus), Refused>| match r {
        Err(Refused::Form(errors)) => errors,
        _ => panic!("refus attendu"),
    };
    let exe = Upload {
        name: "fiche.pdf".into(),
        content: b"MZ\x90\x00\x03\x00\x00\x00".to_vec(),
    };
    let errors = refused(
        app.propose_resource(
            Some(&member()),
            &form("", "", "materiel", &[]),
            None,
            Some(&exe),
        )
        .await,
    );
    assert!(
        errors
            .iter()
            .any(|(f, m)| *f == "fichier" && m.contains("non accepté")),
        "{errors:?}"
    );
    assert!(errors.iter().any(|(f, _)| *f == "titre"));
    let png_named_pdf = Upload {
        name: "photo.pdf".into(),
        content: b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec(),
    };
    let errors = refused(
        app.propose_resource(
            Some(&member()),
            &form("Photo", "", "materiel", &[]),
            None,
            Some(&png_named_pdf),
        )
        .await,
    );
    assert!(
        errors
            .iter()
            .any(|(f, m)| *f == "fichier" && m.contains("ne correspond pas")),
        "{errors:?}"
    );
    let big = Upload {
        name: "gros.pdf".into(),
        content: [b"%PDF-1.7\n".as_slice(), &vec![b' '; 10 * 1024 * 1024]].concat(),
    };
    let errors = refused(
        app.propose_resource(
            Some(&member()),
            &form("Gros", "", "materiel", &[]),
            None,
            Some(&big),
        )
        .await,
    );
    assert!(
        errors
            .iter()
            .any(|(f, m)| *f == "fichier" && m.contains("10 Mio")),
        "{errors:?}"
    );
    // Nothing was written by the refused proposals.
    let queue = ResourceFilter {
        shelf: Shelf::Proposed,
        ..Default::default()
    };
    assert_eq!(
        app.find_resources(Some(&coordinator()), &queue)
            .await
            .expect("file")
            .len(),
        1
    );
}

#[tokio::test]
async fn the_initial_content_comes_from_the_field_sheets_once() {
    let app = app().await;
    let n = app.seed_library().await.expect("contenu initial");
    assert!(n >= 45);
    assert_eq!(app.seed_library().await.expect("déjà chargé"), 0);
    let found = app
        .find_resources(
            None,
            &ResourceFilter {
                text: Some("mots de passe".into()),
                ..Default::default()
            },
        )
        .await
        .expect("recherche");
    assert_eq!(
        found.first().map(|s| s.resource.url.as_deref()),
        Some(Some(
            "https://lesbases.anct.gouv.fr/ressources/les-mots-de-passe"
        ))
    );
    let parenting_beginners = app
        .find_resources(
            None,
            &ResourceFilter {
                themes: vec![MediationTheme::Parenting],
                level: Some(Level::Beginner),
                ..Default::default()
            },
        )
        .await
        .expect("recherche");
    let titles: Vec<&str> = parenting_beginners
        .iter()
        .map(|s| s.resource.title.as_str())
        .collect();
    assert!(titles.iter().any(|t| t.contains("Faminum")), "{titles:?}");
    assert!(
        parenting_beginners
            .iter()
            .all(|s| s.resource.suits(Level::Beginner))
    );
}

#[tokio::test]
async fn dead_links_are_flagged_after_two_rounds_and_an_offline_server_flags_nothing() {
    // A local web site: one page answers, one is gone, one refuses HEAD but answers GET.
    let site = Router::new()
        .route("/ok", get(|| async { "bonjour" }))
        .route("/disparu", get(|| async { StatusCode::NOT_FOUND }))
        .route(
            "/sans-head",
            get(|| async { "bonjour" }).head(|| async { StatusCode::METHOD_NOT_ALLOWED }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("port");
    let base = format!("http://{}", listener.local_addr().expect("adresse"));
    tokio::spawn(async move { axum::serve(listener, site).await });

    // The local site is on loopback: only a test lets the checker ask it.
    let app = app().await.checking_private_links();
    for (title, path) in [
        ("Page vivante", "/ok"),
        ("Page disparue", "/disparu"),
        ("Sans HEAD", "/sans-head"),
    ] {
        app.propose_resource(
            Some(&coordinator()),
            &form(title, &format!("{base}{path}"), "internet", &[]),
            None,
            None,
        )
        .await
        .map_err(|_| "refusée")
        .expect("publiée");
    }
    let now = Utc::now();
    let first = app.check_links(now, 100).await.expect("vérification");
    assert_eq!((first.checked, first.answered, first.failed), (3, 2, 1));
    assert!(first.newly_dead.is_empty(), "une seule panne ne suffit pas");
    // Not due again the same day; a failing link is checked again the next day.
    assert_eq!(
        app.check_links(now + Duration::hours(1), 100)
            .await
            .expect("vérification")
            .checked,
        0
    );
    let second = app
        .check_links(now + Duration::days(1), 100)
        .await
        .expect("vérification");
    assert_eq!(second.checked, 1);
    assert_eq!(second.newly_dead, ["Page disparue"]);
    let dead = app
        .find_resources(
            Some(&coordinator()),
            &ResourceFilter {
                shelf: Shelf::DeadLinks,
                ..Default::default()
            },
        )
        .await
        .expect("liens morts");
    assert_eq!(dead.len(), 1);
    assert!(
        dead[0]
            .link
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("404"))
    );
    assert!(
        app.find_resources(
            Some(&member()),
            &ResourceFilter {
                shelf: Shelf::DeadLinks,
                ..Default::default()
            }
        )
        .await
        .is_err()
    );

    // A server without network: every link fails without answer; nothing is recorded.
    let offline = app_with_unreachable_links().await;
    let report = offline
        .check_links(Utc::now(), 100)
        .await
        .expect("vérification");
    assert!(report.offline);
    let again = offline
        .check_links(Utc::now() + Duration::days(2), 100)
        .await
        .expect("vérification");
    assert!(again.offline && again.newly_dead.is_empty());
    let all = offline
        .find_resources(None, &ResourceFilter::default())
        .await
        .expect("liste");
    assert!(all.iter().all(|s| s.link.checked_at.is_none()));
}

async fn app_with_unreachable_links() -> App {
    let app = app().await.checking_private_links();
    // Closed ports on loopback: the connection is refused at once.
    for port in [1, 2, 3] {
        app.propose_resource(
            Some(&coordinator()),
            &form(
                &format!("Lien {port}"),
                &format!("http://127.0.0.1:{port}/page"),
                "internet",
                &[],
            ),
            None,
            None,
        )
        .await
        .map_err(|_| "refusée")
        .expect("publiée");
    }
    app
}

/// Finding 15 of issue #8: a published link to the server itself or its network is never asked
/// — by address, by a name that resolves there, or through a redirection.
#[tokio::test]
async fn the_link_checker_never_asks_private_or_local_addresses() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let asked = Arc::new(AtomicUsize::new(0));
    let counter = asked.clone();
    let site = Router::new().fallback(move || {
        let counter = counter.clone();
        async move {
            counter.fetch_add(1, Ordering::SeqCst);
            "secret"
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("port");
    let port = listener.local_addr().expect("adresse").port();
    tokio::spawn(async move { axum::serve(listener, site).await });
    let app = app().await;
    let mut published = 0;
    for (title, url) in [
        ("Par adresse", format!("http://127.0.0.1:{port}/admin")),
        ("Par nom", format!("http://localhost:{port}/admin")),
        ("Par IPv6", format!("http://[::1]:{port}/admin")),
        (
            "Métadonnées",
            "http://169.254.169.254/latest/meta-data/".to_string(),
        ),
    ] {
        // A form may already refuse some of them; the others are published.
        if app
            .propose_resource(
                Some(&coordinator()),
                &form(title, &url, "internet", &[]),
                None,
                None,
            )
            .await
            .is_ok()
        {
            published += 1;
        }
    }
    assert!(published >= 2, "{published}");
    let report = app
        .check_links(Utc::now(), 100)
        .await
        .expect("vérification");
    assert_eq!(report.checked, published);
    assert_eq!(report.answered, 0);
    assert_eq!(
        asked.load(Ordering::SeqCst),
        0,
        "le serveur local n'est jamais interrogé"
    );
}
