//! The demo's mandates (issue #19): the coordinator habilitated the demo helper two months ago;
//! two persons gave their structure a mandate — one for a year, used twice, one ending within
//! the week (its warning shows) — and the journal holds it all.

use chrono::{Duration, NaiveDate};
use maillage_domain::mandates::{
    ConsentMode, Demarche, MandateDuration, MandateFacts, TEXT_VERSION, digest, fingerprint, text,
};
use maillage_domain::vocab::Vocabulary;
use maillage_store::{NewAct, NewMandate, Store};

use crate::AppError;

struct Sample {
    name: &'static str,
    demarches: &'static [Demarche],
    duration: MandateDuration,
    consent: ConsentMode,
    /// Days since it was signed.
    age: i64,
    acts: &'static [(Demarche, &'static str, &'static str)],
}

const SAMPLES: [Sample; 2] = [
    Sample {
        name: "Odette Lambert (démonstration)",
        demarches: &[Demarche::Papers, Demarche::Social, Demarche::Money],
        duration: MandateDuration::Year,
        consent: ConsentMode::Paper,
        age: 20,
        acts: &[
            (
                Demarche::Social,
                "a-la-place",
                "Déclaration trimestrielle de ressources envoyée",
            ),
            (
                Demarche::Money,
                "avec",
                "Déclaration de revenus relue et signée ensemble",
            ),
        ],
    },
    Sample {
        name: "Marcel Petit (démonstration)",
        demarches: &[Demarche::Housing],
        duration: MandateDuration::Month,
        consent: ConsentMode::Screen,
        age: 26,
        acts: &[(
            Demarche::Housing,
            "a-la-place",
            "Demande d'aide au logement déposée",
        )],
    },
];

pub(super) async fn load_mandates(
    store: &Store,
    organisation: &str,
    organisation_name: &str,
    today: NaiveDate,
) -> Result<(), AppError> {
    if !store.habilitations_of(organisation).await?.is_empty() {
        return Ok(());
    }
    let (Some(helper), Some(coordinator)) = (
        store.user_by_email("aidant@demo.maillage.example").await?,
        store
            .user_by_email("coordination@demo.maillage.example")
            .await?,
    ) else {
        return Ok(());
    };
    store
        .grant_habilitation(
            organisation,
            &helper.id,
            &(today - Duration::days(60)).to_string(),
            &coordinator.id,
        )
        .await?;
    for s in SAMPLES {
        let starts_on = today - Duration::days(s.age);
        let last_day = s.duration.last_day(starts_on);
        let facts = MandateFacts {
            person_name: s.name.to_string(),
            organisation_name: organisation_name.to_string(),
            demarches: s.demarches.to_vec(),
            starts_on,
            last_day,
            kept_for: "1 an".into(),
        };
        let Some(body) = text(TEXT_VERSION, &facts) else {
            continue;
        };
        let id = uuid::Uuid::now_v7().simple().to_string();
        let print = fingerprint(&id, TEXT_VERSION, &body, s.consent);
        let slugs: Vec<&str> = s.demarches.iter().map(|d| d.slug()).collect();
        let keep_until = format!("{}T23:59:59Z", last_day + Duration::days(365));
        store
            .create_mandate(&NewMandate {
                organisation_id: organisation,
                person_id: None,
                new_person: Some((s.name, None)),
                person_name: s.name,
                contact: None,
                helper_id: &helper.id,
                consent_mode: s.consent.slug(),
                consented: true,
                duration: s.duration.slug(),
                starts_on: &starts_on.to_string(),
                last_day: &last_day.to_string(),
                text_version: TEXT_VERSION,
                text: &body,
                id: &id,
                fingerprint: &print,
                demarches: &slugs,
                renewed_from: None,
                form_key: None,
                keep_until: &keep_until,
                link: None,
            })
            .await?;
        for (demarche, manner, what) in s.acts {
            store
                .record_act(&NewAct {
                    organisation_id: organisation,
                    mandate_id: &id,
                    demarche: demarche.slug(),
                    manner,
                    what,
                    helper_id: &helper.id,
                    digest: &digest(&format!("{manner}\n{what}")),
                })
                .await?;
        }
    }
    Ok(())
}
