//! The printed booklet of a zone (communes, EPCI, départements, régions, or a list of them): which
//! places, under which title, then the PDF drawn by [`maillage_booklet`]. Shared by the page
//! (as a job with progress) and by `maillage booklet`.

use std::sync::Arc;

pub use crate::zone::{MAX_ZONE_INPUT, MAX_ZONE_ITEMS, ZonePlan, zone_codes};

use maillage_domain::Place;
use maillage_domain::progress::Progress;

use crate::{App, AppError, today};

/// A zone resolved against the official referential.
#[derive(Debug, Clone)]
pub struct BookletZone {
    /// « Meurthe-et-Moselle (54) · Toul (54528) ».
    pub label: String,
    pub places: Vec<Place>,
}

/// The booklet form: the zone as people type it (names or codes, separated by commas or
/// lines) and the cover's title (120 characters at most are kept).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct BookletForm {
    pub zone: String,
    #[serde(rename = "titre")]
    pub title: String,
}

/// A booklet is printed for a territory people can walk to: the whole country is refused.
fn for_booklet(plan: ZonePlan) -> Result<ZonePlan, AppError> {
    if plan.whole_country {
        return Err(AppError::TooLarge(
            "zone : un livret ne peut pas couvrir la France entière ; choisissez une région, des départements ou des communes".into(),
        ));
    }
    Ok(plan)
}

impl App {
    /// For the booklet page: the zone typed in the form checked against the referential, and
    /// whether the directory has any place there (from the search index), off the async
    /// threads.
    pub async fn plan_zone_input(&self, input: &str) -> Result<(ZonePlan, bool), AppError> {
        let app = self.clone();
        let input = input.to_string();
        tokio::task::spawn_blocking(move || {
            let codes = app.resolve_zone_input(&input)?;
            let plan = for_booklet(app.zone_plan(&codes)?)?;
            let index = app.index();
            let any = |q: maillage_search::SearchQuery| {
                index
                    .search_uncached(&maillage_search::SearchQuery { limit: 1, ..q })
                    .map(|r| r.total > 0)
            };
            let mut found = false;
            for d in &plan.departements {
                found = found
                    || any(maillage_search::SearchQuery {
                        departement: Some(d.clone()),
                        ..Default::default()
                    })?;
            }
            for e in &plan.epcis {
                found = found
                    || any(maillage_search::SearchQuery {
                        epci: Some(e.clone()),
                        ..Default::default()
                    })?;
            }
            for c in &plan.named_communes {
                found = found
                    || any(maillage_search::SearchQuery {
                        insee_code: Some(c.clone()),
                        ..Default::default()
                    })?;
            }
            Ok((plan, found))
        })
        .await
        .map_err(|e| AppError::Invalid(format!("zone interrompue : {e}")))?
    }

    /// The places of a planned zone, from the store.
    pub async fn zone_places(&self, plan: &ZonePlan) -> Result<BookletZone, AppError> {
        let places = self
            .store
            .all_places()
            .await?
            .into_iter()
            .map(|s| s.place)
            .filter(|p| {
                p.insee_code
                    .as_ref()
                    .is_some_and(|c| plan.communes.contains(c))
                    || p.departement()
                        .is_some_and(|d| plan.departements.contains(&d))
            })
            .collect();
        Ok(BookletZone {
            label: plan.label.clone(),
            places,
        })
    }

    /// The places of a zone given by its codes (the command line).
    pub async fn booklet_zone(&self, codes: &[String]) -> Result<BookletZone, AppError> {
        let plan = for_booklet(self.zone_plan(codes)?)?;
        self.zone_places(&plan).await
    }

    /// The booklet of a zone as PDF bytes (CPU work off the async threads). `progress` may
    /// interrupt it: then there is no PDF.
    pub async fn booklet_pdf(
        &self,
        zone: BookletZone,
        title: Option<&str>,
        progress: Arc<dyn Progress + Send>,
    ) -> Result<maillage_booklet::Booklet, AppError> {
        let title = title
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .unwrap_or(maillage_booklet::DEFAULT_TITLE)
            .chars()
            .take(120)
            .collect::<String>();
        let public_url = self.public_url.clone();
        let typologies = self.typologies.clone();
        tokio::task::spawn_blocking(move || {
            let label = |code: &str| typologies.label(code).map(str::to_string);
            let request = maillage_booklet::BookletRequest {
                title,
                zone: zone.label,
                edition: today(),
                public_url,
                places: &zone.places,
                typology_label: &label,
            };
            maillage_booklet::render_pdf(&request, progress.as_ref())
        })
        .await
        .map_err(|e| AppError::Invalid(format!("livret interrompu : {e}")))?
        .map_err(|e| AppError::Invalid(e.to_string()))
    }
}
