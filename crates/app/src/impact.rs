//! Impact and the territory's offer (issue #7): the before/after survey (a structure's link
//! for people answering alone, the helper typing in paper answers), the impact page's tables
//! (survey, progression from diagnostics, seed 003's typology) and seed 004's inventory of the
//! offer, for the same scopes and periods as the statistics.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;
use maillage_domain::activity::ActivityKind;
use maillage_domain::impact::{ImpactTable, PersonPath, SurveyForm, path_tables, survey_tables};
use maillage_domain::indicators::Filter;
use maillage_domain::indicators::SharePurpose;
use maillage_domain::offer::{InventoryRow, Offer, OrganisationOffer, declared, inventory};
use maillage_domain::policy::{Action, Actor, authorize};
use maillage_domain::{Vocabulary, activity};

use crate::activity::Scope;
use crate::{App, AppError, allow, today};

/// The impact of a scope over a period.
#[derive(Debug, Clone)]
pub struct Impact {
    pub answers: usize,
    pub tables: Vec<ImpactTable>,
}

/// The offer inventory of a scope.
#[derive(Debug, Clone)]
pub struct Inventory {
    pub organisations: u64,
    pub rows: Vec<InventoryRow>,
}

fn period(filter: &Filter) -> (String, String) {
    (
        filter
            .from
            .map(|d| d.to_string())
            .unwrap_or_else(|| "0000-01-01".into()),
        filter
            .to
            .map(|d| d.to_string())
            .unwrap_or_else(|| "9999-12-31".into()),
    )
}

impl App {
    /// An answer typed by the person through the structure's link.
    pub async fn answer_survey(
        &self,
        token: &str,
        form: &SurveyForm,
    ) -> Result<Result<(), Vec<(&'static str, String)>>, AppError> {
        let org = self
            .store
            .share_link(token, SharePurpose::Survey.as_str())
            .await?
            .ok_or(AppError::NotFound)?;
        match form.validate() {
            Ok(a) => {
                self.store.insert_survey(&org, "seul", &a).await?;
                Ok(Ok(()))
            }
            Err(e) => Ok(Err(e)),
        }
    }

    /// The structure a survey link belongs to (its name is shown on the form).
    pub async fn survey_organisation(&self, token: &str) -> Result<String, AppError> {
        let org = self
            .store
            .share_link(token, SharePurpose::Survey.as_str())
            .await?
            .ok_or(AppError::NotFound)?;
        Ok(self
            .store
            .organisation(&org)
            .await?
            .map(|o| o.name)
            .unwrap_or_default())
    }

    /// A paper answer typed in by a member of the structure.
    pub async fn record_survey(
        &self,
        actor: Option<&Actor>,
        organisation_id: &str,
        form: &SurveyForm,
    ) -> Result<Result<(), Vec<(&'static str, String)>>, AppError> {
        allow(authorize(
            actor,
            &Action::RecordActivity {
                organisation_id: organisation_id.to_string(),
            },
            today(),
        ))?;
        match form.validate() {
            Ok(a) => {
                self.store
                    .insert_survey(organisation_id, "saisi", &a)
                    .await?;
                Ok(Ok(()))
            }
            Err(e) => Ok(Err(e)),
        }
    }

    /// Survey, progression and typology for a scope and period.
    pub async fn impact(
        &self,
        actor: Option<&Actor>,
        scope: &Scope,
        filter: Filter,
    ) -> Result<Impact, AppError> {
        let filter = self.scoped_filter(actor, scope, filter).await?;
        let (from, to) = period(&filter);
        let answers = self
            .store
            .surveys_of(&filter.organisations, &from, &to)
            .await?;
        let mut tables = survey_tables(&answers);
        let in_period =
            |d: NaiveDate| filter.from.is_none_or(|f| d >= f) && filter.to.is_none_or(|t| d <= t);
        let profiles: HashMap<String, activity::Profile> =
            self.store.person_profiles().await?.into_iter().collect();
        let mut paths: HashMap<String, PersonPath> = HashMap::new();
        for (person, day, kind) in self
            .store
            .person_activity_days(&filter.organisations)
            .await?
        {
            let Some(day) = activity::parse_date(&day) else {
                continue;
            };
            paths.entry(person).or_default().activities.push((
                day,
                ActivityKind::from_slug(&kind) == Some(ActivityKind::Procedure),
            ));
        }
        for org in &filter.organisations {
            for d in self
                .store
                .diagnostics_of_organisation(org, 1_000_000)
                .await?
            {
                let (Some(person), Some(day)) = (
                    d.person_id.clone(),
                    d.created_at.get(..10).and_then(activity::parse_date),
                ) else {
                    continue;
                };
                paths
                    .entry(person)
                    .or_default()
                    .diagnostics
                    .push((day, d.assessment));
            }
        }
        // Persons seen in the period (a record or a diagnostic), with what came before.
        let mut kept = Vec::new();
        for (person, mut path) in paths {
            let seen = path.activities.iter().any(|(d, _)| in_period(*d))
                || path.diagnostics.iter().any(|(d, _)| in_period(*d));
            if !seen {
                continue;
            }
            path.diagnostics
                .retain(|(d, _)| filter.to.is_none_or(|t| *d <= t));
            path.diagnostics.sort_by_key(|(d, _)| *d);
            path.activities.sort();
            path.profile = profiles.get(&person).cloned().unwrap_or_default();
            kept.push(path);
        }
        tables.extend(path_tables(&kept));
        Ok(Impact {
            answers: answers.len(),
            tables,
        })
    }

    /// Seed 004's inventory: what the structures of the scope offer (directory) and practise
    /// (records, diagnostics, referrals, workshops in the period).
    pub async fn offer_inventory(
        &self,
        actor: Option<&Actor>,
        scope: &Scope,
        filter: Filter,
    ) -> Result<Inventory, AppError> {
        let filter = self.scoped_filter(actor, scope, filter).await?;
        let (from, to) = period(&filter);
        let mut offers: HashMap<String, OrganisationOffer> = filter
            .organisations
            .iter()
            .filter(|o| !o.starts_with('\u{0}'))
            .map(|o| (o.clone(), OrganisationOffer::default()))
            .collect();
        for (org, offer) in offers.iter_mut() {
            let places = self
                .places_of(&maillage_search::SearchQuery {
                    organisation_id: Some(org.clone()),
                    ..Default::default()
                })
                .await?;
            offer.declared = places.iter().flat_map(declared).collect::<BTreeSet<_>>();
        }
        let guard = self.cube().await?;
        let practice = {
            let f = filter.clone();
            let g = guard;
            tokio::task::spawn_blocking(move || g.cube.practice_by_organisation(&f))
                .await
                .map_err(|e| AppError::Invalid(format!("calcul interrompu : {e}")))?
        };
        for (org, [procedures, workshops, oriented]) in practice {
            if let Some(o) = offers.get_mut(&org) {
                if procedures > 0 {
                    o.practised.insert(Offer::Procedures);
                }
                if workshops > 0 {
                    o.practised.insert(Offer::Workshops);
                }
                if oriented > 0 {
                    o.practised.insert(Offer::Orientation);
                }
            }
        }
        for org in self
            .store
            .organisations_with_diagnostics(&from, &to)
            .await?
        {
            if let Some(o) = offers.get_mut(&org) {
                o.practised.insert(Offer::Diagnostic);
            }
        }
        for org in self.store.organisations_with_referrals(&from, &to).await? {
            if let Some(o) = offers.get_mut(&org) {
                o.practised.insert(Offer::Orientation);
            }
        }
        for w in self.store.workshops_from(&from).await? {
            if let Some(o) = w
                .workshop
                .organisation_id
                .as_ref()
                .and_then(|id| offers.get_mut(id))
                && w.workshop.first_day().is_some_and(|d| d.to_string() <= to)
            {
                o.practised.insert(Offer::Workshops);
            }
        }
        let list: Vec<OrganisationOffer> = offers.into_values().collect();
        let (organisations, rows) = inventory(&list);
        Ok(Inventory {
            organisations,
            rows,
        })
    }
}
