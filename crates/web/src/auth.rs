//! Sign-in: an opaque random session token in an `HttpOnly`, `SameSite=Lax` cookie (`Secure`
//! when served over TLS), the session stored in the database with an expiry; login attempts
//! limited per address and account. Only the user id is kept in a session.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use maillage_domain::policy::Actor;
use maillage_store::{SessionRecord, User};
use rand::RngCore;

use crate::{AppError, State};

pub const COOKIE_NAME: &str = "maillage_session";
const SESSION_HOURS: i64 = 10;

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

fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE_NAME)
        .map(|(_, v)| v.to_string())
        .filter(|v| v.len() == 64 && v.chars().all(|c| c.is_ascii_hexdigit()))
}

impl FromRequestParts<State> for Viewer {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &State) -> Result<Self, Self::Rejection> {
        let Some(id) = session_cookie(&parts.headers) else {
            return Ok(Viewer::default());
        };
        let now = chrono::Utc::now().timestamp();
        let Some(record) = state.app.store.load_session(&id, now).await? else {
            return Ok(Viewer::default());
        };
        let user = state.app.store.user(&record.data).await?;
        let actor = match &user {
            Some(u) => state.app.store.actor(&u.id).await?,
            None => None,
        };
        Ok(Viewer {
            user,
            actor,
            session_id: Some(id),
        })
    }
}

/// Opens a session for a user; returns the `Set-Cookie` value.
pub async fn open_session(state: &State, user_id: &str) -> Result<HeaderValue, AppError> {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let id: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let expires_at = chrono::Utc::now().timestamp() + SESSION_HOURS * 3600;
    state
        .app
        .store
        .save_session(&SessionRecord {
            id: id.clone(),
            data: user_id.to_string(),
            expires_at,
        })
        .await?;
    let secure = if state.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{COOKIE_NAME}={id}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
        SESSION_HOURS * 3600
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
            "{COOKIE_NAME}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"
        ))
        .unwrap_or(HeaderValue::from_static(
            "maillage_session=; Path=/; Max-Age=0",
        )),
    )
}

/// Login attempts: at most `MAX` failures per key in a sliding window.
#[derive(Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

impl LoginLimiter {
    const MAX: usize = 5;
    const WINDOW: Duration = Duration::from_secs(15 * 60);

    fn with<T>(&self, f: impl FnOnce(&mut HashMap<String, Vec<Instant>>) -> T) -> T {
        match self.failures.lock() {
            Ok(mut g) => f(&mut g),
            Err(p) => f(&mut p.into_inner()),
        }
    }

    /// Whether a new attempt is allowed for these keys (client address, account).
    pub fn allowed(&self, keys: &[String]) -> bool {
        let now = Instant::now();
        self.with(|m| {
            keys.iter().all(|k| {
                let v = m.entry(k.clone()).or_default();
                v.retain(|t| now.duration_since(*t) < Self::WINDOW);
                v.len() < Self::MAX
            })
        })
    }

    pub fn failed(&self, keys: &[String]) {
        let now = Instant::now();
        self.with(|m| {
            for k in keys {
                m.entry(k.clone()).or_default().push(now);
            }
            // Bounded memory: forget old keys.
            if m.len() > 10_000 {
                m.retain(|_, v| v.iter().any(|t| now.duration_since(*t) < Self::WINDOW));
            }
        });
    }

    pub fn succeeded(&self, keys: &[String]) {
        self.with(|m| {
            for k in keys {
                m.remove(k);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limiter_blocks_after_five_failures() {
        let l = LoginLimiter::default();
        let keys = vec!["ip:1".to_string(), "compte:a@b.fr".to_string()];
        for _ in 0..5 {
            assert!(l.allowed(&keys));
            l.failed(&keys);
        }
        assert!(!l.allowed(&keys));
        assert!(!l.allowed(&["compte:a@b.fr".to_string()]));
        assert!(l.allowed(&["ip:2".to_string()]));
        l.succeeded(&keys);
        assert!(l.allowed(&keys));
    }

    #[test]
    fn cookie_is_read_only_when_well_formed() {
        let mut h = HeaderMap::new();
        let token = "a".repeat(64);
        h.insert(
            COOKIE,
            HeaderValue::from_str(&format!("x=1; {COOKIE_NAME}={token}")).expect("en-tête"),
        );
        assert_eq!(session_cookie(&h), Some(token));
        h.insert(
            COOKIE,
            HeaderValue::from_static("maillage_session=../../etc"),
        );
        assert_eq!(session_cookie(&h), None);
    }
}
