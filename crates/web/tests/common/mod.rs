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
    /// A diagnostic taken alone, without account (its resume code).
    pub draft_code: String,
    pub catalogue_entry: String,
    /// A password reset link of the member of A (sent by e-mail).
    pub reset_token: String,
    /// The import job of the coordinator of 54 (per server).
    pub job: String,
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

/// The contents of every table (the migrations' bookkeeping aside), in a stable order: the
/// rows as text on SQLite, their MD5 on PostgreSQL (computed by the server).
pub async fn fingerprint(store: &Store) -> BTreeMap<String, String> {
    use sqlx::Row;
    let mut out = BTreeMap::new();
    match store {
        Store::Sqlite(pool) => {
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%' ORDER BY name",
            )
            .fetch_all(pool)
            .await
            .expect("tables");
            for table in tables {
                let columns: Vec<String> = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT name FROM pragma_table_info('{table}')"
                )))
                .fetch_all(pool)
                .await
                .expect("colonnes")
                .iter()
                .map(|r| r.get::<String, _>(0))
                .collect();
                let row = columns
                    .iter()
                    .map(|c| format!("quote(\"{c}\")"))
                    .collect::<Vec<_>>()
                    .join(" || ',' || ");
                let text: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                    "SELECT group_concat(r, char(10)) FROM (SELECT {row} AS r FROM \"{table}\" ORDER BY 1)"
                )))
                .fetch_one(pool)
                .await
                .expect("lignes");
                out.insert(table, text.unwrap_or_default());
            }
        }
        Store::Postgres(pool) => {
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name NOT LIKE '_sqlx%' ORDER BY 1",
            )
            .fetch_all(pool)
            .await
            .expect("tables");
            for table in tables {
                let text: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                    "SELECT md5(string_agg(t::text, E'\\n' ORDER BY t::text)) FROM \"{table}\" t"
                )))
                .fetch_one(pool)
                .await
                .expect("lignes");
                out.insert(table, text.unwrap_or_default());
            }
        }
    }
    out
}

/// The tables whose contents differ between two fingerprints.
pub fn changed_tables(
    before: &BTreeMap<String, String>,
    after: &BTreeMap<String, String>,
) -> Vec<String> {
    before
        .keys()
        .chain(after.keys())
        .filter(|t| before.get(*t) != after.get(*t))
        .cloned()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect()
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

// ----- building the world -----

fn since() -> NaiveDate {
    NaiveDate::from_ymd_opt(2020, 1, 1).expect("date")
}

fn member_of(org: &str) -> Vec<Membership> {
    vec![Membership {
        organisation_id: org.to_string(),
        since: since(),
        until: None,
    }]
}

/// A place validated by the standard's rules, as the form does.
fn new_place(
    app: &App,
    name: &str,
    address: &str,
    postcode: &str,
    commune: &str,
    email: Option<&str>,
) -> Place {
    let mut raw = RawPlace::default();
    for (field, value) in [
        ("nom", name),
        ("adresse", address),
        ("code_postal", postcode),
        ("commune", commune),
        ("telephone", "03 83 00 00 00"),
        (
            "services",
            "Aide aux démarches administratives|Maîtrise des outils numériques du quotidien",
        ),
        ("horaires", "Mo-Fr 09:00-12:00,14:00-17:00"),
        ("date_maj", &day(maillage_app::today())),
        ("pivot", maillage_domain::fields::UNKNOWN_PIVOT),
        ("courriels", email.unwrap_or_default()),
    ] {
        raw.set(field, value.to_string());
    }
    let (place, validation) = raw.validate("", &app.validation_context());
    place.unwrap_or_else(|| panic!("lieu « {name} » invalide : {:?}", validation.errors))
}

async fn actor(store: &Store, user_id: &str) -> Actor {
    store
        .actor(user_id)
        .await
        .expect("acteur")
        .expect("compte présent")
}

async fn populate(app: &App, store: &Store) -> (Ids, HashMap<Caller, String>) {
    let today = maillage_app::today();
    let mut ids = Ids::default();
    for (name, field) in [
        (ORG_A, &mut ids.org_a),
        (ORG_B, &mut ids.org_b),
        (ORG_C, &mut ids.org_c),
    ] {
        *field = store
            .create_organisation(&Organisation {
                id: String::new(),
                name: name.into(),
                pivot: None,
                typologies: vec![],
                departement: Some("54".into()),
            })
            .await
            .expect("structure");
    }
    // (e-mail, name, administrator, territory, memberships)
    type Account<'a> = (&'a str, &'a str, bool, Vec<TerritoryUnit>, Vec<Membership>);
    let accounts: Vec<Account> = vec![
        (
            "membre.a@test.fr",
            "Camille Membre-de-A",
            false,
            vec![],
            member_of(&ids.org_a),
        ),
        (
            COLLEAGUE_A,
            "Dominique Collègue-de-A",
            false,
            vec![],
            member_of(&ids.org_a),
        ),
        (
            "membre.b@test.fr",
            "Bérénice Membre-de-B",
            false,
            vec![],
            member_of(&ids.org_b),
        ),
        (
            MEMBER_C,
            "Accueil de C",
            false,
            vec![],
            member_of(&ids.org_c),
        ),
        (
            "coord54@test.fr",
            "Coordination 54",
            false,
            vec![TerritoryUnit::Departement("54".into())],
            vec![],
        ),
        (
            "coord13@test.fr",
            "Coordination 13",
            false,
            vec![TerritoryUnit::Departement("13".into())],
            vec![],
        ),
        ("admin@test.fr", "Administration", true, vec![], vec![]),
    ];
    for (email, name, administrator, territory, memberships) in accounts {
        let id = store
            .create_user(&NewUser {
                email: email.into(),
                display_name: name.into(),
                password: PASSWORD.into(),
                administrator,
                territory,
                memberships,
            })
            .await
            .expect("compte");
        ids.users.insert(email.to_string(), id);
    }
    let member_a = actor(store, &ids.users["membre.a@test.fr"]).await;
    let colleague_a = actor(store, &ids.users[COLLEAGUE_A]).await;
    let member_b = actor(store, &ids.users["membre.b@test.fr"]).await;
    let member_c = actor(store, &ids.users[MEMBER_C]).await;
    let coord = actor(store, &ids.users["coord54@test.fr"]).await;
    let coord13 = actor(store, &ids.users["coord13@test.fr"]).await;

    // Places: A's with its referent, B's, C's, one without structure, one in 13, a duplicate
    // of A's from another source, and two places merged by the coordinator.
    let mut place = new_place(
        app,
        PLACE_A,
        "12 rue de la Commanderie",
        "54000",
        "Nancy",
        Some("contact.alpha@exemple.fr"),
    );
    // Last updated half a year ago: an import with a newer date changes it.
    place.updated_on = today - Duration::days(200);
    place.extras.referent = Some(Referent {
        name: REFERENT_A.into(),
        role: Some("Responsable de l'espace".into()),
        email: Some(REFERENT_A_EMAIL.into()),
        phone: Some("+33383112233".into()),
    });
    ids.place_a = app
        .create_place(Some(&member_a), place, Some(&ids.org_a))
        .await
        .expect("lieu de A");
    ids.place_b = app
        .create_place(
            Some(&member_b),
            new_place(
                app,
                "Espace numérique Bravo",
                "3 rue Jeanne d'Arc",
                "54000",
                "Nancy",
                None,
            ),
            Some(&ids.org_b),
        )
        .await
        .expect("lieu de B");
    ids.place_c = app
        .create_place(
            Some(&member_c),
            new_place(
                app,
                "France Services Charlie",
                "1 place Ronde",
                "54200",
                "Toul",
                Some("accueil.charlie@exemple.fr"),
            ),
            Some(&ids.org_c),
        )
        .await
        .expect("lieu de C");
    ids.place_outside = app
        .create_place(
            Some(&coord),
            new_place(
                app,
                "Association Delta",
                "8 rue des Fabriques",
                "54000",
                "Nancy",
                Some("bonjour.delta@exemple.fr"),
            ),
            None,
        )
        .await
        .expect("lieu sans structure");
    ids.place_13 = app
        .create_place(
            Some(&coord13),
            new_place(
                app,
                "Point numérique de la Canebière",
                "10 La Canebière",
                "13001",
                "Marseille",
                Some("canebiere@exemple.fr"),
            ),
            None,
        )
        .await
        .expect("lieu du 13");
    let mut duplicate = new_place(
        app,
        PLACE_A,
        "12 rue de la Commanderie",
        "54000",
        "Nancy",
        Some("contact.alpha@exemple.fr"),
    );
    duplicate.source = Some("hub-regional".into());
    ids.place_duplicate = app
        .create_place(Some(&coord), duplicate, None)
        .await
        .expect("doublon");
    let mut merged = Vec::new();
    for source in ["source-un", "source-deux"] {
        let mut p = new_place(
            app,
            "Espace public numérique Echo",
            "5 rue Saint-Dizier",
            "54000",
            "Nancy",
            None,
        );
        p.source = Some(source.into());
        merged.push(
            app.create_place(Some(&coord), p, None)
                .await
                .expect("lieu à fusionner"),
        );
    }
    ids.merge = app
        .merge_duplicates(Some(&coord), &merged, &merged[0])
        .await
        .expect("fusion");

    // A followed person of A, with a guided diagnostic.
    ids.diagnostic_a = app
        .record_guided(
            Some(&member_a),
            GuidedInput {
                questionnaire: "complet".into(),
                answers: [
                    ("acces_smartphone", "proprietaire"),
                    ("maitrise_smartphone", "non"),
                    ("aisance", "peu"),
                ]
                .iter()
                .map(|(q, c)| (q.to_string(), vec![c.to_string()]))
                .collect(),
                organisation_id: ids.org_a.clone(),
                new_person: Some((PERSON_A.into(), Some(PERSON_A_CONTACT.into()))),
                consent: true,
                observations: vec![DIAGNOSTIC_A_OBSERVATION.into()],
                ..Default::default()
            },
        )
        .await
        .expect("diagnostic de A");
    ids.person_a = app
        .diagnostic_for(Some(&member_a), &ids.diagnostic_a)
        .await
        .expect("diagnostic")
        .person
        .expect("personne suivie")
        .id;

    // A's referrals: to C (oral consent), to a structure without account (answered by link),
    // and one waiting for the person's consent by link.
    let referral = |place: &str, label: &str, contact: &str, consent: &str| Outgoing {
        place_id: place.to_string(),
        request_id: None,
        request_title: "Créer son compte sur le site de la CAF".into(),
        level: Some("debutant".into()),
        constraints: None,
        journey_id: None,
        from_organisation_id: Some(ids.org_a.clone()),
        form: ReferralForm {
            person_label: label.into(),
            contact: contact.into(),
            note: if label == REFERRAL_A_PERSON {
                REFERRAL_A_NOTE.into()
            } else {
                String::new()
            },
            consent: consent.into(),
            explained: "Je lui ai expliqué qui recevra sa demande et pourquoi".into(),
            confirmed: consent == "orale",
        },
    };
    let send_referral = |out: Outgoing| {
        let app = app.clone();
        let member_a = member_a.clone();
        async move {
            app.send_referral(Some(&member_a), &out)
                .await
                .expect("orientation")
                .expect("formulaire d'orientation valide")
        }
    };
    ids.referral_a = send_referral(referral(
        &ids.place_c,
        REFERRAL_A_PERSON,
        REFERRAL_A_CONTACT,
        "orale",
    ))
    .await;
    ids.journey_a = store
        .referral(&ids.referral_a)
        .await
        .expect("orientation")
        .expect("présente")
        .journey_id;
    ids.referral_link = send_referral(referral(
        &ids.place_outside,
        REFERRAL_LINK_PERSON,
        "",
        "orale",
    ))
    .await;
    ids.referral_consent = send_referral(referral(
        &ids.place_c,
        REFERRAL_CONSENT_PERSON,
        REFERRAL_CONSENT_CONTACT,
        "lien",
    ))
    .await;
    // The links went by e-mail: new ones (which replace them) for the tests.
    let expires =
        (Utc::now() + Duration::days(8)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    ids.response_token = store
        .issue_referral_link(&ids.referral_link, "reponse", &expires)
        .await
        .expect("lien de réponse");
    ids.consent_token = store
        .issue_referral_link(&ids.referral_consent, "accord", &expires)
        .await
        .expect("lien d'accord");

    // A's workshop (a held session, one to come) with a registration.
    let held = today - Duration::days(7);
    let coming = today + Duration::days(14);
    let mut workshop = WorkshopForm {
        title: WORKSHOP_A.into(),
        summary: "Prendre en main son smartphone en petit groupe".into(),
        themes: vec!["internet".into()],
        level_required: "debutant".into(),
        commune: "Nancy".into(),
        sessions: format!("{} 14:00-16:00\n{} 14:00-16:00", day(held), day(coming)),
        capacity: "10".into(),
        free: true,
        ..Default::default()
    }
    .validate("")
    .expect("atelier valide");
    workshop.organisation_id = Some(ids.org_a.clone());
    workshop.place_id = Some(ids.place_a.clone());
    ids.workshop_a = app
        .publish_workshop(Some(&member_a), workshop)
        .await
        .expect("atelier de A");
    ids.session_start = format!("{}T14:00", day(held));
    ids.workshop_session = format!("{}|{}", ids.workshop_a, ids.session_start);
    let (registration, token) = app
        .register_person(
            None,
            CLIENT,
            &ids.workshop_a,
            REGISTRATION_A,
            REGISTRATION_A_CONTACT,
        )
        .await
        .expect("inscription");
    ids.registration_a = registration.id;
    ids.cancel_token = token;

    // A's records: the member's own (linked to the person and the referral), a colleague's.
    let record = |notes: &str| RecordInput {
        organisation_id: ids.org_a.clone(),
        form: ActivityForm {
            kind: "individuel".into(),
            date: day(today - Duration::days(3)),
            duration: "45".into(),
            venue: "domicile".into(),
            insee_code: "54395".into(),
            themes: vec!["internet".into()],
            autonomy: "avec".into(),
            persons: vec![ids.person_a.clone()],
            ..Default::default()
        },
        notes: notes.into(),
        new_person: None,
        session: None,
        referral_id: Some(ids.referral_a.clone()),
    };
    ids.activity_a = app
        .record_activity(Some(&member_a), &record(ACTIVITY_A_NOTE))
        .await
        .expect("activité")
        .expect("activité valide");
    ids.activity_colleague = app
        .record_activity(Some(&colleague_a), &record(ACTIVITY_COLLEAGUE_NOTE))
        .await
        .expect("activité")
        .expect("activité valide");

    // A resource proposed by A, with its file.
    ids.resource_a = app
        .propose_resource(
            Some(&member_a),
            &ResourceForm {
                title: RESOURCE_A.into(),
                summary: "Une fiche pour choisir et garder des mots de passe solides".into(),
                kind: "guide".into(),
                themes: vec!["securite".into()],
                audiences: vec!["aidants".into()],
                author: ORG_A.into(),
                has_file: true,
                ..Default::default()
            },
            Some(&ids.org_a),
            Some(&Upload {
                name: "fiche-alpha.pdf".into(),
                content: b"%PDF-1.7\n1 0 obj\n".to_vec(),
            }),
        )
        .await
        .expect("ressource de A")
        .0;

    // A news item of the watch, by the coordinator.
    ids.news = app
        .post_news(
            Some(&coord),
            "Coordination 54",
            &NewsForm {
                title: NEWS.into(),
                what_changed: "La connexion passe par FranceConnect uniquement".into(),
                who: "Les allocataires".into(),
                what_to_say: "Préparer ses identifiants FranceConnect avant le rendez-vous".into(),
                platforms: vec!["caf".into()],
                ..Default::default()
            },
        )
        .await
        .expect("nouvelle de la veille")
        .0;

    // The member of A follows the CAF's news (a digest is due to them).
    app.subscribe(
        Some(&member_a),
        vec![maillage_domain::watch::Platform::Caf],
        maillage_domain::watch::Frequency::Weekly,
        false,
    )
    .await
    .expect("abonnement à la veille");

    // An error reported on A's place.
    ids.report_a = app
        .report_error(
            CLIENT,
            &ids.place_a,
            "horaires",
            REPORT_A_MESSAGE,
            REPORTER_EMAIL,
        )
        .await
        .expect("signalement");

    // The coordinator's campaign asks A's referent.
    let now = Utc::now();
    let stamp = |t: chrono::DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let (campaign, issued) = store
        .create_campaign(
            CAMPAIGN_A,
            "toutes",
            Some(&ids.users["coord54@test.fr"]),
            &[NewRequest {
                place_id: ids.place_a.clone(),
                email: Some(REFERENT_A_EMAIL.into()),
            }],
            // Sent eight days ago: a reminder is due.
            &stamp(now - Duration::days(8)),
            &stamp(now + Duration::days(22)),
        )
        .await
        .expect("campagne");
    ids.campaign = campaign;
    ids.campaign_request = issued[0].request_id.clone();
    ids.campaign_token = issued[0].token.clone().expect("lien de campagne");

    // A's public links: statistics and survey.
    ids.stats_token = app
        .share_statistics(
            Some(&member_a),
            &ids.org_a,
            maillage_domain::indicators::SharePurpose::Statistics,
        )
        .await
        .expect("lien des statistiques");
    ids.survey_token = app
        .share_statistics(
            Some(&member_a),
            &ids.org_a,
            maillage_domain::indicators::SharePurpose::Survey,
        )
        .await
        .expect("lien de l'enquête");

    // A diagnostic taken alone (its resume code), the catalogue and the library loaded.
    let (_, code) = app.start_alone("court").await.expect("brouillon");
    app.answer_alone(CLIENT, &code, 0, vec!["smartphone".into()])
        .await
        .expect("réponse");
    ids.draft_code = code;
    ids.catalogue_entry = app
        .catalogue()
        .await
        .expect("catalogue")
        .entries
        .first()
        .expect("une demande")
        .id
        .clone();
    app.seed_library().await.expect("ressourcerie");
    ids.reset_token = store
        .issue_password_reset(
            &ids.users["membre.a@test.fr"],
            (now + Duration::hours(1)).timestamp(),
        )
        .await
        .expect("lien de réinitialisation");

    // Sessions, through the sign-in form.
    let router = router(app.clone(), Config::default());
    let mut cookies = HashMap::new();
    for caller in Caller::ALL {
        if let Some(email) = caller.email() {
            cookies.insert(caller, sign_in(&router, email).await);
        }
    }
    (ids, cookies)
}
