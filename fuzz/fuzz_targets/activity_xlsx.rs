//! An import of past activity records as an XLSX workbook, as the page « Activités › Importer »
//! receives it: the first sheet read with calamine into rows keyed by the template's columns,
//! each row made a record form and validated. Never a panic, no allocation out of proportion
//! with the file.
//!
//! Input: first byte even — the bytes are the file (mutations of real workbooks: the zip
//! layer); odd — the rest is `sheet1.xml`, `sharedStrings.xml` and `styles.xml` separated by a
//! 0xFF byte, stored in a well-formed workbook (the XML layer, which mutations of compressed
//! files rarely reach).
#![no_main]

use std::io::Write;

use libfuzzer_sys::fuzz_target;
use maillage_standard::activity::{form_of_row, read_import};
use zip::write::SimpleFileOptions;

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>"#;
const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="activites" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#;

/// A workbook whose sheet, shared strings and styles are the given parts.
fn workbook(parts: &[u8]) -> Vec<u8> {
    let mut split = parts.split(|b| *b == 0xFF);
    let sheet = split.next().unwrap_or_default();
    let strings = split.next().unwrap_or_default();
    let styles = split.next().unwrap_or_default();
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options =
        SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, content) in [
        ("[Content_Types].xml", CONTENT_TYPES.as_bytes()),
        ("_rels/.rels", RELS.as_bytes()),
        ("xl/workbook.xml", WORKBOOK.as_bytes()),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.as_bytes()),
        ("xl/worksheets/sheet1.xml", sheet),
        ("xl/sharedStrings.xml", strings),
        ("xl/styles.xml", styles),
    ] {
        zip.start_file(name, options).expect("entrée zip");
        zip.write_all(content).expect("écriture zip");
    }
    zip.finish().expect("zip").into_inner()
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let built;
    let file = if mode % 2 == 0 {
        rest
    } else {
        built = workbook(rest);
        &built
    };
    let Ok(rows) = read_import(file, "activites.xlsx") else {
        return;
    };
    let today = chrono::NaiveDate::from_ymd_opt(2026, 6, 1).expect("date");
    for (_, cells) in &rows {
        let _ = form_of_row(cells).validate(today);
    }
});
