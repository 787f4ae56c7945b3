//! The one scheduler of a server: named periodic jobs, run every hour. Each run is claimed in
//! the store, so that several instances of one network do it once; its end, outcome and summary
//! (counts, never personal data) are kept for the administrators. Purges follow the keeping
//! delays of [`crate::retention`].

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use maillage_domain::policy::{Action, Actor, authorize};
use maillage_domain::retention::Kept;
use maillage_store::JobRun;

use crate::{App, AppError, allow, today};

/// The log of activity changes is needed by the instances one hour behind at most (one further
/// behind reloads its statistics whole); a day is kept.
const ACTIVITY_LOG_DAYS: i64 = 1;
/// A job is claimed again once its last run is this old (a little less than the hour between
/// two rounds, so that a round never skips a job that ran at the previous one).
const CLAIM_AGAIN_AFTER_MINUTES: i64 = 55;
/// Links checked per hour.
const LINKS_PER_HOUR: usize = 200;

/// A periodic job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    Sessions,
    PasswordResets,
    ReportEmails,
    Campaigns,
    Diagnostics,
    ActivityLog,
    Registrations,
    WorkshopReminders,
    CampaignReminders,
    WatchDeliveries,
    WatchDigests,
    UrgentNews,
    Referrals,
    MandateExpiry,
    Links,
    Backups,
    Sources,
    ChangeFeed,
    StatsSnapshot,
}

impl Job {
    pub const ALL: [Job; 19] = [
        Job::Sessions,
        Job::PasswordResets,
        Job::ReportEmails,
        Job::Campaigns,
        Job::Diagnostics,
        Job::ActivityLog,
        Job::Registrations,
        Job::WorkshopReminders,
        Job::CampaignReminders,
        Job::WatchDeliveries,
        Job::WatchDigests,
        Job::UrgentNews,
        Job::Referrals,
        Job::MandateExpiry,
        Job::Links,
        Job::Backups,
        Job::Sources,
        Job::ChangeFeed,
        Job::StatsSnapshot,
    ];

    /// Its name in the store and the logs.
    pub fn key(self) -> &'static str {
        match self {
            Job::Sessions => "purge-sessions",
            Job::PasswordResets => "purge-liens-mot-de-passe",
            Job::ReportEmails => "purge-courriels-signalements",
            Job::Campaigns => "purge-campagnes",
            Job::Diagnostics => "purge-diagnostics",
            Job::ActivityLog => "purge-journal-activites",
            Job::Registrations => "purge-inscriptions",
            Job::WorkshopReminders => "rappels-ateliers",
            Job::CampaignReminders => "rappels-campagnes",
            Job::WatchDeliveries => "purge-envois-veille",
            Job::WatchDigests => "resumes-veille",
            Job::UrgentNews => "nouvelles-urgentes",
            Job::Referrals => "echeances-orientations",
            Job::MandateExpiry => "fins-de-mandats",
            Job::Links => "verification-liens",
            Job::Backups => "sauvegardes",
            Job::Sources => "moisson-des-sources",
            Job::ChangeFeed => "purge-fil-des-modifications",
            Job::StatsSnapshot => "instantane-statistiques",
        }
    }

    /// What it does, in French.
    pub fn label(self) -> &'static str {
        match self {
            Job::Sessions => {
                "Efface les sessions expirées, les compteurs des limites d'un jour et les travaux longs finis depuis une heure"
            }
            Job::PasswordResets => "Efface les liens de mot de passe expirés",
            Job::ReportEmails => "Efface les adresses des signalements traités",
            Job::Campaigns => {
                "Efface les adresses des campagnes closes et les liens expirés, et ce que les enquêtes closes gardent de personnes (adresses, référents, textes libres)"
            }
            Job::Diagnostics => {
                "Efface les personnes suivies et les mandats arrivés à échéance, les diagnostics en cours abandonnés et les consultations anciennes"
            }
            Job::ActivityLog => "Allège le journal des changements d'activité",
            Job::Registrations => "Efface les inscriptions aux ateliers passés",
            Job::WorkshopReminders => "Envoie les rappels des ateliers",
            Job::CampaignReminders => "Envoie les relances des campagnes",
            Job::WatchDeliveries => "Oublie les envois anciens de la veille",
            Job::WatchDigests => "Envoie les résumés de la veille dus",
            Job::UrgentNews => "Renvoie les nouvelles urgentes restées en échec",
            Job::Referrals => "Relance, fait expirer et efface les orientations à échéance",
            Job::MandateExpiry => {
                "Prévient, une fois, les personnes et les aidants habilités des mandats qui s'arrêtent dans la semaine"
            }
            Job::Links => "Vérifie un lot de liens de la ressourcerie",
            Job::Sources => {
                "Moissonne les sources dues (fichiers d'autres producteurs), les importe et dit ce qui a changé"
            }
            Job::ChangeFeed => {
                "Oublie les lignes du fil des modifications de plus d'un jour (toutes les instances les ont lues)"
            }
            Job::StatsSnapshot => {
                "Écrit l'instantané du cube des statistiques d'activité quand des comptes rendus ont changé, pour qu'une instance qui démarre réponde en quelques secondes"
            }
            Job::Backups => {
                "Sauvegarde la base quand la dernière sauvegarde est assez ancienne, et efface les plus anciennes (sauvegardes.dossier)"
            }
        }
    }
}

/// A job and its last run (none yet: `None`).
#[derive(Debug, Clone)]
pub struct JobStatus {
    pub job: Job,
    pub last: Option<JobRun>,
}

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl App {
    /// One round of the periodic jobs at `now`: each job this instance claims runs, and its
    /// outcome is recorded; a failure is logged and the next jobs still run.
    pub async fn run_hourly(&self, now: DateTime<Utc>, check_links: bool) {
        let not_since = stamp(now - Duration::minutes(CLAIM_AGAIN_AFTER_MINUTES));
        for job in Job::ALL {
            if job == Job::Links && !check_links {
                continue;
            }
            match self
                .store
                .claim_job(job.key(), &stamp(now), &not_since)
                .await
            {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => {
                    tracing::warn!("{} : réclamation impossible : {e}", job.key());
                    continue;
                }
            }
            let (ok, summary) = match self.run_job(job, now).await {
                Ok(summary) => (true, summary),
                Err(e) => {
                    tracing::warn!("{} : {e}", job.key());
                    (false, e.public_message())
                }
            };
            self.metrics.job(job.key(), ok);
            if ok && !summary.starts_with("0 ") && summary != "rien à faire" {
                tracing::info!("{} : {summary}", job.key());
            }
            if let Err(e) = self
                .store
                .finish_job(job.key(), &stamp(Utc::now()), ok, &summary)
                .await
            {
                tracing::warn!("{} : fin non enregistrée : {e}", job.key());
            }
        }
    }

    /// Runs one job now, whatever its last run; returns what it did, in French.
    pub async fn run_job(&self, job: Job, now: DateTime<Utc>) -> Result<String, AppError> {
        let r = &self.retention;
        Ok(match job {
            Job::Sessions => {
                let n = self.store.purge_sessions(now.timestamp()).await?;
                let ms = now.timestamp_millis();
                let counters = self
                    .store
                    .purge_shared(ms.saturating_sub(
                        i64::try_from(crate::limits::SHARED_KEEP.as_millis()).unwrap_or(i64::MAX),
                    ))
                    .await?;
                let work = self
                    .store
                    .purge_work_finished(ms.saturating_sub(
                        i64::try_from(crate::jobs::KEEP_FINISHED.as_millis()).unwrap_or(i64::MAX),
                    ))
                    .await?;
                format!(
                    "{n} session(s) effacée(s), {counters} compteur(s) et {work} travail(-aux) long(s) oublié(s)"
                )
            }
            Job::PasswordResets => {
                let n = self.store.purge_password_resets(now.timestamp()).await?;
                format!("{n} lien(s) effacé(s)")
            }
            Job::ReportEmails => {
                let before = stamp(now - r.duration(Kept::ReportEmails));
                let n = self.store.purge_report_emails(&before).await?;
                format!("{n} adresse(s) effacée(s)")
            }
            Job::Campaigns => {
                let before = stamp(now - r.duration(Kept::CampaignEmails));
                let n = self
                    .store
                    .purge_campaign_emails(&before, &stamp(now))
                    .await?;
                let surveys = self
                    .store
                    .purge_survey_contacts(
                        &stamp(now - r.duration(Kept::SurveyContacts)),
                        &stamp(now),
                    )
                    .await?;
                format!(
                    "{n} adresse(s) ou lien(s) effacé(s), {surveys} enquête(s) close(s) purgée(s)"
                )
            }
            Job::Diagnostics => {
                let mandates = self.store.purge_mandates(&stamp(now)).await?;
                let consultations = self
                    .store
                    .purge_access_log(&stamp(
                        now - self
                            .retention
                            .duration(maillage_domain::retention::Kept::AccessLog),
                    ))
                    .await?;
                let requests = self.store.purge_person_requests(&stamp(now)).await?;
                let n = self.store.purge_diagnostics(&stamp(now)).await?;
                format!(
                    "{n} personne(s) ou brouillon(s) effacé(s), {mandates} mandat(s) échu(s) effacé(s), {consultations} consultation(s) oubliée(s), {requests} demande(s) ancienne(s) effacée(s)"
                )
            }
            Job::ActivityLog => {
                let before = stamp(now - Duration::days(ACTIVITY_LOG_DAYS));
                let n = self.store.purge_activity_changes(&before).await?;
                format!("{n} ligne(s) du journal effacée(s)")
            }
            Job::Registrations => {
                let day = now.with_timezone(&chrono::Local).date_naive()
                    - r.duration(Kept::Registrations);
                let n = self.store.purge_registrations(&day.to_string()).await?;
                format!("{n} inscription(s) effacée(s)")
            }
            Job::WorkshopReminders => {
                let n = self.send_workshop_reminders(now).await?;
                format!("{n} rappel(s) envoyé(s)")
            }
            Job::CampaignReminders => {
                let n = self.send_campaign_reminders(now).await?;
                format!("{n} relance(s) envoyée(s)")
            }
            Job::WatchDeliveries => {
                let before = stamp(now - r.duration(Kept::WatchDeliveries));
                let n = self.store.purge_watch_deliveries(&before).await?;
                format!("{n} envoi(s) oublié(s)")
            }
            Job::WatchDigests => {
                let n = self.send_digests(now, false).await?;
                format!("{n} résumé(s) envoyé(s)")
            }
            Job::UrgentNews => {
                let n = self.resend_urgent_news(now).await?;
                format!("{n} nouvelle(s) renvoyée(s)")
            }
            Job::Referrals => {
                let (reminded, expired, erased) = self.run_referral_schedule(now).await?;
                format!("{reminded} rappel(s), {expired} expirée(s), {erased} parcours effacé(s)")
            }
            Job::MandateExpiry => {
                let n = self.send_mandate_expiry_warnings(now).await?;
                format!("{n} courriel(s) de fin de mandat envoyé(s)")
            }
            Job::Backups => self.scheduled_backup(now).await?,
            Job::ChangeFeed => {
                let n = self
                    .store
                    .forget_changes_before(&stamp(now - Duration::days(1)))
                    .await?;
                format!("{n} ligne(s) oubliée(s)")
            }
            Job::StatsSnapshot => self.write_cube_snapshot().await?,
            Job::Sources => {
                let n = self.run_due_sources(now).await?;
                format!("{n} source(s) moissonnée(s)")
            }
            Job::Links => {
                let report = self.check_links(now, LINKS_PER_HOUR).await?;
                if report.offline {
                    "aucun site ne répond : serveur hors ligne ? rien n'est noté".to_string()
                } else {
                    format!(
                        "{} lien(s) vérifié(s), {} en échec, {} signalé(s) morts",
                        report.checked,
                        report.failed,
                        report.newly_dead.len()
                    )
                }
            }
        })
    }

    /// Every job with its last run, for administrators.
    pub async fn scheduled_jobs(&self, actor: Option<&Actor>) -> Result<Vec<JobStatus>, AppError> {
        allow(authorize(actor, &Action::ManageAccounts, today()))?;
        let runs = self.store.job_runs().await?;
        Ok(Job::ALL
            .into_iter()
            .map(|job| JobStatus {
                job,
                last: runs.iter().find(|r| r.job == job.key()).cloned(),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use maillage_domain::policy::Actor;
    use maillage_referential::Referential;
    use maillage_store::Store;

    use super::*;

    fn admin() -> Actor {
        Actor {
            user_id: "admin".into(),
            administrator: true,
            territory: Vec::new(),
            memberships: Vec::new(),
        }
    }

    #[tokio::test]
    async fn every_job_runs_once_an_hour_and_its_outcome_is_shown_to_administrators() {
        let store = Store::connect("sqlite::memory:").await.expect("base");
        let app = App::for_writes(store, Referential::default()).expect("application");
        let now = DateTime::parse_from_rfc3339("2026-12-04T05:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .expect("date");
        app.run_hourly(now, false).await;
        let jobs = app.scheduled_jobs(Some(&admin())).await.expect("tâches");
        assert_eq!(jobs.len(), Job::ALL.len());
        for s in &jobs {
            match s.job {
                // Not asked to check links: never claimed.
                Job::Links => assert!(s.last.is_none()),
                _ => {
                    let run = s.last.as_ref().expect("exécutée");
                    assert_eq!(run.ok, Some(true), "{:?} : {:?}", s.job, run.summary);
                    assert_eq!(run.claimed_at, "2026-12-04T05:00:00Z");
                }
            }
        }
        // Ten minutes later (another instance's round): nothing runs again.
        app.run_hourly(now + Duration::minutes(10), false).await;
        let again = app.scheduled_jobs(Some(&admin())).await.expect("tâches");
        assert!(again.iter().all(|s| {
            s.last
                .as_ref()
                .is_none_or(|r| r.claimed_at == "2026-12-04T05:00:00Z")
        }));
        // The next hour: every job runs again.
        app.run_hourly(now + Duration::hours(1), false).await;
        let next = app.scheduled_jobs(Some(&admin())).await.expect("tâches");
        assert!(next.iter().filter(|s| s.job != Job::Links).all(|s| {
            s.last
                .as_ref()
                .is_some_and(|r| r.claimed_at == "2026-12-04T06:00:00Z")
        }));
        // Only administrators see them.
        assert!(app.scheduled_jobs(None).await.is_err());
    }
}
