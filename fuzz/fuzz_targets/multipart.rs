//! The one reader of multipart forms (`maillage_web::upload::read_form`), as axum hands it an
//! upload behind the route's body limit: whatever the body, its boundary and its size, never a
//! panic and never a server error — a refusal is a French message; a form read holds no more
//! characters and bytes than the body sent.
//!
//! Input: first byte chooses the body limit (64 bytes, 4 KiB or 16 KiB, so that « too large »
//! is reached); then the `Content-Type` header value up to the first `\n`; the rest is the body.
#![no_main]

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Multipart};
use axum::http::{HeaderValue, Request, StatusCode, header};
use axum::routing::post;
use libfuzzer_sys::fuzz_target;
use maillage_fuzz::{first_line, runtime};
use maillage_app::AppError;
use tower::ServiceExt;

const LIMITS: [usize; 3] = [64, 4096, 16 * 1024];

/// A route reading its upload as the site's do: 200 with the size of what was read, 400 with
/// the reader's refusal, 500 for any other error.
fn router(limit: usize) -> Router {
    Router::new()
        .route(
            "/",
            post(move |multipart: Multipart| async move {
                match maillage_web::upload::read_form(multipart, limit).await {
                    Ok(form) => {
                        // Characters of text (a field in another charset is decoded, one
                        // byte giving up to three of UTF-8), bytes of the file.
                        let chars = |t: &str| t.chars().count();
                        let read: usize = form
                            .fields
                            .iter()
                            .map(|(k, v)| chars(k) + chars(v))
                            .sum::<usize>()
                            + form.file.map_or(0, |f| chars(&f.name) + f.content.len());
                        (StatusCode::OK, read.to_string())
                    }
                    Err(AppError::Invalid(message)) => (StatusCode::BAD_REQUEST, message),
                    Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
                }
            }),
        )
        .layer(DefaultBodyLimit::max(limit))
}

fuzz_target!(|data: &[u8]| {
    let Some((&choice, rest)) = data.split_first() else {
        return;
    };
    let limit = LIMITS[usize::from(choice) % LIMITS.len()];
    let (content_type, body) = first_line(rest);
    let content_type = HeaderValue::from_bytes(content_type)
        .unwrap_or(HeaderValue::from_static("multipart/form-data; boundary=x"));
    let sent = body.len();
    let request = Request::builder()
        .method("POST")
        .uri("/")
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body.to_vec()))
        .expect("requête");
    runtime().block_on(async {
        let response = router(limit).oneshot(request).await.expect("réponse");
        let status = response.status();
        let page = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("corps de la réponse");
        let page = String::from_utf8_lossy(&page);
        assert_ne!(status, StatusCode::INTERNAL_SERVER_ERROR, "erreur : {page}");
        if status == StatusCode::OK {
            let read: usize = page.parse().expect("taille lue");
            assert!(read <= sent.min(limit), "{read} octets lus d'un corps de {sent} (limite {limit})");
        }
    });
});
