//! `maillage import lieux`: imports a file of places (all or nothing, or the valid lines only);
//! `maillage import indicateurs`: the communes' indicators of digital fragility (issue #20).

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
    /// Les fichiers data·inclusion v1 d'un dossier : `structures.json` et `services.json`.
    /// Les structures qui proposent une aide numérique deviennent des lieux (mêmes vérifications
    /// et même rapport qu'un fichier du standard) ; les autres sont comptées et laissées.
    DataInclusion {
        dir: PathBuf,
        /// Nom de la source (provenance) ; par défaut le champ `source` des structures.
        #[arg(long)]
        source: Option<String>,
        /// Importe les lignes valides et signale les autres (sinon : tout ou rien).
        #[arg(long)]
        skip_invalid: bool,
    },
    /// Les indicateurs des communes (fragilité numérique, population de 15 ans et plus) :
    /// CSV ou XLSX, une ligne par code INSEE (colonnes : docs/INDICATORS.md, « Territoire »).
    Indicateurs {
        file: PathBuf,
        /// D'où viennent les chiffres (« Indice de fragilité numérique 2024, La Mednum »).
        #[arg(long)]
        source: String,
        /// Importe les lignes valides et signale les autres (sinon : tout ou rien).
        #[arg(long)]
        skip_invalid: bool,
    },
}

pub async fn run(global: &Global, what: &ImportWhat) -> Result<ExitCode> {
    let (file, source, skip_invalid) = match what {
        ImportWhat::Lieux {
            file,
            source,
            skip_invalid,
        } => (file, source, skip_invalid),
        ImportWhat::Indicateurs {
            file,
            source,
            skip_invalid,
        } => return indicators(global, file, source, *skip_invalid).await,
        ImportWhat::DataInclusion {
            dir,
            source,
            skip_invalid,
        } => {
            let structures = read_file(&dir.join("structures.json"))?;
            let services = read_file(&dir.join("services.json"))?;
            let watch = TerminalProgress::start();
            watch.stage("Ouverture de la base et du référentiel", None);
            let app = global.app_for_writes().await?;
            let result = app
                .import_data_inclusion(
                    Some(&operator()),
                    structures,
                    services,
                    source.as_deref(),
                    *skip_invalid,
                    watch.as_ref(),
                )
                .await;
            watch.finish();
            return outcome(result?);
        }
    };
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
            bytes,
            &name,
            source.as_deref(),
            *skip_invalid,
            watch.as_ref(),
        )
        .await;
    watch.finish();
    outcome(result?)
}

/// The report of an import, and its exit code.
fn outcome(result: maillage_app::ImportResult) -> Result<ExitCode> {
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

async fn indicators(
    global: &Global,
    file: &std::path::Path,
    source: &str,
    skip_invalid: bool,
) -> Result<ExitCode> {
    let bytes = read_file(file)?;
    let app = global.app_for_writes().await?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let report = app
        .import_indicators(Some(&operator()), bytes, &name, source, skip_invalid)
        .await?;
    let mut out = String::new();
    for e in &report.errors {
        out.push_str(&format!("{e}\n"));
    }
    for n in &report.notes {
        out.push_str(&format!("Remarque : {n}\n"));
    }
    out.push_str(&format!(
        "Indicateurs : {} commune(s) importée(s) sur {} ligne(s) lue(s) ; colonnes : {}{}.",
        report.imported,
        report.read,
        report.indicators.join(", "),
        if report.has_population {
            ", population de 15 ans et plus"
        } else {
            ""
        }
    ));
    if !report.errors.is_empty() && report.imported == 0 {
        out.push_str(" Rien n'a été enregistré : corrigez le fichier (ou --skip-invalid).");
    }
    emit(&out)?;
    Ok(if report.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
