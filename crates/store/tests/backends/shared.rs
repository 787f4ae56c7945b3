//! What instances of one base share (issue #22): counters and claims of long work hold under
//! concurrent callers — as many connections as instances — on both databases.

use maillage_store::{Claim, NewWork, SlotLimits, WorkOutcome};

use super::*;

const NOW: i64 = 1_796_000_000_000;

#[tokio::test]
async fn concurrent_counts_never_let_more_than_the_limit_through() {
    for store in backends().await {
        let keys = vec!["empreinte".to_string()];
        let tries = (0..24).map(|i| {
            let (store, keys) = (store.clone(), keys.clone());
            async move { store.limit_try("essai", &keys, 5, 60_000, NOW + i).await }
        });
        let passed = futures_util::future::join_all(tries)
            .await
            .into_iter()
            .map(|r| r.expect("compté"))
            .filter(|ok| *ok)
            .count();
        assert_eq!(passed, 5, "{}", store.backend());
        assert_eq!(
            store
                .limit_count("essai", "empreinte", 60_000, NOW + 30)
                .await
                .expect("compte"),
            5
        );
        // A minute later the window is free again, and old events are forgotten on the way.
        assert!(
            store
                .limit_try("essai", &keys, 5, 60_000, NOW + 60_100)
                .await
                .expect("compté")
        );
        // Failures: counted, forgotten after their delay, cleared.
        for _ in 0..3 {
            store
                .limit_failed("echecs", "k", NOW, 3_600_000)
                .await
                .expect("échec");
        }
        assert_eq!(
            store.limit_failures("echecs", "k").await.expect("lu"),
            Some((3, NOW))
        );
        store
            .limit_failed("echecs", "k", NOW + 3_600_000, 3_600_000)
            .await
            .expect("échec");
        assert_eq!(
            store.limit_failures("echecs", "k").await.expect("lu"),
            Some((1, NOW + 3_600_000)),
            "une heure sans échec : le compte repart de un"
        );
        store.limit_cleared("echecs", "k").await.expect("effacé");
        assert_eq!(store.limit_failures("echecs", "k").await.expect("lu"), None);
    }
}

#[tokio::test]
async fn concurrent_claims_respect_the_slots_and_results_are_read_back() {
    for store in backends().await {
        let ids: Vec<String> = (0..6).map(|i| format!("travail{i}")).collect();
        let claims = ids.iter().map(|id| {
            let store = store.clone();
            async move {
                store
                    .work_claim(
                        &NewWork {
                            id,
                            title: "Livret",
                            owner: None,
                            slot_kind: "anonyme",
                            slot_key: id,
                            share_key: Some("livret|54"),
                            now: NOW,
                        },
                        SlotLimits {
                            per_slot: 1,
                            per_kind: 2,
                        },
                        async { true },
                    )
                    .await
            }
        });
        let started = futures_util::future::join_all(claims)
            .await
            .into_iter()
            .map(|r| r.expect("réclamé"))
            .filter(|c| *c == Claim::Started)
            .count();
        assert_eq!(started, 2, "{} : deux anonymes en tout", store.backend());
        let running = store
            .work_shared("livret|54", None, NOW - 1, NOW - 1)
            .await
            .expect("partage")
            .expect("un travail en cours");
        assert!(
            store
                .work_beat(&running, "Pages", 3, Some(10), NOW + 500)
                .await
                .expect("battement")
                .eq(&false)
        );
        store.work_stop(&running).await.expect("arrêt demandé");
        assert!(
            store
                .work_beat(&running, "Pages", 4, Some(10), NOW + 1000)
                .await
                .expect("battement"),
            "l'arrêt demandé se lit au battement suivant"
        );
        let file = WorkOutcome::File {
            name: "livret.pdf".into(),
            content_type: "application/pdf".into(),
            summary: "4 lieux".into(),
            bytes: b"%PDF-1.7".to_vec(),
        };
        store
            .work_finish(&running, &file, NOW + 1500)
            .await
            .expect("fini");
        let row = store.work(&running).await.expect("lu").expect("présent");
        assert_eq!((row.done, row.total), (4, Some(10)));
        assert_eq!(row.outcome, Some(file));
        // An instance that stopped beating no longer holds its slot.
        let late = NOW + maillage_store::WORK_STALE_MS + 2000;
        let claim = store
            .work_claim(
                &NewWork {
                    id: "tardif",
                    title: "Livret",
                    owner: None,
                    slot_kind: "anonyme",
                    slot_key: "autre",
                    share_key: None,
                    now: late,
                },
                SlotLimits {
                    per_slot: 1,
                    per_kind: 2,
                },
                async { false },
            )
            .await
            .expect("réclamé");
        assert_eq!(
            claim,
            Claim::NotAdmitted,
            "des places, mais la limite dit non"
        );
        assert_eq!(
            store.purge_work_finished(late).await.expect("purge"),
            2,
            "le travail fini et celui abandonné"
        );
    }
}
