//! French formats of dates, numbers and waits, as pages, e-mails and exports write them.

use std::time::Duration;

use chrono::{Datelike, NaiveDate};

/// A date as written in French: « 1er décembre 2026 », « 3 décembre 2026 ».
/// « de » before a name, as French says it: « de Nancy », « d'Avril », « d'Essey-lès-Nancy »,
/// « du Havre », « des Mureaux », « de La Rochelle ».
pub fn of(name: &str) -> String {
    let name = name.trim();
    if let Some(rest) = name.strip_prefix("Le ") {
        return format!("du {rest}");
    }
    if let Some(rest) = name.strip_prefix("Les ") {
        return format!("des {rest}");
    }
    let first = crate::text::fold(&name.chars().take(1).collect::<String>());
    if matches!(first.as_str(), "a" | "e" | "i" | "o" | "u" | "y" | "h") {
        format!("d'{name}")
    } else {
        format!("de {name}")
    }
}

pub fn date(d: NaiveDate) -> String {
    let day = d.day();
    let day = if day == 1 {
        "1er".to_string()
    } else {
        day.to_string()
    };
    format!(
        "{day} {} {}",
        crate::hours::month_name(d.month0()),
        d.year()
    )
}

/// A number as written in French on pages (« 1 234 », « 5,7 »).
pub fn number(v: f64) -> String {
    let negative = v < 0.0;
    let v = v.abs();
    // Rounded to the tenth first: 5.96 is « 6 », not « 5,10 ».
    let tenths = (v * 10.0).round() as u64;
    let (whole, tenth) = (tenths / 10, tenths % 10);
    let digits = whole.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push('\u{202f}');
        }
        grouped.push(c);
    }
    let sign = if negative && tenths > 0 { "-" } else { "" };
    if tenth == 0 {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped},{tenth}")
    }
}

/// A wait in words: « 40 secondes », « 3 minutes ».
pub fn duration(d: Duration) -> String {
    let secs = d.as_secs().max(1);
    if secs < 60 {
        format!("{secs} seconde{}", if secs > 1 { "s" } else { "" })
    } else {
        let minutes = secs.div_ceil(60);
        format!("{minutes} minute{}", if minutes > 1 { "s" } else { "" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_numbers_and_waits_read_as_in_french() {
        let d = |y, m, j| NaiveDate::from_ymd_opt(y, m, j).unwrap_or_default();
        assert_eq!(date(d(2026, 12, 1)), "1er décembre 2026");
        assert_eq!(date(d(2026, 3, 17)), "17 mars 2026");
        assert_eq!(number(1234.0), "1\u{202f}234");
        assert_eq!(number(5.7), "5,7");
        assert_eq!(number(-1234567.25), "-1\u{202f}234\u{202f}567,3");
        assert_eq!(number(0.0), "0");
        assert_eq!(number(5.96), "6");
        assert_eq!(number(999.96), "1\u{202f}000");
        assert_eq!(duration(Duration::from_secs(1)), "1 seconde");
        assert_eq!(duration(Duration::from_secs(40)), "40 secondes");
        assert_eq!(duration(Duration::from_secs(61)), "2 minutes");
        assert_eq!(duration(Duration::from_secs(60)), "1 minute");
    }

    #[test]
    fn de_before_a_name() {
        assert_eq!(of("Nancy"), "de Nancy");
        assert_eq!(of("Avril"), "d'Avril");
        assert_eq!(of("Essey-lès-Nancy"), "d'Essey-lès-Nancy");
        assert_eq!(of("Le Havre"), "du Havre");
        assert_eq!(of("Les Mureaux"), "des Mureaux");
        assert_eq!(of("La Rochelle"), "de La Rochelle");
        assert_eq!(of("Hyères"), "d'Hyères");
    }
}
