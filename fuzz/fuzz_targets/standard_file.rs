//! A file of places as an import receives it (page, API, CLI): the standard's reader detects
//! format (CSV with any delimiter, JSON, GeoJSON), version (v1, v0.1) and encoding from the
//! content, then validates every record against the commune referential and the typologies.
//! Never a panic; `Err` only for an unreadable file. Every record it accepts is written back as
//! the standard's CSV and read again: the export of what an import took is itself valid.
#![no_main]

use libfuzzer_sys::fuzz_target;
use maillage_fuzz::validation_context;
use maillage_standard::export::{ExportFormat, to_bytes};

fuzz_target!(|data: &[u8]| {
    let ctx = validation_context();
    let Ok(report) = maillage_standard::check(data, &ctx) else {
        return;
    };
    // The French report, as the pages and the CLI print it.
    let _ = report.to_text();
    let places: Vec<_> = report.valid().filter_map(|r| r.place.clone()).collect();
    if places.is_empty() {
        return;
    }
    let csv = to_bytes(&places, ExportFormat::Csv).expect("export CSV");
    let again = maillage_standard::check(&csv, &ctx).expect("export relu");
    assert_eq!(
        again.valid_count(),
        places.len(),
        "un lieu accepté n'est plus valide une fois exporté :\n{}",
        again.to_text()
    );
});
