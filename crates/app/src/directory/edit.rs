//! Creating, editing, confirming and deleting a place, each asking the policy.

use maillage_domain::Place;
use maillage_domain::policy::{Action, Actor, authorize};

use crate::{App, AppError, allow, location_of, today};

impl App {
    /// Creates a place after the policy allowed it.
    pub async fn create_place(
        &self,
        actor: Option<&Actor>,
        place: Place,
        organisation_id: Option<&str>,
    ) -> Result<String, AppError> {
        allow(authorize(
            actor,
            &Action::CreatePlace(location_of(&place, organisation_id)),
            today(),
        ))?;
        let id = self
            .store
            .create_place(place, organisation_id, actor.map(|a| a.user_id.as_str()))
            .await?;
        self.refresh_index().await?;
        Ok(id)
    }

    /// Updates a place; both its current and its new location must be allowed.
    pub async fn update_place(
        &self,
        actor: Option<&Actor>,
        place: Place,
        organisation_id: Option<&str>,
    ) -> Result<(), AppError> {
        let current = self.place(&place.id).await?;
        allow(authorize(
            actor,
            &Action::UpdatePlace(location_of(
                &current.place,
                current.organisation_id.as_deref(),
            )),
            today(),
        ))?;
        allow(authorize(
            actor,
            &Action::UpdatePlace(location_of(&place, organisation_id)),
            today(),
        ))?;
        self.store
            .update_place(&place, organisation_id, actor.map(|a| a.user_id.as_str()))
            .await?;
        self.refresh_index().await?;
        // Whoever may edit the page answers the campaigns that asked about it.
        let unchanged = Place {
            updated_on: place.updated_on,
            ..current.place.clone()
        } == place;
        let status = if unchanged {
            maillage_domain::campaigns::RequestStatus::Confirmed
        } else {
            maillage_domain::campaigns::RequestStatus::Corrected
        };
        self.answer_campaigns_of_place(&place.id, status).await?;
        Ok(())
    }

    /// "Nothing has changed": who may edit the place confirms it, which refreshes `date_maj`.
    pub async fn confirm_place(&self, actor: Option<&Actor>, id: &str) -> Result<(), AppError> {
        let current = self.place(id).await?;
        let mut place = current.place;
        place.updated_on = today();
        self.update_place(actor, place, current.organisation_id.as_deref())
            .await
    }

    pub async fn delete_place(&self, actor: Option<&Actor>, id: &str) -> Result<(), AppError> {
        let current = self.place(id).await?;
        allow(authorize(
            actor,
            &Action::DeletePlace(location_of(
                &current.place,
                current.organisation_id.as_deref(),
            )),
            today(),
        ))?;
        self.store.delete_place(id).await?;
        self.refresh_index().await?;
        Ok(())
    }
}
