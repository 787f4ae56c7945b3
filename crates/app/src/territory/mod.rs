//! The territory (issue #20): what the coordinator of a network asks of a zone — where the
//! offer is, commune by commune, and who lives out of its reach. The zone is read by
//! [`crate::zone`], the communes' town halls and populations come from the contours of the
//! referential, the places from the search index in memory; the computation is the domain's
//! ([`maillage_domain::territory`]), off the async threads. Pages, API and command line call
//! [`App::territory`]; the page adds the map ([`map`]).

pub mod fragility;
pub mod map;
pub mod needs;
pub mod report;

use std::collections::{HashMap, HashSet};

use maillage_domain::CommuneLookup;
use std::sync::Arc;

use maillage_domain::indicators::Filter;
use maillage_domain::policy::{Action, Actor, authorize};
use maillage_domain::territory::{
    self, Access, CommuneSite, DEFAULT_REACH_KM, KINDS, MIN_ORIGINS, Origins, REACH_RANGE_KM,
    SEED_ORIGINS, coverage, kind_by_slug, kind_label, kind_slug, summarise,
};
use maillage_referential::contours::Contours;
use serde::Serialize;
use utoipa::ToSchema;

use crate::zone::ZonePlan;
use crate::{App, AppError, allow, location_of, today};

/// The territory's question as the page's form, the API's query and the command line give it.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct TerritoryQuery {
    /// The zone: codes or names separated by commas — a commune (INSEE code), an
    /// intercommunalité (SIREN), a département (`54`), a région (`R44`), `FR` for the whole
    /// country, or a list of them (30 at most).
    pub zone: String,
    /// The reach in kilometres, in a straight line from the town hall (1 to 50; 10 by default).
    #[serde(rename = "portee")]
    pub reach: String,
    /// The kind of help shown commune by commune: `toute-aide` (by default) or a service of the
    /// standard (`demarches`, `outils-quotidien`…).
    #[serde(rename = "aide")]
    pub help: String,
    /// What the map colours: `acces` (by default: access to the help asked), `fragilite`
    /// (the communes' fragility score) or `besoins` (accompaniments per 100 people to help, by
    /// intercommunality).
    #[serde(rename = "carte")]
    pub layer: String,
}

/// What the map colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    Access,
    Fragility,
    Needs,
}

impl Layer {
    pub const ALL: [Layer; 3] = [Layer::Access, Layer::Fragility, Layer::Needs];

    pub fn slug(self) -> &'static str {
        match self {
            Layer::Access => "acces",
            Layer::Fragility => "fragilite",
            Layer::Needs => "besoins",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Layer::Access => "Accès à l'aide",
            Layer::Fragility => "Fragilité numérique",
            Layer::Needs => "Accompagnements pour 100 personnes à accompagner",
        }
    }
}

/// The layer asked, checked.
fn layer_of(input: &str) -> Result<Layer, AppError> {
    let input = input.trim();
    if input.is_empty() {
        return Ok(Layer::Access);
    }
    Layer::ALL
        .into_iter()
        .find(|l| l.slug() == input)
        .ok_or_else(|| {
            AppError::Invalid(format!(
                "carte : « {} » n'est ni « acces », ni « fragilite », ni « besoins »",
                input.chars().take(40).collect::<String>()
            ))
        })
}

impl TerritoryQuery {
    /// The query string of this question, for links (the map's kinds, the exports).
    pub fn to_query_string(&self) -> String {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (key, value) in [
            ("zone", &self.zone),
            ("portee", &self.reach),
            ("aide", &self.help),
            ("carte", &self.layer),
        ] {
            if !value.trim().is_empty() {
                s.append_pair(key, value.trim());
            }
        }
        s.finish()
    }
}

/// How one kind of help reaches the zone's communes.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = CouvertureAide)]
pub struct KindCoverage {
    /// `toute-aide` or the service's slug.
    #[serde(rename = "aide")]
    pub slug: &'static str,
    #[serde(rename = "libelle")]
    pub label: &'static str,
    /// Communes where a place offers it.
    #[serde(rename = "communes_avec_lieu")]
    pub communes_in: u32,
    /// Communes without one, whose town hall is within the reach of a place that offers it.
    #[serde(rename = "communes_a_portee")]
    pub communes_within: u32,
    /// Communes where the nearest place is beyond the reach (up to 150 km).
    #[serde(rename = "communes_plus_loin")]
    pub communes_further: u32,
    /// Communes with no place offering it within 150 km.
    #[serde(rename = "communes_nulle_part")]
    pub communes_nowhere: u32,
    /// People living where it is out of reach (« plus loin » and « nulle part »).
    #[serde(rename = "habitants_hors_de_portee")]
    pub population_out_of_reach: u64,
    /// The same as a share of the zone's population, in percent (one decimal).
    #[serde(rename = "part_habitants_hors_de_portee")]
    pub share_out_of_reach: f64,
}

/// A commune of the zone and how its people reach the kind of help asked.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = CommuneCouverte)]
pub struct CommuneAccess {
    pub code_insee: String,
    #[serde(rename = "nom")]
    pub name: String,
    pub population: u32,
    /// `dans-la-commune`, `a-portee`, `plus-loin` or `nulle-part`.
    #[serde(rename = "acces")]
    pub access: &'static str,
    /// Kilometres from the town hall to the nearest place offering the help, when it is
    /// outside the commune and within 150 km.
    pub distance_km: Option<f64>,
    /// Places of the directory in the commune (whatever they offer).
    #[serde(rename = "lieux")]
    pub places: u32,
    /// The commune's fragility score (1–10), when its indicators were imported.
    #[serde(rename = "indice_fragilite")]
    pub fragility: Option<f64>,
    /// The imported indicators, in the order of `Indicator::ALL` (the CSV's columns).
    #[serde(skip)]
    pub(crate) indicators: Vec<Option<f64>>,
    #[serde(skip)]
    pub(crate) state: Access,
}

impl CommuneAccess {
    /// « dans la commune », « à portée (4,2 km) »…
    pub fn access_label(&self) -> String {
        match self.state.km() {
            Some(km) => format!(
                "{} ({} km)",
                self.state.label(),
                maillage_domain::french::number(km)
            ),
            None => self.state.label().to_string(),
        }
    }
}

/// Where the people helped in the zone these twelve months live, against the commune where
/// they were helped (activity records that name both).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Provenance)]
pub struct OriginsView {
    /// The period: the last twelve months (ISO dates).
    #[serde(rename = "du")]
    pub from: String,
    #[serde(rename = "au")]
    pub to: String,
    /// People helped in their own commune.
    #[serde(rename = "dans_leur_commune")]
    pub own: u64,
    /// People helped in a commune that borders theirs.
    #[serde(rename = "commune_voisine")]
    pub neighbouring: u64,
    #[serde(rename = "plus_loin")]
    pub further: u64,
    /// People helped whose commune was not said.
    #[serde(rename = "commune_non_dite")]
    pub unknown: u64,
    /// Own, neighbouring, further in percent, when at least 20 people's communes are known.
    #[serde(rename = "parts")]
    pub shares: Option<Vec<f64>>,
    /// Seed 003's shares, to compare with (72, 19, 9).
    #[serde(rename = "reference_terrain")]
    pub reference: Vec<f64>,
}

/// The territory's answer: the coverage of the offer in a zone.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Territoire)]
pub struct TerritoryView {
    /// « Meurthe-et-Moselle (54) · Toul (54528) ».
    pub zone: String,
    /// The zone's codes, sorted.
    pub codes: Vec<String>,
    #[serde(rename = "portee_km")]
    pub reach_km: u32,
    /// The kind of help of `communes` and `zones_blanches`.
    #[serde(rename = "aide")]
    pub help: &'static str,
    #[serde(rename = "aide_libelle")]
    pub help_label: &'static str,
    /// Current communes in the zone.
    #[serde(rename = "nombre_communes")]
    pub commune_count: usize,
    /// Their municipal population (INSEE).
    pub population: u64,
    /// Located places of the directory in the zone.
    #[serde(rename = "nombre_lieux")]
    pub place_count: usize,
    /// Each kind of help: any help, then each service of the standard.
    #[serde(rename = "couverture")]
    pub kinds: Vec<KindCoverage>,
    /// Communes where the help asked is out of reach, most populated first.
    #[serde(rename = "zones_blanches")]
    pub white_zones: Vec<CommuneAccess>,
    /// Every commune of the zone, by INSEE code.
    pub communes: Vec<CommuneAccess>,
    /// Where the people helped in the zone come from.
    #[serde(rename = "provenance")]
    pub origins: OriginsView,
    /// The zone's digital fragility, from the imported indicators.
    #[serde(rename = "fragilite")]
    pub fragility: fragility::FragilityView,
    /// People to help against people helped.
    #[serde(rename = "besoins")]
    pub needs: needs::NeedsView,
    /// Requests orientation found no place for in the zone's communes these twelve months,
    /// most asked first — for those who see the network's flows (coordinators), else `null`.
    #[serde(rename = "demandes_sans_lieu")]
    pub gaps: Option<Vec<Gap>>,
    /// The network's surveys (for those who run them, coordinators; else `null`): for each
    /// questionnaire, the latest survey with answers from places of the zone they coordinate.
    #[serde(rename = "enquetes")]
    pub surveys: Option<Vec<crate::surveys::ZoneSurvey>>,
}

/// A request orientation found no place for, in a commune.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = DemandeSansLieu)]
pub struct Gap {
    #[serde(rename = "demande")]
    pub request: String,
    pub commune: String,
    /// Days it was asked and found missing.
    #[serde(rename = "jours")]
    pub days: usize,
    /// Missing from the whole directory, not only within reach.
    #[serde(rename = "nulle_part")]
    pub anywhere: bool,
}

/// A zone's coverage and what its map needs.
pub struct Territory {
    pub view: TerritoryView,
    pub map: map::Choropleth,
    /// What the map colours.
    pub layer: Layer,
    /// The maps of other layers, when asked (the diagnosis draws all three from one
    /// computation).
    pub(crate) more: Vec<map::Choropleth>,
}

/// Which maps a computation of the territory draws.
enum Maps {
    None,
    /// The layer the query asks.
    Asked,
    /// Every layer, in the order of [`Layer::ALL`].
    All,
}

/// The reach asked, checked (whole kilometres in [`REACH_RANGE_KM`]).
fn reach_of(input: &str) -> Result<u32, AppError> {
    let input = input.trim();
    if input.is_empty() {
        return Ok(DEFAULT_REACH_KM as u32);
    }
    let (min, max) = (*REACH_RANGE_KM.start() as u32, *REACH_RANGE_KM.end() as u32);
    match input.trim_end_matches("km").trim().parse::<u32>() {
        Ok(km) if (min..=max).contains(&km) => Ok(km),
        _ => Err(AppError::Invalid(format!(
            "portée : un nombre entier de kilomètres, de {min} à {max} (« {} » reçu)",
            input.chars().take(20).collect::<String>()
        ))),
    }
}

/// The kind of help asked, checked.
fn help_of(input: &str) -> Result<usize, AppError> {
    let input = input.trim();
    if input.is_empty() {
        return Ok(0);
    }
    kind_by_slug(input).ok_or_else(|| {
        AppError::Invalid(format!(
            "aide : « {} » n'est ni « {} » ni un service du standard ({})",
            input.chars().take(40).collect::<String>(),
            territory::ANY_HELP,
            (1..KINDS).map(kind_slug).collect::<Vec<_>>().join(", ")
        ))
    })
}

impl App {
    /// The communes' contours, read once (off the async threads): those built into the binary,
    /// or a newer file when the configuration gives one.
    pub(crate) async fn contours(&self) -> Result<Arc<Contours>, AppError> {
        self.contours
            .get_or_try_init(|| async {
                let file = self.contours_file.clone();
                tokio::task::spawn_blocking(move || match file {
                    Some(path) => Contours::load(&path),
                    None => Contours::discover(),
                })
                .await
                .map_err(|e| AppError::Operation(format!("contours interrompus : {e}")))?
                .map(Arc::new)
                .map_err(|e| AppError::Operation(e.to_string()))
            })
            .await
            .cloned()
    }

    /// The coverage of the offer in a zone (figures only: the API and the command line).
    pub async fn territory(
        &self,
        actor: Option<&Actor>,
        query: &TerritoryQuery,
    ) -> Result<TerritoryView, AppError> {
        Ok(self.territory_with(actor, query, Maps::None).await?.view)
    }

    /// The same with the map of the communes (the page).
    pub async fn territory_page(
        &self,
        actor: Option<&Actor>,
        query: &TerritoryQuery,
    ) -> Result<Territory, AppError> {
        self.territory_with(actor, query, Maps::Asked).await
    }

    /// A layer of the zone for the directory's interactive map: the page's map as GeoJSON,
    /// with the territory it was drawn from (for its legend). Zones over
    /// [`map::MAX_LAYER_COMMUNES`] communes are refused (the page's SVG map shows them).
    pub async fn territory_layer(
        &self,
        actor: Option<&Actor>,
        query: &TerritoryQuery,
    ) -> Result<(Territory, serde_json::Value), AppError> {
        let t = self.territory_with(actor, query, Maps::Asked).await?;
        if t.map.communes.len() > map::MAX_LAYER_COMMUNES {
            return Err(AppError::TooLarge(format!(
                "{} communes : la carte interactive en montre {} au plus ; la page du territoire dessine toutes les autres",
                t.map.communes.len(),
                map::MAX_LAYER_COMMUNES
            )));
        }
        let contours = self.contours().await?;
        let map = t.map.clone();
        let json = tokio::task::spawn_blocking(move || map::geojson(&map, &contours))
            .await
            .map_err(|e| AppError::Invalid(format!("couche interrompue : {e}")))?;
        Ok((t, json))
    }

    /// The same with the maps of every layer (the diagnosis).
    pub(crate) async fn territory_all_maps(
        &self,
        actor: Option<&Actor>,
        query: &TerritoryQuery,
    ) -> Result<Territory, AppError> {
        self.territory_with(actor, query, Maps::All).await
    }

    async fn territory_with(
        &self,
        actor: Option<&Actor>,
        query: &TerritoryQuery,
        maps: Maps,
    ) -> Result<Territory, AppError> {
        allow(authorize(actor, &Action::ViewTerritory, today()))?;
        let reach_km = reach_of(&query.reach)?;
        let help = help_of(&query.help)?;
        let layer = layer_of(&query.layer)?;
        let app = self.clone();
        let zone_input = query.zone.clone();
        let plan = tokio::task::spawn_blocking(move || {
            let codes = app.resolve_zone_input(&zone_input)?;
            app.zone_plan(&codes)
        })
        .await
        .map_err(|e| AppError::Invalid(format!("zone interrompue : {e}")))??;
        let contours = self.contours().await?;
        let gaps = if self.may(actor, &Action::ViewFlows) {
            let day = today();
            let year_ago = day
                .checked_sub_months(chrono::Months::new(12))
                .unwrap_or(day);
            Some(self.unmet_requests(actor, year_ago).await?)
        } else {
            None
        };
        let surveys = if self.may(actor, &Action::RunSurvey) {
            Some(
                self.zone_surveys(|p| {
                    let loc = location_of(&p.place, p.organisation_id.as_deref());
                    let in_zone = p.place.insee_code.as_deref().is_some_and(|c| {
                        plan.contains(c, p.place.departement().as_deref().unwrap_or(""))
                    });
                    in_zone && actor.is_some_and(|a| a.administrator || a.coordinates(&loc))
                })
                .await?,
            )
        } else {
            None
        };
        let (from, _) = last_year();
        let mut seats_in: HashMap<String, u64> = HashMap::new();
        for w in self.store.workshops_from(&from.to_string()).await? {
            if let Some(code) = w.workshop.insee_code.clone() {
                *seats_in.entry(code).or_default() +=
                    maillage_domain::workshops::seats_from(&w.workshop, from);
            }
        }
        let stats = self.cube().await?;
        let table = self.fragility_table().await?;
        let app = self.clone();
        tokio::task::spawn_blocking(move || {
            let (mut view, offers) = app.compute_territory(&plan, &contours, reach_km, help);
            for c in &mut view.communes {
                c.fragility = table.score(&c.code_insee);
                c.indicators = maillage_domain::fragility::Indicator::ALL
                    .into_iter()
                    .map(|i| table.value(&c.code_insee, i))
                    .collect();
            }
            for c in &mut view.white_zones {
                c.fragility = table.score(&c.code_insee);
            }
            let pairs = stats.cube.origins(&origins_filter(&plan, &view));
            view.origins = origins(&pairs, &contours);
            let named: Vec<(&str, &str, u32)> = view
                .communes
                .iter()
                .map(|c| (c.code_insee.as_str(), c.name.as_str(), c.population))
                .collect();
            view.fragility = fragility::fragility_view(&named, &table);
            let mut helped_in: HashMap<String, u64> = HashMap::new();
            for (venue, _, n) in &pairs {
                *helped_in.entry(venue.clone()).or_default() += n;
            }
            let referential = app.referential.clone();
            let epci_of = |code: &str| {
                let epci = referential.by_code(code)?.epci.clone()?;
                let name = referential
                    .epci_name(&epci)
                    .map_or_else(|| format!("intercommunalité {epci}"), str::to_string);
                Some((epci, name))
            };
            view.needs = needs::needs_view(&view.communes, &epci_of, &table, &helped_in, &seats_in);
            let in_zone: HashSet<&str> = view
                .communes
                .iter()
                .map(|c| c.code_insee.as_str())
                .collect();
            view.gaps = gaps.map(|lines| {
                lines
                    .into_iter()
                    .filter(|l| in_zone.contains(l.insee_code.as_str()))
                    .map(|l| Gap {
                        request: l.request,
                        commune: l.commune,
                        days: l.days,
                        anywhere: l.anywhere,
                    })
                    .collect()
            });
            view.surveys = surveys;
            let layers = match maps {
                Maps::None => Vec::new(),
                Maps::Asked => vec![layer],
                Maps::All => Layer::ALL.to_vec(),
            };
            let mut drawn = layers
                .iter()
                .map(|&l| app.draw_map(&plan, &contours, &view, &offers, &table, l));
            let map = drawn.next().unwrap_or_default();
            let more = drawn.collect();
            let layer = layers.first().copied().unwrap_or(layer);
            Ok(Territory {
                view,
                map,
                layer,
                more,
            })
        })
        .await
        .map_err(|e| AppError::Invalid(format!("calcul interrompu : {e}")))?
    }

    /// The map of the zone, coloured by the layer asked.
    fn draw_map(
        &self,
        plan: &ZonePlan,
        contours: &Contours,
        view: &TerritoryView,
        offers: &[territory::OfferSite],
        table: &fragility::FragilityTable,
        layer: Layer,
    ) -> map::Choropleth {
        let zone = plan.communes(self.referential.as_ref());
        let in_zone: HashSet<&str> = zone.iter().map(|c| c.insee_code.as_str()).collect();
        let access: HashMap<&str, &CommuneAccess> = view
            .communes
            .iter()
            .map(|c| (c.code_insee.as_str(), c))
            .collect();
        let epci_rate: HashMap<&str, f64> = view
            .needs
            .epcis
            .iter()
            .map(|r| (r.code.as_str(), r.per_100))
            .collect();
        let referential = self.referential.clone();
        let class_of = |code: &str| -> (&'static str, String) {
            match layer {
                Layer::Access => match access.get(code) {
                    Some(c) => (c.access, c.access_label()),
                    None => (Access::Nowhere.slug(), Access::Nowhere.label().to_string()),
                },
                Layer::Fragility => match table.score(code) {
                    Some(s) => (
                        maillage_domain::fragility::band(s),
                        format!("indice {}", maillage_domain::french::number(s)),
                    ),
                    None => ("sans-donnee", "pas d'indicateur importé".to_string()),
                },
                Layer::Needs => {
                    let epci = referential.by_code(code).and_then(|c| c.epci.clone());
                    match epci.as_deref().and_then(|e| epci_rate.get(e)) {
                        Some(rate) => (
                            needs_band(*rate),
                            format!(
                                "{} accompagnements pour 100 personnes à accompagner dans l'intercommunalité",
                                maillage_domain::french::number(*rate)
                            ),
                        ),
                        None => ("sans-donnee", "hors intercommunalité".to_string()),
                    }
                }
            }
        };
        map::Choropleth::draw(&zone, contours, &class_of, offers, &in_zone)
    }

    fn compute_territory(
        &self,
        plan: &ZonePlan,
        contours: &Contours,
        reach_km: u32,
        help: usize,
    ) -> (TerritoryView, Vec<territory::OfferSite>) {
        let referential = self.referential.as_ref();
        let zone = plan.communes(referential);
        // Town hall and population from the contours; the referential's centre and population
        // for a commune they lack.
        let sites: Vec<CommuneSite> = zone
            .iter()
            .filter_map(|c| match contours.get(&c.insee_code) {
                Some(shape) => Some(CommuneSite {
                    insee_code: c.insee_code.clone(),
                    at: shape.town_hall,
                    population: shape.population,
                }),
                None => c.centre.map(|at| CommuneSite {
                    insee_code: c.insee_code.clone(),
                    at,
                    population: c.population,
                }),
            })
            .collect();
        let offers = self.index().offer_sites();
        let covered = coverage(&sites, &offers, KINDS, f64::from(reach_km));
        let summary = summarise(&covered, KINDS);
        let population: u64 = sites.iter().map(|s| u64::from(s.population)).sum();
        let in_zone: HashSet<&str> = zone.iter().map(|c| c.insee_code.as_str()).collect();
        let mut places_by_commune: HashMap<&str, u32> = HashMap::new();
        for o in &offers {
            if let Some(code) = o.insee_code.as_deref().filter(|c| in_zone.contains(c)) {
                *places_by_commune.entry(code).or_default() += 1;
            }
        }
        let names: HashMap<&str, &str> = zone
            .iter()
            .map(|c| (c.insee_code.as_str(), c.name.as_str()))
            .collect();
        let communes: Vec<CommuneAccess> = covered
            .iter()
            .map(|c| {
                let state = c.access.get(help).copied().unwrap_or(Access::Nowhere);
                CommuneAccess {
                    name: names
                        .get(c.insee_code.as_str())
                        .map_or_else(String::new, |n| n.to_string()),
                    population: c.population,
                    access: state.slug(),
                    distance_km: state.km().map(|km| (km * 10.0).round() / 10.0),
                    places: places_by_commune
                        .get(c.insee_code.as_str())
                        .copied()
                        .unwrap_or(0),
                    fragility: None,
                    indicators: Vec::new(),
                    state,
                    code_insee: c.insee_code.clone(),
                }
            })
            .collect();
        let mut white_zones: Vec<CommuneAccess> = communes
            .iter()
            .filter(|c| !c.state.reached())
            .cloned()
            .collect();
        white_zones.sort_by(|a, b| {
            b.population
                .cmp(&a.population)
                .then(a.code_insee.cmp(&b.code_insee))
        });
        let kinds = summary
            .iter()
            .enumerate()
            .map(|(k, s)| KindCoverage {
                slug: kind_slug(k),
                label: kind_label(k),
                communes_in: s.communes_in,
                communes_within: s.communes_within,
                communes_further: s.communes_further,
                communes_nowhere: s.communes_nowhere,
                population_out_of_reach: s.population_out_of_reach,
                share_out_of_reach: share(s.population_out_of_reach, population),
            })
            .collect();
        let place_count = places_by_commune.values().map(|&n| n as usize).sum();
        let view = TerritoryView {
            zone: plan.label.clone(),
            codes: plan.key.split(' ').map(str::to_string).collect(),
            reach_km,
            help: kind_slug(help),
            help_label: kind_label(help),
            commune_count: communes.len(),
            population,
            place_count,
            kinds,
            white_zones,
            communes,
            origins: OriginsView::empty(),
            fragility: fragility::FragilityView::default(),
            needs: needs::NeedsView::default(),
            gaps: None,
            surveys: None,
        };
        (view, offers)
    }
}

impl OriginsView {
    fn empty() -> Self {
        OriginsView {
            from: String::new(),
            to: String::new(),
            own: 0,
            neighbouring: 0,
            further: 0,
            unknown: 0,
            shares: None,
            reference: SEED_ORIGINS.to_vec(),
        }
    }

    /// Whether the shares are given (enough people's communes known).
    pub fn enough(&self) -> bool {
        self.shares.is_some()
    }

    /// The minimum of people whose commune is known before shares are given.
    pub fn minimum(&self) -> u64 {
        MIN_ORIGINS
    }
}

/// The twelve months until today.
fn last_year() -> (chrono::NaiveDate, chrono::NaiveDate) {
    let to = today();
    (to - chrono::Days::new(364), to)
}

/// The records of the zone's communes these twelve months.
fn origins_filter(plan: &ZonePlan, view: &TerritoryView) -> Filter {
    let (from, to) = last_year();
    Filter {
        from: Some(from),
        to: Some(to),
        communes: if plan.whole_country {
            Vec::new()
        } else {
            view.communes.iter().map(|c| c.code_insee.clone()).collect()
        },
        ..Filter::default()
    }
}

/// Where the people helped in the zone's communes these twelve months live, from the pairs of
/// the cube.
fn origins(pairs: &[(String, Option<String>, u64)], contours: &Contours) -> OriginsView {
    let (from, to) = last_year();
    let o = Origins::of(
        pairs
            .iter()
            .map(|(venue, home, n)| (venue.as_str(), home.as_deref(), *n)),
        |a, b| contours.neighbours(a, b),
    );
    OriginsView {
        from: from.to_string(),
        to: to.to_string(),
        own: o.own,
        neighbouring: o.neighbouring,
        further: o.further,
        unknown: o.unknown,
        shares: o.shares().map(|s| s.to_vec()),
        reference: SEED_ORIGINS.to_vec(),
    }
}

/// The communes of a zone's answer as CSV, one line each (`code_insee`, `nom`, `population`,
/// `aide`, `acces`, `distance_km`, `lieux`, `indice_fragilite`, then each imported indicator
/// as its column of the import file), separated by semicolons with a UTF-8 BOM as
/// French spreadsheets expect, every cell escaped against formulas. The page and the command
/// line give this same file.
pub fn communes_csv(view: &TerritoryView) -> Result<Vec<u8>, AppError> {
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(b"\xEF\xBB\xBF".to_vec());
    let err = |e: csv::Error| AppError::Invalid(format!("écriture du CSV : {e}"));
    let indicators = maillage_domain::fragility::Indicator::ALL;
    let mut header = vec![
        "code_insee",
        "nom",
        "population",
        "aide",
        "acces",
        "distance_km",
        "lieux",
        "indice_fragilite",
    ];
    header.extend(indicators.iter().map(|i| i.column()));
    w.write_record(&header).map_err(err)?;
    let number = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    for c in &view.communes {
        let mut row = vec![
            c.code_insee.clone(),
            c.name.clone(),
            c.population.to_string(),
            view.help.to_string(),
            c.access.to_string(),
            number(c.distance_km),
            c.places.to_string(),
            number(c.fragility),
        ];
        row.extend((0..indicators.len()).map(|i| number(c.indicators.get(i).copied().flatten())));
        w.write_record(maillage_domain::spreadsheet::row(row))
            .map_err(err)?;
    }
    w.into_inner()
        .map_err(|e| AppError::Invalid(format!("écriture du CSV : {e}")))
}

/// The map's class of a rate of accompaniments per 100 people to help.
fn needs_band(rate: f64) -> &'static str {
    match rate {
        r if r < 5.0 => "besoins-1",
        r if r < 15.0 => "besoins-2",
        r if r < 30.0 => "besoins-3",
        r if r < 60.0 => "besoins-4",
        _ => "besoins-5",
    }
}

/// The bands of the needs' layer, in order: (class, label).
pub const NEEDS_BANDS: [(&str, &str); 5] = [
    ("besoins-1", "moins de 5 accompagnements pour 100"),
    ("besoins-2", "de 5 à moins de 15"),
    ("besoins-3", "de 15 à moins de 30"),
    ("besoins-4", "de 30 à moins de 60"),
    ("besoins-5", "60 et plus"),
];

/// `part` of `whole` in percent, one decimal (0 when the whole is 0).
pub(crate) fn share(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        return 0.0;
    }
    (part as f64 * 1000.0 / whole as f64).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::{help_of, reach_of, share};

    #[test]
    fn reach_and_help_are_checked_with_their_field_named() {
        assert_eq!(reach_of("").expect("défaut"), 10);
        assert_eq!(reach_of(" 25 ").expect("25"), 25);
        assert_eq!(reach_of("15 km").expect("15 km"), 15);
        for bad in ["0", "51", "-3", "dix", "1e9"] {
            let e = reach_of(bad).expect_err(bad).to_string();
            assert!(e.starts_with("portée : "), "{e}");
        }
        assert_eq!(help_of("").expect("défaut"), 0);
        assert_eq!(help_of("toute-aide").expect("toute aide"), 0);
        assert!(help_of("demarches").expect("démarches") > 0);
        let e = help_of("<script>").expect_err("inconnue").to_string();
        assert!(e.starts_with("aide : ") && e.contains("demarches"), "{e}");
    }

    #[test]
    fn shares_are_percent_with_one_decimal() {
        assert_eq!(share(1, 3), 33.3);
        assert_eq!(share(0, 0), 0.0);
        assert_eq!(share(5, 5), 100.0);
    }
}
