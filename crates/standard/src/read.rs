//! Reading files of the standard: encoding, format (CSV, JSON, GeoJSON) and version (v0.1, v1)
//! are detected from the content, never from the file name.

use std::borrow::Cow;
use std::fmt;
use std::io::{Read, Seek, SeekFrom};
use std::sync::Arc;

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

/// One record of a file: its fields by (normalised) name, values as text.
///
/// A file's records share their column names, and each record holds its values in one buffer
/// (a 50,000-row file is two allocations per record, not two per field).
#[derive(Debug, Clone)]
pub struct SourceRecord {
    pub position: Position,
    names: Arc<[Box<str>]>,
    text: String,
    /// End of each value in `text`; the `i`-th value goes with the `i`-th name.
    ends: Vec<u32>,
}

impl SourceRecord {
    /// A record of the given (already normalised) names and values.
    pub fn from_pairs(position: Position, pairs: Vec<(String, String)>) -> Self {
        let mut record = SourceRecord::empty(
            position,
            pairs.iter().map(|(k, _)| k.as_str().into()).collect(),
        );
        for (_, v) in &pairs {
            record.push_value(v);
        }
        record
    }

    fn empty(position: Position, names: Arc<[Box<str>]>) -> Self {
        SourceRecord {
            position,
            ends: Vec::with_capacity(names.len()),
            names,
            text: String::new(),
        }
    }

    fn push_value(&mut self, value: &str) {
        self.text.push_str(value);
        // One record's values: far under 4 GB (a record of more is read as if its values
        // past 4 GB were blank, never a panic: see `fields`).
        self.ends
            .push(u32::try_from(self.text.len()).unwrap_or(u32::MAX));
    }

    /// Adds a field (for instance coordinates taken from a GeoJSON geometry).
    pub fn push(&mut self, name: &str, value: &str) {
        let mut names: Vec<Box<str>> = self.names[..self.ends.len()].to_vec();
        names.push(name.into());
        self.names = names.into();
        self.push_value(value);
    }

    /// The record's column names (shared by every record of a CSV file).
    pub fn names(&self) -> &Arc<[Box<str>]> {
        &self.names
    }

    /// Every field, in the file's order, blank values included.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &str)> {
        let starts = std::iter::once(0).chain(self.ends.iter().map(|&e| e as usize));
        self.names
            .iter()
            .zip(starts.zip(self.ends.iter()))
            .map(|(name, (start, &end))| {
                (
                    &**name,
                    self.text.get(start..end as usize).unwrap_or_default(),
                )
            })
    }

    /// A field's value, unless absent or blank.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v)
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

/// Decodes bytes: UTF-8 (with or without BOM, borrowed as is), else Windows-1252 (common in
/// spreadsheet exports).
fn decode<'a>(bytes: &'a [u8], notes: &mut Vec<String>) -> Cow<'a, str> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    // SIMD validation: a 31 MB file of French text in a few milliseconds instead of tens.
    match simdutf8::basic::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => {
            let (text, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
            notes.push(
                "fichier non encodé en UTF-8 : lu comme Windows-1252 (export de tableur)".into(),
            );
            text
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

/// Reads a file of the standard, every record at once.
pub fn read(bytes: &[u8]) -> Result<SourceFile, StandardError> {
    let mut notes = Vec::new();
    let text = decode(bytes, &mut notes);
    open_text(&text, notes)?.read_all()
}

/// Opens a file of the standard: its format, version and notes are known at once, its records
/// are read as they are asked for ([`Source::next_chunk`]), so that a big file's records are
/// checked while the next ones are read and are never all held at once. A file that is not
/// UTF-8 is decoded, then read whole.
pub fn open(bytes: &[u8]) -> Result<Source<'_>, StandardError> {
    let mut notes = Vec::new();
    match decode(bytes, &mut notes) {
        Cow::Borrowed(text) => open_text(text, notes),
        Cow::Owned(text) => Ok(open_text(&text, notes)?.read_all()?.into()),
    }
}

/// Opens a file of the standard on disk, as [`open`] does its bytes, without holding the file
/// whole when it is a CSV file in UTF-8: a first pass over it in pieces checks its encoding
/// and counts its lines, then its records are read from the disk as they are asked for (a
/// 31 MB file was as many megabytes of fresh memory, a tenth of a check's time). Any other
/// file (another encoding, JSON, blank, starting with a character that is not ASCII, or not a
/// regular file — a pipe) is read whole, and gives what [`open`] gives of its bytes.
///
/// A regular file is read from its start. `Err` when the file cannot be read (to be named by
/// the caller), `Ok(Err)` when its content cannot be opened.
pub fn open_file(file: std::fs::File) -> std::io::Result<Result<Source<'static>, StandardError>> {
    open_file_in_pieces(file, PIECE)
}

/// Bytes read at a time by the first pass of [`open_file`].
const PIECE: usize = 1 << 20;

/// Bytes the CSV reader reads from its source at a time (its default is 8 KB: a system call
/// every 8 KB for a file read from the disk).
const CSV_BUFFER: usize = 64 * 1024;

/// [`open_file`] with its pieces' size (small ones in tests, to cut characters and lines).
#[doc(hidden)]
pub fn open_file_in_pieces(
    mut file: std::fs::File,
    piece: usize,
) -> std::io::Result<Result<Source<'static>, StandardError>> {
    let regular = file.metadata()?.is_file();
    let survey = if regular {
        file.rewind()?;
        survey(&mut file, piece.max(4))?
    } else {
        None
    };
    Ok(match survey {
        Some(survey) => {
            let start = if survey.bom { UTF8_BOM.len() as u64 } else { 0 };
            file.seek(SeekFrom::Start(start))?;
            let first_line = String::from_utf8_lossy(&survey.first_line);
            CsvRecords::over(&first_line, survey.lines, Box::new(file))
                .and_then(|csv| open_csv(csv, Vec::new()))
        }
        None => {
            if regular {
                file.rewind()?;
            }
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes)?;
            open_owned(bytes)
        }
    })
}

/// [`open`] of bytes the source keeps: a CSV file in UTF-8 is still read as it is asked for
/// (its steps its lines), any other as [`open`] reads it.
fn open_owned(bytes: Vec<u8>) -> Result<Source<'static>, StandardError> {
    let body = bytes.strip_prefix(UTF8_BOM).unwrap_or(&bytes);
    let start = bytes.len() - body.len();
    match simdutf8::basic::from_utf8(body) {
        Ok(text) if !text.trim_start().is_empty() && !looks_like_json(text.trim_start()) => {
            let first_line = text.lines().next().unwrap_or_default().to_string();
            let lines = line_count(text);
            let mut reader = std::io::Cursor::new(bytes);
            reader.set_position(start as u64);
            let csv = CsvRecords::over(&first_line, lines, Box::new(reader))?;
            open_csv(csv, Vec::new())
        }
        _ => Ok(open(&bytes)?.read_all()?.into()),
    }
}

/// Whether a text, its leading blanks trimmed, is read as JSON.
fn looks_like_json(trimmed: &str) -> bool {
    trimmed.starts_with('[') || trimmed.starts_with('{')
}

/// Lines after the first of a text.
fn line_count(text: &str) -> u64 {
    let newlines = memchr::memchr_iter(b'\n', text.as_bytes()).count() as u64;
    (newlines + u64::from(!text.ends_with('\n'))).saturating_sub(1)
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// What the first pass over a CSV file in UTF-8 tells.
struct Survey {
    bom: bool,
    /// Its first line (after any BOM), without its line ending.
    first_line: Vec<u8>,
    /// Lines after the first, counted as [`CsvRecords::open`] does.
    lines: u64,
}

/// Reads `file` in pieces: `None` when it is not a CSV file in UTF-8 (another encoding, JSON,
/// only blanks), or may not be (it starts with a character that is not ASCII, which could be
/// a blank).
fn survey(file: &mut std::fs::File, piece: usize) -> std::io::Result<Option<Survey>> {
    let mut buffer = vec![0u8; piece];
    // Bytes of a character cut by the end of the previous piece (at most 3).
    let mut carried = 0;
    let mut first_piece = true;
    let mut bom = false;
    let mut started = false;
    let mut first_line = Vec::new();
    let mut first_line_done = false;
    let mut newlines = 0u64;
    let mut last = None;
    loop {
        let read = fill(file, &mut buffer[carried..])?;
        let end = carried + read;
        if end == 0 {
            break;
        }
        let mut text = &buffer[..end];
        if first_piece {
            first_piece = false;
            if let Some(rest) = text.strip_prefix(UTF8_BOM) {
                bom = true;
                text = rest;
            }
        }
        // The piece's text, up to a character cut by its end (kept for the next piece).
        let valid = match simdutf8::compat::from_utf8(text) {
            Ok(_) => text.len(),
            Err(e) if e.error_len().is_none() && read > 0 && end == buffer.len() => e.valid_up_to(),
            Err(_) => return Ok(None),
        };
        let (whole, cut) = text.split_at(valid);
        if !started
            && let Some(&b) = whole
                .iter()
                .find(|b| !b.is_ascii_whitespace() && **b != 0x0b)
        {
            if b == b'[' || b == b'{' || !b.is_ascii() {
                return Ok(None);
            }
            started = true;
        }
        if !first_line_done {
            match memchr::memchr(b'\n', whole) {
                Some(at) => {
                    first_line.extend_from_slice(&whole[..at]);
                    first_line_done = true;
                }
                None => first_line.extend_from_slice(whole),
            }
        }
        newlines += memchr::memchr_iter(b'\n', whole).count() as u64;
        if let Some(&b) = whole.last() {
            last = Some(b);
        }
        carried = cut.len();
        let from = end - carried;
        buffer.copy_within(from..end, 0);
    }
    if carried > 0 || !started {
        return Ok(None);
    }
    // As `str::lines` does: a carriage return ends a line only before a line feed.
    if first_line_done && first_line.last() == Some(&b'\r') {
        first_line.pop();
    }
    Ok(Some(Survey {
        bom,
        first_line,
        lines: (newlines + u64::from(last != Some(b'\n'))).saturating_sub(1),
    }))
}

/// Reads into `buffer` until it is full or the file ends; the bytes read.
fn fill(file: &mut std::fs::File, buffer: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match file.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Records of the first lines the version is told from.
const VERSION_SAMPLE: usize = 200;

fn open_text(text: &str, notes: Vec<String>) -> Result<Source<'_>, StandardError> {
    let trimmed = text.trim_start();
    if trimmed.is_empty() {
        return Err(StandardError::Unreadable("le fichier est vide".into()));
    }
    if looks_like_json(trimmed) {
        let (format, records) = read_json(trimmed)?;
        let version = detect_version(&records);
        Ok(described(format, version, Records::loaded(records), notes))
    } else {
        open_csv(CsvRecords::open(text)?, notes)
    }
}

/// A CSV file's source: its version told from its first records, read ahead.
fn open_csv(mut csv: CsvRecords<'_>, notes: Vec<String>) -> Result<Source<'_>, StandardError> {
    while csv.ahead.len() < VERSION_SAMPLE {
        match csv.read_one()? {
            Some(record) => csv.ahead.push_back(record),
            None => break,
        }
    }
    let version = detect_version(csv.ahead.make_contiguous());
    Ok(described(
        csv.format(),
        version,
        Records::Csv(Box::new(csv)),
        notes,
    ))
}

/// The source, with a note for each column the standard does not know.
fn described(
    format: Format,
    version: Version,
    records: Records<'_>,
    mut notes: Vec<String>,
) -> Source<'_> {
    // Records of a CSV file share their names: each distinct list is looked at once.
    let mut unknown: Vec<&str> = Vec::new();
    let mut looked: Option<&Arc<[Box<str>]>> = None;
    let names: Box<dyn Iterator<Item = &Arc<[Box<str>]>>> = match &records {
        Records::Loaded { rest, .. } => Box::new(rest.as_slice().iter().map(|r| &r.names)),
        Records::Csv(csv) => Box::new(std::iter::once(&csv.names)),
    };
    for names in names {
        if looked.is_some_and(|seen| Arc::ptr_eq(seen, names)) {
            continue;
        }
        looked = Some(names);
        unknown.extend(names.iter().map(|k| &**k).filter(|k| !known_column(k)));
    }
    unknown.sort_unstable();
    unknown.dedup();
    for k in unknown {
        notes.push(format!("colonne « {k} » inconnue du standard : ignorée"));
    }
    Source {
        format,
        version,
        notes,
        records,
    }
}

/// A file of the standard being read (see [`open`]).
pub struct Source<'a> {
    pub format: Format,
    pub version: Version,
    /// Notes about the file as a whole (encoding repaired, unknown columns…).
    pub notes: Vec<String>,
    records: Records<'a>,
}

enum Records<'a> {
    Loaded {
        rest: std::vec::IntoIter<SourceRecord>,
        total: u64,
    },
    Csv(Box<CsvRecords<'a>>),
}

impl Records<'_> {
    fn loaded(records: Vec<SourceRecord>) -> Self {
        Records::Loaded {
            total: records.len() as u64,
            rest: records.into_iter(),
        }
    }
}

impl Source<'_> {
    /// Steps of a check of the whole file: its records, or for a CSV file its lines after the
    /// header (known without reading them).
    pub fn steps(&self) -> u64 {
        match &self.records {
            Records::Loaded { total, .. } => *total,
            Records::Csv(csv) => csv.lines,
        }
    }

    /// Steps done so far: records handed out, or lines read.
    pub fn steps_done(&self) -> u64 {
        match &self.records {
            Records::Loaded { rest, total } => total - rest.len() as u64,
            Records::Csv(csv) => csv.lines_done(),
        }
    }

    /// Reads up to `n` more records ahead of those handed out (for instance while what checks
    /// them is being loaded); false once the file is read to its end.
    pub fn read_ahead(&mut self, n: usize) -> Result<bool, StandardError> {
        let Records::Csv(csv) = &mut self.records else {
            return Ok(false);
        };
        for _ in 0..n {
            match csv.read_one()? {
                Some(record) => csv.ahead.push_back(record),
                None => return Ok(false),
            }
        }
        Ok(true)
    }

    /// The next records, at most `n`; none at the end of the file.
    pub fn next_chunk(&mut self, n: usize) -> Result<Vec<SourceRecord>, StandardError> {
        self.next_chunk_reusing(n, Vec::new())
    }

    /// [`Source::next_chunk`], the records of a CSV file read into the buffers of `spare`'s
    /// (records already checked): a file's records are then two chunks' buffers refilled, not
    /// two allocations each, freed on another core.
    pub fn next_chunk_reusing(
        &mut self,
        n: usize,
        mut spare: Vec<SourceRecord>,
    ) -> Result<Vec<SourceRecord>, StandardError> {
        match &mut self.records {
            Records::Loaded { rest, .. } => Ok(rest.by_ref().take(n).collect()),
            Records::Csv(csv) => {
                let mut chunk = Vec::with_capacity(n);
                while chunk.len() < n {
                    match csv.next(&mut spare)? {
                        Some(record) => chunk.push(record),
                        None => break,
                    }
                }
                Ok(chunk)
            }
        }
    }

    /// Every record left, read now.
    pub fn read_all(mut self) -> Result<SourceFile, StandardError> {
        let mut records = Vec::new();
        loop {
            let chunk = self.next_chunk(4096)?;
            if chunk.is_empty() {
                break;
            }
            records.extend(chunk);
        }
        Ok(SourceFile {
            format: self.format,
            version: self.version,
            records,
            notes: self.notes,
        })
    }
}

impl From<SourceFile> for Source<'static> {
    fn from(file: SourceFile) -> Self {
        Source {
            format: file.format,
            version: file.version,
            notes: file.notes,
            records: Records::loaded(file.records),
        }
    }
}

/// The records of a CSV file, read one at a time.
struct CsvRecords<'a> {
    delimiter: u8,
    reader: csv::Reader<Box<dyn Read + Send + 'a>>,
    /// Columns with a name, and their names (shared by every record).
    named: Vec<usize>,
    names: Arc<[Box<str>]>,
    row: csv::ByteRecord,
    /// Records read to tell the version, not yet handed out.
    ahead: std::collections::VecDeque<SourceRecord>,
    /// Lines after the header.
    lines: u64,
}

impl<'a> CsvRecords<'a> {
    fn open(text: &'a str) -> Result<Self, StandardError> {
        CsvRecords::over(
            text.lines().next().unwrap_or_default(),
            line_count(text),
            Box::new(text.as_bytes()),
        )
    }

    /// The records of `reader`, which reads the file's text from its start (after any BOM);
    /// `first_line` is its first line and `lines` the number of lines after it.
    fn over(
        first_line: &str,
        lines: u64,
        reader: Box<dyn Read + Send + 'a>,
    ) -> Result<Self, StandardError> {
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
            .buffer_capacity(CSV_BUFFER)
            .from_reader(reader);
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
        // Columns without a name are not read; the others' names are shared by every record.
        let named: Vec<usize> = (0..headers.len())
            .filter(|&i| !headers[i].is_empty())
            .collect();
        let names: Arc<[Box<str>]> = named.iter().map(|&i| headers[i].as_str().into()).collect();
        Ok(CsvRecords {
            delimiter,
            reader,
            named,
            names,
            row: csv::ByteRecord::new(),
            ahead: std::collections::VecDeque::new(),
            lines,
        })
    }

    fn format(&self) -> Format {
        Format::Csv {
            delimiter: self.delimiter,
        }
    }

    /// Lines after the header before the next record to hand out.
    fn lines_done(&self) -> u64 {
        let next_line = match self.ahead.front() {
            Some(SourceRecord {
                position: Position::Line(line),
                ..
            }) => *line as u64,
            _ if self.reader.is_done() => return self.lines,
            _ => self.reader.position().line(),
        };
        next_line.saturating_sub(2).min(self.lines)
    }

    /// The next record (read in the buffers of one of `spare`'s records, if any).
    fn next(
        &mut self,
        spare: &mut Vec<SourceRecord>,
    ) -> Result<Option<SourceRecord>, StandardError> {
        match self.ahead.pop_front() {
            Some(record) => Ok(Some(record)),
            None => self.read_into(spare),
        }
    }

    /// The next record of the file with a value, if any.
    fn read_one(&mut self) -> Result<Option<SourceRecord>, StandardError> {
        self.read_into(&mut Vec::new())
    }

    /// [`CsvRecords::read_one`], in the buffers of one of `spare`'s records if any.
    fn read_into(
        &mut self,
        spare: &mut Vec<SourceRecord>,
    ) -> Result<Option<SourceRecord>, StandardError> {
        loop {
            let line = self.reader.position().line();
            match self.reader.read_byte_record(&mut self.row) {
                Ok(true) => {}
                Ok(false) => return Ok(None),
                Err(e) => {
                    let line = e.position().map(|p| p.line()).unwrap_or(line);
                    return Err(StandardError::Unreadable(format!(
                        "ligne {line} : CSV mal formé ({e})"
                    )));
                }
            }
            // The file is UTF-8 (checked whole when opened), so is each record: one SIMD pass
            // over the record's values gives them as text (a value cannot end inside a
            // character, its delimiters being ASCII).
            let text = simdutf8::basic::from_utf8(self.row.as_slice()).map_err(|_| {
                StandardError::Unreadable(format!("ligne {line} : texte non UTF-8"))
            })?;
            let value = |i: usize| self.row.range(i).and_then(|r| text.get(r));
            if (0..self.row.len()).all(|i| value(i).is_none_or(|v| v.trim().is_empty())) {
                continue;
            }
            let line = self.row.position().map(|p| p.line() as usize).unwrap_or(0);
            let mut record = match spare.pop() {
                Some(mut record) => {
                    record.position = Position::Line(line);
                    if !Arc::ptr_eq(&record.names, &self.names) {
                        record.names = self.names.clone();
                    }
                    record.text.clear();
                    record.ends.clear();
                    record
                }
                None => SourceRecord::empty(Position::Line(line), self.names.clone()),
            };
            record.text.reserve(text.len());
            for v in self.named.iter().map_while(|&i| value(i)) {
                // The apostrophe our exports put before a formula-like cell is not part of it.
                record.push_value(maillage_domain::spreadsheet::uncell(v.trim()));
            }
            return Ok(Some(record));
        }
    }
}

fn detect_version(records: &[SourceRecord]) -> Version {
    let mut legacy = 0usize;
    let mut v1 = 0usize;
    for r in records.iter().take(200) {
        for (k, v) in r.fields() {
            if v.trim().is_empty() {
                continue;
            }
            if LEGACY_ONLY_FIELDS.contains(&k) {
                legacy += 1;
            }
            if V1_ONLY_FIELDS.contains(&k) {
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
    let to_record = |rank: usize, obj: &serde_json::Map<String, Value>| {
        SourceRecord::from_pairs(
            Position::Record(rank),
            obj.iter()
                .filter_map(|(k, v)| json_text(v, sep).map(|t| (column_name(k), t)))
                .collect(),
        )
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
                    record.push("latitude", &lat);
                    record.push("longitude", &lon);
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
