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

use crate::app::AppError;

/// Jobs running at once, at most (the machine serves pages meanwhile).
pub const MAX_RUNNING: usize = 2;
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
    /// Starts `work` in the background. Refused when [`MAX_RUNNING`] jobs already run.
    pub fn start<F, Fut>(
        &self,
        title: String,
        owner: Option<String>,
        work: F,
    ) -> Result<Arc<Job>, AppError>
    where
        F: FnOnce(Arc<Job>) -> Fut,
        Fut: Future<Output = Outcome> + Send + 'static,
    {
        let job = Arc::new(Job {
            id: uuid::Uuid::new_v4().simple().to_string(),
            title,
            owner,
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
            if jobs.values().filter(|j| j.running()).count() >= MAX_RUNNING {
                return Err(AppError::Invalid(
                    "deux travaux longs (imports, livrets) sont déjà en cours : réessayez dans une minute".into(),
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
                    tracing::error!("travail long « {} » arrêté : {e}", done.title);
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
            .start("test".into(), Some("u1".into()), |job| async move {
                job.stage("Étape", Some(3));
                for _ in 0..3 {
                    job.advance(1);
                }
                // Waits until asked to stop.
                while !job.interrupted() {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                Outcome::Interrupted
            })
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

    #[tokio::test]
    async fn no_more_than_two_at_once() {
        let jobs = Jobs::default();
        let slow = |job: Arc<Job>| async move {
            while !job.interrupted() {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            Outcome::Interrupted
        };
        let a = jobs.start("a".into(), None, slow).expect("a");
        let b = jobs.start("b".into(), None, slow).expect("b");
        assert!(jobs.start("c".into(), None, slow).is_err());
        a.interrupt();
        a.wait(Duration::from_secs(5)).await;
        let c = jobs
            .start("c".into(), None, slow)
            .expect("c, une place libérée");
        for j in [b, c] {
            j.interrupt();
            j.wait(Duration::from_secs(5)).await;
        }
    }
}
