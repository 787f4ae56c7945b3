//! What the instances of one base share besides the data (issue #22, migration 0026): the
//! counters of the limits (sliding windows of events, back-off after failures) and the long work
//! started from pages, with its progress and its result. Keys arrive already digested (the
//! caller never gives an address or an e-mail address in clear); times are milliseconds since
//! 1970. Counting and claiming are serialised per counter (PostgreSQL: an advisory lock held by
//! the transaction; SQLite: its one writer), so that two instances cannot both let the last
//! allowed event through.

use std::future::Future;

use sqlx::Row;

use crate::{BeginWrite, Result, Store, on_pool};

/// How long work ran by an instance that stopped beating is still counted as running.
pub const WORK_STALE_MS: i64 = 15_000;

/// A piece of long work as every instance sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkRow {
    pub id: String,
    pub title: String,
    pub owner: Option<String>,
    pub stage: String,
    pub done: u64,
    pub total: Option<u64>,
    pub started_at: i64,
    pub beat_at: i64,
    pub stop_requested: bool,
    /// `None` while it runs.
    pub outcome: Option<WorkOutcome>,
}

/// How a piece of work ended.
#[derive(Debug, Clone, PartialEq)]
pub enum WorkOutcome {
    File {
        name: String,
        content_type: String,
        summary: String,
        bytes: Vec<u8>,
    },
    Page {
        html: String,
        status: u16,
    },
    Failed(String),
    Interrupted,
}

/// A piece of work about to start.
#[derive(Debug, Clone)]
pub struct NewWork<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub owner: Option<&'a str>,
    /// `compte` or `anonyme`.
    pub slot_kind: &'a str,
    /// The account's id, or the client's digest.
    pub slot_key: &'a str,
    pub share_key: Option<&'a str>,
    pub now: i64,
}

/// How many pieces of work may run at once.
#[derive(Debug, Clone, Copy)]
pub struct SlotLimits {
    /// In the same slot (one account, one client).
    pub per_slot: usize,
    /// In every slot of the same kind.
    pub per_kind: usize,
}

/// The answer to a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    Started,
    /// The slots are taken.
    Busy,
    /// The caller's admission (a rate limit) said no.
    NotAdmitted,
}

/// An outcome as the columns of its row.
struct OutcomeColumns<'a> {
    kind: &'static str,
    name: Option<&'a str>,
    content_type: Option<&'a str>,
    text: Option<&'a str>,
    status: Option<i64>,
    bytes: Option<&'a [u8]>,
}

impl<'a> OutcomeColumns<'a> {
    fn of(outcome: &'a WorkOutcome) -> Self {
        let empty = OutcomeColumns {
            kind: "interrompu",
            name: None,
            content_type: None,
            text: None,
            status: None,
            bytes: None,
        };
        match outcome {
            WorkOutcome::File {
                name,
                content_type,
                summary,
                bytes,
            } => OutcomeColumns {
                kind: "fichier",
                name: Some(name),
                content_type: Some(content_type),
                text: Some(summary),
                bytes: Some(bytes),
                ..empty
            },
            WorkOutcome::Page { html, status } => OutcomeColumns {
                kind: "page",
                text: Some(html),
                status: Some(i64::from(*status)),
                ..empty
            },
            WorkOutcome::Failed(reason) => OutcomeColumns {
                kind: "echec",
                text: Some(reason),
                ..empty
            },
            WorkOutcome::Interrupted => empty,
        }
    }
}

/// The key of the advisory lock that serialises the claims of work (PostgreSQL).
const WORK_LOCK: &str = "maillage:running_work";

fn count(n: i64) -> usize {
    usize::try_from(n).unwrap_or(0)
}

fn outcome_of(row: &impl RowAccess) -> Result<Option<WorkOutcome>> {
    let kind: Option<String> = row.text("outcome")?;
    let text = || -> Result<String> { Ok(row.text("outcome_text")?.unwrap_or_default()) };
    Ok(match kind.as_deref() {
        None => None,
        Some("fichier") => Some(WorkOutcome::File {
            name: row.text("outcome_name")?.unwrap_or_default(),
            content_type: row.text("outcome_type")?.unwrap_or_default(),
            summary: text()?,
            bytes: row.bytes("outcome_bytes")?.unwrap_or_default(),
        }),
        Some("page") => Some(WorkOutcome::Page {
            html: text()?,
            status: row
                .int("outcome_status")?
                .and_then(|s| u16::try_from(s).ok())
                .unwrap_or(200),
        }),
        Some("interrompu") => Some(WorkOutcome::Interrupted),
        Some(_) => Some(WorkOutcome::Failed(text()?)),
    })
}

/// The columns of a row of either engine.
trait RowAccess {
    fn text(&self, column: &str) -> Result<Option<String>>;
    fn int(&self, column: &str) -> Result<Option<i64>>;
    fn bytes(&self, column: &str) -> Result<Option<Vec<u8>>>;
}

macro_rules! row_access {
    ($row:ty) => {
        impl RowAccess for $row {
            fn text(&self, column: &str) -> Result<Option<String>> {
                Ok(self.try_get(column)?)
            }
            fn int(&self, column: &str) -> Result<Option<i64>> {
                Ok(self.try_get(column)?)
            }
            fn bytes(&self, column: &str) -> Result<Option<Vec<u8>>> {
                Ok(self.try_get(column)?)
            }
        }
    };
}
row_access!(sqlx::sqlite::SqliteRow);
row_access!(sqlx::postgres::PgRow);

fn work_of(row: &impl RowAccess) -> Result<WorkRow> {
    let int = |c: &str| -> Result<i64> { Ok(row.int(c)?.unwrap_or(0)) };
    Ok(WorkRow {
        id: row.text("id")?.unwrap_or_default(),
        title: row.text("title")?.unwrap_or_default(),
        owner: row.text("owner")?,
        stage: row.text("stage")?.unwrap_or_default(),
        done: u64::try_from(int("done")?).unwrap_or(0),
        total: row.int("total")?.and_then(|t| u64::try_from(t).ok()),
        started_at: int("started_at")?,
        beat_at: int("beat_at")?,
        stop_requested: int("stop_requested")? != 0,
        outcome: outcome_of(row)?,
    })
}

const WORK_COLUMNS: &str = "id, title, owner, stage, done, total, started_at, beat_at, \
     stop_requested, outcome, outcome_name, outcome_type, outcome_text, outcome_status, \
     outcome_bytes";

impl Store {
    /// Counts one event of `counter` for every key if each has had fewer than `max` in the
    /// `window_ms` before `now` (then `true`); otherwise counts nothing and says `false`. Events
    /// older than the window are forgotten on the way.
    pub async fn limit_try(
        &self,
        counter: &str,
        keys: &[String],
        max: u32,
        window_ms: i64,
        now: i64,
    ) -> Result<bool> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            if matches!(self, Store::Postgres(_)) {
                sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
                    .bind(counter)
                    .execute(&mut *tx)
                    .await?;
            }
            let since = now.saturating_sub(window_ms);
            sqlx::query("DELETE FROM limit_hits WHERE counter = $1 AND at <= $2")
                .bind(counter)
                .bind(since)
                .execute(&mut *tx)
                .await?;
            for key in keys {
                let n: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM limit_hits WHERE counter = $1 AND key = $2 AND at > $3",
                )
                .bind(counter)
                .bind(key)
                .bind(since)
                .fetch_one(&mut *tx)
                .await?;
                if count(n) >= max as usize {
                    return Ok(false);
                }
            }
            for key in keys {
                sqlx::query("INSERT INTO limit_hits (counter, key, at) VALUES ($1, $2, $3)")
                    .bind(counter)
                    .bind(key)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(true)
        })
    }

    /// How many events of `counter` this key had in the `window_ms` before `now`.
    pub async fn limit_count(
        &self,
        counter: &str,
        key: &str,
        window_ms: i64,
        now: i64,
    ) -> Result<usize> {
        on_pool!(self, pool => {
            let n: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM limit_hits WHERE counter = $1 AND key = $2 AND at > $3",
            )
            .bind(counter)
            .bind(key)
            .bind(now.saturating_sub(window_ms))
            .fetch_one(pool)
            .await?;
            Ok(count(n))
        })
    }

    /// The failures counted for this key, and when the last was (`None`: none).
    pub async fn limit_failures(&self, counter: &str, key: &str) -> Result<Option<(u32, i64)>> {
        on_pool!(self, pool => {
            let row = sqlx::query(
                "SELECT failures, last FROM limit_failures WHERE counter = $1 AND key = $2",
            )
            .bind(counter)
            .bind(key)
            .fetch_optional(pool)
            .await?;
            match row {
                None => Ok(None),
                Some(row) => {
                    let failures: i64 = row.try_get("failures")?;
                    let last: i64 = row.try_get("last")?;
                    Ok(Some((u32::try_from(failures).unwrap_or(u32::MAX), last)))
                }
            }
        })
    }

    /// Counts one failure for this key at `now`; failures older than `forget_ms` are
    /// forgotten first (the count starts again at one).
    pub async fn limit_failed(
        &self,
        counter: &str,
        key: &str,
        now: i64,
        forget_ms: i64,
    ) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO limit_failures (counter, key, failures, last) VALUES ($1, $2, 1, $3)
                 ON CONFLICT (counter, key) DO UPDATE SET
                   failures = CASE WHEN limit_failures.last <= $4 THEN 1
                                   ELSE limit_failures.failures + 1 END,
                   last = excluded.last",
            )
            .bind(counter)
            .bind(key)
            .bind(now)
            .bind(now.saturating_sub(forget_ms))
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Forgets this key's failures.
    pub async fn limit_cleared(&self, counter: &str, key: &str) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query("DELETE FROM limit_failures WHERE counter = $1 AND key = $2")
                .bind(counter)
                .bind(key)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Forgets every count older than `before`: the rows removed.
    pub async fn purge_shared(&self, before: i64) -> Result<u64> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let mut n = 0;
            for sql in [
                "DELETE FROM limit_hits WHERE at < $1",
                "DELETE FROM limit_failures WHERE last < $1",
            ] {
                n += sqlx::query(sql).bind(before).execute(&mut *tx).await?.rows_affected();
            }
            tx.commit().await?;
            Ok(n)
        })
    }

    /// Forgets the work finished before `before`, and the work an instance stopped beating
    /// for since then (it stopped during it): the rows removed.
    pub async fn purge_work_finished(&self, before: i64) -> Result<u64> {
        on_pool!(self, pool => {
            Ok(sqlx::query("DELETE FROM running_work WHERE COALESCE(finished_at, beat_at) < $1")
                .bind(before)
                .execute(pool)
                .await?
                .rows_affected())
        })
    }

    /// Work identical to `share_key` that `owner` may see: running (and beating since
    /// `fresh_since`) or finished with a result (since `finished_since`).
    pub async fn work_shared(
        &self,
        share_key: &str,
        owner: Option<&str>,
        fresh_since: i64,
        finished_since: i64,
    ) -> Result<Option<String>> {
        on_pool!(self, pool => {
            Ok(sqlx::query_scalar(
                "SELECT id FROM running_work
                 WHERE share_key = $1 AND (owner IS NULL OR owner = $2)
                   AND ((outcome IS NULL AND beat_at >= $3)
                        OR (outcome IN ('fichier', 'page') AND finished_at >= $4))
                 ORDER BY started_at DESC LIMIT 1",
            )
            .bind(share_key)
            .bind(owner)
            .bind(fresh_since)
            .bind(finished_since)
            .fetch_optional(pool)
            .await?)
        })
    }

    /// Records `work` as running if its slot and its kind of slot have room (work of a
    /// stopped instance is not counted once it stopped beating for [`WORK_STALE_MS`]), and if
    /// `admit` — asked only then — says yes.
    pub async fn work_claim(
        &self,
        work: &NewWork<'_>,
        limits: SlotLimits,
        admit: impl Future<Output = bool>,
    ) -> Result<Claim> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            if matches!(self, Store::Postgres(_)) {
                sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
                    .bind(WORK_LOCK)
                    .execute(&mut *tx)
                    .await?;
            }
            let fresh = work.now.saturating_sub(WORK_STALE_MS);
            let row = sqlx::query(
                "SELECT COUNT(*) AS kind,
                        COALESCE(SUM(CASE WHEN slot_key = $2 THEN 1 ELSE 0 END), 0) AS slot
                 FROM running_work
                 WHERE outcome IS NULL AND beat_at >= $3 AND slot_kind = $1",
            )
            .bind(work.slot_kind)
            .bind(work.slot_key)
            .bind(fresh)
            .fetch_one(&mut *tx)
            .await?;
            let kind: i64 = row.try_get("kind")?;
            let slot: i64 = row.try_get("slot")?;
            if count(slot) >= limits.per_slot || count(kind) >= limits.per_kind {
                return Ok(Claim::Busy);
            }
            if !admit.await {
                return Ok(Claim::NotAdmitted);
            }
            sqlx::query(
                "INSERT INTO running_work
                   (id, title, owner, slot_kind, slot_key, share_key, stage, started_at, beat_at)
                 VALUES ($1, $2, $3, $4, $5, $6, 'En attente', $7, $7)",
            )
            .bind(work.id)
            .bind(work.title)
            .bind(work.owner)
            .bind(work.slot_kind)
            .bind(work.slot_key)
            .bind(work.share_key)
            .bind(work.now)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(Claim::Started)
        })
    }

    /// Writes where running work stands; says whether someone asked it to stop (on any
    /// instance).
    pub async fn work_beat(
        &self,
        id: &str,
        stage: &str,
        done: u64,
        total: Option<u64>,
        now: i64,
    ) -> Result<bool> {
        on_pool!(self, pool => {
            let stop: Option<i64> = sqlx::query_scalar(
                "UPDATE running_work SET stage = $2, done = $3, total = $4, beat_at = $5
                 WHERE id = $1 RETURNING stop_requested",
            )
            .bind(id)
            .bind(stage)
            .bind(i64::try_from(done).unwrap_or(i64::MAX))
            .bind(total.map(|t| i64::try_from(t).unwrap_or(i64::MAX)))
            .bind(now)
            .fetch_optional(pool)
            .await?;
            Ok(stop.is_some_and(|s| s != 0))
        })
    }

    /// Records how work ended, with its result.
    pub async fn work_finish(&self, id: &str, outcome: &WorkOutcome, now: i64) -> Result<()> {
        let columns = OutcomeColumns::of(outcome);
        on_pool!(self, pool => {
            sqlx::query(
                "UPDATE running_work SET outcome = $2, outcome_name = $3, outcome_type = $4,
                   outcome_text = $5, outcome_status = $6, outcome_bytes = $7,
                   finished_at = $8, beat_at = $8
                 WHERE id = $1",
            )
            .bind(id)
            .bind(columns.kind)
            .bind(columns.name)
            .bind(columns.content_type)
            .bind(columns.text)
            .bind(columns.status)
            .bind(columns.bytes)
            .bind(now)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// A piece of work, whichever instance runs it.
    pub async fn work(&self, id: &str) -> Result<Option<WorkRow>> {
        on_pool!(self, pool => {
            let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {WORK_COLUMNS} FROM running_work WHERE id = $1"
            )))
            .bind(id)
            .fetch_optional(pool)
            .await?;
            row.as_ref().map(work_of).transpose()
        })
    }

    /// Asks running work to stop (the instance running it reads this at its next beat).
    pub async fn work_stop(&self, id: &str) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query("UPDATE running_work SET stop_requested = 1 WHERE id = $1 AND outcome IS NULL")
                .bind(id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }
}
