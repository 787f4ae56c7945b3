//! The CSV export of the resource library: one line per resource, vocabularies by their slug
//! (cells escaped against formulas by whoever writes them, `maillage_domain::spreadsheet::row`).

use maillage_domain::Vocabulary;
use maillage_domain::resources::Resource;

/// The columns of the CSV export of the library.
pub const HEADER: [&str; 14] = [
    "id",
    "titre",
    "resume",
    "type",
    "lien",
    "thematiques",
    "pratique",
    "niveaux",
    "public",
    "langue",
    "licence",
    "auteur",
    "date",
    "lien_mort",
];

/// One resource as a CSV record (lists joined by `|`).
pub fn record(r: &Resource, dead_link: bool) -> Vec<String> {
    let join = |v: Vec<&str>| v.join("|");
    vec![
        r.id.clone(),
        r.title.clone(),
        r.summary.clone(),
        r.kind.slug().into(),
        r.url.clone().unwrap_or_default(),
        join(r.themes.iter().map(|t| t.slug()).collect()),
        join(r.practice.iter().map(|t| t.slug()).collect()),
        join(r.levels.iter().map(|l| l.slug()).collect()),
        join(r.audiences.iter().map(|a| a.slug()).collect()),
        r.language.clone(),
        r.licence.clone(),
        r.author.clone(),
        r.date.map(|d| d.to_string()).unwrap_or_default(),
        if dead_link { "oui" } else { "non" }.into(),
    ]
}
