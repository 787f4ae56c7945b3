//! A territory as people name it: communes, intercommunalités (EPCI), départements, régions,
//! the whole country, or a network's own list of them — checked against the official
//! referential before anything is read. Shared by the booklet and the territory's analysis, by
//! their pages, the API and the command line.

use std::collections::HashSet;

use maillage_domain::place::CommuneRef;
use maillage_referential::Referential;

use crate::{App, AppError};

/// Items of a zone, at most (after removing repeats): a network's list of communes, or a few
/// larger units — not the whole country item by item.
pub const MAX_ZONE_ITEMS: usize = 30;
/// Characters of the zone typed in a form, at most.
pub const MAX_ZONE_INPUT: usize = 2_000;
/// The code of the whole country in a zone (« FR », or « France » typed).
pub const WHOLE_COUNTRY: &str = "FR";

/// A zone's codes checked against the referential: what to read, before reading any place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZonePlan {
    /// « Meurthe-et-Moselle (54) · Toul (54528) ».
    pub label: String,
    /// The zone's codes, sorted: identical requests share one answer.
    pub key: String,
    /// The whole country (every other item is then redundant).
    pub whole_country: bool,
    /// Départements named, and those of the régions named.
    pub(crate) departements: Vec<String>,
    pub(crate) epcis: Vec<String>,
    /// Communes named, and those of the intercommunalities.
    pub(crate) communes: HashSet<String>,
    pub(crate) named_communes: Vec<String>,
}

impl ZonePlan {
    /// Whether a commune (by INSEE code and département) is in the zone.
    pub fn contains(&self, insee_code: &str, departement: &str) -> bool {
        self.whole_country
            || self.communes.contains(insee_code)
            || self.departements.iter().any(|d| d == departement)
    }

    /// The zone's current communes, by INSEE code.
    pub fn communes<'r>(&self, referential: &'r Referential) -> Vec<&'r CommuneRef> {
        let mut v: Vec<&CommuneRef> = referential
            .communes()
            .filter(|c| self.contains(&c.insee_code, &c.departement))
            .collect();
        v.sort_by(|a, b| a.insee_code.cmp(&b.insee_code));
        v
    }
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
        "zone : {MAX_ZONE_ITEMS} communes, intercommunalités, départements ou régions au plus ; pour un territoire plus vaste, choisissez ses départements ou sa région"
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

/// A région's code in a zone: `R` and its INSEE code (`R44`), so that it is never read as a
/// département.
fn region_code(code: &str) -> Option<&str> {
    code.strip_prefix('R')
        .filter(|r| r.len() == 2 && r.chars().all(|c| c.is_ascii_digit()))
}

fn is_country(item: &str) -> bool {
    matches!(item.to_uppercase().as_str(), "FR" | "FRANCE")
}

impl App {
    /// Codes of a zone typed in a form: items separated by commas, semicolons or lines, each a
    /// code or a name (région, département, intercommunality, commune, « France »). Bounded:
    /// at most [`MAX_ZONE_INPUT`] characters and [`MAX_ZONE_ITEMS`] distinct items.
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
            if is_country(item) {
                codes.push(WHOLE_COUNTRY.to_string());
            } else if code_like {
                codes.push(upper);
            } else if let Some(code) = r.region_by_name(item) {
                codes.push(format!("R{code}"));
            } else if let Some(code) = r.departement_by_name(item) {
                codes.push(code.to_string());
            } else if let Some(code) = r.epci_by_name(item) {
                codes.push(code.to_string());
            } else if let Some(c) = r.find_by_name(item, None) {
                codes.push(c.insee_code.clone());
            } else {
                return Err(AppError::Invalid(format!(
                    "zone : « {item} » n'est ni une région, ni un département, ni une intercommunalité, ni une commune du référentiel officiel"
                )));
            }
        }
        if codes.is_empty() {
            return Err(AppError::Invalid(
                "zone : indiquez au moins une commune, une intercommunalité, un département ou une région"
                    .into(),
            ));
        }
        distinct(codes)
    }

    /// Checks a zone's codes against the referential: each a région (`R44`), a département
    /// (`54`, `2A`, `971`), an EPCI (SIREN, 9 digits), a commune (INSEE code, 5 characters) or
    /// the whole country (`FR`); repeats removed, at most [`MAX_ZONE_ITEMS`].
    pub fn zone_plan(&self, codes: &[String]) -> Result<ZonePlan, AppError> {
        let codes = distinct(codes.iter().map(|c| c.trim().to_ascii_uppercase()))?;
        if codes.is_empty() {
            return Err(AppError::Invalid(
                "zone : indiquez au moins un code de région, de département, d'intercommunalité ou de commune"
                    .into(),
            ));
        }
        let mut plan = ZonePlan {
            label: String::new(),
            key: String::new(),
            whole_country: false,
            departements: Vec::new(),
            epcis: Vec::new(),
            communes: HashSet::new(),
            named_communes: Vec::new(),
        };
        let mut labels = Vec::new();
        for code in &codes {
            let code = code.clone();
            let r = &self.referential;
            if is_country(&code) {
                plan.whole_country = true;
                labels.push("France entière".to_string());
            } else if let Some(region) = region_code(&code) {
                let departements = r.departements_of_region(region);
                if departements.is_empty() {
                    return Err(AppError::Invalid(format!(
                        "zone « {code} » : aucune région de ce code INSEE dans le référentiel officiel"
                    )));
                }
                labels.push(match r.region_name(region) {
                    Some(name) => format!("{name} (région {region})"),
                    None => format!("région {region}"),
                });
                plan.departements
                    .extend(departements.into_iter().map(str::to_string));
            } else if code.len() == 9 && code.chars().all(|c| c.is_ascii_digit()) {
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
                    "zone « {code} » : ni une région (R44), ni un département (54, 2A, 971), ni une intercommunalité (SIREN, 9 chiffres), ni une commune (code INSEE, 5 caractères), ni la France entière (FR)"
                )));
            }
        }
        let mut sorted = codes.clone();
        sorted.sort();
        plan.key = sorted.join(" ");
        plan.label = labels.join(" · ");
        Ok(plan)
    }
}

#[cfg(test)]
mod tests {
    use super::{distinct, region_code, zone_codes};

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
            zone_codes(" 54, 2a;245400676  54395 r44"),
            ["54", "2A", "245400676", "54395", "R44"]
        );
        assert!(zone_codes(" , ").is_empty());
    }

    #[test]
    fn region_codes_are_never_departements() {
        assert_eq!(region_code("R44"), Some("44"));
        assert_eq!(region_code("R4"), None);
        assert_eq!(region_code("44"), None);
        assert_eq!(region_code("R2A"), None);
    }
}
