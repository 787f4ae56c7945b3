//! Limits on what a client may make the server do: e-mail sent on behalf of someone without an
//! account, resume codes tried, login attempts, heavy work started. Every counter lives in
//! memory, is keyed by a client (its address, see `maillage_web::auth::Client`), an account or a
//! recipient, and forgets old keys so that its memory stays bounded whatever the traffic.
//!
//! Two shapes:
//! - [`RateLimiter`]: at most `max` events per key in a sliding window (e-mail, resume codes);
//! - [`Backoff`]: after a few failures, each new attempt waits twice as long as the previous one,
//!   up to a ceiling (login). A success clears only the key it names.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A form or a JSON body, at most (every route but the uploads below).
pub const FORM_BYTES: usize = 256 * 1024;
/// A file of places to import (page and API).
pub const IMPORT_BYTES: usize = 64 * 1024 * 1024;
/// A file of past activity records to import.
pub const ACTIVITY_IMPORT_BYTES: usize = 16 * 1024 * 1024;
/// A file of communes' indicators (every commune of France with every column: about 4 MB).
pub const INDICATORS_IMPORT_BYTES: usize = 20 * 1024 * 1024;

/// How many keys a counter keeps before it forgets the idle ones.
const MAX_KEYS: usize = 20_000;

/// At most `max` events per key in a sliding `window`.
#[derive(Debug)]
pub struct RateLimiter {
    max: usize,
    window: Duration,
    hits: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl RateLimiter {
    pub fn new(max: usize, window: Duration) -> Self {
        RateLimiter {
            max,
            window,
            hits: Mutex::default(),
        }
    }

    /// Counts an event for every key if each is under its limit (then `true`); otherwise
    /// counts nothing and says `false`.
    pub fn try_acquire(&self, keys: &[&str]) -> bool {
        self.try_acquire_at(keys, Instant::now())
    }

    /// Whether this key has used its events in the window (nothing counted).
    pub fn exhausted(&self, key: &str) -> bool {
        let now = Instant::now();
        let hits = self.hits.lock().unwrap_or_else(|e| e.into_inner());
        hits.get(key).is_some_and(|v| {
            v.iter()
                .filter(|t| now.duration_since(**t) < self.window)
                .count()
                >= self.max
        })
    }

    fn try_acquire_at(&self, keys: &[&str], now: Instant) -> bool {
        let mut hits = self.hits.lock().unwrap_or_else(|e| e.into_inner());
        if hits.len() > MAX_KEYS {
            let window = self.window;
            hits.retain(|_, v| v.back().is_some_and(|t| now.duration_since(*t) < window));
        }
        let under = keys.iter().all(|k| {
            hits.get(*k).is_none_or(|v| {
                v.iter()
                    .filter(|t| now.duration_since(**t) < self.window)
                    .count()
                    < self.max
            })
        });
        if under {
            for k in keys {
                let v = hits.entry((*k).to_string()).or_default();
                while v
                    .front()
                    .is_some_and(|t| now.duration_since(*t) >= self.window)
                {
                    v.pop_front();
                }
                v.push_back(now);
            }
        }
        under
    }
}

/// Increasing back-off after failures: the first `free` failures cost nothing; then each
/// attempt must wait `base × 2^(failures − free)`, at most `ceiling`. A key is forgotten after
/// `forget` without failure.
#[derive(Debug)]
pub struct Backoff {
    free: u32,
    base: Duration,
    ceiling: Duration,
    forget: Duration,
    entries: Mutex<HashMap<String, (u32, Instant)>>,
}

impl Backoff {
    pub fn new(free: u32, base: Duration, ceiling: Duration, forget: Duration) -> Self {
        Backoff {
            free,
            base,
            ceiling,
            forget,
            entries: Mutex::default(),
        }
    }

    fn delay(&self, failures: u32) -> Duration {
        if failures < self.free {
            return Duration::ZERO;
        }
        let doublings = (failures - self.free).min(20);
        self.base
            .saturating_mul(1u32 << doublings)
            .min(self.ceiling)
    }

    /// How long this key must still wait before its next attempt (zero: now).
    pub fn wait(&self, key: &str) -> Duration {
        self.wait_at(key, Instant::now())
    }

    fn wait_at(&self, key: &str, now: Instant) -> Duration {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        match entries.get(key) {
            Some((failures, last)) if now.duration_since(*last) < self.forget => {
                (*last + self.delay(*failures)).saturating_duration_since(now)
            }
            _ => Duration::ZERO,
        }
    }

    pub fn failed(&self, key: &str) {
        self.failed_at(key, Instant::now());
    }

    fn failed_at(&self, key: &str, now: Instant) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() > MAX_KEYS {
            let forget = self.forget;
            entries.retain(|_, (_, last)| now.duration_since(*last) < forget);
        }
        let e = entries.entry(key.to_string()).or_insert((0, now));
        if now.duration_since(e.1) >= self.forget {
            e.0 = 0;
        }
        e.0 = e.0.saturating_add(1);
        e.1 = now;
    }

    /// Forgets this key's failures (and only this key's).
    pub fn clear(&self, key: &str) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.remove(key);
    }
}

/// Login attempts. Three counters:
/// - per client: a client trying many accounts (password spraying) is slowed down to one try
///   every 15 minutes, and a success with one account does not clear it;
/// - per account, whatever the client: a distributed attack on one account is slowed down, but
///   only to one try a minute, so that nobody can lock somebody else out for long;
/// - per account and client: the owner of the account who mistyped waits as for the client.
///
/// A success clears the account's counters (not the client's).
#[derive(Debug)]
pub struct LoginLimiter {
    client: Backoff,
    account: Backoff,
    pair: Backoff,
}

impl Default for LoginLimiter {
    fn default() -> Self {
        let hour = Duration::from_secs(3600);
        LoginLimiter {
            client: Backoff::new(
                10,
                Duration::from_secs(2),
                Duration::from_secs(15 * 60),
                hour,
            ),
            account: Backoff::new(5, Duration::from_secs(1), Duration::from_secs(60), hour),
            pair: Backoff::new(
                5,
                Duration::from_secs(2),
                Duration::from_secs(15 * 60),
                hour,
            ),
        }
    }
}

impl LoginLimiter {
    fn keys(client: &str, account: &str) -> (String, String, String) {
        (
            client.to_string(),
            account.to_string(),
            format!("{account}\u{0}{client}"),
        )
    }

    /// How long this client must wait before trying this account (zero: now).
    pub fn wait(&self, client: &str, account: &str) -> Duration {
        let (c, a, p) = Self::keys(client, account);
        self.client
            .wait(&c)
            .max(self.account.wait(&a))
            .max(self.pair.wait(&p))
    }

    pub fn failed(&self, client: &str, account: &str) {
        let (c, a, p) = Self::keys(client, account);
        self.client.failed(&c);
        self.account.failed(&a);
        self.pair.failed(&p);
    }

    pub fn succeeded(&self, client: &str, account: &str) {
        let (_, a, p) = Self::keys(client, account);
        self.account.clear(&a);
        self.pair.clear(&p);
    }
}

/// The limits of a server, shared by pages, API and services.
#[derive(Debug)]
pub struct Limits {
    pub login: LoginLimiter,
    /// E-mail that someone without an account makes the server send (a slip, a workshop
    /// registration, an error report's acknowledgement, a password reset): per client…
    pub mail_per_client: RateLimiter,
    /// …and per recipient, so that nobody is flooded whatever the number of clients.
    pub mail_per_recipient: RateLimiter,
    /// Resume codes of the diagnostic tried per client.
    pub resume_codes: RateLimiter,
    /// Heavy anonymous work (a booklet) started per client.
    pub heavy_per_client: RateLimiter,
    /// Survey answers sent through personal links (no account) per client (a room of public
    /// computers shares one address)…
    pub survey_per_client: RateLimiter,
    /// …and per link (a link handed to a place's public).
    pub survey_per_link: RateLimiter,
}

impl Default for Limits {
    fn default() -> Self {
        let hour = Duration::from_secs(3600);
        Limits {
            login: LoginLimiter::default(),
            mail_per_client: RateLimiter::new(20, hour),
            mail_per_recipient: RateLimiter::new(5, hour),
            resume_codes: RateLimiter::new(20, Duration::from_secs(15 * 60)),
            heavy_per_client: RateLimiter::new(10, hour),
            survey_per_client: RateLimiter::new(60, hour),
            survey_per_link: RateLimiter::new(300, hour),
        }
    }
}

impl Limits {
    /// Whether e-mail may go to `recipient` at the request of `client` (counted if so).
    pub fn mail_allowed(&self, client: &str, recipient: &str) -> bool {
        let recipient = recipient.trim().to_lowercase();
        self.mail_per_client.try_acquire(&[client])
            && self.mail_per_recipient.try_acquire(&[recipient.as_str()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rate_limiter_counts_per_key_in_its_window() {
        let l = RateLimiter::new(2, Duration::from_secs(60));
        let t = Instant::now();
        assert!(l.try_acquire_at(&["a"], t));
        assert!(l.try_acquire_at(&["a"], t));
        assert!(!l.try_acquire_at(&["a"], t));
        assert!(l.try_acquire_at(&["b"], t), "une autre clé");
        // Refused for one key: nothing counted for the other.
        assert!(!l.try_acquire_at(&["b", "a"], t));
        assert!(l.try_acquire_at(&["b"], t));
        assert!(l.try_acquire_at(&["a"], t + Duration::from_secs(61)));
    }

    #[test]
    fn backoff_doubles_up_to_its_ceiling_and_is_forgotten() {
        let b = Backoff::new(
            2,
            Duration::from_secs(1),
            Duration::from_secs(8),
            Duration::from_secs(3600),
        );
        let t = Instant::now();
        for _ in 0..2 {
            assert_eq!(b.wait_at("k", t), Duration::ZERO);
            b.failed_at("k", t);
        }
        assert_eq!(b.wait_at("k", t), Duration::from_secs(1));
        b.failed_at("k", t);
        assert_eq!(b.wait_at("k", t), Duration::from_secs(2));
        for _ in 0..10 {
            b.failed_at("k", t);
        }
        assert_eq!(b.wait_at("k", t), Duration::from_secs(8), "plafond");
        assert_eq!(
            b.wait_at("k", t + Duration::from_secs(3601)),
            Duration::ZERO
        );
        b.clear("k");
        assert_eq!(b.wait_at("k", t), Duration::ZERO);
    }

    #[test]
    fn login_success_clears_the_account_not_the_client() {
        let l = LoginLimiter::default();
        // A client sprays many accounts: slowed down, and its own success does not help it.
        for i in 0..12 {
            l.failed("ip:1", &format!("compte:{i}"));
        }
        assert!(l.wait("ip:1", "compte:nouveau") > Duration::ZERO);
        l.succeeded("ip:1", "compte:mien");
        assert!(l.wait("ip:1", "compte:nouveau") > Duration::ZERO);
        // Someone else cannot lock an account out for long: at most a minute.
        for _ in 0..30 {
            l.failed("ip:2", "compte:victime");
        }
        let from_elsewhere = l.wait("ip:3", "compte:victime");
        assert!(from_elsewhere > Duration::ZERO && from_elsewhere <= Duration::from_secs(60));
        // The attacker's own client waits much longer.
        assert!(l.wait("ip:2", "compte:victime") > Duration::from_secs(60));
        l.succeeded("ip:3", "compte:victime");
        assert_eq!(l.wait("ip:3", "compte:victime"), Duration::ZERO);
    }

    #[test]
    fn mail_is_limited_per_client_and_per_recipient() {
        let l = Limits::default();
        for i in 0..5 {
            assert!(l.mail_allowed(&format!("ip:{i}"), "Personne@Exemple.fr"));
        }
        assert!(!l.mail_allowed("ip:9", "personne@exemple.fr"));
        let mut sent = 0;
        for i in 0..30 {
            if l.mail_allowed("ip:1", &format!("r{i}@exemple.fr")) {
                sent += 1;
            }
        }
        assert_eq!(sent, 19, "20 par client et par heure, dont un déjà envoyé");
    }
}
