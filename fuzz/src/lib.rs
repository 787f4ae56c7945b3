//! What the fuzz targets share: reference data loaded once per process, and small helpers to
//! cut one fuzzed input into several values.

use std::path::PathBuf;
use std::sync::OnceLock;

use maillage_domain::place::ValidationContext;
use maillage_domain::typology::Typologies;
use maillage_referential::Referential;

/// The commune referential built by `scripts/setup.sh` (`MAILLAGE_REFERENTIAL`, else
/// `data/referentiel/communes.tsv` of the checkout this crate belongs to).
pub fn referential_path() -> PathBuf {
    std::env::var_os("MAILLAGE_REFERENTIAL")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../data/referentiel/communes.tsv")
        })
}

/// Loads the referential (a fuzz target cannot run without it: it says so and stops).
pub fn load_referential() -> Referential {
    let path = referential_path();
    Referential::load(&path).unwrap_or_else(|e| {
        panic!(
            "{e} ({}) — lancez scripts/setup.sh pour construire le référentiel",
            path.display()
        )
    })
}

/// The referential, loaded once per process.
pub fn referential() -> &'static Referential {
    static R: OnceLock<Referential> = OnceLock::new();
    R.get_or_init(load_referential)
}

/// The typologies of the standard, once per process.
pub fn typologies() -> &'static Typologies {
    static T: OnceLock<Typologies> = OnceLock::new();
    T.get_or_init(Typologies::standard)
}

/// The validation context of an import (`|` lists; the legacy reader switches by itself).
pub fn validation_context() -> ValidationContext<'static> {
    ValidationContext {
        communes: referential(),
        typologies: typologies(),
        list_separator: '|',
    }
}

/// The input as text, invalid UTF-8 replaced (readers of text get text from their callers).
pub fn text(data: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(data)
}

/// Splits the input at the first `\n`: (first line, rest).
pub fn first_line(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|b| *b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[]),
    }
}

/// A fixed date-time derived from a few bytes, between 2000 and 2063, so evaluations do not
/// depend on the clock.
pub fn date_time(bytes: &[u8]) -> chrono::NaiveDateTime {
    let mut n: u64 = 0;
    for b in bytes.iter().take(8) {
        n = (n << 8) | u64::from(*b);
    }
    let minutes = (n % (64 * 366 * 24 * 60)) as i64;
    let start = chrono::NaiveDate::from_ymd_opt(2000, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .unwrap_or_default();
    start + chrono::Duration::minutes(minutes)
}

/// The async runtime of the targets that need the web crate (one thread: libFuzzer runs one
/// input at a time; blocking work still goes to tokio's blocking pool).
pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime tokio")
    })
}

/// An empty in-memory base, migrated.
pub fn memory_store() -> maillage_store::Store {
    runtime()
        .block_on(maillage_store::Store::connect("sqlite::memory:"))
        .expect("base en mémoire")
}

/// The application's services on an empty in-memory base with the real referential (no search
/// index: nothing is searched), once per process.
pub fn app() -> &'static maillage_app::App {
    static APP: OnceLock<maillage_app::App> = OnceLock::new();
    APP.get_or_init(|| {
        maillage_app::App::for_writes(memory_store(), load_referential()).expect("application")
    })
}

/// The structure the signed-in user of [`Site`] belongs to.
pub const ORGANISATION: &str = "org-fuzz";

/// The whole site (router with its security layers) on a fresh in-memory base with one
/// structure and one signed-in user, member of it and administrator (so that every upload
/// route reads its body: authorisation comes first).
pub struct Site {
    pub app: maillage_app::App,
    pub router: axum::Router,
    pub user_id: String,
    /// `Cookie` header of the user's session.
    pub cookie: String,
}

impl Site {
    /// A new site sharing the referential of [`app`]: what one input writes (places, records,
    /// resources, finished jobs) is thrown away with it.
    pub fn new() -> Site {
        use maillage_domain::organisation::Organisation;
        use maillage_domain::policy::Membership;
        use maillage_store::{NewUser, SessionRecord};
        let store = memory_store();
        let app = app()
            .clone()
            .with_empty_store(store.clone())
            .expect("copie de l'application");
        let (user_id, token) = runtime().block_on(async {
            store
                .create_organisation(&Organisation {
                    id: ORGANISATION.into(),
                    name: "Médiathèque du fuzzing".into(),
                    pivot: None,
                    typologies: vec![],
                    departement: Some("54".into()),
                })
                .await
                .expect("structure");
            let user_id = store
                .create_user(&NewUser {
                    email: "fuzz@example.org".into(),
                    display_name: "Fuzz".into(),
                    password: "un mot de passe de fuzzing".into(),
                    administrator: true,
                    territory: vec![],
                    memberships: vec![Membership {
                        organisation_id: ORGANISATION.into(),
                        since: chrono::NaiveDate::from_ymd_opt(2020, 1, 1).expect("date"),
                        until: None,
                    }],
                })
                .await
                .expect("compte");
            let token = "f".repeat(64);
            store
                .save_session(&SessionRecord {
                    id: token.clone(),
                    data: user_id.clone(),
                    expires_at: chrono::Utc::now().timestamp() + 7 * 24 * 3600,
                })
                .await
                .expect("session");
            (user_id, token)
        });
        let router = maillage_web::router(app.clone(), maillage_web::Config::default());
        Site {
            app,
            router,
            user_id,
            cookie: format!("{}={token}", maillage_web::auth::COOKIE_NAME),
        }
    }
}
