//! The organisation (« structure »): the legal entity that runs one or more places.

use serde::{Deserialize, Serialize};

use crate::fields::{self, UNKNOWN_PIVOT};

/// An organisation of the network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Organisation {
    pub id: String,
    pub name: String,
    /// SIRET, SIREN, RNA or RIDET; `None` when unknown.
    pub pivot: Option<String>,
    pub typologies: Vec<String>,
    /// Département where it mainly acts (for coordinators' scope).
    pub departement: Option<String>,
}

/// Cleaned name and pivot of an organisation typed in a form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganisationInput {
    pub name: String,
    pub pivot: Option<String>,
}

/// Problems of a form, as (field, reason) pairs.
pub type FormErrors = Vec<(String, String)>;

/// Checks the fields of an organisation typed in a form.
pub fn validate_organisation(name: &str, pivot: &str) -> Result<OrganisationInput, FormErrors> {
    let mut errors = Vec::new();
    let name = name.trim();
    if name.is_empty() {
        errors.push((
            "nom".to_string(),
            "le nom de la structure est obligatoire".to_string(),
        ));
    }
    let pivot = match fields::pivot(pivot) {
        Ok(r) if r.value == UNKNOWN_PIVOT => None,
        Ok(r) => Some(r.value),
        Err(reason) => {
            errors.push(("pivot".to_string(), reason));
            None
        }
    };
    if errors.is_empty() {
        Ok(OrganisationInput {
            name: name.to_string(),
            pivot,
        })
    } else {
        Err(errors)
    }
}
