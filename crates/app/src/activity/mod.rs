//! Activity records and their statistics (issue #7): recording, editing, duplicating and
//! deleting records, a followed person's timeline, the statistics of a helper, a structure or a
//! territory from the in-memory cube (kept up to date from the store's log of changes, so every
//! instance sees every write), public share links, and the exports (XLSX one sheet per table,
//! CSV) that read the same [`Statistics`] as the pages and the API.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{Duration, NaiveDateTime, Utc};
use maillage_domain::CommuneLookup;
use maillage_domain::Vocabulary;
use maillage_domain::activity::{
    Activity, ActivityForm, AgeBracket, FieldError, Gender, Profile, SocialStatus, WorkshopSession,
};
use maillage_domain::indicators::SharePurpose;
use maillage_domain::indicators::{Cube, Entry, Filter, Indicator, Statistics};
use maillage_domain::organisation::Organisation;
use maillage_domain::policy::{Action, Actor, Location, authorize};
use maillage_domain::referrals::ReferralStatus;
use maillage_domain::retention::Kept;
use maillage_store::{NewActivity, NewPerson, StoredActivity};
use tokio::sync::RwLock;

use crate::{App, AppError, allow, today};

/// The share-link form of a structure's statistics or survey: give a new public link, or
/// withdraw the current one.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct ShareForm {
    #[serde(rename = "structure")]
    pub organisation: String,
    /// `retirer` withdraws the link; otherwise a new one is given.
    pub action: String,
}

impl ShareForm {
    pub fn withdraws(&self) -> bool {
        self.action == "retirer"
    }
}

/// The statistics cube of this instance and the last change of the store it has applied.
#[derive(Debug, Default)]
pub struct CubeState {
    pub cube: Cube,
    seq: i64,
    loaded: bool,
}

/// Shared handle on the cube.
#[derive(Debug, Clone, Default)]
pub struct StatsCube(Arc<RwLock<CubeState>>);

/// Changes re-read before the last one applied: on PostgreSQL, concurrent transactions may
/// commit their log entries out of order; re-applying a change is harmless.
const OVERLAP: i64 = 64;
/// Records read per round trip when loading the cube or streaming an export.
pub const PAGE: u32 = 5_000;

/// A stable number for a record id (ids are UUIDs in hexadecimal).
pub fn key_of(id: &str) -> u128 {
    u128::from_str_radix(id, 16).unwrap_or_else(|_| {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        id.hash(&mut h);
        u128::from(h.finish())
    })
}

/// Whose statistics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The signed-in helper's own records.
    Mine,
    /// One structure.
    Organisation(String),
    /// Every structure the viewer may see (their territory, or the whole network).
    Territory,
}

impl Scope {
    pub fn parse(s: &str) -> Self {
        match s {
            "" | "territoire" => Scope::Territory,
            "moi" => Scope::Mine,
            id => Scope::Organisation(id.to_string()),
        }
    }
    pub fn slug(&self) -> &str {
        match self {
            Scope::Mine => "moi",
            Scope::Organisation(id) => id,
            Scope::Territory => "territoire",
        }
    }
}

/// The statistics' query, as the pages, the API and the CLI give it: the scope (`portee`), the
/// indicators' shared filter (`du`, `au`, `type`, `thematique`, `lieu`… — read by
/// [`Filter::from_pairs`]) and `tout=1` for every date.
#[derive(Debug, Clone)]
pub struct StatsQuery {
    pub scope: Scope,
    pub filter: Filter,
    pub every_date: bool,
}

impl StatsQuery {
    pub fn from_pairs<'a>(
        pairs: impl Iterator<Item = (&'a str, &'a str)> + Clone,
    ) -> Result<Self, AppError> {
        let first = |key: &str| {
            pairs
                .clone()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v.trim())
                .unwrap_or_default()
        };
        Ok(StatsQuery {
            scope: Scope::parse(first("portee")),
            every_date: first("tout") == "1",
            filter: Filter::from_pairs(pairs).map_err(|e| AppError::Invalid(e.to_string()))?,
        })
    }

    /// The last twelve months when no period is asked (nor every date): what the pages show.
    pub fn with_default_period(mut self) -> Self {
        if self.filter.from.is_none() && self.filter.to.is_none() && !self.every_date {
            let t = today();
            self.filter.to = Some(t);
            self.filter.from = t
                .checked_sub_months(chrono::Months::new(12))
                .map(|d| d + Duration::days(1));
        }
        self
    }
}

/// What the recording form sends besides the record itself.
#[derive(Debug, Clone, Default)]
pub struct RecordInput {
    pub organisation_id: String,
    pub form: ActivityForm,
    pub notes: String,
    /// A new followed person to create with the record: (first name or pseudonym, consent).
    pub new_person: Option<(String, bool)>,
    pub session: Option<WorkshopSession>,
    pub referral_id: Option<String>,
    /// The mandate a démarche was done under (issue #19).
    pub mandate_id: Option<String>,
}

/// One line of a followed person's timeline.
#[derive(Debug, Clone)]
pub struct TimelineItem {
    pub date: String,
    pub what: &'static str,
    pub summary: String,
    pub link: Option<String>,
}

fn location_of_org(o: &Organisation) -> Location {
    Location {
        organisation_id: Some(o.id.clone()),
        insee_code: None,
        departement: o.departement.clone(),
    }
}

mod export;
mod import;
mod records;
mod share;
mod statistics;

pub use import::*;
pub use statistics::*;
