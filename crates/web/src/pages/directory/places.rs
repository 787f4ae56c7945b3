//! The directory's public pages: the search with its filters, and a place's page.

use super::*;

pub(in crate::pages) struct ResultRow {
    pub(in crate::pages) id: String,
    pub(in crate::pages) name: String,
    pub(in crate::pages) address: String,
    pub(in crate::pages) postcode: String,
    pub(in crate::pages) commune: String,
    pub(in crate::pages) distance: Option<String>,
    pub(in crate::pages) open: Option<bool>,
    pub(in crate::pages) open_when: &'static str,
    pub(in crate::pages) services: String,
    /// (« 04 91 00 00 00 », « +33491000000 » for the link).
    pub(in crate::pages) phone: Option<(String, String)>,
    /// « Ouvert jusqu'à 17 h », « Fermé · ouvre demain à 9 h ».
    pub(in crate::pages) status: Option<String>,
    /// Other records of the same place from other sources, shown once: (identifier, name).
    pub(in crate::pages) same_place: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "directory/search.html")]
pub(in crate::pages) struct SearchPage {
    pub(in crate::pages) chrome: Chrome,
    pub(in crate::pages) p: PlaceSearch,
    /// Groups of filters in plain words, for the public (the others fold under the
    /// professionals' filters).
    pub(in crate::pages) plain_groups: [&'static str; 4],
    /// A box of plain or professional filters is in use: it opens.
    pub(in crate::pages) plain_checked: bool,
    pub(in crate::pages) pro_checked: bool,
    pub(in crate::pages) total: usize,
    /// No place held every word: the results share some of them (`Results::widened`).
    pub(in crate::pages) widened: bool,
    pub(in crate::pages) pages: usize,
    pub(in crate::pages) results: Vec<ResultRow>,
    pub(in crate::pages) typologies: Vec<(String, String)>,
    pub(in crate::pages) exports: Vec<(&'static str, &'static str)>,
}

/// Filters in plain words, shown to everyone under « Plus de critères ».
const PLAIN_GROUPS: [&str; 4] = ["service", "public", "prise_en_charge", "frais"];

pub fn format_distance(m: f64) -> String {
    if m < 1000.0 {
        format!("{} m", (m / 10.0).round() * 10.0)
    } else {
        format!("{:.1} km", m / 1000.0).replace('.', ",")
    }
}

pub(crate) fn vocab_labels<V: Vocabulary>(values: &[V]) -> String {
    values
        .iter()
        .map(|v| v.label())
        .collect::<Vec<_>>()
        .join(" · ")
}

pub(in crate::pages) async fn search(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Query(asked): Query<PlaceQuery>,
) -> Result<Response, PageError> {
    let p = state.app.place_search(&asked);
    let results = state.app.search_listed(&p.query).await?;
    let once = state
        .app
        .shown_once(results.places, |(_, place)| place.candidate())
        .await?;
    let mut rows = Vec::new();
    for ((hit, place), same) in once {
        rows.push(ResultRow {
            phone: place.phone.as_deref().map(|t| {
                (
                    maillage_domain::fields::phone_national(t),
                    t.chars().filter(|c| !c.is_whitespace()).collect(),
                )
            }),
            status: hours_status(
                place.departement().as_deref(),
                place.opening_hours.as_deref(),
                place.opening_hours_valid,
            ),
            same_place: same.into_iter().map(|(_, s)| (s.id, s.name)).collect(),
            distance: hit.distance_m.map(format_distance),
            open: hit.open,
            open_when: if p.open_now {
                "maintenant"
            } else {
                "à l'heure demandée"
            },
            services: vocab_labels(&place.services),
            id: place.id,
            name: place.name,
            address: place.address,
            postcode: place.postcode,
            commune: place.commune,
        });
    }
    let pages = results.total.div_ceil(20).max(1);
    let plain_groups = PLAIN_GROUPS;
    let checked = |plain: bool| {
        p.groups
            .iter()
            .any(|g| plain_groups.contains(&g.key) == plain && g.any_checked())
    };
    // The standard's list repeats a label under two codes: each label once.
    let mut labels = std::collections::HashSet::new();
    let typologies = state
        .app
        .typologies
        .iter()
        .filter(|(_, l)| labels.insert(l.trim().to_lowercase()))
        .map(|(c, l)| (c.to_string(), l.to_string()))
        .collect();
    Ok(render(&SearchPage {
        chrome: Chrome::new("recherche", &viewer),
        plain_groups,
        plain_checked: checked(true),
        pro_checked: checked(false),
        total: results.total,
        widened: results.widened,
        pages,
        results: rows,
        typologies,
        exports: ExportFormat::ALL
            .iter()
            .map(|f| (f.slug(), f.label()))
            .collect(),
        p,
    }))
}

// ----- place page -----

#[derive(Template)]
#[template(path = "directory/place.html")]
pub(in crate::pages) struct PlacePage {
    pub(in crate::pages) chrome: Chrome,
    pub(in crate::pages) place: Place,
    pub(in crate::pages) phone: Option<String>,
    pub(in crate::pages) open_now: Option<bool>,
    pub(in crate::pages) week: Vec<(bool, String, String)>,
    pub(in crate::pages) week_label: String,
    pub(in crate::pages) offer: Vec<(&'static str, String)>,
    pub(in crate::pages) map_link: Option<String>,
    pub(in crate::pages) updated: String,
    /// Freshness of the page ("à jour", "ancienne : à vérifier"…) and its completeness.
    pub(in crate::pages) freshness: &'static str,
    pub(in crate::pages) stale: bool,
    pub(in crate::pages) completeness: maillage_domain::freshness::Completeness,
    pub(in crate::pages) can_edit: bool,
    pub(in crate::pages) signed_in: bool,
    pub(in crate::pages) organisation: Option<String>,
    pub(in crate::pages) source: Option<String>,
}

/// The place's local date, whether it is open now, and its weekly hours table (day is today,
/// day label, French text).
pub(in crate::pages) type Week = Vec<(bool, String, String)>;

/// Open now and until when, or when it opens next, in the time zone of the place's
/// département (`None`: hours missing, unreadable, checked invalid when the place was saved, or
/// saying « unknown »).
pub(in crate::pages) fn hours_status(
    departement: Option<&str>,
    hours: Option<&str>,
    valid: bool,
) -> Option<String> {
    let tz = timezone_of_departement(departement.unwrap_or("75"));
    let raw = hours.filter(|_| valid)?;
    match check_hours(raw) {
        HoursCheck::Valid(h) | HoursCheck::Repaired { hours: h, .. } => {
            h.status_phrase(Utc::now().with_timezone(&tz).naive_local())
        }
        HoursCheck::Invalid { .. } => None,
    }
}

pub(in crate::pages) fn weekly_hours(place: &Place) -> (chrono::NaiveDate, Option<bool>, Week) {
    let tz = timezone_of_departement(place.departement().as_deref().unwrap_or("75"));
    let local_today = Utc::now().with_timezone(&tz).date_naive();
    let (open_now, week) = match place
        .opening_hours
        .as_deref()
        .filter(|_| place.opening_hours_valid)
        .map(check_hours)
    {
        Some(HoursCheck::Valid(h)) | Some(HoursCheck::Repaired { hours: h, .. }) => {
            let week = h
                .week(monday_of(local_today))
                .into_iter()
                .map(|d| {
                    let mut text = if d.unknown {
                        "horaires non précisés".to_string()
                    } else if d.ranges.is_empty() {
                        "fermé".to_string()
                    } else {
                        d.ranges.join(", ")
                    };
                    if d.public_holiday {
                        text.push_str(" (jour férié)");
                    }
                    if let Some(c) = d.comment {
                        text.push_str(&format!(" — {c}"));
                    }
                    (
                        d.date == local_today,
                        format!("{} {}", d.day_name, d.date.day()),
                        text,
                    )
                })
                .collect();
            (h.is_open_now(Utc::now(), tz), week)
        }
        _ => (None, Vec::new()),
    };
    (local_today, open_now, week)
}

pub(in crate::pages) async fn place_page(
    AxState(state): AxState<State>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let stored = state.app.place(&id).await?;
    let place = stored.place;
    let (local_today, open_now, week) = weekly_hours(&place);
    let mut offer: Vec<(&'static str, String)> = Vec::new();
    let mut add = |label: &'static str, text: String| {
        if !text.is_empty() {
            offer.push((label, text));
        }
    };
    add("Services", vocab_labels(&place.services));
    add(
        "Formes de médiation",
        vocab_labels(&place.extras.mediation_forms),
    );
    add(
        "Domaines d'intervention",
        vocab_labels(&place.extras.intervention_domains),
    );
    add("Publics", vocab_labels(&place.publics));
    add(
        "Prises en charge spécifiques",
        vocab_labels(&place.specific_support),
    );
    add("Frais", vocab_labels(&place.fees));
    add(
        "Contribution demandée",
        place.extras.contribution.clone().unwrap_or_default(),
    );
    add("Modalités d'accès", vocab_labels(&place.access_modes));
    add("Accompagnement", vocab_labels(&place.support_modes));
    add(
        "Conditions d'accès",
        place.extras.access_conditions.clone().unwrap_or_default(),
    );
    add("Limites", place.extras.limits.clone().unwrap_or_default());
    add(
        "Dispositifs nationaux",
        vocab_labels(&place.national_programmes),
    );
    add("Formations et labels", vocab_labels(&place.training_labels));
    add(
        "Autres labels",
        place.other_labels.clone().unwrap_or_default(),
    );
    add("Itinérance", vocab_labels(&place.mobility));
    add(
        "Type de structure",
        place
            .typologies
            .iter()
            .map(|t| state.app.typologies.label(t).unwrap_or(t).to_string())
            .collect::<Vec<_>>()
            .join(" · "),
    );
    let can_edit = state.app.may(
        viewer.actor(),
        &Action::UpdatePlace(location_of(&place, stored.organisation_id.as_deref())),
    );
    let organisation = match &stored.organisation_id {
        Some(o) if maillage_app::sees_helpers_part(viewer.actor()) => {
            state.app.organisation(o).await?.map(|o| o.name)
        }
        _ => None,
    };
    Ok(render(&PlacePage {
        chrome: Chrome::new("", &viewer),
        phone: place
            .phone
            .as_deref()
            .map(maillage_domain::fields::phone_national),
        open_now,
        week,
        week_label: french::date(monday_of(local_today)),
        offer,
        map_link: place.location.map(|l| {
            format!(
                "https://www.openstreetmap.org/?mlat={:.5}&mlon={:.5}#map=17/{:.5}/{:.5}",
                l.lat, l.lon, l.lat, l.lon
            )
        }),
        updated: french::date(place.updated_on),
        freshness: maillage_domain::freshness::freshness(place.updated_on, local_today).label(),
        stale: maillage_domain::freshness::freshness(place.updated_on, local_today)
            == maillage_domain::freshness::Freshness::Stale,
        completeness: maillage_domain::freshness::completeness(&place),
        can_edit,
        signed_in: maillage_app::sees_helpers_part(viewer.actor()),
        organisation,
        source: stored
            .source
            .filter(|_| maillage_app::sees_helpers_part(viewer.actor())),
        place,
    }))
}

// ----- sign-in -----
