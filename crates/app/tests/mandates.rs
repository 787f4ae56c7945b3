//! Mandates through the services (issue #19): habilitation first, a mandate recorded once,
//! acts under it, the person's link, revocation, refusal after it, the journal verified and an
//! altered line found — the rules pages, API and CLI all go through.

use chrono::NaiveDate;
use maillage_app::mandates::{ActForm, HabilitationForm};
use maillage_app::{App, AppError, ErrorKind};
use maillage_domain::mandates::{MandateForm, MandateStatus};
use maillage_domain::organisation::Organisation;
use maillage_domain::policy::{Actor, Membership, TerritoryUnit};
use maillage_referential::Referential;
use maillage_store::{NewUser, Store};

fn member_of(org: &str, user_id: &str) -> Actor {
    Actor {
        user_id: user_id.into(),
        administrator: false,
        territory: vec![],
        memberships: vec![Membership {
            organisation_id: org.into(),
            since: NaiveDate::from_ymd_opt(2024, 1, 1).expect("date"),
            until: None,
        }],
    }
}

async fn user(store: &Store, email: &str, org: &str, territory: Vec<TerritoryUnit>) -> String {
    store
        .create_user(&NewUser {
            email: email.into(),
            display_name: email.split('@').next().unwrap_or(email).into(),
            password: "un mot de passe long".into(),
            administrator: false,
            territory,
            memberships: if org.is_empty() {
                vec![]
            } else {
                vec![Membership {
                    organisation_id: org.into(),
                    since: NaiveDate::from_ymd_opt(2024, 1, 1).expect("date"),
                    until: None,
                }]
            },
        })
        .await
        .expect("compte")
}

async fn organisation(store: &Store, name: &str) -> String {
    store
        .create_organisation(&Organisation {
            id: String::new(),
            name: name.into(),
            pivot: None,
            typologies: vec![],
            departement: Some("54".into()),
        })
        .await
        .expect("structure")
}

fn kind<T: std::fmt::Debug>(r: Result<T, AppError>) -> ErrorKind {
    r.expect_err("refusé").kind()
}

#[tokio::test]
async fn a_mandate_from_habilitation_to_refusal() {
    let store = Store::connect("sqlite::memory:").await.expect("base");
    let app = App::new(store.clone(), Referential::default())
        .await
        .expect("app");
    let org = organisation(&store, "France Services de Toul").await;
    let other_org = organisation(&store, "Médiathèque de Nancy").await;
    let helper_id = user(&store, "aidante@example.org", &org, vec![]).await;
    let colleague_id = user(&store, "collegue@example.org", &org, vec![]).await;
    let stranger_id = user(&store, "autre@example.org", &other_org, vec![]).await;
    let coordinator_id = user(
        &store,
        "coordination@example.org",
        "",
        vec![TerritoryUnit::Departement("54".into())],
    )
    .await;
    let helper = member_of(&org, &helper_id);
    let colleague = member_of(&org, &colleague_id);
    let stranger = member_of(&other_org, &stranger_id);
    let coordinator = Actor {
        user_id: coordinator_id,
        administrator: false,
        territory: vec![TerritoryUnit::Departement("54".into())],
        memberships: vec![],
    };
    let form = MandateForm {
        person_name: "Odette Lambert".into(),
        contact: "06 12 34 56 78".into(),
        demarches: vec!["social".into(), "papiers".into(), "argent".into()],
        duration: "1-an".into(),
        consent: "ecran".into(),
        text_read: true,
        ..Default::default()
    };

    // Not habilitated yet: refused, with the reason.
    let refused = app.record_mandate(Some(&helper), &form, Some("k1")).await;
    assert_eq!(kind(refused), ErrorKind::Forbidden);
    // A helper does not habilitate themself; the coordinator does.
    let grant = HabilitationForm {
        user_id: helper_id.clone(),
        trained_on: chrono::Local::now().date_naive().to_string(),
        action: "donner".into(),
        ..Default::default()
    };
    assert_eq!(
        kind(app.change_habilitation(Some(&helper), &org, &grant).await),
        ErrorKind::Forbidden
    );
    app.change_habilitation(Some(&coordinator), &org, &grant)
        .await
        .expect("habilitation")
        .expect("formulaire valide");

    let recorded = app
        .record_mandate(Some(&helper), &form, Some("k1"))
        .await
        .expect("mandat")
        .expect("formulaire valide");
    let token = recorded.link_token.clone().expect("lien personnel donné");
    // The same form sent again: the same mandate, no second one, no new link.
    let again = app
        .record_mandate(Some(&helper), &form, Some("k1"))
        .await
        .expect("mandat")
        .expect("formulaire valide");
    assert_eq!(again.mandate_id, recorded.mandate_id);
    assert!(again.link_token.is_none());
    let desk = app.mandate_desk(Some(&helper), None).await.expect("bureau");
    assert_eq!(desk.mandates.len(), 1);
    let m = &desk.mandates[0];
    assert_eq!(m.status, MandateStatus::Active);
    assert_eq!(m.demarches, vec!["argent", "papiers", "social"]);
    assert!(m.text.contains("Odette Lambert") && m.text.contains("France Services de Toul"));

    // Another structure does not even see it; a colleague sees it but may not act.
    assert_eq!(
        kind(
            app.mandate_view(Some(&stranger), &recorded.mandate_id)
                .await
        ),
        ErrorKind::NotFound
    );
    let act = ActForm {
        demarche: "social".into(),
        manner: "a-la-place".into(),
        what: "Déclaration trimestrielle, mot de passe : Soleil2024!".into(),
    };
    assert_eq!(
        kind(
            app.record_act(Some(&colleague), &recorded.mandate_id, &act)
                .await
        ),
        ErrorKind::Forbidden
    );
    assert!(
        app.mandate_page(Some(&colleague), &recorded.mandate_id)
            .await
            .is_ok()
    );

    let (_, masked, _) = app
        .record_act(Some(&helper), &recorded.mandate_id, &act)
        .await
        .expect("acte")
        .expect("valide");
    assert!(masked, "le mot de passe est masqué");
    let uncovered = ActForm {
        demarche: "justice".into(),
        ..act.clone()
    };
    let refusal = app
        .record_act(Some(&helper), &recorded.mandate_id, &uncovered)
        .await
        .expect_err("non couverte");
    assert!(refusal.to_string().contains("ne couvre pas"), "{refusal}");

    // The person, alone with their link, sees what was done, then stops the mandate.
    let space = app.person_space(&token).await.expect("espace");
    assert_eq!(space.acts.len(), 1);
    assert!(!space.acts[0].what.contains("Soleil2024"));
    assert!(app.person_space(&"0".repeat(64)).await.is_err());
    assert!(
        app.person_revokes(&token, &recorded.mandate_id)
            .await
            .expect("arrêt")
    );
    let after = app
        .record_act(Some(&helper), &recorded.mandate_id, &act)
        .await
        .expect_err("révoqué");
    assert_eq!(
        after.to_string(),
        "usage du mandat refusé : le mandat a été révoqué"
    );

    // The attestation checks by its fingerprint, without a name.
    let view = app
        .mandate_view(Some(&helper), &recorded.mandate_id)
        .await
        .expect("vue");
    let check = app
        .check_attestation(&recorded.mandate_id, &view.fingerprint)
        .await
        .expect("conforme");
    assert!(check.genuine);
    assert_eq!(check.status, MandateStatus::Revoked);
    assert!(
        app.check_attestation(&recorded.mandate_id, "abcd")
            .await
            .is_err()
    );

    // A consent by link waits for the person.
    let by_link = MandateForm {
        consent: "lien".into(),
        demarches: vec!["logement".into()],
        ..form.clone()
    };
    let pending = app
        .record_mandate(Some(&helper), &by_link, Some("k2"))
        .await
        .expect("mandat")
        .expect("valide");
    let housing = ActForm {
        demarche: "logement".into(),
        ..act.clone()
    };
    let waiting = app
        .record_act(Some(&helper), &pending.mandate_id, &housing)
        .await
        .expect_err("en attente");
    assert!(waiting.to_string().contains("pas encore donné son accord"));
    let link = pending.link_token.expect("lien");
    assert!(
        app.person_consents(&link, &pending.mandate_id)
            .await
            .expect("accord")
    );
    assert!(
        app.record_act(Some(&helper), &pending.mandate_id, &housing)
            .await
            .is_ok()
    );
    let with_her = ActForm {
        manner: "avec".into(),
        what: "Demande d'aide au logement, elle a tout saisi".into(),
        ..housing.clone()
    };
    let (act_with, _, toward) = app
        .record_act(Some(&helper), &pending.mandate_id, &with_her)
        .await
        .expect("acte")
        .expect("valide");
    assert!(
        toward.demarche.is_none(),
        "rien à proposer après une démarche faite avec la personne"
    );
    // The structure's indicators (docs/INDICATORS.md, « Mandats »): one mandate in use (the
    // first was revoked), two acts in the person's place and one with her.
    let indicators = app
        .mandate_desk(Some(&helper), None)
        .await
        .expect("bureau")
        .indicators();
    assert_eq!(
        (
            indicators.active,
            indicators.acts_in_place,
            indicators.acts_with,
            indicators.share_with
        ),
        (1, 2, 1, Some(33))
    );

    // The act counted in the structure's activity (issue #7): the record of a démarche names
    // the mandate, prefilled from the act.
    let (record_org, mut record_form) = app
        .form_of_mandate(Some(&helper), &pending.mandate_id, Some(&act_with))
        .await
        .expect("fiche préremplie");
    assert_eq!(record_org, org);
    assert_eq!(
        (
            record_form.kind.as_str(),
            record_form.procedure_themes.clone(),
            record_form.autonomy.as_str(),
            record_form.procedure_name.as_str()
        ),
        (
            "demarche",
            vec!["logement".to_string()],
            "avec",
            "Demande d'aide au logement, elle a tout saisi"
        )
    );
    assert_eq!(record_form.persons.len(), 1, "la personne du mandat");
    record_form.venue = "a-distance".into();
    let record = maillage_app::activity::RecordInput {
        organisation_id: org.clone(),
        form: record_form.clone(),
        mandate_id: Some(pending.mandate_id.clone()),
        ..Default::default()
    };
    app.record_activity(Some(&helper), &record)
        .await
        .expect("service")
        .expect("fiche valide");
    let page = app
        .mandate_page(Some(&helper), &pending.mandate_id)
        .await
        .expect("page");
    assert_eq!(page.records.len(), 1);
    let stored = app
        .activity_for(Some(&helper), &page.records[0].0)
        .await
        .expect("fiche");
    assert_eq!(
        stored.activity.mandate_id.as_deref(),
        Some(pending.mandate_id.as_str())
    );
    // Only a démarche, only on a day the mandate was in force, only the structure's own.
    let individual = maillage_app::activity::RecordInput {
        form: maillage_domain::activity::ActivityForm {
            kind: "individuel".into(),
            themes: vec!["internet".into()],
            ..record_form.clone()
        },
        ..record.clone()
    };
    let errors = app
        .record_activity(Some(&helper), &individual)
        .await
        .expect("service")
        .expect_err("pas une démarche");
    assert!(errors.iter().any(|(f, _)| *f == "mandat"), "{errors:?}");
    let before = maillage_app::activity::RecordInput {
        form: maillage_domain::activity::ActivityForm {
            date: "2020-01-15".into(),
            ..record_form.clone()
        },
        ..record.clone()
    };
    let errors = app
        .record_activity(Some(&helper), &before)
        .await
        .expect("service")
        .expect_err("avant le mandat");
    assert!(
        errors
            .iter()
            .any(|(f, why)| *f == "mandat" && why.contains("ne courait pas")),
        "{errors:?}"
    );
    let elsewhere = maillage_app::activity::RecordInput {
        organisation_id: other_org.clone(),
        form: maillage_domain::activity::ActivityForm {
            persons: Vec::new(),
            ..record_form.clone()
        },
        ..record.clone()
    };
    assert_eq!(
        kind(app.record_activity(Some(&stranger), &elsewhere).await),
        ErrorKind::Forbidden
    );
    assert_eq!(
        kind(
            app.form_of_mandate(Some(&stranger), &pending.mandate_id, None)
                .await
        ),
        ErrorKind::NotFound
    );
    // The link of one person opens nothing of another's.
    assert_eq!(
        kind(app.person_revokes(&token, &pending.mandate_id).await),
        ErrorKind::NotFound
    );

    // The access log: every opening of a mandate was noted; only the structure's referent for
    // personal data, named by the coordinator, reads it.
    assert_eq!(
        kind(app.access_log(Some(&helper), &org).await),
        ErrorKind::Forbidden
    );
    assert_eq!(
        kind(
            app.appoint_data_referent(Some(&helper), &org, &colleague_id)
                .await
        ),
        ErrorKind::Forbidden
    );
    app.appoint_data_referent(Some(&coordinator), &org, &colleague_id)
        .await
        .expect("référent");
    assert_eq!(
        kind(app.access_log(Some(&helper), &org).await),
        ErrorKind::Forbidden
    );
    let (_, lines) = app
        .access_log(Some(&colleague), &org)
        .await
        .expect("journal");
    assert!(lines.iter().any(|l| l.kind == "mandat"
        && l.object_id == recorded.mandate_id
        && l.user_id.as_deref() == Some(helper_id.as_str())));
    assert_eq!(
        kind(app.access_log(Some(&stranger), &org).await),
        ErrorKind::Forbidden
    );

    // The journal: verified by the operator only, intact, then an altered line is named.
    assert_eq!(
        kind(app.verify_journal(Some(&helper)).await),
        ErrorKind::Forbidden
    );
    let operator = Actor {
        user_id: "cli".into(),
        administrator: true,
        ..Default::default()
    };
    let report = app.verify_journal(Some(&operator)).await.expect("journal");
    assert!(report.broken.is_none());
    assert!(report.lines >= 8, "{}", report.lines);
    let Store::Sqlite(pool) = &store else {
        unreachable!()
    };
    sqlx::query("DROP TRIGGER mandate_journal_no_update")
        .execute(pool)
        .await
        .expect("garde levée");
    sqlx::query("UPDATE mandate_journal SET demarche = 'loisirs' WHERE seq = 4")
        .execute(pool)
        .await
        .expect("altération");
    let report = app.verify_journal(Some(&operator)).await.expect("journal");
    let broken = report.broken.expect("altération trouvée");
    assert_eq!(broken.seq(), 4);
    assert!(broken.to_string().starts_with("ligne 4"));
}
