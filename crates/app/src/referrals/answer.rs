//! A referral's page, its answers (from the page, the API or a link), the person's consent, the journey's export.

use super::*;

impl App {
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

    pub(super) async fn transition(
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
    ) -> Result<JourneyExport, AppError> {
        let view = self.referral_view(actor, id).await?;
        let mut orientations = Vec::new();
        for r in view.journey {
            let events = self.store.referral_events(&r.id).await?;
            orientations.push(HandOff {
                vers: r.to_name,
                demande: r.request_title,
                transmis: r.shared,
                accord: r.consent,
                accord_le: r.consent_at,
                statut: r.status.label(),
                motif_refus: r.decline_reason.map(|d| d.label()),
                issue: r.outcome.map(|o| o.label()),
                historique: events
                    .into_iter()
                    .map(|e| StatusChange {
                        le: e.at,
                        statut: e.status.label(),
                        par: e.actor,
                    })
                    .collect(),
            });
        }
        Ok(JourneyExport {
            prenom_ou_pseudonyme: view.referral.person_label,
            contact: view.referral.contact,
            conservation: format!(
                "effacé {} mois après la fin du parcours, ou dès le retrait de l'accord",
                self.delays().retention_months
            ),
            orientations,
        })
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
}

/// What Maillage holds about the person of a journey (their right of access), as the JSON file
/// handed to them.
#[derive(Debug, Clone, serde::Serialize)]
pub struct JourneyExport {
    pub prenom_ou_pseudonyme: Option<String>,
    pub contact: Option<String>,
    /// When it is erased, in words.
    pub conservation: String,
    pub orientations: Vec<HandOff>,
}

/// One hand-off of the journey, with what was shared and the person's consent.
#[derive(Debug, Clone, serde::Serialize)]
pub struct HandOff {
    pub vers: String,
    pub demande: String,
    pub transmis: maillage_store::Shared,
    pub accord: maillage_domain::referrals::Consent,
    pub accord_le: Option<String>,
    pub statut: &'static str,
    pub motif_refus: Option<&'static str>,
    pub issue: Option<&'static str>,
    pub historique: Vec<StatusChange>,
}

/// A change of status of a hand-off.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StatusChange {
    pub le: String,
    pub statut: &'static str,
    pub par: String,
}
