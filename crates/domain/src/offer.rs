//! The territory's offer inventory (issue #7), like seed 004's: the share of structures that
//! offer a diagnostic, assistance with procedures, orientation, workshops, free access to
//! equipment, wifi, equipment lending or sale — as the directory describes them, and as their
//! activity records show them practised.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::place::Place;
use crate::vocab::{MediationForm, Service, SupportMode};

/// An offer of seed 004's inventory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Offer {
    Diagnostic,
    Procedures,
    Orientation,
    Workshops,
    FreeAccess,
    Wifi,
    Equipment,
}

impl Offer {
    pub const ALL: [Offer; 7] = [
        Offer::Diagnostic,
        Offer::Procedures,
        Offer::Orientation,
        Offer::Workshops,
        Offer::FreeAccess,
        Offer::Wifi,
        Offer::Equipment,
    ];
    pub fn slug(self) -> &'static str {
        match self {
            Offer::Diagnostic => "diagnostic",
            Offer::Procedures => "demarches",
            Offer::Orientation => "orientation",
            Offer::Workshops => "ateliers",
            Offer::FreeAccess => "acces-libre",
            Offer::Wifi => "wifi",
            Offer::Equipment => "materiel",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Offer::Diagnostic => "Un diagnostic des compétences numériques",
            Offer::Procedures => "L'assistance aux démarches en ligne",
            Offer::Orientation => "L'orientation vers d'autres structures",
            Offer::Workshops => "Des ateliers collectifs",
            Offer::FreeAccess => "Un accès libre à de l'équipement",
            Offer::Wifi => "Du wifi en libre service",
            Offer::Equipment => "Le prêt ou la vente de matériel",
        }
    }
    /// How the directory says it, and how the records show it.
    pub fn definition(self) -> &'static str {
        match self {
            Offer::Diagnostic => {
                "Annuaire : forme « Entretien individuel de médiation numérique ». Activité : au moins un diagnostic enregistré (Faire le point) dans la période."
            }
            Offer::Procedures => {
                "Annuaire : service « Aide aux démarches administratives » ou entretiens d'accès aux droits. Activité : au moins une aide aux démarches enregistrée."
            }
            Offer::Orientation => {
                "Annuaire : pas de rubrique dans le standard. Activité : au moins une activité « orientée » ou une orientation envoyée depuis Maillage."
            }
            Offer::Workshops => {
                "Annuaire : modalité « Dans un atelier collectif » ou une forme d'atelier. Activité : au moins un atelier collectif enregistré ou publié."
            }
            Offer::FreeAccess => {
                "Annuaire : ordinateurs en libre-service (avec ou sans médiateur) ou service « Accès internet et matériel informatique »."
            }
            Offer::Wifi => "Annuaire : forme « Wi-fi gratuit ».",
            Offer::Equipment => {
                "Annuaire : service « Acquisition de matériel informatique à prix solidaire » ou équipements mobiles prêtés."
            }
        }
    }
}

/// What the directory says a place offers.
pub fn declared(place: &Place) -> BTreeSet<Offer> {
    let mut out = BTreeSet::new();
    let form = |f: MediationForm| place.extras.mediation_forms.contains(&f);
    if form(MediationForm::MediationInterview) {
        out.insert(Offer::Diagnostic);
    }
    if place.services.contains(&Service::AdministrativeProcedures)
        || form(MediationForm::SimpleRights)
        || form(MediationForm::InDepthRights)
        || form(MediationForm::Emergency)
    {
        out.insert(Offer::Procedures);
    }
    if place.support_modes.contains(&SupportMode::Workshop)
        || [
            MediationForm::SkillsWorkshops,
            MediationForm::RiskAwareness,
            MediationForm::ParentingYouth,
            MediationForm::MediaInformation,
            MediationForm::MutualAid,
        ]
        .into_iter()
        .any(form)
    {
        out.insert(Offer::Workshops);
    }
    if form(MediationForm::SelfServiceComputers)
        || form(MediationForm::MediatedComputers)
        || place.services.contains(&Service::InternetAccess)
    {
        out.insert(Offer::FreeAccess);
    }
    if form(MediationForm::FreeWifi) {
        out.insert(Offer::Wifi);
    }
    if place.services.contains(&Service::SolidarityEquipment)
        || form(MediationForm::MobileEquipment)
    {
        out.insert(Offer::Equipment);
    }
    out
}

/// One structure: what its places declare, what its records show.
#[derive(Debug, Clone, Default)]
pub struct OrganisationOffer {
    pub declared: BTreeSet<Offer>,
    pub practised: BTreeSet<Offer>,
}

/// A line of the inventory.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InventoryRow {
    pub offer: Offer,
    pub declared: u64,
    pub practised: u64,
    /// Declared or practised.
    pub either: u64,
    pub declared_share: f64,
    pub practised_share: f64,
    pub either_share: f64,
}

/// The inventory over the structures of a territory.
pub fn inventory(orgs: &[OrganisationOffer]) -> (u64, Vec<InventoryRow>) {
    let n = orgs.len() as u64;
    let share = |v: u64| {
        if n == 0 {
            0.0
        } else {
            (v as f64 * 1000.0 / n as f64).round() / 10.0
        }
    };
    let rows = Offer::ALL
        .into_iter()
        .map(|offer| {
            let declared = orgs.iter().filter(|o| o.declared.contains(&offer)).count() as u64;
            let practised = orgs.iter().filter(|o| o.practised.contains(&offer)).count() as u64;
            let either = orgs
                .iter()
                .filter(|o| o.declared.contains(&offer) || o.practised.contains(&offer))
                .count() as u64;
            InventoryRow {
                offer,
                declared,
                practised,
                either,
                declared_share: share(declared),
                practised_share: share(practised),
                either_share: share(either),
            }
        })
        .collect();
    (n, rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_of_structures_declaring_and_practising() {
        let a = OrganisationOffer {
            declared: [Offer::Procedures, Offer::Wifi].into(),
            practised: [Offer::Procedures, Offer::Orientation].into(),
        };
        let b = OrganisationOffer {
            declared: [Offer::Workshops].into(),
            practised: BTreeSet::new(),
        };
        let (n, rows) = inventory(&[a, b]);
        assert_eq!(n, 2);
        let row = |o: Offer| rows.iter().find(|r| r.offer == o).cloned().expect("ligne");
        assert_eq!(row(Offer::Procedures).declared_share, 50.0);
        assert_eq!(row(Offer::Orientation).practised, 1);
        assert_eq!(row(Offer::Orientation).declared, 0);
        assert_eq!(row(Offer::Workshops).either, 1);
        assert_eq!(row(Offer::Diagnostic).either_share, 0.0);
    }
}
