//! An answer sheet of the diagnostic as `POST /api/v1/diagnostic/score` and
//! `maillage diagnostic score --answers FILE.json` read it: JSON parsed, answers checked against
//! the shipped questionnaire they name, scored, the result written as JSON (and read back, as a
//! stored diagnostic is) and compared with a first test. Never a panic.
//!
//! A text that is no answer sheet is also tried as a questionnaire (a coordinator's adapted
//! version is JSON from outside too), scored with the first choice of every question.
#![no_main]

use std::collections::BTreeMap;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use maillage_domain::diagnostic::{
    AnswerSheet, Answers, Assessment, Questionnaire, assess, builtin, compare,
};

fn shipped() -> &'static [Questionnaire] {
    static Q: OnceLock<Vec<Questionnaire>> = OnceLock::new();
    Q.get_or_init(builtin)
}

fn score(q: &Questionnaire, answers: &Answers) {
    if q.check_answers(answers).is_err() {
        return;
    }
    let a = assess(q, answers);
    let json = serde_json::to_string(&a).expect("résultat en JSON");
    let back: Assessment = serde_json::from_str(&json).expect("résultat relu");
    assert_eq!(back, a, "le résultat relu diffère");
    let first = assess(q, &BTreeMap::new());
    let _ = compare(&first, &a);
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match AnswerSheet::from_json(text) {
        Ok(sheet) => {
            if let Some(q) = shipped()
                .iter()
                .find(|q| q.id == sheet.questionnaire && q.version == sheet.version)
            {
                score(q, &sheet.answers());
            }
        }
        Err(_) => {
            if let Ok(q) = Questionnaire::from_json(text) {
                let answers: Answers = q
                    .questions
                    .iter()
                    .map(|question| (question.id.clone(), vec![question.choices[0].id.clone()]))
                    .collect();
                score(&q, &answers);
            }
        }
    }
});
