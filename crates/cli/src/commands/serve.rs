//! `maillage serve`: the web application (the only command that needs the web crate).

use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use maillage_app::App;
use maillage_app::demo::DemoScale;

use super::Global;

#[derive(Args)]
pub struct ServeArgs {
    #[arg(long, env = "MAILLAGE_ADDR", default_value = "127.0.0.1:8080")]
    addr: String,
    /// Charge le territoire de démonstration si l'annuaire est vide.
    #[arg(long)]
    demo: bool,
    /// Sans cache des recherches récentes (pour mesurer les recherches elles-mêmes).
    #[arg(long, env = "MAILLAGE_NO_SEARCH_CACHE")]
    no_search_cache: bool,
}

pub async fn run(global: &Global, args: &ServeArgs) -> Result<ExitCode> {
    let addr = &args.addr;
    let database = global.database().await?;
    let backend = database.backend();
    let mailer = maillage_app::mail::Mailer::from_env()
        .context("MAILLAGE_SMTP_URL ou MAILLAGE_MAIL_FROM invalide")?;
    let public_url =
        std::env::var("MAILLAGE_PUBLIC_URL").unwrap_or_else(|_| format!("http://{addr}"));
    if !mailer.is_enabled() {
        eprintln!(
            "Courriels désactivés (MAILLAGE_SMTP_URL non défini) : les notifications ne partent pas."
        );
    }
    let retention = maillage_app::retention::from_env().map_err(anyhow::Error::msg)?;
    let app = App::with_search_cache(database, global.referential()?, !args.no_search_cache)
        .await?
        .with_mail(mailer, &public_url)
        .with_retention(retention);
    if args.demo && app.directory_is_empty().await? {
        super::demo::load(&app, DemoScale::Departement).await?;
        app.reindex().await?;
    }
    eprintln!(
        "Maillage sur http://{addr}/ (base {backend}, {} lieux)",
        app.index().len()
    );
    maillage_web::serve(app, addr).await?;
    Ok(ExitCode::SUCCESS)
}
