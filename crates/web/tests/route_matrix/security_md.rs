//! The same matrix in docs/SECURITY.md (`MAILLAGE_UPDATE_DOCS=1` rewrites it).

use super::*;

pub(super) const BEGIN: &str = "<!-- matrice : début (crates/web/tests/route_matrix/, MAILLAGE_UPDATE_DOCS=1 pour la réécrire) -->";

pub(super) const END: &str = "<!-- matrice : fin -->";

/// The matrix as Markdown, with the count of each outcome.
pub(super) fn markdown() -> String {
    let mut out = String::new();
    out.push_str(&format!("{BEGIN}\n\n| route | ce qui est envoyé |"));
    for caller in Caller::ALL {
        out.push_str(&format!(" {} |", caller.heading()));
    }
    out.push_str("\n|---|---|");
    out.push_str(&"---|".repeat(Caller::ALL.len()));
    out.push('\n');
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for row in ROWS {
        let sent = if row.2.is_empty() { "—" } else { row.2 };
        out.push_str(&format!("| `{} {}` | {sent} |", row.0, row.1));
        for code in expected(row) {
            *counts.entry(code).or_default() += 1;
            out.push_str(&format!(" {code} |"));
        }
        out.push('\n');
    }
    let routes = ROWS
        .iter()
        .map(|r| (r.0, r.1))
        .collect::<BTreeSet<_>>()
        .len();
    out.push_str(&format!(
        "\n{routes} routes, {} lignes, {} cases : {}.\n\n{END}",
        ROWS.len(),
        ROWS.len() * Caller::ALL.len(),
        OUTCOMES
            .iter()
            .filter_map(|o| counts.get(o).map(|n| format!("{o} {n}")))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    out
}

#[test]
fn the_matrix_is_the_one_of_security_md() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/SECURITY.md");
    let doc = std::fs::read_to_string(path).expect("docs/SECURITY.md");
    let table = markdown();
    let (Some(start), Some(end)) = (doc.find(BEGIN), doc.find(END)) else {
        panic!("docs/SECURITY.md : les repères de la matrice manquent ({BEGIN} … {END})");
    };
    let current = &doc[start..end + END.len()];
    if current == table {
        return;
    }
    if std::env::var("MAILLAGE_UPDATE_DOCS").is_ok_and(|v| v == "1") {
        let updated = format!("{}{table}{}", &doc[..start], &doc[end + END.len()..]);
        std::fs::write(path, updated).expect("écriture de docs/SECURITY.md");
        return;
    }
    panic!(
        "docs/SECURITY.md n'a pas la matrice de la table ROWS : lancez `MAILLAGE_UPDATE_DOCS=1 cargo test -p maillage-web --test web the_matrix` puis relisez le diff"
    );
}
