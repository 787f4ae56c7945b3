//! What is missing: when no place within reach gives the help a request needs, the answer says
//! so first, in plain words, and proposes places of a neighbouring kind of help apart, labelled
//! as what they are (« aucun lieu ne propose de matériel informatique à prix solidaire à moins
//! de 10 km ; ces lieux donnent accès à un ordinateur et à internet »).

use super::*;

/// Constraints that say the place does not give the request's own help (rather than giving it
/// at the wrong time, too far or in the wrong way).
const KIND_OF_HELP: [Constraint; 3] = [
    Constraint::Request,
    Constraint::Equipment,
    Constraint::Limit,
];

impl Assessment {
    /// The place gives the kind of help the request needs (it may still miss other constraints).
    pub fn gives_the_help(&self) -> bool {
        !self.failed.iter().any(|(c, _)| KIND_OF_HELP.contains(c))
    }
}

/// The help a request needs is missing…
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Gap {
    /// …within the person's reach (places farther away give it).
    Reach,
    /// …from the whole directory as far as it was searched.
    Directory,
}

/// Whether the help is missing, from the assessed places that were searched for the request's
/// own kind of help (each with its distance in metres).
pub fn gap<'a>(
    assessed: impl IntoIterator<Item = (&'a Assessment, Option<f64>)>,
    radius_km: f64,
) -> Option<Gap> {
    let mut anywhere = false;
    for (a, distance) in assessed {
        if a.gives_the_help() {
            if distance.is_some_and(|d| d <= radius_km * 1_000.0) {
                return None;
            }
            anywhere = true;
        }
    }
    Some(if anywhere { Gap::Reach } else { Gap::Directory })
}

/// The request's own help in plain words, to follow « aucun lieu ne propose ».
pub fn help_phrase(entry: &RequestEntry) -> String {
    let mut said: Vec<String> = entry
        .services
        .iter()
        .map(|s| service_phrase(*s).to_string())
        .collect();
    if said.is_empty() {
        said = entry
            .mediation_forms
            .iter()
            .map(|f| format!("de « {} »", f.label().to_lowercase()))
            .collect();
    }
    let mut phrase = said.join(" ni ");
    if entry.on_site_equipment {
        phrase.push_str(" sur place");
    }
    phrase
}

/// The sentence saying what is missing, first in the answer.
pub fn gap_sentence(entry: &RequestEntry, gap: Gap, radius_km: f64, near: &str) -> String {
    let what = help_phrase(entry);
    match gap {
        Gap::Reach => format!(
            "Aucun lieu ne propose {what} à moins de {} km de {near}.",
            format!("{radius_km}").replace('.', ",")
        ),
        Gap::Directory => format!("Aucun lieu de l'annuaire ne propose {what}."),
    }
}

fn service_phrase(s: Service) -> &'static str {
    match s {
        Service::AdministrativeProcedures => "d'aide aux démarches administratives en ligne",
        Service::EverydayTools => "d'aide pour apprendre les outils numériques du quotidien",
        Service::ProfessionalIntegration => {
            "d'aide à l'insertion professionnelle (CV, candidatures)"
        }
        Service::SafeUse => "d'aide pour utiliser le numérique en sécurité",
        Service::Parenting => "d'aide à la parentalité et à l'éducation avec le numérique",
        Service::Leisure => "d'activités de loisirs et de création numériques",
        Service::UnderstandingDigital => "de découverte du monde numérique",
        Service::InternetAccess => "d'accès à un ordinateur et à internet",
        Service::SolidarityEquipment => "de matériel informatique à prix solidaire",
    }
}

/// A neighbouring kind of help: a service or a form of mediation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Neighbour {
    Service(Service),
    Form(MediationForm),
}

impl Neighbour {
    /// The request's neighbouring kinds of help, in the catalogue's order.
    pub fn of(entry: &RequestEntry) -> Vec<Neighbour> {
        entry
            .neighbour_services
            .iter()
            .map(|s| Neighbour::Service(*s))
            .chain(entry.neighbour_forms.iter().map(|f| Neighbour::Form(*f)))
            .collect()
    }

    /// Whether the place gives this kind of help.
    pub fn given_by(self, place: &Place) -> bool {
        match self {
            Neighbour::Service(s) => place.services.contains(&s),
            Neighbour::Form(f) => place.extras.mediation_forms.contains(&f),
        }
    }

    /// What places of this kind do, to follow « ces lieux ».
    pub fn phrase(self) -> String {
        match self {
            Neighbour::Service(s) => match s {
                Service::AdministrativeProcedures => {
                    "aident aux démarches en ligne : demander s'ils ont ce qu'il faut".to_string()
                }
                Service::EverydayTools => {
                    "apprennent à se servir des outils numériques du quotidien".to_string()
                }
                Service::ProfessionalIntegration => {
                    "aident à l'insertion professionnelle".to_string()
                }
                Service::SafeUse => "aident à utiliser le numérique en sécurité".to_string(),
                Service::Parenting => "aident les parents face au numérique".to_string(),
                Service::Leisure => "proposent des loisirs et créations numériques".to_string(),
                Service::UnderstandingDigital => "font découvrir le monde numérique".to_string(),
                Service::InternetAccess => {
                    "donnent accès à un ordinateur et à internet".to_string()
                }
                Service::SolidarityEquipment => {
                    "vendent du matériel informatique à prix solidaire".to_string()
                }
            },
            Neighbour::Form(f) => match f {
                MediationForm::Repair => "réparent le matériel informatique".to_string(),
                MediationForm::MediationInterview => {
                    "reçoivent en entretien individuel pour toute question numérique".to_string()
                }
                MediationForm::SkillsWorkshops => {
                    "proposent des ateliers pour progresser".to_string()
                }
                MediationForm::FreeWifi => {
                    "ont un wi-fi gratuit, pour qui a son propre appareil".to_string()
                }
                MediationForm::SelfServiceComputers | MediationForm::MediatedComputers => {
                    "ont des ordinateurs en libre-service".to_string()
                }
                MediationForm::RiskAwareness => {
                    "proposent des ateliers sur les risques d'internet".to_string()
                }
                MediationForm::Coworking => "ont un espace de co-working".to_string(),
                other => format!("proposent : {}", other.label().to_lowercase()),
            },
        }
    }

    /// The request reduced to this neighbouring kind of help, to search and assess its places
    /// with the same rules (the person's constraints stay hard).
    pub fn as_request(self, entry: &RequestEntry) -> RequestEntry {
        let mut e = entry.clone();
        e.services.clear();
        e.mediation_forms.clear();
        e.neighbour_services.clear();
        e.neighbour_forms.clear();
        e.on_site_equipment = false;
        match self {
            Neighbour::Service(s) => e.services.push(s),
            Neighbour::Form(f) => e.mediation_forms.push(f),
        }
        e
    }
}
