//! What an operator's tools ask of a running instance (issue #21): whether it is ready to
//! serve (`/pret`: the database answers, the search index is loaded).

use std::time::Duration;

use crate::App;

/// The state of an instance, for a load balancer or a supervisor.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Readiness {
    /// Whether the instance can serve requests.
    pub pret: bool,
    /// « ok », or why the database does not answer (no address nor password in it).
    pub base: String,
    /// SQLite or PostgreSQL.
    pub moteur: &'static str,
    /// Places in the database, and in the search index.
    pub lieux_en_base: Option<i64>,
    pub lieux_indexes: usize,
}

impl App {
    /// Asks the database one cheap question (at most 2 s) and reads the index's size.
    pub async fn readiness(&self) -> Readiness {
        let counted = tokio::time::timeout(Duration::from_secs(2), self.store.count_places()).await;
        let (base, places) = match counted {
            Ok(Ok(n)) => ("ok".to_string(), Some(n)),
            Ok(Err(e)) => {
                tracing::warn!("/pret : la base ne répond pas : {e}");
                ("la base ne répond pas".to_string(), None)
            }
            Err(_) => ("la base ne répond pas en 2 s".to_string(), None),
        };
        Readiness {
            pret: places.is_some(),
            base,
            moteur: self.store.backend(),
            lieux_en_base: places,
            lieux_indexes: self.index().len(),
        }
    }
}
