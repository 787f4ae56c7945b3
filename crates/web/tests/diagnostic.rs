//! Diagnostic services with a real store: a test taken alone (resumed, recorded once), a guided
//! diagnostic (consent, the structure's members only, re-test compared), and questionnaire
//! versions adapted by a coordinator without changing past results.

use maillage_app::App;
use maillage_app::AppError;
use maillage_app::diagnostic::{GuidedInput, QuestionnaireEdit};
use maillage_domain::diagnostic::{AnswerSheet, Level};
use maillage_domain::organisation::Organisation;
use maillage_domain::policy::{Actor, Membership, TerritoryUnit};
use maillage_referential::Referential;
use maillage_store::Store;

async fn app() -> (App, String) {
    let store = Store::connect("sqlite::memory:").await.expect("base");
    let org = store
        .create_organisation(&Organisation {
            id: String::new(),
            name: "CCAS de Toul".into(),
            pivot: None,
            typologies: vec![],
            departement: Some("54".into()),
        })
        .await
        .expect("structure");
    let referential = Referential::discover().expect("référentiel (scripts/setup.sh)");
    (App::new(store, referential).await.expect("app"), org)
}

fn member(org: &str) -> Actor {
    Actor {
        user_id: "aidant".into(),
        memberships: vec![Membership {
            organisation_id: org.into(),
            since: chrono::NaiveDate::from_ymd_opt(2020, 1, 1).expect("date"),
            until: None,
        }],
        ..Default::default()
    }
}

fn answers(pairs: &[(&str, &str)]) -> maillage_domain::diagnostic::Answers {
    pairs
        .iter()
        .map(|(q, c)| (q.to_string(), vec![c.to_string()]))
        .collect()
}

#[tokio::test]
async fn a_test_taken_alone_is_resumed_and_recorded_once() {
    let (app, _) = app().await;
    let (_, code) = app.start_alone("court").await.expect("brouillon");
    assert_eq!(
        app.answer_alone("ip:test", &code, 0, vec!["smartphone".into()])
            .await
            .expect("réponse"),
        1
    );
    assert_eq!(
        app.answer_alone("ip:test", &code, 1, vec![])
            .await
            .expect("passée"),
        2
    );
    // A wrong choice is refused with the question named, the draft unchanged.
    let err = app
        .answer_alone("ip:test", &code, 2, vec!["toujours".into()])
        .await
        .expect_err("refusé");
    assert!(err.to_string().contains("internet"), "{err}");
    let (draft, q) = app
        .draft("ip:test", &code.to_lowercase())
        .await
        .expect("repris");
    assert_eq!(
        (draft.position, draft.answers.len(), q.id.as_str()),
        (2, 1, "court")
    );
    let first = app.finish_alone("ip:test", &code).await.expect("résultat");
    assert_eq!(
        app.finish_alone("ip:test", &code).await.expect("résultat"),
        first,
        "une seule fois"
    );
    let view = app
        .diagnostic_of_draft("ip:test", &code)
        .await
        .expect("vue");
    assert_eq!(view.diagnostic.mode, "seul");
    assert!(view.diagnostic.person_id.is_none());
    assert!(matches!(
        app.draft("ip:test", "AAAA-AAAA").await,
        Err(AppError::Invalid(m)) if m.contains("code inconnu")
    ));
}

#[tokio::test]
async fn a_guided_diagnostic_needs_consent_stays_in_the_structure_and_shows_progress() {
    let (app, org) = app().await;
    let helper = member(&org);
    let first = GuidedInput {
        questionnaire: "complet".into(),
        answers: answers(&[
            ("acces_smartphone", "proprietaire"),
            ("maitrise_smartphone", "non"),
            ("aisance", "peu"),
        ]),
        organisation_id: org.clone(),
        new_person: Some(("Karim".into(), None)),
        consent: false,
        observations: vec!["A su allumer l'appareil".into()],
        ..Default::default()
    };
    let refused = app.record_guided(Some(&helper), first.clone()).await;
    assert!(matches!(refused, Err(AppError::Invalid(m)) if m.contains("accord")));
    let id = app
        .record_guided(
            Some(&helper),
            GuidedInput {
                consent: true,
                ..first
            },
        )
        .await
        .expect("enregistré");
    let view = app.diagnostic_for(Some(&helper), &id).await.expect("vue");
    assert_eq!(view.diagnostic.assessment.level, Level::Beginner);
    let person = view.person.expect("personne suivie");
    // A member of another structure, a coordinator, an administrator: no access.
    for other in [
        member("autre"),
        Actor {
            user_id: "coord".into(),
            territory: vec![TerritoryUnit::Departement("54".into())],
            ..Default::default()
        },
        Actor {
            user_id: "admin".into(),
            administrator: true,
            ..Default::default()
        },
    ] {
        assert!(matches!(
            app.diagnostic_for(Some(&other), &id).await,
            Err(AppError::Forbidden(_))
        ));
        assert!(app.person_export(Some(&other), &person.id).await.is_err());
    }
    // The re-test, with the helper's level and reason.
    let again = app
        .record_guided(
            Some(&helper),
            GuidedInput {
                questionnaire: "complet".into(),
                answers: answers(&[
                    ("acces_smartphone", "proprietaire"),
                    ("maitrise_smartphone", "bon"),
                    ("courriel", "oui"),
                    ("courriel_frequence", "semaine"),
                    ("recherche", "le_fais"),
                    ("aisance", "plutot"),
                ]),
                organisation_id: org.clone(),
                person_id: Some(person.id.clone()),
                previous_id: Some(id.clone()),
                level_override: Some((
                    Level::Intermediate,
                    "hésite encore sur les courriels".into(),
                )),
                ..Default::default()
            },
        )
        .await
        .expect("re-test");
    let view = app
        .diagnostic_for(Some(&helper), &again)
        .await
        .expect("vue");
    let a = &view.diagnostic.assessment;
    assert_eq!(
        (a.level, a.computed_level),
        (Level::Intermediate, Some(Level::Advanced))
    );
    assert_eq!(
        view.changes[0].progress,
        Some(true),
        "Débutant → Intermédiaire"
    );
    let export = app
        .person_export(Some(&helper), &person.id)
        .await
        .expect("export");
    assert_eq!(export.diagnostics.len(), 2);
    app.erase_person(Some(&helper), &person.id)
        .await
        .expect("effacée");
    assert!(matches!(
        app.diagnostic_for(Some(&helper), &id).await,
        Err(AppError::NotFound)
    ));
}

#[tokio::test]
async fn a_coordinator_adapts_a_questionnaire_past_results_keep_their_version() {
    let (app, _) = app().await;
    let coordinator = Actor {
        user_id: "coord".into(),
        territory: vec![TerritoryUnit::Departement("54".into())],
        ..Default::default()
    };
    let sheet = AnswerSheet::from_json(
        r#"{"questionnaire":"court","version":1,"answers":{"internet":"souvent","courriel":"envoie","demarches":"seul","appareils":"smartphone","maitrise":"bien"}}"#,
    )
    .expect("réponses");
    let before = app.score_sheet(&sheet).await.expect("v1");
    let mut edit = QuestionnaireEdit::default();
    edit.texts
        .insert("internet".into(), "Utilisez-vous internet ?".into());
    edit.new_questions = Some(
        r#"{"id": "visio", "text": "Savez-vous rejoindre une visioconférence ?", "kind": "une", "choices": [{"id": "oui", "label": "Oui", "signals": [{"signal": "activite", "domain": "communication", "activity": "appel_video"}]}, {"id": "non", "label": "Non"}]}"#.into(),
    );
    // A helper may not; a coordinator may.
    assert!(matches!(
        app.adapt_questionnaire(Some(&member("x")), "court", &edit)
            .await,
        Err(AppError::Forbidden(_))
    ));
    assert_eq!(
        app.adapt_questionnaire(Some(&coordinator), "court", &edit)
            .await
            .expect("v2"),
        2
    );
    let latest = app.questionnaire("court", None).await.expect("en vigueur");
    assert_eq!(latest.version, 2);
    assert_eq!(latest.questions.len(), 9);
    assert_eq!(
        latest.question("internet").map(|q| q.text.as_str()),
        Some("Utilisez-vous internet ?")
    );
    // Version 1 answers score as before.
    assert_eq!(app.score_sheet(&sheet).await.expect("v1"), before);
    // Bad JSON, or nothing changed: refused with a reason.
    let bad = QuestionnaireEdit {
        new_questions: Some("{pas du json".into()),
        ..Default::default()
    };
    assert!(matches!(
        app.adapt_questionnaire(Some(&coordinator), "court", &bad).await,
        Err(AppError::Invalid(m)) if m.contains("JSON illisible")
    ));
    assert!(matches!(
        app.adapt_questionnaire(Some(&coordinator), "court", &QuestionnaireEdit::default()).await,
        Err(AppError::Invalid(m)) if m.contains("rien n'a changé")
    ));
    // The same id twice is refused by the questionnaire's checks.
    let twice = QuestionnaireEdit {
        new_questions: Some(r#"{"id": "internet", "text": "x", "kind": "une", "choices": [{"id": "a", "label": "A"}]}"#.into()),
        ..Default::default()
    };
    assert!(matches!(
        app.adapt_questionnaire(Some(&coordinator), "court", &twice).await,
        Err(AppError::Invalid(m)) if m.contains("en double")
    ));
}
