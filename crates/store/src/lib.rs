//! Storage of Maillage. One SQL text per query serves both backends: SQLite (embedded default)
//! and PostgreSQL. [`Store`] holds either pool; the `on_pool!` macro runs the same code on the
//! one in use, so the two backends cannot drift apart (see `docs/adr/0002-database-layer.md`).
//!
//! Places are stored as their validated JSON form with the columns needed for provenance,
//! ownership and scope beside it; search runs on an in-process index built from
//! [`Store::all_places`], independent of the backend.

mod access;
mod accounts;
mod activity;
mod backup;
mod campaigns;
mod changes;
mod diagnostic;
mod directory;
mod duplicates;
mod fragility;
mod impact;
mod import;
mod mandates;
mod orientation;
mod referrals;
mod reports;
mod requests;
mod resources;
mod schedule;
mod sessions;
mod shared;
mod sources;
mod surveys;
mod transfer;
mod watch;
mod workshops;

use std::path::Path;
use std::str::FromStr;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};

pub use access::{ACCESS_PAGE, AccessLine};
pub use accounts::{MIN_PASSWORD_CHARS, NewUser, User};
pub use activity::{NewActivity, StoredActivity};
pub use backup::TableDigest;
pub use campaigns::{
    Campaign, CampaignRequest, IssuedRequest, LinkTarget, NewRequest, new_token, token_hash,
};
pub use changes::{Change, ChangeListener, FeedMark};
pub use diagnostic::{Draft, NewDiagnostic, NewPerson, Person, StoredDiagnostic, normalise_code};
pub use directory::{ImportOutcome, ImportRecord, ImportRef, ImportSummary, StoredPlace};
pub use duplicates::MergeSummary;
pub use fragility::StoredIndicators;
pub use import::ImportSession;
pub use mandates::{Entry, NewAct, NewMandate, StoredAct, StoredHabilitation, StoredMandate};
pub use orientation::UnmetRequest;
pub use referrals::{
    JourneyParticipation, NewReferral, ReferralEvent, Shared, StoredReferral, Transition,
};
pub use reports::ErrorReport;
pub use requests::{Erased, NewRequest as NewPersonRequest, StoredRequest};
pub use resources::{FileChange, FileInfo, NewFile, Proposer, StoredResource};
pub use schedule::JobRun;
pub use sessions::SessionRecord;
pub use shared::{Claim, NewWork, SlotLimits, WORK_STALE_MS, WorkOutcome, WorkRow};
pub use sources::{NewSource, PullRun, PulledSource, RunEnd};
pub use surveys::{
    IssuedInvitation, NewInvitation, NewSurvey, NewSurveyAnswer, PlaceUpdate, StoredExchange,
    StoredSurveyAnswer, Survey, SurveyInvitation, SurveyLink,
};
pub use transfer::TransferReport;
pub use watch::Subscriber;
pub use workshops::{Registration, StoredWorkshop};

/// Errors of the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("base de données : {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration de la base : {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("donnée enregistrée illisible : {0}")]
    Corrupt(String),
    #[error("adresse de base de données non reconnue « {0} » (attendu sqlite://… ou postgres://…)")]
    UnsupportedUrl(String),
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Interrupted(#[from] maillage_domain::progress::Interrupted),
    #[error("création du dossier de données {path} : {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "la base a été mise à jour par une version plus récente de Maillage (migration {newest} appliquée, ce programme ne connaît que jusqu'à {known}) : installez cette version, ou restaurez une sauvegarde faite avant la mise à jour"
    )]
    NewerDatabase { newest: i64, known: i64 },
    #[error(
        "la migration {version} (« {description} ») a été interrompue lors d'un démarrage précédent : restaurez la sauvegarde faite avant la mise à jour"
    )]
    InterruptedMigration { version: i64, description: String },
}

/// One migration of the schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationInfo {
    pub version: i64,
    pub description: String,
    /// What it changes: `CREATE TABLE x`, `ALTER TABLE y`… one line each.
    pub changes: Vec<String>,
}

/// Where a base stands against this program's migrations.
#[derive(Debug, Clone, Default)]
pub struct MigrationStatus {
    /// Applied and known to this program.
    pub applied: Vec<MigrationInfo>,
    /// Known to this program, not yet applied: applied at the next start.
    pub pending: Vec<MigrationInfo>,
    /// Applied by a newer program: this one refuses the base.
    pub unknown: Vec<i64>,
    /// A migration that failed half-way (`success = false`).
    pub interrupted: Option<(i64, String)>,
}

/// The statements of a migration that change the schema, in short.
fn changes_of(sql: &str) -> Vec<String> {
    // Comments first (a comment may hold a semicolon), then statements.
    let code: Vec<&str> = sql
        .lines()
        .map(|l| l.split_once("--").map_or(l, |(code, _)| code))
        .collect();
    code.join("\n")
        .split(';')
        .map(|statement| statement.lines().collect::<Vec<_>>().join(" "))
        .filter_map(|statement| {
            let words: Vec<&str> = statement.split_whitespace().take(6).collect();
            let upper: Vec<String> = words.iter().map(|w| w.to_ascii_uppercase()).collect();
            let upper: Vec<&str> = upper.iter().map(String::as_str).collect();
            let name = |i: usize| words.get(i).copied().unwrap_or_default().trim_matches('(');
            match upper.as_slice() {
                ["CREATE", "TABLE", "IF", "NOT", "EXISTS", ..] => {
                    Some(format!("nouvelle table {}", name(5)))
                }
                ["CREATE", "TABLE", ..] => Some(format!("nouvelle table {}", name(2))),
                ["ALTER", "TABLE", _, "ADD", ..] => {
                    Some(format!("table {} : nouvelle colonne", name(2)))
                }
                ["ALTER", "TABLE", ..] => Some(format!("table {} modifiée", name(2))),
                ["DROP", "TABLE", ..] => Some(format!("table {} supprimée", name(2))),
                ["CREATE", "INDEX", ..] | ["CREATE", "UNIQUE", "INDEX", ..] => {
                    Some("nouvel index".to_string())
                }
                ["CREATE", "TRIGGER", ..] => Some(format!("nouveau déclencheur {}", name(2))),
                ["UPDATE", ..] => Some(format!("données de {} mises à jour", name(1))),
                ["INSERT", "INTO", ..] => Some(format!("données ajoutées à {}", name(2))),
                ["DELETE", "FROM", ..] => Some(format!("données retirées de {}", name(2))),
                _ => None,
            }
        })
        .collect()
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// The database in use.
#[derive(Clone, Debug)]
pub enum Store {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs the same code on the pool in use.
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match $store {
            $crate::Store::Sqlite($pool) => $body,
            $crate::Store::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_pool;

/// A write transaction. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`): a
/// deferred one that read first could not write after another connection committed, and
/// would fail with `SQLITE_BUSY_SNAPSHOT` (« database is locked », code 517) instead of
/// waiting its turn. PostgreSQL's own locking needs nothing more.
pub(crate) trait BeginWrite {
    type Db: sqlx::Database;

    async fn begin_write(&self) -> sqlx::Result<sqlx::Transaction<'static, Self::Db>>;
}

impl BeginWrite for sqlx::SqlitePool {
    type Db = sqlx::Sqlite;

    async fn begin_write(&self) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
        self.begin_with("BEGIN IMMEDIATE").await
    }
}

impl BeginWrite for sqlx::PgPool {
    type Db = sqlx::Postgres;

    async fn begin_write(&self) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Postgres>> {
        self.begin().await
    }
}

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

pub(crate) fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub(crate) fn new_id() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

/// Every table of the migrations but the journal of mandates (emptied, and copied, apart),
/// children before their parents: the order in which a base is emptied, and, reversed, the order
/// in which `maillage transfer` fills one.
pub(crate) const TABLES_CHILDREN_FIRST: [&str; 54] = [
    "pull_runs",
    "pulled_sources",
    "sessions",
    "commune_indicators",
    "survey_exchanges",
    "survey_answers",
    "survey_invitations",
    "surveys",
    "access_log",
    "person_requests",
    "data_referents",
    "mandate_acts",
    "mandate_demarches",
    "mandates",
    "person_links",
    "mandate_offers",
    "habilitations",
    "password_resets",
    "referral_events",
    "referrals",
    "journeys",
    "request_catalogue",
    "registrations",
    "resource_files",
    "campaign_links",
    "campaign_requests",
    "error_reports",
    "duplicate_decisions",
    "merges",
    "place_aliases",
    "scheduled_jobs",
    "unmet_requests",
    "share_links",
    "impact_surveys",
    "activity_changes",
    "activity_persons",
    "activities",
    "watch_deliveries",
    "watch_subscriptions",
    "news_items",
    "resources",
    "network_seeds",
    "campaigns",
    "workshops",
    "diagnostic_drafts",
    "diagnostics",
    "persons",
    "questionnaires",
    "imports",
    "memberships",
    "coordinator_territories",
    "users",
    "places",
    "organisations",
];

/// What the instances of a base share besides the data (migration 0026: counters of the limits
/// and long work, forgotten within a day; 0027: the statistics cube's snapshot, derived from the
/// records). Emptied by a reset, never copied by a transfer nor counted in a digest.
pub(crate) const SHARED_TABLES: [&str; 4] = [
    "limit_hits",
    "limit_failures",
    "running_work",
    "cube_snapshot",
];

/// The guard of migration 0017, put back after a reset.
const JOURNAL_GUARD_SQLITE: &str = "CREATE TRIGGER mandate_journal_no_delete BEFORE DELETE ON mandate_journal BEGIN SELECT RAISE(ABORT, 'le journal des mandats est en ajout seul : aucune ligne ne s''efface'); END";

impl Store {
    /// Connects and migrates. `sqlite://path` (file created when missing), `sqlite::memory:`,
    /// or `postgres://…`. A base migrated by a newer program is refused, with the reason.
    pub async fn connect(url: &str) -> Result<Self> {
        let store = Self::open(url, true).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Connects without migrating (`maillage migrate --dry-run`, `maillage config check`);
    /// a missing SQLite file is created only when `create` says so.
    pub async fn open(url: &str, create: bool) -> Result<Self> {
        let store = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new().max_connections(8).connect(url).await?;
            Store::Postgres(pool)
        } else if url.starts_with("sqlite:") {
            let in_memory = url.contains(":memory:");
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(create)
                .foreign_keys(true)
                .busy_timeout(std::time::Duration::from_secs(10));
            let options = if in_memory {
                options
            } else {
                options.journal_mode(SqliteJournalMode::Wal)
            };
            let pool = SqlitePoolOptions::new()
                // One connection for an in-memory base: every connection would be a new base.
                .max_connections(if in_memory { 1 } else { 4 })
                .connect_with(options)
                .await?;
            Store::Sqlite(pool)
        } else {
            return Err(StoreError::UnsupportedUrl(url.to_string()));
        };
        Ok(store)
    }

    /// The SQLite URL of a file in a data directory, creating the directory.
    pub fn sqlite_url_in(dir: &Path) -> Result<String> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::DataDir {
            path: dir.display().to_string(),
            source,
        })?;
        Ok(format!(
            "sqlite://{}",
            dir.join("maillage.sqlite").display()
        ))
    }

    /// Closes the connections (before another process, or another pool, opens the base).
    pub async fn close(&self) {
        on_pool!(self, pool => pool.close().await);
    }

    /// This program's migrations for the base in use.
    fn migrator(&self) -> sqlx::migrate::Migrator {
        match self {
            Store::Sqlite(_) => sqlx::migrate!("./migrations/sqlite"),
            Store::Postgres(_) => sqlx::migrate!("./migrations/postgres"),
        }
    }

    /// Where the base stands: migrations applied, pending, unknown to this program.
    pub async fn migration_status(&self) -> Result<MigrationStatus> {
        let exists_sql = match self {
            Store::Sqlite(_) => {
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'"
            }
            Store::Postgres(_) => {
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = '_sqlx_migrations'"
            }
        };
        let exists: i64 =
            on_pool!(self, pool => sqlx::query_scalar(exists_sql).fetch_one(pool).await?);
        let rows: Vec<(i64, String, bool)> = if exists > 0 {
            on_pool!(self, pool => sqlx::query_as("SELECT version, description, success FROM _sqlx_migrations ORDER BY version").fetch_all(pool).await?)
        } else {
            Vec::new()
        };
        let migrator = self.migrator();
        let mut status = MigrationStatus::default();
        for m in migrator.iter() {
            let info = MigrationInfo {
                version: m.version,
                description: m.description.to_string(),
                changes: changes_of(m.sql.as_str()),
            };
            if rows.iter().any(|(v, _, _)| *v == m.version) {
                status.applied.push(info);
            } else {
                status.pending.push(info);
            }
        }
        for (version, description, success) in &rows {
            if !migrator.version_exists(*version) {
                status.unknown.push(*version);
            } else if !success {
                status.interrupted = Some((*version, description.clone()));
            }
        }
        Ok(status)
    }

    /// Applies the pending migrations, each in its transaction; refuses a base migrated by a
    /// newer program or left half-migrated, naming why.
    pub async fn migrate(&self) -> Result<Vec<MigrationInfo>> {
        let status = self.migration_status().await?;
        if let Some(&newest) = status.unknown.iter().max() {
            let known = self.migrator().iter().map(|m| m.version).max().unwrap_or(0);
            return Err(StoreError::NewerDatabase { newest, known });
        }
        if let Some((version, description)) = status.interrupted {
            return Err(StoreError::InterruptedMigration {
                version,
                description,
            });
        }
        if status.pending.is_empty() {
            return Ok(Vec::new());
        }
        let migrator = self.migrator();
        on_pool!(self, pool => migrator.run(pool).await?);
        Ok(status.pending)
    }

    /// "SQLite" or "PostgreSQL", for pages and logs.
    pub fn backend(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "SQLite",
            Store::Postgres(_) => "PostgreSQL",
        }
    }

    /// Empties every table (tests and `demo --reset`).
    pub async fn reset(&self) -> Result<()> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            // Children before their parents; every table of the migrations is named.
            // The journal refuses any delete (migration 0017): emptying the whole base is the one
            // exception, done by the base's owner with the guard lifted for this transaction.
            match self {
                Store::Sqlite(_) => {
                    for sql in [
                        "DROP TRIGGER mandate_journal_no_delete",
                        "DELETE FROM mandate_journal",
                        JOURNAL_GUARD_SQLITE,
                    ] {
                        sqlx::query(sql).execute(&mut *tx).await?;
                    }
                }
                Store::Postgres(_) => {
                    for sql in [
                        "ALTER TABLE mandate_journal DISABLE TRIGGER mandate_journal_no_truncate",
                        "TRUNCATE mandate_journal",
                        "ALTER TABLE mandate_journal ENABLE TRIGGER mandate_journal_no_truncate",
                    ] {
                        sqlx::query(sql).execute(&mut *tx).await?;
                    }
                }
            }
            for table in TABLES_CHILDREN_FIRST.iter().chain(&SHARED_TABLES) {
                sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table}")))
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }
}
