//! The catalogue of requests and referrals.

use super::*;

#[tokio::test]
async fn request_catalogue_is_seeded_once_and_edited() {
    use maillage_domain::orientation::{INITIAL_CATALOGUE, initial_catalogue};
    let initial = initial_catalogue().expect("catalogue initial");
    for store in backends().await {
        assert_eq!(
            store
                .seed_request_catalogue(INITIAL_CATALOGUE, &[], &initial)
                .await
                .expect("amorce"),
            initial.len()
        );
        let all = store.request_catalogue().await.expect("catalogue");
        assert_eq!(all.len(), initial.len());
        let mut titles: Vec<&str> = all.iter().map(|e| e.title.as_str()).collect();
        let sorted = {
            let mut t = titles.clone();
            t.sort_unstable();
            t
        };
        assert_eq!(titles, sorted, "by title");
        titles.clear();

        let mut caf = initial
            .iter()
            .find(|e| e.id == "compte-caf")
            .cloned()
            .expect("CAF");
        caf.bring.push("Le dernier courrier de la CAF".into());
        store
            .save_request_entry(&caf, None)
            .await
            .expect("modifiée");
        let again = store.request_catalogue().await.expect("catalogue");
        assert_eq!(again.iter().find(|e| e.id == "compte-caf"), Some(&caf));

        assert!(
            store
                .delete_request_entry("compte-caf")
                .await
                .expect("supprimée")
        );
        assert!(
            !store
                .delete_request_entry("compte-caf")
                .await
                .expect("absente")
        );
        // Loading again adds nothing: a deleted entry does not come back.
        assert_eq!(
            store
                .seed_request_catalogue(INITIAL_CATALOGUE, &[], &initial)
                .await
                .expect("amorce"),
            0
        );
        assert_eq!(
            store.request_catalogue().await.expect("catalogue").len(),
            initial.len() - 1
        );
    }
}

#[tokio::test]
async fn a_new_version_of_the_catalogue_corrects_unedited_entries_only() {
    use maillage_domain::orientation::{EARLIER_CATALOGUES, INITIAL_CATALOGUE, initial_catalogue};
    let initial = initial_catalogue().expect("catalogue initial");
    for store in backends().await {
        // A network that loaded v1, where a coordinator edited one entry and deleted another.
        let mut v1 = initial.clone();
        for e in &mut v1 {
            e.neighbour_services.clear();
            e.title = format!("{} (v1)", e.title);
        }
        store
            .seed_request_catalogue(EARLIER_CATALOGUES[0], &[], &v1)
            .await
            .expect("v1");
        let coordinator = store
            .create_user(&maillage_store::NewUser {
                email: "coordination@example.org".into(),
                display_name: "Coordination".into(),
                password: "un mot de passe long".into(),
                administrator: false,
                territory: Vec::new(),
                memberships: Vec::new(),
            })
            .await
            .expect("compte");
        let mut edited = v1[1].clone();
        edited.bring.push("Un justificatif".into());
        store
            .save_request_entry(&edited, Some(&coordinator))
            .await
            .expect("modifiée");
        assert!(
            store
                .delete_request_entry(&v1[2].id)
                .await
                .expect("supprimée")
        );
        let corrected = store
            .seed_request_catalogue(INITIAL_CATALOGUE, &EARLIER_CATALOGUES, &initial)
            .await
            .expect("v2");
        assert_eq!(corrected, initial.len() - 2);
        let now = store.request_catalogue().await.expect("catalogue");
        assert_eq!(
            now.len(),
            initial.len() - 1,
            "the deleted entry stays deleted"
        );
        assert_eq!(now.iter().find(|e| e.id == edited.id), Some(&edited));
        let first = now.iter().find(|e| e.id == initial[0].id);
        assert_eq!(first, Some(&initial[0]), "an unedited entry gets v2");
        assert_eq!(
            store
                .seed_request_catalogue(INITIAL_CATALOGUE, &EARLIER_CATALOGUES, &initial)
                .await
                .expect("v2 again"),
            0
        );
    }
}

#[tokio::test]
async fn unmet_requests_are_counted_by_day_request_and_commune() {
    use maillage_store::UnmetRequest;
    let day = |d: u32| chrono::NaiveDate::from_ymd_opt(2026, 11, d).expect("jour");
    for store in backends().await {
        let unmet = |d: u32, request: &str, anywhere: bool, radius_km: f64| UnmetRequest {
            day: day(d),
            request_id: request.into(),
            insee_code: "13055".into(),
            anywhere,
            radius_km,
            asked: 1,
        };
        for u in [
            unmet(3, "materiel-solidaire", false, 10.0),
            unmet(3, "materiel-solidaire", true, 25.0),
            unmet(3, "materiel-solidaire", false, 2.0),
            unmet(4, "materiel-solidaire", false, 10.0),
            unmet(4, "espace-scolaire", false, 10.0),
        ] {
            store.record_unmet_request(&u).await.expect("compté");
        }
        let all = store.unmet_requests(day(1)).await.expect("manques");
        assert_eq!(all.len(), 3);
        assert_eq!(
            all[0],
            UnmetRequest {
                asked: 3,
                ..unmet(3, "materiel-solidaire", true, 25.0)
            }
        );
        assert_eq!(
            store
                .unmet_requests(day(4))
                .await
                .expect("depuis le 4")
                .len(),
            2
        );
    }
}

#[tokio::test]
async fn referrals_follow_their_statuses_and_erase_the_person() {
    use maillage_domain::referrals::{Consent, DeclineReason, Outcome, ReferralStatus as S};
    use maillage_store::{NewReferral, Shared, Transition};
    for store in backends().await {
        let mut ids = Vec::new();
        for (id, name) in [("org-a", "Médiathèque"), ("org-b", "France Services")] {
            ids.push(
                store
                    .create_organisation(&Organisation {
                        id: id.into(),
                        name: name.into(),
                        pivot: None,
                        typologies: vec![],
                        departement: Some("54".into()),
                    })
                    .await
                    .expect("structure"),
            );
        }
        let new = NewReferral {
            journey_id: None,
            person_label: "Karim".into(),
            contact: Some("+33612345678".into()),
            from_organisation_id: ids[0].clone(),
            from_user_id: None,
            to_organisation_id: Some(ids[1].clone()),
            to_place_id: Some("demo-00089".into()),
            to_name: "France Services de Nancy".into(),
            to_email: None,
            request_id: Some("inscription-france-travail".into()),
            request_title: "S'inscrire à France Travail".into(),
            shared: Shared {
                level: Some("debutant".into()),
                constraints: Some("libre le mardi matin".into()),
                note: Some("Sans revenus depuis un mois.".into()),
            },
            consent: Consent::Oral {
                explained: "Prénom, téléphone et demande transmis à la France Services.".into(),
            },
            status: S::Sent,
            actor: "Médiathèque".into(),
        };
        let id = store.create_referral(&new).await.expect("orientation");
        let r = store.referral(&id).await.expect("lue").expect("existe");
        assert_eq!(r.status, S::Sent);
        assert_eq!(r.person_label.as_deref(), Some("Karim"));
        assert!(r.sent_at.is_some() && r.consent_at.is_some());
        assert_eq!(store.referrals_of(&ids[1]).await.expect("reçues").len(), 1);
        assert_eq!(
            store.referrals_of(&ids[0]).await.expect("envoyées").len(),
            1
        );

        let step = |from, to| Transition {
            from,
            to,
            actor: "France Services",
            detail: None,
            decline_reason: None,
            better_partner: None,
            outcome: None,
        };
        assert!(
            store
                .apply_referral(&id, &step(S::Sent, S::Received))
                .await
                .expect("reçue")
        );
        // A decision taken on an old status does not apply.
        assert!(
            !store
                .apply_referral(&id, &step(S::Sent, S::TakenInCharge))
                .await
                .expect("rien")
        );
        assert!(
            store
                .apply_referral(&id, &step(S::Received, S::TakenInCharge))
                .await
                .expect("prise")
        );
        assert!(
            store
                .apply_referral(&id, &step(S::TakenInCharge, S::NoShow))
                .await
                .expect("absente")
        );
        assert!(
            store
                .apply_referral(
                    &id,
                    &Transition {
                        outcome: Some(Outcome::Redirected),
                        ..step(S::NoShow, S::Closed)
                    }
                )
                .await
                .expect("close")
        );
        let r = store.referral(&id).await.expect("lue").expect("existe");
        assert_eq!(
            (r.status, r.outcome),
            (S::Closed, Some(Outcome::Redirected))
        );
        assert!(r.closed_at.is_some());
        let history = store.referral_events(&id).await.expect("historique");
        let statuses: Vec<S> = history.iter().map(|e| e.status).collect();
        assert_eq!(
            statuses,
            [S::Sent, S::Received, S::TakenInCharge, S::NoShow, S::Closed]
        );

        // The journey goes on: a referral onward, declined with a better partner.
        let onward = store
            .create_referral(&NewReferral {
                journey_id: Some(r.journey_id.clone()),
                from_organisation_id: ids[1].clone(),
                to_organisation_id: None,
                to_name: "Mission locale".into(),
                to_email: Some("accueil@mission-locale.example".into()),
                ..new.clone()
            })
            .await
            .expect("suite");
        assert!(
            store
                .apply_referral(
                    &onward,
                    &Transition {
                        decline_reason: Some(DeclineReason::NotEligible),
                        better_partner: Some("France Travail"),
                        ..step(S::Sent, S::Declined)
                    }
                )
                .await
                .expect("déclinée")
        );
        let journey = store.journey(&r.journey_id).await.expect("parcours");
        assert_eq!(journey.len(), 2);
        assert_eq!(journey[1].decline_reason, Some(DeclineReason::NotEligible));
        assert_eq!(journey[1].better_partner.as_deref(), Some("France Travail"));
        // Still open (declined, not closed) and changed since the date: not due for erasure…
        assert!(
            store
                .journeys_due_for_erasure("2000-01-01T00:00:00Z")
                .await
                .expect("dus")
                .is_empty()
        );
        // …but a journey left open is not kept for ever: due once nothing moved since the date.
        assert_eq!(
            store.journeys_due_for_erasure("9999").await.expect("dus"),
            std::slice::from_ref(&r.journey_id)
        );

        // Single-use links, by hash.
        let token = store
            .issue_referral_link(&onward, "reponse", "2026-12-01T00:00:00Z")
            .await
            .expect("lien");
        assert_eq!(token.len(), 64);
        let found = store
            .referral_by_link(&token)
            .await
            .expect("lien lu")
            .expect("trouvé");
        assert_eq!(found.link_purpose.as_deref(), Some("reponse"));
        assert!(store.referral_by_link("autre").await.expect("lu").is_none());
        store.clear_referral_link(&onward).await.expect("oublié");
        assert!(store.referral_by_link(&token).await.expect("lu").is_none());

        assert!(
            store
                .apply_referral(
                    &onward,
                    &Transition {
                        outcome: Some(Outcome::Redirected),
                        ..step(S::Declined, S::Closed)
                    }
                )
                .await
                .expect("close")
        );
        let due = store.journeys_due_for_erasure("9999").await.expect("dus");
        assert_eq!(due, std::slice::from_ref(&r.journey_id));
        // Who takes part in the journey: the structures that sent or received in it, only.
        let part = |org: &str| {
            let store = store.clone();
            let (journey, org) = (r.journey_id.clone(), org.to_string());
            async move {
                store
                    .journey_participation(&journey, &org)
                    .await
                    .expect("participation")
            }
        };
        assert!(
            part(&ids[0])
                .await
                .is_some_and(|p| p.takes_part && p.closed && !p.erased)
        );
        assert!(part(&ids[1]).await.is_some_and(|p| p.takes_part));
        assert!(part("org-z").await.is_some_and(|p| !p.takes_part));
        assert!(
            store
                .journey_participation("inconnu", &ids[0])
                .await
                .expect("participation")
                .is_none()
        );
        // Withdrawing one referral of a journey of two erases what it shared, not the person.
        store.erase_referral_share(&onward).await.expect("retrait");
        let journey = store.journey(&r.journey_id).await.expect("parcours");
        assert_eq!(journey[0].person_label.as_deref(), Some("Karim"));
        assert_eq!(journey[1].shared, Shared::default());
        store
            .erase_journey_person(&r.journey_id)
            .await
            .expect("effacé");
        for r in store.journey(&r.journey_id).await.expect("parcours") {
            assert_eq!(r.person_label, None);
            assert_eq!(r.contact, None);
            assert_eq!(r.shared, Shared::default());
            assert!(r.status.is_final());
        }
        assert!(
            store
                .journeys_due_for_erasure("9999")
                .await
                .expect("dus")
                .is_empty()
        );
    }
}
