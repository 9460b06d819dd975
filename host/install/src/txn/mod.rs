//! Transactions: one `winst install` or `winst uninstall` commits everything or nothing, even if
//! the process is killed at any instant.
//!
//! New files are written under temporary names next to their destination (or, inside a directory
//! the transaction itself created, straight under their own name); files that will be
//! replaced or removed are *moved aside* (renamed to a hidden sibling, never copied) just before
//! the temporaries are renamed into place (a file of a replaced version where a new directory
//! goes is moved aside earlier, before the directory is made; a directory where a new file goes
//! is moved aside whole). A journal in the environment (`.winst-journal` in its data directory,
//! i.e. the venv's root) says, before each step touches the disk, what that step will do. After
//! a crash the next winst command reads it and either **rolls back** (the journal has no
//! `committed` entry: new files removed, moved-aside files renamed back, created directories
//! removed with everything in them) or **rolls forward** (it has one: the moved-aside files are
//! deleted).
//!
//! Durability policy: the journal is fsynced when it is created, before the first rename and at
//! the commit point; just before the commit point every filesystem the transaction wrote to is
//! flushed with one `syncfs` (not one fsync per file), so a committed install survives a power
//! loss. `WINST_NO_SYNC=1` skips all of that: still all-or-nothing against a killed process,
//! not against a power loss. Not here: deciding what to write or remove ([`crate::plan`]).

use std::collections::BTreeSet;
use std::io::{self, Write as _};
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, Result, bail};
use foldhash::{HashMap, HashMapExt as _, HashSet, HashSetExt as _};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

mod journal;
mod recover;

use journal::{Entry, Journal, State, sibling, sync_enabled, syncfs};
pub(crate) use journal::{crash_half_way, crash_point};
pub use recover::{Recovery, recover};
use recover::{finish, undo};

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
    /// A whole directory that goes away (a stale `.dist-info`, or a directory where a new
    /// file goes).
    Dir,
    /// A file of a replaced version where a new directory goes, moved aside before the
    /// directory is made ([`Transaction::make_way`]).
    ForDir,
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
                made: crate::lock::made_for(state_dir),
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

    /// Moves aside files of replaced versions where this transaction makes directories (an
    /// upgrade that turns a file into a directory): journaled and flushed first, before any
    /// directory is made, so that [`Transaction::create_dirs`] finds the place free. A rollback
    /// removes the new directory and puts the file back; the commit deletes it. `files` are the
    /// directories' roots and paths; one that is not there, or is a directory already, stays.
    pub(crate) fn make_way(&mut self, files: &[(RootId, String)]) -> Result<()> {
        let pid = std::process::id();
        let mut moves = Vec::new();
        for (root, rel) in files {
            let meta = self.roots.dir(*root)?.symlink_metadata(rel);
            if meta.is_ok_and(|m| !m.is_dir()) {
                self.counter += 1;
                moves.push(Stash {
                    root: *root,
                    rel: rel.clone(),
                    stash: sibling(rel, &format!(".winst-{pid}-way-{}", self.counter)),
                    kind: StashKind::ForDir,
                });
            }
        }
        if moves.is_empty() {
            return Ok(());
        }
        self.journal.log(&[Entry::Stash {
            moves: moves.clone(),
        }])?;
        self.journal.sync()?;
        for s in moves {
            let dir = self.roots.dir(s.root)?;
            dir.rename(&s.rel, dir, &s.stash).with_context(|| {
                format!(
                    "cannot move {} aside to make a directory there",
                    self.roots.absolute(s.root, &s.rel).display()
                )
            })?;
            self.state.stash.push(s);
        }
        crash_point("made-way");
        Ok(())
    }

    /// Creates directories (parents before children) that do not exist yet, journaled first.
    /// A directory whose parent this transaction created is missing without a look at the disk,
    /// and each is made relative to its parent's handle.
    pub(crate) fn create_dirs(&mut self, dirs: &[(RootId, String)]) -> Result<()> {
        let t0 = std::time::Instant::now();
        // The directories whose parent is not among `dirs` (the top of each new tree, in a fresh
        // environment two per project) are looked at all at once, in parallel; below them, a
        // directory is missing when its parent is.
        let planned: HashSet<(RootId, &str)> = dirs
            .iter()
            .map(|(root, rel)| (*root, rel.as_str()))
            .collect();
        let looked: Vec<Option<io::Result<cap_std::fs::Metadata>>> = (dirs.par_iter())
            .map(|(root, rel)| {
                let below_planned = planned.contains(&(*root, split_parent(rel).0));
                (!below_planned && !self.in_new_dir(*root, rel))
                    .then(|| self.roots.dir(*root)?.symlink_metadata(rel))
            })
            .collect();
        let mut missing: Vec<(RootId, String)> = Vec::new();
        let mut missing_set: HashSet<(RootId, &str)> = HashSet::new();
        for ((root, rel), looked) in dirs.iter().zip(looked) {
            if missing_set.contains(&(*root, split_parent(rel).0)) || self.in_new_dir(*root, rel) {
                missing.push((*root, rel.clone()));
                missing_set.insert((*root, rel));
                continue;
            }
            let looked = match looked {
                Some(looked) => looked,
                // Below a planned directory that exists.
                None => self.roots.dir(*root)?.symlink_metadata(rel),
            };
            match looked {
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
        // Depth first (by components, so each directory comes right after its parent's
        // earlier children): one handle per level of the path being made, each directory made
        // and opened by its last component from its parent's handle.
        // In parallel: thousands of paths, compared byte by byte.
        missing.par_sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| by_components(&a.1, &b.1)));
        let t_missing = t0.elapsed();
        self.journal.log(&[Entry::CreateDirs {
            dirs: missing.clone(),
        }])?;
        let t_logged = t0.elapsed();
        // Each new tree (a directory whose parent exists, with everything below it) is made by
        // one task, with its own handles: trees are independent, and a fresh environment has
        // thousands of directories in hundreds of trees.
        let mut trees: Vec<&[(RootId, String)]> = Vec::new();
        let top =
            |(root, rel): &(RootId, String)| !missing_set.contains(&(*root, split_parent(rel).0));
        let mut start = 0;
        for k in 1..=missing.len() {
            if k == missing.len() || top(&missing[k]) {
                trees.push(&missing[start..k]);
                start = k;
            }
        }
        let made: Vec<(usize, Option<anyhow::Error>)> =
            trees.par_iter().map(|tree| self.make_tree(tree)).collect();
        let t_made = t0.elapsed();
        // What was made is recorded (parents before children) even when a tree failed half
        // way, so that a rollback removes it.
        let mut failed = None;
        for (tree, (n, error)) in trees.iter().zip(made) {
            for (root, rel) in &tree[..n] {
                self.new_dirs.entry(*root).or_default().insert(rel.clone());
                self.state.created_dirs.push((*root, rel.clone()));
            }
            failed = failed.or(error);
        }
        log::debug!(
            "directories: {} missing found in {t_missing:.1?}, journaled in {:.1?}, made in \
             {:.1?} ({} trees), recorded in {:.1?}",
            missing.len(),
            t_logged - t_missing,
            t_made - t_logged,
            trees.len(),
            t0.elapsed() - t_made
        );
        failed.map_or(Ok(()), Err)
    }

    /// Makes the directories of one new tree (parents before children); returns how many were
    /// made, and why the next one could not be.
    fn make_tree(&self, tree: &[(RootId, String)]) -> (usize, Option<anyhow::Error>) {
        let mut open: Vec<(RootId, String, cap_std::fs::Dir)> = Vec::new();
        for (k, (root, rel)) in tree.iter().enumerate() {
            // Depth first: a directory's first child, if it has one, comes right after it.
            let next = tree.get(k + 1).map(|(r, next)| (*r, split_parent(next).0));
            let child_next = next == Some((*root, rel.as_str()));
            if let Err(e) = self.make_dir(&mut open, *root, rel, child_next) {
                let what = self.roots.absolute(*root, rel);
                let e = anyhow::Error::new(e)
                    .context(format!("cannot create directory {}", what.display()));
                return (k, Some(e));
            }
        }
        (tree.len(), None)
    }

    /// Makes directory `rel` of `root` from its parent's handle in `open` (the handles along
    /// the path made last; the parent is opened through the root when it is not among them),
    /// and, when it is the `parent` of the next directory to make, leaves its handle on top
    /// (most new directories have none below them: they are not opened).
    fn make_dir(
        &self,
        open: &mut Vec<(RootId, String, cap_std::fs::Dir)>,
        root: RootId,
        rel: &str,
        parent_of_next: bool,
    ) -> io::Result<()> {
        let (parent, name) = split_parent(rel);
        while open
            .last()
            .is_some_and(|(r, p, _)| (*r, p.as_str()) != (root, parent))
        {
            open.pop();
        }
        if open.is_empty() {
            let base = self.roots.dir(root)?;
            let dir = if parent.is_empty() {
                base.try_clone()?
            } else {
                base.open_dir(parent)?
            };
            open.push((root, parent.to_string(), dir));
        }
        let Some((_, _, dir)) = open.last() else {
            return Err(io::Error::other("no parent directory handle"));
        };
        rustix::fs::mkdirat(dir, name, rustix::fs::Mode::from_raw_mode(0o777))?;
        if parent_of_next {
            let made = dir.open_dir(name)?;
            open.push((root, rel.to_string(), made));
        }
        Ok(())
    }

    /// Whether `rel`'s directory was created by this transaction (a set lookup: installs create
    /// thousands of directories for tens of thousands of files); a new file there is written
    /// under its own name (see [`Transaction::temp_name`]).
    pub(crate) fn in_new_dir(&self, root: RootId, rel: &str) -> bool {
        self.new_dirs
            .get(&root)
            .is_some_and(|dirs| dirs.contains(split_parent(rel).0))
    }

    /// The name a new file for `dest` is written under until the commit: a fresh temporary
    /// next to it, or `dest` itself when this transaction created its directory. Nothing can be
    /// replaced there, nothing outside the transaction owns it, and a rollback removes it with
    /// the directory (whose journal entry comes first), so writing it in place saves one rename
    /// and one journal record per file: on an install into a fresh environment, nearly every
    /// file. `last` files (RECORD)
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
    /// (once, before the bulk of the writes). A file written in place (its directory is new:
    /// see [`Transaction::temp_name`]) needs no entry of its own: the directory's `create-dirs`
    /// entry covers the whole tree, which a rollback removes with everything in it. So an
    /// install into a fresh environment journals its directories, not its tens of thousands of
    /// files.
    pub(crate) fn add_temps(&mut self, temps: Vec<Temp>, sync: bool) -> Result<()> {
        let temps: Vec<Temp> = temps
            .into_iter()
            .filter(|t| t.tmp != t.dest || !self.in_new_dir(t.root, &t.dest))
            .collect();
        if !temps.is_empty() {
            self.journal.log(&[Entry::Temps {
                temps: temps.clone(),
            }])?;
        }
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

    /// Whether `rel` is a directory (not following a link); `None` when nothing is there.
    fn is_dir(&self, root: RootId, rel: &str) -> Option<bool> {
        let dir = self.roots.dir(root).ok()?;
        dir.symlink_metadata(rel).ok().map(|m| m.is_dir())
    }

    /// A new file goes where the disk has a directory that the plan did not see give way (a
    /// file of the replaced version that someone replaced by a directory): the directory is
    /// replaced only if it holds no files (empty directories, as a tool may leave). Otherwise the
    /// install stops, naming what it holds, and nothing is lost.
    fn refuse_unless_empty(&self, root: RootId, rel: &str) -> Result<()> {
        let dir = self.roots.dir(root)?;
        let path = || self.roots.absolute(root, rel);
        match first_non_directory(dir, Path::new(rel)) {
            Ok(None) => Ok(()),
            Ok(Some(found)) => bail!(
                "{} is a directory where this install puts a file, and it holds {}, which no \
                 installed project lists: winst does not delete it; move the directory away and \
                 run the install again",
                path().display(),
                self.roots
                    .absolute(root, &found.to_string_lossy())
                    .display()
            ),
            Err(e) => bail!(
                "{} is a directory where this install puts a file, and it cannot be read to see \
                 that it is empty: {e}",
                path().display()
            ),
        }
    }

    fn exists(&self, root: RootId, rel: &str) -> bool {
        self.roots
            .dir(root)
            .is_ok_and(|d| d.symlink_metadata(rel).is_ok())
    }

    /// The commit: moves aside what is replaced or removed, renames every temporary into
    /// place, flushes, marks the journal committed, then deletes what was moved aside.
    /// `removals` are files that go away; `dirs` are directories that go away whole (before a
    /// new file takes the place of one).
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
        // others need a look at the disk. A destination that is a directory going away whole
        // (an upgrade that turns a directory into a file) is moved aside with `dirs` below.
        let whole: HashSet<(RootId, &str)> = dirs.iter().map(|(r, d)| (*r, d.as_str())).collect();
        for t in &self.state.temps {
            if self.in_new_dir(t.root, &t.dest) || whole.contains(&(t.root, t.dest.as_str())) {
                continue;
            }
            match self.is_dir(t.root, &t.dest) {
                None => continue,
                Some(true) => self.refuse_unless_empty(t.root, &t.dest)?,
                Some(false) => {}
            }
            stash(t.root, &t.dest, StashKind::Replaced, &mut moves);
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
        // After those [`Transaction::make_way`] moved aside already.
        let earlier = self.state.stash.len();
        self.state.stash.extend(moves);
        self.state.renaming = true;

        let count = self.state.stash.len() - earlier;
        for (i, s) in self.state.stash[earlier..].iter().enumerate() {
            crash_half_way("moving-aside", i, count);
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
        // Everything else first, then the RECORDs (a dist-info with its RECORD is a complete
        // install). Each group is renamed in parallel, a run of temporaries of one directory
        // through one handle: a thousand projects are a thousand renames. A rollback finds any
        // subset of a group renamed (see `undo`).
        let total = self.state.temps.len();
        let started = AtomicUsize::new(0);
        let records = self.state.temps.partition_point(|t| !t.last);
        let (others, last) = self.state.temps.split_at(records);
        for group in [others, last] {
            group
                .par_chunk_by(|a, b| {
                    a.root == b.root && split_parent(&a.tmp).0 == split_parent(&b.tmp).0
                })
                .try_for_each(|run| self.rename_into_place(run, &started, total))?;
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

    /// Renames `run` (temporaries of one directory) into place; `started` counts the renames
    /// of the whole commit (`total`), for the `half-renamed` crash point.
    fn rename_into_place(&self, run: &[Temp], started: &AtomicUsize, total: usize) -> Result<()> {
        // A temporary is its destination's sibling: one handle for the run, then a rename of
        // two names inside it.
        let mut handles = DirHandles::bounded(1);
        for t in run {
            if started.fetch_add(1, Ordering::Relaxed) == total / 2 {
                crash_point("half-renamed");
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
        Ok(())
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

/// The first entry below directory `rel` of `dir` that is not a directory (links are not
/// followed), depth first; `None` when the tree holds only directories.
fn first_non_directory(dir: &cap_std::fs::Dir, rel: &Path) -> io::Result<Option<PathBuf>> {
    let mut stack = vec![rel.to_path_buf()];
    while let Some(below) = stack.pop() {
        for entry in dir.read_dir(&below)? {
            let entry = entry?;
            let path = below.join(entry.file_name());
            if entry.file_type()?.is_dir() {
                stack.push(path);
            } else {
                return Ok(Some(path));
            }
        }
    }
    Ok(None)
}

/// Orders two relative paths component by component (`a` < `a/b` < `a.b`): their bytes with `/`
/// taken as the lowest byte, which no name holds. The same order as comparing `split('/')`,
/// without an iterator of components per comparison.
fn by_components(a: &str, b: &str) -> std::cmp::Ordering {
    let key = |c: &u8| if *c == b'/' { 0 } else { *c };
    a.as_bytes()
        .iter()
        .map(key)
        .cmp(b.as_bytes().iter().map(key))
}

#[cfg(test)]
mod tests {
    #[test]
    fn directories_sort_by_components() {
        let mut dirs = ["a.b", "a/c", "a", "a-x/y", "a/c/d", "b"];
        dirs.sort_by(|x, y| super::by_components(x, y));
        assert_eq!(dirs, ["a", "a/c", "a/c/d", "a-x/y", "a.b", "b"]);
        let mut split = dirs;
        split.sort_by(|x, y| x.split('/').cmp(y.split('/')));
        assert_eq!(dirs, split);
    }

    use super::*;

    fn dirs(list: &[&str]) -> Vec<(RootId, String)> {
        list.iter()
            .map(|d| (RootId::default(), d.to_string()))
            .collect()
    }

    /// Every file and directory below `root`, relative, sorted.
    fn tree(root: &Path) -> Vec<String> {
        let mut out = Vec::new();
        let mut stack = vec![root.to_path_buf()];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p.clone());
                }
                out.push(p.strip_prefix(root).unwrap().display().to_string());
            }
        }
        out.sort();
        out
    }

    fn begin(state: &Path, site: &Path) -> Transaction {
        let mut roots = Roots::default();
        let id = roots.add(site);
        let mut txn = Transaction::begin(state, roots, "test").unwrap();
        txn.open_root(id, false).unwrap();
        txn
    }

    #[test]
    fn new_trees_are_made_whole_and_a_rollback_removes_them() {
        let tmp = tempfile::tempdir().unwrap();
        let site = tmp.path().join("site");
        std::fs::create_dir_all(site.join("old/kept")).unwrap();
        let wanted = dirs(&[
            "a",
            "a/b",
            "a/b/c",
            "a/d",
            "old",
            "old/new",
            "old/new/deep",
            "z",
            "z/y",
        ]);
        let mut txn = begin(tmp.path(), &site);
        txn.create_dirs(&wanted).unwrap();
        let made = tree(&site);
        for d in ["a/b/c", "a/d", "old/kept", "old/new/deep", "z/y"] {
            assert!(made.contains(&d.to_string()), "{d} in {made:?}");
        }
        // New files there go in place; elsewhere under a temporary name.
        assert!(txn.in_new_dir(RootId::default(), "a/b/c/m.py"));
        assert!(txn.in_new_dir(RootId::default(), "old/new/m.py"));
        assert!(!txn.in_new_dir(RootId::default(), "old/kept/m.py"));
        drop(txn);
        assert_eq!(tree(&site), ["old", "old/kept"]);
    }

    #[test]
    fn a_tree_that_cannot_be_made_fails_and_the_others_are_rolled_back() {
        let tmp = tempfile::tempdir().unwrap();
        let site = tmp.path().join("site");
        std::fs::create_dir_all(&site).unwrap();
        // Nothing is looked at below a new directory: the name too long for the filesystem
        // fails when it is made, half way through its tree, while other trees are made.
        let long = format!("m/{}", "x".repeat(300));
        let wanted = dirs(&["a", "a/b", "m", &long, "z", "z/y"]);
        let mut txn = begin(tmp.path(), &site);
        let err = txn.create_dirs(&wanted).unwrap_err();
        assert!(
            format!("{err:#}").contains("cannot create directory"),
            "{err:#}"
        );
        assert!(tree(&site).contains(&"m".to_string()));
        drop(txn);
        assert!(tree(&site).is_empty(), "{:?}", tree(&site));
    }
}
