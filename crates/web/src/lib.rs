//! The web application of Maillage: accessible HTML pages (no JavaScript needed) and the JSON
//! API `/api/v1`, over the application services of [`app`].

pub mod accounts;
pub mod activity;
pub mod api;
pub mod app;
pub mod auth;
pub mod booklet;
pub mod campaigns;
pub mod dedup;
pub mod diagnostic;
pub mod filters;
pub mod impact;
pub mod jobs;
pub mod limits;
pub mod mail;
pub mod orientation;
pub mod pages;
pub mod quality;
pub mod referrals;
pub mod reports;
pub mod resources;
pub mod server;
pub mod upload;
pub mod watch;
pub mod workshops;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower_http::csrf::CsrfLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;

pub use app::{App, AppError};

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
}

const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The whole application: pages, API, static files, security layers.
pub fn router(app: App, config: Config) -> Router {
    let state = State {
        limits: app.limits.clone(),
        app,
        config,
    };
    Router::new()
        .merge(pages::routes())
        .nest("/api/v1", api::routes())
        .with_state(state)
        // Forms and JSON bodies are small; the upload routes raise this for themselves.
        .layer(axum::extract::DefaultBodyLimit::max(limits::FORM_BYTES))
        .layer(axum::middleware::from_fn(no_store_when_signed_in))
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
    let client_ip_header = match std::env::var("MAILLAGE_CLIENT_IP_HEADER") {
        Ok(v) if !v.trim().is_empty() => Some(
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
        secure_cookies: std::env::var("MAILLAGE_SECURE_COOKIES").is_ok_and(|v| v == "1")
            || app.public_url.starts_with("https://"),
        client_ip_header,
        tiles_url: match std::env::var("MAILLAGE_TILES_URL") {
            Ok(v) if v.trim() == "aucun" || v.trim().is_empty() => None,
            Ok(v) => Some(v.trim().to_string()),
            Err(_) => Some(DEFAULT_TILES_URL.to_string()),
        },
    };
    let listener = tokio::net::TcpListener::bind(addr).await?;
    // A new network starts with the field's sheets in its library (once).
    match app.seed_library().await {
        Ok(0) => {}
        Ok(n) => tracing::info!("ressourcerie : {n} ressource(s) initiale(s) chargée(s)"),
        Err(e) => tracing::warn!("ressourcerie, contenu initial : {e}"),
    }
    let check_links = std::env::var("MAILLAGE_LINK_CHECK").map_or(true, |v| v.trim() != "0");
    // Every hour: purge what is kept no longer than needed (expired sessions, reporters' and
    // campaigns' addresses past their retention), send the due reminders and digests, and check
    // a batch of the library's links (`MAILLAGE_LINK_CHECK=0` turns the checker off).
    let store = app.store.clone();
    let reminders = app.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tick.tick().await;
            if let Err(e) = store.purge_sessions(chrono::Utc::now().timestamp()).await {
                tracing::warn!("purge des sessions : {e}");
            }
            if let Err(e) = store
                .purge_password_resets(chrono::Utc::now().timestamp())
                .await
            {
                tracing::warn!("purge des liens de mot de passe : {e}");
            }
            // Reporters' e-mail addresses: erased 30 days after their report was resolved.
            let before = chrono::Utc::now()
                - chrono::Duration::days(maillage_domain::reports::EMAIL_RETENTION_DAYS);
            let before = before.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            if let Err(e) = store.purge_report_emails(&before).await {
                tracing::warn!("purge des adresses des signalements : {e}");
            }
            // Campaigns: addresses erased 30 days after the campaign is closed, expired links
            // deleted, due reminders sent.
            let now = chrono::Utc::now();
            if let Err(e) = store
                .purge_campaign_emails(
                    &before,
                    &now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                )
                .await
            {
                tracing::warn!("purge des adresses des campagnes : {e}");
            }
            // Followed persons past their keeping date (with their diagnostics), expired
            // drafts of tests taken alone.
            if let Err(e) = store
                .purge_diagnostics(&now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                .await
            {
                tracing::warn!("purge des diagnostics : {e}");
            }
            // The log of activity changes: a day is enough for every running instance (one
            // further behind reloads its statistics whole).
            let day_ago = (now - chrono::Duration::days(1))
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            if let Err(e) = store.purge_activity_changes(&day_ago).await {
                tracing::warn!("purge du journal des activités : {e}");
            }
            // Workshop registrations: erased 90 days after the workshop.
            let before = (crate::app::today() - chrono::Days::new(90)).to_string();
            if let Err(e) = store.purge_registrations(&before).await {
                tracing::warn!("purge des inscriptions aux ateliers : {e}");
            }
            match reminders.send_workshop_reminders(now).await {
                Ok(0) => {}
                Ok(n) => tracing::info!("ateliers : {n} rappel(s) envoyé(s)"),
                Err(e) => tracing::warn!("rappels des ateliers : {e}"),
            }
            match reminders.send_campaign_reminders(now).await {
                Ok(0) => {}
                Ok(n) => tracing::info!("campagnes : {n} rappel(s) envoyé(s)"),
                Err(e) => tracing::warn!("rappels des campagnes : {e}"),
            }
            // Watch: who received which item is forgotten after 90 days (beyond the digests'
            // five weeks).
            let before = (now - chrono::Duration::days(90))
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            if let Err(e) = store.purge_watch_deliveries(&before).await {
                tracing::warn!("purge des envois de la veille : {e}");
            }
            // Watch: Monday digests when due, and urgent items a failed sending left behind.
            match reminders.send_digests(now, false).await {
                Ok(0) => {}
                Ok(n) => tracing::info!("veille : {n} résumé(s) envoyé(s)"),
                Err(e) => tracing::warn!("résumés de la veille : {e}"),
            }
            if let Err(e) = reminders.resend_urgent_news(now).await {
                tracing::warn!("nouvelles urgentes : {e}");
            }
            // Referrals: reminders after a week without answer, expiry after 30 days, the
            // person's data erased 12 months after the journey closed.
            match reminders.run_referral_schedule(now).await {
                Ok((0, 0, 0)) => {}
                Ok((r, x, e)) => tracing::info!(
                    "orientations : {r} rappel(s), {x} expirée(s), {e} parcours effacé(s)"
                ),
                Err(e) => tracing::warn!("échéances des orientations : {e}"),
            }
            // Library: links due for a check (weekly; failing ones daily), a batch per hour.
            if check_links {
                match reminders.check_links(now, 200).await {
                    Ok(r) if r.offline => {
                        tracing::info!(
                            "liens : aucun site ne répond, serveur hors ligne ? rien n'est noté"
                        )
                    }
                    Ok(r) if r.checked > 0 => tracing::info!(
                        "liens : {} vérifié(s), {} en échec, {} signalé(s) morts",
                        r.checked,
                        r.failed,
                        r.newly_dead.len()
                    ),
                    Ok(_) => {}
                    Err(e) => tracing::warn!("vérification des liens : {e}"),
                }
            }
        }
    });
    server::serve(listener, router(app, config), async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        pages::message_page(self.status(), &self.public_message())
    }
}
