//! Which Python environment a command works on, found the way uv finds one for an install.
//!
//! The order: `--python` (a path to an interpreter, a virtual environment directory, a name on
//! `PATH` such as `python3.11`, or a version request such as `3.11`, `3`, `3.11.4` or
//! `cpython3.11`); else `$VIRTUAL_ENV`; else `$CONDA_PREFIX`; else a `.venv` in the current
//! directory or the nearest parent that has one. A version request looks at those environments
//! first and then at `python3.X`, `python3` and `python` in each `PATH` directory, asking each
//! interpreter for its version ([`crate::interpreter::query`], cached). With nothing found, the
//! error lists what was looked at and what to do.
//!
//! Not here: querying the interpreter's configuration or laying out the scheme
//! ([`crate::target`]), or deciding whether the environment may be changed ([`crate::pep668`]).

use std::collections::HashSet;
use std::ffi::OsStr;
use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::interpreter::{self, Interpreter};

/// What `--python` asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PythonRequest {
    /// A path to an interpreter or a virtual environment directory.
    Path(PathBuf),
    /// An executable name to look up on `PATH`, such as `python3.11`.
    Name(String),
    /// A version, optionally of CPython only.
    Version(VersionRequest),
}

/// `3`, `3.11`, `3.11.4`, optionally `cpython` first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct VersionRequest {
    pub major: u32,
    pub minor: Option<u32>,
    pub patch: Option<u32>,
    /// `cpython3.11`: only CPython matches.
    pub cpython_only: bool,
}

impl VersionRequest {
    /// Parses `3.11`, `cpython3.11`, `cpython@3.11`, `cpython-3.11`; `None` if it is not one.
    pub fn parse(text: &str) -> Option<VersionRequest> {
        let lower = text.to_ascii_lowercase();
        let (cpython_only, rest) = match lower.strip_prefix("cpython") {
            Some(rest) => (
                true,
                rest.strip_prefix(['@', '-']).unwrap_or(rest).to_string(),
            ),
            None => (false, lower.clone()),
        };
        let mut parts = rest.split('.');
        let number = |p: Option<&str>| -> Option<Option<u32>> {
            match p {
                None => Some(None),
                Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
                    p.parse().ok().map(Some)
                }
                Some(_) => None,
            }
        };
        let major = number(parts.next())??;
        let minor = number(parts.next())?;
        let patch = number(parts.next())?;
        if parts.next().is_some() || (minor.is_none() && patch.is_some()) {
            return None;
        }
        Some(VersionRequest {
            major,
            minor,
            patch,
            cpython_only,
        })
    }

    /// Whether an interpreter satisfies the request.
    pub fn matches(&self, interp: &Interpreter) -> bool {
        let (major, minor, patch) = interp.version;
        (!self.cpython_only || interp.implementation == "cpython")
            && self.major == major
            && self.minor.is_none_or(|m| m == minor)
            && self.patch.is_none_or(|p| p == patch)
    }

    /// Executable names to look for in each `PATH` directory, most specific first.
    fn executable_names(&self) -> Vec<String> {
        let mut names = Vec::new();
        if let Some(minor) = self.minor {
            names.push(format!("python{}.{minor}", self.major));
        }
        names.push(format!("python{}", self.major));
        names.push("python".to_string());
        names
    }
}

impl fmt::Display for VersionRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = if self.cpython_only {
            "CPython"
        } else {
            "Python"
        };
        write!(f, "{name} {}", self.major)?;
        if let Some(m) = self.minor {
            write!(f, ".{m}")?;
        }
        if let Some(p) = self.patch {
            write!(f, ".{p}")?;
        }
        Ok(())
    }
}

impl PythonRequest {
    /// Reads a `--python` value: a path if it has a `/`, else a version if it reads as one, else
    /// a path if it exists, else a name on `PATH`.
    pub fn parse(value: &OsStr) -> PythonRequest {
        let path = Path::new(value);
        let text = value.to_string_lossy();
        if text.contains('/') {
            return PythonRequest::Path(path.to_path_buf());
        }
        if let Some(v) = VersionRequest::parse(&text) {
            return PythonRequest::Version(v);
        }
        if path.exists() {
            return PythonRequest::Path(path.to_path_buf());
        }
        PythonRequest::Name(text.into_owned())
    }
}

/// Where the chosen interpreter came from, for the verbose log and for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `--python` given as a path, a directory or a name.
    Requested,
    /// `$VIRTUAL_ENV`.
    VirtualEnv,
    /// `$CONDA_PREFIX`.
    Conda,
    /// A `.venv` directory in the current directory or a parent.
    DotVenv,
    /// An interpreter on `PATH` (a version request, or the fallback for `--target`/`--prefix`).
    SearchPath,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Source::Requested => "from --python",
            Source::VirtualEnv => "from $VIRTUAL_ENV",
            Source::Conda => "from $CONDA_PREFIX",
            Source::DotVenv => "a .venv directory",
            Source::SearchPath => "found on PATH",
        })
    }
}

/// The interpreter chosen, as an absolute path (links not resolved: a venv's `bin/python` must
/// stay itself), and why.
#[derive(Debug, Clone)]
pub struct Found {
    pub python: PathBuf,
    pub source: Source,
}

/// What discovery reads from the process: kept apart so the order can be followed in one place.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    pub virtual_env: Option<PathBuf>,
    pub conda_prefix: Option<PathBuf>,
    pub cwd: PathBuf,
    pub path: Option<std::ffi::OsString>,
}

impl Inputs {
    /// The process's environment variables and current directory.
    pub(crate) fn from_process() -> Result<Inputs> {
        let var = |name: &str| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        Ok(Inputs {
            virtual_env: var("VIRTUAL_ENV"),
            conda_prefix: var("CONDA_PREFIX"),
            cwd: std::env::current_dir().context(
                "cannot read the current directory (was it removed?); cd somewhere else or pass --python",
            )?,
            path: std::env::var_os("PATH"),
        })
    }

    /// The environments to consider without `--python`, in order, with what each was.
    fn environments(&self) -> Vec<(PathBuf, Source)> {
        let mut out = Vec::new();
        if let Some(v) = &self.virtual_env {
            out.push((absolute_in(&self.cwd, v), Source::VirtualEnv));
        }
        if let Some(c) = &self.conda_prefix {
            out.push((absolute_in(&self.cwd, c), Source::Conda));
        }
        if let Some(dir) = self
            .cwd
            .ancestors()
            .map(|d| d.join(".venv"))
            .find(|d| d.is_dir())
        {
            out.push((dir, Source::DotVenv));
        }
        out
    }
}

/// The interpreter of an environment directory: `bin/python`, else `bin/python3`.
pub(crate) fn env_python(dir: &Path) -> Option<PathBuf> {
    ["python", "python3"]
        .iter()
        .map(|n| dir.join("bin").join(n))
        .find(|p| p.is_file())
}

fn absolute_in(cwd: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        cwd.join(p)
    }
}

/// The first file named `name` in a `PATH` directory.
fn which(path_var: Option<&OsStr>, cwd: &Path, name: &str) -> Option<PathBuf> {
    std::env::split_paths(path_var?)
        .map(|dir| absolute_in(cwd, &dir).join(name))
        .find(|p| is_executable_file(p))
}

fn is_executable_file(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

const WHAT_TO_DO: &str = "create one with `python3 -m venv .venv`, activate one, or pass \
                          --python (an interpreter, a virtual environment directory, or a version \
                          such as 3.11)";

/// Finds the interpreter to work on. `needs_environment` is false for `--target`/`--prefix`,
/// which only need some interpreter: then `python3` on `PATH` does too.
pub fn find(request: Option<&OsStr>, needs_environment: bool, ctx: &Inputs) -> Result<Found> {
    match request.map(PythonRequest::parse) {
        Some(PythonRequest::Path(path)) => find_path(&path, &absolute_in(&ctx.cwd, &path)),
        Some(PythonRequest::Name(name)) => which(ctx.path.as_deref(), &ctx.cwd, &name)
            .map(|python| Found {
                python,
                source: Source::Requested,
            })
            .with_context(|| {
                format!(
                    "--python {name}: no executable named `{name}` on PATH; pass the \
                     interpreter's path, a virtual environment directory, or a version such as 3.11"
                )
            }),
        Some(PythonRequest::Version(version)) => find_version(version, ctx),
        None => find_default(needs_environment, ctx),
    }
}

/// `given` is the path as the user typed it (for messages), `path` the same made absolute.
fn find_path(given: &Path, path: &Path) -> Result<Found> {
    let requested = |python| {
        Ok(Found {
            python,
            source: Source::Requested,
        })
    };
    if path.is_dir() {
        return match env_python(path) {
            Some(python) => requested(python),
            None => bail!(
                "--python {}: this directory has no bin/python, so it is not a Python \
                 environment; pass a virtual environment directory or an interpreter",
                given.display()
            ),
        };
    }
    if !path.exists() {
        bail!(
            "--python {}: no such file; pass an existing interpreter, a virtual environment \
             directory, or a version such as 3.11",
            given.display()
        );
    }
    requested(path.to_path_buf())
}

fn find_default(needs_environment: bool, ctx: &Inputs) -> Result<Found> {
    let mut skipped = Vec::new();
    for (dir, source) in ctx.environments() {
        match env_python(&dir) {
            Some(python) => return Ok(Found { python, source }),
            // An explicit variable naming a broken environment is an error, not a fallthrough.
            None if source == Source::VirtualEnv => bail!(
                "$VIRTUAL_ENV is {} but it has no bin/python; activate a working virtual \
                 environment, unset VIRTUAL_ENV, or pass --python",
                dir.display()
            ),
            None => skipped.push(format!("{} has no bin/python", dir.display())),
        }
    }
    if !needs_environment && let Some(python) = which(ctx.path.as_deref(), &ctx.cwd, "python3") {
        return Ok(Found {
            python,
            source: Source::SearchPath,
        });
    }
    let mut looked = Vec::new();
    if ctx.virtual_env.is_none() && ctx.conda_prefix.is_none() {
        looked.push("$VIRTUAL_ENV and $CONDA_PREFIX are not set".to_string());
    }
    looked.extend(skipped);
    if !ctx.cwd.ancestors().any(|d| d.join(".venv").is_dir()) {
        looked.push(format!(
            "there is no .venv in {} or any parent directory",
            ctx.cwd.display()
        ));
    }
    bail!(
        "no Python environment found: {}; {WHAT_TO_DO}",
        looked.join(", ")
    )
}

fn find_version(version: VersionRequest, ctx: &Inputs) -> Result<Found> {
    let mut seen: HashSet<PathBuf> = HashSet::new();
    let mut checked: Vec<String> = Vec::new();
    let mut consider = |python: PathBuf, checked: &mut Vec<String>| -> Option<PathBuf> {
        let key = std::fs::canonicalize(&python).unwrap_or_else(|_| python.clone());
        // A venv's python links to its base interpreter but answers differently: key venvs by
        // their own path.
        let key = if python
            .parent()
            .and_then(Path::parent)
            .is_some_and(|root| root.join("pyvenv.cfg").is_file())
        {
            python.clone()
        } else {
            key
        };
        if !seen.insert(key) {
            return None;
        }
        match interpreter::query(&python) {
            Ok(interp) if version.matches(&interp) => Some(python),
            Ok(interp) => {
                checked.push(format!("{} is {}", python.display(), interp.describe()));
                None
            }
            Err(e) => {
                log::debug!("skipping {}: {e:#}", python.display());
                checked.push(format!("{} did not answer", python.display()));
                None
            }
        }
    };
    for (dir, source) in ctx.environments() {
        if let Some(python) = env_python(&dir)
            && let Some(python) = consider(python, &mut checked)
        {
            return Ok(Found { python, source });
        }
    }
    let names = version.executable_names();
    if let Some(path_var) = ctx.path.as_deref() {
        for dir in std::env::split_paths(path_var) {
            for name in &names {
                let candidate = absolute_in(&ctx.cwd, &dir).join(name);
                if is_executable_file(&candidate)
                    && let Some(python) = consider(candidate, &mut checked)
                {
                    return Ok(Found {
                        python,
                        source: Source::SearchPath,
                    });
                }
            }
        }
    }
    let checked = if checked.is_empty() {
        "no environment and no interpreter on PATH".to_string()
    } else {
        checked.join(", ")
    };
    bail!(
        "no {version} interpreter found for --python: looked at the active and nearby \
         environments, then {} on PATH (checked: {checked}); install {version}, or pass \
         --python with the path of an interpreter or a virtual environment",
        names.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_requests() {
        let v = |major, minor, patch, cpython_only| {
            PythonRequest::Version(VersionRequest {
                major,
                minor,
                patch,
                cpython_only,
            })
        };
        let parse = |s: &str| PythonRequest::parse(OsStr::new(s));
        assert_eq!(parse("3"), v(3, None, None, false));
        assert_eq!(parse("3.11"), v(3, Some(11), None, false));
        assert_eq!(parse("3.11.4"), v(3, Some(11), Some(4), false));
        assert_eq!(parse("cpython3.11"), v(3, Some(11), None, true));
        assert_eq!(parse("cpython@3.12"), v(3, Some(12), None, true));
        assert_eq!(parse("CPython-3"), v(3, None, None, true));
        assert_eq!(
            parse("python3.11"),
            PythonRequest::Name("python3.11".into())
        );
        assert_eq!(parse("pypy3"), PythonRequest::Name("pypy3".into()));
        assert_eq!(parse("3.11."), PythonRequest::Name("3.11.".into()));
        assert_eq!(parse("3.11.4.1"), PythonRequest::Name("3.11.4.1".into()));
        assert_eq!(parse(".venv/"), PythonRequest::Path(".venv/".into()));
        assert_eq!(
            parse("/usr/bin/python3"),
            PythonRequest::Path("/usr/bin/python3".into())
        );
    }

    #[test]
    fn names_to_look_for() {
        let Some(v) = VersionRequest::parse("3.12") else {
            panic!("3.12 is a version");
        };
        assert_eq!(v.executable_names(), ["python3.12", "python3", "python"]);
        assert_eq!(v.to_string(), "Python 3.12");
    }
}
