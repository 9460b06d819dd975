//! What the planner may know of the environment's disk, and the one place it is read.
//!
//! The planner's passes ask [`EnvView`]; [`DiskView`] answers from the disk for a real install
//! (lazily, for the few paths the passes ask about, so a fresh environment costs one `stat` per
//! new directory), and the unit tests answer from memory. Not here: deciding anything.

use foldhash::HashMap;
use std::os::unix::ffi::OsStrExt as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use sha2::Digest as _;

/// The environment's disk as the planner sees it. Paths are absolute and normalized. Shared by
/// the planner's passes that run at once (hence `Sync`).
pub trait EnvView: Sync {
    /// Whether the filesystem of the target's site-packages ignores case.
    fn case_insensitive(&self) -> bool;
    /// Whether something (a file, a directory or a symbolic link) is at `abs`.
    fn exists(&self, abs: &Path) -> bool;
    /// The sha256 and size of the file at `abs`, if it is one that can be read.
    fn file_identity(&self, abs: &Path) -> Option<(Vec<u8>, u64)>;
    /// When `abs` is a directory (not a symbolic link to one): everything below it, at any
    /// depth, as (absolute path, whether it is a directory), symbolic links not followed. A
    /// directory that cannot be read is listed once more, as a non-directory (nothing is known
    /// of what it holds). `None` when `abs` is not a directory.
    fn tree(&self, abs: &Path) -> Option<Vec<(PathBuf, bool)>>;
}

/// [`EnvView`] from the disk under the target's site-packages.
pub struct DiskView {
    case_insensitive: bool,
    /// Whether each parent directory asked about exists: a path in a directory that does not
    /// exist needs no `stat` of its own.
    parents: Mutex<Parents>,
}

/// The parent directories looked at, and the last one (asked about again for every file of a
/// directory: an equality test instead of a hash of the path).
#[derive(Default)]
struct Parents {
    known: HashMap<PathBuf, bool>,
    last: Option<(PathBuf, bool)>,
}

impl DiskView {
    /// Looks at the filesystem of `purelib` once (whether it ignores case).
    pub fn new(purelib: &Path) -> DiskView {
        DiskView {
            case_insensitive: crate::roots::case_insensitive(purelib),
            parents: Mutex::new(Parents::default()),
        }
    }
}

impl EnvView for DiskView {
    fn case_insensitive(&self) -> bool {
        self.case_insensitive
    }

    fn exists(&self, abs: &Path) -> bool {
        let parent = parent_of(abs).unwrap_or(Path::new(""));
        let mut parents = self.parents.lock().unwrap_or_else(|e| e.into_inner());
        let parent_is_dir = match &parents.last {
            Some((last, is_dir)) if last == parent => *is_dir,
            _ => {
                let is_dir = is_dir(&mut parents.known, parent);
                parents.last = Some((parent.to_path_buf(), is_dir));
                is_dir
            }
        };
        parent_is_dir && std::fs::symlink_metadata(abs).is_ok()
    }

    fn file_identity(&self, abs: &Path) -> Option<(Vec<u8>, u64)> {
        let bytes = std::fs::read(abs).ok()?;
        Some((sha2::Sha256::digest(&bytes).to_vec(), bytes.len() as u64))
    }

    fn tree(&self, abs: &Path) -> Option<Vec<(PathBuf, bool)>> {
        if !std::fs::symlink_metadata(abs).ok()?.is_dir() {
            return None;
        }
        let mut out = Vec::new();
        let mut stack = vec![abs.to_path_buf()];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                out.push((dir, false));
                continue;
            };
            for entry in entries {
                let Ok(entry) = entry else {
                    out.push((dir.clone(), false));
                    continue;
                };
                let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
                if is_dir {
                    stack.push(entry.path());
                }
                out.push((entry.path(), is_dir));
            }
        }
        Some(out)
    }
}

/// Whether `dir` is a directory, remembered in `known`. A directory whose parent is not one is
/// not one either, without a look: in a fresh environment only the top of each new tree is
/// looked at, not each of the thousands of directories below it.
fn is_dir(known: &mut HashMap<PathBuf, bool>, dir: &Path) -> bool {
    if let Some(&known) = known.get(dir) {
        return known;
    }
    let is_dir = match parent_of(dir) {
        Some(up) if !is_dir(known, up) => false,
        _ => dir.is_dir(),
    };
    known.insert(dir.to_path_buf(), is_dir);
    is_dir
}

/// The parent of a normalized absolute path (`Path::parent` without parsing components: it is
/// asked for every planned file); `None` for `/` and for a path without a `/`.
fn parent_of(path: &Path) -> Option<&Path> {
    let bytes = path.as_os_str().as_bytes();
    match bytes.iter().rposition(|&b| b == b'/')? {
        0 if bytes.len() == 1 => None,
        0 => Some(Path::new("/")),
        slash => Some(Path::new(std::ffi::OsStr::from_bytes(&bytes[..slash]))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parents_are_those_of_path() {
        for p in ["/", "/a", "/a/b", "/a/b/c.py", "rel"] {
            let p = Path::new(p);
            assert_eq!(
                parent_of(p),
                p.parent().filter(|q| !q.as_os_str().is_empty())
            );
        }
    }

    #[test]
    fn paths_below_missing_directories_do_not_exist() {
        let tmp = tempfile::tempdir().unwrap();
        let site = tmp.path().join("site");
        std::fs::create_dir_all(site.join("pkg/sub")).unwrap();
        std::fs::write(site.join("pkg/sub/m.py"), "").unwrap();
        std::fs::write(site.join("top.py"), "").unwrap();
        let view = DiskView::new(&site);
        assert!(view.exists(&site.join("pkg/sub/m.py")));
        assert!(view.exists(&site.join("top.py")));
        assert!(!view.exists(&site.join("pkg/sub/other.py")));
        assert!(!view.exists(&site.join("new/deep/er/m.py")));
        assert!(!view.exists(&site.join("new/deep/m.py")));
        assert!(!view.exists(&site.join("top.py/x")));
        // Remembered: a directory made after it was looked at is still missing to this view.
        std::fs::create_dir_all(site.join("new/deep")).unwrap();
        std::fs::write(site.join("new/deep/m.py"), "").unwrap();
        assert!(!view.exists(&site.join("new/deep/m.py")));
        assert!(DiskView::new(&site).exists(&site.join("new/deep/m.py")));
    }

    #[test]
    fn a_tree_lists_everything_below_a_directory_without_following_links() {
        let tmp = tempfile::tempdir().unwrap();
        let site = tmp.path().join("site");
        std::fs::create_dir_all(site.join("pkg/sub/empty")).unwrap();
        std::fs::write(site.join("pkg/sub/m.py"), "").unwrap();
        std::fs::create_dir_all(tmp.path().join("elsewhere")).unwrap();
        std::fs::write(tmp.path().join("elsewhere/x"), "").unwrap();
        std::os::unix::fs::symlink(tmp.path().join("elsewhere"), site.join("pkg/link")).unwrap();
        let view = DiskView::new(&site);
        let mut tree = view.tree(&site.join("pkg")).unwrap();
        tree.sort();
        let rel: Vec<(String, bool)> = (tree.into_iter())
            .map(|(p, d)| (p.strip_prefix(&site).unwrap().display().to_string(), d))
            .collect();
        let expected = [
            ("pkg/link", false),
            ("pkg/sub", true),
            ("pkg/sub/empty", true),
            ("pkg/sub/m.py", false),
        ];
        assert_eq!(rel, expected.map(|(p, d)| (p.to_string(), d)));
        assert!(view.tree(&site.join("pkg/sub/m.py")).is_none());
        assert!(view.tree(&site.join("pkg/link")).is_none());
        assert!(view.tree(&site.join("missing")).is_none());
    }
}
