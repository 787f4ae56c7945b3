//! The CSV export of the watch on public platforms: one line per news item (cells escaped
//! against formulas by whoever writes them, `maillage_domain::spreadsheet::row`).

use maillage_domain::Vocabulary;
use maillage_domain::watch::NewsItem;

/// The columns of the CSV export of the watch.
pub const HEADER: [&str; 11] = [
    "id",
    "publiee_le",
    "titre",
    "plateformes",
    "demarches",
    "urgent",
    "ce_qui_change",
    "pour_qui",
    "quoi_dire",
    "liens",
    "date_effet",
];

/// One news item as a line (lists joined by `|`, platforms by their slug).
pub fn record(item: &NewsItem) -> Vec<String> {
    vec![
        item.id.clone(),
        item.published_at.clone(),
        item.title.clone(),
        item.platforms
            .iter()
            .map(|p| p.slug())
            .collect::<Vec<_>>()
            .join("|"),
        item.procedures.join("|"),
        if item.urgent { "oui" } else { "non" }.into(),
        item.what_changed.clone(),
        item.who.clone(),
        item.what_to_say.clone(),
        item.links.join("|"),
        item.effective.map(|d| d.to_string()).unwrap_or_default(),
    ]
}
