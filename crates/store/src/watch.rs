//! The watch on public platforms: news items, helpers' subscriptions (with the subscriber's
//! address read from their account, never copied), and the deliveries that make each item
//! reach a subscriber once.

use std::collections::HashSet;

use maillage_domain::Vocabulary;
use maillage_domain::watch::{Frequency, NewsItem, Platform, Subscription};
use sqlx::Row;

use crate::BeginWrite;
use crate::{Result, Store, corrupt, new_id, now, on_pool};

/// A subscription with the address it goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscriber {
    pub subscription: Subscription,
    pub email: String,
}

/// Platforms as stored: slugs between spaces (` caf ants `), so that one platform is found
/// with `LIKE '% caf %'` on both databases.
fn platforms_column(platforms: &[Platform]) -> String {
    let slugs: Vec<&str> = platforms.iter().map(|p| p.slug()).collect();
    format!(" {} ", slugs.join(" "))
}

fn platforms_of(column: &str) -> Vec<Platform> {
    column
        .split_whitespace()
        .filter_map(Platform::from_slug)
        .collect()
}

fn decode_item<R: Row>(row: &R) -> Result<NewsItem>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let data: String = row.try_get("data")?;
    let mut item: NewsItem = serde_json::from_str(&data).map_err(corrupt)?;
    item.id = row.try_get("id")?;
    Ok(item)
}

fn decode_subscription<R: Row>(row: &R) -> Result<Subscription>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> bool: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let platforms: String = row.try_get("platforms")?;
    let frequency: String = row.try_get("frequency")?;
    Ok(Subscription {
        user_id: row.try_get("user_id")?,
        platforms: platforms_of(&platforms),
        frequency: Frequency::from_slug(&frequency)
            .ok_or_else(|| corrupt(format!("fréquence « {frequency} »")))?,
        urgent_at_once: row.try_get("urgent_at_once")?,
        next_digest_at: row.try_get("next_digest_at")?,
    })
}

impl Store {
    /// Records a news item; returns its id.
    pub async fn create_news(&self, item: &NewsItem, author_id: Option<&str>) -> Result<String> {
        let id = new_id();
        let data = serde_json::to_string(item).map_err(corrupt)?;
        on_pool!(self, pool => {
            sqlx::query("INSERT INTO news_items (id, published_at, urgent, platforms, data, author_id) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(&id)
                .bind(&item.published_at)
                .bind(item.urgent)
                .bind(platforms_column(&item.platforms))
                .bind(&data)
                .bind(author_id)
                .execute(pool)
                .await?;
        });
        Ok(id)
    }

    pub async fn update_news(&self, item: &NewsItem) -> Result<bool> {
        let data = serde_json::to_string(item).map_err(corrupt)?;
        on_pool!(self, pool => {
            let done = sqlx::query("UPDATE news_items SET urgent = $2, platforms = $3, data = $4 WHERE id = $1")
                .bind(&item.id)
                .bind(item.urgent)
                .bind(platforms_column(&item.platforms))
                .bind(&data)
                .execute(pool)
                .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    pub async fn delete_news(&self, id: &str) -> Result<bool> {
        on_pool!(self, pool => {
            let done = sqlx::query("DELETE FROM news_items WHERE id = $1").bind(id).execute(pool).await?;
            Ok(done.rows_affected() == 1)
        })
    }

    pub async fn news_item(&self, id: &str) -> Result<Option<NewsItem>> {
        on_pool!(self, pool => {
            let row = sqlx::query("SELECT id, data FROM news_items WHERE id = $1").bind(id).fetch_optional(pool).await?;
            row.as_ref().map(decode_item).transpose()
        })
    }

    /// News items published since a time (all when `None`), about one platform when given,
    /// newest first.
    pub async fn news(
        &self,
        since: Option<&str>,
        platform: Option<Platform>,
    ) -> Result<Vec<NewsItem>> {
        let like = platform.map(|p| format!("% {} %", p.slug()));
        on_pool!(self, pool => {
            let rows = sqlx::query("SELECT id, data FROM news_items WHERE ($1 IS NULL OR published_at >= $1) AND ($2 IS NULL OR platforms LIKE $2) ORDER BY published_at DESC, id DESC")
                .bind(since)
                .bind(&like)
                .fetch_all(pool)
                .await?;
            rows.iter().map(decode_item).collect()
        })
    }

    pub async fn subscription(&self, user_id: &str) -> Result<Option<Subscription>> {
        on_pool!(self, pool => {
            let row = sqlx::query("SELECT user_id, platforms, frequency, urgent_at_once, next_digest_at FROM watch_subscriptions WHERE user_id = $1")
                .bind(user_id)
                .fetch_optional(pool)
                .await?;
            row.as_ref().map(decode_subscription).transpose()
        })
    }

    /// Creates or replaces a subscription.
    pub async fn save_subscription(&self, s: &Subscription) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query("INSERT INTO watch_subscriptions (user_id, platforms, frequency, urgent_at_once, next_digest_at, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_id) DO UPDATE SET platforms = excluded.platforms, frequency = excluded.frequency, urgent_at_once = excluded.urgent_at_once, next_digest_at = excluded.next_digest_at")
                .bind(&s.user_id)
                .bind(platforms_column(&s.platforms))
                .bind(s.frequency.slug())
                .bind(s.urgent_at_once)
                .bind(&s.next_digest_at)
                .bind(now())
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    pub async fn delete_subscription(&self, user_id: &str) -> Result<bool> {
        on_pool!(self, pool => {
            let done = sqlx::query("DELETE FROM watch_subscriptions WHERE user_id = $1").bind(user_id).execute(pool).await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Every subscription with its subscriber's address.
    pub async fn subscribers(&self) -> Result<Vec<Subscriber>> {
        on_pool!(self, pool => {
            let rows = sqlx::query("SELECT s.user_id, s.platforms, s.frequency, s.urgent_at_once, s.next_digest_at, u.email FROM watch_subscriptions s JOIN users u ON u.id = s.user_id ORDER BY s.user_id")
                .fetch_all(pool)
                .await?;
            rows.iter()
                .map(|r| {
                    Ok(Subscriber {
                        subscription: decode_subscription(r)?,
                        email: r.try_get("email")?,
                    })
                })
                .collect()
        })
    }

    /// The items already sent to a subscriber.
    pub async fn delivered_items(&self, user_id: &str) -> Result<HashSet<String>> {
        on_pool!(self, pool => {
            let rows = sqlx::query("SELECT item_id FROM watch_deliveries WHERE user_id = $1")
                .bind(user_id)
                .fetch_all(pool)
                .await?;
            rows.iter().map(|r| Ok(r.try_get("item_id")?)).collect()
        })
    }

    /// Records that these items were sent to a subscriber and, for a digest, when the next one
    /// is due — in one transaction.
    pub async fn record_deliveries(
        &self,
        user_id: &str,
        item_ids: &[&str],
        next_digest_at: Option<&str>,
    ) -> Result<()> {
        let at = now();
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            for id in item_ids {
                sqlx::query("INSERT INTO watch_deliveries (item_id, user_id, sent_at) VALUES ($1, $2, $3) ON CONFLICT (item_id, user_id) DO NOTHING")
                    .bind(id)
                    .bind(user_id)
                    .bind(&at)
                    .execute(&mut *tx)
                    .await?;
            }
            if let Some(next) = next_digest_at {
                sqlx::query("UPDATE watch_subscriptions SET next_digest_at = $2 WHERE user_id = $1")
                    .bind(user_id)
                    .bind(next)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Forgets which items were sent to whom once they are older than `before` (items that old
    /// no longer enter a digest). Returns how many records went.
    pub async fn purge_watch_deliveries(&self, before: &str) -> Result<u64> {
        on_pool!(self, pool => {
            let done = sqlx::query("DELETE FROM watch_deliveries WHERE sent_at < $1")
                .bind(before)
                .execute(pool)
                .await?;
            Ok(done.rows_affected())
        })
    }
}
