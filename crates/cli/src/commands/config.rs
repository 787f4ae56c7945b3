//! `maillage config`: the effective configuration, checked (`check`), and a commented example
//! of the file (`exemple`).

use std::process::ExitCode;

use anyhow::Result;
use clap::Subcommand;
use maillage_app::settings::Settings;

use super::{Global, emit};

#[derive(Subcommand)]
pub enum ConfigWhat {
    /// La configuration effective (fichier, environnement, valeurs par défaut), les secrets
    /// cachés, puis ce qui ne va pas ; code de sortie 1 s'il y a un problème.
    Check,
    /// Un fichier de configuration commenté, avec chaque réglage et sa variable.
    Exemple,
}

pub async fn run(global: &Global, what: &ConfigWhat) -> Result<ExitCode> {
    match what {
        ConfigWhat::Exemple => {
            emit(Settings::example().trim_end())?;
            Ok(ExitCode::SUCCESS)
        }
        ConfigWhat::Check => check(global).await,
    }
}

async fn check(global: &Global) -> Result<ExitCode> {
    let settings = global.settings()?;
    let mut out = match &settings.file {
        Some(path) => format!("Fichier de configuration : {}\n", path.display()),
        None => "Aucun fichier de configuration (--config ou MAILLAGE_CONFIG) : environnement et valeurs par défaut.\n".to_string(),
    };
    out.push('\n');
    for e in settings.effective() {
        if let Some(value) = &e.shown {
            out.push_str(&format!(
                "{} = {value}   ({}, {})\n",
                e.key,
                e.origin.label(),
                e.variable
            ));
        }
    }
    let mut problems = settings.problems();
    // The base: its address, and whether it answers (without migrating it).
    match global.database_url() {
        Ok(url) => match maillage_app::database::Database::probe(&url).await {
            Ok(status) => out.push_str(&format!("\nBase : {status}\n")),
            Err(e) => problems.push(format!("base de données : {e}")),
        },
        Err(e) => problems.push(format!("base de données : {e:#}")),
    }
    if problems.is_empty() {
        out.push_str("\nConfiguration correcte.");
        emit(&out)?;
        Ok(ExitCode::SUCCESS)
    } else {
        out.push_str(&format!("\n{} problème(s) :\n", problems.len()));
        for p in &problems {
            out.push_str(&format!("- {p}\n"));
        }
        emit(out.trim_end())?;
        Ok(ExitCode::FAILURE)
    }
}
