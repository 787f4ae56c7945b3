//! The database as its operator handles it from the command line: opened from its URL, saved
//! and restored whole, fingerprinted, emptied. The command line reaches the data through this
//! and the services only; it never names the store.
//!
//! SQLite bases are saved while the server serves (`VACUUM INTO`) and checked before they
//! replace a base; PostgreSQL bases with PostgreSQL's own tools (`pg_dump`, `pg_restore`, from
//! the `postgresql-client` package).

use std::path::{Path, PathBuf};

use maillage_store::Store;

pub use maillage_store::TableDigest;

use crate::AppError;

/// An open database.
pub struct Database {
    pub(crate) store: Store,
}

/// What a restore did.
#[derive(Debug, Clone)]
pub struct Restored {
    /// Migrations the backup had (SQLite; PostgreSQL's tools do not say).
    pub migrations: Option<usize>,
    /// The restored base, table by table (after the migrations a newer version needs).
    pub tables: Vec<TableDigest>,
}

impl From<Store> for Database {
    fn from(store: Store) -> Self {
        Database { store }
    }
}

fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// The file of a `sqlite://` URL.
fn sqlite_path(url: &str) -> Result<PathBuf, AppError> {
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .map(|p| p.split('?').next().unwrap_or(p))
        .filter(|p| !p.is_empty() && !p.contains(":memory:"))
        .ok_or_else(|| {
            AppError::Operation(format!("base « {url} » : un fichier SQLite est attendu"))
        })?;
    Ok(PathBuf::from(path))
}

/// A file written beside `target` before it is renamed over it.
fn partial_path(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "maillage".into());
    target.with_file_name(format!(".{name}.partiel"))
}

fn io_error(what: String) -> impl FnOnce(std::io::Error) -> AppError {
    move |e| AppError::Operation(format!("{what} : {e}"))
}

/// Runs one of PostgreSQL's own tools; its message in French context when it fails.
fn run_tool(command: &mut std::process::Command, name: &str) -> Result<(), AppError> {
    let output = command.output().map_err(|_| {
        AppError::Operation(format!(
            "{name} introuvable : installez le client PostgreSQL (paquet postgresql-client)"
        ))
    })?;
    if !output.status.success() {
        return Err(AppError::Operation(format!(
            "{name} a échoué : {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(())
}

impl Database {
    /// The URL of the SQLite base of a data directory (the directory is created).
    pub fn default_url(data_dir: &Path) -> Result<String, AppError> {
        Ok(Store::sqlite_url_in(data_dir)?)
    }

    /// Opens (and migrates) the base: `sqlite://file` or `postgres://…`.
    pub async fn connect(url: &str) -> Result<Self, AppError> {
        Ok(Database {
            store: Store::connect(url).await?,
        })
    }

    /// Opens the base without migrating it (`maillage migrate --dry-run`), creating a missing
    /// SQLite file only when `create` says so.
    pub async fn open_unmigrated(url: &str, create: bool) -> Result<Self, AppError> {
        Ok(Database {
            store: Store::open(url, create).await?,
        })
    }

    /// Where the base stands against this program's migrations.
    pub async fn migration_status(&self) -> Result<maillage_store::MigrationStatus, AppError> {
        Ok(self.store.migration_status().await?)
    }

    /// Applies the pending migrations (each in its transaction); the ones applied.
    pub async fn migrate(&self) -> Result<Vec<maillage_store::MigrationInfo>, AppError> {
        Ok(self.store.migrate().await?)
    }

    /// Whether the base answers, and where it stands, in French — without migrating it nor
    /// creating a missing SQLite file (`maillage config check`).
    pub async fn probe(url: &str) -> Result<String, AppError> {
        if let Some(path) = url
            .strip_prefix("sqlite://")
            .filter(|p| !p.contains(":memory:"))
            .map(|p| p.split('?').next().unwrap_or(p))
            && !std::path::Path::new(path).exists()
        {
            return Ok(format!(
                "SQLite, fichier {path} absent : il sera créé au premier démarrage"
            ));
        }
        let db = Self::open_unmigrated(url, false).await?;
        let status = db.migration_status().await?;
        let mut text = format!(
            "{} joignable, {} migration(s) appliquée(s)",
            db.backend(),
            status.applied.len()
        );
        if let Some(newest) = status.unknown.iter().max() {
            return Err(AppError::Invalid(format!(
                "la base a été mise à jour par une version plus récente de Maillage (migration {newest}) : ce programme la refusera"
            )));
        }
        if status.pending.is_empty() {
            text.push_str(", à jour");
        } else {
            text.push_str(&format!(
                ", {} à appliquer au prochain démarrage (`maillage migrate --dry-run` les détaille)",
                status.pending.len()
            ));
        }
        Ok(text)
    }

    /// Copies every table of this base into `target`, an empty base (both brought to this
    /// program's schema when opened): moving from SQLite to PostgreSQL, or back.
    pub async fn transfer_into(
        &self,
        target: &Database,
        progress: &dyn Fn(&str, u64),
    ) -> Result<maillage_store::TransferReport, AppError> {
        Ok(self.store.copy_into(&target.store, progress).await?)
    }

    /// « SQLite » or « PostgreSQL ».
    pub fn backend(&self) -> &'static str {
        self.store.backend()
    }

    /// Every table with its row count and the SHA-256 of its rows: two bases with equal
    /// digests hold the same data.
    pub async fn digest(&self) -> Result<Vec<TableDigest>, AppError> {
        Ok(self.store.digest().await?)
    }

    /// Empties every table (the demo's `--reset`).
    pub async fn reset(&self) -> Result<(), AppError> {
        Ok(self.store.reset().await?)
    }

    /// A consistent copy of the base at `url` while it serves, written beside `output` and
    /// renamed over it when complete: never a half-written backup. A PostgreSQL base is saved
    /// by `pg_dump` without being opened here, so that a newer version saves it as it is,
    /// before migrating it; a SQLite base is opened (and migrated) and copied by `VACUUM INTO`.
    pub async fn backup(url: &str, output: &Path) -> Result<(), AppError> {
        if is_postgres(url) {
            let tmp = partial_path(output);
            run_tool(
                std::process::Command::new("pg_dump")
                    .arg("--format=custom")
                    .arg("--no-owner")
                    .arg(format!("--file={}", tmp.display()))
                    .arg(format!("--dbname={url}")),
                "pg_dump",
            )?;
            std::fs::rename(&tmp, output)
                .map_err(io_error(format!("écriture de {}", output.display())))
        } else {
            Ok(Database::connect(url)
                .await?
                .store
                .backup_sqlite(output)
                .await?)
        }
    }

    /// Replaces the base at `url` by a backup of [`Database::backup`] (server stopped). A
    /// SQLite backup is checked first, copied beside the base and renamed over it: never a
    /// half-restored base. Then the base is opened, which applies the migrations a newer
    /// version needs, and digested.
    pub async fn restore(url: &str, file: &Path) -> Result<Restored, AppError> {
        if !file.is_file() {
            return Err(AppError::Operation(format!(
                "sauvegarde introuvable : {}",
                file.display()
            )));
        }
        let migrations = if is_postgres(url) {
            run_tool(
                std::process::Command::new("pg_restore")
                    .arg("--clean")
                    .arg("--if-exists")
                    .arg("--no-owner")
                    .arg("--single-transaction")
                    .arg(format!("--dbname={url}"))
                    .arg(file),
                "pg_restore",
            )?;
            None
        } else {
            let migrations = Store::check_sqlite_backup(file).await.map_err(|e| {
                AppError::Operation(format!(
                    "{} n'est pas une sauvegarde lisible : {e}",
                    file.display()
                ))
            })?;
            let target = sqlite_path(url)?;
            let tmp = partial_path(&target);
            std::fs::copy(file, &tmp).map_err(io_error(format!("copie vers {}", tmp.display())))?;
            for suffix in ["-wal", "-shm"] {
                let mut side = target.clone().into_os_string();
                side.push(suffix);
                // Absent when the base was closed cleanly: nothing to remove then.
                let _ = std::fs::remove_file(PathBuf::from(side));
            }
            std::fs::rename(&tmp, &target)
                .map_err(io_error(format!("remplacement de {}", target.display())))?;
            Some(migrations)
        };
        let tables = Database::connect(url).await?.digest().await?;
        Ok(Restored { migrations, tables })
    }
}
