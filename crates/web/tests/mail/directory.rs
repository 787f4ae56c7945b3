//! Error reports and update campaigns, by e-mail.

use super::*;

#[tokio::test]
async fn reports_reach_the_keepers_and_the_reporter_is_told() {
    let (url, inbox) = smtp_sink().await;
    let store = Store::connect("sqlite::memory:").await.expect("base");
    for (email, territory) in [
        (
            "coord@test.fr",
            vec![TerritoryUnit::Departement("54".into())],
        ),
        (
            "ailleurs@test.fr",
            vec![TerritoryUnit::Departement("13".into())],
        ),
    ] {
        store
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
    }
    let coord = store
        .users()
        .await
        .expect("comptes")
        .into_iter()
        .find(|u| u.email == "coord@test.fr")
        .expect("coordinateur");
    let actor = store
        .actor(&coord.id)
        .await
        .expect("acteur")
        .expect("présent");
    let place = maillage_domain::Place::new(
        "",
        "Médiathèque de Nancy",
        "1 rue A",
        "54000",
        "Nancy",
        chrono::NaiveDate::from_ymd_opt(2026, 1, 5).expect("date"),
    );
    let mut place = place;
    place.insee_code = Some("54395".into());
    let referential = Referential::discover().expect("référentiel (scripts/setup.sh)");
    let app = App::new(store, referential).await.expect("app").with_mail(
        Mailer::smtp(&url, "Maillage <ne-pas-repondre@test.fr>").expect("mailer"),
        "https://annuaire.exemple.fr/",
    );
    let id = app
        .create_place(Some(&actor), place, None)
        .await
        .expect("lieu");

    let report = app
        .report_error(
            "ip:test",
            &id,
            "horaires",
            "Fermé le lundi",
            "marie@exemple.fr",
        )
        .await
        .map_err(|_| "signalement refusé")
        .expect("signalement");
    {
        let inbox = inbox.lock().expect("boîte");
        assert_eq!(inbox.len(), 1, "le coordinateur du 54, pas celui du 13");
        assert_eq!(inbox[0].0, ["coord@test.fr"]);
        assert!(
            inbox[0]
                .1
                .contains("https://annuaire.exemple.fr/signalements")
        );
    }

    app.resolve_report(Some(&actor), &report, "Horaires corrigés")
        .await
        .expect("traité");
    let inbox = inbox.lock().expect("boîte");
    assert_eq!(inbox.len(), 2);
    assert_eq!(inbox[1].0, ["marie@exemple.fr"]);
    assert!(inbox[1].1.contains("Horaires corrigés"), "{}", inbox[1].1);
    assert!(inbox[1].1.contains(&format!("/lieux/{id}")));
}

#[tokio::test]
async fn an_update_campaign_end_to_end() {
    use axum::http::StatusCode;
    use chrono::{Duration, Utc};
    use maillage_app::campaigns::CampaignScope;
    use maillage_domain::campaigns::RequestStatus;

    let (url, inbox) = smtp_sink().await;
    let store = Store::connect("sqlite::memory:").await.expect("base");
    store
        .create_user(&NewUser {
            email: "coord@test.fr".into(),
            display_name: "Coordination 54".into(),
            password: "un mot de passe assez long".into(),
            administrator: false,
            territory: vec![TerritoryUnit::Departement("54".into())],
            memberships: vec![],
        })
        .await
        .expect("compte");
    let coord = store.users().await.expect("comptes").remove(0);
    let actor = store
        .actor(&coord.id)
        .await
        .expect("acteur")
        .expect("présent");
    let referential = Referential::discover().expect("référentiel (scripts/setup.sh)");
    let app = App::new(store.clone(), referential)
        .await
        .expect("app")
        .with_mail(
            Mailer::smtp(&url, "Maillage <ne-pas-repondre@test.fr>").expect("mailer"),
            "https://annuaire.exemple.fr",
        );
    let router = maillage_web::router(app.clone(), maillage_web::Config::default());
    let old = chrono::NaiveDate::from_ymd_opt(2025, 3, 1).expect("date");
    let mut ids = Vec::new();
    for (name, insee, postcode, commune, email) in [
        (
            "Médiathèque de Nancy",
            "54395",
            "54000",
            "Nancy",
            Some("lea@mediatheque.fr"),
        ),
        (
            "Centre social de Toul",
            "54528",
            "54200",
            "Toul",
            Some("inconnu@toul.fr"),
        ),
        ("Mairie de Lunéville", "54329", "54300", "Lunéville", None),
        (
            "Espace numérique d'Avignon",
            "84007",
            "84000",
            "Avignon",
            Some("avignon@exemple.fr"),
        ),
    ] {
        let mut p = maillage_domain::Place::new("", name, "1 rue A", postcode, commune, old);
        p.insee_code = Some(insee.into());
        p.emails = email.map(|e| vec![e.to_string()]).unwrap_or_default();
        let id = store.create_place(p, None, None).await.expect("lieu");
        ids.push(id);
    }

    // The coordinator of the 54 starts a campaign: one message per reachable referent of the 54.
    let campaign = app
        .start_campaign(
            Some(&actor),
            "Vérification 2026",
            CampaignScope::All,
            Utc::now(),
        )
        .await
        .expect("campagne");
    {
        let inbox = inbox.lock().expect("boîte");
        assert_eq!(
            inbox.len(),
            1,
            "Nancy seulement : Toul refusé, Lunéville sans adresse, Avignon hors territoire"
        );
        assert_eq!(inbox[0].0, ["lea@mediatheque.fr"]);
        assert!(
            inbox[0]
                .1
                .contains("https://annuaire.exemple.fr/mise-a-jour/")
        );
    }
    let d = app
        .campaign_dashboard(Some(&actor), &campaign)
        .await
        .expect("tableau de bord");
    assert_eq!(
        (
            d.tally.total,
            d.tally.pending,
            d.tally.bounced,
            d.tally.no_address
        ),
        (3, 1, 1, 1)
    );
    let bounced = d
        .rows
        .iter()
        .find(|(r, _)| r.status == RequestStatus::Bounced)
        .expect("en échec");
    assert!(
        bounced
            .0
            .detail
            .as_deref()
            .unwrap_or_default()
            .contains("refusée")
    );

    // The link opens the page without an account, confirms once, then says it was used.
    let token = link_sent_to(&inbox, "lea@mediatheque.fr");
    let (status, html) = page(&router, "GET", &format!("/mise-a-jour/{token}"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Médiathèque de Nancy") && html.contains("Rien n'a changé"));
    let wrong = "0".repeat(64);
    let (status, _) = page(&router, "GET", &format!("/mise-a-jour/{wrong}"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, html) = page(
        &router,
        "POST",
        &format!("/mise-a-jour/{token}/confirmer"),
        Some(""),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let nancy = app.place(&ids[0]).await.expect("lieu");
    assert_eq!(nancy.place.updated_on, chrono::Local::now().date_naive());
    for (method, uri) in [
        ("POST", format!("/mise-a-jour/{token}/confirmer")),
        ("GET", format!("/mise-a-jour/{token}")),
        ("GET", format!("/mise-a-jour/{token}/corriger")),
    ] {
        let (status, html) = page(&router, method, &uri, Some("")).await;
        assert_eq!(status, StatusCode::GONE, "{method} {uri}");
        assert!(html.contains("déjà été vérifiée"));
    }
    let d = app
        .campaign_dashboard(Some(&actor), &campaign)
        .await
        .expect("tableau de bord");
    assert_eq!((d.tally.confirmed, d.tally.pending), (1, 0));

    // A campaign started 40 days ago: its links have expired; the reminder sends a new one.
    let mut late = maillage_domain::Place::new(
        "",
        "Fablab de Vandœuvre",
        "2 rue B",
        "54500",
        "Vandœuvre-lès-Nancy",
        old,
    );
    late.insee_code = Some("54547".into());
    late.emails = vec!["fablab@exemple.fr".into()];
    let late_id = store.create_place(late, None, None).await.expect("lieu");
    let long_ago = Utc::now() - Duration::days(40);
    let second = app
        .start_campaign(Some(&actor), "Rattrapage", CampaignScope::All, long_ago)
        .await
        .expect("campagne");
    let expired = link_sent_to(&inbox, "fablab@exemple.fr");
    let (status, html) = page(&router, "GET", &format!("/mise-a-jour/{expired}"), None).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(html.contains("expiré"));
    // Asked 40 days ago, never answered: the quality page lists the place.
    let never = app
        .never_answered_places(Some(&actor), Utc::now())
        .await
        .expect("sans réponse");
    let never: Vec<&str> = never.iter().map(|p| p.place.id.as_str()).collect();
    assert!(never.contains(&late_id.as_str()));
    assert!(
        !never.contains(&ids[0].as_str()),
        "Nancy a répondu à la première campagne"
    );
    let before = inbox.lock().expect("boîte").len();
    let sent = app
        .send_campaign_reminders(Utc::now())
        .await
        .expect("rappels");
    assert_eq!(
        sent, 2,
        "Nancy et le fablab, en attente dans la seconde campagne"
    );
    assert_eq!(inbox.lock().expect("boîte").len(), before + 2);
    assert_eq!(
        app.send_campaign_reminders(Utc::now())
            .await
            .expect("rappels"),
        0,
        "pas de second rappel le même jour"
    );
    let fresh = link_sent_to(&inbox, "fablab@exemple.fr");
    assert_ne!(fresh, expired);
    {
        let inbox = inbox.lock().expect("boîte");
        assert!(
            inbox
                .last()
                .is_some_and(|(_, body)| body.contains("Rappel"))
        );
    }

    // Correcting through the reminder's link: the page changes, the request is "corrected".
    let (status, html) = page(
        &router,
        "GET",
        &format!("/mise-a-jour/{fresh}/corriger"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Fablab de Vandœuvre") && !html.contains("Supprimer ce lieu"));
    let form = "nom=Fablab+de+Vand%C5%93uvre&adresse=2+rue+B&code_postal=54500&commune=Vand%C5%93uvre-l%C3%A8s-Nancy&telephone=03+83+11+22+33&courriels=fablab%40exemple.fr&horaires=Mo-Fr+14%3A00-18%3A00&service=demarches";
    let bad = form.replace("code_postal=54500", "code_postal=ABC");
    let (status, _) = page(
        &router,
        "POST",
        &format!("/mise-a-jour/{fresh}/corriger"),
        Some(&bad),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "erreur montrée, lien encore valable"
    );
    let (status, html) = page(
        &router,
        "POST",
        &format!("/mise-a-jour/{fresh}/corriger"),
        Some(form),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("corrigée"));
    let fablab = app.place(&late_id).await.expect("lieu");
    assert_eq!(fablab.place.phone.as_deref(), Some("+33383112233"));
    assert_eq!(
        fablab.place.opening_hours.as_deref(),
        Some("Mo-Fr 14:00-18:00")
    );
    let d = app
        .campaign_dashboard(Some(&actor), &second)
        .await
        .expect("tableau de bord");
    assert_eq!((d.tally.corrected, d.tally.pending), (1, 1));

    // A member answering from their account counts too; closing stops the links.
    app.confirm_place(Some(&actor), &ids[0])
        .await
        .expect("confirmé");
    let d = app
        .campaign_dashboard(Some(&actor), &second)
        .await
        .expect("tableau de bord");
    assert_eq!((d.tally.confirmed, d.tally.pending), (1, 0));
    app.close_campaign(Some(&actor), &second, Utc::now())
        .await
        .expect("close");
    let (status, _) = page(&router, "GET", &format!("/mise-a-jour/{fresh}"), None).await;
    assert_eq!(status, StatusCode::GONE);
    let listed = app.campaigns_for(Some(&actor)).await.expect("campagnes");
    assert_eq!(listed.len(), 2);
}
