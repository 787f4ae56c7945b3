//! The one rule against formula injection of every CSV/XLSX written, and its inverse applied to
//! every cell imported: a value written then read is the value (`uncell(cell(x)) == x`), and a
//! written cell never starts a formula unless it is a plain number.
#![no_main]

use libfuzzer_sys::fuzz_target;
use maillage_domain::spreadsheet::{cell, uncell};

/// What a spreadsheet runs as a formula, independently of the crate's own list.
fn starts_formula(s: &str) -> bool {
    s.starts_with(['=', '+', '-', '@', '\t', '\r', '＝', '＋', '－', '＠'])
}

/// `-21.1`, `+33180059880`: a signed number, no formula.
fn signed_number(s: &str) -> bool {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    digits.bytes().any(|b| b.is_ascii_digit()) && digits.bytes().all(|b| b.is_ascii_digit() || b == b'.')
}

fuzz_target!(|data: &[u8]| {
    let text = maillage_fuzz::text(data);
    let value = text.as_ref();
    let written = cell(value);
    assert_eq!(uncell(&written), value, "valeur relue différente");
    assert!(
        !starts_formula(&written) || signed_number(&written),
        "cellule écrite qui lance une formule : {written:?}"
    );
});
