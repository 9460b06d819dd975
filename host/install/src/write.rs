//! The **write** and **commit** stages: put the planned files on disk, all at once.
//!
//! Every file of every wheel is one task in a rayon pool, largest first, so one big wheel keeps
//! every core busy. Each task streams its member out of the archive (each worker has its own
//! reader), hashes it while writing it under a temporary name in its final directory, and checks
//! size and RECORD hash at the end. Nothing is visible under a final name until [`Staged::commit`]
//! hands over to the [`crate::txn`] commit. Every temporary and directory is journaled before it
//! is created, so a failure or a crash at any point rolls back to the environment as it was. All
//! writes go through the roots' directory capabilities.

use std::collections::BTreeSet;
use std::io::{self, Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use anyhow::{Context, Result, anyhow};
use cap_std::fs::Dir;
use rayon::prelude::*;
use sha2::Digest as _;
use zip::ZipArchive;

use crate::cache::{Entry, Staging, Stamp, Stored, WheelCache, link_at};
pub use crate::cache_use::plan_cache;
use crate::plan::{FileOp, Plan, Removal, Source};
use crate::roots::{DirHandles, RootId, Roots, create_file, split_parent};
use crate::txn::{CommitStats, Temp, Transaction};
use winst_python::scripts::fix_shebang_bytes;
use winst_wheel::OpenedWheel;
use winst_wheel::archive::PosReader;
use winst_wheel::error::WheelError;
use winst_wheel::record::Algorithm;
use winst_wheel::record::{Hasher, RecordHash, format_sha256};

const BUF_SIZE: usize = 256 << 10;

/// What was written for one planned file.
#[derive(Debug, Clone)]
pub struct Written {
    pub sha256: [u8; 32],
    pub size: u64,
}

/// Files on disk under temporary names. Dropping it without commit rolls back.
pub struct Staged {
    txn: Transaction,
    /// Per planned file, in plan order.
    pub written: Vec<Written>,
    /// sha256 of each wheel file, for `direct_url.json`.
    pub wheel_hashes: Vec<[u8; 32]>,
    /// Cache entries to complete once the install is committed.
    pub cache_fill: Vec<CacheFill>,
    /// Keys of cache entries found with changed files, to remove once the install is committed.
    pub cache_evict: Vec<[u8; 32]>,
    /// Files placed from the cache instead of inflated.
    pub from_cache: usize,
    /// Per planned file, its temporary name until the commit (`None` when shadowed).
    pub temps: Vec<Option<String>>,
}

/// How the write stage uses the wheel cache for one wheel.
pub enum CacheUse {
    /// No cache, or nothing to do with it.
    None,
    /// The wheel's files are cached: place them by the link mode.
    Hit(Entry),
    /// Not cached; the cache is on the environment's filesystem: hard-link each file into the new
    /// entry as it is written.
    LinkAlongside(Staging),
    /// Not cached; copy (or clone) the installed files into the new entry after the commit.
    CopyAfter(Staging),
}

/// The cache and, per wheel, how to use it; `keys` are the wheels' sha256 when already known.
pub struct CachePlan<'a> {
    pub cache: &'a WheelCache,
    pub wheels: Vec<CacheUse>,
    pub keys: Vec<Option<[u8; 32]>>,
    /// Files placed from the cache so far.
    pub placed: AtomicUsize,
    /// Per wheel: a cached file of its entry failed the checks (see [`crate::cache`]).
    pub stale: Vec<AtomicBool>,
}

/// A cache entry to complete after the commit.
pub struct CacheFill {
    staging: Staging,
    /// Files already linked in (member, stored).
    linked: Vec<(String, Stored)>,
    /// Files to copy in: (installed path, member, stored).
    to_copy: Vec<(std::path::PathBuf, String, Stored)>,
}

/// Completes the cache entries of a committed install and removes those found damaged. Failures
/// only leave entries out.
pub fn finish_cache(cache: &WheelCache, fills: Vec<CacheFill>, evict: &[[u8; 32]]) {
    for key in evict {
        cache.evict(key);
    }
    for mut fill in fills {
        let copied = cache.fill(&fill.staging, &fill.to_copy);
        fill.linked.extend(copied);
        cache.finish(fill.staging, fill.linked);
    }
}

/// A plain member (no rewriting) that the cache can hold: (member name, declared size).
fn plain_member<'a>(wheel: &'a OpenedWheel, op: &FileOp) -> Option<(&'a str, u64)> {
    match op.source {
        Source::Member {
            index,
            size,
            fix_shebang: false,
            ..
        } => wheel
            .archive
            .members
            .get(index)
            .map(|m| (m.name.as_str(), size)),
        _ => None,
    }
}

/// The parent directories of the plain members of one wheel's plan, for a new cache entry.
pub(crate) fn member_dirs(plan: &Plan, wheels: &[OpenedWheel], w: usize) -> BTreeSet<String> {
    plan.files
        .iter()
        .filter(|f| f.wheel == w)
        .filter_map(|f| plain_member(&wheels[w], f))
        .filter_map(|(m, _)| m.rsplit_once('/').map(|(d, _)| d.to_string()))
        .collect()
}

/// Per-worker state: one archive reader per wheel, and a buffer.
struct Worker {
    readers: Vec<Option<ZipArchive<PosReader>>>,
    buf: Vec<u8>,
}

/// Writes every planned file under a temporary name. On error, everything written is removed.
pub fn write(
    plan: &mut Plan,
    wheels: &[OpenedWheel],
    python: &Path,
    state_dir: &Path,
    cache: Option<CachePlan>,
    progress: &crate::progress::Progress,
) -> Result<Staged> {
    let mut txn = Transaction::begin(state_dir, std::mem::take(&mut plan.roots), "winst install")?;
    let used: BTreeSet<RootId> = plan
        .files
        .iter()
        .filter(|f| !f.shadowed)
        .map(|f| f.root)
        .chain(plan.wheels.iter().map(|w| w.lib_root))
        .collect();
    for &root in &used {
        txn.open_root(root, true)?;
    }
    for r in plan.removals.iter().chain(&plan.stale_dist_infos) {
        txn.open_root(r.root, false)?;
    }
    txn.create_dirs(&plan.dirs)?;

    let files = &plan.files;
    let temps: Vec<Option<String>> = files
        .iter()
        .map(|f| (!f.shadowed).then(|| txn.temp_name(f.root, &f.rel, false)))
        .collect();
    txn.add_temps(
        files
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
        true,
    )?;
    let made = txn.take_handles();
    let roots = &txn.roots;
    let handles = match &cache {
        Some(c) => CacheHandles::open(c, roots, files, &temps, wheels, made),
        None => CacheHandles { env: made },
    };
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
    let known = |w: usize| cache.as_ref().and_then(|c| c.keys[w]);
    by_size.retain(|&w| known(w).is_none());
    for (k, w) in by_size.into_iter().enumerate() {
        jobs.insert((k * 2).min(jobs.len()), Job::HashWheel(w));
    }

    let failed = AtomicBool::new(false);
    enum Out {
        /// A file written; with the cache entry it was linked into, if any.
        File(usize, Result<(Written, Option<Stored>)>),
        Wheel(usize, Result<[u8; 32]>),
    }
    // `with_max_len(1)`: every job stays stealable. Rayon otherwise hands each thread long runs
    // of jobs that it works through alone; sorted largest first, the last run is thousands of
    // small files on one core while the other idles (measured: 3 of 4.5 s on one core).
    let outs: Vec<Out> = jobs
        .par_iter()
        .with_max_len(1)
        .map_init(
            || Worker {
                readers: (0..wheels.len()).map(|_| None).collect(),
                buf: vec![0; BUF_SIZE],
            },
            |worker, job| match *job {
                Job::File(i) => {
                    if failed.load(Ordering::Relaxed) || crate::signals::interrupted() {
                        return Out::File(i, Err(anyhow!("skipped")));
                    }
                    let op = &files[i];
                    let wheel = &wheels[op.wheel];
                    let tmp = temps[i].as_deref();
                    let r = match (cache.as_ref(), plain_member(wheel, op)) {
                        (Some(c), Some((member, size))) => write_cached(
                            worker, roots, c, &handles, wheel, op, member, size, tmp, python,
                        ),
                        _ => write_one(worker, roots, wheel, op, tmp, python).map(|w| (w, None)),
                    };
                    match &r {
                        Ok((w, _)) => progress.file_done(op.wheel, w.size),
                        Err(_) => failed.store(true, Ordering::Relaxed),
                    }
                    Out::File(i, r)
                }
                Job::HashWheel(w) => {
                    if failed.load(Ordering::Relaxed) || crate::signals::interrupted() {
                        return Out::Wheel(w, Err(anyhow!("skipped")));
                    }
                    Out::Wheel(w, hash_file(&wheels[w].path, &mut worker.buf))
                }
            },
        )
        .collect();
    // Closing thousands of directory handles is not on anyone's critical path.
    std::thread::spawn(move || drop(handles));

    let mut written: Vec<Option<Written>> = vec![None; files.len()];
    let mut wheel_hashes: Vec<[u8; 32]> = (0..wheels.len())
        .map(|w| known(w).unwrap_or([0u8; 32]))
        .collect();
    let mut errors: Vec<(usize, anyhow::Error)> = Vec::new();
    let mut linked: Vec<Vec<(String, Stored)>> = vec![Vec::new(); wheels.len()];
    for out in outs {
        match out {
            Out::File(i, Ok((w, stored))) => {
                if let Some(stored) = stored
                    && let Some((member, _)) = plain_member(&wheels[files[i].wheel], &files[i])
                {
                    linked[files[i].wheel].push((member.to_string(), stored));
                }
                written[i] = Some(w)
            }
            Out::File(i, Err(e)) => errors.push((i, e)),
            Out::Wheel(w, Ok(h)) => wheel_hashes[w] = h,
            Out::Wheel(w, Err(e)) => errors.push((usize::MAX - wheels.len() + w, e)),
        }
    }
    let from_cache = cache
        .as_ref()
        .map_or(0, |c| c.placed.load(Ordering::Relaxed));
    let mut cache_fill = Vec::new();
    let mut cache_evict = Vec::new();
    if let Some(c) = cache {
        cache_evict = (c.stale.iter().zip(&c.keys))
            .filter(|(stale, _)| stale.load(Ordering::Relaxed))
            .filter_map(|(_, key)| *key)
            .collect();
        for (w, usage) in c.wheels.into_iter().enumerate() {
            match usage {
                CacheUse::LinkAlongside(staging) if errors.is_empty() => {
                    cache_fill.push(CacheFill {
                        staging,
                        linked: std::mem::take(&mut linked[w]),
                        to_copy: Vec::new(),
                    });
                }
                CacheUse::CopyAfter(staging) if errors.is_empty() => {
                    let to_copy = files
                        .iter()
                        .zip(&written)
                        .filter(|(op, _)| op.wheel == w && !op.shadowed)
                        .filter_map(|(op, wr)| {
                            let (member, _) = plain_member(&wheels[w], op)?;
                            let wr = wr.as_ref()?;
                            Some((
                                roots.absolute(op.root, &op.rel),
                                member.to_string(),
                                Stored {
                                    size: wr.size,
                                    sha256: wr.sha256,
                                    executable: op.executable,
                                    stamp: Default::default(),
                                },
                            ))
                        })
                        .collect();
                    cache_fill.push(CacheFill {
                        staging,
                        linked: Vec::new(),
                        to_copy,
                    });
                }
                // Unfinished entries are removed when dropped.
                CacheUse::LinkAlongside(_) | CacheUse::CopyAfter(_) => {}
                CacheUse::None | CacheUse::Hit(_) => {}
            }
        }
    }
    let mut staged = Staged {
        txn,
        written: Vec::new(),
        wheel_hashes,
        cache_fill,
        cache_evict,
        from_cache,
        temps,
    };
    if !errors.is_empty() {
        staged.txn.rollback();
        crate::signals::check()?;
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

/// Directory handles for the files the cache places or takes, opened once per environment
/// directory before the parallel phase (those `create_dirs` made are reused). The cache side
/// needs none: a member is named by its path inside the entry's directory, which winst wrote.
struct CacheHandles {
    env: DirHandles,
}

impl CacheHandles {
    fn open(
        plan: &CachePlan,
        roots: &Roots,
        files: &[FileOp],
        temps: &[Option<String>],
        wheels: &[OpenedWheel],
        env: DirHandles,
    ) -> CacheHandles {
        let mut h = CacheHandles { env };
        for (op, tmp) in files.iter().zip(temps) {
            let (Some(tmp), Some(_)) = (tmp, plain_member(&wheels[op.wheel], op)) else {
                continue;
            };
            if matches!(
                plan.wheels[op.wheel],
                CacheUse::Hit(_) | CacheUse::LinkAlongside(_)
            ) {
                let _ = h.env.open(roots, op.root, split_parent(tmp).0);
            }
        }
        h
    }

    /// (environment directory, temporary's name, the cache entry's directory, member's path).
    fn for_op<'a>(
        &'a self,
        plan: &'a CachePlan,
        op: &FileOp,
        tmp: &'a str,
        member: &'a str,
    ) -> Option<(&'a Dir, &'a str, &'a Dir, &'a str)> {
        let (env_parent, tmp_name) = split_parent(tmp);
        let cache_dir = match &plan.wheels[op.wheel] {
            CacheUse::Hit(entry) => entry.files_dir(),
            CacheUse::LinkAlongside(staging) => staging.files_dir(),
            _ => return None,
        };
        Some((
            self.env.get(op.root, env_parent)?,
            tmp_name,
            cache_dir,
            member,
        ))
    }
}

/// Writes a plain member with the cache: placed from the cache entry when the wheel is cached
/// (inflated from the archive if that fails), else written and, when the cache is being filled
/// alongside, linked into the new entry.
#[allow(clippy::too_many_arguments)]
fn write_cached(
    worker: &mut Worker,
    roots: &Roots,
    cache: &CachePlan,
    handles: &CacheHandles,
    wheel: &OpenedWheel,
    op: &FileOp,
    member: &str,
    size: u64,
    tmp: Option<&str>,
    python: &Path,
) -> Result<(Written, Option<Stored>)> {
    match &cache.wheels[op.wheel] {
        CacheUse::Hit(entry) => {
            if let Some(written) = place_cached(cache, handles, entry, wheel, op, member, size, tmp)
            {
                return Ok((written, None));
            }
            write_one(worker, roots, wheel, op, tmp, python).map(|w| (w, None))
        }
        CacheUse::LinkAlongside(_) => {
            let written = write_one(worker, roots, wheel, op, tmp, python)?;
            let stored = tmp.and_then(|tmp| {
                let (env_dir, tmp_name, cache_dir, member_name) =
                    handles.for_op(cache, op, tmp, member)?;
                link_at(env_dir, tmp_name, cache_dir, member_name).ok()?;
                let stamp = Stamp::of_at(cache_dir, member_name).ok()?;
                Some(Stored {
                    size: written.size,
                    sha256: written.sha256,
                    executable: op.executable,
                    stamp,
                })
            });
            Ok((written, stored))
        }
        CacheUse::None | CacheUse::CopyAfter(_) => {
            write_one(worker, roots, wheel, op, tmp, python).map(|w| (w, None))
        }
    }
}

/// Places a member from its wheel's cache entry under `tmp` (nothing to place when `tmp` is
/// `None`: the file is shadowed). `None` when it must be inflated instead: the entry does not
/// hold the member (its fill failed for that file), or holds it with another size, mode or hash
/// than the wheel says, or the cached file changed after it was cached or vanished. The last
/// three mark the entry stale, to be refilled.
#[allow(clippy::too_many_arguments)]
fn place_cached(
    cache: &CachePlan,
    handles: &CacheHandles,
    entry: &Entry,
    wheel: &OpenedWheel,
    op: &FileOp,
    member: &str,
    size: u64,
    tmp: Option<&str>,
) -> Option<Written> {
    let stored = entry.files.get(member)?;
    let stale = || cache.stale[op.wheel].store(true, Ordering::Relaxed);
    if stored.size != size
        || stored.executable != op.executable
        || !matches_record(stored, &op.source)
    {
        log::debug!(
            "{}: {member}: the cache entry does not match the wheel's RECORD; inflating it",
            wheel.file_name
        );
        stale();
        return None;
    }
    let written = Written {
        sha256: stored.sha256,
        size,
    };
    let Some(tmp) = tmp else {
        return Some(written);
    };
    let (env_dir, tmp_name, cache_dir, member_name) = handles.for_op(cache, op, tmp, member)?;
    match cache
        .cache
        .place(cache_dir, member_name, env_dir, tmp_name, stored)
    {
        Ok(_) => {
            cache.placed.fetch_add(1, Ordering::Relaxed);
            Some(written)
        }
        Err(e) => {
            if matches!(
                e.kind(),
                io::ErrorKind::InvalidData | io::ErrorKind::NotFound
            ) {
                stale();
            }
            log::debug!(
                "{}: {member}: not placed from the cache ({e}); inflating it",
                wheel.file_name
            );
            let _ = env_dir.remove_file(tmp_name);
            None
        }
    }
}

/// Whether a cache entry's record of a member agrees with the wheel's RECORD hash for it (a
/// manifest that belongs to another wheel, or was edited, does not). Members whose RECORD hash
/// is not sha256, or that have none (`--no-verify-record`), are taken on the manifest's word.
fn matches_record(stored: &Stored, source: &Source) -> bool {
    match source {
        Source::Member {
            expected: Some(expected),
            ..
        } if expected.algorithm == Algorithm::Sha256 => expected.digest[..] == stored.sha256[..],
        _ => true,
    }
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
            create_file(roots.dir(op.root)?, tmp, op.executable)
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
                // A member that inflates past its declared size is stopped here, not after
                // filling the disk: declared sizes are what limits were checked against.
                if total > *size {
                    return Err(WheelError::member(
                        &wheel.file_name,
                        &op.origin,
                        format!("inflates to more than the {size} bytes the archive declares"),
                    )
                    .into());
                }
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
                    let actual_hex = hex::encode(&actual);
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
    /// The environment's directories.
    pub fn roots(&self) -> &Roots {
        &self.txn.roots
    }

    /// The transaction, for stages that add files of their own.
    pub(crate) fn txn_mut(&mut self) -> &mut Transaction {
        &mut self.txn
    }
    /// Creates `rel` and its missing parents inside `root`, journaled for rollback.
    pub fn ensure_dir(&mut self, root: RootId, rel: &str) -> Result<()> {
        let mut dirs = Vec::new();
        let mut prefix = String::new();
        for part in rel.split('/') {
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(part);
            dirs.push((root, prefix.clone()));
        }
        self.txn.create_dirs(&dirs)
    }

    /// Writes generated bytes (RECORD and friends) under a temporary name for this commit.
    pub fn stage_bytes(
        &mut self,
        root: RootId,
        rel: &str,
        bytes: &[u8],
        last: bool,
    ) -> Result<Written> {
        let tmp = self.txn.temp_name(root, rel, last);
        self.txn.add_temps(
            vec![Temp {
                root,
                tmp: tmp.clone(),
                dest: rel.to_string(),
                last,
            }],
            false,
        )?;
        let roots = &self.txn.roots;
        let mut f = create_file(roots.dir(root)?, &tmp, false)
            .with_context(|| format!("cannot create {}", roots.absolute(root, rel).display()))?;
        f.write_all(bytes)
            .with_context(|| format!("cannot write {}", roots.absolute(root, rel).display()))?;
        Ok(Written {
            sha256: sha2::Sha256::digest(bytes).into(),
            size: bytes.len() as u64,
        })
    }

    /// Commits the transaction: see [`Transaction::commit`].
    pub fn commit(self, removals: &[Removal], stale_dirs: &[Removal]) -> Result<CommitStats> {
        let paths = |rs: &[Removal]| -> Vec<(RootId, String)> {
            rs.iter().map(|r| (r.root, r.rel.clone())).collect()
        };
        self.txn.commit(&paths(removals), &paths(stale_dirs))
    }
}

/// `sha256=...` for a written file.
pub fn record_hash(w: &Written) -> String {
    format_sha256(&w.sha256)
}
