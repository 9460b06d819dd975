//! The journal of a transaction: what each step will do, written before the step touches the
//! disk, and what a transaction has done so far ([`State`], rebuilt from the journal after a
//! crash). Also the durability helpers (`syncfs`, `WINST_NO_SYNC`) and the crash points tests
//! drive with `WINST_CRASH_AT`.
//!
//! Not here: carrying a transaction out (the parent module) or undoing and finishing one
//! ([`super::recover`]).

use super::*;

/// One line of the journal.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub(super) enum Entry {
    Begin {
        pid: u32,
        command: String,
        started: u64,
        roots: Vec<PathBuf>,
        /// The environment's directory and parents made for the lock (outermost first), which
        /// the command that recovers takes over ([`crate::lock::EnvLock::adopt`]).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        made: Vec<PathBuf>,
    },
    CreateRoots {
        paths: Vec<PathBuf>,
    },
    CreateDirs {
        dirs: Vec<(RootId, String)>,
    },
    Temps {
        temps: Vec<Temp>,
    },
    /// Announced temporaries that were never created (and never will be).
    Withdrawn {
        tmps: Vec<(RootId, String)>,
    },
    Stash {
        moves: Vec<Stash>,
    },
    Renaming,
    Committed,
}

/// What a transaction has done (or announced) so far: enough to undo or finish it.
#[derive(Debug, Default)]
pub(super) struct State {
    pub(super) created_roots: Vec<PathBuf>,
    pub(super) created_dirs: Vec<(RootId, String)>,
    pub(super) temps: Vec<Temp>,
    pub(super) stash: Vec<Stash>,
    pub(super) renaming: bool,
    pub(super) committed: bool,
}

impl State {
    pub(super) fn withdraw(&mut self, tmps: &[(RootId, String)]) {
        let gone: std::collections::HashSet<(RootId, &str)> =
            tmps.iter().map(|(r, t)| (*r, t.as_str())).collect();
        self.temps
            .retain(|t| !gone.contains(&(t.root, t.tmp.as_str())));
    }
}

/// The append-only journal file.
pub(super) struct Journal {
    pub(super) file: std::fs::File,
    pub(super) path: PathBuf,
    pub(super) sync: bool,
}

impl Journal {
    pub(super) fn log(&mut self, entries: &[Entry]) -> Result<()> {
        let mut text = String::new();
        for e in entries {
            text.push_str(&serde_json::to_string(e)?);
            text.push('\n');
        }
        self.file
            .write_all(text.as_bytes())
            .with_context(|| format!("cannot write the journal {}", self.path.display()))
    }

    pub(super) fn sync(&self) -> Result<()> {
        if self.sync {
            self.file
                .sync_data()
                .with_context(|| format!("cannot flush the journal {}", self.path.display()))?;
        }
        Ok(())
    }
}

/// Whether durability syncs are on (`WINST_NO_SYNC=1` turns them off).
pub(super) fn sync_enabled() -> bool {
    !std::env::var("WINST_NO_SYNC").is_ok_and(|v| v == "1")
}

/// Dies on the spot (SIGABRT) if `WINST_CRASH_AT` names this point: lets tests crash a
/// transaction at its critical moments deterministically, in addition to random SIGKILLs.
pub(crate) fn crash_point(name: &str) {
    static AT: std::sync::OnceLock<Option<std::ffi::OsString>> = std::sync::OnceLock::new();
    let at = AT.get_or_init(|| std::env::var_os("WINST_CRASH_AT"));
    if at.as_ref().is_some_and(|v| v == name) {
        std::process::abort();
    }
}

/// [`crash_point`] half-way through a loop: at step `i` of `n` when `i` is `n / 2`.
pub(crate) fn crash_half_way(name: &str, i: usize, n: usize) {
    if i == n / 2 {
        crash_point(name);
    }
}

/// A sibling of `rel` named `name`.
pub(super) fn sibling(rel: &str, name: &str) -> String {
    match rel.rsplit_once('/') {
        Some((dir, _)) => format!("{dir}/{name}"),
        None => name.to_string(),
    }
}

/// Flushes the filesystem holding `path` (cap-std's directory handles cannot: they are `O_PATH`).
pub(super) fn syncfs(path: &Path) -> io::Result<()> {
    winst_platform::sync_filesystem(&std::fs::File::open(path)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn siblings() {
        assert_eq!(sibling("a/b/c.py", ".x"), "a/b/.x");
        assert_eq!(sibling("c.py", ".x"), ".x");
    }
}
