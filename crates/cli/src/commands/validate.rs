//! `maillage validate lieux`: checks a file of places against the standard, writing nothing.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Subcommand;

use super::{Global, emit, read_file};

#[derive(Subcommand)]
pub enum ValidateWhat {
    Lieux { file: PathBuf },
}

pub fn run(global: &Global, what: &ValidateWhat) -> Result<ExitCode> {
    let ValidateWhat::Lieux { file } = what;
    let referential = global.referential()?;
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
