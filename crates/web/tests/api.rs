//! The JSON API through the real router (SQLite in memory, real referential): reading is open,
//! writing needs a session and follows the policy; bad input gets French reasons naming fields.

use crate::common::get_with_headers as raw_get;
use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode, header};
use maillage_domain::policy::TerritoryUnit;
use maillage_referential::Referential;
use maillage_store::{NewUser, Store};
use maillage_web::{App, Config, router};
use serde_json::{Value, json};
use tower::ServiceExt;

const PASSWORD: &str = "un mot de passe de test";

async fn app() -> Router {
    app_and_services().await.0
}

async fn app_and_services() -> (Router, App) {
    let store = Store::connect("sqlite::memory:").await.expect("base");
    for (email, territory) in [
        (
            "coord@test.fr",
            vec![TerritoryUnit::Departement("54".into())],
        ),
        ("aidant@test.fr", vec![]),
    ] {
        store
            .create_user(&NewUser {
                email: email.into(),
                display_name: email.into(),
                password: PASSWORD.into(),
                administrator: false,
                territory,
                memberships: vec![],
            })
            .await
            .expect("compte");
    }
    let referential = Referential::discover().expect("référentiel (scripts/setup.sh)");
    let services = App::new(store, referential).await.expect("app");
    (router(services.clone(), Config::default()), services)
}

/// How many answers were served from the cache of answers, read from the instance's figures.
fn answers_kept(services: &App) -> u64 {
    services
        .metrics_text()
        .lines()
        .find_map(|l| l.strip_prefix("maillage_reponses_gardees_total "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn anonymous_answers_are_kept_never_across_a_change_never_for_someone_signed_in() {
    let (app, services) = app_and_services().await;
    let coord = sign_in(&app, "coord@test.fr").await;
    let create = async |name: &str| {
        let (status, _, _) = call(
            &app,
            "POST",
            "/api/v1/lieux",
            Some(&coord),
            Some(nancy(name)),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{name}");
    };
    create("Point numérique").await;
    let gzip = [(header::ACCEPT_ENCODING, "gzip")];
    let before = answers_kept(&services);

    // The same anonymous search twice: the second answer is the first, as compressed, with
    // the same headers (and the security headers added to every answer).
    for uri in ["/?q=point+numerique", "/api/v1/lieux?q=point+numerique"] {
        let first = raw_get(&app, uri, &gzip).await;
        let again = raw_get(&app, uri, &gzip).await;
        assert_eq!(first.0, StatusCode::OK, "{uri}");
        assert_eq!(
            first.1.get(header::CONTENT_ENCODING).map(|v| v.as_bytes()),
            Some(&b"gzip"[..]),
            "{uri}"
        );
        assert_eq!(first.2, again.2, "{uri}");
        for name in [
            header::CONTENT_TYPE,
            header::CONTENT_ENCODING,
            header::CONTENT_SECURITY_POLICY,
            header::X_FRAME_OPTIONS,
        ] {
            assert_eq!(first.1.get(&name), again.1.get(&name), "{uri} : {name}");
        }
        // Another compression asked: another answer, not the gzip one.
        let plain = raw_get(&app, uri, &[]).await;
        assert_eq!(plain.0, StatusCode::OK);
        assert!(plain.1.get(header::CONTENT_ENCODING).is_none(), "{uri}");
        // A browser of today also accepts zstd: it gets zstd, the same content.
        let browser = [(header::ACCEPT_ENCODING, "gzip, deflate, br, zstd")];
        let zstd = raw_get(&app, uri, &browser).await;
        assert_eq!(
            zstd.1.get(header::CONTENT_ENCODING).map(|v| v.as_bytes()),
            Some(&b"zstd"[..]),
            "{uri}"
        );
        let decoded = zstd::decode_all(&zstd.2[..]).expect("zstd");
        assert_eq!(decoded, plain.2, "{uri}");
    }
    assert_eq!(answers_kept(&services), before + 2);

    // Someone signed in, or an API key, is answered afresh, and sees their part.
    let (_, mine, _) = call(
        &app,
        "GET",
        "/api/v1/lieux?q=point+numerique",
        Some(&coord),
        None,
    )
    .await;
    assert_eq!(mine["total"], 1);
    let _ = raw_get(
        &app,
        "/api/v1/lieux?q=point+numerique",
        &[(header::AUTHORIZATION, "Bearer inconnue")],
    )
    .await;
    assert_eq!(answers_kept(&services), before + 2);

    // A change of the directory is seen by the very next anonymous search.
    create("Point numérique bis").await;
    let (_, found, _) = call(&app, "GET", "/api/v1/lieux?q=point+numerique", None, None).await;
    assert_eq!(found["total"], 2, "{found}");
    let page = raw_get(&app, "/?q=point+numerique", &[]).await;
    assert!(String::from_utf8_lossy(&page.2).contains("Point numérique bis"));
    assert_eq!(answers_kept(&services), before + 2);

    // A kept answer lasts a second at most.
    let _ = raw_get(&app, "/?q=point+numerique", &[]).await;
    assert_eq!(answers_kept(&services), before + 3);
    tokio::time::sleep(maillage_web::answers::MAX_AGE + std::time::Duration::from_millis(50)).await;
    let _ = raw_get(&app, "/?q=point+numerique", &[]).await;
    assert_eq!(answers_kept(&services), before + 3);
}

async fn call(
    app: &Router,
    method: &str,
    uri: &str,
    cookie: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value, Vec<String>) {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    let body = match body {
        Some(v) => {
            req = req.header(header::CONTENT_TYPE, "application/json");
            Body::from(v.to_string())
        }
        None => Body::empty(),
    };
    let resp = app
        .clone()
        .oneshot(req.body(body).expect("requête"))
        .await
        .expect("réponse");
    let status = resp.status();
    let cookies = resp
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().to_string())
        .collect();
    let bytes = to_bytes(resp.into_body(), 10 << 20).await.expect("corps");
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        cookies,
    )
}

async fn sign_in(app: &Router, email: &str) -> String {
    let req = Request::builder()
        .method("POST")
        .uri("/connexion")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!(
            "email={email}&password={}",
            PASSWORD.replace(' ', "+")
        )))
        .expect("requête");
    let resp = app.clone().oneshot(req).await.expect("réponse");
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "connexion de {email}");
    let cookie = resp
        .headers()
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .expect("cookie");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    cookie.split(';').next().unwrap_or_default().to_string()
}

fn nancy(name: &str) -> Value {
    json!({
        "nom": name,
        "adresse": "1 place Stanislas",
        "code_postal": "54000",
        "commune": "nancy",
        "telephone": "03 83 00 00 00",
        "services": ["Aide aux démarches administratives"],
        "horaires": "Mo-Fr 09:00-12:00",
        "complements": {"limits": "n'intervient pas sur le budget"}
    })
}

#[tokio::test]
async fn writing_needs_a_session_and_the_policy() {
    let app = app().await;
    let (status, body, _) = call(&app, "POST", "/api/v1/lieux", None, Some(nancy("Lieu"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        body["erreur"]
            .as_str()
            .is_some_and(|m| m.contains("connectez-vous"))
    );
    // A helper without organisation may not create a place.
    let helper = sign_in(&app, "aidant@test.fr").await;
    let (status, _, _) = call(
        &app,
        "POST",
        "/api/v1/lieux",
        Some(&helper),
        Some(nancy("Lieu")),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn coordinator_creates_updates_and_deletes_in_their_territory() {
    let app = app().await;
    let coord = sign_in(&app, "coord@test.fr").await;
    let (status, created, _) = call(
        &app,
        "POST",
        "/api/v1/lieux",
        Some(&coord),
        Some(nancy("Point numérique")),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(
        created["code_insee"], "54395",
        "code INSEE déduit de « nancy » + 54000"
    );
    assert_eq!(created["telephone"], "+33383000000");
    assert_eq!(
        created["complements"]["limits"],
        "n'intervient pas sur le budget"
    );
    let id = created["id"].as_str().expect("id").to_string();

    let (status, found, _) = call(
        &app,
        "GET",
        "/api/v1/lieux?q=point+numerique&departement=54",
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(found["total"], 1);
    // Quality of the territory: coordinators only, same indicators as the page.
    let (status, _, _) = call(&app, "GET", "/api/v1/qualite", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let helper = sign_in(&app, "aidant@test.fr").await;
    let (status, _, _) = call(&app, "GET", "/api/v1/qualite", Some(&helper), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, quality, _) = call(&app, "GET", "/api/v1/qualite", Some(&coord), None).await;
    assert_eq!(status, StatusCode::OK, "{quality}");
    assert_eq!(quality["indicateurs"]["places"], 1);
    assert_eq!(quality["indicateurs"]["fresh"], 1);
    assert!(
        quality["indicateurs"]["mean_completeness"]
            .as_u64()
            .is_some()
    );
    // Commune and intercommunality, by name or code, resolved in the official referential.
    for (filter, expected) in [
        ("commune=Nancy", 1),
        ("commune=54395", 1),
        ("commune=Vand%C5%93uvre-l%C3%A8s-Nancy", 0),
        ("epci=Vandoeuvre-les-Nancy", 1),
        ("epci=Lun%C3%A9ville", 0),
    ] {
        let (status, found, _) = call(
            &app,
            "GET",
            &format!("/api/v1/lieux?q=point+numerique&{filter}"),
            None,
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{filter}: {found}");
        assert_eq!(found["total"], expected, "{filter}");
    }

    // A GET result sent back with a change is accepted (read-only fields included).
    let mut changed = created.clone();
    changed["nom"] = json!("Point numérique Stanislas");
    let (status, updated, _) = call(
        &app,
        "PUT",
        &format!("/api/v1/lieux/{id}"),
        Some(&coord),
        Some(changed),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["nom"], "Point numérique Stanislas");
    // The same search right after the change shows the new name (no stale cached result).
    let (_, found, _) = call(
        &app,
        "GET",
        "/api/v1/lieux?q=point+numerique&departement=54",
        None,
        None,
    )
    .await;
    assert_eq!(found["lieux"][0]["nom"], "Point numérique Stanislas");

    // Outside the territory: refused.
    let mut lyon = nancy("Ailleurs");
    lyon["code_postal"] = json!("69001");
    lyon["commune"] = json!("Lyon");
    let (status, _, _) = call(&app, "POST", "/api/v1/lieux", Some(&coord), Some(lyon)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, _, _) = call(
        &app,
        "DELETE",
        &format!("/api/v1/lieux/{id}"),
        Some(&coord),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, _) = call(&app, "GET", &format!("/api/v1/lieux/{id}"), None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, found, _) = call(
        &app,
        "GET",
        "/api/v1/lieux?q=point+numerique&departement=54",
        None,
        None,
    )
    .await;
    assert_eq!(found["total"], 0);
}

#[tokio::test]
async fn bad_input_is_refused_with_fields_named() {
    let app = app().await;
    let coord = sign_in(&app, "coord@test.fr").await;
    let mut typo = nancy("Lieu");
    typo["horraires"] = json!("Mo 10:00-12:00");
    typo["telephone"] = json!(true);
    let (status, body, _) = call(&app, "POST", "/api/v1/lieux", Some(&coord), Some(typo)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = body["details"]
        .as_array()
        .expect("détails")
        .iter()
        .filter_map(|d| d["champ"].as_str())
        .collect();
    assert!(
        fields.contains(&"horraires") && fields.contains(&"telephone"),
        "{body}"
    );

    let mut invalid = nancy("Lieu");
    invalid["telephone"] = json!("12");
    invalid["services"] = json!(["Cuisine"]);
    let (status, body, _) = call(&app, "POST", "/api/v1/lieux", Some(&coord), Some(invalid)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = body["details"]
        .as_array()
        .expect("détails")
        .iter()
        .filter_map(|d| d["champ"].as_str())
        .collect();
    assert!(
        fields.contains(&"telephone") && fields.contains(&"services"),
        "{body}"
    );

    let (status, body, _) = call(
        &app,
        "GET",
        "/api/v1/lieux?service=cuisine&rayon=abc",
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["details"].to_string().contains("« cuisine »"),
        "{body}"
    );
    let (status, body, _) = call(
        &app,
        "GET",
        "/api/v1/lieux?commune=Atlantide&epci=123",
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let details = body["details"].to_string();
    assert!(
        details.contains("commune « Atlantide » introuvable")
            && details.contains("intercommunalité « 123 »"),
        "{body}"
    );

    let (status, _, _) = call(&app, "GET", "/api/v1/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn diagnostic_scoring_is_the_same_as_the_domain_and_says_why_it_refuses() {
    let app = app().await;
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../domain/tests/diagnostics/3-sabrina-intermediaire.json"
    ))
    .expect("exemple");
    let sheet: Value = serde_json::from_str(&text).expect("JSON");
    let (status, body, _) = call(&app, "POST", "/api/v1/diagnostic/score", None, Some(sheet)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["level"], "intermediaire");
    let parsed = maillage_domain::diagnostic::AnswerSheet::from_json(&text).expect("réponses");
    let q = maillage_domain::diagnostic::builtin()
        .into_iter()
        .find(|q| q.id == "complet")
        .expect("complet");
    let direct = maillage_domain::diagnostic::assess(&q, &parsed.answers());
    assert_eq!(body, serde_json::to_value(&direct).expect("JSON"));
    let (status, body, _) = call(
        &app,
        "POST",
        "/api/v1/diagnostic/score",
        None,
        Some(json!({"questionnaire": "court", "answers": {"internet": "toujours"}})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["erreur"]
            .as_str()
            .unwrap_or_default()
            .contains("toujours"),
        "{body}"
    );
    let (status, body, _) = call(
        &app,
        "GET",
        "/api/v1/diagnostic/questionnaires/court",
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["version"], 1);
}

#[tokio::test]
async fn workshops_are_listed_and_take_registrations_with_a_waiting_list() {
    use maillage_domain::workshops::WorkshopForm;
    let store = Store::connect("sqlite::memory:").await.expect("base");
    let day = maillage_app::today() + chrono::Days::new(5);
    let mut w = WorkshopForm {
        title: "Créer son adresse e-mail".into(),
        themes: vec!["courriel".into()],
        level_required: "intermediaire".into(),
        commune: "Nancy".into(),
        sessions: format!("{day} 09:30-11:30"),
        capacity: "1".into(),
        free: true,
        ..Default::default()
    }
    .validate("")
    .expect("valide");
    w.insee_code = Some("54395".into());
    let id = store.create_workshop(&w, None).await.expect("atelier");
    let referential = Referential::discover().expect("référentiel (scripts/setup.sh)");
    let app = router(
        App::new(store, referential).await.expect("app"),
        Config::default(),
    );
    let (status, body, _) = call(
        &app,
        "GET",
        "/api/v1/ateliers?niveau=avance&pres_de=Nancy",
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["total"], 1);
    assert_eq!(body["ateliers"][0]["niveau_requis"], "intermediaire");
    assert!(
        body["ateliers"][0]["pour_qui"]
            .as_str()
            .unwrap_or_default()
            .contains("Intermédiaire")
    );
    let (_, body, _) = call(&app, "GET", "/api/v1/ateliers?niveau=debutant", None, None).await;
    assert_eq!(body["total"], 0, "un Débutant n'a pas le niveau requis");
    let (status, body, _) = call(&app, "GET", "/api/v1/ateliers?du=demain", None, None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["erreur"]
            .as_str()
            .unwrap_or_default()
            .contains("demain")
    );
    let uri = format!("/api/v1/ateliers/{id}/inscriptions");
    let (status, body, _) = call(&app, "POST", &uri, None, Some(json!({"prenom": "Ana"}))).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["etat"], "inscrit");
    assert!(
        body["lien_annulation"]
            .as_str()
            .unwrap_or_default()
            .contains("/ateliers/annulation/")
    );
    let (_, body, _) = call(
        &app,
        "POST",
        &uri,
        None,
        Some(json!({"prenom": "Bruno", "contact": "pas un numéro"})),
    )
    .await;
    assert!(
        body["erreur"]
            .as_str()
            .unwrap_or_default()
            .contains("contact"),
        "{body}"
    );
    let (_, body, _) = call(&app, "POST", &uri, None, Some(json!({"prenom": "Bruno"}))).await;
    assert_eq!(body["etat"], "en_attente");
    let (_, body, _) = call(&app, "GET", &format!("/api/v1/ateliers/{id}"), None, None).await;
    assert_eq!(body["places_libres"], 0);
}

#[tokio::test]
async fn the_library_and_the_watch_answer_the_same_on_pages_and_api() {
    let store = Store::connect("sqlite::memory:").await.expect("base");
    let referential = Referential::discover().expect("référentiel (scripts/setup.sh)");
    let app = App::new(store, referential).await.expect("app");
    assert!(app.seed_library().await.expect("contenu initial") > 40);
    let router = router(app.clone(), Config::default());
    for query in [
        "",
        "?thematique=securite&niveau=debutant",
        "?q=clavier",
        "?public=personnes&type=jeu",
    ] {
        let (status, body, _) = call(
            &router,
            "GET",
            &format!("/api/v1/ressources{query}"),
            None,
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{query}");
        let total = body["total"].as_u64().expect("total");
        let page = router
            .clone()
            .oneshot(
                Request::get(format!("/ressources{query}"))
                    .body(Body::empty())
                    .expect("requête"),
            )
            .await
            .expect("réponse");
        let html = String::from_utf8(
            to_bytes(page.into_body(), usize::MAX)
                .await
                .expect("corps")
                .to_vec(),
        )
        .expect("utf-8");
        let heading = format!("<h2 id=\"resultats\" tabindex=\"-1\">{total} ressource");
        assert!(html.contains(&heading), "{query} : {heading}");
        assert!(total > 0, "{query}");
    }
    let (_, body, _) = call(&router, "GET", "/api/v1/ressources?q=clavier", None, None).await;
    let first = &body["ressources"][0];
    assert!(
        first["titre"]
            .as_str()
            .is_some_and(|t| t.contains("clavier")
                || t.contains("Agilefingers")
                || t.contains("Limbo"))
    );
    let id = first["id"].as_str().expect("id");
    let (status, one, _) = call(
        &router,
        "GET",
        &format!("/api/v1/ressources/{id}"),
        None,
        None,
    )
    .await;
    assert_eq!((status, &one["id"]), (StatusCode::OK, &first["id"]));

    let (status, body, _) = call(
        &router,
        "GET",
        "/api/v1/veille?plateforme=minitel",
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["erreur"]
            .as_str()
            .is_some_and(|e| e.contains("minitel"))
    );
    let (status, body, _) = call(&router, "GET", "/api/v1/veille?plateforme=caf", None, None).await;
    assert_eq!((status, body["total"].as_u64()), (StatusCode::OK, Some(0)));
    // Writing pages need an account.
    let page = router
        .clone()
        .oneshot(
            Request::get("/ressources/nouvelle")
                .body(Body::empty())
                .expect("requête"),
        )
        .await
        .expect("réponse");
    assert_eq!(page.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn orientation_and_referrals_through_the_api() {
    let app = app().await;
    let (status, body, _) = call(&app, "GET", "/api/v1/demandes", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body["total"].as_u64().unwrap_or(0) >= 25);
    assert!(body["demandes"].as_array().is_some_and(|d| {
        d.iter()
            .any(|e| e["id"] == "compte-caf" && e["apporter"].is_array())
    }));
    // An empty directory: the request is understood, no place, nothing beyond.
    let (status, body, _) = call(
        &app,
        "GET",
        "/api/v1/orientation?demande=compte-caf&pres_de=Nancy&niveau=debutant&gratuit=oui",
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["request"]["id"], "compte-caf");
    assert!(body["results"].as_array().is_some_and(Vec::is_empty));
    let (status, body, _) = call(
        &app,
        "GET",
        "/api/v1/orientation?demande=compte-caf&pres_de=Nullepart&disponible=mardi",
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = body["details"]
        .as_array()
        .map(|d| d.iter().filter_map(|x| x["champ"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(fields, ["pres_de", "disponible"]);
    // Referrals are for members of the structures involved.
    let (status, _, _) = call(&app, "GET", "/api/v1/orientations", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = call(&app, "GET", "/api/v1/orientations/inconnue", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// The API's list answers a caller without the helpers' part with each place's JSON as the
/// index's shelf keeps it, written when the place was indexed: the very JSON the place's own
/// address gives (read from the base), with the result's distance and opening added; the
/// referent is never in it, while a coordinator's list, written for them, holds it.
#[tokio::test]
async fn the_list_copied_from_the_shelf_is_the_json_each_place_gives() {
    let app = app().await;
    let coord = sign_in(&app, "coord@test.fr").await;
    let mut place = nancy("Atelier numérique du Haut-du-Lièvre");
    place["complements"]["referent"] = json!({"name": "Camille Dupont", "phone": "0600000000"});
    place["presentation_resume"] = json!("Ateliers « tablette »\nle mardi, aide aux démarches");
    place["latitude"] = json!(48.6925);
    place["longitude"] = json!(6.1836);
    let (status, created, _) = call(&app, "POST", "/api/v1/lieux", Some(&coord), Some(place)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let (status, other, _) = call(
        &app,
        "POST",
        "/api/v1/lieux",
        Some(&coord),
        Some(nancy("Médiathèque numérique")),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{other}");
    let without_hit = |mut v: Value| {
        if let Some(map) = v.as_object_mut() {
            map.remove("distance_m");
            map.remove("ouvert");
        }
        v
    };
    for (who, cookie) in [("anonyme", None), ("coordinateur", Some(coord.as_str()))] {
        for query in [
            "q=numerique",
            "q=atelier+numerique&pres_de=Nancy",
            "departement=54",
        ] {
            let uri = format!("/api/v1/lieux?{query}");
            let (status, list, _) = call(&app, "GET", &uri, cookie, None).await;
            assert_eq!(status, StatusCode::OK, "{who} {uri} : {list}");
            let places = list["lieux"].as_array().cloned().unwrap_or_default();
            assert!(!places.is_empty(), "{who} {uri} : {list}");
            assert_eq!(list["total"].as_u64(), Some(places.len() as u64));
            for listed in places {
                let id = listed["id"].as_str().unwrap_or_default();
                let (status, one, _) =
                    call(&app, "GET", &format!("/api/v1/lieux/{id}"), cookie, None).await;
                assert_eq!(status, StatusCode::OK);
                if query.contains("pres_de") && id == created["id"] {
                    assert!(listed["distance_m"].is_number(), "{who} {uri} : {listed}");
                }
                assert_eq!(without_hit(listed.clone()), one, "{who} {uri}");
                let referent = &listed["complements"]["referent"]["name"];
                match (cookie, id == created["id"]) {
                    (None, _) | (_, false) => assert!(referent.is_null(), "{who} : {listed}"),
                    (Some(_), true) => assert_eq!(referent, "Camille Dupont"),
                }
            }
        }
    }
}
