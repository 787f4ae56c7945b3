//! Update campaigns.

use super::*;

#[tokio::test]
async fn campaigns_keep_only_hashes_and_links_serve_once() {
    use maillage_domain::campaigns::RequestStatus;
    use maillage_store::NewRequest;
    for store in backends().await {
        let a = store
            .create_place(
                place("", "Médiathèque", "00000000000000", "2024-02-02"),
                None,
                None,
            )
            .await
            .expect("lieu");
        let b = store
            .create_place(
                place("", "Centre social", "00000000000000", "2024-02-02"),
                None,
                None,
            )
            .await
            .expect("lieu");
        let (campaign, issued) = store
            .create_campaign(
                "Printemps",
                "Rhône",
                Some("coord"),
                &[
                    NewRequest {
                        place_id: a.clone(),
                        email: Some("lea@mediatheque.fr".into()),
                    },
                    NewRequest {
                        place_id: b.clone(),
                        email: None,
                    },
                ],
                "2026-11-01T10:00:00Z",
                "2026-12-01T10:00:00Z",
            )
            .await
            .expect("campagne");
        assert_eq!(issued.len(), 2);
        let token = issued[0].token.clone().expect("lien");
        assert_eq!(token.len(), 64);
        assert_eq!(issued[1].token, None);
        let requests = store
            .campaign_requests(Some(&campaign))
            .await
            .expect("demandes");
        let statuses: Vec<_> = requests.iter().map(|r| r.status).collect();
        assert!(statuses.contains(&RequestStatus::Pending));
        assert!(statuses.contains(&RequestStatus::NoAddress));
        // The token itself is stored nowhere: only its hash.
        let hashes: Vec<String> = match &store {
            Store::Sqlite(pool) => sqlx::query_scalar("SELECT token_hash FROM campaign_links")
                .fetch_all(pool)
                .await
                .expect("liens"),
            Store::Postgres(pool) => sqlx::query_scalar("SELECT token_hash FROM campaign_links")
                .fetch_all(pool)
                .await
                .expect("liens"),
        };
        assert_eq!(hashes, vec![maillage_store::token_hash(&token)]);
        assert_ne!(hashes[0], token);
        // A reminder adds a second link; both open the same request.
        let second = store
            .issue_reminder_link(
                &issued[0].request_id,
                "2026-11-08T10:00:00Z",
                "2026-12-08T10:00:00Z",
            )
            .await
            .expect("relance")
            .expect("en attente");
        for t in [&token, &second] {
            let target = store.campaign_link(t).await.expect("lien").expect("connu");
            assert_eq!(target.request.place_id, a);
            assert_eq!(target.request.reminders, 1);
            assert!(!target.campaign_closed);
        }
        assert!(
            store
                .campaign_link("inconnu")
                .await
                .expect("lien")
                .is_none()
        );
        // Answered once: the links say so, a second answer is refused.
        assert!(
            store
                .answer_request(
                    &issued[0].request_id,
                    RequestStatus::Confirmed,
                    "2026-11-09T10:00:00Z"
                )
                .await
                .expect("réponse")
        );
        let used = store
            .campaign_link(&token)
            .await
            .expect("lien")
            .expect("connu");
        assert_eq!(used.request.status, RequestStatus::Confirmed);
        assert!(
            !store
                .answer_request(
                    &issued[0].request_id,
                    RequestStatus::Corrected,
                    "2026-11-09T11:00:00Z"
                )
                .await
                .expect("réponse")
        );
        // A second use of the link claims nothing and writes nothing to the place.
        let target = store
            .campaign_request(&issued[0].request_id)
            .await
            .expect("demande")
            .expect("connue");
        let before = store
            .place(&target.place_id)
            .await
            .expect("lieu")
            .expect("présent");
        let mut changed = before.place.clone();
        changed.name = "Nom écrit par un second usage".into();
        assert!(
            !store
                .answer_request_with_place(
                    &issued[0].request_id,
                    RequestStatus::Corrected,
                    "2026-11-09T12:00:00Z",
                    &changed,
                    before.organisation_id.as_deref(),
                )
                .await
                .expect("réponse")
        );
        assert_eq!(
            store
                .place(&target.place_id)
                .await
                .expect("lieu")
                .expect("présent")
                .place
                .name,
            before.place.name
        );
        assert!(
            store
                .issue_reminder_link(&issued[0].request_id, "2026-11-10T10:00:00Z", "x")
                .await
                .expect("relance")
                .is_none()
        );
        // Closing, then the purge erases the addresses.
        assert!(
            store
                .close_campaign(&campaign, "2026-11-20T10:00:00Z")
                .await
                .expect("clôture")
        );
        assert!(
            !store
                .close_campaign(&campaign, "2026-11-21T10:00:00Z")
                .await
                .expect("déjà close")
        );
        assert_eq!(
            store
                .purge_campaign_emails("2026-11-01T00:00:00Z", "2026-11-22T00:00:00Z")
                .await
                .expect("purge"),
            0
        );
        assert_eq!(
            store
                .purge_campaign_emails("2026-12-30T00:00:00Z", "2026-12-30T00:00:00Z")
                .await
                .expect("purge"),
            1
        );
        let kept = store
            .campaign_request(&issued[0].request_id)
            .await
            .expect("lecture")
            .expect("gardée");
        assert_eq!(kept.email, None);
        assert_eq!(kept.status, RequestStatus::Confirmed);
        let listed = store.campaigns().await.expect("campagnes");
        assert_eq!(listed.len(), 1);
        assert!(listed[0].closed_at.is_some());
        // Deleting a place deletes its requests.
        assert!(store.delete_place(&b).await.expect("suppression"));
        assert_eq!(
            store
                .campaign_requests(Some(&campaign))
                .await
                .expect("demandes")
                .len(),
            1
        );
    }
}
