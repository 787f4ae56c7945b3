//! The cache of answers: the public search's pages and API lists, as just sent to an anonymous
//! visitor — rendered and compressed once — are sent again as they are to the next visitors
//! asking the same thing, for one second at most and never across a change of the directory.
//!
//! A search page costs a search, the places' records, the grouping of duplicates, the template
//! and the compression; under load most visitors ask the same few searches (a campaign's link,
//! a home page's examples). Kept answers follow three rules:
//!
//! - **Anonymous only**: a request with a cookie or an `Authorization` header (someone signed in,
//!   an API key) is always answered afresh, so nobody ever receives an answer made for another.
//! - **Never older than the directory**: each answer is kept under the directory's version
//!   ([`App::directory_version`]), which changes as soon as a batch of changes reaches this
//!   instance's index (written here or read from the change feed).
//! - **One second at most**: what else an answer shows (open now, the catalogue of requests
//!   that widens a search, places marked « not duplicates ») is at most a second old — within
//!   the second every instance already takes to see a write.
//!
//! Bounded: keys and answers have a maximum size, the whole cache [`BUDGET`] bytes, least
//! recently used answers leave first. Off with the search cache (`serve --no-search-cache`).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::State;

/// The routes whose anonymous answers are kept: the public search page and the API's list.
const ROUTES: [&str; 2] = ["/", "/api/v1/lieux"];

/// How long an answer is served again.
pub const MAX_AGE: Duration = Duration::from_secs(1);

/// The cache's size: answers (bodies and headers) and keys together.
pub const BUDGET: usize = 8 * 1024 * 1024;

/// The largest answer kept (a page of 500 places in JSON, compressed, is well under it).
const MAX_ANSWER: usize = 512 * 1024;

/// The longest query string and `Accept-Encoding` kept as a key; longer ones are answered afresh.
const MAX_QUERY: usize = 1024;
const MAX_ENCODING: usize = 256;

/// An answer as it was sent.
struct Kept {
    version: u64,
    made: Instant,
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    size: usize,
}

impl Kept {
    fn response(&self) -> Response {
        let mut response = (self.status, Body::from(self.body.clone())).into_response();
        *response.headers_mut() = self.headers.clone();
        response
    }
}

struct Inner {
    answers: lru::LruCache<String, std::sync::Arc<Kept>>,
    bytes: usize,
}

/// Recent anonymous answers of the public search (see the module's documentation).
pub struct AnswerCache {
    inner: Mutex<Inner>,
}

impl Default for AnswerCache {
    fn default() -> Self {
        AnswerCache {
            inner: Mutex::new(Inner {
                answers: lru::LruCache::unbounded(),
                bytes: 0,
            }),
        }
    }
}

impl AnswerCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        match self.inner.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// The answer kept under `key` for this version of the directory, if still fresh.
    fn get(&self, key: &str, version: u64, now: Instant) -> Option<std::sync::Arc<Kept>> {
        let mut inner = self.lock();
        let kept = inner.answers.get(key)?.clone();
        if kept.version == version && now.duration_since(kept.made) <= MAX_AGE {
            return Some(kept);
        }
        inner.answers.pop(key);
        inner.bytes -= kept.size;
        None
    }

    fn put(&self, key: String, kept: Kept) {
        let mut inner = self.lock();
        let size = kept.size;
        if let Some(old) = inner.answers.put(key, std::sync::Arc::new(kept)) {
            inner.bytes -= old.size;
        }
        inner.bytes += size;
        while inner.bytes > BUDGET {
            match inner.answers.pop_lru() {
                Some((_, old)) => inner.bytes -= old.size,
                None => break,
            }
        }
    }

    /// Bytes held now (answers and keys).
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }

    /// Answers held now.
    pub fn len(&self) -> usize {
        self.lock().answers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The key of a request whose answer may be kept: its route and query, and the compressions
/// it accepts (the answer is kept compressed as negotiated). `None`: answered afresh.
fn key_of(request: &Request) -> Option<(String, &'static str)> {
    if request.method() != Method::GET {
        return None;
    }
    let route = ROUTES
        .iter()
        .find(|r| **r == request.uri().path())
        .copied()?;
    let headers = request.headers();
    if headers.contains_key(header::COOKIE) || headers.contains_key(header::AUTHORIZATION) {
        return None;
    }
    let query = request.uri().query().unwrap_or_default();
    let encoding = match headers.get(header::ACCEPT_ENCODING) {
        Some(v) => v.to_str().ok()?,
        None => "",
    };
    if query.len() > MAX_QUERY
        || encoding.len() > MAX_ENCODING
        || headers.get_all(header::ACCEPT_ENCODING).iter().count() > 1
    {
        return None;
    }
    Some((format!("{route}?{query}\n{encoding}"), route))
}

/// Whether an answer may be sent to others: a success that sets no cookie and does not forbid
/// keeping it.
fn shareable(response: &Response) -> bool {
    let headers = response.headers();
    response.status() == StatusCode::OK
        && !headers.contains_key(header::SET_COOKIE)
        && headers
            .get_all(header::CACHE_CONTROL)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .all(|v| !v.contains("no-store") && !v.contains("private"))
}

/// The middleware: serves a kept answer, or answers and keeps the answer when it may.
pub(crate) async fn answer(
    axum::extract::State(state): axum::extract::State<State>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let key = if state.app.keeps_answers() {
        key_of(&request)
    } else {
        None
    };
    let Some((key, route)) = key else {
        return next.run(request).await;
    };
    // The version is read before answering: an answer made while the directory changes is
    // kept under the older version, which nobody asks for any more.
    let version = state.app.directory_version();
    if let Some(kept) = state.answers.get(&key, version, started) {
        let metrics = state.app.metrics();
        metrics.answer_kept();
        metrics.request(route, "GET", kept.status.as_u16(), started.elapsed());
        return kept.response();
    }
    let response = next.run(request).await;
    if !shareable(&response) {
        return response;
    }
    let (parts, body) = response.into_parts();
    // The body is already whole in memory (a rendered page, a JSON list), compressed as it is
    // read here: reading it all costs no more than sending it.
    let body = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(body) => body,
        Err(e) => {
            tracing::warn!("réponse illisible pour le cache des réponses : {e}");
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                "La réponse n'a pas pu être lue ; merci de réessayer.",
            )
                .into_response();
        }
    };
    if body.len() <= MAX_ANSWER {
        let size = body.len()
            + key.len()
            + parts
                .headers
                .iter()
                .map(|(n, v)| n.as_str().len() + v.len())
                .sum::<usize>();
        state.answers.put(
            key,
            Kept {
                version,
                made: started,
                status: parts.status,
                headers: parts.headers.clone(),
                body: body.clone(),
                size,
            },
        );
    }
    Response::from_parts(parts, Body::from(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(version: u64, made: Instant, body: usize) -> Kept {
        Kept {
            version,
            made,
            status: StatusCode::OK,
            headers: HeaderMap::new(),
            body: Bytes::from(vec![b'x'; body]),
            size: body,
        }
    }

    #[test]
    fn an_answer_is_served_for_its_version_and_its_second_only() {
        let cache = AnswerCache::default();
        let now = Instant::now();
        cache.put("/?q=a".into(), kept(3, now, 10));
        assert!(cache.get("/?q=a", 3, now).is_some());
        assert!(cache.get("/?q=b", 3, now).is_none());
        assert!(
            cache
                .get("/?q=a", 3, now + MAX_AGE + Duration::from_millis(1))
                .is_none()
        );
        assert_eq!(cache.bytes(), 0, "a stale answer leaves at once");
        cache.put("/?q=a".into(), kept(3, now, 10));
        assert!(
            cache.get("/?q=a", 4, now).is_none(),
            "the directory changed"
        );
        assert!(cache.is_empty());
    }

    #[test]
    fn the_cache_stays_within_its_budget_least_recent_first() {
        let cache = AnswerCache::default();
        let now = Instant::now();
        let each = BUDGET / 4;
        for i in 0..4 {
            cache.put(format!("/?q={i}"), kept(1, now, each));
        }
        assert!(cache.get("/?q=0", 1, now).is_some());
        cache.put("/?q=4".into(), kept(1, now, each));
        assert!(cache.bytes() <= BUDGET);
        assert!(
            cache.get("/?q=1", 1, now).is_none(),
            "the least recently used left"
        );
        assert!(cache.get("/?q=0", 1, now).is_some());
        assert!(cache.get("/?q=4", 1, now).is_some());
        cache.put("/?q=4".into(), kept(1, now, 1));
        assert_eq!(cache.len(), 4);
        assert_eq!(
            cache.bytes(),
            3 * each + 1,
            "a replaced answer's size is given back"
        );
    }

    #[test]
    fn only_anonymous_searches_have_a_key() {
        let request = |uri: &str, header: Option<(header::HeaderName, &str)>| {
            let mut r = Request::builder().uri(uri);
            if let Some((name, value)) = header {
                r = r.header(name, value);
            }
            r.body(Body::empty()).map_err(|e| e.to_string())
        };
        let key = |r: Result<Request, String>| r.ok().and_then(|r| key_of(&r)).map(|(k, _)| k);
        assert_eq!(
            key(request(
                "/?q=atelier",
                Some((header::ACCEPT_ENCODING, "gzip"))
            )),
            Some("/?q=atelier\ngzip".to_string())
        );
        assert!(key(request("/api/v1/lieux?q=caf", None)).is_some());
        assert!(key(request("/?q=a", Some((header::COOKIE, "x=1")))).is_none());
        assert!(
            key(request(
                "/api/v1/lieux",
                Some((header::AUTHORIZATION, "Bearer k"))
            ))
            .is_none()
        );
        assert!(key(request("/lieux/abc", None)).is_none());
        assert!(key(request(&format!("/?q={}", "a".repeat(MAX_QUERY)), None)).is_none());
    }
}
