//! `maillage orient`: the places, workshops and resources that answer a person's request,
//! ranked, each with its reasons (the same service as the orientation page and the API).

use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use super::{Global, emit};

#[derive(Args)]
pub struct OrientArgs {
    /// La demande : identifiant du catalogue (`compte-caf`) ou les mots de la personne.
    #[arg(long)]
    request: String,
    /// Commune (nom ou code INSEE) ou position « lat,lon » où la personne habite ou peut aller.
    #[arg(long)]
    near: String,
    /// Niveau : eloigne, debutant, intermediaire, avance, autonome (ou Éloigné, Débutant…).
    #[arg(long)]
    level: Option<String>,
    /// Seulement les lieux gratuits.
    #[arg(long)]
    free_only: bool,
    /// Distance maximale (par défaut selon le déplacement, 10 km sinon).
    #[arg(long)]
    radius_km: Option<f64>,
    /// Équipement : none, smartphone ou computer.
    #[arg(long)]
    equipment: Option<String>,
    /// Langue d'accompagnement : fr, en, ou une autre langue.
    #[arg(long)]
    language: Option<String>,
    /// Moment où la personne est libre (`mardi-matin`, `jeudi-apres-midi`…), répétable.
    #[arg(long = "available")]
    available: Vec<String>,
    /// Déplacement : a-pied, transports, voiture.
    #[arg(long)]
    travel: Option<String>,
    /// individuel, collectif ou indifferent.
    #[arg(long)]
    format: Option<String>,
    /// Prise en charge nécessaire (surdite, handicap-moteur…), répétable.
    #[arg(long = "support")]
    supports: Vec<String>,
    /// Demande urgente.
    #[arg(long)]
    urgent: bool,
    /// Public auquel la personne appartient (jeunes, seniors, familles…), répétable.
    #[arg(long = "public")]
    publics: Vec<String>,
    #[arg(long)]
    json: bool,
}

pub async fn run(global: &Global, args: &OrientArgs) -> Result<ExitCode> {
    let app = global.app().await?;
    let form = maillage_app::orientation::OrientForm {
        demande: args.request.clone(),
        pres_de: args.near.clone(),
        niveau: args.level.clone().unwrap_or_default(),
        equipement: args.equipment.clone().unwrap_or_default(),
        langue: args.language.clone().unwrap_or_default(),
        prise_en_charge: args.supports.clone(),
        deplacement: args.travel.clone().unwrap_or_default(),
        rayon_km: args.radius_km.map(|r| r.to_string()).unwrap_or_default(),
        disponible: args.available.clone(),
        gratuit: args.free_only,
        format: args.format.clone().unwrap_or_default(),
        urgent: args.urgent,
        public: args.publics.clone(),
        ..Default::default()
    };
    let catalogue = app.catalogue().await?;
    let query = form.to_query(&app, &catalogue).map_err(|errors| {
        anyhow::anyhow!(
            "{}",
            errors
                .iter()
                .map(|(field, why)| format!("--{} : {why}", cli_flag(field)))
                .collect::<Vec<_>>()
                .join("\n")
        )
    })?;
    let o = app.orient(None, &query).await?;
    if args.json {
        emit(&serde_json::to_string_pretty(
            &maillage_app::orientation::OrientationView::of(&o, &app.public_url),
        )?)?;
    } else {
        let mut text = format!(
            "Demande : {}\n{} lieu(x) proposé(s) à moins de {} km de {} ({} examiné(s))\n",
            o.entry.title,
            o.places.len(),
            o.radius_km,
            query.near_label,
            o.considered
        );
        if let Some(missing) = &o.gap_sentence {
            text.push_str(&format!("{missing}\n"));
        }
        if let Some(g) = o.level_guidance {
            text.push_str(&format!("{g}\n"));
        }
        for (i, p) in o.places.iter().enumerate() {
            text.push_str(&format!(
                "\n{}. {} — {} {}\n   {}\n",
                i + 1,
                p.place.name,
                p.place.postcode,
                p.place.commune,
                p.assessment.reasons.join(" · ")
            ));
            if !p.assessment.caveats.is_empty() {
                text.push_str(&format!(
                    "   À vérifier : {}\n",
                    p.assessment.caveats.join(" · ")
                ));
            }
        }
        if o.places.is_empty() {
            text.push_str("\nAucun lieu ne répond à toutes les conditions.\n");
        }
        for group in &o.neighbours {
            text.push_str(&format!(
                "\nAide voisine, pas ce qui est demandé : ces lieux {}\n",
                group.phrase
            ));
            for p in &group.places {
                text.push_str(&format!(
                    "- {} — {} {} : {}\n",
                    p.place.name,
                    p.place.postcode,
                    p.place.commune,
                    p.assessment.reasons.join(" · ")
                ));
            }
        }
        if !o.ask_publics.is_empty() {
            let publics: Vec<String> = o
                .ask_publics
                .iter()
                .map(|p| {
                    use maillage_domain::Vocabulary;
                    format!("{} (--public {})", p.label().to_lowercase(), p.slug())
                })
                .collect();
            text.push_str(&format!(
                "\nD'autres lieux sont réservés à certains publics : {}. La personne en fait-elle partie ?\n",
                publics.join(", ")
            ));
        }
        if !o.beyond.is_empty() {
            text.push_str("\nAu-delà des limites :\n");
            for p in &o.beyond {
                let unmet: Vec<&str> = p
                    .assessment
                    .failed
                    .iter()
                    .map(|(_, why)| why.as_str())
                    .collect();
                text.push_str(&format!(
                    "- {} ({}) : {}\n",
                    p.place.name,
                    p.place.commune,
                    unmet.join(" ; ")
                ));
            }
        }
        emit(&text)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The command-line option of a field of the orientation form.
fn cli_flag(field: &str) -> &str {
    match field {
        "demande" => "request",
        "pres_de" => "near",
        "niveau" => "level",
        "equipement" => "equipment",
        "langue" => "language",
        "prise_en_charge" => "support",
        "deplacement" => "travel",
        "rayon_km" => "radius-km",
        "disponible" => "available",
        other => other,
    }
}
