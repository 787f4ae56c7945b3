//! Workshops' waiting list and the watch's digests, by e-mail.

use super::*;

#[tokio::test]
async fn workshop_waiting_list_and_promotion_by_email() {
    use maillage_app::workshops::WorkshopFilter;
    use maillage_domain::diagnostic::Level;
    use maillage_domain::policy::{Actor, Membership};
    use maillage_domain::workshops::{RegistrationStatus, WorkshopForm};

    let (url, inbox) = smtp_sink().await;
    let store = Store::connect("sqlite::memory:").await.expect("base");
    let org = store
        .create_organisation(&maillage_domain::organisation::Organisation {
            id: String::new(),
            name: "Médiathèque de Toul".into(),
            pivot: None,
            typologies: vec![],
            departement: Some("54".into()),
        })
        .await
        .expect("structure");
    let referential = Referential::discover().expect("référentiel (scripts/setup.sh)");
    let app = App::new(store, referential).await.expect("app").with_mail(
        Mailer::smtp(&url, "Maillage <ne-pas-repondre@test.fr>").expect("mailer"),
        "https://annuaire.exemple.fr",
    );
    let member = Actor {
        user_id: "aidant".into(),
        memberships: vec![Membership {
            organisation_id: org.clone(),
            since: chrono::NaiveDate::from_ymd_opt(2020, 1, 1).expect("date"),
            until: None,
        }],
        ..Default::default()
    };
    let day = maillage_app::today() + chrono::Days::new(10);
    let mut w = WorkshopForm {
        title: "Premiers pas sur smartphone".into(),
        themes: vec!["materiel".into()],
        level_required: Level::Beginner.slug().into(),
        level_reached: Level::Intermediate.slug().into(),
        commune: "Toul".into(),
        sessions: format!("{day} 14:00-16:00"),
        capacity: "2".into(),
        free: true,
        ..Default::default()
    }
    .validate("")
    .expect("valide");
    w.organisation_id = Some(org.clone());
    // Somebody else's structure: refused; a member: published, the commune resolved.
    let stranger = Actor {
        user_id: "autre".into(),
        ..Default::default()
    };
    assert!(
        app.publish_workshop(Some(&stranger), w.clone())
            .await
            .is_err()
    );
    let id = app
        .publish_workshop(Some(&member), w)
        .await
        .expect("publié");
    let stored = app.workshop(&id).await.expect("atelier");
    assert_eq!(stored.workshop.insee_code.as_deref(), Some("54528"));

    // Found for a Débutant near Nancy, not for an Avancé.
    let (nancy, _) = app.resolve_near("Nancy").expect("Nancy");
    let mut f = WorkshopFilter {
        level: Some(Level::Beginner),
        near: Some((nancy, 30.0)),
        ..Default::default()
    };
    assert_eq!(app.find_workshops(&f).await.expect("recherche").len(), 1);
    f.level = Some(Level::Advanced);
    assert!(app.find_workshops(&f).await.expect("recherche").is_empty());

    let mut tokens = Vec::new();
    for (name, contact) in [
        ("Ana", "ana@exemple.fr"),
        ("Bruno", "06 12 34 56 78"),
        ("Chloé", "chloe@exemple.fr"),
    ] {
        let (r, token) = app
            .register_person(Some(&member), "ip:test", &id, name, contact)
            .await
            .expect("inscription");
        tokens.push((r, token));
    }
    assert_eq!(tokens[2].0.status, RegistrationStatus::Waiting);
    assert_eq!(tokens[1].0.contact.as_deref(), Some("+33612345678"));
    assert!(matches!(
        app.register_person(None, "ip:test", &id, "", "").await,
        Err(maillage_app::AppError::Invalid(m)) if m.contains("prénom")
    ));
    {
        let inbox = inbox.lock().expect("boîte");
        assert_eq!(
            inbox.len(),
            2,
            "Ana (confirmée) et Chloé (en attente) ; Bruno n'a pas de courriel"
        );
        assert!(
            inbox[0].1.contains("inscription est confirm"),
            "{}",
            inbox[0].1
        );
        assert!(inbox[1].1.contains("liste d'attente") || inbox[1].1.contains("Liste d'attente"));
        assert!(inbox[0].1.contains("/ateliers/annulation/"));
    }
    // Ana cancels with her link: Chloé gets the seat and is told.
    app.cancel_by_token(&tokens[0].1).await.expect("annulée");
    {
        let inbox = inbox.lock().expect("boîte");
        assert_eq!(inbox.len(), 3);
        assert_eq!(inbox[2].0, ["chloe@exemple.fr"]);
        assert!(inbox[2].1.contains("place s'est lib"), "{}", inbox[2].1);
    }
    let (_, list) = app
        .workshop_registrations(Some(&member), &id)
        .await
        .expect("liste");
    let states: Vec<_> = list
        .iter()
        .map(|r| (r.pseudonym.as_str(), r.status))
        .collect();
    assert_eq!(
        states,
        [
            ("Ana", RegistrationStatus::Cancelled),
            ("Bruno", RegistrationStatus::Registered),
            ("Chloé", RegistrationStatus::Registered)
        ]
    );
    assert!(
        app.workshop_registrations(Some(&stranger), &id)
            .await
            .is_err()
    );
    app.take_attendance(Some(&member), &id, std::slice::from_ref(&list[1].id))
        .await
        .expect("présences");
    // Reminders: nothing ten days before; the day before, Chloé (the only one with an e-mail
    // still registered) is reminded, once.
    assert_eq!(
        app.send_workshop_reminders(chrono::Utc::now())
            .await
            .expect("rappels"),
        0
    );
    let before = {
        use chrono::TimeZone;
        chrono_tz::Europe::Paris
            .from_local_datetime(&day.and_hms_opt(10, 0, 0).expect("heure"))
            .earliest()
            .expect("heure locale")
            .with_timezone(&chrono::Utc)
    };
    assert_eq!(
        app.send_workshop_reminders(before).await.expect("rappels"),
        1
    );
    assert_eq!(
        app.send_workshop_reminders(before).await.expect("rappels"),
        0,
        "une seule fois"
    );
    {
        let inbox = inbox.lock().expect("boîte");
        assert_eq!(
            inbox.last().map(|m| m.0.clone()),
            Some(vec!["chloe@exemple.fr".to_string()])
        );
        assert!(inbox.last().is_some_and(|m| m.1.contains("Petit rappel")));
    }
    // The feeds.
    let ics = app
        .workshops_ics(&WorkshopFilter::default(), "Ateliers")
        .await
        .expect("ics");
    assert!(ics.contains("BEGIN:VEVENT") && ics.contains("SUMMARY:Premiers pas sur smartphone"));
    assert!(
        ics.contains(&format!("DTSTART:{}T130000Z", day.format("%Y%m%d"))),
        "14 h à Toul = 13 h UTC en hiver\n{ics}"
    );
    let csv = String::from_utf8(
        app.workshops_csv(&WorkshopFilter::default())
            .await
            .expect("csv"),
    )
    .expect("utf-8");
    assert!(
        csv.contains("Premiers pas sur smartphone;") && csv.contains(";debutant;intermediaire;")
    );
}

#[tokio::test]
async fn the_watch_digest_lists_the_subscribed_platforms_news_and_urgent_items_leave_at_once() {
    use maillage_domain::watch::{Frequency, NewsForm, Platform};
    let (url, inbox) = smtp_sink().await;
    let store = Store::connect("sqlite::memory:").await.expect("base");
    let mut actors = Vec::new();
    for (email, territory) in [
        (
            "coord@test.fr",
            vec![TerritoryUnit::Departement("54".into())],
        ),
        ("aidante@test.fr", vec![]),
        ("aidant-ants@test.fr", vec![]),
    ] {
        let id = store
            .create_user(&NewUser {
                email: email.into(),
                display_name: email.into(),
                password: "un mot de passe assez long".into(),
                administrator: false,
                territory,
                memberships: vec![],
            })
            .await
            .expect("compte");
        actors.push(store.actor(&id).await.expect("acteur").expect("présent"));
    }
    let (coord, helper, other) = (&actors[0], &actors[1], &actors[2]);
    let referential = Referential::discover().expect("référentiel (scripts/setup.sh)");
    let app = App::for_writes(store, referential).expect("app").with_mail(
        Mailer::smtp(&url, "Maillage <ne-pas-repondre@test.fr>").expect("mailer"),
        "https://reseau.exemple.fr",
    );
    app.subscribe(
        Some(helper),
        vec![Platform::Caf, Platform::Taxes],
        Frequency::Weekly,
        true,
    )
    .await
    .expect("abonnement");
    app.subscribe(Some(other), vec![Platform::Ants], Frequency::Weekly, false)
        .await
        .expect("abonnement");
    assert!(
        app.subscribe(None, vec![], Frequency::Weekly, false)
            .await
            .is_err(),
        "connexion nécessaire"
    );
    let news = |title: &str, platform: &str, urgent: bool| NewsForm {
        title: title.into(),
        what_changed: "La connexion passe désormais par FranceConnect.".into(),
        who: "Les allocataires".into(),
        what_to_say: "Préparez vos identifiants ameli ou impots.gouv.".into(),
        links: "https://www.caf.fr\n".into(),
        platforms: vec![platform.into()],
        procedures: "Prime d'activité".into(),
        urgent,
        ..Default::default()
    };
    assert!(
        app.post_news(Some(helper), "Aidante", &news("Interdit", "caf", false))
            .await
            .is_err(),
        "les aidants ne publient pas"
    );
    let (_, told) = app
        .post_news(
            Some(coord),
            "Coordination 54",
            &news("CAF : nouvelle connexion", "caf", false),
        )
        .await
        .map_err(|_| "refusée")
        .expect("publiée");
    assert_eq!(told, 0);
    app.post_news(
        Some(coord),
        "Coordination 54",
        &news("ANTS : permis en ligne", "ants", false),
    )
    .await
    .map_err(|_| "refusée")
    .expect("publiée");
    // Urgent: leaves at once to the CAF subscriber who asked for urgent items.
    let (urgent_id, told) = app
        .post_news(
            Some(coord),
            "Coordination 54",
            &news("Impôts : panne de l'espace particulier", "impots", true),
        )
        .await
        .map_err(|_| "refusée")
        .expect("publiée");
    assert_eq!(told, 1);
    {
        let inbox = inbox.lock().expect("boîte");
        assert_eq!(inbox.len(), 1);
        assert_eq!(inbox[0].0, ["aidante@test.fr"]);
        assert!(inbox[0].1.contains("Impôts : panne"), "{}", inbox[0].1);
    }
    assert_eq!(
        app.send_urgent_news(&urgent_id).await.expect("renvoi"),
        0,
        "une seule fois"
    );

    // Not due yet: nothing leaves; on Monday morning, each digest holds its platforms' news.
    assert_eq!(
        app.send_digests(chrono::Utc::now(), false)
            .await
            .expect("résumés"),
        0
    );
    let monday = maillage_domain::watch::next_digest_after(chrono::Utc::now());
    assert_eq!(app.send_digests(monday, false).await.expect("résumés"), 2);
    {
        let inbox = inbox.lock().expect("boîte");
        assert_eq!(inbox.len(), 3);
        let to = |who: &str| {
            inbox
                .iter()
                .find(|(rcpt, body)| {
                    rcpt == &[who.to_string()] && body.contains("Veille de la semaine")
                })
                .map(|(_, body)| body.clone())
                .expect("résumé")
        };
        let digest = to("aidante@test.fr");
        assert!(digest.contains("CAF : nouvelle connexion"), "{digest}");
        assert!(digest.contains("Ce qu'il faut dire aux personnes"));
        assert!(digest.contains("https://reseau.exemple.fr/veille/abonnement"));
        assert!(!digest.contains("ANTS : permis"), "plateforme non suivie");
        assert!(!digest.contains("Impôts : panne"), "déjà envoyée");
        let other_digest = to("aidant-ants@test.fr");
        assert!(other_digest.contains("ANTS : permis") && !other_digest.contains("CAF :"));
    }
    // The next digest is a week later and holds nothing already sent.
    assert_eq!(
        app.send_digests(monday + chrono::Duration::days(7), false)
            .await
            .expect("résumés"),
        0
    );
    assert_eq!(inbox.lock().expect("boîte").len(), 3);
    assert!(app.unsubscribe(Some(helper)).await.expect("désabonnement"));
}
