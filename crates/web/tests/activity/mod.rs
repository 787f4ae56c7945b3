//! Activity records and statistics through the real router (SQLite in memory, real
//! referential): records made with the page count at once; every figure and table of the page
//! equals the API's and the XLSX export's; an import with bad cells is refused with its report
//! and writes nothing; a followed person in a workshop and in individual sessions counts once;
//! the policy bounds who sees what; the public link shows aggregates only.

mod records;
mod statistics;

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
use std::collections::BTreeMap;
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
