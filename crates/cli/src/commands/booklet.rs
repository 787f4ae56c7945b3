//! `maillage booklet`: the printable directory of a zone, as a PDF.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;

use super::Global;
use crate::progress::TerminalProgress;

#[derive(Args)]
pub struct BookletArgs {
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
}

pub async fn run(global: &Global, args: &BookletArgs) -> Result<ExitCode> {
    let BookletArgs {
        zone,
        output,
        title,
    } = args;
    let app = global.app_for_writes().await?;
    let codes: Vec<String> = zone
        .iter()
        .flat_map(|z| maillage_app::booklet::zone_codes(z))
        .collect();
    let zone = app.booklet_zone(&codes).await?;
    let label = zone.label.clone();
    let started = std::time::Instant::now();
    let watch = TerminalProgress::start();
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
