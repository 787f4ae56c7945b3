//! The same contract on both backends: every test runs on SQLite, and on PostgreSQL when
//! `MAILLAGE_TEST_POSTGRES_URL` points to a server (the test script starts one and sets
//! `MAILLAGE_REQUIRE_POSTGRES=1`, so CI cannot silently skip it).

use chrono::NaiveDate;
use maillage_domain::organisation::Organisation;
use maillage_domain::place::{DirectoryExtras, Place};
use maillage_domain::policy::{Membership, TerritoryUnit};
use maillage_domain::vocab::Service;
use maillage_store::{ImportRecord, NewUser, SessionRecord, Store};

async fn backends() -> Vec<Store> {
    let mut stores = vec![Store::connect("sqlite::memory:").await.expect("SQLite")];
    match std::env::var("MAILLAGE_TEST_POSTGRES_URL") {
        Ok(admin_url) => {
            // A fresh database per test: tests run in parallel.
            let name = format!("maillage_test_{}", uuid::Uuid::new_v4().simple());
            let admin = sqlx::PgPool::connect(&admin_url)
                .await
                .expect("PostgreSQL joignable");
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&admin)
                .await
                .expect("création de la base de test");
            let base = admin_url
                .rsplit_once('/')
                .map(|(b, _)| b)
                .unwrap_or(&admin_url);
            stores.push(
                Store::connect(&format!("{base}/{name}"))
                    .await
                    .expect("PostgreSQL"),
            );
        }
        Err(_) if std::env::var("MAILLAGE_REQUIRE_POSTGRES").is_ok() => {
            panic!("MAILLAGE_REQUIRE_POSTGRES est posé mais MAILLAGE_TEST_POSTGRES_URL manque")
        }
        Err(_) => eprintln!("PostgreSQL non testé : MAILLAGE_TEST_POSTGRES_URL absent"),
    }
    stores
}

fn place(id: &str, name: &str, pivot: &str, updated: &str) -> Place {
    Place {
        id: id.into(),
        pivot: pivot.into(),
        name: name.into(),
        commune: "Lyon".into(),
        postcode: "69001".into(),
        insee_code: Some("69381".into()),
        address: "1 place de la Comédie".into(),
        address_complement: None,
        location: None,
        typologies: vec!["BIB".into()],
        phone: Some("+33472000000".into()),
        emails: vec![],
        websites: vec![],
        opening_hours: Some("Mo-Fr 09:00-12:00".into()),
        opening_hours_valid: true,
        summary: None,
        description: None,
        source: Some("test".into()),
        mobility: vec![],
        parent_structure: None,
        updated_on: NaiveDate::parse_from_str(updated, "%Y-%m-%d").expect("date"),
        services: vec![Service::parse("Aide aux démarches administratives").expect("service")],
        publics: vec![],
        specific_support: vec![],
        fees: vec![],
        national_programmes: vec![],
        training_labels: vec![],
        other_labels: None,
        access_modes: vec![],
        support_modes: vec![],
        accessibility_url: None,
        booking_url: None,
        extras: DirectoryExtras {
            limits: Some("n'intervient pas sur le budget".into()),
            ..DirectoryExtras::default()
        },
    }
}

use maillage_domain::Vocabulary;

#[tokio::test]
async fn import_is_idempotent_and_newer_dates_update() {
    for store in backends().await {
        let records = vec![
            ImportRecord {
                source_id: "a".into(),
                place: place("", "Médiathèque", "21690123400010", "2024-01-01"),
            },
            ImportRecord {
                source_id: "b".into(),
                place: place("", "Centre social", "00000000000000", "2024-01-01"),
            },
        ];
        let first = store
            .import_places("lyon", "f.csv", &records, 0, "ok", None)
            .await
            .expect("import");
        assert_eq!(
            (first.created, first.updated, first.unchanged),
            (2, 0, 0),
            "{}",
            store.backend()
        );
        let again = store
            .import_places("lyon", "f.csv", &records, 0, "ok", None)
            .await
            .expect("import");
        assert_eq!(
            (again.created, again.updated, again.unchanged),
            (0, 0, 2),
            "{}",
            store.backend()
        );
        let mut newer = records.clone();
        newer[0].place.updated_on = NaiveDate::from_ymd_opt(2024, 6, 1).expect("date");
        newer[0].place.name = "Médiathèque Jean Macé".into();
        let mut older = records.clone();
        older[1].place.updated_on = NaiveDate::from_ymd_opt(2023, 1, 1).expect("date");
        older[1].place.name = "Ancien nom".into();
        let out = store
            .import_places(
                "lyon",
                "f.csv",
                &[newer[0].clone(), older[1].clone()],
                0,
                "ok",
                None,
            )
            .await
            .expect("import");
        assert_eq!((out.created, out.updated, out.unchanged), (0, 1, 1));
        let all = store.all_places().await.expect("lecture");
        assert_eq!(all.len(), 2);
        let a = all
            .iter()
            .find(|p| p.source_id.as_deref() == Some("a"))
            .expect("a");
        assert_eq!(a.place.name, "Médiathèque Jean Macé");
        assert_eq!(a.source.as_deref(), Some("lyon"));
        assert_eq!(
            a.place.extras.limits.as_deref(),
            Some("n'intervient pas sur le budget")
        );
        // A known pivot creates its organisation; the placeholder does not.
        assert!(a.organisation_id.is_some());
        let b = all
            .iter()
            .find(|p| p.source_id.as_deref() == Some("b"))
            .expect("b");
        assert_eq!(b.place.name, "Centre social");
        assert!(b.organisation_id.is_none());
        assert_eq!(store.organisations().await.expect("structures").len(), 1);
        assert_eq!(store.imports(10).await.expect("historique").len(), 3);
        // Maillage's own export re-imported under another source matches by id.
        let own = vec![ImportRecord {
            source_id: a.place.id.clone(),
            place: a.place.clone(),
        }];
        let out = store
            .import_places("autre", "export.csv", &own, 0, "ok", None)
            .await
            .expect("import");
        assert_eq!(out.unchanged, 1);
    }
}

#[tokio::test]
async fn places_and_organisations_crud() {
    for store in backends().await {
        let org = Organisation {
            id: String::new(),
            name: "CCAS de Lyon".into(),
            pivot: Some("26690123400017".into()),
            typologies: vec!["CCAS".into()],
            departement: Some("69".into()),
        };
        let org_id = store.create_organisation(&org).await.expect("structure");
        assert!(
            store.create_organisation(&org).await.is_err(),
            "pivot unique"
        );
        let id = store
            .create_place(
                place("", "Accueil CCAS", "26690123400017", "2024-02-02"),
                Some(&org_id),
                Some("u1"),
            )
            .await
            .expect("création");
        let mut stored = store.place(&id).await.expect("lecture").expect("présent");
        assert_eq!(stored.organisation_id.as_deref(), Some(org_id.as_str()));
        // A page of results in one round trip, in the asked order, unknown ids left out.
        let other = store
            .create_place(
                place("", "Médiathèque", "00000000000000", "2024-02-03"),
                None,
                None,
            )
            .await
            .expect("création");
        let page = store
            .places(&[other.clone(), "inconnu".into(), id.clone()])
            .await
            .expect("lecture groupée");
        assert_eq!(
            page.iter().map(|s| s.place.id.as_str()).collect::<Vec<_>>(),
            [other.as_str(), id.as_str()]
        );
        assert!(store.places(&[]).await.expect("vide").is_empty());
        // Reading the directory in batches visits every place once, in identifier order.
        let mut seen = Vec::new();
        let mut after = String::new();
        loop {
            let batch = store.places_after(&after, 1).await.expect("lot");
            let Some(last) = batch.last() else { break };
            after = last.place.id.clone();
            seen.extend(batch.into_iter().map(|s| s.place.id));
        }
        let mut expected = vec![id.clone(), other.clone()];
        expected.sort();
        assert_eq!(seen, expected);
        assert!(store.delete_place(&other).await.expect("suppression"));
        stored.place.name = "Accueil du CCAS".into();
        assert!(
            store
                .update_place(&stored.place, Some(&org_id), Some("u1"))
                .await
                .expect("maj")
        );
        assert_eq!(
            store
                .place(&id)
                .await
                .expect("lecture")
                .expect("présent")
                .place
                .name,
            "Accueil du CCAS"
        );
        assert!(
            store
                .delete_organisation(&org_id)
                .await
                .expect("suppression")
        );
        assert!(
            store
                .place(&id)
                .await
                .expect("lecture")
                .expect("gardé")
                .organisation_id
                .is_none()
        );
        assert!(store.delete_place(&id).await.expect("suppression"));
        assert!(store.place(&id).await.expect("lecture").is_none());
        assert_eq!(store.count_places().await.expect("compte"), 0);
    }
}

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

#[tokio::test]
async fn merges_keep_every_record_survive_reimports_and_undo() {
    for store in backends().await {
        let records: Vec<ImportRecord> = [
            ("s1", "Médiathèque Louis Nucéra", "2024-05-01"),
            ("s2", "Mediatheque L. Nucera", "2024-03-01"),
            ("s3", "Centre social", "2024-03-01"),
        ]
        .iter()
        .map(|(sid, name, date)| ImportRecord {
            source_id: (*sid).into(),
            place: place("", name, "00000000000000", date),
        })
        .collect();
        store
            .import_places("hub", "a.json", &records, 0, "", None)
            .await
            .expect("import");
        let all = store.all_places().await.expect("lieux");
        let id_of = |sid: &str| {
            all.iter()
                .find(|s| s.source_id.as_deref() == Some(sid))
                .map(|s| s.place.id.clone())
                .expect("lieu importé")
        };
        let (a, b, c) = (id_of("s1"), id_of("s2"), id_of("s3"));

        // "Not a duplicate" is remembered, whatever the order of the pair.
        store
            .mark_not_duplicate(&c, &a, Some("coord"))
            .await
            .expect("décision");
        store
            .mark_not_duplicate(&a, &c, Some("coord"))
            .await
            .expect("décision répétée");
        let marks = store.not_duplicates().await.expect("décisions");
        assert_eq!(marks.len(), 1);
        assert!(marks.contains(&if a < c {
            (a.clone(), c.clone())
        } else {
            (c.clone(), a.clone())
        }));

        // An open report on b follows it into a.
        let report_on_b = store
            .create_report(
                &b,
                &maillage_domain::reports::validate_report("horaires", "", "").expect("valide"),
            )
            .await
            .expect("signalement");
        // Merge b into a.
        let before = store.all_places().await.expect("lieux");
        let mut kept = store
            .place(&a)
            .await
            .expect("lecture")
            .expect("présent")
            .place;
        kept.description = Some("fusionné".into());
        let merge = store
            .merge_places(&kept, &[a.clone(), b.clone()], Some("coord"))
            .await
            .expect("fusion");
        assert!(store.place(&b).await.expect("lecture").is_none());
        assert_eq!(
            store
                .place(&a)
                .await
                .expect("lecture")
                .expect("gardé")
                .place
                .description
                .as_deref(),
            Some("fusionné")
        );
        assert_eq!(
            store
                .report(&report_on_b)
                .await
                .expect("lecture")
                .expect("signalement gardé")
                .place_id,
            a
        );
        let history = store.merges(10).await.expect("historique");
        assert_eq!(history[0].names.len(), 2);
        assert_eq!(history[0].kept_id, a);
        // Re-importing the source file does not bring the merged record back.
        let outcome = store
            .import_places("hub", "a.json", &records, 0, "", None)
            .await
            .expect("réimport");
        assert_eq!((outcome.created, outcome.unchanged), (0, 3));
        assert_eq!(store.count_places().await.expect("compte"), 2);
        // A merge needs the kept place in a group of two or more, and existing places.
        assert!(
            store
                .merge_places(&kept, std::slice::from_ref(&a), None)
                .await
                .is_err()
        );
        assert!(
            store
                .merge_places(&kept, &[a.clone(), b.clone()], None)
                .await
                .is_err()
        );
        assert!(
            store
                .merge_places(&kept, &[a.clone(), a.clone()], None)
                .await
                .is_err()
        );

        // Undo: everything as before, and the merge is marked undone.
        assert!(
            store
                .undo_merge(&merge, Some("coord"))
                .await
                .expect("annulation")
        );
        assert!(!store.undo_merge(&merge, None).await.expect("déjà annulée"));
        let mut after = store.all_places().await.expect("lieux");
        let mut before = before;
        after.sort_by(|x, y| x.place.id.cmp(&y.place.id));
        before.sort_by(|x, y| x.place.id.cmp(&y.place.id));
        assert_eq!(after, before);
        assert!(
            store.merges(10).await.expect("historique")[0]
                .undone_at
                .is_some()
        );
        // The report survived the undo (it stays on the kept place).
        assert!(store.report(&report_on_b).await.expect("lecture").is_some());
        for id in [a, b, c] {
            assert!(store.delete_place(&id).await.expect("nettoyage"));
        }
    }
}

#[tokio::test]
async fn error_reports_are_kept_resolved_and_emails_purged() {
    use maillage_domain::reports::validate_report;
    for store in backends().await {
        let id = store
            .create_place(
                place("", "Médiathèque", "00000000000000", "2024-02-02"),
                None,
                None,
            )
            .await
            .expect("lieu");
        let input =
            validate_report("horaires", "Fermé le lundi", "marie@exemple.fr").expect("valide");
        let report = store.create_report(&id, &input).await.expect("signalement");
        let open = store.open_reports().await.expect("ouverts");
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].place_id, id);
        assert_eq!(open[0].reporter_email.as_deref(), Some("marie@exemple.fr"));
        assert!(
            store
                .resolve_report(&report, Some("coord"), "horaires corrigés")
                .await
                .expect("résolu")
        );
        assert!(
            !store
                .resolve_report(&report, None, "")
                .await
                .expect("déjà résolu")
        );
        assert!(store.open_reports().await.expect("ouverts").is_empty());
        // Not yet past the retention: kept; past it: erased.
        assert_eq!(
            store
                .purge_report_emails("2000-01-01T00:00:00Z")
                .await
                .expect("purge"),
            0
        );
        assert_eq!(
            store
                .purge_report_emails("2999-01-01T00:00:00Z")
                .await
                .expect("purge"),
            1
        );
        let after = store
            .report(&report)
            .await
            .expect("lecture")
            .expect("gardé");
        assert_eq!(after.reporter_email, None);
        assert_eq!(after.resolution.as_deref(), Some("horaires corrigés"));
        // Deleting the place deletes its reports.
        assert!(store.delete_place(&id).await.expect("suppression"));
        assert!(store.report(&report).await.expect("lecture").is_none());
    }
}

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

#[tokio::test]
async fn an_interrupted_import_writes_nothing() {
    use maillage_domain::progress::Progress;
    use std::sync::atomic::{AtomicU64, Ordering};
    /// Asks to stop once 900 records were seen (after two full batches of new places).
    struct StopAfter(AtomicU64);
    impl Progress for StopAfter {
        fn stage(&self, _: &str, _: Option<u64>) {}
        fn advance(&self, n: u64) {
            self.0.fetch_add(n, Ordering::SeqCst);
        }
        fn interrupted(&self) -> bool {
            self.0.load(Ordering::SeqCst) >= 900
        }
    }
    for store in backends().await {
        let records: Vec<ImportRecord> = (0..1_000)
            .map(|i| ImportRecord {
                source_id: format!("r{i}"),
                place: place("", &format!("Lieu {i}"), "00000000000000", "2024-01-01"),
            })
            .collect();
        let err = store
            .import_places_watched(
                "gros",
                "gros.csv",
                &records,
                0,
                "",
                None,
                &StopAfter(AtomicU64::new(0)),
            )
            .await
            .expect_err("interrompu");
        assert!(matches!(err, maillage_store::StoreError::Interrupted(_)));
        assert!(err.to_string().contains("rien n'a été enregistré"));
        assert!(
            store.all_places().await.expect("lieux").is_empty(),
            "{}",
            store.backend()
        );
        assert!(store.imports(10).await.expect("imports").is_empty());
    }
}

#[tokio::test]
async fn diagnostics_persons_with_consent_and_drafts() {
    use maillage_domain::diagnostic::{assess, builtin};
    use maillage_store::{NewDiagnostic, NewPerson};
    let court = builtin()
        .into_iter()
        .find(|q| q.id == "court")
        .expect("court");
    let mut answers = maillage_domain::diagnostic::Answers::new();
    answers.insert("internet".into(), vec!["souvent".into()]);
    answers.insert("courriel".into(), vec!["envoie".into()]);
    let assessment = assess(&court, &answers);
    for store in backends().await {
        let org = store
            .create_organisation(&Organisation {
                id: String::new(),
                name: "CCAS de Toul".into(),
                pivot: None,
                typologies: vec!["CCAS".into()],
                departement: Some("54".into()),
            })
            .await
            .expect("structure");
        let person = store
            .create_person(&NewPerson {
                organisation_id: &org,
                pseudonym: "Karim",
                contact: Some("06 12 34 56 78"),
                consent_by: Some("aidant"),
                keep_until: "2028-11-23T00:00:00Z",
            })
            .await
            .expect("personne");
        let first = store
            .create_diagnostic(&NewDiagnostic {
                person_id: Some(&person),
                previous_id: None,
                organisation_id: Some(&org),
                helper_id: Some("aidant"),
                mode: "accompagne",
                answers: &answers,
                assessment: &assessment,
                observations: Some("a su allumer l'appareil"),
                age_bracket: None,
                commune: None,
                retest_on: Some("2027-02-23"),
            })
            .await
            .expect("diagnostic");
        let again = store
            .create_diagnostic(&NewDiagnostic {
                person_id: Some(&person),
                previous_id: Some(&first),
                organisation_id: Some(&org),
                helper_id: Some("aidant"),
                mode: "accompagne",
                answers: &answers,
                assessment: &assessment,
                observations: None,
                age_bracket: None,
                commune: None,
                retest_on: None,
            })
            .await
            .expect("re-test");
        let timeline = store.diagnostics_of_person(&person).await.expect("liste");
        assert_eq!(timeline.len(), 2);
        assert_eq!(timeline[1].previous_id.as_deref(), Some(first.as_str()));
        assert_eq!(timeline[0].assessment, assessment, "{}", store.backend());
        assert_eq!(timeline[0].answers, answers);
        assert_eq!(
            store
                .diagnostics_of_organisation(&org, 10)
                .await
                .expect("liste")
                .len(),
            2
        );
        // Anonymous: no person.
        let anonymous = store
            .create_diagnostic(&NewDiagnostic {
                person_id: None,
                previous_id: None,
                organisation_id: None,
                helper_id: None,
                mode: "seul",
                answers: &answers,
                assessment: &assessment,
                observations: None,
                age_bracket: Some("65_plus"),
                commune: None,
                retest_on: None,
            })
            .await
            .expect("anonyme");
        // Drafts: resumed by code (typed loosely), expired ones are not found.
        let (draft, code) = store
            .create_draft("court", 1, "2026-12-23T00:00:00Z")
            .await
            .expect("brouillon");
        store
            .save_draft(&draft.id, &answers, 2)
            .await
            .expect("enregistré");
        let typed = code.to_lowercase().replace('-', " ");
        let found = store
            .draft_by_code(&typed, "2026-11-23T00:00:00Z")
            .await
            .expect("lecture")
            .expect("trouvé");
        assert_eq!((found.position, found.answers.len()), (2, 2));
        assert!(
            store
                .draft_by_code(&code, "2027-01-01T00:00:00Z")
                .await
                .expect("lecture")
                .is_none(),
            "expiré"
        );
        store
            .finish_draft(&draft.id, &anonymous)
            .await
            .expect("fini");
        // Erasing the person erases their diagnostics, not the anonymous one.
        assert!(store.delete_person(&person).await.expect("effacement"));
        assert!(store.diagnostic(&first).await.expect("lecture").is_none());
        assert!(store.diagnostic(&again).await.expect("lecture").is_none());
        assert!(
            store
                .diagnostic(&anonymous)
                .await
                .expect("lecture")
                .is_some()
        );
        // Purge: persons past their date, expired drafts.
        let p2 = store
            .create_person(&NewPerson {
                organisation_id: &org,
                pseudonym: "Léa",
                contact: None,
                consent_by: None,
                keep_until: "2026-01-01T00:00:00Z",
            })
            .await
            .expect("personne");
        assert_eq!(
            store
                .purge_diagnostics("2026-11-23T00:00:00Z")
                .await
                .expect("purge"),
            1
        );
        assert!(store.person(&p2).await.expect("lecture").is_none());
    }
}

#[tokio::test]
async fn workshops_seats_waiting_list_and_promotion() {
    use maillage_domain::diagnostic::Level;
    use maillage_domain::workshops::{RegistrationStatus, WorkshopForm};
    for store in backends().await {
        let w = WorkshopForm {
            title: "Premiers pas sur smartphone".into(),
            themes: vec!["materiel".into()],
            level_required: Level::Beginner.slug().into(),
            commune: "Toul".into(),
            sessions: "2026-12-03 14:00-16:00".into(),
            capacity: "2".into(),
            free: true,
            ..Default::default()
        }
        .validate("")
        .expect("valide");
        let id = store
            .create_workshop(&w, Some("aidant"))
            .await
            .expect("atelier");
        let mut regs = Vec::new();
        for name in ["Ana", "Bruno", "Chloé"] {
            regs.push(
                store
                    .register(&id, w.capacity, name, Some("06 00 00 00 00"), None)
                    .await
                    .expect("inscription"),
            );
        }
        let statuses: Vec<_> = regs.iter().map(|(r, _)| r.status).collect();
        assert_eq!(
            statuses,
            [
                RegistrationStatus::Registered,
                RegistrationStatus::Registered,
                RegistrationStatus::Waiting
            ],
            "{}",
            store.backend()
        );
        let stored = store
            .workshop(&id)
            .await
            .expect("lecture")
            .expect("présent");
        assert_eq!((stored.registered, stored.waiting), (2, 1));
        assert_eq!(stored.workshop.title, w.title);
        // Bruno cancels with his token: Chloé gets the seat.
        let bruno = store
            .registration_by_token(&regs[1].1)
            .await
            .expect("lecture")
            .expect("trouvé");
        assert_eq!(bruno.pseudonym, "Bruno");
        let (done, promoted) = store
            .cancel_registration(&bruno.id, w.capacity)
            .await
            .expect("annulation");
        assert!(done);
        assert_eq!(promoted.map(|r| r.pseudonym), Some("Chloé".to_string()));
        let (again, none) = store
            .cancel_registration(&bruno.id, w.capacity)
            .await
            .expect("annulation");
        assert!(!again && none.is_none());
        assert!(
            store
                .set_attendance(&regs[0].0.id, true)
                .await
                .expect("présence")
        );
        assert!(!store.set_attendance(&bruno.id, true).await.expect("annulé"));
        let list = store.registrations(&id).await.expect("liste");
        assert_eq!(list[0].attended, Some(true));
        assert_eq!(list[2].status, RegistrationStatus::Registered);
        assert_eq!(
            store
                .workshops_from("2026-12-01")
                .await
                .expect("à venir")
                .len(),
            1
        );
        assert!(
            store
                .workshops_from("2026-12-04")
                .await
                .expect("passés")
                .is_empty()
        );
        assert_eq!(
            store
                .purge_registrations("2026-12-04")
                .await
                .expect("purge"),
            3
        );
        assert!(store.delete_workshop(&id).await.expect("suppression"));
    }
}

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

#[tokio::test]
async fn request_catalogue_is_seeded_once_and_edited() {
    use maillage_domain::orientation::{INITIAL_CATALOGUE, initial_catalogue};
    let initial = initial_catalogue().expect("catalogue initial");
    for store in backends().await {
        assert_eq!(
            store
                .seed_request_catalogue(INITIAL_CATALOGUE, &initial)
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
                .seed_request_catalogue(INITIAL_CATALOGUE, &initial)
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

#[tokio::test]
async fn activities_are_written_all_or_nothing_and_keep_figures_after_erasure() {
    use maillage_domain::activity::{ActivityForm, AgeBracket, Gender, Profile};
    use maillage_store::{NewActivity, NewPerson};
    let today = NaiveDate::from_ymd_opt(2026, 11, 23).expect("date");
    for store in backends().await {
        let org = store
            .create_organisation(&Organisation {
                id: String::new(),
                name: "Médiathèque de Vandœuvre".into(),
                pivot: None,
                typologies: vec!["BIB".into()],
                departement: Some("54".into()),
            })
            .await
            .expect("structure");
        let person = store
            .create_person(&NewPerson {
                organisation_id: &org,
                pseudonym: "Josette",
                contact: None,
                consent_by: None,
                keep_until: "2020-01-01T00:00:00Z",
            })
            .await
            .expect("personne");
        let profile = Profile {
            age: Some(AgeBracket::From70),
            gender: Some(Gender::Female),
            status: None,
            commune: Some("54547".into()),
        };
        store
            .set_person_profile(&person, &profile)
            .await
            .expect("profil");
        assert_eq!(store.person_profile(&person).await.expect("lu"), profile);
        let workshop = ActivityForm {
            kind: "collectif".into(),
            date: "2026-11-20".into(),
            duration: "2h".into(),
            venue: "domicile".into(),
            themes: vec!["securite".into()],
            title: "Arnaques en ligne".into(),
            persons: vec![person.clone()],
            anonymous_total: "4".into(),
            ages: vec!["60-69=2".into()],
            ..Default::default()
        }
        .validate(today)
        .expect("atelier");
        let ids = store
            .insert_activities(&[NewActivity {
                organisation_id: &org,
                helper_id: None,
                activity: &workshop,
                notes: Some("salle trop petite"),
            }])
            .await
            .expect("écrit");
        let stored = store.activity(&ids[0]).await.expect("lu").expect("trouvé");
        assert_eq!(stored.activity, workshop, "{}", store.backend());
        let changes = store.activity_changes_since(0).await.expect("journal");
        assert!(
            changes
                .iter()
                .any(|(_, kind, id)| kind == "activite" && id == &ids[0]),
            "each write is logged for the other instances' statistics"
        );
        let last = store.last_activity_change().await.expect("dernier");
        assert_eq!(stored.notes.as_deref(), Some("salle trop petite"));

        // A batch with one bad row writes nothing.
        let mut bad = workshop.clone();
        bad.persons = vec!["personne-inconnue".into()];
        let err = store
            .insert_activities(&[
                NewActivity {
                    organisation_id: &org,
                    helper_id: None,
                    activity: &workshop,
                    notes: None,
                },
                NewActivity {
                    organisation_id: &org,
                    helper_id: None,
                    activity: &bad,
                    notes: None,
                },
            ])
            .await;
        assert!(err.is_err(), "{}", store.backend());
        assert_eq!(store.count_activities().await.expect("compte"), 1);

        let page = store.activities_page(None, 10).await.expect("page");
        assert_eq!(page.len(), 1);
        assert_eq!(page[0].activity.persons, vec![person.clone()]);
        assert_eq!(
            store
                .activities_of_person(&person)
                .await
                .expect("frise")
                .len(),
            1
        );

        // The person leaves (retention passed): the workshop keeps 5 participants.
        assert_eq!(
            store
                .purge_diagnostics("2026-11-23T00:00:00Z")
                .await
                .expect("purge"),
            1
        );
        let after = store.activity(&ids[0]).await.expect("lu").expect("trouvé");
        assert!(after.activity.persons.is_empty());
        assert_eq!(after.activity.accompaniments(), 5);
        assert_eq!(after.activity.anonymous.ages.get(AgeBracket::From70), 1);
        assert_eq!(after.activity.anonymous.genders.get(Gender::Female), 1);

        // Share links: only the hash is kept, revocation ends them.
        let token = store
            .create_share_link(&org, "statistiques")
            .await
            .expect("lien");
        assert_eq!(
            store.share_link(&token, "statistiques").await.expect("lu"),
            Some(org.clone())
        );
        assert_eq!(store.share_link(&token, "enquete").await.expect("lu"), None);
        store
            .revoke_share_links(&org, "statistiques")
            .await
            .expect("révoqué");
        assert_eq!(
            store.share_link(&token, "statistiques").await.expect("lu"),
            None
        );

        // Surveys: answers by period and structure; what progression needs from records.
        let answer = maillage_domain::impact::SurveyForm {
            ease_before: "peu".into(),
            ease_now: "tres".into(),
            ..Default::default()
        }
        .validate()
        .expect("réponse");
        store
            .insert_survey(&org, "seul", &answer)
            .await
            .expect("enquête");
        let today = chrono::Utc::now().date_naive().to_string();
        assert_eq!(
            store
                .surveys_of(std::slice::from_ref(&org), &today, &today)
                .await
                .expect("lues"),
            vec![answer.clone()]
        );
        assert!(
            store
                .surveys_of(std::slice::from_ref(&org), "2000-01-01", "2000-12-31")
                .await
                .expect("lues")
                .is_empty()
        );
        assert_eq!(
            store
                .person_activity_days(std::slice::from_ref(&org))
                .await
                .expect("jours")
                .len(),
            0,
            "the person was erased: their records are anonymous now"
        );

        assert!(store.delete_activity(&ids[0]).await.expect("supprimé"));
        assert_eq!(store.count_activities().await.expect("compte"), 0);
        let later = store.activity_changes_since(last).await.expect("journal");
        assert!(later.iter().all(|(seq, _, _)| *seq > last));
        assert!(
            later
                .iter()
                .any(|(_, kind, id)| kind == "activite" && id == &ids[0])
        );
    }
}

/// Backup and restore (issue #8): a SQLite base copied while it serves holds every table as it
/// was; a file that is not a sound base of Maillage is refused before it replaces anything.
#[tokio::test]
async fn a_sqlite_backup_holds_every_table_and_a_bad_file_is_refused() {
    let dir = tempfile::tempdir().expect("dossier");
    let url = format!("sqlite://{}", dir.path().join("base.sqlite").display());
    let store = Store::connect(&url).await.expect("base");
    let org = store
        .create_organisation(&Organisation {
            id: String::new(),
            name: "Médiathèque".into(),
            pivot: None,
            typologies: vec![],
            departement: Some("69".into()),
        })
        .await
        .expect("structure");
    for i in 0..20 {
        store
            .create_place(
                place("", &format!("Lieu {i}"), "00000000000000", "2024-02-02"),
                Some(&org),
                None,
            )
            .await
            .expect("lieu");
    }
    store
        .create_user(&NewUser {
            email: "aidant@example.org".into(),
            display_name: "Camille".into(),
            password: "un mot de passe long".into(),
            administrator: false,
            territory: vec![],
            memberships: vec![],
        })
        .await
        .expect("compte");
    let backup = dir.path().join("sauvegarde.sqlite");
    // Writers go on while the copy is taken.
    let writer = {
        let store = store.clone();
        let org = org.clone();
        tokio::spawn(async move {
            for i in 0..20 {
                let _ = store
                    .create_place(
                        place("", &format!("Pendant {i}"), "00000000000000", "2024-02-02"),
                        Some(&org),
                        None,
                    )
                    .await;
            }
        })
    };
    store.backup_sqlite(&backup).await.expect("sauvegarde");
    writer.await.expect("écritures");
    assert!(Store::check_sqlite_backup(&backup).await.expect("vérifiée") > 10);
    let copy = Store::connect(&format!("sqlite://{}", backup.display()))
        .await
        .expect("copie");
    let copied = copy.digest().await.expect("empreinte");
    let places = copied
        .iter()
        .find(|t| t.table == "places")
        .expect("table des lieux");
    assert!((20..=40).contains(&places.rows), "{}", places.rows);
    assert!(copied.iter().any(|t| t.table == "users" && t.rows == 1));
    // Once the writers are done, a second backup equals the base table by table.
    let again = dir.path().join("sauvegarde-2.sqlite");
    store.backup_sqlite(&again).await.expect("sauvegarde");
    let second = Store::connect(&format!("sqlite://{}", again.display()))
        .await
        .expect("copie");
    assert_eq!(
        second.digest().await.expect("empreinte"),
        store.digest().await.expect("empreinte")
    );
    // Not a base of Maillage: refused.
    let junk = dir.path().join("pas-une-base.sqlite");
    std::fs::write(&junk, b"ceci n'est pas une base").expect("fichier");
    assert!(Store::check_sqlite_backup(&junk).await.is_err());
    let empty = dir.path().join("autre.sqlite");
    let other = sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=rwc", empty.display()))
        .await
        .expect("autre base");
    sqlx::query("CREATE TABLE x (y INTEGER)")
        .execute(&other)
        .await
        .expect("table");
    other.close().await;
    assert!(Store::check_sqlite_backup(&empty).await.is_err());
}

#[tokio::test]
async fn a_periodic_job_runs_once_per_period_whichever_instance_claims_it() {
    for store in backends().await {
        let other_instance = store.clone();
        let at = "2026-12-04T05:00:00Z";
        let period_start = "2026-12-04T04:05:00Z";
        assert!(
            store
                .claim_job("purge-sessions", at, period_start)
                .await
                .expect("réclamation")
        );
        // The other instance, in the same period: nothing to do.
        assert!(
            !other_instance
                .claim_job(
                    "purge-sessions",
                    "2026-12-04T05:00:03Z",
                    "2026-12-04T04:05:03Z"
                )
                .await
                .expect("seconde réclamation")
        );
        let runs = store.job_runs().await.expect("exécutions");
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].finished_at, None);
        store
            .finish_job(
                "purge-sessions",
                "2026-12-04T05:00:01Z",
                true,
                "3 session(s)",
            )
            .await
            .expect("fin");
        let runs = store.job_runs().await.expect("exécutions");
        assert_eq!(runs[0].ok, Some(true));
        assert_eq!(runs[0].summary.as_deref(), Some("3 session(s)"));
        // The next hour: claimed again, the last outcome cleared until it ends.
        assert!(
            other_instance
                .claim_job(
                    "purge-sessions",
                    "2026-12-04T06:00:00Z",
                    "2026-12-04T05:05:00Z"
                )
                .await
                .expect("heure suivante")
        );
        let runs = store.job_runs().await.expect("exécutions");
        assert_eq!(runs[0].claimed_at, "2026-12-04T06:00:00Z");
        assert_eq!(runs[0].ok, None);
    }
}
