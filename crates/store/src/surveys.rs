//! Network surveys (issue #20): the surveys, their personal links (stored as SHA-256 hashes
//! only), the answers (JSON) and the exchanges of equipment the coordinator follows.

use maillage_domain::Place;
use maillage_domain::surveys::{Answers, ExchangeStatus, SurveyKind};
use sqlx::Row;

use crate::campaigns::{new_token, token_hash};
use crate::{BeginWrite, Result, Store, corrupt, new_id, on_pool};

/// A survey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Survey {
    pub id: String,
    pub kind: SurveyKind,
    pub title: String,
    /// What was asked, in French (« Meurthe-et-Moselle · 54 lieux »).
    pub scope: String,
    pub created_by: Option<String>,
    pub created_at: String,
    /// The last day its links take answers (`AAAA-MM-JJ`).
    pub closes_on: String,
    pub closed_at: Option<String>,
}

/// What starts a survey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSurvey {
    pub kind: SurveyKind,
    pub title: String,
    pub scope: String,
    pub closes_on: String,
}

/// One place asked, and where its link goes (`None`: no address, the link is made later).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInvitation {
    pub place_id: String,
    pub email: Option<String>,
}

/// An invitation created with its link (`token` only when there is an address to send it to).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedInvitation {
    pub invitation_id: String,
    pub place_id: String,
    pub email: Option<String>,
    pub token: Option<String>,
}

/// A place asked by a survey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SurveyInvitation {
    pub id: String,
    pub survey_id: String,
    pub place_id: String,
    /// Erased with the survey's personal data.
    pub email: Option<String>,
    /// Whether a link works (a new one can be made, the old one then stops).
    pub has_link: bool,
    pub sent_at: Option<String>,
    /// Why sending failed.
    pub detail: Option<String>,
}

/// What a personal link opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SurveyLink {
    pub survey: Survey,
    pub invitation: SurveyInvitation,
}

/// Whether an answer changes its place's entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlaceUpdate {
    /// It describes nothing the entry does not already say (or it is the public's).
    None,
    /// It would change the entry: waiting for the structure.
    Pending,
    Confirmed,
    Dismissed,
}

impl PlaceUpdate {
    pub fn slug(self) -> &'static str {
        match self {
            PlaceUpdate::None => "aucune",
            PlaceUpdate::Pending => "a-confirmer",
            PlaceUpdate::Confirmed => "confirmee",
            PlaceUpdate::Dismissed => "ecartee",
        }
    }

    pub fn from_slug(s: &str) -> Option<Self> {
        [
            PlaceUpdate::None,
            PlaceUpdate::Pending,
            PlaceUpdate::Confirmed,
            PlaceUpdate::Dismissed,
        ]
        .into_iter()
        .find(|p| p.slug() == s)
    }
}

/// An answer to write.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSurveyAnswer {
    pub survey_id: String,
    pub place_id: String,
    /// `true` on a partners' survey: the place's previous answer is replaced.
    pub one_per_place: bool,
    /// `lien` (personal link) or `papier` (typed in by an account).
    pub source: &'static str,
    pub answers: Answers,
    pub entered_by: Option<String>,
    pub place_update: PlaceUpdate,
}

/// An answer as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSurveyAnswer {
    pub id: String,
    pub survey_id: String,
    pub place_id: String,
    pub source: String,
    pub answers: Answers,
    pub entered_by: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub place_update: PlaceUpdate,
}

/// An exchange of equipment the coordinator follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredExchange {
    pub id: String,
    pub survey_id: String,
    pub equipment: String,
    pub need_answer_id: String,
    pub offer_answer_id: String,
    pub status: ExchangeStatus,
    pub created_at: String,
    pub updated_at: String,
}

macro_rules! survey_columns {
    () => {
        "s.id, s.kind, s.title, s.scope, s.created_by, s.created_at, s.closes_on, s.closed_at"
    };
}
macro_rules! invitation_columns {
    () => {
        "i.id, i.survey_id, i.place_id, i.email, i.token_hash, i.sent_at, i.detail"
    };
}
macro_rules! answer_columns {
    () => {
        "a.id, a.survey_id, a.place_id, a.source, a.answers, a.entered_by, a.created_at, a.updated_at, a.place_update"
    };
}

fn decode_survey<R: Row>(row: &R) -> Result<Survey>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let kind: String = row.try_get("kind")?;
    Ok(Survey {
        id: row.try_get("id")?,
        kind: SurveyKind::from_slug(&kind).ok_or_else(|| corrupt(format!("enquête « {kind} »")))?,
        title: row.try_get("title")?,
        scope: row.try_get("scope")?,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
        closes_on: row.try_get("closes_on")?,
        closed_at: row.try_get("closed_at")?,
    })
}

fn decode_invitation<R: Row>(row: &R) -> Result<SurveyInvitation>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let hash: Option<String> = row.try_get("token_hash")?;
    Ok(SurveyInvitation {
        id: row.try_get("id")?,
        survey_id: row.try_get("survey_id")?,
        place_id: row.try_get("place_id")?,
        email: row.try_get("email")?,
        has_link: hash.is_some(),
        sent_at: row.try_get("sent_at")?,
        detail: row.try_get("detail")?,
    })
}

fn decode_answer<R: Row>(row: &R) -> Result<StoredSurveyAnswer>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let id: String = row.try_get("id")?;
    let json: String = row.try_get("answers")?;
    let update: String = row.try_get("place_update")?;
    Ok(StoredSurveyAnswer {
        answers: serde_json::from_str(&json).map_err(|e| corrupt(format!("réponse {id} : {e}")))?,
        id,
        survey_id: row.try_get("survey_id")?,
        place_id: row.try_get("place_id")?,
        source: row.try_get("source")?,
        entered_by: row.try_get("entered_by")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        place_update: PlaceUpdate::from_slug(&update)
            .ok_or_else(|| corrupt(format!("mise à jour « {update} »")))?,
    })
}

fn decode_exchange<R: Row>(row: &R) -> Result<StoredExchange>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let status: String = row.try_get("status")?;
    Ok(StoredExchange {
        id: row.try_get("id")?,
        survey_id: row.try_get("survey_id")?,
        equipment: row.try_get("equipment")?,
        need_answer_id: row.try_get("need_answer_id")?,
        offer_answer_id: row.try_get("offer_answer_id")?,
        status: ExchangeStatus::from_slug(&status)
            .ok_or_else(|| corrupt(format!("échange « {status} »")))?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn answers_json(answers: &Answers) -> Result<String> {
    serde_json::to_string(answers).map_err(|e| corrupt(format!("réponse : {e}")))
}

impl Store {
    /// Creates a survey and one invitation per place, each with a link when it has an address,
    /// in one transaction.
    pub async fn create_survey(
        &self,
        survey: &NewSurvey,
        created_by: Option<&str>,
        invitations: &[NewInvitation],
        now: &str,
    ) -> Result<(String, Vec<IssuedInvitation>)> {
        let id = new_id();
        let mut issued = Vec::with_capacity(invitations.len());
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("INSERT INTO surveys (id, kind, title, scope, created_by, created_at, closes_on) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(&id)
                .bind(survey.kind.slug())
                .bind(&survey.title)
                .bind(&survey.scope)
                .bind(created_by)
                .bind(now)
                .bind(&survey.closes_on)
                .execute(&mut *tx)
                .await?;
            for inv in invitations {
                let invitation_id = new_id();
                let (token, hash) = match inv.email {
                    Some(_) => {
                        let (t, h) = new_token();
                        (Some(t), Some(h))
                    }
                    None => (None, None),
                };
                sqlx::query("INSERT INTO survey_invitations (id, survey_id, place_id, email, token_hash) VALUES ($1, $2, $3, $4, $5)")
                    .bind(&invitation_id)
                    .bind(&id)
                    .bind(&inv.place_id)
                    .bind(&inv.email)
                    .bind(&hash)
                    .execute(&mut *tx)
                    .await?;
                issued.push(IssuedInvitation {
                    invitation_id,
                    place_id: inv.place_id.clone(),
                    email: inv.email.clone(),
                    token,
                });
            }
            tx.commit().await?;
        });
        Ok((id, issued))
    }

    /// Every survey, newest first.
    pub async fn surveys(&self) -> Result<Vec<Survey>> {
        let sql = concat!(
            "SELECT ",
            survey_columns!(),
            " FROM surveys s ORDER BY s.created_at DESC, s.id DESC"
        );
        on_pool!(self, pool => {
            let rows = sqlx::query(sql).fetch_all(pool).await?;
            rows.iter().map(decode_survey).collect()
        })
    }

    pub async fn survey(&self, id: &str) -> Result<Option<Survey>> {
        let sql = concat!(
            "SELECT ",
            survey_columns!(),
            " FROM surveys s WHERE s.id = $1"
        );
        on_pool!(self, pool => {
            let row = sqlx::query(sql).bind(id).fetch_optional(pool).await?;
            row.as_ref().map(decode_survey).transpose()
        })
    }

    /// The places a survey asked, in creation order.
    pub async fn survey_invitations(&self, survey_id: &str) -> Result<Vec<SurveyInvitation>> {
        let sql = concat!(
            "SELECT ",
            invitation_columns!(),
            " FROM survey_invitations i WHERE i.survey_id = $1 ORDER BY i.id"
        );
        on_pool!(self, pool => {
            let rows = sqlx::query(sql).bind(survey_id).fetch_all(pool).await?;
            rows.iter().map(decode_invitation).collect()
        })
    }

    /// What a personal link opens (`None`: no such link, or it was replaced).
    pub async fn survey_link(&self, token: &str) -> Result<Option<SurveyLink>> {
        let sql = concat!(
            "SELECT ",
            invitation_columns!(),
            " FROM survey_invitations i WHERE i.token_hash = $1"
        );
        let hash = token_hash(token);
        let invitation = on_pool!(self, pool => {
            let row = sqlx::query(sql).bind(&hash).fetch_optional(pool).await?;
            row.as_ref().map(decode_invitation).transpose()?
        });
        let Some(invitation) = invitation else {
            return Ok(None);
        };
        let survey = self
            .survey(&invitation.survey_id)
            .await?
            .ok_or_else(|| corrupt(format!("enquête {} sans ligne", invitation.survey_id)))?;
        Ok(Some(SurveyLink { survey, invitation }))
    }

    /// Notes that an invitation's message went (or why it did not).
    pub async fn set_invitation_sent(
        &self,
        id: &str,
        sent_at: Option<&str>,
        detail: Option<&str>,
    ) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query("UPDATE survey_invitations SET sent_at = COALESCE($2, sent_at), detail = $3 WHERE id = $1")
                .bind(id)
                .bind(sent_at)
                .bind(detail)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// A new link for an invitation (the previous one stops working); returned once.
    pub async fn renew_invitation_link(&self, id: &str) -> Result<Option<String>> {
        let (token, hash) = new_token();
        on_pool!(self, pool => {
            let done = sqlx::query("UPDATE survey_invitations SET token_hash = $2 WHERE id = $1")
                .bind(id)
                .bind(&hash)
                .execute(pool)
                .await?;
            Ok((done.rows_affected() > 0).then_some(token))
        })
    }

    /// Writes an answer; a partner's place answers once per survey (the previous answer is
    /// replaced, the same identifier kept). Returns the answer's identifier.
    pub async fn save_survey_answer(&self, answer: &NewSurveyAnswer, now: &str) -> Result<String> {
        let json = answers_json(&answer.answers)?;
        let key = answer
            .one_per_place
            .then(|| format!("{}:{}", answer.survey_id, answer.place_id));
        let id = new_id();
        on_pool!(self, pool => {
            let row = sqlx::query("INSERT INTO survey_answers (id, survey_id, place_id, place_key, source, answers, entered_by, created_at, updated_at, place_update) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9) \
                 ON CONFLICT (place_key) DO UPDATE SET source = excluded.source, answers = excluded.answers, entered_by = excluded.entered_by, updated_at = excluded.updated_at, place_update = excluded.place_update \
                 RETURNING id")
                .bind(&id)
                .bind(&answer.survey_id)
                .bind(&answer.place_id)
                .bind(&key)
                .bind(answer.source)
                .bind(&json)
                .bind(&answer.entered_by)
                .bind(now)
                .bind(answer.place_update.slug())
                .fetch_one(pool)
                .await?;
            Ok(row.try_get::<String, _>(0)?)
        })
    }

    /// A survey's answers, oldest first.
    pub async fn survey_answers(&self, survey_id: &str) -> Result<Vec<StoredSurveyAnswer>> {
        let sql = concat!(
            "SELECT ",
            answer_columns!(),
            " FROM survey_answers a WHERE a.survey_id = $1 ORDER BY a.created_at, a.id"
        );
        on_pool!(self, pool => {
            let rows = sqlx::query(sql).bind(survey_id).fetch_all(pool).await?;
            rows.iter().map(decode_answer).collect()
        })
    }

    pub async fn survey_answer(&self, id: &str) -> Result<Option<StoredSurveyAnswer>> {
        let sql = concat!(
            "SELECT ",
            answer_columns!(),
            " FROM survey_answers a WHERE a.id = $1"
        );
        on_pool!(self, pool => {
            let row = sqlx::query(sql).bind(id).fetch_optional(pool).await?;
            row.as_ref().map(decode_answer).transpose()
        })
    }

    /// A partner's answer for its place in a survey, if any.
    pub async fn survey_answer_of_place(
        &self,
        survey_id: &str,
        place_id: &str,
    ) -> Result<Option<StoredSurveyAnswer>> {
        let sql = concat!(
            "SELECT ",
            answer_columns!(),
            " FROM survey_answers a WHERE a.place_key = $1"
        );
        let key = format!("{survey_id}:{place_id}");
        on_pool!(self, pool => {
            let row = sqlx::query(sql).bind(&key).fetch_optional(pool).await?;
            row.as_ref().map(decode_answer).transpose()
        })
    }

    /// Answers whose changes wait for their structure, oldest first.
    pub async fn pending_survey_changes(&self) -> Result<Vec<StoredSurveyAnswer>> {
        let sql = concat!(
            "SELECT ",
            answer_columns!(),
            " FROM survey_answers a WHERE a.place_update = $1 ORDER BY a.updated_at, a.id"
        );
        on_pool!(self, pool => {
            let rows = sqlx::query(sql).bind(PlaceUpdate::Pending.slug()).fetch_all(pool).await?;
            rows.iter().map(decode_answer).collect()
        })
    }

    /// The structure said yes: the answer's changes applied to the place and the answer marked,
    /// in one transaction. `false` when the changes were already confirmed or set aside (nothing
    /// written).
    pub async fn confirm_survey_changes(
        &self,
        answer_id: &str,
        place: &Place,
        organisation_id: Option<&str>,
        now: &str,
    ) -> Result<bool> {
        let data = crate::directory::place_json(place)?;
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let claimed = sqlx::query("UPDATE survey_answers SET place_update = $2 WHERE id = $1 AND place_update = $3")
                .bind(answer_id)
                .bind(PlaceUpdate::Confirmed.slug())
                .bind(PlaceUpdate::Pending.slug())
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

    /// The structure said no: the answer stays, its changes are set aside.
    pub async fn dismiss_survey_changes(&self, answer_id: &str) -> Result<bool> {
        on_pool!(self, pool => {
            let done = sqlx::query("UPDATE survey_answers SET place_update = $2 WHERE id = $1 AND place_update = $3")
                .bind(answer_id)
                .bind(PlaceUpdate::Dismissed.slug())
                .bind(PlaceUpdate::Pending.slug())
                .execute(pool)
                .await?;
            Ok(done.rows_affected() > 0)
        })
    }

    /// Closes a survey: its links stop working. `false` when already closed.
    pub async fn close_survey(&self, id: &str, now: &str) -> Result<bool> {
        on_pool!(self, pool => {
            let done = sqlx::query("UPDATE surveys SET closed_at = $2 WHERE id = $1 AND closed_at IS NULL")
                .bind(id)
                .bind(now)
                .execute(pool)
                .await?;
            Ok(done.rows_affected() > 0)
        })
    }

    /// Starts following an exchange (once per need, giver and equipment).
    pub async fn create_exchange(
        &self,
        survey_id: &str,
        equipment: &str,
        need_answer_id: &str,
        offer_answer_id: &str,
        created_by: Option<&str>,
        now: &str,
    ) -> Result<String> {
        let id = new_id();
        on_pool!(self, pool => {
            let row = sqlx::query("INSERT INTO survey_exchanges (id, survey_id, equipment, need_answer_id, offer_answer_id, status, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
                 ON CONFLICT (need_answer_id, offer_answer_id, equipment) DO UPDATE SET updated_at = survey_exchanges.updated_at RETURNING id")
                .bind(&id)
                .bind(survey_id)
                .bind(equipment)
                .bind(need_answer_id)
                .bind(offer_answer_id)
                .bind(ExchangeStatus::Proposed.slug())
                .bind(created_by)
                .bind(now)
                .fetch_one(pool)
                .await?;
            Ok(row.try_get::<String, _>(0)?)
        })
    }

    /// A survey's exchanges, oldest first.
    pub async fn survey_exchanges(&self, survey_id: &str) -> Result<Vec<StoredExchange>> {
        on_pool!(self, pool => {
            let rows = sqlx::query("SELECT id, survey_id, equipment, need_answer_id, offer_answer_id, status, created_at, updated_at FROM survey_exchanges WHERE survey_id = $1 ORDER BY created_at, id")
                .bind(survey_id)
                .fetch_all(pool)
                .await?;
            rows.iter().map(decode_exchange).collect()
        })
    }

    /// Moves an exchange of this survey to a status. `false` when there is no such exchange in
    /// this survey.
    pub async fn set_exchange_status(
        &self,
        survey_id: &str,
        id: &str,
        status: ExchangeStatus,
        now: &str,
    ) -> Result<bool> {
        on_pool!(self, pool => {
            let done = sqlx::query("UPDATE survey_exchanges SET status = $3, updated_at = $4 WHERE id = $1 AND survey_id = $2")
                .bind(id)
                .bind(survey_id)
                .bind(status.slug())
                .bind(now)
                .execute(pool)
                .await?;
            Ok(done.rows_affected() > 0)
        })
    }

    /// Erases what surveys closed before `before` hold of persons: the addresses and links of
    /// their invitations, the referents and free texts of their answers (the choices stay).
    /// Returns how many surveys were purged.
    pub async fn purge_survey_contacts(&self, before: &str, now: &str) -> Result<u64> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM surveys WHERE closed_at IS NOT NULL AND closed_at < $1 AND purged_at IS NULL")
                .bind(before)
                .fetch_all(&mut *tx)
                .await?;
            for id in &ids {
                sqlx::query("UPDATE survey_invitations SET email = NULL, token_hash = NULL WHERE survey_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                let rows = sqlx::query("SELECT id, answers FROM survey_answers WHERE survey_id = $1")
                    .bind(id)
                    .fetch_all(&mut *tx)
                    .await?;
                for row in rows {
                    let answer_id: String = row.try_get(0)?;
                    let json: String = row.try_get(1)?;
                    let answers: Answers = serde_json::from_str(&json)
                        .map_err(|e| corrupt(format!("réponse {answer_id} : {e}")))?;
                    sqlx::query("UPDATE survey_answers SET answers = $2 WHERE id = $1")
                        .bind(&answer_id)
                        .bind(answers_json(&answers.without_personal_data())?)
                        .execute(&mut *tx)
                        .await?;
                }
                sqlx::query("UPDATE surveys SET purged_at = $2 WHERE id = $1")
                    .bind(id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(ids.len() as u64)
        })
    }
}
