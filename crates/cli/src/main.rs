//! `maillage`: the command line of Maillage. Its contract is scripted against; keep it.
//!
//! One file per command under `commands/`; each reaches the data through the application's
//! services (`maillage-app`), as the pages and the API do, acting as the platform operator.

mod allocator;
mod commands;
mod progress;

use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};

use commands::{
    Global, booklet, config, database, dedup, demo, diagnostic, export, import, journal, orient,
    requests, resources, search, serve, stats, user, validate, watch,
};

#[derive(Parser)]
#[command(
    name = "maillage",
    version,
    about = "Maillage — l'annuaire partagé d'un réseau d'inclusion numérique"
)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Lance l'application web.
    Serve(serve::ServeArgs),
    /// Importe un fichier de lieux (CSV, JSON ou GeoJSON du standard, v0.1 ou v1).
    Import {
        #[command(subcommand)]
        what: import::ImportWhat,
    },
    /// Cherche les doublons probables de l'annuaire (règle partagée de l'écosystème).
    Dedup {
        #[command(subcommand)]
        what: dedup::DedupWhat,
    },
    /// Livret imprimable (PDF) de l'annuaire d'une zone : couverture, sommaire récapitulatif,
    /// lieux par catégorie puis par commune avec un code QR, index des communes.
    Booklet(booklet::BookletArgs),
    /// Vérifie un fichier sans rien écrire.
    Validate {
        #[command(subcommand)]
        what: validate::ValidateWhat,
    },
    /// Exporte l'annuaire (tout, ou filtré).
    Export {
        #[command(subcommand)]
        what: export::ExportWhat,
    },
    /// Cherche dans l'annuaire.
    Search {
        #[command(subcommand)]
        what: search::SearchWhat,
    },
    /// Diagnostic numérique d'une personne (grille partagée du réseau).
    Diagnostic {
        #[command(subcommand)]
        what: diagnostic::DiagnosticWhat,
    },
    /// Ressourcerie : vérification des liens, contenu initial.
    Ressources {
        #[command(subcommand)]
        what: resources::ResourcesWhat,
    },
    /// Veille des plateformes publiques : envoi des résumés.
    Veille {
        #[command(subcommand)]
        what: watch::WatchWhat,
    },
    /// Orientation : les lieux, ateliers et ressources qui répondent à la demande d'une
    /// personne, classés, chacun avec ses raisons.
    Orient(orient::OrientArgs),
    /// Comptes.
    User {
        #[command(subcommand)]
        what: user::UserWhat,
    },
    /// Statistiques d'activité (mêmes indicateurs que les pages, les exports et l'API).
    Stats(stats::StatsArgs),
    /// Définitions des indicateurs, en Markdown (le texte de docs/INDICATORS.md).
    Indicateurs,
    /// Sauvegarde cohérente de la base, même pendant que le serveur tourne (SQLite : copie par
    /// `VACUUM INTO` ; PostgreSQL : `pg_dump`, format personnalisé).
    Backup(database::BackupArgs),
    /// Copie une base entière vers une autre, vide, de l'autre moteur (SQLite → PostgreSQL ou
    /// l'inverse), serveurs arrêtés.
    Transfer(database::TransferArgs),
    /// Migrations de la base : ce que le prochain démarrage appliquerait (`--dry-run`), ou
    /// les appliquer maintenant ; une base plus récente que ce programme est refusée.
    Migrate(database::MigrateArgs),
    /// Restaure une sauvegarde faite par `maillage backup` (serveur arrêté) : la base est
    /// remplacée en entier (SQLite : le fichier, vérifié d'abord ; PostgreSQL : `pg_restore`).
    Restore(database::RestoreArgs),
    /// Empreinte de la base : chaque table, son nombre de lignes et l'empreinte SHA-256 de
    /// ses lignes (deux bases d'empreintes égales contiennent les mêmes données).
    Empreinte,
    /// Charge un territoire de démonstration.
    Demo(demo::DemoArgs),
    /// Journal des mandats : vérification de sa chaîne d'empreintes.
    Journal {
        #[command(subcommand)]
        what: journal::JournalWhat,
    },
    /// Le territoire : couverture de l'offre d'une zone, aide par aide, et ses zones blanches.
    Territoire(commands::territory::TerritoryArgs),
    /// Sources moissonnées : liste, inscription, moisson des sources dues.
    Sources {
        #[command(subcommand)]
        what: commands::sources::SourcesWhat,
    },
    /// Configuration : vérification (`check`) et exemple de fichier commenté (`exemple`).
    Config {
        #[command(subcommand)]
        what: config::ConfigWhat,
    },
    /// Demandes des personnes sur leurs données : échéances à tenir, structure par structure.
    Demandes {
        #[command(subcommand)]
        what: requests::RequestsWhat,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    // Pages of 4 KB (ADR 0007): before anything else touches memory.
    let small_pages = allocator::without_huge_pages();
    let cli = Cli::parse();
    // A server gives memory back, and so does an import, which writes its chunks of places
    // while the next ones are checked on other threads (a 50,000-row file: 121–126 MB at the
    // peak instead of 155–163, for about 5 % of its time). A check, which keeps nothing, would
    // only pay for giving back pages it is about to take again.
    if matches!(cli.command, Command::Serve(_) | Command::Import { .. }) {
        allocator::give_memory_back_at_once();
    }
    // The journal as the configuration says (`journal.niveau`, `journal.format`): plain text, or
    // one JSON object per line for a log collector. Never personal data (see docs/SECURITY.md).
    let (level, json) = match cli.global.settings() {
        Ok(s) => (
            s.get("MAILLAGE_LOG"),
            s.get("MAILLAGE_LOG_FORMAT")
                .is_some_and(|f| f.trim() == "json"),
        ),
        Err(e) => {
            eprintln!("Erreur : {e:#}");
            return ExitCode::FAILURE;
        }
    };
    let filter = level
        .and_then(|l| tracing_subscriber::EnvFilter::try_new(l.trim()).ok())
        .unwrap_or_else(|| tracing_subscriber::EnvFilter::new("info"));
    // Colours only for a person at a terminal, never in a file or the system's journal.
    let journal = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    if json {
        journal.json().init();
    } else {
        journal.init();
    }
    // SQLite allocates through the same allocator. Refused only if SQLite were already in
    // use: it then keeps the C library's, which is a matter of memory, not of correctness.
    #[allow(unsafe_code)]
    // SAFETY: no connection is open yet and no other thread uses SQLite.
    let sqlite = unsafe { allocator::sqlite_allocates_with_mimalloc() };
    if let Err(e) = small_pages {
        tracing::debug!(error = %e, "pages transparentes de 2 Mo gardées");
    }
    if sqlite != libsqlite3_sys::SQLITE_OK {
        tracing::debug!(
            code = sqlite,
            "SQLite garde l'allocateur de la bibliothèque C"
        );
    }
    match run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("Erreur : {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode> {
    let global = &cli.global;
    match &cli.command {
        Command::Serve(args) => serve::run(global, args).await,
        Command::Import { what } => import::run(global, what).await,
        Command::Dedup { what } => dedup::run(global, what).await,
        Command::Booklet(args) => booklet::run(global, args).await,
        Command::Validate { what } => validate::run(global, what),
        Command::Export { what } => export::run(global, what).await,
        Command::Search { what } => search::run(global, what).await,
        Command::Diagnostic { what } => diagnostic::run(global, what).await,
        Command::Ressources { what } => resources::run(global, what).await,
        Command::Veille { what } => watch::run(global, what).await,
        Command::Orient(args) => orient::run(global, args).await,
        Command::User { what } => user::run(global, what).await,
        Command::Stats(args) => stats::run(global, args).await,
        Command::Indicateurs => stats::definitions(),
        Command::Backup(args) => database::backup(global, args).await,
        Command::Restore(args) => database::restore(global, args).await,
        Command::Migrate(args) => database::migrate(global, args).await,
        Command::Transfer(args) => database::transfer(args).await,
        Command::Empreinte => database::digest(global).await,
        Command::Demo(args) => demo::run(global, args).await,
        Command::Journal { what } => journal::run(global, what).await,
        Command::Demandes { what } => requests::run(global, what).await,
        Command::Config { what } => config::run(global, what).await,
        Command::Sources { what } => commands::sources::run(global, what).await,
        Command::Territoire(args) => commands::territory::run(global, args).await,
    }
}
