//! Long work started from a page (an import, a booklet): it runs in the background and reports
//! its progress; the page that follows it shows the stage and count, offers to interrupt, and
//! then shows the result. Interrupted work leaves nothing behind (see
//! [`maillage_domain::progress`]). Jobs live in memory: a restart forgets them, never the data.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use maillage_domain::progress::Progress;

use crate::AppError;

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
        content_type: &'static str,
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

/// The jobs of this server.
#[derive(Debug, Default)]
pub struct Jobs {
    jobs: Mutex<HashMap<String, Arc<Job>>>,
}

impl Jobs {
    /// Starts `work` in the background in `slot`, or — when `key` names a request identical to a
    /// job running or finished (with a result) and visible to `owner` — returns that job. Refused
    /// when the slot's limits are reached: [`MAX_PER_USER`] and [`MAX_SIGNED_IN`] for signed-in
    /// users, [`MAX_PER_CLIENT`] and [`MAX_ANONYMOUS`] for anonymous work (a pool of its own).
    pub fn start<F, Fut>(
        &self,
        title: String,
        owner: Option<String>,
        slot: Slot,
        key: Option<String>,
        work: F,
    ) -> Result<Arc<Job>, AppError>
    where
        F: FnOnce(Arc<Job>) -> Fut,
        Fut: Future<Output = Outcome> + Send + 'static,
    {
        self.start_admitted(title, owner, slot, key, work, || true)
    }

    /// [`Jobs::start`], asking `admit` (a rate limit) only when a new job would really start
    /// (not for a shared one): refused when it says no.
    pub fn start_admitted<F, Fut>(
        &self,
        title: String,
        owner: Option<String>,
        slot: Slot,
        key: Option<String>,
        work: F,
        admit: impl FnOnce() -> bool,
    ) -> Result<Arc<Job>, AppError>
    where
        F: FnOnce(Arc<Job>) -> Fut,
        Fut: Future<Output = Outcome> + Send + 'static,
    {
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
        {
            let mut jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
            jobs.retain(|_, j| !j.expired());
            if let Some(key) = &job.key
                && let Some(same) = jobs.values().find(|j| {
                    j.key.as_ref() == Some(key)
                        && (j.owner.is_none() || j.owner == job.owner)
                        && j.shareable()
                })
            {
                return Ok(same.clone());
            }
            let running: Vec<&Arc<Job>> = jobs.values().filter(|j| j.running()).collect();
            let count = |f: &dyn Fn(&Slot) -> bool| running.iter().filter(|j| f(&j.slot)).count();
            let refused = match &job.slot {
                Slot::User(u) => {
                    count(&|s| matches!(s, Slot::User(x) if x == u)) >= MAX_PER_USER
                        || count(&|s| matches!(s, Slot::User(_))) >= MAX_SIGNED_IN
                }
                Slot::Anonymous(c) => {
                    count(&|s| matches!(s, Slot::Anonymous(x) if x == c)) >= MAX_PER_CLIENT
                        || count(&|s| matches!(s, Slot::Anonymous(_))) >= MAX_ANONYMOUS
                }
            };
            if refused {
                return Err(AppError::TooMany(
                    "des travaux longs (imports, livrets) sont déjà en cours : réessayez dans une minute".into(),
                ));
            }
            if !admit() {
                return Err(AppError::TooMany(
                    "vous avez demandé beaucoup de livrets en peu de temps : réessayez dans une heure, ou connectez-vous".into(),
                ));
            }
            jobs.insert(job.id.clone(), job.clone());
        }
        let future = work(job.clone());
        let done = job.clone();
        tokio::spawn(async move {
            // A panic in the work must not leave the job "running" forever.
            let outcome = match tokio::spawn(future).await {
                Ok(outcome) => outcome,
                Err(e) => {
                    // The title may hold a file's name: the log names the job by its id.
                    tracing::error!("travail long {} arrêté : {e}", done.id);
                    Outcome::Failed(
                        "une erreur interne a arrêté le travail ; rien n'a été enregistré".into(),
                    )
                }
            };
            done.finish(outcome);
        });
        Ok(job)
    }

    /// A job, if it exists and the viewer may see it.
    pub fn get(&self, id: &str, viewer: Option<&str>) -> Option<Arc<Job>> {
        let jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        jobs.get(id)
            .filter(|j| j.owner.is_none() || j.owner.as_deref() == viewer)
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_job_reports_progress_can_be_interrupted_and_is_private() {
        let jobs = Jobs::default();
        let job = jobs
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
            .expect("démarré");
        tokio::time::sleep(Duration::from_millis(50)).await;
        let s = job.snapshot();
        assert_eq!((s.stage.as_str(), s.done, s.total), ("Étape", 3, Some(3)));
        assert!(s.outcome.is_none());
        assert!(
            jobs.get(&job.id, Some("u2")).is_none(),
            "le travail d'un autre"
        );
        assert!(jobs.get(&job.id, None).is_none());
        let mine = jobs.get(&job.id, Some("u1")).expect("le mien");
        mine.interrupt();
        mine.wait(Duration::from_secs(5)).await;
        assert!(matches!(
            mine.snapshot().outcome,
            Some(Outcome::Interrupted)
        ));
    }

    async fn slow(job: Arc<Job>) -> Outcome {
        while !job.interrupted() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        Outcome::Interrupted
    }

    async fn stop(jobs: &[Arc<Job>]) {
        for j in jobs {
            j.interrupt();
            j.wait(Duration::from_secs(5)).await;
        }
    }

    #[tokio::test]
    async fn slots_per_user_and_a_separate_pool_for_anonymous_work() {
        let jobs = Jobs::default();
        let user = |u: &str| Slot::User(u.into());
        let anon = |c: &str| Slot::Anonymous(c.into());
        let a1 = jobs
            .start("a1".into(), Some("a".into()), user("a"), None, slow)
            .expect("a1");
        let a2 = jobs
            .start("a2".into(), Some("a".into()), user("a"), None, slow)
            .expect("a2");
        assert!(
            jobs.start("a3".into(), Some("a".into()), user("a"), None, slow)
                .is_err(),
            "deux par compte"
        );
        // Anonymous work never takes a signed-in slot, and one client holds one slot.
        let x = jobs
            .start("x".into(), None, anon("ip:1"), None, slow)
            .expect("x");
        assert!(
            jobs.start("x2".into(), None, anon("ip:1"), None, slow)
                .is_err()
        );
        let y = jobs
            .start("y".into(), None, anon("ip:2"), None, slow)
            .expect("y");
        assert!(
            jobs.start("z".into(), None, anon("ip:3"), None, slow)
                .is_err(),
            "deux anonymes en tout"
        );
        let b1 = jobs
            .start("b1".into(), Some("b".into()), user("b"), None, slow)
            .expect("b n'est pas gêné par les anonymes");
        stop(std::slice::from_ref(&a1)).await;
        let a3 = jobs
            .start("a3".into(), Some("a".into()), user("a"), None, slow)
            .expect("a3, une place libérée");
        stop(&[a2, a3, x, y, b1]).await;
    }

    #[tokio::test]
    async fn identical_requests_share_one_job() {
        let jobs = Jobs::default();
        let key = Some("livret|54".to_string());
        let first = jobs
            .start(
                "l".into(),
                None,
                Slot::Anonymous("ip:1".into()),
                key.clone(),
                slow,
            )
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
            .expect("partagé");
        assert_eq!(first.id, same.id);
        let other = jobs
            .start(
                "l".into(),
                None,
                Slot::Anonymous("ip:2".into()),
                Some("livret|57".into()),
                slow,
            )
            .expect("autre zone");
        assert_ne!(other.id, first.id);
        stop(&[first.clone(), other]).await;
        // An interrupted job is not shared: the request starts again.
        let again = jobs
            .start("l".into(), None, Slot::Anonymous("ip:2".into()), key, slow)
            .expect("relancé");
        assert_ne!(again.id, first.id);
        stop(&[again]).await;
    }
}
