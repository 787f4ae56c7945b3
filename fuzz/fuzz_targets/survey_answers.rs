//! A survey's answer (issue #20) as `POST /questionnaire/{token}`, the paper answers' page and
//! `POST /api/v1/enquetes/{id}/reponses` read it: a form body's fields parsed against each of the
//! two questionnaires of seed 002, counted, and what a partner's answer changes on a place.
//! Never a panic; an answer accepted, written back as fields, reads back equal, and its JSON as
//! stored reads back equal.
#![no_main]

use libfuzzer_sys::fuzz_target;
use maillage_domain::Place;
use maillage_domain::surveys::{
    Answers, PARTNERS, PUBLIC, answer_fields, apply_answers, parse_answers, place_changes, tally,
};

fuzz_target!(|data: &[u8]| {
    let fields: Vec<(String, String)> = form_urlencoded::parse(data)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    for q in [&PARTNERS, &PUBLIC] {
        let Ok(answers) = parse_answers(q, &fields) else {
            continue;
        };
        let back = parse_answers(q, &answer_fields(q, &answers)).expect("réponse réécrite refusée");
        assert_eq!(back, answers, "réponse réécrite différente");
        let json = serde_json::to_string(&answers).expect("JSON");
        let stored: Answers = serde_json::from_str(&json).expect("JSON relu");
        assert_eq!(stored, answers, "réponse enregistrée différente");
        let _ = tally(q, &[&answers]);
        let place = Place::new(
            "lieu",
            "Lieu",
            "1 rue A",
            "54000",
            "Nancy",
            chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("date"),
        );
        let after = apply_answers(&place, &answers);
        assert!(place_changes(&after, &answers).is_empty(), "changements après application");
    }
});
