//! The record form of an activity (page « Activités › Nouvelle », API, each row of an import):
//! every field is text from outside. Never a panic; a record it accepts, given back as the form
//! that edits it, is accepted again unchanged.
//!
//! Input: the fields one per line, in the order of `ActivityForm`; list fields separated by `;`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use maillage_domain::activity::ActivityForm;

fuzz_target!(|data: &[u8]| {
    let text = maillage_fuzz::text(data);
    let mut lines = text.split('\n');
    let mut one = || lines.next().unwrap_or_default().to_string();
    let list = |s: String| -> Vec<String> { s.split(';').map(str::to_string).collect() };
    let form = ActivityForm {
        kind: one(),
        date: one(),
        duration: one(),
        venue: one(),
        place_id: one(),
        insee_code: one(),
        themes: list(one()),
        procedure_themes: list(one()),
        procedure_name: one(),
        equipment: list(one()),
        autonomy: one(),
        outcome: one(),
        redirection: one(),
        title: one(),
        level: one(),
        persons: list(one()),
        anonymous_total: one(),
        ages: list(one()),
        genders: list(one()),
        statuses: list(one()),
        residence: one(),
        tags: list(one()),
    };
    let today = chrono::NaiveDate::from_ymd_opt(2026, 6, 1).expect("date");
    let Ok(activity) = form.validate(today) else {
        return;
    };
    let _ = activity.summary();
    let again = activity.to_form().validate(today);
    assert_eq!(
        again.as_ref(),
        Ok(&activity),
        "l'activité relue par son formulaire diffère"
    );
});
