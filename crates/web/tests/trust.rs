//! Trust (issue #8): each finding of the review replayed against the services and the router, as
//! an outsider and as members of two structures would — refused with a French message, nothing
//! read, nothing erased. Each test failed before its fix.

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode, header};
use maillage_app::referrals::Outgoing;
use maillage_domain::policy::{Actor, Membership, TerritoryUnit};
use maillage_domain::referrals::{Event, Outcome, ReferralForm, ReferralStatus};
use maillage_referential::Referential;
use maillage_store::{NewUser, Store};
use maillage_web::{App, AppError, Config, router};
use tower::ServiceExt;

const PASSWORD: &str = "un mot de passe de test";

/// Three structures in Meurthe-et-Moselle (A, B, C), one account each, a coordinator of 54 and
/// one of 13, an administrator; a place for each structure.
struct World {
    app: App,
    store: Store,
    place_a: String,
    place_b: String,
    place_c: String,
}

async fn world() -> World {
    let store = Store::connect("sqlite::memory:").await.expect("base");
    let since = chrono::NaiveDate::from_ymd_opt(2025, 1, 1).expect("date");
    for (id, name) in [
        ("org-a", "Médiathèque de Nancy"),
        ("org-b", "Centre social de Vandœuvre"),
        ("org-c", "France Services de Toul"),
    ] {
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
    let member = |org: &str| {
        vec![Membership {
            organisation_id: org.into(),
            since,
            until: None,
        }]
    };
    for (email, admin, territory, memberships) in [
        ("a@test.fr", false, vec![], member("org-a")),
        ("a2@test.fr", false, vec![], member("org-a")),
        ("b@test.fr", false, vec![], member("org-b")),
        ("c@test.fr", false, vec![], member("org-c")),
        (
            "coord54@test.fr",
            false,
            vec![TerritoryUnit::Departement("54".into())],
            vec![],
        ),
        (
            "coord13@test.fr",
            false,
            vec![TerritoryUnit::Departement("13".into())],
            vec![],
        ),
        ("admin@test.fr", true, vec![], vec![]),
    ] {
        store
            .create_user(&NewUser {
                email: email.into(),
                display_name: email.into(),
                password: PASSWORD.into(),
                administrator: admin,
                territory,
                memberships,
            })
            .await
            .expect("compte");
    }
    let day = chrono::NaiveDate::from_ymd_opt(2026, 1, 5).expect("date");
    let mut ids = Vec::new();
    for (org, name, commune, postcode, insee) in [
        ("org-a", "Médiathèque de Nancy", "Nancy", "54000", "54395"),
        (
            "org-b",
            "Centre social de Vandœuvre",
            "Vandœuvre-lès-Nancy",
            "54500",
            "54547",
        ),
        ("org-c", "France Services de Toul", "Toul", "54200", "54528"),
    ] {
        let mut p =
            maillage_domain::Place::new("", name, "1 rue de la Paix", postcode, commune, day);
        p.insee_code = Some(insee.into());
        ids.push(store.create_place(p, Some(org), None).await.expect("lieu"));
    }
    let referential = Referential::discover().expect("référentiel (scripts/setup.sh)");
    let app = App::new(store.clone(), referential).await.expect("app");
    World {
        app,
        store,
        place_a: ids[0].clone(),
        place_b: ids[1].clone(),
        place_c: ids[2].clone(),
    }
}

impl World {
    async fn actor(&self, email: &str) -> Actor {
        let user = self
            .store
            .user_by_email(email)
            .await
            .expect("base")
            .expect("compte");
        self.store
            .actor(&user.id)
            .await
            .expect("base")
            .expect("acteur")
    }

    fn router(&self) -> Router {
        router(self.app.clone(), Config::default())
    }
}

fn oral(person: &str) -> ReferralForm {
    ReferralForm {
        person_label: person.into(),
        contact: "06 12 34 56 78".into(),
        note: "Sans revenus depuis un mois.".into(),
        consent: "orale".into(),
        explained: "Prénom, téléphone et demande transmis.".into(),
        confirmed: true,
    }
}

fn outgoing(place: &str, person: &str, journey: Option<&str>) -> Outgoing {
    Outgoing {
        place_id: place.into(),
        request_id: Some("compte-caf".into()),
        request_title: "Créer son compte CAF".into(),
        journey_id: journey.map(str::to_string),
        form: oral(person),
        ..Outgoing::default()
    }
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
    resp.headers()
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|c| c.split(';').next())
        .expect("cookie")
        .to_string()
}

async fn get(app: &Router, uri: &str, cookie: Option<&str>) -> (StatusCode, String) {
    let mut req = Request::builder().uri(uri);
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    let resp = app
        .clone()
        .oneshot(req.body(Body::empty()).expect("requête"))
        .await
        .expect("réponse");
    let status = resp.status();
    let body = to_bytes(resp.into_body(), 20 << 20).await.expect("corps");
    (status, String::from_utf8_lossy(&body).into_owned())
}

async fn post_form(
    app: &Router,
    uri: &str,
    cookie: Option<&str>,
    form: &str,
) -> (StatusCode, String) {
    let mut req = Request::builder()
        .method("POST")
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    let resp = app
        .clone()
        .oneshot(req.body(Body::from(form.to_string())).expect("requête"))
        .await
        .expect("réponse");
    let status = resp.status();
    let body = to_bytes(resp.into_body(), 20 << 20).await.expect("corps");
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// Finding 1: a member of B sends a referral « in » A's journey (hidden field `parcours`): refused;
/// A's person is neither read nor erased, and A's closed journey is not reopened. A structure that
/// takes part in the journey continues it, and withdrawing its own onward referral erases only
/// what that referral shared.
#[tokio::test]
async fn a_journey_is_continued_only_by_a_structure_that_takes_part_in_it() {
    let w = world().await;
    let (a, b, c) = (
        w.actor("a@test.fr").await,
        w.actor("b@test.fr").await,
        w.actor("c@test.fr").await,
    );
    // A refers Karim to C; C takes him in charge and closes: the journey closes.
    let first = w
        .app
        .send_referral(Some(&a), &outgoing(&w.place_c, "Karim", None))
        .await
        .expect("envoi")
        .expect("valide");
    for event in [
        Event::TakeInCharge,
        Event::Close {
            outcome: Outcome::Solved,
        },
    ] {
        w.app
            .answer_referral(Some(&c), &first, event, None)
            .await
            .expect("réponse de C");
    }
    let journey = w
        .app
        .referral_view(Some(&a), &first)
        .await
        .expect("vue de A")
        .referral
        .journey_id;
    assert_eq!(
        w.store
            .journey_participation(&journey, "org-a")
            .await
            .expect("base")
            .map(|p| p.closed),
        Some(true)
    );

    // B forges the hidden field: refused, with a French reason.
    let refused = w
        .app
        .send_referral(Some(&b), &outgoing(&w.place_a, "Intrus", Some(&journey)))
        .await;
    match refused {
        Err(AppError::Forbidden(m)) => assert!(m.contains("parcours"), "{m}"),
        other => panic!("accepté : {other:?}"),
    }
    // Nothing of A's person reaches B, nothing reopened.
    assert!(
        w.app
            .my_referrals(Some(&b))
            .await
            .expect("liste de B")
            .is_empty()
    );
    assert!(w.app.referral_view(Some(&b), &first).await.is_err());
    assert!(w.app.journey_export(Some(&b), &first).await.is_err());
    let p = w
        .store
        .journey_participation(&journey, "org-b")
        .await
        .expect("base")
        .expect("parcours");
    assert!(p.closed && !p.takes_part, "{p:?}");

    // Through the page too (the hidden field of the form).
    let site = w.router();
    let cookie_b = sign_in(&site, "b@test.fr").await;
    let (status, body) = post_form(
        &site,
        "/orientations/nouvelle",
        Some(&cookie_b),
        &format!(
            "lieu={}&demande=compte-caf&parcours={journey}&prenom=Intrus&contact=0612345678&consentement=orale&explique=tout&confirme=oui",
            w.place_a
        ),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(!body.contains("Karim"));

    // C takes part: it continues the journey onward to B (reopening it), then withdraws that
    // onward referral: what it shared is erased, Karim stays known to A and C.
    let onward = w
        .app
        .send_referral(Some(&c), &outgoing(&w.place_b, "Karim", Some(&journey)))
        .await
        .expect("envoi de C")
        .expect("valide");
    let view = w
        .app
        .referral_view(Some(&b), &onward)
        .await
        .expect("vue de B");
    assert_eq!(view.referral.journey_id, journey);
    assert_eq!(view.referral.person_label.as_deref(), Some("Karim"));
    let withdrawn = w
        .app
        .answer_referral(Some(&c), &onward, Event::Withdraw, None)
        .await
        .expect("retrait");
    assert_eq!(withdrawn.status, ReferralStatus::Withdrawn);
    assert_eq!(withdrawn.shared, maillage_store::Shared::default());
    let first_view = w
        .app
        .referral_view(Some(&a), &first)
        .await
        .expect("vue de A");
    assert_eq!(first_view.referral.person_label.as_deref(), Some("Karim"));
    assert_eq!(
        first_view.referral.shared.note.as_deref(),
        Some("Sans revenus depuis un mois.")
    );
}

/// Finding 1, the other half: withdrawing the only referral of a journey erases the person.
#[tokio::test]
async fn withdrawing_the_only_referral_erases_the_person() {
    let w = world().await;
    let a = w.actor("a@test.fr").await;
    let id = w
        .app
        .send_referral(Some(&a), &outgoing(&w.place_c, "Karim", None))
        .await
        .expect("envoi")
        .expect("valide");
    w.app
        .answer_referral(Some(&a), &id, Event::Withdraw, None)
        .await
        .expect("retrait");
    let view = w.app.referral_view(Some(&a), &id).await.expect("vue");
    assert_eq!(view.referral.person_label, None);
    assert_eq!(view.referral.contact, None);
    // An erased journey cannot be continued.
    let c = w.actor("c@test.fr").await;
    let again = w
        .app
        .send_referral(
            Some(&c),
            &outgoing(&w.place_b, "Karim", Some(&view.referral.journey_id)),
        )
        .await
        .expect("pas d'erreur")
        .expect_err("refusé");
    assert_eq!(again[0].0, "parcours");
}

/// Finding 10: a journey whose referrals are declined, or taken in charge and never closed, is
/// not kept for ever: its person is erased once nothing moved for the retention delay.
#[tokio::test]
async fn a_journey_left_open_is_erased_after_the_retention_delay() {
    let w = world().await;
    let (a, c) = (w.actor("a@test.fr").await, w.actor("c@test.fr").await);
    let taken = w
        .app
        .send_referral(Some(&a), &outgoing(&w.place_c, "Karim", None))
        .await
        .expect("envoi")
        .expect("valide");
    w.app
        .answer_referral(Some(&c), &taken, Event::TakeInCharge, None)
        .await
        .expect("prise en charge");
    let declined = w
        .app
        .send_referral(Some(&a), &outgoing(&w.place_c, "Awa", None))
        .await
        .expect("envoi")
        .expect("valide");
    w.app
        .answer_referral(
            Some(&c),
            &declined,
            Event::Decline {
                reason: maillage_domain::referrals::DeclineReason::Full,
            },
            None,
        )
        .await
        .expect("refus");
    let now = chrono::Utc::now();
    let (_, _, erased) = w
        .app
        .run_referral_schedule(now + chrono::Duration::days(300))
        .await
        .expect("échéances");
    assert_eq!(erased, 0, "encore dans le délai");
    let (_, _, erased) = w
        .app
        .run_referral_schedule(now + chrono::Duration::days(370))
        .await
        .expect("échéances");
    assert_eq!(erased, 2);
    for id in [taken, declined] {
        let v = w.app.referral_view(Some(&a), &id).await.expect("vue");
        assert_eq!(v.referral.person_label, None);
        assert_eq!(v.referral.contact, None);
    }
}

async fn login_from(app: &Router, ip: &str, email: &str, password: &str) -> (StatusCode, String) {
    let mut req = Request::builder()
        .method("POST")
        .uri("/connexion")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!(
            "email={email}&password={}",
            password.replace(' ', "+")
        )))
        .expect("requête");
    req.extensions_mut()
        .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
            ip.parse::<std::net::IpAddr>().expect("adresse"),
            40_000,
        ))));
    let resp = app.clone().oneshot(req).await.expect("réponse");
    let status = resp.status();
    let body = to_bytes(resp.into_body(), 1 << 20).await.expect("corps");
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// Finding 7: failures slow down the client and the account; a success clears only the account;
/// spraying many accounts from one client is slowed down whatever it gets right; an attacker
/// elsewhere cannot lock an account for long (the per-account wait is at most a minute).
#[tokio::test]
async fn login_attempts_slow_down_per_account_and_per_client() {
    let w = world().await;
    let site = w.router();
    for _ in 0..5 {
        let (status, _) = login_from(&site, "192.0.2.1", "a@test.fr", "mauvais mot de passe").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, body) = login_from(&site, "192.0.2.1", "a@test.fr", PASSWORD).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(body.contains("Attendez"), "{body}");
    // From elsewhere the account waits too, but only a little (at most a minute).
    let (status, body) = login_from(&site, "198.51.100.7", "a@test.fr", PASSWORD).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(body.contains("seconde"), "{body}");

    // Spraying: ten accounts from one client, then even a right password waits.
    for i in 0..10 {
        login_from(&site, "203.0.113.5", &format!("x{i}@test.fr"), "essai").await;
    }
    let (status, _) = login_from(&site, "203.0.113.5", "b@test.fr", PASSWORD).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // Another client signs in to the same account at once.
    let (status, _) = login_from(&site, "203.0.113.6", "b@test.fr", PASSWORD).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}

/// Finding 16: a password change closes the other sessions; « se déconnecter partout » closes
/// them all; a reset link opens once; finding 13: signed-in pages are not cached.
#[tokio::test]
async fn password_change_reset_and_signing_out_everywhere() {
    let w = world().await;
    let site = w.router();
    let (laptop, phone) = (
        sign_in(&site, "a@test.fr").await,
        sign_in(&site, "a@test.fr").await,
    );
    let req = Request::builder()
        .uri("/compte")
        .header(header::COOKIE, &laptop)
        .body(Body::empty())
        .expect("requête");
    let resp = site.clone().oneshot(req).await.expect("réponse");
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        resp.headers()
            .get(header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    let (status, body) = post_form(
        &site,
        "/compte/mot-de-passe",
        Some(&laptop),
        "actuel=faux&nouveau=une+phrase+assez+longue&confirmation=une+phrase+assez+longue",
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("actuel n&#39;est pas le bon"), "{body}");
    let req = Request::builder()
        .method("POST")
        .uri("/compte/mot-de-passe")
        .header(header::COOKIE, &laptop)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!(
            "actuel={}&nouveau=une+phrase+assez+longue&confirmation=une+phrase+assez+longue",
            PASSWORD.replace(' ', "+")
        )))
        .expect("requête");
    let resp = site.clone().oneshot(req).await.expect("réponse");
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let laptop = resp
        .headers()
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|c| c.split(';').next())
        .expect("nouvelle session")
        .to_string();
    assert_eq!(
        get(&site, "/compte", Some(&phone)).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(get(&site, "/compte", Some(&laptop)).await.0, StatusCode::OK);
    let (status, _) = post_form(&site, "/compte/deconnexion-partout", Some(&laptop), "").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        get(&site, "/compte", Some(&laptop)).await.0,
        StatusCode::UNAUTHORIZED
    );

    // A reset link: the page opens once, the new password works, the link is then gone.
    let user = w
        .store
        .user_by_email("a@test.fr")
        .await
        .expect("base")
        .expect("compte");
    let token = w
        .store
        .issue_password_reset(&user.id, chrono::Utc::now().timestamp() + 600)
        .await
        .expect("lien");
    let (status, body) = get(&site, &format!("/mot-de-passe/{token}"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("a@test.fr"));
    let (status, _) = post_form(
        &site,
        &format!("/mot-de-passe/{token}"),
        None,
        "nouveau=courte&confirmation=courte",
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = post_form(
        &site,
        &format!("/mot-de-passe/{token}"),
        None,
        "nouveau=la+phrase+d%27apres+le+lien&confirmation=la+phrase+d%27apres+le+lien",
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _) = get(&site, &format!("/mot-de-passe/{token}"), None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "usage unique");
    let (status, _) = login_from(
        &site,
        "192.0.2.50",
        "a@test.fr",
        "la phrase d'apres le lien",
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    // « Mot de passe oublié » answers the same for an unknown address.
    let (s1, known) = post_form(&site, "/mot-de-passe-oublie", None, "email=a%40test.fr").await;
    let (s2, unknown) = post_form(
        &site,
        "/mot-de-passe-oublie",
        None,
        "email=nobody%40test.fr",
    )
    .await;
    assert_eq!((s1, s2), (StatusCode::OK, StatusCode::OK));
    assert_eq!(known, unknown);
}

/// The session cookie is `Secure` with the `__Host-` prefix when the site is served over https.
#[tokio::test]
async fn over_https_the_session_cookie_is_secure_and_host_only() {
    let w = world().await;
    let site = router(
        w.app.clone(),
        Config {
            secure_cookies: true,
            ..Config::default()
        },
    );
    let req = Request::builder()
        .method("POST")
        .uri("/connexion")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!(
            "email=a@test.fr&password={}",
            PASSWORD.replace(' ', "+")
        )))
        .expect("requête");
    let resp = site.clone().oneshot(req).await.expect("réponse");
    let cookie = resp
        .headers()
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .expect("cookie")
        .to_string();
    assert!(cookie.starts_with("__Host-maillage_session="), "{cookie}");
    assert!(cookie.contains("; Secure") && cookie.contains("Path=/") && !cookie.contains("Domain"));
    let pair = cookie.split(';').next().expect("paire");
    assert_eq!(get(&site, "/compte", Some(pair)).await.0, StatusCode::OK);
}

/// Finding 4: a place's referent is shown to signed-in members only — on the page and in the
/// API alike.
#[tokio::test]
async fn the_referent_is_hidden_from_anonymous_callers_in_the_api_too() {
    let w = world().await;
    let mut stored = w
        .store
        .place(&w.place_a)
        .await
        .expect("base")
        .expect("lieu");
    stored.place.extras.referent = Some(maillage_domain::place::Referent {
        name: "Josiane Martin".into(),
        role: Some("responsable".into()),
        email: Some("josiane.martin@mediatheque.example".into()),
        phone: Some("+33383000000".into()),
    });
    w.store
        .update_place(&stored.place, stored.organisation_id.as_deref(), None)
        .await
        .expect("référent");
    w.app.reindex().await.expect("index");
    let site = w.router();
    for uri in [
        format!("/api/v1/lieux/{}", w.place_a),
        "/api/v1/lieux?q=mediatheque".to_string(),
        format!("/lieux/{}", w.place_a),
    ] {
        let (status, body) = get(&site, &uri, None).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        assert!(
            !body.contains("Josiane") && !body.contains("josiane.martin"),
            "{uri}: {body}"
        );
    }
    let cookie = sign_in(&site, "b@test.fr").await;
    for uri in [
        format!("/api/v1/lieux/{}", w.place_a),
        format!("/lieux/{}", w.place_a),
    ] {
        let (_, body) = get(&site, &uri, Some(&cookie)).await;
        assert!(body.contains("Josiane Martin"), "{uri}");
    }
}

/// Finding 5: an import row whose `id` matches a place elsewhere does not overwrite it: the row
/// is refused with its reason (line, field, value), nothing is written.
#[tokio::test]
async fn an_import_cannot_rewrite_a_place_outside_the_importers_territory() {
    let w = world().await;
    let elsewhere = w.actor("coord13@test.fr").await;
    let csv = format!(
        "id,nom,commune,code_postal,code_insee,adresse,date_maj\n{},Lieu piraté,Marseille,13001,13201,1 rue de la République,2030-01-01\n",
        w.place_a
    );
    let result = w
        .app
        .import_file(Some(&elsewhere), csv.as_bytes(), "pirate.csv", None, false)
        .await
        .expect("import");
    assert!(result.outcome.is_none(), "rien n'est écrit");
    let messages = result.report.error_messages().join("\n");
    assert!(
        messages.contains("ligne 2")
            && messages.contains("« id »")
            && messages.contains("Médiathèque de Nancy"),
        "{messages}"
    );
    // Even « valid rows only » leaves it alone.
    let partial = w
        .app
        .import_file(Some(&elsewhere), csv.as_bytes(), "pirate.csv", None, true)
        .await
        .expect("import");
    assert_eq!(partial.outcome.map(|o| o.updated), Some(0));
    let place = w
        .store
        .place(&w.place_a)
        .await
        .expect("base")
        .expect("lieu");
    assert_eq!(place.place.name, "Médiathèque de Nancy");
    // The coordinator of 54 may update it.
    let coordinator = w.actor("coord54@test.fr").await;
    let csv = format!(
        "id,nom,commune,code_postal,code_insee,adresse,date_maj\n{},Médiathèque de Nancy (centre),Nancy,54000,54395,1 rue de la Paix,2030-01-01\n",
        w.place_a
    );
    let ok = w
        .app
        .import_file(Some(&coordinator), csv.as_bytes(), "maj.csv", None, false)
        .await
        .expect("import");
    assert_eq!(ok.outcome.map(|o| o.updated), Some(1));
}

fn multipart(fields: &[(&str, Option<&str>, Vec<u8>)]) -> (String, Vec<u8>) {
    let boundary = "----maillage-test-boundary";
    let mut body = Vec::new();
    for (name, file, content) in fields {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match file {
            Some(f) => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: text/csv\r\n\r\n").as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn post_bytes(
    app: &Router,
    uri: &str,
    cookie: Option<&str>,
    content_type: &str,
    body: Vec<u8>,
) -> (StatusCode, String) {
    let mut req = Request::builder()
        .method("POST")
        .uri(uri)
        .header(header::CONTENT_TYPE, content_type);
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    let resp = app
        .clone()
        .oneshot(req.body(Body::from(body)).expect("requête"))
        .await
        .expect("réponse");
    let status = resp.status();
    let location = resp
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let body = to_bytes(resp.into_body(), 20 << 20).await.expect("corps");
    let text = String::from_utf8_lossy(&body).into_owned();
    (status, if location.is_empty() { text } else { location })
}

/// Finding 18: a 3 MB file of places goes through the import page; an anonymous upload is
/// refused before it is read; a form is small everywhere else.
#[tokio::test]
async fn bodies_are_limited_per_route() {
    let w = world().await;
    let site = w.router();
    let mut csv = String::from("id,nom,commune,code_postal,code_insee,adresse,date_maj\n");
    let mut i = 0;
    while csv.len() < 3_000_000 {
        csv.push_str(&format!(
            "lieu-{i},Point numérique numéro {i} de la ville,Nancy,54000,54395,{i} rue de la Paix,2026-01-01\n"
        ));
        i += 1;
    }
    let (content_type, body) = multipart(&[
        ("fichier", Some("lieux.csv"), csv.into_bytes()),
        ("action", None, b"verifier".to_vec()),
    ]);
    let (status, _) = post_bytes(&site, "/import", None, &content_type, body.clone()).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "anonyme : refusé avant lecture"
    );
    let cookie = sign_in(&site, "coord54@test.fr").await;
    let (status, location) = post_bytes(&site, "/import", Some(&cookie), &content_type, body).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{location}");
    assert!(location.starts_with("/taches/"), "{location}");
    // A form of 300 KiB where forms are small.
    let big = format!("texte={}", "a".repeat(300 * 1024));
    let (status, _) = post_form(&site, "/lieux/x/signaler", None, &big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
}

/// Finding 2: the anonymous booklet takes a bounded zone (repeats removed, 30 items at most)
/// and identical requests share one job.
#[tokio::test]
async fn the_booklet_zone_is_bounded_and_identical_requests_share_one_job() {
    let w = world().await;
    let site = w.router();
    let zone = "54, ".repeat(3_000);
    let form = format!("zone={}", zone.replace(' ', "+").replace(',', "%2C"));
    let (status, _) = post_form(&site, "/livret", None, &form).await;
    assert_eq!(
        status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "2 000 caractères au plus"
    );
    let (status, first) = post_bytes(
        &site,
        "/livret",
        None,
        "application/x-www-form-urlencoded",
        b"zone=54%2C+54%2C+54%2C+Meurthe-et-Moselle".to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{first}");
    let (_, second) = post_bytes(
        &site,
        "/livret",
        None,
        "application/x-www-form-urlencoded",
        b"zone=54".to_vec(),
    )
    .await;
    assert_eq!(first, second, "la même zone, le même livret");
    let many: Vec<String> = (1..=31).map(|d| format!("{d:02}")).collect();
    let (status, body) = post_form(
        &site,
        "/livret",
        None,
        &format!("zone={}", many.join("%2C")),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(body.contains("30 communes"), "{body}");
}

/// Finding 3: what is typed is bounded in words and characters, with a French message, for the
/// directory, the library and orientation alike.
#[tokio::test]
async fn typed_searches_are_bounded() {
    let w = world().await;
    let site = w.router();
    let words: Vec<String> = (0..2_000).map(|i| format!("zxq{i}")).collect();
    let q = words.join("+");
    let (_, body) = get(&site, &format!("/?q={q}"), None).await;
    assert!(
        body.contains("30 mots") || body.contains("300 caractères"),
        "page"
    );
    let (status, body) = get(&site, &format!("/api/v1/lieux?q={q}"), None).await;
    assert!(status.is_client_error(), "{status}");
    assert!(body.contains("300 caractères"), "{body}");
    let few: Vec<&str> = words.iter().take(40).map(String::as_str).collect();
    let (status, body) = get(&site, &format!("/api/v1/lieux?q={}", few.join("+")), None).await;
    assert!(
        status.is_client_error() && body.contains("30 mots"),
        "{body}"
    );
    let (status, body) = get(&site, &format!("/ressources?q={}", few.join("+")), None).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(body.contains("30 mots"));
    let (status, body) = get(
        &site,
        &format!(
            "/api/v1/orientation?demande={}&pres_de=Nancy",
            few.join("+")
        ),
        None,
    )
    .await;
    assert!(
        status.is_client_error() && body.contains("30 mots"),
        "{body}"
    );
}

fn record(
    org: &str,
    kind: &str,
    notes: &str,
    person: Option<&str>,
) -> maillage_app::activity::RecordInput {
    use maillage_domain::activity::ActivityForm;
    let mut form = ActivityForm {
        kind: kind.into(),
        date: "2026-03-10".into(),
        duration: "30".into(),
        venue: "a-distance".into(),
        ..Default::default()
    };
    if kind == "demarche" {
        form.procedure_themes = vec!["social-sante".into()];
        form.procedure_name = "Dossier MDPH de Karim Benali".into();
    } else {
        form.themes = vec!["internet".into()];
    }
    if let Some(p) = person {
        form.persons = vec![p.into()];
    }
    maillage_app::activity::RecordInput {
        organisation_id: org.into(),
        form,
        notes: notes.into(),
        new_person: person.is_none().then(|| ("Karim".to_string(), true)),
        session: None,
        referral_id: None,
    }
}

/// Findings 9 and 10: a person's export holds the caller's own private notes only; erasing the
/// person erases the notes and the free text of records about them alone, the figures stay.
#[tokio::test]
async fn notes_stay_with_their_author_and_go_with_the_person() {
    let w = world().await;
    let (a, a2) = (w.actor("a@test.fr").await, w.actor("a2@test.fr").await);
    let first = w
        .app
        .record_activity(
            Some(&a),
            &record("org-a", "individuel", "Note de A : sans emploi", None),
        )
        .await
        .expect("service")
        .expect("valide");
    let person = w
        .store
        .activity(&first)
        .await
        .expect("base")
        .expect("compte rendu")
        .activity
        .persons[0]
        .clone();
    let second = w
        .app
        .record_activity(
            Some(&a2),
            &record("org-a", "demarche", "Note de A2 : dettes", Some(&person)),
        )
        .await
        .expect("service")
        .expect("valide");
    let export = w
        .app
        .person_export(Some(&a), &person)
        .await
        .map(|e| serde_json::to_string(&e))
        .expect("export")
        .expect("JSON");
    assert!(export.contains("Note de A : sans emploi"));
    assert!(!export.contains("Note de A2"), "{export}");
    let export = w
        .app
        .person_export(Some(&a2), &person)
        .await
        .map(|e| serde_json::to_string(&e))
        .expect("export")
        .expect("JSON");
    assert!(export.contains("Note de A2") && !export.contains("Note de A :"));

    w.app
        .erase_person(Some(&a), &person)
        .await
        .expect("effacement");
    for id in [first, second] {
        let r = w
            .store
            .activity(&id)
            .await
            .expect("base")
            .expect("gardé pour les chiffres");
        assert_eq!(r.notes, None);
        assert_eq!(r.activity.procedure_name, None);
        assert!(r.activity.persons.is_empty());
        assert_eq!(r.activity.anonymous.total, 1, "compté comme anonyme");
    }
}

/// Finding 11: a record is linked only to a referral or a workshop session of its structure.
#[tokio::test]
async fn a_record_links_only_its_structures_referrals_and_sessions() {
    let w = world().await;
    let (a, b) = (w.actor("a@test.fr").await, w.actor("b@test.fr").await);
    let referral_of_a = w
        .app
        .send_referral(Some(&a), &outgoing(&w.place_c, "Karim", None))
        .await
        .expect("envoi")
        .expect("valide");
    let mut input = record("org-b", "individuel", "", None);
    input.new_person = None;
    input.referral_id = Some(referral_of_a.clone());
    assert!(matches!(
        w.app.record_activity(Some(&b), &input).await,
        Err(AppError::Forbidden(_))
    ));
    input.referral_id = None;
    input.session = Some(maillage_domain::activity::WorkshopSession {
        workshop_id: "atelier-d-une-autre-structure".into(),
        start: chrono::NaiveDate::from_ymd_opt(2026, 3, 10)
            .and_then(|d| d.and_hms_opt(14, 0, 0))
            .expect("date"),
    });
    assert!(matches!(
        w.app.record_activity(Some(&b), &input).await,
        Err(AppError::Forbidden(_))
    ));
    // A's own referral is fine for A.
    let mut own = record("org-a", "individuel", "", None);
    own.new_person = None;
    own.referral_id = Some(referral_of_a);
    assert!(
        w.app
            .record_activity(Some(&a), &own)
            .await
            .expect("service")
            .is_ok()
    );
}

/// Finding 12: a public statistics link shows a period of four weeks at least, no narrowing
/// filter, and no cell of fewer than five people.
#[tokio::test]
async fn public_statistics_links_show_no_small_group() {
    let w = world().await;
    let a = w.actor("a@test.fr").await;
    for _ in 0..3 {
        let mut r = record("org-a", "individuel", "", None);
        r.new_person = None;
        r.form.ages = vec!["70-plus".into()];
        w.app
            .record_activity(Some(&a), &r)
            .await
            .expect("service")
            .expect("valide");
    }
    let token = w
        .app
        .share_statistics(
            Some(&a),
            "org-a",
            maillage_domain::indicators::SharePurpose::Statistics,
        )
        .await
        .expect("lien");
    let token = token.rsplit('/').next().unwrap_or(&token).to_string();
    let site = w.router();
    let (status, body) = get(
        &site,
        &format!("/statistiques/publiques/{token}?du=2026-03-10&au=2026-03-10"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("28 jours"));
    let (status, body) = get(
        &site,
        &format!("/statistiques/publiques/{token}?tout=1"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !body.contains("70 ans et plus"),
        "trois personnes : masquées"
    );
    // The structure's members see them.
    let cookie = sign_in(&site, "a@test.fr").await;
    let (_, body) = get(&site, "/statistiques?portee=org-a&tout=1", Some(&cookie)).await;
    assert!(body.contains("70 ans et plus"));
}

/// A workshop of structure A in ten days.
async fn workshop_of_a(w: &World, a: &Actor, title: &str, capacity: &str) -> String {
    use maillage_domain::diagnostic::Level;
    use maillage_domain::workshops::WorkshopForm;
    let day = maillage_app::today() + chrono::Days::new(10);
    let mut form = WorkshopForm {
        title: title.into(),
        themes: vec!["materiel".into()],
        level_required: Level::Beginner.slug().into(),
        commune: "Nancy".into(),
        sessions: format!("{day} 14:00-16:00"),
        capacity: capacity.into(),
        free: true,
        ..Default::default()
    }
    .validate("")
    .expect("valide");
    form.organisation_id = Some("org-a".into());
    w.app.publish_workshop(Some(a), form).await.expect("publié")
}

/// Finding 8: e-mail asked without an account is limited per address and per client.
#[tokio::test]
async fn anonymous_email_is_rate_limited() {
    let w = world().await;
    let a = w.actor("a@test.fr").await;
    let workshop = workshop_of_a(&w, &a, "Premiers pas", "200").await;
    // One address, many clients: five e-mails an hour at most.
    let mut refused = 0;
    for i in 0..8 {
        if let Err(AppError::TooMany(_)) = w
            .app
            .register_person(
                None,
                &format!("ip:10.0.0.{i}"),
                &workshop,
                "Ana",
                "victime@exemple.fr",
            )
            .await
        {
            refused += 1;
        }
    }
    assert_eq!(refused, 3);
    // One client, many addresses: twenty an hour.
    let mut accepted = 0;
    for i in 0..25 {
        if w.app
            .register_person(
                None,
                "ip:192.0.2.99",
                &workshop,
                "Ana",
                &format!("p{i}@exemple.fr"),
            )
            .await
            .is_ok()
        {
            accepted += 1;
        }
    }
    assert_eq!(accepted, 20);
    // Error reports on one place: five an hour.
    let site = w.router();
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(
            post_form(
                &site,
                &format!("/lieux/{}/signaler", w.place_a),
                None,
                "categorie=horaires&message=ferm%C3%A9",
            )
            .await
            .0,
        );
    }
    assert_eq!(statuses[4], StatusCode::SEE_OTHER);
    assert_eq!(statuses[5], StatusCode::TOO_MANY_REQUESTS);
}

/// Finding 6: registrations and activity records come out of CSV and XLSX with formulas
/// neutralised, and the activity export reads back as it was.
#[tokio::test]
async fn every_spreadsheet_export_escapes_formulas() {
    let w = world().await;
    let a = w.actor("a@test.fr").await;
    let workshop = workshop_of_a(
        &w,
        &a,
        "=HYPERLINK(\"http://pirate.example\",\"Cliquez\")",
        "10",
    )
    .await;
    w.app
        .register_person(None, "ip:test", &workshop, "@SUM(1+1)", "")
        .await
        .expect("inscription");
    let site = w.router();
    let cookie = sign_in(&site, "a@test.fr").await;
    let (status, csv) = get(
        &site,
        &format!("/ateliers/{workshop}/inscrits.csv"),
        Some(&cookie),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        csv.contains("'@SUM(1+1)") && !csv.contains(";@SUM"),
        "{csv}"
    );
    let calendar = w
        .app
        .workshops_csv(&Default::default())
        .await
        .expect("calendrier");
    let calendar = String::from_utf8_lossy(&calendar);
    assert!(calendar.contains("'=HYPERLINK") && !calendar.contains(";=HYPERLINK"));

    let mut r = record("org-a", "demarche", "", None);
    r.new_person = None;
    r.form.procedure_name = "=cmd|' /C calc'!A0".into();
    w.app
        .record_activity(Some(&a), &r)
        .await
        .expect("service")
        .expect("valide");
    let filter = maillage_domain::indicators::Filter {
        organisations: vec!["org-a".into()],
        ..Default::default()
    };
    let mut out = Vec::new();
    w.app
        .export_activities_csv(&filter, &mut out)
        .await
        .expect("export");
    let text = String::from_utf8_lossy(&out).into_owned();
    assert!(text.contains("'=cmd"), "{text}");
    let rows = maillage_standard::activity::read_import(&out, "export.csv").expect("relu");
    assert!(
        rows.iter()
            .any(|(_, cells)| cells.values().any(|v| v == "=cmd|' /C calc'!A0")),
        "l'export se relit tel quel"
    );
    let dir = tempfile::tempdir().expect("dossier");
    let path = dir.path().join("activites.xlsx");
    w.app
        .export_activities_xlsx(&filter, &path)
        .await
        .expect("export");
    let bytes = std::fs::read(&path).expect("fichier");
    let rows = maillage_standard::activity::read_import(&bytes, "activites.xlsx").expect("relu");
    assert!(
        rows.iter()
            .any(|(_, cells)| cells.values().any(|v| v == "=cmd|' /C calc'!A0"))
    );
}

/// Finding 19: unknown resume codes are tried a few times only.
#[tokio::test]
async fn resume_codes_cannot_be_guessed() {
    let w = world().await;
    let site = w.router();
    let mut last = StatusCode::OK;
    for i in 0..21 {
        last = post_form(
            &site,
            "/diagnostic/reprendre",
            None,
            &format!("code=AAAA-{i:04}"),
        )
        .await
        .0;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
}
