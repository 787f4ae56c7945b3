//! Workshops and their registrations (seats, waiting list, cancellation that promotes the next
//! person, attendance). Registration writes are transactional: two people cannot take the last
//! seat.

use maillage_domain::workshops::{RegistrationStatus, Workshop, status_for_new};
use rand::RngCore;
use sqlx::Row;

use crate::BeginWrite;
use crate::campaigns::token_hash;
use crate::{Result, Store, corrupt, new_id, now, on_pool};

/// A workshop with its counts.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredWorkshop {
    pub workshop: Workshop,
    pub registered: u32,
    pub waiting: u32,
    pub created_by: Option<String>,
}

/// A registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub id: String,
    pub workshop_id: String,
    pub pseudonym: String,
    pub contact: Option<String>,
    pub status: RegistrationStatus,
    pub position: u32,
    pub registered_by: Option<String>,
    pub attended: Option<bool>,
    pub created_at: String,
    /// The session (its start, `2026-12-03T14:00`) the person was last reminded of.
    pub reminded_for: Option<String>,
}

fn decode_workshop<R: Row>(row: &R) -> Result<StoredWorkshop>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let data: String = row.try_get("data")?;
    let mut workshop: Workshop = serde_json::from_str(&data).map_err(corrupt)?;
    workshop.id = row.try_get("id")?;
    workshop.organisation_id = row.try_get("organisation_id")?;
    workshop.place_id = row.try_get("place_id")?;
    let registered: i64 = row.try_get("registered")?;
    let waiting: i64 = row.try_get("waiting")?;
    Ok(StoredWorkshop {
        workshop,
        registered: u32::try_from(registered).unwrap_or(0),
        waiting: u32::try_from(waiting).unwrap_or(0),
        created_by: row.try_get("created_by")?,
    })
}

fn decode_registration<R: Row>(row: &R) -> Result<Registration>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let status: String = row.try_get("status")?;
    let position: i64 = row.try_get("position")?;
    let attended: Option<String> = row.try_get("attended")?;
    Ok(Registration {
        id: row.try_get("id")?,
        workshop_id: row.try_get("workshop_id")?,
        pseudonym: row.try_get("pseudonym")?,
        contact: row.try_get("contact")?,
        status: RegistrationStatus::from_slug(&status)
            .ok_or_else(|| corrupt(format!("état d'inscription « {status} »")))?,
        position: u32::try_from(position).unwrap_or(0),
        registered_by: row.try_get("registered_by")?,
        attended: attended.map(|a| a == "oui"),
        created_at: row.try_get("created_at")?,
        reminded_for: row.try_get("reminded_for")?,
    })
}

macro_rules! workshop_select {
    ($tail:literal) => {
        concat!(
            "SELECT w.id, w.organisation_id, w.place_id, w.data, w.created_by, ",
            "(SELECT COUNT(*) FROM registrations r WHERE r.workshop_id = w.id AND r.status = 'inscrit') AS registered, ",
            "(SELECT COUNT(*) FROM registrations r WHERE r.workshop_id = w.id AND r.status = 'en_attente') AS waiting ",
            "FROM workshops w ",
            $tail
        )
    };
}

const REGISTRATION_COLUMNS: &str = "id, workshop_id, pseudonym, contact, status, position, registered_by, attended, created_at, reminded_for";

fn days(w: &Workshop) -> (String, String) {
    let first = w.sessions.iter().map(|s| s.start.date()).min();
    let last = w.sessions.iter().map(|s| s.end.date()).max();
    (
        first.map(|d| d.to_string()).unwrap_or_default(),
        last.map(|d| d.to_string()).unwrap_or_default(),
    )
}

impl Store {
    /// Records a workshop; returns its id.
    pub async fn create_workshop(&self, w: &Workshop, by: Option<&str>) -> Result<String> {
        let id = new_id();
        let data = serde_json::to_string(w).map_err(corrupt)?;
        let (first, last) = days(w);
        on_pool!(self, pool => {
            sqlx::query("INSERT INTO workshops (id, organisation_id, place_id, title, insee_code, level_required, first_day, last_day, data, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
                .bind(&id)
                .bind(&w.organisation_id)
                .bind(&w.place_id)
                .bind(&w.title)
                .bind(&w.insee_code)
                .bind(w.level_required.slug())
                .bind(&first)
                .bind(&last)
                .bind(&data)
                .bind(now())
                .bind(by)
                .execute(pool)
                .await?;
        });
        Ok(id)
    }

    /// Replaces a workshop's description (registrations stay).
    pub async fn update_workshop(&self, w: &Workshop) -> Result<bool> {
        let data = serde_json::to_string(w).map_err(corrupt)?;
        let (first, last) = days(w);
        on_pool!(self, pool => {
            let done = sqlx::query("UPDATE workshops SET organisation_id = $2, place_id = $3, title = $4, insee_code = $5, level_required = $6, first_day = $7, last_day = $8, data = $9 WHERE id = $1")
                .bind(&w.id)
                .bind(&w.organisation_id)
                .bind(&w.place_id)
                .bind(&w.title)
                .bind(&w.insee_code)
                .bind(w.level_required.slug())
                .bind(&first)
                .bind(&last)
                .bind(&data)
                .execute(pool)
                .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    pub async fn delete_workshop(&self, id: &str) -> Result<bool> {
        on_pool!(self, pool => {
            let done = sqlx::query("DELETE FROM workshops WHERE id = $1").bind(id).execute(pool).await?;
            Ok(done.rows_affected() == 1)
        })
    }

    pub async fn workshop(&self, id: &str) -> Result<Option<StoredWorkshop>> {
        on_pool!(self, pool => {
            let row = sqlx::query(workshop_select!("WHERE w.id = $1"))
                .bind(id)
                .fetch_optional(pool)
                .await?;
            row.as_ref().map(decode_workshop).transpose()
        })
    }

    /// Workshops whose last day is on or after `day`, soonest first.
    pub async fn workshops_from(&self, day: &str) -> Result<Vec<StoredWorkshop>> {
        on_pool!(self, pool => {
            let rows = sqlx::query(workshop_select!("WHERE w.last_day >= $1 ORDER BY w.first_day, w.title, w.id"))
                .bind(day)
                .fetch_all(pool)
                .await?;
            rows.iter().map(decode_workshop).collect()
        })
    }

    /// Registers a person: a seat while some are left, else the waiting list. Returns the
    /// registration and a token to cancel it without account (stored as its hash).
    pub async fn register(
        &self,
        workshop_id: &str,
        capacity: Option<u32>,
        pseudonym: &str,
        contact: Option<&str>,
        by: Option<&str>,
    ) -> Result<(Registration, String)> {
        let id = new_id();
        let mut bytes = [0u8; 24];
        rand::rng().fill_bytes(&mut bytes);
        let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let at = now();
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            // Lock the workshop's row first (PostgreSQL), so that counts and position are read
            // by one registration at a time; SQLite serialises writers anyway.
            sqlx::query("UPDATE workshops SET title = title WHERE id = $1")
                .bind(workshop_id)
                .execute(&mut *tx)
                .await?;
            let registered: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM registrations WHERE workshop_id = $1 AND status = 'inscrit'")
                .bind(workshop_id)
                .fetch_one(&mut *tx)
                .await?;
            let last: Option<i64> = sqlx::query_scalar("SELECT MAX(position) FROM registrations WHERE workshop_id = $1")
                .bind(workshop_id)
                .fetch_one(&mut *tx)
                .await?;
            let status = status_for_new(capacity, u32::try_from(registered).unwrap_or(u32::MAX));
            let position = last.unwrap_or(0) + 1;
            // The registration form shows today's text (maillage_domain::consent).
            sqlx::query("INSERT INTO registrations (id, workshop_id, pseudonym, contact, status, position, registered_by, cancel_hash, created_at, consent_version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
                .bind(&id)
                .bind(workshop_id)
                .bind(pseudonym)
                .bind(contact)
                .bind(status.slug())
                .bind(position)
                .bind(by)
                .bind(token_hash(&token))
                .bind(&at)
                .bind(i64::from(
                    maillage_domain::consent::Purpose::Registration
                        .current()
                        .version,
                ))
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok((
                Registration {
                    id,
                    workshop_id: workshop_id.to_string(),
                    pseudonym: pseudonym.to_string(),
                    contact: contact.map(str::to_string),
                    status,
                    position: u32::try_from(position).unwrap_or(0),
                    registered_by: by.map(str::to_string),
                    attended: None,
                    created_at: at,
                    reminded_for: None,
                },
                token,
            ))
        })
    }

    /// Registrations of a workshop, in order of arrival.
    pub async fn registrations(&self, workshop_id: &str) -> Result<Vec<Registration>> {
        let sql = format!(
            "SELECT {REGISTRATION_COLUMNS} FROM registrations WHERE workshop_id = $1 ORDER BY position"
        );
        on_pool!(self, pool => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(workshop_id).fetch_all(pool).await?;
            rows.iter().map(decode_registration).collect()
        })
    }

    /// The registration a cancellation token designates.
    pub async fn registration_by_token(&self, token: &str) -> Result<Option<Registration>> {
        let sql =
            format!("SELECT {REGISTRATION_COLUMNS} FROM registrations WHERE cancel_hash = $1");
        on_pool!(self, pool => {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(token_hash(token)).fetch_optional(pool).await?;
            row.as_ref().map(decode_registration).transpose()
        })
    }

    pub async fn registration(&self, id: &str) -> Result<Option<Registration>> {
        let sql = format!("SELECT {REGISTRATION_COLUMNS} FROM registrations WHERE id = $1");
        on_pool!(self, pool => {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await?;
            row.as_ref().map(decode_registration).transpose()
        })
    }

    /// Cancels a registration; a freed seat goes to the first person waiting, who is returned
    /// (to be told). `Ok(None)` too when nothing was promoted; `false` in the pair when the
    /// registration was already cancelled.
    pub async fn cancel_registration(
        &self,
        id: &str,
        capacity: Option<u32>,
    ) -> Result<(bool, Option<Registration>)> {
        let sql = format!(
            "SELECT {REGISTRATION_COLUMNS} FROM registrations WHERE workshop_id = $1 AND status = 'en_attente' ORDER BY position LIMIT 1"
        );
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let workshop_id: Option<String> = sqlx::query_scalar("SELECT workshop_id FROM registrations WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(workshop_id) = workshop_id else {
                return Ok((false, None));
            };
            sqlx::query("UPDATE workshops SET title = title WHERE id = $1")
                .bind(&workshop_id)
                .execute(&mut *tx)
                .await?;
            let done = sqlx::query("UPDATE registrations SET status = 'annule' WHERE id = $1 AND status <> 'annule'")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                return Ok((false, None));
            }
            let registered: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM registrations WHERE workshop_id = $1 AND status = 'inscrit'")
                .bind(&workshop_id)
                .fetch_one(&mut *tx)
                .await?;
            let mut promoted = None;
            if status_for_new(capacity, u32::try_from(registered).unwrap_or(u32::MAX))
                == RegistrationStatus::Registered
            {
                let next = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(&workshop_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                if let Some(row) = next {
                    let mut r = decode_registration(&row)?;
                    sqlx::query("UPDATE registrations SET status = 'inscrit' WHERE id = $1")
                        .bind(&r.id)
                        .execute(&mut *tx)
                        .await?;
                    r.status = RegistrationStatus::Registered;
                    promoted = Some(r);
                }
            }
            tx.commit().await?;
            Ok((true, promoted))
        })
    }

    /// Attendance taken by the organiser.
    pub async fn set_attendance(&self, id: &str, attended: bool) -> Result<bool> {
        on_pool!(self, pool => {
            let done = sqlx::query("UPDATE registrations SET attended = $2 WHERE id = $1 AND status = 'inscrit'")
                .bind(id)
                .bind(if attended { "oui" } else { "non" })
                .execute(pool)
                .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Records that the person was reminded of this session.
    pub async fn set_reminded(&self, id: &str, session: &str) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query("UPDATE registrations SET reminded_for = $2 WHERE id = $1")
                .bind(id)
                .bind(session)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Erases registrations of workshops ended before `day`.
    pub async fn purge_registrations(&self, day: &str) -> Result<u64> {
        on_pool!(self, pool => {
            let done = sqlx::query("DELETE FROM registrations WHERE workshop_id IN (SELECT id FROM workshops WHERE last_day < $1)")
                .bind(day)
                .execute(pool)
                .await?;
            Ok(done.rows_affected())
        })
    }
}
