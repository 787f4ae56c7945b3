//! Searches within a radius read only the squares of the grid around the centre: they find
//! exactly the places a reading of every place finds — same total, same places in the same
//! order, same distances — wherever the centre and whatever the radius.

use chrono::NaiveDate;
use maillage_domain::Place;
use maillage_domain::geo::GeoPoint;
use maillage_domain::vocab::{Service, Vocabulary};
use maillage_search::{PlaceContext, SearchIndex, SearchQuery};
use proptest::prelude::*;

/// A place: latitude and longitude in hundredths of a degree around a centre of mainland
/// France, whether it has coordinates, its services.
type Spec = (i32, i32, bool, Vec<usize>);

fn place(i: usize, (lat, lon, located, services): &Spec) -> (Place, PlaceContext) {
    let day = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap_or_default();
    let mut p = Place::new(
        format!("lieu-{i:04}"),
        "Espace numérique",
        "1 rue de la Gare",
        "54000",
        "Nancy",
        day,
    );
    p.location = located.then(|| {
        GeoPoint::new(
            46.5 + f64::from(*lat) / 100.0,
            2.5 + f64::from(*lon) / 100.0,
        )
    });
    p.services = services
        .iter()
        .filter_map(|s| Service::ALL.get(*s).copied())
        .collect();
    p.services.dedup();
    (p, PlaceContext::default())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn a_search_within_a_radius_finds_what_reading_every_place_finds(
        specs in prop::collection::vec(
            (-300i32..300, -300i32..300, prop::bool::weighted(0.9), prop::collection::vec(0usize..4, 0..3)),
            0..300,
        ),
        centre in (-300i32..300, -300i32..300),
        radius_km in 0.5f64..120.0,
        service in prop::option::of(0usize..4),
        limit in 1usize..40,
    ) {
        let places: Vec<(Place, PlaceContext)> =
            specs.iter().enumerate().map(|(i, s)| place(i, s)).collect();
        let index = SearchIndex::build(places.iter().map(|(p, c)| (p, c.clone())))
            .unwrap_or_else(|e| panic!("index : {e}"));
        let centre = GeoPoint::new(
            46.5 + f64::from(centre.0) / 100.0,
            2.5 + f64::from(centre.1) / 100.0,
        );
        let services: Vec<Service> = service.and_then(|s| Service::ALL.get(s).copied()).into_iter().collect();
        let found = index
            .search_uncached(&SearchQuery {
                near: Some(centre),
                radius_km: Some(radius_km),
                services: services.clone(),
                limit,
                ..SearchQuery::default()
            })
            .unwrap_or_else(|e| panic!("{e}"));
        // Every place read: within the radius (great circle) and offering the service asked,
        // nearest first, then by identifier.
        let mut expected: Vec<(f64, &str)> = places
            .iter()
            .filter(|(p, _)| services.iter().all(|s| p.services.contains(s)))
            .filter_map(|(p, _)| {
                let d = centre.distance_m(p.location?);
                (d <= radius_km * 1000.0).then_some((d, p.id.as_str()))
            })
            .collect();
        expected.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(b.1)));
        prop_assert_eq!(found.total, expected.len());
        let ids: Vec<&str> = found.hits.iter().map(|h| h.id.as_str()).collect();
        let want: Vec<&str> = expected.iter().take(limit).map(|(_, id)| *id).collect();
        prop_assert_eq!(ids, want);
        for (hit, (d, _)) in found.hits.iter().zip(&expected) {
            prop_assert_eq!(hit.distance_m, Some(*d));
        }
    }
}
