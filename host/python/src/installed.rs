//! Projects already installed in the target: found by their `.dist-info` directories.
//!
//! Reads each dist-info's name, version, `INSTALLER` and `RECORD` (resolved to absolute paths), so
//! the plan can replace an older version and refuse to overwrite another project's files. Not
//! here: removing anything (the plan lists removals, `winst_install::write` carries them out).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::paths;
use winst_wheel::name;

/// One installed distribution.
#[derive(Debug, Clone)]
pub struct InstalledDist {
    /// The name as spelled in the dist-info directory.
    pub name: String,
    pub normalized: String,
    pub version: String,
    /// Absolute path of the `.dist-info` directory.
    pub dist_info: PathBuf,
    pub installer: Option<String>,
    /// Absolute paths of the files RECORD lists; `None` when there is no RECORD.
    pub files: Option<Vec<PathBuf>>,
}

impl InstalledDist {
    pub fn spec(&self) -> String {
        format!("{}=={}", self.name, self.version)
    }
}

/// Scans the given site directories (duplicates ignored) for installed distributions.
pub fn scan(site_dirs: &[&Path]) -> Vec<InstalledDist> {
    let dirs: BTreeSet<&Path> = site_dirs.iter().copied().collect();
    let mut candidates = Vec::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let file_name = entry.file_name();
            let Some(file_name) = file_name.to_str() else {
                continue;
            };
            if let Some(stem) = file_name.strip_suffix(".dist-info")
                && let Some((name, version)) = stem.split_once('-')
                && entry.file_type().is_ok_and(|t| t.is_dir())
            {
                candidates.push((
                    dir.to_path_buf(),
                    entry.path(),
                    name.to_string(),
                    version.to_string(),
                ));
            }
        }
    }
    candidates.sort();
    candidates
        .into_par_iter()
        .map(|(site, dist_info, name, version)| {
            let installer = std::fs::read_to_string(dist_info.join("INSTALLER"))
                .ok()
                .map(|s| s.trim().to_string());
            let files = std::fs::read_to_string(dist_info.join("RECORD"))
                .ok()
                .map(|text| record_paths(&site, &text));
            InstalledDist {
                normalized: name::normalize(&name),
                name,
                version,
                dist_info,
                installer,
                files,
            }
        })
        .collect()
}

/// The absolute paths an installed RECORD lists (rows that do not parse are skipped: an
/// installed RECORD written by another tool is read leniently).
fn record_paths(site: &Path, text: &str) -> Vec<PathBuf> {
    text.lines()
        .filter_map(|line| {
            let fields = winst_wheel::record::split_csv(line).ok()?;
            let path = fields.into_iter().next().filter(|p| !p.is_empty())?;
            paths::normalize(&site.join(path))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_paths_read_back_as_written() {
        let row = winst_wheel::record::format_row("a\",b.py", Some("sha256=x"), Some(1));
        let paths = record_paths(Path::new("/site"), &format!("{row}\nplain.py,,\n"));
        assert_eq!(
            paths,
            [
                PathBuf::from("/site/a\",b.py"),
                PathBuf::from("/site/plain.py")
            ]
        );
    }
}
