//! A journey is continued, read and erased only by the structures taking part in it.

use super::*;

/// Finding 1: a member of B sends a referral « in » A's journey (hidden field `parcours`): refused;
/// A's person is neither read nor erased, and A's closed journey is not reopened. A structure that
/// takes part in the journey continues it, and withdrawing its own onward referral erases only
/// what that referral shared.
#[tokio::test]
async fn a_journey_is_continued_only_by_a_structure_that_takes_part_in_it() {
    let w = world().await;
    let (a, b, c) = (
        w.actor("a@test.fr").await,
        w.actor("b@test.fr").await,
        w.actor("c@test.fr").await,
    );
    // A refers Karim to C; C takes him in charge and closes: the journey closes.
    let first = w
        .app
        .send_referral(Some(&a), &outgoing(&w.place_c, "Karim", None))
        .await
        .expect("envoi")
        .expect("valide");
    for event in [
        Event::TakeInCharge,
        Event::Close {
            outcome: Outcome::Solved,
        },
    ] {
        w.app
            .answer_referral(Some(&c), &first, event, None)
            .await
            .expect("réponse de C");
    }
    let journey = w
        .app
        .referral_view(Some(&a), &first)
        .await
        .expect("vue de A")
        .referral
        .journey_id;
    assert_eq!(
        w.store
            .journey_participation(&journey, "org-a")
            .await
            .expect("base")
            .map(|p| p.closed),
        Some(true)
    );

    // B forges the hidden field: refused, with a French reason.
    let refused = w
        .app
        .send_referral(Some(&b), &outgoing(&w.place_a, "Intrus", Some(&journey)))
        .await;
    match refused {
        Err(AppError::Forbidden(m)) => assert!(m.contains("parcours"), "{m}"),
        other => panic!("accepté : {other:?}"),
    }
    // Nothing of A's person reaches B, nothing reopened.
    assert!(
        w.app
            .my_referrals(Some(&b))
            .await
            .expect("liste de B")
            .is_empty()
    );
    assert!(w.app.referral_view(Some(&b), &first).await.is_err());
    assert!(w.app.journey_export(Some(&b), &first).await.is_err());
    let p = w
        .store
        .journey_participation(&journey, "org-b")
        .await
        .expect("base")
        .expect("parcours");
    assert!(p.closed && !p.takes_part, "{p:?}");

    // Through the page too (the hidden field of the form).
    let site = w.router();
    let cookie_b = sign_in(&site, "b@test.fr").await;
    let (status, body) = post_form(
        &site,
        "/orientations/nouvelle",
        Some(&cookie_b),
        &format!(
            "lieu={}&demande=compte-caf&parcours={journey}&prenom=Intrus&contact=0612345678&consentement=orale&explique=tout&confirme=oui",
            w.place_a
        ),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(!body.contains("Karim"));

    // C takes part: it continues the journey onward to B (reopening it), then withdraws that
    // onward referral: what it shared is erased, Karim stays known to A and C.
    let onward = w
        .app
        .send_referral(Some(&c), &outgoing(&w.place_b, "Karim", Some(&journey)))
        .await
        .expect("envoi de C")
        .expect("valide");
    let view = w
        .app
        .referral_view(Some(&b), &onward)
        .await
        .expect("vue de B");
    assert_eq!(view.referral.journey_id, journey);
    assert_eq!(view.referral.person_label.as_deref(), Some("Karim"));
    let withdrawn = w
        .app
        .answer_referral(Some(&c), &onward, Event::Withdraw, None)
        .await
        .expect("retrait");
    assert_eq!(withdrawn.status, ReferralStatus::Withdrawn);
    assert_eq!(withdrawn.shared, maillage_store::Shared::default());
    let first_view = w
        .app
        .referral_view(Some(&a), &first)
        .await
        .expect("vue de A");
    assert_eq!(first_view.referral.person_label.as_deref(), Some("Karim"));
    assert_eq!(
        first_view.referral.shared.note.as_deref(),
        Some("Sans revenus depuis un mois.")
    );
}

/// Finding 1, the other half: withdrawing the only referral of a journey erases the person.
#[tokio::test]
async fn withdrawing_the_only_referral_erases_the_person() {
    let w = world().await;
    let a = w.actor("a@test.fr").await;
    let id = w
        .app
        .send_referral(Some(&a), &outgoing(&w.place_c, "Karim", None))
        .await
        .expect("envoi")
        .expect("valide");
    w.app
        .answer_referral(Some(&a), &id, Event::Withdraw, None)
        .await
        .expect("retrait");
    let view = w.app.referral_view(Some(&a), &id).await.expect("vue");
    assert_eq!(view.referral.person_label, None);
    assert_eq!(view.referral.contact, None);
    // An erased journey cannot be continued.
    let c = w.actor("c@test.fr").await;
    let again = w
        .app
        .send_referral(
            Some(&c),
            &outgoing(&w.place_b, "Karim", Some(&view.referral.journey_id)),
        )
        .await
        .expect("pas d'erreur")
        .expect_err("refusé");
    assert_eq!(again[0].0, "parcours");
}

/// Finding 10: a journey whose referrals are declined, or taken in charge and never closed, is
/// not kept for ever: its person is erased once nothing moved for the retention delay.
#[tokio::test]
async fn a_journey_left_open_is_erased_after_the_retention_delay() {
    let w = world().await;
    let (a, c) = (w.actor("a@test.fr").await, w.actor("c@test.fr").await);
    let taken = w
        .app
        .send_referral(Some(&a), &outgoing(&w.place_c, "Karim", None))
        .await
        .expect("envoi")
        .expect("valide");
    w.app
        .answer_referral(Some(&c), &taken, Event::TakeInCharge, None)
        .await
        .expect("prise en charge");
    let declined = w
        .app
        .send_referral(Some(&a), &outgoing(&w.place_c, "Awa", None))
        .await
        .expect("envoi")
        .expect("valide");
    w.app
        .answer_referral(
            Some(&c),
            &declined,
            Event::Decline {
                reason: maillage_domain::referrals::DeclineReason::Full,
            },
            None,
        )
        .await
        .expect("refus");
    let now = chrono::Utc::now();
    let (_, _, erased) = w
        .app
        .run_referral_schedule(now + chrono::Duration::days(300))
        .await
        .expect("échéances");
    assert_eq!(erased, 0, "encore dans le délai");
    let (_, _, erased) = w
        .app
        .run_referral_schedule(now + chrono::Duration::days(370))
        .await
        .expect("échéances");
    assert_eq!(erased, 2);
    for id in [taken, declined] {
        let v = w.app.referral_view(Some(&a), &id).await.expect("vue");
        assert_eq!(v.referral.person_label, None);
        assert_eq!(v.referral.contact, None);
    }
}
