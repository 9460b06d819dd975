//! Directory capabilities: every file winst writes or removes goes through one of these.
//!
//! Each scheme directory (purelib, platlib, scripts, headers, data) is opened once as a
//! `cap_std::fs::Dir`; paths inside it are relative and resolved by cap-std, which refuses `..`,
//! absolute paths and symlinks that would lead outside. Roots may nest (data is usually the
//! environment's prefix, which holds purelib): conflicts are found on absolute paths, writes go
//! through whichever root the plan chose. Not here: deciding what to write.

use std::io;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use cap_std::ambient_authority;
use cap_std::fs::{Dir, OpenOptions, OpenOptionsExt as _};

/// Creates a new file `rel` (a path below `dir`) for writing, failing if it exists: mode 0o777
/// for an executable and 0o666 otherwise, less the umask (as pip and `zipfile` leave files).
pub(crate) fn create_file(dir: &Dir, rel: &str, executable: bool) -> io::Result<cap_std::fs::File> {
    let mut options = OpenOptions::new();
    options
        .write(true)
        .create_new(true)
        .mode(if executable { 0o777 } else { 0o666 });
    dir.open_with(rel, &options)
}

/// A handle on the directory `rel` below `dir` (`""`: another handle on `dir`), for the `*at`
/// calls that make, link, open and look at files in it; it is never read or listed. `rel` is
/// resolved beneath `dir` as cap-std resolves it. On Linux the handle is an `O_PATH` one
/// ([`winst_platform::open_dir_beneath`]), cheaper to open and close: a warm install opens one
/// per directory it links into and one per cached directory it links from. Elsewhere, or where
/// that fails, cap-std opens it (and gives the error).
pub(crate) fn open_dir_handle(dir: &Dir, rel: &str) -> io::Result<Dir> {
    if rel.is_empty() {
        return dir.try_clone();
    }
    winst_platform::open_dir_beneath(dir, rel)
        .map(Dir::from_std_file)
        .or_else(|_| dir.open_dir(rel))
}

/// Index of a root in [`Roots`].
pub(crate) type RootId = usize;

/// The set of directories an install may touch.
#[derive(Default)]
pub struct Roots {
    paths: Vec<PathBuf>,
    dirs: Vec<Option<Dir>>,
}

pub use winst_python::paths::normalize;

/// Whether the filesystem holding `dir` ignores case (as macOS's and Windows' usually do, and
/// ext4 directories with casefolding): `dir` with the case of its last cased component swapped
/// names the same directory.
pub(crate) fn case_insensitive(dir: &Path) -> bool {
    use std::os::unix::fs::MetadataExt as _;
    let Ok(meta) = std::fs::metadata(dir) else {
        return false;
    };
    let mut parts: Vec<String> = dir
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let Some(last) = parts
        .iter()
        .rposition(|p| p.chars().any(|c| c.is_lowercase() || c.is_uppercase()))
    else {
        return false;
    };
    parts[last] = parts[last]
        .chars()
        .map(|c| {
            if c.is_lowercase() {
                c.to_uppercase().next().unwrap_or(c)
            } else {
                c.to_lowercase().next().unwrap_or(c)
            }
        })
        .collect();
    let swapped: PathBuf = parts.iter().collect();
    std::fs::metadata(swapped).is_ok_and(|m| m.dev() == meta.dev() && m.ino() == meta.ino())
}

impl Roots {
    /// Registers a root (an absolute directory path); the same path gives the same id.
    pub fn add(&mut self, path: &Path) -> RootId {
        let path = normalize(path).unwrap_or_else(|| path.to_path_buf());
        if let Some(i) = self.paths.iter().position(|p| *p == path) {
            return i;
        }
        self.paths.push(path);
        self.dirs.push(None);
        self.paths.len() - 1
    }

    /// Every root's path, indexed by id.
    pub fn paths(&self) -> &[PathBuf] {
        &self.paths
    }

    /// The directories [`Roots::open`] with `create` would create for root `id`, outermost
    /// first.
    pub fn missing(&self, id: RootId) -> Vec<PathBuf> {
        let mut missing = Vec::new();
        let mut p = self.paths[id].as_path();
        while !p.exists() {
            missing.push(p.to_path_buf());
            match p.parent() {
                Some(parent) => p = parent,
                None => break,
            }
        }
        missing.reverse();
        missing
    }

    pub fn path(&self, id: RootId) -> &Path {
        &self.paths[id]
    }

    /// The absolute path of `rel` inside root `id`.
    pub fn absolute(&self, id: RootId, rel: &str) -> PathBuf {
        self.paths[id].join(rel)
    }

    /// Finds the innermost root containing an absolute path and the path relative to it.
    pub fn locate(&self, abs: &Path) -> Option<(RootId, String)> {
        let abs = normalize(abs)?;
        self.paths
            .iter()
            .enumerate()
            .filter_map(|(i, root)| {
                let rel = abs.strip_prefix(root).ok()?;
                let rel = rel.to_str()?;
                (!rel.is_empty()).then(|| (i, root.components().count(), rel.to_string()))
            })
            .max_by_key(|(_, depth, _)| *depth)
            .map(|(i, _, rel)| (i, rel))
    }

    /// Opens root `id`, creating it and its missing parents when `create` is set (the caller
    /// records [`Roots::missing`] first if it must undo that).
    pub fn open(&mut self, id: RootId, create: bool) -> Result<()> {
        if self.dirs[id].is_some() {
            return Ok(());
        }
        let path = self.paths[id].clone();
        if create {
            for dir in self.missing(id) {
                match std::fs::create_dir(&dir) {
                    Ok(()) => {}
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                    Err(e) => {
                        return Err(e).with_context(|| format!("cannot create {}", dir.display()));
                    }
                }
            }
        }
        let dir = Dir::open_ambient_dir(&path, ambient_authority())
            .with_context(|| format!("cannot open {}", path.display()))?;
        self.dirs[id] = Some(dir);
        Ok(())
    }

    /// Opens the root if it exists; returns whether it does.
    pub(crate) fn open_existing(&mut self, id: RootId) -> Result<bool> {
        if self.dirs[id].is_some() {
            return Ok(true);
        }
        if !self.paths[id].is_dir() {
            return Ok(false);
        }
        self.open(id, false).map(|()| true)
    }

    /// The capability of an opened root.
    pub fn dir(&self, id: RootId) -> io::Result<&Dir> {
        self.dirs[id]
            .as_ref()
            .ok_or_else(|| io::Error::other(format!("{} was not opened", self.paths[id].display())))
    }

    /// Why `rel` in root `id`, which exists but is not a directory, cannot hold a directory of
    /// the install: a plain file, or a symbolic link, which winst never writes through (cap-std
    /// refuses to follow it), said with where it leads, so the user sees it is a link to a
    /// directory outside the environment (or inside it) rather than a file.
    pub fn not_a_directory(&self, id: RootId, rel: &str) -> String {
        let abs = self.absolute(id, rel);
        let Ok(link) = std::fs::read_link(&abs) else {
            return format!(
                "{} exists and is not a directory, and this install needs a directory there; a \
                 file is replaced by a directory only when it belongs to a version the install \
                 replaces, and no installed project lists this one (move it away)",
                abs.display()
            );
        };
        let resolved = std::fs::canonicalize(&abs).ok().filter(|p| p.is_dir());
        let Some(resolved) = resolved else {
            return format!(
                "{} is a symbolic link to {}, not a directory; winst does not write through \
                 symbolic links: remove the link",
                abs.display(),
                link.display()
            );
        };
        let inside = self
            .paths
            .iter()
            .any(|root| std::fs::canonicalize(root).is_ok_and(|root| resolved.starts_with(root)));
        let where_ = if inside { "inside" } else { "outside" };
        format!(
            "{} is a symbolic link to a directory {where_} the environment ({}); winst does not \
             write through symbolic links: replace the link with a real directory, or remove it",
            abs.display(),
            link.display()
        )
    }

    /// The first directory on the way to `rel` in root `id` that is a symbolic link, and where
    /// it leads: the reason a path under it cannot be reached through the root's capability.
    pub fn linked_ancestor(&self, id: RootId, rel: &str) -> Option<(PathBuf, PathBuf)> {
        let mut at = self.paths[id].clone();
        let parent = split_parent(rel).0;
        for part in parent.split('/').filter(|p| !p.is_empty()) {
            at.push(part);
            if let Ok(target) = std::fs::read_link(&at) {
                return Some((at, target));
            }
        }
        None
    }

    /// Closes every root.
    pub fn close(&mut self) {
        self.dirs.iter_mut().for_each(|d| *d = None);
    }
}

/// Splits `a/b/c` into (`a/b`, `c`); a top-level name has the parent `""`.
pub(crate) fn split_parent(rel: &str) -> (&str, &str) {
    rel.rsplit_once('/').unwrap_or(("", rel))
}

/// Handles to directories beneath the roots, each opened once through its root's capability, so
/// per-file operations (link, rename) name only a final component relative to an open directory:
/// no path is resolved twice and nothing can lead outside the root.
#[derive(Default)]
pub(crate) struct DirHandles {
    map: std::collections::HashMap<(RootId, String), Dir>,
    /// With a bound, the handles are all closed when it is reached (see [`DirHandles::bounded`]).
    bound: Option<usize>,
}

impl DirHandles {
    /// Handles of which at most `bound` are open at once: reaching it closes them all, so
    /// [`DirHandles::get`] only finds what was opened since. For callers that use each handle
    /// right after [`DirHandles::open`]: an install may touch more directories than a process
    /// may hold open files.
    pub fn bounded(bound: usize) -> DirHandles {
        DirHandles {
            map: Default::default(),
            bound: Some(bound),
        }
    }

    /// Opens the directory `rel` (`""` is the root itself) if it is not open yet.
    pub fn open(&mut self, roots: &Roots, root: RootId, rel: &str) -> io::Result<&Dir> {
        let key = (root, rel.to_string());
        if !self.map.contains_key(&key) {
            if self.bound.is_some_and(|b| self.map.len() >= b) {
                self.map.clear();
            }
            let base = roots.dir(root)?;
            let dir = if rel.is_empty() {
                base.try_clone()?
            } else {
                base.open_dir(rel)?
            };
            self.map.insert(key.clone(), dir);
        }
        self.map
            .get(&key)
            .ok_or_else(|| io::Error::other("directory handle vanished"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_sensitive_filesystems_are_detected() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("Site-Packages");
        std::fs::create_dir(&d).unwrap();
        // This machine's /tmp is case-sensitive (ext4 or tmpfs).
        assert!(!case_insensitive(&d));
        // A second directory that differs only in case is another directory, not the same one.
        std::fs::create_dir(dir.path().join("sITE-pACKAGES")).unwrap();
        assert!(!case_insensitive(&d));
        assert!(!case_insensitive(Path::new("/no/such/dir")));
    }

    #[test]
    fn locates_innermost_root() {
        let mut r = Roots::default();
        let data = r.add(Path::new("/v"));
        let pure = r.add(Path::new("/v/lib/python3.11/site-packages"));
        assert_eq!(r.add(Path::new("/v/./")), data);
        assert_eq!(
            r.locate(Path::new("/v/lib/python3.11/site-packages/../../../bin/x")),
            Some((data, "bin/x".to_string()))
        );
        assert_eq!(
            r.locate(Path::new("/v/lib/python3.11/site-packages/a/b.py")),
            Some((pure, "a/b.py".to_string()))
        );
        assert_eq!(r.locate(Path::new("/etc/passwd")), None);
        assert_eq!(r.locate(Path::new("/v")), None);
        assert_eq!(normalize(Path::new("/../x")), None);
    }
}
