//! Sign-in sessions, stored so they survive a restart. Only an opaque record: the user id and
//! an expiry, never personal data; the session's token is kept as its hash (SHA-256), so that a
//! copy of the base opens no session.

use sqlx::Row;

use crate::{Result, Store, on_pool};

/// A session: its token (given to the browser; the base keeps its hash), the user id and the
/// expiry (Unix seconds).
#[derive(Debug, Clone, PartialEq)]
pub struct SessionRecord {
    pub id: String,
    pub data: String,
    pub expires_at: i64,
}

impl Store {
    pub async fn save_session(&self, record: &SessionRecord) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO sessions (id, data, expires_at) VALUES ($1, $2, $3)
                 ON CONFLICT (id) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at",
            )
            .bind(crate::campaigns::token_hash(&record.id))
            .bind(&record.data)
            .bind(record.expires_at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The session of this token if it exists and has not expired at `now` (Unix seconds).
    pub async fn load_session(&self, id: &str, now: i64) -> Result<Option<SessionRecord>> {
        on_pool!(self, pool => {
            let row = sqlx::query("SELECT data, expires_at FROM sessions WHERE id = $1 AND expires_at > $2")
                .bind(crate::campaigns::token_hash(id))
                .bind(now)
                .fetch_optional(pool)
                .await?;
            match row {
                None => Ok(None),
                Some(r) => Ok(Some(SessionRecord {
                    id: id.to_string(),
                    data: r.try_get("data")?,
                    expires_at: r.try_get("expires_at")?,
                })),
            }
        })
    }

    pub async fn delete_session(&self, id: &str) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query("DELETE FROM sessions WHERE id = $1").bind(crate::campaigns::token_hash(id)).execute(pool).await?;
        });
        Ok(())
    }

    /// Closes every session of a user (« se déconnecter partout »); returns how many.
    pub async fn delete_sessions_of(&self, user_id: &str) -> Result<u64> {
        on_pool!(self, pool => {
            let done = sqlx::query("DELETE FROM sessions WHERE data = $1").bind(user_id).execute(pool).await?;
            Ok(done.rows_affected())
        })
    }

    /// Purges expired sessions; returns how many.
    pub async fn purge_sessions(&self, now: i64) -> Result<u64> {
        on_pool!(self, pool => {
            let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(now).execute(pool).await?;
            Ok(done.rows_affected())
        })
    }
}
