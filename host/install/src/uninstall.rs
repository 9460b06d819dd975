//! `winst uninstall`: remove installed projects, driven by their RECORD, as one transaction.
//!
//! Removes every file RECORD lists (generated launchers included), their bytecode, the
//! `.dist-info` directory and the directories left empty. Never removes a path outside the
//! environment's scheme directories, whatever RECORD says, and keeps a file that another
//! installed project's RECORD also lists. Not here: the transaction itself ([`crate::txn`]).

use std::collections::{BTreeSet, HashSet};
use std::path::PathBuf;

use anyhow::{Result, bail};
use serde::Serialize;

use crate::roots::Roots;
use crate::txn::Transaction;
use winst_python::installed::{self, InstalledDist};
use winst_python::target::Target;
use winst_wheel::name;

/// One project to remove.
#[derive(Debug, Serialize)]
pub struct Removed {
    pub name: String,
    pub version: String,
    /// Files RECORD lists that are removed.
    pub files: usize,
    /// Files kept because another installed project lists them too.
    pub shared: Vec<PathBuf>,
}

/// What `winst uninstall` did (or, with `dry_run`, would do).
#[derive(Debug, Serialize)]
pub struct UninstallReport {
    pub projects: Vec<Removed>,
    pub warnings: Vec<String>,
    pub dry_run: bool,
}

/// Removes the named projects from the target.
pub fn uninstall(target: &Target, names: &[String], dry_run: bool) -> Result<UninstallReport> {
    let scheme = &target.scheme;
    let dists = installed::scan(&[&scheme.purelib, &scheme.platlib]);
    let wanted: BTreeSet<String> = names.iter().map(|n| name::normalize(n)).collect();
    let mut chosen: Vec<&InstalledDist> = Vec::new();
    for n in &wanted {
        let found: Vec<&InstalledDist> = dists.iter().filter(|d| d.normalized == *n).collect();
        if found.is_empty() {
            bail!(
                "{n} is not installed in {}; nothing was removed (`winst list` shows what is \
                 installed there; pass --python to choose another environment)",
                target.describe()
            );
        }
        for d in found {
            if d.files.is_none() {
                bail!(
                    "{} has no RECORD in {}, so winst cannot tell which files are its own; \
                     reinstall it with winst or pip first, or remove it by hand",
                    d.spec(),
                    d.dist_info.display()
                );
            }
            chosen.push(d);
        }
    }

    // Files other installed projects list are kept.
    let removing: HashSet<&PathBuf> = chosen.iter().map(|d| &d.dist_info).collect();
    let others: HashSet<&PathBuf> = dists
        .iter()
        .filter(|d| !removing.contains(&d.dist_info))
        .flat_map(|d| d.files.iter().flatten())
        .collect();

    let mut roots = Roots::default();
    for dir in [
        &scheme.purelib,
        &scheme.platlib,
        &scheme.scripts,
        &scheme.headers,
        &scheme.data,
    ] {
        roots.add(dir);
    }
    let mut removals = Vec::new();
    let mut seen = HashSet::new();
    let mut dirs = Vec::new();
    let mut projects = Vec::new();
    let mut warnings = Vec::new();
    for d in &chosen {
        let mut files = 0;
        let mut shared = Vec::new();
        for path in d.files.iter().flatten() {
            if path.starts_with(&d.dist_info) {
                continue;
            }
            if others.contains(path) {
                shared.push(path.clone());
                continue;
            }
            match roots.locate(path) {
                Some((root, rel)) => {
                    files += 1;
                    if seen.insert((root, rel.clone())) {
                        removals.push((root, rel));
                    }
                }
                None => warnings.push(format!(
                    "RECORD of {} lists {}, which is outside the environment; not removed",
                    d.spec(),
                    path.display()
                )),
            }
        }
        match roots.locate(&d.dist_info) {
            Some(found) => dirs.push(found),
            None => bail!(
                "{} is outside the environment's directories",
                d.dist_info.display()
            ),
        }
        projects.push(Removed {
            name: metadata_name(d).unwrap_or_else(|| d.name.clone()),
            version: d.version.clone(),
            files,
            shared,
        });
    }
    if !dry_run {
        let mut txn = Transaction::begin(target.state_dir(), roots, "winst uninstall")?;
        for id in 0..txn.roots.paths().len() {
            txn.open_root(id, false)?;
        }
        crate::signals::check()?;
        warnings.extend(txn.commit(&removals, &dirs)?.warnings);
    }
    Ok(UninstallReport {
        projects,
        warnings,
        dry_run,
    })
}

/// The project's name as its METADATA spells it (`six-ish`, where the directory says
/// `six_ish`), for the summary; `None` if METADATA cannot be read or has no usable `Name`.
fn metadata_name(d: &InstalledDist) -> Option<String> {
    let text = std::fs::read_to_string(d.dist_info.join("METADATA")).ok()?;
    let name = text
        .lines()
        .take_while(|l| !l.is_empty())
        .find_map(|l| l.strip_prefix("Name:"))?
        .trim();
    (name::normalize(name) == d.normalized && name::is_valid_project_name(name))
        .then(|| name.to_string())
}
