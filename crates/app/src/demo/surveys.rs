//! The demo's network surveys (issue #20): the partners' needs of Meurthe-et-Moselle answered
//! by a little under half of the places, and the public's uses answered by 120 people at the
//! places of the demo helper's structure — invented answers, in proportions close to seed 002's
//! findings (a third of the people cannot use a computer, seven in ten feel isolated by
//! paperless procedures), so that the results, the ranking, the exchanges of equipment and the
//! changes waiting for a structure all have something to show.

use std::collections::BTreeMap;

use maillage_domain::surveys::{
    Answer, Answers, DOMAINS, EQUIPMENT, SITES, SurveyKind, place_changes,
};
use maillage_store::{NewInvitation, NewSurvey, NewSurveyAnswer, PlaceUpdate, Store};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::places::DemoPlace;
use crate::AppError;

fn pick<'a>(rng: &mut StdRng, weighted: &[(&'a str, u32)]) -> &'a str {
    let total: u32 = weighted.iter().map(|(_, w)| w).sum();
    let mut roll = rng.random_range(0..total.max(1));
    for (v, w) in weighted {
        if roll < *w {
            return v;
        }
        roll -= w;
    }
    weighted.first().map_or("", |(v, _)| v)
}

fn some(rng: &mut StdRng, odds: &[(&str, f64)]) -> Vec<String> {
    odds.iter()
        .filter(|(_, p)| rng.random_bool(*p))
        .map(|(v, _)| v.to_string())
        .collect()
}

/// Loads the two surveys once (nothing when a survey exists).
pub(super) async fn load_surveys(
    store: &Store,
    places: &[DemoPlace],
    busiest: &str,
) -> Result<(), AppError> {
    if !store.surveys().await?.is_empty() {
        return Ok(());
    }
    let coordinator = store
        .user_by_email("coordination@demo.maillage.example")
        .await?
        .map(|u| u.id);
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let closes = (crate::today() + chrono::Days::new(45))
        .format("%Y-%m-%d")
        .to_string();
    let mut rng = StdRng::seed_from_u64(2002);

    // The partners: every place asked (the demo sends no e-mail: links are made by hand).
    let (partners, _) = store
        .create_survey(
            &NewSurvey {
                kind: SurveyKind::Partners,
                title: "Besoins des partenaires (démonstration)".into(),
                scope: format!("Meurthe-et-Moselle (54) · {} lieux", places.len()),
                closes_on: closes.clone(),
            },
            coordinator.as_deref(),
            &places
                .iter()
                .map(|d| NewInvitation {
                    place_id: d.source_id.clone(),
                    email: None,
                })
                .collect::<Vec<_>>(),
            &now,
        )
        .await?;
    for d in places {
        if !rng.random_bool(0.45) {
            continue;
        }
        let Some(stored) = store.place(&d.source_id).await? else {
            continue;
        };
        let mut a = BTreeMap::new();
        let needs = some(
            &mut rng,
            &[
                ("ordinateur", 0.35),
                ("imprimante", 0.2),
                ("tablette", 0.2),
                ("smartphone", 0.1),
                ("connexion", 0.1),
                ("ecran", 0.08),
            ],
        );
        if !needs.is_empty() {
            a.insert(
                "materiel_besoin".into(),
                Answer::Multiple(order(EQUIPMENT, needs)),
            );
        }
        let gives = some(
            &mut rng,
            &[
                ("ordinateur", 0.12),
                ("ecran", 0.12),
                ("peripheriques", 0.1),
                ("imprimante", 0.05),
            ],
        );
        if !gives.is_empty() {
            a.insert(
                "materiel_don".into(),
                Answer::Multiple(order(EQUIPMENT, gives)),
            );
        }
        a.insert("wifi".into(), Answer::YesNo(rng.random_bool(0.6)));
        a.insert("plain_pied".into(), Answer::YesNo(rng.random_bool(0.75)));
        let domains: Vec<String> = DOMAINS
            .iter()
            .filter(|_| rng.random_bool(0.18))
            .map(|c| c.slug.to_string())
            .collect();
        if !domains.is_empty() {
            a.insert("domaines".into(), Answer::Multiple(domains));
        }
        // Training wishes: CAF, France Travail and Ameli come first most often.
        let mut wished: Vec<(f64, &str)> = Vec::new();
        for c in SITES {
            if !rng.random_bool(0.45) {
                continue;
            }
            let pull = match c.slug {
                "caf" => 3.0,
                "france-travail" => 2.5,
                "ameli" => 2.0,
                "ants" => 1.5,
                _ => 1.0,
            };
            wished.push((rng.random::<f64>() * pull, c.slug));
        }
        wished.sort_by(|x, y| y.0.total_cmp(&x.0));
        if !wished.is_empty() {
            a.insert(
                "sites_formation".into(),
                Answer::Ranking(wished.into_iter().map(|(_, s)| s.to_string()).collect()),
            );
        }
        let answers = Answers(a);
        let changes = place_changes(&stored.place, &answers);
        store
            .save_survey_answer(
                &NewSurveyAnswer {
                    survey_id: partners.clone(),
                    place_id: d.source_id.clone(),
                    one_per_place: true,
                    source: if rng.random_bool(0.7) {
                        "lien"
                    } else {
                        "papier"
                    },
                    answers,
                    entered_by: None,
                    place_update: if changes.is_empty() {
                        PlaceUpdate::None
                    } else {
                        PlaceUpdate::Pending
                    },
                },
                &now,
            )
            .await?;
    }

    // The public: the places of the demo helper's structure hand out their link.
    let public_places: Vec<&DemoPlace> = places
        .iter()
        .filter(|d| d.organisation == busiest)
        .collect();
    if public_places.is_empty() {
        return Ok(());
    }
    let (public, _) = store
        .create_survey(
            &NewSurvey {
                kind: SurveyKind::Public,
                title: "Usages du public (démonstration)".into(),
                scope: format!(
                    "lieux de la structure de l'aidante · {} lieux",
                    public_places.len()
                ),
                closes_on: closes,
            },
            coordinator.as_deref(),
            &public_places
                .iter()
                .map(|d| NewInvitation {
                    place_id: d.source_id.clone(),
                    email: None,
                })
                .collect::<Vec<_>>(),
            &now,
        )
        .await?;
    for i in 0..120 {
        let place = public_places[i % public_places.len()];
        let mut a = BTreeMap::new();
        let mut grid = BTreeMap::new();
        grid.insert(
            "ordinateur".to_string(),
            pick(&mut rng, &[("ne-sait-pas", 33), ("moyen", 27), ("bon", 40)]).to_string(),
        );
        grid.insert(
            "smartphone".to_string(),
            pick(&mut rng, &[("ne-sait-pas", 15), ("moyen", 40), ("bon", 45)]).to_string(),
        );
        a.insert("maitrise".into(), Answer::Grid(grid));
        let has_mail = rng.random_bool(0.85);
        a.insert("courriel".into(), Answer::YesNo(has_mail));
        if has_mail {
            a.insert(
                "courriel_frequence".into(),
                Answer::Single(
                    pick(
                        &mut rng,
                        &[
                            ("jamais", 16),
                            ("rarement", 24),
                            ("semaine", 23),
                            ("jour", 37),
                        ],
                    )
                    .into(),
                ),
            );
        }
        a.insert(
            "formation".into(),
            Answer::Single(pick(&mut rng, &[("oui", 55), ("non", 30), ("deja", 15)]).into()),
        );
        let themes = some(
            &mut rng,
            &[
                ("materiel", 0.3),
                ("bureautique", 0.25),
                ("internet", 0.35),
                ("emploi", 0.3),
                ("demarches", 0.55),
            ],
        );
        if !themes.is_empty() {
            a.insert("themes".into(), Answer::Multiple(themes));
        }
        let problems = some(
            &mut rng,
            &[
                ("relations", 0.45),
                ("complique", 0.4),
                ("aide", 0.35),
                ("donnees", 0.47),
                ("fiabilite", 0.33),
                ("budget", 0.25),
            ],
        );
        if !problems.is_empty() {
            a.insert("problemes".into(), Answer::Multiple(problems));
        }
        a.insert(
            "isolement".into(),
            Answer::Single(
                pick(
                    &mut rng,
                    &[
                        ("pas-du-tout", 30),
                        ("un-peu", 30),
                        ("beaucoup", 25),
                        ("enormement", 15),
                    ],
                )
                .into(),
            ),
        );
        a.insert(
            "age".into(),
            Answer::Single(
                pick(
                    &mut rng,
                    &[
                        ("moins-25", 15),
                        ("25-35", 20),
                        ("35-55", 35),
                        ("plus-55", 30),
                    ],
                )
                .into(),
            ),
        );
        store
            .save_survey_answer(
                &NewSurveyAnswer {
                    survey_id: public.clone(),
                    place_id: place.source_id.clone(),
                    one_per_place: false,
                    source: if i % 3 == 0 { "papier" } else { "lien" },
                    answers: Answers(a),
                    entered_by: None,
                    place_update: PlaceUpdate::None,
                },
                &now,
            )
            .await?;
    }
    Ok(())
}

/// Choices in the questionnaire's order.
fn order(list: &[maillage_domain::surveys::Choice], picked: Vec<String>) -> Vec<String> {
    list.iter()
        .filter(|c| picked.iter().any(|p| p == c.slug))
        .map(|c| c.slug.to_string())
        .collect()
}
