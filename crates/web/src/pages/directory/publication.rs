//! The directory's open data for harvesters (issue #21): `/donnees` says what is published
//! and where; `/donnees/lieux.csv`, `/donnees/lieux.json` (the national standard) and
//! `/donnees/data-inclusion/{structures,services}.json` serve it, with `ETag` and
//! `Last-Modified`, and answer `304 Not Modified` to a collector that already has them.

use axum::http::{HeaderMap, HeaderValue, header};
use maillage_app::directory::{Publication, Published};

use super::*;

/// The four files, as the page lists them: address, what, format.
const FILES: [(Published, &str, &str, &str); 4] = [
    (
        Published::StandardCsv,
        "/donnees/lieux.csv",
        "Lieux de médiation numérique",
        "CSV du standard national (schéma v1.0.2)",
    ),
    (
        Published::StandardJson,
        "/donnees/lieux.json",
        "Lieux de médiation numérique",
        "JSON du standard national",
    ),
    (
        Published::Structures,
        "/donnees/data-inclusion/structures.json",
        "Structures",
        "JSON data·inclusion v1 (un lieu, une structure)",
    ),
    (
        Published::Services,
        "/donnees/data-inclusion/services.json",
        "Services",
        "JSON data·inclusion v1 (une aide proposée, un service)",
    ),
];

/// An HTTP date: « Sat, 05 Dec 2026 02:00:00 GMT ».
fn http_date(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// Whether the collector's copy is current: `If-None-Match` (weak comparison, `*`) first;
/// `If-Modified-Since` only without it (RFC 9110, 13.1.3).
fn not_modified(headers: &HeaderMap, etag: &str, publication: &Publication) -> bool {
    let opaque = |t: &str| t.trim().trim_start_matches("W/").to_string();
    if let Some(tags) = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    {
        let ours = opaque(etag);
        return tags
            .split(',')
            .any(|t| t.trim() == "*" || opaque(t) == ours);
    }
    headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| chrono::DateTime::parse_from_rfc2822(v.trim()).ok())
        .is_some_and(|since| publication.last_modified <= since)
}

async fn published(
    state: &State,
    viewer: &Viewer,
    headers: &HeaderMap,
    which: Published,
) -> Result<Response, PageError> {
    let publication = state.app.publication(viewer.actor()).await?;
    let file = publication.file(which);
    // Weak: the same contents go plain or gzipped.
    let etag = format!("W/{}", file.etag);
    let gzip = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',').any(|e| {
                let mut parts = e.split(';');
                parts.next().map(str::trim) == Some("gzip")
                    && !parts.any(|p| p.trim().replace(' ', "") == "q=0")
            })
        });
    let mut response = if not_modified(headers, &etag, &publication) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        // Compressed once per state of the directory; the compression layer leaves a response
        // that has its own encoding as it is. The bytes are shared, never copied.
        let body = if gzip {
            file.gzip.clone()
        } else {
            file.bytes.clone()
        };
        let mut r = axum::body::Body::from(body).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(file.media_type),
        );
        if gzip {
            r.headers_mut()
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        r
    };
    let h = response.headers_mut();
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    for (name, value) in [
        (header::ETAG, etag),
        (header::LAST_MODIFIED, http_date(publication.last_modified)),
        // Open data: any site may read it; a copy is checked again before each use.
        (header::CACHE_CONTROL, "public, no-cache".to_string()),
        (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*".to_string()),
    ] {
        if let Ok(v) = HeaderValue::from_str(&value) {
            h.insert(name, v);
        }
    }
    Ok(response)
}

pub(in crate::pages) async fn published_csv(
    AxState(state): AxState<State>,
    viewer: Viewer,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    published(&state, &viewer, &headers, Published::StandardCsv).await
}

pub(in crate::pages) async fn published_json(
    AxState(state): AxState<State>,
    viewer: Viewer,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    published(&state, &viewer, &headers, Published::StandardJson).await
}

pub(in crate::pages) async fn published_structures(
    AxState(state): AxState<State>,
    viewer: Viewer,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    published(&state, &viewer, &headers, Published::Structures).await
}

pub(in crate::pages) async fn published_services(
    AxState(state): AxState<State>,
    viewer: Viewer,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    published(&state, &viewer, &headers, Published::Services).await
}

/// A published file as the page lists it.
struct FileRow {
    address: String,
    what: &'static str,
    format: &'static str,
    size: String,
}

#[derive(Template)]
#[template(path = "directory/publication.html")]
struct PublicationPage {
    chrome: Chrome,
    files: Vec<FileRow>,
    places: usize,
    updated: String,
    notes: Vec<String>,
}

/// `/donnees`: what is published, where, and how to harvest it.
pub(in crate::pages) async fn publication_page(
    AxState(state): AxState<State>,
    viewer: Viewer,
) -> Result<Response, PageError> {
    let publication = state.app.publication(viewer.actor()).await?;
    let base = state.app.public_url.clone();
    let files = FILES
        .iter()
        .map(|(which, path, what, format)| {
            let bytes = publication.file(*which).bytes.len();
            FileRow {
                address: format!("{base}{path}"),
                what,
                format,
                size: if bytes >= 1_000_000 {
                    format!("{:.1} Mo", bytes as f64 / 1_000_000.0).replace('.', ",")
                } else {
                    format!("{} ko", bytes.div_ceil(1_000))
                },
            }
        })
        .collect();
    Ok(render(&PublicationPage {
        chrome: Chrome::new("", &viewer),
        files,
        places: publication.places,
        updated: publication
            .last_modified
            .with_timezone(&chrono::Local)
            .format("%d/%m/%Y à %H:%M")
            .to_string(),
        notes: publication.notes.clone(),
    }))
}
