//! Exports of the directory. The CSV follows the standard exactly (column order, `|` lists,
//! UTF-8) and passes `frictionless validate` against `schema-v1.0.2.json`.

use maillage_domain::spreadsheet::cell;
use std::io::Write;
use std::str::FromStr;

use maillage_domain::{Place, STANDARD_FIELDS};
use serde_json::{Map, Value, json};

use crate::StandardError;

/// Export formats offered by the CLI, the pages and the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// CSV of the standard.
    Csv,
    /// JSON of the standard: an array of objects with the standard's field names.
    Json,
    /// GeoJSON FeatureCollection (points), properties as in the standard.
    GeoJson,
    /// Excel workbook.
    Xlsx,
    /// CSV for French spreadsheets: `;`, UTF-8 with BOM, formulas neutralised.
    CsvExcel,
}

impl ExportFormat {
    pub const ALL: [ExportFormat; 5] = [
        ExportFormat::Csv,
        ExportFormat::Json,
        ExportFormat::GeoJson,
        ExportFormat::Xlsx,
        ExportFormat::CsvExcel,
    ];
    pub fn slug(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Json => "json",
            ExportFormat::GeoJson => "geojson",
            ExportFormat::Xlsx => "xlsx",
            ExportFormat::CsvExcel => "csv-excel",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            ExportFormat::Csv => "CSV du standard",
            ExportFormat::Json => "JSON du standard",
            ExportFormat::GeoJson => "GeoJSON (carte)",
            ExportFormat::Xlsx => "Classeur Excel (XLSX)",
            ExportFormat::CsvExcel => "CSV pour tableur (point-virgule)",
        }
    }
    pub fn media_type(self) -> &'static str {
        match self {
            ExportFormat::Csv | ExportFormat::CsvExcel => "text/csv; charset=utf-8",
            ExportFormat::Json => "application/json",
            ExportFormat::GeoJson => "application/geo+json",
            ExportFormat::Xlsx => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        }
    }
    pub fn file_name(self) -> String {
        let ext = match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Json => "json",
            ExportFormat::GeoJson => "geojson",
            ExportFormat::Xlsx => "xlsx",
            ExportFormat::CsvExcel => "tableur.csv",
        };
        format!("lieux-mediation-numerique.{ext}")
    }
}

impl FromStr for ExportFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ExportFormat::ALL
            .into_iter()
            .find(|f| f.slug() == s.trim().to_ascii_lowercase())
            .ok_or_else(|| {
                format!("format d'export inconnu « {s} » (formats : csv, json, geojson, xlsx, csv-excel)")
            })
    }
}

/// Writes places in the given format.
pub fn write(
    places: &[Place],
    format: ExportFormat,
    out: &mut dyn Write,
) -> Result<(), StandardError> {
    match format {
        ExportFormat::Csv => csv_standard(places, out),
        ExportFormat::Json => {
            let rows: Vec<Value> = places
                .iter()
                .map(|p| Value::Object(properties(p)))
                .collect();
            serde_json::to_writer_pretty(&mut *out, &rows)?;
            out.write_all(b"\n")?;
            Ok(())
        }
        ExportFormat::GeoJson => geojson(places, out),
        ExportFormat::Xlsx => xlsx(places, out),
        ExportFormat::CsvExcel => csv_excel(places, out),
    }
}

/// Writes into a byte vector (pages and API).
pub fn to_bytes(places: &[Place], format: ExportFormat) -> Result<Vec<u8>, StandardError> {
    let mut buf = Vec::new();
    write(places, format, &mut buf)?;
    Ok(buf)
}

/// A place's values in the standard's column order ([`maillage_domain::STANDARD_FIELDS`]).
pub fn record(place: &Place) -> [String; 32] {
    values(place)
}

fn values(place: &Place) -> [String; 32] {
    let raw = place.to_raw();
    STANDARD_FIELDS.map(|f| raw.get(f).unwrap_or_default().to_string())
}

fn properties(place: &Place) -> Map<String, Value> {
    STANDARD_FIELDS
        .iter()
        .zip(values(place))
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| ((*k).to_string(), Value::String(v)))
        .collect()
}

fn csv_standard(places: &[Place], out: &mut dyn Write) -> Result<(), StandardError> {
    let mut w = csv::WriterBuilder::new().from_writer(out);
    w.write_record(STANDARD_FIELDS)?;
    for p in places {
        w.write_record(values(p).iter().map(|v| cell(v).into_owned()))?;
    }
    w.flush()?;
    Ok(())
}

fn geojson(places: &[Place], out: &mut dyn Write) -> Result<(), StandardError> {
    let features: Vec<Value> = places
        .iter()
        .map(|p| {
            json!({
                "type": "Feature",
                "geometry": p.location.map(|l| json!({"type": "Point", "coordinates": [l.lon, l.lat]})),
                "properties": properties(p),
            })
        })
        .collect();
    let doc = json!({"type": "FeatureCollection", "features": features});
    serde_json::to_writer(&mut *out, &doc)?;
    out.write_all(b"\n")?;
    Ok(())
}

fn csv_excel(places: &[Place], out: &mut dyn Write) -> Result<(), StandardError> {
    out.write_all(b"\xEF\xBB\xBF")?;
    let mut w = csv::WriterBuilder::new().delimiter(b';').from_writer(out);
    w.write_record(STANDARD_FIELDS)?;
    for p in places {
        let mut row = values(p);
        if let Some(phone) = &p.phone {
            // French readers' form, which also keeps spreadsheets from reading `+33…` as a number.
            row[11] = maillage_domain::fields::phone_national(phone);
        }
        w.write_record(row.iter().map(|v| cell(v).into_owned()))?;
    }
    w.flush()?;
    Ok(())
}

fn xlsx(places: &[Place], out: &mut dyn Write) -> Result<(), StandardError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Lieux")?;
    let bold = Format::new().set_bold();
    for (c, name) in STANDARD_FIELDS.iter().enumerate() {
        let col = c as u16;
        sheet.write_string_with_format(0, col, *name, &bold)?;
        let width = match *name {
            "nom" | "adresse" | "services" | "presentation_resume" => 40.0,
            "presentation_detail" => 60.0,
            _ => 18.0,
        };
        sheet.set_column_width(col, width)?;
    }
    for (r, p) in places.iter().enumerate() {
        let row = (r + 1) as u32;
        for (c, v) in values(p).iter().enumerate() {
            if !v.is_empty() {
                // Strings only: the workbook never evaluates content from the directory.
                sheet.write_string(row, c as u16, cell(v))?;
            }
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    sheet.autofilter(
        0,
        0,
        places.len() as u32,
        (STANDARD_FIELDS.len() - 1) as u16,
    )?;
    let bytes = book.save_to_buffer()?;
    out.write_all(&bytes)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_round_trip_their_slugs() {
        for f in ExportFormat::ALL {
            assert_eq!(f.slug().parse::<ExportFormat>(), Ok(f));
        }
        assert!("pdf".parse::<ExportFormat>().is_err());
    }
}
