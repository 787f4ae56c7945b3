//! Progress of long commands in the terminal, and Ctrl-C as a clean interruption: the work
//! stops at its next step and leaves nothing behind (imports roll back, booklets are written
//! to a temporary file renamed at the end).

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use indicatif::{ProgressBar, ProgressStyle};
use maillage_domain::progress::Progress;

pub struct TerminalProgress {
    bar: ProgressBar,
    stop: Arc<AtomicBool>,
    terminal: bool,
}

impl TerminalProgress {
    /// A bar on stderr when it is a terminal (stage lines otherwise), and Ctrl-C caught.
    pub fn start() -> Arc<Self> {
        let terminal = std::io::stderr().is_terminal();
        let bar = if terminal {
            ProgressBar::new(0)
        } else {
            ProgressBar::hidden()
        };
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                flag.store(true, Ordering::SeqCst);
                eprintln!(
                    "\nInterruption demandée : arrêt à la prochaine étape, rien ne sera enregistré."
                );
            }
        });
        Arc::new(Self {
            bar,
            stop,
            terminal,
        })
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Progress for TerminalProgress {
    fn stage(&self, label: &str, steps: Option<u64>) {
        if !self.terminal {
            eprintln!("{label}…");
            return;
        }
        let template = if steps.is_some() {
            "{bar:30} {pos}/{len} {msg}"
        } else {
            "{spinner} {msg}"
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            self.bar.set_style(style);
        }
        self.bar.set_length(steps.unwrap_or(0));
        self.bar.set_position(0);
        self.bar.set_message(label.to_string());
        self.bar.tick();
    }

    fn advance(&self, steps: u64) {
        self.bar.inc(steps);
    }

    fn interrupted(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }
}
