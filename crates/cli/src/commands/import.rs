//! `maillage import lieux`: imports a file of places (all or nothing, or the valid lines only).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Subcommand;
use maillage_domain::progress::Progress;

use super::{Global, emit, operator, read_file};
use crate::progress::TerminalProgress;

#[derive(Subcommand)]
pub enum ImportWhat {
    Lieux {
        file: PathBuf,
        /// Nom de la source (provenance) ; par défaut le champ `source` du fichier ou son nom.
        #[arg(long)]
        source: Option<String>,
        /// Importe les lignes valides et signale les autres (sinon : tout ou rien).
        #[arg(long)]
        skip_invalid: bool,
    },
}

pub async fn run(global: &Global, what: &ImportWhat) -> Result<ExitCode> {
    let ImportWhat::Lieux {
        file,
        source,
        skip_invalid,
    } = what;
    let bytes = read_file(file)?;
    let watch = TerminalProgress::start();
    watch.stage("Ouverture de la base et du référentiel", None);
    let app = global.app_for_writes().await?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let result = app
        .import_file_watched(
            Some(&operator()),
            &bytes,
            &name,
            source.as_deref(),
            *skip_invalid,
            watch.as_ref(),
        )
        .await;
    watch.finish();
    let result = result?;
    emit(result.report.to_text().trim_end())?;
    match result.outcome {
        Some(o) => {
            println!(
                "\nImport terminé : {} créé(s), {} mis à jour, {} inchangé(s), {} refusé(s).",
                o.created,
                o.updated,
                o.unchanged,
                result.report.invalid_count()
            );
            Ok(ExitCode::SUCCESS)
        }
        None => {
            println!(
                "\nRien n'a été importé : {} ligne(s) invalide(s). Corrigez le fichier, ou relancez avec --skip-invalid pour importer les {} ligne(s) valide(s).",
                result.report.invalid_count(),
                result.report.valid_count()
            );
            Ok(ExitCode::FAILURE)
        }
    }
}
