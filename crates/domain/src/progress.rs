//! Progress of long work (imports, deduplication runs, booklets) and its interruption. The work
//! reports its stages and steps and asks, between steps, whether it should stop; the adapter
//! shows it (a bar in the CLI, a page that refreshes itself on the web). Work that stops
//! leaves nothing behind: it writes in one transaction, or to a file renamed at the end.

/// Why long work stopped before its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("interrompu à la demande : rien n'a été enregistré")]
pub struct Interrupted;

/// Receives the progress of long work.
pub trait Progress: Sync {
    /// A new stage begins (« Lecture du fichier »), with its number of steps if known.
    fn stage(&self, label: &str, steps: Option<u64>);
    /// Steps done in the current stage.
    fn advance(&self, steps: u64);
    /// Whether the work should stop now.
    fn interrupted(&self) -> bool {
        false
    }
    /// `Err(Interrupted)` when the work should stop: for `?` between steps.
    fn check(&self) -> Result<(), Interrupted> {
        if self.interrupted() {
            Err(Interrupted)
        } else {
            Ok(())
        }
    }
}

/// Progress nobody watches.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {
    fn stage(&self, _: &str, _: Option<u64>) {}
    fn advance(&self, _: u64) {}
}
