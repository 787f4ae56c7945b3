//! The territory through its service (issue #20): the coverage of a département recomputed
//! here independently, commune by commune, by brute force over the same places and the same
//! town halls; zones by name, région and list; the rules every caller meets.

use std::collections::HashMap;

use maillage_app::territory::TerritoryQuery;
use maillage_app::{App, ErrorKind};
use maillage_domain::policy::Actor;
use maillage_domain::vocab::Service;
use maillage_referential::Referential;
use maillage_referential::contours::Contours;
use maillage_store::Store;

fn someone() -> Actor {
    Actor {
        user_id: "aidant".into(),
        administrator: false,
        territory: vec![],
        memberships: vec![],
    }
}

fn ask(zone: &str, reach: &str, help: &str) -> TerritoryQuery {
    TerritoryQuery {
        zone: zone.into(),
        reach: reach.into(),
        help: help.into(),
    }
}

/// The referential and contours built at set-up; without them (a checkout where
/// `scripts/setup.sh` never ran) the test says so and stops, unless the test script requires
/// them.
fn reference() -> Option<(Referential, Contours)> {
    match (Referential::discover(), Contours::discover()) {
        (Ok(r), Ok(c)) => Some((r, c)),
        (r, c) => {
            assert!(
                std::env::var_os("MAILLAGE_REQUIRE_REFERENTIAL").is_none(),
                "référentiel ou contours absents : {:?} {:?}",
                r.err(),
                c.err()
            );
            eprintln!("référentiel ou contours absents : lancez scripts/setup.sh");
            None
        }
    }
}

#[tokio::test]
async fn the_coverage_of_a_departement_is_what_brute_force_finds() {
    let Some((referential, contours)) = reference() else {
        return;
    };
    let places = maillage_app::demo::generate(&referential, Some("54"), 120, 20);
    let store = Store::connect("sqlite::memory:").await.expect("base");
    for d in &places {
        store
            .create_place(d.place.clone(), None, None)
            .await
            .expect("lieu");
    }
    let app = App::new(store, referential).await.expect("application");
    let me = someone();
    for (help, service) in [
        ("", None),
        ("demarches", Some(Service::AdministrativeProcedures)),
    ] {
        let view = app
            .territory(Some(&me), &ask("54", "10", help))
            .await
            .expect("territoire");
        assert_eq!(view.zone, "Meurthe-et-Moselle (54)");
        let communes = app.referential.communes_of_departement("54");
        assert_eq!(view.commune_count, communes.len());
        // Brute force: each commune's town hall against every place offering the help.
        let offering: Vec<_> = places
            .iter()
            .map(|d| &d.place)
            .filter(|p| service.is_none_or(|s| p.services.contains(&s)))
            .filter(|p| p.location.is_some())
            .collect();
        let by_code: HashMap<&str, _> = view
            .communes
            .iter()
            .map(|c| (c.code_insee.as_str(), c))
            .collect();
        let mut out_of_reach = 0u64;
        for c in &communes {
            let shape = contours
                .get(&c.insee_code)
                .expect("contour de chaque commune du 54");
            let here = offering
                .iter()
                .any(|p| p.insee_code.as_deref() == Some(c.insee_code.as_str()));
            let nearest = offering
                .iter()
                .filter_map(|p| p.location)
                .map(|at| shape.town_hall.distance_m(at) / 1000.0)
                .fold(f64::INFINITY, f64::min);
            let expected = if here {
                "dans-la-commune"
            } else if nearest <= 10.0 {
                "a-portee"
            } else if nearest <= 150.0 {
                "plus-loin"
            } else {
                "nulle-part"
            };
            let got = by_code[c.insee_code.as_str()];
            assert_eq!(got.access, expected, "{} ({})", c.name, c.insee_code);
            if !here && nearest <= 150.0 {
                let km = got.distance_km.expect("distance");
                assert!((km - nearest).abs() < 0.06, "{} : {km} ≠ {nearest}", c.name);
            }
            if !matches!(expected, "dans-la-commune" | "a-portee") {
                out_of_reach += u64::from(shape.population);
            }
        }
        let kind = &view.kinds[if service.is_some() { 1 } else { 0 }];
        assert_eq!(kind.population_out_of_reach, out_of_reach, "aide {help:?}");
        assert_eq!(
            view.white_zones.len() as u32,
            kind.communes_further + kind.communes_nowhere
        );
        assert!(
            view.white_zones
                .windows(2)
                .all(|w| w[0].population >= w[1].population),
            "zones blanches, les plus peuplées d'abord"
        );
        // The CSV has every commune, once.
        let csv = maillage_app::territory::communes_csv(&view).expect("CSV");
        let text = String::from_utf8(csv).expect("UTF-8");
        assert_eq!(text.lines().count(), communes.len() + 1);
    }

    // The same zone by its name; a région holds it; a list of communes.
    let by_name = app
        .territory(Some(&me), &ask("Meurthe-et-Moselle", "", ""))
        .await
        .expect("par son nom");
    assert_eq!(by_name.codes, ["54"]);
    let region = app
        .territory(Some(&me), &ask("Grand Est", "", ""))
        .await
        .expect("région");
    assert_eq!(region.codes, ["R44"]);
    assert!(region.commune_count > 5_000, "{}", region.commune_count);
    let list = app
        .territory(Some(&me), &ask("54395, 54528, Écrouves", "", ""))
        .await
        .expect("liste");
    assert_eq!(list.commune_count, 3);

    // The rules: an account; the reach, the help and the zone checked with their field named.
    let anonymous = app.territory(None, &ask("54", "", "")).await;
    assert_eq!(
        anonymous.expect_err("sans compte").kind(),
        ErrorKind::SignInRequired
    );
    for (zone, reach, help, field) in [
        ("54", "0", "", "portée"),
        ("54", "", "tout", "aide"),
        ("Atlantide", "", "", "zone"),
        ("R99", "", "", "zone"),
    ] {
        let e = app
            .territory(Some(&me), &ask(zone, reach, help))
            .await
            .expect_err(field);
        assert_eq!(e.kind(), ErrorKind::Invalid);
        assert!(e.to_string().contains(field), "{e}");
    }
    let many: Vec<String> = (1..=31).map(|i| format!("{i:02}")).collect();
    let e = app
        .territory(Some(&me), &ask(&many.join(","), "", ""))
        .await
        .expect_err("31 éléments");
    assert_eq!(e.kind(), ErrorKind::TooLarge);
    // A booklet is never printed for the whole country.
    let e = app
        .booklet_zone(&["FR".to_string()])
        .await
        .expect_err("livret de la France");
    assert_eq!(e.kind(), ErrorKind::TooLarge);
}
