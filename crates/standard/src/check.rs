//! Validation of a whole file: every record checked, every problem reported in French with its
//! line, field, value and reason. Nothing here writes anywhere: the caller decides between
//! all-or-nothing and importing the valid records only.

use std::borrow::Cow;
use std::hash::BuildHasher;
use std::sync::Arc;

use rayon::prelude::*;

use maillage_domain::place::{DirectoryExtras, RawPlace, ValidationContext};
use maillage_domain::{FieldIssue, Place};

use crate::StandardError;
use crate::legacy;
use crate::read::{self, Format, Position, SourceRecord, Version};

/// Outcome for one record: the place it gives when valid. A report that need not keep its
/// places (an import's, once they are written) holds `()` instead: `Some(())` for a valid
/// record.
#[derive(Debug, Clone)]
pub struct RecordReport<P = Place> {
    pub position: Position,
    /// The producer's identifier (`id` of the file, or derived when absent).
    pub source_id: String,
    pub place: Option<P>,
    pub errors: Vec<FieldIssue>,
    pub warnings: Vec<FieldIssue>,
}

impl<P> RecordReport<P> {
    /// The same report without its place (kept: whether the record is valid).
    pub fn without_place(self) -> RecordReport<()> {
        RecordReport {
            position: self.position,
            source_id: self.source_id,
            place: self.place.map(|_| ()),
            errors: self.errors,
            warnings: self.warnings,
        }
    }
}

/// Outcome for a whole file.
#[derive(Debug, Clone)]
pub struct Report<P = Place> {
    pub format: Format,
    pub version: Version,
    pub notes: Vec<String>,
    pub records: Vec<RecordReport<P>>,
}

impl<P> Report<P> {
    /// The same report without its places: counts and messages stay.
    pub fn without_places(self) -> Report<()> {
        Report {
            format: self.format,
            version: self.version,
            notes: self.notes,
            records: self
                .records
                .into_iter()
                .map(RecordReport::without_place)
                .collect(),
        }
    }
    pub fn valid(&self) -> impl Iterator<Item = &RecordReport<P>> {
        self.records.iter().filter(|r| r.place.is_some())
    }
    pub fn invalid(&self) -> impl Iterator<Item = &RecordReport<P>> {
        self.records.iter().filter(|r| r.place.is_none())
    }
    pub fn valid_count(&self) -> usize {
        self.valid().count()
    }
    pub fn invalid_count(&self) -> usize {
        self.records.len() - self.valid_count()
    }
    pub fn warning_count(&self) -> usize {
        self.records.iter().map(|r| r.warnings.len()).sum()
    }
    /// Every error as one French sentence: « ligne 4, champ « telephone », valeur « 12 » : raison ».
    pub fn error_messages(&self) -> Vec<String> {
        messages(&self.records, |r| &r.errors)
    }
    pub fn warning_messages(&self) -> Vec<String> {
        messages(&self.records, |r| &r.warnings)
    }
    /// A plain-text report, for the terminal and for download.
    pub fn to_text(&self) -> String {
        text(
            (self.format, self.version, &self.notes),
            self.records.len(),
            self.valid_count(),
            &self.records,
        )
    }
}

/// What a report says without the places it read: its counts, and the records that have
/// something to say (an error, a warning). A file checked without importing it, or imported
/// as it is checked, need not keep its places — nor its records that are valid and silent:
/// a file of 50,000 valid rows is only counted.
#[derive(Debug, Clone)]
pub struct Tally {
    pub format: Format,
    pub version: Version,
    pub notes: Vec<String>,
    /// Records read.
    pub records: usize,
    /// Records valid.
    pub valid: usize,
    /// The records with an error or a warning, in file order.
    pub flagged: Vec<RecordReport<()>>,
}

impl Tally {
    pub fn new(format: Format, version: Version, notes: Vec<String>) -> Self {
        Tally {
            format,
            version,
            notes,
            records: 0,
            valid: 0,
            flagged: Vec::new(),
        }
    }

    /// Counts one record, and keeps its report (without its place) if it has something to say.
    pub fn add<P>(&mut self, r: RecordReport<P>) {
        self.records += 1;
        self.valid += usize::from(r.place.is_some());
        if !r.errors.is_empty() || !r.warnings.is_empty() {
            self.flagged.push(r.without_place());
        }
    }

    pub fn valid_count(&self) -> usize {
        self.valid
    }
    pub fn invalid_count(&self) -> usize {
        self.records - self.valid
    }
    pub fn warning_count(&self) -> usize {
        self.flagged.iter().map(|r| r.warnings.len()).sum()
    }
    /// Every error as one French sentence (see [`Report::error_messages`]).
    pub fn error_messages(&self) -> Vec<String> {
        messages(&self.flagged, |r| &r.errors)
    }
    pub fn warning_messages(&self) -> Vec<String> {
        messages(&self.flagged, |r| &r.warnings)
    }

    /// The plain-text report (the same as [`Report::to_text`]).
    pub fn to_text(&self) -> String {
        text(
            (self.format, self.version, &self.notes),
            self.records,
            self.valid,
            &self.flagged,
        )
    }
}

/// The errors or the warnings of these records, each as one French sentence.
fn messages<P>(
    records: &[RecordReport<P>],
    issues: impl Fn(&RecordReport<P>) -> &Vec<FieldIssue>,
) -> Vec<String> {
    records
        .iter()
        .flat_map(|r| issues(r).iter().map(move |i| message(r.position, i)))
        .collect()
}

/// The plain-text report of a file: its counts, notes, errors and warnings (the records given
/// may leave out those without any).
fn text<P>(
    (format, version, notes): (Format, Version, &[String]),
    records: usize,
    valid: usize,
    flagged: &[RecordReport<P>],
) -> String {
    let warnings = flagged.iter().map(|r| r.warnings.len()).sum::<usize>();
    let mut out = format!(
        "Fichier {format} du standard {version} : {records} enregistrement(s), {valid} valide(s), {} refusé(s), {warnings} correction(s) ou remarque(s).\n",
        records - valid,
    );
    for n in notes {
        out.push_str(&format!("Remarque : {n}\n"));
    }
    if flagged.iter().any(|r| !r.errors.is_empty()) {
        out.push_str("\nErreurs :\n");
        for r in flagged {
            for e in &r.errors {
                out.push_str(&format!("- {}\n", message(r.position, e)));
            }
        }
    }
    if warnings > 0 {
        out.push_str("\nCorrections et remarques :\n");
        for r in flagged {
            for w in &r.warnings {
                out.push_str(&format!("- {}\n", message(r.position, w)));
            }
        }
    }
    out
}

/// One issue as a French sentence naming position, field, value and reason.
pub fn message(position: Position, issue: &FieldIssue) -> String {
    if issue.value.is_empty() {
        format!("{position}, champ « {} » : {}", issue.field, issue.reason)
    } else {
        format!(
            "{position}, champ « {} », valeur « {} » : {}",
            issue.field, issue.value, issue.reason
        )
    }
}

/// Closed-list fields of v1 (and typologie), where a `;` list is a common producer mistake.
/// (Free lists — `courriels`, `site_web` — accept both separators in the domain's validation.)
const LIST_FIELDS: [&str; 10] = [
    "typologie",
    "itinerance",
    "services",
    "publics_specifiquement_adresses",
    "prise_en_charge_specifique",
    "frais_a_charge",
    "dispositif_programmes_nationaux",
    "formations_labels",
    "modalites_acces",
    "modalites_accompagnement",
];

/// A stable identifier for a record without `id`, from what identifies a place physically.
fn derived_id(record: &SourceRecord) -> String {
    // FNV-1a 64: stable across runs and platforms, enough to tell places apart in one source.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in ["nom", "adresse", "code_postal", "commune"].map(|f| record.get(f)) {
        for b in maillage_domain::text::compact_key(part.unwrap_or_default()).bytes() {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        hash ^= 0xff;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("sans-id-{hash:016x}")
}

/// What mapping to v1 needs of each column: its rank in the standard's fields (none for a
/// column the standard does not know) and whether it is a closed list.
type Columns = Vec<Option<(usize, bool)>>;

/// Worked out once per list of names (once per CSV file), not once per value.
fn columns(names: &[Box<str>]) -> Columns {
    names
        .iter()
        .map(|name| {
            maillage_domain::STANDARD_FIELDS
                .iter()
                .position(|f| **f == **name)
                .map(|rank| (rank, LIST_FIELDS.contains(&&**name)))
        })
        .collect()
}

/// A record's values as the standard's fields, borrowed from the record (only a list repaired
/// from `;` to `|` is copied).
fn to_raw_v1<'r>(
    record: &'r SourceRecord,
    columns: &Columns,
    warnings: &mut Vec<FieldIssue>,
) -> RawPlace<Cow<'r, str>> {
    let mut raw = RawPlace::default();
    for ((k, v), column) in record.fields().zip(columns) {
        let Some((rank, list)) = *column else {
            continue;
        };
        // (Blank: the first character that is not a space ends the search, where a trim
        // would search from both ends.)
        if v.chars().all(char::is_whitespace) {
            continue;
        }
        // (A `;` first: most values have none, and the search for a `|` is then spared.)
        let value = if list && v.contains(';') && !v.contains('|') {
            warnings.push(FieldIssue {
                field: k.to_string(),
                value: v.to_string(),
                reason: "liste séparée par « ; » : le standard v1 sépare par « | », corrigé".into(),
            });
            Cow::Owned(v.replace(';', "|"))
        } else {
            Cow::Borrowed(v)
        };
        raw.set_nth(rank, value);
    }
    raw
}

/// Identifiers reserved at most before a file's records are read (some 10 MB of address
/// space, touched as the map fills).
const SEEN_RESERVED: usize = 1 << 17;

/// Records checked at a time: enough to keep both cores busy, few enough that a big file's
/// records are never all held at once (the next chunk is read while one is checked).
pub const CHUNK: usize = 2048;

/// Reads and validates a file. `Err` only when the file cannot be read at all.
pub fn check(bytes: &[u8], ctx: &ValidationContext<'_>) -> Result<Report, StandardError> {
    check_watched(bytes, ctx, &maillage_domain::progress::Silent)
}

/// [`check`], reporting its stages and records to `progress`, and stopping when asked
/// ([`StandardError::Interrupted`]; nothing is written by a check anyway).
pub fn check_watched(
    bytes: &[u8],
    ctx: &ValidationContext<'_>,
    progress: &dyn maillage_domain::progress::Progress,
) -> Result<Report, StandardError> {
    progress.stage("Lecture du fichier", None);
    let source = read::open(bytes)?;
    check_source(source, ctx, progress)
}

/// Validates records already read (from a file of the standard, or turned into the standard's
/// fields from another schema, such as data·inclusion's).
pub fn check_read(
    file: read::SourceFile,
    ctx: &ValidationContext<'_>,
    progress: &dyn maillage_domain::progress::Progress,
) -> Result<Report, StandardError> {
    check_source(file.into(), ctx, progress)
}

fn check_source(
    source: read::Source<'_>,
    ctx: &ValidationContext<'_>,
    progress: &dyn maillage_domain::progress::Progress,
) -> Result<Report, StandardError> {
    let (format, version, notes) = (source.format, source.version, source.notes.clone());
    let mut records = Vec::new();
    check_each(source, ctx, progress, |r| r, |r| records.push(r))?;
    Ok(Report {
        format,
        version,
        notes,
        records,
    })
}

/// Validates a file's records as they are read: each outcome goes through `each` on the core
/// that checked it (the `validate` command drops the place there), then to `sink`, in file
/// order. The next records are read while a chunk of [`CHUNK`] is checked.
///
/// The whole loop runs on one of the threads that check records, `sink` included (it must not
/// wait long: it holds a core of the pool), so that a chunk's end and the next one's start
/// are not a hand-over between threads — the calling thread woken, then the pool's. A caller
/// whose sink waits (an import's, on the writes) uses [`check_in_chunks`], whose loop runs on
/// the calling thread.
pub fn check_each<T: Send>(
    source: read::Source<'_>,
    ctx: &ValidationContext<'_>,
    progress: &dyn maillage_domain::progress::Progress,
    each: impl Fn(RecordReport) -> T + Sync,
    sink: impl FnMut(T) + Send,
) -> Result<(), StandardError> {
    rayon::scope(|_| check_in_chunks(source, ctx, progress, CHUNK, &each, sink))
}

/// [`check_each`] by chunks of `chunk` records: smaller ones for a consumer that holds the
/// places a while (an import writing them), so that fewer are alive at once.
pub fn check_in_chunks<T: Send>(
    mut source: read::Source<'_>,
    ctx: &ValidationContext<'_>,
    progress: &dyn maillage_domain::progress::Progress,
    chunk_size: usize,
    each: impl Fn(RecordReport) -> T + Sync,
    mut sink: impl FnMut(T),
) -> Result<(), StandardError> {
    progress.check()?;
    let v1_ctx = ValidationContext {
        communes: ctx.communes,
        typologies: ctx.typologies,
        list_separator: '|',
    };
    let version = source.version;
    progress.stage("Vérification des lignes", Some(source.steps()));
    // The identifiers seen, sized once for the file's records (a map doubled some fifteen
    // times took fresh memory each time); bounded, a file of blank lines being cheap to make.
    let mut seen = SeenIds::with_capacity(
        usize::try_from(source.steps()).map_or(SEEN_RESERVED, |n| n.min(SEEN_RESERVED)),
    );
    // Steps are counted when a chunk's records are checked, not when they are read.
    let mut done = 0;
    let chunk_size = chunk_size.max(1);
    let mut chunk = source.next_chunk(chunk_size)?;
    let mut ids = settle_ids(&chunk, &mut seen);
    let mut upto = source.steps_done();
    // The chunk checked before this one, its records' buffers refilled with the next ones.
    let mut spare = Vec::new();
    while !chunk.is_empty() {
        // The records checked on every core while the next ones are read and their identifiers
        // settled (in file order, on the reading side). The records of a CSV file share their
        // names: their columns are worked out once.
        let shared = chunk
            .first()
            .map(|r| (r.names().clone(), columns(r.names())));
        let (outcomes, next) = rayon::join(
            || {
                chunk
                    .par_iter()
                    .zip(ids)
                    .map(|(record, (id, duplicate))| {
                        let own;
                        let columns = match &shared {
                            Some((names, columns)) if Arc::ptr_eq(names, record.names()) => columns,
                            _ => {
                                own = columns(record.names());
                                &own
                            }
                        };
                        each(check_record(
                            record, columns, id, duplicate, version, &v1_ctx,
                        ))
                    })
                    .collect::<Vec<T>>()
            },
            || {
                let next = source.next_chunk_reusing(chunk_size, std::mem::take(&mut spare))?;
                let ids = settle_ids(&next, &mut seen);
                Ok::<_, StandardError>((next, ids, source.steps_done()))
            },
        );
        outcomes.into_iter().for_each(&mut sink);
        progress.advance(upto.saturating_sub(done));
        done = upto;
        progress.check()?;
        let read;
        (read, ids, upto) = next?;
        spare = std::mem::replace(&mut chunk, read);
    }
    Ok(())
}

/// Each record's identifier, and whether an earlier record of the file had it: settled in file
/// order, so that a record's outcome is the same whatever chunk it falls in.
fn settle_ids(chunk: &[SourceRecord], seen: &mut SeenIds) -> Vec<(String, Option<FieldIssue>)> {
    chunk
        .iter()
        .map(|record| {
            let id = source_id(record);
            let duplicate = seen
                .first_or_insert(&id, record.position)
                .map(|first| FieldIssue {
                    field: "id".into(),
                    value: id.clone(),
                    reason: format!(
                        "identifiant déjà utilisé ({first}) : chaque lieu doit avoir le sien"
                    ),
                });
            (id, duplicate)
        })
        .collect()
}

/// The identifiers of a file's records seen so far, with the first record of each: held end to
/// end in one text (a file of 50,000 rows was as many small strings, copies of those its
/// reports keep), looked up by their hash.
struct SeenIds {
    text: String,
    table: hashbrown::HashTable<SeenId>,
}

/// An identifier's bytes in [`SeenIds::text`], and its first record.
struct SeenId {
    start: usize,
    end: usize,
    first: Position,
}

impl SeenIds {
    fn with_capacity(ids: usize) -> Self {
        SeenIds {
            text: String::new(),
            table: hashbrown::HashTable::with_capacity(ids),
        }
    }

    /// The first record with `id`, if an earlier one had it; else `id` is now seen, at
    /// `position`.
    fn first_or_insert(&mut self, id: &str, position: Position) -> Option<Position> {
        let hash = |id: &str| rustc_hash::FxBuildHasher.hash_one(id);
        let text = &self.text;
        let of = |e: &SeenId| text.get(e.start..e.end).unwrap_or_default();
        match self.table.entry(hash(id), |e| of(e) == id, |e| hash(of(e))) {
            hashbrown::hash_table::Entry::Occupied(seen) => Some(seen.get().first),
            hashbrown::hash_table::Entry::Vacant(vacant) => {
                let start = self.text.len();
                self.text.push_str(id);
                vacant.insert(SeenId {
                    start,
                    end: self.text.len(),
                    first: position,
                });
                None
            }
        }
    }
}

/// The producer's identifier of a record, else one derived from its name and address.
fn source_id(record: &SourceRecord) -> String {
    match record.get("id").map(str::trim).filter(|s| !s.is_empty()) {
        Some(id) => id.to_string(),
        None => derived_id(record),
    }
}

/// One record mapped to v1 and validated.
fn check_record(
    record: &SourceRecord,
    columns: &Columns,
    source_id: String,
    duplicate: Option<FieldIssue>,
    version: Version,
    ctx: &ValidationContext<'_>,
) -> RecordReport {
    let mut warnings = Vec::new();
    let mut errors = Vec::new();
    let ((place, validation), extras) = match version {
        Version::V1 => {
            let raw = to_raw_v1(record, columns, &mut warnings);
            let checked = validate(&raw, &source_id, duplicate, ctx, &mut warnings, &mut errors);
            (checked, DirectoryExtras::default())
        }
        Version::V0_1 => {
            let (raw, extras, legacy_errors) = legacy::to_v1(record);
            errors.extend(legacy_errors);
            let checked = validate(&raw, &source_id, duplicate, ctx, &mut warnings, &mut errors);
            (checked, extras)
        }
    };
    errors.extend(validation.errors);
    warnings.extend(validation.warnings);
    let place = place.filter(|_| errors.is_empty()).map(|mut place| {
        place.extras = extras;
        place
    });
    RecordReport {
        position: record.position,
        source_id,
        place,
        errors,
        warnings,
    }
}

/// A record's fields validated, after the issues the file gives them (an identifier absent,
/// already used).
fn validate<S: AsRef<str>>(
    raw: &RawPlace<S>,
    source_id: &str,
    duplicate: Option<FieldIssue>,
    ctx: &ValidationContext<'_>,
    warnings: &mut Vec<FieldIssue>,
    errors: &mut Vec<FieldIssue>,
) -> (Option<Place>, maillage_domain::Validation) {
    if raw
        .id
        .as_ref()
        .is_none_or(|id| id.as_ref().trim().is_empty())
    {
        warnings.push(FieldIssue {
            field: "id".into(),
            value: String::new(),
            reason: format!(
                "identifiant absent : identifiant stable « {source_id} » calculé depuis le nom et l'adresse"
            ),
        });
    }
    errors.extend(duplicate);
    raw.validate(source_id, ctx)
}

#[cfg(test)]
mod seen_ids {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The first record of each identifier is the one a map of owned strings keeps, for
        /// identifiers that repeat, share their beginnings or are empty, in any script.
        #[test]
        fn each_identifier_answers_its_first_record(
            ids in proptest::collection::vec("(lieu-[0-9]{0,2}|é{0,2}|[ab]{0,3}|)", 0..300)
        ) {
            let mut seen = SeenIds::with_capacity(4);
            let mut model = std::collections::HashMap::new();
            for (line, id) in ids.iter().enumerate() {
                let expected = model.get(id).copied();
                model.entry(id.clone()).or_insert(Position::Line(line));
                prop_assert_eq!(seen.first_or_insert(id, Position::Line(line)), expected);
            }
            prop_assert_eq!(seen.table.len(), model.len());
        }
    }
}
