//! The **write** and **commit** stages: put the planned files on disk, all at once.
//!
//! The files of every wheel are tasks in a rayon pool: runs of files of one directory, largest
//! first, a big file alone ([`jobs`]), so one big wheel keeps every core busy and a run of small
//! files is written or linked through one directory handle. For each file, a task streams its
//! member out of the archive (each worker has its own reader), or places it from the wheel cache,
//! hashes it while writing it under a temporary name in its final directory, and checks size and
//! RECORD hash at the end. Nothing is visible under a final name until [`Staged::commit`]
//! hands over to the [`crate::txn`] commit. Every temporary and directory is journaled before it
//! is created, so a failure or a crash at any point rolls back to the environment as it was. All
//! writes go through the roots' directory capabilities.

use std::collections::BTreeSet;
use std::io::{self, Read, Write};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result, anyhow};
use rayon::prelude::*;

mod cached;
mod jobs;

use crate::manifest::Stored;
use crate::plan::{FileOp, Plan, Removal, Source, WheelPlan};
use crate::roots::{RootId, Roots, create_file, split_parent};
use crate::txn::{CommitStats, Temp, Transaction};
pub(crate) use cached::member_dirs;
pub use cached::{CacheFill, CachePlan, CacheUse, finish_cache};
use cached::{plain_member, write_cached};
use jobs::{Job, JobDirs, open_env};
use winst_python::scripts::fix_shebang_bytes;
use winst_wheel::OpenedWheel;
use winst_wheel::archive::PosReader;
use winst_wheel::error::WheelError;
use winst_wheel::record::{
    Algorithm, Digest, Hasher, RecordHash, Sha256, format_hash, format_sha256,
};

const BUF_SIZE: usize = 256 << 10;

/// What was written for one planned file.
#[derive(Debug, Clone, Copy)]
pub struct Written {
    pub sha256: [u8; 32],
    pub size: u64,
}

impl Written {
    /// Nothing written yet (a slot before its file is written).
    const NONE: Written = Written {
        sha256: [0; 32],
        size: 0,
    };

    /// What writing `bytes` (held in memory: generated files, bytecode) writes.
    pub fn of(bytes: &[u8]) -> Written {
        Written {
            sha256: winst_wheel::record::sha256(bytes),
            size: bytes.len() as u64,
        }
    }
}

/// One planned file after the write stage: what was planned, its temporary name until the
/// commit (`None` when shadowed: another wheel writes the same bytes there), and what was
/// written (for RECORD). A view into [`Staged`], which keeps the three in parallel vectors (the
/// plan's files are not copied).
#[derive(Clone, Copy)]
pub struct StagedFile<'a> {
    pub op: &'a FileOp,
    pub temp: Option<&'a str>,
    pub written: &'a Written,
    wheel: &'a WheelPlan,
    roots: &'a Roots,
}

impl<'a> StagedFile<'a> {
    /// The path the installed RECORD of its wheel lists for this file (see
    /// [`WheelPlan::record_path`]).
    pub fn record_path(&self) -> std::borrow::Cow<'a, str> {
        self.wheel
            .record_path(self.roots, self.op.root, &self.op.rel)
    }
}

/// Every planned file after the write stage, in plan order (see [`Staged::files`]).
#[derive(Clone, Copy)]
pub struct StagedFiles<'a> {
    ops: &'a [FileOp],
    temps: &'a [TempName],
    written: &'a [Written],
    wheels: &'a [WheelPlan],
    roots: &'a Roots,
}

impl<'a> StagedFiles<'a> {
    /// File `i` of the plan.
    pub fn get(&self, i: usize) -> StagedFile<'a> {
        let op = &self.ops[i];
        StagedFile {
            op,
            temp: self.temps[i].of(op),
            written: &self.written[i],
            wheel: &self.wheels[op.wheel],
            roots: self.roots,
        }
    }

    /// The files in plan order.
    pub fn iter(&self) -> impl Iterator<Item = StagedFile<'a>> + 'a {
        let this = *self;
        (0..this.ops.len()).map(move |i| this.get(i))
    }
}

/// Files on disk under temporary names, with the rest of the plan they carry out. Dropping it
/// without commit rolls back.
pub struct Staged {
    txn: Transaction,
    /// Every planned file, in plan order; its temporary name and what was written, by index.
    ops: Vec<FileOp>,
    temps: Vec<TempName>,
    written: Vec<Written>,
    /// What happens to each wheel.
    pub wheels: Vec<WheelPlan>,
    /// Files of replaced versions to remove at commit, and their absolute paths (for reports).
    removals: Vec<Removal>,
    pub removal_paths: Vec<std::path::PathBuf>,
    /// Dist-info directories of replaced versions, removed whole at commit.
    stale_dist_infos: Vec<Removal>,
    /// Directories where a new file goes, removed whole at commit (see `Plan::dirs_to_files`).
    dirs_to_files: Vec<Removal>,
    /// sha256 of each wheel file, for `direct_url.json`.
    pub wheel_hashes: Vec<[u8; 32]>,
    /// Cache entries to complete once the install is committed.
    pub cache_fill: Vec<CacheFill>,
    /// Keys of cache entries found with changed files, to remove once the install is committed.
    pub cache_evict: Vec<[u8; 32]>,
    /// Files placed from the cache instead of inflated.
    pub from_cache: usize,
}

/// Members up to this size (inflated and compressed, bytes) are inflated in one call into a
/// buffer of their declared size; larger ones stream through `BUF_SIZE` chunks. It bounds what a
/// worker holds whatever the archive declares: at most two buffers of this size.
const WHOLE_MAX: u64 = 8 << 20;

/// How many wheels' archive readers a write worker keeps open (see [`Worker::reader`]).
const READERS: usize = 4;

/// Per-worker state: one archive reader per wheel, a streaming buffer, and the inflater and
/// buffers of whole-member inflate (compressed in, inflated out; each grown to the largest
/// member seen, never past [`WHOLE_MAX`]).
struct Worker {
    /// Readers of the last few wheels read, with their wheel index, oldest first: each holds
    /// a read-ahead buffer, so a worker keeps a few, not one per wheel of the install.
    readers: Vec<(usize, PosReader)>,
    buf: Vec<u8>,
    inflater: Option<libdeflater::Decompressor>,
    whole_in: Vec<u8>,
    whole_out: Vec<u8>,
}

impl Worker {
    /// A worker: no reader opened, no buffer yet.
    fn new() -> Worker {
        Worker {
            readers: Vec::new(),
            buf: Vec::new(),
            inflater: None,
            whole_in: Vec::new(),
            whole_out: Vec::new(),
        }
    }

    /// The reader of `m`'s wheel, made (from the wheel's open archive) if it is not among the
    /// last [`READERS`] made.
    fn reader<'r>(
        readers: &'r mut Vec<(usize, PosReader)>,
        m: &MemberRef,
    ) -> Result<&'r mut PosReader, String> {
        let w = m.op.wheel;
        let i = match readers.iter().position(|(r, _)| *r == w) {
            Some(i) => i,
            None => {
                if readers.len() == READERS {
                    readers.remove(0);
                }
                readers.push((w, m.wheel.archive.reader()?));
                readers.len() - 1
            }
        };
        Ok(&mut readers[i].1)
    }

    /// Allocates the read buffer on first use (a worker that only links files has none).
    fn ensure_buf(&mut self) {
        if self.buf.is_empty() {
            self.buf = vec![0; BUF_SIZE];
        }
    }
}

/// What one job of the write stage reports beyond the files' [`Written`] (which it stores in
/// place, see [`job_slots`]).
enum Out {
    /// A run of files written.
    Files(FilesOut),
    /// A wheel file hashed.
    Wheel(usize, Result<[u8; 32]>),
}

/// What a run of files reports, by plan index: the files that failed (or were skipped after
/// another failed), and those linked into a new cache entry with what the entry stores.
#[derive(Default)]
struct FilesOut {
    errors: Vec<(usize, anyhow::Error)>,
    linked: Vec<(usize, Stored)>,
}

/// Splits `by_pos` (one slot per position of the write order) into the disjoint slices the
/// jobs fill: job `j` running the positions `start..end` gets `by_pos[start..end]`; a job that
/// writes no files gets `None`, and so does a run that overlaps an earlier one or ends past
/// `by_pos` (the scheduler makes none: its runs cover the order one after another).
fn job_slots<'a>(jobs: &[Job], by_pos: &'a mut [Written]) -> Vec<Option<&'a mut [Written]>> {
    let mut runs: Vec<(usize, usize, usize)> = (jobs.iter().enumerate())
        .filter_map(|(j, job)| match *job {
            Job::Files { start, end } => Some((start, end, j)),
            Job::HashWheel(_) => None,
        })
        .collect();
    runs.sort_unstable();
    let mut slots: Vec<Option<&'a mut [Written]>> = (0..jobs.len()).map(|_| None).collect();
    let mut rest = by_pos;
    let mut at = 0;
    for (start, end, j) in runs {
        // Runs that overlap or run past the end get no slice (their jobs then fail).
        let (Some(gap), Some(len)) = (start.checked_sub(at), end.checked_sub(start)) else {
            break;
        };
        let tail = std::mem::take(&mut rest);
        let Some((_, tail)) = tail.split_at_mut_checked(gap) else {
            break;
        };
        let Some((mine, tail)) = tail.split_at_mut_checked(len) else {
            break;
        };
        slots[j] = Some(mine);
        rest = tail;
        at = end;
    }
    slots
}

/// Where a planned file is written until the commit.
#[derive(Debug, Clone)]
enum TempName {
    /// Not written: another wheel writes the same bytes there (see [`FileOp::shadowed`]).
    Shadowed,
    /// Under its own name: its directory is new (see [`Transaction::temp_name`]). Most files
    /// of an install into a fresh environment; no copy of the name is made for them.
    InPlace,
    /// Under a temporary name next to its destination.
    Named(Box<str>),
}

impl TempName {
    /// The name `op` is written under, relative to its root.
    fn of<'a>(&'a self, op: &'a FileOp) -> Option<&'a str> {
        match self {
            TempName::Shadowed => None,
            TempName::InPlace => Some(&op.rel),
            TempName::Named(name) => Some(name),
        }
    }
}

/// What every job of the write stage reads.
struct Stage<'a> {
    files: &'a [FileOp],
    temps: &'a [TempName],
    wheels: &'a [OpenedWheel],
    roots: &'a Roots,
    cache: Option<&'a CachePlan<'a>>,
    python: &'a Path,
}

impl Stage<'_> {
    /// Writes the plan's file `i` under its temporary name, through the job's directories.
    fn write_file(
        &self,
        worker: &mut Worker,
        dirs: &mut JobDirs,
        i: usize,
    ) -> Result<(Written, Option<Stored>)> {
        let op = &self.files[i];
        let wheel = &self.wheels[op.wheel];
        let out = match self.temps[i].of(op) {
            Some(tmp) => {
                let (parent, name) = split_parent(tmp);
                let dir = dirs
                    .env
                    .get(op.root, parent, || open_env(self.roots, op.root, parent))
                    .with_context(|| {
                        let path = self.roots.absolute(op.root, parent);
                        format!("cannot open directory {}", path.display())
                    })?;
                Some((dir, name))
            }
            None => None,
        };
        let dest = Dest {
            roots: self.roots,
            op,
            out,
        };
        match (self.cache, plain_member(wheel, op)) {
            (Some(c), Some(member)) => {
                write_cached(worker, &mut dirs.cache, c, wheel, member, dest, self.python)
            }
            _ => write_one(worker, wheel, dest, self.python).map(|w| (w, None)),
        }
    }
}

/// A file winst generates after the write stage (RECORD, INSTALLER, REQUESTED,
/// `direct_url.json`): its root, its path there, its bytes, and whether it is renamed into place
/// last (RECORD: a dist-info with a RECORD is a complete install).
pub struct GeneratedFile {
    pub root: RootId,
    pub rel: String,
    pub bytes: Vec<u8>,
    pub last: bool,
}

/// Where one planned file goes: the directory and temporary name it is written under (`None`
/// when it is shadowed: read and verified, not written).
#[derive(Clone, Copy)]
struct Dest<'a> {
    roots: &'a Roots,
    op: &'a FileOp,
    out: Option<(&'a cap_std::fs::Dir, &'a str)>,
}

impl Dest<'_> {
    /// The file's final path, for messages.
    fn path(&self) -> std::path::PathBuf {
        self.roots.absolute(self.op.root, &self.op.rel)
    }
}

/// Starts the transaction: the roots opened (created where needed), the planned directories
/// made, and a journaled temporary name for every file that is written (`None` when shadowed).
fn begin(plan: &mut Plan, state_dir: &Path) -> Result<(Transaction, Vec<TempName>)> {
    let roots = std::mem::take(&mut plan.roots);
    let mut txn = Transaction::begin(state_dir, roots, "winst install")?;
    // Inserted one by one, skipping repeats (files come in runs of one root): collecting every
    // file's root first sorts a vector as long as the plan.
    let mut used: BTreeSet<RootId> = BTreeSet::new();
    let mut last = None;
    let roots_in_use = (plan.files.iter().filter(|f| !f.shadowed).map(|f| f.root))
        .chain(plan.wheels.iter().map(|w| w.lib_root));
    for root in roots_in_use {
        if last != Some(root) {
            used.insert(root);
            last = Some(root);
        }
    }
    for &root in &used {
        txn.open_root(root, true)?;
    }
    let kind_changes = plan.files_to_dirs.iter().chain(&plan.dirs_to_files);
    for r in plan
        .removals
        .iter()
        .chain(&plan.stale_dist_infos)
        .chain(kind_changes)
    {
        txn.open_root(r.root, false)?;
    }
    // Files of replaced versions where directories go are moved aside before those are made.
    txn.make_way(&removal_places(&plan.files_to_dirs))?;
    let started = std::time::Instant::now();
    txn.create_dirs(&plan.dirs)?;
    log::debug!(
        "write stage: {} directories made in {:.1?}",
        plan.dirs.len(),
        started.elapsed()
    );

    let files = &plan.files;
    // Which files go in place is a set lookup per file, made in parallel; only the others get
    // (sequentially numbered) temporary names.
    let in_place: Vec<bool> = files
        .par_iter()
        .map(|f| !f.shadowed && txn.in_new_dir(f.root, &f.rel))
        .collect();
    let temps: Vec<TempName> = (files.iter().zip(in_place))
        .map(|(f, in_place)| match (f.shadowed, in_place) {
            (true, _) => TempName::Shadowed,
            (false, true) => TempName::InPlace,
            (false, false) => TempName::Named(txn.temp_name(f.root, &f.rel, false).into()),
        })
        .collect();
    txn.add_temps(
        files
            .iter()
            .zip(&temps)
            .filter_map(|(f, t)| match t {
                // Files written in place are covered by their new directory's journal entry.
                TempName::Named(tmp) => Some(Temp {
                    root: f.root,
                    tmp: tmp.to_string(),
                    dest: f.rel.clone(),
                    last: false,
                }),
                _ => None,
            })
            .collect(),
        true,
    )?;
    Ok((txn, temps))
}

/// Writes every planned file under a temporary name, and takes the plan over (its roots go to the
/// transaction, its files into [`StagedFile`]s). On error, everything written is removed.
/// `known_sha256` gives a wheel file's sha256 when the caller has it already (a lock's verified
/// wheel), so it is not hashed again for `direct_url.json`.
pub fn write(
    mut plan: Plan,
    wheels: &[OpenedWheel],
    python: &Path,
    state_dir: &Path,
    cache: Option<CachePlan>,
    known_sha256: &dyn Fn(&Path) -> Option<[u8; 32]>,
    progress: &crate::progress::Progress,
) -> Result<Staged> {
    let started = std::time::Instant::now();
    let (mut txn, temps) = begin(&mut plan, state_dir)?;
    let begun = started.elapsed();
    // The writers open the directories they write in themselves, a few at a time.
    let files = &plan.files;
    let roots = &txn.roots;
    let known = |w: usize| {
        (cache.as_ref().and_then(|c| c.keys[w])).or_else(|| known_sha256(&wheels[w].path))
    };
    let wheel_sizes: Vec<u64> = wheels.iter().map(|w| w.archive.file_size).collect();
    let (order, jobs) = jobs::schedule(files, &wheel_sizes, &|w| known(w).is_some());
    let scheduled = started.elapsed();
    let stage = Stage {
        files,
        temps: &temps,
        wheels,
        roots,
        cache: cache.as_ref(),
        python,
    };

    let failed = AtomicBool::new(false);
    // `with_max_len(1)`: every job stays stealable. Rayon otherwise hands each thread long runs
    // of jobs that it works through alone; sorted largest first, the last run is thousands of
    // small files on one core while the other idles (measured: 3 of 4.5 s on one core).
    // One worker state per pool thread, made once: built per job (as `map_init` does with one
    // job per split), its readers and buffers cost an allocation and a memset per job.
    let workers: Vec<Mutex<Worker>> = (0..rayon::current_num_threads().max(1))
        .map(|_| Mutex::new(Worker::new()))
        .collect();
    // What was written, by position in `order`: each run of files owns the slice of its
    // positions and fills it in place; only errors and cache links come back from the jobs (a
    // result per file, collected and walked again, cost a serial pass over megabytes).
    let mut by_pos: Vec<Written> = vec![Written::NONE; order.len()];
    let slots = job_slots(&jobs, &mut by_pos);
    let outs: Vec<Out> = (jobs.par_iter().zip(slots))
        .with_max_len(1)
        .map(|(job, slot)| {
            let slot_index = rayon::current_thread_index().unwrap_or(0) % workers.len();
            let mut guard = workers[slot_index]
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            let worker = &mut *guard;
            let stop = || failed.load(Ordering::Relaxed) || crate::signals::interrupted();
            match (job, slot) {
                (&Job::Files { start, end }, Some(slot)) => {
                    let mut dirs = JobDirs::default();
                    let mut out = FilesOut::default();
                    for (&i, result) in order[start..end].iter().zip(slot.iter_mut()) {
                        if stop() {
                            out.errors.push((i, anyhow!("skipped")));
                            continue;
                        }
                        crate::txn::crash_half_way("writing", i, files.len());
                        match stage.write_file(worker, &mut dirs, i) {
                            Ok((w, stored)) => {
                                progress.file_done(files[i].wheel, w.size);
                                *result = w;
                                if let Some(stored) = stored {
                                    out.linked.push((i, stored));
                                }
                            }
                            Err(e) => {
                                failed.store(true, Ordering::Relaxed);
                                out.errors.push((i, e));
                            }
                        }
                    }
                    Out::Files(out)
                }
                (&Job::HashWheel(w), _) => {
                    if stop() {
                        return Out::Wheel(w, Err(anyhow!("skipped")));
                    }
                    worker.ensure_buf();
                    Out::Wheel(w, hash_file(&wheels[w].path, &mut worker.buf))
                }
                // Not made by `job_slots` for runs that cover the order; should it happen, the
                // install fails rather than record files it did not write.
                (&Job::Files { start, end }, None) => Out::Files(FilesOut {
                    errors: vec![(
                        order.get(start).copied().unwrap_or_default(),
                        anyhow!("write stage: no place for the results of files {start}..{end}"),
                    )],
                    linked: Vec::new(),
                }),
            }
        })
        .collect();
    let ran = started.elapsed();

    let mut wheel_hashes: Vec<[u8; 32]> = (0..wheels.len())
        .map(|w| known(w).unwrap_or([0u8; 32]))
        .collect();
    let mut errors: Vec<(usize, anyhow::Error)> = Vec::new();
    // Sized first: grown by doubling, a 100k-file install's vectors wasted megabytes.
    let mut per_wheel = vec![0; wheels.len()];
    for out in &outs {
        if let Out::Files(out) = out {
            for &(i, _) in &out.linked {
                per_wheel[files[i].wheel] += 1;
            }
        }
    }
    let mut linked: Vec<Vec<(usize, Stored)>> =
        (per_wheel.into_iter()).map(Vec::with_capacity).collect();
    for out in outs {
        match out {
            Out::Files(out) => {
                errors.extend(out.errors);
                for (i, stored) in out.linked {
                    let wheel = files[i].wheel;
                    if let Some(member) = plain_member(&wheels[wheel], &files[i]) {
                        linked[wheel].push((member.index, stored));
                    }
                }
            }
            Out::Wheel(w, Ok(h)) => wheel_hashes[w] = h,
            Out::Wheel(w, Err(e)) => errors.push((usize::MAX - wheels.len() + w, e)),
        }
    }
    // In plan order: what `Staged` and the record stage index by file.
    let mut pos = vec![0usize; files.len()];
    for (k, &i) in order.iter().enumerate() {
        pos[i] = k;
    }
    let written: Vec<Written> = pos.par_iter().map(|&k| by_pos[k]).collect();
    let from_cache = cache
        .as_ref()
        .map_or(0, |c| c.placed.load(Ordering::Relaxed));
    let (cache_fill, cache_evict) = match cache {
        Some(c) => c.settle(errors.is_empty(), linked, files, &written, wheels, roots),
        None => (Vec::new(), Vec::new()),
    };
    if !errors.is_empty() {
        // Unfinished cache entries are removed when dropped.
        drop(cache_fill);
        txn.rollback();
        crate::signals::check()?;
        // Report the real failure that comes first in plan order, not a skipped task.
        errors.sort_by_key(|(i, e)| (e.to_string() == "skipped", *i));
        let (_, e) = errors.swap_remove(0);
        return Err(e);
    }
    log::debug!(
        "write stage: directories and temporary names {begun:.1?}, schedule {:.1?}, jobs {:.1?}, \
         results {:.1?}",
        scheduled - begun,
        ran - scheduled,
        started.elapsed() - ran,
    );
    Ok(Staged {
        txn,
        ops: plan.files,
        temps,
        written,
        wheels: plan.wheels,
        removals: plan.removals,
        removal_paths: plan.removal_paths,
        stale_dist_infos: plan.stale_dist_infos,
        dirs_to_files: plan.dirs_to_files,
        wheel_hashes,
        cache_fill,
        cache_evict,
        from_cache,
    })
}

fn hash_file(path: &Path, buf: &mut [u8]) -> Result<[u8; 32]> {
    std::fs::File::open(path)
        .and_then(|mut file| crate::cache::sha256_of(&mut file, buf))
        .with_context(|| format!("cannot read {}", path.display()))
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

/// Where one file's bytes go: its temporary file (none when shadowed), hashed with sha256 (for
/// the installed RECORD) and counted as they pass.
struct Sink<'a> {
    out: Option<cap_std::fs::File>,
    hash: Sha256,
    size: u64,
    dest: &'a Dest<'a>,
}

impl<'a> Sink<'a> {
    /// Creates the file's temporary (none when the file is shadowed).
    fn create(dest: &'a Dest<'a>) -> Result<Sink<'a>> {
        let out = match dest.out {
            Some((dir, name)) => Some(
                create_file(dir, name, dest.op.executable)
                    .with_context(|| format!("cannot create {}", dest.path().display()))?,
            ),
            None => None,
        };
        Ok(Sink {
            out,
            hash: Sha256::new(),
            size: 0,
            dest,
        })
    }

    fn emit(&mut self, bytes: &[u8]) -> Result<()> {
        self.hash.update(bytes);
        self.size += bytes.len() as u64;
        if let Some(f) = self.out.as_mut() {
            f.write_all(bytes)
                .with_context(|| format!("cannot write {}", self.dest.path().display()))?;
        }
        Ok(())
    }

    /// Closes the file; what was written.
    fn finish(self) -> Written {
        Written {
            sha256: self.hash.finish(),
            size: self.size,
        }
    }
}

/// Writes one planned file (generated bytes, or a member inflated from the archive) and checks
/// a member's size and RECORD hash: a mismatch is an error naming the wheel and the member.
fn write_one(
    worker: &mut Worker,
    wheel: &OpenedWheel,
    dest: Dest,
    python: &Path,
) -> Result<Written> {
    let op = dest.op;
    let mut sink = Sink::create(&dest)?;
    let (expected, verifier) = match &op.source {
        Source::Generated { bytes, .. } => {
            sink.emit(bytes)?;
            (None, None)
        }
        Source::Member {
            index,
            size,
            fix_shebang,
        } => {
            let expected = op.expected(wheel);
            let member = MemberRef {
                wheel,
                op,
                index: *index,
                size: *size,
            };
            // The bytes written are the member's, unless a shebang is rewritten: then the
            // written file's sha256 is the member's, and one hash pass does both.
            let shared =
                !*fix_shebang && expected.is_some_and(|e| e.algorithm == Algorithm::Sha256);
            let verifier = expected.filter(|_| !shared).map(RecordHash::hasher);
            let fix = fix_shebang.then_some(python);
            (
                expected,
                copy_member(worker, member, fix, verifier, &mut sink)?,
            )
        }
    };
    let written = sink.finish();
    if let Some(expected) = expected {
        let actual = match verifier {
            Some(v) => v.finish(),
            None => written.sha256.to_vec(),
        };
        if actual[..] != expected.digest[..] {
            // In RECORD's own form (and the algorithm RECORD names), to compare by eye; in hex
            // too, as `sha256sum` prints it.
            let actual_hex = hex::encode(&actual);
            let says = format_hash(expected);
            let got = Digest::new(&actual).map_or_else(String::new, |digest| {
                format_hash(&RecordHash {
                    algorithm: expected.algorithm,
                    digest,
                })
            });
            return Err(WheelError::member(
                &wheel.file_name,
                op.origin(&wheel.archive.members),
                format!(
                    "its contents do not match the hash in RECORD (RECORD says {says}; the contents hash to {got}, hex {actual_hex}); the wheel is corrupt or was modified"
                ),
            )
            .into());
        }
    }
    Ok(written)
}

/// One archive member a planned file comes from, with its declared (uncompressed) size.
#[derive(Clone, Copy)]
struct MemberRef<'a> {
    wheel: &'a OpenedWheel,
    op: &'a FileOp,
    index: usize,
    size: u64,
}

impl MemberRef<'_> {
    /// An error about this member, naming the wheel and the member.
    fn error(&self, rule: String) -> anyhow::Error {
        let origin = self.op.origin(&self.wheel.archive.members);
        WheelError::member(&self.wheel.file_name, origin, rule).into()
    }
}

/// Inflates a member into `sink`, updating `verifier` (the RECORD hash when it is not the
/// sink's own) with the member's bytes, and rewriting the shebang when `fix_shebang` gives the
/// interpreter. A deflated member of at most [`WHOLE_MAX`] bytes (inflated and compressed) is
/// inflated in one call (libdeflate); others stream. Refuses a member that inflates to another
/// size than the archive declares (a streamed one is stopped as soon as it passes it), or whose
/// data or CRC-32 is bad. Returns the verifier.
fn copy_member(
    worker: &mut Worker,
    m: MemberRef,
    fix_shebang: Option<&Path>,
    mut verifier: Option<Hasher>,
    sink: &mut Sink,
) -> Result<Option<Hasher>> {
    let corrupt = |e: &dyn std::fmt::Display| m.error(format!("cannot be read: {e}"));
    let archive = &m.wheel.archive;
    let member = archive.members.get(m.index).ok_or_else(|| {
        corrupt(&format_args!(
            "the archive has no member number {}",
            m.index
        ))
    })?;
    let (compressed, crc) = (member.compressed_size, member.crc32);
    let whole = member.deflated && m.size <= WHOLE_MAX && compressed <= WHOLE_MAX;
    let reader = Worker::reader(&mut worker.readers, &m).map_err(|e| corrupt(&e))?;
    if !whole {
        if worker.buf.is_empty() {
            worker.buf = vec![0; BUF_SIZE];
        }
        let member = archive.inflate(reader, m.index).map_err(|e| corrupt(&e))?;
        stream_member(m, member, &mut worker.buf, fix_shebang, &mut verifier, sink)?;
        return Ok(verifier);
    }
    let compressed = compressed as usize;
    if worker.whole_in.len() < compressed {
        worker.whole_in.resize(compressed, 0);
    }
    let input = &mut worker.whole_in[..compressed];
    let mut raw = archive.raw(reader, m.index).map_err(|e| corrupt(&e))?;
    raw.read_exact(input).map_err(|e| corrupt(&e))?;
    let inflater = (worker.inflater).get_or_insert_with(libdeflater::Decompressor::new);
    let bytes = inflate_whole(m, inflater, input, crc, &mut worker.whole_out)?;
    if let Some(v) = verifier.as_mut() {
        v.update(bytes);
    }
    let fixed = fix_shebang.and_then(|python| fix_shebang_bytes(bytes, python));
    sink.emit(fixed.as_deref().unwrap_or(bytes))?;
    Ok(verifier)
}

/// Streams a member (`member`, the wheel crate's inflating and CRC-checking `MemberReader`)
/// into `sink` through `buf`, as [`copy_member`] describes.
fn stream_member(
    m: MemberRef,
    mut member: impl Read,
    buf: &mut [u8],
    fix_shebang: Option<&Path>,
    verifier: &mut Option<Hasher>,
    sink: &mut Sink,
) -> Result<()> {
    let size = m.size;
    let mut total = 0u64;
    let mut first = true;
    loop {
        let n = fill(&mut member, buf).map_err(|e| m.error(format!("cannot be read: {e}")))?;
        if n == 0 {
            break;
        }
        let chunk = &buf[..n];
        total += n as u64;
        // A member that inflates past its declared size is stopped here, not after
        // filling the disk: declared sizes are what limits were checked against.
        if total > size {
            return Err(m.error(format!(
                "inflates to more than its declared size of {size} bytes"
            )));
        }
        if let Some(v) = verifier.as_mut() {
            v.update(chunk);
        }
        match fix_shebang.filter(|_| first) {
            Some(python) => match fix_shebang_bytes(chunk, python) {
                Some(fixed) => sink.emit(&fixed)?,
                None => sink.emit(chunk)?,
            },
            None => sink.emit(chunk)?,
        }
        first = false;
    }
    if total != size {
        return Err(m.error(format!(
            "the archive says {size} bytes but {total} bytes were read"
        )));
    }
    Ok(())
}

/// Inflates a whole deflated member (`input`, its compressed bytes) into `out`, grown to the
/// declared size (at most [`WHOLE_MAX`], checked by the caller), and checks the size and the
/// archive's CRC-32 as the streaming reader does. Returns the member's bytes.
fn inflate_whole<'o>(
    m: MemberRef,
    inflater: &mut libdeflater::Decompressor,
    input: &[u8],
    crc: u32,
    out: &'o mut Vec<u8>,
) -> Result<&'o [u8]> {
    let size = m.size as usize;
    if out.len() < size {
        out.resize(size, 0);
    }
    let out = &mut out[..size];
    let n = match inflater.deflate_decompress(input, out) {
        Ok(n) => n,
        // Corrupt data can decode to more than the member's size as well as a lying size.
        Err(libdeflater::DecompressionError::InsufficientSpace) => {
            return Err(m.error(format!(
                "cannot be read: it inflates to more than its declared size of {size} bytes \
                 (a wrong size in the archive, or corrupt deflate data)"
            )));
        }
        Err(libdeflater::DecompressionError::BadData) => {
            return Err(m.error("cannot be read: invalid deflate data".to_string()));
        }
    };
    if n != size {
        return Err(m.error(format!(
            "the archive says {size} bytes but {n} bytes were read"
        )));
    }
    if crc32fast::hash(&out[..n]) != crc {
        return Err(m.error(format!(
            "cannot be read: {}",
            winst_wheel::archive::CRC_MISMATCH
        )));
    }
    Ok(&out[..n])
}

impl crate::plan::PlanView for Staged {
    fn file_ops(&self) -> impl Iterator<Item = &FileOp> {
        self.ops.iter()
    }
    fn wheel_plans(&self) -> &[WheelPlan] {
        &self.wheels
    }
    fn removal_paths(&self) -> &[std::path::PathBuf] {
        &self.removal_paths
    }
}

impl Staged {
    /// Every planned file with its temporary name and what was written, in plan order.
    pub fn files(&self) -> StagedFiles<'_> {
        StagedFiles {
            ops: &self.ops,
            temps: &self.temps,
            written: &self.written,
            wheels: &self.wheels,
            roots: &self.txn.roots,
        }
    }

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
        self.stage_all(&[GeneratedFile {
            root,
            rel: rel.to_string(),
            bytes: bytes.to_vec(),
            last,
        }])?;
        Ok(Written::of(bytes))
    }

    /// Writes generated files under temporary names for this commit: announced in one journal
    /// entry, then written in parallel, one directory handle per run of files of one directory
    /// (the files of one dist-info come together).
    pub fn stage_all(&mut self, files: &[GeneratedFile]) -> Result<()> {
        let tmps: Vec<String> = (files.iter())
            .map(|f| self.txn.temp_name(f.root, &f.rel, f.last))
            .collect();
        let temps = (files.iter().zip(&tmps))
            .map(|(f, tmp)| Temp {
                root: f.root,
                tmp: tmp.clone(),
                dest: f.rel.clone(),
                last: f.last,
            })
            .collect();
        self.txn.add_temps(temps, false)?;
        let roots = &self.txn.roots;
        let items: Vec<(&GeneratedFile, &str)> =
            files.iter().zip(tmps.iter().map(String::as_str)).collect();
        let same_dir = |a: &(&GeneratedFile, &str), b: &(&GeneratedFile, &str)| {
            a.0.root == b.0.root && split_parent(a.1).0 == split_parent(b.1).0
        };
        let runs: Vec<&[(&GeneratedFile, &str)]> = items.chunk_by(same_dir).collect();
        runs.par_iter().try_for_each(|run| -> Result<()> {
            let (first, tmp) = run[0];
            let (parent, _) = split_parent(tmp);
            let dir = open_env(roots, first.root, parent).with_context(|| {
                let path = roots.absolute(first.root, parent);
                format!("cannot open directory {}", path.display())
            })?;
            for (f, tmp) in run.iter() {
                let path = || roots.absolute(f.root, &f.rel);
                let mut out = create_file(&dir, split_parent(tmp).1, false)
                    .with_context(|| format!("cannot create {}", path().display()))?;
                out.write_all(&f.bytes)
                    .with_context(|| format!("cannot write {}", path().display()))?;
            }
            Ok(())
        })
    }

    /// Commits the transaction, removing what the replaced versions had and the new ones do
    /// not: see `Transaction::commit`.
    /// The plan's files are released on another thread (see [`crate::release`]).
    pub fn commit(self) -> Result<CommitStats> {
        let removals = removal_places(&self.removals);
        let mut dirs = removal_places(&self.stale_dist_infos);
        dirs.extend(removal_places(&self.dirs_to_files));
        crate::release::in_background((self.ops, self.temps, self.written));
        self.txn.commit(&removals, &dirs)
    }
}

/// Each removal's root and path, as the transaction takes them.
fn removal_places(removals: &[Removal]) -> Vec<(RootId, String)> {
    removals.iter().map(|r| (r.root, r.rel.clone())).collect()
}

/// `sha256=...` for a written file.
pub fn record_hash(w: &Written) -> String {
    format_sha256(&w.sha256)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_run_of_files_fills_its_own_positions() {
        // Runs in the order the scheduler hands them out (largest first), wheel hashes between.
        let jobs = [
            Job::Files { start: 5, end: 9 },
            Job::HashWheel(0),
            Job::Files { start: 0, end: 2 },
            Job::Files { start: 2, end: 5 },
            Job::HashWheel(1),
            Job::Files { start: 9, end: 10 },
        ];
        let mut by_pos = vec![Written::NONE; 10];
        let slots = job_slots(&jobs, &mut by_pos);
        assert_eq!(slots.len(), jobs.len());
        for (j, slot) in slots.into_iter().enumerate() {
            match (&jobs[j], slot) {
                (Job::Files { start, end }, Some(slot)) => {
                    assert_eq!(slot.len(), end - start, "job {j}");
                    slot.iter_mut().for_each(|w| w.size = j as u64 + 1);
                }
                (Job::HashWheel(_), None) => {}
                (_, slot) => panic!("job {j}: slot {:?}", slot.map(|s| s.len())),
            }
        }
        let sizes: Vec<u64> = by_pos.iter().map(|w| w.size).collect();
        assert_eq!(sizes, [3, 3, 4, 4, 4, 1, 1, 1, 1, 6]);
    }

    #[test]
    fn overlapping_or_overlong_runs_get_no_slot() {
        let jobs = [
            Job::Files { start: 0, end: 4 },
            Job::Files { start: 3, end: 5 },
        ];
        let mut by_pos = vec![Written::NONE; 5];
        let slots = job_slots(&jobs, &mut by_pos);
        assert_eq!(slots[0].as_ref().map(|s| s.len()), Some(4));
        assert!(slots[1].is_none());
        let jobs = [Job::Files { start: 0, end: 6 }];
        let mut by_pos = vec![Written::NONE; 5];
        assert!(job_slots(&jobs, &mut by_pos)[0].is_none());
    }
}
