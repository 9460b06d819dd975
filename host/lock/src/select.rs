//! Choosing one wheel among a package's wheels by the target's tag priority, and finding wheel
//! files in the `--find-links` directories (the wheelhouse).
//!
//! The best wheel is the one whose best tag comes first in the target's priority order
//! (`packaging.tags` order, as pip and uv rank them), then the highest build number. Wheels the
//! target cannot run are rejected with their tags named. Not here: the lock formats.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use winst_python::tags::SupportedTags;
use winst_wheel::WheelFilename;
use winst_wheel::name::normalize;

use crate::{LockTarget, Rejected};

/// The `--find-links` directories, each listed once when first needed.
pub struct Wheelhouse {
    dirs: Vec<PathBuf>,
    /// Per directory (in `dirs` order): its `.whl` files, or why it could not be listed.
    listed: HashMap<PathBuf, Result<Vec<String>, String>>,
}

impl Wheelhouse {
    /// A wheelhouse of these directories, searched in order.
    pub fn new(dirs: &[PathBuf]) -> Wheelhouse {
        Wheelhouse {
            dirs: dirs.to_vec(),
            listed: HashMap::new(),
        }
    }

    /// The directories searched, in order.
    pub fn dirs(&self) -> &[PathBuf] {
        &self.dirs
    }

    /// Adds a directory (a `--find-links` line of a requirements file), searched after the others.
    pub fn add_dir(&mut self, dir: PathBuf) {
        if !self.dirs.contains(&dir) {
            self.dirs.push(dir);
        }
    }

    fn list(&mut self, dir: &Path) -> Result<&[String], String> {
        let listed = self.listed.entry(dir.to_path_buf()).or_insert_with(|| {
            let entries = std::fs::read_dir(dir).map_err(|e| {
                format!(
                    "cannot list the --find-links directory {}: {e}",
                    dir.display()
                )
            })?;
            let mut names: Vec<String> = entries
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                .filter(|n| n.ends_with(".whl"))
                .collect();
            names.sort();
            Ok(names)
        });
        listed.as_deref().map_err(Clone::clone)
    }

    /// The first directory holding a file of this name. Errors: a directory that cannot be listed.
    pub fn find(&mut self, file_name: &str) -> Result<Option<PathBuf>, String> {
        for dir in self.dirs.clone() {
            if self.list(&dir)?.iter().any(|n| n == file_name) {
                return Ok(Some(dir.join(file_name)));
            }
        }
        Ok(None)
    }

    /// Every wheel of the project (normalized name) in the directories: (path, parsed name).
    pub fn wheels_of(&mut self, normalized: &str) -> Result<Vec<(PathBuf, WheelFilename)>, String> {
        let mut out = Vec::new();
        for dir in self.dirs.clone() {
            for n in self.list(&dir)? {
                if let Ok(parsed) = WheelFilename::parse(n)
                    && normalize(&parsed.name) == normalized
                {
                    out.push((dir.join(n), parsed));
                }
            }
        }
        Ok(out)
    }
}

/// How good a wheel is for the target: its best tag's rank (lower is better), then the build
/// number (higher is better, so negated). `None`: the target cannot run it.
pub(crate) fn rank(wheel: &WheelFilename, tags: &SupportedTags) -> Option<(usize, i64)> {
    let best = wheel
        .tags()
        .filter_map(|(p, a, pl)| tags.priority(p, a, pl))
        .min()?;
    let build = wheel
        .build
        .as_deref()
        .map(|b| {
            b.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
        })
        .and_then(|d| d.parse::<i64>().ok())
        .unwrap_or(0);
    Some((best, -build))
}

/// Why a supported wheel was not chosen: its file is nowhere winst looked.
pub(crate) const NOT_FOUND: &str =
    "not found at its path or URL, nor in the --find-links directories";

/// One wheel a package could be installed from.
pub(crate) struct Candidate {
    pub file_name: String,
    pub parsed: WheelFilename,
    /// Where the file is, when it was found.
    pub path: Option<PathBuf>,
}

/// Chooses the best candidate whose file was found; every other one gets a reason. `None`
/// when no candidate is both supported and found.
pub(crate) fn choose(
    candidates: &[Candidate],
    tags: &SupportedTags,
) -> (Option<usize>, Vec<Rejected>) {
    let mut ranked: Vec<(usize, (usize, i64))> = Vec::new();
    let mut rejected = Vec::new();
    for (i, c) in candidates.iter().enumerate() {
        match rank(&c.parsed, tags) {
            Some(r) => ranked.push((i, r)),
            None => rejected.push(Rejected {
                wheel: c.file_name.clone(),
                reason: format!(
                    "wrong tags: the target cannot run {}",
                    c.parsed.tag_string()
                ),
            }),
        }
    }
    ranked.sort_by_key(|(i, r)| (*r, *i));
    let chosen = ranked
        .iter()
        .find(|(i, _)| candidates[*i].path.is_some())
        .map(|(i, _)| *i);
    for (i, _) in &ranked {
        if Some(*i) == chosen {
            continue;
        }
        let c = &candidates[*i];
        let reason = match (c.path.is_some(), chosen) {
            (false, _) => NOT_FOUND.to_string(),
            (true, Some(best)) => format!(
                "the target prefers {} ({})",
                candidates[best].parsed.tag_string(),
                candidates[best].file_name
            ),
            (true, None) => "not chosen".to_string(),
        };
        rejected.push(Rejected {
            wheel: c.file_name.clone(),
            reason,
        });
    }
    (chosen, rejected)
}

/// The error for a package none of whose wheels can be installed: the supported ones that were
/// not found (and where winst looked), or else every wheel with why the target cannot run it.
pub(crate) fn no_wheel(rejected: &[Rejected], target: &LockTarget, dirs: &[PathBuf]) -> String {
    let missing: Vec<&str> = (rejected.iter())
        .filter(|r| r.reason == NOT_FOUND)
        .map(|r| r.wheel.as_str())
        .collect();
    if !missing.is_empty() {
        return format!(
            "its wheel for {} is not in the wheelhouse: {} (looked at its path or URL and in the \
             --find-links directories: {}); download it there first",
            target.describe(),
            missing.join(", "),
            dir_list(dirs)
        );
    }
    let listed: Vec<String> = (rejected.iter())
        .map(|r| format!("{} ({})", r.wheel, r.reason))
        .collect();
    format!(
        "no wheel for {} among: {}",
        target.describe(),
        listed.join(", ")
    )
}

/// The `--find-links` directories for a message.
pub(crate) fn dir_list(dirs: &[PathBuf]) -> String {
    if dirs.is_empty() {
        return "none given".to_string();
    }
    let shown: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
    shown.join(", ")
}
