//! A person's requests about their data (issue #19), and the erasure of a person across every
//! capability of a structure: their followed-person record (diagnostics, profile, mandates,
//! acts, link — the journal keeps its lines without identity), the referrals and journeys of the
//! structure that name them, the registrations to its workshops, the mandates under their name.

use sqlx::Row;

use crate::{BeginWrite, Result, Store, new_id, now, on_pool};

/// A request to record.
#[derive(Debug, Clone)]
pub struct NewRequest<'a> {
    pub organisation_id: &'a str,
    pub kind: &'a str,
    pub person_id: Option<&'a str>,
    pub person_name: Option<&'a str>,
    pub contact: Option<&'a str>,
    pub received_on: &'a str,
    pub due_on: &'a str,
    pub recorded_by: &'a str,
}

/// A request as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRequest {
    pub id: String,
    pub organisation_id: String,
    pub kind: String,
    pub person_id: Option<String>,
    pub person_name: Option<String>,
    pub contact: Option<String>,
    pub received_on: String,
    pub due_on: String,
    pub status: String,
    pub answer: Option<String>,
    pub recorded_by: Option<String>,
    pub handled_by: Option<String>,
    pub answered_at: Option<String>,
}

/// What an erasure removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Erased {
    /// Followed persons (with their diagnostics, mandates and acts).
    pub persons: usize,
    pub journeys: usize,
    pub registrations: usize,
}

const COLUMNS: &str = "id, organisation_id, kind, person_id, person_name, contact, received_on, due_on, status, answer, recorded_by, handled_by, answered_at";

fn decode<R: Row>(row: &R) -> Result<StoredRequest>
where
    usize: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    Ok(StoredRequest {
        id: row.try_get(0)?,
        organisation_id: row.try_get(1)?,
        kind: row.try_get(2)?,
        person_id: row.try_get(3)?,
        person_name: row.try_get(4)?,
        contact: row.try_get(5)?,
        received_on: row.try_get(6)?,
        due_on: row.try_get(7)?,
        status: row.try_get(8)?,
        answer: row.try_get(9)?,
        recorded_by: row.try_get(10)?,
        handled_by: row.try_get(11)?,
        answered_at: row.try_get(12)?,
    })
}

impl Store {
    pub async fn create_person_request(&self, r: &NewRequest<'_>) -> Result<String> {
        let id = new_id();
        on_pool!(self, pool => {
            sqlx::query("INSERT INTO person_requests (id, organisation_id, kind, person_id, person_name, contact, received_on, due_on, status, recorded_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'ouverte', $9)")
                .bind(&id)
                .bind(r.organisation_id)
                .bind(r.kind)
                .bind(r.person_id)
                .bind(r.person_name)
                .bind(r.contact)
                .bind(r.received_on)
                .bind(r.due_on)
                .bind(r.recorded_by)
                .execute(pool)
                .await?;
        });
        Ok(id)
    }

    pub async fn person_request(&self, id: &str) -> Result<Option<StoredRequest>> {
        let sql = format!("SELECT {COLUMNS} FROM person_requests WHERE id = $1");
        on_pool!(self, pool => {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await?;
            row.as_ref().map(decode).transpose()
        })
    }

    /// A structure's requests: open ones first (soonest due), then the answered, newest first.
    pub async fn person_requests_of(&self, organisation_id: &str) -> Result<Vec<StoredRequest>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM person_requests WHERE organisation_id = $1 ORDER BY CASE WHEN status = 'ouverte' THEN 0 ELSE 1 END, due_on, received_on DESC, id"
        );
        on_pool!(self, pool => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(organisation_id).fetch_all(pool).await?;
            rows.iter().map(decode).collect()
        })
    }

    /// Requests still open, per structure: (structure id, name, open, due before `today`,
    /// soonest due day), the soonest first. Counts only: no person in it.
    pub async fn open_request_deadlines(
        &self,
        today: &str,
    ) -> Result<Vec<(String, String, i64, i64, String)>> {
        on_pool!(self, pool => {
            let rows = sqlx::query("SELECT r.organisation_id, o.name, COUNT(*), SUM(CASE WHEN r.due_on < $1 THEN 1 ELSE 0 END), MIN(r.due_on) FROM person_requests r JOIN organisations o ON o.id = r.organisation_id WHERE r.status = 'ouverte' GROUP BY r.organisation_id, o.name ORDER BY MIN(r.due_on), o.name")
                .bind(today)
                .fetch_all(pool)
                .await?;
            rows.iter()
                .map(|r| {
                    Ok((
                        r.try_get(0)?,
                        r.try_get(1)?,
                        r.try_get(2)?,
                        r.try_get(3)?,
                        r.try_get(4)?,
                    ))
                })
                .collect()
        })
    }

    /// Records the answer to a request still open; `false` when it was answered already.
    /// `forget_identity`: the name and contact go (an erasure was done).
    pub async fn answer_person_request(
        &self,
        id: &str,
        status: &str,
        answer: &str,
        by: &str,
        keep_until: &str,
        forget_identity: bool,
    ) -> Result<bool> {
        on_pool!(self, pool => {
            let done = sqlx::query("UPDATE person_requests SET status = $2, answer = $3, handled_by = $4, answered_at = $5, keep_until = $6, person_name = CASE WHEN $7 THEN NULL ELSE person_name END, contact = CASE WHEN $7 THEN NULL ELSE contact END, person_id = CASE WHEN $7 THEN NULL ELSE person_id END WHERE id = $1 AND status = 'ouverte'")
                .bind(id)
                .bind(status)
                .bind(answer)
                .bind(by)
                .bind(now())
                .bind(keep_until)
                .bind(forget_identity)
                .execute(pool)
                .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Requests answered and kept past their date go.
    pub async fn purge_person_requests(&self, now: &str) -> Result<u64> {
        on_pool!(self, pool => {
            let done = sqlx::query("DELETE FROM person_requests WHERE keep_until IS NOT NULL AND keep_until < $1")
                .bind(now)
                .execute(pool)
                .await?;
            Ok(done.rows_affected())
        })
    }

    /// The followed persons of a structure a request designates: the one named (and the persons
    /// its mandates were recorded for under the same full name or contact); without one named,
    /// those whose pseudonym or contact is the one given. A pseudonym is often a first name
    /// alone: it designates nobody once a followed person is named.
    pub async fn persons_designated(
        &self,
        organisation_id: &str,
        person_id: Option<&str>,
        name: Option<&str>,
        contact: Option<&str>,
    ) -> Result<Vec<String>> {
        on_pool!(self, pool => {
            let rows = sqlx::query("SELECT id FROM persons WHERE organisation_id = $1 AND (id = $2 OR ($2 IS NULL AND (pseudonym = $3 OR contact = $4)) OR id IN (SELECT person_id FROM mandates WHERE organisation_id = $1 AND (person_name = $3 OR contact = $4))) ORDER BY id")
                .bind(organisation_id)
                .bind(person_id)
                .bind(name)
                .bind(contact)
                .fetch_all(pool)
                .await?;
            rows.iter().map(|r| Ok(r.try_get::<String, _>(0)?)).collect()
        })
    }

    /// The journeys a structure takes part in that name the person: the same contact, or the same
    /// first name where no contact tells two persons apart.
    pub async fn journeys_designated(
        &self,
        organisation_id: &str,
        name: Option<&str>,
        contact: Option<&str>,
    ) -> Result<Vec<String>> {
        on_pool!(self, pool => {
            let rows = sqlx::query("SELECT j.id FROM journeys j WHERE j.anonymised_at IS NULL AND (j.contact = $3 OR (j.person_label = $2 AND ($3 IS NULL OR j.contact IS NULL))) AND (j.organisation_id = $1 OR EXISTS (SELECT 1 FROM referrals r WHERE r.journey_id = j.id AND (r.from_organisation_id = $1 OR r.to_organisation_id = $1))) ORDER BY j.id")
                .bind(organisation_id)
                .bind(name)
                .bind(contact)
                .fetch_all(pool)
                .await?;
            rows.iter().map(|r| Ok(r.try_get::<String, _>(0)?)).collect()
        })
    }

    /// Erases a person across the structure's capabilities (see the module's documentation).
    pub async fn erase_person_everywhere(
        &self,
        organisation_id: &str,
        person_id: Option<&str>,
        name: Option<&str>,
        contact: Option<&str>,
    ) -> Result<Erased> {
        let mut erased = Erased::default();
        for id in self
            .persons_designated(organisation_id, person_id, name, contact)
            .await?
        {
            if self.delete_person(&id).await? {
                erased.persons += 1;
            }
        }
        for journey in self
            .journeys_designated(organisation_id, name, contact)
            .await?
        {
            self.erase_journey_person(&journey).await?;
            erased.journeys += 1;
        }
        erased.registrations = on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query("DELETE FROM registrations WHERE workshop_id IN (SELECT id FROM workshops WHERE organisation_id = $1) AND (contact = $3 OR (pseudonym = $2 AND ($3 IS NULL OR contact IS NULL)))")
                .bind(organisation_id)
                .bind(name)
                .bind(contact)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            usize::try_from(done.rows_affected()).unwrap_or(usize::MAX)
        });
        Ok(erased)
    }
}
