//! The printed booklet of a zone (communes, EPCI, départements, or a list of them): which
//! places, under which title, then the PDF drawn by [`maillage_booklet`]. Shared by the page
//! (as a job with progress) and by `maillage booklet`.

use std::collections::HashSet;
use std::sync::Arc;

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

/// Items of a zone, at most (after removing repeats): a booklet is for a territory, not the
/// whole country item by item.
pub const MAX_ZONE_ITEMS: usize = 30;
/// Characters of the zone typed in the form, at most.
pub const MAX_ZONE_INPUT: usize = 2_000;

/// The booklet form: the zone as people type it (names or codes, separated by commas or
/// lines) and the cover's title (120 characters at most are kept).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct BookletForm {
    pub zone: String,
    #[serde(rename = "titre")]
    pub title: String,
}

/// A zone's codes checked against the referential: what to print, before reading any place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZonePlan {
    pub label: String,
    /// The zone's codes, sorted: identical requests share one booklet.
    pub key: String,
    departements: Vec<String>,
    epcis: Vec<String>,
    /// Communes named, and those of the intercommunalities.
    communes: HashSet<String>,
    named_communes: Vec<String>,
}

/// Codes of a zone typed by a person: separated by spaces, commas or semicolons.
pub fn zone_codes(input: &str) -> Vec<String> {
    input
        .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
        .map(|s| s.trim().to_ascii_uppercase())
        .filter(|s| !s.is_empty())
        .collect()
}

fn too_many() -> AppError {
    AppError::TooLarge(format!(
        "zone : {MAX_ZONE_ITEMS} communes, intercommunalités ou départements au plus ; pour un territoire plus vaste, choisissez ses départements"
    ))
}

/// Removes repeats, keeping the first order; refuses more than [`MAX_ZONE_ITEMS`].
fn distinct(codes: impl IntoIterator<Item = String>) -> Result<Vec<String>, AppError> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for c in codes {
        if seen.insert(c.clone()) {
            out.push(c);
            if out.len() > MAX_ZONE_ITEMS {
                return Err(too_many());
            }
        }
    }
    Ok(out)
}

impl App {
    /// Codes of a zone typed in the form: items separated by commas, semicolons or lines, each
    /// a code or a name (département, intercommunality, commune). Bounded: at most
    /// [`MAX_ZONE_INPUT`] characters and [`MAX_ZONE_ITEMS`] distinct items.
    pub fn resolve_zone_input(&self, input: &str) -> Result<Vec<String>, AppError> {
        if input.chars().count() > MAX_ZONE_INPUT {
            return Err(AppError::TooLarge(format!(
                "zone : {MAX_ZONE_INPUT} caractères au plus"
            )));
        }
        let items = distinct(
            input
                .split([',', ';', '\n'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string),
        )?;
        let mut codes = Vec::new();
        for item in &items {
            let item = item.as_str();
            let upper = item.to_ascii_uppercase();
            let code_like = matches!(upper.len(), 2 | 3 | 5 | 9)
                && upper.chars().all(|c| c.is_ascii_alphanumeric())
                && upper.chars().filter(|c| c.is_ascii_digit()).count() >= upper.len() - 1;
            let r = &self.referential;
            if code_like {
                codes.push(upper);
            } else if let Some(code) = r.departement_by_name(item) {
                codes.push(code.to_string());
            } else if let Some(code) = r.epci_by_name(item) {
                codes.push(code.to_string());
            } else if let Some(c) = r.find_by_name(item, None) {
                codes.push(c.insee_code.clone());
            } else {
                return Err(AppError::Invalid(format!(
                    "zone : « {item} » n'est ni un département, ni une intercommunalité, ni une commune du référentiel officiel"
                )));
            }
        }
        if codes.is_empty() {
            return Err(AppError::Invalid(
                "zone : indiquez au moins une commune, une intercommunalité ou un département"
                    .into(),
            ));
        }
        distinct(codes)
    }

    /// Checks a zone's codes against the referential: each a département (`54`, `2A`, `971`),
    /// an EPCI (SIREN, 9 digits) or a commune (INSEE code, 5 characters); repeats removed, at
    /// most [`MAX_ZONE_ITEMS`].
    pub fn zone_plan(&self, codes: &[String]) -> Result<ZonePlan, AppError> {
        let codes = distinct(codes.iter().map(|c| c.trim().to_ascii_uppercase()))?;
        if codes.is_empty() {
            return Err(AppError::Invalid(
                "zone : indiquez au moins un code de département, d'intercommunalité ou de commune"
                    .into(),
            ));
        }
        let mut plan = ZonePlan {
            label: String::new(),
            key: String::new(),
            departements: Vec::new(),
            epcis: Vec::new(),
            communes: HashSet::new(),
            named_communes: Vec::new(),
        };
        let mut labels = Vec::new();
        for code in &codes {
            let code = code.clone();
            let r = &self.referential;
            if code.len() == 9 && code.chars().all(|c| c.is_ascii_digit()) {
                let members = r.communes_of_epci(&code);
                if members.is_empty() {
                    return Err(AppError::Invalid(format!(
                        "zone « {code} » : aucune intercommunalité de ce numéro SIREN dans le référentiel officiel"
                    )));
                }
                plan.communes
                    .extend(members.iter().map(|c| c.insee_code.clone()));
                labels.push(
                    r.epci_name(&code)
                        .map(str::to_string)
                        .unwrap_or_else(|| format!("intercommunalité {code}")),
                );
                plan.epcis.push(code);
            } else if code.len() == 5 {
                let commune = maillage_domain::CommuneLookup::by_code(r.as_ref(), &code)
                    .ok_or_else(|| {
                        AppError::Invalid(format!(
                            "zone « {code} » : aucune commune de ce code INSEE dans le référentiel officiel"
                        ))
                    })?;
                labels.push(format!("{} ({code})", commune.name));
                plan.communes.insert(code.clone());
                plan.named_communes.push(code);
            } else if (2..=3).contains(&code.len()) && !r.communes_of_departement(&code).is_empty()
            {
                labels.push(match r.departement_name(&code) {
                    Some(name) => format!("{name} ({code})"),
                    None => format!("département {code}"),
                });
                plan.departements.push(code);
            } else {
                return Err(AppError::Invalid(format!(
                    "zone « {code} » : ni un département (54, 2A, 971), ni une intercommunalité (SIREN, 9 chiffres), ni une commune (code INSEE, 5 caractères)"
                )));
            }
        }
        let mut sorted = codes.clone();
        sorted.sort();
        plan.key = sorted.join(" ");
        plan.label = labels.join(" · ");
        Ok(plan)
    }

    /// For the booklet page: the zone typed in the form checked against the referential, and
    /// whether the directory has any place there (from the search index), off the async
    /// threads.
    pub async fn plan_zone_input(&self, input: &str) -> Result<(ZonePlan, bool), AppError> {
        let app = self.clone();
        let input = input.to_string();
        tokio::task::spawn_blocking(move || {
            let codes = app.resolve_zone_input(&input)?;
            let plan = app.zone_plan(&codes)?;
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
        let departements: HashSet<&str> = plan.departements.iter().map(String::as_str).collect();
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
                        .is_some_and(|d| departements.contains(d.as_str()))
            })
            .collect();
        Ok(BookletZone {
            label: plan.label.clone(),
            places,
        })
    }

    /// The places of a zone given by its codes (the command line).
    pub async fn booklet_zone(&self, codes: &[String]) -> Result<BookletZone, AppError> {
        let plan = self.zone_plan(codes)?;
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

#[cfg(test)]
mod tests {
    use super::{distinct, zone_codes};

    #[test]
    fn zones_are_deduplicated_and_capped() {
        let same = distinct(std::iter::repeat_n("54".to_string(), 3_000)).expect("répétitions");
        assert_eq!(same, ["54"]);
        assert!(distinct((0..31).map(|i| format!("{i:02}"))).is_err());
        assert_eq!(
            distinct((0..30).map(|i| format!("{i:02}")))
                .expect("30")
                .len(),
            30
        );
    }

    #[test]
    fn zone_codes_as_people_type_them() {
        assert_eq!(
            zone_codes(" 54, 2a;245400676  54395 "),
            ["54", "2A", "245400676", "54395"]
        );
        assert!(zone_codes(" , ").is_empty());
    }
}
