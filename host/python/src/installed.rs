//! Projects already installed in the target: found by their `.dist-info` directories.
//!
//! [`list`] finds them (name and version from the directory's name, one listing of each site
//! directory, nothing read inside them); [`scan`] also reads each dist-info's `INSTALLER` and
//! `RECORD` (resolved to absolute paths), so the plan can replace an older version and refuse to
//! overwrite another project's files. [`record_rows`] reads the paths of an installed `RECORD`
//! without allocating for the common unquoted row. Not here: removing anything (the plan lists
//! removals, `winst_install::write` carries them out).

use std::borrow::Cow;
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

/// One `.dist-info` directory in a site directory, as its name spells it (PEP 427/491:
/// `{name}-{version}.dist-info`); nothing inside it read yet.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct DistInfoDir {
    /// Absolute path of the site directory (purelib or platlib) that holds it.
    pub site: PathBuf,
    /// Absolute path of the `.dist-info` directory.
    pub dist_info: PathBuf,
    /// The name as spelled in the directory's name.
    pub name: String,
    /// The version as spelled in the directory's name.
    pub version: String,
}

impl DistInfoDir {
    /// The PEP 503-normalized name.
    pub fn normalized(&self) -> String {
        name::normalize(&self.name)
    }
}

/// The `.dist-info` directories of the given site directories (duplicates ignored; a site
/// directory that cannot be listed holds none), sorted by site directory and path.
pub fn list(site_dirs: &[&Path]) -> Vec<DistInfoDir> {
    let dirs: BTreeSet<&Path> = site_dirs.iter().copied().collect();
    let mut out = Vec::new();
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
                out.push(DistInfoDir {
                    site: dir.to_path_buf(),
                    dist_info: entry.path(),
                    name: name.to_string(),
                    version: version.to_string(),
                });
            }
        }
    }
    out.sort();
    out
}

/// Scans the given site directories (duplicates ignored) for installed distributions.
pub fn scan(site_dirs: &[&Path]) -> Vec<InstalledDist> {
    read(list(site_dirs))
}

/// Reads the `INSTALLER` and `RECORD` of each listed dist-info directory (in parallel).
pub fn read(dirs: Vec<DistInfoDir>) -> Vec<InstalledDist> {
    dirs.into_par_iter()
        .map(|d| {
            let installer = std::fs::read_to_string(d.dist_info.join("INSTALLER"))
                .ok()
                .map(|s| s.trim().to_string());
            let files = std::fs::read_to_string(d.dist_info.join("RECORD"))
                .ok()
                .map(|text| record_paths(&d.site, &text));
            InstalledDist {
                normalized: name::normalize(&d.name),
                name: d.name,
                version: d.version,
                dist_info: d.dist_info,
                installer,
                files,
            }
        })
        .collect()
}

/// The paths an installed RECORD's rows give, as written (relative to the site directory, or
/// absolute), in order. Rows that do not parse or have an empty path are skipped: an installed
/// RECORD written by another tool is read leniently. Rows are split as a wheel's RECORD is
/// ([`winst_wheel::record::rows`]: a quoted path may hold a line break, and the row goes on
/// after it); a row without quotes is read in place, a quoted one goes through
/// [`winst_wheel::record::split_csv`].
pub fn record_rows(text: &str) -> impl Iterator<Item = Cow<'_, str>> {
    winst_wheel::record::rows(text).filter_map(|(_, line)| {
        let path = if line.contains('"') {
            let fields = winst_wheel::record::split_csv(line).ok()?;
            Cow::Owned(fields.into_iter().next()?)
        } else {
            Cow::Borrowed(line.split(',').next()?)
        };
        (!path.is_empty()).then_some(path)
    })
}

/// The absolute paths an installed RECORD lists (see [`record_rows`]), lexically normalized.
fn record_paths(site: &Path, text: &str) -> Vec<PathBuf> {
    record_rows(text)
        .filter_map(|path| paths::normalize(&site.join(&*path)))
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

    #[test]
    fn record_rows_read_unquoted_rows_in_place_and_skip_bad_ones() {
        let text = "pkg/a.py,sha256=x,1\r\n\"q,\"\"x.py\",,\n,,\nmid\"quote.py,,\n../../../bin/s,,\n\"open,,\nlast.py,,\n";
        let rows: Vec<Cow<str>> = record_rows(text).collect();
        // A quote inside an unquoted path is part of it, as Python's csv module reads it; an
        // empty path is skipped, and so is an unterminated quote with the lines after it, which
        // it holds.
        assert_eq!(
            rows,
            ["pkg/a.py", "q,\"x.py", "mid\"quote.py", "../../../bin/s"]
        );
        assert!(matches!(rows[0], Cow::Borrowed(_)));
    }

    /// A line break inside a quoted path is part of that path, as uv's reader and Python's csv
    /// module read it: the rest of the row is not read as a row of its own (which, split line by
    /// line, named `important.py` for an uninstall to remove).
    #[test]
    fn a_quoted_path_holding_a_line_break_is_one_path() {
        let text =
            "pkg/a.py,,\n\"pkg/odd\nimportant.py\",,\n\"x\r\n../important.py\",,\npkg/b.py,,\n";
        let rows: Vec<Cow<str>> = record_rows(text).collect();
        assert_eq!(
            rows,
            [
                "pkg/a.py",
                "pkg/odd\nimportant.py",
                "x\r\n../important.py",
                "pkg/b.py"
            ]
        );
    }
}
