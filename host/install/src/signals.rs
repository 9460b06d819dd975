//! Ctrl-C and `kill`: the first SIGINT or SIGTERM asks winst to stop at the next safe point and
//! roll back; a second one exits at once (the journal lets the next run recover). SIGXFSZ is
//! ignored so that a file-size limit makes a write fail with an error instead of killing winst
//! mid-transaction. Not here: what stopping means (see [`crate::txn`]).

use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use signal_hook::consts::{SIGINT, SIGTERM, SIGXFSZ};

static STOP: OnceLock<Arc<AtomicBool>> = OnceLock::new();

/// Installs the handlers; call once, early in `main`.
pub fn install() {
    let stop = STOP.get_or_init(|| Arc::new(AtomicBool::new(false)));
    for (signal, code) in [(SIGINT, 130), (SIGTERM, 143)] {
        // Order matters: the conditional exit sees the flag set by an earlier signal.
        let _ = signal_hook::flag::register_conditional_shutdown(signal, code, Arc::clone(stop));
        let _ = signal_hook::flag::register(signal, Arc::clone(stop));
    }
    let _ = signal_hook::flag::register(SIGXFSZ, Arc::new(AtomicBool::new(false)));
}

/// Whether the user asked winst to stop.
pub fn interrupted() -> bool {
    STOP.get().is_some_and(|s| s.load(Ordering::Relaxed))
}

/// An error if the user asked winst to stop.
pub fn check() -> anyhow::Result<()> {
    if interrupted() {
        anyhow::bail!("interrupted; nothing was changed");
    }
    Ok(())
}
