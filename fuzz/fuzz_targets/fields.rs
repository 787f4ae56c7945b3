//! Single values typed or read from files: the field cleaners of the standard (phone to E.164,
//! postcode, INSEE code, pivot, `date_maj`, e-mail, web address), a workshop session line, a
//! « lat,lon » point, an activity's duration and date, a typed search's limits and the text
//! keys of communes and duplicates. Never a panic; every cleaner, given its own clean value,
//! keeps it as it is.
#![no_main]

use libfuzzer_sys::fuzz_target;
use maillage_domain::fields;

/// `clean(clean(x)) == clean(x)`, with no repair the second time.
fn stable(name: &str, clean: impl Fn(&str) -> Result<fields::Repaired<String>, String>, raw: &str) {
    if let Ok(first) = clean(raw) {
        let second = clean(&first.value);
        assert_eq!(
            second,
            Ok(fields::Repaired {
                value: first.value.clone(),
                note: None
            }),
            "{name} : « {raw} » nettoyé en « {} » n'est pas stable",
            first.value
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let text = maillage_fuzz::text(data);
    let raw = text.as_ref();

    stable("téléphone", fields::phone_e164, raw);
    if let Ok(p) = fields::phone_e164(raw) {
        let _ = fields::phone_national(&p.value);
    }
    stable("code postal", fields::postcode, raw);
    stable("pivot", fields::pivot, raw);
    stable("site web", fields::url, raw);
    if let Ok(code) = fields::insee_code(raw) {
        assert_eq!(fields::insee_code(&code).as_ref(), Ok(&code));
        assert!(fields::departement_of_insee(&code).is_some());
    }
    let _ = fields::departement_of_insee(raw);
    if let Ok(e) = fields::email(raw) {
        assert_eq!(fields::email(&e).as_ref(), Ok(&e), "courriel pas stable");
    }
    if let Ok(d) = fields::date(raw) {
        let written = d.value.to_string();
        assert_eq!(
            fields::date(&written).map(|r| r.value),
            Ok(d.value),
            "date_maj « {raw} » réécrite « {written} » illisible"
        );
    }

    let _ = maillage_domain::workshops::parse_session(raw);
    let _ = maillage_domain::geo::GeoPoint::parse(raw);
    let _ = maillage_domain::activity::parse_duration(raw);
    let _ = maillage_domain::activity::parse_date(raw);
    let _ = maillage_domain::text::check_query(raw);
    let _ = maillage_domain::text::fold(raw);
    let _ = maillage_domain::text::commune_key(raw);
    let _ = maillage_domain::text::compact_key(raw);
});
