//! No-op reinstalls: which of the given wheels are installed already, from the very same wheel
//! file, and can be left alone.
//!
//! A wheel is *audited* (skipped) when the environment holds its project at the version its file
//! name says, that project's `direct_url.json` (PEP 610) records this wheel file's sha256 (winst
//! and pip both write it for a local wheel), and every file its `RECORD` lists still exists. With
//! `--compile`, its `RECORD` must also list `.pyc` files (it was installed with bytecode).
//! Anything else is installed as usual: another build of the same version (` ~ ` in the
//! summary), a project with a file deleted, one without `RECORD` or `direct_url.json`, an
//! editable install. What this does not look at: the contents of installed files (a file edited
//! in place stays edited; `--reinstall` installs again whatever the state).
//!
//! The wheel's sha256 comes from the wheel cache's stat index when the file has not changed
//! since it was last hashed (untrusted installs always hash), so a repeated install reads no
//! wheel. Not here: installing what is not skipped.

use std::collections::{HashMap, HashSet};
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use winst_python::installed::InstalledDist;
use winst_wheel::WheelFilename;
use winst_wheel::name::{normalize, same_version};

use crate::cache::WheelCache;

/// A wheel left alone: its project is installed from this very file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Audited {
    /// The project's name as its installed METADATA spells it.
    pub name: String,
    pub version: String,
    pub wheel: PathBuf,
}

/// How to audit.
#[derive(Clone, Copy)]
pub struct AuditOptions<'a> {
    /// The wheel cache, whose stat index saves hashing unchanged wheel files.
    pub cache: Option<&'a WheelCache>,
    /// Hash every wheel file (the stat index is not trusted).
    pub untrusted: bool,
    /// The install compiles bytecode: only projects installed with bytecode are skipped.
    pub compile: bool,
    /// A wheel file's sha256 when the caller has it already (a lock's verified wheel).
    pub known_sha256: &'a (dyn Fn(&Path) -> Option<[u8; 32]> + Sync),
}

/// Per wheel (in order), `Some` when it is installed already from the same file (see the module
/// doc). Nothing is skipped when two wheels name the same project: the install reports that.
pub fn audit(
    wheels: &[PathBuf],
    installed: &[InstalledDist],
    options: AuditOptions,
) -> Vec<Option<Audited>> {
    let names: Vec<Option<WheelFilename>> = wheels
        .iter()
        .map(|w| {
            let file_name = w.file_name()?.to_str()?;
            WheelFilename::parse(file_name).ok()
        })
        .collect();
    let mut seen = std::collections::HashSet::new();
    let distinct = names
        .iter()
        .flatten()
        .all(|n| seen.insert(normalize(&n.name)));
    if !distinct {
        return vec![None; wheels.len()];
    }
    wheels
        .par_iter()
        .zip(&names)
        .map(|(path, name)| audit_one(path, name.as_ref()?, installed, options))
        .collect()
}

fn audit_one(
    path: &Path,
    name: &WheelFilename,
    installed: &[InstalledDist],
    options: AuditOptions,
) -> Option<Audited> {
    let normalized = normalize(&name.name);
    let dist = installed
        .iter()
        .find(|d| d.normalized == normalized && same_version(&d.version, &name.version))?;
    let files = dist.files.as_ref()?;
    if options.compile
        && !files
            .iter()
            .any(|f| f.extension().is_some_and(|e| e == "pyc"))
    {
        return None;
    }
    let recorded = recorded_sha256(&dist.dist_info)?;
    let sha256 = match ((options.known_sha256)(path), options.cache) {
        (Some(known), _) => known,
        (None, Some(cache)) => cache.wheel_key(path, !options.untrusted).ok()?.0,
        (None, None) => hash_file(path)?,
    };
    if recorded != sha256 || !all_exist(files) {
        return None;
    }
    Some(Audited {
        name: dist.name.clone(),
        version: dist.version.clone(),
        wheel: path.to_path_buf(),
    })
}

/// Whether every one of `files` (absolute paths) exists, as a file, a directory or a link. A
/// directory holding several of them is listed once (`getdents`) instead of each being looked up
/// by its whole path (a walk of every component per file): the audit of a thousand installed
/// projects checks a hundred thousand files.
fn all_exist(files: &[PathBuf]) -> bool {
    let mut by_dir: HashMap<&Path, Vec<&OsStr>> = HashMap::new();
    for f in files {
        let (Some(dir), Some(name)) = (f.parent(), f.file_name()) else {
            return f.symlink_metadata().is_ok();
        };
        by_dir.entry(dir).or_default().push(name);
    }
    by_dir
        .par_iter()
        .all(|(dir, names)| match names.as_slice() {
            [one] => dir.join(one).symlink_metadata().is_ok(),
            _ => std::fs::read_dir(dir).is_ok_and(|entries| {
                let present: HashSet<OsString> = entries
                    .filter_map(|e| e.ok().map(|e| e.file_name()))
                    .collect();
                names.iter().all(|n| present.contains(*n))
            }),
        })
}

/// The sha256 that a project's `direct_url.json` records for the archive it came from.
fn recorded_sha256(dist_info: &Path) -> Option<[u8; 32]> {
    let text = std::fs::read(dist_info.join(winst_wheel::dist_info::DIRECT_URL)).ok()?;
    let json: serde_json::Value = serde_json::from_slice(&text).ok()?;
    let archive = json.get("archive_info")?;
    let hex = archive
        .get("hashes")
        .and_then(|h| h.get("sha256"))
        .and_then(|h| h.as_str())
        .or_else(|| archive.get("hash")?.as_str()?.strip_prefix("sha256="))?;
    let mut out = [0u8; 32];
    hex::decode_to_slice(hex, &mut out).ok()?;
    Some(out)
}

fn hash_file(path: &Path) -> Option<[u8; 32]> {
    let mut file = std::fs::File::open(path).ok()?;
    crate::cache::sha256_of(&mut file, &mut vec![0u8; 256 << 10]).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_exist_sees_a_missing_file_in_a_listed_directory() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir(d.join("pkg")).unwrap();
        for f in ["pkg/a.py", "pkg/b.py", "top.py"] {
            std::fs::write(d.join(f), "").unwrap();
        }
        let paths = |names: &[&str]| -> Vec<PathBuf> { names.iter().map(|n| d.join(n)).collect() };
        assert!(all_exist(&paths(&["pkg/a.py", "pkg/b.py", "top.py"])));
        assert!(
            !all_exist(&paths(&["pkg/a.py", "pkg/c.py"])),
            "listed directory"
        );
        assert!(
            !all_exist(&paths(&["pkg/a.py", "pkg/b.py", "gone.py"])),
            "one name"
        );
        assert!(
            !all_exist(&paths(&["nodir/a.py", "nodir/b.py"])),
            "no directory"
        );
        // `..` in RECORD paths (scripts outside the lib directory) resolve as the kernel does.
        assert!(all_exist(&paths(&["pkg/../top.py", "pkg/../pkg/a.py"])));
    }

    #[test]
    fn direct_url_hashes_are_read_in_both_spellings() {
        let dir = tempfile::tempdir().unwrap();
        let hex = "ab".repeat(32);
        let write =
            |text: String| std::fs::write(dir.path().join("direct_url.json"), text).unwrap();
        write(format!(
            r#"{{"url":"file:///w.whl","archive_info":{{"hashes":{{"sha256":"{hex}"}}}}}}"#
        ));
        assert_eq!(recorded_sha256(dir.path()), Some([0xab; 32]));
        write(format!(
            r#"{{"url":"file:///w.whl","archive_info":{{"hash":"sha256={hex}"}}}}"#
        ));
        assert_eq!(recorded_sha256(dir.path()), Some([0xab; 32]));
        // An editable install, another algorithm, or damage: not a match.
        write(r#"{"url":"file:///src","dir_info":{"editable":true}}"#.to_string());
        assert_eq!(recorded_sha256(dir.path()), None);
        write(r#"{"url":"file:///w.whl","archive_info":{"hash":"md5=00"}}"#.to_string());
        assert_eq!(recorded_sha256(dir.path()), None);
        write("{".to_string());
        assert_eq!(recorded_sha256(dir.path()), None);
    }
}
