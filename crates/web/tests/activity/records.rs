//! Imports of records, the before/after survey, followed persons' profiles.

use super::*;

#[tokio::test]
async fn an_import_with_bad_cells_writes_nothing_and_says_where() {
    let w = world().await;
    let me = sign_in(&w.app, "aidant@test.fr").await;
    let org = w.org.as_str();
    let csv = "type;date;duree;lieu;commune;thematiques;titre;participants;tranche_age\n\
               Accompagnement individuel;14/03/2026;45;À distance;;Navigation sur internet;;;70 ans ou plus\n\
               Atelier collectif;2026-03-15;une heure;Autre lieu;Nancy;Prévention en sécurité numérique;Arnaques;6;60-69=4\n\
               Accompagnement individuel;2026-03-16;30;À distance;;jardinage;;;\n";
    let upload = |bytes: Vec<u8>, name: &str, partial: bool| {
        let boundary = "XyZbOuNdArY";
        let mut body = Vec::new();
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"structure\"\r\n\r\n{org}\r\n").as_bytes(),
        );
        if partial {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"partiel\"\r\n\r\noui\r\n").as_bytes(),
            );
        }
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"fichier\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(&bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        (body, format!("multipart/form-data; boundary={boundary}"))
    };
    let (body, ct) = upload(csv.as_bytes().to_vec(), "activites.csv", false);
    let (status, html, _) = send(
        &w.app,
        "POST",
        "/activites/import",
        Some(&me),
        Some(&ct),
        body,
    )
    .await;
    let html = String::from_utf8_lossy(&html).into_owned();
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(
        html.contains("Rien n&#39;a été enregistré") || html.contains("Rien n'a été enregistré"),
        "{html}"
    );
    assert!(
        html.contains("<td>3</td><td>duree</td><td>une heure</td>"),
        "{html}"
    );
    assert!(
        html.contains("<td>4</td><td>thematiques</td><td>jardinage</td>")
            || html.contains("<td>4</td><td>thematiques</td><td></td>"),
        "{html}"
    );
    let scope = format!("portee={org}&tout=1");
    let stats = api_stats(&w.app, &me, &scope).await;
    assert_eq!(stats["chiffres"]["activites"], 0.0, "all or nothing");

    // Valid rows only, when asked.
    let (body, ct) = upload(csv.as_bytes().to_vec(), "activites.csv", true);
    let (status, html, _) = send(
        &w.app,
        "POST",
        "/activites/import",
        Some(&me),
        Some(&ct),
        body,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&html));
    assert_eq!(
        api_stats(&w.app, &me, &scope).await["chiffres"]["activites"],
        1.0
    );

    // The XLSX template, filled, imports the same way.
    let (status, template) = get(&w.app, "/activites/modele.xlsx", &me).await;
    assert_eq!(status, StatusCode::OK);
    use calamine::Reader;
    let book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(template)).expect("modèle");
    assert_eq!(book.sheet_names(), vec!["activites", "aide", "lieux"]);
    let mut filled = rust_xlsxwriter::Workbook::new();
    let sheet = filled.add_worksheet();
    let header = [
        "type",
        "date",
        "duree",
        "lieu",
        "thematiques",
        "thematiques_demarche",
        "demarche",
        "finalisation",
    ];
    for (c, h) in header.iter().enumerate() {
        sheet.write(0, c as u16, *h).expect("case");
    }
    let row = [
        "Aide aux démarches administratives",
        "2026-04-02",
        "1h",
        "Lieu d'activité",
        "",
        "Social - Santé",
        "Complémentaire santé solidaire",
        "Démarche finalisée",
    ];
    for (c, v) in row.iter().enumerate() {
        sheet.write(1, c as u16, *v).expect("case");
    }
    let bytes = filled.save_to_buffer().expect("xlsx");
    let (body, ct) = upload(bytes, "activites.xlsx", false);
    let (status, html, _) = send(
        &w.app,
        "POST",
        "/activites/import",
        Some(&me),
        Some(&ct),
        body,
    )
    .await;
    let html = String::from_utf8_lossy(&html).into_owned();
    // A place of activity needs its place: the report names the cell.
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("<td>2</td><td>lieu_id</td>"), "{html}");
}

#[tokio::test]
async fn the_survey_answered_alone_and_typed_in_shows_on_the_impact_page() {
    let w = world().await;
    let me = sign_in(&w.app, "aidant@test.fr").await;
    let org = w.org.as_str();
    let (status, page, _) = post_form(
        &w.app,
        "/impact/enquete/lien",
        &me,
        &[("structure", org), ("action", "creer")],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let token = page
        .split("/enquete/")
        .nth(1)
        .and_then(|rest| rest.split(['<', ' ']).next())
        .expect("lien")
        .to_string();
    // Alone, without account: a missing answer is named, then accepted.
    let (status, page, _) = send(
        &w.app,
        "GET",
        &format!("/enquete/{token}"),
        None,
        None,
        Vec::new(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&page).contains("Médiathèque de Vandœuvre"));
    let answer = |before: &'static str, now: &'static str| {
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("avant", before),
                ("maintenant", now),
                ("progres", "beaucoup"),
                ("nouveau", "demarche"),
                ("domaine", "sante"),
                ("changement", "moins-stresse"),
            ])
            .finish()
            .into_bytes()
    };
    let form = "application/x-www-form-urlencoded";
    let (status, _, _) = send(
        &w.app,
        "POST",
        &format!("/enquete/{token}"),
        None,
        Some(form),
        answer("", "plutot"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, body, _) = send(
        &w.app,
        "POST",
        &format!("/enquete/{token}"),
        None,
        Some(form),
        answer("pas-du-tout", "plutot"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&body).contains("Merci"));
    // A paper answer typed in by the helper.
    let (status, body, _) = post_form(
        &w.app,
        "/impact/enquete/saisie",
        &me,
        &[
            ("structure", org),
            ("avant", "peu"),
            ("maintenant", "tres"),
            ("nouveau", "courriel"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, html) = get(&w.app, &format!("/impact?portee={org}"), &me).await;
    assert_eq!(status, StatusCode::OK);
    let html = String::from_utf8_lossy(&html).into_owned();
    assert!(
        html.contains("<strong>2</strong> questionnaire(s)"),
        "{html}"
    );
    let tables = page_tables(&html);
    let ease = tables.get("aisance").expect("aisance");
    let row = |label: &str| ease.iter().find(|(l, _)| l == label).map(|(_, v)| *v);
    assert_eq!(row("À l'aise avant (plutôt ou très)"), Some(0.0));
    assert_eq!(row("À l'aise maintenant (plutôt ou très)"), Some(2.0));
    assert_eq!(row("Plus à l'aise qu'avant"), Some(2.0));
    // Another structure's member cannot type answers for this one.
    let coord = sign_in(&w.app, "coord@test.fr").await;
    let (status, _, _) = post_form(
        &w.app,
        "/impact/enquete/saisie",
        &coord,
        &[("structure", org), ("avant", "peu"), ("maintenant", "tres")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The offer inventory counts the structure practising procedures once it records one.
    let (status, body, _) = post_form(
        &w.app,
        "/activites/nouvelle",
        &me,
        &[
            ("structure", org),
            ("type", "demarche"),
            ("date", "2026-03-10"),
            ("duree", "30"),
            ("lieu", "a-distance"),
            ("thematiques_demarche", "social-sante"),
            ("personne", "anonyme"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let (status, html) = get(
        &w.app,
        &format!("/territoire/offre?portee={org}&tout=1"),
        &coord,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let html = String::from_utf8_lossy(&html).into_owned();
    let line = html
        .split("id=\"offre-demarches\"")
        .nth(1)
        .and_then(|r| r.split("</tr>").next())
        .expect("ligne démarches");
    assert!(
        line.contains("<td>0 (0 %)</td><td>1 (100 %)</td><td>1 (100 %)</td>"),
        "{line}"
    );
}

#[tokio::test]
async fn what_is_typed_about_a_followed_person_goes_to_their_profile() {
    let w = world().await;
    let me = sign_in(&w.app, "aidant@test.fr").await;
    let org = w.org.as_str();
    let scope = format!("portee={org}&tout=1");
    // A new followed person, with their consent, and what they say of themselves.
    let new = individual(
        org,
        &[
            ("personne", "nouvelle"),
            ("prenom", "Odette"),
            ("accord", "oui"),
            ("tranche_age", "70-plus"),
            ("genre", "femme"),
            ("commune_residence", "54395"),
        ],
    );
    let (status, body, _) = post_form(&w.app, "/activites/nouvelle", &me, &new).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    // Without consent: refused, named.
    let refused: Vec<(&str, &str)> = new
        .iter()
        .copied()
        .filter(|(k, _)| *k != "accord")
        .collect();
    let (status, body, _) = post_form(&w.app, "/activites/nouvelle", &me, &refused).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("href=\"#f-accord\""), "{body}");
    // An already followed person: a status typed completes the profile.
    let known = individual(
        org,
        &[("personne", &w.person), ("statut_social", "retraite")],
    );
    let (status, body, _) = post_form(&w.app, "/activites/nouvelle", &me, &known).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let profile = w.store.person_profile(&w.person).await.expect("profil");
    assert_eq!(
        profile.status,
        Some(maillage_domain::activity::SocialStatus::Retired)
    );
    let stats = api_stats(&w.app, &me, &scope).await;
    assert_eq!(stats["chiffres"]["personnes-suivies"], 2.0);
    assert_eq!(stats["chiffres"]["participations-anonymes"], 0.0);
    let ages = stats["tableaux"]["ages"]["lignes"]
        .as_array()
        .expect("âges");
    let seventy = ages
        .iter()
        .find(|r| r["cle"] == "70-plus")
        .expect("70 ans et plus");
    assert_eq!(
        seventy["valeur"], 1,
        "Odette's age counts through her profile"
    );
}
