//! Answers of a known, modest size compressed in one piece with a compressor kept by each
//! thread: pages, JSON lists, small files. Larger and streamed answers (exports, event streams)
//! are left to `tower_http`'s compression layer around this one, which compresses them as they
//! are sent and skips what this one already compressed.
//!
//! Why not `tower_http` for everything: it makes a new deflate state for every answer (some
//! 300 KB zeroed, then freed), which cost as much as the compression itself — a search page of
//! 35 KB took 336 µs to compress, 139 µs with the state reused (docs/PERFORMANCE.md). The level
//! is 4 rather than zlib's 6: 2 % more bytes on a page, 6 % on an API list, for less than half
//! the time.

use std::cell::RefCell;

use axum::body::Body;
use axum::body::HttpBody as _;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use flate2::{Compress, Compression, FlushCompress, Status};

/// Deflate's level: see the module's documentation.
const LEVEL: u32 = 4;

/// The largest answer compressed in one piece here (about a millisecond of work); larger ones
/// are compressed as they are sent by the layer around this one.
pub(crate) const MAX_IN_PLACE: u64 = 256 * 1024;

/// Answers smaller than this are sent as they are: gzip's header and trailer would outweigh
/// the gain.
const MIN_BYTES: u64 = 32;

thread_local! {
    /// This thread's compressor, reset for each answer instead of made anew.
    static GZIP: RefCell<Option<Compress>> = const { RefCell::new(None) };
}

/// The middleware: compresses the answer in one piece when the request accepts gzip and the
/// answer is worth it and small enough (see the module's documentation).
pub(crate) async fn compress(request: Request, next: Next) -> Response {
    let accepted = accepts_gzip(request.headers());
    let response = next.run(request).await;
    if !compressible(response.headers()) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    // The answer depends on the request's `Accept-Encoding`, whether compressed or not.
    vary_on_accept_encoding(&mut parts.headers);
    let size = body.size_hint().exact();
    let Some(size) = size.filter(|n| accepted && (MIN_BYTES..=MAX_IN_PLACE).contains(n)) else {
        return Response::from_parts(parts, body);
    };
    // `MAX_IN_PLACE` bounds the collection; a body of exact size is already whole (a page, a
    // JSON document), so this does not wait.
    let bytes = match axum::body::to_bytes(body, size as usize).await {
        Ok(bytes) => bytes,
        Err(_) => {
            // The body said its size and did not keep its word: nothing left to send.
            return Response::from_parts(parts, Body::empty());
        }
    };
    let Some(compressed) = gzip(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.remove(header::ACCEPT_RANGES);
    parts
        .headers
        .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    Response::from_parts(parts, Body::from(compressed))
}

/// Whether an answer is worth compressing: not already encoded, not a part of a file, not an
/// image (SVG excepted), an already compressed file or an event stream.
fn compressible(headers: &HeaderMap) -> bool {
    if headers.contains_key(header::CONTENT_ENCODING) || headers.contains_key(header::CONTENT_RANGE)
    {
        return false;
    }
    let Some(content_type) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return true;
    };
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let already_compressed = [
        "application/zip",
        "application/gzip",
        "application/pdf",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "text/event-stream",
        "application/grpc",
    ];
    !(already_compressed.contains(&essence.as_str())
        || (essence.starts_with("image/") && essence != "image/svg+xml"))
}

fn vary_on_accept_encoding(headers: &mut HeaderMap) {
    let already = headers
        .get_all(header::VARY)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|v| {
            let v = v.trim();
            v == "*" || v.eq_ignore_ascii_case("accept-encoding")
        });
    if !already {
        headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
}

/// Whether the request's `Accept-Encoding` accepts gzip: listed (or `*` when gzip is not
/// listed) with a quality above zero (RFC 9110, 12.5.3).
pub(crate) fn accepts_gzip(headers: &HeaderMap) -> bool {
    let mut gzip = None;
    let mut any = None;
    let items = headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','));
    for item in items {
        let mut fields = item.split(';');
        let coding = fields.next().unwrap_or_default().trim();
        let quality = fields
            .filter_map(|p| {
                let (name, value) = p.split_once('=')?;
                name.trim()
                    .eq_ignore_ascii_case("q")
                    .then(|| value.trim().parse::<f32>().ok())?
            })
            .next()
            .unwrap_or(1.0);
        let accepted = quality > 0.0;
        if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
            gzip = Some(gzip.unwrap_or(false) || accepted);
        } else if coding == "*" {
            any = Some(accepted);
        }
    }
    gzip.or(any).unwrap_or(false)
}

/// `bytes` in gzip's format, with this thread's compressor; `None` if deflate failed (the
/// answer is then sent as it is).
fn gzip(bytes: &[u8]) -> Option<Vec<u8>> {
    GZIP.with(|cell| {
        let mut slot = cell.try_borrow_mut().ok()?;
        let compressor =
            slot.get_or_insert_with(|| Compress::new_gzip(Compression::new(LEVEL), 15));
        compressor.reset();
        let mut out = Vec::with_capacity(bytes.len() / 4 + 64);
        loop {
            let read = usize::try_from(compressor.total_in()).ok()?;
            let rest = bytes.get(read..)?;
            match compressor.compress_vec(rest, &mut out, FlushCompress::Finish) {
                Ok(Status::StreamEnd) => return Some(out),
                Ok(Status::Ok | Status::BufError) => out.reserve(out.capacity().max(4096)),
                Err(_) => {
                    // A compressor in an unknown state is not reused.
                    *slot = None;
                    return None;
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn headers(accept: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for a in accept {
            h.append(
                header::ACCEPT_ENCODING,
                HeaderValue::from_str(a).expect("en-tête"),
            );
        }
        h
    }

    #[test]
    fn gzip_is_accepted_as_browsers_and_clients_ask() {
        for yes in [
            "gzip",
            "gzip, deflate, br, zstd",
            "br;q=1.0, gzip;q=0.8, *;q=0.1",
            "GZIP",
            "x-gzip",
            "*",
            "br, *;q=0.5",
            "identity;q=0, gzip",
        ] {
            assert!(accepts_gzip(&headers(&[yes])), "{yes}");
        }
        assert!(accepts_gzip(&headers(&["br", "gzip"])));
        for no in [
            "",
            "identity",
            "br",
            "gzip;q=0",
            "gzip; q=0.000",
            "*;q=0",
            "gzip;q=0, *",
            "*, gzip;q=0",
            "gzipped",
        ] {
            assert!(!accepts_gzip(&headers(&[no])), "{no}");
        }
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    #[test]
    fn answers_read_back_whole_one_after_the_other() {
        // The same thread's compressor, reset between answers of different sizes.
        let page = "<li>Médiathèque de Nancy — ateliers numériques</li>\n".repeat(700);
        for text in [page.as_str(), "court", &page[..4000], ""] {
            let compressed = gzip(text.as_bytes()).expect("compressé");
            let mut back = String::new();
            flate2::read::GzDecoder::new(compressed.as_slice())
                .read_to_string(&mut back)
                .expect("relu");
            assert_eq!(back, text);
        }
        let compressed = gzip(page.as_bytes()).expect("compressé");
        assert!(compressed.len() * 10 < page.len(), "{}", compressed.len());
    }

    #[test]
    fn images_archives_and_streams_are_left_as_they_are() {
        let with = |value: &'static str| {
            let mut h = HeaderMap::new();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static(value));
            compressible(&h)
        };
        assert!(with("text/html; charset=utf-8"));
        assert!(with("application/json"));
        assert!(with("text/csv; charset=utf-8"));
        assert!(with("image/svg+xml"));
        assert!(!with("image/png"));
        assert!(!with("text/event-stream"));
        assert!(!with("application/pdf"));
        assert!(!with("Application/ZIP"));
        let mut encoded = HeaderMap::new();
        encoded.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        assert!(!compressible(&encoded));
    }

    /// The two layers as the router stacks them, over answers of every kind.
    fn stacked() -> axum::Router {
        use axum::routing::get;
        let big = "<p>Ateliers numériques à la médiathèque</p>\n".repeat(8_000);
        axum::Router::new()
            .route(
                "/page",
                get(|| async { axum::response::Html("<p>Bonjour</p>\n".repeat(500)) }),
            )
            .route(
                "/grand",
                get(move || async move { axum::response::Html(big) }),
            )
            .route(
                "/flux",
                get(|| async {
                    let chunks = (0..50).map(|i| {
                        Ok::<_, std::io::Error>(format!("{i};Médiathèque;Nancy\n").repeat(100))
                    });
                    let mut response =
                        Response::new(Body::from_stream(futures_util::stream::iter(chunks)));
                    response.headers_mut().insert(
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("text/csv; charset=utf-8"),
                    );
                    response
                }),
            )
            .layer(axum::middleware::from_fn(compress))
            .layer(tower_http::compression::CompressionLayer::new())
    }

    async fn get(path: &str, accept: Option<&str>) -> (HeaderMap, Vec<u8>) {
        use tower::ServiceExt;
        let mut request = axum::http::Request::get(path);
        if let Some(accept) = accept {
            request = request.header(header::ACCEPT_ENCODING, accept);
        }
        let response = stacked()
            .oneshot(request.body(Body::empty()).expect("requête"))
            .await
            .expect("réponse");
        let (parts, body) = response.into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX).await.expect("corps");
        (parts.headers, bytes.to_vec())
    }

    #[tokio::test]
    async fn small_answers_whole_large_and_streamed_ones_as_they_are_sent() {
        for path in ["/page", "/grand", "/flux"] {
            let (plain_headers, plain) = get(path, None).await;
            assert!(
                plain_headers.get(header::CONTENT_ENCODING).is_none(),
                "{path}"
            );
            let (headers, compressed) = get(path, Some("gzip, br")).await;
            assert_eq!(
                headers.get(header::CONTENT_ENCODING).map(|v| v.as_bytes()),
                Some(&b"gzip"[..]),
                "{path}"
            );
            assert_eq!(headers.get_all(header::VARY).iter().count(), 1, "{path}");
            let mut back = Vec::new();
            flate2::read::GzDecoder::new(compressed.as_slice())
                .read_to_end(&mut back)
                .expect("relu");
            assert_eq!(back, plain, "{path}");
            assert!(compressed.len() * 5 < plain.len(), "{path}");
        }
        // The page is compressed here (its length known), the large page and the stream by
        // the layer around, as they are sent.
        let (page, _) = get("/page", Some("gzip")).await;
        assert!(page.get(header::CONTENT_LENGTH).is_some());
        let (large, body) = get("/grand", Some("gzip")).await;
        assert!(large.get(header::CONTENT_LENGTH).is_none());
        assert!(body.len() as u64 > MIN_BYTES);
        let (refused, _) = get("/page", Some("gzip;q=0, identity")).await;
        assert!(refused.get(header::CONTENT_ENCODING).is_none());
    }

    #[test]
    fn vary_is_said_once() {
        let mut h = HeaderMap::new();
        vary_on_accept_encoding(&mut h);
        vary_on_accept_encoding(&mut h);
        assert_eq!(h.get_all(header::VARY).iter().count(), 1);
        let mut h = HeaderMap::new();
        h.insert(
            header::VARY,
            HeaderValue::from_static("Cookie, Accept-Encoding"),
        );
        vary_on_accept_encoding(&mut h);
        assert_eq!(h.get_all(header::VARY).iter().count(), 1);
    }
}
