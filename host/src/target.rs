//! Where an install goes: which interpreter, and the scheme directories for its files.
//!
//! Finds the interpreter (`--python`, else `$VIRTUAL_ENV`, else `./.venv`), asks it for its
//! configuration ([`crate::interpreter`]), and lays out the scheme: the environment's own
//! (sysconfig), a `--prefix` (posix_prefix rebased), or a plain `--target` directory laid out as
//! `pip install --target` leaves it. Not here: opening or writing those directories
//! ([`crate::roots`]).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Serialize;

use crate::interpreter::{self, Interpreter, PREFIX_PLACEHOLDER};

/// Which layout the user asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Layout {
    /// The interpreter's own environment.
    Environment,
    /// `--target DIR`: packages directly in DIR, scripts in DIR/bin.
    Target(PathBuf),
    /// `--prefix DIR`: the posix_prefix scheme under DIR.
    Prefix(PathBuf),
}

/// The directories a wheel's files go to. `headers` is the base; each project's headers go to
/// `headers/<name>`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Scheme {
    pub purelib: PathBuf,
    pub platlib: PathBuf,
    pub headers: PathBuf,
    pub scripts: PathBuf,
    pub data: PathBuf,
}

/// The resolved target of an install.
#[derive(Debug, Clone)]
pub struct Target {
    pub interpreter: Interpreter,
    pub scheme: Scheme,
    pub layout: Layout,
}

/// Finds the interpreter to install for, as an absolute path (links not resolved: a venv's
/// `bin/python` must stay itself).
pub fn find_python(requested: Option<&Path>, layout: &Layout) -> Result<PathBuf> {
    if let Some(req) = requested {
        return resolve_requested(req);
    }
    if let Some(venv) = std::env::var_os("VIRTUAL_ENV").filter(|v| !v.is_empty()) {
        let python = venv_python(Path::new(&venv)).with_context(|| {
            format!(
                "$VIRTUAL_ENV is {} but it has no bin/python",
                Path::new(&venv).display()
            )
        })?;
        return Ok(python);
    }
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    if let Some(python) = venv_python(&cwd.join(".venv")) {
        return Ok(python);
    }
    if *layout != Layout::Environment
        && let Some(python) = which("python3")
    {
        return Ok(python);
    }
    bail!(
        "no Python environment found: activate a virtual environment, create one with \
         `python3 -m venv .venv`, or pass --python"
    )
}

fn venv_python(dir: &Path) -> Option<PathBuf> {
    ["python", "python3"]
        .iter()
        .map(|n| dir.join("bin").join(n))
        .find(|p| p.is_file())
}

fn resolve_requested(req: &Path) -> Result<PathBuf> {
    if req.is_dir() {
        return venv_python(req).map(absolute).with_context(|| {
            format!(
                "{} is a directory without bin/python: pass a virtual environment or an interpreter",
                req.display()
            )
        });
    }
    if req.components().count() > 1 || req.exists() {
        if !req.exists() {
            bail!("no Python interpreter at {}", req.display());
        }
        return Ok(absolute(req.to_path_buf()));
    }
    which(&req.to_string_lossy())
        .with_context(|| format!("no interpreter named `{}` on PATH", req.display()))
}

fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
        .map(absolute)
}

fn absolute(p: PathBuf) -> PathBuf {
    std::path::absolute(&p).unwrap_or(p)
}

impl Target {
    /// Resolves a target: finds and queries the interpreter, lays out the scheme.
    pub fn resolve(python: Option<&Path>, layout: Layout) -> Result<Target> {
        let exe = find_python(python, &layout)?;
        let interpreter = interpreter::query(&exe)?;
        let scheme = scheme_for(&interpreter, &layout);
        Ok(Target {
            interpreter,
            scheme,
            layout,
        })
    }

    /// One line saying where files go, for messages.
    /// Where winst keeps its lock and journal for this environment: its data directory (the
    /// venv's root, the `--prefix` or the `--target` directory).
    pub fn state_dir(&self) -> &Path {
        &self.scheme.data
    }

    pub fn describe(&self) -> String {
        match &self.layout {
            Layout::Environment => format!(
                "{} environment at {}",
                self.interpreter.describe(),
                self.interpreter.prefix.display()
            ),
            Layout::Target(d) => format!(
                "directory {} for {}",
                d.display(),
                self.interpreter.describe()
            ),
            Layout::Prefix(d) => {
                format!("prefix {} for {}", d.display(), self.interpreter.describe())
            }
        }
    }
}

/// The scheme for a layout, following pip's choices (headers of a venv install go under
/// `include/site/pythonX.Y/<name>`).
pub fn scheme_for(interp: &Interpreter, layout: &Layout) -> Scheme {
    let site_include = |base: &Path| {
        base.join("include")
            .join("site")
            .join(format!("python{}", interp.major_minor()))
    };
    match layout {
        Layout::Environment => {
            let p = &interp.paths;
            Scheme {
                purelib: p.purelib.clone(),
                platlib: p.platlib.clone(),
                headers: if interp.is_venv() {
                    site_include(&interp.prefix)
                } else {
                    p.include.clone()
                },
                scripts: p.scripts.clone(),
                data: p.data.clone(),
            }
        }
        Layout::Prefix(dir) => {
            let dir = absolute(dir.clone());
            let rebase = |p: &Path| -> PathBuf {
                match p.strip_prefix(PREFIX_PLACEHOLDER) {
                    Ok(rest) => dir.join(rest),
                    Err(_) => p.to_path_buf(),
                }
            };
            let p = &interp.prefix_paths;
            Scheme {
                purelib: rebase(&p.purelib),
                platlib: rebase(&p.platlib),
                headers: if interp.is_venv() {
                    site_include(&dir)
                } else {
                    rebase(&p.include)
                },
                scripts: rebase(&p.scripts),
                data: rebase(&p.data),
            }
        }
        Layout::Target(dir) => {
            let dir = absolute(dir.clone());
            Scheme {
                purelib: dir.clone(),
                platlib: dir.clone(),
                headers: if interp.is_venv() {
                    site_include(&dir)
                } else {
                    dir.join("include").join("python")
                },
                scripts: dir.join("bin"),
                data: dir,
            }
        }
    }
}
