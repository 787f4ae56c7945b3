//! The periodic work of a server, run every hour: purge what is kept no longer than needed,
//! send the due reminders and digests, check a batch of the library's links.

use chrono::{DateTime, Utc};

use crate::App;

impl App {
    /// One hour's work, at `now`. Each job's failure is logged and the next ones still run.
    pub async fn run_hourly(&self, now: DateTime<Utc>, check_links: bool) {
        if let Err(e) = self.store.purge_sessions(now.timestamp()).await {
            tracing::warn!("purge des sessions : {e}");
        }
        if let Err(e) = self.store.purge_password_resets(now.timestamp()).await {
            tracing::warn!("purge des liens de mot de passe : {e}");
        }
        // Reporters' e-mail addresses: erased 30 days after their report was resolved.
        let before = now - chrono::Duration::days(maillage_domain::reports::EMAIL_RETENTION_DAYS);
        let before = before.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        if let Err(e) = self.store.purge_report_emails(&before).await {
            tracing::warn!("purge des adresses des signalements : {e}");
        }
        // Campaigns: addresses erased 30 days after the campaign is closed, expired links
        // deleted, due reminders sent.
        if let Err(e) = self
            .store
            .purge_campaign_emails(
                &before,
                &now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            )
            .await
        {
            tracing::warn!("purge des adresses des campagnes : {e}");
        }
        // Followed persons past their keeping date (with their diagnostics), expired
        // drafts of tests taken alone.
        if let Err(e) = self
            .store
            .purge_diagnostics(&now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .await
        {
            tracing::warn!("purge des diagnostics : {e}");
        }
        // The log of activity changes: a day is enough for every running instance (one
        // further behind reloads its statistics whole).
        let day_ago =
            (now - chrono::Duration::days(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        if let Err(e) = self.store.purge_activity_changes(&day_ago).await {
            tracing::warn!("purge du journal des activités : {e}");
        }
        // Workshop registrations: erased 90 days after the workshop.
        let before =
            (now.with_timezone(&chrono::Local).date_naive() - chrono::Days::new(90)).to_string();
        if let Err(e) = self.store.purge_registrations(&before).await {
            tracing::warn!("purge des inscriptions aux ateliers : {e}");
        }
        match self.send_workshop_reminders(now).await {
            Ok(0) => {}
            Ok(n) => tracing::info!("ateliers : {n} rappel(s) envoyé(s)"),
            Err(e) => tracing::warn!("rappels des ateliers : {e}"),
        }
        match self.send_campaign_reminders(now).await {
            Ok(0) => {}
            Ok(n) => tracing::info!("campagnes : {n} rappel(s) envoyé(s)"),
            Err(e) => tracing::warn!("rappels des campagnes : {e}"),
        }
        // Watch: who received which item is forgotten after 90 days (beyond the digests'
        // five weeks).
        let before =
            (now - chrono::Duration::days(90)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        if let Err(e) = self.store.purge_watch_deliveries(&before).await {
            tracing::warn!("purge des envois de la veille : {e}");
        }
        // Watch: Monday digests when due, and urgent items a failed sending left behind.
        match self.send_digests(now, false).await {
            Ok(0) => {}
            Ok(n) => tracing::info!("veille : {n} résumé(s) envoyé(s)"),
            Err(e) => tracing::warn!("résumés de la veille : {e}"),
        }
        if let Err(e) = self.resend_urgent_news(now).await {
            tracing::warn!("nouvelles urgentes : {e}");
        }
        // Referrals: reminders after a week without answer, expiry after 30 days, the
        // person's data erased 12 months after the journey closed.
        match self.run_referral_schedule(now).await {
            Ok((0, 0, 0)) => {}
            Ok((r, x, e)) => tracing::info!(
                "orientations : {r} rappel(s), {x} expirée(s), {e} parcours effacé(s)"
            ),
            Err(e) => tracing::warn!("échéances des orientations : {e}"),
        }
        // Library: links due for a check (weekly; failing ones daily), a batch per hour.
        if check_links {
            match self.check_links(now, 200).await {
                Ok(r) if r.offline => {
                    tracing::info!(
                        "liens : aucun site ne répond, serveur hors ligne ? rien n'est noté"
                    )
                }
                Ok(r) if r.checked > 0 => tracing::info!(
                    "liens : {} vérifié(s), {} en échec, {} signalé(s) morts",
                    r.checked,
                    r.failed,
                    r.newly_dead.len()
                ),
                Ok(_) => {}
                Err(e) => tracing::warn!("vérification des liens : {e}"),
            }
        }
    }
}
