//! `maillage stats` and `maillage indicateurs`: the activity statistics (the same indicators
//! as the pages, the exports and the API) and their definitions.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use super::Global;

/// Filters of activity statistics and exports (the same as the pages' and the API's).
#[derive(Args, Clone, Default)]
pub struct ActivityFilters {
    /// Début de la période (2026-01-01 ou 01/01/2026).
    #[arg(long)]
    du: Option<String>,
    /// Fin de la période.
    #[arg(long)]
    au: Option<String>,
    /// individuel, collectif ou demarche (répétable).
    #[arg(long = "type")]
    kinds: Vec<String>,
    /// Thématique (materiel, internet, sante…), répétable.
    #[arg(long = "thematique")]
    themes: Vec<String>,
    /// Identifiant d'un lieu, répétable.
    #[arg(long = "lieu")]
    places: Vec<String>,
    /// Code INSEE de la commune de l'activité, répétable.
    #[arg(long = "commune")]
    communes: Vec<String>,
    /// Identifiant d'un intervenant, répétable.
    #[arg(long = "intervenant")]
    helpers: Vec<String>,
    /// Niveau (debutant, intermediaire…), répétable.
    #[arg(long = "niveau")]
    levels: Vec<String>,
    /// Étiquette, répétable.
    #[arg(long = "etiquette")]
    tags: Vec<String>,
    /// Identifiant d'une structure, répétable (toutes par défaut).
    #[arg(long = "structure")]
    organisations: Vec<String>,
}

impl ActivityFilters {
    pub fn filter(&self) -> Result<maillage_domain::indicators::Filter> {
        let mut pairs: Vec<(&str, &str)> = Vec::new();
        if let Some(d) = &self.du {
            pairs.push(("du", d));
        }
        if let Some(d) = &self.au {
            pairs.push(("au", d));
        }
        for (key, list) in [
            ("type", &self.kinds),
            ("thematique", &self.themes),
            ("lieu", &self.places),
            ("commune", &self.communes),
            ("intervenant", &self.helpers),
            ("niveau", &self.levels),
            ("etiquette", &self.tags),
            ("structure", &self.organisations),
        ] {
            pairs.extend(list.iter().map(|v| (key, v.as_str())));
        }
        Ok(maillage_domain::indicators::Filter::from_pairs(pairs)?)
    }
}

#[derive(Args)]
pub struct StatsArgs {
    #[command(flatten)]
    filters: ActivityFilters,
    /// Sortie JSON (celle de l'API /api/v1/statistiques).
    #[arg(long)]
    json: bool,
}

pub async fn run(global: &Global, args: &StatsArgs) -> Result<ExitCode> {
    let StatsArgs { filters, json } = args;
    let filter = filters.filter()?;
    let app = global.app_for_writes().await?;
    let stats = app.statistics_of(&filter).await?;
    let mut text = String::new();
    if *json {
        text = serde_json::to_string_pretty(&maillage_app::activity::StatisticsView::of(
            &stats, &filter,
        ))?;
        text.push('\n');
    } else {
        use std::fmt::Write as _;
        for f in &stats.figures {
            writeln!(
                text,
                "{:<36} {:>12}",
                f.indicator.title(),
                maillage_domain::french::number(f.value)
            )?;
        }
        for t in &stats.tables {
            writeln!(text, "\n{}", t.indicator.title())?;
            for r in t.rows.iter().filter(|r| r.value > 0) {
                writeln!(
                    text,
                    "  {:<46} {:>10} {:>6} %",
                    r.label,
                    r.value,
                    t.share(r.value)
                )?;
            }
        }
    }
    // A closed pipe (`| head`) is the reader's choice, not an error.
    match std::io::stdout().write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(e.into()),
        _ => {}
    }
    Ok(ExitCode::SUCCESS)
}

/// The indicators' definitions, in Markdown.
pub fn definitions() -> Result<ExitCode> {
    print!("{}", maillage_domain::indicators::markdown());
    Ok(ExitCode::SUCCESS)
}
