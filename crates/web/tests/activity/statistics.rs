//! Records counted at once and alike in every output; who sees which statistics.

use super::*;

#[tokio::test]
async fn records_count_at_once_and_every_output_agrees() {
    let w = world().await;
    let me = sign_in(&w.app, "aidant@test.fr").await;
    let org = w.org.as_str();
    let person = w.person.as_str();
    let scope = format!("portee={org}&tout=1");

    // The form is one page, in French.
    let (status, html) = get(&w.app, "/activites/nouvelle?type=individuel", &me).await;
    assert_eq!(status, StatusCode::OK);
    let html = String::from_utf8_lossy(&html);
    assert!(html.contains("Thématiques") && html.contains("Enregistrer"));

    // An anonymous person, a followed person alone, then in a workshop with 5 others.
    let anonymous = individual(
        org,
        &[
            ("personne", "anonyme"),
            ("tranche_age", "70-plus"),
            ("genre", "femme"),
            ("commune_residence", "54395"),
        ],
    );
    let (status, body, location) = post_form(&w.app, "/activites/nouvelle", &me, &anonymous).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(location.as_deref(), Some("/activites?fait=enregistree"));
    let stats = api_stats(&w.app, &me, &scope).await;
    assert_eq!(stats["chiffres"]["activites"], 1.0, "counted at once");

    let followed = individual(org, &[("personne", person)]);
    let (status, body, _) = post_form(&w.app, "/activites/nouvelle", &me, &followed).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let workshop = vec![
        ("structure", org),
        ("type", "collectif"),
        ("date", "2026-03-12"),
        ("duree", "2h"),
        ("lieu", "autre"),
        ("commune", "54000"),
        ("titre", "Éviter les arnaques"),
        ("niveau", "debutant"),
        ("thematiques", "securite"),
        ("personnes", person),
        ("participants", "5"),
        ("age-60-69", "3"),
        ("genre-femme", "4"),
        ("notes", "salle trop petite"),
    ];
    let (status, body, _) = post_form(&w.app, "/activites/nouvelle", &me, &workshop).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");

    // Bad input: a French message naming the field, nothing written.
    let bad: Vec<(&str, &str)> = individual(org, &[])
        .into_iter()
        .filter(|(k, _)| *k != "duree" && *k != "date")
        .chain([("duree", "trois jours"), ("date", "2099-01-01")])
        .collect();
    let (status, body, _) = post_form(&w.app, "/activites/nouvelle", &me, &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("la date ne peut pas être dans le futur"),
        "{body}"
    );
    assert!(body.contains("href=\"#f-duree\""));

    let stats = api_stats(&w.app, &me, &scope).await;
    let figures = &stats["chiffres"];
    assert_eq!(figures["activites"], 3.0);
    assert_eq!(figures["accompagnements"], 1.0 + 1.0 + 6.0);
    assert_eq!(
        figures["personnes-suivies"], 1.0,
        "Josette once, alone and in the workshop"
    );
    assert_eq!(figures["participations-anonymes"], 6.0);
    assert_eq!(figures["personnes"], 7.0);
    assert_eq!(figures["seances-collectives"], 1.0);
    assert_eq!(figures["participants-ateliers"], 6.0);
    assert_eq!(figures["heures"], 3.5);

    // The page shows the same figures and tables as the API.
    let (status, html) = get(&w.app, &format!("/statistiques?{scope}"), &me).await;
    assert_eq!(status, StatusCode::OK);
    let html = String::from_utf8_lossy(&html).into_owned();
    assert!(html.contains("<svg class=\"chart\""), "charts are drawn");
    let on_page = page_figures(&html);
    let api_figures = figures.as_object().expect("chiffres");
    assert_eq!(on_page.len(), api_figures.len());
    for (id, value) in api_figures {
        assert_eq!(on_page.get(id).copied(), value.as_f64(), "figure {id}");
    }
    let tables = page_tables(&html);
    let api_tables = stats["tableaux"].as_object().expect("tableaux");
    let mut compared = 0;
    for (id, t) in api_tables {
        let rows: Vec<(String, f64)> = t["lignes"]
            .as_array()
            .expect("lignes")
            .iter()
            .map(|r| {
                (
                    r["libelle"].as_str().unwrap_or_default().to_string(),
                    r["valeur"].as_f64().unwrap_or_default(),
                )
            })
            .collect();
        if rows.iter().all(|(_, v)| *v == 0.0) {
            continue; // shown as « Aucune donnée » on the page
        }
        assert_eq!(tables.get(id), Some(&rows), "table {id}");
        compared += 1;
    }
    assert!(compared >= 10, "{compared} tables compared");

    // The XLSX download holds the same numbers: one sheet of figures, one sheet per table.
    let (status, bytes) = get(&w.app, &format!("/statistiques/export.xlsx?{scope}"), &me).await;
    assert_eq!(status, StatusCode::OK);
    use calamine::{Data, Reader};
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("XLSX");
    let sheet = book.worksheet_range("chiffres-cles").expect("feuille");
    let mut in_xlsx = BTreeMap::new();
    for row in sheet.rows().skip(3) {
        if let (Some(Data::String(id)), Some(Data::Float(v))) = (row.first(), row.get(2)) {
            in_xlsx.insert(id.clone(), *v);
        }
    }
    for (id, value) in api_figures {
        assert_eq!(in_xlsx.get(id).copied(), value.as_f64(), "XLSX figure {id}");
    }
    for (id, t) in api_tables {
        let sheet = book
            .worksheet_range(&id.chars().take(31).collect::<String>())
            .expect("feuille du tableau");
        let rows: Vec<f64> = sheet
            .rows()
            .skip(4)
            .filter_map(|r| match r.get(2) {
                Some(Data::Float(v)) => Some(*v),
                _ => None,
            })
            .collect();
        let api: Vec<f64> = t["lignes"]
            .as_array()
            .expect("lignes")
            .iter()
            .map(|r| r["valeur"].as_f64().unwrap_or_default())
            .collect();
        assert_eq!(rows, api, "XLSX table {id}");
    }

    // CSV of the statistics and of the records (never the notes).
    let (status, csv) = get(&w.app, &format!("/statistiques/export.csv?{scope}"), &me).await;
    assert_eq!(status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&csv).contains("accompagnements,Accompagnements,,,8,"));
    let (status, csv) = get(&w.app, &format!("/activites/export.csv?{scope}"), &me).await;
    assert_eq!(status, StatusCode::OK);
    let csv = String::from_utf8_lossy(&csv);
    assert_eq!(csv.lines().count(), 4, "header and three records:\n{csv}");
    assert!(!csv.contains("salle trop petite"), "notes stay private");
    assert!(!csv.contains("Josette"), "no followed person's name");

    // Filters apply everywhere: only workshops.
    let only = api_stats(&w.app, &me, &format!("{scope}&type=collectif")).await;
    assert_eq!(only["chiffres"]["activites"], 1.0);

    // Notes are the author's: a colleague sees the record, not the notes.
    let colleague = sign_in(&w.app, "collegue@test.fr").await;
    let (status, list) = get(&w.app, "/activites", &colleague).await;
    assert_eq!(status, StatusCode::OK);
    let list = String::from_utf8_lossy(&list);
    let id = list
        .split("href=\"/activites/")
        .filter_map(|c| c.split('"').next())
        .find(|id| id.len() == 32)
        .expect("une activité")
        .to_string();
    let (_, theirs) = get(&w.app, &format!("/activites/{id}"), &colleague).await;
    assert!(!String::from_utf8_lossy(&theirs).contains("salle trop petite"));

    // Erasing the followed person keeps every accompaniment in the figures.
    w.store.delete_person(person).await.expect("effacée");
    let after = api_stats(&w.app, &me, &scope).await;
    assert_eq!(after["chiffres"]["accompagnements"], 8.0);
    assert_eq!(after["chiffres"]["personnes-suivies"], 0.0);
    assert_eq!(after["chiffres"]["participations-anonymes"], 8.0);
}

#[tokio::test]
async fn who_sees_which_statistics_and_the_public_link() {
    let w = world().await;
    let me = sign_in(&w.app, "aidant@test.fr").await;
    let org = w.org.as_str();
    let (status, body, _) = post_form(
        &w.app,
        "/activites/nouvelle",
        &me,
        &individual(org, &[("personne", "anonyme")]),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let scope = format!("portee={org}&tout=1");

    let coord = sign_in(&w.app, "coord@test.fr").await;
    assert_eq!(
        api_stats(&w.app, &coord, &scope).await["chiffres"]["activites"],
        1.0
    );
    let territory = api_stats(&w.app, &coord, "portee=territoire").await;
    assert_eq!(
        territory["chiffres"]["activites"], 1.0,
        "the coordinator's territory"
    );
    let other = sign_in(&w.app, "autre@test.fr").await;
    let (status, _) = get(&w.app, &format!("/api/v1/statistiques?{scope}"), &other).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = send(
        &w.app,
        "GET",
        &format!("/api/v1/statistiques?{scope}"),
        None,
        None,
        Vec::new(),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // A coordinator may not record for the structure.
    let (status, _, _) =
        post_form(&w.app, "/activites/nouvelle", &coord, &individual(org, &[])).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The public link: aggregates without helpers' names; revoked, it is gone.
    let (status, page, _) = post_form(
        &w.app,
        "/statistiques/partage",
        &me,
        &[("structure", org), ("action", "creer")],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let link = page
        .split("/statistiques/publiques/")
        .nth(1)
        .and_then(|rest| rest.split([' ', '<']).next())
        .expect("lien")
        .to_string();
    let (status, public, _) = send(
        &w.app,
        "GET",
        &format!("/statistiques/publiques/{link}?tout=1"),
        None,
        None,
        Vec::new(),
    )
    .await;
    let public = String::from_utf8_lossy(&public);
    assert_eq!(status, StatusCode::OK);
    assert!(
        public.contains("data-indicateur=\"activites\">1<"),
        "{public}"
    );
    assert!(!public.contains("Camille Aidante"), "no helper's name");
    let (status, _, _) = post_form(
        &w.app,
        "/statistiques/partage",
        &me,
        &[("structure", org), ("action", "retirer")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, _) = send(
        &w.app,
        "GET",
        &format!("/statistiques/publiques/{link}"),
        None,
        None,
        Vec::new(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_instance_behind_the_purged_log_reloads_its_statistics() {
    use maillage_domain::activity::ActivityForm;
    use maillage_store::NewActivity;
    let w = world().await;
    let me = sign_in(&w.app, "aidant@test.fr").await;
    let scope = format!("portee={}&tout=1", w.org);
    let record = ActivityForm {
        kind: "individuel".into(),
        date: "2026-03-10".into(),
        duration: "30".into(),
        venue: "a-distance".into(),
        themes: vec!["internet".into()],
        ..Default::default()
    }
    .validate(NaiveDate::from_ymd_opt(2026, 11, 23).expect("date"))
    .expect("valide");
    // Another instance writes (straight to the store), twice; this one looks once between.
    let write = || async {
        w.store
            .insert_activities(&[NewActivity {
                organisation_id: &w.org,
                helper_id: None,
                activity: &record,
                notes: None,
            }])
            .await
            .expect("écrit");
    };
    write().await;
    assert_eq!(
        api_stats(&w.app, &me, &scope).await["chiffres"]["activites"],
        1.0
    );
    write().await;
    // The log is purged before this instance comes back, then a third record comes.
    w.store
        .purge_activity_changes("9999-12-31T00:00:00Z")
        .await
        .expect("purge");
    write().await;
    assert_eq!(
        api_stats(&w.app, &me, &scope).await["chiffres"]["activites"],
        3.0,
        "the second record, whose change was purged, is counted"
    );
}

/// No credentials in notes (issue #11): what looks like a password, a NIR, an IBAN or a card
/// number is masked before it is stored, and the helper is told.
#[tokio::test]
async fn secrets_in_notes_are_masked_before_saving() {
    let w = world().await;
    let me = sign_in(&w.app, "aidant@test.fr").await;
    let org = w.org.as_str();
    let secret = "mdp : Soleil2024! ; NIR 2 84 05 75 115 425 52 ; rappeler au 06 12 34 56 78";
    let record = individual(org, &[("personne", "anonyme"), ("notes", secret)]);
    let (status, body, location) = post_form(&w.app, "/activites/nouvelle", &me, &record).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(location.as_deref(), Some("/activites?fait=masquee"));
    let (_, list) = get(&w.app, "/activites?fait=masquee", &me).await;
    let list = String::from_utf8_lossy(&list);
    assert!(list.contains("a été masqué dans les notes"), "{list}");
    let id = list
        .split("href=\"/activites/")
        .filter_map(|c| c.split('"').next())
        .find(|id| id.len() == 32)
        .expect("une activité")
        .to_string();
    let stored = w
        .store
        .activity(&id)
        .await
        .expect("lecture")
        .and_then(|a| a.notes)
        .unwrap_or_default();
    assert!(!stored.contains("Soleil2024"), "{stored}");
    assert!(!stored.contains("425"), "{stored}");
    assert!(stored.contains("[mot de passe masqué]") && stored.contains("06 12 34 56 78"));
}
