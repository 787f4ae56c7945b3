//! A file of communes' indicators (issue #20) as CSV, as `POST /territoire/indicateurs` and
//! `maillage import indicateurs` receive it: read with its French report, then the communes read
//! scored. Never a panic; every score between 1 and 10.
#![no_main]

use libfuzzer_sys::fuzz_target;
use maillage_domain::fragility::scores;
use maillage_standard::fragility::read_indicators;

fuzz_target!(|data: &[u8]| {
    // A file that starts like a zip is read as XLSX: `activity_xlsx` covers that reader.
    if data.starts_with(b"PK\x03\x04") {
        return;
    }
    let Ok(file) = read_indicators(data, "indicateurs.csv") else {
        return;
    };
    for e in &file.errors {
        let _ = e.to_string();
    }
    let communes: Vec<_> = file.communes.into_iter().map(|(_, c)| c).collect();
    for score in scores(&communes).by_commune.values() {
        assert!((1.0..=10.0).contains(score), "indice {score}");
    }
});
