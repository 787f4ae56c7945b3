//! Import of past records from the template (CSV or XLSX): every row checked as the form
//! checks it, all or nothing, with a report naming line, column and reason.

use super::*;

// ----- import of past records -----

/// Columns of the import template, with what each accepts (the form's field names).
pub const TEMPLATE_COLUMNS: [(&str, &str); 21] = [
    (
        "type",
        "Accompagnement individuel, Atelier collectif ou Aide aux démarches administratives (obligatoire)",
    ),
    (
        "date",
        "2026-03-14 ou 14/03/2026 (obligatoire, pas dans le futur)",
    ),
    ("duree", "en minutes (45) ou en heures (1h30) (obligatoire)"),
    (
        "lieu",
        "Lieu d'activité, Au domicile de la personne, À distance ou Autre lieu (obligatoire)",
    ),
    (
        "lieu_id",
        "identifiant du lieu dans l'annuaire (onglet « lieux »), pour un lieu d'activité",
    ),
    (
        "commune",
        "commune où a eu lieu l'activité (nom, code postal ou code INSEE), pour un autre lieu",
    ),
    (
        "thematiques",
        "thématiques séparées par « ; » (vocabulaire national, onglet « aide »)",
    ),
    (
        "thematiques_demarche",
        "domaines de la démarche séparés par « ; » (obligatoire pour une démarche)",
    ),
    ("demarche", "nom de la démarche (« Demande de RSA »)"),
    (
        "materiel",
        "Ordinateur ; Téléphone ; Tablette ; Autre matériel ; Pas de matériel",
    ),
    (
        "autonomie",
        "Fait à la place de la personne, Fait avec la personne ou Fait par la personne, seule",
    ),
    (
        "finalisation",
        "pour une démarche : Démarche finalisée, À finaliser par la personne, seule, La personne doit revenir, Orientée vers une autre structure",
    ),
    (
        "orientation",
        "catégorie de la structure vers laquelle la personne a été orientée",
    ),
    ("titre", "titre de l'atelier (obligatoire pour un atelier)"),
    (
        "niveau",
        "Éloigné, Débutant, Intermédiaire, Avancé ou Autonome",
    ),
    (
        "participants",
        "nombre de participants d'un atelier (obligatoire pour un atelier)",
    ),
    (
        "tranche_age",
        "une tranche (individuel) ou « 60-69=4 ; 70-plus=2 » (atelier)",
    ),
    (
        "genre",
        "Femme ou Homme (individuel) ou « femme=5 ; homme=2 » (atelier)",
    ),
    (
        "statut_social",
        "Scolarisé(e), Sans emploi, En emploi, Retraité(e) (ou « retraite=4 » pour un atelier)",
    ),
    (
        "commune_residence",
        "commune de résidence de la personne (individuel)",
    ),
    ("etiquettes", "étiquettes libres séparées par « ; »"),
];

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

type Rows = Vec<(usize, HashMap<String, String>)>;

/// The rows of a file as read: line number (the header's is 1) and cells by column.
type Sheet = Vec<(usize, BTreeMap<usize, String>)>;

/// Reads a CSV (`,` or `;`) or XLSX file into rows keyed by column name.
pub fn read_import(bytes: &[u8], file_name: &str) -> Result<Rows, AppError> {
    let lower = file_name.to_lowercase();
    let sheet = if lower.ends_with(".xlsx") || bytes.starts_with(b"PK\x03\x04") {
        read_xlsx(bytes, file_name)?
    } else {
        let text = std::str::from_utf8(bytes).map_err(|_| {
            AppError::Invalid(format!(
                "« {file_name} » : le fichier n'est pas en UTF-8 (enregistrez-le en « CSV UTF-8 »)"
            ))
        })?;
        let text = text.trim_start_matches('\u{feff}');
        let first = text.lines().next().unwrap_or_default();
        let delimiter = if first.matches(';').count() > first.matches(',').count() {
            b';'
        } else {
            b','
        };
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut out = Vec::new();
        let mut cells = 0usize;
        let too_many = |line: usize| {
            AppError::Invalid(format!(
                "ligne {line} : plus de {MAX_COLUMNS} colonnes ou de 2 500 000 cellules dans le \
                 fichier ; importez-le en plusieurs fichiers"
            ))
        };
        for (i, record) in reader.records().enumerate() {
            let record = record
                .map_err(|e| AppError::Invalid(format!("ligne {} : CSV illisible ({e})", i + 1)))?;
            cells += record.len();
            if record.len() > MAX_COLUMNS || cells > MAX_CELLS {
                return Err(too_many(i + 1));
            }
            out.push((
                i + 1,
                record
                    .iter()
                    .map(|v| maillage_domain::spreadsheet::uncell(v).to_string())
                    .enumerate()
                    .collect(),
            ));
        }
        out
    };
    let mut lines = sheet.into_iter();
    let Some((_, header)) = lines.next() else {
        return Err(AppError::Invalid(format!("« {file_name} » : fichier vide")));
    };
    let header: BTreeMap<usize, String> = header
        .into_iter()
        .map(|(c, h)| (c, maillage_domain::text::fold(&h).replace([' ', '-'], "_")))
        .collect();
    let known: HashSet<&str> = TEMPLATE_COLUMNS
        .iter()
        .map(|(c, _)| *c)
        .chain(["notes"])
        .chain(EXPORT_ONLY_COLUMNS)
        .collect();
    let unknown: Vec<&String> = header
        .values()
        .filter(|h| !h.is_empty() && !known.contains(h.as_str()))
        .collect();
    if !unknown.is_empty() {
        return Err(AppError::Invalid(format!(
            "ligne 1 : colonne(s) inconnue(s) {} — utilisez le modèle (colonnes : {})",
            unknown
                .iter()
                .map(|u| format!("« {u} »"))
                .collect::<Vec<_>>()
                .join(", "),
            TEMPLATE_COLUMNS
                .iter()
                .map(|(c, _)| *c)
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    for required in ["type", "date", "duree", "lieu"] {
        if !header.values().any(|h| h == required) {
            return Err(AppError::Invalid(format!(
                "ligne 1 : la colonne « {required} » manque"
            )));
        }
    }
    // One column per name (the last one when a name is repeated): a row costs the template's
    // columns, whatever the width of the file.
    let mut columns: HashMap<&str, usize> = HashMap::new();
    for (c, h) in &header {
        if !h.is_empty() {
            columns.insert(h, *c);
        }
    }
    Ok(lines
        .filter(|(_, row)| row.values().any(|c| !c.trim().is_empty()))
        .map(|(line, row)| {
            let cells = columns
                .iter()
                .map(|(h, c)| (h.to_string(), row.get(c).cloned().unwrap_or_default()))
                .collect();
            (line, cells)
        })
        .collect())
}

/// Cells read from one file at most (with empty ones): 100,000 records of the template's
/// columns. A compressed sheet can name far more in a few megabytes, a CSV line of commas
/// millions.
const MAX_CELLS: usize = 2_500_000;

/// Columns of one CSV line at most (the template has 26 with the export's).
const MAX_COLUMNS: usize = 200;

/// The first sheet of a workbook, cell by cell: only the cells present are kept, so a file
/// naming far-apart cells (`A1` and `XFD1048576`) costs its size, never the rectangle between
/// them (calamine's `Range` allocates every cell of it).
fn read_xlsx(bytes: &[u8], file_name: &str) -> Result<Sheet, AppError> {
    use calamine::{Data, DataRef, DataType, Reader, XlsxError};
    let unreadable =
        |e: XlsxError| AppError::Invalid(format!("« {file_name} » : feuille illisible ({e})"));
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).map_err(|e| {
            AppError::Invalid(format!("« {file_name} » : classeur XLSX illisible ({e})"))
        })?;
    let name = book
        .sheet_names()
        .first()
        .cloned()
        .ok_or_else(|| AppError::Invalid(format!("« {file_name} » : aucune feuille")))?;
    let mut reader = match book.worksheet_cells_reader(&name) {
        Ok(reader) => reader,
        // A chart sheet first: no cells, as calamine's own ranges say.
        Err(XlsxError::NotAWorksheet(_)) => return Ok(Vec::new()),
        Err(e) => return Err(unreadable(e)),
    };
    let mut rows: BTreeMap<u32, BTreeMap<usize, String>> = BTreeMap::new();
    let mut count = 0usize;
    while let Some(cell) = reader.next_cell().map_err(unreadable)? {
        count += 1;
        if count > MAX_CELLS {
            return Err(AppError::Invalid(format!(
                "« {file_name} » : la feuille compte plus de 2 500 000 cellules ; importez-la en \
                 plusieurs fichiers"
            )));
        }
        let (row, col) = cell.get_position();
        let value = match cell.get_value() {
            DataRef::Empty => continue,
            v @ (DataRef::DateTime(_) | DataRef::DateTimeIso(_)) => v
                .as_datetime()
                .map(|d| d.date().to_string())
                .unwrap_or_else(|| Data::from(v.clone()).to_string()),
            // A whole number as such (a duration, a count); beyond 2^53 a float is not one.
            DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 => {
                format!("{f:.0}")
            }
            DataRef::String(text) => maillage_domain::spreadsheet::uncell(text).to_string(),
            DataRef::SharedString(text) => maillage_domain::spreadsheet::uncell(text).to_string(),
            other => Data::from(other.clone()).to_string(),
        };
        rows.entry(row).or_default().insert(col as usize, value);
    }
    // Lines count from the first row holding a cell (the header), as the template is read.
    let first = rows.keys().next().copied().unwrap_or_default();
    Ok(rows
        .into_iter()
        .map(|(row, cells)| ((row - first) as usize + 1, cells))
        .collect())
}

fn split_list(s: &str) -> Vec<String> {
    s.split(';')
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

/// A row of the template as a form.
pub fn form_of_row(cells: &HashMap<String, String>) -> ActivityForm {
    let get = |k: &str| cells.get(k).cloned().unwrap_or_default();
    ActivityForm {
        kind: get("type"),
        date: get("date"),
        duration: get("duree"),
        venue: get("lieu"),
        place_id: get("lieu_id"),
        insee_code: get("commune"),
        themes: split_list(&get("thematiques")),
        procedure_themes: split_list(&get("thematiques_demarche")),
        procedure_name: get("demarche"),
        equipment: split_list(&get("materiel")),
        autonomy: get("autonomie"),
        outcome: get("finalisation"),
        redirection: get("orientation"),
        title: get("titre"),
        level: get("niveau"),
        persons: Vec::new(),
        anonymous_total: get("participants"),
        ages: split_list(&get("tranche_age")),
        genders: split_list(&get("genre")),
        statuses: split_list(&get("statut_social")),
        residence: get("commune_residence"),
        tags: split_list(&get("etiquettes")),
    }
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

/// The import template: a sheet to fill, a sheet explaining each column with the accepted
/// values, and the structure's places with their identifiers.
pub fn template_xlsx(places: &[(String, String)]) -> Result<Vec<u8>, AppError> {
    use maillage_domain::activity::{
        ActivityKind, Autonomy, Equipment, ProcedureOutcome, ProcedureTheme, Redirection, Venue,
    };
    use maillage_domain::vocab::MediationTheme;
    use rust_xlsxwriter::{Format, Workbook};
    let err = |e: rust_xlsxwriter::XlsxError| AppError::Invalid(format!("écriture du XLSX : {e}"));
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let sheet = book.add_worksheet();
    sheet.set_name("activites").map_err(err)?;
    for (c, (name, _)) in TEMPLATE_COLUMNS.iter().enumerate() {
        sheet
            .write_with_format(0, c as u16, *name, &bold)
            .map_err(err)?;
        sheet.set_column_width(c as u16, 18).map_err(err)?;
    }
    sheet
        .write_with_format(0, TEMPLATE_COLUMNS.len() as u16, "notes", &bold)
        .map_err(err)?;
    let help = book.add_worksheet();
    help.set_name("aide").map_err(err)?;
    help.write_with_format(0, 0, "Colonne", &bold)
        .map_err(err)?;
    help.write_with_format(0, 1, "Ce qu'elle accepte", &bold)
        .map_err(err)?;
    let mut row = 1u32;
    for (name, what) in TEMPLATE_COLUMNS {
        help.write(row, 0, name).map_err(err)?;
        help.write(row, 1, what).map_err(err)?;
        row += 1;
    }
    help.write(row, 0, "notes").map_err(err)?;
    help.write(
        row,
        1,
        "notes privées (vues par vous seul·e, jamais exportées)",
    )
    .map_err(err)?;
    row += 2;
    fn values<V: Vocabulary>() -> String {
        V::ALL
            .iter()
            .map(|v| v.label())
            .collect::<Vec<_>>()
            .join(" ; ")
    }
    for (name, list) in [
        ("type", values::<ActivityKind>()),
        ("lieu", values::<Venue>()),
        ("thematiques", values::<MediationTheme>()),
        ("thematiques_demarche", values::<ProcedureTheme>()),
        ("materiel", values::<Equipment>()),
        ("autonomie", values::<Autonomy>()),
        ("finalisation", values::<ProcedureOutcome>()),
        ("orientation", values::<Redirection>()),
        ("tranche_age", values::<AgeBracket>()),
        ("genre", values::<Gender>()),
        ("statut_social", values::<SocialStatus>()),
    ] {
        help.write_with_format(row, 0, name, &bold).map_err(err)?;
        help.write(row, 1, list).map_err(err)?;
        row += 1;
    }
    help.set_column_width(0, 22).map_err(err)?;
    help.set_column_width(1, 120).map_err(err)?;
    let sheet = book.add_worksheet();
    sheet.set_name("lieux").map_err(err)?;
    sheet
        .write_with_format(0, 0, "lieu_id", &bold)
        .map_err(err)?;
    sheet.write_with_format(0, 1, "Nom", &bold).map_err(err)?;
    for (i, (id, name)) in places.iter().enumerate() {
        sheet.write(1 + i as u32, 0, id).map_err(err)?;
        sheet.write(1 + i as u32, 1, name).map_err(err)?;
    }
    sheet.set_column_width(0, 36).map_err(err)?;
    sheet.set_column_width(1, 60).map_err(err)?;
    book.save_to_buffer().map_err(err)
}

/// The CSV template: the header line (UTF-8 with BOM, `;`, as spreadsheets expect in France).
pub fn template_csv() -> Vec<u8> {
    let mut out = "\u{feff}".as_bytes().to_vec();
    let header: Vec<&str> = TEMPLATE_COLUMNS
        .iter()
        .map(|(c, _)| *c)
        .chain(["notes"])
        .collect();
    out.extend_from_slice(header.join(";").as_bytes());
    out.extend_from_slice(b"\r\n");
    out
}
