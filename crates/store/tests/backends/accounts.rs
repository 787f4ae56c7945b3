//! Accounts, roles and sessions.

use super::*;

#[tokio::test]
async fn accounts_roles_and_sessions() {
    for store in backends().await {
        let org_id = store
            .create_organisation(&Organisation {
                id: String::new(),
                name: "Médiathèque".into(),
                pivot: None,
                typologies: vec![],
                departement: None,
            })
            .await
            .expect("structure");
        let since = NaiveDate::from_ymd_opt(2024, 1, 1).expect("date");
        let user = NewUser {
            email: "Aidant@Example.org".into(),
            display_name: "Camille".into(),
            password: "un mot de passe long".into(),
            administrator: false,
            territory: vec![TerritoryUnit::Departement("69".into())],
            memberships: vec![Membership {
                organisation_id: org_id.clone(),
                since,
                until: None,
            }],
        };
        let id = store.create_user(&user).await.expect("compte");
        assert!(store.create_user(&user).await.is_err(), "e-mail unique");
        assert!(
            store
                .create_user(&NewUser {
                    password: "court".into(),
                    email: "b@c.fr".into(),
                    ..user.clone()
                })
                .await
                .is_err()
        );
        let ok = store
            .authenticate("aidant@example.org", "un mot de passe long")
            .await
            .expect("auth");
        assert_eq!(ok.map(|u| u.id), Some(id.clone()));
        assert!(
            store
                .authenticate("aidant@example.org", "faux")
                .await
                .expect("auth")
                .is_none()
        );
        assert!(
            store
                .authenticate("inconnu@example.org", "faux")
                .await
                .expect("auth")
                .is_none()
        );
        let actor = store.actor(&id).await.expect("acteur").expect("présent");
        assert!(actor.is_coordinator());
        assert_eq!(actor.memberships.len(), 1);
        store.set_roles(&id, true, &[], &[]).await.expect("rôles");
        let actor = store.actor(&id).await.expect("acteur").expect("présent");
        assert!(actor.administrator && actor.territory.is_empty() && actor.memberships.is_empty());

        let rec = SessionRecord {
            id: "s1".into(),
            data: "{}".into(),
            expires_at: 2_000,
        };
        store.save_session(&rec).await.expect("session");
        store
            .save_session(&SessionRecord {
                data: "{\"u\":1}".into(),
                ..rec.clone()
            })
            .await
            .expect("session");
        assert_eq!(
            store
                .load_session("s1", 1_000)
                .await
                .expect("lecture")
                .map(|r| r.data),
            Some("{\"u\":1}".into())
        );
        assert!(
            store
                .load_session("s1", 3_000)
                .await
                .expect("lecture")
                .is_none()
        );
        assert_eq!(store.purge_sessions(3_000).await.expect("purge"), 1);

        // Sessions are kept by the hash of their token: the base never holds a usable token.
        let token = "ab".repeat(32);
        for device in [token.clone(), "cd".repeat(32)] {
            store
                .save_session(&SessionRecord {
                    id: device,
                    data: id.clone(),
                    expires_at: i64::MAX,
                })
                .await
                .expect("session");
        }
        let raw: Vec<String> = match &store {
            Store::Sqlite(pool) => sqlx::query_scalar("SELECT id FROM sessions")
                .fetch_all(pool)
                .await
                .expect("lecture"),
            Store::Postgres(pool) => sqlx::query_scalar("SELECT id FROM sessions")
                .fetch_all(pool)
                .await
                .expect("lecture"),
        };
        assert_eq!(raw.len(), 2);
        assert!(!raw.contains(&token), "jeton en clair dans la base");
        assert!(
            store
                .load_session(&token, 0)
                .await
                .expect("lecture")
                .is_some()
        );
        // « Se déconnecter partout ».
        assert_eq!(store.delete_sessions_of(&id).await.expect("partout"), 2);
        assert!(
            store
                .load_session(&token, 0)
                .await
                .expect("lecture")
                .is_none()
        );

        // Password change closes every session; a reset link serves once, until its date.
        store
            .save_session(&SessionRecord {
                id: token.clone(),
                data: id.clone(),
                expires_at: i64::MAX,
            })
            .await
            .expect("session");
        store
            .set_password(&id, "une nouvelle phrase de passe")
            .await
            .expect("mot de passe");
        assert!(
            store
                .load_session(&token, 0)
                .await
                .expect("lecture")
                .is_none()
        );
        assert!(store.set_password(&id, "court").await.is_err());
        assert!(
            store
                .authenticate("aidant@example.org", "une nouvelle phrase de passe")
                .await
                .expect("auth")
                .is_some()
        );
        let link = store.issue_password_reset(&id, 5_000).await.expect("lien");
        assert_eq!(
            store
                .password_reset_user(&link, 4_000)
                .await
                .expect("lien lu")
                .map(|u| u.id),
            Some(id.clone())
        );
        assert!(
            store
                .password_reset_user(&link, 6_000)
                .await
                .expect("lu")
                .is_none(),
            "expiré"
        );
        // A second link replaces the first.
        let second = store.issue_password_reset(&id, 5_000).await.expect("lien");
        assert!(
            store
                .password_reset_user(&link, 4_000)
                .await
                .expect("lu")
                .is_none()
        );
        assert_eq!(
            store
                .reset_password(&second, "encore une autre phrase", 4_000)
                .await
                .expect("réinitialisation"),
            Some(id.clone())
        );
        assert_eq!(
            store
                .reset_password(&second, "et une troisième phrase", 4_000)
                .await
                .expect("second usage"),
            None,
            "usage unique"
        );
        assert!(
            store
                .authenticate("aidant@example.org", "encore une autre phrase")
                .await
                .expect("auth")
                .is_some()
        );
        let expired = store.issue_password_reset(&id, 100).await.expect("lien");
        assert_eq!(store.purge_password_resets(200).await.expect("purge"), 1);
        assert!(
            store
                .password_reset_user(&expired, 50)
                .await
                .expect("lu")
                .is_none()
        );
        assert!(store.delete_user(&id).await.expect("suppression"));
    }
}
