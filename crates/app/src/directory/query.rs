//! The directory's search as people ask it — from the search page, the map, the API, the
//! exports and the command line: one [`PlaceQuery`], read from a query string or built from the
//! command line's options, checked value by value (an unknown value is named in a French
//! message), and the [`SearchQuery`] the index runs.

use chrono::NaiveDateTime;
use maillage_domain::vocab::{
    AccessMode, Fee, MediationForm, Mobility, NationalProgramme, Public, Service, SpecificSupport,
    SupportMode, Vocabulary,
};
use maillage_search::{OpenFilter, SearchQuery};

use crate::App;

/// The directory's search, with the names of the search form (every field optional).
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct PlaceQuery {
    /// Words searched.
    pub q: String,
    /// A commune (name or INSEE code) or a position « lat,lon ».
    pub pres_de: String,
    /// Kilometres around `pres_de`.
    pub rayon: String,
    pub departement: String,
    /// A commune (name or INSEE code).
    pub commune: String,
    /// An intercommunality: SIREN number, or a commune meaning its EPCI.
    pub epci: String,
    pub typologie: Vec<String>,
    /// `maintenant`: open now.
    pub ouvert: String,
    /// Open at this local date and time (`2026-12-03T14:00`).
    pub le: String,
    pub plain_pied: bool,
    pub service: Vec<String>,
    pub public: Vec<String>,
    pub prise_en_charge: Vec<String>,
    pub frais: Vec<String>,
    pub acces: Vec<String>,
    pub accompagnement: Vec<String>,
    pub dispositif: Vec<String>,
    pub itinerance: Vec<String>,
    pub forme: Vec<String>,
    /// Result page (20 places each), from 1 (pages; the API pages with `limit` and `offset`).
    #[param(ignore)]
    pub page: String,
}

impl PlaceQuery {
    /// The query string of this search without its page, for links (pagination, exports):
    /// read again, it gives the same search.
    pub fn to_query_string(&self) -> String {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (key, value) in [
            ("q", &self.q),
            ("pres_de", &self.pres_de),
            ("rayon", &self.rayon),
            ("departement", &self.departement),
            ("commune", &self.commune),
            ("epci", &self.epci),
            ("ouvert", &self.ouvert),
            ("le", &self.le),
        ] {
            if !value.is_empty() {
                s.append_pair(key, value);
            }
        }
        if self.plain_pied {
            s.append_pair("plain_pied", "1");
        }
        for (key, values) in [
            ("typologie", &self.typologie),
            ("service", &self.service),
            ("public", &self.public),
            ("prise_en_charge", &self.prise_en_charge),
            ("frais", &self.frais),
            ("acces", &self.acces),
            ("accompagnement", &self.accompagnement),
            ("dispositif", &self.dispositif),
            ("itinerance", &self.itinerance),
            ("forme", &self.forme),
        ] {
            for v in values.iter().filter(|v| !v.is_empty()) {
                s.append_pair(key, v);
            }
        }
        s.finish()
    }
}

/// One checkbox of a filter group, for the form.
#[derive(Debug, Clone)]
pub struct Choice {
    pub slug: &'static str,
    pub label: &'static str,
    pub checked: bool,
}

/// A group of checkboxes (one vocabulary).
#[derive(Debug, Clone)]
pub struct Group {
    pub key: &'static str,
    pub legend: &'static str,
    pub choices: Vec<Choice>,
}

impl Group {
    pub fn any_checked(&self) -> bool {
        self.choices.iter().any(|c| c.checked)
    }
}

/// A search read: what the index runs, what the form shows back, and the errors.
#[derive(Debug, Clone, Default)]
pub struct PlaceSearch {
    pub query: SearchQuery,
    pub text: String,
    pub near: String,
    /// The commune or point the distance is measured from, as understood.
    pub near_label: Option<String>,
    pub radius: String,
    pub departement: String,
    /// Commune filter as typed (name or INSEE code), and as understood.
    pub commune: String,
    pub commune_label: Option<String>,
    /// Intercommunality filter as typed (SIREN, or a commune meaning its EPCI), and as
    /// understood.
    pub epci: String,
    pub epci_label: Option<String>,
    pub open_now: bool,
    pub open_at: String,
    pub step_free: bool,
    pub typology: String,
    pub groups: Vec<Group>,
    pub page: usize,
    pub errors: Vec<String>,
    /// The query string without `page`, for links (pagination, exports).
    pub query_string: String,
}

fn group<V: Vocabulary>(
    values: &[String],
    key: &'static str,
    legend: &'static str,
    errors: &mut Vec<String>,
) -> (Vec<V>, Group) {
    let mut selected = Vec::new();
    for v in values.iter().filter(|v| !v.is_empty()) {
        match V::from_slug(v) {
            Some(x) => selected.push(x),
            None => errors.push(format!(
                "filtre « {legend} » : valeur « {v} » inconnue, ignorée"
            )),
        }
    }
    let choices = V::ALL
        .iter()
        .map(|v| Choice {
            slug: v.slug(),
            label: v.label(),
            checked: selected.contains(v),
        })
        .collect();
    (
        selected,
        Group {
            key,
            legend,
            choices,
        },
    )
}

impl App {
    /// Reads a search of the directory: every value checked, communes and intercommunalities
    /// resolved in the official referential.
    pub fn place_search(&self, q: &PlaceQuery) -> PlaceSearch {
        let mut errors = Vec::new();
        let (services, g_services) =
            group::<Service>(&q.service, "service", "Services", &mut errors);
        let (publics, g_publics) = group::<Public>(&q.public, "public", "Publics", &mut errors);
        let (specific_support, g_support) = group::<SpecificSupport>(
            &q.prise_en_charge,
            "prise_en_charge",
            "Prises en charge spécifiques",
            &mut errors,
        );
        let (fees, g_fees) = group::<Fee>(&q.frais, "frais", "Frais", &mut errors);
        let (access_modes, g_access) =
            group::<AccessMode>(&q.acces, "acces", "Modalités d'accès", &mut errors);
        let (support_modes, g_support_modes) = group::<SupportMode>(
            &q.accompagnement,
            "accompagnement",
            "Modalités d'accompagnement",
            &mut errors,
        );
        let (national_programmes, g_programmes) = group::<NationalProgramme>(
            &q.dispositif,
            "dispositif",
            "Dispositifs nationaux",
            &mut errors,
        );
        let (mobility, g_mobility) =
            group::<Mobility>(&q.itinerance, "itinerance", "Itinérance", &mut errors);
        let (mediation_forms, g_forms) =
            group::<MediationForm>(&q.forme, "forme", "Formes de médiation", &mut errors);

        let text = q.q.clone();
        if let Err(why) = maillage_domain::text::check_query(&text) {
            errors.push(format!("« Rechercher » : {why}"));
        }
        let near = q.pres_de.clone();
        let radius = q.rayon.clone();
        let mut near_point = None;
        let mut near_label = None;
        if !near.is_empty() {
            match self.resolve_near(&near) {
                Ok((p, label)) => {
                    near_point = Some(p);
                    near_label = Some(label);
                }
                Err(e) => errors.push(format!("« Près de » : {e}")),
            }
        }
        let radius_km = if radius.is_empty() {
            None
        } else {
            match radius.replace(',', ".").parse::<f64>() {
                Ok(r) if r > 0.0 && r <= 1000.0 => Some(r),
                _ => {
                    errors.push(format!(
                        "rayon « {radius} » : nombre de kilomètres entre 1 et 1000 attendu"
                    ));
                    None
                }
            }
        };
        let departement = q.departement.to_ascii_uppercase();
        let valid_departement =
            departement.len() <= 3 && departement.chars().all(|c| c.is_ascii_alphanumeric());
        if !valid_departement {
            errors.push(format!(
                "département « {departement} » : code attendu (54, 2A, 971)"
            ));
        }
        // Commune and intercommunality: a name or a code, resolved in the official referential.
        let commune = q.commune.clone();
        let (insee_code, commune_label) = if commune.is_empty() {
            (None, None)
        } else {
            match self.referential.find_by_name(&commune, None) {
                Some(c) => (
                    Some(c.insee_code.clone()),
                    Some(format!("{} ({})", c.name, c.departement)),
                ),
                None => {
                    errors.push(format!(
                        "commune « {commune} » introuvable dans le référentiel officiel"
                    ));
                    (None, None)
                }
            }
        };
        let epci = q.epci.clone();
        let (epci_code, epci_label) = if epci.is_empty() {
            (None, None)
        } else if epci.len() == 9 && epci.chars().all(|c| c.is_ascii_digit()) {
            (
                Some(epci.clone()),
                Some(format!("intercommunalité n° {epci}")),
            )
        } else {
            match self.referential.find_by_name(&epci, None) {
                Some(c) => match &c.epci {
                    Some(code) => (
                        Some(code.clone()),
                        Some(format!(
                            "intercommunalité de {} ({})",
                            c.name, c.departement
                        )),
                    ),
                    None => {
                        errors.push(format!(
                            "intercommunalité : la commune « {} » n'appartient à aucun EPCI",
                            c.name
                        ));
                        (None, None)
                    }
                },
                None => {
                    errors.push(format!(
                        "intercommunalité « {epci} » : ni un n° SIREN d'EPCI (9 chiffres) ni une commune du référentiel officiel"
                    ));
                    (None, None)
                }
            }
        };
        let typologies: Vec<String> = q.typologie.iter().map(|t| t.to_ascii_uppercase()).collect();
        let typology = typologies.first().cloned().unwrap_or_default();
        let open_now = q.ouvert == "maintenant";
        let open_at = q.le.clone();
        let open = if open_now {
            Some(OpenFilter::Now(chrono::Utc::now()))
        } else if open_at.is_empty() {
            None
        } else {
            match NaiveDateTime::parse_from_str(&open_at, "%Y-%m-%dT%H:%M") {
                Ok(dt) => Some(OpenFilter::At(dt)),
                Err(_) => {
                    errors.push(format!(
                        "« Ouvert le » : date et heure « {open_at} » illisibles (format AAAA-MM-JJTHH:MM)"
                    ));
                    None
                }
            }
        };
        let step_free = q.plain_pied;
        let page = q.page.parse::<usize>().unwrap_or(1).clamp(1, 10_000);
        let query_string = q.to_query_string();
        let query = SearchQuery {
            text: Some(text.clone()).filter(|t| !t.is_empty()),
            any_word: false,
            near: near_point,
            radius_km: radius_km.filter(|_| near_point.is_some()),
            services,
            publics,
            specific_support,
            fees,
            access_modes,
            support_modes,
            national_programmes,
            mobility,
            mediation_forms,
            typologies,
            open,
            insee_code,
            epci: epci_code,
            departement: Some(departement.clone()).filter(|d| !d.is_empty()),
            step_free,
            organisation_id: None,
            offset: (page - 1) * 20,
            limit: 20,
        };
        PlaceSearch {
            query,
            text,
            near,
            near_label,
            radius,
            departement,
            commune,
            commune_label,
            epci,
            epci_label,
            open_now,
            open_at,
            step_free,
            typology,
            groups: vec![
                g_services,
                g_forms,
                g_publics,
                g_support,
                g_fees,
                g_access,
                g_support_modes,
                g_programmes,
                g_mobility,
            ],
            page,
            errors,
            query_string,
        }
    }
}
