//! Typologies of structures (CCAS, ASSO, COMMUNE…): reference data of the standard, shipped as
//! the CSV published with it; the list grows, so it is data, not an enum.

use std::collections::BTreeMap;

use crate::place::TypologyCatalog;

const TYPOLOGIES_CSV: &str = include_str!("../data/typologies.csv");

/// The typology catalogue: code → French label.
#[derive(Debug, Clone)]
pub struct Typologies {
    labels: BTreeMap<String, String>,
}

impl Typologies {
    /// The catalogue published with the standard.
    pub fn standard() -> Self {
        let labels = TYPOLOGIES_CSV
            .lines()
            .skip(1)
            .filter_map(|line| {
                let (code, label) = line.split_once(',')?;
                Some((
                    code.trim().to_string(),
                    label.trim().trim_matches('"').to_string(),
                ))
            })
            .collect();
        Self { labels }
    }

    pub fn label(&self, code: &str) -> Option<&str> {
        self.labels.get(code).map(String::as_str)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.labels.iter().map(|(c, l)| (c.as_str(), l.as_str()))
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
}

impl TypologyCatalog for Typologies {
    fn is_known(&self, code: &str) -> bool {
        self.labels.contains_key(code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_catalogue_has_the_92_published_codes() {
        let t = Typologies::standard();
        assert_eq!(t.len(), 92);
        assert!(t.is_known("CCAS"));
        assert!(t.label("TIERS_LIEUX").is_some());
    }
}
