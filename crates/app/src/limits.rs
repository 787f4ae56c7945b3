//! Limits on what a client may make the server do: e-mail sent on behalf of someone without an
//! account, resume codes tried, login attempts, heavy work started. Every counter is keyed by a
//! client (its address, see `maillage_web::auth::Client`), an account or a recipient, and
//! forgets old keys so that what it holds stays bounded whatever the traffic.
//!
//! Where the counters live: in memory for one instance (SQLite), in the database when several
//! instances share a PostgreSQL base ([`Limits::shared`], issue #22), so that a client gets no
//! more tries by reaching another instance behind the proxy. There the keys are SHA-256 digests
//! (an address or an e-mail address is never written in clear) and, should the database not
//! answer, the instance counts in memory meanwhile rather than letting everything through.
//!
//! Two shapes:
//! - [`RateLimiter`]: at most `max` events per key in a sliding window (e-mail, resume codes);
//! - [`Backoff`]: after a few failures, each new attempt waits twice as long as the previous one,
//!   up to a ceiling (login). A success clears only the key it names.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use maillage_store::Store;
use sha2::{Digest, Sha256};

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

/// How long the database keeps a count, at most (the longest window or memory of failures is
/// an hour): the hourly purge forgets older rows.
pub const SHARED_KEEP: Duration = Duration::from_secs(24 * 3600);

/// Milliseconds since 1970, the time the instances of a base agree on.
pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// The key as written in the database: a digest of the counter's name and the key.
fn digest(counter: &str, key: &str) -> String {
    let mut h = Sha256::new();
    h.update(counter.as_bytes());
    h.update([0]);
    h.update(key.as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// A store error while counting: logged (without the key), and the instance counts alone.
fn unshared(counter: &str, e: maillage_store::StoreError) {
    tracing::warn!("compteur partagé « {counter} » injoignable, compté sur cette instance : {e}");
}

/// At most `max` events per key in a sliding `window`.
#[derive(Debug)]
pub struct RateLimiter {
    /// The counter's name in the database.
    name: &'static str,
    max: usize,
    window: Duration,
    hits: Mutex<HashMap<String, VecDeque<Instant>>>,
    shared: Option<Store>,
}

impl RateLimiter {
    pub fn new(name: &'static str, max: usize, window: Duration) -> Self {
        RateLimiter {
            name,
            max,
            window,
            hits: Mutex::default(),
            shared: None,
        }
    }

    fn shared_by(mut self, store: &Store) -> Self {
        self.shared = Some(store.clone());
        self
    }

    /// Counts an event for every key if each is under its limit (then `true`); otherwise
    /// counts nothing and says `false`.
    pub async fn try_acquire(&self, keys: &[&str]) -> bool {
        if let Some(store) = &self.shared {
            let digests: Vec<String> = keys.iter().map(|k| digest(self.name, k)).collect();
            let max = u32::try_from(self.max).unwrap_or(u32::MAX);
            match store
                .limit_try(self.name, &digests, max, millis(self.window), now_ms())
                .await
            {
                Ok(under) => return under,
                Err(e) => unshared(self.name, e),
            }
        }
        self.try_acquire_at(keys, Instant::now())
    }

    /// Whether this key has used its events in the window (nothing counted).
    pub async fn exhausted(&self, key: &str) -> bool {
        if let Some(store) = &self.shared {
            match store
                .limit_count(
                    self.name,
                    &digest(self.name, key),
                    millis(self.window),
                    now_ms(),
                )
                .await
            {
                Ok(n) => return n >= self.max,
                Err(e) => unshared(self.name, e),
            }
        }
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
    /// The counter's name in the database.
    name: &'static str,
    free: u32,
    base: Duration,
    ceiling: Duration,
    forget: Duration,
    entries: Mutex<HashMap<String, (u32, Instant)>>,
    shared: Option<Store>,
}

impl Backoff {
    pub fn new(
        name: &'static str,
        free: u32,
        base: Duration,
        ceiling: Duration,
        forget: Duration,
    ) -> Self {
        Backoff {
            name,
            free,
            base,
            ceiling,
            forget,
            entries: Mutex::default(),
            shared: None,
        }
    }

    fn shared_by(mut self, store: &Store) -> Self {
        self.shared = Some(store.clone());
        self
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
    pub async fn wait(&self, key: &str) -> Duration {
        if let Some(store) = &self.shared {
            match store
                .limit_failures(self.name, &digest(self.name, key))
                .await
            {
                Ok(None) => return Duration::ZERO,
                Ok(Some((failures, last))) => {
                    let since = now_ms().saturating_sub(last);
                    if since >= millis(self.forget) {
                        return Duration::ZERO;
                    }
                    let left = millis(self.delay(failures)).saturating_sub(since);
                    return Duration::from_millis(u64::try_from(left).unwrap_or(0));
                }
                Err(e) => unshared(self.name, e),
            }
        }
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

    pub async fn failed(&self, key: &str) {
        if let Some(store) = &self.shared {
            match store
                .limit_failed(
                    self.name,
                    &digest(self.name, key),
                    now_ms(),
                    millis(self.forget),
                )
                .await
            {
                Ok(()) => return,
                Err(e) => unshared(self.name, e),
            }
        }
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
    pub async fn clear(&self, key: &str) {
        if let Some(store) = &self.shared
            && let Err(e) = store
                .limit_cleared(self.name, &digest(self.name, key))
                .await
        {
            unshared(self.name, e);
        }
        self.clear_local(key);
    }

    fn clear_local(&self, key: &str) {
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
                "connexion-appareil",
                10,
                Duration::from_secs(2),
                Duration::from_secs(15 * 60),
                hour,
            ),
            account: Backoff::new(
                "connexion-compte",
                5,
                Duration::from_secs(1),
                Duration::from_secs(60),
                hour,
            ),
            pair: Backoff::new(
                "connexion-compte-appareil",
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

    fn shared_by(self, store: &Store) -> Self {
        LoginLimiter {
            client: self.client.shared_by(store),
            account: self.account.shared_by(store),
            pair: self.pair.shared_by(store),
        }
    }

    /// How long this client must wait before trying this account (zero: now).
    pub async fn wait(&self, client: &str, account: &str) -> Duration {
        let (c, a, p) = Self::keys(client, account);
        self.client
            .wait(&c)
            .await
            .max(self.account.wait(&a).await)
            .max(self.pair.wait(&p).await)
    }

    pub async fn failed(&self, client: &str, account: &str) {
        let (c, a, p) = Self::keys(client, account);
        self.client.failed(&c).await;
        self.account.failed(&a).await;
        self.pair.failed(&p).await;
    }

    pub async fn succeeded(&self, client: &str, account: &str) {
        let (_, a, p) = Self::keys(client, account);
        self.account.clear(&a).await;
        self.pair.clear(&p).await;
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
            mail_per_client: RateLimiter::new("courriels-appareil", 20, hour),
            mail_per_recipient: RateLimiter::new("courriels-destinataire", 5, hour),
            resume_codes: RateLimiter::new("codes-reprise", 20, Duration::from_secs(15 * 60)),
            heavy_per_client: RateLimiter::new("travaux-lourds", 10, hour),
            survey_per_client: RateLimiter::new("enquetes-appareil", 60, hour),
            survey_per_link: RateLimiter::new("enquetes-lien", 300, hour),
        }
    }
}

impl Limits {
    /// The limits of instances sharing `store`: every counter lives in the database.
    pub fn shared(store: &Store) -> Self {
        let l = Limits::default();
        Limits {
            login: l.login.shared_by(store),
            mail_per_client: l.mail_per_client.shared_by(store),
            mail_per_recipient: l.mail_per_recipient.shared_by(store),
            resume_codes: l.resume_codes.shared_by(store),
            heavy_per_client: l.heavy_per_client.shared_by(store),
            survey_per_client: l.survey_per_client.shared_by(store),
            survey_per_link: l.survey_per_link.shared_by(store),
        }
    }

    /// The limits for instances of `store`: shared when the base may serve several
    /// (PostgreSQL), in memory otherwise.
    pub fn for_store(store: &Store) -> Self {
        match store {
            Store::Postgres(_) => Limits::shared(store),
            Store::Sqlite(_) => Limits::default(),
        }
    }

    /// Whether e-mail may go to `recipient` at the request of `client` (counted if so).
    pub async fn mail_allowed(&self, client: &str, recipient: &str) -> bool {
        let recipient = recipient.trim().to_lowercase();
        self.mail_per_client.try_acquire(&[client]).await
            && self
                .mail_per_recipient
                .try_acquire(&[recipient.as_str()])
                .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rate_limiter_counts_per_key_in_its_window() {
        let l = RateLimiter::new("essai", 2, Duration::from_secs(60));
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
            "essai",
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
        b.clear_local("k");
        assert_eq!(b.wait_at("k", t), Duration::ZERO);
    }

    /// Every rule holds in memory (one instance) and in the database (instances sharing it).
    async fn each_way(check: impl AsyncFn(Limits)) {
        check(Limits::default()).await;
        let store = Store::connect("sqlite::memory:").await.expect("base");
        check(Limits::shared(&store)).await;
    }

    #[tokio::test]
    async fn login_success_clears_the_account_not_the_client() {
        each_way(async |limits| {
            let l = &limits.login;
            // A client sprays many accounts: slowed down, and its own success does not help it.
            for i in 0..12 {
                l.failed("ip:1", &format!("compte:{i}")).await;
            }
            assert!(l.wait("ip:1", "compte:nouveau").await > Duration::ZERO);
            l.succeeded("ip:1", "compte:mien").await;
            assert!(l.wait("ip:1", "compte:nouveau").await > Duration::ZERO);
            // Someone else cannot lock an account out for long: at most a minute.
            for _ in 0..30 {
                l.failed("ip:2", "compte:victime").await;
            }
            let from_elsewhere = l.wait("ip:3", "compte:victime").await;
            assert!(from_elsewhere > Duration::ZERO && from_elsewhere <= Duration::from_secs(60));
            // The attacker's own client waits much longer.
            assert!(l.wait("ip:2", "compte:victime").await > Duration::from_secs(60));
            l.succeeded("ip:3", "compte:victime").await;
            assert_eq!(l.wait("ip:3", "compte:victime").await, Duration::ZERO);
        })
        .await;
    }

    #[tokio::test]
    async fn mail_is_limited_per_client_and_per_recipient() {
        each_way(async |l| {
            for i in 0..5 {
                assert!(
                    l.mail_allowed(&format!("ip:{i}"), "Personne@Exemple.fr")
                        .await
                );
            }
            assert!(!l.mail_allowed("ip:9", "personne@exemple.fr").await);
            let mut sent = 0;
            for i in 0..30 {
                if l.mail_allowed("ip:1", &format!("r{i}@exemple.fr")).await {
                    sent += 1;
                }
            }
            assert_eq!(sent, 19, "20 par client et par heure, dont un déjà envoyé");
            assert!(l.mail_per_client.exhausted("ip:1").await);
            assert!(!l.mail_per_client.exhausted("ip:2").await);
        })
        .await;
    }

    #[tokio::test]
    async fn the_database_holds_digests_and_forgets_them() {
        let store = Store::connect("sqlite::memory:").await.expect("base");
        let l = Limits::shared(&store);
        assert!(l.mail_allowed("ip:192.0.2.7", "personne@exemple.fr").await);
        l.login.failed("ip:192.0.2.7", "personne@exemple.fr").await;
        let Store::Sqlite(pool) = &store else {
            unreachable!("une base SQLite")
        };
        let keys: Vec<String> = sqlx::query_scalar(
            "SELECT key FROM limit_hits UNION ALL SELECT key FROM limit_failures",
        )
        .fetch_all(pool)
        .await
        .expect("clés");
        assert_eq!(keys.len(), 5, "{keys:?}");
        assert!(
            keys.iter()
                .all(|k| k.len() == 64 && k.chars().all(|c| c.is_ascii_hexdigit())),
            "{keys:?}"
        );
        let later = now_ms() + millis(SHARED_KEEP) + 1;
        assert_eq!(store.purge_shared(later).await.expect("purge"), 5);
    }
}
