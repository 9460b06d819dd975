//! Transactions: one `winst install` or `winst uninstall` commits everything or nothing, even if
//! the process is killed at any instant.
//!
//! New files are written under temporary names next to their destination (or, inside a directory
//! the transaction itself created, straight under their own name); files that will be
//! replaced or removed are *moved aside* (renamed to a hidden sibling, never copied) just before
//! the temporaries are renamed into place. A journal in the environment (`.winst-journal` in its
//! data directory, i.e. the venv's root) says, before each step touches the disk, what that step
//! will do. After a crash the next winst command reads it and either **rolls back** (the journal
//! has no `committed` entry: new files removed, moved-aside files renamed back, created
//! directories removed) or **rolls forward** (it has one: the moved-aside files are deleted).
//!
//! Durability policy: the journal is fsynced when it is created, before the first rename and at
//! the commit point; just before the commit point every filesystem the transaction wrote to is
//! flushed with one `syncfs` (not one fsync per file), so a committed install survives a power
//! loss. `WINST_NO_SYNC=1` skips all of that: still all-or-nothing against a killed process,
//! not against a power loss. Not here: deciding what to write or remove ([`crate::plan`]).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::io::{self, Write as _};
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::roots::{DirHandles, RootId, Roots, split_parent};

/// The journal's file name in the environment's data directory.
pub(crate) const JOURNAL: &str = ".winst-journal";

/// Why a path was moved aside.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum StashKind {
    /// A file a new one replaces.
    Replaced,
    /// A file of a replaced or uninstalled version that goes away.
    Removed,
    /// A whole directory that goes away (a stale `.dist-info`).
    Dir,
}

/// A path moved aside to `stash` (a sibling name) until the transaction ends.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Stash {
    pub root: RootId,
    pub rel: String,
    pub stash: String,
    pub kind: StashKind,
}

/// A new file written under a temporary name.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Temp {
    pub root: RootId,
    pub tmp: String,
    pub dest: String,
    /// RECORD files are renamed last: a dist-info with a RECORD is a complete install.
    pub last: bool,
}

/// One line of the journal.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
enum Entry {
    Begin {
        pid: u32,
        command: String,
        started: u64,
        roots: Vec<PathBuf>,
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
struct State {
    created_roots: Vec<PathBuf>,
    created_dirs: Vec<(RootId, String)>,
    temps: Vec<Temp>,
    stash: Vec<Stash>,
    renaming: bool,
    committed: bool,
}

impl State {
    fn withdraw(&mut self, tmps: &[(RootId, String)]) {
        let gone: std::collections::HashSet<(RootId, &str)> =
            tmps.iter().map(|(r, t)| (*r, t.as_str())).collect();
        self.temps
            .retain(|t| !gone.contains(&(t.root, t.tmp.as_str())));
    }
}

/// The append-only journal file.
struct Journal {
    file: std::fs::File,
    path: PathBuf,
    sync: bool,
}

impl Journal {
    fn log(&mut self, entries: &[Entry]) -> Result<()> {
        let mut text = String::new();
        for e in entries {
            text.push_str(&serde_json::to_string(e)?);
            text.push('\n');
        }
        self.file
            .write_all(text.as_bytes())
            .with_context(|| format!("cannot write the journal {}", self.path.display()))
    }

    fn sync(&self) -> Result<()> {
        if self.sync {
            self.file
                .sync_data()
                .with_context(|| format!("cannot flush the journal {}", self.path.display()))?;
        }
        Ok(())
    }
}

/// Whether durability syncs are on (`WINST_NO_SYNC=1` turns them off).
fn sync_enabled() -> bool {
    !std::env::var("WINST_NO_SYNC").is_ok_and(|v| v == "1")
}

/// Dies on the spot (SIGABRT) if `WINST_CRASH_AT` names this point: lets tests crash a
/// transaction at its critical moments deterministically, in addition to random SIGKILLs.
pub(crate) fn crash_point(name: &str) {
    if std::env::var_os("WINST_CRASH_AT").is_some_and(|v| v == name) {
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
fn sibling(rel: &str, name: &str) -> String {
    match rel.rsplit_once('/') {
        Some((dir, _)) => format!("{dir}/{name}"),
        None => name.to_string(),
    }
}

/// Flushes the filesystem holding `path` (cap-std's directory handles cannot: they are `O_PATH`).
fn syncfs(path: &Path) -> io::Result<()> {
    let dir = std::fs::File::open(path)?;
    rustix::fs::syncfs(&dir).map_err(io::Error::from)
}

/// What commit did.
#[derive(Debug, Clone, Default)]
pub struct CommitStats {
    pub renamed: usize,
    pub removed: usize,
    pub warnings: Vec<String>,
}

/// A transaction on one environment. Dropping it before [`Transaction::commit`] rolls back.
pub(crate) struct Transaction {
    pub roots: Roots,
    journal: Journal,
    state: State,
    counter: usize,
    /// Directories this transaction created, per root (`""` when it created the root itself),
    /// for [`Transaction::temp_name`] and the commit.
    new_dirs: HashMap<RootId, HashSet<String>>,
    /// Handles of the directories `create_dirs` created or made in, for the writers to reuse.
    handles: DirHandles,
    done: bool,
}

impl Transaction {
    /// Starts a transaction: creates the journal in `state_dir`, which must be locked
    /// ([`crate::lock::EnvLock`]) and recovered ([`recover`]).
    pub(crate) fn begin(state_dir: &Path, roots: Roots, command: &str) -> Result<Transaction> {
        let path = state_dir.join(JOURNAL);
        let file = std::fs::OpenOptions::new()
            .create_new(true)
            .append(true)
            .open(&path)
            .with_context(|| format!("cannot create the journal {}", path.display()))?;
        let mut journal = Journal {
            file,
            path,
            sync: sync_enabled(),
        };
        let started = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let begun = journal
            .log(&[Entry::Begin {
                pid: std::process::id(),
                command: command.to_string(),
                started,
                roots: roots.paths().to_vec(),
            }])
            .and_then(|()| journal.sync())
            .and_then(|()| {
                if journal.sync {
                    std::fs::File::open(state_dir)
                        .and_then(|d| d.sync_all())
                        .with_context(|| format!("cannot flush {}", state_dir.display()))?;
                }
                Ok(())
            });
        if let Err(e) = begun {
            let _ = std::fs::remove_file(&journal.path);
            return Err(e);
        }
        Ok(Transaction {
            roots,
            journal,
            state: State::default(),
            counter: 0,
            new_dirs: HashMap::new(),
            handles: DirHandles::default(),
            done: false,
        })
    }

    /// Opens root `id`; with `create`, creates it and its missing parents (journaled first).
    pub(crate) fn open_root(&mut self, id: RootId, create: bool) -> Result<()> {
        if !create {
            return self.roots.open_existing(id).map(|_| ());
        }
        let missing = self.roots.missing(id);
        if !missing.is_empty() {
            self.journal.log(&[Entry::CreateRoots {
                paths: missing.clone(),
            }])?;
            self.state.created_roots.extend(missing);
            self.new_dirs.entry(id).or_default().insert(String::new());
        }
        self.roots.open(id, true)
    }

    /// Creates directories (parents before children) that do not exist yet, journaled first.
    /// A directory whose parent this transaction created is missing without a look at the disk,
    /// and each is made relative to its parent's handle (kept for [`Transaction::take_handles`]).
    pub(crate) fn create_dirs(&mut self, dirs: &[(RootId, String)]) -> Result<()> {
        let mut missing: Vec<(RootId, String)> = Vec::new();
        let mut missing_set: HashSet<(RootId, &str)> = HashSet::new();
        for (root, rel) in dirs {
            if missing_set.contains(&(*root, split_parent(rel).0)) || self.in_new_dir(*root, rel) {
                missing.push((*root, rel.clone()));
                missing_set.insert((*root, rel));
                continue;
            }
            let dir = self.roots.dir(*root)?;
            match dir.symlink_metadata(rel) {
                Ok(m) if m.is_dir() => {}
                Ok(_) => bail!("{}", self.roots.not_a_directory(*root, rel)),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    missing.push((*root, rel.clone()));
                    missing_set.insert((*root, rel));
                }
                Err(e) => {
                    return Err(e).with_context(|| {
                        format!("cannot read {}", self.roots.absolute(*root, rel).display())
                    });
                }
            }
        }
        if missing.is_empty() {
            return Ok(());
        }
        self.journal.log(&[Entry::CreateDirs {
            dirs: missing.clone(),
        }])?;
        for (root, rel) in missing {
            let (parent, name) = split_parent(&rel);
            let made = self.handles.open(&self.roots, root, parent).and_then(|d| {
                rustix::fs::mkdirat(d, name, rustix::fs::Mode::from_raw_mode(0o777))
                    .map_err(io::Error::from)
            });
            made.with_context(|| {
                format!(
                    "cannot create directory {}",
                    self.roots.absolute(root, &rel).display()
                )
            })?;
            self.new_dirs.entry(root).or_default().insert(rel.clone());
            self.state.created_dirs.push((root, rel));
        }
        Ok(())
    }

    /// Whether `rel`'s directory was created by this transaction (a set lookup: installs create
    /// thousands of directories for tens of thousands of files).
    fn in_new_dir(&self, root: RootId, rel: &str) -> bool {
        self.new_dirs
            .get(&root)
            .is_some_and(|dirs| dirs.contains(split_parent(rel).0))
    }

    /// The directory handles opened so far (see [`Transaction::create_dirs`]).
    pub(crate) fn take_handles(&mut self) -> DirHandles {
        std::mem::take(&mut self.handles)
    }

    /// The name a new file for `dest` is written under until the commit: a fresh temporary
    /// next to it, or `dest` itself when this transaction created its directory. Nothing can be
    /// replaced there, nothing outside the transaction owns it, and a rollback removes it like
    /// any temporary (the journal lists it first), so writing it in place saves one rename per
    /// file: on an install into a fresh environment, nearly every file. `last` files (RECORD)
    /// always get a temporary: a dist-info with a RECORD is a complete install.
    pub(crate) fn temp_name(&mut self, root: RootId, dest: &str, last: bool) -> String {
        if self.in_new_dir(root, dest) && !last {
            return dest.to_string();
        }
        self.counter += 1;
        sibling(
            dest,
            &format!(".winst-{}-{}.tmp", std::process::id(), self.counter),
        )
    }

    /// Announces temporaries before they are created; `sync` makes the announcement durable
    /// (once, before the bulk of the writes).
    pub(crate) fn add_temps(&mut self, temps: Vec<Temp>, sync: bool) -> Result<()> {
        self.journal.log(&[Entry::Temps {
            temps: temps.clone(),
        }])?;
        self.state.temps.extend(temps);
        if sync {
            self.journal.sync()?;
        }
        Ok(())
    }

    /// Withdraws announced temporaries that were not created (e.g. a file that did not
    /// compile): the commit will not look for them.
    pub(crate) fn withdraw_temps(&mut self, tmps: Vec<(RootId, String)>) -> Result<()> {
        if tmps.is_empty() {
            return Ok(());
        }
        self.state.withdraw(&tmps);
        self.journal.log(&[Entry::Withdrawn { tmps }])
    }

    fn exists(&self, root: RootId, rel: &str) -> bool {
        self.roots
            .dir(root)
            .is_ok_and(|d| d.symlink_metadata(rel).is_ok())
    }

    /// The commit: moves aside what is replaced or removed, renames every temporary into
    /// place, flushes, marks the journal committed, then deletes what was moved aside.
    /// `removals` are files that go away; `dirs` are directories that go away whole.
    pub fn commit(
        mut self,
        removals: &[(RootId, String)],
        dirs: &[(RootId, String)],
    ) -> Result<CommitStats> {
        crash_point("written");
        let pid = std::process::id();
        let mut moves = Vec::new();
        let mut n = 0;
        let mut stash = |root: RootId, rel: &str, kind: StashKind, moves: &mut Vec<Stash>| {
            n += 1;
            moves.push(Stash {
                root,
                rel: rel.to_string(),
                stash: sibling(rel, &format!(".winst-{pid}-old-{n}")),
                kind,
            });
        };
        // A temporary whose directory this transaction created cannot replace anything: only the
        // others need a look at the disk.
        for t in &self.state.temps {
            if !self.in_new_dir(t.root, &t.dest) && self.exists(t.root, &t.dest) {
                stash(t.root, &t.dest, StashKind::Replaced, &mut moves);
            }
        }
        // A removal that is also a new file's destination (an old version's `.pyc` that
        // `--compile` writes again) is a replacement, already moved aside above.
        let dests: HashSet<(RootId, &str)> = if removals.is_empty() {
            HashSet::new()
        } else {
            self.state
                .temps
                .iter()
                .map(|t| (t.root, t.dest.as_str()))
                .collect()
        };
        // A file that cannot be looked at (its directory is a link leading out of the root,
        // which the capability does not follow) is left alone, and said so.
        let mut unreachable = Vec::new();
        for (root, rel) in removals {
            if dests.contains(&(*root, rel.as_str())) {
                continue;
            }
            match self.roots.dir(*root).map(|d| d.symlink_metadata(rel)) {
                Ok(Ok(_)) => stash(*root, rel, StashKind::Removed, &mut moves),
                Ok(Err(e)) if e.kind() != io::ErrorKind::NotFound => {
                    let why = match self.roots.linked_ancestor(*root, rel) {
                        Some((link, to)) => format!(
                            "{} is a symbolic link to {}, which winst does not follow; remove \
                             the link by hand",
                            link.display(),
                            to.display()
                        ),
                        None => e.to_string(),
                    };
                    unreachable.push(format!(
                        "not removing {}: {why}",
                        self.roots.absolute(*root, rel).display()
                    ));
                }
                _ => {}
            }
        }
        for (root, rel) in dirs {
            if self.exists(*root, rel) {
                stash(*root, rel, StashKind::Dir, &mut moves);
            }
        }
        self.journal.log(&[
            Entry::Stash {
                moves: moves.clone(),
            },
            Entry::Renaming,
        ])?;
        self.journal.sync()?;
        self.state.stash = moves;
        self.state.renaming = true;

        for (i, s) in self.state.stash.iter().enumerate() {
            crash_half_way("moving-aside", i, self.state.stash.len());
            let dir = self.roots.dir(s.root)?;
            dir.rename(&s.rel, dir, &s.stash).with_context(|| {
                format!(
                    "cannot move {} aside",
                    self.roots.absolute(s.root, &s.rel).display()
                )
            })?;
        }
        crash_point("moved-aside");
        self.state.temps.sort_by_key(|t| t.last);
        // A temporary is its destination's sibling: one handle per directory, then a rename of
        // two names inside it.
        let mut handles = DirHandles::default();
        for (i, t) in self.state.temps.iter().enumerate() {
            if i == self.state.temps.len() / 2 {
                crash_point("half-renamed");
            }
            if t.tmp == t.dest {
                continue; // written in place (see `temp_name`)
            }
            let (parent, tmp_name) = split_parent(&t.tmp);
            let (dest_parent, dest_name) = split_parent(&t.dest);
            let renamed = if parent == dest_parent {
                handles.open(&self.roots, t.root, parent).and_then(|dir| {
                    rustix::fs::renameat(dir, tmp_name, dir, dest_name).map_err(io::Error::from)
                })
            } else {
                self.roots
                    .dir(t.root)
                    .and_then(|dir| dir.rename(&t.tmp, dir, &t.dest))
            };
            renamed.with_context(|| {
                format!(
                    "cannot move {} into place",
                    self.roots.absolute(t.root, &t.dest).display()
                )
            })?;
        }
        if self.journal.sync {
            self.sync_filesystems()?;
        }
        self.journal.log(&[Entry::Committed])?;
        self.journal.sync()?;
        self.state.committed = true;
        self.done = true;
        crash_point("committed");

        let renamed = self.state.temps.len();
        let (removed, warnings) = finish(&self.roots, &self.state);
        let warnings = unreachable.into_iter().chain(warnings).collect();
        let _ = std::fs::remove_file(&self.journal.path);
        Ok(CommitStats {
            renamed,
            removed,
            warnings,
        })
    }

    /// One `syncfs` per filesystem the transaction touched.
    fn sync_filesystems(&self) -> Result<()> {
        let mut devices = BTreeSet::new();
        for id in 0..self.roots.paths().len() {
            if self.roots.dir(id).is_err() {
                continue;
            }
            let path = self.roots.path(id);
            let dev = std::fs::metadata(path).map(|m| m.dev()).unwrap_or(u64::MAX);
            if devices.insert(dev) {
                syncfs(path).with_context(|| format!("cannot flush {}", path.display()))?;
            }
        }
        Ok(())
    }

    /// Undoes everything and deletes the journal.
    pub(crate) fn rollback(&mut self) {
        if self.done {
            return;
        }
        undo(&self.roots, &self.state);
        self.roots.close();
        let _ = std::fs::remove_file(&self.journal.path);
        self.done = true;
    }
}

impl Drop for Transaction {
    fn drop(&mut self) {
        self.rollback();
    }
}

/// Rolls back: new files removed, moved-aside paths renamed back, created directories removed.
fn undo(roots: &Roots, state: &State) {
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
    for (i, s) in state.stash.iter().rev().enumerate() {
        crash_half_way("rollback-restoring", i, state.stash.len());
        if let Ok(dir) = roots.dir(s.root)
            && dir.symlink_metadata(&s.stash).is_ok()
        {
            let _ = dir.rename(&s.stash, dir, &s.rel);
        }
    }
    for (root, rel) in state.created_dirs.iter().rev() {
        if let Ok(dir) = roots.dir(*root) {
            let _ = dir.remove_dir(rel);
        }
    }
    for path in state.created_roots.iter().rev() {
        let _ = std::fs::remove_dir(path);
    }
}

/// Rolls forward after the commit point: deletes what was moved aside, then the bytecode of
/// removed files and the directories they leave empty. Returns the count removed and warnings.
fn finish(roots: &Roots, state: &State) -> (usize, Vec<String>) {
    let mut warnings = Vec::new();
    let mut removed_files = Vec::new();
    let mut removed = 0;
    for (i, s) in state.stash.iter().enumerate() {
        crash_half_way("cleanup", i, state.stash.len());
        let Ok(dir) = roots.dir(s.root) else {
            continue;
        };
        let result = match s.kind {
            StashKind::Dir => dir.remove_dir_all(&s.stash),
            _ => dir.remove_file(&s.stash),
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
fn remove_files(roots: &Roots, removals: &[(RootId, String)]) -> (usize, Vec<String>) {
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
                ..
            } => begin = Some((pid, command, roots)),
            Entry::CreateRoots { paths } => state.created_roots.extend(paths),
            Entry::CreateDirs { dirs } => state.created_dirs.extend(dirs),
            Entry::Temps { temps } => state.temps.extend(temps),
            Entry::Withdrawn { tmps } => state.withdraw(&tmps),
            Entry::Stash { moves } => state.stash.extend(moves),
            Entry::Renaming => state.renaming = true,
            Entry::Committed => state.committed = true,
        }
    }
    let Some((pid, command, root_paths)) = begin else {
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
    }))
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
