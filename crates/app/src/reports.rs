//! Error reports: anyone reports an error on a place's page; who may edit the place (its
//! members, the territory's coordinators) sees and resolves it.

use maillage_domain::policy::{Action, Actor, authorize};
use maillage_domain::reports::validate_report;
use maillage_store::{ErrorReport, StoredPlace};

use crate::mail::Mail;
use crate::mail::messages::{Message, ReportHandled, ReportReceived};
use crate::{App, AppError, allow, location_of, today};
use maillage_domain::Vocabulary;
use maillage_domain::retention::Kept;

/// A report refused, with the fields at fault (French reasons).
/// The error report form of a place's public page.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct ReportForm {
    #[serde(rename = "categorie")]
    pub category: String,
    pub message: String,
    /// To be told when it is handled (optional).
    #[serde(rename = "courriel")]
    pub email: String,
}

/// How a report was resolved (`corrige`, `rejete`…), from the moderation queue.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct Resolution {
    #[serde(rename = "fait")]
    pub outcome: String,
}

#[derive(Debug)]
pub enum ReportRefused {
    Invalid(Vec<(&'static str, String)>),
    App(AppError),
}

impl From<AppError> for ReportRefused {
    fn from(e: AppError) -> Self {
        ReportRefused::App(e)
    }
}

fn may_handle(actor: Option<&Actor>, place: &StoredPlace) -> bool {
    authorize(
        actor,
        &Action::UpdatePlace(location_of(&place.place, place.organisation_id.as_deref())),
        today(),
    )
    .is_allowed()
}

impl App {
    /// Records a report on a place (no account needed). Each report e-mails the place's
    /// keepers: reports are limited per client and per place (`client`: see
    /// `maillage_web::auth::Client`).
    pub async fn report_error(
        &self,
        client: &str,
        place_id: &str,
        category: &str,
        message: &str,
        email: &str,
    ) -> Result<String, ReportRefused> {
        let place = self.place(place_id).await?;
        let input = validate_report(category, message, email).map_err(ReportRefused::Invalid)?;
        if !self
            .limits
            .mail_allowed(client, &format!("signalements:{}", place.place.id))
            .await
        {
            return Err(ReportRefused::App(AppError::TooMany(
                "beaucoup de signalements ont été envoyés sur cette fiche ou depuis votre connexion : réessayez dans une heure".into(),
            )));
        }
        let id = self
            .store
            .create_report(&place.place.id, &input)
            .await
            .map_err(AppError::from)?;
        // Tell who keeps the page up to date (members of its structure, coordinators).
        let message = ReportReceived {
            place: place.place.name.clone(),
            commune: place.place.commune.clone(),
            category: input.category.label().to_string(),
            message: input.message.clone(),
            url: self.public_url.clone(),
        };
        let mails: Vec<Mail> = self
            .place_keepers(&place)
            .await?
            .iter()
            .filter_map(|to| message.to(to))
            .collect();
        self.mailer.send_all(&mails).await;
        Ok(id)
    }

    /// E-mail addresses of who may edit a place: members of its organisation and coordinators
    /// of its territory (administrators are not notified of every report) — one query, however
    /// many accounts there are.
    async fn place_keepers(&self, place: &StoredPlace) -> Result<Vec<String>, AppError> {
        if !self.mailer.is_enabled() {
            return Ok(Vec::new());
        }
        let location = location_of(&place.place, place.organisation_id.as_deref());
        Ok(self
            .store
            .keepers_of(
                location.organisation_id.as_deref(),
                location.departement.as_deref(),
                location.insee_code.as_deref(),
                &today().to_string(),
            )
            .await?)
    }

    /// Open reports on the places the actor may edit, oldest first.
    pub async fn open_reports_for(
        &self,
        actor: Option<&Actor>,
    ) -> Result<Vec<(ErrorReport, StoredPlace)>, AppError> {
        if actor.is_none() {
            return Err(AppError::SignInRequired);
        }
        let mut out = Vec::new();
        for report in self.store.open_reports().await? {
            if let Some(place) = self.store.place(&report.place_id).await?
                && may_handle(actor, &place)
            {
                out.push((report, place));
            }
        }
        Ok(out)
    }

    /// Resolves a report, saying what was done.
    pub async fn resolve_report(
        &self,
        actor: Option<&Actor>,
        report_id: &str,
        resolution: &str,
    ) -> Result<(), AppError> {
        let report = self
            .store
            .report(report_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let place = self.place(&report.place_id).await?;
        allow(authorize(
            actor,
            &Action::UpdatePlace(location_of(&place.place, place.organisation_id.as_deref())),
            today(),
        ))?;
        let resolution = resolution.trim();
        if resolution.chars().count() > 2_000 {
            return Err(AppError::Invalid(
                "ce qui a été fait : 2 000 caractères au plus".into(),
            ));
        }
        let by = actor.map(|a| a.user_id.as_str());
        if !self.store.resolve_report(report_id, by, resolution).await? {
            return Err(AppError::Invalid("ce signalement est déjà traité".into()));
        }
        // The reporter asked to be told.
        if let Some(to) = report.reporter_email {
            let mail = ReportHandled {
                place: place.place.name.clone(),
                place_id: place.place.id.clone(),
                commune: place.place.commune.clone(),
                resolution: resolution.to_string(),
                kept: self.retention.phrase(Kept::ReportEmails),
                url: self.public_url.clone(),
            }
            .to(&to);
            self.mailer.send_all(mail.as_slice()).await;
        }
        Ok(())
    }
}
