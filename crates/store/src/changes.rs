//! The change feed (issue #22, migrations 0025 and 0028): the lines the database writes itself,
//! by trigger, in every transaction that writes a place, the catalogue of requests, the resource
//! library or a decision that two places differ. An instance reads the lines after its
//! [`FeedMark`] and brings its index and caches up to date; on PostgreSQL a notification wakes
//! it as soon as a writer commits.
//!
//! On PostgreSQL, numbers are taken before commit: a transaction may commit line 7 while
//! another still holds line 6. Lines are therefore read in the order of their transactions, and
//! only the lines of transactions older than every running one are *settled*: nothing can ever
//! appear before them. A reader applies the lines it sees at once but moves its mark past the
//! settled ones only. SQLite has one writer at a time: every line is settled when seen.

use std::time::Duration;

use sqlx::Row;

use crate::{Result, Store, on_pool};

/// Where a reader stands in the feed: the last settled line it applied.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct FeedMark {
    /// Transaction of the line (0 on SQLite).
    pub txid: i64,
    pub seq: i64,
}

/// One line of the feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub mark: FeedMark,
    /// `lieu`, `catalogue`, `ressources` or `doublons` (a decision that two places differ).
    pub topic: String,
    /// The id of the written row.
    pub key: String,
    /// No line can appear before this one any more.
    pub settled: bool,
}

/// The name of the notification channel (PostgreSQL).
const CHANNEL: &str = "maillage_changes";

trait ChangeRow {
    fn change(&self) -> Result<Change>;
}

impl ChangeRow for sqlx::sqlite::SqliteRow {
    fn change(&self) -> Result<Change> {
        Ok(Change {
            mark: FeedMark {
                txid: 0,
                seq: self.try_get("seq")?,
            },
            topic: self.try_get("topic")?,
            key: self.try_get("key")?,
            settled: true,
        })
    }
}

impl ChangeRow for sqlx::postgres::PgRow {
    fn change(&self) -> Result<Change> {
        Ok(Change {
            mark: FeedMark {
                txid: self.try_get("txid")?,
                seq: self.try_get("seq")?,
            },
            topic: self.try_get("topic")?,
            key: self.try_get("key")?,
            settled: self.try_get("settled")?,
        })
    }
}

impl Store {
    /// The lines after `mark`, in the order a reader applies them (settled ones first), at most
    /// `limit`.
    pub async fn changes_after(&self, mark: FeedMark, limit: u32) -> Result<Vec<Change>> {
        match self {
            Store::Sqlite(pool) => {
                let rows = sqlx::query(
                    "SELECT seq, topic, key FROM changes WHERE seq > $1 ORDER BY seq LIMIT $2",
                )
                .bind(mark.seq)
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?;
                rows.iter().map(ChangeRow::change).collect()
            }
            Store::Postgres(pool) => {
                let rows = sqlx::query(
                    "SELECT txid::text::bigint AS txid, seq, topic, key, \
                            txid < pg_snapshot_xmin(pg_current_snapshot()) AS settled \
                     FROM changes WHERE (txid, seq) > ($1::text::xid8, $2) \
                     ORDER BY txid, seq LIMIT $3",
                )
                .bind(mark.txid.to_string())
                .bind(mark.seq)
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?;
                rows.iter().map(ChangeRow::change).collect()
            }
        }
    }

    /// The mark of the last settled line: a reader that rebuilds its index after taking it has
    /// every earlier line in the rebuild.
    pub async fn changes_mark(&self) -> Result<FeedMark> {
        match self {
            Store::Sqlite(pool) => {
                let seq: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM changes")
                    .fetch_one(pool)
                    .await?;
                Ok(FeedMark {
                    txid: 0,
                    seq: seq.unwrap_or(0),
                })
            }
            Store::Postgres(pool) => {
                let row = sqlx::query(
                    "SELECT txid::text::bigint AS txid, seq FROM changes \
                     WHERE txid < pg_snapshot_xmin(pg_current_snapshot()) \
                     ORDER BY txid DESC, seq DESC LIMIT 1",
                )
                .fetch_optional(pool)
                .await?;
                match row {
                    None => Ok(FeedMark::default()),
                    Some(row) => Ok(FeedMark {
                        txid: row.try_get("txid")?,
                        seq: row.try_get("seq")?,
                    }),
                }
            }
        }
    }

    /// Forgets the lines written before `before` (RFC 3339): every instance applied them long
    /// ago, and one starting afresh rebuilds from the tables.
    pub async fn forget_changes_before(&self, before: &str) -> Result<u64> {
        let done = on_pool!(self, pool => sqlx::query("DELETE FROM changes WHERE at < $1")
            .bind(before)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(done)
    }

    /// A listener woken when another connection commits a change (PostgreSQL); on SQLite it
    /// only waits, and the reader looks at the feed after each wait.
    pub async fn change_listener(&self) -> Result<ChangeListener> {
        match self {
            Store::Sqlite(_) => Ok(ChangeListener(None)),
            Store::Postgres(pool) => {
                let mut listener = sqlx::postgres::PgListener::connect_with(pool).await?;
                listener.listen(CHANNEL).await?;
                Ok(ChangeListener(Some(listener)))
            }
        }
    }
}

/// See [`Store::change_listener`].
pub struct ChangeListener(Option<sqlx::postgres::PgListener>);

impl ChangeListener {
    /// A listener that only waits (when listening failed): the reader looks after each wait.
    pub fn polling() -> Self {
        ChangeListener(None)
    }

    /// Returns when a change was notified, or after `at_most` whatever happened. A lost
    /// connection is re-established by the next wait; the reader reads the feed in any case,
    /// so a notification missed meanwhile delays nothing beyond `at_most`.
    pub async fn wait(&mut self, at_most: Duration) {
        match &mut self.0 {
            None => tokio::time::sleep(at_most).await,
            Some(listener) => {
                if let Ok(Err(_)) = tokio::time::timeout(at_most, listener.recv()).await {
                    // The connection dropped: sqlx reconnects on the next receive; do not spin.
                    tokio::time::sleep(at_most).await;
                }
            }
        }
    }
}
