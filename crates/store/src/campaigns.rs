//! Update campaigns: requests to places' referents and their personal links. A link's token is
//! returned once, when issued, and stored only as its SHA-256 hash.

use maillage_domain::Place;
use maillage_domain::campaigns::RequestStatus;
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::BeginWrite;
use crate::{Result, Store, corrupt, new_id, on_pool};

/// A campaign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Campaign {
    pub id: String,
    pub title: String,
    /// What was asked, in French ("Meurthe-et-Moselle, fiches de plus de 6 mois").
    pub scope: String,
    pub created_by: Option<String>,
    pub created_at: String,
    pub closed_at: Option<String>,
}

/// A request to one place's referent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignRequest {
    pub id: String,
    pub campaign_id: String,
    pub place_id: String,
    /// Erased 30 days after the campaign is closed.
    pub email: Option<String>,
    pub status: RequestStatus,
    pub first_sent_at: String,
    pub last_sent_at: String,
    pub reminders: u32,
    pub answered_at: Option<String>,
    /// Why the sending failed, for the coordinator.
    pub detail: Option<String>,
}

/// One place to ask, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRequest {
    pub place_id: String,
    pub email: Option<String>,
}

/// A request created with its first link (`token` is `None` when there is no address).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedRequest {
    pub request_id: String,
    pub place_id: String,
    pub email: Option<String>,
    pub token: Option<String>,
}

/// What a link opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkTarget {
    pub request: CampaignRequest,
    pub campaign_closed: bool,
    pub expires_at: String,
}

/// A new random token (256 bits, hexadecimal) and its hash.
pub fn new_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let hash = token_hash(&token);
    (token, hash)
}

/// What is stored of a token.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn decode_request<R: Row>(row: &R) -> Result<CampaignRequest>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let status: String = row.try_get("status")?;
    let reminders: i64 = row.try_get("reminders")?;
    Ok(CampaignRequest {
        id: row.try_get("id")?,
        campaign_id: row.try_get("campaign_id")?,
        place_id: row.try_get("place_id")?,
        email: row.try_get("email")?,
        status: RequestStatus::from_slug(&status)
            .ok_or_else(|| corrupt(format!("état de demande « {status} »")))?,
        first_sent_at: row.try_get("first_sent_at")?,
        last_sent_at: row.try_get("last_sent_at")?,
        reminders: u32::try_from(reminders).unwrap_or(0),
        answered_at: row.try_get("answered_at")?,
        detail: row.try_get("detail")?,
    })
}

fn decode_campaign<R: Row>(row: &R) -> Result<Campaign>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    Ok(Campaign {
        id: row.try_get("id")?,
        title: row.try_get("title")?,
        scope: row.try_get("scope")?,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
        closed_at: row.try_get("closed_at")?,
    })
}

/// Columns of a request, for `concat!` (queries stay static strings).
macro_rules! request_columns {
    () => {
        "r.id, r.campaign_id, r.place_id, r.email, r.status, r.first_sent_at, r.last_sent_at, r.reminders, r.answered_at, r.detail"
    };
}

impl Store {
    /// Creates a campaign and its requests, each with a first link expiring at `expires_at`,
    /// in one transaction. Requests without an address are created as "no address".
    pub async fn create_campaign(
        &self,
        title: &str,
        scope: &str,
        created_by: Option<&str>,
        requests: &[NewRequest],
        now: &str,
        expires_at: &str,
    ) -> Result<(String, Vec<IssuedRequest>)> {
        let id = new_id();
        let mut issued = Vec::with_capacity(requests.len());
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("INSERT INTO campaigns (id, title, scope, created_by, created_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(&id)
                .bind(title)
                .bind(scope)
                .bind(created_by)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            for r in requests {
                let request_id = new_id();
                let status = if r.email.is_some() {
                    RequestStatus::Pending
                } else {
                    RequestStatus::NoAddress
                };
                sqlx::query("INSERT INTO campaign_requests (id, campaign_id, place_id, email, status, first_sent_at, last_sent_at) VALUES ($1, $2, $3, $4, $5, $6, $6)")
                    .bind(&request_id)
                    .bind(&id)
                    .bind(&r.place_id)
                    .bind(&r.email)
                    .bind(status.slug())
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                let token = if r.email.is_some() {
                    let (token, hash) = new_token();
                    sqlx::query("INSERT INTO campaign_links (token_hash, request_id, expires_at) VALUES ($1, $2, $3)")
                        .bind(&hash)
                        .bind(&request_id)
                        .bind(expires_at)
                        .execute(&mut *tx)
                        .await?;
                    Some(token)
                } else {
                    None
                };
                issued.push(IssuedRequest {
                    request_id,
                    place_id: r.place_id.clone(),
                    email: r.email.clone(),
                    token,
                });
            }
            tx.commit().await?;
        });
        Ok((id, issued))
    }

    /// Every campaign, newest first.
    pub async fn campaigns(&self) -> Result<Vec<Campaign>> {
        on_pool!(self, pool => {
            let rows = sqlx::query("SELECT id, title, scope, created_by, created_at, closed_at FROM campaigns ORDER BY created_at DESC, id DESC")
                .fetch_all(pool)
                .await?;
            rows.iter().map(decode_campaign).collect()
        })
    }

    pub async fn campaign(&self, id: &str) -> Result<Option<Campaign>> {
        on_pool!(self, pool => {
            let row = sqlx::query("SELECT id, title, scope, created_by, created_at, closed_at FROM campaigns WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?;
            row.as_ref().map(decode_campaign).transpose()
        })
    }

    /// Requests of a campaign (`None`: of every campaign), in creation order.
    pub async fn campaign_requests(
        &self,
        campaign_id: Option<&str>,
    ) -> Result<Vec<CampaignRequest>> {
        let sql = concat!(
            "SELECT ",
            request_columns!(),
            " FROM campaign_requests r WHERE ($1 IS NULL OR r.campaign_id = $1) ORDER BY r.id"
        );
        on_pool!(self, pool => {
            let rows = sqlx::query(sql).bind(campaign_id).fetch_all(pool).await?;
            rows.iter().map(decode_request).collect()
        })
    }

    pub async fn campaign_request(&self, id: &str) -> Result<Option<CampaignRequest>> {
        let sql = concat!(
            "SELECT ",
            request_columns!(),
            " FROM campaign_requests r WHERE r.id = $1"
        );
        on_pool!(self, pool => {
            let row = sqlx::query(sql).bind(id).fetch_optional(pool).await?;
            row.as_ref().map(decode_request).transpose()
        })
    }

    /// What a token opens, whatever its state (the domain decides whether it may be used).
    pub async fn campaign_link(&self, token: &str) -> Result<Option<LinkTarget>> {
        let sql = concat!(
            "SELECT ",
            request_columns!(),
            ", l.expires_at, c.closed_at FROM campaign_links l JOIN campaign_requests r ON r.id = l.request_id JOIN campaigns c ON c.id = r.campaign_id WHERE l.token_hash = $1"
        );
        let hash = token_hash(token);
        on_pool!(self, pool => {
            let row = sqlx::query(sql).bind(&hash).fetch_optional(pool).await?;
            match row {
                None => Ok(None),
                Some(row) => {
                    let closed: Option<String> = row.try_get("closed_at")?;
                    Ok(Some(LinkTarget {
                        request: decode_request(&row)?,
                        campaign_closed: closed.is_some(),
                        expires_at: row.try_get("expires_at")?,
                    }))
                }
            }
        })
    }

    /// A new link for a reminder: the request's count of reminders goes up. Earlier links keep
    /// working until they expire. `None` when the request is no longer pending.
    pub async fn issue_reminder_link(
        &self,
        request_id: &str,
        now: &str,
        expires_at: &str,
    ) -> Result<Option<String>> {
        let (token, hash) = new_token();
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query("UPDATE campaign_requests SET reminders = reminders + 1, last_sent_at = $2 WHERE id = $1 AND status = $3")
                .bind(request_id)
                .bind(now)
                .bind(RequestStatus::Pending.slug())
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                return Ok(None);
            }
            sqlx::query("INSERT INTO campaign_links (token_hash, request_id, expires_at) VALUES ($1, $2, $3)")
                .bind(&hash)
                .bind(request_id)
                .bind(expires_at)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        Ok(Some(token))
    }

    /// Records the answer of a request not yet answered (its links then open only to say so:
    /// a link serves once). `false` when it was already answered.
    pub async fn answer_request(
        &self,
        request_id: &str,
        status: RequestStatus,
        now: &str,
    ) -> Result<bool> {
        on_pool!(self, pool => {
            let done = sqlx::query("UPDATE campaign_requests SET status = $2, answered_at = $3, detail = NULL WHERE id = $1 AND status NOT IN ($4, $5)")
                .bind(request_id)
                .bind(status.slug())
                .bind(now)
                .bind(RequestStatus::Confirmed.slug())
                .bind(RequestStatus::Corrected.slug())
                .execute(pool)
                .await?;
            Ok(done.rows_affected() > 0)
        })
    }

    /// A referent answers through their link: the request is claimed (answered, if it was not
    /// yet) and the place written, in one transaction — two uses of one link at once cannot
    /// both write. `false`, with nothing written, when the request was already answered.
    pub async fn answer_request_with_place(
        &self,
        request_id: &str,
        status: RequestStatus,
        now: &str,
        place: &Place,
        organisation_id: Option<&str>,
    ) -> Result<bool> {
        let data = crate::directory::place_json(place)?;
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let claimed = sqlx::query("UPDATE campaign_requests SET status = $2, answered_at = $3, detail = NULL WHERE id = $1 AND status NOT IN ($4, $5)")
                .bind(request_id)
                .bind(status.slug())
                .bind(now)
                .bind(RequestStatus::Confirmed.slug())
                .bind(RequestStatus::Corrected.slug())
                .execute(&mut *tx)
                .await?;
            if claimed.rows_affected() == 0 {
                return Ok(false);
            }
            crate::directory::write_place!(&mut *tx, place, organisation_id, &data, now, None::<&str>).await?;
            tx.commit().await?;
            Ok(true)
        })
    }

    /// A member answered from their account: the place's open requests count as answered.
    pub async fn answer_requests_of_place(
        &self,
        place_id: &str,
        status: RequestStatus,
        now: &str,
    ) -> Result<u64> {
        let open = self
            .campaign_requests_of_place(place_id)
            .await?
            .into_iter()
            .filter(|r| matches!(r.status, RequestStatus::Pending | RequestStatus::Bounced));
        let mut n = 0;
        for r in open {
            if self.answer_request(&r.id, status, now).await? {
                n += 1;
            }
        }
        Ok(n)
    }

    pub async fn campaign_requests_of_place(&self, place_id: &str) -> Result<Vec<CampaignRequest>> {
        let sql = concat!(
            "SELECT ",
            request_columns!(),
            " FROM campaign_requests r JOIN campaigns c ON c.id = r.campaign_id WHERE r.place_id = $1 AND c.closed_at IS NULL"
        );
        on_pool!(self, pool => {
            let rows = sqlx::query(sql).bind(place_id).fetch_all(pool).await?;
            rows.iter().map(decode_request).collect()
        })
    }

    /// The sending failed (the server refused the address) or the coordinator received a
    /// bounce: the request is marked so, with the reason.
    pub async fn mark_bounced(&self, request_id: &str, detail: &str) -> Result<bool> {
        on_pool!(self, pool => {
            let done = sqlx::query("UPDATE campaign_requests SET status = $2, detail = $3 WHERE id = $1 AND status = $4")
                .bind(request_id)
                .bind(RequestStatus::Bounced.slug())
                .bind(detail)
                .bind(RequestStatus::Pending.slug())
                .execute(pool)
                .await?;
            Ok(done.rows_affected() > 0)
        })
    }

    /// Closes a campaign: its links stop working. `false` when already closed.
    pub async fn close_campaign(&self, id: &str, now: &str) -> Result<bool> {
        on_pool!(self, pool => {
            let done = sqlx::query("UPDATE campaigns SET closed_at = $2 WHERE id = $1 AND closed_at IS NULL")
                .bind(id)
                .bind(now)
                .execute(pool)
                .await?;
            Ok(done.rows_affected() > 0)
        })
    }

    /// Erases the addresses of campaigns closed before `before` and every link expired before
    /// `now`. Returns how many addresses were erased.
    pub async fn purge_campaign_emails(&self, before: &str, now: &str) -> Result<u64> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query("UPDATE campaign_requests SET email = NULL WHERE email IS NOT NULL AND campaign_id IN (SELECT id FROM campaigns WHERE closed_at IS NOT NULL AND closed_at < $1)")
                .bind(before)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM campaign_links WHERE expires_at < $1")
                .bind(now)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(done.rows_affected())
        })
    }
}
