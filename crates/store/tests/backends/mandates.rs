//! Mandates, habilitations and the journal: append-only on both databases, hash-chained.

use maillage_domain::mandates::{JournalEvent, verify_chain};
use maillage_store::{NewAct, NewMandate, StoreError};

use super::*;

async fn world(store: &Store) -> (String, String) {
    let org = store
        .create_organisation(&Organisation {
            id: String::new(),
            name: "France Services".into(),
            pivot: None,
            typologies: vec![],
            departement: None,
        })
        .await
        .expect("structure");
    let user = store
        .create_user(&NewUser {
            email: "aidante@example.org".into(),
            display_name: "Aïcha".into(),
            password: "un mot de passe long".into(),
            administrator: false,
            territory: vec![],
            memberships: vec![Membership {
                organisation_id: org.clone(),
                since: NaiveDate::from_ymd_opt(2024, 1, 1).expect("date"),
                until: None,
            }],
        })
        .await
        .expect("compte");
    (org, user)
}

fn mandate<'a>(
    id: &'a str,
    org: &'a str,
    helper: &'a str,
    person_id: Option<&'a str>,
    demarches: &'a [&'a str],
    key: &'a str,
) -> NewMandate<'a> {
    NewMandate {
        organisation_id: org,
        person_id,
        new_person: Some(("Odette Lambert", Some("+33612345678"))),
        person_name: "Odette Lambert",
        contact: Some("+33612345678"),
        helper_id: helper,
        consent_mode: "ecran",
        consented: true,
        duration: "1-an",
        starts_on: "2026-12-04",
        last_day: "2027-12-03",
        text_version: 1,
        text: "Moi, Odette Lambert, je donne mandat…",
        id,
        fingerprint: "f00d",
        demarches,
        renewed_from: None,
        form_key: Some(key),
        keep_until: "2028-12-03T00:00:00Z",
        link: Some(("empreinte-du-lien", "2028-12-03T00:00:00Z")),
    }
}

#[tokio::test]
async fn mandates_replace_revoke_and_journal() {
    for store in backends().await {
        let (org, helper) = world(&store).await;
        store
            .grant_habilitation(&org, &helper, "2026-11-20", "coordinatrice")
            .await
            .expect("habilitation");
        let h = store
            .habilitation(&org, &helper)
            .await
            .expect("lue")
            .expect("en vigueur");
        assert_eq!(h.trained_on, "2026-11-20");
        assert!(h.last_used_at.is_none());

        store
            .create_mandate(&mandate(
                "m1",
                &org,
                &helper,
                None,
                &["papiers", "social"],
                "k1",
            ))
            .await
            .expect("mandat");
        // The same form sent twice records nothing more.
        match store
            .create_mandate(&mandate("m1bis", &org, &helper, None, &["papiers"], "k1"))
            .await
        {
            Err(StoreError::Conflict(first)) => assert_eq!(first, "m1"),
            other => panic!("attendu un conflit : {other:?}"),
        }
        let m1 = store.mandate("m1").await.expect("lu").expect("présent");
        let person = m1.person_id.clone();
        assert_eq!(
            store
                .person_of_link("empreinte-du-lien", "2026-12-04T00:00:00Z")
                .await
                .expect("lien"),
            Some(person.clone())
        );
        assert_eq!(
            store
                .person_of_link("empreinte-du-lien", "2029-01-01T00:00:00Z")
                .await
                .expect("lien"),
            None
        );
        assert!(
            store
                .habilitation(&org, &helper)
                .await
                .expect("lue")
                .expect("là")
                .last_used_at
                .is_some()
        );

        // A new mandate for « social » takes it over; « papiers » stays with the first.
        store
            .create_mandate(&NewMandate {
                link: None,
                ..mandate(
                    "m2",
                    &org,
                    &helper,
                    Some(&person),
                    &["social", "travail"],
                    "k2",
                )
            })
            .await
            .expect("second mandat");
        let m1 = store.mandate("m1").await.expect("lu").expect("présent");
        assert_eq!(m1.demarches[0], ("papiers".to_string(), None));
        assert_eq!(m1.demarches[1].0, "social");
        assert!(m1.demarches[1].1.is_some(), "reprise par m2");
        assert_eq!(
            store
                .mandates_of_person(&person)
                .await
                .expect("liste")
                .len(),
            2
        );

        store
            .record_act(&NewAct {
                organisation_id: &org,
                mandate_id: "m2",
                demarche: "social",
                manner: "a-la-place",
                what: "Déclaration trimestrielle du RSA",
                helper_id: &helper,
                digest: "abc",
            })
            .await
            .expect("acte");
        assert_eq!(store.acts_of_person(&person).await.expect("actes").len(), 1);
        assert_eq!(
            store.act_counts(&org, "2000-01-01").await.expect("compte"),
            (0, 1)
        );

        assert!(
            store
                .revoke_mandate("m2", "personne-lien", None)
                .await
                .expect("révoqué")
        );
        assert!(
            !store
                .revoke_mandate("m2", "structure", Some(&helper))
                .await
                .expect("déjà")
        );

        let journal = store.journal().await.expect("journal");
        let events: Vec<JournalEvent> = journal.iter().map(|l| l.event).collect();
        assert_eq!(
            events,
            vec![
                JournalEvent::HabilitationGranted,
                JournalEvent::MandateCreated,
                JournalEvent::MandateCreated,
                JournalEvent::Replaced,
                JournalEvent::Act,
                JournalEvent::Revoked,
            ]
        );
        assert_eq!(verify_chain(journal.clone()), Ok(6));
        assert!(journal.iter().all(|l| !l.hash.is_empty()));

        // Append-only, enforced by the database itself.
        let refused = match &store {
            Store::Sqlite(pool) => (
                sqlx::query("UPDATE mandate_journal SET actor_id = 'x' WHERE seq = 2")
                    .execute(pool)
                    .await
                    .is_err(),
                sqlx::query("DELETE FROM mandate_journal WHERE seq = 2")
                    .execute(pool)
                    .await
                    .is_err(),
            ),
            Store::Postgres(pool) => (
                sqlx::query("UPDATE mandate_journal SET actor_id = 'x' WHERE seq = 2")
                    .execute(pool)
                    .await
                    .is_err(),
                sqlx::query("DELETE FROM mandate_journal WHERE seq = 2")
                    .execute(pool)
                    .await
                    .is_err()
                    && sqlx::query("TRUNCATE mandate_journal")
                        .execute(pool)
                        .await
                        .is_err(),
            ),
        };
        assert_eq!(refused, (true, true), "{}", store.backend());
        assert_eq!(store.journal().await.expect("journal").len(), 6);

        // The person erased: their mandates and acts go, the journal stays and says so.
        assert!(store.delete_person(&person).await.expect("effacée"));
        assert!(store.mandate("m1").await.expect("lu").is_none());
        assert!(
            store
                .acts_of_person(&person)
                .await
                .expect("actes")
                .is_empty()
        );
        assert_eq!(
            store
                .person_of_link("empreinte-du-lien", "2026-12-04T00:00:00Z")
                .await
                .expect("lien"),
            None
        );
        let journal = store.journal().await.expect("journal");
        assert_eq!(journal.len(), 8);
        assert_eq!(journal[7].event, JournalEvent::IdentityErased);
        assert_eq!(verify_chain(journal), Ok(8));

        assert!(
            store
                .withdraw_habilitation(&org, &helper, "coordinatrice")
                .await
                .expect("retirée")
        );
        assert!(
            store
                .habilitation(&org, &helper)
                .await
                .expect("lue")
                .is_none()
        );
        assert_eq!(
            store
                .habilitations_of(&org)
                .await
                .expect("historique")
                .len(),
            1
        );

        store.reset().await.expect("remise à zéro");
        assert!(store.journal().await.expect("journal").is_empty());
        // The guard is back after a reset.
        store
            .grant_habilitation(
                &org_after_reset(&store).await,
                &helper_after_reset(&store).await,
                "2026-11-20",
                "c",
            )
            .await
            .expect("habilitation");
        let refused = match &store {
            Store::Sqlite(pool) => sqlx::query("DELETE FROM mandate_journal")
                .execute(pool)
                .await
                .is_err(),
            Store::Postgres(pool) => sqlx::query("DELETE FROM mandate_journal")
                .execute(pool)
                .await
                .is_err(),
        };
        assert!(refused, "garde rétablie ({})", store.backend());
    }
}

async fn org_after_reset(store: &Store) -> String {
    world(store).await.0
}

async fn helper_after_reset(store: &Store) -> String {
    store
        .create_user(&NewUser {
            email: "autre@example.org".into(),
            display_name: "Autre".into(),
            password: "un mot de passe long".into(),
            administrator: false,
            territory: vec![],
            memberships: vec![],
        })
        .await
        .expect("compte")
}
