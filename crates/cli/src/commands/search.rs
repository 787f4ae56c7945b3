//! `maillage search lieux`: the directory's search, with the filters of the public pages.

use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::{Args, Subcommand};
use maillage_app::App;
use maillage_app::directory::PlaceQuery;
use maillage_domain::vocab::{
    AccessMode, Fee, MediationForm, Mobility, NationalProgramme, Public, Service, SpecificSupport,
    SupportMode, Vocabulary,
};
use maillage_search::SearchQuery;

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

/// The slugs of values given as slugs, labels or aliases (`--public Jeunes`); a value no
/// vocabulary knows is kept as typed, so that the search names it in its refusal.
fn slugs<V: Vocabulary>(values: &[String]) -> Vec<String> {
    values
        .iter()
        .map(|s| {
            V::parse(s)
                .map(|v| v.slug().to_string())
                .unwrap_or_else(|| s.trim().to_string())
        })
        .collect()
}

/// The search the options ask for: the same [`PlaceQuery`] as the search page and the API,
/// read by the same service; any value it refuses stops the command with its reason.
pub fn build_query(app: &App, text: Option<String>, f: &Filters) -> Result<SearchQuery> {
    if f.radius_km.is_some() && f.near.is_none() {
        bail!("--radius-km demande --near (commune ou « lat,lon »)");
    }
    let asked = PlaceQuery {
        q: text.unwrap_or_default().trim().to_string(),
        pres_de: f.near.clone().unwrap_or_default(),
        rayon: f.radius_km.map(|r| r.to_string()).unwrap_or_default(),
        departement: f.departement.clone().unwrap_or_default(),
        commune: f.commune.clone().unwrap_or_default(),
        epci: f.epci.clone().unwrap_or_default(),
        typologie: f.typologies.iter().map(|t| t.trim().to_string()).collect(),
        ouvert: if f.open_now {
            "maintenant".into()
        } else {
            String::new()
        },
        le: f.open_at.clone().unwrap_or_default(),
        plain_pied: f.step_free,
        service: slugs::<Service>(&f.services),
        public: slugs::<Public>(&f.publics),
        prise_en_charge: slugs::<SpecificSupport>(&f.specific_support),
        frais: slugs::<Fee>(&f.fees),
        acces: slugs::<AccessMode>(&f.access_modes),
        accompagnement: slugs::<SupportMode>(&f.support_modes),
        dispositif: slugs::<NationalProgramme>(&f.programmes),
        itinerance: slugs::<Mobility>(&f.mobility),
        forme: slugs::<MediationForm>(&f.forms),
        page: String::new(),
    };
    let read = app.place_search(&asked);
    if !read.errors.is_empty() {
        bail!(
            "{}\nLa commande s'arrête : corrigez ces valeurs (`maillage search lieux --help` donne les options).",
            read.errors.join("\n")
        );
    }
    Ok(read.query)
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
        let lieux = rows
            .iter()
            .map(|(h, p)| Found {
                id: &p.id,
                nom: &p.name,
                commune: &p.commune,
                code_postal: &p.postcode,
                code_insee: p.insee_code.as_deref(),
                adresse: &p.address,
                distance_km: h.distance_m.map(|d| (d / 100.0).round() / 10.0),
                ouvert: h.open,
                score: h.score,
            })
            .collect();
        emit(&serde_json::to_string_pretty(&Results {
            total: results.total,
            elargie: results.widened,
            lieux,
        })?)?;
    } else {
        let mut text = format!("{} lieu(x) trouvé(s)", results.total);
        if results.widened {
            text.push_str(" — aucun ne contient tous ces mots : voici ceux qui répondent le mieux");
        }
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

/// The results as `--json` gives them.
#[derive(serde::Serialize)]
struct Results<'a> {
    total: usize,
    /// No place held every word: these answer some of them, or the request they name.
    elargie: bool,
    lieux: Vec<Found<'a>>,
}

/// A place found, with its distance (kilometres, one decimal), opening state and score (the
/// text's relevance when it orders the results: `null` without words, or when the distance
/// alone orders them — every word asked near a place).
#[derive(serde::Serialize)]
struct Found<'a> {
    id: &'a str,
    nom: &'a str,
    commune: &'a str,
    code_postal: &'a str,
    code_insee: Option<&'a str>,
    adresse: &'a str,
    distance_km: Option<f64>,
    ouvert: Option<bool>,
    score: Option<f32>,
}
