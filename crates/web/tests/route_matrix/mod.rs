//! Every route × every kind of caller, through the real router (issue #8, "Proof that stays").
//!
//! The routes are read from the router itself (its `Debug` text: paths and `Allow` headers):
//! a route without a row in [`ROWS`] fails the test, and so does a row whose route is gone.
//! Each route is called as anonymous, a member of structure A, a member of B, the coordinator
//! of their territory (54), a coordinator elsewhere (13) and an administrator, with the ids of
//! A's objects in the path, the query, hidden form fields and JSON bodies (the world of
//! `common/`). The expected outcome of each cell is in [`ROWS`], the same table as
//! `docs/SECURITY.md` (checked here; `MAILLAGE_UPDATE_DOCS=1` rewrites it).
//!
//! Beyond the status: where a row names A's data, `ok` means they are in the answer and any
//! other outcome means they are not; in every answer (but the pages opened by a personal link,
//! which are the permission), no personal datum of the world reaches a caller who may not read
//! it; a write refused leaves every table of the database as it was. Every write that should
//! succeed runs on its own copy of the world, so that cells never depend on each other. On
//! SQLite, and on PostgreSQL when `MAILLAGE_TEST_POSTGRES_URL` is set.

mod calls;
mod erasure;
mod reset;
mod rows;
mod security_md;
use calls::*;
use rows::*;

use crate::common;

use axum::Router;
use common::{Answer, Backend, Caller, Ids, Payload, Template, World};
use maillage_domain::Vocabulary;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};

// ----- the matrix -----

/// What went wrong in one cell.
struct Failure {
    row: String,
    caller: Caller,
    what: String,
}

fn row_label(row: &Row) -> String {
    if row.2.is_empty() {
        format!("{} {}", row.0, row.1)
    } else {
        format!("{} {} ({})", row.0, row.1, row.2)
    }
}

/// The outcome of an answer: `ok`/`hidden` for 2xx (with or without A's data), `redir` for
/// 3xx, else the status code.
fn outcome(answer: &Answer, shows: Option<&str>) -> String {
    if answer.status.is_success() {
        match shows {
            Some(s) if !contains(&answer.body, s) => "hidden".into(),
            _ => "ok".into(),
        }
    } else if answer.status.is_redirection() {
        "redir".into()
    } else {
        answer.status.as_u16().to_string()
    }
}

fn contains(body: &[u8], text: &str) -> bool {
    body.windows(text.len()).any(|w| w == text.as_bytes())
}

/// The outcome of a job the answer leads to (an import's report page).
async fn job_outcome(world: &World, caller: Caller, answer: &Answer) -> Option<String> {
    let id = answer.location.as_deref()?.strip_prefix("/taches/")?;
    let owner = caller
        .email()
        .and_then(|e| world.ids.users.get(e))
        .map(String::as_str);
    let job = world.app.jobs.get(id, owner)?;
    job.wait(std::time::Duration::from_secs(120)).await;
    match job.snapshot().outcome {
        Some(maillage_app::jobs::Outcome::Page { status, .. }) if (200..300).contains(&status) => {
            Some("ok".into())
        }
        Some(maillage_app::jobs::Outcome::Page { status, .. }) => Some(status.to_string()),
        Some(maillage_app::jobs::Outcome::Failed(reason)) => Some(format!("échec : {reason}")),
        other => Some(format!("{other:?}")),
    }
}

/// Stops the jobs a cell started (booklets), so that they do not load the machine.
fn stop_jobs(world: &World, answer: &Answer) {
    if let Some(id) = answer
        .location
        .as_deref()
        .and_then(|l| l.strip_prefix("/taches/"))
        && let Some(job) = world.app.jobs.get(id, None)
    {
        job.interrupt();
    }
}

fn excerpt(answer: &Answer) -> String {
    let text = answer.text();
    let text = text
        .split("<main")
        .nth(1)
        .map(|m| format!("<main{m}"))
        .unwrap_or(text);
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    flat.chars().take(400).collect()
}

/// Copies of the world opened ahead of need (at most two at a time), as many as will be used.
struct Ahead {
    template: std::sync::Arc<Template>,
    left: usize,
    queue: std::collections::VecDeque<tokio::task::JoinHandle<World>>,
}

impl Ahead {
    fn new(template: std::sync::Arc<Template>, needed: usize) -> Self {
        let mut ahead = Ahead {
            template,
            left: needed,
            queue: Default::default(),
        };
        ahead.fill();
        ahead
    }

    fn fill(&mut self) {
        while self.queue.len() < 2 && self.left > 0 {
            let template = self.template.clone();
            self.queue
                .push_back(tokio::spawn(async move { template.open().await }));
            self.left -= 1;
        }
    }

    async fn next(&mut self) -> World {
        self.fill();
        let world = self
            .queue
            .pop_front()
            .expect("une copie du monde prévue")
            .await
            .expect("copie du monde");
        self.fill();
        world
    }
}

async fn run(backend: Backend) {
    let started = std::time::Instant::now();
    let template = std::sync::Arc::new(Template::build(backend.clone()).await);
    let mut shared = template.open().await;
    // Copies for the writes expected to succeed are opened ahead, while cells run.
    let mut ahead = Ahead::new(
        template.clone(),
        ROWS.iter()
            .flat_map(|r| expected(r).into_iter().map(move |e| (r.0, e)))
            .filter(|(method, e)| *method != "GET" && matches!(*e, "ok" | "redir"))
            .count(),
    );
    let mut failures: Vec<Failure> = Vec::new();
    let mut cells = 0;
    let mut copies = 0;
    let (mut opening, mut fingerprinting, mut closing) = (
        std::time::Duration::ZERO,
        std::time::Duration::ZERO,
        std::time::Duration::ZERO,
    );
    for row in ROWS {
        let codes = expected(row);
        for (caller, expect) in Caller::ALL.into_iter().zip(codes) {
            cells += 1;
            let write = row.0 != "GET";
            let fresh = write && matches!(expect, "ok" | "redir");
            let own = if fresh {
                copies += 1;
                let t = std::time::Instant::now();
                let w = ahead.next().await;
                opening += t.elapsed();
                Some(w)
            } else {
                None
            };
            let world = own.as_ref().unwrap_or(&shared);
            let c = call(row, caller, world).await;
            let t = std::time::Instant::now();
            let before = if write {
                Some(world.fingerprint().await)
            } else {
                None
            };
            fingerprinting += t.elapsed();
            let answer = common::send(
                &world.router,
                row.0,
                &c.uri,
                world.cookie(caller),
                &c.payload,
            )
            .await;
            let mut got = outcome(&answer, c.shows.as_deref());
            if c.job && got == "redir" {
                got = job_outcome(world, caller, &answer)
                    .await
                    .unwrap_or_else(|| "tâche introuvable".into());
            }
            let mut fail = |what: String| {
                failures.push(Failure {
                    row: row_label(row),
                    caller,
                    what,
                })
            };
            if got != expect {
                fail(format!(
                    "attendu {expect}, obtenu {got} ({} {}) — {}",
                    answer.status,
                    answer.location.as_deref().unwrap_or_default(),
                    excerpt(&answer)
                ));
            }
            if let Some(s) = c.shows.as_deref()
                && got != "ok"
                && contains(&answer.body, s)
            {
                fail(format!("« {s} » montré alors que la réponse est {got}"));
            }
            if !c.link {
                for secret in common::SECRETS {
                    if !secret.seen_by.contains(&caller) && contains(&answer.body, secret.text) {
                        fail(format!(
                            "fuite : {} (« {} ») dans la réponse {got}",
                            secret.what, secret.text
                        ));
                    }
                }
            }
            if let Some(before) = before {
                let t = std::time::Instant::now();
                let after = world.fingerprint().await;
                fingerprinting += t.elapsed();
                let changed = common::changed_tables(&before, &after);
                if !fresh && !changed.is_empty() {
                    fail(format!(
                        "écriture refusée ({got}) mais la base a changé : {}",
                        changed.join(", ")
                    ));
                }
                // An accepted write wrote something (else the form was not really accepted).
                if fresh
                    && got == expect
                    && changed.is_empty()
                    && !NO_WRITE.contains(&(row.0, row.1))
                {
                    fail(format!(
                        "écriture acceptée ({got}) mais rien n'a changé dans la base"
                    ));
                }
            }
            stop_jobs(world, &answer);
            if let Some(own) = own {
                let t = std::time::Instant::now();
                own.close().await;
                closing += t.elapsed();
            } else if failures
                .last()
                .is_some_and(|f| f.what.contains("la base a changé"))
            {
                // A refused write that wrote: the next cells get a clean world.
                let old = std::mem::replace(&mut shared, template.open().await);
                old.close().await;
            }
        }
    }
    shared.close().await;
    drop(ahead);
    match std::sync::Arc::try_unwrap(template) {
        Ok(template) => template.remove().await,
        Err(_) => panic!("le modèle est encore utilisé"),
    }
    eprintln!(
        "{} : {} routes ({} lignes) × {} appelants = {cells} cases, {copies} copies du monde ({:.1} s, fermées en {:.1} s), empreintes {:.1} s, en tout {:.1} s",
        backend.name(),
        ROWS.iter()
            .map(|r| (r.0, r.1))
            .collect::<BTreeSet<_>>()
            .len(),
        ROWS.len(),
        Caller::ALL.len(),
        opening.as_secs_f64(),
        closing.as_secs_f64(),
        fingerprinting.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    if !failures.is_empty() {
        let mut report = format!(
            "{} case(s) en échec sur {}:\n",
            failures.len(),
            backend.name()
        );
        for f in &failures {
            report.push_str(&format!(
                "- {} — {} : {}\n",
                f.row,
                f.caller.heading(),
                f.what
            ));
        }
        panic!("{report}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_as_every_caller_on_sqlite() {
    run(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_as_every_caller_on_postgresql() {
    for backend in Backend::all() {
        if matches!(backend, Backend::Postgres(_)) {
            run(backend).await;
        }
    }
}

// ----- the routes of the router -----

/// (method, path) of every route, read from the router's `Debug` text: the paths of its
/// `Node` and the `Allow` header of each endpoint (`HEAD` comes with `GET`).
fn routes_of(router: &Router) -> BTreeSet<(String, String)> {
    let text = format!("{router:?}");
    // The router's own routes, before its fallback router.
    let main = text.split(", fallback_router:").next().unwrap_or_default();
    let (routes, node) = main
        .split_once("node: Node { paths: {")
        .expect("format du Debug d'axum : « node: Node { paths: { » introuvable");
    let mut paths = BTreeMap::new();
    for chunk in node.split("RouteId(").skip(1) {
        let (id, rest) = chunk.split_once("): \"").expect("chemin d'une route");
        let (path, _) = rest.split_once('"').expect("fin du chemin");
        paths.insert(id.to_string(), path.to_string());
    }
    let mut out = BTreeSet::new();
    for chunk in routes.split("RouteId(").skip(1) {
        let (id, rest) = chunk.split_once("): ").expect("route");
        let allow = rest
            .split_once("allow_header: Bytes(b\"")
            .and_then(|(_, a)| a.split_once('"'))
            .map(|(a, _)| a)
            .unwrap_or_else(|| panic!("en-tête Allow de la route {id} introuvable : {rest}"));
        let path = paths
            .get(id)
            .unwrap_or_else(|| panic!("chemin de la route {id} introuvable"));
        for method in allow.split(',').filter(|m| *m != "HEAD") {
            out.insert((method.to_string(), path.clone()));
        }
    }
    out
}

#[tokio::test]
async fn every_route_of_the_router_has_a_row() {
    let store = maillage_store::Store::connect("sqlite::memory:")
        .await
        .expect("base");
    let app = maillage_app::App::new(store, maillage_referential::Referential::default())
        .await
        .expect("application");
    let router = maillage_web::router(app, maillage_web::Config::default());
    let routes = routes_of(&router);
    // About 140 `.route(` calls: a change of axum's `Debug` must not make the test empty.
    assert!(
        routes.len() >= 150 && routes.iter().filter(|(_, p)| p.contains('{')).count() >= 50,
        "trop peu de routes lues dans le Debug du routeur ({}) : le format d'axum a-t-il changé ?",
        routes.len()
    );
    let rows: BTreeSet<(String, String)> = ROWS
        .iter()
        .map(|r| (r.0.to_string(), r.1.to_string()))
        .collect();
    let missing: Vec<String> = routes
        .difference(&rows)
        .map(|(m, p)| format!("{m} {p}"))
        .collect();
    let gone: Vec<String> = rows
        .difference(&routes)
        .map(|(m, p)| format!("{m} {p}"))
        .collect();
    assert!(
        missing.is_empty(),
        "routes sans ligne dans la matrice (ajoutez-les à ROWS, avec l'attendu de chaque appelant) : {missing:#?}"
    );
    assert!(
        gone.is_empty(),
        "lignes de la matrice sans route : {gone:#?}"
    );
    for row in ROWS {
        let codes = expected(row);
        assert_eq!(codes.len(), Caller::ALL.len(), "{}", row_label(row));
        for code in codes {
            assert!(OUTCOMES.contains(&code), "{} : « {code} »", row_label(row));
        }
    }
}

// ----- the same matrix in docs/SECURITY.md -----
