//! The end of a mandate announced once, to the person and to the structure's habilitated
//! helpers (issue #19).

use super::*;

#[tokio::test]
async fn a_mandate_ending_is_announced_once_to_the_person_and_the_helpers() {
    use maillage_app::mandates::HabilitationForm;
    use maillage_app::schedule::Job;
    use maillage_domain::mandates::MandateForm;
    use maillage_domain::policy::{Actor, Membership};

    let (url, inbox) = smtp_sink().await;
    let store = Store::connect("sqlite::memory:").await.expect("base");
    let org = store
        .create_organisation(&maillage_domain::organisation::Organisation {
            id: String::new(),
            name: "France Services de Toul".into(),
            pivot: None,
            typologies: vec![],
            departement: Some("54".into()),
        })
        .await
        .expect("structure");
    let since = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).expect("date");
    let membership = Membership {
        organisation_id: org.clone(),
        since,
        until: None,
    };
    let helper_id = store
        .create_user(&NewUser {
            email: "aidante@test.fr".into(),
            display_name: "Aidante".into(),
            password: "un mot de passe long".into(),
            administrator: false,
            territory: vec![],
            memberships: vec![membership.clone()],
        })
        .await
        .expect("aidante");
    let _colleague = store
        .create_user(&NewUser {
            email: "collegue@test.fr".into(),
            display_name: "Collègue".into(),
            password: "un mot de passe long".into(),
            administrator: false,
            territory: vec![],
            memberships: vec![membership.clone()],
        })
        .await
        .expect("collègue");
    let coordinator_id = store
        .create_user(&NewUser {
            email: "coordination@test.fr".into(),
            display_name: "Coordination".into(),
            password: "un mot de passe long".into(),
            administrator: false,
            territory: vec![TerritoryUnit::Departement("54".into())],
            memberships: vec![],
        })
        .await
        .expect("coordination");
    let referential = Referential::discover().expect("référentiel (scripts/setup.sh)");
    let app = App::new(store, referential).await.expect("app").with_mail(
        Mailer::smtp(&url, "Maillage <ne-pas-repondre@test.fr>").expect("mailer"),
        "https://annuaire.exemple.fr",
    );
    let helper = Actor {
        user_id: helper_id.clone(),
        memberships: vec![membership.clone()],
        ..Default::default()
    };
    let coordinator = Actor {
        user_id: coordinator_id,
        territory: vec![TerritoryUnit::Departement("54".into())],
        ..Default::default()
    };
    app.change_habilitation(
        Some(&coordinator),
        &org,
        &HabilitationForm {
            user_id: helper_id,
            trained_on: maillage_app::today().to_string(),
            action: "donner".into(),
            ..Default::default()
        },
    )
    .await
    .expect("habilitation")
    .expect("valide");
    // A mandate for today only (it ends within the week), one for a year (it does not), one
    // for a person without an e-mail address.
    let mandate = |name: &str, contact: &str, duration: &str| MandateForm {
        person_name: name.into(),
        contact: contact.into(),
        demarches: vec!["social".into()],
        duration: duration.into(),
        consent: "ecran".into(),
        text_read: true,
        ..Default::default()
    };
    for (i, form) in [
        mandate("Odette Lambert", "odette@exemple.fr", "1-jour"),
        mandate("Karim Benali", "karim@exemple.fr", "1-an"),
        mandate("Jeanne Petit", "06 12 34 56 78", "1-jour"),
    ]
    .iter()
    .enumerate()
    {
        app.record_mandate(Some(&helper), form, Some(&format!("cle-{i}")))
            .await
            .expect("mandat")
            .expect("valide");
    }

    let now = chrono::Utc::now();
    let summary = app.run_job(Job::MandateExpiry, now).await.expect("tâche");
    assert_eq!(summary, "2 courriel(s) de fin de mandat envoyé(s)");
    let to_person = last_to(&inbox, "odette@exemple.fr").expect("courriel à la personne");
    assert!(to_person.contains("Votre mandat avec France Services de Toul"));
    assert!(to_person.contains("Social - Sant"));
    assert_eq!(count_to(&inbox, "karim@exemple.fr"), 0, "pas encore la fin");
    let to_helper = last_to(&inbox, "aidante@test.fr").expect("courriel à l'aidante habilitée");
    assert!(to_helper.contains("2 mandat(s) de France Services de Toul"));
    assert!(
        !to_helper.contains("Odette") && !to_helper.contains("Jeanne"),
        "pas de noms dans le courriel"
    );
    assert_eq!(
        count_to(&inbox, "collegue@test.fr"),
        0,
        "la collègue n'est pas habilitée"
    );
    // Announced once.
    let again = app.run_job(Job::MandateExpiry, now).await.expect("tâche");
    assert_eq!(again, "0 courriel(s) de fin de mandat envoyé(s)");
}
