//! Referrals and journeys: each referral with its history of events, the person's minimal data
//! on the journey, single-use links stored as hashes, transitions applied only from the status
//! they were decided on (two answers at once cannot both win), and erasure of personal data.

use maillage_domain::referrals::{Consent, DeclineReason, Outcome, ReferralStatus};
use maillage_domain::vocab::Vocabulary;
use sqlx::Row;

use crate::BeginWrite;
use crate::{Result, Store, corrupt, new_id, now, on_pool};

/// The version of the text a person agrees to for an orientation (`maillage_domain::consent`):
/// the one the pages show today.
fn referral_consent_version() -> i64 {
    i64::from(
        maillage_domain::consent::Purpose::Referral
            .current()
            .version,
    )
}

/// What is shared with the receiving organisation, beside the person's first name and contact.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Shared {
    /// The person's level (slug), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    /// Constraints in words (« sans ordinateur ; libre le mardi matin »).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constraints: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A referral to record.
#[derive(Debug, Clone)]
pub struct NewReferral {
    /// Continue this journey (a referral onward), or start one.
    pub journey_id: Option<String>,
    pub person_label: String,
    pub contact: Option<String>,
    pub from_organisation_id: String,
    pub from_user_id: Option<String>,
    pub to_organisation_id: Option<String>,
    pub to_place_id: Option<String>,
    pub to_name: String,
    pub to_email: Option<String>,
    pub request_id: Option<String>,
    pub request_title: String,
    pub shared: Shared,
    pub consent: Consent,
    pub status: ReferralStatus,
    /// Who did it, in words, for the history (« Aidant de la Médiathèque »).
    pub actor: String,
}

/// A referral as stored, with its journey's person data.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredReferral {
    pub id: String,
    pub journey_id: String,
    /// `None` once erased (withdrawal, retention).
    pub person_label: Option<String>,
    pub contact: Option<String>,
    pub from_organisation_id: Option<String>,
    pub from_user_id: Option<String>,
    pub to_organisation_id: Option<String>,
    pub to_place_id: Option<String>,
    pub to_name: String,
    pub to_email: Option<String>,
    pub request_id: Option<String>,
    pub request_title: String,
    pub shared: Shared,
    pub consent: Consent,
    pub consent_at: Option<String>,
    pub status: ReferralStatus,
    pub decline_reason: Option<DeclineReason>,
    pub better_partner: Option<String>,
    pub outcome: Option<Outcome>,
    pub link_purpose: Option<String>,
    pub link_expires_at: Option<String>,
    pub sent_at: Option<String>,
    pub last_message_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub closed_at: Option<String>,
}

/// An organisation's part in a journey, and the journey's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JourneyParticipation {
    /// The organisation started the journey, or sent or received one of its referrals.
    pub takes_part: bool,
    pub closed: bool,
    /// The person's data were erased.
    pub erased: bool,
}

/// One event of a referral's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferralEvent {
    pub at: String,
    pub status: ReferralStatus,
    pub actor: String,
    pub detail: Option<String>,
}

/// A change of status to apply.
#[derive(Debug, Clone)]
pub struct Transition<'a> {
    /// The status the decision was made on: the change applies only if it still holds.
    pub from: ReferralStatus,
    pub to: ReferralStatus,
    pub actor: &'a str,
    pub detail: Option<&'a str>,
    pub decline_reason: Option<DeclineReason>,
    pub better_partner: Option<&'a str>,
    pub outcome: Option<Outcome>,
}

macro_rules! referral_select {
    ($tail:literal) => {
        concat!(
            "SELECT r.id, r.journey_id, j.person_label, j.contact, r.from_organisation_id, r.from_user_id, ",
            "r.to_organisation_id, r.to_place_id, r.to_name, r.to_email, r.request_id, r.request_title, r.shared, ",
            "r.consent, r.consent_at, r.status, r.decline_reason, r.better_partner, r.outcome, r.link_purpose, ",
            "r.link_expires_at, r.sent_at, r.last_message_at, r.created_at, r.updated_at, r.closed_at ",
            "FROM referrals r JOIN journeys j ON j.id = r.journey_id ",
            $tail
        )
    };
}

fn decode<R: Row>(row: &R) -> Result<StoredReferral>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let shared: String = row.try_get("shared")?;
    let consent: String = row.try_get("consent")?;
    let status: String = row.try_get("status")?;
    let reason: Option<String> = row.try_get("decline_reason")?;
    let outcome: Option<String> = row.try_get("outcome")?;
    Ok(StoredReferral {
        id: row.try_get("id")?,
        journey_id: row.try_get("journey_id")?,
        person_label: row.try_get("person_label")?,
        contact: row.try_get("contact")?,
        from_organisation_id: row.try_get("from_organisation_id")?,
        from_user_id: row.try_get("from_user_id")?,
        to_organisation_id: row.try_get("to_organisation_id")?,
        to_place_id: row.try_get("to_place_id")?,
        to_name: row.try_get("to_name")?,
        to_email: row.try_get("to_email")?,
        request_id: row.try_get("request_id")?,
        request_title: row.try_get("request_title")?,
        shared: serde_json::from_str(&shared).map_err(corrupt)?,
        consent: serde_json::from_str(&consent).map_err(corrupt)?,
        consent_at: row.try_get("consent_at")?,
        status: ReferralStatus::from_slug(&status)
            .ok_or_else(|| corrupt(format!("statut d'orientation « {status} »")))?,
        decline_reason: reason.as_deref().and_then(DeclineReason::from_slug),
        better_partner: row.try_get("better_partner")?,
        outcome: outcome.as_deref().and_then(Outcome::from_slug),
        link_purpose: row.try_get("link_purpose")?,
        link_expires_at: row.try_get("link_expires_at")?,
        sent_at: row.try_get("sent_at")?,
        last_message_at: row.try_get("last_message_at")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        closed_at: row.try_get("closed_at")?,
    })
}

impl Store {
    /// Records a referral (and its journey when it starts one) with its first event, in one
    /// transaction; returns its id.
    pub async fn create_referral(&self, r: &NewReferral) -> Result<String> {
        let id = new_id();
        let at = now();
        let shared = serde_json::to_string(&r.shared).map_err(corrupt)?;
        let consent = serde_json::to_string(&r.consent).map_err(corrupt)?;
        let sent = (r.status == ReferralStatus::Sent).then(|| at.clone());
        let consent_at = matches!(r.consent, Consent::Oral { .. }).then(|| at.clone());
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let journey_id = match &r.journey_id {
                Some(j) => {
                    sqlx::query("UPDATE journeys SET closed_at = NULL WHERE id = $1")
                        .bind(j)
                        .execute(&mut *tx)
                        .await?;
                    j.clone()
                }
                None => {
                    let j = new_id();
                    sqlx::query("INSERT INTO journeys (id, organisation_id, person_label, contact, created_at) VALUES ($1, $2, $3, $4, $5)")
                        .bind(&j)
                        .bind(&r.from_organisation_id)
                        .bind(&r.person_label)
                        .bind(&r.contact)
                        .bind(&at)
                        .execute(&mut *tx)
                        .await?;
                    j
                }
            };
            // The version of the text agreed to (maillage_domain::consent), once consent is given.
            sqlx::query("INSERT INTO referrals (id, journey_id, from_organisation_id, from_user_id, to_organisation_id, to_place_id, to_name, to_email, request_id, request_title, shared, consent, consent_at, status, sent_at, last_message_at, created_at, updated_at, consent_version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15, $16, $16, $17)")
                .bind(&id)
                .bind(&journey_id)
                .bind(&r.from_organisation_id)
                .bind(&r.from_user_id)
                .bind(&r.to_organisation_id)
                .bind(&r.to_place_id)
                .bind(&r.to_name)
                .bind(&r.to_email)
                .bind(&r.request_id)
                .bind(&r.request_title)
                .bind(&shared)
                .bind(&consent)
                .bind(&consent_at)
                .bind(r.status.slug())
                .bind(&sent)
                .bind(&at)
                .bind(consent_at.as_ref().map(|_| referral_consent_version()))
                .execute(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO referral_events (id, referral_id, at, status, actor, detail) VALUES ($1, $2, $3, $4, $5, NULL)")
                .bind(new_id())
                .bind(&id)
                .bind(&at)
                .bind(r.status.slug())
                .bind(&r.actor)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(id)
        })
    }

    pub async fn referral(&self, id: &str) -> Result<Option<StoredReferral>> {
        on_pool!(self, pool => {
            let row = sqlx::query(referral_select!("WHERE r.id = $1"))
                .bind(id)
                .fetch_optional(pool)
                .await?;
            row.as_ref().map(decode).transpose()
        })
    }

    /// Referrals sent or received by an organisation, newest first.
    pub async fn referrals_of(&self, organisation_id: &str) -> Result<Vec<StoredReferral>> {
        on_pool!(self, pool => {
            let rows = sqlx::query(referral_select!("WHERE r.from_organisation_id = $1 OR r.to_organisation_id = $1 ORDER BY r.created_at DESC, r.id DESC"))
                .bind(organisation_id)
                .fetch_all(pool)
                .await?;
            rows.iter().map(decode).collect()
        })
    }

    /// The referrals of a journey, oldest first.
    pub async fn journey(&self, journey_id: &str) -> Result<Vec<StoredReferral>> {
        on_pool!(self, pool => {
            let rows = sqlx::query(referral_select!("WHERE r.journey_id = $1 ORDER BY r.created_at, r.id"))
                .bind(journey_id)
                .fetch_all(pool)
                .await?;
            rows.iter().map(decode).collect()
        })
    }

    /// Every referral (statuses, organisations and dates: the coordinators' flows read these,
    /// never the person's data).
    pub async fn all_referrals(&self) -> Result<Vec<StoredReferral>> {
        on_pool!(self, pool => {
            let rows = sqlx::query(referral_select!("ORDER BY r.created_at, r.id"))
                .fetch_all(pool)
                .await?;
            rows.iter().map(decode).collect()
        })
    }

    pub async fn referral_events(&self, id: &str) -> Result<Vec<ReferralEvent>> {
        on_pool!(self, pool => {
            let rows = sqlx::query("SELECT at, status, actor, detail FROM referral_events WHERE referral_id = $1 ORDER BY at, id")
                .bind(id)
                .fetch_all(pool)
                .await?;
            rows.iter()
                .map(|row| {
                    let status: String = row.try_get("status")?;
                    Ok(ReferralEvent {
                        at: row.try_get("at")?,
                        status: ReferralStatus::from_slug(&status)
                            .ok_or_else(|| corrupt(format!("statut « {status} »")))?,
                        actor: row.try_get("actor")?,
                        detail: row.try_get("detail")?,
                    })
                })
                .collect()
        })
    }

    /// Applies a transition if the referral is still in the status it was decided on; records
    /// the event; closes the journey when no referral of it is still open. `false` when the
    /// status changed meanwhile (nothing written).
    pub async fn apply_referral(&self, id: &str, t: &Transition<'_>) -> Result<bool> {
        let at = now();
        let closes = t.to.is_final();
        let consent_confirmed =
            t.from == ReferralStatus::AwaitingConsent && t.to == ReferralStatus::Sent;
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query("UPDATE referrals SET status = $1, updated_at = $2, decline_reason = COALESCE($3, decline_reason), better_partner = COALESCE($4, better_partner), outcome = COALESCE($5, outcome), closed_at = CASE WHEN $6 THEN $2 ELSE closed_at END, sent_at = CASE WHEN $7 THEN $2 ELSE sent_at END, last_message_at = CASE WHEN $7 THEN $2 ELSE last_message_at END, consent_at = CASE WHEN $7 THEN $2 ELSE consent_at END, consent_version = CASE WHEN $7 THEN $10 ELSE consent_version END WHERE id = $8 AND status = $9")
                .bind(t.to.slug())
                .bind(&at)
                .bind(t.decline_reason.map(|r| r.slug()))
                .bind(t.better_partner)
                .bind(t.outcome.map(|o| o.slug()))
                .bind(closes)
                .bind(consent_confirmed)
                .bind(id)
                .bind(t.from.slug())
                .bind(referral_consent_version())
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                return Ok(false);
            }
            sqlx::query("INSERT INTO referral_events (id, referral_id, at, status, actor, detail) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(new_id())
                .bind(id)
                .bind(&at)
                .bind(t.to.slug())
                .bind(t.actor)
                .bind(t.detail)
                .execute(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO activity_changes (kind, ref_id, at) VALUES ('orientation', $1, $2)")
                .bind(id)
                .bind(&at)
                .execute(&mut *tx)
                .await?;
            // The journey closes when none of its referrals is still open.
            sqlx::query("UPDATE journeys SET closed_at = $1 WHERE id = (SELECT journey_id FROM referrals WHERE id = $2) AND closed_at IS NULL AND NOT EXISTS (SELECT 1 FROM referrals o WHERE o.journey_id = journeys.id AND o.status NOT IN ('cloturee', 'retiree', 'expiree'))")
                .bind(&at)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Issues a single-use link for a purpose (`reponse`, `accord`) until a date: returns the
    /// token to send; only its hash is kept (a new link replaces the previous one).
    pub async fn issue_referral_link(
        &self,
        id: &str,
        purpose: &str,
        expires_at: &str,
    ) -> Result<String> {
        let (token, hash) = crate::campaigns::new_token();
        on_pool!(self, pool => {
            sqlx::query("UPDATE referrals SET link_hash = $1, link_purpose = $2, link_expires_at = $3, last_message_at = $4 WHERE id = $5")
                .bind(&hash)
                .bind(purpose)
                .bind(expires_at)
                .bind(now())
                .bind(id)
                .execute(pool)
                .await?;
            Ok(token)
        })
    }

    /// The referral a link opens, with the link's purpose and expiry (checked by the caller).
    pub async fn referral_by_link(&self, token: &str) -> Result<Option<StoredReferral>> {
        let hash = crate::campaigns::token_hash(token);
        on_pool!(self, pool => {
            let row = sqlx::query(referral_select!("WHERE r.link_hash = $1"))
                .bind(&hash)
                .fetch_optional(pool)
                .await?;
            row.as_ref().map(decode).transpose()
        })
    }

    /// Forgets a used link.
    pub async fn clear_referral_link(&self, id: &str) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query("UPDATE referrals SET link_hash = NULL, link_purpose = NULL, link_expires_at = NULL WHERE id = $1")
                .bind(id)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// Notes that a message (a reminder) went to the receiver now.
    pub async fn touch_referral(&self, id: &str) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query("UPDATE referrals SET last_message_at = $1 WHERE id = $2")
                .bind(now())
                .bind(id)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// Erases what a journey holds about the person: their first name and contact, and what
    /// each referral shared (consent withdrawn, or retention reached). Statuses and dates stay.
    pub async fn erase_journey_person(&self, journey_id: &str) -> Result<()> {
        let at = now();
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("UPDATE journeys SET person_label = NULL, contact = NULL, anonymised_at = $1 WHERE id = $2")
                .bind(&at)
                .bind(journey_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE referrals SET shared = '{}', link_hash = NULL, link_purpose = NULL, link_expires_at = NULL, to_email = CASE WHEN to_organisation_id IS NULL THEN to_email ELSE NULL END WHERE journey_id = $1")
                .bind(journey_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE referral_events SET detail = NULL WHERE referral_id IN (SELECT id FROM referrals WHERE journey_id = $1)")
                .bind(journey_id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Whether an organisation takes part in a journey (started it, or sent or received one of
    /// its referrals), with the journey's state: `None` when there is no such journey.
    pub async fn journey_participation(
        &self,
        journey_id: &str,
        organisation_id: &str,
    ) -> Result<Option<JourneyParticipation>> {
        on_pool!(self, pool => {
            let row = sqlx::query("SELECT j.closed_at, j.anonymised_at, (j.organisation_id = $2 OR EXISTS (SELECT 1 FROM referrals r WHERE r.journey_id = j.id AND (r.from_organisation_id = $2 OR r.to_organisation_id = $2))) AS takes_part FROM journeys j WHERE j.id = $1")
                .bind(journey_id)
                .bind(organisation_id)
                .fetch_optional(pool)
                .await?;
            row.map(|row| {
                let closed: Option<String> = row.try_get("closed_at")?;
                let erased: Option<String> = row.try_get("anonymised_at")?;
                let takes_part: Option<bool> = row.try_get("takes_part")?;
                Ok(JourneyParticipation {
                    takes_part: takes_part.unwrap_or(false),
                    closed: closed.is_some(),
                    erased: erased.is_some(),
                })
            })
            .transpose()
        })
    }

    /// The person withdrew their consent to one referral: what it shared and its link are
    /// erased; the journey's own data (first name, contact) are erased too when no referral of
    /// the journey still holds the person's consent (every one withdrawn), so that a referral
    /// withdrawn onward never erases what another structure legitimately holds.
    pub async fn erase_referral_share(&self, referral_id: &str) -> Result<()> {
        let at = now();
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("UPDATE referrals SET shared = '{}', link_hash = NULL, link_purpose = NULL, link_expires_at = NULL, to_email = CASE WHEN to_organisation_id IS NULL THEN to_email ELSE NULL END WHERE id = $1")
                .bind(referral_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE referral_events SET detail = NULL WHERE referral_id = $1")
                .bind(referral_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE journeys SET person_label = NULL, contact = NULL, anonymised_at = $1 WHERE id = (SELECT journey_id FROM referrals WHERE id = $2) AND anonymised_at IS NULL AND NOT EXISTS (SELECT 1 FROM referrals o WHERE o.journey_id = journeys.id AND o.status <> 'retiree')")
                .bind(&at)
                .bind(referral_id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Journeys whose person data are still there and are due for erasure: closed before this
    /// date, or with no change to any of their referrals since this date (a journey left open —
    /// taken in charge and never closed — is not kept for ever).
    pub async fn journeys_due_for_erasure(&self, closed_before: &str) -> Result<Vec<String>> {
        on_pool!(self, pool => {
            let rows = sqlx::query("SELECT id FROM journeys WHERE anonymised_at IS NULL AND ((closed_at IS NOT NULL AND closed_at < $1) OR NOT EXISTS (SELECT 1 FROM referrals r WHERE r.journey_id = journeys.id AND r.updated_at >= $1))")
                .bind(closed_before)
                .fetch_all(pool)
                .await?;
            rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
        })
    }
}
