//! The web application of Maillage: accessible HTML pages (no JavaScript needed) and the JSON
//! API `/api/v1`, over the application services of [`maillage_app`].

pub mod answers;
pub mod api;
mod assets;
pub mod auth;
pub mod kit;
pub mod pages;
pub mod server;
pub mod upload;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower_http::csrf::CsrfLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;

use maillage_app::limits;
pub use maillage_app::{App, AppError, ErrorKind};

/// Settings of the web server.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// Marks session cookies `Secure` with the `__Host-` prefix: on whenever the public address
    /// is https (or `MAILLAGE_SECURE_COOKIES=1`).
    pub secure_cookies: bool,
    /// The header in which a trusted reverse proxy writes the client's address
    /// (`MAILLAGE_CLIENT_IP_HEADER`, e.g. `X-Forwarded-For`); `None`: the connection's peer.
    pub client_ip_header: Option<axum::http::HeaderName>,
    /// Map tiles, OpenStreetMap style (`https://…/{z}/{x}/{y}.png`); `None`: the map shows the
    /// places without a background (offline use).
    pub tiles_url: Option<String>,
}

/// Default tiles: OpenStreetMap's (set `MAILLAGE_TILES_URL` to your own for heavy use, or to
/// `aucun` to draw the places without a background).
pub const DEFAULT_TILES_URL: &str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";

/// What every handler receives.
#[derive(Clone)]
pub struct State {
    pub app: App,
    pub config: Config,
    /// Rate limits and back-offs (shared with the services through [`App::limits`]).
    pub limits: Arc<limits::Limits>,
    /// Recent anonymous answers of the public search ([`answers`]).
    pub answers: Arc<answers::AnswerCache>,
}

/// The compression level of answers (see the compression layer in [`router`]): zstd's level
/// for browsers that accept it, deflate's for gzip. At 2, deflate takes its fast path (the one
/// of zlib's level 1, nginx's default); zstd at 2 answers within −2 to +5 % of gzip at 4, for
/// the time of gzip at 2.
const COMPRESSION_LEVEL: i32 = 2;

const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The whole application: pages, API, static files, security layers.
pub fn router(app: App, config: Config) -> Router {
    let state = State {
        limits: app.limits.clone(),
        app,
        config,
        answers: Arc::default(),
    };
    let answers = axum::middleware::from_fn_with_state(state.clone(), answers::answer);
    Router::new()
        .merge(pages::routes())
        .nest("/api/v1", api::routes())
        // Every answer of a route counted and timed (`/metrics`), by its pattern.
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            count_request,
        ))
        .with_state(state)
        // Forms and JSON bodies are small; the upload routes raise this for themselves.
        .layer(axum::extract::DefaultBodyLimit::max(limits::FORM_BYTES))
        .layer(axum::middleware::from_fn(no_store_when_signed_in))
        // Pages, JSON and exports compressed when the browser asks (zstd, else gzip); images
        // and event streams are left as they are. Level 2 rather than 4: gzip's answers 7–9 %
        // larger (zstd's within −2 to +5 % of gzip at 4), for less than half of deflate's time
        // (docs/PERFORMANCE.md).
        .layer(
            tower_http::compression::CompressionLayer::new()
                .quality(tower_http::CompressionLevel::Precise(COMPRESSION_LEVEL)),
        )
        // The public search's anonymous answers, as compressed, kept for a second.
        .layer(answers)
        .layer(CsrfLayer::new())
        .layer(RequestBodyLimitLayer::new(
            limits::IMPORT_BYTES + 1024 * 1024,
        ))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(120),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::HeaderName::from_static("permissions-policy"),
            HeaderValue::from_static("geolocation=(), camera=(), microphone=()"),
        ))
}

/// Counts and times an answer, by the route's pattern (`/lieux/{id}`: never an id).
async fn count_request(
    axum::extract::State(state): axum::extract::State<State>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let method = request.method().to_string();
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    state.app.metrics().request(
        &route,
        &method,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

/// A response to a signed-in request is nobody else's: no cache (the browser's, a proxy's) may
/// keep it, unless it says it is public (the style sheet).
async fn no_store_when_signed_in(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let signed_in = request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains(auth::COOKIE_NAME));
    let mut response = next.run(request).await;
    let public = response
        .headers()
        .get(header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("public"));
    if signed_in && !public {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// Serves until Ctrl-C.
pub async fn serve(app: App, addr: &str) -> anyhow::Result<()> {
    let client_ip_header = match app.setting("MAILLAGE_CLIENT_IP_HEADER") {
        Some(v) if !v.trim().is_empty() => Some(
            axum::http::HeaderName::from_bytes(v.trim().to_ascii_lowercase().as_bytes()).map_err(
                |_| {
                    anyhow::anyhow!(
                        "MAILLAGE_CLIENT_IP_HEADER : « {v} » n'est pas un nom d'en-tête"
                    )
                },
            )?,
        ),
        _ => None,
    };
    let config = Config {
        secure_cookies: app
            .setting("MAILLAGE_SECURE_COOKIES")
            .is_some_and(|v| matches!(v.trim(), "1" | "true" | "oui"))
            || app.public_url.starts_with("https://"),
        client_ip_header,
        tiles_url: match app.setting("MAILLAGE_TILES_URL") {
            Some(v) if v.trim() == "aucun" || v.trim().is_empty() => None,
            Some(v) => Some(v.trim().to_string()),
            None => Some(DEFAULT_TILES_URL.to_string()),
        },
    };
    let listener = tokio::net::TcpListener::bind(addr).await?;
    // A new network starts with the field's sheets in its library (once).
    match app.seed_library().await {
        Ok(0) => {}
        Ok(n) => tracing::info!("ressourcerie : {n} ressource(s) initiale(s) chargée(s)"),
        Err(e) => tracing::warn!("ressourcerie, contenu initial : {e}"),
    }
    let check_links = app
        .setting("MAILLAGE_LINK_CHECK")
        .is_none_or(|v| !matches!(v.trim(), "0" | "false" | "non"));
    // Every hour, the scheduler's named jobs (`maillage_app::schedule`): purges past the keeping
    // delays, reminders, digests, a batch of the library's links (`MAILLAGE_LINK_CHECK=0` turns
    // the checker off); each job runs on one instance of the network only.
    let hourly = app.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tick.tick().await;
            hourly.run_hourly(chrono::Utc::now(), check_links).await;
        }
    });
    // The writes of other instances, and of command-line imports on the same base, reach this
    // one's index and caches through the change feed (`maillage_app::feed`).
    tokio::spawn(app.clone().follow_changes());
    server::serve(listener, router(app, config), async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}

/// The HTTP status of each kind of failure, for pages and API alike.
pub fn status_of(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::SignInRequired => StatusCode::UNAUTHORIZED,
        ErrorKind::Forbidden => StatusCode::FORBIDDEN,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::Gone => StatusCode::GONE,
        ErrorKind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorKind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorKind::TooMany => StatusCode::TOO_MANY_REQUESTS,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// A service's error answered as a page: its status and its French message.
#[derive(Debug)]
pub struct PageError(pub AppError);

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        PageError(e)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        pages::message_page(status_of(self.0.kind()), &self.0.public_message())
    }
}
