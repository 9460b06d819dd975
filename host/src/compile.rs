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
//! Not here: writing sources ([`crate::write`]) or RECORD ([`crate::record`]).

use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, Result};
use rayon::prelude::*;
use sha2::Digest as _;

use crate::plan::Plan;
use crate::record::StagedExtra;
use crate::roots::{DirHandles, RootId, split_parent};
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

/// Where compiled bodies are cached: `<cache>/bytecode-v1/<magic>/<sha256 of source>`.
pub fn cache_dir(cache_root: &Path, magic: &str) -> PathBuf {
    cache_root.join("bytecode-v1").join(magic)
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

/// Compiles the `.py` files of the plan's lib directories into staged `.pyc` files.
/// Returns them as extra RECORD rows, with warnings for files that did not compile.
pub fn compile(
    plan: &Plan,
    staged: &mut Staged,
    interpreter: &crate::interpreter::Interpreter,
    cache: Option<&Path>,
    jobs: usize,
    progress: &crate::ui::progress::Progress,
) -> Result<(Vec<StagedExtra>, Vec<String>, CompileStats)> {
    let python = interpreter.executable.as_path();
    let cache_tag = interpreter.cache_tag.as_deref();
    let magic_hex = interpreter.magic.as_str();
    let mut warnings = Vec::new();
    let (Some(tag), Some(magic)) = (cache_tag, magic_bytes(magic_hex)) else {
        warnings.push(format!(
            "not compiling bytecode: {} has no bytecode cache tag",
            python.display()
        ));
        return Ok((Vec::new(), warnings, CompileStats::default()));
    };
    let mut jobs_list: Vec<Job> = Vec::new();
    for (i, op) in plan.files.iter().enumerate() {
        if op.shadowed {
            continue;
        }
        let (Some(pyc), Some(record), Some(Some(tmp))) = (
            pyc_path(&op.rel, tag),
            pyc_path(&op.record_path, tag),
            staged.temps.get(i),
        ) else {
            continue;
        };
        let written = &staged.written[i];
        jobs_list.push(Job {
            wheel: op.wheel,
            root: op.root,
            source_tmp: tmp.clone(),
            dest: staged.roots().absolute(op.root, &op.rel),
            sha256: written.sha256,
            size: written.size,
            pyc,
            record,
            pyc_tmp: String::new(),
        });
    }
    if jobs_list.is_empty() {
        return Ok((Vec::new(), warnings, CompileStats::default()));
    }

    // `__pycache__` directories, then every .pyc's temporary, journaled before anything is made.
    let mut dirs: Vec<(RootId, String)> = jobs_list
        .iter()
        .filter_map(|j| j.pyc.rsplit_once('/').map(|(d, _)| (j.root, d.to_string())))
        .collect();
    dirs.sort();
    dirs.dedup();
    staged.txn_mut().create_dirs(&dirs)?;
    let mut temps = Vec::with_capacity(jobs_list.len());
    for j in &mut jobs_list {
        j.pyc_tmp = staged.txn_mut().temp_name(j.root, &j.pyc, false);
        temps.push(Temp {
            root: j.root,
            tmp: j.pyc_tmp.clone(),
            dest: j.pyc.clone(),
            last: false,
        });
    }
    staged.txn_mut().add_temps(temps, false)?;

    let cache_dir = cache.map(|c| cache_dir(c, magic_hex));
    if let Some(dir) = &cache_dir {
        let _ = std::fs::create_dir_all(dir);
    }
    let roots = staged.roots();
    // Each source's and each `__pycache__` directory opened once.
    let mut handles = DirHandles::default();
    for j in &jobs_list {
        handles.open(roots, j.root, split_parent(&j.source_tmp).0)?;
        handles.open(roots, j.root, split_parent(&j.pyc_tmp).0)?;
    }
    let handles = &handles;
    let in_dir = |root: RootId, rel: &'_ str| -> Result<(&cap_std::fs::Dir, String)> {
        let (parent, name) = split_parent(rel);
        let dir = handles.get(root, parent).with_context(|| {
            format!("{} was not opened", roots.absolute(root, parent).display())
        })?;
        Ok((dir, name.to_string()))
    };

    // Writes one .pyc: header for this source file, then the body.
    let write_pyc = |job: &Job, body: &[u8]| -> Result<Written> {
        let (src_dir, src_name) = in_dir(job.root, &job.source_tmp)?;
        let meta = src_dir
            .metadata(&src_name)
            .with_context(|| format!("cannot read {}", job.dest.display()))?;
        let mtime = meta
            .modified()
            .ok()
            .and_then(|t| t.into_std().duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_secs());
        let mut pyc = Vec::with_capacity(16 + body.len());
        pyc.extend_from_slice(&magic);
        pyc.extend_from_slice(&0u32.to_le_bytes());
        pyc.extend_from_slice(&(mtime as u32).to_le_bytes());
        pyc.extend_from_slice(&(job.size as u32).to_le_bytes());
        pyc.extend_from_slice(body);
        let mut options = cap_std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        let (pyc_dir, pyc_name) = in_dir(job.root, &job.pyc_tmp)?;
        let mut f = pyc_dir.open_with(&pyc_name, &options).with_context(|| {
            format!(
                "cannot create {}",
                roots.absolute(job.root, &job.pyc).display()
            )
        })?;
        f.write_all(&pyc).with_context(|| {
            format!(
                "cannot write {}",
                roots.absolute(job.root, &job.pyc).display()
            )
        })?;
        Ok(Written {
            sha256: sha2::Sha256::digest(&pyc).into(),
            size: pyc.len() as u64,
        })
    };

    progress.start_compiling(jobs_list.len());
    // From the bytecode cache, in parallel.
    let cached: Vec<Option<Result<Written>>> = jobs_list
        .par_iter()
        .with_max_len(1)
        .map(|job| {
            let dir = cache_dir.as_ref()?;
            let body = std::fs::read(dir.join(crate::cache::hex(&job.sha256))).ok()?;
            Some(write_pyc(job, &body))
        })
        .collect();
    let mut results: Vec<Option<Result<Written>>> = cached;
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
    let failures: Mutex<Vec<(usize, String)>> = Mutex::new(Vec::new());
    if !misses.is_empty() {
        let n = jobs.max(1).min(misses.len());
        let next = AtomicUsize::new(0);
        let outs: Mutex<Vec<(usize, Result<Written>)>> = Mutex::new(Vec::new());
        let started = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for _ in 0..n {
                scope.spawn(|| {
                    let mut worker = match PyWorker::start(python) {
                        Ok(w) => w,
                        Err(_) => return,
                    };
                    started.fetch_add(1, Ordering::Relaxed);
                    let mut buf = Vec::new();
                    loop {
                        if crate::signals::interrupted() {
                            break;
                        }
                        let k = next.fetch_add(1, Ordering::Relaxed);
                        let Some(&i) = misses.get(k) else { break };
                        let job = &jobs_list[i];
                        buf.clear();
                        let read = in_dir(job.root, &job.source_tmp).and_then(|(d, name)| {
                            d.open(&name)
                                .and_then(|mut f| f.read_to_end(&mut buf))
                                .map_err(anyhow::Error::from)
                        });
                        if let Err(e) = read {
                            let e = e.context(format!("cannot read {}", job.dest.display()));
                            lock(&outs).push((i, Err(e)));
                            continue;
                        }
                        let compiled = worker.compile(&job.dest, &buf);
                        progress.compiled(1);
                        match compiled {
                            Ok(Ok(body)) => {
                                let w = write_pyc(job, &body);
                                if w.is_ok()
                                    && let Some(dir) = &cache_dir
                                {
                                    store(dir, &job.sha256, &body);
                                }
                                lock(&outs).push((i, w));
                                crate::txn::crash_half_way("compiling", k, misses.len());
                            }
                            Ok(Err(message)) => lock(&failures).push((i, message)),
                            Err(e) => {
                                lock(&failures)
                                    .push((i, format!("the interpreter worker failed: {e}")));
                                break;
                            }
                        }
                    }
                    worker.finish();
                });
            }
        });
        stats.workers = started.load(Ordering::Relaxed);
        for (i, r) in outs.into_inner().unwrap_or_default() {
            results[i] = Some(r);
        }
    }
    crate::signals::check()?;

    let mut withdrawn = Vec::new();
    let mut extras = Vec::new();
    for (i, (job, result)) in jobs_list.iter().zip(results).enumerate() {
        match result {
            Some(Ok(written)) => extras.push(StagedExtra {
                wheel: job.wheel,
                rel: job.record.clone(),
                written,
            }),
            Some(Err(e)) => return Err(e),
            None => {
                withdrawn.push((job.root, job.pyc_tmp.clone()));
                if !failures
                    .lock()
                    .map(|f| f.iter().any(|(k, _)| *k == i))
                    .unwrap_or(true)
                {
                    warnings.push(format!(
                        "{} was not compiled: no interpreter worker could take it",
                        job.dest.display()
                    ));
                }
            }
        }
    }
    let mut failures = failures.into_inner().unwrap_or_default();
    failures.sort();
    for (i, message) in failures {
        warnings.push(format!(
            "cannot compile {}: {message}",
            jobs_list[i].dest.display()
        ));
    }
    stats.compiled = extras.len();
    staged.txn_mut().withdraw_temps(withdrawn)?;
    Ok((extras, warnings, stats))
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Stores a compiled body in the bytecode cache (atomically; failures ignored).
fn store(dir: &Path, sha256: &[u8; 32], body: &[u8]) {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let name = crate::cache::hex(sha256);
    let tmp = dir.join(format!(
        ".tmp-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    if std::fs::write(&tmp, body).is_ok() && std::fs::rename(&tmp, dir.join(name)).is_err() {
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
}
