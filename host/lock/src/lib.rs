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
    let selects = !options.extras.is_empty() || !options.groups.is_empty();
    if let Some(first) = locks.first()
        && selects
        && !locks.iter().any(|l| is_pylock(l))
    {
        return Err(LockError::file(
            first,
            "--extra and --group select from a pylock.toml; a requirements file has neither",
        ));
    }
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
    let mut seen = std::collections::HashSet::new();
    selection
        .chosen
        .retain(|c| seen.insert(c.normalized.clone()));
    Ok(selection)
}

/// Two locks (or two entries) may name one project only for the very same wheel (listed once).
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

#[cfg(test)]
pub(crate) mod testing {
    //! A CPython 3.11 target on x86_64 glibc 2.36, as plain data.

    use pep508_rs::{MarkerEnvironment, MarkerEnvironmentBuilder};
    use winst_python::tags::SupportedTags;

    pub fn markers() -> MarkerEnvironment {
        MarkerEnvironment::try_from(MarkerEnvironmentBuilder {
            implementation_name: "cpython",
            implementation_version: "3.11.7",
            os_name: "posix",
            platform_machine: "x86_64",
            platform_python_implementation: "CPython",
            platform_release: "6.1.0",
            platform_system: "Linux",
            platform_version: "#1 SMP",
            python_full_version: "3.11.7",
            python_version: "3.11",
            sys_platform: "linux",
        })
        .unwrap()
    }

    pub fn tags() -> SupportedTags {
        SupportedTags::for_interpreter(&winst_python::testing::cpython311())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A directory of (empty) files with these names: selection reads only names.
    fn house(names: &[&str]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for n in names {
            std::fs::write(dir.path().join(n), b"").unwrap();
        }
        dir
    }

    fn run(
        lock_name: &str,
        text: &str,
        dir: &tempfile::TempDir,
        options: LockOptions,
    ) -> Result<Selection, LockError> {
        let lock = dir.path().join(lock_name);
        std::fs::write(&lock, text).unwrap();
        let (markers, tags) = (testing::markers(), testing::tags());
        select(
            &[lock],
            &LockTarget {
                markers: &markers,
                tags: &tags,
            },
            &options,
        )
    }

    fn in_house(dir: &tempfile::TempDir) -> LockOptions {
        LockOptions {
            find_links: vec![dir.path().to_path_buf()],
            ..LockOptions::default()
        }
    }

    #[test]
    fn requirements_pick_the_best_tag_and_skip_false_markers() {
        let dir = house(&[
            "demo-1.0-py3-none-any.whl",
            "demo-1.0-cp311-cp311-manylinux_2_17_x86_64.whl",
            "demo-1.0-cp311-cp311-win_amd64.whl",
            "demo-2.0-cp311-cp311-manylinux_2_28_x86_64.whl",
            "Other_Name-1.0-1-py3-none-any.whl",
            "Other_Name-1.0-2-py3-none-any.whl",
        ]);
        let s = run(
            "r.txt",
            "demo==1.0\nother.name===1.0\nwin==1 ; sys_platform == 'win32'\n",
            &dir,
            in_house(&dir),
        )
        .unwrap();
        let chosen: Vec<&str> = s
            .chosen
            .iter()
            .map(|c| c.wheel.file_name().unwrap().to_str().unwrap())
            .collect();
        // The highest build number wins among equal tags.
        assert_eq!(
            chosen,
            [
                "demo-1.0-cp311-cp311-manylinux_2_17_x86_64.whl",
                "Other_Name-1.0-2-py3-none-any.whl"
            ]
        );
        let reasons: Vec<&str> = s.chosen[0]
            .rejected
            .iter()
            .map(|r| r.reason.as_str())
            .collect();
        assert_eq!(
            reasons,
            [
                "wrong tags: the target cannot run cp311-cp311-win_amd64",
                "the target prefers cp311-cp311-manylinux_2_17_x86_64 (demo-1.0-cp311-cp311-manylinux_2_17_x86_64.whl)",
            ]
        );
        assert_eq!(s.skipped[0].name, "win");
        assert_eq!(s.skipped[0].reason, "marker false: sys_platform == 'win32'");
    }

    #[test]
    fn requirement_rules() {
        let dir = house(&["demo-1.0-py3-none-any.whl"]);
        let err = |text: &str| {
            run("r.txt", text, &dir, in_house(&dir))
                .unwrap_err()
                .to_string()
        };
        assert!(err("demo~=1.0\n").ends_with("r.txt: line 1: demo: is not pinned with == or ===; winst does not resolve: pin every requirement (`uv pip compile --generate-hashes` or `pip-compile --generate-hashes` write such a file)"));
        assert!(
            err("demo==1.0 --hash=sha256:00\ndemo2==1\n").contains("line 2: demo2: has no --hash")
        );
        assert!(
            err("demo==3.0\n").contains("no wheel of demo==3.0 in the --find-links directories")
        );
        assert!(err("--find-links https://x/simple\n").contains("winst does not download"));
        let grouped = LockOptions {
            groups: vec!["dev".into()],
            ..in_house(&dir)
        };
        let e = run("r.txt", "demo==1.0\n", &dir, grouped).unwrap_err();
        assert!(e.to_string().ends_with(
            "r.txt: --extra and --group select from a pylock.toml; a requirements file has neither"
        ));
        let ok = run(
            "r.txt",
            "demo==1.0 --hash=SHA256:AB\n",
            &dir,
            in_house(&dir),
        )
        .unwrap();
        assert_eq!(ok.chosen[0].sha256, ["ab"]);
        assert!(ok.chosen[0].verify(0, &[0xab; 32]).is_err());
    }

    #[test]
    fn pylock_rules() {
        let dir = house(&["demo-1.0-py3-none-any.whl"]);
        let wheel = "wheels = [{ url = \"https://x/demo-1.0-py3-none-any.whl\", size = 0, hashes = { sha256 = \"ZEROS\" } }]".replace("ZEROS", &"0".repeat(64));
        let pkg = format!("[[packages]]\nname = \"demo\"\nversion = \"1.0\"\n{wheel}\n");
        let err = |text: String| {
            run("pylock.toml", &text, &dir, in_house(&dir))
                .unwrap_err()
                .to_string()
        };
        assert!(
            err(format!("lock-version = \"2.0\"\n{pkg}"))
                .contains("lock-version 2.0 is not supported")
        );
        assert!(
            err(format!("lock-version = \"1.0\"\n{pkg}{pkg}")).contains("demo: two entries apply")
        );
        assert!(err("lock-version = \"1.0\"\n[[packages]]\nname = \"x\"\ndirectory = { path = \".\" }\n".into())
            .contains("x: the lock gives only a source directory for it; winst installs built wheels: build x first"));
        let two = format!(
            "lock-version = \"1.0\"\n{pkg}{}",
            pkg.replace(
                "[[packages]]",
                "[[packages]]\nmarker = \"python_version < '3'\""
            )
        );
        let s = run("pylock.toml", &two, &dir, in_house(&dir)).unwrap();
        assert_eq!(s.chosen.len(), 1);
        assert_eq!(s.skipped.len(), 1);
        // Found by file name; the lock's sha256 is what must match.
        assert_eq!(s.chosen[0].sha256, ["0".repeat(64)]);
        assert_eq!(s.chosen[0].verify(0, &[0; 32]), Ok(()));
        assert!(
            s.chosen[0]
                .verify(1, &[0; 32])
                .unwrap_err()
                .to_string()
                .contains("is 1 bytes, but the lock says 0")
        );
    }
}
