//! The directory exported in one of the standard's formats, whole or filtered by the search's
//! own query: the same rule and the same file from the page, the API and the CLI.

use maillage_domain::policy::{Action, Actor, authorize};
use maillage_standard::ExportFormat;

use super::PlaceQuery;
use crate::{App, AppError, allow, today};

/// The export's format as asked (`csv` by default, `csv-excel`, `json`, `geojson`, `xlsx`).
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct ExportAsked {
    /// `csv` (by default), `csv-excel`, `json`, `geojson` or `xlsx`.
    pub format: String,
}

/// A file to hand over: its bytes, media type and name.
#[derive(Debug, Clone)]
pub struct ExportFile {
    pub bytes: Vec<u8>,
    pub media_type: &'static str,
    pub file_name: String,
}

impl App {
    /// The places a search finds, as a file of the standard.
    pub async fn export_directory(
        &self,
        actor: Option<&Actor>,
        asked: &PlaceQuery,
        format: &ExportAsked,
    ) -> Result<ExportFile, AppError> {
        allow(authorize(actor, &Action::ExportDirectory, today()))?;
        let format: ExportFormat = Some(format.format.as_str())
            .filter(|f| !f.is_empty())
            .unwrap_or("csv")
            .parse()
            .map_err(AppError::Invalid)?;
        let parsed = self.place_search(asked);
        if !parsed.errors.is_empty() {
            return Err(AppError::Invalid(parsed.errors.join(" ; ")));
        }
        let places = self.places_of(&parsed.query).await?;
        let bytes = maillage_standard::export::to_bytes(&places, format)?;
        Ok(ExportFile {
            bytes,
            media_type: format.media_type(),
            file_name: format.file_name(),
        })
    }
}
