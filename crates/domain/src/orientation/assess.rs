//! Assessing a place or a workshop against a request and a situation: hard constraints with their reasons, then ranking.

use super::*;

/// « à 800 m », « à 2,3 km », « à 14 km ».
pub fn distance_phrase(m: f64) -> String {
    if m < 1_000.0 {
        format!("à {} m", ((m / 50.0).round() * 50.0).max(50.0) as u32)
    } else if m < 10_000.0 {
        format!("à {} km", format!("{:.1}", m / 1_000.0).replace('.', ","))
    } else {
        format!("à {} km", (m / 1_000.0).round() as u32)
    }
}

pub(super) fn has<V: PartialEq>(list: &[V], v: &V) -> bool {
    list.contains(v)
}

/// Folded words of four letters or more.
pub(super) fn significant_words(text: &str) -> Vec<String> {
    crate::text::fold(text)
        .split(' ')
        .filter(|w| w.chars().count() >= 4)
        .map(str::to_string)
        .collect()
}

/// Words too common in requests and limits to mean a match.
pub(super) const COMMON: [&str; 12] = [
    "pour",
    "avec",
    "dans",
    "sans",
    "faire",
    "compte",
    "demande",
    "aide",
    "aides",
    "numerique",
    "ligne",
    "personnes",
];

/// The place's stated limit that concerns this request, if any: one of its significant words
/// is a word of the request's title or of its domains (« n'intervient pas sur le logement »).
pub(super) fn limit_hit(limits: &str, entry: &RequestEntry) -> bool {
    let said = significant_words(limits);
    let mut asked = significant_words(&entry.title);
    for d in &entry.domains {
        asked.extend(significant_words(d.label()));
    }
    asked
        .iter()
        .filter(|w| !COMMON.contains(&w.as_str()))
        .any(|w| said.contains(w))
}

/// The reason given for a place with equipment on site.
const EQUIPPED: &str = "Ordinateurs à disposition sur place";

/// Whether the place says it has equipment people can use on site: internet access and
/// computers (the standard's service), computers in self-service (with or without a
/// mediator), or mobile equipment.
pub fn equipped(place: &Place) -> bool {
    let forms = &place.extras.mediation_forms;
    has(&place.services, &Service::InternetAccess)
        || has(forms, &MediationForm::SelfServiceComputers)
        || has(forms, &MediationForm::MediatedComputers)
        || has(forms, &MediationForm::MobileEquipment)
}

/// Typologies of structures that receive one public only (missions locales, youth
/// information: young people).
pub(super) const YOUTH_ONLY: [&str; 2] = ["ML", "PIJ_BIJ"];

/// The publics a place is reserved to, when the person's publics were not said (the helper is
/// asked, issue #10).
pub fn publics_to_ask(place: &Place) -> Vec<Public> {
    match reservation(place) {
        Some(Reservation::Publics(p)) => p,
        _ => Vec::new(),
    }
}

/// A place that receives some publics only.
#[derive(Debug, Clone, PartialEq)]
pub enum Reservation {
    /// Only these publics (a youth-only structure, or listed publics said to be the only ones).
    Publics(Vec<Public>),
    /// A condition stated in words only (« uniquement sur orientation du CCAS »).
    Stated(String),
}

/// Whether the place receives only some publics: a youth-only structure (missions locales,
/// youth information), or conditions saying so (« uniquement », « réservé »…).
pub fn reservation(place: &Place) -> Option<Reservation> {
    if place
        .typologies
        .iter()
        .any(|t| YOUTH_ONLY.contains(&t.as_str()))
    {
        return Some(Reservation::Publics(vec![Public::Youth, Public::Students]));
    }
    let stated = [&place.extras.limits, &place.extras.access_conditions]
        .into_iter()
        .flatten()
        .find(|text| {
            let folded = crate::text::fold(text);
            ["uniquement", "reserve", "seulement", "exclusivement"]
                .iter()
                .any(|w| folded.split(' ').any(|x| x.starts_with(w)))
        })?;
    Some(if place.publics.is_empty() {
        Reservation::Stated(stated.trim().to_string())
    } else {
        Reservation::Publics(place.publics.clone())
    })
}

/// The moments of the person's week when the place is open at least an hour, over the next
/// two weeks from `today` (`None`: hours missing or unreadable).
pub fn open_slots(place: &Place, slots: &[Slot], today: NaiveDate) -> Option<Vec<Slot>> {
    let raw = place.opening_hours.as_deref()?;
    if !place.opening_hours_valid {
        return None;
    }
    let hours = match check_hours(raw) {
        HoursCheck::Valid(h) | HoursCheck::Repaired { hours: h, .. } => h,
        HoursCheck::Invalid { .. } => return None,
    };
    let mut open = Vec::new();
    for slot in slots {
        let (start, end) = slot.part.window();
        let found = (0..14).any(|offset| {
            let Some(date) = today.checked_add_signed(Duration::days(offset)) else {
                return false;
            };
            date.weekday() == slot.day
                && hours.open_minutes_between(date.and_time(start), date.and_time(end)) >= 60
        });
        if found {
            open.push(*slot);
        }
    }
    Some(open)
}

/// Assesses a place for a request and a person. `distance_m` is from where the person lives or
/// can go (`None` when no position is known for the place); `today` starts the two weeks in
/// which opening hours are read.
pub fn assess(
    entry: &RequestEntry,
    s: &Situation,
    place: &Place,
    distance_m: Option<f64>,
    today: NaiveDate,
) -> Assessment {
    let mut a = Assessment::default();
    let support = &place.support_modes;
    let forms = &place.extras.mediation_forms;
    let programmes = &place.national_programmes;

    // The request's kind of help.
    let services: Vec<&Service> = entry
        .services
        .iter()
        .filter(|x| has(&place.services, x))
        .collect();
    let matched_forms: Vec<&MediationForm> = entry
        .mediation_forms
        .iter()
        .filter(|x| has(forms, x))
        .collect();
    if services.is_empty() && matched_forms.is_empty() {
        if !entry.services.is_empty() || !entry.mediation_forms.is_empty() {
            let asked: Vec<&str> = entry.services.iter().map(|x| x.label()).collect();
            a.fail(
                Constraint::Request,
                format!(
                    "ne propose pas ce type d'aide ({})",
                    if asked.is_empty() {
                        "formes de médiation de la demande".to_string()
                    } else {
                        asked.join(", ").to_lowercase()
                    }
                ),
            );
        }
    } else {
        a.score += 3.0 + services.len().min(2) as f64 + matched_forms.len().min(2) as f64;
        if let Some(first) = services.first() {
            a.reasons.push(first.label().to_string());
        } else if let Some(first) = matched_forms.first() {
            a.reasons.push(first.label().to_string());
        }
    }

    // Equipment on site, when the request's help is given with it.
    if entry.on_site_equipment {
        if equipped(place) {
            a.score += 1.0;
            a.reasons.push(EQUIPPED.to_string());
        } else {
            a.fail(
                Constraint::Equipment,
                "pas d'ordinateur ni d'imprimante à disposition indiqués",
            );
        }
    }

    // Competent partner for this request.
    let typologies: Vec<&String> = entry
        .typologies
        .iter()
        .filter(|t| place.typologies.contains(t))
        .collect();
    let partner_programmes: Vec<&NationalProgramme> = entry
        .programmes
        .iter()
        .filter(|p| has(programmes, p) && **p != NationalProgramme::AidantsConnect)
        .collect();
    if let Some(p) = partner_programmes.first() {
        a.score += 3.0;
        a.reasons.push(p.label().to_string());
    } else if !typologies.is_empty() {
        a.score += 2.0;
    }
    let domains: Vec<&InterventionDomain> = entry
        .domains
        .iter()
        .filter(|d| has(&place.extras.intervention_domains, d))
        .collect();
    if !domains.is_empty() {
        a.score += 1.0;
        a.reasons.push(format!(
            "Connaît aussi : {}",
            domains
                .iter()
                .map(|d| d.label().to_lowercase())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }

    // Receiving the public.
    if has(&place.access_modes, &AccessMode::NoPublic) {
        a.fail(Constraint::Public, "n'accueille pas de public");
    }
    let shared: Vec<&Public> = s
        .publics
        .iter()
        .filter(|p| has(&place.publics, p))
        .collect();
    match reservation(place) {
        Some(Reservation::Publics(publics)) => {
            let label = publics
                .iter()
                .map(|p| p.label().to_lowercase())
                .collect::<Vec<_>>()
                .join(", ");
            if s.publics.is_empty() {
                a.fail(
                    Constraint::PublicUnasked,
                    format!("réservé à : {label} — la personne en fait-elle partie ?"),
                );
            } else if s.publics.iter().any(|p| publics.contains(p)) {
                a.score += 1.0;
                a.reasons.push(format!("Pour : {label}"));
            } else {
                a.fail(Constraint::Public, format!("réservé à : {label}"));
            }
        }
        Some(Reservation::Stated(text)) => {
            a.score -= 3.0;
            a.caveats.push(format!(
                "Réservé à certains publics : « {text} » — vérifier que la personne en fait partie"
            ));
        }
        None => {
            if let Some(p) = shared.first() {
                a.score += 1.0;
                a.reasons
                    .push(format!("Pour : {}", p.label().to_lowercase()));
            }
        }
    }

    // Fees.
    let free = has(&place.fees, &Fee::Free);
    let paid = has(&place.fees, &Fee::Paid);
    let conditional = has(&place.fees, &Fee::FreeUnderCondition);
    if free && !paid && !conditional {
        a.score += 1.0;
        a.reasons.insert(0, "Gratuit".to_string());
    } else if free {
        // « Gratuit | Payant »: free for some services only — never said free without it.
        a.score += 0.5;
        a.reasons
            .insert(0, "Gratuit pour une partie des services".to_string());
        a.caveats.push(if paid {
            match &place.extras.contribution {
                Some(c) => {
                    format!("D'autres services sont payants ({c}) : demander avant de venir")
                }
                None => "D'autres services sont payants : demander avant de venir".to_string(),
            }
        } else {
            "D'autres services ne sont gratuits que sous condition : demander avant de venir"
                .to_string()
        });
    } else if s.free_only {
        let why = if has(&place.fees, &Fee::FreeUnderCondition) {
            "gratuit seulement sous condition"
        } else if has(&place.fees, &Fee::Paid) {
            "payant"
        } else {
            "gratuité non indiquée"
        };
        a.fail(Constraint::Free, why);
    } else if has(&place.fees, &Fee::FreeUnderCondition) {
        a.caveats.push("Gratuit sous condition".to_string());
    } else if has(&place.fees, &Fee::Paid) {
        a.caveats.push(match &place.extras.contribution {
            Some(c) => format!("Payant : {c}"),
            None => "Payant".to_string(),
        });
    }

    // Hours.
    if !s.slots.is_empty() {
        match open_slots(place, &s.slots, today) {
            None => a.fail(
                Constraint::Hours,
                "horaires non renseignés : impossible de savoir s'il est ouvert quand la personne est libre",
            ),
            Some(open) if open.is_empty() => a.fail(
                Constraint::Hours,
                format!(
                    "fermé aux moments où la personne est libre ({})",
                    s.slots
                        .iter()
                        .map(|x| x.label())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
            Some(open) => {
                a.score += 1.0;
                let said: Vec<String> = open.iter().take(3).map(|x| x.label()).collect();
                a.reasons.push(format!("Ouvert {}", said.join(", ")));
                a.open_slots = open;
            }
        }
    } else if place.opening_hours.is_none() || !place.opening_hours_valid {
        a.caveats
            .push("Horaires non renseignés : appeler avant d'y aller".to_string());
    }

    // The kind of help the level calls for.
    let individual = has(support, &SupportMode::Individual)
        || has(forms, &MediationForm::MediationInterview)
        || has(forms, &MediationForm::SimpleRights)
        || has(forms, &MediationForm::InDepthRights);
    let workshop =
        has(support, &SupportMode::Workshop) || has(forms, &MediationForm::SkillsWorkshops);
    let remote = has(support, &SupportMode::Remote);
    let self_service = has(support, &SupportMode::Autonomous)
        || has(forms, &MediationForm::SelfServiceComputers)
        || has(forms, &MediationForm::MediatedComputers);
    let aidants_connect = has(programmes, &NationalProgramme::AidantsConnect);
    let france_services = has(programmes, &NationalProgramme::FranceServices);
    let unknown_modes = support.is_empty() && forms.is_empty();
    if let Some(level) = s.level {
        match level {
            Level::Distant => {
                if individual || aidants_connect || france_services {
                    a.score += 2.0;
                    if aidants_connect && entry.procedure {
                        a.score += 3.0;
                        a.reasons
                            .push("Aidants Connect pour faire à votre place".to_string());
                    }
                    if individual {
                        a.reasons.push(
                            "Accompagnement individuel, adapté aux personnes qui débutent tout juste"
                                .to_string(),
                        );
                    }
                } else if unknown_modes {
                    a.fail(
                        Constraint::LevelUnverified,
                        "formes d'accompagnement non renseignées : vérifier qu'un accompagnement individuel est possible",
                    );
                } else {
                    a.fail(
                        Constraint::Level,
                        "pas d'accompagnement individuel, nécessaire pour une personne éloignée du numérique",
                    );
                }
            }
            Level::Beginner => {
                if individual {
                    a.score += 2.0;
                    a.reasons
                        .push("Accompagnement individuel, adapté aux débutants".to_string());
                } else if workshop {
                    a.score += 1.0;
                    a.reasons
                        .push("Ateliers collectifs, pour apprendre pas à pas".to_string());
                } else if unknown_modes {
                    a.fail(
                        Constraint::LevelUnverified,
                        "formes d'accompagnement non renseignées : vérifier le type d'aide proposé",
                    );
                } else {
                    a.fail(
                        Constraint::Level,
                        "ni accompagnement individuel ni atelier, nécessaires pour un débutant",
                    );
                }
            }
            Level::Intermediate => {
                if workshop {
                    a.score += 2.0;
                    a.reasons
                        .push("Ateliers collectifs pour progresser".to_string());
                } else if individual {
                    a.score += 1.0;
                    a.reasons.push("Accompagnement individuel".to_string());
                } else if unknown_modes {
                    a.fail(
                        Constraint::LevelUnverified,
                        "formes d'accompagnement non renseignées : vérifier le type d'aide proposé",
                    );
                } else {
                    a.fail(
                        Constraint::Level,
                        "ni atelier ni accompagnement, nécessaires pour progresser",
                    );
                }
            }
            Level::Advanced => {
                let specialised = [
                    MediationForm::RiskAwareness,
                    MediationForm::MediaInformation,
                    MediationForm::ProfessionalTraining,
                    MediationForm::InDepthRights,
                    MediationForm::Fablab,
                ]
                .iter()
                .find(|f| has(forms, f));
                if let Some(f) = specialised {
                    a.score += 2.0;
                    a.reasons.push(format!("Aide spécialisée : {}", f.label()));
                } else if workshop || individual || remote {
                    a.score += 1.0;
                    a.reasons.push(if workshop {
                        "Ateliers thématiques".to_string()
                    } else if individual {
                        "Aide ponctuelle individuelle".to_string()
                    } else {
                        "Aide à distance".to_string()
                    });
                } else if unknown_modes {
                    a.fail(
                        Constraint::LevelUnverified,
                        "formes d'accompagnement non renseignées : vérifier le type d'aide proposé",
                    );
                } else {
                    a.fail(
                        Constraint::Level,
                        "aucune aide thématique ou ponctuelle indiquée",
                    );
                }
            }
            Level::Autonomous => {
                if self_service {
                    a.score += 2.0;
                    a.reasons
                        .push("En libre accès, avec de l'aide au besoin".to_string());
                } else if unknown_modes {
                    a.caveats
                        .push("Formes d'accompagnement non renseignées".to_string());
                }
            }
        }
    } else if aidants_connect && entry.procedure {
        a.score += 1.0;
        a.reasons
            .push("Aidants Connect pour faire à votre place".to_string());
    }

    // Individual or group, as the person prefers.
    match s.format {
        Some(FormatWish::Individual) if !individual => {
            a.fail(Constraint::Format, "pas d'accompagnement individuel")
        }
        Some(FormatWish::Group) if !workshop && !has(forms, &MediationForm::MutualAid) => {
            a.fail(Constraint::Format, "pas d'atelier en groupe")
        }
        _ => {}
    }

    // Language and specific needs.
    if let Some(language) = &s.language
        && let Some(needed) = language.support()
    {
        if has(&place.specific_support, &needed) {
            a.score += 1.0;
            a.reasons
                .push(format!("Accompagnement en {}", language.label()));
        } else {
            a.fail(
                Constraint::Language,
                format!("pas d'accompagnement en {} indiqué", language.label()),
            );
        }
    }
    for need in &s.supports {
        let step_free = *need == SpecificSupport::MotorDisability
            && place.extras.step_free_access == Some(true);
        if has(&place.specific_support, need) || step_free {
            a.score += 1.0;
            a.reasons.push(if step_free {
                "Accessible en fauteuil".to_string()
            } else {
                format!("Prise en charge : {}", need.label().to_lowercase())
            });
        } else {
            a.fail(
                Constraint::Support,
                format!("prise en charge « {} » non indiquée", need.label()),
            );
        }
    }

    // Reach. The distance ranks through rings (see [`rank`]), not through the score: the score
    // says how well the place fits, whatever the reach asked.
    let radius = s.radius_km();
    match distance_m {
        Some(d) if d <= radius * 1_000.0 => {
            a.reasons.push(distance_phrase(d));
        }
        Some(d) => {
            a.fail(
                Constraint::Reach,
                format!(
                    "{}, au-delà de {} km",
                    distance_phrase(d),
                    format!("{radius}").replace('.', ",")
                ),
            );
        }
        None => a.fail(Constraint::Reach, "position du lieu inconnue"),
    }
    if has(&place.mobility, &Mobility::Mobile) {
        a.caveats
            .push("Itinérant : vérifier le jour et le lieu de passage".to_string());
    }
    if remote {
        a.reasons
            .push("Aide à distance possible (téléphone ou visio)".to_string());
    }

    // Equipment, urgency, access.
    if s.equipment == Some(Equipment::None) {
        if equipped(place) || self_service {
            a.score += 1.0;
            if !entry.on_site_equipment {
                a.reasons.push(EQUIPPED.to_string());
            }
        } else {
            a.caveats.push(
                "Pas d'ordinateur à disposition indiqué, et la personne n'a pas d'équipement"
                    .to_string(),
            );
        }
    }
    let walk_in = has(&place.access_modes, &AccessMode::WalkIn);
    if walk_in {
        a.reasons.push("Sans rendez-vous".to_string());
        if s.urgent {
            a.score += 2.0;
        }
    } else if has(&place.access_modes, &AccessMode::OnlineBooking)
        || has(&place.access_modes, &AccessMode::Phone)
    {
        a.caveats.push("Sur rendez-vous".to_string());
    }
    if (s.urgent || s.deadline.is_some()) && has(forms, &MediationForm::Emergency) {
        a.score += 2.0;
        a.reasons
            .push("Sait gérer les situations d'urgence".to_string());
    }
    // A stated limit that concerns the request leaves the place out; one about something else
    // is not the person's concern here (issue #10: a tax caveat on an Ameli request) and stays
    // on the place's page.
    if let Some(limits) = &place.extras.limits
        && limit_hit(limits, entry)
    {
        a.fail(
            Constraint::Limit,
            format!("limite indiquée par le lieu : « {} »", limits.trim()),
        );
    }
    if (today - place.updated_on).num_days() > 365 {
        a.score -= 1.0;
        a.caveats
            .push("Informations mises à jour il y a plus d'un an".to_string());
    }
    a
}

/// « mardi 1 décembre à 14 h ».
pub fn session_phrase(start: chrono::NaiveDateTime) -> String {
    use chrono::Timelike;
    let month = crate::hours::month_name(start.month0());
    let time = match start.minute() {
        0 => format!("{} h", start.hour()),
        m => format!("{} h {m:02}", start.hour()),
    };
    format!(
        "{} {} {month} à {time}",
        day_name(start.weekday()),
        start.day()
    )
}

/// Assesses a workshop for a request and a person, with the same hard constraints as a place:
/// a theme of the request, the person's level, free when asked, within reach (remote
/// workshops are everywhere), a session when the person is free, a group format unless the
/// person prefers individual help, the person's language.
pub fn assess_workshop(
    entry: &RequestEntry,
    s: &Situation,
    w: &crate::workshops::Workshop,
    distance_m: Option<f64>,
    seats_left: Option<u32>,
    today: NaiveDate,
) -> Assessment {
    use crate::vocab::WorkshopFormat;
    let mut a = Assessment::default();
    let themes: Vec<&MediationTheme> = entry
        .themes
        .iter()
        .filter(|t| w.themes.contains(t))
        .collect();
    match themes.first() {
        Some(t) => {
            a.score += 3.0;
            a.reasons.push(format!("Atelier « {} »", t.label()));
        }
        None => a.fail(Constraint::Request, "aucun thème de la demande"),
    }
    match s.level {
        Some(level) if !w.fits(level) => a.fail(
            Constraint::Level,
            format!(
                "niveau requis {}, niveau de la personne {}",
                w.level_required.label(),
                level.label()
            ),
        ),
        Some(level) => {
            a.score += 2.0;
            a.reasons.push(if w.level_required == Level::Distant {
                "Ouvert à tous, même sans jamais avoir touché un appareil".to_string()
            } else {
                format!(
                    "Niveau {} demandé : adapté au niveau {}",
                    w.level_required.label(),
                    level.label()
                )
            });
        }
        None => a
            .reasons
            .push(format!("Niveau requis : {}", w.level_required.label())),
    }
    if w.free {
        a.reasons.insert(0, "Gratuit".to_string());
    } else if s.free_only {
        a.fail(Constraint::Free, "payant");
    } else {
        a.caveats.push(match &w.price {
            Some(p) => format!("Payant : {p}"),
            None => "Payant".to_string(),
        });
    }
    if w.aptic {
        a.reasons.push("Chèques APTIC acceptés".to_string());
    }
    let upcoming: Vec<&crate::workshops::Session> = w
        .sessions
        .iter()
        .filter(|x| x.start.date() >= today)
        .collect();
    let in_slots: Vec<&&crate::workshops::Session> = upcoming
        .iter()
        .filter(|x| {
            s.slots.is_empty()
                || s.slots.iter().any(|slot| {
                    let (from, to) = slot.part.window();
                    x.start.weekday() == slot.day && x.start.time() >= from && x.start.time() < to
                })
        })
        .collect();
    match in_slots.first() {
        Some(first) => {
            a.reasons
                .push(format!("Le {}", session_phrase(first.start)));
            a.score += 1.0;
        }
        None if upcoming.is_empty() => a.fail(Constraint::Hours, "aucune séance à venir"),
        None => a.fail(
            Constraint::Hours,
            "aucune séance quand la personne est libre",
        ),
    }
    if w.format == WorkshopFormat::Remote {
        a.reasons.push("À distance".to_string());
    } else {
        let radius = s.radius_km();
        match distance_m {
            Some(d) if d <= radius * 1_000.0 => {
                a.reasons.push(distance_phrase(d));
                a.score -= 4.0 * d / (radius * 1_000.0).max(1.0);
            }
            Some(d) => a.fail(
                Constraint::Reach,
                format!("{}, trop loin", distance_phrase(d)),
            ),
            None => a.fail(Constraint::Reach, "lieu de l'atelier inconnu"),
        }
    }
    if s.format == Some(FormatWish::Individual) && w.format != WorkshopFormat::IndividualInGroup {
        a.fail(
            Constraint::Format,
            "atelier collectif, la personne préfère être seule avec un aidant",
        );
    }
    if let Some(language) = &s.language
        && language.support().is_some()
    {
        let said = w
            .language_support
            .as_deref()
            .map(crate::text::fold)
            .unwrap_or_default();
        if said.contains(&crate::text::fold(&language.label())) {
            a.reasons
                .push(format!("Accompagnement en {}", language.label()));
        } else {
            a.fail(
                Constraint::Language,
                format!("pas d'accompagnement en {} indiqué", language.label()),
            );
        }
    }
    match seats_left {
        Some(0) => a
            .caveats
            .push("Complet : inscription en liste d'attente".to_string()),
        Some(n) => a.reasons.push(if n == 1 {
            "1 place libre".to_string()
        } else {
            format!("{n} places libres")
        }),
        None => {}
    }
    if w.registration == crate::vocab::RegistrationMode::ReferralOnly {
        a.caveats
            .push("Sur orientation d'un aidant seulement".to_string());
    }
    a
}

/// Rings of distance, in kilometres: a place in a nearer ring comes first.
pub const RINGS_KM: [f64; 6] = [1.0, 2.0, 5.0, 10.0, 20.0, 50.0];

/// The ranking rule, as the answer says it.
pub const RANKING_RULE: &str = "Classés par distance, par tranches (moins de 1 km, 2 km, 5 km, 10 km, 20 km, 50 km), puis, dans chaque tranche, selon ce qui convient le mieux à la personne.";

/// The ring of a distance in metres (unknown: after every ring).
pub fn ring(distance_m: Option<f64>) -> usize {
    match distance_m {
        Some(d) => RINGS_KM
            .iter()
            .position(|km| d <= km * 1_000.0)
            .unwrap_or(RINGS_KM.len()),
        None => RINGS_KM.len() + 1,
    }
}

/// Orders assessments: fitting places first, then by ring of distance, then by score, then by
/// distance. Widening the reach never reorders the places already within it, and a place that
/// fits is never behind one of a farther ring, however many workshops or services that one
/// lists.
pub fn rank<T>(items: &mut [(T, Assessment, Option<f64>)]) {
    items.sort_by(|a, b| {
        b.1.fits()
            .cmp(&a.1.fits())
            .then(ring(a.2).cmp(&ring(b.2)))
            .then(b.1.score.total_cmp(&a.1.score))
            .then(a.2.unwrap_or(f64::MAX).total_cmp(&b.2.unwrap_or(f64::MAX)))
    });
}

/// Why the first of a ranked list of fitting places is first, in words.
pub fn lead_reason(first_m: Option<f64>, nearest_m: Option<f64>) -> String {
    match (first_m, nearest_m) {
        (Some(f), Some(n)) if f <= n => {
            "En tête : le plus proche des lieux qui conviennent.".into()
        }
        (Some(f), _) => match RINGS_KM.get(ring(Some(f))) {
            Some(km) => format!(
                "En tête : parmi les lieux à moins de {} km, celui qui convient le mieux.",
                format!("{km}").replace('.', ",")
            ),
            None => "En tête : celui qui convient le mieux.".into(),
        },
        _ => "En tête : celui qui convient le mieux.".into(),
    }
}
