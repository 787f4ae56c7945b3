//! The two-structure world of the authorisation tests, shared by the test files that need it.
//!
//! Structures A and B (and C, which receives referrals) are in Meurthe-et-Moselle (54). The
//! callers: anonymous, a member of A, a member of B, the coordinator of 54, a coordinator of
//! another territory (13), an administrator. A has a place with a referent, a followed person
//! with a diagnostic, referrals (one answered by link, one waiting for the person's consent),
//! activity records (one of another member of A, with private notes), a workshop with a
//! registration, a proposed resource with a file, a share link of its statistics and of its
//! survey, an error report on its place, a campaign asking its referent; the coordinator of 54
//! has an import job and a past merge of duplicates. Everything is made through the
//! application's services (`maillage_app::App`) or, for the links only sent by e-mail, the store.
//!
//! The world is built once into a template database; each test opens a copy
//! ([`Template::open`]), so that a write in one cell never changes another (SQLite: `VACUUM
//! INTO`; PostgreSQL: `CREATE DATABASE … TEMPLATE`). Sessions are in the database: the cookies
//! of the template sign in the copies.

#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode, header};
use chrono::{Duration, NaiveDate, Utc};
use maillage_app::Upload;
use maillage_app::activity::RecordInput;
use maillage_app::diagnostic::GuidedInput;
use maillage_app::mail::{DEFAULT_FROM, Mailer};
use maillage_app::referrals::Outgoing;
use maillage_domain::activity::ActivityForm;
use maillage_domain::organisation::Organisation;
use maillage_domain::place::{Place, RawPlace, Referent};
use maillage_domain::policy::{Actor, Membership, TerritoryUnit};
use maillage_domain::referrals::ReferralForm;
use maillage_domain::resources::ResourceForm;
use maillage_domain::watch::NewsForm;
use maillage_domain::workshops::WorkshopForm;
use maillage_referential::Referential;
use maillage_store::{NewRequest, NewUser, Store};
use maillage_web::{App, Config, router};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tower::ServiceExt;

mod fingerprint;
mod populate;
pub use fingerprint::{changed_tables, fingerprint};
use populate::populate;

pub const PASSWORD: &str = "un mot de passe de test";

/// The client (address) of what the world's people did without an account.
const CLIENT: &str = "ip:192.0.2.10";

/// Public address of the test server (links in e-mails and pages).
pub const PUBLIC_URL: &str = "http://maillage.test";

// ----- who calls -----

/// The kinds of caller of the matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Caller {
    Anonymous,
    MemberA,
    MemberB,
    /// Coordinator of the territory of A and B (département 54).
    Coordinator,
    /// Coordinator of another territory (département 13).
    CoordinatorElsewhere,
    Administrator,
}

impl Caller {
    pub const ALL: [Caller; 6] = [
        Caller::Anonymous,
        Caller::MemberA,
        Caller::MemberB,
        Caller::Coordinator,
        Caller::CoordinatorElsewhere,
        Caller::Administrator,
    ];

    /// Column heading of the matrix.
    pub fn heading(self) -> &'static str {
        match self {
            Caller::Anonymous => "anonyme",
            Caller::MemberA => "membre A",
            Caller::MemberB => "membre B",
            Caller::Coordinator => "coord. 54",
            Caller::CoordinatorElsewhere => "coord. 13",
            Caller::Administrator => "admin",
        }
    }

    pub fn email(self) -> Option<&'static str> {
        match self {
            Caller::Anonymous => None,
            Caller::MemberA => Some("membre.a@test.fr"),
            Caller::MemberB => Some("membre.b@test.fr"),
            Caller::Coordinator => Some("coord54@test.fr"),
            Caller::CoordinatorElsewhere => Some("coord13@test.fr"),
            Caller::Administrator => Some("admin@test.fr"),
        }
    }
}

/// Another member of A (not a caller): the author of a record with private notes.
pub const COLLEAGUE_A: &str = "collegue.a@test.fr";
/// The name of the coordinator of 54's pulled source.
pub const SOURCE_54: &str = "Hub-Source-Du-54";
/// A member of C, the structure that receives A's referral (not a caller).
pub const MEMBER_C: &str = "accueil.c@test.fr";

// ----- what only some may see -----

/// The followed person of A (first name or pseudonym, contact).
pub const PERSON_A: &str = "Josette-Suivie-A";
pub const PERSON_A_CONTACT: &str = "josette.suivie.a@exemple.fr";
/// The helper's observation in A's diagnostic.
pub const DIAGNOSTIC_A_OBSERVATION: &str = "OBSERVATION-DIAGNOSTIC-A";
/// The person of A's referral, their contact and the note shared with the receiver.
pub const REFERRAL_A_PERSON: &str = "Rolande-Orientee-A";
pub const REFERRAL_A_CONTACT: &str = "rolande.orientee.a@exemple.fr";
pub const REFERRAL_A_NOTE: &str = "NOTE-ORIENTATION-A";
/// The person of A's referral to a structure without account (answered by link).
pub const REFERRAL_LINK_PERSON: &str = "Gaston-Lien-A";
/// The person of A's referral waiting for their consent by link.
pub const REFERRAL_CONSENT_PERSON: &str = "Huguette-Accord-A";
pub const REFERRAL_CONSENT_CONTACT: &str = "huguette.accord.a@exemple.fr";
/// The name on A's mandate, and what was done under it.
pub const MANDATE_A_PERSON: &str = "Odile-Mandante-A";
pub const MANDATE_A_ACT: &str = "ACTE-SOUS-MANDAT-A";
/// Private notes of A's records: the member of A's own, and a colleague's.
pub const ACTIVITY_A_NOTE: &str = "NOTE-PRIVEE-MEMBRE-A";
pub const ACTIVITY_COLLEAGUE_NOTE: &str = "NOTE-PRIVEE-COLLEGUE-A";
/// The person registered to A's workshop.
pub const REGISTRATION_A: &str = "Marcel-Inscrit-A";
pub const REGISTRATION_A_CONTACT: &str = "marcel.inscrit.a@exemple.fr";
/// The referent of A's place: signed-in users only.
pub const REFERENT_A: &str = "Referente-Lieu-A";
pub const REFERENT_A_EMAIL: &str = "referente.lieu.a@exemple.fr";
/// Who reported an error on A's place (kept to tell them, shown to nobody).
pub const REPORTER_EMAIL: &str = "signaleur.a@exemple.fr";
/// The message of that report (shown to who may edit the place).
pub const REPORT_A_MESSAGE: &str = "SIGNALEMENT-LIEU-A";
/// Names of objects (not secret, used to recognise a page).
pub const ORG_A: &str = "Médiathèque Alpha";
pub const ORG_B: &str = "Centre social Bravo";
pub const ORG_C: &str = "France Services Charlie";
pub const PLACE_A: &str = "Espace numérique Alpha";
pub const WORKSHOP_A: &str = "Atelier smartphone Alpha";
pub const RESOURCE_A: &str = "Fiche Alpha pour protéger ses comptes";
pub const CAMPAIGN_A: &str = "Campagne de printemps 54";
pub const SURVEY_A: &str = "Enquête des partenaires 54";
/// The referent A's answer to the survey gives (a change of A's entry waiting for A).
pub const SURVEY_REFERENT_A: &str = "Referente-Enquete-A";
pub const NEWS: &str = "La CAF change son espace personnel";

/// A text that must appear only in the answers to some callers.
pub struct Secret {
    pub text: &'static str,
    pub what: &'static str,
    pub seen_by: &'static [Caller],
}

const SIGNED_IN: &[Caller] = &[
    Caller::MemberA,
    Caller::MemberB,
    Caller::Coordinator,
    Caller::CoordinatorElsewhere,
    Caller::Administrator,
];

/// Every personal datum of the world, with who may read it anywhere.
pub const SECRETS: &[Secret] = &[
    Secret {
        text: PERSON_A,
        what: "le prénom de la personne suivie par A",
        seen_by: &[Caller::MemberA],
    },
    Secret {
        text: PERSON_A_CONTACT,
        what: "le contact de la personne suivie par A",
        seen_by: &[Caller::MemberA],
    },
    Secret {
        text: DIAGNOSTIC_A_OBSERVATION,
        what: "une observation du diagnostic de A",
        seen_by: &[Caller::MemberA],
    },
    Secret {
        text: MANDATE_A_PERSON,
        what: "le nom de la personne qui a donné mandat à A",
        seen_by: &[Caller::MemberA],
    },
    Secret {
        text: MANDATE_A_ACT,
        what: "une démarche faite sous le mandat de A",
        seen_by: &[Caller::MemberA],
    },
    Secret {
        text: REFERRAL_A_PERSON,
        what: "le prénom de la personne orientée par A",
        seen_by: &[Caller::MemberA],
    },
    Secret {
        text: REFERRAL_A_CONTACT,
        what: "le contact de la personne orientée par A",
        seen_by: &[Caller::MemberA],
    },
    Secret {
        text: REFERRAL_A_NOTE,
        what: "la note de l'orientation de A",
        seen_by: &[Caller::MemberA],
    },
    Secret {
        text: REFERRAL_LINK_PERSON,
        what: "le prénom d'une personne orientée par A (réponse par lien)",
        seen_by: &[Caller::MemberA],
    },
    Secret {
        text: REFERRAL_CONSENT_PERSON,
        what: "le prénom d'une personne orientée par A (accord par lien)",
        seen_by: &[Caller::MemberA],
    },
    Secret {
        text: REFERRAL_CONSENT_CONTACT,
        what: "le contact d'une personne orientée par A (accord par lien)",
        seen_by: &[Caller::MemberA],
    },
    Secret {
        text: ACTIVITY_A_NOTE,
        what: "les notes privées du membre de A",
        seen_by: &[Caller::MemberA],
    },
    Secret {
        text: ACTIVITY_COLLEAGUE_NOTE,
        what: "les notes privées d'un autre membre de A",
        seen_by: &[],
    },
    Secret {
        text: REGISTRATION_A,
        what: "le prénom d'une personne inscrite à l'atelier de A",
        seen_by: &[Caller::MemberA],
    },
    Secret {
        text: REGISTRATION_A_CONTACT,
        what: "le contact d'une personne inscrite à l'atelier de A",
        seen_by: &[Caller::MemberA],
    },
    Secret {
        text: REFERENT_A,
        what: "le nom du référent du lieu de A",
        seen_by: SIGNED_IN,
    },
    Secret {
        text: REFERENT_A_EMAIL,
        what: "le courriel du référent du lieu de A",
        seen_by: SIGNED_IN,
    },
    Secret {
        text: SURVEY_REFERENT_A,
        what: "la référente donnée par la réponse de A à l'enquête (à confirmer par A)",
        seen_by: &[Caller::MemberA],
    },
    Secret {
        text: REPORTER_EMAIL,
        what: "le courriel de qui a signalé une erreur",
        seen_by: &[],
    },
];

// ----- the world's objects -----

/// Identifiers of the objects of a world (the same in every copy, but for the job, which
/// lives in the memory of one server).
#[derive(Clone, Debug, Default)]
pub struct Ids {
    pub users: BTreeMap<String, String>,
    pub org_a: String,
    pub org_b: String,
    pub org_c: String,
    pub place_a: String,
    pub place_b: String,
    pub place_c: String,
    /// A place without a structure, reachable by e-mail only.
    pub place_outside: String,
    /// A place of département 13.
    pub place_13: String,
    /// The same place as A's, from another source (a likely duplicate).
    pub place_duplicate: String,
    /// The merge of two places of 54, by the coordinator (to undo).
    pub merge: String,
    pub person_a: String,
    pub diagnostic_a: String,
    pub referral_a: String,
    pub journey_a: String,
    pub referral_link: String,
    pub response_token: String,
    pub referral_consent: String,
    pub consent_token: String,
    pub activity_a: String,
    pub activity_colleague: String,
    pub workshop_a: String,
    /// A held session of A's workshop: `id|2026-03-01T14:00`.
    pub workshop_session: String,
    pub session_start: String,
    pub registration_a: String,
    pub cancel_token: String,
    pub resource_a: String,
    pub news: String,
    pub report_a: String,
    pub campaign: String,
    pub campaign_request: String,
    pub campaign_token: String,
    pub stats_token: String,
    pub survey_token: String,
    /// The coordinator of 54's partners' survey: A's invitation and link, A's answer (a
    /// change of A's entry waiting for A), the exchange of a computer from B to A it follows.
    pub network_survey: String,
    pub survey_invitation_a: String,
    pub survey_link_a: String,
    pub survey_answer_a: String,
    pub survey_exchange: String,
    /// A diagnostic taken alone, without account (its resume code).
    pub draft_code: String,
    pub catalogue_entry: String,
    /// A's mandate (the member of A is habilitated by the coordinator of 54), the person's
    /// link and the mandate's fingerprint.
    pub mandate_a: String,
    pub mandate_token: String,
    pub mandate_fingerprint: String,
    /// A mandate of A waiting for the person's consent by link, and that link.
    pub mandate_pending: String,
    pub mandate_pending_token: String,
    /// A request of A's followed person about her data (access).
    pub request_a: String,
    /// A password reset link of the member of A (sent by e-mail).
    pub reset_token: String,
    /// The import job of the coordinator of 54 (per server).
    pub job: String,
    /// A source pulled on schedule, registered by the coordinator of 54.
    pub pulled_source: String,
}

/// One server on one copy of the world.
pub struct World {
    pub router: Router,
    pub app: App,
    pub store: Store,
    pub ids: Ids,
    pub cookies: HashMap<Caller, String>,
    database: Option<String>,
    admin_url: Option<String>,
}

/// Where the databases live.
#[derive(Clone, Debug)]
pub enum Backend {
    Sqlite,
    /// The URL of a PostgreSQL server's administration base (`…/postgres`).
    Postgres(String),
}

impl Backend {
    /// SQLite, then PostgreSQL when `MAILLAGE_TEST_POSTGRES_URL` is set (required when
    /// `MAILLAGE_REQUIRE_POSTGRES` is).
    pub fn all() -> Vec<Backend> {
        let mut out = vec![Backend::Sqlite];
        match std::env::var("MAILLAGE_TEST_POSTGRES_URL") {
            Ok(url) => out.push(Backend::Postgres(url)),
            Err(_) if std::env::var("MAILLAGE_REQUIRE_POSTGRES").is_ok() => {
                panic!("MAILLAGE_REQUIRE_POSTGRES est posé mais MAILLAGE_TEST_POSTGRES_URL manque")
            }
            Err(_) => eprintln!("PostgreSQL non testé : MAILLAGE_TEST_POSTGRES_URL absent"),
        }
        out
    }

    pub fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres(_) => "PostgreSQL",
        }
    }
}

/// The world built once, from which copies are opened.
pub struct Template {
    backend: Backend,
    /// SQLite: the directory of the files; the template stays open for `VACUUM INTO`.
    dir: tempfile::TempDir,
    sqlite: Option<Store>,
    /// PostgreSQL: the template database's name.
    pg_template: Option<String>,
    ids: Ids,
    cookies: HashMap<Caller, String>,
    smtp_url: String,
    referential: Arc<Referential>,
    copies: std::sync::atomic::AtomicUsize,
}

fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn pg_base(admin_url: &str) -> &str {
    admin_url
        .rsplit_once('/')
        .map(|(b, _)| b)
        .unwrap_or(admin_url)
}

async fn pg_admin(admin_url: &str) -> sqlx::PgPool {
    sqlx::PgPool::connect(admin_url)
        .await
        .expect("PostgreSQL joignable")
}

impl Template {
    /// Builds the world on a backend.
    pub async fn build(backend: Backend) -> Template {
        let dir = tempfile::tempdir().expect("dossier temporaire");
        let (url, pg_template) = match &backend {
            Backend::Sqlite => (
                format!("sqlite://{}", dir.path().join("modele.sqlite").display()),
                None,
            ),
            Backend::Postgres(admin_url) => {
                let name = format!("maillage_matrice_{}", uuid::Uuid::new_v4().simple());
                let admin = pg_admin(admin_url).await;
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&admin)
                    .await
                    .expect("création de la base modèle");
                admin.close().await;
                (format!("{}/{name}", pg_base(admin_url)), Some(name))
            }
        };
        let store = Store::connect(&url).await.expect("base modèle");
        let referential =
            Arc::new(Referential::discover().expect("référentiel (scripts/setup.sh)"));
        let smtp_url = smtp_sink().await;
        let app = new_app(store.clone(), &referential, &smtp_url).await;
        let (ids, cookies) = populate(&app, &store).await;
        let sqlite = match &backend {
            Backend::Sqlite => Some(store),
            Backend::Postgres(_) => {
                // A template database must have no connection left.
                close(&store).await;
                drop(app);
                None
            }
        };
        Template {
            backend,
            dir,
            sqlite,
            pg_template,
            ids,
            cookies,
            smtp_url,
            referential,
            copies: Default::default(),
        }
    }

    pub fn backend(&self) -> &Backend {
        &self.backend
    }

    /// A new server on a new copy of the world, with the coordinator's import job started.
    pub async fn open(&self) -> World {
        let n = self
            .copies
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (url, database, admin_url) = match (&self.backend, &self.sqlite) {
            (Backend::Sqlite, Some(template)) => {
                let path = self.dir.path().join(format!("copie-{n}.sqlite"));
                let Store::Sqlite(pool) = template else {
                    panic!("modèle SQLite attendu");
                };
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "VACUUM INTO '{}'",
                    path.display()
                )))
                .execute(pool)
                .await
                .expect("copie de la base");
                (format!("sqlite://{}", path.display()), None, None)
            }
            (Backend::Postgres(admin_url), _) => {
                let template = self.pg_template.as_deref().expect("base modèle");
                let name = format!("{template}_{n}");
                let admin = pg_admin(admin_url).await;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "CREATE DATABASE {name} TEMPLATE {template}"
                )))
                .execute(&admin)
                .await
                .expect("copie de la base");
                admin.close().await;
                (
                    format!("{}/{name}", pg_base(admin_url)),
                    Some(name),
                    Some(admin_url.clone()),
                )
            }
            (Backend::Sqlite, None) => panic!("modèle SQLite fermé"),
        };
        let store = Store::connect(&url).await.expect("copie");
        let app = new_app(store.clone(), &self.referential, &self.smtp_url).await;
        let router = router(app.clone(), Config::default());
        let mut ids = self.ids.clone();
        ids.job = start_import_job(&router, &self.cookies[&Caller::Coordinator]).await;
        World {
            router,
            app,
            store,
            ids,
            cookies: self.cookies.clone(),
            database,
            admin_url,
        }
    }

    /// Removes the template database (PostgreSQL; SQLite files go with the directory).
    pub async fn remove(self) {
        if let Some(store) = &self.sqlite {
            close(store).await;
        }
        if let (Backend::Postgres(admin_url), Some(name)) = (&self.backend, &self.pg_template) {
            drop_database(admin_url, name).await;
        }
    }
}

impl World {
    pub fn cookie(&self, caller: Caller) -> Option<&str> {
        self.cookies.get(&caller).map(String::as_str)
    }

    /// Closes the copy (and removes it, on PostgreSQL).
    pub async fn close(self) {
        close(&self.store).await;
        if let (Some(admin_url), Some(name)) = (&self.admin_url, &self.database) {
            drop_database(admin_url, name).await;
        }
    }

    /// Everything the database holds, table by table, as one text per table: two
    /// fingerprints differ when any row of any table was written.
    pub async fn fingerprint(&self) -> BTreeMap<String, String> {
        fingerprint(&self.store).await
    }
}

async fn close(store: &Store) {
    match store {
        Store::Sqlite(pool) => pool.close().await,
        Store::Postgres(pool) => pool.close().await,
    }
}

async fn drop_database(admin_url: &str, name: &str) {
    let admin = pg_admin(admin_url).await;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&admin)
    .await
    .expect("suppression de la base de test");
    admin.close().await;
}

async fn new_app(store: Store, referential: &Arc<Referential>, smtp_url: &str) -> App {
    // The referential is read once per test run and shared by every server.
    let mut app = App::new(store, Referential::default())
        .await
        .expect("application");
    app.referential = referential.clone();
    app.reindex().await.expect("index");
    app.with_mail(
        Mailer::smtp(smtp_url, DEFAULT_FROM).expect("courriel"),
        PUBLIC_URL,
    )
}

/// Speaks just enough SMTP to accept every message (the tests read no e-mail: they only need
/// sending to succeed, as campaigns require).
async fn smtp_sink() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("port");
    let url = format!("smtp://{}", listener.local_addr().expect("adresse"));
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                let _ = write.write_all(b"220 puits ESMTP\r\n").await;
                let mut in_data = false;
                while let Ok(Some(line)) = lines.next_line().await {
                    if in_data {
                        if line == "." {
                            in_data = false;
                            let _ = write.write_all(b"250 OK\r\n").await;
                        }
                        continue;
                    }
                    let upper = line.to_ascii_uppercase();
                    let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                        b"250-puits\r\n250 8BITMIME\r\n"
                    } else if upper.starts_with("DATA") {
                        in_data = true;
                        b"354 suite\r\n"
                    } else if upper.starts_with("QUIT") {
                        let _ = write.write_all(b"221 au revoir\r\n").await;
                        break;
                    } else {
                        b"250 OK\r\n"
                    };
                    if write.write_all(reply).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    url
}

// ----- requests -----

/// What a request carries.
#[derive(Clone, Debug, Default)]
pub enum Payload {
    #[default]
    None,
    Form(Vec<(String, String)>),
    Json(serde_json::Value),
    /// Fields and files (name, file name, content).
    Multipart(Vec<(String, Option<String>, Vec<u8>)>),
    /// A body of this media type.
    Raw(&'static str, Vec<u8>),
}

/// An answer, read whole.
#[derive(Clone, Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub location: Option<String>,
    /// The cookie set (name=value), if any.
    pub cookie: Option<String>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

const BOUNDARY: &str = "----frontiere-maillage-matrice";

pub async fn send(
    router: &Router,
    method: &str,
    uri: &str,
    cookie: Option<&str>,
    payload: &Payload,
) -> Answer {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    let body = match payload {
        Payload::None => Body::empty(),
        Payload::Form(pairs) => {
            req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
            Body::from(
                form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(pairs)
                    .finish(),
            )
        }
        Payload::Json(v) => {
            req = req.header(header::CONTENT_TYPE, "application/json");
            Body::from(v.to_string())
        }
        Payload::Multipart(parts) => {
            req = req.header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={BOUNDARY}"),
            );
            let mut out = Vec::new();
            for (name, file, content) in parts {
                out.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
                match file {
                    Some(f) => out.extend_from_slice(
                        format!(
                            "Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                        )
                        .as_bytes(),
                    ),
                    None => out.extend_from_slice(
                        format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n")
                            .as_bytes(),
                    ),
                }
                out.extend_from_slice(content);
                out.extend_from_slice(b"\r\n");
            }
            out.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
            Body::from(out)
        }
        Payload::Raw(media_type, bytes) => {
            req = req.header(header::CONTENT_TYPE, *media_type);
            Body::from(bytes.clone())
        }
    };
    let resp = router
        .clone()
        .oneshot(req.body(body).expect("requête"))
        .await
        .expect("réponse");
    let status = resp.status();
    let location = resp
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let cookie = resp
        .headers()
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|c| c.split(';').next())
        .map(str::to_string);
    let body = to_bytes(resp.into_body(), 64 << 20)
        .await
        .expect("corps")
        .to_vec();
    Answer {
        status,
        location,
        cookie,
        body,
    }
}

/// A GET with these headers: the status, the headers and the bytes as sent (compressed when
/// asked).
pub async fn get_with_headers(
    router: &Router,
    uri: &str,
    headers: &[(header::HeaderName, &str)],
) -> (StatusCode, header::HeaderMap, Vec<u8>) {
    let mut req = Request::builder().uri(uri);
    for (name, value) in headers {
        req = req.header(name, *value);
    }
    let resp = router
        .clone()
        .oneshot(req.body(Body::empty()).expect("requête"))
        .await
        .expect("réponse");
    let (parts, body) = resp.into_parts();
    let bytes = to_bytes(body, 64 << 20).await.expect("corps");
    (parts.status, parts.headers, bytes.to_vec())
}

/// Signs in through the sign-in form, as a browser does; returns the session cookie.
pub async fn sign_in(router: &Router, email: &str) -> String {
    let answer = send(
        router,
        "POST",
        "/connexion",
        None,
        &Payload::Form(vec![
            ("email".into(), email.into()),
            ("password".into(), PASSWORD.into()),
        ]),
    )
    .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "connexion de {email}");
    answer.cookie.expect("cookie de session")
}

/// A small file of the standard: A's place as it is, with another name and today's date (an
/// import that would change A's place).
pub fn import_file_changing(place: &Place) -> Vec<u8> {
    let mut changed = place.clone();
    changed.name = format!("{} (importé)", place.name);
    changed.updated_on = maillage_app::today();
    maillage_standard::export::to_bytes(&[changed], maillage_standard::ExportFormat::Csv)
        .expect("fichier du standard")
}

/// Starts the coordinator's job: checking a file (nothing written); returns its id.
async fn start_import_job(router: &Router, cookie: &str) -> String {
    let file = b"id,nom\n".to_vec();
    let answer = send(
        router,
        "POST",
        "/import",
        Some(cookie),
        &Payload::Multipart(vec![
            ("action".into(), None, b"verifier".to_vec()),
            ("fichier".into(), Some("lieux.csv".into()), file),
        ]),
    )
    .await;
    let location = answer.location.clone().unwrap_or_default();
    location
        .strip_prefix("/taches/")
        .map(str::to_string)
        .unwrap_or_else(|| panic!("tâche d'import : {} {}", answer.status, answer.text()))
}
