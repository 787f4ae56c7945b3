//! Activity records: private notes, linked referrals and sessions, public statistics, exports.

use super::*;

/// Findings 9 and 10: a person's export holds the caller's own private notes only; erasing the
/// person erases the notes and the free text of records about them alone, the figures stay.
#[tokio::test]
async fn notes_stay_with_their_author_and_go_with_the_person() {
    let w = world().await;
    let (a, a2) = (w.actor("a@test.fr").await, w.actor("a2@test.fr").await);
    let first = w
        .app
        .record_activity(
            Some(&a),
            &record("org-a", "individuel", "Note de A : sans emploi", None),
        )
        .await
        .expect("service")
        .expect("valide");
    let person = w
        .store
        .activity(&first)
        .await
        .expect("base")
        .expect("compte rendu")
        .activity
        .persons[0]
        .clone();
    let second = w
        .app
        .record_activity(
            Some(&a2),
            &record("org-a", "demarche", "Note de A2 : dettes", Some(&person)),
        )
        .await
        .expect("service")
        .expect("valide");
    let export = w
        .app
        .person_export(Some(&a), &person)
        .await
        .map(|e| serde_json::to_string(&e))
        .expect("export")
        .expect("JSON");
    assert!(export.contains("Note de A : sans emploi"));
    assert!(!export.contains("Note de A2"), "{export}");
    let export = w
        .app
        .person_export(Some(&a2), &person)
        .await
        .map(|e| serde_json::to_string(&e))
        .expect("export")
        .expect("JSON");
    assert!(export.contains("Note de A2") && !export.contains("Note de A :"));

    w.app
        .erase_person(Some(&a), &person)
        .await
        .expect("effacement");
    for id in [first, second] {
        let r = w
            .store
            .activity(&id)
            .await
            .expect("base")
            .expect("gardé pour les chiffres");
        assert_eq!(r.notes, None);
        assert_eq!(r.activity.procedure_name, None);
        assert!(r.activity.persons.is_empty());
        assert_eq!(r.activity.anonymous.total, 1, "compté comme anonyme");
    }
}

/// Finding 11: a record is linked only to a referral or a workshop session of its structure.
#[tokio::test]
async fn a_record_links_only_its_structures_referrals_and_sessions() {
    let w = world().await;
    let (a, b) = (w.actor("a@test.fr").await, w.actor("b@test.fr").await);
    let referral_of_a = w
        .app
        .send_referral(Some(&a), &outgoing(&w.place_c, "Karim", None))
        .await
        .expect("envoi")
        .expect("valide");
    let mut input = record("org-b", "individuel", "", None);
    input.new_person = None;
    input.referral_id = Some(referral_of_a.clone());
    assert!(matches!(
        w.app.record_activity(Some(&b), &input).await,
        Err(AppError::Forbidden(_))
    ));
    input.referral_id = None;
    input.session = Some(maillage_domain::activity::WorkshopSession {
        workshop_id: "atelier-d-une-autre-structure".into(),
        start: chrono::NaiveDate::from_ymd_opt(2026, 3, 10)
            .and_then(|d| d.and_hms_opt(14, 0, 0))
            .expect("date"),
    });
    assert!(matches!(
        w.app.record_activity(Some(&b), &input).await,
        Err(AppError::Forbidden(_))
    ));
    // A's own referral is fine for A.
    let mut own = record("org-a", "individuel", "", None);
    own.new_person = None;
    own.referral_id = Some(referral_of_a);
    assert!(
        w.app
            .record_activity(Some(&a), &own)
            .await
            .expect("service")
            .is_ok()
    );
}

/// Finding 12: a public statistics link shows a period of four weeks at least, no narrowing
/// filter, and no cell of fewer than five people.
#[tokio::test]
async fn public_statistics_links_show_no_small_group() {
    let w = world().await;
    let a = w.actor("a@test.fr").await;
    for _ in 0..3 {
        let mut r = record("org-a", "individuel", "", None);
        r.new_person = None;
        r.form.ages = vec!["70-plus".into()];
        w.app
            .record_activity(Some(&a), &r)
            .await
            .expect("service")
            .expect("valide");
    }
    let token = w
        .app
        .share_statistics(
            Some(&a),
            "org-a",
            maillage_domain::indicators::SharePurpose::Statistics,
        )
        .await
        .expect("lien");
    let token = token.rsplit('/').next().unwrap_or(&token).to_string();
    let site = w.router();
    let (status, body) = get(
        &site,
        &format!("/statistiques/publiques/{token}?du=2026-03-10&au=2026-03-10"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("28 jours"));
    let (status, body) = get(
        &site,
        &format!("/statistiques/publiques/{token}?tout=1"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !body.contains("70 ans et plus"),
        "trois personnes : masquées"
    );
    // The structure's members see them.
    let cookie = sign_in(&site, "a@test.fr").await;
    let (_, body) = get(&site, "/statistiques?portee=org-a&tout=1", Some(&cookie)).await;
    assert!(body.contains("70 ans et plus"));
}

/// Finding 6: registrations and activity records come out of CSV and XLSX with formulas
/// neutralised, and the activity export reads back as it was.
#[tokio::test]
async fn every_spreadsheet_export_escapes_formulas() {
    let w = world().await;
    let a = w.actor("a@test.fr").await;
    let workshop = workshop_of_a(
        &w,
        &a,
        "=HYPERLINK(\"http://pirate.example\",\"Cliquez\")",
        "10",
    )
    .await;
    w.app
        .register_person(None, "ip:test", &workshop, "@SUM(1+1)", "")
        .await
        .expect("inscription");
    let site = w.router();
    let cookie = sign_in(&site, "a@test.fr").await;
    let (status, csv) = get(
        &site,
        &format!("/ateliers/{workshop}/inscrits.csv"),
        Some(&cookie),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        csv.contains("'@SUM(1+1)") && !csv.contains(";@SUM"),
        "{csv}"
    );
    let calendar = w
        .app
        .workshops_csv(&Default::default())
        .await
        .expect("calendrier");
    let calendar = String::from_utf8_lossy(&calendar);
    assert!(calendar.contains("'=HYPERLINK") && !calendar.contains(";=HYPERLINK"));

    let mut r = record("org-a", "demarche", "", None);
    r.new_person = None;
    r.form.procedure_name = "=cmd|' /C calc'!A0".into();
    w.app
        .record_activity(Some(&a), &r)
        .await
        .expect("service")
        .expect("valide");
    let filter = maillage_domain::indicators::Filter {
        organisations: vec!["org-a".into()],
        ..Default::default()
    };
    let mut out = Vec::new();
    w.app
        .export_activities_csv(&filter, &mut out)
        .await
        .expect("export");
    let text = String::from_utf8_lossy(&out).into_owned();
    assert!(text.contains("'=cmd"), "{text}");
    let rows = maillage_standard::activity::read_import(&out, "export.csv").expect("relu");
    assert!(
        rows.iter()
            .any(|(_, cells)| cells.values().any(|v| v == "=cmd|' /C calc'!A0")),
        "l'export se relit tel quel"
    );
    let dir = tempfile::tempdir().expect("dossier");
    let path = dir.path().join("activites.xlsx");
    w.app
        .export_activities_xlsx(&filter, &path)
        .await
        .expect("export");
    let bytes = std::fs::read(&path).expect("fichier");
    let rows = maillage_standard::activity::read_import(&bytes, "activites.xlsx").expect("relu");
    assert!(
        rows.iter()
            .any(|(_, cells)| cells.values().any(|v| v == "=cmd|' /C calc'!A0"))
    );
}
