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
        ..TerritoryQuery::default()
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

#[tokio::test]
async fn indicators_are_imported_all_or_nothing_and_scored() {
    let Some((referential, _)) = reference() else {
        return;
    };
    let store = Store::connect("sqlite::memory:").await.expect("base");
    let app = App::new(store, referential).await.expect("application");
    let coordinator = Actor {
        territory: vec![maillage_domain::policy::TerritoryUnit::Departement(
            "54".into(),
        )],
        ..someone()
    };
    // A file with mistakes: nothing written, every problem named.
    let wrong = "code_insee;taux_pauvrete;part_65_ans_et_plus\n54395;22,4;19\n99999;10;10\n54528;douze;20\n";
    let report = app
        .import_indicators(Some(&coordinator), wrong.into(), "x.csv", "Essai", false)
        .await
        .expect("rapport");
    assert_eq!(report.imported, 0);
    let said: Vec<String> = report.errors.iter().map(ToString::to_string).collect();
    assert_eq!(said.len(), 2, "{said:#?}");
    assert!(
        said[0].starts_with("ligne 3, colonne « code_insee » : 99999 n'est pas une commune"),
        "{said:#?}"
    );
    assert!(
        said[1].starts_with("ligne 4, colonne « taux_pauvrete » : « douze »"),
        "{said:#?}"
    );
    let view = app
        .territory(Some(&someone()), &ask("54", "", ""))
        .await
        .expect("territoire");
    assert_eq!(view.fragility.communes_scored, 0, "rien n'a été écrit");
    // The valid rows when asked; then a whole file.
    let report = app
        .import_indicators(Some(&coordinator), wrong.into(), "x.csv", "Essai", true)
        .await
        .expect("lignes valides");
    assert_eq!(report.imported, 1);
    let good = "code_insee,taux_pauvrete,part_65_ans_et_plus,population_15_ans_et_plus\n\
                54395,22.4,19,90000\n54528,18,24,12000\n54174,9,21,3500\n54547,15,20,25000\n";
    let report = app
        .import_indicators(
            Some(&coordinator),
            good.into(),
            "y.csv",
            "Fichier de test",
            false,
        )
        .await
        .expect("import");
    assert_eq!((report.imported, report.errors.len()), (4, 0));
    let view = app
        .territory(Some(&someone()), &ask("54395, 54528, 54174, 54547", "", ""))
        .await
        .expect("territoire");
    let f = &view.fragility;
    assert_eq!(f.communes_scored, 4);
    assert_eq!(f.sources, ["Fichier de test (4 communes)"]);
    // Deciles among the 4 communes (1, 3, 6, 8 from the lowest value): Toul is 6th on
    // poverty and 8th on age, 7 on average — the most fragile; Écrouves 1 and 6.
    assert_eq!(f.most_fragile[0].code_insee, "54528");
    let score = |code: &str| {
        view.communes
            .iter()
            .find(|c| c.code_insee == code)
            .and_then(|c| c.fragility)
    };
    assert_eq!(score("54528"), Some(7.0));
    assert_eq!(score("54395"), Some(4.5));
    assert_eq!(score("54174"), Some(3.5));
    assert_eq!(score("54547"), Some(3.0));
    // Needs: the imported people aged 15 and over, seed 004's 40 % of them to help.
    assert_eq!(view.needs.population_15_plus, 130_500);
    assert_eq!(view.needs.communes_with_ages, 4);
    assert_eq!(view.needs.to_help, 52_200);
    // Helpers of a structure do not import the network's figures.
    let e = app
        .import_indicators(Some(&someone()), good.into(), "y.csv", "x", false)
        .await
        .expect_err("réservé aux coordinateurs");
    assert_eq!(e.kind(), ErrorKind::Forbidden);
    let e = app
        .territory(Some(&someone()), &ask("54", "", ""))
        .await
        .map(|_| ());
    assert!(e.is_ok());
    let e = app
        .territory(
            Some(&someone()),
            &TerritoryQuery {
                zone: "54".into(),
                layer: "carte".into(),
                ..TerritoryQuery::default()
            },
        )
        .await
        .expect_err("couche inconnue");
    assert!(e.to_string().starts_with("carte : "), "{e}");
}
