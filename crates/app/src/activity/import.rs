//! Import of past records from the template (CSV or XLSX): every row checked as the form
//! checks it, all or nothing, with a report naming line, column and reason.

use super::*;
use maillage_standard::activity::{Refused, form_of_row, read_import};

// ----- import of past records -----

/// A cell the import refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportProblem {
    /// Line of the file (the header is line 1).
    pub line: usize,
    pub column: String,
    pub value: String,
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    pub rows: usize,
    pub written: usize,
    pub problems: Vec<ImportProblem>,
}

impl App {
    /// Imports past records of a structure: every row is checked; with any problem nothing is
    /// written (unless `valid_only`, which writes the valid rows and reports the others).
    pub async fn import_activities(
        &self,
        actor: Option<&Actor>,
        organisation_id: &str,
        bytes: &[u8],
        file_name: &str,
        valid_only: bool,
    ) -> Result<ImportReport, AppError> {
        let actor_ref = actor.ok_or(AppError::SignInRequired)?;
        allow(authorize(
            actor,
            &Action::RecordActivity {
                organisation_id: organisation_id.to_string(),
            },
            today(),
        ))?;
        let rows = read_import(bytes, file_name)?;
        let mut report = ImportReport {
            rows: rows.len(),
            ..Default::default()
        };
        let mut valid: Vec<(Activity, Option<String>)> = Vec::new();
        for (line, cells) in &rows {
            let form = form_of_row(cells);
            match self.check_record(organisation_id, &form).await? {
                Ok((activity, _)) => {
                    let notes = cells
                        .get("notes")
                        .map(|n| n.trim().to_string())
                        .filter(|n| !n.is_empty());
                    valid.push((activity, notes));
                }
                Err(errors) => {
                    for (field, reason) in errors {
                        report.problems.push(ImportProblem {
                            line: *line,
                            column: field.to_string(),
                            value: cells.get(field).cloned().unwrap_or_default(),
                            reason,
                        });
                    }
                }
            }
        }
        if report.problems.is_empty() || valid_only {
            let records: Vec<NewActivity> = valid
                .iter()
                .map(|(a, notes)| NewActivity {
                    organisation_id,
                    helper_id: Some(&actor_ref.user_id),
                    activity: a,
                    notes: notes.as_deref(),
                })
                .collect();
            report.written = self.store.insert_activities(&records).await?.len();
        }
        Ok(report)
    }
}

impl From<Refused> for AppError {
    fn from(refused: Refused) -> Self {
        AppError::Invalid(refused.0)
    }
}
