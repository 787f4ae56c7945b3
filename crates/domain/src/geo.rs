//! Coordinates: distance on the sphere and the check that a point lies on French territory.

use serde::{Deserialize, Serialize};

/// A WGS84 point.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GeoPoint {
    pub lat: f64,
    pub lon: f64,
}

/// Mean Earth radius (m), as used by the Haversine formula.
/// Mean radius of the Earth in metres.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

impl GeoPoint {
    pub fn new(lat: f64, lon: f64) -> Self {
        Self { lat, lon }
    }

    /// Great-circle distance in metres (Haversine).
    pub fn distance_m(self, other: GeoPoint) -> f64 {
        let (p1, p2) = (self.lat.to_radians(), other.lat.to_radians());
        let dp = p2 - p1;
        let dl = (other.lon - self.lon).to_radians();
        let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_M * a.sqrt().asin()
    }

    /// Fast approximation of [`GeoPoint::distance_m`] (equirectangular projection at the mean of
    /// the two latitudes' cosines, given precomputed): no trigonometry, within 1 % at the scale of
    /// metropolitan France. For ranking many places; show the exact distance.
    pub fn approx_distance_m(self, other: GeoPoint, cos_lat_self: f64, cos_lat_other: f64) -> f64 {
        let x = (other.lon - self.lon).to_radians() * (cos_lat_self + cos_lat_other) / 2.0;
        let y = (other.lat - self.lat).to_radians();
        EARTH_RADIUS_M * (x * x + y * y).sqrt()
    }

    /// Parses `"43.52,5.41"` (latitude first).
    pub fn parse(input: &str) -> Option<Self> {
        let (a, b) = input.split_once(',')?;
        let lat: f64 = a.trim().parse().ok()?;
        let lon: f64 = b.trim().parse().ok()?;
        (lat.is_finite() && lon.is_finite() && lat.abs() <= 90.0 && lon.abs() <= 180.0)
            .then_some(Self { lat, lon })
    }
}

/// Bounding boxes of French territories: (name, lat min, lat max, lon min, lon max).
const TERRITORIES: [(&str, f64, f64, f64, f64); 12] = [
    ("France métropolitaine", 41.2, 51.2, -5.3, 9.7),
    ("Guadeloupe", 15.8, 16.6, -61.9, -60.9),
    ("Martinique", 14.3, 14.95, -61.3, -60.75),
    ("Guyane", 2.1, 5.9, -54.7, -51.5),
    ("La Réunion", -21.45, -20.8, 55.15, 55.9),
    ("Mayotte", -13.1, -12.55, 44.9, 45.35),
    ("Saint-Pierre-et-Miquelon", 46.7, 47.2, -56.5, -56.05),
    (
        "Saint-Martin et Saint-Barthélemy",
        17.85,
        18.15,
        -63.2,
        -62.75,
    ),
    ("Wallis-et-Futuna", -14.4, -13.15, -178.25, -176.1),
    ("Polynésie française", -28.0, -7.0, -155.0, -134.0),
    ("Nouvelle-Calédonie", -23.0, -19.0, 163.5, 168.3),
    ("Clipperton", 10.2, 10.4, -109.3, -109.1),
];

/// Name of the French territory containing the point, if any.
pub fn french_territory(p: GeoPoint) -> Option<&'static str> {
    TERRITORIES
        .iter()
        .find(|(_, la0, la1, lo0, lo1)| {
            (*la0..=*la1).contains(&p.lat) && (*lo0..=*lo1).contains(&p.lon)
        })
        .map(|t| t.0)
}

/// Outcome of the territory check on imported coordinates.
#[derive(Debug, Clone, PartialEq)]
pub enum CoordinateCheck {
    Valid(GeoPoint),
    /// Latitude and longitude were swapped by the producer; here they are put back.
    Swapped(GeoPoint),
    OutsideFrance,
}

/// Checks that coordinates are on French territory, repairing swapped latitude/longitude.
pub fn check_coordinates(lat: f64, lon: f64) -> CoordinateCheck {
    if !lat.is_finite() || !lon.is_finite() {
        return CoordinateCheck::OutsideFrance;
    }
    let p = GeoPoint::new(lat, lon);
    if french_territory(p).is_some() {
        return CoordinateCheck::Valid(p);
    }
    let swapped = GeoPoint::new(lon, lat);
    if french_territory(swapped).is_some() {
        return CoordinateCheck::Swapped(swapped);
    }
    CoordinateCheck::OutsideFrance
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn distance_paris_marseille() {
        let paris = GeoPoint::new(48.8566, 2.3522);
        let marseille = GeoPoint::new(43.2965, 5.3698);
        let d = paris.distance_m(marseille) / 1000.0;
        assert!((d - 661.0).abs() < 5.0, "{d}");
    }

    #[test]
    fn swapped_coordinates_are_repaired() {
        assert_eq!(
            check_coordinates(5.41423, 43.52609),
            CoordinateCheck::Swapped(GeoPoint::new(43.52609, 5.41423))
        );
        assert!(matches!(
            check_coordinates(43.5, 5.4),
            CoordinateCheck::Valid(_)
        ));
        assert_eq!(check_coordinates(0.0, 0.0), CoordinateCheck::OutsideFrance);
        assert!(matches!(
            check_coordinates(-21.1, 55.5),
            CoordinateCheck::Valid(_)
        ));
    }

    proptest! {
        #[test]
        fn distance_is_symmetric_and_non_negative(a in -89.0f64..89.0, b in -179.0f64..179.0, c in -89.0f64..89.0, d in -179.0f64..179.0) {
            let p = GeoPoint::new(a, b);
            let q = GeoPoint::new(c, d);
            let pq = p.distance_m(q);
            prop_assert!(pq >= 0.0);
            prop_assert!((pq - q.distance_m(p)).abs() < 1e-6);
            prop_assert!(pq <= std::f64::consts::PI * EARTH_RADIUS_M + 1.0);
        }

        #[test]
        fn approx_distance_is_within_one_percent_in_metropolitan_france(a in 41.3f64..51.1, b in -5.2f64..9.6, c in 41.3f64..51.1, d in -5.2f64..9.6) {
            let p = GeoPoint::new(a, b);
            let q = GeoPoint::new(c, d);
            let exact = p.distance_m(q);
            let approx = p.approx_distance_m(q, a.to_radians().cos(), c.to_radians().cos());
            prop_assert!((approx - exact).abs() <= exact * 0.01 + 1.0, "{approx} vs {exact}");
        }
    }
}
