//! What winst needs to know about the target Python, asked once and cached.
//!
//! Runs the interpreter with a short script that prints its version, implementation, platform,
//! libc, sysconfig scheme paths and PEP 508 marker values as JSON. The answer is cached on disk keyed by the
//! interpreter's path and the modification times of the executable (and of `pyvenv.cfg`), so a
//! second `winst install` into the same environment does not start Python. Not here: choosing
//! which interpreter (see [`crate::target`]) or which tags it supports (see [`crate::tags`]).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use sha2::Digest as _;

/// The placeholder standing for `--prefix` in the prefix scheme paths.
pub const PREFIX_PLACEHOLDER: &str = "/@winst-prefix@";

const QUERY: &str = r#"
import importlib.util, json, os, platform, sys, sysconfig
def full_version(info):
    v = "{0.major}.{0.minor}.{0.micro}".format(info)
    return v if info.releaselevel == "final" else v + info.releaselevel[0] + str(info.serial)
def paths(scheme=None, vars=None):
    p = sysconfig.get_paths(scheme, vars=vars) if scheme else sysconfig.get_paths()
    return {k: p[k] for k in ("purelib", "platlib", "scripts", "data", "include")}
libc = None
try:
    name, ver = os.confstr("CS_GNU_LIBC_VERSION").split()
    libc = {"name": "glibc", "version": ver}
except (AttributeError, ValueError, OSError):
    import glob, subprocess
    for loader in glob.glob("/lib/ld-musl-*.so.1"):
        out = subprocess.run([loader], capture_output=True, text=True).stderr
        for line in out.splitlines():
            if line.startswith("Version "):
                libc = {"name": "musl", "version": line.split()[1]}
def mac_version():
    v = platform.mac_ver()[0]
    if v.startswith("10.16"):
        # Built against an old SDK, Python reports 10.16 for every macOS 11+ (as packaging).
        import subprocess
        env = dict(os.environ, SYSTEM_VERSION_COMPAT="0")
        code = "import platform; print(platform.mac_ver()[0])"
        v = subprocess.run([sys.executable, "-sS", "-c", code], env=env,
                           capture_output=True, text=True).stdout.strip() or v
    return v or None
p = "@PREFIX@"
prefix_vars = {k: p for k in ("base", "platbase", "installed_base", "installed_platbase")}
print(json.dumps({
    "executable": sys.executable,
    "prefix": sys.prefix,
    "base_prefix": sys.base_prefix,
    "version": list(sys.version_info[:3]),
    "implementation": sys.implementation.name,
    "abiflags": getattr(sys, "abiflags", ""),
    "soabi": sysconfig.get_config_var("SOABI"),
    "platform": sysconfig.get_platform(),
    "pointer_bits": 64 if sys.maxsize > 2**32 else 32,
    "gil_disabled": bool(sysconfig.get_config_var("Py_GIL_DISABLED")),
    "libc": libc,
    "mac_version": mac_version() if sys.platform == "darwin" else None,
    "cache_tag": sys.implementation.cache_tag,
    "magic": importlib.util.MAGIC_NUMBER.hex(),
    "paths": paths(),
    "prefix_paths": paths("posix_prefix", prefix_vars) if os.name == "posix" else paths(),
    "stdlib": sysconfig.get_path("stdlib"),
    "markers": {
        "implementation_name": sys.implementation.name,
        "implementation_version": full_version(sys.implementation.version),
        "os_name": os.name,
        "platform_machine": platform.machine(),
        "platform_python_implementation": platform.python_implementation(),
        "platform_release": platform.release(),
        "platform_system": platform.system(),
        "platform_version": platform.version(),
        "python_full_version": platform.python_version(),
        "python_version": ".".join(platform.python_version_tuple()[:2]),
        "sys_platform": sys.platform,
    },
}))
"#;

/// Paths of one sysconfig install scheme.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SchemePaths {
    pub purelib: PathBuf,
    pub platlib: PathBuf,
    pub scripts: PathBuf,
    pub data: PathBuf,
    pub include: PathBuf,
}

/// The C library the interpreter runs on.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Libc {
    /// `glibc` or `musl`.
    pub name: String,
    pub version: String,
}

/// The PEP 508 environment marker values, as `packaging.markers.default_environment()` computes
/// them in the target interpreter (used by `winst::check` to evaluate `Requires-Dist` markers).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Markers {
    pub implementation_name: String,
    pub implementation_version: String,
    pub os_name: String,
    pub platform_machine: String,
    pub platform_python_implementation: String,
    pub platform_release: String,
    pub platform_system: String,
    pub platform_version: String,
    pub python_full_version: String,
    pub python_version: String,
    pub sys_platform: String,
}

/// The interpreter's answer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Interpreter {
    pub executable: PathBuf,
    pub prefix: PathBuf,
    pub base_prefix: PathBuf,
    pub version: (u32, u32, u32),
    pub implementation: String,
    pub abiflags: String,
    pub soabi: Option<String>,
    pub platform: String,
    pub pointer_bits: u32,
    pub gil_disabled: bool,
    pub libc: Option<Libc>,
    /// The macOS version the interpreter runs on (`platform.mac_ver()`: `14.5`); `None` elsewhere.
    #[serde(default)]
    pub mac_version: Option<String>,
    /// `sys.implementation.cache_tag` (`cpython-311`): names `__pycache__` files; `None` turns
    /// bytecode compilation off.
    pub cache_tag: Option<String>,
    /// `importlib.util.MAGIC_NUMBER`, hex: the first bytes of every `.pyc`.
    pub magic: String,
    pub paths: SchemePaths,
    pub prefix_paths: SchemePaths,
    /// sysconfig's `stdlib` directory, where a PEP 668 `EXTERNALLY-MANAGED` marker lives.
    pub stdlib: PathBuf,
    pub markers: Markers,
}

impl Interpreter {
    /// Whether the interpreter runs in a virtual environment.
    pub(crate) fn is_venv(&self) -> bool {
        self.prefix != self.base_prefix
    }

    /// `3.11`
    pub(crate) fn major_minor(&self) -> String {
        format!("{}.{}", self.version.0, self.version.1)
    }

    /// A one-line description for messages: `CPython 3.11.7 at /v/bin/python`.
    pub fn describe(&self) -> String {
        let imp = match self.implementation.as_str() {
            "cpython" => "CPython",
            "pypy" => "PyPy",
            other => other,
        };
        format!(
            "{imp} {}.{}.{}",
            self.version.0, self.version.1, self.version.2
        )
    }
}

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
struct CacheKey {
    path: PathBuf,
    link_mtime_ns: i128,
    target_mtime_ns: i128,
    target_size: u64,
    pyvenv_cfg_mtime_ns: Option<i128>,
}

#[derive(Serialize, Deserialize)]
struct CacheEntry {
    key: CacheKey,
    interpreter: Interpreter,
}

fn mtime_ns(meta: &std::fs::Metadata) -> i128 {
    use std::os::unix::fs::MetadataExt;
    meta.mtime() as i128 * 1_000_000_000 + meta.mtime_nsec() as i128
}

fn cache_key(python: &Path) -> Result<CacheKey> {
    let link = std::fs::symlink_metadata(python)
        .with_context(|| format!("no Python interpreter at {}", python.display()))?;
    let target = std::fs::metadata(python)
        .with_context(|| format!("{} is a broken link", python.display()))?;
    // A venv's pyvenv.cfg sits beside bin/ and decides sys.prefix.
    let cfg = python
        .parent()
        .and_then(Path::parent)
        .map(|root| root.join("pyvenv.cfg"))
        .and_then(|cfg| std::fs::metadata(cfg).ok())
        .map(|m| mtime_ns(&m));
    Ok(CacheKey {
        path: python.to_path_buf(),
        link_mtime_ns: mtime_ns(&link),
        target_mtime_ns: mtime_ns(&target),
        target_size: target.len(),
        pyvenv_cfg_mtime_ns: cfg,
    })
}

/// The cache directory [`set_cache_dir`] chose for this process.
static CACHE_DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

/// Puts every cache of this process under `dir` (an absolute path): interpreter answers,
/// compiled plugins and the wheel cache, as `--cache-dir` asks. Called before the first
/// [`cache_dir`]; a later call changes nothing.
pub fn set_cache_dir(dir: PathBuf) {
    let _ = CACHE_DIR.set(dir);
}

/// winst's cache directory: the one [`set_cache_dir`] set, else `$WINST_CACHE_DIR` (made
/// absolute against the working directory, as `--cache-dir` is), else `$XDG_CACHE_HOME/winst`,
/// else `$HOME/.cache/winst` (the password database's home when `HOME` is unset). A relative
/// `XDG_CACHE_HOME` is ignored, as the XDG Base Directory spec says, and a relative or empty
/// `HOME` gives no cache directory: a cache would otherwise land in whatever directory winst was
/// run from. `None` when there is none: the install goes on without a cache.
pub fn cache_dir() -> Option<PathBuf> {
    if let Some(dir) = CACHE_DIR.get() {
        return Some(dir.clone());
    }
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(dir) = var("WINST_CACHE_DIR") {
        return std::path::absolute(dir).ok();
    }
    if let Some(dir) = var("XDG_CACHE_HOME").map(PathBuf::from)
        && dir.is_absolute()
    {
        return Some(dir.join("winst"));
    }
    let home = match std::env::var_os("HOME") {
        Some(home) => PathBuf::from(home),
        None => std::env::home_dir()?,
    };
    home.is_absolute()
        .then(|| home.join(".cache").join("winst"))
}

fn cache_file(python: &Path) -> Option<PathBuf> {
    let digest = sha2::Sha256::digest(python.as_os_str().as_encoded_bytes());
    let hex = hex::encode(&digest[..12]);
    Some(
        cache_dir()?
            .join("interpreters")
            .join(format!("v4-{hex}.json")),
    )
}

/// Where the last answer of [`query`] came from: 0 nothing yet, 1 the interpreter (Python ran),
/// 2 the cache, 3 another venv's answer rebased. For reports and tests.
static LAST_SOURCE: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);

/// Where the last interpreter answer came from: `query`, `cache` or `venv-template`.
pub fn last_source() -> &'static str {
    match LAST_SOURCE.load(std::sync::atomic::Ordering::Relaxed) {
        1 => "query",
        2 => "cache",
        3 => "venv-template",
        _ => "none",
    }
}

fn set_source(n: u8) {
    LAST_SOURCE.store(n, std::sync::atomic::Ordering::Relaxed);
}

/// Queries `python` (an absolute path), using the cache when it is still valid.
pub fn query(python: &Path) -> Result<Interpreter> {
    let key = cache_key(python)?;
    let cache = cache_file(python);
    if let Some(file) = &cache
        && let Ok(bytes) = std::fs::read(file)
        && let Ok(entry) = serde_json::from_slice::<CacheEntry>(&bytes)
        && entry.key == key
    {
        set_source(2);
        return Ok(entry.interpreter);
    }
    let template = VenvTemplate::for_python(python);
    if let Some(t) = &template
        && let Some(interpreter) = t.load(python)
    {
        if let Some(file) = cache {
            let entry = CacheEntry {
                key,
                interpreter: interpreter.clone(),
            };
            let _ = write_atomically(&file, &serde_json::to_vec(&entry).unwrap_or_default());
        }
        set_source(3);
        return Ok(interpreter);
    }
    let interpreter = run_query(python)?;
    set_source(1);
    if let Some(t) = &template {
        t.store(&interpreter);
    }
    if let Some(file) = cache {
        let entry = CacheEntry {
            key,
            interpreter: interpreter.clone(),
        };
        // The cache is an optimization: failing to write it is not an error.
        let _ = write_atomically(&file, &serde_json::to_vec(&entry).unwrap_or_default());
    }
    Ok(interpreter)
}

/// A fresh virtual environment made from an interpreter winst has seen in another venv gets that
/// venv's answer with the environment's directory swapped, without starting Python. Two venvs
/// answer alike when their `bin/python` resolves to the same base executable (same size and
/// modification time) and their `pyvenv.cfg` says the same `home`, `version` and
/// `include-system-site-packages`; every path under the old venv's root moves to the new root.
/// Venvs made with `--copies` (their interpreter is their own file) are always queried.
struct VenvTemplate {
    root: PathBuf,
    file: PathBuf,
}

/// The placeholder for a venv's root in a stored template.
const VENV_PLACEHOLDER: &str = "/@winst-venv@";

impl VenvTemplate {
    fn for_python(python: &Path) -> Option<VenvTemplate> {
        let root = python.parent()?.parent()?.to_path_buf();
        let cfg = std::fs::read_to_string(root.join("pyvenv.cfg")).ok()?;
        let mut fields: Vec<(String, String)> = cfg
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .filter(|(k, _)| {
                matches!(
                    k.as_str(),
                    "home" | "version" | "version_info" | "include-system-site-packages"
                )
            })
            .collect();
        fields.sort();
        let real = std::fs::canonicalize(python).ok()?;
        if real.starts_with(std::fs::canonicalize(&root).ok()?) {
            return None;
        }
        let meta = std::fs::metadata(&real).ok()?;
        let identity = serde_json::to_vec(&(
            &real,
            meta.len(),
            mtime_ns(&meta),
            &fields,
            python.strip_prefix(&root).ok()?,
        ))
        .ok()?;
        let digest = sha2::Sha256::digest(&identity);
        let hex = hex::encode(&digest[..12]);
        let file = cache_dir()?
            .join("interpreters")
            .join(format!("venv-v4-{hex}.json"));
        Some(VenvTemplate { root, file })
    }

    fn swap(interpreter: &Interpreter, from: &Path, to: &Path) -> Option<Interpreter> {
        let move_path = |p: &mut PathBuf| {
            if let Ok(rest) = p.strip_prefix(from) {
                *p = if rest.as_os_str().is_empty() {
                    to.to_path_buf()
                } else {
                    to.join(rest)
                };
            }
        };
        let mut i = interpreter.clone();
        if i.prefix != from || !i.executable.starts_with(from) {
            return None;
        }
        move_path(&mut i.executable);
        move_path(&mut i.prefix);
        for p in [
            &mut i.paths.purelib,
            &mut i.paths.platlib,
            &mut i.paths.scripts,
            &mut i.paths.data,
            &mut i.paths.include,
        ] {
            move_path(p);
        }
        Some(i)
    }

    fn load(&self, python: &Path) -> Option<Interpreter> {
        let bytes = std::fs::read(&self.file).ok()?;
        let stored: Interpreter = serde_json::from_slice(&bytes).ok()?;
        let i = Self::swap(&stored, Path::new(VENV_PLACEHOLDER), &self.root)?;
        (i.executable == python).then_some(i)
    }

    fn store(&self, interpreter: &Interpreter) {
        if let Some(t) = Self::swap(interpreter, &self.root, Path::new(VENV_PLACEHOLDER))
            && let Ok(bytes) = serde_json::to_vec(&t)
        {
            let _ = write_atomically(&self.file, &bytes);
        }
    }
}

fn write_atomically(file: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = file.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".tmp-{}", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, file)
}

fn run_query(python: &Path) -> Result<Interpreter> {
    let script = QUERY.replace("@PREFIX@", PREFIX_PLACEHOLDER);
    let output = Command::new(python)
        .args(["-I", "-c", &script])
        .output()
        .with_context(|| format!("could not run the Python interpreter {}", python.display()))?;
    if !output.status.success() {
        bail!(
            "the Python interpreter {} failed when asked for its configuration ({}):\n{}",
            python.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    serde_json::from_slice(&output.stdout).with_context(|| {
        format!(
            "the Python interpreter {} gave an unexpected answer: {}",
            python.display(),
            String::from_utf8_lossy(&output.stdout).trim()
        )
    })
}
