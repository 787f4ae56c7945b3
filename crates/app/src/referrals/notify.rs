//! Who is told what: the receiving structure, the sender, the person (for their consent).

use super::*;

impl App {
    pub(super) fn link_expiry(&self) -> String {
        self.delays()
            .link_expires_at(Utc::now())
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    }

    pub(super) async fn send_mail(&self, mail: Mail) {
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
    pub(super) async fn notify_sender(&self, r: &StoredReferral) -> Result<(), AppError> {
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
}
