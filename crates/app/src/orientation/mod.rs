//! Orientation: a request (from the catalogue, or typed and matched against it with the
//! directory's French text engine) and what is known of the person → ranked places, workshops,
//! resources and the watch's news, each place with the reasons it fits and those it may not
//! (rules in `maillage_domain::orientation`). Nothing about the person is stored here.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::NaiveDate;
use maillage_domain::diagnostic::Level;
use maillage_domain::geo::GeoPoint;
use maillage_domain::orientation::{
    Assessment, Constraint, EARLIER_CATALOGUES, Gap, INITIAL_CATALOGUE, Neighbour, RANKING_RULE,
    RequestEntry, RequestForm, Situation, assess, assess_workshop, gap, gap_sentence, guidance,
    initial_catalogue, lead_reason, publics_to_ask, rank,
};
use maillage_domain::policy::{Action, Actor, authorize};
use maillage_domain::resources::Audience;
use maillage_domain::vocab::SupportMode;
use maillage_domain::watch::NewsItem;
use maillage_domain::{Place, text};
use maillage_search::{SearchQuery, TextDocument, TextIndex};
use maillage_store::{StoredPlace, StoredResource};

use crate::resources::ResourceFilter;
use crate::workshops::{WorkshopFilter, WorkshopHit};
use crate::{App, AppError, allow, today};

mod view;
pub use view::OrientationView;

/// How many places nearest to the person are weighed (per kind of help of the request).
const CANDIDATES: usize = 300;
/// Places proposed.
const PROPOSED: usize = 10;
/// Places proposed per neighbouring kind of help.
const NEIGHBOURS: usize = 5;
/// Options beyond the limits shown when fewer than this many places fit.
const ENOUGH: usize = 3;

/// The catalogue with its text index.
pub struct Catalogue {
    pub entries: Vec<RequestEntry>,
    index: TextIndex,
}

impl Catalogue {
    fn build(entries: Vec<RequestEntry>) -> Result<Self, AppError> {
        let index = TextIndex::build(entries.iter().map(|e| TextDocument {
            id: e.id.clone(),
            title: e.title.clone(),
            body: e.searchable_text(),
        }))?;
        Ok(Catalogue { entries, index })
    }

    pub fn entry(&self, id: &str) -> Option<&RequestEntry> {
        self.entries.iter().find(|e| e.id == id)
    }

    /// Entries matching a typed request, best first.
    pub fn matching(&self, text: &str) -> Result<Vec<&RequestEntry>, AppError> {
        let mut found = self.index.search(text)?;
        if found.is_empty() {
            found = self.index.search_any(text)?;
        }
        Ok(found
            .into_iter()
            .filter_map(|(id, _)| self.entry(&id))
            .collect())
    }
}

/// What the helper asks.
#[derive(Debug, Clone)]
pub struct OrientationQuery {
    /// An entry of the catalogue…
    pub request_id: Option<String>,
    /// …or the request as typed.
    pub text: Option<String>,
    /// Where the person lives or can go.
    pub near: GeoPoint,
    pub near_label: String,
    /// The commune of `near`, when it was named (unmet requests are counted by commune).
    pub near_insee: Option<String>,
    pub situation: Situation,
}

/// A place proposed, with why.
#[derive(Debug, Clone)]
pub struct Proposal {
    pub place: Place,
    pub organisation_id: Option<String>,
    /// Where the record comes from (duplicates between sources are shown once).
    pub source: Option<String>,
    pub distance_m: Option<f64>,
    pub assessment: Assessment,
    /// Other records of the same place from other sources (quasi-certain duplicates), shown
    /// once under this one: (identifier, name).
    pub same_place: Vec<(String, String)>,
}

/// A workshop proposed, with why.
#[derive(Debug, Clone)]
pub struct WorkshopProposal {
    pub hit: WorkshopHit,
    pub assessment: Assessment,
}

/// Places of a neighbouring kind of help, proposed when the request's own help is missing.
#[derive(Debug, Clone)]
pub struct NeighbourGroup {
    /// What these places do, to follow « ces lieux » (« donnent accès à un ordinateur »).
    pub phrase: String,
    pub places: Vec<Proposal>,
}

/// The answer.
#[derive(Debug, Clone)]
pub struct Orientation {
    pub entry: RequestEntry,
    /// No place within reach (or in the whole directory) gives the request's own help…
    pub gap: Option<Gap>,
    /// …said first, in plain words.
    pub gap_sentence: Option<String>,
    /// Then places of neighbouring kinds of help, apart and labelled, never as matches.
    pub neighbours: Vec<NeighbourGroup>,
    /// How the places are ranked, and why the first is first.
    pub ranking: Option<String>,
    /// Places reserved to these publics would fit too: the helper is asked whether the person
    /// belongs to them (young people…), since the form did not say.
    pub ask_publics: Vec<maillage_domain::vocab::Public>,
    /// Other entries the typed words match (to change the request in one click).
    pub alternatives: Vec<RequestEntry>,
    pub level_guidance: Option<&'static str>,
    /// Places that meet every hard constraint, best first.
    pub places: Vec<Proposal>,
    /// When few places fit: the nearest that miss only reach or hours.
    pub beyond: Vec<Proposal>,
    /// Places that help at a distance, when few places fit within reach.
    pub remote: Vec<Proposal>,
    /// A place of the helper's own structure that fits: it can answer itself.
    pub own: Option<Proposal>,
    pub workshops: Vec<WorkshopProposal>,
    pub resources: Vec<StoredResource>,
    pub news: Vec<NewsItem>,
    /// Places weighed.
    pub considered: usize,
    pub radius_km: f64,
}

impl App {
    /// The catalogue (built once, rebuilt after an edit).
    pub async fn catalogue(&self) -> Result<Arc<Catalogue>, AppError> {
        if let Some(c) = self.catalogue_cache().clone() {
            return Ok(c);
        }
        // A network that never had the field's requests gets them (once: a no-op after).
        self.seed_catalogue_entries().await?;
        let built = Arc::new(Catalogue::build(self.store.request_catalogue().await?)?);
        *self.catalogue_cache() = Some(built.clone());
        Ok(built)
    }

    /// Loads the field's common requests into a new network (once).
    pub async fn seed_catalogue(&self) -> Result<usize, AppError> {
        let added = self.seed_catalogue_entries().await?;
        *self.catalogue_cache() = None;
        Ok(added)
    }

    async fn seed_catalogue_entries(&self) -> Result<usize, AppError> {
        let entries = initial_catalogue()
            .map_err(|e| AppError::Invalid(format!("catalogue initial illisible : {e}")))?;
        Ok(self
            .store
            .seed_request_catalogue(INITIAL_CATALOGUE, &EARLIER_CATALOGUES, &entries)
            .await?)
    }

    /// Creates (`id` = `None`) or edits an entry of the catalogue (coordinators).
    pub async fn save_catalogue_entry(
        &self,
        actor: Option<&Actor>,
        id: Option<&str>,
        form: &RequestForm,
    ) -> Result<Result<String, Vec<(&'static str, String)>>, AppError> {
        allow(authorize(actor, &Action::EditCatalogue, today()))?;
        let id = match id {
            Some(id) => {
                if self.catalogue().await?.entry(id).is_none() {
                    return Err(AppError::NotFound);
                }
                id.to_string()
            }
            None => {
                let base = text::fold(&form.title).replace(' ', "-");
                let base: String = base.chars().take(60).collect();
                let base = if base.is_empty() {
                    "demande".to_string()
                } else {
                    base
                };
                let catalogue = self.catalogue().await?;
                let mut id = base.clone();
                let mut n = 2;
                while catalogue.entry(&id).is_some() {
                    id = format!("{base}-{n}");
                    n += 1;
                }
                id
            }
        };
        let entry = match form.validate(&id, |t| self.typologies.label(t).is_some()) {
            Ok(e) => e,
            Err(errors) => return Ok(Err(errors)),
        };
        self.store
            .save_request_entry(&entry, actor.map(|a| a.user_id.as_str()))
            .await?;
        *self.catalogue_cache() = None;
        Ok(Ok(id))
    }

    pub async fn delete_catalogue_entry(
        &self,
        actor: Option<&Actor>,
        id: &str,
    ) -> Result<(), AppError> {
        allow(authorize(actor, &Action::EditCatalogue, today()))?;
        if !self.store.delete_request_entry(id).await? {
            return Err(AppError::NotFound);
        }
        *self.catalogue_cache() = None;
        Ok(())
    }

    /// Finds what answers a request for this person.
    pub async fn orient(
        &self,
        actor: Option<&Actor>,
        q: &OrientationQuery,
    ) -> Result<Orientation, AppError> {
        self.orient_on(actor, q, today()).await
    }

    /// The same, as of a given day (opening hours and sessions are read from it).
    pub async fn orient_on(
        &self,
        actor: Option<&Actor>,
        q: &OrientationQuery,
        day: NaiveDate,
    ) -> Result<Orientation, AppError> {
        allow(authorize(actor, &Action::Orient, day))?;
        let catalogue = self.catalogue().await?;
        let (entry, alternatives) = match (&q.request_id, &q.text) {
            (Some(id), _) => (
                catalogue.entry(id).cloned().ok_or_else(|| {
                    AppError::Invalid(format!("demande « {id} » inconnue du catalogue"))
                })?,
                Vec::new(),
            ),
            (None, Some(text)) if !text.trim().is_empty() => {
                maillage_domain::text::check_query(text).map_err(AppError::TooLarge)?;
                let typed = text.clone();
                let matched = catalogue.clone();
                let found: Vec<String> = tokio::task::spawn_blocking(move || {
                    matched
                        .matching(&typed)
                        .map(|f| f.into_iter().map(|e| e.id.clone()).collect())
                })
                .await
                .map_err(|e| AppError::Invalid(format!("recherche interrompue : {e}")))??;
                let found: Vec<&RequestEntry> =
                    found.iter().filter_map(|id| catalogue.entry(id)).collect();
                let Some(first) = found.first() else {
                    return Err(AppError::Invalid(format!(
                        "aucune demande du catalogue ne correspond à « {} » : choisissez-en une dans la liste ou dites-le autrement",
                        text.trim()
                    )));
                };
                (
                    (*first).clone(),
                    found.iter().skip(1).take(4).map(|e| (*e).clone()).collect(),
                )
            }
            _ => {
                return Err(AppError::Invalid(
                    "dites la demande de la personne, ou choisissez-la dans la liste".into(),
                ));
            }
        };
        let s = &q.situation;
        let radius_km = s.radius_km();
        // Workshops, resources and watch items do not depend on the places: read beside them.
        let (found, (workshops, resources, news)) = tokio::try_join!(
            self.weigh_places(actor, q, &entry, day),
            self.orientation_extras(actor, &entry, s, q.near, radius_km, day),
        )?;
        Ok(Orientation {
            gap: found.gap,
            gap_sentence: found
                .gap
                .map(|g| gap_sentence(&entry, g, radius_km, &q.near_label)),
            neighbours: found.neighbours,
            ranking: found.ranking,
            ask_publics: found.ask_publics,
            level_guidance: s.level.map(guidance),
            alternatives,
            entry,
            places: found.places,
            beyond: found.beyond,
            remote: found.remote,
            own: found.own,
            workshops,
            resources,
            news,
            considered: found.considered,
            radius_km,
        })
    }

    /// The places for the request: assessed, ranked, shown once; those beyond the limits, the
    /// neighbouring kinds of help when the request's own is missing.
    async fn weigh_places(
        &self,
        actor: Option<&Actor>,
        q: &OrientationQuery,
        entry: &RequestEntry,
        day: NaiveDate,
    ) -> Result<Weighed, AppError> {
        let s = &q.situation;
        let radius_km = s.radius_km();

        // Candidates: the places nearest to the person that offer one of the request's kinds of
        // help (one search per kind: services, forms of mediation), far enough to find options
        // beyond the limits.
        let wide = (radius_km * 3.0).max(radius_km + 20.0);
        let mut assessed = self
            .assess_candidates(entry, s, q.near, Some(wide), CANDIDATES, day)
            .await?;
        let fitting = assessed.iter().filter(|(_, a, _)| a.fits()).count();
        let beyond_found = assessed
            .iter()
            .filter(|(_, a, _)| a.fits_beyond_limits())
            .count();
        if fitting < ENOUGH && beyond_found < ENOUGH {
            // Few places around: the nearest ones anywhere, to show what exists beyond.
            let seen: HashSet<String> = assessed
                .iter()
                .map(|(p, _, _)| p.place.id.clone())
                .collect();
            let farther = self
                .assess_candidates(entry, s, q.near, None, 50, day)
                .await?;
            assessed.extend(
                farther
                    .into_iter()
                    .filter(|(p, _, _)| !seen.contains(&p.place.id)),
            );
        }
        let considered = assessed.len();
        let gap = gap(assessed.iter().map(|(_, a, d)| (a, *d)), radius_km);
        let mut neighbours = Vec::new();
        if let Some(gap) = gap {
            if let Some(insee) = &q.near_insee {
                self.store
                    .record_unmet_request(&maillage_store::UnmetRequest {
                        day,
                        request_id: entry.id.clone(),
                        insee_code: insee.clone(),
                        anywhere: gap == Gap::Directory,
                        radius_km,
                        asked: 1,
                    })
                    .await?;
            }
            let mut shown = HashSet::new();
            for n in Neighbour::of(entry) {
                let mut found = self
                    .assess_candidates(&n.as_request(entry), s, q.near, Some(radius_km), 60, day)
                    .await?;
                rank(&mut found);
                let found = self.proposals_once(found).await?;
                let places: Vec<Proposal> = found
                    .into_iter()
                    .filter(|(p, a, _)| a.fits() && shown.insert(p.place.id.clone()))
                    .take(NEIGHBOURS)
                    .map(|(p, _, _)| p)
                    .collect();
                if !places.is_empty() {
                    neighbours.push(NeighbourGroup {
                        phrase: n.phrase(),
                        places,
                    });
                }
            }
        }
        rank(&mut assessed);
        let assessed = self.proposals_once(assessed).await?;
        let own_orgs: Vec<String> = actor
            .map(|a| {
                a.memberships
                    .iter()
                    .filter(|m| m.in_force(day))
                    .map(|m| m.organisation_id.clone())
                    .collect()
            })
            .unwrap_or_default();
        let own = assessed
            .iter()
            .find(|(p, a, _)| {
                a.fits()
                    && p.organisation_id
                        .as_ref()
                        .is_some_and(|o| own_orgs.contains(o))
            })
            .map(|(p, _, _)| p.clone());
        let places: Vec<Proposal> = assessed
            .iter()
            .filter(|(_, a, _)| a.fits())
            .take(PROPOSED)
            .map(|(p, _, _)| p.clone())
            .collect();
        let mut ask_publics: Vec<maillage_domain::vocab::Public> = Vec::new();
        for (p, a, _) in &assessed {
            if a.failed.len() == 1 && a.failed[0].0 == Constraint::PublicUnasked {
                for public in publics_to_ask(&p.place) {
                    if !ask_publics.contains(&public) {
                        ask_publics.push(public);
                    }
                }
            }
        }
        let ranking = places.first().map(|first| {
            let nearest = places.iter().filter_map(|p| p.distance_m).reduce(f64::min);
            format!("{RANKING_RULE} {}", lead_reason(first.distance_m, nearest))
        });
        let (beyond, remote) = if places.len() < ENOUGH {
            let mut beyond: Vec<&(Proposal, Assessment, Option<f64>)> = assessed
                .iter()
                .filter(|(_, a, _)| a.fits_beyond_limits())
                .collect();
            beyond.sort_by(|a, b| a.2.unwrap_or(f64::MAX).total_cmp(&b.2.unwrap_or(f64::MAX)));
            let remote: Vec<Proposal> = beyond
                .iter()
                .filter(|(p, _, _)| p.place.support_modes.contains(&SupportMode::Remote))
                .take(3)
                .map(|(p, _, _)| p.clone())
                .collect();
            (
                beyond
                    .into_iter()
                    .take(5)
                    .map(|(p, _, _)| p.clone())
                    .collect(),
                remote,
            )
        } else {
            (Vec::new(), Vec::new())
        };

        Ok(Weighed {
            places,
            beyond,
            remote,
            own,
            ask_publics,
            ranking,
            gap,
            neighbours,
            considered,
        })
    }

    /// Workshops of the request's themes within reach that fit the person, resources for the
    /// person and the helper, watch items on the request's platforms.
    async fn orientation_extras(
        &self,
        actor: Option<&Actor>,
        entry: &RequestEntry,
        s: &Situation,
        near: GeoPoint,
        radius_km: f64,
        day: NaiveDate,
    ) -> Result<(Vec<WorkshopProposal>, Vec<StoredResource>, Vec<NewsItem>), AppError> {
        // Workshops of the request's themes, within reach, that fit the person.
        let workshops = if entry.themes.is_empty() {
            Vec::new()
        } else {
            let found = self
                .find_workshops(&WorkshopFilter {
                    themes: entry.themes.clone(),
                    from: Some(day),
                    to: day.checked_add_signed(chrono::Duration::days(60)),
                    near: Some((near, radius_km)),
                    ..WorkshopFilter::default()
                })
                .await?;
            let mut proposals: Vec<WorkshopProposal> = found
                .into_iter()
                .filter_map(|hit| {
                    let a = assess_workshop(
                        entry,
                        s,
                        &hit.stored.workshop,
                        hit.distance_m,
                        hit.seats_left,
                        day,
                    );
                    a.fits().then_some(WorkshopProposal { hit, assessment: a })
                })
                .collect();
            proposals.truncate(5);
            proposals
        };

        // Resources for the person (autonomous people first of all) and for the helper.
        let mut resources = if entry.themes.is_empty() {
            Vec::new()
        } else {
            self.find_resources(
                actor,
                &ResourceFilter {
                    themes: entry.themes.clone(),
                    level: s.level,
                    audience: (s.level == Some(Level::Autonomous)).then_some(Audience::Public),
                    ..ResourceFilter::default()
                },
            )
            .await?
        };
        resources.truncate(4);

        let news: Vec<NewsItem> = if entry.platforms.is_empty() {
            Vec::new()
        } else {
            self.store
                .news(None, None)
                .await?
                .into_iter()
                .filter(|n| n.concerns(&entry.platforms) || n.concerns_procedure(&entry.title))
                .take(3)
                .collect()
        };

        Ok((workshops, resources, news))
    }
}

/// The places weighed for a request (see [`App::weigh_places`]).
struct Weighed {
    places: Vec<Proposal>,
    beyond: Vec<Proposal>,
    remote: Vec<Proposal>,
    own: Option<Proposal>,
    ask_publics: Vec<maillage_domain::vocab::Public>,
    ranking: Option<String>,
    gap: Option<Gap>,
    neighbours: Vec<NeighbourGroup>,
    considered: usize,
}

impl App {
    /// The places nearest to the person that offer one of the request's kinds of help (one
    /// search per kind: services, forms of mediation), each assessed.
    async fn assess_candidates(
        &self,
        entry: &RequestEntry,
        s: &Situation,
        near: GeoPoint,
        radius_km: Option<f64>,
        limit: usize,
        day: NaiveDate,
    ) -> Result<Vec<(Proposal, Assessment, Option<f64>)>, AppError> {
        let index = self.index();
        let mut searches = Vec::new();
        if !entry.services.is_empty() {
            searches.push(SearchQuery {
                services: entry.services.clone(),
                ..SearchQuery::default()
            });
        }
        if !entry.mediation_forms.is_empty() {
            searches.push(SearchQuery {
                mediation_forms: entry.mediation_forms.clone(),
                ..SearchQuery::default()
            });
        }
        // The searches are CPU work: off the async threads.
        let hits = tokio::task::spawn_blocking(move || {
            let mut hits = Vec::new();
            let mut seen = HashSet::new();
            for search in searches {
                let found = index.search(&SearchQuery {
                    near: Some(near),
                    radius_km,
                    limit,
                    ..search
                })?;
                for hit in found.hits {
                    if seen.insert(hit.id.clone()) {
                        hits.push(hit);
                    }
                }
            }
            Ok::<_, AppError>(hits)
        })
        .await
        .map_err(|e| AppError::Invalid(format!("recherche interrompue : {e}")))??;
        let places: Vec<(Option<f64>, StoredPlace)> = self
            .places_of_hits(&hits)
            .await?
            .into_iter()
            .map(|(hit, sp)| (hit.distance_m, sp))
            .collect();
        // Each place weighed against every rule: CPU work, shared between the cores, off the
        // async threads (the order of the candidates is kept).
        let (entry, s) = (entry.clone(), s.clone());
        tokio::task::spawn_blocking(move || {
            use rayon::prelude::*;
            places
                .into_par_iter()
                .map(|(distance_m, sp)| {
                    let a = assess(&entry, &s, &sp.place, distance_m, day);
                    (
                        Proposal {
                            source: sp
                                .place
                                .source
                                .clone()
                                .filter(|v| !v.trim().is_empty())
                                .or(sp.source),
                            place: sp.place,
                            organisation_id: sp.organisation_id,
                            distance_m,
                            assessment: a.clone(),
                            same_place: Vec::new(),
                        },
                        a,
                        distance_m,
                    )
                })
                .collect()
        })
        .await
        .map_err(|e| AppError::Invalid(format!("évaluation interrompue : {e}")))
    }
}

impl App {
    /// Ranked proposals with quasi-certain duplicates between sources shown once (issue #10):
    /// the others are named under the one that ranks first.
    async fn proposals_once(
        &self,
        ranked: Vec<(Proposal, Assessment, Option<f64>)>,
    ) -> Result<Vec<(Proposal, Assessment, Option<f64>)>, AppError> {
        Ok(self
            .shown_once(ranked, |(p, _, _)| {
                maillage_domain::duplicates::Candidate::of(&p.place, p.source.as_deref())
            })
            .await?
            .into_iter()
            .map(|((mut p, a, d), same)| {
                p.same_place = same
                    .into_iter()
                    .map(|(o, _, _)| (o.place.id, o.place.name))
                    .collect();
                (p, a, d)
            })
            .collect())
    }
}

/// The orientation form as typed (page, API query string, CLI): one parser for all three, with
/// errors naming the field.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct OrientForm {
    /// Catalogue entry, or typed words.
    pub demande: String,
    /// Typed words (the page's free field, when no entry is chosen).
    pub texte: String,
    /// Commune (name or INSEE code) or « lat,lon ».
    pub pres_de: String,
    pub niveau: String,
    pub equipement: String,
    pub langue: String,
    pub prise_en_charge: Vec<String>,
    pub deplacement: String,
    pub rayon_km: String,
    pub disponible: Vec<String>,
    pub gratuit: bool,
    pub format: String,
    pub urgent: bool,
    pub echeance: String,
    /// Publics the person belongs to (jeunes, seniors…).
    pub public: Vec<String>,
}

/// Reads equipment as written in forms and scripts.
pub fn parse_equipment(input: &str) -> Option<maillage_domain::diagnostic::Equipment> {
    use maillage_domain::diagnostic::Equipment;
    match text::fold(input).as_str() {
        "none" | "aucun" | "aucun equipement" | "rien" => Some(Equipment::None),
        "smartphone" | "smartphone seulement" | "smartphone only" | "tablette" => {
            Some(Equipment::SmartphoneOnly)
        }
        "computer" | "ordinateur" | "pc" => Some(Equipment::Computer),
        _ => None,
    }
}

impl OrientForm {
    /// The query, or every bad field with its reason.
    pub fn to_query(
        &self,
        app: &App,
        catalogue: &Catalogue,
    ) -> Result<OrientationQuery, Vec<(&'static str, String)>> {
        use maillage_domain::orientation::{FormatWish, LanguageNeed, Slot, Travel};
        use maillage_domain::vocab::{SpecificSupport, Vocabulary};
        let mut errors = Vec::new();
        let asked = self.demande.trim();
        let (request_id, typed) = if catalogue.entry(asked).is_some() {
            (Some(asked.to_string()), None)
        } else if !asked.is_empty() {
            (None, Some(asked.to_string()))
        } else if !self.texte.trim().is_empty() {
            (None, Some(self.texte.trim().to_string()))
        } else {
            errors.push((
                "demande",
                "choisissez la demande dans la liste ou écrivez-la avec les mots de la personne"
                    .to_string(),
            ));
            (None, None)
        };
        if let Some(Err(why)) = typed.as_deref().map(maillage_domain::text::check_query) {
            errors.push(("demande", why));
        }
        let near = if self.pres_de.trim().is_empty() {
            errors.push((
                "pres_de",
                "indiquez la commune où habite la personne ou où elle peut aller".to_string(),
            ));
            None
        } else {
            match app.resolve_near(&self.pres_de) {
                Ok(n) => Some(n),
                Err(e) => {
                    errors.push(("pres_de", e.public_message()));
                    None
                }
            }
        };
        let level = match self.niveau.trim() {
            "" => None,
            raw => {
                let l = Level::parse(raw);
                if l.is_none() {
                    errors.push((
                        "niveau",
                        format!("« {raw} » : niveaux possibles Éloigné, Débutant, Intermédiaire, Avancé, Autonome"),
                    ));
                }
                l
            }
        };
        let equipment = match self.equipement.trim() {
            "" => None,
            raw => {
                let e = parse_equipment(raw);
                if e.is_none() {
                    errors.push((
                        "equipement",
                        format!("« {raw} » : aucun, smartphone ou ordinateur"),
                    ));
                }
                e
            }
        };
        let mut supports = Vec::new();
        for raw in &self.prise_en_charge {
            match SpecificSupport::parse(raw) {
                Some(s) if !supports.contains(&s) => supports.push(s),
                Some(_) => {}
                None => errors.push(("prise_en_charge", format!("« {raw} » inconnu"))),
            }
        }
        let travel = match self.deplacement.trim() {
            "" => None,
            raw => {
                let t = Travel::parse(raw);
                if t.is_none() {
                    errors.push((
                        "deplacement",
                        format!("« {raw} » : à pied, en transports ou en voiture"),
                    ));
                }
                t
            }
        };
        let radius_km = match self.rayon_km.trim().replace(',', ".").as_str() {
            "" => None,
            raw => match raw.parse::<f64>() {
                Ok(r) if r > 0.0 && r <= 1_000.0 => Some(r),
                _ => {
                    errors.push((
                        "rayon_km",
                        format!("« {raw} » : un nombre de kilomètres entre 0 et 1 000"),
                    ));
                    None
                }
            },
        };
        let mut slots = Vec::new();
        for raw in &self.disponible {
            match Slot::parse(raw.trim()) {
                Some(s) if !slots.contains(&s) => slots.push(s),
                Some(_) => {}
                None => errors.push((
                    "disponible",
                    format!("« {raw} » : un jour et un moment, par exemple mardi-matin"),
                )),
            }
        }
        let format = match self.format.trim() {
            "" => None,
            raw => {
                let f = FormatWish::parse(raw);
                if f.is_none() {
                    errors.push(("format", format!("« {raw} » inconnu")));
                }
                f
            }
        };
        let deadline = match self.echeance.trim() {
            "" => None,
            raw => match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
                Ok(d) => Some(d),
                Err(_) => {
                    errors.push(("echeance", format!("« {raw} » : date AAAA-MM-JJ")));
                    None
                }
            },
        };
        let mut publics = Vec::new();
        for raw in &self.public {
            match maillage_domain::vocab::Public::parse(raw) {
                Some(p) if !publics.contains(&p) => publics.push(p),
                Some(_) => {}
                None => errors.push((
                    "public",
                    format!("« {raw} » : jeunes, étudiants, familles, seniors ou femmes"),
                )),
            }
        }
        let Some((near, near_label)) = near.filter(|_| errors.is_empty()) else {
            return Err(errors);
        };
        let near_insee = match GeoPoint::parse(&self.pres_de) {
            Some(_) => None,
            None => app
                .referential
                .find_by_name(&self.pres_de, None)
                .map(|c| c.insee_code.clone()),
        };
        Ok(OrientationQuery {
            request_id,
            text: typed,
            near,
            near_label,
            near_insee,
            situation: Situation {
                level,
                equipment,
                language: LanguageNeed::parse(&self.langue),
                supports,
                travel,
                radius_km,
                slots,
                free_only: self.gratuit,
                format,
                urgent: self.urgent,
                deadline,
                publics,
            },
        })
    }
}
