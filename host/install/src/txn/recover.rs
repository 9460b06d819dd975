//! Ending a transaction that did not end by itself: rolling back ([`undo`]), rolling forward
//! ([`finish`]), and [`recover`], which the next winst command runs on a journal a killed winst
//! left behind.
//!
//! Not here: the journal's format ([`super::journal`]).

use super::*;

/// Rolls back: new files removed, moved-aside paths renamed back, created directories removed
/// with everything in them (one made where a file was moved aside before that file is put
/// back).
pub(super) fn undo(roots: &Roots, state: &State) {
    // A destination whose moved-aside file is no longer beside it holds the old file again: it
    // was never moved aside, or an interrupted earlier rollback already put it back. Its
    // temporary is gone either way, and the destination must stay.
    let put_back: HashSet<(RootId, &str)> = state
        .stash
        .iter()
        .filter(|s| {
            state.renaming
                && roots
                    .dir(s.root)
                    .is_ok_and(|d| d.symlink_metadata(&s.stash).is_err())
        })
        .map(|s| (s.root, s.rel.as_str()))
        .collect();
    for (i, t) in state.temps.iter().enumerate() {
        crash_half_way("rollback-removing", i, state.temps.len());
        let Ok(dir) = roots.dir(t.root) else {
            continue;
        };
        match dir.remove_file(&t.tmp) {
            Ok(()) => {}
            // Once renaming began every temporary existed: a missing one was renamed into place
            // (or removed by an interrupted earlier rollback: see `put_back`).
            Err(e)
                if e.kind() == io::ErrorKind::NotFound
                    && state.renaming
                    && !put_back.contains(&(t.root, t.dest.as_str())) =>
            {
                let _ = dir.remove_file(&t.dest);
            }
            Err(_) => {}
        }
    }
    let created: HashSet<(RootId, &str)> = (state.created_dirs.iter())
        .map(|(root, rel)| (*root, rel.as_str()))
        .collect();
    for (i, s) in state.stash.iter().rev().enumerate() {
        crash_half_way("rollback-restoring", i, state.stash.len());
        if let Ok(dir) = roots.dir(s.root)
            && dir.symlink_metadata(&s.stash).is_ok()
        {
            // The directory made in the file's place (with what was written in it) goes first.
            if s.kind == StashKind::ForDir && created.contains(&(s.root, s.rel.as_str())) {
                let _ = dir.remove_dir_all(&s.rel);
            }
            let _ = dir.rename(&s.stash, dir, &s.rel);
        }
    }
    // A directory this transaction created holds only what it wrote there, and those files are
    // not journaled one by one (see `Transaction::add_temps`): it goes whole. Children come
    // after their parents in the journal, so going backwards empties each tree from below.
    for (root, rel) in state.created_dirs.iter().rev() {
        if let Ok(dir) = roots.dir(*root) {
            let _ = dir.remove_dir_all(rel);
        }
    }
    for path in state.created_roots.iter().rev() {
        let _ = std::fs::remove_dir_all(path);
    }
}

/// Rolls forward after the commit point: deletes what was moved aside (a directory found where
/// a file was replaced or removed, whole), then the bytecode of removed files and the
/// directories they leave empty. Returns the count removed and warnings.
pub(super) fn finish(roots: &Roots, state: &State) -> (usize, Vec<String>) {
    let mut warnings = Vec::new();
    let mut removed_files = Vec::new();
    let mut removed = 0;
    for (i, s) in state.stash.iter().enumerate() {
        crash_half_way("cleanup", i, state.stash.len());
        let Ok(dir) = roots.dir(s.root) else {
            continue;
        };
        // Where a file belongs, someone may have left a directory (a damaged installation
        // being repaired): it was moved aside like a file, and goes whole.
        let result = match s.kind {
            StashKind::Dir => dir.remove_dir_all(&s.stash),
            _ => dir
                .remove_file(&s.stash)
                .or_else(|e| match dir.symlink_metadata(&s.stash) {
                    Ok(m) if m.is_dir() => dir.remove_dir_all(&s.stash),
                    _ => Err(e),
                }),
        };
        match result {
            Ok(()) => removed += 1,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => warnings.push(format!(
                "cannot remove {}: {e}",
                roots.absolute(s.root, &s.stash).display()
            )),
        }
        if s.kind == StashKind::Removed {
            removed_files.push((s.root, s.rel.clone()));
        }
    }
    let (pyc, more) = remove_files(roots, &removed_files);
    warnings.extend(more);
    (removed + pyc, warnings)
}

/// Removes files (and their bytecode), then the directories left empty. Returns the count removed
/// and a warning for each file that could not be.
pub(super) fn remove_files(roots: &Roots, removals: &[(RootId, String)]) -> (usize, Vec<String>) {
    let mut removed = 0;
    let mut warnings = Vec::new();
    let mut parents: BTreeSet<(RootId, String)> = BTreeSet::new();
    let mut pycache_listing: HashMap<(RootId, String), Vec<String>> = HashMap::new();
    for (root, rel) in removals {
        let Ok(dir) = roots.dir(*root) else {
            continue;
        };
        match dir.remove_file(rel) {
            Ok(()) => removed += 1,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => warnings.push(format!(
                "cannot remove {}: {e}",
                roots.absolute(*root, rel).display()
            )),
        }
        let (parent, file) = rel.rsplit_once('/').unwrap_or(("", rel.as_str()));
        if let Some(stem) = file.strip_suffix(".py") {
            let cache = if parent.is_empty() {
                "__pycache__".to_string()
            } else {
                format!("{parent}/__pycache__")
            };
            let listing = pycache_listing
                .entry((*root, cache.clone()))
                .or_insert_with(|| {
                    dir.read_dir(&cache)
                        .map(|rd| {
                            rd.flatten()
                                .filter_map(|e| e.file_name().into_string().ok())
                                .collect()
                        })
                        .unwrap_or_default()
                });
            let prefix = format!("{stem}.");
            for pyc in listing
                .iter()
                .filter(|n| n.starts_with(&prefix) && n.ends_with(".pyc"))
            {
                if dir.remove_file(format!("{cache}/{pyc}")).is_ok() {
                    removed += 1;
                }
            }
            parents.insert((*root, cache));
        }
        let mut p = parent;
        while !p.is_empty() {
            parents.insert((*root, p.to_string()));
            p = p.rsplit_once('/').map(|(a, _)| a).unwrap_or("");
        }
    }
    let mut parents: Vec<(RootId, String)> = parents.into_iter().collect();
    parents.sort_by_key(|(_, rel)| std::cmp::Reverse(rel.matches('/').count()));
    for (root, rel) in parents {
        if let Ok(dir) = roots.dir(root) {
            let _ = dir.remove_dir(&rel);
        }
    }
    (removed, warnings)
}

/// What [`recover`] did with an interrupted transaction.
#[derive(Debug)]
pub struct Recovery {
    pub completed: bool,
    pub pid: u32,
    pub command: String,
    pub warnings: Vec<String>,
    /// The environment's directory and parents the interrupted command made for its lock
    /// (outermost first): for [`crate::lock::EnvLock::adopt`], so that they go again if they
    /// end up empty.
    pub made: Vec<PathBuf>,
}

impl std::fmt::Display for Recovery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.completed {
            write!(
                f,
                "an interrupted `{}` (process {}) had committed; finished it: the environment \
                 has the new state",
                self.command, self.pid
            )
        } else {
            write!(
                f,
                "an interrupted `{}` (process {}) had not committed; rolled it back: the \
                 environment is as it was before it",
                self.command, self.pid
            )
        }
    }
}

/// Brings the environment whose data directory is `state_dir` back to a consistent state if a
/// transaction was interrupted there. The caller holds the environment's lock.
pub fn recover(state_dir: &Path) -> Result<Option<Recovery>> {
    let path = state_dir.join(JOURNAL);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let mut state = State::default();
    let mut begin = None;
    // Only complete lines count: a torn last line was never acted on.
    let complete = match bytes.iter().rposition(|&b| b == b'\n') {
        Some(i) => &bytes[..=i],
        None => &[][..],
    };
    for (n, line) in complete.split(|&b| b == b'\n').enumerate() {
        if line.is_empty() {
            continue;
        }
        let entry: Entry = serde_json::from_slice(line).with_context(|| {
            format!(
                "the journal {} is damaged at line {}; it cannot be replayed. Inspect the \
                 environment, then delete the journal",
                path.display(),
                n + 1
            )
        })?;
        match entry {
            Entry::Begin {
                pid,
                command,
                roots,
                made,
                ..
            } => begin = Some((pid, command, roots, made)),
            Entry::CreateRoots { paths } => state.created_roots.extend(paths),
            Entry::CreateDirs { dirs } => state.created_dirs.extend(dirs),
            Entry::Temps { temps } => state.temps.extend(temps),
            Entry::Withdrawn { tmps } => state.withdraw(&tmps),
            Entry::Stash { moves } => state.stash.extend(moves),
            Entry::Renaming => state.renaming = true,
            Entry::Committed => state.committed = true,
        }
    }
    let Some((pid, command, root_paths, made)) = begin else {
        // Created but never written: nothing was done.
        std::fs::remove_file(&path).with_context(|| format!("cannot remove {}", path.display()))?;
        return Ok(None);
    };
    // A journal only ever names directories of its own environment; one that names anything
    // else was not written by winst for this environment (a wheel could try to plant one).
    let home = crate::roots::normalize(state_dir).unwrap_or_else(|| state_dir.to_path_buf());
    let foreign = |p: &Path| !crate::roots::normalize(p).is_some_and(|p| p.starts_with(&home));
    if let Some(p) = root_paths
        .iter()
        .chain(&state.created_roots)
        .find(|p| foreign(p))
    {
        bail!(
            "the journal {} names {}, outside this environment ({}); winst did not write it for \
             this environment and will not replay it. Inspect the environment, then delete the \
             journal",
            path.display(),
            p.display(),
            home.display()
        );
    }
    let mut roots = Roots::default();
    for p in &root_paths {
        let id = roots.add(p);
        roots.open_existing(id)?;
    }
    let mut warnings = Vec::new();
    if state.committed {
        warnings = finish(&roots, &state).1;
    } else {
        undo(&roots, &state);
    }
    if sync_enabled() {
        for path in roots.paths() {
            let _ = syncfs(path);
        }
    }
    std::fs::remove_file(&path).with_context(|| format!("cannot remove {}", path.display()))?;
    Ok(Some(Recovery {
        completed: state.committed,
        pid,
        command,
        warnings,
        made,
    }))
}
