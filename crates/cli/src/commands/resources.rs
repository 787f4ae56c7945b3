//! `maillage ressources`: the dead-link check and the library's initial content.

use std::process::ExitCode;

use anyhow::Result;
use clap::Subcommand;

use super::Global;

#[derive(Subcommand)]
pub enum ResourcesWhat {
    /// Vérifie les liens publiés qui sont à vérifier (chaque semaine, chaque jour après un
    /// échec) ; un lien est signalé mort après deux échecs de suite.
    VerifierLiens {
        /// Nombre de liens au plus.
        #[arg(long, default_value_t = 500)]
        limite: usize,
    },
    /// Charge les fiches du terrain dans la ressourcerie d'un nouveau réseau (une seule fois).
    ContenuInitial,
}

pub async fn run(global: &Global, what: &ResourcesWhat) -> Result<ExitCode> {
    let app = global.app_for_writes().await?;
    match what {
        ResourcesWhat::VerifierLiens { limite } => {
            let r = app.check_links(chrono::Utc::now(), *limite).await?;
            if r.offline {
                println!(
                    "{} lien(s) essayé(s) : aucun site ne répond. Ce serveur semble hors ligne ; rien n'a été noté.",
                    r.checked
                );
            } else {
                println!(
                    "{} lien(s) vérifié(s) : {} répondent, {} en échec, {} désormais signalé(s) morts.",
                    r.checked,
                    r.answered,
                    r.failed,
                    r.newly_dead.len()
                );
                for title in &r.newly_dead {
                    println!("  lien mort : {title}");
                }
            }
        }
        ResourcesWhat::ContenuInitial => {
            let n = app.seed_library().await?;
            if n == 0 {
                println!("Contenu initial déjà chargé : rien à faire.");
            } else {
                println!("{n} ressource(s) des fiches du terrain chargée(s).");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
