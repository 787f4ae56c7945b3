//! A referral between two structures, every status, by e-mail.

use super::*;

#[tokio::test]
async fn a_referral_goes_through_every_status_between_two_organisations() {
    use maillage_app::referrals::Outgoing;
    use maillage_domain::Vocabulary;
    use maillage_domain::policy::Membership;
    use maillage_domain::referrals::{
        DeclineReason, Event, Outcome, ReferralForm, ReferralStatus as S,
    };

    let (url, inbox) = smtp_sink().await;
    let store = Store::connect("sqlite::memory:").await.expect("base");
    let since = chrono::NaiveDate::from_ymd_opt(2025, 1, 1).expect("date");
    for (id, name) in [
        ("org-a", "Médiathèque de Nancy"),
        ("org-b", "France Services de Nancy"),
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
    for (email, org) in [("envoie@test.fr", "org-a"), ("recoit@test.fr", "org-b")] {
        store
            .create_user(&NewUser {
                email: email.into(),
                display_name: email.into(),
                password: "un mot de passe assez long".into(),
                administrator: false,
                territory: vec![],
                memberships: vec![Membership {
                    organisation_id: org.into(),
                    since,
                    until: None,
                }],
            })
            .await
            .expect("compte");
    }
    let users = store.users().await.expect("comptes");
    let actor_of = |email: &str| {
        let id = users
            .iter()
            .find(|u| u.email == email)
            .map(|u| u.id.clone());
        let store = store.clone();
        async move {
            store
                .actor(&id.expect("compte"))
                .await
                .expect("acteur")
                .expect("présent")
        }
    };
    let sender = actor_of("envoie@test.fr").await;
    let receiver = actor_of("recoit@test.fr").await;
    let day = chrono::NaiveDate::from_ymd_opt(2026, 1, 5).expect("date");
    let mut fs = maillage_domain::Place::new(
        "",
        "France Services de Nancy",
        "1 place Carnot",
        "54000",
        "Nancy",
        day,
    );
    fs.insee_code = Some("54395".into());
    let fs_id = store
        .create_place(fs, Some("org-b"), None)
        .await
        .expect("lieu");
    let mut ml =
        maillage_domain::Place::new("", "Mission locale", "2 rue B", "54000", "Nancy", day);
    ml.emails = vec!["accueil@mission-locale.example".into()];
    let ml_id = store.create_place(ml, None, None).await.expect("lieu");
    let referential = Referential::discover().expect("référentiel (scripts/setup.sh)");
    let app = App::new(store, referential).await.expect("app").with_mail(
        Mailer::smtp(&url, "Maillage <ne-pas-repondre@test.fr>").expect("mailer"),
        "https://annuaire.exemple.fr",
    );
    let oral = ReferralForm {
        person_label: "Karim".into(),
        contact: "06 12 34 56 78".into(),
        note: "Sans revenus depuis un mois.".into(),
        consent: "orale".into(),
        explained: "Prénom, téléphone et demande transmis à la France Services.".into(),
        confirmed: true,
    };
    let outgoing = |place: &str, form: ReferralForm| Outgoing {
        place_id: place.into(),
        request_id: Some("inscription-france-travail".into()),
        request_title: "S'inscrire à France Travail".into(),
        level: Some("debutant".into()),
        constraints: Some("libre le mardi matin".into()),
        form,
        ..Outgoing::default()
    };

    // Sent with oral consent: the receiving organisation's members are told.
    let id = app
        .send_referral(Some(&sender), &outgoing(&fs_id, oral.clone()))
        .await
        .expect("envoi")
        .expect("formulaire valide");
    let told = last_to(&inbox, "recoit@test.fr").expect("la structure est prévenue");
    assert!(told.contains("S'inscrire à France Travail") && told.contains("Karim"));
    assert!(told.contains(&format!("https://annuaire.exemple.fr/orientations/{id}")));
    assert!(told.contains("Niveau num"));

    // The sender may not answer; opening by the receiver marks it received.
    assert!(
        app.answer_referral(Some(&sender), &id, Event::TakeInCharge, None)
            .await
            .is_err()
    );
    let view = app.referral_view(Some(&receiver), &id).await.expect("vue");
    assert_eq!(view.referral.status, S::Received);
    assert!(view.may_answer && !view.is_sender);
    for (event, status) in [
        (Event::TakeInCharge, S::TakenInCharge),
        (Event::NoShow, S::NoShow),
        (
            Event::Close {
                outcome: Outcome::Abandoned,
            },
            S::Closed,
        ),
    ] {
        let r = app
            .answer_referral(Some(&receiver), &id, event, None)
            .await
            .expect("réponse");
        assert_eq!(r.status, status);
        let mail = last_to(&inbox, "envoie@test.fr").expect("l'expéditeur est prévenu");
        assert!(mail.contains(&status.label().to_lowercase()), "{mail}");
    }
    let view = app.referral_view(Some(&sender), &id).await.expect("vue");
    assert_eq!(view.events.len(), 5);
    // A closed referral takes no more answers.
    assert!(
        app.answer_referral(Some(&receiver), &id, Event::TakeInCharge, None)
            .await
            .is_err()
    );

    // The person's data, exported for them by either structure.
    let export = serde_json::to_value(
        app.journey_export(Some(&receiver), &id)
            .await
            .expect("export"),
    )
    .expect("JSON");
    assert_eq!(export["prenom_ou_pseudonyme"], "Karim");
    assert_eq!(
        export["orientations"][0]["transmis"]["note"],
        "Sans revenus depuis un mois."
    );
    assert!(
        export["orientations"][0]["historique"]
            .as_array()
            .is_some_and(|h| h.len() == 5)
    );

    // Onward, to a place not on Maillage: its address gets a single-use link to answer.
    let onward = app
        .send_referral(
            Some(&receiver),
            &Outgoing {
                journey_id: Some(view.referral.journey_id.clone()),
                ..outgoing(&ml_id, oral.clone())
            },
        )
        .await
        .expect("envoi")
        .expect("valide");
    let mail = last_to(&inbox, "accueil@mission-locale.example").expect("lien de réponse");
    let token = link_in(&mail, "/orientations/reponse/");
    let r = app
        .answer_by_link(
            &token,
            Event::Decline {
                reason: DeclineReason::NotEligible,
            },
            Some("France Travail"),
        )
        .await
        .expect("réponse par lien");
    assert_eq!(r.status, S::Declined);
    let told = last_to(&inbox, "recoit@test.fr").expect("l'expéditeur est prévenu");
    assert!(
        told.contains("Non éligible") && told.contains("France Travail"),
        "{told}"
    );
    // The journey shows both hand-offs to both sides.
    let view = app.referral_view(Some(&sender), &id).await.expect("vue");
    assert_eq!(view.journey.len(), 2);
    assert_eq!(view.journey[1].id, onward);

    // Consent by link: nothing leaves before the person agrees; withdrawal erases.
    let by_link = ReferralForm {
        contact: "karim@exemple.fr".into(),
        consent: "lien".into(),
        ..oral.clone()
    };
    let before = count_to(&inbox, "recoit@test.fr");
    let pending = app
        .send_referral(Some(&sender), &outgoing(&fs_id, by_link))
        .await
        .expect("envoi")
        .expect("valide");
    assert_eq!(
        count_to(&inbox, "recoit@test.fr"),
        before,
        "rien avant l'accord"
    );
    let mail = last_to(&inbox, "karim@exemple.fr").expect("demande d'accord");
    let token = link_in(&mail, "/orientations/accord/");
    let r = app.confirm_consent(&token).await.expect("accord");
    assert_eq!(r.status, S::Sent);
    assert_eq!(count_to(&inbox, "recoit@test.fr"), before + 1);
    assert!(
        app.confirm_consent(&token).await.is_err(),
        "lien à usage unique"
    );
    let r = app
        .answer_referral(Some(&sender), &pending, Event::Withdraw, None)
        .await
        .expect("retrait");
    assert_eq!(r.status, S::Withdrawn);
    let after = app
        .referral_view(Some(&receiver), &pending)
        .await
        .expect("vue");
    assert_eq!(after.referral.person_label, None);
    assert_eq!(after.referral.contact, None);
    assert_eq!(after.referral.shared, maillage_store::Shared::default());

    // The sender relaunches a structure without account: a new link, the old one stops.
    let relaunched = app
        .send_referral(Some(&sender), &outgoing(&ml_id, oral.clone()))
        .await
        .expect("envoi")
        .expect("valide");
    let first = link_in(
        &last_to(&inbox, "accueil@mission-locale.example").expect("lien"),
        "/orientations/reponse/",
    );
    assert!(
        app.resend_referral(Some(&receiver), &relaunched)
            .await
            .is_err()
    );
    app.resend_referral(Some(&sender), &relaunched)
        .await
        .expect("relance");
    let second = link_in(
        &last_to(&inbox, "accueil@mission-locale.example").expect("lien"),
        "/orientations/reponse/",
    );
    assert_ne!(first, second);
    assert!(app.referral_by_link(&first, "reponse").await.is_err());
    assert!(app.referral_by_link(&second, "reponse").await.is_ok());
    app.answer_by_link(&second, Event::TakeInCharge, None)
        .await
        .expect("prise en charge par lien");

    // Schedule: a reminder after a week without answer, expiry after 30 days (sender told),
    // erasure 12 months after the journey closed.
    let waiting = app
        .send_referral(Some(&sender), &outgoing(&fs_id, oral.clone()))
        .await
        .expect("envoi")
        .expect("valide");
    let now = chrono::Utc::now();
    let reminders = count_to(&inbox, "recoit@test.fr");
    let (reminded, expired, _) = app
        .run_referral_schedule(now + chrono::Duration::days(8))
        .await
        .expect("rappels");
    assert_eq!((reminded, expired), (1, 0));
    assert_eq!(count_to(&inbox, "recoit@test.fr"), reminders + 1);
    assert!(last_to(&inbox, "recoit@test.fr").is_some_and(|m| m.contains("Rappel")));
    let (_, expired, _) = app
        .run_referral_schedule(now + chrono::Duration::days(31))
        .await
        .expect("expiration");
    assert_eq!(expired, 1);
    let r = app
        .referral_view(Some(&sender), &waiting)
        .await
        .expect("vue");
    assert_eq!(r.referral.status, S::Expired);
    assert!(last_to(&inbox, "envoie@test.fr").is_some_and(|m| m.contains("expirée")));
    let (_, _, erased) = app
        .run_referral_schedule(now + chrono::Duration::days(400))
        .await
        .expect("effacement");
    assert!(erased >= 1);
    let r = app
        .referral_view(Some(&sender), &waiting)
        .await
        .expect("vue");
    assert_eq!(r.referral.person_label, None);
}
