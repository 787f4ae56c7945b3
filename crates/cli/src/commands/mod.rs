//! The commands of `maillage`, one file each, and what they share: the global options (the
//! base, the data directory, the referential), the operator acting, and the writing of results.

pub mod booklet;
pub mod config;
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
pub mod sources;
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
use maillage_app::settings::Settings;
use maillage_domain::policy::Actor;
use maillage_referential::Referential;

/// Options every command takes.
#[derive(Args)]
pub struct Global {
    /// Fichier de configuration TOML (par exemple /etc/maillage/maillage.toml) ; chaque
    /// réglage y peut aussi venir de sa variable d'environnement, qui l'emporte.
    #[arg(long, global = true, env = "MAILLAGE_CONFIG")]
    config: Option<PathBuf>,
    /// Base de données : sqlite://fichier ou postgres://… (par défaut, un fichier SQLite dans le dossier de données).
    #[arg(long, global = true, env = "MAILLAGE_DATABASE_URL")]
    database: Option<String>,
    /// Dossier de données (base SQLite par défaut) ; « data » sans réglage.
    #[arg(long, global = true, env = "MAILLAGE_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Fichier plus récent du référentiel des communes (sinon celui intégré au binaire).
    #[arg(long, global = true, env = "MAILLAGE_REFERENTIAL")]
    referential: Option<PathBuf>,
    /// Fichier plus récent des contours des communes (sinon ceux intégrés au binaire).
    #[arg(long, global = true, env = "MAILLAGE_CONTOURS")]
    contours: Option<PathBuf>,
    #[arg(skip)]
    settings: std::sync::OnceLock<Settings>,
}

impl Global {
    /// The configuration file's settings (none without `--config`), read once.
    pub fn settings(&self) -> Result<&Settings> {
        if let Some(s) = self.settings.get() {
            return Ok(s);
        }
        let loaded = match &self.config {
            Some(path) => Settings::load(path)?,
            None => Settings::environment_only(),
        };
        Ok(self.settings.get_or_init(|| loaded))
    }

    /// The base's URL: `--database`, else the configuration's, else the SQLite file of the
    /// data directory.
    pub fn database_url(&self) -> Result<String> {
        if let Some(u) = &self.database {
            return Ok(u.clone());
        }
        if let Some(u) = self.settings()?.get("MAILLAGE_DATABASE_URL") {
            return Ok(u);
        }
        Ok(Database::default_url(&self.data_dir()?)?)
    }

    /// The data directory: `--data-dir`, else the configuration's, else `data`.
    pub fn data_dir(&self) -> Result<PathBuf> {
        Ok(match &self.data_dir {
            Some(d) => d.clone(),
            None => self
                .settings()?
                .get("MAILLAGE_DATA_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("data")),
        })
    }

    /// The base, opened and migrated.
    pub async fn database(&self) -> Result<Database> {
        Database::connect(&self.database_url()?)
            .await
            .context("ouverture de la base de données")
    }

    /// The communes of the official referential: a newer file when one is given, else the one
    /// built into the binary.
    pub fn referential(&self) -> Result<Referential> {
        self.referential_read(false)
    }

    /// [`Global::referential`], each commune read when first looked up: for a command that
    /// looks up some communes and stops (a check of a file).
    pub fn referential_on_demand(&self) -> Result<Referential> {
        self.referential_read(true)
    }

    fn referential_read(&self, on_demand: bool) -> Result<Referential> {
        let file = match &self.referential {
            Some(p) => Some(p.clone()),
            None => self
                .settings()?
                .get("MAILLAGE_REFERENTIAL")
                .map(PathBuf::from),
        };
        let r = match (file, on_demand) {
            (Some(p), false) => Referential::load(&p),
            (Some(p), true) => Referential::load_on_demand(&p),
            (None, false) => Referential::discover(),
            (None, true) => Referential::discover_on_demand(),
        };
        r.context("référentiel des communes absent : lancez scripts/setup.sh (il le construit depuis les paquets npm officiels)")
    }

    /// A newer file of the communes' contours, when one is given.
    pub fn contours_file(&self) -> Result<Option<PathBuf>> {
        Ok(match &self.contours {
            Some(p) => Some(p.clone()),
            None => self.settings()?.get("MAILLAGE_CONTOURS").map(PathBuf::from),
        })
    }

    /// The configuration's address of the site, for links written outside the server.
    pub fn public_url(&self) -> Result<Option<String>> {
        Ok(self.settings()?.get("MAILLAGE_PUBLIC_URL"))
    }

    /// The application with this configuration (settings, public address, contours).
    fn configured(&self, app: App) -> Result<App> {
        let mut app = app
            .with_settings(self.settings()?.clone())
            .with_contours_file(self.contours_file()?);
        if let Some(url) = self.public_url()? {
            app = app.with_public_url(&url);
        }
        Ok(app)
    }

    /// The application for a one-shot command: no search index is built, since nothing will
    /// search in this process.
    pub async fn app_for_writes(&self) -> Result<App> {
        self.configured(App::for_writes(
            self.database().await?,
            self.referential()?,
        )?)
    }

    /// The application with its search index, for commands that search.
    pub async fn app(&self) -> Result<App> {
        self.configured(App::new(self.database().await?, self.referential()?).await?)
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
