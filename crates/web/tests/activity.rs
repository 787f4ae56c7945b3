//! Activity records and statistics through the real router (SQLite in memory, real
//! referential): records made with the page count at once; every figure and table of the page
//! equals the API's and the XLSX export's; an import with bad cells is refused with its report
//! and writes nothing; a followed person in a workshop and in individual sessions counts once;
//! the policy bounds who sees what; the public link shows aggregates only.

use std::collections::BTreeMap;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode, header};
use chrono::NaiveDate;
use maillage_domain::organisation::Organisation;
use maillage_domain::policy::{Membership, TerritoryUnit};
use maillage_referential::Referential;
use maillage_store::{NewPerson, NewUser, Store};
use maillage_web::{App, Config, router};
use serde_json::Value;
use tower::ServiceExt;

const PASSWORD: &str = "un mot de passe de test";

struct World {
    app: Router,
    store: Store,
    org: String,
    person: String,
}

async fn world() -> World {
    let store = Store::connect("sqlite::memory:").await.expect("base");
    let org = store
        .create_organisation(&Organisation {
            id: String::new(),
            name: "Médiathèque de Vandœuvre".into(),
            pivot: None,
            typologies: vec!["BIB".into()],
            departement: Some("54".into()),
        })
        .await
        .expect("structure");
    let since = NaiveDate::from_ymd_opt(2020, 1, 1).expect("date");
    for (email, name, territory, member) in [
        ("aidant@test.fr", "Camille Aidante", vec![], true),
        ("collegue@test.fr", "Sam Collègue", vec![], true),
        (
            "coord@test.fr",
            "Coordination 54",
            vec![TerritoryUnit::Departement("54".into())],
            false,
        ),
        (
            "autre@test.fr",
            "Coordination 13",
            vec![TerritoryUnit::Departement("13".into())],
            false,
        ),
    ] {
        store
            .create_user(&NewUser {
                email: email.into(),
                display_name: name.into(),
                password: PASSWORD.into(),
                administrator: false,
                territory,
                memberships: if member {
                    vec![Membership {
                        organisation_id: org.clone(),
                        since,
                        until: None,
                    }]
                } else {
                    vec![]
                },
            })
            .await
            .expect("compte");
    }
    let person = store
        .create_person(&NewPerson {
            organisation_id: &org,
            pseudonym: "Josette",
            contact: None,
            consent_by: None,
            keep_until: "2099-01-01T00:00:00Z",
        })
        .await
        .expect("personne");
    let referential = Referential::discover().expect("référentiel (scripts/setup.sh)");
    let app = router(
        App::new(store.clone(), referential).await.expect("app"),
        Config::default(),
    );
    World {
        app,
        store,
        org,
        person,
    }
}

async fn send(
    app: &Router,
    method: &str,
    uri: &str,
    cookie: Option<&str>,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> (StatusCode, Vec<u8>, Option<String>) {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    if let Some(t) = content_type {
        req = req.header(header::CONTENT_TYPE, t);
    }
    let resp = app
        .clone()
        .oneshot(req.body(Body::from(body)).expect("requête"))
        .await
        .expect("réponse");
    let status = resp.status();
    let location = resp
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let bytes = to_bytes(resp.into_body(), 64 << 20).await.expect("corps");
    (status, bytes.to_vec(), location)
}

async fn get(app: &Router, uri: &str, cookie: &str) -> (StatusCode, Vec<u8>) {
    let (s, b, _) = send(app, "GET", uri, Some(cookie), None, Vec::new()).await;
    (s, b)
}

async fn post_form(
    app: &Router,
    uri: &str,
    cookie: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String, Option<String>) {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    let (s, b, l) = send(
        app,
        "POST",
        uri,
        Some(cookie),
        Some("application/x-www-form-urlencoded"),
        body.into_bytes(),
    )
    .await;
    (s, String::from_utf8_lossy(&b).into_owned(), l)
}

async fn sign_in(app: &Router, email: &str) -> String {
    let req = Request::builder()
        .method("POST")
        .uri("/connexion")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!(
            "email={email}&password={}",
            PASSWORD.replace(' ', "+")
        )))
        .expect("requête");
    let resp = app.clone().oneshot(req).await.expect("réponse");
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "connexion de {email}");
    resp.headers()
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|c| c.split(';').next())
        .expect("cookie")
        .to_string()
}

async fn api_stats(app: &Router, cookie: &str, query: &str) -> Value {
    let (status, body) = get(app, &format!("/api/v1/statistiques?{query}"), cookie).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    serde_json::from_slice(&body).expect("JSON")
}

/// A French number of the page (« 1 234 », « 5,7 ») as a float.
fn french(s: &str) -> f64 {
    s.replace(['\u{202f}', ' '], "")
        .replace(',', ".")
        .parse()
        .unwrap_or(f64::NAN)
}

/// The figures of a statistics page: `data-indicateur="id">value<`.
fn page_figures(html: &str) -> BTreeMap<String, f64> {
    html.split("data-indicateur=\"")
        .skip(1)
        .filter_map(|chunk| {
            let (id, rest) = chunk.split_once("\">")?;
            let (value, _) = rest.split_once('<')?;
            Some((id.to_string(), french(value)))
        })
        .collect()
}

/// The tables of a statistics page: `data-tableau="id"` then rows (label, value).
fn page_tables(html: &str) -> BTreeMap<String, Vec<(String, f64)>> {
    html.split("data-tableau=\"")
        .skip(1)
        .filter_map(|chunk| {
            let (id, rest) = chunk.split_once('"')?;
            let body = rest.split("</tbody>").next()?;
            let rows = body
                .split("<th scope=\"row\">")
                .skip(1)
                .filter_map(|r| {
                    let (label, rest) = r.split_once("</th><td>")?;
                    let (value, _) = rest.split_once("</td>")?;
                    Some((unescape(label), french(value)))
                })
                .collect();
            Some((id.to_string(), rows))
        })
        .collect()
}

fn unescape(s: &str) -> String {
    s.replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
}

fn individual<'a>(org: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut f = vec![
        ("structure", org),
        ("type", "individuel"),
        ("date", "2026-03-10"),
        ("duree", "45"),
        ("lieu", "domicile"),
        ("commune", "Vandœuvre-lès-Nancy"),
        ("thematiques", "internet"),
        ("thematiques", "courriel"),
        ("autonomie", "avec"),
    ];
    f.extend_from_slice(extra);
    f
}

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
async fn an_import_with_bad_cells_writes_nothing_and_says_where() {
    let w = world().await;
    let me = sign_in(&w.app, "aidant@test.fr").await;
    let org = w.org.as_str();
    let csv = "type;date;duree;lieu;commune;thematiques;titre;participants;tranche_age\n\
               Accompagnement individuel;14/03/2026;45;À distance;;Navigation sur internet;;;70 ans ou plus\n\
               Atelier collectif;2026-03-15;une heure;Autre lieu;Nancy;Prévention en sécurité numérique;Arnaques;6;60-69=4\n\
               Accompagnement individuel;2026-03-16;30;À distance;;jardinage;;;\n";
    let upload = |bytes: Vec<u8>, name: &str, partial: bool| {
        let boundary = "XyZbOuNdArY";
        let mut body = Vec::new();
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"structure\"\r\n\r\n{org}\r\n").as_bytes(),
        );
        if partial {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"partiel\"\r\n\r\noui\r\n").as_bytes(),
            );
        }
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"fichier\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(&bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        (body, format!("multipart/form-data; boundary={boundary}"))
    };
    let (body, ct) = upload(csv.as_bytes().to_vec(), "activites.csv", false);
    let (status, html, _) = send(
        &w.app,
        "POST",
        "/activites/import",
        Some(&me),
        Some(&ct),
        body,
    )
    .await;
    let html = String::from_utf8_lossy(&html).into_owned();
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(
        html.contains("Rien n&#39;a été enregistré") || html.contains("Rien n'a été enregistré"),
        "{html}"
    );
    assert!(
        html.contains("<td>3</td><td>duree</td><td>une heure</td>"),
        "{html}"
    );
    assert!(
        html.contains("<td>4</td><td>thematiques</td><td>jardinage</td>")
            || html.contains("<td>4</td><td>thematiques</td><td></td>"),
        "{html}"
    );
    let scope = format!("portee={org}&tout=1");
    let stats = api_stats(&w.app, &me, &scope).await;
    assert_eq!(stats["chiffres"]["activites"], 0.0, "all or nothing");

    // Valid rows only, when asked.
    let (body, ct) = upload(csv.as_bytes().to_vec(), "activites.csv", true);
    let (status, html, _) = send(
        &w.app,
        "POST",
        "/activites/import",
        Some(&me),
        Some(&ct),
        body,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&html));
    assert_eq!(
        api_stats(&w.app, &me, &scope).await["chiffres"]["activites"],
        1.0
    );

    // The XLSX template, filled, imports the same way.
    let (status, template) = get(&w.app, "/activites/modele.xlsx", &me).await;
    assert_eq!(status, StatusCode::OK);
    use calamine::Reader;
    let book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(template)).expect("modèle");
    assert_eq!(book.sheet_names(), vec!["activites", "aide", "lieux"]);
    let mut filled = rust_xlsxwriter::Workbook::new();
    let sheet = filled.add_worksheet();
    let header = [
        "type",
        "date",
        "duree",
        "lieu",
        "thematiques",
        "thematiques_demarche",
        "demarche",
        "finalisation",
    ];
    for (c, h) in header.iter().enumerate() {
        sheet.write(0, c as u16, *h).expect("case");
    }
    let row = [
        "Aide aux démarches administratives",
        "2026-04-02",
        "1h",
        "Lieu d'activité",
        "",
        "Social - Santé",
        "Complémentaire santé solidaire",
        "Démarche finalisée",
    ];
    for (c, v) in row.iter().enumerate() {
        sheet.write(1, c as u16, *v).expect("case");
    }
    let bytes = filled.save_to_buffer().expect("xlsx");
    let (body, ct) = upload(bytes, "activites.xlsx", false);
    let (status, html, _) = send(
        &w.app,
        "POST",
        "/activites/import",
        Some(&me),
        Some(&ct),
        body,
    )
    .await;
    let html = String::from_utf8_lossy(&html).into_owned();
    // A place of activity needs its place: the report names the cell.
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("<td>2</td><td>lieu_id</td>"), "{html}");
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
async fn the_survey_answered_alone_and_typed_in_shows_on_the_impact_page() {
    let w = world().await;
    let me = sign_in(&w.app, "aidant@test.fr").await;
    let org = w.org.as_str();
    let (status, page, _) = post_form(
        &w.app,
        "/impact/enquete/lien",
        &me,
        &[("structure", org), ("action", "creer")],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let token = page
        .split("/enquete/")
        .nth(1)
        .and_then(|rest| rest.split(['<', ' ']).next())
        .expect("lien")
        .to_string();
    // Alone, without account: a missing answer is named, then accepted.
    let (status, page, _) = send(
        &w.app,
        "GET",
        &format!("/enquete/{token}"),
        None,
        None,
        Vec::new(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&page).contains("Médiathèque de Vandœuvre"));
    let answer = |before: &'static str, now: &'static str| {
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("avant", before),
                ("maintenant", now),
                ("progres", "beaucoup"),
                ("nouveau", "demarche"),
                ("domaine", "sante"),
                ("changement", "moins-stresse"),
            ])
            .finish()
            .into_bytes()
    };
    let form = "application/x-www-form-urlencoded";
    let (status, _, _) = send(
        &w.app,
        "POST",
        &format!("/enquete/{token}"),
        None,
        Some(form),
        answer("", "plutot"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, body, _) = send(
        &w.app,
        "POST",
        &format!("/enquete/{token}"),
        None,
        Some(form),
        answer("pas-du-tout", "plutot"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&body).contains("Merci"));
    // A paper answer typed in by the helper.
    let (status, body, _) = post_form(
        &w.app,
        "/impact/enquete/saisie",
        &me,
        &[
            ("structure", org),
            ("avant", "peu"),
            ("maintenant", "tres"),
            ("nouveau", "courriel"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, html) = get(&w.app, &format!("/impact?portee={org}"), &me).await;
    assert_eq!(status, StatusCode::OK);
    let html = String::from_utf8_lossy(&html).into_owned();
    assert!(
        html.contains("<strong>2</strong> questionnaire(s)"),
        "{html}"
    );
    let tables = page_tables(&html);
    let ease = tables.get("aisance").expect("aisance");
    let row = |label: &str| ease.iter().find(|(l, _)| l == label).map(|(_, v)| *v);
    assert_eq!(row("À l'aise avant (plutôt ou très)"), Some(0.0));
    assert_eq!(row("À l'aise maintenant (plutôt ou très)"), Some(2.0));
    assert_eq!(row("Plus à l'aise qu'avant"), Some(2.0));
    // Another structure's member cannot type answers for this one.
    let coord = sign_in(&w.app, "coord@test.fr").await;
    let (status, _, _) = post_form(
        &w.app,
        "/impact/enquete/saisie",
        &coord,
        &[("structure", org), ("avant", "peu"), ("maintenant", "tres")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The offer inventory counts the structure practising procedures once it records one.
    let (status, body, _) = post_form(
        &w.app,
        "/activites/nouvelle",
        &me,
        &[
            ("structure", org),
            ("type", "demarche"),
            ("date", "2026-03-10"),
            ("duree", "30"),
            ("lieu", "a-distance"),
            ("thematiques_demarche", "social-sante"),
            ("personne", "anonyme"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let (status, html) = get(
        &w.app,
        &format!("/territoire/offre?portee={org}&tout=1"),
        &coord,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let html = String::from_utf8_lossy(&html).into_owned();
    let line = html
        .split("id=\"offre-demarches\"")
        .nth(1)
        .and_then(|r| r.split("</tr>").next())
        .expect("ligne démarches");
    assert!(
        line.contains("<td>0 (0 %)</td><td>1 (100 %)</td><td>1 (100 %)</td>"),
        "{line}"
    );
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

#[tokio::test]
async fn what_is_typed_about_a_followed_person_goes_to_their_profile() {
    let w = world().await;
    let me = sign_in(&w.app, "aidant@test.fr").await;
    let org = w.org.as_str();
    let scope = format!("portee={org}&tout=1");
    // A new followed person, with their consent, and what they say of themselves.
    let new = individual(
        org,
        &[
            ("personne", "nouvelle"),
            ("prenom", "Odette"),
            ("accord", "oui"),
            ("tranche_age", "70-plus"),
            ("genre", "femme"),
            ("commune_residence", "54395"),
        ],
    );
    let (status, body, _) = post_form(&w.app, "/activites/nouvelle", &me, &new).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    // Without consent: refused, named.
    let refused: Vec<(&str, &str)> = new
        .iter()
        .copied()
        .filter(|(k, _)| *k != "accord")
        .collect();
    let (status, body, _) = post_form(&w.app, "/activites/nouvelle", &me, &refused).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("href=\"#f-accord\""), "{body}");
    // An already followed person: a status typed completes the profile.
    let known = individual(
        org,
        &[("personne", &w.person), ("statut_social", "retraite")],
    );
    let (status, body, _) = post_form(&w.app, "/activites/nouvelle", &me, &known).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let profile = w.store.person_profile(&w.person).await.expect("profil");
    assert_eq!(
        profile.status,
        Some(maillage_domain::activity::SocialStatus::Retired)
    );
    let stats = api_stats(&w.app, &me, &scope).await;
    assert_eq!(stats["chiffres"]["personnes-suivies"], 2.0);
    assert_eq!(stats["chiffres"]["participations-anonymes"], 0.0);
    let ages = stats["tableaux"]["ages"]["lignes"]
        .as_array()
        .expect("âges");
    let seventy = ages
        .iter()
        .find(|r| r["cle"] == "70-plus")
        .expect("70 ans et plus");
    assert_eq!(
        seventy["valeur"], 1,
        "Odette's age counts through her profile"
    );
}
