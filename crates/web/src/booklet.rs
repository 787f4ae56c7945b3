//! The printed booklet of a zone (communes, EPCI, départements, or a list of them): which
//! places, under which title, then the PDF drawn by [`maillage_booklet`]. Shared by the page
//! (as a job with progress) and by `maillage booklet`.

use std::collections::HashSet;
use std::sync::Arc;

use maillage_domain::Place;
use maillage_domain::progress::Progress;

use crate::app::{App, AppError, today};

/// A zone resolved against the official referential.
#[derive(Debug, Clone)]
pub struct BookletZone {
    /// « Meurthe-et-Moselle (54) · Toul (54528) ».
    pub label: String,
    pub places: Vec<Place>,
}

/// Codes of a zone typed by a person: separated by spaces, commas or semicolons.
pub fn zone_codes(input: &str) -> Vec<String> {
    input
        .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
        .map(|s| s.trim().to_ascii_uppercase())
        .filter(|s| !s.is_empty())
        .collect()
}

impl App {
    /// Codes of a zone typed in the form: items separated by commas, semicolons or lines, each
    /// a code or a name (département, intercommunality, commune).
    pub fn resolve_zone_input(&self, input: &str) -> Result<Vec<String>, AppError> {
        let mut codes = Vec::new();
        for item in input
            .split([',', ';', '\n'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
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
        Ok(codes)
    }

    /// The places of a zone: each code is a département (`54`, `2A`, `971`), an EPCI (SIREN,
    /// 9 digits) or a commune (INSEE code, 5 characters).
    pub async fn booklet_zone(&self, codes: &[String]) -> Result<BookletZone, AppError> {
        if codes.is_empty() {
            return Err(AppError::Invalid(
                "zone : indiquez au moins un code de département, d'intercommunalité ou de commune"
                    .into(),
            ));
        }
        let mut departements: HashSet<String> = HashSet::new();
        let mut communes: HashSet<String> = HashSet::new();
        let mut labels = Vec::new();
        for code in codes {
            let code = code.trim().to_ascii_uppercase();
            let r = &self.referential;
            if code.len() == 9 && code.chars().all(|c| c.is_ascii_digit()) {
                let members = r.communes_of_epci(&code);
                if members.is_empty() {
                    return Err(AppError::Invalid(format!(
                        "zone « {code} » : aucune intercommunalité de ce numéro SIREN dans le référentiel officiel"
                    )));
                }
                communes.extend(members.iter().map(|c| c.insee_code.clone()));
                labels.push(
                    r.epci_name(&code)
                        .map(str::to_string)
                        .unwrap_or_else(|| format!("intercommunalité {code}")),
                );
            } else if code.len() == 5 {
                let commune = maillage_domain::CommuneLookup::by_code(r.as_ref(), &code)
                    .ok_or_else(|| {
                        AppError::Invalid(format!(
                            "zone « {code} » : aucune commune de ce code INSEE dans le référentiel officiel"
                        ))
                    })?;
                communes.insert(code.clone());
                labels.push(format!("{} ({code})", commune.name));
            } else if (2..=3).contains(&code.len()) && !r.communes_of_departement(&code).is_empty()
            {
                labels.push(match r.departement_name(&code) {
                    Some(name) => format!("{name} ({code})"),
                    None => format!("département {code}"),
                });
                departements.insert(code);
            } else {
                return Err(AppError::Invalid(format!(
                    "zone « {code} » : ni un département (54, 2A, 971), ni une intercommunalité (SIREN, 9 chiffres), ni une commune (code INSEE, 5 caractères)"
                )));
            }
        }
        let places = self
            .store
            .all_places()
            .await?
            .into_iter()
            .map(|s| s.place)
            .filter(|p| {
                p.insee_code.as_ref().is_some_and(|c| communes.contains(c))
                    || p.departement().is_some_and(|d| departements.contains(&d))
            })
            .collect();
        Ok(BookletZone {
            label: labels.join(" · "),
            places,
        })
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
    use super::zone_codes;

    #[test]
    fn zone_codes_as_people_type_them() {
        assert_eq!(
            zone_codes(" 54, 2a;245400676  54395 "),
            ["54", "2A", "245400676", "54395"]
        );
        assert!(zone_codes(" , ").is_empty());
    }
}
