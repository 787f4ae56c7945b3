//! `maillage territoire`: the coverage of the offer in a zone (issue #20), as the page and the
//! API give it.

use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use maillage_app::territory::TerritoryQuery;

use super::{Global, emit, operator};

/// The question asked of a zone, shared by `territoire` and `export territoire`.
#[derive(Args)]
pub struct Question {
    /// La zone : codes ou noms de communes (code INSEE), intercommunalités (SIREN),
    /// départements (54, 2A, 971), régions (R44) ou FR pour la France entière ; plusieurs
    /// possibles (30 au plus).
    #[arg(long, required = true, num_args = 1..)]
    zone: Vec<String>,
    /// Portée en km à vol d'oiseau depuis la mairie (1 à 50).
    #[arg(long, default_value = "10")]
    portee: String,
    /// L'aide regardée commune par commune : toute-aide ou un service du standard
    /// (demarches, outils-quotidien…).
    #[arg(long, default_value = "toute-aide")]
    aide: String,
}

impl Question {
    pub fn query(&self) -> TerritoryQuery {
        TerritoryQuery {
            zone: self.zone.join(", "),
            reach: self.portee.clone(),
            help: self.aide.clone(),
            layer: String::new(),
        }
    }
}

#[derive(Args)]
pub struct TerritoryArgs {
    #[command(flatten)]
    question: Question,
    /// Les chiffres en JSON (les mêmes que l'API `/api/v1/territoire`).
    #[arg(long)]
    json: bool,
}

pub async fn run(global: &Global, args: &TerritoryArgs) -> Result<ExitCode> {
    let app = global.app().await?;
    let view = app
        .territory(Some(&operator()), &args.question.query())
        .await?;
    if args.json {
        emit(&serde_json::to_string_pretty(&view)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    let number = |n: u64| maillage_domain::french::number(n as f64);
    let mut out = format!(
        "{} : {} communes, {} habitants, {} lieux ; portée {} km\n",
        view.zone,
        number(view.commune_count as u64),
        number(view.population),
        number(view.place_count as u64),
        view.reach_km
    );
    for k in &view.kinds {
        out.push_str(&format!(
            "- {} : {} avec un lieu, {} à portée, {} plus loin, {} nulle part ; {} habitants hors de portée ({} %)\n",
            k.label,
            k.communes_in,
            k.communes_within,
            k.communes_further,
            k.communes_nowhere,
            number(k.population_out_of_reach),
            maillage_domain::french::number(k.share_out_of_reach)
        ));
    }
    if let Some(score) = view.fragility.score {
        out.push_str(&format!(
            "Indice de fragilité de la zone : {} ({} communes avec un indice ; {})\n",
            maillage_domain::french::number(score),
            view.fragility.communes_scored,
            view.fragility.sources.join(" ; ")
        ));
    }
    let n = &view.needs;
    out.push_str(&format!(
        "Besoins : {} personnes de 15 ans et plus, {} à accompagner ; {} accompagnements en douze mois ({} pour 100)\n",
        number(n.population_15_plus),
        number(n.to_help),
        number(n.helped),
        maillage_domain::french::number(n.per_100)
    ));
    if let Some(shares) = &view.origins.shares {
        out.push_str(&format!(
            "Provenance : {} % de leur commune, {} % d'une voisine, {} % de plus loin (terrain : 72, 19, 9)\n",
            maillage_domain::french::number(shares[0]),
            maillage_domain::french::number(shares[1]),
            maillage_domain::french::number(shares[2])
        ));
    }
    out.push_str(&format!(
        "Zones blanches ({}) : {}",
        view.help_label,
        view.white_zones.len()
    ));
    for c in view.white_zones.iter().take(10) {
        out.push_str(&format!(
            "\n  {} ({}) : {} habitants, {}",
            c.name,
            c.code_insee,
            number(u64::from(c.population)),
            c.access_label()
        ));
    }
    emit(&out)?;
    Ok(ExitCode::SUCCESS)
}
