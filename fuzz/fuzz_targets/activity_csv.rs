//! An import of past activity records as a CSV file (`,` or `;`), as the page
//! « Activités › Importer » receives it: read into rows keyed by the template's columns, each
//! row made a record form and validated. Never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use maillage_standard::activity::{form_of_row, read_import};

fuzz_target!(|data: &[u8]| {
    // A file that starts like a zip is read as XLSX whatever its name: `activity_xlsx` covers it.
    if data.starts_with(b"PK\x03\x04") {
        return;
    }
    let Ok(rows) = read_import(data, "activites.csv") else {
        return;
    };
    let today = chrono::NaiveDate::from_ymd_opt(2026, 6, 1).expect("date");
    for (_, cells) in &rows {
        let _ = form_of_row(cells).validate(today);
    }
});
