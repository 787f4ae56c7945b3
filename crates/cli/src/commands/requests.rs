//! `maillage demandes echeances`: the requests of persons about their data still open in each
//! structure, with the late ones (issue #19). Counts and dates only: the requests themselves
//! stay with their structure. Exit 1 when one is past its one-month deadline, so that a
//! monitoring script can tell.

use std::fmt::Write as _;
use std::process::ExitCode;

use anyhow::Result;
use clap::Subcommand;

use super::{Global, emit, operator};

#[derive(Subcommand)]
pub enum RequestsWhat {
    /// Les demandes à traiter de chaque structure, les plus pressées d'abord ; sortie 1 quand
    /// l'une a dépassé le délai d'un mois.
    Echeances {
        /// Sortie JSON.
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(global: &Global, what: &RequestsWhat) -> Result<ExitCode> {
    let RequestsWhat::Echeances { json } = what;
    let app = global.app_for_writes().await?;
    let deadlines = app.request_deadlines(Some(&operator())).await?;
    let late: u64 = deadlines.iter().map(|d| d.late).sum();
    let mut text = String::new();
    if *json {
        text = serde_json::to_string_pretty(&deadlines)?;
        text.push('\n');
    } else if deadlines.is_empty() {
        text.push_str("Aucune demande sur les données à traiter.\n");
    } else {
        writeln!(
            text,
            "{:<40} {:>10} {:>10}  Prochaine échéance",
            "Structure", "À traiter", "En retard"
        )?;
        for d in &deadlines {
            writeln!(
                text,
                "{:<40} {:>10} {:>10}  {}",
                d.organisation_name.chars().take(40).collect::<String>(),
                d.open,
                d.late,
                d.next_due
            )?;
        }
        if late > 0 {
            writeln!(
                text,
                "{late} demande(s) en retard : la loi donne un mois pour répondre."
            )?;
        }
    }
    emit(&text)?;
    Ok(if late > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
