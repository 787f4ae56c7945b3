//! `maillage demo`: loads the demo territory (the application's one loader, which
//! `maillage serve --demo` uses too), and says which accounts it made.

use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, ValueEnum};
use maillage_app::App;
use maillage_app::demo::{DemoOptions, DemoReport, DemoScale};

use super::Global;
use crate::progress::TerminalProgress;

#[derive(Args)]
pub struct DemoArgs {
    /// `departement` (~150 lieux en Meurthe-et-Moselle) ou `national` (~50 000 lieux).
    #[arg(long, value_enum, default_value_t = Scale::Departement)]
    scale: Scale,
    /// Vide la base avant.
    #[arg(long)]
    reset: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum Scale {
    Departement,
    National,
}

pub async fn run(global: &Global, args: &DemoArgs) -> Result<ExitCode> {
    let database = global.database().await?;
    if args.reset {
        database.reset().await?;
    }
    let app =
        App::for_writes(database, global.referential()?)?.with_settings(global.settings()?.clone());
    let scale = match args.scale {
        Scale::Departement => DemoScale::Departement,
        Scale::National => DemoScale::National,
    };
    load(&app, scale).await?;
    Ok(ExitCode::SUCCESS)
}

/// Loads the demo, with its progress in the terminal, and tells what it made: the demo
/// accounts' passwords are shown once (`MAILLAGE_DEMO_PASSWORD`, 12 characters at least, gives
/// them all one known password).
pub async fn load(app: &App, scale: DemoScale) -> Result<DemoReport> {
    let options = DemoOptions {
        scale,
        password: std::env::var("MAILLAGE_DEMO_PASSWORD").ok(),
    };
    let started = std::time::Instant::now();
    let progress = TerminalProgress::start();
    let report = app.load_demo(&options, progress.as_ref()).await;
    progress.finish();
    let report = report?;
    eprintln!(
        "{} lieu(x) de démonstration créé(s), {} inchangé(s).",
        report.places_created, report.places_unchanged
    );
    if !report.accounts.is_empty() {
        println!("Comptes de démonstration (notez les mots de passe, ils ne sont pas conservés) :");
        for a in &report.accounts {
            match &a.password {
                Some(pw) => println!("- {} / {pw} — {}", a.email, a.name),
                None => println!("- {} : existe déjà", a.email),
            }
        }
    }
    if let Some(why) = &report.incomplete {
        anyhow::bail!("démonstration incomplète (les comptes ci-dessus sont créés) : {why}");
    }
    if let Some(n) = report.activities {
        println!(
            "Activité de démonstration : {n} comptes rendus sur un an, en {:.1} s.",
            started.elapsed().as_secs_f64()
        );
    }
    Ok(report)
}
