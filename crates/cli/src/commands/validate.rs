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
        let loading = scope.spawn(|| global.referential());
        let read = read_file(file);
        let source = match &read {
            Ok(bytes) => maillage_standard::read::open(bytes)
                .and_then(|mut source| {
                    // Records read ahead meanwhile, up to a few chunks.
                    for _ in 0..16 {
                        if loading.is_finished() || !source.read_ahead(512)? {
                            break;
                        }
                    }
                    Ok(source)
                })
                .map_err(anyhow::Error::from),
            Err(e) => Err(anyhow::anyhow!("{e:#}")),
        };
        let referential = loading
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("lecture du référentiel interrompue")));
        // Errors in their order: the file unreadable, then the referential, then the file's
        // content.
        if let Err(e) = &read {
            return Err(anyhow::anyhow!("{e:#}"));
        }
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
