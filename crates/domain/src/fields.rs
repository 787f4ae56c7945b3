//! Cleaning and checking of single field values, as the ecosystem expects them: phone numbers to
//! E.164, postcodes, INSEE codes, pivots, dates, e-mails and URLs. Each function returns the clean
//! value, or the French reason why the value is refused.

use chrono::{Datelike, NaiveDate};

/// Placeholder pivot meaning « SIRET/RNA unknown ».
pub const UNKNOWN_PIVOT: &str = "00000000000000";

/// A value was repaired: the clean value and what was done, in French.
#[derive(Debug, Clone, PartialEq)]
pub struct Repaired<T> {
    pub value: T,
    pub note: Option<String>,
}

impl<T> Repaired<T> {
    fn clean(value: T) -> Self {
        Self { value, note: None }
    }
    fn with_note(value: T, note: impl Into<String>) -> Self {
        Self {
            value,
            note: Some(note.into()),
        }
    }
}

/// Normalises a French phone number to E.164 as the standard requires (`+33` then 9 digits, or
/// the overseas country codes the schema lists). Accepts spaces, dots, dashes, `(0)`, `0033`.
pub fn phone_e164(raw: &str) -> Result<Repaired<String>, String> {
    let trimmed = raw.trim();
    // Several numbers in one cell: keep the first one, say so.
    let first = trimmed
        .split(['/', ';', '|', ','])
        .map(str::trim)
        .find(|s| !s.is_empty())
        .unwrap_or("");
    let several = first.len() < trimmed.len();
    let mut digits = String::with_capacity(first.len() + 1);
    let mut rest = first;
    // « (0) » is a trunk prefix written in brackets: not a digit of the number.
    while let Some((before, after)) = rest.split_once("(0)") {
        digits.extend(before.chars().filter(|c| c.is_ascii_digit() || *c == '+'));
        rest = after;
    }
    digits.extend(rest.chars().filter(|c| c.is_ascii_digit() || *c == '+'));
    if digits.starts_with("00") {
        digits.replace_range(..2, "+");
    }
    let e164 = if let Some(rest) = digits.strip_prefix('+') {
        if rest.contains('+') {
            return Err("le numéro contient plusieurs « + »".into());
        }
        const CODES: [&str; 10] = [
            "33", "590", "594", "262", "596", "269", "687", "689", "508", "681",
        ];
        let Some(code) = CODES.iter().find(|c| rest.starts_with(*c)) else {
            return Err("l'indicatif n'est pas français (+33 ou un indicatif d'outre-mer)".into());
        };
        let mut national = &rest[code.len()..];
        // « +33 0X… » : the trunk 0 must go.
        let trunk = national.starts_with('0') && national.len() == 10;
        if trunk {
            national = &national[1..];
        }
        if !(6..=9).contains(&national.len()) {
            return Err(format!(
                "un numéro en +{code} compte de 6 à 9 chiffres après l'indicatif"
            ));
        }
        if trunk {
            format!("+{code}{national}")
        } else {
            // Already `+{code}{national}`.
            digits
        }
    } else if !digits.bytes().all(|b| b.is_ascii_digit()) {
        // A « + » elsewhere than in front (« 2+3314244 » became « +332+3314244 »).
        return Err("le « + » d'un numéro s'écrit seulement au début".into());
    } else if digits.len() == 10 && digits.starts_with('0') {
        let national = &digits[1..];
        let code = overseas_code(&digits).unwrap_or("33");
        format!("+{code}{national}")
    } else if digits.len() == 9 && !digits.starts_with('0') {
        // Leading zero lost by a spreadsheet.
        format!("+33{digits}")
    } else if digits.len() == 4 && digits.starts_with('3') {
        return Err("un numéro court (3xxx) ne peut pas s'écrire au format international".into());
    } else {
        return Err("ce n'est pas un numéro de téléphone français à 10 chiffres".into());
    };
    let note = match (e164 != trimmed, several) {
        (_, true) => Some(format!(
            "plusieurs numéros : seul le premier est gardé ({e164})"
        )),
        (true, false) => Some(format!("numéro mis au format international : {e164}")),
        (false, false) => None,
    };
    Ok(Repaired { value: e164, note })
}

/// Country code of an overseas number written in the national format (`0590…`, `0692…`).
fn overseas_code(national_with_zero: &str) -> Option<&'static str> {
    let prefix = national_with_zero.get(0..4)?;
    match prefix {
        "0590" | "0690" | "0691" => Some("590"),
        "0594" | "0694" => Some("594"),
        "0596" | "0696" | "0697" => Some("596"),
        "0262" | "0263" | "0692" | "0693" | "0269" | "0639" => Some("262"),
        _ => None,
    }
}

/// Checks a French postcode; a 4-digit code lost its leading zero in a spreadsheet.
/// A stored E.164 number as French readers write it: `+33180059880` → `01 80 05 98 80`.
/// Overseas and foreign numbers are kept in international form.
pub fn phone_national(e164: &str) -> String {
    match e164.strip_prefix("+33") {
        Some(rest) if rest.len() == 9 && rest.bytes().all(|b| b.is_ascii_digit()) => {
            let digits = format!("0{rest}");
            digits
                .as_bytes()
                .chunks(2)
                .map(|pair| String::from_utf8_lossy(pair).into_owned())
                .collect::<Vec<_>>()
                .join(" ")
        }
        _ => e164.to_string(),
    }
}

pub fn postcode(raw: &str) -> Result<Repaired<String>, String> {
    let value: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    if value.len() == 5 && value.chars().all(|c| c.is_ascii_digit()) {
        Ok(Repaired::clean(value))
    } else if value.len() == 4 && value.chars().all(|c| c.is_ascii_digit()) {
        let fixed = format!("0{value}");
        Ok(Repaired::with_note(
            fixed.clone(),
            format!("zéro initial rétabli : {fixed}"),
        ))
    } else {
        Err("un code postal compte 5 chiffres".into())
    }
}

/// Checks an INSEE commune code (`^([013-9]\d|2[AB1-9])\d{3}$`).
pub fn insee_code(raw: &str) -> Result<String, String> {
    let v = raw.trim().to_ascii_uppercase();
    let b = v.as_bytes();
    let ok = b.len() == 5
        && b[2..].iter().all(u8::is_ascii_digit)
        && match (b[0], b[1]) {
            (b'2', b'A' | b'B' | b'1'..=b'9') => true,
            (b'0' | b'1' | b'3'..=b'9', d) => d.is_ascii_digit(),
            _ => false,
        };
    if ok {
        Ok(v)
    } else {
        Err("un code INSEE compte 5 caractères (par exemple 51454 ou 2A004)".into())
    }
}

/// Département of an INSEE commune code (`13`, `2A`, `971`).
pub fn departement_of_insee(code: &str) -> Option<&str> {
    if code.len() != 5 {
        return None;
    }
    if code.starts_with("97") || code.starts_with("98") {
        code.get(0..3)
    } else {
        code.get(0..2)
    }
}

/// Checks a SIRET/RNA/RIDET pivot; blanks are removed; empty means unknown (placeholder).
pub fn pivot(raw: &str) -> Result<Repaired<String>, String> {
    let v: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    if v.is_empty() {
        return Ok(Repaired::with_note(
            UNKNOWN_PIVOT.to_string(),
            "pivot absent : remplacé par 00000000000000 (inconnu)",
        ));
    }
    if (9..=14).contains(&v.len()) && v.chars().all(|c| c.is_ascii_alphanumeric()) {
        if v != raw {
            Ok(Repaired::with_note(v, "espaces retirés du pivot"))
        } else {
            Ok(Repaired::clean(v))
        }
    } else {
        Err("un pivot est un SIRET (14 chiffres), un SIREN (9 chiffres) ou un RNA (W + 9 caractères)".into())
    }
}

/// Parses `date_maj`: ISO 8601 (`2024-04-02`, with or without time) or the French `02/04/2024`.
pub fn date(raw: &str) -> Result<Repaired<NaiveDate>, String> {
    let v = raw.trim();
    // The day, then maybe a time (`T10:00`, ` 10:00`). The day is four digits of year, then
    // one or two of month and of day: chrono alone also reads `-2026-2-12` or a day cut in the
    // middle of its digits, which written back read as another date.
    let (day, time) = v.split_at(v.find(['T', ' ']).unwrap_or(v.len()));
    let number = |t: &str, widths: std::ops::RangeInclusive<usize>| {
        (widths.contains(&t.len()) && t.bytes().all(|b| b.is_ascii_digit()))
            .then(|| t.parse::<u32>().ok())
            .flatten()
    };
    let mut parts = day.split('-');
    if let (Some(y), Some(m), Some(d), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
        && let (Some(y), Some(m), Some(d)) = (number(y, 4..=4), number(m, 1..=2), number(d, 1..=2))
        && let Some(date) = i32::try_from(y)
            .ok()
            .and_then(|y| NaiveDate::from_ymd_opt(y, m, d))
    {
        return Ok(if !time.is_empty() {
            Repaired::with_note(date, "heure ignorée, seule la date est gardée")
        } else if day.len() < 10 {
            Repaired::with_note(date, format!("date complétée en {date}"))
        } else {
            Repaired::clean(date)
        });
    }
    if let Some(d) = NaiveDate::parse_from_str(v, "%d/%m/%Y")
        .ok()
        .filter(|d| (1000..=9999).contains(&d.year()))
    {
        return Ok(Repaired::with_note(
            d,
            format!("date au format français convertie en {d}"),
        ));
    }
    Err("la date doit s'écrire AAAA-MM-JJ (par exemple 2024-04-02)".into())
}

/// Checks an e-mail address (shape only: one `@`, a dot in the domain, no blank).
pub fn email(raw: &str) -> Result<String, String> {
    let v = raw.trim();
    let mut parts = v.split('@');
    let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err("une adresse électronique contient un seul « @ »".into());
    };
    let valid = !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !v.chars().any(char::is_whitespace);
    if valid {
        // (The same as `to_lowercase` for ASCII, without reading each character's tables.)
        Ok(if v.is_ascii() {
            v.to_ascii_lowercase()
        } else {
            v.to_lowercase()
        })
    } else {
        Err("adresse électronique mal formée".into())
    }
}

/// Whether an address starting with a scheme names a domain after it.
fn has_host(v: &str) -> bool {
    v.split("://").nth(1).unwrap_or("").contains('.')
}

/// Checks a web address; a bare domain (`www.example.fr`) gets `https://`.
pub fn url(raw: &str) -> Result<Repaired<String>, String> {
    let v = raw.trim();
    if v.chars().any(char::is_whitespace) {
        return Err("une adresse web ne contient pas d'espace".into());
    }
    let lower = v.to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        if has_host(v) {
            return Ok(Repaired::clean(v.to_string()));
        }
        return Err("adresse web sans nom de domaine".into());
    }
    // A bare domain only: with another scheme or a mistyped one (`htps://…`) in front, the
    // repaired address would be one refused above.
    let fixed = format!("https://{v}");
    if v.contains('.') && !v.contains('@') && !v.starts_with('.') && has_host(&fixed) {
        return Ok(Repaired::with_note(
            fixed.clone(),
            format!("« https:// » ajouté : {fixed}"),
        ));
    }
    Err("une adresse web commence par https://".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn national_phone_display() {
        assert_eq!(phone_national("+33180059880"), "01 80 05 98 80");
        assert_eq!(phone_national("+262262000000"), "+262262000000");
        assert_eq!(phone_national("+3318005988x"), "+3318005988x");
    }

    #[test]
    fn phone_numbers_of_real_files() {
        let ok = |raw: &str, want: &str| {
            assert_eq!(phone_e164(raw).map(|r| r.value), Ok(want.into()), "{raw}")
        };
        ok("+33180059880", "+33180059880");
        ok("04 90 41 96 31", "+33490419631");
        ok("04.90.41.96.31", "+33490419631");
        ok("+33 (0)4 90 41 96 31", "+33490419631");
        ok("0033490419631", "+33490419631");
        ok("490419631", "+33490419631");
        ok("0590 12 34 56", "+590590123456");
        ok("0692 12 34 56", "+262692123456");
        ok("04 90 41 96 31 / 06 12 34 56 78", "+33490419631");
        assert!(phone_e164("3949").is_err());
        assert!(phone_e164("+44 20 7946 0958").is_err());
        assert!(phone_e164("téléphone").is_err());
    }

    #[test]
    fn postcode_and_insee() {
        assert_eq!(postcode("1000").map(|r| r.value), Ok("01000".into()));
        assert!(postcode("750011").is_err());
        assert_eq!(insee_code("2a004"), Ok("2A004".into()));
        assert!(insee_code("20004").is_err());
        assert_eq!(departement_of_insee("97411"), Some("974"));
        assert_eq!(departement_of_insee("13055"), Some("13"));
    }

    #[test]
    fn dates_and_pivots() {
        assert_eq!(
            date("2024-04-02").map(|r| r.value.to_string()),
            Ok("2024-04-02".into())
        );
        assert_eq!(
            date("02/04/2024").map(|r| r.value.to_string()),
            Ok("2024-04-02".into())
        );
        assert_eq!(
            date("2024-04-02T12:00:00Z").map(|r| r.value.to_string()),
            Ok("2024-04-02".into())
        );
        assert!(date("avril 2024").is_err());
        assert_eq!(pivot("").map(|r| r.value), Ok(UNKNOWN_PIVOT.into()));
        assert_eq!(
            pivot("434 933 123 00029").map(|r| r.value),
            Ok("43493312300029".into())
        );
        assert!(pivot("12").is_err());
    }

    #[test]
    fn emails_and_urls() {
        assert_eq!(
            email(" Contact@Exemple.fr "),
            Ok("contact@exemple.fr".into())
        );
        assert!(email("contact@exemple").is_err());
        assert!(email("a@b@c.fr").is_err());
        assert_eq!(
            url("www.exemple.fr").map(|r| r.value),
            Ok("https://www.exemple.fr".into())
        );
        assert!(url("pas une url").is_err());
    }

    /// Found by fuzzing (`fuzz/fuzz_targets/fields.rs`): `-2026-2-12-06` was read as
    /// -2026-02-12, written `-2026-02-12`, whose ten first characters read -2026-02-01. A day
    /// on one digit is still repaired.
    #[test]
    fn a_date_is_read_back_as_written() {
        for raw in [
            "-2026-2-12-06",
            "2026-02-123",
            "+2026-02-12",
            "1/2/-2026",
            "1/2/12026",
            "2026-02-30",
        ] {
            assert!(date(raw).is_err(), "{raw}");
        }
        let repaired = date("2026-2-5").expect("jour sur un chiffre");
        assert_eq!(repaired.value.to_string(), "2026-02-05");
        assert!(repaired.note.is_some());
        assert_eq!(
            date("2026-02-12T10:00").map(|r| r.value.to_string()),
            Ok("2026-02-12".into())
        );
        assert_eq!(
            date("12/02/2026").map(|r| r.value.to_string()),
            Ok("2026-02-12".into())
        );
    }

    /// Found by fuzzing (`fuzz/fuzz_targets/fields.rs`): a « + » inside nine or ten digits was
    /// kept, out of E.164 (`+332+3314244`).
    #[test]
    fn a_plus_sign_only_leads_a_number() {
        for raw in ["2+3314244", "01+2345678", "06 12 34+56 78"] {
            assert!(phone_e164(raw).is_err(), "{raw}");
        }
        assert_eq!(
            phone_e164("+33 6 12 34 56 78").map(|r| r.value),
            Ok("+33612345678".into())
        );
    }

    /// Found by fuzzing (`fuzz/fuzz_targets/fields.rs`): a mistyped scheme got `https://` in
    /// front, an address `url` then refused — the place's export could not be imported again.
    #[test]
    fn a_repaired_url_is_a_valid_url() {
        for raw in [
            "htps://www.exemple.fr",
            "ftp://exemple.fr",
            "489http://,9,6.16.1",
        ] {
            assert!(url(raw).is_err(), "{raw}");
        }
        assert_eq!(
            url("www.exemple.fr/?retour=https://x.fr").map(|r| r.value),
            Ok("https://www.exemple.fr/?retour=https://x.fr".into())
        );
    }

    proptest! {
        #[test]
        fn phone_parser_never_panics_and_output_matches_schema(s in "\\PC{0,30}") {
            if let Ok(r) = phone_e164(&s) {
                let v = r.value;
                prop_assert!(v.starts_with('+'));
                let digits = &v[1..];
                prop_assert!(digits.chars().all(|c| c.is_ascii_digit()));
                prop_assert!((8..=12).contains(&digits.len()));
            }
        }

        #[test]
        fn any_ten_digit_french_number_normalises(n in 100_000_000u64..999_999_999u64) {
            let raw = format!("0{n}");
            let spaced: String = raw.chars().enumerate()
                .flat_map(|(i, c)| if i > 0 && i % 2 == 0 { vec![' ', c] } else { vec![c] })
                .collect();
            let a = phone_e164(&raw).map(|r| r.value);
            let b = phone_e164(&spaced).map(|r| r.value);
            prop_assert!(a.is_ok());
            prop_assert_eq!(a, b);
        }

        #[test]
        fn date_parser_never_panics(s in "\\PC{0,25}") {
            let _ = date(&s);
            let _ = postcode(&s);
            let _ = insee_code(&s);
            let _ = pivot(&s);
            let _ = url(&s);
            let _ = email(&s);
        }
    }
}
