//! A report laid out as a PDF (issue #20's territorial diagnosis): a cover, then sections of
//! figures, paragraphs, an SVG image and tables, each table with its caption. The data are
//! prepared by the caller; this module only lays them out with the Typst template
//! `templates/report.typ`, in process with embedded fonts, like the booklet.

use serde::Serialize;

use crate::BookletError;

const TEMPLATE: &str = include_str!("../templates/report.typ");

/// A report.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub title: String,
    pub subtitle: String,
    /// « 04/12/2026 ».
    pub date: String,
    /// What the cover says under the title (sources, how to read).
    pub cover: Vec<String>,
    pub sections: Vec<Section>,
}

/// A section: its figures, paragraphs, image and tables, in that order.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Section {
    pub heading: String,
    pub figures: Vec<Figure>,
    pub paragraphs: Vec<String>,
    pub image: Option<Image>,
    pub tables: Vec<Table>,
}

/// A key figure.
#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    pub label: String,
    pub value: String,
}

/// An SVG drawing and its text alternative.
#[derive(Debug, Clone, Serialize)]
pub struct Image {
    pub svg: String,
    pub alt: String,
    /// The legend under it: (colour as `#rrggbb`, words).
    pub legend: Vec<(String, String)>,
}

/// A table with its caption.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Table {
    pub caption: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// A report as a PDF, and its pages.
pub fn render_report(report: &Report) -> Result<(Vec<u8>, usize), BookletError> {
    let json = serde_json::to_string(report).map_err(|e| BookletError::Layout(e.to_string()))?;
    crate::typeset(TEMPLATE, json, &maillage_domain::progress::Silent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_with_an_image_and_a_table_is_a_pdf() {
        let report = Report {
            title: "Diagnostic territorial".into(),
            subtitle: "Meurthe-et-Moselle (54)".into(),
            date: "04/12/2026".into(),
            cover: vec!["Sources : l'annuaire du réseau.".into()],
            sections: vec![Section {
                heading: "Couverture".into(),
                figures: vec![Figure {
                    label: "Communes".into(),
                    value: "591".into(),
                }],
                paragraphs: vec!["Un paragraphe.".into()],
                image: Some(Image {
                    svg: r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><path d="M0 0L10 0L10 10Z" fill="#00441b"/></svg>"##.into(),
                    alt: "Une carte".into(),
                    legend: vec![("#00441b".into(), "dans la commune".into())],
                }),
                tables: vec![Table {
                    caption: "Un tableau".into(),
                    header: vec!["Aide".into(), "Communes".into()],
                    rows: vec![vec!["Toute aide".into(), "126".into()]],
                }],
            }],
        };
        let (pdf, pages) = render_report(&report).expect("PDF");
        assert!(pdf.starts_with(b"%PDF"));
        assert!(pages >= 2, "couverture puis section : {pages}");
    }
}
