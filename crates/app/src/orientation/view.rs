//! The orientation's answer as the API and the CLI give it.

use maillage_domain::Vocabulary;
use maillage_domain::orientation::{Constraint, Gap};
use serde::Serialize;
use utoipa::ToSchema;

use super::{Orientation, Proposal};

/// The whole answer: the request understood, then places, workshops, resources and news, each
/// with its reasons.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Orientation)]
pub struct OrientationView {
    pub request: RequestSummary,
    /// Other requests the typed words match.
    pub alternatives: Vec<RequestLink>,
    /// What the person's level calls for, in words.
    pub level_guidance: Option<&'static str>,
    /// What is missing, said first: no place within reach (or in the whole directory) gives
    /// the request's own help.
    pub missing: Option<Missing>,
    /// Places of neighbouring kinds of help, when the request's own help is missing: not
    /// matches, each group said for what it is.
    pub neighbouring_help: Vec<NeighbourGroupView>,
    /// How the places are ranked, and why the first is first.
    pub ranking: Option<String>,
    /// Places reserved to these publics (`jeunes`, `etudiants`…) would fit too: ask whether the
    /// person belongs to them, then pass `public`.
    pub ask_publics: Vec<&'static str>,
    pub radius_km: f64,
    /// Places weighed.
    pub considered: usize,
    /// Places that meet every hard constraint, best first.
    pub results: Vec<ProposalView>,
    /// When few places fit: the nearest that miss only reach or hours.
    pub beyond_limits: Vec<ProposalView>,
    /// Places that help at a distance.
    pub remote: Vec<ProposalView>,
    /// A place of the helper's own structure that fits.
    pub own_structure: Option<ProposalView>,
    pub workshops: Vec<WorkshopProposalView>,
    pub resources: Vec<Link>,
    pub news: Vec<NewsLink>,
}

/// The request's own help is missing.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = OrientationManque)]
pub struct Missing {
    /// Missing within reach, or from the whole directory.
    pub gap: Gap,
    /// In plain words (« Aucun lieu ne propose de matériel informatique à prix solidaire à
    /// moins de 10 km de Nancy (54). »).
    pub sentence: String,
}

/// Places of one neighbouring kind of help.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = OrientationAideVoisine)]
pub struct NeighbourGroupView {
    /// What these places do, after « ces lieux » (« donnent accès à un ordinateur et à
    /// internet »).
    pub these_places: String,
    pub places: Vec<ProposalView>,
}

/// The request understood.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = OrientationDemande)]
pub struct RequestSummary {
    pub id: String,
    pub intitule: String,
    pub partenaires: Vec<String>,
    pub apporter: Vec<String>,
    pub questions: Vec<String>,
}

/// Another request of the catalogue.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = OrientationAutreDemande)]
pub struct RequestLink {
    pub id: String,
    pub intitule: String,
}

/// A place proposed, with why.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = OrientationLieu)]
pub struct ProposalView {
    pub id: String,
    pub lieu: ProposedPlace,
    pub distance_m: Option<i64>,
    pub reasons: Vec<String>,
    pub caveats: Vec<String>,
    /// Constraints the place does not meet (for places beyond the limits).
    pub unmet: Vec<Unmet>,
    /// Rank score, two decimals.
    pub score: f64,
    /// The place belongs to a structure of the network (a referral can be sent).
    pub structure_sur_maillage: bool,
    /// Other records of the same place from other sources, shown once under this one.
    pub same_place: Vec<Link>,
}

/// A constraint not met, and why.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = OrientationContrainte)]
pub struct Unmet {
    pub constraint: Constraint,
    pub reason: String,
}

/// The place in the standard's words.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = OrientationFiche)]
pub struct ProposedPlace {
    pub id: String,
    pub nom: String,
    pub adresse: String,
    pub code_postal: String,
    pub commune: String,
    pub code_insee: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub telephone: Option<String>,
    pub courriels: Vec<String>,
    pub horaires: Option<String>,
    pub services: Vec<&'static str>,
    pub frais_a_charge: Vec<&'static str>,
    pub modalites_accompagnement: Vec<&'static str>,
    pub modalites_acces: Vec<&'static str>,
    pub dispositif_programmes_nationaux: Vec<&'static str>,
    pub prise_en_charge_specifique: Vec<&'static str>,
    /// The place's page on Maillage.
    pub url: String,
}

/// A workshop proposed, with why.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = OrientationAtelier)]
pub struct WorkshopProposalView {
    pub id: String,
    pub titre: String,
    pub niveau_requis: &'static str,
    /// The place's name.
    pub lieu: Option<String>,
    pub commune: String,
    pub distance_m: Option<i64>,
    pub places_libres: Option<u32>,
    pub reasons: Vec<String>,
    pub caveats: Vec<String>,
    pub url: String,
}

/// A resource of the library, to open.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = OrientationRessource)]
pub struct Link {
    pub id: String,
    pub titre: String,
    pub url: String,
}

/// A news item of the watch about the request's platforms.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = OrientationNouvelle)]
pub struct NewsLink {
    pub id: String,
    pub titre: String,
    pub quoi_dire: String,
    pub url: String,
}

fn labels<V: Vocabulary>(values: &[V]) -> Vec<&'static str> {
    values.iter().map(|v| v.label()).collect()
}

impl ProposalView {
    fn of(p: &Proposal, public_url: &str) -> Self {
        let place = &p.place;
        ProposalView {
            id: place.id.clone(),
            lieu: ProposedPlace {
                id: place.id.clone(),
                nom: place.name.clone(),
                adresse: place.address.clone(),
                code_postal: place.postcode.clone(),
                commune: place.commune.clone(),
                code_insee: place.insee_code.clone(),
                latitude: place.location.map(|l| l.lat),
                longitude: place.location.map(|l| l.lon),
                telephone: place.phone.clone(),
                courriels: place.emails.clone(),
                horaires: place.opening_hours.clone(),
                services: labels(&place.services),
                frais_a_charge: labels(&place.fees),
                modalites_accompagnement: labels(&place.support_modes),
                modalites_acces: labels(&place.access_modes),
                dispositif_programmes_nationaux: labels(&place.national_programmes),
                prise_en_charge_specifique: labels(&place.specific_support),
                url: format!("{public_url}/lieux/{}", place.id),
            },
            distance_m: p.distance_m.map(|d| d.round() as i64),
            reasons: p.assessment.reasons.clone(),
            caveats: p.assessment.caveats.clone(),
            unmet: p
                .assessment
                .failed
                .iter()
                .map(|(c, why)| Unmet {
                    constraint: *c,
                    reason: why.clone(),
                })
                .collect(),
            score: (p.assessment.score * 100.0).round() / 100.0,
            structure_sur_maillage: p.organisation_id.is_some(),
            same_place: p
                .same_place
                .iter()
                .map(|(id, name)| Link {
                    id: id.clone(),
                    titre: name.clone(),
                    url: format!("{public_url}/lieux/{id}"),
                })
                .collect(),
        }
    }
}

impl OrientationView {
    pub fn of(o: &Orientation, public_url: &str) -> Self {
        let proposals = |list: &[Proposal]| -> Vec<ProposalView> {
            list.iter()
                .map(|p| ProposalView::of(p, public_url))
                .collect()
        };
        OrientationView {
            request: RequestSummary {
                id: o.entry.id.clone(),
                intitule: o.entry.title.clone(),
                partenaires: o.entry.partners.clone(),
                apporter: o.entry.bring.clone(),
                questions: o.entry.questions.clone(),
            },
            alternatives: o
                .alternatives
                .iter()
                .map(|e| RequestLink {
                    id: e.id.clone(),
                    intitule: e.title.clone(),
                })
                .collect(),
            level_guidance: o.level_guidance,
            missing: o
                .gap
                .zip(o.gap_sentence.clone())
                .map(|(gap, sentence)| Missing { gap, sentence }),
            neighbouring_help: o
                .neighbours
                .iter()
                .map(|g| NeighbourGroupView {
                    these_places: g.phrase.clone(),
                    places: proposals(&g.places),
                })
                .collect(),
            ranking: o.ranking.clone(),
            ask_publics: o.ask_publics.iter().map(|p| p.slug()).collect(),
            radius_km: o.radius_km,
            considered: o.considered,
            results: proposals(&o.places),
            beyond_limits: proposals(&o.beyond),
            remote: proposals(&o.remote),
            own_structure: o.own.as_ref().map(|p| ProposalView::of(p, public_url)),
            workshops: o
                .workshops
                .iter()
                .map(|w| {
                    let workshop = &w.hit.stored.workshop;
                    WorkshopProposalView {
                        id: workshop.id.clone(),
                        titre: workshop.title.clone(),
                        niveau_requis: workshop.level_required.slug(),
                        lieu: w.hit.place_name.clone(),
                        commune: workshop.commune.clone(),
                        distance_m: w.hit.distance_m.map(|d| d.round() as i64),
                        places_libres: w.hit.seats_left,
                        reasons: w.assessment.reasons.clone(),
                        caveats: w.assessment.caveats.clone(),
                        url: format!("{public_url}/ateliers/{}", workshop.id),
                    }
                })
                .collect(),
            resources: o
                .resources
                .iter()
                .map(|r| Link {
                    id: r.resource.id.clone(),
                    titre: r.resource.title.clone(),
                    url: format!("{public_url}/ressources/{}", r.resource.id),
                })
                .collect(),
            news: o
                .news
                .iter()
                .map(|n| NewsLink {
                    id: n.id.clone(),
                    titre: n.title.clone(),
                    quoi_dire: n.what_to_say.clone(),
                    url: format!("{public_url}/veille/{}", n.id),
                })
                .collect(),
        }
    }
}
