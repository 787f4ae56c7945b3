//! The files of activity records: the import template (CSV or XLSX, with a sheet explaining
//! each column and the structure's places), the reader of a filled template — every row as the
//! record form, line numbers as the spreadsheet shows them, bounded in cells whatever the file
//! claims — and the lines of an export, which the same reader takes back.

use std::collections::{BTreeMap, HashMap, HashSet};

use maillage_domain::Vocabulary;
use maillage_domain::activity::{Activity, ActivityForm, AgeBracket, Gender, SocialStatus};

/// Why a file of records cannot be read at all, in French (line or file named).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

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

/// The rows of a file: line number (the header's is 1) and cells by column name.
pub type Rows = Vec<(usize, HashMap<String, String>)>;

/// The rows of a file as read: line number (the header's is 1) and cells by column.
pub(crate) type Sheet = Vec<(usize, BTreeMap<usize, String>)>;

/// A CSV (`,` or `;`, UTF-8) or XLSX file as rows of cells, line numbers as a spreadsheet shows
/// them, bounded in cells whatever the file claims. Shared by the readers of tables people fill
/// in a spreadsheet (activity records, communes' indicators).
pub(crate) fn read_sheet(bytes: &[u8], file_name: &str) -> Result<Sheet, Refused> {
    let lower = file_name.to_lowercase();
    let sheet = if lower.ends_with(".xlsx") || bytes.starts_with(b"PK\x03\x04") {
        read_xlsx(bytes, file_name)?
    } else {
        let text = std::str::from_utf8(bytes).map_err(|_| {
            Refused(format!(
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
            Refused(format!(
                "ligne {line} : plus de {MAX_COLUMNS} colonnes ou de 2 500 000 cellules dans le \
                 fichier ; importez-le en plusieurs fichiers"
            ))
        };
        for (i, record) in reader.records().enumerate() {
            let record =
                record.map_err(|e| Refused(format!("ligne {} : CSV illisible ({e})", i + 1)))?;
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
    Ok(sheet)
}

/// Reads a CSV (`,` or `;`) or XLSX file into rows keyed by column name.
pub fn read_import(bytes: &[u8], file_name: &str) -> Result<Rows, Refused> {
    let sheet = read_sheet(bytes, file_name)?;
    let mut lines = sheet.into_iter();
    let Some((_, header)) = lines.next() else {
        return Err(Refused(format!("« {file_name} » : fichier vide")));
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
        return Err(Refused(format!(
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
            return Err(Refused(format!(
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
fn read_xlsx(bytes: &[u8], file_name: &str) -> Result<Sheet, Refused> {
    use calamine::{Data, DataRef, DataType, Reader, XlsxError};
    let unreadable = |e: XlsxError| Refused(format!("« {file_name} » : feuille illisible ({e})"));
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec()))
            .map_err(|e| Refused(format!("« {file_name} » : classeur XLSX illisible ({e})")))?;
    let name = book
        .sheet_names()
        .first()
        .cloned()
        .ok_or_else(|| Refused(format!("« {file_name} » : aucune feuille")))?;
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
            return Err(Refused(format!(
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

/// The import template: a sheet to fill, a sheet explaining each column with the accepted
/// values, and the structure's places with their identifiers.
pub fn template_xlsx(places: &[(String, String)]) -> Result<Vec<u8>, Refused> {
    use maillage_domain::activity::{
        ActivityKind, Autonomy, Equipment, ProcedureOutcome, ProcedureTheme, Redirection, Venue,
    };
    use maillage_domain::vocab::MediationTheme;
    use rust_xlsxwriter::{Format, Workbook};
    let err = |e: rust_xlsxwriter::XlsxError| Refused(format!("écriture du XLSX : {e}"));
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

/// Columns an export adds before and after the template's (ignored when re-imported).
pub const EXPORT_ONLY_COLUMNS: [&str; 5] = [
    "id",
    "structure_id",
    "intervenant_id",
    "personnes_suivies",
    "accompagnements",
];

/// The header of an export of records.
pub fn export_header() -> Vec<&'static str> {
    EXPORT_ONLY_COLUMNS[..3]
        .iter()
        .copied()
        .chain(TEMPLATE_COLUMNS.iter().map(|(c, _)| *c))
        .chain(EXPORT_ONLY_COLUMNS[3..].iter().copied())
        .collect()
}

/// A record as a line of the export (labels of the vocabularies, lists joined by « ; »;
/// never the private notes nor who the followed persons are).
pub fn export_row(
    id: &str,
    organisation_id: &str,
    helper_id: Option<&str>,
    x: &Activity,
) -> Vec<String> {
    fn labels<V: Vocabulary>(v: &[V]) -> String {
        v.iter().map(|x| x.label()).collect::<Vec<_>>().join(" ; ")
    }
    fn counts<V: Vocabulary>(c: &maillage_domain::activity::Counts<V>, single: bool) -> String {
        c.0.iter()
            .map(|(v, n)| {
                if single {
                    v.label().to_string()
                } else {
                    format!("{}={n}", v.label())
                }
            })
            .collect::<Vec<_>>()
            .join(" ; ")
    }
    let single = x.kind != maillage_domain::activity::ActivityKind::Collective;
    let opt = |v: Option<&'static str>| v.unwrap_or_default().to_string();
    let row = vec![
        id.to_string(),
        organisation_id.to_string(),
        helper_id.unwrap_or_default().to_string(),
        x.kind.label().to_string(),
        x.date.to_string(),
        x.duration_minutes.to_string(),
        x.venue.label().to_string(),
        x.place_id.clone().unwrap_or_default(),
        x.insee_code.clone().unwrap_or_default(),
        labels(&x.themes),
        labels(&x.procedure_themes),
        x.procedure_name.clone().unwrap_or_default(),
        labels(&x.equipment),
        opt(x.autonomy.map(|v| v.label())),
        opt(x.outcome.map(|v| v.label())),
        opt(x.redirection.map(|v| v.label())),
        x.title.clone().unwrap_or_default(),
        opt(x.level.map(|v| v.label())),
        if single {
            String::new()
        } else {
            x.anonymous.total.to_string()
        },
        counts(&x.anonymous.ages, single),
        counts(&x.anonymous.genders, single),
        counts(&x.anonymous.statuses, single),
        x.anonymous.commune.clone().unwrap_or_default(),
        x.tags.join(" ; "),
        x.persons.len().to_string(),
        x.accompaniments().to_string(),
    ];
    // Every cell escaped against formulas (read back by `read_import`).
    row.into_iter()
        .map(|v| maillage_domain::spreadsheet::cell(&v).into_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workbook(cells: &[(u32, u16, &str)]) -> Vec<u8> {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for (row, col, value) in cells {
            sheet.write(*row, *col, *value).expect("cellule");
        }
        book.save_to_buffer().expect("classeur")
    }

    /// Found by fuzzing (`fuzz/fuzz_targets/activity_xlsx.rs`): two far-apart cells made
    /// calamine's range allocate every cell between them (512 GiB for `A1` and
    /// `XFD1048576`), which aborts the server, from a file of a few kilobytes.
    #[test]
    fn far_apart_cells_cost_the_size_of_the_file() {
        let bytes = workbook(&[
            (0, 0, "type"),
            (0, 1, "date"),
            (0, 2, "duree"),
            (0, 3, "lieu"),
            (1, 0, "Atelier collectif"),
            (1_048_575, 16_383, "loin"),
        ]);
        let rows = read_import(&bytes, "activites.xlsx").expect("lu");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].0, 2);
        assert_eq!(rows[0].1["type"], "Atelier collectif");
        assert_eq!(rows[0].1["lieu"], "");
        // The far cell is a row of its own, outside the template's columns (then refused by
        // the record's checks, with its line).
        assert_eq!(rows[1].0, 1_048_576);
        assert_eq!(rows[1].1["type"], "");
    }

    #[test]
    fn lines_and_columns_count_from_the_header_as_before() {
        // The header starts at C3: lines count from it, and a repeated name keeps its last
        // column (as a row read into a map always did).
        let bytes = workbook(&[
            (2, 2, "type"),
            (2, 3, "date"),
            (2, 4, "duree"),
            (2, 5, "lieu"),
            (2, 6, "type"),
            (4, 2, "ignoré"),
            (4, 6, "Aide aux démarches administratives"),
            (4, 4, "45"),
        ]);
        let rows = read_import(&bytes, "activites.xlsx").expect("lu");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].0, 3);
        assert_eq!(rows[0].1["type"], "Aide aux démarches administratives");
        assert_eq!(rows[0].1["duree"], "45");
        let csv =
            "type;date;duree;lieu;type\n;;;;\nignoré;2026-01-02;45;À distance;Atelier collectif\n";
        let rows = read_import(csv.as_bytes(), "activites.csv").expect("lu");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].0, 3);
        assert_eq!(rows[0].1["type"], "Atelier collectif");
        assert_eq!(rows[0].1["lieu"], "À distance");
    }

    /// A line of commas or a sheet of millions of cells, a few megabytes once compressed, is
    /// refused with its reason before it costs its size in memory.
    #[test]
    fn huge_sheets_are_refused_before_they_are_held() {
        let mut csv = String::from("type,date,duree,lieu\n");
        csv.push_str(&",".repeat(10_000));
        let Err(Refused(message)) = read_import(csv.as_bytes(), "activites.csv") else {
            panic!("ligne de 10 001 colonnes acceptée");
        };
        assert!(
            message.starts_with("ligne 2 : plus de 200 colonnes"),
            "{message}"
        );

        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for row in 0..2_600_000u32 / 20 {
            for col in 0..20u16 {
                sheet.write(row, col, 1).expect("cellule");
            }
        }
        let bytes = book.save_to_buffer().expect("classeur");
        let Err(Refused(message)) = read_import(&bytes, "activites.xlsx") else {
            panic!("2 600 000 cellules acceptées");
        };
        assert!(message.contains("plus de 2 500 000 cellules"), "{message}");
    }

    #[test]
    fn whole_numbers_stay_whole_and_big_ones_are_not_clamped() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for (col, name) in ["type", "date", "duree", "lieu"].iter().enumerate() {
            sheet.write(0, col as u16, *name).expect("en-tête");
        }
        sheet.write(1, 2, 45.0).expect("durée");
        sheet.write(1, 3, 1e20).expect("nombre");
        let bytes = book.save_to_buffer().expect("classeur");
        let rows = read_import(&bytes, "activites.xlsx").expect("lu");
        assert_eq!(rows[0].1["duree"], "45");
        assert_eq!(rows[0].1["lieu"], "100000000000000000000");
    }
}
