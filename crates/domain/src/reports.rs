//! Errors reported on a place's page by anyone (the public included), for the place's members
//! and the territory's coordinators to resolve.

use crate::fields;
use crate::vocab::{ReportCategory, Vocabulary};

/// Longest message kept.
pub const MESSAGE_MAX_CHARS: usize = 2_000;

/// A validated report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportInput {
    pub category: ReportCategory,
    pub message: String,
    /// Only when the reporter wants to be told of the correction.
    pub reporter_email: Option<String>,
}

/// Validates a report form; errors as (field, French reason).
pub fn validate_report(
    category: &str,
    message: &str,
    email: &str,
) -> Result<ReportInput, Vec<(&'static str, String)>> {
    let mut errors = Vec::new();
    let category = match ReportCategory::from_slug(category.trim()) {
        Some(c) => Some(c),
        None => {
            errors.push(("categorie", "choisissez ce qui est faux".to_string()));
            None
        }
    };
    let message = message.trim().to_string();
    if message.chars().count() > MESSAGE_MAX_CHARS {
        errors.push(("message", format!("{MESSAGE_MAX_CHARS} caractères au plus")));
    }
    if category == Some(ReportCategory::Other) && message.is_empty() {
        errors.push((
            "message",
            "dites en quelques mots ce qui est faux".to_string(),
        ));
    }
    let reporter_email = match email.trim() {
        "" => None,
        e => match fields::email(e) {
            Ok(v) => Some(v),
            Err(reason) => {
                errors.push(("courriel", reason));
                None
            }
        },
    };
    match (category, errors.is_empty()) {
        (Some(category), true) => Ok(ReportInput {
            category,
            message,
            reporter_email,
        }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reports_are_validated_with_reasons() {
        let ok = validate_report("horaires", "Fermé le lundi depuis mars", "").expect("valide");
        assert_eq!(ok.category, ReportCategory::Hours);
        assert_eq!(ok.reporter_email, None);
        let with_email = validate_report("ferme", "", " marie@exemple.fr ").expect("valide");
        assert_eq!(
            with_email.reporter_email.as_deref(),
            Some("marie@exemple.fr")
        );
        let errors = validate_report("autre", "  ", "pas-une-adresse").expect_err("refusé");
        let fields: Vec<&str> = errors.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, ["message", "courriel"]);
        assert!(validate_report("inconnue", "x", "").is_err());
    }

    proptest! {
        #[test]
        fn any_input_is_answered_without_panic(c in "\\PC{0,20}", m in "\\PC{0,300}", e in "\\PC{0,40}") {
            let _ = validate_report(&c, &m, &e);
        }
    }
}
