//! The place (« lieu de médiation numérique »): every field of the standard v1.0.2, plus what
//! the field's directory template adds. [`RawPlace`] is the standard's text form (one string per
//! field, as in a CSV row or a form); [`RawPlace::validate`] is the one path that turns text
//! into a [`Place`], used by imports, forms and the API alike.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::fields::{self, Repaired, UNKNOWN_PIVOT};
use crate::geo::{CoordinateCheck, GeoPoint, check_coordinates};
use crate::hours::{HoursCheck, with_checked_hours};
use crate::vocab::*;

/// Maximum length of `presentation_resume` in the standard v1.
pub const SUMMARY_MAX_CHARS: usize = 280;

/// The 32 fields of the standard v1.0.2, in the order of the schema (the CSV column order).
pub const STANDARD_FIELDS: [&str; 32] = [
    "id",
    "pivot",
    "nom",
    "commune",
    "code_postal",
    "code_insee",
    "adresse",
    "complement_adresse",
    "latitude",
    "longitude",
    "typologie",
    "telephone",
    "courriels",
    "site_web",
    "horaires",
    "presentation_resume",
    "presentation_detail",
    "source",
    "itinerance",
    "structure_parente",
    "date_maj",
    "services",
    "publics_specifiquement_adresses",
    "prise_en_charge_specifique",
    "frais_a_charge",
    "dispositif_programmes_nationaux",
    "formations_labels",
    "autres_formations_labels",
    "modalites_acces",
    "modalites_accompagnement",
    "fiche_acces_libre",
    "prise_rdv",
];

/// A contact person for the directory (referent), shown to helpers only.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Referent {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// What the field's directory template adds to the standard (seed `002_…`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DirectoryExtras {
    #[serde(default)]
    pub mediation_forms: Vec<MediationForm>,
    #[serde(default)]
    pub intervention_domains: Vec<InterventionDomain>,
    /// What the structure does not do (« n'intervient pas sur le budget »).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<String>,
    /// Public and access conditions in free text, beside the standard's lists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_conditions: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referent: Option<Referent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_free_access: Option<bool>,
    /// Contribution asked (« adhésion 5 € / an »).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contribution: Option<String>,
}

/// A place of the directory, validated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Place {
    /// Maillage's identifier (exported as `id`).
    pub id: String,
    pub pivot: String,
    pub name: String,
    pub commune: String,
    pub postcode: String,
    pub insee_code: Option<String>,
    pub address: String,
    pub address_complement: Option<String>,
    pub location: Option<GeoPoint>,
    pub typologies: Vec<String>,
    pub phone: Option<String>,
    pub emails: Vec<String>,
    pub websites: Vec<String>,
    /// Raw `horaires`, kept even when invalid.
    pub opening_hours: Option<String>,
    pub opening_hours_valid: bool,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub source: Option<String>,
    pub mobility: Vec<Mobility>,
    pub parent_structure: Option<String>,
    pub updated_on: NaiveDate,
    pub services: Vec<Service>,
    pub publics: Vec<Public>,
    pub specific_support: Vec<SpecificSupport>,
    pub fees: Vec<Fee>,
    pub national_programmes: Vec<NationalProgramme>,
    pub training_labels: Vec<TrainingLabel>,
    pub other_labels: Option<String>,
    pub access_modes: Vec<AccessMode>,
    pub support_modes: Vec<SupportMode>,
    pub accessibility_url: Option<String>,
    pub booking_url: Option<String>,
    #[serde(default)]
    pub extras: DirectoryExtras,
}

impl Place {
    /// A place with its required fields only (forms, demo data, tests fill in the rest).
    pub fn new(
        id: impl Into<String>,
        name: impl Into<String>,
        address: impl Into<String>,
        postcode: impl Into<String>,
        commune: impl Into<String>,
        updated_on: NaiveDate,
    ) -> Self {
        Place {
            id: id.into(),
            pivot: UNKNOWN_PIVOT.to_string(),
            name: name.into(),
            commune: commune.into(),
            postcode: postcode.into(),
            insee_code: None,
            address: address.into(),
            address_complement: None,
            location: None,
            typologies: Vec::new(),
            phone: None,
            emails: Vec::new(),
            websites: Vec::new(),
            opening_hours: None,
            opening_hours_valid: true,
            summary: None,
            description: None,
            source: None,
            mobility: Vec::new(),
            parent_structure: None,
            updated_on,
            services: Vec::new(),
            publics: Vec::new(),
            specific_support: Vec::new(),
            fees: Vec::new(),
            national_programmes: Vec::new(),
            training_labels: Vec::new(),
            other_labels: None,
            access_modes: Vec::new(),
            support_modes: Vec::new(),
            accessibility_url: None,
            booking_url: None,
            extras: DirectoryExtras::default(),
        }
    }

    /// Département (from the INSEE code, else from the postcode).
    pub fn departement(&self) -> Option<String> {
        departement_of(self.insee_code.as_deref(), &self.postcode)
    }

    /// Whether the pivot is the « unknown » placeholder.
    pub fn pivot_is_unknown(&self) -> bool {
        self.pivot == UNKNOWN_PIVOT
    }

    /// The standard's text form of this place (exports, forms).
    pub fn to_raw(&self) -> RawPlace {
        fn join<V: Vocabulary>(values: &[V]) -> Option<String> {
            (!values.is_empty()).then(|| {
                values
                    .iter()
                    .map(|v| v.label())
                    .collect::<Vec<_>>()
                    .join("|")
            })
        }
        fn join_str(values: &[String]) -> Option<String> {
            (!values.is_empty()).then(|| values.join("|"))
        }
        RawPlace {
            id: Some(self.id.clone()),
            pivot: Some(self.pivot.clone()),
            nom: Some(self.name.clone()),
            commune: Some(self.commune.clone()),
            code_postal: Some(self.postcode.clone()),
            code_insee: self.insee_code.clone(),
            adresse: Some(self.address.clone()),
            complement_adresse: self.address_complement.clone(),
            latitude: self.location.map(|p| format_coordinate(p.lat)),
            longitude: self.location.map(|p| format_coordinate(p.lon)),
            typologie: join_str(&self.typologies),
            telephone: self.phone.clone(),
            courriels: join_str(&self.emails),
            site_web: join_str(&self.websites),
            horaires: self.opening_hours.clone(),
            presentation_resume: self.summary.clone(),
            presentation_detail: self.description.clone(),
            source: self.source.clone(),
            itinerance: join(&self.mobility),
            structure_parente: self.parent_structure.clone(),
            date_maj: Some(self.updated_on.format("%Y-%m-%d").to_string()),
            services: join(&self.services),
            publics_specifiquement_adresses: join(&self.publics),
            prise_en_charge_specifique: join(&self.specific_support),
            frais_a_charge: join(&self.fees),
            dispositif_programmes_nationaux: join(&self.national_programmes),
            formations_labels: join(&self.training_labels),
            autres_formations_labels: self.other_labels.clone(),
            modalites_acces: join(&self.access_modes),
            modalites_accompagnement: join(&self.support_modes),
            fiche_acces_libre: self.accessibility_url.clone(),
            prise_rdv: self.booking_url.clone(),
        }
    }
}

/// Coordinates keep 6 decimals (about 10 cm), enough and stable across round trips.
pub fn format_coordinate(v: f64) -> String {
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

/// A place's département: its INSEE code's, else its postcode's.
pub fn departement_of(insee_code: Option<&str>, postcode: &str) -> Option<String> {
    match insee_code {
        Some(code) => fields::departement_of_insee(code).map(str::to_string),
        None => departement_of_postcode(postcode),
    }
}

/// Département of a postcode (approximation used only when the INSEE code is unknown).
pub fn departement_of_postcode(postcode: &str) -> Option<String> {
    let p = postcode.get(0..5)?;
    if !p.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some(match &p[0..2] {
        "97" | "98" => p[0..3].to_string(),
        "20" => {
            // Corse: 200xx-201xx → 2A, 202xx-206xx → 2B.
            if p < "20200" {
                "2A".into()
            } else {
                "2B".into()
            }
        }
        d => d.to_string(),
    })
}

/// The standard's text form: one optional string per field, named as in the schema.
///
/// Its texts are owned (`String`, for forms, the API and the readers of other schemas), or
/// borrowed from the record they were read from (`Cow<str>`: a file's check copies only the
/// values it repairs).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RawPlace<S = String> {
    pub id: Option<S>,
    pub pivot: Option<S>,
    pub nom: Option<S>,
    pub commune: Option<S>,
    pub code_postal: Option<S>,
    pub code_insee: Option<S>,
    pub adresse: Option<S>,
    pub complement_adresse: Option<S>,
    pub latitude: Option<S>,
    pub longitude: Option<S>,
    pub typologie: Option<S>,
    pub telephone: Option<S>,
    pub courriels: Option<S>,
    pub site_web: Option<S>,
    pub horaires: Option<S>,
    pub presentation_resume: Option<S>,
    pub presentation_detail: Option<S>,
    pub source: Option<S>,
    pub itinerance: Option<S>,
    pub structure_parente: Option<S>,
    pub date_maj: Option<S>,
    pub services: Option<S>,
    pub publics_specifiquement_adresses: Option<S>,
    pub prise_en_charge_specifique: Option<S>,
    pub frais_a_charge: Option<S>,
    pub dispositif_programmes_nationaux: Option<S>,
    pub formations_labels: Option<S>,
    pub autres_formations_labels: Option<S>,
    pub modalites_acces: Option<S>,
    pub modalites_accompagnement: Option<S>,
    pub fiche_acces_libre: Option<S>,
    pub prise_rdv: Option<S>,
}

impl<S> RawPlace<S> {
    /// Sets a field by its standard name; returns false for an unknown name.
    pub fn set(&mut self, field: &str, value: S) -> bool {
        match STANDARD_FIELDS.iter().position(|f| *f == field) {
            Some(i) => self.set_nth(i, value),
            None => false,
        }
    }

    /// Sets the `i`-th field of [`STANDARD_FIELDS`] (a reader that knows its columns' fields
    /// once for all its records); returns false past the last.
    pub fn set_nth(&mut self, i: usize, value: S) -> bool {
        match self.slot_mut(i) {
            Some(slot) => {
                *slot = Some(value);
                true
            }
            None => false,
        }
    }

    /// The `i`-th field, in the order of [`STANDARD_FIELDS`].
    fn slot_mut(&mut self, i: usize) -> Option<&mut Option<S>> {
        Some(match i {
            0 => &mut self.id,
            1 => &mut self.pivot,
            2 => &mut self.nom,
            3 => &mut self.commune,
            4 => &mut self.code_postal,
            5 => &mut self.code_insee,
            6 => &mut self.adresse,
            7 => &mut self.complement_adresse,
            8 => &mut self.latitude,
            9 => &mut self.longitude,
            10 => &mut self.typologie,
            11 => &mut self.telephone,
            12 => &mut self.courriels,
            13 => &mut self.site_web,
            14 => &mut self.horaires,
            15 => &mut self.presentation_resume,
            16 => &mut self.presentation_detail,
            17 => &mut self.source,
            18 => &mut self.itinerance,
            19 => &mut self.structure_parente,
            20 => &mut self.date_maj,
            21 => &mut self.services,
            22 => &mut self.publics_specifiquement_adresses,
            23 => &mut self.prise_en_charge_specifique,
            24 => &mut self.frais_a_charge,
            25 => &mut self.dispositif_programmes_nationaux,
            26 => &mut self.formations_labels,
            27 => &mut self.autres_formations_labels,
            28 => &mut self.modalites_acces,
            29 => &mut self.modalites_accompagnement,
            30 => &mut self.fiche_acces_libre,
            31 => &mut self.prise_rdv,
            _ => return None,
        })
    }
}

impl<S: AsRef<str>> RawPlace<S> {
    /// Gets a field by its standard name.
    pub fn get(&self, field: &str) -> Option<&str> {
        let v = match field {
            "id" => &self.id,
            "pivot" => &self.pivot,
            "nom" => &self.nom,
            "commune" => &self.commune,
            "code_postal" => &self.code_postal,
            "code_insee" => &self.code_insee,
            "adresse" => &self.adresse,
            "complement_adresse" => &self.complement_adresse,
            "latitude" => &self.latitude,
            "longitude" => &self.longitude,
            "typologie" => &self.typologie,
            "telephone" => &self.telephone,
            "courriels" => &self.courriels,
            "site_web" => &self.site_web,
            "horaires" => &self.horaires,
            "presentation_resume" => &self.presentation_resume,
            "presentation_detail" => &self.presentation_detail,
            "source" => &self.source,
            "itinerance" => &self.itinerance,
            "structure_parente" => &self.structure_parente,
            "date_maj" => &self.date_maj,
            "services" => &self.services,
            "publics_specifiquement_adresses" => &self.publics_specifiquement_adresses,
            "prise_en_charge_specifique" => &self.prise_en_charge_specifique,
            "frais_a_charge" => &self.frais_a_charge,
            "dispositif_programmes_nationaux" => &self.dispositif_programmes_nationaux,
            "formations_labels" => &self.formations_labels,
            "autres_formations_labels" => &self.autres_formations_labels,
            "modalites_acces" => &self.modalites_acces,
            "modalites_accompagnement" => &self.modalites_accompagnement,
            "fiche_acces_libre" => &self.fiche_acces_libre,
            "prise_rdv" => &self.prise_rdv,
            _ => return None,
        };
        v.as_ref().map(AsRef::as_ref)
    }
}

/// A problem with one field's value: why it was refused (error) or what was repaired (warning).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldIssue {
    pub field: String,
    pub value: String,
    pub reason: String,
}

/// Outcome of validating a [`RawPlace`].
#[derive(Debug, Clone, Default)]
pub struct Validation {
    pub errors: Vec<FieldIssue>,
    pub warnings: Vec<FieldIssue>,
}

/// A commune of the official referential.
#[derive(Debug, Clone, PartialEq)]
pub struct CommuneRef {
    pub insee_code: String,
    pub name: String,
    pub departement: String,
    pub postcodes: Vec<String>,
    pub epci: Option<String>,
    pub population: u32,
    pub centre: Option<GeoPoint>,
}

/// Resolution of communes against the official referential (implemented by the referential
/// adapter; a test double can implement it too).
pub trait CommuneLookup: Send + Sync {
    /// The commune with this INSEE code.
    fn by_code(&self, insee_code: &str) -> Option<&CommuneRef>;
    /// Whether a commune has this INSEE code (what a check asks of a code it is given, which
    /// a referential can answer without reading the commune).
    fn knows(&self, insee_code: &str) -> bool {
        self.by_code(insee_code).is_some()
    }
    /// The commune named so (tolerant spelling), served by this postcode.
    fn resolve(&self, name: &str, postcode: &str) -> Option<&CommuneRef>;
}

/// Known typology codes (reference data; the list grows).
pub trait TypologyCatalog: Send + Sync {
    fn is_known(&self, code: &str) -> bool;
}

/// What validation may consult.
pub struct ValidationContext<'a> {
    pub communes: &'a dyn CommuneLookup,
    pub typologies: &'a dyn TypologyCatalog,
    /// Separator of list fields: `|` in v1, `;` in legacy files.
    pub list_separator: char,
}

struct Checker<'a> {
    v: Validation,
    ctx: &'a ValidationContext<'a>,
}

fn non_empty<S: AsRef<str>>(v: &Option<S>) -> Option<&str> {
    v.as_ref()
        .map(|s| s.as_ref().trim())
        .filter(|s| !s.is_empty())
}

impl Checker<'_> {
    fn error(&mut self, field: &str, value: &str, reason: impl Into<String>) {
        self.v.errors.push(FieldIssue {
            field: field.into(),
            value: value.into(),
            reason: reason.into(),
        });
    }
    fn warn(&mut self, field: &str, value: &str, reason: impl Into<String>) {
        self.v.warnings.push(FieldIssue {
            field: field.into(),
            value: value.into(),
            reason: reason.into(),
        });
    }
    fn required(&mut self, field: &str, value: &Option<impl AsRef<str>>) -> String {
        match non_empty(value) {
            Some(s) => s.to_string(),
            None => {
                self.error(field, "", "champ obligatoire absent");
                String::new()
            }
        }
    }
    fn repaired<T>(&mut self, field: &str, raw: &str, r: Result<Repaired<T>, String>) -> Option<T> {
        match r {
            Ok(Repaired { value, note }) => {
                if let Some(n) = note {
                    self.warn(field, raw, n);
                }
                Some(value)
            }
            Err(reason) => {
                self.error(field, raw, reason);
                None
            }
        }
    }
    fn list<V: Vocabulary>(&mut self, raw: &Option<impl AsRef<str>>) -> Vec<V> {
        let Some(raw) = non_empty(raw) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in split_list(raw, self.ctx.list_separator) {
            match V::parse(item) {
                Some(v) => out.push(v),
                None => self.error(
                    V::FIELD,
                    item,
                    format!(
                        "valeur hors de la liste du standard (valeurs permises : {})",
                        V::ALL
                            .iter()
                            .map(|v| v.label())
                            .collect::<Vec<_>>()
                            .join(" ; ")
                    ),
                ),
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }
    fn text_list(
        &mut self,
        field: &str,
        raw: &Option<impl AsRef<str>>,
        check: fn(&str) -> Result<Repaired<String>, String>,
    ) -> Vec<String> {
        let Some(raw) = non_empty(raw) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        // Real files mix separators in free lists (e-mails, URLs).
        let items: Vec<&str> =
            if self.ctx.list_separator == '|' && raw.contains(';') && !raw.contains('|') {
                split_list(raw, ';').collect()
            } else {
                split_list(raw, self.ctx.list_separator).collect()
            };
        for item in items {
            if let Some(v) = self.repaired(field, item, check(item)) {
                out.push(v);
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

fn optional(v: &Option<impl AsRef<str>>) -> Option<String> {
    non_empty(v).map(str::to_string)
}

fn truncate_at_word(s: &str, max_chars: usize) -> String {
    if s.chars().count() <= max_chars {
        return s.to_string();
    }
    let cut: String = s.chars().take(max_chars - 1).collect();
    let at = cut
        .rfind(' ')
        .filter(|i| *i > max_chars / 2)
        .unwrap_or(cut.len());
    format!("{}…", cut[..at].trim_end())
}

impl<S: AsRef<str>> RawPlace<S> {
    /// Validates and cleans a place. `id` is Maillage's identifier to give the place (imports
    /// decide it from provenance; forms from the URL). Returns the place when there is no error,
    /// and always the full list of errors and warnings.
    pub fn validate(&self, id: &str, ctx: &ValidationContext<'_>) -> (Option<Place>, Validation) {
        let mut c = Checker {
            v: Validation::default(),
            ctx,
        };

        let name = c.required("nom", &self.nom);
        let commune = c.required("commune", &self.commune);
        let address = c.required("adresse", &self.adresse);
        let raw_postcode = c.required("code_postal", &self.code_postal);
        let postcode = if raw_postcode.is_empty() {
            String::new()
        } else {
            c.repaired(
                "code_postal",
                &raw_postcode,
                fields::postcode(&raw_postcode),
            )
            .unwrap_or_default()
        };
        let pivot_raw = self.pivot.as_ref().map_or("", AsRef::as_ref);
        let pivot = c
            .repaired("pivot", pivot_raw, fields::pivot(pivot_raw))
            .unwrap_or_default();

        let updated_on = match non_empty(&self.date_maj) {
            Some(raw) => c.repaired("date_maj", raw, fields::date(raw)),
            None => {
                c.error("date_maj", "", "champ obligatoire absent");
                None
            }
        };

        // INSEE code: checked when given, derived from commune + postcode otherwise.
        let mut insee_code = None;
        if let Some(raw) = non_empty(&self.code_insee) {
            match fields::insee_code(raw) {
                Ok(code) => {
                    if !ctx.communes.knows(&code) {
                        c.warn(
                            "code_insee",
                            raw,
                            "code INSEE absent du référentiel officiel des communes",
                        );
                    }
                    insee_code = Some(code);
                }
                Err(reason) => c.error("code_insee", raw, reason),
            }
        } else if !commune.is_empty() && !postcode.is_empty() {
            match ctx.communes.resolve(&commune, &postcode) {
                Some(found) => insee_code = Some(found.insee_code.clone()),
                None => c.warn(
                    "code_insee",
                    "",
                    format!("code INSEE introuvable pour « {commune} » ({postcode}) dans le référentiel officiel"),
                ),
            }
        }

        let location = match (non_empty(&self.latitude), non_empty(&self.longitude)) {
            (None, None) => None,
            (Some(la), Some(lo)) => {
                // A decimal comma read as a point (copied only then).
                let parse = |s: &str| {
                    if s.contains(',') {
                        s.replace(',', ".").parse::<f64>().ok()
                    } else {
                        s.parse::<f64>().ok()
                    }
                };
                match (parse(la), parse(lo)) {
                    (Some(lat), Some(lon)) => match check_coordinates(lat, lon) {
                        CoordinateCheck::Valid(p) => Some(p),
                        CoordinateCheck::Swapped(p) => {
                            c.warn(
                                "latitude",
                                la,
                                "latitude et longitude inversées : remises dans l'ordre",
                            );
                            Some(p)
                        }
                        CoordinateCheck::OutsideFrance => {
                            c.warn(
                                "latitude",
                                &format!("{la}, {lo}"),
                                "coordonnées hors du territoire français : ignorées",
                            );
                            None
                        }
                    },
                    _ => {
                        c.warn(
                            "latitude",
                            &format!("{la}, {lo}"),
                            "coordonnées non numériques : ignorées",
                        );
                        None
                    }
                }
            }
            (Some(v), None) | (None, Some(v)) => {
                c.warn(
                    "latitude",
                    v,
                    "latitude et longitude vont ensemble : coordonnée seule ignorée",
                );
                None
            }
        };

        let mut typologies = Vec::new();
        if let Some(raw) = non_empty(&self.typologie) {
            for code in split_list(raw, ctx.list_separator) {
                let code = code.to_ascii_uppercase();
                if !ctx.typologies.is_known(&code) {
                    c.warn(
                        "typologie",
                        &code,
                        "typologie inconnue du référentiel : gardée telle quelle",
                    );
                }
                typologies.push(code);
            }
            typologies.sort_unstable();
            typologies.dedup();
        }

        let phone = non_empty(&self.telephone)
            .and_then(|raw| c.repaired("telephone", raw, fields::phone_e164(raw)));
        let emails = c.text_list("courriels", &self.courriels, |s| {
            fields::email(s).map(|value| Repaired { value, note: None })
        });
        let websites = c.text_list("site_web", &self.site_web, fields::url);

        let (opening_hours, opening_hours_valid) = match non_empty(&self.horaires) {
            None => (None, true),
            Some(raw) => with_checked_hours(raw, |check| match check {
                HoursCheck::Valid(_) => (Some(raw.to_string()), true),
                HoursCheck::Repaired { text, note, .. } => {
                    c.warn("horaires", raw, note);
                    (Some(text.clone()), true)
                }
                HoursCheck::Invalid { reason } => {
                    c.warn(
                        "horaires",
                        raw,
                        format!("{reason} : gardées comme texte, signalées à corriger"),
                    );
                    (Some(raw.to_string()), false)
                }
            }),
        };

        let mut summary = optional(&self.presentation_resume);
        let mut description = optional(&self.presentation_detail);
        // (Its bytes first: a summary of no more bytes than the limit has no more characters.)
        if let Some(s) = summary
            .take_if(|s| s.len() > SUMMARY_MAX_CHARS && s.chars().count() > SUMMARY_MAX_CHARS)
        {
            c.warn(
                "presentation_resume",
                &s,
                format!("plus de {SUMMARY_MAX_CHARS} caractères : résumé raccourci, texte complet placé en tête de la présentation détaillée"),
            );
            summary = Some(truncate_at_word(&s, SUMMARY_MAX_CHARS));
            description = Some(match description {
                Some(d) if !d.contains(&s) => format!("{s}\n\n{d}"),
                Some(d) => d,
                None => s,
            });
        }

        let accessibility_url = non_empty(&self.fiche_acces_libre)
            .and_then(|raw| c.repaired("fiche_acces_libre", raw, fields::url(raw)));
        let booking_url = non_empty(&self.prise_rdv)
            .and_then(|raw| c.repaired("prise_rdv", raw, fields::url(raw)));

        let services = c.list::<Service>(&self.services);
        if services.is_empty() {
            c.warn(
                "services",
                "",
                "aucun service : le lieu n'apparaîtra pas comme recevant du public",
            );
        }
        let place = Place {
            id: id.to_string(),
            pivot,
            name,
            commune,
            postcode,
            insee_code,
            address,
            address_complement: optional(&self.complement_adresse),
            location,
            typologies,
            phone,
            emails,
            websites,
            opening_hours,
            opening_hours_valid,
            summary,
            description,
            source: optional(&self.source),
            mobility: c.list(&self.itinerance),
            parent_structure: optional(&self.structure_parente),
            updated_on: updated_on.unwrap_or_default(),
            services,
            publics: c.list(&self.publics_specifiquement_adresses),
            specific_support: c.list(&self.prise_en_charge_specifique),
            fees: c.list(&self.frais_a_charge),
            national_programmes: c.list(&self.dispositif_programmes_nationaux),
            training_labels: c.list(&self.formations_labels),
            other_labels: optional(&self.autres_formations_labels),
            access_modes: c.list(&self.modalites_acces),
            support_modes: c.list(&self.modalites_accompagnement),
            accessibility_url,
            booking_url,
            extras: DirectoryExtras::default(),
        };
        let v = c.v;
        ((v.errors.is_empty()).then_some(place), v)
    }
}

#[cfg(test)]
mod fields_by_rank {
    use super::*;

    /// `set_nth` follows the order of `STANDARD_FIELDS`: each field set by its rank is read back
    /// by its name, and no other is touched.
    #[test]
    fn each_rank_is_its_named_field() {
        for (i, name) in STANDARD_FIELDS.iter().enumerate() {
            let mut raw = RawPlace::default();
            assert!(raw.set_nth(i, format!("valeur {i}")));
            for other in STANDARD_FIELDS {
                let expected = (other == *name).then(|| format!("valeur {i}"));
                assert_eq!(raw.get(other), expected.as_deref(), "{name} / {other}");
            }
            let mut by_name = RawPlace::default();
            assert!(by_name.set(name, format!("valeur {i}")));
            assert_eq!(by_name.get(name), raw.get(name));
        }
        assert!(!RawPlace::<String>::default().set_nth(STANDARD_FIELDS.len(), "x".into()));
        assert!(!RawPlace::<String>::default().set("inconnu", "x".into()));
    }
}

#[cfg(test)]
mod borrowed_texts {
    use std::borrow::Cow;

    use super::*;
    use crate::typology::Typologies;

    /// One commune, for the lookups of a validation.
    struct Nancy(CommuneRef);

    impl CommuneLookup for Nancy {
        fn by_code(&self, code: &str) -> Option<&CommuneRef> {
            (code == self.0.insee_code).then_some(&self.0)
        }
        fn resolve(&self, name: &str, postcode: &str) -> Option<&CommuneRef> {
            (name == self.0.name && self.0.postcodes.iter().any(|p| p == postcode))
                .then_some(&self.0)
        }
    }

    /// A place's texts borrowed from where they were read validate as the same texts owned:
    /// the same place, the same errors and warnings, for places valid, repaired and refused.
    #[test]
    fn borrowed_or_owned_the_place_and_its_issues_are_the_same() {
        let communes = Nancy(CommuneRef {
            insee_code: "54395".into(),
            name: "Nancy".into(),
            departement: "54".into(),
            postcodes: vec!["54000".into()],
            epci: None,
            population: 104_000,
            centre: None,
        });
        let typologies = Typologies::standard();
        let ctx = ValidationContext {
            communes: &communes,
            typologies: &typologies,
            list_separator: '|',
        };
        let places: [&[(&str, &str)]; 4] = [
            &[
                ("id", "lieu-1"),
                ("nom", "Médiathèque"),
                ("commune", "Nancy"),
                ("code_postal", "54000"),
                ("adresse", "1 rue Stanislas"),
                ("date_maj", "2026-11-30"),
                ("services", "Aide aux démarches administratives"),
                ("horaires", "Mo-Fr 09:00-12:00"),
                ("typologie", "BIB|tiers"),
                ("telephone", "03 83 00 00 00"),
                ("latitude", "48,69"),
                ("longitude", "6.18"),
            ],
            &[
                ("nom", " Espace numérique "),
                ("commune", "Nancy"),
                ("code_postal", "54 000"),
                ("adresse", "2 rue"),
                ("date_maj", "30/11/2026"),
                ("courriels", "a@b.fr;c@d.fr"),
                ("pivot", "123"),
                ("presentation_resume", &"mot ".repeat(80)),
                ("horaires", "lundi matin"),
            ],
            &[
                ("nom", "Sans date"),
                ("code_insee", "99999"),
                ("services", "inconnu"),
                ("latitude", "48.69"),
            ],
            &[],
        ];
        let mut outcomes = Vec::new();
        for fields in places {
            let mut owned = RawPlace::<String>::default();
            let mut borrowed = RawPlace::<Cow<str>>::default();
            for (field, value) in fields {
                assert!(owned.set(field, value.to_string()));
                assert!(borrowed.set(field, Cow::Borrowed(value)));
                assert_eq!(borrowed.get(field), owned.get(field));
            }
            let (place, issues) = owned.validate("x", &ctx);
            let (same_place, same_issues) = borrowed.validate("x", &ctx);
            assert_eq!(place, same_place);
            assert_eq!(issues.errors, same_issues.errors);
            assert_eq!(issues.warnings, same_issues.warnings);
            outcomes.push((place.is_some(), issues.errors.len(), issues.warnings.len()));
        }
        // The cases do what they stand for: the first place valid (with repairs), the others
        // refused, each with warnings to compare.
        let valid: Vec<bool> = outcomes.iter().map(|o| o.0).collect();
        assert_eq!(valid, [true, false, false, false], "{outcomes:?}");
        assert!(
            outcomes.iter().all(|(_, _, warnings)| *warnings > 0),
            "{outcomes:?}"
        );
    }
}
