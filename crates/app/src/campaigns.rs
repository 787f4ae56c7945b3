//! Update campaigns: a coordinator asks every referent of their territory to confirm their
//! place's page or correct it, through a personal link sent by e-mail (no account); reminders
//! go out after a delay; the dashboard counts answered / pending / bounced. The rules are the
//! domain's ([`maillage_domain::campaigns`]).

use chrono::{DateTime, SecondsFormat, Utc};
use maillage_domain::Place;
use maillage_domain::campaigns::{
    CampaignSettings, CampaignTally, RequestStatus, check_link, link_expiry, never_answered,
    referent_email, reminder_due,
};
use maillage_domain::freshness::{Freshness, freshness};
use maillage_domain::policy::{Action, Actor, authorize};
use maillage_store::{Campaign, CampaignRequest, NewRequest, StoredPlace};

use crate::mail::messages::{CampaignMessage, Message};
use crate::mail::{Mail, MailError};
use crate::{App, AppError, allow, location_of, today};

fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn parse_stamp(s: &str) -> Result<DateTime<Utc>, AppError> {
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|_| AppError::Store(maillage_store::StoreError::Corrupt(format!("date « {s} »"))))
}

/// Which places a campaign asks about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CampaignScope {
    /// Every place of the territory.
    All,
    /// Only the pages that are not fresh any more (6 months and over).
    NotFresh,
}

/// The form that starts a campaign: its title, and `fiches=anciennes` for the pages that are
/// not fresh only.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct CampaignForm {
    #[serde(rename = "titre")]
    pub title: String,
    #[serde(rename = "fiches")]
    pub pages: String,
}

impl CampaignForm {
    pub fn scope(&self) -> CampaignScope {
        if self.pages == "anciennes" {
            CampaignScope::NotFresh
        } else {
            CampaignScope::All
        }
    }
}

/// A campaign and its counts, for the list.
#[derive(Debug, Clone)]
pub struct CampaignSummary {
    pub campaign: Campaign,
    pub tally: CampaignTally,
}

/// The dashboard of a campaign: each place asked, where it stands.
#[derive(Debug, Clone)]
pub struct CampaignDashboard {
    pub campaign: Campaign,
    pub tally: CampaignTally,
    pub rows: Vec<(CampaignRequest, StoredPlace)>,
}

/// What a personal link opens.
#[derive(Debug, Clone)]
pub struct LinkView {
    pub place: StoredPlace,
    pub campaign_title: String,
    pub expires_at: DateTime<Utc>,
}

fn coordinates(actor: Option<&Actor>, place: &StoredPlace) -> bool {
    actor.is_some_and(|a| {
        a.administrator
            || a.coordinates(&location_of(&place.place, place.organisation_id.as_deref()))
    })
}

impl App {
    /// Delays of campaigns.
    pub fn campaign_settings(&self) -> CampaignSettings {
        CampaignSettings::default()
    }

    /// Starts a campaign over the actor's territory and sends the first messages. Refused when
    /// e-mail is not configured: nobody would receive their link.
    pub async fn start_campaign(
        &self,
        actor: Option<&Actor>,
        title: &str,
        scope: CampaignScope,
        now: DateTime<Utc>,
    ) -> Result<String, AppError> {
        allow(authorize(actor, &Action::RunCampaign, today()))?;
        if !self.mailer.is_enabled() {
            return Err(AppError::Invalid(
                "aucun serveur de courriel n'est configuré (MAILLAGE_SMTP_URL) : personne ne recevrait son lien".into(),
            ));
        }
        let title = title.trim();
        if title.is_empty() || title.chars().count() > 120 {
            return Err(AppError::Invalid(
                "nom de la campagne : de 1 à 120 caractères".into(),
            ));
        }
        let day = today();
        let places: Vec<StoredPlace> = self
            .store
            .all_places()
            .await?
            .into_iter()
            .filter(|p| coordinates(actor, p))
            .filter(|p| {
                scope == CampaignScope::All
                    || freshness(p.place.updated_on, day) != Freshness::Fresh
            })
            .collect();
        if places.is_empty() {
            return Err(AppError::Invalid(
                "aucun lieu de votre territoire ne correspond : rien à envoyer".into(),
            ));
        }
        let territory = crate::territory_words(actor);
        let scope_label = match scope {
            CampaignScope::All => format!("{territory} · toutes les fiches ({})", places.len()),
            CampaignScope::NotFresh => format!(
                "{territory} · fiches non mises à jour depuis 6 mois ({})",
                places.len()
            ),
        };
        let requests: Vec<NewRequest> = places
            .iter()
            .map(|p| NewRequest {
                place_id: p.place.id.clone(),
                email: referent_email(&p.place),
            })
            .collect();
        let settings = self.campaign_settings();
        let expires = link_expiry(now, &settings);
        let (id, issued) = self
            .store
            .create_campaign(
                title,
                &scope_label,
                actor.map(|a| a.user_id.as_str()),
                &requests,
                &stamp(now),
                &stamp(expires),
            )
            .await?;
        for (request, place) in issued.iter().zip(&places) {
            if let (Some(to), Some(token)) = (&request.email, &request.token) {
                let Some(mail) = self.campaign_mail(to, token, title, &place.place, expires, false)
                else {
                    continue;
                };
                self.deliver_campaign_mail(&request.request_id, &mail)
                    .await?;
            }
        }
        Ok(id)
    }

    fn campaign_mail(
        &self,
        to: &str,
        token: &str,
        title: &str,
        place: &Place,
        expires: DateTime<Utc>,
        reminder: bool,
    ) -> Option<Mail> {
        CampaignMessage {
            reminder,
            campaign: title.to_string(),
            place: place.name.clone(),
            address: place.address.clone(),
            postcode: place.postcode.clone(),
            commune: place.commune.clone(),
            updated: place.updated_on.format("%d/%m/%Y").to_string(),
            token: token.to_string(),
            expires: expires
                .with_timezone(&chrono::Local)
                .format("%d/%m/%Y à %H h %M")
                .to_string(),
            url: self.public_url.clone(),
        }
        .to(to)
    }

    /// Sends a campaign message; a refusal by the server marks the request bounced, with the
    /// reason (the address is never logged).
    async fn deliver_campaign_mail(&self, request_id: &str, mail: &Mail) -> Result<(), AppError> {
        match self.mailer.send(mail).await {
            Ok(_) => {}
            Err(e) => {
                let detail = match &e {
                    MailError::Address => "adresse invalide".to_string(),
                    MailError::Smtp(s) if s.is_permanent() => {
                        format!("adresse refusée par le serveur de courriel ({e})")
                    }
                    other => format!("envoi impossible ({other})"),
                };
                tracing::warn!("campagne : courriel non remis ({detail})");
                self.store.mark_bounced(request_id, &detail).await?;
            }
        }
        Ok(())
    }

    /// Campaigns that concern the actor's territory, newest first, with their counts.
    pub async fn campaigns_for(
        &self,
        actor: Option<&Actor>,
    ) -> Result<Vec<CampaignSummary>, AppError> {
        allow(authorize(actor, &Action::RunCampaign, today()))?;
        let mut out = Vec::new();
        for campaign in self.store.campaigns().await? {
            let dashboard = self.dashboard_of(actor, campaign).await?;
            if !dashboard.rows.is_empty() {
                out.push(CampaignSummary {
                    campaign: dashboard.campaign,
                    tally: dashboard.tally,
                });
            }
        }
        Ok(out)
    }

    async fn dashboard_of(
        &self,
        actor: Option<&Actor>,
        campaign: Campaign,
    ) -> Result<CampaignDashboard, AppError> {
        let requests = self.store.campaign_requests(Some(&campaign.id)).await?;
        let ids: Vec<String> = requests.iter().map(|r| r.place_id.clone()).collect();
        let places: std::collections::HashMap<String, StoredPlace> = self
            .store
            .places(&ids)
            .await?
            .into_iter()
            .map(|p| (p.place.id.clone(), p))
            .collect();
        let rows: Vec<(CampaignRequest, StoredPlace)> = requests
            .into_iter()
            .filter_map(|r| places.get(&r.place_id).cloned().map(|p| (r, p)))
            .filter(|(_, p)| coordinates(actor, p))
            .collect();
        let tally = CampaignTally::of(rows.iter().map(|(r, _)| r.status));
        Ok(CampaignDashboard {
            campaign,
            tally,
            rows,
        })
    }

    /// One campaign's dashboard (the places of the actor's territory only).
    pub async fn campaign_dashboard(
        &self,
        actor: Option<&Actor>,
        id: &str,
    ) -> Result<CampaignDashboard, AppError> {
        allow(authorize(actor, &Action::RunCampaign, today()))?;
        let campaign = self.store.campaign(id).await?.ok_or(AppError::NotFound)?;
        let dashboard = self.dashboard_of(actor, campaign).await?;
        if dashboard.rows.is_empty() {
            return Err(AppError::NotFound);
        }
        Ok(dashboard)
    }

    /// Sends the reminders that are due (run every hour by the server; also from the
    /// dashboard). Returns how many were sent.
    pub async fn send_campaign_reminders(&self, now: DateTime<Utc>) -> Result<usize, AppError> {
        if !self.mailer.is_enabled() {
            return Ok(0);
        }
        let settings = self.campaign_settings();
        let mut sent = 0;
        for campaign in self.store.campaigns().await? {
            if campaign.closed_at.is_some() {
                continue;
            }
            for request in self.store.campaign_requests(Some(&campaign.id)).await? {
                let last = parse_stamp(&request.last_sent_at)?;
                if !reminder_due(request.status, last, request.reminders, now, &settings) {
                    continue;
                }
                let (Some(to), Some(place)) =
                    (&request.email, self.store.place(&request.place_id).await?)
                else {
                    continue;
                };
                let expires = link_expiry(now, &settings);
                let Some(token) = self
                    .store
                    .issue_reminder_link(&request.id, &stamp(now), &stamp(expires))
                    .await?
                else {
                    continue;
                };
                let mail =
                    self.campaign_mail(to, &token, &campaign.title, &place.place, expires, true);
                let Some(mail) = mail else { continue };
                self.deliver_campaign_mail(&request.id, &mail).await?;
                sent += 1;
            }
        }
        Ok(sent)
    }

    /// The coordinator received a bounce for this request (or knows the address is wrong).
    pub async fn mark_campaign_bounce(
        &self,
        actor: Option<&Actor>,
        request_id: &str,
    ) -> Result<String, AppError> {
        allow(authorize(actor, &Action::RunCampaign, today()))?;
        let request = self
            .store
            .campaign_request(request_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let place = self.place(&request.place_id).await?;
        if !coordinates(actor, &place) {
            return Err(AppError::Forbidden(
                "ce lieu n'est pas dans votre territoire",
            ));
        }
        if !self
            .store
            .mark_bounced(request_id, "retour en erreur signalé par la coordination")
            .await?
        {
            return Err(AppError::Invalid(
                "seule une demande en attente peut être marquée en échec".into(),
            ));
        }
        Ok(request.campaign_id)
    }

    /// Closes a campaign: its links stop working.
    pub async fn close_campaign(
        &self,
        actor: Option<&Actor>,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), AppError> {
        // Seeing the dashboard is what allows closing it.
        self.campaign_dashboard(actor, id).await?;
        if !self.store.close_campaign(id, &stamp(now)).await? {
            return Err(AppError::Invalid("cette campagne est déjà close".into()));
        }
        Ok(())
    }

    /// What a personal link opens, if it may still be used.
    pub async fn open_campaign_link(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<LinkView, AppError> {
        let (view, _) = self.usable_link(token, now).await?;
        Ok(view)
    }

    async fn usable_link(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<(LinkView, CampaignRequest), AppError> {
        use maillage_domain::campaigns::LinkRefusal;
        // Tokens are 64 hexadecimal characters: anything else is not looked up.
        if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(AppError::LinkRefused(LinkRefusal::Unknown));
        }
        let target = self
            .store
            .campaign_link(token)
            .await?
            .ok_or(AppError::LinkRefused(LinkRefusal::Unknown))?;
        let expires_at = parse_stamp(&target.expires_at)?;
        check_link(
            target.request.status,
            target.campaign_closed,
            expires_at,
            now,
        )
        .map_err(AppError::LinkRefused)?;
        let place = self.place(&target.request.place_id).await?;
        let campaign_title = self
            .store
            .campaign(&target.request.campaign_id)
            .await?
            .map(|c| c.title)
            .unwrap_or_default();
        Ok((
            LinkView {
                place,
                campaign_title,
                expires_at,
            },
            target.request,
        ))
    }

    /// "Nothing changed" through a personal link: `date_maj` refreshed, the link used.
    pub async fn confirm_by_link(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<String, AppError> {
        let (view, request) = self.usable_link(token, now).await?;
        let mut place = view.place.place;
        place.updated_on = today();
        self.answer_campaign_by_link(
            &request,
            RequestStatus::Confirmed,
            &place,
            view.place.organisation_id.as_deref(),
            now,
        )
        .await?;
        Ok(place.id)
    }

    /// A correction through a personal link: the page replaced (same place, same structure),
    /// `date_maj` refreshed, the link used.
    pub async fn correct_by_link(
        &self,
        token: &str,
        mut place: Place,
        now: DateTime<Utc>,
    ) -> Result<String, AppError> {
        let (view, request) = self.usable_link(token, now).await?;
        place.id = view.place.place.id.clone();
        place.updated_on = today();
        self.answer_campaign_by_link(
            &request,
            RequestStatus::Corrected,
            &place,
            view.place.organisation_id.as_deref(),
            now,
        )
        .await?;
        Ok(place.id)
    }

    /// The link is used up and the place written in one transaction: a second use at the same
    /// time finds the request answered and writes nothing.
    async fn answer_campaign_by_link(
        &self,
        request: &CampaignRequest,
        status: RequestStatus,
        place: &Place,
        organisation_id: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), AppError> {
        let done = self
            .store
            .answer_request_with_place(&request.id, status, &stamp(now), place, organisation_id)
            .await?;
        if !done {
            return Err(AppError::LinkRefused(
                maillage_domain::campaigns::LinkRefusal::AlreadyAnswered,
            ));
        }
        self.refresh_index().await?;
        Ok(())
    }

    /// A member or coordinator confirmed or corrected the place from their account: the
    /// place's open requests count as answered.
    pub(crate) async fn answer_campaigns_of_place(
        &self,
        place_id: &str,
        status: RequestStatus,
    ) -> Result<(), AppError> {
        self.store
            .answer_requests_of_place(place_id, status, &stamp(Utc::now()))
            .await?;
        Ok(())
    }

    /// Places of the actor's territory whose referent was asked and never answered.
    pub async fn never_answered_places(
        &self,
        actor: Option<&Actor>,
        now: DateTime<Utc>,
    ) -> Result<Vec<StoredPlace>, AppError> {
        allow(authorize(actor, &Action::ReviewQuality, today()))?;
        let settings = self.campaign_settings();
        let mut by_place: std::collections::BTreeMap<String, Vec<(RequestStatus, DateTime<Utc>)>> =
            Default::default();
        for r in self.store.campaign_requests(None).await? {
            let first = parse_stamp(&r.first_sent_at)?;
            by_place
                .entry(r.place_id)
                .or_default()
                .push((r.status, first));
        }
        let ids: Vec<String> = by_place
            .into_iter()
            .filter(|(_, statuses)| never_answered(statuses.iter().copied(), now, &settings))
            .map(|(id, _)| id)
            .collect();
        Ok(self
            .store
            .places(&ids)
            .await?
            .into_iter()
            .filter(|p| coordinates(actor, p))
            .collect())
    }
}
