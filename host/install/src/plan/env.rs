//! What the planner may know of the environment's disk, and the one place it is read.
//!
//! The planner's passes ask [`EnvView`]; [`DiskView`] answers from the disk for a real install
//! (lazily, for the few paths the passes ask about, so a fresh environment costs one `stat` per
//! new directory), and the unit tests answer from memory. Not here: deciding anything.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use sha2::Digest as _;

/// The environment's disk as the planner sees it. Paths are absolute and normalized.
pub trait EnvView {
    /// Whether the filesystem of the target's site-packages ignores case.
    fn case_insensitive(&self) -> bool;
    /// Whether something (a file, a directory or a symbolic link) is at `abs`.
    fn exists(&self, abs: &Path) -> bool;
    /// The sha256 and size of the file at `abs`, if it is one that can be read.
    fn file_identity(&self, abs: &Path) -> Option<(Vec<u8>, u64)>;
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
        let parent = abs.parent().unwrap_or(Path::new(""));
        let mut parents = self.parents.lock().unwrap_or_else(|e| e.into_inner());
        let parent_is_dir = match &parents.last {
            Some((last, is_dir)) if last == parent => *is_dir,
            _ => {
                let is_dir = match parents.known.get(parent) {
                    Some(&known) => known,
                    None => {
                        let is_dir = parent.is_dir();
                        parents.known.insert(parent.to_path_buf(), is_dir);
                        is_dir
                    }
                };
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
}
