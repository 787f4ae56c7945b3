//! What a list of results shows of each place (the search page's cards): read from the index's
//! shelf without the rest of the place ([`crate::App::search_listed`]).
//!
//! The search page showed twenty places by decoding each one's whole stored JSON — its
//! description, summary, labels, a dozen lists of the standard's codes — to show its name,
//! address, telephone, opening and services: the decoding and the dropping of those places
//! were a fifth of the page's time without the caches (docs/PERFORMANCE.md). The shelf's JSON
//! is now read into this view only, the other fields passed over without being kept.

use maillage_domain::Place;
use maillage_domain::duplicates::Candidate;
use maillage_domain::geo::GeoPoint;
use maillage_domain::vocab::Service;
use maillage_store::StoredPlace;
use serde::Deserialize;

/// A place as a list of results shows it, and what tells two records of the same place apart
/// ([`ListedPlace::candidate`]).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ListedPlace {
    pub id: String,
    pub name: String,
    pub address: String,
    pub postcode: String,
    pub commune: String,
    pub insee_code: Option<String>,
    pub location: Option<GeoPoint>,
    pub typologies: Vec<String>,
    pub phone: Option<String>,
    pub opening_hours: Option<String>,
    pub opening_hours_valid: bool,
    pub services: Vec<Service>,
    /// The standard's `source` of the record.
    pub source: Option<String>,
    /// The import's source, when the record does not name one ([`crate::duplicates::source_of`]).
    #[serde(skip)]
    pub import_source: Option<String>,
}

/// The stored JSON of a place, read into a [`ListedPlace`] (every other field passed over).
#[derive(Deserialize)]
struct ListedStored {
    place: ListedPlace,
    source: Option<String>,
}

impl ListedPlace {
    /// Reads the stored JSON of a place ([`StoredPlace`] as serialised).
    pub(crate) fn from_stored_json(json: &[u8]) -> Option<ListedPlace> {
        let ListedStored { mut place, source } = serde_json::from_slice(json).ok()?;
        place.import_source = source;
        Some(place)
    }

    /// The same view of a place read from the base.
    pub fn of(stored: &StoredPlace) -> ListedPlace {
        let p: &Place = &stored.place;
        ListedPlace {
            id: p.id.clone(),
            name: p.name.clone(),
            address: p.address.clone(),
            postcode: p.postcode.clone(),
            commune: p.commune.clone(),
            insee_code: p.insee_code.clone(),
            location: p.location,
            typologies: p.typologies.clone(),
            phone: p.phone.clone(),
            opening_hours: p.opening_hours.clone(),
            opening_hours_valid: p.opening_hours_valid,
            services: p.services.clone(),
            source: p.source.clone(),
            import_source: stored.source.clone(),
        }
    }

    /// Where the record comes from: the standard's `source`, else the import's (as
    /// [`crate::duplicates::source_of`] says of a stored place).
    pub fn source_of(&self) -> Option<&str> {
        self.source
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .or(self.import_source.as_deref())
    }

    /// Its département, as [`Place::departement`] tells it.
    pub fn departement(&self) -> Option<String> {
        maillage_domain::place::departement_of(self.insee_code.as_deref(), &self.postcode)
    }

    /// What the rule of duplicates reads of it, as [`Candidate::of`] reads of a place.
    pub fn candidate(&self) -> Candidate<'_> {
        Candidate {
            id: &self.id,
            source: self.source_of(),
            name: &self.name,
            address: &self.address,
            commune: &self.commune,
            postcode: &self.postcode,
            insee_code: self.insee_code.as_deref(),
            location: self.location,
            typologies: &self.typologies,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored() -> StoredPlace {
        let mut place = Place::new(
            "lieu-1",
            "Médiathèque \"Jean Jaurès\"",
            "2 rue de la Paix",
            "54000",
            "Nancy",
            chrono::NaiveDate::from_ymd_opt(2026, 11, 2).unwrap_or_default(),
        );
        place.insee_code = Some("54395".into());
        place.location = Some(GeoPoint::new(48.69, 6.18));
        place.typologies = vec!["BIB".into()];
        place.phone = Some("+33383000000".into());
        place.opening_hours = Some("Mo-Fr 09:00-17:00".into());
        place.opening_hours_valid = true;
        place.services = vec![Service::InternetAccess];
        place.description = Some("Une longue description, avec \\ et \u{e9}.".into());
        place.emails = vec!["contact@example.org".into()];
        StoredPlace {
            place,
            organisation_id: Some("org-1".into()),
            source: Some("import-2026".into()),
            source_id: Some("x".into()),
            modified_at: "2026-11-02T10:00:00Z".into(),
        }
    }

    /// The view read from the stored JSON is the view of the place read from the base.
    #[test]
    fn the_shelf_json_gives_the_view_of_the_stored_place() -> Result<(), serde_json::Error> {
        let stored = stored();
        let json = serde_json::to_vec(&stored)?;
        let listed = ListedPlace::from_stored_json(&json);
        assert_eq!(listed.as_ref(), Some(&ListedPlace::of(&stored)));
        let listed = listed.unwrap_or_else(|| ListedPlace::of(&stored));
        assert_eq!(listed.departement(), stored.place.departement());
        assert_eq!(
            listed.source_of(),
            crate::duplicates::source_of(&stored),
            "the import's source when the record names none"
        );
        let (a, b) = (
            listed.candidate(),
            Candidate::of(&stored.place, listed.source_of()),
        );
        assert_eq!(
            (a.id, a.source, a.name, a.address, a.commune, a.postcode),
            (b.id, b.source, b.name, b.address, b.commune, b.postcode)
        );
        assert_eq!(
            (a.insee_code, a.location, a.typologies),
            (b.insee_code, b.location, b.typologies)
        );
        assert_eq!(ListedPlace::from_stored_json(&json[..json.len() - 1]), None);
        Ok(())
    }
}
