//! Files of data·inclusion v1 as `maillage import data-inclusion` and a pulled source read them
//! (issue #21): the input is `structures.json`, a NUL byte, then `services.json`. They are read
//! into records of the standard and validated against the commune referential. Never a panic;
//! `Err` only for an unreadable file. The places accepted, written back as data·inclusion and
//! read again, are all accepted again: what Maillage publishes it can take back.
#![no_main]

use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;
use maillage_fuzz::validation_context;
use maillage_standard::data_inclusion::{Producer, export, read};

fuzz_target!(|data: &[u8]| {
    let (structures, services) = match data.iter().position(|b| *b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &b"[]"[..]),
    };
    let Ok(file) = read(structures, services) else {
        return;
    };
    let ctx = validation_context();
    let progress = maillage_domain::progress::Silent;
    let Ok(report) = maillage_standard::check_read(file, &ctx, &progress) else {
        return;
    };
    let _ = report.to_text();
    let places: Vec<_> = report.valid().filter_map(|r| r.place.clone()).collect();
    if places.is_empty() {
        return;
    }
    let today = NaiveDate::from_ymd_opt(2026, 12, 5).expect("date");
    let producer = Producer {
        source: "fuzz",
        public_url: "https://annuaire.exemple.fr",
        today,
    };
    let out = export(places.iter().map(|p| (p, Some(today))), &producer);
    let again = read(
        &out.structures_json().expect("structures"),
        &out.services_json().expect("services"),
    )
    .expect("relu");
    let report = maillage_standard::check_read(again, &ctx, &progress).expect("relu");
    assert_eq!(
        report.valid_count(),
        out.structures.len(),
        "une structure exportée n'est plus valide une fois relue :\n{}",
        report.to_text()
    );
});
