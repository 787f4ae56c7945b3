//! A `horaires` value (OpenStreetMap opening_hours) as files, forms and the API give it: checked
//! (with its known repairs), then evaluated as the search (open now, open at, spans), the
//! orientation (open minutes in a person's free time), the place page (week table) and the
//! booklet (usual hours) do. Never a panic, never a hang.
//!
//! Input: 8 bytes of date-time, then the text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use maillage_domain::hours::{HoursCheck, check_hours, monday_of};

fuzz_target!(|data: &[u8]| {
    if data.len() < 8 {
        return;
    }
    let (when, text) = data.split_at(8);
    let text = maillage_fuzz::text(text);
    let hours = match check_hours(&text) {
        HoursCheck::Valid(h) => h,
        HoursCheck::Repaired { hours, text, .. } => {
            // A repaired text is itself valid as it is.
            assert!(
                matches!(check_hours(&text), HoursCheck::Valid(_)),
                "texte réparé refusé : {text:?}"
            );
            hours
        }
        HoursCheck::Invalid { .. } => return,
    };
    let at = maillage_fuzz::date_time(when);
    let _ = hours.is_open_at(at);
    let _ = hours.state_span(at, chrono::Duration::days(8));
    let _ = hours.open_minutes_between(at, at + chrono::Duration::hours(4));
    let _ = hours.is_open_now(at.and_utc(), maillage_domain::hours::timezone_of_departement("54"));
    let _ = hours.week(monday_of(at.date()));
    let _ = maillage_domain::booklet::usual_hours(&hours, at.date());
    let _ = hours.to_osm();
});
