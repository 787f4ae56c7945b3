//! data·inclusion v1, the schema of the social-inclusion offer that DORA and the national
//! services read (reference: the PyPI package `data-inclusion-schema` 1.0, its pydantic models
//! and enumerations). Two directions:
//!
//! - [`export`]: the directory as data·inclusion **structures** (one per place) and **services**
//!   (one per kind of help the place offers), every field checked against the schema's
//!   constraints so that the package's own models accept the files;
//! - [`read`]: files of structures and services turned into records of the national standard,
//!   so that they go through the usual import (validation, report, provenance, duplicates).
//!
//! The correspondence between the standard's vocabularies and data·inclusion's is declared
//! once here, in tables, and documented in docs/STANDARD.md.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;
use maillage_domain::Place;
use maillage_domain::fields::departement_of_insee;
use maillage_domain::vocab::TrainingLabel;
use maillage_domain::vocab::{
    AccessMode, Fee, NationalProgramme, Public, Service, SpecificSupport, SupportMode, Vocabulary,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::StandardError;
use crate::read::{Format, Position, SourceFile, SourceRecord, Version};

/// The version of the schema the files follow.
pub const SCHEMA_VERSION: &str = "1.0";

/// A data·inclusion structure (`data_inclusion.schema.v1.Structure`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Structure {
    pub source: String,
    pub id: String,
    pub nom: String,
    pub date_maj: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lien_source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub siret: Option<String>,
    #[serde(flatten)]
    pub address: Address,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub telephone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub courriel: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site_web: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub horaires_accueil: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accessibilite_lieu: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reseaux_porteurs: Option<Vec<String>>,
}

/// The address fields structures and services share.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Address {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commune: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_postal: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_insee: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adresse: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complement_adresse: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub longitude: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latitude: Option<f64>,
}

/// A data·inclusion service (`data_inclusion.schema.v1.Service`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiService {
    pub source: String,
    pub structure_id: String,
    pub id: String,
    pub nom: String,
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lien_source: Option<String>,
    pub date_maj: NaiveDate,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thematiques: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frais: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frais_precisions: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publics: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publics_precisions: Option<String>,
    #[serde(flatten)]
    pub address: Address,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub telephone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub courriel: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modes_accueil: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone_eligibilite: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lien_mobilisation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modes_mobilisation: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mobilisable_par: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub horaires_accueil: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// The correspondence of vocabularies (docs/STANDARD.md, « data·inclusion »).
// ---------------------------------------------------------------------------------------------

/// The thématiques each kind of help of the standard is exported under (the first one is the
/// kind's own, read back on import).
pub fn thematiques_of(service: Service) -> &'static [&'static str] {
    match service {
        Service::AdministrativeProcedures => &[
            "numerique--acceder-a-des-services-en-ligne",
            "difficultes-administratives-ou-juridiques--accompagnement-pour-lacces-aux-droits",
        ],
        Service::EverydayTools | Service::SafeUse | Service::UnderstandingDigital => {
            &["numerique--maitriser-les-fondamentaux-du-numerique"]
        }
        Service::ProfessionalIntegration => &[
            "numerique--maitriser-les-fondamentaux-du-numerique",
            "preparer-sa-candidature--organiser-ses-demarches-de-recherche-demploi",
        ],
        Service::Parenting => &[
            "numerique--maitriser-les-fondamentaux-du-numerique",
            "famille--soutien-a-la-parentalite-et-a-leducation",
        ],
        Service::Leisure => &[
            "numerique--maitriser-les-fondamentaux-du-numerique",
            "remobilisation--activites-sportives-et-culturelles",
        ],
        Service::InternetAccess => &["numerique--acceder-a-une-connexion-internet"],
        Service::SolidarityEquipment => &["numerique--acquerir-un-equipement"],
    }
}

/// The kind of help a data·inclusion service of another producer is read as: by its name
/// when it is one of the standard's labels (files written by Maillage), else by its first
/// digital thématique.
fn service_of(nom: &str, thematiques: &[String]) -> Option<Service> {
    if let Some(s) = Service::ALL.iter().copied().find(|s| s.label() == nom) {
        return Some(s);
    }
    thematiques.iter().find_map(|t| match t.as_str() {
        "numerique--acceder-a-des-services-en-ligne" => Some(Service::AdministrativeProcedures),
        "numerique--acceder-a-une-connexion-internet" => Some(Service::InternetAccess),
        "numerique--acquerir-un-equipement" => Some(Service::SolidarityEquipment),
        "numerique--maitriser-les-fondamentaux-du-numerique" | "numerique" => {
            Some(Service::EverydayTools)
        }
        _ => None,
    })
}

/// Publics of the standard and their data·inclusion value.
const PUBLICS: [(Public, &str); 5] = [
    (Public::Youth, "jeunes"),
    (Public::Students, "etudiants"),
    (Public::Families, "familles"),
    (Public::Seniors, "seniors"),
    (Public::Women, "femmes"),
];

/// Access modes of the standard and the data·inclusion mode of mobilisation.
const ACCESS_MODES: [(AccessMode, &str); 5] = [
    (AccessMode::WalkIn, "se-presenter"),
    (AccessMode::Phone, "telephoner"),
    (AccessMode::Email, "envoyer-un-courriel"),
    (AccessMode::Prescription, "envoyer-un-courriel"),
    (AccessMode::OnlineBooking, "utiliser-lien-mobilisation"),
];

/// National programmes of the standard that are networks of data·inclusion's list.
const NETWORKS: [(NationalProgramme, &str); 7] = [
    (NationalProgramme::AidantsConnect, "aidants-connect"),
    (NationalProgramme::DigitalAdvisors, "conseillers-numeriques"),
    (NationalProgramme::FranceServices, "france-service"),
    (
        NationalProgramme::DigitalSchool,
        "grandes-ecoles-du-numerique",
    ),
    (NationalProgramme::RedCross, "croix-rouge"),
    (NationalProgramme::CafAccessPoint, "caf"),
    (NationalProgramme::EmmausConnect, "emmaus"),
];

/// Disabilities of the standard's specific support: data·inclusion's public
/// « personnes-en-situation-de-handicap ».
const DISABILITIES: [SpecificSupport; 4] = [
    SpecificSupport::Deafness,
    SpecificSupport::MotorDisability,
    SpecificSupport::MentalDisability,
    SpecificSupport::VisualImpairment,
];

// ---------------------------------------------------------------------------------------------
// Export.
// ---------------------------------------------------------------------------------------------

/// Who publishes, and where a place's page is.
#[derive(Debug, Clone)]
pub struct Producer<'a> {
    /// data·inclusion's `source`: the producer's identifier (`maillage-54`).
    pub source: &'a str,
    /// The public address of the site (`https://annuaire.exemple.fr`), for `lien_source`.
    pub public_url: &'a str,
    /// The day of the export: a `date_maj` after it is not accepted by the schema.
    pub today: NaiveDate,
}

/// The files of an export, with what could not be written.
#[derive(Debug, Clone, Default)]
pub struct Export {
    pub structures: Vec<Structure>,
    pub services: Vec<DiService>,
    /// Places left out, and values left out of a written place, in French.
    pub notes: Vec<String>,
}

impl Export {
    /// `structures.json`: a JSON array, one structure per line.
    pub fn structures_json(&self) -> Result<Vec<u8>, StandardError> {
        json_lines(&self.structures)
    }

    /// `services.json`: a JSON array, one service per line.
    pub fn services_json(&self) -> Result<Vec<u8>, StandardError> {
        json_lines(&self.services)
    }
}

fn json_lines<T: Serialize>(items: &[T]) -> Result<Vec<u8>, StandardError> {
    let mut out = b"[".to_vec();
    for (i, item) in items.iter().enumerate() {
        out.extend_from_slice(if i == 0 { b"\n" } else { b",\n" });
        serde_json::to_writer(&mut out, item)?;
    }
    out.extend_from_slice(b"\n]\n");
    Ok(out)
}

/// The directory as data·inclusion structures and services. Each place comes with the day its
/// record was last written in the directory: `date_maj` is the place's own date of update when
/// the schema accepts it (from 2000 to today), else that day — real files carry
/// `1970-01-01` for « unknown », which data·inclusion refuses.
pub fn export<'p>(
    places: impl IntoIterator<Item = (&'p Place, Option<NaiveDate>)>,
    producer: &Producer<'_>,
) -> Export {
    let mut out = Export::default();
    let mut left_out = Vec::new();
    let mut dropped = DroppedValues::default();
    for (place, recorded) in places {
        match structure_of(place, recorded, producer, &mut dropped) {
            Some(structure) => {
                out.services
                    .extend(services_of(place, &structure, &mut dropped));
                out.structures.push(structure);
            }
            None => left_out.push(place.id.as_str()),
        }
    }
    if !left_out.is_empty() {
        out.notes.push(format!(
            "{} lieu(x) non exporté(s) : nom de moins de 3 ou de plus de 150 caractères, ou sans date de mise à jour acceptée (de 2000 à aujourd'hui) ({})",
            left_out.len(),
            abbreviated(&left_out)
        ));
    }
    out.notes.extend(dropped.notes());
    out
}

/// Values of written places that the schema would refuse, counted by field.
#[derive(Debug, Default)]
struct DroppedValues(HashMap<&'static str, usize>);

impl DroppedValues {
    fn keep<T>(
        &mut self,
        field: &'static str,
        value: Option<T>,
        valid: impl Fn(&T) -> bool,
    ) -> Option<T> {
        match value {
            Some(v) if valid(&v) => Some(v),
            Some(_) => {
                *self.0.entry(field).or_default() += 1;
                None
            }
            None => None,
        }
    }

    fn notes(&self) -> Vec<String> {
        let mut fields: Vec<_> = self.0.iter().collect();
        fields.sort();
        fields
            .into_iter()
            .map(|(field, n)| {
                format!("{n} valeur(s) du champ « {field} » non exportée(s) : refusées par le schéma data·inclusion")
            })
            .collect()
    }
}

fn abbreviated(ids: &[&str]) -> String {
    let shown: Vec<&str> = ids.iter().take(5).copied().collect();
    if ids.len() > shown.len() {
        format!("{}…", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

fn structure_of(
    place: &Place,
    recorded: Option<NaiveDate>,
    producer: &Producer<'_>,
    dropped: &mut DroppedValues,
) -> Option<Structure> {
    let nom = place.name.trim().trim_end_matches('.').trim();
    let oldest = NaiveDate::from_ymd_opt(2000, 1, 1)?;
    let accepted = |d: &NaiveDate| (oldest..=producer.today).contains(d);
    let date_maj = Some(place.updated_on)
        .filter(accepted)
        .or(recorded.filter(accepted))?;
    if !(3..=150).contains(&nom.chars().count()) {
        return None;
    }
    let description = place
        .description
        .as_deref()
        .or(place.summary.as_deref())
        .map(str::trim)
        .filter(|d| (5..=10_000).contains(&d.chars().count()))
        .map(str::to_string);
    let mut networks: Vec<String> = NETWORKS
        .iter()
        .filter(|(p, _)| place.national_programmes.contains(p))
        .map(|(_, n)| n.to_string())
        .collect();
    if place
        .training_labels
        .contains(&TrainingLabel::FabriquesDeTerritoire)
    {
        networks.push("fabrique-de-territoire".into());
    }
    if place.typologies.iter().any(|t| t == "CCAS" || t == "CIAS") {
        networks.push("ccas-cias".into());
    }
    networks.sort();
    networks.dedup();
    Some(Structure {
        source: producer.source.to_string(),
        id: place.id.clone(),
        nom: nom.to_string(),
        date_maj,
        description,
        lien_source: page_of(place, producer),
        // A SIREN or an RNA is not a SIRET: data·inclusion has no field for them.
        siret: dropped.keep(
            "siret",
            Some(place.pivot.clone()).filter(|_| !place.pivot_is_unknown()),
            |p| p.len() == 14 && p.bytes().all(|b| b.is_ascii_digit()),
        ),
        address: address_of(place, dropped),
        telephone: place.phone.clone().filter(|p| !p.trim().is_empty()),
        courriel: dropped.keep("courriel", place.emails.first().cloned(), |e| is_email(e)),
        site_web: dropped.keep("site_web", place.websites.first().cloned(), |u| {
            is_http_url(u)
        }),
        horaires_accueil: opening_hours_of(place),
        accessibilite_lieu: dropped.keep(
            "accessibilite_lieu",
            place.accessibility_url.clone(),
            |u| is_http_url(u),
        ),
        reseaux_porteurs: (!networks.is_empty()).then_some(networks),
    })
}

fn page_of(place: &Place, producer: &Producer<'_>) -> Option<String> {
    let base = producer.public_url.trim_end_matches('/');
    let url = format!("{base}/lieux/{}", place.id);
    is_http_url(&url).then_some(url)
}

fn opening_hours_of(place: &Place) -> Option<String> {
    place
        .opening_hours
        .clone()
        .filter(|h| place.opening_hours_valid && !h.trim().is_empty())
}

fn address_of(place: &Place, dropped: &mut DroppedValues) -> Address {
    let text = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    Address {
        commune: text(&place.commune),
        code_postal: dropped.keep("code_postal", text(&place.postcode), |c| {
            c.len() == 5 && c.bytes().all(|b| b.is_ascii_digit())
        }),
        code_insee: dropped.keep("code_insee", place.insee_code.clone(), |c| {
            c.len() == 5 && c.chars().all(|ch| ch.is_ascii_alphanumeric())
        }),
        adresse: text(&place.address),
        complement_adresse: place.address_complement.as_deref().and_then(text),
        longitude: place
            .location
            .map(|l| l.lon)
            .filter(|v| v.is_finite() && (-180.0..=180.0).contains(v)),
        latitude: place
            .location
            .map(|l| l.lat)
            .filter(|v| v.is_finite() && (-90.0..=90.0).contains(v)),
    }
}

fn services_of(
    place: &Place,
    structure: &Structure,
    dropped: &mut DroppedValues,
) -> Vec<DiService> {
    let (frais, frais_precisions) = fees_of(&place.fees);
    let (publics, publics_precisions) = publics_of(place);
    let modes_accueil = modes_accueil_of(place);
    let booking = dropped.keep("lien_mobilisation", place.booking_url.clone(), |u| {
        is_http_url(u)
    });
    let mut modes_mobilisation: Vec<String> = ACCESS_MODES
        .iter()
        .filter(|(m, _)| place.access_modes.contains(m))
        .filter(|(m, _)| *m != AccessMode::OnlineBooking || booking.is_some())
        .map(|(_, v)| v.to_string())
        .collect();
    modes_mobilisation.dedup();
    let mut mobilisable_par = Vec::new();
    let public_access = place
        .access_modes
        .iter()
        .any(|m| !matches!(m, AccessMode::Prescription | AccessMode::NoPublic));
    if public_access || place.access_modes.is_empty() {
        mobilisable_par.push("usagers".to_string());
    }
    if place.access_modes.contains(&AccessMode::Prescription)
        || place.access_modes.contains(&AccessMode::NoPublic)
    {
        mobilisable_par.push("professionnels".to_string());
    }
    let zone = place
        .insee_code
        .as_deref()
        .and_then(departement_of_insee)
        .map(|d| vec![d.to_string()]);
    place
        .services
        .iter()
        .map(|&service| DiService {
            source: structure.source.clone(),
            structure_id: structure.id.clone(),
            id: format!("{}--{}", structure.id, service.slug()),
            nom: service.label().to_string(),
            description: service_description(place, service, &structure.nom),
            lien_source: structure.lien_source.clone(),
            date_maj: structure.date_maj,
            kind: Some(kind_of(service, &place.support_modes).to_string()),
            thematiques: Some(
                thematiques_of(service)
                    .iter()
                    .map(|t| t.to_string())
                    .collect(),
            ),
            frais: frais.clone(),
            frais_precisions: frais_precisions.clone(),
            publics: Some(publics.clone()),
            publics_precisions: publics_precisions.clone(),
            address: structure.address.clone(),
            telephone: structure.telephone.clone(),
            courriel: structure.courriel.clone(),
            modes_accueil: (!modes_accueil.is_empty()).then(|| modes_accueil.clone()),
            zone_eligibilite: zone.clone(),
            lien_mobilisation: booking.clone(),
            modes_mobilisation: (!modes_mobilisation.is_empty())
                .then(|| modes_mobilisation.clone()),
            mobilisable_par: (!mobilisable_par.is_empty()).then(|| mobilisable_par.clone()),
            horaires_accueil: structure.horaires_accueil.clone(),
        })
        .collect()
}

/// The service's description in plain French: the help, where, and how it is given.
fn service_description(place: &Place, service: Service, name: &str) -> String {
    let mut text = format!("{} à {name} ({}).", service.label(), place.commune.trim());
    let modes: Vec<&str> = place
        .support_modes
        .iter()
        .map(|m| match m {
            SupportMode::Autonomous => "en autonomie",
            SupportMode::Individual => "en accompagnement individuel",
            SupportMode::Workshop => "en atelier collectif",
            SupportMode::Remote => "à distance",
        })
        .collect();
    if !modes.is_empty() {
        text.push_str(&format!(" Proposé {}.", modes.join(", ")));
    }
    if let Some(summary) = place
        .summary
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        text.push(' ');
        text.push_str(summary);
    }
    text.chars().take(10_000).collect()
}

/// data·inclusion's type of service: equipment is material help; otherwise the form of
/// support the place offers (individual first, then workshops), else information.
fn kind_of(service: Service, modes: &[SupportMode]) -> &'static str {
    match service {
        Service::SolidarityEquipment | Service::InternetAccess => "aide-materielle",
        _ if modes.contains(&SupportMode::Individual) => "accompagnement",
        _ if modes.contains(&SupportMode::Workshop) => "atelier",
        _ => "information",
    }
}

fn fees_of(fees: &[Fee]) -> (Option<String>, Option<String>) {
    let free = fees.contains(&Fee::Free);
    let conditional = fees.contains(&Fee::FreeUnderCondition);
    let paid = fees.contains(&Fee::Paid);
    match (free || conditional, paid) {
        (true, true) => (
            Some("gratuit".into()),
            Some("Gratuit ou payant selon la prestation.".into()),
        ),
        (true, false) if conditional && !free => (
            Some("gratuit".into()),
            Some("Gratuit sous condition.".into()),
        ),
        (true, false) => (Some("gratuit".into()), None),
        (false, true) => (Some("payant".into()), None),
        (false, false) => (None, None),
    }
}

fn publics_of(place: &Place) -> (Vec<String>, Option<String>) {
    let mut publics: Vec<String> = PUBLICS
        .iter()
        .filter(|(p, _)| place.publics.contains(p))
        .map(|(_, v)| v.to_string())
        .collect();
    if place
        .specific_support
        .iter()
        .any(|s| DISABILITIES.contains(s))
    {
        publics.push("personnes-en-situation-de-handicap".into());
    }
    if publics.is_empty() {
        publics.push("tous-publics".into());
    }
    let precisions = (!place.specific_support.is_empty()).then(|| {
        let labels: Vec<&str> = place.specific_support.iter().map(|s| s.label()).collect();
        format!("Prise en charge spécifique : {}.", labels.join(", "))
    });
    (publics, precisions)
}

fn modes_accueil_of(place: &Place) -> Vec<String> {
    let mut modes = Vec::new();
    let on_site = place
        .support_modes
        .iter()
        .any(|m| *m != SupportMode::Remote)
        || place.access_modes.contains(&AccessMode::WalkIn);
    if place.support_modes.contains(&SupportMode::Remote) {
        modes.push("a-distance".to_string());
    }
    if on_site {
        modes.push("en-presentiel".to_string());
    }
    modes
}

/// An address pydantic's `EmailStr` accepts (RFC 5322 shape, a domain of letters, digits and
/// hyphens with an alphabetic top level).
fn is_email(value: &str) -> bool {
    let Some((local, domain)) = value.rsplit_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()));
    local_ok && domain_ok
}

/// An address pydantic's `HttpUrl` accepts: http(s), a host, at most 2,083 characters.
fn is_http_url(value: &str) -> bool {
    value.len() <= 2_083
        && url::Url::parse(value).is_ok_and(|u| {
            matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty())
        })
}

// ---------------------------------------------------------------------------------------------
// Reading.
// ---------------------------------------------------------------------------------------------

/// Structures and services of data·inclusion read into records of the standard, one per
/// structure that offers digital help (its position is its rank in `structures.json`).
/// Structures without a digital service are left out and counted in the notes: data·inclusion
/// covers all of social inclusion, Maillage's directory only digital mediation.
pub fn read(structures: &[u8], services: &[u8]) -> Result<SourceFile, StandardError> {
    let structures = array_of(structures, "structures.json")?;
    let services = array_of(services, "services.json")?;
    let mut notes = Vec::new();
    let mut by_structure: HashMap<String, Vec<&serde_json::Map<String, Value>>> = HashMap::new();
    let ids: std::collections::HashSet<String> = structures
        .iter()
        .filter_map(|s| s.as_object())
        .filter_map(|s| text(s, "id"))
        .collect();
    let mut orphans: Vec<String> = Vec::new();
    for (i, service) in services.iter().enumerate() {
        let Some(obj) = service.as_object() else {
            notes.push(format!(
                "services.json, enregistrement {} : ce n'est pas un objet JSON, ignoré",
                i + 1
            ));
            continue;
        };
        match text(obj, "structure_id") {
            Some(id) if ids.contains(&id) => by_structure.entry(id).or_default().push(obj),
            _ => orphans.push((i + 1).to_string()),
        }
    }
    if !orphans.is_empty() {
        notes.push(format!(
            "services.json : {} service(s) sans structure connue dans structures.json (enregistrement(s) {}) : ignoré(s)",
            orphans.len(),
            abbreviated(&orphans.iter().map(String::as_str).collect::<Vec<_>>())
        ));
    }
    let mut records = Vec::new();
    let mut not_digital = 0usize;
    for (i, structure) in structures.iter().enumerate() {
        let position = Position::Record(i + 1);
        let Some(obj) = structure.as_object() else {
            // An empty record: the validation names what it lacks, at its position.
            records.push(SourceRecord::from_pairs(position, Vec::new()));
            continue;
        };
        let own = text(obj, "id")
            .and_then(|id| by_structure.get(&id))
            .map(Vec::as_slice)
            .unwrap_or_default();
        match record_of(obj, own, position) {
            Some(record) => records.push(record),
            None => not_digital += 1,
        }
    }
    if not_digital > 0 {
        notes.push(format!(
            "{not_digital} structure(s) sans service numérique (thématique « numerique… ») laissée(s) de côté : l'annuaire ne recense que la médiation numérique"
        ));
    }
    Ok(SourceFile {
        format: Format::Json,
        version: Version::V1,
        records,
        notes,
    })
}

fn array_of(bytes: &[u8], name: &str) -> Result<Vec<Value>, StandardError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Array(items)) => Ok(items),
        Ok(_) => Err(StandardError::Unreadable(format!(
            "{name} : un tableau JSON d'objets est attendu"
        ))),
        Err(e) => Err(StandardError::Unreadable(format!(
            "{name}, ligne {}, colonne {} : JSON mal formé ({e})",
            e.line(),
            e.column()
        ))),
    }
}

/// A field as text: strings trimmed, numbers written out; `null` and blanks are absent.
fn text(obj: &serde_json::Map<String, Value>, key: &str) -> Option<String> {
    match obj.get(key)? {
        Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A list field: an array of strings, or one string.
fn list(obj: &serde_json::Map<String, Value>, key: &str) -> Vec<String> {
    match obj.get(key) {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str())
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
        Some(Value::String(s)) => s
            .split([',', '|'])
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
        _ => Vec::new(),
    }
}

fn record_of(
    structure: &serde_json::Map<String, Value>,
    services: &[&serde_json::Map<String, Value>],
    position: Position,
) -> Option<SourceRecord> {
    let mut kinds = BTreeSet::new();
    let mut fees = BTreeSet::new();
    let mut publics = BTreeSet::new();
    let mut access = BTreeSet::new();
    let mut support = BTreeSet::new();
    let mut booking = None;
    let mut phone = None;
    let mut email = None;
    for s in services {
        let thematiques = list(s, "thematiques");
        let Some(kind) = service_of(&text(s, "nom").unwrap_or_default(), &thematiques) else {
            continue;
        };
        kinds.insert(kind);
        match text(s, "frais").as_deref() {
            Some("gratuit") => {
                // The precisions Maillage writes (« Gratuit sous condition. », « Gratuit ou
                // payant selon la prestation. ») are read back.
                let precisions = text(s, "frais_precisions")
                    .unwrap_or_default()
                    .to_lowercase();
                fees.insert(if precisions.contains("sous condition") {
                    Fee::FreeUnderCondition
                } else {
                    Fee::Free
                });
                if precisions.contains("ou payant") {
                    fees.insert(Fee::Paid);
                }
            }
            Some("payant") => {
                fees.insert(Fee::Paid);
            }
            _ => {}
        }
        for p in list(s, "publics") {
            if let Some((public, _)) = PUBLICS.iter().find(|(_, v)| *v == p) {
                publics.insert(*public);
            }
        }
        for m in list(s, "modes_mobilisation") {
            match m.as_str() {
                "se-presenter" => {
                    access.insert(AccessMode::WalkIn);
                }
                "telephoner" => {
                    access.insert(AccessMode::Phone);
                }
                "envoyer-un-courriel" => {
                    access.insert(AccessMode::Email);
                }
                "utiliser-lien-mobilisation" => {
                    access.insert(AccessMode::OnlineBooking);
                }
                _ => {}
            }
        }
        if list(s, "mobilisable_par") == ["professionnels"] && access.contains(&AccessMode::Email) {
            access.remove(&AccessMode::Email);
            access.insert(AccessMode::Prescription);
        }
        match text(s, "type").as_deref() {
            Some("atelier" | "formation") => {
                support.insert(SupportMode::Workshop);
            }
            Some("accompagnement") => {
                support.insert(SupportMode::Individual);
            }
            Some("aide-materielle") if kind == Service::InternetAccess => {
                support.insert(SupportMode::Autonomous);
            }
            _ => {}
        }
        if list(s, "modes_accueil").iter().any(|m| m == "a-distance") {
            support.insert(SupportMode::Remote);
        }
        booking = booking.or_else(|| text(s, "lien_mobilisation"));
        phone = phone.or_else(|| text(s, "telephone"));
        email = email.or_else(|| text(s, "courriel"));
    }
    if kinds.is_empty() {
        return None;
    }
    let joined = |labels: Vec<&str>| labels.join("|");
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut put = |name: &str, value: Option<String>| {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            fields.push((name.to_string(), v));
        }
    };
    put("id", text(structure, "id"));
    put("nom", text(structure, "nom"));
    // data·inclusion's SIRET is optional: the standard's placeholder says « unknown ».
    put(
        "pivot",
        text(structure, "siret").or_else(|| Some(maillage_domain::fields::UNKNOWN_PIVOT.into())),
    );
    put("commune", text(structure, "commune"));
    put("code_postal", text(structure, "code_postal"));
    put("code_insee", text(structure, "code_insee"));
    put("adresse", text(structure, "adresse"));
    put("complement_adresse", text(structure, "complement_adresse"));
    put("latitude", text(structure, "latitude"));
    put("longitude", text(structure, "longitude"));
    put("telephone", text(structure, "telephone").or(phone));
    put("courriels", text(structure, "courriel").or(email));
    put("site_web", text(structure, "site_web"));
    put("horaires", text(structure, "horaires_accueil"));
    put("presentation_detail", text(structure, "description"));
    put("source", text(structure, "source"));
    put("date_maj", text(structure, "date_maj"));
    put("fiche_acces_libre", text(structure, "accessibilite_lieu"));
    put("prise_rdv", booking);
    put(
        "dispositif_programmes_nationaux",
        Some(joined(
            NETWORKS
                .iter()
                .filter(|(_, n)| list(structure, "reseaux_porteurs").iter().any(|r| r == n))
                .map(|(p, _)| p.label())
                .collect(),
        )),
    );
    put(
        "services",
        Some(joined(kinds.iter().map(|k| k.label()).collect())),
    );
    put(
        "frais_a_charge",
        Some(joined(fees.iter().map(|f| f.label()).collect())),
    );
    put(
        "publics_specifiquement_adresses",
        Some(joined(publics.iter().map(|p| p.label()).collect())),
    );
    put(
        "modalites_acces",
        Some(joined(access.iter().map(|a| a.label()).collect())),
    );
    put(
        "modalites_accompagnement",
        Some(joined(support.iter().map(|m| m.label()).collect())),
    );
    Some(SourceRecord::from_pairs(position, fields))
}
