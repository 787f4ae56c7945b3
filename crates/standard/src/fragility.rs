//! The file of communes' indicators (issue #20): one row per commune (INSEE code), any subset
//! of the columns of [`maillage_domain::fragility::Indicator`] and the population aged 15 and
//! over, as CSV (`,` or `;`, UTF-8) or XLSX. Every problem is named with its line, column,
//! value and reason; the caller imports all or nothing.

use std::collections::{BTreeMap, HashMap};

use maillage_domain::fragility::{CommuneIndicators, Indicator, POPULATION_15_PLUS, parse_percent};

use crate::activity::{Refused, read_sheet};

/// Communes in one file at most (France has about 35,000).
pub const MAX_ROWS: usize = 40_000;

/// Names of the commune's column (folded).
const CODE_COLUMNS: [&str; 6] = [
    "code_insee",
    "codgeo",
    "code_commune",
    "insee",
    "code_geo",
    "code_commune_insee",
];

/// A problem of one cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellError {
    pub line: usize,
    pub column: String,
    pub value: String,
    pub reason: String,
}

impl std::fmt::Display for CellError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ligne {}, colonne « {} » : {}",
            self.line, self.column, self.reason
        )
    }
}

/// A file read: its communes (with their line), the indicators it gives, notes about it, and
/// the problems of its cells.
#[derive(Debug, Clone, Default)]
pub struct IndicatorsFile {
    pub communes: Vec<(usize, CommuneIndicators)>,
    pub indicators: Vec<Indicator>,
    pub has_population: bool,
    /// Columns not used, and codes repaired (« 1001 » read as « 01001 »).
    pub notes: Vec<String>,
    pub errors: Vec<CellError>,
}

fn fold(header: &str) -> String {
    maillage_domain::text::fold(header).replace([' ', '-', '\''], "_")
}

/// Reads the file. `Err` when it cannot be read as a table of communes at all.
pub fn read_indicators(bytes: &[u8], file_name: &str) -> Result<IndicatorsFile, Refused> {
    let sheet = read_sheet(bytes, file_name)?;
    let mut lines = sheet.into_iter();
    let Some((_, header)) = lines.next() else {
        return Err(Refused(format!("« {file_name} » : fichier vide")));
    };
    let mut code_column = None;
    let mut population_column = None;
    let mut columns: Vec<(usize, Indicator)> = Vec::new();
    let mut ignored = Vec::new();
    for (c, h) in &header {
        let name = fold(h);
        if name.is_empty() {
            continue;
        }
        if CODE_COLUMNS.contains(&name.as_str()) {
            code_column = Some(*c);
        } else if name == POPULATION_15_PLUS || name == "population_15_ans_plus" {
            population_column = Some(*c);
        } else if let Some(i) = Indicator::of_column(&name) {
            if !columns.iter().any(|(_, x)| *x == i) {
                columns.push((*c, i));
            }
        } else {
            ignored.push(h.chars().take(60).collect::<String>());
        }
    }
    let Some(code_column) = code_column else {
        return Err(Refused(
            "ligne 1 : la colonne « code_insee » (code INSEE de la commune) manque".into(),
        ));
    };
    if columns.is_empty() && population_column.is_none() {
        return Err(Refused(format!(
            "ligne 1 : aucune colonne d'indicateur reconnue ; colonnes possibles : {}, {POPULATION_15_PLUS}",
            Indicator::ALL
                .iter()
                .map(|i| i.column())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let mut out = IndicatorsFile {
        indicators: columns.iter().map(|(_, i)| *i).collect(),
        has_population: population_column.is_some(),
        ..Default::default()
    };
    if !ignored.is_empty() {
        out.notes.push(format!(
            "colonne(s) non utilisée(s) : {}",
            ignored
                .iter()
                .map(|c| format!("« {c} »"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut repaired = 0usize;
    let header_name = |c: usize| header.get(&c).cloned().unwrap_or_default();
    for (line, row) in lines {
        if row.values().all(|v| v.trim().is_empty()) {
            continue;
        }
        if out.communes.len() >= MAX_ROWS {
            return Err(Refused(format!(
                "ligne {line} : plus de {MAX_ROWS} communes dans le fichier"
            )));
        }
        let error = |column: usize, value: &str, reason: String| CellError {
            line,
            column: header_name(column),
            value: value.chars().take(60).collect(),
            reason,
        };
        let raw = row.get(&code_column).map(|v| v.trim()).unwrap_or_default();
        // A spreadsheet drops the leading zero of « 01001 ».
        let padded = if raw.len() == 4 && raw.chars().all(|c| c.is_ascii_digit()) {
            repaired += 1;
            format!("0{raw}")
        } else {
            raw.to_string()
        };
        let code = match maillage_domain::fields::insee_code(&padded) {
            Ok(code) => code,
            Err(reason) => {
                out.errors.push(error(
                    code_column,
                    raw,
                    if raw.is_empty() {
                        "code INSEE manquant".into()
                    } else {
                        reason
                    },
                ));
                continue;
            }
        };
        if let Some(first) = seen.insert(code.clone(), line) {
            out.errors.push(error(
                code_column,
                raw,
                format!("commune {code} déjà donnée ligne {first}"),
            ));
            continue;
        }
        let mut values = BTreeMap::new();
        for (c, indicator) in &columns {
            let cell = row.get(c).map(String::as_str).unwrap_or_default();
            match parse_percent(cell) {
                Ok(Some(v)) => {
                    values.insert(indicator.column().to_string(), v);
                }
                Ok(None) => {}
                Err(reason) => out.errors.push(error(*c, cell, reason)),
            }
        }
        let population_15_plus = match population_column {
            None => None,
            Some(c) => {
                let cell = row.get(&c).map(|v| v.trim()).unwrap_or_default();
                let digits: String = cell
                    .chars()
                    .filter(|ch| !matches!(ch, ' ' | '\u{a0}' | '\u{202f}'))
                    .collect();
                if digits.is_empty() {
                    None
                } else {
                    match digits.parse::<u32>() {
                        Ok(n) => Some(n),
                        Err(_) => {
                            out.errors.push(error(
                                c,
                                cell,
                                "un nombre entier de personnes est attendu".into(),
                            ));
                            None
                        }
                    }
                }
            }
        };
        out.communes.push((
            line,
            CommuneIndicators {
                insee_code: code,
                values,
                population_15_plus,
            },
        ));
    }
    if repaired > 0 {
        out.notes.push(format!(
            "{repaired} code(s) INSEE à 4 chiffres lus avec leur zéro initial (« 1001 » → « 01001 »)"
        ));
    }
    if out.communes.is_empty() && out.errors.is_empty() {
        return Err(Refused(format!("« {file_name} » : aucune commune")));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_file_as_people_write_it() {
        let csv = "Code INSEE;Taux de pauvreté;part_65_ans_et_plus;Population 15 ans et plus;Commentaire\n\
                   54395;22,4;19,8;90 000;grande ville\n\
                   1001;8.1 %;NA;650;\n\
                   ;;;;\n";
        let f = read_indicators(csv.as_bytes(), "indicateurs.csv").expect("lisible");
        assert!(f.errors.is_empty(), "{:?}", f.errors);
        assert_eq!(f.indicators, [Indicator::Poverty, Indicator::Aged65]);
        assert_eq!(f.communes.len(), 2);
        let (line, nancy) = &f.communes[0];
        assert_eq!(*line, 2);
        assert_eq!(nancy.get(Indicator::Poverty), Some(22.4));
        assert_eq!(nancy.population_15_plus, Some(90_000));
        let (_, ain) = &f.communes[1];
        assert_eq!(ain.insee_code, "01001");
        assert_eq!(ain.get(Indicator::Aged65), None);
        assert!(
            f.notes.iter().any(|n| n.contains("« Commentaire »")),
            "{:?}",
            f.notes
        );
        assert!(f.notes.iter().any(|n| n.contains("01001")), "{:?}", f.notes);
    }

    #[test]
    fn every_problem_is_named_with_line_column_and_reason() {
        let csv = "code_insee,taux_pauvrete,population_15_ans_et_plus\n\
                   54395,douze,100\n\
                   99,10,100\n\
                   54395,10,beaucoup\n\
                   54528,140,10\n";
        let f = read_indicators(csv.as_bytes(), "x.csv").expect("lisible");
        let said: Vec<String> = f.errors.iter().map(ToString::to_string).collect();
        assert_eq!(said.len(), 4, "{said:#?}");
        assert!(
            said[0]
                .starts_with("ligne 2, colonne « taux_pauvrete » : « douze » n'est pas un nombre"),
            "{said:#?}"
        );
        assert!(
            said[1].starts_with("ligne 3, colonne « code_insee »"),
            "{said:#?}"
        );
        assert_eq!(
            said[2],
            "ligne 4, colonne « code_insee » : commune 54395 déjà donnée ligne 2"
        );
        assert!(
            said[3].starts_with("ligne 5, colonne « taux_pauvrete » : 140"),
            "{said:#?}"
        );
        let refused =
            read_indicators(b"nom,taux_pauvrete\nNancy,3\n", "x.csv").expect_err("sans code");
        assert!(refused.0.contains("code_insee"), "{refused}");
        let refused = read_indicators(b"code_insee,nom\n54395,Nancy\n", "x.csv")
            .expect_err("sans indicateur");
        assert!(
            refused.0.contains("aucune colonne d'indicateur"),
            "{refused}"
        );
    }

    proptest! {
        #[test]
        fn any_text_is_read_or_refused_never_a_panic(text in ".{0,400}") {
            let file = format!("code_insee;taux_pauvrete\n{text}");
            let _ = read_indicators(file.as_bytes(), "x.csv");
            let _ = read_indicators(text.as_bytes(), "x.csv");
        }
    }
}
