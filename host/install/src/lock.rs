//! One winst at a time per environment: an exclusive `flock` on the environment's directory.
//!
//! The lock is taken on the directory itself (no lock file is left behind), is released by the
//! kernel when the process exits however it exits, and is advisory: it keeps winst processes
//! apart, not other programs. A second winst waits with a message, then fails after a timeout
//! (`WINST_LOCK_TIMEOUT` seconds, default 600). Not here: what is done under the lock.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// Held while winst works on an environment; dropping it releases the lock.
pub struct EnvLock {
    _dir: std::fs::File,
    /// The directory, when this process had to create it (removed again if still empty).
    created: Option<PathBuf>,
}

/// How long to wait for another winst: `WINST_LOCK_TIMEOUT` seconds, default 600.
fn timeout() -> Duration {
    std::env::var("WINST_LOCK_TIMEOUT")
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
        .unwrap_or(Duration::from_secs(600))
}

impl EnvLock {
    /// Locks `dir` (created if missing), waiting for another winst process if one holds it.
    pub fn acquire(dir: &Path) -> Result<EnvLock> {
        let created = if dir.exists() {
            None
        } else {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            Some(dir.to_path_buf())
        };
        let file = std::fs::File::open(dir)
            .with_context(|| format!("cannot open {} to lock it", dir.display()))?;
        let limit = timeout();
        let start = Instant::now();
        let mut told = false;
        loop {
            match winst_platform::try_lock_exclusive(&file) {
                Ok(true) => break,
                Ok(false) => {}
                Err(e) => {
                    return Err(e).with_context(|| format!("cannot lock {}", dir.display()));
                }
            }
            if start.elapsed() >= limit {
                bail!(
                    "another winst process is still working on {} after {:.0}s; wait for it to \
                     finish, or raise WINST_LOCK_TIMEOUT (seconds)",
                    dir.display(),
                    limit.as_secs_f64()
                );
            }
            if !told {
                log::info!(
                    "waiting for another winst process working on {}",
                    dir.display()
                );
                told = true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(EnvLock {
            _dir: file,
            created,
        })
    }
}

impl Drop for EnvLock {
    fn drop(&mut self) {
        if let Some(dir) = &self.created {
            let _ = std::fs::remove_dir(dir);
        }
    }
}
