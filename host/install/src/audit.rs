//! No-op reinstalls: which of the given wheels are installed already, from the very same wheel
//! file, and can be left alone.
//!
//! A wheel is *audited* (skipped) when the environment holds its project at the version its file
//! name says, that project's `direct_url.json` (PEP 610) records this wheel file's sha256 (winst
//! and pip both write it for a local wheel), and every path its `RECORD` lists is still a regular
//! file. With `--compile`, its `RECORD` must also list `.pyc` files (it was installed with
//! bytecode). Anything else is installed as usual: another build of the same version (` ~ ` in
//! the summary), a project with a file deleted or replaced by a directory or a symbolic link,
//! one without `RECORD` or `direct_url.json`, an editable install. What this does not look at:
//! the contents of installed files (a file edited in place stays edited; `--reinstall` installs
//! again whatever the state).
//!
//! A symbolic link at a path `RECORD` lists counts as damage even when it leads to the right
//! file: installing a wheel (winst, pip, uv) writes regular files only, so a link there was put
//! by someone else, and installing again (which replaces it by the file) is cheap and safe.
//!
//! The wheel's sha256 comes from the wheel cache's stat index when the file has not changed
//! since it was last hashed (untrusted installs always hash), so a repeated install reads no
//! wheel. Not here: installing what is not skipped.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::ffi::OsStr;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use rustix::fs::{AtFlags, FileType, Mode, OFlags};
use winst_python::installed::{self, DistInfoDir};
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

/// What the audit of every wheel shares: the installed projects by normalized name, and a
/// handle on each site directory (the installed files are looked up relative to it).
struct Installed<'a> {
    by_name: HashMap<String, Vec<&'a DistInfoDir>>,
    sites: HashMap<&'a Path, OwnedFd>,
}

/// Per wheel (in order), `Some` when it is installed already from the same file (see the module
/// doc), given the environment's `.dist-info` directories ([`installed::list`]). Nothing is
/// skipped when two wheels name the same project: the install reports that. The wheels are
/// audited in parallel, each project's directories too when it has many.
pub fn audit(
    wheels: &[PathBuf],
    installed: &[DistInfoDir],
    options: AuditOptions,
) -> Vec<Option<Audited>> {
    let names: Vec<Option<WheelFilename>> = wheels
        .iter()
        .map(|w| {
            let file_name = w.file_name()?.to_str()?;
            WheelFilename::parse(file_name).ok()
        })
        .collect();
    let mut seen = HashSet::new();
    let distinct = names
        .iter()
        .flatten()
        .all(|n| seen.insert(normalize(&n.name)));
    if !distinct {
        return vec![None; wheels.len()];
    }
    let mut by_name: HashMap<String, Vec<&DistInfoDir>> = HashMap::new();
    for d in installed {
        by_name.entry(d.normalized()).or_default().push(d);
    }
    let sites = (installed.iter())
        .map(|d| d.site.as_path())
        .collect::<HashSet<&Path>>()
        .into_iter()
        .filter_map(|site| Some((site, open_dir(site).ok()?)))
        .collect();
    let env = Installed { by_name, sites };
    wheels
        .par_iter()
        .zip(&names)
        .map(|(path, name)| audit_one(path, name.as_ref()?, &env, options))
        .collect()
}

fn open_dir(path: impl rustix::path::Arg) -> rustix::io::Result<OwnedFd> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    rustix::fs::open(path, flags, Mode::empty())
}

/// Cheapest test first: `direct_url.json` (one small file) against the wheel's sha256 (the stat
/// index), then `RECORD` and the files it lists.
fn audit_one(
    path: &Path,
    name: &WheelFilename,
    env: &Installed,
    options: AuditOptions,
) -> Option<Audited> {
    let dist = (env.by_name.get(&normalize(&name.name))?.iter())
        .find(|d| same_version(&d.version, &name.version))?;
    let recorded = recorded_sha256(&dist.dist_info)?;
    let sha256 = match ((options.known_sha256)(path), options.cache) {
        (Some(known), _) => known,
        (None, Some(cache)) => cache.wheel_key(path, !options.untrusted).ok()?.0,
        (None, None) => hash_file(path)?,
    };
    if recorded != sha256 {
        return None;
    }
    let record = std::fs::read_to_string(dist.dist_info.join("RECORD")).ok()?;
    let rows: Vec<Cow<str>> = installed::record_rows(&record).collect();
    if options.compile
        && !rows
            .iter()
            .any(|r| Path::new(&**r).extension().is_some_and(|e| e == "pyc"))
    {
        return None;
    }
    let site = env.sites.get(dist.site.as_path())?;
    if !all_files(site, &dist.site, &rows) {
        return None;
    }
    Some(Audited {
        name: dist.name.clone(),
        version: dist.version.clone(),
        wheel: path.to_path_buf(),
    })
}

/// A directory with at least this many of a project's files is listed; fewer are looked up
/// one by one.
const LIST_FROM: usize = 4;

/// A project with more directories than this checks them in parallel.
const PARALLEL_DIRS: usize = 16;

/// Whether every path of `rows` (RECORD paths: relative to the site directory `site`, whose
/// handle is `site_fd`, or absolute) is a regular file: not missing, not a directory, not a
/// symbolic link (not even to a file: see the module doc). Paths are resolved lexically (`..`
/// pops a component, as the installed-projects scan reads them); links among the directories
/// above a file are followed. A directory holding several of them is listed once (`getdents`,
/// no allocation per entry, each entry's type read from the listing, the listing stopped once
/// all are seen) instead of each being looked up by its path; the site directory itself, shared
/// by every project, and directories with few of them get a `statat` per file, relative to the
/// site directory's handle. The audit of a thousand installed projects checks a hundred
/// thousand files.
fn all_files(site_fd: &OwnedFd, site: &Path, rows: &[Cow<str>]) -> bool {
    let Some(mut files) = by_directory(site, rows) else {
        return false;
    };
    files.sort_unstable();
    files.dedup();
    let groups: Vec<&[(Cow<OsStr>, Cow<OsStr>)]> = files.chunk_by(|a, b| a.0 == b.0).collect();
    let check = |group: &&[(Cow<OsStr>, Cow<OsStr>)]| {
        let dir = Path::new(&group[0].0);
        if dir.as_os_str().is_empty() || group.len() < LIST_FROM {
            group
                .iter()
                .all(|(_, name)| is_regular_at(site_fd, &*dir.join(name)))
        } else {
            let names: Vec<&[u8]> = group.iter().map(|f| f.1.as_encoded_bytes()).collect();
            open_dir_at(site_fd, dir).is_ok_and(|fd| all_listed(fd.as_fd(), &names))
        }
    };
    if groups.len() > PARALLEL_DIRS {
        groups.par_iter().all(check)
    } else {
        groups.iter().all(check)
    }
}

/// Each row as (directory, file name): a plain relative row (no `.`, `..` or empty component)
/// borrowed as it is, relative to `site`; any other lexically normalized against `site` into an
/// absolute path (a row that climbs above `/` is left out, as the installed-projects scan
/// leaves it out). `None` when a row names `/` itself, which is no file.
fn by_directory<'a>(
    site: &Path,
    rows: &'a [Cow<'a, str>],
) -> Option<Vec<(Cow<'a, OsStr>, Cow<'a, OsStr>)>> {
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let plain = !row.starts_with('/')
            && row
                .split('/')
                .all(|c| !c.is_empty() && c != "." && c != "..");
        if plain {
            let (dir, name) = row.rsplit_once('/').unwrap_or(("", row));
            out.push((
                Cow::Borrowed(OsStr::new(dir)),
                Cow::Borrowed(OsStr::new(name)),
            ));
            continue;
        }
        let Some(abs) = winst_python::paths::normalize(&site.join(&**row)) else {
            continue;
        };
        match (abs.parent(), abs.file_name()) {
            (Some(dir), Some(name)) => out.push((
                Cow::Owned(dir.as_os_str().to_os_string()),
                Cow::Owned(name.to_os_string()),
            )),
            _ => return None,
        }
    }
    Some(out)
}

/// Opens `dir` (relative to `base`, or absolute) as a directory to list.
fn open_dir_at(base: &OwnedFd, dir: &Path) -> rustix::io::Result<OwnedFd> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    rustix::fs::openat(base, dir, flags, Mode::empty())
}

/// Whether the directory `dir` holds every one of `names` (sorted, distinct) as a regular file,
/// listing it until all are seen or one is something else. The type comes from the listing;
/// only an entry the filesystem gives no type for (`DT_UNKNOWN`) costs a `statat`.
fn all_listed(dir: impl AsFd, names: &[&[u8]]) -> bool {
    let dir = dir.as_fd();
    let mut seen = 0;
    let mut other = false;
    let listed = winst_platform::for_each_entry(dir, |entry, kind| {
        if names.binary_search(&entry).is_ok() {
            if is_regular(kind, || is_regular_at(dir, entry)) {
                seen += 1;
            } else {
                other = true;
            }
        }
        !other && seen < names.len()
    });
    listed.is_ok() && !other && seen == names.len()
}

/// Whether a listed entry of type `kind` is a regular file; `stat` answers for an entry the
/// listing gives no type for.
fn is_regular(kind: FileType, stat: impl FnOnce() -> bool) -> bool {
    match kind {
        FileType::RegularFile => true,
        FileType::Unknown => stat(),
        _ => false,
    }
}

/// Whether `path` (relative to `dir`, or absolute) is a regular file itself (`statat` with
/// `AT_SYMLINK_NOFOLLOW`: a link to a file is not one).
fn is_regular_at(dir: impl AsFd, path: impl rustix::path::Arg) -> bool {
    rustix::fs::statat(dir, path, AtFlags::SYMLINK_NOFOLLOW)
        .is_ok_and(|st| FileType::from_raw_mode(st.st_mode) == FileType::RegularFile)
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

    /// `all_files` of RECORD-style rows relative to `site`.
    fn exist(site: &Path, rows: &[&str]) -> bool {
        let fd = open_dir(site).unwrap();
        let rows: Vec<Cow<str>> = rows.iter().map(|r| Cow::Borrowed(*r)).collect();
        all_files(&fd, site, &rows)
    }

    #[test]
    fn all_files_sees_a_missing_file_in_a_listed_directory() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("pkg/sub")).unwrap();
        let listed = ["pkg/a.py", "pkg/b.py", "pkg/c.py", "pkg/d.py", "pkg/e.py"];
        for f in listed.iter().chain(&["top.py", "other.py", "pkg/sub/x.py"]) {
            std::fs::write(d.join(f), "").unwrap();
        }
        assert!(exist(d, &listed));
        assert!(exist(
            d,
            &["top.py", "other.py", "pkg/sub/x.py", "pkg/a.py"]
        ));
        // The same row twice is one file.
        assert!(exist(
            d,
            &["pkg/a.py", "pkg/a.py", "pkg/b.py", "pkg/c.py", "pkg/d.py"]
        ));
        let missing_listed = ["pkg/a.py", "pkg/b.py", "pkg/c.py", "pkg/d.py", "pkg/zz.py"];
        assert!(!exist(d, &missing_listed), "listed directory");
        assert!(
            !exist(d, &["pkg/a.py", "pkg/zz.py"]),
            "looked up one by one"
        );
        assert!(!exist(d, &["top.py", "gone.py"]), "site directory");
        assert!(!exist(
            d,
            &["nodir/a.py", "nodir/b.py", "nodir/c.py", "nodir/d.py"]
        ));
        // `..` in RECORD paths (scripts outside the lib directory) resolve lexically, like
        // absolute paths.
        assert!(exist(
            d,
            &["pkg/../top.py", "pkg/../pkg/a.py", "./pkg//b.py"]
        ));
        let abs = d.join("pkg/sub/x.py");
        assert!(exist(d, &[abs.to_str().unwrap()]));
        assert!(!exist(d, &["pkg/../gone.py"]));
        assert!(!exist(d, &[d.join("pkg/gone.py").to_str().unwrap()]));
    }

    /// What stands where a file should: its name, and how to make it at a path.
    type Damage = (&'static str, fn(&Path));

    /// A directory or a symbolic link (dangling, or to the very file) where RECORD lists a file
    /// is not that file, whether its directory is listed or it is looked up alone.
    #[test]
    fn all_files_wants_regular_files_not_directories_or_links() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("pkg")).unwrap();
        let listed = ["pkg/a.py", "pkg/b.py", "pkg/c.py", "pkg/d.py", "pkg/e.py"];
        for f in listed.iter().chain(&["top.py", "real.txt"]) {
            std::fs::write(d.join(f), "").unwrap();
        }
        let lone = ["top.py", "pkg/a.py"];
        assert!(exist(d, &listed) && exist(d, &lone));
        let damage: [Damage; 3] = [
            ("a directory", |p| std::fs::create_dir(p).unwrap()),
            ("a dangling link", |p| {
                std::os::unix::fs::symlink("nowhere", p).unwrap()
            }),
            ("a link to a file", |p| {
                std::os::unix::fs::symlink("/dev/null", p).unwrap()
            }),
        ];
        for (what, make) in damage {
            for victim in ["pkg/c.py", "top.py"] {
                let path = d.join(victim);
                std::fs::remove_file(&path).unwrap();
                make(&path);
                assert_eq!(
                    exist(d, &listed),
                    victim == "top.py",
                    "{what} listed: {victim}"
                );
                assert!(!exist(d, &[victim, "real.txt"]), "{what} alone: {victim}");
                let _ = std::fs::remove_dir(&path);
                let _ = std::fs::remove_file(&path);
                std::fs::write(&path, "").unwrap();
                assert!(exist(d, &listed) && exist(d, &lone));
            }
        }
        // A row naming `/` itself is no file.
        assert!(!exist(d, &["/"]));
    }

    /// An entry the listing gives no type for (`DT_UNKNOWN`, on some filesystems) is looked
    /// at with `statat`; one with a type is not.
    #[test]
    fn an_entry_without_a_type_is_looked_at() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("file"), "").unwrap();
        std::fs::create_dir(d.join("dir")).unwrap();
        let fd = open_dir(d).unwrap();
        assert!(is_regular(FileType::Unknown, || is_regular_at(&fd, "file")));
        assert!(!is_regular(FileType::Unknown, || is_regular_at(&fd, "dir")));
        assert!(!is_regular(FileType::Unknown, || is_regular_at(
            &fd, "gone"
        )));
        assert!(is_regular(FileType::RegularFile, || unreachable!()));
        assert!(!is_regular(FileType::Directory, || unreachable!()));
        assert!(!is_regular(FileType::Symlink, || unreachable!()));
    }

    #[test]
    fn a_directory_is_listed_past_its_first_buffer() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir(d.join("big")).unwrap();
        // Far more entries than one 8 KiB `getdents` buffer holds.
        let names: Vec<String> = (0..2000).map(|i| format!("big/module_{i:05}.py")).collect();
        for n in &names {
            std::fs::write(d.join(n), "").unwrap();
        }
        let rows: Vec<&str> = names.iter().map(String::as_str).collect();
        assert!(exist(d, &rows));
        std::fs::remove_file(d.join(&names[1999])).unwrap();
        assert!(!exist(d, &rows));
        assert!(exist(d, &rows[..1999]));
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
