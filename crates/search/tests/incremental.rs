//! A directory changed batch by batch searches exactly as the same directory built whole: same
//! results, same order, same scores, same distances, same totals, the same places open.

use std::collections::BTreeMap;

use chrono::{NaiveDate, TimeZone, Utc};
use maillage_domain::Place;
use maillage_domain::geo::GeoPoint;
use maillage_domain::vocab::{Fee, Service, Vocabulary};
use maillage_search::{
    Applied, IndexChange, OpenFilter, PlaceContext, Results, SearchIndex, SearchQuery,
};
use proptest::prelude::*;

const NAMES: [&str; 6] = [
    "Médiathèque",
    "Espace numérique",
    "Centre social",
    "France Services",
    "Maison de quartier",
    "Atelier numérique solidaire",
];
const WORDS: [&str; 8] = [
    "ateliers",
    "smartphone",
    "démarches en ligne",
    "débutants",
    "emploi",
    "impression",
    "tablette",
    "accompagnement numérique",
];
/// Opening hours, the last one invalid (such a place is never open).
const HOURS: [(&str, bool); 4] = [
    ("Mo-Fr 09:00-12:00,14:00-17:00", true),
    ("Tu 10:00-18:00; Sa 14:00-17:00", true),
    ("24/7", true),
    ("le matin", false),
];
/// Communes: INSEE code, postcode, name, centre.
const COMMUNES: [(&str, &str, &str, f64, f64); 4] = [
    ("54395", "54000", "Nancy", 48.69, 6.18),
    ("54528", "54200", "Toul", 48.68, 5.89),
    ("57463", "57000", "Metz", 49.12, 6.18),
    ("69387", "69007", "Lyon", 45.75, 4.84),
];

/// What a generated place is made of.
#[derive(Debug, Clone)]
struct Spec {
    id: u8,
    name: usize,
    words: Vec<usize>,
    commune: usize,
    offset: (i8, i8),
    located: bool,
    services: Vec<usize>,
    free: bool,
    step_free: bool,
    organisation: Option<u8>,
    hours: Option<usize>,
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        0u8..24,
        0..NAMES.len(),
        prop::collection::vec(0..WORDS.len(), 0..4),
        0..COMMUNES.len(),
        (-9i8..10, -9i8..10),
        prop::bool::weighted(0.85),
        prop::collection::vec(0usize..6, 0..3),
        any::<bool>(),
        any::<bool>(),
        prop::option::of(0u8..3),
        prop::option::of(0..HOURS.len()),
    )
        .prop_map(
            |(
                id,
                name,
                words,
                commune,
                offset,
                located,
                services,
                free,
                step_free,
                organisation,
                hours,
            )| {
                Spec {
                    id,
                    name,
                    words,
                    commune,
                    offset,
                    located,
                    services,
                    free,
                    step_free,
                    organisation,
                    hours,
                }
            },
        )
}

fn place(spec: &Spec) -> (Place, PlaceContext) {
    let (insee, postcode, commune, lat, lon) = COMMUNES[spec.commune];
    let day = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap_or_default();
    let mut p = Place::new(
        format!("lieu-{:02}", spec.id),
        NAMES[spec.name],
        "1 rue de la Gare",
        postcode,
        commune,
        day,
    );
    p.insee_code = Some(insee.into());
    p.location = spec.located.then(|| {
        GeoPoint::new(
            lat + f64::from(spec.offset.0) * 0.01,
            lon + f64::from(spec.offset.1) * 0.01,
        )
    });
    let words: Vec<&str> = spec.words.iter().map(|w| WORDS[*w]).collect();
    p.summary = (!words.is_empty()).then(|| words.join(", "));
    p.services = spec
        .services
        .iter()
        .filter_map(|i| Service::ALL.get(*i).copied())
        .collect();
    p.services.dedup();
    p.fees = Fee::parse(if spec.free { "Gratuit" } else { "Payant" })
        .into_iter()
        .collect();
    p.extras.step_free_access = Some(spec.step_free);
    if let Some((hours, valid)) = spec.hours.map(|h| HOURS[h]) {
        p.opening_hours = Some(hours.into());
        p.opening_hours_valid = valid;
    }
    let context = PlaceContext {
        epci: Some(
            if insee.starts_with("54") {
                "245400676"
            } else {
                "200039865"
            }
            .into(),
        ),
        organisation_id: spec.organisation.map(|o| format!("structure-{o}")),
        // This version of the place, as the application would shelve it.
        shelf: Some(format!("{spec:?}").into_bytes().into_boxed_slice()),
    };
    (p, context)
}

#[derive(Debug, Clone)]
enum Op {
    Upsert(Spec),
    Remove(u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => spec().prop_map(Op::Upsert),
        1 => (0u8..24).prop_map(Op::Remove),
    ]
}

/// The searches compared: words (exact, stemmed, mistyped, several, optional), filters, distances,
/// pages.
fn queries() -> Vec<SearchQuery> {
    let text = |t: &str| SearchQuery {
        text: Some(t.into()),
        ..SearchQuery::default()
    };
    let nancy = GeoPoint::new(48.69, 6.18);
    let mut out = vec![
        SearchQuery::default(),
        SearchQuery {
            limit: 5,
            offset: 3,
            ..SearchQuery::default()
        },
        text("numérique"),
        text("atelier"),
        text("mediateque"),
        text("centre social"),
        text("smartphone tablette"),
        SearchQuery {
            any_word: true,
            ..text("tablette emploi impression")
        },
        SearchQuery {
            near: Some(nancy),
            ..SearchQuery::default()
        },
        SearchQuery {
            near: Some(nancy),
            radius_km: Some(8.0),
            ..text("numerique")
        },
        SearchQuery {
            near: Some(nancy),
            any_word: true,
            ..text("démarches smartphone")
        },
        // Words near a place with a filter: matched unscored, entry by entry, with a typo.
        SearchQuery {
            near: Some(nancy),
            services: vec![Service::ALL[0]],
            ..text("mediateque")
        },
        SearchQuery {
            insee_code: Some("54528".into()),
            ..SearchQuery::default()
        },
        SearchQuery {
            departement: Some("54".into()),
            limit: 4,
            ..SearchQuery::default()
        },
        SearchQuery {
            epci: Some("200039865".into()),
            ..text("espace")
        },
        SearchQuery {
            organisation_id: Some("structure-1".into()),
            ..SearchQuery::default()
        },
        SearchQuery {
            step_free: true,
            fees: Fee::parse("Gratuit").into_iter().collect(),
            ..SearchQuery::default()
        },
    ];
    for service in Service::ALL.iter().take(3) {
        out.push(SearchQuery {
            services: vec![*service],
            near: Some(nancy),
            ..SearchQuery::default()
        });
        // Within a radius without words: the squares of the grid around the centre.
        out.push(SearchQuery {
            services: vec![*service],
            near: Some(nancy),
            radius_km: Some(12.0),
            ..SearchQuery::default()
        });
    }
    out.push(SearchQuery {
        near: Some(nancy),
        radius_km: Some(30.0),
        departement: Some("54".into()),
        ..SearchQuery::default()
    });
    // Open at a time (a Tuesday, 10:30 and 13:00; a Saturday afternoon) and open « now » (a
    // Tuesday morning in Paris): the opening spans kept per place across batches.
    let day = |d: u32, h: u32, m: u32| {
        NaiveDate::from_ymd_opt(2026, 1, d)
            .and_then(|d| d.and_hms_opt(h, m, 0))
            .unwrap_or_default()
    };
    for at in [day(6, 10, 30), day(6, 13, 0), day(10, 15, 0)] {
        out.push(SearchQuery {
            open: Some(OpenFilter::At(at)),
            ..SearchQuery::default()
        });
    }
    let now = Utc
        .with_ymd_and_hms(2026, 1, 6, 8, 45, 0)
        .single()
        .unwrap_or_default();
    out.push(SearchQuery {
        open: Some(OpenFilter::Now(now)),
        ..text("numérique")
    });
    out.push(SearchQuery {
        open: Some(OpenFilter::Now(now)),
        near: Some(nancy),
        ..SearchQuery::default()
    });
    out
}

fn same(a: &Results, b: &Results) -> bool {
    a.total == b.total && a.hits == b.hits && a.widened == b.widened
}

fn rebuilt(model: &BTreeMap<String, (Place, PlaceContext)>) -> SearchIndex {
    SearchIndex::build(model.values().map(|(p, c)| (p, c.clone()))).unwrap_or_else(|e| {
        panic!("index : {e}");
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Random writes in random batches, then every search of [`queries`]: the index changed in
    /// place answers exactly as one rebuilt from the resulting directory.
    #[test]
    fn changes_in_place_search_as_a_rebuild(
        start in prop::collection::vec(spec(), 0..16),
        batches in prop::collection::vec(prop::collection::vec(op(), 1..6), 1..6),
    ) {
        let mut model: BTreeMap<String, (Place, PlaceContext)> = BTreeMap::new();
        for s in &start {
            let (p, c) = place(s);
            model.insert(p.id.clone(), (p, c));
        }
        let live = rebuilt(&model);
        for batch in &batches {
            let mut changes = Vec::new();
            for op in batch {
                match op {
                    Op::Upsert(s) => {
                        let (p, c) = place(s);
                        model.insert(p.id.clone(), (p.clone(), c.clone()));
                        changes.push(IndexChange::Upsert(p, c));
                    }
                    Op::Remove(id) => {
                        let id = format!("lieu-{id:02}");
                        model.remove(&id);
                        changes.push(IndexChange::Remove(id));
                    }
                }
            }
            live.apply(changes).unwrap_or_else(|e| panic!("changements : {e}"));
            let whole = rebuilt(&model);
            prop_assert_eq!(live.len(), model.len());
            for q in queries() {
                let a = live.search(&q).unwrap_or_else(|e| panic!("{e}"));
                let b = whole.search_uncached(&q).unwrap_or_else(|e| panic!("{e}"));
                prop_assert!(same(&a, &b), "{:?}\nen place : {:?}\nreconstruit : {:?}", q, a, b);
            }
            for id in model.keys() {
                prop_assert!(live.contains(id));
            }
            // What is shelved with each place is what its last version was given, and
            // nothing once it is gone.
            let ids: Vec<String> = (0u8..24).map(|i| format!("lieu-{i:02}")).collect();
            let shelved = live.shelved(ids.iter().map(String::as_str));
            for (id, bytes) in ids.iter().zip(shelved) {
                prop_assert_eq!(bytes, model.get(id).and_then(|(_, c)| c.shelf.clone()), "{}", id);
            }
        }
    }
}

#[test]
fn a_batch_counts_what_it_did_and_a_place_changed_twice_counts_once() {
    let s = |id: u8, name: usize| Spec {
        id,
        name,
        words: vec![],
        commune: 0,
        offset: (0, 0),
        located: true,
        services: vec![],
        free: true,
        step_free: false,
        organisation: None,
        hours: None,
    };
    let index = SearchIndex::build([place(&s(1, 0)), place(&s(2, 1))]).unwrap_or_else(|e| {
        panic!("{e}");
    });
    let (a, ca) = place(&s(1, 2));
    let (b, cb) = place(&s(1, 3));
    let applied = index
        .apply([
            IndexChange::Upsert(a, ca),
            IndexChange::Upsert(b, cb),
            IndexChange::Remove("lieu-02".into()),
            IndexChange::Remove("lieu-99".into()),
        ])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        applied,
        Applied {
            upserted: 2,
            removed: 3
        }
    );
    assert_eq!(index.len(), 1);
    assert_eq!(index.removed_slots(), 3);
    let found = index
        .search(&SearchQuery {
            text: Some("France Services".into()),
            ..SearchQuery::default()
        })
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(found.total, 1);
    let gone = index
        .search(&SearchQuery {
            text: Some("centre social".into()),
            ..SearchQuery::default()
        })
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(gone.total, 0, "l'ancien nom n'est plus trouvé");
    // A search made before the batch is never served after it.
    let everything = index
        .search(&SearchQuery::default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(everything.total, 1);
    index
        .apply([IndexChange::<Place>::Remove("lieu-01".into())])
        .unwrap_or_else(|e| panic!("{e}"));
    let after = index
        .search(&SearchQuery::default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(after.total, 0);
}
