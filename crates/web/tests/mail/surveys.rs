//! Network surveys (issue #20) end to end: the coordinator starts one, each referent of the
//! territory receives a personal link by e-mail, answers on the questionnaire's page (problems
//! named, nothing written), confirms what the answer changes on the place's entry; paper
//! answers typed by the place's structure; results counted; equipment needs matched with the
//! nearest givers; the public's anonymous questionnaire through a place's link.

use super::*;

fn form(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

#[tokio::test]
async fn a_partners_survey_end_to_end() {
    use axum::http::StatusCode;
    use chrono::Utc;
    use maillage_app::surveys::SurveyForm;
    use maillage_domain::organisation::Organisation;
    use maillage_domain::policy::Membership;
    use maillage_domain::surveys::Tally;

    let (url, inbox) = smtp_sink().await;
    let store = Store::connect("sqlite::memory:").await.expect("base");
    let org = store
        .create_organisation(&Organisation {
            id: String::new(),
            name: "Centre social de Toul".into(),
            pivot: None,
            typologies: vec![],
            departement: Some("54".into()),
        })
        .await
        .expect("structure");
    for (email, territory, memberships) in [
        (
            "coord@test.fr",
            vec![TerritoryUnit::Departement("54".into())],
            vec![],
        ),
        (
            "aidante@toul.fr",
            vec![],
            vec![Membership {
                organisation_id: org.clone(),
                since: chrono::NaiveDate::from_ymd_opt(2025, 1, 1).expect("date"),
                until: None,
            }],
        ),
    ] {
        store
            .create_user(&NewUser {
                email: email.into(),
                display_name: email.into(),
                password: "un mot de passe assez long".into(),
                administrator: false,
                territory,
                memberships,
            })
            .await
            .expect("compte");
    }
    let users = store.users().await.expect("comptes");
    let actor_of = |email: &str| {
        let id = users
            .iter()
            .find(|u| u.email == email)
            .expect("compte")
            .id
            .clone();
        let store = store.clone();
        async move { store.actor(&id).await.expect("acteur").expect("présent") }
    };
    let coord = actor_of("coord@test.fr").await;
    let member = actor_of("aidante@toul.fr").await;
    let referential = Referential::discover().expect("référentiel (scripts/setup.sh)");
    let app = App::new(store.clone(), referential)
        .await
        .expect("app")
        .with_mail(
            Mailer::smtp(&url, "Maillage <ne-pas-repondre@test.fr>").expect("mailer"),
            "https://annuaire.exemple.fr",
        );
    let router = maillage_web::router(app.clone(), maillage_web::Config::default());
    let day = chrono::NaiveDate::from_ymd_opt(2026, 3, 1).expect("date");
    let mut ids = Vec::new();
    for (name, insee, postcode, commune, lat, email, organisation) in [
        (
            "Médiathèque de Nancy",
            "54395",
            "54000",
            "Nancy",
            48.692,
            Some("lea@mediatheque.fr"),
            None,
        ),
        (
            "Centre social de Toul",
            "54528",
            "54200",
            "Toul",
            48.675,
            None,
            Some(org.clone()),
        ),
        (
            "Mairie de Lunéville",
            "54329",
            "54300",
            "Lunéville",
            48.589,
            Some("mairie@luneville.fr"),
            None,
        ),
        (
            "Espace numérique d'Avignon",
            "84007",
            "84000",
            "Avignon",
            43.949,
            Some("avignon@exemple.fr"),
            None,
        ),
    ] {
        let mut p = maillage_domain::Place::new("", name, "1 rue A", postcode, commune, day);
        p.insee_code = Some(insee.into());
        p.location = Some(maillage_domain::geo::GeoPoint { lat, lon: 6.0 });
        p.emails = email.map(|e| vec![e.to_string()]).unwrap_or_default();
        ids.push(
            store
                .create_place(p, organisation.as_deref(), None)
                .await
                .expect("lieu"),
        );
    }
    let (nancy, toul, luneville) = (ids[0].clone(), ids[1].clone(), ids[2].clone());

    // Only coordinators start a survey; the coordinator of the 54 asks the places of the 54.
    let asked = SurveyForm {
        kind: "partenaires".into(),
        title: "Besoins 2027".into(),
        closes_on: (maillage_app::today() + chrono::Days::new(20))
            .format("%Y-%m-%d")
            .to_string(),
        zone: String::new(),
    };
    assert!(
        app.start_survey(Some(&member), &asked, Utc::now())
            .await
            .is_err()
    );
    let bad = SurveyForm {
        closes_on: "2020-01-01".into(),
        ..asked.clone()
    };
    assert!(
        app.start_survey(Some(&coord), &bad, Utc::now())
            .await
            .is_err()
    );
    let survey = app
        .start_survey(Some(&coord), &asked, Utc::now())
        .await
        .expect("enquête");
    let (to_nancy, to_luneville) = {
        let inbox = inbox.lock().expect("boîte");
        let mut to: Vec<&str> = inbox
            .iter()
            .flat_map(|(r, _)| r.iter().map(String::as_str))
            .collect();
        to.sort_unstable();
        assert_eq!(
            to,
            ["lea@mediatheque.fr", "mairie@luneville.fr"],
            "Toul sans adresse, Avignon hors territoire"
        );
        let body = |who: &str| {
            inbox
                .iter()
                .find(|(r, _)| r.iter().any(|x| x == who))
                .map(|(_, b)| b.clone())
                .expect("courriel")
        };
        (body("lea@mediatheque.fr"), body("mairie@luneville.fr"))
    };
    assert!(to_nancy.contains("« Besoins 2027 »"), "{to_nancy}");
    let link_nancy = link_in(&to_nancy, "https://annuaire.exemple.fr/questionnaire/");
    let link_luneville = link_in(&to_luneville, "https://annuaire.exemple.fr/questionnaire/");

    // The questionnaire opens without an account, private.
    let (status, page_text) = page(
        &router,
        "GET",
        &format!("/questionnaire/{link_nancy}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page_text.contains("Besoins des partenaires") && page_text.contains("Médiathèque de Nancy")
    );
    let (status, _) = page(
        &router,
        "GET",
        &format!("/questionnaire/{}", "0".repeat(64)),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A wrong answer: each problem named, nothing written.
    let wrong = form(&[
        ("q.wifi", "peut-être"),
        ("q.sites_formation.caf", "1"),
        ("q.sites_formation.ameli", "1"),
    ]);
    let (status, text) = page(
        &router,
        "POST",
        &format!("/questionnaire/{link_nancy}"),
        Some(&wrong),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        text.contains("répondez « oui » ou « non »") && text.contains("le rang 1 est déjà donné"),
        "{text}"
    );
    assert!(
        store
            .survey_answers(&survey)
            .await
            .expect("réponses")
            .is_empty()
    );

    // Nancy answers: needs a computer and a printer, wifi, step-free, a referent, CAF first.
    let answer = form(&[
        ("q.materiel_besoin", "ordinateur"),
        ("q.materiel_besoin", "imprimante"),
        ("q.wifi", "oui"),
        ("q.plain_pied", "oui"),
        ("q.domaines", "emploi"),
        ("q.referent.nom", "Léa Martin"),
        ("q.referent.courriel", "lea@mediatheque.fr"),
        ("q.sites_formation.caf", "1"),
        ("q.sites_formation.ameli", "2"),
    ]);
    let (status, text) = page(
        &router,
        "POST",
        &format!("/questionnaire/{link_nancy}"),
        Some(&answer),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(
        text.contains("Merci, votre réponse est enregistrée")
            && text.contains("Mettre à jour la fiche de votre lieu"),
        "{text}"
    );
    // Nothing changed on the entry before the structure says yes.
    let before = store.place(&nancy).await.expect("lieu").expect("trouvé");
    assert_eq!(before.place.extras.step_free_access, None);
    let (status, _) = page(
        &router,
        "POST",
        &format!("/questionnaire/{link_nancy}/fiche"),
        Some("decision=confirmer"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let after = store.place(&nancy).await.expect("lieu").expect("trouvé");
    assert_eq!(after.place.extras.step_free_access, Some(true));
    assert_eq!(
        after
            .place
            .extras
            .referent
            .as_ref()
            .map(|r| r.name.as_str()),
        Some("Léa Martin")
    );
    assert!(
        after
            .place
            .services
            .contains(&maillage_domain::vocab::Service::InternetAccess)
    );
    // Confirmed once: a second time is refused.
    let (status, _) = page(
        &router,
        "POST",
        &format!("/questionnaire/{link_nancy}/fiche"),
        Some("decision=confirmer"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // The link opens the answer again, to change it.
    let (_, text) = page(
        &router,
        "GET",
        &format!("/questionnaire/{link_nancy}"),
        None,
    )
    .await;
    assert!(text.contains("vos réponses sont reprises"), "{text}");
    assert!(
        text.contains("value=\"imprimante\" checked"),
        "réponse reprise"
    );

    // Lunéville gives a computer; Toul's paper answer, typed by its member, gives one too.
    let gives = form(&[
        ("q.materiel_don", "ordinateur"),
        ("q.sites_formation.caf", "2"),
        ("q.sites_formation.impots", "1"),
    ]);
    let (status, _) = page(
        &router,
        "POST",
        &format!("/questionnaire/{link_luneville}"),
        Some(&gives),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let paper = vec![
        ("q.materiel_don".to_string(), "ordinateur".to_string()),
        ("q.plain_pied".to_string(), "non".to_string()),
    ];
    // The member may type for Toul only: not for Nancy, an id sent by hand.
    assert!(
        app.enter_survey_answer(Some(&member), &survey, &nancy, &paper, Utc::now())
            .await
            .is_err()
    );
    let receipt = app
        .enter_survey_answer(Some(&member), &survey, &toul, &paper, Utc::now())
        .await
        .expect("saisie")
        .expect("valide");
    assert_eq!(receipt.changes.len(), 1, "accès de plain-pied à confirmer");
    // Its structure confirms from its account; the coordinator may not, for a structure's place.
    assert!(
        app.decide_survey_changes(Some(&coord), &receipt.answer_id, true, Utc::now())
            .await
            .is_err()
    );
    let pending = app
        .pending_survey_changes(Some(&member))
        .await
        .expect("à confirmer");
    assert_eq!(pending.len(), 1);
    app.decide_survey_changes(Some(&member), &receipt.answer_id, true, Utc::now())
        .await
        .expect("confirmé");
    assert_eq!(
        store
            .place(&toul)
            .await
            .expect("lieu")
            .expect("trouvé")
            .place
            .extras
            .step_free_access,
        Some(false)
    );

    // Results: three answers, CAF ranked first (11 + 10 points), computers needed 1, given 2.
    let d = app
        .survey_dashboard(Some(&coord), &survey)
        .await
        .expect("tableau");
    assert_eq!((d.summary.places, d.summary.answers), (3, 3));
    let ranking = d
        .results
        .iter()
        .flat_map(|s| &s.questions)
        .find(|q| q.id == "sites_formation")
        .expect("classement");
    let Tally::Ranking { items } = &ranking.tally else {
        panic!("classement")
    };
    assert_eq!((items[0].slug.as_str(), items[0].points), ("caf", 21));
    let computers = d
        .equipment
        .iter()
        .find(|e| e.equipment == "ordinateur")
        .expect("ordinateurs");
    assert_eq!((computers.needed_by, computers.given_by), (1, 2));
    // A member does not see the dashboard.
    assert!(app.survey_dashboard(Some(&member), &survey).await.is_err());

    // Exchanges: Nancy's need meets Toul (nearest) then Lunéville; the coordinator follows one.
    let board = app
        .survey_exchanges(Some(&coord), &survey)
        .await
        .expect("échanges");
    let for_computer: Vec<&str> = board
        .proposals
        .iter()
        .filter(|m| m.equipment == "ordinateur")
        .map(|m| m.offer_place.as_str())
        .collect();
    assert_eq!(for_computer, [toul.as_str(), luneville.as_str()]);
    let m = board.proposals[0].clone();
    // Ids sent by hand that the answers do not pair are refused.
    assert!(
        app.propose_exchange(
            Some(&coord),
            &survey,
            &m.offer_answer,
            &m.need_answer,
            "ordinateur"
        )
        .await
        .is_err()
    );
    let exchange = app
        .propose_exchange(
            Some(&coord),
            &survey,
            &m.need_answer,
            &m.offer_answer,
            &m.equipment,
        )
        .await
        .expect("suivi");
    app.set_exchange_status(Some(&coord), &survey, &exchange, "fait")
        .await
        .expect("fait");
    let board = app
        .survey_exchanges(Some(&coord), &survey)
        .await
        .expect("échanges");
    assert_eq!(board.followed.len(), 1);
    assert!(
        !board
            .proposals
            .iter()
            .any(|p| p.need_answer == m.need_answer && p.offer_answer == m.offer_answer)
    );

    // Closed: links refuse answers.
    app.close_survey(Some(&coord), &survey)
        .await
        .expect("close");
    let (status, _) = page(
        &router,
        "POST",
        &format!("/questionnaire/{link_nancy}"),
        Some(&answer),
    )
    .await;
    assert_eq!(status, StatusCode::GONE);
}

#[tokio::test]
async fn the_public_answers_anonymously_through_a_place_s_link() {
    use axum::http::StatusCode;
    use chrono::Utc;
    use maillage_app::surveys::SurveyForm;

    let store = Store::connect("sqlite::memory:").await.expect("base");
    store
        .create_user(&NewUser {
            email: "coord@test.fr".into(),
            display_name: "Coordination".into(),
            password: "un mot de passe assez long".into(),
            administrator: false,
            territory: vec![TerritoryUnit::Departement("54".into())],
            memberships: vec![],
        })
        .await
        .expect("compte");
    let coord_id = store.users().await.expect("comptes").remove(0).id;
    let coord = store
        .actor(&coord_id)
        .await
        .expect("acteur")
        .expect("présent");
    let referential = Referential::discover().expect("référentiel (scripts/setup.sh)");
    // No e-mail configured: links are made from the survey's page.
    let app = App::new(store.clone(), referential).await.expect("app");
    let router = maillage_web::router(app.clone(), maillage_web::Config::default());
    let mut p = maillage_domain::Place::new(
        "",
        "Médiathèque de Nancy",
        "1 rue A",
        "54000",
        "Nancy",
        maillage_app::today(),
    );
    p.insee_code = Some("54395".into());
    p.emails = vec!["accueil@mediatheque.fr".into()];
    store.create_place(p, None, None).await.expect("lieu");
    let survey = app
        .start_survey(
            Some(&coord),
            &SurveyForm {
                kind: "usages".into(),
                title: "Usages 2027".into(),
                closes_on: (maillage_app::today() + chrono::Days::new(10))
                    .format("%Y-%m-%d")
                    .to_string(),
                zone: "Nancy".into(),
            },
            Utc::now(),
        )
        .await
        .expect("enquête");
    let d = app
        .survey_dashboard(Some(&coord), &survey)
        .await
        .expect("tableau");
    assert!(
        !d.rows[0].invitation.has_link,
        "pas de courriel : pas de lien envoyé"
    );
    let token = app
        .renew_survey_link(Some(&coord), &survey, &d.rows[0].invitation.id)
        .await
        .expect("lien");
    for (age, email) in [("moins-25", "oui"), ("plus-55", "non"), ("plus-55", "non")] {
        let body = form(&[
            ("q.age", age),
            ("q.courriel", email),
            ("q.maitrise.smartphone", "bon"),
            ("q.maitrise.ordinateur", "ne-sait-pas"),
            ("q.themes", "demarches"),
        ]);
        let (status, text) = page(
            &router,
            "POST",
            &format!("/questionnaire/{token}"),
            Some(&body),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{text}");
        assert!(text.contains("Une autre personne peut répondre"), "{text}");
    }
    let d = app
        .survey_dashboard(Some(&coord), &survey)
        .await
        .expect("tableau");
    assert_eq!(d.summary.answers, 3);
    let age = d
        .results
        .iter()
        .flat_map(|s| &s.questions)
        .find(|q| q.id == "age")
        .expect("âge");
    let maillage_domain::surveys::Tally::Choices { counts } = &age.tally else {
        panic!("choix")
    };
    let over_55 = counts
        .iter()
        .find(|c| c.slug == "plus-55")
        .expect("plus de 55");
    assert_eq!((over_55.count, over_55.share), (2, 66.7));
    // A public answer changes no place's entry.
    assert!(
        store
            .survey_answers(&survey)
            .await
            .expect("réponses")
            .iter()
            .all(|a| a.place_update == maillage_store::PlaceUpdate::None)
    );
}
