//! Lock files in, the wheels to install out: the **open/plan** input for
//! `winst install -r LOCK` and `winst sync`.
//!
//! Reads a `pylock.toml` (PEP 751, "pylock.toml specification" on packaging.python.org) or a
//! pinned requirements file (`name==version --hash=sha256:...` lines, as `pip-compile`,
//! `uv pip compile` and `uv export` write them), evaluates each package's environment marker for
//! the target, and chooses one wheel per package by the target's tag priority: from the lock's
//! own `[[packages.wheels]]` list (found by `path`, or by file name in the `--find-links`
//! directories) or, for a requirements file, among the wheels of the pinned version in the
//! `--find-links` directories. The result ([`Selection`]) says which wheel was chosen for each
//! package and why the others were not, which packages were skipped (marker false), and what
//! each wheel's size and sha256 must be ([`Chosen::verify`]).
//!
//! What the target is comes in as plain data ([`LockTarget`]: marker values and supported
//! tags); this crate reads the lock files and lists the wheelhouse directories, nothing else of
//! the machine. Not here: hashing the wheel files (the caller does, with its cache), installing,
//! or deciding what a sync removes. winst does not resolve: a requirement that is not pinned is
//! an error.

mod markers;
mod pylock;
mod requirements;
mod select;

use std::fmt;
use std::path::{Path, PathBuf};

use pep508_rs::MarkerEnvironment;
use serde::Serialize;
use winst_python::tags::SupportedTags;

pub use select::Wheelhouse;

/// The target environment as the lock sees it: its PEP 508 marker values and the wheel tags it
/// supports, with their priority.
pub struct LockTarget<'a> {
    pub markers: &'a MarkerEnvironment,
    pub tags: &'a SupportedTags,
}

impl LockTarget<'_> {
    /// `cp311-manylinux_2_36_x86_64`: the target's best tag, for messages.
    pub fn describe(&self) -> String {
        format!("{}-{}", self.tags.interpreter_tag, self.tags.best_platform)
    }
}

/// What the user selected from the locks.
#[derive(Debug, Clone, Default)]
pub struct LockOptions {
    /// `--extra NAME`: pylock extras (`'NAME' in extras` markers).
    pub extras: Vec<String>,
    /// `--group NAME`: pylock dependency groups; none given means the lock's `default-groups`.
    pub groups: Vec<String>,
    /// `--find-links DIR`: directories of wheels, searched in order.
    pub find_links: Vec<PathBuf>,
}

/// A wheel of a package that was not chosen, and why.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Rejected {
    /// The wheel's file name.
    pub wheel: String,
    pub reason: String,
}

/// The wheel chosen for one package of a lock.
#[derive(Debug, Clone, Serialize)]
pub struct Chosen {
    /// The name as the lock spells it.
    pub name: String,
    /// PEP 503-normalized name.
    pub normalized: String,
    pub version: String,
    /// The lock file that listed the package.
    pub lock: PathBuf,
    /// The wheel file, absolute.
    pub wheel: PathBuf,
    /// The size the lock records, in bytes.
    pub size: Option<u64>,
    /// The sha256 digests (hex) the wheel may have; empty when the lock gives none (a
    /// requirements file without any `--hash`).
    pub sha256: Vec<String>,
    /// The package's other wheels and why they were not chosen.
    pub rejected: Vec<Rejected>,
}

impl Chosen {
    /// Checks the wheel file's size (bytes) and sha256 against what the lock records. The error
    /// names the lock, the package, the file and both values: the file is never replaced by
    /// another one.
    pub fn verify(&self, size: u64, sha256: &[u8; 32]) -> Result<(), LockError> {
        if let Some(expected) = self.size
            && expected != size
        {
            return Err(self.error(format!(
                "{} is {size} bytes, but the lock says {expected}; the file is not the one the \
                 lock was made with",
                self.wheel.display()
            )));
        }
        let actual = hex::encode(sha256);
        if !self.sha256.is_empty() && !self.sha256.iter().any(|h| h.eq_ignore_ascii_case(&actual)) {
            return Err(self.error(format!(
                "{} has sha256 {actual}, which is not among the lock's hashes ({}); the file \
                 is not the one the lock was made with",
                self.wheel.display(),
                self.sha256.join(", ")
            )));
        }
        Ok(())
    }

    fn error(&self, rule: String) -> LockError {
        LockError::package(
            &self.lock,
            &format!("{}=={}", self.name, self.version),
            rule,
        )
    }
}

/// A package of a lock that does not apply to the target.
#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    pub name: String,
    pub version: String,
    pub lock: PathBuf,
    /// Why: `marker false: sys_platform == 'win32'`.
    pub reason: String,
}

/// Everything the locks select for the target.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Selection {
    /// One wheel per package, in lock order.
    pub chosen: Vec<Chosen>,
    /// Packages whose markers are false for the target (or whose extra or group is not selected).
    pub skipped: Vec<Skipped>,
    /// Things worth saying that are not errors (a newer minor `lock-version`).
    pub warnings: Vec<String>,
}

/// A lock that cannot be installed: names the lock file, the package (when it is about one) and
/// the rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockError {
    pub lock: PathBuf,
    pub package: Option<String>,
    pub rule: String,
}

impl LockError {
    pub(crate) fn file(lock: &Path, rule: impl Into<String>) -> LockError {
        LockError {
            lock: lock.to_path_buf(),
            package: None,
            rule: rule.into(),
        }
    }

    pub(crate) fn package(lock: &Path, package: &str, rule: impl Into<String>) -> LockError {
        LockError {
            lock: lock.to_path_buf(),
            package: Some(package.to_string()),
            rule: rule.into(),
        }
    }
}

impl fmt::Display for LockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.package {
            Some(p) => write!(f, "{}: {p}: {}", self.lock.display(), self.rule),
            None => write!(f, "{}: {}", self.lock.display(), self.rule),
        }
    }
}

impl std::error::Error for LockError {}

/// Whether a lock file is a `pylock.toml` (PEP 751 names: `pylock.toml` or `pylock.NAME.toml`);
/// anything else is read as a requirements file.
pub fn is_pylock(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with("pylock.") && n.ends_with(".toml"))
}

/// Reads the lock files and chooses one wheel per package that applies to the target. Errors:
/// a lock that cannot be read or breaks a rule of its format, a package that is not pinned or
/// has no wheel for the target, one project listed twice with different versions.
pub fn select(
    locks: &[PathBuf],
    target: &LockTarget,
    options: &LockOptions,
) -> Result<Selection, LockError> {
    let mut house = Wheelhouse::new(&options.find_links);
    let mut selection = Selection::default();
    for lock in locks {
        let part = if is_pylock(lock) {
            pylock::select(lock, target, options, &mut house)?
        } else {
            requirements::select(lock, target, &mut house)?
        };
        selection.chosen.extend(part.chosen);
        selection.skipped.extend(part.skipped);
        selection.warnings.extend(part.warnings);
    }
    one_per_project(&selection.chosen)?;
    Ok(selection)
}

/// Two locks (or two entries) may name one project only for the very same wheel.
fn one_per_project(chosen: &[Chosen]) -> Result<(), LockError> {
    for (i, a) in chosen.iter().enumerate() {
        if let Some(b) = chosen[..i].iter().find(|b| b.normalized == a.normalized)
            && b.wheel != a.wheel
        {
            return Err(LockError::package(
                &a.lock,
                &a.name,
                format!(
                    "listed twice for this target: {}=={} (from {}) and {}=={}; a lock must \
                     give one version per project",
                    b.name,
                    b.version,
                    b.lock.display(),
                    a.name,
                    a.version
                ),
            ));
        }
    }
    Ok(())
}
