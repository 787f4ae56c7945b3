use chrono::{NaiveDate, TimeZone, Utc};
use maillage_domain::Place;
use maillage_domain::geo::GeoPoint;
use maillage_domain::vocab::{Fee, MediationForm, Service, Vocabulary};
use maillage_search::{OpenFilter, PlaceContext, SearchIndex, SearchQuery};

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 3, 1).expect("date")
}

fn places() -> Vec<Place> {
    let mut a = Place::new(
        "a",
        "Médiathèque Jean Macé",
        "1 rue",
        "69007",
        "Lyon",
        day(),
    );
    a.insee_code = Some("69387".into());
    a.location = Some(GeoPoint::new(45.75, 4.84));
    a.services = vec![Service::parse("Aide aux démarches administratives").expect("s")];
    a.fees = vec![Fee::parse("Gratuit").expect("f")];
    a.summary = Some("Ateliers numériques pour débutants".into());
    a.opening_hours = Some("Mo-Fr 09:00-12:00".into());
    a.extras.step_free_access = Some(true);
    let mut b = Place::new(
        "b",
        "Centre social du Plateau",
        "2 rue",
        "69004",
        "Lyon",
        day(),
    );
    b.insee_code = Some("69384".into());
    b.location = Some(GeoPoint::new(45.78, 4.83));
    b.services = vec![Service::parse("Maîtrise des outils numériques du quotidien").expect("s")];
    b.extras.mediation_forms = vec![MediationForm::ALL[0]];
    b.opening_hours = Some("Sa 10:00-12:00".into());
    let mut c = Place::new(
        "c",
        "France Services de Villeurbanne",
        "3 rue",
        "69100",
        "Villeurbanne",
        day(),
    );
    c.insee_code = Some("69266".into());
    c.location = Some(GeoPoint::new(45.77, 4.88));
    c.services = a.services.clone();
    c.description = Some("Accompagnement aux démarches en ligne, atelier smartphone".into());
    let mut d = Place::new(
        "d",
        "Espace numérique de Marseille",
        "4 rue",
        "13001",
        "Marseille",
        day(),
    );
    d.insee_code = Some("13201".into());
    d.location = Some(GeoPoint::new(43.30, 5.37));
    vec![a, b, c, d]
}

fn index(places: &[Place]) -> SearchIndex {
    SearchIndex::build(places.iter().map(|p| {
        let epci = if p.commune == "Marseille" {
            "200054807"
        } else {
            "200046977"
        };
        (
            p,
            PlaceContext {
                epci: Some(epci.into()),
                organisation_id: None,
                shelf: None,
            },
        )
    }))
    .expect("index")
}

fn ids(index: &SearchIndex, q: &SearchQuery) -> Vec<String> {
    index
        .search(q)
        .expect("recherche")
        .hits
        .into_iter()
        .map(|h| h.id)
        .collect()
}

fn text(t: &str) -> SearchQuery {
    SearchQuery {
        text: Some(t.into()),
        ..SearchQuery::default()
    }
}

#[test]
fn text_is_accent_case_typo_and_stem_tolerant() {
    let p = places();
    let idx = index(&p);
    assert_eq!(ids(&idx, &text("mediatheque")), ["a"]);
    assert_eq!(ids(&idx, &text("MÉDIATHÈQUE")), ["a"]);
    assert_eq!(ids(&idx, &text("mediatheqe")), ["a"], "une faute de frappe");
    let mut ateliers = ids(&idx, &text("atelier"));
    ateliers.sort();
    assert_eq!(ateliers, ["a", "c"], "atelier / ateliers");
    assert_eq!(ids(&idx, &text("villeurbanne")), ["c"]);
    assert!(ids(&idx, &text("piscine")).is_empty());
    // Stop words only: everything (no text constraint).
    assert_eq!(ids(&idx, &text("de la")).len(), 4);
}

/// Words near a place are matched in each place's name and body together, unscored: a word
/// found only in the name, only in the body, with a typo, or in a place since removed.
#[test]
fn words_near_a_place_are_found_in_the_name_or_the_body() {
    let p = places();
    let idx = index(&p);
    let lyon = Some(GeoPoint::new(45.76, 4.84));
    let near = |t: &str| {
        let mut found = ids(
            &idx,
            &SearchQuery {
                near: lyon,
                ..text(t)
            },
        );
        found.sort();
        found
    };
    assert_eq!(near("mediatheque"), ["a"], "dans le nom seulement");
    assert_eq!(near("mediatheqe"), ["a"], "une faute de frappe");
    assert_eq!(near("smartphone"), ["c"], "dans la description seulement");
    assert_eq!(near("centre social"), ["b"], "deux mots du nom");
    assert_eq!(
        near("mediatheque debutants"),
        ["a"],
        "un mot du nom, un du résumé"
    );
    assert_eq!(near("atelier"), ["a", "c"]);
    assert!(near("mediatheque smartphone").is_empty());
    // With a filter, the places matching are visited one by one: the same words.
    let free = SearchQuery {
        near: lyon,
        step_free: true,
        ..text("mediatheque")
    };
    assert_eq!(ids(&idx, &free), ["a"]);
    let results = idx.search(&free).expect("recherche");
    assert!(results.hits.iter().all(|h| h.score.is_none()));
    // The same words without a place are scored in names and bodies: the same places.
    for t in [
        "mediatheque",
        "smartphone",
        "centre social",
        "atelier",
        "mediatheqe",
    ] {
        let mut scored = ids(&idx, &text(t));
        scored.sort();
        assert_eq!(near(t), scored, "{t}");
    }
    // A place removed is no longer found by its words.
    idx.apply([maillage_search::IndexChange::<Place>::Remove("c".into())])
        .expect("retrait");
    assert!(near("smartphone").is_empty());
    assert_eq!(near("atelier"), ["a"]);
}

#[test]
fn filters_combine() {
    let p = places();
    let idx = index(&p);
    let service = Service::parse("Aide aux démarches administratives").expect("s");
    let q = SearchQuery {
        services: vec![service],
        ..SearchQuery::default()
    };
    assert_eq!(ids(&idx, &q), ["a", "c"]);
    let q = SearchQuery {
        services: vec![service],
        fees: vec![Fee::parse("Gratuit").expect("f")],
        ..SearchQuery::default()
    };
    assert_eq!(ids(&idx, &q), ["a"]);
    let q = SearchQuery {
        departement: Some("13".into()),
        ..SearchQuery::default()
    };
    assert_eq!(ids(&idx, &q), ["d"]);
    let q = SearchQuery {
        epci: Some("200046977".into()),
        ..SearchQuery::default()
    };
    assert_eq!(ids(&idx, &q).len(), 3);
    let q = SearchQuery {
        step_free: true,
        ..SearchQuery::default()
    };
    assert_eq!(ids(&idx, &q), ["a"]);
    let q = SearchQuery {
        mediation_forms: vec![MediationForm::ALL[0]],
        ..SearchQuery::default()
    };
    assert_eq!(ids(&idx, &q), ["b"]);
    let q = SearchQuery {
        typologies: vec!["XYZ".into()],
        ..SearchQuery::default()
    };
    assert!(ids(&idx, &q).is_empty());
    // Territories combine with each other and with text.
    let q = SearchQuery {
        insee_code: Some("69387".into()),
        epci: Some("200046977".into()),
        ..SearchQuery::default()
    };
    assert_eq!(ids(&idx, &q), ["a"]);
    let q = SearchQuery {
        insee_code: Some("69387".into()),
        departement: Some("13".into()),
        ..SearchQuery::default()
    };
    assert!(ids(&idx, &q).is_empty());
    let q = SearchQuery {
        departement: Some("69".into()),
        ..text("smartphone")
    };
    assert_eq!(ids(&idx, &q), ["c"]);
    // A commune or département without places gives nothing (and no error).
    for q in [
        SearchQuery {
            insee_code: Some("75056".into()),
            ..SearchQuery::default()
        },
        SearchQuery {
            departement: Some("2A".into()),
            ..text("médiathèque")
        },
        SearchQuery {
            organisation_id: Some("inconnue".into()),
            ..SearchQuery::default()
        },
    ] {
        let results = idx.search(&q).expect("recherche");
        assert_eq!((results.total, results.hits.len()), (0, 0));
    }
    // Paging without ranking: the total counts every match, the page holds the asked slice.
    let q = SearchQuery {
        offset: 1,
        limit: 2,
        ..SearchQuery::default()
    };
    let results = idx.search(&q).expect("recherche");
    assert_eq!(results.total, 4);
    assert_eq!(
        results
            .hits
            .iter()
            .map(|h| h.id.as_str())
            .collect::<Vec<_>>(),
        ["b", "c"]
    );
}

#[test]
fn distance_ranks_and_limits() {
    let p = places();
    let idx = index(&p);
    let bellecour = GeoPoint::new(45.757, 4.832);
    let q = SearchQuery {
        near: Some(bellecour),
        radius_km: Some(10.0),
        ..SearchQuery::default()
    };
    let res = idx.search(&q).expect("recherche");
    assert_eq!(
        res.hits.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(),
        ["a", "b", "c"]
    );
    assert!(res.hits[0].distance_m.expect("distance") < 2_000.0);
    let q = SearchQuery {
        near: Some(bellecour),
        ..SearchQuery::default()
    };
    assert_eq!(ids(&idx, &q).last().map(String::as_str), Some("d"));
    let q = SearchQuery {
        limit: 1,
        offset: 1,
        near: Some(bellecour),
        ..SearchQuery::default()
    };
    let res = idx.search(&q).expect("recherche");
    assert_eq!(
        (res.total, res.hits.len(), res.hits[0].id.as_str()),
        (4, 1, "b")
    );
}

#[test]
fn open_now_and_at_a_time() {
    let p = places();
    let idx = index(&p);
    // Monday 4 March 2024, 10:00 in Paris = 09:00 UTC.
    let monday = Utc
        .with_ymd_and_hms(2024, 3, 4, 9, 0, 0)
        .single()
        .expect("date");
    let q = SearchQuery {
        open: Some(OpenFilter::Now(monday)),
        ..SearchQuery::default()
    };
    assert_eq!(ids(&idx, &q), ["a"]);
    let saturday = NaiveDate::from_ymd_opt(2024, 3, 9)
        .and_then(|d| d.and_hms_opt(11, 0, 0))
        .expect("date");
    let q = SearchQuery {
        open: Some(OpenFilter::At(saturday)),
        ..SearchQuery::default()
    };
    assert_eq!(ids(&idx, &q), ["b"]);
    // Easter Monday 2024 (1 April) is a public holiday: Mo-Fr hours without PH still apply,
    // but "PH off" closes.
    let mut q2 = places();
    q2[0].opening_hours = Some("Mo-Fr 09:00-12:00; PH off".into());
    let idx2 = index(&q2);
    let easter_monday = NaiveDate::from_ymd_opt(2024, 4, 1)
        .and_then(|d| d.and_hms_opt(10, 0, 0))
        .expect("date");
    let q = SearchQuery {
        open: Some(OpenFilter::At(easter_monday)),
        ..SearchQuery::default()
    };
    assert!(ids(&idx2, &q).is_empty());
}

/// « Open now » reads each place's hours in its own time zone: the same hours open in Lyon and
/// in Saint-Denis de La Réunion (UTC+4 all year) three hours apart in winter.
#[test]
fn open_now_reads_each_place_in_its_own_time_zone() {
    let mut p = places();
    let mut reunion = Place::new(
        "e",
        "Espace numérique",
        "5 rue",
        "97400",
        "Saint-Denis",
        day(),
    );
    reunion.insee_code = Some("97411".into());
    reunion.location = Some(GeoPoint::new(-20.88, 55.45));
    reunion.opening_hours = p[0].opening_hours.clone();
    p.push(reunion);
    let idx = index(&p);
    let now = |h: u32| SearchQuery {
        open: Some(OpenFilter::Now(
            Utc.with_ymd_and_hms(2024, 3, 4, h, 0, 0)
                .single()
                .expect("date"),
        )),
        ..SearchQuery::default()
    };
    // Monday 4 March 2024: 06:00 UTC is 07:00 in Lyon and 10:00 in Saint-Denis; 09:00 UTC is
    // 10:00 in Lyon and 13:00 in Saint-Denis. Asked again, the kept spans answer alike.
    for _ in 0..2 {
        assert_eq!(ids(&idx, &now(6)), ["e"]);
        assert_eq!(ids(&idx, &now(9)), ["a"]);
    }
}

/// The index reuses one evaluation of a place's hours for the span it covers: asking again at
/// any order of instants must give the same answers as evaluating the hours each time.
#[test]
fn repeated_open_searches_agree_with_the_hours_at_every_instant() {
    let mut p = places();
    p[0].opening_hours = Some("Mo-Fr 09:00-12:00,14:00-17:00; PH off".into());
    p[1].opening_hours = Some("Tu,Th 13:30-18:00".into());
    p[2].opening_hours = Some("24/7".into());
    let idx = index(&p);
    let expected = |at: chrono::NaiveDateTime| -> Vec<String> {
        let mut ids: Vec<String> = p
            .iter()
            .filter(|place| {
                place
                    .opening_hours
                    .as_deref()
                    .map(maillage_domain::hours::check_hours)
                    .and_then(|c| match c {
                        maillage_domain::hours::HoursCheck::Valid(h) => h.is_open_at(at),
                        _ => None,
                    })
                    == Some(true)
            })
            .map(|place| place.id.clone())
            .collect();
        ids.sort();
        ids
    };
    let monday = NaiveDate::from_ymd_opt(2024, 3, 4).expect("date");
    // Forwards, backwards and jumping across days and a public holiday (1 April 2024).
    let instants = [
        (0, 10, 0),
        (0, 11, 59),
        (0, 12, 0),
        (0, 9, 30),
        (1, 13, 45),
        (1, 8, 0),
        (3, 17, 59),
        (28, 10, 0),
        (0, 10, 1),
        (5, 23, 59),
    ];
    for (days, h, m) in instants {
        let at = (monday + chrono::Duration::days(days))
            .and_hms_opt(h, m, 0)
            .expect("time");
        let q = SearchQuery {
            open: Some(OpenFilter::At(at)),
            ..SearchQuery::default()
        };
        let mut got = ids(&idx, &q);
        got.sort();
        assert_eq!(got, expected(at), "à {at}");
    }
}

/// Words asked at an hour when no place is open find nothing, and the only place open — the
/// last of the directory — is found when it holds them, for one word, several words or any of
/// them, « open at » and « open now », in the whole directory, in its commune, not in another.
#[test]
fn words_asked_when_few_or_no_places_are_open() {
    let mut p = places();
    p[3].opening_hours = Some("Su 10:00-12:00".into());
    let idx = index(&p);
    let sunday = NaiveDate::from_ymd_opt(2024, 3, 10).expect("date");
    let at = |h: u32| sunday.and_hms_opt(h, 0, 0).expect("time");
    // 10:00 UTC is 11:00 in Marseille in March; 13:00 UTC is 14:00.
    let now = |h: u32| {
        Utc.with_ymd_and_hms(2024, 3, 10, h, 0, 0)
            .single()
            .expect("date")
    };
    for (words, any_word) in [
        ("numérique", false),
        ("espace numerique", false),
        ("numérique smartphone", true),
        ("espaces", false),
    ] {
        for (open, found) in [
            (OpenFilter::At(at(11)), true),
            (OpenFilter::Now(now(10)), true),
            (OpenFilter::At(at(14)), false),
            (OpenFilter::Now(now(13)), false),
            (OpenFilter::At(at(13) - chrono::Duration::days(1)), false),
        ] {
            for commune in [None, Some("13201"), Some("69387")] {
                let q = SearchQuery {
                    open: Some(open),
                    any_word,
                    insee_code: commune.map(str::to_string),
                    ..text(words)
                };
                let results = idx.search(&q).expect("recherche");
                let got: Vec<&str> = results.hits.iter().map(|h| h.id.as_str()).collect();
                let expected: &[&str] = if found && commune != Some("69387") {
                    &["d"]
                } else {
                    &[]
                };
                assert_eq!(
                    (got.as_slice(), results.total),
                    (expected, expected.len()),
                    "« {words} », {open:?}, {commune:?}"
                );
            }
        }
    }
}

/// The cache of recent searches answers the same as a fresh search, and "open now" a minute
/// later is evaluated again.
#[test]
fn cached_searches_follow_the_clock() {
    let p = places();
    let idx = index(&p);
    // Place a is open Mo-Fr 09:00-12:00 (Paris): 10:59 UTC is 11:59 in March, 11:00 is noon.
    let before_noon = Utc
        .with_ymd_and_hms(2024, 3, 4, 10, 59, 30)
        .single()
        .expect("date");
    let at_noon = before_noon + chrono::Duration::seconds(40);
    let open_now = |now| SearchQuery {
        open: Some(OpenFilter::Now(now)),
        ..SearchQuery::default()
    };
    for _ in 0..2 {
        assert_eq!(ids(&idx, &open_now(before_noon)), ["a"]);
        assert!(ids(&idx, &open_now(at_noon)).is_empty());
    }
    let q = text("mediatheque");
    let fresh = idx.search_uncached(&q).expect("recherche");
    for _ in 0..2 {
        let cached = idx.search(&q).expect("recherche");
        assert_eq!(
            (cached.total, cached.hits),
            (fresh.total, fresh.hits.clone())
        );
    }
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Forty places around Lyon sharing words, so that many scores and distances tie.
    fn many() -> Vec<Place> {
        (0..40)
            .map(|i| {
                let mut p = Place::new(
                    format!("p{i:02}"),
                    if i % 3 == 0 {
                        "Médiathèque"
                    } else {
                        "Espace numérique"
                    },
                    "1 rue",
                    "69001",
                    "Lyon",
                    day(),
                );
                p.insee_code = Some("69381".into());
                p.location = Some(GeoPoint::new(45.70 + f64::from(i % 7) * 0.01, 4.80));
                p
            })
            .collect()
    }

    proptest! {
        /// A page is exactly the matching slice of the full ranking, whatever the ranking.
        #[test]
        fn a_page_is_the_slice_of_the_full_ranking(offset in 0usize..45, limit in 1usize..12, with_text in any::<bool>(), near in any::<bool>()) {
            let p = many();
            let idx = index(&p);
            let base = SearchQuery {
                text: with_text.then(|| "numerique".to_string()),
                near: near.then(|| GeoPoint::new(45.72, 4.80)),
                ..SearchQuery::default()
            };
            let full = idx.search(&SearchQuery { limit: usize::MAX, ..base.clone() }).expect("tout");
            let page = idx.search(&SearchQuery { offset, limit, ..base }).expect("page");
            prop_assert_eq!(page.total, full.total);
            let expected: Vec<_> = full.hits.iter().skip(offset).take(limit).map(|h| h.id.clone()).collect();
            let got: Vec<_> = page.hits.iter().map(|h| h.id.clone()).collect();
            prop_assert_eq!(got, expected);
        }

        #[test]
        fn any_text_is_safe(t in "\\PC{0,60}") {
            let p = places();
            let idx = index(&p);
            let res = idx.search(&text(&t)).expect("recherche");
            prop_assert!(res.total <= 4);
        }
    }
}
