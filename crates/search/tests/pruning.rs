//! A search of words alone (no filter, no place, no opening) reads nothing of the places but
//! their rank, and a search of one word skips the places that cannot enter the page (block-max
//! WAND), its filters, if any, checked first for every place holding the word: both find
//! exactly what visiting and scoring every matching place finds (the index's
//! `visiting_every_match`) — same total, same places in the same order, same scores — on
//! directories large enough for many blocks of postings, after places were changed and removed
//! (deleted documents, several segments). A search asking nothing reads only the page of the
//! directory and counts every place. A search of words near a place reads only the places'
//! rank and position, and finds what visiting every place's entry finds, distances included;
//! ranked by distance alone, its words are matched unscored, and match exactly the places a
//! scored visit matches. A search asking a place's opening and nothing else of its entry reads
//! the opening and the position only, and finds what reading every entry finds; « open now »
//! reads the places open at the minute, and finds what « open at » that time finds.

use chrono::NaiveDate;
use maillage_domain::Place;
use maillage_domain::geo::GeoPoint;
use maillage_search::{IndexChange, OpenFilter, PlaceContext, Results, SearchIndex, SearchQuery};
use proptest::prelude::*;

/// Words a place may hold, several times (so that scores differ and often tie).
const WORDS: [&str; 6] = [
    "numérique",
    "médiathèque",
    "atelier",
    "emploi",
    "tablette",
    "france",
];

/// What is searched: one word of the places, one with a typo, two words, a word no place holds.
const ASKED: [&str; 9] = [
    "numérique",
    "médiathèque",
    "atelier",
    "emploi",
    "tablette",
    "France",
    "numerque",
    "atelier numérique",
    "jardinage",
];

/// A small deterministic generator: the directory is drawn from a seed.
struct Draw(u64);

impl Draw {
    fn next(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below.max(1)
    }

    fn words(&mut self, most: u64) -> Vec<&'static str> {
        (0..self.next(most + 1))
            .map(|_| WORDS[self.next(WORDS.len() as u64) as usize])
            .collect()
    }
}

fn place(i: usize, draw: &mut Draw) -> Place {
    let day = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap_or_default();
    let mut name = draw.words(2);
    name.push("lieu");
    let mut p = Place::new(
        format!("lieu-{i:05}"),
        name.join(" "),
        "1 rue de la Gare",
        "54000",
        "Nancy",
        day,
    );
    p.insee_code = Some("54395".into());
    // Most places within some 15 km of Nancy's centre, some without coordinates: drawn from
    // a generator of their own, so that the words of every place (and the recorded failing
    // cases of the tests that ignore positions) stay as they were drawn before positions.
    let mut spot = Draw(draw.0 ^ (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    if spot.next(5) > 0 {
        p.location = Some(GeoPoint {
            lat: 48.69 + (spot.next(2_000) as f64 - 1_000.0) / 7_000.0,
            lon: 6.18 + (spot.next(2_000) as f64 - 1_000.0) / 5_000.0,
        });
    }
    // Opening hours, some invalid, drawn from a generator of their own too.
    let hours = [
        None,
        Some(("Mo-Fr 09:00-12:00,14:00-17:00", true)),
        Some(("Tu,Th 10:00-18:00; Sa 09:00-12:00", true)),
        Some(("Mo-Sa 08:30-19:00", true)),
        Some(("le matin", false)),
    ];
    if let Some((text, valid)) = hours[spot.next(hours.len() as u64) as usize] {
        p.opening_hours = Some(text.into());
        p.opening_hours_valid = valid;
    }
    // Bodies of different lengths, so that a word weighs differently in each.
    let mut body = draw.words(5);
    body.extend((0..draw.next(12)).map(|_| "salle"));
    p.summary = Some(body.join(" "));
    p
}

/// The index of these places, without the cache of recent searches.
fn index_of(places: &[Place]) -> SearchIndex {
    SearchIndex::build(places.iter().map(|p| (p, PlaceContext::default())))
        .unwrap_or_else(|e| panic!("index : {e}"))
        .without_cache()
}

/// The index of `count` places drawn from `seed`, then `changed` places changed, removed or
/// added in a second batch: deleted documents in a new segment.
fn changed_index(seed: u64, count: usize, changed: usize) -> SearchIndex {
    let mut draw = Draw(seed);
    let places: Vec<Place> = (0..count).map(|i| place(i, &mut draw)).collect();
    let index = index_of(&places);
    index
        .apply(drawn_changes(&mut draw, count, changed))
        .unwrap_or_else(|e| panic!("changements : {e}"));
    index
}

/// `changed` places of a directory of `count` changed, removed or added, drawn from `draw`.
fn drawn_changes(draw: &mut Draw, count: usize, changed: usize) -> Vec<IndexChange<Place>> {
    (0..changed)
        .map(|i| match draw.next(3) {
            0 => IndexChange::Remove(format!("lieu-{:05}", draw.next(count as u64))),
            1 => IndexChange::Upsert(
                place(draw.next(count as u64) as usize, draw),
                PlaceContext::default(),
            ),
            _ => IndexChange::Upsert(place(count + i, draw), PlaceContext::default()),
        })
        .collect()
}

/// Total, then each hit's place, score and distance.
type Page = (usize, Vec<(String, Option<f32>, Option<f64>)>);

fn hits(r: &Results) -> Page {
    (r.total, r.hits.iter().map(hit).collect())
}

fn hit(h: &maillage_search::Hit) -> (String, Option<f32>, Option<f64>) {
    (h.id.clone(), h.score, h.distance_m)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    #[test]
    fn words_alone_find_what_visiting_every_place_finds(
        seed in 1u64..u64::MAX,
        count in 1usize..1_500,
        changed in 0usize..300,
        asked in 0..ASKED.len(),
        any_word in any::<bool>(),
        offset in 0usize..30,
        limit in 1usize..25,
    ) {
        let index = changed_index(seed, count, changed);
        let visiting_index = changed_index(seed, count, changed).visiting_every_match();

        let words = SearchQuery {
            text: Some(ASKED[asked].to_string()),
            any_word,
            offset,
            limit,
            ..SearchQuery::default()
        };
        // Every place is in this commune: the same search with a filter, on the index that
        // visits every matching place, and on the one that skips those that cannot enter the
        // page (the filter checked for each place holding the word).
        let filtered = SearchQuery {
            insee_code: Some("54395".into()),
            ..words.clone()
        };
        let page = index.search(&words).unwrap_or_else(|e| panic!("recherche : {e}"));
        let visited = visiting_index
            .search(&filtered)
            .unwrap_or_else(|e| panic!("recherche : {e}"));
        prop_assert_eq!(hits(&page), hits(&visited));
        let pruned_filtered = index.search(&filtered).unwrap_or_else(|e| panic!("recherche : {e}"));
        prop_assert_eq!(hits(&pruned_filtered), hits(&visited));
        let visited_words = visiting_index
            .search(&words)
            .unwrap_or_else(|e| panic!("recherche : {e}"));
        prop_assert_eq!(hits(&visited_words), hits(&visited));
        // And the page is the slice of the whole ranking.
        let all = index
            .search(&SearchQuery { offset: 0, limit: usize::MAX, ..words.clone() })
            .unwrap_or_else(|e| panic!("recherche : {e}"));
        let slice: Vec<_> = all
            .hits
            .iter()
            .skip(offset)
            .take(limit)
            .map(hit)
            .collect();
        prop_assert_eq!(hits(&page), (all.total, slice));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn nothing_asked_gives_the_directory_page_and_counts_every_place(
        seed in 1u64..u64::MAX,
        count in 0usize..400,
        removed in 0usize..100,
        offset in 0usize..450,
        limit in 1usize..60,
    ) {
        let mut draw = Draw(seed);
        let places: Vec<Place> = (0..count).map(|i| place(i, &mut draw)).collect();
        let index = index_of(&places);
        let gone: Vec<IndexChange<Place>> = (0..removed)
            .map(|_| IndexChange::Remove(format!("lieu-{:05}", draw.next(count as u64))))
            .collect();
        index.apply(gone).unwrap_or_else(|e| panic!("changements : {e}"));
        let nothing = SearchQuery { offset, limit, ..SearchQuery::default() };
        let visiting = SearchQuery { insee_code: Some("54395".into()), ..nothing.clone() };
        let page = index.search(&nothing).unwrap_or_else(|e| panic!("recherche : {e}"));
        prop_assert_eq!(page.total, index.len());
        if index.is_empty() {
            prop_assert!(page.hits.is_empty());
        } else {
            let visited = index.search(&visiting).unwrap_or_else(|e| panic!("recherche : {e}"));
            prop_assert_eq!(hits(&page), hits(&visited));
        }
    }
}

/// A place of the test below: its name, and the words of its body after its commune.
fn written(id: usize, name: &str, body: &str) -> Place {
    let day = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap_or_default();
    let mut p = Place::new(
        format!("lieu-{id:05}"),
        name,
        "1 rue de la Gare",
        "54000",
        "Nancy",
        day,
    );
    p.insee_code = Some("54395".into());
    p.summary = Some(body.to_string());
    p
}

/// tantivy keeps, for each block of 128 postings, the (length, frequency) of its best place as
/// scored with the average length of its segment when written; searches score with the average
/// of the live places. Here the short bodies (« numérique » once in two words) are the best of
/// every block when written, but once long places are added the places holding it three times
/// in eleven words score higher: a block skipped on its recorded best would lose the one of
/// them that comes first in directory order (places are written in reverse directory order).
#[test]
fn one_word_is_exact_when_the_average_length_changed_since_a_segment_was_written() {
    let blocks = 5;
    let first: Vec<Place> = (0..blocks * 128)
        .map(|i| {
            let body = if i % 128 == 64 {
                "numérique numérique numérique salle salle salle salle salle salle salle"
            } else {
                "numérique"
            };
            written(100_000 - i, "Espace numérique", body)
        })
        .collect();
    let long = ["salle"; 40].join(" ");
    let changed = |index: SearchIndex| {
        let added: Vec<IndexChange<Place>> = (0..1_000)
            .map(|i| IndexChange::Upsert(written(i, "Maison", &long), PlaceContext::default()))
            .collect();
        index
            .apply(added)
            .unwrap_or_else(|e| panic!("changements : {e}"));
        index
    };
    let index = changed(index_of(&first));
    let visiting_index = changed(index_of(&first).visiting_every_match());
    for limit in 1..4 {
        let words = SearchQuery {
            text: Some("numérique".into()),
            limit,
            ..SearchQuery::default()
        };
        let filtered = SearchQuery {
            insee_code: Some("54395".into()),
            ..words.clone()
        };
        let page = index
            .search(&words)
            .unwrap_or_else(|e| panic!("recherche : {e}"));
        let visited = visiting_index
            .search(&words)
            .unwrap_or_else(|e| panic!("recherche : {e}"));
        assert_eq!(hits(&page), hits(&visited), "{limit} lieu(x) par page");
        let pruned_filtered = index
            .search(&filtered)
            .unwrap_or_else(|e| panic!("recherche : {e}"));
        assert_eq!(
            hits(&pruned_filtered),
            hits(&visited),
            "{limit} lieu(x), filtrés"
        );
        // The places holding the word three times come first, the last written first.
        assert_eq!(page.hits.first().map(|h| h.id.as_str()), Some("lieu-99424"));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    /// Words near a place read only the places' rank and position (`State::spots`): the same
    /// pages as the visit of every matching place's entry, with or without a radius, after
    /// places were moved, removed and added.
    #[test]
    fn words_near_a_place_find_what_visiting_every_place_finds(
        seed in 1u64..u64::MAX,
        count in 1usize..1_200,
        changed in 0usize..300,
        asked in 0..ASKED.len(),
        any_word in any::<bool>(),
        radius in proptest::option::of(1.0f64..12.0),
        offset in 0usize..30,
        limit in 1usize..25,
    ) {
        let index = changed_index(seed, count, changed);

        let near = SearchQuery {
            text: Some(ASKED[asked].to_string()),
            any_word,
            near: Some(GeoPoint { lat: 48.6921, lon: 6.1844 }),
            radius_km: radius,
            offset,
            limit,
            ..SearchQuery::default()
        };
        let visiting = SearchQuery {
            insee_code: Some("54395".into()),
            ..near.clone()
        };
        let page = index.search(&near).unwrap_or_else(|e| panic!("recherche : {e}"));
        let visited = index.search(&visiting).unwrap_or_else(|e| panic!("recherche : {e}"));
        prop_assert_eq!(hits(&page), hits(&visited));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    /// When every word must match near a place, the places are ranked by distance alone, so
    /// the words are matched without scores (tantivy's unions and intersections without
    /// BM25): exactly the places the scored visit of the same words matches, and no score on
    /// the page. An `any_word` search near a place stays scored (rings, then relevance).
    #[test]
    fn words_matched_unscored_are_those_a_scored_visit_matches(
        seed in 1u64..u64::MAX,
        count in 1usize..1_200,
        changed in 0usize..300,
        asked in 0..ASKED.len(),
    ) {
        let index = changed_index(seed, count, changed);
        let every = |q: SearchQuery| {
            let r = index
                .search(&SearchQuery { limit: 5_000, ..q })
                .unwrap_or_else(|e| panic!("recherche : {e}"));
            let mut ids: Vec<String> = r.hits.iter().map(|h| h.id.clone()).collect();
            ids.sort();
            let scored = r.hits.iter().all(|h| h.score.is_some());
            let unscored = r.hits.iter().all(|h| h.score.is_none());
            (r.total, ids, scored, unscored)
        };
        let text = Some(ASKED[asked].to_string());
        // A filter every place passes: the words are visited and scored.
        let (total, ids, scored, _) = every(SearchQuery {
            text: text.clone(),
            insee_code: Some("54395".into()),
            ..SearchQuery::default()
        });
        let near = SearchQuery {
            text,
            near: Some(GeoPoint { lat: 48.6921, lon: 6.1844 }),
            ..SearchQuery::default()
        };
        let (near_total, near_ids, _, unscored) = every(near.clone());
        let (_, _, rings_scored, _) = every(SearchQuery { any_word: true, ..near });
        prop_assert!(rings_scored);
        prop_assert!(scored);
        prop_assert!(unscored);
        prop_assert_eq!(near_total, total);
        prop_assert_eq!(near_ids, ids);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    /// « Open at » with nothing else asked of the entries (words, a place, a radius or not)
    /// reads the places' opening and position, not their entries, and one word is searched
    /// with block-max WAND, the opening checked first: the same pages as the visit that reads
    /// every entry and scores every place, after places were changed, removed and added.
    #[test]
    fn opening_alone_finds_what_reading_every_entry_finds(
        seed in 1u64..u64::MAX,
        count in 1usize..1_200,
        changed in 0usize..300,
        asked in proptest::option::of(0..ASKED.len()),
        any_word in any::<bool>(),
        near in any::<bool>(),
        radius in proptest::option::of(1.0f64..12.0),
        day in 5u32..12,
        minute in 0u32..(24 * 60),
        second in 0i64..60,
        offset in 0usize..30,
        limit in 1usize..25,
    ) {
        let index = changed_index(seed, count, changed);
        let visiting_index = changed_index(seed, count, changed).visiting_every_match();
        let at = NaiveDate::from_ymd_opt(2026, 1, day)
            .and_then(|d| d.and_hms_opt(minute / 60, minute % 60, 0))
            .unwrap_or_default();
        let open = SearchQuery {
            text: asked.map(|a| ASKED[a].to_string()),
            any_word,
            near: near.then_some(GeoPoint { lat: 48.6921, lon: 6.1844 }),
            radius_km: radius.filter(|_| near),
            open: Some(OpenFilter::At(at)),
            offset,
            limit,
            ..SearchQuery::default()
        };
        let visiting = SearchQuery {
            insee_code: Some("54395".into()),
            ..open.clone()
        };
        let page = index.search(&open).unwrap_or_else(|e| panic!("recherche : {e}"));
        let visited = visiting_index
            .search(&visiting)
            .unwrap_or_else(|e| panic!("recherche : {e}"));
        prop_assert_eq!(hits(&page), hits(&visited));
        prop_assert!(page.hits.iter().all(|h| h.open == Some(true)));
        prop_assert!(visited.hits.iter().all(|h| h.open == Some(true)));
        // « Open now » at that minute in Paris (UTC+1 in January), read from the places open
        // at the minute, is « open at » that time evaluated place by place: twice in the
        // minute, and again after a batch of changes.
        let now = (at - chrono::Duration::hours(1) + chrono::Duration::seconds(second)).and_utc();
        let now_query = SearchQuery { open: Some(OpenFilter::Now(now)), ..open.clone() };
        for _ in 0..2 {
            let page_now = index.search(&now_query).unwrap_or_else(|e| panic!("recherche : {e}"));
            prop_assert_eq!(hits(&page_now), hits(&visited));
            prop_assert!(page_now.hits.iter().all(|h| h.open == Some(true)));
        }
        let mut draw = Draw(seed ^ 0x5bd1_e995);
        let changes: Vec<IndexChange<Place>> = (0..10)
            .map(|i| IndexChange::Upsert(place(count + 1_000 + i, &mut draw), PlaceContext::default()))
            .collect();
        for index in [&index, &visiting_index] {
            index.apply(changes.clone()).unwrap_or_else(|e| panic!("changements : {e}"));
        }
        let visited = visiting_index
            .search(&visiting)
            .unwrap_or_else(|e| panic!("recherche : {e}"));
        let page_now = index.search(&now_query).unwrap_or_else(|e| panic!("recherche : {e}"));
        prop_assert_eq!(hits(&page_now), hits(&visited));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// A filter that admits few of the places holding a word (here one commune in nine, and
    /// « open at » a time few places are open) has them scored one by one, the others'
    /// postings skipped: the same pages — places, order, scores, totals — as the visit of
    /// every matching place, before and after places were changed, removed and added.
    #[test]
    fn a_filter_admitting_few_finds_what_visiting_every_place_finds(
        seed in 1u64..u64::MAX,
        count in 1usize..1_500,
        changed in 0usize..300,
        asked in 0..ASKED.len(),
        any_word in any::<bool>(),
        evening in any::<bool>(),
        offset in 0usize..30,
        limit in 1usize..25,
    ) {
        let mut draw = Draw(seed);
        let places: Vec<Place> = (0..count)
            .map(|i| {
                let mut p = place(i, &mut draw);
                if i % 9 != 0 {
                    p.insee_code = Some("54547".into());
                }
                p
            })
            .collect();
        let index = index_of(&places);
        let visiting_index = index_of(&places).visiting_every_match();
        // Saturday at 18:30: only the places open until 19:00 that day.
        let at = NaiveDate::from_ymd_opt(2026, 1, 10)
            .and_then(|d| d.and_hms_opt(18, 30, 0))
            .unwrap_or_default();
        let query = SearchQuery {
            text: Some(ASKED[asked].to_string()),
            any_word,
            insee_code: (!evening).then(|| "54395".to_string()),
            open: evening.then_some(OpenFilter::At(at)),
            offset,
            limit,
            ..SearchQuery::default()
        };
        let same = |index: &SearchIndex, visiting_index: &SearchIndex| {
            let page = index.search(&query).unwrap_or_else(|e| panic!("recherche : {e}"));
            let visited = visiting_index
                .search(&query)
                .unwrap_or_else(|e| panic!("recherche : {e}"));
            (hits(&page), hits(&visited))
        };
        let (page, visited) = same(&index, &visiting_index);
        prop_assert_eq!(page, visited);
        let changes = drawn_changes(&mut draw, count, changed);
        for index in [&index, &visiting_index] {
            index.apply(changes.clone()).unwrap_or_else(|e| panic!("changements : {e}"));
        }
        let (page, visited) = same(&index, &visiting_index);
        prop_assert_eq!(page, visited);
    }
}
