//! Quality of the directory of a territory: freshness and completeness of the pages, by the
//! domain's definitions ([`maillage_domain::freshness`]), for the coordinator's page and the API.

use maillage_domain::freshness::{
    Completeness, Freshness, INCOMPLETE_BELOW, QualitySummary, completeness, freshness, summary,
};
use maillage_domain::policy::{Action, Actor, authorize};
use maillage_store::StoredPlace;

use crate::{App, AppError, allow, location_of, today};

/// A page that needs attention, and why.
#[derive(Debug, Clone)]
pub struct PlaceQuality {
    pub place: StoredPlace,
    pub freshness: Freshness,
    pub completeness: Completeness,
    pub invalid_hours: bool,
}

/// The quality report of the places an actor coordinates.
#[derive(Debug, Clone, Default)]
pub struct QualityReport {
    pub summary: QualitySummary,
    /// Pages to check first: stale, invalid hours or incomplete; oldest first.
    pub to_check: Vec<PlaceQuality>,
    /// Places whose referent was asked by a campaign and never answered.
    pub never_answered: Vec<StoredPlace>,
}

impl App {
    pub async fn quality_report(&self, actor: Option<&Actor>) -> Result<QualityReport, AppError> {
        allow(authorize(actor, &Action::ReviewQuality, today()))?;
        let today = today();
        let places: Vec<StoredPlace> = self
            .store
            .all_places()
            .await?
            .into_iter()
            .filter(|s| {
                // Places of the actor's territory (every place for an administrator).
                actor.is_some_and(|a| {
                    a.administrator
                        || a.coordinates(&location_of(&s.place, s.organisation_id.as_deref()))
                })
            })
            .collect();
        let summary = summary(places.iter().map(|s| &s.place), today);
        let mut to_check: Vec<PlaceQuality> = places
            .into_iter()
            .map(|s| PlaceQuality {
                freshness: freshness(s.place.updated_on, today),
                completeness: completeness(&s.place),
                invalid_hours: s.place.opening_hours.is_some() && !s.place.opening_hours_valid,
                place: s,
            })
            .filter(|q| {
                q.freshness == Freshness::Stale
                    || q.invalid_hours
                    || q.completeness.score < INCOMPLETE_BELOW
            })
            .collect();
        to_check.sort_by(|a, b| {
            a.place
                .place
                .updated_on
                .cmp(&b.place.place.updated_on)
                .then(a.completeness.score.cmp(&b.completeness.score))
        });
        let mut never_answered = self
            .never_answered_places(actor, chrono::Utc::now())
            .await?;
        never_answered.sort_by(|a, b| a.place.name.cmp(&b.place.name));
        Ok(QualityReport {
            summary,
            to_check,
            never_answered,
        })
    }
}
