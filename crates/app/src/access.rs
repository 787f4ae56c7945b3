//! The access log (issue #19): each time a member opens a followed person, a diagnostic or a
//! mandate, the service notes it; the structure's referent for personal data reads it. Its
//! delay is `MAILLAGE_CONSERVATION_JOURNAL_CONSULTATIONS`.

use maillage_domain::organisation::Organisation;
use maillage_domain::policy::{Action, Actor, authorize};

pub use maillage_store::AccessLine;

use crate::{App, AppError, allow, today};

impl App {
    /// Notes that the caller opened an object of a structure (nothing for no caller).
    pub(crate) async fn note_access(
        &self,
        actor: Option<&Actor>,
        organisation_id: &str,
        kind: &str,
        object_id: &str,
    ) -> Result<(), AppError> {
        if let Some(a) = actor {
            self.store
                .log_access(organisation_id, &a.user_id, kind, object_id)
                .await?;
        }
        Ok(())
    }

    /// Whether the caller is the referent for personal data of a structure.
    pub async fn is_data_referent(
        &self,
        actor: Option<&Actor>,
        organisation_id: &str,
    ) -> Result<bool, AppError> {
        Ok(match actor {
            Some(a) => {
                self.store.data_referent(organisation_id).await?.as_deref()
                    == Some(a.user_id.as_str())
            }
            None => false,
        })
    }

    /// The newest lines of a structure's access log: its referent for personal data only.
    pub async fn access_log(
        &self,
        actor: Option<&Actor>,
        organisation_id: &str,
    ) -> Result<(Organisation, Vec<AccessLine>), AppError> {
        let organisation = self
            .store
            .organisation(organisation_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let referent = self.is_data_referent(actor, &organisation.id).await?;
        allow(authorize(
            actor,
            &Action::ReadAccessLog {
                organisation_id: organisation.id.clone(),
                referent,
            },
            today(),
        ))?;
        let lines = self.store.access_log_of(&organisation.id).await?;
        Ok((organisation, lines))
    }

    /// The name of a structure's referent for personal data, if one is named.
    pub async fn data_referent_name(
        &self,
        organisation_id: &str,
    ) -> Result<Option<String>, AppError> {
        Ok(match self.store.data_referent(organisation_id).await? {
            Some(id) => self.store.user(&id).await?.map(|u| u.display_name),
            None => None,
        })
    }

    /// Names a member the referent for personal data of their structure: the coordinators of
    /// its territory and administrators.
    pub async fn appoint_data_referent(
        &self,
        actor: Option<&Actor>,
        organisation_id: &str,
        user_id: &str,
    ) -> Result<(), AppError> {
        let organisation = self
            .organisation_checked(actor, organisation_id, Action::AppointDataReferent)
            .await?;
        self.check_member(&organisation.id, user_id).await?;
        let by = actor.map(|a| a.user_id.clone()).unwrap_or_default();
        Ok(self
            .store
            .set_data_referent(&organisation.id, user_id, &by)
            .await?)
    }
}
