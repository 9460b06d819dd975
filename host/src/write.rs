//! The **write** and **commit** stages: put the planned files on disk, all at once.
//!
//! Every file of every wheel is one task in a rayon pool, largest first, so one big wheel keeps
//! every core busy. Each task streams its member out of the archive (each worker has its own
//! reader), hashes it while writing it under a temporary name in its final directory, and checks
//! size and RECORD hash at the end. Nothing is visible under a final name until [`Staged::commit`]
//! renames the temporaries into place and removes what replaced versions left behind. If anything
//! fails before commit, the temporaries and the directories this run created are removed, and the
//! environment is as it was. All writes go through the roots' directory capabilities.

use std::collections::{BTreeSet, HashMap};
use std::io::{self, Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result, anyhow};
use cap_std::fs::{Dir, OpenOptions, OpenOptionsExt as _};
use rayon::prelude::*;
use sha2::Digest as _;
use zip::ZipArchive;

use crate::error::WheelError;
use crate::plan::{FileOp, Plan, Removal, Source};
use crate::record::{Hasher, RecordHash, format_sha256};
use crate::roots::{RootId, Roots};
use crate::scripts::shebang;
use crate::wheel::OpenedWheel;
use crate::wheel::archive::PosReader;

const BUF_SIZE: usize = 256 << 10;

/// What was written for one planned file.
#[derive(Debug, Clone)]
pub struct Written {
    pub sha256: [u8; 32],
    pub size: u64,
}

/// A file written under a temporary name, waiting for commit.
struct Temp {
    root: RootId,
    tmp: String,
    dest: String,
    /// RECORD files are renamed last: a dist-info with a RECORD is a complete install.
    last: bool,
}

/// Files on disk under temporary names. Dropping it without commit rolls back.
pub struct Staged {
    roots: Roots,
    temps: Vec<Temp>,
    created_dirs: Vec<(RootId, String)>,
    /// Per planned file, in plan order.
    pub written: Vec<Written>,
    /// sha256 of each wheel file, for `direct_url.json`.
    pub wheel_hashes: Vec<[u8; 32]>,
    counter: usize,
    done: bool,
}

/// Replaces a `#!python` / `#!pythonw` first line with the target's shebang, as pip does.
pub fn fix_shebang_bytes(content: &[u8], python: &Path) -> Option<Vec<u8>> {
    if !content.starts_with(b"#!python") {
        return None;
    }
    let rest = match content.iter().position(|&b| b == b'\n') {
        Some(i) => &content[i + 1..],
        None => &[][..],
    };
    let mut out = shebang(python).into_bytes();
    out.push(b'\n');
    out.extend_from_slice(rest);
    Some(out)
}

fn tmp_name(dest: &str, n: usize) -> String {
    let name = format!(".winst-{}-{n}.tmp", std::process::id());
    match dest.rsplit_once('/') {
        Some((dir, _)) => format!("{dir}/{name}"),
        None => name,
    }
}

fn open_new(dir: &Dir, rel: &str, executable: bool) -> io::Result<cap_std::fs::File> {
    let mut options = OpenOptions::new();
    options
        .write(true)
        .create_new(true)
        .mode(if executable { 0o777 } else { 0o666 });
    dir.open_with(rel, &options)
}

/// Creates the planned directories; returns those that did not exist.
fn create_dirs(roots: &Roots, dirs: &[(RootId, String)]) -> Result<Vec<(RootId, String)>> {
    let mut created = Vec::new();
    let result = dirs.iter().try_for_each(|(root, rel)| -> Result<()> {
        let dir = roots.dir(*root)?;
        match dir.create_dir(rel) {
            Ok(()) => {
                created.push((*root, rel.clone()));
                Ok(())
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                if dir.metadata(rel).is_ok_and(|m| m.is_dir()) {
                    Ok(())
                } else {
                    Err(anyhow!(
                        "{} exists and is not a directory",
                        roots.absolute(*root, rel).display()
                    ))
                }
            }
            Err(e) => Err(anyhow::Error::new(e).context(format!(
                "cannot create directory {}",
                roots.absolute(*root, rel).display()
            ))),
        }
    });
    match result {
        Ok(()) => Ok(created),
        Err(e) => {
            remove_dirs(roots, &created);
            Err(e)
        }
    }
}

fn remove_dirs(roots: &Roots, created: &[(RootId, String)]) {
    for (root, rel) in created.iter().rev() {
        if let Ok(dir) = roots.dir(*root) {
            let _ = dir.remove_dir(rel);
        }
    }
}

/// Per-worker state: one archive reader per wheel, and a buffer.
struct Worker {
    readers: Vec<Option<ZipArchive<PosReader>>>,
    buf: Vec<u8>,
}

/// Writes every planned file under a temporary name. On error, everything written is removed.
pub fn write(plan: &mut Plan, wheels: &[OpenedWheel], python: &Path) -> Result<Staged> {
    let mut roots = std::mem::take(&mut plan.roots);
    let used: BTreeSet<RootId> = plan
        .files
        .iter()
        .filter(|f| !f.shadowed)
        .map(|f| f.root)
        .chain(plan.wheels.iter().map(|w| w.lib_root))
        .collect();
    let opened = used
        .iter()
        .try_for_each(|&root| roots.open(root, true))
        .and_then(|()| {
            plan.removals
                .iter()
                .chain(&plan.stale_dist_infos)
                .try_for_each(|r| roots.open_existing(r.root).map(|_| ()))
        });
    if let Err(e) = opened {
        roots.remove_created();
        return Err(e);
    }
    let created_dirs = match create_dirs(&roots, &plan.dirs) {
        Ok(c) => c,
        Err(e) => {
            roots.remove_created();
            return Err(e);
        }
    };

    let files = &plan.files;
    let temps: Vec<Option<String>> = files
        .iter()
        .enumerate()
        .map(|(i, f)| (!f.shadowed).then(|| tmp_name(&f.rel, i)))
        .collect();
    let mut order: Vec<usize> = (0..files.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(files[i].size_hint()));

    enum Job {
        File(usize),
        HashWheel(usize),
    }
    let mut jobs: Vec<Job> = order.into_iter().map(Job::File).collect();
    // Hashing a wheel is as much work as inflating it: schedule the big ones early.
    let mut by_size: Vec<usize> = (0..wheels.len()).collect();
    by_size.sort_by_key(|&w| std::cmp::Reverse(wheels[w].archive.file_size));
    for (k, w) in by_size.into_iter().enumerate() {
        jobs.insert((k * 2).min(jobs.len()), Job::HashWheel(w));
    }

    let failed = AtomicBool::new(false);
    enum Out {
        File(usize, Result<Written>),
        Wheel(usize, Result<[u8; 32]>),
    }
    let outs: Vec<Out> = jobs
        .par_iter()
        .map_init(
            || Worker {
                readers: (0..wheels.len()).map(|_| None).collect(),
                buf: vec![0; BUF_SIZE],
            },
            |worker, job| match *job {
                Job::File(i) => {
                    if failed.load(Ordering::Relaxed) {
                        return Out::File(i, Err(anyhow!("skipped")));
                    }
                    let r = write_one(
                        worker,
                        &roots,
                        &wheels[files[i].wheel],
                        &files[i],
                        temps[i].as_deref(),
                        python,
                    );
                    if r.is_err() {
                        failed.store(true, Ordering::Relaxed);
                    }
                    Out::File(i, r)
                }
                Job::HashWheel(w) => {
                    if failed.load(Ordering::Relaxed) {
                        return Out::Wheel(w, Err(anyhow!("skipped")));
                    }
                    Out::Wheel(w, hash_file(&wheels[w].path, &mut worker.buf))
                }
            },
        )
        .collect();

    let mut written: Vec<Option<Written>> = vec![None; files.len()];
    let mut wheel_hashes = vec![[0u8; 32]; wheels.len()];
    let mut errors: Vec<(usize, anyhow::Error)> = Vec::new();
    for out in outs {
        match out {
            Out::File(i, Ok(w)) => written[i] = Some(w),
            Out::File(i, Err(e)) => errors.push((i, e)),
            Out::Wheel(w, Ok(h)) => wheel_hashes[w] = h,
            Out::Wheel(w, Err(e)) => errors.push((usize::MAX - wheels.len() + w, e)),
        }
    }
    let mut staged = Staged {
        roots,
        temps: files
            .iter()
            .zip(&temps)
            .filter_map(|(f, t)| {
                t.as_ref().map(|tmp| Temp {
                    root: f.root,
                    tmp: tmp.clone(),
                    dest: f.rel.clone(),
                    last: false,
                })
            })
            .collect(),
        created_dirs,
        written: Vec::new(),
        wheel_hashes,
        counter: files.len(),
        done: false,
    };
    if !errors.is_empty() {
        staged.rollback();
        // Report the real failure that comes first in plan order, not a skipped task.
        errors.sort_by_key(|(i, e)| (e.to_string() == "skipped", *i));
        let (_, e) = errors.swap_remove(0);
        return Err(e);
    }
    staged.written = written
        .into_iter()
        .map(|w| {
            w.unwrap_or(Written {
                sha256: [0; 32],
                size: 0,
            })
        })
        .collect();
    Ok(staged)
}

fn hash_file(path: &Path, buf: &mut [u8]) -> Result<[u8; 32]> {
    let mut file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut h = sha2::Sha256::new();
    loop {
        let n = file
            .read(buf)
            .with_context(|| format!("cannot read {}", path.display()))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().into())
}

/// Reads until `buf` is full or the stream ends.
fn fill(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match reader.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn write_one(
    worker: &mut Worker,
    roots: &Roots,
    wheel: &OpenedWheel,
    op: &FileOp,
    tmp: Option<&str>,
    python: &Path,
) -> Result<Written> {
    let dest_path = || roots.absolute(op.root, &op.rel);
    let mut out = match tmp {
        Some(tmp) => Some(
            open_new(roots.dir(op.root)?, tmp, op.executable)
                .with_context(|| format!("cannot create {}", dest_path().display()))?,
        ),
        None => None,
    };
    let mut out_hash = sha2::Sha256::new();
    let mut out_size = 0u64;
    let mut emit = |bytes: &[u8]| -> Result<()> {
        out_hash.update(bytes);
        out_size += bytes.len() as u64;
        if let Some(f) = out.as_mut() {
            f.write_all(bytes)
                .with_context(|| format!("cannot write {}", dest_path().display()))?;
        }
        Ok(())
    };
    match &op.source {
        Source::Generated(bytes) => emit(bytes)?,
        Source::Member {
            index,
            size,
            expected,
            fix_shebang,
        } => {
            let reader = &mut worker.readers[op.wheel];
            let zip = reader.get_or_insert_with(|| wheel.archive.reader());
            let corrupt = |e: &dyn std::fmt::Display| {
                WheelError::member(&wheel.file_name, &op.origin, format!("cannot be read: {e}"))
            };
            let mut member = zip.by_index(*index).map_err(|e| corrupt(&e))?;
            let mut verify: Option<Hasher> = expected.as_ref().map(RecordHash::hasher);
            let mut total = 0u64;
            let mut first = true;
            loop {
                let n = fill(&mut member, &mut worker.buf).map_err(|e| corrupt(&e))?;
                if n == 0 {
                    break;
                }
                let chunk = &worker.buf[..n];
                total += n as u64;
                if let Some(v) = verify.as_mut() {
                    v.update(chunk);
                }
                if first && *fix_shebang {
                    match fix_shebang_bytes(chunk, python) {
                        Some(fixed) => emit(&fixed)?,
                        None => emit(chunk)?,
                    }
                } else {
                    emit(chunk)?;
                }
                first = false;
            }
            if total != *size {
                return Err(WheelError::member(
                    &wheel.file_name,
                    &op.origin,
                    format!("the archive says {size} bytes but {total} bytes were read"),
                )
                .into());
            }
            if let (Some(v), Some(expected)) = (verify, expected) {
                let actual = v.finish();
                if actual != expected.digest {
                    let actual_hex: String = actual.iter().map(|b| format!("{b:02x}")).collect();
                    return Err(WheelError::member(
                        &wheel.file_name,
                        &op.origin,
                        format!(
                            "its contents do not match the hash in RECORD (content sha256 is {actual_hex}); the wheel is corrupt or was modified"
                        ),
                    )
                    .into());
                }
            }
        }
    }
    if let Some(f) = out {
        drop(f);
    }
    Ok(Written {
        sha256: out_hash.finalize().into(),
        size: out_size,
    })
}

impl Staged {
    /// Creates `rel` and its missing parents inside `root`, recording them for rollback.
    pub fn ensure_dir(&mut self, root: RootId, rel: &str) -> Result<()> {
        let mut prefix = String::new();
        for part in rel.split('/') {
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(part);
            let created = create_dirs(&self.roots, &[(root, prefix.clone())])?;
            self.created_dirs.extend(created);
        }
        Ok(())
    }

    /// Writes generated bytes (RECORD and friends) under a temporary name for this commit.
    pub fn stage_bytes(
        &mut self,
        root: RootId,
        rel: &str,
        bytes: &[u8],
        last: bool,
    ) -> Result<Written> {
        self.counter += 1;
        let tmp = tmp_name(rel, self.counter);
        let dir = self.roots.dir(root)?;
        let mut f = open_new(dir, &tmp, false).with_context(|| {
            format!("cannot create {}", self.roots.absolute(root, rel).display())
        })?;
        self.temps.push(Temp {
            root,
            tmp,
            dest: rel.to_string(),
            last,
        });
        f.write_all(bytes).with_context(|| {
            format!("cannot write {}", self.roots.absolute(root, rel).display())
        })?;
        Ok(Written {
            sha256: sha2::Sha256::digest(bytes).into(),
            size: bytes.len() as u64,
        })
    }

    /// Renames every temporary into place, then removes what replaced versions left behind.
    /// Failing to remove an old file after the new ones are in place is a warning, not an error:
    /// the install itself is complete.
    pub fn commit(mut self, removals: &[Removal], stale_dirs: &[Removal]) -> Result<CommitStats> {
        self.temps.sort_by_key(|t| t.last);
        let mut renamed = 0;
        for t in &self.temps {
            let dir = self.roots.dir(t.root)?;
            dir.rename(&t.tmp, dir, &t.dest).with_context(|| {
                format!(
                    "cannot move {} into place",
                    self.roots.absolute(t.root, &t.dest).display()
                )
            })?;
            renamed += 1;
        }
        self.temps.clear();
        self.done = true;
        let (removed, mut warnings) = remove_files(&self.roots, removals);
        for r in stale_dirs {
            if let Ok(dir) = self.roots.dir(r.root)
                && let Err(e) = dir.remove_dir_all(&r.rel)
                && e.kind() != io::ErrorKind::NotFound
            {
                warnings.push(format!(
                    "cannot remove {}: {e}",
                    self.roots.absolute(r.root, &r.rel).display()
                ));
            }
        }
        Ok(CommitStats {
            renamed,
            removed,
            warnings,
        })
    }

    /// Removes the temporaries and the directories this run created.
    fn rollback(&mut self) {
        for t in self.temps.drain(..) {
            if let Ok(dir) = self.roots.dir(t.root) {
                let _ = dir.remove_file(&t.tmp);
            }
        }
        remove_dirs(&self.roots, &self.created_dirs);
        self.created_dirs.clear();
        self.roots.remove_created();
        self.done = true;
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.done {
            self.rollback();
        }
    }
}

/// What commit did.
#[derive(Debug, Clone, Default)]
pub struct CommitStats {
    pub renamed: usize,
    pub removed: usize,
    pub warnings: Vec<String>,
}

/// Removes files (and their bytecode), then the directories left empty. Returns the count removed
/// and a warning for each file that could not be.
pub fn remove_files(roots: &Roots, removals: &[Removal]) -> (usize, Vec<String>) {
    let mut removed = 0;
    let mut warnings = Vec::new();
    let mut parents: BTreeSet<(RootId, String)> = BTreeSet::new();
    let mut pycache_listing: HashMap<(RootId, String), Vec<String>> = HashMap::new();
    for r in removals {
        let Ok(dir) = roots.dir(r.root) else {
            continue;
        };
        match dir.remove_file(&r.rel) {
            Ok(()) => removed += 1,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => warnings.push(format!(
                "cannot remove {}: {e}",
                roots.absolute(r.root, &r.rel).display()
            )),
        }
        let (parent, file) = r.rel.rsplit_once('/').unwrap_or(("", r.rel.as_str()));
        if let Some(stem) = file.strip_suffix(".py") {
            let cache = if parent.is_empty() {
                "__pycache__".to_string()
            } else {
                format!("{parent}/__pycache__")
            };
            let listing = pycache_listing
                .entry((r.root, cache.clone()))
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
            parents.insert((r.root, cache));
        }
        let mut p = parent;
        while !p.is_empty() {
            parents.insert((r.root, p.to_string()));
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

/// `sha256=...` for a written file.
pub fn record_hash(w: &Written) -> String {
    format_sha256(&w.sha256)
}
