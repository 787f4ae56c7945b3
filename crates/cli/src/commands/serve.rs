//! `maillage serve`: the web application (the only command that needs the web crate).

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Args;
use maillage_app::App;
use maillage_app::demo::DemoScale;

use super::Global;

#[derive(Args)]
pub struct ServeArgs {
    /// Adresse d'écoute (sinon `serveur.adresse` de la configuration, sinon 127.0.0.1:8080).
    #[arg(long, env = "MAILLAGE_ADDR")]
    addr: Option<String>,
    /// Charge le territoire de démonstration si l'annuaire est vide.
    #[arg(long)]
    demo: bool,
    /// Sans cache des recherches récentes (pour mesurer les recherches elles-mêmes).
    #[arg(long, env = "MAILLAGE_NO_SEARCH_CACHE")]
    no_search_cache: bool,
}

pub async fn run(global: &Global, args: &ServeArgs) -> Result<ExitCode> {
    let settings = global.settings()?;
    // A server does not start with a setting it would misread: every problem, then stop.
    let problems = settings.problems();
    if !problems.is_empty() {
        for p in &problems {
            eprintln!("Configuration : {p}");
        }
        bail!(
            "{} problème(s) de configuration : corrigez-les (`maillage config check` les liste)",
            problems.len()
        );
    }
    let addr = match &args.addr {
        Some(a) => a.clone(),
        None => settings
            .get("MAILLAGE_ADDR")
            .unwrap_or_else(|| "127.0.0.1:8080".into()),
    };
    let database = global.database().await?;
    let backend = database.backend();
    let backups =
        maillage_app::backups::BackupPlan::from_settings(settings, &global.database_url()?);
    let mailer = maillage_app::mail::Mailer::from_settings(settings).context(
        "courriel.smtp (MAILLAGE_SMTP_URL) ou courriel.expediteur (MAILLAGE_MAIL_FROM) invalide",
    )?;
    let public_url = global
        .public_url()?
        .unwrap_or_else(|| format!("http://{addr}"));
    if !mailer.is_enabled() {
        eprintln!(
            "Courriels désactivés (courriel.smtp, MAILLAGE_SMTP_URL, non défini) : les notifications ne partent pas."
        );
    }
    let retention = maillage_app::retention::from_lookup(|name| settings.get(name))
        .map_err(anyhow::Error::msg)?;
    let search_cache =
        !args.no_search_cache && settings.flag("MAILLAGE_SEARCH_CACHE").unwrap_or(true);
    let referential = global.referential()?;
    referential.index_names();
    let app = App::with_search_cache(database, referential, search_cache)
        .await?
        .with_settings(settings.clone())
        .with_contours_file(global.contours_file()?)
        .with_mail(mailer, &public_url)
        .with_retention(retention)
        .with_backups(backups);
    if args.demo && app.directory_is_empty().await? {
        super::demo::load(&app, DemoScale::Departement).await?;
        app.reindex().await?;
    }
    eprintln!(
        "Maillage sur http://{addr}/ (base {backend}, {} lieux)",
        app.index().len()
    );
    maillage_web::serve(app, &addr).await?;
    Ok(ExitCode::SUCCESS)
}
