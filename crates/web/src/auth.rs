//! Sign-in: an opaque random session token in an `HttpOnly`, `SameSite=Lax` cookie — `Secure`
//! with the `__Host-` prefix whenever the site is served over https —, the session stored in the
//! database by the token's hash, with an expiry. Login attempts slow down per client and per
//! account ([`maillage_app::limits::LoginLimiter`]). Only the user id is kept in a session.
//!
//! [`Client`] names who is calling for the limits: the connection's address, or the one a
//! trusted reverse proxy writes in the header named by `MAILLAGE_CLIENT_IP_HEADER`.

use std::net::IpAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use maillage_app::User;
use maillage_domain::policy::Actor;

use crate::{AppError, PageError, State};

/// The session cookie over plain http (development, tests on loopback).
pub const COOKIE_NAME: &str = "maillage_session";
/// The session cookie over https: the `__Host-` prefix makes browsers refuse it unless it is
/// `Secure`, for this host only, on every path.
pub const SECURE_COOKIE_NAME: &str = "__Host-maillage_session";

/// The person signed in, if any.
#[derive(Clone, Default)]
pub struct Viewer {
    pub user: Option<User>,
    pub actor: Option<Actor>,
    pub session_id: Option<String>,
}

impl Viewer {
    pub fn actor(&self) -> Option<&Actor> {
        self.actor.as_ref()
    }
    pub fn signed_in(&self) -> bool {
        self.user.is_some()
    }
}

fn cookie_name(secure: bool) -> &'static str {
    if secure {
        SECURE_COOKIE_NAME
    } else {
        COOKIE_NAME
    }
}

fn session_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
        .filter(|v| v.len() == 64 && v.chars().all(|c| c.is_ascii_hexdigit()))
}

/// Who is calling, for the limits: `ip:<address>` (IPv6 addresses by their /64, what one
/// subscriber usually holds), or `ip:inconnue` when the server cannot tell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Client(pub String);

impl Client {
    pub fn key(&self) -> &str {
        &self.0
    }

    fn of(ip: Option<IpAddr>) -> Client {
        Client(match ip {
            Some(IpAddr::V4(v4)) => format!("ip:{v4}"),
            Some(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
                Some(v4) => format!("ip:{v4}"),
                None => {
                    let s = v6.segments();
                    format!("ip:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
                }
            },
            None => "ip:inconnue".to_string(),
        })
    }

    /// The client of a request: from the trusted proxy's header when one is configured (the
    /// last address of `X-Forwarded-For`, the one the proxy itself added), else the peer.
    pub fn from_parts(parts: &Parts, trusted_header: Option<&HeaderName>) -> Client {
        if let Some(name) = trusted_header {
            let from_header = parts
                .headers
                .get_all(name)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .filter_map(|a| a.trim().parse::<IpAddr>().ok())
                .next_back();
            if from_header.is_some() {
                return Client::of(from_header);
            }
        }
        Client::of(
            parts
                .extensions
                .get::<ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip()),
        )
    }
}

impl FromRequestParts<State> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &State) -> Result<Self, Self::Rejection> {
        Ok(Client::from_parts(
            parts,
            state.config.client_ip_header.as_ref(),
        ))
    }
}

impl FromRequestParts<State> for Viewer {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &State) -> Result<Self, Self::Rejection> {
        let Some(id) = session_cookie(&parts.headers, cookie_name(state.config.secure_cookies))
        else {
            return Ok(Viewer::default());
        };
        let now = chrono::Utc::now().timestamp();
        let Some((user, actor)) = state.app.session_user(&id, now).await? else {
            return Ok(Viewer::default());
        };
        Ok(Viewer {
            user: Some(user),
            actor,
            session_id: Some(id),
        })
    }
}

/// Opens a session for a user; returns the `Set-Cookie` value.
pub async fn open_session(state: &State, user_id: &str) -> Result<HeaderValue, AppError> {
    let hours = state
        .app
        .retention()
        .value(maillage_domain::retention::Kept::Sessions);
    let id = state.app.open_session(user_id, hours).await?;
    let secure = if state.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{}={id}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
        cookie_name(state.config.secure_cookies),
        hours * 3600
    ))
    .map_err(|e| AppError::Invalid(e.to_string()))
}

pub fn clear_cookie(state: &State) -> (axum::http::HeaderName, HeaderValue) {
    let secure = if state.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    (
        SET_COOKIE,
        HeaderValue::from_str(&format!(
            "{}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}",
            cookie_name(state.config.secure_cookies)
        ))
        .unwrap_or(HeaderValue::from_static(
            "maillage_session=; Path=/; Max-Age=0",
        )),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_is_read_only_when_well_formed_and_named_for_the_scheme() {
        let mut h = HeaderMap::new();
        let token = "a".repeat(64);
        h.insert(
            COOKIE,
            HeaderValue::from_str(&format!("x=1; {COOKIE_NAME}={token}")).expect("en-tête"),
        );
        assert_eq!(session_cookie(&h, COOKIE_NAME), Some(token.clone()));
        assert_eq!(
            session_cookie(&h, SECURE_COOKIE_NAME),
            None,
            "https : préfixe __Host-"
        );
        h.insert(
            COOKIE,
            HeaderValue::from_static("maillage_session=../../etc"),
        );
        assert_eq!(session_cookie(&h, COOKIE_NAME), None);
    }

    fn parts(peer: &str, headers: &[(&str, &str)]) -> Parts {
        let mut req = axum::http::Request::builder();
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let (mut parts, ()) = req.body(()).expect("requête").into_parts();
        parts.extensions.insert(ConnectInfo(
            peer.parse::<std::net::SocketAddr>().expect("adresse"),
        ));
        parts
    }

    #[test]
    fn the_client_is_the_peer_unless_a_trusted_proxy_says_otherwise() {
        let spoofed = parts("10.0.0.1:5000", &[("x-forwarded-for", "1.2.3.4")]);
        assert_eq!(Client::from_parts(&spoofed, None).key(), "ip:10.0.0.1");
        let xff = HeaderName::from_static("x-forwarded-for");
        let proxied = parts(
            "127.0.0.1:5000",
            &[("x-forwarded-for", "6.6.6.6, 203.0.113.9")],
        );
        assert_eq!(
            Client::from_parts(&proxied, Some(&xff)).key(),
            "ip:203.0.113.9",
            "the address the proxy added, not the one the client wrote"
        );
        let v6 = parts("[2001:db8:1:2:3:4:5:6]:443", &[]);
        assert_eq!(
            Client::from_parts(&v6, Some(&xff)).key(),
            "ip:2001:db8:1:2::/64"
        );
        let (bare, ()) = axum::http::Request::builder()
            .body(())
            .expect("requête")
            .into_parts();
        assert_eq!(Client::from_parts(&bare, None).key(), "ip:inconnue");
    }
}
