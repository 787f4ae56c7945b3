//! The one reader of multipart forms (`enctype="multipart/form-data"`): the import of places,
//! the import of activity records and the resource form read their fields and their file
//! through it, so that a body cut short, a bad boundary, a field that is not text or a file over
//! the route's limit gets the same French refusal everywhere (fuzzed by
//! `fuzz/fuzz_targets/multipart.rs`).

use axum::extract::Multipart;
use axum::extract::multipart::MultipartError;
use axum::http::StatusCode;

use maillage_app::AppError;
pub use maillage_app::Upload;

/// The name of the file field of every upload form.
pub const FILE_FIELD: &str = "fichier";

/// A multipart form as read: its text fields in order and its file, if one was chosen.
#[derive(Debug, Default)]
pub struct UploadForm {
    pub fields: Vec<(String, String)>,
    pub file: Option<Upload>,
}

impl UploadForm {
    /// The text fields, read into their struct (the rules of [`crate::kit::input`]).
    pub fn typed<T: serde::de::DeserializeOwned>(&self) -> Result<T, AppError> {
        crate::kit::input::fields(&self.fields)
    }
}

/// Reads every part of a multipart body. `max_bytes` is the route's body limit (enforced by
/// its `DefaultBodyLimit` layer), named in the refusal when the body goes over it. A file field
/// sent empty (no file chosen) gives no file.
pub async fn read_form(mut multipart: Multipart, max_bytes: usize) -> Result<UploadForm, AppError> {
    let refused = |e: MultipartError| {
        AppError::Invalid(if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            format!(
                "le formulaire dépasse {} Mio : envoyez un fichier plus léger",
                max_bytes.div_ceil(1024 * 1024)
            )
        } else {
            "le formulaire n'a pas pu être lu en entier (envoi interrompu ou mal formé) : \
             envoyez-le de nouveau"
                .to_string()
        })
    };
    let mut form = UploadForm::default();
    while let Some(part) = multipart.next_field().await.map_err(refused)? {
        let name = part.name().unwrap_or_default().to_string();
        if name == FILE_FIELD {
            let file_name = part.file_name().unwrap_or_default().to_string();
            let content = part.bytes().await.map_err(refused)?.to_vec();
            if !file_name.is_empty() || !content.is_empty() {
                form.file = Some(Upload {
                    name: file_name,
                    content,
                });
            }
        } else {
            let value = part.text().await.map_err(refused)?;
            form.fields.push((name, value));
        }
    }
    Ok(form)
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::extract::DefaultBodyLimit;
    use axum::http::{Request, StatusCode, header};
    use axum::routing::post;
    use tower::ServiceExt;

    use super::*;

    /// Sends a multipart body to a route reading it with `limit`: the status and the text.
    async fn send(body: &str, limit: usize) -> (StatusCode, String) {
        let router = Router::new()
            .route(
                "/",
                post(move |multipart: Multipart| async move {
                    match read_form(multipart, limit).await {
                        Ok(form) => (
                            StatusCode::OK,
                            format!(
                                "{:?} {:?}",
                                form.fields,
                                form.file.map(|f| (f.name, f.content.len()))
                            ),
                        ),
                        Err(e) => (StatusCode::BAD_REQUEST, e.to_string()),
                    }
                }),
            )
            .layer(DefaultBodyLimit::max(limit));
        let request = Request::post("/")
            .header(header::CONTENT_TYPE, "multipart/form-data; boundary=B")
            .body(Body::from(body.replace('\n', "\r\n")))
            .expect("requête");
        let response = router.oneshot(request).await.expect("réponse");
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("corps");
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }

    const FORM: &str = "--B\nContent-Disposition: form-data; name=\"source\"\n\nparis\n--B\n\
        Content-Disposition: form-data; name=\"fichier\"; filename=\"lieux.csv\"\n\n\
        id,nom\n--B--\n";

    #[tokio::test]
    async fn fields_and_file_are_read_in_order() {
        let (status, text) = send(FORM, 4096).await;
        assert_eq!(status, StatusCode::OK, "{text}");
        assert_eq!(
            text, r#"[("source", "paris")] Some(("lieux.csv", 6))"#,
            "{text}"
        );
    }

    #[tokio::test]
    async fn an_empty_file_field_is_no_file() {
        let body =
            "--B\nContent-Disposition: form-data; name=\"fichier\"; filename=\"\"\n\n\n--B--\n";
        assert_eq!(send(body, 4096).await.1, "[] None");
    }

    #[tokio::test]
    async fn refusals_are_french_and_name_the_limit() {
        let (status, text) = send(FORM, 40).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(text.contains("dépasse 1 Mio"), "{text}");
        let cut = &FORM[..FORM.len() - 10];
        let (status, text) = send(cut, 4096).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(text.contains("pas pu être lu en entier"), "{text}");
    }
}
