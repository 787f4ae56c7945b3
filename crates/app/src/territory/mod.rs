//! The territory (issue #20): what the coordinator of a network asks of a zone — where the
//! offer is, commune by commune, and who lives out of its reach. The zone is read by
//! [`crate::zone`], the communes' town halls and populations come from the contours of the
//! referential, the places from the search index in memory; the computation is the domain's
//! ([`maillage_domain::territory`]), off the async threads. Pages, API and command line call
//! [`App::territory`]; the page adds the map ([`map`]).

pub mod map;

use std::collections::{HashMap, HashSet};
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
use crate::{App, AppError, allow, today};

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
}

impl TerritoryQuery {
    /// The query string of this question, for links (the map's kinds, the exports).
    pub fn to_query_string(&self) -> String {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (key, value) in [
            ("zone", &self.zone),
            ("portee", &self.reach),
            ("aide", &self.help),
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
}

/// A zone's coverage and what its map needs.
pub struct Territory {
    pub view: TerritoryView,
    pub map: map::Choropleth,
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
    /// The communes' contours, read once from the file built at set-up (off the async
    /// threads).
    pub(crate) async fn contours(&self) -> Result<Arc<Contours>, AppError> {
        self.contours
            .get_or_try_init(|| async {
                tokio::task::spawn_blocking(Contours::discover)
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
        Ok(self.territory_with(actor, query, false).await?.view)
    }

    /// The same with the map of the communes (the page).
    pub async fn territory_page(
        &self,
        actor: Option<&Actor>,
        query: &TerritoryQuery,
    ) -> Result<Territory, AppError> {
        self.territory_with(actor, query, true).await
    }

    async fn territory_with(
        &self,
        actor: Option<&Actor>,
        query: &TerritoryQuery,
        with_map: bool,
    ) -> Result<Territory, AppError> {
        allow(authorize(actor, &Action::ViewTerritory, today()))?;
        let reach_km = reach_of(&query.reach)?;
        let help = help_of(&query.help)?;
        let app = self.clone();
        let zone_input = query.zone.clone();
        let plan = tokio::task::spawn_blocking(move || {
            let codes = app.resolve_zone_input(&zone_input)?;
            app.zone_plan(&codes)
        })
        .await
        .map_err(|e| AppError::Invalid(format!("zone interrompue : {e}")))??;
        let contours = self.contours().await?;
        let stats = self.cube().await?;
        let app = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut t = app.compute_territory(&plan, &contours, reach_km, help, with_map);
            t.view.origins = origins(&plan, &t.view, &stats.cube, &contours);
            Ok(t)
        })
        .await
        .map_err(|e| AppError::Invalid(format!("calcul interrompu : {e}")))?
    }

    fn compute_territory(
        &self,
        plan: &ZonePlan,
        contours: &Contours,
        reach_km: u32,
        help: usize,
        with_map: bool,
    ) -> Territory {
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
        let map = if with_map {
            map::Choropleth::draw(&zone, contours, &communes, &offers, &in_zone)
        } else {
            map::Choropleth::default()
        };
        Territory {
            view: TerritoryView {
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
            },
            map,
        }
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

/// Where the people helped in the zone's communes these twelve months live.
fn origins(
    plan: &ZonePlan,
    view: &TerritoryView,
    cube: &maillage_domain::indicators::Cube,
    contours: &Contours,
) -> OriginsView {
    let to = today();
    let from = to - chrono::Days::new(364);
    let filter = Filter {
        from: Some(from),
        to: Some(to),
        communes: if plan.whole_country {
            Vec::new()
        } else {
            view.communes.iter().map(|c| c.code_insee.clone()).collect()
        },
        ..Filter::default()
    };
    let pairs = cube.origins(&filter);
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
/// `aide`, `acces`, `distance_km`, `lieux`), separated by semicolons with a UTF-8 BOM as
/// French spreadsheets expect, every cell escaped against formulas. The page and the command
/// line give this same file.
pub fn communes_csv(view: &TerritoryView) -> Result<Vec<u8>, AppError> {
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(b"\xEF\xBB\xBF".to_vec());
    let err = |e: csv::Error| AppError::Invalid(format!("écriture du CSV : {e}"));
    w.write_record([
        "code_insee",
        "nom",
        "population",
        "aide",
        "acces",
        "distance_km",
        "lieux",
    ])
    .map_err(err)?;
    for c in &view.communes {
        w.write_record(maillage_domain::spreadsheet::row([
            c.code_insee.as_str(),
            c.name.as_str(),
            &c.population.to_string(),
            view.help,
            c.access,
            &c.distance_km.map(|km| km.to_string()).unwrap_or_default(),
            &c.places.to_string(),
        ]))
        .map_err(err)?;
    }
    w.into_inner()
        .map_err(|e| AppError::Invalid(format!("écriture du CSV : {e}")))
}

/// `part` of `whole` in percent, one decimal (0 when the whole is 0).
fn share(part: u64, whole: u64) -> f64 {
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
