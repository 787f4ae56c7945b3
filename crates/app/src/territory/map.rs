//! The map of a zone's communes, drawn on the server as SVG (issue #20): it prints, works
//! without JavaScript and is read by the browser as any image; the table beside it says the
//! same for those who do not see it. Communes are projected on a plane fitted to the zone
//! (longitudes shrunk by the cosine of the middle latitude), their outlines thinned to what
//! the drawing can show, and coloured by how their people reach the help asked; the directory's
//! places are dotted on top when there are not too many to see.

use std::collections::HashSet;
use std::fmt::Write as _;

use maillage_domain::geo::GeoPoint;
use maillage_domain::place::CommuneRef;
use maillage_domain::territory::OfferSite;
use maillage_referential::contours::Contours;

/// The drawing's width, in its own units (the page scales it to the screen).
pub const WIDTH: f64 = 1000.0;
/// Its height at most: a tall zone is narrower.
pub const MAX_HEIGHT: f64 = 1000.0;
/// Places dotted on the map at most; beyond, the dots would hide the communes.
pub const MAX_DOTS: usize = 3_000;

/// The colour of each class, for drawings outside the page (the PDF): the page's style sheet
/// gives the same (a test of the web crate compares them).
pub const FILLS: [(&str, &str); 15] = [
    ("dans-la-commune", "#00441b"),
    ("a-portee", "#5aae61"),
    ("plus-loin", "#f1b6da"),
    ("nulle-part", "#c51b7d"),
    ("fragilite-1", "#f2f0f7"),
    ("fragilite-2", "#cbc9e2"),
    ("fragilite-3", "#9e9ac8"),
    ("fragilite-4", "#756bb1"),
    ("fragilite-5", "#54278f"),
    ("besoins-1", "#b2182b"),
    ("besoins-2", "#ef8a62"),
    ("besoins-3", "#fddbc7"),
    ("besoins-4", "#a6dba0"),
    ("besoins-5", "#1b7837"),
    ("sans-donnee", "#d9d9d9"),
];

/// The colour of a class.
pub fn fill(class: &str) -> &'static str {
    FILLS
        .iter()
        .find(|(c, _)| *c == class)
        .map_or("#d9d9d9", |(_, f)| f)
}

/// One commune on the map.
#[derive(Debug, Clone)]
pub struct MapCommune {
    pub insee_code: String,
    pub name: String,
    /// The outline as SVG path data.
    pub d: String,
    /// The class of its colour in the style sheet (`dans-la-commune`, `fragilite-3`…).
    pub class: &'static str,
    /// « Toul : dans la commune ».
    pub title: String,
}

/// A zone's map.
#[derive(Debug, Clone, Default)]
pub struct Choropleth {
    pub width: u32,
    pub height: u32,
    pub communes: Vec<MapCommune>,
    /// Places of the zone, as points of the drawing (empty when over [`MAX_DOTS`]).
    pub dots: Vec<(f64, f64)>,
    /// Places of the zone (drawn or not).
    pub place_count: usize,
    /// Communes of the zone that are not drawn: overseas ones when the zone also has
    /// mainland communes, and any without a known outline.
    pub off_map: Vec<String>,
}

impl Choropleth {
    /// The map as a standalone SVG document, colours written in (a PDF has no style sheet).
    pub fn to_svg(&self) -> String {
        let mut svg = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {} {}\">",
            self.width.max(1),
            self.height.max(1)
        );
        for c in &self.communes {
            let _ = write!(
                svg,
                "<path d=\"{}\" fill=\"{}\" stroke=\"#ffffff\" stroke-width=\"0.3\"/>",
                c.d,
                fill(c.class)
            );
        }
        for (x, y) in &self.dots {
            let _ = write!(
                svg,
                "<circle cx=\"{x}\" cy=\"{y}\" r=\"3\" fill=\"#1a1a1a\" stroke=\"#ffffff\" stroke-width=\"0.8\"/>"
            );
        }
        svg.push_str("</svg>");
        svg
    }
}

/// A plane fitted to a box of longitudes and latitudes.
struct Projection {
    west: f64,
    north: f64,
    /// Units per degree of latitude; per degree of longitude, times `shrink`.
    scale: f64,
    shrink: f64,
}

impl Projection {
    fn point(&self, lon: f64, lat: f64) -> (f64, f64) {
        (
            (lon - self.west) * self.shrink * self.scale,
            (self.north - lat) * self.scale,
        )
    }
}

fn overseas(departement: &str) -> bool {
    departement.starts_with("97")
}

impl Choropleth {
    /// The map of these communes (the zone's), each coloured by the class `class_of` gives its
    /// INSEE code (with the words of its tooltip), with the places of `offers` whose commune is
    /// in `in_zone`.
    pub fn draw(
        zone: &[&CommuneRef],
        contours: &Contours,
        class_of: &dyn Fn(&str) -> (&'static str, String),
        offers: &[OfferSite],
        in_zone: &HashSet<&str>,
    ) -> Choropleth {
        let mainland = zone.iter().any(|c| !overseas(&c.departement));
        let mut off_map = Vec::new();
        let mut drawn = Vec::new();
        for c in zone {
            match contours.get(&c.insee_code) {
                // Each outline decoded once for the drawing (bounds, then path).
                Some(shape) if !(mainland && overseas(&c.departement)) => {
                    drawn.push((c, shape.outline()))
                }
                _ => off_map.push(format!("{} ({})", c.name, c.insee_code)),
            }
        }
        let (mut west, mut east, mut south, mut north) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for (_, outline) in &drawn {
            for polygon in &outline.0 {
                for p in polygon.exterior().0.iter() {
                    west = west.min(p.x);
                    east = east.max(p.x);
                    south = south.min(p.y);
                    north = north.max(p.y);
                }
            }
        }
        if drawn.is_empty() || west >= east || south >= north {
            return Choropleth {
                off_map,
                ..Default::default()
            };
        }
        let shrink = ((south + north) / 2.0).to_radians().cos();
        let scale = (WIDTH / ((east - west) * shrink)).min(MAX_HEIGHT / (north - south));
        let projection = Projection {
            west,
            north,
            scale,
            shrink,
        };
        let width = ((east - west) * shrink * scale).ceil();
        let height = ((north - south) * scale).ceil();
        // Outlines thinned to what shows: half a unit for a few communes, more for a région
        // or the country (each commune is then a few units wide).
        let tolerance = if drawn.len() <= 2_000 { 0.5 } else { 1.5 };
        let communes = drawn
            .iter()
            .map(|(c, outline)| {
                let (class, words) = class_of(&c.insee_code);
                MapCommune {
                    insee_code: c.insee_code.clone(),
                    name: c.name.clone(),
                    d: path(&projection, outline, tolerance),
                    class,
                    title: format!("{} : {words}", c.name),
                }
            })
            .collect();
        let zone_offers: Vec<GeoPoint> = offers
            .iter()
            .filter(|o| o.insee_code.as_deref().is_some_and(|c| in_zone.contains(c)))
            .map(|o| o.at)
            .collect();
        let dots = if zone_offers.len() <= MAX_DOTS {
            zone_offers
                .iter()
                .map(|p| projection.point(p.lon, p.lat))
                .filter(|(x, y)| (0.0..=width).contains(x) && (0.0..=height).contains(y))
                .map(|(x, y)| ((x * 10.0).round() / 10.0, (y * 10.0).round() / 10.0))
                .collect()
        } else {
            Vec::new()
        };
        Choropleth {
            width: width as u32,
            height: height as u32,
            communes,
            dots,
            place_count: zone_offers.len(),
            off_map,
        }
    }
}

/// SVG path data of an outline: each ring's points projected, those closer than `tolerance`
/// to the last one kept dropped, at least a triangle kept per ring (a commune is always drawn,
/// however small).
fn path(projection: &Projection, outline: &geo_types::MultiPolygon<f64>, tolerance: f64) -> String {
    let mut d = String::new();
    let decimals = if tolerance < 1.0 { 1 } else { 0 };
    let rings = outline
        .0
        .iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()));
    for ring in rings {
        let points: Vec<(f64, f64)> = ring.0.iter().map(|p| projection.point(p.x, p.y)).collect();
        let mut kept: Vec<(f64, f64)> = Vec::with_capacity(points.len());
        for &p in &points {
            let far = kept
                .last()
                .is_none_or(|&(x, y): &(f64, f64)| (p.0 - x).hypot(p.1 - y) >= tolerance);
            if far {
                kept.push(p);
            }
        }
        if kept.len() < 3 {
            kept = points.iter().take(3).copied().collect();
        }
        if kept.len() < 3 {
            continue;
        }
        for (i, (x, y)) in kept.iter().enumerate() {
            let _ = write!(
                d,
                "{}{:.*} {:.*}",
                if i == 0 { 'M' } else { 'L' },
                decimals,
                x,
                decimals,
                y
            );
        }
        d.push('Z');
    }
    d
}

/// Communes drawn on the interactive map at most (a région; the country would weigh tens of
/// megabytes: the page's SVG map stays for it).
pub const MAX_LAYER_COMMUNES: usize = 6_000;

/// The map's communes as GeoJSON (longitude, latitude), for the interactive map of the
/// directory: each feature with its INSEE code, name, class, colour and words, outlines thinned
/// like the drawing's (a tenth of a kilometre or so for a département, more for a région).
pub fn geojson(map: &Choropleth, contours: &Contours) -> serde_json::Value {
    let tolerance = if map.communes.len() <= 2_000 {
        0.0015
    } else {
        0.006
    };
    let round = |v: f64| (v * 10_000.0).round() / 10_000.0;
    let features: Vec<serde_json::Value> = map
        .communes
        .iter()
        .filter_map(|c| {
            let shape = contours.get(&c.insee_code)?;
            let polygons: Vec<Vec<Vec<[f64; 2]>>> = shape
                .outline()
                .0
                .iter()
                .map(|p| {
                    std::iter::once(p.exterior())
                        .chain(p.interiors())
                        .map(|ring| {
                            let mut kept: Vec<[f64; 2]> = Vec::new();
                            for q in ring.0.iter() {
                                let far = kept.last().is_none_or(|l: &[f64; 2]| {
                                    (q.x - l[0]).hypot(q.y - l[1]) >= tolerance
                                });
                                if far {
                                    kept.push([round(q.x), round(q.y)]);
                                }
                            }
                            if kept.len() < 3 {
                                kept = ring
                                    .0
                                    .iter()
                                    .take(3)
                                    .map(|q| [round(q.x), round(q.y)])
                                    .collect();
                            }
                            // A ring closes on its first point.
                            if let Some(first) = kept.first().copied() {
                                kept.push(first);
                            }
                            kept
                        })
                        .collect()
                })
                .collect();
            Some(serde_json::json!({
                "type": "Feature",
                "properties": {
                    "code": c.insee_code,
                    "nom": c.name,
                    "classe": c.class,
                    "couleur": fill(c.class),
                    "libelle": c.title,
                },
                "geometry": {"type": "MultiPolygon", "coordinates": polygons},
            }))
        })
        .collect();
    serde_json::json!({"type": "FeatureCollection", "features": features})
}

#[cfg(test)]
mod tests {
    use super::{Projection, path};
    use geo_types::{LineString, MultiPolygon, Polygon};

    #[test]
    fn outlines_are_thinned_but_never_vanish() {
        let projection = Projection {
            west: 0.0,
            north: 1.0,
            scale: 100.0,
            shrink: 1.0,
        };
        // A square of 100 units with many points on its sides: thinned at 0.5 unit.
        let mut ring: Vec<(f64, f64)> = (0..=100).map(|i| (f64::from(i) / 100.0, 0.0)).collect();
        ring.extend([(1.0, 1.0), (0.0, 1.0), (0.0, 0.0)]);
        let square = MultiPolygon(vec![Polygon::new(LineString::from(ring), vec![])]);
        let d = path(&projection, &square, 0.5);
        assert!(d.starts_with("M0.0 100.0L1.0 100.0"), "{d}");
        assert!(d.ends_with('Z'));
        let coarse = path(&projection, &square, 30.0);
        assert!(coarse.matches('L').count() < 10, "{coarse}");
        // A speck far below the tolerance is still drawn, as a triangle.
        let speck = MultiPolygon(vec![Polygon::new(
            LineString::from(vec![
                (0.0, 0.0),
                (0.0001, 0.0),
                (0.0001, 0.0001),
                (0.0, 0.0),
            ]),
            vec![],
        )]);
        let d = path(&projection, &speck, 1.5);
        assert_eq!(d.matches('L').count(), 2, "{d}");
    }
}
