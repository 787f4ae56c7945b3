//! The register of processing (RGPD art. 30) of this instance: the declarations of
//! `maillage_domain::register` with the delays in force, for administrators (page, Markdown
//! export, CLI) and, in plain words, for the public privacy page.

use maillage_domain::policy::{Action, Actor};
use maillage_domain::register::{LegalBasis, REGISTER};

use crate::{App, AppError, today};

/// A processing with the delays in force, as pages show it.
#[derive(Debug, Clone)]
pub struct ProcessingView {
    pub name: &'static str,
    pub purpose: &'static str,
    pub basis: &'static str,
    pub data: Vec<&'static str>,
    pub persons: Vec<&'static str>,
    pub recipients: Vec<&'static str>,
    pub keeping: String,
    pub tables: Vec<&'static str>,
    /// What the privacy page says.
    pub public: String,
    pub consent: bool,
}

impl App {
    /// Every processing, with the delays in force (the privacy page shows their public text).
    pub fn processings(&self) -> Vec<ProcessingView> {
        REGISTER
            .iter()
            .map(|p| ProcessingView {
                name: p.name,
                purpose: p.purpose,
                basis: p.basis.label(),
                data: p.data.to_vec(),
                persons: p.persons.to_vec(),
                recipients: p.recipients.to_vec(),
                keeping: p.keeping_text(&self.retention),
                tables: p.tables.to_vec(),
                public: p.public_text(&self.retention),
                consent: p.basis == LegalBasis::Consent,
            })
            .collect()
    }

    /// The register in Markdown: administrators (and the CLI's operator).
    pub fn register_markdown(&self, actor: Option<&Actor>) -> Result<String, AppError> {
        self.check(actor, &Action::ManageAccounts)?;
        Ok(maillage_domain::register::markdown(
            &self.retention,
            &self.public_url,
            today(),
        ))
    }

    /// The register as a page shows it: administrators.
    pub fn register(&self, actor: Option<&Actor>) -> Result<Vec<ProcessingView>, AppError> {
        self.check(actor, &Action::ManageAccounts)?;
        Ok(self.processings())
    }
}
