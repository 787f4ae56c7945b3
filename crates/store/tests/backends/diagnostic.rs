//! Diagnostics, followed persons and drafts.

use super::*;

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
        // The consent keeps the version of the text agreed to.
        assert_eq!(
            store
                .person(&person)
                .await
                .expect("lecture")
                .expect("personne")
                .consent_version,
            Some(
                maillage_domain::consent::Purpose::FollowedPerson
                    .current()
                    .version
            )
        );
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
