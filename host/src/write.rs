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
use crate::txn::{CommitStats, Temp, Transaction};
use crate::wheel::OpenedWheel;
use crate::wheel::archive::PosReader;

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

fn open_new(dir: &Dir, rel: &str, executable: bool) -> io::Result<cap_std::fs::File> {
    let mut options = OpenOptions::new();
    options
        .write(true)
        .create_new(true)
        .mode(if executable { 0o777 } else { 0o666 });
    dir.open_with(rel, &options)
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
    progress: &crate::ui::progress::Progress,
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
        .map(|f| (!f.shadowed).then(|| txn.temp_name(&f.rel)))
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
    let roots = &txn.roots;
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
                    if failed.load(Ordering::Relaxed) || crate::signals::interrupted() {
                        return Out::File(i, Err(anyhow!("skipped")));
                    }
                    let r = write_one(
                        worker,
                        roots,
                        &wheels[files[i].wheel],
                        &files[i],
                        temps[i].as_deref(),
                        python,
                    );
                    match &r {
                        Ok(w) => progress.file_done(files[i].wheel, w.size),
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
        txn,
        written: Vec::new(),
        wheel_hashes,
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
        let tmp = self.txn.temp_name(rel);
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
        let mut f = open_new(roots.dir(root)?, &tmp, false)
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
