//! Cells of the CSV and XLSX files Maillage writes: one rule against formula injection
//! (« CSV injection »), used by every export, and its inverse used by every import so that an
//! export re-imports as it was.
//!
//! A cell a spreadsheet would run as a formula — starting with `=`, `+`, `-`, `@`, a tab or a
//! carriage return, or their full-width forms — is written with a leading apostrophe, which
//! spreadsheets show as text. A plain number (`-21.1`, `+33180059880`) is left alone: it is no
//! formula, and the standard's open-data CSV keeps its coordinates and phone numbers as they are.

use std::borrow::Cow;

fn formula_start(c: char) -> bool {
    matches!(
        c,
        '=' | '+' | '-' | '@' | '\t' | '\r' | '\u{FF1D}' | '\u{FF0B}' | '\u{FF0D}' | '\u{FF20}'
    )
}

fn plain_number(value: &str) -> bool {
    let digits = value.strip_prefix(['+', '-']).unwrap_or(value);
    !digits.is_empty()
        && digits.chars().any(|c| c.is_ascii_digit())
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        && digits.chars().filter(|c| *c == '.').count() <= 1
}

/// Whether a value needs the apostrophe: it starts a formula, or it starts with an apostrophe
/// that a reader would otherwise take for ours.
fn needs_apostrophe(value: &str) -> bool {
    match value.chars().next() {
        Some('\'') => needs_apostrophe(&value[1..]),
        Some(c) => formula_start(c) && !plain_number(value),
        None => false,
    }
}

/// The text of a cell as written in a CSV or XLSX file.
pub fn cell(value: &str) -> Cow<'_, str> {
    if needs_apostrophe(value) {
        Cow::Owned(format!("'{value}"))
    } else {
        Cow::Borrowed(value)
    }
}

/// A whole row through [`cell`], for a CSV writer.
pub fn row<I, S>(values: I) -> Vec<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    values
        .into_iter()
        .map(|v| cell(v.as_ref()).into_owned())
        .collect()
}

/// The value of a cell read from a CSV or XLSX file: the apostrophe [`cell`] added is removed.
pub fn uncell(value: &str) -> &str {
    match value.strip_prefix('\'') {
        Some(rest) if needs_apostrophe(rest) => rest,
        _ => value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formulas_are_neutralised_numbers_are_not() {
        assert_eq!(
            cell("=HYPERLINK(\"http://x\",\"clic\")"),
            "'=HYPERLINK(\"http://x\",\"clic\")"
        );
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("+33 1 80 05 98 80"), "'+33 1 80 05 98 80");
        assert_eq!(cell("- atelier du mardi"), "'- atelier du mardi");
        assert_eq!(cell("\t=1"), "'\t=1");
        assert_eq!(cell("＝1+1"), "'＝1+1");
        assert_eq!(cell("-21.1"), "-21.1");
        assert_eq!(cell("+33180059880"), "+33180059880");
        assert_eq!(cell("Médiathèque"), "Médiathèque");
        assert_eq!(cell(""), "");
        assert_eq!(uncell("'=1+1"), "=1+1");
        assert_eq!(
            uncell("'l'atelier"),
            "'l'atelier",
            "an apostrophe of the text stays"
        );
        assert_eq!(uncell("'-5"), "'-5");
        assert_eq!(cell("'=1"), "''=1");
        assert_eq!(uncell("''=1"), "'=1");
    }

    proptest! {
        #[test]
        fn a_cell_reads_back_as_written_and_never_starts_a_formula(value in "\\PC{0,40}") {
            let written = cell(&value);
            prop_assert_eq!(uncell(&written), value.as_str());
            let first = written.chars().next();
            prop_assert!(first.is_none_or(|c| !formula_start(c)) || plain_number(&written));
        }
    }
}
