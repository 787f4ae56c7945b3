//! Backups on schedule (issue #21): when the configuration names a directory
//! (`sauvegardes.dossier`), the hourly round makes a backup once the last one is older than
//! `sauvegardes.toutes_les_heures` (24 by default), named by its time, and removes the oldest
//! beyond `sauvegardes.garder` (7 by default). One instance of a network does it (the round's
//! claim). SQLite: a consistent copy while serving; PostgreSQL: `pg_dump`, off the async threads.

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use crate::{App, AppError};

/// What the configuration asks.
#[derive(Debug, Clone)]
pub struct BackupPlan {
    pub dir: PathBuf,
    pub every_hours: u32,
    pub keep: usize,
    /// The base's address (PostgreSQL's backups are made by `pg_dump` from it).
    pub database_url: String,
}

impl BackupPlan {
    /// From the settings; `None` without a directory.
    pub fn from_settings(settings: &crate::settings::Settings, database_url: &str) -> Option<Self> {
        let dir = settings
            .get("MAILLAGE_BACKUP_DIR")
            .filter(|d| !d.trim().is_empty())?;
        let whole = |name: &str, default: u32| {
            settings
                .get(name)
                .and_then(|v| v.trim().parse::<u32>().ok())
                .filter(|n| *n >= 1)
                .unwrap_or(default)
        };
        Some(BackupPlan {
            dir: PathBuf::from(dir.trim()),
            every_hours: whole("MAILLAGE_BACKUP_EVERY_HOURS", 24),
            keep: whole("MAILLAGE_BACKUP_KEEP", 7) as usize,
            database_url: database_url.to_string(),
        })
    }

    fn extension(&self) -> &'static str {
        if self.database_url.starts_with("postgres") {
            "pgdump"
        } else {
            "sqlite"
        }
    }

    /// The backups of the directory, oldest first (their names sort by time).
    fn existing(&self) -> Vec<PathBuf> {
        let ext = self.extension();
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| {
                        p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                            n.starts_with("maillage-") && n.ends_with(&format!(".{ext}"))
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        files
    }
}

impl App {
    /// Makes backups on this plan.
    pub fn with_backups(mut self, plan: Option<BackupPlan>) -> Self {
        self.backups = plan.map(std::sync::Arc::new);
        self
    }

    /// The scheduled backup, when one is due; what was done, in French.
    pub async fn scheduled_backup(&self, now: DateTime<Utc>) -> Result<String, AppError> {
        let Some(plan) = self.backups.clone() else {
            return Ok("rien à faire".into());
        };
        std::fs::create_dir_all(&plan.dir).map_err(|e| {
            AppError::Operation(format!(
                "dossier des sauvegardes {} : {e}",
                plan.dir.display()
            ))
        })?;
        let existing = plan.existing();
        // The time of the last backup, from its name (`maillage-20261205-030000.sqlite`).
        let due = existing
            .last()
            .and_then(|p| p.file_stem().and_then(|n| n.to_str()).map(str::to_string))
            .and_then(|n| {
                chrono::NaiveDateTime::parse_from_str(
                    n.trim_start_matches("maillage-"),
                    "%Y%m%d-%H%M%S",
                )
                .ok()
            })
            .map(|t| t.and_utc())
            // A few minutes' margin: the round itself runs about once an hour.
            .is_none_or(|last| {
                now - last
                    >= chrono::Duration::hours(i64::from(plan.every_hours))
                        - chrono::Duration::minutes(10)
            });
        if !due {
            return Ok("rien à faire".into());
        }
        let path = plan.dir.join(format!(
            "maillage-{}.{}",
            now.format("%Y%m%d-%H%M%S"),
            plan.extension()
        ));
        if plan.extension() == "sqlite" {
            self.store.backup_sqlite(&path).await?;
        } else {
            let url = plan.database_url.clone();
            let target = path.clone();
            tokio::task::spawn_blocking(move || {
                tokio::runtime::Handle::current()
                    .block_on(crate::database::Database::backup(&url, &target))
            })
            .await
            .map_err(|e| AppError::Operation(format!("sauvegarde interrompue : {e}")))??;
        }
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        let mut removed = 0;
        let all = plan.existing();
        for old in all.iter().take(all.len().saturating_sub(plan.keep)) {
            if std::fs::remove_file(old).is_ok() {
                removed += 1;
            }
        }
        Ok(format!(
            "1 sauvegarde écrite ({} Ko), {removed} ancienne(s) effacée(s)",
            size.div_ceil(1024)
        ))
    }
}

#[cfg(test)]
mod tests {
    use maillage_referential::Referential;
    use maillage_store::Store;

    use super::*;

    #[tokio::test]
    async fn a_backup_is_made_when_due_and_the_oldest_go_beyond_the_count_kept() {
        let dir = tempfile::tempdir().expect("dossier");
        let url = format!("sqlite://{}", dir.path().join("base.sqlite").display());
        let store = Store::connect(&url).await.expect("base");
        let plan = BackupPlan {
            dir: dir.path().join("sauvegardes"),
            every_hours: 24,
            keep: 2,
            database_url: url,
        };
        let app = App::for_writes(store, Referential::default())
            .expect("app")
            .with_backups(Some(plan.clone()));
        let start = DateTime::parse_from_rfc3339("2026-12-05T03:00:00Z")
            .expect("date")
            .to_utc();
        let hours = |h: i64| start + chrono::Duration::hours(h);
        assert!(
            app.scheduled_backup(start)
                .await
                .expect("1")
                .starts_with("1 sauvegarde écrite")
        );
        assert_eq!(
            app.scheduled_backup(hours(1)).await.expect("2"),
            "rien à faire"
        );
        assert!(
            app.scheduled_backup(hours(24))
                .await
                .expect("3")
                .ends_with("0 ancienne(s) effacée(s)")
        );
        assert!(
            app.scheduled_backup(hours(48))
                .await
                .expect("4")
                .ends_with("1 ancienne(s) effacée(s)")
        );
        let names: Vec<String> = plan
            .existing()
            .iter()
            .filter_map(|p| p.file_name().and_then(|n| n.to_str()).map(str::to_string))
            .collect();
        assert_eq!(
            names,
            [
                "maillage-20261206-030000.sqlite",
                "maillage-20261207-030000.sqlite"
            ]
        );
        // Each is a sound base of Maillage.
        for p in plan.existing() {
            assert!(Store::check_sqlite_backup(&p).await.is_ok());
        }
        // Without a plan, nothing.
        let none = App::for_writes(
            Store::connect("sqlite::memory:").await.expect("base"),
            Referential::default(),
        )
        .expect("app");
        assert_eq!(
            none.scheduled_backup(start).await.expect("rien"),
            "rien à faire"
        );
    }
}
