//! Bytecode compilation (`winst install --compile`): a `.pyc` for every `.py` file this install
//! wrote (scripts and data included, as `pip install` does), added to RECORD.
//!
//! Compiled code comes from two places:
//! - the **bytecode cache**, keyed by the source's sha256 and the interpreter's magic number:
//!   the cached body (the marshalled code object) gets a fresh header with the new file's
//!   modification time and size, so no interpreter runs at all when every file is cached;
//! - a **pool of persistent interpreter workers** (the target interpreter, one per thread) for
//!   the rest: each is fed source bytes over a pipe and answers with the marshalled code, largest
//!   files first; what they compile is stored in the cache for the next install.
//!
//! Headers are timestamp-based (PEP 552 flags 0) as pip's `compileall` writes them, so the
//! interpreter keeps checking them against the source. The code object's file name is the
//! installed path for what is compiled here; a body served from the cache carries the path it was
//! first compiled for, which CPython's source loader corrects on import (`_imp._fix_co_filename`).
//! A file that does not compile (a syntax error) is a warning and gets no `.pyc`, as with pip.
//!
//! Not here: writing sources ([`crate::write`]) or RECORD ([`crate::dist_info`]).

use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, Result};
use rayon::prelude::*;
use sha2::Digest as _;

use crate::dist_info::StagedExtra;
use crate::roots::{DirHandles, RootId, Roots, split_parent};
use crate::txn::Temp;
use crate::write::{Staged, Written};

/// The worker: reads (file name, source) frames, answers (status, payload) frames.
const WORKER: &str = r#"
import marshal, os, struct, sys
r, w = sys.stdin.buffer, sys.stdout.buffer
def read(n):
    b = r.read(n)
    if len(b) != n:
        raise SystemExit(0)
    return b
while True:
    head = r.read(4)
    if len(head) < 4:
        break
    dfile = os.fsdecode(read(struct.unpack("<I", head)[0]))
    src = read(struct.unpack("<I", read(4))[0])
    try:
        body, status = marshal.dumps(compile(src, dfile, "exec", dont_inherit=True)), 0
    except Exception as e:
        body, status = f"{type(e).__name__}: {e}".encode("utf-8", "replace"), 1
    w.write(struct.pack("<BI", status, len(body)))
    w.write(body)
    w.flush()
"#;

/// What compilation did.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct CompileStats {
    /// `.pyc` files written.
    pub compiled: usize,
    /// Of those, taken from the bytecode cache.
    pub from_cache: usize,
    /// Interpreter workers started.
    pub workers: usize,
}

/// One `.py` file to compile.
struct Job {
    wheel: usize,
    root: RootId,
    /// Where the source is now (its temporary name).
    source_tmp: String,
    /// The installed path, for the code object's file name.
    dest: PathBuf,
    sha256: [u8; 32],
    size: u64,
    /// `.../__pycache__/name.<tag>.pyc`, relative to the root.
    pyc: String,
    /// The same as RECORD lists it (relative to the wheel's lib root).
    record: String,
    pyc_tmp: String,
}

impl Job {
    /// The directory the source is in (its `__pycache__` is below it).
    fn dir_key(&self) -> (RootId, &str) {
        (self.root, split_parent(&self.source_tmp).0)
    }
}

/// The most `.pyc` files one run of the bytecode cache's share writes (a big directory is split
/// so that both cores stay busy).
const RUN: usize = 64;

/// The most directory handles one thread of compilation holds at once: the sources' directory
/// and its `__pycache__`, with room for a pair it moves on from. However many directories an
/// install compiles into, compilation holds a few handles per thread, not two per directory
/// (a process may hold fewer open files than an environment has directories).
const PER_THREAD_DIRS: usize = 4;

/// Where compiled bodies are cached: `<cache>/bytecode-v2/<magic>/<sha256 of source>`. Each
/// file is a digest (32 bytes: the sha256 of the source's sha256 followed by the body), then the
/// body: a file whose digest does not match (damaged, truncated, written over, or moved to
/// another source's name) is not used, and the source is compiled again.
pub fn cache_dir(cache_root: &Path, magic: &str) -> PathBuf {
    cache_root.join("bytecode-v2").join(magic)
}

/// The digest a bytecode cache file starts with (see [`cache_dir`]).
fn body_digest(source_sha256: &[u8; 32], body: &[u8]) -> [u8; 32] {
    let mut h = sha2::Sha256::new();
    h.update(source_sha256);
    h.update(body);
    h.finalize().into()
}

/// The body of the bytecode cache file of a source, if its digest matches.
fn cached_body<'a>(source_sha256: &[u8; 32], file: &'a [u8]) -> Option<&'a [u8]> {
    let (digest, body) = file.split_at_checked(32)?;
    (body_digest(source_sha256, body)[..] == digest[..]).then_some(body)
}

fn pyc_path(rel: &str, tag: &str) -> Option<String> {
    let (parent, name) = match rel.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, rel),
    };
    let stem = name.strip_suffix(".py")?;
    if stem.is_empty() {
        return None;
    }
    Some(match parent {
        Some(p) => format!("{p}/__pycache__/{stem}.{tag}.pyc"),
        None => format!("__pycache__/{stem}.{tag}.pyc"),
    })
}

fn magic_bytes(hex: &str) -> Option<[u8; 4]> {
    if hex.len() != 8 || !hex.is_ascii() {
        return None;
    }
    let mut out = [0u8; 4];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&hex[i * 2..i * 2 + 2], 16).ok()?;
    }
    Some(out)
}

/// Compiles the `.py` files the install wrote into staged `.pyc` files.
/// Returns them as extra RECORD rows, with warnings for files that did not compile.
pub fn compile(
    staged: &mut Staged,
    interpreter: &winst_python::interpreter::Interpreter,
    cache: Option<&Path>,
    jobs: usize,
    progress: &crate::progress::Progress,
) -> Result<(Vec<StagedExtra>, Vec<String>, CompileStats)> {
    let python = interpreter.executable.as_path();
    let magic_hex = interpreter.magic.as_str();
    let (Some(tag), Some(magic)) = (interpreter.cache_tag.as_deref(), magic_bytes(magic_hex))
    else {
        let warning = format!(
            "not compiling bytecode: {} has no bytecode cache tag",
            python.display()
        );
        return Ok((Vec::new(), vec![warning], CompileStats::default()));
    };
    let mut jobs_list = collect_jobs(staged, tag);
    if jobs_list.is_empty() {
        return Ok((Vec::new(), Vec::new(), CompileStats::default()));
    }
    stage_pycs(staged, &mut jobs_list)?;
    let cache_dir = cache.map(|c| cache_dir(c, magic_hex));
    if let Some(dir) = &cache_dir {
        let _ = std::fs::create_dir_all(dir);
    }
    let writer = PycWriter {
        roots: staged.roots(),
        magic,
    };

    progress.start_compiling(jobs_list.len());
    let mut results: Vec<Option<Result<Written>>> = Vec::new();
    results.resize_with(jobs_list.len(), || None);
    if let Some(dir) = &cache_dir {
        for (i, written) in from_cache(&jobs_list, &writer, dir) {
            results[i] = Some(written);
        }
    }
    let mut misses: Vec<usize> = (0..jobs_list.len())
        .filter(|&i| results[i].is_none())
        .collect();
    progress.compiled(jobs_list.len() - misses.len());
    let mut stats = CompileStats {
        from_cache: results.iter().filter(|r| matches!(r, Some(Ok(_)))).count(),
        ..CompileStats::default()
    };

    // The rest by interpreter workers, largest first.
    misses.sort_by_key(|&i| std::cmp::Reverse(jobs_list[i].size));
    let pool = WorkerPool {
        python,
        jobs: &jobs_list,
        writer: &writer,
        cache_dir: cache_dir.as_deref(),
        progress,
    };
    let compiled = pool.run(&misses, jobs);
    stats.workers = compiled.workers;
    for (i, r) in compiled.outs {
        results[i] = Some(r);
    }
    crate::signals::check()?;

    let (extras, warnings, withdrawn) = gather(&jobs_list, results, compiled.failures)?;
    stats.compiled = extras.len();
    staged.txn_mut().withdraw_temps(withdrawn)?;
    Ok((extras, warnings, stats))
}

/// Writes the `.pyc` files whose compiled body the bytecode cache in `dir` holds, in parallel:
/// the jobs grouped by directory into runs of at most [`RUN`] files, each run written through
/// its own two directory handles (the sources' and their `__pycache__`), closed when it ends.
/// Returns the jobs written (or the error writing them), by index; a miss is not listed.
fn from_cache(jobs: &[Job], writer: &PycWriter, dir: &Path) -> Vec<(usize, Result<Written>)> {
    let mut order: Vec<usize> = (0..jobs.len()).collect();
    order.sort_by(|&a, &b| jobs[a].dir_key().cmp(&jobs[b].dir_key()).then(a.cmp(&b)));
    let runs: Vec<&[usize]> = order
        .chunk_by(|&a, &b| jobs[a].dir_key() == jobs[b].dir_key())
        .flat_map(|same_dir| same_dir.chunks(RUN))
        .collect();
    let written: Vec<Vec<(usize, Result<Written>)>> = runs
        .par_iter()
        .with_max_len(1)
        .map(|run| {
            let mut dirs = DirHandles::bounded(PER_THREAD_DIRS);
            run.iter()
                .filter_map(|&i| {
                    let job = &jobs[i];
                    let file = std::fs::read(dir.join(hex::encode(job.sha256))).ok()?;
                    let body = cached_body(&job.sha256, &file)?;
                    Some((i, writer.write(&mut dirs, job, body)))
                })
                .collect()
        })
        .collect();
    written.into_iter().flatten().collect()
}

/// The `.py` files the install writes (not shadowed), with their `.pyc` paths.
fn collect_jobs(staged: &Staged, tag: &str) -> Vec<Job> {
    let mut jobs = Vec::new();
    for f in staged.files().iter() {
        let op = &f.op;
        if op.shadowed {
            continue;
        }
        let (Some(pyc), Some(record), Some(tmp)) = (
            pyc_path(&op.rel, tag),
            pyc_path(&f.record_path(), tag),
            f.temp,
        ) else {
            continue;
        };
        jobs.push(Job {
            wheel: op.wheel,
            root: op.root,
            source_tmp: tmp.to_string(),
            dest: staged.roots().absolute(op.root, &op.rel),
            sha256: f.written.sha256,
            size: f.written.size,
            pyc,
            record,
            pyc_tmp: String::new(),
        });
    }
    jobs
}

/// Creates the `__pycache__` directories and names every `.pyc`'s temporary, journaled before
/// anything is made.
fn stage_pycs(staged: &mut Staged, jobs: &mut [Job]) -> Result<()> {
    let mut dirs: Vec<(RootId, String)> = jobs
        .iter()
        .filter_map(|j| j.pyc.rsplit_once('/').map(|(d, _)| (j.root, d.to_string())))
        .collect();
    dirs.sort();
    dirs.dedup();
    staged.txn_mut().create_dirs(&dirs)?;
    let mut temps = Vec::with_capacity(jobs.len());
    for j in jobs.iter_mut() {
        j.pyc_tmp = staged.txn_mut().temp_name(j.root, &j.pyc, false);
        temps.push(Temp {
            root: j.root,
            tmp: j.pyc_tmp.clone(),
            dest: j.pyc.clone(),
            last: false,
        });
    }
    staged.txn_mut().add_temps(temps, false)
}

/// Writes `.pyc` files through handles on each source's directory and each `__pycache__`,
/// which each thread keeps in its own bounded [`DirHandles`] (see [`PER_THREAD_DIRS`]).
struct PycWriter<'a> {
    roots: &'a Roots,
    magic: [u8; 4],
}

impl PycWriter<'_> {
    /// The directory handle of `rel`'s parent (opened in `dirs` unless it is open there), and
    /// `rel`'s last component.
    fn in_dir<'d, 'r>(
        &self,
        dirs: &'d mut DirHandles,
        root: RootId,
        rel: &'r str,
    ) -> Result<(&'d cap_std::fs::Dir, &'r str)> {
        let (parent, name) = split_parent(rel);
        let dir = dirs.open(self.roots, root, parent).with_context(|| {
            format!(
                "cannot open {}",
                self.roots.absolute(root, parent).display()
            )
        })?;
        Ok((dir, name))
    }

    /// The source of a job, as it stands under its temporary name.
    fn read_source(&self, dirs: &mut DirHandles, job: &Job, buf: &mut Vec<u8>) -> Result<()> {
        let (dir, name) = self.in_dir(dirs, job.root, &job.source_tmp)?;
        dir.open(name)
            .and_then(|mut f| f.read_to_end(buf))
            .map(|_| ())
            .with_context(|| format!("cannot read {}", job.dest.display()))
    }

    /// Writes one `.pyc`: a header for this source file (magic, flags 0, its modification time
    /// and size), then the body.
    fn write(&self, dirs: &mut DirHandles, job: &Job, body: &[u8]) -> Result<Written> {
        let (src_dir, src_name) = self.in_dir(dirs, job.root, &job.source_tmp)?;
        let meta = src_dir
            .metadata(src_name)
            .with_context(|| format!("cannot read {}", job.dest.display()))?;
        let mtime = meta
            .modified()
            .ok()
            .and_then(|t| t.into_std().duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_secs());
        let mut pyc = Vec::with_capacity(16 + body.len());
        pyc.extend_from_slice(&self.magic);
        pyc.extend_from_slice(&0u32.to_le_bytes());
        pyc.extend_from_slice(&(mtime as u32).to_le_bytes());
        pyc.extend_from_slice(&(job.size as u32).to_le_bytes());
        pyc.extend_from_slice(body);
        let shown = || self.roots.absolute(job.root, &job.pyc);
        let mut options = cap_std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        let (pyc_dir, pyc_name) = self.in_dir(dirs, job.root, &job.pyc_tmp)?;
        let mut f = pyc_dir
            .open_with(pyc_name, &options)
            .with_context(|| format!("cannot create {}", shown().display()))?;
        f.write_all(&pyc)
            .with_context(|| format!("cannot write {}", shown().display()))?;
        Ok(Written::of(&pyc))
    }
}

/// The interpreter workers' share of the jobs.
struct WorkerPool<'a> {
    python: &'a Path,
    jobs: &'a [Job],
    writer: &'a PycWriter<'a>,
    cache_dir: Option<&'a Path>,
    progress: &'a crate::progress::Progress,
}

/// What the workers did: `.pyc` files written (or the error writing one), sources that did not
/// compile (with the reason), and how many workers started.
#[derive(Default)]
struct Compiled {
    outs: Vec<(usize, Result<Written>)>,
    failures: Vec<(usize, String)>,
    workers: usize,
}

impl WorkerPool<'_> {
    /// Compiles the jobs at `misses` (in that order) with up to `n` persistent interpreters,
    /// each taking the next job when it is free; compiled bodies are written and cached.
    fn run(&self, misses: &[usize], n: usize) -> Compiled {
        if misses.is_empty() {
            return Compiled::default();
        }
        let n = n.max(1).min(misses.len());
        let next = AtomicUsize::new(0);
        let outs = Mutex::new(Vec::new());
        let failures = Mutex::new(Vec::new());
        let started = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for _ in 0..n {
                scope.spawn(|| {
                    let Ok(mut worker) = PyWorker::start(self.python) else {
                        return;
                    };
                    started.fetch_add(1, Ordering::Relaxed);
                    self.work(&mut worker, misses, &next, &outs, &failures);
                    worker.finish();
                });
            }
        });
        Compiled {
            outs: outs.into_inner().unwrap_or_default(),
            failures: failures.into_inner().unwrap_or_default(),
            workers: started.load(Ordering::Relaxed),
        }
    }

    /// One worker's loop: takes the next job until none is left, Ctrl-C, or the interpreter
    /// fails.
    fn work(
        &self,
        worker: &mut PyWorker,
        misses: &[usize],
        next: &AtomicUsize,
        outs: &Mutex<Vec<(usize, Result<Written>)>>,
        failures: &Mutex<Vec<(usize, String)>>,
    ) {
        let mut buf = Vec::new();
        let mut dirs = DirHandles::bounded(PER_THREAD_DIRS);
        while !crate::signals::interrupted() {
            let k = next.fetch_add(1, Ordering::Relaxed);
            let Some(&i) = misses.get(k) else {
                break;
            };
            let job = &self.jobs[i];
            buf.clear();
            if let Err(e) = self.writer.read_source(&mut dirs, job, &mut buf) {
                lock(outs).push((i, Err(e)));
                continue;
            }
            let compiled = worker.compile(&job.dest, &buf);
            self.progress.compiled(1);
            match compiled {
                Ok(Ok(body)) => {
                    let w = self.writer.write(&mut dirs, job, &body);
                    if w.is_ok()
                        && let Some(dir) = self.cache_dir
                    {
                        store(dir, &job.sha256, &body);
                    }
                    lock(outs).push((i, w));
                    crate::txn::crash_half_way("compiling", k, misses.len());
                }
                Ok(Err(message)) => lock(failures).push((i, message)),
                Err(e) => {
                    lock(failures).push((i, format!("the interpreter worker failed: {e}")));
                    break;
                }
            }
        }
    }
}

/// What compilation leaves: RECORD rows of the `.pyc` files written, warnings, and the
/// temporaries of `.pyc` files that were never written (to withdraw from the transaction).
type Gathered = (Vec<StagedExtra>, Vec<String>, Vec<(RootId, String)>);

/// Turns the results into RECORD rows, warnings (sources that did not compile, or that no
/// worker took), and the temporaries of `.pyc` files that were never written. The first error
/// writing a `.pyc` fails the install.
fn gather(
    jobs: &[Job],
    results: Vec<Option<Result<Written>>>,
    mut failures: Vec<(usize, String)>,
) -> Result<Gathered> {
    let mut withdrawn = Vec::new();
    let mut extras = Vec::new();
    let mut warnings = Vec::new();
    for (i, (job, result)) in jobs.iter().zip(results).enumerate() {
        match result {
            Some(Ok(written)) => extras.push(StagedExtra {
                wheel: job.wheel,
                rel: job.record.clone(),
                written,
            }),
            Some(Err(e)) => return Err(e),
            None => {
                withdrawn.push((job.root, job.pyc_tmp.clone()));
                if !failures.iter().any(|(k, _)| *k == i) {
                    warnings.push(format!(
                        "{} was not compiled: no interpreter worker could take it",
                        job.dest.display()
                    ));
                }
            }
        }
    }
    failures.sort();
    for (i, message) in failures {
        warnings.push(format!(
            "cannot compile {}: {message}",
            jobs[i].dest.display()
        ));
    }
    Ok((extras, warnings, withdrawn))
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Stores a compiled body in the bytecode cache (atomically; failures ignored).
fn store(dir: &Path, sha256: &[u8; 32], body: &[u8]) {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let name = hex::encode(sha256);
    let tmp = dir.join(format!(
        ".tmp-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let mut file = Vec::with_capacity(32 + body.len());
    file.extend_from_slice(&body_digest(sha256, body));
    file.extend_from_slice(body);
    if std::fs::write(&tmp, file).is_ok() && std::fs::rename(&tmp, dir.join(name)).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}

/// One persistent interpreter.
struct PyWorker {
    child: Child,
    stdin: Option<BufWriter<ChildStdin>>,
    stdout: BufReader<ChildStdout>,
}

impl PyWorker {
    fn start(python: &Path) -> io::Result<PyWorker> {
        let mut child = Command::new(python)
            .args(["-I", "-B", "-c", WORKER])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            return Err(io::Error::other("no pipes to the interpreter"));
        };
        Ok(PyWorker {
            child,
            stdin: Some(BufWriter::new(stdin)),
            stdout: BufReader::new(stdout),
        })
    }

    /// Compiles one source; the inner error is the interpreter's message about the source.
    fn compile(&mut self, dest: &Path, source: &[u8]) -> io::Result<Result<Vec<u8>, String>> {
        let name = dest.as_os_str().as_encoded_bytes();
        let too_big = || io::Error::other("file too large to compile");
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| io::Error::other("closed"))?;
        stdin.write_all(
            &u32::try_from(name.len())
                .map_err(|_| too_big())?
                .to_le_bytes(),
        )?;
        stdin.write_all(name)?;
        stdin.write_all(
            &u32::try_from(source.len())
                .map_err(|_| too_big())?
                .to_le_bytes(),
        )?;
        stdin.write_all(source)?;
        stdin.flush()?;
        let mut head = [0u8; 5];
        self.stdout.read_exact(&mut head)?;
        let len = u32::from_le_bytes([head[1], head[2], head[3], head[4]]) as usize;
        let mut body = vec![0u8; len];
        self.stdout.read_exact(&mut body)?;
        Ok(match head[0] {
            0 => Ok(body),
            _ => Err(String::from_utf8_lossy(&body).into_owned()),
        })
    }

    fn finish(mut self) {
        drop(self.stdin.take());
        if self.child.wait().is_err() {
            let _ = self.child.kill();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pyc_paths_follow_pep_3147() {
        assert_eq!(
            pyc_path("pkg/mod.py", "cpython-311").as_deref(),
            Some("pkg/__pycache__/mod.cpython-311.pyc")
        );
        assert_eq!(
            pyc_path("top.py", "cpython-311").as_deref(),
            Some("__pycache__/top.cpython-311.pyc")
        );
        assert_eq!(pyc_path("pkg/data.pyi", "cpython-311"), None);
        assert_eq!(pyc_path("pkg/.py", "cpython-311"), None);
        assert_eq!(magic_bytes("a70d0d0a"), Some([0xa7, 0x0d, 0x0d, 0x0a]));
        assert_eq!(magic_bytes("zz"), None);
    }

    #[test]
    fn bytecode_cache_files_are_used_only_when_their_digest_matches() {
        let source = [7u8; 32];
        let body = b"marshalled code".to_vec();
        let mut file = body_digest(&source, &body).to_vec();
        file.extend_from_slice(&body);
        assert_eq!(cached_body(&source, &file), Some(&body[..]));
        // Another source's name, a flipped byte, a truncated file, an empty one.
        assert_eq!(cached_body(&[8u8; 32], &file), None);
        let mut flipped = file.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert_eq!(cached_body(&source, &flipped), None);
        assert_eq!(cached_body(&source, &file[..file.len() - 1]), None);
        assert_eq!(cached_body(&source, &file[..20]), None);
        assert_eq!(cached_body(&source, b""), None);
    }
}
