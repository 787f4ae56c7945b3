//! The shared filter of the indicators, read from pairs (pages, API, CLI) and written back.

use super::*;

/// Filters shared by pages, exports, API and CLI. Empty lists mean « all ».
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub kinds: Vec<ActivityKind>,
    pub themes: Vec<MediationTheme>,
    pub places: Vec<String>,
    /// INSEE codes of the commune where the activity took place.
    pub communes: Vec<String>,
    /// Ids of helpers (users).
    pub helpers: Vec<String>,
    pub levels: Vec<Level>,
    pub tags: Vec<String>,
    /// Ids of organisations (also used to bound what a viewer may see).
    pub organisations: Vec<String>,
}

/// A filter parameter that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("filtre « {key} » : {reason}")]
pub struct FilterError {
    pub key: String,
    pub reason: String,
}

impl Filter {
    /// The filter of a public link: the period (at least [`PUBLIC_MIN_DAYS`] days, `today`
    /// closing an open period), the kinds and the themes; no place, commune, helper, level or
    /// tag, which could narrow the figures down to a few people.
    pub fn for_public(self, today: NaiveDate) -> Result<Filter, FilterError> {
        if let Some(from) = self.from {
            let to = self.to.unwrap_or(today);
            if (to - from).num_days() + 1 < PUBLIC_MIN_DAYS {
                return Err(FilterError {
                    key: "du".into(),
                    reason: format!(
                        "un lien public montre une période de {PUBLIC_MIN_DAYS} jours au moins"
                    ),
                });
            }
        }
        Ok(Filter {
            from: self.from,
            to: self.to,
            kinds: self.kinds,
            themes: self.themes,
            organisations: self.organisations,
            ..Filter::default()
        })
    }

    /// Reads filters from `key=value` pairs (query string, CLI flags): `du`, `au`, `type`,
    /// `thematique`, `lieu`, `commune`, `intervenant`, `niveau`, `etiquette`, `structure`;
    /// repeated keys add values. Unknown keys are ignored (pages carry other parameters).
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, FilterError> {
        let mut f = Filter::default();
        let err = |key: &str, reason: String| FilterError {
            key: key.to_string(),
            reason,
        };
        for (key, value) in pairs {
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            match key {
                "du" | "au" => {
                    let d = crate::activity::parse_date(value).ok_or_else(|| {
                        err(key, format!("« {value} » : date attendue (2026-01-31)"))
                    })?;
                    if key == "du" {
                        f.from = Some(d);
                    } else {
                        f.to = Some(d);
                    }
                }
                "type" => f.kinds.push(
                    ActivityKind::parse(value)
                        .ok_or_else(|| err(key, format!("« {value} » : type inconnu")))?,
                ),
                "thematique" => f.themes.push(
                    MediationTheme::parse(value)
                        .ok_or_else(|| err(key, format!("« {value} » : thématique inconnue")))?,
                ),
                "niveau" => f.levels.push(
                    Level::from_slug(value)
                        .or_else(|| Level::parse(value))
                        .ok_or_else(|| err(key, format!("« {value} » : niveau inconnu")))?,
                ),
                "lieu" => f.places.push(value.to_string()),
                "commune" => f.communes.push(value.to_string()),
                "intervenant" => f.helpers.push(value.to_string()),
                "etiquette" => f.tags.push(value.to_string()),
                "structure" => f.organisations.push(value.to_string()),
                _ => {}
            }
        }
        if let (Some(from), Some(to)) = (f.from, f.to)
            && from > to
        {
            return Err(err(
                "au",
                "la fin de la période précède son début".to_string(),
            ));
        }
        Ok(f)
    }

    /// The filter as `key=value` pairs, for links and exports.
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(d) = self.from {
            out.push(("du", d.to_string()));
        }
        if let Some(d) = self.to {
            out.push(("au", d.to_string()));
        }
        out.extend(self.kinds.iter().map(|k| ("type", k.slug().to_string())));
        out.extend(
            self.themes
                .iter()
                .map(|k| ("thematique", k.slug().to_string())),
        );
        out.extend(self.places.iter().map(|k| ("lieu", k.clone())));
        out.extend(self.communes.iter().map(|k| ("commune", k.clone())));
        out.extend(self.helpers.iter().map(|k| ("intervenant", k.clone())));
        out.extend(self.levels.iter().map(|k| ("niveau", k.slug().to_string())));
        out.extend(self.tags.iter().map(|k| ("etiquette", k.clone())));
        out.extend(self.organisations.iter().map(|k| ("structure", k.clone())));
        out
    }

    /// Whether an activity passes the filter (used to stream exports of records).
    pub fn accepts(&self, a: &Activity, organisation_id: &str, helper_id: Option<&str>) -> bool {
        let any = |list: &[String], v: Option<&str>| {
            list.is_empty() || v.is_some_and(|v| list.iter().any(|l| l == v))
        };
        self.from.is_none_or(|d| a.date >= d)
            && self.to.is_none_or(|d| a.date <= d)
            && (self.kinds.is_empty() || self.kinds.contains(&a.kind))
            && (self.themes.is_empty() || a.themes.iter().any(|t| self.themes.contains(t)))
            && any(&self.places, a.place_id.as_deref())
            && any(&self.communes, a.insee_code.as_deref())
            && any(&self.helpers, helper_id)
            && (self.levels.is_empty() || a.level.is_some_and(|l| self.levels.contains(&l)))
            && (self.tags.is_empty() || a.tags.iter().any(|t| self.tags.contains(t)))
            && any(&self.organisations, Some(organisation_id))
    }
}
