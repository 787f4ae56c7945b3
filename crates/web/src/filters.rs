//! Search filters from a query string, shared by the pages, the API and the exports. Each value
//! is validated item by item; an unknown one is refused with a French message naming it.

use chrono::NaiveDateTime;
use maillage_domain::vocab::{
    AccessMode, Fee, MediationForm, Mobility, NationalProgramme, Public, Service, SpecificSupport,
    SupportMode, Vocabulary,
};
use maillage_search::{OpenFilter, SearchQuery};

use crate::App;

/// Raw pairs of a query string, in order (repeated keys allowed).
pub type Pairs = Vec<(String, String)>;

pub fn pairs(query: Option<&str>) -> Pairs {
    form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
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

/// The parsed search and what the form shows back.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
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

fn values<'a>(pairs: &'a Pairs, key: &str) -> impl Iterator<Item = &'a str> {
    pairs
        .iter()
        .filter(move |(k, _)| k == key)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

fn first(pairs: &Pairs, key: &str) -> String {
    values(pairs, key).next().unwrap_or_default().to_string()
}

fn group<V: Vocabulary>(
    pairs: &Pairs,
    key: &'static str,
    legend: &'static str,
    errors: &mut Vec<String>,
) -> (Vec<V>, Group) {
    let mut selected = Vec::new();
    for v in values(pairs, key) {
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

/// Parses the filters of a query string.
pub fn parse(app: &App, pairs: &Pairs) -> Parsed {
    let mut errors = Vec::new();
    let (services, g_services) = group::<Service>(pairs, "service", "Services", &mut errors);
    let (publics, g_publics) = group::<Public>(pairs, "public", "Publics", &mut errors);
    let (specific_support, g_support) = group::<SpecificSupport>(
        pairs,
        "prise_en_charge",
        "Prises en charge spécifiques",
        &mut errors,
    );
    let (fees, g_fees) = group::<Fee>(pairs, "frais", "Frais", &mut errors);
    let (access_modes, g_access) =
        group::<AccessMode>(pairs, "acces", "Modalités d'accès", &mut errors);
    let (support_modes, g_support_modes) = group::<SupportMode>(
        pairs,
        "accompagnement",
        "Modalités d'accompagnement",
        &mut errors,
    );
    let (national_programmes, g_programmes) =
        group::<NationalProgramme>(pairs, "dispositif", "Dispositifs nationaux", &mut errors);
    let (mobility, g_mobility) = group::<Mobility>(pairs, "itinerance", "Itinérance", &mut errors);
    let (mediation_forms, g_forms) =
        group::<MediationForm>(pairs, "forme", "Formes de médiation", &mut errors);

    let text = first(pairs, "q");
    if let Err(why) = maillage_domain::text::check_query(&text) {
        errors.push(format!("« Rechercher » : {why}"));
    }
    let near = first(pairs, "pres_de");
    let radius = first(pairs, "rayon");
    let mut near_point = None;
    let mut near_label = None;
    if !near.is_empty() {
        match app.resolve_near(&near) {
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
    let departement = first(pairs, "departement").to_ascii_uppercase();
    let valid_departement =
        departement.len() <= 3 && departement.chars().all(|c| c.is_ascii_alphanumeric());
    if !valid_departement {
        errors.push(format!(
            "département « {departement} » : code attendu (54, 2A, 971)"
        ));
    }
    // Commune and intercommunality: a name or a code, resolved in the official referential.
    let commune = first(pairs, "commune");
    let (insee_code, commune_label) = if commune.is_empty() {
        (None, None)
    } else {
        match app.referential.find_by_name(&commune, None) {
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
    let epci = first(pairs, "epci");
    let (epci_code, epci_label) = if epci.is_empty() {
        (None, None)
    } else if epci.len() == 9 && epci.chars().all(|c| c.is_ascii_digit()) {
        (
            Some(epci.clone()),
            Some(format!("intercommunalité n° {epci}")),
        )
    } else {
        match app.referential.find_by_name(&epci, None) {
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
    let typology = first(pairs, "typologie").to_ascii_uppercase();
    let open_now = values(pairs, "ouvert").any(|v| v == "maintenant");
    let open_at = first(pairs, "le");
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
    let step_free = values(pairs, "plain_pied").next().is_some();
    let page = first(pairs, "page")
        .parse::<usize>()
        .unwrap_or(1)
        .clamp(1, 10_000);
    let query_string = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs.iter().filter(|(k, v)| k != "page" && !v.is_empty()))
        .finish();
    let query = SearchQuery {
        text: Some(text.clone()).filter(|t| !t.is_empty()),
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
        typologies: Some(typology.clone())
            .filter(|t| !t.is_empty())
            .into_iter()
            .collect(),
        open,
        insee_code,
        epci: epci_code,
        departement: Some(departement.clone()).filter(|d| !d.is_empty()),
        step_free,
        organisation_id: None,
        offset: (page - 1) * 20,
        limit: 20,
    };
    Parsed {
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

/// First non-empty value of a key.
pub fn pairs_first<'a>(pairs: &'a Pairs, key: &str) -> Option<&'a str> {
    values(pairs, key).next()
}
