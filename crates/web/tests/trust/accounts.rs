//! Signing in: slowed attempts, password change and reset, the session cookie.

use super::*;

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
