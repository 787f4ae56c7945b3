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
pub struct TransferArgs {
    /// Base d'origine (sqlite://… ou postgres://…), lue seulement.
    #[arg(long)]
    from: String,
    /// Base de destination, vide (créée par ce programme s'il le faut).
    #[arg(long)]
    to: String,
}

#[derive(Args)]
pub struct MigrateArgs {
    /// Montre ce qui changerait, sans rien appliquer.
    #[arg(long)]
    dry_run: bool,
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

/// `maillage migrate [--dry-run]`: the migrations that the next start would apply, and what
/// each changes; without `--dry-run`, applies them (each in its transaction).
pub async fn migrate(global: &Global, args: &MigrateArgs) -> Result<ExitCode> {
    let url = global.database_url()?;
    // A SQLite file that does not exist yet: a dry run reads an empty base in memory instead
    // of creating the file.
    let missing = url
        .strip_prefix("sqlite://")
        .map(|p| p.split('?').next().unwrap_or(p))
        .is_some_and(|p| !p.contains(":memory:") && !std::path::Path::new(p).exists());
    let database = if args.dry_run && missing {
        Database::open_unmigrated("sqlite::memory:", true).await?
    } else {
        Database::open_unmigrated(&url, true).await?
    };
    let status = database.migration_status().await?;
    if let Some(newest) = status.unknown.iter().max() {
        anyhow::bail!(
            "la base a été mise à jour par une version plus récente de Maillage (migration {newest}) : ce programme ne la modifiera pas"
        );
    }
    println!(
        "Base {} : {} migration(s) appliquée(s), {} en attente.",
        database.backend(),
        status.applied.len(),
        status.pending.len()
    );
    for m in &status.pending {
        println!("- {:04} {}", m.version, m.description.replace('_', " "));
        for change in &m.changes {
            println!("    {change}");
        }
    }
    if args.dry_run || status.pending.is_empty() {
        if args.dry_run && !status.pending.is_empty() {
            println!("Rien n'a été appliqué (--dry-run).");
        }
        return Ok(ExitCode::SUCCESS);
    }
    let applied = database.migrate().await?;
    println!("{} migration(s) appliquée(s).", applied.len());
    Ok(ExitCode::SUCCESS)
}

/// `maillage transfer --from URL --to URL`: every table copied into an empty base of the other
/// engine (servers stopped), then both bases' row counts compared.
pub async fn transfer(args: &TransferArgs) -> Result<ExitCode> {
    let from = Database::connect(&args.from).await?;
    let to = Database::connect(&args.to).await?;
    eprintln!("Transfert {} → {}…", from.backend(), to.backend());
    let report = from
        .transfer_into(&to, &|table, rows| {
            if rows > 0 {
                eprintln!("  {table} : {rows} ligne(s)");
            }
        })
        .await?;
    // Every table holds as many rows on both sides.
    let before = from.digest().await?;
    let after = to.digest().await?;
    for t in &before {
        let copied = after.iter().find(|a| a.table == t.table).map(|a| a.rows);
        if copied != Some(t.rows) {
            anyhow::bail!(
                "table {} : {} ligne(s) à l'origine, {:?} à la destination",
                t.table,
                t.rows,
                copied
            );
        }
    }
    let rows: u64 = report.tables.iter().map(|(_, n)| n).sum();
    println!(
        "Transfert terminé : {} tables, {rows} lignes, les mêmes nombres de lignes des deux côtés.",
        report.tables.len()
    );
    Ok(ExitCode::SUCCESS)
}
