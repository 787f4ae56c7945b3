//! `maillage validate lieux`: checks a file of places against the standard, writing nothing.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Subcommand;
use maillage_standard::Tally;

use super::{Global, emit};

#[derive(Subcommand)]
pub enum ValidateWhat {
    Lieux { file: PathBuf },
}

pub fn run(global: &Global, what: &ValidateWhat) -> Result<ExitCode> {
    let ValidateWhat::Lieux { file } = what;
    // The referential is loaded while the file is opened (its encoding checked, its lines
    // counted, its first records read); a CSV file is then read from the disk as it is checked,
    // never held whole.
    let tally = std::thread::scope(|scope| -> Result<Tally> {
        let loading = scope.spawn(|| global.referential_on_demand());
        let opened = std::fs::File::open(file)
            .and_then(maillage_standard::read::open_file)
            .with_context(|| format!("lecture de {}", file.display()));
        let source = opened.map(|opened| {
            opened.and_then(|mut source| {
                // Records read ahead meanwhile, up to a few chunks.
                for _ in 0..16 {
                    if loading.is_finished() || !source.read_ahead(512)? {
                        break;
                    }
                }
                Ok(source)
            })
        });
        let referential = loading
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("lecture du référentiel interrompue")));
        // Errors in their order: the file unreadable, then the referential, then the file's
        // content.
        let source = source?;
        let referential = referential?;
        let source = source?;
        let typologies = maillage_domain::typology::Typologies::standard();
        let ctx = maillage_domain::ValidationContext {
            communes: &referential,
            typologies: &typologies,
            list_separator: '|',
        };
        // Only counts and the records with something to say are kept: each place is dropped
        // on the core that checked it.
        let mut tally = Tally::new(source.format, source.version, source.notes.clone());
        maillage_standard::check_each(
            source,
            &ctx,
            &maillage_domain::progress::Silent,
            |r| r.without_place(),
            |r| tally.add(r),
        )?;
        Ok(tally)
    })?;
    emit(tally.to_text().trim_end())?;
    Ok(if tally.invalid_count() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
