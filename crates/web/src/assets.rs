//! The static files of the pages (style sheet, the map's and the read-aloud's scripts), each
//! served at an address holding a digest of their content, `/static/{version}/{file}`, with a
//! year-long immutable cache: a browser keeps them until they change, and a change gives them a
//! new address (issue #10). The old addresses (`/static/maillage.css`…) still answer, for an hour.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// A static file of the pages.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static str,
}

const ASSETS: [Asset; 3] = [
    Asset {
        name: "maillage.css",
        content_type: "text/css; charset=utf-8",
        body: include_str!("../static/maillage.css"),
    },
    Asset {
        name: "carte.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../static/carte.js"),
    },
    Asset {
        name: "lecture.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../static/lecture.js"),
    },
];

/// The first twelve hexadecimal digits of the SHA-256 of every static file.
static VERSION: LazyLock<String> = LazyLock::new(|| {
    let mut digest = Sha256::new();
    for a in &ASSETS {
        digest.update(a.name.as_bytes());
        digest.update(a.body.as_bytes());
    }
    digest
        .finalize()
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect()
});

/// The address of a static file for the pages (`/static/3fa2b1c94e07/maillage.css`).
pub fn url(name: &str) -> String {
    format!("/static/{}/{name}", VERSION.as_str())
}

fn serve(name: &str, cache: &'static str) -> Response {
    match ASSETS.iter().find(|a| a.name == name) {
        Some(a) => (
            [
                (header::CONTENT_TYPE, a.content_type),
                (header::CACHE_CONTROL, cache),
            ],
            a.body,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `/static/{version}/{file}`: immutable for a year at the current version; an older version
/// (a page cached before a deployment) gets the current file, cached an hour.
pub async fn versioned(Path((version, file)): Path<(String, String)>) -> Response {
    if version == *VERSION {
        serve(&file, "public, max-age=31536000, immutable")
    } else {
        serve(&file, "public, max-age=3600")
    }
}

/// The unversioned addresses, kept for links made before (an hour of cache).
pub async fn stylesheet() -> Response {
    serve("maillage.css", "public, max-age=3600")
}

pub async fn map_script() -> Response {
    serve("carte.js", "public, max-age=3600")
}

pub async fn read_aloud_script() -> Response {
    serve("lecture.js", "public, max-age=3600")
}
