//! The demo's history: a year of activity records of the network, and its impact (diagnostics
//! with a re-test, survey answers before and after).

use maillage_store::Store;
use rand::Rng;

use crate::AppError;

/// A year of activity of the network (once): the demo helper's and the reception desk's
/// structures busy, the others less; followed persons who come back, in workshops and alone.
pub(super) async fn load_activity(
    store: &Store,
    places: &[super::DemoPlace],
    org_ids: &std::collections::HashMap<String, String>,
    busiest: &str,
    reception: Option<&str>,
    contours: Option<std::sync::Arc<maillage_referential::contours::Contours>>,
) -> Result<Option<usize>, AppError> {
    use maillage_store::{NewActivity, NewPerson};
    if store.count_activities().await? > 0 {
        return Ok(None);
    }
    let helper = |email: &'static str| async move {
        store.user_by_email(email).await.map(|u| u.map(|u| u.id))
    };
    let aidant = helper("aidant@demo.maillage.example").await?;
    let accueil = helper("accueil@demo.maillage.example").await?;
    let mut keys: Vec<&String> = org_ids.keys().collect();
    keys.sort();
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(2026);
    // Where people live, drawn apart so that the rest of the demo stays what it was.
    let mut residences = Residences::new(contours);
    let keep_until = (chrono::Utc::now() + chrono::Duration::days(730))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut orgs = Vec::new();
    let mut helpers = Vec::new();
    for key in keys {
        let id = &org_ids[key];
        let org_places: Vec<(String, Option<String>)> = places
            .iter()
            .filter(|d| &d.organisation == key)
            .map(|d| (d.source_id.clone(), d.place.insee_code.clone()))
            .filter(|(p, _)| !p.is_empty())
            .collect();
        let mut stored_places = Vec::new();
        for (source_id, insee) in &org_places {
            if let Some(p) = store.place(source_id).await? {
                stored_places.push((p.place.id, insee.clone()));
            }
        }
        let (volume, followed, who) = if key == busiest {
            (1_400, 24, aidant.clone())
        } else if Some(key.as_str()) == reception {
            (1_100, 6, accueil.clone())
        } else {
            (rand::Rng::random_range(&mut rng, 60..260), 2, None)
        };
        // Followed persons (fictional), with their consent and what they said of themselves.
        let mut persons: Vec<String> = store
            .persons_of(id)
            .await?
            .into_iter()
            .map(|p| p.id)
            .collect();
        const NAMES: [&str; 12] = [
            "Josette", "Marcel", "Nadia", "Gérard", "Fatima", "Jeannine", "Ahmed", "Monique",
            "Lucien", "Yvette", "Rachid", "Odile",
        ];
        for i in persons.len()..followed {
            let pseudonym = format!(
                "{} {}.",
                NAMES[i % NAMES.len()],
                (b'A' + (i / NAMES.len()) as u8) as char
            );
            let pid = store
                .create_person(&NewPerson {
                    organisation_id: id,
                    pseudonym: &pseudonym,
                    contact: None,
                    consent_by: who.as_deref(),
                    keep_until: &keep_until,
                })
                .await?;
            let commune = stored_places.first().and_then(|(_, c)| c.clone());
            let mut profile = super::demo_profile(&mut rng, commune.as_deref());
            profile.commune = profile.commune.map(|c| residences.draw(&c));
            store.set_person_profile(&pid, &profile).await?;
            persons.push(pid);
        }
        let procedures_first = places
            .iter()
            .any(|d| &d.organisation == key && d.place.name.starts_with("France Services"));
        orgs.push(super::ActivityOrg {
            id: id.clone(),
            places: stored_places,
            procedures_first,
            volume,
            persons,
        });
        helpers.push(who);
    }
    load_impact(store, &orgs, &mut rng).await?;
    let mut year = super::activities(&orgs, crate::today(), 2026);
    for d in &mut year {
        let a = &mut d.activity;
        if let Some(home) = a.anonymous.commune.take() {
            a.anonymous.commune = Some(residences.draw(&home));
        }
    }
    for chunk in year.chunks(2_000) {
        let batch: Vec<NewActivity> = chunk
            .iter()
            .map(|d| NewActivity {
                organisation_id: &orgs[d.organisation].id,
                helper_id: helpers[d.organisation].as_deref(),
                activity: &d.activity,
                notes: None,
            })
            .collect();
        store.insert_activities(&batch).await?;
    }
    Ok(Some(year.len()))
}

/// The communes people come from, as seed 003 found them: 72 % live in the commune where they
/// are helped, 19 % in a neighbouring one, 9 % further in the département. Neighbours come
/// from the contours (when the set-up built them; else everyone lives where they are helped).
struct Residences {
    contours: Option<std::sync::Arc<maillage_referential::contours::Contours>>,
    rng: rand::rngs::StdRng,
    /// Per commune: its neighbours, and the other communes of its département.
    around: std::collections::HashMap<String, (Vec<String>, Vec<String>)>,
}

impl Residences {
    fn new(contours: Option<std::sync::Arc<maillage_referential::contours::Contours>>) -> Self {
        Residences {
            contours,
            rng: <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(2027),
            around: std::collections::HashMap::new(),
        }
    }

    /// Where a person helped in `commune` lives.
    fn draw(&mut self, commune: &str) -> String {
        let Some(contours) = &self.contours else {
            return commune.to_string();
        };
        let (neighbours, others) = self.around.entry(commune.to_string()).or_insert_with(|| {
            let prefix = if commune.starts_with("97") { 3 } else { 2 };
            let departement = commune.get(..prefix).unwrap_or(commune);
            let (mut near, mut far): (Vec<String>, Vec<String>) = contours
                .communes()
                .filter(|(c, _)| c.starts_with(departement) && *c != commune)
                .map(|(c, _)| c.to_string())
                .partition(|c| contours.neighbours(commune, c));
            near.sort();
            far.sort();
            (near, far)
        });
        let roll: f64 = self.rng.random();
        let pick = |list: &Vec<String>, rng: &mut rand::rngs::StdRng| {
            list.get(rng.random_range(0..list.len().max(1))).cloned()
        };
        let chosen = if roll < 0.72 {
            None
        } else if roll < 0.91 {
            pick(neighbours, &mut self.rng)
        } else {
            pick(others, &mut self.rng)
        };
        chosen.unwrap_or_else(|| commune.to_string())
    }
}

/// The demo's impact: diagnostics with a re-test for followed persons of the busiest
/// structures (dated over the year), and before/after survey answers.
async fn load_impact(
    store: &Store,
    orgs: &[super::ActivityOrg],
    rng: &mut rand::rngs::StdRng,
) -> Result<(), AppError> {
    use maillage_domain::diagnostic::{assess, builtin};
    use maillage_domain::impact::SurveyForm;
    let Some(court) = builtin().into_iter().find(|q| q.id == "court") else {
        return Ok(());
    };
    let answers = |pairs: &[(&str, &str)]| -> maillage_domain::diagnostic::Answers {
        pairs
            .iter()
            .map(|(q, c)| (q.to_string(), vec![c.to_string()]))
            .collect()
    };
    let start = [
        [
            ("appareils", "smartphone"),
            ("maitrise", "non"),
            ("internet", "jamais"),
            ("courriel", "non"),
            ("demarches", "a_ma_place"),
        ],
        [
            ("appareils", "smartphone"),
            ("maitrise", "un_peu"),
            ("internet", "parfois"),
            ("courriel", "non"),
            ("demarches", "a_ma_place"),
        ],
        [
            ("appareils", "ordinateur"),
            ("maitrise", "un_peu"),
            ("internet", "parfois"),
            ("courriel", "sans_savoir"),
            ("demarches", "aide"),
        ],
    ];
    let better = [
        [
            ("appareils", "smartphone"),
            ("maitrise", "un_peu"),
            ("internet", "parfois"),
            ("courriel", "sans_savoir"),
            ("demarches", "aide"),
        ],
        [
            ("appareils", "smartphone"),
            ("maitrise", "bien"),
            ("internet", "souvent"),
            ("courriel", "envoie"),
            ("demarches", "aide"),
        ],
        [
            ("appareils", "ordinateur"),
            ("maitrise", "bien"),
            ("internet", "souvent"),
            ("courriel", "envoie"),
            ("demarches", "seul"),
        ],
    ];
    let today = crate::today();
    for org in orgs.iter().filter(|o| o.volume >= 1_000) {
        for person in &org.persons {
            let level = rng.random_range(0..start.len());
            let first = answers(&start[level]);
            let a = assess(&court, &first);
            let first_day = today - chrono::Days::new(rng.random_range(150..330));
            let id = store
                .create_diagnostic(&maillage_store::NewDiagnostic {
                    person_id: Some(person),
                    previous_id: None,
                    organisation_id: Some(&org.id),
                    helper_id: None,
                    mode: "accompagne",
                    answers: &first,
                    assessment: &a,
                    observations: None,
                    age_bracket: None,
                    commune: None,
                    retest_on: None,
                })
                .await?;
            store
                .set_diagnostic_date(&id, &format!("{first_day}T10:00:00Z"))
                .await?;
            if rng.random_bool(0.7) {
                let then = if rng.random_bool(0.75) {
                    answers(&better[level])
                } else {
                    first.clone()
                };
                let b = assess(&court, &then);
                let second = store
                    .create_diagnostic(&maillage_store::NewDiagnostic {
                        person_id: Some(person),
                        previous_id: Some(&id),
                        organisation_id: Some(&org.id),
                        helper_id: None,
                        mode: "accompagne",
                        answers: &then,
                        assessment: &b,
                        observations: None,
                        age_bracket: None,
                        commune: None,
                        retest_on: None,
                    })
                    .await?;
                let day = first_day + chrono::Days::new(rng.random_range(45..140));
                store
                    .set_diagnostic_date(&second, &format!("{}T10:00:00Z", day.min(today)))
                    .await?;
            }
        }
        // Before/after answers, as seed 003 found them: little ease before, progress after.
        for _ in 0..rng.random_range(60..120) {
            let before = ["pas-du-tout", "peu", "peu", "plutot"][rng.random_range(0..4)];
            let now = ["peu", "plutot", "plutot", "tres"][rng.random_range(0..4)];
            let pick = |rng: &mut rand::rngs::StdRng, items: &[&str]| -> Vec<String> {
                items
                    .iter()
                    .filter(|_| rng.random_bool(0.4))
                    .map(|s| s.to_string())
                    .collect()
            };
            let form = SurveyForm {
                ease_before: before.into(),
                ease_now: now.into(),
                progressed: ["beaucoup", "beaucoup", "un-peu", "un-peu", "non"]
                    [rng.random_range(0..5)]
                .into(),
                new_abilities: pick(
                    rng,
                    &[
                        "appareil",
                        "chercher",
                        "courriel",
                        "demarche",
                        "rendez-vous",
                        "garder-lien",
                        "arnaques",
                    ],
                ),
                domains: pick(
                    rng,
                    &[
                        "demarches",
                        "sante",
                        "budget",
                        "proches",
                        "loisirs",
                        "information",
                    ],
                ),
                changes: pick(
                    rng,
                    &[
                        "moins-stresse",
                        "plus-autonome",
                        "ne-demande-plus",
                        "confiance",
                    ],
                ),
                age: ["70-plus", "60-69", "40-59", ""][rng.random_range(0..4)].into(),
                words: String::new(),
            };
            if let Ok(answer) = form.validate() {
                store.insert_survey(&org.id, "seul", &answer).await?;
            }
        }
    }
    Ok(())
}
