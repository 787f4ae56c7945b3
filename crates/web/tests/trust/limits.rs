//! What anyone can do without an account is bounded: e-mails sent, codes guessed.

use super::*;

/// Finding 8: e-mail asked without an account is limited per address and per client.
#[tokio::test]
async fn anonymous_email_is_rate_limited() {
    let w = world().await;
    let a = w.actor("a@test.fr").await;
    let workshop = workshop_of_a(&w, &a, "Premiers pas", "200").await;
    // One address, many clients: five e-mails an hour at most.
    let mut refused = 0;
    for i in 0..8 {
        if let Err(AppError::TooMany(_)) = w
            .app
            .register_person(
                None,
                &format!("ip:10.0.0.{i}"),
                &workshop,
                "Ana",
                "victime@exemple.fr",
            )
            .await
        {
            refused += 1;
        }
    }
    assert_eq!(refused, 3);
    // One client, many addresses: twenty an hour.
    let mut accepted = 0;
    for i in 0..25 {
        if w.app
            .register_person(
                None,
                "ip:192.0.2.99",
                &workshop,
                "Ana",
                &format!("p{i}@exemple.fr"),
            )
            .await
            .is_ok()
        {
            accepted += 1;
        }
    }
    assert_eq!(accepted, 20);
    // Error reports on one place: five an hour.
    let site = w.router();
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(
            post_form(
                &site,
                &format!("/lieux/{}/signaler", w.place_a),
                None,
                "categorie=horaires&message=ferm%C3%A9",
            )
            .await
            .0,
        );
    }
    assert_eq!(statuses[4], StatusCode::SEE_OTHER);
    assert_eq!(statuses[5], StatusCode::TOO_MANY_REQUESTS);
}

/// Finding 19: unknown resume codes are tried a few times only.
#[tokio::test]
async fn resume_codes_cannot_be_guessed() {
    let w = world().await;
    let site = w.router();
    let mut last = StatusCode::OK;
    for i in 0..21 {
        last = post_form(
            &site,
            "/diagnostic/reprendre",
            None,
            &format!("code=AAAA-{i:04}"),
        )
        .await
        .0;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
}
