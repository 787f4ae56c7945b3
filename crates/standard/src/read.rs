//! Reading files of the standard: encoding, format (CSV, JSON, GeoJSON) and version (v0.1, v1)
//! are detected from the content, never from the file name.

use std::fmt;

use maillage_domain::STANDARD_FIELDS;

use crate::StandardError;
use crate::legacy::{LEGACY_ONLY_FIELDS, V1_ONLY_FIELDS};

/// Container format of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv { delimiter: u8 },
    Json,
    GeoJson,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Format::Csv { delimiter } => {
                let name = match delimiter {
                    b',' => "virgule",
                    b';' => "point-virgule",
                    b'\t' => "tabulation",
                    _ => "autre",
                };
                write!(f, "CSV (séparateur {name})")
            }
            Format::Json => f.write_str("JSON"),
            Format::GeoJson => f.write_str("GeoJSON"),
        }
    }
}

/// Version of the standard a file follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// v0.1.x: `;` lists and the old vocabularies.
    V0_1,
    /// v1.0.x: `|` lists.
    V1,
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Version::V0_1 => "v0.1",
            Version::V1 => "v1.0",
        })
    }
}

/// Where a record sits in its file, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// Physical line of a CSV file (the header is line 1).
    Line(usize),
    /// Rank of a JSON or GeoJSON record (from 1).
    Record(usize),
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Position::Line(n) => write!(f, "ligne {n}"),
            Position::Record(n) => write!(f, "enregistrement {n}"),
        }
    }
}

/// One record of a file, fields by (normalised) name, values as text.
#[derive(Debug, Clone)]
pub struct SourceRecord {
    pub position: Position,
    pub fields: Vec<(String, String)>,
}

impl SourceRecord {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.trim().is_empty())
    }
}

impl crate::legacy::LegacyRecord for SourceRecord {
    fn get(&self, field: &str) -> Option<&str> {
        SourceRecord::get(self, field)
    }
}

/// A file read into records.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub format: Format,
    pub version: Version,
    pub records: Vec<SourceRecord>,
    /// Notes about the file as a whole (encoding repaired, unknown columns…).
    pub notes: Vec<String>,
}

/// Decodes bytes: UTF-8 (with or without BOM), else Windows-1252 (common in spreadsheet exports).
fn decode(bytes: &[u8], notes: &mut Vec<String>) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => {
            let (text, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
            notes.push(
                "fichier non encodé en UTF-8 : lu comme Windows-1252 (export de tableur)".into(),
            );
            text.into_owned()
        }
    }
}

/// Normalises a column name: trimmed, lower case, BOM and quotes removed.
fn column_name(raw: &str) -> String {
    raw.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}' || c == '"')
        .to_lowercase()
}

fn known_column(name: &str) -> bool {
    STANDARD_FIELDS.contains(&name) || LEGACY_ONLY_FIELDS.contains(&name)
}

/// Reads a file of the standard.
pub fn read(bytes: &[u8]) -> Result<SourceFile, StandardError> {
    let mut notes = Vec::new();
    let text = decode(bytes, &mut notes);
    let trimmed = text.trim_start();
    if trimmed.is_empty() {
        return Err(StandardError::Unreadable("le fichier est vide".into()));
    }
    let (format, records) = if trimmed.starts_with('[') || trimmed.starts_with('{') {
        read_json(trimmed)?
    } else {
        read_csv(&text)?
    };
    let version = detect_version(&records);
    let mut unknown: Vec<&str> = records
        .iter()
        .flat_map(|r| r.fields.iter().map(|(k, _)| k.as_str()))
        .filter(|k| !known_column(k))
        .collect();
    unknown.sort_unstable();
    unknown.dedup();
    for k in unknown {
        notes.push(format!("colonne « {k} » inconnue du standard : ignorée"));
    }
    Ok(SourceFile {
        format,
        version,
        records,
        notes,
    })
}

fn detect_version(records: &[SourceRecord]) -> Version {
    let mut legacy = 0usize;
    let mut v1 = 0usize;
    for r in records.iter().take(200) {
        for (k, v) in &r.fields {
            if v.trim().is_empty() {
                continue;
            }
            if LEGACY_ONLY_FIELDS.contains(&k.as_str()) {
                legacy += 1;
            }
            if V1_ONLY_FIELDS.contains(&k.as_str()) {
                v1 += 1;
            }
        }
    }
    if legacy > v1 {
        return Version::V0_1;
    }
    if v1 > 0 {
        return Version::V1;
    }
    // Neither marker: old vocabularies in `services` betray v0.1.
    let old_services = records
        .iter()
        .take(200)
        .filter_map(|r| r.get("services"))
        .filter(|s| crate::legacy::looks_like_v0_1_services(s))
        .count();
    if old_services > 0 {
        Version::V0_1
    } else {
        Version::V1
    }
}

fn read_csv(text: &str) -> Result<(Format, Vec<SourceRecord>), StandardError> {
    let first_line = text.lines().next().unwrap_or_default();
    // The delimiter is the one whose split of the header yields the most known columns.
    let delimiter = [b',', b';', b'\t']
        .into_iter()
        .max_by_key(|d| {
            first_line
                .split(char::from(*d))
                .filter(|c| known_column(&column_name(c)))
                .count()
        })
        .unwrap_or(b',');
    let known = first_line
        .split(char::from(delimiter))
        .filter(|c| known_column(&column_name(c)))
        .count();
    if known < 2 {
        return Err(StandardError::Unreadable(
            "ligne 1 : aucun en-tête du standard reconnu (attendu par exemple « id », « nom », « commune »)"
                .into(),
        ));
    }
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| StandardError::Unreadable(format!("ligne 1 : en-tête illisible ({e})")))?
        .iter()
        .map(column_name)
        .collect();
    let mut seen = std::collections::HashSet::new();
    for h in &headers {
        if !h.is_empty() && !seen.insert(h.as_str()) {
            return Err(StandardError::Unreadable(format!(
                "ligne 1 : la colonne « {h} » apparaît deux fois"
            )));
        }
    }
    let mut records = Vec::new();
    for result in reader.records() {
        let record = result.map_err(|e| {
            let line = e.position().map(|p| p.line()).unwrap_or(0);
            StandardError::Unreadable(format!("ligne {line} : CSV mal formé ({e})"))
        })?;
        let line = record.position().map(|p| p.line() as usize).unwrap_or(0);
        if record.iter().all(|v| v.trim().is_empty()) {
            continue;
        }
        let fields = headers
            .iter()
            .zip(record.iter())
            .filter(|(h, _)| !h.is_empty())
            // The apostrophe our exports put before a formula-like cell is not part of it.
            .map(|(h, v)| {
                (
                    h.clone(),
                    maillage_domain::spreadsheet::uncell(v.trim()).to_string(),
                )
            })
            .collect();
        records.push(SourceRecord {
            position: Position::Line(line),
            fields,
        });
    }
    Ok((Format::Csv { delimiter }, records))
}

fn json_text(value: &serde_json::Value, list_sep: &str) -> Option<String> {
    use serde_json::Value;
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.trim().to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(items) => {
            let parts: Vec<String> = items
                .iter()
                .filter_map(|v| json_text(v, list_sep))
                .collect();
            Some(parts.join(list_sep))
        }
        Value::Object(_) => Some(value.to_string()),
    }
}

fn read_json(text: &str) -> Result<(Format, Vec<SourceRecord>), StandardError> {
    use serde_json::Value;
    let value: Value = serde_json::from_str(text).map_err(|e| {
        StandardError::Unreadable(format!(
            "ligne {}, colonne {} : JSON mal formé ({e})",
            e.line(),
            e.column()
        ))
    })?;
    // Arrays inside records are joined with the v1 separator; legacy files use strings anyway.
    let sep = "|";
    let to_record = |rank: usize, obj: &serde_json::Map<String, Value>| SourceRecord {
        position: Position::Record(rank),
        fields: obj
            .iter()
            .filter_map(|(k, v)| json_text(v, sep).map(|t| (column_name(k), t)))
            .collect(),
    };
    match &value {
        Value::Array(items) => {
            let mut records = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                match item {
                    Value::Object(obj) => records.push(to_record(i + 1, obj)),
                    _ => {
                        return Err(StandardError::Unreadable(format!(
                            "enregistrement {} : un objet JSON est attendu",
                            i + 1
                        )));
                    }
                }
            }
            Ok((Format::Json, records))
        }
        Value::Object(root)
            if root.get("type").and_then(Value::as_str) == Some("FeatureCollection") =>
        {
            let features = root
                .get("features")
                .and_then(Value::as_array)
                .ok_or_else(|| StandardError::Unreadable("GeoJSON sans « features »".into()))?;
            let mut records = Vec::with_capacity(features.len());
            for (i, feature) in features.iter().enumerate() {
                let empty = serde_json::Map::new();
                let props = feature
                    .get("properties")
                    .and_then(Value::as_object)
                    .unwrap_or(&empty);
                let mut record = to_record(i + 1, props);
                let coords = feature
                    .get("geometry")
                    .and_then(|g| g.get("coordinates"))
                    .and_then(Value::as_array);
                if let Some([lon, lat, ..]) = coords.map(Vec::as_slice)
                    && record.get("latitude").is_none()
                    && record.get("longitude").is_none()
                    && let (Some(lat), Some(lon)) = (json_text(lat, sep), json_text(lon, sep))
                {
                    record.fields.push(("latitude".into(), lat));
                    record.fields.push(("longitude".into(), lon));
                }
                records.push(record);
            }
            Ok((Format::GeoJson, records))
        }
        Value::Object(root) => {
            // Some producers wrap the list: { "lieux": [...] } or { "data": [...] }.
            let inner = root.values().find(|v| v.is_array());
            match inner {
                Some(arr) => read_json(&arr.to_string()),
                None => Err(StandardError::Unreadable(
                    "JSON sans liste de lieux (attendu un tableau d'objets ou un GeoJSON)".into(),
                )),
            }
        }
        _ => Err(StandardError::Unreadable(
            "JSON sans liste de lieux (attendu un tableau d'objets ou un GeoJSON)".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_csv_delimiters_and_versions() {
        let f = read(b"id;nom;commune;services\n1;A;Lyon;Prendre en main un ordinateur\n")
            .expect("lisible");
        assert_eq!(f.format, Format::Csv { delimiter: b';' });
        assert_eq!(f.version, Version::V0_1);
        let f = read("\u{feff}id,nom,courriels\n1,A,a@b.fr\n".as_bytes()).expect("lisible");
        assert_eq!(f.format, Format::Csv { delimiter: b',' });
        assert_eq!(f.version, Version::V1);
        assert_eq!(f.records[0].position, Position::Line(2));
    }

    #[test]
    fn reads_windows_1252() {
        let bytes = b"id,nom,commune\n1,Maison,Besan\xe7on\n";
        let f = read(bytes).expect("lisible");
        assert_eq!(f.records[0].get("commune"), Some("Besançon"));
        assert!(f.notes[0].contains("Windows-1252"));
    }

    #[test]
    fn reads_json_and_geojson() {
        let f = read(br#"[{"id":"a","nom":"X","latitude":45.1,"services":["A","B"]}]"#)
            .expect("lisible");
        assert_eq!(f.format, Format::Json);
        assert_eq!(f.records[0].get("latitude"), Some("45.1"));
        assert_eq!(f.records[0].get("services"), Some("A|B"));
        let f = read(br#"{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[4.8,45.7]},"properties":{"id":"a","nom":"X"}}]}"#)
            .expect("lisible");
        assert_eq!(f.format, Format::GeoJson);
        assert_eq!(f.records[0].get("latitude"), Some("45.7"));
        assert_eq!(f.records[0].get("longitude"), Some("4.8"));
    }

    #[test]
    fn unreadable_files_get_french_reasons() {
        for bytes in [
            &b""[..],
            b"hello world",
            b"[1,2]",
            b"{\"a\":",
            b"id,id,nom\n",
        ] {
            let err = read(bytes).expect_err("refusé");
            assert!(!err.to_string().is_empty());
        }
    }
}
