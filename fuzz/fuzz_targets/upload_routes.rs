//! Multipart uploads through the whole router, as a signed-in member sends them (the reader
//! alone is `multipart`; this target adds the routes' layers and what each upload does): the import of
//! places (`POST /import`, then its job), the import of activity records
//! (`POST /activites/import`) and a resource proposal with its file (`POST
//! /ressources/nouvelle`). Whatever the body and its boundary: never a panic, never a server
//! error (500) — a bad form is refused with a French message.
//!
//! Input: first byte chooses the route; then the `Content-Type` header value up to the first
//! `\n`; the rest is the body.
#![no_main]

use std::sync::Mutex;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, Request, StatusCode, header};
use libfuzzer_sys::fuzz_target;
use maillage_fuzz::{Site, first_line, runtime};
use tower::ServiceExt;

/// Inputs served by one site before a fresh one (what they wrote is dropped with it).
const INPUTS_PER_SITE: u32 = 500;

static SITE: Mutex<Option<(Site, u32)>> = Mutex::new(None);

const ROUTES: [&str; 3] = ["/import", "/activites/import", "/ressources/nouvelle"];

fuzz_target!(|data: &[u8]| {
    let Some((&route, rest)) = data.split_first() else {
        return;
    };
    let uri = ROUTES[usize::from(route) % ROUTES.len()];
    let (content_type, body) = first_line(rest);
    let content_type = HeaderValue::from_bytes(content_type)
        .unwrap_or(HeaderValue::from_static("multipart/form-data; boundary=x"));

    let mut guard = SITE.lock().unwrap_or_else(|e| e.into_inner());
    if guard.as_ref().is_none_or(|(_, n)| *n >= INPUTS_PER_SITE) {
        *guard = None;
        *guard = Some((Site::new(), 0));
    }
    let Some((site, served)) = guard.as_mut() else {
        return;
    };
    *served += 1;

    let request = Request::builder()
        .method("POST")
        .uri(uri)
        .header(header::CONTENT_TYPE, content_type)
        .header(header::COOKIE, &site.cookie)
        .body(Body::from(body.to_vec()))
        .expect("requête");
    runtime().block_on(async {
        let response = site.router.clone().oneshot(request).await.expect("réponse");
        let status = response.status();
        let location = response
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let page = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("corps de la réponse");
        assert_ne!(
            status,
            StatusCode::INTERNAL_SERVER_ERROR,
            "{uri} : erreur du serveur\n{}",
            String::from_utf8_lossy(&page)
        );
        // The import of places runs as a job: its end belongs to the same input.
        if let Some(id) = location.as_deref().and_then(|l| l.strip_prefix("/taches/")) {
            let job = site
                .app
                .jobs
                .get(id, Some(&site.user_id))
                .expect("tâche de l'import");
            // Within libFuzzer's 10 s per input (`-timeout=10`), which would report a hang.
            job.wait(Duration::from_secs(8)).await;
            match job.snapshot().outcome {
                Some(maillage_app::jobs::Outcome::Page { status, html }) => {
                    assert_ne!(status, 500, "{uri} : erreur du serveur dans la tâche\n{html}")
                }
                // A job fails with a message for users: an internal error is a server error.
                Some(maillage_app::jobs::Outcome::Failed(message)) => {
                    assert!(
                        !message.contains("erreur interne"),
                        "{uri} : erreur du serveur dans la tâche : {message}"
                    )
                }
                Some(_) => {}
                None => panic!("{uri} : tâche inachevée après 8 s"),
            }
        }
    });
});
