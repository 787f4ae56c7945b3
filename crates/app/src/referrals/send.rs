//! Sending a referral: the policy, the consent, the minimal data shared, the receiver told.

use super::*;

impl App {
    /// The network's delays: the defaults, or (configuration or environment)
    /// `MAILLAGE_ORIENTATION_REPONSE_JOURS`,
    /// `MAILLAGE_ORIENTATION_LIEN_JOURS`, `MAILLAGE_ORIENTATION_RAPPEL_JOURS`,
    /// `MAILLAGE_ORIENTATION_CONSERVATION_MOIS` (a positive whole number each).
    pub fn delays(&self) -> Delays {
        let env = |name: &str, default: i64| -> i64 {
            match self.setting(name) {
                Some(v) => match v.trim().parse::<i64>() {
                    Ok(n) if n > 0 => n,
                    _ => {
                        tracing::warn!(
                            "{name} : « {v} » n'est pas un nombre positif, valeur par défaut"
                        );
                        default
                    }
                },
                None => default,
            }
        };
        let d = Delays::default();
        Delays {
            answer_days: env("MAILLAGE_ORIENTATION_REPONSE_JOURS", d.answer_days),
            link_days: env("MAILLAGE_ORIENTATION_LIEN_JOURS", d.link_days),
            reminder_days: env("MAILLAGE_ORIENTATION_RAPPEL_JOURS", d.reminder_days),
            retention_months: u32::try_from(self.retention.value(Kept::Referrals))
                .unwrap_or(d.retention_months),
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

    pub(super) async fn organisation_name(&self, id: Option<&str>) -> String {
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
                    note: input
                        .note
                        .as_deref()
                        .map(|n| maillage_domain::sensitive::mask(n).text),
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
                    let mail = ReferralConsent {
                        person: r.person_label.clone().unwrap_or_default(),
                        from: from_name.clone(),
                        request: r.request_title.clone(),
                        to: r.to_name.clone(),
                        note: r.shared.note.is_some(),
                        days: self.delays().link_days,
                        token,
                        url: self.public_url.clone(),
                    }
                    .to(email);
                    self.send_mail(mail).await;
                }
            }
            _ => self.notify_receiver(&r, false).await?,
        }
        Ok(Ok(id))
    }
}
