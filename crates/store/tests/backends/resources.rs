//! The resource library and the watch.

use super::*;

#[tokio::test]
async fn resources_moderation_files_links_and_seed_once() {
    use maillage_domain::resources::{LinkCheck, LinkHealth, ResourceForm, ResourceStatus};
    use maillage_store::{FileChange, NewFile, Proposer};
    for store in backends().await {
        let form = ResourceForm {
            title: "Les mots de passe".into(),
            summary: "Un atelier pour choisir un mot de passe solide.".into(),
            kind: "deroule".into(),
            url: "https://exemple.fr/mdp".into(),
            themes: vec!["securite".into()],
            levels: vec!["debutant".into()],
            audiences: vec!["aidants".into()],
            author: "Médiathèque".into(),
            ..Default::default()
        };
        let r = form.validate("").expect("valide");
        let pdf = NewFile {
            name: "fiche.pdf".into(),
            mime: "application/pdf".into(),
            content: b"%PDF-1.4 fiche".to_vec(),
        };
        let id = store
            .create_resource(
                &r,
                ResourceStatus::Proposed,
                Proposer::default(),
                Some(&pdf),
            )
            .await
            .expect("ressource");
        let stored = store.resource(&id).await.expect("lue").expect("existe");
        assert_eq!(stored.status, ResourceStatus::Proposed);
        assert_eq!(stored.resource.id, id);
        assert_eq!(stored.file.as_ref().map(|f| f.size), Some(14));
        assert!(stored.published_at.is_none());
        assert_eq!(
            store
                .resource_file(&id)
                .await
                .expect("fichier")
                .map(|(_, c)| c),
            Some(pdf.content.clone())
        );
        assert!(
            store
                .resources(Some(ResourceStatus::Published))
                .await
                .expect("liste")
                .is_empty()
        );
        assert!(
            store
                .set_resource_status(&id, ResourceStatus::Published, None)
                .await
                .expect("publiée")
        );
        let published = store
            .resources(Some(ResourceStatus::Published))
            .await
            .expect("liste");
        assert_eq!(published.len(), 1);
        assert!(published[0].published_at.is_some());

        // The checker's state is kept; a new address is checked afresh.
        let now = chrono::Utc::now();
        let health = LinkHealth::default()
            .after(&LinkCheck::Status(404), now)
            .after(&LinkCheck::Status(404), now);
        store
            .record_link_health(&id, &health)
            .await
            .expect("état du lien");
        let stored = store.resource(&id).await.expect("lue").expect("existe");
        assert!(stored.link.is_dead());
        assert!(
            store
                .update_resource(&stored.resource, &FileChange::Keep)
                .await
                .expect("modifiée")
        );
        assert!(
            store
                .resource(&id)
                .await
                .expect("lue")
                .expect("existe")
                .link
                .is_dead()
        );
        let mut moved = stored.resource.clone();
        moved.url = Some("https://exemple.fr/nouveau".into());
        assert!(
            store
                .update_resource(&moved, &FileChange::Remove)
                .await
                .expect("modifiée")
        );
        let stored = store.resource(&id).await.expect("lue").expect("existe");
        assert_eq!(stored.link, LinkHealth::default());
        assert!(stored.file.is_none());
        assert!(store.resource_file(&id).await.expect("fichier").is_none());

        // Refusal keeps the reason; deletion removes everything.
        assert!(
            store
                .set_resource_status(&id, ResourceStatus::Refused, Some("doublon"))
                .await
                .expect("refus")
        );
        let stored = store.resource(&id).await.expect("lue").expect("existe");
        assert_eq!(stored.refusal_reason.as_deref(), Some("doublon"));
        assert!(store.delete_resource(&id).await.expect("supprimée"));
        assert!(store.resource(&id).await.expect("lue").is_none());

        // The initial content is loaded once, even after deletions.
        let seed = vec![r.clone(), {
            let mut b = r.clone();
            b.id = "b".into();
            b
        }];
        let mut seed = seed;
        seed[0].id = "a".into();
        assert_eq!(
            store.seed_resources("fiches", &seed).await.expect("amorce"),
            2
        );
        assert_eq!(
            store.seed_resources("fiches", &seed).await.expect("amorce"),
            0
        );
        let all = store.resources(None).await.expect("liste");
        assert_eq!(all.len(), 2);
        assert!(all.iter().all(|s| s.status == ResourceStatus::Published));
        for s in &all {
            store
                .delete_resource(&s.resource.id)
                .await
                .expect("supprimée");
        }
        assert_eq!(
            store.seed_resources("fiches", &seed).await.expect("amorce"),
            0
        );
        assert!(store.resources(None).await.expect("liste").is_empty());
    }
}

#[tokio::test]
async fn watch_items_subscriptions_and_single_delivery() {
    use maillage_domain::watch::{Frequency, NewsForm, Platform, Subscription};
    for store in backends().await {
        let user = store
            .create_user(&NewUser {
                email: "aidante@exemple.fr".into(),
                display_name: "Aidante".into(),
                password: "un mot de passe assez long".into(),
                administrator: false,
                territory: vec![],
                memberships: vec![],
            })
            .await
            .expect("compte");
        let item = |title: &str, platform: &str, at: &str| {
            NewsForm {
                title: title.into(),
                what_changed: "Un changement sur le site.".into(),
                who: "Tout le monde".into(),
                what_to_say: "Voici ce qu'il faut dire.".into(),
                platforms: vec![platform.into()],
                ..Default::default()
            }
            .validate("", at, "Coordination")
            .expect("valide")
        };
        let caf = store
            .create_news(
                &item("CAF : nouvel espace", "caf", "2026-11-20T10:00:00Z"),
                None,
            )
            .await
            .expect("nouvelle");
        let ants = store
            .create_news(&item("ANTS : permis", "ants", "2026-11-21T10:00:00Z"), None)
            .await
            .expect("nouvelle");
        let all = store.news(None, None).await.expect("liste");
        assert_eq!(
            all.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(),
            [ants.as_str(), caf.as_str()]
        );
        let only_caf = store.news(None, Some(Platform::Caf)).await.expect("liste");
        assert_eq!(only_caf.len(), 1);
        assert_eq!(only_caf[0].id, caf);
        assert_eq!(
            store
                .news(Some("2026-11-21T00:00:00Z"), None)
                .await
                .expect("liste")
                .len(),
            1
        );

        let sub = Subscription {
            user_id: user.clone(),
            platforms: vec![Platform::Caf, Platform::Taxes],
            frequency: Frequency::Weekly,
            urgent_at_once: true,
            next_digest_at: Some("2026-11-23T07:00:00Z".into()),
        };
        store.save_subscription(&sub).await.expect("abonnement");
        assert_eq!(
            store.subscription(&user).await.expect("lu"),
            Some(sub.clone())
        );
        let subscribers = store.subscribers().await.expect("abonnés");
        assert_eq!(subscribers.len(), 1);
        assert_eq!(subscribers[0].email, "aidante@exemple.fr");

        store
            .record_deliveries(&user, &[caf.as_str()], Some("2026-11-30T07:00:00Z"))
            .await
            .expect("envoi");
        store
            .record_deliveries(&user, &[caf.as_str()], None)
            .await
            .expect("envoi répété sans erreur");
        let sent = store.delivered_items(&user).await.expect("envois");
        assert!(sent.contains(&caf) && !sent.contains(&ants));
        assert_eq!(
            store
                .subscription(&user)
                .await
                .expect("lu")
                .and_then(|s| s.next_digest_at)
                .as_deref(),
            Some("2026-11-30T07:00:00Z")
        );
        assert_eq!(
            store
                .purge_watch_deliveries("2000-01-01T00:00:00Z")
                .await
                .expect("purge"),
            0
        );
        assert_eq!(
            store
                .purge_watch_deliveries("9999-12-31T00:00:00Z")
                .await
                .expect("purge"),
            1
        );
        assert!(
            store
                .delivered_items(&user)
                .await
                .expect("envois")
                .is_empty()
        );
        store
            .record_deliveries(&user, &[caf.as_str()], None)
            .await
            .expect("envoi");
        assert!(store.delete_news(&caf).await.expect("supprimée"));
        assert!(
            store
                .delivered_items(&user)
                .await
                .expect("envois")
                .is_empty()
        );
        assert!(store.delete_subscription(&user).await.expect("désabonné"));
        assert!(store.subscription(&user).await.expect("lu").is_none());
    }
}
