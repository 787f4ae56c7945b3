//! `maillage diagnostic`: the result of a set of answers, and the shipped questionnaires.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Subcommand;

use super::{Global, emit};

#[derive(Subcommand)]
pub enum DiagnosticWhat {
    /// Calcule le résultat d'un jeu de réponses (fichier JSON : {"questionnaire": "court",
    /// "version": 1, "answers": {"question": "choix" ou ["choix", …]}}).
    Score {
        #[arg(long)]
        answers: PathBuf,
        /// Sortie JSON (le niveau dans `level`).
        #[arg(long)]
        json: bool,
    },
    /// Affiche un questionnaire livré (`court` ou `complet`) en JSON.
    Questionnaire { id: String },
}

pub async fn run(global: &Global, what: &DiagnosticWhat) -> Result<ExitCode> {
    use maillage_domain::diagnostic::{AnswerSheet, assess, builtin};
    match what {
        DiagnosticWhat::Questionnaire { id } => {
            let q = builtin()
                .into_iter()
                .find(|q| &q.id == id)
                .with_context(|| format!("questionnaire « {id} » inconnu (court, complet)"))?;
            emit(&serde_json::to_string_pretty(&q)?)?;
            Ok(ExitCode::SUCCESS)
        }
        DiagnosticWhat::Score { answers, json } => {
            let text = std::fs::read_to_string(answers)
                .with_context(|| format!("lecture de {}", answers.display()))?;
            let sheet = AnswerSheet::from_json(&text)?;
            // Shipped versions need no database; versions adapted by coordinators are read
            // from it, through the same service as the pages and the API.
            let shipped = builtin()
                .into_iter()
                .find(|q| q.id == sheet.questionnaire && q.version == sheet.version);
            let a = match shipped {
                Some(q) => {
                    let answers = sheet.answers();
                    q.check_answers(&answers)?;
                    assess(&q, &answers)
                }
                None => {
                    let app = global.app_for_writes().await?;
                    app.score_sheet(&sheet).await?
                }
            };
            if *json {
                emit(&serde_json::to_string_pretty(&a)?)?;
            } else {
                let mut out = format!(
                    "Niveau : {} — {}\nBesoin : {}\nÉquipement : {}\n",
                    a.level.label(),
                    a.level.definition(),
                    a.need.label(),
                    a.equipment.label()
                );
                for (d, l) in &a.domains {
                    out.push_str(&format!("  {} : {}\n", d.label(), l.label()));
                }
                if let Some(o) = a.overall {
                    out.push_str(&format!(
                        "Compétences (indicateur Eurostat) : {}\n",
                        o.label()
                    ));
                }
                if a.french_classes {
                    out.push_str("À orienter aussi vers des cours de français (FLE)\n");
                }
                out.push_str(&format!("Règles : {}", a.rules.join(" ; ")));
                emit(&out)?;
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
