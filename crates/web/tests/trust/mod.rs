//! Trust (issue #8): each finding of the review replayed against the services and the router, as
//! an outsider and as members of two structures would — refused with a French message, nothing
//! read, nothing erased. Each test failed before its fix.

mod accounts;
mod activity;
mod directory;
mod limits;
mod referrals;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode, header};
use maillage_app::referrals::Outgoing;
use maillage_domain::policy::{Actor, Membership, TerritoryUnit};
use maillage_domain::referrals::{Event, Outcome, ReferralForm, ReferralStatus};
use maillage_referential::Referential;
use maillage_store::{NewUser, Store};
use maillage_web::{App, AppError, Config, router};
use tower::ServiceExt;

const PASSWORD: &str = "un mot de passe de test";

/// Three structures in Meurthe-et-Moselle (A, B, C), one account each, a coordinator of 54 and
/// one of 13, an administrator; a place for each structure.
struct World {
    app: App,
    store: Store,
    place_a: String,
    place_b: String,
    place_c: String,
}

async fn world() -> World {
    let store = Store::connect("sqlite::memory:").await.expect("base");
    let since = chrono::NaiveDate::from_ymd_opt(2025, 1, 1).expect("date");
    for (id, name) in [
        ("org-a", "Médiathèque de Nancy"),
        ("org-b", "Centre social de Vandœuvre"),
        ("org-c", "France Services de Toul"),
    ] {
        store
            .create_organisation(&maillage_domain::organisation::Organisation {
                id: id.into(),
                name: name.into(),
                pivot: None,
                typologies: vec![],
                departement: Some("54".into()),
            })
            .await
            .expect("structure");
    }
    let member = |org: &str| {
        vec![Membership {
            organisation_id: org.into(),
            since,
            until: None,
        }]
    };
    for (email, admin, territory, memberships) in [
        ("a@test.fr", false, vec![], member("org-a")),
        ("a2@test.fr", false, vec![], member("org-a")),
        ("b@test.fr", false, vec![], member("org-b")),
        ("c@test.fr", false, vec![], member("org-c")),
        (
            "coord54@test.fr",
            false,
            vec![TerritoryUnit::Departement("54".into())],
            vec![],
        ),
        (
            "coord13@test.fr",
            false,
            vec![TerritoryUnit::Departement("13".into())],
            vec![],
        ),
        ("admin@test.fr", true, vec![], vec![]),
    ] {
        store
            .create_user(&NewUser {
                email: email.into(),
                display_name: email.into(),
                password: PASSWORD.into(),
                administrator: admin,
                territory,
                memberships,
            })
            .await
            .expect("compte");
    }
    let day = chrono::NaiveDate::from_ymd_opt(2026, 1, 5).expect("date");
    let mut ids = Vec::new();
    for (org, name, commune, postcode, insee) in [
        ("org-a", "Médiathèque de Nancy", "Nancy", "54000", "54395"),
        (
            "org-b",
            "Centre social de Vandœuvre",
            "Vandœuvre-lès-Nancy",
            "54500",
            "54547",
        ),
        ("org-c", "France Services de Toul", "Toul", "54200", "54528"),
    ] {
        let mut p =
            maillage_domain::Place::new("", name, "1 rue de la Paix", postcode, commune, day);
        p.insee_code = Some(insee.into());
        ids.push(store.create_place(p, Some(org), None).await.expect("lieu"));
    }
    let referential = Referential::discover().expect("référentiel (scripts/setup.sh)");
    let app = App::new(store.clone(), referential).await.expect("app");
    World {
        app,
        store,
        place_a: ids[0].clone(),
        place_b: ids[1].clone(),
        place_c: ids[2].clone(),
    }
}

impl World {
    async fn actor(&self, email: &str) -> Actor {
        let user = self
            .store
            .user_by_email(email)
            .await
            .expect("base")
            .expect("compte");
        self.store
            .actor(&user.id)
            .await
            .expect("base")
            .expect("acteur")
    }

    fn router(&self) -> Router {
        router(self.app.clone(), Config::default())
    }
}

fn oral(person: &str) -> ReferralForm {
    ReferralForm {
        person_label: person.into(),
        contact: "06 12 34 56 78".into(),
        note: "Sans revenus depuis un mois.".into(),
        consent: "orale".into(),
        explained: "Prénom, téléphone et demande transmis.".into(),
        confirmed: true,
    }
}

fn outgoing(place: &str, person: &str, journey: Option<&str>) -> Outgoing {
    Outgoing {
        place_id: place.into(),
        request_id: Some("compte-caf".into()),
        request_title: "Créer son compte CAF".into(),
        journey_id: journey.map(str::to_string),
        form: oral(person),
        ..Outgoing::default()
    }
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

async fn get(app: &Router, uri: &str, cookie: Option<&str>) -> (StatusCode, String) {
    let mut req = Request::builder().uri(uri);
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    let resp = app
        .clone()
        .oneshot(req.body(Body::empty()).expect("requête"))
        .await
        .expect("réponse");
    let status = resp.status();
    let body = to_bytes(resp.into_body(), 20 << 20).await.expect("corps");
    (status, String::from_utf8_lossy(&body).into_owned())
}

async fn post_form(
    app: &Router,
    uri: &str,
    cookie: Option<&str>,
    form: &str,
) -> (StatusCode, String) {
    let mut req = Request::builder()
        .method("POST")
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    let resp = app
        .clone()
        .oneshot(req.body(Body::from(form.to_string())).expect("requête"))
        .await
        .expect("réponse");
    let status = resp.status();
    let body = to_bytes(resp.into_body(), 20 << 20).await.expect("corps");
    (status, String::from_utf8_lossy(&body).into_owned())
}

async fn login_from(app: &Router, ip: &str, email: &str, password: &str) -> (StatusCode, String) {
    let mut req = Request::builder()
        .method("POST")
        .uri("/connexion")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!(
            "email={email}&password={}",
            password.replace(' ', "+")
        )))
        .expect("requête");
    req.extensions_mut()
        .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
            ip.parse::<std::net::IpAddr>().expect("adresse"),
            40_000,
        ))));
    let resp = app.clone().oneshot(req).await.expect("réponse");
    let status = resp.status();
    let body = to_bytes(resp.into_body(), 1 << 20).await.expect("corps");
    (status, String::from_utf8_lossy(&body).into_owned())
}

fn multipart(fields: &[(&str, Option<&str>, Vec<u8>)]) -> (String, Vec<u8>) {
    let boundary = "----maillage-test-boundary";
    let mut body = Vec::new();
    for (name, file, content) in fields {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match file {
            Some(f) => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: text/csv\r\n\r\n").as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn post_bytes(
    app: &Router,
    uri: &str,
    cookie: Option<&str>,
    content_type: &str,
    body: Vec<u8>,
) -> (StatusCode, String) {
    let mut req = Request::builder()
        .method("POST")
        .uri(uri)
        .header(header::CONTENT_TYPE, content_type);
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
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
        .unwrap_or_default()
        .to_string();
    let body = to_bytes(resp.into_body(), 20 << 20).await.expect("corps");
    let text = String::from_utf8_lossy(&body).into_owned();
    (status, if location.is_empty() { text } else { location })
}

fn record(
    org: &str,
    kind: &str,
    notes: &str,
    person: Option<&str>,
) -> maillage_app::activity::RecordInput {
    use maillage_domain::activity::ActivityForm;
    let mut form = ActivityForm {
        kind: kind.into(),
        date: "2026-03-10".into(),
        duration: "30".into(),
        venue: "a-distance".into(),
        ..Default::default()
    };
    if kind == "demarche" {
        form.procedure_themes = vec!["social-sante".into()];
        form.procedure_name = "Dossier MDPH de Karim Benali".into();
    } else {
        form.themes = vec!["internet".into()];
    }
    if let Some(p) = person {
        form.persons = vec![p.into()];
    }
    maillage_app::activity::RecordInput {
        organisation_id: org.into(),
        form,
        notes: notes.into(),
        new_person: person.is_none().then(|| ("Karim".to_string(), true)),
        session: None,
        referral_id: None,
        mandate_id: None,
    }
}

/// A workshop of structure A in ten days.
async fn workshop_of_a(w: &World, a: &Actor, title: &str, capacity: &str) -> String {
    use maillage_domain::diagnostic::Level;
    use maillage_domain::workshops::WorkshopForm;
    let day = maillage_app::today() + chrono::Days::new(10);
    let mut form = WorkshopForm {
        title: title.into(),
        themes: vec!["materiel".into()],
        level_required: Level::Beginner.slug().into(),
        commune: "Nancy".into(),
        sessions: format!("{day} 14:00-16:00"),
        capacity: capacity.into(),
        free: true,
        ..Default::default()
    }
    .validate("")
    .expect("valide");
    form.organisation_id = Some("org-a".into());
    w.app.publish_workshop(Some(a), form).await.expect("publié")
}
