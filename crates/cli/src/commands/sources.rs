//! `maillage sources`: the sources pulled on schedule — listed, registered, fetched now (for an
//! operator, or a cron without a running server).

use std::process::ExitCode;

use anyhow::Result;
use clap::Subcommand;
use maillage_app::sources::SourceForm;

use super::{Global, emit, operator};

#[derive(Subcommand)]
pub enum SourcesWhat {
    /// Les sources, avec leur dernière moisson.
    Liste,
    /// Inscrit une source au nom d'un compte (ses droits s'appliquent aux lieux importés),
    /// moissonnée à la prochaine tournée.
    Ajouter {
        /// Adresse électronique du compte (coordinateur ou administrateur) qui suit la source.
        #[arg(long)]
        compte: String,
        #[arg(long)]
        nom: String,
        /// Adresse du fichier (standard), ou du dossier de structures.json et services.json.
        #[arg(long)]
        adresse: String,
        /// `standard` ou `data-inclusion`.
        #[arg(long, default_value = "standard")]
        format: String,
        /// Heures entre deux moissons : 1, 6, 24 ou 168.
        #[arg(long, default_value = "24")]
        frequence: String,
        /// Importe les lignes valides et signale les autres (sinon : tout ou rien).
        #[arg(long)]
        lignes_valides: bool,
    },
    /// Moissonne maintenant les sources dues, et dit ce que chacune a changé.
    Moissonner {
        /// Toutes les sources, dues ou non.
        #[arg(long)]
        toutes: bool,
    },
}

pub async fn run(global: &Global, what: &SourcesWhat) -> Result<ExitCode> {
    let app = global.app().await?;
    match what {
        SourcesWhat::Liste => {
            let mut out = String::new();
            for v in app.sources(Some(&operator())).await? {
                let last = v
                    .runs
                    .first()
                    .map(|r| format!("{} — {}", r.started_at, r.summary))
                    .unwrap_or_else(|| "pas encore moissonnée".into());
                out.push_str(&format!(
                    "{}\t{}\t{}\t{}\t{last}\n",
                    v.source.id, v.source.name, v.frequency, v.source.url
                ));
            }
            emit(out.trim_end())?;
        }
        SourcesWhat::Ajouter {
            compte,
            nom,
            adresse,
            format,
            frequence,
            lignes_valides,
        } => {
            let form = SourceForm {
                nom: nom.clone(),
                adresse: adresse.clone(),
                format: format.clone(),
                frequence: frequence.clone(),
                lignes_valides: if *lignes_valides {
                    "oui".into()
                } else {
                    String::new()
                },
            };
            let owner = app.actor_by_email(Some(&operator()), compte).await?;
            let id = app.register_source(Some(&owner), &form).await?;
            emit(&format!("Source inscrite : {id}"))?;
        }
        SourcesWhat::Moissonner { toutes } => {
            if *toutes {
                app.make_all_sources_due(Some(&operator())).await?;
            }
            let n = app.run_due_sources(chrono::Utc::now()).await?;
            let mut out = format!("{n} source(s) moissonnée(s).");
            for v in app.sources(Some(&operator())).await? {
                if let Some(r) = v.runs.first() {
                    out.push_str(&format!("\n\n« {} » : {}", v.source.name, r.summary));
                    for line in r.changes.lines().take(20) {
                        out.push_str(&format!("\n- {line}"));
                    }
                }
            }
            emit(&out)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
