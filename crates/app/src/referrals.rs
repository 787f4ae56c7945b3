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
use maillage_domain::vocab::Vocabulary;
use maillage_store::{NewReferral, ReferralEvent, Shared, StoredReferral, Transition};

use crate::mail::Mail;
use crate::{App, AppError, allow, today};

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
#[derive(Debug, Clone, Default, serde::Deserialize)]
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
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

impl App {
    /// The network's delays: the defaults, or `MAILLAGE_ORIENTATION_REPONSE_JOURS`,
    /// `MAILLAGE_ORIENTATION_LIEN_JOURS`, `MAILLAGE_ORIENTATION_RAPPEL_JOURS`,
    /// `MAILLAGE_ORIENTATION_CONSERVATION_MOIS` (a positive whole number each).
    pub fn delays(&self) -> Delays {
        fn env<T: std::str::FromStr + PartialOrd + Default>(name: &str, default: T) -> T {
            match std::env::var(name) {
                Ok(v) => match v.trim().parse::<T>() {
                    Ok(n) if n > T::default() => n,
                    _ => {
                        tracing::warn!(
                            "{name} : « {v} » n'est pas un nombre positif, valeur par défaut"
                        );
                        default
                    }
                },
                Err(_) => default,
            }
        }
        let d = Delays::default();
        Delays {
            answer_days: env("MAILLAGE_ORIENTATION_REPONSE_JOURS", d.answer_days),
            link_days: env("MAILLAGE_ORIENTATION_LIEN_JOURS", d.link_days),
            reminder_days: env("MAILLAGE_ORIENTATION_RAPPEL_JOURS", d.reminder_days),
            retention_months: env("MAILLAGE_ORIENTATION_CONSERVATION_MOIS", d.retention_months),
        }
    }

    /// The sender asks again: the receiver gets the referral again (a new link, when it answers
    /// by link: the previous one stops working).
    pub async fn resend_referral(&self, actor: Option<&Actor>, id: &str) -> Result<(), AppError> {
        let view = self.referral_view(actor, id).await?;
        if !view.is_sender {
            return Err(AppError::Forbidden(
                "seule la structure qui a orienté la personne relance",
            ));
        }
        if !view.referral.status.awaits_answer() {
            return Err(AppError::Invalid(
                "l'orientation n'attend plus de réponse".into(),
            ));
        }
        self.notify_receiver(&view.referral, true).await
    }

    async fn organisation_name(&self, id: Option<&str>) -> String {
        match id {
            Some(id) => match self.store.organisation(id).await {
                Ok(Some(o)) => o.name,
                _ => "une structure".to_string(),
            },
            None => "une structure".to_string(),
        }
    }

    /// Sends a referral; returns its id, or the form's errors.
    pub async fn send_referral(
        &self,
        actor: Option<&Actor>,
        out: &Outgoing,
    ) -> Result<Result<String, Vec<(&'static str, String)>>, AppError> {
        let actor = actor.ok_or(AppError::SignInRequired)?;
        let day = today();
        let mine: Vec<&str> = actor
            .memberships
            .iter()
            .filter(|m| m.in_force(day))
            .map(|m| m.organisation_id.as_str())
            .collect();
        let from = match (&out.from_organisation_id, mine.as_slice()) {
            (Some(o), _) => o.clone(),
            (None, [one]) => one.to_string(),
            (None, []) => {
                return Err(AppError::Forbidden(
                    "orienter avec transmission est réservé aux membres d'une structure",
                ));
            }
            (None, _) => {
                return Ok(Err(vec![(
                    "structure",
                    "choisissez au nom de quelle structure vous orientez".to_string(),
                )]));
            }
        };
        allow(authorize(
            Some(actor),
            &Action::SendReferral {
                organisation_id: from.clone(),
            },
            day,
        ))?;
        // A journey is continued only by a structure that already takes part in it (the id
        // comes from a hidden field: never trusted), and never once the person's data are
        // erased.
        if let Some(journey) = &out.journey_id {
            match self.store.journey_participation(journey, &from).await? {
                Some(p) if p.takes_part && !p.erased => {}
                Some(p) if p.takes_part => {
                    return Ok(Err(vec![(
                        "parcours",
                        "les données de la personne de ce parcours ont été effacées : orientez-la sans le poursuivre".to_string(),
                    )]));
                }
                _ => {
                    return Err(AppError::Forbidden(
                        "ce parcours n'est pas celui d'une personne que votre structure accompagne",
                    ));
                }
            }
        }
        let input = match out.form.validate() {
            Ok(i) => i,
            Err(errors) => return Ok(Err(errors)),
        };
        let place = self.place(&out.place_id).await?;
        let to_email = match &place.organisation_id {
            Some(_) => None,
            None => match place.place.emails.first() {
                Some(e) => Some(e.clone()),
                None => {
                    return Ok(Err(vec![(
                        "lieu",
                        "ce lieu n'est pas sur Maillage et n'a pas d'adresse e-mail : remettez la fiche à la personne".to_string(),
                    )]));
                }
            },
        };
        if place.organisation_id.as_deref() == Some(from.as_str()) {
            return Ok(Err(vec![(
                "lieu",
                "ce lieu est celui de votre structure : pas besoin d'orientation".to_string(),
            )]));
        }
        let from_name = self.organisation_name(Some(&from)).await;
        let status = match input.consent {
            Consent::Oral { .. } => ReferralStatus::Sent,
            Consent::Link => ReferralStatus::AwaitingConsent,
        };
        let id = self
            .store
            .create_referral(&NewReferral {
                journey_id: out.journey_id.clone(),
                person_label: input.person_label.clone(),
                contact: input.contact.as_ref().map(|c| c.text()),
                from_organisation_id: from.clone(),
                from_user_id: Some(actor.user_id.clone()),
                to_organisation_id: place.organisation_id.clone(),
                to_place_id: Some(place.place.id.clone()),
                to_name: place.place.name.clone(),
                to_email,
                request_id: out.request_id.clone(),
                request_title: out.request_title.clone(),
                shared: Shared {
                    level: out.level.clone(),
                    constraints: out.constraints.clone(),
                    note: input.note.clone(),
                },
                consent: input.consent.clone(),
                status,
                actor: from_name.clone(),
            })
            .await?;
        let r = self.store.referral(&id).await?.ok_or(AppError::NotFound)?;
        match status {
            ReferralStatus::AwaitingConsent => {
                let token = self
                    .store
                    .issue_referral_link(&id, "accord", &self.link_expiry())
                    .await?;
                if let Some(email) = input.contact.as_ref().and_then(|c| c.email()) {
                    self.send_mail(Mail {
                        to: email.to_string(),
                        subject: format!("Votre accord pour être orienté vers {}", r.to_name),
                        body: format!(
                            "Bonjour {},\n\n{} vous propose de transmettre votre demande (« {} ») à {}.\nSeraient transmis : votre prénom, le contact que vous avez donné, la demande{}.\n\nPour donner votre accord, ouvrez ce lien (valable {} jours) :\n\n    {}/orientations/accord/{token}\n\nSans accord de votre part, rien n'est transmis. Vous pourrez retirer votre accord à tout moment : ce qui a été transmis sera alors effacé.\n\n— Maillage",
                            r.person_label.as_deref().unwrap_or(""),
                            from_name,
                            r.request_title,
                            r.to_name,
                            if r.shared.note.is_some() { " et une courte note" } else { "" },
                            self.delays().link_days,
                            self.public_url
                        ),
                    })
                    .await;
                }
            }
            _ => self.notify_receiver(&r, false).await?,
        }
        Ok(Ok(id))
    }

    fn link_expiry(&self) -> String {
        self.delays()
            .link_expires_at(Utc::now())
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    }

    async fn send_mail(&self, mail: Mail) {
        if let Err(e) = self.mailer.send(&mail).await {
            tracing::warn!("courriel d'orientation non envoyé : {e}");
        }
    }

    /// Tells the receiving side: its members, or its address with a link to answer.
    async fn notify_receiver(&self, r: &StoredReferral, reminder: bool) -> Result<(), AppError> {
        let from_name = self
            .organisation_name(r.from_organisation_id.as_deref())
            .await;
        let subject = format!(
            "{}Orientation de {from_name} : {}",
            if reminder { "Rappel — " } else { "" },
            r.request_title
        );
        let what = format!(
            "{} oriente vers vous {} pour : {}.\n{}{}{}",
            from_name,
            r.person_label.as_deref().unwrap_or("une personne"),
            r.request_title,
            r.shared
                .level
                .as_deref()
                .and_then(maillage_domain::diagnostic::Level::from_slug)
                .map(|l| format!("Niveau numérique : {}.\n", l.label()))
                .unwrap_or_default(),
            r.shared
                .constraints
                .as_deref()
                .map(|c| format!("À savoir : {c}.\n"))
                .unwrap_or_default(),
            r.shared
                .note
                .as_deref()
                .map(|n| format!("Note : {n}\n"))
                .unwrap_or_default(),
        );
        match (&r.to_organisation_id, &r.to_email) {
            (Some(org), _) => {
                for member in self.store.members_of(org, &today().to_string()).await? {
                    self.send_mail(Mail {
                        to: member.email,
                        subject: subject.clone(),
                        body: format!(
                            "Bonjour,\n\n{what}\nRépondez (prise en charge, ou refus avec un motif) sur Maillage :\n\n    {}/orientations/{}\n\nSans réponse sous {} jours, l'orientation expire et la structure qui oriente en est informée.\n\n— Maillage",
                            self.public_url,
                            r.id,
                            self.delays().answer_days
                        ),
                    })
                    .await;
                }
            }
            (None, Some(email)) => {
                let token = self
                    .store
                    .issue_referral_link(&r.id, "reponse", &self.link_expiry())
                    .await?;
                self.send_mail(Mail {
                    to: email.clone(),
                    subject,
                    body: format!(
                        "Bonjour,\n\n{what}\nVotre structure n'a pas de compte Maillage : répondez en un clic, sans compte, par ce lien personnel (valable {} jours, pour cette orientation seulement) :\n\n    {}/orientations/reponse/{token}\n\n— Maillage",
                        self.delays().link_days,
                        self.public_url
                    ),
                })
                .await;
            }
            (None, None) => {}
        }
        self.store.touch_referral(&r.id).await?;
        Ok(())
    }

    /// Tells the sender that the referral changed.
    async fn notify_sender(&self, r: &StoredReferral) -> Result<(), AppError> {
        let user = match &r.from_user_id {
            Some(u) => self.store.user(u).await?,
            None => None,
        };
        let Some(user) = user else {
            return Ok(());
        };
        let mut body = format!(
            "Bonjour,\n\nL'orientation de {} vers {} (« {} ») est maintenant : {}.\n",
            r.person_label.as_deref().unwrap_or("la personne"),
            r.to_name,
            r.request_title,
            r.status.label().to_lowercase()
        );
        if let Some(reason) = r.decline_reason {
            body.push_str(&format!("Motif : {}.\n", reason.label()));
        }
        if let Some(better) = &r.better_partner {
            body.push_str(&format!("Partenaire suggéré : {better}.\n"));
        }
        body.push_str(&format!(
            "\nLe suivi : {}/orientations/{}\n\n— Maillage",
            self.public_url, r.id
        ));
        self.send_mail(Mail {
            to: user.email,
            subject: format!(
                "Orientation {} : {}",
                r.status.label().to_lowercase(),
                r.to_name
            ),
            body,
        })
        .await;
        Ok(())
    }

    /// Reads a referral as a member of the sending or receiving organisation (opening it as a
    /// receiver marks it received).
    pub async fn referral_view(
        &self,
        actor: Option<&Actor>,
        id: &str,
    ) -> Result<ReferralView, AppError> {
        let actor = actor.ok_or(AppError::SignInRequired)?;
        let mut r = self.store.referral(id).await?.ok_or(AppError::NotFound)?;
        let day = today();
        let member = |o: &Option<String>| o.as_deref().is_some_and(|o| actor.member_of(o, day));
        let is_sender = member(&r.from_organisation_id);
        let may_answer = member(&r.to_organisation_id);
        let org = if may_answer {
            r.to_organisation_id.clone()
        } else {
            r.from_organisation_id.clone()
        };
        allow(authorize(
            Some(actor),
            &Action::HandleReferral {
                organisation_id: org.unwrap_or_default(),
            },
            day,
        ))?;
        if may_answer && r.status == ReferralStatus::Sent {
            let name = self
                .organisation_name(r.to_organisation_id.as_deref())
                .await;
            self.transition(&r, Event::Opened, &name, None).await?;
            r = self.store.referral(id).await?.ok_or(AppError::NotFound)?;
        }
        Ok(ReferralView {
            events: self.store.referral_events(id).await?,
            journey: self.store.journey(&r.journey_id).await?,
            from_name: self
                .organisation_name(r.from_organisation_id.as_deref())
                .await,
            referral: r,
            may_answer,
            is_sender,
        })
    }

    async fn transition(
        &self,
        r: &StoredReferral,
        event: Event,
        actor_name: &str,
        better_partner: Option<&str>,
    ) -> Result<StoredReferral, AppError> {
        let to = next(r.status, &event).map_err(|e| AppError::Invalid(e.0))?;
        let (decline_reason, outcome) = match &event {
            Event::Decline { reason } => (Some(*reason), None),
            Event::Close { outcome } => (None, Some(*outcome)),
            _ => (None, None),
        };
        let applied = self
            .store
            .apply_referral(
                &r.id,
                &Transition {
                    from: r.status,
                    to,
                    actor: actor_name,
                    detail: None,
                    decline_reason,
                    better_partner: better_partner.filter(|b| !b.trim().is_empty()),
                    outcome,
                },
            )
            .await?;
        if !applied {
            return Err(AppError::Invalid(
                "l'orientation vient de changer : rechargez la page".into(),
            ));
        }
        let after = self
            .store
            .referral(&r.id)
            .await?
            .ok_or(AppError::NotFound)?;
        if !matches!(event, Event::Opened) {
            self.notify_sender(&after).await?;
        }
        Ok(after)
    }

    /// Everything Maillage holds about the person of a referral's journey, for the person who
    /// asks for it (a member of one of the structures involved hands it over): the first name,
    /// the contact, each hand-off with what was shared, its consent and its history.
    pub async fn journey_export(
        &self,
        actor: Option<&Actor>,
        id: &str,
    ) -> Result<serde_json::Value, AppError> {
        let view = self.referral_view(actor, id).await?;
        let mut steps = Vec::new();
        for r in &view.journey {
            let events = self.store.referral_events(&r.id).await?;
            steps.push(serde_json::json!({
                "vers": r.to_name,
                "demande": r.request_title,
                "transmis": r.shared,
                "accord": r.consent,
                "accord_le": r.consent_at,
                "statut": r.status.label(),
                "motif_refus": r.decline_reason.map(|d| d.label()),
                "issue": r.outcome.map(|o| o.label()),
                "historique": events.iter().map(|e| serde_json::json!({"le": e.at, "statut": e.status.label(), "par": e.actor})).collect::<Vec<_>>(),
            }));
        }
        Ok(serde_json::json!({
            "prenom_ou_pseudonyme": view.referral.person_label,
            "contact": view.referral.contact,
            "conservation": format!(
                "effacé {} mois après la fin du parcours, ou dès le retrait de l'accord",
                self.delays().retention_months
            ),
            "orientations": steps,
        }))
    }

    /// The receiving organisation answers (a member signed in).
    pub async fn answer_referral(
        &self,
        actor: Option<&Actor>,
        id: &str,
        event: Event,
        better_partner: Option<&str>,
    ) -> Result<StoredReferral, AppError> {
        let view = self.referral_view(actor, id).await?;
        let allowed = match &event {
            Event::Withdraw => view.is_sender || view.may_answer,
            _ => view.may_answer,
        };
        if !allowed {
            return Err(AppError::Forbidden(
                "seule la structure qui reçoit l'orientation y répond",
            ));
        }
        let name = self
            .organisation_name(if view.may_answer {
                view.referral.to_organisation_id.as_deref()
            } else {
                view.referral.from_organisation_id.as_deref()
            })
            .await;
        let withdraw = matches!(event, Event::Withdraw);
        let after = self
            .transition(&view.referral, event, &name, better_partner)
            .await?;
        if withdraw {
            self.store.erase_referral_share(&after.id).await?;
            return self
                .store
                .referral(&after.id)
                .await?
                .ok_or(AppError::NotFound);
        }
        Ok(after)
    }

    /// A link sent by e-mail (`reponse` for a receiver without account, `accord` for the
    /// person): the referral it opens, if the link is still valid.
    pub async fn referral_by_link(
        &self,
        token: &str,
        purpose: &str,
    ) -> Result<StoredReferral, AppError> {
        let gone =
            || AppError::Invalid("ce lien n'est plus valable (utilisé, expiré ou remplacé)".into());
        if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(gone());
        }
        let r = self.store.referral_by_link(token).await?.ok_or_else(gone)?;
        let valid = r.link_purpose.as_deref() == Some(purpose)
            && r.link_expires_at
                .as_deref()
                .and_then(parse_time)
                .is_some_and(|t| Utc::now() < t);
        if valid { Ok(r) } else { Err(gone()) }
    }

    /// The receiver without an account answers through their link (which then stops working
    /// once the referral no longer waits for an answer).
    pub async fn answer_by_link(
        &self,
        token: &str,
        event: Event,
        better_partner: Option<&str>,
    ) -> Result<StoredReferral, AppError> {
        let r = self.referral_by_link(token, "reponse").await?;
        if !matches!(
            event,
            Event::Opened
                | Event::TakeInCharge
                | Event::Decline { .. }
                | Event::NoShow
                | Event::Close { .. }
        ) {
            return Err(AppError::Invalid("action non prévue par ce lien".into()));
        }
        let name = r.to_name.clone();
        let after = self.transition(&r, event, &name, better_partner).await?;
        if after.status.is_final() {
            self.store.clear_referral_link(&after.id).await?;
        }
        Ok(after)
    }

    /// The person confirms their consent through their link: the referral leaves.
    pub async fn confirm_consent(&self, token: &str) -> Result<StoredReferral, AppError> {
        let r = self.referral_by_link(token, "accord").await?;
        let after = self
            .transition(&r, Event::ConsentConfirmed, "La personne (lien)", None)
            .await?;
        self.store.clear_referral_link(&after.id).await?;
        self.notify_receiver(&after, false).await?;
        Ok(after)
    }

    /// The person refuses through their link: nothing was shared, their data are erased.
    pub async fn refuse_consent(&self, token: &str) -> Result<(), AppError> {
        let r = self.referral_by_link(token, "accord").await?;
        let after = self
            .transition(&r, Event::Withdraw, "La personne (lien)", None)
            .await?;
        self.store.erase_referral_share(&after.id).await?;
        Ok(())
    }

    /// Referrals sent or received by the actor's organisations.
    pub async fn my_referrals(
        &self,
        actor: Option<&Actor>,
    ) -> Result<Vec<(StoredReferral, bool)>, AppError> {
        let actor = actor.ok_or(AppError::SignInRequired)?;
        let day = today();
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for m in actor.memberships.iter().filter(|m| m.in_force(day)) {
            for r in self.store.referrals_of(&m.organisation_id).await? {
                if seen.insert(r.id.clone()) {
                    let received =
                        r.to_organisation_id.as_deref() == Some(m.organisation_id.as_str());
                    out.push((r, received));
                }
            }
        }
        out.sort_by(|a, b| b.0.created_at.cmp(&a.0.created_at));
        Ok(out)
    }

    /// Scheduled work: reminders to receivers who did not answer, expiry after the delay (the
    /// sender is told), erasure of the person's data after the retention delay. Returns
    /// (reminders, expired, erased).
    pub async fn run_referral_schedule(
        &self,
        now: DateTime<Utc>,
    ) -> Result<(usize, usize, usize), AppError> {
        let delays = self.delays();
        let (mut reminded, mut expired) = (0, 0);
        for r in self.store.all_referrals().await? {
            let sent = r
                .sent_at
                .as_deref()
                .or(Some(r.created_at.as_str()))
                .and_then(parse_time);
            let Some(sent) = sent else { continue };
            if delays.expiry_due(r.status, sent, now) {
                self.transition(&r, Event::Expire, "Maillage (délai dépassé)", None)
                    .await?;
                self.store.clear_referral_link(&r.id).await?;
                expired += 1;
                continue;
            }
            let last = r
                .last_message_at
                .as_deref()
                .and_then(parse_time)
                .unwrap_or(sent);
            if delays.reminder_due(r.status, last, now) {
                self.notify_receiver(&r, true).await?;
                reminded += 1;
            }
        }
        let before = now
            .checked_sub_months(chrono::Months::new(delays.retention_months))
            .unwrap_or(now)
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let due = self.store.journeys_due_for_erasure(&before).await?;
        for j in &due {
            self.store.erase_journey_person(j).await?;
        }
        Ok((reminded, expired, due.len()))
    }

    /// The network's flows for coordinators: pairs of organisations, acceptance, delays, the
    /// measured ping-pong.
    pub async fn referral_flows(&self, actor: Option<&Actor>) -> Result<Flows, AppError> {
        allow(authorize(actor, &Action::ViewFlows, today()))?;
        let all = self.store.all_referrals().await?;
        let names: std::collections::HashMap<String, String> = self
            .store
            .organisations()
            .await?
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect();
        let name = |id: &Option<String>| {
            id.as_ref()
                .and_then(|i| names.get(i).cloned())
                .unwrap_or_else(|| "structure hors Maillage".into())
        };
        let mut pairs: std::collections::BTreeMap<(String, String), (FlowPair, Vec<f64>)> =
            Default::default();
        let mut journeys: std::collections::HashMap<String, Vec<ReferralStatus>> =
            Default::default();
        for r in &all {
            journeys
                .entry(r.journey_id.clone())
                .or_default()
                .push(r.status);
            if r.status == ReferralStatus::AwaitingConsent {
                continue;
            }
            let from = name(&r.from_organisation_id);
            let to = if r.to_organisation_id.is_some() {
                name(&r.to_organisation_id)
            } else {
                r.to_name.clone()
            };
            let entry = pairs.entry((from.clone(), to.clone())).or_insert_with(|| {
                (
                    FlowPair {
                        from,
                        to,
                        ..FlowPair::default()
                    },
                    Vec::new(),
                )
            });
            entry.0.sent += 1;
            let events = self.store.referral_events(&r.id).await?;
            let answered = events.iter().find(|e| {
                matches!(
                    e.status,
                    ReferralStatus::TakenInCharge | ReferralStatus::Declined
                )
            });
            if let (Some(a), Some(s)) = (
                answered.and_then(|e| parse_time(&e.at)),
                r.sent_at.as_deref().and_then(parse_time),
            ) {
                entry.1.push((a - s).num_minutes() as f64 / 1_440.0);
            }
            let went = |s: ReferralStatus| events.iter().any(|e| e.status == s);
            if went(ReferralStatus::TakenInCharge) {
                entry.0.taken += 1;
            }
            if went(ReferralStatus::Declined) {
                entry.0.declined += 1;
            }
            if r.status == ReferralStatus::Expired {
                entry.0.expired += 1;
            }
        }
        let mut out = Flows {
            referrals: all.len(),
            journeys: journeys.len(),
            ping_pong: journeys.values().filter(|s| is_ping_pong(s)).count(),
            ..Flows::default()
        };
        let (mut sent, mut taken) = (0, 0);
        for (_, (mut pair, mut delays)) in pairs {
            delays.sort_by(f64::total_cmp);
            pair.median_answer_days = delays.get(delays.len() / 2).copied();
            sent += pair.sent;
            taken += pair.taken;
            out.pairs.push(pair);
        }
        out.acceptance_rate = (sent > 0).then(|| taken as f64 / sent as f64);
        out.gaps = self.offer_gaps(actor).await?;
        out.pairs.sort_by_key(|p| std::cmp::Reverse(p.sent));
        Ok(out)
    }
}

impl App {
    /// Requests of the catalogue for which no place of the coordinator's territory (each of
    /// its départements and communes) offers the kind of help: the gaps in the offer.
    pub async fn offer_gaps(
        &self,
        actor: Option<&Actor>,
    ) -> Result<Vec<(String, String)>, AppError> {
        use maillage_domain::policy::TerritoryUnit;
        use maillage_search::SearchQuery;
        let Some(actor) = actor else {
            return Ok(Vec::new());
        };
        let catalogue = self.catalogue().await?;
        let index = self.index();
        let mut gaps = Vec::new();
        for unit in &actor.territory {
            let (departement, insee_code) = match unit {
                TerritoryUnit::Departement(d) => (Some(d.clone()), None),
                TerritoryUnit::Commune(c) => (None, Some(c.clone())),
            };
            for entry in &catalogue.entries {
                let mut found = 0;
                if !entry.services.is_empty() {
                    found += index
                        .search(&SearchQuery {
                            services: entry.services.clone(),
                            departement: departement.clone(),
                            insee_code: insee_code.clone(),
                            limit: 1,
                            ..SearchQuery::default()
                        })?
                        .total;
                }
                if found == 0 && !entry.mediation_forms.is_empty() {
                    found += index
                        .search(&SearchQuery {
                            mediation_forms: entry.mediation_forms.clone(),
                            departement: departement.clone(),
                            insee_code: insee_code.clone(),
                            limit: 1,
                            ..SearchQuery::default()
                        })?
                        .total;
                }
                if found == 0 {
                    gaps.push((unit.code().to_string(), entry.title.clone()));
                }
            }
        }
        Ok(gaps)
    }
}

/// Reads an answer of a form: `prendre`, `decliner` (with `motif`), `absente`, `cloturer` (with
/// `issue`), `retirer`.
pub fn event_of(action: &str, reason: &str, outcome: &str) -> Result<Event, AppError> {
    Ok(match action {
        "prendre" => Event::TakeInCharge,
        "decliner" => Event::Decline {
            reason: DeclineReason::from_slug(reason)
                .ok_or_else(|| AppError::Invalid("choisissez le motif du refus".into()))?,
        },
        "absente" => Event::NoShow,
        "cloturer" => Event::Close {
            outcome: Outcome::from_slug(outcome).ok_or_else(|| {
                AppError::Invalid("choisissez comment l'orientation se termine".into())
            })?,
        },
        "retirer" => Event::Withdraw,
        _ => return Err(AppError::Invalid("action inconnue".into())),
    })
}

impl App {
    /// The history of a referral seen through its receiver's link (the link is the credential).
    pub async fn referral_events_by_link(
        &self,
        token: &str,
    ) -> Result<Vec<ReferralEvent>, AppError> {
        let r = self.referral_by_link(token, "reponse").await?;
        Ok(self.store.referral_events(&r.id).await?)
    }
}
