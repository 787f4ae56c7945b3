//! Worked examples: answer sets of very different persons (`tests/diagnostics/*.json`, each with
//! the persona and what a field worker would conclude), scored by the rules of
//! `docs/DIAGNOSTIC.md`.

use maillage_domain::diagnostic::{AnswerSheet, Level, assess, builtin, compare};
use proptest::prelude::*;
use serde_json::Value;

fn questionnaire(id: &str) -> maillage_domain::diagnostic::Questionnaire {
    builtin()
        .into_iter()
        .find(|q| q.id == id)
        .expect("questionnaire livré")
}

#[test]
fn the_shipped_questionnaires_parse() {
    let all = builtin();
    assert_eq!(all.len(), 2, "court et complet");
    let court = questionnaire("court");
    assert!(court.questions.len() <= 8, "un test très court");
    let complet = questionnaire("complet");
    assert!(complet.questions.len() >= 50);
}

#[test]
fn worked_examples_give_what_a_field_worker_would() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/diagnostics");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("exemples")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 7);
    for path in files {
        let text = std::fs::read_to_string(&path).expect("lecture");
        let value: Value = serde_json::from_str(&text).expect("JSON");
        let sheet = AnswerSheet::from_json(&text).expect("réponses");
        let q = questionnaire(&sheet.questionnaire);
        let answers = sheet.answers();
        q.check_answers(&answers)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let a = assess(&q, &answers);
        let result = serde_json::to_value(&a).expect("sérialisable");
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        for (key, want) in value["expected"].as_object().expect("attendu") {
            assert_eq!(
                &result[key], want,
                "{name:?} : « {key} » — règles appliquées : {:?}",
                a.rules
            );
        }
        assert!(!a.rules.is_empty());
    }
}

#[test]
fn a_retest_shows_progress() {
    let q = questionnaire("court");
    let before = AnswerSheet::from_json(
        r#"{"questionnaire":"court","answers":{"appareils":"smartphone","maitrise":"non","internet":"jamais","aisance":"peu"}}"#,
    )
    .expect("réponses");
    let after = AnswerSheet::from_json(
        r#"{"questionnaire":"court","answers":{"appareils":"smartphone","maitrise":"un_peu","internet":"souvent","courriel":"envoie","aisance":"plutot"}}"#,
    )
    .expect("réponses");
    let (b, a) = (assess(&q, &before.answers()), assess(&q, &after.answers()));
    assert_eq!((b.level, a.level), (Level::Beginner, Level::Advanced));
    let changes = compare(&b, &a);
    let level = changes.iter().find(|c| c.what == "Niveau").expect("niveau");
    assert_eq!(level.progress, Some(true));
    let ease = changes
        .iter()
        .find(|c| c.what == "Aisance ressentie")
        .expect("aisance");
    assert_eq!(
        (ease.before.as_str(), ease.after.as_str()),
        ("pas très à l'aise", "plutôt à l'aise")
    );
}

#[test]
fn unknown_questions_and_choices_are_refused_with_the_question() {
    let q = questionnaire("court");
    let sheet =
        AnswerSheet::from_json(r#"{"questionnaire":"court","answers":{"internet":"toujours"}}"#)
            .expect("réponses");
    let err = q.check_answers(&sheet.answers()).expect_err("refusé");
    assert!(err.to_string().contains("« internet »") && err.to_string().contains("toujours"));
    let sheet = AnswerSheet::from_json(
        r#"{"questionnaire":"court","answers":{"internet":["souvent","jamais"]}}"#,
    )
    .expect("réponses");
    assert!(
        q.check_answers(&sheet.answers()).is_err(),
        "une seule réponse"
    );
}

proptest! {
    /// Any valid answer set scores (no panic); more activities never lower a domain; the
    /// level is always one of the five.
    #[test]
    fn scoring_is_total_and_monotone(picks in proptest::collection::vec(any::<prop::sample::Index>(), 0..67)) {
        let q = questionnaire("complet");
        let mut answers = maillage_domain::diagnostic::Answers::new();
        for (question, pick) in q.questions.iter().zip(&picks) {
            let choice = pick.get(&question.choices);
            answers.insert(question.id.clone(), vec![choice.id.clone()]);
        }
        prop_assert!(q.check_answers(&answers).is_ok());
        let a = assess(&q, &answers);
        prop_assert!(Level::ALL.contains(&a.level));
        // Adding "je le fais" to every activity question can only raise domains.
        let mut more = answers.clone();
        for question in &q.questions {
            if let Some(c) = question.choices.iter().find(|c| c.id == "le_fais" || (c.id == "oui" && c.signals.iter().any(|s| matches!(s, maillage_domain::diagnostic::Signal::Activity { .. })))) {
                more.insert(question.id.clone(), vec![c.id.clone()]);
            }
        }
        let b = assess(&q, &more);
        for (d, l) in &a.domains {
            prop_assert!(b.domains[d] >= *l);
        }
    }
}
