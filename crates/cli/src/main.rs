//! `maillage`: the command line of Maillage. Its contract is scripted against; keep it.

use maillage::demo;

mod watch;

/// mimalloc: imports and searches allocate many small strings; it is markedly faster than the
/// system allocator for them and returns freed memory to the system (docs/adr/0007).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use maillage_app::App;
use maillage_domain::dedup::DedupSettings;
use maillage_domain::organisation::Organisation;
use maillage_domain::policy::{Actor, Membership, TerritoryUnit};
use maillage_domain::progress::Progress;
use maillage_domain::vocab::{
    AccessMode, Fee, MediationForm, Mobility, NationalProgramme, Public, Service, SpecificSupport,
    SupportMode, Vocabulary,
};
use maillage_referential::Referential;
use maillage_search::{OpenFilter, SearchQuery};
use maillage_standard::ExportFormat;
use maillage_store::{ImportRecord, NewUser, Store};

#[derive(Parser)]
#[command(
    name = "maillage",
    version,
    about = "Maillage — l'annuaire partagé d'un réseau d'inclusion numérique"
)]
struct Cli {
    /// Base de données : sqlite://fichier ou postgres://… (par défaut, un fichier SQLite dans le dossier de données).
    #[arg(long, global = true, env = "MAILLAGE_DATABASE_URL")]
    database: Option<String>,
    /// Dossier de données (base SQLite par défaut).
    #[arg(long, global = true, env = "MAILLAGE_DATA_DIR", default_value = "data")]
    data_dir: PathBuf,
    /// Fichier du référentiel des communes (construit par scripts/setup.sh).
    #[arg(long, global = true, env = "MAILLAGE_REFERENTIAL")]
    referential: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Lance l'application web.
    Serve {
        #[arg(long, env = "MAILLAGE_ADDR", default_value = "127.0.0.1:8080")]
        addr: String,
        /// Charge le territoire de démonstration si l'annuaire est vide.
        #[arg(long)]
        demo: bool,
        /// Sans cache des recherches récentes (pour mesurer les recherches elles-mêmes).
        #[arg(long, env = "MAILLAGE_NO_SEARCH_CACHE")]
        no_search_cache: bool,
    },
    /// Importe un fichier de lieux (CSV, JSON ou GeoJSON du standard, v0.1 ou v1).
    Import {
        #[command(subcommand)]
        what: ImportWhat,
    },
    /// Cherche les doublons probables de l'annuaire (règle partagée de l'écosystème).
    Dedup {
        #[command(subcommand)]
        what: DedupWhat,
    },
    /// Livret imprimable (PDF) de l'annuaire d'une zone : couverture, sommaire récapitulatif,
    /// lieux par catégorie puis par commune avec un code QR, index des communes.
    Booklet {
        /// Codes de la zone : département (54, 2A, 971), intercommunalité (n° SIREN, 9
        /// chiffres) ou commune (code INSEE) ; plusieurs codes possibles.
        #[arg(long, required = true, num_args = 1..)]
        zone: Vec<String>,
        /// Fichier PDF à écrire (remplacé seulement une fois le livret complet).
        #[arg(long)]
        output: PathBuf,
        /// Titre de la couverture.
        #[arg(long)]
        title: Option<String>,
    },
    /// Vérifie un fichier sans rien écrire.
    Validate {
        #[command(subcommand)]
        what: ValidateWhat,
    },
    /// Exporte l'annuaire (tout, ou filtré).
    Export {
        #[command(subcommand)]
        what: ExportWhat,
    },
    /// Cherche dans l'annuaire.
    Search {
        #[command(subcommand)]
        what: SearchWhat,
    },
    /// Diagnostic numérique d'une personne (grille partagée du réseau).
    Diagnostic {
        #[command(subcommand)]
        what: DiagnosticWhat,
    },
    /// Ressourcerie : vérification des liens, contenu initial.
    Ressources {
        #[command(subcommand)]
        what: ResourcesWhat,
    },
    /// Veille des plateformes publiques : envoi des résumés.
    Veille {
        #[command(subcommand)]
        what: WatchWhat,
    },
    /// Orientation : les lieux, ateliers et ressources qui répondent à la demande d'une
    /// personne, classés, chacun avec ses raisons.
    Orient(OrientArgs),
    /// Comptes.
    User {
        #[command(subcommand)]
        what: UserWhat,
    },
    /// Statistiques d'activité (mêmes indicateurs que les pages, les exports et l'API).
    Stats {
        #[command(flatten)]
        filters: ActivityFilters,
        /// Sortie JSON (celle de l'API /api/v1/statistiques).
        #[arg(long)]
        json: bool,
    },
    /// Définitions des indicateurs, en Markdown (le texte de docs/INDICATORS.md).
    Indicateurs,
    /// Sauvegarde cohérente de la base, même pendant que le serveur tourne (SQLite : copie par
    /// `VACUUM INTO` ; PostgreSQL : `pg_dump`, format personnalisé).
    Backup {
        /// Fichier à écrire (remplacé seulement une fois la sauvegarde complète).
        #[arg(long)]
        output: PathBuf,
    },
    /// Restaure une sauvegarde faite par `maillage backup` (serveur arrêté) : la base est
    /// remplacée en entier (SQLite : le fichier, vérifié d'abord ; PostgreSQL : `pg_restore`).
    Restore {
        /// Sauvegarde à restaurer.
        file: PathBuf,
    },
    /// Empreinte de la base : chaque table, son nombre de lignes et l'empreinte SHA-256 de
    /// ses lignes (deux bases d'empreintes égales contiennent les mêmes données).
    Empreinte,
    /// Charge un territoire de démonstration.
    Demo {
        /// `departement` (~150 lieux en Meurthe-et-Moselle) ou `national` (~50 000 lieux).
        #[arg(long, value_enum, default_value_t = Scale::Departement)]
        scale: Scale,
        /// Vide la base avant.
        #[arg(long)]
        reset: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Scale {
    Departement,
    National,
}

#[derive(Subcommand)]
enum ImportWhat {
    Lieux {
        file: PathBuf,
        /// Nom de la source (provenance) ; par défaut le champ `source` du fichier ou son nom.
        #[arg(long)]
        source: Option<String>,
        /// Importe les lignes valides et signale les autres (sinon : tout ou rien).
        #[arg(long)]
        skip_invalid: bool,
    },
}

#[derive(Subcommand)]
enum DedupWhat {
    Lieux {
        /// Compare aussi les lieux d'une même source entre eux.
        #[arg(long)]
        source_internal: bool,
        /// Score minimal des paires proposées (0 à 100 ; par défaut le seuil de revue, 70).
        #[arg(long)]
        threshold: Option<f64>,
        /// Sortie JSON : liste de paires {"a", "b", "score", "scores", "vetoes"}.
        #[arg(long)]
        json: bool,
        /// Montre aussi les paires écartées par un veto, avec leurs raisons.
        #[arg(long)]
        with_vetoed: bool,
    },
}

#[derive(Subcommand)]
enum DiagnosticWhat {
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

#[derive(Subcommand)]
enum ResourcesWhat {
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

#[derive(Subcommand)]
enum WatchWhat {
    /// Envoie les résumés hebdomadaires dus (tous avec --maintenant) par le serveur SMTP de
    /// MAILLAGE_SMTP_URL.
    Envoyer {
        #[arg(long)]
        maintenant: bool,
    },
}

#[derive(Subcommand)]
enum ValidateWhat {
    Lieux { file: PathBuf },
}

/// Filters of activity statistics and exports (the same as the pages' and the API's).
#[derive(Args, Clone, Default)]
struct ActivityFilters {
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
    fn filter(&self) -> Result<maillage_domain::indicators::Filter> {
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

#[derive(Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per run
enum ExportWhat {
    /// Les comptes rendus d'activité (jamais les notes privées ni l'identité des personnes
    /// suivies) : `csv` ou `xlsx`, écrits au fil de l'eau (mémoire constante).
    Activites {
        #[arg(long, default_value = "csv")]
        format: String,
        #[arg(long)]
        output: Option<PathBuf>,
        #[command(flatten)]
        filters: ActivityFilters,
    },
    /// Le calendrier des ateliers à venir : `ics` (iCalendar) ou `csv`.
    Ateliers {
        #[arg(long, default_value = "ics")]
        format: String,
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Les ressources publiées de la ressourcerie : `json` ou `csv`.
    Ressources {
        #[arg(long, default_value = "json")]
        format: String,
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Les nouvelles de la veille : `json` ou `csv`.
    Veille {
        #[arg(long, default_value = "json")]
        format: String,
        #[arg(long)]
        output: Option<PathBuf>,
    },
    Lieux {
        #[arg(long)]
        format: String,
        #[arg(long)]
        output: Option<PathBuf>,
        /// Texte recherché.
        #[arg(long)]
        text: Option<String>,
        #[command(flatten)]
        filters: Filters,
    },
}

#[derive(Args)]
struct OrientArgs {
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

#[derive(Subcommand)]
enum SearchWhat {
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
struct Filters {
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
enum UserWhat {
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

fn build_query(app: &App, text: Option<String>, f: &Filters) -> Result<SearchQuery> {
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

fn database_url(cli: &Cli) -> Result<String> {
    Ok(match &cli.database {
        Some(u) => u.clone(),
        None => Store::sqlite_url_in(&cli.data_dir)?,
    })
}

fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// The file of a `sqlite://` URL.
fn sqlite_path(url: &str) -> Result<PathBuf> {
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .map(|p| p.split('?').next().unwrap_or(p))
        .filter(|p| !p.is_empty() && !p.contains(":memory:"))
        .ok_or_else(|| anyhow::anyhow!("base « {url} » : un fichier SQLite est attendu"))?;
    Ok(PathBuf::from(path))
}

/// A file written beside `target` before it is renamed over it.
fn partial_path(target: &std::path::Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "maillage".into());
    target.with_file_name(format!(".{name}.partiel"))
}

/// Runs one of PostgreSQL's own tools; its message in French context when it fails.
fn run_tool(command: &mut std::process::Command, name: &str) -> Result<()> {
    let output = command.output().with_context(|| {
        format!("{name} introuvable : installez le client PostgreSQL (paquet postgresql-client)")
    })?;
    if !output.status.success() {
        anyhow::bail!(
            "{name} a échoué : {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(())
}

async fn open_store(cli: &Cli) -> Result<Store> {
    let url = database_url(cli)?;
    Store::connect(&url)
        .await
        .with_context(|| "ouverture de la base de données".to_string())
}

fn load_referential(cli: &Cli) -> Result<Referential> {
    let r = match &cli.referential {
        Some(p) => Referential::load(p),
        None => Referential::discover(),
    };
    r.context("référentiel des communes absent : lancez scripts/setup.sh (il le construit depuis les paquets npm officiels)")
}

/// The CLI acts as the platform operator (administrator) on the machine it runs on.
fn operator() -> Actor {
    Actor {
        user_id: "cli".into(),
        administrator: true,
        territory: Vec::new(),
        memberships: Vec::new(),
    }
}

fn random_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..16)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("lecture de {}", path.display()))
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("MAILLAGE_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse()).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("Erreur : {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode> {
    match &cli.command {
        Command::Validate {
            what: ValidateWhat::Lieux { file },
        } => {
            let referential = load_referential(&cli)?;
            let typologies = maillage_domain::typology::Typologies::standard();
            let ctx = maillage_domain::ValidationContext {
                communes: &referential,
                typologies: &typologies,
                list_separator: '|',
            };
            let report = maillage_standard::check(&read_file(file)?, &ctx)?;
            emit(report.to_text().trim_end())?;
            Ok(if report.invalid_count() == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Import {
            what:
                ImportWhat::Lieux {
                    file,
                    source,
                    skip_invalid,
                },
        } => {
            let bytes = read_file(file)?;
            let watch = watch::Watch::start();
            watch.stage("Ouverture de la base et du référentiel", None);
            let store = open_store(&cli).await?;
            let app = App::for_writes(store, load_referential(&cli)?)?;
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let result = app
                .import_file_watched(
                    Some(&operator()),
                    &bytes,
                    &name,
                    source.as_deref(),
                    *skip_invalid,
                    watch.as_ref(),
                )
                .await;
            watch.finish();
            let result = result?;
            emit(result.report.to_text().trim_end())?;
            match result.outcome {
                Some(o) => {
                    println!(
                        "\nImport terminé : {} créé(s), {} mis à jour, {} inchangé(s), {} refusé(s).",
                        o.created,
                        o.updated,
                        o.unchanged,
                        result.report.invalid_count()
                    );
                    Ok(ExitCode::SUCCESS)
                }
                None => {
                    println!(
                        "\nRien n'a été importé : {} ligne(s) invalide(s). Corrigez le fichier, ou relancez avec --skip-invalid pour importer les {} ligne(s) valide(s).",
                        result.report.invalid_count(),
                        result.report.valid_count()
                    );
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        Command::Booklet {
            zone,
            output,
            title,
        } => {
            let app = App::for_writes(open_store(&cli).await?, load_referential(&cli)?)?;
            let codes: Vec<String> = zone
                .iter()
                .flat_map(|z| maillage_app::booklet::zone_codes(z))
                .collect();
            let zone = app.booklet_zone(&codes).await?;
            let label = zone.label.clone();
            let started = std::time::Instant::now();
            let watch = watch::Watch::start();
            let booklet = app.booklet_pdf(zone, title.as_deref(), watch.clone()).await;
            watch.finish();
            let booklet = booklet?;
            // Written beside the target, then renamed: never a half-written PDF.
            let dir = output
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(std::path::Path::new("."));
            let mut tmp = tempfile::NamedTempFile::new_in(dir)
                .with_context(|| format!("dossier {}", dir.display()))?;
            tmp.write_all(&booklet.pdf)?;
            tmp.persist(output)
                .with_context(|| format!("écriture de {}", output.display()))?;
            eprintln!(
                "Livret « {label} » : {} lieu(x), {} page(s), {} Ko, écrit dans {} en {:.1} s.",
                booklet.places,
                booklet.pages,
                booklet.pdf.len().div_ceil(1024),
                output.display(),
                started.elapsed().as_secs_f64()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Export {
            what:
                ExportWhat::Activites {
                    format,
                    output,
                    filters,
                },
        } => {
            let filter = filters.filter()?;
            let app = App::for_writes(open_store(&cli).await?, load_referential(&cli)?)?;
            let started = std::time::Instant::now();
            let n = match (format.as_str(), output) {
                ("csv", Some(path)) => {
                    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
                    let tmp =
                        tempfile::NamedTempFile::new_in(dir.unwrap_or(std::path::Path::new(".")))?;
                    let n = app
                        .export_activities_csv(&filter, std::io::BufWriter::new(tmp.as_file()))
                        .await?;
                    tmp.persist(path)
                        .with_context(|| format!("écriture de {}", path.display()))?;
                    n
                }
                ("csv", None) => {
                    let stdout = std::io::stdout();
                    app.export_activities_csv(&filter, std::io::BufWriter::new(stdout.lock()))
                        .await?
                }
                ("xlsx", Some(path)) => app.export_activities_xlsx(&filter, path).await?,
                ("xlsx", None) => {
                    let tmp = tempfile::Builder::new().suffix(".xlsx").tempfile()?;
                    let n = app.export_activities_xlsx(&filter, tmp.path()).await?;
                    std::io::copy(
                        &mut std::fs::File::open(tmp.path())?,
                        &mut std::io::stdout(),
                    )?;
                    n
                }
                (other, _) => bail!("--format {other} : csv ou xlsx attendu"),
            };
            eprintln!(
                "{n} activité(s) exportée(s){} en {:.1} s.",
                output
                    .as_ref()
                    .map(|p| format!(" dans {}", p.display()))
                    .unwrap_or_default(),
                started.elapsed().as_secs_f64()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Stats { filters, json } => {
            let filter = filters.filter()?;
            let app = App::for_writes(open_store(&cli).await?, load_referential(&cli)?)?;
            let stats = app.statistics_of(&filter).await?;
            let mut text = String::new();
            if *json {
                text = serde_json::to_string_pretty(&maillage_app::activity::statistics_json(
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
        Command::Indicateurs => {
            print!("{}", maillage_domain::indicators::markdown());
            Ok(ExitCode::SUCCESS)
        }
        Command::Export {
            what: ExportWhat::Ateliers { format, output },
        } => {
            let app = App::for_writes(open_store(&cli).await?, load_referential(&cli)?)?;
            let filter = maillage_app::workshops::WorkshopFilter::default();
            let bytes = match format.as_str() {
                "ics" => app
                    .workshops_ics(&filter, "Ateliers du réseau")
                    .await?
                    .into_bytes(),
                "csv" => app.workshops_csv(&filter).await?,
                other => bail!("--format {other} : ics ou csv attendu"),
            };
            match output {
                Some(path) => {
                    std::fs::write(path, &bytes)
                        .with_context(|| format!("écriture de {}", path.display()))?;
                    eprintln!("Ateliers exportés dans {}", path.display());
                }
                None => std::io::stdout().write_all(&bytes)?,
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Export {
            what: ExportWhat::Ressources { format, output },
        } => {
            let app = App::for_writes(open_store(&cli).await?, load_referential(&cli)?)?;
            let found = app
                .find_resources(None, &maillage_app::resources::ResourceFilter::default())
                .await?;
            let bytes = match format.as_str() {
                "json" => serde_json::to_vec_pretty(
                    &found
                        .iter()
                        .map(|s| maillage_app::resources::resource_json(&app.public_url, s))
                        .collect::<Vec<_>>(),
                )?,
                "csv" => csv_bytes(
                    &maillage_app::resources::RESOURCE_CSV_HEADER,
                    found
                        .iter()
                        .map(maillage_app::resources::resource_csv_record),
                )?,
                other => bail!("--format {other} : json ou csv attendu"),
            };
            write_output(
                output.as_deref(),
                &bytes,
                &format!("{} ressource(s)", found.len()),
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Export {
            what: ExportWhat::Veille { format, output },
        } => {
            let app = App::for_writes(open_store(&cli).await?, load_referential(&cli)?)?;
            let items = app.news(None, None).await?;
            let bytes = match format.as_str() {
                "json" => serde_json::to_vec_pretty(
                    &items
                        .iter()
                        .map(|i| maillage_app::watch::news_json(&app.public_url, i))
                        .collect::<Vec<_>>(),
                )?,
                "csv" => csv_bytes(
                    &maillage_app::watch::NEWS_CSV_HEADER,
                    items.iter().map(maillage_app::watch::news_csv_record),
                )?,
                other => bail!("--format {other} : json ou csv attendu"),
            };
            write_output(
                output.as_deref(),
                &bytes,
                &format!("{} nouvelle(s)", items.len()),
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Export {
            what:
                ExportWhat::Lieux {
                    format,
                    output,
                    text,
                    filters,
                },
        } => {
            let format: ExportFormat = format.parse().map_err(anyhow::Error::msg)?;
            let app = App::new(open_store(&cli).await?, load_referential(&cli)?).await?;
            let q = build_query(&app, text.clone(), filters)?;
            let places = app.places_of(&q).await?;
            let bytes = maillage_standard::export::to_bytes(&places, format)?;
            match output {
                Some(path) => {
                    std::fs::write(path, &bytes)
                        .with_context(|| format!("écriture de {}", path.display()))?;
                    eprintln!(
                        "{} lieu(x) exporté(s) dans {}",
                        places.len(),
                        path.display()
                    );
                }
                None => std::io::stdout().write_all(&bytes)?,
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Search {
            what:
                SearchWhat::Lieux {
                    text,
                    filters,
                    limit,
                    json,
                },
        } => {
            let app = App::new(open_store(&cli).await?, load_referential(&cli)?).await?;
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
        Command::Diagnostic { what } => run_diagnostic(&cli, what).await,
        Command::Ressources { what } => {
            let app = App::for_writes(open_store(&cli).await?, load_referential(&cli)?)?;
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
        Command::Veille {
            what: WatchWhat::Envoyer { maintenant },
        } => {
            let mailer = maillage_app::mail::Mailer::from_env()
                .context("MAILLAGE_SMTP_URL ou MAILLAGE_MAIL_FROM invalide")?;
            if !mailer.is_enabled() {
                bail!("MAILLAGE_SMTP_URL n'est pas défini : aucun courriel ne peut partir");
            }
            let public_url = std::env::var("MAILLAGE_PUBLIC_URL")
                .unwrap_or_else(|_| "http://127.0.0.1:8080".into());
            let app = App::for_writes(open_store(&cli).await?, load_referential(&cli)?)?
                .with_mail(mailer, &public_url);
            let n = app.send_digests(chrono::Utc::now(), *maintenant).await?;
            println!("{n} résumé(s) de veille envoyé(s).");
            Ok(ExitCode::SUCCESS)
        }
        Command::Backup { output } => {
            let url = database_url(&cli)?;
            if is_postgres(&url) {
                let tmp = partial_path(output);
                run_tool(
                    std::process::Command::new("pg_dump")
                        .arg("--format=custom")
                        .arg("--no-owner")
                        .arg(format!("--file={}", tmp.display()))
                        .arg(format!("--dbname={url}")),
                    "pg_dump",
                )?;
                std::fs::rename(&tmp, output)
                    .with_context(|| format!("écriture de {}", output.display()))?;
            } else {
                let store = open_store(&cli).await?;
                store.backup_sqlite(output).await?;
            }
            let size = std::fs::metadata(output).map(|m| m.len()).unwrap_or(0);
            eprintln!(
                "Sauvegarde écrite dans {} ({} Ko).",
                output.display(),
                size.div_ceil(1024)
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Restore { file } => {
            let url = database_url(&cli)?;
            if !file.is_file() {
                anyhow::bail!("sauvegarde introuvable : {}", file.display());
            }
            if is_postgres(&url) {
                run_tool(
                    std::process::Command::new("pg_restore")
                        .arg("--clean")
                        .arg("--if-exists")
                        .arg("--no-owner")
                        .arg("--single-transaction")
                        .arg(format!("--dbname={url}"))
                        .arg(file),
                    "pg_restore",
                )?;
            } else {
                let migrations = Store::check_sqlite_backup(file).await.with_context(|| {
                    format!("{} n'est pas une sauvegarde lisible", file.display())
                })?;
                let target = sqlite_path(&url)?;
                // Copied beside the base, then renamed over it: never a half-restored base.
                let tmp = partial_path(&target);
                std::fs::copy(file, &tmp)
                    .with_context(|| format!("copie vers {}", tmp.display()))?;
                for suffix in ["-wal", "-shm"] {
                    let mut side = target.clone().into_os_string();
                    side.push(suffix);
                    let _ = std::fs::remove_file(std::path::PathBuf::from(side));
                }
                std::fs::rename(&tmp, &target)
                    .with_context(|| format!("remplacement de {}", target.display()))?;
                eprintln!("Base vérifiée ({migrations} migrations), remplacée.");
            }
            // Opening it applies migrations a newer version may need.
            let store = open_store(&cli).await?;
            let tables = store.digest().await?;
            eprintln!(
                "Restauration terminée : {} tables, {} lignes.",
                tables.len(),
                tables.iter().map(|t| t.rows).sum::<u64>()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Empreinte => {
            let store = open_store(&cli).await?;
            for t in store.digest().await? {
                println!("{}\t{}\t{}", t.table, t.rows, t.sha256);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::User { what } => {
            let store = open_store(&cli).await?;
            match what {
                UserWhat::Add {
                    email,
                    name,
                    admin,
                    territory,
                    member_of,
                } => {
                    let territory = territory
                        .iter()
                        .map(|t| TerritoryUnit::parse(t).with_context(|| format!("territoire « {t} » : département (54, 2A, 971) ou code INSEE attendu")))
                        .collect::<Result<Vec<_>>>()?;
                    for org in member_of {
                        if store.organisation(org).await?.is_none() {
                            bail!("structure « {org} » introuvable");
                        }
                    }
                    let (password, generated) = match std::env::var("MAILLAGE_PASSWORD") {
                        Ok(p) if !p.is_empty() => (p, false),
                        _ => (random_password(), true),
                    };
                    let id = store
                        .create_user(&NewUser {
                            email: email.clone(),
                            display_name: name.clone(),
                            password: password.clone(),
                            administrator: *admin,
                            territory,
                            memberships: member_of
                                .iter()
                                .map(|o| Membership {
                                    organisation_id: o.clone(),
                                    since: maillage_app::today(),
                                    until: None,
                                })
                                .collect(),
                        })
                        .await?;
                    println!("Compte créé : {email} ({id})");
                    if generated {
                        println!(
                            "Mot de passe (à transmettre à la personne, il n'est pas conservé) : {password}"
                        );
                    }
                }
                UserWhat::List => {
                    for u in store.users().await? {
                        let actor = store.actor(&u.id).await?.unwrap_or_default();
                        println!("{} <{}> — {}", u.display_name, u.email, actor.role_label());
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Orient(args) => {
            let app = App::new(open_store(&cli).await?, load_referential(&cli)?).await?;
            let app = match std::env::var("MAILLAGE_PUBLIC_URL") {
                Ok(url) => app.with_mail(maillage_app::mail::Mailer::Disabled, &url),
                Err(_) => app,
            };
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
                    &maillage_app::orientation::orientation_json(&o, &app.public_url),
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
        Command::Demo { scale, reset } => {
            let store = open_store(&cli).await?;
            let referential = load_referential(&cli)?;
            if *reset {
                store.reset().await?;
            }
            load_demo(&store, &referential, *scale).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Dedup {
            what:
                DedupWhat::Lieux {
                    source_internal,
                    threshold,
                    json,
                    with_vetoed,
                },
        } => {
            let defaults = DedupSettings::default();
            let threshold = threshold.unwrap_or(defaults.review);
            if !(0.0..=100.0).contains(&threshold) {
                bail!("--threshold {threshold} : un score entre 0 et 100 est attendu");
            }
            let settings = DedupSettings {
                review: threshold,
                same_source: *source_internal,
                ..defaults
            };
            let app = App::for_writes(open_store(&cli).await?, load_referential(&cli)?)?;
            let watch = watch::Watch::start();
            let pairs = app.duplicate_pairs_watched(&settings, watch.clone()).await;
            watch.finish();
            let pairs: Vec<_> = pairs?
                .into_iter()
                .filter(|p| *with_vetoed || !p.comparison.is_vetoed())
                .collect();
            let side = |s: &maillage_store::StoredPlace| {
                serde_json::json!({
                    "id": s.place.id,
                    "source_id": s.source_id,
                    "nom": s.place.name,
                    "adresse": s.place.address,
                    "commune": s.place.commune,
                    "source": s.place.source.as_deref().or(s.source.as_deref()),
                })
            };
            if *json {
                let out: Vec<serde_json::Value> = pairs
                    .iter()
                    .map(|p| {
                        serde_json::json!({
                            "a": side(&p.a),
                            "b": side(&p.b),
                            "score": (p.comparison.score * 10.0).round() / 10.0,
                            "scores": p.comparison.scores,
                            "vetoes": p.comparison.vetoes,
                            "certain": p.comparison.score >= settings.certain,
                        })
                    })
                    .collect();
                emit(&serde_json::to_string_pretty(&out)?)?;
            } else {
                let proposed = pairs.iter().filter(|p| !p.comparison.is_vetoed()).count();
                let certain = pairs
                    .iter()
                    .filter(|p| !p.comparison.is_vetoed() && p.comparison.score >= settings.certain)
                    .count();
                let mut text = format!(
                    "{proposed} doublon(s) probable(s) : {certain} quasi certain(s) (score ≥ {}), {} à revoir.",
                    settings.certain,
                    proposed - certain
                );
                if proposed < pairs.len() {
                    text.push_str(&format!(
                        "\n{} paire(s) écartée(s) par un veto.",
                        pairs.len() - proposed
                    ));
                }
                for p in &pairs {
                    let s = &p.comparison.scores;
                    let vetoes: Vec<&str> = p.comparison.vetoes.iter().map(|v| v.label()).collect();
                    text.push_str(&format!(
                        "\n{:5.1}  {} ({}) ⇄ {} ({}) — nom {:.0}, adresse {}, distance {}{}",
                        p.comparison.score,
                        p.a.place.name,
                        p.a.place.commune,
                        p.b.place.name,
                        p.b.place.commune,
                        s.name,
                        s.address.map_or("—".to_string(), |v| format!("{v:.0}")),
                        s.distance_m
                            .map_or("—".to_string(), |d| format!("{d:.0} m")),
                        if vetoes.is_empty() {
                            String::new()
                        } else {
                            format!(" — écartée : {}", vetoes.join(", "))
                        },
                    ));
                }
                emit(&text)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve {
            addr,
            demo,
            no_search_cache,
        } => {
            let store = open_store(&cli).await?;
            let referential = load_referential(&cli)?;
            if *demo && store.count_places().await? == 0 {
                load_demo(&store, &referential, Scale::Departement).await?;
            }
            let backend = store.backend();
            let mailer = maillage_app::mail::Mailer::from_env()
                .context("MAILLAGE_SMTP_URL ou MAILLAGE_MAIL_FROM invalide")?;
            let public_url =
                std::env::var("MAILLAGE_PUBLIC_URL").unwrap_or_else(|_| format!("http://{addr}"));
            if !mailer.is_enabled() {
                eprintln!(
                    "Courriels désactivés (MAILLAGE_SMTP_URL non défini) : les notifications ne partent pas."
                );
            }
            let app = App::with_search_cache(store, referential, !*no_search_cache)
                .await?
                .with_mail(mailer, &public_url);
            eprintln!(
                "Maillage sur http://{addr}/ (base {backend}, {} lieux)",
                app.index().len()
            );
            maillage_web::serve(app, addr).await?;
            Ok(ExitCode::SUCCESS)
        }
    }
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

/// Writes a result on standard output; a reader that stops early (`| head`) is not an error.
fn emit(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

fn progress(steps: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(steps);
    if let Ok(style) = ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}") {
        bar.set_style(style);
    }
    bar
}

/// A CSV file (semicolon-separated, as French spreadsheets expect) with a UTF-8 BOM.
fn csv_bytes(header: &[&str], records: impl Iterator<Item = Vec<String>>) -> Result<Vec<u8>> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w = csv::WriterBuilder::new()
            .delimiter(b';')
            .from_writer(&mut out);
        w.write_record(header)?;
        for r in records {
            // Every cell escaped against formulas.
            w.write_record(maillage_domain::spreadsheet::row(&r))?;
        }
        w.flush()?;
    }
    Ok(out)
}

/// Writes to the file when given (saying what went there), else to the standard output.
fn write_output(path: Option<&std::path::Path>, bytes: &[u8], what: &str) -> Result<()> {
    match path {
        Some(path) => {
            std::fs::write(path, bytes)
                .with_context(|| format!("écriture de {}", path.display()))?;
            eprintln!("{what} exportée(s) dans {}", path.display());
        }
        None => std::io::stdout().write_all(bytes)?,
    }
    Ok(())
}

async fn run_diagnostic(cli: &Cli, what: &DiagnosticWhat) -> Result<ExitCode> {
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
                    let app = App::for_writes(open_store(cli).await?, load_referential(cli)?)?;
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

const DEMO_DEPARTEMENT: &str = "54";

async fn demo_followed_person(store: &Store, organisation: &str) -> Result<()> {
    use maillage_domain::diagnostic::{assess, builtin};
    let Some(court) = builtin().into_iter().find(|q| q.id == "court") else {
        return Ok(());
    };
    let answers = |pairs: &[(&str, &str)]| -> maillage_domain::diagnostic::Answers {
        pairs
            .iter()
            .map(|(q, c)| (q.to_string(), vec![c.to_string()]))
            .collect()
    };
    let keep_until = (chrono::Utc::now() + chrono::Duration::days(730))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let person = store
        .create_person(&maillage_store::NewPerson {
            organisation_id: organisation,
            pseudonym: "Karim (démonstration)",
            contact: None,
            consent_by: None,
            keep_until: &keep_until,
        })
        .await?;
    let first = answers(&[
        ("appareils", "smartphone"),
        ("maitrise", "non"),
        ("internet", "jamais"),
        ("courriel", "non"),
        ("demarches", "a_ma_place"),
        ("francais", "facile"),
        ("envie", "oui"),
        ("aisance", "peu"),
    ]);
    let then = answers(&[
        ("appareils", "smartphone"),
        ("maitrise", "un_peu"),
        ("internet", "parfois"),
        ("courriel", "envoie"),
        ("demarches", "aide"),
        ("francais", "facile"),
        ("envie", "oui"),
        ("aisance", "plutot"),
    ]);
    let a = assess(&court, &first);
    let first_id = store
        .create_diagnostic(&maillage_store::NewDiagnostic {
            person_id: Some(&person),
            previous_id: None,
            organisation_id: Some(organisation),
            helper_id: None,
            mode: "accompagne",
            answers: &first,
            assessment: &a,
            observations: Some("A su allumer l'appareil\nUtilise l'écran tactile avec difficulté"),
            age_bracket: Some("35_54"),
            commune: None,
            retest_on: None,
        })
        .await?;
    let b = assess(&court, &then);
    store
        .create_diagnostic(&maillage_store::NewDiagnostic {
            person_id: Some(&person),
            previous_id: Some(&first_id),
            organisation_id: Some(organisation),
            helper_id: None,
            mode: "accompagne",
            answers: &then,
            assessment: &b,
            observations: Some("Envoie seul un courriel à sa fille"),
            age_bracket: Some("35_54"),
            commune: None,
            retest_on: None,
        })
        .await?;
    Ok(())
}

async fn load_demo(store: &Store, referential: &Referential, scale: Scale) -> Result<()> {
    let (dep, count) = match scale {
        Scale::Departement => (Some(DEMO_DEPARTEMENT), 150),
        Scale::National => (None, 50_000),
    };
    let bar = progress(3);
    bar.set_message("génération des lieux");
    let places = demo::generate(referential, dep, count, 2026);
    bar.inc(1);
    bar.set_message("écriture");
    let records: Vec<ImportRecord> = places
        .iter()
        .map(|d| ImportRecord {
            source_id: d.source_id.clone(),
            place: d.place.clone(),
        })
        .collect();
    let outcome = store
        .import_places(
            "demo",
            "démonstration",
            &records,
            0,
            "Territoire de démonstration généré",
            None,
        )
        .await?;
    bar.inc(1);
    eprintln!(
        "{} lieu(x) de démonstration créé(s), {} inchangé(s).",
        outcome.created, outcome.unchanged
    );
    if matches!(scale, Scale::Departement) {
        // A second source republishing a few places: the review of duplicates has work.
        let hub: Vec<ImportRecord> = demo::republished_by_hub(&places, 30, 5)
            .into_iter()
            .map(|d| ImportRecord {
                source_id: d.source_id,
                place: d.place,
            })
            .collect();
        store
            .import_places(
                "demo-hub",
                "hub-regional.json",
                &hub,
                0,
                "Lieux republiés par un hub régional (démonstration)",
                None,
            )
            .await?;
    }
    if matches!(scale, Scale::National) {
        bar.finish_and_clear();
        return Ok(());
    }
    // Organisations: the town runs its library, CCAS and public digital space.
    bar.set_message("structures et comptes");
    let mut org_ids = std::collections::HashMap::new();
    let existing = store.organisations().await?;
    for d in &places {
        if org_ids.contains_key(&d.organisation) {
            continue;
        }
        let name = if d.organisation.starts_with("ville-") {
            format!("Ville de {}", d.place.commune)
        } else {
            d.place.name.clone()
        };
        let id = match existing.iter().find(|o| o.id == d.organisation) {
            Some(o) => o.id.clone(),
            None => {
                store
                    .create_organisation(&Organisation {
                        id: d.organisation.clone(),
                        name,
                        pivot: None,
                        typologies: d.place.typologies.clone(),
                        departement: d.place.departement(),
                    })
                    .await?
            }
        };
        org_ids.insert(d.organisation.clone(), id);
    }
    for d in &places {
        if let (Some(stored), Some(org)) = (
            store.place(&d.source_id).await?,
            org_ids.get(&d.organisation),
        ) && stored.organisation_id.as_deref() != Some(org.as_str())
        {
            store.update_place(&stored.place, Some(org), None).await?;
        }
    }
    // The organisation with the most places gets the demo helper.
    let mut counts: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for d in &places {
        *counts.entry(d.organisation.as_str()).or_default() += 1;
    }
    let busiest = counts
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0)))
        .map(|(o, _)| o.to_string())
        .unwrap_or_default();
    // Workshops of several levels over the next weeks (once).
    if store.workshops_from("0000-01-01").await?.is_empty() {
        for mut w in demo::workshops(&places, &busiest, maillage_app::today()) {
            w.organisation_id = w
                .organisation_id
                .as_ref()
                .and_then(|o| org_ids.get(o).cloned());
            store.create_workshop(&w, None).await?;
        }
    }
    // A person followed by the demo helper's structure, with a first passage and a re-test, so
    // that the progression shows (their consent is part of the scenario).
    if let Some(org) = org_ids.get(&busiest)
        && store.persons_of(org).await?.is_empty()
    {
        demo_followed_person(store, org).await?;
    }
    let password = std::env::var("MAILLAGE_DEMO_PASSWORD")
        .ok()
        .filter(|p| p.len() >= 12);
    // The reception desk of a France Services of the demo, another structure: referrals go
    // between the two helpers.
    let reception = places
        .iter()
        .find(|d| d.place.name == "France Services de Nancy" && d.organisation != busiest)
        .or_else(|| {
            places
                .iter()
                .find(|d| d.place.name.starts_with("France Services") && d.organisation != busiest)
        })
        .map(|d| d.organisation.clone());
    let mut accounts = vec![
        (
            "admin@demo.maillage.example",
            "Alix Administratrice",
            true,
            vec![],
            vec![],
        ),
        (
            "coordination@demo.maillage.example",
            "Claude Coordinateur (Meurthe-et-Moselle)",
            false,
            vec![TerritoryUnit::Departement(DEMO_DEPARTEMENT.into())],
            vec![],
        ),
        (
            "aidant@demo.maillage.example",
            "Dominique Aidante",
            false,
            vec![],
            vec![Membership {
                organisation_id: busiest.clone(),
                since: maillage_app::today() - chrono::Days::new(365),
                until: None,
            }],
        ),
    ];
    let reception_org = reception.clone();
    if let Some(org) = reception {
        accounts.push((
            "accueil@demo.maillage.example",
            "Sacha Accueil (France Services)",
            false,
            vec![],
            vec![Membership {
                organisation_id: org,
                since: maillage_app::today() - chrono::Days::new(365),
                until: None,
            }],
        ));
    }
    bar.finish_and_clear();
    println!("Comptes de démonstration (notez les mots de passe, ils ne sont pas conservés) :");
    for (email, name, admin, territory, memberships) in accounts {
        if store.user_by_email(email).await?.is_some() {
            println!("- {email} : existe déjà");
            continue;
        }
        let pw = password.clone().unwrap_or_else(random_password);
        store
            .create_user(&NewUser {
                email: email.into(),
                display_name: name.into(),
                password: pw.clone(),
                administrator: admin,
                territory,
                memberships,
            })
            .await?;
        println!("- {email} / {pw} — {name}");
    }
    load_demo_library_and_watch(store, &busiest).await?;
    load_demo_activity(store, &places, &org_ids, &busiest, reception_org.as_deref()).await
}

/// A year of activity of the network (once): the demo helper's and the reception desk's
/// structures busy, the others less; followed persons who come back, in workshops and alone.
async fn load_demo_activity(
    store: &Store,
    places: &[demo::DemoPlace],
    org_ids: &std::collections::HashMap<String, String>,
    busiest: &str,
    reception: Option<&str>,
) -> Result<()> {
    use maillage_store::{NewActivity, NewPerson};
    if store.count_activities().await? > 0 {
        return Ok(());
    }
    let started = std::time::Instant::now();
    let helper = |email: &'static str| async move {
        store.user_by_email(email).await.map(|u| u.map(|u| u.id))
    };
    let aidant = helper("aidant@demo.maillage.example").await?;
    let accueil = helper("accueil@demo.maillage.example").await?;
    let mut keys: Vec<&String> = org_ids.keys().collect();
    keys.sort();
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(2026);
    let keep_until = (chrono::Utc::now() + chrono::Duration::days(730))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut orgs = Vec::new();
    let mut helpers = Vec::new();
    for key in keys {
        let id = &org_ids[key];
        let org_places: Vec<(String, Option<String>)> = places
            .iter()
            .filter(|d| &d.organisation == key)
            .map(|d| (d.source_id.clone(), d.place.insee_code.clone()))
            .filter(|(p, _)| !p.is_empty())
            .collect();
        let mut stored_places = Vec::new();
        for (source_id, insee) in &org_places {
            if let Some(p) = store.place(source_id).await? {
                stored_places.push((p.place.id, insee.clone()));
            }
        }
        let (volume, followed, who) = if key == busiest {
            (1_400, 24, aidant.clone())
        } else if Some(key.as_str()) == reception {
            (1_100, 6, accueil.clone())
        } else {
            (rand::Rng::random_range(&mut rng, 60..260), 2, None)
        };
        // Followed persons (fictional), with their consent and what they said of themselves.
        let mut persons: Vec<String> = store
            .persons_of(id)
            .await?
            .into_iter()
            .map(|p| p.id)
            .collect();
        const NAMES: [&str; 12] = [
            "Josette", "Marcel", "Nadia", "Gérard", "Fatima", "Jeannine", "Ahmed", "Monique",
            "Lucien", "Yvette", "Rachid", "Odile",
        ];
        for i in persons.len()..followed {
            let pseudonym = format!(
                "{} {}.",
                NAMES[i % NAMES.len()],
                (b'A' + (i / NAMES.len()) as u8) as char
            );
            let pid = store
                .create_person(&NewPerson {
                    organisation_id: id,
                    pseudonym: &pseudonym,
                    contact: None,
                    consent_by: who.as_deref(),
                    keep_until: &keep_until,
                })
                .await?;
            let commune = stored_places.first().and_then(|(_, c)| c.clone());
            let profile = demo::demo_profile(&mut rng, commune.as_deref());
            store.set_person_profile(&pid, &profile).await?;
            persons.push(pid);
        }
        let procedures_first = places
            .iter()
            .any(|d| &d.organisation == key && d.place.name.starts_with("France Services"));
        orgs.push(demo::ActivityOrg {
            id: id.clone(),
            places: stored_places,
            procedures_first,
            volume,
            persons,
        });
        helpers.push(who);
    }
    demo_impact(store, &orgs, &mut rng).await?;
    let year = demo::activities(&orgs, maillage_app::today(), 2026);
    for chunk in year.chunks(2_000) {
        let batch: Vec<NewActivity> = chunk
            .iter()
            .map(|d| NewActivity {
                organisation_id: &orgs[d.organisation].id,
                helper_id: helpers[d.organisation].as_deref(),
                activity: &d.activity,
                notes: None,
            })
            .collect();
        store.insert_activities(&batch).await?;
    }
    println!(
        "Activité de démonstration : {} comptes rendus sur un an, {} structures, en {:.1} s.",
        year.len(),
        orgs.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The demo's impact: diagnostics with a re-test for followed persons of the busiest
/// structures (dated over the year), and before/after survey answers.
async fn demo_impact(
    store: &Store,
    orgs: &[demo::ActivityOrg],
    rng: &mut rand::rngs::StdRng,
) -> Result<()> {
    use maillage_domain::diagnostic::{assess, builtin};
    use maillage_domain::impact::SurveyForm;
    use rand::Rng;
    let Some(court) = builtin().into_iter().find(|q| q.id == "court") else {
        return Ok(());
    };
    let answers = |pairs: &[(&str, &str)]| -> maillage_domain::diagnostic::Answers {
        pairs
            .iter()
            .map(|(q, c)| (q.to_string(), vec![c.to_string()]))
            .collect()
    };
    let start = [
        [
            ("appareils", "smartphone"),
            ("maitrise", "non"),
            ("internet", "jamais"),
            ("courriel", "non"),
            ("demarches", "a_ma_place"),
        ],
        [
            ("appareils", "smartphone"),
            ("maitrise", "un_peu"),
            ("internet", "parfois"),
            ("courriel", "non"),
            ("demarches", "a_ma_place"),
        ],
        [
            ("appareils", "ordinateur"),
            ("maitrise", "un_peu"),
            ("internet", "parfois"),
            ("courriel", "sans_savoir"),
            ("demarches", "aide"),
        ],
    ];
    let better = [
        [
            ("appareils", "smartphone"),
            ("maitrise", "un_peu"),
            ("internet", "parfois"),
            ("courriel", "sans_savoir"),
            ("demarches", "aide"),
        ],
        [
            ("appareils", "smartphone"),
            ("maitrise", "bien"),
            ("internet", "souvent"),
            ("courriel", "envoie"),
            ("demarches", "aide"),
        ],
        [
            ("appareils", "ordinateur"),
            ("maitrise", "bien"),
            ("internet", "souvent"),
            ("courriel", "envoie"),
            ("demarches", "seul"),
        ],
    ];
    let today = maillage_app::today();
    for org in orgs.iter().filter(|o| o.volume >= 1_000) {
        for person in &org.persons {
            let level = rng.random_range(0..start.len());
            let first = answers(&start[level]);
            let a = assess(&court, &first);
            let first_day = today - chrono::Days::new(rng.random_range(150..330));
            let id = store
                .create_diagnostic(&maillage_store::NewDiagnostic {
                    person_id: Some(person),
                    previous_id: None,
                    organisation_id: Some(&org.id),
                    helper_id: None,
                    mode: "accompagne",
                    answers: &first,
                    assessment: &a,
                    observations: None,
                    age_bracket: None,
                    commune: None,
                    retest_on: None,
                })
                .await?;
            store
                .set_diagnostic_date(&id, &format!("{first_day}T10:00:00Z"))
                .await?;
            if rng.random_bool(0.7) {
                let then = if rng.random_bool(0.75) {
                    answers(&better[level])
                } else {
                    first.clone()
                };
                let b = assess(&court, &then);
                let second = store
                    .create_diagnostic(&maillage_store::NewDiagnostic {
                        person_id: Some(person),
                        previous_id: Some(&id),
                        organisation_id: Some(&org.id),
                        helper_id: None,
                        mode: "accompagne",
                        answers: &then,
                        assessment: &b,
                        observations: None,
                        age_bracket: None,
                        commune: None,
                        retest_on: None,
                    })
                    .await?;
                let day = first_day + chrono::Days::new(rng.random_range(45..140));
                store
                    .set_diagnostic_date(&second, &format!("{}T10:00:00Z", day.min(today)))
                    .await?;
            }
        }
        // Before/after answers, as seed 003 found them: little ease before, progress after.
        for _ in 0..rng.random_range(60..120) {
            let before = ["pas-du-tout", "peu", "peu", "plutot"][rng.random_range(0..4)];
            let now = ["peu", "plutot", "plutot", "tres"][rng.random_range(0..4)];
            let pick = |rng: &mut rand::rngs::StdRng, items: &[&str]| -> Vec<String> {
                items
                    .iter()
                    .filter(|_| rng.random_bool(0.4))
                    .map(|s| s.to_string())
                    .collect()
            };
            let form = SurveyForm {
                ease_before: before.into(),
                ease_now: now.into(),
                progressed: ["beaucoup", "beaucoup", "un-peu", "un-peu", "non"]
                    [rng.random_range(0..5)]
                .into(),
                new_abilities: pick(
                    rng,
                    &[
                        "appareil",
                        "chercher",
                        "courriel",
                        "demarche",
                        "rendez-vous",
                        "garder-lien",
                        "arnaques",
                    ],
                ),
                domains: pick(
                    rng,
                    &[
                        "demarches",
                        "sante",
                        "budget",
                        "proches",
                        "loisirs",
                        "information",
                    ],
                ),
                changes: pick(
                    rng,
                    &[
                        "moins-stresse",
                        "plus-autonome",
                        "ne-demande-plus",
                        "confiance",
                    ],
                ),
                age: ["70-plus", "60-69", "40-59", ""][rng.random_range(0..4)].into(),
                words: String::new(),
            };
            if let Ok(answer) = form.validate() {
                store.insert_survey(&org.id, "seul", &answer).await?;
            }
        }
    }
    Ok(())
}

/// The demo's library (the field's sheets, and a member's proposal waiting for review) and
/// watch (a few news items, the helper subscribed to two platforms).
async fn load_demo_library_and_watch(store: &Store, busiest: &str) -> Result<()> {
    use maillage_domain::resources::{ResourceForm, ResourceStatus};
    use maillage_domain::watch::{Frequency, NewsForm, Platform, Subscription};
    let content = maillage_domain::resources::initial_content()?;
    store
        .seed_resources(maillage_domain::resources::INITIAL_CONTENT, &content)
        .await?;
    let helper = store.user_by_email("aidant@demo.maillage.example").await?;
    let coordinator = store
        .user_by_email("coordination@demo.maillage.example")
        .await?;
    if store
        .resources(Some(ResourceStatus::Proposed))
        .await?
        .is_empty()
    {
        let proposal = ResourceForm {
            title: "Créer son compte ameli pas à pas (démonstration)".into(),
            summary: "Un déroulé d'une heure pour ouvrir son compte ameli avec la personne, sur son propre téléphone.".into(),
            kind: "deroule".into(),
            body: "Avant : demander à la personne d'apporter sa carte Vitale, un relevé d'identité bancaire et son téléphone.\n\n1. Vérifier que l'adresse électronique fonctionne (envoyer un message test).\n\n2. Ouvrir ameli.fr depuis le téléphone de la personne, « Créer mon compte », saisir le numéro de sécurité sociale.\n\n3. Laisser la personne choisir et noter son mot de passe elle-même : l'aidant ne le voit ni ne le garde.\n\n4. Se déconnecter ensemble et se reconnecter pour vérifier.".into(),
            themes: vec!["demarches".into(), "sante".into()],
            levels: vec!["debutant".into(), "intermediaire".into()],
            audiences: vec!["aidants".into()],
            author: "Dominique Aidante".into(),
            licence: "CC BY-SA 4.0".into(),
            ..Default::default()
        }
        .validate("")
        .map_err(|e| anyhow::anyhow!("ressource de démonstration : {e:?}"))?;
        store
            .create_resource(
                &proposal,
                ResourceStatus::Proposed,
                maillage_store::Proposer {
                    organisation_id: Some(busiest),
                    user_id: helper.as_ref().map(|u| u.id.as_str()),
                },
                None,
            )
            .await?;
    }
    if store.news(None, None).await?.is_empty() {
        let now = chrono::Utc::now();
        let items = [
            (
                3,
                "CAF : la déclaration trimestrielle se fait depuis l'application (démonstration)",
                "caf",
                "Les allocataires de la prime d'activité et du RSA",
                "La déclaration trimestrielle de ressources se fait aussi depuis l'application mobile « CAF - Mon Compte ».",
                "Montrez l'application à la personne et faites la première déclaration avec elle ; gardez la version du site pour les personnes sans smartphone.",
                "Prime d'activité, RSA, déclaration trimestrielle",
                false,
            ),
            (
                5,
                "Impôts : ouverture de la déclaration de revenus en ligne (démonstration)",
                "impots",
                "Tous les foyers fiscaux",
                "La déclaration en ligne ouvre au printemps ; les délais de fin dépendent du département.",
                "Vérifiez avec la personne son numéro fiscal et son mot de passe avant le rendez-vous ; les France Services aident aussi.",
                "Déclaration de revenus",
                false,
            ),
            (
                8,
                "ANTS : suivre sa demande de permis de conduire (démonstration)",
                "ants",
                "Les personnes qui demandent ou renouvellent leur permis",
                "Le suivi de la demande se fait dans l'espace conducteur de l'ANTS.",
                "Conseillez de noter le numéro de demande et d'activer les notifications par courriel.",
                "Permis de conduire",
                false,
            ),
            (
                1,
                "France Travail : espace personnel indisponible ce week-end (démonstration)",
                "france-travail",
                "Les demandeurs d'emploi",
                "Une maintenance rend l'espace personnel indisponible du samedi au dimanche soir.",
                "Prévenez les personnes qui doivent s'actualiser : le faire avant samedi ou dès lundi.",
                "Actualisation mensuelle",
                true,
            ),
        ];
        for (days_ago, title, platform, who, what, say, procedures, urgent) in items {
            let at = (now - chrono::Duration::days(days_ago))
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            let item = NewsForm {
                title: title.into(),
                what_changed: what.into(),
                who: who.into(),
                what_to_say: say.into(),
                platforms: vec![platform.into()],
                procedures: procedures.into(),
                urgent,
                ..Default::default()
            }
            .validate("", &at, "Claude Coordinateur (Meurthe-et-Moselle)")
            .map_err(|e| anyhow::anyhow!("nouvelle de démonstration : {e:?}"))?;
            store
                .create_news(&item, coordinator.as_ref().map(|u| u.id.as_str()))
                .await?;
        }
        if let Some(helper) = &helper {
            store
                .save_subscription(&Subscription {
                    user_id: helper.id.clone(),
                    platforms: vec![Platform::Caf, Platform::Taxes],
                    frequency: Frequency::Weekly,
                    urgent_at_once: true,
                    next_digest_at: Some(
                        maillage_domain::watch::next_digest_after(now)
                            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    ),
                })
                .await?;
        }
    }
    Ok(())
}
