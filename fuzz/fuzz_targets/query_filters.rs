//! A query string as the directory, the API, the exports and the statistics receive it: split
//! into pairs, read as the directory's search filters (vocabularies item by item, commune, EPCI,
//! « près de », radius, « ouvert le », page, typed text within its limits) and as the
//! statistics' filter. Never a panic. The query string a result page puts in its links
//! (pagination, exports) gives the same search back; the statistics' filter written as pairs
//! reads back equal.
#![no_main]

use libfuzzer_sys::fuzz_target;
use maillage_app::directory::PlaceQuery;
use maillage_domain::indicators::Filter;
use maillage_web::kit::input;

fuzz_target!(|data: &[u8]| {
    let query = maillage_fuzz::text(data);
    let app = maillage_fuzz::app();
    // The typed reader refuses only what no form sends (a number that is not one).
    if let Ok(asked) = input::query::<PlaceQuery>(Some(&query)) {
        let parsed = app.place_search(&asked);
        let again: PlaceQuery = match input::query(Some(&parsed.query_string)) {
            Ok(q) => q,
            Err(e) => panic!("liens illisibles : {e}"),
        };
        let again = app.place_search(&again);
        assert_eq!(again.errors, parsed.errors, "liens : autres erreurs");
        assert_eq!(
            again.query_string, parsed.query_string,
            "liens : autre recherche"
        );
    }
    let _ = maillage_domain::text::check_query(&query);
    let _ = input::stats(Some(&query));

    let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if let Ok(filter) = Filter::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))) {
        let written = filter.to_pairs();
        let back = Filter::from_pairs(written.iter().map(|(k, v)| (*k, v.as_str())));
        assert_eq!(back.as_ref(), Ok(&filter), "filtre relu différent");
    }
});
