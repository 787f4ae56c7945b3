//! Mandates, habilitations and their journal (issue #19). Every change of a mandate and every
//! act under it writes its journal line in the same transaction; the journal is append-only on
//! both databases (triggers of migration 0017 refuse any update or delete) and hash-chained
//! (`maillage_domain::mandates::line_hash`). Appends are serialised: SQLite's write transaction
//! is exclusive, PostgreSQL's takes the journal's lock first.

use maillage_domain::mandates::{GENESIS, JournalEvent, JournalLine, line_hash};
use maillage_domain::vocab::Vocabulary;
use sqlx::Row;

use crate::{BeginWrite, Result, Store, StoreError, corrupt, new_id, now, on_pool};

/// A habilitation as stored, with its history (a withdrawn or lapsed one stays).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredHabilitation {
    pub id: String,
    pub organisation_id: String,
    pub user_id: String,
    pub trained_on: String,
    pub granted_by: Option<String>,
    pub granted_at: String,
    pub last_used_at: Option<String>,
    pub withdrawn_at: Option<String>,
    pub withdrawn_by: Option<String>,
}

/// A mandate to record. The person is a followed person of the structure, or is created with
/// it (same transaction).
#[derive(Debug, Clone)]
pub struct NewMandate<'a> {
    pub organisation_id: &'a str,
    pub person_id: Option<&'a str>,
    /// The followed person to create when `person_id` is `None`: pseudonym (the name), contact.
    pub new_person: Option<(&'a str, Option<&'a str>)>,
    pub person_name: &'a str,
    pub contact: Option<&'a str>,
    pub helper_id: &'a str,
    /// A slug of `ConsentMode`.
    pub consent_mode: &'a str,
    /// The person agreed now (on paper, on the screen); `false`: waiting for the link.
    pub consented: bool,
    pub duration: &'a str,
    pub starts_on: &'a str,
    pub last_day: &'a str,
    pub text_version: u32,
    pub text: &'a str,
    /// The fingerprint needs the mandate's id: computed by the caller from it.
    pub id: &'a str,
    pub fingerprint: &'a str,
    pub demarches: &'a [&'a str],
    pub renewed_from: Option<&'a str>,
    /// Sent with the form once: a second submission of the same form records nothing.
    pub form_key: Option<&'a str>,
    pub keep_until: &'a str,
    /// The person's link, created with the mandate: (token hash, expires at).
    pub link: Option<(&'a str, &'a str)>,
}

/// A mandate as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMandate {
    pub id: String,
    pub organisation_id: String,
    pub person_id: String,
    pub person_name: String,
    pub contact: Option<String>,
    pub helper_id: Option<String>,
    pub consent_mode: String,
    pub consented_at: Option<String>,
    pub duration: String,
    pub starts_on: String,
    pub last_day: String,
    pub text_version: u32,
    pub text: String,
    pub fingerprint: String,
    pub revoked_at: Option<String>,
    pub revoked_by: Option<String>,
    pub renewed_from: Option<String>,
    pub created_at: String,
    pub keep_until: String,
    /// Démarche slugs with the time a newer mandate took them over, if it did.
    pub demarches: Vec<(String, Option<String>)>,
}

/// An act done under a mandate.
#[derive(Debug, Clone)]
pub struct NewAct<'a> {
    pub organisation_id: &'a str,
    pub mandate_id: &'a str,
    pub demarche: &'a str,
    pub manner: &'a str,
    pub what: &'a str,
    pub helper_id: &'a str,
    /// SHA-256 of what the journal line proves (`maillage_domain::mandates::digest`).
    pub digest: &'a str,
}

/// An act as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAct {
    pub id: String,
    pub mandate_id: String,
    pub demarche: String,
    pub manner: String,
    pub what: String,
    pub helper_id: Option<String>,
    pub at: String,
    pub journal_seq: i64,
}

/// A line to append (the store numbers and chains it).
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    pub event: JournalEvent,
    pub organisation_id: &'a str,
    pub mandate_id: Option<&'a str>,
    pub actor_id: Option<&'a str>,
    pub demarche: Option<&'a str>,
    pub detail_digest: Option<&'a str>,
}

const MANDATE_COLUMNS: &str = "id, organisation_id, person_id, person_name, contact, helper_id, consent_mode, consented_at, duration, starts_on, last_day, text_version, text, fingerprint, revoked_at, revoked_by, renewed_from, created_at, keep_until";

/// Appends one line inside the transaction `$tx` (of a pool `$pool`), after taking the
/// journal's lock on PostgreSQL; evaluates to the line's number.
macro_rules! append {
    ($store:expr, $tx:expr, $entry:expr) => {{
        let entry: Entry<'_> = $entry;
        if matches!($store, Store::Postgres(_)) {
            sqlx::query("LOCK TABLE mandate_journal IN EXCLUSIVE MODE")
                .execute(&mut *$tx)
                .await?;
        }
        let last = sqlx::query("SELECT seq, hash FROM mandate_journal ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *$tx)
            .await?;
        let (seq, prev): (i64, String) = match last {
            Some(row) => (row.try_get::<i64, _>(0)? + 1, row.try_get(1)?),
            None => (1, GENESIS.to_string()),
        };
        let at = now();
        let demarche = entry
            .demarche
            .map(|d| {
                maillage_domain::mandates::Demarche::from_slug(d)
                    .ok_or_else(|| corrupt(format!("démarche inconnue {d}")))
            })
            .transpose()?;
        let hash = line_hash(
            &prev,
            seq,
            &at,
            entry.event,
            entry.organisation_id,
            entry.mandate_id,
            entry.actor_id,
            demarche,
            entry.detail_digest,
        );
        sqlx::query("INSERT INTO mandate_journal (seq, at, event, organisation_id, mandate_id, actor_id, demarche, detail_digest, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
            .bind(seq)
            .bind(&at)
            .bind(entry.event.slug())
            .bind(entry.organisation_id)
            .bind(entry.mandate_id)
            .bind(entry.actor_id)
            .bind(entry.demarche)
            .bind(entry.detail_digest)
            .bind(&prev)
            .bind(&hash)
            .execute(&mut *$tx)
            .await?;
        seq
    }};
}

/// Within a transaction: the démarches of mandate `$id` are taken over from the person's other
/// mandates of the structure that still cover them, each with its journal line.
macro_rules! take_over {
    ($store:expr, $tx:expr, $id:expr, $person_id:expr, $organisation_id:expr, $actor:expr, $at:expr) => {{
        let rows = sqlx::query("SELECT d.mandate_id, d.demarche FROM mandate_demarches d JOIN mandates m ON m.id = d.mandate_id WHERE m.person_id = $1 AND m.organisation_id = $2 AND m.id <> $3 AND m.revoked_at IS NULL AND d.replaced_at IS NULL AND d.demarche IN (SELECT demarche FROM mandate_demarches WHERE mandate_id = $3)")
            .bind($person_id)
            .bind($organisation_id)
            .bind($id)
            .fetch_all(&mut *$tx)
            .await?;
        for row in rows {
            let old: String = row.try_get(0)?;
            let demarche: String = row.try_get(1)?;
            sqlx::query("UPDATE mandate_demarches SET replaced_at = $3 WHERE mandate_id = $1 AND demarche = $2")
                .bind(&old)
                .bind(&demarche)
                .bind($at)
                .execute(&mut *$tx)
                .await?;
            append!($store, $tx, Entry {
                event: JournalEvent::Replaced,
                organisation_id: $organisation_id,
                mandate_id: Some(&old),
                actor_id: $actor,
                demarche: Some(&demarche),
                detail_digest: Some(&maillage_domain::mandates::digest($id)),
            });
        }
    }};
}

fn decode_mandate<R: Row>(row: &R) -> Result<StoredMandate>
where
    usize: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    Ok(StoredMandate {
        id: row.try_get(0)?,
        organisation_id: row.try_get(1)?,
        person_id: row.try_get(2)?,
        person_name: row.try_get(3)?,
        contact: row.try_get(4)?,
        helper_id: row.try_get(5)?,
        consent_mode: row.try_get(6)?,
        consented_at: row.try_get(7)?,
        duration: row.try_get(8)?,
        starts_on: row.try_get(9)?,
        last_day: row.try_get(10)?,
        text_version: u32::try_from(row.try_get::<i64, _>(11)?).map_err(corrupt)?,
        text: row.try_get(12)?,
        fingerprint: row.try_get(13)?,
        revoked_at: row.try_get(14)?,
        revoked_by: row.try_get(15)?,
        renewed_from: row.try_get(16)?,
        created_at: row.try_get(17)?,
        keep_until: row.try_get(18)?,
        demarches: Vec::new(),
    })
}

fn decode_habilitation<R: Row>(row: &R) -> Result<StoredHabilitation>
where
    usize: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    Ok(StoredHabilitation {
        id: row.try_get(0)?,
        organisation_id: row.try_get(1)?,
        user_id: row.try_get(2)?,
        trained_on: row.try_get(3)?,
        granted_by: row.try_get(4)?,
        granted_at: row.try_get(5)?,
        last_used_at: row.try_get(6)?,
        withdrawn_at: row.try_get(7)?,
        withdrawn_by: row.try_get(8)?,
    })
}

fn decode_act<R: Row>(row: &R) -> Result<StoredAct>
where
    usize: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    Ok(StoredAct {
        id: row.try_get(0)?,
        mandate_id: row.try_get(1)?,
        demarche: row.try_get(2)?,
        manner: row.try_get(3)?,
        what: row.try_get(4)?,
        helper_id: row.try_get(5)?,
        at: row.try_get(6)?,
        journal_seq: row.try_get(7)?,
    })
}

fn decode_line<R: Row>(row: &R) -> Result<JournalLine>
where
    usize: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let event: String = row.try_get(2)?;
    let demarche: Option<String> = row.try_get(6)?;
    Ok(JournalLine {
        seq: row.try_get(0)?,
        at: row.try_get(1)?,
        event: JournalEvent::from_slug(&event)
            .ok_or_else(|| corrupt(format!("événement du journal inconnu {event}")))?,
        organisation_id: row.try_get(3)?,
        mandate_id: row.try_get(4)?,
        actor_id: row.try_get(5)?,
        demarche: demarche
            .map(|d| {
                maillage_domain::mandates::Demarche::from_slug(&d)
                    .ok_or_else(|| corrupt(format!("démarche inconnue {d}")))
            })
            .transpose()?,
        detail_digest: row.try_get(7)?,
        prev_hash: row.try_get(8)?,
        hash: row.try_get(9)?,
    })
}

const HABILITATION_COLUMNS: &str = "id, organisation_id, user_id, trained_on, granted_by, granted_at, last_used_at, withdrawn_at, withdrawn_by";
const ACT_COLUMNS: &str = "id, mandate_id, demarche, manner, what, helper_id, at, journal_seq";
const LINE_COLUMNS: &str = "seq, at, event, organisation_id, mandate_id, actor_id, demarche, detail_digest, prev_hash, hash";

/// Lines read per query when the whole journal is verified.
const JOURNAL_PAGE: i64 = 5_000;

impl Store {
    // ---- habilitations ----

    /// Grants a habilitation (a new row: the history stays) and journals it.
    pub async fn grant_habilitation(
        &self,
        organisation_id: &str,
        user_id: &str,
        trained_on: &str,
        granted_by: &str,
    ) -> Result<String> {
        let id = new_id();
        let at = now();
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            // A new grant closes the previous one, if any is still open.
            sqlx::query("UPDATE habilitations SET withdrawn_at = $3, withdrawn_by = $4 WHERE organisation_id = $1 AND user_id = $2 AND withdrawn_at IS NULL")
                .bind(organisation_id)
                .bind(user_id)
                .bind(&at)
                .bind(granted_by)
                .execute(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO habilitations (id, organisation_id, user_id, trained_on, granted_by, granted_at) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(&id)
                .bind(organisation_id)
                .bind(user_id)
                .bind(trained_on)
                .bind(granted_by)
                .bind(&at)
                .execute(&mut *tx)
                .await?;
            append!(self, tx, Entry {
                event: JournalEvent::HabilitationGranted,
                organisation_id,
                mandate_id: None,
                actor_id: Some(granted_by),
                demarche: None,
                detail_digest: Some(&maillage_domain::mandates::digest(user_id)),
            });
            tx.commit().await?;
        });
        Ok(id)
    }

    /// Withdraws a habilitation still in force; `false` when there was none.
    pub async fn withdraw_habilitation(
        &self,
        organisation_id: &str,
        user_id: &str,
        by: &str,
    ) -> Result<bool> {
        let at = now();
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query("UPDATE habilitations SET withdrawn_at = $3, withdrawn_by = $4 WHERE organisation_id = $1 AND user_id = $2 AND withdrawn_at IS NULL")
                .bind(organisation_id)
                .bind(user_id)
                .bind(&at)
                .bind(by)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                return Ok(false);
            }
            append!(self, tx, Entry {
                event: JournalEvent::HabilitationWithdrawn,
                organisation_id,
                mandate_id: None,
                actor_id: Some(by),
                demarche: None,
                detail_digest: Some(&maillage_domain::mandates::digest(user_id)),
            });
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Every habilitation of a structure, the newest first (the grant history).
    pub async fn habilitations_of(&self, organisation_id: &str) -> Result<Vec<StoredHabilitation>> {
        let sql = format!(
            "SELECT {HABILITATION_COLUMNS} FROM habilitations WHERE organisation_id = $1 ORDER BY granted_at DESC, id DESC"
        );
        on_pool!(self, pool => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(organisation_id).fetch_all(pool).await?;
            rows.iter().map(decode_habilitation).collect()
        })
    }

    /// A helper's habilitation in force for a structure (not withdrawn; lapse is the domain's
    /// rule).
    pub async fn habilitation(
        &self,
        organisation_id: &str,
        user_id: &str,
    ) -> Result<Option<StoredHabilitation>> {
        let sql = format!(
            "SELECT {HABILITATION_COLUMNS} FROM habilitations WHERE organisation_id = $1 AND user_id = $2 AND withdrawn_at IS NULL ORDER BY granted_at DESC LIMIT 1"
        );
        on_pool!(self, pool => {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(organisation_id).bind(user_id).fetch_optional(pool).await?;
            row.as_ref().map(decode_habilitation).transpose()
        })
    }

    /// The démarches a structure offers mandates for (empty: all).
    pub async fn mandate_offers(&self, organisation_id: &str) -> Result<Vec<String>> {
        on_pool!(self, pool => {
            let rows = sqlx::query("SELECT demarche FROM mandate_offers WHERE organisation_id = $1 ORDER BY demarche")
                .bind(organisation_id)
                .fetch_all(pool)
                .await?;
            rows.iter().map(|r| Ok(r.try_get::<String, _>(0)?)).collect()
        })
    }

    /// Sets the démarches a structure offers (empty: all).
    pub async fn set_mandate_offers(
        &self,
        organisation_id: &str,
        demarches: &[&str],
    ) -> Result<()> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("DELETE FROM mandate_offers WHERE organisation_id = $1")
                .bind(organisation_id)
                .execute(&mut *tx)
                .await?;
            for d in demarches {
                sqlx::query("INSERT INTO mandate_offers (organisation_id, demarche) VALUES ($1, $2)")
                    .bind(organisation_id)
                    .bind(d)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    // ---- mandates ----

    /// Records a mandate with its démarches (and its person and link when new), takes its
    /// démarches over from the person's other mandates when the person agreed now, marks the
    /// helper's habilitation used, and journals it — all or nothing. A form sent twice
    /// (`form_key` already used) is a conflict naming the mandate recorded the first time.
    pub async fn create_mandate(&self, m: &NewMandate<'_>) -> Result<()> {
        let at = now();
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            if let Some(key) = m.form_key {
                let seen = sqlx::query("SELECT id FROM mandates WHERE form_key = $1")
                    .bind(key)
                    .fetch_optional(&mut *tx)
                    .await?;
                if let Some(row) = seen {
                    let id: String = row.try_get(0)?;
                    return Err(StoreError::Conflict(id));
                }
            }
            let person_id = match (m.person_id, m.new_person) {
                (Some(id), _) => id.to_string(),
                (None, Some((pseudonym, contact))) => {
                    let id = new_id();
                    sqlx::query("INSERT INTO persons (id, organisation_id, pseudonym, contact, consent_at, consent_by, created_at, keep_until) VALUES ($1, $2, $3, $4, $5, $6, $5, $7)")
                        .bind(&id)
                        .bind(m.organisation_id)
                        .bind(pseudonym)
                        .bind(contact)
                        .bind(&at)
                        .bind(m.helper_id)
                        .bind(m.keep_until)
                        .execute(&mut *tx)
                        .await?;
                    id
                }
                (None, None) => return Err(corrupt("mandat sans personne")),
            };
            // The person is kept at least as long as their mandate.
            sqlx::query("UPDATE persons SET keep_until = $2 WHERE id = $1 AND keep_until < $2")
                .bind(&person_id)
                .bind(m.keep_until)
                .execute(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO mandates (id, organisation_id, person_id, person_name, contact, helper_id, consent_mode, consented_at, duration, starts_on, last_day, text_version, text, fingerprint, renewed_from, form_key, created_at, keep_until) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)")
                .bind(m.id)
                .bind(m.organisation_id)
                .bind(&person_id)
                .bind(m.person_name)
                .bind(m.contact)
                .bind(m.helper_id)
                .bind(m.consent_mode)
                .bind(m.consented.then_some(at.as_str()))
                .bind(m.duration)
                .bind(m.starts_on)
                .bind(m.last_day)
                .bind(i64::from(m.text_version))
                .bind(m.text)
                .bind(m.fingerprint)
                .bind(m.renewed_from)
                .bind(m.form_key)
                .bind(&at)
                .bind(m.keep_until)
                .execute(&mut *tx)
                .await?;
            for d in m.demarches {
                sqlx::query("INSERT INTO mandate_demarches (mandate_id, demarche) VALUES ($1, $2)")
                    .bind(m.id)
                    .bind(d)
                    .execute(&mut *tx)
                    .await?;
            }
            if let Some((hash, expires_at)) = m.link {
                sqlx::query("INSERT INTO person_links (id, person_id, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
                    .bind(new_id())
                    .bind(&person_id)
                    .bind(hash)
                    .bind(&at)
                    .bind(expires_at)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query("UPDATE habilitations SET last_used_at = $3 WHERE organisation_id = $1 AND user_id = $2 AND withdrawn_at IS NULL")
                .bind(m.organisation_id)
                .bind(m.helper_id)
                .bind(&at)
                .execute(&mut *tx)
                .await?;
            append!(self, tx, Entry {
                event: if m.renewed_from.is_some() { JournalEvent::Renewed } else { JournalEvent::MandateCreated },
                organisation_id: m.organisation_id,
                mandate_id: Some(m.id),
                actor_id: Some(m.helper_id),
                demarche: None,
                detail_digest: Some(m.fingerprint),
            });
            if m.consented {
                take_over!(self, tx, m.id, &person_id, m.organisation_id, Some(m.helper_id), &at);
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// The person agreed through their link: the mandate becomes active, takes its démarches
    /// over from the person's older mandates, and the journal says so. `false` when it was no
    /// longer waiting.
    pub async fn consent_mandate(&self, mandate_id: &str) -> Result<bool> {
        let at = now();
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let row = sqlx::query("SELECT organisation_id, person_id FROM mandates WHERE id = $1 AND consented_at IS NULL AND revoked_at IS NULL")
                .bind(mandate_id)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(row) = row else { return Ok(false) };
            let organisation_id: String = row.try_get(0)?;
            let person_id: String = row.try_get(1)?;
            sqlx::query("UPDATE mandates SET consented_at = $2 WHERE id = $1")
                .bind(mandate_id)
                .bind(&at)
                .execute(&mut *tx)
                .await?;
            append!(self, tx, Entry {
                event: JournalEvent::ConsentGiven,
                organisation_id: &organisation_id,
                mandate_id: Some(mandate_id),
                actor_id: None,
                demarche: None,
                detail_digest: None,
            });
            take_over!(self, tx, mandate_id, &person_id, &organisation_id, None, &at);
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Revokes a mandate not yet revoked; `false` when it already was.
    pub async fn revoke_mandate(
        &self,
        mandate_id: &str,
        revoked_by: &str,
        actor_id: Option<&str>,
    ) -> Result<bool> {
        let at = now();
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let row = sqlx::query("SELECT organisation_id FROM mandates WHERE id = $1 AND revoked_at IS NULL")
                .bind(mandate_id)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(row) = row else { return Ok(false) };
            let organisation_id: String = row.try_get(0)?;
            sqlx::query("UPDATE mandates SET revoked_at = $2, revoked_by = $3 WHERE id = $1")
                .bind(mandate_id)
                .bind(&at)
                .bind(revoked_by)
                .execute(&mut *tx)
                .await?;
            append!(self, tx, Entry {
                event: JournalEvent::Revoked,
                organisation_id: &organisation_id,
                mandate_id: Some(mandate_id),
                actor_id,
                demarche: None,
                detail_digest: Some(&maillage_domain::mandates::digest(revoked_by)),
            });
            tx.commit().await?;
            Ok(true)
        })
    }

    pub async fn mandate(&self, id: &str) -> Result<Option<StoredMandate>> {
        let sql = format!("SELECT {MANDATE_COLUMNS} FROM mandates WHERE id = $1");
        let mandate = on_pool!(self, pool => {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await?;
            row.as_ref().map(decode_mandate).transpose()?
        });
        match mandate {
            Some(m) => Ok(self.with_demarches(vec![m]).await?.pop()),
            None => Ok(None),
        }
    }

    /// A structure's mandates, the newest first.
    pub async fn mandates_of_organisation(
        &self,
        organisation_id: &str,
    ) -> Result<Vec<StoredMandate>> {
        let sql = format!(
            "SELECT {MANDATE_COLUMNS} FROM mandates WHERE organisation_id = $1 ORDER BY created_at DESC, id DESC"
        );
        let list = on_pool!(self, pool => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(organisation_id).fetch_all(pool).await?;
            rows.iter().map(decode_mandate).collect::<Result<Vec<_>>>()?
        });
        self.with_demarches(list).await
    }

    /// Mandates in use whose last day falls between `from` and `to` (days, included) and that
    /// were not yet announced as ending, the soonest first.
    pub async fn mandates_ending(&self, from: &str, to: &str) -> Result<Vec<StoredMandate>> {
        let sql = format!(
            "SELECT {MANDATE_COLUMNS} FROM mandates WHERE revoked_at IS NULL AND consented_at IS NOT NULL AND expiry_warned_at IS NULL AND last_day >= $1 AND last_day <= $2 ORDER BY last_day, id"
        );
        let list = on_pool!(self, pool => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(from).bind(to).fetch_all(pool).await?;
            rows.iter().map(decode_mandate).collect::<Result<Vec<_>>>()?
        });
        self.with_demarches(list).await
    }

    /// Notes that a mandate's end was announced (it is not announced again).
    pub async fn set_expiry_warned(&self, mandate_id: &str, at: &str) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query("UPDATE mandates SET expiry_warned_at = $2 WHERE id = $1")
                .bind(mandate_id)
                .bind(at)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// A person's mandates, the newest first.
    pub async fn mandates_of_person(&self, person_id: &str) -> Result<Vec<StoredMandate>> {
        let sql = format!(
            "SELECT {MANDATE_COLUMNS} FROM mandates WHERE person_id = $1 ORDER BY created_at DESC, id DESC"
        );
        let list = on_pool!(self, pool => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(person_id).fetch_all(pool).await?;
            rows.iter().map(decode_mandate).collect::<Result<Vec<_>>>()?
        });
        self.with_demarches(list).await
    }

    async fn with_demarches(&self, mut list: Vec<StoredMandate>) -> Result<Vec<StoredMandate>> {
        for m in &mut list {
            m.demarches = on_pool!(self, pool => {
                let rows = sqlx::query("SELECT demarche, replaced_at FROM mandate_demarches WHERE mandate_id = $1 ORDER BY demarche")
                    .bind(&m.id)
                    .fetch_all(pool)
                    .await?;
                rows.iter()
                    .map(|r| Ok((r.try_get::<String, _>(0)?, r.try_get::<Option<String>, _>(1)?)))
                    .collect::<Result<Vec<_>>>()?
            });
        }
        Ok(list)
    }

    /// Records an act under a mandate with its journal line (which keeps the act's digest,
    /// not its text) and marks the helper's habilitation used.
    pub async fn record_act(&self, a: &NewAct<'_>) -> Result<String> {
        let id = new_id();
        let at = now();
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let seq = append!(self, tx, Entry {
                event: JournalEvent::Act,
                organisation_id: a.organisation_id,
                mandate_id: Some(a.mandate_id),
                actor_id: Some(a.helper_id),
                demarche: Some(a.demarche),
                detail_digest: Some(a.digest),
            });
            sqlx::query("INSERT INTO mandate_acts (id, mandate_id, demarche, manner, what, helper_id, at, journal_seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                .bind(&id)
                .bind(a.mandate_id)
                .bind(a.demarche)
                .bind(a.manner)
                .bind(a.what)
                .bind(a.helper_id)
                .bind(&at)
                .bind(seq)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE habilitations SET last_used_at = $3 WHERE organisation_id = $1 AND user_id = $2 AND withdrawn_at IS NULL")
                .bind(a.organisation_id)
                .bind(a.helper_id)
                .bind(&at)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        Ok(id)
    }

    /// Journals a line on its own (a refused use, an identity erased).
    pub async fn journal_entry(&self, entry: Entry<'_>) -> Result<i64> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let seq = append!(self, tx, entry);
            tx.commit().await?;
            Ok(seq)
        })
    }

    /// Acts under a person's mandates, the newest first.
    pub async fn acts_of_person(&self, person_id: &str) -> Result<Vec<StoredAct>> {
        let sql = "SELECT a.id, a.mandate_id, a.demarche, a.manner, a.what, a.helper_id, a.at, a.journal_seq FROM mandate_acts a JOIN mandates m ON m.id = a.mandate_id WHERE m.person_id = $1 ORDER BY a.at DESC, a.journal_seq DESC";
        on_pool!(self, pool => {
            let rows = sqlx::query(sql).bind(person_id).fetch_all(pool).await?;
            rows.iter().map(decode_act).collect()
        })
    }

    /// Acts under one mandate, the newest first.
    pub async fn acts_of_mandate(&self, mandate_id: &str) -> Result<Vec<StoredAct>> {
        let sql = format!(
            "SELECT {ACT_COLUMNS} FROM mandate_acts WHERE mandate_id = $1 ORDER BY at DESC, journal_seq DESC"
        );
        on_pool!(self, pool => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(mandate_id).fetch_all(pool).await?;
            rows.iter().map(decode_act).collect()
        })
    }

    /// Acts of a structure since a time, counted by manner (`avec`, `a-la-place`).
    pub async fn act_counts(&self, organisation_id: &str, since: &str) -> Result<(u64, u64)> {
        on_pool!(self, pool => {
            let rows = sqlx::query("SELECT a.manner, COUNT(*) FROM mandate_acts a JOIN mandates m ON m.id = a.mandate_id WHERE m.organisation_id = $1 AND a.at >= $2 GROUP BY a.manner")
                .bind(organisation_id)
                .bind(since)
                .fetch_all(pool)
                .await?;
            let mut counts = (0, 0);
            for r in rows {
                let manner: String = r.try_get(0)?;
                let n = u64::try_from(r.try_get::<i64, _>(1)?).map_err(corrupt)?;
                match manner.as_str() {
                    "avec" => counts.0 += n,
                    _ => counts.1 += n,
                }
            }
            Ok(counts)
        })
    }

    // ---- the person's link ----

    /// A new link for a person (the older ones stop working).
    pub async fn renew_person_link(
        &self,
        person_id: &str,
        hash: &str,
        expires_at: &str,
    ) -> Result<()> {
        let at = now();
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("UPDATE person_links SET revoked_at = $2 WHERE person_id = $1 AND revoked_at IS NULL")
                .bind(person_id)
                .bind(&at)
                .execute(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO person_links (id, person_id, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(new_id())
                .bind(person_id)
                .bind(hash)
                .bind(&at)
                .bind(expires_at)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// The person a link in force opens (by the link's hash).
    pub async fn person_of_link(&self, hash: &str, now: &str) -> Result<Option<String>> {
        on_pool!(self, pool => {
            let row = sqlx::query("SELECT person_id FROM person_links WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2")
                .bind(hash)
                .bind(now)
                .fetch_optional(pool)
                .await?;
            row.map(|r| r.try_get::<String, _>(0)).transpose().map_err(Into::into)
        })
    }

    // ---- the journal ----

    /// The whole journal in order, read a page at a time.
    pub async fn journal(&self) -> Result<Vec<JournalLine>> {
        let sql = format!(
            "SELECT {LINE_COLUMNS} FROM mandate_journal WHERE seq > $1 ORDER BY seq LIMIT $2"
        );
        let mut lines: Vec<JournalLine> = Vec::new();
        loop {
            let after = lines.last().map_or(0, |l| l.seq);
            let page = on_pool!(self, pool => {
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone())).bind(after).bind(JOURNAL_PAGE).fetch_all(pool).await?;
                rows.iter().map(decode_line).collect::<Result<Vec<_>>>()?
            });
            let done = (page.len() as i64) < JOURNAL_PAGE;
            lines.extend(page);
            if done {
                return Ok(lines);
            }
        }
    }

    /// The journal's lines of one mandate, oldest first.
    pub async fn journal_of_mandate(&self, mandate_id: &str) -> Result<Vec<JournalLine>> {
        let sql = format!(
            "SELECT {LINE_COLUMNS} FROM mandate_journal WHERE mandate_id = $1 ORDER BY seq"
        );
        on_pool!(self, pool => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(mandate_id).fetch_all(pool).await?;
            rows.iter().map(decode_line).collect()
        })
    }

    /// Before a person is erased: one journal line per mandate of theirs (the lines stay, with
    /// no identity in them; the mandates go with the person).
    pub async fn journal_erasure_of(&self, person_id: &str) -> Result<()> {
        for m in self.mandates_of_person(person_id).await? {
            self.unlink_activities(&m.id).await?;
            self.journal_entry(Entry {
                event: JournalEvent::IdentityErased,
                organisation_id: &m.organisation_id,
                mandate_id: Some(&m.id),
                actor_id: None,
                demarche: None,
                detail_digest: None,
            })
            .await?;
        }
        Ok(())
    }

    /// Activity records done under a mandate that goes no longer name it.
    async fn unlink_activities(&self, mandate_id: &str) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query("UPDATE activities SET mandate_id = NULL WHERE mandate_id = $1")
                .bind(mandate_id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Mandates kept past their date go (with their acts; their persons' other data follow
    /// their own delay), each with its journal line.
    pub async fn purge_mandates(&self, now: &str) -> Result<u64> {
        let due = on_pool!(self, pool => {
            let rows = sqlx::query("SELECT id, organisation_id FROM mandates WHERE keep_until < $1")
                .bind(now)
                .fetch_all(pool)
                .await?;
            rows.iter()
                .map(|r| Ok((r.try_get::<String, _>(0)?, r.try_get::<String, _>(1)?)))
                .collect::<Result<Vec<_>>>()?
        });
        let mut done = 0;
        for (id, organisation_id) in due {
            on_pool!(self, pool => {
                let mut tx = pool.begin_write().await?;
                sqlx::query("UPDATE activities SET mandate_id = NULL WHERE mandate_id = $1").bind(&id).execute(&mut *tx).await?;
                sqlx::query("DELETE FROM mandates WHERE id = $1").bind(&id).execute(&mut *tx).await?;
                append!(self, tx, Entry {
                    event: JournalEvent::IdentityErased,
                    organisation_id: &organisation_id,
                    mandate_id: Some(&id),
                    actor_id: None,
                    demarche: None,
                    detail_digest: None,
                });
                tx.commit().await?;
            });
            done += 1;
        }
        Ok(done)
    }
}
