//! Validation of a whole file: every record checked, every problem reported in French with its
//! line, field, value and reason. Nothing here writes anywhere: the caller decides between
//! all-or-nothing and importing the valid records only.

use std::collections::HashMap;

use rayon::prelude::*;

use maillage_domain::place::{DirectoryExtras, RawPlace, ValidationContext};
use maillage_domain::{FieldIssue, Place};

use crate::StandardError;
use crate::legacy;
use crate::read::{self, Format, Position, SourceRecord, Version};

/// Outcome for one record.
#[derive(Debug, Clone)]
pub struct RecordReport {
    pub position: Position,
    /// The producer's identifier (`id` of the file, or derived when absent).
    pub source_id: String,
    pub place: Option<Place>,
    pub errors: Vec<FieldIssue>,
    pub warnings: Vec<FieldIssue>,
}

/// Outcome for a whole file.
#[derive(Debug, Clone)]
pub struct Report {
    pub format: Format,
    pub version: Version,
    pub notes: Vec<String>,
    pub records: Vec<RecordReport>,
}

impl Report {
    pub fn valid(&self) -> impl Iterator<Item = &RecordReport> {
        self.records.iter().filter(|r| r.place.is_some())
    }
    pub fn invalid(&self) -> impl Iterator<Item = &RecordReport> {
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
        self.records
            .iter()
            .flat_map(|r| r.errors.iter().map(move |i| message(r.position, i)))
            .collect()
    }
    pub fn warning_messages(&self) -> Vec<String> {
        self.records
            .iter()
            .flat_map(|r| r.warnings.iter().map(move |i| message(r.position, i)))
            .collect()
    }
    /// A plain-text report, for the terminal and for download.
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "Fichier {} du standard {} : {} enregistrement(s), {} valide(s), {} refusé(s), {} correction(s) ou remarque(s).\n",
            self.format,
            self.version,
            self.records.len(),
            self.valid_count(),
            self.invalid_count(),
            self.warning_count()
        );
        for n in &self.notes {
            out.push_str(&format!("Remarque : {n}\n"));
        }
        let errors = self.error_messages();
        if !errors.is_empty() {
            out.push_str("\nErreurs :\n");
            for e in errors {
                out.push_str(&format!("- {e}\n"));
            }
        }
        let warnings = self.warning_messages();
        if !warnings.is_empty() {
            out.push_str("\nCorrections et remarques :\n");
            for w in warnings {
                out.push_str(&format!("- {w}\n"));
            }
        }
        out
    }
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
fn derived_id(raw: &RawPlace) -> String {
    // FNV-1a 64: stable across runs and platforms, enough to tell places apart in one source.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in [&raw.nom, &raw.adresse, &raw.code_postal, &raw.commune] {
        for b in maillage_domain::text::compact_key(part.as_deref().unwrap_or_default()).bytes() {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        hash ^= 0xff;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("sans-id-{hash:016x}")
}

fn to_raw_v1(record: &SourceRecord, warnings: &mut Vec<FieldIssue>) -> RawPlace {
    let mut raw = RawPlace::default();
    for (k, v) in &record.fields {
        if v.trim().is_empty() {
            continue;
        }
        let value = if LIST_FIELDS.contains(&k.as_str()) && !v.contains('|') && v.contains(';') {
            warnings.push(FieldIssue {
                field: k.clone(),
                value: v.clone(),
                reason: "liste séparée par « ; » : le standard v1 sépare par « | », corrigé".into(),
            });
            v.replace(';', "|")
        } else {
            v.clone()
        };
        raw.set(k, value);
    }
    raw
}

/// A record mapped to v1, before its validation.
struct Prepared {
    position: Position,
    raw: RawPlace,
    extras: DirectoryExtras,
    source_id: String,
    pre_errors: Vec<FieldIssue>,
    pre_warnings: Vec<FieldIssue>,
}

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
    let file = read::read(bytes)?;
    check_read(file, ctx, progress)
}

/// Validates records already read (from a file of the standard, or turned into the standard's
/// fields from another schema, such as data·inclusion's).
pub fn check_read(
    file: read::SourceFile,
    ctx: &ValidationContext<'_>,
    progress: &dyn maillage_domain::progress::Progress,
) -> Result<Report, StandardError> {
    progress.check()?;
    let v1_ctx = ValidationContext {
        communes: ctx.communes,
        typologies: ctx.typologies,
        list_separator: '|',
    };
    // First, in order: mapping to v1, identifiers and duplicates (cheap, and order matters).
    let mut seen: HashMap<String, Position> = HashMap::new();
    let mut prepared = Vec::with_capacity(file.records.len());
    for record in &file.records {
        let mut pre_warnings = Vec::new();
        let mut pre_errors = Vec::new();
        let (raw, extras) = match file.version {
            Version::V1 => (
                to_raw_v1(record, &mut pre_warnings),
                DirectoryExtras::default(),
            ),
            Version::V0_1 => {
                let (raw, extras, errors) = legacy::to_v1(record);
                pre_errors.extend(errors);
                (raw, extras)
            }
        };
        let source_id = match raw.id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(id) => id.to_string(),
            None => {
                let id = derived_id(&raw);
                pre_warnings.push(FieldIssue {
                    field: "id".into(),
                    value: String::new(),
                    reason: format!("identifiant absent : identifiant stable « {id} » calculé depuis le nom et l'adresse"),
                });
                id
            }
        };
        if let Some(first) = seen.get(&source_id) {
            pre_errors.push(FieldIssue {
                field: "id".into(),
                value: source_id.clone(),
                reason: format!(
                    "identifiant déjà utilisé ({first}) : chaque lieu doit avoir le sien"
                ),
            });
        } else {
            seen.insert(source_id.clone(), record.position);
        }
        prepared.push(Prepared {
            position: record.position,
            raw,
            extras,
            source_id,
            pre_errors,
            pre_warnings,
        });
    }
    progress.check()?;
    progress.stage("Vérification des lignes", Some(prepared.len() as u64));
    // Then the validation proper, record by record on every core (results keep file order).
    let records: Vec<RecordReport> = prepared
        .into_par_iter()
        .map(|p| {
            progress.advance(1);
            let (place, validation) = p.raw.validate(&p.source_id, &v1_ctx);
            let mut errors = p.pre_errors;
            errors.extend(validation.errors);
            let mut warnings = p.pre_warnings;
            warnings.extend(validation.warnings);
            let extras = p.extras;
            let place = place.filter(|_| errors.is_empty()).map(|mut place| {
                place.extras = extras;
                place
            });
            RecordReport {
                position: p.position,
                source_id: p.source_id,
                place,
                errors,
                warnings,
            }
        })
        .collect();
    progress.check()?;
    Ok(Report {
        format: file.format,
        version: file.version,
        notes: file.notes,
        records,
    })
}
