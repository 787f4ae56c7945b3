//! Public links to a structure's statistics and survey: given, withdrawn, read.

use super::*;

impl App {
    // ----- share links -----

    /// The share-link form (statistics and survey alike): gives a new link — returned, shown
    /// once — or withdraws it.
    pub async fn apply_share(
        &self,
        actor: Option<&Actor>,
        form: &ShareForm,
        purpose: SharePurpose,
    ) -> Result<Option<String>, AppError> {
        if form.withdraws() {
            self.revoke_share(actor, &form.organisation, purpose)
                .await?;
            Ok(None)
        } else {
            Ok(Some(
                self.share_statistics(actor, &form.organisation, purpose)
                    .await?,
            ))
        }
    }

    /// Gives out a new public link to a structure's statistics (revoking the previous one).
    pub async fn share_statistics(
        &self,
        actor: Option<&Actor>,
        organisation_id: &str,
        purpose: SharePurpose,
    ) -> Result<String, AppError> {
        allow(authorize(
            actor,
            &Action::ShareStatistics {
                organisation_id: organisation_id.to_string(),
            },
            today(),
        ))?;
        self.store
            .revoke_share_links(organisation_id, purpose.as_str())
            .await?;
        Ok(self
            .store
            .create_share_link(organisation_id, purpose.as_str())
            .await?)
    }

    pub async fn revoke_share(
        &self,
        actor: Option<&Actor>,
        organisation_id: &str,
        purpose: SharePurpose,
    ) -> Result<(), AppError> {
        allow(authorize(
            actor,
            &Action::ShareStatistics {
                organisation_id: organisation_id.to_string(),
            },
            today(),
        ))?;
        self.store
            .revoke_share_links(organisation_id, purpose.as_str())
            .await?;
        Ok(())
    }

    /// The aggregated statistics behind a public link (never a person's data: aggregated
    /// tables only, helpers' names left out).
    pub async fn shared_statistics(
        &self,
        token: &str,
        filter: Filter,
    ) -> Result<(Organisation, Statistics), AppError> {
        let org_id = self
            .store
            .share_link(token, SharePurpose::Statistics.as_str())
            .await?
            .ok_or(AppError::NotFound)?;
        let org = self
            .store
            .organisation(&org_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let filter = Filter {
            organisations: vec![org_id],
            ..filter
        }
        .for_public(today())
        .map_err(|e| AppError::Invalid(e.to_string()))?;
        let stats = self.statistics_of(&filter).await?;
        Ok((org, stats.for_public()))
    }
}
