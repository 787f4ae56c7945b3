//! Referrals: a helper sends a person to a partner with the person's consent (oral, confirmed
//! by the helper, or through a link the person opens), sharing the minimum; the receiving
//! organisation is told (its members by e-mail, or, when it is not on Maillage, its address with
//! a single-use link to answer); each step is told to the sender; reminders and expiry run on
//! schedule; withdrawal stops the referral and erases what was shared; the person's data are
//! erased when the retention delay after the journey closed has passed. Rules in
//! `maillage_domain::referrals`.

use chrono::{DateTime, Utc};
use maillage_domain::policy::{Action, Actor, authorize};
use maillage_domain::referrals::{
    Consent, DeclineReason, Delays, Event, Outcome, ReferralForm, ReferralStatus, is_ping_pong,
    next,
};
use maillage_domain::retention::Kept;
use maillage_domain::vocab::Vocabulary;
use maillage_store::{NewReferral, ReferralEvent, Shared, StoredReferral, Transition};

use crate::mail::Mail;
use crate::mail::messages::{Message, ReferralConsent, ReferralFollowUp, ReferralReceived};
use crate::{App, AppError, allow, today};

mod answer;
mod lists;
mod notify;
mod send;

pub use lists::*;

/// What the helper sends.
#[derive(Debug, Clone, Default)]
pub struct Outgoing {
    pub place_id: String,
    pub request_id: Option<String>,
    pub request_title: String,
    pub level: Option<String>,
    pub constraints: Option<String>,
    /// Continue the journey of a referral this organisation received.
    pub journey_id: Option<String>,
    /// On behalf of this organisation (the helper's, when they belong to one only).
    pub from_organisation_id: Option<String>,
    pub form: ReferralForm,
}

/// The referral form of the page, with what the orientation page passes on (the place, the
/// request, the level, the constraints, the journey): the helper's part becomes a
/// [`ReferralForm`], the rest an [`Outgoing`].
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct SendForm {
    #[serde(rename = "prenom")]
    pub person_label: String,
    pub contact: String,
    pub note: String,
    #[serde(rename = "consentement")]
    pub consent: String,
    #[serde(rename = "explique")]
    pub explained: String,
    #[serde(rename = "confirme")]
    pub confirmed: bool,
    #[serde(rename = "lieu")]
    pub place_id: String,
    #[serde(rename = "demande")]
    pub request_id: String,
    #[serde(rename = "intitule")]
    pub request_title: String,
    #[serde(rename = "niveau")]
    pub level: String,
    #[serde(rename = "contraintes")]
    pub constraints: String,
    #[serde(rename = "parcours")]
    pub journey_id: String,
    #[serde(rename = "structure")]
    pub organisation_id: String,
}

fn given(s: &str) -> Option<String> {
    Some(s.to_string()).filter(|s| !s.is_empty())
}

impl SendForm {
    pub fn form(&self) -> ReferralForm {
        ReferralForm {
            person_label: self.person_label.clone(),
            contact: self.contact.clone(),
            note: self.note.clone(),
            consent: self.consent.clone(),
            explained: self.explained.clone(),
            confirmed: self.confirmed,
        }
    }

    pub fn outgoing(&self) -> Outgoing {
        Outgoing {
            place_id: self.place_id.clone(),
            request_id: given(&self.request_id),
            request_title: given(&self.request_title)
                .unwrap_or_else(|| "Demande d'aide numérique".into()),
            level: Some(self.level.clone())
                .filter(|l| maillage_domain::diagnostic::Level::parse(l).is_some()),
            constraints: given(&self.constraints),
            journey_id: given(&self.journey_id),
            from_organisation_id: given(&self.organisation_id),
            form: self.form(),
        }
    }
}

/// An answer to a referral, from its page, its link or the API: `action` is `prendre`,
/// `decliner` (with `motif`), `absente`, `cloturer` (with `issue`), `retirer` or, on the
/// page, `relancer`; `partenaire` names a partner the person was sent on to.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct AnswerForm {
    pub action: String,
    #[serde(rename = "motif")]
    pub reason: String,
    pub issue: String,
    #[serde(rename = "partenaire")]
    pub partner: String,
}

impl AnswerForm {
    pub fn event(&self) -> Result<Event, AppError> {
        event_of(&self.action, &self.reason, &self.issue)
    }
}

/// A referral with what a page shows of it.
#[derive(Debug, Clone)]
pub struct ReferralView {
    pub referral: StoredReferral,
    pub events: Vec<ReferralEvent>,
    /// The person's journey across organisations (every hand-off), oldest first.
    pub journey: Vec<StoredReferral>,
    pub from_name: String,
    /// The viewer belongs to the receiving organisation and may answer.
    pub may_answer: bool,
    /// The viewer belongs to the sending organisation.
    pub is_sender: bool,
}

/// One pair of organisations in the network's flows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FlowPair {
    pub from: String,
    pub to: String,
    pub sent: usize,
    pub taken: usize,
    pub declined: usize,
    pub expired: usize,
    /// Median days from sending to the first answer.
    pub median_answer_days: Option<f64>,
}

/// The network's flows, aggregated (no person's data).
#[derive(Debug, Clone, Default)]
pub struct Flows {
    pub pairs: Vec<FlowPair>,
    pub referrals: usize,
    pub acceptance_rate: Option<f64>,
    /// Journeys of three hand-offs or more without anyone taking the person in charge.
    pub ping_pong: usize,
    pub journeys: usize,
    /// Requests of the catalogue that no place of the coordinator's territory answers (gaps in
    /// the offer), with the territory's code.
    pub gaps: Vec<(String, String)>,
    /// Requests orientation found no place for within the person's reach, over the last twelve
    /// months, in the coordinator's territory: most asked first.
    pub unmet: Vec<UnmetLine>,
}

/// A request orientation found no place for, in a commune, over a period.
#[derive(Debug, Clone, PartialEq)]
pub struct UnmetLine {
    /// The request's title in the catalogue (its identifier when it was deleted since).
    pub request: String,
    /// « Nancy (54) ».
    pub commune: String,
    /// The commune as the orientation recorded it (its INSEE code).
    pub insee_code: String,
    /// Days it was asked and found missing.
    pub days: usize,
    /// Times it was asked (repeated answers of one day included).
    pub asked: u32,
    /// Missing from the whole directory, not only within reach.
    pub anywhere: bool,
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}
