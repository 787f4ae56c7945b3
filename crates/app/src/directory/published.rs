//! A place as the API publishes it: the standard's fields in the standard's order (strings, as
//! in its JSON form; lists joined by `|`), then Maillage's additions, then, in search results,
//! its distance and opening. Written by the API for each place, and once per place when it is
//! indexed, for callers who do not see the helpers' part: the index's shelf keeps that JSON
//! ready, so that a page of results is copied rather than decoded and written again
//! ([`crate::App::search_published`]).

use maillage_domain::place::{DirectoryExtras, Place, RawPlace, STANDARD_FIELDS};
use maillage_search::Hit;
use serde::Serialize;

/// A place as the API shows it, serialized directly.
#[derive(Debug, Clone)]
pub struct PublishedPlace {
    raw: RawPlace,
    opening_hours_valid: bool,
    organisation_id: Option<String>,
    extras: DirectoryExtras,
    /// Distance and opening state, for search results.
    hit: Option<(Option<f64>, Option<bool>)>,
}

impl PublishedPlace {
    /// The place; its referent only for callers who may see the helpers' part
    /// ([`crate::sees_helpers_part`]).
    pub fn of(
        place: &Place,
        organisation_id: Option<&str>,
        hit: Option<&Hit>,
        sees_helpers_part: bool,
    ) -> Self {
        let mut extras = place.extras.clone();
        if !sees_helpers_part {
            extras.referent = None;
        }
        PublishedPlace {
            raw: place.to_raw(),
            opening_hours_valid: place.opening_hours_valid,
            organisation_id: organisation_id.map(str::to_string),
            extras,
            hit: hit.map(hit_fields),
        }
    }
}

/// What a search result adds to a place: its distance in whole metres, its opening.
fn hit_fields(hit: &Hit) -> (Option<f64>, Option<bool>) {
    (hit.distance_m.map(f64::round), hit.open)
}

impl Serialize for PublishedPlace {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        for f in STANDARD_FIELDS {
            if let Some(v) = self.raw.get(f) {
                map.serialize_entry(f, v)?;
            }
        }
        map.serialize_entry("horaires_valides", &self.opening_hours_valid)?;
        map.serialize_entry("structure_id", &self.organisation_id)?;
        map.serialize_entry("complements", &self.extras)?;
        if let Some((distance_m, open)) = self.hit {
            map.serialize_entry(HIT_FIELDS[0], &distance_m)?;
            map.serialize_entry(HIT_FIELDS[1], &open)?;
        }
        map.end()
    }
}

/// The fields a search result adds, last.
const HIT_FIELDS: [&str; 2] = ["distance_m", "ouvert"];

/// The JSON of a place without a hit, as written once: the place's JSON for this hit, as
/// [`PublishedPlace`] with the hit writes it (its last fields added before the closing brace).
pub(crate) fn with_hit(mut json: Vec<u8>, hit: &Hit) -> Option<Vec<u8>> {
    if json.pop() != Some(b'}') {
        return None;
    }
    let (distance_m, open) = hit_fields(hit);
    let [distance_field, open_field] = HIT_FIELDS;
    json.push(b',');
    serde_json::to_writer(&mut json, distance_field).ok()?;
    json.push(b':');
    serde_json::to_writer(&mut json, &distance_m).ok()?;
    json.push(b',');
    serde_json::to_writer(&mut json, open_field).ok()?;
    json.push(b':');
    serde_json::to_writer(&mut json, &open).ok()?;
    json.push(b'}');
    Some(json)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A place's JSON written once without a hit, then given each hit, is the very JSON the
    /// place with that hit writes (the API's search results are made that way from the shelf).
    #[test]
    fn the_json_of_a_place_with_a_hit_added_is_the_json_written_with_it() {
        let mut place = Place::new(
            "lieu-1",
            "Médiathèque « Jules Verne »\nannexe",
            "1 rue de la Gare",
            "54000",
            "Nancy",
            chrono::NaiveDate::from_ymd_opt(2026, 11, 2).unwrap_or_default(),
        );
        place.summary = Some("Ateliers numériques, aide aux démarches".into());
        place.extras.referent = Some(maillage_domain::place::Referent {
            name: "Camille".into(),
            role: None,
            email: None,
            phone: Some("06 00 00 00 00".into()),
        });
        let hits = [
            (None, None),
            (Some(1234.4), Some(true)),
            (Some(0.5), Some(false)),
            (Some(98_765.0), None),
            (None, Some(true)),
        ];
        for (helpers, organisation) in [(false, None), (true, Some("structure-1"))] {
            let plain =
                serde_json::to_vec(&PublishedPlace::of(&place, organisation, None, helpers))
                    .unwrap_or_default();
            for (distance_m, open) in hits {
                let hit = Hit {
                    id: place.id.clone(),
                    score: Some(1.5),
                    distance_m,
                    open,
                    held: Default::default(),
                };
                let written = serde_json::to_vec(&PublishedPlace::of(
                    &place,
                    organisation,
                    Some(&hit),
                    helpers,
                ))
                .unwrap_or_default();
                assert_eq!(with_hit(plain.clone(), &hit), Some(written));
            }
        }
        // The referent is written only for those who see the helpers' part.
        let public = serde_json::to_string(&PublishedPlace::of(&place, None, None, false))
            .unwrap_or_default();
        assert!(!public.contains("Camille"));
        let helpers = serde_json::to_string(&PublishedPlace::of(&place, None, None, true))
            .unwrap_or_default();
        assert!(helpers.contains("Camille"));
        let hit = Hit {
            id: place.id.clone(),
            score: None,
            distance_m: None,
            open: None,
            held: Default::default(),
        };
        assert_eq!(with_hit(b"[1]".to_vec(), &hit), None);
    }

    proptest::proptest! {
        /// Any distance (even one JSON cannot hold, written `null` both ways) and any opening.
        #[test]
        fn any_hit_added_gives_the_json_written_with_it(
            distance_m in proptest::option::of(proptest::num::f64::ANY),
            open in proptest::option::of(proptest::bool::ANY),
            organisation in proptest::option::of("[a-z0-9-]{1,12}"),
            name in "\\PC{1,40}",
        ) {
            let place = Place::new(
                "lieu-2",
                name,
                "2 rue de la Gare",
                "54000",
                "Nancy",
                chrono::NaiveDate::from_ymd_opt(2026, 11, 2).unwrap_or_default(),
            );
            let hit = Hit {
                id: place.id.clone(),
                score: None,
                distance_m,
                open,
                held: Default::default(),
            };
            let organisation = organisation.as_deref();
            let plain = serde_json::to_vec(&PublishedPlace::of(&place, organisation, None, false))
                .unwrap_or_default();
            let written =
                serde_json::to_vec(&PublishedPlace::of(&place, organisation, Some(&hit), false))
                    .unwrap_or_default();
            proptest::prop_assert_eq!(with_hit(plain, &hit), Some(written));
        }
    }
}
