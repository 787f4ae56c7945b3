//! Requests of a person about their data (RGPD articles 15 to 21): access, rectification,
//! erasure, portability, objection. Each is answered within one month of its receipt (article
//! 12.3); the structure records it, handles it from one page, and the record says what was done
//! (an erased person's name goes from it too).

use chrono::{Months, NaiveDate};

use crate::vocab::{Vocabulary, vocabulary};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

vocabulary! {
    /// The right a person exercises.
    RequestKind, field = "droit" {
        Access = "acces", "Accès : savoir ce qui est gardé sur elle";
        Rectification = "rectification", "Rectification : corriger ce qui est faux";
        Erasure = "effacement", "Effacement : tout effacer";
        Portability = "portabilite", "Portabilité : recevoir ses données dans un fichier";
        Objection = "opposition", "Opposition : ne plus être suivie";
    }
}

vocabulary! {
    /// Where a request stands.
    RequestStatus, field = "etat" {
        Open = "ouverte", "À traiter";
        Done = "traitee", "Traitée";
        Refused = "refusee", "Refusée, avec le motif";
    }
}

/// The last day to answer a request received on `received` (one month, article 12.3).
pub fn due_on(received: NaiveDate) -> NaiveDate {
    received
        .checked_add_months(Months::new(1))
        .unwrap_or(received + chrono::Duration::days(30))
}

/// Days left to answer (negative: late).
pub fn days_left(due: NaiveDate, today: NaiveDate) -> i64 {
    (due - today).num_days()
}

/// A request as the structure records it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = FormulaireDemandeDroits)]
#[serde(default)]
pub struct RequestForm {
    /// `acces`, `rectification`, `effacement`, `portabilite` or `opposition`.
    #[serde(rename = "droit")]
    pub kind: String,
    /// A followed person of the structure, when the request is about one.
    #[serde(rename = "personne")]
    pub person_id: String,
    /// The name the person gives (to find them in referrals, registrations, mandates).
    #[serde(rename = "nom")]
    pub person_name: String,
    /// The phone or e-mail the person gives.
    pub contact: String,
    /// The day it was received (today when empty), `AAAA-MM-JJ`.
    #[serde(rename = "recue_le")]
    pub received_on: String,
}

/// A checked request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestInput {
    pub kind: RequestKind,
    pub person_id: Option<String>,
    pub person_name: Option<String>,
    pub contact: Option<String>,
    pub received_on: NaiveDate,
}

impl RequestForm {
    /// Checks the form; errors as (field, French reason).
    pub fn validate(&self, today: NaiveDate) -> Result<RequestInput, Vec<(&'static str, String)>> {
        let mut errors = Vec::new();
        let kind = RequestKind::parse(&self.kind);
        if kind.is_none() {
            errors.push(("droit", "choisissez ce que la personne demande".to_string()));
        }
        let given = |s: &str| {
            Some(s.split_whitespace().collect::<Vec<_>>().join(" ")).filter(|s| !s.is_empty())
        };
        let person_id = given(&self.person_id);
        let person_name = given(&self.person_name);
        let contact = given(&self.contact);
        if person_id.is_none() && person_name.is_none() && contact.is_none() {
            errors.push((
                "nom",
                "dites de qui il s'agit : une personne suivie, ou le nom ou le contact qu'elle donne".to_string(),
            ));
        }
        if person_name.as_ref().is_some_and(|n| n.chars().count() > 80) {
            errors.push(("nom", "80 caractères au plus".to_string()));
        }
        if contact.as_ref().is_some_and(|c| c.chars().count() > 120) {
            errors.push(("contact", "120 caractères au plus".to_string()));
        }
        let received_on = match self.received_on.trim() {
            "" => Some(today),
            d => match NaiveDate::parse_from_str(d, "%Y-%m-%d") {
                Ok(d) if d <= today && d > today - chrono::Duration::days(366) => Some(d),
                _ => {
                    errors.push((
                        "recue_le",
                        "la date de réception, dans l'année écoulée, pas dans le futur".to_string(),
                    ));
                    None
                }
            },
        };
        match (kind, received_on, errors.is_empty()) {
            (Some(kind), Some(received_on), true) => Ok(RequestInput {
                kind,
                person_id,
                person_name,
                contact,
                received_on,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn one_month_to_answer() {
        assert_eq!(due_on(day("2026-12-04")), day("2027-01-04"));
        assert_eq!(due_on(day("2027-01-31")), day("2027-02-28"));
        assert_eq!(days_left(day("2027-01-04"), day("2026-12-25")), 10);
        assert_eq!(days_left(day("2027-01-04"), day("2027-01-06")), -2);
    }

    #[test]
    fn a_request_names_its_right_and_its_person() {
        let today = day("2026-12-04");
        let errors = RequestForm::default().validate(today).expect_err("vide");
        assert_eq!(
            errors.iter().map(|e| e.0).collect::<Vec<_>>(),
            vec!["droit", "nom"]
        );
        let ok = RequestForm {
            kind: "effacement".into(),
            person_name: "  Odette   Lambert ".into(),
            ..Default::default()
        }
        .validate(today)
        .expect("valide");
        assert_eq!(ok.kind, RequestKind::Erasure);
        assert_eq!(ok.person_name.as_deref(), Some("Odette Lambert"));
        assert_eq!(ok.received_on, today);
        let future = RequestForm {
            kind: "acces".into(),
            contact: "06 12 34 56 78".into(),
            received_on: "2027-01-01".into(),
            ..Default::default()
        };
        assert_eq!(future.validate(today).expect_err("futur")[0].0, "recue_le");
    }
}
