//! Needs against offer (issue #20): seed 004's segments applied to each commune's people aged
//! 15 and over give the people to help; the activity records of the last twelve months give
//! the people helped where the offer is; the share of needs met, per intercommunality and per
//! commune, ranked so that the coordinator sees where to open a permanence or send an
//! itinerant service.

use std::collections::HashMap;

use maillage_domain::territory::{NEED_SEGMENTS, SHARE_15_PLUS, needs};
use serde::Serialize;
use utoipa::ToSchema;

use super::fragility::FragilityTable;
use super::{CommuneAccess, share};

/// Rows of the rankings, at most.
pub const RANKED: usize = 30;

/// One segment's estimate.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = SegmentBesoin)]
pub struct Segment {
    #[serde(rename = "segment")]
    pub slug: &'static str,
    #[serde(rename = "libelle")]
    pub label: &'static str,
    #[serde(rename = "part")]
    pub percent: f64,
    #[serde(rename = "personnes")]
    pub people: u64,
}

/// Needs against offer in a part of the zone (an intercommunality or a commune).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = BesoinsOffre)]
pub struct NeedRow {
    pub code: String,
    #[serde(rename = "nom")]
    pub name: String,
    #[serde(rename = "population_15_ans_et_plus")]
    pub population_15_plus: u64,
    /// People to help (assistance, training, occasional help).
    #[serde(rename = "a_accompagner")]
    pub to_help: u64,
    /// Accompaniments recorded these twelve months in its communes.
    #[serde(rename = "accompagnements")]
    pub helped: u64,
    /// `accompagnements` per 100 people to help.
    #[serde(rename = "pour_100_a_accompagner")]
    pub per_100: f64,
    /// Seats of the workshops of the calendar in its communes, sessions of the last twelve
    /// months and to come.
    #[serde(rename = "places_ateliers")]
    pub seats: u64,
}

/// The zone's needs against its offer.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
#[schema(as = Besoins)]
pub struct NeedsView {
    #[serde(rename = "population_15_ans_et_plus")]
    pub population_15_plus: u64,
    /// Communes whose people aged 15 and over were imported (the others: 83 % of the
    /// population).
    #[serde(rename = "communes_avec_age")]
    pub communes_with_ages: usize,
    pub segments: Vec<Segment>,
    #[serde(rename = "a_accompagner")]
    pub to_help: u64,
    /// Accompaniments recorded these twelve months in the zone's communes (a person who comes
    /// back counts each time, as the national reporting counts).
    #[serde(rename = "accompagnements")]
    pub helped: u64,
    #[serde(rename = "pour_100_a_accompagner")]
    pub per_100: f64,
    /// Seats of the workshops of the calendar in the zone's communes, sessions of the last
    /// twelve months and to come (a series counts its seats once).
    #[serde(rename = "places_ateliers")]
    pub seats: u64,
    /// Intercommunalities of the zone, the least served first.
    #[serde(rename = "intercommunalites")]
    pub epcis: Vec<NeedRow>,
    /// Communes of the zone with people to help and no accompaniment recorded, the most
    /// populated first.
    #[serde(rename = "communes_sans_accompagnement")]
    pub communes_without: Vec<NeedRow>,
}

/// `helped` per 100 people to help, one decimal.
fn per_100(helped: u64, to_help: u64) -> f64 {
    share(helped, to_help)
}

/// The needs of the zone's communes against the accompaniments recorded in each
/// (`helped_in`: by INSEE code of the commune where people were helped).
pub fn needs_view(
    communes: &[CommuneAccess],
    epci_of: &dyn Fn(&str) -> Option<(String, String)>,
    fragility: &FragilityTable,
    helped_in: &HashMap<String, u64>,
    seats_in: &HashMap<String, u64>,
) -> NeedsView {
    let mut total_15 = 0u64;
    let mut with_ages = 0usize;
    let mut by_epci: HashMap<String, NeedRow> = HashMap::new();
    let mut rows = Vec::new();
    for c in communes {
        let p15 = match fragility.population_15_plus(&c.code_insee) {
            Some(p) => {
                with_ages += 1;
                u64::from(p)
            }
            None => (f64::from(c.population) * SHARE_15_PLUS / 100.0).round() as u64,
        };
        let to_help: u64 = needs(p15).iter().sum();
        let helped = helped_in.get(&c.code_insee).copied().unwrap_or(0);
        let seats = seats_in.get(&c.code_insee).copied().unwrap_or(0);
        total_15 += p15;
        if let Some((code, name)) = epci_of(&c.code_insee) {
            let row = by_epci.entry(code.clone()).or_insert_with(|| NeedRow {
                code,
                name,
                population_15_plus: 0,
                to_help: 0,
                helped: 0,
                per_100: 0.0,
                seats: 0,
            });
            row.population_15_plus += p15;
            row.to_help += to_help;
            row.helped += helped;
            row.seats += seats;
        }
        rows.push(NeedRow {
            code: c.code_insee.clone(),
            name: c.name.clone(),
            population_15_plus: p15,
            to_help,
            helped,
            per_100: per_100(helped, to_help),
            seats,
        });
    }
    let mut epcis: Vec<NeedRow> = by_epci
        .into_values()
        .map(|mut r| {
            r.per_100 = per_100(r.helped, r.to_help);
            r
        })
        .collect();
    epcis.sort_by(|a, b| {
        a.per_100
            .total_cmp(&b.per_100)
            .then(b.to_help.cmp(&a.to_help))
            .then(a.code.cmp(&b.code))
    });
    let mut communes_without: Vec<NeedRow> = rows
        .into_iter()
        .filter(|r| r.helped == 0 && r.to_help > 0)
        .collect();
    communes_without.sort_by(|a, b| b.to_help.cmp(&a.to_help).then(a.code.cmp(&b.code)));
    communes_without.truncate(RANKED);
    let segments: Vec<Segment> = NEED_SEGMENTS
        .iter()
        .zip(needs(total_15))
        .map(|(&(slug, label, percent), people)| Segment {
            slug,
            label,
            percent,
            people,
        })
        .collect();
    let to_help: u64 = segments.iter().map(|s| s.people).sum();
    let helped: u64 = communes
        .iter()
        .map(|c| helped_in.get(&c.code_insee).copied().unwrap_or(0))
        .sum();
    let seats: u64 = communes
        .iter()
        .map(|c| seats_in.get(&c.code_insee).copied().unwrap_or(0))
        .sum();
    NeedsView {
        seats,
        population_15_plus: total_15,
        communes_with_ages: with_ages,
        segments,
        to_help,
        helped,
        per_100: per_100(helped, to_help),
        epcis,
        communes_without,
    }
}
