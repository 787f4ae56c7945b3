//! `maillage journal verifier`: follows the hash chain of the journal of mandates (issue #19).
//! Exit 0 when it is intact, 1 with the first broken line named.

use std::process::ExitCode;

use anyhow::Result;
use clap::Subcommand;

use super::{Global, operator};

#[derive(Subcommand)]
pub enum JournalWhat {
    /// Vérifie que le journal des mandats est intact : chaque ligne chaînée à la précédente
    /// par son empreinte SHA-256, sans ligne manquante ni modifiée.
    Verifier,
}

pub async fn run(global: &Global, what: &JournalWhat) -> Result<ExitCode> {
    let JournalWhat::Verifier = what;
    let app = global.app_for_writes().await?;
    let report = app.verify_journal(Some(&operator())).await?;
    match report.broken {
        None => {
            println!(
                "Journal des mandats intact : {} ligne(s), chaîne d'empreintes vérifiée.",
                report.lines
            );
            Ok(ExitCode::SUCCESS)
        }
        Some(broken) => {
            println!(
                "Journal des mandats ALTÉRÉ ({} ligne(s) lues) — {broken}.",
                report.lines
            );
            Ok(ExitCode::FAILURE)
        }
    }
}
