//! Who is told what: the receiving structure, the sender, the person (for their consent).

use super::*;

impl App {
    pub(super) fn link_expiry(&self) -> String {
        self.delays()
            .link_expires_at(Utc::now())
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    }

    pub(super) async fn send_mail(&self, mail: Option<Mail>) {
        let Some(mail) = mail else { return };
        if let Err(e) = self.mailer.send(&mail).await {
            tracing::warn!("courriel d'orientation non envoyé : {e}");
        }
    }

    /// Tells the receiving side: its members, or its address with a link to answer.
    pub(super) async fn notify_receiver(
        &self,
        r: &StoredReferral,
        reminder: bool,
    ) -> Result<(), AppError> {
        let from_name = self
            .organisation_name(r.from_organisation_id.as_deref())
            .await;
        let message = |token: Option<String>| ReferralReceived {
            reminder,
            from: from_name.clone(),
            person: r
                .person_label
                .clone()
                .unwrap_or_else(|| "une personne".into()),
            request: r.request_title.clone(),
            level: r
                .shared
                .level
                .as_deref()
                .and_then(maillage_domain::diagnostic::Level::from_slug)
                .map(|l| l.label().to_string()),
            constraints: r.shared.constraints.clone(),
            note: r.shared.note.clone(),
            id: r.id.clone(),
            token,
            answer_days: self.delays().answer_days,
            link_days: self.delays().link_days,
            url: self.public_url.clone(),
        };
        match (&r.to_organisation_id, &r.to_email) {
            (Some(org), _) => {
                let members = message(None);
                for member in self.store.members_of(org, &today().to_string()).await? {
                    self.send_mail(members.to(&member.email)).await;
                }
            }
            (None, Some(email)) => {
                let token = self
                    .store
                    .issue_referral_link(&r.id, "reponse", &self.link_expiry())
                    .await?;
                self.send_mail(message(Some(token)).to(email)).await;
            }
            (None, None) => {}
        }
        self.store.touch_referral(&r.id).await?;
        Ok(())
    }

    /// Tells the sender that the referral changed.
    pub(super) async fn notify_sender(&self, r: &StoredReferral) -> Result<(), AppError> {
        let user = match &r.from_user_id {
            Some(u) => self.store.user(u).await?,
            None => None,
        };
        let Some(user) = user else {
            return Ok(());
        };
        let mail = ReferralFollowUp {
            person: r
                .person_label
                .clone()
                .unwrap_or_else(|| "la personne".into()),
            to: r.to_name.clone(),
            request: r.request_title.clone(),
            status: r.status.label().to_lowercase(),
            reason: r.decline_reason.map(|d| d.label().to_string()),
            better: r.better_partner.clone(),
            id: r.id.clone(),
            url: self.public_url.clone(),
        }
        .to(&user.email);
        self.send_mail(mail).await;
        Ok(())
    }
}
