//! Places and structures: imports, edits, merges, error reports.

use super::*;

#[tokio::test]
async fn import_is_idempotent_and_newer_dates_update() {
    for store in backends().await {
        let records = vec![
            ImportRecord {
                source_id: "a".into(),
                place: place("", "Médiathèque", "21690123400010", "2024-01-01"),
            },
            ImportRecord {
                source_id: "b".into(),
                place: place("", "Centre social", "00000000000000", "2024-01-01"),
            },
        ];
        let first = store
            .import_places("lyon", "f.csv", &records, 0, "ok", None)
            .await
            .expect("import");
        assert_eq!(
            (first.created, first.updated, first.unchanged),
            (2, 0, 0),
            "{}",
            store.backend()
        );
        let again = store
            .import_places("lyon", "f.csv", &records, 0, "ok", None)
            .await
            .expect("import");
        assert_eq!(
            (again.created, again.updated, again.unchanged),
            (0, 0, 2),
            "{}",
            store.backend()
        );
        let mut newer = records.clone();
        newer[0].place.updated_on = NaiveDate::from_ymd_opt(2024, 6, 1).expect("date");
        newer[0].place.name = "Médiathèque Jean Macé".into();
        let mut older = records.clone();
        older[1].place.updated_on = NaiveDate::from_ymd_opt(2023, 1, 1).expect("date");
        older[1].place.name = "Ancien nom".into();
        let out = store
            .import_places(
                "lyon",
                "f.csv",
                &[newer[0].clone(), older[1].clone()],
                0,
                "ok",
                None,
            )
            .await
            .expect("import");
        assert_eq!((out.created, out.updated, out.unchanged), (0, 1, 1));
        // The same date with other content changes nothing (edits or a merge made since).
        let mut same_day = records.clone();
        same_day[1].place.name = "Autre nom, même date".into();
        let out = store
            .import_places("lyon", "f.csv", &same_day[1..], 0, "ok", None)
            .await
            .expect("import");
        assert_eq!((out.created, out.updated, out.unchanged), (0, 0, 1));
        // A record given twice in one import: created, then updated by its newer self.
        let twice = vec![
            ImportRecord {
                source_id: "c".into(),
                place: place("", "Espace numérique", "00000000000000", "2024-01-01"),
            },
            ImportRecord {
                source_id: "c".into(),
                place: place(
                    "",
                    "Espace numérique rénové",
                    "00000000000000",
                    "2024-02-01",
                ),
            },
        ];
        let out = store
            .import_places("autre-source", "g.csv", &twice, 0, "ok", None)
            .await
            .expect("import");
        assert_eq!((out.created, out.updated, out.unchanged), (1, 1, 0));
        let renewed = store.all_places().await.expect("lecture");
        assert!(
            renewed.iter().any(|p| p.source_id.as_deref() == Some("c")
                && p.place.name == "Espace numérique rénové")
        );
        store
            .delete_place(
                &renewed
                    .iter()
                    .find(|p| p.source_id.as_deref() == Some("c"))
                    .expect("c")
                    .place
                    .id,
            )
            .await
            .expect("effacé");
        let all = store.all_places().await.expect("lecture");
        assert_eq!(all.len(), 2);
        let a = all
            .iter()
            .find(|p| p.source_id.as_deref() == Some("a"))
            .expect("a");
        assert_eq!(a.place.name, "Médiathèque Jean Macé");
        assert_eq!(a.source.as_deref(), Some("lyon"));
        assert_eq!(
            a.place.extras.limits.as_deref(),
            Some("n'intervient pas sur le budget")
        );
        // A known pivot creates its organisation; the placeholder does not.
        assert!(a.organisation_id.is_some());
        let b = all
            .iter()
            .find(|p| p.source_id.as_deref() == Some("b"))
            .expect("b");
        assert_eq!(b.place.name, "Centre social");
        assert!(b.organisation_id.is_none());
        assert_eq!(store.organisations().await.expect("structures").len(), 1);
        assert_eq!(store.imports(10).await.expect("historique").len(), 5);
        // Maillage's own export re-imported under another source matches by id.
        let own = vec![ImportRecord {
            source_id: a.place.id.clone(),
            place: a.place.clone(),
        }];
        let out = store
            .import_places("autre", "export.csv", &own, 0, "ok", None)
            .await
            .expect("import");
        assert_eq!(out.unchanged, 1);
    }
}

#[tokio::test]
async fn places_and_organisations_crud() {
    for store in backends().await {
        let org = Organisation {
            id: String::new(),
            name: "CCAS de Lyon".into(),
            pivot: Some("26690123400017".into()),
            typologies: vec!["CCAS".into()],
            departement: Some("69".into()),
        };
        let org_id = store.create_organisation(&org).await.expect("structure");
        assert!(
            store.create_organisation(&org).await.is_err(),
            "pivot unique"
        );
        let id = store
            .create_place(
                place("", "Accueil CCAS", "26690123400017", "2024-02-02"),
                Some(&org_id),
                Some("u1"),
            )
            .await
            .expect("création");
        let mut stored = store.place(&id).await.expect("lecture").expect("présent");
        assert_eq!(stored.organisation_id.as_deref(), Some(org_id.as_str()));
        // A page of results in one round trip, in the asked order, unknown ids left out.
        let other = store
            .create_place(
                place("", "Médiathèque", "00000000000000", "2024-02-03"),
                None,
                None,
            )
            .await
            .expect("création");
        let page = store
            .places(&[other.clone(), "inconnu".into(), id.clone()])
            .await
            .expect("lecture groupée");
        assert_eq!(
            page.iter().map(|s| s.place.id.as_str()).collect::<Vec<_>>(),
            [other.as_str(), id.as_str()]
        );
        assert!(store.places(&[]).await.expect("vide").is_empty());
        // Reading the directory in batches visits every place once, in identifier order.
        let mut seen = Vec::new();
        let mut after = String::new();
        loop {
            let batch = store.places_after(&after, 1).await.expect("lot");
            let Some(last) = batch.last() else { break };
            after = last.place.id.clone();
            seen.extend(batch.into_iter().map(|s| s.place.id));
        }
        let mut expected = vec![id.clone(), other.clone()];
        expected.sort();
        assert_eq!(seen, expected);
        assert!(store.delete_place(&other).await.expect("suppression"));
        stored.place.name = "Accueil du CCAS".into();
        assert!(
            store
                .update_place(&stored.place, Some(&org_id), Some("u1"))
                .await
                .expect("maj")
        );
        assert_eq!(
            store
                .place(&id)
                .await
                .expect("lecture")
                .expect("présent")
                .place
                .name,
            "Accueil du CCAS"
        );
        assert!(
            store
                .delete_organisation(&org_id)
                .await
                .expect("suppression")
        );
        assert!(
            store
                .place(&id)
                .await
                .expect("lecture")
                .expect("gardé")
                .organisation_id
                .is_none()
        );
        assert!(store.delete_place(&id).await.expect("suppression"));
        assert!(store.place(&id).await.expect("lecture").is_none());
        assert_eq!(store.count_places().await.expect("compte"), 0);
    }
}

#[tokio::test]
async fn merges_keep_every_record_survive_reimports_and_undo() {
    for store in backends().await {
        let records: Vec<ImportRecord> = [
            ("s1", "Médiathèque Louis Nucéra", "2024-05-01"),
            ("s2", "Mediatheque L. Nucera", "2024-03-01"),
            ("s3", "Centre social", "2024-03-01"),
        ]
        .iter()
        .map(|(sid, name, date)| ImportRecord {
            source_id: (*sid).into(),
            place: place("", name, "00000000000000", date),
        })
        .collect();
        store
            .import_places("hub", "a.json", &records, 0, "", None)
            .await
            .expect("import");
        let all = store.all_places().await.expect("lieux");
        let id_of = |sid: &str| {
            all.iter()
                .find(|s| s.source_id.as_deref() == Some(sid))
                .map(|s| s.place.id.clone())
                .expect("lieu importé")
        };
        let (a, b, c) = (id_of("s1"), id_of("s2"), id_of("s3"));

        // "Not a duplicate" is remembered, whatever the order of the pair.
        store
            .mark_not_duplicate(&c, &a, Some("coord"))
            .await
            .expect("décision");
        store
            .mark_not_duplicate(&a, &c, Some("coord"))
            .await
            .expect("décision répétée");
        let marks = store.not_duplicates().await.expect("décisions");
        assert_eq!(marks.len(), 1);
        assert!(marks.contains(&if a < c {
            (a.clone(), c.clone())
        } else {
            (c.clone(), a.clone())
        }));

        // An open report on b follows it into a.
        let report_on_b = store
            .create_report(
                &b,
                &maillage_domain::reports::validate_report("horaires", "", "").expect("valide"),
            )
            .await
            .expect("signalement");
        // Merge b into a.
        let before = store.all_places().await.expect("lieux");
        let mut kept = store
            .place(&a)
            .await
            .expect("lecture")
            .expect("présent")
            .place;
        kept.description = Some("fusionné".into());
        let merge = store
            .merge_places(&kept, &[a.clone(), b.clone()], Some("coord"))
            .await
            .expect("fusion");
        assert!(store.place(&b).await.expect("lecture").is_none());
        assert_eq!(
            store
                .place(&a)
                .await
                .expect("lecture")
                .expect("gardé")
                .place
                .description
                .as_deref(),
            Some("fusionné")
        );
        assert_eq!(
            store
                .report(&report_on_b)
                .await
                .expect("lecture")
                .expect("signalement gardé")
                .place_id,
            a
        );
        let history = store.merges(10).await.expect("historique");
        assert_eq!(history[0].names.len(), 2);
        assert_eq!(history[0].kept_id, a);
        // Re-importing the source file does not bring the merged record back.
        let outcome = store
            .import_places("hub", "a.json", &records, 0, "", None)
            .await
            .expect("réimport");
        assert_eq!((outcome.created, outcome.unchanged), (0, 3));
        assert_eq!(store.count_places().await.expect("compte"), 2);
        // A merge needs the kept place in a group of two or more, and existing places.
        assert!(
            store
                .merge_places(&kept, std::slice::from_ref(&a), None)
                .await
                .is_err()
        );
        assert!(
            store
                .merge_places(&kept, &[a.clone(), b.clone()], None)
                .await
                .is_err()
        );
        assert!(
            store
                .merge_places(&kept, &[a.clone(), a.clone()], None)
                .await
                .is_err()
        );

        // Undo: everything as before, and the merge is marked undone.
        assert!(
            store
                .undo_merge(&merge, Some("coord"))
                .await
                .expect("annulation")
        );
        assert!(!store.undo_merge(&merge, None).await.expect("déjà annulée"));
        let mut after = store.all_places().await.expect("lieux");
        let mut before = before;
        after.sort_by(|x, y| x.place.id.cmp(&y.place.id));
        before.sort_by(|x, y| x.place.id.cmp(&y.place.id));
        assert_eq!(after, before);
        assert!(
            store.merges(10).await.expect("historique")[0]
                .undone_at
                .is_some()
        );
        // The report survived the undo (it stays on the kept place).
        assert!(store.report(&report_on_b).await.expect("lecture").is_some());
        for id in [a, b, c] {
            assert!(store.delete_place(&id).await.expect("nettoyage"));
        }
    }
}

#[tokio::test]
async fn error_reports_are_kept_resolved_and_emails_purged() {
    use maillage_domain::reports::validate_report;
    for store in backends().await {
        let id = store
            .create_place(
                place("", "Médiathèque", "00000000000000", "2024-02-02"),
                None,
                None,
            )
            .await
            .expect("lieu");
        let input =
            validate_report("horaires", "Fermé le lundi", "marie@exemple.fr").expect("valide");
        let report = store.create_report(&id, &input).await.expect("signalement");
        let open = store.open_reports().await.expect("ouverts");
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].place_id, id);
        assert_eq!(open[0].reporter_email.as_deref(), Some("marie@exemple.fr"));
        assert!(
            store
                .resolve_report(&report, Some("coord"), "horaires corrigés")
                .await
                .expect("résolu")
        );
        assert!(
            !store
                .resolve_report(&report, None, "")
                .await
                .expect("déjà résolu")
        );
        assert!(store.open_reports().await.expect("ouverts").is_empty());
        // Not yet past the retention: kept; past it: erased.
        assert_eq!(
            store
                .purge_report_emails("2000-01-01T00:00:00Z")
                .await
                .expect("purge"),
            0
        );
        assert_eq!(
            store
                .purge_report_emails("2999-01-01T00:00:00Z")
                .await
                .expect("purge"),
            1
        );
        let after = store
            .report(&report)
            .await
            .expect("lecture")
            .expect("gardé");
        assert_eq!(after.reporter_email, None);
        assert_eq!(after.resolution.as_deref(), Some("horaires corrigés"));
        // Deleting the place deletes its reports.
        assert!(store.delete_place(&id).await.expect("suppression"));
        assert!(store.report(&report).await.expect("lecture").is_none());
    }
}

#[tokio::test]
async fn an_interrupted_import_writes_nothing() {
    use maillage_domain::progress::Progress;
    use std::sync::atomic::{AtomicU64, Ordering};
    /// Asks to stop once 900 records were seen (after two full batches of new places).
    struct StopAfter(AtomicU64);
    impl Progress for StopAfter {
        fn stage(&self, _: &str, _: Option<u64>) {}
        fn advance(&self, n: u64) {
            self.0.fetch_add(n, Ordering::SeqCst);
        }
        fn interrupted(&self) -> bool {
            self.0.load(Ordering::SeqCst) >= 900
        }
    }
    for store in backends().await {
        let records: Vec<ImportRecord> = (0..1_000)
            .map(|i| ImportRecord {
                source_id: format!("r{i}"),
                place: place("", &format!("Lieu {i}"), "00000000000000", "2024-01-01"),
            })
            .collect();
        let lent: Vec<_> = records.iter().map(ImportRecord::as_import).collect();
        let err = store
            .import_places_watched(
                "gros",
                "gros.csv",
                &lent,
                0,
                "",
                None,
                &StopAfter(AtomicU64::new(0)),
            )
            .await
            .expect_err("interrompu");
        assert!(matches!(err, maillage_store::StoreError::Interrupted(_)));
        assert!(err.to_string().contains("rien n'a été enregistré"));
        assert!(
            store.all_places().await.expect("lieux").is_empty(),
            "{}",
            store.backend()
        );
        assert!(store.imports(10).await.expect("imports").is_empty());
    }
}

/// An import received chunk by chunk: each chunk's targets are read in the import's own
/// transaction (the places its earlier chunks wrote included, by provenance or by id); a
/// session dropped before `finish` writes nothing, however many chunks it wrote.
#[tokio::test]
async fn an_import_session_sees_its_own_chunks_and_writes_nothing_unfinished() {
    use maillage_domain::progress::Silent;
    for store in backends().await {
        // A place already there, by its Maillage id.
        let known = store
            .create_place(
                place("", "Maison France services", "00000000000000", "2024-01-01"),
                None,
                None,
            )
            .await
            .expect("lieu");
        let first: Vec<ImportRecord> = (0..450)
            .map(|i| ImportRecord {
                source_id: format!("r{i}"),
                place: place("", &format!("Lieu {i}"), "00000000000000", "2024-01-01"),
            })
            .collect();
        let lent: Vec<_> = first.iter().map(ImportRecord::as_import).collect();

        let mut session = store.begin_import("hub", None).await.expect("début");
        assert_eq!(session.source(), "hub");
        let before = session
            .targets(&["r1", known.as_str(), "inconnu"])
            .await
            .expect("cibles");
        assert_eq!(before.len(), 1, "{}", store.backend());
        assert_eq!(before[known.as_str()].0.name, "Maison France services");
        session.write(&lent, &Silent).await.expect("écriture");
        // The first chunk's places (some still waiting for their batch) are found by
        // provenance, with their content.
        let after = session
            .targets(&["r1", "r449", known.as_str()])
            .await
            .expect("cibles");
        assert_eq!(after.len(), 3, "{}", store.backend());
        assert_eq!(after["r449"].0.name, "Lieu 449");
        drop(session);
        assert_eq!(
            store.all_places().await.expect("lieux").len(),
            1,
            "{}",
            store.backend()
        );
        assert!(store.imports(10).await.expect("imports").is_empty());

        // Finished, the same chunks are written, and the import recorded once.
        let mut session = store.begin_import("hub", None).await.expect("début");
        let (a, b) = lent.split_at(200);
        session.write(a, &Silent).await.expect("écriture");
        session.write(b, &Silent).await.expect("écriture");
        let outcome = session.finish("hub.csv", 2, "rapport").await.expect("fin");
        assert_eq!((outcome.created, outcome.updated), (450, 0));
        assert_eq!(store.all_places().await.expect("lieux").len(), 451);
        let history = store.imports(10).await.expect("imports");
        assert_eq!(history.len(), 1);
        assert_eq!((history[0].created, history[0].rejected), (450, 2));
        // Read outside any transaction (a file refused whole), the same targets.
        let outside = store
            .import_targets("hub", &["r1", "r449", known.as_str(), "inconnu"])
            .await
            .expect("cibles");
        assert_eq!(outside.len(), 3, "{}", store.backend());
        assert_eq!(outside["r449"].0.name, "Lieu 449");
        assert_eq!(outside[known.as_str()].0.name, "Maison France services");
    }
}
