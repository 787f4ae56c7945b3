//! `maillage validate lieux`: checks a file of places against the standard, writing nothing.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Subcommand;
use maillage_standard::Tally;

use super::{Global, emit, read_file};

#[derive(Subcommand)]
pub enum ValidateWhat {
    Lieux { file: PathBuf },
}

pub fn run(global: &Global, what: &ValidateWhat) -> Result<ExitCode> {
    let ValidateWhat::Lieux { file } = what;
    // The referential is loaded while the file is read and opened (decoded, its first records
    // read): reading 30 MB is itself a tenth of a 50,000-row file's check.
    let tally = std::thread::scope(|scope| -> Result<Tally> {
        let referential = scope.spawn(|| global.referential());
        let bytes = read_file(file)?;
        let mut source = maillage_standard::read::open(&bytes)?;
        // Records read ahead meanwhile, up to a few chunks.
        for _ in 0..16 {
            if referential.is_finished() || !source.read_ahead(512)? {
                break;
            }
        }
        let referential = referential
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("lecture du référentiel interrompue")))?;
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
