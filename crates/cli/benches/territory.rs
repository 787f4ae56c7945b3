//! Coverage of the offer for every commune of France (issue #20): the communes' town halls and
//! populations from the contours built at set-up, the national demo directory (50,000 places
//! over all French communes), each kind of service of the standard as a kind of help, plus
//! « any help ». The same function the territory's pages will call.
//!
//! `cargo bench -p maillage --bench territory` — figures recorded in `docs/PERFORMANCE.md`.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use maillage_app::demo;
use maillage_domain::territory::{
    CommuneSite, DEFAULT_REACH_KM, Kinds, OfferSite, coverage, summarise,
};
use maillage_domain::vocab::{Service, Vocabulary};
use maillage_referential::Referential;
use maillage_referential::contours::Contours;

const ROUNDS: usize = 7;

fn main() -> Result<()> {
    let referential = Referential::discover().context("référentiel (scripts/setup.sh)")?;
    let contours = Contours::discover().context("contours (scripts/setup.sh)")?;
    let communes: Vec<CommuneSite> = contours
        .communes()
        .map(|(code, shape)| CommuneSite {
            insee_code: code.to_string(),
            at: shape.town_hall,
            population: shape.population,
        })
        .collect();
    let places = demo::generate(&referential, None, 50_000, 2026);
    let any = Service::ALL.len();
    let offers: Vec<OfferSite> = places
        .iter()
        .filter_map(|d| {
            let at = d.place.location?;
            let services = d
                .place
                .services
                .iter()
                .filter_map(|s| Service::ALL.iter().position(|x| x == s));
            Some(OfferSite {
                at,
                insee_code: d.place.insee_code.clone(),
                kinds: Kinds::of(services.chain([any])),
            })
        })
        .collect();
    let kinds = any + 1;
    let mut times = Vec::new();
    let mut result = Vec::new();
    for _ in 0..ROUNDS {
        let start = Instant::now();
        result = coverage(&communes, &offers, kinds, DEFAULT_REACH_KM);
        times.push(start.elapsed());
    }
    times.sort();
    let median: Duration = times[times.len() / 2];
    let summary = summarise(&result, kinds);
    println!(
        "couverture de {} communes par {} lieux, {} sortes d'aide, portée {} km : médiane {:.0} ms (min {:.0} ms, max {:.0} ms, {ROUNDS} passages)",
        communes.len(),
        offers.len(),
        kinds,
        DEFAULT_REACH_KM,
        median.as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3,
        times[times.len() - 1].as_secs_f64() * 1e3,
    );
    let all = summary[any];
    println!(
        "toute aide : {} communes avec un lieu, {} à portée, {} plus loin seulement, {} nulle part ; {} habitants hors de portée",
        all.communes_in,
        all.communes_within,
        all.communes_further,
        all.communes_nowhere,
        all.population_out_of_reach
    );
    Ok(())
}
