//! Referrals (« orientation accompagnée »): a helper sends a person to a partner with the
//! person's consent, sharing the minimum, and both sides follow it to the end. The statuses and
//! their transitions, the delays (answer, signed links, reminders), the measured « ping-pong »
//! and the retention of personal data are pure rules here.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::vocab::Vocabulary;

crate::vocab::vocabulary! {
    /// Where a referral stands.
    ReferralStatus, field = "statut" {
        AwaitingConsent = "attente-consentement", "En attente de l'accord de la personne";
        Sent = "envoyee", "Envoyée";
        Received = "recue", "Reçue";
        TakenInCharge = "prise-en-charge", "Prise en charge";
        Declined = "declinee", "Déclinée";
        NoShow = "absente", "La personne n'est pas venue";
        Expired = "expiree", "Expirée sans réponse";
        Closed = "cloturee", "Clôturée";
        Withdrawn = "retiree", "Accord retiré";
    }
}

impl ReferralStatus {
    /// Still waiting for the receiving side.
    pub fn awaits_answer(self) -> bool {
        matches!(self, ReferralStatus::Sent | ReferralStatus::Received)
    }

    /// Nothing more happens to it.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            ReferralStatus::Closed | ReferralStatus::Withdrawn | ReferralStatus::Expired
        )
    }
}

crate::vocab::vocabulary! {
    /// Why a receiving organisation declines (the coded reasons of the field).
    DeclineReason, field = "motif_refus" {
        Unreachable = "injoignable", "Personne injoignable";
        DidNotCome = "pas-venue", "La personne n'est pas venue";
        NotEligible = "non-eligible", "Non éligible";
        NotMobile = "non-mobile", "Ne peut pas se déplacer";
        NotInterested = "pas-interessee", "Pas intéressée";
        OtherObstacles = "autres-freins", "Autres freins";
        Full = "complet", "Plus de place";
        Duplicate = "doublon", "Déjà orientée (doublon)";
        OutOfScope = "hors-limites", "Hors de ce que la structure prend en charge";
        Other = "autre", "Autre";
    }
}

crate::vocab::vocabulary! {
    /// How a referral ends.
    Outcome, field = "issue" {
        Solved = "reglee", "La demande est réglée";
        Ongoing = "accompagnement-en-cours", "Accompagnement en cours ailleurs";
        Redirected = "reorientee", "Réorientée vers une autre structure";
        Abandoned = "abandon", "Abandon de la personne";
        Other = "autre", "Autre";
    }
}

/// How the person agreed to share their data with the receiving organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "forme", rename_all = "snake_case")]
pub enum Consent {
    /// Said aloud to the helper, who confirms it and notes what was explained.
    #[serde(rename = "orale")]
    Oral { explained: String },
    /// Confirmed by the person through a single-use link.
    #[serde(rename = "lien")]
    Link,
}

/// What happens to a referral.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The person confirmed through their link.
    ConsentConfirmed,
    /// The receiving side opened it.
    Opened,
    TakeInCharge,
    Decline {
        reason: DeclineReason,
    },
    NoShow,
    Close {
        outcome: Outcome,
    },
    /// Nobody answered within the delay.
    Expire,
    /// The person withdrew their consent.
    Withdraw,
}

/// A transition refused, with the reason in French.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TransitionRefused(pub String);

/// The status after an event, or why the event does not apply.
pub fn next(status: ReferralStatus, event: &Event) -> Result<ReferralStatus, TransitionRefused> {
    use ReferralStatus as S;
    let to = match (status, event) {
        (S::AwaitingConsent, Event::ConsentConfirmed) => S::Sent,
        (S::Sent, Event::Opened) => S::Received,
        (S::Received, Event::Opened) => S::Received,
        (S::Sent | S::Received, Event::TakeInCharge) => S::TakenInCharge,
        (S::Sent | S::Received | S::TakenInCharge, Event::Decline { .. }) => S::Declined,
        (S::Received | S::TakenInCharge, Event::NoShow) => S::NoShow,
        (S::TakenInCharge | S::Declined | S::NoShow, Event::Close { .. }) => S::Closed,
        (S::AwaitingConsent | S::Sent | S::Received, Event::Expire) => S::Expired,
        (s, Event::Withdraw) if !s.is_final() => S::Withdrawn,
        (s, e) => {
            return Err(TransitionRefused(format!(
                "impossible : l'orientation est « {} » ({})",
                s.label().to_lowercase(),
                match e {
                    Event::ConsentConfirmed => "l'accord est déjà donné",
                    Event::Opened => "elle a déjà une réponse",
                    Event::TakeInCharge => "elle n'attend plus de réponse",
                    Event::Decline { .. } => "elle ne peut plus être déclinée",
                    Event::NoShow => "elle n'a pas été reçue ou prise en charge",
                    Event::Close { .. } => "elle n'a pas encore de réponse",
                    Event::Expire => "elle a déjà une réponse",
                    Event::Withdraw => "elle est terminée",
                }
            )));
        }
    };
    Ok(to)
}

/// Delays of the network (configurable; the defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delays {
    /// A referral without answer expires after this many days.
    pub answer_days: i64,
    /// A link for a receiver without an account (or for the person's consent) lives this long.
    pub link_days: i64,
    /// A reminder goes to the receiver after this many days without answer, then again each
    /// time as long.
    pub reminder_days: i64,
    /// Personal data of a closed journey are erased this many months after it closed.
    pub retention_months: u32,
}

impl Default for Delays {
    fn default() -> Self {
        Delays {
            answer_days: 30,
            link_days: 8,
            reminder_days: 7,
            retention_months: 12,
        }
    }
}

impl Delays {
    /// When a referral sent at `sent_at` expires without answer.
    pub fn expires_at(&self, sent_at: DateTime<Utc>) -> DateTime<Utc> {
        sent_at + Duration::days(self.answer_days)
    }

    /// When a link issued at `issued` stops working.
    pub fn link_expires_at(&self, issued: DateTime<Utc>) -> DateTime<Utc> {
        issued + Duration::days(self.link_days)
    }

    /// Whether a reminder is due: waiting for an answer, and the last message to the receiver
    /// (the referral itself or the previous reminder) is older than the reminder delay.
    pub fn reminder_due(
        &self,
        status: ReferralStatus,
        last_message: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> bool {
        status.awaits_answer() && now - last_message >= Duration::days(self.reminder_days)
    }

    /// Whether a referral waiting since `sent_at` is now expired.
    pub fn expiry_due(
        &self,
        status: ReferralStatus,
        sent_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> bool {
        (status.awaits_answer() || status == ReferralStatus::AwaitingConsent)
            && now >= self.expires_at(sent_at)
    }

    /// Whether the personal data of a journey closed at `closed_at` are due for erasure.
    pub fn erasure_due(&self, closed_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        closed_at
            .checked_add_months(chrono::Months::new(self.retention_months))
            .is_some_and(|due| now >= due)
    }
}

/// The « ping-pong » the seeds describe: a journey of three hand-offs or more in which nobody
/// took the person in charge.
pub fn is_ping_pong(statuses: &[ReferralStatus]) -> bool {
    statuses.len() >= 3
        && !statuses.iter().any(|s| {
            matches!(s, ReferralStatus::TakenInCharge) || matches!(s, ReferralStatus::Closed)
        })
}

/// The referral form, as the helper fills it (only the minimum is shared).
#[derive(Debug, Clone, Default)]
pub struct ReferralForm {
    /// A first name or a pseudonym.
    pub person_label: String,
    /// The contact the person chose (phone or e-mail), or none.
    pub contact: String,
    /// A short note for the receiver.
    pub note: String,
    /// `orale` (the helper confirms) or `lien` (the person confirms through a link sent to
    /// their contact).
    pub consent: String,
    /// What was explained to the person (oral consent).
    pub explained: String,
    /// The helper confirms the person agreed.
    pub confirmed: bool,
}

/// A checked referral form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferralInput {
    pub person_label: String,
    pub contact: Option<Contact>,
    pub note: Option<String>,
    pub consent: Consent,
}

/// A contact the person chose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Contact {
    #[serde(rename = "telephone")]
    Phone(String),
    #[serde(rename = "courriel")]
    Email(String),
}

impl Contact {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if raw.contains('@') {
            crate::fields::email(raw).map(Contact::Email)
        } else {
            crate::fields::phone_e164(raw)
                .map(|r| Contact::Phone(r.value))
                .map_err(|e| format!("ni un courriel ni un téléphone : {e}"))
        }
    }

    pub fn text(&self) -> String {
        match self {
            Contact::Phone(p) => crate::fields::phone_national(p),
            Contact::Email(e) => e.clone(),
        }
    }

    pub fn email(&self) -> Option<&str> {
        match self {
            Contact::Email(e) => Some(e),
            Contact::Phone(_) => None,
        }
    }
}

impl ReferralForm {
    /// Checks the form; errors as (field, French reason).
    pub fn validate(&self) -> Result<ReferralInput, Vec<(&'static str, String)>> {
        let mut errors = Vec::new();
        let person_label = self.person_label.trim().to_string();
        if person_label.is_empty() || person_label.chars().count() > 60 {
            errors.push((
                "prenom",
                "un prénom ou un pseudonyme (60 caractères au plus) : pas de nom de famille utile"
                    .to_string(),
            ));
        }
        let contact = match self.contact.trim() {
            "" => None,
            raw => match Contact::parse(raw) {
                Ok(c) => Some(c),
                Err(e) => {
                    errors.push(("contact", e));
                    None
                }
            },
        };
        let note = Some(self.note.trim().to_string()).filter(|n| !n.is_empty());
        if note.as_ref().is_some_and(|n| n.chars().count() > 500) {
            errors.push((
                "note",
                "500 caractères au plus : le strict nécessaire pour la structure qui reçoit"
                    .to_string(),
            ));
        }
        let consent = match self.consent.as_str() {
            "orale" => {
                let explained = self.explained.trim().to_string();
                if !self.confirmed {
                    errors.push((
                        "confirme",
                        "confirmez que la personne a donné son accord".to_string(),
                    ));
                }
                if explained.chars().count() < 10 {
                    errors.push((
                        "explique",
                        "notez en quelques mots ce qui a été expliqué à la personne (à qui, quoi, pourquoi)"
                            .to_string(),
                    ));
                }
                Some(Consent::Oral { explained })
            }
            "lien" => {
                if contact.as_ref().and_then(Contact::email).is_none() {
                    errors.push((
                        "contact",
                        "pour un accord par lien, la personne donne une adresse e-mail".to_string(),
                    ));
                }
                Some(Consent::Link)
            }
            _ => {
                errors.push((
                    "consentement",
                    "choisissez comment la personne donne son accord".to_string(),
                ));
                None
            }
        };
        match (consent, errors.is_empty()) {
            (Some(consent), true) => Ok(ReferralInput {
                person_label,
                contact,
                note,
                consent,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_default()
    }

    #[test]
    fn a_referral_goes_through_every_status() {
        use ReferralStatus as S;
        let mut s = S::AwaitingConsent;
        for (event, want) in [
            (Event::ConsentConfirmed, S::Sent),
            (Event::Opened, S::Received),
            (Event::TakeInCharge, S::TakenInCharge),
            (Event::NoShow, S::NoShow),
            (
                Event::Close {
                    outcome: Outcome::Abandoned,
                },
                S::Closed,
            ),
        ] {
            s = next(s, &event).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(s, want);
        }
        assert_eq!(
            next(
                S::Received,
                &Event::Decline {
                    reason: DeclineReason::Full
                }
            ),
            Ok(S::Declined)
        );
        assert_eq!(next(S::Sent, &Event::Expire), Ok(S::Expired));
        assert_eq!(next(S::TakenInCharge, &Event::Withdraw), Ok(S::Withdrawn));
        let refused = next(S::Closed, &Event::TakeInCharge).err();
        assert!(refused.is_some_and(|e| e.0.contains("clôturée")));
        assert!(next(S::Expired, &Event::Withdraw).is_err());
        assert!(next(S::TakenInCharge, &Event::Expire).is_err());
    }

    #[test]
    fn delays_follow_the_defaults() {
        let d = Delays::default();
        let sent = at("2026-11-01T10:00:00Z");
        assert!(!d.reminder_due(ReferralStatus::Sent, sent, at("2026-11-07T10:00:00Z")));
        assert!(d.reminder_due(ReferralStatus::Sent, sent, at("2026-11-08T10:00:00Z")));
        assert!(!d.reminder_due(
            ReferralStatus::TakenInCharge,
            sent,
            at("2026-11-20T10:00:00Z")
        ));
        assert!(!d.expiry_due(ReferralStatus::Received, sent, at("2026-11-30T09:00:00Z")));
        assert!(d.expiry_due(ReferralStatus::Received, sent, at("2026-12-01T10:00:00Z")));
        assert!(!d.expiry_due(ReferralStatus::Declined, sent, at("2027-01-01T10:00:00Z")));
        assert_eq!(d.link_expires_at(sent), at("2026-11-09T10:00:00Z"));
        let closed = at("2026-01-15T00:00:00Z");
        assert!(!d.erasure_due(closed, at("2027-01-14T23:00:00Z")));
        assert!(d.erasure_due(closed, at("2027-01-15T00:00:00Z")));
    }

    #[test]
    fn ping_pong_is_three_hand_offs_without_taking_in_charge() {
        use ReferralStatus as S;
        assert!(!is_ping_pong(&[S::Declined, S::Declined]));
        assert!(is_ping_pong(&[S::Declined, S::Expired, S::Sent]));
        assert!(!is_ping_pong(&[S::Declined, S::Declined, S::TakenInCharge]));
    }

    #[test]
    fn the_form_shares_the_minimum_and_records_consent() {
        let ok = ReferralForm {
            person_label: "Karim".into(),
            contact: "06 12 34 56 78".into(),
            note: "Inscription à faire avant vendredi.".into(),
            consent: "orale".into(),
            explained: "Transmis à la France Services : prénom, téléphone, la demande.".into(),
            confirmed: true,
        }
        .validate();
        let input = ok.unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(input.contact, Some(Contact::Phone("+33612345678".into())));
        let errors = ReferralForm {
            person_label: String::new(),
            contact: "pas un contact".into(),
            consent: "orale".into(),
            ..ReferralForm::default()
        }
        .validate()
        .err()
        .unwrap_or_default();
        let fields: Vec<&str> = errors.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, ["prenom", "contact", "confirme", "explique"]);
        let link_without_email = ReferralForm {
            person_label: "Sam".into(),
            contact: "0612345678".into(),
            consent: "lien".into(),
            ..ReferralForm::default()
        }
        .validate()
        .err()
        .unwrap_or_default();
        assert_eq!(link_without_email.first().map(|e| e.0), Some("contact"));
    }

    fn arb_event() -> impl Strategy<Value = Event> {
        prop_oneof![
            Just(Event::ConsentConfirmed),
            Just(Event::Opened),
            Just(Event::TakeInCharge),
            proptest::sample::select(DeclineReason::ALL.to_vec())
                .prop_map(|reason| Event::Decline { reason }),
            Just(Event::NoShow),
            proptest::sample::select(Outcome::ALL.to_vec())
                .prop_map(|outcome| Event::Close { outcome }),
            Just(Event::Expire),
            Just(Event::Withdraw),
        ]
    }

    proptest! {
        /// Whatever happens, a final status never changes, and a referral withdrawn or expired
        /// is never taken in charge afterwards.
        #[test]
        fn final_statuses_stay_final(events in proptest::collection::vec(arb_event(), 0..12)) {
            let mut s = ReferralStatus::AwaitingConsent;
            for e in &events {
                let before = s;
                if let Ok(after) = next(s, e) {
                    prop_assert!(!before.is_final(), "{before:?} → {after:?}");
                    s = after;
                }
            }
        }
    }
}
