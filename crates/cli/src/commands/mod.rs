//! The commands of `maillage`, one file each, and what they share: the global options (the
//! base, the data directory, the referential), the operator acting, and the writing of results.

pub mod booklet;
pub mod database;
pub mod dedup;
pub mod demo;
pub mod diagnostic;
pub mod export;
pub mod import;
pub mod journal;
pub mod orient;
pub mod requests;
pub mod resources;
pub mod search;
pub mod serve;
pub mod stats;
pub mod territory;
pub mod user;
pub mod validate;
pub mod watch;

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;
use maillage_app::App;
use maillage_app::database::Database;
use maillage_domain::policy::Actor;
use maillage_referential::Referential;

/// Options every command takes.
#[derive(Args)]
pub struct Global {
    /// Base de données : sqlite://fichier ou postgres://… (par défaut, un fichier SQLite dans le dossier de données).
    #[arg(long, global = true, env = "MAILLAGE_DATABASE_URL")]
    database: Option<String>,
    /// Dossier de données (base SQLite par défaut).
    #[arg(long, global = true, env = "MAILLAGE_DATA_DIR", default_value = "data")]
    data_dir: PathBuf,
    /// Fichier du référentiel des communes (construit par scripts/setup.sh).
    #[arg(long, global = true, env = "MAILLAGE_REFERENTIAL")]
    referential: Option<PathBuf>,
}

impl Global {
    /// The base's URL: `--database`, or the SQLite file of the data directory.
    pub fn database_url(&self) -> Result<String> {
        Ok(match &self.database {
            Some(u) => u.clone(),
            None => Database::default_url(&self.data_dir)?,
        })
    }

    /// The base, opened and migrated.
    pub async fn database(&self) -> Result<Database> {
        Database::connect(&self.database_url()?)
            .await
            .context("ouverture de la base de données")
    }

    /// The communes of the official referential.
    pub fn referential(&self) -> Result<Referential> {
        let r = match &self.referential {
            Some(p) => Referential::load(p),
            None => Referential::discover(),
        };
        r.context("référentiel des communes absent : lancez scripts/setup.sh (il le construit depuis les paquets npm officiels)")
    }

    /// The application for a one-shot command: no search index is built, since nothing will
    /// search in this process.
    pub async fn app_for_writes(&self) -> Result<App> {
        Ok(App::for_writes(
            self.database().await?,
            self.referential()?,
        )?)
    }

    /// The application with its search index, for commands that search.
    pub async fn app(&self) -> Result<App> {
        Ok(App::new(self.database().await?, self.referential()?).await?)
    }
}

/// The command line acts as the platform operator (administrator) on the machine it runs on:
/// the services ask the policy for it as for anyone.
pub fn operator() -> Actor {
    Actor {
        user_id: "cli".into(),
        administrator: true,
        territory: Vec::new(),
        memberships: Vec::new(),
    }
}

pub fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("lecture de {}", path.display()))
}

/// Writes a result on standard output; a reader that stops early (`| head`) is not an error.
pub fn emit(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// A CSV file (semicolon-separated, as French spreadsheets expect) with a UTF-8 BOM.
pub fn csv_bytes(header: &[&str], records: impl Iterator<Item = Vec<String>>) -> Result<Vec<u8>> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w = csv::WriterBuilder::new()
            .delimiter(b';')
            .from_writer(&mut out);
        w.write_record(header)?;
        for r in records {
            // Every cell escaped against formulas.
            w.write_record(maillage_domain::spreadsheet::row(&r))?;
        }
        w.flush()?;
    }
    Ok(out)
}

/// Writes to the file when given (saying what went there), else to the standard output.
pub fn write_output(path: Option<&Path>, bytes: &[u8], what: &str) -> Result<()> {
    match path {
        Some(path) => {
            std::fs::write(path, bytes)
                .with_context(|| format!("écriture de {}", path.display()))?;
            eprintln!("{what} exportée(s) dans {}", path.display());
        }
        None => std::io::stdout().write_all(bytes)?,
    }
    Ok(())
}
