//! `maillage export`: activity records, workshops, resources, watch news and places, in the
//! same formats as the pages' exports.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use maillage_standard::ExportFormat;

use super::search::{Filters, build_query};
use super::stats::ActivityFilters;
use super::{Global, csv_bytes, write_output};

#[derive(Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per run
pub enum ExportWhat {
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
    /// Le registre des activités de traitement (RGPD, article 30), en Markdown : écrit à partir
    /// des déclarations du code, avec les durées de conservation en vigueur.
    Registre {
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
    /// Le territoire d'une zone : `csv`, les communes et l'accès de leurs habitants à une aide
    /// (le tableau de la page) ; `pdf`, le diagnostic territorial (la page en un document).
    Territoire {
        #[command(flatten)]
        question: super::territory::Question,
        #[arg(long, default_value = "csv", value_parser = ["csv", "pdf"])]
        format: String,
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// L'annuaire au schéma data·inclusion v1 : `structures.json` (un lieu, une structure) et
    /// `services.json` (une aide proposée, un service), écrits dans le dossier donné.
    DataInclusion {
        /// Dossier où écrire les deux fichiers (créé au besoin).
        #[arg(long)]
        output: PathBuf,
        /// Nom du producteur (champ `source`) ; par défaut `donnees.producteur` de la
        /// configuration, sinon « maillage ».
        #[arg(long)]
        source: Option<String>,
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

pub async fn run(global: &Global, what: &ExportWhat) -> Result<ExitCode> {
    match what {
        ExportWhat::DataInclusion { output, source } => {
            data_inclusion(global, output, source.as_deref()).await
        }
        ExportWhat::Activites {
            format,
            output,
            filters,
        } => activities(global, format, output.as_deref(), filters).await,
        ExportWhat::Ateliers { format, output } => {
            let app = global.app_for_writes().await?;
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
        ExportWhat::Ressources { format, output } => {
            let app = global.app_for_writes().await?;
            let found = app
                .find_resources(None, &maillage_app::resources::ResourceFilter::default())
                .await?;
            let bytes = match format.as_str() {
                "json" => serde_json::to_vec_pretty(
                    &found
                        .iter()
                        .map(|s| maillage_app::resources::ResourceView::of(&app.public_url, s))
                        .collect::<Vec<_>>(),
                )?,
                "csv" => csv_bytes(
                    &maillage_standard::library::HEADER,
                    found
                        .iter()
                        .map(|s| maillage_standard::library::record(&s.resource, s.link.is_dead())),
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
        ExportWhat::Territoire {
            question,
            format,
            output,
        } => {
            let app = global.app().await?;
            if format == "pdf" {
                let Some(output) = output else {
                    bail!("--output FICHIER.pdf est nécessaire pour un PDF");
                };
                let d = app
                    .territory_diagnosis(Some(&super::operator()), &question.query())
                    .await?;
                write_output(Some(output), &d.pdf, "Diagnostic territorial")?;
                eprintln!("{} pages, {} Ko.", d.pages, d.pdf.len().div_ceil(1024));
                return Ok(ExitCode::SUCCESS);
            }
            let view = app
                .territory(Some(&super::operator()), &question.query())
                .await?;
            let bytes = maillage_app::territory::communes_csv(&view)?;
            write_output(output.as_deref(), &bytes, "Commune(s) du territoire")?;
            Ok(ExitCode::SUCCESS)
        }
        ExportWhat::Veille { format, output } => {
            let app = global.app_for_writes().await?;
            let items = app.news(None, None).await?;
            let bytes = match format.as_str() {
                "json" => serde_json::to_vec_pretty(
                    &items
                        .iter()
                        .map(|i| maillage_app::watch::NewsView::of(&app.public_url, i))
                        .collect::<Vec<_>>(),
                )?,
                "csv" => csv_bytes(
                    &maillage_standard::watch::HEADER,
                    items.iter().map(maillage_standard::watch::record),
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
        ExportWhat::Registre { output } => {
            let app = global.app_for_writes().await?;
            let md = app.register_markdown(Some(&super::operator()))?;
            let count = maillage_domain::register::REGISTER.len();
            write_output(
                output.as_deref(),
                md.as_bytes(),
                &format!("registre : {count} traitement(s)"),
            )?;
            Ok(ExitCode::SUCCESS)
        }
        ExportWhat::Lieux {
            format,
            output,
            text,
            filters,
        } => {
            let format: ExportFormat = format.parse().map_err(anyhow::Error::msg)?;
            let app = global.app().await?;
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
    }
}

/// Activity records, streamed (constant memory), to a file renamed when complete or to the
/// standard output.
async fn activities(
    global: &Global,
    format: &str,
    output: Option<&std::path::Path>,
    filters: &ActivityFilters,
) -> Result<ExitCode> {
    let filter = filters.filter()?;
    let app = global.app_for_writes().await?;
    let started = std::time::Instant::now();
    let n = match (format, output) {
        ("csv", Some(path)) => {
            let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
            let tmp = tempfile::NamedTempFile::new_in(dir.unwrap_or(std::path::Path::new(".")))?;
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

async fn data_inclusion(
    global: &Global,
    output: &std::path::Path,
    source: Option<&str>,
) -> Result<ExitCode> {
    let app = global
        .app_for_writes()
        .await?
        .with_producer(source.unwrap_or_default());
    let files = app.export_data_inclusion(Some(&super::operator())).await?;
    std::fs::create_dir_all(output)
        .with_context(|| format!("création du dossier {}", output.display()))?;
    for (name, bytes) in [
        ("structures.json", &files.structures),
        ("services.json", &files.services),
    ] {
        let path = output.join(name);
        // Written beside, then renamed: a reader never sees half a file.
        let partial = output.join(format!(".{name}.partiel"));
        std::fs::write(&partial, bytes)
            .with_context(|| format!("écriture de {}", partial.display()))?;
        std::fs::rename(&partial, &path)
            .with_context(|| format!("écriture de {}", path.display()))?;
    }
    for note in &files.notes {
        eprintln!("Remarque : {note}");
    }
    eprintln!(
        "data·inclusion : {} structure(s) et {} service(s) écrits dans {}",
        files.structures_count,
        files.services_count,
        output.display()
    );
    Ok(ExitCode::SUCCESS)
}
