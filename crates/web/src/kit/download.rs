//! A file handed over as an attachment (exports, templates, reports), from pages and API alike.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// The bytes as a download named `name`.
pub fn attachment(bytes: Vec<u8>, media_type: &'static str, name: &str) -> Response {
    let mut r = bytes.into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

/// An export of the directory as a download.
pub fn export(file: maillage_app::directory::ExportFile) -> Response {
    attachment(file.bytes, file.media_type, &file.file_name)
}
