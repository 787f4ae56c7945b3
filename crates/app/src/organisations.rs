//! Structures (organisations) of the network: their list is public (a place names its
//! structure); creating one is the same action from the administration page and the API —
//! `ManageOrganisation` in the structure's département (administrators, and coordinators of
//! that territory).

use maillage_domain::organisation::{FormErrors, Organisation, validate_organisation};
use maillage_domain::policy::{Action, Actor, Location, authorize};

use crate::{App, AppError, allow, today};

/// What a form or a JSON body says of a new structure (`nom` — `name` on the page's form —,
/// `pivot`, `departement`).
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct NewOrganisation {
    #[serde(rename = "nom", alias = "name")]
    pub name: String,
    #[serde(deserialize_with = "text_or_null")]
    pub pivot: String,
    /// Département code (`54`, `2A`, `974`); empty: none.
    #[serde(deserialize_with = "text_or_null")]
    pub departement: String,
}

/// A text that may be `null` in JSON: empty then.
fn text_or_null<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    <Option<String> as serde::Deserialize>::deserialize(d).map(Option::unwrap_or_default)
}

impl App {
    /// Every structure of the network, by name.
    pub async fn organisations(&self) -> Result<Vec<Organisation>, AppError> {
        Ok(self.store.organisations().await?)
    }

    /// One structure, if it exists.
    pub async fn organisation(&self, id: &str) -> Result<Option<Organisation>, AppError> {
        Ok(self.store.organisation(id).await?)
    }

    /// Creates a structure: the policy first, then the fields (each error named), then the
    /// store (a structure with the same SIRET/RNA as another is a conflict).
    pub async fn create_organisation(
        &self,
        actor: Option<&Actor>,
        input: &NewOrganisation,
    ) -> Result<Result<Organisation, FormErrors>, AppError> {
        let departement =
            Some(input.departement.trim().to_ascii_uppercase()).filter(|d| !d.is_empty());
        let location = Location {
            organisation_id: None,
            insee_code: None,
            departement: departement.clone(),
        };
        allow(authorize(
            actor,
            &Action::ManageOrganisation(location),
            today(),
        ))?;
        let valid = match validate_organisation(&input.name, &input.pivot) {
            Ok(valid) => valid,
            Err(errors) => return Ok(Err(errors)),
        };
        let org = Organisation {
            id: String::new(),
            name: valid.name,
            pivot: valid.pivot,
            typologies: Vec::new(),
            departement,
        };
        let id = self.store.create_organisation(&org).await?;
        let created = self
            .store
            .organisation(&id)
            .await?
            .ok_or(AppError::NotFound)?;
        Ok(Ok(created))
    }
}
