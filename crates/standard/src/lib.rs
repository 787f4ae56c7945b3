//! The national open-data standard « Lieux de médiation numérique »: reading (v0.1 and v1.0.x,
//! CSV, JSON, GeoJSON), validation reports in French, and exports (CSV of the standard, JSON,
//! GeoJSON, XLSX, CSV for French spreadsheets).

pub mod activity;
pub mod check;
pub mod data_inclusion;
pub mod export;
pub mod fragility;
pub mod legacy;
pub mod library;
pub mod read;
pub mod watch;

pub use check::{
    RecordReport, Report, Tally, check, check_each, check_in_chunks, check_read, check_watched,
};
pub use export::ExportFormat;
pub use read::{Format, Position, Version};

/// Errors of this crate; messages are French because they reach users.
#[derive(Debug, thiserror::Error)]
pub enum StandardError {
    #[error("fichier illisible : {0}")]
    Unreadable(String),
    #[error("écriture de l'export impossible : {0}")]
    Write(#[from] std::io::Error),
    #[error("écriture du classeur XLSX impossible : {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("écriture CSV impossible : {0}")]
    Csv(#[from] csv::Error),
    #[error("écriture JSON impossible : {0}")]
    Json(#[from] serde_json::Error),
    #[error(transparent)]
    Interrupted(#[from] maillage_domain::progress::Interrupted),
}
