//! Backups: a consistent copy of a SQLite base taken while the server serves (`VACUUM INTO`),
//! checked before it replaces a base; and the digest of every table — row count and a hash of
//! the rows in a stable order — to compare two bases (a base and its restored backup, SQLite
//! or PostgreSQL). PostgreSQL bases are saved and restored with PostgreSQL's own tools
//! (`pg_dump`, `pg_restore`), which the command line calls.

use std::path::Path;

use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::{Result, Store, StoreError, corrupt};

/// One table of a base, summarised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDigest {
    pub table: String,
    pub rows: u64,
    /// SHA-256 of the rows' text, sorted.
    pub sha256: String,
}

fn hash_rows(mut rows: Vec<String>) -> String {
    rows.sort();
    let mut h = Sha256::new();
    for r in &rows {
        h.update(r.as_bytes());
        h.update(b"\n");
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Tables whose rows depend on the engine's bookkeeping, not on the data: the migrations' own
/// table, the change feed (each base writes its own lines as rows arrive, a transfer too), and
/// what the instances share for the moment (counters of the limits, long work, the statistics
/// cube's snapshot).
const VOLATILE_TABLES: [&str; 6] = [
    "_sqlx_migrations",
    "changes",
    "limit_hits",
    "limit_failures",
    "running_work",
    "cube_snapshot",
];

impl Store {
    /// Writes a consistent copy of a SQLite base to `path` while it serves (`VACUUM INTO`: a
    /// read transaction, writers go on). The copy is written beside the target and renamed when
    /// complete. PostgreSQL: use `pg_dump` (see `maillage backup`).
    pub async fn backup_sqlite(&self, path: &Path) -> Result<()> {
        let Store::Sqlite(pool) = self else {
            return Err(StoreError::Conflict(
                "sauvegarde PostgreSQL : par pg_dump (maillage backup le lance)".into(),
            ));
        };
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let partial = dir.join(format!(
            ".{}.partiel",
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "sauvegarde".into())
        ));
        let _ = std::fs::remove_file(&partial);
        sqlx::query("VACUUM INTO $1")
            .bind(partial.display().to_string())
            .execute(pool)
            .await?;
        std::fs::rename(&partial, path).map_err(|source| StoreError::DataDir {
            path: path.display().to_string(),
            source,
        })?;
        Ok(())
    }

    /// Checks that a file is a sound SQLite base of Maillage (integrity, migrations table,
    /// directory), without changing it: before a restore replaces a base with it.
    pub async fn check_sqlite_backup(path: &Path) -> Result<usize> {
        use sqlx::sqlite::SqliteConnectOptions;
        let options = SqliteConnectOptions::new()
            .filename(path)
            .read_only(true)
            .create_if_missing(false);
        let pool = sqlx::SqlitePool::connect_with(options).await?;
        let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(&pool)
            .await?;
        if integrity != "ok" {
            return Err(corrupt(format!("sauvegarde abîmée : {integrity}")));
        }
        let migrations: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations")
            .fetch_one(&pool)
            .await
            .map_err(|_| corrupt("ce fichier n'est pas une base de Maillage"))?;
        let _: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM places")
            .fetch_one(&pool)
            .await
            .map_err(|_| corrupt("ce fichier n'est pas une base de Maillage"))?;
        pool.close().await;
        Ok(migrations as usize)
    }

    /// Every table of the base with its row count and the hash of its rows: two bases with
    /// the same digests hold the same data.
    pub async fn digest(&self) -> Result<Vec<TableDigest>> {
        let mut out = Vec::new();
        match self {
            Store::Sqlite(pool) => {
                let tables: Vec<String> = sqlx::query_scalar(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
                )
                .fetch_all(pool)
                .await?;
                for table in tables {
                    if VOLATILE_TABLES.contains(&table.as_str()) {
                        continue;
                    }
                    let columns: Vec<String> =
                        sqlx::query("SELECT name FROM pragma_table_info($1) ORDER BY cid")
                            .bind(&table)
                            .fetch_all(pool)
                            .await?
                            .iter()
                            .map(|r| r.try_get::<String, _>("name"))
                            .collect::<std::result::Result<_, _>>()?;
                    let expr = columns
                        .iter()
                        .map(|c| format!("quote(\"{}\")", c.replace('"', "\"\"")))
                        .collect::<Vec<_>>()
                        .join(" || '|' || ");
                    let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                        "SELECT {expr} FROM \"{}\"",
                        table.replace('"', "\"\"")
                    )))
                    .fetch_all(pool)
                    .await?;
                    out.push(TableDigest {
                        rows: rows.len() as u64,
                        sha256: hash_rows(rows),
                        table,
                    });
                }
            }
            Store::Postgres(pool) => {
                let tables: Vec<String> = sqlx::query_scalar(
                    "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1",
                )
                .fetch_all(pool)
                .await?;
                for table in tables {
                    if VOLATILE_TABLES.contains(&table.as_str()) {
                        continue;
                    }
                    let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                        "SELECT t::text FROM \"{}\" t",
                        table.replace('"', "\"\"")
                    )))
                    .fetch_all(pool)
                    .await?;
                    out.push(TableDigest {
                        rows: rows.len() as u64,
                        sha256: hash_rows(rows),
                        table,
                    });
                }
            }
        }
        Ok(out)
    }
}
