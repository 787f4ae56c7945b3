//! `maillage veille envoyer`: sends the watch digests that are due.

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Subcommand;

use super::Global;

#[derive(Subcommand)]
pub enum WatchWhat {
    /// Envoie les résumés hebdomadaires dus (tous avec --maintenant) par le serveur SMTP de
    /// MAILLAGE_SMTP_URL.
    Envoyer {
        #[arg(long)]
        maintenant: bool,
    },
}

pub async fn run(global: &Global, what: &WatchWhat) -> Result<ExitCode> {
    let WatchWhat::Envoyer { maintenant } = what;
    let mailer = maillage_app::mail::Mailer::from_settings(global.settings()?).context(
        "courriel.smtp (MAILLAGE_SMTP_URL) ou courriel.expediteur (MAILLAGE_MAIL_FROM) invalide",
    )?;
    if !mailer.is_enabled() {
        bail!("MAILLAGE_SMTP_URL n'est pas défini : aucun courriel ne peut partir");
    }
    let public_url = global
        .public_url()?
        .unwrap_or_else(|| "http://127.0.0.1:8080".into());
    let app = global
        .app_for_writes()
        .await?
        .with_mail(mailer, &public_url);
    let n = app.send_digests(chrono::Utc::now(), *maintenant).await?;
    println!("{n} résumé(s) de veille envoyé(s).");
    Ok(ExitCode::SUCCESS)
}
