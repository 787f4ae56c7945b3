//! The directory: the referent's privacy, imports within the territory, bounded bodies, booklets and searches.

use super::*;

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
        .import_file(Some(&elsewhere), csv.clone(), "pirate.csv", None, false)
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
        .import_file(Some(&elsewhere), csv.clone(), "pirate.csv", None, true)
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
        .import_file(Some(&coordinator), csv.clone(), "maj.csv", None, false)
        .await
        .expect("import");
    assert_eq!(ok.outcome.map(|o| o.updated), Some(1));
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
