//! Long work started from a page (an import, a booklet): it runs in the background and reports
//! its progress; the page that follows it shows the stage and count, offers to interrupt, and
//! then shows the result. Interrupted work leaves nothing behind (see
//! [`maillage_domain::progress`]). Jobs run in the instance that started them: a restart forgets
//! them, never the data.
//!
//! Instances sharing a PostgreSQL base share their jobs too ([`Jobs::for_store`], issue #22):
//! each job has a row that its instance updates twice a second (stage, count) and where it
//! writes the result, so that the page of any instance behind the proxy follows it, interrupts
//! it (the running instance reads the request at its next beat) and serves its file; the slots
//! are counted over every instance, and identical requests share one job wherever it runs.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use maillage_domain::progress::Progress;
use maillage_store::{Claim, NewWork, SlotLimits, Store, WORK_STALE_MS, WorkOutcome, WorkRow};

use crate::AppError;
use crate::limits::now_ms;

/// How often a running job writes where it stands, when jobs are shared.
const BEAT: Duration = Duration::from_millis(500);
/// How often a page following a job of another instance looks again while it waits.
const POLL: Duration = Duration::from_millis(200);

/// Jobs of one signed-in user running at once, at most.
pub const MAX_PER_USER: usize = 2;
/// Jobs of signed-in users running at once, at most (the machine serves pages meanwhile).
pub const MAX_SIGNED_IN: usize = 4;
/// Anonymous jobs (public booklets) running at once, at most: a pool of their own, so that
/// anonymous work never takes a signed-in user's slot…
pub const MAX_ANONYMOUS: usize = 2;
/// …and one at a time per client.
pub const MAX_PER_CLIENT: usize = 1;

/// Whose slot a job takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Slot {
    /// A signed-in user (their id).
    User(String),
    /// Someone without an account, by client (see `maillage_web::auth::Client`).
    Anonymous(String),
}
/// Finished jobs are forgotten after this long (their result with them).
pub const KEEP_FINISHED: Duration = Duration::from_secs(3600);

/// How a job ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// A file to download (a booklet).
    File {
        name: String,
        content_type: String,
        bytes: Arc<Vec<u8>>,
        /// « 155 lieux, 54 pages ».
        summary: String,
    },
    /// A page to show (an import's report), with its HTTP status.
    Page {
        html: Arc<String>,
        status: u16,
    },
    Failed(String),
    Interrupted,
}

/// Where a job stands.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub stage: String,
    pub done: u64,
    pub total: Option<u64>,
    pub outcome: Option<Outcome>,
    pub elapsed: Duration,
}

#[derive(Debug, Default)]
struct State {
    stage: String,
    done: u64,
    total: Option<u64>,
    outcome: Option<Outcome>,
    finished_at: Option<Instant>,
}

/// One piece of long work.
#[derive(Debug)]
pub struct Job {
    pub id: String,
    /// « Livret : Meurthe-et-Moselle (54) ».
    pub title: String,
    /// Who started it (`None`: anyone holding the link, for public booklets).
    pub owner: Option<String>,
    slot: Slot,
    /// Identical requests (same key) share this job and its result.
    key: Option<String>,
    started: Instant,
    stop: AtomicBool,
    state: Mutex<State>,
    finished: tokio::sync::Notify,
}

impl Job {
    pub fn snapshot(&self) -> Snapshot {
        let s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        Snapshot {
            stage: s.stage.clone(),
            done: s.done,
            total: s.total,
            outcome: s.outcome.clone(),
            elapsed: self.started.elapsed(),
        }
    }

    /// Asks the work to stop at its next step.
    pub fn interrupt(&self) {
        self.stop.store(true, Ordering::SeqCst);
    }

    /// Waits until the job ends, at most `limit` (pages wait a little, so that short work
    /// shows its result at once).
    pub async fn wait(&self, limit: Duration) {
        if self.snapshot().outcome.is_some() {
            return;
        }
        let notified = self.finished.notified();
        if self.snapshot().outcome.is_some() {
            return;
        }
        let _ = tokio::time::timeout(limit, notified).await;
    }

    fn finish(&self, outcome: Outcome) {
        {
            let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
            s.outcome = Some(outcome);
            s.finished_at = Some(Instant::now());
        }
        self.finished.notify_waiters();
    }

    fn running(&self) -> bool {
        self.snapshot().outcome.is_none()
    }

    /// Running, or finished with a result worth sharing (not failed, not interrupted).
    fn shareable(&self) -> bool {
        !matches!(
            self.snapshot().outcome,
            Some(Outcome::Failed(_) | Outcome::Interrupted)
        )
    }

    fn expired(&self) -> bool {
        let s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.finished_at.is_some_and(|t| t.elapsed() > KEEP_FINISHED)
    }
}

impl Progress for Job {
    fn stage(&self, label: &str, steps: Option<u64>) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.stage = label.to_string();
        s.done = 0;
        s.total = steps;
    }

    fn advance(&self, steps: u64) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.done = s.done.saturating_add(steps);
    }

    fn interrupted(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }
}

impl From<&Outcome> for WorkOutcome {
    fn from(o: &Outcome) -> Self {
        match o {
            Outcome::File {
                name,
                content_type,
                bytes,
                summary,
            } => WorkOutcome::File {
                name: name.clone(),
                content_type: content_type.clone(),
                summary: summary.clone(),
                bytes: bytes.as_ref().clone(),
            },
            Outcome::Page { html, status } => WorkOutcome::Page {
                html: html.as_ref().clone(),
                status: *status,
            },
            Outcome::Failed(reason) => WorkOutcome::Failed(reason.clone()),
            Outcome::Interrupted => WorkOutcome::Interrupted,
        }
    }
}

impl From<WorkOutcome> for Outcome {
    fn from(o: WorkOutcome) -> Self {
        match o {
            WorkOutcome::File {
                name,
                content_type,
                summary,
                bytes,
            } => Outcome::File {
                name,
                content_type,
                bytes: Arc::new(bytes),
                summary,
            },
            WorkOutcome::Page { html, status } => Outcome::Page {
                html: Arc::new(html),
                status,
            },
            WorkOutcome::Failed(reason) => Outcome::Failed(reason),
            WorkOutcome::Interrupted => Outcome::Interrupted,
        }
    }
}

/// A job as a page shows it, whichever instance runs it.
#[derive(Debug, Clone)]
pub struct View {
    pub title: String,
    pub snapshot: Snapshot,
}

fn view_of_row(row: WorkRow) -> View {
    let elapsed = now_ms().saturating_sub(row.started_at);
    View {
        title: row.title,
        snapshot: Snapshot {
            stage: row.stage,
            done: row.done,
            total: row.total,
            outcome: row.outcome.map(Outcome::from),
            elapsed: Duration::from_millis(u64::try_from(elapsed).unwrap_or(0)),
        },
    }
}

fn refused_busy() -> AppError {
    AppError::TooMany(
        "des travaux longs (imports, livrets) sont déjà en cours : réessayez dans une minute"
            .into(),
    )
}

fn refused_rate() -> AppError {
    AppError::TooMany(
        "vous avez demandé beaucoup de livrets en peu de temps : réessayez dans une heure, ou connectez-vous".into(),
    )
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// The jobs of this server (and, when shared, of every instance of its base).
#[derive(Debug, Default)]
pub struct Jobs {
    jobs: Mutex<HashMap<String, Arc<Job>>>,
    /// Starts one at a time: counting the slots, asking the rate limit and recording the job.
    gate: tokio::sync::Mutex<()>,
    /// The base where jobs are shared between instances.
    board: Option<Store>,
}

impl Jobs {
    /// Jobs shared by every instance of `store`.
    pub fn shared(store: &Store) -> Self {
        Jobs {
            board: Some(store.clone()),
            ..Default::default()
        }
    }

    /// The jobs for instances of `store`: shared when the base may serve several
    /// (PostgreSQL), this instance's own otherwise.
    pub fn for_store(store: &Store) -> Self {
        match store {
            Store::Postgres(_) => Jobs::shared(store),
            Store::Sqlite(_) => Jobs::default(),
        }
    }

    /// Starts `work` in the background in `slot`, or — when `key` names a request identical to a
    /// job running or finished (with a result) and visible to `owner` — returns that job. Refused
    /// when the slot's limits are reached: [`MAX_PER_USER`] and [`MAX_SIGNED_IN`] for signed-in
    /// users, [`MAX_PER_CLIENT`] and [`MAX_ANONYMOUS`] for anonymous work (a pool of its own).
    /// Returns the job's id.
    pub async fn start<F, Fut>(
        &self,
        title: String,
        owner: Option<String>,
        slot: Slot,
        key: Option<String>,
        work: F,
    ) -> Result<String, AppError>
    where
        F: FnOnce(Arc<Job>) -> Fut,
        Fut: Future<Output = Outcome> + Send + 'static,
    {
        self.start_admitted(title, owner, slot, key, work, async { true })
            .await
    }

    /// [`Jobs::start`], asking `admit` (a rate limit) only when a new job would really start
    /// (not for a shared one, nor when the slots are taken): refused when it says no.
    pub async fn start_admitted<F, Fut>(
        &self,
        title: String,
        owner: Option<String>,
        slot: Slot,
        key: Option<String>,
        work: F,
        admit: impl Future<Output = bool>,
    ) -> Result<String, AppError>
    where
        F: FnOnce(Arc<Job>) -> Fut,
        Fut: Future<Output = Outcome> + Send + 'static,
    {
        let _gate = self.gate.lock().await;
        let job = Arc::new(Job {
            id: uuid::Uuid::new_v4().simple().to_string(),
            title,
            owner,
            slot,
            key,
            started: Instant::now(),
            stop: AtomicBool::new(false),
            state: Mutex::new(State {
                stage: "En attente".into(),
                ..Default::default()
            }),
            finished: tokio::sync::Notify::new(),
        });
        if let Some(same) = self.local_share(&job) {
            return Ok(same);
        }
        match &self.board {
            None => {
                if self.local_busy(&job.slot) {
                    return Err(refused_busy());
                }
                if !admit.await {
                    return Err(refused_rate());
                }
            }
            Some(store) => {
                let now = now_ms();
                if let Some(key) = &job.key
                    && let Some(same) = store
                        .work_shared(
                            key,
                            job.owner.as_deref(),
                            now - WORK_STALE_MS,
                            now - millis(KEEP_FINISHED),
                        )
                        .await?
                {
                    return Ok(same);
                }
                let (kind, slot_key, limits) = match &job.slot {
                    Slot::User(u) => (
                        "compte",
                        u.clone(),
                        SlotLimits {
                            per_slot: MAX_PER_USER,
                            per_kind: MAX_SIGNED_IN,
                        },
                    ),
                    Slot::Anonymous(c) => (
                        "anonyme",
                        client_digest(c),
                        SlotLimits {
                            per_slot: MAX_PER_CLIENT,
                            per_kind: MAX_ANONYMOUS,
                        },
                    ),
                };
                let claim = store
                    .work_claim(
                        &NewWork {
                            id: &job.id,
                            title: &job.title,
                            owner: job.owner.as_deref(),
                            slot_kind: kind,
                            slot_key: &slot_key,
                            share_key: job.key.as_deref(),
                            now,
                        },
                        limits,
                        admit,
                    )
                    .await?;
                match claim {
                    Claim::Started => {}
                    Claim::Busy => return Err(refused_busy()),
                    Claim::NotAdmitted => return Err(refused_rate()),
                }
            }
        }
        {
            let mut jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
            jobs.insert(job.id.clone(), job.clone());
        }
        let future = work(job.clone());
        let done = job.clone();
        let board = self.board.clone();
        tokio::spawn(async move {
            let mut handle = tokio::spawn(future);
            let ended = match &board {
                None => (&mut handle).await,
                Some(store) => {
                    let mut beat = tokio::time::interval(BEAT);
                    loop {
                        tokio::select! {
                            ended = &mut handle => break ended,
                            _ = beat.tick() => {
                                let s = done.snapshot();
                                match store.work_beat(&done.id, &s.stage, s.done, s.total, now_ms()).await {
                                    Ok(true) => done.interrupt(),
                                    Ok(false) => {}
                                    Err(e) => tracing::warn!("travail long {} : avancement non écrit : {e}", done.id),
                                }
                            }
                        }
                    }
                }
            };
            // A panic in the work must not leave the job "running" forever.
            let outcome = match ended {
                Ok(outcome) => outcome,
                Err(e) => {
                    // The title may hold a file's name: the log names the job by its id.
                    tracing::error!("travail long {} arrêté : {e}", done.id);
                    Outcome::Failed(
                        "une erreur interne a arrêté le travail ; rien n'a été enregistré".into(),
                    )
                }
            };
            if let Some(store) = &board
                && let Err(e) = store
                    .work_finish(&done.id, &WorkOutcome::from(&outcome), now_ms())
                    .await
            {
                tracing::warn!("travail long {} : résultat non écrit : {e}", done.id);
            }
            done.finish(outcome);
        });
        Ok(job.id.clone())
    }

    /// A job of this instance identical to `job` and visible to its owner (forgets the
    /// expired ones on the way).
    fn local_share(&self, job: &Job) -> Option<String> {
        let mut jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        jobs.retain(|_, j| !j.expired());
        let key = job.key.as_ref()?;
        jobs.values()
            .find(|j| {
                j.key.as_ref() == Some(key)
                    && (j.owner.is_none() || j.owner == job.owner)
                    && j.shareable()
            })
            .map(|j| j.id.clone())
    }

    /// Whether the slots of this instance are taken for `slot`.
    fn local_busy(&self, slot: &Slot) -> bool {
        let jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        let running: Vec<&Arc<Job>> = jobs.values().filter(|j| j.running()).collect();
        let count = |f: &dyn Fn(&Slot) -> bool| running.iter().filter(|j| f(&j.slot)).count();
        match slot {
            Slot::User(u) => {
                count(&|s| matches!(s, Slot::User(x) if x == u)) >= MAX_PER_USER
                    || count(&|s| matches!(s, Slot::User(_))) >= MAX_SIGNED_IN
            }
            Slot::Anonymous(c) => {
                count(&|s| matches!(s, Slot::Anonymous(x) if x == c)) >= MAX_PER_CLIENT
                    || count(&|s| matches!(s, Slot::Anonymous(_))) >= MAX_ANONYMOUS
            }
        }
    }

    /// A job of this instance, if it exists and the viewer may see it.
    pub fn get(&self, id: &str, viewer: Option<&str>) -> Option<Arc<Job>> {
        let jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        jobs.get(id)
            .filter(|j| j.owner.is_none() || j.owner.as_deref() == viewer)
            .cloned()
    }

    /// A job of another instance, if the base knows it and the viewer may see it.
    async fn remote(&self, id: &str, viewer: Option<&str>) -> Result<Option<WorkRow>, AppError> {
        let Some(store) = &self.board else {
            return Ok(None);
        };
        Ok(store
            .work(id)
            .await?
            .filter(|w| w.owner.is_none() || w.owner.as_deref() == viewer)
            .filter(|w| {
                w.outcome.is_some() || w.beat_at >= now_ms() - WORK_STALE_MS || w.stop_requested
            }))
    }

    /// Where a job stands, whichever instance runs it, after waiting at most `wait` for it to
    /// end (pages wait a little, so that short work shows its result at once). `None`: no such
    /// job for this viewer.
    pub async fn follow(
        &self,
        id: &str,
        viewer: Option<&str>,
        wait: Duration,
    ) -> Result<Option<View>, AppError> {
        if let Some(job) = self.get(id, viewer) {
            job.wait(wait).await;
            return Ok(Some(View {
                title: job.title.clone(),
                snapshot: job.snapshot(),
            }));
        }
        let deadline = Instant::now() + wait;
        loop {
            let Some(row) = self.remote(id, viewer).await? else {
                return Ok(None);
            };
            if row.outcome.is_some() || Instant::now() >= deadline {
                return Ok(Some(view_of_row(row)));
            }
            tokio::time::sleep(POLL.min(deadline.saturating_duration_since(Instant::now()))).await;
        }
    }

    /// Asks a job to stop, whichever instance runs it; `false`: no such job for this viewer.
    pub async fn interrupt(&self, id: &str, viewer: Option<&str>) -> Result<bool, AppError> {
        if let Some(job) = self.get(id, viewer) {
            job.interrupt();
            return Ok(true);
        }
        match (&self.board, self.remote(id, viewer).await?) {
            (Some(store), Some(_)) => {
                store.work_stop(id).await?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

/// The anonymous client as the base counts its slot: a digest, never its address.
fn client_digest(client: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"travaux\0");
    h.update(client.as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every rule holds for one instance's jobs and for jobs shared through a base.
    async fn each_way(check: impl AsyncFn(Jobs)) {
        check(Jobs::default()).await;
        let store = Store::connect("sqlite::memory:").await.expect("base");
        check(Jobs::shared(&store)).await;
    }

    fn local(jobs: &Jobs, id: &str, owner: Option<&str>) -> Arc<Job> {
        jobs.get(id, owner).expect("travail de cette instance")
    }

    #[tokio::test]
    async fn a_job_reports_progress_can_be_interrupted_and_is_private() {
        each_way(async |jobs| {
            let id = jobs
                .start(
                    "test".into(),
                    Some("u1".into()),
                    Slot::User("u1".into()),
                    None,
                    |job| async move {
                        job.stage("Étape", Some(3));
                        for _ in 0..3 {
                            job.advance(1);
                        }
                        // Waits until asked to stop.
                        while !job.interrupted() {
                            tokio::time::sleep(Duration::from_millis(5)).await;
                        }
                        Outcome::Interrupted
                    },
                )
                .await
                .expect("démarré");
            tokio::time::sleep(Duration::from_millis(50)).await;
            let s = local(&jobs, &id, Some("u1")).snapshot();
            assert_eq!((s.stage.as_str(), s.done, s.total), ("Étape", 3, Some(3)));
            assert!(s.outcome.is_none());
            assert!(jobs.get(&id, Some("u2")).is_none(), "le travail d'un autre");
            assert!(jobs.get(&id, None).is_none());
            assert!(
                jobs.follow(&id, Some("u2"), Duration::ZERO)
                    .await
                    .expect("suivi")
                    .is_none()
            );
            assert!(!jobs.interrupt(&id, Some("u2")).await.expect("refusé"));
            assert!(jobs.interrupt(&id, Some("u1")).await.expect("le mien"));
            let view = jobs
                .follow(&id, Some("u1"), Duration::from_secs(5))
                .await
                .expect("suivi")
                .expect("le mien");
            assert!(matches!(view.snapshot.outcome, Some(Outcome::Interrupted)));
        })
        .await;
    }

    async fn slow(job: Arc<Job>) -> Outcome {
        while !job.interrupted() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        Outcome::Interrupted
    }

    async fn stop(jobs: &Jobs, ids: &[&String]) {
        for id in ids {
            let job = local(jobs, id, None);
            job.interrupt();
            job.wait(Duration::from_secs(5)).await;
        }
    }

    #[tokio::test]
    async fn slots_per_user_and_a_separate_pool_for_anonymous_work() {
        each_way(async |jobs| {
            let user = |u: &str| Slot::User(u.into());
            let anon = |c: &str| Slot::Anonymous(c.into());
            let start = async |title: &str, owner: Option<&str>, slot: Slot| {
                jobs.start(title.into(), owner.map(String::from), slot, None, slow)
                    .await
            };
            let a1 = start("a1", None, user("a")).await.expect("a1");
            let a2 = start("a2", None, user("a")).await.expect("a2");
            assert!(
                start("a3", None, user("a")).await.is_err(),
                "deux par compte"
            );
            // Anonymous work never takes a signed-in slot, and one client holds one slot.
            let x = start("x", None, anon("ip:1")).await.expect("x");
            assert!(start("x2", None, anon("ip:1")).await.is_err());
            let y = start("y", None, anon("ip:2")).await.expect("y");
            assert!(
                start("z", None, anon("ip:3")).await.is_err(),
                "deux anonymes en tout"
            );
            let b1 = start("b1", None, user("b"))
                .await
                .expect("b n'est pas gêné par les anonymes");
            stop(&jobs, &[&a1]).await;
            // The shared board learns of the end when the instance writes it.
            tokio::time::sleep(Duration::from_millis(50)).await;
            let a3 = start("a3", None, user("a"))
                .await
                .expect("a3, une place libérée");
            stop(&jobs, &[&a2, &a3, &x, &y, &b1]).await;
        })
        .await;
    }

    #[tokio::test]
    async fn identical_requests_share_one_job() {
        each_way(async |jobs| {
            let key = Some("livret|54".to_string());
            let first = jobs
                .start(
                    "l".into(),
                    None,
                    Slot::Anonymous("ip:1".into()),
                    key.clone(),
                    slow,
                )
                .await
                .expect("premier");
            // Another client asking the same: the same job, no slot taken.
            let same = jobs
                .start(
                    "l".into(),
                    None,
                    Slot::Anonymous("ip:2".into()),
                    key.clone(),
                    slow,
                )
                .await
                .expect("partagé");
            assert_eq!(first, same);
            let other = jobs
                .start(
                    "l".into(),
                    None,
                    Slot::Anonymous("ip:2".into()),
                    Some("livret|57".into()),
                    slow,
                )
                .await
                .expect("autre zone");
            assert_ne!(other, first);
            stop(&jobs, &[&first, &other]).await;
            tokio::time::sleep(Duration::from_millis(50)).await;
            // An interrupted job is not shared: the request starts again.
            let again = jobs
                .start("l".into(), None, Slot::Anonymous("ip:2".into()), key, slow)
                .await
                .expect("relancé");
            assert_ne!(again, first);
            stop(&jobs, &[&again]).await;
        })
        .await;
    }

    /// Two instances over one base: what one runs, the other follows, interrupts and shares,
    /// and the slots are counted over both.
    #[tokio::test]
    async fn instances_sharing_a_base_see_each_others_jobs() {
        let dir = tempfile::tempdir().expect("dossier");
        let url = Store::sqlite_url_in(dir.path()).expect("adresse");
        let store = Store::connect(&url).await.expect("base");
        let (a, b) = (Jobs::shared(&store), Jobs::shared(&store));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let id = a
            .start(
                "Livret : Toul".into(),
                None,
                Slot::Anonymous("ip:1".into()),
                Some("livret|toul".into()),
                |job| async move {
                    job.stage("Pages", Some(10));
                    job.advance(4);
                    let _ = rx.await;
                    Outcome::File {
                        name: "livret.pdf".into(),
                        content_type: "application/pdf".into(),
                        bytes: Arc::new(b"%PDF-1.7".to_vec()),
                        summary: "4 lieux".into(),
                    }
                },
            )
            .await
            .expect("démarré sur A");
        // B follows it as it runs, once A has written where it stands.
        tokio::time::sleep(BEAT * 2).await;
        let seen = b
            .follow(&id, None, Duration::ZERO)
            .await
            .expect("suivi")
            .expect("vu de B");
        assert_eq!(seen.title, "Livret : Toul");
        assert_eq!(
            (
                seen.snapshot.stage.as_str(),
                seen.snapshot.done,
                seen.snapshot.total
            ),
            ("Pages", 4, Some(10))
        );
        assert!(seen.snapshot.outcome.is_none());
        // The same request made on B is the same job; the same client has no other slot there.
        let same = b
            .start(
                "Livret : Toul".into(),
                None,
                Slot::Anonymous("ip:2".into()),
                Some("livret|toul".into()),
                slow,
            )
            .await
            .expect("partagé");
        assert_eq!(same, id);
        assert!(
            b.start(
                "autre".into(),
                None,
                Slot::Anonymous("ip:1".into()),
                None,
                slow
            )
            .await
            .is_err(),
            "un travail par client, sur toutes les instances"
        );
        // B waits for the end and gets the file A made.
        let _ = tx.send(());
        let end = b
            .follow(&id, None, Duration::from_secs(10))
            .await
            .expect("suivi")
            .expect("vu de B");
        match end.snapshot.outcome {
            Some(Outcome::File { bytes, name, .. }) => {
                assert_eq!(
                    (name.as_str(), bytes.as_slice()),
                    ("livret.pdf", &b"%PDF-1.7"[..])
                );
            }
            other => panic!("fichier attendu : {other:?}"),
        }
        // Interrupted from B, stopped on A.
        let long = a
            .start(
                "Import".into(),
                Some("u1".into()),
                Slot::User("u1".into()),
                None,
                slow,
            )
            .await
            .expect("démarré");
        assert!(
            !b.interrupt(&long, Some("u2")).await.expect("refusé"),
            "pas le sien"
        );
        assert!(b.interrupt(&long, Some("u1")).await.expect("le sien"));
        let stopped = b
            .follow(&long, Some("u1"), Duration::from_secs(10))
            .await
            .expect("suivi")
            .expect("vu de B");
        assert!(matches!(
            stopped.snapshot.outcome,
            Some(Outcome::Interrupted)
        ));
    }
}
