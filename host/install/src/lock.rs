//! One winst at a time per environment: an exclusive `flock` on the environment's directory.
//!
//! The lock is taken on the directory itself (no lock file is left behind), is released by the
//! kernel when the process exits however it exits, and is advisory: it keeps winst processes
//! apart, not other programs. A second winst waits with a message, then fails after a timeout
//! (`WINST_LOCK_TIMEOUT` seconds, default 600).
//!
//! An environment directory that does not exist yet (`--target` or `--prefix` naming a new
//! path) is created with its missing parents, and whatever of them is still empty when the lock
//! is released is removed again, innermost first: a failed install into a new directory leaves
//! nothing behind, a successful one leaves what it installed. A transaction journals the
//! directories made for its lock ([`made_for`]), so that after a crash the command that
//! recovers it takes them over ([`EnvLock::adopt`]) and removes them in the same way. Not here:
//! what is done under the lock.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

/// Held while winst works on an environment; dropping it releases the lock.
pub struct EnvLock {
    /// The locked directory, open (`None` only while it is being locked).
    _file: Option<std::fs::File>,
    /// The locked directory's path.
    dir: PathBuf,
    /// The directories this process created to lock `dir` (`dir` and its missing parents,
    /// outermost first); removed again, innermost first, while empty.
    created: Vec<PathBuf>,
}

/// The directories made for each lock this process holds, by locked directory (see
/// [`made_for`]).
static MADE: Mutex<Vec<(PathBuf, Vec<PathBuf>)>> = Mutex::new(Vec::new());

/// The directories made for the lock this process holds on `dir` (`dir` and parents that did
/// not exist, outermost first; empty when `dir` existed): what a transaction journals so that
/// recovery after a crash can remove them (see [`EnvLock::adopt`]).
pub(crate) fn made_for(dir: &Path) -> Vec<PathBuf> {
    let made = MADE.lock().unwrap_or_else(|e| e.into_inner());
    (made.iter())
        .find(|(locked, _)| locked == dir)
        .map(|(_, dirs)| dirs.clone())
        .unwrap_or_default()
}

/// Whether `path` is still the directory `file` has open (its holder may have removed it).
fn same_file(file: &std::fs::File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt as _;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => (a.dev(), a.ino()) == (b.dev(), b.ino()),
        _ => false,
    }
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
    /// Locks `dir` (created with its missing parents if missing), waiting for another winst
    /// process if one holds it. A directory the holder removed meanwhile (it had created it and
    /// left it empty) is made again and locked anew.
    ///
    /// Errors: a directory that cannot be created or opened (what was created is removed
    /// again), the lock's own error, or the timeout.
    pub fn acquire(dir: &Path) -> Result<EnvLock> {
        let mut lock = EnvLock {
            _file: None,
            dir: PathBuf::new(),
            created: Vec::new(),
        };
        let limit = timeout();
        let start = Instant::now();
        let mut told = false;
        let too_long = || {
            anyhow::anyhow!(
                "another winst process is still working on {} after {:.0}s; wait for it to \
                 finish, or raise WINST_LOCK_TIMEOUT (seconds)",
                dir.display(),
                limit.as_secs_f64()
            )
        };
        loop {
            lock.create(dir)?;
            let file = std::fs::File::open(dir)
                .with_context(|| format!("cannot open {} to lock it", dir.display()))?;
            while !winst_platform::try_lock_exclusive(&file)
                .with_context(|| format!("cannot lock {}", dir.display()))?
            {
                if start.elapsed() >= limit {
                    return Err(too_long());
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
            if same_file(&file, dir) {
                lock._file = Some(file);
                lock.dir = dir.to_path_buf();
                lock.publish();
                return Ok(lock);
            }
            if start.elapsed() >= limit {
                return Err(too_long());
            }
        }
    }

    /// Creates `dir` and its missing parents one by one, outermost first, noting each one made
    /// here (one another process made meanwhile is not this process's to remove).
    fn create(&mut self, dir: &Path) -> Result<()> {
        // Another winst that made the same parents for the same directory removes them when
        // its command fails: a parent gone under this one's feet means starting over.
        let mut attempts = 0;
        'again: loop {
            let mut missing = Vec::new();
            let mut p = Some(dir);
            while let Some(path) = p.filter(|p| !p.as_os_str().is_empty() && !p.exists()) {
                missing.push(path);
                p = path.parent();
            }
            for path in missing.into_iter().rev() {
                match std::fs::create_dir(path) {
                    Ok(()) if !self.created.iter().any(|c| c == path) => {
                        self.created.push(path.to_path_buf());
                    }
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound && attempts < 8 => {
                        attempts += 1;
                        continue 'again;
                    }
                    Err(e) => {
                        return Err(e).with_context(|| format!("cannot create {}", path.display()));
                    }
                }
            }
            // Outermost first, also when a second pass made outer directories again (after
            // another winst removed them).
            self.created.sort_by_key(|d| d.components().count());
            return Ok(());
        }
    }

    /// The directories this process created for the lock, outermost first.
    pub fn created(&self) -> &[PathBuf] {
        &self.created
    }

    /// Takes over directories a crashed winst made for its lock on this directory (from its
    /// journal: see [`crate::txn::Recovery::made`]): removed like those made here, while empty
    /// when this lock is released, and journaled again by this process's transaction. Only the
    /// locked directory and its parents are taken; anything else is ignored.
    pub fn adopt(&mut self, dirs: &[PathBuf]) {
        for d in dirs {
            if self.dir.starts_with(d) && !self.created.contains(d) {
                self.created.push(d.clone());
            }
        }
        self.created.sort_by_key(|d| d.components().count());
        self.publish();
    }

    /// Makes [`made_for`] answer for this lock.
    fn publish(&self) {
        let mut made = MADE.lock().unwrap_or_else(|e| e.into_inner());
        made.retain(|(locked, _)| *locked != self.dir);
        if !self.created.is_empty() {
            made.push((self.dir.clone(), self.created.clone()));
        }
    }
}

impl Drop for EnvLock {
    /// Removes the directories created for the lock that are still empty, innermost first
    /// (stopping at the first that is not), then releases the lock.
    ///
    /// Every empty directory from the locked one up to the outermost one made here goes, also
    /// one another winst made inside those at the same time (two commands making one new
    /// path each make some of its directories). Left to that other winst, it would remove its
    /// own but not this one's around them, which it found made. It is waiting for this lock
    /// on the directory removed, and so makes it again (see [`EnvLock::acquire`]).
    fn drop(&mut self) {
        if !self.created.is_empty() {
            let mut made = MADE.lock().unwrap_or_else(|e| e.into_inner());
            made.retain(|(locked, _)| *locked != self.dir);
        }
        let Some(outermost) = self.created.first() else {
            return;
        };
        // Not locked yet (an error while making the directories): from the innermost made.
        let innermost = if self.dir.as_os_str().is_empty() {
            self.created.last()
        } else {
            Some(&self.dir)
        };
        let mut dir = innermost.map(PathBuf::as_path);
        while let Some(d) = dir.filter(|d| d.starts_with(outermost)) {
            if std::fs::remove_dir(d).is_err() {
                break;
            }
            dir = d.parent();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_another_winst_made_inside_ours_go_with_ours() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a/b/c");
        // This winst made `a` and `a/b`; another made `a/b/c` at the same time and waits.
        std::fs::create_dir_all(&dir).unwrap();
        let lock = EnvLock {
            _file: None,
            dir: dir.clone(),
            created: vec![tmp.path().join("a"), tmp.path().join("a/b")],
        };
        drop(lock);
        assert!(!tmp.path().join("a").exists(), "all three removed");
        // A directory that is not empty stops it, and what is outside ours is not touched.
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("installed.py"), "").unwrap();
        let lock = EnvLock {
            _file: None,
            dir: dir.clone(),
            created: vec![tmp.path().join("a/b")],
        };
        drop(lock);
        assert!(dir.join("installed.py").exists());
        std::fs::remove_file(dir.join("installed.py")).unwrap();
        let lock = EnvLock {
            _file: None,
            dir: dir.clone(),
            created: vec![tmp.path().join("a/b")],
        };
        drop(lock);
        assert!(!tmp.path().join("a/b").exists() && tmp.path().join("a").exists());
    }

    #[test]
    fn directories_made_again_are_kept_outermost_first() {
        // A first pass made `a/b` and `a/b/c` (another winst had made `a`); that winst then
        // removed all three, and the second pass makes all three.
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a/b/c");
        let mut lock = EnvLock {
            _file: None,
            dir: PathBuf::new(),
            created: vec![tmp.path().join("a/b"), dir.clone()],
        };
        lock.create(&dir).unwrap();
        let expected = [tmp.path().join("a"), tmp.path().join("a/b"), dir.clone()];
        assert_eq!(lock.created(), expected);
        drop(lock);
        assert!(!tmp.path().join("a").exists(), "all three removed");
    }

    #[test]
    fn directories_made_for_the_lock_go_again_while_empty() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a/b/c");
        let lock = EnvLock::acquire(&dir).unwrap();
        assert_eq!(
            lock.created(),
            [tmp.path().join("a"), tmp.path().join("a/b"), dir.clone()]
        );
        drop(lock);
        assert!(!tmp.path().join("a").exists(), "all three removed");

        // Something left in `b` (not by the lock): `c` goes, `b` and `a` stay.
        let lock = EnvLock::acquire(&dir).unwrap();
        std::fs::write(tmp.path().join("a/b/kept"), "").unwrap();
        drop(lock);
        assert!(!dir.exists() && tmp.path().join("a/b/kept").exists());

        // An existing directory is never removed, even empty.
        let lock = EnvLock::acquire(tmp.path()).unwrap();
        assert!(lock.created().is_empty());
        drop(lock);
        assert!(tmp.path().is_dir());
    }

    /// Directories a crashed winst made (from its journal) are taken over, published for the
    /// next journal, and removed while empty; a path that is not the locked directory or one
    /// of its parents is not.
    #[test]
    fn adopted_directories_are_only_the_locked_one_and_its_parents() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a/b");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::create_dir(tmp.path().join("other")).unwrap();
        let mut lock = EnvLock::acquire(&dir).unwrap();
        assert!(made_for(&dir).is_empty());
        let a = tmp.path().join("a");
        lock.adopt(&[
            dir.clone(),
            tmp.path().join("other"),
            a.join("b/c"),
            a.clone(),
        ]);
        assert_eq!(lock.created(), [a.clone(), dir.clone()]);
        assert_eq!(made_for(&dir), [a.clone(), dir.clone()]);
        drop(lock);
        assert!(made_for(&dir).is_empty());
        assert!(!a.exists() && tmp.path().join("other").is_dir());
    }
}
