//! `pylock.toml` (PEP 751, the "pylock.toml specification" on packaging.python.org): which of
//! its packages apply to the target, and which of each package's wheels to install.
//!
//! Checked: `lock-version` (a major version other than 1 is refused; a newer minor one is a
//! warning, as the spec asks), `requires-python` and `environments` of the lock, each package's
//! `marker` (with the selected `extras` and `dependency-groups`, `default-groups` when no group
//! is given) and `requires-python`. A package's wheels come from `[[packages.wheels]]` (and an
//! `archive` that is a wheel), found by `path` (relative to the lock) or by file name in the
//! `--find-links` directories. `[tool]` tables and fields winst does not need (`index`,
//! `upload-time`, `attestation-identities`, `dependencies`) are ignored. Not here: tag ranking
//! ([`crate::select`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use pep508_rs::pep440_rs::{Version, VersionSpecifiers};
use serde::Deserialize;
use winst_wheel::WheelFilename;
use winst_wheel::name::normalize;

use crate::markers::Marker;
use crate::select::{self, Candidate, Wheelhouse};
use crate::{Chosen, LockError, LockOptions, LockTarget, Selection, Skipped};

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct PyLock {
    environments: Option<Vec<String>>,
    requires_python: Option<String>,
    #[serde(default)]
    extras: Vec<String>,
    #[serde(default)]
    dependency_groups: Vec<String>,
    #[serde(default)]
    default_groups: Vec<String>,
    #[serde(default)]
    packages: Vec<Package>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Package {
    name: String,
    version: Option<String>,
    marker: Option<String>,
    requires_python: Option<String>,
    vcs: Option<toml::Value>,
    directory: Option<toml::Value>,
    archive: Option<FileEntry>,
    sdist: Option<toml::Value>,
    #[serde(default)]
    wheels: Vec<FileEntry>,
}

/// A `[[packages.wheels]]` entry (or an `archive`).
#[derive(Deserialize)]
struct FileEntry {
    name: Option<String>,
    url: Option<String>,
    path: Option<String>,
    size: Option<u64>,
    #[serde(default)]
    hashes: BTreeMap<String, String>,
}

impl FileEntry {
    /// The names the file may have, most specific first: the last segment of `path` and of
    /// `url` (the file as stored), then `name` (which tools may write normalized).
    fn file_names(&self) -> Vec<String> {
        let last = |s: &str| {
            let s = s.split(['?', '#']).next().unwrap_or(s);
            s.rsplit('/').next().map(percent_decode)
        };
        let mut names: Vec<String> = [self.path.as_deref(), self.url.as_deref()]
            .into_iter()
            .flatten()
            .filter_map(last)
            .chain(self.name.clone())
            .filter(|n| !n.is_empty())
            .collect();
        names.dedup();
        names
    }

    /// The wheel as a local file: `path` (relative to the lock's directory), or a `file:` URL,
    /// when that file exists.
    fn local_file(&self, base: &Path) -> Option<PathBuf> {
        let from_url = (self.url.as_deref())
            .and_then(|u| u.strip_prefix("file://"))
            .map(|p| PathBuf::from(percent_decode(p)));
        let from_path = self.path.as_ref().map(|p| base.join(p));
        from_path.into_iter().chain(from_url).find(|p| p.is_file())
    }
}

/// `%XX` escapes of a URL path decoded (file names with spaces or `+` in local versions).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The packages of one `pylock.toml` that apply to the target, each with its wheel.
pub(crate) fn select(
    lock: &Path,
    target: &LockTarget,
    options: &LockOptions,
    house: &mut Wheelhouse,
) -> Result<Selection, LockError> {
    let text = std::fs::read_to_string(lock)
        .map_err(|e| LockError::file(lock, format!("cannot read: {e}")))?;
    let table: toml::Table = toml::from_str(&text)
        .map_err(|e| LockError::file(lock, format!("not valid TOML: {}", e.message())))?;
    let mut warnings = Vec::new();
    check_version(lock, &table, &mut warnings)?;
    let parsed: PyLock = table.try_into().map_err(|e: toml::de::Error| {
        LockError::file(lock, format!("not a valid pylock.toml: {}", e.message()))
    })?;
    check_applies(lock, &parsed, target)?;
    let groups = selected_groups(lock, &parsed, options)?;
    let mut selection = Selection {
        warnings,
        ..Selection::default()
    };
    let base = lock.parent().unwrap_or(Path::new("."));
    for package in &parsed.packages {
        let marker = match &package.marker {
            Some(m) => {
                Some(Marker::parse(m).map_err(|e| LockError::package(lock, &package.name, e))?)
            }
            None => None,
        };
        if let Some(marker) = &marker
            && !marker.evaluate(target.markers, &options.extras, &groups)
        {
            selection.skipped.push(Skipped {
                name: package.name.clone(),
                version: package.version.clone().unwrap_or_default(),
                lock: lock.to_path_buf(),
                reason: format!(
                    "marker false: {}",
                    package.marker.as_deref().unwrap_or_default()
                ),
            });
            continue;
        }
        if let Some(twice) = selection
            .chosen
            .iter()
            .find(|c| c.normalized == normalize(&package.name))
        {
            return Err(LockError::package(
                lock,
                &package.name,
                format!(
                    "two entries apply to this target ({} and {}); a lock must give one per \
                     project for each environment",
                    twice.version,
                    package.version.as_deref().unwrap_or("another")
                ),
            ));
        }
        selection
            .chosen
            .push(choose_wheel(lock, base, package, target, house)?);
    }
    Ok(selection)
}

/// `lock-version`: major 1 is read; a newer minor version is read with a warning.
fn check_version(
    lock: &Path,
    table: &toml::Table,
    warnings: &mut Vec<String>,
) -> Result<(), LockError> {
    let version = table
        .get("lock-version")
        .and_then(toml::Value::as_str)
        .ok_or_else(|| LockError::file(lock, "has no `lock-version`; is it a pylock.toml?"))?;
    let (major, minor) = version.split_once('.').unwrap_or((version, "0"));
    if major != "1" {
        return Err(LockError::file(
            lock,
            format!("lock-version {version} is not supported: winst reads lock-version 1.x"),
        ));
    }
    if minor.parse::<u32>().map_or(true, |m| m > 0) {
        warnings.push(format!(
            "{}: lock-version {version} is newer than the 1.0 winst knows; reading it as 1.0",
            lock.display()
        ));
    }
    Ok(())
}

/// The lock's `requires-python` and `environments` must admit the target.
fn check_applies(lock: &Path, parsed: &PyLock, target: &LockTarget) -> Result<(), LockError> {
    let python = &target.markers.python_full_version().version;
    if let Some(spec) = &parsed.requires_python {
        let specs = VersionSpecifiers::from_str(spec)
            .map_err(|e| LockError::file(lock, format!("invalid requires-python `{spec}`: {e}")))?;
        if !specs.contains(python) {
            return Err(LockError::file(
                lock,
                format!("the lock requires Python {spec}; the target is Python {python}"),
            ));
        }
    }
    if let Some(envs) = &parsed.environments {
        let mut any = false;
        for e in envs {
            let m = Marker::parse(e)
                .map_err(|e| LockError::file(lock, format!("environments: {e}")))?;
            any |= m.evaluate(target.markers, &[], &[]);
        }
        if !any {
            return Err(LockError::file(
                lock,
                format!(
                    "the lock is for other environments ({}); none matches the target ({})",
                    envs.join("; "),
                    target.describe()
                ),
            ));
        }
    }
    Ok(())
}

/// The dependency groups in effect: `--group`, else the lock's `default-groups`. An extra or a
/// group the lock does not declare is an error.
fn selected_groups(
    lock: &Path,
    parsed: &PyLock,
    options: &LockOptions,
) -> Result<Vec<String>, LockError> {
    let declared = [
        ("--extra", "extra", &options.extras, &parsed.extras),
        (
            "--group",
            "dependency group",
            &options.groups,
            &parsed.dependency_groups,
        ),
    ];
    for (flag, what, asked, known) in declared {
        if let Some(missing) = asked
            .iter()
            .find(|a| !known.iter().any(|k| normalize(k) == normalize(a)))
        {
            let has = if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            };
            return Err(LockError::file(
                lock,
                format!("{flag} {missing}: the lock has no such {what} (it has: {has})"),
            ));
        }
    }
    Ok(if options.groups.is_empty() {
        parsed.default_groups.clone()
    } else {
        options.groups.clone()
    })
}

/// The best wheel of one package for the target (see [`crate::select`]).
fn choose_wheel(
    lock: &Path,
    base: &Path,
    package: &Package,
    target: &LockTarget,
    house: &mut Wheelhouse,
) -> Result<Chosen, LockError> {
    let err = |rule: String| LockError::package(lock, &package.name, rule);
    if let Some(spec) = &package.requires_python {
        let specs = VersionSpecifiers::from_str(spec)
            .map_err(|e| err(format!("invalid requires-python `{spec}`: {e}")))?;
        let python = &target.markers.python_full_version().version;
        if !specs.contains(python) {
            return Err(err(format!(
                "requires Python {spec}; the target is Python {python}"
            )));
        }
    }
    let entries = wheel_entries(package).map_err(err)?;
    let mut candidates = Vec::new();
    for entry in &entries {
        candidates.push(candidate(lock, base, package, entry, house)?);
    }
    let (best, rejected) = select::choose(&candidates, target.tags);
    let Some(best) = best else {
        return Err(err(select::no_wheel(&rejected, target, house.dirs())));
    };
    let entry = entries[best];
    let c = &candidates[best];
    let Some(sha256) = entry.hashes.get("sha256") else {
        return Err(err(format!(
            "{}: the lock gives no sha256 for it ({}); winst verifies wheels by sha256",
            c.file_name,
            if entry.hashes.is_empty() {
                "no hashes at all".to_string()
            } else {
                entry.hashes.keys().cloned().collect::<Vec<_>>().join(", ")
            }
        )));
    };
    Ok(Chosen {
        name: package.name.clone(),
        normalized: normalize(&package.name),
        version: package
            .version
            .clone()
            .unwrap_or_else(|| c.parsed.version.clone()),
        lock: lock.to_path_buf(),
        wheel: c.path.clone().unwrap_or_default(),
        size: entry.size,
        sha256: vec![sha256.to_ascii_lowercase()],
        rejected,
    })
}

/// A package's wheel entries (`[[packages.wheels]]`, and an `archive` that is a wheel); none is
/// an error saying what the lock gives instead.
fn wheel_entries(package: &Package) -> Result<Vec<&FileEntry>, String> {
    let archive =
        (package.archive.iter()).filter(|a| a.file_names().iter().any(|n| n.ends_with(".whl")));
    let entries: Vec<&FileEntry> = package.wheels.iter().chain(archive).collect();
    if !entries.is_empty() {
        return Ok(entries);
    }
    let kind = if package.sdist.is_some() {
        "an sdist"
    } else if package.vcs.is_some() {
        "a VCS checkout"
    } else if package.directory.is_some() {
        "a source directory"
    } else if package.archive.is_some() {
        "a source archive"
    } else {
        "no source at all"
    };
    Err(format!(
        "the lock gives only {kind} for it; winst installs built wheels: build {} first \
         (for example with `pip wheel --no-deps`) and lock the wheel",
        package.name
    ))
}

/// One wheel entry: its parsed file name (which must be this package's, at its version) and
/// where its file is, if anywhere.
fn candidate(
    lock: &Path,
    base: &Path,
    package: &Package,
    entry: &FileEntry,
    house: &mut Wheelhouse,
) -> Result<Candidate, LockError> {
    let err = |rule: String| LockError::package(lock, &package.name, rule);
    let names = entry.file_names();
    let file_name = names
        .first()
        .cloned()
        .ok_or_else(|| err("a wheel entry has no name, path or url".to_string()))?;
    let parsed = WheelFilename::parse(&file_name).map_err(|e| err(format!("{file_name}: {e}")))?;
    if normalize(&parsed.name) != normalize(&package.name) {
        return Err(err(format!("{file_name} is a wheel of another project")));
    }
    if let Some(v) = &package.version
        && !same_version(v, &parsed.version)
    {
        return Err(err(format!("{file_name} is not version {v}")));
    }
    let mut path = entry.local_file(base);
    for n in &names {
        if path.is_none() {
            path = house.find(n).map_err(err)?;
        }
    }
    let path = path.map(absolute);
    Ok(Candidate {
        file_name,
        parsed,
        path,
    })
}

fn absolute(p: PathBuf) -> PathBuf {
    std::path::absolute(&p).unwrap_or(p)
}

/// Whether two version strings are one PEP 440 version (`1.0` and `1.0.0`).
pub(crate) fn same_version(a: &str, b: &str) -> bool {
    match (Version::from_str(a), Version::from_str(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}
