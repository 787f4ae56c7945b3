//! Activity records.

use super::*;

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
