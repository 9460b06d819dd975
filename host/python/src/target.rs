//! Where an install goes: which interpreter, and the scheme directories for its files.
//!
//! Finds the interpreter ([`crate::discover`]: `--python`, else `$VIRTUAL_ENV`, else
//! `$CONDA_PREFIX`, else `.venv` here or in a parent), asks it for its configuration ([`crate::interpreter`]), and lays out the scheme: the environment's own
//! (sysconfig), a `--prefix` (posix_prefix rebased), or a plain `--target` directory laid out as
//! `pip install --target` leaves it. Not here: opening or writing those directories
//! (`winst_install::roots`).

use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::Serialize;

use crate::discover::{self, Found};
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

/// Finds the interpreter to install for (see [`crate::discover`] for the order), as an absolute
/// path (links not resolved: a venv's `bin/python` must stay itself).
pub(crate) fn find_python(requested: Option<&Path>, layout: &Layout) -> Result<Found> {
    let inputs = discover::Inputs::from_process()?;
    discover::find(
        requested.map(Path::as_os_str),
        *layout == Layout::Environment,
        &inputs,
    )
}

fn absolute(p: PathBuf) -> PathBuf {
    std::path::absolute(&p).unwrap_or(p)
}

impl Target {
    /// Resolves a target: finds and queries the interpreter, lays out the scheme.
    pub fn resolve(python: Option<&Path>, layout: Layout) -> Result<Target> {
        let found = find_python(python, &layout)?;
        let interpreter = interpreter::query(&found.python)?;
        log::debug!(
            "using environment {} ({}, {}: {})",
            interpreter.prefix.display(),
            interpreter.describe(),
            found.source,
            found.python.display()
        );
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
