//! `maillage backup`, `maillage restore` and `maillage empreinte`: the base saved, restored and
//! fingerprinted by its operator.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use maillage_app::database::Database;

use super::Global;

#[derive(Args)]
pub struct BackupArgs {
    /// Fichier à écrire (remplacé seulement une fois la sauvegarde complète).
    #[arg(long)]
    output: PathBuf,
}

#[derive(Args)]
pub struct RestoreArgs {
    /// Sauvegarde à restaurer.
    file: PathBuf,
}

pub async fn backup(global: &Global, args: &BackupArgs) -> Result<ExitCode> {
    let output = &args.output;
    Database::backup(&global.database_url()?, output).await?;
    let size = std::fs::metadata(output).map(|m| m.len()).unwrap_or(0);
    eprintln!(
        "Sauvegarde écrite dans {} ({} Ko).",
        output.display(),
        size.div_ceil(1024)
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn restore(global: &Global, args: &RestoreArgs) -> Result<ExitCode> {
    let restored = Database::restore(&global.database_url()?, &args.file).await?;
    if let Some(migrations) = restored.migrations {
        eprintln!("Base vérifiée ({migrations} migrations), remplacée.");
    }
    eprintln!(
        "Restauration terminée : {} tables, {} lignes.",
        restored.tables.len(),
        restored.tables.iter().map(|t| t.rows).sum::<u64>()
    );
    Ok(ExitCode::SUCCESS)
}

/// One line per table: its name, its row count and the SHA-256 of its rows, tab-separated.
pub async fn digest(global: &Global) -> Result<ExitCode> {
    for t in global.database().await?.digest().await? {
        println!("{}\t{}\t{}", t.table, t.rows, t.sha256);
    }
    Ok(ExitCode::SUCCESS)
}
