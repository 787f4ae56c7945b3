//! Update campaigns: a coordinator asks the referent of every place of their territory to
//! confirm that nothing changed, or to correct the page, through a personal link that needs no
//! account, serves one purpose (this place, once) and expires. The rules of the link, of
//! reminders and of the dashboard's counts live here; sending and storing are the adapters'.

use chrono::{DateTime, Duration, Utc};

use crate::Place;

/// Delays of a campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CampaignSettings {
    /// Days a link stays valid after it is sent (a reminder sends a new link for as long).
    pub link_valid_days: i64,
    /// Days without an answer before a reminder.
    pub remind_after_days: i64,
    /// Reminders at most, after the first message.
    pub max_reminders: u32,
}

impl Default for CampaignSettings {
    fn default() -> Self {
        Self {
            link_valid_days: 30,
            remind_after_days: 7,
            max_reminders: 2,
        }
    }
}

/// Where a request to one place's referent stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestStatus {
    /// Sent, no answer yet.
    Pending,
    /// The referent said nothing changed.
    Confirmed,
    /// The referent corrected the page.
    Corrected,
    /// The mail server refused the address, or the coordinator recorded a bounce.
    Bounced,
    /// The place has no address to write to: the coordinator must call.
    NoAddress,
}

impl RequestStatus {
    pub const ALL: [RequestStatus; 5] = [
        RequestStatus::Pending,
        RequestStatus::Confirmed,
        RequestStatus::Corrected,
        RequestStatus::Bounced,
        RequestStatus::NoAddress,
    ];

    /// Stored form.
    pub fn slug(self) -> &'static str {
        match self {
            RequestStatus::Pending => "en_attente",
            RequestStatus::Confirmed => "confirme",
            RequestStatus::Corrected => "corrige",
            RequestStatus::Bounced => "echec_envoi",
            RequestStatus::NoAddress => "sans_adresse",
        }
    }

    pub fn from_slug(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.slug() == s)
    }

    /// French label for pages.
    pub fn label(self) -> &'static str {
        match self {
            RequestStatus::Pending => "En attente",
            RequestStatus::Confirmed => "Confirmé sans changement",
            RequestStatus::Corrected => "Corrigé",
            RequestStatus::Bounced => "Courriel en échec",
            RequestStatus::NoAddress => "Pas d'adresse",
        }
    }

    pub fn answered(self) -> bool {
        matches!(self, RequestStatus::Confirmed | RequestStatus::Corrected)
    }
}

/// The address a campaign writes to: the referent's, else the place's first public address.
pub fn referent_email(place: &Place) -> Option<String> {
    place
        .extras
        .referent
        .as_ref()
        .and_then(|r| r.email.clone())
        .filter(|e| !e.trim().is_empty())
        .or_else(|| place.emails.first().cloned())
}

/// Why a link no longer opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkRefusal {
    #[error(
        "ce lien n'existe pas ou n'est plus valable ; utilisez le lien du dernier courriel reçu"
    )]
    Unknown,
    #[error("ce lien a expiré ; demandez un nouveau lien à la coordination de votre territoire")]
    Expired,
    #[error("cette fiche a déjà été vérifiée avec ce lien : merci, il n'y a plus rien à faire")]
    AlreadyAnswered,
    #[error("cette campagne de mise à jour est close")]
    Closed,
    #[error("cette enquête est close : les réponses ne sont plus reçues. Merci de votre aide")]
    SurveyClosed,
}

/// Whether a link may still be used: the request not answered, the campaign open, the link
/// not expired.
pub fn check_link(
    status: RequestStatus,
    campaign_closed: bool,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), LinkRefusal> {
    if status.answered() {
        return Err(LinkRefusal::AlreadyAnswered);
    }
    if campaign_closed {
        return Err(LinkRefusal::Closed);
    }
    if now >= expires_at {
        return Err(LinkRefusal::Expired);
    }
    Ok(())
}

/// When a link sent now expires.
pub fn link_expiry(sent_at: DateTime<Utc>, settings: &CampaignSettings) -> DateTime<Utc> {
    sent_at + Duration::days(settings.link_valid_days)
}

/// Whether a pending request gets a reminder now: the last message is older than the delay and
/// reminders are not exhausted.
pub fn reminder_due(
    status: RequestStatus,
    last_sent_at: DateTime<Utc>,
    reminders: u32,
    now: DateTime<Utc>,
    settings: &CampaignSettings,
) -> bool {
    status == RequestStatus::Pending
        && reminders < settings.max_reminders
        && now - last_sent_at >= Duration::days(settings.remind_after_days)
}

/// A referent who "never answered": written to at least once, long enough ago to have had time
/// to answer, and no answer to any request.
pub fn never_answered(
    statuses: impl IntoIterator<Item = (RequestStatus, DateTime<Utc>)>,
    now: DateTime<Utc>,
    settings: &CampaignSettings,
) -> bool {
    let mut asked_long_ago = false;
    for (status, first_sent) in statuses {
        if status.answered() {
            return false;
        }
        if status == RequestStatus::Pending
            && now - first_sent >= Duration::days(settings.remind_after_days)
        {
            asked_long_ago = true;
        }
    }
    asked_long_ago
}

/// Counts of a campaign's dashboard.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CampaignTally {
    pub total: usize,
    pub confirmed: usize,
    pub corrected: usize,
    pub pending: usize,
    pub bounced: usize,
    pub no_address: usize,
}

impl CampaignTally {
    pub fn of(statuses: impl IntoIterator<Item = RequestStatus>) -> Self {
        let mut t = Self::default();
        for s in statuses {
            t.total += 1;
            match s {
                RequestStatus::Pending => t.pending += 1,
                RequestStatus::Confirmed => t.confirmed += 1,
                RequestStatus::Corrected => t.corrected += 1,
                RequestStatus::Bounced => t.bounced += 1,
                RequestStatus::NoAddress => t.no_address += 1,
            }
        }
        t
    }

    pub fn answered(&self) -> usize {
        self.confirmed + self.corrected
    }

    /// Share of answers among the requests that could be delivered, in percent.
    pub fn answer_rate(&self) -> u8 {
        let reachable = self.total - self.bounced - self.no_address;
        if reachable == 0 {
            return 0;
        }
        ((self.answered() * 100 + reachable / 2) / reachable).min(100) as u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::place::Referent;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("date")
            .with_timezone(&Utc)
    }

    #[test]
    fn the_referent_is_written_to_before_the_public_address() {
        let mut p = Place::new(
            "1",
            "Médiathèque",
            "1 rue A",
            "54000",
            "Nancy",
            chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("date"),
        );
        assert_eq!(referent_email(&p), None);
        p.emails = vec!["accueil@mediatheque.fr".into()];
        assert_eq!(
            referent_email(&p).as_deref(),
            Some("accueil@mediatheque.fr")
        );
        p.extras.referent = Some(Referent {
            name: "Léa".into(),
            email: Some("lea@mediatheque.fr".into()),
            ..Default::default()
        });
        assert_eq!(referent_email(&p).as_deref(), Some("lea@mediatheque.fr"));
    }

    #[test]
    fn a_link_serves_once_until_it_expires() {
        let s = CampaignSettings::default();
        let sent = at("2026-11-01T10:00:00Z");
        let exp = link_expiry(sent, &s);
        assert_eq!(exp, at("2026-12-01T10:00:00Z"));
        let before = at("2026-11-30T10:00:00Z");
        assert_eq!(
            check_link(RequestStatus::Pending, false, exp, before),
            Ok(())
        );
        assert_eq!(
            check_link(RequestStatus::Pending, false, exp, exp),
            Err(LinkRefusal::Expired)
        );
        assert_eq!(
            check_link(RequestStatus::Confirmed, false, exp, before),
            Err(LinkRefusal::AlreadyAnswered)
        );
        assert_eq!(
            check_link(RequestStatus::Pending, true, exp, before),
            Err(LinkRefusal::Closed)
        );
        // A bounced address that the referent finally reads still works.
        assert_eq!(
            check_link(RequestStatus::Bounced, false, exp, before),
            Ok(())
        );
    }

    #[test]
    fn reminders_after_the_delay_and_no_more_than_allowed() {
        let s = CampaignSettings::default();
        let sent = at("2026-11-01T10:00:00Z");
        let six_days = at("2026-11-07T10:00:00Z");
        let seven_days = at("2026-11-08T10:00:00Z");
        assert!(!reminder_due(RequestStatus::Pending, sent, 0, six_days, &s));
        assert!(reminder_due(
            RequestStatus::Pending,
            sent,
            0,
            seven_days,
            &s
        ));
        assert!(!reminder_due(
            RequestStatus::Pending,
            sent,
            s.max_reminders,
            seven_days,
            &s
        ));
        for answered in [
            RequestStatus::Confirmed,
            RequestStatus::Corrected,
            RequestStatus::Bounced,
            RequestStatus::NoAddress,
        ] {
            assert!(!reminder_due(answered, sent, 0, seven_days, &s));
        }
    }

    #[test]
    fn never_answered_needs_time_and_no_answer_at_all() {
        let s = CampaignSettings::default();
        let sent = at("2026-11-01T10:00:00Z");
        let now = at("2026-11-20T10:00:00Z");
        assert!(never_answered([(RequestStatus::Pending, sent)], now, &s));
        assert!(!never_answered(
            [(RequestStatus::Pending, at("2026-11-19T10:00:00Z"))],
            now,
            &s
        ));
        assert!(!never_answered(
            [
                (RequestStatus::Pending, sent),
                (RequestStatus::Confirmed, at("2026-05-01T10:00:00Z"))
            ],
            now,
            &s
        ));
        assert!(!never_answered([], now, &s));
    }

    #[test]
    fn tally_and_answer_rate() {
        use RequestStatus::*;
        let t = CampaignTally::of([Pending, Confirmed, Corrected, Bounced, NoAddress, Confirmed]);
        assert_eq!(
            (t.total, t.answered(), t.pending, t.bounced, t.no_address),
            (6, 3, 1, 1, 1)
        );
        assert_eq!(t.answer_rate(), 75);
        assert_eq!(CampaignTally::of([]).answer_rate(), 0);
        for s in RequestStatus::ALL {
            assert_eq!(RequestStatus::from_slug(s.slug()), Some(s));
        }
    }
}
