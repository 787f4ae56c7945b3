//! `maillage search lieux`: the directory's search, with the filters of the public pages.

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use maillage_app::App;
use maillage_domain::vocab::{
    AccessMode, Fee, MediationForm, Mobility, NationalProgramme, Public, Service, SpecificSupport,
    SupportMode, Vocabulary,
};
use maillage_search::{OpenFilter, SearchQuery};

use super::{Global, emit};

#[derive(Subcommand)]
pub enum SearchWhat {
    Lieux {
        text: Option<String>,
        #[command(flatten)]
        filters: Filters,
        /// Nombre de résultats.
        #[arg(long, default_value_t = 20)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args, Default)]
pub struct Filters {
    /// Commune (nom ou code INSEE) ou position « lat,lon ».
    #[arg(long)]
    near: Option<String>,
    #[arg(long)]
    radius_km: Option<f64>,
    #[arg(long = "service")]
    services: Vec<String>,
    #[arg(long = "public")]
    publics: Vec<String>,
    #[arg(long = "prise-en-charge")]
    specific_support: Vec<String>,
    #[arg(long = "frais")]
    fees: Vec<String>,
    #[arg(long = "modalite-acces")]
    access_modes: Vec<String>,
    #[arg(long = "modalite-accompagnement")]
    support_modes: Vec<String>,
    #[arg(long = "dispositif")]
    programmes: Vec<String>,
    #[arg(long = "itinerance")]
    mobility: Vec<String>,
    #[arg(long = "forme")]
    forms: Vec<String>,
    #[arg(long = "typologie")]
    typologies: Vec<String>,
    #[arg(long)]
    departement: Option<String>,
    /// Commune par code INSEE.
    #[arg(long)]
    commune: Option<String>,
    /// EPCI par numéro SIREN.
    #[arg(long)]
    epci: Option<String>,
    #[arg(long)]
    open_now: bool,
    /// Ouvert à cette date et heure locales (AAAA-MM-JJTHH:MM).
    #[arg(long)]
    open_at: Option<String>,
    #[arg(long)]
    step_free: bool,
}

#[derive(Subcommand)]
pub enum UserWhat {
    /// Crée un compte. Le mot de passe est lu dans MAILLAGE_PASSWORD, sinon généré et affiché.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        admin: bool,
        /// Territoire coordonné : départements ou codes INSEE de communes (répétable).
        #[arg(long = "coordinates")]
        territory: Vec<String>,
        /// Structure dont la personne est membre (identifiant ; répétable).
        #[arg(long = "member-of")]
        member_of: Vec<String>,
    },
    /// Liste les comptes.
    List,
}

fn parse_values<V: Vocabulary>(inputs: &[String]) -> Result<Vec<V>> {
    inputs
        .iter()
        .map(|s| {
            V::parse(s).with_context(|| {
                format!(
                    "valeur « {s} » inconnue pour {} (valeurs permises : {})",
                    V::FIELD,
                    V::ALL
                        .iter()
                        .map(|v| v.slug())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
        })
        .collect()
}

pub fn build_query(app: &App, text: Option<String>, f: &Filters) -> Result<SearchQuery> {
    let near = match &f.near {
        Some(n) => Some(app.resolve_near(n)?.0),
        None => None,
    };
    if f.radius_km.is_some() && near.is_none() {
        bail!("--radius-km demande --near (commune ou « lat,lon »)");
    }
    let open = if f.open_now {
        Some(OpenFilter::Now(chrono::Utc::now()))
    } else if let Some(at) = &f.open_at {
        Some(OpenFilter::At(
            chrono::NaiveDateTime::parse_from_str(at, "%Y-%m-%dT%H:%M")
                .with_context(|| format!("--open-at « {at} » : format attendu AAAA-MM-JJTHH:MM"))?,
        ))
    } else {
        None
    };
    Ok(SearchQuery {
        text: text.filter(|t| !t.trim().is_empty()),
        near,
        radius_km: f.radius_km,
        services: parse_values::<Service>(&f.services)?,
        publics: parse_values::<Public>(&f.publics)?,
        specific_support: parse_values::<SpecificSupport>(&f.specific_support)?,
        fees: parse_values::<Fee>(&f.fees)?,
        access_modes: parse_values::<AccessMode>(&f.access_modes)?,
        support_modes: parse_values::<SupportMode>(&f.support_modes)?,
        national_programmes: parse_values::<NationalProgramme>(&f.programmes)?,
        mobility: parse_values::<Mobility>(&f.mobility)?,
        mediation_forms: parse_values::<MediationForm>(&f.forms)?,
        typologies: f
            .typologies
            .iter()
            .map(|t| t.trim().to_ascii_uppercase())
            .collect(),
        open,
        insee_code: f.commune.clone(),
        epci: f.epci.clone(),
        departement: f.departement.clone(),
        step_free: f.step_free,
        organisation_id: None,
        offset: 0,
        limit: 20,
    })
}

pub async fn run(global: &Global, what: &SearchWhat) -> Result<ExitCode> {
    let SearchWhat::Lieux {
        text,
        filters,
        limit,
        json,
    } = what;
    let app = global.app().await?;
    let mut q = build_query(&app, text.clone(), filters)?;
    q.limit = *limit;
    let results = app.search(&q).await?;
    let rows: Vec<_> = app
        .places_of_hits(&results.hits)
        .await?
        .into_iter()
        .map(|(hit, stored)| (hit, stored.place))
        .collect();
    if *json {
        let out: Vec<serde_json::Value> = rows
            .iter()
            .map(|(h, p)| {
                serde_json::json!({
                    "id": p.id,
                    "nom": p.name,
                    "commune": p.commune,
                    "code_postal": p.postcode,
                    "code_insee": p.insee_code,
                    "adresse": p.address,
                    "distance_km": h.distance_m.map(|d| (d / 100.0).round() / 10.0),
                    "ouvert": h.open,
                    "score": h.score,
                })
            })
            .collect();
        emit(&serde_json::to_string_pretty(
            &serde_json::json!({"total": results.total, "lieux": out}),
        )?)?;
    } else {
        let mut text = format!("{} lieu(x) trouvé(s)", results.total);
        for (h, p) in &rows {
            let distance = h
                .distance_m
                .map(|d| format!(" — {:.1} km", d / 1000.0))
                .unwrap_or_default();
            text.push_str(&format!(
                "\n- {} ({} {}){distance} [{}]",
                p.name, p.postcode, p.commune, p.id
            ));
        }
        emit(&text)?;
    }
    Ok(ExitCode::SUCCESS)
}
