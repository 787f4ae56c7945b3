//! The demo territory, loaded in one place for `maillage demo`, `maillage serve --demo` and the
//! benchmarks: a realistic generated network on real communes of the official referential
//! ([`places`]), its workshops and a year of activity ([`sessions`]), structures and accounts,
//! a followed person, the library and the watch ([`library`]), and its impact ([`history`]).
//! Loading again adds nothing twice.

mod history;
mod library;
mod mandates;
mod places;
mod sessions;
mod surveys;

use maillage_domain::organisation::Organisation;
use maillage_domain::policy::{Membership, TerritoryUnit};
use maillage_domain::progress::Progress;
use maillage_referential::Referential;
use maillage_store::{ImportRecord, NewUser, Store};

pub use places::{DemoPlace, generate, republished_by_hub};
pub use sessions::{ActivityOrg, DemoActivity, activities, demo_profile, workshops};

use crate::{App, AppError};

/// The département of the demo territory (where the field's seed documents come from).
pub const DEMO_DEPARTEMENT: &str = "54";

/// How much of a territory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DemoScale {
    /// About 150 places in Meurthe-et-Moselle, with structures, accounts and a year of history.
    Departement,
    /// About 50,000 places over France (places only), for measurements.
    National,
}

/// What to load.
#[derive(Clone, Debug)]
pub struct DemoOptions {
    pub scale: DemoScale,
    /// The demo accounts' password (12 characters at least); otherwise one is drawn per account.
    pub password: Option<String>,
}

/// A demo account: its password is shown once, when it is created.
#[derive(Clone, Debug)]
pub struct DemoAccount {
    pub email: String,
    pub name: String,
    /// `None`: the account was already there.
    pub password: Option<String>,
}

/// What loading did.
#[derive(Clone, Debug, Default)]
pub struct DemoReport {
    pub places_created: usize,
    pub places_unchanged: usize,
    pub accounts: Vec<DemoAccount>,
    /// Activity records written (`None`: the history was already there).
    pub activities: Option<usize>,
    /// Why the library, the watch or the history could not be loaded after the accounts were
    /// made (their passwords are in `accounts` all the same).
    pub incomplete: Option<String>,
}

impl App {
    /// Loads the demo territory (the operator's command: no policy to ask).
    pub async fn load_demo(
        &self,
        options: &DemoOptions,
        progress: &dyn Progress,
    ) -> Result<DemoReport, AppError> {
        // The contours (read once by the application) place people's homes near where they
        // are helped; only the département's demo has a history.
        let contours = match options.scale {
            DemoScale::Departement => self.contours().await.ok(),
            DemoScale::National => None,
        };
        let mut report = load(&self.store, &self.referential, contours, options, progress).await?;
        // The territory's indicators: an invented sample, labelled as such wherever it shows.
        if self.store.commune_indicators().await?.is_empty() {
            progress.stage("Indicateurs des communes (exemple fictif)", None);
            let csv = crate::territory::fragility::demo_sample_csv(&self.referential);
            let done = self
                .import_indicators_unchecked(
                    csv.into_bytes(),
                    "exemple-indicateurs.csv",
                    crate::territory::fragility::SAMPLE_SOURCE,
                    false,
                )
                .await?;
            if !done.errors.is_empty() && report.incomplete.is_none() {
                report.incomplete = Some(format!("indicateurs d'exemple : {}", done.errors[0]));
            }
        }
        Ok(report)
    }

    /// Whether the directory has no place yet (`serve --demo` loads the demo then).
    pub async fn directory_is_empty(&self) -> Result<bool, AppError> {
        Ok(self.store.count_places().await? == 0)
    }
}

async fn followed_person(store: &Store, organisation: &str) -> Result<(), AppError> {
    use maillage_domain::diagnostic::{assess, builtin};
    let Some(court) = builtin().into_iter().find(|q| q.id == "court") else {
        return Ok(());
    };
    let answers = |pairs: &[(&str, &str)]| -> maillage_domain::diagnostic::Answers {
        pairs
            .iter()
            .map(|(q, c)| (q.to_string(), vec![c.to_string()]))
            .collect()
    };
    let keep_until = (chrono::Utc::now() + chrono::Duration::days(730))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let person = store
        .create_person(&maillage_store::NewPerson {
            organisation_id: organisation,
            pseudonym: "Karim (démonstration)",
            contact: None,
            consent_by: None,
            keep_until: &keep_until,
        })
        .await?;
    let first = answers(&[
        ("appareils", "smartphone"),
        ("maitrise", "non"),
        ("internet", "jamais"),
        ("courriel", "non"),
        ("demarches", "a_ma_place"),
        ("francais", "facile"),
        ("envie", "oui"),
        ("aisance", "peu"),
    ]);
    let then = answers(&[
        ("appareils", "smartphone"),
        ("maitrise", "un_peu"),
        ("internet", "parfois"),
        ("courriel", "envoie"),
        ("demarches", "aide"),
        ("francais", "facile"),
        ("envie", "oui"),
        ("aisance", "plutot"),
    ]);
    let a = assess(&court, &first);
    let first_id = store
        .create_diagnostic(&maillage_store::NewDiagnostic {
            person_id: Some(&person),
            previous_id: None,
            organisation_id: Some(organisation),
            helper_id: None,
            mode: "accompagne",
            answers: &first,
            assessment: &a,
            observations: Some("A su allumer l'appareil\nUtilise l'écran tactile avec difficulté"),
            age_bracket: Some("35_54"),
            commune: None,
            retest_on: None,
        })
        .await?;
    let b = assess(&court, &then);
    store
        .create_diagnostic(&maillage_store::NewDiagnostic {
            person_id: Some(&person),
            previous_id: Some(&first_id),
            organisation_id: Some(organisation),
            helper_id: None,
            mode: "accompagne",
            answers: &then,
            assessment: &b,
            observations: Some("Envoie seul un courriel à sa fille"),
            age_bracket: Some("35_54"),
            commune: None,
            retest_on: None,
        })
        .await?;
    Ok(())
}

async fn load(
    store: &Store,
    referential: &Referential,
    contours: Option<std::sync::Arc<maillage_referential::contours::Contours>>,
    options: &DemoOptions,
    progress: &dyn Progress,
) -> Result<DemoReport, AppError> {
    let (dep, count) = match options.scale {
        DemoScale::Departement => (Some(DEMO_DEPARTEMENT), 150),
        DemoScale::National => (None, 50_000),
    };
    progress.stage("Génération des lieux", None);
    let places = generate(referential, dep, count, 2026);
    progress.stage("Écriture des lieux", None);
    let records: Vec<ImportRecord> = places
        .iter()
        .map(|d| ImportRecord {
            source_id: d.source_id.clone(),
            place: d.place.clone(),
        })
        .collect();
    let outcome = store
        .import_places(
            "demo",
            "démonstration",
            &records,
            0,
            "Territoire de démonstration généré",
            None,
        )
        .await?;
    let mut report = DemoReport {
        places_created: outcome.created,
        places_unchanged: outcome.unchanged,
        ..DemoReport::default()
    };
    if matches!(options.scale, DemoScale::Departement) {
        // A second source republishing a few places: the review of duplicates has work.
        let hub: Vec<ImportRecord> = republished_by_hub(&places, 30, 5)
            .into_iter()
            .map(|d| ImportRecord {
                source_id: d.source_id,
                place: d.place,
            })
            .collect();
        store
            .import_places(
                "demo-hub",
                "hub-regional.json",
                &hub,
                0,
                "Lieux republiés par un hub régional (démonstration)",
                None,
            )
            .await?;
    }
    if matches!(options.scale, DemoScale::National) {
        return Ok(report);
    }
    // Organisations: the town runs its library, CCAS and public digital space.
    progress.stage("Structures, comptes et historique", None);
    let mut org_ids = std::collections::HashMap::new();
    let existing = store.organisations().await?;
    for d in &places {
        if org_ids.contains_key(&d.organisation) {
            continue;
        }
        let name = if d.organisation.starts_with("ville-") {
            format!("Ville de {}", d.place.commune)
        } else {
            d.place.name.clone()
        };
        let id = match existing.iter().find(|o| o.id == d.organisation) {
            Some(o) => o.id.clone(),
            None => {
                store
                    .create_organisation(&Organisation {
                        id: d.organisation.clone(),
                        name,
                        pivot: None,
                        typologies: d.place.typologies.clone(),
                        departement: d.place.departement(),
                    })
                    .await?
            }
        };
        org_ids.insert(d.organisation.clone(), id);
    }
    for d in &places {
        if let (Some(stored), Some(org)) = (
            store.place(&d.source_id).await?,
            org_ids.get(&d.organisation),
        ) && stored.organisation_id.as_deref() != Some(org.as_str())
        {
            store.update_place(&stored.place, Some(org), None).await?;
        }
    }
    // The organisation with the most places gets the demo helper.
    let mut counts: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for d in &places {
        *counts.entry(d.organisation.as_str()).or_default() += 1;
    }
    let busiest = counts
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0)))
        .map(|(o, _)| o.to_string())
        .unwrap_or_default();
    // Workshops of several levels over the next weeks (once).
    if store.workshops_from("0000-01-01").await?.is_empty() {
        for mut w in workshops(&places, &busiest, crate::today()) {
            w.organisation_id = w
                .organisation_id
                .as_ref()
                .and_then(|o| org_ids.get(o).cloned());
            store.create_workshop(&w, None).await?;
        }
    }
    // A person followed by the demo helper's structure, with a first passage and a re-test, so
    // that the progression shows (their consent is part of the scenario).
    if let Some(org) = org_ids.get(&busiest)
        && store.persons_of(org).await?.is_empty()
    {
        followed_person(store, org).await?;
    }
    let password = options.password.clone().filter(|p| p.len() >= 12);
    // The reception desk of a France Services of the demo, another structure: referrals go
    // between the two helpers.
    let reception = places
        .iter()
        .find(|d| d.place.name == "France Services de Nancy" && d.organisation != busiest)
        .or_else(|| {
            places
                .iter()
                .find(|d| d.place.name.starts_with("France Services") && d.organisation != busiest)
        })
        .map(|d| d.organisation.clone());
    let mut accounts = vec![
        (
            "admin@demo.maillage.example",
            "Alix Administratrice",
            true,
            vec![],
            vec![],
        ),
        (
            "coordination@demo.maillage.example",
            "Claude Coordinateur (Meurthe-et-Moselle)",
            false,
            vec![TerritoryUnit::Departement(DEMO_DEPARTEMENT.into())],
            vec![],
        ),
        (
            "aidant@demo.maillage.example",
            "Dominique Aidante",
            false,
            vec![],
            vec![Membership {
                organisation_id: busiest.clone(),
                since: crate::today() - chrono::Days::new(365),
                until: None,
            }],
        ),
    ];
    let reception_org = reception.clone();
    if let Some(org) = reception {
        accounts.push((
            "accueil@demo.maillage.example",
            "Sacha Accueil (France Services)",
            false,
            vec![],
            vec![Membership {
                organisation_id: org,
                since: crate::today() - chrono::Days::new(365),
                until: None,
            }],
        ));
    }
    for (email, name, admin, territory, memberships) in accounts {
        if store.user_by_email(email).await?.is_some() {
            report.accounts.push(DemoAccount {
                email: email.into(),
                name: name.into(),
                password: None,
            });
            continue;
        }
        let pw = password
            .clone()
            .unwrap_or_else(crate::accounts::random_password);
        store
            .create_user(&NewUser {
                email: email.into(),
                display_name: name.into(),
                password: pw.clone(),
                administrator: admin,
                territory,
                memberships,
            })
            .await?;
        report.accounts.push(DemoAccount {
            email: email.into(),
            name: name.into(),
            password: Some(pw),
        });
    }
    // The accounts exist now: what follows failing, the report still tells their passwords.
    let history = async {
        let busiest_name = store
            .organisation(&busiest)
            .await?
            .map(|o| o.name)
            .unwrap_or_default();
        mandates::load_mandates(store, &busiest, &busiest_name, crate::today()).await?;
        library::load_library_and_watch(store, &busiest).await?;
        surveys::load_surveys(store, &places, &busiest).await?;
        history::load_activity(
            store,
            &places,
            &org_ids,
            &busiest,
            reception_org.as_deref(),
            contours,
        )
        .await
    };
    match history.await {
        Ok(activities) => report.activities = activities,
        Err(e) => report.incomplete = Some(e.to_string()),
    }
    Ok(report)
}
